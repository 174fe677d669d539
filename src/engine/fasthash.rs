//! A small, fast hasher for the engine's internal maps keyed by short names (the function
//! map, template names, `include` counters). std's SipHash costs a few hundred instructions
//! per short key, which showed up in every parse (each identifier is checked against the
//! function map) and every `include`. The keys come from the chart itself, not from the
//! network, so flooding resistance buys nothing here.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` using [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The multiply-rotate hash rustc uses for its own tables ("FxHash"), written out here.
#[derive(Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The tail's length goes in its free top byte, so "a" and "a\0" differ.
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            w[7] = rest.len() as u8;
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_find_what_they_hold() {
        let mut m: FastMap<String, usize> = FastMap::default();
        for (i, k) in [
            "",
            "a",
            "include",
            "toYaml",
            "a-much-longer-template-name.tpl",
        ]
        .iter()
        .enumerate()
        {
            m.insert(k.to_string(), i);
        }
        assert_eq!(m.get("include"), Some(&2));
        assert_eq!(m.get("a-much-longer-template-name.tpl"), Some(&4));
        assert_eq!(m.get(""), Some(&0));
        assert_eq!(m.get("toyaml"), None);
        // Strings that differ only past the first word, or by a trailing zero byte, differ.
        let h = |s: &str| {
            let mut h = FastHasher::default();
            std::hash::Hash::hash(s, &mut h);
            h.finish()
        };
        assert_ne!(h("abcdefgh1"), h("abcdefgh2"));
        assert_ne!(h("a"), h("a\0"));
    }
}

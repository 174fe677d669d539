//! lz-string's `compressToBase64` and `decompressFromBase64`, the `lz64` encoding that
//! posthog-js sends and capture decodes (`compression=lz64`).
//!
//! lz-string is an LZW variant over UTF-16 code units: a dictionary grows from single
//! characters to phrases, codes are written with a width that grows by one bit each time the
//! dictionary doubles, and bits are packed least significant first into 6-bit groups, each
//! written as one character of the standard base64 alphabet. A new character is announced by
//! code 0 (followed by 8 bits) or 1 (16 bits), and code 2 ends the stream.

use std::collections::HashMap;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Packs bits, least significant first, into 6-bit base64 characters.
struct BitWriter {
    out: String,
    val: u32,
    pos: u32,
}

impl BitWriter {
    fn bit(&mut self, b: u32) {
        self.val = (self.val << 1) | (b & 1);
        if self.pos == 5 {
            self.pos = 0;
            self.out.push(ALPHABET[self.val as usize] as char);
            self.val = 0;
        } else {
            self.pos += 1;
        }
    }

    fn value(&mut self, mut v: u32, bits: u32) {
        for _ in 0..bits {
            self.bit(v & 1);
            v >>= 1;
        }
    }

    /// Pads the last character with zero bits.
    fn finish(mut self) -> String {
        loop {
            self.val <<= 1;
            if self.pos == 5 {
                self.out.push(ALPHABET[self.val as usize] as char);
                break;
            }
            self.pos += 1;
        }
        self.out
    }
}

/// The code width state shared by both directions: after `enlarge_in` more codes the width
/// grows by one bit.
struct Width {
    bits: u32,
    enlarge_in: u32,
}

impl Width {
    fn tick(&mut self) {
        self.enlarge_in -= 1;
        if self.enlarge_in == 0 {
            self.enlarge_in = 1 << self.bits;
            self.bits += 1;
        }
    }
}

/// The phrase being extended: its dictionary code, and its character when it is a single one
/// (a single character may still have to be announced before its code can be used).
#[derive(Clone, Copy)]
struct Phrase {
    code: u32,
    single: Option<u16>,
}

/// Compresses `input` as lz-string's `compressToBase64` does (padded with `=` to a multiple of
/// four characters).
pub fn compress_to_base64(input: &str) -> String {
    let units: Vec<u16> = input.encode_utf16().collect();
    let mut w = BitWriter {
        out: String::with_capacity(units.len()),
        val: 0,
        pos: 0,
    };
    if !units.is_empty() {
        let mut chars: HashMap<u16, u32> = HashMap::new();
        let mut phrases: HashMap<(u32, u16), u32> = HashMap::new();
        let mut unannounced: std::collections::HashSet<u16> = std::collections::HashSet::new();
        let mut next_code = 3u32;
        let mut width = Width {
            bits: 2,
            enlarge_in: 2,
        };
        let mut current: Option<Phrase> = None;
        for &c in &units {
            let code_c = *chars.entry(c).or_insert_with(|| {
                unannounced.insert(c);
                next_code += 1;
                next_code - 1
            });
            current = Some(match current {
                None => Phrase {
                    code: code_c,
                    single: Some(c),
                },
                Some(p) => match phrases.get(&(p.code, c)) {
                    Some(&code) => Phrase { code, single: None },
                    None => {
                        emit(&mut w, &mut width, &mut unannounced, p);
                        phrases.insert((p.code, c), next_code);
                        next_code += 1;
                        Phrase {
                            code: code_c,
                            single: Some(c),
                        }
                    }
                },
            });
        }
        if let Some(p) = current {
            emit(&mut w, &mut width, &mut unannounced, p);
        }
        w.value(2, width.bits);
    } else {
        // lz-string writes the end marker with the initial width even for empty input.
        w.value(2, 2);
    }
    let mut out = w.finish();
    while out.len() % 4 != 0 {
        out.push('=');
    }
    out
}

fn emit(
    w: &mut BitWriter,
    width: &mut Width,
    unannounced: &mut std::collections::HashSet<u16>,
    p: Phrase,
) {
    match p.single {
        Some(c) if unannounced.remove(&c) => {
            if c < 256 {
                w.value(0, width.bits);
                w.value(u32::from(c), 8);
            } else {
                w.value(1, width.bits);
                w.value(u32::from(c), 16);
            }
            width.tick();
        }
        _ => w.value(p.code, width.bits),
    }
    width.tick();
}

/// Why a payload is not lz64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lz64Error {
    /// A character outside the base64 alphabet.
    BadCharacter(char),
    /// The stream ended before its end marker.
    Truncated,
    /// A code that names no dictionary entry.
    BadCode(u32),
    /// The decompressed UTF-16 is not valid (lone surrogate).
    BadUtf16,
    /// The output would exceed the given limit.
    TooLarge,
}

impl std::fmt::Display for Lz64Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lz64Error::BadCharacter(c) => write!(f, "character {c:?} is not base64"),
            Lz64Error::Truncated => f.write_str("stream ends before its end marker"),
            Lz64Error::BadCode(c) => write!(f, "code {c} names no dictionary entry"),
            Lz64Error::BadUtf16 => f.write_str("decompressed text is not valid UTF-16"),
            Lz64Error::TooLarge => f.write_str("decompressed text exceeds the size limit"),
        }
    }
}

impl std::error::Error for Lz64Error {}

struct BitReader<'a> {
    input: &'a [u8],
    index: usize,
    val: u32,
    mask: u32,
}

impl BitReader<'_> {
    fn sextet(&mut self) -> Result<u32, Lz64Error> {
        // lz-string reads past the end as zero bits; the end marker decides where it stops.
        let Some(&b) = self.input.get(self.index) else {
            self.index += 1;
            return Ok(0);
        };
        self.index += 1;
        match b {
            b'A'..=b'Z' => Ok(u32::from(b - b'A')),
            b'a'..=b'z' => Ok(u32::from(b - b'a') + 26),
            b'0'..=b'9' => Ok(u32::from(b - b'0') + 52),
            b'+' => Ok(62),
            b'/' => Ok(63),
            // Padding reads as zero bits.
            b'=' => Ok(0),
            other => Err(Lz64Error::BadCharacter(other as char)),
        }
    }

    fn bits(&mut self, n: u32) -> Result<u32, Lz64Error> {
        let mut out = 0u32;
        for i in 0..n {
            if self.index > self.input.len() + 1 {
                return Err(Lz64Error::Truncated);
            }
            let b = u32::from(self.val & self.mask != 0);
            self.mask >>= 1;
            if self.mask == 0 {
                self.mask = 32;
                self.val = self.sextet()?;
            }
            out |= b << i;
        }
        Ok(out)
    }
}

/// Decompresses lz-string's base64 form. `limit` caps the output in UTF-16 code units.
pub fn decompress_from_base64(input: &str, limit: usize) -> Result<String, Lz64Error> {
    let bytes = input.trim_end_matches('\n').as_bytes();
    if bytes.is_empty() {
        return Ok(String::new());
    }
    let mut r = BitReader {
        input: bytes,
        index: 0,
        val: 0,
        mask: 32,
    };
    r.val = r.sextet()?;
    let mut dict: Vec<Vec<u16>> = vec![Vec::new(), Vec::new(), Vec::new()];
    let mut width = Width {
        bits: 3,
        enlarge_in: 4,
    };
    let first = match r.bits(2)? {
        0 => r.bits(8)? as u16,
        1 => r.bits(16)? as u16,
        _ => return Ok(String::new()),
    };
    dict.push(vec![first]);
    let mut w = vec![first];
    let mut out: Vec<u16> = vec![first];
    loop {
        if r.index > bytes.len() {
            return Err(Lz64Error::Truncated);
        }
        let mut code = r.bits(width.bits)?;
        match code {
            0 | 1 => {
                let c = r.bits(if code == 0 { 8 } else { 16 })? as u16;
                dict.push(vec![c]);
                code = (dict.len() - 1) as u32;
                width.tick();
            }
            2 => return String::from_utf16(&out).map_err(|_| Lz64Error::BadUtf16),
            _ => {}
        }
        let entry = if let Some(e) = dict.get(code as usize) {
            e.clone()
        } else if code as usize == dict.len() {
            let mut e = w.clone();
            e.push(w[0]);
            e
        } else {
            return Err(Lz64Error::BadCode(code));
        };
        out.extend_from_slice(&entry);
        if out.len() > limit {
            return Err(Lz64Error::TooLarge);
        }
        let mut phrase = w;
        phrase.push(entry[0]);
        dict.push(phrase);
        w = entry;
        width.tick();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_ascii_unicode_and_repetition() {
        for s in [
            "",
            "a",
            "hello world",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            r#"[{"event":"$pageview","properties":{"token":"phc_x","n":1}}]"#,
            "héllo wörld — ✓ 日本語 😀 and again 😀 日本語",
            &"abcabcabd".repeat(400),
        ] {
            let c = compress_to_base64(s);
            assert_eq!(c.len() % 4, 0, "{s:?} -> {c}");
            assert_eq!(decompress_from_base64(&c, usize::MAX).unwrap(), s, "{c}");
        }
    }

    /// Outputs of the reference JavaScript implementation (lz-string 1.5.0 from npm).
    #[test]
    fn matches_reference_vectors() {
        let vectors: Vec<(String, String)> =
            serde_json::from_str(include_str!("../../testdata/load/lz64_vectors.json")).unwrap();
        assert!(vectors.len() >= 7);
        for (plain, compressed) in vectors {
            assert_eq!(compress_to_base64(&plain), compressed, "{plain:?}");
            assert_eq!(
                decompress_from_base64(&compressed, usize::MAX).unwrap(),
                plain
            );
        }
    }

    #[test]
    fn rejects_garbage_and_enforces_limit() {
        assert!(matches!(
            decompress_from_base64("!bcd", 100),
            Err(Lz64Error::BadCharacter('!'))
        ));
        let c = compress_to_base64(&"x".repeat(10_000));
        assert_eq!(decompress_from_base64(&c, 100), Err(Lz64Error::TooLarge));
    }
}

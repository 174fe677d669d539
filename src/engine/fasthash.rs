//! The map type for the engine's internal tables keyed by short names (the function map,
//! template names, `include` counters). std's SipHash costs a few hundred instructions per
//! short key, which showed up in every parse (each identifier is checked against the function
//! map) and every `include`. The keys come from the chart itself, not from the network, so
//! flooding resistance buys nothing here; foldhash (already built for serde_json) is used with
//! a fixed seed, so runs stay reproducible.

use std::collections::HashMap;

/// A `HashMap` hashed with foldhash's fast hasher.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

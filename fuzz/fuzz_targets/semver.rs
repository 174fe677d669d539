//! Matches arbitrary text with the hand-written semver matchers and with the library's regular
//! expressions they replace: both must agree on every input, groups included, and the version
//! and constraint parsers built on them must return without panicking.
#![no_main]

use charttest::engine::funcs::semver::{Constraints, Version};
use charttest::engine::funcs::semver_syntax::oracle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    assert_eq!(oracle::by_hand(s), oracle::by_regex(s), "{s:?}");
    let _ = Version::parse(s);
    if let Ok(c) = Constraints::parse(s) {
        let _ = c.check(&Version::parse("1.2.3-rc.1").expect("a valid version"));
    }
});

//! Parses arbitrary bytes as a template: any input must give a tree or an error, never a
//! panic, a hang or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut set = charttest::engine::TemplateSet::new();
    if let Err(e) = set.add("c/templates/fuzz.yaml", &text) {
        // Formatting the error exercises the message code paths too.
        let _ = e.helm_message();
    }
});

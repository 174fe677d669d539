//! Expected outputs here were captured from helm v4.1.4 (`toYaml … | b64enc`, `fromYaml`).

use super::*;

fn y(v: &Value) -> String {
    to_yaml(v).unwrap()
}

#[test]
fn parse_basics() {
    let v = parse("a: 1\nb: [x, yes]\nn: ~\n").unwrap();
    assert_eq!(v.format_v(), "map[a:1 b:[x true] n:<nil>]");
}

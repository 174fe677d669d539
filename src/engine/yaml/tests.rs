//! Expected outputs here were captured from helm v4.1.4 (`toYaml … | b64enc`, `fromYaml`).
//! `testdata/cases.helm.txt` holds, per top-level key of `testdata/cases.values.json`, the
//! base64 of `toYaml v`, `toYamlPretty v`, `dict "k" v | toYaml`, `list v | toYaml`, and a
//! final line with `toYaml` and `toYamlPretty` of all values.

use base64::Engine as _;

use super::*;

fn b64(s: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn trim(s: String) -> String {
    s.strip_suffix('\n').map(str::to_string).unwrap_or(s)
}

#[test]
fn parse_basics() {
    let v = parse("a: 1\nb: [x, yes]\nn: ~\n").unwrap();
    assert_eq!(v.format_v(), "map[a:1 b:[x true] false:<nil>]");
}

#[test]
fn helm_cases() {
    let values = parse(include_str!("testdata/cases.values.json")).unwrap();
    let map = values.as_map().unwrap().clone();
    let mut failures = Vec::new();
    for line in include_str!("testdata/cases.helm.txt").lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        if parts[0] == "all" {
            let got = trim(to_yaml(&values).unwrap());
            if got != b64(parts[1]) {
                failures.push(format!("all toYaml:\n{}\n---want\n{}", got, b64(parts[1])));
            }
            let got = trim(to_yaml_pretty(&values).unwrap());
            if got != b64(parts[2]) {
                failures.push(format!("all pretty:\n{}\n---want\n{}", got, b64(parts[2])));
            }
            continue;
        }
        let v = map.get(parts[0]).unwrap();
        let mut d = std::collections::BTreeMap::new();
        d.insert("k".to_string(), v.clone());
        let forms = [
            ("toYaml", trim(to_yaml(&v).unwrap())),
            ("pretty", trim(to_yaml_pretty(&v).unwrap())),
            ("dict", trim(to_yaml(&Value::map(d)).unwrap())),
            (
                "list",
                trim(to_yaml(&Value::list(vec![v.clone()])).unwrap()),
            ),
        ];
        for (i, (name, got)) in forms.iter().enumerate() {
            let want = b64(parts[i + 1]);
            if *got != want {
                failures.push(format!(
                    "{} {name} ({:?}):\n{got:?}\n want\n{want:?}",
                    parts[0], v
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn reader_matches_helm() {
    let fy = |s: &str| match parse(s) {
        Ok(v) => v.format_v(),
        Err(e) => format!("Error:{e}"),
    };
    assert_eq!(
        fy("b: &x {p: 1, q: 2}\nc:\n  <<: *x\n  q: 3\n  1.5: f\n  0x1F: h\n  y: z\n  Y: w"),
        "map[b:map[p:1 q:2] c:map[1.5:f 31:h p:1 q:3 true:w]]"
    );
    assert_eq!(
        fy("a: .nan"),
        "Error:error converting YAML to JSON: json: unsupported value: NaN"
    );
    assert_eq!(
        fy("a: !!int x"),
        "Error:error converting YAML to JSON: yaml: cannot decode !!str `x` as a !!int"
    );
    assert_eq!(
        fy("a: &a [*a]"),
        "Error:error converting YAML to JSON: yaml: anchor 'a' value contains itself"
    );
    assert_eq!(fy("<<: 1"), "Error:error converting YAML to JSON: yaml: map merge requires map or sequence of maps as the value");
    assert_eq!(
        fy("a: 2001-01-01\nb: !!binary aGk=\nc: 1e400"),
        "map[a:2001-01-01 b:hi c:1e400]"
    );
}

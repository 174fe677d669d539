//! Bad templates get an error naming file, line and (for execution) column; nothing panics,
//! hangs or overflows the stack, whatever the input.

use std::collections::BTreeMap;

use charttest::engine::{ErrorKind, ExecOptions, Limits, TemplateSet, Value};

const FILE: &str = "c/templates/t.yaml";

fn parse_err(text: &str) -> String {
    let mut set = TemplateSet::new();
    let e = set.add(FILE, text).expect_err("should not parse");
    assert_eq!(e.kind, ErrorKind::Parse);
    e.helm_message()
}

fn exec_err(text: &str, data: Value) -> String {
    let mut set = TemplateSet::new();
    set.add(FILE, text).expect("parses");
    let e = set
        .execute(FILE, data, &ExecOptions::default())
        .expect_err("should fail");
    e.helm_message()
}

#[test]
fn unterminated_actions_name_the_line() {
    assert_eq!(
        parse_err("a: 1\nb: {{ .Values.x"),
        "parse error at (c/templates/t.yaml:2): unclosed action"
    );
    assert_eq!(
        parse_err("a\n{{ if .x }}\nb"),
        "parse error at (c/templates/t.yaml:3): unexpected EOF"
    );
    assert_eq!(
        parse_err("{{ \"abc }}"),
        "parse error at (c/templates/t.yaml:1): unterminated quoted string"
    );
}

#[test]
fn unknown_functions_and_variables() {
    assert_eq!(
        parse_err("x\n\n{{ nosuchfunc 1 }}"),
        "parse error at (c/templates/t.yaml:3): function \"nosuchfunc\" not defined"
    );
    assert_eq!(
        parse_err("{{ $y }}"),
        "parse error at (c/templates/t.yaml:1): undefined variable \"$y\""
    );
}

#[test]
fn wrong_argument_types_name_line_and_column() {
    let data = Value::map(BTreeMap::from([(
        "Values".to_string(),
        Value::map(BTreeMap::from([("num".to_string(), Value::Float(3.0))])),
    )]));
    assert_eq!(
        exec_err("a: 1\nb: {{ trunc .Values.num \"abc\" }}", data),
        "c/templates/t.yaml:2:19\n  executing \"c/templates/t.yaml\" at <.Values.num>:\n    wrong type for value; expected int; got float64"
    );
    assert_eq!(
        exec_err("{{ indent 2.5 \"x\" }}", Value::Nil),
        "c/templates/t.yaml:1:10\n  executing \"c/templates/t.yaml\" at <2.5>:\n    expected integer; found 2.5"
    );
}

#[test]
fn invalid_utf8_is_read_lossily_not_rejected() {
    // helm reads template bytes as they are; we decode invalid sequences to U+FFFD and go on.
    let bytes = b"a: {{ \"x\" }}\xff\xfe\n";
    let text = String::from_utf8_lossy(bytes);
    let mut set = TemplateSet::new();
    set.add(FILE, &text).expect("parses");
    let out = set
        .execute(FILE, Value::Nil, &ExecOptions::default())
        .expect("runs");
    assert!(out.starts_with("a: x"));
}

#[test]
fn a_100_mb_template_parses_and_runs_within_budgets() {
    let mut text = String::with_capacity(100 << 20);
    let line = "key: {{ .v }} some literal text to make the line longer than usual\n";
    while text.len() < 100 << 20 {
        text.push_str(line);
    }
    let mut set = TemplateSet::new();
    set.add(FILE, &text).expect("a large template parses");
    let data = Value::map(BTreeMap::from([("v".to_string(), Value::str("x"))]));
    let opts = ExecOptions {
        limits: Limits {
            max_output: 16 << 20,
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    let e = set.execute(FILE, data, &opts).expect_err("output budget");
    assert_eq!(e.kind, ErrorKind::Limit);
    assert!(e.to_string().contains("output exceeds"), "{e}");
}

#[test]
fn runaway_templates_stop_with_a_clear_error() {
    let opts = ExecOptions {
        limits: Limits {
            max_steps: 100_000,
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    // An endless loop, a self-recursive include and a string that doubles forever.
    for t in [
        "{{ range 1000000000 }}x{{ end }}",
        "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}",
        "{{ $s := \"xx\" }}{{ range 100 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}",
    ] {
        let mut set = TemplateSet::new();
        set.add(FILE, t).expect("parses");
        let r = set.execute(FILE, Value::Nil, &opts);
        assert!(r.is_err(), "{t} must stop");
    }
}

//! Parse plus execute of a large template set: 120 files of helper-heavy, chart-like templates
//! (defines, includes, range over lists and maps, conditionals, pipelines of string functions).

use std::collections::BTreeMap;

use charttest::engine::{ExecOptions, TemplateSet, Value};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const HELPERS: &str = r#"
{{- define "app.name" -}}{{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}{{- end }}
{{- define "app.fullname" -}}
{{- if .Values.fullnameOverride }}{{ .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}{{ printf "%s-%s" .Release.Name (include "app.name" .) | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}
{{- define "app.labels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- range $k, $v := .Values.labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end }}
"#;

fn template(i: usize) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "app.fullname" . }}}}-{i}
  labels:
    {{{{- include "app.labels" . | nindent 4 }}}}
spec:
  replicas: {{{{ .Values.replicas }}}}
  template:
    spec:
      containers:
      {{{{- range $n, $c := .Values.containers }}}}
      - name: {{{{ $c.name }}}}-{{{{ $n }}}}
        image: "{{{{ $c.image }}}}:{{{{ $c.tag | default "latest" }}}}"
        {{{{- if $c.env }}}}
        env:
        {{{{- range $k, $v := $c.env }}}}
        - name: {{{{ $k | upper }}}}
          value: {{{{ $v | quote }}}}
        {{{{- end }}}}
        {{{{- end }}}}
      {{{{- end }}}}
"#
    )
}

fn data() -> Value {
    let env: BTreeMap<String, Value> = (0..8)
        .map(|i| (format!("var_{i}"), Value::str(format!("value {i}"))))
        .collect();
    let containers: Vec<Value> = (0..6)
        .map(|i| {
            Value::map(BTreeMap::from([
                ("name".to_string(), Value::str(format!("c{i}"))),
                ("image".to_string(), Value::str("ghcr.io/posthog/capture")),
                ("env".to_string(), Value::map(env.clone())),
            ]))
        })
        .collect();
    let labels: BTreeMap<String, Value> = (0..5)
        .map(|i| (format!("team{i}"), Value::str("ingestion")))
        .collect();
    let values = Value::map(BTreeMap::from([
        ("replicas".to_string(), Value::Float(3.0)),
        ("containers".to_string(), Value::list(containers)),
        ("labels".to_string(), Value::map(labels)),
    ]));
    Value::map(BTreeMap::from([
        ("Values".to_string(), values),
        (
            "Release".to_string(),
            Value::map(BTreeMap::from([("Name".to_string(), Value::str("rel"))])),
        ),
        (
            "Chart".to_string(),
            Value::map(BTreeMap::from([(
                "Name".to_string(),
                Value::str("posthog"),
            )])),
        ),
    ]))
}

fn bench(c: &mut Criterion) {
    let files: Vec<(String, String)> = (0..120)
        .map(|i| (format!("c/templates/t{i}.yaml"), template(i)))
        .collect();
    let opts = ExecOptions {
        seed: Some(1),
        ..ExecOptions::default()
    };
    c.bench_function("parse 120 templates", |b| {
        b.iter(|| {
            let mut set = TemplateSet::new();
            set.add("c/templates/_helpers.tpl", HELPERS)
                .expect("parses");
            for (n, t) in &files {
                set.add(n, t).expect("parses");
            }
            black_box(set)
        })
    });
    let mut set = TemplateSet::new();
    set.add("c/templates/_helpers.tpl", HELPERS)
        .expect("parses");
    for (n, t) in &files {
        set.add(n, t).expect("parses");
    }
    c.bench_function("parse + execute 120 templates", |b| {
        b.iter(|| {
            let mut set = TemplateSet::new();
            set.add("c/templates/_helpers.tpl", HELPERS)
                .expect("parses");
            for (n, t) in &files {
                set.add(n, t).expect("parses");
            }
            let d = data();
            let mut bytes = 0;
            for (n, _) in &files {
                bytes += set.execute(n, d.clone(), &opts).expect("executes").len();
            }
            black_box(bytes)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! YAML the way helm reads and writes it: go-yaml v2 (YAML 1.1) resolution for reading, and
//! go-yaml v2's and v3's emitters for `toYaml` and `toYamlPretty`.

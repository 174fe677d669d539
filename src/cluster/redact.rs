//! Keeps credentials out of everything we print or write.
//!
//! Two layers. Structurally, nothing in this crate prints a kubeconfig, a Secret's `data`, or an
//! environment value that comes from a Secret. On top of that, a [`Redactor`] learns the secret
//! strings of a run (kubeconfig tokens, keys and passwords; every Secret value in the release
//! namespace, raw and base64) and replaces them wherever they appear, in container logs, helm's
//! error text or provider output.

use std::borrow::Cow;

use base64::Engine as _;

/// Shortest string the redactor scrubs from free text: shorter values (`true`, `admin`,
/// `5432`) are common words, and replacing them everywhere would garble output without
/// protecting anything. They are still never printed structurally.
pub const MIN_SECRET_LEN: usize = 8;

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// A set of secret strings to scrub from text.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// An empty redactor.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Learns one secret string (and its base64 form), ignoring short ones.
    pub fn add(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.chars().count() < MIN_SECRET_LEN {
            return;
        }
        for s in [
            secret.to_string(),
            base64::engine::general_purpose::STANDARD.encode(secret),
        ] {
            if !self.secrets.contains(&s) {
                self.secrets.push(s);
            }
        }
        // Longest first, so a secret containing another is replaced whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Learns a secret given in base64 (Secret `data`): both forms are scrubbed.
    pub fn add_base64(&mut self, encoded: &str) {
        self.add(encoded);
        if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) {
            if let Ok(text) = String::from_utf8(raw) {
                self.add(&text);
                // Multi-line secrets (keys, certificates) are scrubbed line by line as well, since
                // logs print them a line at a time.
                for line in text.lines() {
                    self.add(line);
                }
            }
        }
    }

    /// Learns the credentials of a kubeconfig file's text: tokens, passwords, client keys and
    /// auth-provider settings.
    pub fn add_kubeconfig(&mut self, text: &str) {
        const KEYS: [&str; 8] = [
            "token",
            "password",
            "client-key-data",
            "client-key",
            "access-token",
            "refresh-token",
            "id-token",
            "client-secret",
        ];
        for line in text.lines() {
            let l = line.trim_start().trim_start_matches("- ");
            if let Some((k, v)) = l.split_once(':') {
                let k = k.trim().trim_matches('"');
                if KEYS.contains(&k) {
                    let v = v.trim().trim_matches('"').trim_matches('\'');
                    if k.ends_with("-data") {
                        self.add_base64(v);
                    } else {
                        self.add(v);
                    }
                }
            }
        }
    }

    /// Whether any secret is known.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The text with every known secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.secrets.iter().any(|s| text.contains(s.as_str())) {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        Cow::Owned(out)
    }
}

/// Whether an environment variable or values key names a secret by convention, so its value
/// is not shown even when it is given inline.
pub fn is_sensitive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "api-key",
        "private",
        "credential",
        "access_key",
        "accesskey",
        "auth",
        "dsn",
    ]
    .iter()
    .any(|w| n.contains(w))
        || n.ends_with("key")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_raw_and_base64_forms() {
        let mut r = Redactor::new();
        r.add_base64(&base64::engine::general_purpose::STANDARD.encode("s3cr3t-value-1"));
        let b64 = base64::engine::general_purpose::STANDARD.encode("s3cr3t-value-1");
        let text = format!("a s3cr3t-value-1 b {b64} c");
        assert_eq!(r.redact(&text), "a <redacted> b <redacted> c");
    }

    #[test]
    fn short_values_are_not_scrubbed() {
        let mut r = Redactor::new();
        r.add("admin");
        assert!(r.is_empty());
        assert_eq!(r.redact("admin"), "admin");
    }

    #[test]
    fn kubeconfig_credentials_are_learned() {
        let kc = "users:\n- name: u\n  user:\n    token: tok-abcdef123456\n    client-key-data: a2V5LW1hdGVyaWFsLXNlY3JldA==\n";
        let mut r = Redactor::new();
        r.add_kubeconfig(kc);
        assert_eq!(r.redact("Bearer tok-abcdef123456"), "Bearer <redacted>");
        assert_eq!(r.redact("key-material-secret"), "<redacted>");
    }

    #[test]
    fn sensitive_names() {
        for n in [
            "POSTHOG_DB_PASSWORD",
            "SECRET_KEY",
            "OBJECT_STORAGE_SECRET_ACCESS_KEY",
            "token",
        ] {
            assert!(is_sensitive_name(n), "{n}");
        }
        for n in ["KAFKA_HOSTS", "SITE_URL", "CAPTURE_MODE"] {
            assert!(!is_sensitive_name(n), "{n}");
        }
    }
}

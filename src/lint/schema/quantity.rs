//! Kubernetes `resource.Quantity` strings, as `resource.ParseQuantity` accepts them:
//! a signed decimal number followed by a binary-SI suffix (`Ki`…`Ei`), a decimal-SI suffix
//! (`n`, `u`, `m`, none, `k`, `M`, `G`, `T`, `P`, `E`) or a decimal exponent (`e3`, `E-2`).

/// Checks a quantity string; the error says what is wrong.
pub fn parse(s: &str) -> Result<(), String> {
    const RULE: &str = "quantities must look like 500m, 2, 1.5Gi or 1e3";
    if s.is_empty() {
        return Err("it is empty".into());
    }
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b[0], b'+' | b'-') {
        i = 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let f = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - f;
    }
    if int_digits + frac_digits == 0 {
        return Err(RULE.into());
    }
    let suffix = &s[i..];
    let ok = match suffix {
        "" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => true,
        _ => {
            let rest = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'));
            match rest {
                Some(r) => {
                    let r = r.strip_prefix(['+', '-']).unwrap_or(r);
                    !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit())
                }
                None => false,
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("unknown suffix {suffix:?}; {RULE}"))
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_what_kubernetes_accepts() {
        for q in [
            "1", "0", "500m", "1.5Gi", "100Mi", "2k", "1e3", "1E-2", "+1", "-1", ".5", "5.", "1Ei",
            "250u", "10n",
        ] {
            assert!(parse(q).is_ok(), "{q}");
        }
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        for q in [
            "", "1 Gi", "1GB", "100MiB", "1K", "abc", "Gi", ".", "1.2.3", " 1", "1e", "1gi",
        ] {
            assert!(parse(q).is_err(), "{q}");
        }
    }
}

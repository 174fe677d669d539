//! Semantic versions for the chart pipeline (kubeVersion checks, dependency version ranges,
//! helm 3's `--kube-version`). The implementation is the engine's Masterminds-compatible one,
//! which the `semver` and `semverCompare` template functions use too, so both always agree.

pub use crate::engine::funcs::semver::Version;

/// Masterminds' `NewConstraint(constraint)` then `Check(NewVersion(version))`, as helm's
/// `IsCompatibleRange` does: an unparsable constraint or version is `false`.
pub fn constraint_matches(constraint: &str, version: &str) -> bool {
    crate::engine::funcs::semver::constraint_matches(constraint, version).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(Version::parse("1.2").is_ok());
        assert!(Version::parse("v1").is_ok());
        assert!(Version::parse("01.2.3").is_ok());
        assert!(Version::parse("1.2.3-01").is_err());
        assert!(Version::parse("1.2.x").is_err());
        assert!(Version::parse("").is_err());
    }

    #[test]
    fn constraints() {
        assert!(!constraint_matches("<1.20", "v1.35.0"));
        assert!(constraint_matches(">=1.20", "v1.35.0"));
        assert!(constraint_matches(">=1.20.0-0", "v1.28.3-gke.100"));
        assert!(!constraint_matches(">=1.20", "v1.28.3-gke.100"));
        assert!(constraint_matches("~1.2", "1.2.9"));
        assert!(!constraint_matches("~1.2", "1.3.0"));
        assert!(constraint_matches("^0.1.0", "0.1.5"));
        assert!(!constraint_matches("^0.1.0", "0.2.0"));
        assert!(constraint_matches("1.x", "1.9.0"));
        assert!(constraint_matches("1.0 - 2.0", "1.5.0"));
        assert!(constraint_matches("<1 || >=2", "2.1.0"));
        assert!(constraint_matches(">1.0, <3", "2.0.0"));
        assert!(!constraint_matches("", "1.0.0"));
        assert!(constraint_matches("*", "1.0.0"));
        assert!(constraint_matches("0.1.0", "0.1.0"));
    }
}

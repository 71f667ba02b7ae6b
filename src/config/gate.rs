//! `gate:` — the release gate's decision rule (docs/statistics.md, "Release gate").

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateConfig {
    /// Non-inferiority margins, candidate − reference.
    pub margins: GateMargins,
    /// Fewest paired labelled cases to judge a metric (overall and per subgroup).
    pub min_pairs: usize,
    /// Fewest positive cases (and negative cases, for AUROC and specificity).
    pub min_positives: usize,
    /// Too few paired cases overall fails the gate (true) or leaves it `insufficient`.
    pub fail_closed: bool,
    /// A subgroup with too few cases fails the gate instead of being `insufficient`.
    pub require_subgroups: bool,
    /// Confidence level of every interval.
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GateMargins {
    pub auroc: f64,
    pub sensitivity: f64,
    pub specificity: f64,
    /// Brier score, where lower is better: the candidate may be at most this much higher.
    pub brier: f64,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            margins: GateMargins::default(),
            min_pairs: 30,
            min_positives: 10,
            fail_closed: true,
            require_subgroups: false,
            confidence: 0.95,
        }
    }
}

impl Default for GateMargins {
    fn default() -> Self {
        GateMargins {
            auroc: 0.02,
            sensitivity: 0.05,
            specificity: 0.05,
            brier: 0.02,
        }
    }
}

impl GateConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        let m = &self.margins;
        for (name, margin) in [
            ("auroc", m.auroc),
            ("sensitivity", m.sensitivity),
            ("specificity", m.specificity),
            ("brier", m.brier),
        ] {
            if !(0.0..1.0).contains(&margin) {
                return Err(format!(
                    "gate.margins.{name}: expected a number in [0, 1), got {margin}"
                ));
            }
        }
        // DeLong needs two cases of each class, a t-interval two cases.
        if self.min_pairs < 2 || self.min_positives < 2 {
            return Err(format!(
                "gate.min_pairs and gate.min_positives: expected at least 2, got {} and {}",
                self.min_pairs, self.min_positives
            ));
        }
        if !(self.confidence > 0.5 && self.confidence < 1.0) {
            return Err(format!(
                "gate.confidence: expected a number in (0.5, 1), got {}",
                self.confidence
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn section_is_strict_and_validated() {
        let ok = Config::parse("gate:\n  margins: {sensitivity: 0.1}\n  min_pairs: 50\n").unwrap();
        assert_eq!(ok.gate.margins.sensitivity, 0.1);
        assert_eq!(
            ok.gate.margins.auroc, 0.02,
            "other margins keep their defaults"
        );
        assert!(ok.gate.fail_closed);
        let err = Config::parse("gate:\n  margins: {sensitivty: 0.1}\n").unwrap_err();
        assert!(err.contains("sensitivty"), "{err}");
        let err = Config::parse("gate:\n  margins: {brier: 1.5}\n").unwrap_err();
        assert!(err.contains("gate.margins.brier"), "{err}");
        let err = Config::parse("gate:\n  min_positives: 1\n").unwrap_err();
        assert!(err.contains("gate.min_"), "{err}");
        let err = Config::parse("gate:\n  min_pairs: 0\n").unwrap_err();
        assert!(err.contains("gate.min_pairs"), "{err}");
    }

    #[test]
    fn confidence_is_checked() {
        for c in ["0.5", "1", "1.2"] {
            let err = Config::parse(&format!("gate:\n  confidence: {c}\n")).unwrap_err();
            assert!(err.contains("gate.confidence"), "{err}");
        }
    }
}

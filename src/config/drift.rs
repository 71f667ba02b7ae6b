//! `drift:` — the decision rule and its thresholds (docs/statistics.md explains each
//! default).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriftConfig {
    /// Benjamini–Hochberg false discovery rate across all tests of a run.
    pub fdr: f64,
    /// Fewer cases than this on either side: `insufficient`, never a pass.
    pub min_n: usize,
    /// Numeric features: Wasserstein-1 / baseline SD for warn and alert.
    pub numeric_warn: f64,
    pub numeric_alert: f64,
    /// Categorical features: largest change in a category's share, percentage points.
    pub share_warn_pp: f64,
    pub share_alert_pp: f64,
    /// A category never seen in the baseline: serving share, percentage points (the low end
    /// of its interval). The default warn threshold is 0: a category the baseline never had
    /// is news at any share once it is significant and seen `new_category_min_count` times.
    pub new_category_warn_pp: f64,
    pub new_category_alert_pp: f64,
    /// …and at least this many serving cases (2: one stray value is not a new scanner).
    pub new_category_min_count: u64,
    /// Missing-value rate change, percentage points.
    pub missing_warn_pp: f64,
    pub missing_alert_pp: f64,
    /// Which features `drift` and `explore` test (default: every header feature and extra
    /// tag). The case table keeps every feature either way, for subgroups and clustering.
    pub features: Option<Vec<String>>,
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            fdr: 0.05,
            min_n: 30,
            numeric_warn: 0.1,
            numeric_alert: 0.25,
            share_warn_pp: 5.0,
            share_alert_pp: 10.0,
            new_category_warn_pp: 0.0,
            new_category_alert_pp: 2.0,
            new_category_min_count: 2,
            missing_warn_pp: 5.0,
            missing_alert_pp: 10.0,
            features: None,
        }
    }
}

impl DriftConfig {
    /// `known`: the feature names `features` may select from.
    pub(super) fn validate(&self, known: &[&str]) -> Result<(), String> {
        if !(self.fdr > 0.0 && self.fdr < 1.0) {
            return Err(format!(
                "drift.fdr: expected a number in (0, 1), got {}",
                self.fdr
            ));
        }
        if self.min_n < 2 {
            return Err(format!(
                "drift.min_n: expected at least 2, got {}",
                self.min_n
            ));
        }
        for (name, warn, alert) in [
            ("numeric", self.numeric_warn, self.numeric_alert),
            ("share", self.share_warn_pp, self.share_alert_pp),
            (
                "new_category",
                self.new_category_warn_pp,
                self.new_category_alert_pp,
            ),
            ("missing", self.missing_warn_pp, self.missing_alert_pp),
        ] {
            if !(warn >= 0.0 && alert >= warn) {
                return Err(format!(
                    "drift.{name}_warn/alert: expected 0 <= warn <= alert, got {warn} and {alert}"
                ));
            }
        }
        if let Some(names) = &self.features {
            if names.is_empty() {
                return Err("drift.features: expected at least one feature (omit the key to test every feature)".into());
            }
            super::validate_feature_list("drift.features", names, known)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn err(yaml: &str) -> String {
        Config::parse(yaml).unwrap_err()
    }

    #[test]
    fn fdr_and_min_n_are_checked() {
        for fdr in ["0", "1", "-0.1"] {
            let e = err(&format!("drift:\n  fdr: {fdr}\n"));
            assert!(e.contains("drift.fdr"), "{e}");
        }
        let e = err("drift:\n  min_n: 1\n");
        assert!(e.contains("drift.min_n"), "{e}");
    }

    #[test]
    fn warn_must_not_exceed_alert() {
        let e = err("drift:\n  numeric_warn: 0.3\n");
        assert!(e.contains("drift.numeric_warn/alert"), "{e}");
        let e = err("drift:\n  missing_warn_pp: -1\n");
        assert!(e.contains("drift.missing_warn/alert"), "{e}");
        let e = err("drift:\n  share_warn_pp: 20\n");
        assert!(e.contains("drift.share_warn/alert"), "{e}");
        let e = err("drift:\n  new_category_alert_pp: -1\n");
        assert!(e.contains("drift.new_category_warn/alert"), "{e}");
    }

    #[test]
    fn features_must_name_known_features() {
        let e = err("drift:\n  features: [patient_sex, kvpp]\n");
        assert!(
            e.contains("drift.features") && e.contains("\"kvpp\""),
            "{e}"
        );
        let e = err("drift:\n  features: []\n");
        assert!(e.contains("drift.features"), "{e}");
        let e = err("drift:\n  features: [kvp, kvp]\n");
        assert!(e.contains("twice"), "{e}");
        let ok = Config::parse(
            "extra_tags:\n  - {name: protocol_name, tag: '0018,1030', kind: categorical}\ndrift:\n  features: [protocol_name, kvp]\n",
        )
        .unwrap();
        assert_eq!(ok.drift.features.unwrap(), ["protocol_name", "kvp"]);
    }
}

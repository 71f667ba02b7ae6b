//! The nightly job's sections: `drill` (what a rehearsed scenario must meet) and
//! `sequential` (the rule over an audit history's nights).

use serde::{Deserialize, Serialize};

use crate::stats::sequential::Cusum;

/// `postmarket drill`: a scenario fails (in its JUnit) when its median delay exceeds this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DrillConfig {
    pub max_delay_nights: u32,
}

impl Default for DrillConfig {
    fn default() -> Self {
        DrillConfig {
            max_delay_nights: 3,
        }
    }
}

impl DrillConfig {
    pub(super) fn is_default(&self) -> bool {
        self == &DrillConfig::default()
    }
}

/// The sequential rule of `audit --history`: a one-sided CUSUM of each check's nightly
/// evidence (docs/statistics.md, "Sequential alerting over nights").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SequentialConfig {
    /// `false`: each night stands alone, as without a history.
    pub enabled: bool,
    /// `k`: the evidence a night must exceed to add to the sum.
    pub reference: f64,
    /// `h`: the sum at which a night's material change is an alert.
    pub threshold: f64,
}

impl Default for SequentialConfig {
    fn default() -> Self {
        let c = Cusum::default();
        SequentialConfig {
            enabled: true,
            reference: c.reference,
            threshold: c.threshold,
        }
    }
}

impl SequentialConfig {
    pub(super) fn is_default(&self) -> bool {
        self == &SequentialConfig::default()
    }

    /// The rule, when enabled.
    pub fn cusum(&self) -> Option<Cusum> {
        self.enabled.then_some(Cusum {
            reference: self.reference,
            threshold: self.threshold,
        })
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        for (key, v) in [("reference", self.reference), ("threshold", self.threshold)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!(
                    "sequential.{key}: expected a positive number, got {v}"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    #[test]
    fn the_sequential_rule_is_on_by_default_and_its_constants_are_checked() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.sequential.cusum().unwrap().threshold, 5.0);
        assert!(!c.to_yaml().contains("sequential"));
        let off = Config::parse("sequential:\n  enabled: false\n").unwrap();
        assert!(off.sequential.cusum().is_none());
        let bad = Config::parse("sequential:\n  threshold: 0\n").unwrap_err();
        assert!(bad.contains("sequential.threshold"), "{bad}");
        let bad = Config::parse("sequential:\n  k: 1\n").unwrap_err();
        assert!(bad.contains("k"), "{bad}");
    }
}

//! `performance:` — non-inferiority margins, minimum counts, label adaptation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PerformanceConfig {
    /// Largest tolerated fall (serving − baseline) per metric, as a proportion.
    pub margins: BTreeMap<String, f64>,
    /// Calibration: expected calibration error rise that warns.
    pub ece_warn: f64,
    /// Fewer labelled cases (or positives, or negatives) than these: insufficient.
    pub min_labelled: usize,
    pub min_positives: usize,
    /// Post-inference adaptation: for labels made under a label_version, what each label
    /// value means in the current definition (0, 1, or null to drop it).
    pub label_map: BTreeMap<String, BTreeMap<String, Option<u8>>>,
    /// Estimated-performance findings (from calibrated scores, before labels) may be
    /// alerts; by default they are at most warnings, since they rest on an assumption.
    pub estimated_alerts: bool,
    /// The power at which a night's smallest detectable fall is quoted ("a fall of 0.21
    /// would show"): the chance that a true fall of that size gives an alert.
    pub power: f64,
}

/// Metrics compared for non-inferiority, and their default margins.
pub const PERFORMANCE_METRICS: &[(&str, f64)] = &[
    ("auroc", 0.05),
    ("sensitivity", 0.05),
    ("specificity", 0.05),
    ("ppv", 0.10),
    ("npv", 0.10),
];

impl Default for PerformanceConfig {
    fn default() -> Self {
        PerformanceConfig {
            margins: PERFORMANCE_METRICS
                .iter()
                .map(|(m, v)| (m.to_string(), *v))
                .collect(),
            ece_warn: 0.05,
            min_labelled: 30,
            min_positives: 10,
            label_map: BTreeMap::new(),
            estimated_alerts: false,
            power: 0.8,
        }
    }
}

impl PerformanceConfig {
    pub fn margin(&self, metric: &str) -> f64 {
        self.margins.get(metric).copied().unwrap_or_else(|| {
            PERFORMANCE_METRICS
                .iter()
                .find(|(m, _)| *m == metric)
                .map_or(0.05, |(_, v)| *v)
        })
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        for (metric, margin) in &self.margins {
            if !PERFORMANCE_METRICS.iter().any(|(m, _)| m == metric) {
                let known: Vec<&str> = PERFORMANCE_METRICS.iter().map(|(m, _)| *m).collect();
                return Err(format!(
                    "performance.margins: unknown metric {metric:?}; expected one of {}",
                    known.join(", ")
                ));
            }
            if !(0.0..1.0).contains(margin) {
                return Err(format!(
                    "performance.margins.{metric}: expected a number in [0, 1), got {margin}"
                ));
            }
        }
        if !(0.0..1.0).contains(&self.ece_warn) {
            return Err(format!(
                "performance.ece_warn: expected a number in [0, 1), got {}",
                self.ece_warn
            ));
        }
        if !(0.5..1.0).contains(&self.power) {
            return Err(format!(
                "performance.power: expected a number in [0.5, 1), got {}",
                self.power
            ));
        }
        // An interval, a DeLong variance and a class share all need two cases.
        if self.min_labelled < 2 {
            return Err(format!(
                "performance.min_labelled: expected at least 2, got {}",
                self.min_labelled
            ));
        }
        if self.min_positives < 2 || self.min_positives > self.min_labelled {
            return Err(format!(
                "performance.min_positives: expected at least 2 and at most min_labelled ({}), got {}",
                self.min_labelled, self.min_positives
            ));
        }
        for (version, map) in &self.label_map {
            for key in map.keys() {
                if key != "0" && key != "1" {
                    return Err(format!(
                        "performance.label_map.{version}: labels are 0 or 1, got {key:?}"
                    ));
                }
            }
            if map.values().flatten().any(|v| *v > 1) {
                return Err(format!(
                    "performance.label_map.{version}: maps to 0, 1 or null"
                ));
            }
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
    fn power_is_a_probability_of_at_least_a_half() {
        let e = err("performance:\n  power: 1.2\n");
        assert!(
            e.contains("performance.power: expected a number in [0.5, 1), got 1.2"),
            "{e}"
        );
        assert!(err("performance:\n  power: 0.3\n").contains("performance.power"));
        let ok = Config::parse("performance:\n  power: 0.9\n").unwrap();
        assert_eq!(ok.performance.power, 0.9);
    }

    #[test]
    fn margins_name_known_metrics_in_range() {
        let e = err("performance:\n  margins: {aucroc: 0.1}\n");
        assert!(
            e.contains("performance.margins: unknown metric \"aucroc\""),
            "{e}"
        );
        let e = err("performance:\n  margins: {ppv: 1.0}\n");
        assert!(e.contains("performance.margins.ppv"), "{e}");
        let ok = Config::parse("performance:\n  margins: {ppv: 0.2}\n").unwrap();
        assert_eq!(ok.performance.margin("ppv"), 0.2);
        assert_eq!(ok.performance.margin("auroc"), 0.05);
    }

    #[test]
    fn minimum_counts_are_checked() {
        let e = err("performance:\n  min_labelled: 1\n");
        assert!(e.contains("performance.min_labelled"), "{e}");
        let e = err("performance:\n  min_positives: 0\n");
        assert!(e.contains("performance.min_positives"), "{e}");
        let e = err("performance:\n  min_labelled: 20\n  min_positives: 25\n");
        assert!(e.contains("performance.min_positives"), "{e}");
        let ok = Config::parse("performance:\n  min_labelled: 50\n  min_positives: 5\n").unwrap();
        assert_eq!(ok.performance.min_positives, 5);
    }

    #[test]
    fn ece_warn_is_a_proportion() {
        let e = err("performance:\n  ece_warn: 2\n");
        assert!(e.contains("performance.ece_warn"), "{e}");
    }

    #[test]
    fn label_map_maps_binary_labels() {
        let e = err("performance:\n  label_map: {v2: {'2': 1}}\n");
        assert!(
            e.contains("performance.label_map.v2: labels are 0 or 1"),
            "{e}"
        );
        let e = err("performance:\n  label_map: {v2: {'1': 3}}\n");
        assert!(e.contains("performance.label_map.v2: maps to"), "{e}");
        let ok = Config::parse("performance:\n  label_map: {v2: {'0': null, '1': 1}}\n").unwrap();
        assert_eq!(ok.performance.label_map["v2"]["0"], None);
    }
}

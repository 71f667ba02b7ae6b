//! Checks and findings: every test a run performs, its decision, and the Benjamini–Hochberg
//! correction across all of them.
//!
//! A check becomes a finding when its test is significant after BH (q ≤ `fdr`) **and** its
//! effect size passes the warn threshold; the alert threshold raises the severity. Too few
//! cases gives `insufficient`, never a silent pass.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::stats::fdr::benjamini_hochberg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Pass,
    Insufficient,
    Info,
    Warn,
    Alert,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Pass => "pass",
            Severity::Insufficient => "insufficient",
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Alert => "alert",
        }
    }
}

/// What a check looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A feature's distribution.
    FeatureDrift,
    /// A category never seen in the baseline.
    NewCategory,
    /// A feature's missing-value rate.
    Missingness,
    /// The mix of a subgroup definition (e.g. the share of each age band).
    Composition,
    /// The model's score distribution or predicted-positive rate.
    ModelOutput,
    /// A performance metric (AUROC, sensitivity…) against the baseline, non-inferiority.
    Performance,
    /// The share of positive labels.
    LabelShift,
    /// Performance fell while the inputs did not drift.
    ConceptDrift,
    /// A change point in the time-ordered error stream.
    ChangePoint,
    /// A model or model version that nobody approved.
    ModelVersion,
    /// A release-gate comparison of a candidate with the production model.
    Gate,
    /// How serving cases fill the baseline's acquisition clusters.
    ClusterOccupancy,
    /// Serving cases farther from every cluster than the baseline's 99th percentile.
    NovelCases,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::FeatureDrift => "feature drift",
            Kind::NewCategory => "new category",
            Kind::Missingness => "missing values",
            Kind::Composition => "composition",
            Kind::ModelOutput => "model output",
            Kind::Performance => "performance",
            Kind::LabelShift => "label shift",
            Kind::ConceptDrift => "concept drift",
            Kind::ChangePoint => "change point",
            Kind::ModelVersion => "model version",
            Kind::Gate => "release gate",
            Kind::ClusterOccupancy => "cluster occupancy",
            Kind::NovelCases => "novel cases",
        }
    }
}

/// One test performed.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub kind: Kind,
    /// The feature, output or subgroup definition tested.
    pub subject: String,
    /// The subgroup tested in, or None for all cases.
    pub subgroup: Option<String>,
    /// The test: `ks`, `chi2`, …
    pub test: &'static str,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    /// The effect size the decision used, and its name and warn/alert thresholds.
    pub effect: Option<f64>,
    pub effect_name: &'static str,
    pub threshold: f64,
    pub alert_threshold: f64,
    pub severity: Severity,
    pub n_baseline: u64,
    pub n_serving: u64,
    /// Other statistics worth showing (PSI, JS distance…), name → value.
    pub extra: BTreeMap<&'static str, f64>,
    /// Plain-language summary of the change, e.g. "median 1.25 → 5".
    pub summary: String,
    pub action: String,
}

impl Check {
    /// A check that has not run yet: no numbers, severity `pass`, in all cases.
    pub fn new(kind: Kind, subject: impl Into<String>, test: &'static str) -> Check {
        Check {
            kind,
            subject: subject.into(),
            subgroup: None,
            test,
            statistic: None,
            p_value: None,
            q_value: None,
            effect: None,
            effect_name: "",
            threshold: 0.0,
            alert_threshold: 0.0,
            severity: Severity::Pass,
            n_baseline: 0,
            n_serving: 0,
            extra: BTreeMap::new(),
            summary: String::new(),
            action: String::new(),
        }
    }

    pub fn is_finding(&self) -> bool {
        self.severity >= Severity::Warn
    }
}

/// Fills in q-values over every check with a p-value, then decides each severity.
pub fn decide(checks: &mut [Check], fdr: f64) {
    let indexed: Vec<usize> = (0..checks.len())
        .filter(|&i| checks[i].p_value.is_some() && checks[i].severity != Severity::Insufficient)
        .collect();
    let p: Vec<f64> = indexed
        .iter()
        .map(|&i| checks[i].p_value.unwrap_or(f64::NAN))
        .collect();
    let q = benjamini_hochberg(&p);
    for (&i, q) in indexed.iter().zip(q) {
        let check = &mut checks[i];
        check.q_value = q.is_finite().then_some(q);
        let significant = q.is_finite() && q <= fdr;
        let effect = check.effect.unwrap_or(0.0);
        check.severity = match (significant, effect) {
            (true, e) if e >= check.alert_threshold => Severity::Alert,
            (true, e) if e >= check.threshold => Severity::Warn,
            (true, _) => Severity::Info,
            (false, _) => Severity::Pass,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: f64, effect: f64) -> Check {
        Check {
            kind: Kind::FeatureDrift,
            subject: "x".into(),
            subgroup: None,
            test: "ks",
            statistic: None,
            p_value: Some(p),
            q_value: None,
            effect: Some(effect),
            effect_name: "w",
            threshold: 0.1,
            alert_threshold: 0.25,
            severity: Severity::Pass,
            n_baseline: 100,
            n_serving: 100,
            extra: BTreeMap::new(),
            summary: String::new(),
            action: String::new(),
        }
    }

    #[test]
    fn a_finding_needs_both_significance_and_effect() {
        let mut checks = vec![
            check(1e-9, 0.5),  // significant, large: alert
            check(1e-9, 0.15), // significant, moderate: warn
            check(1e-9, 0.01), // significant, trivial: info, not a finding
            check(0.5, 0.9),   // large but not significant: pass
        ];
        decide(&mut checks, 0.05);
        let got: Vec<Severity> = checks.iter().map(|c| c.severity).collect();
        assert_eq!(
            got,
            vec![
                Severity::Alert,
                Severity::Warn,
                Severity::Info,
                Severity::Pass
            ]
        );
    }

    #[test]
    fn correction_spans_all_checks() {
        // 0.03 alone is significant; among 20 null-ish p-values it is not.
        let mut alone = vec![check(0.03, 1.0)];
        decide(&mut alone, 0.05);
        assert_eq!(alone[0].severity, Severity::Alert);
        let mut many: Vec<Check> = (0..20).map(|_| check(0.6, 1.0)).collect();
        many.push(check(0.03, 1.0));
        decide(&mut many, 0.05);
        assert_eq!(many[20].severity, Severity::Pass);
        assert!(
            (many[20].q_value.unwrap() - 0.6).abs() < 1e-12,
            "BH is monotone: min over later ranks"
        );
    }
}

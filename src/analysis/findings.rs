//! Checks and findings: every test a run performs, its decision, and the Benjamini–Hochberg
//! correction across all of them.
//!
//! A check becomes a finding when its test is significant after BH (q ≤ `fdr`) **and** the
//! near end of its effect's confidence interval clears the warn threshold ("the change is
//! at least this large"); clearing the alert threshold raises the severity. A point estimate
//! past the threshold whose interval does not clear it is `info`. Too few cases gives
//! `insufficient`, never a silent pass.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

pub use super::distribution::Distribution;
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
    /// A performance metric estimated from calibrated scores, before labels arrive.
    EstimatedPerformance,
    /// Labels no longer match what the baseline's calibration expects from the scores.
    CalibrationDrift,
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
    /// An input the night should have and does not: no cases, no inferences, no headers.
    MissingInput,
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
            Kind::EstimatedPerformance => "estimated performance",
            Kind::CalibrationDrift => "calibration drift",
            Kind::LabelShift => "label shift",
            Kind::ConceptDrift => "concept drift",
            Kind::ChangePoint => "change point",
            Kind::ModelVersion => "model version",
            Kind::Gate => "release gate",
            Kind::ClusterOccupancy => "cluster occupancy",
            Kind::NovelCases => "novel cases",
            Kind::MissingInput => "missing input",
        }
    }
}

/// The confidence of every effect interval before selection.
pub const CONFIDENCE: f64 = 0.95;

/// A check's effect interval at any confidence level: `confidence → (low, high)`. Kept so
/// that [`decide`] can widen the intervals of the checks Benjamini–Hochberg selects to the
/// false-coverage-rate level (Benjamini & Yekutieli 2005).
#[derive(Clone)]
pub struct IntervalFn(Arc<dyn Fn(f64) -> Option<(f64, f64)> + Send + Sync>);

impl IntervalFn {
    pub fn new(f: impl Fn(f64) -> Option<(f64, f64)> + Send + Sync + 'static) -> Self {
        IntervalFn(Arc::new(f))
    }

    /// `estimate ± z·se`, the low end floored at `floor` (0 for a distance).
    pub fn symmetric(estimate: f64, se: f64, floor: f64) -> Self {
        IntervalFn::new(move |confidence| {
            let z = crate::stats::proportion::z_critical(confidence)?;
            Some(((estimate - z * se).max(floor), estimate + z * se))
        })
    }

    pub fn at(&self, confidence: f64) -> Option<(f64, f64)> {
        (self.0)(confidence)
    }
}

impl std::fmt::Debug for IntervalFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntervalFn")
    }
}

/// Which way an effect must move to matter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// A distance or share change (≥ 0): it matters when the interval's low end is at or
    /// above the threshold.
    #[default]
    Larger,
    /// A serving − baseline performance difference against `−margin`: it matters when the
    /// interval's high end is below the threshold.
    Lower,
}

/// One earlier night of a check, from the audit history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    /// Start of that run's window (RFC 3339).
    pub window_start: String,
    pub effect: Option<f64>,
    pub effect_ci_low: Option<f64>,
    pub effect_ci_high: Option<f64>,
    pub severity: Severity,
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
    /// The effect's confidence interval (95% unless the method says otherwise); the
    /// decision reads its near end.
    pub effect_ci_low: Option<f64>,
    pub effect_ci_high: Option<f64>,
    pub effect_name: &'static str,
    /// Which end of the interval is compared with the thresholds.
    pub direction: Direction,
    pub threshold: f64,
    pub alert_threshold: f64,
    pub severity: Severity,
    /// How to recompute the interval at another confidence (not serialised).
    #[serde(skip)]
    pub interval: Option<IntervalFn>,
    /// For a check over all cases (or a whole subgroup split): the subgroup that explains
    /// it — the change is found there and in no other subgroup of the same split.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained_by: Option<String>,
    /// From the audit history: the start (RFC 3339) of the window of the earliest run from
    /// which this check has been at warn or above without a break.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// From the audit history: this check in earlier runs of the same sequence, oldest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trend: Vec<TrendPoint>,
    /// From the audit history: the sequential rule's state after tonight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequential: Option<crate::analysis::sequential::SequentialState>,
    pub n_baseline: u64,
    pub n_serving: u64,
    /// Other statistics worth showing (PSI, JS distance…), name → value.
    pub extra: BTreeMap<&'static str, f64>,
    /// Plain-language summary of the change, e.g. "median 1.25 → 5".
    pub summary: String,
    pub action: String,
    /// A drift check: both sides' distributions, for the charts of report.html.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Distribution>,
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
            effect_ci_low: None,
            effect_ci_high: None,
            effect_name: "",
            direction: Direction::Larger,
            threshold: 0.0,
            alert_threshold: 0.0,
            severity: Severity::Pass,
            interval: None,
            explained_by: None,
            first_seen: None,
            trend: Vec::new(),
            sequential: None,
            n_baseline: 0,
            n_serving: 0,
            extra: BTreeMap::new(),
            summary: String::new(),
            action: String::new(),
            distribution: None,
        }
    }

    pub fn is_finding(&self) -> bool {
        self.severity >= Severity::Warn
    }

    /// Sets the effect and its interval at [`CONFIDENCE`].
    pub fn set_effect(&mut self, effect: f64, low: f64, high: f64) {
        self.effect = Some(effect);
        self.effect_ci_low = Some(low);
        self.effect_ci_high = Some(high);
    }

    /// Sets the effect and the function that gives its interval at any confidence; the
    /// interval shown starts at [`CONFIDENCE`].
    pub fn set_effect_with(&mut self, effect: f64, interval: IntervalFn) {
        self.effect = Some(effect);
        (self.effect_ci_low, self.effect_ci_high) = interval.at(CONFIDENCE).unzip();
        self.interval = Some(interval);
    }

    /// Whether `value` is past `threshold` in this check's direction.
    pub(crate) fn past(&self, value: f64, threshold: f64) -> bool {
        match self.direction {
            Direction::Larger => value >= threshold,
            Direction::Lower => value < threshold,
        }
    }

    /// The end of the effect's interval nearest to "no change" (the point estimate when a
    /// check has no interval).
    fn near_end(&self) -> Option<f64> {
        match self.direction {
            Direction::Larger => self.effect_ci_low,
            Direction::Lower => self.effect_ci_high,
        }
        .or(self.effect)
    }

    /// The severity the interval rule gives, for a check whose significance is `significant`.
    pub fn judge(&self, significant: bool) -> Severity {
        let near = self.near_end();
        let clears = |t: f64| near.is_some_and(|v| self.past(v, t));
        let point = self.effect.is_some_and(|e| self.past(e, self.threshold));
        if significant && clears(self.alert_threshold) {
            Severity::Alert
        } else if significant && clears(self.threshold) {
            Severity::Warn
        } else if significant || point {
            Severity::Info
        } else {
            Severity::Pass
        }
    }
}

/// The family a check's p-value is corrected in: what kind of claim it makes (a drift-style
/// effect, a realized performance fall, an estimated one) and where (all cases — the
/// primary question, a few dozen checks — or a subgroup or label version, where the many
/// chance results are). A realized performance metric's subgroup checks form a family per
/// metric (sensitivity across the dozen subgroups), as Holm or BH within a metric would:
/// pooling all metrics × groups made a real fall in one subgroup pay for sixty tests. Each family
/// gets its own Benjamini–Hochberg correction and its own false-coverage level.
fn family(check: &Check) -> (u8, &str) {
    let claim = match (check.direction, check.kind) {
        (Direction::Larger, _) => 0,
        (Direction::Lower, Kind::EstimatedPerformance) => 2,
        (Direction::Lower, _) => 1,
    };
    let scope = u8::from(check.subgroup.is_some());
    // Estimated checks stay pooled across metrics: they are capped at warnings anyway, and
    // per metric they warned in 2.4% of null 200-case windows.
    let metric = if claim == 1 && scope == 1 {
        check.subject.as_str()
    } else {
        ""
    };
    (2 * claim + scope, metric)
}

/// Fills in q-values (Benjamini–Hochberg within each [`family`]) over every check with a
/// p-value, widens the intervals of the selected checks to the false-coverage-rate level,
/// then decides each severity.
pub fn decide(checks: &mut [Check], fdr: f64) {
    let decidable = |c: &Check| c.p_value.is_some() && c.severity != Severity::Insufficient;
    let mut families: Vec<(u8, String)> = checks
        .iter()
        .filter(|c| decidable(c))
        .map(|c| {
            let (f, metric) = family(c);
            (f, metric.to_string())
        })
        .collect();
    families.sort();
    families.dedup();
    for (f, metric) in families {
        let indexed: Vec<usize> = (0..checks.len())
            .filter(|&i| decidable(&checks[i]) && family(&checks[i]) == (f, metric.as_str()))
            .collect();
        decide_family(checks, &indexed, fdr);
    }
}

fn decide_family(checks: &mut [Check], indexed: &[usize], fdr: f64) {
    let p: Vec<f64> = indexed
        .iter()
        .map(|&i| checks[i].p_value.unwrap_or(f64::NAN))
        .collect();
    let q = benjamini_hochberg(&p);
    let tests = q.iter().filter(|q| q.is_finite()).count();
    let selected = q.iter().filter(|&&q| q.is_finite() && q <= fdr).count();
    // Benjamini–Yekutieli (2005): intervals for the R parameters BH selects out of m, each
    // at level 1 − R·q/m, keep the expected share of non-covering intervals among the
    // selected at q; few selections (a quiet night) widen them most. The claim is one-sided
    // ("at least this large"), so the one-sided level 1 − R·q/m is the two-sided interval
    // at 1 − 2·R·q/m. A performance check needs no widening: its p-value already tests the
    // one-sided claim "the fall exceeds the margin", so BH on it is the correction.
    let level = (tests > 0).then(|| 1.0 - 2.0 * selected as f64 * fdr / tests as f64);
    for (&i, q) in indexed.iter().zip(q) {
        let check = &mut checks[i];
        check.q_value = q.is_finite().then_some(q);
        let significant = q.is_finite() && q <= fdr;
        let widen = check.direction == Direction::Larger;
        if let (true, true, Some(level), Some(f)) = (significant, widen, level, &check.interval) {
            if level > CONFIDENCE {
                if let Some((low, high)) = f.at(level) {
                    (check.effect_ci_low, check.effect_ci_high) = (Some(low), Some(high));
                    check.extra.insert("ci_level", level);
                }
            }
        }
        check.severity = check.judge(significant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: f64, effect: f64) -> Check {
        let mut c = Check::new(Kind::FeatureDrift, "x", "ks");
        c.p_value = Some(p);
        c.set_effect(effect, effect, effect);
        c.effect_name = "w";
        c.threshold = 0.1;
        c.alert_threshold = 0.25;
        c.n_baseline = 100;
        c.n_serving = 100;
        c
    }

    #[test]
    fn a_finding_needs_both_significance_and_effect() {
        let mut checks = vec![
            check(1e-9, 0.5),  // significant, large: alert
            check(1e-9, 0.15), // significant, moderate: warn
            check(1e-9, 0.01), // significant, trivial: info, not a finding
            check(0.5, 0.05),  // small and not significant: pass
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
    fn the_interval_decides_not_the_point_estimate() {
        let with_ci = |effect: f64, low: f64, high: f64| {
            let mut c = check(1e-6, effect);
            c.set_effect(effect, low, high);
            c
        };
        let mut checks = vec![
            with_ci(0.40, 0.30, 0.50), // at least 0.25: alert
            with_ci(0.40, 0.12, 0.68), // at least 0.10: warn
            with_ci(0.40, 0.02, 0.78), // large point, wide interval: info
        ];
        decide(&mut checks, 0.05);
        let got: Vec<Severity> = checks.iter().map(|c| c.severity).collect();
        assert_eq!(got, vec![Severity::Alert, Severity::Warn, Severity::Info]);
        // A large point effect that fails BH is info, a trivial one pass.
        let mut weak = vec![check(0.5, 0.9), check(0.5, 0.01)];
        decide(&mut weak, 0.05);
        assert_eq!(weak[0].severity, Severity::Info);
        assert_eq!(weak[1].severity, Severity::Pass);
    }

    #[test]
    fn a_lower_check_needs_its_whole_interval_below_the_margin() {
        let perf = |d: f64, low: f64, high: f64| {
            let mut c = check(1e-6, d);
            c.direction = Direction::Lower;
            c.threshold = -0.05;
            c.alert_threshold = -0.05;
            c.set_effect(d, low, high);
            c
        };
        let mut checks = vec![
            perf(-0.30, -0.45, -0.15), // the fall is at least 0.15: alert
            perf(-0.09, -0.20, -0.02), // shown worse, not by the margin: info
            perf(0.01, -0.05, 0.07),
        ];
        decide(&mut checks, 0.05);
        let got: Vec<Severity> = checks.iter().map(|c| c.severity).collect();
        assert_eq!(got, vec![Severity::Alert, Severity::Info, Severity::Info]);
    }

    #[test]
    fn a_lone_selection_is_judged_on_a_wider_interval() {
        // W/SD 0.45 with se 0.08: at 95% the low end is 0.29 (an alert); selected alone
        // among 100 tests, the one-sided Benjamini–Yekutieli level is 1 − 0.05/100, the
        // two-sided interval at 1 − 2·0.05/100 with z = 3.29, so the low end is 0.19: a
        // warning.
        let lone = |others: usize, other_p: f64| {
            let mut c = check(1e-5, 0.45);
            c.set_effect_with(0.45, IntervalFn::symmetric(0.45, 0.08, 0.0));
            let mut checks = vec![c];
            checks.extend((0..others).map(|_| check(other_p, 0.0)));
            decide(&mut checks, 0.05);
            checks.swap_remove(0)
        };
        let alone = lone(99, 0.9);
        assert_eq!(alone.severity, Severity::Warn);
        assert!((alone.extra["ci_level"] - 0.999).abs() < 1e-12);
        assert!((alone.effect_ci_low.unwrap() - (0.45 - 3.2905 * 0.08)).abs() < 1e-3);
        // Among 99 other selections the level stays at 95%: an alert.
        let crowd = lone(99, 1e-9);
        assert_eq!(crowd.severity, Severity::Alert);
        assert!(!crowd.extra.contains_key("ci_level"));
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
        assert_eq!(
            many[20].severity,
            Severity::Info,
            "a large point effect only"
        );
        assert!(
            (many[20].q_value.unwrap() - 0.6).abs() < 1e-12,
            "BH is monotone: min over later ranks"
        );
    }
}

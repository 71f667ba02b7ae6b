//! Model performance where labels exist, baseline against serving, overall and per
//! subgroup: AUROC with a DeLong interval; sensitivity, specificity, PPV and NPV at the
//! operating threshold with Wilson intervals; Brier score and expected calibration error.
//!
//! A regression is judged by non-inferiority: the serving-minus-baseline difference's
//! interval (DeLong variances added for AUROC, Newcombe's hybrid score interval for the
//! proportions) lying entirely below `−margin` is an alert; a point estimate below
//! `−margin` whose interval does not exclude it is a warning. Too few labelled cases,
//! positives or negatives gives `insufficient`, never a pass.

use serde::Serialize;

use super::findings::{Check, Kind, Severity};
use crate::config::PerformanceConfig;
use crate::stats::calibration::{brier, reliability};
use crate::stats::proportion::{newcombe_diff, wilson, Interval};
use crate::stats::roc::delong;

const CONFIDENCE: f64 = 0.95;
/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;
/// Bins of the expected calibration error (equal width on [0, 1]).
pub const ECE_BINS: usize = 10;

/// Labelled cases of one group: score, label, prediction.
#[derive(Debug, Default, Clone)]
pub struct Labelled {
    pub scores: Vec<f64>,
    pub labels: Vec<bool>,
    pub predictions: Vec<bool>,
    /// Cases in the group, labelled or not (for label coverage).
    pub cases: u64,
}

/// A proportion with its Wilson interval.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rate {
    pub value: f64,
    pub successes: u64,
    pub n: u64,
    pub ci: Interval,
}

#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub cases: u64,
    pub labelled: u64,
    pub positives: u64,
    pub negatives: u64,
    pub auroc: Option<(f64, f64, Interval)>,
    pub sensitivity: Option<Rate>,
    pub specificity: Option<Rate>,
    pub ppv: Option<Rate>,
    pub npv: Option<Rate>,
    pub brier: Option<f64>,
    pub ece: Option<f64>,
}

fn rate(successes: u64, n: u64) -> Option<Rate> {
    Some(Rate {
        value: successes as f64 / n as f64,
        successes,
        n,
        ci: wilson(successes, n, CONFIDENCE)?,
    })
}

pub fn metrics(group: &Labelled) -> Metrics {
    let (mut tp, mut fp, mut tn, mut fneg) = (0u64, 0u64, 0u64, 0u64);
    for (&label, &predicted) in group.labels.iter().zip(&group.predictions) {
        match (label, predicted) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fneg += 1,
        }
    }
    let d = delong(&group.scores, &group.labels, CONFIDENCE);
    Metrics {
        cases: group.cases,
        labelled: group.labels.len() as u64,
        positives: tp + fneg,
        negatives: tn + fp,
        auroc: d.map(|d| (d.auc, d.variance, d.ci)),
        sensitivity: rate(tp, tp + fneg),
        specificity: rate(tn, tn + fp),
        ppv: rate(tp, tp + fp),
        npv: rate(tn, tn + fneg),
        brier: brier(&group.scores, &group.labels),
        ece: reliability(&group.scores, &group.labels, ECE_BINS).map(|r| r.ece),
    }
}

/// The performance checks of one group: each metric serving vs baseline, and calibration.
pub fn compare(
    baseline: &Metrics,
    serving: &Metrics,
    subgroup: Option<&str>,
    config: &PerformanceConfig,
) -> Vec<Check> {
    let enough = |m: &Metrics| {
        m.labelled as usize >= config.min_labelled
            && m.positives as usize >= config.min_positives
            && m.negatives as usize >= config.min_positives
    };
    let sufficient = enough(baseline) && enough(serving);
    let mut out = Vec::new();
    let auroc_diff = match (baseline.auroc, serving.auroc) {
        (Some((b, vb, _)), Some((s, vs, _))) => {
            let half = Z95 * (vb + vs).sqrt();
            Some((
                b,
                s,
                s - b,
                Interval {
                    low: s - b - half,
                    high: s - b + half,
                },
            ))
        }
        _ => None,
    };
    out.push(metric_check(
        "auroc", auroc_diff, baseline, serving, subgroup, sufficient, config,
    ));
    for (name, pick) in [
        (
            "sensitivity",
            (|m: &Metrics| m.sensitivity) as fn(&Metrics) -> Option<Rate>,
        ),
        ("specificity", |m: &Metrics| m.specificity),
        ("ppv", |m: &Metrics| m.ppv),
        ("npv", |m: &Metrics| m.npv),
    ] {
        let diff = match (pick(baseline), pick(serving)) {
            (Some(b), Some(s)) => newcombe_diff(s.successes, s.n, b.successes, b.n, CONFIDENCE)
                .map(|(d, ci)| (b.value, s.value, d, ci)),
            _ => None,
        };
        out.push(metric_check(
            name, diff, baseline, serving, subgroup, sufficient, config,
        ));
    }
    out.push(calibration_check(
        baseline, serving, subgroup, sufficient, config,
    ));
    out
}

fn empty_check(subject: &str, subgroup: Option<&str>, b: &Metrics, s: &Metrics) -> Check {
    Check {
        subgroup: subgroup.map(str::to_string),
        effect_name: "serving − baseline",
        n_baseline: b.labelled,
        n_serving: s.labelled,
        ..Check::new(Kind::Performance, subject, "non-inferiority")
    }
}

fn insufficient_summary(b: &Metrics, s: &Metrics, config: &PerformanceConfig) -> String {
    format!(
        "labelled cases (positives/negatives): baseline {} ({}/{}), serving {} ({}/{}); {} labelled and {} of each class needed",
        b.labelled, b.positives, b.negatives, s.labelled, s.positives, s.negatives,
        config.min_labelled, config.min_positives
    )
}

fn metric_check(
    metric: &str,
    diff: Option<(f64, f64, f64, Interval)>,
    b: &Metrics,
    s: &Metrics,
    subgroup: Option<&str>,
    sufficient: bool,
    config: &PerformanceConfig,
) -> Check {
    let margin = config.margin(metric);
    let mut check = empty_check(metric, subgroup, b, s);
    check.threshold = -margin;
    check.alert_threshold = -margin;
    let scope = subgroup.map_or(String::new(), |g| format!(" for {g}"));
    let Some((bv, sv, d, ci)) = diff.filter(|_| sufficient) else {
        check.severity = Severity::Insufficient;
        check.summary = insufficient_summary(b, s, config);
        check.action = format!("Acquire labelled cases{scope} before judging its {metric}.");
        return check;
    };
    check.statistic = Some(d);
    check.effect = Some(d);
    check.extra.insert("baseline", bv);
    check.extra.insert("serving", sv);
    check.extra.insert("ci_low", ci.low);
    check.extra.insert("ci_high", ci.high);
    check.summary = format!(
        "{metric}{scope}: {bv:.3} → {sv:.3}, difference {d:+.3} [{:+.3}, {:+.3}], margin {margin}",
        ci.low, ci.high
    );
    check.severity = if ci.high < -margin {
        Severity::Alert
    } else if d < -margin {
        Severity::Warn
    } else {
        Severity::Pass
    };
    check.action = format!(
        "Review recent false {}{scope} with radiologists; acquire labelled cases for this group before retraining; consider recalibration or retraining if confirmed.",
        if metric == "specificity" || metric == "ppv" { "positives" } else { "negatives" }
    );
    check
}

fn calibration_check(
    b: &Metrics,
    s: &Metrics,
    subgroup: Option<&str>,
    sufficient: bool,
    config: &PerformanceConfig,
) -> Check {
    let mut check = empty_check("calibration (ECE)", subgroup, b, s);
    check.test = "ece-change";
    check.effect_name = "ECE rise";
    check.threshold = config.ece_warn;
    check.alert_threshold = 2.0 * config.ece_warn;
    let (Some(eb), Some(es), true) = (b.ece, s.ece, sufficient) else {
        check.severity = Severity::Insufficient;
        check.summary = insufficient_summary(b, s, config);
        return check;
    };
    let rise = es - eb;
    check.effect = Some(rise);
    check.extra.insert("ece_baseline", eb);
    check.extra.insert("ece_serving", es);
    if let (Some(bb), Some(bs)) = (b.brier, s.brier) {
        check.extra.insert("brier_baseline", bb);
        check.extra.insert("brier_serving", bs);
    }
    check.summary =
        format!("expected calibration error {eb:.3} → {es:.3} ({ECE_BINS} equal-width bins)");
    check.severity = if rise >= check.alert_threshold {
        Severity::Alert
    } else if rise >= check.threshold {
        Severity::Warn
    } else {
        Severity::Pass
    };
    check.action = "The model's probabilities no longer match observed rates: consider recalibrating on recent labelled cases.".to_string();
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(n: usize, flip_every: usize) -> Labelled {
        // Scores that separate perfectly, except every `flip_every`-th positive is missed.
        let mut g = Labelled::default();
        for i in 0..n {
            let label = i % 3 == 0;
            let missed = label && flip_every > 0 && i % flip_every == 0;
            let score = if label && !missed { 0.8 } else { 0.2 } + (i % 7) as f64 * 0.01;
            g.scores.push(score);
            g.labels.push(label);
            g.predictions.push(score >= 0.5);
        }
        g.cases = n as u64;
        g
    }

    #[test]
    fn a_clear_sensitivity_fall_is_an_alert() {
        let config = PerformanceConfig::default();
        let b = metrics(&group(600, 0));
        let s = metrics(&group(600, 2));
        let checks = compare(&b, &s, None, &config);
        let sens = checks.iter().find(|c| c.subject == "sensitivity").unwrap();
        assert_eq!(sens.severity, Severity::Alert, "{}", sens.summary);
        let spec = checks.iter().find(|c| c.subject == "specificity").unwrap();
        assert_eq!(spec.severity, Severity::Pass, "{}", spec.summary);
    }

    #[test]
    fn too_few_labels_is_insufficient_not_a_pass() {
        let config = PerformanceConfig::default();
        let checks = compare(
            &metrics(&group(600, 0)),
            &metrics(&group(20, 2)),
            None,
            &config,
        );
        assert!(checks.iter().all(|c| c.severity == Severity::Insufficient));
    }
}

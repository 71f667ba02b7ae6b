//! Model performance where labels exist, baseline against serving, overall and per
//! subgroup: AUROC with a DeLong interval; sensitivity, specificity, PPV and NPV at the
//! operating threshold with Wilson intervals; Brier score and expected calibration error.
//!
//! A regression is judged by non-inferiority: the serving-minus-baseline difference's
//! interval (DeLong variances added for AUROC, Newcombe's hybrid score interval for the
//! proportions) lying entirely below `−margin` is an alert, provided its one-sided
//! p-value against "the fall is no more than the margin" passes Benjamini–Hochberg across
//! the run ([`crate::analysis::findings::decide`]); a point estimate below `−margin` whose
//! interval does not exclude it is `info`. Too few labelled cases, positives or negatives
//! gives `insufficient`, never a pass.

use serde::Serialize;

use statrs::distribution::{ContinuousCDF, Normal};

use crate::analysis::findings::{Check, Direction, IntervalFn, Kind, Severity};
use crate::config::PerformanceConfig;
use crate::stats::calibration::{brier, reliability};
use crate::stats::interval::{bin_residuals, ece_rise_interval, ece_rise_p_value, BinResiduals};
use crate::stats::proportion::{newcombe_diff, wilson, Interval};
use crate::stats::roc::delong;

const CONFIDENCE: f64 = 0.95;
/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;
/// Bins of the expected calibration error (equal width on [0, 1]).
pub const ECE_BINS: usize = 10;
/// Bootstrap replicates and seed of the ECE-rise interval (fixed: same input, same report).
const ECE_REPLICATES: usize = 1000;
const ECE_SEED: u64 = 0x00EC_E5EE_D000;
/// Labelled cases on each side below which the ECE check is insufficient.
pub const ECE_MIN_LABELLED: usize = 100;

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
    /// The residual sums behind the ECE, for its interval.
    #[serde(skip)]
    pub ece_bins: Vec<BinResiduals>,
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
        ece_bins: bin_residuals(&group.scores, &group.labels, ECE_BINS),
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
            Some(Difference {
                baseline: b,
                serving: s,
                diff: s - b,
                ci: Interval {
                    low: s - b - half,
                    high: s - b + half,
                },
                interval: IntervalFn::symmetric(s - b, (vb + vs).sqrt(), f64::NEG_INFINITY),
                detectable: None,
            })
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
                .map(|(diff, ci)| Difference {
                    baseline: b.value,
                    serving: s.value,
                    diff,
                    ci,
                    interval: IntervalFn::new(move |c| {
                        newcombe_diff(s.successes, s.n, b.successes, b.n, c)
                            .map(|(_, ci)| (ci.low, ci.high))
                    }),
                    detectable: detectable_fall_of_rates(s, b, config.margin(name), config.power),
                }),
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

/// A metric on both sides and the interval of serving − baseline.
#[derive(Debug, Clone)]
struct Difference {
    baseline: f64,
    serving: f64,
    diff: f64,
    /// At [`CONFIDENCE`].
    ci: Interval,
    /// At any confidence, for the false-coverage-rate widening of selected checks.
    interval: IntervalFn,
    /// The detectable fall where it is computed at the fallen rate (proportions).
    detectable: Option<f64>,
}

impl Difference {
    /// One-sided p-value of "the fall is no more than `margin`" (H₀: diff ≥ −margin), from
    /// the normal approximation whose standard error is the interval's upper half-width
    /// over z — so p < 0.025 exactly when the 95% interval lies below −margin.
    fn p_beyond_margin(&self, margin: f64) -> f64 {
        let se = (self.ci.high - self.diff) / Z95;
        if se > 0.0 {
            Normal::standard().cdf((self.diff + margin) / se)
        } else if self.diff < -margin {
            0.0
        } else {
            1.0
        }
    }
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
    diff: Option<Difference>,
    b: &Metrics,
    s: &Metrics,
    subgroup: Option<&str>,
    sufficient: bool,
    config: &PerformanceConfig,
) -> Check {
    let margin = config.margin(metric);
    let mut check = empty_check(metric, subgroup, b, s);
    check.direction = Direction::Lower;
    check.threshold = -margin;
    check.alert_threshold = -margin;
    let scope = subgroup.map_or(String::new(), |g| format!(" for {g}"));
    let Some(difference) = diff.filter(|_| sufficient) else {
        check.severity = Severity::Insufficient;
        check.summary = insufficient_summary(b, s, config);
        check.action = format!("Acquire labelled cases{scope} before judging its {metric}.");
        return check;
    };
    check.p_value = Some(difference.p_beyond_margin(margin));
    let Difference {
        baseline: bv,
        serving: sv,
        diff: d,
        ci,
        interval,
        detectable,
    } = difference;
    check.statistic = Some(d);
    check.set_effect_with(d, interval);
    check.extra.insert("baseline", bv);
    check.extra.insert("serving", sv);
    check.extra.insert("ci_low", ci.low);
    check.extra.insert("ci_high", ci.high);
    check.extra.insert(
        "detectable_fall",
        detectable.unwrap_or_else(|| detectable_fall(margin, ci, config.power)),
    );
    check.extra.insert("power", config.power);
    check.summary = format!(
        "{metric}{scope}: {bv:.3} → {sv:.3}, difference {d:+.3} [{:+.3}, {:+.3}], margin {margin}",
        ci.low, ci.high
    );
    // Decided with every other check of the run (`findings::decide`): BH on the p-value
    // above, then the interval against −margin.
    check.severity = Severity::Pass;
    check.action = format!(
        "Review recent false {}{scope} with radiologists; acquire labelled cases for this group before retraining; consider recalibration or retraining if confirmed.",
        if metric == "specificity" || metric == "ppv" { "positives" } else { "negatives" }
    );
    check
}

/// The smallest true fall (baseline − serving) that this night would show as an alert with
/// probability `power`: the difference's interval must clear −margin, so the fall must
/// exceed the margin by (z₀.₉₇₅ + z_power) standard errors, the standard error read off the
/// interval's width. Before the run's multiple-testing correction, so a lower bound.
fn detectable_fall(margin: f64, ci: Interval, power: f64) -> f64 {
    let se = (ci.high - ci.low) / (2.0 * Z95);
    margin + (Z95 + Normal::standard().inverse_cdf(power)) * se
}

/// The detectable fall of a proportion, with the standard error taken where the fall would
/// put the serving rate (baseline − fall), not where it is tonight: a rate of 0.57 varies
/// more than one of 0.80, and the interval at the fallen rate is what must clear −margin.
/// Solved by fixed-point iteration of fall = margin + (z₀.₉₇₅ + z_power) · se(fall); capped
/// at the baseline rate (a fall to zero).
fn detectable_fall_of_rates(s: Rate, b: Rate, margin: f64, power: f64) -> Option<f64> {
    let z = Z95 + Normal::standard().inverse_cdf(power);
    let se_at = |fall: f64| {
        let rate = (b.value - fall).clamp(0.0, 1.0);
        let successes = (rate * s.n as f64).round() as u64;
        newcombe_diff(successes, s.n, b.successes, b.n, CONFIDENCE)
            .map(|(_, ci)| (ci.high - ci.low) / (2.0 * Z95))
    };
    let mut fall = margin + z * se_at(0.0)?;
    for _ in 0..30 {
        let next = (margin + z * se_at(fall)?).min(b.value);
        if (next - fall).abs() < 1e-6 {
            return Some(next);
        }
        fall = next;
    }
    Some(fall)
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
    // Ten bins need about ten cases each before an ECE means anything.
    let enough = |m: &Metrics| m.labelled as usize >= ECE_MIN_LABELLED;
    let (Some(eb), Some(es), true) = (b.ece, s.ece, sufficient && enough(b) && enough(s)) else {
        check.severity = Severity::Insufficient;
        check.summary = format!(
            "{}; the calibration error needs {ECE_MIN_LABELLED} labelled cases on each side",
            insufficient_summary(b, s, config)
        );
        return check;
    };
    let Some((rise, ci)) = ece_rise_interval(
        &b.ece_bins,
        &s.ece_bins,
        CONFIDENCE,
        ECE_REPLICATES,
        ECE_SEED,
    ) else {
        check.severity = Severity::Insufficient;
        check.summary = insufficient_summary(b, s, config);
        return check;
    };
    check.set_effect(rise, ci.low, ci.high);
    check.extra.insert("ece_baseline", eb);
    check.extra.insert("ece_serving", es);
    if let (Some(bb), Some(bs)) = (b.brier, s.brier) {
        check.extra.insert("brier_baseline", bb);
        check.extra.insert("brier_serving", bs);
    }
    check.summary =
        format!("expected calibration error {eb:.3} → {es:.3} ({ECE_BINS} equal-width bins)");
    // Decided with the run's other checks (BH on the bootstrap p-value, then the interval).
    check.p_value = ece_rise_p_value(&b.ece_bins, &s.ece_bins, ECE_REPLICATES, ECE_SEED);
    check.severity = Severity::Pass;
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

    /// The quoted detectable fall means what it says: simulated nights whose true
    /// sensitivity is lower by that fall give an interval beyond −margin about `power` of
    /// the time (checked at 40 and 200 positives; binomial draws, fixed seed).
    #[test]
    fn a_fall_of_the_detectable_size_shows_at_the_configured_power() {
        use rand::{Rng, SeedableRng};
        let (margin, power, p0, n_base) = (0.05, 0.8, 0.80, 600u64);
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        for n in [40u64, 200] {
            let b = (p0 * n_base as f64).round() as u64;
            let s = (p0 * n as f64).round() as u64;
            let rate = |successes: u64, n: u64| Rate {
                value: successes as f64 / n as f64,
                successes,
                n,
                ci: Interval {
                    low: 0.0,
                    high: 1.0,
                },
            };
            let fall =
                detectable_fall_of_rates(rate(s, n), rate(b, n_base), margin, power).unwrap();
            let trials = 2000;
            let mut shown = 0;
            for _ in 0..trials {
                let draw = |n: u64, p: f64, rng: &mut rand_xoshiro::Xoshiro256PlusPlus| {
                    (0..n).filter(|_| rng.random::<f64>() < p).count() as u64
                };
                let bs = draw(n_base, p0, &mut rng);
                let ss = draw(n, p0 - fall, &mut rng);
                let (_, ci) = newcombe_diff(ss, n, bs, n_base, CONFIDENCE).unwrap();
                shown += usize::from(ci.high < -margin);
            }
            let rate = shown as f64 / trials as f64;
            assert!(
                (0.72..=0.9).contains(&rate),
                "n {n}: fall {fall:.3} shown in {rate:.3} of nights, power {power}"
            );
        }
    }

    #[test]
    fn a_clear_sensitivity_fall_is_an_alert() {
        let config = PerformanceConfig::default();
        let b = metrics(&group(600, 0));
        let s = metrics(&group(600, 2));
        let mut checks = compare(&b, &s, None, &config);
        crate::analysis::findings::decide(&mut checks, 0.05);
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

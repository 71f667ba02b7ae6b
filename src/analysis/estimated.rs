//! Estimated performance before labels arrive (confidence-based performance estimation, as
//! NannyML's CBPE), and the check of its assumption once they do.
//!
//! With a calibration map `c` fitted on the baseline's labelled cases, a serving case with
//! score `s` is positive with probability `p = c(s)`. At the logged predictions `ŷ`, the
//! expected confusion matrix is `TP = Σ p·ŷ`, `FN = Σ p·(1 − ŷ)`, `FP = Σ (1 − p)·ŷ`,
//! `TN = Σ (1 − p)·(1 − ŷ)`, from which sensitivity, specificity, PPV and NPV follow; the
//! estimated AUROC is the Mann–Whitney statistic with the `p` as soft labels. Intervals come
//! from the variance of what the *realized* metric would be if each label were drawn from
//! its `p` independently (delta method for the ratios; Hanley–McNeil for AUROC with `Σp` and
//! `Σ(1 − p)` as the class sizes).
//!
//! The assumption is that `P(label | score)` is what it was in validation. On labelled
//! serving cases the mean of `label − c(score)` estimates how far it moved: a mean whose
//! interval clears the threshold says "the scores no longer mean what they meant", which
//! points at concept drift or a label-definition change.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::findings::{Check, Direction, IntervalFn, Kind, Severity, CONFIDENCE};
use super::performance::Metrics;
use crate::config::{DriftConfig, PerformanceConfig};
use crate::stats::calibrate::CalibrationMap;
use crate::stats::calibration::{reliability, ReliabilityBin};
use crate::stats::proportion::z_critical;

/// Below these many labelled baseline cases (or cases of either class) the calibration map
/// is Platt scaling instead of isotonic regression: isotonic regression converges slowly
/// (its error shrinks like n^(−1/3)) and with a few hundred labels it is a staircase of a
/// handful of steps whose plateaus tie scores the model ranked apart; Platt's two
/// parameters are well estimated from a few hundred labels, at the price of assuming a
/// logistic shape.
pub const ISOTONIC_MIN_LABELLED: usize = 500;
pub const ISOTONIC_MIN_CLASS: usize = 50;

/// The calibration stored in a baseline snapshot (`calibration.json`): the map, what it was
/// fitted on, and how well calibrated the baseline's scores were before and after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineCalibration {
    pub map: CalibrationMap,
    pub labelled: u64,
    pub positives: u64,
    /// ECE (10 equal-width bins) of the raw scores and of the calibrated probabilities on
    /// the baseline itself; the second is in-sample, so optimistic (isotonic regression
    /// fits its own bins closely).
    pub ece_raw: f64,
    pub ece_calibrated: f64,
    /// The raw scores' reliability table.
    pub reliability: Vec<ReliabilityBin>,
}

/// Fits and summarises the baseline's calibration, or says why there is none.
pub fn calibrate_baseline(scores: &[f64], labels: &[bool]) -> Result<BaselineCalibration, String> {
    let map = fit_calibration(scores, labels)?;
    let calibrated: Vec<f64> = scores.iter().map(|&s| map.apply(s)).collect();
    let raw =
        reliability(scores, labels, 10).ok_or("the baseline's scores are not probabilities")?;
    let after = reliability(&calibrated, labels, 10).ok_or("calibrated scores out of range")?;
    Ok(BaselineCalibration {
        map,
        labelled: labels.len() as u64,
        positives: labels.iter().filter(|&&l| l).count() as u64,
        ece_raw: raw.ece,
        ece_calibrated: after.ece,
        reliability: raw.bins,
    })
}

/// The calibration map of the baseline's labelled cases, or why there is none.
pub fn fit_calibration(scores: &[f64], labels: &[bool]) -> Result<CalibrationMap, String> {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return Err(format!(
            "the baseline has {} labelled cases with {positives} positives and {negatives} negatives: a calibration map needs both classes",
            labels.len()
        ));
    }
    let map = if labels.len() >= ISOTONIC_MIN_LABELLED
        && positives.min(negatives) >= ISOTONIC_MIN_CLASS
    {
        crate::stats::calibrate::isotonic(scores, labels)
    } else {
        crate::stats::calibrate::platt(scores, labels)
    };
    map.ok_or_else(|| {
        "the baseline's scores separate its labels perfectly: no calibration map can be fitted"
            .to_string()
    })
}

/// An estimate and its standard errors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    /// Where this window's realized value will land once its labels arrive: the spread of
    /// the labels drawn from their probabilities, the window's cases held fixed.
    pub se: f64,
    /// How much the estimate itself moves from window to window of the same population:
    /// the case mix's sampling variance (delta method for a ratio of means over cases;
    /// Hanley–McNeil for AUROC). The estimate uses no label, so this — not `se` — is its
    /// standard error when two populations' estimates are compared.
    pub mix: f64,
}

/// Estimated metrics of one group of serving cases.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Estimated {
    pub cases: u64,
    /// Σp and Σ(1 − p): the expected numbers of positives and negatives.
    pub expected_positives: f64,
    pub expected_negatives: f64,
    /// Cases predicted positive and negative.
    pub predicted_positives: u64,
    pub predicted_negatives: u64,
    pub sensitivity: Option<Estimate>,
    pub specificity: Option<Estimate>,
    pub ppv: Option<Estimate>,
    pub npv: Option<Estimate>,
    pub auroc: Option<Estimate>,
}

impl Estimated {
    /// The group is large enough to estimate `name`: the counts its denominator rests on
    /// reach `min` (expected positives for sensitivity, predicted positives for PPV…), as
    /// realized performance asks for `min_positives` of each class.
    pub fn enough(&self, name: &str, min: f64) -> bool {
        let (p, n) = (self.expected_positives, self.expected_negatives);
        let (pp, pn) = (
            self.predicted_positives as f64,
            self.predicted_negatives as f64,
        );
        match name {
            "sensitivity" => p >= min,
            "specificity" => n >= min,
            "ppv" => pp >= min,
            "npv" => pn >= min,
            _ => p >= min && n >= min,
        }
    }

    pub fn metric(&self, name: &str) -> Option<Estimate> {
        match name {
            "sensitivity" => self.sensitivity,
            "specificity" => self.specificity,
            "ppv" => self.ppv,
            "npv" => self.npv,
            "auroc" => self.auroc,
            _ => None,
        }
    }
}

/// `E[A]/E[B]` for `A = Σ_{i∈num} Y_i`, `B = Σ_{i∈den} Y_i` with `num ⊆ den` and
/// `Y_i ~ Bernoulli(q_i)` independent: the delta-method variance is
/// `(Var A·(1 − 2R) + R²·Var B)/B²` (Cov(A, B) = Var A because A's terms are B's).
fn ratio_random(q: &[f64], in_num: &[bool]) -> Option<Estimate> {
    let (mut a, mut b, mut va, mut vb) = (0.0, 0.0, 0.0, 0.0);
    for (&q, &num) in q.iter().zip(in_num) {
        let v = q * (1.0 - q);
        b += q;
        vb += v;
        if num {
            a += q;
            va += v;
        }
    }
    if b <= 0.0 {
        return None;
    }
    let r = a / b;
    let var = (va * (1.0 - 2.0 * r) + r * r * vb) / (b * b);
    // Over cases, R = Σa_i / Σb_i with a_i = q_i·[num], b_i = q_i: Var ≈ Σ(a_i − R·b_i)² / (Σb)².
    let mix: f64 = q
        .iter()
        .zip(in_num)
        .map(|(&q, &num)| (f64::from(u8::from(num)) - r) * q)
        .map(|d| d * d)
        .sum();
    Some(Estimate {
        value: r,
        se: var.max(0.0).sqrt().max(se_floor(b)),
        mix: (mix.sqrt() / b).max(se_floor(b)),
    })
}

/// The smallest standard error an estimated proportion on an effective `n` cases may
/// claim: half a case, so that an estimate of 0 or 1 (no predicted positive in a small
/// group, every probability near 0 or 1) is never certain. It matters only for tiny groups:
/// at 200 expected positives it is 0.0025.
fn se_floor(n: f64) -> f64 {
    0.5 / n
}

/// `Σ_{i∈den} Y_i / |den|` for a fixed denominator (the predicted positives for PPV).
fn ratio_fixed(q: &[f64], in_den: &[bool]) -> Option<Estimate> {
    let (mut a, mut v, mut n) = (0.0, 0.0, 0.0);
    for (&q, &d) in q.iter().zip(in_den) {
        if d {
            a += q;
            v += q * (1.0 - q);
            n += 1.0;
        }
    }
    if n == 0.0 {
        return None;
    }
    let r = a / n;
    // Over cases, the mean of q over the denominator's cases: Σ(q_i − R)² / n².
    let mix: f64 = q
        .iter()
        .zip(in_den)
        .filter(|(_, &d)| d)
        .map(|(&q, _)| (q - r) * (q - r))
        .sum();
    Some(Estimate {
        value: r,
        se: (v.sqrt() / n).max(se_floor(n)),
        mix: (mix.sqrt() / n).max(se_floor(n)),
    })
}

/// The soft-label Mann–Whitney AUROC: `Σ_{i≠j} p_i (1 − p_j) H(s_i − s_j) / Σ_{i≠j} p_i
/// (1 − p_j)` with `H` = 1, ½, 0 for >, =, <; O(n log n) by one sort.
fn soft_auroc(scores: &[f64], p: &[f64]) -> Option<Estimate> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (sum_p, sum_q): (f64, f64) = p.iter().fold((0.0, 0.0), |(a, b), &x| (a + x, b + 1.0 - x));
    let diagonal: f64 = p.iter().map(|&x| x * (1.0 - x)).sum();
    let denominator = sum_p * sum_q - diagonal;
    if denominator <= 0.0 {
        return None;
    }
    // Walk up the scores; `below_q` is Σ(1 − p) over strictly lower scores.
    let (mut numerator, mut below_q, mut k) = (0.0, 0.0, 0);
    while k < order.len() {
        let mut end = k;
        while end < order.len() && scores[order[end]] == scores[order[k]] {
            end += 1;
        }
        let (tie_p, tie_q): (f64, f64) = order[k..end]
            .iter()
            .fold((0.0, 0.0), |(a, b), &i| (a + p[i], b + 1.0 - p[i]));
        let tie_diagonal: f64 = order[k..end].iter().map(|&i| p[i] * (1.0 - p[i])).sum();
        numerator += tie_p * below_q + 0.5 * (tie_p * tie_q - tie_diagonal);
        below_q += tie_q;
        k = end;
    }
    let auc = numerator / denominator;
    // Hanley & McNeil (1982) with the expected class sizes.
    let (q1, q2) = (auc / (2.0 - auc), 2.0 * auc * auc / (1.0 + auc));
    let var =
        (auc * (1.0 - auc) + (sum_p - 1.0) * (q1 - auc * auc) + (sum_q - 1.0) * (q2 - auc * auc))
            / (sum_p * sum_q);
    // Hanley–McNeil is the sampling variance over cases of an AUROC with these class
    // sizes: the case mix's too (about three times the soft estimate's own spread in
    // scripts/calibrate_estimated.py, so the comparison is conservative for AUROC).
    let se = var.max(0.0).sqrt();
    Some(Estimate {
        value: auc,
        se,
        mix: se,
    })
}

/// Estimated metrics from calibrated probabilities `p`, the logged predictions and the
/// scores (for AUROC).
pub fn estimate(p: &[f64], predictions: &[bool], scores: &[f64]) -> Estimated {
    let q: Vec<f64> = p.iter().map(|x| 1.0 - x).collect();
    let negative: Vec<bool> = predictions.iter().map(|&x| !x).collect();
    let predicted_positives = predictions.iter().filter(|&&x| x).count() as u64;
    Estimated {
        cases: p.len() as u64,
        expected_positives: p.iter().sum(),
        expected_negatives: q.iter().sum(),
        predicted_positives,
        predicted_negatives: p.len() as u64 - predicted_positives,
        sensitivity: ratio_random(p, predictions),
        specificity: ratio_random(&q, &negative),
        ppv: ratio_fixed(p, predictions),
        npv: ratio_fixed(&q, &negative),
        auroc: soft_auroc(scores, p),
    }
}

/// The baseline's realized value of a metric and its standard error.
fn realized(m: &Metrics, metric: &str) -> Option<Estimate> {
    // The side of the baseline's interval that matters for a fall is its low end: at a
    // baseline sensitivity of 10/10 the binomial se is 0, Wilson's low end says 0.72.
    let rate = |r: Option<crate::analysis::performance::Rate>| {
        r.map(|r| {
            let z = z_critical(CONFIDENCE).unwrap_or(1.96);
            let binomial = (r.value * (1.0 - r.value) / r.n.max(1) as f64).sqrt();
            Estimate {
                value: r.value,
                se: binomial.max((r.value - r.ci.low) / z),
                mix: 0.0,
            }
        })
    };
    match metric {
        "auroc" => m.auroc.map(|(auc, var, _)| Estimate {
            value: auc,
            se: var.sqrt(),
            mix: 0.0,
        }),
        "sensitivity" => rate(m.sensitivity),
        "specificity" => rate(m.specificity),
        "ppv" => rate(m.ppv),
        "npv" => rate(m.npv),
        _ => None,
    }
}

pub const METRICS: [&str; 5] = ["auroc", "sensitivity", "specificity", "ppv", "npv"];

/// The estimated-performance checks of one group: the serving estimate against the same
/// estimate on the baseline's cases of the group (`baseline`: its realized metrics, shown
/// beside, and its estimate), under the same non-inferiority margins and interval rule as
/// realized performance (decided later by [`super::findings::decide`]). Estimate against
/// estimate, because the map is fitted over all cases: in a group it fits less well the
/// baseline's realized value differs from its estimate when nothing moved. The difference's
/// standard error is the two case mixes' (`Estimate::mix`). `labelled`: the group's
/// realized metrics where labels exist, shown beside the estimate.
pub fn compare(
    (baseline, baseline_estimate): (&Metrics, &Estimated),
    serving: &Estimated,
    labelled: Option<&Metrics>,
    subgroup: Option<&str>,
    config: &PerformanceConfig,
) -> Vec<Check> {
    METRICS
        .iter()
        .map(|&metric| {
            let margin = config.margin(metric);
            let mut c = Check {
                subgroup: subgroup.map(str::to_string),
                effect_name: "estimated serving − baseline",
                direction: Direction::Lower,
                threshold: -margin,
                alert_threshold: -margin,
                n_baseline: baseline_estimate.cases,
                n_serving: serving.cases,
                ..Check::new(Kind::EstimatedPerformance, metric, "non-inferiority (estimated)")
            };
            let scope = subgroup.map_or(String::new(), |g| format!(" for {g}"));
            let enough = |e: &Estimated| {
                e.cases as usize >= config.min_labelled
                    && e.enough(metric, config.min_positives as f64)
            };
            let (Some(b), Some(s), true) = (
                baseline_estimate.metric(metric),
                serving.metric(metric),
                enough(serving) && enough(baseline_estimate),
            ) else {
                c.severity = Severity::Insufficient;
                c.summary = format!(
                    "{} serving cases ({:.1} expected positives, {} predicted positive) and {} baseline cases ({:.1}, {}); {} cases and {} in the metric's denominator needed on each side",
                    serving.cases,
                    serving.expected_positives,
                    serving.predicted_positives,
                    baseline_estimate.cases,
                    baseline_estimate.expected_positives,
                    baseline_estimate.predicted_positives,
                    config.min_labelled,
                    config.min_positives
                );
                return c;
            };
            let d = s.value - b.value;
            let se = s.mix.hypot(b.mix);
            c.statistic = Some(d);
            c.p_value = Some(if se > 0.0 {
                Normal::standard().cdf((d + margin) / se)
            } else if d < -margin {
                0.0
            } else {
                1.0
            });
            c.set_effect_with(d, IntervalFn::symmetric(d, se, f64::NEG_INFINITY));
            let z = z_critical(CONFIDENCE).unwrap_or(1.96);
            c.extra.insert("estimate", s.value);
            c.extra.insert("ci_low", s.value - z * s.se);
            c.extra.insert("ci_high", s.value + z * s.se);
            c.extra.insert("baseline", b.value);
            let realized_baseline = realized(baseline, metric).map(|r| r.value);
            if let Some(r) = realized_baseline {
                c.extra.insert("baseline_realized", r);
            }
            if let Some(r) = labelled.and_then(|m| realized(m, metric)) {
                c.extra.insert("realized", r.value);
            }
            let known = realized_baseline.map_or(String::new(), |r| {
                format!(" (its labels: {r:.3})")
            });
            c.summary = format!(
                "estimated {metric}{scope}: {:.3} on the baseline's cases{known} → {:.3} (estimates from calibrated scores, no labels needed), difference {d:+.3}, margin {margin}",
                b.value, s.value
            );
            c.action = format!(
                "Expect {metric}{scope} to have fallen: the cases moved toward scores where the model is less accurate. Review these cases with radiologists and prioritise labelling them to confirm."
            );
            c
        })
        .collect()
}

/// Estimated-performance findings are warnings unless `performance.estimated_alerts`.
pub fn cap(checks: &mut [Check], alerts: bool) {
    if alerts {
        return;
    }
    for c in checks
        .iter_mut()
        .filter(|c| c.kind == Kind::EstimatedPerformance && c.severity == Severity::Alert)
    {
        c.severity = Severity::Warn;
    }
}

/// On labelled serving cases: the mean of `label − c(score)`, in percentage points, with a
/// normal interval; a z-test of 0 for its p-value, decided with the drift rule (share
/// thresholds).
pub fn calibration_check(
    subject: &str,
    map: &CalibrationMap,
    scores: &[f64],
    labels: &[bool],
    subgroup: Option<&str>,
    drift: &DriftConfig,
) -> Check {
    let mut c = Check {
        subgroup: subgroup.map(str::to_string),
        effect_name: "|mean label − calibrated score| (pp)",
        threshold: drift.share_warn_pp,
        alert_threshold: drift.share_alert_pp,
        n_serving: labels.len() as u64,
        ..Check::new(Kind::CalibrationDrift, subject, "z-mean-residual")
    };
    if labels.len() < drift.min_n {
        c.severity = Severity::Insufficient;
        c.summary = format!(
            "{} labelled serving cases; {} needed",
            labels.len(),
            drift.min_n
        );
        return c;
    }
    let residuals: Vec<f64> = scores
        .iter()
        .zip(labels)
        .map(|(&s, &y)| f64::from(u8::from(y)) - map.apply(s))
        .collect();
    let n = residuals.len() as f64;
    let mean = residuals.iter().sum::<f64>() / n;
    let var = residuals.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let se = (var / n).sqrt();
    let z = if se > 0.0 { mean / se } else { 0.0 };
    c.statistic = Some(z);
    c.p_value = Some(2.0 * Normal::standard().cdf(-z.abs()));
    c.set_effect_with(
        100.0 * mean.abs(),
        IntervalFn::new(move |conf| {
            let z = z_critical(conf)?;
            let (lo, hi) = (mean - z * se, mean + z * se);
            let near = if lo > 0.0 {
                lo
            } else if hi < 0.0 {
                -hi
            } else {
                0.0
            };
            Some((100.0 * near, 100.0 * lo.abs().max(hi.abs())))
        }),
    );
    let observed = 100.0 * labels.iter().filter(|&&y| y).count() as f64 / n;
    c.summary = format!(
        "positive in {observed:.1}% of labelled cases, {:.1}% expected from their scores under the baseline's calibration",
        observed - 100.0 * mean
    );
    c.action = "The scores no longer mean what they meant in validation: ask whether the label definition (label_version) or the referral pattern changed; estimated performance is unreliable until the model is recalibrated on recent labelled cases.".into();
    c
}

#[cfg(test)]
mod tests;

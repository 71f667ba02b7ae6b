//! The paired comparisons behind each gate check, candidate − reference on the same cases:
//! statistics only (the decision is in the parent module).

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{Metric, Paired};
use crate::stats::calibration::{brier, reliability};
use crate::stats::proportion::{mcnemar, paired_diff_wald, Interval};
use crate::stats::roc::delong_paired;

/// One paired comparison, candidate − reference.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub reference: f64,
    pub candidate: f64,
    pub diff: f64,
    pub ci: Interval,
    pub test: &'static str,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    /// Cases the metric is computed on (positives for sensitivity, negatives for specificity).
    pub n: u64,
    pub extra: Vec<(&'static str, f64)>,
}

/// Compares both models on `p` for `metric`; None where the statistic is undefined.
pub fn compare(metric: Metric, p: &Paired, confidence: f64) -> Option<Comparison> {
    match metric {
        Metric::Auroc => {
            let d = delong_paired(
                &p.candidate.scores,
                &p.reference.scores,
                &p.labels,
                confidence,
            )?;
            Some(Comparison {
                reference: d.auc_b,
                candidate: d.auc_a,
                diff: d.diff,
                ci: d.ci_diff,
                test: "delong-paired",
                statistic: Some(d.z),
                p_value: Some(d.p_value),
                n: p.len() as u64,
                extra: Vec::new(),
            })
        }
        Metric::Sensitivity => proportion(p, true, confidence),
        Metric::Specificity => proportion(p, false, confidence),
        Metric::Brier => brier_difference(p, confidence),
    }
}

/// Sensitivity (`class = true`) or specificity: the share of that class each model gets
/// right, compared on the same cases.
fn proportion(p: &Paired, class: bool, confidence: f64) -> Option<Comparison> {
    let (mut n, mut ref_right, mut b, mut c) = (0u64, 0u64, 0u64, 0u64);
    for i in (0..p.len()).filter(|&i| p.labels[i] == class) {
        let r = p.reference.predictions[i] == class;
        let k = p.candidate.predictions[i] == class;
        n += 1;
        ref_right += u64::from(r);
        b += u64::from(k && !r);
        c += u64::from(r && !k);
    }
    let (diff, ci) = paired_diff_wald(b, c, n, confidence)?;
    // statsmodels' advice: the exact binomial test while discordant pairs are few.
    let test = mcnemar(b, c, b + c < 25)?;
    let reference = ref_right as f64 / n as f64;
    Some(Comparison {
        reference,
        candidate: reference + diff,
        diff,
        ci,
        test: "mcnemar",
        statistic: Some(test.statistic),
        p_value: Some(test.p_value),
        n,
        extra: vec![
            ("candidate_only_right", b as f64),
            ("reference_only_right", c as f64),
        ],
    })
}

/// Brier difference with a paired t-interval on `(c_i − y_i)² − (r_i − y_i)²`.
fn brier_difference(p: &Paired, confidence: f64) -> Option<Comparison> {
    let n = p.len();
    let reference = brier(&p.reference.scores, &p.labels)?;
    let candidate = brier(&p.candidate.scores, &p.labels)?;
    if n < 2 || !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let y = |i: usize| f64::from(u8::from(p.labels[i]));
    let d: Vec<f64> = (0..n)
        .map(|i| (p.candidate.scores[i] - y(i)).powi(2) - (p.reference.scores[i] - y(i)).powi(2))
        .collect();
    let mean = d.iter().sum::<f64>() / n as f64;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let se = (var / n as f64).sqrt();
    let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).ok()?;
    let half = t.inverse_cdf(1.0 - (1.0 - confidence) / 2.0) * se;
    let (statistic, p_value) = if se > 0.0 {
        let stat = mean / se;
        (stat, (2.0 * t.sf(stat.abs())).min(1.0))
    } else {
        (0.0, if mean == 0.0 { 1.0 } else { 0.0 })
    };
    let ece = |s: &[f64]| reliability(s, &p.labels, 10).map_or(f64::NAN, |r| r.ece);
    Some(Comparison {
        reference,
        candidate,
        diff: candidate - reference,
        ci: Interval {
            low: mean - half,
            high: mean + half,
        },
        test: "paired-t",
        statistic: Some(statistic),
        p_value: Some(p_value),
        n: n as u64,
        extra: vec![
            ("ece_reference", ece(&p.reference.scores)),
            ("ece_candidate", ece(&p.candidate.scores)),
        ],
    })
}

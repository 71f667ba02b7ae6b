//! One categorical comparison: chi-square test of homogeneity for significance, the largest
//! change in a category's share (percentage points) for the effect, with Jensen–Shannon
//! distance, PSI and Cohen's w as extras.
//!
//! JS distance alone misses a 50/50 → 60/40 sex shift (JS ≈ 0.07); a 10-point change in a
//! share is what a clinician reads and acts on.

use super::numeric::CONFIDENCE;
use crate::analysis::findings::IntervalFn;
use crate::stats::chisq::chi2_contingency;
use crate::stats::distance::{jensen_shannon, psi};
use crate::stats::interval::share_change_interval;
use crate::stats::proportion::newcombe_diff;

pub struct CategoricalResult {
    pub statistic: f64,
    pub p_value: f64,
    /// Largest |serving share − baseline share| over categories, in percentage points.
    pub effect_pp: f64,
    /// The category with that largest change.
    pub top: usize,
    pub js: Option<f64>,
    pub psi: Option<f64>,
    pub cohens_w: f64,
}

/// Compares category counts (same category order on both sides).
pub fn compare(baseline: &[f64], serving: &[f64]) -> Option<CategoricalResult> {
    let (nb, ns) = (baseline.iter().sum::<f64>(), serving.iter().sum::<f64>());
    if nb == 0.0 || ns == 0.0 {
        return None;
    }
    let chi2 = chi2_contingency(&[baseline.to_vec(), serving.to_vec()])?;
    let (effect, top, _) = share_change_interval(baseline, serving, CONFIDENCE)?;
    let mut w2 = 0.0;
    for i in 0..baseline.len() {
        let (pb, ps) = (baseline[i] / nb, serving[i] / ns);
        if pb > 0.0 {
            w2 += (ps - pb).powi(2) / pb;
        }
    }
    Some(CategoricalResult {
        statistic: chi2.statistic,
        p_value: chi2.p_value,
        effect_pp: 100.0 * effect,
        top,
        js: jensen_shannon(baseline, serving),
        psi: psi(baseline, serving),
        cohens_w: w2.sqrt(),
    })
}

/// The interval of `|k_s/n_s − k_b/n_b|` in percentage points (Newcombe's hybrid score
/// interval of the difference, folded at 0), at any confidence: a missing rate, a label
/// prevalence, a cluster's share.
pub fn change_interval(kb: u64, nb: u64, ks: u64, ns: u64) -> IntervalFn {
    IntervalFn::new(move |confidence| {
        let (d, ci) = newcombe_diff(ks, ns, kb, nb, confidence)?;
        let low = if d >= 0.0 { ci.low } else { -ci.high }.max(0.0);
        let high = ci.low.abs().max(ci.high.abs());
        Some((100.0 * low, 100.0 * high))
    })
}

/// The interval of the largest share change (see [`share_change_interval`]) in
/// percentage points, at any confidence.
pub fn share_interval(baseline: Vec<f64>, serving: Vec<f64>) -> IntervalFn {
    IntervalFn::new(move |confidence| {
        share_change_interval(&baseline, &serving, confidence)
            .map(|(_, _, ci)| (100.0 * ci.low, 100.0 * ci.high))
    })
}

/// A 0-of-n_b versus k-of-n_s comparison (a category or a missing value appearing).
pub fn two_proportions(kb: f64, nb: f64, ks: f64, ns: f64) -> Option<(f64, f64)> {
    let chi2 = chi2_contingency(&[vec![kb, nb - kb], vec![ks, ns - ks]])?;
    Some((chi2.statistic, chi2.p_value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ten_point_sex_shift_is_a_ten_point_effect() {
        let r = compare(&[500.0, 500.0], &[600.0, 400.0]).unwrap();
        assert!((r.effect_pp - 10.0).abs() < 1e-9);
        assert!(r.js.unwrap() < 0.1, "JS alone would miss it");
        assert!(r.p_value < 1e-4);
    }
}

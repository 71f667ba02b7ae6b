//! One categorical comparison: chi-square test of homogeneity for significance, the largest
//! change in a category's share (percentage points) for the effect, with Jensen–Shannon
//! distance, PSI and Cohen's w as extras.
//!
//! JS distance alone misses a 50/50 → 60/40 sex shift (JS ≈ 0.07); a 10-point change in a
//! share is what a clinician reads and acts on.

use crate::stats::chisq::chi2_contingency;
use crate::stats::distance::{jensen_shannon, psi};

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
    let mut top = 0;
    let mut effect = 0.0;
    let mut w2 = 0.0;
    for i in 0..baseline.len() {
        let (pb, ps) = (baseline[i] / nb, serving[i] / ns);
        let change = (ps - pb).abs() * 100.0;
        if change > effect {
            effect = change;
            top = i;
        }
        if pb > 0.0 {
            w2 += (ps - pb).powi(2) / pb;
        }
    }
    Some(CategoricalResult {
        statistic: chi2.statistic,
        p_value: chi2.p_value,
        effect_pp: effect,
        top,
        js: jensen_shannon(baseline, serving),
        psi: psi(baseline, serving),
        cohens_w: w2.sqrt(),
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

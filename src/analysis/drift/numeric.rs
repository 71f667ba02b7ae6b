//! One numeric comparison: KS for significance, Wasserstein-1 / baseline SD for the effect,
//! PSI on baseline deciles as a familiar extra.

use crate::stats::distance::{bin_counts, psi, quantile_edges, wasserstein1_sorted};
use crate::stats::ks::{ks_2samp_sorted, KsMethod};

/// The numbers of a numeric comparison; `None` fields when a side is empty.
pub struct NumericResult {
    pub ks_statistic: f64,
    pub p_value: f64,
    /// W1 divided by the baseline SD (see [`scale`]).
    pub effect: f64,
    pub psi: Option<f64>,
    pub baseline_median: f64,
    pub serving_median: f64,
}

/// Compares two ascending, finite samples.
pub fn compare(baseline: &[f64], serving: &[f64]) -> Option<NumericResult> {
    let ks = ks_2samp_sorted(baseline, serving, KsMethod::Auto)?;
    let w1 = wasserstein1_sorted(baseline, serving)?;
    let edges = quantile_edges(baseline, 10);
    let psi = psi(&bin_counts(baseline, &edges), &bin_counts(serving, &edges));
    Some(NumericResult {
        ks_statistic: ks.statistic,
        p_value: ks.p_value,
        effect: w1 / scale(baseline),
        psi,
        baseline_median: sorted_median(baseline),
        serving_median: sorted_median(serving),
    })
}

/// The baseline's sample SD; for a constant baseline, 10% of its magnitude (or 1 if it is
/// 0), so that any move away from a value that never varied reads as a large effect
/// without dividing by zero.
pub fn scale(sorted: &[f64]) -> f64 {
    let n = sorted.len() as f64;
    let mean = sorted.iter().sum::<f64>() / n;
    let var = sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    let sd = var.sqrt();
    if sd > 1e-12 * mean.abs().max(1.0) {
        sd
    } else if mean.abs() > 0.0 {
        0.1 * mean.abs()
    } else {
        1.0
    }
}

fn sorted_median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// A number for a sentence: up to 4 significant digits, no trailing zeros.
pub fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.digits$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shift_of_one_sd_reads_as_effect_one() {
        let b: Vec<f64> = (0..1000).map(|i| f64::from(i) / 999.0).collect();
        let s: Vec<f64> = b.iter().map(|v| v + scale(&b)).collect();
        let r = compare(&b, &s).unwrap();
        assert!((r.effect - 1.0).abs() < 1e-9, "{}", r.effect);
        assert!(r.p_value < 1e-10);
    }

    #[test]
    fn constant_baseline_does_not_divide_by_zero() {
        assert_eq!(scale(&[5.0; 10]), 0.5);
        assert_eq!(scale(&[0.0; 10]), 1.0);
    }

    #[test]
    fn short_numbers_read_well() {
        assert_eq!(short(1.25), "1.25");
        assert_eq!(short(5.0), "5");
        assert_eq!(short(123.456), "123.5");
        assert_eq!(short(0.0123456), "0.01235");
    }
}

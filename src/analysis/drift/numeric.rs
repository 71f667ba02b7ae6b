//! One numeric comparison: KS for significance, Wasserstein-1 / baseline SD with its
//! interval for the effect, PSI on baseline deciles as a familiar extra, and a sentence
//! naming what moved.

use crate::analysis::findings::IntervalFn;
pub use crate::analysis::findings::CONFIDENCE;
pub use crate::format::short;
use crate::stats::distance::{bin_counts_sorted, psi, quantile_edges, quantile_sorted};
use crate::stats::interval::wasserstein1_se_sorted;
use crate::stats::ks::{ks_2samp_sorted, KsMethod};

/// A feature with at most this many distinct values (slice thickness, kVp) is described by
/// the value whose share moved most; a feature with more by the decile that moved most.
const DISCRETE_MAX: usize = 12;

/// The numbers of a numeric comparison.
pub struct NumericResult {
    pub ks_statistic: f64,
    pub p_value: f64,
    /// W1 divided by the baseline SD (see [`scale`]), and its interval.
    pub effect: f64,
    pub interval: IntervalFn,
    pub psi: Option<f64>,
    /// What moved, in words: "5: 5.0% → 40.0% of cases", "90th percentile 120 → 135".
    pub moved: String,
}

/// Compares two ascending, finite samples.
pub fn compare(baseline: &[f64], serving: &[f64]) -> Option<NumericResult> {
    let ks = ks_2samp_sorted(baseline, serving, KsMethod::Auto)?;
    let (w1, se) = wasserstein1_se_sorted(baseline, serving)?;
    let edges = quantile_edges(baseline, 10);
    let psi = psi(
        &bin_counts_sorted(baseline, &edges),
        &bin_counts_sorted(serving, &edges),
    );
    let sd = scale(baseline);
    Some(NumericResult {
        ks_statistic: ks.statistic,
        p_value: ks.p_value,
        effect: w1 / sd,
        interval: IntervalFn::symmetric(w1 / sd, se / sd, 0.0),
        psi,
        moved: moved(baseline, serving),
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

/// Distinct values and their counts in an ascending sample, or `None` past `limit` values.
fn distinct(sorted: &[f64], limit: usize) -> Option<Vec<(f64, usize)>> {
    let mut out: Vec<(f64, usize)> = Vec::new();
    for &v in sorted {
        match out.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => {
                if out.len() == limit {
                    return None;
                }
                out.push((v, 1));
            }
        }
    }
    Some(out)
}

/// The change a clinician can read: for a feature with a handful of values, the value whose
/// share moved most; otherwise the decile that moved most (in baseline SDs), with the
/// median for reference.
fn moved(baseline: &[f64], serving: &[f64]) -> String {
    if let (Some(b), Some(s)) = (
        distinct(baseline, DISCRETE_MAX),
        distinct(serving, DISCRETE_MAX),
    ) {
        let mut values: Vec<f64> = b.iter().chain(&s).map(|p| p.0).collect();
        values.sort_unstable_by(f64::total_cmp);
        values.dedup();
        if values.len() <= DISCRETE_MAX {
            let share = |side: &[(f64, usize)], n: usize, v: f64| {
                side.iter()
                    .find(|p| p.0 == v)
                    .map_or(0.0, |p| p.1 as f64 / n as f64)
            };
            let (nb, ns) = (baseline.len(), serving.len());
            let mut best = (f64::NEG_INFINITY, 0.0, 0.0, 0.0);
            for &v in &values {
                let (pb, ps) = (share(&b, nb, v), share(&s, ns, v));
                if (ps - pb).abs() > best.0 {
                    best = ((ps - pb).abs(), v, pb, ps);
                }
            }
            let (_, v, pb, ps) = best;
            return format!(
                "{}: {:.1}% → {:.1}% of cases",
                short(v),
                100.0 * pb,
                100.0 * ps
            );
        }
    }
    let q = |x: &[f64], p: f64| quantile_sorted(x, p).unwrap_or(f64::NAN);
    let median = format!(
        "median {} → {}",
        short(q(baseline, 0.5)),
        short(q(serving, 0.5))
    );
    let mut best = (0.0, 5);
    for k in 1..10 {
        let p = k as f64 / 10.0;
        let gap = (q(serving, p) - q(baseline, p)).abs();
        if gap > best.0 {
            best = (gap, k);
        }
    }
    if best.1 == 5 || best.0 == 0.0 {
        return median;
    }
    let p = best.1 as f64 / 10.0;
    format!(
        "{} {} → {} ({median})",
        percentile(best.1),
        short(q(baseline, p)),
        short(q(serving, p))
    )
}

fn percentile(decile: usize) -> String {
    match decile {
        1 => "10th percentile".into(),
        k => format!("{}th percentile", k * 10),
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
        let (low, high) = r.interval.at(CONFIDENCE).unwrap();
        assert!(low < 1.0 && high > 1.0);
        assert!(low > 0.9, "{low}");
        assert!(r.p_value < 1e-10);
    }

    #[test]
    fn constant_baseline_does_not_divide_by_zero() {
        assert_eq!(scale(&[5.0; 10]), 0.5);
        assert_eq!(scale(&[0.0; 10]), 1.0);
    }

    #[test]
    fn a_discrete_feature_names_the_value_whose_share_moved() {
        // Slice thickness: 5 mm goes from 5% to 40% of cases; the median stays at 1.25.
        let mut b = vec![1.25; 95];
        b.extend([5.0; 5]);
        let mut s = vec![1.25; 60];
        s.extend([5.0; 40]);
        let r = compare(&b, &s).unwrap();
        assert_eq!(r.moved, "5: 5.0% → 40.0% of cases");
    }

    #[test]
    fn a_continuous_feature_names_the_decile_that_moved() {
        let b: Vec<f64> = (0..1000).map(f64::from).collect();
        // The top tail stretches: the 90th percentile moves, the median does not.
        let s: Vec<f64> = (0..1000)
            .map(|i| {
                if i > 800 {
                    f64::from(i) * 1.5
                } else {
                    f64::from(i)
                }
            })
            .collect();
        let r = compare(&b, &s).unwrap();
        assert_eq!(
            r.moved,
            "90th percentile 899.1 → 1349 (median 499.5 → 499.5)"
        );
    }

    #[test]
    fn short_numbers_read_well() {
        assert_eq!(short(1.25), "1.25");
        assert_eq!(short(5.0), "5");
        assert_eq!(short(123.456), "123.5");
        assert_eq!(short(0.0123456), "0.01235");
    }
}

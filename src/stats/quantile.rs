//! The one median and the one quantile rule of the project.
//!
//! - [`median`] / [`median_sorted`]: the middle value, or the mean of the middle two for an
//!   even count (numpy's `median`). Used for a unit's numeric value over its instances and
//!   for the clustering's missing-value fill.
//! - [`quantile_sorted`]: numpy's default ("linear") quantile, virtual index (n − 1)·q and
//!   numpy's lerp, exact at both ends. Used for the drift quantile bins and summaries and
//!   for the clustering's distance percentiles.

/// Median of ascending, NaN-free values; `None` when empty.
pub fn median_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// Median of `values` (sorted in place, NaN last by `total_cmp`); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_unstable_by(f64::total_cmp);
    median_sorted(values)
}

/// numpy's default ("linear") quantile `q` ∈ [0, 1] of ascending, NaN-free values, with
/// numpy's lerp (exact at both ends); `None` when empty.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = last as f64 * q.clamp(0.0, 1.0);
    let lo = (pos.floor() as usize).min(last);
    let hi = (lo + 1).min(last);
    let t = pos - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    Some(if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
        assert_eq!(median_sorted(&[1.0, 2.0]), Some(1.5));
    }

    #[test]
    fn quantiles_follow_numpy_linear_interpolation() {
        // numpy.quantile([1, 2, 3, 4], [0, 0.5, 0.99, 1]) = 1, 2.5, 3.97, 4
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.0), Some(1.0));
        assert_eq!(quantile_sorted(&v, 0.5), Some(2.5));
        assert!((quantile_sorted(&v, 0.99).unwrap() - 3.97).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 1.0), Some(4.0));
        assert_eq!(quantile_sorted(&[5.0], 0.95), Some(5.0));
        assert_eq!(quantile_sorted(&[], 0.5), None);
    }
}

//! Effect sizes for input drift: how far the serving distribution has moved, as opposed to
//! whether the move is significant (that is `ks` and `chisq`).
//!
//! * [`wasserstein1_sorted`] — earth mover's distance between two samples, matching
//!   `scipy.stats.wasserstein_distance`, in the feature's own units.
//! * [`jensen_shannon`] — matching `scipy.spatial.distance.jensenshannon(p, q, base=2)`:
//!   a distance in [0, 1] between two categorical (or binned) distributions.
//! * PSI, the population stability index, in three steps so the drift engine can compute
//!   baseline bins once: [`quantile_edges`] (baseline quantile cut points, numpy's
//!   `np.quantile(method="linear")`), [`bin_counts`] and [`psi`]. SciPy has no PSI; the
//!   fixtures compute it with numpy the way these docs describe.

/// Proportions below this are raised to it in [`psi`], so empty bins give a large but
/// finite contribution. Evidently uses the same 1e-4 (see docs/statistics.md).
pub const PSI_EPSILON: f64 = 1e-4;

/// 1-Wasserstein distance between two ascending-sorted samples, in O(n1 + n2):
/// the area between the two empirical CDFs. None if either side is empty, unsorted, or
/// holds a non-finite value.
pub fn wasserstein1_sorted(a: &[f64], b: &[f64]) -> Option<f64> {
    // The merge that computes W1 also gives its standard error; one merge serves both.
    super::interval::wasserstein1_se_sorted(a, b).map(|(w1, _)| w1)
}

/// [`wasserstein1_sorted`] on unsorted input (sorts copies). None on empty or non-finite.
pub fn wasserstein1(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.iter().chain(b).any(|v| !v.is_finite()) {
        return None;
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    wasserstein1_sorted(&a, &b)
}

/// Jensen–Shannon distance (the square root of the divergence) with base-2 logarithms,
/// so it lies in [0, 1]; 1 means disjoint support. `p` and `q` are counts or proportions
/// over the same categories, each normalised to sum 1 here.
///
/// None for unequal or zero lengths, a side summing to 0, or negative/non-finite entries.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> Option<f64> {
    let p = normalise(p)?;
    let q = normalise(q)?;
    if p.len() != q.len() {
        return None;
    }
    let divergence: f64 = p.iter().zip(&q).map(|(&pi, &qi)| js_bin(pi, qi)).sum();
    let js = divergence / std::f64::consts::LN_2;
    Some((js / 2.0).max(0.0).sqrt())
}

/// One bin's p·ln(p/m) + q·ln(q/m), m = (p+q)/2, written as m·f(r) with r = (p-q)/(p+q)
/// and f(r) = (1+r)·ln(1+r) + (1-r)·ln(1-r) = Σ_k r^2k / (k(2k-1)). Adding the two
/// logarithms directly cancels when p ≈ q (1e-4 relative error on the fixture's
/// near-identical case); the series keeps full precision there.
fn js_bin(p: f64, q: f64) -> f64 {
    let m = (p + q) / 2.0;
    if m == 0.0 {
        return 0.0;
    }
    let r = (p - q) / (p + q);
    let f = if r.abs() <= 0.5 {
        let (r2, mut power, mut sum) = (r * r, 1.0, 0.0);
        for k in 1..=60 {
            power *= r2;
            let term = power / (k * (2 * k - 1)) as f64;
            sum += term;
            if term <= f64::EPSILON * 1e-2 * sum {
                break;
            }
        }
        sum
    } else {
        // 0·ln(0) = 0 at r = ±1 (disjoint support in this bin).
        let side = |s: f64| if s > 0.0 { s * s.ln() } else { 0.0 };
        side(1.0 + r) + side(1.0 - r)
    };
    m * f
}

fn normalise(x: &[f64]) -> Option<Vec<f64>> {
    if x.is_empty() || !x.iter().all(|v| v.is_finite() && *v >= 0.0) {
        return None;
    }
    let total: f64 = x.iter().sum();
    (total > 0.0).then(|| x.iter().map(|v| v / total).collect())
}

/// Interior cut points for PSI bins: the baseline quantiles at k/n_bins, k = 1..n_bins-1
/// (the deciles for n_bins = 10), computed like `np.quantile(x, k/n_bins, method="linear")`,
/// then with exact duplicates removed.
///
/// The bins are then (-∞, c1], (c1, c2], …, (c_last, +∞): right-closed, and open at both
/// ends so serving values outside the baseline range still land in the end bins. When the
/// baseline has many ties (say 40% zeros), several quantiles coincide and are kept once,
/// so there are fewer than n_bins bins and the tied value sits in a single bin — the one
/// that ends at it. Empty baseline or n_bins <= 1: no cut points, one bin.
///
/// `sorted_baseline` should be ascending without NaN; if it is not, a sorted NaN-free copy
/// is used (NaN values are ignored), so the answer never depends on the caller's slip.
pub fn quantile_edges(sorted_baseline: &[f64], n_bins: usize) -> Vec<f64> {
    let clean_sorted = sorted_baseline.iter().all(|v| !v.is_nan())
        && sorted_baseline.windows(2).all(|w| w[0] <= w[1]);
    let owned;
    let x = if clean_sorted {
        sorted_baseline
    } else {
        let mut v: Vec<f64> = sorted_baseline
            .iter()
            .copied()
            .filter(|v| !v.is_nan())
            .collect();
        v.sort_unstable_by(f64::total_cmp);
        owned = v;
        &owned[..]
    };
    if x.is_empty() || n_bins <= 1 {
        return Vec::new();
    }
    let mut cuts: Vec<f64> = (1..n_bins)
        .filter_map(|k| quantile_sorted(x, k as f64 / n_bins as f64))
        .collect();
    cuts.sort_unstable_by(f64::total_cmp);
    cuts.dedup();
    cuts
}

pub use super::quantile::quantile_sorted;

/// Counts of `sorted` in the bins (-∞, c1], (c1, c2], …, (c_last, +∞) defined by the cut
/// points from [`quantile_edges`]; returns `edges.len() + 1` counts. O(n log k); the data
/// need not actually be sorted, and NaN values are not counted.
pub fn bin_counts(sorted: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0.0; edges.len() + 1];
    for &v in sorted.iter().filter(|v| !v.is_nan()) {
        // Number of cut points strictly below v = index of its right-closed bin.
        counts[edges.partition_point(|&c| c < v)] += 1.0;
    }
    counts
}

/// [`bin_counts`] of an ascending sample with no NaN: each bin's count is the difference of
/// two binary searches of the sample, O(k log n) instead of O(n log k).
pub fn bin_counts_sorted(sorted: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = Vec::with_capacity(edges.len() + 1);
    let mut below = 0;
    for &c in edges {
        let upto = sorted.partition_point(|&v| v <= c).max(below);
        counts.push((upto - below) as f64);
        below = upto;
    }
    counts.push((sorted.len() - below) as f64);
    counts
}

/// Population stability index Σ (a - e)·ln(a / e) over bins, on proportions
/// e = expected/Σexpected (baseline) and a = actual/Σactual (serving), each raised to at
/// least [`PSI_EPSILON`] so that empty bins stay finite. Proportions are not renormalised
/// after the floor. None for unequal or zero lengths, a side summing to 0, or
/// negative/non-finite counts.
pub fn psi(expected_counts: &[f64], actual_counts: &[f64]) -> Option<f64> {
    let e = normalise(expected_counts)?;
    let a = normalise(actual_counts)?;
    if e.len() != a.len() {
        return None;
    }
    let value = e
        .iter()
        .zip(&a)
        .map(|(&e, &a)| {
            let (e, a) = (e.max(PSI_EPSILON), a.max(PSI_EPSILON));
            (a - e) * (a / e).ln()
        })
        .sum();
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixture::{drift as fixture, floats, rel_err};

    /// Checks `f` against every case of `section`, keyed on `field`; returns worst error.
    fn check_pairs(
        section: &str,
        left: &str,
        right: &str,
        f: fn(&[f64], &[f64]) -> Option<f64>,
    ) -> f64 {
        let mut worst = 0.0f64;
        for case in fixture()[section].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let got = f(&floats(&case[left]), &floats(&case[right]));
            if case["expect"] == "none" {
                assert_eq!(got, None, "{section}/{name}: expected None");
                continue;
            }
            let want = case["distance"].as_f64().unwrap();
            let got = got.unwrap_or_else(|| panic!("{section}/{name}: expected a value"));
            let err = rel_err(got, want);
            assert!(err <= 1e-9, "{section}/{name}: {got:e} vs SciPy {want:e}");
            worst = worst.max(err);
        }
        eprintln!("{section}: worst relative error {worst:e}");
        worst
    }

    #[test]
    fn wasserstein_matches_scipy_including_ties_and_tiny_samples() {
        check_pairs("wasserstein", "a", "b", wasserstein1);
    }

    #[test]
    fn jensen_shannon_matches_scipy_base_2_on_counts_and_proportions() {
        check_pairs("jensenshannon", "p", "q", jensen_shannon);
    }

    #[test]
    fn psi_edges_counts_and_value_match_the_numpy_reference() {
        let mut worst = 0.0f64;
        for case in fixture()["psi"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let mut base = floats(&case["baseline"]);
            let mut serv = floats(&case["serving"]);
            base.sort_by(f64::total_cmp);
            serv.sort_by(f64::total_cmp);
            let n_bins = case["n_bins"].as_u64().unwrap() as usize;
            let edges = quantile_edges(&base, n_bins);
            let want_edges = floats(&case["edges"]);
            assert_eq!(
                edges.len(),
                want_edges.len(),
                "{name}: number of cut points"
            );
            for (g, w) in edges.iter().zip(&want_edges) {
                assert!(rel_err(*g, *w) <= 1e-12, "{name}: cut {g} vs numpy {w}");
            }
            let (cb, cs) = (bin_counts(&base, &edges), bin_counts(&serv, &edges));
            assert_eq!(
                cb,
                floats(&case["baseline_counts"]),
                "{name}: baseline counts"
            );
            assert_eq!(
                cs,
                floats(&case["serving_counts"]),
                "{name}: serving counts"
            );
            let got = psi(&cb, &cs).unwrap();
            let want = case["psi"].as_f64().unwrap();
            assert!(rel_err(got, want) <= 1e-9, "{name}: psi {got} vs {want}");
            worst = worst.max(rel_err(got, want));
        }
        eprintln!("psi: worst relative error {worst:e}");
    }

    #[test]
    fn shifting_a_sample_by_a_constant_moves_wasserstein_by_that_constant() {
        let a = [0.0, 1.0, 5.0];
        let b: Vec<f64> = a.iter().map(|v| v + 0.75).collect();
        assert!((wasserstein1_sorted(&a, &b).unwrap() - 0.75).abs() < 1e-15);
    }

    #[test]
    fn bad_inputs_give_none_not_a_number() {
        assert_eq!(wasserstein1_sorted(&[2.0, 1.0], &[1.0]), None);
        assert_eq!(wasserstein1(&[f64::NAN], &[1.0]), None);
        assert_eq!(wasserstein1(&[f64::INFINITY], &[1.0]), None);
        assert_eq!(jensen_shannon(&[], &[]), None);
        assert_eq!(jensen_shannon(&[1.0, -1.0], &[1.0, 1.0]), None);
        assert_eq!(psi(&[1.0, 2.0], &[0.0, 0.0]), None);
        assert_eq!(psi(&[1.0], &[1.0, 2.0]), None);
    }

    #[test]
    fn quantile_edges_ignore_nan_and_tolerate_unsorted_input() {
        let clean = quantile_edges(&[1.0, 2.0, 3.0, 4.0, 5.0], 4);
        assert_eq!(clean, vec![2.0, 3.0, 4.0]);
        assert_eq!(
            quantile_edges(&[5.0, f64::NAN, 1.0, 4.0, 2.0, 3.0], 4),
            clean
        );
        assert!(quantile_edges(&[], 10).is_empty());
        assert!(quantile_edges(&[1.0, 2.0], 1).is_empty());
    }

    #[test]
    fn midpoint_cut_between_two_tied_blocks_leaves_an_empty_baseline_bin() {
        let base: Vec<f64> = (0..1000).map(|i| if i < 500 { 0.0 } else { 1.0 }).collect();
        let edges = quantile_edges(&base, 10);
        assert_eq!(edges, vec![0.0, 0.5, 1.0]);
        assert_eq!(bin_counts(&base, &edges), vec![500.0, 0.0, 500.0, 0.0]);
    }

    #[test]
    fn counts_of_a_sorted_sample_are_the_counts_of_each_value() {
        // Ties, duplicate cut points, values on the cut points, beyond both ends.
        let mut x: Vec<f64> = (0..997).map(|i| ((i * 7919) % 40) as f64 / 4.0).collect();
        x.sort_by(f64::total_cmp);
        for edges in [
            quantile_edges(&x, 10),
            vec![1.0, 1.0, 2.5, 9.75],
            vec![-1.0],
            vec![],
        ] {
            assert_eq!(
                bin_counts_sorted(&x, &edges),
                bin_counts(&x, &edges),
                "{edges:?}"
            );
        }
    }

    #[test]
    fn values_equal_to_a_cut_point_fall_in_the_bin_that_ends_there() {
        assert_eq!(
            bin_counts(&[0.0, 1.0, 1.0, 1.5, 9.0, f64::NAN], &[1.0, 2.0]),
            vec![3.0, 1.0, 1.0]
        );
    }

    #[test]
    fn psi_of_identical_bins_is_zero_and_empty_bins_stay_finite() {
        assert_eq!(psi(&[10.0, 20.0, 30.0], &[1.0, 2.0, 3.0]), Some(0.0));
        let v = psi(&[50.0, 50.0], &[100.0, 0.0]).unwrap();
        let want =
            (1.0 - 0.5) * (1.0f64 / 0.5).ln() + (PSI_EPSILON - 0.5) * (PSI_EPSILON / 0.5).ln();
        assert!((v - want).abs() < 1e-12);
    }
}

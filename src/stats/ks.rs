//! Two-sample Kolmogorov–Smirnov test, two-sided, matching `scipy.stats.ks_2samp`.
//!
//! The drift engine sorts each numeric column once and runs many tests against it, so the
//! core entry point [`ks_2samp_sorted`] takes already-sorted slices and finds the statistic
//! in one O(n1 + n2) merge; [`ks_2samp`] is the convenience that sorts copies.
//!
//! p-values: `Exact` is SciPy's `method="exact"` (`ks/exact.rs`); `Asymptotic` is SciPy's
//! `method="asymp"`, which is `kstwo.sf(D, round(m·n/(m+n)))` — the finite-n one-sample
//! Kolmogorov law, not the limiting `kstwobign` (`ks/kolmogorov.rs`). `Auto` differs from
//! SciPy on purpose: SciPy goes exact while max(n1, n2) <= 10 000, which for 10 000 vs
//! 10 000 costs ~10^8 steps per test; we go exact while n1·n2 <= 1 000 000, which bounds
//! the exact cost at ~10^6 steps whatever the sizes (see docs/statistics.md).

mod exact;
mod kolmogorov;

/// How the p-value is (to be) computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KsMethod {
    /// Exact null distribution (SciPy `method="exact"`).
    Exact,
    /// Kolmogorov distribution with n = round(n1·n2/(n1+n2)) (SciPy `method="asymp"`).
    Asymptotic,
    /// Exact when n1·n2 <= [`AUTO_EXACT_MAX_PAIRS`], else asymptotic.
    Auto,
}

/// `Auto` uses the exact p-value up to this many (baseline, serving) pairs.
pub const AUTO_EXACT_MAX_PAIRS: u64 = 1_000_000;

/// Result of a two-sided two-sample KS test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KsResult {
    /// sup |F1 - F2| over all values, in [0, 1].
    pub statistic: f64,
    /// Two-sided p-value, in [0, 1].
    pub p_value: f64,
    /// The method actually used: `Exact` or `Asymptotic`, never `Auto`.
    pub method: KsMethod,
}

/// KS test on ascending-sorted samples without NaN (±∞ are fine: only order matters).
///
/// Returns None if either side is empty, holds NaN, or is not sorted (checked in the same
/// O(n) pass, so a caller's mistake cannot produce a silently wrong p-value). Ties within
/// and across samples are handled as SciPy does: both ECDFs are evaluated after every copy
/// of a value, so identical or constant samples give statistic 0 and p-value 1.
///
/// `Exact` falls back to `Asymptotic` (reported in `method`) when lcm(n1, n2) is too large
/// for SciPy's exact routine (>= 2^31 - 1), or if the exact sum goes non-finite, as SciPy does.
pub fn ks_2samp_sorted(a: &[f64], b: &[f64], method: KsMethod) -> Option<KsResult> {
    if a.is_empty() || b.is_empty() || !is_sorted_without_nan(a) || !is_sorted_without_nan(b) {
        return None;
    }
    let (n1, n2) = (a.len() as u64, b.len() as u64);
    let g = exact::gcd(n1, n2);
    // |i·n2 - j·n1| is always a multiple of g; h counts D in units of 1/lcm exactly.
    let h = max_ecdf_gap(a, b) / u128::from(g);
    let lcm = u128::from(n1 / g) * u128::from(n2);
    let statistic = h as f64 / lcm as f64;

    let want_exact = match method {
        KsMethod::Exact => {
            // SciPy's guard: lcm must fit an int32 for its exact routine.
            ((n1 / g) as f64) < f64::from(i32::MAX) / ((n2 / g) as f64)
        }
        KsMethod::Asymptotic => false,
        KsMethod::Auto => u128::from(n1) * u128::from(n2) <= u128::from(AUTO_EXACT_MAX_PAIRS),
    };
    if want_exact {
        if let Some(p_value) = exact::two_sided_sf(n1, n2, h as u64) {
            return Some(KsResult {
                statistic,
                p_value,
                method: KsMethod::Exact,
            });
        }
    }
    let (big, small) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = big * small / (big + small);
    // numpy rounds half to even; n1 = n2 = 1 would give n = 0, where SciPy returns NaN,
    // so we use n >= 1 instead (documented).
    let n = (en.round_ties_even() as u64).max(1);
    let p_value = kolmogorov::kolmogn(n, statistic, false);
    Some(KsResult {
        statistic,
        p_value,
        method: KsMethod::Asymptotic,
    })
}

/// [`ks_2samp_sorted`] on unsorted input: sorts copies first. None on empty or NaN input.
pub fn ks_2samp(a: &[f64], b: &[f64], method: KsMethod) -> Option<KsResult> {
    if a.iter().chain(b).any(|v| v.is_nan()) {
        return None;
    }
    let (mut a, mut b) = (a.to_vec(), b.to_vec());
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    ks_2samp_sorted(&a, &b, method)
}

fn is_sorted_without_nan(x: &[f64]) -> bool {
    x.iter().all(|v| !v.is_nan()) && x.windows(2).all(|w| w[0] <= w[1])
}

/// max over all values v of |i(v)·n2 - j(v)·n1|, where i(v), j(v) count the elements <= v.
/// Both cursors move past every copy of v before comparing, which is what makes ties right.
fn max_ecdf_gap(a: &[f64], b: &[f64]) -> u128 {
    let (n1, n2) = (a.len() as u128, b.len() as u128);
    let (mut i, mut j, mut best) = (0usize, 0usize, 0u128);
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        best = best.max((i as u128 * n2).abs_diff(j as u128 * n1));
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixture::{drift as fixture, floats, rel_err};
    use serde_json::Value;

    fn parse_method(s: &str) -> KsMethod {
        match s {
            "exact" => KsMethod::Exact,
            "asymp" => KsMethod::Asymptotic,
            _ => KsMethod::Auto,
        }
    }

    /// Runs every fixture case whose requested method is `which`; returns worst errors.
    fn check_cases(which: &str) -> (f64, f64) {
        let (mut worst_stat, mut worst_p) = (0.0f64, 0.0f64);
        let data = fixture();
        let cases: Vec<&Value> = data["ks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["method"] == which)
            .collect();
        assert!(!cases.is_empty(), "no fixture cases for {which}");
        for case in cases {
            let name = case["name"].as_str().unwrap();
            let (a, b) = (floats(&case["a"]), floats(&case["b"]));
            let r = ks_2samp(&a, &b, parse_method(which)).unwrap();
            let used = parse_method(case["method_used"].as_str().unwrap());
            assert_eq!(r.method, used, "{name}: method used");
            let es = rel_err(r.statistic, case["statistic"].as_f64().unwrap());
            let ep = rel_err(r.p_value, case["p_value"].as_f64().unwrap());
            let p_rtol = case["p_rtol"].as_f64().unwrap();
            assert!(
                es <= 1e-9,
                "{name}: statistic {} vs {}",
                r.statistic,
                case["statistic"]
            );
            assert!(
                ep <= p_rtol,
                "{name}: p {:e} vs {}",
                r.p_value,
                case["p_value"]
            );
            worst_stat = worst_stat.max(es);
            worst_p = worst_p.max(ep);
        }
        eprintln!("ks {which}: worst rel err statistic {worst_stat:e}, p {worst_p:e}");
        (worst_stat, worst_p)
    }

    #[test]
    fn exact_method_matches_scipy_exact_including_ties_tiny_samples_and_p_near_1e_12() {
        check_cases("exact");
    }

    #[test]
    fn asymptotic_method_matches_scipy_asymp_which_is_kstwo_not_kstwobign() {
        check_cases("asymp");
    }

    #[test]
    fn auto_is_exact_up_to_a_million_pairs_and_asymptotic_beyond() {
        check_cases("auto");
    }

    #[test]
    fn presorted_entry_point_gives_the_same_answer_as_the_sorting_one() {
        let a = [3.0, -1.0, 2.5, 2.5, 9.0];
        let b = [0.0, 2.5, 4.0];
        let (mut sa, mut sb) = (a.to_vec(), b.to_vec());
        sa.sort_by(f64::total_cmp);
        sb.sort_by(f64::total_cmp);
        assert_eq!(
            ks_2samp(&a, &b, KsMethod::Auto),
            ks_2samp_sorted(&sa, &sb, KsMethod::Auto)
        );
    }

    #[test]
    fn empty_nan_or_unsorted_input_gives_none_instead_of_a_number() {
        assert_eq!(ks_2samp(&[], &[1.0], KsMethod::Auto), None);
        assert_eq!(ks_2samp(&[1.0], &[], KsMethod::Exact), None);
        assert_eq!(ks_2samp(&[1.0, f64::NAN], &[2.0], KsMethod::Auto), None);
        assert_eq!(ks_2samp_sorted(&[2.0, 1.0], &[2.0], KsMethod::Auto), None);
        assert_eq!(ks_2samp_sorted(&[f64::NAN], &[2.0], KsMethod::Auto), None);
    }

    #[test]
    fn infinite_values_are_ranked_like_any_other_value() {
        let r = ks_2samp(
            &[f64::NEG_INFINITY, 0.0],
            &[1.0, f64::INFINITY],
            KsMethod::Exact,
        )
        .unwrap();
        assert_eq!(r.statistic, 1.0);
        assert!((r.p_value - 1.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn single_pair_asymptotic_uses_n_of_one_instead_of_nan() {
        let r = ks_2samp(&[1.0], &[2.0], KsMethod::Asymptotic).unwrap();
        assert_eq!((r.statistic, r.p_value), (1.0, 0.0));
    }
}

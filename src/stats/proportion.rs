//! Intervals and tests for proportions: the sensitivity/specificity comparisons of the release
//! gate and the novel-case rate check.
//!
//! Each function matches one reference, checked by the tests below against
//! `testdata/fixtures/performance_stats.json` (`scripts/fixtures_performance.py`):
//!
//! - [`wilson`] — statsmodels `proportion_confint(method="wilson")`;
//! - [`newcombe_diff`] — statsmodels `confint_proportions_2indep(method="newcomb", compare="diff")`;
//! - [`mcnemar`] — statsmodels `mcnemar(table, exact=..., correction=True)`;
//! - [`paired_diff_wald`] — the textbook Wald interval for a paired difference;
//! - [`binom_test`] — `scipy.stats.binomtest(...).pvalue`.
//!
//! Every function returns `None` instead of panicking on inputs where the statistic is not
//! defined (no observations, counts larger than `n`, a confidence outside (0, 1), NaN).

use serde::Serialize;
use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, Discrete, DiscreteCDF, Normal};

/// A two-sided confidence interval `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Direction of the alternative hypothesis of a one-sample test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Alternative {
    TwoSided,
    /// The true proportion is greater than the hypothesised one.
    Greater,
    /// The true proportion is less than the hypothesised one.
    Less,
}

/// McNemar's test on the discordant counts of a paired 2×2 table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct McNemarResult {
    /// `min(b, c)` for the exact test; the continuity-corrected chi-square otherwise.
    pub statistic: f64,
    pub p_value: f64,
}

/// Two-sided normal critical value `z_{1-α/2}` for `confidence = 1 - α`, or `None` when the
/// confidence is not strictly between 0 and 1 (statrs' quantile would panic at the ends).
pub(crate) fn z_critical(confidence: f64) -> Option<f64> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return None;
    }
    let normal = Normal::standard();
    Some(normal.inverse_cdf(1.0 - (1.0 - confidence) / 2.0))
}

/// Wilson score interval for `successes` out of `n`, clipped to [0, 1] as statsmodels does.
/// At 0 successes the lower bound is exactly 0 and at `n` the upper bound exactly 1, where
/// statsmodels leaves rounding residue of about 1e-16 (so a gate comparing a bound with 0 or
/// 1 behaves predictably).
pub fn wilson(successes: u64, n: u64, confidence: f64) -> Option<Interval> {
    if n == 0 || successes > n {
        return None;
    }
    let z = z_critical(confidence)?;
    let (q, nf, z2) = (successes as f64 / n as f64, n as f64, z * z);
    let denom = 1.0 + z2 / nf;
    let center = (q + z2 / (2.0 * nf)) / denom;
    let half = z * (q * (1.0 - q) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    let low = if successes == 0 {
        0.0
    } else {
        (center - half).clamp(0.0, 1.0)
    };
    let high = if successes == n {
        1.0
    } else {
        (center + half).clamp(0.0, 1.0)
    };
    Some(Interval { low, high })
}

/// Newcombe's hybrid score interval (method 10 of Newcombe 1998) for `p1 - p2` of two
/// independent proportions; returns the point estimate and the interval.
///
/// Used for serving-minus-baseline sensitivity with a non-inferiority margin: the gate compares
/// the interval's lower bound with `-margin`.
pub fn newcombe_diff(
    x1: u64,
    n1: u64,
    x2: u64,
    n2: u64,
    confidence: f64,
) -> Option<(f64, Interval)> {
    let w1 = wilson(x1, n1, confidence)?;
    let w2 = wilson(x2, n2, confidence)?;
    let (p1, p2) = (x1 as f64 / n1 as f64, x2 as f64 / n2 as f64);
    let diff = p1 - p2;
    let d_low = ((p1 - w1.low).powi(2) + (w2.high - p2).powi(2)).sqrt();
    let d_high = ((p2 - w2.low).powi(2) + (w1.high - p1).powi(2)).sqrt();
    Some((
        diff,
        Interval {
            low: diff - d_low,
            high: diff + d_high,
        },
    ))
}

/// McNemar's test from the discordant counts `b` and `c` of a paired 2×2 table.
///
/// `exact = true` is the two-sided binomial test of `min(b, c)` against Binomial(b + c, 1/2)
/// (p-value capped at 1). `exact = false` is the chi-square test with the continuity
/// correction `(|b - c| - 1)² / (b + c)`, exactly as statsmodels computes it: when `b == c`
/// this gives `1 / (b + c)` rather than 0, a known quirk we keep so the numbers match.
/// With `b + c = 0` the exact test returns statistic 0 and p-value 1, while the chi-square
/// statistic is undefined (statsmodels divides by zero) and we return `None`.
pub fn mcnemar(b: u64, c: u64, exact: bool) -> Option<McNemarResult> {
    let total = b.checked_add(c)?;
    if exact {
        let k = b.min(c);
        let p = if total == 0 {
            1.0
        } else {
            2.0 * Binomial::new(0.5, total).ok()?.cdf(k)
        };
        return Some(McNemarResult {
            statistic: k as f64,
            p_value: p.min(1.0),
        });
    }
    if total == 0 {
        return None;
    }
    let diff = (b as f64 - c as f64).abs() - 1.0;
    let statistic = diff * diff / total as f64;
    let p_value = ChiSquared::new(1.0).ok()?.sf(statistic);
    Some(McNemarResult { statistic, p_value })
}

/// Wald interval for the difference of two paired proportions, `(b - c) / n`, where `b` and
/// `c` are the discordant counts out of `n` pairs (e.g. cases only the new model gets right
/// minus cases only the old one gets right). Variance `((b + c)/n - d²) / n`; the interval is
/// clipped to [-1, 1]. With no discordant pairs it collapses to `[0, 0]`.
pub fn paired_diff_wald(b: u64, c: u64, n: u64, confidence: f64) -> Option<(f64, Interval)> {
    if n == 0 || b.checked_add(c)? > n {
        return None;
    }
    let z = z_critical(confidence)?;
    let nf = n as f64;
    let d = (b as f64 - c as f64) / nf;
    // Clamp: rounding can make the variance a hair negative when b + c = n and c = 0.
    let var = (((b + c) as f64 / nf - d * d) / nf).max(0.0);
    let half = z * var.sqrt();
    Some((
        d,
        Interval {
            low: (d - half).max(-1.0),
            high: (d + half).min(1.0),
        },
    ))
}

/// Exact binomial test p-value for `k` successes in `n` trials against success probability
/// `p`, as `scipy.stats.binomtest(k, n, p, alternative).pvalue`.
///
/// The two-sided p-value sums the probabilities of all outcomes no more likely than `k`, with
/// SciPy's relative tolerance of 1e-7 on "no more likely" so that mirror-image outcomes of a
/// symmetric distribution are not lost to rounding.
pub fn binom_test(k: u64, n: u64, p: f64, alternative: Alternative) -> Option<f64> {
    if n == 0 || k > n {
        return None;
    }
    let dist = Binomial::new(p, n).ok()?; // rejects NaN and p outside [0, 1]
    let pvalue = match alternative {
        Alternative::Less => dist.cdf(k),
        Alternative::Greater if k == 0 => 1.0,
        Alternative::Greater => dist.sf(k - 1),
        Alternative::TwoSided => two_sided_binom(&dist, k, n, p),
    };
    Some(pvalue.min(1.0))
}

fn two_sided_binom(dist: &Binomial, k: u64, n: u64, p: f64) -> f64 {
    let expected = p * n as f64;
    let k_f = k as f64;
    if k_f == expected {
        return 1.0;
    }
    let cutoff = dist.pmf(k) * (1.0 + 1e-7);
    if k_f < expected {
        // The pmf is non-increasing on [ceil(np), n]: count its terms at or below the cutoff.
        let lo = expected.ceil() as u64;
        let y = count_tail(lo, n, |i| dist.pmf(i) <= cutoff, true);
        let upper = if y == 0 { 0.0 } else { dist.sf(n - y) };
        dist.cdf(k) + upper
    } else {
        // The pmf is non-decreasing on [0, floor(np)].
        let hi = expected.floor() as u64;
        let y = count_tail(0, hi, |i| dist.pmf(i) <= cutoff, false);
        let lower = if y == 0 { 0.0 } else { dist.cdf(y - 1) };
        lower + dist.sf(k - 1)
    }
}

/// Number of `i` in `lo..=hi` satisfying a predicate that holds on a suffix of the range
/// (`suffix = true`) or on a prefix (`suffix = false`); binary search, O(log n) pmf calls.
fn count_tail(lo: u64, hi: u64, pred: impl Fn(u64) -> bool, suffix: bool) -> u64 {
    if lo > hi {
        return 0;
    }
    // Find the first index where `pred == suffix` flips to true (suffix) / false (prefix).
    let (mut a, mut b) = (lo, hi + 1);
    while a < b {
        let mid = a + (b - a) / 2;
        if pred(mid) == suffix {
            b = mid;
        } else {
            a = mid + 1;
        }
    }
    if suffix {
        hi + 1 - a
    } else {
        a - lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixture::{assert_close, performance as fixture};
    use serde_json::Value;

    fn f(v: &Value, key: &str) -> f64 {
        v[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key} missing in {v}"))
    }
    fn u(v: &Value, key: &str) -> u64 {
        v[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key} missing in {v}"))
    }

    #[test]
    fn wilson_matches_statsmodels_including_zero_and_all_successes() {
        let fx = fixture();
        for case in fx["wilson"].as_array().unwrap() {
            let got = wilson(u(case, "x"), u(case, "n"), f(case, "confidence")).unwrap();
            assert_close(got.low, f(case, "low"), &format!("low {case}"));
            assert_close(got.high, f(case, "high"), &format!("high {case}"));
        }
    }

    #[test]
    fn wilson_bounds_are_exactly_0_and_1_at_no_and_all_successes() {
        for n in [1, 3, 7, 13, 50, 999] {
            for conf in [0.8, 0.9, 0.95, 0.99] {
                assert_eq!(wilson(0, n, conf).unwrap().low, 0.0, "n={n} conf={conf}");
                assert_eq!(wilson(n, n, conf).unwrap().high, 1.0, "n={n} conf={conf}");
            }
        }
    }

    #[test]
    fn wilson_rejects_empty_sample_overfull_counts_and_bad_confidence() {
        assert_eq!(wilson(0, 0, 0.95), None);
        assert_eq!(wilson(6, 5, 0.95), None);
        assert_eq!(wilson(2, 5, 1.0), None);
        assert_eq!(wilson(2, 5, f64::NAN), None);
    }

    #[test]
    fn newcombe_matches_statsmodels_newcomb_diff() {
        let fx = fixture();
        for case in fx["newcombe"].as_array().unwrap() {
            let (d, ci) = newcombe_diff(
                u(case, "x1"),
                u(case, "n1"),
                u(case, "x2"),
                u(case, "n2"),
                f(case, "confidence"),
            )
            .unwrap();
            assert_close(d, f(case, "diff"), &format!("diff {case}"));
            assert_close(ci.low, f(case, "low"), &format!("low {case}"));
            assert_close(ci.high, f(case, "high"), &format!("high {case}"));
        }
        assert_eq!(newcombe_diff(1, 0, 1, 2, 0.95), None);
    }

    #[test]
    fn mcnemar_matches_statsmodels_exact_and_corrected() {
        let fx = fixture();
        for case in fx["mcnemar"].as_array().unwrap() {
            let got = mcnemar(u(case, "b"), u(case, "c"), case["exact"].as_bool().unwrap());
            match case["statistic"].as_f64() {
                None => assert_eq!(got, None, "{case}"),
                Some(stat) => {
                    let got = got.unwrap();
                    assert_close(got.statistic, stat, &format!("stat {case}"));
                    assert_close(got.p_value, f(case, "p_value"), &format!("p {case}"));
                }
            }
        }
    }

    #[test]
    fn paired_wald_matches_formula_and_collapses_without_discordant_pairs() {
        let fx = fixture();
        for case in fx["paired_wald"].as_array().unwrap() {
            let (d, ci) = paired_diff_wald(
                u(case, "b"),
                u(case, "c"),
                u(case, "n"),
                f(case, "confidence"),
            )
            .unwrap();
            assert_close(d, f(case, "diff"), &format!("diff {case}"));
            assert_close(ci.low, f(case, "low"), &format!("low {case}"));
            assert_close(ci.high, f(case, "high"), &format!("high {case}"));
        }
        assert_eq!(
            paired_diff_wald(0, 0, 10, 0.95).unwrap().1,
            Interval {
                low: 0.0,
                high: 0.0
            }
        );
        assert_eq!(paired_diff_wald(6, 5, 10, 0.95), None);
        assert_eq!(paired_diff_wald(0, 0, 0, 0.95), None);
    }

    #[test]
    fn binom_test_matches_scipy_for_all_alternatives() {
        let fx = fixture();
        for case in fx["binom_test"].as_array().unwrap() {
            let alt = match case["alternative"].as_str().unwrap() {
                "two-sided" => Alternative::TwoSided,
                "greater" => Alternative::Greater,
                _ => Alternative::Less,
            };
            let got = binom_test(u(case, "k"), u(case, "n"), f(case, "p"), alt).unwrap();
            assert_close(got, f(case, "p_value"), &format!("{case}"));
        }
    }

    #[test]
    fn binom_test_rejects_invalid_inputs() {
        assert_eq!(binom_test(1, 0, 0.5, Alternative::TwoSided), None);
        assert_eq!(binom_test(3, 2, 0.5, Alternative::Less), None);
        assert_eq!(binom_test(1, 2, f64::NAN, Alternative::Greater), None);
        assert_eq!(binom_test(1, 2, 1.5, Alternative::Greater), None);
    }
}

//! Area under the ROC curve and its DeLong variance, for one model or two models read on the
//! same cases: the discrimination part of performance monitoring and of the release gate.
//!
//! [`auroc`] matches `sklearn.metrics.roc_auc_score` (tied scores count one half, via
//! midranks). [`delong`] and [`delong_paired`] use the fast DeLong algorithm of Sun & Xu
//! (2014), which obtains the DeLong placement values from three midrank computations in
//! O(n log n) instead of the O(m·n) pairwise comparisons of the definition. The fixture
//! script implements both and checks they agree before writing the reference values.
//!
//! Labels are `&[bool]` (`true` = positive). Scores may be any finite numbers (only their
//! order matters); a NaN, mismatched lengths or a missing class give `None`.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

use super::proportion::{z_critical, Interval};

/// DeLong estimate for one model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DelongResult {
    pub auc: f64,
    pub variance: f64,
    pub se: f64,
    /// Wald interval `auc ± z·se`, clipped to [0, 1]: the unclipped bounds can leave the
    /// range near perfect discrimination, where the normal approximation is poorest.
    pub ci: Interval,
}

/// DeLong comparison of two models scored on the same cases.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedDelong {
    pub auc_a: f64,
    pub auc_b: f64,
    /// `auc_a - auc_b`.
    pub diff: f64,
    pub var_diff: f64,
    pub se_diff: f64,
    /// `diff / se_diff`. When `se_diff` is 0 (both models' placement values are constant
    /// within each class, e.g. two perfect models) it is 0 if `diff` is 0, else ±infinity.
    pub z: f64,
    /// Two-sided normal p-value for `diff = 0`.
    pub p_value: f64,
    /// Wald interval `diff ± z·se_diff`, clipped to [-1, 1].
    pub ci_diff: Interval,
}

/// Area under the ROC curve, or `None` if either class is absent or a score is NaN.
pub fn auroc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    components(scores, labels).map(|c| c.auc)
}

/// AUC with DeLong's variance and a Wald confidence interval. Needs at least two cases of
/// each class: with one, the sample variance of that class' placement values is undefined.
pub fn delong(scores: &[f64], labels: &[bool], confidence: f64) -> Option<DelongResult> {
    let z = z_critical(confidence)?;
    let c = components(scores, labels)?;
    let (m, n) = (c.v10.len(), c.v01.len());
    if m < 2 || n < 2 {
        return None;
    }
    let variance = sample_variance(&c.v10) / m as f64 + sample_variance(&c.v01) / n as f64;
    let se = variance.sqrt();
    Some(DelongResult {
        auc: c.auc,
        variance,
        se,
        ci: Interval {
            low: (c.auc - z * se).max(0.0),
            high: (c.auc + z * se).min(1.0),
        },
    })
}

/// Paired DeLong test of `AUC_a - AUC_b` for two models scored on the same cases.
pub fn delong_paired(
    scores_a: &[f64],
    scores_b: &[f64],
    labels: &[bool],
    confidence: f64,
) -> Option<PairedDelong> {
    let zc = z_critical(confidence)?;
    let a = components(scores_a, labels)?;
    let b = components(scores_b, labels)?;
    let (m, n) = (a.v10.len(), a.v01.len());
    if m < 2 || n < 2 {
        return None;
    }
    // Var(a - b) = Var(a) + Var(b) - 2 Cov(a, b), computed as the variance of the paired
    // differences of placement values: same value, no cancellation between large terms.
    let d10: Vec<f64> = a.v10.iter().zip(&b.v10).map(|(x, y)| x - y).collect();
    let d01: Vec<f64> = a.v01.iter().zip(&b.v01).map(|(x, y)| x - y).collect();
    let var_diff = sample_variance(&d10) / m as f64 + sample_variance(&d01) / n as f64;
    let se_diff = var_diff.sqrt();
    let diff = a.auc - b.auc;
    let z = if se_diff > 0.0 {
        diff / se_diff
    } else if diff == 0.0 {
        0.0
    } else {
        f64::INFINITY.copysign(diff)
    };
    let p_value = (2.0 * Normal::standard().sf(z.abs())).min(1.0);
    Some(PairedDelong {
        auc_a: a.auc,
        auc_b: b.auc,
        diff,
        var_diff,
        se_diff,
        z,
        p_value,
        ci_diff: Interval {
            low: (diff - zc * se_diff).max(-1.0),
            high: (diff + zc * se_diff).min(1.0),
        },
    })
}

/// AUC and DeLong placement values: `v10[i]` is the fraction of negatives that positive `i`
/// outscores (ties ½), `v01[j]` the fraction of positives that outscore negative `j`.
struct Components {
    auc: f64,
    v10: Vec<f64>,
    v01: Vec<f64>,
}

fn components(scores: &[f64], labels: &[bool]) -> Option<Components> {
    if scores.len() != labels.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let pos: Vec<f64> = zip_filter(scores, labels, true);
    let neg: Vec<f64> = zip_filter(scores, labels, false);
    let (m, n) = (pos.len(), neg.len());
    if m == 0 || n == 0 {
        return None;
    }
    let pooled: Vec<f64> = pos.iter().chain(&neg).copied().collect();
    let tz = midranks(&pooled);
    let tx = midranks(&pos);
    let ty = midranks(&neg);
    let (mf, nf) = (m as f64, n as f64);
    // A positive's pooled rank minus its rank among positives counts the negatives below it.
    let v10: Vec<f64> = (0..m).map(|i| (tz[i] - tx[i]) / nf).collect();
    let v01: Vec<f64> = (0..n).map(|j| 1.0 - (tz[m + j] - ty[j]) / mf).collect();
    // Mann–Whitney from the rank sum: midranks are multiples of ½, so this sum is exact.
    let rank_sum: f64 = tz[..m].iter().sum();
    let auc = (rank_sum - mf * (mf + 1.0) / 2.0) / (mf * nf);
    Some(Components { auc, v10, v01 })
}

fn zip_filter(scores: &[f64], labels: &[bool], class: bool) -> Vec<f64> {
    scores
        .iter()
        .zip(labels)
        .filter(|(_, &l)| l == class)
        .map(|(&s, _)| s)
        .collect()
}

/// 1-based ranks with ties given the mean of the ranks they span. Input must have no NaN.
fn midranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_unstable_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        // `==` rather than total_cmp so that -0.0 and 0.0 tie, as in NumPy.
        while end < order.len() && xs[order[end]] == xs[order[start]] {
            end += 1;
        }
        let mid = (start + end + 1) as f64 / 2.0; // mean of ranks start+1 ..= end
        for &i in &order[start..end] {
            ranks[i] = mid;
        }
        start = end;
    }
    ranks
}

/// Sample variance with denominator n − 1 (caller guarantees n ≥ 2).
fn sample_variance(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixture::{assert_close, bools, floats, performance as fixture};
    use serde_json::Value;

    fn cases() -> Vec<(String, Value)> {
        let fx = fixture();
        let roc = fx["roc"].as_array().unwrap();
        roc.iter()
            .map(|c| (c["name"].as_str().unwrap().to_owned(), c.clone()))
            .collect()
    }

    #[test]
    fn auroc_matches_sklearn_including_ties_and_missing_class() {
        for (name, c) in cases() {
            let got = auroc(&floats(&c["scores"]), &bools(&c["labels"]));
            match c["auroc"].as_f64() {
                None => assert_eq!(got, None, "{name}"),
                Some(want) => assert_close(got.unwrap(), want, &name),
            }
        }
    }

    #[test]
    fn delong_matches_reference_and_needs_two_cases_per_class() {
        let mut checked = 0;
        for (name, c) in cases() {
            let conf = c["confidence"].as_f64().unwrap();
            let got = delong(&floats(&c["scores"]), &bools(&c["labels"]), conf);
            let want = &c["delong"];
            if want.is_null() {
                assert_eq!(got, None, "{name}");
                continue;
            }
            let got = got.unwrap();
            for (g, key) in [
                (got.auc, "auc"),
                (got.variance, "variance"),
                (got.se, "se"),
                (got.ci.low, "low"),
                (got.ci.high, "high"),
            ] {
                assert_close(g, want[key].as_f64().unwrap(), &format!("{name} {key}"));
            }
            checked += 1;
        }
        assert!(checked >= 6, "fixture lost its DeLong cases");
    }

    #[test]
    fn delong_paired_matches_reference_including_degenerate_variance() {
        let mut checked = 0;
        for (name, c) in cases() {
            if c.get("scores_b").is_none() {
                continue;
            }
            let conf = c["confidence"].as_f64().unwrap();
            let got = delong_paired(
                &floats(&c["scores"]),
                &floats(&c["scores_b"]),
                &bools(&c["labels"]),
                conf,
            );
            let want = &c["delong_paired"];
            if want.is_null() {
                assert_eq!(got, None, "{name}");
                continue;
            }
            let got = got.unwrap();
            for (g, key) in [
                (got.auc_a, "auc_a"),
                (got.auc_b, "auc_b"),
                (got.diff, "diff"),
                (got.var_diff, "var_diff"),
                (got.se_diff, "se_diff"),
                (got.p_value, "p_value"),
                (got.ci_diff.low, "low"),
                (got.ci_diff.high, "high"),
            ] {
                assert_close(g, want[key].as_f64().unwrap(), &format!("{name} {key}"));
            }
            match want["z"].as_f64() {
                Some(z) => assert_close(got.z, z, &format!("{name} z")),
                // null in the fixture: infinite z with the sign of the difference
                None => assert_eq!(got.z, f64::INFINITY.copysign(got.diff), "{name} z"),
            }
            checked += 1;
        }
        assert!(checked >= 5, "fixture lost its paired cases");
    }

    #[test]
    fn invalid_inputs_give_none_not_panics() {
        assert_eq!(auroc(&[], &[]), None);
        assert_eq!(auroc(&[0.1, 0.2], &[true]), None);
        assert_eq!(auroc(&[0.1, f64::NAN], &[true, false]), None);
        let s = [0.1, 0.4, 0.5, 0.9];
        let l = [false, false, true, true];
        assert_eq!(delong(&s, &l, 1.0), None);
        assert_eq!(delong(&s, &l, f64::NAN), None);
        assert_eq!(delong_paired(&s, &s[..3], &l, 0.95), None);
    }

    #[test]
    fn swapping_models_negates_the_difference() {
        let (_, c) = cases()
            .into_iter()
            .find(|(n, _)| n == "random_n200")
            .unwrap();
        let (a, b, l) = (
            floats(&c["scores"]),
            floats(&c["scores_b"]),
            bools(&c["labels"]),
        );
        let ab = delong_paired(&a, &b, &l, 0.95).unwrap();
        let ba = delong_paired(&b, &a, &l, 0.95).unwrap();
        assert_eq!(ab.diff, -ba.diff);
        assert_close(ab.var_diff, ba.var_diff, "variance is symmetric");
        assert_close(ab.ci_diff.low, -ba.ci_diff.high, "interval mirrors");
    }
}

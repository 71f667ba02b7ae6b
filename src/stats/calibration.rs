//! Calibration of predicted probabilities: whether a score of 0.8 means "positive 80% of the
//! time". Drift in calibration is often the first sign that a model's inputs have moved even
//! while its ranking (AUROC) still looks fine.
//!
//! [`brier`] matches `sklearn.metrics.brier_score_loss`. [`reliability`] bins scores exactly
//! as `sklearn.calibration.calibration_curve(strategy="uniform")` does (same edges, same
//! closedness) and adds the expected calibration error (ECE). Both are checked against
//! `testdata/fixtures/performance_stats.json` (`scripts/fixtures_performance.py`).
//!
//! Scores must lie in [0, 1] and labels are `&[bool]`; empty input, mismatched lengths, NaN
//! or out-of-range scores give `None`.

use serde::Serialize;

/// One non-empty bin of a reliability diagram.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge; excluded, except for the first bin, which includes 0.
    pub low: f64,
    /// Upper edge; included (so a score of exactly 1.0 falls in the last bin).
    pub high: f64,
    pub n: usize,
    pub mean_score: f64,
    pub frac_positive: f64,
}

/// Reliability diagram and its summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reliability {
    /// Expected calibration error: `Σ (n_b / N) · |frac_positive_b − mean_score_b|`.
    pub ece: f64,
    /// Non-empty bins only, in increasing score order, as in scikit-learn: an empty bin
    /// has no mean score or observed frequency to plot.
    pub bins: Vec<ReliabilityBin>,
}

/// Mean squared difference between score and outcome (0 is perfect; 0.25 is what a constant
/// 0.5 scores). Defined even when only one class is present.
pub fn brier(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if !valid(scores, labels) {
        return None;
    }
    let sum: f64 = scores
        .iter()
        .zip(labels)
        .map(|(&s, &l)| {
            let e = s - f64::from(u8::from(l));
            e * e
        })
        .sum();
    Some(sum / scores.len() as f64)
}

/// Reliability diagram with `n_bins` equal-width bins on [0, 1] and the ECE.
///
/// Bin edges are `i · (1/n_bins)` (the last one exactly 1.0), computed the way `np.linspace`
/// computes them so that scores lying on an edge land in the same bin as in scikit-learn:
/// bins are `[0, e1]`, `(e1, e2]`, …, `(e_{k-1}, 1]`.
pub fn reliability(scores: &[f64], labels: &[bool], n_bins: usize) -> Option<Reliability> {
    if n_bins == 0 || !valid(scores, labels) {
        return None;
    }
    let step = 1.0 / n_bins as f64;
    let edge = |i: usize| if i == n_bins { 1.0 } else { i as f64 * step };
    let inner: Vec<f64> = (1..n_bins).map(edge).collect();
    let mut count = vec![0usize; n_bins];
    let mut score_sum = vec![0.0; n_bins];
    let mut pos = vec![0usize; n_bins];
    for (&s, &l) in scores.iter().zip(labels) {
        // np.searchsorted(side="left"): the number of inner edges strictly below the score.
        let b = inner.partition_point(|&e| e < s);
        count[b] += 1;
        score_sum[b] += s;
        pos[b] += usize::from(l);
    }
    let total = scores.len() as f64;
    let mut ece = 0.0;
    let mut bins = Vec::new();
    for b in (0..n_bins).filter(|&b| count[b] > 0) {
        let n = count[b] as f64;
        let (mean_score, frac_positive) = (score_sum[b] / n, pos[b] as f64 / n);
        ece += n / total * (frac_positive - mean_score).abs();
        bins.push(ReliabilityBin {
            low: edge(b),
            high: edge(b + 1),
            n: count[b],
            mean_score,
            frac_positive,
        });
    }
    Some(Reliability { ece, bins })
}

fn valid(scores: &[f64], labels: &[bool]) -> bool {
    !scores.is_empty()
        && scores.len() == labels.len()
        && scores.iter().all(|s| (0.0..=1.0).contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixture::{assert_close, bools, floats, performance as fixture};

    #[test]
    fn brier_matches_sklearn() {
        let fx = fixture();
        for c in fx["calibration"].as_array().unwrap() {
            let got = brier(&floats(&c["scores"]), &bools(&c["labels"])).unwrap();
            assert_close(
                got,
                c["brier"].as_f64().unwrap(),
                c["name"].as_str().unwrap(),
            );
        }
    }

    #[test]
    fn reliability_bins_match_sklearn_calibration_curve_and_numpy_ece() {
        let fx = fixture();
        for c in fx["calibration"].as_array().unwrap() {
            let name = c["name"].as_str().unwrap();
            let n_bins = c["n_bins"].as_u64().unwrap() as usize;
            let got = reliability(&floats(&c["scores"]), &bools(&c["labels"]), n_bins).unwrap();
            let counts: Vec<usize> = c["bin_counts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap() as usize)
                .filter(|&n| n > 0)
                .collect();
            let got_counts: Vec<usize> = got.bins.iter().map(|b| b.n).collect();
            assert_eq!(
                got_counts, counts,
                "{name}: scores on edges landed in other bins"
            );
            let (frac, mean) = (floats(&c["frac_positive"]), floats(&c["mean_score"]));
            for (i, bin) in got.bins.iter().enumerate() {
                assert_close(bin.frac_positive, frac[i], &format!("{name} frac bin {i}"));
                assert_close(bin.mean_score, mean[i], &format!("{name} mean bin {i}"));
            }
            assert_close(got.ece, c["ece"].as_f64().unwrap(), &format!("{name} ece"));
        }
    }

    #[test]
    fn edges_are_right_closed_with_zero_in_first_bin_and_one_in_last() {
        let got = reliability(&[0.0, 0.5, 0.5000001, 1.0], &[false, true, true, true], 2).unwrap();
        let ns: Vec<(f64, f64, usize)> = got.bins.iter().map(|b| (b.low, b.high, b.n)).collect();
        assert_eq!(ns, vec![(0.0, 0.5, 2), (0.5, 1.0, 2)]);
    }

    #[test]
    fn perfectly_calibrated_bins_have_zero_ece() {
        // Each bin's frequency of positives equals its mean score.
        let scores = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];
        let labels = [true, false, false, false, true, true, true, false];
        assert_eq!(reliability(&scores, &labels, 2).unwrap().ece, 0.0);
    }

    #[test]
    fn invalid_inputs_give_none() {
        assert_eq!(brier(&[], &[]), None);
        assert_eq!(brier(&[0.2, 0.3], &[true]), None);
        assert_eq!(brier(&[f64::NAN], &[true]), None);
        assert_eq!(brier(&[1.2], &[true]), None);
        assert_eq!(reliability(&[0.2], &[true], 0), None);
        assert_eq!(reliability(&[-0.1], &[true], 10), None);
    }
}

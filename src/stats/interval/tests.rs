use super::*;
use crate::stats::calibration::reliability;
use crate::stats::fixture::{assert_close, floats};
use crate::stats::proportion::wilson;

fn fixture() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../../testdata/fixtures/interval_stats.json"
    ))
    .expect("fixture parses")
}

fn close(got: f64, want: f64, what: &str) {
    if want.abs() < 1e-12 {
        assert!(got.abs() < 1e-12, "{what}: {got:e} vs {want:e}");
    } else {
        assert_close(got, want, what);
    }
}

#[test]
fn wasserstein_interval_matches_the_numpy_reference() {
    for case in fixture()["wasserstein_ci"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (mut a, mut b) = (floats(&case["a"]), floats(&case["b"]));
        a.sort_unstable_by(f64::total_cmp);
        b.sort_unstable_by(f64::total_cmp);
        let (w, ci) = wasserstein1_interval_sorted(&a, &b, 0.95).unwrap();
        close(w, case["w1"].as_f64().unwrap(), &format!("{name} w1"));
        close(
            ci.low,
            case["low"].as_f64().unwrap(),
            &format!("{name} low"),
        );
        close(
            ci.high,
            case["high"].as_f64().unwrap(),
            &format!("{name} high"),
        );
    }
}

#[test]
fn wasserstein_interval_rejects_what_wasserstein_rejects() {
    assert!(wasserstein1_interval_sorted(&[], &[1.0], 0.95).is_none());
    assert!(wasserstein1_interval_sorted(&[2.0, 1.0], &[1.0], 0.95).is_none());
    assert!(wasserstein1_interval_sorted(&[1.0], &[f64::NAN], 0.95).is_none());
    assert!(wasserstein1_interval_sorted(&[1.0], &[1.0], 1.0).is_none());
}

#[test]
fn share_change_interval_matches_statsmodels_newcombe() {
    for case in fixture()["share_change"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let got =
            share_change_interval(&floats(&case["baseline"]), &floats(&case["serving"]), 0.95);
        if case["expect"] == "none" {
            assert!(got.is_none(), "{name}");
            continue;
        }
        let (effect, top, ci) = got.unwrap();
        close(
            effect,
            case["effect"].as_f64().unwrap(),
            &format!("{name} effect"),
        );
        assert_eq!(top as u64, case["top"].as_u64().unwrap(), "{name} top");
        close(
            ci.low,
            case["low"].as_f64().unwrap(),
            &format!("{name} low"),
        );
        close(
            ci.high,
            case["high"].as_f64().unwrap(),
            &format!("{name} high"),
        );
    }
}

#[test]
fn new_category_share_uses_the_wilson_interval_of_statsmodels() {
    for case in fixture()["new_category"].as_array().unwrap() {
        let (x, n) = (case["x"].as_u64().unwrap(), case["n"].as_u64().unwrap());
        let ci = wilson(x, n, 0.95).unwrap();
        close(ci.low, case["low"].as_f64().unwrap(), "wilson low");
        close(ci.high, case["high"].as_f64().unwrap(), "wilson high");
    }
}

/// A calibrated model: label ~ Bernoulli(score).
fn calibrated(n: usize, seed: u64) -> (Vec<f64>, Vec<bool>) {
    use rand::Rng;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let s: f64 = rng.random::<f64>().powi(2);
            (s, rng.random::<f64>() < s)
        })
        .unzip()
}

#[test]
fn bin_residuals_reproduce_the_reliability_ece() {
    let (s, y) = calibrated(3000, 1);
    let bins = bin_residuals(&s, &y, 10);
    let sums: Vec<f64> = bins.iter().map(|b| b.sum).collect();
    let ece = reliability(&s, &y, 10).unwrap().ece;
    assert!((ece_of(&bins, &sums) - ece).abs() < 1e-12);
}

#[test]
fn ece_rise_interval_is_seeded_and_corrects_the_small_sample_bias() {
    let (bs, by) = calibrated(20_000, 2);
    let base = bin_residuals(&bs, &by, 10);
    let mut raised = 0;
    let mut covered_zero = 0;
    for seed in 0..200 {
        let (ss, sy) = calibrated(200, 100 + seed);
        let serving = bin_residuals(&ss, &sy, 10);
        let (rise, ci) = ece_rise_interval(&base, &serving, 0.95, 400, seed).unwrap();
        let again = ece_rise_interval(&base, &serving, 0.95, 400, seed).unwrap();
        assert_eq!((rise, ci), again, "same seed, same interval");
        let plain = reliability(&ss, &sy, 10).unwrap().ece - reliability(&bs, &by, 10).unwrap().ece;
        raised += usize::from(plain > 0.03);
        covered_zero += usize::from(ci.low <= 0.0);
        assert!(rise < plain, "debiased {rise} below plain {plain}");
    }
    // The plain ECE rises by over 3 points in most null windows (bias); the debiased rise's
    // interval keeps 0 in at least 95% of them.
    assert!(raised > 100, "{raised}");
    assert!(covered_zero >= 190, "{covered_zero}");
}

#[test]
fn ece_rise_interval_sees_a_miscalibrated_window() {
    let (bs, by) = calibrated(20_000, 3);
    let (ss, sy) = calibrated(400, 4);
    // Serving scores halved: the model now under-calls every case.
    let halved: Vec<f64> = ss.iter().map(|s| s / 2.0).collect();
    let (rise, ci) = ece_rise_interval(
        &bin_residuals(&bs, &by, 10),
        &bin_residuals(&halved, &sy, 10),
        0.95,
        400,
        7,
    )
    .unwrap();
    assert!(ci.low > 0.1, "{rise} [{}, {}]", ci.low, ci.high);
    eprintln!("halved scores: rise {rise} [{}, {}]", ci.low, ci.high);
}

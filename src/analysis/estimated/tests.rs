use super::*;
use crate::stats::calibrate::isotonic;
use crate::stats::fixture::floats;

use crate::stats::calibrate::tests::ones as labels;

#[test]
fn estimates_agree_with_nannyml_cbpe_within_a_hundredth() {
    let fixture = crate::stats::calibrate::tests::fixture();
    let cases = fixture["cbpe"].as_array().unwrap();
    assert!(!cases.is_empty(), "the fixture script ran without NannyML");
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let map = isotonic(
            &floats(&case["reference_scores"]),
            &labels(&case["reference_labels"]),
        )
        .unwrap();
        let threshold = case["threshold"].as_f64().unwrap();
        let scores = floats(&case["analysis_scores"]);
        let p: Vec<f64> = scores.iter().map(|&s| map.apply(s)).collect();
        let predictions: Vec<bool> = scores.iter().map(|&s| s >= threshold).collect();
        let ours = estimate(&p, &predictions, &scores);
        for metric in ["auroc", "sensitivity", "specificity", "ppv"] {
            let got = ours.metric(metric).unwrap().value;
            let want = case["nannyml"][metric].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 0.01,
                "{name} {metric}: ours {got:.4}, NannyML {want:.4}"
            );
        }
    }
}

#[test]
fn perfectly_known_labels_give_the_realized_metrics_with_the_floor_spread() {
    // p ∈ {0, 1}: the estimate is the realized value; its standard error is only the floor
    // of half a case (3 positives: 1/6), never 0.
    let p = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
    let predictions = [true, false, false, true, true, false];
    let scores = [0.9, 0.4, 0.2, 0.6, 0.8, 0.1];
    let e = estimate(&p, &predictions, &scores);
    let sens = e.sensitivity.unwrap();
    assert!((sens.value - 2.0 / 3.0).abs() < 1e-12);
    assert!((sens.se - 0.5 / 3.0).abs() < 1e-12, "{}", sens.se);
    let spec = e.specificity.unwrap();
    assert!((spec.value - 2.0 / 3.0).abs() < 1e-12);
    assert!((e.ppv.unwrap().value - 2.0 / 3.0).abs() < 1e-12);
    // AUROC of scores against these labels: positives 0.9, 0.4, 0.8; negatives 0.2, 0.6, 0.1.
    let auc = e.auroc.unwrap().value;
    assert!((auc - 8.0 / 9.0).abs() < 1e-12, "{auc}");
}

#[test]
fn the_standard_error_matches_a_simulation_of_realized_labels() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
    let n = 400;
    let scores: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let p: Vec<f64> = scores.iter().map(|s| s * s).collect();
    let predictions: Vec<bool> = scores.iter().map(|&s| s > 0.6).collect();
    let e = estimate(&p, &predictions, &scores).sensitivity.unwrap();
    let draws: Vec<f64> = (0..4000)
        .map(|_| {
            let (mut tp, mut pos) = (0.0, 0.0);
            for i in 0..n {
                if rng.random::<f64>() < p[i] {
                    pos += 1.0;
                    tp += f64::from(u8::from(predictions[i]));
                }
            }
            tp / pos
        })
        .collect();
    let mean = draws.iter().sum::<f64>() / draws.len() as f64;
    let sd = (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64).sqrt();
    assert!((mean - e.value).abs() < 0.01, "{mean} vs {}", e.value);
    assert!(
        (sd / e.se - 1.0).abs() < 0.1,
        "simulated sd {sd} vs delta method {}",
        e.se
    );
}

#[test]
fn a_changed_label_meaning_fails_the_calibration_check() {
    let map = CalibrationMap::Platt {
        intercept: 0.0,
        slope: 1.0,
    };
    let drift = DriftConfig::default();
    // Scores say 30% positive; the labels (a broader definition) say 50%.
    let scores = vec![0.3; 400];
    let labels: Vec<bool> = (0..400).map(|i| i % 2 == 0).collect();
    let mut c = calibration_check("score meaning", &map, &scores, &labels, None, &drift);
    crate::analysis::findings::decide(std::slice::from_mut(&mut c), 0.05);
    assert_eq!(c.severity, Severity::Alert, "{}", c.summary);
    let calibrated: Vec<bool> = (0..400).map(|i| i % 10 < 3).collect();
    let mut quiet = calibration_check("score meaning", &map, &scores, &calibrated, None, &drift);
    crate::analysis::findings::decide(std::slice::from_mut(&mut quiet), 0.05);
    assert_eq!(quiet.severity, Severity::Pass, "{}", quiet.summary);
}

#[test]
fn a_baseline_without_both_classes_gets_no_map_and_says_why() {
    let err = fit_calibration(&[0.2, 0.3, 0.9], &[false, false, false]).unwrap_err();
    assert!(err.contains("both classes"), "{err}");
    let few = fit_calibration(&[0.2, 0.3, 0.6, 0.9], &[false, true, false, true]).unwrap();
    assert_eq!(few.method(), "platt", "few labels: Platt");
}

#[test]
fn the_case_mix_error_matches_a_simulation_of_windows() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
    // One population; windows of 300 of its cases drawn again and again.
    let case = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus| {
        let s = rng.random::<f64>();
        (s * s, s > 0.6, s)
    };
    let window = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus| {
        let cases: Vec<(f64, bool, f64)> = (0..300).map(|_| case(rng)).collect();
        let p: Vec<f64> = cases.iter().map(|c| c.0).collect();
        let pred: Vec<bool> = cases.iter().map(|c| c.1).collect();
        let scores: Vec<f64> = cases.iter().map(|c| c.2).collect();
        estimate(&p, &pred, &scores)
    };
    let one = window(&mut rng);
    let draws: Vec<Estimated> = (0..3000).map(|_| window(&mut rng)).collect();
    for (name, got) in [("sensitivity", one.sensitivity), ("ppv", one.ppv)] {
        let got = got.unwrap();
        let values: Vec<f64> = draws
            .iter()
            .map(|e| e.metric(name).unwrap().value)
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let sd =
            (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
        assert!(
            (sd / got.mix - 1.0).abs() < 0.15,
            "{name}: simulated sd {sd} vs delta method {}",
            got.mix
        );
    }
}

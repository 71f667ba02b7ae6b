use super::*;
use crate::stats::fixture::{assert_close, floats};

pub(crate) fn fixture() -> serde_json::Value {
    serde_json::from_str(include_str!(
        "../../../testdata/fixtures/estimated_stats.json"
    ))
    .expect("fixture parses")
}

/// A JSON array of 0/1 as booleans.
pub(crate) fn ones(v: &serde_json::Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64() == Some(1))
        .collect()
}

#[test]
fn isotonic_matches_scikit_learn_including_ties_and_clipping() {
    for case in fixture()["isotonic"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let labels = ones(&case["labels"]);
        let map = isotonic(&floats(&case["scores"]), &labels).unwrap();
        for (x, want) in floats(&case["grid"]).iter().zip(floats(&case["predicted"])) {
            let got = map.apply(*x);
            if want.abs() < 1e-12 {
                assert!(got.abs() < 1e-12, "{name} at {x}: {got} vs {want}");
            } else {
                assert_close(got, want, &format!("{name} at {x}"));
            }
        }
    }
}

#[test]
fn platt_matches_statsmodels_logit() {
    for case in fixture()["platt"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let labels = ones(&case["labels"]);
        let Some(CalibrationMap::Platt { intercept, slope }) =
            platt(&floats(&case["scores"]), &labels)
        else {
            panic!("{name}: no fit");
        };
        assert_close(intercept, case["intercept"].as_f64().unwrap(), name);
        assert_close(slope, case["slope"].as_f64().unwrap(), name);
    }
}

#[test]
fn degenerate_inputs_give_no_map() {
    assert!(isotonic(&[], &[]).is_none());
    assert!(isotonic(&[f64::NAN], &[true]).is_none());
    assert!(platt(&[0.2, 0.4], &[true, true]).is_none(), "one class");
    // Separable: the likelihood has no maximum.
    assert!(platt(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]).is_none());
    let map = isotonic(&[0.5], &[true]).unwrap();
    assert_eq!(map.apply(0.1), 1.0);
    assert!(map.apply(f64::NAN).is_nan());
}

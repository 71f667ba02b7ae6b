//! Test support: the committed reference fixtures (made by `scripts/fixtures_drift.py` and
//! `scripts/fixtures_performance.py` with SciPy, scikit-learn and statsmodels) and the
//! small readers every statistics test uses.

use serde_json::Value;

/// testdata/fixtures/drift_stats.json
pub fn drift() -> Value {
    serde_json::from_str(include_str!("../../testdata/fixtures/drift_stats.json"))
        .expect("fixture parses")
}

/// testdata/fixtures/performance_stats.json
pub fn performance() -> Value {
    serde_json::from_str(include_str!(
        "../../testdata/fixtures/performance_stats.json"
    ))
    .expect("fixture parses")
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() == 1)
        .collect()
}

/// Relative error, 0 when equal (also for two zeros).
pub fn rel_err(actual: f64, expected: f64) -> f64 {
    if actual == expected {
        0.0
    } else {
        (actual - expected).abs() / expected.abs().max(f64::MIN_POSITIVE)
    }
}

/// 1e-9 relative, with an absolute floor for reference values that are exactly 0.
pub fn assert_close(got: f64, want: f64, what: &str) {
    let tol = 1e-9 * want.abs().max(1e-6);
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got:e}, want {want:e}"
    );
}

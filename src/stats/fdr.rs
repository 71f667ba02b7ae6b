//! Benjamini–Hochberg false-discovery-rate adjustment, matching
//! `scipy.stats.false_discovery_control(p, method="bh")`.
//!
//! The drift engine runs one test per feature (and per subgroup); reporting BH q-values
//! instead of raw p-values keeps the expected share of false drift alarms at the chosen
//! level however many columns a dataset has.

/// BH-adjusted p-values (q-values), returned in input order.
///
/// q_(k) = min over j >= k of p_(j) · m / j, clipped to [0, 1], where p_(1) <= … <= p_(m)
/// are the valid p-values. A p-value is valid if it lies in [0, 1]; NaN (a test that could
/// not run) and anything out of range give NaN in the output and are left out of m, so a
/// feature without a test neither gets a q-value nor dilutes the others'. (SciPy raises on
/// such input instead.) Empty input gives an empty vector.
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len())
        .filter(|&i| (0.0..=1.0).contains(&p[i]))
        .collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let m = order.len() as f64;
    let mut q = vec![f64::NAN; p.len()];
    let mut running_min = f64::INFINITY;
    // Walk from the largest p down so each q is the minimum over its own rank and above.
    for (rank0, &i) in order.iter().enumerate().rev() {
        let scaled = p[i] * (m / (rank0 + 1) as f64);
        running_min = running_min.min(scaled);
        q[i] = running_min.clamp(0.0, 1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn nullable_floats(v: &Value) -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap_or(f64::NAN))
            .collect()
    }

    #[test]
    fn q_values_match_scipy_false_discovery_control_with_nan_left_out_of_m() {
        let data: Value =
            serde_json::from_str(include_str!("../../testdata/fixtures/drift_stats.json")).unwrap();
        let mut worst = 0.0f64;
        for case in data["bh"].as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            let got = benjamini_hochberg(&nullable_floats(&case["p"]));
            let want = nullable_floats(&case["q"]);
            assert_eq!(got.len(), want.len(), "{name}: length");
            for (g, w) in got.iter().zip(&want) {
                if w.is_nan() {
                    assert!(g.is_nan(), "{name}: expected NaN, got {g}");
                    continue;
                }
                let err = if g == w { 0.0 } else { (g - w).abs() / w.abs() };
                assert!(err <= 1e-12, "{name}: q {g:e} vs SciPy {w:e}");
                worst = worst.max(err);
            }
        }
        eprintln!("bh: worst relative error {worst:e}");
    }

    #[test]
    fn out_of_range_p_values_are_treated_like_nan() {
        let q = benjamini_hochberg(&[0.01, -0.5, 1.5, f64::INFINITY, 0.04]);
        assert_eq!(q[0], 0.02);
        assert_eq!(q[4], 0.04);
        assert!(q[1..4].iter().all(|v| v.is_nan()));
    }

    #[test]
    fn adjustment_never_lowers_a_p_value_and_keeps_its_rank() {
        let p = [0.2, 0.001, 0.03, 0.03, 0.9, 0.04];
        let q = benjamini_hochberg(&p);
        for i in 0..p.len() {
            assert!(q[i] >= p[i]);
            for j in 0..p.len() {
                if p[i] < p[j] {
                    assert!(q[i] <= q[j]);
                }
            }
        }
    }
}

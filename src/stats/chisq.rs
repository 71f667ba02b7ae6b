//! Pearson chi-square tests for categorical drift: the contingency test
//! (`scipy.stats.chi2_contingency(table, correction=False)`) and the goodness-of-fit test
//! (`scipy.stats.chisquare`).
//!
//! The drift engine builds a table with one row per sample (baseline, serving, or one per
//! subgroup) and one column per category. Two situations SciPy treats as errors or as a
//! silent `p = 1` get explicit answers here, because reports must say which one happened:
//! a sample with no observations at all is "no test" (`None`), while every observation
//! falling in one shared category is "no difference" (statistic 0, p 1, dof 0).
//!
//! No Yates continuity correction: SciPy applies it only when dof = 1, so a 2×2 table
//! would be scored on a different scale from a 2×3 one, and drift is gated on effect size
//! (Jensen–Shannon, PSI) rather than on p-values near 0.05, where Yates matters.

use statrs::function::gamma::checked_gamma_ur;

/// Result of a chi-square test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chi2Result {
    /// Pearson's X² = Σ (observed - expected)² / expected.
    pub statistic: f64,
    /// Upper tail of the chi-square distribution with `dof` degrees of freedom.
    pub p_value: f64,
    /// Degrees of freedom; 0 only for the "one category" answer (statistic 0, p 1).
    pub dof: usize,
}

const NO_DIFFERENCE: Chi2Result = Chi2Result {
    statistic: 0.0,
    p_value: 1.0,
    dof: 0,
};

/// Chi-square test of independence on a rows × categories table of counts.
///
/// All-zero rows and all-zero columns are dropped first (SciPy refuses tables with a zero
/// expected count; an unseen category carries no information about independence).
/// Then:
/// * fewer than 2 non-empty rows (e.g. empty serving window) → `None`: nothing to compare;
/// * fewer than 2 non-empty columns (every observation in one category) → statistic 0,
///   p-value 1, dof 0, which is SciPy's answer for such a table;
/// * otherwise SciPy's statistic with dof = (rows - 1)(columns - 1).
///
/// `None` also for ragged rows or any negative, NaN or infinite count. Counts may be
/// fractional (e.g. weighted).
pub fn chi2_contingency(table: &[Vec<f64>]) -> Option<Chi2Result> {
    let n_cols = table.first()?.len();
    let valid = |v: &f64| v.is_finite() && *v >= 0.0;
    if table
        .iter()
        .any(|row| row.len() != n_cols || !row.iter().all(valid))
    {
        return None;
    }
    let rows: Vec<&Vec<f64>> = table
        .iter()
        .filter(|r| r.iter().sum::<f64>() > 0.0)
        .collect();
    if rows.len() < 2 {
        return None;
    }
    let col_sums: Vec<f64> = (0..n_cols)
        .map(|c| rows.iter().map(|r| r[c]).sum())
        .collect();
    let cols: Vec<usize> = (0..n_cols).filter(|&c| col_sums[c] > 0.0).collect();
    if cols.len() < 2 {
        return Some(NO_DIFFERENCE);
    }
    let total: f64 = cols.iter().map(|&c| col_sums[c]).sum();
    let mut statistic = 0.0;
    for row in &rows {
        let row_sum: f64 = row.iter().sum();
        for &c in &cols {
            let expected = row_sum * col_sums[c] / total;
            statistic += (row[c] - expected).powi(2) / expected;
        }
    }
    let dof = (rows.len() - 1) * (cols.len() - 1);
    Some(Chi2Result {
        statistic,
        p_value: chi2_sf(statistic, dof),
        dof,
    })
}

/// Chi-square goodness of fit of `observed` counts to `expected` counts or proportions.
///
/// `expected` is rescaled to the observed total (SciPy instead raises unless the totals
/// already agree to 1e-8), so baseline proportions can be passed as they are. Bins where
/// both are 0 are dropped. A bin with expected 0 but observed > 0 gives statistic +∞ and
/// p-value 0, as in SciPy. `None` for unequal lengths, a zero observed or expected total,
/// or any negative/NaN/infinite entry; statistic 0, p 1, dof 0 when only one bin remains.
pub fn chisquare_gof(observed: &[f64], expected: &[f64]) -> Option<Chi2Result> {
    let valid = |v: &f64| v.is_finite() && *v >= 0.0;
    if observed.len() != expected.len() || !observed.iter().chain(expected).all(valid) {
        return None;
    }
    let (obs_total, exp_total): (f64, f64) = (observed.iter().sum(), expected.iter().sum());
    if obs_total <= 0.0 || exp_total <= 0.0 {
        return None;
    }
    let bins: Vec<(f64, f64)> = observed
        .iter()
        .zip(expected)
        .filter(|(o, e)| **o > 0.0 || **e > 0.0)
        .map(|(&o, &e)| (o, e * (obs_total / exp_total)))
        .collect();
    if bins.len() < 2 {
        return Some(NO_DIFFERENCE);
    }
    let statistic: f64 = bins.iter().map(|(o, e)| (o - e).powi(2) / e).sum();
    let dof = bins.len() - 1;
    Some(Chi2Result {
        statistic,
        p_value: chi2_sf(statistic, dof),
        dof,
    })
}

/// Upper tail of chi-square(dof) = Q(dof/2, x/2), the regularized upper incomplete gamma.
///
/// statrs evaluates Q by its continued fraction whenever x > dof (never as 1 - P), so tiny
/// p-values keep full relative precision until they underflow near 1e-308.
fn chi2_sf(x: f64, dof: usize) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    checked_gamma_ur(dof as f64 / 2.0, x / 2.0).map_or(f64::NAN, |p| p.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::fixture::{drift as fixture, floats, rel_err};
    use serde_json::Value;

    /// Compares one result with a fixture case; returns (statistic, p) relative errors.
    fn check(name: &str, got: Option<Chi2Result>, case: &Value) -> (f64, f64) {
        if case["expect"] == "none" {
            assert_eq!(got, None, "{name}: expected no test");
            return (0.0, 0.0);
        }
        let got = got.unwrap_or_else(|| panic!("{name}: expected a result"));
        let es = rel_err(got.statistic, case["statistic"].as_f64().unwrap());
        let ep = rel_err(got.p_value, case["p_value"].as_f64().unwrap());
        assert!(
            es <= 1e-9,
            "{name}: statistic {} vs {}",
            got.statistic,
            case["statistic"]
        );
        assert!(
            ep <= 1e-9,
            "{name}: p {:e} vs {}",
            got.p_value,
            case["p_value"]
        );
        assert_eq!(got.dof as u64, case["dof"].as_u64().unwrap(), "{name}: dof");
        (es, ep)
    }

    #[test]
    fn contingency_matches_scipy_without_yates_after_dropping_empty_rows_and_columns() {
        let (mut ws, mut wp) = (0.0f64, 0.0f64);
        for case in fixture()["chi2_contingency"].as_array().unwrap() {
            let table: Vec<Vec<f64>> = case["table"]
                .as_array()
                .unwrap()
                .iter()
                .map(floats)
                .collect();
            let (es, ep) = check(
                case["name"].as_str().unwrap(),
                chi2_contingency(&table),
                case,
            );
            (ws, wp) = (ws.max(es), wp.max(ep));
        }
        eprintln!("chi2_contingency worst rel err: statistic {ws:e}, p {wp:e}");
    }

    #[test]
    fn goodness_of_fit_matches_scipy_chisquare_with_expected_rescaled() {
        let (mut ws, mut wp) = (0.0f64, 0.0f64);
        for case in fixture()["chisquare"].as_array().unwrap() {
            let (o, e) = (floats(&case["observed"]), floats(&case["expected"]));
            let (es, ep) = check(case["name"].as_str().unwrap(), chisquare_gof(&o, &e), case);
            (ws, wp) = (ws.max(es), wp.max(ep));
        }
        eprintln!("chisquare worst rel err: statistic {ws:e}, p {wp:e}");
    }

    #[test]
    fn one_shared_category_means_no_difference_but_an_empty_sample_means_no_test() {
        assert_eq!(
            chi2_contingency(&[vec![5.0, 0.0], vec![9.0, 0.0]]),
            Some(NO_DIFFERENCE)
        );
        assert_eq!(chi2_contingency(&[vec![5.0, 3.0], vec![0.0, 0.0]]), None);
        assert_eq!(chi2_contingency(&[]), None);
    }

    #[test]
    fn malformed_tables_give_none() {
        assert_eq!(chi2_contingency(&[vec![1.0, 2.0], vec![3.0]]), None);
        assert_eq!(chi2_contingency(&[vec![1.0, -2.0], vec![3.0, 4.0]]), None);
        assert_eq!(
            chi2_contingency(&[vec![1.0, f64::NAN], vec![3.0, 4.0]]),
            None
        );
        assert_eq!(chisquare_gof(&[1.0, 2.0], &[1.0]), None);
        assert_eq!(chisquare_gof(&[1.0, f64::INFINITY], &[1.0, 1.0]), None);
    }

    #[test]
    fn observations_in_a_bin_with_zero_expectation_give_infinite_statistic_and_p_zero() {
        let r = chisquare_gof(&[3.0, 4.0, 2.0], &[1.0, 1.0, 0.0]).unwrap();
        assert_eq!((r.statistic, r.p_value, r.dof), (f64::INFINITY, 0.0, 2));
    }
}

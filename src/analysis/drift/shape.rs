//! The distributions behind a drift check, as a handful of counts for report.html's
//! charts: shared bins for a continuous feature, shares per value for a categorical one or
//! a numeric one with few values. The renderer draws them and computes nothing.

use crate::analysis::distribution::{Distribution, Moved};
use crate::format::short;
use crate::stats::distance::quantile_sorted;

/// Bins of a continuous feature's chart.
const BINS: usize = 20;
/// Categories drawn; the rest are summed into "(other)".
const CATEGORIES: usize = 12;
/// A numeric feature with at most this many distinct values is drawn as value shares.
const DISCRETE_MAX: usize = 12;

/// Two ascending, finite samples on shared bins between the pooled 1st and 99th
/// percentiles (values beyond are counted in the end bins), or as value shares when they
/// take at most [`DISCRETE_MAX`] values between them.
pub fn numeric(baseline: &[f64], serving: &[f64]) -> Option<Distribution> {
    if baseline.is_empty() || serving.is_empty() {
        return None;
    }
    if let Some(values) = few_values(baseline, serving) {
        // Each value's run in the sorted sample.
        let count = |x: &[f64]| -> Vec<f64> {
            let run = |v: &f64| {
                x.partition_point(|p| p.total_cmp(v).is_le())
                    - x.partition_point(|p| p.total_cmp(v).is_lt())
            };
            values.iter().map(|v| run(v) as f64).collect()
        };
        let names: Vec<String> = values.iter().map(|&v| short(v)).collect();
        return Some(shares(&names, &count(baseline), &count(serving), false));
    }
    let q = |x: &[f64], p: f64| quantile_sorted(x, p).unwrap_or(f64::NAN);
    let lo = q(baseline, 0.01).min(q(serving, 0.01));
    let mut hi = q(baseline, 0.99).max(q(serving, 0.99));
    if hi.is_nan() || hi <= lo {
        hi = lo + 1.0;
    }
    let width = (hi - lo) / BINS as f64;
    let edges: Vec<f64> = (0..=BINS).map(|i| lo + width * i as f64).collect();
    // A value's bin never falls as the value grows: each bin of the sorted sample is found
    // by binary search.
    let bin = |x: &[f64]| -> Vec<u64> {
        let of = |v: f64| (((v - lo) / width).floor().max(0.0) as usize).min(BINS - 1);
        let mut out = Vec::with_capacity(BINS);
        let mut below = 0;
        for i in 1..=BINS {
            let upto = x.partition_point(|&v| of(v) < i);
            out.push((upto - below) as u64);
            below = upto;
        }
        out
    };
    // The decile that moved most, by the rule the summary's sentence uses.
    let mut best = (0.0, 5);
    for k in 1..10 {
        let p = f64::from(k) / 10.0;
        let gap = (q(serving, p) - q(baseline, p)).abs();
        if gap > best.0 {
            best = (gap, k);
        }
    }
    let moved = (best.1 != 5 && best.0 > 0.0).then(|| {
        let p = f64::from(best.1) / 10.0;
        Moved {
            quantile: p,
            baseline: q(baseline, p),
            serving: q(serving, p),
        }
    });
    Some(Distribution::Numeric {
        edges,
        baseline: bin(baseline),
        serving: bin(serving),
        baseline_median: q(baseline, 0.5),
        serving_median: q(serving, 0.5),
        moved,
    })
}

/// The distinct values of both samples, ascending, or `None` past [`DISCRETE_MAX`].
fn few_values(baseline: &[f64], serving: &[f64]) -> Option<Vec<f64>> {
    let mut values: Vec<f64> = Vec::new();
    let mut last: Option<u64> = None;
    for &v in baseline.iter().chain(serving) {
        // Sorted samples: a run of one value is looked up once.
        if last.replace(v.to_bits()) == Some(v.to_bits()) {
            continue;
        }
        if let Err(i) = values.binary_search_by(|p| p.total_cmp(&v)) {
            if values.len() == DISCRETE_MAX {
                return None;
            }
            values.insert(i, v);
        }
    }
    Some(values)
}

/// Category counts of both sides, the largest share first (ties by name), at most
/// [`CATEGORIES`] of them with the tail summed into "(other)"; `changed` is the category
/// whose share moved most.
pub fn categorical(names: &[String], baseline: &[f64], serving: &[f64]) -> Distribution {
    shares(names, baseline, serving, true)
}

/// As [`categorical`], in the order of `names` unless `by_share`.
fn shares(names: &[String], baseline: &[f64], serving: &[f64], by_share: bool) -> Distribution {
    let (nb, ns) = (
        baseline.iter().sum::<f64>().max(1.0),
        serving.iter().sum::<f64>().max(1.0),
    );
    let share = |i: usize| (baseline[i] / nb, serving[i] / ns);
    let mut order: Vec<usize> = (0..names.len())
        .filter(|&i| baseline[i] > 0.0 || serving[i] > 0.0)
        .collect();
    order.sort_by(|&a, &b| {
        if !by_share {
            return a.cmp(&b);
        }
        let (sa, sb) = (share(a), share(b));
        sb.0.max(sb.1)
            .total_cmp(&sa.0.max(sa.1))
            .then(names[a].cmp(&names[b]))
    });
    let changed = order
        .iter()
        .copied()
        .max_by(|&a, &b| {
            let gap = |i: usize| (share(i).1 - share(i).0).abs();
            gap(a).total_cmp(&gap(b)).then(b.cmp(&a))
        })
        .map(|i| names[i].clone());
    let keep = if order.len() > CATEGORIES {
        CATEGORIES - 1
    } else {
        order.len()
    };
    let mut categories: Vec<String> = order[..keep].iter().map(|&i| names[i].clone()).collect();
    let mut cb: Vec<u64> = order[..keep].iter().map(|&i| baseline[i] as u64).collect();
    let mut cs: Vec<u64> = order[..keep].iter().map(|&i| serving[i] as u64).collect();
    if keep < order.len() {
        categories.push("(other)".to_string());
        cb.push(order[keep..].iter().map(|&i| baseline[i] as u64).sum());
        cs.push(order[keep..].iter().map(|&i| serving[i] as u64).sum());
    }
    Distribution::Categorical {
        categories,
        baseline: cb,
        serving: cs,
        changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_continuous_feature_is_binned_on_shared_edges() {
        let b: Vec<f64> = (0..1000).map(f64::from).collect();
        let s: Vec<f64> = (0..1000).map(|i| f64::from(i) + 500.0).collect();
        let Some(Distribution::Numeric {
            edges,
            baseline,
            serving,
            serving_median,
            ..
        }) = numeric(&b, &s)
        else {
            panic!("numeric")
        };
        assert_eq!(edges.len(), BINS + 1);
        assert_eq!(baseline.iter().sum::<u64>(), 1000);
        assert_eq!(serving.iter().sum::<u64>(), 1000);
        assert_eq!(serving[0], 0, "serving starts half-way up");
        assert!((serving_median - 999.5).abs() < 1e-9);
        // A shift moves every decile alike: the first that moved most is named.
        let b: Vec<f64> = (0..1000).map(f64::from).collect();
        let s: Vec<f64> = (0..1000)
            .map(|i| {
                if i > 800 {
                    f64::from(i) * 1.5
                } else {
                    f64::from(i)
                }
            })
            .collect();
        let Some(Distribution::Numeric { moved, .. }) = numeric(&b, &s) else {
            panic!("numeric")
        };
        let moved = moved.expect("the 90th percentile moved");
        assert_eq!(moved.quantile, 0.9);
        assert!((moved.serving / moved.baseline - 1.5).abs() < 1e-3);
    }

    #[test]
    fn few_values_are_shares_and_the_tail_is_summed() {
        let mut b = vec![1.25; 95];
        b.extend([5.0; 5]);
        let mut s = vec![1.25; 80];
        s.extend([2.5; 5]);
        s.extend([5.0; 15]);
        let Some(Distribution::Categorical {
            categories,
            changed,
            ..
        }) = numeric(&b, &s)
        else {
            panic!("categorical")
        };
        assert_eq!(categories, ["1.25", "2.5", "5"], "values in their order");
        assert_eq!(changed.as_deref(), Some("1.25"), "95% → 80%");
        let names: Vec<String> = (0..20).map(|i| format!("c{i:02}")).collect();
        let counts: Vec<f64> = (0..20).map(|i| f64::from(20 - i)).collect();
        let Distribution::Categorical {
            categories,
            baseline,
            ..
        } = categorical(&names, &counts, &counts)
        else {
            panic!("categorical")
        };
        assert_eq!(categories.len(), CATEGORIES);
        assert_eq!(categories[CATEGORIES - 1], "(other)");
        assert_eq!(baseline.iter().sum::<u64>(), 210);
    }
}

//! The serving cases that carry a check's shift: for a drift check, the cases whose value
//! falls where the serving side has more than the baseline (the bins, categories or
//! clusters whose share grew); for a cluster's share, its members when it grew and the
//! other cases when it shrank. Two findings carried by the same cases far more often than
//! chance are one change ([`super::group`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use arrow_array::{Array, Float64Array, RecordBatch};
use rayon::prelude::*;

use crate::analysis::distribution::Distribution;
use crate::analysis::findings::{Check, Kind};
use crate::table::cases::access;

/// Each overall check's carrying cases, as bit sets over the night's serving cases.
#[derive(Debug, Clone, Default)]
pub struct Carriers {
    /// Serving cases.
    pub n: usize,
    sets: BTreeMap<String, Bits>,
}

/// A set of row numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Bits {
    words: Vec<u64>,
    count: usize,
}

impl Bits {
    fn from_flags(flags: impl Iterator<Item = bool>, n: usize) -> Bits {
        let mut words = vec![0u64; n.div_ceil(64)];
        let mut count = 0;
        for (i, on) in flags.enumerate().take(n) {
            if on {
                words[i / 64] |= 1 << (i % 64);
                count += 1;
            }
        }
        Bits { words, count }
    }

    /// The set of `rows` (each row at most once; rows from `n` on are left out).
    fn from_rows(rows: impl Iterator<Item = u32>, n: usize) -> Bits {
        let mut words = vec![0u64; n.div_ceil(64)];
        let mut count = 0;
        for r in rows.map(|r| r as usize).filter(|&r| r < n) {
            let (word, bit) = (r / 64, 1u64 << (r % 64));
            count += usize::from(words[word] & bit == 0);
            words[word] |= bit;
        }
        Bits { words, count }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn overlap(&self, other: &Bits) -> usize {
        self.words
            .iter()
            .zip(&other.words)
            .map(|(a, b)| (a & b).count_ones() as usize)
            .sum()
    }
}

/// How strongly two carrier sets coincide: the share of the smaller set inside the larger
/// one, rescaled so that 0 is what independent sets give and 1 is containment, and the
/// z-score of the overlap against its hypergeometric expectation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coincidence {
    pub overlap: usize,
    pub contained: f64,
    pub strength: f64,
    pub z: f64,
}

/// Carrier sets under this many cases are not compared: too few to tell chance apart.
pub const MIN_CARRIERS: usize = 5;
/// A join needs the overlap at least this far above chance (z) …
pub const MIN_Z: f64 = 3.0;
/// … and at least half-way from independence to containment.
pub const MIN_STRENGTH: f64 = 0.5;

pub fn coincidence(a: &Bits, b: &Bits, n: usize) -> Option<Coincidence> {
    let (na, nb) = (a.len(), b.len());
    if na < MIN_CARRIERS || nb < MIN_CARRIERS || na == n || nb == n || n < 2 {
        return None;
    }
    let c = a.overlap(b);
    let (small, large) = (na.min(nb) as f64, na.max(nb) as f64);
    let nf = n as f64;
    let contained = c as f64 / small;
    let chance = large / nf;
    let strength = (contained - chance) / (1.0 - chance);
    let expected = na as f64 * nb as f64 / nf;
    let variance = expected * (1.0 - na as f64 / nf) * (nf - nb as f64) / (nf - 1.0);
    let z = if variance > 0.0 {
        (c as f64 - expected) / variance.sqrt()
    } else {
        0.0
    };
    Some(Coincidence {
        overlap: c,
        contained,
        strength,
        z,
    })
}

impl Coincidence {
    pub fn joins(&self) -> bool {
        self.z >= MIN_Z && self.strength >= MIN_STRENGTH
    }
}

/// A serving column as the carriers read it: numbers (null or non-finite: no value), or
/// codes into `names` ([`NO_CODE`]: no value).
pub enum Serving<'a> {
    Numeric(Cow<'a, Float64Array>),
    /// Numbers with the rows that have a finite value ascending by value (`total_cmp`),
    /// and, for a column of few distinct values, each value with its count (the runs of
    /// `order`): drift's sorted columns. The carriers are read off ranges of `order`, with
    /// no search or lookup per row (at a million cases that was ~10 % of a drift run).
    Ordered {
        values: &'a Float64Array,
        order: &'a [u32],
        runs: Option<&'a [(f64, usize)]>,
    },
    Coded {
        codes: Cow<'a, [u32]>,
        names: Cow<'a, [String]>,
    },
}

/// A missing value among [`Serving::Coded`] codes.
pub const NO_CODE: u32 = u32::MAX;

impl Carriers {
    /// The carriers of every overall check of `checks` that has both sides' distribution
    /// and a column of that name in `serving` (the night's case table), and of each
    /// cluster share when `clusters` (each serving case's cluster) is given.
    pub fn of(serving: &RecordBatch, checks: &[Check], clusters: Option<&[u32]>) -> Carriers {
        Carriers::of_columns(serving.num_rows(), checks, clusters, |name| {
            let column = serving.column_by_name(name)?;
            if column.data_type().is_numeric() {
                let values = crate::table::cast::to_f64(column).ok()?;
                return Some(Serving::Numeric(Cow::Owned(values)));
            }
            // Codes, not a String per row: each distinct value is looked up once.
            let (codes, names) = access::codes(serving, name)?;
            Some(Serving::Coded {
                codes: Cow::Owned(codes.into_iter().map(|c| c.unwrap_or(NO_CODE)).collect()),
                names: Cow::Owned(names),
            })
        })
    }

    /// [`Carriers::of`] over `n` serving cases whose columns `column` gives by name (drift's
    /// prepared columns: the values and codes it already holds, no copy of the table).
    pub fn of_columns<'a>(
        n: usize,
        checks: &[Check],
        clusters: Option<&[u32]>,
        column: impl Fn(&str) -> Option<Serving<'a>> + Sync,
    ) -> Carriers {
        let up = clusters_grown(checks).unwrap_or_default();
        // One pass over the serving rows per overall check, the checks in parallel.
        let overall: Vec<&Check> = checks.iter().filter(|c| c.subgroup.is_none()).collect();
        let sets = overall
            .par_iter()
            .filter_map(|check| {
                let bits = match check.kind {
                    Kind::FeatureDrift | Kind::ModelOutput => {
                        column(&check.subject).and_then(|c| drift_carriers(&c, check, n))
                    }
                    Kind::ClusterOccupancy => {
                        clusters.and_then(|c| cluster_carriers(check, c, &up, n))
                    }
                    _ => None,
                };
                bits.map(|bits| (super::finding_id(check), bits))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .collect();
        Carriers { n, sets }
    }

    pub fn get(&self, id: &str) -> Option<&Bits> {
        self.sets.get(id)
    }
}

/// Serving rows in the bins or categories whose share grew.
fn drift_carriers(column: &Serving, check: &Check, n: usize) -> Option<Bits> {
    let grew = |b: &[u64], s: &[u64]| -> Vec<bool> {
        let (tb, ts) = (b.iter().sum::<u64>().max(1), s.iter().sum::<u64>().max(1));
        b.iter()
            .zip(s)
            .map(|(&b, &s)| s as f64 / ts as f64 > b as f64 / tb as f64)
            .collect()
    };
    let value = |values: &Float64Array, i: usize| {
        (values.is_valid(i) && values.value(i).is_finite()).then(|| values.value(i))
    };
    match (check.distribution.as_ref()?, column) {
        (
            Distribution::Numeric {
                edges,
                baseline,
                serving: counts,
                ..
            },
            Serving::Numeric(values),
        ) => {
            let up = grew(baseline, counts);
            let bins = up.len();
            if bins == 0 || edges.len() != bins + 1 {
                return None;
            }
            // Values beyond the ends count in the end bins, as the chart's counts do.
            let bin = |v: f64| edges[1..bins].partition_point(|&e| e <= v);
            Some(Bits::from_flags(
                (0..values.len()).map(|i| value(values, i).is_some_and(|v| up[bin(v)])),
                n,
            ))
        }
        (
            Distribution::Numeric {
                edges,
                baseline,
                serving: counts,
                ..
            },
            Serving::Ordered { values, order, .. },
        ) => {
            let up = grew(baseline, counts);
            let bins = up.len();
            if bins == 0 || edges.len() != bins + 1 {
                return None;
            }
            if !edges.windows(2).all(|w| w[0] <= w[1]) {
                let values = Serving::Numeric(Cow::Borrowed(*values));
                return drift_carriers(&values, check, n);
            }
            // Bin j holds the values from edges[j] (the first bin: from the lowest) to the
            // next inner edge, as `bin` above counts them: a range of `order` each.
            let below = |e: f64| order.partition_point(|&r| values.value(r as usize) < e);
            let mut cuts = vec![0];
            cuts.extend(edges[1..bins].iter().map(|&e| below(e)));
            cuts.push(order.len());
            Some(Bits::from_rows(
                (0..bins)
                    .filter(|&j| up[j])
                    .flat_map(|j| order[cuts[j]..cuts[j + 1]].iter().copied()),
                n,
            ))
        }
        (Distribution::Numeric { .. }, Serving::Coded { .. }) => None,
        (
            Distribution::Categorical {
                categories,
                baseline,
                serving: counts,
                ..
            },
            column,
        ) => {
            let up = grew(baseline, counts);
            let other = categories.iter().position(|c| c == "(other)");
            match column {
                // A feature with few numeric values is compared as categories named by its
                // values ("5", "0.625"): match those numerically, each distinct value once.
                Serving::Numeric(values) => {
                    let code = value_code(categories, other);
                    let mut seen: HashMap<u64, bool, ahash::RandomState> =
                        HashMap::with_hasher(crate::table::fast_hasher());
                    let mut carried = |v: f64| {
                        *seen
                            .entry(v.to_bits())
                            .or_insert_with(|| code(v).is_some_and(|i| up[i]))
                    };
                    Some(Bits::from_flags(
                        (0..values.len()).map(|i| value(values, i).is_some_and(&mut carried)),
                        n,
                    ))
                }
                Serving::Ordered {
                    values,
                    order,
                    runs,
                } => {
                    let code = value_code(categories, other);
                    // Rows of one value are next to each other in `order`.
                    let runs = runs.map_or_else(|| runs_of(values, order), <[_]>::to_vec);
                    let mut end = 0;
                    let rows = runs.into_iter().flat_map(|(v, count)| {
                        end += count;
                        let rows = &order[end - count..end];
                        let carried = code(v).is_some_and(|i| up[i]);
                        (if carried { rows } else { &[] }).iter().copied()
                    });
                    Some(Bits::from_rows(rows, n))
                }
                Serving::Coded { codes, names } => {
                    let carried: Vec<bool> = names
                        .iter()
                        .map(|v| {
                            categories
                                .iter()
                                .position(|c| c == v)
                                .or(other)
                                .is_some_and(|i| up[i])
                        })
                        .collect();
                    Some(Bits::from_flags(
                        codes.iter().map(|&c| c != NO_CODE && carried[c as usize]),
                        n,
                    ))
                }
            }
        }
    }
}

/// The category of a numeric value among categories named by values ("5", "0.625"), or
/// `other`.
fn value_code(categories: &[String], other: Option<usize>) -> impl Fn(f64) -> Option<usize> {
    let named: Vec<Option<f64>> = categories.iter().map(|c| c.parse::<f64>().ok()).collect();
    move |v: f64| {
        named
            .iter()
            .position(|c| c.is_some_and(|c| (c - v).abs() <= 1e-9 * v.abs().max(1.0)))
            .or(other)
    }
}

/// Each value of `order` (rows ascending by value) with its number of rows.
fn runs_of(values: &Float64Array, order: &[u32]) -> Vec<(f64, usize)> {
    let mut runs: Vec<(f64, usize)> = Vec::new();
    for v in order.iter().map(|&r| values.value(r as usize)) {
        match runs.last_mut() {
            Some((last, count)) if last.to_bits() == v.to_bits() => *count += 1,
            _ => runs.push((v, 1)),
        }
    }
    runs
}

/// Which clusters grew, from the occupancy check's counts ("all clusters").
fn clusters_grown(checks: &[Check]) -> Option<Vec<bool>> {
    let occupancy = checks.iter().find(|c| {
        c.kind == Kind::ClusterOccupancy && c.subgroup.is_none() && c.subject == "all clusters"
    })?;
    let Some(Distribution::Categorical {
        baseline, serving, ..
    }) = &occupancy.distribution
    else {
        return None;
    };
    let (tb, ts) = (
        baseline.iter().sum::<u64>().max(1),
        serving.iter().sum::<u64>().max(1),
    );
    Some(
        baseline
            .iter()
            .zip(serving)
            .map(|(&b, &s)| s as f64 / ts as f64 > b as f64 / tb as f64)
            .collect(),
    )
}

/// "all clusters": the members of the clusters that grew; "cluster i: …": its members when
/// it grew, the other cases when it shrank.
fn cluster_carriers(check: &Check, clusters: &[u32], up: &[bool], n: usize) -> Option<Bits> {
    if clusters.len() != n {
        return None;
    }
    let grown = |c: u32| up.get(c as usize).copied().unwrap_or(false);
    if check.subject == "all clusters" {
        return Some(Bits::from_flags(clusters.iter().map(|&c| grown(c)), n));
    }
    let index: u32 = check
        .subject
        .strip_prefix("cluster ")?
        .split(':')
        .next()?
        .trim()
        .parse::<u32>()
        .ok()?
        .checked_sub(1)?;
    let grew = grown(index);
    Some(Bits::from_flags(
        clusters.iter().map(|&c| (c == index) == grew),
        n,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(rows: &[usize], n: usize) -> Bits {
        Bits::from_flags((0..n).map(|i| rows.contains(&i)), n)
    }

    #[test]
    fn the_same_cases_coincide_and_independent_ones_do_not() {
        let n = 200;
        let a: Vec<usize> = (0..80).collect();
        let same = coincidence(&bits(&a, n), &bits(&(0..70).collect::<Vec<_>>(), n), n).unwrap();
        assert!(same.joins(), "{same:?}");
        assert!((same.contained - 1.0).abs() < 1e-12);
        // Every other case: as independent of the first 80 as a set can be.
        let b: Vec<usize> = (0..n).filter(|i| i % 2 == 0).collect();
        let apart = coincidence(&bits(&a, n), &bits(&b, n), n).unwrap();
        assert!(!apart.joins(), "{apart:?}");
        assert!(apart.strength.abs() < 0.05, "{apart:?}");
        // Too few to compare.
        assert!(coincidence(&bits(&[1, 2, 3], n), &bits(&a, n), n).is_none());
    }

    /// Drift's sorted columns give the same carriers as the values read row by row: binned
    /// and as categories named by values, with and without runs, with missing and
    /// non-finite values, values on the edges and beyond the ends.
    #[test]
    fn ordered_columns_carry_the_same_rows_as_the_values() {
        let n = 500;
        let pick = [0.0, -0.0, 1.0, 2.5, 3.0, 7.0, -4.0, 100.0];
        let values: Float64Array = (0..n)
            .map(|i: usize| match (i * 7919) % 13 {
                0 => None,
                1 => Some(f64::NAN),
                2 => Some(f64::INFINITY),
                k => Some(pick[(i * 31 + k) % pick.len()]),
            })
            .collect();
        let mut order: Vec<u32> = (0..n as u32)
            .filter(|&r| values.is_valid(r as usize) && values.value(r as usize).is_finite())
            .collect();
        order.sort_by(|&x, &y| {
            values
                .value(x as usize)
                .total_cmp(&values.value(y as usize))
        });
        let runs = runs_of(&values, &order);
        let numeric = |edges: Vec<f64>, baseline: Vec<u64>, serving: Vec<u64>| Check {
            distribution: Some(Distribution::Numeric {
                edges,
                baseline,
                serving,
                baseline_median: 0.0,
                serving_median: 0.0,
                moved: None,
            }),
            ..Check::new(Kind::FeatureDrift, "x", "ks")
        };
        let categorical = |categories: &[&str], baseline: Vec<u64>, serving: Vec<u64>| Check {
            distribution: Some(Distribution::Categorical {
                categories: categories.iter().map(|c| c.to_string()).collect(),
                baseline,
                serving,
                changed: None,
            }),
            ..Check::new(Kind::FeatureDrift, "x", "chi2")
        };
        let checks = [
            numeric(vec![0.0, 1.0, 3.0, 8.0], vec![10, 50, 40], vec![30, 20, 50]),
            numeric(
                vec![-5.0, 0.0, 2.5, 50.0],
                vec![50, 10, 40],
                vec![20, 40, 40],
            ),
            // Unordered edges: read row by row.
            numeric(vec![0.0, 3.0, 1.0, 8.0], vec![10, 50, 40], vec![5, 20, 75]),
            categorical(
                &["0", "3", "7", "(other)"],
                vec![40, 30, 20, 10],
                vec![20, 40, 10, 30],
            ),
            categorical(&["100", "1", "2.5"], vec![10, 60, 30], vec![40, 30, 30]),
        ];
        let row_by_row = Serving::Numeric(Cow::Borrowed(&values));
        for check in &checks {
            let want = drift_carriers(&row_by_row, check, n).unwrap();
            assert!(!want.is_empty() && want.len() < order.len(), "{want:?}");
            for runs in [Some(runs.as_slice()), None] {
                let ordered = Serving::Ordered {
                    values: &values,
                    order: &order,
                    runs,
                };
                let got = drift_carriers(&ordered, check, n).unwrap();
                assert_eq!(
                    got,
                    want,
                    "{:?}, runs {}",
                    check.distribution,
                    runs.is_some()
                );
            }
        }
    }

    /// z and strength against scipy.stats.hypergeom (scripts/fixtures_changes.py).
    #[test]
    fn the_overlap_test_matches_scipy_hypergeom() {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../../testdata/fixtures/changes_overlap.json"
        ))
        .unwrap();
        for case in fixture["cases"].as_array().unwrap() {
            let get = |k: &str| case[k].as_u64().unwrap() as usize;
            let (n, a, b, c) = (get("n"), get("a"), get("b"), get("c"));
            // a set of the first `a` rows, and one of `b` rows sharing `c` of them.
            let first = bits(&(0..a).collect::<Vec<_>>(), n);
            let second: Vec<usize> = (a - c..a).chain(a..a + b - c).collect();
            let co = coincidence(&first, &bits(&second, n), n).unwrap();
            assert_eq!(co.overlap, c);
            for (got, key) in [(co.z, "z"), (co.strength, "strength")] {
                let want = case[key].as_f64().unwrap();
                assert!((got - want).abs() < 1e-9, "{case}: {key} {got} vs {want}");
            }
        }
    }
}

//! How a numeric column is counted in a profile, fixed by the baseline alone so every site
//! counts on the same cells: a column with at most [`MAX_EXACT`] distinct values in the
//! baseline is counted by exact value; any other on the baseline's quantile edges
//! (`i / BINS`, i = 0..=BINS, repeated edges once). The edges are a function of the
//! snapshot's cases and this rule, so they need not be stored: a profile names the
//! baseline's SHA-256 and the rule ([`RULE`]), and merge refuses profiles that differ.
//!
//! Bins are `[e_i, e_{i+1})`, the last one `[e_K, ∞)`, and one below the baseline's range
//! `(-∞, e_0)`, named by their lower edge (`-inf` for the one below). From a profile, a
//! bin's cases stand at its midpoint (the last at `e_K`, the one below at `e_0`): the
//! binning bound of docs/statistics.md is what that costs the KS and W1 statistics.

use arrow_array::RecordBatch;

use crate::table::cases::access;

/// Baseline distinct values up to which a numeric column is counted exactly.
pub const MAX_EXACT: usize = 32;
/// Quantile bins of a continuous column.
pub const BINS: usize = 64;
/// The rule, as named in a profile's manifest.
pub const RULE: &str =
    "exact values up to 32 distinct in the baseline, else 64 baseline-quantile bins (v1)";

#[derive(Debug, Clone, PartialEq)]
pub enum Binning {
    /// Counted by exact value.
    Exact,
    /// Counted on these ascending, distinct edges (at least two).
    Edges(Vec<f64>),
}

impl Binning {
    /// The rule applied to one baseline column (finite values only).
    pub fn of(baseline: &RecordBatch, column: &str) -> Binning {
        let mut values: Vec<f64> = access::numeric(baseline, column)
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect();
        values.sort_unstable_by(f64::total_cmp);
        let mut distinct = values.clone();
        distinct.dedup();
        if distinct.len() <= MAX_EXACT {
            return Binning::Exact;
        }
        let n = values.len();
        let mut edges: Vec<f64> = (0..=BINS).map(|i| values[(n - 1) * i / BINS]).collect();
        edges.dedup();
        Binning::Edges(edges)
    }

    /// The cell a value falls in, by name.
    pub fn cell(&self, v: f64) -> String {
        match self {
            Binning::Exact => number(v),
            Binning::Edges(edges) => match edges.partition_point(|&e| e <= v) {
                0 => number(f64::NEG_INFINITY),
                i => number(edges[i - 1]),
            },
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Binning::Exact => super::kind::VALUE,
            Binning::Edges(_) => super::kind::BIN,
        }
    }

    /// Where a cell's cases stand when a sample is rebuilt from counts, and the bin's
    /// width (0 for an exact value or an open bin). None: the name is not a cell of this
    /// binning (a profile binned on another baseline).
    pub fn representative(&self, name: &str) -> Option<(f64, f64)> {
        let v: f64 = name.parse().ok()?;
        match self {
            Binning::Exact => Some((v, 0.0)),
            Binning::Edges(edges) => {
                if v == f64::NEG_INFINITY {
                    return Some((edges[0], 0.0));
                }
                let i = edges.iter().position(|&e| e == v)?;
                Some(match edges.get(i + 1) {
                    Some(&upper) => (v + (upper - v) / 2.0, upper - v),
                    None => (v, 0.0),
                })
            }
        }
    }
}

/// A number as its shortest decimal that reads back to the same f64.
pub fn number(v: f64) -> String {
    format!("{v}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{ArrayRef, Float64Array};
    use std::sync::Arc;

    fn table(values: Vec<f64>) -> RecordBatch {
        let column: ArrayRef = Arc::new(Float64Array::from(values));
        RecordBatch::try_from_iter([("x", column)]).unwrap()
    }

    #[test]
    fn few_values_are_exact_and_many_are_binned_on_quantiles() {
        let few = table((0..100).map(|i| f64::from(i % 5) * 0.5).collect());
        assert_eq!(Binning::of(&few, "x"), Binning::Exact);
        assert_eq!(Binning::Exact.cell(1.5), "1.5");
        let many = table((0..1000).map(f64::from).collect());
        let Binning::Edges(edges) = Binning::of(&many, "x") else {
            panic!("binned")
        };
        assert_eq!(edges.len(), BINS + 1);
        assert_eq!((edges[0], edges[BINS]), (0.0, 999.0));
        let b = Binning::Edges(edges.clone());
        assert_eq!(b.cell(-3.0), "-inf");
        assert_eq!(b.cell(0.0), "0");
        assert_eq!(b.cell(5000.0), "999");
        let (mid, width) = b.representative(&b.cell(20.0)).unwrap();
        assert!(
            mid > edges[1] && mid < edges[2] && width > 0.0,
            "{mid} {width}"
        );
        assert_eq!(b.representative("-inf"), Some((0.0, 0.0)));
        assert_eq!(b.representative("0.123"), None);
    }

    #[test]
    fn numbers_read_back_exactly() {
        for v in [0.1, 1.0 / 3.0, 2.5, -0.0, 1e-300, 123456789.125] {
            assert_eq!(number(v).parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
    }
}

//! A check's two distributions as a handful of counts, for the charts of report.html;
//! filled where drift (and cluster occupancy) builds the check, drawn by the renderer,
//! which computes nothing from them.

use serde::Serialize;

/// Both sides of a drift check as counts, for charts; no statistic is computed from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Distribution {
    /// A continuous feature on shared equal-width bins (`edges` has one more entry than
    /// each count vector; values beyond the ends are counted in the end bins), and each
    /// side's median.
    Numeric {
        edges: Vec<f64>,
        baseline: Vec<u64>,
        serving: Vec<u64>,
        baseline_median: f64,
        serving_median: f64,
        /// The decile that moved most, when it is not the median (the one the summary
        /// names): `quantile` (0.1 … 0.9) and its value on each side.
        #[serde(skip_serializing_if = "Option::is_none")]
        moved: Option<Moved>,
    },
    /// Counts per category (or per value of a feature with few values), the largest share
    /// first, the tail summed into "(other)"; `changed` is the category whose share moved
    /// most.
    Categorical {
        categories: Vec<String>,
        baseline: Vec<u64>,
        serving: Vec<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        changed: Option<String>,
    },
}

/// A quantile on both sides.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Moved {
    pub quantile: f64,
    pub baseline: f64,
    pub serving: f64,
}

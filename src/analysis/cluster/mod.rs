//! Acquisition-parameter clustering: groups the baseline's cases by how they were acquired
//! (scanner, kernel, slice thickness, kVp, …) with k-means, and flags serving cases that lie
//! farther from their nearest group than almost any baseline case did — *novel* cases.
//!
//! The flow follows linfa's: [`ClusterParams`] → [`ClusterParams::validate`] → [`fit`] on the
//! baseline → a [`ClusterModel`] (plain data, stored in the baseline snapshot as JSON or
//! YAML) → [`assign`] on each serving window. Everything here is pure: no I/O, no printing,
//! and no panics on any input; problems come back as a [`ClusterError`].
//!
//! # The feature space
//!
//! - A numeric column is standardised with the baseline mean and population SD. A missing
//!   (null or non-finite) value is replaced by the baseline *median* — robust to the skewed
//!   distributions of mAs or slice thickness — and counted in `imputed_cells`. A column
//!   that does not vary in the baseline carries no information and is dropped (listed in
//!   [`ClusterModel::dropped_constant`]).
//! - A categorical column is one-hot coded over the categories seen in the baseline (at most
//!   [`MAX_CATEGORIES`] most frequent ones). Each one-hot column holds `weight / √2`, so that
//!   switching from one category to another moves a case by exactly `categorical_weight`
//!   SDs, the same as shifting one numeric feature by that many SDs. A null, or a category
//!   the baseline never had, codes as all zeros: `weight / √2` from every known category.
//!   A category the baseline never had (a new scanner model, a new kernel) also makes the
//!   case *novel* whatever its distance: a 0.35-SD move would otherwise hide a scanner
//!   nobody validated inside a 3-SD cluster radius. Categories beyond the
//!   [`MAX_CATEGORIES`] most frequent count as never seen.
//!
//! # Choosing k and fitting
//!
//! k is fixed, or the smallest one in `[min, max]` whose mean silhouette is within
//! `SILHOUETTE_TOLERANCE` (0.01) of the best, scored on a seeded sample of at most [`SILHOUETTE_SAMPLE`] rows because silhouette
//! costs O(n²). k-means (linfa, k-means++ initialisation, `n_runs` restarts, best inertia
//! kept) is fitted on a seeded sample of at most `sample` rows; every baseline row is then
//! assigned, and the distances of each cluster's members give its p50/p95/p99. The same
//! input and seed give the same model, bit for bit.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
//! use postmarket::analysis::cluster::{assign, fit, ClusterParams, KChoice};
//!
//! let kvp: Vec<f64> = (0..200).map(|i| if i % 2 == 0 { 100.0 } else { 120.0 } + (i % 7) as f64).collect();
//! let kernel: Vec<&str> = (0..200).map(|i| if i % 2 == 0 { "SOFT" } else { "BONE" }).collect();
//! let batch = RecordBatch::try_from_iter([
//!     ("kvp", Arc::new(Float64Array::from(kvp)) as ArrayRef),
//!     ("convolution_kernel", Arc::new(StringArray::from(kernel)) as ArrayRef),
//! ])
//! .unwrap();
//!
//! let mut params = ClusterParams::new(["kvp"], ["convolution_kernel"]);
//! params.k = KChoice::Fixed(2);
//! let model = fit(&batch, &params).unwrap();
//! assert_eq!(model.k, 2);
//!
//! let serving = assign(&model, &batch).unwrap();
//! assert_eq!(serving.counts.iter().sum::<u64>(), 200);
//! ```

mod assign;
mod kmeans;
mod model;
mod novel;
mod run;
mod scaler;
mod silhouette;

#[cfg(test)]
mod tests;

use crate::config::{ClusterConfig, ClusterK};
use arrow_schema::Schema;
use serde::{Deserialize, Serialize};

pub use assign::{assign, Assignment};
pub use kmeans::{kmeans_from_init, KMeansFit};
pub use model::{fit, ClusterModel, ClusterSummary, KScore};
pub use novel::novel_table;
pub use run::{run, ClusterRun};
pub use scaler::{CategoricalScale, NumericScale, Scaler};
pub use silhouette::{silhouette_score, silhouette_scores};

/// Categories kept per categorical column (the most frequent in the baseline); rarer ones
/// code like an unseen category.
pub const MAX_CATEGORIES: usize = 64;
/// Rows scored when choosing k by silhouette.
pub const SILHOUETTE_SAMPLE: usize = 5_000;
/// Lloyd iterations per k-means run, at most.
pub const MAX_ITER: u64 = 300;
/// Stop a k-means run when the centroids move less than this (Frobenius norm, in SDs).
pub const TOLERANCE: f64 = 1e-6;

/// How many clusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KChoice {
    Fixed(usize),
    /// The best mean silhouette over `min..=max`.
    Auto {
        min: usize,
        max: usize,
    },
}

/// The hyper-parameters of a clustering; [`ClusterParams::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterParams {
    pub numeric: Vec<String>,
    pub categorical: Vec<String>,
    /// How far apart two categories are, in SDs of a numeric feature (default 0.5).
    pub categorical_weight: f64,
    pub k: KChoice,
    pub seed: u64,
    /// Most rows used to fit k-means and to choose k (default 20,000).
    pub sample: usize,
    /// k-means++ restarts; the lowest inertia wins (default 4).
    pub n_runs: usize,
}

impl ClusterParams {
    /// The given features with the configuration's defaults ([`ClusterConfig::default`],
    /// the one place they are defined) and 4 k-means++ restarts.
    pub fn new<N, C>(numeric: N, categorical: C) -> Self
    where
        N: IntoIterator,
        N::Item: Into<String>,
        C: IntoIterator,
        C::Item: Into<String>,
    {
        ClusterParams {
            numeric: numeric.into_iter().map(Into::into).collect(),
            categorical: categorical.into_iter().map(Into::into).collect(),
            ..ClusterParams::from(&ClusterConfig::default())
        }
    }

    /// Checks the parameters against the table's schema. Checks that need the data (enough
    /// usable cases for k, some feature that varies) are made by [`fit`].
    pub fn validate(&self, schema: &Schema) -> Result<(), ClusterError> {
        if self.numeric.is_empty() && self.categorical.is_empty() {
            return Err(ClusterError::NoFeatures);
        }
        let mut seen = std::collections::BTreeSet::new();
        for name in self.numeric.iter().chain(&self.categorical) {
            if !seen.insert(name.as_str()) {
                return Err(ClusterError::DuplicateFeature {
                    column: name.clone(),
                });
            }
        }
        for name in &self.numeric {
            scaler::check_numeric(schema, name)?;
        }
        for name in &self.categorical {
            scaler::check_categorical(schema, name)?;
        }
        let invalid = |name: &'static str, message: String| {
            Err(ClusterError::InvalidParams { name, message })
        };
        if !(self.categorical_weight.is_finite() && self.categorical_weight >= 0.0) {
            return invalid(
                "categorical_weight",
                format!("must be finite and ≥ 0, got {}", self.categorical_weight),
            );
        }
        match self.k {
            KChoice::Fixed(0) => return invalid("k", "must be at least 1".into()),
            KChoice::Auto { min, max } if min < 2 || max < min => {
                return invalid(
                    "k",
                    format!("auto range needs 2 ≤ min ≤ max, got {min}..={max}"),
                )
            }
            _ => {}
        }
        let k_min = match self.k {
            KChoice::Fixed(k) => k,
            KChoice::Auto { min, .. } => min,
        };
        if k_min > self.sample {
            return invalid(
                "k",
                format!(
                    "{k_min} clusters cannot be fitted on a sample of {}",
                    self.sample
                ),
            );
        }
        if self.sample < 2 {
            return invalid("sample", format!("must be at least 2, got {}", self.sample));
        }
        if self.n_runs == 0 {
            return invalid("n_runs", "must be at least 1".into());
        }
        Ok(())
    }
}

impl From<&ClusterConfig> for ClusterParams {
    /// The clustering a `cluster:` config section describes.
    fn from(config: &ClusterConfig) -> Self {
        ClusterParams {
            numeric: config.numeric.clone(),
            categorical: config.categorical.clone(),
            categorical_weight: config.categorical_weight,
            k: match config.k {
                ClusterK::Fixed(k) => KChoice::Fixed(k),
                ClusterK::Auto(_) => KChoice::Auto {
                    min: config.k_min,
                    max: config.k_max,
                },
            },
            seed: config.seed,
            sample: config.sample,
            n_runs: 4,
        }
    }
}

/// What went wrong, named after the check that failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClusterError {
    #[error("clustering feature {column:?} is not a column of the case table")]
    UnknownColumn { column: String },
    #[error("clustering feature {column:?} is listed as numeric but has type {data_type}")]
    NotNumeric { column: String, data_type: String },
    #[error(
        "clustering feature {column:?} has type {data_type}, which cannot be read as categories"
    )]
    NotCategorical { column: String, data_type: String },
    #[error("clustering feature {column:?} is listed twice")]
    DuplicateFeature { column: String },
    #[error("no clustering features were given")]
    NoFeatures,
    #[error("every clustering feature is constant (or empty) in the baseline: {}", dropped.join(", "))]
    AllConstant { dropped: Vec<String> },
    #[error("k = {k} clusters need at least {needed} usable cases, the baseline has {usable}")]
    TooFewCases {
        k: usize,
        needed: usize,
        usable: usize,
    },
    #[error("invalid clustering parameter {name}: {message}")]
    InvalidParams { name: &'static str, message: String },
    #[error("initial centroids are {rows}×{cols}, expected k×{features} with k ≥ 1")]
    InitShape {
        rows: usize,
        cols: usize,
        features: usize,
    },
    #[error("k-means failed: {0}")]
    KMeans(String),
    #[error("cluster model is inconsistent: {0}")]
    Model(String),
}

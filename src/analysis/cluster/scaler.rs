//! The feature space: which columns, how they are standardised, imputed and one-hot coded.
//! [`Scaler`] is learnt from the baseline once and stored in the model; [`Bound`] attaches
//! it to a table so baseline and serving rows go through the same code, row by row.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use arrow_schema::Schema;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ClusterError, ClusterParams, MAX_CATEGORIES};
use crate::table::cast;

/// A numeric feature: `z = (x − mean) / sd`, missing → `median`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericScale {
    pub name: String,
    pub mean: f64,
    /// Population SD of the baseline's observed values; never 0.
    pub sd: f64,
    pub median: f64,
}

/// A categorical feature: one column per category, holding `weight / √2` for the row's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalScale {
    pub name: String,
    /// Baseline categories kept, in byte order.
    pub categories: Vec<String>,
}

/// How a case table becomes points in the standardised space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    pub numeric: Vec<NumericScale>,
    pub categorical: Vec<CategoricalScale>,
    /// A switch between two categories moves a point by this many SDs.
    pub categorical_weight: f64,
}

impl Scaler {
    /// Dimension of the standardised space.
    pub fn dim(&self) -> usize {
        self.numeric.len()
            + self
                .categorical
                .iter()
                .map(|c| c.categories.len())
                .sum::<usize>()
    }

    /// One name per dimension: the numeric features, then `column=category`.
    pub fn feature_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self.numeric.iter().map(|n| n.name.clone()).collect();
        for c in &self.categorical {
            out.extend(c.categories.iter().map(|v| format!("{}={v}", c.name)));
        }
        out
    }

    /// The value a row's own category takes in its one-hot column.
    pub fn one_hot_value(&self) -> f64 {
        self.categorical_weight / std::f64::consts::SQRT_2
    }

    /// Learns the scaler from the baseline; also returns the features dropped as constant.
    pub(crate) fn fit(
        batch: &RecordBatch,
        params: &ClusterParams,
    ) -> Result<(Scaler, Vec<String>), ClusterError> {
        let mut dropped = Vec::new();
        let mut numeric = Vec::new();
        for name in &params.numeric {
            let values = numeric_column(batch, name)?;
            let mut observed: Vec<f64> = (0..values.len())
                .filter(|&i| values.is_valid(i) && values.value(i).is_finite())
                .map(|i| values.value(i))
                .collect();
            match numeric_scale(name, &mut observed) {
                Some(scale) => numeric.push(scale),
                None => dropped.push(name.clone()),
            }
        }
        let mut categorical = Vec::new();
        for name in &params.categorical {
            let array = categorical_column(batch, name)?;
            let strings = array.as_string::<i32>();
            let mut counts: HashMap<&str, u64, Fnv> = HashMap::default();
            for value in strings.iter().flatten() {
                *counts.entry(value).or_insert(0) += 1;
            }
            let varies = counts.len() > 1 || (counts.len() == 1 && strings.null_count() > 0);
            if !varies {
                dropped.push(name.clone());
                continue;
            }
            let mut ranked: Vec<(&str, u64)> = counts.into_iter().collect();
            ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            ranked.truncate(MAX_CATEGORIES);
            let mut categories: Vec<String> = ranked.iter().map(|(v, _)| v.to_string()).collect();
            categories.sort_unstable();
            categorical.push(CategoricalScale {
                name: name.clone(),
                categories,
            });
        }
        let scaler = Scaler {
            numeric,
            categorical,
            categorical_weight: params.categorical_weight,
        };
        if scaler.dim() == 0 {
            return Err(ClusterError::AllConstant { dropped });
        }
        Ok((scaler, dropped))
    }
}

/// Mean, population SD and median of the observed values; `None` when they do not vary.
fn numeric_scale(name: &str, observed: &mut [f64]) -> Option<NumericScale> {
    if observed.is_empty() {
        return None;
    }
    let n = observed.len() as f64;
    let mean = observed.iter().sum::<f64>() / n;
    let sd = (observed
        .iter()
        .map(|v| (v - mean) * (v - mean))
        .sum::<f64>()
        / n)
        .sqrt();
    // A constant column can show a rounding-level SD; treat that as no variation at all.
    if !(sd.is_finite() && sd > 1e-12 * mean.abs()) || sd == 0.0 {
        return None;
    }
    observed.sort_unstable_by(f64::total_cmp);
    Some(NumericScale {
        name: name.to_string(),
        mean,
        sd,
        median: crate::stats::quantile::median_sorted(observed).unwrap_or(f64::NAN),
    })
}

pub(crate) fn check_numeric(schema: &Schema, name: &str) -> Result<(), ClusterError> {
    let field = schema
        .field_with_name(name)
        .map_err(|_| ClusterError::UnknownColumn {
            column: name.to_string(),
        })?;
    if field.data_type().is_numeric() {
        Ok(())
    } else {
        Err(ClusterError::NotNumeric {
            column: name.to_string(),
            data_type: field.data_type().to_string(),
        })
    }
}

pub(crate) fn check_categorical(schema: &Schema, name: &str) -> Result<(), ClusterError> {
    let field = schema
        .field_with_name(name)
        .map_err(|_| ClusterError::UnknownColumn {
            column: name.to_string(),
        })?;
    if cast::utf8_able(field.data_type()) {
        Ok(())
    } else {
        Err(ClusterError::NotCategorical {
            column: name.to_string(),
            data_type: field.data_type().to_string(),
        })
    }
}

fn numeric_column(batch: &RecordBatch, name: &str) -> Result<Float64Array, ClusterError> {
    check_numeric(&batch.schema(), name)?;
    let column = batch
        .column_by_name(name)
        .ok_or(ClusterError::UnknownColumn {
            column: name.to_string(),
        })?;
    cast::to_f64(column).map_err(|e| ClusterError::NotNumeric {
        column: name.to_string(),
        data_type: format!("{} ({e})", column.data_type()),
    })
}

fn categorical_column(batch: &RecordBatch, name: &str) -> Result<ArrayRef, ClusterError> {
    check_categorical(&batch.schema(), name)?;
    let column = batch
        .column_by_name(name)
        .ok_or(ClusterError::UnknownColumn {
            column: name.to_string(),
        })?;
    let text = cast::to_utf8(column).map_err(|e| ClusterError::NotCategorical {
        column: name.to_string(),
        data_type: format!("{} ({e})", column.data_type()),
    })?;
    Ok(Arc::new(text))
}

/// Code of a null or unknown category.
pub(crate) const NO_CATEGORY: u32 = u32::MAX;
/// A value the baseline never had (codes as all zeros, like a missing one, but marks the
/// case novel: a new scanner model or kernel is a new acquisition whatever its distance).
pub(crate) const UNSEEN_CATEGORY: u32 = u32::MAX - 1;

struct BoundNumeric {
    values: Float64Array,
    mean: f64,
    inv_sd: f64,
    /// The standardised median, written for a missing value.
    fill: f64,
}

/// A scaler attached to one table: columns cast once, categories coded once.
pub(crate) struct Bound<'a> {
    pub(crate) scaler: &'a Scaler,
    numeric: Vec<BoundNumeric>,
    /// Per categorical feature, per row: index into its categories or [`NO_CATEGORY`].
    codes: Vec<Vec<u32>>,
    one_hot: f64,
    rows: usize,
}

impl<'a> Bound<'a> {
    pub(crate) fn new(scaler: &'a Scaler, batch: &RecordBatch) -> Result<Self, ClusterError> {
        let numeric = scaler
            .numeric
            .iter()
            .map(|n| {
                Ok(BoundNumeric {
                    values: numeric_column(batch, &n.name)?,
                    mean: n.mean,
                    inv_sd: 1.0 / n.sd,
                    fill: (n.median - n.mean) / n.sd,
                })
            })
            .collect::<Result<Vec<_>, ClusterError>>()?;
        let codes = scaler
            .categorical
            .iter()
            .map(|c| {
                Ok(category_codes(
                    &categorical_column(batch, &c.name)?,
                    &c.categories,
                ))
            })
            .collect::<Result<Vec<_>, ClusterError>>()?;
        Ok(Bound {
            scaler,
            numeric,
            codes,
            one_hot: scaler.one_hot_value(),
            rows: batch.num_rows(),
        })
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Writes row `i` into `out` (length [`Scaler::dim`]); returns how many numeric cells
    /// were imputed, whether any feature was observed at all, and whether a categorical
    /// value is one the baseline never had.
    #[inline]
    pub(crate) fn write_row(&self, i: usize, out: &mut [f64]) -> (u32, bool, bool) {
        let mut imputed = 0u32;
        let mut observed = false;
        let mut unseen = false;
        let (numeric_out, mut one_hot_out) = out.split_at_mut(self.numeric.len());
        for (slot, col) in numeric_out.iter_mut().zip(&self.numeric) {
            let v = col.values.values()[i];
            if col.values.is_valid(i) && v.is_finite() {
                *slot = (v - col.mean) * col.inv_sd;
                observed = true;
            } else {
                *slot = col.fill;
                imputed += 1;
            }
        }
        for (codes, scale) in self.codes.iter().zip(&self.scaler.categorical) {
            let (block, rest) = one_hot_out.split_at_mut(scale.categories.len());
            block.fill(0.0);
            let code = codes[i];
            if code == UNSEEN_CATEGORY {
                unseen = true;
                observed = true;
            } else if code != NO_CATEGORY {
                block[code as usize] = self.one_hot;
                observed = true;
            }
            one_hot_out = rest;
        }
        (imputed, observed, unseen)
    }

    /// The raw (unstandardised) value of numeric feature `f` in row `i`, if observed.
    pub(crate) fn raw_numeric(&self, f: usize, i: usize) -> Option<f64> {
        let col = &self.numeric[f];
        let v = col.values.values()[i];
        (col.values.is_valid(i) && v.is_finite()).then_some(v)
    }

    /// The category code of categorical feature `f` in row `i`.
    pub(crate) fn code(&self, f: usize, i: usize) -> u32 {
        self.codes[f][i]
    }
}

/// Codes every row against the known categories, in parallel chunks.
fn category_codes(array: &ArrayRef, categories: &[String]) -> Vec<u32> {
    let strings = array.as_string::<i32>();
    let lookup: HashMap<&str, u32, Fnv> = categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i as u32))
        .collect();
    let mut codes = vec![NO_CATEGORY; strings.len()];
    codes
        .par_chunks_mut(16_384)
        .enumerate()
        .for_each(|(chunk, out)| {
            let start = chunk * 16_384;
            for (j, slot) in out.iter_mut().enumerate() {
                let i = start + j;
                if strings.is_valid(i) {
                    *slot = lookup
                        .get(strings.value(i))
                        .copied()
                        .unwrap_or(UNSEEN_CATEGORY);
                }
            }
        });
    codes
}

/// FNV-1a: category names are short, and the default SipHash costs more than the rest of
/// a row's work. Not exposed to untrusted keys beyond the baseline's own categories.
#[derive(Default)]
struct FnvHasher(u64);

type Fnv = BuildHasherDefault<FnvHasher>;

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

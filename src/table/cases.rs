//! The case table: one row per unit (series by default), built from `headers.parquet` and
//! joined with `inferences.parquet` on the unit's UID.
//!
//! This is the one feature-extraction path: `baseline` and every serving-side command call
//! [`build_cases`], so training/serving skew cannot come from the tool itself.
//!
//! - Categorical values come from the unit's first instance (in file order), numeric values
//!   are the median over its instances (nulls ignored), `n_instances` counts them.
//! - Join: a left join from header units to inferences. A unit with several inferences
//!   takes the latest (by timestamp; ties by file order) and the others are counted as
//!   duplicates. Inferences whose key matches no unit are counted, not kept.
//! - Rows are sorted by key, so the table does not depend on the order of the inputs.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int32Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int8Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::config::{ExtraKind, ExtraTag, Unit};
use crate::table::schema::{self, HeaderType};

pub const CASE_KEY: &str = "key";
pub const N_INSTANCES: &str = "n_instances";

/// How a feature is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    Numeric,
    Categorical,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Feature {
    pub name: String,
    pub kind: FeatureKind,
}

/// Header columns that are not features: when a study happened and how it was encoded.
const NOT_FEATURES: &[&str] = &["study_date"];

/// The features of a case table: every typed header column (booleans become the
/// categories `yes`/`no`), then the configured extra tags.
pub fn features(extras: &[ExtraTag]) -> Vec<Feature> {
    let mut out: Vec<Feature> = schema::HEADER_FIELDS
        .iter()
        .filter(|(name, _)| !NOT_FEATURES.contains(name))
        .map(|(name, kind)| Feature {
            name: name.to_string(),
            kind: match kind {
                HeaderType::Number | HeaderType::Integer => FeatureKind::Numeric,
                _ => FeatureKind::Categorical,
            },
        })
        .collect();
    out.extend(extras.iter().map(|e| Feature {
        name: e.name.clone(),
        kind: match e.kind {
            ExtraKind::Numeric => FeatureKind::Numeric,
            ExtraKind::Categorical => FeatureKind::Categorical,
        },
    }));
    out
}

/// Inference columns carried into the case table when inferences are joined.
const INFERENCE_COLUMNS: &[&str] = &[
    schema::TIMESTAMP,
    schema::MODEL,
    schema::MODEL_VERSION,
    schema::SCORE,
    schema::PREDICTION,
    schema::LABEL,
    schema::LABEL_VERSION,
];

/// What the join did, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct JoinStats {
    pub instances: u64,
    pub cases: u64,
    pub cases_with_inference: u64,
    pub cases_without_inference: u64,
    pub inferences_without_case: u64,
    pub duplicate_inferences: u64,
}

/// Builds the case table. `headers` must have the `headers.parquet` columns for the
/// features asked for; a missing column is an error naming it.
pub fn build_cases(
    headers: &RecordBatch,
    inferences: Option<&RecordBatch>,
    features: &[Feature],
    unit: Unit,
) -> Result<(RecordBatch, JoinStats), String> {
    let key_column = match unit {
        Unit::Study => schema::STUDY_INSTANCE_UID,
        Unit::Series => schema::SERIES_INSTANCE_UID,
        Unit::Instance => schema::SOP_INSTANCE_UID,
    };
    let keys = text_column(headers, key_column)?;
    // Group instance rows by unit, keeping file order inside each group.
    let mut groups: HashMap<&str, Vec<u32>> = HashMap::new();
    for i in 0..headers.num_rows() {
        if keys.is_valid(i) {
            groups.entry(keys.value(i)).or_default().push(i as u32);
        }
    }
    let mut units: Vec<(&str, Vec<u32>)> = groups.into_iter().collect();
    units.sort_unstable_by(|a, b| a.0.cmp(b.0));

    let mut fields = vec![
        Field::new(CASE_KEY, DataType::Utf8, false),
        Field::new(N_INSTANCES, DataType::Int32, false),
    ];
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(arrow_array::StringArray::from_iter_values(
            units.iter().map(|(k, _)| *k),
        )),
        Arc::new(
            units
                .iter()
                .map(|(_, rows)| Some(rows.len() as i32))
                .collect::<arrow_array::Int32Array>(),
        ),
    ];
    for feature in features {
        let column = headers.column_by_name(&feature.name).ok_or_else(|| {
            format!(
                "headers have no column {:?} (a feature of this run)",
                feature.name
            )
        })?;
        let (data_type, array) = match feature.kind {
            FeatureKind::Numeric => (DataType::Float64, unit_medians(column, &units)?),
            FeatureKind::Categorical => (DataType::Utf8, unit_first(column, &units)?),
        };
        fields.push(Field::new(&feature.name, data_type, true));
        columns.push(array);
    }
    let mut stats = JoinStats {
        instances: headers.num_rows() as u64,
        cases: units.len() as u64,
        ..JoinStats::default()
    };
    if let Some(inferences) = inferences {
        let picked = pick_inferences(inferences, &units, &mut stats)?;
        let take = UInt32Array::from(picked);
        for name in INFERENCE_COLUMNS {
            let column = inferences
                .column_by_name(name)
                .ok_or_else(|| format!("inferences have no column {name:?}"))?;
            let taken = arrow_select::take::take(column.as_ref(), &take, None)
                .map_err(|e| e.to_string())?;
            fields.push(Field::new(*name, taken.data_type().clone(), true));
            columns.push(taken);
        }
    }
    let schema: SchemaRef = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())?;
    Ok((batch, stats))
}

fn text_column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Result<&'a arrow_array::StringArray, String> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| format!("no column {name:?}"))?;
    column.as_string_opt::<i32>().ok_or_else(|| {
        format!(
            "column {name:?}: expected text, found {}",
            column.data_type()
        )
    })
}

/// Median of each unit's non-null values (numeric columns of any integer/float type).
fn unit_medians(column: &ArrayRef, units: &[(&str, Vec<u32>)]) -> Result<ArrayRef, String> {
    let values = arrow_cast::cast(column, &DataType::Float64).map_err(|e| e.to_string())?;
    let values = values.as_primitive::<Float64Type>();
    let mut out = Float64Builder::with_capacity(units.len());
    let mut scratch = Vec::new();
    for (_, rows) in units {
        scratch.clear();
        scratch.extend(
            rows.iter()
                .map(|&r| r as usize)
                .filter(|&r| values.is_valid(r))
                .map(|r| values.value(r))
                .filter(|v| v.is_finite()),
        );
        out.append_option(median(&mut scratch));
    }
    Ok(Arc::new(out.finish()))
}

/// The first instance's value; booleans become `yes`/`no`.
fn unit_first(column: &ArrayRef, units: &[(&str, Vec<u32>)]) -> Result<ArrayRef, String> {
    let mut out = StringBuilder::with_capacity(units.len(), units.len() * 8);
    match column.data_type() {
        DataType::Boolean => {
            let b = column.as_boolean();
            for (_, rows) in units {
                let r = rows[0] as usize;
                out.append_option(b.is_valid(r).then(|| if b.value(r) { "yes" } else { "no" }));
            }
        }
        _ => {
            let text = arrow_cast::cast(column, &DataType::Utf8).map_err(|e| e.to_string())?;
            let text = text.as_string::<i32>();
            for (_, rows) in units {
                let r = rows[0] as usize;
                out.append_option(text.is_valid(r).then(|| text.value(r)));
            }
        }
    }
    Ok(Arc::new(out.finish()))
}

pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// For each unit, the row of its latest inference (or null), counting the join outcomes.
fn pick_inferences(
    inferences: &RecordBatch,
    units: &[(&str, Vec<u32>)],
    stats: &mut JoinStats,
) -> Result<Vec<Option<u32>>, String> {
    let keys = text_column(inferences, schema::KEY)?;
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or("inferences have no timestamp column of type timestamp[us]")?;
    let mut latest: HashMap<&str, u32> = HashMap::with_capacity(inferences.num_rows());
    for i in 0..inferences.num_rows() {
        if !keys.is_valid(i) {
            continue;
        }
        let key = keys.value(i);
        match latest.get_mut(key) {
            None => {
                latest.insert(key, i as u32);
            }
            Some(best) => {
                stats.duplicate_inferences += 1;
                if times.value(i) >= times.value(*best as usize) {
                    *best = i as u32;
                }
            }
        }
    }
    let mut picked = Vec::with_capacity(units.len());
    let mut matched = 0u64;
    for (key, _) in units {
        let row = latest.get(key).copied();
        matched += u64::from(row.is_some());
        picked.push(row);
    }
    stats.cases_with_inference = matched;
    stats.cases_without_inference = units.len() as u64 - matched;
    stats.inferences_without_case = latest.len() as u64 - matched;
    Ok(picked)
}

/// Column accessors used by the analyses.
pub mod access {
    use super::*;

    /// Numeric values of `name` as f64 (null or non-finite → None).
    pub fn numeric(batch: &RecordBatch, name: &str) -> Option<Vec<Option<f64>>> {
        let column = batch.column_by_name(name)?;
        let cast = arrow_cast::cast(column, &DataType::Float64).ok()?;
        let values = cast.as_primitive::<Float64Type>();
        Some(
            (0..values.len())
                .map(|i| {
                    (values.is_valid(i) && values.value(i).is_finite()).then(|| values.value(i))
                })
                .collect(),
        )
    }

    /// Text values of `name` (null → None).
    pub fn text(batch: &RecordBatch, name: &str) -> Option<Vec<Option<String>>> {
        let column = batch.column_by_name(name)?;
        let cast = arrow_cast::cast(column, &DataType::Utf8).ok()?;
        let values = cast.as_string::<i32>();
        Some(
            (0..values.len())
                .map(|i| values.is_valid(i).then(|| values.value(i).to_string()))
                .collect(),
        )
    }

    /// Int8 labels/predictions as bools.
    pub fn binary(batch: &RecordBatch, name: &str) -> Option<Vec<Option<bool>>> {
        let column = batch.column_by_name(name)?;
        let values = column.as_primitive_opt::<Int8Type>()?;
        Some(
            (0..values.len())
                .map(|i| values.is_valid(i).then(|| values.value(i) != 0))
                .collect(),
        )
    }

    pub fn instances(batch: &RecordBatch) -> Option<Vec<i32>> {
        let column = batch.column_by_name(N_INSTANCES)?;
        let values = column.as_primitive_opt::<Int32Type>()?;
        Some(values.values().to_vec())
    }

    /// Builds an Int32 column (kept for callers that append derived columns).
    pub fn int_column(values: impl Iterator<Item = Option<i32>>) -> ArrayRef {
        let mut b = Int32Builder::new();
        b.extend(values);
        Arc::new(b.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_and_odd_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}

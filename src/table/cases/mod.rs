//! The case table: one row per unit (series by default), built from `headers.parquet` and
//! joined with `inferences.parquet` on the unit's UID.
//!
//! This is the one feature-extraction path: `baseline` and every serving-side command call
//! [`build_cases`], so training/serving skew cannot come from the tool itself.
//!
//! - Categorical values come from the unit's first instance (in file order), numeric values
//!   are the median over its instances (nulls ignored), `n_instances` counts them.
//!   Categories are text: `Utf8`, or `Dictionary(Int32, Utf8)` when every unit is one row
//!   and the headers were read coded (a million cases' strings are not materialised);
//!   readers go through a cast to `Utf8` or code the dictionary, never `as_string` alone.
//! - Join: a left join from header units to inferences. A unit with several inferences
//!   takes the latest (by timestamp; ties by file order) and the others are counted as
//!   duplicates. Inferences whose key matches no unit are counted, not kept.
//! - Cases come in order of first appearance in the headers (which `scan` writes in sorted
//!   path order), so the same inputs always give the same table.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, ArrayRef, RecordBatch, TimestampMicrosecondArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::config::{ExtraKind, ExtraTag, Unit};
use crate::table::columns::HeaderColumn;
use crate::table::schema;

pub mod access;
mod join;
#[cfg(test)]
mod tests;
mod units;

use join::pick_inferences;
use units::{single_numeric, unit_first, unit_medians, UnitIndex, UnitRows};

pub const CASE_KEY: &str = "key";
pub const N_INSTANCES: &str = "n_instances";

pub use crate::table::columns::FeatureKind;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Feature {
    pub name: String,
    pub kind: FeatureKind,
}

/// The features of a case table: every typed header column (booleans become the
/// categories `yes`/`no`), then the configured extra tags.
pub fn features(extras: &[ExtraTag]) -> Vec<Feature> {
    let mut out: Vec<Feature> = HeaderColumn::features()
        .map(|(c, kind)| Feature {
            name: c.name().to_string(),
            kind,
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

/// The features `names` (`drift.features`) selects from `all`, in `all`'s order; every
/// feature when `names` is `None`. Names not among `all` come back as the error.
pub fn select(all: &[Feature], names: Option<&[String]>) -> Result<Vec<Feature>, Vec<String>> {
    let Some(names) = names else {
        return Ok(all.to_vec());
    };
    let unknown: Vec<String> = names
        .iter()
        .filter(|n| !all.iter().any(|f| &f.name == *n))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    Ok(all
        .iter()
        .filter(|f| names.contains(&f.name))
        .cloned()
        .collect())
}

/// Inference columns carried into the case table when inferences are joined.
pub const INFERENCE_COLUMNS: &[&str] = &[
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

/// The header column that identifies a unit.
pub fn unit_key(unit: Unit) -> &'static str {
    match unit {
        Unit::Study => schema::STUDY_INSTANCE_UID,
        Unit::Series => schema::SERIES_INSTANCE_UID,
        Unit::Instance => schema::SOP_INSTANCE_UID,
    }
}

/// Builds the case table. `headers` must have the unit's key as text; a feature column it
/// lacks becomes a column of nulls (an absent feature). `inferences` is taken by
/// value so its memory goes as soon as the join is done (pass a clone — cheap, the
/// columns are shared — to keep using it).
pub fn build_cases(
    headers: &RecordBatch,
    inferences: Option<RecordBatch>,
    features: &[Feature],
    unit: Unit,
) -> Result<(RecordBatch, JoinStats), String> {
    let keys = text_column(headers, unit_key(unit))?;
    let join = match &inferences {
        Some(rows) => KeyJoin::new(keys, Some(inference_keys(rows)?), true)?,
        None => KeyJoin::new(keys, None, true)?,
    };
    join.cases(headers, inferences, features, INFERENCE_COLUMNS)
}

/// The key and timestamp columns of an inferences table, as the join reads them.
pub fn inference_keys(
    inferences: &RecordBatch,
) -> Result<(&arrow_array::StringArray, &TimestampMicrosecondArray), String> {
    let keys = text_column(inferences, schema::KEY)?;
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or("inferences have no timestamp column of type timestamp[us]")?;
    Ok((keys, times))
}

/// The join worked out on the keys alone: the header rows of each unit and, with
/// inferences, the row of each unit's latest one. Built before the features are read, so
/// a staged read ([`crate::analysis::window`]) can free the UIDs of both sides (at a
/// million cases ~45 MB each) before the feature columns arrive.
pub struct KeyJoin {
    groups: UnitRows,
    /// Each unit's first header row, when the units are single rows but not every row in
    /// order (then the feature columns are one `take`).
    firsts: Option<UInt32Array>,
    /// Each unit's inference row (null: none), rows counted across the stacked parts.
    picked: Option<UInt32Array>,
    /// The case key column, when kept.
    keys: Option<ArrayRef>,
    stats: JoinStats,
}

impl KeyJoin {
    /// Units from the header rows' `keys` (in order of first appearance) and, given the
    /// inferences' keys and timestamps, each unit's latest inference. With `keep_key`, the
    /// case table will have the unit keys as its [`CASE_KEY`] column.
    pub fn new(
        keys: &arrow_array::StringArray,
        inferences: Option<(&arrow_array::StringArray, &TimestampMicrosecondArray)>,
        keep_key: bool,
    ) -> Result<KeyJoin, String> {
        let rows = keys.len();
        let index = UnitIndex::build(keys);
        let units = index.n_units();
        let groups = index.group_rows(rows);
        let mut stats = JoinStats {
            instances: rows as u64,
            cases: units as u64,
            ..JoinStats::default()
        };
        let picked = match inferences {
            Some((keys, times)) => Some(UInt32Array::from(pick_inferences(
                keys, times, &index, &mut stats,
            )?)),
            None => None,
        };
        // When every unit is one instance (series of one file, or unit: instance), columns
        // are one `take` of the first rows instead of per-unit loops, and no copy at all
        // when those rows are all the rows in order.
        let single = groups.single();
        let firsts = (single && !index.is_identity(rows))
            .then(|| UInt32Array::from(index.first_row.clone()));
        let keys = keep_key.then(|| -> ArrayRef {
            match (single, &firsts) {
                (true, None) => Arc::new(keys.clone()),
                _ => Arc::new(arrow_array::StringArray::from_iter_values(
                    (0..units).map(|u| index.key(u)),
                )),
            }
        });
        Ok(KeyJoin {
            groups,
            firsts,
            picked,
            keys,
            stats,
        })
    }

    /// The case table: the key (when kept), `n_instances`, every feature of `features`
    /// from `headers` (the header rows the join was built on, in the same order; a
    /// feature it lacks is a column of nulls), then the `carried` columns of the
    /// inferences (rows as the join counted them; taken by value and freed before the
    /// features are built).
    pub fn cases(
        self,
        headers: &RecordBatch,
        inferences: Option<RecordBatch>,
        features: &[Feature],
        carried: &[&str],
    ) -> Result<(RecordBatch, JoinStats), String> {
        let KeyJoin {
            groups,
            firsts,
            picked,
            keys,
            stats,
        } = self;
        let units = groups.len();
        // Inferences first, so their table (owned here) is freed before the features are
        // built: a million of them is ~120 MB, a quarter of a drift run's peak.
        let mut joined: Vec<(Field, ArrayRef)> = Vec::new();
        if let (Some(inferences), Some(take)) = (inferences, &picked) {
            for name in carried {
                let column = inferences
                    .column_by_name(name)
                    .ok_or_else(|| format!("inferences have no column {name:?}"))?;
                let taken = arrow_select::take::take(column.as_ref(), take, None)
                    .map_err(|e| e.to_string())?;
                joined.push((Field::new(*name, taken.data_type().clone(), true), taken));
            }
        }

        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        if let Some(keys) = keys {
            fields.push(Field::new(CASE_KEY, DataType::Utf8, false));
            columns.push(keys);
        }
        fields.push(Field::new(N_INSTANCES, DataType::Int32, false));
        columns.push(Arc::new(arrow_array::Int32Array::from_iter_values(
            (0..units).map(|u| groups.rows(u).len() as i32),
        )));
        let single = groups.single();
        // Each feature's column on its own thread (a million rows' take or medians each).
        use rayon::prelude::*;
        let built = features
            .par_iter()
            .map(|feature| feature_column(feature, headers, &groups, firsts.as_ref(), single))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Result<Vec<_>, String>>()?; // the first failing feature, in order
        for (field, column) in built {
            fields.push(field);
            columns.push(column);
        }
        for (field, column) in joined {
            fields.push(field);
            columns.push(column);
        }
        let schema: SchemaRef = Arc::new(Schema::new(fields));
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(units));
        let batch = RecordBatch::try_new_with_options(schema, columns, &options)
            .map_err(|e| e.to_string())?;
        Ok((batch, stats))
    }
}

/// One feature's column of the case table, from the header rows: one value per unit
/// (a numeric feature's median, a category's first instance; a column the headers lack
/// is all nulls).
fn feature_column(
    feature: &Feature,
    headers: &RecordBatch,
    groups: &UnitRows,
    firsts: Option<&UInt32Array>,
    single: bool,
) -> Result<(Field, ArrayRef), String> {
    let units = groups.len();
    let Some(column) = headers.column_by_name(&feature.name) else {
        let data_type = match feature.kind {
            FeatureKind::Numeric => DataType::Float64,
            FeatureKind::Categorical => DataType::Utf8,
        };
        let nulls = arrow_array::new_null_array(&data_type, units);
        return Ok((Field::new(&feature.name, data_type, true), nulls));
    };
    let (data_type, array) = match (feature.kind, single) {
        (FeatureKind::Numeric, true) => (DataType::Float64, single_numeric(column, firsts)?),
        (FeatureKind::Numeric, false) => (DataType::Float64, unit_medians(column, groups)?),
        (FeatureKind::Categorical, true) if column.data_type() != &DataType::Boolean => {
            let taken = match firsts {
                Some(firsts) => arrow_select::take::take(column.as_ref(), firsts, None)
                    .map_err(|e| e.to_string())?,
                None => column.clone(),
            };
            // Dictionary-coded text (how `load_headers` reads categories) stays coded.
            let text = match taken.data_type() {
                DataType::Dictionary(key, value)
                    if **key == DataType::Int32 && **value == DataType::Utf8 =>
                {
                    taken
                }
                _ => Arc::new(crate::table::cast::to_utf8(&taken).map_err(|e| e.to_string())?),
            };
            (text.data_type().clone(), text)
        }
        (FeatureKind::Categorical, _) => (DataType::Utf8, unit_first(column, groups)?),
    };
    Ok((Field::new(&feature.name, data_type, true), array))
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

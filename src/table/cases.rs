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
//! - Cases come in order of first appearance in the headers (which `scan` writes in sorted
//!   path order), so the same inputs always give the same table.

use std::collections::HashMap;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int32Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int8Type, TimestampMicrosecondType};
use arrow_array::{Array, ArrayRef, RecordBatch, UInt32Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::config::{ExtraKind, ExtraTag, Unit};
use crate::table::columns::HeaderColumn;
use crate::table::schema;

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
    let mut out: Vec<Feature> = HeaderColumn::ALL
        .iter()
        .filter_map(|c| {
            Some(Feature {
                name: c.name().to_string(),
                kind: c.feature_kind()?,
            })
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
    let key_column = unit_key(unit);
    let keys = text_column(headers, key_column)?;
    let index = UnitIndex::build(keys);
    let units = index.n_units();
    let groups = index.group_rows(headers.num_rows());

    let mut stats = JoinStats {
        instances: headers.num_rows() as u64,
        cases: units as u64,
        ..JoinStats::default()
    };
    // Inferences first, so their table (owned here) is freed before the features are built:
    // a million of them is ~120 MB, a quarter of a drift run's peak.
    let mut joined: Vec<(Field, ArrayRef)> = Vec::new();
    if let Some(mut inferences) = inferences {
        let picked = pick_inferences(&inferences, &index, &mut stats)?;
        if let Ok(key) = inferences.schema().index_of(schema::KEY) {
            inferences.remove_column(key);
        }
        let take = UInt32Array::from(picked);
        for name in INFERENCE_COLUMNS {
            let column = inferences
                .column_by_name(name)
                .ok_or_else(|| format!("inferences have no column {name:?}"))?;
            let taken = arrow_select::take::take(column.as_ref(), &take, None)
                .map_err(|e| e.to_string())?;
            joined.push((Field::new(*name, taken.data_type().clone(), true), taken));
        }
    }

    let mut fields = vec![
        Field::new(CASE_KEY, DataType::Utf8, false),
        Field::new(N_INSTANCES, DataType::Int32, false),
    ];
    // When every unit is one instance (series of one file, or unit: instance), columns
    // are one `take` of the first rows instead of per-unit loops, and no copy at all when
    // those rows are all the rows in order.
    let single = groups.single();
    let firsts = (single && !index.is_identity(headers.num_rows()))
        .then(|| UInt32Array::from(index.first_row.clone()));
    let key_array: ArrayRef = match (single, &firsts) {
        (true, None) => headers
            .column_by_name(key_column)
            .expect("read above")
            .clone(),
        _ => Arc::new(arrow_array::StringArray::from_iter_values(
            (0..units).map(|u| index.key(u)),
        )),
    };
    let mut columns: Vec<ArrayRef> = vec![
        key_array,
        Arc::new(arrow_array::Int32Array::from_iter_values(
            (0..units).map(|u| groups.rows(u).len() as i32),
        )),
    ];
    for feature in features {
        let Some(column) = headers.column_by_name(&feature.name) else {
            let data_type = match feature.kind {
                FeatureKind::Numeric => DataType::Float64,
                FeatureKind::Categorical => DataType::Utf8,
            };
            columns.push(arrow_array::new_null_array(&data_type, units));
            fields.push(Field::new(&feature.name, data_type, true));
            continue;
        };
        let (data_type, array) = match (feature.kind, single) {
            (FeatureKind::Numeric, true) => {
                (DataType::Float64, single_numeric(column, firsts.as_ref())?)
            }
            (FeatureKind::Numeric, false) => (DataType::Float64, unit_medians(column, &groups)?),
            (FeatureKind::Categorical, true) if column.data_type() != &DataType::Boolean => {
                let taken = match &firsts {
                    Some(firsts) => arrow_select::take::take(column.as_ref(), firsts, None)
                        .map_err(|e| e.to_string())?,
                    None => column.clone(),
                };
                let text = arrow_cast::cast(&taken, &DataType::Utf8).map_err(|e| e.to_string())?;
                (DataType::Utf8, text)
            }
            (FeatureKind::Categorical, _) => (DataType::Utf8, unit_first(column, &groups)?),
        };
        fields.push(Field::new(&feature.name, data_type, true));
        columns.push(array);
    }
    for (field, column) in joined {
        fields.push(field);
        columns.push(column);
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

/// Units keyed by UID in order of first appearance (deterministic: `scan` writes rows in
/// sorted path order). The hash table holds unit numbers only (4 bytes a slot, the key is
/// read back from the unit's first row), hashed with aHash: on a million 60-byte UIDs,
/// SipHash and a map of `&str` keys were the largest cost and ~50 MB of a drift run.
pub(crate) struct UnitIndex<'a> {
    keys: &'a arrow_array::StringArray,
    hasher: ahash::RandomState,
    table: hashbrown::HashTable<u32>,
    /// Unit → its first row.
    first_row: Vec<u32>,
    /// Row → its unit (`u32::MAX`: no key).
    unit_of_row: Vec<u32>,
}

impl<'a> UnitIndex<'a> {
    fn build(keys: &'a arrow_array::StringArray) -> UnitIndex<'a> {
        let hasher = crate::table::fast_hasher();
        let mut index = UnitIndex {
            keys,
            table: hashbrown::HashTable::with_capacity(keys.len()),
            first_row: Vec::new(),
            unit_of_row: vec![u32::MAX; keys.len()],
            hasher,
        };
        for i in 0..keys.len() {
            if keys.is_valid(i) {
                index.unit_of_row[i] = index.insert(keys.value(i), i as u32);
            }
        }
        index
    }

    fn insert(&mut self, key: &str, row: u32) -> u32 {
        let (keys, first_row, hasher) = (self.keys, &mut self.first_row, &self.hasher);
        let hash = hasher.hash_one(key);
        let entry = self.table.entry(
            hash,
            |&u| keys.value(first_row[u as usize] as usize) == key,
            |&u| hasher.hash_one(keys.value(first_row[u as usize] as usize)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
            hashbrown::hash_table::Entry::Vacant(e) => {
                let unit = first_row.len() as u32;
                first_row.push(row);
                e.insert(unit);
                unit
            }
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.table
            .find(hash, |&u| self.key(u as usize) == key)
            .copied()
    }

    fn n_units(&self) -> usize {
        self.first_row.len()
    }

    fn key(&self, unit: usize) -> &'a str {
        self.keys.value(self.first_row[unit] as usize)
    }

    /// Every row is its own unit, in order.
    fn is_identity(&self, rows: usize) -> bool {
        self.first_row.len() == rows
            && self
                .first_row
                .iter()
                .enumerate()
                .all(|(i, &r)| r as usize == i)
    }

    /// Rows grouped by unit with a counting sort that keeps file order inside each unit.
    fn group_rows(&self, rows: usize) -> UnitRows {
        let n = self.n_units();
        let mut starts = vec![0u32; n + 1];
        for &u in self.unit_of_row.iter().filter(|&&u| u != u32::MAX) {
            starts[u as usize + 1] += 1;
        }
        for u in 0..n {
            starts[u + 1] += starts[u];
        }
        let mut order = vec![0u32; starts[n] as usize];
        let mut fill = starts.clone();
        for (i, &u) in self.unit_of_row[..rows]
            .iter()
            .enumerate()
            .filter(|(_, &u)| u != u32::MAX)
        {
            order[fill[u as usize] as usize] = i as u32;
            fill[u as usize] += 1;
        }
        UnitRows { starts, order }
    }
}

/// Each unit's rows: `order[starts[u]..starts[u + 1]]`.
struct UnitRows {
    starts: Vec<u32>,
    order: Vec<u32>,
}

impl UnitRows {
    fn rows(&self, unit: usize) -> &[u32] {
        &self.order[self.starts[unit] as usize..self.starts[unit + 1] as usize]
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn single(&self) -> bool {
        self.starts.windows(2).all(|w| w[1] - w[0] == 1)
    }
}

/// Median of each unit's non-null values (numeric columns of any integer/float type).
fn unit_medians(column: &ArrayRef, units: &UnitRows) -> Result<ArrayRef, String> {
    let values = arrow_cast::cast(column, &DataType::Float64).map_err(|e| e.to_string())?;
    let values = values.as_primitive::<Float64Type>();
    let mut out = Float64Builder::with_capacity(units.len());
    let mut scratch = Vec::new();
    for rows in (0..units.len()).map(|u| units.rows(u)) {
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

/// One value per single-instance unit (the rows `firsts`, or every row in order), as f64
/// with non-finite values as null (the same answer [`unit_medians`] gives for a unit of
/// one). A float column without non-finite values is shared, not copied.
fn single_numeric(column: &ArrayRef, firsts: Option<&UInt32Array>) -> Result<ArrayRef, String> {
    let taken = match firsts {
        Some(firsts) => {
            arrow_select::take::take(column.as_ref(), firsts, None).map_err(|e| e.to_string())?
        }
        None => column.clone(),
    };
    let cast = arrow_cast::cast(&taken, &DataType::Float64).map_err(|e| e.to_string())?;
    let values = cast.as_primitive::<Float64Type>();
    if values.iter().flatten().all(f64::is_finite) {
        return Ok(cast);
    }
    Ok(Arc::new(
        values
            .iter()
            .map(|v| v.filter(|v| v.is_finite()))
            .collect::<arrow_array::Float64Array>(),
    ))
}

/// The first instance's value; booleans become `yes`/`no`.
fn unit_first(column: &ArrayRef, units: &UnitRows) -> Result<ArrayRef, String> {
    let mut out = StringBuilder::with_capacity(units.len(), units.len() * 8);
    match column.data_type() {
        DataType::Boolean => {
            let b = column.as_boolean();
            for u in 0..units.len() {
                let r = units.rows(u)[0] as usize;
                out.append_option(b.is_valid(r).then(|| if b.value(r) { "yes" } else { "no" }));
            }
        }
        _ => {
            let text = arrow_cast::cast(column, &DataType::Utf8).map_err(|e| e.to_string())?;
            let text = text.as_string::<i32>();
            for u in 0..units.len() {
                let r = units.rows(u)[0] as usize;
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
    index: &UnitIndex,
    stats: &mut JoinStats,
) -> Result<Vec<Option<u32>>, String> {
    let n_units = index.n_units();
    let keys = text_column(inferences, schema::KEY)?;
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or("inferences have no timestamp column of type timestamp[us]")?;
    let mut picked: Vec<Option<u32>> = vec![None; n_units];
    let mut unmatched: HashMap<&str, ()> = HashMap::new();
    for i in 0..inferences.num_rows() {
        if !keys.is_valid(i) {
            continue;
        }
        let key = keys.value(i);
        let Some(unit) = index.get(key) else {
            if unmatched.insert(key, ()).is_some() {
                stats.duplicate_inferences += 1;
            }
            continue;
        };
        let slot = &mut picked[unit as usize];
        match slot {
            None => *slot = Some(i as u32),
            Some(best) => {
                stats.duplicate_inferences += 1;
                // The latest wins; on equal timestamps, the later row in the file.
                if times.value(i) >= times.value(*best as usize) {
                    *best = i as u32;
                }
            }
        }
    }
    let matched = picked.iter().filter(|p| p.is_some()).count() as u64;
    stats.cases_with_inference = matched;
    stats.cases_without_inference = n_units as u64 - matched;
    stats.inferences_without_case = unmatched.len() as u64;
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

#[cfg(test)]
mod join_tests {
    use super::*;
    use arrow_array::{Float64Array, StringArray, TimestampMicrosecondArray};

    fn headers(series: &[&str], thickness: &[f64]) -> RecordBatch {
        let n = series.len();
        let uids: Vec<String> = (0..n).map(|i| format!("sop{i}")).collect();
        RecordBatch::try_from_iter(vec![
            (
                "sop_instance_uid",
                Arc::new(StringArray::from(uids)) as ArrayRef,
            ),
            (
                "series_instance_uid",
                Arc::new(StringArray::from(series.to_vec())) as ArrayRef,
            ),
            (
                "study_instance_uid",
                Arc::new(StringArray::from(vec!["st"; n])) as ArrayRef,
            ),
            (
                "slice_thickness",
                Arc::new(Float64Array::from(thickness.to_vec())) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    fn inferences(keys: &[&str], times: &[i64], scores: &[f64]) -> RecordBatch {
        let n = keys.len();
        RecordBatch::try_from_iter(vec![
            (
                "timestamp",
                Arc::new(TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC"))
                    as ArrayRef,
            ),
            (
                "key",
                Arc::new(StringArray::from(keys.to_vec())) as ArrayRef,
            ),
            (
                "model",
                Arc::new(StringArray::from(vec!["m"; n])) as ArrayRef,
            ),
            (
                "model_version",
                Arc::new(StringArray::from(vec!["1"; n])) as ArrayRef,
            ),
            (
                "score",
                Arc::new(Float64Array::from(scores.to_vec())) as ArrayRef,
            ),
            (
                "prediction",
                Arc::new(arrow_array::Int8Array::from(vec![0i8; n])) as ArrayRef,
            ),
            (
                "label",
                Arc::new(arrow_array::Int8Array::from(vec![None::<i8>; n])) as ArrayRef,
            ),
            (
                "label_version",
                Arc::new(StringArray::from(vec![None::<&str>; n])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn units_take_the_median_and_the_latest_inference_and_count_the_rest() {
        let h = headers(&["b", "a", "b", "b", "c"], &[1.0, 5.0, 3.0, 2.0, 4.0]);
        let i = inferences(
            &["b", "a", "b", "z", "b"],
            &[10, 10, 30, 10, 20],
            &[0.1, 0.2, 0.3, 0.4, 0.5],
        );
        let features = vec![Feature {
            name: "slice_thickness".into(),
            kind: FeatureKind::Numeric,
        }];
        let (cases, stats) = build_cases(&h, Some(i), &features, Unit::Series).unwrap();
        let keys = access::text(&cases, CASE_KEY).unwrap();
        assert_eq!(
            keys,
            vec![Some("b".into()), Some("a".into()), Some("c".into())],
            "units in order of first appearance"
        );
        assert_eq!(
            access::numeric(&cases, "slice_thickness").unwrap(),
            vec![Some(2.0), Some(5.0), Some(4.0)]
        );
        assert_eq!(
            access::numeric(&cases, "score").unwrap(),
            vec![Some(0.3), Some(0.2), None]
        );
        assert_eq!(
            (
                stats.cases,
                stats.cases_with_inference,
                stats.cases_without_inference
            ),
            (3, 2, 1)
        );
        assert_eq!(
            (stats.duplicate_inferences, stats.inferences_without_case),
            (2, 1)
        );
    }

    #[test]
    fn single_instance_units_give_the_same_table_as_the_general_path() {
        let h = headers(&["b", "a", "c"], &[1.0, f64::NAN, 3.0]);
        let features = vec![Feature {
            name: "slice_thickness".into(),
            kind: FeatureKind::Numeric,
        }];
        let (cases, _) = build_cases(&h, None, &features, Unit::Series).unwrap();
        assert_eq!(
            access::numeric(&cases, "slice_thickness").unwrap(),
            vec![Some(1.0), None, Some(3.0)]
        );
    }

    #[test]
    fn rows_without_a_key_are_skipped_and_every_row_its_own_unit_is_not_copied() {
        let h = RecordBatch::try_from_iter(vec![
            (
                "series_instance_uid",
                Arc::new(StringArray::from(vec![Some("b"), None, Some("c")])) as ArrayRef,
            ),
            (
                "slice_thickness",
                Arc::new(Float64Array::from(vec![1.0, 2.0, f64::INFINITY])) as ArrayRef,
            ),
            (
                "modality",
                Arc::new(StringArray::from(vec!["CT", "MR", "CT"])) as ArrayRef,
            ),
        ])
        .unwrap();
        let features = vec![
            Feature {
                name: "slice_thickness".into(),
                kind: FeatureKind::Numeric,
            },
            Feature {
                name: "modality".into(),
                kind: FeatureKind::Categorical,
            },
        ];
        let (cases, stats) = build_cases(&h, None, &features, Unit::Series).unwrap();
        assert_eq!(stats.cases, 2);
        assert_eq!(
            access::text(&cases, CASE_KEY).unwrap(),
            vec![Some("b".into()), Some("c".into())]
        );
        assert_eq!(
            access::numeric(&cases, "slice_thickness").unwrap(),
            vec![Some(1.0), None]
        );
        assert_eq!(
            access::text(&cases, "modality").unwrap(),
            vec![Some("CT".into()), Some("CT".into())]
        );

        // Every row its own unit, in order: the columns are the headers' own buffers.
        let h = h.slice(2, 1);
        let (cases, _) = build_cases(&h, None, &features, Unit::Series).unwrap();
        let values = |a: &ArrayRef| a.to_data().buffers()[1].as_ptr();
        assert_eq!(values(cases.column(0)), values(h.column(0)));
        assert_eq!(
            values(cases.column_by_name("modality").unwrap()),
            values(h.column(2))
        );
        assert_eq!(
            access::numeric(&cases, "slice_thickness").unwrap(),
            vec![None],
            "a non-finite value is still null when nothing is copied"
        );
    }

    #[test]
    fn a_feature_the_headers_lack_is_a_column_of_nulls() {
        let h = headers(&["b", "a", "b"], &[1.0, 5.0, 3.0]);
        let features = vec![
            Feature {
                name: "kvp".into(),
                kind: FeatureKind::Numeric,
            },
            Feature {
                name: "software_versions".into(),
                kind: FeatureKind::Categorical,
            },
        ];
        let (cases, _) = build_cases(&h, None, &features, Unit::Series).unwrap();
        assert_eq!(access::numeric(&cases, "kvp").unwrap(), vec![None, None]);
        assert_eq!(
            access::text(&cases, "software_versions").unwrap(),
            vec![None, None]
        );
    }

    #[test]
    fn select_keeps_the_catalogue_order_and_names_unknown_features() {
        let all = features(&[]);
        let names = vec!["kvp".to_string(), "modality".to_string()];
        let picked: Vec<String> = select(&all, Some(&names))
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(picked, ["modality", "kvp"]);
        assert_eq!(select(&all, None).unwrap(), all);
        let typo = vec!["kvpp".to_string(), "modality".to_string()];
        assert_eq!(select(&all, Some(&typo)).unwrap_err(), ["kvpp"]);
    }
}

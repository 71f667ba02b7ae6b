//! Loading `headers.parquet` and `inferences.parquet` for analysis, with their schemas
//! checked: a file from another tool or version is refused naming the column at fault.
//!
//! A headers table need not come from `postmarket scan`: a site's own metadata export with
//! any subset of the columns will do. It needs the key of a case (the unit's UID, as
//! text); every feature it has must have the right type family, and a feature it lacks is
//! absent (nulls, see [`crate::table::cases`]).

use std::path::Path;
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Schema, SchemaRef};

use crate::config::Unit;
use crate::error::{Error, Result};
use crate::table::cases::{unit_key, Feature, FeatureKind};
use crate::table::parquet::{concat, read_columns, read_columns_coded};
use crate::table::schema;

/// Reads the columns of a headers table that cases of `unit` with `features` need: its
/// key, which must be there as text, and those of the features it has.
pub fn load_headers(path: &Path, features: &[Feature], unit: Unit) -> Result<RecordBatch> {
    load_headers_with(path, features, unit, &[])
}

/// [`load_headers`] that also reads the columns in `extra` the file has (the study date,
/// to place a case without an inference in a time window).
pub fn load_headers_with(
    path: &Path,
    features: &[Feature],
    unit: Unit,
    extra: &[&str],
) -> Result<RecordBatch> {
    let key = unit_key(unit);
    let mut wanted: Vec<&str> = features.iter().map(|f| f.name.as_str()).collect();
    wanted.push(key);
    wanted.extend(extra);
    // Categories stay as the file's dictionary codes (no string per row); the case table
    // and every analysis read them through a cast or by code.
    let coded: Vec<&str> = features
        .iter()
        .filter(|f| f.kind == FeatureKind::Categorical)
        .map(|f| f.name.as_str())
        .collect();
    let (schema, batches) = read_columns_coded(path, Some(&wanted), &coded)?;
    check_headers(path, &schema, features, unit)?;
    let batch = concat(path, batches)?;
    key_as_utf8(path, batch, key)
}

/// The key column of a headers table alone (as `Utf8`), the whole file's columns checked
/// as [`load_headers`] checks them: the first read of a staged join, whose features are
/// read after ([`load_header_features`]). Also returns the file's fields that
/// [`load_headers`] would have read (key and features), to compare the parts of a table.
pub fn load_header_keys(
    path: &Path,
    features: &[Feature],
    unit: Unit,
) -> Result<(SchemaRef, RecordBatch)> {
    let key = unit_key(unit);
    let (schema, batches) = read_columns(path, Some(&[key]))?;
    check_headers(path, &schema, features, unit)?;
    let read: Vec<arrow_schema::FieldRef> = schema
        .fields()
        .iter()
        .filter(|f| f.name() == key || features.iter().any(|x| &x.name == f.name()))
        .cloned()
        .collect();
    let batch = key_as_utf8(path, concat(path, batches)?, key)?;
    Ok((Arc::new(Schema::new(read)), batch))
}

/// The feature columns a headers table has of `features` (categories as the file's
/// dictionary codes), for a file whose columns [`load_header_keys`] checked.
pub fn load_header_features(path: &Path, features: &[Feature]) -> Result<RecordBatch> {
    let wanted: Vec<&str> = features.iter().map(|f| f.name.as_str()).collect();
    let coded: Vec<&str> = features
        .iter()
        .filter(|f| f.kind == FeatureKind::Categorical)
        .map(|f| f.name.as_str())
        .collect();
    let (_, batches) = read_columns_coded(path, Some(&wanted), &coded)?;
    Ok(concat(path, batches)?)
}

/// The key of a case must be there as text, and every feature the file has of the right
/// type family.
fn check_headers(path: &Path, schema: &Schema, features: &[Feature], unit: Unit) -> Result<()> {
    let key = unit_key(unit);
    let key_type = match schema.field_with_name(key) {
        Ok(f) => f.data_type().clone(),
        Err(_) => {
            return Err(Error::invalid(
                path,
                format!(
                    "no column {key}, the key of a case (unit: {}): is this a headers table (headers.parquet from `postmarket scan`, or an export with that column)?",
                    unit_name(unit)
                ),
            ))
        }
    };
    if !is_text(&key_type) {
        return Err(Error::invalid(
            path,
            format!("column {key} is {key_type}, expected text (the UID of a case)"),
        ));
    }
    for feature in features {
        let Ok(field) = schema.field_with_name(&feature.name) else {
            continue;
        };
        let fits = match feature.kind {
            FeatureKind::Numeric => field.data_type().is_numeric(),
            FeatureKind::Categorical => crate::table::cast::utf8_able(field.data_type()),
        };
        if !fits {
            let expected = match feature.kind {
                FeatureKind::Numeric => "numbers (a numeric feature)",
                FeatureKind::Categorical => "text (a categorical feature)",
            };
            return Err(Error::invalid(
                path,
                format!(
                    "column {} is {}, expected {expected}",
                    feature.name,
                    field.data_type()
                ),
            ));
        }
    }
    Ok(())
}

/// Text keys other tools write as large, view or dictionary strings, cast to plain `Utf8`
/// (what the case join reads).
fn key_as_utf8(path: &Path, batch: RecordBatch, key: &str) -> Result<RecordBatch> {
    let schema = batch.schema();
    let index = schema.index_of(key).expect("checked above");
    if schema.field(index).data_type() == &DataType::Utf8 {
        return Ok(batch);
    }
    let cast = crate::table::cast::to_utf8(batch.column(index))
        .map_err(|e| Error::invalid(path, format!("column {key}: {e}")))?;
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields[index] = Arc::new(schema.field(index).clone().with_data_type(DataType::Utf8));
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(cast);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::invalid(path, e.to_string()))
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Study => "study",
        Unit::Series => "series",
        Unit::Instance => "instance",
    }
}

/// Reads an inferences table; its schema must be exactly the `logs` output's.
pub fn load_inferences(path: &Path) -> Result<RecordBatch> {
    load_inferences_with(path, &[])
}

/// [`load_inferences`] with the model, its version and the label version (the same on
/// most rows) read as the file's dictionary codes, for a caller that holds two inference
/// tables at once (`gate`: ~20 MB less each at a million rows). Not the default: for one
/// table (`drift`) reading by row group and joining the batches did not lower the peak.
pub fn load_inferences_coded(path: &Path) -> Result<RecordBatch> {
    load_inferences_with(
        path,
        &[schema::MODEL, schema::MODEL_VERSION, schema::LABEL_VERSION],
    )
}

fn load_inferences_with(path: &Path, coded: &[&str]) -> Result<RecordBatch> {
    let (found, batches) = read_columns_coded(path, None, coded)?;
    check_inferences(path, &found)?;
    Ok(concat(path, batches)?)
}

/// The key and timestamp of an inferences table alone, its schema checked as
/// [`load_inferences`] checks it: the first read of a staged join. Also returns the
/// file's schema, to compare the parts of a table.
pub fn load_inference_keys(path: &Path) -> Result<(SchemaRef, RecordBatch)> {
    let (found, batches) = read_columns(path, Some(&[schema::KEY, schema::TIMESTAMP]))?;
    check_inferences(path, &found)?;
    Ok((found, concat(path, batches)?))
}

/// The columns `wanted` of an inferences table whose schema [`load_inference_keys`]
/// checked.
pub fn load_inference_columns(path: &Path, wanted: &[&str]) -> Result<RecordBatch> {
    let (_, batches) = read_columns(path, Some(wanted))?;
    Ok(concat(path, batches)?)
}

fn check_inferences(path: &Path, found: &Schema) -> Result<()> {
    let expected = schema::inferences_schema();
    for field in expected.fields() {
        match found.field_with_name(field.name()) {
            Ok(f) if f.data_type() == field.data_type() => {}
            Ok(f) => {
                return Err(Error::invalid(
                    path,
                    format!(
                        "column {} is {}, expected {}: is this a `postmarket logs` output?",
                        field.name(),
                        f.data_type(),
                        field.data_type()
                    ),
                ))
            }
            Err(_) => {
                return Err(Error::invalid(
                    path,
                    format!(
                        "no column {}: is this a `postmarket logs` output (inferences.parquet)?",
                        field.name()
                    ),
                ))
            }
        }
    }
    Ok(())
}

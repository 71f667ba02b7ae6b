//! Loading `headers.parquet` and `inferences.parquet` for analysis, with their schemas
//! checked: a file from another tool or version is refused naming the column at fault.

use std::path::Path;

use arrow_array::RecordBatch;
use arrow_schema::DataType;

use crate::config::Unit;
use crate::error::{Error, Result};
use crate::table::cases::{unit_key, Feature};
use crate::table::parquet::{read_all, read_columns};
use crate::table::schema;
use crate::table::snapshot::concat;

/// Reads the columns of a headers table that cases of `unit` with `features` need (its
/// key and the features); it must have the identity columns as text.
pub fn load_headers(path: &Path, features: &[Feature], unit: Unit) -> Result<RecordBatch> {
    let mut wanted: Vec<&str> = features.iter().map(|f| f.name.as_str()).collect();
    wanted.push(unit_key(unit));
    let (schema, batches) = read_columns(path, Some(&wanted))?;
    for name in [
        schema::SOP_INSTANCE_UID,
        schema::SERIES_INSTANCE_UID,
        schema::STUDY_INSTANCE_UID,
    ] {
        match schema.field_with_name(name) {
            Ok(f) if f.data_type() == &DataType::Utf8 => {}
            Ok(f) => {
                return Err(Error::invalid(
                    path,
                    format!(
                        "column {name} is {}, expected text: is this a `postmarket scan` output?",
                        f.data_type()
                    ),
                ))
            }
            Err(_) => {
                return Err(Error::invalid(
                    path,
                    format!(
                        "no column {name}: is this a `postmarket scan` output (headers.parquet)?"
                    ),
                ))
            }
        }
    }
    concat(path, batches)
}

/// Reads an inferences table; its schema must be exactly the `logs` output's.
pub fn load_inferences(path: &Path) -> Result<RecordBatch> {
    let (found, batches) = read_all(path)?;
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
    concat(path, batches)
}

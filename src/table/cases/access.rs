//! Column accessors used by the analyses: a case-table column as plain values.

use arrow_array::cast::AsArray;
use arrow_array::types::Int8Type;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

use crate::table::cast;

/// Numeric values of `name` as f64 (null or non-finite → None).
pub fn numeric(batch: &RecordBatch, name: &str) -> Option<Vec<Option<f64>>> {
    let column = batch.column_by_name(name)?;
    let values = cast::to_f64(column).ok()?;
    Some(
        (0..values.len())
            .map(|i| (values.is_valid(i) && values.value(i).is_finite()).then(|| values.value(i)))
            .collect(),
    )
}

/// Text values of `name` (null → None).
pub fn text(batch: &RecordBatch, name: &str) -> Option<Vec<Option<String>>> {
    let column = batch.column_by_name(name)?;
    let values = cast::to_utf8(column).ok()?;
    Some(
        (0..values.len())
            .map(|i| values.is_valid(i).then(|| values.value(i).to_string()))
            .collect(),
    )
}

/// Text values of `name` as codes into its distinct values (null → None), without a String
/// per row: a dictionary column's own keys, or a plain column's values numbered in order of
/// first appearance.
pub fn codes(batch: &RecordBatch, name: &str) -> Option<(Vec<Option<u32>>, Vec<String>)> {
    let column = batch.column_by_name(name)?;
    if let Some(dict) = column.as_any_dictionary_opt() {
        let keys = cast::to_u32(dict.keys()).ok()?;
        let values = cast::to_utf8(dict.values()).ok()?;
        let names = (0..values.len())
            .map(|i| values.value(i).to_string())
            .collect();
        let codes = (0..keys.len())
            .map(|i| {
                let key = keys.value(i);
                (keys.is_valid(i) && values.is_valid(key as usize)).then_some(key)
            })
            .collect();
        return Some((codes, names));
    }
    let values = cast::to_utf8(column).ok()?;
    let mut index: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut codes = Vec::with_capacity(values.len());
    for i in 0..values.len() {
        if !values.is_valid(i) {
            codes.push(None);
            continue;
        }
        let v = values.value(i);
        let code = *index.entry(v).or_insert_with(|| {
            names.push(v.to_string());
            (names.len() - 1) as u32
        });
        codes.push(Some(code));
    }
    Some((codes, names))
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

/// The table with every dictionary-coded text column as plain `Utf8`: what files written
/// from a case table (the snapshot, `novel.parquet`) hold, byte for byte as before coded
/// reading.
pub fn decoded(batch: &RecordBatch) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let schema = batch.schema();
    let coded = |t: &DataType| matches!(t, DataType::Dictionary(_, v) if v.is_string());
    if !schema.fields().iter().any(|f| coded(f.data_type())) {
        return Ok(batch.clone());
    }
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut columns = Vec::with_capacity(schema.fields().len());
    for (field, column) in schema.fields().iter().zip(batch.columns()) {
        if coded(field.data_type()) {
            fields.push(field.as_ref().clone().with_data_type(DataType::Utf8));
            let text = cast::to_utf8(column)
                .map_err(|e| arrow_schema::ArrowError::CastError(e.to_string()))?;
            columns.push(std::sync::Arc::new(text) as arrow_array::ArrayRef);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    let schema = arrow_schema::Schema::new_with_metadata(fields, schema.metadata().clone());
    RecordBatch::try_new(std::sync::Arc::new(schema), columns)
}

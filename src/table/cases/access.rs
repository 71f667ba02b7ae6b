//! Column accessors used by the analyses: a case-table column as plain values.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int8Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;

/// Numeric values of `name` as f64 (null or non-finite → None).
pub fn numeric(batch: &RecordBatch, name: &str) -> Option<Vec<Option<f64>>> {
    let column = batch.column_by_name(name)?;
    let cast = arrow_cast::cast(column, &DataType::Float64).ok()?;
    let values = cast.as_primitive::<Float64Type>();
    Some(
        (0..values.len())
            .map(|i| (values.is_valid(i) && values.value(i).is_finite()).then(|| values.value(i)))
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
            columns.push(arrow_cast::cast(column, &DataType::Utf8)?);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    let schema = arrow_schema::Schema::new_with_metadata(fields, schema.metadata().clone());
    RecordBatch::try_new(std::sync::Arc::new(schema), columns)
}

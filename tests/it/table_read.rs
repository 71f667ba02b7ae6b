//! Reading output tables back as plain values for assertions.

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float64Type, Int32Type, Int8Type, TimestampMicrosecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::Value;

/// Every row of a Parquet file as column name → JSON value.
pub fn rows(path: &Path) -> Vec<BTreeMap<String, Value>> {
    let (_, batches) = postmarket::table::parquet::read_all(path).expect("readable parquet");
    batches.iter().flat_map(batch_rows).collect()
}

fn batch_rows(batch: &RecordBatch) -> Vec<BTreeMap<String, Value>> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|i| {
            schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(field, col)| (field.name().clone(), cell(col.as_ref(), i)))
                .collect()
        })
        .collect()
}

fn cell(col: &dyn Array, i: usize) -> Value {
    if col.is_null(i) {
        return Value::Null;
    }
    match col.data_type() {
        DataType::Utf8 => Value::from(col.as_string::<i32>().value(i)),
        DataType::Float64 => Value::from(col.as_primitive::<Float64Type>().value(i)),
        DataType::Int32 => Value::from(col.as_primitive::<Int32Type>().value(i)),
        DataType::Int8 => Value::from(col.as_primitive::<Int8Type>().value(i)),
        DataType::UInt64 => Value::from(col.as_primitive::<UInt64Type>().value(i)),
        DataType::UInt32 => Value::from(col.as_primitive::<UInt32Type>().value(i)),
        DataType::Boolean => Value::from(col.as_boolean().value(i)),
        DataType::Date32 => {
            let days = col.as_primitive::<Date32Type>().value(i);
            let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()
                + chrono::Duration::days(i64::from(days));
            Value::from(date.to_string())
        }
        DataType::Timestamp(..) => {
            Value::from(col.as_primitive::<TimestampMicrosecondType>().value(i))
        }
        other => panic!("no test reader for {other}"),
    }
}

/// Every string a Parquet file holds, decoded (compressed bytes would hide a leak).
pub fn all_text(path: &Path) -> String {
    let mut text = String::new();
    for row in rows(path) {
        for (k, v) in row {
            text.push_str(&k);
            text.push('=');
            text.push_str(&v.to_string());
            text.push('\n');
        }
    }
    text
}

//! Header rows into an Arrow record batch with the `headers.parquet` schema.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int32Builder, StringBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef};

use super::fields::{HeaderRecord, Value};

/// Builds one batch from `rows`; `schema` is [`crate::table::schema::headers_schema`].
pub fn headers_batch(schema: &SchemaRef, rows: &[HeaderRecord]) -> RecordBatch {
    let strings = |get: &dyn Fn(&HeaderRecord) -> Option<&str>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 32);
        for row in rows {
            b.append_option(get(row));
        }
        Arc::new(b.finish())
    };
    let mut columns: Vec<ArrayRef> = vec![
        strings(&|r| Some(r.sop_instance_uid.as_str())),
        strings(&|r| Some(r.series_instance_uid.as_str())),
        strings(&|r| r.study_instance_uid.as_deref()),
        strings(&|r| Some(r.source_path.as_str())),
    ];
    let typed = &schema.fields()[columns.len()..];
    let n_fields = rows.first().map_or(0, |r| r.fields.len());
    for (i, field) in typed.iter().enumerate() {
        let cell = |row: &'_ HeaderRecord| -> Value {
            if i < n_fields {
                row.fields[i].clone()
            } else {
                row.extras[i - n_fields].clone()
            }
        };
        columns.push(column(field.data_type(), rows.iter().map(cell)));
    }
    RecordBatch::try_new(schema.clone(), columns).expect("header batch matches its schema")
}

fn column(data_type: &DataType, cells: impl Iterator<Item = Value>) -> ArrayRef {
    match data_type {
        DataType::Utf8 => {
            let mut b = StringBuilder::new();
            for cell in cells {
                match cell {
                    Value::Text(s) => b.append_value(s),
                    _ => b.append_null(),
                }
            }
            Arc::new(b.finish())
        }
        DataType::Float64 => {
            let mut b = Float64Builder::new();
            b.extend(cells.map(|c| match c {
                Value::Number(v) => Some(v),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        DataType::Int32 => {
            let mut b = Int32Builder::new();
            b.extend(cells.map(|c| match c {
                Value::Integer(v) => Some(v),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::new();
            b.extend(cells.map(|c| match c {
                Value::Flag(v) => Some(v),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        DataType::Date32 => {
            let mut b = Date32Builder::new();
            b.extend(cells.map(|c| match c {
                Value::Date(v) => Some(v),
                _ => None,
            }));
            Arc::new(b.finish())
        }
        other => unreachable!("headers schema has no {other} column"),
    }
}

//! Validated inference rows into an Arrow batch with the `inferences.parquet` schema.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int8Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch, TimestampMicrosecondArray};

use super::row::InferenceRow;
use crate::table::schema;

pub fn inferences_batch(rows: &[InferenceRow]) -> RecordBatch {
    let strings = |get: &dyn Fn(&InferenceRow) -> Option<&str>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for row in rows {
            b.append_option(get(row));
        }
        Arc::new(b.finish())
    };
    let timestamps = TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| r.timestamp))
        .with_timezone("UTC");
    let mut score = Float64Builder::with_capacity(rows.len());
    let mut latency = Float64Builder::with_capacity(rows.len());
    let mut prediction = Int8Builder::with_capacity(rows.len());
    let mut label = Int8Builder::with_capacity(rows.len());
    for r in rows {
        score.append_value(r.score);
        latency.append_option(r.latency_ms);
        prediction.append_value(r.prediction);
        label.append_option(r.label);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(timestamps),
        strings(&|r| Some(&r.key)),
        strings(&|r| Some(&r.model)),
        strings(&|r| Some(&r.model_version)),
        Arc::new(score.finish()),
        Arc::new(prediction.finish()),
        Arc::new(label.finish()),
        strings(&|r| r.label_version.as_deref()),
        Arc::new(latency.finish()),
    ];
    RecordBatch::try_new(schema::inferences_schema(), columns)
        .expect("inference batch matches its schema")
}

//! From a decoded Arrow batch (the log's own column names) to [`RawRow`]s (ours).
//!
//! Every reader decodes cells as text (or, for typed Parquet timestamps, as microseconds),
//! so that one validation path ([`super::row::validate`]) judges every format alike.

use std::collections::BTreeMap;

use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, PrimitiveArray, RecordBatch, StringArray};
use arrow_schema::{DataType, Schema};

use super::row::{RawRow, TimeCell};
use crate::table::{cast, schema};

/// Our field name → the column name in the log (identity unless `logs.columns` maps it).
#[derive(Debug, Clone)]
pub struct ColumnMap {
    source: BTreeMap<&'static str, String>,
}

impl ColumnMap {
    pub fn new(mapping: &BTreeMap<String, String>) -> Self {
        let source = schema::INFERENCE_INPUT_FIELDS
            .iter()
            .map(|ours| {
                (
                    *ours,
                    mapping
                        .get(*ours)
                        .cloned()
                        .unwrap_or_else(|| ours.to_string()),
                )
            })
            .collect();
        ColumnMap { source }
    }

    pub fn source_name(&self, ours: &str) -> &str {
        &self.source[ours]
    }

    /// The source column names, in our field order (used as the text readers' schema).
    pub fn source_names(&self) -> Vec<&str> {
        schema::INFERENCE_INPUT_FIELDS
            .iter()
            .map(|ours| self.source_name(ours))
            .collect()
    }

    /// Required fields (ours, and the log's name for them) that `schema` lacks.
    pub fn missing_required(&self, schema: &Schema) -> Vec<String> {
        schema::INFERENCE_REQUIRED
            .iter()
            .filter(|ours| schema.field_with_name(self.source_name(ours)).is_err())
            .map(|ours| match self.source_name(ours) {
                name if name == *ours => name.to_string(),
                name => format!("{ours} (mapped from {name:?})"),
            })
            .collect()
    }
}

/// The cells of one batch, ready to be read row by row.
pub struct Cells {
    text: Vec<Option<StringArray>>,
    micros: Option<PrimitiveArray<TimestampMicrosecondType>>,
    len: usize,
}

impl Cells {
    /// Picks our fields out of `batch`, casting each to text (timestamps that are already
    /// typed stay typed, read as UTC).
    pub fn new(batch: &RecordBatch, map: &ColumnMap) -> Result<Cells, String> {
        let mut text = Vec::with_capacity(schema::INFERENCE_INPUT_FIELDS.len());
        let mut micros = None;
        for ours in schema::INFERENCE_INPUT_FIELDS {
            let name = map.source_name(ours);
            let Some(column) = batch.column_by_name(name) else {
                text.push(None);
                continue;
            };
            if *ours == schema::TIMESTAMP && matches!(column.data_type(), DataType::Timestamp(..)) {
                let utc = cast::to_timestamp_us_utc(column)
                    .map_err(|e| format!("column {name:?}: {e}"))?;
                micros = Some(utc);
                text.push(None);
                continue;
            }
            text.push(Some(
                cast::to_utf8(column).map_err(|e| format!("column {name:?}: {e}"))?,
            ));
        }
        Ok(Cells {
            text,
            micros,
            len: batch.num_rows(),
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Row `i`'s longest text cell: its field (ours) and length in bytes.
    pub fn longest(&self, i: usize) -> Option<(&'static str, usize)> {
        self.text
            .iter()
            .zip(schema::INFERENCE_INPUT_FIELDS)
            .filter_map(|(array, name)| {
                let array = array.as_ref()?;
                (!array.is_null(i)).then(|| (*name, array.value(i).len()))
            })
            .max_by_key(|&(_, len)| len)
    }

    pub fn row(&self, i: usize) -> RawRow<'_> {
        let cell = |field: usize| -> Option<&str> {
            let array = self.text[field].as_ref()?;
            (!array.is_null(i)).then(|| array.value(i))
        };
        let timestamp = match &self.micros {
            Some(array) => (!array.is_null(i)).then(|| TimeCell::Micros(array.value(i))),
            None => cell(0).map(TimeCell::Text),
        };
        RawRow {
            timestamp,
            key: cell(1),
            model: cell(2),
            model_version: cell(3),
            score: cell(4),
            prediction: cell(5),
            label: cell(6),
            label_version: cell(7),
            latency_ms: cell(8),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_order_matches_the_row_accessor() {
        // Cells::row reads fields by position; this pins the positions it relies on.
        assert_eq!(
            schema::INFERENCE_INPUT_FIELDS,
            &[
                "timestamp",
                "key",
                "model",
                "model_version",
                "score",
                "prediction",
                "label",
                "label_version",
                "latency_ms"
            ]
        );
    }
}

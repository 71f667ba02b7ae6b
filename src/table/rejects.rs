//! The rejects table: every file or log line that was not read, with a short kind (for
//! counting) and a readable reason (for fixing). Reasons never quote patient data.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{RecordBatch, StringArray, UInt64Array};

use crate::error::Result;
use crate::table::parquet::TableWriter;
use crate::table::schema;

/// One input that was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub source: String,
    /// 1-based line (or record) number for log rows; `None` for whole files.
    pub line: Option<u64>,
    /// A short, stable category such as `truncated` or `bad-score`.
    pub kind: &'static str,
    pub reason: String,
}

/// Rejects collected during a run.
#[derive(Debug, Default)]
pub struct Rejects {
    pub items: Vec<Reject>,
}

impl Rejects {
    pub fn push(&mut self, reject: Reject) {
        self.items.push(reject);
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Count per kind, sorted by kind.
    pub fn by_kind(&self) -> BTreeMap<&'static str, u64> {
        let mut counts = BTreeMap::new();
        for r in &self.items {
            *counts.entry(r.kind).or_insert(0) += 1;
        }
        counts
    }

    pub fn to_batch(&self) -> RecordBatch {
        let source = StringArray::from_iter_values(self.items.iter().map(|r| r.source.as_str()));
        let line = UInt64Array::from_iter(self.items.iter().map(|r| r.line));
        let kind = StringArray::from_iter_values(self.items.iter().map(|r| r.kind));
        let reason = StringArray::from_iter_values(self.items.iter().map(|r| r.reason.as_str()));
        RecordBatch::try_new(
            schema::rejects_schema(),
            vec![
                Arc::new(source),
                Arc::new(line),
                Arc::new(kind),
                Arc::new(reason),
            ],
        )
        .expect("rejects batch matches its schema")
    }

    pub fn write(&self, path: &Path) -> Result<()> {
        let mut writer = TableWriter::create(path, schema::rejects_schema())?;
        writer.write(&self.to_batch())?;
        writer.finish()?;
        Ok(())
    }
}

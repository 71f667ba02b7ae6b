//! Inference logs (JSONL, CSV, Parquet) into `inferences.parquet`, validating every row.
//!
//! Each format is decoded by its arrow reader into text cells under the log's own column
//! names; `logs.columns` in the config maps those names onto ours; one validation path
//! ([`row::validate`]) turns cells into typed rows. A bad row becomes a reject with its file,
//! line and reason, and the run goes on. A failure to *write* `inferences.parquet` is not
//! a reject: it ends the run with an error naming the output ([`FileError::Output`]).

pub mod batch;
pub mod cells;
pub mod row;
pub mod text;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cells::{Cells, ColumnMap};
use row::InferenceRow;
use text::{Decoded, TextFormat, TextLog};

use crate::config::LogsConfig;
use crate::error::{Error, Result};
use crate::privacy::Pseudonymizer;
use crate::table::parquet::TableWriter;
use crate::table::rejects::{Reject, Rejects};
use crate::table::schema;

/// Rows buffered before a batch is written.
const WRITE_ROWS: usize = 65_536;

/// A log file's format, from its extension or, failing that, its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text(TextFormat),
    Parquet,
}

/// What an ingest did.
#[derive(Debug, Default)]
pub struct LogSummary {
    pub files: u64,
    pub rows_written: u64,
    pub labelled: u64,
    pub rejects: Rejects,
    /// (model, model_version) → rows.
    pub models: BTreeMap<(String, String), u64>,
    /// Earliest and latest timestamp (UTC microseconds).
    pub time_range: Option<(i64, i64)>,
    pub elapsed: Duration,
}

/// Reads `inputs` into the Parquet file at `output`.
pub fn ingest(
    inputs: &[PathBuf],
    output: &Path,
    config: &LogsConfig,
    pseudonymizer: &Pseudonymizer,
) -> Result<LogSummary> {
    ingest_with(
        inputs,
        output,
        config,
        pseudonymizer,
        text::DEFAULT_MAX_LINE_BYTES,
    )
}

/// [`ingest`] with a cap on a text log's line (JSONL) or record (CSV), in bytes.
pub fn ingest_with(
    inputs: &[PathBuf],
    output: &Path,
    config: &LogsConfig,
    pseudonymizer: &Pseudonymizer,
    max_line: usize,
) -> Result<LogSummary> {
    let started = Instant::now();
    let map = ColumnMap::new(&config.columns);
    let mut sink = Sink {
        writer: TableWriter::create(output, schema::inferences_schema())?,
        pending: Vec::with_capacity(WRITE_ROWS),
        summary: LogSummary::default(),
        threshold: config.threshold,
        pseudonymizer,
        max_cell: max_line,
    };
    for path in inputs {
        sink.summary.files += 1;
        let format = detect_format(path)?;
        let source = path.display().to_string();
        let outcome = match format {
            LogFormat::Text(format) => read_text(path, format, &map, max_line, &mut sink),
            LogFormat::Parquet => read_parquet(path, &map, &mut sink),
        };
        match outcome {
            Ok(()) => {}
            Err(FileError::Unreadable(reason)) => sink.summary.rejects.push(Reject {
                source,
                line: None,
                kind: "unreadable-file",
                reason,
            }),
            Err(FileError::Output(e)) => return Err(e),
        }
    }
    sink.flush()?;
    let mut summary = sink.summary;
    summary.rows_written = sink.writer.finish()?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Why reading one log file stopped.
#[derive(Debug)]
enum FileError {
    /// The file cannot be read (a reject of that file; the run goes on).
    Unreadable(String),
    /// Writing the output failed while the file was read (an error of the run).
    Output(Error),
}

impl From<String> for FileError {
    fn from(reason: String) -> Self {
        FileError::Unreadable(reason)
    }
}

impl From<Error> for FileError {
    fn from(e: Error) -> Self {
        FileError::Output(e)
    }
}

/// Collects validated rows and rejects, writing full batches as they fill.
struct Sink<'a> {
    writer: TableWriter,
    pending: Vec<InferenceRow>,
    summary: LogSummary,
    threshold: f64,
    pseudonymizer: &'a Pseudonymizer,
    /// The longest value a cell may hold (a Parquet log's strings; a text log's lines are
    /// capped before they are parsed).
    max_cell: usize,
}

impl Sink<'_> {
    fn take(&mut self, source: &str, cells: &Cells, line_of: impl Fn(usize) -> u64) -> Result<()> {
        for i in 0..cells.len() {
            if let Some((field, len)) = cells.longest(i).filter(|&(_, len)| len > self.max_cell) {
                self.summary.rejects.push(Reject {
                    source: source.to_string(),
                    line: Some(line_of(i)),
                    kind: "too-long",
                    reason: format!(
                        "{field} is {len} bytes, longer than the {}-byte limit (--max-line-kib)",
                        self.max_cell
                    ),
                });
                continue;
            }
            match row::validate(&cells.row(i), self.threshold) {
                Ok(mut row) => {
                    if self.pseudonymizer.is_on() {
                        row.key = self.pseudonymizer.apply(&row.key);
                    }
                    self.account(&row);
                    self.pending.push(row);
                }
                Err(e) => self.summary.rejects.push(Reject {
                    source: source.to_string(),
                    line: Some(line_of(i)),
                    kind: e.kind,
                    reason: e.reason,
                }),
            }
        }
        if self.pending.len() >= WRITE_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn account(&mut self, row: &InferenceRow) {
        let s = &mut self.summary;
        *s.models
            .entry((row.model.clone(), row.model_version.clone()))
            .or_insert(0) += 1;
        s.labelled += u64::from(row.label.is_some());
        s.time_range = Some(match s.time_range {
            None => (row.timestamp, row.timestamp),
            Some((lo, hi)) => (lo.min(row.timestamp), hi.max(row.timestamp)),
        });
    }

    fn flush(&mut self) -> Result<()> {
        if !self.pending.is_empty() {
            self.writer.write(&batch::inferences_batch(&self.pending))?;
            self.pending.clear();
        }
        Ok(())
    }

    fn reject(&mut self, source: &str, line: u64, kind: &'static str, reason: String) {
        self.summary.rejects.push(Reject {
            source: source.to_string(),
            line: Some(line),
            kind,
            reason,
        });
    }
}

/// Format by extension (`.jsonl`/`.ndjson`/`.json`, `.csv`, `.parquet`/`.pq`), else by
/// content: Parquet magic, or a `{` first, else CSV.
pub fn detect_format(path: &Path) -> Result<LogFormat> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("jsonl" | "ndjson" | "json") => return Ok(LogFormat::Text(TextFormat::Jsonl)),
        Some("csv") => return Ok(LogFormat::Text(TextFormat::Csv)),
        Some("parquet" | "pq") => return Ok(LogFormat::Parquet),
        _ => {}
    }
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|source| Error::ReadInput {
            path: path.to_path_buf(),
            source,
        })?;
    let head = &head[..n];
    Ok(if head.starts_with(b"PAR1") {
        LogFormat::Parquet
    } else if head.trim_ascii_start().starts_with(b"{") {
        LogFormat::Text(TextFormat::Jsonl)
    } else {
        LogFormat::Text(TextFormat::Csv)
    })
}

fn read_text(
    path: &Path,
    format: TextFormat,
    map: &ColumnMap,
    max_line: usize,
    sink: &mut Sink<'_>,
) -> Result<(), FileError> {
    let source = path.display().to_string();
    let file = File::open(path).map_err(|e| format!("open: {e}"))?;
    let mut log = TextLog::new(
        BufReader::with_capacity(1 << 20, file),
        format,
        map,
        max_line,
    )?;
    if format == TextFormat::Csv {
        let missing = map.missing_required(log.schema());
        if !missing.is_empty() {
            return Err(FileError::Unreadable(format!(
                "CSV header lacks required column(s): {}; no row of this file was read",
                missing.join(", ")
            )));
        }
    }
    while let Some(chunk) = log.next_chunk()? {
        for decoded in chunk {
            match decoded {
                Decoded::Rows { batch, lines } => {
                    let cells = Cells::new(&batch, map)?;
                    sink.take(&source, &cells, |i| lines[i])?;
                }
                Decoded::Bad { line, reason } => {
                    let kind = match format {
                        TextFormat::Jsonl => "malformed-json",
                        TextFormat::Csv => "malformed-csv",
                    };
                    sink.reject(&source, line, kind, reason);
                }
                Decoded::TooLong { line, bytes } => sink.reject(
                    &source,
                    line,
                    "too-long",
                    format!(
                        "a line of {bytes} bytes, longer than the {max_line}-byte limit (--max-line-kib); skipped to its line break"
                    ),
                ),
            }
        }
    }
    Ok(())
}

fn read_parquet(path: &Path, map: &ColumnMap, sink: &mut Sink<'_>) -> Result<(), FileError> {
    let source = path.display().to_string();
    let file = File::open(path).map_err(|e| format!("open: {e}"))?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let missing = map.missing_required(builder.schema());
    if !missing.is_empty() {
        return Err(FileError::Unreadable(format!(
            "Parquet schema lacks required column(s): {}; no row of this file was read",
            missing.join(", ")
        )));
    }
    let reader = builder
        .with_batch_size(WRITE_ROWS)
        .build()
        .map_err(|e| e.to_string())?;
    let mut first_row = 1u64;
    for batch in reader {
        let batch = batch.map_err(|e| format!("after row {first_row}: {e}"))?;
        let cells = Cells::new(&batch, map)?;
        sink.take(&source, &cells, |i| first_row + i as u64)?;
        first_row += batch.num_rows() as u64;
    }
    Ok(())
}

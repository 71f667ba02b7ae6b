//! Reading and writing one history file, and refusing one that is not as written.
//!
//! Each file carries, in its Parquet key-value metadata, the history format version and
//! the SHA-256 of its rows' canonical encoding ([`super::records`]). Reading decodes the
//! rows, re-encodes them and compares: a file edited by another tool (even one that kept
//! the schema), truncated or not Parquet at all is refused with an error naming it. A run's
//! checks file is bound to its run by the SHA-256 of its bytes, recorded in the run row.

use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMicrosecondType, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::SchemaRef;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use super::records::{
    checks_batch, checks_digest, checks_schema, parse_severity, runs_schema, CheckRow, RunRow,
};
use crate::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::table::window::Window;

/// The history layout this build writes and reads.
pub const FORMAT_VERSION: &str = "1";
pub const FORMAT_KEY: &str = "postmarket.history_format";
pub const DIGEST_KEY: &str = "postmarket.content_sha256";

pub(super) fn refuse(path: &Path, message: impl Into<String>) -> Error {
    Error::ReadHistory {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Stages `batch` as a Parquet file at `path` (not yet in place) with its digest.
pub fn stage(path: &Path, batch: &RecordBatch, digest: &str) -> Result<AtomicFile> {
    stage_with(path, batch, digest, &[])
}

/// [`stage`] with more key-value metadata (`postmarket.*` keys the digest covers).
pub fn stage_with(
    path: &Path,
    batch: &RecordBatch,
    digest: &str,
    meta: &[(&str, &str)],
) -> Result<AtomicFile> {
    let file = AtomicFile::create(path)?;
    let mut kv = vec![
        KeyValue::new(FORMAT_KEY.to_string(), FORMAT_VERSION.to_string()),
        KeyValue::new(DIGEST_KEY.to_string(), digest.to_string()),
    ];
    kv.extend(
        meta.iter()
            .map(|(k, v)| KeyValue::new(k.to_string(), v.to_string())),
    );
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid level"),
        ))
        .set_created_by(concat!("postmarket ", env!("CARGO_PKG_VERSION")).to_string())
        .set_key_value_metadata(Some(kv))
        .build();
    let encode = |e: parquet::errors::ParquetError| Error::Encode {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(encode)?;
    writer.write(batch).map_err(encode)?;
    writer.into_inner().map_err(encode)
}

/// Reads a history file: its rows (in one batch) after checking the format, the schema
/// and that the recorded digest is there; the caller compares the digest.
fn read(path: &Path, schema: &SchemaRef) -> Result<(RecordBatch, String)> {
    read_with(path, schema, None).map(|(batch, digest, _)| (batch, digest))
}

/// [`read`], with the value of one more metadata key when `key` names one.
pub(super) fn read_with(
    path: &Path,
    schema: &SchemaRef,
    key: Option<&str>,
) -> Result<(RecordBatch, String, Option<String>)> {
    let file = File::open(path).map_err(|e| refuse(path, format!("cannot open: {e}")))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| refuse(path, format!("not a readable Parquet file: {e}")))?;
    let meta = |key: &str| {
        builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|kv| kv.key == key))
            .and_then(|kv| kv.value.clone())
    };
    match meta(FORMAT_KEY) {
        Some(v) if v == FORMAT_VERSION => {}
        Some(v) => {
            return Err(refuse(
                path,
                format!("history format {v}, expected {FORMAT_VERSION}"),
            ))
        }
        None => {
            return Err(refuse(
                path,
                format!(
                "no {FORMAT_KEY} metadata: not written by postmarket, or rewritten by another tool"
            ),
            ))
        }
    }
    let digest =
        meta(DIGEST_KEY).ok_or_else(|| refuse(path, format!("no {DIGEST_KEY} metadata")))?;
    let extra = key.and_then(meta);
    for want in schema.fields() {
        match builder.schema().field_with_name(want.name()) {
            Ok(got) if got.data_type() == want.data_type() => {}
            Ok(got) => {
                return Err(refuse(
                    path,
                    format!(
                        "column {} is {}, expected {}",
                        want.name(),
                        got.data_type(),
                        want.data_type()
                    ),
                ))
            }
            Err(_) => return Err(refuse(path, format!("no column {}", want.name()))),
        }
    }
    let rows = builder.metadata().file_metadata().num_rows().max(1) as usize;
    let file_schema = builder.schema().clone();
    let batches = builder
        .with_batch_size(rows)
        .build()
        .map_err(|e| refuse(path, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| refuse(path, format!("cannot decode: {e}")))?;
    let batch = arrow_select::concat::concat_batches(&file_schema, &batches)
        .map_err(|e| refuse(path, e.to_string()))?;
    Ok((batch, digest, extra))
}

/// Column access that names the file and the column when a value is not what it must be.
pub(super) struct Columns<'a> {
    pub(super) path: &'a Path,
    pub(super) batch: &'a RecordBatch,
}

impl Columns<'_> {
    fn column(&self, name: &str) -> &dyn Array {
        self.batch
            .column_by_name(name)
            .expect("schema checked")
            .as_ref()
    }

    pub(super) fn opt_text(&self, name: &str, row: usize) -> Option<String> {
        let a = self.column(name).as_string::<i32>();
        a.is_valid(row).then(|| a.value(row).to_string())
    }

    pub(super) fn text(&self, name: &str, row: usize) -> Result<String> {
        self.opt_text(name, row)
            .ok_or_else(|| refuse(self.path, format!("row {row}: {name} is null")))
    }

    fn opt_float(&self, name: &str, row: usize) -> Option<f64> {
        let a = self.column(name).as_primitive::<Float64Type>();
        a.is_valid(row).then(|| a.value(row))
    }

    fn float(&self, name: &str, row: usize) -> Result<f64> {
        self.opt_float(name, row)
            .ok_or_else(|| refuse(self.path, format!("row {row}: {name} is null")))
    }

    fn count(&self, name: &str, row: usize) -> Result<u64> {
        let a = self.column(name).as_primitive::<UInt64Type>();
        a.is_valid(row)
            .then(|| a.value(row))
            .ok_or_else(|| refuse(self.path, format!("row {row}: {name} is null")))
    }

    fn time(&self, name: &str, row: usize) -> Result<DateTime<Utc>> {
        let a = self.column(name).as_primitive::<TimestampMicrosecondType>();
        a.is_valid(row)
            .then(|| DateTime::from_timestamp_micros(a.value(row)))
            .flatten()
            .ok_or_else(|| {
                refuse(
                    self.path,
                    format!("row {row}: {name} is null or out of range"),
                )
            })
    }

    pub(super) fn severity(
        &self,
        name: &str,
        row: usize,
    ) -> Result<Option<crate::analysis::findings::Severity>> {
        self.opt_text(name, row)
            .map(|s| {
                parse_severity(&s).ok_or_else(|| {
                    refuse(
                        self.path,
                        format!("row {row}: {name} {s:?} is not a severity"),
                    )
                })
            })
            .transpose()
    }
}

/// Reads and verifies `DIR/runs/<run_id>.parquet`: one row, its digest as recorded, its
/// run id the file's name.
pub fn read_run(path: &Path, run_id: &str) -> Result<RunRow> {
    let (batch, digest) = read(path, &runs_schema())?;
    if batch.num_rows() != 1 {
        return Err(refuse(
            path,
            format!("{} rows, expected 1", batch.num_rows()),
        ));
    }
    let c = Columns {
        path,
        batch: &batch,
    };
    let window = Window::new(c.time("window_start", 0)?, c.time("window_end", 0)?)
        .map_err(|e| refuse(path, e.to_string()))?;
    let run = RunRow {
        run_id: c.text("run_id", 0)?,
        seq: c.count("seq", 0)?,
        created: c.text("created", 0)?,
        window,
        baseline_sha256: c.text("baseline_sha256", 0)?,
        config_sha256: c.text("config_sha256", 0)?,
        tool_version: c.text("tool_version", 0)?,
        status: c.text("status", 0)?,
        cases: c.count("cases", 0)?,
        cases_outside: c.count("cases_outside", 0)?,
        cases_undated: c.count("cases_undated", 0)?,
        checks: c.count("checks", 0)?,
        warnings: c.count("warnings", 0)?,
        alerts: c.count("alerts", 0)?,
        supersedes: c.opt_text("supersedes", 0),
        checks_sha256: c.text("checks_sha256", 0)?,
    };
    if run.digest() != digest {
        return Err(refuse(
            path,
            "content does not match its recorded digest (altered?)",
        ));
    }
    if run.run_id != run_id {
        return Err(refuse(
            path,
            format!("holds run {}, not {run_id}", run.run_id),
        ));
    }
    Ok(run)
}

/// Reads and verifies the checks file of `run`: the bytes' SHA-256 as the run recorded,
/// the content digest as the file recorded, every row of this run.
pub fn read_checks(path: &Path, run: &RunRow) -> Result<Vec<CheckRow>> {
    let bytes_sha = crate::analysis::snapshot::sha256_file(path)
        .map_err(|e| refuse(path, format!("cannot read: {e}")))?;
    if bytes_sha != run.checks_sha256 {
        return Err(refuse(
            path,
            format!(
                "SHA-256 {bytes_sha} is not the {} its run recorded (altered or replaced?)",
                run.checks_sha256
            ),
        ));
    }
    let (batch, digest) = read(path, &checks_schema())?;
    let c = Columns {
        path,
        batch: &batch,
    };
    let mut rows = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let run_id = c.text("run_id", i)?;
        if run_id != run.run_id {
            return Err(refuse(path, format!("row {i} belongs to run {run_id}")));
        }
        rows.push(CheckRow {
            kind: c.text("kind", i)?,
            subject: c.text("subject", i)?,
            subgroup: c.opt_text("subgroup", i),
            test: c.text("test", i)?,
            effect_name: c.text("effect_name", i)?,
            direction: c.text("direction", i)?,
            statistic: c.opt_float("statistic", i),
            p_value: c.opt_float("p_value", i),
            q_value: c.opt_float("q_value", i),
            effect: c.opt_float("effect", i),
            effect_ci_low: c.opt_float("effect_ci_low", i),
            effect_ci_high: c.opt_float("effect_ci_high", i),
            threshold: c.float("threshold", i)?,
            alert_threshold: c.float("alert_threshold", i)?,
            severity: c
                .severity("severity", i)?
                .ok_or_else(|| refuse(path, format!("row {i}: severity is null")))?,
            night_severity: c.severity("night_severity", i)?,
            sequential_evidence: c.opt_float("sequential_evidence", i),
            sequential_statistic: c.opt_float("sequential_statistic", i),
            n_baseline: c.count("n_baseline", i)?,
            n_serving: c.count("n_serving", i)?,
        });
    }
    if checks_digest(&run.run_id, &rows) != digest {
        return Err(refuse(
            path,
            "content does not match its recorded digest (altered?)",
        ));
    }
    Ok(rows)
}

/// The batch and digest of a run's checks, for [`stage`].
pub fn checks_content(run_id: &str, rows: &[CheckRow]) -> (RecordBatch, String) {
    (checks_batch(run_id, rows), checks_digest(run_id, rows))
}

//! The parallel scan: walk files and folders, read each header on a bounded rayon pool,
//! and stream the rows to `headers.parquet` chunk by chunk so memory stays flat however
//! many files there are.
//!
//! Order is deterministic: folders are walked in sorted order and each chunk keeps its
//! input order, so the same tree gives the same Parquet rows. Hidden entries (names
//! starting with `.`) and `DICOMDIR` index files are skipped; every other file is either a
//! row or a reject with its reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::batch::headers_batch;
use super::fields::{self, ExtraColumn, HeaderRecord, Value};
use super::read::{self, FileReject};
use crate::config::ExtraTag;
use crate::error::{Error, Result};
use crate::privacy::Pseudonymizer;
use crate::table::parquet::TableWriter;
use crate::table::rejects::{Reject, Rejects};
use crate::table::schema;

/// Files handed to the pool at a time; bounds memory to one chunk of rows.
const CHUNK: usize = 4096;

pub struct ScanOptions {
    pub jobs: usize,
    pub extra_tags: Vec<ExtraTag>,
    pub pseudonymizer: Pseudonymizer,
    pub progress: bool,
}

/// What a scan did, for the summary table and the caller's exit code.
#[derive(Debug, Default)]
pub struct ScanSummary {
    pub files_seen: u64,
    pub rows_written: u64,
    pub rejects: Rejects,
    pub modalities: BTreeMap<String, u64>,
    pub manufacturers: BTreeMap<String, u64>,
    pub elapsed: Duration,
}

impl ScanSummary {
    pub fn files_per_second(&self) -> f64 {
        self.files_seen as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Scans `inputs` (files or folders) into the Parquet file at `output`.
pub fn scan(inputs: &[PathBuf], output: &Path, options: &ScanOptions) -> Result<ScanSummary> {
    for input in inputs {
        if !input.exists() {
            return Err(Error::ReadInput {
                path: input.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            });
        }
    }
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs)
        .build()
        .map_err(|e| Error::Usage(format!("--jobs: {e}")))?;
    let extras = ExtraColumn::resolve(&options.extra_tags);
    let schema = schema::headers_schema(&options.extra_tags);
    let mut writer = TableWriter::create(output, schema.clone())?;
    let progress = progress_bar(options.progress);
    let mut summary = ScanSummary::default();

    // The writer runs on its own thread, so building batches and zstd compression overlap
    // with the pool reading the next chunk.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<HeaderRecord>>(2);
    let rows_written = std::thread::scope(|scope| -> Result<u64> {
        let write_thread = scope.spawn(move || -> Result<u64> {
            for rows in receiver {
                writer.write(&headers_batch(&schema, &rows))?;
            }
            writer.finish()
        });
        let mut chunk: Vec<PathBuf> = Vec::with_capacity(CHUNK);
        let flush = |chunk: &mut Vec<PathBuf>, summary: &mut ScanSummary| -> bool {
            let results: Vec<Result<HeaderRecord, FileReject>> = pool.install(|| {
                chunk
                    .par_iter()
                    .map(|path| read_one(path, &extras, &options.pseudonymizer))
                    .collect()
            });
            let mut rows = Vec::with_capacity(results.len());
            for (path, result) in chunk.iter().zip(results) {
                match result {
                    Ok(row) => {
                        count(&mut summary.modalities, &row.fields, "modality");
                        count(&mut summary.manufacturers, &row.fields, "manufacturer");
                        rows.push(row);
                    }
                    Err(reject) => summary.rejects.push(Reject {
                        source: path.display().to_string(),
                        line: None,
                        kind: reject.kind,
                        reason: reject.reason,
                    }),
                }
            }
            summary.files_seen += chunk.len() as u64;
            progress.inc(chunk.len() as u64);
            chunk.clear();
            // A closed channel means the writer failed; its error is returned below.
            rows.is_empty() || sender.send(rows).is_ok()
        };
        'walk: for input in inputs {
            for entry in walk(input) {
                match entry {
                    Ok(path) => chunk.push(path),
                    Err((path, message)) => summary.rejects.push(Reject {
                        source: path.display().to_string(),
                        line: None,
                        kind: "io",
                        reason: message,
                    }),
                }
                if chunk.len() == CHUNK && !flush(&mut chunk, &mut summary) {
                    break 'walk;
                }
            }
        }
        flush(&mut chunk, &mut summary);
        drop(sender);
        write_thread
            .join()
            .expect("the writer thread does not panic")
    })?;
    progress.finish_and_clear();
    summary.rows_written = rows_written;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn read_one(
    path: &Path,
    extras: &[ExtraColumn],
    pseudonymizer: &Pseudonymizer,
) -> Result<HeaderRecord, FileReject> {
    let parsed = read::read_header(path)?;
    let mut row = fields::extract(&parsed, path.display().to_string(), extras)?;
    if pseudonymizer.is_on() {
        row.sop_instance_uid = pseudonymizer.apply(&row.sop_instance_uid);
        row.series_instance_uid = pseudonymizer.apply(&row.series_instance_uid);
        row.study_instance_uid = row.study_instance_uid.map(|u| pseudonymizer.apply(&u));
    }
    Ok(row)
}

fn count(counts: &mut BTreeMap<String, u64>, fields: &[Value], column: &str) {
    let index = schema::HEADER_FIELDS
        .iter()
        .position(|(name, _)| *name == column)
        .expect("known header column");
    let key = match &fields[index] {
        Value::Text(s) => s.clone(),
        _ => "(none)".to_string(),
    };
    *counts.entry(key).or_insert(0) += 1;
}

/// Files under `input` in sorted order; unreadable entries come back as errors.
fn walk(input: &Path) -> impl Iterator<Item = Result<PathBuf, (PathBuf, String)>> {
    walkdir::WalkDir::new(input)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_skipped(e.file_name()))
        .filter_map(|entry| match entry {
            Ok(e) if e.file_type().is_file() => Some(Ok(e.into_path())),
            Ok(_) => None,
            Err(e) => {
                let path = e.path().map(Path::to_path_buf).unwrap_or_default();
                Some(Err((path, format!("walk: {e}"))))
            }
        })
}

fn is_skipped(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || name == "DICOMDIR"
}

fn progress_bar(enabled: bool) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} files read ({per_sec}) {elapsed}")
            .expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

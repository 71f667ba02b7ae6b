//! The parallel scan: walk files and folders, read each header on a bounded rayon pool,
//! and stream the rows to `headers.parquet` chunk by chunk so memory stays flat however
//! many files there are.
//!
//! Order is deterministic: folders are walked in sorted order and each chunk keeps its
//! input order, so the same tree gives the same Parquet rows. Two rules skip inputs, and
//! the summary counts each: hidden entries (names starting with `.`, inside a folder
//! given) and `DICOMDIR` index files (by name, or by their Media Storage SOP Class). Every
//! other file is a row or a reject with its reason; a value nulled in a row is a note.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::batch::headers_batch;
use super::fields::{self, ExtraColumn, HeaderRecord, Note, Value};
use super::read::{self, FileReject, ReadHeader};
use super::shard::{self, Shard};
use crate::config::ExtraTag;
use crate::error::{Error, Result};
use crate::privacy::Pseudonymizer;
use crate::table::columns::HeaderColumn;
use crate::table::parquet::TableWriter;
use crate::table::rejects::{Reject, Rejects};
use crate::table::schema;

/// Files handed to the pool at a time; bounds memory to one chunk of rows.
const CHUNK: usize = 4096;

/// The Media Storage SOP Class of a DICOMDIR (PS3.4 Media Storage Directory Storage).
const MEDIA_STORAGE_DIRECTORY: &str = "1.2.840.10008.1.3.10";

/// The skip rules, as counted in [`ScanSummary::skipped`].
pub const SKIP_HIDDEN: &str = "hidden";
pub const SKIP_DICOMDIR: &str = "DICOMDIR";

pub struct ScanOptions {
    pub jobs: usize,
    pub extra_tags: Vec<ExtraTag>,
    pub pseudonymizer: Pseudonymizer,
    pub progress: bool,
    /// Read only the files of this shard (`scan --shard I/N`); `None` reads every file.
    pub shard: Option<Shard>,
}

/// Memory bounds per file (kept apart from [`ScanOptions`] so that callers that build the
/// options by hand keep compiling; [`scan`] uses the defaults).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most header bytes (before Pixel Data) held for one file.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_bytes: read::DEFAULT_MAX_HEADER_BYTES,
        }
    }
}

/// What a scan did, for the summary table and the caller's exit code.
#[derive(Debug, Default)]
pub struct ScanSummary {
    pub files_seen: u64,
    pub rows_written: u64,
    pub rejects: Rejects,
    /// Inputs skipped by a documented rule, per rule (hidden entries count once each,
    /// a hidden folder with all it holds).
    pub skipped: BTreeMap<&'static str, u64>,
    /// Values stored as null in rows that were written, one per value, with the reason.
    pub notes: Rejects,
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
    scan_with(inputs, output, options, Limits::default())
}

/// [`scan`] with explicit memory bounds.
pub fn scan_with(
    inputs: &[PathBuf],
    output: &Path,
    options: &ScanOptions,
    limits: Limits,
) -> Result<ScanSummary> {
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
            let results: Vec<Outcome> = pool.install(|| {
                chunk
                    .par_iter()
                    .map(|path| read_one(path, &extras, options, limits))
                    .collect()
            });
            let mut rows = Vec::with_capacity(results.len());
            for (path, result) in chunk.iter().zip(results) {
                match result {
                    Outcome::Row(row, notes) => {
                        count(&mut summary.modalities, &row.fields, HeaderColumn::Modality);
                        count(
                            &mut summary.manufacturers,
                            &row.fields,
                            HeaderColumn::Manufacturer,
                        );
                        for note in notes {
                            summary.notes.push(Reject {
                                source: path.display().to_string(),
                                line: None,
                                kind: note.kind,
                                reason: note.reason,
                            });
                        }
                        rows.push(row);
                    }
                    Outcome::Skip(rule) => *summary.skipped.entry(rule).or_insert(0) += 1,
                    Outcome::Reject(reject) => summary.rejects.push(Reject {
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
            let mut entries = walkdir::WalkDir::new(input).sort_by_file_name().into_iter();
            while let Some(entry) = entries.next() {
                // Another shard's entry: its folder is still walked, its files are not read.
                let theirs = |path: &Path, depth: usize| {
                    options.shard.is_some_and(|s| {
                        let relative = match depth {
                            0 => path,
                            _ => path.strip_prefix(input).unwrap_or(path),
                        };
                        !s.holds(shard::key(relative, depth))
                    })
                };
                match entry {
                    Ok(e) if theirs(e.path(), e.depth()) => {
                        if e.depth() > 0
                            && e.file_type().is_dir()
                            && skip_rule(e.file_name()).is_some()
                        {
                            entries.skip_current_dir();
                        }
                    }
                    Err(e) if theirs(e.path().unwrap_or(input), e.depth()) => {}
                    Ok(e) if e.depth() > 0 && skip_rule(e.file_name()).is_some() => {
                        let rule = skip_rule(e.file_name()).expect("checked");
                        *summary.skipped.entry(rule).or_insert(0) += 1;
                        if e.file_type().is_dir() {
                            entries.skip_current_dir();
                        }
                    }
                    Ok(e) if e.file_type().is_file() => chunk.push(e.into_path()),
                    Ok(_) => {}
                    Err(e) => summary.rejects.push(Reject {
                        source: e.path().unwrap_or(input).display().to_string(),
                        line: None,
                        kind: "io",
                        reason: format!("walk: {e}"),
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

/// What became of one file.
enum Outcome {
    Row(HeaderRecord, Vec<Note>),
    Reject(FileReject),
    Skip(&'static str),
}

fn read_one(path: &Path, extras: &[ExtraColumn], options: &ScanOptions, limits: Limits) -> Outcome {
    let ReadHeader {
        header,
        media_storage_sop_class,
    } = match read::read_header(path, limits.max_header_bytes) {
        Ok(read) => read,
        Err(reject) => return Outcome::Reject(reject),
    };
    if media_storage_sop_class.as_deref() == Some(MEDIA_STORAGE_DIRECTORY) {
        return Outcome::Skip(SKIP_DICOMDIR);
    }
    let (mut row, notes) = match fields::extract(&header, path.display().to_string(), extras) {
        Ok(extracted) => extracted,
        Err(reject) => return Outcome::Reject(reject),
    };
    let pseudonymizer = &options.pseudonymizer;
    if pseudonymizer.is_on() {
        row.sop_instance_uid = pseudonymizer.apply(&row.sop_instance_uid);
        row.series_instance_uid = pseudonymizer.apply(&row.series_instance_uid);
        row.study_instance_uid = row.study_instance_uid.map(|u| pseudonymizer.apply(&u));
    }
    Outcome::Row(row, notes)
}

fn count(counts: &mut BTreeMap<String, u64>, fields: &[Value], column: HeaderColumn) {
    let key = match &fields[column.index()] {
        Value::Text(s) => s.clone(),
        _ => "(none)".to_string(),
    };
    *counts.entry(key).or_insert(0) += 1;
}

/// The rule that skips an entry of this name, if one does.
fn skip_rule(name: &std::ffi::OsStr) -> Option<&'static str> {
    let name = name.to_string_lossy();
    if name.starts_with('.') {
        Some(SKIP_HIDDEN)
    } else if name.eq_ignore_ascii_case("DICOMDIR") {
        Some(SKIP_DICOMDIR)
    } else {
        None
    }
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

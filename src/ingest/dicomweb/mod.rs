//! Headers from a DICOMweb server (a PACS) into the same `headers.parquet` as the file scan.
//!
//! QIDO-RS lists the studies (by date and modality) and their series ([`qido`]); WADO-RS
//! `GET /studies/{s}/series/{se}/metadata` gives each series' instance headers, since QIDO
//! cannot return the instance-level attributes the columns need. Each instance is turned
//! into the file scan's header ([`convert`]) and its row built by the file scan's own
//! [`fields::extract`], so columns, types, value parsing and PHI rules are the same.
//! `source_path` is the series' resource path (`/studies/{s}/series/{se}`: no host, no
//! credentials); `transfer_syntax_uid` is null unless the server sends (0002,0010).
//!
//! Series are fetched by `jobs` workers; the rows are written in study, series and SOP
//! Instance UID order whatever the timing, so the same server gives the same file.

pub mod auth;
pub mod client;
pub mod convert;
#[cfg(feature = "dicomweb")]
mod http;
pub mod qido;
pub mod state;
mod work;

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::ExtraTag;
use crate::error::{Error, Result};
use crate::ingest::dicom::batch::headers_batch;
use crate::ingest::dicom::fields::{ExtraColumn, Value};
use crate::ingest::dicom::scan::ScanSummary;
use crate::privacy::Pseudonymizer;
use crate::table::parquet::TableWriter;
use crate::table::rejects::Reject;
use crate::table::schema;

pub use client::ClientOptions;
pub use qido::Filter;

/// Everything a DICOMweb scan needs.
pub struct Options {
    pub client: ClientOptions,
    pub filter: Filter,
    /// QIDO `limit`.
    pub page_size: usize,
    /// Concurrent requests.
    pub jobs: usize,
    /// Series already fetched are skipped, and the fetched ones added.
    pub state: Option<PathBuf>,
    pub extra_tags: Vec<ExtraTag>,
    pub pseudonymizer: Pseudonymizer,
    pub progress: bool,
}

/// What a DICOMweb scan did: the file scan's summary (instances as "files") and more.
#[derive(Debug, Default)]
pub struct Summary {
    pub scan: ScanSummary,
    pub studies: u64,
    /// Series listed.
    pub series: u64,
    /// Series skipped because `--state` had them.
    pub series_in_state: u64,
    /// Series whose metadata lacked every instance-level attribute.
    pub thin_series: u64,
    /// Things the user should know, one line each (truncation, thin answers, nulls).
    pub warnings: Vec<String>,
    /// Requests that failed and were tried again (the rows are each read once).
    pub retried: u64,
}

/// Scans the server into the Parquet file at `output` (and updates the state file).
pub fn scan_to_parquet(options: &Options, output: &Path) -> Result<Summary> {
    if options.page_size == 0 || options.jobs == 0 {
        return Err(Error::Usage(
            "--page-size and --jobs must be at least 1".into(),
        ));
    }
    let started = Instant::now();
    let client = client::Client::new(&options.client)?;
    let mut state = match &options.state {
        Some(path) => state::State::load(path)?,
        None => state::State::default(),
    };
    let extras = ExtraColumn::resolve(&options.extra_tags);
    let mut summary = Summary::default();
    let studies = qido::studies(&client, &options.filter, options.page_size)
        .map_err(|f| work::fatal(f, "/studies"))?;
    summary.studies = studies.uids.len() as u64;
    summary.warnings.extend(studies.truncated.iter().cloned());
    let listed = work::list_series(&client, options, &studies.uids, &mut summary)?;
    summary.series = listed.len() as u64;
    let todo: Vec<(String, String)> = listed
        .into_iter()
        .filter(|(_, series)| {
            let known = state.series.contains(series);
            summary.series_in_state += u64::from(known);
            !known
        })
        .collect();
    if summary.series_in_state > 0 {
        summary
            .scan
            .skipped
            .insert("already fetched (--state)", summary.series_in_state);
    }
    let outcomes = work::fetch_all(&client, options, &extras, &todo)?;

    let schema = schema::headers_schema(&options.extra_tags);
    let mut writer = TableWriter::create(output, schema.clone())?;
    let modality = field_index("modality");
    let manufacturer = field_index("manufacturer");
    let transfer = field_index("transfer_syntax_uid");
    let mut any_transfer_syntax = false;
    let mut fetched = Vec::new();
    for ((_, series_uid), outcome) in todo.iter().zip(outcomes) {
        summary.scan.files_seen += outcome.instances;
        summary.thin_series += u64::from(outcome.thin);
        for reject in outcome.rejects {
            summary.scan.rejects.push(reject);
        }
        if outcome.complete {
            fetched.push(series_uid.clone());
        }
        let mut rows = Vec::with_capacity(outcome.rows.len());
        for (mut row, notes, transfer_syntax) in outcome.rows {
            match transfer_syntax {
                Some(uid) => {
                    any_transfer_syntax = true;
                    row.fields[transfer] = Value::Text(uid);
                }
                None => row.fields[transfer] = Value::Null,
            }
            count(&mut summary.scan.modalities, &row.fields[modality]);
            count(&mut summary.scan.manufacturers, &row.fields[manufacturer]);
            for note in notes {
                summary.scan.notes.push(Reject {
                    source: row.source_path.clone(),
                    line: None,
                    kind: note.kind,
                    reason: note.reason,
                });
            }
            rows.push(row);
        }
        if !rows.is_empty() {
            writer.write(&headers_batch(&schema, &rows))?;
        }
    }
    summary.scan.rows_written = writer.finish()?;
    if summary.scan.rows_written > 0 && !any_transfer_syntax {
        summary.warnings.push(
            "the server's metadata carries no Transfer Syntax UID (0002,0010), so \
             transfer_syntax_uid is null in every row; against a baseline scanned from \
             files, leave it out of drift.features (or scan the baseline over DICOMweb too)"
                .into(),
        );
    }
    if summary.thin_series > 0 {
        summary.warnings.push(format!(
            "{} series came back without instance-level attributes (SliceThickness, KVP, \
             ConvolutionKernel, PixelSpacing, Rows...): the server answers metadata from its \
             index only. On Orthanc set \"DicomWeb\": {{\"SeriesMetadata\": \"Full\", \
             \"StudiesMetadata\": \"Full\"}} (the \"MainDicomTags\" and \"Extrapolate\" modes \
             drop these); those columns are null for these series",
            summary.thin_series
        ));
    }
    if let Some(path) = &options.state {
        state.series.extend(fetched);
        state.save(path)?;
    }
    summary.scan.elapsed = started.elapsed();
    summary.retried = client.retried();
    Ok(summary)
}

fn field_index(name: &str) -> usize {
    crate::table::columns::HeaderColumn::ALL
        .iter()
        .position(|c| c.name() == name)
        .expect("known header column")
}

fn count(counts: &mut std::collections::BTreeMap<String, u64>, value: &Value) {
    let key = match value {
        Value::Text(s) => s.clone(),
        _ => "(none)".to_string(),
    };
    *counts.entry(key).or_insert(0) += 1;
}

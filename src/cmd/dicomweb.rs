//! `postmarket scan --dicomweb URL`: the options of a DICOMweb scan (flattened into
//! `scan`, and reusable by `audit`), turned into the library's [`Options`].
//!
//! Secrets are never arguments: the password comes from POSTMARKET_DICOMWEB_PASSWORD or
//! `--password-file`, the token from POSTMARKET_DICOMWEB_TOKEN or `--token-file`; the
//! variables are read by the library, so clap never shows their values.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::Context;
use crate::error::{Error, Result};
use crate::ingest::dicomweb::auth::AuthOptions;
use crate::ingest::dicomweb::{qido, ClientOptions, Filter, Options, Summary};
use crate::privacy::Pseudonymizer;

#[derive(Debug, Args, Default)]
pub struct DicomwebArgs {
    /// Read the headers from this DICOMweb service root (QIDO-RS + WADO-RS metadata)
    /// instead of files, e.g. https://pacs.example.org/dicom-web
    #[arg(long, value_name = "URL", help_heading = "DICOMweb")]
    pub dicomweb: Option<String>,
    /// Only studies with this modality, and only their series of it (CT, MR...)
    #[arg(long, value_name = "MODALITY", help_heading = "DICOMweb")]
    pub modality: Option<String>,
    /// QIDO-RS results per request (limit/offset paging)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100,
        help_heading = "DICOMweb"
    )]
    pub page_size: usize,
    /// Record the series fetched in this file and skip those already in it
    #[arg(long, value_name = "FILE", help_heading = "DICOMweb")]
    pub state: Option<PathBuf>,
    /// HTTP basic user; the password comes from POSTMARKET_DICOMWEB_PASSWORD or
    /// --password-file (a bearer token from POSTMARKET_DICOMWEB_TOKEN or --token-file)
    #[arg(long, value_name = "USER", help_heading = "DICOMweb")]
    pub dicomweb_user: Option<String>,
    /// File holding the basic-auth password
    #[arg(long, value_name = "FILE", help_heading = "DICOMweb")]
    pub password_file: Option<PathBuf>,
    /// File holding a bearer token, read again after a 401
    #[arg(long, value_name = "FILE", help_heading = "DICOMweb")]
    pub token_file: Option<PathBuf>,
    /// PEM file of the CA(s) to trust for https instead of the public roots
    #[arg(long, value_name = "FILE", help_heading = "DICOMweb")]
    pub ca_cert: Option<PathBuf>,
    /// Seconds to wait to connect and for each answer
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 60,
        help_heading = "DICOMweb"
    )]
    pub timeout: u64,
    /// Retries on connection errors, 408, 429 and 5xx (exponential backoff, Retry-After)
    #[arg(long, value_name = "N", default_value_t = 4, help_heading = "DICOMweb")]
    pub retries: u32,
}

/// The StudyDate filter of `scan --dicomweb` (`audit` takes it from its window instead).
#[derive(Debug, Args, Default)]
pub struct DicomwebDates {
    /// Only studies of these dates: YYYYMMDD or YYYYMMDD-YYYYMMDD
    #[arg(
        long,
        value_name = "RANGE",
        help_heading = "DICOMweb",
        conflicts_with = "since"
    )]
    pub study_date: Option<String>,
    /// Only studies of the last N hours or days (24h, 7d), by StudyDate
    #[arg(long, value_name = "AGE", help_heading = "DICOMweb")]
    pub since: Option<String>,
}

impl DicomwebDates {
    /// The inclusive StudyDate range asked for, if any.
    pub fn range(&self) -> Result<Option<(chrono::NaiveDate, chrono::NaiveDate)>> {
        Ok(match (&self.study_date, &self.since) {
            (Some(range), _) => Some(qido::parse_date_range(range).ok_or_else(|| {
                Error::Usage(format!(
                    "--study-date {range}: expected YYYYMMDD or YYYYMMDD-YYYYMMDD (from <= to)"
                ))
            })?),
            (None, Some(age)) => Some(qido::since_range(age, now()).ok_or_else(|| {
                Error::Usage(format!(
                    "--since {age}: expected hours or days, e.g. 24h or 7d"
                ))
            })?),
            (None, None) => None,
        })
    }
}

/// Concurrent requests when `--jobs` is not given: the server, not the CPU, is the limit.
pub const DEFAULT_JOBS: usize = 4;

/// The library options for `args` (whose `dicomweb` is set).
pub fn options(
    args: &DicomwebArgs,
    dates: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    jobs: Option<usize>,
    ctx: &Context,
) -> Result<Options> {
    let url = args
        .dicomweb
        .as_deref()
        .ok_or_else(|| Error::Usage("--dicomweb URL is required here".into()))?;
    if args.page_size == 0 {
        return Err(Error::Usage("--page-size must be at least 1".into()));
    }
    let jobs = match jobs {
        Some(0) => return Err(Error::Usage("--jobs must be at least 1".into())),
        Some(n) => n,
        None => DEFAULT_JOBS,
    };
    let modality = match &args.modality {
        Some(m)
            if m.is_empty() || m.len() > 16 || !m.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            return Err(Error::Usage(format!(
                "--modality {m}: expected a DICOM modality code such as CT or MR"
            )))
        }
        Some(m) => Some(m.to_ascii_uppercase()),
        None => None,
    };
    let mut client = ClientOptions::new(url);
    client.auth = AuthOptions {
        user: args.dicomweb_user.clone(),
        password_file: args.password_file.clone(),
        token_file: args.token_file.clone(),
    };
    client.ca_cert = args.ca_cert.clone();
    client.timeout = Duration::from_secs(args.timeout.max(1));
    client.retries = args.retries;
    client.connections = jobs;
    Ok(Options {
        client,
        filter: Filter { dates, modality },
        page_size: args.page_size,
        jobs,
        state: args.state.clone(),
        extra_tags: ctx.config.extra_tags.clone(),
        pseudonymizer: Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref())?,
        progress: ctx.progress(),
    })
}

/// Now, or SOURCE_DATE_EPOCH when set (as every dated output).
fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(&postmarket::clock::run_timestamp())
        .expect("the clock writes RFC 3339")
        .with_timezone(&chrono::Utc)
}

/// The one-line account of a DICOMweb scan, printed before the summary table.
pub fn report(summary: &Summary) -> String {
    format!(
        "DICOMweb: {} studies, {} series listed, {} skipped as already fetched, {} instances, {} requests retried",
        summary.studies,
        summary.series,
        summary.series_in_state,
        summary.scan.files_seen,
        summary.retried
    )
}

/// `audit --dicomweb`: the night's headers from the server into `path`, the StudyDate
/// range taken from the audit's window (its start and end days, inclusive); rejects and
/// nulled-value notes beside it. Warnings are printed whatever `--quiet` says.
pub fn scan_for_audit(
    args: &DicomwebArgs,
    window: Option<&crate::table::window::Window>,
    path: &std::path::Path,
    rejects: &std::path::Path,
    ctx: &Context,
) -> Result<()> {
    let dates = window.map(|w| (w.start.date_naive(), w.end.date_naive()));
    let options = options(args, dates, None, ctx)?;
    let summary = crate::ingest::dicomweb::scan_to_parquet(&options, path)?;
    for warning in &summary.warnings {
        note!("warning: {warning}");
    }
    let mut table = crate::table::rejects::Rejects::default();
    for r in summary
        .scan
        .rejects
        .items
        .iter()
        .chain(&summary.scan.notes.items)
    {
        table.push(r.clone());
    }
    table.write(rejects)?;
    if ctx.chatty {
        note!(
            "{}; {} header rows, {} rejected → {}",
            report(&summary),
            summary.scan.rows_written,
            summary.scan.rejects.len(),
            path.display()
        );
    }
    Ok(())
}

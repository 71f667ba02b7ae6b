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

/// Concurrent requests when `--jobs` is not given: the server, not the CPU, is the limit.
pub const DEFAULT_JOBS: usize = 4;

/// The library options for `args` (whose `dicomweb` is set).
pub fn options(args: &DicomwebArgs, jobs: Option<usize>, ctx: &Context) -> Result<Options> {
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
    let dates = match (&args.study_date, &args.since) {
        (Some(range), _) => Some(qido::parse_date_range(range).ok_or_else(|| {
            Error::Usage(format!(
                "--study-date {range}: expected YYYYMMDD or YYYYMMDD-YYYYMMDD (from <= to)"
            ))
        })?),
        (None, Some(age)) => Some(since(age)?),
        (None, None) => None,
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

/// `--since 24h` / `7d` as a StudyDate range ending today (SOURCE_DATE_EPOCH honoured).
fn since(age: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDate)> {
    let bad = || {
        Error::Usage(format!(
            "--since {age}: expected hours or days, e.g. 24h or 7d"
        ))
    };
    let (number, unit) = age.split_at(age.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| bad())?;
    let hours = match unit {
        "h" => n,
        "d" => n.checked_mul(24).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if !(1..=24 * 366 * 10).contains(&hours) {
        return Err(bad());
    }
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::<chrono::Utc>::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now);
    let from = now - chrono::Duration::hours(hours);
    Ok((from.date_naive(), now.date_naive()))
}

/// The one-line account of a DICOMweb scan, printed before the summary table.
pub fn report(summary: &Summary) -> String {
    format!(
        "DICOMweb: {} studies, {} series listed, {} skipped as already fetched, {} instances",
        summary.studies, summary.series, summary.series_in_state, summary.scan.files_seen
    )
}

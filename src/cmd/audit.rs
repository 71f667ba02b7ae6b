//! `postmarket audit --baseline DIR (--headers H… | --dicom PATH… | --dicomweb URL)
//! (--inferences I… | --logs FILE…) -o OUT`: the nightly job in one command — every
//! analysis the inputs allow, on one window, one report, one exit code, and (with
//! `--history`) the nights before it.

use std::path::PathBuf;

use clap::Args;

use super::{exit_code, Context, FailOn};
use crate::analysis::audit::{self, history::Night};
use crate::analysis::snapshot;
use crate::error::{Error, Result};
use crate::ingest::dicom::scan::{scan, ScanOptions};
use crate::ingest::logs::ingest;
use crate::privacy::Pseudonymizer;
use crate::table::parquet::TableWriter;
use crate::table::parts::expand_inputs;
use crate::table::window::{parse_window, since_now};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the night: files, or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["dicom", "dicomweb"])]
    pub headers: Vec<PathBuf>,
    /// DICOM files or folders to scan first (the headers table is kept in OUT/tables/)
    #[arg(long, value_name = "PATH", num_args = 1.., conflicts_with = "dicomweb")]
    pub dicom: Vec<PathBuf>,
    /// inferences.parquet of the night: files, or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "logs")]
    pub inferences: Vec<PathBuf>,
    /// Inference logs (JSONL, CSV, Parquet) to read first (kept in OUT/tables/)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub logs: Vec<PathBuf>,
    /// Count profiles (from `postmarket profile` or `merge`) in place of the night's rows:
    /// drift from the counts (several are added first)
    #[arg(long, value_name = "PROFILE", num_args = 1.., conflicts_with_all = ["headers", "dicom", "inferences", "logs", "dicomweb", "window", "since"])]
    pub profile: Vec<PathBuf>,
    /// Output folder: report.json, report.md, report.html, novel.parquet, tables/
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// History folder: this run is added to it, and the report reads the nights before
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// The window, RFC 3339 and half-open: 2026-11-30T00:00:00Z..2026-12-01T00:00:00Z
    #[arg(long, value_name = "START..END", conflicts_with = "since")]
    pub window: Option<String>,
    /// The window that ends now (SOURCE_DATE_EPOCH when set): 24h, 7d, 90m
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Also write JUnit XML here: one test case per check
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
    /// `--dicomweb URL` in place of `--dicom`: the StudyDate range is the window's days
    #[command(flatten)]
    pub web: super::dicomweb::DicomwebArgs,
}

pub fn run(args: &AuditArgs, ctx: &Context) -> Result<i32> {
    let span = match (&args.window, &args.since) {
        (Some(w), _) => Some(parse_window(w)?),
        (None, Some(s)) => Some(since_now(s)?),
        (None, None) => None,
    };
    preflight(args)?;
    if !args.profile.is_empty() {
        let snapshot = snapshot::load(&args.baseline)?;
        let profile = super::profile::read_merged(&args.profile)?;
        let audit =
            audit::nightly_profile(&snapshot, &profile, args.history.as_deref(), &ctx.config)?;
        return finish(audit, args, ctx);
    }
    if args.headers.is_empty()
        && args.dicom.is_empty()
        && args.web.dicomweb.is_none()
        && args.inferences.is_empty()
        && args.logs.is_empty()
    {
        return Err(Error::Usage(
            "give the night's headers (--headers or --dicom) and/or inferences (--inferences or --logs)"
                .into(),
        ));
    }
    let snapshot = snapshot::load(&args.baseline)?;
    let (headers, inferences) = inputs(args, span.as_ref(), ctx)?;
    let night = Night {
        headers: &headers,
        inferences: &inferences,
        span,
        history: args.history.as_deref(),
    };
    let audit = audit::nightly(&snapshot, &night, &ctx.config)?;
    finish(audit, args, ctx)
}

/// Every output of the run, then — the last step — the run recorded in the history: a run
/// that fails on writing leaves the history as it was.
fn finish(mut audit: audit::Audit, args: &AuditArgs, ctx: &Context) -> Result<i32> {
    write_novel(&audit, &args.output)?;
    super::deliver(
        &audit.report,
        &args.output,
        args.json,
        args.junit.as_deref(),
        ctx,
    )?;
    if let Some(pending) = audit.pending.take() {
        let overview = pending.commit(Some(&args.output), crate::report::html::index::render)?;
        if ctx.chatty {
            note!("history: the nights side by side → {}", overview.display());
        }
    }
    Ok(exit_code(&audit.report, args.fail_on))
}

/// Before any work: the output folder and the history can be written, so that a read-only
/// mount stops the run before it scans or writes anything.
fn preflight(args: &AuditArgs) -> Result<()> {
    if let Some(history) = &args.history {
        postmarket::history::History::check_writable(history)?;
    }
    std::fs::create_dir_all(&args.output).map_err(|e| Error::write(&args.output, e))?;
    drop(postmarket::atomic::AtomicFile::create(
        &args.output.join(".probe"),
    )?);
    Ok(())
}

/// The cluster analysis's novel cases, when it ran, as OUT/novel.parquet.
pub(super) fn write_novel(audit: &audit::Audit, output: &std::path::Path) -> Result<()> {
    if let Some(novel) = &audit.novel {
        let mut writer = TableWriter::create(&output.join("novel.parquet"), novel.schema())?;
        writer.write(novel)?;
        writer.finish()?;
    }
    Ok(())
}

/// The night's header and inference files: given, or made from `--dicom` and `--logs`
/// into OUT/tables/ first.
fn inputs(
    args: &AuditArgs,
    span: Option<&crate::table::window::Window>,
    ctx: &Context,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let tables = args.output.join("tables");
    let pseudonymizer = || Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref());
    let headers = if args.web.dicomweb.is_some() {
        let path = tables.join("headers.parquet");
        let rejects = tables.join("scan-rejects.parquet");
        super::dicomweb::scan_for_audit(&args.web, span, &path, &rejects, ctx)?;
        vec![path]
    } else if args.dicom.is_empty() {
        expand(&args.headers)?
    } else {
        let path = tables.join("headers.parquet");
        let options = ScanOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            extra_tags: ctx.config.extra_tags.clone(),
            pseudonymizer: pseudonymizer()?,
            progress: ctx.progress(),
            shard: None,
        };
        let summary = scan(&args.dicom, &path, &options)?;
        summary
            .rejects
            .write(&tables.join("scan-rejects.parquet"))?;
        if ctx.chatty {
            note!(
                "scan: {} files, {} header rows, {} rejected → {}",
                summary.files_seen,
                summary.rows_written,
                summary.rejects.len(),
                path.display()
            );
        }
        vec![path]
    };
    let inferences = if args.logs.is_empty() {
        expand(&args.inferences)?
    } else {
        let path = tables.join("inferences.parquet");
        let summary = ingest(&args.logs, &path, &ctx.config.logs, &pseudonymizer()?)?;
        summary
            .rejects
            .write(&tables.join("logs-rejects.parquet"))?;
        if ctx.chatty {
            note!(
                "logs: {} rows, {} rejected → {}",
                summary.rows_written,
                summary.rejects.len(),
                path.display()
            );
        }
        vec![path]
    };
    Ok((headers, inferences))
}

fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    expand_inputs(paths)
}

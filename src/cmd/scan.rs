//! `postmarket scan PATH... -o headers.parquet`: DICOM headers into Parquet; with
//! `--dicomweb URL` from a PACS instead (options in [`super::dicomweb`]).

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::error::{exit, Error, Result};
use crate::ingest::dicom::read::DEFAULT_MAX_HEADER_BYTES;
use crate::ingest::dicom::scan::{scan_with, Limits, ScanOptions, ScanSummary};
use crate::ingest::dicom::shard::Shard;
use crate::privacy::Pseudonymizer;
use crate::report::terminal::{key_values, top_counts};
use crate::table::rejects::Rejects;

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// DICOM files or folders (walked recursively; hidden entries and DICOMDIR skipped)
    #[arg(
        required_unless_present_any = ["dicomweb", "files_from"],
        conflicts_with = "dicomweb"
    )]
    pub paths: Vec<PathBuf>,
    /// Also read the files and folders listed in FILE, one path a line (`-` reads stdin;
    /// empty lines are ignored), as a Spark partition or a job array hands them over
    #[arg(long, value_name = "FILE", conflicts_with = "dicomweb")]
    pub files_from: Option<PathBuf>,
    /// Read only the I-th of N shards (1-based): files go to shards by a stable hash of
    /// their folder, so a series stays whole and the N shards' rows are the full scan's
    #[arg(long, value_name = "I/N", conflicts_with = "dicomweb")]
    pub shard: Option<String>,
    /// Output Parquet file, one row per DICOM instance
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also write the files that were not read, with the reason, to this Parquet file
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Parallel readers [default: number of CPUs]
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Exit 3 if any file was rejected
    #[arg(long)]
    pub strict: bool,
    /// Most header bytes (before Pixel Data) held in memory per file, in MiB; a file whose
    /// header is larger is rejected as too-large
    #[arg(long, value_name = "MIB", default_value_t = DEFAULT_MAX_HEADER_BYTES >> 20)]
    pub max_header_mib: usize,
    #[command(flatten)]
    pub web: super::dicomweb::DicomwebArgs,
    #[command(flatten)]
    pub web_dates: super::dicomweb::DicomwebDates,
}

pub fn run(args: &ScanArgs, ctx: &Context) -> Result<i32> {
    if args.web.dicomweb.is_some() {
        return run_dicomweb(args, ctx);
    }
    let jobs = match args.jobs {
        Some(0) => return Err(Error::Usage("--jobs must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let options = ScanOptions {
        jobs,
        extra_tags: ctx.config.extra_tags.clone(),
        pseudonymizer: Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref())?,
        progress: ctx.progress(),
        shard: args.shard.as_deref().map(Shard::parse).transpose()?,
    };
    if args.max_header_mib == 0 {
        return Err(Error::Usage("--max-header-mib must be at least 1".into()));
    }
    let limits = Limits {
        max_header_bytes: args.max_header_mib.saturating_mul(1 << 20),
    };
    let mut paths = args.paths.clone();
    if let Some(list) = &args.files_from {
        paths.extend(files_from(list)?);
    }
    let summary = scan_with(&paths, &args.output, &options, limits)?;
    finish(args, ctx, &summary)?;
    if summary.files_seen == 0 && options.shard.is_some() {
        // An empty shard is a normal outcome when there are more shards than folders.
        return Ok(exit::OK);
    }
    if summary.files_seen == 0 {
        return Err(Error::NoInput(format!(
            "no files found under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if summary.rows_written == 0 {
        return Err(Error::NoInput(format!(
            "none of the {} files could be read as DICOM (see the rejected reasons above)",
            summary.files_seen
        )));
    }
    strict(args, &summary)
}

/// The paths listed in `list` (`-` for stdin), one a line; empty lines are ignored and a
/// trailing `\r` is dropped, so a list written on Windows reads the same.
fn files_from(list: &std::path::Path) -> Result<Vec<PathBuf>> {
    use std::io::BufRead;
    let read_error = |source| Error::ReadInput {
        path: list.to_path_buf(),
        source,
    };
    let reader: Box<dyn BufRead> = if list.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(list).map_err(read_error)?,
        ))
    };
    let mut paths = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(read_error)?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if !line.is_empty() {
            paths.push(PathBuf::from(line));
        }
    }
    Ok(paths)
}

fn run_dicomweb(args: &ScanArgs, ctx: &Context) -> Result<i32> {
    let dates = args.web_dates.range()?;
    let options = super::dicomweb::options(&args.web, dates, args.jobs, ctx)?;
    let summary = crate::ingest::dicomweb::scan_to_parquet(&options, &args.output)?;
    for warning in &summary.warnings {
        note!("warning: {warning}");
    }
    if ctx.chatty {
        note!("{}", super::dicomweb::report(&summary));
    }
    finish(args, ctx, &summary.scan)?;
    if summary.scan.rows_written == 0 && summary.scan.files_seen > 0 {
        return Err(Error::NoInput(format!(
            "none of the {} instances could be read (see the rejected reasons above)",
            summary.scan.files_seen
        )));
    }
    strict(args, &summary.scan)
}

/// The rejects table and the summary, for both sources.
fn finish(args: &ScanArgs, ctx: &Context, summary: &ScanSummary) -> Result<()> {
    if let Some(path) = &args.rejects {
        // Nulled values go to the same table, after the files, with their own kinds.
        let mut table = Rejects::default();
        for r in summary.rejects.items.iter().chain(&summary.notes.items) {
            table.push(r.clone());
        }
        table.write(path)?;
    }
    if ctx.chatty {
        note!("{}", summary_table(summary, ctx.color));
        note!("wrote {}", args.output.display());
    }
    Ok(())
}

fn strict(args: &ScanArgs, summary: &ScanSummary) -> Result<i32> {
    if args.strict && !summary.rejects.is_empty() {
        let first = &summary.rejects.items[0];
        return Err(Error::Strict {
            count: summary.rejects.len() as u64,
            first: format!("{}: {}", first.source, first.reason),
        });
    }
    Ok(exit::OK)
}

/// "3 (DICOMDIR 2, hidden 1)", or "0".
fn counted(total: u64, by_kind: &std::collections::BTreeMap<&'static str, u64>) -> String {
    if by_kind.is_empty() {
        return "0".to_string();
    }
    let parts: Vec<String> = by_kind.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!("{total} ({})", parts.join(", "))
}

pub fn summary_table(s: &ScanSummary, color: bool) -> comfy_table::Table {
    let rejected_text = counted(s.rejects.len() as u64, &s.rejects.by_kind());
    key_values(
        "scan",
        &[
            ("files seen".into(), s.files_seen.to_string()),
            ("headers read".into(), s.rows_written.to_string()),
            ("rejected".into(), rejected_text),
            (
                "skipped".into(),
                counted(s.skipped.values().sum(), &s.skipped),
            ),
            (
                "values nulled".into(),
                counted(s.notes.len() as u64, &s.notes.by_kind()),
            ),
            ("modalities".into(), top_counts(&s.modalities, 6)),
            ("manufacturers".into(), top_counts(&s.manufacturers, 6)),
            (
                "elapsed".into(),
                format!("{:.2} s", s.elapsed.as_secs_f64()),
            ),
            ("files/s".into(), format!("{:.0}", s.files_per_second())),
        ],
        color,
    )
}

//! `postmarket scan PATH... -o headers.parquet`: DICOM headers into Parquet.

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::error::{exit, Error, Result};
use crate::ingest::dicom::scan::{scan, ScanOptions, ScanSummary};
use crate::privacy::Pseudonymizer;
use crate::report::terminal::{key_values, top_counts};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// DICOM files or folders (walked recursively; hidden entries and DICOMDIR skipped)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
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
}

pub fn run(args: &ScanArgs, ctx: &Context) -> Result<i32> {
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
    };
    let summary = scan(&args.paths, &args.output, &options)?;
    if let Some(path) = &args.rejects {
        summary.rejects.write(path)?;
    }
    if ctx.chatty {
        note!("{}", summary_table(&summary, ctx.color));
        note!("wrote {}", args.output.display());
    }
    if summary.files_seen == 0 {
        return Err(Error::NoInput(format!(
            "no files found under {}",
            args.paths
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
    if args.strict && !summary.rejects.is_empty() {
        let first = &summary.rejects.items[0];
        return Err(Error::Strict {
            count: summary.rejects.len() as u64,
            first: format!("{}: {}", first.source, first.reason),
        });
    }
    Ok(exit::OK)
}

pub fn summary_table(s: &ScanSummary, color: bool) -> comfy_table::Table {
    let rejected = s.rejects.by_kind();
    let rejected_text = if rejected.is_empty() {
        "0".to_string()
    } else {
        let parts: Vec<String> = rejected.iter().map(|(k, v)| format!("{k} {v}")).collect();
        format!("{} ({})", s.rejects.len(), parts.join(", "))
    };
    key_values(
        "scan",
        &[
            ("files seen".into(), s.files_seen.to_string()),
            ("headers read".into(), s.rows_written.to_string()),
            ("rejected".into(), rejected_text),
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

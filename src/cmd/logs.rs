//! `postmarket logs FILE... -o inferences.parquet`: inference logs into Parquet.

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::error::{exit, Error, Result};
use crate::ingest::logs::text::DEFAULT_MAX_LINE_BYTES;
use crate::ingest::logs::{ingest_with, LogSummary};
use crate::privacy::Pseudonymizer;
use crate::report::terminal::{key_values, top_counts};

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Inference logs: JSONL (.jsonl/.ndjson/.json), CSV (.csv) or Parquet (.parquet)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output Parquet file, one row per inference
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also write the rows that were not read (file, line, reason) to this Parquet file
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,
    /// Exit 3 if any row or file was rejected
    #[arg(long)]
    pub strict: bool,
    /// Longest JSONL line or CSV record read, in KiB; a longer one is a too-long reject,
    /// skipped without being held in memory
    #[arg(long, value_name = "KIB", default_value_t = DEFAULT_MAX_LINE_BYTES >> 10)]
    pub max_line_kib: usize,
}

pub fn run(args: &LogsArgs, ctx: &Context) -> Result<i32> {
    for file in &args.files {
        if !file.is_file() {
            return Err(Error::ReadInput {
                path: file.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
    }
    let pseudonymizer = Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref())?;
    if args.max_line_kib == 0 {
        return Err(Error::Usage("--max-line-kib must be at least 1".into()));
    }
    let summary = ingest_with(
        &args.files,
        &args.output,
        &ctx.config.logs,
        &pseudonymizer,
        args.max_line_kib.saturating_mul(1 << 10),
    )?;
    if let Some(path) = &args.rejects {
        summary.rejects.write(path)?;
    }
    if ctx.chatty {
        note!("{}", summary_table(&summary, ctx.color));
        for r in summary.rejects.items.iter().take(5) {
            let line = r.line.map(|l| format!(":{l}")).unwrap_or_default();
            note!("rejected {}{line}: {}", r.source, r.reason);
        }
        if summary.rejects.len() > 5 {
            note!(
                "… {} more rejected (see --rejects)",
                summary.rejects.len() - 5
            );
        }
        note!("wrote {}", args.output.display());
    }
    if summary.rows_written == 0 {
        return Err(Error::NoInput(
            "no valid inference rows in the given logs".into(),
        ));
    }
    if args.strict && !summary.rejects.is_empty() {
        let first = &summary.rejects.items[0];
        return Err(Error::Strict {
            count: summary.rejects.len() as u64,
            first: format!(
                "{}{}: {}",
                first.source,
                first.line.map(|l| format!(":{l}")).unwrap_or_default(),
                first.reason
            ),
        });
    }
    Ok(exit::OK)
}

pub fn summary_table(s: &LogSummary, color: bool) -> comfy_table::Table {
    let models: std::collections::BTreeMap<String, u64> = s
        .models
        .iter()
        .map(|((m, v), n)| (format!("{m} {v}"), *n))
        .collect();
    let window = s.time_range.map_or("—".to_string(), |(lo, hi)| {
        let fmt = |us: i64| {
            chrono::DateTime::from_timestamp_micros(us)
                .map_or("?".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        };
        format!("{} → {} UTC", fmt(lo), fmt(hi))
    });
    let rejected: Vec<String> = s
        .rejects
        .by_kind()
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    key_values(
        "logs",
        &[
            ("files".into(), s.files.to_string()),
            ("inferences".into(), s.rows_written.to_string()),
            ("labelled".into(), s.labelled.to_string()),
            (
                "rejected".into(),
                if rejected.is_empty() {
                    "0".into()
                } else {
                    format!("{} ({})", s.rejects.len(), rejected.join(", "))
                },
            ),
            ("models".into(), top_counts(&models, 4)),
            ("window".into(), window),
            (
                "elapsed".into(),
                format!("{:.2} s", s.elapsed.as_secs_f64()),
            ),
        ],
        color,
    )
}

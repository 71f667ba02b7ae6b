//! `postmarket cluster --baseline DIR --headers H [--inferences I] -o OUT`: does the serving
//! window still fall where the validation data did, in acquisition-parameter space?
//!
//! Serving cases are assigned to the k-means clusters fitted with the baseline; occupancy,
//! per-cluster shares and the novel-case rate are tested, and the novel cases are listed in
//! `OUT/novel.parquet` (pseudonymised keys when the config says so, their parameters, the
//! nearest cluster and how far beyond its p99 they lie).

use std::path::PathBuf;

use clap::Args;

use super::{exit_code, Context, FailOn};
use crate::analysis::cluster;
use crate::analysis::snapshot;
use crate::analysis::window::Window;
use crate::error::Result;
use crate::table::parquet::TableWriter;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the serving window: files, or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub headers: Vec<PathBuf>,
    /// inferences.parquet of the serving window (adds per-cluster score shift): files, or
    /// folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub inferences: Vec<PathBuf>,
    /// Output folder: report.json, report.md, report.html, novel.parquet
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Also write JUnit XML here: one test case per change, then one per check in no change
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ClusterArgs, ctx: &Context) -> Result<i32> {
    let snapshot = snapshot::load(&args.baseline)?;
    let window = Window::load(&snapshot, &args.headers, &args.inferences)?;
    let run = cluster::run(&snapshot, window, &ctx.config)?;
    let novel = args.output.join("novel.parquet");
    let mut writer = TableWriter::create(&novel, run.novel.schema())?;
    writer.write(&run.novel)?;
    writer.finish()?;
    let report = run.report;
    super::deliver(&report, &args.output, args.json, args.junit.as_deref(), ctx)?;
    if ctx.chatty {
        note!(
            "novel cases in {}",
            args.output.join("novel.parquet").display()
        );
    }
    Ok(exit_code(&report, args.fail_on))
}

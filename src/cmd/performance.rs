//! `postmarket performance --baseline DIR --inferences I [--headers H] -o OUT`: does the
//! model still perform, for whom, did the meaning of a label change under it, and is the
//! model in production one that was approved?

use std::path::PathBuf;

use clap::Args;

use super::{exit_code, Context, FailOn};
use crate::analysis::performance;
use crate::analysis::report::Report;
use crate::analysis::snapshot;
use crate::analysis::window::Window;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct PerformanceArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// inferences.parquet of the serving window, with the labels that have arrived: files,
    /// or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub inferences: Vec<PathBuf>,
    /// headers.parquet of the serving window: enables subgroups and the concept-drift test
    /// (files, or folders of Parquet parts)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub headers: Vec<PathBuf>,
    /// Output folder: report.json, report.md, report.html
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

pub fn run(args: &PerformanceArgs, ctx: &Context) -> Result<i32> {
    let report = build(args, ctx)?;
    super::deliver(&report, &args.output, args.json, args.junit.as_deref(), ctx)?;
    Ok(exit_code(&report, args.fail_on))
}

/// Loads the snapshot and the window and runs the analysis.
pub fn build(args: &PerformanceArgs, ctx: &Context) -> Result<Report> {
    let snapshot = snapshot::load(&args.baseline)?;
    let window = Window::load(&snapshot, &args.headers, &args.inferences)?;
    performance::run(&snapshot, window, &ctx.config)
}

//! `postmarket drift --baseline DIR --headers H [--inferences I] -o OUT`: what changed
//! between the validated baseline and the serving window, overall and per subgroup.

use std::path::PathBuf;

use clap::Args;

use super::{exit_code, Context, FailOn};
use crate::analysis::drift;
use crate::analysis::snapshot;
use crate::analysis::window::Window;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the serving window
    #[arg(long, value_name = "FILE")]
    pub headers: PathBuf,
    /// inferences.parquet of the serving window (adds model-output checks)
    #[arg(long, value_name = "FILE")]
    pub inferences: Option<PathBuf>,
    /// Output folder for report.json and report.md
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
    /// Also write JUnit XML here: one test case per check
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

pub fn run(args: &DriftArgs, ctx: &Context) -> Result<i32> {
    let snapshot = snapshot::load(&args.baseline)?;
    let window = Window::load(&snapshot, Some(&args.headers), args.inferences.as_deref())?;
    let report = drift::run(&snapshot, window, &ctx.config)?;
    super::deliver(&report, &args.output, args.json, args.junit.as_deref(), ctx)?;
    Ok(exit_code(&report, args.fail_on))
}

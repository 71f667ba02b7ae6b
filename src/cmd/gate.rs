//! `postmarket gate --reference I --candidate I [--headers H] -o OUT [--junit FILE]`: the
//! release gate — a candidate model against production's model on the same cases, overall
//! and per subgroup, with a CI-friendly exit code and JUnit XML.
//!
//! Exit codes: 0 the candidate passes; 1 it fails a check, including too few paired cases
//! (fail closed); 3 the inputs cannot be compared (unreadable, no shared cases, no labels,
//! conflicting labels).

use std::path::PathBuf;

use clap::Args;

use super::{Context, FailOn};
use crate::analysis::gate;
use crate::error::Result;

#[derive(Debug, Args)]
pub struct GateArgs {
    /// Production's inferences.parquet (the reference), with labels: files, or folders of
    /// Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub reference: Vec<PathBuf>,
    /// The candidate model's inferences.parquet on the same cases (paired by key): files,
    /// or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub candidate: Vec<PathBuf>,
    /// headers.parquet of those cases: adds the configured subgroups (age band, sex, …)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub headers: Vec<PathBuf>,
    /// Output folder: report.json, report.md, report.html
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Exit 1 when a finding reaches this severity (alert: the candidate is worse)
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Also write JUnit XML here: one test case per change, then one per check in no change
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &GateArgs, ctx: &Context) -> Result<i32> {
    let report = gate::run(&args.reference, &args.candidate, &args.headers, &ctx.config)?;
    super::deliver(&report, &args.output, args.json, args.junit.as_deref(), ctx)?;
    Ok(super::exit_code(&report, args.fail_on))
}

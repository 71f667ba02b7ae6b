//! `postmarket synth --scenario NAME -o DIR`: synthetic DICOM and logs with a known drift.

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::error::{exit, Error, Result};
use crate::ingest::synth::{self, scenario, SynthOptions, Truth};

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Drift to inject, or a comma-separated combination: none, scanner-upgrade,
    /// protocol-change, demographic-shift, label-redefinition, silent-model-swap,
    /// corrupt-files
    #[arg(long, default_value = "none")]
    pub scenario: String,
    /// Output folder (baseline/, serving/, truth.yaml)
    #[arg(short, long = "output", alias = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Cases (series) per side
    #[arg(long, default_value_t = 400)]
    pub cases: u64,
    /// DICOM files (slices) per series
    #[arg(long, default_value_t = 3)]
    pub slices: u32,
    /// Rows and columns of each file's pixel matrix (16 keeps files near 2 KB)
    #[arg(long, default_value_t = 16)]
    pub matrix: u16,
    /// Seed of the random generator: the same seed and arguments write the same files
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write headers.parquet and inferences.parquet per side instead of DICOM files and
    /// JSONL (the values a scan would give; for large calibration and speed runs)
    #[arg(long)]
    pub tables: bool,
    /// Also write serving/candidate_inferences.{jsonl,parquet}: a candidate model scoring
    /// the same serving cases, better overall but worse for patients 65+ (for `gate`)
    #[arg(long)]
    pub candidate: bool,
    /// Days the serving cases spread over (28 by default)
    #[arg(long, value_name = "N")]
    pub serving_days: Option<u32>,
    /// First serving day with the scenario (1-based); the days before are unchanged
    #[arg(long = "onset", alias = "onset-day", value_name = "DAY")]
    pub onset_day: Option<u32>,
}

pub fn run(args: &SynthArgs, ctx: &Context) -> Result<i32> {
    let truth = generate(args)?;
    if ctx.chatty {
        note!(
            "wrote {} cases × {} slices per side to {} (scenario: {})",
            truth.cases_per_side,
            truth.slices_per_series,
            args.out.display(),
            args.scenario
        );
    }
    Ok(exit::OK)
}

/// Validates the arguments and writes the data.
pub fn generate(args: &SynthArgs) -> Result<Truth> {
    let scenarios = scenario::parse_list(&args.scenario).map_err(Error::Usage)?;
    if args.cases == 0 || args.slices == 0 || args.matrix == 0 {
        return Err(Error::Usage(
            "--cases, --slices and --matrix must be at least 1".into(),
        ));
    }
    if args.matrix > 512 {
        return Err(Error::Usage("--matrix must be at most 512".into()));
    }
    let days = args.serving_days.unwrap_or(28);
    if days == 0 || args.onset_day.is_some_and(|d| d == 0 || d > days) {
        return Err(Error::Usage(format!(
            "--serving-days must be at least 1 and --onset-day a day between 1 and {days}"
        )));
    }
    synth::generate(&SynthOptions {
        out: args.out.clone(),
        scenarios,
        cases: args.cases,
        slices: args.slices,
        matrix: args.matrix,
        seed: args.seed,
        tables: args.tables,
        candidate: args.candidate,
        serving_days: args.serving_days,
        onset_day: args.onset_day,
    })
}

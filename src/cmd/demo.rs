//! `postmarket demo`: the main job on built-in defaults, in `postmarket-demo/`.
//!
//! For now: synth (a protocol change and a demographic shift, with some corrupt files) →
//! scan → logs, each step's summary printed. Later steps (baseline, audit, reports) join
//! as they are built.

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::error::{exit, Result};
use crate::ingest::dicom::scan::{scan, ScanOptions};
use crate::ingest::logs::ingest;
use crate::privacy::Pseudonymizer;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Working folder for the demo's data and outputs
    #[arg(long, default_value = "postmarket-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Cases (series) per side
    #[arg(long, default_value_t = 600)]
    pub cases: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: &DemoArgs, ctx: &Context) -> Result<i32> {
    let data = args.dir.join("data");
    let out = args.dir.join("out");
    let synth_args = super::synth::SynthArgs {
        scenario: "protocol-change,demographic-shift,corrupt-files".into(),
        out: data.clone(),
        cases: args.cases,
        slices: 3,
        matrix: 16,
        seed: args.seed,
    };
    let truth = super::synth::generate(&synth_args)?;
    eprintln!(
        "1. synth: {} series × {} slices per side, scenario {} → {}",
        truth.cases_per_side,
        truth.slices_per_series,
        synth_args.scenario,
        data.display()
    );
    let pseudonymizer = Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref())?;
    for side in ["baseline", "serving"] {
        let options = ScanOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            extra_tags: ctx.config.extra_tags.clone(),
            pseudonymizer: pseudonymizer.clone(),
            progress: ctx.progress(),
        };
        let headers = out.join(side).join("headers.parquet");
        let summary = scan(&[data.join(side).join("dicom")], &headers, &options)?;
        summary
            .rejects
            .write(&out.join(side).join("scan-rejects.parquet"))?;
        eprintln!("2. scan {side} → {}", headers.display());
        eprintln!("{}", super::scan::summary_table(&summary, ctx.color));

        let inferences = out.join(side).join("inferences.parquet");
        let logs = ingest(
            &[data.join(side).join("inferences.jsonl")],
            &inferences,
            &ctx.config.logs,
            &pseudonymizer,
        )?;
        logs.rejects
            .write(&out.join(side).join("logs-rejects.parquet"))?;
        eprintln!("3. logs {side} → {}", inferences.display());
        eprintln!("{}", super::logs::summary_table(&logs, ctx.color));
    }
    eprintln!(
        "demo finished: tables in {}, synthetic truth in {}",
        out.display(),
        data.join("truth.yaml").display()
    );
    Ok(exit::OK)
}

//! `postmarket drill --baseline DIR --scenario NAME[,NAME…] -o OUT`: would the nightly
//! audit catch this drift, and how fast? Nights resampled from the baseline, the scenario
//! injected from the onset, the audit run night by night with its history.

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::analysis::drill::{self, DrillOptions};
use crate::analysis::snapshot;
use crate::error::{exit, Result};

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// Scenarios, comma-separated: none, protocol-change, scanner-upgrade, new-scanner,
    /// demographic-shift, thick-slice-sensitivity, label-redefinition, silent-model-swap
    #[arg(
        long,
        value_name = "NAME[,NAME...]",
        value_delimiter = ',',
        required = true
    )]
    pub scenario: Vec<String>,
    /// Nights per repeat
    #[arg(long, default_value_t = 14)]
    pub nights: u32,
    /// The first night with the scenario (1 = from the start)
    #[arg(long, default_value_t = 5)]
    pub onset: u32,
    /// Cases a night
    #[arg(long, default_value_t = 200)]
    pub cases_per_night: usize,
    /// Repeats with different draws
    #[arg(long, default_value_t = 10)]
    pub repeats: u32,
    /// Grow the effect from the onset to full strength on the last night
    #[arg(long)]
    pub ramp: bool,
    /// Seed of the nights' resampling and injection: the same seed, baseline and arguments give the same drill
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output folder: drill.json, drill.md, drill.html
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Also write JUnit XML here: one test case per scenario
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Print drill.json on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &DrillArgs, ctx: &Context) -> Result<i32> {
    let snapshot = snapshot::load(&args.baseline)?;
    let options = DrillOptions {
        scenarios: args.scenario.iter().map(|s| s.trim().to_string()).collect(),
        nights: args.nights,
        onset: args.onset,
        cases_per_night: args.cases_per_night,
        repeats: args.repeats,
        ramp: args.ramp,
        seed: args.seed,
        work: args.output.join(".drill-histories"),
        max_delay_nights: ctx.config.drill.max_delay_nights,
    };
    let result = drill::run(&snapshot, &ctx.config, &options)?;
    crate::report::drill::write_files(&result, &args.output)?;
    if let Some(path) = &args.junit {
        crate::report::drill::write_junit(&result, path)?;
    }
    if args.json {
        super::print(|out| {
            serde_json::to_writer_pretty(&mut *out, &result)?;
            writeln!(out)
        })?;
    }
    if ctx.chatty {
        for s in &result.scenarios {
            note!(
                "{}: {} — false alarms {:.1}/100 nights, median delay {} nights, missed {}",
                s.name,
                if s.passed { "pass" } else { "FAIL" },
                s.false_alarms_per_100_nights,
                s.median_delay_nights.map_or("—".into(), |d| d.to_string()),
                s.missed_share
                    .map_or("—".into(), |m| format!("{:.0}%", 100.0 * m))
            );
        }
        note!("drill report in {}", args.output.join("drill.md").display());
    }
    Ok(if result.scenarios.iter().all(|s| s.passed) {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

//! `postmarket demo`: the main job on built-in defaults, in `postmarket-demo/`.
//!
//! synth (a protocol change and a demographic shift, with some corrupt files) → scan →
//! logs → baseline → drift → performance → cluster, each step's summary printed, the
//! reports written to `postmarket-demo/out/{drift,performance,cluster}/`. Findings do not fail the demo: showing them is its job.

use std::path::PathBuf;

use clap::Args;

use super::Context;
use crate::analysis::window::Window;
use crate::analysis::{baseline, cluster, drift, performance, snapshot};
use crate::error::{exit, Error, Result};
use crate::ingest::dicom::scan::{scan, ScanOptions};
use crate::ingest::logs::ingest;
use crate::ingest::synth::{self, SynthOptions};
use crate::privacy::Pseudonymizer;
use crate::table::parquet::TableWriter;

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
    let scenario = "protocol-change,demographic-shift,corrupt-files";
    let truth = synth::generate(&SynthOptions {
        out: data.clone(),
        scenarios: synth::scenario::parse_list(scenario).map_err(Error::Usage)?,
        cases: args.cases,
        slices: 3,
        matrix: 16,
        seed: args.seed,
        tables: false,
        candidate: false,
    })?;
    note!(
        "1. synth: {} series × {} slices per side, scenario {scenario} → {}",
        truth.cases_per_side,
        truth.slices_per_series,
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
        note!("2. scan {side} → {}", headers.display());
        note!("{}", super::scan::summary_table(&summary, ctx.color));

        let inferences = out.join(side).join("inferences.parquet");
        let logs = ingest(
            &[data.join(side).join("inferences.jsonl")],
            &inferences,
            &ctx.config.logs,
            &pseudonymizer,
        )?;
        logs.rejects
            .write(&out.join(side).join("logs-rejects.parquet"))?;
        note!("3. logs {side} → {}", inferences.display());
        note!("{}", super::logs::summary_table(&logs, ctx.color));
    }
    let snapshot_dir = out.join("baseline-snapshot");
    let built = baseline::build(
        &out.join("baseline/headers.parquet"),
        &out.join("baseline/inferences.parquet"),
        &snapshot_dir,
        &ctx.config,
    )?;
    note!(
        "4. baseline: {} cases → {}",
        built.manifest.join.cases,
        snapshot_dir.display()
    );
    let snapshot = snapshot::load(&snapshot_dir)?;
    let headers = out.join("serving/headers.parquet");
    let inferences = out.join("serving/inferences.parquet");
    let window = || Window::load(&snapshot, Some(&headers), Some(&inferences));

    let report = drift::run(&snapshot, window()?, &ctx.config)?;
    crate::report::write_files(&report, &out.join("drift"))?;
    show(
        "5. drift: serving window against the baseline",
        &report,
        ctx,
    );

    let report = performance::run(&snapshot, window()?, &ctx.config)?;
    crate::report::write_files(&report, &out.join("performance"))?;
    show(
        "6. performance: labelled serving cases against the baseline",
        &report,
        ctx,
    );
    show_estimates(&report);

    let run = cluster::run(&snapshot, window()?, &ctx.config)?;
    let mut writer = TableWriter::create(&out.join("cluster/novel.parquet"), run.novel.schema())?;
    writer.write(&run.novel)?;
    writer.finish()?;
    crate::report::write_files(&run.report, &out.join("cluster"))?;
    show(
        "7. cluster: acquisition-parameter clusters and novel cases",
        &run.report,
        ctx,
    );

    note!(
        "\ndemo finished: reports in {} (drift, performance, cluster), tables in {}, synthetic truth in {}",
        out.display(),
        out.display(),
        data.join("truth.yaml").display()
    );
    Ok(exit::OK)
}

/// The estimate for every serving case, the unlabelled ones included, beside the baseline
/// and (where labels arrived) the realized value.
fn show_estimates(report: &crate::analysis::report::Report) {
    let coverage = report
        .checks
        .iter()
        .find(|c| c.subject == "label coverage" && c.subgroup.is_none());
    let unlabelled = coverage.map_or(0, |c| {
        c.n_serving - c.extra.get("labelled").copied().unwrap_or(0.0) as u64
    });
    let estimates: Vec<String> = report
        .checks
        .iter()
        .filter(|c| {
            c.kind == crate::analysis::findings::Kind::EstimatedPerformance
                && c.subgroup.is_none()
                && c.extra.contains_key("estimate")
        })
        .map(|c| {
            format!(
                "{} {:.3} [{:.3}, {:.3}] (baseline {:.3}{})",
                c.subject,
                c.extra["estimate"],
                c.extra["ci_low"],
                c.extra["ci_high"],
                c.extra["baseline"],
                c.extra.get("realized").map_or(String::new(), |r| format!(
                    ", realized on the labelled {r:.3}"
                ))
            )
        })
        .collect();
    if !estimates.is_empty() {
        note!(
            "Estimated from calibrated scores for all {} serving cases ({unlabelled} not yet labelled): {}.",
            coverage.map_or(0, |c| c.n_serving),
            estimates.join("; ")
        );
    }
}

/// Prints one analysis step: its findings table, status and the top finding's action.
fn show(title: &str, report: &crate::analysis::report::Report, ctx: &Context) {
    note!("\n{title}");
    note!(
        "{}",
        crate::report::terminal::findings_table(report, ctx.color, 8)
    );
    note!(
        "status: {} ({} alert, {} warn of {} checks)",
        report.status.as_str(),
        report.counts.alert,
        report.counts.warn,
        report.counts.checks
    );
    if let Some(top) = report.findings.first() {
        note!("Top finding: {}", crate::report::markdown::sentence(top));
        note!("What to do: {}", top.action);
    }
}

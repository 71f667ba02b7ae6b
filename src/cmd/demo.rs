//! `postmarket demo`: the nightly job on built-in defaults, in `postmarket-demo/`.
//!
//! synth (a baseline, and a week of nights with a protocol change and an older, more
//! female population from night 5, some corrupt files among them) → scan → logs →
//! baseline → `audit` night by night into one history, as cron would run it. Each night's
//! status is printed as it runs; then the last night's findings, the estimate for its
//! cases without labels yet, and where the reports are. Findings do not fail the demo:
//! showing them is its job.

use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use clap::Args;

use super::Context;
use crate::analysis::audit::{self, Night};
use crate::analysis::report::Report;
use crate::analysis::{baseline, snapshot};
use crate::error::{exit, Error, Result};
use crate::ingest::dicom::scan::{scan, ScanOptions};
use crate::ingest::logs::ingest;
use crate::ingest::synth::{self, SynthOptions};
use crate::privacy::Pseudonymizer;
use crate::report::terminal;
use crate::table::window::Window as Span;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Working folder for the demo's data and outputs
    #[arg(long, default_value = "postmarket-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Cases (series) in the baseline, and in all the nights together
    #[arg(long, default_value_t = 1400)]
    pub cases: u64,
    /// Nights audited
    #[arg(long, default_value_t = 7)]
    pub nights: u32,
    /// The first night with the change (1-based)
    #[arg(long, default_value_t = 5)]
    pub onset: u32,
    /// Seed of the synthetic data: the same seed and arguments give the same demo
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

pub fn run(args: &DemoArgs, ctx: &Context) -> Result<i32> {
    if args.nights == 0 || args.onset == 0 || args.onset > args.nights {
        return Err(Error::Usage(format!(
            "--onset {} must be a night between 1 and --nights {}",
            args.onset, args.nights
        )));
    }
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
        serving_days: Some(args.nights),
        onset_day: Some(args.onset),
    })?;
    note!(
        "{}",
        terminal::wrap(
            &format!(
                "{} baseline series and {} over {} nights × {} slices, {} from night {} → {}",
                truth.cases_per_side,
                truth.cases_per_side,
                args.nights,
                truth.slices_per_series,
                scenario.replace(',', ", "),
                args.onset,
                data.display()
            ),
            terminal::width(),
            "1. synth: ",
            "   "
        )
    );
    let pseudonymizer = Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref())?;
    for side in ["baseline", "serving"] {
        let options = ScanOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            extra_tags: ctx.config.extra_tags.clone(),
            pseudonymizer: pseudonymizer.clone(),
            progress: ctx.progress(),
            shard: None,
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
        &[out.join("baseline/headers.parquet")],
        &[out.join("baseline/inferences.parquet")],
        &snapshot_dir,
        &ctx.config,
    )?;
    note!(
        "4. baseline: {} cases → {}",
        built.manifest.join.cases,
        snapshot_dir.display()
    );
    let snapshot = snapshot::load(&snapshot_dir)?;
    let first: NaiveDate = truth.serving_window[0]
        .parse()
        .map_err(|e| Error::Usage(format!("synth's serving window: {e}")))?;
    note!(
        "\n5. audit, night by night, into one history ({}):",
        out.join("history").display()
    );
    let (headers, inferences) = (
        [out.join("serving/headers.parquet")],
        [out.join("serving/inferences.parquet")],
    );
    let mut last = None;
    for night in 1..=args.nights {
        let day = first + Duration::days(i64::from(night - 1));
        let midnight =
            |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("valid"));
        let span = Span::new(midnight(day), midnight(day + Duration::days(1)))?;
        let mut audit = audit::nightly(
            &snapshot,
            &Night {
                headers: &headers,
                inferences: &inferences,
                span: Some(span),
                history: Some(&out.join("history")),
            },
            &ctx.config,
        )?;
        let dir = out.join("audit").join(day.to_string());
        super::audit::write_novel(&audit, &dir)?;
        crate::report::write_files(&audit.report, &dir)?;
        if let Some(pending) = audit.pending.take() {
            pending.commit(Some(&dir), crate::report::html::index::render)?;
        }
        note!(
            "{}",
            terminal::wrap(
                &terminal::night_line(night, day, args.onset, &audit.report),
                terminal::width(),
                "   ",
                "     "
            )
        );
        last = Some((audit.report, dir));
    }
    let (report, dir) = last.expect("at least one night");
    show(&report, &dir, ctx);
    let finished = format!(
        "each night's report in {}/<date>/, the history in {}, tables in {}, synthetic truth in {}",
        out.join("audit").display(),
        out.join("history").display(),
        out.display(),
        data.join("truth.yaml").display(),
    );
    note!(
        "\n{}\nOpen the last night's report: {}\nThe nights side by side: {}",
        terminal::wrap(&finished, terminal::width(), "demo finished: ", "  "),
        dir.join("report.html").display(),
        out.join("history")
            .join(postmarket::history::INDEX)
            .display()
    );
    Ok(exit::OK)
}

/// Prints the last night: its findings table, status, the top finding's action, the
/// estimate for its unlabelled cases and where its reports are.
fn show(report: &Report, dir: &Path, ctx: &Context) {
    note!(
        "\n6. the last night ({}):",
        report.window.start.as_deref().unwrap_or("")
    );
    let width = terminal::width();
    if let Some(changes) = terminal::changes_lines(report, width) {
        note!("{changes}");
    }
    if !report.findings.is_empty() {
        note!("{}", terminal::findings_table(report, ctx.color, 8, width));
    }
    note!(
        "status: {} ({} alert, {} warn of {} checks)",
        report.status.as_str(),
        report.counts.alert,
        report.counts.warn,
        report.counts.checks
    );
    if let Some(top) = report.changes.first() {
        note!(
            "{}",
            terminal::wrap(&top.headline, width, "Top change: ", "  ")
        );
        note!(
            "{}",
            terminal::wrap(&top.action, width, "What to do: ", "  ")
        );
    }
    if let Some(lines) = terminal::performance_lines(report, width) {
        note!("{lines}");
    }
    if let Some(small) = terminal::small_subgroups_line(report, width) {
        note!("{small}");
    }
    let html = dir.join("report.html");
    let mut reports = format!(
        "{}, {}",
        dir.join("report.md").display(),
        dir.join("report.json").display()
    );
    if html.exists() {
        reports.push_str(&format!(", {}", html.display()));
    }
    note!("{}", terminal::wrap(&reports, width, "Reports: ", "  "));
}

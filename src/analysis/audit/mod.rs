//! `audit`: the nightly job as one library call. On one serving window it runs every
//! analysis the inputs allow — drift, clusters, performance (realized where labels have
//! arrived, estimated where they have not), concept drift and model versions — and returns
//! one report whose findings carry their `kind`.
//!
//! A night that lacks an input is not an error: no cases at all, headers without
//! inferences or inferences without headers each give a `missing input` finding that says
//! what is missing and what it means, and the analyses that need the input are listed as
//! skipped with the reason.

pub mod history;

pub use history::{nightly, nightly_profile, Night, Pending};

use crate::analysis::changes::{Carriers, Context};
use crate::analysis::findings::{Check, Kind, Severity};
use crate::analysis::report::{AnalysisRun, BaselineIdentity, Report, Status, WindowSummary};
use crate::analysis::snapshot::Snapshot;
use crate::analysis::window::Window;
use crate::analysis::{cluster, drift, performance};
use crate::config::Config;
use crate::error::Result;
use crate::table::schema;

/// An audit's report and the tables it keeps beside it.
pub struct Audit {
    pub report: Report,
    /// Novel cases of the cluster analysis, when it ran (`novel.parquet`).
    pub novel: Option<arrow_array::RecordBatch>,
    /// With a history: tonight's run, to record once every output is written.
    pub pending: Option<Pending>,
}

/// Runs every analysis `window` allows against `snapshot`. `summary` is the window as the
/// report states it (the selected start and end, the cases outside it).
pub fn run(
    snapshot: &Snapshot,
    window: Window,
    summary: WindowSummary,
    config: &Config,
) -> Result<Audit> {
    let mut checks: Vec<Check> = Vec::new();
    let mut analyses: Vec<AnalysisRun> = Vec::new();
    let mut method: Vec<String> = Vec::new();
    let mut novel = None;
    let mut clusters = None;
    let join = window.join.clone();
    let cases = window.cases.clone();
    let empty = window.cases.num_rows() == 0;
    let labels_in_baseline = snapshot.cases.column_by_name(schema::LABEL).is_some();

    let gaps = missing_inputs(&window, empty);
    let skip = |name: &'static str, why: &str| AnalysisRun {
        name,
        ran: false,
        status: None,
        checks: 0,
        note: Some(why.to_string()),
    };
    let mut record = |name: &'static str, report: Report, analyses: &mut Vec<AnalysisRun>| {
        analyses.push(AnalysisRun {
            name,
            ran: true,
            status: Some(report.status),
            checks: report.checks.len() as u64,
            note: None,
        });
        method.extend(report.method.into_iter().map(|m| format!("{name}: {m}")));
        checks.extend(report.checks);
    };

    if empty {
        for name in ["drift", "cluster", "performance"] {
            analyses.push(skip(name, "no cases in the window"));
        }
    } else {
        if window.with_headers {
            let report = drift::run(snapshot, window.clone(), config)?;
            record("drift", report, &mut analyses);
        } else {
            analyses.push(skip(
                "drift",
                "no headers: the inputs' drift cannot be checked",
            ));
        }
        match (&snapshot.cluster, window.with_headers) {
            (Some(_), true) => {
                let run = cluster::run(snapshot, window.clone(), config)?;
                novel = Some(run.novel);
                clusters = Some(run.clusters);
                record("cluster", run.report, &mut analyses);
            }
            (None, _) => analyses.push(skip(
                "cluster",
                &format!(
                    "the baseline has no cluster model ({})",
                    snapshot
                        .manifest
                        .cluster_note
                        .as_deref()
                        .unwrap_or("none fitted")
                ),
            )),
            (Some(_), false) => analyses.push(skip("cluster", "no headers")),
        }
        if !window.with_inferences {
            analyses.push(skip("performance", "no inferences"));
        } else if !labels_in_baseline {
            analyses.push(skip(
                "performance",
                "the baseline has no labels to compare with",
            ));
        } else {
            // Performance refuses a window it cannot say anything about (no label yet and
            // no calibration to estimate from): the audit says so and goes on.
            match performance::run(snapshot, window, config) {
                Ok(report) => record("performance", report, &mut analyses),
                Err(e) => analyses.push(skip("performance", &e.to_string())),
            }
        }
    }
    checks.extend(gaps);
    for a in analyses.iter().filter(|a| !a.ran) {
        method.push(format!(
            "{} not run: {}.",
            a.name,
            a.note.as_deref().unwrap_or("")
        ));
    }
    let mut report = Report::new(
        "audit",
        checks,
        summary,
        BaselineIdentity::of(snapshot),
        join,
        method,
    );
    report.analyses = analyses;
    let carriers = Carriers::of(&cases, &report.checks, clusters.as_deref());
    drop(cases);
    report.set_change_context(Context::new(config, carriers));
    if empty && report.status == Status::Ok {
        report.status = Status::Insufficient;
    }
    Ok(Audit {
        report,
        novel,
        pending: None,
    })
}

/// The audit of a count profile: drift from the counts; the clusters and performance need
/// rows (acquisition vectors, paired scores and labels) and are listed as not run.
pub fn run_profile(
    snapshot: &Snapshot,
    profile: &crate::analysis::profile::Profile,
    config: &Config,
) -> Result<Audit> {
    let drift = drift::from_profile(snapshot, profile, config)?;
    let skip = |name: &'static str, why: &str| AnalysisRun {
        name,
        ran: false,
        status: None,
        checks: 0,
        note: Some(why.to_string()),
    };
    let mut analyses = vec![AnalysisRun {
        name: "drift",
        ran: true,
        status: Some(drift.status),
        checks: drift.checks.len() as u64,
        note: None,
    }];
    analyses.push(skip(
        "cluster",
        "a count profile holds no case's acquisition vector to assign to a cluster",
    ));
    analyses.push(skip(
        "performance",
        "a count profile holds the confusion counts but no paired scores and labels; run performance at the site",
    ));
    let mut method: Vec<String> = drift.method.iter().map(|m| format!("drift: {m}")).collect();
    for a in analyses.iter().filter(|a| !a.ran) {
        method.push(format!(
            "{} not run: {}.",
            a.name,
            a.note.as_deref().unwrap_or("")
        ));
    }
    let mut report = Report::new(
        "audit",
        drift.checks,
        drift.window,
        BaselineIdentity::of(snapshot),
        drift.join,
        method,
    );
    report.analyses = analyses;
    Ok(Audit {
        report,
        novel: None,
        pending: None,
    })
}

/// The `missing input` findings of a window: no cases, no inferences, no headers.
fn missing_inputs(window: &Window, empty: bool) -> Vec<Check> {
    let gap = |subject: &str, summary: &str, action: &str| {
        let mut c = Check::new(Kind::MissingInput, subject, "count");
        c.severity = Severity::Warn;
        c.effect = Some(0.0);
        c.effect_name = "cases";
        c.n_serving = window.cases.num_rows() as u64;
        c.summary = summary.to_string();
        c.action = action.to_string();
        c
    };
    let mut out = Vec::new();
    if empty {
        out.push(gap(
            "cases",
            "no case in the window: nothing was read for this night",
            "Check that the scanner, the export and the model ran this night (a scanner down, a PACS export that failed, a log rotated away), then rerun the audit for this window.",
        ));
    } else if !window.with_inferences || window.join.cases_with_inference == 0 {
        out.push(gap(
            "inferences",
            "cases were imaged but no inference of the model matches them",
            "Check that the model ran and that its log reached the audit (log rotation, a changed log path or key); until it does, neither the model's output nor its performance is monitored.",
        ));
    } else if !window.with_headers {
        out.push(gap(
            "headers",
            "inferences without DICOM headers: the inputs' drift and the subgroups cannot be checked",
            "Point the audit at the night's DICOM headers (--headers or --dicom) so that scanner, protocol and patient-mix changes are seen.",
        ));
    }
    out
}

//! A run's changes, as stored in `DIR/changes/<run_id>.parquet`: one row per change of
//! the report (its id, headline, category, severity, the findings it groups and the key
//! of its lead finding's check), and in the file's metadata where that night's
//! report.html was written, relative to the history folder. They are what the history's
//! overview page (`DIR/index.html`) shows night by night; the checks stay the evidence.
//!
//! The file is written before the run row, like the checks, and verified the same way (a
//! format version and a content digest over the rows and the report path). Runs recorded
//! before this file existed have none, and the overview says so for them.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::files::{self, refuse, Columns};
use super::records::Canon;
use super::sequence::CheckKey;
use crate::analysis::changes::{finding_id, Change};
use crate::analysis::findings::{Check, Severity};
use crate::atomic::AtomicFile;
use crate::error::Result;

/// The metadata key of the report's path (relative to the history folder).
pub const REPORT_KEY: &str = "postmarket.report_html";

/// One change of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRow {
    /// `C1`, `C2`, … as the night's report numbered them.
    pub change_id: String,
    pub headline: String,
    pub category: String,
    pub severity: Severity,
    pub first_seen: Option<String>,
    /// The features, outputs and metrics it touches, comma-separated.
    pub features: String,
    /// Its findings' ids (`kind/subject@subgroup`), in the report's order.
    pub findings: Vec<String>,
    /// The check of its first finding: the line the overview draws across nights.
    pub lead: Option<CheckKey>,
}

impl ChangeRow {
    /// The row of `change`, its lead check found among `findings`.
    pub fn of(change: &Change, findings: &[Check]) -> ChangeRow {
        let lead = change.findings.first().and_then(|id| {
            findings
                .iter()
                .find(|c| finding_id(c) == *id)
                .map(CheckKey::of)
        });
        ChangeRow {
            change_id: change.id.clone(),
            headline: change.headline.clone(),
            category: change.category.to_string(),
            severity: change.severity,
            first_seen: change.first_seen.clone(),
            features: change.features.join(", "),
            findings: change.findings.clone(),
            lead,
        }
    }
}

/// What a run records of its night besides its checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NightRecord {
    /// The night's report.html, relative to the history folder (`../audit/2026-12-01/report.html`).
    pub report_html: Option<String>,
    pub changes: Vec<ChangeRow>,
}

impl NightRecord {
    /// The record of a report's changes, with no report path.
    pub fn of(changes: &[Change], findings: &[Check]) -> NightRecord {
        NightRecord {
            report_html: None,
            changes: changes.iter().map(|c| ChangeRow::of(c, findings)).collect(),
        }
    }
}

pub fn schema() -> SchemaRef {
    let text = |name: &str, null| Field::new(name, DataType::Utf8, null);
    Arc::new(Schema::new(vec![
        text("run_id", false),
        text("change_id", false),
        text("headline", false),
        text("category", false),
        text("severity", false),
        text("first_seen", true),
        text("features", false),
        text("findings", false),
        text("lead_kind", true),
        text("lead_subject", true),
        text("lead_subgroup", true),
        text("lead_test", true),
    ]))
}

/// Finding ids are joined by a newline in the `findings` column (none holds one: they are
/// built from feature names and subgroup definitions, which are single-line YAML keys).
const SEP: char = '\n';

fn digest(run_id: &str, night: &NightRecord) -> String {
    let mut c = Canon::new("changes");
    c.opt_text(night.report_html.as_deref());
    for r in &night.changes {
        c.text(run_id);
        c.text(&r.change_id);
        c.text(&r.headline);
        c.text(&r.category);
        c.text(r.severity.as_str());
        c.opt_text(r.first_seen.as_deref());
        c.text(&r.features);
        c.text(&r.findings.join(&SEP.to_string()));
        let lead = r.lead.as_ref();
        c.opt_text(lead.map(|k| k.kind.as_str()));
        c.opt_text(lead.map(|k| k.subject.as_str()));
        c.opt_text(lead.and_then(|k| k.subgroup.as_deref()));
        c.opt_text(lead.map(|k| k.test.as_str()));
    }
    c.finish()
}

fn batch(run_id: &str, rows: &[ChangeRow]) -> RecordBatch {
    let strings = |f: &dyn Fn(&ChangeRow) -> Option<String>| {
        let mut b = StringBuilder::new();
        rows.iter().for_each(|r| b.append_option(f(r)));
        Arc::new(b.finish()) as ArrayRef
    };
    let lead = |f: fn(&CheckKey) -> Option<String>| {
        strings(&move |r: &ChangeRow| r.lead.as_ref().and_then(f))
    };
    let columns = vec![
        strings(&|_| Some(run_id.to_string())),
        strings(&|r| Some(r.change_id.clone())),
        strings(&|r| Some(r.headline.clone())),
        strings(&|r| Some(r.category.clone())),
        strings(&|r| Some(r.severity.as_str().to_string())),
        strings(&|r| r.first_seen.clone()),
        strings(&|r| Some(r.features.clone())),
        strings(&|r| Some(r.findings.join(&SEP.to_string()))),
        lead(|k| Some(k.kind.clone())),
        lead(|k| Some(k.subject.clone())),
        lead(|k| k.subgroup.clone()),
        lead(|k| Some(k.test.clone())),
    ];
    RecordBatch::try_new(schema(), columns).expect("columns match the changes schema")
}

/// Stages `night` as the changes file of `run_id` at `path`.
pub fn stage(path: &Path, run_id: &str, night: &NightRecord) -> Result<AtomicFile> {
    let meta: Vec<(&str, &str)> = night
        .report_html
        .as_deref()
        .map(|r| (REPORT_KEY, r))
        .into_iter()
        .collect();
    files::stage_with(
        path,
        &batch(run_id, &night.changes),
        &digest(run_id, night),
        &meta,
    )
}

/// Reads and verifies the changes file of `run_id`: every row of this run, the digest as
/// recorded.
pub fn read(path: &Path, run_id: &str) -> Result<NightRecord> {
    let (batch, recorded, report_html) = files::read_with(path, &schema(), Some(REPORT_KEY))?;
    let c = Columns {
        path,
        batch: &batch,
    };
    let mut changes = Vec::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        let row_run = c.text("run_id", i)?;
        if row_run != run_id {
            return Err(refuse(path, format!("row {i} belongs to run {row_run}")));
        }
        let lead = match (c.opt_text("lead_kind", i), c.opt_text("lead_subject", i)) {
            (Some(kind), Some(subject)) => Some(CheckKey {
                kind,
                subject,
                subgroup: c.opt_text("lead_subgroup", i),
                test: c.text("lead_test", i)?,
            }),
            _ => None,
        };
        changes.push(ChangeRow {
            change_id: c.text("change_id", i)?,
            headline: c.text("headline", i)?,
            category: c.text("category", i)?,
            severity: c
                .severity("severity", i)?
                .ok_or_else(|| refuse(path, format!("row {i}: severity is null")))?,
            first_seen: c.opt_text("first_seen", i),
            features: c.text("features", i)?,
            findings: c
                .text("findings", i)?
                .split(SEP)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            lead,
        });
    }
    let night = NightRecord {
        report_html,
        changes,
    };
    if digest(run_id, &night) != recorded {
        return Err(refuse(
            path,
            "content does not match its recorded digest (altered?)",
        ));
    }
    Ok(night)
}

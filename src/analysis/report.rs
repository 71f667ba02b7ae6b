//! The `Report` value every writer renders (JSON, Markdown, terminal); none recomputes a
//! statistic. Its JSON form is the versioned schema in docs/report-schema.md.

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use serde::Serialize;

use std::sync::Arc;

use super::changes::{self, Change};
use super::snapshot::{FileDigest, ModelIdentity, Snapshot};
use crate::analysis::findings::{Check, Severity};
use crate::table::cases::JoinStats;
use crate::table::schema;

/// Version of the report.json layout; bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Insufficient,
    Warn,
    Alert,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Insufficient => "insufficient",
            Status::Warn => "warn",
            Status::Alert => "alert",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    pub command: String,
    pub generated: String,
    pub status: Status,
    pub window: WindowSummary,
    pub baseline: BaselineIdentity,
    pub join: JoinStats,
    pub counts: Counts,
    /// The findings grouped by the event that explains them ([`crate::analysis::changes`]),
    /// most severe first.
    pub changes: Vec<Change>,
    /// Checks at warn or alert, most severe first.
    pub findings: Vec<Check>,
    /// Checks that could not be decided for lack of cases.
    pub insufficient: Vec<Check>,
    /// Every check performed, in a fixed order.
    pub checks: Vec<Check>,
    /// How the decisions were made, in words (for the Markdown "Method" section).
    pub method: Vec<String>,
    /// `audit`: each analysis it ran or could not run, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub analyses: Vec<AnalysisRun>,
    /// `audit --history`: the sequence of nights this run continues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistorySummary>,
    /// `drift --profile … --by-site`: each site's findings on its own counts, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_site: Vec<String>,
    /// What the grouping into changes knows beyond the checks (not serialised).
    #[serde(skip)]
    pub change_context: Arc<changes::Context>,
}

/// One analysis of an audit: run (with its status and number of checks) or skipped.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisRun {
    pub name: &'static str,
    pub ran: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    pub checks: u64,
    /// Why it was skipped, or what limited it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What the history says of tonight's run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HistorySummary {
    /// Earlier runs in this sequence (same baseline and config).
    pub earlier_runs: u64,
    /// The start of the sequence's first window (RFC 3339), tonight's when it is the first.
    pub sequence_start: String,
    /// Set when earlier runs used another baseline or config: tonight starts a new sequence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarted: Option<String>,
    /// Windows between runs of the sequence that no run covered ("start..end (N nights)").
    pub missing: Vec<String>,
    /// The run this one supersedes (a rerun of the same window).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    pub run_id: String,
}

/// What the report says of the serving window.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WindowSummary {
    /// The selected window (`audit --window`/`--since`), RFC 3339, half-open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Cases read but outside the selected window, and cases with no time to place them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undated: Option<u64>,
    pub cases: u64,
    pub instances: u64,
    pub first_inference: Option<String>,
    pub last_inference: Option<String>,
}

impl WindowSummary {
    /// The window's size and the span of its inference timestamps.
    pub fn of(cases: &RecordBatch, instances: u64) -> WindowSummary {
        let times = cases
            .column_by_name(schema::TIMESTAMP)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
        let range = times.and_then(|t| {
            let valid = (0..t.len()).filter(|&i| t.is_valid(i)).map(|i| t.value(i));
            let (lo, hi) = valid.fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
            (lo <= hi).then_some((lo, hi))
        });
        let fmt = |us: i64| {
            chrono::DateTime::from_timestamp_micros(us)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        WindowSummary {
            start: None,
            end: None,
            outside: None,
            undated: None,
            cases: cases.num_rows() as u64,
            instances,
            first_inference: range.and_then(|(lo, _)| fmt(lo)),
            last_inference: range.and_then(|(_, hi)| fmt(hi)),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BaselineIdentity {
    pub created: String,
    pub manifest_sha256: String,
    pub model: Option<ModelIdentity>,
    pub cases: u64,
    pub files: Vec<FileDigest>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub checks: u64,
    pub alert: u64,
    pub warn: u64,
    pub info: u64,
    pub insufficient: u64,
}

impl BaselineIdentity {
    pub fn of(snapshot: &Snapshot) -> Self {
        BaselineIdentity {
            created: snapshot.manifest.created.clone(),
            manifest_sha256: snapshot.manifest_sha256.clone(),
            model: snapshot.manifest.model.clone(),
            cases: snapshot.cases.num_rows() as u64,
            files: snapshot.manifest.files.clone(),
        }
    }
}

impl Report {
    /// Assembles a report from all checks of a run.
    pub fn new(
        command: &str,
        checks: Vec<Check>,
        window: WindowSummary,
        baseline: BaselineIdentity,
        join: JoinStats,
        method: Vec<String>,
    ) -> Report {
        let (counts, findings, insufficient, status) = derive(&checks);
        let change_context = Arc::new(changes::Context::default());
        Report {
            changes: changes::group(&findings, &change_context),
            change_context,
            schema_version: SCHEMA_VERSION,
            tool: concat!("postmarket ", env!("CARGO_PKG_VERSION")).to_string(),
            command: command.to_string(),
            generated: crate::clock::run_timestamp(),
            status,
            window,
            baseline,
            join,
            counts,
            findings,
            insufficient,
            checks,
            method,
            analyses: Vec::new(),
            history: None,
            by_site: Vec::new(),
        }
    }

    /// Recomputes the counts, findings and status after the checks' severities changed (the
    /// audit history's sequential rule). A window that was insufficient stays so unless a
    /// finding now says more.
    pub fn refresh(&mut self) {
        let was_insufficient = self.status == Status::Insufficient;
        (self.counts, self.findings, self.insufficient, self.status) = derive(&self.checks);
        self.changes = changes::group(&self.findings, &self.change_context);
        if was_insufficient && self.status == Status::Ok {
            self.status = Status::Insufficient;
        }
    }

    /// Regroups the findings into changes with what `context` knows (the features that
    /// define each subgroup, the cases that carry each shift).
    pub fn set_change_context(&mut self, context: changes::Context) {
        self.change_context = Arc::new(context);
        self.changes = changes::group(&self.findings, &self.change_context);
    }

    /// Regroups the findings into changes after their history (first-seen dates) was read.
    pub fn regroup(&mut self) {
        self.changes = changes::group(&self.findings, &self.change_context);
    }

    /// Exit code for `--fail-on`: 1 when a finding reaches `level`.
    pub fn fails_at(&self, level: Severity) -> bool {
        self.findings.iter().any(|c| c.severity >= level)
    }
}

/// The counts, the findings (most severe first), the insufficient checks and the status
/// of a set of checks.
fn derive(checks: &[Check]) -> (Counts, Vec<Check>, Vec<Check>, Status) {
    let count = |s: Severity| checks.iter().filter(|c| c.severity == s).count() as u64;
    let counts = Counts {
        checks: checks.len() as u64,
        alert: count(Severity::Alert),
        warn: count(Severity::Warn),
        info: count(Severity::Info),
        insufficient: count(Severity::Insufficient),
    };
    let mut findings: Vec<Check> = checks.iter().filter(|c| c.is_finding()).cloned().collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.subgroup.is_some().cmp(&b.subgroup.is_some()))
            .then(b.effect_ratio().total_cmp(&a.effect_ratio()))
            .then(a.subject.cmp(&b.subject))
            .then(a.subgroup.cmp(&b.subgroup))
    });
    let insufficient: Vec<Check> = checks
        .iter()
        .filter(|c| c.severity == Severity::Insufficient)
        .cloned()
        .collect();
    // Insufficient only when nothing over all cases could be decided: a night whose MR
    // features have too few values while everything else was compared is a night judged,
    // with those checks listed as undecided.
    let decided_overall = checks
        .iter()
        .any(|c| c.subgroup.is_none() && c.severity != Severity::Insufficient);
    let overall_insufficient =
        !decided_overall && insufficient.iter().any(|c| c.subgroup.is_none());
    let status = if counts.alert > 0 {
        Status::Alert
    } else if counts.warn > 0 {
        Status::Warn
    } else if overall_insufficient {
        Status::Insufficient
    } else {
        Status::Ok
    };
    (counts, findings, insufficient, status)
}

impl Check {
    /// Effect relative to its warn threshold, for ordering findings.
    pub fn effect_ratio(&self) -> f64 {
        match (self.effect, self.threshold) {
            (Some(e), t) if t > 0.0 => e / t,
            (Some(e), _) => e,
            _ => 0.0,
        }
    }
}

//! The two row types of the history — one [`RunRow`] per run, one [`CheckRow`] per check —
//! their Arrow schemas, and their canonical encoding.
//!
//! The canonical encoding is what a file's content digest is taken over: every row, every
//! column in schema order, each value as a type tag and its bytes (strings length-prefixed,
//! floats by their bit pattern, integers little-endian, a null as its own tag). It depends
//! only on the values, not on how Parquet laid them out, so the digest can be recomputed
//! from what a reader decoded and compared with the one the writer recorded.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder, TimestampMicrosecondBuilder};
use arrow_array::{ArrayRef, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::analysis::findings::{Check, Direction, Kind, Severity};
use crate::table::window::Window;

/// One run of the audit, as stored in `DIR/runs/<run_id>.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// `<seq, six digits>-<window start, compact UTC>`, e.g. `000012-20261130T000000Z`.
    pub run_id: String,
    /// Append order, from 1; the lock makes it unique.
    pub seq: u64,
    /// The run clock (RFC 3339; `SOURCE_DATE_EPOCH` when set).
    pub created: String,
    pub window: Window,
    /// SHA-256 of the baseline's `manifest.yaml`.
    pub baseline_sha256: String,
    /// SHA-256 of the config text the run used.
    pub config_sha256: String,
    pub tool_version: String,
    /// The report's status (`ok`, `findings`, `insufficient`, …).
    pub status: String,
    /// Cases in the window, and those left out (outside it, or with no date at all).
    pub cases: u64,
    pub cases_outside: u64,
    pub cases_undated: u64,
    /// Checks recorded, and how many of them ended at warn and at alert.
    pub checks: u64,
    pub warnings: u64,
    pub alerts: u64,
    /// The run of the same window this rerun replaces (which stays on disk).
    pub supersedes: Option<String>,
    /// SHA-256 of the bytes of `DIR/checks/<run_id>.parquet`.
    pub checks_sha256: String,
}

/// One check of one run, as stored in `DIR/checks/<run_id>.parquet`: what [`Check`]
/// holds that a trend or a sequential rule needs, and nothing else (no summary, no
/// action text, no extra statistics — so no category value or identifier can leak).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRow {
    /// The [`Kind`] as report.json spells it (`feature-drift`, `new-category`, …).
    pub kind: String,
    pub subject: String,
    pub subgroup: Option<String>,
    pub test: String,
    pub effect_name: String,
    /// `larger` or `lower` (see [`Direction`]).
    pub direction: String,
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    pub q_value: Option<f64>,
    pub effect: Option<f64>,
    pub effect_ci_low: Option<f64>,
    pub effect_ci_high: Option<f64>,
    pub threshold: f64,
    pub alert_threshold: f64,
    /// The run's final severity for this check (what the report showed).
    pub severity: Severity,
    /// The night's own decision before the sequential rule was applied, when one was.
    pub night_severity: Option<Severity>,
    /// The sequential rule's evidence from this night, and its statistic after it.
    pub sequential_evidence: Option<f64>,
    pub sequential_statistic: Option<f64>,
    pub n_baseline: u64,
    pub n_serving: u64,
}

impl From<&Check> for CheckRow {
    fn from(c: &Check) -> CheckRow {
        CheckRow {
            kind: kind_name(c.kind).to_string(),
            subject: c.subject.clone(),
            subgroup: c.subgroup.clone(),
            test: c.test.to_string(),
            effect_name: c.effect_name.to_string(),
            direction: match c.direction {
                Direction::Larger => "larger",
                Direction::Lower => "lower",
            }
            .to_string(),
            statistic: c.statistic,
            p_value: c.p_value,
            q_value: c.q_value,
            effect: c.effect,
            effect_ci_low: c.effect_ci_low,
            effect_ci_high: c.effect_ci_high,
            threshold: c.threshold,
            alert_threshold: c.alert_threshold,
            severity: c.severity,
            night_severity: c.sequential.as_ref().map(|s| s.night_severity),
            sequential_evidence: c.sequential.as_ref().and_then(|s| s.evidence),
            sequential_statistic: c.sequential.as_ref().map(|s| s.statistic),
            n_baseline: c.n_baseline,
            n_serving: c.n_serving,
        }
    }
}

/// The kind as report.json spells it (serde's kebab-case names of [`Kind`]).
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::FeatureDrift => "feature-drift",
        Kind::NewCategory => "new-category",
        Kind::Missingness => "missingness",
        Kind::Composition => "composition",
        Kind::ModelOutput => "model-output",
        Kind::Performance => "performance",
        Kind::EstimatedPerformance => "estimated-performance",
        Kind::CalibrationDrift => "calibration-drift",
        Kind::LabelShift => "label-shift",
        Kind::ConceptDrift => "concept-drift",
        Kind::ChangePoint => "change-point",
        Kind::ModelVersion => "model-version",
        Kind::Gate => "gate",
        Kind::ClusterOccupancy => "cluster-occupancy",
        Kind::NovelCases => "novel-cases",
        Kind::MissingInput => "missing-input",
    }
}

pub fn parse_severity(s: &str) -> Option<Severity> {
    [
        Severity::Pass,
        Severity::Insufficient,
        Severity::Info,
        Severity::Warn,
        Severity::Alert,
    ]
    .into_iter()
    .find(|v| v.as_str() == s)
}

fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

pub fn runs_schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    let count = |name: &str| Field::new(name, DataType::UInt64, false);
    Arc::new(Schema::new(vec![
        text("run_id"),
        count("seq"),
        text("created"),
        Field::new("window_start", timestamp_type(), false),
        Field::new("window_end", timestamp_type(), false),
        text("baseline_sha256"),
        text("config_sha256"),
        text("tool_version"),
        text("status"),
        count("cases"),
        count("cases_outside"),
        count("cases_undated"),
        count("checks"),
        count("warnings"),
        count("alerts"),
        Field::new("supersedes", DataType::Utf8, true),
        text("checks_sha256"),
    ]))
}

pub fn checks_schema() -> SchemaRef {
    let text = |name: &str, null| Field::new(name, DataType::Utf8, null);
    let float = |name: &str, null| Field::new(name, DataType::Float64, null);
    Arc::new(Schema::new(vec![
        text("run_id", false),
        text("kind", false),
        text("subject", false),
        text("subgroup", true),
        text("test", false),
        text("effect_name", false),
        text("direction", false),
        float("statistic", true),
        float("p_value", true),
        float("q_value", true),
        float("effect", true),
        float("effect_ci_low", true),
        float("effect_ci_high", true),
        float("threshold", false),
        float("alert_threshold", false),
        text("severity", false),
        text("night_severity", true),
        float("sequential_evidence", true),
        float("sequential_statistic", true),
        Field::new("n_baseline", DataType::UInt64, false),
        Field::new("n_serving", DataType::UInt64, false),
    ]))
}

/// SHA-256 over a canonical encoding of values (see the module docs).
pub struct Canon(Sha256);

impl Canon {
    pub fn new(table: &str) -> Canon {
        let mut h = Sha256::new();
        h.update(b"postmarket-history-v1\0");
        h.update(table.as_bytes());
        Canon(h)
    }

    pub fn text(&mut self, s: &str) {
        self.0.update([1]);
        self.0.update((s.len() as u64).to_le_bytes());
        self.0.update(s.as_bytes());
    }

    pub fn opt_text(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.text(s),
            None => self.0.update([0]),
        }
    }

    pub fn float(&mut self, v: f64) {
        self.0.update([2]);
        self.0.update(v.to_bits().to_le_bytes());
    }

    pub fn opt_float(&mut self, v: Option<f64>) {
        match v {
            Some(v) => self.float(v),
            None => self.0.update([0]),
        }
    }

    pub fn count(&mut self, v: u64) {
        self.0.update([3]);
        self.0.update(v.to_le_bytes());
    }

    pub fn time(&mut self, t: DateTime<Utc>) {
        self.0.update([4]);
        self.0.update(t.timestamp_micros().to_le_bytes());
    }

    pub fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

impl RunRow {
    pub fn digest(&self) -> String {
        let mut c = Canon::new("runs");
        c.text(&self.run_id);
        c.count(self.seq);
        c.text(&self.created);
        c.time(self.window.start);
        c.time(self.window.end);
        c.text(&self.baseline_sha256);
        c.text(&self.config_sha256);
        c.text(&self.tool_version);
        c.text(&self.status);
        for n in [
            self.cases,
            self.cases_outside,
            self.cases_undated,
            self.checks,
            self.warnings,
            self.alerts,
        ] {
            c.count(n);
        }
        c.opt_text(self.supersedes.as_deref());
        c.text(&self.checks_sha256);
        c.finish()
    }

    pub fn to_batch(&self) -> RecordBatch {
        let text = |s: &str| Arc::new(arrow_array::StringArray::from(vec![s])) as ArrayRef;
        let count = |n: u64| Arc::new(UInt64Array::from(vec![n])) as ArrayRef;
        let time = |t: DateTime<Utc>| {
            let mut b = TimestampMicrosecondBuilder::new().with_timezone("UTC");
            b.append_value(t.timestamp_micros());
            Arc::new(b.finish()) as ArrayRef
        };
        let columns = vec![
            text(&self.run_id),
            count(self.seq),
            text(&self.created),
            time(self.window.start),
            time(self.window.end),
            text(&self.baseline_sha256),
            text(&self.config_sha256),
            text(&self.tool_version),
            text(&self.status),
            count(self.cases),
            count(self.cases_outside),
            count(self.cases_undated),
            count(self.checks),
            count(self.warnings),
            count(self.alerts),
            Arc::new(arrow_array::StringArray::from(vec![self
                .supersedes
                .as_deref()])),
            text(&self.checks_sha256),
        ];
        RecordBatch::try_new(runs_schema(), columns).expect("columns match the runs schema")
    }
}

/// The digest of a run's checks, in row order.
pub fn checks_digest(run_id: &str, rows: &[CheckRow]) -> String {
    let mut c = Canon::new("checks");
    for r in rows {
        c.text(run_id);
        c.text(&r.kind);
        c.text(&r.subject);
        c.opt_text(r.subgroup.as_deref());
        c.text(&r.test);
        c.text(&r.effect_name);
        c.text(&r.direction);
        for v in [
            r.statistic,
            r.p_value,
            r.q_value,
            r.effect,
            r.effect_ci_low,
            r.effect_ci_high,
        ] {
            c.opt_float(v);
        }
        c.float(r.threshold);
        c.float(r.alert_threshold);
        c.text(r.severity.as_str());
        c.opt_text(r.night_severity.map(Severity::as_str));
        c.opt_float(r.sequential_evidence);
        c.opt_float(r.sequential_statistic);
        c.count(r.n_baseline);
        c.count(r.n_serving);
    }
    c.finish()
}

/// A run's checks as one record batch.
pub fn checks_batch(run_id: &str, rows: &[CheckRow]) -> RecordBatch {
    let strings = |f: &dyn Fn(&CheckRow) -> Option<&str>| {
        let mut b = StringBuilder::new();
        rows.iter().for_each(|r| b.append_option(f(r)));
        Arc::new(b.finish()) as ArrayRef
    };
    let floats = |f: &dyn Fn(&CheckRow) -> Option<f64>| {
        let mut b = Float64Builder::new();
        rows.iter().for_each(|r| b.append_option(f(r)));
        Arc::new(b.finish()) as ArrayRef
    };
    let counts = |f: &dyn Fn(&CheckRow) -> u64| {
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(f))) as ArrayRef
    };
    let columns = vec![
        Arc::new(arrow_array::StringArray::from(vec![run_id; rows.len()])),
        strings(&|r| Some(&r.kind)),
        strings(&|r| Some(&r.subject)),
        strings(&|r| r.subgroup.as_deref()),
        strings(&|r| Some(&r.test)),
        strings(&|r| Some(&r.effect_name)),
        strings(&|r| Some(&r.direction)),
        floats(&|r| r.statistic),
        floats(&|r| r.p_value),
        floats(&|r| r.q_value),
        floats(&|r| r.effect),
        floats(&|r| r.effect_ci_low),
        floats(&|r| r.effect_ci_high),
        floats(&|r| Some(r.threshold)),
        floats(&|r| Some(r.alert_threshold)),
        strings(&|r| Some(r.severity.as_str())),
        strings(&|r| r.night_severity.map(Severity::as_str)),
        floats(&|r| r.sequential_evidence),
        floats(&|r| r.sequential_statistic),
        counts(&|r| r.n_baseline),
        counts(&|r| r.n_serving),
    ];
    RecordBatch::try_new(checks_schema(), columns).expect("columns match the checks schema")
}

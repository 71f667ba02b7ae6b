//! A sequence: the earlier runs that tonight's run continues — the same baseline and the
//! same config, with nothing else in between — and what a report reads from them: each
//! check's trend, since when it has been a finding, its sequential statistic, and the
//! windows that have no run.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::records::{kind_name, CheckRow, RunRow};
use crate::analysis::findings::{Check, Severity, TrendPoint};
use crate::table::window::{rfc3339, Window};

/// What identifies one check from night to night.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CheckKey {
    pub kind: String,
    pub subject: String,
    pub subgroup: Option<String>,
    pub test: String,
}

impl CheckKey {
    pub fn of(check: &Check) -> CheckKey {
        CheckKey {
            kind: kind_name(check.kind).to_string(),
            subject: check.subject.clone(),
            subgroup: check.subgroup.clone(),
            test: check.test.to_string(),
        }
    }

    pub fn of_row(row: &CheckRow) -> CheckKey {
        CheckKey {
            kind: row.kind.clone(),
            subject: row.subject.clone(),
            subgroup: row.subgroup.clone(),
            test: row.test.clone(),
        }
    }
}

/// One earlier run of the sequence with its checks.
#[derive(Debug, Clone)]
pub struct SequenceRun {
    pub run: RunRow,
    pub checks: HashMap<CheckKey, CheckRow>,
}

/// The latest earlier run that is *not* of this sequence: the history was written against
/// another baseline or config up to it, so tonight starts a new sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceChange {
    pub run_id: String,
    pub window: Window,
    pub baseline_changed: bool,
    pub config_changed: bool,
}

/// A stretch of time between two runs of the sequence (or between its last run and
/// tonight's window) that no run covered.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub span: Window,
    /// How many windows of the preceding run's length fit in it, rounded to the nearest:
    /// the number of missing nights for nightly runs. A stretch shorter than half a window
    /// (a cron job that started a few minutes late under `--since 24h`) is not a gap.
    pub windows: u64,
}

/// How long a check has been a finding without a break.
#[derive(Debug, Clone, PartialEq)]
pub struct Persistence {
    /// The start of the window of the earliest run of the unbroken stretch.
    pub since: DateTime<Utc>,
    /// Runs in the stretch, tonight's included.
    pub runs: u64,
}

#[derive(Debug, Clone)]
pub struct Sequence {
    pub(super) until: DateTime<Utc>,
    pub(super) runs: Vec<SequenceRun>,
    pub(super) change: Option<SequenceChange>,
}

impl Sequence {
    /// The earlier runs, oldest first, superseded ones left out.
    pub fn runs(&self) -> impl Iterator<Item = &RunRow> {
        self.runs.iter().map(|r| &r.run)
    }

    pub fn len(&self) -> usize {
        self.runs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Set when earlier runs exist but the one just before this sequence used another
    /// baseline or config: the report says the sequence restarted, and why.
    pub fn change(&self) -> Option<&SequenceChange> {
        self.change.as_ref()
    }

    /// The check in each earlier run that has it, oldest first.
    pub fn trend(&self, key: &CheckKey) -> Vec<TrendPoint> {
        self.runs
            .iter()
            .filter_map(|r| {
                let c = r.checks.get(key)?;
                Some(TrendPoint {
                    window_start: rfc3339(r.run.window.start),
                    effect: c.effect,
                    effect_ci_low: c.effect_ci_low,
                    effect_ci_high: c.effect_ci_high,
                    severity: c.severity,
                })
            })
            .collect()
    }

    /// Since when a check that is at `current` tonight has been at warn or above without a
    /// break: walking back over the earlier runs, a run without the check, or with it
    /// below warn, ends the stretch. A window with no run at all does not (nothing was
    /// seen against it; [`Sequence::gaps`] names it). `None` when tonight is below warn.
    pub fn persistence(&self, key: &CheckKey, current: Severity) -> Option<Persistence> {
        if current < Severity::Warn {
            return None;
        }
        let mut since = self.until;
        let mut runs = 1;
        for r in self.runs.iter().rev() {
            match r.checks.get(key) {
                Some(c) if c.severity >= Severity::Warn => {
                    since = r.run.window.start;
                    runs += 1;
                }
                _ => break,
            }
        }
        Some(Persistence { since, runs })
    }

    /// [`Sequence::persistence`]'s start as `Check::first_seen` holds it (RFC 3339).
    pub fn first_seen(&self, key: &CheckKey, current: Severity) -> Option<String> {
        self.persistence(key, current).map(|p| rfc3339(p.since))
    }

    /// The check in the latest earlier run that has it.
    pub fn last(&self, key: &CheckKey) -> Option<&CheckRow> {
        self.runs.iter().rev().find_map(|r| r.checks.get(key))
    }

    /// The sequential rule's statistic after the latest earlier run that recorded one for
    /// this check (`None`: the rule starts afresh).
    pub fn sequential_statistic(&self, key: &CheckKey) -> Option<f64> {
        self.runs
            .iter()
            .rev()
            .find_map(|r| r.checks.get(key).and_then(|c| c.sequential_statistic))
    }

    /// The stretches no run covered, between consecutive runs and up to tonight's start.
    pub fn gaps(&self) -> Vec<Gap> {
        let mut gaps = Vec::new();
        let starts = self
            .runs
            .iter()
            .skip(1)
            .map(|r| r.run.window.start)
            .chain([self.until]);
        for (prev, next_start) in self.runs.iter().map(|r| &r.run).zip(starts) {
            let covered = prev.window.end;
            if next_start > covered {
                let length = prev.window.length().num_microseconds().unwrap_or(i64::MAX);
                let span = (next_start - covered)
                    .num_microseconds()
                    .unwrap_or(i64::MAX);
                let (length, span) = (length.max(1) as u64, span as u64);
                let windows = span.saturating_add(length / 2) / length;
                if windows > 0 {
                    gaps.push(Gap {
                        span: Window {
                            start: covered,
                            end: next_start,
                        },
                        windows,
                    });
                }
            }
        }
        gaps
    }
}

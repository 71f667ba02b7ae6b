//! One night of the nightly job: its window read and selected, the audit run, and — with a
//! history folder — the nights before it read into the report (each finding's trend and
//! since when it has persisted, the nights missing) and tonight's run added.

use std::path::{Path, PathBuf};

use super::{run, Audit};
use crate::analysis::report::{HistorySummary, Report, WindowSummary};
use crate::analysis::sequential;
use crate::analysis::snapshot::{sha256_bytes, Snapshot};
use crate::analysis::window::Window;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::history::{CheckKey, CheckRow, History, NewRun, NightRecord, NightView, Reservation};
use crate::table::window::{rfc3339, Window as Span};

/// What one night's audit reads.
pub struct Night<'a> {
    pub headers: &'a [PathBuf],
    pub inferences: &'a [PathBuf],
    /// The time window (`--window`, `--since`); all cases read when `None`.
    pub span: Option<Span>,
    pub history: Option<&'a Path>,
}

/// Reads the night, audits it, and reads and extends the history.
pub fn nightly(snapshot: &Snapshot, night: &Night, config: &Config) -> Result<Audit> {
    if night.history.is_some() && night.span.is_none() {
        return Err(Error::Usage(
            "--history needs the night's window (--window START..END or --since 24h): the history is a sequence of windows".into(),
        ));
    }
    // The history is opened (and every file of it verified) before any work, so that an
    // altered history stops the run at once.
    let history = night.history.map(History::open).transpose()?;
    let (window, counts) = Window::read_parts(
        snapshot,
        night.headers,
        night.inferences,
        night.span.as_ref(),
    )?;
    let mut summary = WindowSummary::of(&window.cases, window.join.instances);
    if let (Some(span), Some(counts)) = (&night.span, counts) {
        summary.start = Some(rfc3339(span.start));
        summary.end = Some(rfc3339(span.end));
        summary.outside = Some(counts.outside);
        summary.undated = Some(counts.undated);
    }
    let mut audit = run(snapshot, window, summary, config)?;
    if let (Some(history), Some(span)) = (history, night.span) {
        audit.pending = Some(pending(history, &mut audit.report, snapshot, config, span)?);
    }
    Ok(audit)
}

/// A night from a count profile (`audit --profile`): drift from the counts, the window the
/// profile names, and with a history the same record as a night of rows.
pub fn nightly_profile(
    snapshot: &Snapshot,
    profile: &crate::analysis::profile::Profile,
    history: Option<&Path>,
    config: &Config,
) -> Result<Audit> {
    let m = &profile.manifest;
    let span = match (&m.window_start, &m.window_end) {
        (Some(a), Some(b)) => Some(crate::table::window::parse_window(&format!("{a}..{b}"))?),
        _ => None,
    };
    if history.is_some() && span.is_none() {
        return Err(Error::Usage(
            "--history needs the night's window, and the profile names none: profile the night with --window or --since".into(),
        ));
    }
    let history = history.map(History::open).transpose()?;
    let mut audit = super::run_profile(snapshot, profile, config)?;
    if let (Some(history), Some(span)) = (history, span) {
        audit.pending = Some(pending(history, &mut audit.report, snapshot, config, span)?);
    }
    Ok(audit)
}

/// Tonight's run, numbered in the history and holding its lock, not yet recorded: the
/// audit writes every output file first and then [`Pending::commit`]s, so that a run that
/// fails on writing leaves the history as it was (docs/history.md, "Commit last").
#[must_use = "a run is recorded only when its Pending commits"]
pub struct Pending {
    history: History,
    reservation: Reservation,
    run: NewRun,
    rows: Vec<CheckRow>,
    night: NightRecord,
}

impl Pending {
    /// Records the run — the last step of the audit — with where its report.html was
    /// written (`report_dir`, when the night has one), then rewrites the history's
    /// overview page, `DIR/index.html`, as `overview` renders the nights for the folder.
    pub fn commit(
        mut self,
        report_dir: Option<&Path>,
        overview: impl FnOnce(&[NightView], &Path) -> String,
    ) -> Result<PathBuf> {
        self.night.report_html = report_dir
            .map(|d| d.join("report.html"))
            .filter(|p| p.exists())
            .and_then(|p| relative(self.history.dir(), &p));
        self.history
            .commit(self.reservation, &self.run, &self.rows, &self.night)?;
        let dir = self.history.dir().to_path_buf();
        self.history.write_overview(|nights| overview(nights, &dir))
    }
}

/// `to` as a link from inside the folder `from` (`../audit/2026-12-01/report.html`), both
/// resolved first; `None` when either cannot be.
fn relative(from: &Path, to: &Path) -> Option<String> {
    let (from, to) = (from.canonicalize().ok()?, to.canonicalize().ok()?);
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?,
    );
    Some(parts.join("/"))
}

/// Reads the nights before `span` into `report` and adds tonight's run to the history at
/// once (`drill`, whose nights have no files of their own to write first).
pub fn record(
    history: &mut History,
    report: &mut Report,
    snapshot: &Snapshot,
    config: &Config,
    span: Span,
) -> Result<()> {
    let (reservation, run) = prepare(history, report, snapshot, config, span)?;
    let rows: Vec<CheckRow> = report.checks.iter().map(CheckRow::from).collect();
    let night = NightRecord::of(&report.changes, &report.findings);
    history.commit(reservation, &run, &rows, &night).map(|_| ())
}

/// Reads the nights before `span` into `report` (each check's trend and first-seen date,
/// the sequence it continues, the nights missing) and reserves tonight's run, whose id
/// and the run it supersedes the report then names.
fn prepare(
    history: &mut History,
    report: &mut Report,
    snapshot: &Snapshot,
    config: &Config,
    span: Span,
) -> Result<(Reservation, NewRun)> {
    let config_sha256 = sha256_bytes(config.to_yaml().as_bytes());
    let baseline_sha256 = snapshot.manifest_sha256.clone();
    let sequence = history.sequence(&baseline_sha256, &config_sha256, &span)?;
    if let Some(cusum) = config.sequential.cusum() {
        sequential::apply_all(
            &mut report.checks,
            |c| sequence.sequential_statistic(&CheckKey::of(c)),
            &cusum,
        );
        report.refresh();
    }
    for check in report.checks.iter_mut().chain(report.findings.iter_mut()) {
        let key = CheckKey::of(check);
        check.trend = sequence.trend(&key);
        check.first_seen = sequence.first_seen(&key, check.severity);
    }
    report.regroup();
    let mut summary = HistorySummary {
        earlier_runs: sequence.len() as u64,
        sequence_start: sequence
            .runs()
            .next()
            .map_or_else(|| rfc3339(span.start), |r| rfc3339(r.window.start)),
        restarted: sequence.change().map(|c| {
            let what = match (c.baseline_changed, c.config_changed) {
                (true, true) => "the baseline and the config",
                (true, false) => "the baseline",
                _ => "the config",
            };
            format!(
                "earlier runs (to {}) used another {what}: their evidence is not carried over, a new sequence starts tonight",
                rfc3339(c.window.end)
            )
        }),
        missing: sequence
            .gaps()
            .iter()
            .map(|g| format!("{} ({} window(s))", g.span, g.windows))
            .collect(),
        ..HistorySummary::default()
    };
    let new_run = NewRun {
        created: report.generated.clone(),
        window: span,
        baseline_sha256,
        config_sha256,
        status: report.status.as_str().to_string(),
        cases: report.window.cases,
        cases_outside: report.window.outside.unwrap_or(0),
        cases_undated: report.window.undated.unwrap_or(0),
    };
    let reservation = history.reserve(&new_run)?;
    summary.run_id = reservation.run_id.clone();
    summary.supersedes = reservation.supersedes.clone();
    report.history = Some(summary);
    Ok((reservation, new_run))
}

/// [`prepare`] into a [`Pending`] that owns the history until it commits.
fn pending(
    mut history: History,
    report: &mut Report,
    snapshot: &Snapshot,
    config: &Config,
    span: Span,
) -> Result<Pending> {
    let (reservation, run) = prepare(&mut history, report, snapshot, config, span)?;
    let rows = report.checks.iter().map(CheckRow::from).collect();
    let night = NightRecord::of(&report.changes, &report.findings);
    Ok(Pending {
        history,
        reservation,
        run,
        rows,
        night,
    })
}

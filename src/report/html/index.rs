//! The history's overview, `DIR/index.html`, rewritten by every audit that adds a run:
//! one row per night (its date, status, changes and a link to its report.html while that
//! file is there), and one line per change across the nights — the page a QA committee
//! opens first. The same rules as report.html: inline CSS and SVG, no script, the same
//! CSP, every chart with a title and a data table, dark mode, print.
//!
//! A change of one night is the same change on another when the two share a finding
//! (`kind/subject@subgroup`): a protocol change that shows first in slice thickness and
//! later also in exposure is one line. The line is the effect of the change's lead finding
//! (its first, as the latest night ranked them) on every night that checked it, so it
//! also shows the nights before the change began.

use std::collections::HashMap;
use std::path::Path;

use super::charts::badge;
use super::doc::{h, Doc, T};
use super::trend::{line, Line, Night};
use crate::analysis::findings::Severity;
use crate::history::{ChangeRow, CheckKey, NightView};
use crate::table::window::rfc3339;

/// Lines drawn at most; further changes are listed without one.
const MAX_LINES: usize = 24;

/// One change followed across nights.
struct Thread<'a> {
    /// Its row on each night it was found, oldest first: (night index, row).
    seen: Vec<(usize, &'a ChangeRow)>,
}

impl<'a> Thread<'a> {
    fn latest(&self) -> (usize, &'a ChangeRow) {
        *self.seen.last().expect("a thread has a night")
    }

    fn lead(&self) -> Option<&'a CheckKey> {
        self.seen.iter().rev().find_map(|(_, r)| r.lead.as_ref())
    }
}

/// Follows each change across nights: a change joins the thread of an earlier night's
/// change it shares a finding with (the latest such), or starts one.
fn threads(nights: &[NightView]) -> Vec<Thread<'_>> {
    let mut threads: Vec<Thread> = Vec::new();
    let mut by_finding: HashMap<&str, usize> = HashMap::new();
    for (i, night) in nights.iter().enumerate() {
        let Some(record) = &night.record else {
            continue;
        };
        let mut tonight: Vec<usize> = Vec::new();
        for row in &record.changes {
            let found = row
                .findings
                .iter()
                .filter_map(|f| by_finding.get(f.as_str()).copied())
                .filter(|t| !tonight.contains(t))
                .max();
            let t = found.unwrap_or_else(|| {
                threads.push(Thread { seen: Vec::new() });
                threads.len() - 1
            });
            threads[t].seen.push((i, row));
            tonight.push(t);
        }
        for &t in &tonight {
            let (_, row) = threads[t].latest();
            for f in &row.findings {
                by_finding.insert(f, t);
            }
        }
    }
    threads
}

fn day(night: &NightView) -> String {
    let (start, end) = (night.run.window.start, night.run.window.end);
    if end - start == chrono::Duration::days(1) && start.time() == chrono::NaiveTime::MIN {
        start.format("%Y-%m-%d").to_string()
    } else {
        format!("{} – {}", rfc3339(start), rfc3339(end))
    }
}

fn status_mark(status: &str) -> (&'static str, &'static str, &'static str) {
    match status {
        "alert" => ("alert", "▲", "ALERT"),
        "warn" => ("warn", "◆", "WARNING"),
        "ok" => ("ok", "✓", "OK"),
        "insufficient" => ("insufficient", "?", "INSUFFICIENT"),
        _ => ("insufficient", "?", "UNKNOWN"),
    }
}

fn status(doc: &mut Doc, status: &str) {
    let (class, mark, word) = status_mark(status);
    h!(doc; "<span class=\"sev ", class, "\">", mark, " ", word, "</span>");
}

/// The line of `key` over every night that checked it.
fn series<'a>(nights: &'a [NightView], key: &'a CheckKey) -> Option<Line<'a>> {
    let rows: Vec<(&NightView, &crate::history::CheckRow)> = nights
        .iter()
        .filter_map(|n| n.checks.get(key).map(|c| (n, c)))
        .collect();
    let (_, last) = rows.last()?;
    let points: Vec<Night> = rows
        .iter()
        .map(|(n, c)| {
            (
                day(n),
                c.effect,
                c.effect_ci_low,
                c.effect_ci_high,
                c.severity,
            )
        })
        .collect();
    Some(Line {
        subject: &key.subject,
        scope: key.subgroup.as_deref().unwrap_or("all cases"),
        effect_name: &last.effect_name,
        threshold: last.threshold,
        alert_threshold: last.alert_threshold,
        points,
        now: "latest",
    })
}

/// Renders the overview of `nights` (oldest first, as [`crate::history::History::nights`]
/// gives them) for the history folder `dir`: a report link is written only while its file
/// is there.
pub fn render(nights: &[NightView], dir: &Path) -> String {
    let mut doc = Doc::default();
    let latest = nights.last();
    let title = match latest {
        Some(n) => format!(
            "postmarket history: {} nights, the latest {} ({})",
            nights.len(),
            day(n),
            n.run.status
        ),
        None => "postmarket history: no nights yet".to_string(),
    };
    super::open(&mut doc, &title);
    h!(&mut doc; "<header><h1>postmarket history");
    if let Some(n) = latest {
        h!(&mut doc; ": the latest night, ", T(&day(n)), ", ");
        status(&mut doc, &n.run.status);
    }
    h!(&mut doc; "</h1>");
    context(&mut doc, nights);
    h!(&mut doc; "</header>\n");
    super::toc(
        &mut doc,
        &[
            ("changes", "Changes across nights"),
            ("nights", "Nights"),
            ("method", "How this page is made"),
        ],
    );
    let threads = ordered(nights);
    changes(&mut doc, nights, &threads);
    table(&mut doc, nights, &threads, dir);
    method(&mut doc, nights);
    super::close(&mut doc);
    doc.out
}

fn context(doc: &mut Doc, nights: &[NightView]) {
    let (Some(first), Some(last)) = (nights.first(), nights.last()) else {
        h!(doc; "<p>No run has been recorded in this history yet.</p>");
        return;
    };
    let with = nights
        .iter()
        .filter(|n| n.record.as_ref().is_some_and(|r| !r.changes.is_empty()))
        .count();
    let flagged = nights
        .iter()
        .filter(|n| n.run.status == "alert" || n.run.status == "warn")
        .count();
    h!(doc; "<p>", T(&format!(
        "{} nights from {} to {}: {flagged} with a warning or an alert, {with} with at least one change. Baseline {} · config {} · postmarket {}.",
        nights.len(),
        day(first),
        day(last),
        &last.run.baseline_sha256[..12.min(last.run.baseline_sha256.len())],
        &last.run.config_sha256[..12.min(last.run.config_sha256.len())],
        last.run.tool_version,
    )), "</p>");
}

/// The threads, those on the latest night first (most severe first, in its order), then
/// the others by the last night they were seen, latest first.
fn ordered(nights: &[NightView]) -> Vec<Thread<'_>> {
    let mut threads = threads(nights);
    let last = nights.len().saturating_sub(1);
    threads.sort_by(|a, b| {
        let (na, ra) = a.latest();
        let (nb, rb) = b.latest();
        let now = |n: usize| n == last;
        now(nb)
            .cmp(&now(na))
            .then(nb.cmp(&na))
            .then(rb.severity.cmp(&ra.severity))
            .then(ra.change_id.cmp(&rb.change_id))
    });
    threads
}

fn changes(doc: &mut Doc, nights: &[NightView], threads: &[Thread]) {
    h!(doc; "<section id=\"changes\"><h2>Changes across nights</h2>");
    if threads.is_empty() {
        h!(doc; "<p>No change on any night recorded here.</p></section>\n");
        return;
    }
    h!(doc; "<p>Each change with its lead finding's effect on every night that checked it (the nights before the change began too): the warn threshold dashed, the alert threshold dotted, each night's severity as a shape (▲ alert, ◆ warn, ○ pass).</p>");
    let last = nights.len() - 1;
    for (k, t) in threads.iter().enumerate() {
        let (n, row) = t.latest();
        let (first, _) = t.seen[0];
        let class = match row.severity {
            Severity::Alert => "card alert",
            Severity::Warn => "card warn",
            _ => "card",
        };
        h!(doc; "<article class=\"", class, "\"><h3>");
        badge(doc, row.severity);
        h!(doc; " ", T(&row.headline), "</h3><p class=\"mute\">", T(&format!(
            "{}; {} · found on {} of {} nights, first {}, {} · touches {}",
            row.category,
            if n == last { format!("on the latest night as {}", row.change_id) } else { "not on the latest night".to_string() },
            t.seen.len(),
            nights.len(),
            day(&nights[first]),
            if n == last { "still there".to_string() } else { format!("last {}", day(&nights[n])) },
            if row.features.is_empty() { "—" } else { &row.features },
        )), "</p>");
        match (k < MAX_LINES, t.lead().and_then(|key| series(nights, key))) {
            (true, Some(l)) => line(doc, &l, true, ""),
            (true, None) => {
                h!(doc; "<p class=\"mute\">No check of its lead finding is recorded to draw.</p>")
            }
            (false, _) => {}
        }
        h!(doc; "</article>\n");
    }
    if threads.len() > MAX_LINES {
        h!(doc; "<p class=\"mute\">", T(&format!(
            "Lines are drawn for the first {MAX_LINES} changes; the other {} are in the nights table.",
            threads.len() - MAX_LINES
        )), "</p>");
    }
    h!(doc; "</section>\n");
}

/// The nights, latest first, with a row where the sequence restarted (another baseline or
/// config) and one for each stretch no run covered.
fn table(doc: &mut Doc, nights: &[NightView], threads: &[Thread], dir: &Path) {
    h!(doc; "<section id=\"nights\"><h2>Nights</h2><div class=\"wide\"><table><tr><th>night</th><th>status</th><th class=\"n\">cases</th><th class=\"n\">alerts / warnings</th><th>changes</th><th>report</th></tr>");
    // The change's number on this page: its place in the changes section.
    let mut place: HashMap<(usize, &str), usize> = HashMap::new();
    for (k, t) in threads.iter().enumerate() {
        for (n, row) in &t.seen {
            place.insert((*n, row.change_id.as_str()), k + 1);
        }
    }
    for (i, night) in nights.iter().enumerate().rev() {
        let run = &night.run;
        h!(doc; "<tr><td class=\"d\">", T(&day(night)), "</td><td>");
        status(doc, &run.status);
        h!(doc; "</td><td class=\"n\">", run.cases, "</td><td class=\"n\">", run.alerts, " / ",
            run.warnings, "</td><td>");
        match &night.record {
            None => {
                h!(doc; "<span class=\"mute\">not recorded (run by postmarket ", T(&run.tool_version), ")</span>")
            }
            Some(r) if r.changes.is_empty() => h!(doc; "<span class=\"mute\">none</span>"),
            Some(r) => {
                h!(doc; "<ul class=\"changes\">");
                for c in &r.changes {
                    h!(doc; "<li>");
                    badge(doc, c.severity);
                    h!(doc; " ", T(&c.change_id), ": ", T(&c.headline));
                    if let Some(k) = place.get(&(i, c.change_id.as_str())) {
                        h!(doc; " <span class=\"mute\">(change ", *k, " above)</span>");
                    }
                    h!(doc; "</li>");
                }
                h!(doc; "</ul>");
            }
        }
        h!(doc; "</td><td>");
        match night.record.as_ref().and_then(|r| r.report_html.as_deref()) {
            Some(link) if dir.join(link).is_file() => {
                h!(doc; "<a href=\"", T(link), "\">report</a>")
            }
            Some(_) => h!(doc; "<span class=\"mute\">moved or removed</span>"),
            None => h!(doc; "<span class=\"mute\">—</span>"),
        }
        h!(doc; "</td></tr>");
        if let Some(before) = i.checked_sub(1).map(|j| &nights[j]) {
            let b = &before.run;
            let what = match (
                b.baseline_sha256 != run.baseline_sha256,
                b.config_sha256 != run.config_sha256,
            ) {
                (true, true) => Some("another baseline and config"),
                (true, false) => Some("another baseline"),
                (false, true) => Some("another config"),
                (false, false) => None,
            };
            if let Some(what) = what {
                h!(doc; "<tr><td colspan=\"6\" class=\"mute\">", T(&format!(
                    "From {} on: {what}; the sequential evidence starts again.", day(night)
                )), "</td></tr>");
            }
            if run.window.start > b.window.end {
                h!(doc; "<tr><td colspan=\"6\" class=\"mute\">", T(&format!(
                    "No run from {} to {}.", rfc3339(b.window.end), rfc3339(run.window.start)
                )), "</td></tr>");
            }
        }
    }
    h!(doc; "</table></div></section>\n");
}

fn method(doc: &mut Doc, nights: &[NightView]) {
    h!(doc; "<section id=\"method\"><h2>How this page is made</h2><p>");
    h!(doc; "Every audit that adds a run to this history folder rewrites this page from the folder's files, each verified against its recorded digest. A night is a run that no later rerun of its window replaced. A change of one night is the same change on another when they share a finding; its line is the effect of its lead finding on every night that checked that finding. Runs recorded before the changes were kept show their counts only. No patient data is stored in the history or shown here.");
    if let Some(n) = nights.last() {
        h!(doc; " Written after run ", T(&n.run.run_id), " (", T(&n.run.created), ").");
    }
    h!(doc; "</p></section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{CheckRow, NightRecord, RunRow};
    use crate::table::window::Window;
    use chrono::{TimeZone, Utc};

    const PLANTED: &str = "ACME<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

    fn key(subject: &str) -> CheckKey {
        CheckKey {
            kind: "feature-drift".into(),
            subject: subject.into(),
            subgroup: None,
            test: "wasserstein".into(),
        }
    }

    fn check(subject: &str, effect: f64, severity: Severity) -> CheckRow {
        CheckRow {
            kind: "feature-drift".into(),
            subject: subject.into(),
            subgroup: None,
            test: "wasserstein".into(),
            effect_name: "W1/SD".into(),
            direction: "larger".into(),
            statistic: None,
            p_value: None,
            q_value: None,
            effect: Some(effect),
            effect_ci_low: None,
            effect_ci_high: None,
            threshold: 0.1,
            alert_threshold: 0.2,
            severity,
            night_severity: None,
            sequential_evidence: None,
            sequential_statistic: None,
            n_baseline: 100,
            n_serving: 100,
        }
    }

    fn change(id: &str, headline: &str, findings: &[&str], lead: &str) -> ChangeRow {
        ChangeRow {
            change_id: id.into(),
            headline: headline.into(),
            category: "acquisition".into(),
            severity: Severity::Alert,
            first_seen: None,
            features: lead.into(),
            findings: findings.iter().map(|s| s.to_string()).collect(),
            lead: Some(key(lead)),
        }
    }

    fn night(day: u32, effect: f64, changes: Option<Vec<ChangeRow>>) -> NightView {
        let start = Utc.with_ymd_and_hms(2026, 12, day, 0, 0, 0).unwrap();
        let severity = if effect > 0.2 {
            Severity::Alert
        } else {
            Severity::Pass
        };
        let checks = [check("slice_thickness", effect, severity)]
            .into_iter()
            .map(|c| (CheckKey::of_row(&c), c))
            .collect();
        NightView {
            run: RunRow {
                run_id: format!("{day:06}-202612{day:02}T000000Z"),
                seq: u64::from(day),
                created: format!("2026-12-{day:02}T06:00:00Z"),
                window: Window::new(start, start + chrono::Duration::days(1)).unwrap(),
                baseline_sha256: "b".repeat(64),
                config_sha256: "c".repeat(64),
                tool_version: "0.1.0".into(),
                status: if effect > 0.2 { "alert" } else { "ok" }.into(),
                cases: 200,
                cases_outside: 0,
                cases_undated: 0,
                checks: 1,
                warnings: 0,
                alerts: u64::from(effect > 0.2),
                supersedes: None,
                checks_sha256: String::new(),
            },
            checks,
            record: changes.map(|changes| NightRecord {
                report_html: Some(format!("../audit/2026-12-{day:02}/report.html")),
                changes,
            }),
        }
    }

    #[test]
    fn a_change_is_one_line_across_nights_and_strings_are_text() {
        let nights = vec![
            night(1, 0.01, None),
            night(2, 0.02, Some(vec![])),
            night(
                3,
                0.5,
                Some(vec![change(
                    "C1",
                    &format!("slice thickness moved on {PLANTED}"),
                    &["feature-drift/slice_thickness"],
                    "slice_thickness",
                )]),
            ),
            night(
                4,
                0.6,
                Some(vec![
                    change(
                        "C1",
                        "a new model version",
                        &["model-output/score"],
                        "score",
                    ),
                    change(
                        "C2",
                        "slice thickness and exposure moved",
                        &["feature-drift/exposure", "feature-drift/slice_thickness"],
                        "slice_thickness",
                    ),
                ]),
            ),
        ];
        let page = render(&nights, Path::new("/nonexistent"));
        assert!(page.contains(super::super::CSP));
        assert!(!page.contains("<script") && !page.contains("<img"));
        assert!(page.contains("ACME&lt;script&gt;"));
        // Night 3's C1 and night 4's C2 share slice_thickness: one change, seen twice.
        assert!(page.contains("found on 2 of 4 nights, first 2026-12-03, still there"));
        assert!(page.contains("found on 1 of 4 nights, first 2026-12-04"));
        assert_eq!(page.matches("<article").count(), 2, "two changes");
        // Its line has every night that checked slice thickness, from before it began.
        assert!(page.contains("slice_thickness (all cases): W1/SD over 4 nights, latest 0.6"));
        // Latest night first; the first night says what it lacks; reports moved are named.
        let table = &page[page.find("id=\"nights\"").unwrap()..];
        let (n4, n1) = (
            table.find("<td class=\"d\">2026-12-04</td>").unwrap(),
            table.find("<td class=\"d\">2026-12-01</td>").unwrap(),
        );
        assert!(n4 < n1, "latest night first");
        assert!(page.contains("not recorded (run by postmarket 0.1.0)"));
        assert!(page.contains("moved or removed") && !page.contains("href=\"../audit"));
        for svg in page.split("<svg ").skip(1) {
            let id = svg.split('"').nth(3).unwrap();
            assert!(page.contains(&format!("<details id=\"{id}\">")), "{id}");
        }
    }

    #[test]
    fn an_empty_history_is_a_page_that_says_so() {
        let page = render(&[], Path::new("/nonexistent"));
        assert!(page.contains("No run has been recorded"));
        assert!(page.contains("No change on any night"));
    }
}

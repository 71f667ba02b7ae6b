//! The sections of report.html: context, summary, findings, trends, undecided checks, all
//! checks and the method.

use super::charts::{badge, distribution};
use super::doc::{h, Doc, T};
use super::trend::sparkline;
use crate::analysis::findings::{Check, Kind, Severity};
use crate::analysis::gate;
use crate::analysis::report::Report;
use crate::format::short;
use crate::report::markdown::{interval_text, q_text, what};

fn opt(v: Option<f64>) -> String {
    v.map_or("—".into(), short)
}

fn date(s: &str) -> &str {
    &s[..10.min(s.len())]
}

/// The start of tonight's window, for labelling the last point of a trend.
fn tonight(report: &Report) -> &str {
    let w = &report.window;
    w.start
        .as_deref()
        .or(w.first_inference.as_deref())
        .unwrap_or("tonight")
}

/// The window, the baseline, the history and the analyses, in sentences.
pub fn context(doc: &mut Doc, report: &Report) {
    let w = &report.window;
    let when = match (&w.first_inference, &w.last_inference) {
        (Some(a), Some(b)) => format!(", inferences from {} to {}", date(a), date(b)),
        _ => String::new(),
    };
    let model = report.baseline.model.as_ref().map_or(String::new(), |m| {
        format!(" for model {} {}", m.name, m.version)
    });
    let sha = &report.baseline.manifest_sha256[..12.min(report.baseline.manifest_sha256.len())];
    h!(doc; "<p>", T(&format!(
        "Serving window: {} cases ({} images){when}. Baseline: {} cases{model}, created {} (manifest SHA-256 {sha}).",
        w.cases, w.instances, report.baseline.cases, report.baseline.created
    )), "</p>");
    if let (Some(start), Some(end)) = (&w.start, &w.end) {
        h!(doc; "<p>", T(&format!(
            "Window {start} to {end} (half-open): {} cases in it, {} outside it, {} without a time to place them.",
            w.cases, w.outside.unwrap_or(0), w.undated.unwrap_or(0)
        )), "</p>");
    }
    if let Some(hist) = &report.history {
        let mut text = format!(
            "History: night {} of a sequence that started {} (same baseline and config)",
            hist.earlier_runs + 1,
            date(&hist.sequence_start)
        );
        if let Some(s) = &hist.supersedes {
            text.push_str(&format!("; this rerun supersedes run {s}"));
        }
        if let Some(why) = &hist.restarted {
            text.push_str(&format!("; new sequence: {why}"));
        }
        if !hist.missing.is_empty() {
            text.push_str(&format!("; no run for: {}", hist.missing.join("; ")));
        }
        h!(doc; "<p>", T(&text), ".</p>");
    }
}

pub fn summary(doc: &mut Doc, report: &Report) {
    let c = &report.counts;
    h!(doc; "<section id=\"summary\"><h2>Summary</h2><table><tr><th>status</th><th class=\"n\">▲ alert</th><th class=\"n\">◆ warn</th><th class=\"n\">● info</th><th class=\"n\">? not decided</th><th class=\"n\">checks</th></tr><tr><td>",
        T(report.status.as_str()), "</td><td class=\"n\">", c.alert, "</td><td class=\"n\">", c.warn,
        "</td><td class=\"n\">", c.info, "</td><td class=\"n\">", c.insufficient,
        "</td><td class=\"n\">", c.checks, "</td></tr></table>");
    if !report.changes.is_empty() {
        h!(doc; "<h3>What changed</h3><ol class=\"changes\">");
        for c in &report.changes {
            h!(doc; "<li>");
            badge(doc, c.severity);
            h!(doc; " <strong>", T(&c.id), "</strong> ", T(&c.headline));
            if let Some(since) = &c.first_seen {
                h!(doc; " <span class=\"mute\">(since ", T(date(since)), ")</span>");
            }
            h!(doc; "<br><strong>What to do:</strong> ", T(&c.action),
                " <span class=\"mute\">", T(&crate::report::markdown::touches(c)), "</span></li>");
        }
        h!(doc; "</ol>");
    }
    let performance = crate::analysis::performance::shown::overall(&report.checks);
    if let Some(statement) = &performance {
        h!(doc; "<p><strong>Performance, all cases:</strong> ", T(statement), ".</p>");
    }
    if !report.analyses.is_empty() {
        h!(doc; "<div class=\"wide\"><table><tr><th>analysis</th><th>ran</th><th>status</th><th class=\"n\">checks</th><th>note</th></tr>");
        for a in &report.analyses {
            let status = match (a.name, &performance) {
                ("performance", Some(s)) => s.as_str(),
                _ => a.status.map_or("—", |s| s.as_str()),
            };
            h!(doc; "<tr><td>", T(a.name), "</td><td>", if a.ran { "yes" } else { "no" }, "</td><td>",
                T(status), "</td><td class=\"n\">", a.checks,
                "</td><td>", T(a.note.as_deref().unwrap_or("")), "</td></tr>");
        }
        h!(doc; "</table></div>");
    }
    let j = &report.join;
    h!(doc; "<p class=\"mute\">", T(&format!(
        "Join: {} images in {} cases; {} cases with an inference, {} without; {} inferences without a case; {} duplicate inferences.",
        j.instances, j.cases, j.cases_with_inference, j.cases_without_inference,
        j.inferences_without_case, j.duplicate_inferences
    )), "</p></section>\n");
}

/// " since 2026-11-07, 6 nights" / " new tonight" for a finding from the history.
fn persisted(c: &Check) -> Option<String> {
    let since = c.first_seen.as_ref()?;
    let nights = 1 + c
        .trend
        .iter()
        .rev()
        .take_while(|t| t.severity >= Severity::Warn)
        .count();
    Some(if nights <= 1 {
        "first seen tonight".to_string()
    } else {
        format!("first seen {}, {nights} nights in a row", date(since))
    })
}

fn numbers(c: &Check) -> String {
    let alert = if c.alert_threshold != c.threshold {
        format!(", alert at {}", short(c.alert_threshold))
    } else {
        String::new()
    };
    format!(
        "{} {}{} (warn at {}{alert}); q {}; n {} baseline, {} serving",
        c.effect_name,
        opt(c.effect),
        interval_text(c),
        short(c.threshold),
        c.q_value.map_or("—".into(), q_text),
        c.n_baseline,
        c.n_serving
    )
}

fn card(doc: &mut Doc, c: &Check, tonight: &str) {
    let (class, _) = super::charts::symbol(c.severity);
    h!(doc; "<article class=\"card ", class, "\"><h3>");
    badge(doc, c.severity);
    h!(doc; " ", T(&what(c)), " <span class=\"mute\">(", T(c.subgroup.as_deref().unwrap_or("all cases")),
        ")</span></h3><p>", T(&c.summary), ". <span class=\"mute\">", T(&numbers(c)), ".</span></p>");
    if let Some(p) = persisted(c) {
        h!(doc; "<p>", T(&p), ".</p>");
    }
    if let Some(g) = &c.explained_by {
        h!(doc; "<p>Explained by the subgroup ", T(g), ": the change is found there and in no other subgroup of the same split.</p>");
    }
    if !c.action.is_empty() {
        h!(doc; "<p><strong>What to do:</strong> ", T(&c.action), "</p>");
    }
    h!(doc; "<div class=\"charts\">");
    if let Some(d) = &c.distribution {
        distribution(doc, c, d);
    }
    if !c.trend.is_empty() {
        sparkline(doc, c, tonight, true, "");
    }
    h!(doc; "</div></article>\n");
}

/// Findings in the report's order: each over all cases in full, a subgroup finding in full
/// when it is more severe than the same check over all cases (or that one is not a
/// finding), the others in one table.
pub fn findings(doc: &mut Doc, report: &Report) {
    h!(doc; "<section id=\"changed\"><h2>Findings</h2>");
    if report.findings.is_empty() {
        h!(doc; "<p>No check reached a warning (", report.counts.checks, " checks).</p>");
    } else {
        h!(doc; "<p>", report.findings.len(), " findings behind the ", report.changes.len(),
            " change(s) of the summary, one card each.</p><details><summary>Every finding</summary>");
    }
    let overall = |c: &Check| {
        report
            .findings
            .iter()
            .find(|o| o.subgroup.is_none() && o.subject == c.subject && o.kind == c.kind)
            .map(|o| o.severity)
    };
    let tonight = tonight(report);
    let mut folded = Vec::new();
    for c in &report.findings {
        match (&c.subgroup, overall(c)) {
            (Some(_), Some(s)) if s >= c.severity => folded.push(c),
            _ => card(doc, c, tonight),
        }
    }
    if !folded.is_empty() {
        h!(doc; "<h3>Also within subgroups</h3><p>These moved in a subgroup as they did over all cases.</p><div class=\"wide\"><table><tr><th>severity</th><th>check</th><th>subgroup</th><th>change</th><th class=\"n\">effect [interval]</th></tr>");
        for c in folded {
            h!(doc; "<tr><td>");
            badge(doc, c.severity);
            h!(doc; "</td><td>", T(&what(c)), "</td><td>", T(c.subgroup.as_deref().unwrap_or("")),
                "</td><td>", T(&c.summary), "</td><td class=\"n\">",
                T(&format!("{}{}", opt(c.effect), interval_text(c))), "</td></tr>");
        }
        h!(doc; "</table></div>");
    }
    if !report.findings.is_empty() {
        h!(doc; "</details>");
    }
    h!(doc; "</section>\n");
}

/// One forest plot: a metric's checks of one kind (all cases first, then each subgroup),
/// what its two sides are called and where the margin is drawn.
pub struct Forest<'a> {
    pub kind: Kind,
    pub metric: String,
    /// The `extra` keys of the two sides ("baseline" → "serving").
    pub sides: (&'static str, &'static str),
    /// The difference at which a fall counts (negative for a metric where higher is better).
    pub margin: f64,
    pub rows: Vec<&'a Check>,
}

impl Forest<'_> {
    /// The heading of the plot: the metric and what is compared.
    pub fn heading(&self) -> String {
        match self.kind {
            Kind::EstimatedPerformance => format!("{} (estimated from scores)", self.metric),
            Kind::Gate => format!("{} (candidate − reference)", self.metric),
            _ => self.metric.clone(),
        }
    }
}

/// Performance checks with both sides' values, one forest per (kind, metric) in the
/// report's order: realized (baseline → serving), estimated from calibrated scores
/// (baseline → estimate) and the release gate (reference → candidate).
pub fn forests(report: &Report) -> Vec<Forest<'_>> {
    let mut out: Vec<Forest> = Vec::new();
    for c in report.checks.iter().filter(|c| c.effect.is_some()) {
        let sides = match c.kind {
            Kind::Performance => ("baseline", "serving"),
            Kind::EstimatedPerformance => ("baseline", "estimate"),
            Kind::Gate => ("reference", "candidate"),
            _ => continue,
        };
        if !c.extra.contains_key(sides.0) || !c.extra.contains_key(sides.1) {
            continue;
        }
        match out
            .iter_mut()
            .find(|f| f.kind == c.kind && f.metric == c.subject)
        {
            Some(f) => f.rows.push(c),
            None => {
                // The gate's margin is a positive distance; Brier is worse when it rises.
                let margin = match c.kind {
                    Kind::Gate if c.subject == gate::Metric::Brier.name() => c.threshold,
                    Kind::Gate => -c.threshold,
                    _ => c.threshold,
                };
                out.push(Forest {
                    kind: c.kind,
                    metric: c.subject.clone(),
                    sides,
                    margin,
                    rows: vec![c],
                });
            }
        }
    }
    for f in &mut out {
        f.rows.sort_by_key(|c| c.subgroup.is_some());
    }
    out
}

/// Every check over all cases with a history (and every finding in a subgroup): its
/// effect over the nights.
pub fn trends(doc: &mut Doc, report: &Report) {
    h!(doc; "<section id=\"trends\"><h2>Trends over nights</h2><p>Each check's effect over the nights of this sequence, tonight last and larger; dashed: warn threshold, dotted: alert threshold; shapes: ▲ alert, ◆ warn, ● info, ○ pass.</p><div class=\"wide\"><table><tr><th>tonight</th><th>check</th><th>scope</th><th>first seen</th><th>effect over nights</th></tr>");
    let tonight = tonight(report);
    let rows: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| !c.trend.is_empty() && (c.subgroup.is_none() || c.is_finding()))
        .collect();
    for c in &rows {
        h!(doc; "<tr><td>");
        badge(doc, c.severity);
        h!(doc; "</td><td>", T(&what(c)), "</td><td>", T(c.subgroup.as_deref().unwrap_or("all cases")),
            "</td><td>", T(c.first_seen.as_deref().map_or("—", date)), "</td><td>");
        sparkline(doc, c, tonight, false, "trend-data");
        h!(doc; "</td></tr>");
    }
    h!(doc; "</table></div>");
    // One table of every night's effect behind all the sparklines.
    let mut nights: Vec<&str> = rows
        .iter()
        .flat_map(|c| c.trend.iter().map(|t| t.window_start.as_str()))
        .collect();
    nights.sort_unstable();
    nights.dedup();
    h!(doc; "<details id=\"trend-data\"><summary>Data: each check's effect per night (severity: ▲ alert, ◆ warn, ● info, ○ pass)</summary><div class=\"wide\"><table><tr><th>check</th><th>scope</th>");
    for n in &nights {
        h!(doc; "<th class=\"n\">", T(date(n)), "</th>");
    }
    h!(doc; "<th class=\"n\">tonight</th><th class=\"n\">warn / alert</th></tr>");
    let cell = |doc: &mut Doc, effect: Option<f64>, severity: Severity| {
        let (_, mark) = super::charts::symbol(severity);
        h!(doc; "<td class=\"n\">", T(&opt(effect)), " ", mark, "</td>");
    };
    for c in &rows {
        h!(doc; "<tr><td>", T(&c.subject), "</td><td>", T(c.subgroup.as_deref().unwrap_or("all")), "</td>");
        for n in &nights {
            match c.trend.iter().find(|t| t.window_start == *n) {
                Some(t) => cell(doc, t.effect, t.severity),
                None => h!(doc; "<td class=\"n\">no run</td>"),
            }
        }
        cell(doc, c.effect, c.severity);
        h!(doc; "<td class=\"n\">", T(&format!("{} / {}", short(c.threshold), short(c.alert_threshold))), "</td></tr>");
    }
    h!(doc; "</table></div></details></section>\n");
}

pub fn undecided(doc: &mut Doc, report: &Report) {
    let small = crate::analysis::drift::shown::small_subgroups(&report.checks);
    if report.insufficient.is_empty() && small.is_empty() {
        return;
    }
    h!(doc; "<section id=\"undecided\"><h2>Not decided</h2>");
    if !report.insufficient.is_empty() {
        h!(doc; "<p>Checks with too few cases to decide; none of them is a pass.</p><div class=\"wide\"><table><tr><th>check</th><th>subgroup</th><th>why</th></tr>");
        for c in &report.insufficient {
            h!(doc; "<tr><td>", T(&what(c)), "</td><td>", T(c.subgroup.as_deref().unwrap_or("all cases")),
                "</td><td>", T(&c.summary), "</td></tr>");
        }
        h!(doc; "</table></div>");
    }
    if !small.is_empty() {
        h!(doc; "<p>Too few cases to show even a large shift (twice the alert threshold), so a passing drift check here says little:</p><ul>");
        for s in &small {
            h!(doc; "<li>", T(&s.line()), "</li>");
        }
        h!(doc; "</ul>");
    }
    h!(doc; "</section>\n");
}

pub fn all_checks(doc: &mut Doc, report: &Report) {
    h!(doc; "<section id=\"checks\"><h2>All checks</h2><details><summary>All ", report.counts.checks,
        " checks, in a fixed order</summary><div class=\"wide\"><table class=\"all\"><tr><th>severity</th><th>kind</th><th>subject</th><th>subgroup</th><th>test</th><th class=\"n\">effect [interval]</th><th class=\"n\">warn / alert</th><th class=\"n\">q</th><th class=\"n\">n</th><th>change</th></tr>");
    // 345 rows in the demo: cells and rows close implicitly (HTML's optional end tags).
    for c in &report.checks {
        let (_, mark) = super::charts::symbol(c.severity);
        h!(doc; "<tr><td>", mark, " ", T(c.severity.as_str()), "<td>", T(c.kind.as_str()),
            "<td>", T(&c.subject), "<td>", T(c.subgroup.as_deref().unwrap_or("all")),
            "<td>", T(c.test), "<td>",
            T(&format!("{}{}", opt(c.effect), interval_text(c))), "<td>",
            T(&format!("{} / {}", short(c.threshold), short(c.alert_threshold))),
            "<td>", T(&c.q_value.map_or("—".into(), q_text)),
            "<td>", c.n_baseline, " / ", c.n_serving, "<td>", T(&c.summary), "\n");
    }
    h!(doc; "</table></div></details></section>\n");
}

pub fn method(doc: &mut Doc, report: &Report) {
    h!(doc; "<section id=\"method\"><h2>Method and identity</h2><ul>");
    for m in &report.method {
        h!(doc; "<li>", T(m), "</li>");
    }
    h!(doc; "</ul><table>");
    let b = &report.baseline;
    let rows = [
        ("tool", report.tool.clone()),
        ("generated", report.generated.clone()),
        ("baseline created", b.created.clone()),
        ("baseline manifest SHA-256", b.manifest_sha256.clone()),
        (
            "model",
            b.model
                .as_ref()
                .map_or("—".into(), |m| format!("{} {}", m.name, m.version)),
        ),
        ("baseline files", b.files.len().to_string()),
    ];
    for (k, v) in rows {
        h!(doc; "<tr><th>", k, "</th><td>", T(&v), "</td></tr>");
    }
    if let Some(hist) = &report.history {
        h!(doc; "<tr><th>run</th><td>", T(&hist.run_id), "</td></tr>");
    }
    h!(doc; "</table></section>\n");
}

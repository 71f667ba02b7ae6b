//! report.html: one self-contained page — inline CSS and SVG, no script, no network (a
//! Content-Security-Policy that allows inline styles and data: images only) — over the
//! same `Report` the other writers render. Every string from the data is escaped by
//! construction ([`doc`]); every chart has a title and a data table ([`charts`]).

mod charts;
pub mod doc;
pub mod drill;
mod sections;
mod style;
mod trend;

use std::io::{self, Write};

use doc::{h, Doc, T};

use crate::analysis::findings::Check;
use crate::analysis::report::{Report, Status};

/// The Content-Security-Policy of every page this module writes.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// The page's head and opening body, up to the header's title.
pub(crate) fn open(doc: &mut Doc, title: &str) {
    h!(doc; "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"", T(CSP), "\">",
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">",
        "<meta name=\"color-scheme\" content=\"light dark\"><title>", T(title), "</title><style>",
        style::CSS, "</style></head><body>\n");
}

pub(crate) fn close(doc: &mut Doc) {
    h!(doc; "</main></body></html>\n");
}

/// The table of contents: (anchor, heading) of each section present.
pub(crate) fn toc(doc: &mut Doc, entries: &[(&'static str, &'static str)]) {
    h!(doc; "<nav aria-label=\"Contents\"><h2>Contents</h2><ol>");
    for (id, name) in entries {
        h!(doc; "<li><a href=\"#", *id, "\">", *name, "</a></li>");
    }
    h!(doc; "</ol></nav>\n<main>");
}

fn headline(report: &Report) -> &'static str {
    let gate = report.command == "gate";
    match report.status {
        Status::Alert if gate => "FAIL — do not release the candidate",
        Status::Alert => "ALERT — action needed",
        Status::Warn => "WARNING — review recommended",
        Status::Insufficient => "INSUFFICIENT DATA — no conclusion possible",
        Status::Ok if gate => "PASS — the candidate is not worse than production",
        Status::Ok => "OK — nothing changed beyond the thresholds",
    }
}

fn status_mark(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Alert => ("alert", "▲"),
        Status::Warn => ("warn", "◆"),
        Status::Insufficient => ("insufficient", "?"),
        Status::Ok => ("ok", "✓"),
    }
}

/// Renders `report` as one HTML page.
pub fn render(report: &Report) -> String {
    let mut doc = Doc::default();
    let title = format!("postmarket {} report: {}", report.command, headline(report));
    open(&mut doc, &title);
    let (class, mark) = status_mark(report.status);
    h!(&mut doc; "<header><h1>postmarket ", T(&report.command), " report: <span class=\"sev ",
        class, "\">", mark, " ", headline(report), "</span></h1>");
    sections::context(&mut doc, report);
    h!(&mut doc; "</header>\n");
    let performance = sections::metrics(report);
    let clusters = report
        .checks
        .iter()
        .find(|c| c.distribution.is_some() && is_occupancy(c));
    let trends = report.checks.iter().any(|c| !c.trend.is_empty());
    let mut entries = vec![("summary", "Summary"), ("changed", "What changed")];
    if !performance.is_empty() {
        entries.push(("performance", "Performance by subgroup"));
    }
    if clusters.is_some() {
        entries.push(("clusters", "Acquisition clusters"));
    }
    if trends {
        entries.push(("trends", "Trends over nights"));
    }
    if !report.insufficient.is_empty() {
        entries.push(("undecided", "Not decided"));
    }
    entries.push(("checks", "All checks"));
    entries.push(("method", "Method and identity"));
    toc(&mut doc, &entries);
    sections::summary(&mut doc, report);
    sections::findings(&mut doc, report);
    if !performance.is_empty() {
        h!(&mut doc; "<section id=\"performance\"><h2>Performance by subgroup</h2><p>Each metric: the serving − baseline difference with its interval per subgroup; a fall counts when the whole interval is below the margin (dashed). Shapes: ▲ alert, ◆ warn, ● info, ○ pass.</p>");
        for (metric, rows) in &performance {
            h!(&mut doc; "<h3>", T(metric), "</h3>");
            trend::forest(&mut doc, metric, rows);
        }
        h!(&mut doc; "</section>\n");
    }
    if let Some(c) = clusters {
        h!(&mut doc; "<section id=\"clusters\"><h2>Acquisition clusters</h2><p>How the serving cases fill the baseline's clusters (each described by its modality, most common model, slice thickness and exposure). ");
        charts::badge(&mut doc, c.severity);
        h!(&mut doc; " ", T(&c.summary), ".</p>");
        if let Some(d) = &c.distribution {
            charts::distribution(&mut doc, c, d);
        }
        h!(&mut doc; "</section>\n");
    }
    if trends {
        sections::trends(&mut doc, report);
    }
    sections::undecided(&mut doc, report);
    sections::all_checks(&mut doc, report);
    sections::method(&mut doc, report);
    close(&mut doc);
    doc.out
}

fn is_occupancy(c: &Check) -> bool {
    c.kind == crate::analysis::findings::Kind::ClusterOccupancy && c.subgroup.is_none()
}

pub fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    out.write_all(render(report).as_bytes())
}

//! report.html: one self-contained page — inline CSS and SVG, no script, no network (a
//! Content-Security-Policy that allows inline styles and data: images only) — over the
//! same `Report` the other writers render. Every string from the data is escaped by
//! construction ([`doc`]); every chart has a title and a data table ([`charts`]).

mod charts;
pub mod doc;
pub mod drill;
pub mod index;
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
        "<meta http-equiv=\"Content-Security-Policy\" content=\"", CSP, "\">",
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
    let performance = sections::forests(report);
    let clusters = report
        .checks
        .iter()
        .find(|c| c.distribution.is_some() && is_occupancy(c));
    let trends = report.checks.iter().any(|c| !c.trend.is_empty());
    let mut entries = vec![("summary", "Summary"), ("changed", "Findings")];
    if !performance.is_empty() {
        entries.push(("performance", "Performance by subgroup"));
    }
    if clusters.is_some() {
        entries.push(("clusters", "Acquisition clusters"));
    }
    if trends {
        entries.push(("trends", "Trends over nights"));
    }
    if !report.insufficient.is_empty()
        || !crate::analysis::drift::shown::small_subgroups(&report.checks).is_empty()
    {
        entries.push(("undecided", "Not decided"));
    }
    entries.push(("checks", "All checks"));
    entries.push(("method", "Method and identity"));
    toc(&mut doc, &entries);
    sections::summary(&mut doc, report);
    sections::findings(&mut doc, report);
    if !performance.is_empty() {
        h!(&mut doc; "<section id=\"performance\"><h2>Performance by subgroup</h2><p>Each metric: the difference with its interval per subgroup — serving − baseline where labels have arrived, estimate − baseline from calibrated scores, candidate − reference for a release gate; a fall counts when the whole interval is beyond the margin (dashed); a release gate over all cases fails unless the whole interval stays on the good side of it. Shapes: ▲ alert, ◆ warn, ● info, ○ pass.</p>");
        for f in &performance {
            h!(&mut doc; "<h3>", T(&f.heading()), "</h3>");
            trend::forest(&mut doc, f);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::{Distribution, Kind, Severity, TrendPoint};
    use crate::analysis::report::{BaselineIdentity, WindowSummary};
    use crate::table::cases::JoinStats;

    const PLANTED: &str = "ACME<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

    fn report() -> Report {
        let mut c = Check::new(Kind::FeatureDrift, "manufacturer", "chi2");
        c.severity = Severity::Alert;
        c.subgroup = Some(format!("manufacturer = {PLANTED}"));
        c.summary = format!("share of {PLANTED:?}: 1% → 40%");
        c.set_effect(39.0, 30.0, 48.0);
        c.threshold = 5.0;
        c.alert_threshold = 10.0;
        c.distribution = Some(Distribution::Categorical {
            categories: vec![PLANTED.to_string(), "SIEMENS".to_string()],
            baseline: vec![0, 99],
            serving: vec![40, 60],
            changed: Some(PLANTED.to_string()),
        });
        c.trend = vec![TrendPoint {
            window_start: "2026-10-01T00:00:00Z".into(),
            effect: Some(1.0),
            effect_ci_low: Some(0.0),
            effect_ci_high: Some(3.0),
            severity: Severity::Pass,
        }];
        Report::new(
            "drift",
            vec![c],
            WindowSummary {
                cases: 100,
                instances: 100,
                ..WindowSummary::default()
            },
            BaselineIdentity {
                created: "2026-01-01T00:00:00Z".into(),
                manifest_sha256: "0".repeat(64),
                model: None,
                cases: 99,
                files: Vec::new(),
            },
            JoinStats::default(),
            vec![format!("method mentions {PLANTED}")],
        )
    }

    #[test]
    fn device_strings_are_text_never_markup() {
        let page = render(&report());
        assert!(!page.contains("<script"), "a script element");
        assert!(!page.contains("<img"), "an img element");
        assert!(page.contains("ACME&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img"));
        assert!(page.contains(CSP));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }

    #[test]
    fn every_chart_has_a_title_and_a_data_table() {
        let page = render(&report());
        let charts = page.matches("<svg ").count();
        assert!(
            charts >= 3,
            "distribution, trend in the card, trend row: {charts}"
        );
        for svg in page.split("<svg ").skip(1) {
            assert!(svg.starts_with("role=\"img\" aria-describedby=\""), "{svg}");
            let id = svg.split('"').nth(3).unwrap();
            assert!(page.contains(&format!("<details id=\"{id}\">")), "{id}");
            assert!(svg.contains("<title>") && svg.find("<title>") < svg.find("</svg>"));
        }
        assert!(page.contains("▲ ALERT"), "severity in words and shape");
        assert!(
            page.contains("NEW"),
            "a category the baseline never had is flagged"
        );
    }
}

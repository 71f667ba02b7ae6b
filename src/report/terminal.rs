//! Terminal tables (comfy-table) on stderr, with colour only when the user and the
//! terminal want it (`--color`, `NO_COLOR`).

use crate::analysis::report::Report;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, ContentArrangement, Table};

/// A two-column table of labels and values.
pub fn key_values(title: &str, rows: &[(String, String)], color: bool) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !color {
        table.force_no_tty();
    }
    let header = Cell::new(title);
    table.set_header(vec![
        if color {
            header.add_attribute(comfy_table::Attribute::Bold)
        } else {
            header
        },
        Cell::new(""),
    ]);
    for (k, v) in rows {
        table.add_row(vec![Cell::new(k), Cell::new(v)]);
    }
    table
}

/// `counts` as "A 12, B 3, …", most frequent first, at most `limit` entries.
pub fn top_counts<'a>(
    counts: impl IntoIterator<Item = (&'a String, &'a u64)>,
    limit: usize,
) -> String {
    let mut list: Vec<_> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut parts: Vec<String> = list
        .iter()
        .take(limit)
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    if list.len() > limit {
        parts.push(format!("… {} more", list.len() - limit));
    }
    if parts.is_empty() {
        "—".to_string()
    } else {
        parts.join(", ")
    }
}

/// The findings of a report as a table, most severe first, at most `limit` rows.
pub fn findings_table(
    report: &crate::analysis::report::Report,
    color: bool,
    limit: usize,
) -> Table {
    use crate::analysis::findings::Severity;
    use crate::format::short;
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !color {
        table.force_no_tty();
    }
    table.set_header(vec![
        "severity",
        "subject",
        "subgroup",
        "change",
        "effect [interval] (warn)",
        "q",
    ]);
    for c in report.findings.iter().take(limit) {
        let mut severity = Cell::new(c.severity.as_str());
        if color {
            severity = severity.fg(match c.severity {
                Severity::Alert => comfy_table::Color::Red,
                _ => comfy_table::Color::Yellow,
            });
        }
        table.add_row(vec![
            severity,
            Cell::new(&c.subject),
            Cell::new(c.subgroup.as_deref().unwrap_or("all")),
            Cell::new(&c.summary),
            Cell::new(format!(
                "{}{} ({})",
                c.effect.map_or("—".into(), short),
                super::markdown::interval_text(c),
                short(c.threshold)
            )),
            Cell::new(c.q_value.map_or("—".into(), super::markdown::q_text)),
        ]);
    }
    if report.findings.len() > limit {
        table.add_row(vec![
            Cell::new("…"),
            Cell::new(format!(
                "{} more in report.md",
                report.findings.len() - limit
            )),
        ]);
    }
    table
}

/// One night as a line: its date, cases, status and what it is about.
pub fn night_line(night: u32, day: chrono::NaiveDate, onset: u32, report: &Report) -> String {
    let top = report.findings.first().map_or(String::new(), |c| {
        format!(
            " — {}{}",
            c.subject,
            c.subgroup
                .as_ref()
                .map_or(String::new(), |g| format!(" ({g})"))
        )
    });
    format!(
        "night {night} {day}{}: {} cases, {} ({} alert, {} warn){top}",
        if night == onset {
            " [change starts]"
        } else {
            ""
        },
        report.window.cases,
        report.status.as_str(),
        report.counts.alert,
        report.counts.warn,
    )
}

/// The estimate for every serving case, the unlabelled ones included, beside the baseline
/// and (where labels arrived) the realized value.
pub fn estimates_line(report: &Report) -> Option<String> {
    let coverage = report
        .checks
        .iter()
        .find(|c| c.subject == "label coverage" && c.subgroup.is_none());
    let unlabelled = coverage.map_or(0, |c| {
        c.n_serving - c.extra.get("labelled").copied().unwrap_or(0.0) as u64
    });
    let estimates: Vec<String> = report
        .checks
        .iter()
        .filter(|c| {
            c.kind == crate::analysis::findings::Kind::EstimatedPerformance
                && c.subgroup.is_none()
                && c.extra.contains_key("estimate")
        })
        .map(|c| {
            format!(
                "{} {:.3} [{:.3}, {:.3}] (baseline {:.3}{})",
                c.subject,
                c.extra["estimate"],
                c.extra["ci_low"],
                c.extra["ci_high"],
                c.extra
                    .get("baseline_realized")
                    .unwrap_or(&c.extra["baseline"]),
                c.extra.get("realized").map_or(String::new(), |r| format!(
                    ", realized on the labelled {r:.3}"
                ))
            )
        })
        .collect();
    (!estimates.is_empty()).then(|| {
        format!(
            "Estimated from calibrated scores for all {} cases of the night ({unlabelled} not yet labelled): {}.",
            coverage.map_or(0, |c| c.n_serving),
            estimates.join("; ")
        )
    })
}

/// The changes, one line each with its action on the next: what a reader of the terminal
/// should see before any table.
pub fn changes_lines(report: &Report) -> Option<String> {
    if report.changes.is_empty() {
        return None;
    }
    let mut out = format!(
        "{} change(s) from {} finding(s):",
        report.changes.len(),
        report.findings.len()
    );
    for c in &report.changes {
        let since = c.first_seen.as_deref().map_or(String::new(), |d| {
            format!(" (since {})", &d[..10.min(d.len())])
        });
        out.push_str(&format!(
            "\n  {} {}{since}: {}\n     → {}",
            c.id,
            c.severity.as_str(),
            c.headline,
            c.action
        ));
    }
    Some(out)
}

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
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width()).unwrap_or(u16::MAX));
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

/// The width terminal output fits: `COLUMNS` when set, the terminal's own on a terminal,
/// else 100 (a pipe, a log file, cron's mail).
pub fn width() -> usize {
    use std::io::IsTerminal;
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n >= 40)
    {
        return n;
    }
    if std::io::stderr().is_terminal() {
        if let Some(w) = Table::new().width() {
            return usize::from(w).max(40);
        }
    }
    100
}

/// `text` wrapped at spaces to lines of at most `width` characters, the first starting with
/// `first`, the rest with `rest` (a hanging indent). Words are never split: one longer
/// than the line stands alone.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let len = |s: &str| s.chars().count();
        if !empty && len(&line) + 1 + len(word) > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(line.trim_end());
    out
}

/// The unit of an effect, as a reader of the table needs it beside the number.
pub fn unit(effect_name: &str) -> &'static str {
    match effect_name {
        "wasserstein/sd" => " W₁/SD",
        n if n.ends_with("(pp)") => " pp",
        "serving − baseline" => "",
        "ECE rise" => " ECE",
        _ => "",
    }
}

/// The findings of a report as a table, most severe first, at most `limit` rows, fitted to
/// `width` columns: the q column goes first, then the subgroup joins the subject, before
/// any cell wraps; a word is never split.
pub fn findings_table(report: &Report, color: bool, limit: usize, width: usize) -> Table {
    use crate::analysis::findings::Severity;
    use crate::format::short;
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(u16::try_from(width).unwrap_or(u16::MAX));
    if !color {
        table.force_no_tty();
    }
    let with_q = width >= 140;
    let with_subgroup = width >= 110;
    // Below this the change column's words no longer fit beside the rest; the changes
    // printed above the table already say what changed.
    let with_change = width >= 80;
    let mut header = vec!["severity", "subject"];
    if with_subgroup {
        header.push("subgroup");
    }
    if with_change {
        header.push("change");
    }
    header.push("effect [95%] (warn at)");
    if with_q {
        header.push("q");
    }
    table.set_header(header.clone());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut severities = Vec::new();
    for c in report.findings.iter().take(limit) {
        let group = c.subgroup.as_deref().unwrap_or("all");
        let mut row = vec![c.severity.as_str().to_string()];
        if with_subgroup {
            row.extend([c.subject.clone(), group.to_string()]);
        } else if c.subgroup.is_some() {
            row.push(format!("{} ({group})", c.subject));
        } else {
            row.push(c.subject.clone());
        }
        let u = unit(c.effect_name);
        if with_change {
            row.push(c.summary.clone());
        }
        row.push(format!(
            "{}{u}{} ({}{u})",
            c.effect.map_or("—".into(), short),
            super::markdown::interval_text(c),
            short(c.threshold)
        ));
        if with_q {
            row.push(c.q_value.map_or("—".into(), super::markdown::q_text));
        }
        severities.push(c.severity);
        rows.push(row);
    }
    if report.findings.len() > limit {
        let mut row = vec![
            "…".to_string(),
            format!("{} more in report.md", report.findings.len() - limit),
        ];
        row.resize(header.len(), String::new());
        rows.push(row);
        severities.push(Severity::Pass);
    }
    for (row, severity) in rows.iter().zip(&severities) {
        let cells: Vec<Cell> = row
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let cell = Cell::new(text);
                match (i, color, severity) {
                    (0, true, Severity::Alert) => cell.fg(comfy_table::Color::Red),
                    (0, true, Severity::Warn) => cell.fg(comfy_table::Color::Yellow),
                    _ => cell,
                }
            })
            .collect();
        table.add_row(cells);
    }
    // No column narrower than its longest word: identifiers are never split.
    for (i, name) in header.iter().enumerate() {
        let longest = rows
            .iter()
            .filter_map(|r| r.get(i))
            .flat_map(|t| t.split_whitespace())
            .chain(name.split_whitespace())
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(1);
        if let Some(column) = table.column_mut(i) {
            column.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                comfy_table::Width::Fixed(u16::try_from(longest + 2).unwrap_or(u16::MAX)),
            ));
        }
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

/// Realized performance over all cases beside the estimate for every case and the smallest
/// fall each metric could have shown: one statement, then one line per metric.
pub fn performance_lines(report: &Report, width: usize) -> Option<String> {
    use crate::analysis::findings::Kind;
    use crate::analysis::performance::shown;
    let groups = shown::groups(&report.checks);
    let overall = groups.iter().find(|g| g.subgroup.is_none())?;
    let mut out = wrap(
        &overall.statement(),
        width,
        "Performance, all cases: ",
        "  ",
    );
    let estimates = shown::estimates(&report.checks);
    let estimate = |metric: &str| estimates.iter().find(|c| c.subject == metric);
    let n_estimated = report
        .checks
        .iter()
        .find(|c| c.kind == Kind::EstimatedPerformance && c.subgroup.is_none())
        .map(|c| c.n_serving);
    let header = format!(
        "\n  {:<12} {:>8} {:>9} {:>11}  {}",
        "metric",
        "baseline",
        "labelled",
        "would show",
        n_estimated.map_or(String::new(), |n| format!("estimated, all {n} cases [95%]"))
    );
    let rows_before = out.len();
    for c in &overall.checks {
        let num = |k: &str| {
            c.extra
                .get(k)
                .map_or("—".to_string(), |v| format!("{v:.3}"))
        };
        let fall = c
            .extra
            .get("detectable_fall")
            .map_or("—".to_string(), |v| format!("−{v:.2}"));
        let est = estimate(&c.subject).map_or(String::new(), |e| {
            format!(
                "{:.3} [{:.3}, {:.3}]",
                e.extra["estimate"], e.extra["ci_low"], e.extra["ci_high"]
            )
        });
        if est.is_empty() && !c.extra.contains_key("serving") {
            continue;
        }
        let line = format!(
            "  {:<12} {:>8} {:>9} {:>11}  {est}",
            c.subject,
            num("baseline"),
            num("serving"),
            fall
        );
        out.push('\n');
        out.push_str(line.trim_end());
    }
    if out.len() > rows_before {
        out.insert_str(rows_before, header.trim_end());
    }
    Some(out)
}

/// The subgroups too small to show an alert-sized shift, the first three in full: "Drift,
/// too few cases to show a shift: thick-slices (31 serving cases): …; and 4 more".
pub fn small_subgroups_line(report: &Report, width: usize) -> Option<String> {
    let small = crate::analysis::drift::shown::small_subgroups(&report.checks);
    if small.is_empty() {
        return None;
    }
    let mut text: Vec<String> = small.iter().take(3).map(|s| s.line()).collect();
    if small.len() > 3 {
        text.push(format!(
            "and {} more (report.md, \"Not decided\")",
            small.len() - 3
        ));
    }
    Some(wrap(
        &text.join("; "),
        width,
        "Drift, too few cases to show a shift: ",
        "  ",
    ))
}

/// The changes, one wrapped paragraph each with its action below: what a reader of the
/// terminal should see before any table.
pub fn changes_lines(report: &Report, width: usize) -> Option<String> {
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
        let head = format!("  {} {}{since}: ", c.id, c.severity.as_str());
        out.push('\n');
        out.push_str(&wrap(&c.headline, width, &head, "     "));
        out.push('\n');
        out.push_str(&wrap(&c.action, width, "     → ", "       "));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_with_a_hanging_indent() {
        let text = "Confirm with the radiology team whether slice_thickness changed";
        let out = wrap(text, 30, "→ ", "  ");
        assert_eq!(
            out,
            "→ Confirm with the radiology\n  team whether slice_thickness\n  changed"
        );
        assert!(out.lines().all(|l| l.chars().count() <= 30));
    }

    #[test]
    fn a_word_longer_than_the_line_stands_alone_unsplit() {
        let out = wrap("see spacing_between_slices_and_more now", 12, "", "");
        assert_eq!(out, "see\nspacing_between_slices_and_more\nnow");
    }

    #[test]
    fn effects_name_their_units() {
        assert_eq!(unit("wasserstein/sd"), " W₁/SD");
        assert_eq!(unit("max share change (pp)"), " pp");
    }
}

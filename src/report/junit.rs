//! junit.xml: a report as JUnit test cases, for CI systems (GitLab, Jenkins, GitHub test
//! reporters).
//!
//! One `<testsuite name="postmarket {command}">`. First one `<testcase>` per change
//! (`classname` `change.{category}`, `name` `"C1: {headline}"`), its findings' numbers in
//! `<system-out>`, one line each; then one per check that is in no change (the passes, the
//! insufficient), `classname` the check's kind as in report.json and `name`
//! `"{subject} [{subgroup or all}]"`. So one event is one failure, not thirty. Severity
//! `alert` is a `<failure>` — the same level that makes the exit code 1 by default;
//! `insufficient` is `<skipped>`; `warn` passes with a note in `<system-out>`, since it does
//! not fail the run. Output is deterministic: report order, no timings.

use std::io::{self, Write};
use std::path::Path;

use crate::analysis::changes::{finding_id, Change};
use crate::analysis::findings::{Check, Severity};
use crate::analysis::report::Report;
use crate::error::Result;

pub fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    let grouped: std::collections::HashSet<&str> = report
        .changes
        .iter()
        .flat_map(|c| c.findings.iter().map(String::as_str))
        .collect();
    let ungrouped: Vec<&Check> = report
        .checks
        .iter()
        .filter(|c| !(c.is_finding() && grouped.contains(finding_id(c).as_str())))
        .collect();
    let count = |s: Severity| {
        report.changes.iter().filter(|c| c.severity == s).count()
            + ungrouped.iter().filter(|c| c.severity == s).count()
    };
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuite name="postmarket {}" tests="{}" failures="{}" errors="0" skipped="{}">"#,
        escape(&report.command),
        report.changes.len() + ungrouped.len(),
        count(Severity::Alert),
        count(Severity::Insufficient)
    )?;
    writeln!(out, "  <properties>")?;
    for (name, value) in [
        ("status", report.status.as_str()),
        ("tool", report.tool.as_str()),
        ("generated", report.generated.as_str()),
    ] {
        writeln!(
            out,
            r#"    <property name="{name}" value="{}"/>"#,
            escape(value)
        )?;
    }
    writeln!(out, "  </properties>")?;
    for change in &report.changes {
        write_change(change, report, &mut out)?;
    }
    for check in ungrouped {
        write_case(check, &mut out)?;
    }
    writeln!(out, "</testsuite>")
}

/// A change as one test case: a failure when it is an alert, its action as the failure's
/// text, and each of its findings' numbers in `<system-out>`.
fn write_change(change: &Change, report: &Report, out: &mut impl Write) -> io::Result<()> {
    let name = format!("{}: {}", change.id, change.headline);
    writeln!(
        out,
        r#"  <testcase classname="change.{}" name="{}">"#,
        escape(&change.category.replace(' ', "-")),
        escape(&name)
    )?;
    if change.severity == Severity::Alert {
        writeln!(
            out,
            r#"    <failure message="{}" type="alert">{}</failure>"#,
            escape(&change.headline),
            escape(&change.action)
        )?;
    }
    let lines: Vec<String> = report
        .findings
        .iter()
        .filter(|c| change.findings.contains(&finding_id(c)))
        .map(|c| {
            format!(
                "{} {} [{}]: {}",
                c.severity.as_str(),
                c.subject,
                c.subgroup.as_deref().unwrap_or("all"),
                message(c)
            )
        })
        .collect();
    let warn = if change.severity == Severity::Warn {
        format!("warn: {}\n", change.action)
    } else {
        String::new()
    };
    writeln!(
        out,
        "    <system-out>{}</system-out>",
        escape(&format!("{warn}{}", lines.join("\n")))
    )?;
    writeln!(out, "  </testcase>")
}

/// Writes the XML to `path`, in full or not at all.
pub fn write_file(report: &Report, path: &Path) -> Result<()> {
    crate::atomic::write_with(path, |out| write(report, out))
}

fn write_case(c: &Check, out: &mut impl Write) -> io::Result<()> {
    let kind = serde_json::to_value(c.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| c.kind.as_str().to_string());
    let name = format!("{} [{}]", c.subject, c.subgroup.as_deref().unwrap_or("all"));
    let open = format!(
        r#"  <testcase classname="{}" name="{}""#,
        escape(&kind),
        escape(&name)
    );
    match c.severity {
        Severity::Alert => {
            writeln!(out, "{open}>")?;
            writeln!(
                out,
                r#"    <failure message="{}" type="alert">{}</failure>"#,
                escape(&message(c)),
                escape(&c.action)
            )?;
            writeln!(out, "  </testcase>")
        }
        Severity::Insufficient => {
            writeln!(out, "{open}>")?;
            writeln!(
                out,
                r#"    <skipped message="insufficient: {}"/>"#,
                escape(&c.summary)
            )?;
            writeln!(out, "  </testcase>")
        }
        Severity::Warn => {
            writeln!(out, "{open}>")?;
            writeln!(
                out,
                "    <system-out>warn: {}</system-out>",
                escape(&message(c))
            )?;
            writeln!(out, "  </testcase>")
        }
        Severity::Pass | Severity::Info => writeln!(out, "{open}/>"),
    }
}

/// The summary followed by the numbers that decided: effect, interval, threshold, p/q, n.
fn message(c: &Check) -> String {
    let mut parts = vec![c.summary.clone()];
    if let Some(e) = c.effect {
        parts.push(format!("{} {}", c.effect_name, number(e)));
    }
    if let (Some(lo), Some(hi)) = (c.extra.get("ci_low"), c.extra.get("ci_high")) {
        parts.push(format!("CI [{}, {}]", number(*lo), number(*hi)));
    }
    parts.push(format!("threshold {}", number(c.threshold)));
    if let Some(p) = c.p_value {
        parts.push(format!("p {}", number(p)));
    }
    if let Some(q) = c.q_value {
        parts.push(format!("q {}", number(q)));
    }
    parts.push(format!("n {}/{}", c.n_baseline, c.n_serving));
    parts.join("; ")
}

fn number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else {
        format!("{}", (x * 1e4).round() / 1e4)
    }
}

/// Escapes text for XML attributes and content; characters XML 1.0 cannot carry at all
/// (control characters other than tab, newline, carriage return) become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape(r#"a<b & "c" > 'd'"#),
            "a&lt;b &amp; &quot;c&quot; &gt; &apos;d&apos;"
        );
    }

    #[test]
    fn non_ascii_text_is_kept_and_control_characters_replaced() {
        assert_eq!(escape("age ≥65 − 0.13"), "age ≥65 − 0.13");
        assert_eq!(escape("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(escape("line\nnext"), "line&#10;next");
    }

    #[test]
    fn small_numbers_use_scientific_notation() {
        assert_eq!(number(0.00001234), "1.23e-5");
        assert_eq!(number(-0.1349), "-0.1349");
        assert_eq!(number(0.0), "0");
    }
}

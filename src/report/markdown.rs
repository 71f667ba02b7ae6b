//! report.md: for a merge request or an email to clinicians. Plain words first — what
//! changed, who is affected, what to do — then the numbers and the method.

use std::io::Write;

use crate::analysis::findings::{Check, Severity};
use crate::analysis::performance::shown;
use crate::analysis::report::{Report, Status};
use crate::format::short;

pub fn write(report: &Report, mut out: impl Write) -> std::io::Result<()> {
    let gate = report.command == "gate";
    let headline = match report.status {
        Status::Alert if gate => "FAIL — do not release the candidate",
        Status::Alert => "ALERT — action needed",
        Status::Warn => "WARNING — review recommended",
        Status::Insufficient => "INSUFFICIENT DATA — no conclusion possible",
        Status::Ok if gate => "PASS — the candidate is not worse than production",
        Status::Ok => match report.command.as_str() {
            "performance" => "OK — no fall beyond the margins shown",
            "cluster" => "OK — serving cases fall where the baseline's did",
            "audit" => "OK — nothing changed beyond the thresholds",
            _ => "OK — no drift beyond the thresholds",
        },
    };
    writeln!(out, "# postmarket {} report: {headline}\n", report.command)?;
    let w = &report.window;
    let when = match (&w.first_inference, &w.last_inference) {
        (Some(a), Some(b)) => format!(
            ", inferences from {} to {}",
            &a[..10.min(a.len())],
            &b[..10.min(b.len())]
        ),
        _ => String::new(),
    };
    let model = report.baseline.model.as_ref().map_or(String::new(), |m| {
        format!(" for model {} {}", m.name, m.version)
    });
    let sha = &report.baseline.manifest_sha256[..12.min(report.baseline.manifest_sha256.len())];
    if gate {
        writeln!(
            out,
            "Candidate against the reference (production) model on {} paired cases{when}; reference identity `{sha}`.\n",
            w.cases
        )?;
    } else {
        writeln!(
            out,
            "Serving window: {} cases ({} images){when}. Baseline: {} cases{model}, created {} (manifest SHA-256 `{sha}`).\n",
            w.cases, w.instances, report.baseline.cases, report.baseline.created
        )?;
    }

    audit_context(report, &mut out)?;

    changes(report, &mut out)?;
    not_decided(report, &mut out)?;
    performance(report, &mut out)?;
    if !report.findings.is_empty() {
        writeln!(
            out,
            "## Findings\n\n<details><summary>{} findings, one line per feature</summary>\n",
            report.findings.len()
        )?;
    }
    // Findings in the report's order (most severe first), in full — except a subgroup
    // finding no more severe than the same check over all cases, which is folded into one
    // line per subject listing the subgroups it also moved in. Every finding is in "Details".
    let overall = |c: &Check| {
        report
            .findings
            .iter()
            .find(|o| o.subgroup.is_none() && o.subject == c.subject && o.kind == c.kind)
            .map(|o| o.severity)
    };
    // A finding over all cases that one subgroup explains is told as that subgroup's
    // finding ("sensitivity fell on thick slices"), first in its place.
    let explaining = |o: &Check| {
        o.explained_by.as_ref().and_then(|g| {
            report.findings.iter().find(|c| {
                c.subgroup.as_ref() == Some(g) && c.subject == o.subject && c.kind == o.kind
            })
        })
    };
    let told: Vec<&Check> = report.findings.iter().filter_map(explaining).collect();
    let mut also: Vec<(&str, Vec<&str>)> = Vec::new();
    for check in &report.findings {
        if told.iter().any(|t| std::ptr::eq(*t, check)) {
            continue;
        }
        if let Some(local) = explaining(check) {
            writeln!(
                out,
                "- {} Over all cases: {}; no other subgroup of that split changed, so this subgroup explains it.",
                sentence(local),
                check.summary
            )?;
            continue;
        }
        let group = check.subgroup.as_deref();
        match (group, overall(check)) {
            (Some(group), Some(severity)) if check.severity <= severity => {
                match also.iter_mut().find(|(s, _)| *s == check.subject) {
                    Some((_, groups)) => groups.push(group),
                    None => also.push((&check.subject, vec![group])),
                }
            }
            _ => writeln!(out, "- {}", sentence(check))?,
        }
    }
    for (subject, groups) in also {
        let shown: Vec<&str> = groups.iter().take(6).copied().collect();
        let more = groups.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        writeln!(
            out,
            "- {subject} also changed within {} subgroup(s): {}{more}.",
            groups.len(),
            shown.join("; ")
        )?;
    }
    if !report.findings.is_empty() {
        writeln!(out, "\n</details>\n")?;
    }

    if !report.findings.is_empty() {
        writeln!(
            out,
            "## Details\n\n<details><summary>Every finding's numbers</summary>\n"
        )?;
        writeln!(
            out,
            "| severity | kind | subject | subgroup | test | statistic | q | effect [95% interval] (warn / alert) | n baseline / serving |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|---|")?;
        for c in &report.findings {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} {}{} ({} / {}) | {} / {} |",
                c.severity.as_str(),
                c.kind.as_str(),
                c.subject,
                c.subgroup.as_deref().unwrap_or("all"),
                c.test,
                c.statistic.map_or("—".into(), short),
                c.q_value.map_or("—".into(), q_text),
                c.effect_name,
                c.effect.map_or("—".into(), short),
                interval_text(c),
                short(c.threshold),
                short(c.alert_threshold),
                c.n_baseline,
                c.n_serving
            )?;
        }
        writeln!(out, "\n</details>\n")?;
    }

    writeln!(out, "## Method\n")?;
    for line in &report.method {
        writeln!(out, "- {line}")?;
    }
    writeln!(
        out,
        "\n{} checks: {} alert, {} warn, {} info (significant, or a large point effect, without an interval that clears the warn threshold), {} insufficient. Generated {} by {}.",
        report.counts.checks,
        report.counts.alert,
        report.counts.warn,
        report.counts.info,
        report.counts.insufficient,
        report.generated,
        report.tool
    )
}

/// The changes first: one numbered item each, its headline and what it touches; then their
/// actions, one each, as a list to work through.
fn changes(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "## What changed\n")?;
    if report.changes.is_empty() {
        return writeln!(
            out,
            "No check reached a warning ({} checks).\n",
            report.counts.checks
        );
    }
    writeln!(
        out,
        "{} change(s), from {} finding(s) of {} checks:\n",
        report.changes.len(),
        report.findings.len(),
        report.counts.checks
    )?;
    for (i, c) in report.changes.iter().enumerate() {
        let since = c.first_seen.as_deref().map_or(String::new(), |d| {
            format!(" (since {})", &d[..10.min(d.len())])
        });
        writeln!(
            out,
            "{}. **{}**{since}: {}",
            i + 1,
            c.severity.as_str().to_uppercase(),
            c.headline
        )?;
        writeln!(out, "   {}", touches(c))?;
    }
    writeln!(out, "\n## What to do\n")?;
    let mut seen: Vec<&str> = Vec::new();
    for c in &report.changes {
        if !seen.contains(&c.action.as_str()) {
            seen.push(&c.action);
            writeln!(out, "{}. {} ({})", seen.len(), c.action, c.id)?;
        }
    }
    writeln!(out)
}

/// "C1: 33 finding(s) on kvp, exposure_mas; 8 subgroup(s); 2 acquisition cluster(s)."
pub fn touches(c: &crate::analysis::changes::Change) -> String {
    let mut parts = vec![format!(
        "{}: {} finding(s) on {}",
        c.id,
        c.findings.len(),
        c.features.join(", ")
    )];
    if !c.subgroups.is_empty() {
        parts.push(format!("{} subgroup(s)", c.subgroups.len()));
    }
    if !c.clusters.is_empty() {
        parts.push(format!("{} acquisition cluster(s)", c.clusters.len()));
    }
    format!("{}.", parts.join("; "))
}

/// The checks that could not decide, grouped: the features that share a reason and the
/// same places (all cases, subgroups) are one line.
fn not_decided(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let small = crate::analysis::drift::shown::small_subgroups(&report.checks);
    if report.insufficient.is_empty() && small.is_empty() {
        return Ok(());
    }
    writeln!(out, "## Not decided\n")?;
    for line in not_decided_lines(report) {
        writeln!(out, "- {line}")?;
    }
    if !small.is_empty() {
        writeln!(
            out,
            "\nToo few cases to show even a large shift (twice the alert threshold), so a passing drift check here says little:\n"
        )?;
        for s in &small {
            writeln!(out, "- {}", s.line())?;
        }
    }
    writeln!(out)
}

/// One line per reason and set of places: "echo_time, repetition_time: too few values to
/// compare (need 30 on each side) — all cases and 26 subgroup(s)".
pub fn not_decided_lines(report: &Report) -> Vec<String> {
    // reason → subject → places, in the report's order.
    type Places<'a> = Vec<Option<&'a str>>;
    let mut by_reason: Vec<(&str, Vec<(&str, Places)>)> = Vec::new();
    // Reasons that differ only in their counts are one reason; the line quotes the first.
    let shape = |r: &str| -> String { r.chars().filter(|c| !c.is_ascii_digit()).collect() };
    for c in &report.insufficient {
        let reason = c.summary.as_str();
        let at = if let Some(i) = by_reason
            .iter()
            .position(|(r, _)| shape(r) == shape(reason))
        {
            i
        } else {
            by_reason.push((reason, Vec::new()));
            by_reason.len() - 1
        };
        let subjects = &mut by_reason[at].1;
        match subjects.iter_mut().find(|(s, _)| *s == c.subject) {
            Some((_, places)) => places.push(c.subgroup.as_deref()),
            None => subjects.push((&c.subject, vec![c.subgroup.as_deref()])),
        }
    }
    let mut lines = Vec::new();
    for (reason, subjects) in &by_reason {
        let mut groups: Vec<(Vec<&str>, &Places)> = Vec::new();
        for (subject, places) in subjects {
            match groups.iter_mut().find(|(_, p)| *p == places) {
                Some((names, _)) => names.push(subject),
                None => groups.push((vec![subject], places)),
            }
        }
        for (names, places) in groups {
            let overall = places.iter().any(Option::is_none);
            let subgroups: Vec<&str> = places.iter().flatten().copied().collect();
            let place = match (overall, subgroups.as_slice()) {
                (true, []) => "all cases".to_string(),
                (true, s) => format!("all cases and {} subgroup(s)", s.len()),
                (false, [one]) => (*one).to_string(),
                (false, s) => format!("{} subgroups", s.len()),
            };
            let example = if subgroups.len() + usize::from(overall) > 1
                && report
                    .insufficient
                    .iter()
                    .any(|c| c.summary != *reason && shape(&c.summary) == shape(reason))
            {
                format!(
                    " (counts of {})",
                    places.first().copied().flatten().unwrap_or("all cases")
                )
            } else {
                String::new()
            };
            // Quote the counts of the place the line names first.
            let first = places.first().copied().flatten();
            let quoted = report
                .insufficient
                .iter()
                .find(|c| c.subject == names[0] && c.subgroup.as_deref() == first)
                .map_or(*reason, |c| c.summary.as_str());
            lines.push(format!("{}: {quoted}{example} — {place}", names.join(", ")));
        }
    }
    lines
}

/// Realized performance beside the estimate for every case, and the smallest fall each
/// check could have shown: "no fall shown" is said with what it is worth.
fn performance(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let groups = shown::groups(&report.checks);
    let Some(overall) = groups.iter().find(|g| g.subgroup.is_none()) else {
        return Ok(());
    };
    writeln!(
        out,
        "## Performance
"
    )?;
    writeln!(
        out,
        "Over all cases: {}.
",
        overall.statement()
    )?;
    let estimates = shown::estimates(&report.checks);
    writeln!(
        out,
        "| metric | baseline | tonight (labelled) | difference [95%] | margin | a fall that would show | estimated for all cases [95%] |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|")?;
    for c in &overall.checks {
        let get = |k: &str| c.extra.get(k).copied();
        let estimate = estimates
            .iter()
            .find(|e| e.subject == c.subject)
            .and_then(|e| {
                Some(format!(
                    "{:.3} [{:.3}, {:.3}] (n {})",
                    e.extra.get("estimate")?,
                    e.extra.get("ci_low")?,
                    e.extra.get("ci_high")?,
                    e.n_serving
                ))
            })
            .unwrap_or_else(|| "—".into());
        let num = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.3}"));
        writeln!(
            out,
            "| {} | {} | {} (n {}) | {} | {} | {} | {estimate} |",
            c.subject,
            num(get("baseline")),
            num(get("serving")),
            c.n_serving,
            match (c.effect, get("ci_low"), get("ci_high")) {
                (Some(d), Some(lo), Some(hi)) => format!("{d:+.3} [{lo:+.3}, {hi:+.3}]"),
                _ => "not decided".into(),
            },
            short(-c.threshold),
            get("detectable_fall").map_or("—".into(), |f| format!("{f:.2}")),
        )?;
    }
    let subgroups: Vec<_> = groups.iter().filter(|g| g.subgroup.is_some()).collect();
    if !subgroups.is_empty() {
        writeln!(
            out,
            "\n<details><summary>By subgroup: {} subgroups</summary>\n",
            subgroups.len()
        )?;
        writeln!(
            out,
            "A fall that each subgroup's labelled cases would show (power {}), or why none:\n",
            report_power(report)
        )?;
        writeln!(
            out,
            "| subgroup | labelled | performance | auroc | sensitivity | specificity | ppv | npv |"
        )?;
        writeln!(out, "|---|---|---|---|---|---|---|---|")?;
        for g in subgroups {
            let status = match g.statement() {
                s if s.starts_with("fell") => s,
                _ if g.weakest().is_some() => "no fall shown".to_string(),
                _ => "not decided".to_string(),
            };
            let falls: Vec<String> = g
                .checks
                .iter()
                .map(|c| {
                    c.extra
                        .get("detectable_fall")
                        .map_or("—".into(), |f| format!("{f:.2}"))
                })
                .collect();
            writeln!(
                out,
                "| {} | {} | {status} | {} |",
                g.subgroup.unwrap_or("all"),
                g.labelled(),
                falls.join(" | ")
            )?;
        }
        writeln!(out, "\n</details>")?;
    }
    writeln!(out)
}

/// The power the detectable falls are quoted at (`performance.power`).
fn report_power(report: &Report) -> String {
    report
        .checks
        .iter()
        .find_map(|c| c.extra.get("power"))
        .map_or("—".into(), |p| short(*p))
}

/// For `audit`: the selected window, the sequence of nights, and the analyses run or not.
fn audit_context(report: &Report, out: &mut impl Write) -> std::io::Result<()> {
    let w = &report.window;
    if let (Some(start), Some(end)) = (&w.start, &w.end) {
        writeln!(
            out,
            "Window {start} to {end} (half-open): {} cases in it, {} outside it, {} without a time to place them.\n",
            w.cases,
            w.outside.unwrap_or(0),
            w.undated.unwrap_or(0)
        )?;
    }
    if let Some(h) = &report.history {
        let nights = h.earlier_runs + 1;
        writeln!(
            out,
            "History: night {nights} of a sequence that started {} (same baseline and config){}.",
            h.sequence_start,
            h.supersedes.as_ref().map_or(String::new(), |s| format!(
                "; this rerun supersedes run {s}"
            ))
        )?;
        if let Some(why) = &h.restarted {
            writeln!(out, "New sequence: {why}.")?;
        }
        if !h.missing.is_empty() {
            writeln!(out, "No run for: {}.", h.missing.join("; "))?;
        }
        writeln!(out)?;
    }
    let skipped: Vec<String> = report
        .analyses
        .iter()
        .filter(|a| !a.ran)
        .map(|a| format!("{} ({})", a.name, a.note.as_deref().unwrap_or("skipped")))
        .collect();
    if !report.analyses.is_empty() {
        let ran: Vec<String> = report
            .analyses
            .iter()
            .filter(|a| a.ran)
            .map(|a| match (a.name, shown::overall(&report.checks)) {
                ("performance", Some(statement)) => format!("performance: {statement}"),
                _ => format!("{} {}", a.name, a.status.map_or("", |s| s.as_str())),
            })
            .collect();
        writeln!(
            out,
            "Analyses: {}{}.\n",
            if ran.is_empty() {
                "none".to_string()
            } else {
                ran.join(", ")
            },
            if skipped.is_empty() {
                String::new()
            } else {
                format!("; not run: {}", skipped.join("; "))
            }
        )?;
    }
    Ok(())
}

/// " — since 2026-11-07, 6 nights" for a finding that has persisted, else nothing.
fn persisted(c: &Check) -> String {
    let Some(since) = &c.first_seen else {
        return String::new();
    };
    let nights = 1 + c
        .trend
        .iter()
        .rev()
        .take_while(|t| t.severity >= Severity::Warn)
        .count();
    if nights <= 1 {
        return " — new tonight".to_string();
    }
    format!(
        " — since {}, {nights} nights",
        &since[..10.min(since.len())]
    )
}

pub fn q_text(q: f64) -> String {
    if q < 0.001 {
        "< 0.001".into()
    } else {
        format!("{q:.3}")
    }
}

/// " [low, high]" for a check with an effect interval, else nothing.
pub fn interval_text(c: &Check) -> String {
    match (c.effect_ci_low, c.effect_ci_high) {
        (Some(low), Some(high)) => format!(" [{}, {}]", short(low), short(high)),
        _ => String::new(),
    }
}

/// What a check is about, in words: "kvp changed", "New manufacturer value".
pub fn what(c: &Check) -> String {
    crate::analysis::changes::what(c)
}

/// One finding as a sentence a clinician can read.
pub fn sentence(c: &Check) -> String {
    let what = what(c);
    let scope = c
        .subgroup
        .as_deref()
        .map_or(" (all cases)".to_string(), |g| format!(" ({g})"));
    let interval = interval_text(c);
    format!(
        "**{}: {what}**{scope}{}: {}; {} {}{interval} (warn at {}), q {}.",
        c.severity.as_str().to_uppercase(),
        persisted(c),
        c.summary,
        c.effect_name,
        c.effect.map_or("—".into(), short),
        short(c.threshold),
        c.q_value.map_or("—".into(), |q| if q < 0.001 {
            "< 0.001".into()
        } else {
            format!("= {q:.3}")
        })
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::Kind;
    use crate::analysis::report::{BaselineIdentity, WindowSummary};
    use crate::table::cases::JoinStats;

    fn finding(subject: &str, subgroup: Option<&str>, severity: Severity) -> Check {
        Check {
            subgroup: subgroup.map(str::to_string),
            severity,
            summary: format!("{subject} moved"),
            ..Check::new(Kind::FeatureDrift, subject, "ks")
        }
    }

    fn what_changed(checks: Vec<Check>) -> String {
        let report = Report::new(
            "drift",
            checks,
            WindowSummary {
                cases: 100,
                instances: 100,
                ..WindowSummary::default()
            },
            BaselineIdentity {
                created: "2026-01-01T00:00:00Z".into(),
                manifest_sha256: "0".repeat(64),
                model: None,
                cases: 100,
                files: Vec::new(),
            },
            JoinStats::default(),
            Vec::new(),
        );
        let mut out = Vec::new();
        write(&report, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let start = text.find("## Findings").unwrap();
        let end = text.find("</details>").unwrap();
        text[start..end].to_string()
    }

    #[test]
    fn subgroup_findings_fold_under_the_overall_one_unless_they_are_more_severe() {
        let text = what_changed(vec![
            finding("kvp", None, Severity::Warn),
            finding("kvp", Some("sex = F"), Severity::Warn),
            finding("kvp", Some("sex = M"), Severity::Alert),
            finding("age", Some("sex = F"), Severity::Warn),
        ]);
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("- ")).collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].starts_with("- **ALERT: kvp changed** (sex = M)"),
            "{text}"
        );
        assert!(
            lines[1].starts_with("- **WARN: kvp changed** (all cases)"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("- **WARN: age changed** (sex = F)"),
            "{text}"
        );
        assert_eq!(
            lines[3],
            "- kvp also changed within 1 subgroup(s): sex = F."
        );
    }
}

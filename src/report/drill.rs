//! drill.json, drill.md and the drill's JUnit: one test case per scenario.

use std::io::{self, Write};
use std::path::Path;

use super::junit::escape;
use crate::analysis::drill::Drill;
use crate::atomic;
use crate::error::Result;
use crate::format::short;

/// Writes drill.json, drill.md and drill.html into `dir`, all or none.
pub fn write_files(drill: &Drill, dir: &Path) -> Result<()> {
    let json = atomic::stage_with(&dir.join("drill.json"), |out| {
        serde_json::to_writer_pretty(&mut *out, drill)?;
        writeln!(out)
    })?;
    let md = atomic::stage_with(&dir.join("drill.md"), |out| markdown(drill, out))?;
    let page = atomic::stage_with(&dir.join("drill.html"), |out| {
        out.write_all(super::html::drill::render(drill).as_bytes())
    })?;
    json.commit()?;
    md.commit()?;
    page.commit()
}

fn opt(v: Option<f64>) -> String {
    v.map_or("—".into(), short)
}

pub fn markdown(d: &Drill, out: &mut dyn Write) -> io::Result<()> {
    let failed = d.scenarios.iter().filter(|s| !s.passed).count();
    writeln!(
        out,
        "# postmarket drill: {}\n",
        if failed == 0 {
            "PASS — every scenario is caught in time".to_string()
        } else {
            format!(
                "FAIL — {failed} scenario(s) not caught within {} nights",
                d.max_delay_nights
            )
        }
    )?;
    writeln!(
        out,
        "{} nights of {} cases resampled from the baseline (`{}`), the scenario from night {}{}, {} repeat(s), seed {}. Every night runs the audit — the analyses, the history and its sequential rule — as `postmarket audit` does.\n",
        d.nights,
        d.cases_per_night,
        &d.baseline_manifest_sha256[..12.min(d.baseline_manifest_sha256.len())],
        d.onset,
        if d.ramp { " (ramped to full strength on the last night)" } else { " (sudden)" },
        d.repeats,
        d.seed
    )?;
    writeln!(
        out,
        "| scenario | passed | false alarms / 100 nights | median delay (nights) | p90 delay | median delay (cases) | missed | detected by |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|")?;
    for s in &d.scenarios {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            s.name,
            if s.passed { "yes" } else { "**no**" },
            short(s.false_alarms_per_100_nights),
            opt(s.median_delay_nights),
            opt(s.p90_delay_nights),
            opt(s.median_delay_cases),
            s.missed_share
                .map_or("—".into(), |m| format!("{:.0}%", 100.0 * m)),
            s.detected_by
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        )?;
    }
    writeln!(out)?;
    for s in &d.scenarios {
        writeln!(out, "- **{}**: {}", s.name, s.description)?;
    }
    writeln!(
        out,
        "\nDelays count the onset night as 1; missed = no alert from the onset to the last night. Generated {} by {}.",
        d.generated, d.tool
    )
}

/// JUnit XML: one test case per scenario, failed when it is not caught in time.
pub fn write_junit(d: &Drill, path: &Path) -> Result<()> {
    atomic::write_with(path, |out| {
        let failures = d.scenarios.iter().filter(|s| !s.passed).count();
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuite name="postmarket drill" tests="{}" failures="{failures}">"#,
            d.scenarios.len()
        )?;
        for s in &d.scenarios {
            write!(
                out,
                r#"  <testcase classname="drill" name="{}""#,
                escape(&s.name)
            )?;
            if s.passed {
                writeln!(out, "/>")?;
            } else {
                writeln!(out, ">")?;
                writeln!(
                    out,
                    r#"    <failure message="{}"/>"#,
                    escape(&format!(
                        "median delay {} nights (max {}), missed in {}",
                        opt(s.median_delay_nights),
                        d.max_delay_nights,
                        s.missed_share
                            .map_or("—".into(), |m| format!("{:.0}%", 100.0 * m))
                    ))
                )?;
                writeln!(out, "  </testcase>")?;
            }
        }
        writeln!(out, "</testsuite>")
    })
}

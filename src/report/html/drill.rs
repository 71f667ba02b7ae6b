//! drill.html: the drill's scenarios as a table and a chart of their detection delays.

use super::charts::figure;
use super::doc::{h, Doc, N, T};
use crate::analysis::drill::Drill;
use crate::format::short;

fn opt(v: Option<f64>) -> String {
    v.map_or("—".into(), short)
}

pub fn render(d: &Drill) -> String {
    let mut doc = Doc::default();
    let failed = d.scenarios.iter().filter(|s| !s.passed).count();
    let headline = if failed == 0 {
        "PASS — every scenario is caught in time".to_string()
    } else {
        format!(
            "FAIL — {failed} scenario(s) not caught within {} nights",
            d.max_delay_nights
        )
    };
    super::open(&mut doc, &format!("postmarket drill: {headline}"));
    let class = if failed == 0 { "ok" } else { "alert" };
    let mark = if failed == 0 { "✓" } else { "▲" };
    h!(&mut doc; "<header><h1>postmarket drill: <span class=\"sev ", class, "\">", mark, " ",
        T(&headline), "</span></h1><p>", T(&format!(
        "{} nights of {} cases resampled from the baseline ({}), the scenario from night {}{}, {} repeat(s), seed {}. Every night runs the audit as postmarket audit does.",
        d.nights, d.cases_per_night,
        &d.baseline_manifest_sha256[..12.min(d.baseline_manifest_sha256.len())],
        d.onset, if d.ramp { " (ramped)" } else { " (sudden)" }, d.repeats, d.seed)), "</p></header>\n");
    super::toc(
        &mut doc,
        &[("delays", "Detection delay"), ("scenarios", "Scenarios")],
    );
    h!(&mut doc; "<section id=\"delays\"><h2>Detection delay</h2>");
    delay_chart(&mut doc, d);
    h!(&mut doc; "</section>\n<section id=\"scenarios\"><h2>Scenarios</h2><div class=\"wide\"><table><tr><th>scenario</th><th>result</th><th class=\"n\">false alarms / 100 nights</th><th class=\"n\">median delay (nights)</th><th class=\"n\">p90 delay</th><th class=\"n\">median delay (cases)</th><th class=\"n\">missed</th><th>detected by</th><th>what it does</th></tr>");
    for s in &d.scenarios {
        h!(&mut doc; "<tr><td>", T(&s.name), "</td><td>",
            if s.passed { "<span class=\"sev ok\">✓ PASS</span>" } else { "<span class=\"sev alert\">▲ FAIL</span>" },
            "</td><td class=\"n\">", T(&short(s.false_alarms_per_100_nights)), "</td><td class=\"n\">",
            T(&opt(s.median_delay_nights)), "</td><td class=\"n\">", T(&opt(s.p90_delay_nights)),
            "</td><td class=\"n\">", T(&opt(s.median_delay_cases)), "</td><td class=\"n\">",
            T(&s.missed_share.map_or("—".into(), |m| format!("{:.0}%", 100.0 * m))), "</td><td>",
            T(&s.detected_by.join("; ")), "</td><td>", T(&s.description), "</td></tr>");
    }
    h!(&mut doc; "</table></div></section>\n");
    super::close(&mut doc);
    doc.out
}

/// Median delay per scenario as a bar, the p90 as a whisker, the allowed delay dashed.
fn delay_chart(doc: &mut Doc, d: &Drill) {
    let rows: Vec<_> = d.scenarios.iter().filter(|s| s.name != "none").collect();
    let row = 24.0;
    let (label_w, plot_w) = (170.0, 330.0);
    let (w, ht) = (label_w + plot_w + 60.0, 36.0 + row * rows.len() as f64);
    let top = rows
        .iter()
        .filter_map(|s| s.p90_delay_nights.or(s.median_delay_nights))
        .fold(f64::from(d.max_delay_nights) + 1.0, f64::max)
        .max(f64::from(d.nights.saturating_sub(d.onset) + 1));
    let x = |v: f64| label_w + plot_w * (v / top).clamp(0.0, 1.0);
    let title = format!(
        "Nights from the onset to the first alert per scenario, allowed {}",
        d.max_delay_nights
    );
    figure(
        doc,
        &title,
        (w, ht),
        |doc| {
            let bottom = 6.0 + row * rows.len() as f64;
            let limit = f64::from(d.max_delay_nights);
            h!(doc; "<line class=\"axis\" x1=\"", N(label_w), "\" x2=\"", N(label_w), "\" y1=\"2\" y2=\"",
                N(bottom), "\"/><line class=\"alertl\" x1=\"", N(x(limit)), "\" x2=\"", N(x(limit)),
                "\" y1=\"2\" y2=\"", N(bottom), "\"/><text x=\"", N(x(limit)), "\" y=\"", N(bottom + 14.0),
                "\" text-anchor=\"middle\">allowed ", d.max_delay_nights as u64, " nights</text>");
            for (i, s) in rows.iter().enumerate() {
                let y = 6.0 + row * i as f64;
                h!(doc; "<text x=\"", N(label_w - 6.0), "\" y=\"", N(y + 14.0), "\" text-anchor=\"end\">",
                    T(&s.name), "</text>");
                match s.median_delay_nights {
                    Some(m) => {
                        h!(doc; "<rect class=\"", if s.passed { "basef" } else { "serv" }, "\" x=\"",
                            N(label_w), "\" y=\"", N(y + 4.0), "\" width=\"", N(x(m) - label_w),
                            "\" height=\"12\"/><text x=\"",
                            N(x(s.p90_delay_nights.unwrap_or(m).max(m)) + 4.0), "\" y=\"", N(y + 14.0), "\">",
                            T(&short(m)), if s.passed { "" } else { " ▲ FAIL" }, "</text>");
                        if let Some(p) = s.p90_delay_nights {
                            h!(doc; "<line class=\"servl\" x1=\"", N(x(m)), "\" x2=\"", N(x(p)), "\" y1=\"",
                                N(y + 10.0), "\" y2=\"", N(y + 10.0), "\"/>");
                        }
                    }
                    None => h!(doc; "<text x=\"", N(label_w + 4.0), "\" y=\"", N(y + 14.0),
                        "\">", if s.passed { "never detected" } else { "▲ FAIL: never detected" }, "</text>"),
                }
            }
        },
        |doc| {
            h!(doc; "<tr><th>scenario</th><th class=\"n\">median delay</th><th class=\"n\">p90 delay</th><th>passed</th></tr>");
            for s in &rows {
                h!(doc; "<tr><td>", T(&s.name), "</td><td class=\"n\">", T(&opt(s.median_delay_nights)),
                    "</td><td class=\"n\">", T(&opt(s.p90_delay_nights)), "</td><td>",
                    if s.passed { "yes" } else { "no" }, "</td></tr>");
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::drill::ScenarioResult;

    fn scenario(name: &str, median: Option<f64>, passed: bool) -> ScenarioResult {
        ScenarioResult {
            name: name.into(),
            description: format!("{name} <b>injected</b>"),
            false_alarms_per_100_nights: 0.0,
            median_delay_nights: median,
            p90_delay_nights: median.map(|m| m + 1.0),
            median_delay_cases: median.map(|m| m * 200.0),
            missed_share: Some(if median.is_some() { 0.0 } else { 1.0 }),
            detected_by: vec!["feature drift: kvp (2)".into()],
            passed,
        }
    }

    #[test]
    fn the_drill_page_has_its_delays_chart_and_every_scenario() {
        let d = Drill {
            tool: "postmarket".into(),
            generated: "2026-12-01T00:00:00Z".into(),
            baseline_manifest_sha256: "a".repeat(64),
            nights: 10,
            onset: 3,
            cases_per_night: 200,
            repeats: 2,
            ramp: false,
            seed: 1,
            max_delay_nights: 3,
            scenarios: vec![
                scenario("none", None, true),
                scenario("protocol-change", Some(1.0), true),
                scenario("label-redefinition", None, false),
            ],
        };
        let page = render(&d);
        assert!(page.contains(super::super::CSP));
        assert_eq!(
            page.matches("<svg role=\"img\" aria-describedby=\"")
                .count(),
            1
        );
        assert!(page.contains("<title>Nights from the onset to the first alert"));
        assert!(page.contains("▲ FAIL: never detected"));
        assert!(page.contains("label-redefinition &lt;b&gt;injected&lt;/b&gt;"));
        assert!(!page.contains("<b>"));
    }
}

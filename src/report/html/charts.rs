//! Hand-written SVG charts (no fonts, no script): each is `<svg role="img">` with a
//! `<title>`, described by a `<details>` table of the numbers it draws. The charts draw
//! the numbers of a check; they compute none but shares of counts and positions.

use super::doc::{h, Doc, N, T};
use crate::analysis::findings::{Check, Distribution, Severity};
use crate::format::short;

/// A chart: the frame, its title, the drawing and the data table behind it.
pub fn figure(
    doc: &mut Doc,
    title: &str,
    size: (f64, f64),
    draw: impl FnOnce(&mut Doc),
    table: impl FnOnce(&mut Doc),
) {
    let id = doc.id("data");
    h!(doc; "<figure>");
    svg(doc, title, size, &id, draw);
    h!(doc; "<details id=\"", T(&id), "\"><summary>Data: ", T(title),
        "</summary><div class=\"wide\"><table>");
    table(doc);
    h!(doc; "</table></div></details></figure>");
}

/// A chart whose data is in the element `described_by` (a table shared by several).
pub fn svg(
    doc: &mut Doc,
    title: &str,
    size: (f64, f64),
    described_by: &str,
    draw: impl FnOnce(&mut Doc),
) {
    h!(doc; "<svg role=\"img\" aria-describedby=\"", T(described_by), "\" viewBox=\"0 0 ",
        N(size.0), " ", N(size.1), "\" width=\"", N(size.0), "\" height=\"", N(size.1),
        "\"><title>", T(title), "</title>");
    draw(doc);
    h!(doc; "</svg>");
}

/// The text mark of a severity: a shape and a word, never colour alone.
pub fn badge(doc: &mut Doc, severity: Severity) {
    let (class, mark) = symbol(severity);
    h!(doc; "<span class=\"sev ", class, "\">", mark, " ", T(&severity.as_str().to_uppercase()), "</span>");
}

pub fn symbol(severity: Severity) -> (&'static str, &'static str) {
    match severity {
        Severity::Alert => ("alert", "▲"),
        Severity::Warn => ("warn", "◆"),
        Severity::Info => ("info", "●"),
        Severity::Pass => ("pass", "○"),
        Severity::Insufficient => ("insufficient", "?"),
    }
}

/// A severity drawn as a shape at (x, y): triangle alert, diamond warn, circle otherwise
/// (hollow for pass).
pub fn marker(doc: &mut Doc, severity: Severity, x: f64, y: f64, r: f64, class: &'static str) {
    match severity {
        Severity::Alert => h!(doc; "<path class=\"", class, "\" d=\"M", N(x), " ", N(y - r), "L",
            N(x + r), " ", N(y + r * 0.8), "L", N(x - r), " ", N(y + r * 0.8), "Z\"/>"),
        Severity::Warn => h!(doc; "<path class=\"", class, "\" d=\"M", N(x), " ", N(y - r), "L",
            N(x + r), " ", N(y), "L", N(x), " ", N(y + r), "L", N(x - r), " ", N(y), "Z\"/>"),
        Severity::Pass => h!(doc; "<circle class=\"base\" cx=\"", N(x), "\" cy=\"", N(y),
            "\" r=\"", N(r * 0.7), "\"/>"),
        _ => h!(doc; "<circle class=\"", class, "\" cx=\"", N(x), "\" cy=\"", N(y), "\" r=\"",
            N(r * 0.7), "\"/>"),
    }
}

/// `s` cut to `max` characters, an ellipsis marking the cut (the data table has it whole).
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

fn pct(count: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * count as f64 / total as f64
    }
}

fn count_cell(doc: &mut Doc, count: u64, total: u64) {
    h!(doc; "<td class=\"n\">", count, " (", T(&format!("{:.1}%", pct(count, total))), ")</td>");
}

/// A drift check's two distributions: shared bins or category shares.
pub fn distribution(doc: &mut Doc, check: &Check, dist: &Distribution) {
    match dist {
        Distribution::Numeric {
            edges,
            baseline,
            serving,
            baseline_median,
            serving_median,
            moved,
        } => {
            // The marked quantile: the decile the summary names, else the median.
            let marked = match moved {
                Some(m) => (percentile(m.quantile), m.baseline, m.serving),
                None => ("median".to_string(), *baseline_median, *serving_median),
            };
            bins(doc, check, edges, (baseline, serving), &marked);
        }
        Distribution::Categorical {
            categories,
            baseline,
            serving,
            changed,
        } => shares(
            doc,
            &check.subject,
            categories,
            (baseline, serving),
            changed.as_deref(),
        ),
    }
}

fn percentile(q: f64) -> String {
    match (q * 10.0).round() as i64 {
        1 => "10th percentile".into(),
        5 => "median".into(),
        k => format!("{}th percentile", k * 10),
    }
}

fn bins(
    doc: &mut Doc,
    check: &Check,
    edges: &[f64],
    counts: (&[u64], &[u64]),
    marked: &(String, f64, f64),
) {
    let (name, mark_b, mark_s) = (&marked.0, marked.1, marked.2);
    let (baseline, serving) = counts;
    let (nb, ns) = (baseline.iter().sum::<u64>(), serving.iter().sum::<u64>());
    let (w, ht) = (480.0, 175.0);
    let (x0, x1, y0, y1) = (44.0, 470.0, 8.0, 130.0);
    let top = baseline
        .iter()
        .map(|&c| pct(c, nb))
        .chain(serving.iter().map(|&c| pct(c, ns)))
        .fold(1.0, f64::max);
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    let bw = (x1 - x0) / baseline.len().max(1) as f64;
    let y = |share: f64| y1 - (y1 - y0) * share / top;
    let x = |v: f64| x0 + (x1 - x0) * ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let title = format!(
        "{}: baseline and serving distributions on shared bins, {name} {} → {}",
        check.subject,
        short(mark_b),
        short(mark_s)
    );
    figure(
        doc,
        &title,
        (w, ht),
        |doc| {
            h!(doc; "<line class=\"axis\" x1=\"", N(x0), "\" y1=\"", N(y1), "\" x2=\"", N(x1),
                "\" y2=\"", N(y1), "\"/><line class=\"axis\" x1=\"", N(x0), "\" y1=\"", N(y0),
                "\" x2=\"", N(x0), "\" y2=\"", N(y1), "\"/>");
            h!(doc; "<text x=\"", N(x0 - 4.0), "\" y=\"", N(y0 + 8.0), "\" text-anchor=\"end\">",
                T(&format!("{:.0}%", top)), "</text><text x=\"", N(x0 - 4.0), "\" y=\"", N(y1),
                "\" text-anchor=\"end\">0</text>");
            for i in 0..baseline.len() {
                let bx = x0 + bw * i as f64;
                let (sb, ss) = (pct(baseline[i], nb), pct(serving[i], ns));
                h!(doc; "<rect class=\"basef\" x=\"", N(bx + 0.5), "\" y=\"", N(y(sb)),
                    "\" width=\"", N(bw * 0.46), "\" height=\"", N(y1 - y(sb)), "\"/>",
                    "<rect class=\"serv\" x=\"", N(bx + bw * 0.5), "\" y=\"", N(y(ss)),
                    "\" width=\"", N(bw * 0.46), "\" height=\"", N(y1 - y(ss)), "\"/>");
            }
            let (mb, ms) = (x(mark_b), x(mark_s));
            h!(doc; "<line class=\"base\" stroke-dasharray=\"4 3\" x1=\"", N(mb), "\" y1=\"", N(y0),
                "\" x2=\"", N(mb), "\" y2=\"", N(y1), "\"/><line class=\"servl\" x1=\"", N(ms),
                "\" y1=\"", N(y0), "\" x2=\"", N(ms), "\" y2=\"", N(y1), "\"/>");
            h!(doc; "<text x=\"", N(x0), "\" y=\"", N(y1 + 14.0), "\">", T(&short(lo)),
                "</text><text x=\"", N(x1), "\" y=\"", N(y1 + 14.0), "\" text-anchor=\"end\">",
                T(&short(hi)), "</text><text x=\"", N((x0 + x1) / 2.0), "\" y=\"", N(y1 + 14.0),
                "\" text-anchor=\"middle\">", T(&check.subject), "</text>");
            h!(doc; "<text x=\"", N(x0), "\" y=\"", N(y1 + 32.0),
                "\">hollow bars, dashed line: baseline (", T(name), " ", T(&short(mark_b)),
                "); filled bars, solid line: serving (", T(&short(mark_s)), ")</text>");
        },
        |doc| {
            h!(doc; "<tr><th>bin</th><th class=\"n\">baseline</th><th class=\"n\">serving</th></tr>");
            for i in 0..baseline.len() {
                h!(doc; "<tr><td>", T(&format!("{} – {}", short(edges[i]), short(edges[i + 1]))), "</td>");
                count_cell(doc, baseline[i], nb);
                count_cell(doc, serving[i], ns);
                h!(doc; "</tr>");
            }
            h!(doc; "<tr><td>", T(name), "</td><td class=\"n\">", T(&short(mark_b)),
                "</td><td class=\"n\">", T(&short(mark_s)), "</td></tr>");
        },
    );
}

/// Share bars per category, baseline (hollow) over serving (filled); the changed category
/// marked ▶ and in bold, a category the baseline never had flagged NEW.
pub fn shares(
    doc: &mut Doc,
    subject: &str,
    categories: &[String],
    counts: (&[u64], &[u64]),
    changed: Option<&str>,
) {
    let (baseline, serving) = counts;
    let (nb, ns) = (baseline.iter().sum::<u64>(), serving.iter().sum::<u64>());
    let row = 24.0;
    let (label_w, bar_w) = (200.0, 200.0);
    let (w, ht) = (
        label_w + bar_w + 110.0,
        20.0 + row * categories.len() as f64,
    );
    let top = baseline
        .iter()
        .map(|&c| pct(c, nb))
        .chain(serving.iter().map(|&c| pct(c, ns)))
        .fold(1.0, f64::max);
    let label = |i: usize| -> String {
        let name = clip(&categories[i], 26);
        let new = if baseline[i] == 0 && serving[i] > 0 {
            " NEW"
        } else {
            ""
        };
        let mark = if Some(categories[i].as_str()) == changed {
            "▶ "
        } else {
            ""
        };
        format!("{mark}{name}{new}")
    };
    let title = format!("{subject}: share of cases per category, baseline and serving");
    figure(
        doc,
        &title,
        (w, ht),
        |doc| {
            for i in 0..categories.len() {
                let y = 4.0 + row * i as f64;
                let (sb, ss) = (pct(baseline[i], nb), pct(serving[i], ns));
                let class = if Some(categories[i].as_str()) == changed {
                    " class=\"hl\""
                } else {
                    ""
                };
                h!(doc; "<text", class, " x=\"", N(label_w - 6.0), "\" y=\"", N(y + 13.0),
                    "\" text-anchor=\"end\">", T(&label(i)), "</text>");
                h!(doc; "<rect class=\"basef\" x=\"", N(label_w), "\" y=\"", N(y + 1.0),
                    "\" width=\"", N(bar_w * sb / top), "\" height=\"8\"/><rect class=\"serv\" x=\"",
                    N(label_w), "\" y=\"", N(y + 10.0), "\" width=\"", N(bar_w * ss / top),
                    "\" height=\"8\"/>");
                h!(doc; "<text x=\"", N(label_w + bar_w + 6.0), "\" y=\"", N(y + 13.0), "\">",
                    T(&format!("{sb:.1}% → {ss:.1}%")), "</text>");
            }
            h!(doc; "<text x=\"", N(label_w), "\" y=\"", N(ht - 2.0),
                "\">hollow: baseline; filled: serving</text>");
        },
        |doc| {
            h!(doc; "<tr><th>category</th><th class=\"n\">baseline</th><th class=\"n\">serving</th><th>note</th></tr>");
            for i in 0..categories.len() {
                h!(doc; "<tr><td>", T(&categories[i]), "</td>");
                count_cell(doc, baseline[i], nb);
                count_cell(doc, serving[i], ns);
                let mut notes = Vec::new();
                if Some(categories[i].as_str()) == changed {
                    notes.push("moved most");
                }
                if baseline[i] == 0 && serving[i] > 0 {
                    notes.push("new: never in the baseline");
                }
                h!(doc; "<td>", T(&notes.join("; ")), "</td></tr>");
            }
        },
    );
}

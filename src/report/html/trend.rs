//! Charts over nights and subgroups: a check's effect across the audit history (with its
//! warn and alert lines, tonight marked) and a forest plot of one performance metric.

use super::charts::{clip, figure, marker, svg};
use super::doc::{h, Doc, N, T};
use super::sections::Forest;
use crate::analysis::findings::{Check, Severity};
use crate::format::short;

/// A coordinate as [`N`] writes it.
fn coord(v: f64) -> String {
    let mut out = String::new();
    super::doc::Piece::put(N(v), &mut out);
    out
}

fn opt(v: Option<f64>) -> String {
    v.map_or("—".into(), short)
}

fn date(s: &str) -> &str {
    &s[..10.min(s.len())]
}

/// One night of a trend: its date, effect, interval and severity.
pub type Night = (String, Option<f64>, Option<f64>, Option<f64>, Severity);

/// One check's effect over nights, as [`sparkline`] draws it.
pub struct Line<'a> {
    pub subject: &'a str,
    /// "all cases" or the subgroup's definition.
    pub scope: &'a str,
    pub effect_name: &'a str,
    pub threshold: f64,
    pub alert_threshold: f64,
    /// Oldest first; the last is the night the chart is about.
    pub points: Vec<Night>,
    /// What the last night is called: "tonight" in a report, "latest" in the overview.
    pub now: &'static str,
}

impl Line<'_> {
    /// `check`'s trend and tonight (`tonight`, the run's window start).
    pub fn of<'a>(check: &'a Check, tonight: &str) -> Line<'a> {
        let mut points: Vec<Night> = check
            .trend
            .iter()
            .map(|t| {
                let when = date(&t.window_start).to_string();
                (
                    when,
                    t.effect,
                    t.effect_ci_low,
                    t.effect_ci_high,
                    t.severity,
                )
            })
            .collect();
        points.push((
            format!("{} (tonight)", date(tonight)),
            check.effect,
            check.effect_ci_low,
            check.effect_ci_high,
            check.severity,
        ));
        Line {
            subject: &check.subject,
            scope: check.subgroup.as_deref().unwrap_or("all cases"),
            effect_name: check.effect_name,
            threshold: check.threshold,
            alert_threshold: check.alert_threshold,
            points,
            now: "tonight",
        }
    }
}

/// The effect of `check` over the nights of its history and tonight (`tonight`, the run's
/// window start): see [`line`].
pub fn sparkline(doc: &mut Doc, check: &Check, tonight: &str, large: bool, shared: &str) {
    line(doc, &Line::of(check, tonight), large, shared);
}

/// A line through the nights, each night's severity as a shape, the warn (dashed) and
/// alert (dotted) thresholds, the last night larger. `large` adds labels and its own data
/// table; a small one is described by the table `shared` holds the numbers in.
pub fn line(doc: &mut Doc, check: &Line, large: bool, shared: &str) {
    let points = &check.points;
    let (w, ht, pad_l, pad_r) = if large {
        (340.0, 120.0, 44.0, 46.0)
    } else {
        (170.0, 38.0, 4.0, 8.0)
    };
    let (y0, y1) = if large { (10.0, 96.0) } else { (4.0, 34.0) };
    let mut lo = check.threshold.min(check.alert_threshold).min(0.0);
    let mut hi = check.threshold.max(check.alert_threshold).max(0.0);
    for v in points.iter().filter_map(|p| p.1) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let n = points.len();
    let x = |i: usize| pad_l + (w - pad_l - pad_r) * i as f64 / (n.max(2) - 1) as f64;
    let y = |v: f64| y1 - (y1 - y0) * (v - lo) / (hi - lo);
    let title = format!(
        "{} ({}): {} over {n} nights, {} {}",
        check.subject,
        check.scope,
        check.effect_name,
        check.now,
        opt(points.last().and_then(|p| p.1))
    );
    let draw = |doc: &mut Doc| {
        let lines = [
            ("warnl", check.threshold, "warn"),
            ("alertl", check.alert_threshold, "alert"),
        ];
        for (class, t, name) in lines {
            if class == "alertl" && t == check.threshold {
                continue;
            }
            h!(doc; "<line class=\"", class, "\" x1=\"", N(pad_l), "\" x2=\"", N(w - pad_r),
                    "\" y1=\"", N(y(t)), "\" y2=\"", N(y(t)), "\"/>");
            if large {
                h!(doc; "<text x=\"", N(w - pad_r + 3.0), "\" y=\"", N(y(t) + 4.0), "\">",
                        name, " ", T(&short(t)), "</text>");
            }
        }
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.1.map(|v| format!("{},{}", coord(x(i)), coord(y(v)))))
            .collect();
        h!(doc; "<polyline class=\"servl\" points=\"", T(&path.join(" ")), "\"/>");
        for (i, p) in points.iter().enumerate() {
            // A small chart shapes tonight only; the table holds every night's severity.
            if let (Some(v), true) = (p.1, large || i + 1 == n) {
                let now = i + 1 == n;
                let r = match (large, now) {
                    (true, true) => 7.0,
                    (true, false) => 4.5,
                    (false, true) => 4.5,
                    (false, false) => 2.6,
                };
                marker(doc, p.4, x(i), y(v), r, if now { "now" } else { "pt" });
            }
        }
        if large {
            h!(doc; "<text x=\"", N(pad_l - 4.0), "\" y=\"", N(y(hi) + 4.0),
                    "\" text-anchor=\"end\">", T(&short(hi)), "</text><text x=\"", N(pad_l - 4.0),
                    "\" y=\"", N(y(lo) + 4.0), "\" text-anchor=\"end\">", T(&short(lo)), "</text>");
            h!(doc; "<text x=\"", N(pad_l), "\" y=\"", N(ht - 6.0), "\">", T(&points[0].0),
                    "</text><text x=\"", N(w - pad_r), "\" y=\"", N(ht - 6.0),
                    "\" text-anchor=\"end\">", check.now, "</text>");
        }
    };
    if !large {
        svg(doc, &title, (w, ht), shared, draw);
        return;
    }
    figure(doc, &title, (w, ht), draw, |doc| {
        h!(doc; "<tr><th>night</th><th class=\"n\">", T(check.effect_name),
                "</th><th class=\"n\">interval</th><th>severity</th></tr>");
        for p in points {
            h!(doc; "<tr><td>", T(&p.0), "</td><td class=\"n\">", T(&opt(p.1)),
                    "</td><td class=\"n\">", T(&format!("[{}, {}]", opt(p.2), opt(p.3))),
                    "</td><td>", T(p.4.as_str()), "</td></tr>");
        }
        h!(doc; "<tr><td>thresholds</td><td class=\"n\" colspan=\"2\">warn ",
                T(&short(check.threshold)), ", alert ", T(&short(check.alert_threshold)),
                "</td><td></td></tr>");
    });
}

/// One forest: per row (all cases first, then each subgroup) the difference with its
/// interval, the margin drawn, the two sides' values as text beside each row.
pub fn forest(doc: &mut Doc, f: &Forest) {
    let rows = &f.rows;
    let row = 22.0;
    let (label_w, plot_w, text_w) = (210.0, 260.0, 130.0);
    let (w, ht) = (label_w + plot_w + text_w, 34.0 + row * rows.len() as f64);
    let margin = f.margin;
    let mut lo = margin.min(0.0);
    let mut hi = 0.0f64.max(margin);
    for c in rows {
        for v in [c.effect, c.effect_ci_low, c.effect_ci_high]
            .into_iter()
            .flatten()
        {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    let pad = 0.05 * (hi - lo).max(1e-9);
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |v: f64| label_w + plot_w * ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    let side = |c: &Check, k: &str| c.extra.get(k).copied();
    let (before, after) = f.sides;
    let title = format!(
        "{}: {after} − {before} per subgroup with its interval, margin {}",
        f.metric,
        short(margin)
    );
    figure(
        doc,
        &title,
        (w, ht),
        |doc| {
            let bottom = 8.0 + row * rows.len() as f64;
            h!(doc; "<line class=\"zero\" x1=\"", N(x(0.0)), "\" x2=\"", N(x(0.0)), "\" y1=\"4\" y2=\"",
                N(bottom), "\"/><line class=\"warnl\" x1=\"", N(x(margin)), "\" x2=\"", N(x(margin)),
                "\" y1=\"4\" y2=\"", N(bottom), "\"/>");
            h!(doc; "<text x=\"", N(x(margin)), "\" y=\"", N(bottom + 13.0),
                "\" text-anchor=\"middle\">margin ", T(&short(margin)), "</text><text x=\"",
                N(x(0.0)), "\" y=\"", N(bottom + 25.0), "\" text-anchor=\"middle\">0 (no change)</text>");
            h!(doc; "<text x=\"", N(label_w + plot_w + 8.0), "\" y=\"", N(bottom + 13.0),
                "\">", T(&format!("{before} → {after}")), "</text>");
            for (i, c) in rows.iter().enumerate() {
                let y = 8.0 + row * i as f64 + row / 2.0;
                let name = clip(c.subgroup.as_deref().unwrap_or("all cases"), 30);
                h!(doc; "<text x=\"", N(label_w - 8.0), "\" y=\"", N(y + 4.0), "\" text-anchor=\"end\">",
                    T(&name), "</text>");
                if let (Some(a), Some(b)) = (c.effect_ci_low, c.effect_ci_high) {
                    h!(doc; "<line class=\"servl\" x1=\"", N(x(a)), "\" x2=\"", N(x(b)), "\" y1=\"",
                        N(y), "\" y2=\"", N(y), "\"/>");
                }
                if let Some(e) = c.effect {
                    marker(doc, c.severity, x(e), y, 5.5, "now");
                }
                let text = match (side(c, before), side(c, after)) {
                    (Some(b), Some(s)) => format!("{} → {}", short(b), short(s)),
                    _ => "—".to_string(),
                };
                h!(doc; "<text x=\"", N(label_w + plot_w + 8.0), "\" y=\"", N(y + 4.0), "\">",
                    T(&text), "</text>");
            }
        },
        |doc| {
            h!(doc; "<tr><th>subgroup</th><th class=\"n\">", T(before), "</th><th class=\"n\">", T(after),
                "</th><th class=\"n\">difference [interval]</th><th class=\"n\">n (", T(before), " / ",
                T(after), ")</th><th>severity</th></tr>");
            for c in rows {
                h!(doc; "<tr><td>", T(c.subgroup.as_deref().unwrap_or("all cases")),
                    "</td><td class=\"n\">", T(&opt(side(c, before))), "</td><td class=\"n\">",
                    T(&opt(side(c, after))), "</td><td class=\"n\">",
                    T(&format!("{} [{}, {}]", opt(c.effect), opt(c.effect_ci_low), opt(c.effect_ci_high))),
                    "</td><td class=\"n\">", c.n_baseline, " / ", c.n_serving, "</td><td>",
                    T(c.severity.as_str()), "</td></tr>");
            }
        },
    );
}

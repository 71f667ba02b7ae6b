//! The release gate: is a candidate model at least as good as production on the same cases,
//! overall and in every subgroup?
//!
//! Both models' inferences are paired by case ([`pairs`]); every comparison is paired
//! (candidate − reference on the same cases), which is far more powerful than comparing two
//! independent samples. Per scope (all cases, then each subgroup) four checks, each a
//! [`Check`] of kind [`Kind::Gate`]:
//!
//! - AUROC: paired DeLong interval of the difference;
//! - sensitivity and specificity at each model's own operating point (its `prediction`):
//!   paired Wald interval of the difference, McNemar p-value;
//! - calibration: Brier score difference with a paired t-interval on the per-case
//!   differences of squared errors; each model's ECE shown alongside.
//!
//! The decision is asymmetric on purpose (docs/statistics.md, "Release gate"): **overall**
//! the candidate must *show* non-inferiority (the interval's worst end within the margin);
//! **in a subgroup** it fails only when it is *demonstrably* worse by more than the margin,
//! so a small subgroup's wide interval cannot block every release. Too few paired cases
//! overall fails closed; too few in a subgroup is `insufficient`.

mod compare;
mod entry;
pub mod pairs;

pub use entry::{method_lines, run};

use super::findings::{Check, Kind, Severity};
use crate::config::GateConfig;
pub use compare::{compare, Comparison};
use pairs::PairStats;

/// One model's answers on the paired cases.
#[derive(Debug, Clone, Default)]
pub struct Scored {
    pub scores: Vec<f64>,
    pub predictions: Vec<bool>,
}

/// The paired labelled cases: `labels[i]`, and both models' answers on case `i`.
#[derive(Debug, Clone, Default)]
pub struct Paired {
    pub labels: Vec<bool>,
    pub reference: Scored,
    pub candidate: Scored,
}

impl Paired {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The cases where `mask` is true.
    pub fn subset(&self, mask: &[bool]) -> Paired {
        let pick = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(mask)
                .filter(|(_, &m)| m)
                .map(|(x, _)| *x)
                .collect()
        };
        let pick_bool = |v: &[bool]| -> Vec<bool> {
            v.iter()
                .zip(mask)
                .filter(|(_, &m)| m)
                .map(|(x, _)| *x)
                .collect()
        };
        let scored = |s: &Scored| Scored {
            scores: pick(&s.scores),
            predictions: pick_bool(&s.predictions),
        };
        Paired {
            labels: pick_bool(&self.labels),
            reference: scored(&self.reference),
            candidate: scored(&self.candidate),
        }
    }

    fn positives(&self) -> usize {
        self.labels.iter().filter(|&&l| l).count()
    }
}

/// What is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Auroc,
    Sensitivity,
    Specificity,
    Brier,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::Auroc,
        Metric::Sensitivity,
        Metric::Specificity,
        Metric::Brier,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Auroc => "AUROC",
            Metric::Sensitivity => "sensitivity",
            Metric::Specificity => "specificity",
            Metric::Brier => "Brier score",
        }
    }

    fn margin(self, config: &GateConfig) -> f64 {
        let m = &config.margins;
        match self {
            Metric::Auroc => m.auroc,
            Metric::Sensitivity => m.sensitivity,
            Metric::Specificity => m.specificity,
            Metric::Brier => m.brier,
        }
    }

    /// Decimals shown: proportions to 2, AUROC and Brier (small margins) to 3.
    fn decimals(self) -> usize {
        match self {
            Metric::Sensitivity | Metric::Specificity => 2,
            Metric::Auroc | Metric::Brier => 3,
        }
    }

    /// Why `p` is too small to judge this metric, or None when it is large enough.
    fn too_few(self, p: &Paired, config: &GateConfig) -> Option<String> {
        let (n, pos) = (p.len(), p.positives());
        let neg = n - pos;
        let (k, need_pos, need_neg) = (
            config.min_positives,
            self.needs_positives(),
            self.needs_negatives(),
        );
        if n >= config.min_pairs && (!need_pos || pos >= k) && (!need_neg || neg >= k) {
            return None;
        }
        let classes = match (need_pos, need_neg) {
            (true, true) => format!(" with {k} positive and {k} negative"),
            (true, false) => format!(" with {k} positive"),
            (false, true) => format!(" with {k} negative"),
            (false, false) => String::new(),
        };
        Some(format!(
            "only {n} paired labelled cases ({pos} positive, {neg} negative); needs {}{classes}",
            config.min_pairs
        ))
    }

    fn needs_positives(self) -> bool {
        matches!(self, Metric::Auroc | Metric::Sensitivity)
    }

    fn needs_negatives(self) -> bool {
        matches!(self, Metric::Auroc | Metric::Specificity)
    }
}

/// The decision for one comparison. `gain` is the improvement (the difference, sign-flipped
/// for Brier where lower is better) and its interval.
pub fn decide(metric: Metric, cmp: &Comparison, margin: f64, overall: bool) -> Severity {
    let (gain, low, high) = if metric == Metric::Brier {
        (-cmp.diff, -cmp.ci.high, -cmp.ci.low)
    } else {
        (cmp.diff, cmp.ci.low, cmp.ci.high)
    };
    if overall {
        // Non-inferiority must be shown.
        if low > -margin {
            Severity::Pass
        } else {
            Severity::Alert
        }
    } else if high < -margin {
        // Demonstrably worse by more than the margin.
        Severity::Alert
    } else if gain < -margin {
        // Looks worse, but the interval is too wide to say.
        Severity::Warn
    } else {
        Severity::Pass
    }
}

/// Every check of the gate: the paired-case count, then the four metrics for all cases,
/// then for each subgroup (`groups`: label and mask over the paired cases), in that order.
pub fn checks(
    paired: &Paired,
    groups: &[(String, Vec<bool>)],
    stats: &PairStats,
    config: &GateConfig,
) -> Vec<Check> {
    let mut checks = vec![count_check(paired, stats, config)];
    checks.extend(scope_checks(paired, None, config));
    for (label, mask) in groups {
        checks.extend(scope_checks(&paired.subset(mask), Some(label), config));
    }
    checks
}

/// "Are there enough paired labelled cases at all?" — the check that fails closed.
fn count_check(p: &Paired, s: &PairStats, config: &GateConfig) -> Check {
    let (n, pos) = (p.len(), p.positives());
    let enough = Metric::ALL.iter().all(|m| m.too_few(p, config).is_none());
    let mut check = blank("paired cases", None);
    check.test = "count";
    check.effect = Some(n as f64);
    check.effect_name = "paired labelled cases";
    check.threshold = config.min_pairs as f64;
    check.alert_threshold = config.min_pairs as f64;
    check.n_baseline = s.reference_cases;
    check.n_serving = s.candidate_cases;
    for (name, value) in [
        ("positives", pos as u64),
        ("negatives", (n - pos) as u64),
        ("paired", s.paired),
        ("reference_only", s.reference_only),
        ("candidate_only", s.candidate_only),
        ("reference_duplicates", s.reference_duplicates),
        ("candidate_duplicates", s.candidate_duplicates),
        ("unlabelled", s.unlabelled),
        ("without_headers", s.without_headers),
    ] {
        check.extra.insert(name, value as f64);
    }
    check.summary = format!(
        "{n} paired labelled cases ({pos} positive, {} negative); {} only in the reference, {} only in the candidate, {} duplicate keys dropped, {} paired cases without a label",
        n - pos,
        s.reference_only,
        s.candidate_only,
        s.reference_duplicates + s.candidate_duplicates,
        s.unlabelled
    );
    if s.without_headers > 0 {
        check.summary += &format!(", {} without headers", s.without_headers);
    }
    check.severity = match (enough, config.fail_closed) {
        (true, _) => Severity::Pass,
        (false, true) => Severity::Alert,
        (false, false) => Severity::Insufficient,
    };
    if !enough {
        let k = config.min_positives;
        check.summary = format!(
            "too few paired cases to judge the candidate: {}; the gate needs {} with {k} positive and {k} negative",
            check.summary, config.min_pairs
        );
        check.action = "Collect more paired labelled cases before deciding: run the candidate in shadow mode on more production cases, or wait for more labels.".to_string();
    }
    check
}

fn scope_checks(p: &Paired, group: Option<&String>, config: &GateConfig) -> Vec<Check> {
    let scope = group.map_or("all cases".to_string(), |g| g.clone());
    Metric::ALL
        .iter()
        .map(|&metric| {
            let margin = metric.margin(config);
            let mut check = blank(metric.name(), group.cloned());
            check.threshold = margin;
            check.alert_threshold = margin;
            let cmp = compare(metric, p, config.confidence);
            if let Some(cmp) = &cmp {
                fill(&mut check, metric, cmp, &scope, margin);
            }
            let reason = metric.too_few(p, config).or_else(|| {
                cmp.is_none()
                    .then(|| "the statistic is undefined on these cases".to_string())
            });
            if let Some(reason) = reason {
                let numbers = if check.summary.is_empty() {
                    String::new()
                } else {
                    format!(" ({}, not judged)", check.summary)
                };
                check.summary = format!("{} for {scope}: {reason}{numbers}", metric.name());
                let fails = group.is_some() && config.require_subgroups;
                check.severity = if fails {
                    Severity::Alert
                } else {
                    Severity::Insufficient
                };
                check.action = if group.is_none() {
                    String::new() // the paired-cases check carries the overall verdict
                } else {
                    format!("Collect more paired labelled cases for {scope} to judge the candidate there.")
                };
                return check;
            }
            let cmp = cmp.expect("checked above");
            check.severity = decide(metric, &cmp, margin, group.is_none());
            check.action = action(metric, check.severity, group, &cmp, margin);
            check
        })
        .collect()
}

fn fill(check: &mut Check, metric: Metric, cmp: &Comparison, scope: &str, margin: f64) {
    let d = metric.decimals();
    check.test = cmp.test;
    check.statistic = cmp.statistic;
    check.p_value = cmp.p_value;
    check.set_effect(cmp.diff, cmp.ci.low, cmp.ci.high);
    check.n_baseline = cmp.n;
    check.n_serving = cmp.n;
    check.extra.insert("reference", cmp.reference);
    check.extra.insert("candidate", cmp.candidate);
    check.extra.insert("ci_low", cmp.ci.low);
    check.extra.insert("ci_high", cmp.ci.high);
    for (name, value) in &cmp.extra {
        check.extra.insert(name, *value);
    }
    check.summary = format!(
        "{} for {scope}: {:.d$} → {:.d$}, difference {} [{}, {}], margin {margin}",
        metric.name(),
        cmp.reference,
        cmp.candidate,
        signed(cmp.diff, d),
        signed(cmp.ci.low, d),
        signed(cmp.ci.high, d),
    );
}

/// `+0.08`, `−0.13` (a real minus sign), `0.00`.
pub fn signed(x: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", x.abs());
    if text.bytes().all(|b| b == b'0' || b == b'.') {
        text
    } else if x < 0.0 {
        format!("−{text}")
    } else {
        format!("+{text}")
    }
}

fn action(
    metric: Metric,
    severity: Severity,
    group: Option<&String>,
    cmp: &Comparison,
    margin: f64,
) -> String {
    let review = match metric {
        Metric::Sensitivity => "review its false negatives with radiologists",
        Metric::Specificity => "review its false positives with radiologists",
        Metric::Auroc => "review the cases it ranks differently from production",
        Metric::Brier => "its probabilities are off there; recalibrate it",
    };
    match (severity, group) {
        (Severity::Alert, Some(g)) => {
            format!("Do not release: the candidate is worse for {g}; {review}.")
        }
        (Severity::Alert, None) => format!(
            "Do not release: the candidate's {} is not shown to be within {margin} of production's overall (interval {} to {}); it may be worse, or more paired cases are needed to show it is not.",
            metric.name(),
            signed(cmp.ci.low, metric.decimals()),
            signed(cmp.ci.high, metric.decimals())
        ),
        (Severity::Warn, Some(g)) => format!(
            "The candidate may be worse for {g}, but the interval is too wide to say; {review} before release."
        ),
        _ => String::new(),
    }
}

fn blank(subject: &str, subgroup: Option<String>) -> Check {
    Check {
        subgroup,
        effect_name: "candidate − reference",
        ..Check::new(Kind::Gate, subject, "")
    }
}

#[cfg(test)]
mod tests;

//! What a night's performance checks can honestly say. "ok" is not one of the answers: a
//! check that passed on 40 labelled cases says only that no fall *beyond what 40 cases can
//! show* happened, so the statement quotes that fall (each check's `detectable_fall`).

use crate::analysis::findings::{Check, Kind, Severity};
use crate::config::performance::PERFORMANCE_METRICS;

/// One group's realized performance checks, in [`PERFORMANCE_METRICS`] order.
pub struct Group<'a> {
    /// None for all cases.
    pub subgroup: Option<&'a str>,
    pub checks: Vec<&'a Check>,
}

impl Group<'_> {
    /// Labelled serving cases of the group (every metric check counts the same cases).
    pub fn labelled(&self) -> u64 {
        self.checks.first().map_or(0, |c| c.n_serving)
    }

    /// The check with the largest detectable fall among those decided: the weakest
    /// statement the night can make about this group.
    pub fn weakest(&self) -> Option<(&Check, f64)> {
        self.checks
            .iter()
            .filter_map(|c| Some((*c, *c.extra.get("detectable_fall")?)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// "no fall shown (116 labelled cases; a fall of 0.21 in sensitivity would show)",
    /// "fell: sensitivity (alert)", or "not decided (12 labelled cases; …)".
    pub fn statement(&self) -> String {
        let fell: Vec<String> = self
            .checks
            .iter()
            .filter(|c| c.severity >= Severity::Warn)
            .map(|c| format!("{} ({})", c.subject, c.severity.as_str()))
            .collect();
        if !fell.is_empty() {
            return format!("fell: {}", fell.join(", "));
        }
        match self.weakest() {
            Some((check, fall)) => format!(
                "no fall shown ({} labelled cases; a fall of {fall:.2} in {} would show)",
                self.labelled(),
                check.subject
            ),
            None => format!(
                "not decided ({})",
                self.checks
                    .first()
                    .map_or("no labelled case", |c| c.summary.as_str())
            ),
        }
    }
}

/// The realized performance checks grouped by subgroup, all cases first, then the
/// subgroups in the checks' order.
pub fn groups(checks: &[Check]) -> Vec<Group<'_>> {
    let metric = |c: &Check| {
        PERFORMANCE_METRICS
            .iter()
            .position(|(m, _)| *m == c.subject)
    };
    let mut out: Vec<Group> = Vec::new();
    for c in checks.iter().filter(|c| c.kind == Kind::Performance) {
        if metric(c).is_none() {
            continue;
        }
        let subgroup = c.subgroup.as_deref();
        match out.iter_mut().find(|g| g.subgroup == subgroup) {
            Some(g) => g.checks.push(c),
            None => out.push(Group {
                subgroup,
                checks: vec![c],
            }),
        }
    }
    for g in &mut out {
        g.checks.sort_by_key(|c| metric(c));
    }
    out.sort_by_key(|g| g.subgroup.is_some());
    out
}

/// The statement over all cases, when the run checked performance.
pub fn overall(checks: &[Check]) -> Option<String> {
    groups(checks)
        .into_iter()
        .find(|g| g.subgroup.is_none())
        .map(|g| g.statement())
}

/// The estimated-performance checks over all cases that carry an estimate, in report order.
pub fn estimates(checks: &[Check]) -> Vec<&Check> {
    checks
        .iter()
        .filter(|c| {
            c.kind == Kind::EstimatedPerformance
                && c.subgroup.is_none()
                && c.extra.contains_key("estimate")
        })
        .collect()
}

//! "No shift" is not "no change": a drift check that passes on a small subgroup says only
//! that no shift of the size it could see happened. Each passing numeric or categorical
//! drift check carries `extra.detectable_shift`, the true effect (W₁/SD, or percentage
//! points of a share) that would give a warning with probability about `performance.power`,
//! and the subgroups too small to show even a shift of twice the alert threshold are
//! named, with that size, in every view.

use crate::analysis::findings::{Check, Kind, Severity, CONFIDENCE};
use crate::stats::proportion::z_critical;

/// The `extra` key of a passing check's detectable shift.
pub const KEY: &str = "detectable_shift";

const NUMERIC: &str = "wasserstein/sd";
const SHARE: &str = "max share change (pp)";

/// Writes `detectable_shift` into every drift check that showed no shift (pass or info):
/// its warn threshold + (z₀.₉₇₅ + z_power) standard errors of the effect *at the shifted
/// state*. Tonight's interval is no guide to that: with no shift, W₁ is a distance between
/// two noisy samples and its delta-method standard error is about half that of a real
/// location shift (a quote from it showed in 30% of simulated nights). For a numeric
/// feature a shift of δ SD moves W₁/SD by δ with the standard error of a difference of
/// means, √(1/n_serving + 1/n_baseline); for a share, the standard error of a difference of
/// two proportions at 50% (the widest), in percentage points. Before the run's
/// multiple-testing correction; `drift::tests` checks the numeric quote by simulation.
pub fn quote(checks: &mut [Check], power: f64) {
    let (Some(z95), Some(z_power)) = (z_critical(CONFIDENCE), z_critical(2.0 * power - 1.0)) else {
        return;
    };
    for c in checks.iter_mut() {
        if c.kind != Kind::FeatureDrift
            || !matches!(c.severity, Severity::Pass | Severity::Info)
            || c.n_serving == 0
            || c.n_baseline == 0
        {
            continue;
        }
        let spread = (1.0 / c.n_serving as f64 + 1.0 / c.n_baseline as f64).sqrt();
        let se = match c.effect_name {
            NUMERIC => spread,
            SHARE => 50.0 * spread,
            _ => continue,
        };
        c.extra.insert(KEY, c.threshold + (z95 + z_power) * se);
    }
}

/// One subgroup too small to show an alert-sized shift.
#[derive(Debug, Clone, PartialEq)]
pub struct Small {
    pub subgroup: String,
    /// Serving cases in it (the most any of its checks had).
    pub cases: u64,
    /// The median detectable shift of its numeric features (W₁/SD), and of its shares (pp).
    pub numeric: Option<f64>,
    pub share: Option<f64>,
}

impl Small {
    /// "manufacturer = Philips (35 serving cases): a shift under 0.6 W₁/SD in a numeric
    /// feature or 30 pp in a category's share would probably not show (the median over its
    /// features that passed)".
    pub fn line(&self) -> String {
        let sizes: Vec<String> = [
            self.numeric
                .map(|v| format!("{v:.2} W₁/SD in a numeric feature")),
            self.share
                .map(|v| format!("{v:.0} pp in a category's share")),
        ]
        .into_iter()
        .flatten()
        .collect();
        format!(
            "{} ({} serving cases): a shift under {} would probably not show (the median over its features that passed)",
            self.subgroup,
            self.cases,
            sizes.join(" or ")
        )
    }
}

/// How many times the alert threshold a subgroup's typical detectable shift must be for the
/// subgroup to be named: too small to show even a large shift.
pub const BLIND: f64 = 2.0;

/// The subgroups whose typical passing drift check (the median over its numeric features,
/// or over its shares when it has no numeric one) could not show a shift of twice the alert
/// threshold, fewest cases first.
pub fn small_subgroups(checks: &[Check]) -> Vec<Small> {
    let mut by: Vec<(&str, Vec<&Check>)> = Vec::new();
    for c in checks.iter().filter(|c| c.extra.contains_key(KEY)) {
        let Some(g) = c.subgroup.as_deref() else {
            continue;
        };
        match by.iter_mut().find(|(name, _)| *name == g) {
            Some((_, list)) => list.push(c),
            None => by.push((g, vec![c])),
        }
    }
    let median = |list: &[&Check], name: &str| -> Option<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = list
            .iter()
            .filter(|c| c.effect_name == name)
            .map(|c| (c.extra[KEY], c.alert_threshold))
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        Some(v[(v.len() - 1) / 2])
    };
    let mut small: Vec<Small> = by
        .into_iter()
        .filter_map(|(g, list)| {
            let numeric = median(&list, NUMERIC);
            let share = median(&list, SHARE);
            let (d, alert) = numeric.or(share)?;
            (d > BLIND * alert).then(|| Small {
                subgroup: g.to_string(),
                cases: list.iter().map(|c| c.n_serving).max().unwrap_or(0),
                numeric: numeric.map(|m| m.0),
                share: share.map(|m| m.0),
            })
        })
        .collect();
    small.sort_by(|a, b| a.cases.cmp(&b.cases).then(a.subgroup.cmp(&b.subgroup)));
    small
}

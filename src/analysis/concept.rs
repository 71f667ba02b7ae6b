//! Concept drift and model control: the meaning of a label changing under the model (the
//! seed's revised definition of edema), and models nobody approved reaching production.
//!
//! - label prevalence shift, baseline against serving;
//! - change-point detection (Page–Hinkley and CUSUM, parameters in docs/statistics.md) on
//!   the time-ordered per-case error stream, reporting the date of the alarm;
//! - "suspected concept drift" when performance fell while the inputs did not drift;
//! - every (model, version) in the serving logs that is neither the baseline's nor approved.

use std::collections::{BTreeMap, BTreeSet};

use super::drift::categorical::{change_interval, two_proportions};
use super::findings::IntervalFn;
use super::findings::{Check, Kind, Severity};
use crate::config::DriftConfig;
use crate::stats::changepoint::{
    cusum, excursion_p_value, page_hinkley, CusumParams, PageHinkleyParams, Reference,
};
use crate::stats::proportion::newcombe_diff;

fn check(kind: Kind, subject: &str) -> Check {
    Check::new(kind, subject, "")
}

/// Share of positive labels, baseline against serving (decided with the drift rule).
pub fn prevalence(
    baseline: (u64, u64),
    serving: (u64, u64),
    subgroup: Option<&str>,
    config: &DriftConfig,
) -> Check {
    let ((pb, nb), (ps, ns)) = (baseline, serving);
    let mut c = check(Kind::LabelShift, "label prevalence");
    c.subgroup = subgroup.map(str::to_string);
    c.test = "chi2-2x2";
    c.effect_name = "prevalence change (pp)";
    c.threshold = config.share_warn_pp;
    c.alert_threshold = config.share_alert_pp;
    c.n_baseline = nb;
    c.n_serving = ns;
    if (nb as usize) < config.min_n || (ns as usize) < config.min_n {
        c.severity = Severity::Insufficient;
        c.summary = format!(
            "{nb} baseline and {ns} serving labels; {} needed",
            config.min_n
        );
        return c;
    }
    let (rb, rs) = (pb as f64 / nb as f64, ps as f64 / ns as f64);
    if let Some((stat, p)) = two_proportions(pb as f64, nb as f64, ps as f64, ns as f64) {
        c.statistic = Some(stat);
        c.p_value = Some(p);
    }
    c.set_effect_with((rs - rb).abs() * 100.0, change_interval(pb, nb, ps, ns));
    c.summary = format!("positive labels {:.1}% → {:.1}%", 100.0 * rb, 100.0 * rs);
    c.action = "Ask the clinical team whether the labelling definition or the referral pattern changed; compare performance per label_version and map old labels (performance.label_map) if the definition was revised.".into();
    c
}

/// Shuffles behind the change-point p-value, and their seed (fixed: same stream, same p).
const PERMUTATIONS: usize = 199;
const PERMUTATION_SEED: u64 = 0xC0DE_C5A5;

/// A change point in the 0/1 error stream (`errors` in time order, `times` in UTC
/// microseconds), decided with the drift rule: a permutation test of the largest CUSUM
/// excursion for significance, and the rise of the error rate from the excursion's start
/// (Newcombe interval, percentage points) for the effect. Page–Hinkley and CUSUM (with the
/// baseline error rate as CUSUM's reference) are run as before and their alarms reported,
/// but no longer decide: with an in-control run length of ~100,000 cases, a stream of a
/// hundred thousand labelled cases alarms by chance more often than not.
pub fn change_point(
    errors: &[f64],
    times: &[i64],
    baseline_error_rate: f64,
    min_n: usize,
    drift: &DriftConfig,
) -> Check {
    let mut c = check(Kind::ChangePoint, "error stream");
    c.test = "cusum-permutation";
    c.n_serving = errors.len() as u64;
    c.effect_name = "error-rate rise from the change (pp)";
    c.threshold = drift.share_warn_pp;
    c.alert_threshold = drift.share_alert_pp;
    if errors.len() < min_n {
        c.severity = Severity::Insufficient;
        c.summary = format!("{} labelled serving cases; {min_n} needed", errors.len());
        return c;
    }
    let p_b = baseline_error_rate.clamp(0.001, 0.999);
    let ph = page_hinkley(errors, &PageHinkleyParams::default());
    let cu = Reference::bernoulli(p_b)
        .and_then(CusumParams::with_reference)
        .and_then(|p| cusum(errors, &p));
    let date = |i: usize| {
        chrono::DateTime::from_timestamp_micros(times[i])
            .map_or("?".to_string(), |t| t.format("%Y-%m-%d").to_string())
    };
    let describe = |name: &str, at: Option<usize>| match at {
        Some(i) => format!("{name} alarm at case {} ({})", i + 1, date(i)),
        None => format!("no {name} alarm"),
    };
    let serving_rate = errors.iter().sum::<f64>() / errors.len() as f64;
    if let Some(i) = ph {
        c.extra.insert("page_hinkley_index", i as f64);
    }
    if let Some(i) = cu {
        c.extra.insert("cusum_index", i as f64);
    }
    let k = CusumParams::with_reference(Reference::bernoulli(p_b).expect("clamped rate"))
        .map_or(0.25, |p| p.k());
    let sd = (p_b * (1.0 - p_b)).sqrt();
    let mut change = String::new();
    if let Some((e, p)) = excursion_p_value(errors, p_b, sd, k, PERMUTATIONS, PERMUTATION_SEED) {
        c.statistic = Some(e.statistic);
        c.p_value = Some(p);
        c.extra.insert("change_index", e.start as f64);
        let count = |xs: &[f64]| xs.iter().sum::<f64>().round() as u64;
        let (before, after) = errors.split_at(e.start.min(errors.len()));
        let (kb, nb) = (count(before), before.len() as u64);
        let (ka, na) = (count(after), after.len() as u64);
        if nb > 0 && na > 0 {
            let rise = 100.0 * (ka as f64 / na as f64 - kb as f64 / nb as f64);
            c.set_effect_with(
                rise,
                IntervalFn::new(move |conf| {
                    newcombe_diff(ka, na, kb, nb, conf)
                        .map(|(_, ci)| (100.0 * ci.low, 100.0 * ci.high))
                }),
            );
            change = format!(
                "; from case {} ({}) the error rate is {:.1}% against {:.1}% before",
                e.start + 1,
                date(e.start),
                100.0 * ka as f64 / na as f64,
                100.0 * kb as f64 / nb as f64
            );
        }
    }
    c.summary = format!(
        "error rate {:.1}% in the baseline, {:.1}% in serving{change}; {}; {}",
        100.0 * baseline_error_rate,
        100.0 * serving_rate,
        describe("Page–Hinkley", ph),
        describe("CUSUM", cu)
    );
    c.action = "The error rate rose from a point in time: find what changed that day (protocol, software, labelling, model version) and review the cases after it.".into();
    c
}

/// Performance fell — an alert, overall or in a subgroup (an alert implies the group had
/// enough labelled cases) — while no input feature, new category or subgroup mix drifted:
/// the meaning of the labels, or the relation between image and label, may have changed.
/// A warning or an `info` never raises it; the check names the metrics and groups.
pub fn suspected(performance: &[Check], drift: &[Check]) -> Option<Check> {
    let fell: Vec<&Check> = performance
        .iter()
        .filter(|c| c.kind == Kind::Performance && c.severity == Severity::Alert)
        .collect();
    let inputs_drifted = drift.iter().any(|c| {
        c.severity >= Severity::Warn
            && matches!(
                c.kind,
                Kind::FeatureDrift | Kind::NewCategory | Kind::Composition
            )
    });
    if fell.is_empty() || inputs_drifted {
        return None;
    }
    let mut c = check(Kind::ConceptDrift, "performance without input drift");
    c.severity = Severity::Alert;
    c.subgroup = match fell.iter().find(|c| c.subgroup.is_none()) {
        Some(_) => None,
        None => fell[0].subgroup.clone(),
    };
    c.summary = format!(
        "{} fell while no input feature, category or subgroup mix drifted",
        fell.iter()
            .map(|c| match &c.subgroup {
                Some(g) => format!("{} ({g})", c.subject),
                None => format!("{} (all cases)", c.subject),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    c.action = "Suspected concept drift: ask whether the clinical definition behind the labels was revised; re-express old labels (performance.label_map) and plan retraining on labels under the current definition.".into();
    Some(c)
}

/// One row of the serving logs, for model-version control.
#[derive(Debug, Clone)]
pub struct Seen {
    pub count: u64,
    pub first: i64,
    pub last: i64,
}

/// A check per (model, version) in the serving logs: alert when not approved.
pub fn model_versions(
    seen: &BTreeMap<(String, String), Seen>,
    approved: &BTreeSet<(String, String)>,
) -> Vec<Check> {
    let date = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .map_or("?".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    seen.iter()
        .map(|((model, version), s)| {
            let mut c = check(Kind::ModelVersion, &format!("{model} {version}"));
            c.test = "approved-list";
            c.n_serving = s.count;
            c.extra.insert("count", s.count as f64);
            let ok = approved.contains(&(model.clone(), version.clone()));
            c.severity = if ok { Severity::Pass } else { Severity::Alert };
            c.summary = format!(
                "{} inferences from {} to {} UTC{}",
                s.count,
                date(s.first),
                date(s.last),
                if ok { "" } else { "; not the baseline's model and not in approved_versions" }
            );
            if !ok {
                c.action = format!(
                    "Stop and verify the deployment: {model} {version} was never validated; roll back to an approved version or validate and approve it (approved_versions in the config)."
                );
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unapproved_version_is_an_alert_with_its_count() {
        let mut seen = BTreeMap::new();
        seen.insert(
            ("m".to_string(), "1".to_string()),
            Seen {
                count: 5,
                first: 0,
                last: 1,
            },
        );
        seen.insert(
            ("m".to_string(), "2-rc".to_string()),
            Seen {
                count: 3,
                first: 0,
                last: 1,
            },
        );
        let approved: BTreeSet<_> = [("m".to_string(), "1".to_string())].into();
        let checks = model_versions(&seen, &approved);
        assert_eq!(checks[0].severity, Severity::Pass);
        assert_eq!(checks[1].severity, Severity::Alert);
        assert!(checks[1].summary.starts_with("3 inferences"));
    }

    #[test]
    fn a_rising_error_rate_raises_a_change_point_with_its_date() {
        let mut errors = vec![0.0; 400];
        for (i, e) in errors.iter_mut().enumerate() {
            *e = if i % 10 == 0 { 1.0 } else { 0.0 };
        }
        errors.extend((0..400).map(|i| if i % 2 == 0 { 1.0 } else { 0.0 }));
        let times: Vec<i64> = (0..800)
            .map(|i| 1_790_000_000_000_000 + i * 3_600_000_000)
            .collect();
        let drift = DriftConfig::default();
        let mut c = change_point(&errors, &times, 0.1, 30, &drift);
        crate::analysis::findings::decide(std::slice::from_mut(&mut c), 0.05);
        assert_eq!(c.severity, Severity::Alert, "{}", c.summary);
        let at = c.extra["cusum_index"] as usize;
        assert!((400..520).contains(&at), "{at}");
        let start = c.extra["change_index"] as usize;
        assert!((380..420).contains(&start), "{start}");
        assert!(c.summary.contains("against 10.0% before"), "{}", c.summary);
        let mut flat = change_point(&errors[..400], &times[..400], 0.1, 30, &drift);
        crate::analysis::findings::decide(std::slice::from_mut(&mut flat), 0.05);
        assert_eq!(flat.severity, Severity::Pass, "{}", flat.summary);
    }

    #[test]
    fn a_long_stable_stream_is_not_a_change_point_whatever_the_detectors_say() {
        use rand::{Rng, SeedableRng};
        // 120,000 cases at a steady 12% error rate against a 12% baseline: longer than the
        // detectors' in-control run length, so they may alarm; the permutation test does not.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        let errors: Vec<f64> = (0..120_000)
            .map(|_| f64::from(u8::from(rng.random::<f64>() < 0.12)))
            .collect();
        let times: Vec<i64> = (0..120_000).map(|i| 1_790_000_000_000_000 + i).collect();
        let mut c = change_point(&errors, &times, 0.12, 30, &DriftConfig::default());
        crate::analysis::findings::decide(std::slice::from_mut(&mut c), 0.05);
        assert!(c.severity < Severity::Warn, "{}", c.summary);
    }
}

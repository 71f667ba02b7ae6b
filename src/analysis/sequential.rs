//! The sequential rule over an audit history: tonight's decision of each check combined
//! with the evidence of the nights before it, so that repeated nightly audits do not
//! multiply false alarms (docs/statistics.md, "Sequential alerting over nights").
//!
//! Each check keeps a one-sided CUSUM of its nightly evidence `z = Φ⁻¹(1 − p)`
//! ([`Cusum`]), carried from night to night within a sequence (same baseline, same config;
//! a new sequence starts at zero). Tonight's severity is then:
//!
//! - **alert** when the sum has reached `h` *and* tonight's change is material — the
//!   night's own rule says warn or alert (its interval clears the warn threshold): the
//!   change has been seen on enough nights to be more than chance;
//! - **warn** when the night alone says alert but the sum is still below `h` (one night,
//!   not yet confirmed — a real change confirms itself tomorrow, a blip drains away), or
//!   when the sum has reached `h` and only the point estimate is past the warn threshold
//!   (a small change that persists: worth a look, not yet an alarm);
//! - otherwise the night's own decision.
//!
//! A check derived from others — "performance fell while no input drifted" — is an alert
//! only while a performance check is still an alert after the rule.
//!
//! A night whose p-value is beyond `1 − Φ(h + k)` (about 1e-9) reaches `h` alone, so an
//! unmistakable change — a protocol that moved 5 mm slices from 5 % to 40 % — alerts on
//! its first night. A check that could not be decided tonight (too few cases) carries its
//! sum unchanged.

use serde::Serialize;

use crate::analysis::findings::{Check, Kind, Severity};
use crate::stats::sequential::Cusum;

/// One check's sequential state after tonight, as report.json shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SequentialState {
    /// Tonight's evidence `Φ⁻¹(1 − p)` (none when the check was not decided tonight).
    pub evidence: Option<f64>,
    /// The CUSUM after tonight, and the value at which it signals.
    pub statistic: f64,
    pub threshold: f64,
    /// The night's own decision, before the rule.
    pub night_severity: Severity,
}

/// Applies the rule to every check of a night; `previous` gives a check's sum after the
/// last earlier night of its sequence.
pub fn apply_all(checks: &mut [Check], previous: impl Fn(&Check) -> Option<f64>, cusum: &Cusum) {
    for check in checks.iter_mut() {
        let before = previous(check);
        apply(check, before, cusum);
    }
    let performance_alert = checks
        .iter()
        .any(|c| c.kind == Kind::Performance && c.severity == Severity::Alert);
    for check in checks.iter_mut() {
        if check.kind == Kind::ConceptDrift
            && check.p_value.is_none()
            && check.severity == Severity::Alert
            && !performance_alert
        {
            check.severity = Severity::Warn;
            check.summary.push_str(
                " (not yet confirmed over nights: no performance alert after the sequential rule)",
            );
        }
    }
}

/// Applies the rule to one check, given its sum after the last earlier night (`None`: the
/// first night of its sequence). Checks without a p-value (a missing input, a model
/// version) keep their severity.
pub fn apply(check: &mut Check, previous: Option<f64>, cusum: &Cusum) {
    let Some(p) = check.p_value else {
        return;
    };
    let previous = previous.unwrap_or(0.0);
    let night = check.severity;
    if matches!(night, Severity::Insufficient) {
        check.sequential = Some(SequentialState {
            evidence: None,
            statistic: previous,
            threshold: cusum.threshold,
            night_severity: night,
        });
        return;
    }
    let z = cusum.evidence(p);
    let statistic = cusum.step(previous, z);
    let point_past = |t: f64| check.effect.is_some_and(|e| check.past(e, t));
    check.severity = if cusum.signals(statistic) {
        if night >= Severity::Warn {
            Severity::Alert
        } else if point_past(check.threshold) {
            Severity::Warn
        } else {
            night
        }
    } else if night == Severity::Alert {
        Severity::Warn
    } else {
        night
    };
    check.sequential = Some(SequentialState {
        evidence: Some(z),
        statistic,
        threshold: cusum.threshold,
        night_severity: night,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(p: f64, effect: f64, severity: Severity) -> Check {
        let mut c = Check::new(Kind::FeatureDrift, "slice_thickness", "ks");
        c.p_value = Some(p);
        c.effect = Some(effect);
        c.threshold = 0.1;
        c.alert_threshold = 0.25;
        c.severity = severity;
        c
    }

    #[test]
    fn a_first_night_alert_on_ordinary_evidence_is_a_warning() {
        let mut c = check(1e-4, 0.4, Severity::Alert);
        apply(&mut c, None, &Cusum::default());
        assert_eq!(c.severity, Severity::Warn);
        let s = c.sequential.unwrap();
        assert_eq!(s.night_severity, Severity::Alert);
        assert!((s.statistic - 2.719_016_485_455_709).abs() < 1e-9);
    }

    #[test]
    fn an_unmistakable_night_alerts_at_once() {
        let mut c = check(1e-20, 0.6, Severity::Alert);
        apply(&mut c, None, &Cusum::default());
        assert_eq!(c.severity, Severity::Alert);
    }

    #[test]
    fn a_persistent_change_is_confirmed_on_a_later_night() {
        let cusum = Cusum::default();
        let mut c = check(1e-4, 0.4, Severity::Alert);
        apply(&mut c, Some(2.7), &cusum);
        assert_eq!(c.severity, Severity::Alert);
        // A small change whose nightly interval never clears: its point estimate past the
        // warn threshold, the sum past h → warn; past the alert threshold → alert.
        let mut c = check(1e-3, 0.15, Severity::Info);
        apply(&mut c, Some(4.0), &cusum);
        assert_eq!(c.severity, Severity::Warn);
        let mut c = check(1e-3, 0.3, Severity::Info);
        apply(&mut c, Some(4.0), &cusum);
        assert_eq!(c.severity, Severity::Warn);
        let mut c = check(1e-3, 0.3, Severity::Warn);
        apply(&mut c, Some(4.0), &cusum);
        assert_eq!(c.severity, Severity::Alert);
        // A trivial effect never alerts, however long the evidence.
        let mut c = check(1e-3, 0.01, Severity::Info);
        apply(&mut c, Some(9.0), &cusum);
        assert_eq!(c.severity, Severity::Info);
    }

    #[test]
    fn a_concept_drift_alert_needs_a_confirmed_performance_alert() {
        let mut fell = check(1e-4, -0.2, Severity::Alert);
        fell.kind = Kind::Performance;
        let mut concept = Check::new(Kind::ConceptDrift, "performance without input drift", "");
        concept.severity = Severity::Alert;
        let mut checks = vec![fell.clone(), concept.clone()];
        apply_all(&mut checks, |_| None, &Cusum::default());
        assert_eq!(checks[0].severity, Severity::Warn);
        assert_eq!(checks[1].severity, Severity::Warn);
        let mut checks = vec![fell, concept];
        apply_all(&mut checks, |_| Some(4.0), &Cusum::default());
        assert_eq!(checks[1].severity, Severity::Alert);
    }

    #[test]
    fn an_undecided_night_carries_the_sum_and_a_check_without_p_is_left_alone() {
        let mut c = check(0.5, 0.0, Severity::Insufficient);
        apply(&mut c, Some(3.0), &Cusum::default());
        assert_eq!(c.sequential.as_ref().unwrap().statistic, 3.0);
        assert_eq!(c.severity, Severity::Insufficient);
        let mut c = check(0.5, 0.0, Severity::Warn);
        c.p_value = None;
        apply(&mut c, Some(3.0), &Cusum::default());
        assert!(c.sequential.is_none());
        assert_eq!(c.severity, Severity::Warn);
    }
}

//! The gate's decision rule on hand-made paired cases.

use super::*;
use crate::stats::proportion::Interval;

/// `n` cases alternating positive/negative; the reference scores each case 0.8/0.2 with
/// the right prediction; the candidate the same except on the first `wrong_positives`
/// positives, which it misses.
fn cases(n: usize, wrong_positives: usize) -> Paired {
    let labels: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
    let reference = Scored {
        scores: labels.iter().map(|&l| if l { 0.8 } else { 0.2 }).collect(),
        predictions: labels.clone(),
    };
    let mut candidate = reference.clone();
    for i in (0..n).step_by(2).take(wrong_positives) {
        candidate.scores[i] = 0.3;
        candidate.predictions[i] = false;
    }
    // Vary the reference scores a little so AUROC has no degenerate variance.
    let mut reference = reference;
    for (i, s) in reference.scores.iter_mut().enumerate() {
        *s += (i % 7) as f64 * 0.01;
    }
    Paired {
        labels,
        reference,
        candidate,
    }
}

fn severity(checks: &[Check], subject: &str, subgroup: Option<&str>) -> Severity {
    checks
        .iter()
        .find(|c| c.subject == subject && c.subgroup.as_deref() == subgroup)
        .unwrap_or_else(|| panic!("no check {subject} {subgroup:?}"))
        .severity
}

#[test]
fn a_model_compared_with_itself_passes_every_check() {
    let p = cases(200, 0);
    let same = Paired {
        candidate: p.reference.clone(),
        ..p.clone()
    };
    let checks = checks(&same, &[], &PairStats::default(), &GateConfig::default());
    assert_eq!(checks.len(), 5);
    for c in &checks {
        assert_eq!(c.severity, Severity::Pass, "{}", c.summary);
    }
    let sens = &checks[2];
    assert_eq!((sens.effect, sens.extra["ci_low"]), (Some(0.0), 0.0));
}

#[test]
fn overall_needs_shown_non_inferiority_but_a_subgroup_needs_shown_harm() {
    let cfg = GateConfig::default();
    let cmp = |diff: f64, low: f64, high: f64| Comparison {
        reference: 0.8,
        candidate: 0.8 + diff,
        diff,
        ci: Interval { low, high },
        test: "t",
        statistic: None,
        p_value: None,
        n: 50,
        extra: Vec::new(),
    };
    let m = cfg.margins.sensitivity;
    // Point estimate fine, interval wide: fails overall, passes in a subgroup.
    let wide = cmp(0.0, -0.2, 0.2);
    assert_eq!(decide(Metric::Sensitivity, &wide, m, true), Severity::Alert);
    assert_eq!(decide(Metric::Sensitivity, &wide, m, false), Severity::Pass);
    // Worse beyond the margin but not demonstrably: a warning in a subgroup.
    let unclear = cmp(-0.1, -0.3, 0.1);
    assert_eq!(
        decide(Metric::Sensitivity, &unclear, m, false),
        Severity::Warn
    );
    // Demonstrably worse: fails everywhere.
    let worse = cmp(-0.2, -0.3, -0.1);
    assert_eq!(
        decide(Metric::Sensitivity, &worse, m, false),
        Severity::Alert
    );
    // Brier: lower is better, so a positive difference is harm.
    let brier_worse = cmp(0.1, 0.05, 0.15);
    assert_eq!(
        decide(Metric::Brier, &brier_worse, 0.02, false),
        Severity::Alert
    );
    let brier_better = cmp(-0.05, -0.08, -0.02);
    assert_eq!(
        decide(Metric::Brier, &brier_better, 0.02, true),
        Severity::Pass
    );
}

#[test]
fn a_subgroup_where_the_candidate_misses_positives_fails_the_gate() {
    let p = cases(400, 30);
    // The subgroup: the first 120 cases, which hold all 30 misses among its 60 positives.
    let mask: Vec<bool> = (0..400).map(|i| i < 120).collect();
    let groups = vec![("early".to_string(), mask)];
    let checks = checks(&p, &groups, &PairStats::default(), &GateConfig::default());
    assert_eq!(
        severity(&checks, "sensitivity", Some("early")),
        Severity::Alert
    );
    let sens = checks
        .iter()
        .find(|c| c.subject == "sensitivity" && c.subgroup.is_some())
        .unwrap();
    assert!(
        sens.summary
            .starts_with("sensitivity for early: 1.00 → 0.50, difference −0.50"),
        "{}",
        sens.summary
    );
    assert!(sens.action.contains("false negatives"), "{}", sens.action);
    assert_eq!(
        severity(&checks, "specificity", Some("early")),
        Severity::Pass
    );
}

#[test]
fn too_few_pairs_fails_closed_overall_and_is_insufficient_in_a_subgroup() {
    let p = cases(20, 0);
    let groups = vec![("few".to_string(), vec![true; 20])];
    let checks = checks(&p, &groups, &PairStats::default(), &GateConfig::default());
    assert_eq!(checks[0].subject, "paired cases");
    assert_eq!(checks[0].severity, Severity::Alert);
    assert!(
        checks[0].summary.contains("too few"),
        "{}",
        checks[0].summary
    );
    assert!(checks[0]
        .action
        .contains("Collect more paired labelled cases"));
    assert_eq!(severity(&checks, "AUROC", None), Severity::Insufficient);
    assert_eq!(
        severity(&checks, "AUROC", Some("few")),
        Severity::Insufficient
    );

    let open = GateConfig {
        fail_closed: false,
        require_subgroups: true,
        ..GateConfig::default()
    };
    let checks = super::checks(&p, &groups, &PairStats::default(), &open);
    assert_eq!(checks[0].severity, Severity::Insufficient);
    assert_eq!(severity(&checks, "AUROC", Some("few")), Severity::Alert);
}

#[test]
fn brier_difference_matches_a_paired_t_interval() {
    // scipy: d = [0.01, -0.03, 0.02, 0.05, -0.01]; mean 0.008, sd 0.0303315...,
    // t.ppf(0.975, 4) = 2.7764451, half = 2.7764451 * sd / sqrt(5) = 0.0386710...
    let labels = vec![true; 5];
    let reference = [0.9, 0.8, 0.7, 0.6, 0.5];
    let d = [0.01, -0.03, 0.02, 0.05, -0.01];
    let candidate: Vec<f64> = reference
        .iter()
        .zip(d)
        .map(|(r, d): (&f64, f64)| 1.0 - ((1.0 - r) * (1.0 - r) + d).sqrt())
        .collect();
    let p = Paired {
        labels,
        reference: Scored {
            scores: reference.to_vec(),
            predictions: vec![true; 5],
        },
        candidate: Scored {
            scores: candidate,
            predictions: vec![true; 5],
        },
    };
    let cmp = compare(Metric::Brier, &p, 0.95).unwrap();
    assert!((cmp.diff - 0.008).abs() < 1e-12, "{}", cmp.diff);
    let half = 2.776_445_105_197_8 * 0.030_331_501_776_206_2 / 5f64.sqrt();
    assert!((cmp.ci.high - (0.008 + half)).abs() < 1e-9, "{:?}", cmp.ci);
}

#[test]
fn signed_numbers_use_a_real_minus_sign() {
    assert_eq!(signed(-0.134, 2), "−0.13");
    assert_eq!(signed(0.08, 2), "+0.08");
    assert_eq!(signed(-0.0001, 2), "0.00");
}

//! Checks on how a serving window fills the baseline's acquisition clusters: the chi-square
//! test of cluster occupancy, each cluster's share change, the novel-case rate against the
//! expected 1% (binomial), and per-cluster score shift.

use super::drift::categorical::{change_interval, share_interval};
use super::drift::numeric;
use super::findings::IntervalFn;
use super::findings::{Check, Distribution, Kind, Severity};
use crate::analysis::cluster::{Assignment, ClusterModel};
use crate::config::{ClusterConfig, DriftConfig};
use crate::stats::chisq::chisquare_gof;
use crate::stats::proportion::{binom_test, wilson, Alternative};

/// The share of baseline cases beyond their cluster's p99, by construction.
pub const EXPECTED_NOVEL: f64 = 0.01;

fn check(kind: Kind, subject: String, test: &'static str) -> Check {
    Check::new(kind, subject, test)
}

const ACTION: &str = "Confirm with the radiology team which scanner or protocol produces these acquisitions; check model performance on them before relying on its results.";

/// Occupancy, per-cluster shares and the novel rate (decided later with the drift rule).
pub fn checks(
    model: &ClusterModel,
    assignment: &Assignment,
    drift: &DriftConfig,
    config: &ClusterConfig,
) -> Vec<Check> {
    let n = assignment.cluster.len() as u64;
    let nb = model.usable_rows;
    let mut out = Vec::new();
    let observed: Vec<f64> = assignment.counts.iter().map(|&c| c as f64).collect();
    let expected: Vec<f64> = model.clusters.iter().map(|c| c.share * n as f64).collect();
    let mut occupancy = check(Kind::ClusterOccupancy, "all clusters".into(), "chi2-gof");
    occupancy.n_baseline = nb;
    occupancy.n_serving = n;
    occupancy.effect_name = "max share change (pp)";
    occupancy.threshold = drift.share_warn_pp;
    occupancy.alert_threshold = drift.share_alert_pp;
    if (n as usize) < drift.min_n {
        occupancy.severity = Severity::Insufficient;
        occupancy.summary = format!("{n} serving cases; {} needed", drift.min_n);
        return vec![occupancy];
    }
    if let Some(r) = chisquare_gof(&observed, &expected) {
        occupancy.statistic = Some(r.statistic);
        occupancy.p_value = Some(r.p_value);
    }
    let baseline_counts: Vec<f64> = model.clusters.iter().map(|c| c.size as f64).collect();
    let mut top = (0.0, 0);
    for (i, cluster) in model.clusters.iter().enumerate() {
        let share = observed[i] / n as f64;
        let change = (share - cluster.share).abs() * 100.0;
        if change > top.0 {
            top = (change, i);
        }
        let mut c = check(
            Kind::ClusterOccupancy,
            format!("cluster {}: {}", i + 1, cluster.label),
            "binomial",
        );
        c.n_baseline = cluster.size;
        c.n_serving = assignment.counts[i];
        c.effect_name = "share change (pp)";
        c.threshold = drift.share_warn_pp;
        c.alert_threshold = drift.share_alert_pp;
        c.p_value = binom_test(
            assignment.counts[i],
            n,
            cluster.share.clamp(1e-9, 1.0 - 1e-9),
            Alternative::TwoSided,
        );
        c.set_effect_with(
            change,
            change_interval(cluster.size, nb, assignment.counts[i], n),
        );
        c.summary = format!(
            "{:.1}% → {:.1}% of cases",
            100.0 * cluster.share,
            100.0 * share
        );
        c.action = ACTION.into();
        out.push(c);
    }
    occupancy.set_effect_with(top.0, share_interval(baseline_counts, observed));
    occupancy.summary = format!(
        "{} clusters; largest change in cluster {} ({})",
        model.k,
        top.1 + 1,
        model.clusters[top.1].label
    );
    occupancy.action = ACTION.into();
    occupancy.distribution = Some(Distribution::Categorical {
        categories: out.iter().map(|c| c.subject.clone()).collect(),
        baseline: model.clusters.iter().map(|c| c.size).collect(),
        serving: assignment.counts.clone(),
        changed: out.get(top.1).map(|c| c.subject.clone()),
    });
    out.insert(0, occupancy);

    let mut novel = check(
        Kind::NovelCases,
        "beyond the baseline's p99 distance".into(),
        "binomial",
    );
    novel.n_baseline = nb;
    novel.n_serving = n;
    let rate = assignment.novel_count as f64 / n as f64;
    novel.p_value = binom_test(
        assignment.novel_count,
        n,
        EXPECTED_NOVEL,
        Alternative::Greater,
    );
    let above = |r: f64| ((r - EXPECTED_NOVEL) * 100.0).max(0.0);
    let k = assignment.novel_count;
    novel.set_effect_with(
        above(rate),
        IntervalFn::new(move |c| wilson(k, n, c).map(|ci| (above(ci.low), above(ci.high)))),
    );
    novel.effect_name = "novel rate above 1% (pp)";
    novel.threshold = config.novel_warn_pp;
    novel.alert_threshold = config.novel_alert_pp;
    let unseen = assignment.unseen.iter().filter(|&&u| u).count();
    novel.summary = format!(
        "{} of {n} cases ({:.1}%) are novel (1% expected): {} farther from their cluster than 99% of the baseline, {unseen} with a scanner, kernel or other category never seen in the baseline",
        assignment.novel_count,
        100.0 * rate,
        assignment.novel_count - unseen as u64
    );
    novel.action = "Look at the novel cases (novel.parquet): acquisitions unlike anything the model was validated on. Confirm the protocol with radiology and validate the model on them.".into();
    out.push(novel);
    out
}

/// Score shift inside each cluster (baseline members' scores against serving members').
pub fn score_checks(
    model: &ClusterModel,
    baseline: (&[u32], &[Option<f64>]),
    serving: (&[u32], &[Option<f64>]),
    drift: &DriftConfig,
) -> Vec<Check> {
    let pick = |(clusters, scores): (&[u32], &[Option<f64>]), k: u32| -> Vec<f64> {
        let mut v: Vec<f64> = clusters
            .iter()
            .zip(scores)
            .filter(|(c, _)| **c == k)
            .filter_map(|(_, s)| *s)
            .collect();
        v.sort_unstable_by(f64::total_cmp);
        v
    };
    (0..model.k as u32)
        .map(|k| {
            let (b, s) = (pick(baseline, k), pick(serving, k));
            let mut c = check(Kind::ModelOutput, "score".into(), "ks");
            c.subgroup = Some(format!("cluster {}: {}", k + 1, model.clusters[k as usize].label));
            c.effect_name = "wasserstein/sd";
            c.threshold = drift.numeric_warn;
            c.alert_threshold = drift.numeric_alert;
            c.n_baseline = b.len() as u64;
            c.n_serving = s.len() as u64;
            if b.len() < drift.min_n || s.len() < drift.min_n {
                c.severity = Severity::Insufficient;
                c.summary = format!("too few scored cases (need {} on each side)", drift.min_n);
                return c;
            }
            if let Some(r) = numeric::compare(&b, &s) {
                c.statistic = Some(r.ks_statistic);
                c.p_value = Some(r.p_value);
                c.set_effect_with(r.effect, r.interval);
                c.summary = format!("score: {}", r.moved);
            }
            c.action = "The model answers differently for these acquisitions: check its performance on them with recent labelled cases.".into();
            c
        })
        .collect()
}

//! `cluster` as a library call: does the serving window still fall where the validation
//! data did, in acquisition-parameter space?

use arrow_array::RecordBatch;

use super::novel::novel_table;
use super::{assign, Assignment, ClusterError, ClusterModel};
use crate::analysis::findings::decide;
use crate::analysis::findings::{Check, Kind, Severity};
use crate::analysis::occupancy;
use crate::analysis::report::{BaselineIdentity, Report, WindowSummary};
use crate::analysis::snapshot::Snapshot;
use crate::analysis::window::Window;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::table::cases::access;
use crate::table::schema;

/// A cluster run's report and its novel cases (for `novel.parquet`).
pub struct ClusterRun {
    pub report: Report,
    pub novel: RecordBatch,
    /// Each serving case's cluster (for the grouping into changes).
    pub clusters: Vec<u32>,
}

/// Serving cases assigned to the baseline's clusters: occupancy, per-cluster shares, the
/// novel-case rate and (with inferences) the per-cluster score shift.
/// Mean silhouette below which the report calls the clustering weak (Kaufman and
/// Rousseeuw: below 0.25 "no substantial structure").
const WEAK_SILHOUETTE: f64 = 0.25;

/// What the report says of a weak clustering — one that cuts a continuum rather than
/// separating groups: its shares still move when the inputs move, but "cluster 2" is then
/// a region, not a protocol. `None` when the chosen k's mean silhouette is 0.25 or more (or
/// k was fixed, so none was computed).
pub(super) fn weak_note(model: &ClusterModel) -> Option<String> {
    let silhouette = model
        .k_selection
        .iter()
        .find(|s| s.k == model.k)
        .and_then(|s| s.silhouette)
        .filter(|&s| s < WEAK_SILHOUETTE)?;
    Some(format!(
        "weak clustering: mean silhouette {silhouette:.2} at k = {} (below {WEAK_SILHOUETTE}), so the clusters are regions of one continuum of acquisition parameters, not separate protocols",
        model.k
    ))
}

pub fn run(snapshot: &Snapshot, window: Window, config: &Config) -> Result<ClusterRun> {
    let Some(model) = &snapshot.cluster else {
        let why = snapshot.manifest.cluster_note.clone().unwrap_or_default();
        return Err(Error::invalid(
            &snapshot.dir,
            format!("the snapshot has no cluster model ({why}); rebuild it with a `cluster` config that fits"),
        ));
    };
    let Window {
        cases: serving,
        join,
        with_inferences,
        source,
        ..
    } = window;
    let invalid = |e: ClusterError| Error::invalid(&source, e.to_string());
    let assignment = assign(model, &serving).map_err(invalid)?;
    let drift = &config.drift;
    let mut checks = occupancy::checks(model, &assignment, drift, &config.cluster);
    if with_inferences && snapshot.cases.column_by_name(schema::SCORE).is_some() {
        let baseline_assignment = assign(model, &snapshot.cases).map_err(invalid)?;
        let b_scores = access::numeric(&snapshot.cases, schema::SCORE).unwrap_or_default();
        let s_scores = access::numeric(&serving, schema::SCORE).unwrap_or_default();
        checks.extend(occupancy::score_checks(
            model,
            (&baseline_assignment.cluster, &b_scores),
            (&assignment.cluster, &s_scores),
            drift,
        ));
    }
    decide(&mut checks, drift.fdr);
    moved_in(&mut checks, model, &serving, &assignment);
    let novel = novel_table(&serving, model, &assignment)
        .map_err(|e| Error::invalid(&source, e.to_string()))?;
    let mut lines = crate::analysis::drift::method(drift);
    lines.truncate(1);
    lines.push(format!(
        "k-means (linfa, seed {}) on standardised acquisition parameters ({}; categories {} one-hot, weight {}), k = {}; serving cases go to the nearest centroid.",
        model.seed,
        config.cluster.numeric.join(", "),
        config.cluster.categorical.join(", "),
        config.cluster.categorical_weight,
        model.k
    ));
    lines.push("Occupancy: chi-square goodness of fit against the baseline shares; each cluster's share by a binomial test. Novel: farther from the nearest centroid than that cluster's baseline 99th-percentile distance, tested against the expected 1% (one-sided binomial).".into());
    if let Some(note) = weak_note(model) {
        for c in checks.iter_mut().filter(|c| c.subject == "all clusters") {
            c.summary = format!("{}; {note}", c.summary);
        }
        lines.push(format!("The {note}."));
    }
    if assignment.imputed_cells > 0 {
        lines.push(format!(
            "{} missing serving values were filled with the baseline median before assignment.",
            assignment.imputed_cells
        ));
    }
    let report = Report::new(
        "cluster",
        checks,
        WindowSummary::of(&serving, join.instances),
        BaselineIdentity::of(snapshot),
        join,
        lines,
    );
    Ok(ClusterRun {
        report,
        novel,
        clusters: assignment.cluster,
    })
}

/// A cluster that grew is described by its baseline members; when tonight's members are
/// mostly something else (thick-slice CT moving into a cluster that was mostly MR), its
/// finding says so: "the cases in it tonight are mostly CT (81%); its baseline members
/// were mostly MR". Categories only, read as codes, for the findings alone.
fn moved_in(
    checks: &mut [Check],
    model: &ClusterModel,
    serving: &RecordBatch,
    assignment: &Assignment,
) {
    let cluster = &assignment.cluster;
    let n = cluster.len().max(1) as f64;
    for check in checks.iter_mut() {
        if check.kind != Kind::ClusterOccupancy || check.severity < Severity::Warn {
            continue;
        }
        let Some(index) = check
            .subject
            .strip_prefix("cluster ")
            .and_then(|r| r.split(':').next())
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| i.checked_sub(1))
        else {
            continue;
        };
        let Some(summary) = model.clusters.get(index) else {
            continue;
        };
        let share_tonight = assignment.counts.get(index).map_or(0.0, |&c| c as f64 / n);
        if share_tonight <= summary.share {
            continue;
        }
        for scale in &model.scaler.categorical {
            let Some((codes, names)) = access::codes(serving, &scale.name) else {
                continue;
            };
            let mut counts = vec![0u64; names.len()];
            let mut members = 0u64;
            for (code, &c) in codes.iter().zip(cluster) {
                if c as usize == index {
                    members += 1;
                    if let Some(code) = code {
                        counts[*code as usize] += 1;
                    }
                }
            }
            let Some((top, &count)) = counts
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.cmp(b.1).then(names[b.0].cmp(&names[a.0])))
            else {
                continue;
            };
            let baseline = summary
                .description
                .iter()
                .find(|(f, _)| *f == scale.name)
                .map(|(_, v)| v.as_str());
            let share = count as f64 / members.max(1) as f64;
            if share >= 0.5 && baseline.is_some_and(|b| b != names[top]) {
                check.summary = format!(
                    "{}; the cases in it tonight are mostly {} ({:.0}%), its baseline members were mostly {}",
                    check.summary,
                    names[top],
                    100.0 * share,
                    baseline.unwrap_or("")
                );
                break;
            }
        }
    }
}

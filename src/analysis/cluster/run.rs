//! `cluster` as a library call: does the serving window still fall where the validation
//! data did, in acquisition-parameter space?

use arrow_array::RecordBatch;

use super::novel::novel_table;
use super::{assign, ClusterError};
use crate::analysis::findings::decide;
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

//! `postmarket cluster --baseline DIR --headers H [--inferences I] -o OUT`: does the serving
//! window still fall where the validation data did, in acquisition-parameter space?
//!
//! Serving cases are assigned to the k-means clusters fitted with the baseline; occupancy,
//! per-cluster shares and the novel-case rate are tested, and the novel cases are listed in
//! `OUT/novel.parquet` (pseudonymised keys when the config says so, their parameters, the
//! nearest cluster and how far beyond its p99 they lie).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, RecordBatch, UInt32Array};
use arrow_schema::{Field, Schema};
use clap::Args;

use super::drift::{exit_code, method, window, FailOn};
use super::Context;
use crate::analysis::cluster::{assign, ClusterModel};
use crate::analysis::findings::decide;
use crate::analysis::occupancy;
use crate::error::{Error, Result};
use crate::report::model::{BaselineIdentity, Report};
use crate::table::cases::{access, CASE_KEY};
use crate::table::parquet::TableWriter;
use crate::table::schema;
use crate::table::snapshot;

#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the serving window
    #[arg(long, value_name = "FILE")]
    pub headers: PathBuf,
    /// inferences.parquet of the serving window (adds per-cluster score shift)
    #[arg(long, value_name = "FILE")]
    pub inferences: Option<PathBuf>,
    /// Output folder for report.json, report.md and novel.parquet
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ClusterArgs, ctx: &Context) -> Result<i32> {
    let report = build(args, ctx)?;
    super::deliver(&report, &args.output, args.json, None, ctx)?;
    if ctx.chatty {
        note!(
            "novel cases in {}",
            args.output.join("novel.parquet").display()
        );
    }
    Ok(exit_code(&report, args.fail_on))
}

pub fn build(args: &ClusterArgs, ctx: &Context) -> Result<Report> {
    let snapshot = snapshot::load(&args.baseline)?;
    let Some(model) = &snapshot.cluster else {
        let why = snapshot.manifest.cluster_note.clone().unwrap_or_default();
        return Err(Error::invalid(
            &args.baseline,
            format!("the snapshot has no cluster model ({why}); rebuild it with a `cluster` config that fits"),
        ));
    };
    let (serving, join, with_inferences) =
        super::serving_cases(&snapshot, &args.headers, args.inferences.as_deref())?;
    let invalid =
        |e: crate::analysis::cluster::ClusterError| Error::invalid(&args.headers, e.to_string());
    let assignment = assign(model, &serving).map_err(invalid)?;
    let drift = &ctx.config.drift;
    let mut checks = occupancy::checks(model, &assignment, drift, &ctx.config.cluster);
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
    write_novel(
        &args.output.join("novel.parquet"),
        &serving,
        model,
        &assignment,
    )?;
    let mut lines = method(drift);
    lines.truncate(1);
    lines.push(format!(
        "k-means (linfa, seed {}) on standardised acquisition parameters ({}; categories {} one-hot, weight {}), k = {}; serving cases go to the nearest centroid.",
        model.seed,
        ctx.config.cluster.numeric.join(", "),
        ctx.config.cluster.categorical.join(", "),
        ctx.config.cluster.categorical_weight,
        model.k
    ));
    lines.push("Occupancy: chi-square goodness of fit against the baseline shares; each cluster's share by a binomial test. Novel: farther from the nearest centroid than that cluster's baseline 99th-percentile distance, tested against the expected 1% (one-sided binomial).".into());
    if assignment.imputed_cells > 0 {
        lines.push(format!(
            "{} missing serving values were filled with the baseline median before assignment.",
            assignment.imputed_cells
        ));
    }
    Ok(Report::new(
        "cluster",
        checks,
        window(&serving, join.instances),
        BaselineIdentity::of(&snapshot),
        join,
        lines,
    ))
}

/// The novel cases with their key, nearest cluster, distance and the clustering features.
fn write_novel(
    path: &Path,
    serving: &RecordBatch,
    model: &ClusterModel,
    a: &crate::analysis::cluster::Assignment,
) -> Result<()> {
    let mask = BooleanArray::from(a.novel.clone());
    let novel = arrow_select::filter::filter_record_batch(serving, &mask)
        .map_err(|e| Error::invalid(path, e.to_string()))?;
    let pick = |values: Vec<f64>| -> ArrayRef {
        let all = Float64Array::from(values);
        arrow_select::filter::filter(&all, &mask).expect("mask matches")
    };
    let clusters = arrow_select::filter::filter(
        &UInt32Array::from(a.cluster.iter().map(|c| c + 1).collect::<Vec<_>>()),
        &mask,
    )
    .expect("mask matches");
    let p99: Vec<f64> = a
        .cluster
        .iter()
        .map(|&c| model.clusters[c as usize].distance_p99)
        .collect();
    let reasons = arrow_array::StringArray::from_iter_values(a.unseen.iter().map(|&u| {
        if u {
            "category never seen in the baseline"
        } else {
            "beyond the cluster's p99 distance"
        }
    }));
    let reasons = arrow_select::filter::filter(&reasons, &mask).expect("mask matches");
    let mut fields = vec![
        Field::new("reason", arrow_schema::DataType::Utf8, false),
        Field::new("nearest_cluster", arrow_schema::DataType::UInt32, false),
        Field::new("distance", arrow_schema::DataType::Float64, false),
        Field::new("cluster_p99", arrow_schema::DataType::Float64, false),
    ];
    let mut columns = vec![reasons, clusters, pick(a.distance.clone()), pick(p99)];
    let wanted: Vec<&str> = std::iter::once(CASE_KEY)
        .chain(model.scaler.numeric.iter().map(|n| n.name.as_str()))
        .chain(model.scaler.categorical.iter().map(|c| c.name.as_str()))
        .collect();
    for name in wanted {
        if let Some(column) = novel.column_by_name(name) {
            fields.push(Field::new(name, column.data_type().clone(), true));
            columns.push(column.clone());
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .map_err(|e| Error::invalid(path, e.to_string()))?;
    let mut writer = TableWriter::create(path, batch.schema())?;
    writer.write(&batch)?;
    writer.finish()?;
    Ok(())
}

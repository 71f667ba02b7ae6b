//! `postmarket baseline --headers H --inferences I -o DIR`: a versioned, hashed snapshot of
//! the cases the model was validated on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use clap::Args;

use super::Context;
use crate::analysis::estimated::{self, BaselineCalibration};
use crate::error::{exit, Error, Result};
use crate::report::terminal::key_values;
use crate::table::cases::{access, build_cases, features};
use crate::table::inputs::{load_headers, load_inferences};
use crate::table::schema;
use crate::table::snapshot::{
    self, sha256_bytes, sha256_file, FileDigest, Manifest, ModelIdentity,
};

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// headers.parquet of the validation data (from `postmarket scan`)
    #[arg(long, value_name = "FILE")]
    pub headers: PathBuf,
    /// inferences.parquet of the validation data (from `postmarket logs`)
    #[arg(long, value_name = "FILE")]
    pub inferences: PathBuf,
    /// Snapshot folder to write (manifest.yaml, cases.parquet)
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: &BaselineArgs, ctx: &Context) -> Result<i32> {
    let (manifest, calibration, absent) = build(args, ctx)?;
    if ctx.chatty {
        let absent = if absent.is_empty() {
            "none".to_string()
        } else {
            absent.join(", ")
        };
        let model = manifest
            .model
            .as_ref()
            .map_or("—".to_string(), |m| format!("{} {}", m.name, m.version));
        note!(
            "{}",
            key_values(
                "baseline",
                &[
                    ("cases".into(), manifest.join.cases.to_string()),
                    (
                        "with inference".into(),
                        manifest.join.cases_with_inference.to_string()
                    ),
                    (
                        "inferences without case".into(),
                        manifest.join.inferences_without_case.to_string()
                    ),
                    ("model".into(), model),
                    ("features".into(), manifest.features.len().to_string()),
                    ("absent from headers".into(), absent),
                    (
                        "calibration".into(),
                        match &calibration {
                            Some(c) => format!(
                                "{} on {} labels; ECE {:.3} raw, {:.3} calibrated (in-sample)",
                                c.map.method(),
                                c.labelled,
                                c.ece_raw,
                                c.ece_calibrated
                            ),
                            None => manifest
                                .calibration_note
                                .clone()
                                .unwrap_or_else(|| "none".into()),
                        }
                    ),
                    ("snapshot".into(), args.output.display().to_string()),
                ],
                ctx.color,
            )
        );
    }
    Ok(exit::OK)
}

/// Builds and writes the snapshot; returns its manifest and the features its headers lack
/// (absent: nulls in the snapshot).
pub fn build(
    args: &BaselineArgs,
    ctx: &Context,
) -> Result<(Manifest, Option<BaselineCalibration>, Vec<String>)> {
    let features = features(&ctx.config.extra_tags);
    let (headers, inferences) = rayon::join(
        || load_headers(&args.headers, &features, ctx.config.unit),
        || load_inferences(&args.inferences),
    );
    let (headers, inferences) = (headers?, inferences?);
    // Testing a feature the validation data lacks would compare against nothing.
    for name in ctx.config.drift.features.iter().flatten() {
        if headers.column_by_name(name).is_none() {
            return Err(Error::invalid(
                &args.headers,
                format!("no column {name}, which drift.features asks to test"),
            ));
        }
    }
    let absent: Vec<String> = features
        .iter()
        .filter(|f| headers.column_by_name(&f.name).is_none())
        .map(|f| f.name.clone())
        .collect();
    let inference_rows = inferences.num_rows();
    let (cases, join) = build_cases(&headers, Some(inferences), &features, ctx.config.unit)
        .map_err(|e| Error::invalid(&args.headers, e))?;
    if join.cases_with_inference == 0 {
        return Err(Error::invalid(
            &args.inferences,
            "no inference matches a case in the headers: are the keys series UIDs (and pseudonymised alike)?",
        ));
    }
    let (model, approved) = models(&cases);
    let config_text = ctx.config.to_yaml();
    let manifest = Manifest {
        format_version: snapshot::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        created: crate::clock::run_timestamp(),
        model,
        approved_versions: approved,
        unit: ctx.config.unit,
        features,
        join: (&join).into(),
        config_sha256: sha256_bytes(config_text.as_bytes()),
        config: config_text,
        inputs: vec![
            digest(&args.headers, headers.num_rows())?,
            digest(&args.inferences, inference_rows)?,
        ],
        files: Vec::new(),
        cluster_note: None,
        calibration_note: None,
    };
    let mut manifest = manifest;
    let cluster = match fit_cluster(&cases, &ctx.config.cluster) {
        Ok(model) => Some(model),
        Err(e) => {
            manifest.cluster_note = Some(e.to_string());
            None
        }
    };
    let calibration = match baseline_calibration(&cases) {
        Ok(c) => Some(c),
        Err(why) => {
            manifest.calibration_note = Some(why);
            None
        }
    };
    snapshot::write(
        &args.output,
        &cases,
        cluster.as_ref(),
        calibration.as_ref(),
        manifest,
    )?;
    let snapshot = snapshot::load(&args.output)?;
    Ok((snapshot.manifest, snapshot.calibration, absent))
}

/// The calibration of the baseline's scores on its labelled, scored cases.
fn baseline_calibration(cases: &RecordBatch) -> std::result::Result<BaselineCalibration, String> {
    let (Some(scores), Some(labels)) = (
        access::numeric(cases, schema::SCORE),
        access::binary(cases, schema::LABEL),
    ) else {
        return Err("the baseline has no scores or no labels: no calibration map".into());
    };
    let (s, l): (Vec<f64>, Vec<bool>) = scores
        .into_iter()
        .zip(labels)
        .filter_map(|(s, l)| Some((s?, l?)))
        .unzip();
    estimated::calibrate_baseline(&s, &l)
}

/// Fits the acquisition clustering the config describes on the baseline cases.
pub fn fit_cluster(
    cases: &RecordBatch,
    config: &crate::config::ClusterConfig,
) -> std::result::Result<
    crate::analysis::cluster::ClusterModel,
    crate::analysis::cluster::ClusterError,
> {
    use crate::analysis::cluster::{fit, ClusterParams, KChoice};
    use crate::config::ClusterK;
    let mut params = ClusterParams::new(config.numeric.clone(), config.categorical.clone());
    params.categorical_weight = config.categorical_weight;
    params.k = match config.k {
        ClusterK::Fixed(k) => KChoice::Fixed(k),
        ClusterK::Auto(_) => KChoice::Auto {
            min: config.k_min,
            max: config.k_max,
        },
    };
    params.seed = config.seed;
    params.sample = config.sample;
    fit(cases, &params)
}

fn digest(path: &Path, rows: usize) -> Result<FileDigest> {
    Ok(FileDigest {
        name: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().to_string(),
        ),
        rows: rows as u64,
        sha256: sha256_file(path)?,
    })
}

/// The most frequent (model, version) among the cases, and every one seen.
fn models(cases: &RecordBatch) -> (Option<ModelIdentity>, Vec<ModelIdentity>) {
    let (Some(m), Some(v)) = (
        cases.column_by_name(schema::MODEL),
        cases.column_by_name(schema::MODEL_VERSION),
    ) else {
        return (None, Vec::new());
    };
    let (m, v) = (m.as_string::<i32>(), v.as_string::<i32>());
    let mut counts: BTreeMap<ModelIdentity, u64> = BTreeMap::new();
    for i in 0..m.len() {
        if m.is_valid(i) && v.is_valid(i) {
            let id = ModelIdentity {
                name: m.value(i).to_string(),
                version: v.value(i).to_string(),
            };
            *counts.entry(id).or_insert(0) += 1;
        }
    }
    let top = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(id, _)| id.clone());
    (top, counts.into_keys().collect())
}

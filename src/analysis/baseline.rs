//! `baseline` as a library call: a versioned, hashed snapshot of the cases the model was
//! validated on, with its acquisition clusters and its score calibration map.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::{Array, RecordBatch};

use crate::analysis::estimated::{self, BaselineCalibration};
use crate::analysis::snapshot::{self, sha256_bytes, table_digest, Manifest, ModelIdentity};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::table::cases::{access, build_cases, features};
use crate::table::inputs::{load_headers, load_inferences};
use crate::table::parts::{expand_inputs, stack};
use crate::table::schema;

/// What a built snapshot holds, for the summary.
pub struct Built {
    pub manifest: Manifest,
    pub calibration: Option<BaselineCalibration>,
    /// The features the headers lack (nulls in the snapshot).
    pub absent: Vec<String>,
}

/// Builds and writes the snapshot; returns its manifest and the features its headers lack
/// (absent: nulls in the snapshot).
/// `headers` and `inferences` are files or folders of Parquet parts, each side read as one
/// table.
pub fn build(
    headers: &[PathBuf],
    inferences: &[PathBuf],
    output: &Path,
    config: &Config,
) -> Result<Built> {
    let features = features(&config.extra_tags);
    let (header_parts, inference_parts) = (expand_inputs(headers)?, expand_inputs(inferences)?);
    let (Some(headers_path), Some(inferences_path)) =
        (header_parts.first(), inference_parts.first())
    else {
        return Err(Error::Usage(
            "a baseline needs both headers and inferences".into(),
        ));
    };
    let (headers, inferences) = rayon::join(
        || stack(&header_parts, |h| load_headers(h, &features, config.unit)),
        || stack(&inference_parts, load_inferences),
    );
    let (headers, inferences) = (headers?, inferences?);
    // Testing a feature the validation data lacks would compare against nothing.
    for name in config.drift.features.iter().flatten() {
        if headers.column_by_name(name).is_none() {
            return Err(Error::invalid(
                headers_path,
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
    let (cases, join) = build_cases(&headers, Some(inferences), &features, config.unit)
        .map_err(|e| Error::invalid(headers_path, e))?;
    if join.cases_with_inference == 0 {
        return Err(Error::invalid(
            inferences_path,
            "no inference matches a case in the headers: are the keys series UIDs (and pseudonymised alike)?",
        ));
    }
    let (model, approved) = models(&cases);
    let config_text = config.to_yaml();
    let manifest = Manifest {
        format_version: snapshot::FORMAT_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        created: crate::clock::run_timestamp(),
        model,
        approved_versions: approved,
        unit: config.unit,
        features,
        join: (&join).into(),
        config_sha256: sha256_bytes(config_text.as_bytes()),
        config: config_text,
        inputs: vec![
            table_digest(&header_parts, headers.num_rows() as u64)?,
            table_digest(&inference_parts, inference_rows as u64)?,
        ],
        files: Vec::new(),
        cluster_note: None,
        calibration_note: None,
    };
    let mut manifest = manifest;
    let cluster = match fit_cluster(&cases, &config.cluster) {
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
        output,
        &cases,
        cluster.as_ref(),
        calibration.as_ref(),
        manifest,
    )?;
    let snapshot = snapshot::load(output)?;
    Ok(Built {
        manifest: snapshot.manifest,
        calibration: snapshot.calibration,
        absent,
    })
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
    use crate::analysis::cluster::{fit, ClusterParams};
    let params = ClusterParams::from(config);
    fit(cases, &params)
}

/// The most frequent (model, version) among the cases, and every one seen.
fn models(cases: &RecordBatch) -> (Option<ModelIdentity>, Vec<ModelIdentity>) {
    let (Some(m), Some(v)) = (
        cases.column_by_name(schema::MODEL),
        cases.column_by_name(schema::MODEL_VERSION),
    ) else {
        return (None, Vec::new());
    };
    // Plain or dictionary-coded text (how inferences are read).
    let text = |c: &arrow_array::ArrayRef| crate::table::cast::to_utf8(c);
    let (Ok(m), Ok(v)) = (text(m), text(v)) else {
        return (None, Vec::new());
    };
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

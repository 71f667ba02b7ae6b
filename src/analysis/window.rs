//! The serving window: the cases every analysis compares with the baseline, built one way
//! for every command — read the headers and inferences, join them into one row per unit,
//! with the baseline's features and unit so that both sides are extracted alike.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{RecordBatch, UInt32Array};

use super::concept::Seen;
use super::snapshot::Snapshot;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::table::cases::{self, access, build_cases, Feature, JoinStats};
use crate::table::inputs::{load_headers, load_inferences};
use crate::table::schema;

/// One serving window's cases.
pub struct Window {
    /// One row per unit (series or study): the header features and, when inferences were
    /// given, the latest inference of that unit.
    pub cases: RecordBatch,
    pub join: JoinStats,
    /// Whether the cases come from headers (subgroups and input drift are known), or from
    /// inferences alone (the latest per key).
    pub with_headers: bool,
    pub with_inferences: bool,
    /// Every (model, version) among the inference rows as read, with counts and times:
    /// model-version control looks at every row, not only the latest per unit.
    pub model_versions: BTreeMap<(String, String), Seen>,
    /// The input that errors about the window name.
    pub source: PathBuf,
}

impl Window {
    /// Reads and joins a window's tables. At least one of `headers` and `inferences` must
    /// be given; a window without a single case is an error.
    pub fn load(
        snapshot: &Snapshot,
        headers: Option<&Path>,
        inferences: Option<&Path>,
    ) -> Result<Window> {
        let manifest = &snapshot.manifest;
        let (header_rows, inference_rows) = rayon::join(
            || headers.map(|h| load_headers(h, &manifest.features, manifest.unit)),
            || inferences.map(load_inferences),
        );
        let (header_rows, inference_rows) = (header_rows.transpose()?, inference_rows.transpose()?);
        let model_versions = inference_rows
            .as_ref()
            .map(model_versions)
            .unwrap_or_default();
        let with_inferences = inference_rows.is_some();
        let (source, cases, join) = match (headers, header_rows, inferences, inference_rows) {
            (Some(path), Some(rows), _, inference_rows) => {
                let (cases, join) =
                    build_cases(&rows, inference_rows, &manifest.features, manifest.unit)
                        .map_err(|e| Error::invalid(path, e))?;
                (path, cases, join)
            }
            (None, _, Some(path), Some(rows)) => {
                let (cases, join) = latest_per_key(&rows);
                (path, cases, join)
            }
            _ => {
                return Err(Error::Usage(
                    "neither headers nor inferences: no serving window to compare".into(),
                ))
            }
        };
        if cases.num_rows() == 0 {
            return Err(Error::invalid(source, "no cases in the serving window"));
        }
        Ok(Window {
            cases,
            join,
            with_headers: headers.is_some(),
            with_inferences,
            model_versions,
            source: source.to_path_buf(),
        })
    }

    /// The features this run tests: the snapshot's, narrowed to the `drift.features` names.
    /// A name the snapshot lacks is a config error: the baseline was built without it.
    pub fn tested_features(snapshot: &Snapshot, config: &Config) -> Result<Vec<Feature>> {
        let features = &snapshot.manifest.features;
        cases::select(features, config.drift.features.as_deref()).map_err(|unknown| {
            Error::ConfigValue {
                key: "drift.features",
                message: format!(
                    "{} not among the features of the baseline snapshot {} ({}); rebuild the baseline with this config",
                    unknown.join(", "),
                    snapshot.dir.display(),
                    features
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        })
    }
}

/// Every (model, version) among the inference rows, with how often and when it was seen.
fn model_versions(inferences: &RecordBatch) -> BTreeMap<(String, String), Seen> {
    let models = access::text(inferences, schema::MODEL).unwrap_or_default();
    let versions = access::text(inferences, schema::MODEL_VERSION).unwrap_or_default();
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
    let mut seen: BTreeMap<(String, String), Seen> = BTreeMap::new();
    for (i, (m, v)) in models.into_iter().zip(versions).enumerate() {
        let (Some(m), Some(v)) = (m, v) else { continue };
        let t = times.map_or(0, |t| t.value(i));
        let entry = seen.entry((m, v)).or_insert(Seen {
            count: 0,
            first: t,
            last: t,
        });
        entry.count += 1;
        entry.first = entry.first.min(t);
        entry.last = entry.last.max(t);
    }
    seen
}

/// A case table from inferences alone: the latest inference per key, sorted by key.
fn latest_per_key(inferences: &RecordBatch) -> (RecordBatch, JoinStats) {
    let keys = inferences
        .column_by_name(schema::KEY)
        .expect("checked schema")
        .as_string::<i32>();
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .expect("checked schema")
        .as_primitive::<TimestampMicrosecondType>();
    let mut latest: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut duplicates = 0;
    for i in 0..inferences.num_rows() {
        let key = keys.value(i);
        match latest.get_mut(key) {
            None => {
                latest.insert(key, i as u32);
            }
            Some(best) => {
                duplicates += 1;
                if times.value(i) >= times.value(*best as usize) {
                    *best = i as u32;
                }
            }
        }
    }
    let mut rows: Vec<(&str, u32)> = latest.into_iter().collect();
    rows.sort_unstable();
    let take = UInt32Array::from_iter_values(rows.iter().map(|r| r.1));
    let batch = arrow_select::take::take_record_batch(inferences, &take).expect("indices in range");
    let stats = JoinStats {
        instances: 0,
        cases: batch.num_rows() as u64,
        cases_with_inference: batch.num_rows() as u64,
        duplicate_inferences: duplicates,
        ..JoinStats::default()
    };
    (batch, stats)
}

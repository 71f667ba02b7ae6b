//! One side's columns for performance (scores, predictions, labels after the label map,
//! label versions, times), and the per-group tables the metrics read.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};

use super::Labelled;
use crate::analysis::findings::{Check, Kind};
use crate::config::Config;
use crate::table::cases::access;
use crate::table::schema;

/// Labels after `performance.label_map`, and how many were re-expressed.
pub(super) fn labels(cases: &RecordBatch, config: &Config) -> (Vec<Option<bool>>, u64) {
    let raw = access::binary(cases, schema::LABEL).unwrap_or_else(|| vec![None; cases.num_rows()]);
    let versions = label_versions(cases);
    let mut mapped = 0;
    let out = raw
        .iter()
        .zip(&versions)
        .map(|(label, version)| {
            let (Some(label), Some(map)) = (
                label,
                version
                    .as_deref()
                    .and_then(|v| config.performance.label_map.get(v)),
            ) else {
                return *label;
            };
            let key = if *label { "1" } else { "0" };
            match map.get(key) {
                Some(new) => {
                    mapped += 1;
                    new.map(|v| v == 1)
                }
                None => Some(*label),
            }
        })
        .collect();
    (out, mapped)
}

/// Each case's label version (none without the column), one shared string per version: an
/// owned `String` per case was ~50 MB of a 1M-case audit's peak.
fn label_versions(cases: &RecordBatch) -> Vec<Option<Arc<str>>> {
    let Some(text) = cases
        .column_by_name(schema::LABEL_VERSION)
        .and_then(|c| crate::table::cast::to_utf8(c).ok())
    else {
        return vec![None; cases.num_rows()];
    };
    let mut seen: Vec<Arc<str>> = Vec::new();
    text.iter()
        .map(|v| {
            v.map(|v| match seen.iter().find(|s| &***s == v) {
                Some(s) => s.clone(),
                None => {
                    seen.push(Arc::from(v));
                    seen[seen.len() - 1].clone()
                }
            })
        })
        .collect()
}

/// One side's columns for performance.
pub(super) struct Side {
    pub(super) scores: Vec<Option<f64>>,
    pub(super) predictions: Vec<Option<bool>>,
    pub(super) labels: Vec<Option<bool>>,
    /// Each case's label version, one shared string per version.
    pub(super) versions: Vec<Option<Arc<str>>>,
    pub(super) times: Vec<Option<i64>>,
}

impl Side {
    pub(super) fn new(cases: &RecordBatch, labels: Vec<Option<bool>>) -> Side {
        let n = cases.num_rows();
        let times = cases
            .column_by_name(schema::TIMESTAMP)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .map(|t| {
                (0..t.len())
                    .map(|i| t.is_valid(i).then(|| t.value(i)))
                    .collect()
            })
            .unwrap_or_else(|| vec![None; n]);
        Side {
            scores: access::numeric(cases, schema::SCORE).unwrap_or_else(|| vec![None; n]),
            predictions: access::binary(cases, schema::PREDICTION).unwrap_or_else(|| vec![None; n]),
            labels,
            versions: label_versions(cases),
            times,
        }
    }

    /// Scores and predictions of every scored case in `mask`, labelled or not.
    pub(super) fn scored(&self, mask: &[bool]) -> (Vec<f64>, Vec<bool>) {
        mask.iter()
            .enumerate()
            .filter(|(_, &m)| m)
            .filter_map(|(i, _)| Some((self.scores[i]?, self.predictions[i]?)))
            .unzip()
    }

    pub(super) fn labelled(&self, mask: &[bool]) -> Labelled {
        let mut g = Labelled::default();
        for (i, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
            if self.scores[i].is_none() {
                continue;
            }
            g.cases += 1;
            if let (Some(s), Some(l), Some(p)) =
                (self.scores[i], self.labels[i], self.predictions[i])
            {
                g.scores.push(s);
                g.labels.push(l);
                g.predictions.push(p);
            }
        }
        g
    }

    /// 0/1 errors of labelled cases in time order, with their timestamps.
    pub(super) fn error_stream(&self) -> (Vec<f64>, Vec<i64>) {
        let mut rows: Vec<(i64, f64)> = (0..self.labels.len())
            .filter_map(|i| {
                let (l, p, t) = (self.labels[i]?, self.predictions[i]?, self.times[i]?);
                Some((t, f64::from(u8::from(l != p))))
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        (
            rows.iter().map(|r| r.1).collect(),
            rows.iter().map(|r| r.0).collect(),
        )
    }
}

pub(super) fn coverage(group: &Labelled, subgroup: Option<&str>) -> Check {
    let labelled = group.labels.len() as u64;
    let share = labelled as f64 / group.cases.max(1) as f64;
    let mut c = Check {
        subgroup: subgroup.map(str::to_string),
        effect: Some(share),
        effect_name: "labelled share",
        n_serving: group.cases,
        summary: format!(
            "{labelled} of {} cases labelled ({:.0}%)",
            group.cases,
            100.0 * share
        ),
        ..Check::new(Kind::Performance, "label coverage", "count")
    };

    c.extra.insert("labelled", labelled as f64);
    c
}

pub(super) fn manifest_versions(side: &Side) -> BTreeSet<String> {
    side.versions
        .iter()
        .flatten()
        .map(|v| v.to_string())
        .collect()
}

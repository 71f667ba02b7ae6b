//! `gate` as a library call: a candidate model against production's model on the same
//! cases, overall and per subgroup.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};

use super::pairs;
use crate::analysis::report::{BaselineIdentity, Report, WindowSummary};
use crate::analysis::snapshot::{table_digest, ModelIdentity};
use crate::analysis::subgroups;
use crate::config::{Config, GateConfig};
use crate::error::{Error, Result};
use crate::table::cases::{features, JoinStats};
use crate::table::inputs::{load_headers, load_inferences_coded};
use crate::table::parts::{expand_inputs, stack};
use crate::table::schema;

/// Loads and pairs both inference tables, runs the gate, and returns the report. Each table
/// is files or folders of Parquet parts; `headers` may be empty (not given).
pub fn run(
    reference: &[PathBuf],
    candidate: &[PathBuf],
    headers: &[PathBuf],
    config: &Config,
) -> Result<Report> {
    let reference_parts = expand_inputs(reference)?;
    let candidate_parts = expand_inputs(candidate)?;
    let header_parts = expand_inputs(headers)?;
    let (Some(_), Some(candidate_path)) = (reference_parts.first(), candidate_parts.first()) else {
        return Err(Error::Usage(
            "the gate needs a reference and a candidate".into(),
        ));
    };
    let headers_path = header_parts.first().map(PathBuf::as_path);
    let reference = stack(&reference_parts, load_inferences_coded)?;
    let candidate = stack(&candidate_parts, load_inferences_coded)?;
    let pair_error = |e: pairs::PairError| {
        let path = match (&e, headers_path) {
            (pairs::PairError::Table(_), Some(h)) => h,
            _ => candidate_path,
        };
        Error::invalid(path, e.to_string())
    };
    // What the report says of the two files, before pairing frees all but the pairs.
    let reference_id = identity(&reference_parts, &reference)?;
    let candidate_file = table_digest(&candidate_parts, candidate.num_rows() as u64)?;
    let candidate_model = most_common_model(&candidate);
    let pairs = pairs::pair(reference, candidate).map_err(pair_error)?;
    // The headers are read once the inference tables are gone (their peaks do not add up).
    let feature_list = features(&config.extra_tags);
    let headers = headers_path
        .map(|_| {
            stack(&header_parts, |h| {
                load_headers(h, &feature_list, config.unit)
            })
        })
        .transpose()?;
    let with_headers = headers.is_some();
    let paired = pairs
        .table(
            headers
                .as_ref()
                .map(|h| (h, feature_list.as_slice(), config.unit)),
        )
        .map_err(pair_error)?;
    // The paired table has the header features it needs; the headers go.
    drop(headers);

    let mut notes = Vec::new();
    let mut groups = Vec::new();
    // The gate has one table: resolve against it once (an empty slice stands in for the
    // baseline side that `resolve` also labels).
    let no_rows = paired.table.slice(0, 0);
    for def in config.subgroups() {
        match subgroups::resolve(std::slice::from_ref(&def), &no_rows, &paired.table) {
            Ok(resolved) => {
                groups.extend(resolved.groups.into_iter().map(|g| (g.label, g.serving)))
            }
            Err(e) if with_headers => {
                return Err(Error::ParseConfig {
                    path: "subgroups".into(),
                    message: e,
                })
            }
            Err(e) => notes.push(format!("Subgroup skipped without --headers: {e}.")),
        }
    }
    let checks = super::checks(&paired.paired, &groups, &paired.stats, &config.gate);

    let s = &paired.stats;
    let join = JoinStats {
        instances: paired.join.as_ref().map_or(0, |j| j.instances),
        cases: s.reference_cases,
        cases_with_inference: s.paired,
        cases_without_inference: s.reference_only,
        inferences_without_case: s.candidate_only,
        duplicate_inferences: s.reference_duplicates + s.candidate_duplicates,
    };
    let mut method = vec![format!(
        "Reference {} vs candidate {} ({}, SHA-256 {}), paired by key.",
        model_text(reference_id.model.as_ref()),
        model_text(candidate_model.as_ref()),
        candidate_file.name,
        &candidate_file.sha256[..12]
    )];
    let mut reference_id = reference_id;
    reference_id.cases = s.reference_cases;
    reference_id.files.push(candidate_file);
    method.extend(method_lines(&config.gate));
    method.extend(notes);
    Ok(Report::new(
        "gate",
        checks,
        WindowSummary::of(&paired.table, join.instances),
        reference_id,
        join,
        method,
    ))
}

/// The reference file stands where other commands have a baseline snapshot: its name and
/// SHA-256 (`manifest_sha256`), its model, and its last inference time (`created`).
/// Its `cases` (distinct keys) are set once pairing has counted them.
fn identity(parts: &[PathBuf], batch: &RecordBatch) -> Result<BaselineIdentity> {
    let file = table_digest(parts, batch.num_rows() as u64)?;
    let times = batch
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
    let last = times
        .and_then(|t| {
            (0..t.len())
                .filter(|&i| t.is_valid(i))
                .map(|i| t.value(i))
                .max()
        })
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map_or(String::new(), |t| {
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
    Ok(BaselineIdentity {
        created: last,
        manifest_sha256: file.sha256.clone(),
        model: most_common_model(batch),
        cases: 0,
        files: vec![file],
    })
}

/// The most frequent (model, version) of an inference table.
fn most_common_model(batch: &RecordBatch) -> Option<ModelIdentity> {
    // Plain or dictionary-coded text (how inferences are read).
    let text = |name: &str| {
        let column = batch.column_by_name(name)?;
        match column.data_type() {
            arrow_schema::DataType::Utf8 => Some(column.as_string::<i32>().clone()),
            arrow_schema::DataType::Dictionary(_, value) if value.is_string() => {
                crate::table::cast::to_utf8(column).ok()
            }
            _ => None,
        }
    };
    let (m, v) = (text(schema::MODEL)?, text(schema::MODEL_VERSION)?);
    let mut counts: BTreeMap<ModelIdentity, u64> = BTreeMap::new();
    for i in (0..m.len()).filter(|&i| m.is_valid(i) && v.is_valid(i)) {
        let id = ModelIdentity {
            name: m.value(i).to_string(),
            version: v.value(i).to_string(),
        };
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .map(|(id, _)| id)
}

fn model_text(model: Option<&ModelIdentity>) -> String {
    model.map_or("(unknown model)".into(), |m| {
        format!("{} {}", m.name, m.version)
    })
}

pub fn method_lines(g: &GateConfig) -> Vec<String> {
    let m = &g.margins;
    let pct = g.confidence * 100.0;
    vec![
        format!(
            "Every comparison is paired (candidate − reference on the same cases), with {pct}% intervals: AUROC by paired DeLong; sensitivity and specificity at each model's own prediction by a paired Wald interval and McNemar's test; Brier score by a paired t-interval on per-case squared-error differences (ECE of each model shown)."
        ),
        format!(
            "All cases: the candidate must show non-inferiority — the interval's worst end within the margin (AUROC {}, sensitivity {}, specificity {}, Brier {}).",
            m.auroc, m.sensitivity, m.specificity, m.brier
        ),
        "Subgroups: the candidate fails only where it is demonstrably worse by more than the margin (the whole interval beyond it); worse by more than the margin with a wide interval is a warning.".to_string(),
        format!(
            "Fewer than {} paired labelled cases, or fewer than {} positives or negatives, {} overall; in a subgroup it is {}.",
            g.min_pairs,
            g.min_positives,
            if g.fail_closed { "fails the gate (fail closed)" } else { "leaves the gate insufficient" },
            if g.require_subgroups { "a failure (require_subgroups)" } else { "insufficient, not a failure" }
        ),
    ]
}

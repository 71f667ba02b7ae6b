//! The serving window: the cases every analysis compares with the baseline, built one way
//! for every command — read the headers and inferences, join them into one row per unit,
//! with the baseline's features and unit so that both sides are extracted alike.

use std::collections::BTreeMap;
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch, UInt32Array};

use super::concept::Seen;
use super::snapshot::Snapshot;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::table::cases::{self, build_cases, unit_key, Feature, JoinStats, KeyJoin};
use crate::table::inputs::{
    load_header_features, load_header_keys, load_headers_with, load_inference_columns,
    load_inference_keys, load_inferences,
};
use crate::table::parts::{expand_inputs, stack, stack_columns};
use crate::table::schema;
use crate::table::window::Window as Span;

/// The header column that places a case without an inference in a time window.
const STUDY_DATE: &str = crate::table::columns::HeaderColumn::StudyDate.name();

/// Units of a time-window selection: kept, dated but outside the window, and with no time
/// to place them (no inference in the window and no study date).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpanCounts {
    pub kept: u64,
    pub outside: u64,
    pub undated: u64,
}

/// The columns a command needs of a window's case table. Whatever it says, both tables'
/// columns are checked as a whole read checks them.
#[derive(Debug, Clone)]
pub struct Needs {
    /// The features to read (`None`: every feature of the snapshot).
    pub features: Option<Vec<String>>,
    /// The case key column ([`cases::CASE_KEY`], the unit's UID).
    pub key: bool,
    /// The inference columns to carry (`None`: all of [`cases::INFERENCE_COLUMNS`]);
    /// without the model and its version, [`Window::model_versions`] is empty.
    pub inference: Option<Vec<&'static str>>,
}

impl Needs {
    /// The whole case table.
    pub fn all() -> Needs {
        Needs {
            features: None,
            key: true,
            inference: None,
        }
    }
}

/// One serving window's cases.
#[derive(Clone)]
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
    /// Reads and joins a window's tables, each given as files or folders of Parquet parts
    /// ([`expand_inputs`]). At least one side must be given; a window without a single
    /// case is an error.
    pub fn load(
        snapshot: &Snapshot,
        headers: &[PathBuf],
        inferences: &[PathBuf],
    ) -> Result<Window> {
        Window::load_needed(snapshot, headers, inferences, &Needs::all())
    }

    /// [`Window::load`] keeping only the columns `needs` names: what a command that uses
    /// less than the whole case table (`drift`) asks for.
    pub fn load_needed(
        snapshot: &Snapshot,
        headers: &[PathBuf],
        inferences: &[PathBuf],
        needs: &Needs,
    ) -> Result<Window> {
        let (headers, inferences) = (expand_inputs(headers)?, expand_inputs(inferences)?);
        let window = match headers.is_empty() {
            false => Window::read_staged(snapshot, &headers, &inferences, needs)?,
            true => Window::read_parts(snapshot, &headers, &inferences, None)?.0,
        };
        if window.cases.num_rows() == 0 {
            return Err(Error::invalid(
                &window.source,
                "no cases in the serving window",
            ));
        }
        Ok(window)
    }

    /// A window from several header and inference files each (the parts Spark or DuckDB
    /// write, or one file per night): each side's files are read and stacked, and must
    /// have the same columns. Either side may be empty (not given), not both.
    ///
    /// With a `span`, only the cases of that time window are kept ([`select`]), and the
    /// counts of those left out come back beside the window.
    pub fn read_parts(
        snapshot: &Snapshot,
        headers: &[PathBuf],
        inferences: &[PathBuf],
        span: Option<&Span>,
    ) -> Result<(Window, Option<SpanCounts>)> {
        let manifest = &snapshot.manifest;
        let extra: &[&str] = if span.is_some() { &[STUDY_DATE] } else { &[] };
        let (header_rows, inference_rows) = rayon::join(
            || {
                (!headers.is_empty()).then(|| {
                    stack(headers, |h| {
                        load_headers_with(h, &manifest.features, manifest.unit, extra)
                    })
                })
            },
            || (!inferences.is_empty()).then(|| stack(inferences, load_inferences)),
        );
        let (header_rows, inference_rows, counts) = match span {
            Some(span) => {
                let (h, i, counts) = select(
                    header_rows.transpose()?,
                    inference_rows.transpose()?,
                    span,
                    unit_key(manifest.unit),
                )?;
                (h.map(Ok), i.map(Ok), Some(counts))
            }
            None => (header_rows, inference_rows, None),
        };
        let headers = headers.first().map(PathBuf::as_path);
        let inferences = inferences.first().map(PathBuf::as_path);
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
        let window = Window {
            cases,
            join,
            with_headers: headers.is_some(),
            with_inferences,
            model_versions,
            source: source.to_path_buf(),
        };
        Ok((window, counts))
    }

    /// A window read in two stages, so that neither side's UIDs are alive beside the
    /// header features: first the keys (the headers' unit UID, the inferences' key and
    /// timestamp; both sides' columns checked) and the join on them ([`KeyJoin`]), with
    /// the inference columns carried read alongside; the keys then freed, then the
    /// features read. At a million cases the UIDs are ~45 MB a side.
    fn read_staged(
        snapshot: &Snapshot,
        headers: &[PathBuf],
        inferences: &[PathBuf],
        needs: &Needs,
    ) -> Result<Window> {
        let manifest = &snapshot.manifest;
        let (header_keys, inference_keys) = rayon::join(
            || {
                stack_columns(headers, |h| {
                    load_header_keys(h, &manifest.features, manifest.unit)
                })
            },
            || (!inferences.is_empty()).then(|| stack_columns(inferences, load_inference_keys)),
        );
        let (header_keys, inference_keys) = (header_keys?, inference_keys.transpose()?);
        let source = &headers[0];
        let invalid = |e: String| Error::invalid(source, e);
        let keys = header_keys
            .column(0)
            .as_string_opt::<i32>()
            .ok_or_else(|| invalid("the unit's key is not text".into()))?;
        let features: Vec<Feature> = match &needs.features {
            None => manifest.features.clone(),
            Some(names) => manifest
                .features
                .iter()
                .filter(|f| names.contains(&f.name))
                .cloned()
                .collect(),
        };
        let carried: Vec<&str> = cases::INFERENCE_COLUMNS
            .iter()
            .copied()
            .filter(|c| needs.inference.as_ref().is_none_or(|n| n.contains(c)))
            .collect();
        // The inference columns carried are read while the join is worked out (its
        // inserts are serial: the other thread would wait); the header features after,
        // once the UIDs are freed. A join error is reported first, then a feature read's,
        // then a carried read's, as when they were read one after the other.
        let (join, carried_rows) = rayon::join(
            || -> Result<KeyJoin> {
                let keyed = inference_keys
                    .as_ref()
                    .map(cases::inference_keys)
                    .transpose()
                    .map_err(invalid)?;
                KeyJoin::new(keys, keyed, needs.key).map_err(invalid)
            },
            || {
                (!inferences.is_empty())
                    .then(|| stack(inferences, |p| load_inference_columns(p, &carried)))
            },
        );
        let join = join?;
        let (header_rows, inference_rows) =
            (header_keys.num_rows(), inference_keys.map(|i| i.num_rows()));
        drop(header_keys);

        let feature_rows = stack(headers, |h| load_header_features(h, &features))?;
        let carried_rows = carried_rows.transpose()?;
        let carried_names_empty = carried.is_empty();
        let changed = |path: &PathBuf| {
            Error::invalid(
                path,
                "the file changed while it was read (its row count differs between two reads)",
            )
        };
        if !features.is_empty() && feature_rows.num_rows() != header_rows {
            return Err(changed(source));
        }
        if let (Some(rows), Some(carried)) = (inference_rows, &carried_rows) {
            if !carried_names_empty && carried.num_rows() != rows {
                return Err(changed(&inferences[0]));
            }
        }
        let with_inferences = carried_rows.is_some();
        let model_versions = carried_rows
            .as_ref()
            .map(model_versions)
            .unwrap_or_default();
        let (cases, join) = join
            .cases(&feature_rows, carried_rows, &features, &carried)
            .map_err(invalid)?;
        Ok(Window {
            cases,
            join,
            with_headers: true,
            with_inferences,
            model_versions,
            source: source.clone(),
        })
    }

    /// A window of a case table made in memory (`drill`'s nights): headers and inferences
    /// both present, every row a case with its inference.
    pub fn of_cases(cases: RecordBatch, source: &str) -> Window {
        let n = cases.num_rows() as u64;
        Window {
            model_versions: model_versions(&cases),
            join: JoinStats {
                instances: n,
                cases: n,
                cases_with_inference: n,
                ..JoinStats::default()
            },
            cases,
            with_headers: true,
            with_inferences: true,
            source: PathBuf::from(source),
        }
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
/// Counted over the Arrow strings (an owned pair only per distinct version): a `String` per
/// row of a million inferences was ~100 MB at the peak of reading a window.
fn model_versions(inferences: &RecordBatch) -> BTreeMap<(String, String), Seen> {
    let text = |name: &str| {
        inferences
            .column_by_name(name)
            .and_then(|c| crate::table::cast::to_utf8(c).ok())
    };
    let (Some(models), Some(versions)) = (text(schema::MODEL), text(schema::MODEL_VERSION)) else {
        return BTreeMap::new();
    };
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
    let mut seen: std::collections::HashMap<(&str, &str), Seen, ahash::RandomState> =
        std::collections::HashMap::with_hasher(crate::table::fast_hasher());
    for (i, (m, v)) in models.iter().zip(&versions).enumerate() {
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
    seen.into_iter()
        .map(|((m, v), s)| ((m.to_string(), v.to_string()), s))
        .collect()
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

/// The rows of one time window, before the join: the inferences made in it, and the
/// header rows of the units they scored or — for a unit without one — whose study date
/// falls in it. Counts are of units: kept, dated outside, undated. The study date column
/// read for this goes again, so the case table is what it is without a window.
fn select(
    headers: Option<RecordBatch>,
    inferences: Option<RecordBatch>,
    span: &Span,
    key: &str,
) -> Result<(Option<RecordBatch>, Option<RecordBatch>, SpanCounts)> {
    use std::collections::{HashMap, HashSet};
    let (start, end) = (span.start.timestamp_micros(), span.end.timestamp_micros());
    let inside = |t: i64| start <= t && t < end;
    let mut counts = SpanCounts::default();
    // Keys borrowed from the inference table (no copy of a million strings).
    let hasher = crate::table::fast_hasher;
    let mut scored: HashSet<&str, _> = HashSet::with_hasher(hasher());
    let mut scored_outside: HashSet<&str, _> = HashSet::with_hasher(hasher());
    let inference_keep: Option<Vec<bool>> = inferences.as_ref().map(|rows| {
        let keys = rows
            .column_by_name(schema::KEY)
            .expect("checked schema")
            .as_string::<i32>();
        let times = rows
            .column_by_name(schema::TIMESTAMP)
            .expect("checked schema")
            .as_primitive::<TimestampMicrosecondType>();
        (0..rows.num_rows())
            .map(|i| {
                let k = times.is_valid(i) && inside(times.value(i));
                if k {
                    scored.insert(keys.value(i));
                } else {
                    scored_outside.insert(keys.value(i));
                }
                k
            })
            .collect()
    });
    let headers = match headers {
        Some(rows) => {
            let keys = rows
                .column_by_name(key)
                .expect("checked schema")
                .as_string::<i32>();
            let dates = rows
                .column_by_name(STUDY_DATE)
                .and_then(|c| c.as_primitive_opt::<arrow_array::types::Date32Type>());
            const MICROS_PER_DAY: i64 = 86_400_000_000;
            let mut units: HashMap<&str, Placed, _> =
                HashMap::with_capacity_and_hasher(rows.num_rows(), hasher());
            for i in 0..rows.num_rows() {
                let k = keys.value(i);
                let placed = if scored.contains(k) {
                    Placed::Kept
                } else {
                    match dates.filter(|d| d.is_valid(i)) {
                        Some(d) if inside(i64::from(d.value(i)) * MICROS_PER_DAY) => Placed::Kept,
                        Some(_) => Placed::Outside,
                        None if scored_outside.contains(k) => Placed::Outside,
                        None => Placed::Undated,
                    }
                };
                let unit = units.entry(k).or_insert(placed);
                *unit = (*unit).min(placed);
            }
            for placed in units.values() {
                match placed {
                    Placed::Kept => counts.kept += 1,
                    Placed::Outside => counts.outside += 1,
                    Placed::Undated => counts.undated += 1,
                }
            }
            // Every row of a kept unit stays, whichever row placed it.
            let keep: Vec<bool> = (0..rows.num_rows())
                .map(|i| units[keys.value(i)] == Placed::Kept)
                .collect();
            let kept = filter(&rows, keep)?;
            let without: Vec<usize> = (0..kept.num_columns())
                .filter(|&c| kept.schema().field(c).name() != STUDY_DATE)
                .collect();
            Some(
                kept.project(&without)
                    .map_err(|e| Error::invalid("headers", e.to_string()))?,
            )
        }
        None => {
            counts.kept = scored.len() as u64;
            counts.outside = scored_outside.difference(&scored).count() as u64;
            None
        }
    };
    let inferences = match (&inferences, inference_keep) {
        (Some(rows), Some(keep)) => Some(filter(rows, keep)?),
        _ => None,
    };
    Ok((headers, inferences, counts))
}

/// Where a unit falls against a time window; the least (kept) wins across its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Placed {
    Kept,
    Outside,
    Undated,
}

fn filter(rows: &RecordBatch, keep: Vec<bool>) -> Result<RecordBatch> {
    let mask = arrow_array::BooleanArray::from(keep);
    arrow_select::filter::filter_record_batch(rows, &mask)
        .map_err(|e| Error::invalid("serving window", e.to_string()))
}

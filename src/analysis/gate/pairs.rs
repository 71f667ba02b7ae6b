//! Pairing a candidate's inferences with production's (the reference) by `key`, and the
//! paired case table the gate's subgroups are resolved on.
//!
//! - Within one file a key seen several times keeps its latest inference (by timestamp,
//!   ties to the later row — the rule of `table::cases`) and the others are counted.
//! - Keys on one side only are counted, not compared.
//! - Ground truth is the reference's label; paired cases without one are counted and left
//!   out. A candidate file may carry labels too (null is fine), but a paired case whose
//!   two labels differ means the files do not describe the same truth: an input error.
//! - With headers, the table is the case table of `table::cases` (one feature-extraction
//!   path for every command), restricted to paired labelled cases; cases the headers do
//!   not cover are counted and left out. Without headers it is the reference's inference
//!   columns, so only `where` subgroups over those columns can resolve.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int8Type, TimestampMicrosecondType};
use arrow_array::{Array, BooleanArray, RecordBatch, StringArray, UInt32Array};
use serde::Serialize;

use super::{Paired, Scored};
use crate::config::Unit;
use crate::table::cases::{build_cases, Feature, JoinStats};
use crate::table::schema;

/// What pairing did, for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PairStats {
    /// Distinct keys in each file.
    pub reference_cases: u64,
    pub candidate_cases: u64,
    /// Rows dropped because a later row had the same key.
    pub reference_duplicates: u64,
    pub candidate_duplicates: u64,
    /// Keys in both files.
    pub paired: u64,
    pub reference_only: u64,
    pub candidate_only: u64,
    /// Paired keys without a reference label.
    pub unlabelled: u64,
    /// Paired labelled keys the headers do not cover (with headers only).
    pub without_headers: u64,
}

/// Why pairing failed: the inputs cannot be compared at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairError {
    /// No key in both files.
    NoOverlap { reference: u64, candidate: u64 },
    /// Keys in both files, but none with a reference label.
    NoLabels { paired: u64 },
    /// Paired cases whose labels differ between the files.
    LabelConflict { count: u64, first_key: String },
    /// A column is missing or of the wrong type, or Arrow failed.
    Table(String),
}

impl std::fmt::Display for PairError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PairError::NoOverlap { reference, candidate } => write!(
                f,
                "no case is in both files ({reference} reference keys, {candidate} candidate keys, 0 shared): was the candidate run on the same cases?"
            ),
            PairError::NoLabels { paired } => write!(
                f,
                "{paired} cases are in both files but none has a label in the reference: the gate needs ground truth"
            ),
            PairError::LabelConflict { count, first_key } => write!(
                f,
                "{count} paired case(s) have a different label in the candidate file than in the reference (first key {first_key}): both must describe the same ground truth"
            ),
            PairError::Table(message) => f.write_str(message),
        }
    }
}

/// The gate's input: the paired labelled cases as a table (for subgroups) and as vectors.
pub struct PairedTable {
    /// One row per paired labelled case, sorted by key.
    pub table: RecordBatch,
    pub paired: Paired,
    pub stats: PairStats,
    /// The header join, when headers were given.
    pub join: Option<JoinStats>,
}

/// The paired labelled inferences of both files, sorted by key, before the case table is
/// built from them ([`Pairs::table`]).
pub struct Pairs {
    /// The reference's rows and the candidate's score and prediction, one row per pair.
    reference: RecordBatch,
    candidate: RecordBatch,
    /// The key of each pair (shared with `reference`'s key column).
    keys: StringArray,
    pub stats: PairStats,
}

/// Pairs `reference` and `candidate` (both `inferences.parquet` tables).
///
/// Both tables are taken by value and go once the paired rows are taken: only those are
/// kept (a million inferences are ~100 MB each), so a caller can read the headers after.
pub fn pair(reference: RecordBatch, candidate: RecordBatch) -> Result<Pairs, PairError> {
    let (ref_keys, cand_keys) = (
        text(&reference, schema::KEY)?,
        text(&candidate, schema::KEY)?,
    );
    let (ref_latest, ref_dups) = latest(&reference, ref_keys)?;
    let (cand_latest, cand_dups) = latest(&candidate, cand_keys)?;
    let ref_labels = int8(&reference, schema::LABEL)?;
    let cand_labels = int8(&candidate, schema::LABEL)?;
    let mut stats = PairStats {
        reference_cases: ref_latest.len() as u64,
        candidate_cases: cand_latest.len() as u64,
        reference_duplicates: ref_dups,
        candidate_duplicates: cand_dups,
        ..PairStats::default()
    };
    // (reference row, candidate row) of each key in both files, by key.
    let key = |r: u32| ref_keys.value(r as usize);
    let mut rows: Vec<(u32, u32)> = ref_latest
        .rows()
        .filter_map(|r| cand_latest.get(key(r)).map(|c| (r, c)))
        .collect();
    drop((ref_latest, cand_latest));
    rows.sort_unstable_by(|a, b| key(a.0).cmp(key(b.0)));
    stats.paired = rows.len() as u64;
    stats.reference_only = stats.reference_cases - stats.paired;
    stats.candidate_only = stats.candidate_cases - stats.paired;
    if rows.is_empty() {
        return Err(PairError::NoOverlap {
            reference: stats.reference_cases,
            candidate: stats.candidate_cases,
        });
    }
    let label = |a: &arrow_array::Int8Array, row: u32| {
        let row = row as usize;
        a.is_valid(row).then(|| a.value(row) != 0)
    };
    let mut conflicts = rows
        .iter()
        .filter(|(r, c)| matches!((label(ref_labels, *r), label(cand_labels, *c)), (Some(a), Some(b)) if a != b));
    if let Some(first) = conflicts.next() {
        return Err(PairError::LabelConflict {
            count: 1 + conflicts.count() as u64,
            first_key: key(first.0).to_string(),
        });
    }
    rows.retain(|(r, _)| label(ref_labels, *r).is_some());
    stats.unlabelled = stats.paired - rows.len() as u64;
    if rows.is_empty() {
        return Err(PairError::NoLabels {
            paired: stats.paired,
        });
    }
    let ref_rows = take(&reference, rows.iter().map(|k| k.0).collect())?;
    // The candidate's score and prediction are all the comparison reads of it.
    let cand_rows = take(
        &only(&candidate, &[schema::SCORE, schema::PREDICTION])?,
        rows.iter().map(|k| k.1).collect(),
    )?;
    let keys = text(&ref_rows, schema::KEY)?.clone();
    Ok(Pairs {
        reference: ref_rows,
        candidate: cand_rows,
        keys,
        stats,
    })
}

fn take(batch: &RecordBatch, rows: Vec<u32>) -> Result<RecordBatch, PairError> {
    arrow_select::take::take_record_batch(batch, &UInt32Array::from(rows))
        .map_err(|e| PairError::Table(e.to_string()))
}

impl Pairs {
    /// The gate's input; with `headers`, the table carries the case features of
    /// `features` for `unit`.
    pub fn table(
        self,
        headers: Option<(&RecordBatch, &[Feature], Unit)>,
    ) -> Result<PairedTable, PairError> {
        let Pairs {
            reference: ref_rows,
            candidate: cand_rows,
            keys,
            mut stats,
        } = self;
        let (table, join, cand_rows) = match headers {
            None => (ref_rows, None, cand_rows),
            Some((headers, features, unit)) => {
                let (cases, join) = build_cases(headers, Some(ref_rows), features, unit)
                    .map_err(PairError::Table)?;
                // Header units without a paired inference have a null score: drop them.
                let scores = cases
                    .column_by_name(schema::SCORE)
                    .ok_or_else(|| PairError::Table("case table has no score".into()))?;
                let covered = BooleanArray::from(
                    (0..scores.len())
                        .map(|i| scores.is_valid(i))
                        .collect::<Vec<bool>>(),
                );
                let cases = arrow_select::filter::filter_record_batch(&cases, &covered)
                    .map_err(|e| PairError::Table(e.to_string()))?;
                stats.without_headers = keys.len() as u64 - cases.num_rows() as u64;
                // Align the candidate rows (in key order) with the remaining cases.
                let key = |i: u32| keys.value(i as usize);
                let mut position = KeyRows::with_capacity(keys.len());
                for i in 0..keys.len() {
                    position.entry(key(i as u32), i as u32, key);
                }
                let case_keys = text(&cases, crate::table::cases::CASE_KEY)?;
                let rows: Vec<u32> = (0..case_keys.len())
                    .map(|i| {
                        position
                            .find(case_keys.value(i), key)
                            .expect("every case is a paired key")
                    })
                    .collect();
                let cand_rows = take(&cand_rows, rows)?;
                (cases, Some(join), cand_rows)
            }
        };
        let paired = Paired {
            labels: bools(&table, schema::LABEL)?,
            reference: scored(&table)?,
            candidate: scored(&cand_rows)?,
        };
        Ok(PairedTable {
            table,
            paired,
            stats,
            join,
        })
    }
}

/// Key → row, as a hash table of row numbers (4 bytes a slot; the key is read back from its
/// row) hashed with aHash (fixed seeds): SipHash over a million 60-byte UIDs was the largest
/// cost of pairing, and a map of `&str` keys ~50 MB per file.
struct KeyRows {
    hasher: ahash::RandomState,
    table: hashbrown::HashTable<u32>,
}

impl KeyRows {
    fn with_capacity(capacity: usize) -> KeyRows {
        KeyRows {
            hasher: crate::table::fast_hasher(),
            table: hashbrown::HashTable::with_capacity(capacity),
        }
    }

    /// The row stored for `key`, `key_of` giving the key of a stored row.
    fn find<'k>(&self, key: &str, key_of: impl Fn(u32) -> &'k str) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |&r| key_of(r) == key).copied()
    }

    /// The row stored for `key`, or `row` stored for it (then `true`: the key is new).
    fn entry<'k>(
        &mut self,
        key: &str,
        row: u32,
        key_of: impl Fn(u32) -> &'k str,
    ) -> (&mut u32, bool) {
        let hasher = &self.hasher;
        let entry = self.table.entry(
            hasher.hash_one(key),
            |&r| key_of(r) == key,
            |&r| hasher.hash_one(key_of(r)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => (e.into_mut(), false),
            hashbrown::hash_table::Entry::Vacant(e) => (e.insert(row).into_mut(), true),
        }
    }

    fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        self.table.iter().copied()
    }

    fn len(&self) -> usize {
        self.table.len()
    }
}

/// One file's keys: each key's latest row, over `keys` (its key column).
struct Latest<'a> {
    keys: &'a StringArray,
    rows: KeyRows,
}

impl Latest<'_> {
    fn get(&self, key: &str) -> Option<u32> {
        self.rows.find(key, |r| self.keys.value(r as usize))
    }

    fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.rows()
    }

    fn len(&self) -> usize {
        self.rows.len()
    }
}

/// For each key, the row of its latest inference; and how many rows were superseded.
fn latest<'a>(batch: &RecordBatch, keys: &'a StringArray) -> Result<(Latest<'a>, u64), PairError> {
    let times = batch
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or_else(|| PairError::Table("no timestamp column of type timestamp[us]".into()))?;
    let mut latest = KeyRows::with_capacity(batch.num_rows());
    let mut duplicates = 0;
    for i in (0..batch.num_rows()).filter(|&i| keys.is_valid(i)) {
        let (best, new) = latest.entry(keys.value(i), i as u32, |r| keys.value(r as usize));
        if !new {
            duplicates += 1;
            if times.value(i) >= times.value(*best as usize) {
                *best = i as u32;
            }
        }
    }
    Ok((Latest { keys, rows: latest }, duplicates))
}

/// The columns `names` of `batch`.
fn only(batch: &RecordBatch, names: &[&str]) -> Result<RecordBatch, PairError> {
    let indices = names
        .iter()
        .map(|n| {
            batch
                .schema()
                .index_of(n)
                .map_err(|_| PairError::Table(format!("no column {n:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    batch
        .project(&indices)
        .map_err(|e| PairError::Table(e.to_string()))
}

fn text<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray, PairError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| PairError::Table(format!("no text column {name:?}")))
}

fn int8<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a arrow_array::Int8Array, PairError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_primitive_opt::<Int8Type>())
        .ok_or_else(|| PairError::Table(format!("no int8 column {name:?}")))
}

/// Int8 0/1 as bools (null as false: callers only pass columns already checked non-null).
fn bools(batch: &RecordBatch, name: &str) -> Result<Vec<bool>, PairError> {
    let a = int8(batch, name)?;
    Ok((0..a.len())
        .map(|i| a.is_valid(i) && a.value(i) != 0)
        .collect())
}

fn scored(batch: &RecordBatch) -> Result<Scored, PairError> {
    let scores = batch
        .column_by_name(schema::SCORE)
        .and_then(|c| c.as_primitive_opt::<Float64Type>())
        .ok_or_else(|| PairError::Table("no float64 column \"score\"".into()))?;
    Ok(Scored {
        scores: scores.values().to_vec(),
        predictions: bools(batch, schema::PREDICTION)?,
    })
}

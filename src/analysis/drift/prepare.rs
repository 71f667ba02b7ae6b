//! Preparation: each compared column once per side — numeric values sorted once (a
//! subgroup's sorted sample is a filter of that order), categories coded once.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, RecordBatch};
use rayon::prelude::*;

use crate::analysis::subgroups::{Partition, UNPLACED};
use crate::table::cases::{Feature, FeatureKind};
use crate::table::schema;

/// A missing value in a coded categorical column.
pub(super) const MISSING: u32 = u32::MAX;

// Partition codes and feature codes are compared directly (`one_to_one`).
const _: () = assert!(MISSING == UNPLACED);
// Prepared codes are handed to the carriers as they are.
const _: () = assert!(MISSING == crate::analysis::changes::NO_CODE);

/// Each distinct value, ascending, and how many rows have it.
pub(super) type Runs = Vec<(f64, usize)>;

/// One feature prepared on both sides (a score of columns a run: the size of the variants
/// does not matter).
#[allow(clippy::large_enum_variant)]
pub(super) enum Prepared {
    Numeric {
        baseline: Sorted,
        serving: Sorted,
    },
    Categorical {
        /// A code into `names` per row, [`MISSING`] for none.
        baseline: Vec<u32>,
        serving: Vec<u32>,
        names: Vec<String>,
    },
}

/// A numeric column and the order of its non-missing rows by value. The values stay in
/// the case table (shared, not copied): 4 bytes a row instead of 16 for (row, value)
/// pairs, which at a million cases and 13 columns is the difference of ~170 MB.
pub(super) struct Sorted {
    pub(super) values: arrow_array::Float64Array,
    /// Rows with a finite value, ascending by value.
    pub(super) order: Vec<u32>,
    /// For a column of at most [`COUNTED_VALUES`] distinct values: each value, ascending,
    /// and how many rows have it (the runs of `order`). A subgroup's sorted sample is then
    /// counted row by row, in row order, instead of read at random in value order.
    pub(super) runs: Option<Runs>,
}

impl Sorted {
    pub(super) fn new(column: Option<&ArrayRef>, rows: usize) -> Sorted {
        let values = column
            .and_then(|c| crate::table::cast::to_f64(c).ok())
            .unwrap_or_else(|| arrow_array::Float64Array::new_null(rows));
        let (order, runs) = match counted_order(&values) {
            Some((order, runs)) => (order, Some(runs)),
            None => {
                let mut pairs: Vec<(u32, f64)> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i as u32, v)))
                    .collect();
                pairs.sort_unstable_by(|x, y| x.1.total_cmp(&y.1));
                (pairs.into_iter().map(|p| p.0).collect(), None)
            }
        };
        Sorted {
            values,
            order,
            runs,
        }
    }

    pub(super) fn missing(&self) -> u64 {
        (self.values.len() - self.order.len()) as u64
    }

    /// Every value, ascending.
    pub(super) fn sorted(&self) -> Vec<f64> {
        match &self.runs {
            Some(runs) => expand(runs.iter().copied()),
            None => self
                .order
                .iter()
                .map(|&r| self.values.value(r as usize))
                .collect(),
        }
    }
}

/// Values repeated by their counts, in the order given.
pub(super) fn expand(runs: impl Iterator<Item = (f64, usize)> + Clone) -> Vec<f64> {
    let mut out = Vec::with_capacity(runs.clone().map(|(_, n)| n).sum());
    for (value, n) in runs {
        out.extend(std::iter::repeat_n(value, n));
    }
    out
}

/// Most acquisition parameters take a handful of values (kVp, slice thickness, matrix
/// size), ages in whole years some 90, pixel spacings and exposures some thousands: those
/// are ordered by counting, with no sort and no 16-byte (row, value) pair per row. Above
/// this many distinct values (a [`Bucket`] a row, its `MAX` for none) the sort is used.
const COUNTED_VALUES: usize = Bucket::MAX as usize;

/// A value's rank among a counted column's distinct values.
pub(super) type Bucket = u16;

/// The rows with a finite value, ascending by value (rows of one value in row order: the
/// same sequence of values as the sort gives), and each value with its count, when the
/// column has at most [`COUNTED_VALUES`] distinct values.
fn counted_order(values: &arrow_array::Float64Array) -> Option<(Vec<u32>, Runs)> {
    // Each value's bucket in order of first appearance (bit-equal is total_cmp-equal).
    let mut distinct: Vec<u64> = Vec::new();
    let mut bucket_of: HashMap<u64, Bucket, ahash::RandomState> =
        HashMap::with_hasher(crate::table::fast_hasher());
    let mut bucket = vec![Bucket::MAX; values.len()];
    // A direct-mapped cache in front of the map: a handful of values always hit it, with
    // a multiply and a compare a row instead of a hash lookup (~10 % of a drift run at a
    // million cases). Empty slots hold a NaN's bits, which no finite value has.
    const SLOTS: usize = 256;
    let mut cache = [(u64::MAX, Bucket::MAX); SLOTS];
    let slot =
        |bits: u64| (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.ilog2())) as usize;
    for (row, v) in values.iter().enumerate() {
        let Some(bits) = v.filter(|v| v.is_finite()).map(f64::to_bits) else {
            continue;
        };
        let cached = &mut cache[slot(bits)];
        let b = match *cached {
            (c, b) if c == bits => b,
            _ => {
                let b = match bucket_of.get(&bits) {
                    Some(&b) => b,
                    None if distinct.len() < COUNTED_VALUES => {
                        distinct.push(bits);
                        let b = (distinct.len() - 1) as Bucket;
                        bucket_of.insert(bits, b);
                        b
                    }
                    None => return None,
                };
                *cached = (bits, b);
                b
            }
        };
        bucket[row] = b;
    }
    // Buckets ranked by value, then counted into place.
    let mut by_value: Vec<usize> = (0..distinct.len()).collect();
    by_value.sort_unstable_by(|&x, &y| {
        f64::from_bits(distinct[x]).total_cmp(&f64::from_bits(distinct[y]))
    });
    let mut count = vec![0usize; distinct.len()];
    for &b in bucket.iter().filter(|&&b| b != Bucket::MAX) {
        count[b as usize] += 1;
    }
    let mut start = vec![0usize; distinct.len()];
    let mut next = 0;
    for &b in &by_value {
        start[b] = next;
        next += count[b];
    }
    let mut order = vec![0u32; next];
    for (row, &b) in bucket.iter().enumerate().filter(|(_, &b)| b != Bucket::MAX) {
        order[start[b as usize]] = row as u32;
        start[b as usize] += 1;
    }
    let runs = by_value
        .iter()
        .map(|&b| (f64::from_bits(distinct[b]), count[b]))
        .collect();
    Some((order, runs))
}

pub(super) struct Column {
    pub(super) name: String,
    pub(super) prepared: Prepared,
    /// Rows on each side, and how many of them have no value.
    pub(super) rows: (u64, u64),
    pub(super) missing: (u64, u64),
    /// Model outputs are tested overall and per subgroup, but not for missingness.
    pub(super) output: bool,
}

impl Column {
    /// Frees the prepared values of a column tested under its twin ([`super::twins`]):
    /// only its name is read after (to say whose information it shares). At a million
    /// cases a numeric twin holds 12 MB.
    pub(super) fn release(&mut self) {
        self.prepared = Prepared::Categorical {
            baseline: Vec::new(),
            serving: Vec::new(),
            names: Vec::new(),
        };
    }
}

fn prepare(
    b: Option<&ArrayRef>,
    s: Option<ArrayRef>,
    rows: (usize, usize),
    name: &str,
    kind: FeatureKind,
    output: bool,
) -> Column {
    let counted = (rows.0 as u64, rows.1 as u64);
    match kind {
        FeatureKind::Numeric => {
            let (baseline, serving) = (Sorted::new(b, rows.0), Sorted::new(s.as_ref(), rows.1));
            Column {
                name: name.to_string(),
                rows: counted,
                missing: (baseline.missing(), serving.missing()),
                prepared: Prepared::Numeric { baseline, serving },
                output,
            }
        }
        FeatureKind::Categorical => {
            // Coded straight from the Arrow strings or the dictionary's codes: no owned
            // string per row.
            let prepared = code_pair(&Text::of(b), &Text::of(s.as_ref()));
            let Prepared::Categorical {
                baseline, serving, ..
            } = &prepared
            else {
                unreachable!("code_pair codes categories")
            };
            let missing = |codes: &[u32]| codes.iter().filter(|&&c| c == MISSING).count() as u64;
            Column {
                name: name.to_string(),
                missing: (missing(baseline), missing(serving)),
                prepared,
                rows: counted,
                output,
            }
        }
    }
}

/// A categorical column as text: plain strings, or a dictionary's codes and strings.
enum Text {
    Plain(arrow_array::StringArray),
    Coded {
        keys: arrow_array::Int32Array,
        values: arrow_array::StringArray,
    },
}

impl Text {
    fn of(column: Option<&ArrayRef>) -> Text {
        let coded = column
            .and_then(|c| c.as_dictionary_opt::<Int32Type>())
            .and_then(|d| {
                let values = d.values().as_string_opt::<i32>()?.clone();
                Some(Text::Coded {
                    keys: d.keys().clone(),
                    values,
                })
            });
        coded.unwrap_or_else(|| {
            Text::Plain(
                column
                    .and_then(|c| crate::table::cast::to_utf8(c).ok())
                    .unwrap_or_else(|| arrow_array::StringArray::from(Vec::<Option<&str>>::new())),
            )
        })
    }

    fn len(&self) -> usize {
        match self {
            Text::Plain(strings) => strings.len(),
            Text::Coded { keys, .. } => keys.len(),
        }
    }
}

/// Codes categories in order of first appearance, baseline first. A dictionary-coded side
/// looks each of its codes up once, at its first row: the same codes as from the strings.
fn code_pair<'a>(b: &'a Text, s: &'a Text) -> Prepared {
    let mut index: HashMap<&'a str, u32, ahash::RandomState> =
        HashMap::with_hasher(crate::table::fast_hasher());
    let mut names: Vec<String> = Vec::new();
    let mut coded = [Vec::with_capacity(b.len()), Vec::with_capacity(s.len())];
    for (side, text) in [b, s].into_iter().enumerate() {
        let mut code_of = |v: &'a str| -> u32 {
            *index.entry(v).or_insert_with(|| {
                names.push(v.to_string());
                (names.len() - 1) as u32
            })
        };
        match text {
            Text::Plain(strings) => {
                for v in strings {
                    coded[side].push(v.map_or(MISSING, &mut code_of));
                }
            }
            Text::Coded { keys, values } => {
                const UNSEEN: u32 = MISSING - 1;
                let mut remap = vec![UNSEEN; values.len()];
                for k in keys {
                    coded[side].push(k.map_or(MISSING, |k| {
                        let k = k as usize;
                        if remap[k] == UNSEEN {
                            remap[k] = match values.is_valid(k) {
                                true => code_of(values.value(k)),
                                false => MISSING,
                            };
                        }
                        remap[k]
                    }));
                }
            }
        }
    }
    let [baseline, serving] = coded;
    Prepared::Categorical {
        baseline,
        serving,
        names,
    }
}

/// A partition recoded in order of first appearance, baseline first (as [`code_pair`]
/// would code its labels), for the composition test.
pub(super) fn first_seen(partition: &Partition) -> Prepared {
    let mut remap = vec![MISSING; partition.names.len()];
    let mut names = Vec::new();
    let mut code = |&c: &u32| -> u32 {
        if c == UNPLACED {
            return MISSING;
        }
        if remap[c as usize] == MISSING {
            names.push(partition.names[c as usize].clone());
            remap[c as usize] = (names.len() - 1) as u32;
        }
        remap[c as usize]
    };
    let baseline = partition.baseline.iter().map(&mut code).collect();
    let serving = partition.serving.iter().map(&mut code).collect();
    Prepared::Categorical {
        baseline,
        serving,
        names,
    }
}

/// The columns to compare, each prepared once per side: the features present in both
/// tables, then the model's score and prediction when both tables have them. `serving` is
/// taken by value so each of its columns is freed as soon as it is prepared.
pub(super) fn columns(
    baseline: &RecordBatch,
    serving: RecordBatch,
    features: &[Feature],
) -> Vec<Column> {
    let mut wanted: Vec<(&str, FeatureKind, bool)> = features
        .iter()
        .filter(|f| {
            baseline.column_by_name(&f.name).is_some() && serving.column_by_name(&f.name).is_some()
        })
        .map(|f| (f.name.as_str(), f.kind, false))
        .collect();
    let has_output = |b: &RecordBatch| b.column_by_name(schema::SCORE).is_some();
    if has_output(baseline) && has_output(&serving) {
        wanted.push((schema::SCORE, FeatureKind::Numeric, true));
        wanted.push((schema::PREDICTION, FeatureKind::Categorical, true));
    }
    let rows = (baseline.num_rows(), serving.num_rows());
    let jobs: Vec<_> = wanted
        .into_iter()
        .map(|w| (w, serving.column_by_name(w.0).cloned()))
        .collect();
    drop(serving);
    jobs.into_par_iter()
        .map(|((name, kind, output), s)| {
            prepare(baseline.column_by_name(name), s, rows, name, kind, output)
        })
        .collect()
}

//! A night's cases into profile cells: the counts drift needs, per feature and subgroup.

use std::collections::BTreeMap;

use arrow_array::{Array, RecordBatch};

use super::bins::Binning;
use super::suppress::Structure;
use super::{kind, Cell, Key};
use crate::analysis::drift;
use crate::analysis::snapshot::Snapshot;
use crate::analysis::subgroups::{Partition, Resolved, UNPLACED};
use crate::analysis::window::Window;
use crate::config::Config;
use crate::error::Result;
use crate::table::cases::{access, FeatureKind};
use crate::table::schema;

/// A column as codes into a few names (categories, exact values or bins): what is counted.
struct Coded {
    name: String,
    kind: &'static str,
    names: Vec<String>,
    /// One per case, [`UNPLACED`] for no value.
    codes: Vec<u32>,
}

/// The cells of one window's `cases`, unsuppressed, sorted by key, and how its subgroups
/// sit (for [`super::suppress()`]). `instances` is the number of DICOM instances behind
/// the cases.
pub fn count(
    snapshot: &Snapshot,
    cases: &RecordBatch,
    instances: u64,
    config: &Config,
) -> Result<(Vec<Cell>, Structure)> {
    let baseline = &snapshot.cases;
    let resolved = drift::subgroups_of(config, baseline, cases)?;
    let features = Window::tested_features(snapshot, config)?;
    let mut columns: Vec<(String, FeatureKind)> = features
        .iter()
        .filter(|f| cases.column_by_name(&f.name).is_some())
        .map(|f| (f.name.clone(), f.kind))
        .collect();
    let scored = cases.column_by_name(schema::SCORE).is_some();
    if scored {
        columns.push((schema::SCORE.into(), FeatureKind::Numeric));
        columns.push((schema::PREDICTION.into(), FeatureKind::Categorical));
    }
    let coded: Vec<Coded> = columns
        .iter()
        .map(|(name, kind)| code(baseline, cases, name, *kind))
        .collect();

    let mut counts: BTreeMap<Key, u64> = BTreeMap::new();
    let mut add = |key: Key, n: u64| {
        if n > 0 {
            *counts.entry(key).or_insert(0) += n;
        }
    };
    let n = cases.num_rows();
    let key = |kind: &'static str,
               feature: Option<&str>,
               subgroup: Option<&str>,
               value: Option<&str>| Key {
        kind,
        feature: feature.map(str::to_string),
        subgroup: subgroup.map(str::to_string),
        value: value.map(str::to_string),
    };
    add(key(kind::CASES, None, None, None), n as u64);
    add(key(kind::CASES, None, None, Some("instances")), instances);
    for partition in &resolved.partitions {
        let mut per_code = vec![0u64; partition.names.len()];
        let mut unplaced = 0;
        for &c in &partition.serving {
            match c {
                UNPLACED => unplaced += 1,
                c => per_code[c as usize] += 1,
            }
        }
        for (c, &k) in per_code.iter().enumerate() {
            add(
                key(
                    kind::CASES,
                    Some(&partition.subject),
                    None,
                    Some(&partition.names[c]),
                ),
                k,
            );
        }
        add(
            key(kind::CASES, Some(&partition.subject), None, None),
            unplaced,
        );
    }

    // Scopes: all cases, then each subgroup.
    let all = vec![true; n];
    let scopes: Vec<(Option<&str>, &[bool])> = std::iter::once((None, all.as_slice()))
        .chain(
            resolved
                .groups
                .iter()
                .map(|g| (Some(g.label.as_str()), g.serving.as_slice())),
        )
        .collect();
    let labels = access::binary(cases, schema::LABEL);
    let predictions = access::binary(cases, schema::PREDICTION);
    let score_codes = coded.iter().find(|c| c.name == schema::SCORE);
    for (scope, mask) in &scopes {
        for column in &coded {
            let mut per_code = vec![0u64; column.names.len()];
            let mut missing = 0;
            for (row, &c) in column.codes.iter().enumerate() {
                if !mask[row] {
                    continue;
                }
                match c {
                    UNPLACED => missing += 1,
                    c => per_code[c as usize] += 1,
                }
            }
            for (c, &k) in per_code.iter().enumerate() {
                add(
                    key(
                        column.kind,
                        Some(&column.name),
                        *scope,
                        Some(&column.names[c]),
                    ),
                    k,
                );
            }
            add(
                key(kind::MISSING, Some(&column.name), *scope, None),
                missing,
            );
        }
        let Some(labels) = &labels else { continue };
        if let Some(score) = score_codes {
            for (row, label) in labels.iter().enumerate() {
                let (Some(label), true, c) = (label, mask[row], score.codes[row]) else {
                    continue;
                };
                if c != UNPLACED {
                    let side = if *label {
                        kind::POSITIVE
                    } else {
                        kind::NEGATIVE
                    };
                    add(
                        key(
                            side,
                            Some(schema::SCORE),
                            *scope,
                            Some(&score.names[c as usize]),
                        ),
                        1,
                    );
                }
            }
        }
        if let Some(predictions) = &predictions {
            for (row, (label, prediction)) in labels.iter().zip(predictions).enumerate() {
                let (Some(l), Some(p), true) = (label, prediction, mask[row]) else {
                    continue;
                };
                let cell = match (p, l) {
                    (true, true) => "tp",
                    (true, false) => "fp",
                    (false, false) => "tn",
                    (false, true) => "fn",
                };
                add(
                    key(
                        kind::CONFUSION,
                        Some(schema::PREDICTION),
                        *scope,
                        Some(cell),
                    ),
                    1,
                );
            }
        }
    }
    let mut cells: Vec<Cell> = counts
        .into_iter()
        .map(|(key, count)| Cell {
            key,
            count: Some(count),
            suppressed: 0,
        })
        .collect();
    cells.push(Cell {
        key: key(kind::SITES, None, None, None),
        count: Some(1),
        suppressed: 0,
    });
    cells.sort_by(|a, b| a.key.cmp(&b.key));
    Ok((cells, structure(&resolved)))
}

fn structure(resolved: &Resolved) -> Structure {
    let mut structure = Structure::default();
    let mut splits: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for group in &resolved.groups {
        let partition = &resolved.partitions[group.partition];
        structure.margins.insert(
            group.label.clone(),
            Key {
                kind: kind::CASES,
                feature: Some(partition.subject.clone()),
                subgroup: None,
                value: Some(partition.names[group.code as usize].clone()),
            },
        );
        if !is_condition(partition) {
            splits
                .entry(group.partition)
                .or_default()
                .push(group.label.clone());
        }
    }
    // With two `by` splits or more, the last partition is their cross product.
    let by: Vec<&Partition> = resolved
        .partitions
        .iter()
        .filter(|p| !is_condition(p))
        .collect();
    if let [splits @ .., cross] = by.as_slice() {
        if splits.len() >= 2 {
            structure.cross = Some((
                cross.subject.clone(),
                splits.iter().map(|p| p.subject.clone()).collect(),
            ));
        }
    }
    structure.splits = splits.into_values().collect();
    structure
}

/// A `where` subgroup's partition: inside and outside.
pub(crate) fn is_condition(partition: &Partition) -> bool {
    partition.names == ["in", "out"]
}

/// One column of the night coded into the cells it is counted in.
fn code(baseline: &RecordBatch, cases: &RecordBatch, name: &str, kind: FeatureKind) -> Coded {
    let mut index: BTreeMap<String, u32> = BTreeMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut intern = |s: String| -> u32 {
        *index.entry(s).or_insert_with_key(|s| {
            names.push(s.clone());
            (names.len() - 1) as u32
        })
    };
    let column = cases.column_by_name(name).expect("selected present");
    let (codes, cell_kind) = match kind {
        FeatureKind::Categorical => {
            let text = crate::table::cast::to_utf8(column)
                .unwrap_or_else(|_| arrow_array::StringArray::new_null(column.len()));
            let codes = (0..text.len())
                .map(|i| {
                    if text.is_valid(i) {
                        intern(text.value(i).to_string())
                    } else {
                        UNPLACED
                    }
                })
                .collect();
            (codes, kind::CATEGORY)
        }
        FeatureKind::Numeric => {
            let binning = Binning::of(baseline, name);
            let values =
                access::numeric(cases, name).unwrap_or_else(|| vec![None; cases.num_rows()]);
            let codes = values
                .into_iter()
                .map(|v| v.map_or(UNPLACED, |v| intern(binning.cell(v))))
                .collect();
            (codes, binning.kind())
        }
    };
    Coded {
        name: name.to_string(),
        kind: cell_kind,
        names,
        codes,
    }
}

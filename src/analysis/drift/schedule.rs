//! Subgroup scheduling: which subgroups are big enough to compare, one task per (column,
//! partition), run in parallel and put back in report order.

use rayon::prelude::*;

use super::build::{categorical_check, insufficient_subgroup, numeric_check, overall_checks};
use super::prepare::{Column, Prepared, Sorted, MISSING};
use crate::analysis::findings::Check;
use crate::analysis::subgroups::{Partition, Resolved, UNPLACED};
use crate::config::DriftConfig;

/// Where a batch of checks goes in the report: all cases first, then each subgroup in
/// definition order; inside each, the columns in order.
type Slot = (usize, usize);

/// A subgroup to compare: its place in the report, its code in its partition, its name.
#[derive(Clone)]
struct Member<'a> {
    rank: usize,
    code: u32,
    label: &'a str,
}

/// The checks of every tested column over all cases and inside every subgroup big enough
/// to compare (each (column, partition) pair one pass over the column, in parallel), in
/// report order: all cases first, then each subgroup in definition order, columns in order
/// inside each; then a too-few-cases check for each subgroup too small.
pub(super) fn run(
    columns: &[Column],
    twin_of: &[Option<usize>],
    tested: &[usize],
    subgroups: &Resolved,
    config: &DriftConfig,
) -> Vec<Check> {
    let size = |mask: &[bool]| mask.iter().filter(|&&m| m).count();
    let mut members: Vec<Vec<Member>> = vec![Vec::new(); subgroups.partitions.len()];
    let mut too_small: Vec<Check> = Vec::new();
    for (g, group) in subgroups.groups.iter().enumerate() {
        let (nb, ns) = (size(&group.baseline), size(&group.serving));
        if nb >= config.min_n && ns >= config.min_n {
            members[group.partition].push(Member {
                rank: g + 1,
                code: group.code,
                label: &group.label,
            });
        } else {
            too_small.push(insufficient_subgroup(
                &group.label,
                nb as u64,
                ns as u64,
                config.min_n,
            ));
        }
    }
    let mut tasks: Vec<(usize, Option<usize>)> = tested.iter().map(|&c| (c, None)).collect();
    for (p, _) in members.iter().enumerate().filter(|(_, m)| !m.is_empty()) {
        tasks.extend(tested.iter().map(|&c| (c, Some(p))));
    }
    let mut slotted: Vec<(Slot, Vec<Check>)> = tasks
        .par_iter()
        .flat_map_iter(|&(c, p)| match p {
            None => vec![((0, c), overall_checks(&columns[c], config))],
            Some(p) => split_checks(
                &columns[c],
                c,
                &subgroups.partitions[p],
                &members[p],
                config,
            ),
        })
        .collect();
    slotted.sort_by_key(|(slot, _)| *slot);
    let same_as = |c: usize| -> Vec<&str> {
        (0..columns.len())
            .filter(|&t| twin_of[t] == Some(c))
            .map(|t| columns[t].name.as_str())
            .collect()
    };
    let mut ordered: Vec<Check> = Vec::new();
    for ((_, c), mut batch) in slotted {
        let same = same_as(c);
        if !same.is_empty() {
            for check in &mut batch {
                check.summary = format!(
                    "{} (same information as {})",
                    check.summary,
                    same.join(", ")
                );
            }
        }
        ordered.append(&mut batch);
    }
    ordered.append(&mut too_small);
    ordered
}

/// The checks of one column inside every compared subgroup of one partition, in one pass
/// over the column.
fn split_checks(
    column: &Column,
    c: usize,
    partition: &Partition,
    members: &[Member],
    config: &DriftConfig,
) -> Vec<(Slot, Vec<Check>)> {
    const OUT: u32 = u32::MAX;
    let mut slot = vec![OUT; partition.names.len()];
    for (k, m) in members.iter().enumerate() {
        slot[m.code as usize] = k as u32;
    }
    let member_of = |codes: &[u32], row: usize| -> Option<usize> {
        let code = codes[row];
        (code != UNPLACED)
            .then(|| slot[code as usize])
            .filter(|&k| k != OUT)
            .map(|k| k as usize)
    };
    let label = |k: usize| Some(members[k].label.to_string());
    let checks: Vec<Vec<Check>> = match &column.prepared {
        Prepared::Numeric { baseline, serving } => {
            // Filtering the sorted order keeps each subgroup's values sorted.
            let pick = |side: &Sorted, codes: &[u32]| -> Vec<Vec<f64>> {
                let mut out = vec![Vec::new(); members.len()];
                for &row in &side.order {
                    if let Some(k) = member_of(codes, row as usize) {
                        out[k].push(side.values.value(row as usize));
                    }
                }
                out
            };
            let (b, s) = (
                pick(baseline, &partition.baseline),
                pick(serving, &partition.serving),
            );
            (0..members.len())
                .map(|k| vec![numeric_check(column, &b[k], &s[k], label(k), config)])
                .collect()
        }
        Prepared::Categorical {
            baseline,
            serving,
            names,
        } => {
            let count = |values: &[u32], codes: &[u32]| -> Vec<Vec<f64>> {
                let mut out = vec![vec![0.0; names.len()]; members.len()];
                for (row, &v) in values.iter().enumerate() {
                    if v != MISSING {
                        if let Some(k) = member_of(codes, row) {
                            out[k][v as usize] += 1.0;
                        }
                    }
                }
                out
            };
            let b = count(baseline, &partition.baseline);
            let s = count(serving, &partition.serving);
            b.into_iter()
                .zip(s)
                .enumerate()
                .map(|(k, (cb, cs))| {
                    categorical_check(column, cb, cs, label(k), config)
                        .into_iter()
                        .collect()
                })
                .collect()
        }
    };
    checks
        .into_iter()
        .enumerate()
        .map(|(k, checks)| ((members[k].rank, c), checks))
        .collect()
}

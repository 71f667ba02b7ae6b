//! Subgroup scheduling: which subgroups are big enough to compare, two tasks per column
//! (all cases; every compared subgroup of every partition), run in parallel and put back
//! in report order.

use rayon::prelude::*;

use super::build::{categorical_check, insufficient_subgroup, numeric_check, overall_checks};
use super::prepare::{Bucket, Column, Prepared, Sorted, MISSING};
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
/// to compare (each column one pass for all its subgroups, columns in parallel), in
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
    let compared: Vec<(&Partition, &[Member])> = members
        .iter()
        .enumerate()
        .filter(|(_, m)| !m.is_empty())
        .map(|(p, m)| (&subgroups.partitions[p], m.as_slice()))
        .collect();
    let places = (!compared.is_empty()).then(|| Places::of(&compared));
    // One task per column over all cases, and one per column inside every compared
    // subgroup of every partition (one pass over the column for all of them).
    let tasks: Vec<(usize, bool)> = tested
        .iter()
        .map(|&c| (c, false))
        .chain(
            places
                .iter()
                .flat_map(|_| tested.iter().map(|&c| (c, true))),
        )
        .collect();
    let mut slotted: Vec<(Slot, Vec<Check>)> = tasks
        .par_iter()
        .flat_map_iter(|&(c, split)| match (split, &places) {
            (true, Some(places)) => split_checks(&columns[c], c, places, &compared, config),
            _ => vec![((0, c), overall_checks(&columns[c], config))],
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

/// Not in a compared subgroup of a partition.
const OUT: u32 = u32::MAX;

/// Each row's subgroup in every compared partition, row after row (`width` entries a row:
/// the member's index in its partition's list, or [`OUT`]). A column's pass over its rows
/// in value order reads each row's places once, for all partitions, instead of once per
/// partition.
struct Places {
    width: usize,
    baseline: Vec<u32>,
    serving: Vec<u32>,
}

impl Places {
    fn of(compared: &[(&Partition, &[Member])]) -> Places {
        let slots: Vec<Vec<u32>> = compared
            .iter()
            .map(|(partition, members)| {
                let mut slot = vec![OUT; partition.names.len()];
                for (k, m) in members.iter().enumerate() {
                    slot[m.code as usize] = k as u32;
                }
                slot
            })
            .collect();
        let side = |codes: &dyn Fn(&Partition) -> &[u32]| -> Vec<u32> {
            let rows = compared.first().map_or(0, |(p, _)| codes(p).len());
            let mut out = vec![OUT; rows * compared.len()];
            for (j, ((partition, _), slot)) in compared.iter().zip(&slots).enumerate() {
                for (row, &code) in codes(partition).iter().enumerate() {
                    if code != UNPLACED {
                        out[row * compared.len() + j] = slot[code as usize];
                    }
                }
            }
            out
        };
        Places {
            width: compared.len(),
            baseline: side(&|p| &p.baseline),
            serving: side(&|p| &p.serving),
        }
    }
}

/// Per partition, per member: what a pass over one side collected.
type PerMember<T> = Vec<Vec<T>>;

/// One side of a numeric column, per member of each compared partition.
enum Picked {
    /// The member's sorted sample.
    Samples(PerMember<Vec<f64>>),
    /// How many of the member's rows have each of `values` (ascending).
    Counted {
        values: Vec<f64>,
        counts: PerMember<Vec<u32>>,
    },
}

impl Picked {
    /// Member `k` of partition `j`'s sorted sample (expanded into `buffer` when counted).
    fn sample<'a>(&'a self, j: usize, k: usize, buffer: &'a mut Vec<f64>) -> &'a [f64] {
        match self {
            Picked::Samples(samples) => &samples[j][k],
            Picked::Counted { values, counts } => {
                buffer.clear();
                for (&value, &n) in values.iter().zip(&counts[j][k]) {
                    buffer.extend(std::iter::repeat_n(value, n as usize));
                }
                buffer
            }
        }
    }
}

fn per_member<T: Clone>(compared: &[(&Partition, &[Member])], fill: T) -> PerMember<T> {
    compared
        .iter()
        .map(|(_, m)| vec![fill.clone(); m.len()])
        .collect()
}

/// How many rows of each code (`codes`, `none` for no value; codes below `n_codes`) each
/// member of each partition has, in one pass in row order.
fn count_places<T: Copy + Into<u32> + PartialEq>(
    at: &[u32],
    codes: &[T],
    none: T,
    n_codes: usize,
    compared: &[(&Partition, &[Member])],
) -> PerMember<Vec<u32>> {
    let width = compared.len();
    let mut first = Vec::with_capacity(width);
    let mut total = 0;
    for (_, members) in compared {
        first.push(total);
        total += members.len();
    }
    // One flat table, member-major: [first[j] + k][code].
    let mut flat = vec![0u32; total * n_codes];
    for (row, &code) in codes.iter().enumerate() {
        if code == none {
            continue;
        }
        let code: u32 = code.into();
        for (&k, &f) in at[row * width..][..width].iter().zip(&first) {
            if k != OUT {
                flat[(f + k as usize) * n_codes + code as usize] += 1;
            }
        }
    }
    if n_codes == 0 {
        return per_member(compared, Vec::new());
    }
    let mut rows = flat.chunks(n_codes).map(<[u32]>::to_vec);
    compared
        .iter()
        .map(|(_, members)| rows.by_ref().take(members.len()).collect())
        .collect()
}

/// The checks of one column inside every compared subgroup of every partition, in one pass
/// over each side of the column.
fn split_checks(
    column: &Column,
    c: usize,
    places: &Places,
    compared: &[(&Partition, &[Member])],
    config: &DriftConfig,
) -> Vec<(Slot, Vec<Check>)> {
    let width = places.width;
    let checks: PerMember<Vec<Check>> = match &column.prepared {
        Prepared::Numeric { baseline, serving } => {
            // Each member's sorted sample. Filtering the sorted order keeps it sorted; a
            // few-valued column is counted in row order, and each member's counts are
            // expanded when its check runs, into buffers reused from member to member.
            let pick = |side: &Sorted, at: &[u32]| -> Picked {
                match &side.runs {
                    Some(runs) => {
                        let mut bucket = vec![Bucket::MAX; side.values.len()];
                        let mut next = 0;
                        for (b, &(_, n)) in runs.iter().enumerate() {
                            for &row in &side.order[next..next + n] {
                                bucket[row as usize] = b as Bucket;
                            }
                            next += n;
                        }
                        let values = runs.iter().map(|r| r.0).collect();
                        let counts = count_places(at, &bucket, Bucket::MAX, runs.len(), compared);
                        Picked::Counted { values, counts }
                    }
                    None => {
                        let mut out = per_member(compared, Vec::new());
                        for &row in &side.order {
                            let value = side.values.value(row as usize);
                            let places = &at[row as usize * width..][..width];
                            for (j, &k) in places.iter().enumerate() {
                                if k != OUT {
                                    out[j][k as usize].push(value);
                                }
                            }
                        }
                        Picked::Samples(out)
                    }
                }
            };
            let (b, s) = (
                pick(baseline, &places.baseline),
                pick(serving, &places.serving),
            );
            let (mut bb, mut sb) = (Vec::new(), Vec::new());
            (compared.iter().enumerate())
                .map(|(j, (_, members))| {
                    (members.iter().enumerate())
                        .map(|(k, m)| {
                            let (b, s) = (b.sample(j, k, &mut bb), s.sample(j, k, &mut sb));
                            vec![numeric_check(
                                column,
                                b,
                                s,
                                Some(m.label.to_string()),
                                config,
                            )]
                        })
                        .collect()
                })
                .collect()
        }
        Prepared::Categorical {
            baseline,
            serving,
            names,
        } => {
            let count = |values: &[u32], at: &[u32]| -> PerMember<Vec<f64>> {
                let counts = count_places(at, values, MISSING, names.len(), compared);
                (counts.into_iter())
                    .map(|m| {
                        (m.into_iter())
                            .map(|n| n.into_iter().map(f64::from).collect())
                            .collect()
                    })
                    .collect()
            };
            let (b, s) = (
                count(baseline, &places.baseline),
                count(serving, &places.serving),
            );
            (b.into_iter().zip(s).zip(compared))
                .map(|((b, s), (_, members))| {
                    (b.into_iter().zip(s).zip(members.iter()))
                        .map(|((cb, cs), m)| {
                            categorical_check(column, cb, cs, Some(m.label.to_string()), config)
                                .into_iter()
                                .collect()
                        })
                        .collect()
                })
                .collect()
        }
    };
    (checks.into_iter().zip(compared))
        .flat_map(|(checks, (_, members))| {
            checks
                .into_iter()
                .zip(members.iter())
                .map(move |(checks, m)| ((m.rank, c), checks))
        })
        .collect()
}

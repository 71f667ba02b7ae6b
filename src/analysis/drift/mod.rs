//! The drift engine: every feature, the model's output, and the subgroup mix, compared
//! between the baseline and the serving case tables, overall and inside each subgroup.
//!
//! Each feature column is prepared once per side (numeric values sorted once, categories
//! coded once); a subgroup's sorted sample is then a filter of the sorted order, so the
//! cost is one sort per feature plus linear work per subgroup. Checks run in parallel and
//! come back in a fixed order.

pub mod categorical;
mod entry;
pub mod numeric;
mod shape;

pub use entry::{method, run, subgroups_of};

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use rayon::prelude::*;

use super::actions;
use super::findings::{decide, Check, IntervalFn, Kind, Severity};
use super::localise::localise;
use super::subgroups::{Partition, Resolved, UNPLACED};
use crate::config::DriftConfig;
use crate::stats::proportion::wilson;
use crate::table::cases::{Feature, FeatureKind};
use crate::table::schema;

/// A missing value in a coded categorical column.
const MISSING: u32 = u32::MAX;
// Partition codes and feature codes are compared directly (`one_to_one`).
const _: () = assert!(MISSING == UNPLACED);

/// One feature prepared on both sides.
enum Prepared {
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
struct Sorted {
    values: arrow_array::Float64Array,
    /// Rows with a finite value, ascending by value.
    order: Vec<u32>,
}

impl Sorted {
    fn new(column: Option<&ArrayRef>, rows: usize) -> Sorted {
        let values = column
            .and_then(|c| arrow_cast::cast(c, &arrow_schema::DataType::Float64).ok())
            .map(|c| c.as_primitive::<arrow_array::types::Float64Type>().clone())
            .unwrap_or_else(|| arrow_array::Float64Array::new_null(rows));
        let mut pairs: Vec<(u32, f64)> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i as u32, v)))
            .collect();
        pairs.sort_unstable_by(|x, y| x.1.total_cmp(&y.1));
        let order = pairs.into_iter().map(|p| p.0).collect();
        Sorted { values, order }
    }

    fn missing(&self) -> u64 {
        (self.values.len() - self.order.len()) as u64
    }

    /// Every value, ascending.
    fn sorted(&self) -> Vec<f64> {
        self.order
            .iter()
            .map(|&r| self.values.value(r as usize))
            .collect()
    }
}

struct Column {
    name: String,
    prepared: Prepared,
    /// Rows on each side, and how many of them have no value.
    rows: (u64, u64),
    missing: (u64, u64),
    /// Model outputs are tested overall and per subgroup, but not for missingness.
    output: bool,
}

/// Where a batch of checks goes in the report: all cases first, then each subgroup in
/// definition order; inside each, the columns in order.
type Slot = (usize, usize);

/// Runs every check and decides severities (BH across all of them).
///
/// `serving` is taken by value: each of its columns is freed as soon as it is prepared (a
/// million cases' category strings are a quarter of the run's memory). Pass a clone —
/// cheap, the columns are shared — to keep using the table.
pub fn checks(
    baseline: &RecordBatch,
    serving: RecordBatch,
    features: &[Feature],
    subgroups: &Resolved,
    config: &DriftConfig,
) -> Vec<Check> {
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
    let columns: Vec<Column> = jobs
        .into_par_iter()
        .map(|((name, kind, output), s)| {
            prepare(baseline.column_by_name(name), s, rows, name, kind, output)
        })
        .collect();

    // Subgroups big enough to compare, by the partition they split; each (column,
    // partition) pair is one pass over the column for all of its subgroups.
    let size = |mask: &[bool]| mask.iter().filter(|&&m| m).count();
    let mut members: Vec<Vec<Member>> = vec![Vec::new(); subgroups.partitions.len()];
    let mut checks: Vec<Check> = Vec::new();
    for (g, group) in subgroups.groups.iter().enumerate() {
        let (nb, ns) = (size(&group.baseline), size(&group.serving));
        if nb >= config.min_n && ns >= config.min_n {
            members[group.partition].push(Member {
                rank: g + 1,
                code: group.code,
                label: &group.label,
            });
        } else {
            checks.push(insufficient_subgroup(
                &group.label,
                nb as u64,
                ns as u64,
                config.min_n,
            ));
        }
    }
    // Features that carry the same information on both sides give identical tests: test
    // the first once and name the others, so BH does not count one chance event k times.
    let twin_of = twins(&columns);
    let tested: Vec<usize> = (0..columns.len())
        .filter(|&c| twin_of[c].is_none())
        .collect();
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
    ordered.append(&mut checks);
    let mut checks = ordered;
    for partition in &subgroups.partitions {
        // A split by a categorical feature is that feature's own distribution: its mix is
        // the same chi-square as the feature's overall check, already in the run. (Matched
        // by name as well as by codes: another feature that happens to correspond keeps
        // the mix, with its own wording and action.)
        let placed = |codes: &[u32]| codes.iter().any(|&c| c != UNPLACED);
        let own_feature = (placed(&partition.baseline) || placed(&partition.serving))
            && tested.iter().any(|&c| {
                let Prepared::Categorical {
                    baseline,
                    serving,
                    names,
                } = &columns[c].prepared
                else {
                    return false;
                };
                !columns[c].output
                    && columns[c].name == partition.subject
                    && one_to_one(
                        &[
                            (&partition.baseline, baseline),
                            (&partition.serving, serving),
                        ],
                        partition.names.len(),
                        names.len(),
                    )
            });
        if own_feature {
            continue;
        }
        let column = Column {
            name: partition.subject.clone(),
            prepared: first_seen(partition),
            rows: (
                partition.baseline.len() as u64,
                partition.serving.len() as u64,
            ),
            missing: (0, 0),
            output: false,
        };
        let (cb, cs) = overall_counts(&column);
        if let Some(mut check) = categorical_check(&column, cb, cs, None, config) {
            check.kind = Kind::Composition;
            check.subject = format!("mix: {}", partition.subject);
            check.action = actions::composition(&partition.subject);
            if let Some(summary) = inside_share(&column) {
                check.summary = summary;
            }
            checks.push(check);
        }
    }
    drop(columns);
    decide(&mut checks, config.fdr);
    localise(&mut checks, &subgroups.splits());
    checks
}

/// Splits `features` into those with a value in at least one row of either table, and the
/// names of those with none on either side (an MR tag at a CT-only site). An absent feature
/// has nothing to test: it is named once in the report's method and changes no status.
pub fn present_features(
    baseline: &RecordBatch,
    serving: &RecordBatch,
    features: &[Feature],
) -> (Vec<Feature>, Vec<String>) {
    let has_value = |table: &RecordBatch, name: &str| {
        table
            .column_by_name(name)
            .is_some_and(|c| c.null_count() < c.len())
    };
    let (present, absent): (Vec<&Feature>, Vec<&Feature>) = features
        .iter()
        .partition(|f| has_value(baseline, &f.name) || has_value(serving, &f.name));
    (
        present.into_iter().cloned().collect(),
        absent.into_iter().map(|f| f.name.clone()).collect(),
    )
}

/// For each column, the earlier column it duplicates, if any: the same values row by row
/// on both sides (numeric), or categories in one-to-one correspondence on both sides
/// (categorical; every test here is blind to the names of categories). Slice thickness
/// and spacing, or a scanner model and its station name, are often such twins.
fn twins(columns: &[Column]) -> Vec<Option<usize>> {
    let mut out: Vec<Option<usize>> = vec![None; columns.len()];
    for j in 0..columns.len() {
        if columns[j].output {
            continue;
        }
        out[j] = (0..j).find(|&i| {
            out[i].is_none() && !columns[i].output && same_information(&columns[i], &columns[j])
        });
    }
    out
}

fn same_information(a: &Column, b: &Column) -> bool {
    // Two columns with no values at all are not "the same values": each keeps its checks.
    let empty = |c: &Column| c.missing == c.rows;
    if empty(a) || empty(b) {
        return false;
    }
    match (&a.prepared, &b.prepared) {
        (
            Prepared::Numeric {
                baseline: ab,
                serving: as_,
            },
            Prepared::Numeric {
                baseline: bb,
                serving: bs,
            },
        ) => same_values(ab, bb) && same_values(as_, bs),
        (
            Prepared::Categorical {
                baseline: ab,
                serving: as_,
                names: an,
            },
            Prepared::Categorical {
                baseline: bb,
                serving: bs,
                names: bn,
            },
        ) => one_to_one(&[(ab, bb), (as_, bs)], an.len(), bn.len()),
        _ => false,
    }
}

fn same_values(a: &Sorted, b: &Sorted) -> bool {
    let value = |s: &Sorted, r: usize| {
        Some(s.values.value(r)).filter(|v| s.values.is_valid(r) && v.is_finite())
    };
    a.order.len() == b.order.len()
        && a.values.len() == b.values.len()
        && (0..a.values.len()).all(|r| value(a, r) == value(b, r))
}

/// Whether code columns pair up as a bijection (missing only with missing).
fn one_to_one(sides: &[(&Vec<u32>, &Vec<u32>)], ka: usize, kb: usize) -> bool {
    let (mut forward, mut backward) = (vec![MISSING; ka], vec![MISSING; kb]);
    for (a, b) in sides {
        if a.len() != b.len() {
            return false;
        }
        for (&x, &y) in a.iter().zip(b.iter()) {
            match (x == MISSING, y == MISSING) {
                (true, true) => continue,
                (false, false) => {}
                _ => return false,
            }
            let (f, g) = (&mut forward[x as usize], &mut backward[y as usize]);
            if *f == MISSING && *g == MISSING {
                (*f, *g) = (y, x);
            } else if *f != y || *g != x {
                return false;
            }
        }
    }
    true
}

/// A subgroup to compare: its place in the report, its code in its partition, its name.
#[derive(Clone)]
struct Member<'a> {
    rank: usize,
    code: u32,
    label: &'a str,
}

/// For a `where` subgroup's in/out partition, the summary speaks of the share inside.
fn inside_share(column: &Column) -> Option<String> {
    let Prepared::Categorical { names, .. } = &column.prepared else {
        return None;
    };
    let inside = names.iter().position(|n| n == "in")?;
    let (cb, cs) = overall_counts(column);
    let share = |counts: &[f64], rows: u64| 100.0 * counts[inside] / rows.max(1) as f64;
    Some(format!(
        "share of cases in {}: {:.1}% → {:.1}%",
        column.name,
        share(&cb, column.rows.0),
        share(&cs, column.rows.1)
    ))
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
            // Coded straight from the Arrow strings: no owned string per row.
            let strings = |c: Option<&ArrayRef>| {
                c.and_then(|c| arrow_cast::cast(c, &arrow_schema::DataType::Utf8).ok())
                    .map(|a| a.as_string::<i32>().clone())
                    .unwrap_or_else(|| arrow_array::StringArray::from(Vec::<Option<&str>>::new()))
            };
            let prepared = code_pair(&strings(b), &strings(s.as_ref()));
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

/// Codes categories in order of first appearance, baseline first.
fn code_pair(b: &arrow_array::StringArray, s: &arrow_array::StringArray) -> Prepared {
    let mut index: HashMap<&str, u32, ahash::RandomState> =
        HashMap::with_hasher(crate::table::fast_hasher());
    let mut names: Vec<String> = Vec::new();
    let mut coded = [Vec::with_capacity(b.len()), Vec::with_capacity(s.len())];
    for (side, strings) in [b, s].into_iter().enumerate() {
        for v in strings {
            coded[side].push(v.map_or(MISSING, |v| {
                *index.entry(v).or_insert_with(|| {
                    names.push(v.to_string());
                    (names.len() - 1) as u32
                })
            }));
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
fn first_seen(partition: &Partition) -> Prepared {
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

/// The checks of one column over all cases: its distribution, new categories, missingness.
fn overall_checks(column: &Column, config: &DriftConfig) -> Vec<Check> {
    let mut out = Vec::new();
    match &column.prepared {
        Prepared::Numeric { baseline, serving } => {
            out.push(numeric_check(
                column,
                &baseline.sorted(),
                &serving.sorted(),
                None,
                config,
            ));
        }
        Prepared::Categorical { .. } => {
            let (cb, cs) = overall_counts(column);
            if !column.output {
                out.extend(categorical_check(
                    column,
                    cb.clone(),
                    cs.clone(),
                    None,
                    config,
                ));
                out.extend(new_categories(column, &cb, &cs, config));
            } else {
                out.extend(categorical_check(column, cb, cs, None, config));
            }
        }
    }
    if !column.output {
        out.extend(missingness(column, config));
    }
    out
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

/// Category counts over all cases on each side.
fn overall_counts(column: &Column) -> (Vec<f64>, Vec<f64>) {
    let Prepared::Categorical {
        baseline,
        serving,
        names,
    } = &column.prepared
    else {
        return (Vec::new(), Vec::new());
    };
    let count = |codes: &[u32]| {
        let mut out = vec![0.0; names.len()];
        for &c in codes.iter().filter(|&&c| c != MISSING) {
            out[c as usize] += 1.0;
        }
        out
    };
    (count(baseline), count(serving))
}

fn base_check(kind: Kind, subject: &str, subgroup: Option<String>, test: &'static str) -> Check {
    Check {
        subgroup,
        ..Check::new(kind, subject, test)
    }
}

fn kind_of(column: &Column) -> Kind {
    if column.output {
        Kind::ModelOutput
    } else {
        Kind::FeatureDrift
    }
}

fn numeric_check(
    column: &Column,
    b: &[f64],
    s: &[f64],
    subgroup: Option<String>,
    config: &DriftConfig,
) -> Check {
    let mut check = base_check(kind_of(column), &column.name, subgroup, "ks");
    check.effect_name = "wasserstein/sd";
    check.threshold = config.numeric_warn;
    check.alert_threshold = config.numeric_alert;
    check.n_baseline = b.len() as u64;
    check.n_serving = s.len() as u64;
    check.action = actions::feature(&column.name, check.subgroup.as_deref());
    if b.len() < config.min_n || s.len() < config.min_n {
        check.severity = Severity::Insufficient;
        check.summary = format!(
            "too few values to compare (need {} on each side)",
            config.min_n
        );
        return check;
    }
    if let Some(r) = numeric::compare(b, s) {
        check.statistic = Some(r.ks_statistic);
        check.p_value = Some(r.p_value);
        check.set_effect_with(r.effect, r.interval);
        if let Some(psi) = r.psi {
            check.extra.insert("psi", psi);
        }
        check.summary = r.moved;
    }
    check.distribution = shape::numeric(b, s);
    check
}

/// The chi-square check of one column's category counts (`cb`, `cs`) in one scope.
fn categorical_check(
    column: &Column,
    cb: Vec<f64>,
    cs: Vec<f64>,
    subgroup: Option<String>,
    config: &DriftConfig,
) -> Option<Check> {
    let Prepared::Categorical { names, .. } = &column.prepared else {
        return None;
    };
    let (nb, ns) = (cb.iter().sum::<f64>(), cs.iter().sum::<f64>());
    let subject = if column.name == schema::PREDICTION {
        "predicted-positive rate"
    } else {
        &column.name
    };
    let mut check = base_check(kind_of(column), subject, subgroup, "chi2");
    check.effect_name = "max share change (pp)";
    check.threshold = config.share_warn_pp;
    check.alert_threshold = config.share_alert_pp;
    check.n_baseline = nb as u64;
    check.n_serving = ns as u64;
    check.action = actions::feature(&column.name, check.subgroup.as_deref());
    if (nb as usize) < config.min_n || (ns as usize) < config.min_n {
        check.severity = Severity::Insufficient;
        check.summary = format!(
            "too few values to compare (need {} on each side)",
            config.min_n
        );
        return Some(check);
    }
    let r = categorical::compare(&cb, &cs)?;
    check.distribution = Some(shape::categorical(names, &cb, &cs));
    check.statistic = Some(r.statistic);
    check.p_value = Some(r.p_value);
    check.set_effect_with(
        r.effect_pp,
        categorical::share_interval(cb.clone(), cs.clone()),
    );
    check.extra.insert("cohens_w", r.cohens_w);
    if let Some(js) = r.js {
        check.extra.insert("js_distance", js);
    }
    if let Some(psi) = r.psi {
        check.extra.insert("psi", psi);
    }
    let name = if column.name == schema::PREDICTION {
        if names[r.top] == "1" {
            "positive"
        } else {
            "negative"
        }
        .to_string()
    } else {
        format!("{:?}", names[r.top])
    };
    check.summary = format!(
        "share of {name}: {:.1}% → {:.1}%",
        100.0 * cb[r.top] / nb,
        100.0 * cs[r.top] / ns
    );
    Some(check)
}

/// Categories seen in serving but never in the baseline, each its own check.
fn new_categories(column: &Column, cb: &[f64], cs: &[f64], config: &DriftConfig) -> Vec<Check> {
    let Prepared::Categorical { names, .. } = &column.prepared else {
        return Vec::new();
    };
    let (nb, ns) = (cb.iter().sum::<f64>(), cs.iter().sum::<f64>());
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if cb[i] > 0.0 || (cs[i] as u64) < config.new_category_min_count || nb == 0.0 {
            continue;
        }
        let mut check = base_check(Kind::NewCategory, &column.name, None, "chi2-2x2");
        check.effect_name = "serving share (pp)";
        check.threshold = config.new_category_warn_pp;
        check.alert_threshold = config.new_category_alert_pp;
        check.n_baseline = nb as u64;
        check.n_serving = ns as u64;
        if let Some((stat, p)) = categorical::two_proportions(0.0, nb, cs[i], ns) {
            check.statistic = Some(stat);
            check.p_value = Some(p);
        }
        let (k, n) = (cs[i] as u64, ns as u64);
        check.set_effect_with(
            100.0 * cs[i] / ns,
            IntervalFn::new(move |c| wilson(k, n, c).map(|ci| (100.0 * ci.low, 100.0 * ci.high))),
        );
        check.summary = format!(
            "{name:?} in {} serving cases ({:.1}%), never in the baseline",
            cs[i],
            100.0 * cs[i] / ns
        );
        check.action = actions::new_category(&column.name, name);
        out.push(check);
    }
    out
}

fn missingness(column: &Column, config: &DriftConfig) -> Option<Check> {
    let (nb, ns) = column.rows;
    let (mb, ms) = column.missing;
    if nb == 0 || ns == 0 || (mb == 0 && ms == 0) {
        return None;
    }
    let mut check = base_check(Kind::Missingness, &column.name, None, "chi2-2x2");
    check.effect_name = "missing rate change (pp)";
    check.threshold = config.missing_warn_pp;
    check.alert_threshold = config.missing_alert_pp;
    check.n_baseline = nb;
    check.n_serving = ns;
    let (rb, rs) = (mb as f64 / nb as f64, ms as f64 / ns as f64);
    if let Some((stat, p)) =
        categorical::two_proportions(mb as f64, nb as f64, ms as f64, ns as f64)
    {
        check.statistic = Some(stat);
        check.p_value = Some(p);
    }
    check.set_effect_with(
        (rs - rb).abs() * 100.0,
        categorical::change_interval(mb, nb, ms, ns),
    );
    check.summary = format!(
        "missing in {:.1}% → {:.1}% of cases",
        100.0 * rb,
        100.0 * rs
    );
    check.action = actions::missingness(&column.name);
    Some(check)
}

fn insufficient_subgroup(label: &str, nb: u64, ns: u64, min_n: usize) -> Check {
    let mut check = base_check(
        Kind::FeatureDrift,
        "(all features)",
        Some(label.to_string()),
        "—",
    );
    check.severity = Severity::Insufficient;
    check.n_baseline = nb;
    check.n_serving = ns;
    check.summary =
        format!("{nb} baseline and {ns} serving cases; {min_n} needed on each side to compare");
    check.action = actions::insufficient(label);
    check
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Float64Array, StringArray};

    use super::*;

    fn table(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    fn numbers(v: &[f64]) -> ArrayRef {
        Arc::new(Float64Array::from(v.to_vec()))
    }

    fn words(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn features(names: &[(&str, FeatureKind)]) -> Vec<Feature> {
        names
            .iter()
            .map(|(name, kind)| Feature {
                name: name.to_string(),
                kind: *kind,
            })
            .collect()
    }

    #[test]
    fn twins_are_tested_once_under_the_first_and_named_in_its_summary() {
        use FeatureKind::*;
        let n = 60;
        let thick: Vec<f64> = (0..n).map(|i| (i % 5) as f64).collect();
        let thicker: Vec<f64> = (0..n).map(|i| (i % 5 + 2) as f64).collect();
        let model: Vec<Option<&str>> = (0..n).map(|i| Some(["A", "B"][i % 2])).collect();
        let station: Vec<Option<&str>> = (0..n).map(|i| Some(["sa", "sb"][i % 2])).collect();
        let baseline = table(vec![
            ("thickness", numbers(&thick)),
            ("spacing", numbers(&thick)),
            ("model", words(&model)),
            ("station", words(&station)),
            ("station_b", words(&station)),
            ("tr", numbers(&[f64::NAN; 60])),
            ("te", numbers(&[f64::NAN; 60])),
        ]);
        // Serving: spacing parts ways with thickness (so both are tested); the stations
        // still follow the models one to one, but station_b gets a second name for B.
        let mut station_b = station.clone();
        station_b[1] = Some("sb2");
        let serving = table(vec![
            ("thickness", numbers(&thicker)),
            ("spacing", numbers(&thick)),
            ("model", words(&model)),
            ("station", words(&station)),
            ("station_b", words(&station_b)),
            ("tr", numbers(&[f64::NAN; 60])),
            ("te", numbers(&[f64::NAN; 60])),
        ]);
        let names = [
            ("thickness", Numeric),
            ("spacing", Numeric),
            ("model", Categorical),
            ("station", Categorical),
            ("station_b", Categorical),
            ("tr", Numeric),
            ("te", Numeric),
        ];
        let none = Resolved {
            groups: Vec::new(),
            partitions: Vec::new(),
        };
        let checks = super::checks(
            &baseline,
            serving,
            &features(&names),
            &none,
            &DriftConfig::default(),
        );
        let subjects: Vec<&str> = checks.iter().map(|c| c.subject.as_str()).collect();
        // Columns with no values at all are not twins: each keeps its own (insufficient and
        // missingness) checks.
        assert_eq!(
            subjects,
            [
                "thickness",
                "spacing",
                "model",
                "station_b",
                "tr",
                "tr",
                "te",
                "te"
            ]
        );
        let model = checks.iter().find(|c| c.subject == "model").unwrap();
        assert!(
            model.summary.ends_with("(same information as station)"),
            "{}",
            model.summary
        );
        assert!(!checks[0].summary.contains("same information"));
    }

    #[test]
    fn the_mix_of_a_split_by_a_categorical_feature_is_not_tested_twice() {
        use FeatureKind::*;
        let n = 80;
        let model: Vec<Option<&str>> = (0..n).map(|i| Some(["A", "B"][i % 2])).collect();
        let age: Vec<f64> = (0..n).map(|i| 20.0 + i as f64).collect();
        let side = || table(vec![("model", words(&model)), ("years", numbers(&age))]);
        let (baseline, serving) = (side(), side());
        let defs: Vec<crate::config::Subgroup> =
            serde_norway::from_str("[{by: model}, {by: years, bins: [50]}]").unwrap();
        let groups = crate::analysis::subgroups::resolve(&defs, &baseline, &serving).unwrap();
        let checks = super::checks(
            &baseline,
            serving,
            &features(&[("model", Categorical), ("years", Numeric)]),
            &groups,
            &DriftConfig::default(),
        );
        let mixes: Vec<&str> = checks
            .iter()
            .filter(|c| c.kind == Kind::Composition)
            .map(|c| c.subject.as_str())
            .collect();
        assert_eq!(mixes, ["mix: years", "mix: model × years"]);
    }

    #[test]
    fn a_split_by_an_empty_column_keeps_its_mix_check() {
        let site: Vec<Option<&str>> = vec![None; 40];
        let side = || table(vec![("site", words(&site))]);
        let (baseline, serving) = (side(), side());
        let defs: Vec<crate::config::Subgroup> = serde_norway::from_str("[{by: site}]").unwrap();
        let groups = crate::analysis::subgroups::resolve(&defs, &baseline, &serving).unwrap();
        let checks = super::checks(
            &baseline,
            serving,
            &features(&[("site", FeatureKind::Categorical)]),
            &groups,
            &DriftConfig::default(),
        );
        let mix = checks
            .iter()
            .find(|c| c.kind == Kind::Composition)
            .expect("the mix is reported (as insufficient), not dropped");
        assert_eq!(mix.severity, Severity::Insufficient);
    }
}

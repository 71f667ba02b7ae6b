//! The drift engine: every feature, the model's output, and the subgroup mix, compared
//! between the baseline and the serving case tables, overall and inside each subgroup.
//!
//! Each feature column is prepared once per side (numeric values sorted once, categories
//! coded once); a subgroup's sorted sample is then a filter of the sorted order, so the
//! cost is one sort per feature plus linear work per subgroup. Checks run in parallel and
//! come back in a fixed order.

pub mod categorical;
pub mod numeric;

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::RecordBatch;
use rayon::prelude::*;

use super::actions;
use super::findings::{decide, Check, Kind, Severity};
use super::subgroups::Resolved;
use crate::config::DriftConfig;
use crate::table::cases::{access, Feature, FeatureKind};
use crate::table::schema;
use numeric::short;

/// One feature prepared on both sides.
enum Prepared {
    Numeric {
        /// Row index and value of the non-missing rows, ascending by value.
        baseline: Vec<(u32, f64)>,
        serving: Vec<(u32, f64)>,
    },
    Categorical {
        baseline: Vec<Option<u32>>,
        serving: Vec<Option<u32>>,
        names: Vec<String>,
    },
}

struct Column {
    name: String,
    prepared: Prepared,
    missing: (u64, u64),
    /// Model outputs are tested overall and per subgroup, but not for missingness.
    output: bool,
}

/// Runs every check and decides severities (BH across all of them).
pub fn run(
    baseline: &RecordBatch,
    serving: &RecordBatch,
    features: &[Feature],
    subgroups: &Resolved,
    config: &DriftConfig,
) -> Vec<Check> {
    let mut columns: Vec<Column> = features
        .iter()
        .filter(|f| {
            baseline.column_by_name(&f.name).is_some() && serving.column_by_name(&f.name).is_some()
        })
        .map(|f| prepare(baseline, serving, &f.name, f.kind, false))
        .collect();
    let has_output = |b: &RecordBatch| b.column_by_name(schema::SCORE).is_some();
    if has_output(baseline) && has_output(serving) {
        columns.push(prepare(
            baseline,
            serving,
            schema::SCORE,
            FeatureKind::Numeric,
            true,
        ));
        columns.push(prepare(
            baseline,
            serving,
            schema::PREDICTION,
            FeatureKind::Categorical,
            true,
        ));
    }
    let all_b = vec![true; baseline.num_rows()];
    let all_s = vec![true; serving.num_rows()];

    // Tasks: (column, subgroup); subgroup None = all cases.
    let mut tasks: Vec<(usize, Option<usize>)> = (0..columns.len()).map(|c| (c, None)).collect();
    for (g, group) in subgroups.groups.iter().enumerate() {
        let nb = group.baseline.iter().filter(|&&m| m).count();
        let ns = group.serving.iter().filter(|&&m| m).count();
        if nb >= config.min_n && ns >= config.min_n {
            tasks.extend((0..columns.len()).map(|c| (c, Some(g))));
        }
    }
    let mut checks: Vec<Check> = tasks
        .par_iter()
        .flat_map_iter(|&(c, g)| {
            let column = &columns[c];
            let (mb, ms, label) = match g {
                None => (&all_b[..], &all_s[..], None),
                Some(g) => {
                    let group = &subgroups.groups[g];
                    (
                        &group.baseline[..],
                        &group.serving[..],
                        Some(group.label.clone()),
                    )
                }
            };
            column_checks(column, mb, ms, label, config)
        })
        .collect();
    for group in &subgroups.groups {
        let nb = group.baseline.iter().filter(|&&m| m).count() as u64;
        let ns = group.serving.iter().filter(|&&m| m).count() as u64;
        if nb < config.min_n as u64 || ns < config.min_n as u64 {
            checks.push(insufficient_subgroup(&group.label, nb, ns, config.min_n));
        }
    }
    for partition in &subgroups.partitions {
        let column = Column {
            name: partition.subject.clone(),
            prepared: code_pair(&partition.baseline, &partition.serving),
            missing: (0, 0),
            output: false,
        };
        if let Some(mut check) = categorical_check(&column, &all_b, &all_s, None, config) {
            check.kind = Kind::Composition;
            check.subject = format!("mix: {}", partition.subject);
            check.action = actions::composition(&partition.subject);
            if let Some(summary) = inside_share(&column) {
                check.summary = summary;
            }
            checks.push(check);
        }
    }
    columns.clear();
    decide(&mut checks, config.fdr);
    checks
}

/// For a `where` subgroup's in/out partition, the summary speaks of the share inside.
fn inside_share(column: &Column) -> Option<String> {
    let Prepared::Categorical {
        baseline,
        serving,
        names,
    } = &column.prepared
    else {
        return None;
    };
    let inside = names.iter().position(|n| n == "in")? as u32;
    let share = |codes: &[Option<u32>]| {
        100.0 * codes.iter().filter(|c| **c == Some(inside)).count() as f64
            / codes.len().max(1) as f64
    };
    Some(format!(
        "share of cases in {}: {:.1}% → {:.1}%",
        column.name,
        share(baseline),
        share(serving)
    ))
}

fn prepare(
    b: &RecordBatch,
    s: &RecordBatch,
    name: &str,
    kind: FeatureKind,
    output: bool,
) -> Column {
    match kind {
        FeatureKind::Numeric => {
            let sorted = |batch: &RecordBatch| -> (Vec<(u32, f64)>, u64) {
                let values = access::numeric(batch, name).unwrap_or_default();
                let missing = values.iter().filter(|v| v.is_none()).count() as u64;
                let mut pairs: Vec<(u32, f64)> = values
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (i as u32, v)))
                    .collect();
                pairs.sort_unstable_by(|x, y| x.1.total_cmp(&y.1));
                (pairs, missing)
            };
            let ((baseline, mb), (serving, ms)) = (sorted(b), sorted(s));
            Column {
                name: name.to_string(),
                prepared: Prepared::Numeric { baseline, serving },
                missing: (mb, ms),
                output,
            }
        }
        FeatureKind::Categorical => {
            // Coded straight from the Arrow strings: no owned string per row.
            let text = |batch: &RecordBatch| {
                batch
                    .column_by_name(name)
                    .and_then(|c| arrow_cast::cast(c, &arrow_schema::DataType::Utf8).ok())
            };
            let (tb, ts) = (text(b), text(s));
            let (vb, vs) = (text_values(&tb), text_values(&ts));
            let missing = (
                vb.iter().filter(|v| v.is_none()).count() as u64,
                vs.iter().filter(|v| v.is_none()).count() as u64,
            );
            Column {
                name: name.to_string(),
                prepared: code_pair(&vb, &vs),
                missing,
                output,
            }
        }
    }
}

fn text_values(array: &Option<arrow_array::ArrayRef>) -> Vec<Option<&str>> {
    array
        .as_ref()
        .map_or_else(Vec::new, |a| a.as_string::<i32>().iter().collect())
}

/// Codes categories in order of first appearance, baseline first.
fn code_pair<S: AsRef<str>>(b: &[Option<S>], s: &[Option<S>]) -> Prepared {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut names: Vec<String> = Vec::new();
    let mut coded = [Vec::with_capacity(b.len()), Vec::with_capacity(s.len())];
    for (side, values) in [b, s].into_iter().enumerate() {
        for v in values {
            coded[side].push(v.as_ref().map(|v| {
                let v = v.as_ref();
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

fn column_checks(
    column: &Column,
    mb: &[bool],
    ms: &[bool],
    subgroup: Option<String>,
    config: &DriftConfig,
) -> Vec<Check> {
    let mut out = Vec::new();
    match &column.prepared {
        Prepared::Numeric { baseline, serving } => {
            let pick = |pairs: &[(u32, f64)], mask: &[bool]| -> Vec<f64> {
                pairs
                    .iter()
                    .filter(|(i, _)| mask[*i as usize])
                    .map(|&(_, v)| v)
                    .collect()
            };
            let (b, s) = (pick(baseline, mb), pick(serving, ms));
            out.push(numeric_check(column, &b, &s, subgroup.clone(), config));
        }
        Prepared::Categorical { .. } => {
            out.extend(categorical_check(column, mb, ms, subgroup.clone(), config));
            if subgroup.is_none() && !column.output {
                out.extend(new_categories(column, config));
            }
        }
    }
    if subgroup.is_none() && !column.output {
        out.extend(missingness(
            column,
            mb.len() as u64,
            ms.len() as u64,
            config,
        ));
    }
    out
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
        check.effect = Some(r.effect);
        if let Some(psi) = r.psi {
            check.extra.insert("psi", psi);
        }
        check.summary = format!(
            "median {} → {}",
            short(r.baseline_median),
            short(r.serving_median)
        );
    }
    check
}

fn counts(codes: &[Option<u32>], mask: &[bool], k: usize) -> Vec<f64> {
    let mut out = vec![0.0; k];
    for (c, &m) in codes.iter().zip(mask) {
        if let (Some(c), true) = (c, m) {
            out[*c as usize] += 1.0;
        }
    }
    out
}

fn categorical_check(
    column: &Column,
    mb: &[bool],
    ms: &[bool],
    subgroup: Option<String>,
    config: &DriftConfig,
) -> Option<Check> {
    let Prepared::Categorical {
        baseline,
        serving,
        names,
    } = &column.prepared
    else {
        return None;
    };
    let (cb, cs) = (
        counts(baseline, mb, names.len()),
        counts(serving, ms, names.len()),
    );
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
    check.statistic = Some(r.statistic);
    check.p_value = Some(r.p_value);
    check.effect = Some(r.effect_pp);
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
fn new_categories(column: &Column, config: &DriftConfig) -> Vec<Check> {
    let Prepared::Categorical {
        baseline,
        serving,
        names,
    } = &column.prepared
    else {
        return Vec::new();
    };
    let all_b = vec![true; baseline.len()];
    let all_s = vec![true; serving.len()];
    let (cb, cs) = (
        counts(baseline, &all_b, names.len()),
        counts(serving, &all_s, names.len()),
    );
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
        check.effect = Some(100.0 * cs[i] / ns);
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

fn missingness(column: &Column, nb: u64, ns: u64, config: &DriftConfig) -> Option<Check> {
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
    check.effect = Some((rs - rb).abs() * 100.0);
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

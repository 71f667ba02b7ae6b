//! Check construction: one column's distribution, new-category, missingness and
//! too-few-cases checks in one scope (all cases or one subgroup), before BH decides.

use super::prepare::{Column, Prepared, MISSING};
use super::{categorical, numeric};
use crate::analysis::actions;
use crate::analysis::findings::{Check, IntervalFn, Kind, Severity};
use crate::config::DriftConfig;
use crate::stats::proportion::wilson;
use crate::table::schema;

/// The checks of one column over all cases: its distribution, new categories, missingness.
pub(super) fn overall_checks(column: &Column, config: &DriftConfig) -> Vec<Check> {
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

/// Category counts over all cases on each side.
pub(super) fn overall_counts(column: &Column) -> (Vec<f64>, Vec<f64>) {
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

pub(super) fn numeric_check(
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
    check
}

/// The chi-square check of one column's category counts (`cb`, `cs`) in one scope.
pub(super) fn categorical_check(
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

pub(super) fn insufficient_subgroup(label: &str, nb: u64, ns: u64, min_n: usize) -> Check {
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

//! `explore` as a library call: the manual investigation of one subgroup ("why are GE
//! scanners with 5 mm slices flagged?").
//!
//! The subgroup in the serving window is set against the rest of the window and against
//! the same subgroup in the baseline: size, every feature's distribution and drift test,
//! the score distribution and, with labels, performance with intervals.

use std::collections::BTreeMap;

use arrow_array::{BooleanArray, RecordBatch};
use serde::Serialize;

use crate::analysis::drift;
use crate::analysis::expr::Expr;
use crate::analysis::findings::Check;
use crate::analysis::performance::{metrics, Labelled, Metrics};
use crate::analysis::snapshot::Snapshot;
use crate::analysis::subgroups::{Resolved, ALIASES};
use crate::analysis::window::Window;
use crate::config::{Config, DriftConfig};
use crate::error::{Error, Result};
use crate::format::short;
use crate::table::cases::{access, Feature, FeatureKind};
use crate::table::schema;

/// One feature across the three groups, with both comparisons.
#[derive(Debug, Serialize)]
pub struct FeatureRow {
    pub feature: String,
    pub subgroup: String,
    pub rest: String,
    pub baseline_subgroup: String,
    /// Subgroup (serving) against the same subgroup in the baseline.
    pub versus_baseline: Option<Comparison>,
    /// Subgroup against the rest of the serving window.
    pub versus_rest: Option<Comparison>,
}

#[derive(Debug, Serialize)]
pub struct Comparison {
    pub test: &'static str,
    pub p_value: Option<f64>,
    pub effect: Option<f64>,
    pub effect_name: &'static str,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct Exploration {
    pub condition: String,
    pub sizes: BTreeMap<&'static str, u64>,
    pub features: Vec<FeatureRow>,
    pub performance: BTreeMap<&'static str, Option<Metrics>>,
}

/// The subgroup `condition` (docs/expressions.md) against the rest of the window and against
/// the same subgroup in the baseline.
pub fn run(
    snapshot: &Snapshot,
    window: Window,
    condition: &str,
    config: &Config,
) -> Result<Exploration> {
    let expr = Expr::parse(condition).map_err(|e| Error::Usage(format!("--where: {e}")))?;
    let mut features = Window::tested_features(snapshot, config)?;
    let serving = window.cases;
    let select = |batch: &RecordBatch| -> Result<BooleanArray> {
        let bound = expr
            .bind(&batch.schema(), ALIASES)
            .map_err(|e| Error::Usage(format!("--where: {e}")))?;
        bound
            .evaluate(batch)
            .map_err(|e| Error::Usage(format!("--where: {e}")))
    };
    let in_serving = select(&serving)?;
    let in_baseline = select(&snapshot.cases)?;
    let not = |mask: &BooleanArray| {
        BooleanArray::from_iter(mask.iter().map(|v| Some(!v.unwrap_or(false))))
    };
    let filter = |batch: &RecordBatch, mask: &BooleanArray| {
        arrow_select::filter::filter_record_batch(batch, mask).expect("mask matches batch")
    };
    let sub = filter(&serving, &in_serving);
    let rest = filter(&serving, &not(&in_serving));
    let base = filter(&snapshot.cases, &in_baseline);

    if sub.column_by_name(schema::SCORE).is_some() && base.column_by_name(schema::SCORE).is_some() {
        features.push(Feature {
            name: schema::SCORE.into(),
            kind: FeatureKind::Numeric,
        });
    }
    // Explore shows every test's own p-value: no run-wide correction, and min_n of 2 so a
    // small subgroup still gets numbers (read them with its size in mind).
    let config = DriftConfig {
        min_n: 2,
        ..config.drift.clone()
    };
    let none = Resolved {
        groups: Vec::new(),
        partitions: Vec::new(),
    };
    let compare = |b: &RecordBatch, s: &RecordBatch| -> BTreeMap<String, Check> {
        if b.num_rows() == 0 || s.num_rows() == 0 {
            return BTreeMap::new();
        }
        drift::checks(b, s.clone(), &features, &none, &config)
            .into_iter()
            .filter(|c| {
                c.subgroup.is_none()
                    && matches!(
                        c.kind,
                        crate::analysis::findings::Kind::FeatureDrift
                            | crate::analysis::findings::Kind::ModelOutput
                    )
            })
            .map(|c| (c.subject.clone(), c))
            .collect()
    };
    let vs_baseline = compare(&base, &sub);
    let vs_rest = compare(&rest, &sub);
    let to_comparison = |c: Option<&Check>| {
        c.map(|c| Comparison {
            test: c.test,
            p_value: c.p_value,
            effect: c.effect,
            effect_name: c.effect_name,
            summary: c.summary.clone(),
        })
    };
    let rows = features
        .iter()
        .map(|f| FeatureRow {
            feature: f.name.clone(),
            subgroup: describe(&sub, f),
            rest: describe(&rest, f),
            baseline_subgroup: describe(&base, f),
            versus_baseline: to_comparison(vs_baseline.get(&f.name)),
            versus_rest: to_comparison(vs_rest.get(&f.name)),
        })
        .collect();
    let mut performance = BTreeMap::new();
    for (name, batch) in [
        ("subgroup", &sub),
        ("rest", &rest),
        ("baseline subgroup", &base),
    ] {
        performance.insert(name, labelled(batch).map(|l| metrics(&l)));
    }
    Ok(Exploration {
        condition: expr.to_string(),
        sizes: [
            ("subgroup", sub.num_rows() as u64),
            ("rest", rest.num_rows() as u64),
            ("baseline subgroup", base.num_rows() as u64),
            ("baseline", snapshot.cases.num_rows() as u64),
        ]
        .into(),
        features: rows,
        performance,
    })
}

/// A feature's distribution in a few words: median [IQR] or the top categories.
fn describe(batch: &RecordBatch, feature: &Feature) -> String {
    if batch.num_rows() == 0 {
        return "—".into();
    }
    match feature.kind {
        FeatureKind::Numeric => {
            let mut values: Vec<f64> = access::numeric(batch, &feature.name)
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect();
            if values.is_empty() {
                return "all missing".into();
            }
            values.sort_unstable_by(f64::total_cmp);
            let q = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
            format!("{} [{}–{}]", short(q(0.5)), short(q(0.25)), short(q(0.75)))
        }
        FeatureKind::Categorical => {
            let values = access::text(batch, &feature.name).unwrap_or_default();
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for v in &values {
                *counts
                    .entry(v.clone().unwrap_or_else(|| "(missing)".into()))
                    .or_insert(0) += 1;
            }
            let mut list: Vec<(String, u64)> = counts.into_iter().collect();
            list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            list.iter()
                .take(2)
                .map(|(k, n)| format!("{k} {:.0}%", 100.0 * *n as f64 / values.len() as f64))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

fn labelled(batch: &RecordBatch) -> Option<Labelled> {
    let scores = access::numeric(batch, schema::SCORE)?;
    let labels = access::binary(batch, schema::LABEL)?;
    let predictions = access::binary(batch, schema::PREDICTION)?;
    let mut g = Labelled {
        cases: batch.num_rows() as u64,
        ..Labelled::default()
    };
    for i in 0..batch.num_rows() {
        if let (Some(s), Some(l), Some(p)) = (scores[i], labels[i], predictions[i]) {
            g.scores.push(s);
            g.labels.push(l);
            g.predictions.push(p);
        }
    }
    Some(g)
}

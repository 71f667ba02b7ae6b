//! `postmarket performance --baseline DIR --inferences I [--headers H] -o OUT`: does the
//! model still perform, for whom, did the meaning of a label change under it, and is the
//! model in production one that was approved?

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch, UInt32Array};
use clap::Args;

use super::drift::{exit_code, window, FailOn};
use super::Context;
use crate::analysis::concept::{self, Seen};
use crate::analysis::estimated;
use crate::analysis::findings::{decide, Check, Kind, Severity};
use crate::analysis::localise::localise;
use crate::analysis::performance::{compare, metrics, Labelled};
use crate::analysis::{drift, subgroups};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::report::model::{BaselineIdentity, Report};
use crate::table::cases::{access, build_cases, JoinStats};
use crate::table::inputs::{load_headers, load_inferences};
use crate::table::schema;
use crate::table::snapshot;

#[derive(Debug, Args)]
pub struct PerformanceArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// inferences.parquet of the serving window, with the labels that have arrived
    #[arg(long, value_name = "FILE")]
    pub inferences: PathBuf,
    /// headers.parquet of the serving window: enables subgroups and the concept-drift test
    #[arg(long, value_name = "FILE")]
    pub headers: Option<PathBuf>,
    /// Output folder for report.json and report.md
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &PerformanceArgs, ctx: &Context) -> Result<i32> {
    let report = build(args, ctx)?;
    super::deliver(&report, &args.output, args.json, None, ctx)?;
    Ok(exit_code(&report, args.fail_on))
}

pub fn build(args: &PerformanceArgs, ctx: &Context) -> Result<Report> {
    let snapshot = snapshot::load(&args.baseline)?;
    let inferences = load_inferences(&args.inferences)?;
    let manifest = &snapshot.manifest;
    let (serving, join) = match &args.headers {
        Some(path) => {
            let headers = load_headers(path, &manifest.features, manifest.unit)?;
            build_cases(
                &headers,
                Some(inferences.clone()),
                &manifest.features,
                manifest.unit,
            )
            .map_err(|e| Error::invalid(path, e))?
        }
        None => latest_per_key(&inferences),
    };
    if serving.num_rows() == 0 {
        return Err(Error::invalid(
            &args.inferences,
            "no cases in the serving window",
        ));
    }
    let baseline = &snapshot.cases;
    if baseline.column_by_name(schema::LABEL).is_none() {
        return Err(Error::invalid(
            &snapshot.dir,
            "the baseline has no labels to compare with",
        ));
    }
    let config = &ctx.config;
    let (b_labels, b_mapped) = labels(baseline, config);
    let (s_labels, s_mapped) = labels(&serving, config);
    let has_labels = s_labels.iter().any(Option::is_some);
    let b_side = Side::new(baseline, b_labels);
    let s_side = Side::new(&serving, s_labels);
    // Estimated performance rests on the baseline's calibration map (calibration.json;
    // refitted from the cases for a snapshot made before the map was stored).
    let calibration = match (&snapshot.calibration, &manifest.calibration_note) {
        (Some(c), _) => Ok(c.map.clone()),
        (None, Some(why)) => Err(why.clone()),
        (None, None) => {
            let all = b_side.labelled(&vec![true; baseline.num_rows()]);
            estimated::fit_calibration(&all.scores, &all.labels)
        }
    };
    if !has_labels && calibration.is_err() {
        return Err(Error::invalid(
            &args.inferences,
            format!(
                "no serving inference has a label yet, and performance cannot be estimated: {}",
                calibration.as_ref().err().map_or("", String::as_str)
            ),
        ));
    }

    let mut groups: Vec<(Option<String>, Vec<bool>, Vec<bool>)> = vec![(
        None,
        vec![true; baseline.num_rows()],
        vec![true; serving.num_rows()],
    )];
    let mut drift_checks = Vec::new();
    let mut splits = Vec::new();
    if args.headers.is_some() {
        let mut resolved =
            subgroups::resolve(&config.subgroups(), baseline, &serving).map_err(|e| {
                Error::ParseConfig {
                    path: "subgroups".into(),
                    message: e,
                }
            })?;
        // "Did the inputs drift?" for the concept-drift test is asked of all cases and of
        // the subgroup mix; per-subgroup feature drift is `postmarket drift`'s job.
        let inputs = subgroups::Resolved {
            groups: Vec::new(),
            partitions: std::mem::take(&mut resolved.partitions),
        };
        drift_checks = drift::run(
            baseline,
            serving.clone(),
            &manifest.features,
            &inputs,
            &config.drift,
        );
        splits = resolved.splits();
        groups.extend(
            resolved
                .groups
                .into_iter()
                .map(|g| (Some(g.label), g.baseline, g.serving)),
        );
    }
    // Performance per label definition: serving labels made under each version, against
    // the whole baseline.
    let versions: BTreeSet<String> = s_side.versions.iter().flatten().cloned().collect();
    if versions.len() > 1 || manifest_versions(&b_side) != versions {
        for v in &versions {
            let mask = s_side
                .versions
                .iter()
                .map(|x| x.as_deref() == Some(v))
                .collect();
            groups.push((
                Some(format!("label_version = {v}")),
                vec![true; baseline.num_rows()],
                mask,
            ));
        }
    }

    let mut checks = Vec::new();
    for (label, mb, ms) in &groups {
        let (lb, ls) = (b_side.labelled(mb), s_side.labelled(ms));
        let (mb_, ms_) = (metrics(&lb), metrics(&ls));
        checks.push(coverage(&ls, label.as_deref()));
        if has_labels {
            checks.extend(compare(&mb_, &ms_, label.as_deref(), &config.performance));
            checks.push(concept::prevalence(
                (mb_.positives, mb_.labelled),
                (ms_.positives, ms_.labelled),
                label.as_deref(),
                &config.drift,
            ));
        }
        if let Ok(map) = &calibration {
            let (scores, predictions) = s_side.scored(ms);
            let p: Vec<f64> = scores.iter().map(|&s| map.apply(s)).collect();
            let estimate = estimated::estimate(&p, &predictions, &scores);
            checks.extend(estimated::compare(
                &mb_,
                &estimate,
                has_labels.then_some(&ms_),
                label.as_deref(),
                &config.performance,
            ));
            if has_labels {
                checks.push(estimated::calibration_check(
                    "score meaning",
                    map,
                    &ls.scores,
                    &ls.labels,
                    label.as_deref(),
                    &config.drift,
                ));
            }
            // Among the predicted positives the mean residual is exactly realized −
            // estimated PPV, over all cases: in a subgroup of a few dozen predicted
            // positives it alerted by chance (1 of 200 null 200-case windows).
            if has_labels && label.is_none() {
                let (scores, labels): (Vec<f64>, Vec<bool>) = ls
                    .scores
                    .iter()
                    .zip(&ls.labels)
                    .zip(&ls.predictions)
                    .filter(|(_, &p)| p)
                    .map(|((&s, &l), _)| (s, l))
                    .unzip();
                checks.push(estimated::calibration_check(
                    "score meaning (predicted positive)",
                    map,
                    &scores,
                    &labels,
                    label.as_deref(),
                    &config.drift,
                ));
            }
        }
    }
    let (errors, times) = s_side.error_stream();
    let overall_b = metrics(&b_side.labelled(&groups[0].1));
    let b_error = 1.0
        - (overall_b.sensitivity.map_or(0, |r| r.successes)
            + overall_b.specificity.map_or(0, |r| r.successes)) as f64
            / overall_b.labelled.max(1) as f64;
    if has_labels {
        checks.push(concept::change_point(
            &errors,
            &times,
            b_error,
            config.performance.min_labelled,
            &config.drift,
        ));
    }
    let versions_checks = model_versions(&inferences, manifest, config);
    // An unapproved model explains a performance fall better than a changed concept.
    let unapproved = versions_checks
        .iter()
        .any(|c| c.severity == Severity::Alert);
    checks.extend(versions_checks);
    decide(&mut checks, config.drift.fdr);
    estimated::cap(&mut checks, config.performance.estimated_alerts);
    localise(&mut checks, &splits);
    if args.headers.is_some() && !unapproved {
        checks.extend(concept::suspected(&checks, &drift_checks));
    }

    let mut method = vec![
        "Metrics on labelled cases: AUROC with a DeLong 95% interval; sensitivity, specificity, PPV and NPV at the logged prediction with Wilson intervals; Brier score; expected calibration error over 10 equal-width bins.".to_string(),
        format!(
            "A regression is a serving − baseline difference whose 95% interval (DeLong variances added; Newcombe's score interval for proportions) lies entirely below −margin (alert), provided its one-sided p-value against a fall of at most the margin passes Benjamini–Hochberg across the run; a point estimate below −margin with an interval that includes it is info. Margins: {}.",
            crate::config::PERFORMANCE_METRICS
                .iter()
                .map(|(m, _)| format!("{m} {}", config.performance.margin(m)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "Fewer than {} labelled cases or {} positives or negatives on either side: insufficient.",
            config.performance.min_labelled, config.performance.min_positives
        ),
        "Change points: Page–Hinkley and CUSUM on the time-ordered 0/1 error stream (parameters in docs/statistics.md); label prevalence by chi-square with the drift decision rule.".to_string(),
    ];
    match &calibration {
        Ok(map) => method.push(format!(
            "Estimated performance (kind estimated-performance) for every serving case, labelled or not: the baseline's labelled cases calibrate the scores ({} map, P(label | score)); the expected confusion matrix at the logged predictions gives sensitivity, specificity, PPV and NPV, and the calibrated probabilities as soft labels give AUROC. These are estimates: they assume P(label | score) is what it was in validation, which the calibration-drift check tests wherever labels exist. Estimated findings are at most warnings{}.",
            map.method(),
            if config.performance.estimated_alerts { " unless performance.estimated_alerts (set here: they may alert)" } else { " (performance.estimated_alerts: false)" }
        )),
        Err(why) => method.push(format!("Estimated performance unavailable: {why}.")),
    }
    if !has_labels {
        method.push("No serving inference has a label yet: realized performance, prevalence and change points wait for labels; the figures above are estimates.".into());
    }
    if b_mapped + s_mapped > 0 {
        method.push(format!(
            "performance.label_map applied: {b_mapped} baseline and {s_mapped} serving labels re-expressed in the current definition before any metric."
        ));
    }
    if args.headers.is_none() {
        method.push(
            "Without --headers: no subgroups and no concept-drift test (input drift unknown)."
                .into(),
        );
    }
    Ok(Report::new(
        "performance",
        checks,
        window(&serving, join.instances),
        BaselineIdentity::of(&snapshot),
        join,
        method,
    ))
}

fn manifest_versions(side: &Side) -> BTreeSet<String> {
    side.versions.iter().flatten().cloned().collect()
}

/// Labels after `performance.label_map`, and how many were re-expressed.
fn labels(cases: &RecordBatch, config: &Config) -> (Vec<Option<bool>>, u64) {
    let raw = access::binary(cases, schema::LABEL).unwrap_or_else(|| vec![None; cases.num_rows()]);
    let versions =
        access::text(cases, schema::LABEL_VERSION).unwrap_or_else(|| vec![None; cases.num_rows()]);
    let mut mapped = 0;
    let out = raw
        .iter()
        .zip(&versions)
        .map(|(label, version)| {
            let (Some(label), Some(map)) = (
                label,
                version
                    .as_ref()
                    .and_then(|v| config.performance.label_map.get(v)),
            ) else {
                return *label;
            };
            let key = if *label { "1" } else { "0" };
            match map.get(key) {
                Some(new) => {
                    mapped += 1;
                    new.map(|v| v == 1)
                }
                None => Some(*label),
            }
        })
        .collect();
    (out, mapped)
}

/// One side's columns for performance.
struct Side {
    scores: Vec<Option<f64>>,
    predictions: Vec<Option<bool>>,
    labels: Vec<Option<bool>>,
    versions: Vec<Option<String>>,
    times: Vec<Option<i64>>,
}

impl Side {
    fn new(cases: &RecordBatch, labels: Vec<Option<bool>>) -> Side {
        let n = cases.num_rows();
        let times = cases
            .column_by_name(schema::TIMESTAMP)
            .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
            .map(|t| {
                (0..t.len())
                    .map(|i| t.is_valid(i).then(|| t.value(i)))
                    .collect()
            })
            .unwrap_or_else(|| vec![None; n]);
        Side {
            scores: access::numeric(cases, schema::SCORE).unwrap_or_else(|| vec![None; n]),
            predictions: access::binary(cases, schema::PREDICTION).unwrap_or_else(|| vec![None; n]),
            labels,
            versions: access::text(cases, schema::LABEL_VERSION).unwrap_or_else(|| vec![None; n]),
            times,
        }
    }

    /// Scores and predictions of every scored case in `mask`, labelled or not.
    fn scored(&self, mask: &[bool]) -> (Vec<f64>, Vec<bool>) {
        mask.iter()
            .enumerate()
            .filter(|(_, &m)| m)
            .filter_map(|(i, _)| Some((self.scores[i]?, self.predictions[i]?)))
            .unzip()
    }

    fn labelled(&self, mask: &[bool]) -> Labelled {
        let mut g = Labelled::default();
        for (i, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
            if self.scores[i].is_none() {
                continue;
            }
            g.cases += 1;
            if let (Some(s), Some(l), Some(p)) =
                (self.scores[i], self.labels[i], self.predictions[i])
            {
                g.scores.push(s);
                g.labels.push(l);
                g.predictions.push(p);
            }
        }
        g
    }

    /// 0/1 errors of labelled cases in time order, with their timestamps.
    fn error_stream(&self) -> (Vec<f64>, Vec<i64>) {
        let mut rows: Vec<(i64, f64)> = (0..self.labels.len())
            .filter_map(|i| {
                let (l, p, t) = (self.labels[i]?, self.predictions[i]?, self.times[i]?);
                Some((t, f64::from(u8::from(l != p))))
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        (
            rows.iter().map(|r| r.1).collect(),
            rows.iter().map(|r| r.0).collect(),
        )
    }
}

fn coverage(group: &Labelled, subgroup: Option<&str>) -> Check {
    let labelled = group.labels.len() as u64;
    let share = labelled as f64 / group.cases.max(1) as f64;
    let mut c = Check {
        subgroup: subgroup.map(str::to_string),
        effect: Some(share),
        effect_name: "labelled share",
        n_serving: group.cases,
        summary: format!(
            "{labelled} of {} cases labelled ({:.0}%)",
            group.cases,
            100.0 * share
        ),
        ..Check::new(Kind::Performance, "label coverage", "count")
    };

    c.extra.insert("labelled", labelled as f64);
    c
}

/// Model-version control over every serving inference row.
fn model_versions(
    inferences: &RecordBatch,
    manifest: &snapshot::Manifest,
    config: &Config,
) -> Vec<Check> {
    let models = access::text(inferences, schema::MODEL).unwrap_or_default();
    let versions = access::text(inferences, schema::MODEL_VERSION).unwrap_or_default();
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
    let mut seen: BTreeMap<(String, String), Seen> = BTreeMap::new();
    for (i, (m, v)) in models.into_iter().zip(versions).enumerate() {
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
    let approved: BTreeSet<(String, String)> = manifest
        .approved_versions
        .iter()
        .map(|m| (m.name.clone(), m.version.clone()))
        .chain(
            config
                .approved_versions
                .iter()
                .map(|a| (a.model.clone(), a.version.clone())),
        )
        .collect();
    concept::model_versions(&seen, &approved)
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
    let mut latest: HashMap<&str, u32> = HashMap::new();
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

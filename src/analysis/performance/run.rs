//! `performance` as a library call: does the model still perform, for whom, did the
//! meaning of a label change under it, and is the model in production one that was approved?

use std::collections::{BTreeMap, BTreeSet};

use super::side::{coverage, labels, manifest_versions, Side};
use super::{compare, metrics};
use crate::analysis::concept::{self, Seen};
use crate::analysis::drift;
use crate::analysis::estimated;
use crate::analysis::findings::{decide, Check, Severity};
use crate::analysis::localise::localise;
use crate::analysis::report::{BaselineIdentity, Report, WindowSummary};
use crate::analysis::snapshot::{Manifest, Snapshot};
use crate::analysis::subgroups;
use crate::analysis::window::Window;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::table::schema;

/// Realized performance where labels have arrived, estimated performance for every scored
/// case, prevalence, change points, concept drift and model versions, overall and per
/// subgroup (with headers) and per label definition.
pub fn run(snapshot: &Snapshot, window: Window, config: &Config) -> Result<Report> {
    let manifest = &snapshot.manifest;
    let Window {
        cases: serving,
        join,
        with_headers,
        model_versions: seen,
        source,
        ..
    } = window;
    let baseline = &snapshot.cases;
    if baseline.column_by_name(schema::LABEL).is_none() {
        return Err(Error::invalid(
            &snapshot.dir,
            "the baseline has no labels to compare with",
        ));
    }
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
            &source,
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
    if with_headers {
        let mut resolved = drift::subgroups_of(config, baseline, &serving)?;
        // "Did the inputs drift?" for the concept-drift test is asked of all cases and of
        // the subgroup mix; per-subgroup feature drift is `postmarket drift`'s job.
        let inputs = subgroups::Resolved {
            groups: Vec::new(),
            partitions: std::mem::take(&mut resolved.partitions),
        };
        drift_checks = drift::checks(
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
    let versions: BTreeSet<String> = s_side
        .versions
        .iter()
        .flatten()
        .map(|v| v.to_string())
        .collect();
    if versions.len() > 1 || manifest_versions(&b_side) != versions {
        for v in &versions {
            let mask = s_side
                .versions
                .iter()
                .map(|x| x.as_deref() == Some(v.as_str()))
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
            // The same estimate on both sides: the baseline's own cases through its map
            // too, so that a group the map fits less well compares like with like.
            let estimate_of = |side: &Side, mask: &[bool]| {
                let (scores, predictions) = side.scored(mask);
                let p: Vec<f64> = scores.iter().map(|&s| map.apply(s)).collect();
                estimated::estimate(&p, &predictions, &scores)
            };
            checks.extend(estimated::compare(
                (&mb_, &estimate_of(&b_side, mb)),
                &estimate_of(&s_side, ms),
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
    let versions_checks = model_versions(&seen, manifest, config);
    // An unapproved model explains a performance fall better than a changed concept.
    let unapproved = versions_checks
        .iter()
        .any(|c| c.severity == Severity::Alert);
    checks.extend(versions_checks);
    decide(&mut checks, config.drift.fdr);
    estimated::cap(&mut checks, config.performance.estimated_alerts);
    localise(&mut checks, &splits);
    if with_headers && !unapproved {
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
        format!(
            "A decided metric's detectable fall (extra.detectable_fall) is the smallest true fall that would give an alert with probability {} (performance.power): margin + (z₀.₉₇₅ + z_power) × the difference's standard error, read off its 95% interval; before the multiple-testing correction, so the real one is a little larger. \"No fall shown\" means no fall of that size, not no fall.",
            config.performance.power
        ),
        "Change points: Page–Hinkley and CUSUM on the time-ordered 0/1 error stream (parameters in docs/statistics.md); label prevalence by chi-square with the drift decision rule.".to_string(),
    ];
    match &calibration {
        Ok(map) => method.push(format!(
            "Estimated performance (kind estimated-performance) for every serving case, labelled or not: the baseline's labelled cases calibrate the scores ({} map, P(label | score)); the expected confusion matrix at the logged predictions gives sensitivity, specificity, PPV and NPV, and the calibrated probabilities as soft labels give AUROC. Each estimate's interval is where the realized value of these cases will land; the comparison is with the same estimate on the baseline's cases of the group, on the two case mixes' sampling variance (a small group that drew harder cases by chance is not a fall). These are estimates: they assume P(label | score) is what it was in validation, which the calibration-drift check tests wherever labels exist. Estimated findings are at most warnings{}.",
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
    if !with_headers {
        method.push(
            "Without --headers: no subgroups and no concept-drift test (input drift unknown)."
                .into(),
        );
    }
    Ok(Report::new(
        "performance",
        checks,
        WindowSummary::of(&serving, join.instances),
        BaselineIdentity::of(snapshot),
        join,
        method,
    ))
}

/// Model-version control over every serving inference row.
fn model_versions(
    seen: &BTreeMap<(String, String), Seen>,
    manifest: &Manifest,
    config: &Config,
) -> Vec<Check> {
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
    concept::model_versions(seen, &approved)
}

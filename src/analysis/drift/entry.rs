//! `drift` as a library call: a snapshot and a serving window in, a report out.

use crate::analysis::changes::Context;
use crate::analysis::report::{BaselineIdentity, Report, WindowSummary};
use crate::analysis::snapshot::Snapshot;
use crate::analysis::subgroups::{self, Resolved};
use crate::analysis::window::{Needs, Window};
use crate::config::{Config, DriftConfig};
use crate::error::{Error, Result};
use crate::table::schema;
use arrow_array::RecordBatch;

/// The config's subgroups resolved against both case tables (a condition naming a column
/// neither has is a config error).
pub fn subgroups_of(
    config: &Config,
    baseline: &RecordBatch,
    serving: &RecordBatch,
) -> Result<Resolved> {
    subgroups::resolve(&config.subgroups(), baseline, serving).map_err(|e| Error::ParseConfig {
        path: "subgroups".into(),
        message: e,
    })
}

/// What drift reads of a window: the tested features, the model's output and timestamps,
/// and whatever column a subgroup names (a condition may name any case column) — not the
/// UIDs, the untested features or the model and label columns, which drift would drop
/// unread (at a million cases the UIDs alone are ~45 MB).
///
/// A config error (a condition that does not parse, an unknown `drift.features` name)
/// asks for the whole table: [`run`] reports it after the window is read, as before.
pub fn needs(snapshot: &Snapshot, config: &Config) -> Needs {
    let (Some(named), Ok(tested)) = (
        subgroups::columns(&config.subgroups()),
        Window::tested_features(snapshot, config),
    ) else {
        return Needs::all();
    };
    let mut features: Vec<String> = tested.into_iter().map(|f| f.name).collect();
    features.extend(named.iter().cloned());
    let mut inference = vec![schema::TIMESTAMP, schema::SCORE, schema::PREDICTION];
    inference.extend(
        crate::table::cases::INFERENCE_COLUMNS
            .iter()
            .filter(|c| named.iter().any(|n| n == *c)),
    );
    Needs {
        features: Some(features),
        key: named.iter().any(|n| n == crate::table::cases::CASE_KEY),
        inference: Some(inference),
    }
}

/// What changed between the validated baseline and the serving window, overall and per
/// subgroup: every feature, the model's output and the subgroup mix.
pub fn run(snapshot: &Snapshot, window: Window, config: &Config) -> Result<Report> {
    let features = Window::tested_features(snapshot, config)?;
    let baseline = &snapshot.cases;
    let groups = subgroups_of(config, baseline, &window.cases)?;
    // Past the subgroups (a condition may name any column), drift needs only the tested
    // features, the model's output and the timestamps: the UIDs (a fifth of the table's
    // memory), the untested features and the model and label columns go.
    let Window {
        cases,
        join,
        source,
        ..
    } = window;
    let schema = cases.schema();
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| {
            let name = schema.field(i).name();
            features.iter().any(|f| &f.name == name)
                || [schema::SCORE, schema::PREDICTION, schema::TIMESTAMP].contains(&name.as_str())
        })
        .collect();
    let projected = cases
        .project(&keep)
        .map_err(|e| Error::invalid(&source, e.to_string()))?;
    drop(cases);
    let summary = WindowSummary::of(&projected, join.instances);
    let (features, absent) = super::present_features(baseline, &projected, &features);
    let (mut checks, carriers) =
        super::checks_with_carriers(baseline, projected, &features, &groups, &config.drift);
    super::shown::quote(&mut checks, config.performance.power);
    let mut method = method(&config.drift);
    method.push(format!(
        "A drift check that passed carries the shift it would show as a warning with probability about {} (performance.power), extra.detectable_shift: the warn threshold + (z₀.₉₇₅ + z_power) × the standard error of a shifted sample (√(1/n_serving + 1/n_baseline) in SDs; for a share, at 50%); subgroups whose typical feature could not show twice the alert threshold are named under \"Not decided\".",
        config.performance.power
    ));
    if !absent.is_empty() {
        method.push(format!(
            "Absent in both windows (no value on either side, nothing to test): {}.",
            absent.join(", ")
        ));
    }
    let mut report = Report::new(
        "drift",
        checks,
        summary,
        BaselineIdentity::of(snapshot),
        join,
        method,
    );
    report.set_change_context(Context::new(config, carriers));
    Ok(report)
}

/// How drift decides, in words (the report's "Method" section).
pub fn method(d: &DriftConfig) -> Vec<String> {
    vec![
        format!(
            "A finding needs both: significance after Benjamini–Hochberg correction across all checks of the run (q ≤ {}), and an effect whose 95% interval lies at or above its threshold (its low end clears it: the change is at least that large). A point effect past the threshold with a wider interval is info, listed in report.json only.",
            d.fdr
        ),
        format!(
            "Numeric features: two-sample Kolmogorov–Smirnov test; effect = Wasserstein-1 distance / baseline SD (warn {}, alert {}) with a delta-method interval; PSI on baseline deciles shown for reference.",
            d.numeric_warn, d.numeric_alert
        ),
        format!(
            "Categorical features: chi-square test of homogeneity; effect = largest change in a category's share (warn {} pp, alert {} pp), its interval from Newcombe's interval of each category's change (Bonferroni over categories); Jensen–Shannon distance, PSI and Cohen's w shown for reference.",
            d.share_warn_pp, d.share_alert_pp
        ),
        format!(
            "A value never seen in the baseline is its own finding from {} cases and when the Wilson interval of its serving share clears {} % (alert at {} %).",
            d.new_category_min_count, d.new_category_warn_pp, d.new_category_alert_pp
        ),
        format!(
            "Missing values: change in the missing rate, Newcombe interval (warn {} pp, alert {} pp).",
            d.missing_warn_pp, d.missing_alert_pp
        ),
        format!(
            "Subgroups and features with fewer than {} cases on either side are reported as insufficient, never as a pass.",
            d.min_n
        ),
        "Features with the same values as an earlier feature on both sides (or categories in one-to-one correspondence) are tested once, under the earlier one, whose summary names them: identical tests would otherwise count one chance event twice in the correction. Likewise the mix of a subgroup split by a categorical feature is that feature's own check.".to_string(),
    ]
}

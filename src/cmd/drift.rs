//! `postmarket drift --baseline DIR --headers H [--inferences I] -o OUT`: what changed
//! between the validated baseline and the serving window, overall and per subgroup.

use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};
use clap::{Args, ValueEnum};

use super::Context;
use crate::analysis::findings::Severity;
use crate::analysis::{drift, subgroups};
use crate::config::DriftConfig;
use crate::error::{exit, Error, Result};
use crate::report::model::{BaselineIdentity, Report, Window};
use crate::table::schema;
use crate::table::snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warn,
    Alert,
    /// Never fail on findings (exit 0 unless the input is bad)
    Never,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the serving window
    #[arg(long, value_name = "FILE")]
    pub headers: PathBuf,
    /// inferences.parquet of the serving window (adds model-output checks)
    #[arg(long, value_name = "FILE")]
    pub inferences: Option<PathBuf>,
    /// Output folder for report.json and report.md
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
    /// Also write JUnit XML here: one test case per check
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

pub fn run(args: &DriftArgs, ctx: &Context) -> Result<i32> {
    let report = build(args, ctx)?;
    super::deliver(&report, &args.output, args.json, args.junit.as_deref(), ctx)?;
    Ok(exit_code(&report, args.fail_on))
}

pub fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    let level = match fail_on {
        FailOn::Warn => Severity::Warn,
        FailOn::Alert => Severity::Alert,
        FailOn::Never => return exit::OK,
    };
    if report.fails_at(level) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

/// Loads everything, runs the drift engine, and returns the report.
pub fn build(args: &DriftArgs, ctx: &Context) -> Result<Report> {
    let snapshot = snapshot::load(&args.baseline)?;
    let features = super::tested_features(&snapshot, &ctx.config)?;
    let (serving, join, _) =
        super::serving_cases(&snapshot, &args.headers, args.inferences.as_deref())?;
    let baseline = &snapshot.cases;
    let defs = ctx.config.subgroups();
    let groups = subgroups::resolve(&defs, baseline, &serving).map_err(|e| Error::ParseConfig {
        path: "subgroups".into(),
        message: e,
    })?;
    // Past the subgroups (a condition may name any column), drift needs only the tested
    // features, the model's output and the timestamps: the UIDs (a fifth of the table's
    // memory), the untested features and the model and label columns go.
    let schema = serving.schema();
    let keep: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| {
            let name = schema.field(i).name();
            features.iter().any(|f| &f.name == name)
                || [schema::SCORE, schema::PREDICTION, schema::TIMESTAMP].contains(&name.as_str())
        })
        .collect();
    let projected = serving
        .project(&keep)
        .map_err(|e| Error::invalid(&args.headers, e.to_string()))?;
    drop(serving);
    let window = window(&projected, join.instances);
    let (features, absent) = drift::present_features(baseline, &projected, &features);
    let checks = drift::run(baseline, projected, &features, &groups, &ctx.config.drift);
    let mut method = method(&ctx.config.drift);
    if !absent.is_empty() {
        method.push(format!(
            "Absent in both windows (no value on either side, nothing to test): {}.",
            absent.join(", ")
        ));
    }
    Ok(Report::new(
        "drift",
        checks,
        window,
        BaselineIdentity::of(&snapshot),
        join,
        method,
    ))
}

pub fn window(serving: &RecordBatch, instances: u64) -> Window {
    let times = serving
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>());
    let range = times.and_then(|t| {
        let valid = (0..t.len()).filter(|&i| t.is_valid(i)).map(|i| t.value(i));
        let (lo, hi) = valid.fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        (lo <= hi).then_some((lo, hi))
    });
    let fmt = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    };
    Window {
        cases: serving.num_rows() as u64,
        instances,
        first_inference: range.and_then(|(lo, _)| fmt(lo)),
        last_inference: range.and_then(|(_, hi)| fmt(hi)),
    }
}

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

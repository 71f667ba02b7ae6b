//! `drill`: proves, before it happens, that a site's audit policy would catch a drift — the
//! seed's "anticipation of drift scenarios". Baseline cases are resampled into nights, a
//! scenario is injected from an onset night (at once, or ramped), and every night goes
//! through the same code as `audit` — the analyses, the history and its sequential rule —
//! repeated with different draws. What comes out: false alarms per 100 nights before the
//! onset, how many nights (and cases) it took to alert after it, and how often it never did.

pub mod inject;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::audit::{self, history::record};
use crate::analysis::report::{Status, WindowSummary};
use crate::analysis::snapshot::Snapshot;
use crate::analysis::window::Window;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::history::History;
use crate::table::schema;
use crate::table::window::Window as Span;

/// What to drill.
#[derive(Debug, Clone)]
pub struct DrillOptions {
    pub scenarios: Vec<String>,
    pub nights: u32,
    /// The first night with the scenario (1-based).
    pub onset: u32,
    pub cases_per_night: usize,
    pub repeats: u32,
    /// Grow the effect linearly from the onset to full strength on the last night.
    pub ramp: bool,
    pub seed: u64,
    /// A folder for the drill's histories (one per repeat, removed when done).
    pub work: PathBuf,
    pub max_delay_nights: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct Drill {
    pub tool: String,
    pub generated: String,
    pub baseline_manifest_sha256: String,
    pub nights: u32,
    pub onset: u32,
    pub cases_per_night: usize,
    pub repeats: u32,
    pub ramp: bool,
    pub seed: u64,
    pub max_delay_nights: u32,
    pub scenarios: Vec<ScenarioResult>,
}

/// One scenario's result over every repeat.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub name: String,
    pub description: String,
    /// Nights at alert before the onset (every night for `none`), per 100 such nights.
    pub false_alarms_per_100_nights: f64,
    /// Nights from the onset to the first alert, the onset night counted as 1.
    pub median_delay_nights: Option<f64>,
    pub p90_delay_nights: Option<f64>,
    pub median_delay_cases: Option<f64>,
    /// Repeats in which no night from the onset to the last alerted.
    pub missed_share: Option<f64>,
    /// What the first alert was about, most often first (kind: subject).
    pub detected_by: Vec<String>,
    /// The median delay is within `drill.max_delay_nights` (always for `none`).
    pub passed: bool,
}

/// One repeat of one scenario: the alert flag and first alert's subject per night.
struct Repeat {
    alerts: Vec<Option<String>>,
}

pub fn run(snapshot: &Snapshot, config: &Config, options: &DrillOptions) -> Result<Drill> {
    if options.nights == 0 || options.onset == 0 || options.onset > options.nights {
        return Err(Error::Usage(format!(
            "--onset {} must be a night between 1 and --nights {}",
            options.onset, options.nights
        )));
    }
    if options.cases_per_night == 0 || options.repeats == 0 {
        return Err(Error::Usage(
            "--cases-per-night and --repeats must be at least 1".into(),
        ));
    }
    for name in &options.scenarios {
        inject::check_name(name).map_err(Error::Usage)?;
    }
    let first_night = first_night(snapshot);
    let mut scenarios = Vec::new();
    for (s, name) in options.scenarios.iter().enumerate() {
        let repeats: Vec<Repeat> = (0..options.repeats)
            .into_par_iter()
            .map(|r| {
                let dir = options.work.join(format!("{name}-{r}"));
                let repeat = run_repeat(snapshot, config, options, name, s, r, first_night, &dir);
                let _ = std::fs::remove_dir_all(&dir);
                repeat
            })
            .collect::<Result<_>>()?;
        scenarios.push(summarise(name, &repeats, options));
    }
    let _ = std::fs::remove_dir(&options.work);
    Ok(Drill {
        tool: concat!("postmarket ", env!("CARGO_PKG_VERSION")).to_string(),
        generated: crate::clock::run_timestamp(),
        baseline_manifest_sha256: snapshot.manifest_sha256.clone(),
        nights: options.nights,
        onset: options.onset,
        cases_per_night: options.cases_per_night,
        repeats: options.repeats,
        ramp: options.ramp,
        seed: options.seed,
        max_delay_nights: options.max_delay_nights,
        scenarios,
    })
}

/// Midnight after the baseline's last inference: the drill's nights follow the baseline.
fn first_night(snapshot: &Snapshot) -> i64 {
    use arrow_array::cast::AsArray;
    use arrow_array::types::TimestampMicrosecondType;
    use arrow_array::Array;
    const DAY: i64 = 86_400_000_000;
    let last = snapshot
        .cases
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .and_then(|t| {
            (0..t.len())
                .filter(|&i| t.is_valid(i))
                .map(|i| t.value(i))
                .max()
        })
        .unwrap_or(0);
    (last.div_euclid(DAY) + 1) * DAY
}

#[allow(clippy::too_many_arguments)]
fn run_repeat(
    snapshot: &Snapshot,
    config: &Config,
    options: &DrillOptions,
    name: &str,
    scenario_index: usize,
    repeat: u32,
    first_night: i64,
    dir: &Path,
) -> Result<Repeat> {
    use rand::SeedableRng;
    const DAY: i64 = 86_400_000_000;
    let _ = std::fs::remove_dir_all(dir);
    let mut history = History::open(dir)?;
    let seed = options
        .seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((scenario_index as u64) << 32 | u64::from(repeat));
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut alerts = Vec::new();
    for night in 1..=options.nights {
        let start = first_night + i64::from(night - 1) * DAY;
        let mut cases = inject::resample(&snapshot.cases, options.cases_per_night, start, &mut rng);
        if night >= options.onset && name != "none" {
            let strength = if options.ramp {
                f64::from(night - options.onset + 1) / f64::from(options.nights - options.onset + 1)
            } else {
                1.0
            };
            cases = inject::inject(cases, name, strength, seed ^ u64::from(night));
        }
        let span = Span::new(
            chrono::DateTime::from_timestamp_micros(start).expect("in range"),
            chrono::DateTime::from_timestamp_micros(start + DAY).expect("in range"),
        )?;
        let window = Window::of_cases(cases, "drill");
        let mut summary = WindowSummary::of(&window.cases, window.join.instances);
        summary.start = Some(crate::table::window::rfc3339(span.start));
        summary.end = Some(crate::table::window::rfc3339(span.end));
        let mut audit = audit::run(snapshot, window, summary, config)?;
        record(&mut history, &mut audit.report, snapshot, config, span)?;
        let report = &audit.report;
        alerts.push((report.status == Status::Alert).then(|| {
            report.findings.first().map_or(String::new(), |c| {
                format!("{}: {}", c.kind.as_str(), c.subject)
            })
        }));
    }
    Ok(Repeat { alerts })
}

fn summarise(name: &str, repeats: &[Repeat], options: &DrillOptions) -> ScenarioResult {
    let onset = options.onset as usize;
    let none = name == "none";
    let before = if none {
        options.nights as usize
    } else {
        onset - 1
    };
    let false_alarms: usize = repeats
        .iter()
        .map(|r| r.alerts[..before].iter().filter(|a| a.is_some()).count())
        .sum();
    let counted = before * repeats.len();
    let mut delays: Vec<f64> = Vec::new();
    let mut reasons: std::collections::BTreeMap<String, u64> = Default::default();
    let mut missed = 0;
    if !none {
        for r in repeats {
            match r.alerts[onset - 1..].iter().position(Option::is_some) {
                Some(k) => {
                    delays.push((k + 1) as f64);
                    let why = r.alerts[onset - 1 + k].clone().unwrap_or_default();
                    *reasons.entry(why).or_insert(0) += 1;
                }
                None => missed += 1,
            }
        }
    }
    delays.sort_by(f64::total_cmp);
    let median = quantile(&delays, 0.5);
    let mut detected_by: Vec<(String, u64)> = reasons.into_iter().collect();
    detected_by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ScenarioResult {
        name: name.to_string(),
        description: inject::SCENARIOS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(String::new(), |(_, d)| d.to_string()),
        false_alarms_per_100_nights: if counted == 0 {
            0.0
        } else {
            100.0 * false_alarms as f64 / counted as f64
        },
        median_delay_nights: median,
        p90_delay_nights: quantile(&delays, 0.9),
        median_delay_cases: median.map(|m| m * options.cases_per_night as f64),
        missed_share: (!none).then(|| missed as f64 / repeats.len() as f64),
        detected_by: detected_by
            .into_iter()
            .map(|(w, n)| format!("{w} ({n})"))
            .collect(),
        passed: none
            || (missed * 2 < repeats.len()
                && median.is_some_and(|m| m <= f64::from(options.max_delay_nights))),
    }
}

/// The `p` quantile of sorted values, nearest rank (None when empty).
fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

//! `synth`: realistic synthetic DICOM series and inference logs with a known drift.
//!
//! Layout written under the output folder:
//!
//! ```text
//! baseline/dicom/case00001/slice001.dcm …   baseline/inferences.jsonl
//! serving/dicom/case00001/slice001.dcm …    serving/inferences.jsonl
//! truth.yaml                                what was injected, and the score model
//! serving/candidate_inferences.jsonl        with --candidate: a second model, same cases
//! ```
//!
//! With `--tables` the folders hold `headers.parquet`, `inferences.parquet` (and
//! `candidate_inferences.parquet`) instead of DICOM files and JSONL.
//!
//! Cases are drawn by [`population::draw_case`] with one generator per case, written in
//! parallel, and are identical for a given seed whatever the thread count.

pub mod candidate;
pub mod files;
pub mod population;
pub mod scenario;
pub mod tables;

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result};
use files::SeriesIds;
use population::{draw_case, Case};
use scenario::Effects;
pub use scenario::Scenario;

pub struct SynthOptions {
    pub out: PathBuf,
    pub scenarios: Vec<Scenario>,
    /// Cases (series) per side.
    pub cases: u64,
    pub slices: u32,
    /// Rows and columns of the (tiny) pixel matrix.
    pub matrix: u16,
    pub seed: u64,
    /// Write headers.parquet and inferences.parquet instead of DICOM files and JSONL.
    pub tables: bool,
    /// Also write a candidate model's inferences on the serving cases ([`candidate`]).
    pub candidate: bool,
    /// The serving days (28 by default) and the day the scenario starts (1-based; from the
    /// first day when `None`): the days before it are drawn from the baseline's population,
    /// as a site's nights before a change.
    pub serving_days: Option<u32>,
    pub onset_day: Option<u32>,
}

/// What `truth.yaml` records.
#[derive(Debug, Serialize)]
pub struct Truth {
    pub format_version: u32,
    pub generator: String,
    pub seed: u64,
    pub cases_per_side: u64,
    pub slices_per_series: u32,
    pub scenarios: Vec<TruthScenario>,
    pub score_model: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_model: Option<&'static str>,
    pub baseline_window: [String; 2],
    pub serving_window: [String; 2],
    /// The first day of the serving window with the scenario (all days when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset_date: Option<String>,
    pub corrupted_files: Vec<CorruptedFile>,
    pub malformed_log_lines: Vec<u64>,
}

#[derive(Debug, Serialize)]
pub struct TruthScenario {
    pub name: Scenario,
    pub injected: &'static str,
}

#[derive(Debug, Serialize)]
pub struct CorruptedFile {
    pub path: String,
    pub how: &'static str,
}

/// Writes both sides and `truth.yaml`; returns the truth.
pub fn generate(options: &SynthOptions) -> Result<Truth> {
    let baseline_start = NaiveDate::from_ymd_opt(2025, 1, 6).expect("valid date");
    let serving_start = NaiveDate::from_ymd_opt(2026, 10, 5).expect("valid date");
    let serving_effects = Effects::serving(&options.scenarios);
    let serving_days = i64::from(options.serving_days.unwrap_or(28));
    write_side(
        options,
        "baseline",
        0,
        &Effects::default(),
        baseline_start,
        84,
        false,
    )?;
    let corrupted = write_side(
        options,
        "serving",
        1,
        &serving_effects,
        serving_start,
        serving_days,
        true,
    )?;
    let window = |start: NaiveDate, days: i64| {
        [
            start.to_string(),
            (start + Duration::days(days - 1)).to_string(),
        ]
    };
    let truth = Truth {
        format_version: 1,
        generator: concat!("postmarket ", env!("CARGO_PKG_VERSION")).to_string(),
        seed: options.seed,
        cases_per_side: options.cases,
        slices_per_series: options.slices,
        scenarios: options
            .scenarios
            .iter()
            .map(|s| TruthScenario {
                name: *s,
                injected: s.describe(),
            })
            .collect(),
        score_model: "latent severity z ~ N(0.012*(age-58), 1); label v1: z > 0.84, v2: z > 0.40; \
score = sigmoid(2.5*q*(z-0.84) + N(0,0.8) - 0.4), q = 1 x 0.45 if CT slice >= 2.5 mm x 0.35 on kernel STANDARD_DL; \
unapproved version: logit*0.6 + 0.9",
        candidate_model: options.candidate.then_some(candidate::DESCRIPTION),
        baseline_window: window(baseline_start, 84),
        serving_window: window(serving_start, serving_days),
        onset_date: options
            .onset_day
            .map(|d| (serving_start + Duration::days(i64::from(d) - 1)).to_string()),
        corrupted_files: corrupted.files,
        malformed_log_lines: corrupted.lines,
    };
    let path = options.out.join("truth.yaml");
    let text = serde_norway::to_string(&truth).expect("truth serialises");
    crate::atomic::write_bytes(&path, text.as_bytes())?;
    Ok(truth)
}

#[derive(Default)]
struct Corrupted {
    files: Vec<CorruptedFile>,
    lines: Vec<u64>,
}

fn write_side(
    options: &SynthOptions,
    side_name: &str,
    side: u64,
    effects: &Effects,
    start: NaiveDate,
    days: i64,
    serving: bool,
) -> Result<Corrupted> {
    let dir = options.out.join(side_name);
    let dicom_dir = dir.join("dicom");
    let dir_to_make = if options.tables { &dir } else { &dicom_dir };
    std::fs::create_dir_all(dir_to_make).map_err(|e| Error::write(dir_to_make, e))?;
    let seed = options.seed;
    let written: Vec<(Case, SeriesIds, i64)> = (0..options.cases)
        .into_par_iter()
        .map(|index| -> Result<(Case, SeriesIds, i64)> {
            let case = match options.onset_day.filter(|_| serving) {
                None => draw_case(seed, side, index, effects, serving),
                Some(day) => {
                    // Before the onset the case is the baseline population's; from it, the
                    // scenario's, at the same moment of the window.
                    let quiet = draw_case(seed, side, index, &Effects::default(), serving);
                    let onset = f64::from(day - 1) / days as f64;
                    if quiet.time < onset {
                        quiet
                    } else {
                        Case {
                            time: quiet.time,
                            ..draw_case(seed, side, index, effects, serving)
                        }
                    }
                }
            };
            let mut rng = population::case_rng(seed ^ 0xD1C0, side, index);
            let offset_s = (case.time * (days * 86_400) as f64) as i64;
            let day = start + Duration::seconds(offset_s);
            let ids = SeriesIds::draw(&mut rng, &case, day);
            if options.tables {
                return Ok((case, ids, offset_s));
            }
            let case_dir = dicom_dir.join(format!("case{:05}", index + 1));
            files::write_series(
                &case_dir,
                &case,
                &ids,
                &mut rng,
                options.slices,
                options.matrix,
            )?;
            Ok((case, ids, offset_s))
        })
        .collect::<Result<_>>()?;
    // The candidate scores the serving cases only, with its own generator.
    let candidate_scores: Option<Vec<f64>> = (serving && options.candidate).then(|| {
        written
            .iter()
            .enumerate()
            .map(|(index, (case, _, _))| candidate::score(case, seed, side, index as u64))
            .collect()
    });

    let mut corrupted = Corrupted::default();
    // Logs in time order, as a serving system would append them.
    let mut order: Vec<usize> = (0..written.len()).collect();
    order.sort_by_key(|&i| (written[i].2, i));
    let epoch = Utc.from_utc_datetime(&start.and_hms_opt(0, 0, 0).expect("valid time"));
    if options.tables {
        let mut rng = population::case_rng(seed ^ 0x7AB1E, side, 0);
        tables::write_headers(
            &dir.join("headers.parquet"),
            &written,
            options.slices,
            options.matrix,
            &mut rng,
        )?;
        tables::write_inferences(
            &dir.join("inferences.parquet"),
            &written,
            &order,
            epoch,
            None,
        )?;
        if let Some(scores) = &candidate_scores {
            tables::write_inferences(
                &dir.join("candidate_inferences.parquet"),
                &written,
                &order,
                epoch,
                Some(scores),
            )?;
        }
        return Ok(corrupted);
    }
    if effects.corrupt {
        let mut rng = population::case_rng(seed ^ 0xBAD, side, 0);
        for (index, _) in written.iter().enumerate() {
            // About 4% of files: every 25th case loses its first slice.
            if index % 25 == 12 {
                let path = dicom_dir
                    .join(format!("case{:05}", index + 1))
                    .join("slice001.dcm");
                let how = files::corrupt_file(&path, (index / 25) as u64, &mut rng)?;
                corrupted.files.push(CorruptedFile {
                    path: relative(&options.out, &path),
                    how,
                });
            }
        }
        let notes = dicom_dir.join("export-notes.txt");
        std::fs::write(&notes, "Exported from PACS; see ticket 4711.\n")
            .map_err(|e| Error::write(&notes, e))?;
        corrupted.files.push(CorruptedFile {
            path: relative(&options.out, &notes),
            how: "not-dicom",
        });
    }

    let log_path = dir.join("inferences.jsonl");
    crate::atomic::write_with(&log_path, |out| {
        for (line_no, &i) in order.iter().enumerate() {
            let (case, ids, offset_s) = &written[i];
            let ts = (epoch + Duration::seconds(*offset_s))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let mut line = files::inference_line(case, &ids.series_uid, &ts, 0.5);
            if effects.corrupt && line_no % 33 == 7 {
                line = files::corrupt_line(&line, (line_no / 33) as u64);
                corrupted.lines.push(line_no as u64 + 1);
            }
            writeln!(out, "{line}")?;
        }
        Ok(())
    })?;
    if let Some(scores) = &candidate_scores {
        // The candidate's log is clean: corrupt-files breaks production's log only.
        let path = dir.join("candidate_inferences.jsonl");
        crate::atomic::write_with(&path, |out| {
            for &i in &order {
                let (case, ids, offset_s) = &written[i];
                let ts = (epoch + Duration::seconds(*offset_s))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let line = files::model_line(
                    case,
                    &ids.series_uid,
                    &ts,
                    candidate::CANDIDATE_VERSION,
                    scores[i],
                    0.5,
                );
                writeln!(out, "{line}")?;
            }
            Ok(())
        })?;
    }
    Ok(corrupted)
}

fn relative(base: &Path, path: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

//! The concurrent part of a DICOMweb scan: series lists per study and metadata per series,
//! each on `jobs` worker threads sharing one agent, results kept in input order. A refused
//! login stops every worker; any other failure is a reject for that study or series.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::Value as Json;

use super::client::{Client, Failure};
use super::{convert, qido, Options, Summary};
use crate::error::{Error, Result};
use crate::ingest::dicom::fields::{self, ExtraColumn, HeaderRecord, Note};
use crate::table::rejects::Reject;

/// A row, the notes on values it nulled, and the transfer syntax when the server sent one.
pub type Row = (HeaderRecord, Vec<Note>, Option<String>);

/// What became of one series.
#[derive(Debug, Default)]
pub struct SeriesOutcome {
    pub rows: Vec<Row>,
    pub rejects: Vec<Reject>,
    /// Instances the server returned.
    pub instances: u64,
    /// Metadata without any instance-level attribute (an index-only answer).
    pub thin: bool,
    /// Fetched and converted (possibly with rejects): recorded in `--state`.
    pub complete: bool,
}

/// Turns a failure of a request the whole scan depends on into the run's error.
pub fn fatal(failure: Failure, path: &str) -> Error {
    match failure {
        Failure::Fatal(e) => e,
        Failure::Failed(message) => Error::Remote {
            url: path.to_string(),
            message,
        },
    }
}

/// Runs `f` over `items` on `jobs` threads; stops at the first fatal error.
fn parallel<T: Sync, R: Send>(
    items: &[T],
    jobs: usize,
    progress: &indicatif::ProgressBar,
    f: impl Fn(&T) -> std::result::Result<R, Error> + Sync,
) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    let error: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(items.len()).max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                match f(&items[i]) {
                    Ok(r) => results.lock().expect("results lock")[i] = Some(r),
                    Err(e) => {
                        stop.store(true, Ordering::Relaxed);
                        error.lock().expect("error lock").get_or_insert(e);
                    }
                }
                progress.inc(1);
            });
        }
    });
    if let Some(e) = error.into_inner().expect("error lock") {
        return Err(e);
    }
    Ok(results
        .into_inner()
        .expect("results lock")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect())
}

/// Every (study, series) pair, in study then series UID order.
pub fn list_series(
    client: &Client,
    options: &Options,
    studies: &[String],
    summary: &mut Summary,
) -> Result<Vec<(String, String)>> {
    let modality = options.filter.modality.as_deref();
    let hidden = indicatif::ProgressBar::hidden();
    let listings = parallel(studies, options.jobs, &hidden, |study| {
        match qido::series(client, study, modality, options.page_size) {
            Ok(listing) => Ok(Ok(listing)),
            Err(Failure::Fatal(e)) => Err(e),
            Err(Failure::Failed(message)) => Ok(Err(message)),
        }
    })?;
    let mut pairs = Vec::new();
    for (study, listing) in studies.iter().zip(listings) {
        match listing {
            Ok(listing) => {
                summary.warnings.extend(listing.truncated);
                pairs.extend(listing.uids.into_iter().map(|s| (study.clone(), s)));
            }
            Err(message) => summary.scan.rejects.push(Reject {
                source: format!("/studies/{}", options.pseudonymizer.apply(study)),
                line: None,
                kind: "fetch-failed",
                reason: format!("listing the series: {message}"),
            }),
        }
    }
    Ok(pairs)
}

/// Fetches and converts every series in `todo`.
pub fn fetch_all(
    client: &Client,
    options: &Options,
    extras: &[ExtraColumn],
    todo: &[(String, String)],
) -> Result<Vec<SeriesOutcome>> {
    let progress = progress_bar(options.progress, todo.len() as u64);
    let outcomes = parallel(todo, options.jobs, &progress, |(study, series)| {
        let path = format!("/studies/{study}/series/{series}");
        let shown = format!(
            "/studies/{}/series/{}",
            options.pseudonymizer.apply(study),
            options.pseudonymizer.apply(series)
        );
        match client.get_array(&format!("{path}/metadata")) {
            Ok(page) => Ok(series_rows(&page.items, &shown, extras, options)),
            Err(Failure::Fatal(e)) => Err(e),
            Err(Failure::Failed(message)) => Ok(SeriesOutcome {
                rejects: vec![Reject {
                    source: shown,
                    line: None,
                    kind: "fetch-failed",
                    reason: format!("metadata: {message}"),
                }],
                ..SeriesOutcome::default()
            }),
        }
    });
    progress.finish_and_clear();
    outcomes
}

/// Attributes of which an image instance's full metadata has at least one; the index-only
/// answers of Orthanc's "MainDicomTags"/"Extrapolate" modes have none.
const INSTANCE_LEVEL: [&str; 6] = [
    "00280010", "00280030", "00180050", "00180060", "00181210", "00280011",
];
const IMAGE_MODALITIES: [&str; 12] = [
    "CT", "MR", "CR", "DX", "MG", "PT", "NM", "US", "XA", "RF", "IO", "PX",
];

fn series_rows(
    instances: &[Json],
    shown: &str,
    extras: &[ExtraColumn],
    options: &Options,
) -> SeriesOutcome {
    let mut outcome = SeriesOutcome {
        instances: instances.len() as u64,
        ..SeriesOutcome::default()
    };
    if instances.is_empty() {
        outcome.rejects.push(Reject {
            source: shown.to_string(),
            line: None,
            kind: "empty-series",
            reason: "the server returned no instance metadata for this series".into(),
        });
        return outcome;
    }
    let has = |item: &Json, key: &str| item.get(key).is_some();
    let image = instances.iter().any(|item| {
        let modality = item.pointer("/00080060/Value/0").and_then(Json::as_str);
        modality.is_some_and(|m| IMAGE_MODALITIES.contains(&m.trim()))
    });
    outcome.thin = image
        && !instances
            .iter()
            .any(|item| INSTANCE_LEVEL.iter().any(|key| has(item, key)));
    let reject = |i: usize, kind: &'static str, reason: String| Reject {
        source: format!("{shown} (instance {} of {})", i + 1, instances.len()),
        line: None,
        kind,
        reason,
    };
    for (i, item) in instances.iter().enumerate() {
        let converted = match convert::instance(item) {
            Ok(c) => c,
            Err(why) => {
                outcome.rejects.push(reject(i, "bad-metadata", why));
                continue;
            }
        };
        match fields::extract(&converted.header, shown.to_string(), extras) {
            Ok((mut row, mut notes)) => {
                let p = &options.pseudonymizer;
                if p.is_on() {
                    row.sop_instance_uid = p.apply(&row.sop_instance_uid);
                    row.series_instance_uid = p.apply(&row.series_instance_uid);
                    row.study_instance_uid = row.study_instance_uid.map(|u| p.apply(&u));
                }
                let mut all = converted.notes;
                all.append(&mut notes);
                outcome.rows.push((row, all, converted.transfer_syntax));
            }
            Err(r) => outcome.rejects.push(reject(i, r.kind, r.reason)),
        }
    }
    outcome
        .rows
        .sort_by(|a, b| a.0.sop_instance_uid.cmp(&b.0.sop_instance_uid));
    outcome.complete = true;
    outcome
}

fn progress_bar(enabled: bool, len: u64) -> indicatif::ProgressBar {
    if !enabled {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} series fetched ({per_sec}) {elapsed}",
        )
        .expect("valid template"),
    );
    bar
}

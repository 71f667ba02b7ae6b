use std::path::Path;
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch};
use chrono::{DateTime, TimeDelta, Utc};

use std::path::PathBuf;

use super::*;
use crate::analysis::findings::{Check, Kind, Severity};
use crate::error::exit;
use crate::table::parquet::read_all;

fn night(day: u32) -> Window {
    let start: DateTime<Utc> = format!("2026-11-{day:02}T00:00:00Z").parse().unwrap();
    Window::new(start, start + TimeDelta::days(1)).unwrap()
}

fn new_run(day: u32, baseline: &str) -> NewRun {
    NewRun {
        created: format!("2026-11-{day:02}T02:00:00Z"),
        window: night(day),
        baseline_sha256: baseline.to_string(),
        config_sha256: "c".repeat(64),
        status: "ok".into(),
        cases: 200,
        cases_outside: 3,
        cases_undated: 1,
    }
}

fn check(subject: &str, effect: f64, severity: Severity) -> Check {
    let mut c = Check::new(Kind::FeatureDrift, subject, "ks");
    c.subgroup = Some("manufacturer = GE".into());
    c.p_value = Some(0.01);
    c.q_value = Some(0.04);
    c.set_effect(effect, effect - 0.05, effect + 0.05);
    c.effect_name = "wasserstein/sd";
    c.threshold = 0.1;
    c.alert_threshold = 0.25;
    c.severity = severity;
    c.n_baseline = 1000;
    c.n_serving = 200;
    c
}

fn key(subject: &str) -> CheckKey {
    CheckKey::of(&check(subject, 0.0, Severity::Pass))
}

fn append(h: &mut History, day: u32, checks: &[Check]) -> RunRow {
    h.append_checks(&new_run(day, &"b".repeat(64)), checks)
        .unwrap()
}

fn seq_for(h: &History, day: u32) -> Sequence {
    h.sequence(&"b".repeat(64), &"c".repeat(64), &night(day))
        .unwrap()
}

#[test]
fn runs_and_checks_read_back_with_the_parquet_crate() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    let run = append(&mut h, 1, &[check("slice_thickness", 0.3, Severity::Alert)]);
    assert_eq!(run.run_id, "000001-20261101T000000Z");
    assert_eq!((run.checks, run.alerts, run.warnings), (1, 1, 0));

    let (_, batches) = read_all(&dir.path().join("runs/000001-20261101T000000Z.parquet")).unwrap();
    let b = &batches[0];
    assert_eq!(b.num_rows(), 1);
    let text = |b: &RecordBatch, name: &str| {
        b.column_by_name(name)
            .unwrap()
            .as_string::<i32>()
            .value(0)
            .to_string()
    };
    assert_eq!(text(b, "config_sha256"), "c".repeat(64));
    assert_eq!(text(b, "created"), "2026-11-01T02:00:00Z");
    assert!(b.column_by_name("supersedes").unwrap().is_null(0));

    let (_, batches) =
        read_all(&dir.path().join("checks/000001-20261101T000000Z.parquet")).unwrap();
    let b = &batches[0];
    assert_eq!(text(b, "kind"), "feature-drift");
    assert_eq!(text(b, "subgroup"), "manufacturer = GE");
    assert_eq!(text(b, "severity"), "alert");
    let effect = b.column_by_name("effect").unwrap();
    let effect = effect.as_any().downcast_ref::<Float64Array>().unwrap();
    assert_eq!(effect.value(0), 0.3);

    // And through the history's own reader, verified.
    let h = History::open(dir.path()).unwrap();
    assert_eq!(h.all_runs(), [run]);
}

#[test]
fn a_sequence_gives_trend_first_seen_and_missing_nights() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    append(&mut h, 1, &[check("kvp", 0.3, Severity::Alert)]);
    append(&mut h, 2, &[check("kvp", 0.05, Severity::Pass)]);
    append(&mut h, 3, &[check("kvp", 0.2, Severity::Warn)]);
    // Nights 4 and 5 missing.
    append(
        &mut h,
        6,
        &[
            check("kvp", 0.3, Severity::Alert),
            check("rows", 0.0, Severity::Pass),
        ],
    );

    let s = seq_for(&h, 7);
    assert_eq!(s.len(), 4);
    assert!(s.change().is_none());
    let trend = s.trend(&key("kvp"));
    let starts: Vec<&str> = trend.iter().map(|t| t.window_start.as_str()).collect();
    assert_eq!(
        starts,
        [
            "2026-11-01T00:00:00Z",
            "2026-11-02T00:00:00Z",
            "2026-11-03T00:00:00Z",
            "2026-11-06T00:00:00Z"
        ]
    );
    assert_eq!(trend[2].severity, Severity::Warn);
    assert_eq!(trend[1].effect, Some(0.05));
    // Tonight warn: the stretch runs back over nights 6 and 3 (the gap does not break it)
    // to the pass of night 2.
    let p = s.persistence(&key("kvp"), Severity::Warn).unwrap();
    assert_eq!(p.runs, 3);
    assert_eq!(
        s.first_seen(&key("kvp"), Severity::Alert).as_deref(),
        Some("2026-11-03T00:00:00Z")
    );
    assert_eq!(s.first_seen(&key("kvp"), Severity::Info), None);
    // A check absent from earlier runs starts tonight.
    assert_eq!(
        s.first_seen(&key("new"), Severity::Warn).as_deref(),
        Some("2026-11-07T00:00:00Z")
    );
    assert_eq!(s.trend(&key("rows")).len(), 1);

    let gaps = s.gaps();
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].windows, 2);
    assert_eq!(
        gaps[0].span,
        Window::new(night(4).start, night(6).start).unwrap()
    );
    // Night 9 after night 6: 7 and 8 are missing too.
    let later = seq_for(&h, 9);
    assert_eq!(later.gaps().last().unwrap().windows, 2);
    // Backfilling night 4 sees only nights 1–3.
    assert_eq!(seq_for(&h, 4).len(), 3);
    assert!(seq_for(&h, 4).gaps().is_empty());
}

#[test]
fn a_rerun_supersedes_the_earlier_run_of_its_window_and_deletes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    append(&mut h, 1, &[check("kvp", 0.0, Severity::Pass)]);
    let first = append(&mut h, 2, &[check("kvp", 0.3, Severity::Alert)]);
    let rerun = append(&mut h, 2, &[check("kvp", 0.01, Severity::Pass)]);
    assert_eq!(rerun.supersedes.as_deref(), Some(first.run_id.as_str()));
    let again = append(&mut h, 2, &[check("kvp", 0.02, Severity::Pass)]);
    assert_eq!(again.supersedes.as_deref(), Some(rerun.run_id.as_str()));

    let h = History::open(dir.path()).unwrap();
    assert_eq!(h.all_runs().len(), 4);
    let live: Vec<&str> = h.live_runs().iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(live, ["000001-20261101T000000Z", "000004-20261102T000000Z"]);
    let trend = seq_for(&h, 3).trend(&key("kvp"));
    assert_eq!(
        trend.iter().map(|t| t.effect.unwrap()).collect::<Vec<_>>(),
        [0.0, 0.02]
    );
    assert!(dir
        .path()
        .join("checks")
        .join(format!("{}.parquet", first.run_id))
        .exists());
}

#[test]
fn another_baseline_or_config_starts_a_new_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    append(&mut h, 1, &[check("kvp", 0.3, Severity::Alert)]);
    h.append_checks(
        &new_run(2, &"d".repeat(64)),
        &[check("kvp", 0.3, Severity::Alert)],
    )
    .unwrap();
    append(&mut h, 3, &[check("kvp", 0.3, Severity::Alert)]);

    // Night 4 under baseline b continues night 3 only: night 2 (baseline d) broke it.
    let s = seq_for(&h, 4);
    assert_eq!(
        s.runs().map(|r| r.window.start).collect::<Vec<_>>(),
        [night(3).start]
    );
    let change = s.change().unwrap();
    assert_eq!(change.run_id, "000002-20261102T000000Z");
    assert!(change.baseline_changed && !change.config_changed);
    assert_eq!(
        s.first_seen(&key("kvp"), Severity::Alert).as_deref(),
        Some("2026-11-03T00:00:00Z")
    );
    // Under a new config, night 4 has no earlier run at all, and says why.
    let other = h
        .sequence(&"b".repeat(64), &"e".repeat(64), &night(4))
        .unwrap();
    assert!(other.is_empty());
    assert!(other.change().unwrap().config_changed);
    assert!(other.trend(&key("kvp")).is_empty());
    assert_eq!(other.sequential_statistic(&key("kvp")), None);
}

#[test]
fn the_sequential_statistic_is_carried_from_the_last_run_that_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    let row = |stat: f64| CheckRow {
        night_severity: Some(Severity::Warn),
        sequential_evidence: Some(1.5),
        sequential_statistic: Some(stat),
        ..CheckRow::from(&check("kvp", 0.2, Severity::Warn))
    };
    h.append(&new_run(1, &"b".repeat(64)), &[row(2.5)]).unwrap();
    // Night 2 could not run the check (too few cases): night 3 starts from night 1's.
    h.append(&new_run(2, &"b".repeat(64)), &[]).unwrap();
    let s = seq_for(&h, 3);
    assert_eq!(s.sequential_statistic(&key("kvp")), Some(2.5));
    assert_eq!(
        s.last(&key("kvp")).unwrap().night_severity,
        Some(Severity::Warn)
    );
    assert_eq!(
        s.first_seen(&key("kvp"), Severity::Warn).as_deref(),
        Some("2026-11-03T00:00:00Z")
    );
}

fn assert_refused(dir: &Path, file: &Path, what: &str) {
    let opened =
        History::open(dir).and_then(|h| h.sequence(&"b".repeat(64), &"c".repeat(64), &night(9)));
    let err = opened.err().unwrap_or_else(|| panic!("{what}: accepted"));
    assert_eq!(err.exit_code(), exit::INPUT, "{what}");
    match &err {
        Error::ReadHistory { path, .. } => assert_eq!(path, file, "{what}: {err}"),
        other => panic!("{what}: {other:?}"),
    }
}

fn two_nights() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    append(&mut h, 1, &[check("kvp", 0.3, Severity::Alert)]);
    append(&mut h, 2, &[check("kvp", 0.3, Severity::Alert)]);
    let run = dir.path().join("runs/000001-20261101T000000Z.parquet");
    let checks = dir.path().join("checks/000001-20261101T000000Z.parquet");
    (dir, run, checks)
}

/// Rewrites a history file with one column replaced, its metadata (digest included) kept:
/// what an edit by another tool that preserved everything it could would leave.
fn rewrite_column(path: &Path, column: &str, value: impl Fn(usize) -> ArrayRef) {
    let file = std::fs::File::open(path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let kv = builder
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned();
    let batch = builder.build().unwrap().next().unwrap().unwrap();
    let i = batch.schema().index_of(column).unwrap();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    columns[i] = value(batch.num_rows());
    let batch = RecordBatch::try_new(batch.schema(), columns).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_key_value_metadata(kv)
        .build();
    let out = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(out, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// Rewrites a history file with one float column set to `value` in every row.
fn rewrite_with_effect(path: &Path, column: &str, value: f64) {
    rewrite_column(path, column, |n| {
        Arc::new(Float64Array::from(vec![value; n]))
    });
}

#[test]
fn an_altered_checks_file_is_refused_naming_it() {
    let (dir, _, checks) = two_nights();
    rewrite_with_effect(&checks, "effect", 0.01);
    assert_refused(dir.path(), &checks, "edited checks");
}

#[test]
fn an_altered_run_file_is_refused_naming_it() {
    let (dir, run, _) = two_nights();
    // Counts are integers; a string value of the canonical content is edited instead.
    rewrite_column(&run, "status", |_| {
        Arc::new(arrow_array::StringArray::from(vec!["ok-edited"]))
    });
    assert_refused(dir.path(), &run, "edited run");
}

#[test]
fn truncated_replaced_or_foreign_files_are_refused_naming_them() {
    let (dir, run, checks) = two_nights();
    let bytes = std::fs::read(&run).unwrap();
    std::fs::write(&run, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused(dir.path(), &run, "truncated run");

    let (dir, _, checks2) = two_nights();
    // The other night's checks file in its place: valid, but not the bytes the run recorded.
    std::fs::copy(
        dir.path().join("checks/000002-20261102T000000Z.parquet"),
        &checks2,
    )
    .unwrap();
    assert_refused(dir.path(), &checks2, "swapped checks");
    drop(checks);

    let (dir, _, _) = two_nights();
    let foreign = dir.path().join("runs/notes.parquet");
    std::fs::write(&foreign, b"PAR1").unwrap();
    assert_refused(dir.path(), &foreign, "foreign parquet");

    // Written by another tool, without the history metadata.
    let (dir, run, _) = two_nights();
    let (schema, batches) = read_all(&run).unwrap();
    let mut w = crate::table::parquet::TableWriter::create(&run, schema).unwrap();
    w.write(&batches[0]).unwrap();
    w.finish().unwrap();
    assert_refused(dir.path(), &run, "rewritten without metadata");
}

#[test]
fn hidden_and_marker_files_are_ignored_and_an_orphan_checks_file_is_skipped() {
    let (dir, _, _) = two_nights();
    std::fs::write(dir.path().join("runs/_SUCCESS"), b"").unwrap();
    std::fs::write(dir.path().join("runs/.000003-x.parquet.123-0.tmp"), b"half").unwrap();
    std::fs::write(dir.path().join("runs/.part-0.parquet.crc"), b"crc").unwrap();
    // A run that died after its checks file: number 3 is taken, the run is not there.
    std::fs::copy(
        dir.path().join("checks/000002-20261102T000000Z.parquet"),
        dir.path().join("checks/000003-20261103T000000Z.parquet"),
    )
    .unwrap();
    let mut h = History::open(dir.path()).unwrap();
    assert_eq!(h.all_runs().len(), 2);
    let run = append(&mut h, 3, &[]);
    assert_eq!(run.run_id, "000004-20261103T000000Z");
    assert_eq!(seq_for(&h, 4).len(), 3);
}

#[test]
fn concurrent_appends_each_get_their_own_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let threads: Vec<_> = (1..=8)
        .map(|day| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut h = History::open(&path).unwrap();
                append(
                    &mut h,
                    day,
                    &[check("kvp", f64::from(day) / 100.0, Severity::Pass)],
                )
                .seq
            })
        })
        .collect();
    let mut seqs: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=8).collect::<Vec<_>>());
    let h = History::open(&path).unwrap();
    assert_eq!(seq_for(&h, 9).trend(&key("kvp")).len(), 8);
}

#[test]
fn nothing_but_the_check_fields_reaches_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    let mut c = check("manufacturer_model_name", 0.4, Severity::Alert);
    // Text a check may carry for the report, planted with identifiers and a name.
    c.summary = "new: DOE^JANE 1.2.840.113619.2.55.3.604688119".into();
    c.action = "call MRN 0012345, born 19700101, accession ACC998877".into();
    c.extra.insert("psi", 0.7);
    append(&mut h, 1, &[c]);
    for sub in [RUNS, CHECKS] {
        let (_, batches) =
            read_all(&dir.path().join(sub).join("000001-20261101T000000Z.parquet")).unwrap();
        for b in &batches {
            for (field, col) in b.schema().fields().iter().zip(b.columns()) {
                let Some(s) = col.as_string_opt::<i32>() else {
                    continue;
                };
                for v in s.iter().flatten() {
                    for planted in ["DOE", "JANE", "1.2.840", "0012345", "19700101", "ACC998877"] {
                        assert!(!v.contains(planted), "{sub}.{}: {v}", field.name());
                    }
                }
            }
        }
    }
}

#[test]
fn the_same_runs_give_byte_identical_files() {
    let write = || {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open(dir.path()).unwrap();
        append(
            &mut h,
            1,
            &[
                check("kvp", 0.3, Severity::Alert),
                check("rows", 0.0, Severity::Pass),
            ],
        );
        let read = |p: &str| std::fs::read(dir.path().join(p)).unwrap();
        (
            read("runs/000001-20261101T000000Z.parquet"),
            read("checks/000001-20261101T000000Z.parquet"),
        )
    };
    assert_eq!(write(), write());
}

#[test]
fn pyarrow_reads_each_folder_as_one_dataset_when_installed() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import pyarrow.dataset"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: python3 with pyarrow is not installed");
        return;
    }
    let (dir, _, _) = two_nights();
    let script = r#"
import sys, pyarrow.dataset as ds
d = sys.argv[1]
runs = ds.dataset(d + "/runs", format="parquet").to_table()
checks = ds.dataset(d + "/checks", format="parquet").to_table()
print(runs.num_rows, checks.num_rows, sorted(set(checks.column("run_id").to_pylist())) == sorted(runs.column("run_id").to_pylist()))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "2 2 True");
}

/// The query docs/history.md gives: live runs joined with their checks.
const DUCKDB_QUERY: &str = "
SELECT r.window_start, c.subject, c.severity
FROM read_parquet('DIR/checks/*.parquet') c
JOIN read_parquet('DIR/runs/*.parquet') r USING (run_id)
WHERE r.run_id NOT IN (
  SELECT supersedes FROM read_parquet('DIR/runs/*.parquet') WHERE supersedes IS NOT NULL)
ORDER BY r.window_start, c.subject";

#[test]
fn duckdb_reads_the_documented_query_when_installed() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import duckdb, pandas"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: python3 with duckdb and pandas is not installed");
        return;
    }
    let (dir, _, _) = two_nights();
    let mut h = History::open(dir.path()).unwrap();
    append(&mut h, 2, &[check("rows", 0.0, Severity::Pass)]); // supersedes night 2
    let query = DUCKDB_QUERY.replace("DIR", dir.path().to_str().unwrap());
    let script = r#"
import sys, duckdb, pandas as pd
rows = duckdb.sql(sys.argv[1]).fetchall()
print([(str(t.date()), s, v) for t, s, v in rows])
print(len(pd.read_parquet(sys.argv[2] + "/runs")), len(pd.read_parquet(sys.argv[2] + "/checks")))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, &query, dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "[('2026-11-01', 'kvp', 'alert'), ('2026-11-02', 'rows', 'pass')]\n3 3"
    );
}

fn change_row(id: &str, headline: &str) -> ChangeRow {
    ChangeRow {
        change_id: id.into(),
        headline: headline.into(),
        category: "acquisition".into(),
        severity: Severity::Alert,
        first_seen: Some("2026-11-01T00:00:00Z".into()),
        features: "kvp, slice_thickness".into(),
        findings: vec![
            "feature-drift/kvp@manufacturer = GE".into(),
            "feature-drift/slice_thickness".into(),
        ],
        lead: Some(key("kvp")),
    }
}

#[test]
fn a_runs_changes_read_back_and_an_edit_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    // A run recorded before changes were kept has no changes file.
    append(&mut h, 1, &[check("kvp", 0.0, Severity::Pass)]);
    std::fs::remove_file(dir.path().join("changes/000001-20261101T000000Z.parquet")).unwrap();
    let night = NightRecord {
        report_html: Some("../audit/2026-11-02/report.html".into()),
        changes: vec![change_row("C1", "kvp moved"), change_row("C2", "a second")],
    };
    let run = new_run(2, &"b".repeat(64));
    let reservation = h.reserve(&run).unwrap();
    let rows = vec![CheckRow::from(&check("kvp", 0.3, Severity::Alert))];
    h.commit(reservation, &run, &rows, &night).unwrap();

    let nights = History::open(dir.path()).unwrap().nights().unwrap();
    assert_eq!(nights.len(), 2);
    assert_eq!(nights[0].record, None, "the older run");
    assert_eq!(nights[1].record.as_ref(), Some(&night));
    assert_eq!(nights[1].checks[&key("kvp")].effect, Some(0.3));

    // An edit that keeps the digest is refused by the overview's reader.
    let path = dir.path().join("changes/000002-20261102T000000Z.parquet");
    rewrite_column(&path, "headline", |n| {
        Arc::new(arrow_array::StringArray::from(vec!["nothing happened"; n]))
    });
    match History::open(dir.path()).unwrap().nights() {
        Err(Error::ReadHistory { path: p, message }) => {
            assert_eq!(p, path);
            assert!(message.contains("digest"), "{message}");
        }
        other => panic!("accepted an edited changes file: {other:?}"),
    }
}

#[test]
fn the_overview_page_is_written_atomically_from_every_night() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path()).unwrap();
    append(&mut h, 1, &[check("kvp", 0.3, Severity::Alert)]);
    append(&mut h, 2, &[check("kvp", 0.3, Severity::Alert)]);
    let path = h
        .write_overview(|nights| format!("{} nights", nights.len()))
        .unwrap();
    assert_eq!(path, dir.path().join(INDEX));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "2 nights");
    // The page is not a history file: opening the history ignores it.
    assert_eq!(History::open(dir.path()).unwrap().live_runs().len(), 2);
}

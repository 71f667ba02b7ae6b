//! `postmarket scan`: header values against an independent reader (pydicom, committed as
//! testdata/dicom/expected.json), the bad-file corpus, exit codes.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::table_read::rows;
use crate::workdir::{testdata, Workdir};

const EXTRA_CONFIG: &str =
    "extra_tags:\n  - {name: exposure_time, tag: '0018,1150', kind: numeric}\n";

fn expected() -> Value {
    let text = std::fs::read_to_string(testdata("dicom/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn file_key(source_path: &str) -> String {
    let path = std::path::Path::new(source_path);
    let dir = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    format!("{dir}/{}", path.file_name().unwrap().to_string_lossy())
}

fn assert_same(file: &str, column: &str, got: &Value, want: &Value) {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().unwrap(), w.as_f64().unwrap());
            assert!(
                (g - w).abs() <= 1e-9 * w.abs().max(1.0),
                "{file} {column}: got {g}, pydicom read {w}"
            );
        }
        _ => assert_eq!(got, want, "{file} {column}"),
    }
}

#[test]
fn header_values_match_pydicom_for_every_transfer_syntax() {
    let wd = Workdir::new();
    wd.write("postmarket.yaml", EXTRA_CONFIG);
    let good = testdata("dicom/good");
    wd.run_expect(&["scan", good.to_str().unwrap(), "-o", "h.parquet"], 0);
    let expected = expected();
    let files = expected["files"].as_object().unwrap();
    let got: BTreeMap<String, BTreeMap<String, Value>> = rows(&wd.path("h.parquet"))
        .into_iter()
        .map(|row| (file_key(row["source_path"].as_str().unwrap()), row))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>(),
        "every good file is read, and only those"
    );
    for (file, want) in files {
        let row = &got[file];
        for (column, want_value) in want.as_object().unwrap() {
            if column == "extra" {
                assert_same(
                    file,
                    "exposure_time",
                    &row["exposure_time"],
                    &want_value["exposure_time"],
                );
                continue;
            }
            assert_same(file, column, &row[column], want_value);
        }
    }
}

#[test]
fn every_bad_file_is_rejected_with_its_reason_and_the_run_goes_on() {
    let wd = Workdir::new();
    let expected = expected();
    let rejects = expected["rejects"].as_object().unwrap();
    // Good and bad together: the bad ones must not stop the good ones.
    let root = testdata("dicom");
    let stderr = wd.run_expect(
        &[
            "scan",
            root.to_str().unwrap(),
            "-o",
            "h.parquet",
            "--rejects",
            "r.parquet",
        ],
        0,
    );
    assert!(stderr.contains("rejected"), "{stderr}");
    let got: BTreeMap<String, String> = rows(&wd.path("r.parquet"))
        .into_iter()
        .map(|r| {
            (
                file_key(r["source_path"].as_str().unwrap()),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let good = expected["files"].as_object().unwrap().len();
    let noted = expected["notes"].as_object().unwrap();
    let got: BTreeMap<String, String> = got
        .into_iter()
        .filter(|(file, _)| !noted.contains_key(file))
        .collect();
    let non_dicom_in_tree = got.len() - rejects.len();
    assert_eq!(rows(&wd.path("h.parquet")).len(), good);
    for (file, want) in rejects {
        let kind = got
            .get(file)
            .unwrap_or_else(|| panic!("{file} was not rejected"));
        if want != "any" {
            assert_eq!(kind, want.as_str().unwrap(), "{file}");
        }
    }
    // README.md, expected.json and the canary list sit in the tree too: not DICOM.
    assert_eq!(non_dicom_in_tree, 3, "{got:?}");
}

#[test]
fn strict_makes_a_rejected_file_fatal() {
    let wd = Workdir::new();
    let bad = testdata("dicom/bad/truncated.dcm");
    let good = testdata("dicom/good/ct_implicit_le.dcm");
    let stderr = wd.run_expect(
        &[
            "scan",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
            "-o",
            "h.parquet",
            "--strict",
        ],
        3,
    );
    assert!(stderr.contains("truncated.dcm"), "{stderr}");
}

#[test]
fn only_unreadable_files_is_an_input_error() {
    let wd = Workdir::new();
    let bad = testdata("dicom/bad");
    let stderr = wd.run_expect(&["scan", bad.to_str().unwrap(), "-o", "h.parquet"], 3);
    assert!(stderr.contains("none of the 8 files"), "{stderr}");
}

#[test]
fn a_missing_input_path_is_named() {
    let wd = Workdir::new();
    let stderr = wd.run_expect(&["scan", "no/such/folder", "-o", "h.parquet"], 3);
    assert!(stderr.contains("no/such/folder"), "{stderr}");
}

#[test]
fn synthetic_series_scan_to_one_row_per_file_with_the_written_values() {
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth", "-o", "s", "--cases", "20", "--slices", "2", "--seed", "3",
        ],
        0,
    );
    wd.run_expect(
        &["scan", "s/baseline/dicom", "-o", "h.parquet", "--jobs", "2"],
        0,
    );
    let rows = rows(&wd.path("h.parquet"));
    assert_eq!(rows.len(), 40);
    // Sorted walk order: case00001/slice001 first.
    assert!(rows[0]["source_path"]
        .as_str()
        .unwrap()
        .ends_with("case00001/slice001.dcm"));
    for row in &rows {
        assert_eq!(row["transfer_syntax_uid"], "1.2.840.10008.1.2.1");
        assert!(row["patient_age_years"].as_f64().unwrap() >= 18.0);
        assert_eq!(row["rows"], 16);
    }
}

#[test]
fn undecodable_text_is_null_with_a_note_and_the_row_is_kept() {
    let wd = Workdir::new();
    let file = testdata("dicom/good/ct_charset_undecodable.dcm");
    let stderr = wd.run_expect(
        &[
            "scan",
            file.to_str().unwrap(),
            "-o",
            "h.parquet",
            "--rejects",
            "r.parquet",
            "--strict",
        ],
        0,
    );
    assert!(
        stderr.contains("values nulled ┆ 2 (undecodable-text 2)"),
        "{stderr}"
    );
    let rows = rows(&wd.path("h.parquet"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["manufacturer"], Value::Null);
    assert_eq!(rows[0]["station_name"], Value::Null);
    assert_eq!(rows[0]["manufacturer_model_name"], "Model X");
    let expected = expected();
    let want = &expected["notes"]["good/ct_charset_undecodable.dcm"];
    let notes = rows_of_kind(&wd.path("r.parquet"), "undecodable-text");
    assert_eq!(notes.len(), want.as_object().unwrap().len());
    for (tag, note) in [("(0008,0070)", &notes[0]), ("(0008,1010)", &notes[1])] {
        assert!(note.contains(tag), "{note}");
        // Neither the bytes nor an escape sequence is quoted.
        assert!(
            !note.contains('\u{1b}') && !note.contains("HEALTH"),
            "{note}"
        );
    }
}

fn rows_of_kind(path: &std::path::Path, kind: &str) -> Vec<String> {
    rows(path)
        .into_iter()
        .filter(|r| r["kind"] == kind)
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn skipped_files_are_counted_by_rule() {
    let wd = Workdir::new();
    let expected = expected();
    let dir = testdata("dicom/skipped");
    // A DICOMDIR by name, one by its Media Storage SOP Class, and a hidden file: nothing
    // to read, which is an input error, but each is counted under its rule.
    let stderr = wd.run_expect(&["scan", dir.to_str().unwrap(), "-o", "h.parquet"], 3);
    let skipped = &expected["skipped"];
    let want = format!(
        "skipped       ┆ 3 (DICOMDIR {}, hidden {})",
        skipped["DICOMDIR"], skipped["hidden"]
    );
    assert!(stderr.contains(&want), "{stderr}");
    assert!(stderr.contains("rejected      ┆ 0"), "{stderr}");
}

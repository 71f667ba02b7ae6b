//! `postmarket scan --dicomweb`: against a real Orthanc (see `orthanc.rs`) the rows equal
//! the file scan of the same files; paging, credentials, thin metadata, `--state`, PHI and
//! secrets; and against a tiny fake server in a thread, retries after 503s.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::orthanc::{self, files_under, PASSWORD, USER};
use crate::table_read::{all_text, rows};
use crate::workdir::{testdata, Workdir};

const PASSWORD_ENV: &str = "POSTMARKET_DICOMWEB_PASSWORD";

/// Runs `postmarket args` with the right password in the environment; (code, stderr).
fn run_with(wd: &Workdir, args: &[&str], password: &str) -> (i32, String) {
    let out = wd
        .command(args)
        .env(PASSWORD_ENV, password)
        .env_remove("POSTMARKET_DICOMWEB_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stdout.contains(PASSWORD) && !stderr.contains(PASSWORD));
    (out.status.code().unwrap(), format!("{stdout}{stderr}"))
}

fn web_scan(wd: &Workdir, url: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["scan", "--dicomweb", url, "--dicomweb-user", USER];
    args.extend(extra);
    run_with(wd, &args, PASSWORD)
}

fn by_sop(path: &std::path::Path) -> BTreeMap<String, BTreeMap<String, Value>> {
    rows(path)
        .into_iter()
        .map(|r| (r["sop_instance_uid"].as_str().unwrap().to_string(), r))
        .collect()
}

fn canaries() -> Vec<String> {
    let text = std::fs::read_to_string(testdata("dicom/phi_canaries.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn rows_equal_the_file_scan_of_the_same_files_and_carry_no_phi() {
    let Some(server) = orthanc::start("Full") else {
        return;
    };
    let wd = Workdir::new();
    wd.write(
        "postmarket.yaml",
        "extra_tags:\n  - {name: exposure_time, tag: '0018,1150', kind: numeric}\n",
    );
    let accepted = server.upload_all(&files_under(&testdata("dicom/good")));
    assert!(accepted.len() >= 10, "Orthanc took {accepted:?}");
    let mut file_args = vec!["scan".to_string(), "-o".into(), "files.parquet".into()];
    file_args.extend(accepted.iter().map(|p| p.display().to_string()));
    let file_args: Vec<&str> = file_args.iter().map(String::as_str).collect();
    wd.run_expect(&file_args, 0);
    let (code, log) = web_scan(
        &wd,
        &server.url(),
        &["-o", "web.parquet", "--rejects", "rejects.parquet"],
    );
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("Transfer Syntax UID"), "{log}");
    assert!(!log.contains("without instance-level"), "{log}");
    let files = by_sop(&wd.path("files.parquet"));
    let web = by_sop(&wd.path("web.parquet"));
    assert_eq!(
        web.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>()
    );
    let mut differ = Vec::new();
    for (sop, want) in &files {
        let got = &web[sop];
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (column, value) in want {
            match column.as_str() {
                // Documented: the series' resource path, and null (Orthanc's metadata
                // has no (0002,0010)).
                "source_path" => {
                    let path = got[column].as_str().unwrap();
                    let series = got["series_instance_uid"].as_str().unwrap();
                    assert!(path.starts_with("/studies/"), "{path}");
                    assert!(path.ends_with(&format!("/series/{series}")), "{path}");
                }
                "transfer_syntax_uid" => assert_eq!(got[column], Value::Null),
                _ if &got[column] != value => {
                    let file = want["source_path"].as_str().unwrap();
                    let name = file.rsplit('/').next().unwrap();
                    differ.push(format!("{name} {column}: {} vs {value}", got[column]));
                }
                _ => {}
            }
        }
    }
    // What Orthanc itself changes on storing (documented in the README): it drops UN
    // values it cannot type (Rows, Columns) and strips bytes that are not valid in the
    // declared character set (the file scan nulls such text with a note).
    let server_side = [
        "ct_charset_undecodable.dcm manufacturer: \"GE  HEALTH\" vs null",
        "ct_un_vr.dcm columns: null vs 6",
        "ct_un_vr.dcm rows: null vs 8",
        "ct_un_vr.dcm station_name: \"RNTGEN 2\" vs \"R\u{d6}NTGEN 2\"",
    ];
    assert_eq!(differ, server_side);
    let mut text = all_text(&wd.path("web.parquet"));
    text.push_str(&all_text(&wd.path("rejects.parquet")));
    text.push_str(&log);
    for canary in canaries() {
        assert!(!text.contains(&canary), "PHI {canary} in the output");
    }
    assert!(!text.contains(PASSWORD));
}

#[test]
fn small_pages_give_the_same_rows() {
    let Some(server) = orthanc::start("Full") else {
        return;
    };
    let wd = Workdir::new();
    server.upload_all(&files_under(&testdata("dicom/good")));
    let (code, log) = web_scan(&wd, &server.url(), &["-o", "all.parquet"]);
    assert_eq!(code, 0, "{log}");
    let (code, log) = web_scan(
        &wd,
        &server.url(),
        &["-o", "paged.parquet", "--page-size", "2", "--jobs", "1"],
    );
    assert_eq!(code, 0, "{log}");
    let all = by_sop(&wd.path("all.parquet"));
    assert!(all.len() >= 10);
    assert_eq!(by_sop(&wd.path("paged.parquet")), all);
}

#[test]
fn wrong_password_exits_3_without_printing_it() {
    let Some(server) = orthanc::start("Full") else {
        return;
    };
    let wd = Workdir::new();
    let wrong = "pw-WRONG-91xk";
    let args = [
        "scan",
        "--dicomweb",
        &server.url(),
        "--dicomweb-user",
        USER,
        "-o",
        "h.parquet",
    ];
    let (code, log) = run_with(&wd, &args, wrong);
    assert_eq!(code, 3, "{log}");
    assert!(log.contains("refused the credentials"), "{log}");
    assert!(!log.contains(wrong));
    assert!(!wd.path("h.parquet").exists());
}

#[test]
fn main_dicom_tags_mode_warns_about_thin_metadata() {
    let Some(server) = orthanc::start("MainDicomTags") else {
        return;
    };
    let wd = Workdir::new();
    server.upload_all(&files_under(&testdata("dicom/good")));
    let (code, log) = web_scan(&wd, &server.url(), &["-o", "h.parquet"]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("without instance-level attributes"), "{log}");
    assert!(
        log.contains("SeriesMetadata") && log.contains("\"Full\""),
        "{log}"
    );
}

#[test]
fn state_file_skips_series_already_fetched() {
    let Some(server) = orthanc::start("Full") else {
        return;
    };
    let wd = Workdir::new();
    let files = files_under(&testdata("dicom/good"));
    let (first, second) = files.split_at(files.len() / 2);
    let first = server.upload_all(first);
    let state = ["--state", "state.json"];
    let (code, log) = web_scan(
        &wd,
        &server.url(),
        &[&["-o", "1.parquet"][..], &state].concat(),
    );
    assert_eq!(code, 0, "{log}");
    let one = by_sop(&wd.path("1.parquet"));
    assert_eq!(one.len(), first.len());
    let second = server.upload_all(second);
    let (code, log) = web_scan(
        &wd,
        &server.url(),
        &[&["-o", "2.parquet"][..], &state].concat(),
    );
    assert_eq!(code, 0, "{log}");
    let two = by_sop(&wd.path("2.parquet"));
    assert_eq!(two.len(), second.len(), "only the new series: {log}");
    assert!(two.keys().all(|k| !one.contains_key(k)));
    let (code, log) = web_scan(
        &wd,
        &server.url(),
        &[&["-o", "3.parquet"][..], &state].concat(),
    );
    assert_eq!(code, 0, "{log}");
    assert!(rows(&wd.path("3.parquet")).is_empty());
    assert!(log.contains("already fetched"), "{log}");
    let saved = std::fs::read_to_string(wd.path("state.json")).unwrap();
    assert!(!saved.contains(PASSWORD));
}

#[test]
fn credentials_over_plain_http_go_to_loopback_only_and_never_show_in_help() {
    let wd = Workdir::new();
    let args = [
        "scan",
        "--dicomweb",
        "http://pacs.example.org/dicom-web",
        "--dicomweb-user",
        USER,
        "-o",
        "h.parquet",
    ];
    let (code, log) = run_with(&wd, &args, PASSWORD);
    assert_eq!(code, 2, "{log}");
    assert!(
        log.contains("refusing to send credentials over plain http"),
        "{log}"
    );
    let (code, help) = run_with(&wd, &["scan", "--help"], PASSWORD);
    assert_eq!(code, 0);
    assert!(help.contains("POSTMARKET_DICOMWEB_PASSWORD") && help.contains("--dicomweb"));
    let with_user = [
        "scan",
        "--dicomweb",
        "http://u:p@127.0.0.1/x",
        "-o",
        "h.parquet",
    ];
    assert_eq!(run_with(&wd, &with_user, PASSWORD).0, 2);
}

#[test]
fn audit_takes_dicomweb_in_place_of_dicom() {
    let Some(server) = orthanc::start("Full") else {
        return;
    };
    let wd = Workdir::new();
    let synth = [
        "synth",
        "-q",
        "--scenario",
        "protocol-change",
        "--cases",
        "80",
    ];
    wd.run_expect(&[&synth[..], &["--slices", "2", "-o", "s"]].concat(), 0);
    wd.run_expect(&["scan", "-q", "s/baseline/dicom", "-o", "bh.parquet"], 0);
    wd.run_expect(
        &[
            "logs",
            "-q",
            "s/baseline/inferences.jsonl",
            "-o",
            "bi.parquet",
        ],
        0,
    );
    let baseline = [
        "baseline",
        "--headers",
        "bh.parquet",
        "--inferences",
        "bi.parquet",
    ];
    wd.run_expect(&[&baseline[..], &["-o", "snap"]].concat(), 0);
    let served = files_under(&wd.path("s/serving/dicom"));
    assert_eq!(server.upload_all(&served).len(), served.len());
    let common = [
        "audit",
        "--baseline",
        "snap",
        "--logs",
        "s/serving/inferences.jsonl",
    ];
    let by_file = wd.run(&[&common[..], &["--dicom", "s/serving/dicom", "-o", "a"]].concat());
    let url = server.url();
    let web = [
        &common[..],
        &["--dicomweb", &url, "--dicomweb-user", USER, "-o", "b"],
    ]
    .concat();
    let (code, log) = run_with(&wd, &web, PASSWORD);
    assert_eq!(Some(code), by_file.status.code(), "{log}");
    let report = |dir: &str| -> Value {
        let text = std::fs::read_to_string(wd.path(&format!("{dir}/report.json"))).unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let (a, b) = (report("a"), report("b"));
    assert_eq!(a["status"], b["status"]);
    // The same findings (what, where, how severe; the extra check shifts q-values a
    // little), except that transfer_syntax_uid is null over DICOMweb (Orthanc's metadata
    // has no (0002,0010)) against a baseline scanned from files.
    let findings = |r: &Value, syntax: bool| -> Vec<String> {
        let mut all: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let keys = ["kind", "subject", "subgroup", "severity"];
                keys.map(|k| f[k].to_string()).join(" ")
            })
            .filter(|f| f.contains("transfer_syntax_uid") == syntax)
            .collect();
        all.sort();
        all
    };
    assert_eq!(findings(&a, false), findings(&b, false));
    assert!(findings(&a, true).is_empty());
    assert!(!findings(&b, true).is_empty());
    assert!(log.contains("drift.features"), "{log}");
    assert_eq!(
        rows(&wd.path("b/tables/headers.parquet")).len(),
        served.len()
    );
}

#[test]
fn modality_and_study_date_filters_reach_the_server() {
    let Some(server) = orthanc::start("Full") else {
        return;
    };
    let wd = Workdir::new();
    server.upload_all(&files_under(&testdata("dicom/good")));
    let (code, log) = web_scan(&wd, &server.url(), &["-o", "all.parquet"]);
    assert_eq!(code, 0, "{log}");
    let all = rows(&wd.path("all.parquet"));
    let (code, log) = web_scan(
        &wd,
        &server.url(),
        &["--modality", "mr", "-o", "mr.parquet"],
    );
    assert_eq!(code, 0, "{log}");
    let mr = rows(&wd.path("mr.parquet"));
    assert_eq!(
        mr.len(),
        all.iter().filter(|r| r["modality"] == "MR").count()
    );
    assert!(!mr.is_empty() && mr.iter().all(|r| r["modality"] == "MR"));
    // One study date of the corpus (read back as YYYY-MM-DD).
    let day = all
        .iter()
        .find_map(|r| r["study_date"].as_str())
        .unwrap()
        .to_string();
    let date = day.replace('-', "");
    let (code, log) = web_scan(
        &wd,
        &server.url(),
        &["--study-date", &date, "-o", "d.parquet"],
    );
    assert_eq!(code, 0, "{log}");
    let on_day = rows(&wd.path("d.parquet"));
    let want = all.iter().filter(|r| r["study_date"] == day).count();
    assert_eq!(on_day.len(), want);
    assert!(on_day.iter().all(|r| r["study_date"] == day));
}

//! `postmarket scan --dicomweb`: against a real Orthanc (see `orthanc.rs`) the rows equal
//! the file scan of the same files; paging, credentials, thin metadata, `--state`, PHI and
//! secrets; and against a tiny fake server in a thread, retries after 503s.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use serde_json::Value;

use crate::fake_dicomweb::{fake_server, flaky_server, one_instance, query, study_parts, uid_list};
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
fn retries_after_503_then_succeeds() {
    let (url, seen) = flaky_server(2);
    let wd = Workdir::new();
    let out = wd
        .command(&["scan", "--dicomweb", &url, "-o", "h.parquet"])
        .env_remove(PASSWORD_ENV)
        .env_remove("POSTMARKET_DICOMWEB_TOKEN")
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    let rows = rows(&wd.path("h.parquet"));
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["sop_instance_uid"], "1.2.3.3");
    assert_eq!(row["patient_age_years"], 61.0);
    assert_eq!(row["slice_thickness"], 1.5);
    assert_eq!(row["kvp"], 120.0);
    assert_eq!(row["rows"], 512);
    assert_eq!(row["pixel_spacing_col"], 0.5);
    assert!(!all_text(&wd.path("h.parquet")).contains("CANARY"));
    // 2 refused + studies + series + metadata (+ the empty second study page, if asked).
    assert!(seen.load(Ordering::SeqCst) >= 5);
}

#[test]
fn a_server_that_keeps_failing_is_a_per_run_error_not_a_hang() {
    let (url, _) = flaky_server(usize::MAX);
    let wd = Workdir::new();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--retries",
        "1",
        "-o",
        "h.parquet",
    ];
    let log = wd.run_expect(&args, 3);
    assert!(log.contains("HTTP 503 after 2 attempt(s)"), "{log}");
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
fn a_bearer_token_file_is_read_again_after_a_401() {
    let wd = Workdir::new();
    let token_file = wd.write("token", "tok-OLD-1\n");
    let refreshed = token_file.clone();
    // The first request carries the old token: the "sidecar" writes a new one, and the
    // server says 401; only the new token is accepted.
    let (url, _) = fake_server(move |_, path, auth| match auth {
        Some("Bearer tok-NEW-2") => one_instance(path),
        _ => {
            std::fs::write(&refreshed, "tok-NEW-2\n").unwrap();
            ("401 Unauthorized", String::new())
        }
    });
    let file = token_file.display().to_string();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--token-file",
        &file,
        "-o",
        "h.parquet",
    ];
    let log = wd.run_expect(&args, 0);
    assert!(!log.contains("tok-"), "{log}");
    assert_eq!(rows(&wd.path("h.parquet")).len(), 1);
    // A token that stays wrong is exit 3.
    let (url, _) = fake_server(|_, _, _| ("401 Unauthorized", String::new()));
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--token-file",
        &file,
        "-o",
        "x.parquet",
    ];
    let log = wd.run_expect(&args, 3);
    assert!(
        log.contains("refused the credentials") && !log.contains("tok-"),
        "{log}"
    );
}

#[test]
fn a_server_that_caps_and_ignores_offset_is_split_by_date() {
    // Four studies on four days, three more on the 6th; at most 2 results per query,
    // whatever the offset.
    let mut studies: Vec<(String, u32)> = (1..=4).map(|d| (format!("1.2.9.{d}"), d)).collect();
    studies.extend((5..=7).map(|i| (format!("1.2.9.{i}"), 6)));
    let (url, _) = fake_server(move |_, path, _| {
        if let Some(answer) = study_parts(path) {
            return answer;
        }
        let range = query(path, "StudyDate").unwrap_or("20261101-20261130");
        let (from, to) = range.split_once('-').unwrap();
        let day = |s: &str| s[6..].parse::<u32>().unwrap();
        let hits: Vec<String> = studies
            .iter()
            .filter(|(_, d)| (day(from)..=day(to)).contains(d))
            .map(|(uid, _)| uid.clone())
            .take(2)
            .collect();
        ("200 OK", uid_list("0020000D", &hits))
    });
    let wd = Workdir::new();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--study-date",
        "20261101-20261107",
        "--page-size",
        "2",
        "-o",
        "h.parquet",
    ];
    let log = wd.run_expect(&args, 0);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 6, "{log}");
    assert!(log.contains("2026-11-06 is possibly truncated"), "{log}");
}

#[test]
fn warning_299_keeps_paging_past_a_short_page() {
    // One result per page whatever the limit, with the standard warning while more remain.
    let studies: Vec<String> = (1..=3).map(|i| format!("1.2.8.{i}")).collect();
    let (url, _) = fake_server(move |_, path, _| {
        if let Some(answer) = study_parts(path) {
            return answer;
        }
        let offset: usize = query(path, "offset").unwrap().parse().unwrap();
        let page: Vec<String> = studies.iter().skip(offset).take(1).cloned().collect();
        if offset + 1 < studies.len() {
            (
                "200 OK\r\nWarning: 299 test \"There are additional results that can be requested\"",
                uid_list("0020000D", &page),
            )
        } else {
            ("200 OK", uid_list("0020000D", &page))
        }
    });
    let wd = Workdir::new();
    let log = wd.run_expect(&["scan", "--dicomweb", &url, "-o", "h.parquet"], 0);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 3, "{log}");
}

#[test]
fn a_series_that_fails_is_a_reject_and_the_others_are_read() {
    let (url, _) = fake_server(|_, path, _| {
        if path.contains("1.2.7.2.1/metadata") {
            return ("500 Internal Server Error", String::new());
        }
        if let Some(answer) = study_parts(path) {
            return answer;
        }
        let all = ["1.2.7.1".to_string(), "1.2.7.2".into(), "1.2.7.3".into()];
        let offset = query(path, "offset").unwrap();
        let page: &[String] = if offset == "0" { &all } else { &[] };
        ("200 OK", uid_list("0020000D", page))
    });
    let wd = Workdir::new();
    let args = [
        "scan",
        "--dicomweb",
        &url,
        "--retries",
        "0",
        "-o",
        "h.parquet",
    ];
    let args = [&args[..], &["--rejects", "r.parquet"]].concat();
    let log = wd.run_expect(&args, 0);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 2, "{log}");
    let rejects = rows(&wd.path("r.parquet"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["kind"], "fetch-failed");
    assert_eq!(
        rejects[0]["source_path"],
        "/studies/1.2.7.2/series/1.2.7.2.1"
    );
    let strict = [&args[..], &["--strict"]].concat();
    wd.run_expect(&strict, 3);
}

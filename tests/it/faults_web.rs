//! Faults survived: `scan --dicomweb` against a server on loopback that misbehaves on
//! purpose — answers cut off before their Content-Length, 200s whose JSON ends early,
//! connections closed before any answer, answers slower than `--timeout` — on each kind of
//! request (the study listing, a study's series listing, a series' metadata). Faulted
//! fewer times than `--retries`, every row arrives once and nothing is rejected; faulted
//! on every attempt, a series becomes a `fetch-failed` reject and a listing page stops the
//! scan with exit 3 naming the path (never the host).

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::table_read::rows;
use crate::workdir::Workdir;

/// What a faulted request gets instead of its answer.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// The headers promise more bytes than arrive; then the connection closes.
    CutBody,
    /// A whole 200 whose JSON stops half-way.
    CutJson,
    /// The connection closes before any answer.
    Close,
    /// The answer comes after the client's 1 s timeout.
    Slow,
}

/// Which requests are faulted.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Target {
    StudyPage,
    SeriesList,
    Metadata,
}

const STUDIES: usize = 4;
const INSTANCES: usize = 5;

fn target_of(path: &str) -> Target {
    if path.contains("/metadata") {
        Target::Metadata
    } else if path.contains("/series") {
        Target::SeriesList
    } else {
        Target::StudyPage
    }
}

/// The honest answer: `STUDIES` studies of one series of `INSTANCES` instances each.
fn answer(path: &str) -> String {
    let uid = |tag: &str, v: String| serde_json::json!({tag: {"vr": "UI", "Value": [v]}});
    let offset_zero = !path.contains("offset=") || path.contains("offset=0");
    let study = path
        .split("/studies/")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?']).next())
        .map(str::to_string);
    let items: Vec<serde_json::Value> = match (target_of(path), study) {
        (Target::StudyPage, _) if offset_zero => (1..=STUDIES)
            .map(|i| uid("0020000D", format!("1.2.9.{i}")))
            .collect(),
        (Target::StudyPage, _) => Vec::new(),
        (Target::SeriesList, Some(study)) if offset_zero => {
            vec![uid("0020000E", format!("{study}.1"))]
        }
        (Target::SeriesList, _) => Vec::new(),
        (Target::Metadata, Some(study)) => (1..=INSTANCES)
            .map(|k| {
                serde_json::json!({
                    "0020000D": {"vr": "UI", "Value": [study]},
                    "0020000E": {"vr": "UI", "Value": [format!("{study}.1")]},
                    "00080018": {"vr": "UI", "Value": [format!("{study}.1.{k}")]},
                    "00080060": {"vr": "CS", "Value": ["CT"]},
                    "00180050": {"vr": "DS", "Value": [1.5]},
                    "00280010": {"vr": "US", "Value": [512]}
                })
            })
            .collect(),
        (Target::Metadata, None) => Vec::new(),
    };
    serde_json::Value::Array(items).to_string()
}

/// A server that gives `fault` to the first `times` requests of each path of `target`
/// (and of `only`, when given, only to paths containing it).
fn faulty_server(fault: Fault, target: Target, times: usize, only: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/dicom-web", listener.local_addr().unwrap());
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let seen = seen.clone();
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || serve(stream, fault, target, times, only, &seen));
        }
    });
    url
}

fn serve(
    mut stream: TcpStream,
    fault: Fault,
    target: Target,
    times: usize,
    only: Option<&str>,
    seen: &Mutex<HashMap<String, usize>>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
    let attempt = {
        let mut seen = seen.lock().unwrap();
        let n = seen.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let faulted =
        target_of(&path) == target && only.is_none_or(|o| path.contains(o)) && attempt <= times;
    let body = answer(&path);
    let write = |stream: &mut TcpStream, length: usize, bytes: &[u8]| {
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/dicom+json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
        );
        let _ = stream.write_all(bytes);
        let _ = stream.flush();
    };
    match (faulted, fault) {
        (false, _) => write(&mut stream, body.len(), body.as_bytes()),
        (true, Fault::CutBody) => write(
            &mut stream,
            body.len() + 64,
            &body.as_bytes()[..body.len() / 2],
        ),
        (true, Fault::CutJson) => {
            let cut = &body.as_bytes()[..body.len() / 2];
            write(&mut stream, cut.len(), cut)
        }
        (true, Fault::Close) => {}
        (true, Fault::Slow) => {
            std::thread::sleep(Duration::from_millis(1600));
            write(&mut stream, body.len(), body.as_bytes())
        }
    }
}

fn scan(wd: &Workdir, url: &str, extra: &[&str], code: i32) -> String {
    let mut args = vec![
        "scan",
        "--dicomweb",
        url,
        "--timeout",
        "1",
        "--retries",
        "3",
        "-o",
        "h.parquet",
        "--rejects",
        "r.parquet",
    ];
    args.extend(extra);
    let out = wd
        .command(&args)
        .env_remove("POSTMARKET_DICOMWEB_PASSWORD")
        .env_remove("POSTMARKET_DICOMWEB_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "{args:?}\n{stderr}");
    stderr
}

/// Every row once, nothing rejected, the retries counted.
fn assert_whole(wd: &Workdir, stderr: &str, what: &str) {
    let rows = rows(&wd.path("h.parquet"));
    let uids: BTreeSet<String> = rows
        .iter()
        .map(|r| r["sop_instance_uid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(rows.len(), STUDIES * INSTANCES, "{what}: rows\n{stderr}");
    assert_eq!(uids.len(), rows.len(), "{what}: a row twice");
    assert!(
        rows_of(wd, "r.parquet").is_empty(),
        "{what}: rejects\n{stderr}"
    );
    let retried = stderr
        .split(" requests retried")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    assert!(
        retried > 0,
        "{what}: the summary counts the retries\n{stderr}"
    );
}

fn rows_of(wd: &Workdir, name: &str) -> Vec<std::collections::BTreeMap<String, serde_json::Value>> {
    let path = wd.path(name);
    if path.exists() {
        rows(&path)
    } else {
        Vec::new()
    }
}

#[test]
fn every_fault_on_every_request_is_retried_within_the_retries() {
    for fault in [Fault::CutBody, Fault::CutJson, Fault::Close, Fault::Slow] {
        for target in [Target::StudyPage, Target::SeriesList, Target::Metadata] {
            let url = faulty_server(fault, target, 2, None);
            let wd = Workdir::new();
            let stderr = scan(&wd, &url, &[], 0);
            assert_whole(&wd, &stderr, &format!("{fault:?} on {target:?}"));
        }
    }
}

#[test]
fn a_series_faulted_on_every_attempt_is_a_reject_and_strict_exits_3() {
    for fault in [Fault::CutBody, Fault::CutJson, Fault::Close] {
        let url = faulty_server(fault, Target::Metadata, usize::MAX, Some("1.2.9.2"));
        let wd = Workdir::new();
        let stderr = scan(&wd, &url, &[], 0);
        assert_eq!(
            rows(&wd.path("h.parquet")).len(),
            (STUDIES - 1) * INSTANCES,
            "{fault:?}"
        );
        let rejects = rows_of(&wd, "r.parquet");
        assert_eq!(rejects.len(), 1, "{fault:?}: {stderr}");
        assert_eq!(rejects[0]["kind"], "fetch-failed");
        assert!(
            rejects[0]["reason"]
                .as_str()
                .unwrap()
                .contains("after 4 attempt(s)"),
            "{fault:?}: {}",
            rejects[0]["reason"]
        );
        scan(&wd, &url, &["--strict"], 3);
    }
}

#[test]
fn a_listing_faulted_on_every_attempt_stops_the_scan_naming_the_path_not_the_host() {
    for fault in [Fault::CutBody, Fault::CutJson, Fault::Close] {
        let url = faulty_server(fault, Target::StudyPage, usize::MAX, None);
        let wd = Workdir::new();
        let stderr = scan(&wd, &url, &[], 3);
        assert!(stderr.contains("/studies"), "{fault:?}: {stderr}");
        assert!(stderr.contains("after 4 attempt(s)"), "{fault:?}: {stderr}");
        assert!(!stderr.contains("127.0.0.1"), "{fault:?}: {stderr}");
        assert!(
            !wd.path("h.parquet").exists(),
            "{fault:?}: no partial table"
        );
    }
}

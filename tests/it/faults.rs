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

#[test]
fn a_line_over_the_cap_is_a_too_long_reject_and_the_next_lines_are_read() {
    let wd = Workdir::new();
    let good = |key: &str| {
        format!(
            r#"{{"timestamp":"2026-10-01T00:00:00Z","key":"{key}","model":"m","model_version":"1","score":0.4}}"#
        )
    };
    let long = format!(r#"{{"key":"{}"}}"#, "x".repeat(5000));
    wd.write(
        "log.jsonl",
        format!("{}\n{long}\n{}\n", good("1.2.1"), good("1.2.2")),
    );
    // The same in CSV, and a file whose one line has no line break at all.
    wd.write(
        "log.csv",
        format!(
            "timestamp,key,model,model_version,score\n2026-10-01T00:00:00Z,1.2.3,m,1,0.4\n2026-10-01T00:00:00Z,{},m,1,0.4\n2026-10-01T00:00:00Z,1.2.4,m,1,0.4\n",
            "y".repeat(5000)
        ),
    );
    wd.write("endless.jsonl", format!("{{\"key\":\"{}", "z".repeat(9000)));
    let args = [
        "logs",
        "log.jsonl",
        "log.csv",
        "endless.jsonl",
        "--max-line-kib",
        "4",
        "-o",
        "i.parquet",
        "--rejects",
        "r.parquet",
    ];
    wd.run_expect(&args, 0);
    assert_eq!(rows(&wd.path("i.parquet")).len(), 4);
    let rejects = rows(&wd.path("r.parquet"));
    let got: Vec<(String, String, i64)> = rejects
        .iter()
        .map(|r| {
            (
                r["source_path"].as_str().unwrap().to_string(),
                r["kind"].as_str().unwrap().to_string(),
                r["line"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("log.jsonl".to_string(), "too-long".to_string(), 2),
            ("log.csv".to_string(), "too-long".to_string(), 3),
            ("endless.jsonl".to_string(), "too-long".to_string(), 1),
        ]
    );
    assert!(rejects[0]["reason"]
        .as_str()
        .unwrap()
        .contains("4096-byte limit"));
    wd.run_expect(&[&args[..], &["--strict"]].concat(), 3);
}

/// Every temporary file of ours under `dir`.
fn temps(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().ends_with(".tmp") {
                out.push(path.display().to_string());
            }
        }
    }
    out
}

#[test]
fn a_stopped_run_exits_128_plus_the_signal_and_the_next_run_sweeps_a_killed_ones_debris() {
    let wd = Workdir::new();
    // A baseline of 5,000 cases takes a debug build a minute: it is still running when
    // the signal comes. The run that sweeps is a small one into the same folder.
    wd.run_expect(
        &[
            "synth", "--tables", "-o", "s", "--cases", "5000", "--seed", "3", "-q",
        ],
        0,
    );
    wd.run_expect(
        &[
            "synth", "--tables", "-o", "small", "--cases", "150", "--seed", "3", "-q",
        ],
        0,
    );
    let baseline = [
        "baseline",
        "--headers",
        "s/baseline/headers.parquet",
        "--inferences",
        "s/baseline/inferences.parquet",
        "-o",
        "snap",
        "-q",
    ];
    for (signal, code) in [("-TERM", 143), ("-INT", 130)] {
        let child = wd
            .command(&baseline)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        let sent = std::process::Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{signal}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("stopped by SIG"), "{stderr}");
        assert!(
            temps(&wd.path("")).is_empty(),
            "{signal}: {:?}",
            temps(&wd.path(""))
        );
    }
    // kill -9 leaves what it leaves; the debris of a process that is gone goes with the
    // next run into that folder, whatever the moment of the kill was.
    let mut child = wd.command(&baseline).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let dead = child.id();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host: String = host
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let debris = wd.write(
        &format!("snap/.cases.parquet.{host}-{dead}-0.tmp"),
        "partial",
    );
    let foreign = wd.write(
        &format!("snap/.cases.parquet.another-node-{dead}-0.tmp"),
        "theirs",
    );
    let small: Vec<String> = baseline.iter().map(|a| a.replace("s/", "small/")).collect();
    let small: Vec<&str> = small.iter().map(String::as_str).collect();
    wd.run_expect(&small, 0);
    assert!(!debris.exists());
    assert!(foreign.exists(), "another host's temporary file is theirs");
    std::fs::remove_file(foreign).unwrap();
    assert!(temps(&wd.path("")).is_empty(), "{:?}", temps(&wd.path("")));
}

/// The runs a history holds.
fn recorded_runs(wd: &Workdir, history: &str) -> usize {
    let runs = wd.path(&format!("{history}/runs"));
    if !runs.exists() {
        return 0;
    }
    std::fs::read_dir(runs)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
        .count()
}

#[test]
fn the_history_records_a_run_only_after_every_output_and_an_unwritable_one_stops_it_first() {
    let wd = Workdir::new();
    wd.run_expect(
        &["synth", "-o", "s", "--cases", "40", "--slices", "1", "-q"],
        0,
    );
    wd.run_expect(&["scan", "s/baseline/dicom", "-o", "bh.parquet", "-q"], 0);
    wd.run_expect(
        &[
            "logs",
            "s/baseline/inferences.jsonl",
            "-o",
            "bi.parquet",
            "-q",
        ],
        0,
    );
    wd.run_expect(
        &[
            "baseline",
            "--headers",
            "bh.parquet",
            "--inferences",
            "bi.parquet",
            "-o",
            "snap",
            "-q",
        ],
        0,
    );
    let night = |out: &str, history: &str| -> Vec<String> {
        [
            "audit",
            "--baseline",
            "snap",
            "--dicom",
            "s/serving/dicom",
            "--logs",
            "s/serving/inferences.jsonl",
            "--window",
            "2026-10-01T00:00:00Z..2026-11-01T00:00:00Z",
            "--history",
            history,
            "-o",
            out,
            "--fail-on",
            "never",
            "-q",
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |args: Vec<String>, code: i32| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        wd.run_expect(&args, code)
    };
    run(night("first", "hist"), 0);
    assert_eq!(recorded_runs(&wd, "hist"), 1);
    // An output that cannot be written (report.md is a folder): exit 3, and the history
    // holds exactly what it held.
    std::fs::create_dir_all(wd.path("second/report.md")).unwrap();
    let stderr = run(night("second", "hist"), 3);
    assert!(stderr.contains("report.md"), "{stderr}");
    assert_eq!(
        recorded_runs(&wd, "hist"),
        1,
        "a run that failed on writing is not recorded"
    );
    // The same night again, writable: recorded, superseding nothing it should not.
    run(night("third", "hist"), 0);
    assert_eq!(recorded_runs(&wd, "hist"), 2);
    // A history that cannot be written stops the run before it scans: no OUT/tables/.
    wd.write("blocker", "a file, not a folder");
    let stderr = run(night("fourth", "blocker/hist"), 3);
    assert!(stderr.contains("blocker"), "{stderr}");
    assert!(
        !wd.path("fourth/tables").exists(),
        "nothing written before the check"
    );
    assert!(temps(&wd.path("")).is_empty(), "{:?}", temps(&wd.path("")));
}

#[test]
fn a_parquet_log_value_over_the_cap_makes_its_row_a_too_long_reject() {
    let wd = Workdir::new();
    let line = |key: &str| {
        format!(
            r#"{{"timestamp":"2026-10-01T00:00:00Z","key":"{key}","model":"m","model_version":"1","score":0.4}}"#
        )
    };
    wd.write(
        "log.jsonl",
        format!(
            "{}\n{}\n{}\n",
            line("1.2.1"),
            line(&"9".repeat(6000)),
            line("1.2.2")
        ),
    );
    // Under a 8 KiB cap the long key is read into the Parquet log...
    wd.run_expect(
        &[
            "logs",
            "log.jsonl",
            "--max-line-kib",
            "8",
            "-o",
            "p.parquet",
            "-q",
        ],
        0,
    );
    assert_eq!(rows(&wd.path("p.parquet")).len(), 3);
    // ...which, read under a 4 KiB cap, rejects that row by its number.
    wd.run_expect(
        &[
            "logs",
            "p.parquet",
            "--max-line-kib",
            "4",
            "-o",
            "i.parquet",
            "--rejects",
            "r.parquet",
            "-q",
        ],
        0,
    );
    assert_eq!(rows(&wd.path("i.parquet")).len(), 2);
    let rejects = rows(&wd.path("r.parquet"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["kind"], "too-long");
    assert_eq!(rejects[0]["line"].as_i64(), Some(2));
    assert!(rejects[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("key is 6000 bytes"));
}

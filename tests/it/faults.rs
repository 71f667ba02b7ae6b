//! Faults survived, without a server: a log line over the cap, a stopped run, a history
//! that cannot be written, a Parquet value over the cap (the DICOMweb faults are in
//! `faults_web.rs`).

use std::time::Duration;

use crate::table_read::rows;
use crate::workdir::Workdir;

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

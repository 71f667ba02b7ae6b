//! Outputs under failure: a write that fails (a full disk, here a file-size limit) leaves
//! the previous file or none, and a reader that closes the pipe early is not an error.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::drift::prepare;
use crate::workdir::Workdir;

/// `postmarket args` under a file-size limit of `blocks` × 512 bytes. `trap '' XFSZ`
/// makes the limit an `EFBIG` error on write, as a full disk gives `ENOSPC`, instead of
/// a signal that kills the process before it can clean up.
fn run_limited(wd: &Workdir, blocks: u32, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\""
        ))
        .arg(env!("CARGO_BIN_EXE_postmarket"))
        .args(args)
        .current_dir(wd.path("."))
        .env("NO_COLOR", "1")
        .env_remove("POSTMARKET_KEY")
        .output()
        .expect("run postmarket under sh")
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_failed_writing(out: &Output, file: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("could not write {file}")) && stderr.contains("File too large"),
        "{stderr}"
    );
    stderr
}

#[test]
fn a_failed_report_write_keeps_the_previous_report_whole() {
    let wd = Workdir::new();
    prepare(&wd, "none", "60", "31");
    let args = [
        "drift",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
        "-o",
        "out",
        "--junit",
        "out/junit.xml",
    ];
    wd.run_expect(&args, 0);
    let before: Vec<Vec<u8>> = ["report.json", "report.md", "report.html", "junit.xml"]
        .iter()
        .map(|f| std::fs::read(wd.path(&format!("out/{f}"))).unwrap())
        .collect();
    assert!(
        before[0].len() > 32 * 1024,
        "report.json outgrows the limit"
    );

    let out = run_limited(&wd, 64, &args);
    assert_failed_writing(&out, "out/report.json");
    let after: Vec<Vec<u8>> = ["report.json", "report.md", "report.html", "junit.xml"]
        .iter()
        .map(|f| std::fs::read(wd.path(&format!("out/{f}"))).unwrap())
        .collect();
    assert!(before == after, "the previous reports are untouched");
    assert_eq!(
        entries(&wd.path("out")),
        ["junit.xml", "report.html", "report.json", "report.md"],
        "no temporary file left behind"
    );
}

#[test]
fn a_failed_scan_leaves_no_partial_parquet() {
    let wd = Workdir::new();
    wd.run_expect(&["synth", "-o", "s", "--cases", "40", "--slices", "1"], 0);
    std::fs::create_dir(wd.path("h")).unwrap();
    let out = run_limited(
        &wd,
        4,
        &["scan", "s/serving/dicom", "-o", "h/headers.parquet"],
    );
    assert_failed_writing(&out, "h/headers.parquet");
    assert!(
        entries(&wd.path("h")).is_empty(),
        "{:?}",
        entries(&wd.path("h"))
    );
}

#[test]
fn a_failed_snapshot_write_leaves_the_previous_snapshot_loadable() {
    let wd = Workdir::new();
    prepare(&wd, "none", "60", "32");
    let manifest = std::fs::read(wd.path("snap/manifest.yaml")).unwrap();
    let out = run_limited(
        &wd,
        4,
        &[
            "baseline",
            "--headers",
            "serving/h.parquet",
            "--inferences",
            "serving/i.parquet",
            "-o",
            "snap",
        ],
    );
    assert_failed_writing(&out, "snap/cases.parquet");
    assert_eq!(
        std::fs::read(wd.path("snap/manifest.yaml")).unwrap(),
        manifest
    );
    assert_eq!(
        entries(&wd.path("snap")),
        [
            "calibration.json",
            "cases.parquet",
            "cluster.json",
            "manifest.yaml"
        ]
    );
    wd.run_expect(
        &[
            "drift",
            "--baseline",
            "snap",
            "--headers",
            "serving/h.parquet",
            "-o",
            "out",
        ],
        0,
    );
}

/// A log long enough that `logs` writes a row group while it is still reading it.
fn long_log(wd: &Workdir, rows: usize) {
    let mut text = String::with_capacity(rows * 130);
    for i in 0..rows {
        text.push_str(&format!(
            "{{\"timestamp\":\"2024-03-01T10:00:00Z\",\"key\":\"1.2.3.{i}\",\"model\":\"m\",\"model_version\":\"1\",\"score\":0.{:03}}}\n",
            i % 1000
        ));
    }
    wd.write("long.jsonl", text);
}

#[test]
fn an_output_failure_while_a_log_is_read_is_an_error_of_the_run_not_a_reject() {
    let wd = Workdir::new();
    long_log(&wd, 140_000);
    std::fs::create_dir(wd.path("o")).unwrap();
    let out = run_limited(
        &wd,
        64,
        &[
            "logs",
            "long.jsonl",
            "-o",
            "o/inferences.parquet",
            "--rejects",
            "o/rejects.parquet",
        ],
    );
    let stderr = assert_failed_writing(&out, "o/inferences.parquet");
    assert!(
        !stderr.contains("unreadable") && stderr.contains("Caused by:"),
        "{stderr}"
    );
    assert!(
        entries(&wd.path("o")).is_empty(),
        "{:?}",
        entries(&wd.path("o"))
    );
}

/// Runs `args` with stdout and stderr a pipe whose reading end is already closed, as in
/// `postmarket … 2>&1 | head` once `head` has had enough.
fn run_into_closed_pipe(wd: &Workdir, args: &[&str]) -> Option<i32> {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut command = wd.command(args);
    command
        .stdout(Stdio::from(writer.try_clone().unwrap()))
        .stderr(Stdio::from(writer));
    command.status().expect("run postmarket").code()
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    let wd = Workdir::new();
    prepare(&wd, "none", "60", "33");
    let drift = [
        "drift",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
        "-o",
        "out",
        "--json",
    ];
    assert_eq!(run_into_closed_pipe(&wd, &drift), Some(0));
    assert!(wd.path("out/report.json").is_file());
    let explore = [
        "explore",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
        "--where",
        "sex == \"F\"",
    ];
    assert_eq!(run_into_closed_pipe(&wd, &explore), Some(0));
    let mut json = explore.to_vec();
    json.push("--json");
    assert_eq!(run_into_closed_pipe(&wd, &json), Some(0));
    // An error still exits 3 though nobody reads its message.
    assert_eq!(
        run_into_closed_pipe(
            &wd,
            &[
                "drift",
                "--baseline",
                "nowhere",
                "--headers",
                "x",
                "-o",
                "o"
            ]
        ),
        Some(3)
    );
}

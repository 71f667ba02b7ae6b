//! `postmarket audit`: every analysis on one window, one report and exit code; windows,
//! odd nights, history.

use serde_json::Value;

use crate::workdir::Workdir;

/// `synth --tables` of `scenario` into `s/`, and a baseline snapshot in `snap/`.
fn prepare(wd: &Workdir, scenario: &str, cases: &str) {
    wd.run_expect(
        &[
            "synth",
            "--tables",
            "-o",
            "s",
            "--scenario",
            scenario,
            "--cases",
            cases,
            "--seed",
            "11",
        ],
        0,
    );
    wd.snapshot_of_synth();
}

fn audit(wd: &Workdir, extra: &[&str], code: i32) -> (Value, String) {
    let mut args = vec!["audit", "--baseline", "snap", "-o", "out"];
    args.extend(extra);
    let stderr = wd.run_expect(&args, code);
    let text = std::fs::read_to_string(wd.path("out/report.json")).unwrap();
    (serde_json::from_str(&text).unwrap(), stderr)
}

const NIGHT: &[&str] = &[
    "--headers",
    "s/serving/headers.parquet",
    "--inferences",
    "s/serving/inferences.parquet",
];

fn kinds(report: &Value) -> Vec<String> {
    let mut k: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_string())
        .collect();
    k.sort();
    k.dedup();
    k
}

#[test]
fn one_run_holds_every_analysis_and_one_exit_code() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change,silent-model-swap", "400");
    let mut args = NIGHT.to_vec();
    args.extend(["--junit", "out/junit.xml"]);
    let (report, _) = audit(&wd, &args, 1);
    assert_eq!(report["command"], "audit");
    assert_eq!(report["status"], "alert");
    let ran: Vec<&str> = report["analyses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["ran"] == true)
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(ran, ["drift", "cluster", "performance"]);
    let kinds = kinds(&report);
    assert!(kinds.contains(&"feature-drift".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"model-version".to_string()), "{kinds:?}");
    let junit = std::fs::read_to_string(wd.path("out/junit.xml")).unwrap();
    // One test case per change, then one per check that is in no change.
    let cases = junit.matches("<testcase").count();
    let changes = report["changes"].as_array().unwrap();
    let in_changes: u64 = changes
        .iter()
        .map(|c| c["findings"].as_array().unwrap().len() as u64)
        .sum();
    assert_eq!(
        cases as u64,
        changes.len() as u64 + report["counts"]["checks"].as_u64().unwrap() - in_changes
    );
    assert_eq!(
        junit.matches(r#"classname="change."#).count(),
        changes.len(),
        "{junit}"
    );
    let md = std::fs::read_to_string(wd.path("out/report.md")).unwrap();
    assert!(md.starts_with("# postmarket audit report: ALERT"), "{md}");
    assert!(md.contains("Analyses: drift alert, cluster"), "{md}");
    // --fail-on never: the same findings, exit 0.
    let mut never = NIGHT.to_vec();
    never.extend(["--fail-on", "never"]);
    audit(&wd, &never, 0);
}

#[test]
fn a_window_selects_its_cases_and_an_empty_night_is_reported_not_fatal() {
    let wd = Workdir::new();
    prepare(&wd, "none", "300");
    let mut week = NIGHT.to_vec();
    week.extend(["--window", "2026-10-05T00:00:00Z..2026-10-12T00:00:00Z"]);
    let (report, _) = audit(&wd, &week, 0);
    let w = &report["window"];
    assert_eq!(w["start"], "2026-10-05T00:00:00Z");
    assert_eq!(w["end"], "2026-10-12T00:00:00Z");
    let (kept, outside) = (w["cases"].as_u64().unwrap(), w["outside"].as_u64().unwrap());
    assert_eq!(kept + outside + w["undated"].as_u64().unwrap(), 300);
    assert!(kept > 40 && kept < 120, "a week of four: {kept}");
    assert!(w["first_inference"].as_str().unwrap() >= "2026-10-05");
    assert!(w["last_inference"].as_str().unwrap() < "2026-10-12");

    // A night after the data ends: nothing in it.
    let mut empty = NIGHT.to_vec();
    empty.extend(["--window", "2027-01-01T00:00:00Z..2027-01-02T00:00:00Z"]);
    let (report, _) = audit(&wd, &empty, 0);
    assert_eq!(report["window"]["cases"], 0);
    assert_eq!(report["status"], "warn");
    let f = &report["findings"][0];
    assert_eq!(f["kind"], "missing-input");
    assert_eq!(f["subject"], "cases");
    assert!(report["analyses"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["ran"] == false));
}

#[test]
fn headers_without_inferences_and_inferences_without_headers_each_say_what_is_missing() {
    let wd = Workdir::new();
    prepare(&wd, "none", "200");
    let (report, _) = audit(&wd, &["--headers", "s/serving/headers.parquet"], 0);
    let missing = |report: &Value| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "missing-input")
            .map(|f| f["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(missing(&report), ["inferences"]);
    let performance = report["analyses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "performance")
        .unwrap();
    assert_eq!(performance["ran"], false);
    assert_eq!(performance["note"], "no inferences");

    let (report, _) = audit(&wd, &["--inferences", "s/serving/inferences.parquet"], 0);
    assert_eq!(missing(&report), ["headers"]);
}

#[test]
fn several_parts_read_as_one_table() {
    let wd = Workdir::new();
    prepare(&wd, "none", "200");
    let (whole, _) = audit(&wd, NIGHT, 0);
    // The same inferences as a folder of two Parquet parts (as Spark writes them).
    let inferences = std::fs::read(wd.path("s/serving/inferences.parquet")).unwrap();
    wd.write("parts/part-00000.parquet", &inferences);
    wd.write("parts/_SUCCESS", "");
    let (parts, _) = audit(
        &wd,
        &[
            "--headers",
            "s/serving/headers.parquet",
            "--inferences",
            "parts",
        ],
        0,
    );
    assert_eq!(whole["window"]["cases"], parts["window"]["cases"]);
    assert_eq!(whole["counts"], parts["counts"]);
}

fn night(day: u32) -> String {
    format!(
        "2026-10-{day:02}T00:00:00Z..2026-10-{:02}T00:00:00Z",
        day + 1
    )
}

#[test]
fn the_history_carries_each_finding_across_nights_and_refuses_an_altered_file() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change", "2800");
    let run_night = |day: u32| {
        let window = night(day);
        let mut args = NIGHT.to_vec();
        args.extend([
            "--history",
            "hist",
            "--window",
            &window,
            "--fail-on",
            "never",
        ]);
        audit(&wd, &args, 0).0
    };
    run_night(5);
    run_night(6);
    // The 7th is missing; the 8th has the protocol change still there.
    let report = run_night(8);
    let h = &report["history"];
    assert_eq!(h["earlier_runs"], 2);
    assert_eq!(h["sequence_start"], "2026-10-05T00:00:00Z");
    assert_eq!(h["missing"].as_array().unwrap().len(), 1, "{h}");
    assert!(h["missing"][0].as_str().unwrap().starts_with("2026-10-07"));
    let thickness = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "slice_thickness" && f["subgroup"].is_null())
        .expect("the protocol change is found");
    assert_eq!(thickness["trend"].as_array().unwrap().len(), 2);
    assert_eq!(
        thickness["trend"][0]["window_start"],
        "2026-10-05T00:00:00Z"
    );
    assert!(thickness["first_seen"].as_str().is_some());
    let md = std::fs::read_to_string(wd.path("out/report.md")).unwrap();
    assert!(md.contains("History: night 3 of a sequence"), "{md}");
    assert!(md.contains("No run for: 2026-10-07"), "{md}");

    // A rerun of the 8th supersedes the first run of it; nothing is deleted.
    let rerun = run_night(8);
    assert!(rerun["history"]["supersedes"].as_str().is_some());
    let files = std::fs::read_dir(wd.path("hist/runs")).unwrap().count();
    assert_eq!(files, 4);

    // Another config starts a new sequence, and says so.
    wd.write("other.yaml", "drift:\n  fdr: 0.01\n");
    let window = night(9);
    let mut args = NIGHT.to_vec();
    args.extend([
        "--history",
        "hist",
        "--window",
        &window,
        "--config",
        "other.yaml",
    ]);
    let (report, _) = audit(&wd, &args, 1);
    assert_eq!(report["history"]["earlier_runs"], 0);
    assert!(report["history"]["restarted"]
        .as_str()
        .unwrap()
        .contains("config"));

    // One altered byte in a history file of the sequence: refused, naming the file (exit 3).
    let run = std::fs::read_dir(wd.path("hist/checks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let mut bytes = std::fs::read(&run).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&run, bytes).unwrap();
    let window = night(10);
    let mut args = vec!["audit", "--baseline", "snap", "-o", "out3"];
    args.extend(NIGHT);
    args.extend([
        "--history",
        "hist",
        "--window",
        &window,
        "--config",
        "other.yaml",
    ]);
    let stderr = wd.run_expect(&args, 3);
    let name = run.file_name().unwrap().to_str().unwrap();
    assert!(stderr.contains(name), "{stderr}");
}

#[test]
fn history_needs_a_window() {
    let wd = Workdir::new();
    prepare(&wd, "none", "100");
    let mut args = vec!["audit", "--baseline", "snap", "-o", "out"];
    args.extend(NIGHT);
    args.extend(["--history", "hist"]);
    let stderr = wd.run_expect(&args, 2);
    assert!(
        stderr.contains("--history needs the night's window"),
        "{stderr}"
    );
}

/// The cron line in examples/nightly/postmarket.cron is a valid command line: run as it is
/// (its dates filled in, its paths absent here) it fails on the missing baseline — an input
/// error, exit 3 — not on its arguments (exit 2).
#[test]
fn the_cron_example_is_a_valid_command_line() {
    let cron = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nightly/postmarket.cron"),
    )
    .unwrap();
    let line = cron
        .lines()
        .find(|l| l.contains("postmarket audit"))
        .expect("a cron line");
    let command = &line[line.find("postmarket audit").unwrap() + "postmarket ".len()..];
    let command = command
        .replace("$(date -u +\\%Y\\%m\\%d)", "20261130")
        .replace("$(date -u +\\%F)", "2026-11-30");
    let args: Vec<&str> = command.split_whitespace().collect();
    let wd = Workdir::new();
    let stderr = wd.run_expect(&args, 3);
    assert!(stderr.contains("baselines/edema-net-2.1.0"), "{stderr}");
}

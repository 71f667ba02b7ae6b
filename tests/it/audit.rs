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
    wd.run_expect(
        &[
            "baseline",
            "--headers",
            "s/baseline/headers.parquet",
            "--inferences",
            "s/baseline/inferences.parquet",
            "-o",
            "snap",
        ],
        0,
    );
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
    let cases = junit.matches("<testcase").count();
    assert_eq!(cases as u64, report["counts"]["checks"].as_u64().unwrap());
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

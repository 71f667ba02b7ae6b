//! `postmarket baseline` and `postmarket drift`: real drift found and named, no drift
//! quiet, snapshots verified, reports deterministic.

use serde_json::Value;

use crate::workdir::Workdir;

/// synth → scan → logs for both sides → baseline, in `wd`.
pub fn prepare(wd: &Workdir, scenario: &str, cases: &str, seed: &str) {
    wd.run_expect(
        &[
            "synth",
            "-o",
            "s",
            "--scenario",
            scenario,
            "--cases",
            cases,
            "--slices",
            "1",
            "--seed",
            seed,
        ],
        0,
    );
    for side in ["baseline", "serving"] {
        wd.run_expect(
            &[
                "scan",
                &format!("s/{side}/dicom"),
                "-o",
                &format!("{side}/h.parquet"),
            ],
            0,
        );
        wd.run_expect(
            &[
                "logs",
                &format!("s/{side}/inferences.jsonl"),
                "-o",
                &format!("{side}/i.parquet"),
            ],
            0,
        );
    }
    wd.run_expect(
        &[
            "baseline",
            "--headers",
            "baseline/h.parquet",
            "--inferences",
            "baseline/i.parquet",
            "-o",
            "snap",
        ],
        0,
    );
}

fn drift(wd: &Workdir, extra: &[&str], code: i32) -> Value {
    let mut args = vec![
        "drift",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
        "--inferences",
        "serving/i.parquet",
        "-o",
        "out",
    ];
    args.extend(extra);
    wd.run_expect(&args, code);
    serde_json::from_str(&std::fs::read_to_string(wd.path("out/report.json")).unwrap()).unwrap()
}

/// `drift` on the prepared snapshot and `headers`, expecting exit `code`; its stderr.
fn drift_stderr(wd: &Workdir, headers: &str, code: i32) -> String {
    wd.run_expect(
        &[
            "drift",
            "--baseline",
            "snap",
            "--headers",
            headers,
            "-o",
            "out",
        ],
        code,
    )
}

fn finding<'a>(report: &'a Value, subject: &str, subgroup: Option<&str>) -> Option<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == subject && f["subgroup"].as_str() == subgroup)
}

#[test]
fn protocol_change_and_demographic_shift_are_found_and_named() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change,demographic-shift", "400", "5");
    let report = drift(&wd, &[], 1);
    assert_eq!(report["status"], "alert");
    let thickness = finding(&report, "slice_thickness", None).expect("slice thickness finding");
    assert_eq!(thickness["severity"], "alert");
    assert!(thickness["action"]
        .as_str()
        .unwrap()
        .contains("radiology team"));
    let age = finding(&report, "patient_age_years", None).expect("age finding");
    assert!(age["q_value"].as_f64().unwrap() <= 0.05);
    assert!(
        finding(&report, "patient_sex", None).is_some(),
        "50/50 → 62/38 is a finding"
    );
    // Two injected events, two changes: the protocol's acquisition findings and the older
    // patients' (a third, the model's output, may follow from both).
    let changes = report["changes"].as_array().unwrap();
    let categories: Vec<&str> = changes
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        categories.iter().filter(|c| **c == "acquisition").count(),
        1,
        "{categories:?}"
    );
    assert_eq!(
        categories.iter().filter(|c| **c == "patient mix").count(),
        1,
        "{categories:?}"
    );
    assert!(changes.len() <= 3, "{changes:#?}");
    let acquisition = changes
        .iter()
        .find(|c| c["category"] == "acquisition")
        .unwrap();
    assert!(acquisition["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f == "slice_thickness"));
    let md = std::fs::read_to_string(wd.path("out/report.md")).unwrap();
    for part in [
        "## What changed",
        "## What to do",
        "## Findings",
        "slice_thickness",
    ] {
        assert!(md.contains(part), "report.md lacks {part:?}");
    }
    // The changes come first, one action each, none repeated.
    let to_do = md.split("## What to do").nth(1).unwrap();
    let to_do = to_do.split("\n## ").next().unwrap();
    let actions: Vec<&str> = to_do
        .lines()
        .filter(|l| l.starts_with(char::is_numeric))
        .collect();
    assert_eq!(actions.len(), changes.len(), "{to_do}");
    // A subject found overall is told once in full among the findings; its subgroups share
    // one line.
    let findings = md.split("## Findings").nth(1).unwrap();
    let findings = findings.split("</details>").next().unwrap();
    assert_eq!(
        findings.matches("slice_thickness changed**").count(),
        1,
        "{findings}"
    );
    assert!(
        findings.contains("slice_thickness also changed within"),
        "{findings}"
    );
}

#[test]
fn no_drift_raises_no_alert() {
    let wd = Workdir::new();
    prepare(&wd, "none", "400", "11");
    let report = drift(&wd, &[], 0);
    assert_eq!(report["counts"]["alert"], 0, "{:#}", report["findings"]);
}

#[test]
fn a_new_scanner_model_is_its_own_finding() {
    let wd = Workdir::new();
    prepare(&wd, "scanner-upgrade", "300", "2");
    let report = drift(&wd, &["--fail-on", "warn"], 1);
    let new = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "new-category" && f["subject"] == "manufacturer_model_name")
        .expect("new scanner model finding");
    assert!(new["summary"].as_str().unwrap().contains("Revolution Apex"));
}

#[test]
fn reports_are_byte_identical_with_source_date_epoch() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change", "120", "3");
    wd.assert_reports_reproduce(&[
        "drift",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
    ]);
}

#[test]
fn json_flag_prints_the_report_on_stdout() {
    let wd = Workdir::new();
    prepare(&wd, "none", "60", "4");
    let out = wd.run(&[
        "drift",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
        "-o",
        "out",
        "--json",
        "-q",
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(report["schema_version"], 2);
}

#[test]
fn an_altered_snapshot_is_refused_naming_the_file() {
    let wd = Workdir::new();
    prepare(&wd, "none", "40", "6");
    let path = wd.path("snap/cases.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xFF;
    std::fs::write(&path, bytes).unwrap();
    let stderr = drift_stderr(&wd, "serving/h.parquet", 3);
    assert!(
        stderr.contains("cases.parquet") && stderr.contains("altered"),
        "{stderr}"
    );
    std::fs::remove_file(&path).unwrap();
    let stderr = drift_stderr(&wd, "serving/h.parquet", 3);
    assert!(stderr.contains("missing"), "{stderr}");
}

#[test]
fn a_snapshot_from_a_newer_format_is_refused() {
    let wd = Workdir::new();
    prepare(&wd, "none", "40", "7");
    let manifest = std::fs::read_to_string(wd.path("snap/manifest.yaml")).unwrap();
    std::fs::write(
        wd.path("snap/manifest.yaml"),
        manifest.replace("format_version: 1", "format_version: 9"),
    )
    .unwrap();
    let stderr = drift_stderr(&wd, "serving/h.parquet", 3);
    assert!(stderr.contains("newer"), "{stderr}");
}

#[test]
fn inferences_given_as_headers_is_a_schema_error() {
    let wd = Workdir::new();
    prepare(&wd, "none", "40", "8");
    let stderr = drift_stderr(&wd, "serving/i.parquet", 3);
    assert!(stderr.contains("headers.parquet"), "{stderr}");
}

#[test]
fn a_bad_subgroup_expression_is_a_config_error() {
    let wd = Workdir::new();
    prepare(&wd, "none", "40", "9");
    wd.write(
        "postmarket.yaml",
        "subgroups:\n  - {name: old, where: \"agee >= 65\"}\n",
    );
    let stderr = drift_stderr(&wd, "serving/h.parquet", 2);
    assert!(stderr.contains("agee"), "{stderr}");
}

#[test]
fn a_feature_the_serving_headers_lack_is_absent_and_its_missing_rate_the_finding() {
    let wd = Workdir::new();
    wd.run_expect(&["synth", "-o", "s", "--cases", "40", "--slices", "1"], 0);
    wd.write(
        "extra.yaml",
        "extra_tags:\n  - {name: exposure_time, tag: '0018,1150', kind: numeric}\n",
    );
    for side in ["baseline", "serving"] {
        wd.run_expect(
            &[
                "logs",
                &format!("s/{side}/inferences.jsonl"),
                "-o",
                &format!("{side}/i.parquet"),
            ],
            0,
        );
    }
    wd.run_expect(
        &[
            "--config",
            "extra.yaml",
            "scan",
            "s/baseline/dicom",
            "-o",
            "baseline/h.parquet",
        ],
        0,
    );
    wd.run_expect(&["scan", "s/serving/dicom", "-o", "serving/h.parquet"], 0);
    wd.run_expect(
        &[
            "--config",
            "extra.yaml",
            "baseline",
            "--headers",
            "baseline/h.parquet",
            "--inferences",
            "baseline/i.parquet",
            "-o",
            "snap",
        ],
        0,
    );
    let stderr = drift_stderr(&wd, "serving/h.parquet", 1);
    assert!(stderr.contains("exposure_time"), "{stderr}");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path("out/report.json")).unwrap())
            .unwrap();
    let missing = report["findings"].as_array().unwrap().iter().find(|f| {
        f["subject"] == "exposure_time" && f["kind"] == "missingness" && f["subgroup"].is_null()
    });
    assert_eq!(missing.expect("exposure_time missing")["severity"], "alert");
}

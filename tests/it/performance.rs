//! `postmarket performance`: regressions, concept drift and unapproved model versions.

use serde_json::Value;

use crate::drift::prepare;
use crate::workdir::Workdir;

fn performance(wd: &Workdir, extra: &[&str], code: i32) -> Value {
    let mut args = vec![
        "performance",
        "--baseline",
        "snap",
        "--inferences",
        "serving/i.parquet",
        "-o",
        "out",
    ];
    args.extend(extra);
    wd.run_expect(&args, code);
    serde_json::from_str(&std::fs::read_to_string(wd.path("out/report.json")).unwrap()).unwrap()
}

fn findings<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .collect()
}

#[test]
fn a_silent_model_swap_raises_the_unapproved_version_alert() {
    let wd = Workdir::new();
    prepare(&wd, "silent-model-swap", "300", "21");
    let report = performance(&wd, &[], 1);
    let versions = findings(&report, "model-version");
    assert_eq!(versions.len(), 1, "{:#}", report["findings"]);
    assert_eq!(versions[0]["subject"], "edema-net 2.2.0-rc1");
    assert_eq!(versions[0]["severity"], "alert");
    assert!(versions[0]["summary"]
        .as_str()
        .unwrap()
        .contains("inferences from 2026-10"));
}

#[test]
fn a_revised_label_definition_is_seen_as_concept_drift() {
    let wd = Workdir::new();
    prepare(&wd, "label-redefinition", "1000", "22");
    let report = performance(
        &wd,
        &["--headers", "serving/h.parquet", "--fail-on", "warn"],
        1,
    );
    let concept = findings(&report, "concept-drift");
    let shift = findings(&report, "label-shift");
    assert!(
        !concept.is_empty() || !shift.is_empty(),
        "{:#}",
        report["findings"]
    );
    // Performance is also reported per label definition.
    let per_version = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["subgroup"] == "label_version = edema-v2");
    assert!(per_version);
}

#[test]
fn a_label_map_is_applied_and_reported() {
    let wd = Workdir::new();
    prepare(&wd, "label-redefinition", "200", "23");
    wd.write(
        "postmarket.yaml",
        "performance:\n  label_map:\n    edema-v1: {\"0\": null}\n",
    );
    let report = performance(&wd, &["--fail-on", "never"], 0);
    let method = report["method"].to_string();
    assert!(method.contains("label_map applied"), "{method}");
}

#[test]
fn a_window_without_labels_gets_estimated_performance() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change", "400", "24");
    // The same serving window before any label arrived.
    let unlabelled: String = std::fs::read_to_string(wd.path("s/serving/inferences.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let mut row: serde_json::Map<String, Value> = serde_json::from_str(line).ok()?;
            row.remove("label");
            row.remove("label_version");
            Some(format!("{}\n", Value::Object(row)))
        })
        .collect();
    wd.write("unlabelled.jsonl", &unlabelled);
    wd.run_expect(&["logs", "unlabelled.jsonl", "-o", "u.parquet"], 0);
    wd.run_expect(
        &[
            "performance",
            "--baseline",
            "snap",
            "--inferences",
            "u.parquet",
            "--headers",
            "serving/h.parquet",
            "-o",
            "out",
            "--fail-on",
            "never",
        ],
        0,
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path("out/report.json")).unwrap())
            .unwrap();
    let checks = report["checks"].as_array().unwrap();
    let estimated: Vec<&Value> = checks
        .iter()
        .filter(|c| c["kind"] == "estimated-performance" && c["subgroup"].is_null())
        .collect();
    assert_eq!(estimated.len(), 5, "{estimated:#?}");
    for c in &estimated {
        assert_ne!(c["severity"], "insufficient", "{c:#}");
        let (low, est, high) = (
            c["extra"]["ci_low"].as_f64().unwrap(),
            c["extra"]["estimate"].as_f64().unwrap(),
            c["extra"]["ci_high"].as_f64().unwrap(),
        );
        assert!(low < est && est < high, "{c:#}");
        assert!(
            c["extra"].get("realized").is_none(),
            "no labels, no realized value"
        );
    }
    // Estimates never alert by default, and realized checks wait for labels.
    assert!(checks
        .iter()
        .all(|c| c["kind"] != "estimated-performance" || c["severity"] != "alert"));
    assert!(!checks
        .iter()
        .any(|c| c["kind"] == "performance" && c["subject"] == "sensitivity"));
    let method = report["method"].to_string();
    assert!(method.contains("estimates"), "{method}");
    // The map comes from the snapshot, where it is hashed like every other file.
    let manifest = std::fs::read_to_string(wd.path("snap/manifest.yaml")).unwrap();
    assert!(manifest.contains("name: calibration.json"), "{manifest}");
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path("snap/calibration.json")).unwrap())
            .unwrap();
    assert!(stored["ece_raw"].as_f64().is_some() && stored["map"]["method"].is_string());
}

#[test]
fn no_drift_and_no_swap_raises_no_alert() {
    let wd = Workdir::new();
    prepare(&wd, "none", "400", "25");
    let report = performance(&wd, &["--headers", "serving/h.parquet"], 0);
    assert_eq!(report["counts"]["alert"], 0, "{:#}", report["findings"]);
}

#[test]
fn performance_reports_are_byte_identical_with_source_date_epoch() {
    // The ECE bootstrap, the change-point permutations and the estimates are all seeded.
    let wd = Workdir::new();
    prepare(&wd, "label-redefinition", "300", "26");
    wd.assert_reports_reproduce(&[
        "performance",
        "--baseline",
        "snap",
        "--inferences",
        "serving/i.parquet",
        "--headers",
        "serving/h.parquet",
    ]);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path("a/report.json")).unwrap()).unwrap();
    let change = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "change-point")
        .unwrap();
    assert_eq!(change["test"], "cusum-permutation");
    assert!(change["p_value"].as_f64().unwrap() >= 1.0 / 200.0);
}

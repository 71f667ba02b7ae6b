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
fn no_labels_at_all_is_an_input_error() {
    let wd = Workdir::new();
    prepare(&wd, "none", "60", "24");
    wd.write(
        "unlabelled.jsonl",
        "{\"timestamp\":\"2026-10-05T08:00:00Z\",\"key\":\"1.2.3\",\"model\":\"edema-net\",\"model_version\":\"2.1.0\",\"score\":0.4}\n",
    );
    wd.run_expect(&["logs", "unlabelled.jsonl", "-o", "u.parquet"], 0);
    let stderr = wd.run_expect(
        &[
            "performance",
            "--baseline",
            "snap",
            "--inferences",
            "u.parquet",
            "-o",
            "out",
        ],
        3,
    );
    assert!(stderr.contains("label"), "{stderr}");
}

#[test]
fn no_drift_and_no_swap_raises_no_alert() {
    let wd = Workdir::new();
    prepare(&wd, "none", "400", "25");
    let report = performance(&wd, &["--headers", "serving/h.parquet"], 0);
    assert_eq!(report["counts"]["alert"], 0, "{:#}", report["findings"]);
}

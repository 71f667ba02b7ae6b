//! `postmarket gate`: a candidate worse for one subgroup is stopped and the subgroup named,
//! a model equal to production passes, too few pairs fail closed, inputs that cannot be
//! paired are refused, and the JUnit file is well-formed.

use serde_json::Value;

use crate::workdir::Workdir;

/// `synth --tables --candidate` into `s/` (headers, inferences, candidate_inferences).
fn synth_tables(wd: &Workdir, out: &str, cases: &str, seed: &str) {
    wd.run_expect(
        &[
            "synth",
            "--tables",
            "--candidate",
            "-o",
            out,
            "--cases",
            cases,
            "--slices",
            "1",
            "--seed",
            seed,
        ],
        0,
    );
}

fn gate(wd: &Workdir, reference: &str, candidate: &str, extra: &[&str], code: i32) -> Value {
    let mut args = vec![
        "gate",
        "--reference",
        reference,
        "--candidate",
        candidate,
        "-o",
        "out",
        "--junit",
        "out/junit.xml",
    ];
    args.extend(extra);
    wd.run_expect(&args, code);
    serde_json::from_str(&std::fs::read_to_string(wd.path("out/report.json")).unwrap()).unwrap()
}

fn checks<'a>(report: &'a Value, subgroup: Option<&str>) -> Vec<&'a Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["subgroup"].as_str() == subgroup)
        .collect()
}

/// Each `<testcase …>` element of a JUnit file, up to the next one.
fn testcases(xml: &str) -> Vec<&str> {
    xml.split("<testcase ").skip(1).collect()
}

#[test]
fn a_candidate_worse_for_the_elderly_fails_naming_the_subgroup() {
    let wd = Workdir::new();
    synth_tables(&wd, "s", "3000", "1");
    let report = gate(
        &wd,
        "s/serving/inferences.parquet",
        "s/serving/candidate_inferences.parquet",
        &["--headers", "s/serving/headers.parquet"],
        1,
    );
    assert_eq!(report["command"], "gate");
    assert_eq!(report["status"], "alert");
    for c in checks(&report, None) {
        assert_eq!(c["severity"], "pass", "overall: {}", c["summary"]);
    }
    let elderly = checks(&report, Some("patient_age_years ≥65"));
    let sens = elderly
        .iter()
        .find(|c| c["subject"] == "sensitivity")
        .unwrap();
    assert_eq!(sens["severity"], "alert");
    assert!(sens["extra"]["ci_high"].as_f64().unwrap() < -0.05);
    assert!(sens["action"]
        .as_str()
        .unwrap()
        .starts_with("Do not release: the candidate is worse for patient_age_years ≥65"));

    let xml = std::fs::read_to_string(wd.path("out/junit.xml")).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(xml.matches("<testsuite ").count(), 1);
    assert_eq!(xml.matches("</testsuite>").count(), 1);
    let cases = testcases(&xml);
    // One test case per change, then one per check in no change.
    let changes = report["changes"].as_array().unwrap();
    let in_changes: usize = changes
        .iter()
        .map(|c| c["findings"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        cases.len(),
        changes.len() + report["checks"].as_array().unwrap().len() - in_changes
    );
    let failed: Vec<&&str> = cases.iter().filter(|c| c.contains("<failure")).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(
        failed[0].contains(r#"classname="change."#)
            && failed[0].contains("sensitivity [patient_age_years ≥65]"),
        "{}",
        failed[0]
    );
    assert!(failed[0].contains("difference −0."), "{}", failed[0]);
    assert!(xml.contains(&format!(r#"tests="{}" failures="1""#, cases.len())));
}

#[test]
fn production_compared_with_itself_passes() {
    let wd = Workdir::new();
    synth_tables(&wd, "s", "300", "2");
    let report = gate(
        &wd,
        "s/serving/inferences.parquet",
        "s/serving/inferences.parquet",
        &["--headers", "s/serving/headers.parquet"],
        0,
    );
    assert_eq!(report["counts"]["alert"], 0);
    let xml = std::fs::read_to_string(wd.path("out/junit.xml")).unwrap();
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn too_few_paired_cases_fail_closed_with_the_reason() {
    let wd = Workdir::new();
    synth_tables(&wd, "s", "25", "3");
    let report = gate(
        &wd,
        "s/serving/inferences.parquet",
        "s/serving/candidate_inferences.parquet",
        &[],
        1,
    );
    let count = &checks(&report, None)[0];
    assert_eq!(count["subject"], "paired cases");
    assert_eq!(count["severity"], "alert");
    assert!(count["summary"].as_str().unwrap().contains("too few"));
    assert!(count["action"]
        .as_str()
        .unwrap()
        .contains("Collect more paired labelled cases"));
    let xml = std::fs::read_to_string(wd.path("out/junit.xml")).unwrap();
    assert!(
        xml.contains("paired cases [all]") && xml.contains("too few"),
        "{xml}"
    );
    // Without headers the header subgroups are skipped, and the report says so.
    let method = report["method"].to_string();
    assert!(method.contains("skipped without --headers"), "{method}");
}

#[test]
fn a_candidate_run_on_other_cases_is_refused() {
    let wd = Workdir::new();
    synth_tables(&wd, "a", "40", "4");
    synth_tables(&wd, "b", "40", "5");
    let stderr = wd.run_expect(
        &[
            "gate",
            "--reference",
            "a/serving/inferences.parquet",
            "--candidate",
            "b/serving/candidate_inferences.parquet",
            "-o",
            "out",
        ],
        3,
    );
    assert!(stderr.contains("no case is in both files"), "{stderr}");
}

/// From DICOM and JSONL logs, as a hospital would run it: duplicates counted, the elderly
/// subgroup named, conflicting labels refused.
#[test]
fn logs_with_a_duplicate_key_are_counted_and_conflicting_labels_refused() {
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth",
            "--candidate",
            "-o",
            "s",
            "--cases",
            "400",
            "--slices",
            "1",
        ],
        0,
    );
    wd.run_expect(&["scan", "s/serving/dicom", "-o", "h.parquet"], 0);
    wd.run_expect(
        &["logs", "s/serving/inferences.jsonl", "-o", "r.parquet"],
        0,
    );
    let log = std::fs::read_to_string(wd.path("s/serving/candidate_inferences.jsonl")).unwrap();
    // A re-run of the first case later on: the later one is kept, one duplicate.
    let mut rerun: Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    rerun["timestamp"] = "2027-01-01T00:00:00Z".into();
    wd.write("rerun.jsonl", format!("{rerun}\n"));
    wd.run_expect(
        &[
            "logs",
            "s/serving/candidate_inferences.jsonl",
            "rerun.jsonl",
            "-o",
            "c.parquet",
        ],
        0,
    );
    let report = gate(
        &wd,
        "r.parquet",
        "c.parquet",
        &["--headers", "h.parquet"],
        1,
    );
    let count = &checks(&report, None)[0];
    assert_eq!(count["extra"]["candidate_duplicates"], 1.0);
    assert_eq!(report["join"]["duplicate_inferences"], 1);
    let elderly = checks(&report, Some("patient_age_years ≥65"));
    assert!(
        elderly.iter().any(|c| c["severity"] == "alert"),
        "{elderly:#?}"
    );

    // Flip the label of every labelled line: the files no longer describe the same truth.
    let flipped: String = log
        .lines()
        .map(|line| {
            let mut v: Value = serde_json::from_str(line).unwrap();
            if let Some(label) = v["label"].as_u64() {
                v["label"] = (1 - label).into();
            }
            format!("{v}\n")
        })
        .collect();
    wd.write("flipped.jsonl", flipped);
    wd.run_expect(&["logs", "flipped.jsonl", "-o", "f.parquet"], 0);
    let stderr = wd.run_expect(
        &[
            "gate",
            "--reference",
            "r.parquet",
            "--candidate",
            "f.parquet",
            "-o",
            "out2",
        ],
        3,
    );
    assert!(stderr.contains("different label"), "{stderr}");
}

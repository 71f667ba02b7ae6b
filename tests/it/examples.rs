//! examples/: the annotated config covers every key and loads; the hospital log is read
//! through its column mapping without its PHI; the CI jobs run the release gate script,
//! which stops a worse candidate (exit 1, failures in the JUnit) and passes an equal one.
//! (`examples/drift_two_tables.rs` is built by `cargo test` itself.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use postmarket::config::Config;
use serde_norway::Value;

use crate::table_read::rows;
use crate::workdir::Workdir;

fn example(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(rel)
}

fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(example(rel)).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every key path of the mappings in `value` (not into sequences), e.g. `drift.fdr`.
fn key_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    if let Value::Mapping(map) = value {
        for (key, child) in map {
            let key = key.as_str().expect("string keys");
            let path = if prefix.is_empty() {
                key.to_string()
            } else {
                format!("{prefix}.{key}")
            };
            key_paths(child, &path, out);
            out.insert(path);
        }
    }
}

#[test]
fn the_annotated_config_covers_every_key_and_loads() {
    let path = example("postmarket.yaml");
    let config = Config::load(Some(&path)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.extra_tags.len(), 2);
    assert!(config.drill.max_delay_nights > 0);
    // Every key the config has: the defaults serialised. The sections left out of the
    // canonical text while at their default are made to differ (a new such section must
    // be added here: the count below fails until it is).
    let mut all = Config::default();
    all.drill.max_delay_nights += 1;
    all.sequential.enabled = !all.sequential.enabled;
    let skipped = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .map(|text| text.matches("skip_serializing_if").count())
        .sum::<usize>();
    assert_eq!(
        skipped, 2,
        "a config section is skipped when default: toggle it above"
    );
    let mut known = BTreeSet::new();
    key_paths(&serde_norway::to_value(&all).unwrap(), "", &mut known);
    let mut shown = BTreeSet::new();
    key_paths(&yaml("postmarket.yaml"), "", &mut shown);
    let missing: Vec<&String> = known.difference(&shown).collect();
    assert!(
        missing.is_empty(),
        "examples/postmarket.yaml lacks {missing:?}"
    );
    assert!(known.len() > 50, "{known:?}");
    // The subgroup and extra-tag items show every field too.
    let text = std::fs::read_to_string(&path).unwrap();
    for field in [
        "name:", "where:", "by:", "bins:", "tag:", "kind:", "key_env:",
    ] {
        assert!(text.contains(field), "{field}");
    }
}

#[test]
fn the_hospital_log_is_read_through_its_column_mapping() {
    let wd = Workdir::new();
    let config = example("hospital-log/postmarket.yaml");
    let log = example("hospital-log/inference_log.csv");
    let mapped = Config::load(Some(&config)).unwrap().logs.columns;
    assert_eq!(mapped.len(), 9, "all nine of our columns are mapped");
    let args = [
        "--config",
        config.to_str().unwrap(),
        "logs",
        log.to_str().unwrap(),
        "-o",
        "inferences.parquet",
        "--rejects",
        "rejects.parquet",
    ];
    let out = wd.run(&args);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let kept = rows(&wd.path("inferences.parquet"));
    assert_eq!(kept.len(), 5, "every row of the log is kept");
    assert_eq!(kept[0]["key"], "1.2.826.0.1.3680043.10.1.1");
    assert_eq!(kept[0]["model_version"], "2.1.0");
    assert_eq!(kept[0]["latency_ms"], 182.5);
    assert_eq!(kept[2]["label"], serde_json::Value::Null);
    assert_eq!(kept[3]["label_version"], "edema-v1");
    assert_eq!(
        kept[4]["prediction"], 1,
        "no Positive: 0.52 >= threshold 0.4"
    );
    assert!(!wd.path("rejects.parquet").exists() || rows(&wd.path("rejects.parquet")).is_empty());
    // The log's patient names and accession numbers go nowhere.
    let written = std::fs::read(wd.path("inferences.parquet")).unwrap();
    let said = [out.stdout, out.stderr].concat();
    for bytes in [&written, &said] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("CANARY"), "PHI in the output");
    }
}

/// The value at `path` (keys joined by dots) in a YAML document.
fn at<'a>(doc: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(doc, |v, key| &v[key])
}

fn strings(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Sequence(items) => items.iter().for_each(|v| out.extend(strings(v))),
        Value::Mapping(map) => map.values().for_each(|v| out.extend(strings(v))),
        _ => {}
    }
    out
}

#[test]
fn the_ci_jobs_gate_the_release_and_publish_the_junit() {
    const SCRIPT: &str = "examples/ci/release-gate.sh";
    let github = yaml("ci/github-release-gate.yml");
    let steps = strings(at(&github, "jobs.gate.steps"));
    assert!(steps.iter().any(|s| s == SCRIPT), "{steps:?}");
    assert!(steps.iter().any(|s| s == "gate/junit.xml"), "{steps:?}");
    assert_eq!(at(&github, "jobs.release.needs").as_str(), Some("gate"));
    let gitlab = yaml("ci/gitlab-release-gate.yml");
    assert!(strings(at(&gitlab, "release-gate.script")).contains(&SCRIPT.to_string()));
    assert_eq!(
        at(&gitlab, "release-gate.artifacts.reports.junit").as_str(),
        Some("gate/junit.xml")
    );
    assert_eq!(strings(at(&gitlab, "release.needs")), ["release-gate"]);

    // The script, with the GitHub job's environment, on an evaluation set laid out there.
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth",
            "--tables",
            "--candidate",
            "-o",
            "s",
            "--slices",
            "1",
        ],
        0,
    );
    let env = at(&github, "jobs.gate.env").as_mapping().unwrap();
    let var = |name: &str| env[name].as_str().unwrap().to_string();
    for (from, to) in [
        ("s/serving/inferences.parquet", var("REFERENCE")),
        ("s/serving/candidate_inferences.parquet", var("CANDIDATE")),
        ("s/serving/headers.parquet", var("HEADERS")),
    ] {
        wd.write(&to, std::fs::read(wd.path(from)).unwrap());
    }
    wd.write(&var("CONFIG"), "gate:\n  min_pairs: 30\n");
    let run = |candidate: &str| {
        let mut cmd = Command::new("bash");
        cmd.arg(example("ci/release-gate.sh"))
            .current_dir(wd.path(""))
            .env("POSTMARKET", env!("CARGO_BIN_EXE_postmarket"))
            .env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k.as_str().unwrap(), v.as_str().unwrap());
        }
        cmd.env("CANDIDATE", candidate);
        let _ = std::fs::remove_dir_all(wd.path("gate"));
        let out = cmd.output().expect("bash");
        let junit = std::fs::read_to_string(wd.path("gate/junit.xml")).unwrap_or_default();
        (out.status.code(), junit)
    };
    let (code, junit) = run(&var("CANDIDATE"));
    assert_eq!(code, Some(1), "the worse candidate is stopped");
    assert!(junit.contains("<failure"), "{junit}");
    assert!(junit.contains("patient_age_years ≥65"), "{junit}");
    let (code, junit) = run(&var("REFERENCE"));
    assert_eq!(code, Some(0), "production against itself passes");
    assert!(
        junit.contains("<testsuite") && !junit.contains("<failure"),
        "{junit}"
    );
}

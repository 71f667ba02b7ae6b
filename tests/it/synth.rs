//! `postmarket synth`: deterministic, realistic, and with the injected drift visible.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::table_read::rows;
use crate::workdir::Workdir;

fn tree_digest(root: &Path) -> String {
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap()
                .display()
                .to_string();
            files.insert(rel, hex::encode(Sha256::digest(&bytes)));
        }
    }
    hex::encode(Sha256::digest(format!("{files:?}").as_bytes()))
}

#[test]
fn same_seed_gives_identical_files_and_tables() {
    let wd = Workdir::new();
    for out in ["a", "b"] {
        wd.run_expect(
            &[
                "synth",
                "-o",
                out,
                "--cases",
                "12",
                "--scenario",
                "scanner-upgrade,corrupt-files",
                "--seed",
                "9",
            ],
            0,
        );
    }
    assert_eq!(tree_digest(&wd.path("a")), tree_digest(&wd.path("b")));
    for out in ["a", "b"] {
        wd.run_expect(
            &[
                "scan",
                &format!("{out}/serving/dicom"),
                "-o",
                &format!("{out}.parquet"),
                "--jobs",
                "2",
            ],
            0,
        );
    }
    let strip = |name: &str| {
        let mut rows = rows(&wd.path(name));
        for row in &mut rows {
            let path = row["source_path"].as_str().unwrap()[1..].to_string();
            row.insert("source_path".into(), path.into());
        }
        rows
    };
    assert_eq!(
        strip("a.parquet"),
        strip("b.parquet"),
        "same rows apart from the folder name"
    );
    wd.run_expect(
        &[
            "synth",
            "-o",
            "c",
            "--cases",
            "12",
            "--scenario",
            "scanner-upgrade,corrupt-files",
            "--seed",
            "10",
        ],
        0,
    );
    assert_ne!(tree_digest(&wd.path("a")), tree_digest(&wd.path("c")));
}

#[test]
fn protocol_change_thickens_serving_slices() {
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth",
            "-o",
            "s",
            "--cases",
            "300",
            "--slices",
            "1",
            "--scenario",
            "protocol-change",
        ],
        0,
    );
    let thick_share = |side: &str| {
        wd.run_expect(
            &[
                "scan",
                &format!("s/{side}/dicom"),
                "-o",
                &format!("{side}.parquet"),
            ],
            0,
        );
        let rows = rows(&wd.path(&format!("{side}.parquet")));
        let ct: Vec<_> = rows.iter().filter(|r| r["modality"] == "CT").collect();
        ct.iter()
            .filter(|r| r["slice_thickness"].as_f64().unwrap() >= 5.0)
            .count() as f64
            / ct.len() as f64
    };
    let (baseline, serving) = (thick_share("baseline"), thick_share("serving"));
    assert!(
        baseline < 0.15 && serving > 0.35,
        "5 mm share: baseline {baseline:.2}, serving {serving:.2}"
    );
}

#[test]
fn silent_model_swap_logs_an_unapproved_version_after_the_change_point() {
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth",
            "-o",
            "s",
            "--cases",
            "200",
            "--slices",
            "1",
            "--scenario",
            "silent-model-swap",
        ],
        0,
    );
    wd.run_expect(
        &["logs", "s/serving/inferences.jsonl", "-o", "i.parquet"],
        0,
    );
    let rows = rows(&wd.path("i.parquet"));
    let swapped: Vec<_> = rows
        .iter()
        .filter(|r| r["model_version"] == "2.2.0-rc1")
        .collect();
    assert!(swapped.len() > 80, "{}", swapped.len());
    let first_swap = swapped
        .iter()
        .map(|r| r["timestamp"].as_i64().unwrap())
        .min()
        .unwrap();
    let last_original = rows
        .iter()
        .filter(|r| r["model_version"] == "2.1.0")
        .map(|r| r["timestamp"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(
        first_swap > last_original,
        "the swap happens at one point in time"
    );
    let truth = std::fs::read_to_string(wd.path("s/truth.yaml")).unwrap();
    assert!(truth.contains("silent-model-swap"), "{truth}");
}

#[test]
fn corrupt_files_scenario_yields_rejects_that_scan_and_logs_count() {
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth",
            "-o",
            "s",
            "--cases",
            "100",
            "--scenario",
            "corrupt-files",
        ],
        0,
    );
    wd.run_expect(
        &[
            "scan",
            "s/serving/dicom",
            "-o",
            "h.parquet",
            "--rejects",
            "hr.parquet",
        ],
        0,
    );
    wd.run_expect(
        &[
            "logs",
            "s/serving/inferences.jsonl",
            "-o",
            "i.parquet",
            "--rejects",
            "ir.parquet",
        ],
        0,
    );
    let truth: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(wd.path("s/truth.yaml")).unwrap()).unwrap();
    let broken_files = truth["corrupted_files"].as_array().unwrap().len();
    let broken_lines = truth["malformed_log_lines"].as_array().unwrap().len();
    assert_eq!(rows(&wd.path("hr.parquet")).len(), broken_files);
    assert_eq!(rows(&wd.path("h.parquet")).len(), 300 + 1 - broken_files);
    assert_eq!(rows(&wd.path("ir.parquet")).len(), broken_lines);
}

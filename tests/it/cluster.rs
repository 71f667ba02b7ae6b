//! `postmarket cluster`: acquisition clusters fitted with the baseline, occupancy and novel
//! cases in serving; snapshots byte-identical run to run.

use serde_json::Value;

use crate::drift::prepare;
use crate::table_read::rows;
use crate::workdir::Workdir;

fn cluster(wd: &Workdir, code: i32) -> Value {
    wd.run_expect(
        &[
            "cluster",
            "--baseline",
            "snap",
            "--headers",
            "serving/h.parquet",
            "--inferences",
            "serving/i.parquet",
            "-o",
            "out",
        ],
        code,
    );
    serde_json::from_str(&std::fs::read_to_string(wd.path("out/report.json")).unwrap()).unwrap()
}

#[test]
fn a_protocol_change_shifts_occupancy_and_brings_novel_cases() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change,scanner-upgrade", "400", "41");
    let report = cluster(&wd, 1);
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"cluster-occupancy"), "{kinds:?}");
    assert!(kinds.contains(&"novel-cases"), "{kinds:?}");
    // Cluster labels name what each number measures ("slice 5 mm", not "5 mm").
    for f in report["findings"].as_array().unwrap() {
        let subject = f["subject"].as_str().unwrap();
        if subject.starts_with("cluster ") {
            assert!(
                !subject.contains(", 0.") || subject.contains("pixel 0."),
                "an unnamed number in {subject}"
            );
            if subject.contains(" mm") {
                assert!(
                    subject.contains("slice ")
                        || subject.contains("pixel ")
                        || subject.contains("spacing "),
                    "{subject}"
                );
            }
        }
    }
    let novel = rows(&wd.path("out/novel.parquet"));
    assert!(!novel.is_empty());
    for row in &novel {
        if row["reason"] == "beyond the cluster's p99 distance" {
            assert!(row["distance"].as_f64().unwrap() > row["cluster_p99"].as_f64().unwrap());
        }
    }
    // The upgraded scanner is a category the baseline never had: novel whatever its distance.
    assert!(novel
        .iter()
        .any(|r| r["reason"] == "category never seen in the baseline"
            && r["manufacturer_model_name"] == "Revolution Apex"));
}

#[test]
fn no_drift_fills_the_clusters_as_the_baseline_did() {
    let wd = Workdir::new();
    prepare(&wd, "none", "400", "42");
    let report = cluster(&wd, 0);
    assert_eq!(report["counts"]["alert"], 0, "{:#}", report["findings"]);
}

#[test]
fn the_same_baseline_twice_gives_byte_identical_snapshot_files() {
    let wd = Workdir::new();
    prepare(&wd, "none", "150", "43");
    for out in ["a", "b"] {
        let status = wd
            .command(&[
                "baseline",
                "--headers",
                "baseline/h.parquet",
                "--inferences",
                "baseline/i.parquet",
                "-o",
                out,
            ])
            .env("SOURCE_DATE_EPOCH", "1790000000")
            .status()
            .unwrap();
        assert!(status.success());
    }
    for file in ["manifest.yaml", "cases.parquet", "cluster.json"] {
        assert_eq!(
            std::fs::read(wd.path(&format!("a/{file}"))).unwrap(),
            std::fs::read(wd.path(&format!("b/{file}"))).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn k_larger_than_the_baseline_leaves_a_note_and_cluster_says_why() {
    let wd = Workdir::new();
    wd.write("postmarket.yaml", "cluster:\n  k: 500\n");
    prepare(&wd, "none", "40", "44");
    let manifest = std::fs::read_to_string(wd.path("snap/manifest.yaml")).unwrap();
    assert!(manifest.contains("cluster_note: k = 500"), "{manifest}");
    let stderr = wd.run_expect(
        &[
            "cluster",
            "--baseline",
            "snap",
            "--headers",
            "serving/h.parquet",
            "-o",
            "out",
        ],
        3,
    );
    assert!(stderr.contains("no cluster model"), "{stderr}");
}

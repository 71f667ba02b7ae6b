//! No PHI leaves the tool: planted names, IDs, birth dates and accession numbers must not
//! appear in any output file (raw bytes and decoded values) or message.

use std::path::{Path, PathBuf};

use dicom_dictionary_std::tags;

use crate::table_read::{all_text, rows};
use crate::workdir::{testdata, Workdir};

fn canaries() -> Vec<String> {
    let text = std::fs::read_to_string(testdata("dicom/phi_canaries.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_absent(canaries: &[String], outputs: &[PathBuf], messages: &str) {
    assert!(!canaries.is_empty());
    for path in outputs {
        let bytes = std::fs::read(path).unwrap();
        // Parquet is compressed: its decoded values are searched too. Reports, JUnit and
        // snapshot files are text, searched as bytes.
        let decoded = if path.extension().is_some_and(|e| e == "parquet") {
            all_text(path)
        } else {
            String::new()
        };
        for canary in canaries {
            let needle = canary.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{canary:?} in the bytes of {}",
                path.display()
            );
            assert!(
                !decoded.contains(canary.as_str()),
                "{canary:?} in {}",
                path.display()
            );
        }
    }
    for canary in canaries {
        assert!(!messages.contains(canary.as_str()), "{canary:?} printed");
    }
}

#[test]
fn planted_phi_in_dicom_and_logs_reaches_no_output() {
    let wd = Workdir::new();
    let mut canaries = canaries();
    canaries.push("CANARY^LOGNAME".into());
    canaries.push("CANARY-LOG-MRN".into());
    wd.write(
        "log.jsonl",
        "{\"timestamp\":\"2026-10-05T08:00:00Z\",\"key\":\"1.2.3\",\"model\":\"m\",\"model_version\":\"1\",\"score\":0.5,\"patient_name\":\"CANARY^LOGNAME\",\"patient_id\":\"CANARY-LOG-MRN\"}\n\
         {\"timestamp\":\"2026-10-05T08:00:00Z\",\"key\":\"1.2.4\",\"model\":\"m\",\"model_version\":\"1\",\"score\":7,\"patient_name\":\"CANARY^LOGNAME\"}\n\
         {\"patient_name\":\"CANARY^LOGNAME\",\"oops\n",
    );
    let dicom = testdata("dicom");
    let mut messages = wd.run_expect(
        &[
            "scan",
            dicom.to_str().unwrap(),
            "-o",
            "out/h.parquet",
            "--rejects",
            "out/hr.parquet",
        ],
        0,
    );
    messages += &wd.run_expect(
        &[
            "logs",
            "log.jsonl",
            "-o",
            "out/i.parquet",
            "--rejects",
            "out/ir.parquet",
        ],
        0,
    );
    assert_eq!(rows(&wd.path("out/ir.parquet")).len(), 2);
    assert_absent(&canaries, &files_under(&wd.path("out")), &messages);
}

#[test]
fn synthetic_patient_identities_reach_no_output() {
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth",
            "-o",
            "s",
            "--cases",
            "15",
            "--scenario",
            "corrupt-files",
        ],
        0,
    );
    // Collect what synth planted, reading the files independently.
    let mut planted = Vec::new();
    for path in files_under(&wd.path("s/serving/dicom")) {
        let Ok(obj) = dicom_object::open_file(&path) else {
            continue;
        };
        for tag in [
            tags::PATIENT_NAME,
            tags::PATIENT_ID,
            tags::PATIENT_BIRTH_DATE,
            tags::ACCESSION_NUMBER,
        ] {
            planted.push(
                obj.element(tag)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .trim()
                    .to_string(),
            );
        }
    }
    assert!(planted.len() >= 40, "{}", planted.len());
    let mut messages = wd.run_expect(
        &[
            "scan",
            "s/serving/dicom",
            "-o",
            "out/h.parquet",
            "--rejects",
            "out/hr.parquet",
        ],
        0,
    );
    messages += &wd.run_expect(
        &[
            "logs",
            "s/serving/inferences.jsonl",
            "-o",
            "out/i.parquet",
            "--rejects",
            "out/ir.parquet",
        ],
        0,
    );
    // And everything built from them: the snapshot, and the audit's reports (JSON,
    // Markdown, HTML, JUnit) and tables.
    for (args, code) in [
        (vec!["scan", "s/baseline/dicom", "-o", "out/bh.parquet"], 0),
        (
            vec![
                "logs",
                "s/baseline/inferences.jsonl",
                "-o",
                "out/bi.parquet",
            ],
            0,
        ),
        (
            vec![
                "baseline",
                "--headers",
                "out/bh.parquet",
                "--inferences",
                "out/bi.parquet",
                "-o",
                "out/snap",
            ],
            0,
        ),
        (
            vec![
                "audit",
                "--baseline",
                "out/snap",
                "--headers",
                "out/h.parquet",
                "--inferences",
                "out/i.parquet",
                "-o",
                "out/audit",
                "--junit",
                "out/audit/junit.xml",
                "--fail-on",
                "never",
                "--history",
                "out/history",
                "--window",
                "2026-10-01T00:00:00Z..2026-11-01T00:00:00Z",
            ],
            0,
        ),
    ] {
        messages += &wd.run_expect(&args, code);
    }
    assert!(wd.path("out/audit/report.html").is_file());
    assert!(wd.path("out/history/index.html").is_file());
    assert!(wd.path("out/history/changes").is_dir());
    assert_absent(&planted, &files_under(&wd.path("out")), &messages);
}

#[test]
fn pseudonymised_uids_still_join_headers_to_inferences() {
    let wd = Workdir::new();
    wd.write(
        "postmarket.yaml",
        "pseudonymize:\n  key_env: POSTMARKET_KEY\n",
    );
    wd.run_expect(&["synth", "-o", "s", "--cases", "5", "--slices", "1"], 0);
    let key = "a-test-key-of-enough-length";
    let run = |args: &[&str]| {
        let out = wd
            .command(args)
            .env("POSTMARKET_KEY", key)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["scan", "s/baseline/dicom", "-o", "h.parquet"]);
    run(&["logs", "s/baseline/inferences.jsonl", "-o", "i.parquet"]);
    let headers = rows(&wd.path("h.parquet"));
    let inferences = rows(&wd.path("i.parquet"));
    let mut series: Vec<&str> = headers
        .iter()
        .map(|r| r["series_instance_uid"].as_str().unwrap())
        .collect();
    let mut keys: Vec<&str> = inferences
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    series.sort();
    keys.sort();
    assert_eq!(series, keys, "pseudonyms match across scan and logs");
    assert!(series
        .iter()
        .all(|s| s.len() == 64 && !s.starts_with("2.25.")));
    // Without the key the run is refused, never silently unpseudonymised.
    let stderr = wd.run_expect(&["scan", "s/baseline/dicom", "-o", "h2.parquet"], 2);
    assert!(stderr.contains("POSTMARKET_KEY"), "{stderr}");
}

//! `postmarket logs`: JSONL, CSV and Parquet in; every bad row rejected by file and line.

use crate::table_read::rows;
use crate::workdir::Workdir;

const GOOD: &str = r#"{"timestamp":"2026-10-05T08:00:00Z","key":"1.2.3","model":"edema-net","model_version":"2.1.0","score":0.91,"label":1,"label_version":"edema-v1","latency_ms":180.5}"#;

#[test]
fn jsonl_bad_lines_are_rejected_by_line_and_the_rest_kept() {
    let wd = Workdir::new();
    let lines = [
        GOOD,
        "",
        r#"{"timestamp":"2026-10-05T08:01:00Z","key":"1.2.4","model":"m","model_version":"1","score":1.7}"#,
        r#"{"timestamp":"2026-10-05T08:02:00Z","key":"1.2.5","model":"m","model_version":"1","score":0.2"#,
        r#"{"timestamp":"2026-10-05 08:03:00","key":"1.2.6","model":"m","model_version":"1","score":0.2}"#,
        r#"{"timestamp":1790000000,"key":"1.2.7","model":"m","model_version":"1","score":0.2,"label":2}"#,
        r#"{"timestamp":1790000000000,"model":"m","model_version":"1","score":0.2}"#,
        r#"{"timestamp":1790000000000,"key":"1.2.8","model":"m","model_version":"1","score":"0.4","prediction":true}"#,
    ];
    wd.write("log.jsonl", lines.join("\n"));
    let stderr = wd.run_expect(
        &[
            "logs",
            "log.jsonl",
            "-o",
            "i.parquet",
            "--rejects",
            "r.parquet",
        ],
        0,
    );
    assert!(stderr.contains("log.jsonl:3"), "{stderr}");
    let rejects: Vec<(u64, String)> = rows(&wd.path("r.parquet"))
        .into_iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rejects,
        vec![
            (3, "bad-score".to_string()),
            (4, "malformed-json".to_string()),
            (5, "bad-timestamp".to_string()),
            (6, "bad-label".to_string()),
            (7, "missing-field".to_string()),
        ]
    );
    let kept = rows(&wd.path("i.parquet"));
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0]["key"], "1.2.3");
    assert_eq!(kept[0]["timestamp"], 1_791_187_200_000_000i64);
    assert_eq!(kept[0]["label"], 1);
    assert_eq!(kept[0]["prediction"], 1, "derived from the 0.5 threshold");
    assert_eq!(kept[1]["prediction"], 1, "given explicitly");
    assert_eq!(kept[1]["label"], serde_json::Value::Null);
}

#[test]
fn csv_columns_are_mapped_from_the_hospitals_names() {
    let wd = Workdir::new();
    wd.write(
        "postmarket.yaml",
        "logs:\n  threshold: 0.3\n  columns: {key: SeriesUID, score: prob, timestamp: time, model: algo, model_version: ver}\n",
    );
    wd.write(
        "log.csv",
        "time,SeriesUID,algo,ver,prob,label,patient_name\n\
         2026-10-05T08:00:00Z,1.2.3,edema-net,2.1.0,0.35,1,CANARY^CSV\n\
         2026-10-05T08:00:00Z,1.2.4,edema-net,2.1.0,abc,,CANARY^CSV\n\
         2026-10-05T08:00:00Z,1.2.5,edema-net,2.1.0,0.1,0,CANARY^CSV,extra-field\n",
    );
    wd.run_expect(
        &[
            "logs",
            "log.csv",
            "-o",
            "i.parquet",
            "--rejects",
            "r.parquet",
        ],
        0,
    );
    let kept = rows(&wd.path("i.parquet"));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["key"], "1.2.3");
    assert_eq!(kept[0]["prediction"], 1, "0.35 >= threshold 0.3");
    let rejects = rows(&wd.path("r.parquet"));
    let lines: Vec<u64> = rejects
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4]);
    assert_eq!(rejects[0]["kind"], "bad-score");
    assert_eq!(rejects[1]["kind"], "malformed-csv");
}

#[test]
fn a_csv_lacking_a_required_column_is_one_reject_naming_it() {
    let wd = Workdir::new();
    wd.write(
        "a.csv",
        "timestamp,key,model,model_version,score\n2026-10-05T08:00:00Z,1.2.3,m,1,0.5\n",
    );
    wd.write(
        "b.csv",
        "timestamp,key,model,score\n2026-10-05T08:00:00Z,1.2.4,m,0.5\n",
    );
    wd.run_expect(
        &[
            "logs",
            "a.csv",
            "b.csv",
            "-o",
            "i.parquet",
            "--rejects",
            "r.parquet",
        ],
        0,
    );
    let rejects = rows(&wd.path("r.parquet"));
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["kind"], "unreadable-file");
    assert!(rejects[0]["reason"]
        .as_str()
        .unwrap()
        .contains("model_version"));
    assert_eq!(rows(&wd.path("i.parquet")).len(), 1);
}

#[test]
fn parquet_logs_round_trip_through_our_own_output() {
    let wd = Workdir::new();
    wd.write("log.jsonl", format!("{GOOD}\n"));
    wd.run_expect(&["logs", "log.jsonl", "-o", "first.parquet"], 0);
    wd.run_expect(&["logs", "first.parquet", "-o", "second.parquet"], 0);
    assert_eq!(
        rows(&wd.path("first.parquet")),
        rows(&wd.path("second.parquet"))
    );
}

#[test]
fn strict_turns_a_bad_line_into_exit_3_naming_file_and_line() {
    let wd = Workdir::new();
    wd.write("log.jsonl", format!("{GOOD}\nnot json\n"));
    let stderr = wd.run_expect(&["logs", "log.jsonl", "-o", "i.parquet", "--strict"], 3);
    assert!(stderr.contains("log.jsonl:2"), "{stderr}");
}

#[test]
fn no_valid_rows_is_an_input_error() {
    let wd = Workdir::new();
    wd.write("log.jsonl", "not json\n");
    wd.run_expect(&["logs", "log.jsonl", "-o", "i.parquet"], 3);
}

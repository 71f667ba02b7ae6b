//! Which features a run tests (`drift.features`) and headers tables that carry only some
//! of the columns (a site's own metadata export).

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, LargeStringArray, RecordBatch, StringArray};
use serde_json::Value;

use crate::drift::prepare;
use crate::workdir::Workdir;

/// The features the report's feature-level checks (drift, missingness, new categories) are
/// about; run-wide ones such as "(all features)" left out.
fn feature_subjects(report: &Value) -> BTreeSet<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            ["feature-drift", "missingness", "new-category"].contains(&c["kind"].as_str().unwrap())
        })
        .map(|c| c["subject"].as_str().unwrap().to_string())
        .filter(|s| !s.starts_with('('))
        .collect()
}

fn drift_args(headers: &str) -> Vec<&str> {
    vec![
        "drift",
        "--baseline",
        "snap",
        "--headers",
        headers,
        "--inferences",
        "serving/i.parquet",
        "-o",
        "out",
        "--fail-on",
        "never",
    ]
}

fn report(wd: &Workdir) -> Value {
    serde_json::from_str(&std::fs::read_to_string(wd.path("out/report.json")).unwrap()).unwrap()
}

#[test]
fn drift_tests_only_the_features_the_config_names() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change", "120", "21");
    wd.run_expect(&drift_args("serving/h.parquet"), 0);
    let all = feature_subjects(&report(&wd));
    assert!(all.contains("slice_thickness") && all.len() > 5, "{all:?}");

    wd.write(
        "postmarket.yaml",
        "drift:\n  features: [patient_sex, patient_age_years]\n",
    );
    wd.run_expect(&drift_args("serving/h.parquet"), 0);
    let picked = feature_subjects(&report(&wd));
    assert_eq!(
        picked,
        BTreeSet::from(["patient_age_years".into(), "patient_sex".into()])
    );
    // Subgroups still split by manufacturer and slice thickness, which are not tested.
    let subgroups: BTreeSet<String> = report(&wd)["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["subgroup"].as_str().map(str::to_string))
        .collect();
    assert!(
        subgroups.iter().any(|s| s.contains("thick-slices")),
        "{subgroups:?}"
    );

    let out = wd.run(&[
        "explore",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
        "--where",
        "sex == \"F\"",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let explored: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<&str> = explored["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["feature"].as_str().unwrap())
        .collect();
    assert_eq!(rows, ["patient_sex", "patient_age_years"]);
}

#[test]
fn an_unknown_feature_name_is_a_config_error_naming_it() {
    let wd = Workdir::new();
    wd.write("bad.yaml", "drift:\n  features: [patient_sex, kvpp]\n");
    let stderr = wd.run_expect(&["--config", "bad.yaml", "synth", "-o", "s"], 2);
    assert!(
        stderr.contains("drift.features") && stderr.contains("\"kvpp\""),
        "{stderr}"
    );
}

#[test]
fn a_feature_the_snapshot_lacks_is_a_config_error_at_drift_and_an_input_error_at_baseline() {
    let wd = Workdir::new();
    prepare(&wd, "none", "40", "22");
    wd.write(
        "postmarket.yaml",
        "extra_tags:\n  - {name: exposure_time, tag: '0018,1150', kind: numeric}\ndrift:\n  features: [exposure_time, kvp]\n",
    );
    let stderr = wd.run_expect(&drift_args("serving/h.parquet"), 2);
    assert!(
        stderr.contains("drift.features")
            && stderr.contains("exposure_time")
            && stderr.contains("rebuild the baseline"),
        "{stderr}"
    );
    // The baseline's headers were scanned without the extra tag: it cannot be tested.
    let stderr = wd.run_expect(
        &[
            "baseline",
            "--headers",
            "baseline/h.parquet",
            "--inferences",
            "baseline/i.parquet",
            "-o",
            "snap2",
        ],
        3,
    );
    assert!(
        stderr.contains("baseline/h.parquet") && stderr.contains("no column exposure_time"),
        "{stderr}"
    );
}

/// `scan`'s headers cut down to `columns`, the key as a large string as pandas or Spark
/// may write it, in a Parquet file of our own making.
fn site_export(wd: &Workdir, from: &str, to: &str, columns: &[&str]) {
    let (_, batches) = postmarket::table::parquet::read_all(&wd.path(from)).unwrap();
    let batch = &batches[0];
    let mut picked: Vec<(&str, ArrayRef)> = Vec::new();
    for &name in columns {
        let column = batch.column_by_name(name).unwrap().clone();
        let column: ArrayRef = if name == "series_instance_uid" {
            let text = column.as_any().downcast_ref::<StringArray>().unwrap();
            Arc::new(text.iter().collect::<LargeStringArray>())
        } else {
            column
        };
        picked.push((name, column));
    }
    let export = RecordBatch::try_from_iter(picked).unwrap();
    let file = std::fs::File::create(wd.path(to)).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, export.schema(), None).unwrap();
    writer.write(&export).unwrap();
    writer.close().unwrap();
}

#[test]
fn a_headers_table_with_only_some_columns_is_accepted_and_the_rest_are_absent() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change", "120", "23");
    let few = [
        "slice_thickness",
        "series_instance_uid",
        "patient_sex",
        "manufacturer",
    ];
    site_export(&wd, "baseline/h.parquet", "baseline/site.parquet", &few);
    site_export(&wd, "serving/h.parquet", "serving/site.parquet", &few);
    let stderr = wd.run_expect(
        &[
            "baseline",
            "--headers",
            "baseline/site.parquet",
            "--inferences",
            "baseline/i.parquet",
            "-o",
            "snap",
        ],
        0,
    );
    assert!(
        stderr.contains("absent from headers") && stderr.contains("software_versions"),
        "{stderr}"
    );
    // Every feature by default: those absent on both sides are named, not tested.
    wd.run_expect(&drift_args("serving/site.parquet"), 0);
    let all = report(&wd);
    assert_eq!(
        feature_subjects(&all),
        BTreeSet::from([
            "manufacturer".into(),
            "patient_sex".into(),
            "slice_thickness".into()
        ])
    );
    let method = all["method"].to_string();
    assert!(method.contains("software_versions"), "{method}");

    wd.write(
        "postmarket.yaml",
        "drift:\n  features: [slice_thickness, patient_sex, manufacturer]\n",
    );
    wd.run_expect(&drift_args("serving/site.parquet"), 0);
    let report = report(&wd);
    let thickness = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["subject"] == "slice_thickness" && f["subgroup"].is_null())
        .expect("the protocol change is still found");
    assert_eq!(thickness["kind"], "feature-drift");
}

#[test]
fn a_feature_the_serving_headers_lack_shows_as_missing() {
    let wd = Workdir::new();
    prepare(&wd, "none", "120", "24");
    site_export(
        &wd,
        "serving/h.parquet",
        "serving/site.parquet",
        &[
            "series_instance_uid",
            "modality",
            "manufacturer",
            "patient_sex",
            "patient_age_years",
        ],
    );
    wd.run_expect(&drift_args("serving/site.parquet"), 0);
    let report = report(&wd);
    let missing = report["findings"].as_array().unwrap().iter().find(|f| {
        f["subject"] == "slice_thickness" && f["kind"] == "missingness" && f["subgroup"].is_null()
    });
    assert_eq!(
        missing.expect("slice_thickness is missing in serving")["severity"],
        "alert"
    );
}

#[test]
fn a_headers_table_without_the_unit_key_is_refused_naming_it() {
    let wd = Workdir::new();
    prepare(&wd, "none", "40", "25");
    site_export(
        &wd,
        "serving/h.parquet",
        "serving/site.parquet",
        &["sop_instance_uid", "modality", "slice_thickness"],
    );
    let stderr = wd.run_expect(&drift_args("serving/site.parquet"), 3);
    assert!(
        stderr.contains("serving/site.parquet") && stderr.contains("no column series_instance_uid"),
        "{stderr}"
    );
    // A feature of the wrong type family is refused naming the column and what was expected.
    let (_, batches) = postmarket::table::parquet::read_all(&wd.path("serving/h.parquet")).unwrap();
    let keys = batches[0]
        .column_by_name("series_instance_uid")
        .unwrap()
        .clone();
    let n = keys.len();
    let text_kvp = RecordBatch::try_from_iter([
        ("series_instance_uid", keys),
        (
            "kvp",
            Arc::new(StringArray::from(vec!["120 kV"; n])) as ArrayRef,
        ),
        (
            "rows",
            Arc::new(Float64Array::from(vec![512.0; n])) as ArrayRef,
        ),
    ])
    .unwrap();
    let file = std::fs::File::create(wd.path("serving/typed.parquet")).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, text_kvp.schema(), None).unwrap();
    writer.write(&text_kvp).unwrap();
    writer.close().unwrap();
    let stderr = wd.run_expect(&drift_args("serving/typed.parquet"), 3);
    assert!(
        stderr.contains("column kvp is Utf8, expected numbers"),
        "{stderr}"
    );
}

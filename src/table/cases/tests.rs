//! The case table on small hand-made headers and inferences.
use super::*;
use arrow_array::{Float64Array, StringArray, TimestampMicrosecondArray};

fn headers(series: &[&str], thickness: &[f64]) -> RecordBatch {
    let n = series.len();
    let uids: Vec<String> = (0..n).map(|i| format!("sop{i}")).collect();
    RecordBatch::try_from_iter(vec![
        (
            "sop_instance_uid",
            Arc::new(StringArray::from(uids)) as ArrayRef,
        ),
        (
            "series_instance_uid",
            Arc::new(StringArray::from(series.to_vec())) as ArrayRef,
        ),
        (
            "study_instance_uid",
            Arc::new(StringArray::from(vec!["st"; n])) as ArrayRef,
        ),
        (
            "slice_thickness",
            Arc::new(Float64Array::from(thickness.to_vec())) as ArrayRef,
        ),
    ])
    .unwrap()
}

fn inferences(keys: &[&str], times: &[i64], scores: &[f64]) -> RecordBatch {
    let n = keys.len();
    RecordBatch::try_from_iter(vec![
        (
            "timestamp",
            Arc::new(TimestampMicrosecondArray::from(times.to_vec()).with_timezone("UTC"))
                as ArrayRef,
        ),
        (
            "key",
            Arc::new(StringArray::from(keys.to_vec())) as ArrayRef,
        ),
        (
            "model",
            Arc::new(StringArray::from(vec!["m"; n])) as ArrayRef,
        ),
        (
            "model_version",
            Arc::new(StringArray::from(vec!["1"; n])) as ArrayRef,
        ),
        (
            "score",
            Arc::new(Float64Array::from(scores.to_vec())) as ArrayRef,
        ),
        (
            "prediction",
            Arc::new(arrow_array::Int8Array::from(vec![0i8; n])) as ArrayRef,
        ),
        (
            "label",
            Arc::new(arrow_array::Int8Array::from(vec![None::<i8>; n])) as ArrayRef,
        ),
        (
            "label_version",
            Arc::new(StringArray::from(vec![None::<&str>; n])) as ArrayRef,
        ),
    ])
    .unwrap()
}

#[test]
fn units_take_the_median_and_the_latest_inference_and_count_the_rest() {
    let h = headers(&["b", "a", "b", "b", "c"], &[1.0, 5.0, 3.0, 2.0, 4.0]);
    let i = inferences(
        &["b", "a", "b", "z", "b"],
        &[10, 10, 30, 10, 20],
        &[0.1, 0.2, 0.3, 0.4, 0.5],
    );
    let features = vec![Feature {
        name: "slice_thickness".into(),
        kind: FeatureKind::Numeric,
    }];
    let (cases, stats) = build_cases(&h, Some(i), &features, Unit::Series).unwrap();
    let keys = access::text(&cases, CASE_KEY).unwrap();
    assert_eq!(
        keys,
        vec![Some("b".into()), Some("a".into()), Some("c".into())],
        "units in order of first appearance"
    );
    assert_eq!(
        access::numeric(&cases, "slice_thickness").unwrap(),
        vec![Some(2.0), Some(5.0), Some(4.0)]
    );
    assert_eq!(
        access::numeric(&cases, "score").unwrap(),
        vec![Some(0.3), Some(0.2), None]
    );
    assert_eq!(
        (
            stats.cases,
            stats.cases_with_inference,
            stats.cases_without_inference
        ),
        (3, 2, 1)
    );
    assert_eq!(
        (stats.duplicate_inferences, stats.inferences_without_case),
        (2, 1)
    );
}

#[test]
fn single_instance_units_give_the_same_table_as_the_general_path() {
    let h = headers(&["b", "a", "c"], &[1.0, f64::NAN, 3.0]);
    let features = vec![Feature {
        name: "slice_thickness".into(),
        kind: FeatureKind::Numeric,
    }];
    let (cases, _) = build_cases(&h, None, &features, Unit::Series).unwrap();
    assert_eq!(
        access::numeric(&cases, "slice_thickness").unwrap(),
        vec![Some(1.0), None, Some(3.0)]
    );
}

#[test]
fn rows_without_a_key_are_skipped_and_every_row_its_own_unit_is_not_copied() {
    let h = RecordBatch::try_from_iter(vec![
        (
            "series_instance_uid",
            Arc::new(StringArray::from(vec![Some("b"), None, Some("c")])) as ArrayRef,
        ),
        (
            "slice_thickness",
            Arc::new(Float64Array::from(vec![1.0, 2.0, f64::INFINITY])) as ArrayRef,
        ),
        (
            "modality",
            Arc::new(StringArray::from(vec!["CT", "MR", "CT"])) as ArrayRef,
        ),
    ])
    .unwrap();
    let features = vec![
        Feature {
            name: "slice_thickness".into(),
            kind: FeatureKind::Numeric,
        },
        Feature {
            name: "modality".into(),
            kind: FeatureKind::Categorical,
        },
    ];
    let (cases, stats) = build_cases(&h, None, &features, Unit::Series).unwrap();
    assert_eq!(stats.cases, 2);
    assert_eq!(
        access::text(&cases, CASE_KEY).unwrap(),
        vec![Some("b".into()), Some("c".into())]
    );
    assert_eq!(
        access::numeric(&cases, "slice_thickness").unwrap(),
        vec![Some(1.0), None]
    );
    assert_eq!(
        access::text(&cases, "modality").unwrap(),
        vec![Some("CT".into()), Some("CT".into())]
    );

    // Every row its own unit, in order: the columns are the headers' own buffers.
    let h = h.slice(2, 1);
    let (cases, _) = build_cases(&h, None, &features, Unit::Series).unwrap();
    let values = |a: &ArrayRef| a.to_data().buffers()[1].as_ptr();
    assert_eq!(values(cases.column(0)), values(h.column(0)));
    assert_eq!(
        values(cases.column_by_name("modality").unwrap()),
        values(h.column(2))
    );
    assert_eq!(
        access::numeric(&cases, "slice_thickness").unwrap(),
        vec![None],
        "a non-finite value is still null when nothing is copied"
    );
}

#[test]
fn a_feature_the_headers_lack_is_a_column_of_nulls() {
    let h = headers(&["b", "a", "b"], &[1.0, 5.0, 3.0]);
    let features = vec![
        Feature {
            name: "kvp".into(),
            kind: FeatureKind::Numeric,
        },
        Feature {
            name: "software_versions".into(),
            kind: FeatureKind::Categorical,
        },
    ];
    let (cases, _) = build_cases(&h, None, &features, Unit::Series).unwrap();
    assert_eq!(access::numeric(&cases, "kvp").unwrap(), vec![None, None]);
    assert_eq!(
        access::text(&cases, "software_versions").unwrap(),
        vec![None, None]
    );
}

#[test]
fn select_keeps_the_catalogue_order_and_names_unknown_features() {
    let all = features(&[]);
    let names = vec!["kvp".to_string(), "modality".to_string()];
    let picked: Vec<String> = select(&all, Some(&names))
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(picked, ["modality", "kvp"]);
    assert_eq!(select(&all, None).unwrap(), all);
    let typo = vec!["kvpp".to_string(), "modality".to_string()];
    assert_eq!(select(&all, Some(&typo)).unwrap_err(), ["kvpp"]);
}

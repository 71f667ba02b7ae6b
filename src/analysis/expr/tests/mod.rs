//! Shared fixture: a six-row case table with a null or NaN in most columns.

mod errors;
mod semantics;

use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Float64Array, Int64Array, Int8Array,
    RecordBatch, StringArray, TimestampMicrosecondArray,
};

use super::{Expr, ExprError};

const ALIASES: &[(&str, &str)] = &[
    ("age", "patient_age_years"),
    ("sex", "patient_sex"),
    ("thickness", "slice_thickness"),
    ("scanner", "manufacturer_model_name"),
];

/// Six cases; row 2 is missing almost everything, row 3 has a NaN age.
fn cases() -> RecordBatch {
    let day = |y, m, d| {
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        (date - chrono::DateTime::UNIX_EPOCH.date_naive()).num_days() as i32
    };
    let micros = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_micros()
    };
    let columns: Vec<(&str, ArrayRef)> = vec![
        (
            "manufacturer",
            Arc::new(StringArray::from(vec![
                Some("GE MEDICAL SYSTEMS"),
                Some("SIEMENS"),
                None,
                Some("GE MEDICAL SYSTEMS"),
                Some("Philips"),
                Some("it's \"quoted\""),
            ])),
        ),
        (
            "patient_sex",
            Arc::new(StringArray::from(vec![
                Some("F"),
                Some("M"),
                None,
                Some("M"),
                Some("F"),
                Some("O"),
            ])),
        ),
        (
            "patient_age_years",
            Arc::new(Float64Array::from(vec![
                Some(70.0),
                Some(40.0),
                None,
                Some(f64::NAN),
                Some(65.0),
                Some(-0.0),
            ])),
        ),
        (
            "slice_thickness",
            Arc::new(Float64Array::from(vec![
                Some(5.0),
                Some(1.0),
                Some(3.0),
                None,
                Some(2.5),
                Some(0.5),
            ])),
        ),
        (
            "label",
            Arc::new(Int8Array::from(vec![
                Some(1),
                Some(0),
                None,
                Some(1),
                Some(0),
                Some(-1),
            ])),
        ),
        (
            "n_instances",
            Arc::new(Int64Array::from(vec![
                Some(9_007_199_254_740_993),
                Some(100),
                Some(200),
                None,
                Some(0),
                Some(i64::MIN),
            ])),
        ),
        (
            "contrast_agent",
            Arc::new(BooleanArray::from(vec![
                Some(true),
                Some(false),
                None,
                Some(true),
                Some(false),
                Some(true),
            ])),
        ),
        (
            "study_date",
            Arc::new(Date32Array::from(vec![
                Some(day(2024, 1, 1)),
                Some(day(2024, 6, 30)),
                None,
                Some(day(2024, 7, 1)),
                Some(day(2023, 12, 31)),
                Some(day(1960, 5, 5)),
            ])),
        ),
        (
            "timestamp",
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    Some(micros("2024-05-01T08:00:00Z")),
                    Some(micros("2024-05-01T23:30:00Z")),
                    None,
                    Some(micros("2024-05-02T00:00:00Z")),
                    Some(micros("2024-04-30T12:00:00Z")),
                    Some(micros("2024-05-01T00:00:00Z")),
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            "pixel_hash",
            Arc::new(BinaryArray::from(vec![b"a".as_ref(); 6])),
        ),
    ];
    RecordBatch::try_from_iter(columns).unwrap()
}

fn try_rows(text: &str) -> Result<Vec<usize>, ExprError> {
    let batch = cases();
    let bound = Expr::parse(text)?.bind(&batch.schema(), ALIASES)?;
    let selected = bound.evaluate(&batch)?;
    assert_eq!(selected.null_count(), 0);
    Ok((0..selected.len()).filter(|&i| selected.value(i)).collect())
}

/// Indices of the rows of `cases()` that `text` selects.
fn rows(text: &str) -> Vec<usize> {
    try_rows(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn error(text: &str) -> ExprError {
    match try_rows(text) {
        Ok(rows) => panic!("{text}: expected an error, selected {rows:?}"),
        Err(e) => e,
    }
}

/// The error's message and the source text it underlines.
fn error_at(text: &str) -> (String, &str) {
    let e = error(text);
    (e.message, &text[e.position..e.position + e.len])
}

fn canonical(text: &str) -> String {
    Expr::parse(text).unwrap().to_string()
}

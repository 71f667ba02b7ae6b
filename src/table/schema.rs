//! Column names and Arrow types of every table postmarket writes, defined once.
//!
//! `headers.parquet` holds one row per DICOM instance, `inferences.parquet` one row per
//! inference, and the rejects tables one row per file or log line that was not read.
//! Every other module refers to columns through these constants; the typed header
//! columns are the catalogue [`HeaderColumn`] (`table::columns`).

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::config::{ExtraKind, ExtraTag};

// headers.parquet: identity
pub const SOP_INSTANCE_UID: &str = "sop_instance_uid";
pub const SERIES_INSTANCE_UID: &str = "series_instance_uid";
pub const STUDY_INSTANCE_UID: &str = "study_instance_uid";
pub const SOURCE_PATH: &str = "source_path";

pub use crate::table::columns::{HeaderColumn, HeaderType};

/// True for the identity and typed columns every `headers.parquet` has.
pub fn is_header_column(name: &str) -> bool {
    [
        SOP_INSTANCE_UID,
        SERIES_INSTANCE_UID,
        STUDY_INSTANCE_UID,
        SOURCE_PATH,
    ]
    .contains(&name)
        || HeaderColumn::from_name(name).is_some()
}

/// The schema of `headers.parquet`, with one column per configured extra tag at the end.
pub fn headers_schema(extras: &[ExtraTag]) -> SchemaRef {
    let mut fields = vec![
        Field::new(SOP_INSTANCE_UID, DataType::Utf8, false),
        Field::new(SERIES_INSTANCE_UID, DataType::Utf8, false),
        Field::new(STUDY_INSTANCE_UID, DataType::Utf8, true),
        Field::new(SOURCE_PATH, DataType::Utf8, false),
    ];
    fields.extend(
        HeaderColumn::ALL
            .iter()
            .map(|c| Field::new(c.name(), c.data_type(), true)),
    );
    fields.extend(extras.iter().map(|extra| {
        let data_type = match extra.kind {
            ExtraKind::Numeric => DataType::Float64,
            ExtraKind::Categorical => DataType::Utf8,
        };
        Field::new(&extra.name, data_type, true)
    }));
    Arc::new(Schema::new(fields))
}

// inferences.parquet
pub const TIMESTAMP: &str = "timestamp";
pub const KEY: &str = "key";
pub const MODEL: &str = "model";
pub const MODEL_VERSION: &str = "model_version";
pub const SCORE: &str = "score";
pub const PREDICTION: &str = "prediction";
pub const LABEL: &str = "label";
pub const LABEL_VERSION: &str = "label_version";
pub const LATENCY_MS: &str = "latency_ms";

/// The fields an inference log may carry (and `logs.columns` may map).
pub const INFERENCE_INPUT_FIELDS: &[&str] = &[
    TIMESTAMP,
    KEY,
    MODEL,
    MODEL_VERSION,
    SCORE,
    PREDICTION,
    LABEL,
    LABEL_VERSION,
    LATENCY_MS,
];

/// Fields every inference row must have.
pub const INFERENCE_REQUIRED: &[&str] = &[TIMESTAMP, KEY, MODEL, MODEL_VERSION, SCORE];

/// The schema of `inferences.parquet`.
pub fn inferences_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(
            TIMESTAMP,
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        ),
        Field::new(KEY, DataType::Utf8, false),
        Field::new(MODEL, DataType::Utf8, false),
        Field::new(MODEL_VERSION, DataType::Utf8, false),
        Field::new(SCORE, DataType::Float64, false),
        Field::new(PREDICTION, DataType::Int8, false),
        Field::new(LABEL, DataType::Int8, true),
        Field::new(LABEL_VERSION, DataType::Utf8, true),
        Field::new(LATENCY_MS, DataType::Float64, true),
    ]))
}

// rejects tables (scan and logs share one shape)
pub const REJECT_SOURCE: &str = "source_path";
pub const REJECT_LINE: &str = "line";
pub const REJECT_KIND: &str = "kind";
pub const REJECT_REASON: &str = "reason";

/// The schema of a rejects table: which file (and line), a short kind, a readable reason.
pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(REJECT_SOURCE, DataType::Utf8, false),
        Field::new(REJECT_LINE, DataType::UInt64, true),
        Field::new(REJECT_KIND, DataType::Utf8, false),
        Field::new(REJECT_REASON, DataType::Utf8, false),
    ]))
}

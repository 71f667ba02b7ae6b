//! From a parsed data set to one `headers.parquet` row: typed values for every column of
//! [`schema::HEADER_FIELDS`] plus the configured extra tags.
//!
//! Only the listed attributes are read; patient names, IDs, birth dates and accession
//! numbers are never copied out of the data set (the birth date is used for the age and
//! dropped here).

use dicom_core::Tag;
use dicom_dictionary_std::tags;
use dicom_object::InMemDicomObject;

use super::age;
use super::read::{FileReject, ParsedHeader};
use crate::config::{ExtraKind, ExtraTag};
use crate::table::schema::{self, HeaderType};

/// One typed cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    Number(f64),
    Integer(i32),
    Flag(bool),
    /// Days since 1970-01-01.
    Date(i32),
}

/// One row of `headers.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderRecord {
    pub sop_instance_uid: String,
    pub series_instance_uid: String,
    pub study_instance_uid: Option<String>,
    pub source_path: String,
    /// Aligned with [`schema::HEADER_FIELDS`].
    pub fields: Vec<Value>,
    /// Aligned with the config's `extra_tags`.
    pub extras: Vec<Value>,
}

/// A configured extra tag, resolved once per run.
#[derive(Debug, Clone, Copy)]
pub struct ExtraColumn {
    pub tag: Tag,
    pub kind: ExtraKind,
}

impl ExtraColumn {
    pub fn resolve(extras: &[ExtraTag]) -> Vec<ExtraColumn> {
        extras
            .iter()
            .map(|e| {
                let (g, el) = e.parse_tag().expect("config validated the tag");
                ExtraColumn {
                    tag: Tag(g, el),
                    kind: e.kind,
                }
            })
            .collect()
    }
}

/// Extracts a row; a file without SOP or Series Instance UID cannot be a unit and is
/// rejected.
pub fn extract(
    parsed: &ParsedHeader,
    source_path: String,
    extras: &[ExtraColumn],
) -> Result<HeaderRecord, FileReject> {
    let ds = &parsed.dataset;
    let uid = |tag: Tag, name: &str| {
        text(ds, tag).ok_or_else(|| {
            FileReject::new(
                "missing-uid",
                format!("no {name} ({:04X},{:04X})", tag.0, tag.1),
            )
        })
    };
    let sop_instance_uid = uid(tags::SOP_INSTANCE_UID, "SOPInstanceUID")?;
    let series_instance_uid = uid(tags::SERIES_INSTANCE_UID, "SeriesInstanceUID")?;
    let fields = schema::HEADER_FIELDS
        .iter()
        .map(|(name, kind)| field(ds, name, *kind, &parsed.transfer_syntax))
        .collect();
    let extras = extras
        .iter()
        .map(|extra| match extra.kind {
            ExtraKind::Numeric => number(ds, extra.tag),
            ExtraKind::Categorical => text(ds, extra.tag).map_or(Value::Null, Value::Text),
        })
        .collect();
    Ok(HeaderRecord {
        sop_instance_uid,
        series_instance_uid,
        study_instance_uid: text(ds, tags::STUDY_INSTANCE_UID),
        source_path,
        fields,
        extras,
    })
}

fn field(ds: &InMemDicomObject, name: &str, kind: HeaderType, ts: &str) -> Value {
    let plain_tag = match name {
        "modality" => tags::MODALITY,
        "manufacturer" => tags::MANUFACTURER,
        "manufacturer_model_name" => tags::MANUFACTURER_MODEL_NAME,
        "software_versions" => tags::SOFTWARE_VERSIONS,
        "station_name" => tags::STATION_NAME,
        "body_part_examined" => tags::BODY_PART_EXAMINED,
        "convolution_kernel" => tags::CONVOLUTION_KERNEL,
        "patient_sex" => tags::PATIENT_SEX,
        "slice_thickness" => tags::SLICE_THICKNESS,
        "spacing_between_slices" => tags::SPACING_BETWEEN_SLICES,
        "rows" => tags::ROWS,
        "columns" => tags::COLUMNS,
        "kvp" => tags::KVP,
        "exposure_mas" => tags::EXPOSURE,
        "magnetic_field_strength" => tags::MAGNETIC_FIELD_STRENGTH,
        "repetition_time" => tags::REPETITION_TIME,
        "echo_time" => tags::ECHO_TIME,
        "patient_age_years" => return patient_age(ds),
        "pixel_spacing_row" => return pixel_spacing(ds, 0),
        "pixel_spacing_col" => return pixel_spacing(ds, 1),
        "contrast_agent" => {
            return Value::Flag(text(ds, tags::CONTRAST_BOLUS_AGENT).is_some());
        }
        "study_date" => return date(ds, tags::STUDY_DATE).map_or(Value::Null, Value::Date),
        "transfer_syntax_uid" => return Value::Text(ts.to_string()),
        other => unreachable!("header column {other} has no extraction rule"),
    };
    match kind {
        HeaderType::Text => text(ds, plain_tag).map_or(Value::Null, Value::Text),
        HeaderType::Number => number(ds, plain_tag),
        HeaderType::Integer => integer(ds, plain_tag),
        HeaderType::Flag | HeaderType::Date => unreachable!("handled above"),
    }
}

// Lookups use `get`, not `element_opt`: for an absent tag dicom-object's error value
// captures a backtrace, which cost ~30% of scan time (docs/performance.md).

/// The element's value as trimmed text (multiple values joined with `\`); None if absent,
/// empty, or not a primitive value.
fn text(ds: &InMemDicomObject, tag: Tag) -> Option<String> {
    let element = ds.get(tag)?;
    let value = element.to_str().ok()?;
    let trimmed = value.trim_matches(|c: char| c == ' ' || c == '\0');
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

fn number(ds: &InMemDicomObject, tag: Tag) -> Value {
    let Some(element) = ds.get(tag) else {
        return Value::Null;
    };
    let parsed = element.to_float64().ok().or_else(|| {
        // Lenient fallback for DS/IS text dicom-core refuses (e.g. "5 " or "1,5").
        let raw = element.to_str().ok()?;
        let first = raw.split('\\').next()?.trim().replace(',', ".");
        first.parse::<f64>().ok()
    });
    match parsed {
        Some(v) if v.is_finite() => Value::Number(v),
        _ => Value::Null,
    }
}

fn integer(ds: &InMemDicomObject, tag: Tag) -> Value {
    ds.get(tag)
        .and_then(|element| element.to_int::<i32>().ok())
        .map_or(Value::Null, Value::Integer)
}

fn pixel_spacing(ds: &InMemDicomObject, index: usize) -> Value {
    let Some(element) = ds.get(tags::PIXEL_SPACING) else {
        return Value::Null;
    };
    match element.to_multi_float64() {
        Ok(values) => values
            .get(index)
            .copied()
            .filter(|v| v.is_finite())
            .map_or(Value::Null, Value::Number),
        Err(_) => Value::Null,
    }
}

fn date(ds: &InMemDicomObject, tag: Tag) -> Option<i32> {
    let parsed = age::parse_da(&text(ds, tag)?)?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    i32::try_from((parsed - epoch).num_days()).ok()
}

/// PatientAge when present and valid; else completed years between PatientBirthDate and
/// the study (or series, or acquisition) date.
fn patient_age(ds: &InMemDicomObject) -> Value {
    if let Some(years) = text(ds, tags::PATIENT_AGE).and_then(|t| age::parse_age_string(&t)) {
        return Value::Number(years);
    }
    let birth = text(ds, tags::PATIENT_BIRTH_DATE).and_then(|t| age::parse_da(&t));
    let at = [tags::STUDY_DATE, tags::SERIES_DATE, tags::ACQUISITION_DATE]
        .into_iter()
        .find_map(|tag| text(ds, tag).and_then(|t| age::parse_da(&t)));
    match (birth, at) {
        (Some(birth), Some(at)) => {
            age::age_from_dates(birth, at).map_or(Value::Null, Value::Number)
        }
        _ => Value::Null,
    }
}

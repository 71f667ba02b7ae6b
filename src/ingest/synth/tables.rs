//! `synth --tables`: the same synthetic cases written straight to `headers.parquet` and
//! `inferences.parquet`, skipping DICOM files. For calibration and speed benchmarks that
//! need 10⁵–10⁶ cases per run; the values are those a scan of the DICOM files would give.

use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::candidate::CANDIDATE_VERSION;
use super::files::{uid, SeriesIds};
use super::population::{Case, MODEL_NAME};
use crate::error::Result;
use crate::ingest::dicom::batch::headers_batch;
use crate::ingest::dicom::fields::{HeaderRecord, Value};
use crate::ingest::logs::batch::inferences_batch;
use crate::ingest::logs::row::InferenceRow;
use crate::table::columns::HeaderColumn;
use crate::table::parquet::TableWriter;
use crate::table::schema;

const BATCH: usize = 65_536;

/// One header row per slice of each case.
pub fn write_headers(
    path: &Path,
    cases: &[(Case, SeriesIds, i64)],
    slices: u32,
    matrix: u16,
    rng: &mut impl rand::Rng,
) -> Result<()> {
    let schema = schema::headers_schema(&[]);
    let mut writer = TableWriter::create(path, schema.clone())?;
    let mut rows = Vec::with_capacity(BATCH);
    for (index, (case, ids, _)) in cases.iter().enumerate() {
        for slice in 0..slices {
            rows.push(record(case, ids, uid(rng), index, slice, matrix));
            if rows.len() == BATCH {
                writer.write(&headers_batch(&schema, &rows))?;
                rows.clear();
            }
        }
    }
    if !rows.is_empty() {
        writer.write(&headers_batch(&schema, &rows))?;
    }
    writer.finish()?;
    Ok(())
}

fn record(
    case: &Case,
    ids: &SeriesIds,
    sop: String,
    index: usize,
    slice: u32,
    matrix: u16,
) -> HeaderRecord {
    let text = |s: &str| Value::Text(s.to_string());
    let num = |v: Option<f64>| v.map_or(Value::Null, Value::Number);
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let fields = HeaderColumn::ALL
        .iter()
        .map(|column| match column {
            HeaderColumn::Modality => text(case.scanner.modality),
            HeaderColumn::Manufacturer => text(case.scanner.manufacturer),
            HeaderColumn::ManufacturerModelName => text(case.scanner.model),
            HeaderColumn::SoftwareVersions => text(case.scanner.software),
            HeaderColumn::StationName => text(case.scanner.station),
            HeaderColumn::BodyPartExamined => text(case.body_part),
            HeaderColumn::ConvolutionKernel => case.kernel.map_or(Value::Null, text),
            HeaderColumn::PatientSex => text(case.sex),
            HeaderColumn::PatientAgeYears => Value::Number(f64::from(case.age_years)),
            HeaderColumn::SliceThickness | HeaderColumn::SpacingBetweenSlices => {
                Value::Number(case.slice_thickness)
            }
            HeaderColumn::PixelSpacingRow | HeaderColumn::PixelSpacingCol => {
                Value::Number(case.pixel_spacing)
            }
            HeaderColumn::Rows | HeaderColumn::Columns => Value::Integer(i32::from(matrix)),
            HeaderColumn::Kvp => num(case.kvp),
            HeaderColumn::ExposureMas => num(case.exposure_mas.map(f64::from)),
            HeaderColumn::ContrastAgent => Value::Flag(case.contrast),
            HeaderColumn::MagneticFieldStrength => num(case.scanner.field_strength),
            HeaderColumn::RepetitionTime => num(case.repetition_time),
            HeaderColumn::EchoTime => num(case.echo_time),
            HeaderColumn::StudyDate => Value::Date((ids.study_date - epoch).num_days() as i32),
            HeaderColumn::TransferSyntaxUid => text("1.2.840.10008.1.2.1"),
        })
        .collect();
    HeaderRecord {
        sop_instance_uid: sop,
        series_instance_uid: ids.series_uid.clone(),
        study_instance_uid: Some(ids.study_uid.clone()),
        source_path: format!("case{:05}/slice{:03}.dcm", index + 1, slice + 1),
        fields,
        extras: Vec::new(),
    }
}

/// One inference row per case, in the given (time) order: production's scores, or the
/// candidate's when `candidate` holds them (indexed like `cases`).
pub fn write_inferences(
    path: &Path,
    cases: &[(Case, SeriesIds, i64)],
    order: &[usize],
    start: DateTime<Utc>,
    candidate: Option<&[f64]>,
) -> Result<()> {
    let mut writer = TableWriter::create(path, schema::inferences_schema())?;
    let mut rows = Vec::with_capacity(BATCH);
    for &i in order {
        let (case, ids, offset_s) = &cases[i];
        let (model_version, score) = match candidate {
            Some(scores) => (CANDIDATE_VERSION, scores[i]),
            None => (case.model_version, case.score),
        };
        rows.push(InferenceRow {
            timestamp: (start + Duration::seconds(*offset_s)).timestamp_micros(),
            key: ids.series_uid.clone(),
            model: MODEL_NAME.to_string(),
            model_version: model_version.to_string(),
            score,
            prediction: i8::from(score >= 0.5),
            label: case.labelled.then_some(i8::from(case.label)),
            label_version: Some(case.label_version.to_string()),
            latency_ms: Some(case.latency_ms),
        });
        if rows.len() == BATCH {
            writer.write(&inferences_batch(&rows))?;
            rows.clear();
        }
    }
    if !rows.is_empty() {
        writer.write(&inferences_batch(&rows))?;
    }
    writer.finish()?;
    Ok(())
}

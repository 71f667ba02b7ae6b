//! Writing synthetic cases as real DICOM files (dicom-object's writer) and inference logs,
//! plus the broken files and lines of the `corrupt-files` scenario.
//!
//! Every file carries fake patient names, IDs, birth dates and accession numbers, exactly
//! as a PACS export would: they are what the privacy tests look for in every output.

use std::io::Write;
use std::path::Path;

use dicom_core::value::PrimitiveValue;
use dicom_core::{DataElement, Tag, VR};
use dicom_dictionary_std::{tags, uids};
use dicom_object::{FileMetaTableBuilder, InMemDicomObject};
use rand::Rng;

use super::population::{Case, MODEL_NAME};
use crate::error::{Error, Result};

/// Identity of one synthetic series.
pub struct SeriesIds {
    pub study_uid: String,
    pub series_uid: String,
    pub patient_name: String,
    pub patient_id: String,
    pub birth_date: String,
    pub accession: String,
    pub study_date: chrono::NaiveDate,
}

const FIRST_NAMES: &[&str] = &[
    "Claire", "Jonas", "Amara", "Pedro", "Mei", "Tomasz", "Fatima", "Oskar", "Ines", "Kwame",
    "Sofia", "Hiroshi", "Lena", "Rafael", "Noor", "Eamon",
];
const LAST_NAMES: &[&str] = &[
    "Moreau",
    "Lindqvist",
    "Okafor",
    "Alves",
    "Chen",
    "Nowak",
    "Haddad",
    "Berg",
    "Castro",
    "Mensah",
    "Rossi",
    "Tanaka",
    "Vogel",
    "Duarte",
    "Rahman",
    "Byrne",
];

/// A DICOM UID under the 2.25 (UUID-derived) root.
pub fn uid(rng: &mut impl Rng) -> String {
    format!("2.25.{}", rng.random::<u128>() >> 1)
}

impl SeriesIds {
    pub fn draw(rng: &mut impl Rng, case: &Case, study_date: chrono::NaiveDate) -> SeriesIds {
        let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
        let birth = study_date
            - chrono::Duration::days(
                (f64::from(case.age_years) * 365.25) as i64 + rng.random_range(0..365),
            );
        SeriesIds {
            study_uid: uid(rng),
            series_uid: uid(rng),
            patient_name: format!("{last}^{first}"),
            patient_id: format!("MRN{:08}", rng.random_range(0..100_000_000u32)),
            birth_date: birth.format("%Y%m%d").to_string(),
            accession: format!("ACC{:09}", rng.random_range(0..1_000_000_000u32)),
            study_date,
        }
    }
}

/// Writes the slices of one series into `dir`, `slices` files named `slice001.dcm`, ….
pub fn write_series(
    dir: &Path,
    case: &Case,
    ids: &SeriesIds,
    rng: &mut impl Rng,
    slices: u32,
    matrix: u16,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let ct = case.scanner.modality == "CT";
    let date = ids.study_date.format("%Y%m%d").to_string();
    for i in 0..slices {
        let sop_uid = uid(rng);
        let mut obj = InMemDicomObject::new_empty();
        let mut put = |tag: Tag, vr: VR, value: PrimitiveValue| {
            obj.put(DataElement::new(tag, vr, value));
        };
        let s = |text: &str| PrimitiveValue::from(text.to_string());
        put(tags::SPECIFIC_CHARACTER_SET, VR::CS, s("ISO_IR 100"));
        put(
            tags::IMAGE_TYPE,
            VR::CS,
            strs(&["ORIGINAL", "PRIMARY", "AXIAL"]),
        );
        let sop_class = if ct {
            uids::CT_IMAGE_STORAGE
        } else {
            uids::MR_IMAGE_STORAGE
        };
        put(tags::SOP_CLASS_UID, VR::UI, s(sop_class));
        put(tags::SOP_INSTANCE_UID, VR::UI, s(&sop_uid));
        put(tags::STUDY_DATE, VR::DA, s(&date));
        put(tags::SERIES_DATE, VR::DA, s(&date));
        put(tags::STUDY_TIME, VR::TM, s("081500"));
        put(tags::ACCESSION_NUMBER, VR::SH, s(&ids.accession));
        put(tags::MODALITY, VR::CS, s(case.scanner.modality));
        put(tags::MANUFACTURER, VR::LO, s(case.scanner.manufacturer));
        put(
            tags::INSTITUTION_NAME,
            VR::LO,
            s("Synthetic General Hospital"),
        );
        put(tags::REFERRING_PHYSICIAN_NAME, VR::PN, s("Referrer^Robin"));
        put(tags::STATION_NAME, VR::SH, s(case.scanner.station));
        put(tags::MANUFACTURER_MODEL_NAME, VR::LO, s(case.scanner.model));
        put(tags::PATIENT_NAME, VR::PN, s(&ids.patient_name));
        put(tags::PATIENT_ID, VR::LO, s(&ids.patient_id));
        put(tags::PATIENT_BIRTH_DATE, VR::DA, s(&ids.birth_date));
        put(tags::PATIENT_SEX, VR::CS, s(case.sex));
        put(
            tags::PATIENT_AGE,
            VR::AS,
            s(&format!("{:03}Y", case.age_years)),
        );
        put(tags::BODY_PART_EXAMINED, VR::CS, s(case.body_part));
        if case.contrast {
            put(tags::CONTRAST_BOLUS_AGENT, VR::LO, s("IOHEXOL 350"));
        }
        put(tags::SLICE_THICKNESS, VR::DS, s(&ds(case.slice_thickness)));
        put(
            tags::SPACING_BETWEEN_SLICES,
            VR::DS,
            s(&ds(case.slice_thickness)),
        );
        put(tags::SOFTWARE_VERSIONS, VR::LO, s(case.scanner.software));
        if let Some(kvp) = case.kvp {
            put(tags::KVP, VR::DS, s(&ds(kvp)));
        }
        if let Some(mas) = case.exposure_mas {
            put(tags::EXPOSURE, VR::IS, s(&mas.to_string()));
            put(tags::EXPOSURE_TIME, VR::IS, s("500"));
        }
        if let Some(kernel) = case.kernel {
            put(tags::CONVOLUTION_KERNEL, VR::SH, s(kernel));
        }
        if let Some(tesla) = case.scanner.field_strength {
            put(tags::MAGNETIC_FIELD_STRENGTH, VR::DS, s(&ds(tesla)));
        }
        if let Some(tr) = case.repetition_time {
            put(tags::REPETITION_TIME, VR::DS, s(&ds(tr)));
        }
        if let Some(te) = case.echo_time {
            put(tags::ECHO_TIME, VR::DS, s(&ds(te)));
        }
        put(tags::STUDY_INSTANCE_UID, VR::UI, s(&ids.study_uid));
        put(tags::SERIES_INSTANCE_UID, VR::UI, s(&ids.series_uid));
        put(tags::SERIES_NUMBER, VR::IS, s("2"));
        put(tags::INSTANCE_NUMBER, VR::IS, s(&(i + 1).to_string()));
        let z = f64::from(i) * case.slice_thickness;
        put(
            tags::IMAGE_POSITION_PATIENT,
            VR::DS,
            strs(&["-180", "-180", &ds(-z)]),
        );
        put(
            tags::IMAGE_ORIENTATION_PATIENT,
            VR::DS,
            strs(&["1", "0", "0", "0", "1", "0"]),
        );
        put(tags::SLICE_LOCATION, VR::DS, s(&ds(-z)));
        put(tags::SAMPLES_PER_PIXEL, VR::US, PrimitiveValue::from(1u16));
        put(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, s("MONOCHROME2"));
        put(tags::ROWS, VR::US, PrimitiveValue::from(matrix));
        put(tags::COLUMNS, VR::US, PrimitiveValue::from(matrix));
        let spacing = ds(case.pixel_spacing);
        put(tags::PIXEL_SPACING, VR::DS, strs(&[&spacing, &spacing]));
        put(tags::BITS_ALLOCATED, VR::US, PrimitiveValue::from(16u16));
        put(tags::BITS_STORED, VR::US, PrimitiveValue::from(12u16));
        put(tags::HIGH_BIT, VR::US, PrimitiveValue::from(11u16));
        put(
            tags::PIXEL_REPRESENTATION,
            VR::US,
            PrimitiveValue::from(0u16),
        );
        if ct {
            put(tags::RESCALE_INTERCEPT, VR::DS, s("-1024"));
            put(tags::RESCALE_SLOPE, VR::DS, s("1"));
        }
        let pixels: Vec<u16> = (0..usize::from(matrix) * usize::from(matrix))
            .map(|_| rng.random_range(0..4096u16))
            .collect();
        put(tags::PIXEL_DATA, VR::OW, PrimitiveValue::U16(pixels.into()));
        let file = obj
            .with_meta(FileMetaTableBuilder::new().transfer_syntax(uids::EXPLICIT_VR_LITTLE_ENDIAN))
            .map_err(|e| Error::Encode {
                path: dir.to_path_buf(),
                message: e.to_string(),
            })?;
        let path = dir.join(format!("slice{:03}.dcm", i + 1));
        file.write_to_file(&path).map_err(|e| Error::Encode {
            path: path.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

fn strs(values: &[&str]) -> PrimitiveValue {
    PrimitiveValue::Strs(values.iter().map(|v| v.to_string()).collect())
}

/// A DS value: shortest decimal text, at most 16 characters.
fn ds(v: f64) -> String {
    let text = format!("{v}");
    if text.len() <= 16 {
        text
    } else {
        format!("{v:.6}")
    }
}

/// One JSONL inference line for a case.
pub fn inference_line(case: &Case, key: &str, timestamp: &str, threshold: f64) -> String {
    model_line(
        case,
        key,
        timestamp,
        case.model_version,
        case.score,
        threshold,
    )
}

/// One JSONL inference line for a case as scored by a given model version.
pub fn model_line(
    case: &Case,
    key: &str,
    timestamp: &str,
    model_version: &str,
    score: f64,
    threshold: f64,
) -> String {
    let label = if case.labelled {
        serde_json::Value::from(u8::from(case.label))
    } else {
        serde_json::Value::Null
    };
    serde_json::json!({
        "timestamp": timestamp,
        "key": key,
        "model": MODEL_NAME,
        "model_version": model_version,
        "score": score,
        "prediction": u8::from(score >= threshold),
        "label": label,
        "label_version": case.label_version,
        "latency_ms": case.latency_ms,
    })
    .to_string()
}

/// Breaks a written DICOM file in one of four ways (chosen by `mode`); returns the way.
pub fn corrupt_file(path: &Path, mode: u64, rng: &mut impl Rng) -> Result<&'static str> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    let (broken, how): (Vec<u8>, &'static str) = match mode % 4 {
        0 => (bytes[..bytes.len().min(300)].to_vec(), "truncated"),
        1 => (Vec::new(), "empty"),
        2 => {
            let mut garbage = bytes[..132].to_vec();
            garbage.extend((0..400).map(|_| rng.random::<u8>()));
            (garbage, "garbage-after-preamble")
        }
        _ => {
            // The first data-set element after the meta group gets a 0xFFFFFFF0 length,
            // written as an OB element so the 4-byte length field exists.
            let meta_len = u32::from_le_bytes(bytes[140..144].try_into().expect("4 bytes"));
            let at = 144 + meta_len as usize;
            let mut b = bytes[..at].to_vec();
            b.extend([
                0x09, 0x00, 0x10, 0x10, b'O', b'B', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF,
            ]);
            b.extend(std::iter::repeat_n(0u8, 64));
            (b, "absurd-length")
        }
    };
    let mut f = std::fs::File::create(path).map_err(|e| Error::write(path, e))?;
    f.write_all(&broken).map_err(|e| Error::write(path, e))?;
    Ok(how)
}

/// A malformed variant of a log line (chosen by `mode`).
pub fn corrupt_line(line: &str, mode: u64) -> String {
    match mode % 5 {
        0 => line[..line.len() / 2].to_string(),
        1 => line.replacen("\"score\":", "\"score\":1.7,\"was\":", 1),
        2 => line.replacen("\"key\":", "\"kee\":", 1),
        3 => line.replacen("\"timestamp\":\"", "\"timestamp\":\"yesterday ", 1),
        _ => "this is not JSON".to_string(),
    }
}

//! From a walked header to one `headers.parquet` row: typed values for every column of
//! [`HeaderColumn::ALL`] plus the configured extra tags.
//!
//! A value that is present but cannot be read (text not valid in its character set, a
//! number that is not one) is stored as null with a [`Note`] saying which element and why;
//! the scan counts the notes, so no value is dropped silently.
//!
//! Only the listed attributes are read; patient names, IDs, birth dates and accession
//! numbers are never copied out of the data set (the birth date is used for the age and
//! dropped here).

use dicom_core::Tag;
use dicom_dictionary_std::tags;

use super::age;
use super::header::Header;
use super::read::FileReject;
use super::value::{self, Problem};
use crate::config::{ExtraKind, ExtraTag};
use crate::table::columns::{DicomSource, HeaderColumn, HeaderType};

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

/// A value that was present but stored as null, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// A short stable kind (`undecodable-text`, `unparsable-number`, ...).
    pub kind: &'static str,
    /// Which element and what was wrong; never the value itself (it may be PHI).
    pub reason: String,
}

/// One row of `headers.parquet`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderRecord {
    pub sop_instance_uid: String,
    pub series_instance_uid: String,
    pub study_instance_uid: Option<String>,
    pub source_path: String,
    /// Aligned with [`HeaderColumn::ALL`].
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

/// Reads typed values from a header, noting every present value it has to null.
struct Reader<'a> {
    header: &'a Header,
    notes: Vec<Note>,
}

impl Reader<'_> {
    fn note(&mut self, tag: Tag, problem: &Problem) {
        let name = keyword(tag);
        self.notes.push(Note {
            kind: problem.kind(),
            reason: format!(
                "{name} ({:04X},{:04X}) stored as null: {}",
                tag.0,
                tag.1,
                problem.describe()
            ),
        });
    }

    fn text(&mut self, tag: Tag) -> Option<String> {
        let field = self.header.get(tag)?;
        match value::text(&field, self.header.charset()) {
            Ok(text) => text,
            Err(problem) => {
                self.note(tag, &problem);
                None
            }
        }
    }

    fn number(&mut self, tag: Tag, index: usize) -> Value {
        let Some(field) = self.header.get(tag) else {
            return Value::Null;
        };
        match value::numbers(&field, self.header.charset()) {
            Ok(values) => values
                .get(index)
                .copied()
                .map_or(Value::Null, Value::Number),
            Err(problem) => {
                self.note(tag, &problem);
                Value::Null
            }
        }
    }

    fn integer(&mut self, tag: Tag) -> Value {
        let Some(field) = self.header.get(tag) else {
            return Value::Null;
        };
        match value::integer(&field, self.header.charset()) {
            Ok(v) => v.map_or(Value::Null, Value::Integer),
            Err(problem) => {
                self.note(tag, &problem);
                Value::Null
            }
        }
    }

    /// A DA value as a date.
    fn date(&mut self, tag: Tag) -> Option<chrono::NaiveDate> {
        let text = self.text(tag)?;
        let parsed = age::parse_da(&text);
        if parsed.is_none() {
            self.note_kind(tag, "unparsable-date", "not a DA date (YYYYMMDD)");
        }
        parsed
    }

    fn note_kind(&mut self, tag: Tag, kind: &'static str, what: &str) {
        let name = keyword(tag);
        self.notes.push(Note {
            kind,
            reason: format!(
                "{name} ({:04X},{:04X}) stored as null: {what}",
                tag.0, tag.1
            ),
        });
    }
}

fn keyword(tag: Tag) -> &'static str {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .map_or("private tag", |e| e.alias())
}

/// Extracts a row and the notes on values it nulled; a file without a readable SOP or
/// Series Instance UID cannot be a unit and is rejected.
pub fn extract(
    header: &Header,
    source_path: String,
    extras: &[ExtraColumn],
) -> Result<(HeaderRecord, Vec<Note>), FileReject> {
    let mut r = Reader {
        header,
        notes: Vec::new(),
    };
    let uid = |r: &mut Reader<'_>, tag: Tag, name: &str| {
        let before = r.notes.len();
        r.text(tag).ok_or_else(|| {
            if r.notes.len() > before {
                let note = r.notes.pop().expect("a note was just added");
                FileReject::new("bad-uid", note.reason.replace(" stored as null", ""))
            } else {
                FileReject::new(
                    "missing-uid",
                    format!("no {name} ({:04X},{:04X})", tag.0, tag.1),
                )
            }
        })
    };
    let sop_instance_uid = uid(&mut r, tags::SOP_INSTANCE_UID, "SOPInstanceUID")?;
    let series_instance_uid = uid(&mut r, tags::SERIES_INSTANCE_UID, "SeriesInstanceUID")?;
    let fields = HeaderColumn::ALL
        .iter()
        .map(|column| field(&mut r, *column))
        .collect();
    let extras = extras
        .iter()
        .map(|extra| match extra.kind {
            ExtraKind::Numeric => r.number(extra.tag, 0),
            ExtraKind::Categorical => r.text(extra.tag).map_or(Value::Null, Value::Text),
        })
        .collect();
    let study_instance_uid = r.text(tags::STUDY_INSTANCE_UID);
    let row = HeaderRecord {
        sop_instance_uid,
        series_instance_uid,
        study_instance_uid,
        source_path,
        fields,
        extras,
    };
    Ok((row, r.notes))
}

fn field(r: &mut Reader<'_>, column: HeaderColumn) -> Value {
    match (column.dicom(), column.value_type()) {
        (DicomSource::Element(tag), HeaderType::Text) => {
            r.text(tag).map_or(Value::Null, Value::Text)
        }
        (DicomSource::Element(tag), HeaderType::Number) => r.number(tag, 0),
        (DicomSource::Element(tag), HeaderType::Integer) => r.integer(tag),
        (DicomSource::Nth(tag, n), _) => r.number(tag, n),
        (DicomSource::Age, _) => patient_age(r),
        (DicomSource::Element(tag), HeaderType::Flag) => Value::Flag(r.text(tag).is_some()),
        (DicomSource::Element(tag), HeaderType::Date) => r.date(tag).map_or(Value::Null, |d| {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
            i32::try_from((d - epoch).num_days()).map_or(Value::Null, Value::Date)
        }),
        (DicomSource::TransferSyntax, _) => Value::Text(r.header.transfer_syntax.clone()),
    }
}

/// PatientAge when present and valid; else completed years between PatientBirthDate and
/// the study (or series, or acquisition) date.
fn patient_age(r: &mut Reader<'_>) -> Value {
    if let Some(text) = r.text(tags::PATIENT_AGE) {
        match age::parse_age_string(&text) {
            Some(years) => return Value::Number(years),
            None => r.note_kind(
                tags::PATIENT_AGE,
                "unparsable-age",
                "not an AS age (nnnY/M/W/D); the birth date is used instead",
            ),
        }
    }
    let birth = r.date(tags::PATIENT_BIRTH_DATE);
    let at = [tags::STUDY_DATE, tags::SERIES_DATE, tags::ACQUISITION_DATE]
        .into_iter()
        .find_map(|tag| {
            let text = r.header.get(tag)?;
            let text = value::text(&text, r.header.charset()).ok()??;
            age::parse_da(&text)
        });
    match (birth, at) {
        (Some(birth), Some(at)) => {
            age::age_from_dates(birth, at).map_or(Value::Null, Value::Number)
        }
        _ => Value::Null,
    }
}

//! Validation of one inference-log row: raw text cells in, a typed row or a reason out.
//!
//! Timestamps: RFC 3339 with an offset (`2024-05-01T08:00:00Z`, `…+02:00`), or epoch
//! seconds / milliseconds (a number of magnitude ≥ 1e11 is milliseconds: 1e11 seconds
//! would be the year 5138). A timestamp without an offset is refused: its time zone is a
//! guess, and nightly windows would silently shift.

use chrono::DateTime;

/// A timestamp cell: text from JSONL/CSV, or already typed (Parquet timestamp columns).
#[derive(Debug, Clone, Copy)]
pub enum TimeCell<'a> {
    Text(&'a str),
    Micros(i64),
}

/// The cells of one row, by our column names (after the config's column mapping).
#[derive(Debug, Default, Clone, Copy)]
pub struct RawRow<'a> {
    pub timestamp: Option<TimeCell<'a>>,
    pub key: Option<&'a str>,
    pub model: Option<&'a str>,
    pub model_version: Option<&'a str>,
    pub score: Option<&'a str>,
    pub prediction: Option<&'a str>,
    pub label: Option<&'a str>,
    pub label_version: Option<&'a str>,
    pub latency_ms: Option<&'a str>,
}

/// A validated inference.
#[derive(Debug, Clone, PartialEq)]
pub struct InferenceRow {
    /// Microseconds since the Unix epoch, UTC.
    pub timestamp: i64,
    pub key: String,
    pub model: String,
    pub model_version: String,
    pub score: f64,
    pub prediction: i8,
    pub label: Option<i8>,
    pub label_version: Option<String>,
    pub latency_ms: Option<f64>,
}

/// Why a row was refused: a stable kind and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub kind: &'static str,
    pub reason: String,
}

fn fail(kind: &'static str, reason: String) -> RowError {
    RowError { kind, reason }
}

/// Quotes a cell for an error message, cut short so a reason never carries a long value.
fn shown(cell: &str) -> String {
    let cut: String = cell.chars().take(40).collect();
    if cut.len() < cell.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

fn present(cell: Option<&str>) -> Option<&str> {
    cell.map(str::trim).filter(|s| !s.is_empty())
}

fn required<'a>(cell: Option<&'a str>, name: &str) -> Result<&'a str, RowError> {
    present(cell).ok_or_else(|| fail("missing-field", format!("{name}: required but missing")))
}

/// Validates `raw`; `threshold` derives the prediction when the row has none.
pub fn validate(raw: &RawRow<'_>, threshold: f64) -> Result<InferenceRow, RowError> {
    let timestamp = match raw.timestamp {
        None => {
            return Err(fail(
                "missing-field",
                "timestamp: required but missing".into(),
            ))
        }
        Some(TimeCell::Micros(us)) => us,
        Some(TimeCell::Text(text)) => match present(Some(text)) {
            None => {
                return Err(fail(
                    "missing-field",
                    "timestamp: required but missing".into(),
                ))
            }
            Some(text) => parse_timestamp(text)?,
        },
    };
    let key = required(raw.key, "key")?.to_string();
    let model = required(raw.model, "model")?.to_string();
    let model_version = required(raw.model_version, "model_version")?.to_string();
    let score_text = required(raw.score, "score")?;
    let score = match score_text.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => v,
        _ => {
            return Err(fail(
                "bad-score",
                format!(
                    "score: expected a number in [0, 1], got {}",
                    shown(score_text)
                ),
            ))
        }
    };
    let label = match present(raw.label) {
        None => None,
        Some(text) => Some(parse_binary(text).ok_or_else(|| {
            fail(
                "bad-label",
                format!("label: expected 0, 1 or empty, got {}", shown(text)),
            )
        })?),
    };
    let prediction = match present(raw.prediction) {
        None => i8::from(score >= threshold),
        Some(text) => parse_binary(text).ok_or_else(|| {
            fail(
                "bad-prediction",
                format!("prediction: expected 0 or 1, got {}", shown(text)),
            )
        })?,
    };
    let latency_ms = match present(raw.latency_ms) {
        None => None,
        Some(text) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Some(v),
            _ => {
                return Err(fail(
                    "bad-latency",
                    format!(
                        "latency_ms: expected a non-negative number, got {}",
                        shown(text)
                    ),
                ))
            }
        },
    };
    Ok(InferenceRow {
        timestamp,
        key,
        model,
        model_version,
        score,
        prediction,
        label,
        label_version: present(raw.label_version).map(str::to_string),
        latency_ms,
    })
}

fn parse_binary(text: &str) -> Option<i8> {
    match text {
        "0" | "0.0" | "false" | "False" | "FALSE" => Some(0),
        "1" | "1.0" | "true" | "True" | "TRUE" => Some(1),
        _ => None,
    }
}

/// Parses an RFC 3339 timestamp or epoch seconds/milliseconds into UTC microseconds.
pub fn parse_timestamp(text: &str) -> Result<i64, RowError> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt.timestamp_micros());
    }
    if let Ok(v) = text.parse::<f64>() {
        if v.is_finite() && v >= 0.0 {
            let micros = if v >= 1e11 { v * 1e3 } else { v * 1e6 };
            if micros < 1e17 {
                return Ok(micros.round() as i64);
            }
        }
    }
    Err(fail(
        "bad-timestamp",
        format!(
            "timestamp: expected RFC 3339 with an offset (2024-05-01T08:00:00Z) or epoch seconds/milliseconds, got {}",
            shown(text)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>() -> RawRow<'a> {
        RawRow {
            timestamp: Some(TimeCell::Text("2024-05-01T08:00:00Z")),
            key: Some("1.2.3"),
            model: Some("edema-net"),
            model_version: Some("2.1.0"),
            score: Some("0.7"),
            ..RawRow::default()
        }
    }

    #[test]
    fn timestamps_in_every_accepted_form_agree() {
        let expected = 1_714_550_400_000_000;
        for text in [
            "2024-05-01T08:00:00Z",
            "2024-05-01T10:00:00+02:00",
            "2024-05-01 08:00:00Z",
            "1714550400",
            "1714550400000",
            "1714550400.0",
        ] {
            assert_eq!(parse_timestamp(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn timestamp_without_offset_is_refused() {
        let err = parse_timestamp("2024-05-01T08:00:00").unwrap_err();
        assert_eq!(err.kind, "bad-timestamp");
    }

    #[test]
    fn prediction_is_derived_from_the_threshold_when_absent() {
        assert_eq!(validate(&row(), 0.5).unwrap().prediction, 1);
        assert_eq!(validate(&row(), 0.8).unwrap().prediction, 0);
    }

    #[test]
    fn score_outside_unit_interval_is_refused_with_its_value() {
        let raw = RawRow {
            score: Some("1.7"),
            ..row()
        };
        let err = validate(&raw, 0.5).unwrap_err();
        assert_eq!(err.kind, "bad-score");
        assert!(err.reason.contains("1.7"), "{}", err.reason);
    }

    #[test]
    fn labels_accept_binary_forms_and_empty() {
        for (text, expected) in [("1", Some(1)), ("false", Some(0)), ("", None)] {
            let raw = RawRow {
                label: Some(text),
                ..row()
            };
            assert_eq!(validate(&raw, 0.5).unwrap().label, expected, "{text}");
        }
        let raw = RawRow {
            label: Some("2"),
            ..row()
        };
        assert_eq!(validate(&raw, 0.5).unwrap_err().kind, "bad-label");
    }

    #[test]
    fn missing_required_field_names_it() {
        let raw = RawRow {
            model_version: None,
            ..row()
        };
        let err = validate(&raw, 0.5).unwrap_err();
        assert_eq!(err.kind, "missing-field");
        assert!(err.reason.starts_with("model_version"), "{}", err.reason);
    }
}

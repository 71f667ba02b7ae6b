//! The serving window of a run: which cases a nightly audit looks at.
//!
//! `--window 2026-11-30T00:00:00Z..2026-12-01T00:00:00Z` names it (RFC 3339, half-open:
//! the start is in, the end is out, so consecutive nights never share a case);
//! `--since 24h` is the window that ends at the run clock ([`crate::clock`], which honours
//! `SOURCE_DATE_EPOCH`) and starts that long before. [`filter_cases`] keeps the cases of a
//! joined case table whose inference timestamp — or, for a case without an inference, its
//! study date — falls in the window, and counts the rest.

use std::fmt;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, TimestampMicrosecondType};
use arrow_array::{Array, BooleanArray, RecordBatch};
use arrow_select::filter::filter_record_batch;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use crate::error::{Error, Result};
use crate::table::schema;

/// A half-open time window `[start, end)`, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    /// A window whose end is after its start.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Window> {
        if end <= start {
            return Err(Error::Usage(format!(
                "window end {} is not after its start {}",
                rfc3339(end),
                rfc3339(start)
            )));
        }
        Ok(Window { start, end })
    }

    /// Whether `t` is in the window (start included, end excluded).
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }

    pub fn length(&self) -> TimeDelta {
        self.end - self.start
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", rfc3339(self.start), rfc3339(self.end))
    }
}

/// RFC 3339 in UTC with a `Z`, to the second (to the microsecond when there is a fraction),
/// the form every report and history file uses.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    let format = if t.timestamp_subsec_micros() == 0 {
        SecondsFormat::Secs
    } else {
        SecondsFormat::Micros
    };
    t.to_rfc3339_opts(format, true)
}

/// Parses `--window START..END`: two RFC 3339 times, the end after the start.
pub fn parse_window(spec: &str) -> Result<Window> {
    let usage = |what: String| {
        Error::Usage(format!(
            "--window {spec:?}: {what}; expected START..END in RFC 3339, e.g. \
             2026-11-30T00:00:00Z..2026-12-01T00:00:00Z"
        ))
    };
    let (start, end) = spec
        .split_once("..")
        .ok_or_else(|| usage("no `..` between start and end".into()))?;
    let time = |label: &str, s: &str| {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| usage(format!("{label} {s:?} is not an RFC 3339 time ({e})")))
    };
    let (start, end) = (time("start", start)?, time("end", end)?);
    Window::new(start, end).map_err(|e| usage(e.to_string()))
}

/// Parses `--since DURATION` (`30s`, `90m`, `24h`, `7d`, `2w`: a whole number and a unit)
/// into the window that ends at `now`.
pub fn since(spec: &str, now: DateTime<Utc>) -> Result<Window> {
    let usage = |what: &str| {
        Error::Usage(format!(
            "--since {spec:?}: {what}; expected a whole number and a unit s, m, h, d or w, e.g. 24h"
        ))
    };
    let spec_trim = spec.trim();
    let split = spec_trim
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| usage("no unit"))?;
    let (number, unit) = spec_trim.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| usage("no number before the unit"))?;
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(usage(&format!("unknown unit {unit:?}"))),
    };
    let length = n
        .checked_mul(seconds_per)
        .and_then(TimeDelta::try_seconds)
        .filter(|d| *d > TimeDelta::zero())
        .ok_or_else(|| usage("the duration must be positive and at most a few centuries"))?;
    let start = now
        .checked_sub_signed(length)
        .ok_or_else(|| usage("starts before the calendar does"))?;
    Window::new(start, now)
}

/// [`since`] relative to the run clock ([`crate::clock::run_timestamp`], which honours
/// `SOURCE_DATE_EPOCH`).
pub fn since_now(spec: &str) -> Result<Window> {
    let now = DateTime::parse_from_rfc3339(&crate::clock::run_timestamp())
        .expect("the clock writes RFC 3339")
        .with_timezone(&Utc);
    since(spec, now)
}

/// The header column a case without an inference is dated by. A DICOM date has no time
/// and no time zone: the study counts at 00:00 UTC of its day, so each day falls in
/// exactly one of a run of consecutive windows.
pub const STUDY_DATE: &str = crate::table::columns::HeaderColumn::StudyDate.name();

/// What [`filter_cases`] kept and left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct WindowCounts {
    pub kept: u64,
    /// Dated, but outside the window.
    pub outside: u64,
    /// Neither an inference timestamp nor a study date.
    pub undated: u64,
}

/// The cases of `cases` (a table from `table::cases::build_cases`) that fall in `window`:
/// by the inference timestamp ([`schema::TIMESTAMP`]) where there is one, else by the
/// study date ([`STUDY_DATE`]). A table with neither column has only undated cases. A
/// column of the wrong type is an error naming it.
pub fn filter_cases(cases: &RecordBatch, window: &Window) -> Result<(RecordBatch, WindowCounts)> {
    let wrong = |name: &str, want: &str| {
        Error::invalid(
            "case table",
            format!(
                "column {name} is {}, expected {want}",
                cases.column_by_name(name).expect("present").data_type()
            ),
        )
    };
    let times = match cases.column_by_name(schema::TIMESTAMP) {
        Some(c) => Some(
            c.as_primitive_opt::<TimestampMicrosecondType>()
                .ok_or_else(|| wrong(schema::TIMESTAMP, "timestamp[µs, UTC]"))?,
        ),
        None => None,
    };
    let dates = match cases.column_by_name(STUDY_DATE) {
        Some(c) => Some(
            c.as_primitive_opt::<Date32Type>()
                .ok_or_else(|| wrong(STUDY_DATE, "date32"))?,
        ),
        None => None,
    };
    let (start, end) = (
        window.start.timestamp_micros(),
        window.end.timestamp_micros(),
    );
    const MICROS_PER_DAY: i64 = 86_400_000_000;
    let mut counts = WindowCounts::default();
    let keep: BooleanArray = (0..cases.num_rows())
        .map(|i| {
            let time = times
                .filter(|t| t.is_valid(i))
                .map(|t| t.value(i))
                .or_else(|| {
                    dates
                        .filter(|d| d.is_valid(i))
                        .map(|d| i64::from(d.value(i)) * MICROS_PER_DAY)
                });
            let inside = match time {
                Some(t) if start <= t && t < end => {
                    counts.kept += 1;
                    true
                }
                Some(_) => {
                    counts.outside += 1;
                    false
                }
                None => {
                    counts.undated += 1;
                    false
                }
            };
            Some(inside)
        })
        .collect();
    let kept = filter_record_batch(cases, &keep)
        .map_err(|e| Error::invalid("case table", e.to_string()))?;
    Ok((kept, counts))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Date32Array, Int64Array, TimestampMicrosecondArray};

    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn usage_message(r: Result<Window>) -> String {
        match r {
            Err(Error::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn a_window_parses_as_rfc3339_and_is_half_open() {
        let w = parse_window("2026-11-30T00:00:00Z..2026-12-01T00:00:00Z").unwrap();
        assert_eq!(w.start, t("2026-11-30T00:00:00Z"));
        assert!(w.contains(w.start));
        assert!(!w.contains(w.end));
        assert_eq!(w.to_string(), "2026-11-30T00:00:00Z..2026-12-01T00:00:00Z");
        // Offsets are converted to UTC.
        let w = parse_window("2026-11-30T01:00:00+01:00..2026-11-30T12:00:00.5Z").unwrap();
        assert_eq!(w.start, t("2026-11-30T00:00:00Z"));
        assert_eq!(rfc3339(w.end), "2026-11-30T12:00:00.500000Z");
    }

    #[test]
    fn a_bad_window_says_what_was_expected() {
        let m = usage_message(parse_window("2026-11-30"));
        assert!(m.contains("no `..`") && m.contains("START..END"), "{m}");
        let m = usage_message(parse_window("2026-11-30..2026-12-01T00:00:00Z"));
        assert!(
            m.contains("start \"2026-11-30\" is not an RFC 3339 time"),
            "{m}"
        );
        let m = usage_message(parse_window("2026-12-01T00:00:00Z..2026-11-30T00:00:00Z"));
        assert!(m.contains("is not after its start"), "{m}");
    }

    #[test]
    fn since_counts_back_from_the_clock() {
        let now = t("2026-12-01T02:15:00Z");
        assert_eq!(since("24h", now).unwrap().start, t("2026-11-30T02:15:00Z"));
        assert_eq!(since("90m", now).unwrap().start, t("2026-12-01T00:45:00Z"));
        assert_eq!(since("30s", now).unwrap().length(), TimeDelta::seconds(30));
        assert_eq!(since("7d", now).unwrap().length(), TimeDelta::days(7));
        assert_eq!(since("2w", now).unwrap().length(), TimeDelta::days(14));
        assert_eq!(since("2w", now).unwrap().end, now);
        for (bad, says) in [
            ("24", "no unit"),
            ("h", "no number"),
            ("24x", "unknown unit \"x\""),
            ("0h", "positive"),
            ("-1h", "no number"),
            ("99999999999999w", "positive"),
        ] {
            let m = usage_message(since(bad, now));
            assert!(m.contains(says) && m.contains("e.g. 24h"), "{bad}: {m}");
        }
    }

    #[test]
    fn since_now_honours_source_date_epoch_through_the_clock() {
        // Only checks the window ends at the clock's second (the variable may be set by CI).
        let w = since_now("1h").unwrap();
        assert_eq!(w.length(), TimeDelta::hours(1));
        assert_eq!(rfc3339(w.end), crate::clock::run_timestamp());
    }

    fn micros(s: &str) -> i64 {
        t(s).timestamp_micros()
    }

    fn days(s: &str) -> i32 {
        (t(s).timestamp() / 86_400) as i32
    }

    #[test]
    fn cases_are_kept_by_inference_time_else_study_date() {
        let window = parse_window("2026-11-30T00:00:00Z..2026-12-01T00:00:00Z").unwrap();
        let times = TimestampMicrosecondArray::from(vec![
            Some(micros("2026-11-30T00:00:00Z")), // start: in
            Some(micros("2026-11-30T23:59:59Z")), // in
            Some(micros("2026-12-01T00:00:00Z")), // end: out
            None,                                 // study date 30 Nov: in
            None,                                 // study date 29 Nov: out
            None,                                 // no date at all: undated
            Some(micros("2026-11-29T12:00:00Z")), // inference time wins over the date
        ])
        .with_timezone("UTC");
        let dates = Date32Array::from(vec![
            None,
            None,
            None,
            Some(days("2026-11-30T00:00:00Z")),
            Some(days("2026-11-29T00:00:00Z")),
            None,
            Some(days("2026-11-30T00:00:00Z")),
        ]);
        let row = Int64Array::from_iter_values(0..7);
        let batch = RecordBatch::try_from_iter([
            ("row", Arc::new(row) as _),
            (schema::TIMESTAMP, Arc::new(times) as _),
            (STUDY_DATE, Arc::new(dates) as _),
        ])
        .unwrap();
        let (kept, counts) = filter_cases(&batch, &window).unwrap();
        assert_eq!(
            counts,
            WindowCounts {
                kept: 3,
                outside: 3,
                undated: 1
            }
        );
        let rows = kept
            .column_by_name("row")
            .unwrap()
            .as_primitive::<arrow_array::types::Int64Type>();
        assert_eq!(rows.values().to_vec(), [0, 1, 3]);
    }

    #[test]
    fn a_table_without_dates_is_all_undated_and_a_wrong_type_is_named() {
        let window = parse_window("2026-11-30T00:00:00Z..2026-12-01T00:00:00Z").unwrap();
        let batch = RecordBatch::try_from_iter([(
            "row",
            Arc::new(Int64Array::from_iter_values(0..4)) as _,
        )])
        .unwrap();
        let (kept, counts) = filter_cases(&batch, &window).unwrap();
        assert_eq!((kept.num_rows(), counts.undated), (0, 4));
        let batch = RecordBatch::try_from_iter([(
            schema::TIMESTAMP,
            Arc::new(Int64Array::from_iter_values(0..4)) as _,
        )])
        .unwrap();
        let err = filter_cases(&batch, &window).unwrap_err().to_string();
        assert!(
            err.contains("column timestamp is Int64, expected timestamp"),
            "{err}"
        );
    }
}

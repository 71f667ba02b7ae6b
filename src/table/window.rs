//! The serving window of a run: which cases a nightly audit looks at.
//!
//! `--window 2026-11-30T00:00:00Z..2026-12-01T00:00:00Z` names it (RFC 3339, half-open:
//! the start is in, the end is out, so consecutive nights never share a case);
//! `--since 24h` is the window that ends at the run clock ([`crate::clock`], which honours
//! `SOURCE_DATE_EPOCH`) and starts that long before. [`filter_cases`] keeps the cases of a
//! joined case table whose inference timestamp — or, for a case without an inference, its
//! study date — falls in the window, and counts the rest. [`expand_inputs`] turns the
//! paths a user gives (files, or folders of Parquet parts as Spark and DuckDB write them)
//! into the sorted list of files to read.

use std::fmt;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use crate::error::{Error, Result};

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

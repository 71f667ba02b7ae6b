//! The run timestamp, honouring `SOURCE_DATE_EPOCH` so that reports and snapshots can be
//! reproduced byte for byte.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now (or `SOURCE_DATE_EPOCH` when set to a valid number of seconds), RFC 3339 UTC.
pub fn run_timestamp() -> String {
    let now = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .unwrap_or_else(Utc::now);
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

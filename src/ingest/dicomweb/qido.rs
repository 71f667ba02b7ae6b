//! QIDO-RS listing: studies (by date and modality) and each study's series, page by page.
//!
//! Servers differ in how they page, so the walk trusts only what it sees: `limit`/`offset`
//! pages are deduplicated by UID, a page that adds nothing new ends the walk (a server
//! that ignores `offset` repeats its first page), and `Warning: 299 ... additional results`
//! keeps it going past a short page. When the server still stops short — it said more, or
//! repeated itself — the date range is split in two and each half listed again, down to
//! single days; what a single day still caps is reported as possibly truncated.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::Value as Json;

use super::client::{Client, Failure};

const STUDY_INSTANCE_UID: &str = "0020000D";
const SERIES_INSTANCE_UID: &str = "0020000E";

/// Which studies to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Inclusive StudyDate range.
    pub dates: Option<(NaiveDate, NaiveDate)>,
    /// Only studies with this modality, and only its series.
    pub modality: Option<String>,
}

/// A listing and what it could not be sure of.
#[derive(Debug, Default)]
pub struct Listing {
    pub uids: Vec<String>,
    /// Why the listing may be incomplete, one line per capped query.
    pub truncated: Vec<String>,
    /// Result items without a readable UID (counted, skipped).
    pub without_uid: u64,
}

/// The studies matching `filter`, in UID order.
pub fn studies(client: &Client, filter: &Filter, page_size: usize) -> Result<Listing, Failure> {
    let mut seen = BTreeSet::new();
    let mut listing = Listing::default();
    studies_in(
        client,
        filter,
        filter.dates,
        page_size,
        &mut seen,
        &mut listing,
    )?;
    listing.uids = seen.into_iter().collect();
    Ok(listing)
}

fn studies_in(
    client: &Client,
    filter: &Filter,
    dates: Option<(NaiveDate, NaiveDate)>,
    page_size: usize,
    seen: &mut BTreeSet<String>,
    listing: &mut Listing,
) -> Result<(), Failure> {
    let mut query = Vec::new();
    if let Some((from, to)) = dates {
        query.push(format!(
            "StudyDate={}-{}",
            from.format("%Y%m%d"),
            to.format("%Y%m%d")
        ));
    }
    if let Some(modality) = &filter.modality {
        query.push(format!("ModalitiesInStudy={modality}"));
    }
    let capped = page_all(
        client,
        "/studies",
        &query,
        STUDY_INSTANCE_UID,
        page_size,
        seen,
        listing,
    )?;
    if !capped {
        return Ok(());
    }
    match dates {
        Some((from, to)) if from < to => {
            let mid = from + chrono::Days::new(((to - from).num_days() / 2) as u64);
            let after = mid.succ_opt().unwrap_or(mid);
            studies_in(client, filter, Some((from, mid)), page_size, seen, listing)?;
            studies_in(client, filter, Some((after, to)), page_size, seen, listing)
        }
        Some((day, _)) => {
            listing.truncated.push(format!(
                "the study list for {} is possibly truncated: the server stopped paging at \
                 {} results for that single day",
                day.format("%Y-%m-%d"),
                seen.len()
            ));
            Ok(())
        }
        None => {
            listing.truncated.push(format!(
                "the study list is possibly truncated: the server stopped paging at {} \
                 studies; give --study-date or --since so it can be split by date",
                seen.len()
            ));
            Ok(())
        }
    }
}

/// The series of `study` (with the filter's modality), in UID order.
pub fn series(
    client: &Client,
    study: &str,
    modality: Option<&str>,
    page_size: usize,
) -> Result<Listing, Failure> {
    let mut seen = BTreeSet::new();
    let mut listing = Listing::default();
    let query: Vec<String> = modality
        .map(|m| format!("Modality={m}"))
        .into_iter()
        .collect();
    let path = format!("/studies/{study}/series");
    if page_all(
        client,
        &path,
        &query,
        SERIES_INSTANCE_UID,
        page_size,
        &mut seen,
        &mut listing,
    )? {
        listing.truncated.push(format!(
            "the series list of {path} is possibly truncated at {} series",
            seen.len()
        ));
    }
    listing.uids = seen.into_iter().collect();
    Ok(listing)
}

/// Pages through `path`; true when the server stopped short of what it has.
fn page_all(
    client: &Client,
    path: &str,
    query: &[String],
    uid_tag: &str,
    page_size: usize,
    seen: &mut BTreeSet<String>,
    listing: &mut Listing,
) -> Result<bool, Failure> {
    let mut offset = 0usize;
    let mut said_more = false;
    loop {
        let mut params = query.to_vec();
        params.push(format!("limit={page_size}"));
        params.push(format!("offset={offset}"));
        let page = client.get_array(&format!("{path}?{}", params.join("&")))?;
        if page.items.is_empty() {
            return Ok(said_more);
        }
        let mut new = 0usize;
        for item in &page.items {
            match uid_of(item, uid_tag) {
                Some(uid) => new += usize::from(seen.insert(uid)),
                None => listing.without_uid += 1,
            }
        }
        if new == 0 {
            // The same results again: the server does not honour offset.
            return Ok(page.items.len() >= page_size || page.more);
        }
        offset += page.items.len();
        said_more = page.more;
        if page.items.len() < page_size && !page.more {
            return Ok(false);
        }
    }
}

/// The first value of a UID attribute in a QIDO result.
pub fn uid_of(item: &Json, tag: &str) -> Option<String> {
    let value = item.get(tag)?.get("Value")?.get(0)?.as_str()?.trim();
    let ok = !value.is_empty()
        && value.len() <= 64
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    ok.then(|| value.to_string())
}

/// Parses `--study-date`: `YYYYMMDD` or `YYYYMMDD-YYYYMMDD`.
pub fn parse_date_range(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y%m%d").ok();
    let (from, to) = match text.split_once('-') {
        Some((a, b)) => (day(a)?, day(b)?),
        None => (day(text)?, day(text)?),
    };
    (from <= to).then_some((from, to))
}

/// `--since 24h` / `7d`: the StudyDate range from the day `age` before `now` to today.
pub fn since_range(
    age: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<(NaiveDate, NaiveDate)> {
    let (number, unit) = age.split_at(age.len().checked_sub(1)?);
    let n: i64 = number.parse().ok()?;
    let hours = match unit {
        "h" => n,
        "d" => n.checked_mul(24)?,
        _ => return None,
    };
    if !(1..=24 * 366 * 10).contains(&hours) {
        return None;
    }
    let from = now - chrono::Duration::hours(hours);
    Some((from.date_naive(), now.date_naive()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_ranges_parse() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            parse_date_range("20261130-20261201"),
            Some((d(2026, 11, 30), d(2026, 12, 1)))
        );
        assert_eq!(
            parse_date_range("20261130"),
            Some((d(2026, 11, 30), d(2026, 11, 30)))
        );
        for bad in ["20261201-20261130", "2026-11-30", "", "20261340"] {
            assert_eq!(parse_date_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn since_counts_back_from_now() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T07:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(since_range("24h", now), Some((d(12, 1), d(12, 2))));
        assert_eq!(since_range("3h", now), Some((d(12, 2), d(12, 2))));
        assert_eq!(since_range("7d", now), Some((d(11, 25), d(12, 2))));
        for bad in ["", "h", "0h", "-1d", "5m", "24"] {
            assert_eq!(since_range(bad, now), None, "{bad}");
        }
    }

    #[test]
    fn uids_are_read_only_when_they_look_like_uids() {
        let item = serde_json::json!({"0020000D": {"vr": "UI", "Value": ["1.2.3"]}});
        assert_eq!(uid_of(&item, STUDY_INSTANCE_UID).as_deref(), Some("1.2.3"));
        let odd = serde_json::json!({"0020000D": {"vr": "UI", "Value": ["../x"]}});
        assert_eq!(uid_of(&odd, STUDY_INSTANCE_UID), None);
        assert_eq!(uid_of(&serde_json::json!({}), STUDY_INSTANCE_UID), None);
    }
}

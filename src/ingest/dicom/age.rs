//! Patient age in years, from an Age String (`045Y`, `006M`, `010W`, `003D`) or, when
//! PatientAge is absent, from the birth date and the study date.
//!
//! dicom-object has no parser for AS values. Conversions: months / 12, weeks × 7 / 365.25,
//! days / 365.25. From dates, whole completed years (the birthday rule). The dates
//! themselves never leave this module.

use chrono::{Datelike, NaiveDate};

/// Parses a DICOM Age String. Accepts the standard `nnnX` form and, leniently, missing
/// zero padding (`45Y`) and surrounding spaces; anything else is `None`.
pub fn parse_age_string(text: &str) -> Option<f64> {
    let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if text.len() < 2 || text.len() > 4 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: f64 = digits.parse().ok()?;
    match unit {
        "Y" | "y" => Some(n),
        "M" | "m" => Some(n / 12.0),
        "W" | "w" => Some(n * 7.0 / 365.25),
        "D" | "d" => Some(n / 365.25),
        _ => None,
    }
}

/// Whole years completed between `birth` and `at`; `None` when `at` precedes `birth`.
pub fn age_from_dates(birth: NaiveDate, at: NaiveDate) -> Option<f64> {
    if at < birth {
        return None;
    }
    let mut years = at.year() - birth.year();
    if (at.month(), at.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    Some(f64::from(years))
}

/// Parses a DICOM DA value (`YYYYMMDD`, also the old `YYYY.MM.DD`).
pub fn parse_da(text: &str) -> Option<NaiveDate> {
    let digits: String = text
        .trim_matches(|c: char| c == ' ' || c == '\0')
        .chars()
        .filter(|c| *c != '.')
        .collect();
    // Exactly eight digits: chrono alone would take "2023 101" as 2023-10-01.
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(&digits, "%Y%m%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_strings_convert_each_unit_to_years() {
        assert_eq!(parse_age_string("045Y"), Some(45.0));
        assert_eq!(parse_age_string("006M"), Some(0.5));
        assert_eq!(parse_age_string("010W"), Some(70.0 / 365.25));
        assert_eq!(parse_age_string("003D"), Some(3.0 / 365.25));
        assert_eq!(parse_age_string("45Y "), Some(45.0));
    }

    #[test]
    fn malformed_age_strings_are_none() {
        for bad in ["", "Y", "045", "04.5Y", "045X", "-45Y", "00045Y"] {
            assert_eq!(parse_age_string(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn age_from_dates_counts_completed_years() {
        let birth = NaiveDate::from_ymd_opt(1960, 6, 15).unwrap();
        let day_before = NaiveDate::from_ymd_opt(2020, 6, 14).unwrap();
        let birthday = NaiveDate::from_ymd_opt(2020, 6, 15).unwrap();
        assert_eq!(age_from_dates(birth, day_before), Some(59.0));
        assert_eq!(age_from_dates(birth, birthday), Some(60.0));
        assert_eq!(age_from_dates(birthday, birth), None);
    }

    #[test]
    fn dates_parse_both_forms() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(parse_da("20240229"), Some(d));
        assert_eq!(parse_da("2024.02.29"), Some(d));
        assert_eq!(parse_da("20240230"), None);
        // Found by the fuzzer: chrono accepts space-padded fields.
        for bad in ["2023 101", "202301 1", "202 0101", "2024.02. 9", "+2024010"] {
            assert_eq!(parse_da(bad), None, "{bad:?}");
        }
    }
}

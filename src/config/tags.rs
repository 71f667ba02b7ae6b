//! `extra_tags:` — DICOM tags read by `scan` besides the built-in header columns.

use serde::{Deserialize, Serialize};

use crate::table::schema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraTag {
    /// Column name in `headers.parquet` (lower snake case).
    pub name: String,
    /// `"gggg,eeee"` in hexadecimal, e.g. `"0018,1150"`.
    pub tag: String,
    pub kind: ExtraKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraKind {
    Numeric,
    Categorical,
}

impl ExtraTag {
    /// The tag as (group, element).
    pub fn parse_tag(&self) -> Option<(u16, u16)> {
        parse_tag(&self.tag)
    }
}

/// Parses `"gggg,eeee"` (also accepts `"(gggg,eeee)"` and `"ggggeeee"`).
pub fn parse_tag(text: &str) -> Option<(u16, u16)> {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, '(' | ')' | ',' | ' '))
        .collect();
    if cleaned.len() != 8 || !cleaned.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let group = u16::from_str_radix(&cleaned[..4], 16).ok()?;
    let element = u16::from_str_radix(&cleaned[4..], 16).ok()?;
    Some((group, element))
}

/// Names are lower_snake_case, new and unique; tags are `gggg,eeee`.
pub(super) fn validate(tags: &[ExtraTag]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for (i, extra) in tags.iter().enumerate() {
        let valid_name = extra.name.starts_with(|c: char| c.is_ascii_lowercase())
            && extra
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid_name {
            return Err(format!(
                "extra_tags[{i}].name: expected lower_snake_case, got {:?}",
                extra.name
            ));
        }
        if schema::is_header_column(&extra.name) {
            return Err(format!(
                "extra_tags[{i}].name: {:?} is already a built-in column",
                extra.name
            ));
        }
        if !seen.insert(extra.name.as_str()) {
            return Err(format!(
                "extra_tags[{i}].name: {:?} given twice",
                extra.name
            ));
        }
        if extra.parse_tag().is_none() {
            return Err(format!(
                "extra_tags[{i}].tag: expected \"gggg,eeee\" in hexadecimal, got {:?}",
                extra.tag
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn err(yaml: &str) -> String {
        Config::parse(yaml).unwrap_err()
    }

    #[test]
    fn tag_must_be_hex_group_element() {
        let e = err("extra_tags:\n  - {name: x, tag: '0018-1150', kind: numeric}\n");
        assert!(e.contains("extra_tags[0].tag"), "{e}");
        let ok =
            Config::parse("extra_tags:\n  - {name: x, tag: '0018,1150', kind: numeric}\n").unwrap();
        assert_eq!(ok.extra_tags[0].parse_tag(), Some((0x0018, 0x1150)));
        assert_eq!(super::parse_tag("(0018,1150)"), Some((0x0018, 0x1150)));
        assert_eq!(super::parse_tag("00181150"), Some((0x0018, 0x1150)));
    }

    #[test]
    fn name_must_be_lower_snake_case() {
        for bad in ["Protocol", "", "1x", "a-b"] {
            let e = err(&format!(
                "extra_tags:\n  - {{name: '{bad}', tag: '0018,1030', kind: categorical}}\n"
            ));
            assert!(
                e.contains("extra_tags[0].name: expected lower_snake_case"),
                "{e}"
            );
        }
    }

    #[test]
    fn cannot_shadow_a_builtin_column() {
        let e = err("extra_tags:\n  - {name: kvp, tag: '0018,0060', kind: numeric}\n");
        assert!(e.contains("built-in"), "{e}");
    }

    #[test]
    fn name_given_twice_is_named() {
        let e = err("extra_tags:\n  - {name: p, tag: '0018,1030', kind: categorical}\n  - {name: p, tag: '0018,1031', kind: categorical}\n");
        assert!(
            e.contains("extra_tags[1].name") && e.contains("twice"),
            "{e}"
        );
    }
}

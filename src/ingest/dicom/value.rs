//! Reading one element's value as text or numbers, by its VR.
//!
//! Text VRs are decoded by the data set's character set, split at `\`, each value stripped
//! of space and NUL padding (pydicom's rule). DS and IS are parsed leniently (surrounding
//! spaces, a decimal comma), binary VRs by their byte order. A value that is present but
//! cannot be read is a [`Problem`], never a guess: the caller stores null and counts why.

use dicom_core::VR;

use super::charset::CharacterSet;
use super::header::Field;

/// Why a present value was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Text not valid in the data set's character set (or with control characters).
    Undecodable(&'static str),
    /// A number that does not parse, or binary of the wrong size.
    NotANumber,
    /// A binary or sequence value where text was expected.
    NotText,
    /// The VR on disk is of another kind than the dictionary's (text for a binary number,
    /// say): one of them is wrong, and reading by either could give a wrong value.
    VrMismatch { on_disk: VR, dictionary: VR },
}

impl Problem {
    /// The short stable kind counted in the scan summary.
    pub fn kind(&self) -> &'static str {
        match self {
            Problem::Undecodable(_) => "undecodable-text",
            Problem::NotANumber => "unparsable-number",
            Problem::NotText => "not-text",
            Problem::VrMismatch { .. } => "vr-mismatch",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Problem::Undecodable(why) => (*why).to_string(),
            Problem::NotANumber => "not a number".to_string(),
            Problem::NotText => "a binary value where text was expected".to_string(),
            Problem::VrMismatch {
                on_disk,
                dictionary,
            } => format!(
                "VR {} on disk where the dictionary says {}",
                on_disk, dictionary
            ),
        }
    }
}

fn is_text_vr(vr: VR) -> bool {
    use VR::*;
    matches!(
        vr,
        AE | AS | CS | DA | DS | DT | IS | LO | LT | PN | SH | ST | TM | UC | UI | UR | UT
    )
}

/// Kinds of VR: within Text (and between US and SS, OB and OW) the same bytes read the
/// same way; across kinds, or between binary VRs of other widths, they do not.
#[derive(PartialEq, Eq)]
enum VrKind {
    Text,
    Integer,
    Float,
    Bytes,
    Sequence,
}

fn vr_kind(vr: VR) -> VrKind {
    use VR::*;
    match vr {
        US | SS | UL | SL | SV | UV | AT => VrKind::Integer,
        FL | FD => VrKind::Float,
        OB | OW | OD | OF | OL | OV | UN => VrKind::Bytes,
        SQ => VrKind::Sequence,
        _ => VrKind::Text,
    }
}

/// Refuses a value whose VR on disk is of another kind than the dictionary's.
fn check_vr(field: &Field<'_>) -> Result<(), Problem> {
    if field.vr_from_dictionary {
        return Ok(());
    }
    let dictionary = super::header::dictionary_vr(field.tag);
    let (a, b) = (vr_kind(dictionary), vr_kind(field.vr));
    let same_width = |x: VR| matches!(x, VR::US | VR::SS);
    let compatible = dictionary == VR::UN
        || dictionary == field.vr
        || (a == VrKind::Text && b == VrKind::Text)
        || (same_width(dictionary) && same_width(field.vr))
        || (a == VrKind::Bytes && b == VrKind::Bytes);
    if compatible {
        return Ok(());
    }
    // OB/OW-typed attributes (US or OW lookup tables, say) may hold integers.
    if vr_kind(dictionary) == VrKind::Bytes && vr_kind(field.vr) == VrKind::Integer {
        return Ok(());
    }
    Err(Problem::VrMismatch {
        on_disk: field.vr,
        dictionary,
    })
}

/// The value as text, multiple values joined with `\`; `Ok(None)` when empty.
pub fn text(field: &Field<'_>, charset: &CharacterSet) -> Result<Option<String>, Problem> {
    check_vr(field)?;
    if field.sequence {
        return Err(Problem::NotText);
    }
    if field.bytes.is_empty() {
        return Ok(None);
    }
    let joined = if is_text_vr(field.vr) || field.vr == VR::UN {
        // UN here is a tag the dictionary does not know: text if it decodes as text.
        let decoded = charset
            .decode(field.bytes)
            .map_err(|e| Problem::Undecodable(e.0))?;
        // Line breaks and tabs belong to ST, LT and UT only.
        let multi_line = matches!(field.vr, VR::ST | VR::LT | VR::UT);
        let control = |part: &str| part.trim_matches(['\0', ' ']).chars().any(char::is_control);
        if !multi_line && decoded.split('\\').any(control) {
            return Err(Problem::Undecodable(
                "control character in a single-line text value",
            ));
        }
        decoded
            .split('\\')
            .map(|part| part.trim_matches([' ', '\0']))
            .collect::<Vec<_>>()
            .join("\\")
    } else {
        let values = binary_numbers(field)?;
        let parts: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
        parts.join("\\")
    };
    let joined = joined.trim_matches('\\');
    Ok((!joined.is_empty()).then(|| joined.to_string()))
}

/// Every value as a number; empty when the element is empty.
pub fn numbers(field: &Field<'_>, charset: &CharacterSet) -> Result<Vec<f64>, Problem> {
    check_vr(field)?;
    if field.sequence {
        return Err(Problem::NotANumber);
    }
    if is_text_vr(field.vr) || field.vr == VR::UN {
        let Some(text) = text(field, charset)? else {
            return Ok(Vec::new());
        };
        return text
            .split('\\')
            .map(|part| parse_ds(part).ok_or(Problem::NotANumber))
            .collect();
    }
    binary_numbers(field)
}

/// The first value as a 32-bit integer (IS text, or a binary integer).
pub fn integer(field: &Field<'_>, charset: &CharacterSet) -> Result<Option<i32>, Problem> {
    check_vr(field)?;
    if is_text_vr(field.vr) || field.vr == VR::UN {
        let Some(text) = text(field, charset)? else {
            return Ok(None);
        };
        let first = text.split('\\').next().unwrap_or_default();
        return parse_is(first).map(Some).ok_or(Problem::NotANumber);
    }
    match binary_numbers(field)?.first() {
        None => Ok(None),
        Some(&v) if v.fract() == 0.0 && v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX) => {
            Ok(Some(v as i32))
        }
        Some(_) => Err(Problem::NotANumber),
    }
}

/// Parses a Decimal String value: surrounding spaces allowed, a decimal comma accepted,
/// only finite numbers (Rust's `inf` and `NaN` spellings are refused).
pub fn parse_ds(text: &str) -> Option<f64> {
    let text = text.trim_matches([' ', '\0']);
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    let ok = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b',' | b'e' | b'E'));
    if !ok {
        return None;
    }
    let value: f64 = text.replace(',', ".").parse().ok()?;
    value.is_finite().then_some(value)
}

/// Parses an Integer String value into an `i32`; `12.0` is accepted (pydicom does), `12.5`
/// and out-of-range values are not.
pub fn parse_is(text: &str) -> Option<i32> {
    let text = text.trim_matches([' ', '\0']);
    if let Ok(v) = text.parse::<i32>() {
        return Some(v);
    }
    let v = parse_ds(text)?;
    (v.fract() == 0.0 && v >= f64::from(i32::MIN) && v <= f64::from(i32::MAX)).then_some(v as i32)
}

fn binary_numbers(field: &Field<'_>) -> Result<Vec<f64>, Problem> {
    let size = match field.vr {
        VR::US | VR::SS | VR::OW => 2,
        VR::UL | VR::SL | VR::FL | VR::OF | VR::OL => 4,
        VR::FD | VR::OD | VR::SV | VR::UV | VR::OV => 8,
        VR::AT => 4,
        _ => return Err(Problem::NotText),
    };
    if !field.bytes.len().is_multiple_of(size) {
        return Err(Problem::NotANumber);
    }
    let be = field.big_endian;
    let values = field.bytes.chunks_exact(size).map(|c| {
        let mut b = [0u8; 8];
        b[..size].copy_from_slice(c);
        if be {
            b[..size].reverse();
        }
        let u = u64::from_le_bytes(b);
        match field.vr {
            VR::SS => f64::from(u as u16 as i16),
            VR::SL => f64::from(u as u32 as i32),
            VR::SV => u as i64 as f64,
            VR::FL | VR::OF => f64::from(f32::from_bits(u as u32)),
            VR::FD | VR::OD => f64::from_bits(u),
            _ => u as f64,
        }
    });
    let values: Vec<f64> = values.collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(Problem::NotANumber);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_strings_parse_leniently_but_only_finite() {
        assert_eq!(parse_ds(" 1.25 "), Some(1.25));
        assert_eq!(parse_ds("1,5"), Some(1.5));
        assert_eq!(parse_ds("-3e2"), Some(-300.0));
        for bad in ["", "inf", "NaN", "1e999", "1.2.3", "12a", "0x10", "1 2"] {
            assert_eq!(parse_ds(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn integer_strings_take_integral_values_only() {
        assert_eq!(parse_is(" 250 "), Some(250));
        assert_eq!(parse_is("+12"), Some(12));
        assert_eq!(parse_is("12.0"), Some(12));
        assert_eq!(parse_is("12.5"), None);
        assert_eq!(parse_is("99999999999"), None);
    }
}

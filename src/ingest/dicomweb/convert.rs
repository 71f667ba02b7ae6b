//! One DICOM JSON instance (PS3.18 F.2, as WADO-RS metadata returns it) into the file
//! scan's [`Header`], so that the row is built by the same code as for a file:
//! [`crate::ingest::dicom::fields::extract`] maps tags to columns, `value` parses AS/DS/IS,
//! and the same PHI rules hold (only listed attributes are read).
//!
//! Each element is encoded as explicit VR little endian into one buffer, tolerantly and on
//! its own: DS/IS as JSON numbers or strings, PN as an object or a string, a missing
//! `Value` or a `null` value as empty. An element that cannot be encoded (an object where
//! text belongs, a null in a binary number, an unknown VR, a key that is not a tag) is left
//! out with a [`Note`] naming the element and the problem — never its value — and the rest
//! of the instance is read. JSON text is UTF-8 whatever Specific Character Set says, so
//! the header is read as `ISO_IR 192`.

use dicom_core::{Tag, VR};
use serde_json::{Map, Value as Json};

use crate::ingest::dicom::fields::Note;
use crate::ingest::dicom::guard::Element;
use crate::ingest::dicom::header::{dictionary_vr, Header};

/// The kind counted for an element that was left out.
pub const ODD_ELEMENT: &str = "odd-json-element";

const SPECIFIC_CHARACTER_SET: (u16, u16) = (0x0008, 0x0005);
const TRANSFER_SYNTAX_UID: (u16, u16) = (0x0002, 0x0010);

/// A converted instance.
pub struct Converted {
    pub header: Header,
    /// Elements left out, one note each.
    pub notes: Vec<Note>,
    /// (0002,0010) when the server sent it (most do not: metadata is the data set).
    pub transfer_syntax: Option<String>,
}

/// Converts one instance object; `Err` when the instance is not a JSON object at all.
pub fn instance(json: &Json) -> Result<Converted, String> {
    let object = json
        .as_object()
        .ok_or_else(|| "an instance that is not a JSON object".to_string())?;
    let mut bytes = Vec::with_capacity(4096);
    let mut elements = Vec::with_capacity(object.len() + 1);
    let mut notes = Vec::new();
    let mut transfer_syntax = None;
    push(
        &mut bytes,
        &mut elements,
        SPECIFIC_CHARACTER_SET,
        VR::CS,
        b"ISO_IR 192",
    );
    for (key, element) in object {
        let Some(tag) = parse_tag(key) else {
            notes.push(Note {
                kind: ODD_ELEMENT,
                reason: "an element key that is not 8 hex digits was skipped".to_string(),
            });
            continue;
        };
        if tag == SPECIFIC_CHARACTER_SET {
            continue;
        }
        match encode(Tag(tag.0, tag.1), element) {
            Ok(Encoded::Skip) => {}
            Ok(Encoded::Sequence) => elements.push(Element {
                tag,
                vr: Some(*b"SQ"),
                start: bytes.len() as u32,
                len: 0,
                sequence: true,
            }),
            Ok(Encoded::Value(vr, value)) => {
                if tag == TRANSFER_SYNTAX_UID {
                    let text = String::from_utf8_lossy(&value).trim().to_string();
                    transfer_syntax = (!text.is_empty()).then_some(text);
                }
                push(&mut bytes, &mut elements, tag, vr, &value);
            }
            Err(why) => notes.push(Note {
                kind: ODD_ELEMENT,
                reason: format!(
                    "{} ({:04X},{:04X}) skipped: {why}",
                    keyword(Tag(tag.0, tag.1)),
                    tag.0,
                    tag.1
                ),
            }),
        }
    }
    let header = Header::from_parts(bytes, elements, String::new());
    Ok(Converted {
        header,
        notes,
        transfer_syntax,
    })
}

fn push(bytes: &mut Vec<u8>, elements: &mut Vec<Element>, tag: (u16, u16), vr: VR, value: &[u8]) {
    let vr_bytes = vr.to_string().as_bytes();
    elements.push(Element {
        tag,
        vr: Some([vr_bytes[0], vr_bytes[1]]),
        start: bytes.len() as u32,
        len: value.len() as u32,
        sequence: false,
    });
    bytes.extend_from_slice(value);
}

fn parse_tag(key: &str) -> Option<(u16, u16)> {
    if key.len() != 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let group = u16::from_str_radix(&key[..4], 16).ok()?;
    let element = u16::from_str_radix(&key[4..], 16).ok()?;
    Some((group, element))
}

fn keyword(tag: Tag) -> &'static str {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry};
    dicom_dictionary_std::StandardDataDictionary
        .by_tag(tag)
        .map_or("private tag", |e| e.alias())
}

enum Encoded {
    Value(VR, Vec<u8>),
    Sequence,
    /// Bulk data (a URI or inline binary): no column reads it.
    Skip,
}

fn encode(tag: Tag, element: &Json) -> Result<Encoded, String> {
    let object: &Map<String, Json> = element
        .as_object()
        .ok_or("the element is not a JSON object")?;
    let vr = match object.get("vr") {
        Some(Json::String(s)) => s.parse::<VR>().map_err(|_| "an unknown VR".to_string())?,
        None => dictionary_vr(tag),
        Some(_) => return Err("its vr is not a string".into()),
    };
    if vr == VR::SQ {
        return Ok(Encoded::Sequence);
    }
    if object.contains_key("BulkDataURI") || object.contains_key("InlineBinary") {
        return Ok(Encoded::Skip);
    }
    let values: &[Json] = match object.get("Value") {
        None | Some(Json::Null) => &[],
        Some(Json::Array(values)) => values,
        Some(_) => return Err("its Value is not an array".into()),
    };
    match vr {
        VR::US | VR::SS | VR::UL | VR::SL | VR::FL | VR::FD | VR::SV | VR::UV => {
            let mut out = Vec::with_capacity(values.len() * 8);
            for v in values {
                binary(vr, v, &mut out)?;
            }
            Ok(Encoded::Value(vr, out))
        }
        VR::AT => {
            let mut out = Vec::with_capacity(values.len() * 4);
            for v in values {
                let (g, e) = v
                    .as_str()
                    .and_then(parse_tag)
                    .ok_or("an AT value that is not 8 hex digits")?;
                out.extend(g.to_le_bytes());
                out.extend(e.to_le_bytes());
            }
            Ok(Encoded::Value(vr, out))
        }
        VR::OB | VR::OW | VR::OD | VR::OF | VR::OL | VR::OV | VR::UN => Ok(Encoded::Skip),
        _ => {
            let mut parts = Vec::with_capacity(values.len());
            for v in values {
                parts.push(text(vr, v)?);
            }
            Ok(Encoded::Value(vr, parts.join("\\").into_bytes()))
        }
    }
}

/// One text value: a string, a number (DS, IS and any tolerant server's other numbers),
/// null (an empty value), or for PN the object of name groups.
fn text(vr: VR, value: &Json) -> Result<String, String> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Null => Ok(String::new()),
        Json::Object(groups) if vr == VR::PN => {
            let group = |name: &str| -> Result<&str, String> {
                match groups.get(name) {
                    None | Some(Json::Null) => Ok(""),
                    Some(Json::String(s)) => Ok(s),
                    Some(_) => Err(format!("a PN {name} group that is not a string")),
                }
            };
            let joined = [
                group("Alphabetic")?,
                group("Ideographic")?,
                group("Phonetic")?,
            ]
            .join("=");
            Ok(joined.trim_end_matches('=').to_string())
        }
        Json::Object(_) => Err(format!("an object where a {vr} value belongs")),
        Json::Array(_) => Err(format!("a nested array where a {vr} value belongs")),
        Json::Bool(_) => Err(format!("true/false where a {vr} value belongs")),
    }
}

/// One binary number, little endian, range-checked for its VR.
fn binary(vr: VR, value: &Json, out: &mut Vec<u8>) -> Result<(), String> {
    let number = match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse::<f64>().ok(),
        Json::Null => return Err(format!("a null among {vr} numbers")),
        _ => None,
    }
    .filter(|v| v.is_finite())
    .ok_or_else(|| format!("a {vr} value that is not a number"))?;
    let integral = |lo: f64, hi: f64| -> Result<f64, String> {
        if number.fract() == 0.0 && number >= lo && number <= hi {
            Ok(number)
        } else {
            Err(format!("a {vr} value out of range"))
        }
    };
    match vr {
        VR::US => out.extend((integral(0.0, 65535.0)? as u16).to_le_bytes()),
        VR::SS => out.extend((integral(-32768.0, 32767.0)? as i16).to_le_bytes()),
        VR::UL => out.extend((integral(0.0, 4294967295.0)? as u32).to_le_bytes()),
        VR::SL => out.extend((integral(-2147483648.0, 2147483647.0)? as i32).to_le_bytes()),
        VR::SV => out.extend((integral(-9.0e18, 9.0e18)? as i64).to_le_bytes()),
        VR::UV => out.extend((integral(0.0, 1.8e19)? as u64).to_le_bytes()),
        VR::FL => out.extend((number as f32).to_le_bytes()),
        _ => out.extend(number.to_le_bytes()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::dicom::value;

    fn header(json: &str) -> Converted {
        instance(&serde_json::from_str(json).unwrap()).unwrap()
    }

    #[test]
    fn numbers_strings_names_and_missing_values_all_read() {
        let c = header(
            r#"{"00180050": {"vr": "DS", "Value": [1.25]},
                "00280030": {"vr": "DS", "Value": ["0.5", 0.25]},
                "00280010": {"vr": "US", "Value": [512]},
                "00181150": {"vr": "IS", "Value": ["500"]},
                "00100010": {"vr": "PN", "Value": [{"Alphabetic": "A^B", "Ideographic": "C"}]},
                "00080070": {"vr": "LO"},
                "00080080": {"vr": "LO", "Value": [null]},
                "00080005": {"vr": "CS", "Value": ["ISO_IR 100"]},
                "00080060": {"vr": "CS", "Value": ["CT"]}}"#,
        );
        assert!(c.notes.is_empty(), "{:?}", c.notes);
        let h = &c.header;
        let cs = h.charset().clone();
        let get = |g, e| h.get(Tag(g, e)).unwrap();
        assert_eq!(value::numbers(&get(0x0018, 0x0050), &cs).unwrap(), [1.25]);
        assert_eq!(
            value::numbers(&get(0x0028, 0x0030), &cs).unwrap(),
            [0.5, 0.25]
        );
        assert_eq!(
            value::integer(&get(0x0028, 0x0010), &cs).unwrap(),
            Some(512)
        );
        assert_eq!(
            value::integer(&get(0x0018, 0x1150), &cs).unwrap(),
            Some(500)
        );
        let name = value::text(&get(0x0010, 0x0010), &cs).unwrap();
        assert_eq!(name.as_deref(), Some("A^B=C"));
        assert_eq!(value::text(&get(0x0008, 0x0070), &cs).unwrap(), None);
        assert_eq!(value::text(&get(0x0008, 0x0080), &cs).unwrap(), None);
        assert_eq!(
            value::text(&get(0x0008, 0x0060), &cs).unwrap().as_deref(),
            Some("CT")
        );
        assert_eq!(c.transfer_syntax, None);
    }

    #[test]
    fn an_odd_element_is_a_note_and_the_rest_is_read() {
        let c = header(
            r#"{"00080060": {"vr": "CS", "Value": [{"x": 1}]},
                "00280010": {"vr": "US", "Value": [null]},
                "00280011": {"vr": "US", "Value": [70000]},
                "00180060": {"vr": "ZZ", "Value": ["120"]},
                "nonsense": {"vr": "CS", "Value": ["CANARY^PHI"]},
                "00080070": {"vr": "LO", "Value": ["ACME"]},
                "00020010": {"vr": "UI", "Value": ["1.2.840.10008.1.2.1"]}}"#,
        );
        assert_eq!(c.notes.len(), 5, "{:?}", c.notes);
        assert!(c.notes.iter().all(|n| n.kind == ODD_ELEMENT));
        let reasons: Vec<&str> = c.notes.iter().map(|n| n.reason.as_str()).collect();
        assert!(reasons
            .iter()
            .any(|r| r.starts_with("Modality (0008,0060)")));
        assert!(reasons.iter().all(|r| !r.contains("CANARY")));
        let cs = c.header.charset().clone();
        let maker = c.header.get(Tag(0x0008, 0x0070)).unwrap();
        assert_eq!(value::text(&maker, &cs).unwrap().as_deref(), Some("ACME"));
        assert!(c.header.get(Tag(0x0008, 0x0060)).is_none());
        assert_eq!(c.transfer_syntax.as_deref(), Some("1.2.840.10008.1.2.1"));
        assert!(instance(&serde_json::json!([1])).is_err());
    }
}

//! Text values to UTF-8 by the data set's Specific Character Set (0008,0005).
//!
//! Every term of PS3.3 C.12.1.1.2 is understood: the single-byte ISO_IR sets, UTF-8,
//! GB18030 and GBK as stand-alone sets, and the ISO 2022 terms with code extensions, where
//! escape sequences switch G0 (ASCII, JIS X 0208, JIS X 0212) and G1 (an ISO 8859 upper
//! half, JIS X 0201 katakana, KS X 1001, GB 2312) inside a value, and the value-1 sets come
//! back at every delimiter (`\`, CR, LF, FF, TAB) as PS3.5 6.1.2.5.3 requires. The tables
//! are `encoding_rs`'s (the WHATWG ones): JIS X 0208/0212 through EUC-JP, KS X 1001 through
//! EUC-KR, GB 2312 through GBK.
//!
//! A value that is not valid in its character set — or that holds a control character,
//! an escape sequence we do not know, or non-ASCII bytes with no character set declared —
//! is an error, never text: the caller stores null and says why.

use encoding_rs::Encoding;

/// What a data set's Specific Character Set says about its text values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CharacterSet {
    /// One character set for the whole value, no escape sequences.
    Single(Whole),
    /// ISO 2022 code extensions; the value-1 designations are the initial state.
    Iso2022 { g0: Graphic, g1: Option<Graphic> },
    /// A term we do not know: ASCII values still decode, anything else is an error.
    Unknown,
}

/// A stand-alone character set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whole {
    /// ISO-IR 6, the default repertoire.
    Ascii,
    /// ISO-IR 100 (decoded by hand: encoding_rs maps "latin1" to windows-1252).
    Latin1,
    /// An ISO 8859 part, or TIS 620 (ISO_IR 166), whose upper half is the table's.
    Upper(&'static Encoding),
    /// ISO_IR 13: JIS X 0201 (decoded as Shift_JIS, like pydicom).
    JisX0201,
    Utf8,
    Gb18030,
    Gbk,
}

/// A set designated to G0 or G1 in ISO 2022.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Graphic {
    Ascii,
    /// An ISO 8859 upper half (G1), or Latin-1 when the table is `None`.
    Upper(Option<&'static Encoding>),
    /// JIS X 0201 katakana (G1).
    Katakana,
    /// JIS X 0208 (G0, two bytes).
    JisX0208,
    /// JIS X 0212 (G0, two bytes).
    JisX0212,
    /// KS X 1001 (G1, two bytes).
    KsX1001,
    /// GB 2312 (G1, two bytes).
    Gb2312,
}

/// Why a value could not be decoded (no part of the value is quoted: it may be PHI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable(pub &'static str);

impl CharacterSet {
    /// The character set of a data set with these (0008,0005) values; none or an empty
    /// first value is the default repertoire.
    pub fn from_terms(terms: &[&str]) -> CharacterSet {
        let terms: Vec<String> = terms.iter().map(|t| normalise(t)).collect();
        let Some(first) = terms.first() else {
            return CharacterSet::Single(Whole::Ascii);
        };
        if let Some(whole) = stand_alone(first) {
            // UTF-8, GB18030 and GBK allow no code extensions; pydicom and dcmtk ignore
            // further values, and so do we.
            if terms.len() == 1 || matches!(whole, Whole::Utf8 | Whole::Gb18030 | Whole::Gbk) {
                return CharacterSet::Single(whole);
            }
        }
        let any_2022 = terms.iter().any(|t| t.starts_with("ISO2022"));
        if !any_2022 && terms.len() == 1 {
            return CharacterSet::Unknown;
        }
        // Value 1 gives the initial designations; an ISO_IR term there is read as its
        // ISO 2022 twin (a common slip).
        let initial = first.replace("ISOIR", "ISO2022IR");
        match designations(&initial) {
            Some((g0, g1)) => CharacterSet::Iso2022 { g0, g1 },
            None => CharacterSet::Unknown,
        }
    }

    /// Decodes one whole value (all its `\`-separated parts) to UTF-8.
    pub fn decode(&self, bytes: &[u8]) -> Result<String, Undecodable> {
        let text = match self {
            _ if bytes.is_ascii() && !bytes.contains(&ESC) => {
                String::from_utf8(bytes.to_vec()).expect("ASCII is UTF-8")
            }
            CharacterSet::Single(whole) => decode_whole(*whole, bytes)?,
            CharacterSet::Iso2022 { g0, g1 } => decode_2022(bytes, (*g0, *g1))?,
            CharacterSet::Unknown => {
                return Err(Undecodable(
                    "non-ASCII bytes under a Specific Character Set term we do not know",
                ))
            }
        };
        // Padding NULs go before the check: they end a value, they are not in it.
        let controls = text.split('\\').any(|part| {
            part.trim_matches(['\0', ' '])
                .chars()
                .any(is_forbidden_control)
        });
        if controls {
            return Err(Undecodable("control character or escape sequence in text"));
        }
        Ok(text)
    }
}

const ESC: u8 = 0x1B;

/// Upper case without the spaces, underscores and hyphens that writers vary.
fn normalise(term: &str) -> String {
    term.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\0'))
        .flat_map(char::to_uppercase)
        .collect()
}

fn stand_alone(term: &str) -> Option<Whole> {
    use encoding_rs::*;
    Some(match term {
        "" | "ISOIR6" => Whole::Ascii,
        "ISOIR100" => Whole::Latin1,
        "ISOIR101" => Whole::Upper(ISO_8859_2),
        "ISOIR109" => Whole::Upper(ISO_8859_3),
        "ISOIR110" => Whole::Upper(ISO_8859_4),
        "ISOIR144" => Whole::Upper(ISO_8859_5),
        "ISOIR127" => Whole::Upper(ISO_8859_6),
        "ISOIR126" => Whole::Upper(ISO_8859_7),
        "ISOIR138" => Whole::Upper(ISO_8859_8),
        // windows-1254 and -874 agree with ISO 8859-9 and TIS 620 from 0xA0 up; the C1
        // range where they differ is refused as control characters.
        "ISOIR148" => Whole::Upper(WINDOWS_1254),
        "ISOIR203" => Whole::Upper(ISO_8859_15),
        "ISOIR166" => Whole::Upper(WINDOWS_874),
        "ISOIR13" => Whole::JisX0201,
        "ISOIR192" => Whole::Utf8,
        "GB18030" => Whole::Gb18030,
        "GBK" | "ISO2022GBK" => Whole::Gbk,
        _ => return None,
    })
}

/// The G0 and G1 designations an ISO 2022 term stands for.
fn designations(term: &str) -> Option<(Graphic, Option<Graphic>)> {
    let upper = |w: Whole| match w {
        Whole::Latin1 => Graphic::Upper(None),
        Whole::Upper(e) => Graphic::Upper(Some(e)),
        _ => unreachable!("only single-byte ISO 8859 sets have an upper half"),
    };
    Some(match term {
        "" | "ISO2022IR6" => (Graphic::Ascii, None),
        "ISO2022IR13" => (Graphic::Ascii, Some(Graphic::Katakana)),
        "ISO2022IR87" => (Graphic::JisX0208, None),
        "ISO2022IR159" => (Graphic::JisX0212, None),
        "ISO2022IR149" => (Graphic::Ascii, Some(Graphic::KsX1001)),
        "ISO2022IR58" | "ISO202258" => (Graphic::Ascii, Some(Graphic::Gb2312)),
        other => {
            let single = stand_alone(&other.replace("ISO2022IR", "ISOIR"))?;
            match single {
                Whole::Latin1 | Whole::Upper(_) => (Graphic::Ascii, Some(upper(single))),
                _ => return None,
            }
        }
    })
}

fn is_forbidden_control(c: char) -> bool {
    // TAB, LF, FF and CR are allowed in ST, LT and UT; every other C0/C1 control and
    // DEL is not text (and an ESC left over is an escape sequence we did not apply).
    (c.is_control() && !matches!(c, '\t' | '\n' | '\x0c' | '\r')) || c == '\u{7f}'
}

fn strict(encoding: &'static Encoding, bytes: &[u8]) -> Option<String> {
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
}

fn decode_whole(whole: Whole, bytes: &[u8]) -> Result<String, Undecodable> {
    let decoded = match whole {
        Whole::Ascii => {
            return Err(Undecodable(
                "non-ASCII bytes and no Specific Character Set (0008,0005) to read them by",
            ))
        }
        Whole::Latin1 => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        Whole::Upper(encoding) => {
            if bytes.iter().any(|b| (0x80..0xA0).contains(b)) {
                None
            } else {
                strict(encoding, bytes)
            }
        }
        Whole::JisX0201 => strict(encoding_rs::SHIFT_JIS, bytes),
        Whole::Utf8 => strict(encoding_rs::UTF_8, bytes),
        Whole::Gb18030 => strict(encoding_rs::GB18030, bytes),
        Whole::Gbk => strict(encoding_rs::GBK, bytes),
    };
    decoded.ok_or(Undecodable("bytes not valid in the declared character set"))
}

/// The escape sequence at the start of `bytes`: its length and what it designates
/// (`true` for G1).
fn escape(bytes: &[u8]) -> Option<(usize, bool, Graphic)> {
    use encoding_rs::*;
    let upper = |e| (3, true, Graphic::Upper(Some(e)));
    Some(match bytes.get(1..3)? {
        b"(B" | b"(J" => (3, false, Graphic::Ascii),
        b")I" => (3, true, Graphic::Katakana),
        b"$B" | b"$@" => (3, false, Graphic::JisX0208),
        b"-A" => (3, true, Graphic::Upper(None)),
        b"-B" => upper(ISO_8859_2),
        b"-C" => upper(ISO_8859_3),
        b"-D" => upper(ISO_8859_4),
        b"-L" => upper(ISO_8859_5),
        b"-G" => upper(ISO_8859_6),
        b"-F" => upper(ISO_8859_7),
        b"-H" => upper(ISO_8859_8),
        b"-M" => upper(WINDOWS_1254),
        b"-b" => upper(ISO_8859_15),
        b"-T" => upper(WINDOWS_874),
        b"$(" if bytes.get(3) == Some(&b'D') => (4, false, Graphic::JisX0212),
        b"$)" if bytes.get(3) == Some(&b'C') => (4, true, Graphic::KsX1001),
        b"$)" if bytes.get(3) == Some(&b'A') => (4, true, Graphic::Gb2312),
        _ => return None,
    })
}

const INVALID: Undecodable = Undecodable("bytes not valid in the declared character set");

fn decode_2022(bytes: &[u8], initial: (Graphic, Option<Graphic>)) -> Result<String, Undecodable> {
    let (mut g0, mut g1) = initial;
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == ESC {
            let (len, to_g1, set) = escape(&bytes[i..])
                .ok_or(Undecodable("escape sequence of no DICOM character set"))?;
            if to_g1 {
                g1 = Some(set);
            } else {
                g0 = set;
            }
            i += len;
            continue;
        }
        let two_byte_g0 = matches!(g0, Graphic::JisX0208 | Graphic::JisX0212);
        if two_byte_g0 && (0x21..=0x7E).contains(&b) {
            let b2 = *bytes.get(i + 1).ok_or(INVALID)?;
            if !(0x21..=0x7E).contains(&b2) {
                return Err(INVALID);
            }
            // JIS X 0208/0212 as EUC-JP: high bits set, 0212 behind the SS3 byte.
            let euc: &[u8] = &[0x8F, b | 0x80, b2 | 0x80];
            let euc = if g0 == Graphic::JisX0212 {
                euc
            } else {
                &euc[1..]
            };
            out.push_str(&strict(encoding_rs::EUC_JP, euc).ok_or(INVALID)?);
            i += 2;
            continue;
        }
        if b < 0x80 {
            out.push(char::from(b));
            if matches!(b, b'\\' | b'\r' | b'\n' | 0x0C | b'\t') {
                (g0, g1) = initial;
            }
            i += 1;
            continue;
        }
        match g1.ok_or(INVALID)? {
            Graphic::Upper(None) => out.push(char::from(b)),
            Graphic::Upper(Some(encoding)) => {
                if b < 0xA0 {
                    return Err(INVALID);
                }
                out.push_str(&strict(encoding, &[b]).ok_or(INVALID)?);
            }
            Graphic::Katakana => match b {
                0xA1..=0xDF => out.push(
                    char::from_u32(0xFF61 + u32::from(b - 0xA1)).expect("half-width katakana"),
                ),
                _ => return Err(INVALID),
            },
            set @ (Graphic::KsX1001 | Graphic::Gb2312) => {
                let b2 = *bytes.get(i + 1).ok_or(INVALID)?;
                if !(0xA1..=0xFE).contains(&b) || !(0xA1..=0xFE).contains(&b2) {
                    return Err(INVALID);
                }
                let table = if set == Graphic::KsX1001 {
                    encoding_rs::EUC_KR
                } else {
                    encoding_rs::GBK
                };
                out.push_str(&strict(table, &[b, b2]).ok_or(INVALID)?);
                i += 1;
            }
            Graphic::Ascii | Graphic::JisX0208 | Graphic::JisX0212 => return Err(INVALID),
        }
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs(terms: &str) -> CharacterSet {
        let terms: Vec<&str> = terms.split('\\').collect();
        CharacterSet::from_terms(&terms)
    }

    #[test]
    fn japanese_jis_x_0208_after_an_escape_decodes() {
        // The manufacturer of issue 11, which came out as the raw escape sequences.
        let bytes = b"\x1b$B%-%d%N%s\x1b(B";
        assert_eq!(cs("\\ISO 2022 IR 87").decode(bytes).unwrap(), "キヤノン");
    }

    #[test]
    fn korean_and_chinese_g1_sets_decode() {
        let korean = b"\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf";
        assert_eq!(cs("\\ISO 2022 IR 149").decode(korean).unwrap(), "김희중");
        let chinese = b"\x1b$)A\xd6\xd0\xb9\xfa";
        assert_eq!(cs("\\ISO 2022 IR 58").decode(chinese).unwrap(), "中国");
        assert_eq!(cs("GB18030").decode(b"\xd6\xd0\xb9\xfa").unwrap(), "中国");
        assert_eq!(cs("GBK").decode(b"\xd6\xd0\xb9\xfa").unwrap(), "中国");
    }

    #[test]
    fn single_byte_sets_use_their_own_upper_half() {
        assert_eq!(cs("ISO_IR 100").decode(b"M\xfcller").unwrap(), "Müller");
        let russian = b"\xbb\xee\xda\xe1\xd5\xdc\xd1\xe3\xe0\xd3";
        assert_eq!(cs("ISO_IR 144").decode(russian).unwrap(), "Люксембург");
        assert_eq!(
            cs("ISO_IR 126")
                .decode(b"\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2")
                .unwrap(),
            "Διονυσιος"
        );
        assert_eq!(
            cs("ISO_IR 192").decode("Ünïcødé".as_bytes()).unwrap(),
            "Ünïcødé"
        );
        assert_eq!(cs("ISO_IR 13").decode(b"\xd4\xcf\xc0\xde").unwrap(), "ﾔﾏﾀﾞ");
    }

    #[test]
    fn the_initial_set_returns_at_each_delimiter() {
        // G1 switched from katakana (value 1) to Latin-1, then back at the backslash.
        let bytes = b"\x1b-A\xe9\\\xb1";
        let set = cs("ISO 2022 IR 13\\ISO 2022 IR 100");
        assert_eq!(set.decode(bytes).unwrap(), "é\\ｱ");
        // JIS X 0208 is left by ESC ( B before the delimiter, as writers must.
        let kanji = b"\x1b$B%-\x1b(B\\%-";
        assert_eq!(cs("\\ISO 2022 IR 87").decode(kanji).unwrap(), "キ\\%-");
    }

    #[test]
    fn undecodable_values_are_errors_not_text() {
        // Non-ASCII with no character set; UTF-8 that is not; an unknown escape; a bare ESC
        // under a stand-alone set; an undeclared G1 byte; C1 controls in ISO 8859.
        assert!(cs("").decode(b"caf\xe9").is_err());
        assert!(cs("ISO_IR 192").decode(b"caf\xe9").is_err());
        assert!(cs("\\ISO 2022 IR 87").decode(b"\x1b$Zxx").is_err());
        assert!(cs("ISO_IR 100").decode(b"\x1b$B%-\x1b(B").is_err());
        assert!(cs("\\ISO 2022 IR 87").decode(b"\xb1\xe8").is_err());
        assert!(cs("ISO_IR 148").decode(b"a\x80b").is_err());
        assert!(cs("ISO 2022 IR 6").decode(b"a\x07b").is_err());
        assert!(cs("KLINGON").decode(b"\xe9").is_err());
        assert_eq!(cs("KLINGON").decode(b"CT").unwrap(), "CT");
    }

    #[test]
    fn term_spelling_variants_are_accepted() {
        assert_eq!(cs("ISO-IR 100"), CharacterSet::Single(Whole::Latin1));
        assert_eq!(cs("ISO_IR100"), CharacterSet::Single(Whole::Latin1));
        assert_eq!(
            cs("ISO 2022 IR 100"),
            CharacterSet::Iso2022 {
                g0: Graphic::Ascii,
                g1: Some(Graphic::Upper(None))
            }
        );
    }
}

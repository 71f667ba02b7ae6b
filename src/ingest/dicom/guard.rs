//! The structural walk of a DICOM data set, which is also its parser.
//!
//! Every element header, at every sequence depth, is checked against the bytes that exist
//! (the file, or the capped buffer read from it), nesting is bounded by [`MAX_DEPTH`] and
//! the top-level index by [`MAX_ELEMENTS`], and the walk stops at the top-level Pixel
//! Data. What comes out is the index of top-level elements — tag, VR, where the value is —
//! that `header.rs` reads values from. Nothing is allocated from a length field, so a
//! hostile file costs at most the buffer it was read into.
//!
//! (This walk once only guarded dicom-object, which then parsed the same bytes its own way:
//! a UN sequence of undefined length, or a VR swapped in a mutant, passed the walk and made
//! dicom-object allocate gigabytes. There is now one reading of the bytes, this one.)
//!
//! The walk understands the three uncompressed encodings (explicit/implicit VR little
//! endian, explicit VR big endian); deflated data sets are inflated (bounded) by the caller
//! and walked as explicit VR little endian. Encapsulated pixel data sits after the header
//! and is never read.

use std::fmt;

/// How a data set is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    ExplicitLe,
    ImplicitLe,
    ExplicitBe,
}

/// Where the parts of a file are, as found by [`locate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Byte range of the file meta group elements (after `DICM`), if the file has one.
    pub meta: Option<(usize, usize)>,
    /// Transfer Syntax UID from the meta group (None for a bare data set).
    pub transfer_syntax: Option<String>,
    /// Media Storage SOP Class UID from the meta group (a DICOMDIR says so here).
    pub media_storage_sop_class: Option<String>,
    /// Offset where the main data set starts.
    pub dataset_start: usize,
}

/// Why a file failed the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardError {
    /// More bytes are needed than the prefix read so far (the caller reads more).
    NeedMore,
    Empty,
    NotDicom,
    /// The file ends inside an element header or value.
    Truncated {
        offset: usize,
    },
    /// An element declares more bytes than the whole file has.
    BadLength {
        tag: (u16, u16),
        length: u32,
        offset: usize,
        file_len: u64,
    },
    /// Structure that cannot be DICOM (bad VR, stray delimiter, misplaced item).
    Malformed {
        offset: usize,
        what: &'static str,
    },
    /// Sequences nested deeper than [`MAX_DEPTH`].
    TooDeep {
        offset: usize,
    },
    /// More top-level elements than [`MAX_ELEMENTS`].
    TooMany {
        offset: usize,
    },
}

/// Nested sequences deeper than this are refused (real files stay under ~10).
pub const MAX_DEPTH: u32 = 64;

/// Top-level elements indexed at most (real headers have a few hundred; the bound keeps
/// the index of a hostile file at 1 MiB).
pub const MAX_ELEMENTS: usize = 1 << 16;

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuardError::NeedMore => write!(f, "needs more bytes"),
            GuardError::Empty => write!(f, "empty file"),
            GuardError::NotDicom => write!(
                f,
                "not DICOM: no DICM magic at offset 128 or 0, and no group-0008 data set at the start"
            ),
            GuardError::Truncated { offset } => {
                write!(f, "truncated: the file ends inside the element at byte {offset}")
            }
            GuardError::BadLength {
                tag,
                length,
                offset,
                file_len,
            } => write!(
                f,
                "element ({:04X},{:04X}) at byte {offset} declares a length of {length} bytes but the file has only {file_len}",
                tag.0, tag.1
            ),
            GuardError::Malformed { offset, what } => {
                write!(f, "malformed data set at byte {offset}: {what}")
            }
            GuardError::TooDeep { offset } => write!(
                f,
                "sequences nested deeper than {MAX_DEPTH} levels at byte {offset}"
            ),
            GuardError::TooMany { offset } => write!(
                f,
                "more than {MAX_ELEMENTS} top-level elements (at byte {offset})"
            ),
        }
    }
}

const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
const UNDEFINED: u32 = 0xFFFF_FFFF;

/// Finds the meta group and the start of the data set in `buf`, a prefix of a file of
/// `file_len` bytes.
pub fn locate(buf: &[u8], file_len: u64) -> Result<Layout, GuardError> {
    if file_len == 0 {
        return Err(GuardError::Empty);
    }
    let meta_start = if buf.len() >= 132 && &buf[128..132] == b"DICM" {
        Some(132)
    } else if buf.len() >= 4 && &buf[..4] == b"DICM" {
        Some(4)
    } else {
        None
    };
    let Some(meta_start) = meta_start else {
        // A bare data set (old archives): accepted only when it opens with a group-0008
        // element, so that text and other files are not misread as DICOM.
        if buf.len() >= 8 && u16::from_le_bytes([buf[0], buf[1]]) == 0x0008 {
            return Ok(Layout {
                meta: None,
                transfer_syntax: None,
                media_storage_sop_class: None,
                dataset_start: 0,
            });
        }
        if (buf.len() as u64) < file_len.min(132) {
            return Err(GuardError::NeedMore);
        }
        return Err(GuardError::NotDicom);
    };
    let walker = Walker {
        buf,
        file_len,
        syntax: Syntax::ExplicitLe,
    };
    let mut pos = meta_start;
    let mut transfer_syntax = None;
    let mut media_storage_sop_class = None;
    let uid = |value: &[u8]| {
        let text = String::from_utf8_lossy(value);
        text.trim_end_matches(['\0', ' ']).trim().to_string()
    };
    loop {
        if pos + 8 > buf.len() {
            walker.need(pos, 8)?;
        }
        let (group, element) = walker.tag(pos);
        if group != 0x0002 {
            break;
        }
        let (header, length) = walker.explicit_header(pos)?;
        if length == UNDEFINED {
            return Err(GuardError::Malformed {
                offset: pos,
                what: "undefined length in the file meta group",
            });
        }
        let end = walker.value_end(pos, header, length, (group, element), usize::MAX)?;
        match element {
            0x0002 => media_storage_sop_class = Some(uid(&buf[pos + header..end])),
            0x0010 => transfer_syntax = Some(uid(&buf[pos + header..end])),
            _ => {}
        }
        pos = end;
    }
    match &transfer_syntax {
        None => {
            return Err(GuardError::Malformed {
                offset: meta_start,
                what: "file meta group has no Transfer Syntax UID (0002,0010)",
            })
        }
        Some(uid) if uid.is_empty() || !uid.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            return Err(GuardError::Malformed {
                offset: meta_start,
                what: "Transfer Syntax UID (0002,0010) is not a UID",
            })
        }
        Some(_) => {}
    }
    Ok(Layout {
        meta: Some((meta_start, pos)),
        transfer_syntax,
        media_storage_sop_class,
        dataset_start: pos,
    })
}

/// Guesses the encoding of a bare data set (no meta group) from its first element.
pub fn sniff_bare(buf: &[u8]) -> Syntax {
    if buf.len() >= 6 && is_vr(&buf[4..6]) {
        Syntax::ExplicitLe
    } else {
        Syntax::ImplicitLe
    }
}

/// One top-level element as found by the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element {
    pub tag: (u16, u16),
    /// The VR on disk; `None` in implicit VR.
    pub vr: Option<[u8; 2]>,
    /// The value's byte range in the walked buffer; empty for a sequence.
    pub start: u32,
    pub len: u32,
    /// A sequence (SQ, or UN of undefined length): its items were walked, not indexed.
    pub sequence: bool,
}

/// What [`header_end`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Walked {
    /// Where the header ends: the top-level Pixel Data (or any later tag), or the end.
    pub end: usize,
    /// The top-level elements before `end`, in file order.
    pub elements: Vec<Element>,
}

/// Walks the data set in `buf[start..]`: checks every element at every depth and indexes
/// the top-level ones up to the Pixel Data.
///
/// `file_len` is the length of the whole input; `buf` may be a prefix of it, in which case
/// [`GuardError::NeedMore`] asks for more bytes.
pub fn header_end(
    buf: &[u8],
    start: usize,
    file_len: u64,
    syntax: Syntax,
) -> Result<Walked, GuardError> {
    let walker = Walker {
        buf,
        file_len,
        syntax,
    };
    let mut elements = Vec::new();
    let end = match walker.elements(start, None, 0, Some(&mut elements))? {
        Ended::Limit(p) | Ended::PixelData(p) | Ended::ItemEnd(p) => p,
    };
    Ok(Walked { end, elements })
}

/// What the dictionary says of an implicit-VR tag: whether its value is a sequence.
fn implicit_sequence(tag: (u16, u16)) -> Option<bool> {
    use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
    use dicom_core::VR;
    let entry =
        dicom_dictionary_std::StandardDataDictionary.by_tag(dicom_core::Tag(tag.0, tag.1))?;
    Some(entry.vr() == VirtualVr::Exact(VR::SQ))
}

/// Whether a VR opens a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SeqKind {
    Sequence,
    /// UN (explicit) or a tag the dictionary does not know (implicit): a sequence when its
    /// length is undefined.
    Unknown,
    Not,
}

impl SeqKind {
    fn of(vr: &[u8]) -> SeqKind {
        match vr {
            b"SQ" => SeqKind::Sequence,
            b"UN" => SeqKind::Unknown,
            _ => SeqKind::Not,
        }
    }
}

#[derive(Clone, Copy)]
struct Walker<'a> {
    buf: &'a [u8],
    file_len: u64,
    syntax: Syntax,
}

/// The position reached when a data set ends.
enum Ended {
    /// Ran to the limit (end of item, end of data).
    Limit(usize),
    /// An item delimitation item was consumed; the position after it.
    ItemEnd(usize),
    /// Top level only: Pixel Data (or a later tag) starts here.
    PixelData(usize),
}

impl Walker<'_> {
    fn complete(&self) -> bool {
        self.buf.len() as u64 >= self.file_len
    }

    /// Fails unless `n` bytes are available at `pos`.
    fn need(&self, pos: usize, n: usize) -> Result<(), GuardError> {
        if pos + n <= self.buf.len() {
            Ok(())
        } else if self.complete() {
            Err(GuardError::Truncated { offset: pos })
        } else {
            Err(GuardError::NeedMore)
        }
    }

    fn u16_at(&self, pos: usize) -> u16 {
        let b = [self.buf[pos], self.buf[pos + 1]];
        match self.syntax {
            Syntax::ExplicitBe => u16::from_be_bytes(b),
            _ => u16::from_le_bytes(b),
        }
    }

    fn u32_at(&self, pos: usize) -> u32 {
        let b = [
            self.buf[pos],
            self.buf[pos + 1],
            self.buf[pos + 2],
            self.buf[pos + 3],
        ];
        match self.syntax {
            Syntax::ExplicitBe => u32::from_be_bytes(b),
            _ => u32::from_le_bytes(b),
        }
    }

    fn tag(&self, pos: usize) -> (u16, u16) {
        (self.u16_at(pos), self.u16_at(pos + 2))
    }

    /// Header size and length of an explicit-VR element at `pos` (8 bytes are available).
    fn explicit_header(&self, pos: usize) -> Result<(usize, u32), GuardError> {
        let vr = &self.buf[pos + 4..pos + 6];
        if !is_vr(vr) {
            return Err(GuardError::Malformed {
                offset: pos,
                what: "invalid value representation",
            });
        }
        if has_long_length(vr) {
            self.need(pos, 12)?;
            Ok((12, self.u32_at(pos + 8)))
        } else {
            Ok((8, u32::from(self.u16_at(pos + 6))))
        }
    }

    /// End of a defined-length value, checked against the container and the file.
    fn value_end(
        &self,
        pos: usize,
        header: usize,
        length: u32,
        tag: (u16, u16),
        limit: usize,
    ) -> Result<usize, GuardError> {
        let end = pos as u64 + header as u64 + u64::from(length);
        if end > self.file_len {
            return Err(if u64::from(length) > self.file_len {
                GuardError::BadLength {
                    tag,
                    length,
                    offset: pos,
                    file_len: self.file_len,
                }
            } else {
                GuardError::Truncated { offset: pos }
            });
        }
        let end = end as usize;
        if end > limit {
            return Err(GuardError::Malformed {
                offset: pos,
                what: "element runs past the end of its enclosing item",
            });
        }
        if end > self.buf.len() {
            return Err(GuardError::NeedMore);
        }
        Ok(end)
    }

    /// Walks data set elements from `pos` up to `limit` (None: to the end of the data),
    /// indexing them into `index` (the top level only).
    fn elements(
        &self,
        mut pos: usize,
        limit: Option<usize>,
        depth: u32,
        mut index: Option<&mut Vec<Element>>,
    ) -> Result<Ended, GuardError> {
        let top = depth == 0;
        let mut previous: Option<(u16, u16)> = None;
        loop {
            let at_limit = match limit {
                Some(l) => pos >= l,
                None => pos >= self.buf.len() && self.complete(),
            };
            if at_limit {
                return Ok(Ended::Limit(pos));
            }
            self.need(pos, 8)?;
            let at = pos;
            let tag = self.tag(pos);
            if top && tag >= PIXEL_DATA {
                return Ok(Ended::PixelData(pos));
            }
            if tag == ITEM_END && !top {
                return Ok(Ended::ItemEnd(pos + 8));
            }
            if tag.0 == 0xFFFE {
                return Err(GuardError::Malformed {
                    offset: pos,
                    what: "item or delimiter outside a sequence",
                });
            }
            // Tags ascend in a data set; a step back at the top level means the bytes are
            // not what the walk thinks they are (a swapped VR shifts every later header).
            if top && previous.is_some_and(|p| tag <= p) {
                return Err(GuardError::Malformed {
                    offset: pos,
                    what: "element tags out of order",
                });
            }
            previous = Some(tag);
            let (header, length, vr) = match self.syntax {
                Syntax::ImplicitLe => (8, self.u32_at(pos + 4), None),
                _ => {
                    let (header, length) = self.explicit_header(pos)?;
                    let vr = [self.buf[pos + 4], self.buf[pos + 5]];
                    (header, length, Some(vr))
                }
            };
            // Implicit VR has no VR to tell: the dictionary does, and an unknown (private)
            // tag whose value opens with an item tag is a sequence.
            let kind = match vr {
                Some(vr) => SeqKind::of(&vr),
                None => match implicit_sequence(tag) {
                    Some(true) => SeqKind::Sequence,
                    Some(false) => SeqKind::Not,
                    None => SeqKind::Unknown,
                },
            };
            let bound = limit.unwrap_or(usize::MAX);
            let value_start = pos + header;
            let mut sequence = true;
            pos = if length == UNDEFINED {
                match kind {
                    // UN of undefined length holds an implicit-VR little-endian sequence
                    // (PS3.5 6.2.2), whatever the file's own encoding.
                    SeqKind::Unknown if vr.is_some() => Walker {
                        syntax: Syntax::ImplicitLe,
                        ..*self
                    }
                    .sequence(value_start, None, depth + 1, true)?,
                    // Encapsulated pixel data nested in an item (an icon image).
                    SeqKind::Not if tag == PIXEL_DATA => {
                        self.sequence(value_start, None, depth + 1, false)?
                    }
                    SeqKind::Not => {
                        return Err(GuardError::Malformed {
                            offset: pos,
                            what: "undefined length on an element that is not a sequence",
                        });
                    }
                    _ => self.sequence(value_start, None, depth + 1, true)?,
                }
            } else {
                let end = self.value_end(pos, header, length, tag, bound)?;
                let opens_item = end - value_start >= 8 && self.tag(value_start) == ITEM;
                match kind {
                    SeqKind::Sequence => {
                        self.sequence(value_start, Some(end), depth + 1, true)?;
                    }
                    // An unknown implicit-VR tag is read as a sequence only if it looks
                    // like one; a defined-length UN is opaque bytes.
                    SeqKind::Unknown if vr.is_none() && opens_item => {
                        self.sequence(value_start, Some(end), depth + 1, true)?;
                    }
                    _ => sequence = false,
                }
                end
            };
            if let Some(index) = index.as_deref_mut() {
                if index.len() >= MAX_ELEMENTS {
                    return Err(GuardError::TooMany { offset: at });
                }
                let (start, len) = if sequence {
                    (value_start, 0)
                } else {
                    (value_start, pos - value_start)
                };
                index.push(Element {
                    tag,
                    vr,
                    start: start as u32,
                    len: len as u32,
                    sequence,
                });
            }
        }
    }

    /// Walks sequence items from `pos`: to `limit` for a defined-length sequence, or to the
    /// sequence delimiter. Items hold data sets, or raw fragments (`datasets == false`).
    fn sequence(
        &self,
        mut pos: usize,
        limit: Option<usize>,
        depth: u32,
        datasets: bool,
    ) -> Result<usize, GuardError> {
        if depth > MAX_DEPTH {
            return Err(GuardError::TooDeep { offset: pos });
        }
        loop {
            if let Some(l) = limit {
                if pos >= l {
                    return Ok(pos);
                }
            }
            self.need(pos, 8)?;
            let tag = self.tag(pos);
            let length = self.u32_at(pos + 4);
            if tag == SEQUENCE_END {
                if limit.is_some() {
                    return Err(GuardError::Malformed {
                        offset: pos,
                        what: "sequence delimiter in a defined-length sequence",
                    });
                }
                return Ok(pos + 8);
            }
            if tag != ITEM {
                return Err(GuardError::Malformed {
                    offset: pos,
                    what: "expected an item in a sequence",
                });
            }
            let bound = limit.unwrap_or(usize::MAX);
            pos = if length == UNDEFINED {
                if !datasets {
                    return Err(GuardError::Malformed {
                        offset: pos,
                        what: "undefined-length pixel data fragment",
                    });
                }
                match self.elements(pos + 8, limit, depth, None)? {
                    Ended::ItemEnd(p) => p,
                    Ended::Limit(p) | Ended::PixelData(p) => {
                        if limit.is_some() {
                            p
                        } else {
                            return Err(GuardError::Truncated { offset: p });
                        }
                    }
                }
            } else {
                let end = self.value_end(pos, 8, length, tag, bound)?;
                if datasets {
                    match self.elements(pos + 8, Some(end), depth, None)? {
                        Ended::Limit(_) => {}
                        Ended::ItemEnd(p) | Ended::PixelData(p) => {
                            return Err(GuardError::Malformed {
                                offset: p,
                                what: "item delimiter inside a defined-length item",
                            })
                        }
                    }
                }
                end
            };
        }
    }
}

fn is_vr(bytes: &[u8]) -> bool {
    const VRS: &[&[u8; 2]] = &[
        b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"OB",
        b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
        b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
    ];
    VRS.iter().any(|vr| vr[..] == *bytes)
}

fn has_long_length(vr: &[u8]) -> bool {
    matches!(
        vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explicit(tag: (u16, u16), vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(tag.0.to_le_bytes());
        out.extend(tag.1.to_le_bytes());
        out.extend(vr);
        if has_long_length(vr) {
            out.extend([0, 0]);
            out.extend((value.len() as u32).to_le_bytes());
        } else {
            out.extend((value.len() as u16).to_le_bytes());
        }
        out.extend(value);
        out
    }

    #[test]
    fn stops_at_top_level_pixel_data() {
        let mut data = explicit((0x0008, 0x0060), b"CS", b"CT");
        let pixel_at = data.len();
        data.extend(explicit(PIXEL_DATA, b"OW", &[0u8; 32]));
        let end = header_end(&data, 0, data.len() as u64, Syntax::ExplicitLe).unwrap();
        assert_eq!(end.end, pixel_at);
        assert_eq!(end.elements.len(), 1);
        assert_eq!(end.elements[0].tag, (0x0008, 0x0060));
    }

    #[test]
    fn huge_length_is_refused_without_reading_it() {
        let mut data = explicit((0x0008, 0x0060), b"CS", b"CT");
        let at = data.len();
        data.extend([
            0x09, 0x00, 0x10, 0x10, b'O', b'B', 0, 0, 0xF0, 0xFF, 0xFF, 0xFF,
        ]);
        data.extend([0u8; 16]);
        let err = header_end(&data, 0, 600, Syntax::ExplicitLe).unwrap_err();
        assert!(
            matches!(err, GuardError::BadLength { length: 0xFFFF_FFF0, offset, .. } if offset == at),
            "{err:?}"
        );
    }

    #[test]
    fn a_prefix_asks_for_more_bytes() {
        let mut data = explicit((0x0008, 0x0060), b"CS", b"CT");
        data.extend(explicit((0x0010, 0x0010), b"PN", b"X^Y"));
        let err = header_end(&data[..12], 0, data.len() as u64, Syntax::ExplicitLe).unwrap_err();
        assert_eq!(err, GuardError::NeedMore);
    }

    #[test]
    fn nested_sequences_beyond_the_limit_are_refused() {
        let mut data = Vec::new();
        for _ in 0..(MAX_DEPTH + 2) {
            data.extend([
                0x08, 0x00, 0x32, 0x10, b'S', b'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            data.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
        }
        let err = header_end(&data, 0, data.len() as u64, Syntax::ExplicitLe).unwrap_err();
        assert!(matches!(err, GuardError::TooDeep { .. }), "{err:?}");
    }

    #[test]
    fn implicit_sequences_are_walked_inside() {
        // (0008,1032) implicit, defined length, one item holding an element whose length
        // lies: the walk must look inside and refuse it.
        let mut item = Vec::new();
        item.extend([0x08, 0x00, 0x00, 0x01]);
        item.extend(0xFFFF_FF00u32.to_le_bytes());
        let mut seq = vec![0xFE, 0xFF, 0x00, 0xE0];
        seq.extend((item.len() as u32).to_le_bytes());
        seq.extend(&item);
        let mut data = vec![0x08, 0x00, 0x32, 0x10];
        data.extend((seq.len() as u32).to_le_bytes());
        data.extend(&seq);
        let err = header_end(&data, 0, data.len() as u64, Syntax::ImplicitLe).unwrap_err();
        assert!(matches!(err, GuardError::BadLength { .. }), "{err:?}");
    }

    #[test]
    fn text_is_not_dicom() {
        let text = b"Patient notes: nothing to see here, just a plain text file.\n".repeat(4);
        assert_eq!(locate(&text, text.len() as u64), Err(GuardError::NotDicom));
        assert_eq!(locate(&[], 0), Err(GuardError::Empty));
    }
}

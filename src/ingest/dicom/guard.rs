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

mod error;

pub use error::GuardError;

/// How a data set is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    ExplicitLe,
    ImplicitLe,
    ExplicitBe,
}

/// Nested sequences deeper than this are refused (real files stay under ~10).
pub const MAX_DEPTH: u32 = 64;

/// Top-level elements indexed at most (real headers have a few hundred; the bound keeps
/// the index of a hostile file at 1 MiB).
pub const MAX_ELEMENTS: usize = 1 << 16;

const ITEM: (u16, u16) = (0xFFFE, 0xE000);
const ITEM_END: (u16, u16) = (0xFFFE, 0xE00D);
const SEQUENCE_END: (u16, u16) = (0xFFFE, 0xE0DD);
const PIXEL_DATA: (u16, u16) = (0x7FE0, 0x0010);
pub(crate) const UNDEFINED: u32 = 0xFFFF_FFFF;

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
pub(crate) struct Walker<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) file_len: u64,
    pub(crate) syntax: Syntax,
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
    pub(crate) fn need(&self, pos: usize, n: usize) -> Result<(), GuardError> {
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

    pub(crate) fn tag(&self, pos: usize) -> (u16, u16) {
        (self.u16_at(pos), self.u16_at(pos + 2))
    }

    /// Header size and length of an explicit-VR element at `pos` (8 bytes are available).
    pub(crate) fn explicit_header(&self, pos: usize) -> Result<(usize, u32), GuardError> {
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
    pub(crate) fn value_end(
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
            if limit.is_some_and(|l| pos + 8 > l) {
                return Err(GuardError::Malformed {
                    offset: pos,
                    what: "element header runs past the end of its item",
                });
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

pub(crate) fn is_vr(bytes: &[u8]) -> bool {
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
mod tests;

//! Why a walk failed: each variant names the offset, and the tag where there is one.

use std::fmt;

use super::{MAX_DEPTH, MAX_ELEMENTS};

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

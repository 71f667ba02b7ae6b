//! Where a file's parts are: the optional 128-byte preamble and `DICM`, the file meta group
//! (group 0002, always explicit VR little endian), and where the data set starts; and, for
//! a bare data set with no meta group, which encoding it has.

use super::guard::{is_vr, GuardError, Syntax, Walker, UNDEFINED};

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

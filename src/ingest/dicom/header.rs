//! A walked header: the bytes up to Pixel Data, the index of its top-level elements, and
//! the VR and byte order to read each value by.
//!
//! A value whose VR is UN (an anonymiser or PACS that turned implicit VR into explicit
//! without a dictionary) or that has no VR on disk (implicit VR) is read by the standard
//! dictionary's VR, in implicit little endian, as pydicom and dcmtk do: Modality `CT`, not
//! the bytes `67\84`.

use dicom_core::dictionary::{DataDictionary, DataDictionaryEntry, VirtualVr};
use dicom_core::{Tag, VR};

use super::charset::CharacterSet;
use super::guard::{Element, Syntax, Walked};

/// The header of one file, ready for typed reads.
pub struct Header {
    bytes: Vec<u8>,
    /// Sorted by tag (stable: the first of duplicates wins).
    elements: Vec<Element>,
    big_endian: bool,
    charset: CharacterSet,
    /// The file's Transfer Syntax UID; Implicit VR Little Endian for a bare data set.
    pub transfer_syntax: String,
}

/// One element's value and what it takes to read it.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    pub tag: Tag,
    /// The VR the value is read by (on disk, or the dictionary's for UN and implicit VR).
    pub vr: VR,
    /// Whether the VR came from the dictionary because the disk said UN or nothing.
    pub vr_from_dictionary: bool,
    pub bytes: &'a [u8],
    pub big_endian: bool,
    /// A sequence: no value to read.
    pub sequence: bool,
}

impl Header {
    /// `bytes` is the buffer the walk ran over; element offsets point into it.
    pub fn new(bytes: Vec<u8>, walked: Walked, syntax: Syntax, transfer_syntax: String) -> Self {
        let mut elements = walked.elements;
        elements.sort_by_key(|e| e.tag);
        let mut header = Header {
            bytes,
            elements,
            big_endian: syntax == Syntax::ExplicitBe,
            charset: CharacterSet::Single(super::charset::Whole::Ascii),
            transfer_syntax,
        };
        header.charset = header.read_charset();
        header
    }

    /// A header built from already-encoded values (the DICOMweb converter encodes each
    /// JSON element as explicit VR little endian); `elements` point into `bytes`.
    pub fn from_parts(bytes: Vec<u8>, elements: Vec<Element>, transfer_syntax: String) -> Self {
        let walked = Walked {
            end: bytes.len(),
            elements,
        };
        Header::new(bytes, walked, Syntax::ExplicitLe, transfer_syntax)
    }

    /// The element with `tag`, if the header has it.
    pub fn get(&self, tag: Tag) -> Option<Field<'_>> {
        let key = (tag.0, tag.1);
        let i = self.elements.partition_point(|e| e.tag < key);
        let e = self.elements.get(i).filter(|e| e.tag == key)?;
        let bytes = &self.bytes[e.start as usize..(e.start + e.len) as usize];
        let on_disk = e.vr.and_then(VR::from_binary).filter(|vr| *vr != VR::UN);
        let (vr, vr_from_dictionary) = match on_disk {
            Some(vr) => (vr, false),
            None => (dictionary_vr(tag), true),
        };
        Some(Field {
            tag,
            vr,
            vr_from_dictionary,
            bytes,
            // UN values and implicit VR are little endian whatever the file's encoding.
            big_endian: self.big_endian && !vr_from_dictionary,
            sequence: e.sequence || vr == VR::SQ,
        })
    }

    pub fn charset(&self) -> &CharacterSet {
        &self.charset
    }

    fn read_charset(&self) -> CharacterSet {
        let Some(field) = self.get(Tag(0x0008, 0x0005)) else {
            return CharacterSet::from_terms(&[]);
        };
        // The terms are plain ASCII; anything else is a term we do not know.
        let text = String::from_utf8_lossy(field.bytes);
        let terms: Vec<&str> = text.split('\\').collect();
        CharacterSet::from_terms(&terms)
    }
}

/// The dictionary's VR for `tag`; UN for a tag it does not know (private ones).
pub fn dictionary_vr(tag: Tag) -> VR {
    let Some(entry) = dicom_dictionary_std::StandardDataDictionary.by_tag(tag) else {
        return VR::UN;
    };
    match entry.vr() {
        VirtualVr::Exact(vr) => vr,
        VirtualVr::Xs => VR::US,
        VirtualVr::Ox | VirtualVr::Px => VR::OB,
        VirtualVr::Lt => VR::OW,
        _ => VR::UN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::dicom::guard::header_end;
    use crate::ingest::dicom::value;

    fn un(tag: (u16, u16), value: &[u8]) -> Vec<u8> {
        // Explicit VR big endian header, UN, with the value in implicit little endian.
        let mut out = Vec::new();
        out.extend(tag.0.to_be_bytes());
        out.extend(tag.1.to_be_bytes());
        out.extend(b"UN\0\0");
        out.extend((value.len() as u32).to_be_bytes());
        out.extend(value);
        out
    }

    #[test]
    fn un_values_are_read_by_the_dictionary_vr_in_little_endian() {
        let mut data = un((0x0008, 0x0060), b"CT");
        data.extend(un((0x0028, 0x0010), &512u16.to_le_bytes()));
        data.extend(un((0x0028, 0x0030), b"0.5\\0.25"));
        let walked = header_end(&data, 0, data.len() as u64, Syntax::ExplicitBe).unwrap();
        let header = Header::new(
            data,
            walked,
            Syntax::ExplicitBe,
            "1.2.840.10008.1.2.2".into(),
        );
        let cs = header.charset().clone();
        let modality = header.get(Tag(0x0008, 0x0060)).unwrap();
        assert_eq!((modality.vr, modality.vr_from_dictionary), (VR::CS, true));
        assert_eq!(value::text(&modality, &cs).unwrap().as_deref(), Some("CT"));
        let rows = header.get(Tag(0x0028, 0x0010)).unwrap();
        assert_eq!(value::integer(&rows, &cs).unwrap(), Some(512));
        let spacing = header.get(Tag(0x0028, 0x0030)).unwrap();
        assert_eq!(value::numbers(&spacing, &cs).unwrap(), [0.5, 0.25]);
    }
}

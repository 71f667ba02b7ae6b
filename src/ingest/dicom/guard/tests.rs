//! The walk on hand-made bytes: where it stops, what it refuses.
use super::*;
use crate::ingest::dicom::meta::locate;

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

#[test]
fn a_un_sequence_of_undefined_length_is_walked_as_implicit_and_indexed_as_one() {
    // pydicom's UN_sequence.dcm in small: (4453,100C) UN, undefined length, holding an
    // implicit-VR item with an implicit sequence inside; then a top-level UID.
    let mut data = vec![0x53, 0x44, 0x0C, 0x10, b'U', b'N', 0, 0];
    data.extend(0xFFFF_FFFFu32.to_le_bytes());
    data.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    data.extend([0x08, 0x00, 0x15, 0x11, 0xFF, 0xFF, 0xFF, 0xFF]); // (0008,1115) SQ
    data.extend([0xFE, 0xFF, 0x00, 0xE0, 0x04, 0x00, 0x00, 0x00]);
    data.extend([0x20, 0x00, 0x0E, 0x00]); // a 4-byte item: half an element header...
    data.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    data.extend([0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
    data.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    let broken = header_end(&data, 0, data.len() as u64, Syntax::ExplicitLe).unwrap_err();
    // ...which the walk finds inside the item, at depth 2.
    assert!(
        matches!(broken, GuardError::Malformed { offset: 36, .. }),
        "{broken:?}"
    );

    // The same with a whole element in the item, then a top-level element after it.
    let mut data = vec![0x53, 0x44, 0x0C, 0x10, b'U', b'N', 0, 0];
    data.extend(0xFFFF_FFFFu32.to_le_bytes());
    data.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    data.extend([0x20, 0x00, 0x0E, 0x00, 0x02, 0x00, 0x00, 0x00, b'1', 0]);
    data.extend([0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
    data.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    data.extend(explicit((0x7FE0, 0x0010), b"OW", &[0; 4]));
    let walked = header_end(&data, 0, data.len() as u64, Syntax::ExplicitLe).unwrap();
    assert_eq!(walked.elements.len(), 1);
    assert!(walked.elements[0].sequence);
    assert_eq!(walked.end, data.len() - 16);
}

#[test]
fn top_level_tags_out_of_order_are_malformed() {
    let mut data = explicit((0x0008, 0x0060), b"CS", b"CT");
    data.extend(explicit((0x0008, 0x0020), b"DA", b"20240101"));
    let err = header_end(&data, 0, data.len() as u64, Syntax::ExplicitLe).unwrap_err();
    assert!(
        matches!(err, GuardError::Malformed { offset: 10, .. }),
        "{err:?}"
    );
}

#[test]
fn a_defined_length_sq_must_hold_items() {
    // A VR swapped to SQ over text: the walk looks inside and refuses it.
    let data = explicit((0x0008, 0x0070), b"SQ", b"GE MEDICAL SYSTEMS");
    let err = header_end(&data, 0, data.len() as u64, Syntax::ExplicitLe).unwrap_err();
    assert!(matches!(err, GuardError::Malformed { .. }), "{err:?}");
}

#[test]
fn more_top_level_elements_than_the_index_holds_are_refused() {
    // Empty implicit-VR elements, 8 bytes each, in ascending tag order.
    let mut data = Vec::new();
    for i in 0..=MAX_ELEMENTS as u32 {
        let tag = 0x0009_0000 + i;
        data.extend(((tag >> 16) as u16).to_le_bytes());
        data.extend((tag as u16).to_le_bytes());
        data.extend(0u32.to_le_bytes());
    }
    let err = header_end(&data, 0, data.len() as u64, Syntax::ImplicitLe).unwrap_err();
    assert_eq!(
        err,
        GuardError::TooMany {
            offset: MAX_ELEMENTS * 8
        }
    );
    // One fewer fits.
    let fits = &data[..MAX_ELEMENTS * 8];
    let walked = header_end(fits, 0, fits.len() as u64, Syntax::ImplicitLe).unwrap();
    assert_eq!(walked.elements.len(), MAX_ELEMENTS);
}

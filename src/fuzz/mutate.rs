//! Seeded structural mutations of DICOM files: the classes of damage seen in the field and
//! in issue 11, each aimed at the structure rather than at random bytes.

use rand::{Rng, RngCore};

/// One class of damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mutation {
    /// The file cut at a random byte.
    Truncate,
    /// One to eight random bytes replaced.
    FlipBytes,
    /// An element's length field set to 0xFFFFFFF0, 0x7FFFFFFF, 0xFFFFFFFF or twice the file.
    HugeLength,
    /// An element's VR replaced by another valid VR (short and long header forms swap).
    SwapVr,
    /// An element's VR set to UN (what converters without a dictionary write).
    MakeUn,
    /// A run of bytes from another file (or this one) inserted or written over.
    Splice,
}

impl Mutation {
    pub const ALL: [Mutation; 6] = [
        Mutation::Truncate,
        Mutation::FlipBytes,
        Mutation::HugeLength,
        Mutation::SwapVr,
        Mutation::MakeUn,
        Mutation::Splice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mutation::Truncate => "truncate",
            Mutation::FlipBytes => "flip-bytes",
            Mutation::HugeLength => "huge-length",
            Mutation::SwapVr => "swap-vr",
            Mutation::MakeUn => "make-un",
            Mutation::Splice => "splice",
        }
    }
}

const VRS: [&[u8; 2]; 34] = [
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"OB",
    b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST", b"SV", b"TM",
    b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV",
];

fn long_form(vr: &[u8]) -> bool {
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

/// Offsets of what look like explicit-VR element headers (a known VR after a tag).
fn vr_offsets(data: &[u8]) -> Vec<usize> {
    (4..data.len().saturating_sub(2))
        .filter(|&i| i % 2 == 0 && VRS.iter().any(|vr| data[i..i + 2] == vr[..]))
        .collect()
}

fn pick(rng: &mut impl RngCore, n: usize) -> usize {
    rng.random_range(0..n.max(1))
}

/// Applies `mutation` to `data`; `other` is a second file for splices.
pub fn apply(mutation: Mutation, data: &[u8], other: &[u8], rng: &mut impl RngCore) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.is_empty() {
        return out;
    }
    match mutation {
        Mutation::Truncate => out.truncate(pick(rng, data.len())),
        Mutation::FlipBytes => {
            for _ in 0..rng.random_range(1..=8) {
                let i = pick(rng, out.len());
                out[i] = rng.random();
            }
        }
        Mutation::HugeLength => {
            let offsets = vr_offsets(&out);
            if offsets.is_empty() {
                return out;
            }
            let at = offsets[pick(rng, offsets.len())];
            let value: u32 = match rng.random_range(0..4) {
                0 => 0xFFFF_FFF0,
                1 => 0x7FFF_FFFF,
                2 => 0xFFFF_FFFF,
                _ => (data.len() as u32).saturating_mul(2),
            };
            if long_form(&out[at..at + 2]) && at + 8 <= out.len() {
                out[at + 4..at + 8].copy_from_slice(&value.to_le_bytes());
            } else if at + 4 <= out.len() {
                out[at + 2..at + 4].copy_from_slice(&(value as u16).to_le_bytes());
            }
        }
        Mutation::SwapVr | Mutation::MakeUn => {
            let offsets = vr_offsets(&out);
            if offsets.is_empty() {
                return out;
            }
            let at = offsets[pick(rng, offsets.len())];
            let vr = if mutation == Mutation::MakeUn {
                b"UN"
            } else {
                VRS[pick(rng, VRS.len())]
            };
            out[at..at + 2].copy_from_slice(vr);
        }
        Mutation::Splice => {
            let source = if other.is_empty() { data } else { other };
            let from = pick(rng, source.len());
            let len = rng.random_range(1..=64usize).min(source.len() - from);
            let chunk = &source[from..from + len];
            let at = pick(rng, out.len());
            if rng.random() {
                out.splice(at..at, chunk.iter().copied());
            } else {
                let end = (at + len).min(out.len());
                out.splice(at..end, chunk.iter().copied());
            }
        }
    }
    out
}

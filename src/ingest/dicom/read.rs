//! Reading one DICOM file's header: bounded I/O, then the walk that checks and indexes it.
//!
//! The file is read as a growing prefix (16 KiB first) until the walk has found the
//! top-level Pixel Data element, so a 500 KB CT slice costs a few KiB of I/O. The buffer
//! never grows past the header limit (`scan --max-header-mib`, 8 MiB by default), and a
//! deflated data set is inflated to at most the same limit: whatever its content, a file
//! costs at most twice the limit in memory. A header that does not fit is refused with a
//! reason naming the limit.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::guard::{self, GuardError, Syntax};
use super::header::Header;
use super::meta;

/// The default header limit: bytes before Pixel Data (after inflation) a file may have.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 8 << 20;
const FIRST_READ: usize = 16 << 10;

pub const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";

/// Why a file was not read: a short stable kind and a readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReject {
    pub kind: &'static str,
    pub reason: String,
}

impl FileReject {
    pub fn new(kind: &'static str, reason: impl Into<String>) -> Self {
        FileReject {
            kind,
            reason: reason.into(),
        }
    }

    fn from_guard(e: GuardError, max_header_bytes: usize) -> Self {
        let kind = match e {
            GuardError::NeedMore => "too-large",
            GuardError::Empty => "empty",
            GuardError::NotDicom => "not-dicom",
            GuardError::Truncated { .. } => "truncated",
            GuardError::BadLength { .. } => "bad-length",
            GuardError::Malformed { .. } => "malformed",
            GuardError::TooDeep { .. } => "too-deep",
            GuardError::TooMany { .. } => "too-many-elements",
        };
        let reason = match e {
            GuardError::NeedMore => format!(
                "header (the bytes before Pixel Data) larger than the {} limit (--max-header-mib)",
                mib(max_header_bytes)
            ),
            other => other.to_string(),
        };
        FileReject { kind, reason }
    }
}

fn mib(bytes: usize) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes}-byte")
    }
}

/// A prefix of an input, grown on demand up to its length and the header limit.
struct Prefix<R> {
    input: R,
    len: u64,
    max: usize,
    buf: Vec<u8>,
}

impl<R: Read> Prefix<R> {
    fn new(input: R, len: u64, max: usize) -> Result<Prefix<R>, FileReject> {
        let mut prefix = Prefix {
            input,
            len,
            max,
            buf: Vec::new(),
        };
        prefix.fill(FIRST_READ.min(max))?;
        Ok(prefix)
    }

    /// Reads until `buf` holds `target` bytes or the whole input.
    fn fill(&mut self, target: usize) -> Result<(), FileReject> {
        let target = (target as u64).min(self.len) as usize;
        if target <= self.buf.len() {
            return Ok(());
        }
        let have = self.buf.len();
        self.buf.resize(target, 0);
        let mut filled = have;
        while filled < target {
            match self.input.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(FileReject::new("io", format!("read: {e}"))),
            }
        }
        // The file shrank while being read: what we have is all there is.
        self.buf.truncate(filled);
        if filled < target {
            self.len = filled as u64;
        }
        Ok(())
    }

    fn complete(&self) -> bool {
        self.buf.len() as u64 >= self.len
    }

    /// Runs `step` on the prefix, growing it while `step` asks for more bytes.
    fn with_growth<T>(
        &mut self,
        mut step: impl FnMut(&[u8], u64) -> Result<T, GuardError>,
    ) -> Result<T, FileReject> {
        loop {
            match step(&self.buf, self.len) {
                Err(GuardError::NeedMore) if !self.complete() && self.buf.len() < self.max => {
                    let next = (self.buf.len() * 4).min(self.max);
                    self.fill(next)?;
                }
                other => return other.map_err(|e| FileReject::from_guard(e, self.max)),
            }
        }
    }
}

/// A walked header and what the file meta said about it.
pub struct ReadHeader {
    pub header: Header,
    /// The file meta's Media Storage SOP Class UID (a DICOMDIR names its own).
    pub media_storage_sop_class: Option<String>,
}

/// Reads the header of the DICOM file at `path`, holding at most `max_header_bytes` of it.
pub fn read_header(path: &Path, max_header_bytes: usize) -> Result<ReadHeader, FileReject> {
    let file = File::open(path).map_err(|e| FileReject::new("io", format!("open: {e}")))?;
    let len = file
        .metadata()
        .map_err(|e| FileReject::new("io", format!("stat: {e}")))?
        .len();
    read_header_from(file, len, max_header_bytes)
}

/// Reads a header from `input` of `len` bytes: the same path as [`read_header`], for
/// inputs in memory (the robustness tests and fuzzers).
pub fn read_header_from(
    input: impl Read,
    len: u64,
    max_header_bytes: usize,
) -> Result<ReadHeader, FileReject> {
    let max = max_header_bytes.max(1024);
    let mut prefix = Prefix::new(input, len, max)?;
    let layout = prefix.with_growth(meta::locate)?;
    let transfer_syntax = layout
        .transfer_syntax
        .clone()
        .unwrap_or_else(|| IMPLICIT_LE.to_string());
    let media_storage_sop_class = layout.media_storage_sop_class.clone();

    if transfer_syntax == DEFLATED {
        prefix.fill(max)?;
        let inflated = inflate_bounded(&prefix.buf[layout.dataset_start..], max)?;
        drop(prefix);
        // A full buffer means the inflated stream may go on: ask for no more than it has.
        let available = if inflated.len() >= max {
            u64::MAX
        } else {
            inflated.len() as u64
        };
        let walked = guard::header_end(&inflated, 0, available, Syntax::ExplicitLe)
            .map_err(|e| FileReject::from_guard(e, max))?;
        return Ok(ReadHeader {
            header: Header::new(inflated, walked, Syntax::ExplicitLe, transfer_syntax),
            media_storage_sop_class,
        });
    }

    let syntax = match (layout.meta, transfer_syntax.as_str()) {
        (None, _) => meta::sniff_bare(&prefix.buf),
        (Some(_), IMPLICIT_LE) => Syntax::ImplicitLe,
        (Some(_), EXPLICIT_BE) => Syntax::ExplicitBe,
        // Every other transfer syntax, compressed ones included, encodes the data set
        // as explicit VR little endian — unless the first element has no VR, as some
        // writers put an implicit data set under an explicit meta group (pydicom and dcmtk
        // read those by what the bytes are, and so do we).
        (Some(_), _) => meta::sniff_bare(&prefix.buf[layout.dataset_start..]),
    };
    let start = layout.dataset_start;
    let walked = prefix.with_growth(|buf, len| guard::header_end(buf, start, len, syntax))?;
    Ok(ReadHeader {
        header: Header::new(prefix.buf, walked, syntax, transfer_syntax),
        media_storage_sop_class,
    })
}

/// Inflates at most `max` bytes. A stream that breaks later (in the pixel data, say) still
/// yields the header bytes inflated before the break; the walk then decides.
fn inflate_bounded(deflated: &[u8], max: usize) -> Result<Vec<u8>, FileReject> {
    let mut decoder = flate2::read::DeflateDecoder::new(deflated).take(max as u64);
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                // Geometric growth, but never a capacity past the limit.
                if out.len() + n > out.capacity() {
                    let target = (out.capacity() * 2).max(out.len() + n).min(max);
                    out.reserve_exact(target - out.len());
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) if out.is_empty() => {
                return Err(FileReject::new(
                    "malformed",
                    format!("deflated data set: {e}"),
                ))
            }
            Err(_) => return Ok(out),
        }
    }
}

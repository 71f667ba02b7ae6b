//! Reading one DICOM file's header: bounded I/O, the structural guard, then dicom-object.
//!
//! The file is read as a growing prefix (16 KiB first) until the guard has found the
//! top-level Pixel Data element, so a 500 KB CT slice costs a few KiB of I/O, and a file
//! whose header claims more than [`MAX_HEADER_BYTES`] is refused instead of read.
//! dicom-object then parses exactly the guarded bytes, from memory.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use dicom_encoding::transfer_syntax::TransferSyntaxIndex;
use dicom_object::InMemDicomObject;
use dicom_transfer_syntax_registry::TransferSyntaxRegistry;

use super::guard::{self, GuardError, Syntax};

/// The most header bytes (before Pixel Data, after inflation) a file may have.
pub const MAX_HEADER_BYTES: usize = 64 << 20;
const FIRST_READ: usize = 16 << 10;

pub const DEFLATED: &str = "1.2.840.10008.1.2.1.99";
pub const IMPLICIT_LE: &str = "1.2.840.10008.1.2";
const EXPLICIT_BE: &str = "1.2.840.10008.1.2.2";
const EXPLICIT_LE: &str = "1.2.840.10008.1.2.1";

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
}

impl From<GuardError> for FileReject {
    fn from(e: GuardError) -> Self {
        let kind = match e {
            GuardError::NeedMore => "too-large",
            GuardError::Empty => "empty",
            GuardError::NotDicom => "not-dicom",
            GuardError::Truncated { .. } => "truncated",
            GuardError::BadLength { .. } => "bad-length",
            GuardError::Malformed { .. } => "malformed",
            GuardError::TooDeep { .. } => "too-deep",
        };
        let reason = match e {
            GuardError::NeedMore => {
                format!("header larger than {} MiB", MAX_HEADER_BYTES >> 20)
            }
            other => other.to_string(),
        };
        FileReject { kind, reason }
    }
}

/// A parsed header: the data set (without Pixel Data) and its transfer syntax.
pub struct ParsedHeader {
    pub dataset: InMemDicomObject,
    /// The file's Transfer Syntax UID; Implicit VR Little Endian for a bare data set.
    pub transfer_syntax: String,
}

/// A prefix of a file, grown on demand up to the file's length and [`MAX_HEADER_BYTES`].
struct Prefix {
    file: File,
    len: u64,
    buf: Vec<u8>,
}

impl Prefix {
    fn open(path: &Path) -> Result<Prefix, FileReject> {
        let file = File::open(path).map_err(|e| FileReject::new("io", format!("open: {e}")))?;
        let len = file
            .metadata()
            .map_err(|e| FileReject::new("io", format!("stat: {e}")))?
            .len();
        let mut prefix = Prefix {
            file,
            len,
            buf: Vec::new(),
        };
        prefix.fill(FIRST_READ)?;
        Ok(prefix)
    }

    /// Reads until `buf` holds `target` bytes or the whole file.
    fn fill(&mut self, target: usize) -> Result<(), FileReject> {
        let target = (target as u64).min(self.len) as usize;
        if target <= self.buf.len() {
            return Ok(());
        }
        let have = self.buf.len();
        self.buf.resize(target, 0);
        let mut filled = have;
        while filled < target {
            match self.file.read(&mut self.buf[filled..]) {
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
                Err(GuardError::NeedMore) if !self.complete() => {
                    if self.buf.len() >= MAX_HEADER_BYTES {
                        return Err(GuardError::NeedMore.into());
                    }
                    let next = (self.buf.len() * 4).min(MAX_HEADER_BYTES);
                    self.fill(next)?;
                }
                other => return other.map_err(FileReject::from),
            }
        }
    }
}

/// Reads the header of the DICOM file at `path`.
pub fn read_header(path: &Path) -> Result<ParsedHeader, FileReject> {
    let mut prefix = Prefix::open(path)?;
    let layout = prefix.with_growth(guard::locate)?;
    let transfer_syntax = layout
        .transfer_syntax
        .clone()
        .unwrap_or_else(|| IMPLICIT_LE.to_string());

    if transfer_syntax == DEFLATED {
        prefix.fill(MAX_HEADER_BYTES)?;
        let inflated = inflate_bounded(&prefix.buf[layout.dataset_start..])?;
        let available = if inflated.len() >= MAX_HEADER_BYTES {
            u64::MAX
        } else {
            inflated.len() as u64
        };
        let end = guard::header_end(&inflated, 0, available, Syntax::ExplicitLe)
            .map_err(FileReject::from)?;
        let dataset = parse(&inflated[..end], Syntax::ExplicitLe)?;
        return Ok(ParsedHeader {
            dataset,
            transfer_syntax,
        });
    }

    let syntax = match (layout.meta, transfer_syntax.as_str()) {
        (None, _) => guard::sniff_bare(&prefix.buf),
        (Some(_), IMPLICIT_LE) => Syntax::ImplicitLe,
        (Some(_), EXPLICIT_BE) => Syntax::ExplicitBe,
        // Every other transfer syntax, compressed ones included, encodes the data set
        // as explicit VR little endian.
        (Some(_), _) => Syntax::ExplicitLe,
    };
    let start = layout.dataset_start;
    let end = prefix.with_growth(|buf, len| guard::header_end(buf, start, len, syntax))?;
    let dataset = parse(&prefix.buf[start..end], syntax)?;
    Ok(ParsedHeader {
        dataset,
        transfer_syntax,
    })
}

fn parse(bytes: &[u8], syntax: Syntax) -> Result<InMemDicomObject, FileReject> {
    let uid = match syntax {
        Syntax::ExplicitLe => EXPLICIT_LE,
        Syntax::ImplicitLe => IMPLICIT_LE,
        Syntax::ExplicitBe => EXPLICIT_BE,
    };
    let ts = TransferSyntaxRegistry
        .get(uid)
        .expect("the registry has the three uncompressed transfer syntaxes");
    InMemDicomObject::read_dataset_with_ts(bytes, ts)
        .map_err(|e| FileReject::new("parse", format!("dicom-object: {e}")))
}

/// Inflates at most [`MAX_HEADER_BYTES`]. A stream that breaks later (in the pixel data,
/// say) still yields the header bytes inflated before the break; the guard then decides.
fn inflate_bounded(deflated: &[u8]) -> Result<Vec<u8>, FileReject> {
    let mut decoder = flate2::read::DeflateDecoder::new(deflated).take(MAX_HEADER_BYTES as u64);
    let mut out = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match decoder.read(&mut chunk) {
            Ok(0) => return Ok(out),
            Ok(n) => out.extend_from_slice(&chunk[..n]),
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

//! The error type shared by every command, and how each error maps onto an exit code.
//!
//! Variants are named after the action that failed and carry the path, field or line they
//! concern, so a message alone tells the user what to fix. A single bad DICOM file or log
//! line is *not* an error here: it is a reject, counted and reported while the run goes on.

use std::path::PathBuf;

/// Exit codes, documented in `--help` and the README.
pub mod exit {
    /// Nothing at or above `--fail-on`.
    pub const OK: i32 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: i32 = 1;
    /// Usage or configuration error.
    pub const USAGE: i32 = 2;
    /// Unreadable or inconsistent input (corrupt baseline, schema mismatch, no rows), or a
    /// failed output.
    pub const INPUT: i32 = 3;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read config {path}")]
    ReadConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config {path}: {message}")]
    ParseConfig { path: PathBuf, message: String },
    #[error("invalid config {key}: {message}")]
    ConfigValue { key: &'static str, message: String },
    #[error("invalid argument: {0}")]
    Usage(String),
    #[error("could not read pseudonymisation key from {source_name}")]
    ReadKey {
        source_name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("pseudonymisation key from {0} is empty or shorter than 16 bytes")]
    WeakKey(String),
    #[error("could not read {path}")]
    ReadInput {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    InvalidInput { path: PathBuf, message: String },
    #[error("no input: {0}")]
    NoInput(String),
    #[error("could not write {path}")]
    WriteOutput {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write {path}: {message}")]
    Encode { path: PathBuf, message: String },
    /// A history file (`--history DIR`) that is unreadable, altered or not one of ours.
    #[error("refusing history file {path}: {message}")]
    ReadHistory { path: PathBuf, message: String },
    #[error("{count} input problem(s) and --strict was given; first: {first}")]
    Strict { count: u64, first: String },
    /// A DICOMweb server that refused the credentials or could not be read (the URL
    /// carries no credentials and no query).
    #[error("DICOMweb {url}: {message}")]
    Remote { url: String, message: String },
    /// A module's own typed error (e.g. `table::parquet::ParquetFileError`), kept whole:
    /// its message is this error's and its causes are the chain. An input or output failure.
    #[error(transparent)]
    Input(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl Error {
    /// The process exit code for this error (see [`exit`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::ReadConfig { .. }
            | Error::ParseConfig { .. }
            | Error::ConfigValue { .. }
            | Error::Usage(_)
            | Error::ReadKey { .. }
            | Error::WeakKey(_) => exit::USAGE,
            Error::ReadInput { .. }
            | Error::InvalidInput { .. }
            | Error::NoInput(_)
            | Error::WriteOutput { .. }
            | Error::Encode { .. }
            | Error::Strict { .. }
            | Error::ReadHistory { .. }
            | Error::Remote { .. }
            | Error::Input(_) => exit::INPUT,
        }
    }

    pub fn invalid(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::WriteOutput {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Output: the `Report` value ([`model`]) and its writers — JSON, Markdown, terminal tables.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod terminal;

use std::path::Path;

use crate::atomic;
use crate::error::Result;
use model::Report;

/// Writes report.json and report.md into `dir`, each in full or not at all.
pub fn write_files(report: &Report, dir: &Path) -> Result<()> {
    atomic::write_with(&dir.join("report.json"), |out| json::write(report, out))?;
    atomic::write_with(&dir.join("report.md"), |out| markdown::write(report, out))
}

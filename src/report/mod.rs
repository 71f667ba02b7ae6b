//! Output: the `Report` value ([`model`]) and its writers — JSON, Markdown, terminal tables.

pub mod drill;
pub mod json;
pub mod junit;
pub mod markdown;

pub mod terminal;

use std::path::Path;

use crate::analysis::report::Report;
use crate::atomic;
use crate::error::Result;

/// Writes report.json and report.md into `dir`, both in full or neither: each is staged
/// beside its destination and they are put in place once both are complete.
pub fn write_files(report: &Report, dir: &Path) -> Result<()> {
    let json = atomic::stage_with(&dir.join("report.json"), |out| json::write(report, out))?;
    let markdown = atomic::stage_with(&dir.join("report.md"), |out| markdown::write(report, out))?;
    json.commit()?;
    markdown.commit()
}

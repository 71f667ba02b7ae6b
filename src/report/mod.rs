//! Output: the `Report` value ([`model`]) and its writers — JSON, Markdown, terminal tables.

pub mod drill;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;

pub mod terminal;

use std::path::Path;

use crate::analysis::report::Report;
use crate::atomic;
use crate::error::Result;

/// Writes report.json, report.md and report.html into `dir`, all in full or none: each is
/// staged beside its destination and they are put in place once all are complete.
pub fn write_files(report: &Report, dir: &Path) -> Result<()> {
    let json = atomic::stage_with(&dir.join("report.json"), |out| json::write(report, out))?;
    let markdown = atomic::stage_with(&dir.join("report.md"), |out| markdown::write(report, out))?;
    let page = atomic::stage_with(&dir.join("report.html"), |out| html::write(report, out))?;
    json.commit()?;
    markdown.commit()?;
    page.commit()
}

//! Output: the `Report` value ([`model`]) and its writers — JSON, Markdown, terminal tables.

pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod terminal;

use std::path::Path;

use crate::error::{Error, Result};
use model::Report;

/// Writes report.json and report.md into `dir`.
pub fn write_files(report: &Report, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
    let json_path = dir.join("report.json");
    let file = std::fs::File::create(&json_path).map_err(|e| Error::write(&json_path, e))?;
    json::write(report, std::io::BufWriter::new(file)).map_err(|e| Error::write(&json_path, e))?;
    let md_path = dir.join("report.md");
    let file = std::fs::File::create(&md_path).map_err(|e| Error::write(&md_path, e))?;
    markdown::write(report, std::io::BufWriter::new(file)).map_err(|e| Error::write(&md_path, e))
}

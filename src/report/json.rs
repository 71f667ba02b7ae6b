//! report.json: the machine-readable report (schema in docs/report-schema.md).

use std::io::Write;

use crate::analysis::report::Report;

pub fn write(report: &Report, mut out: impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report)?;
    writeln!(out)
}

//! One module per subcommand: its arguments, and a `run` that calls the library and writes
//! the outputs. Each returns the process exit code.
//!
//! What a command prints goes through [`print`] (stdout) and `note!` (stderr), for which a
//! reader that went away (`postmarket drift --json | head`) is not an error: like ripgrep
//! and fd, the run ends as it would have, its files written and its exit code unchanged.

/// `eprintln!` for progress and summaries, without its panic when stderr is a closed pipe
/// (`2>&1 | head`): they are for a person watching, who has stopped.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod audit;
pub mod baseline;
pub mod cluster;
pub mod demo;
pub mod dicomweb;
pub mod drift;
pub mod drill;
pub mod explore;
pub mod gate;
pub mod logs;
pub mod performance;
pub mod profile;
pub mod scan;
pub mod synth;

use std::io::{self, Write};
use std::path::Path;

use crate::analysis::findings::Severity;
use crate::analysis::report::Report;
use crate::cli::GlobalArgs;
use crate::config::Config;
use crate::error::{exit, Error, Result};
use crate::report::terminal;

/// What every command needs besides its own arguments.
pub struct Context {
    pub config: Config,
    /// Print progress and summaries on stderr.
    pub chatty: bool,
    pub color: bool,
}

impl Context {
    pub fn new(global: &GlobalArgs) -> Result<Context> {
        Ok(Context {
            config: Config::load(global.config.as_deref())?,
            chatty: !global.quiet,
            color: global.color.enabled(),
        })
    }

    /// Progress bars only when someone watches a terminal.
    pub fn progress(&self) -> bool {
        use std::io::IsTerminal;
        self.chatty && std::io::stderr().is_terminal()
    }
}

/// Writes a report's files (report.json, report.md, and JUnit when asked), prints it on
/// stdout with `--json`, and shows its findings and status on stderr.
pub fn deliver(
    report: &Report,
    output: &Path,
    json: bool,
    junit: Option<&Path>,
    ctx: &Context,
) -> Result<()> {
    crate::report::write_files(report, output)?;
    if let Some(path) = junit {
        crate::report::junit::write_file(report, path)?;
    }
    if json {
        print(|out| crate::report::json::write(report, out))?;
    }
    if ctx.chatty {
        let width = terminal::width();
        if let Some(changes) = terminal::changes_lines(report, width) {
            note!("{changes}");
        }
        if !report.findings.is_empty() {
            note!("{}", terminal::findings_table(report, ctx.color, 15, width));
        }
        if let Some(performance) = terminal::performance_lines(report, width) {
            note!("{performance}");
        }
        if let Some(small) = terminal::small_subgroups_line(report, width) {
            note!("{small}");
        }
        let status = match (report.command.as_str(), report.status) {
            ("gate", crate::analysis::report::Status::Alert) => "FAIL",
            ("gate", _) => "pass",
            (_, status) => status.as_str(),
        };
        note!(
            "{}: {status} — {} alert, {} warn, {} insufficient of {} checks; report in {}",
            report.command,
            report.counts.alert,
            report.counts.warn,
            report.counts.insufficient,
            report.counts.checks,
            output.join("report.md").display()
        );
    }
    Ok(())
}

/// Writes to stdout through `write`, flushed. A closed pipe (the reader, say `head`, has
/// all it wanted) ends the output quietly; any other failure is an error.
pub fn print(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
    let mut out = io::stdout().lock();
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(|e| Error::write("stdout", e)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Warn,
    Alert,
    /// Never fail on findings (exit 0 unless the input is bad)
    Never,
}

/// The exit code of a report under `--fail-on`.
pub fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    let level = match fail_on {
        FailOn::Warn => Severity::Warn,
        FailOn::Alert => Severity::Alert,
        FailOn::Never => return exit::OK,
    };
    if report.fails_at(level) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

//! The `postmarket` binary: parse the command line, dispatch, map errors to exit codes.

mod cli;
mod cmd;

// The library's modules under the paths the commands name them by.
use postmarket::{analysis, config, error, format, ingest, privacy, report, table};

use clap::Parser;

use cli::{Cli, Command};
use cmd::Context;
use error::Error;

fn main() {
    return_freed_buffers();
    let cli = Cli::parse();
    postmarket::atomic::on_signals();
    let code = match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}

/// glibc's malloc raises its mmap threshold (up to 32 MiB) after the first large buffer is
/// freed; from then on the column buffers of a million-case table (1–8 MiB each) come from
/// its arenas and stay there when freed, unused by the next stage: drift's peak RSS was
/// ~100 MiB above its peak heap. A fixed threshold maps every buffer of 256 KiB or more on
/// its own and returns it when freed (docs/performance.md, branch mem2).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_buffers() {
    // SAFETY: mallopt only sets an allocator parameter; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_buffers() {}

fn run(cli: &Cli) -> Result<i32, Error> {
    let ctx = Context::new(&cli.global)?;
    match &cli.command {
        Command::Scan(args) => cmd::scan::run(args, &ctx),
        Command::Logs(args) => cmd::logs::run(args, &ctx),
        Command::Baseline(args) => cmd::baseline::run(args, &ctx),
        Command::Audit(args) => cmd::audit::run(args, &ctx),
        Command::Drill(args) => cmd::drill::run(args, &ctx),
        Command::Drift(args) => cmd::drift::run(args, &ctx),
        Command::Cluster(args) => cmd::cluster::run(args, &ctx),
        Command::Explore(args) => cmd::explore::run(args, &ctx),
        Command::Performance(args) => cmd::performance::run(args, &ctx),
        Command::Gate(args) => cmd::gate::run(args, &ctx),
        Command::Profile(args) => cmd::profile::run(args, &ctx),
        Command::Merge(args) => cmd::profile::run_merge(args, &ctx),
        Command::Synth(args) => cmd::synth::run(args, &ctx),
        Command::Demo(args) => cmd::demo::run(args, &ctx),
    }
}

/// Prints the error and its chain of causes, like fd and cargo-nextest do. Written, not
/// `eprintln!`ed: a closed stderr must not turn the error into a panic.
fn report(e: &Error) {
    use std::io::Write;
    let mut text = format!("error: {e}\n");
    let mut source = std::error::Error::source(e);
    if source.is_some() {
        text.push_str("\nCaused by:\n");
    }
    while let Some(cause) = source {
        text.push_str(&format!("    {cause}\n"));
        source = cause.source();
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

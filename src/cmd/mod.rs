//! One module per subcommand: its arguments, and a `run` that calls the library and writes
//! the outputs. Each returns the process exit code.

pub mod baseline;
pub mod cluster;
pub mod demo;
pub mod drift;
pub mod explore;
pub mod gate;
pub mod logs;
pub mod performance;
pub mod scan;
pub mod synth;

use crate::cli::GlobalArgs;
use crate::config::Config;
use crate::error::Result;
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
            color: terminal::use_color(global.color),
        })
    }

    /// Progress bars only when someone watches a terminal.
    pub fn progress(&self) -> bool {
        use std::io::IsTerminal;
        self.chatty && std::io::stderr().is_terminal()
    }
}

//! The command line (clap derive): global options and one subcommand per capability.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  success (no findings at or above --fail-on)
  1  findings at or above --fail-on
  2  usage or configuration error
  3  unreadable or inconsistent input (missing file, schema mismatch, no rows,
     or any rejected file/line with --strict), or an output that could not be
     written (outputs are atomic: the previous file or none is left)";

#[derive(Debug, Parser)]
#[command(
    name = "postmarket",
    version,
    about = "Post-market surveillance of medical-imaging ML models: DICOM headers and \
             inference logs in, drift and performance reports out.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// YAML config [default: postmarket.yaml in the working directory, if present]
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,
    /// No progress bars or summaries on stderr
    #[arg(long, short, global = true, help_heading = "Global options")]
    pub quiet: bool,
    /// When to use colour in terminal tables (NO_COLOR is respected by `auto`)
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ColorChoice::Auto,
        help_heading = "Global options"
    )]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour output on stderr.
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read the headers of DICOM files (stopping before Pixel Data) into headers.parquet
    Scan(crate::cmd::scan::ScanArgs),
    /// Read inference logs (JSONL, CSV, Parquet) into inferences.parquet
    Logs(crate::cmd::logs::LogsArgs),
    /// Build a versioned, hashed baseline snapshot of the validation cases
    Baseline(crate::cmd::baseline::BaselineArgs),
    /// The nightly job: every analysis on one window, one report, one exit code, with history
    Audit(crate::cmd::audit::AuditArgs),
    /// Rehearse a drift: nights resampled from the baseline, a scenario injected, the audit run nightly
    Drill(crate::cmd::drill::DrillArgs),
    /// Compare a serving window with the baseline: per feature, per subgroup, model output
    Drift(crate::cmd::drift::DriftArgs),
    /// Acquisition-parameter clusters: occupancy shift, novel cases, per-cluster score shift
    Cluster(crate::cmd::cluster::ClusterArgs),
    /// Investigate one subgroup against the rest of the window and against the baseline
    Explore(crate::cmd::explore::ExploreArgs),
    /// Per-subgroup performance against the baseline, concept drift, model-version control
    Performance(crate::cmd::performance::PerformanceArgs),
    /// Release gate: a candidate model against production on the same cases, overall and per subgroup
    Gate(crate::cmd::gate::GateArgs),
    /// Count a night per feature and subgroup, small cells suppressed, for a site that cannot share rows
    Profile(crate::cmd::profile::ProfileArgs),
    /// Add count profiles of one baseline (sites, nights) into one
    Merge(crate::cmd::profile::MergeArgs),
    /// Write synthetic DICOM series and inference logs with a known drift
    Synth(crate::cmd::synth::SynthArgs),
    /// The main job on built-in defaults: synth, scan, logs; summary printed
    Demo(crate::cmd::demo::DemoArgs),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// One vocabulary (issue 24): every flag has help; a command that writes into a folder
    /// takes it as `-o/--output`; every command that decides takes `--fail-on` and `--junit`.
    #[test]
    fn the_same_flag_means_the_same_thing_everywhere() {
        let cli = Cli::command();
        let undocumented: Vec<String> = cli
            .get_subcommands()
            .flat_map(|sub| {
                sub.get_arguments()
                    .filter(|a| a.get_help().is_none())
                    .map(move |a| format!("{} --{}", sub.get_name(), a.get_id()))
            })
            .collect();
        assert!(undocumented.is_empty(), "no help text: {undocumented:?}");
        for sub in cli.get_subcommands() {
            let name = sub.get_name();
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "output" || id == "out" {
                    assert_eq!(arg.get_short(), Some('o'), "{name} --{id}");
                    assert_eq!(arg.get_long(), Some("output"), "{name} --{id}");
                }
            }
            let has = |id: &str| sub.get_arguments().any(|a| a.get_id() == id);
            if ["drift", "audit", "gate", "performance", "cluster"].contains(&name) {
                assert!(
                    has("fail_on") && has("junit"),
                    "{name}: --fail-on and --junit"
                );
            }
        }
        let onset = |cmd: &str| {
            cli.find_subcommand(cmd)
                .unwrap()
                .get_arguments()
                .any(|a| a.get_long() == Some("onset"))
        };
        assert!(onset("synth") && onset("demo"), "--onset in synth and demo");
    }
}

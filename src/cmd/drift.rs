//! `postmarket drift --baseline DIR --headers H [--inferences I] -o OUT`: what changed
//! between the validated baseline and the serving window, overall and per subgroup.

use std::path::PathBuf;

use clap::Args;

use super::{exit_code, Context, FailOn};
use crate::analysis::drift;
use crate::analysis::snapshot;
use crate::analysis::window::Window;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Baseline snapshot folder (from `postmarket baseline`)
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the serving window: files, or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., required_unless_present = "profile")]
    pub headers: Vec<PathBuf>,
    /// inferences.parquet of the serving window (adds model-output checks): files, or
    /// folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub inferences: Vec<PathBuf>,
    /// Count profiles (from `postmarket profile` or `merge`) in place of rows: several are
    /// added first
    #[arg(long, value_name = "PROFILE", num_args = 1.., conflicts_with_all = ["headers", "inferences"])]
    pub profile: Vec<PathBuf>,
    /// With several site profiles: also each site's own report in OUT/sites/SITE/, and the
    /// merged report says which sites moved
    #[arg(long, requires = "profile")]
    pub by_site: bool,
    /// Output folder: report.json, report.md, report.html
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Exit 1 when a finding reaches this severity
    #[arg(long, value_enum, default_value_t = FailOn::Alert)]
    pub fail_on: FailOn,
    /// Print report.json on stdout
    #[arg(long)]
    pub json: bool,
    /// Also write JUnit XML here: one test case per check
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

pub fn run(args: &DriftArgs, ctx: &Context) -> Result<i32> {
    let snapshot = snapshot::load(&args.baseline)?;
    if !args.profile.is_empty() {
        let report = from_profiles(&snapshot, args, ctx)?;
        super::deliver(&report, &args.output, args.json, args.junit.as_deref(), ctx)?;
        return Ok(exit_code(&report, args.fail_on));
    }
    let needs = drift::needs(&snapshot, &ctx.config);
    let window = Window::load_needed(&snapshot, &args.headers, &args.inferences, &needs)?;
    let report = drift::run(&snapshot, window, &ctx.config)?;
    super::deliver(&report, &args.output, args.json, args.junit.as_deref(), ctx)?;
    Ok(exit_code(&report, args.fail_on))
}

/// Drift from count profiles: merged, and with `--by-site` each site's own report too.
fn from_profiles(
    snapshot: &snapshot::Snapshot,
    args: &DriftArgs,
    ctx: &Context,
) -> Result<crate::analysis::report::Report> {
    let merged = super::profile::read_merged(&args.profile)?;
    let mut report = drift::from_profile(snapshot, &merged, &ctx.config)?;
    if !args.by_site {
        return Ok(report);
    }
    let mut moved = Vec::new();
    for path in &args.profile {
        let site = crate::analysis::profile::read(path)?;
        let name = match site.sites() {
            [one] => one.clone(),
            _ => {
                return Err(Error::Usage(format!(
                    "--by-site: {} is a merge of {} sites; give each site's own profile",
                    path.display(),
                    site.sites().len()
                )))
            }
        };
        let own = drift::from_profile(snapshot, &site, &ctx.config)?;
        crate::report::write_files(&own, &args.output.join("sites").join(&name))?;
        moved.push(site_line(&name, &own));
    }
    report.method.push(format!(
        "By site (each site's counts against the baseline on their own; reports in sites/SITE/): {}.",
        moved.join("; ")
    ));
    report.by_site = moved;
    Ok(report)
}

/// "site-b: 3 findings (slice_thickness, convolution_kernel, …)" or "site-a: no finding".
fn site_line(site: &str, report: &crate::analysis::report::Report) -> String {
    use crate::analysis::findings::Severity;
    let mut subjects: Vec<String> = Vec::new();
    for check in report
        .checks
        .iter()
        .filter(|c| matches!(c.severity, Severity::Alert | Severity::Warn))
    {
        let subject = match &check.subgroup {
            Some(g) => format!("{} in {g}", check.subject),
            None => check.subject.clone(),
        };
        if !subjects.contains(&subject) {
            subjects.push(subject);
        }
    }
    match subjects.len() {
        0 => format!("{site}: no finding ({} cases)", report.window.cases),
        n => {
            let shown: Vec<&str> = subjects.iter().take(4).map(String::as_str).collect();
            let more = if n > 4 { ", …" } else { "" };
            format!(
                "{site}: {n} finding{} ({}{more})",
                if n == 1 { "" } else { "s" },
                shown.join(", ")
            )
        }
    }
}

//! `postmarket profile --baseline SNAP --headers H... --site NAME -o PROFILE.parquet`: a
//! night's counts for a site that cannot share case rows (see `analysis::profile`), and
//! `postmarket merge PROFILE... -o MERGED.parquet`: several sites' counts added.

use std::path::{Path, PathBuf};

use clap::Args;

use super::Context;
use crate::analysis::profile::{self, bins, Manifest, Profile};
use crate::analysis::snapshot;
use crate::analysis::window::Window;
use crate::error::{exit, Error, Result};
use crate::ingest::dicom::scan::{scan, ScanOptions};
use crate::ingest::logs::ingest;
use crate::privacy::Pseudonymizer;
use crate::report::terminal::key_values;
use crate::table::parts::expand_inputs;
use crate::table::window::{parse_window, since_now};

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Baseline snapshot folder: the counts are binned on its edges and name its SHA-256
    #[arg(long, value_name = "DIR")]
    pub baseline: PathBuf,
    /// headers.parquet of the night: files, or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "dicom")]
    pub headers: Vec<PathBuf>,
    /// DICOM files or folders to scan first (the table is not kept)
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub dicom: Vec<PathBuf>,
    /// inferences.parquet of the night: files, or folders of Parquet parts
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "logs")]
    pub inferences: Vec<PathBuf>,
    /// Inference logs (JSONL, CSV, Parquet) to read first (the table is not kept)
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub logs: Vec<PathBuf>,
    /// The window, RFC 3339 and half-open: 2026-11-30T00:00:00Z..2026-12-01T00:00:00Z
    #[arg(long, value_name = "START..END", conflicts_with = "since")]
    pub window: Option<String>,
    /// The window that ends now (SOURCE_DATE_EPOCH when set): 24h, 7d, 90m
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// The site's name, as the merged report will say which site moved
    #[arg(long, value_name = "NAME")]
    pub site: String,
    /// Output Parquet file: one row per count, the manifest in its footer metadata
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Smallest count published; smaller ones and their complements are null (11 is the
    /// CMS rule; 1 publishes every count)
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub min_cell: u64,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Profiles of one baseline (from `postmarket profile` or an earlier merge)
    #[arg(required = true, value_name = "PROFILE")]
    pub profiles: Vec<PathBuf>,
    /// Output Parquet file
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

pub fn run(args: &ProfileArgs, ctx: &Context) -> Result<i32> {
    check_site(&args.site)?;
    if args.min_cell == 0 {
        return Err(Error::Usage("--min-cell must be at least 1".into()));
    }
    let span = match (&args.window, &args.since) {
        (Some(w), _) => Some(parse_window(w)?),
        (None, Some(s)) => Some(since_now(s)?),
        (None, None) => None,
    };
    let snapshot = snapshot::load(&args.baseline)?;
    let scratch = Scratch::new(&args.output)?;
    let headers = if args.dicom.is_empty() {
        expand_inputs(&args.headers)?
    } else {
        let path = scratch.dir.join("headers.parquet");
        let options = ScanOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            extra_tags: ctx.config.extra_tags.clone(),
            pseudonymizer: Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref())?,
            progress: ctx.progress(),
            shard: None,
        };
        let summary = scan(&args.dicom, &path, &options)?;
        if ctx.chatty {
            note!(
                "scan: {} files, {} header rows, {} rejected",
                summary.files_seen,
                summary.rows_written,
                summary.rejects.len()
            );
        }
        vec![path]
    };
    let inferences = if args.logs.is_empty() {
        expand_inputs(&args.inferences)?
    } else {
        let path = scratch.dir.join("inferences.parquet");
        let pseudonymizer = Pseudonymizer::from_config(ctx.config.pseudonymize.as_ref())?;
        let summary = ingest(&args.logs, &path, &ctx.config.logs, &pseudonymizer)?;
        if ctx.chatty {
            note!(
                "logs: {} rows, {} rejected",
                summary.rows_written,
                summary.rejects.len()
            );
        }
        vec![path]
    };
    let (window, _) = Window::read_parts(&snapshot, &headers, &inferences, span.as_ref())?;
    let (mut cells, structure) =
        profile::count(&snapshot, &window.cases, window.join.instances, &ctx.config)?;
    let suppressed = profile::suppress(&mut cells, args.min_cell, &structure);
    let rfc =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let profile = Profile {
        manifest: Manifest {
            format_version: profile::FORMAT_VERSION,
            site: args.site.clone(),
            sites: vec![args.site.clone()],
            window_start: span.as_ref().map(|s| rfc(s.start)),
            window_end: span.as_ref().map(|s| rfc(s.end)),
            baseline_sha256: snapshot.manifest_sha256.clone(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            min_cell: args.min_cell,
            suppression: profile::suppression_rule(args.min_cell),
            binning: bins::RULE.to_string(),
        },
        cells,
    };
    profile::write(&profile, &args.output)?;
    drop(scratch);
    if ctx.chatty {
        note!(
            "{}",
            key_values(
                "profile",
                &[
                    ("site".into(), args.site.clone()),
                    ("cases".into(), window.cases.num_rows().to_string()),
                    ("cells".into(), profile.cells.len().to_string()),
                    (
                        "suppressed".into(),
                        format!("{suppressed} (below {} or complements)", args.min_cell)
                    ),
                ],
                ctx.color,
            )
        );
        note!("wrote {}", args.output.display());
    }
    Ok(exit::OK)
}

pub fn run_merge(args: &MergeArgs, ctx: &Context) -> Result<i32> {
    let merged = read_merged(&args.profiles)?;
    profile::write(&merged, &args.output)?;
    if ctx.chatty {
        note!(
            "merged {} profiles ({} sites, {} cases) → {}",
            args.profiles.len(),
            merged.sites().len(),
            merged.cases(),
            args.output.display()
        );
    }
    Ok(exit::OK)
}

/// Reads profiles and adds them (one is returned as read).
pub fn read_merged(paths: &[PathBuf]) -> Result<Profile> {
    let mut profiles = Vec::new();
    for path in paths {
        profiles.push((path.display().to_string(), profile::read(path)?));
    }
    if profiles.len() == 1 {
        return Ok(profiles.pop().expect("one").1);
    }
    profile::merge(&profiles)
}

/// A site name is printed in reports and used as a folder name under `--by-site`.
fn check_site(site: &str) -> Result<()> {
    let ok = !site.is_empty()
        && site.len() <= 64
        && site
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !site.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "--site {site:?}: expected 1 to 64 letters, digits, '-', '_' or '.', not starting with '.'"
        )))
    }
}

/// A scratch folder beside the output for tables read from DICOM or logs, removed when the
/// run ends (either way).
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(output: &Path) -> Result<Scratch> {
        let parent = output
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let dir = parent.join(format!(".postmarket-profile.{}.tmp", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|source| Error::WriteOutput {
            path: dir.clone(),
            source,
        })?;
        Ok(Scratch { dir })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

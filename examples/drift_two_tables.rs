//! Drift of a serving window against a baseline, through the library rather than the CLI:
//! `cargo run --example drift_two_tables -- BASELINE_DIR SERVING_DIR [CONFIG]`, each folder
//! holding `headers.parquet` and `inferences.parquet` (as `postmarket synth --tables`
//! writes them). Prints each finding and the report's status; exits 1 on an alert.

use std::path::PathBuf;

use postmarket::analysis::report::Status;
use postmarket::analysis::{baseline, drift, snapshot, window::Window};
use postmarket::config::Config;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [base, serving, rest @ ..] = args.as_slice() else {
        return Err("usage: drift_two_tables BASELINE_DIR SERVING_DIR [CONFIG]".into());
    };
    let config = Config::load(rest.first().map(PathBuf::as_path))?;
    let dir = tempfile::tempdir()?;
    let tables = |d: &PathBuf| {
        (
            vec![d.join("headers.parquet")],
            vec![d.join("inferences.parquet")],
        )
    };
    let (headers, inferences) = tables(base);
    baseline::build(&headers, &inferences, dir.path(), &config)?;
    let snapshot = snapshot::load(dir.path())?;
    let (headers, inferences) = tables(serving);
    let window = Window::load(&snapshot, &headers, &inferences)?;
    let report = drift::run(&snapshot, window, &config)?;
    for c in &report.findings {
        let group = c.subgroup.as_deref().unwrap_or("all cases");
        let effect = c
            .effect
            .map_or("-".into(), |e| format!("{e:.3} {}", c.effect_name));
        println!(
            "{:5}  {} ({group}): {effect}",
            c.severity.as_str(),
            c.subject
        );
    }
    println!(
        "{} checks, status {}",
        report.checks.len(),
        report.status.as_str()
    );
    std::process::exit(i32::from(report.status == Status::Alert));
}

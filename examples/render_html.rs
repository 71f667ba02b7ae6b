//! How long report.html takes to render, beside the audit it renders: the demo's last night
//! audited again through the library (its history copied, so trends are drawn), then each
//! writer timed on the same `Report`.
//! `cargo run --release --example render_html -- DEMO_DIR [REPEATS]` after
//! `postmarket demo --dir DEMO_DIR` (scripts/bench_html.sh runs both).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use postmarket::analysis::audit::{self, history::Night};
use postmarket::analysis::snapshot;
use postmarket::config::Config;
use postmarket::report::{html, json, markdown};
use postmarket::table::window::Window;

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The median of `repeats` runs of `f`.
fn median(repeats: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..repeats)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(demo) = args.first().map(PathBuf::from) else {
        return Err("usage: render_html DEMO_DIR [REPEATS]".into());
    };
    let repeats: usize = args.get(1).map_or(Ok(20), |r| r.parse())?;
    let out = demo.join("out");
    let last = std::fs::read_dir(out.join("audit"))?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .max()
        .ok_or("no audit/<date>/ in the demo's folder: run `postmarket demo` first")?;
    let day: NaiveDate = last.parse()?;
    let midnight = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap());
    let span = Window::new(midnight(day), midnight(day.succ_opt().unwrap()))?;
    let config = Config::load(None)?;
    let snapshot = snapshot::load(&out.join("baseline-snapshot"))?;
    let scratch = tempfile::tempdir()?;
    let (headers, inferences) = (
        [out.join("serving/headers.parquet")],
        [out.join("serving/inferences.parquet")],
    );
    let mut report = None;
    let analysis = median(repeats.min(5), || {
        // A fresh copy of the history each time: every run audits the same night again.
        let history = scratch.path().join(format!("h{}", next_copy()));
        copy_dir(&out.join("history"), &history).expect("copy the history");
        let night = Night {
            headers: &headers,
            inferences: &inferences,
            span: Some(span),
            history: Some(&history),
        };
        report = Some(
            audit::nightly(&snapshot, &night, &config)
                .expect("audit")
                .report,
        );
    });
    let report = report.expect("ran at least once");
    let mut page = String::new();
    let render = median(repeats, || page = html::render(&report));
    let mut bytes = Vec::new();
    let as_json = median(repeats, || {
        bytes.clear();
        json::write(&report, &mut bytes).expect("json");
    });
    let mut md = Vec::new();
    let as_md = median(repeats, || {
        md.clear();
        markdown::write(&report, &mut md).expect("markdown");
    });
    println!(
        "night {last}: {} checks, {} findings, {} nights of history",
        report.checks.len(),
        report.findings.len(),
        report.history.as_ref().map_or(0, |h| h.earlier_runs)
    );
    println!("audit (read, analyse, history): {:.1} ms", ms(analysis));
    println!(
        "report.html render: {:.2} ms, {} bytes ({:.1} KiB)",
        ms(render),
        page.len(),
        page.len() as f64 / 1024.0
    );
    println!("report.json: {:.2} ms, {} bytes", ms(as_json), bytes.len());
    println!("report.md: {:.2} ms, {} bytes", ms(as_md), md.len());
    println!(
        "html / audit: {:.2}%",
        100.0 * render.as_secs_f64() / analysis.as_secs_f64()
    );
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A number for a fresh history copy.
fn next_copy() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

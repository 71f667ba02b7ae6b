//! report.html in a real browser: Debian's `chromium-headless-shell` (`.ci/run` installs it
//! and `poppler-utils`) opens the demo's last report from disk with every host name
//! unresolvable, and the tests read what it made of the page: a screenshot that is not
//! blank, a dark-mode screenshot that differs, a printed PDF whose text holds every
//! finding's subject, and a DOM with no link or source off the page.
//!
//! Where no browser is installed the tests print a note and pass, unless
//! `POSTMARKET_REQUIRE_BROWSER=1`, when they fail.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::workdir::Workdir;

const BROWSERS: [&str; 3] = [
    "/usr/bin/chromium-headless-shell",
    "/usr/lib/chromium/headless_shell",
    "/usr/bin/chromium",
];

fn browser() -> Option<&'static Path> {
    let found = BROWSERS.iter().map(Path::new).find(|p| p.exists());
    if found.is_none() {
        if std::env::var("POSTMARKET_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("POSTMARKET_REQUIRE_BROWSER=1 but none of {BROWSERS:?} is installed");
        }
        eprintln!("note: no headless Chromium installed; skipping this browser test");
    }
    found
}

/// The demo, run once for all tests here: a folder holding a copy of its last report.html
/// (which must fit in 300 KB) and report.json, and of its history's index.html (whose
/// links must reach every night's report), and the report's path.
fn demo() -> &'static (PathBuf, PathBuf) {
    static DEMO: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let wd = Workdir::new();
        // The demo as users run it (default size), so that its page size is the one the
        // issue bounds.
        let out = wd.run(&["demo", "--dir", "d"]);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "demo failed:\n{stderr}");
        let html = stderr
            .lines()
            .find_map(|l| l.strip_prefix("Open the last night's report: "))
            .unwrap_or_else(|| panic!("the demo names its report.html:\n{stderr}"));
        let page = wd.path(html.trim());
        let bytes = std::fs::metadata(&page).unwrap().len();
        assert!(
            bytes <= 300_000,
            "the demo's report.html is {bytes} bytes, over 300 KB"
        );
        // Only the report is kept (with what the browser makes of it); the demo's 50 MB of
        // DICOM go with `wd`.
        let dir = tempfile::tempdir().unwrap().keep();
        for name in ["report.html", "report.json"] {
            std::fs::copy(page.with_file_name(name), dir.join(name)).unwrap();
        }
        let index = stderr
            .lines()
            .find_map(|l| l.strip_prefix("The nights side by side: "))
            .unwrap_or_else(|| panic!("the demo names its history's index.html:\n{stderr}"));
        let index = wd.path(index.trim());
        check_index_links(&index);
        std::fs::copy(&index, dir.join("index.html")).unwrap();
        (dir.clone(), dir.join("report.html"))
    })
}

/// The history overview of the demo's history: one row per night (the demo's seven), each
/// with a link that reaches that night's report.html, and no other link off the page.
fn check_index_links(index: &Path) {
    let page = std::fs::read_to_string(index).unwrap();
    let table = &page[page.find("id=\"nights\"").expect("a nights table")..];
    let rows = table.matches("<td class=\"d\">").count();
    assert_eq!(rows, 7, "one row per night of the default demo");
    let links: Vec<&str> = page
        .split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(links.len(), 7, "every night's report linked: {links:?}");
    for link in links {
        assert!(link.starts_with("../"), "relative: {link}");
        let target = index.parent().unwrap().join(link);
        assert!(target.is_file(), "{link} does not reach a file");
        assert_eq!(target.file_name().unwrap(), "report.html");
    }
}

/// The demo's two pages: the last night's report and the history's overview.
fn pages() -> [PathBuf; 2] {
    let (dir, report) = demo();
    [report.clone(), dir.join("index.html")]
}

/// Runs the browser on `page` with no network: every host unresolvable, no background
/// connections, a fresh profile in `scratch`.
fn chromium(exe: &Path, scratch: &Path, extra: &[&str], page: &Path) -> Output {
    let profile = tempfile::tempdir_in(scratch).unwrap();
    let mut child = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the browser");
    // A browser that hangs fails the test instead of the CI job: killed after two minutes
    // (a page takes about a second). Its output is read on threads so a full pipe cannot
    // stall it.
    let (stdout, stderr) = (drain(child.stdout.take()), drain(child.stderr.take()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("{exe:?} {extra:?} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(
        out.status.success(),
        "{exe:?} {extra:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Reads a child's pipe to its end on a thread of its own.
fn drain<R: std::io::Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_end(&mut buf).ok();
        }
        buf
    })
}

/// The RGB pixels of a PNG.
fn pixels(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    assert!(step >= 3, "an RGB(A) screenshot: {:?}", info.color_type);
    let px = buf[..info.buffer_size()]
        .chunks(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, px)
}

fn screenshot(exe: &Path, html: &Path, extra: &[&str], name: &str) -> Vec<[u8; 3]> {
    let (dir, _) = demo();
    let png = dir.join(name);
    let mut args = vec!["--window-size=1200,1600".to_string()];
    args.push(format!("--screenshot={}", png.display()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    chromium(exe, dir, &args, html);
    let (w, h, px) = pixels(&png);
    assert_eq!((w, h), (1200, 1600), "{name}");
    px
}

/// Share of pixels that are not the most common colour (the page's background).
fn ink(px: &[[u8; 3]]) -> (f64, [u8; 3], usize) {
    let mut counts = std::collections::HashMap::new();
    for p in px {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let (bg, n) = counts.iter().max_by_key(|(_, n)| **n).unwrap();
    (1.0 - *n as f64 / px.len() as f64, *bg, counts.len())
}

#[test]
fn the_demo_page_fits_in_300_kb() {
    demo();
}

#[test]
fn the_pages_render_and_their_dark_mode_differs() {
    let Some(exe) = browser() else { return };
    for page in pages() {
        renders_light_and_dark(exe, &page);
    }
}

fn renders_light_and_dark(exe: &Path, page: &Path) {
    let stem = page.file_stem().unwrap().to_str().unwrap();
    let light = screenshot(exe, page, &[], &format!("{stem}-light.png"));
    let (ink_light, bg_light, colours) = ink(&light);
    assert!(
        ink_light > 0.03 && colours > 50,
        "not blank: {:.1}% ink, {colours} colours",
        100.0 * ink_light
    );
    let luma = |c: [u8; 3]| u32::from(c[0]) + u32::from(c[1]) + u32::from(c[2]);
    assert!(
        luma(bg_light) > 600,
        "a light page by default: {bg_light:?}"
    );

    // Headless Chromium ignores --force-dark-mode; Blink's setting (0 = dark) is what
    // a reader's dark system setting gives the page: prefers-color-scheme: dark.
    let dark = screenshot(
        exe,
        page,
        &["--blink-settings=preferredColorScheme=0"],
        &format!("{stem}-dark.png"),
    );
    let (ink_dark, bg_dark, _) = ink(&dark);
    assert!(ink_dark > 0.03, "dark mode not blank");
    assert!(luma(bg_dark) < 150, "a dark background: {bg_dark:?}");
    let differ = light.iter().zip(&dark).filter(|(a, b)| a != b).count();
    assert!(
        differ * 2 > light.len(),
        "{differ} of {} pixels differ",
        light.len()
    );
}

/// `page` printed to PDF by the browser, its text read back by pdftotext, runs of
/// whitespace (line breaks of the layout) made single spaces.
fn printed_text(exe: &Path, page: &Path) -> String {
    let (dir, _) = demo();
    let pdf = page.with_extension("pdf");
    chromium(
        exe,
        dir,
        &[
            "--no-pdf-header-footer",
            &format!("--print-to-pdf={}", pdf.display()),
        ],
        page,
    );
    let out = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed with the browser");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_printed_report_holds_every_finding() {
    let Some(exe) = browser() else { return };
    let (_, html) = demo();
    let text = printed_text(exe, html);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(html.with_file_name("report.json")).unwrap())
            .unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "the demo's last night has findings");
    let subjects: HashSet<&str> = findings
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    for s in &subjects {
        assert!(text.contains(s), "the PDF lacks the finding {s:?}");
    }
    // The closed <details> print too: these headers stand only inside their bodies (a
    // forest's data table, the "All checks" table).
    for inside in ["difference [interval]", "warn / alert"] {
        assert!(
            text.contains(inside),
            "the PDF lacks {inside:?}: a <details> did not print"
        );
    }
}

/// The history overview prints: every night's row, every change of the last night (its
/// headline's first words), and the data tables folded in `<details>`.
#[test]
fn the_printed_overview_holds_every_night_and_change() {
    let Some(exe) = browser() else { return };
    let (dir, _) = demo();
    let text = printed_text(exe, &dir.join("index.html"));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    let changes = report["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "the demo's last night has changes");
    for c in changes {
        let headline = c["headline"].as_str().unwrap();
        let start: String = headline
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(&start),
            "the PDF lacks the change {headline:?}"
        );
    }
    for day in 5..=11 {
        let night = format!("2026-10-{day:02}");
        assert!(text.contains(&night), "the PDF lacks the night {night}");
    }
    assert!(
        text.contains("thresholds warn"),
        "a line's data table did not print"
    );
}

#[test]
fn the_pages_link_to_nothing_off_the_machine() {
    let Some(exe) = browser() else { return };
    for page in pages() {
        links_to_nothing_off_the_machine(exe, &page);
    }
}

fn links_to_nothing_off_the_machine(exe: &Path, html: &Path) {
    let (dir, _) = demo();
    let out = chromium(exe, dir, &["--dump-dom"], html);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("<svg"), "the DOM holds the charts");
    assert!(dom.contains("Content-Security-Policy"));
    for attr in ["src=", "href=", "xlink:href="] {
        for (i, _) in dom.match_indices(attr) {
            let value = dom[i + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                !value.starts_with("http://")
                    && !value.starts_with("https://")
                    && !value.starts_with("//"),
                "{attr}{}",
                &value[..value.len().min(60)]
            );
        }
    }
    assert!(!dom.contains("<script"), "no script");
}

/// A manufacturer name as a hostile device or anonymiser might write it.
const PLANTED: &str = "ACME<script>alert(1)</script>\"><img src=x onerror=alert(2)>";

/// `drift` on a serving table whose manufacturer, on a third of the cases, is [`PLANTED`]:
/// report.html holds it as text, and the browser builds no element from it.
#[test]
fn a_hostile_manufacturer_name_is_text_in_the_page() {
    use std::sync::Arc;

    use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};

    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth",
            "--tables",
            "--scenario",
            "none",
            "--cases",
            "300",
            "-o",
            "s",
        ],
        0,
    );
    let (schema, batches) =
        postmarket::table::parquet::read_all(&wd.path("s/serving/headers.parquet")).unwrap();
    let at = schema.index_of("manufacturer").unwrap();
    let file = std::fs::File::create(wd.path("planted.parquet")).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), None).unwrap();
    for batch in &batches {
        let old = batch
            .column(at)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let new: StringArray = (0..old.len())
            .map(|i| Some(if i % 3 == 0 { PLANTED } else { old.value(i) }))
            .collect();
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        columns[at] = Arc::new(new);
        writer
            .write(&RecordBatch::try_new(schema.clone(), columns).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
    wd.snapshot_of_synth();
    wd.run_expect(
        &[
            "drift",
            "--baseline",
            "snap",
            "--headers",
            "planted.parquet",
            "-o",
            "out",
        ],
        1,
    );
    let page = std::fs::read_to_string(wd.path("out/report.html")).unwrap();
    let escaped =
        "ACME&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;";
    assert!(page.contains(escaped), "the name is in the page, as text");
    assert!(
        !page.contains("<script") && !page.contains("<img"),
        "no element from it"
    );

    let Some(exe) = browser() else { return };
    let out = chromium(
        exe,
        &wd.path(""),
        &["--dump-dom"],
        &wd.path("out/report.html"),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("ACME&lt;script&gt;alert(1)&lt;/script&gt;"),
        "text in the DOM"
    );
    assert!(
        !dom.contains("<script") && !dom.contains("<img"),
        "no element in the DOM"
    );
}

/// The page reads on a 420 px phone without sideways scrolling: in a test copy whose CSP
/// allows one inline script, that script writes the document's scroll width and the
/// viewport's width into the title, which `--dump-dom` prints. Wide tables may scroll in
/// their own box (`.wide`); the page itself may not.
#[test]
fn the_pages_fit_a_420_px_phone_without_sideways_scrolling() {
    let Some(exe) = browser() else { return };
    for page in pages() {
        fits_a_phone(exe, &page);
    }
}

fn fits_a_phone(exe: &Path, page: &Path) {
    let (dir, _) = demo();
    let html = std::fs::read_to_string(page).unwrap();
    let csp = "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">";
    assert!(
        html.contains(csp),
        "the page's CSP changed; update this test"
    );
    let probe = html.replace(csp, "").replace(
        "</body>",
        "<script>document.title = 'W' + document.documentElement.scrollWidth + '/' + window.innerWidth;</script></body>",
    );
    let phone = dir.join(format!(
        "phone-{}",
        page.file_name().unwrap().to_str().unwrap()
    ));
    std::fs::write(&phone, probe).unwrap();
    let out = chromium(exe, dir, &["--window-size=420,900", "--dump-dom"], &phone);
    let dom = String::from_utf8_lossy(&out.stdout);
    let title = dom
        .split("<title>W")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_else(|| panic!("no measured title in the DOM"));
    let (scroll, viewport) = title.split_once('/').unwrap();
    let (scroll, viewport): (u32, u32) = (scroll.parse().unwrap(), viewport.parse().unwrap());
    assert!(viewport <= 420, "viewport {viewport}");
    assert!(
        scroll <= viewport,
        "{page:?} is {scroll} px wide on a {viewport} px phone: something does not wrap"
    );
}

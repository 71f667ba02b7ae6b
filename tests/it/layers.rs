//! The import rule of docs/architecture.md ("Layers"), checked on the source: every
//! `crate::…` path in src/ (in `use` lines and inline, comments excluded) names a module of
//! the same layer or a lower one, or a foundation module.
//!
//! stats ← table ← analysis ← report ← cmd ← main, with ingest beside analysis (it reads
//! into tables and nothing analyses through it), history with analysis (the audit keeps
//! its history, the history stores analysis checks), cli with cmd (the binary's command
//! line) and fuzz above report (its targets drive ingest and analysis). stats imports
//! nothing but itself. config, error, atomic, clock, format and privacy are foundations
//! usable by all layers above stats; they import each other and stats, and config also
//! reads the column catalogue `table::columns`, a leaf that imports nothing from the crate.

use std::path::{Path, PathBuf};

/// The layer of a top-level module; `None` for a foundation module.
fn layer(module: &str) -> Option<u8> {
    Some(match module {
        "config" | "error" | "atomic" | "clock" | "format" | "privacy" => return None,
        "stats" => 0,
        "table" => 1,
        "analysis" | "history" | "ingest" => 2,
        "report" => 3,
        "fuzz" => 4,
        "cmd" | "cli" => 5,
        "main" | "lib" => 6,
        other => panic!("src/{other}: a top-level module the layer rule does not place"),
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file under src/ belongs to (`src/table/cases/mod.rs` → table).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every `crate::a::b` path in `text` outside comments, as (line, a, b); a group
/// `crate::{a::x, b}` gives one path per member, even across lines.
fn crate_paths(text: &str) -> Vec<(usize, String, String)> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = code[from..].find("crate::") {
        let at = from + found;
        from = at + "crate::".len();
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` or the end of another name
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = &code[from..];
        let members: Vec<&str> = match rest.strip_prefix('{') {
            Some(group) => group[..group.find('}').unwrap_or(group.len())]
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .collect(),
            None => vec![rest],
        };
        for member in members {
            let first = ident(member);
            let second = member[first.len()..]
                .strip_prefix("::")
                .map(ident)
                .unwrap_or_default();
            out.push((line, first, second));
        }
    }
    out
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut paths = 0;
    for file in &files {
        let from = module_of(&src, file);
        let text = std::fs::read_to_string(file).unwrap();
        for (line, to, inner) in crate_paths(&text) {
            paths += 1;
            if to == from || to.is_empty() {
                continue;
            }
            let allowed = match (layer(&from), layer(&to)) {
                // A foundation imports foundations, stats (which imports nothing but
                // itself), and config the column catalogue.
                (None, None) | (None, Some(0)) => true,
                (None, Some(_)) => from == "config" && to == "table" && inner == "columns",
                (Some(0), None) => false,
                (Some(_), None) => true,
                (Some(a), Some(b)) => b <= a,
            };
            if !allowed {
                upward.push(format!(
                    "{}:{line}: {from} imports crate::{to}::{inner}",
                    file.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    assert!(
        paths > 100,
        "only {paths} crate paths found: is the scan broken?"
    );
    assert!(
        upward.is_empty(),
        "upward imports (docs/architecture.md, Layers):\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_column_catalogue_imports_nothing_from_the_crate() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/table/columns.rs");
    let text = std::fs::read_to_string(file).unwrap();
    assert_eq!(crate_paths(&text), Vec::new());
}

#[test]
fn the_scan_finds_paths_and_skips_comments() {
    let text = "use crate::table::schema;\n// crate::report::x\nlet a = crate::stats::ks(x); $crate::m\nuse crate::{\n    error::Result,\n    table,\n};\n";
    let found: Vec<String> = crate_paths(text)
        .iter()
        .map(|(n, a, b)| format!("{n}:{a}::{b}"))
        .collect();
    assert_eq!(
        found,
        [
            "1:table::schema",
            "3:stats::ks",
            "4:error::Result",
            "4:table::"
        ]
    );
}

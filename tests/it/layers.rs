//! The import rule of docs/architecture.md ("Layers"), checked on the source: every
//! `crate::…` and `super::…` path in src/**/*.rs is resolved to the top-level module it
//! names, and a path from a lower layer to a higher one fails the test.
//!
//! Comments, string and character literals are blanked first (so `"crate::x"` in a message
//! is not an import), and inline `mod name { … }` blocks are followed so that `super::` in
//! a test module resolves where the compiler resolves it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Modules every layer may use; they use only each other.
const BASE: &[&str] = &["atomic", "clock", "config", "error", "format", "privacy"];

/// The layers, lowest first: a module may import its own layer and those below it.
const LAYERS: &[(&str, u8)] = &[
    ("stats", 1),
    ("table", 2),
    ("ingest", 3),
    ("analysis", 4),
    ("history", 4),
    ("report", 5),
    ("fuzz", 6),
    ("cli", 7),
    ("cmd", 7),
    ("main", 8),
];

/// Known upward imports, each with the reason it is still there. Keep this list short.
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "config",
        "table",
        "config validates extra tag and feature names against the column catalogue \
     (table::schema, table::cases::features) while table reads config's ExtraTag; \
     to go with the one column catalogue (issue 12, part 3)",
    ),
    (
        "config",
        "stats",
        "SequentialConfig takes its defaults from stats::sequential::Cusum and converts \
         into one (cusum()), so the rule's k and h are defined once; analysis could do the \
         conversion instead",
    ),
];

/// One import: the file and line it is on, and the top-level modules at both ends.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    file: PathBuf,
    line: usize,
    from: String,
    to: String,
}

fn rank(module: &str) -> Option<u8> {
    if BASE.contains(&module) {
        return Some(0);
    }
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, r)| *r)
}

/// Why `import` breaks the rule, or `None` when it keeps it.
fn violation(import: &Import) -> Option<String> {
    let (from, to) = (import.from.as_str(), import.to.as_str());
    if from == to || EXCEPTIONS.iter().any(|(f, t, _)| *f == from && *t == to) {
        return None;
    }
    let (Some(rf), Some(rt)) = (rank(from), rank(to)) else {
        return Some(format!(
            "{}:{}: {from} imports {to}, and one of them is not in the layer table \
             (add it to tests/it/layers.rs and docs/architecture.md)",
            import.file.display(),
            import.line
        ));
    };
    let allowed = rt == 0 || (rf != 0 && rt <= rf);
    (!allowed).then(|| {
        let what = |m: &str, r: u8| match r {
            0 => format!("{m} (a base module)"),
            _ => format!("{m} (layer {r})"),
        };
        format!(
            "{}:{}: {} imports {}",
            import.file.display(),
            import.line,
            what(from, rf),
            what(to, rt)
        )
    })
}

/// `text` with comments, string literals and character literals replaced by spaces;
/// newlines are kept so line numbers stay right.
fn blank_literals(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |out: &mut String, s: &[char]| {
        out.extend(s.iter().map(|&ch| if ch == '\n' { '\n' } else { ' ' }))
    };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let start = i;
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c[i] == 'r'
            && (i == 0 || !ident(c[i - 1]) || (c[i - 1] == 'b' && (i < 2 || !ident(c[i - 2]))))
            && matches!(c.get(i + 1), Some('"') | Some('#'))
        {
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            i = j + 1;
            while i < c.len() {
                if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if c[i] == '"' {
            i += 1;
            while i < c.len() && c[i] != '"' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c[i] == '\'' && c.get(i + 1) == Some(&'\\') {
            i += 2;
            while i < c.len() && c[i] != '\'' {
                i += 1;
            }
            i += 1;
        } else if c[i] == '\'' && c.get(i + 2) == Some(&'\'') {
            i += 3;
        } else {
            out.push(c[i]);
            i += 1;
            continue;
        }
        blank(&mut out, &c[start..i.min(c.len())]);
    }
    out
}

/// The tokens that matter for paths: identifiers, `::`, braces, commas and semicolons,
/// each with its line.
fn tokens(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\n' => line += 1,
            ':' if chars.peek() == Some(&':') => {
                chars.next();
                out.push(("::".to_string(), line));
            }
            '{' | '}' | ',' | ';' | '*' => out.push((ch.to_string(), line)),
            c if c.is_alphanumeric() || c == '_' => {
                let mut word = c.to_string();
                while let Some(&n) = chars.peek() {
                    if !(n.is_alphanumeric() || n == '_') {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                out.push((word, line));
            }
            c if c.is_whitespace() => {}
            c => out.push((c.to_string(), line)),
        }
    }
    out
}

/// The module path of a file under src/: `analysis/drift/mod.rs` is `[analysis, drift]`,
/// `main.rs` is `[]` (the binary's root, reported as `main`), `lib.rs` is `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Every import in one file's source that leaves the file's top-level module.
fn imports_of(relative: &Path, source: &str) -> Vec<Import> {
    let file_module = module_path(relative);
    let own = match file_module.first() {
        Some(m) => m.clone(),
        None if relative == Path::new("main.rs") => "main".to_string(),
        None => return Vec::new(), // lib.rs only declares modules
    };
    let toks = tokens(&blank_literals(source));
    let word = |i: usize| toks.get(i).map_or("", |(t, _)| t.as_str());
    let mut inline: Vec<Option<String>> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        match word(i) {
            "{" => inline.push((word(i.wrapping_sub(2)) == "mod").then(|| word(i - 1).into())),
            "}" => {
                inline.pop();
            }
            "crate" | "super" if word(i + 1) == "::" && word(i.wrapping_sub(1)) != "::" => {
                let mut module: Vec<String> = file_module.clone();
                module.extend(inline.iter().flatten().cloned());
                let mut j = i;
                if word(i) == "crate" {
                    module.clear();
                    j += 2;
                } else {
                    while word(j) == "super" && word(j + 1) == "::" {
                        module.pop();
                        j += 2;
                    }
                }
                let mut targets = Vec::new();
                if let Some(first) = module.first() {
                    targets.push((first.clone(), toks[i].1));
                } else if word(j) == "{" {
                    // `crate::{a::x, b}`: the first word of each item at depth one.
                    let (mut depth, mut k, mut item_start) = (0, j, true);
                    while k < toks.len() {
                        match word(k) {
                            "{" => {
                                depth += 1;
                                item_start = depth == 1;
                            }
                            "}" => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            "," if depth == 1 => item_start = true,
                            w if item_start && depth == 1 => {
                                targets.push((w.to_string(), toks[k].1));
                                item_start = false;
                            }
                            _ => {}
                        }
                        k += 1;
                    }
                } else {
                    targets.push((word(j).to_string(), toks[i].1));
                }
                for (to, line) in targets {
                    let is_module = to.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                    if is_module && to != own && to != "self" {
                        out.push(Import {
                            file: Path::new("src").join(relative),
                            line,
                            from: own.clone(),
                            to,
                        });
                    }
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_imports_a_higher_layer() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut edges: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&root).unwrap();
        let source = std::fs::read_to_string(path).unwrap();
        for import in imports_of(relative, &source) {
            *edges
                .entry((import.from.clone(), import.to.clone()))
                .or_default() += 1;
            problems.extend(violation(&import));
        }
    }
    // The scan must see the imports the project is built on, or it checks nothing.
    for edge in [
        ("analysis", "stats"),
        ("analysis", "table"),
        ("cmd", "report"),
    ] {
        let edge = (edge.0.to_string(), edge.1.to_string());
        assert!(edges.contains_key(&edge), "no {edge:?} import found");
    }
    assert!(
        edges.values().sum::<usize>() > 200,
        "too few imports found: {edges:?}"
    );
    assert!(
        problems.is_empty(),
        "upward imports:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    for entry in std::fs::read_dir(src()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let module = name.trim_end_matches(".rs");
        if module != "lib" {
            assert!(
                rank(module).is_some(),
                "src/{name}: give it a layer in tests/it/layers.rs and docs/architecture.md"
            );
        }
    }
}

#[test]
fn the_scanner_finds_planted_upward_imports() {
    let found = |file: &str, source: &str| -> Vec<String> {
        imports_of(Path::new(file), source)
            .iter()
            .filter_map(violation)
            .collect()
    };
    let upward = found("stats/ks.rs", "use crate::report::json;\n");
    assert_eq!(upward.len(), 1, "{upward:?}");
    assert!(upward[0].contains("src/stats/ks.rs:1: stats (layer 1) imports report (layer 5)"));
    let grouped = found(
        "table/x.rs",
        "use crate::{\n  stats::median,\n  analysis::Report,\n};",
    );
    assert_eq!(grouped.len(), 1, "{grouped:?}");
    assert!(grouped[0].contains(":3: table (layer 2) imports analysis"));
    assert_eq!(
        found("analysis/mod.rs", "fn f() { super::cmd::run() }").len(),
        1,
        "super:: from a mod.rs reaches the crate root"
    );
    assert_eq!(found("clock.rs", "use crate::table::schema;").len(), 1);
    assert_eq!(found("newthing.rs", "use crate::stats::x;").len(), 1);
    // Not imports: comments, strings, a test module's `super::`, downward paths.
    let quiet = "// crate::cmd::x\nconst S: &str = \"crate::cmd\";\nconst C: char = '\"';\n\
                 /* crate::report */ use crate::stats::x;\nmod tests { use super::*; use super::super::table; }\n";
    assert!(found("analysis/drift/mod.rs", quiet).is_empty());
    assert_eq!(
        found(
            "analysis/drift.rs",
            "mod t { use super::super::super::cmd; }"
        )
        .len(),
        1
    );
}

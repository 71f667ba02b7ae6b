//! What a person reads on a terminal: the demo's and the audit's output fit the width
//! (`COLUMNS`, or 100 when piped), carry no Markdown markup, and say what performance can
//! and cannot show.

use crate::workdir::Workdir;

/// Lines of `text` longer than `width` characters (not bytes: "→" and "×" are one each).
fn too_long(text: &str, width: usize) -> Vec<String> {
    text.lines()
        .filter(|l| l.chars().count() > width)
        .map(str::to_string)
        .collect()
}

fn demo_stderr(wd: &Workdir, dir: &str, columns: Option<&str>) -> String {
    let mut cmd = wd.command(&["demo", "--dir", dir, "--cases", "700"]);
    match columns {
        Some(c) => cmd.env("COLUMNS", c),
        None => cmd.env_remove("COLUMNS"),
    };
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn demo_output_fits_the_width_without_markdown() {
    let wd = Workdir::new();
    // One run at 80 columns (debug builds take ~20 s a demo); unit tests of `terminal`
    // cover the default of 100 when piped.
    for (dir, columns, width) in [("c80", Some("80"), 80)] {
        let text = demo_stderr(&wd, dir, columns);
        let long = too_long(&text, width);
        assert!(
            long.is_empty(),
            "{} line(s) over {width} columns:\n{}",
            long.len(),
            long.join("\n")
        );
        assert!(!text.contains("**"), "Markdown on a terminal:\n{text}");
        assert!(text.contains("change(s) from"), "{text}");
        // "no fall shown" comes with the fall that would have shown, never as a bare "ok".
        let at = text
            .find("Performance, all cases:")
            .unwrap_or_else(|| panic!("no performance line:\n{text}"));
        let performance: Vec<&str> = text[at..].split_whitespace().take(30).collect();
        let performance = performance.join(" ");
        assert!(
            performance.contains("would show") || performance.contains("not decided"),
            "{performance}"
        );
        // Words wrap, identifiers do not: each feature the findings name is whole on a line.
        for name in ["exposure_mas", "slice_thickness", "patient_age_years"] {
            assert!(
                text.lines().any(|l| l
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|w| w == name)),
                "{name} split or missing:\n{text}"
            );
        }
        for line in text.lines() {
            assert!(
                !line.trim_end().ends_with('_') && !line.trim_start().starts_with('_'),
                "an identifier broken at the line's end: {line}"
            );
        }
    }
}

//! Past one machine: `scan --shard` and `--files-from`, folders of parts everywhere, and
//! count profiles — `profile`, `merge`, `drift --profile` — checked against the pooled rows
//! of three synthetic sites.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::workdir::Workdir;

/// A baseline and three sites' nights (tables), each site its own seed and scenario.
fn three_sites(wd: &Workdir) {
    wd.run_expect(
        &[
            "synth", "--tables", "-o", "s", "--cases", "1500", "--seed", "1",
        ],
        0,
    );
    wd.snapshot_of_synth();
    for (site, seed, scenario) in [
        ("site-a", "11", "none"),
        ("site-b", "12", "protocol-change"),
        ("site-c", "13", "none"),
    ] {
        wd.run_expect(
            &[
                "synth",
                "--tables",
                "-o",
                site,
                "--cases",
                "700",
                "--seed",
                seed,
                "--scenario",
                scenario,
            ],
            0,
        );
    }
}

fn report(wd: &Workdir, dir: &str) -> Value {
    serde_json::from_slice(&std::fs::read(wd.path(&format!("{dir}/report.json"))).unwrap()).unwrap()
}

fn profile(wd: &Workdir, site: &str, min_cell: &str) {
    wd.run_expect(
        &[
            "profile",
            "--baseline",
            "snap",
            "--headers",
            &format!("{site}/serving/headers.parquet"),
            "--inferences",
            &format!("{site}/serving/inferences.parquet"),
            "--site",
            site,
            "--min-cell",
            min_cell,
            "-o",
            &format!("{site}-{min_cell}.parquet"),
        ],
        0,
    );
}

/// Checks by (kind, subject, subgroup).
fn by_id(report: &Value) -> BTreeMap<String, Value> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let id = format!("{} | {} | {}", c["kind"], c["subject"], c["subgroup"]);
            (id, c.clone())
        })
        .collect()
}

fn close(a: &Value, b: &Value, tolerance: f64) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= tolerance * (1.0 + x.abs().max(y.abs())),
        _ => a == b,
    }
}

/// Pooled drift on the three sites' rows and drift on their merged profiles (`--min-cell
/// 1`), both into report folders; `config` restricts the run, `scored` adds inferences.
fn pooled_and_merged(
    wd: &Workdir,
    tag: &str,
    config: Option<&str>,
    scored: bool,
) -> (Value, Value) {
    let sites = ["site-a", "site-b", "site-c"];
    let side = |table: &str| -> Vec<String> {
        sites
            .iter()
            .map(|s| format!("{s}/serving/{table}.parquet"))
            .collect()
    };
    let (headers, inferences) = (side("headers"), side("inferences"));
    let global: Vec<&str> = config.map(|c| vec!["--config", c]).unwrap_or_default();
    let pooled_dir = format!("pooled-{tag}");
    let mut pooled = global.clone();
    pooled.extend([
        "drift",
        "--baseline",
        "snap",
        "-o",
        &pooled_dir,
        "--fail-on",
        "never",
    ]);
    pooled.push("--headers");
    pooled.extend(headers.iter().map(String::as_str));
    if scored {
        pooled.push("--inferences");
        pooled.extend(inferences.iter().map(String::as_str));
    }
    wd.run_expect(&pooled, 0);
    let mut parts = Vec::new();
    for (site, (h, i)) in sites.iter().zip(headers.iter().zip(&inferences)) {
        let out = format!("{site}-{tag}.parquet");
        let mut args = global.clone();
        args.extend(["profile", "--baseline", "snap", "--headers", h]);
        if scored {
            args.extend(["--inferences", i]);
        }
        args.extend(["--site", site, "--min-cell", "1", "-o", &out]);
        wd.run_expect(&args, 0);
        parts.push(out);
    }
    let merged_file = format!("merged-{tag}.parquet");
    let mut merge = vec!["merge"];
    merge.extend(parts.iter().map(String::as_str));
    merge.extend(["-o", &merged_file]);
    wd.run_expect(&merge, 0);
    let merged_dir = format!("merged-{tag}");
    let mut drift = global.clone();
    drift.extend([
        "drift",
        "--baseline",
        "snap",
        "--profile",
        &merged_file,
        "-o",
        &merged_dir,
        "--fail-on",
        "never",
    ]);
    wd.run_expect(&drift, 0);
    (report(wd, &pooled_dir), report(wd, &merged_dir))
}

const EXACT_FIELDS: [&str; 9] = [
    "severity",
    "statistic",
    "p_value",
    "q_value",
    "effect",
    "effect_ci_low",
    "effect_ci_high",
    "n_baseline",
    "n_serving",
];

#[test]
fn merged_profiles_give_the_pooled_rows_drift() {
    let wd = Workdir::new();
    three_sites(&wd);
    let (pooled, merged) = pooled_and_merged(&wd, "all", None, true);
    assert_eq!(pooled["window"]["cases"], merged["window"]["cases"]);
    let (p, m) = (by_id(&pooled), by_id(&merged));
    assert_eq!(
        p.keys().collect::<Vec<_>>(),
        m.keys().collect::<Vec<_>>(),
        "the same checks"
    );
    let mut exact_features = BTreeSet::new();
    let mut binned_features = BTreeSet::new();
    let (mut exact, mut binned) = (0, 0);
    for (id, a) in &p {
        let b = &m[id];
        let subject = a["subject"].as_str().unwrap().to_string();
        match b["extra"].get("binning_ks_bound").and_then(Value::as_f64) {
            None => {
                exact += 1;
                // q and the intervals depend on the whole BH family, which holds binned
                // checks too: those are compared in the second run below.
                for field in ["statistic", "p_value", "effect", "n_baseline", "n_serving"] {
                    assert!(
                        close(&a[field], &b[field], 1e-9),
                        "{id} {field}: pooled {} merged {}",
                        a[field],
                        b[field]
                    );
                }
                if a["kind"] == "feature-drift" {
                    exact_features.insert(subject);
                }
            }
            Some(ks) => {
                binned += 1;
                binned_features.insert(subject);
                let w1 = b["extra"]["binning_w1_bound"].as_f64().unwrap_or(0.0);
                let (ds, dm) = (
                    a["statistic"].as_f64().unwrap(),
                    b["statistic"].as_f64().unwrap(),
                );
                assert!(
                    (ds - dm).abs() <= ks + 1e-9,
                    "{id}: KS {ds} vs {dm}, bound {ks}"
                );
                let (es, em) = (a["effect"].as_f64().unwrap(), b["effect"].as_f64().unwrap());
                assert!(
                    (es - em).abs() <= w1 + 1e-9,
                    "{id}: W1/SD {es} vs {em}, bound {w1}"
                );
                assert_eq!(a["n_serving"], b["n_serving"], "{id}");
            }
        }
    }
    assert!(
        exact > 50 && binned > 5,
        "{exact} exact, {binned} binned checks"
    );
    // The injected change at site-b is found from the counts as from the rows.
    assert_eq!(pooled["status"], merged["status"]);
    assert_ne!(merged["status"], "ok");

    // On the exact features alone, every field of every check is the pooled one: the
    // decision (BH q, FCR-widened interval, severity) included.
    let exact_only: Vec<String> = exact_features
        .iter()
        .filter(|f| !binned_features.contains(*f) && !f.starts_with("mix") && *f != "prediction")
        .map(|f| format!("\"{f}\""))
        .collect();
    wd.write(
        "exact.yaml",
        format!("drift:\n  features: [{}]\n", exact_only.join(", ")),
    );
    let (pooled, merged) = pooled_and_merged(&wd, "exact", Some("exact.yaml"), false);
    let (p, m) = (by_id(&pooled), by_id(&merged));
    assert_eq!(p.keys().collect::<Vec<_>>(), m.keys().collect::<Vec<_>>());
    assert!(p.len() > 30, "{} checks", p.len());
    for (id, a) in &p {
        for field in EXACT_FIELDS {
            assert!(
                close(&a[field], &m[id][field], 1e-9),
                "{id} {field}: pooled {} merged {}",
                a[field],
                m[id][field]
            );
        }
    }
    assert_eq!(pooled["status"], merged["status"]);
    assert_eq!(pooled["counts"], merged["counts"]);
}

#[test]
fn a_profile_publishes_no_small_cell_and_by_site_names_the_site_that_moved() {
    let wd = Workdir::new();
    three_sites(&wd);
    for site in ["site-a", "site-b", "site-c"] {
        profile(&wd, site, "5");
        let read =
            postmarket::analysis::profile::read(&wd.path(&format!("{site}-5.parquet"))).unwrap();
        assert_eq!(read.manifest.site, site);
        assert_eq!(read.manifest.min_cell, 5);
        let mut hidden = 0;
        for cell in &read.cells {
            match cell.count {
                None => hidden += 1,
                Some(_) if cell.key.kind == "sites" => {}
                Some(k) => assert!(k >= 5, "{site}: {:?} = {k}", cell.key),
            }
        }
        assert!(hidden > 0, "{site}: something small to suppress");
        // No identifier or raw row: only the features' cells.
        let features: BTreeSet<&str> = read
            .cells
            .iter()
            .filter_map(|c| c.key.feature.as_deref())
            .collect();
        for uid in [
            "sop_instance_uid",
            "series_instance_uid",
            "study_instance_uid",
            "source_path",
        ] {
            assert!(!features.contains(uid), "{uid}");
        }
    }
    let stderr = wd.run_expect(
        &[
            "drift",
            "--baseline",
            "snap",
            "--profile",
            "site-a-5.parquet",
            "site-b-5.parquet",
            "site-c-5.parquet",
            "--by-site",
            "-o",
            "by-site",
            "--fail-on",
            "never",
        ],
        0,
    );
    let merged = report(&wd, "by-site");
    let lines: Vec<&str> = merged["by_site"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[1].starts_with("site-b: ") && lines[1].contains("finding"),
        "{lines:?}"
    );
    assert!(!lines[1].contains("no finding"), "{lines:?}");
    for site in ["site-a", "site-b", "site-c"] {
        assert!(
            wd.path(&format!("by-site/sites/{site}/report.json"))
                .exists(),
            "{stderr}"
        );
    }
    // Suppressed cells are said, not silently dropped.
    let suppressed = merged["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["extra"].get("suppressed_cells").is_some());
    assert!(suppressed);
}

#[test]
fn merge_refuses_profiles_of_another_baseline_by_name() {
    let wd = Workdir::new();
    three_sites(&wd);
    profile(&wd, "site-a", "5");
    wd.run_expect(
        &[
            "synth", "--tables", "-o", "other", "--cases", "300", "--seed", "99",
        ],
        0,
    );
    wd.run_expect(
        &[
            "baseline",
            "--headers",
            "other/baseline/headers.parquet",
            "--inferences",
            "other/baseline/inferences.parquet",
            "-o",
            "snap2",
        ],
        0,
    );
    wd.run_expect(
        &[
            "profile",
            "--baseline",
            "snap2",
            "--headers",
            "site-b/serving/headers.parquet",
            "--site",
            "site-b",
            "-o",
            "b-other.parquet",
        ],
        0,
    );
    let stderr = wd.run_expect(
        &[
            "merge",
            "site-a-5.parquet",
            "b-other.parquet",
            "-o",
            "m.parquet",
        ],
        2,
    );
    assert!(
        stderr.contains("b-other.parquet") && stderr.contains("different baselines"),
        "{stderr}"
    );
    assert!(!wd.path("m.parquet").exists());
    // And drift refuses a profile of another snapshot.
    let stderr = wd.run_expect(
        &[
            "drift",
            "--baseline",
            "snap",
            "--profile",
            "b-other.parquet",
            "-o",
            "x",
        ],
        2,
    );
    assert!(
        stderr.contains("another") || stderr.contains("against"),
        "{stderr}"
    );
}

/// The rows of a headers table, by SOP Instance UID.
fn uids(path: &std::path::Path) -> Vec<String> {
    use arrow_array::cast::AsArray;
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch
            .column_by_name("sop_instance_uid")
            .unwrap()
            .as_string::<i32>()
            .clone();
        out.extend(column.iter().map(|v| v.unwrap().to_string()));
    }
    out
}

#[test]
fn shards_partition_the_scan_by_series_folder_and_files_from_reads_a_list() {
    let wd = Workdir::new();
    wd.run_expect(
        &["synth", "-o", "s", "--cases", "40", "--slices", "3", "-q"],
        0,
    );
    wd.run_expect(&["scan", "s/serving/dicom", "-o", "full.parquet", "-q"], 0);
    let full = uids(&wd.path("full.parquet"));
    let mut union = Vec::new();
    let mut sizes = Vec::new();
    for i in 1..=3 {
        let spec = format!("{i}/3");
        let out = format!("part-{i}.parquet");
        wd.run_expect(
            &[
                "scan",
                "s/serving/dicom",
                "--shard",
                &spec,
                "-o",
                &out,
                "-q",
            ],
            0,
        );
        let rows = uids(&wd.path(&out));
        sizes.push(rows.len());
        union.extend(rows);
    }
    assert_eq!(union.len(), full.len(), "no row twice: {sizes:?}");
    let (mut a, mut b) = (union.clone(), full.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b);
    assert!(
        sizes.iter().all(|&s| s > 0 && s % 3 == 0),
        "series stay whole: {sizes:?}"
    );

    // The parts read as one table: drift on the folder equals drift on the full scan.
    std::fs::create_dir_all(wd.path("parts")).unwrap();
    for i in 1..=3 {
        std::fs::rename(
            wd.path(&format!("part-{i}.parquet")),
            wd.path(&format!("parts/part-{i}.parquet")),
        )
        .unwrap();
    }
    wd.write("parts/_SUCCESS", "");
    wd.run_expect(&["scan", "s/baseline/dicom", "-o", "bh.parquet", "-q"], 0);
    wd.run_expect(
        &[
            "logs",
            "s/baseline/inferences.jsonl",
            "-o",
            "bi.parquet",
            "-q",
        ],
        0,
    );
    wd.run_expect(
        &[
            "baseline",
            "--headers",
            "bh.parquet",
            "--inferences",
            "bi.parquet",
            "-o",
            "snap",
            "-q",
        ],
        0,
    );
    for (out, headers) in [("d-full", "full.parquet"), ("d-parts", "parts")] {
        wd.run_expect(
            &[
                "drift",
                "--baseline",
                "snap",
                "--headers",
                headers,
                "-o",
                out,
                "--fail-on",
                "never",
                "-q",
            ],
            0,
        );
    }
    let (x, y) = (report(&wd, "d-full"), report(&wd, "d-parts"));
    assert_eq!(x["checks"], y["checks"]);

    // --files-from: a list on stdin, empty lines ignored.
    let mut list = String::new();
    for entry in std::fs::read_dir(wd.path("s/serving/dicom")).unwrap() {
        list.push_str(&entry.unwrap().path().display().to_string());
        list.push_str("\n\n");
    }
    let mut child = wd
        .command(&["scan", "--files-from", "-", "-o", "listed.parquet", "-q"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut listed = uids(&wd.path("listed.parquet"));
    listed.sort();
    assert_eq!(listed, b);

    // A bad shard is a usage error that says what was expected.
    let stderr = wd.run_expect(
        &[
            "scan",
            "s/serving/dicom",
            "--shard",
            "4/3",
            "-o",
            "x.parquet",
        ],
        2,
    );
    assert!(stderr.contains("expected I/N"), "{stderr}");
}

#[test]
fn audit_from_profiles_keeps_a_history_of_windows() {
    let wd = Workdir::new();
    wd.run_expect(
        &[
            "synth", "--tables", "-o", "s", "--cases", "600", "--seed", "1",
        ],
        0,
    );
    wd.snapshot_of_synth();
    wd.run_expect(
        &[
            "synth", "--tables", "-o", "site", "--cases", "600", "--seed", "7",
        ],
        0,
    );
    let weeks = [
        "2026-10-05T00:00:00Z..2026-10-12T00:00:00Z",
        "2026-10-12T00:00:00Z..2026-10-19T00:00:00Z",
    ];
    for (i, week) in weeks.iter().enumerate() {
        let profile = format!("week{i}.parquet");
        wd.run_expect(
            &[
                "profile",
                "--baseline",
                "snap",
                "--headers",
                "site/serving/headers.parquet",
                "--inferences",
                "site/serving/inferences.parquet",
                "--window",
                week,
                "--site",
                "site-a",
                "-o",
                &profile,
                "-q",
            ],
            0,
        );
        let out = format!("audit{i}");
        wd.run_expect(
            &[
                "audit",
                "--baseline",
                "snap",
                "--profile",
                &profile,
                "--history",
                "hist",
                "-o",
                &out,
                "--fail-on",
                "never",
                "-q",
            ],
            0,
        );
    }
    let report = report(&wd, "audit1");
    assert_eq!(report["command"], "audit");
    assert_eq!(report["window"]["start"], "2026-10-12T00:00:00Z");
    assert_eq!(report["history"]["earlier_runs"], 1);
    let ran: Vec<(&str, bool)> = report["analyses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["ran"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        ran,
        [("drift", true), ("cluster", false), ("performance", false)]
    );
    // A profile without a window cannot join a history of windows.
    wd.run_expect(
        &[
            "profile",
            "--baseline",
            "snap",
            "--headers",
            "site/serving/headers.parquet",
            "--site",
            "site-a",
            "-o",
            "all.parquet",
            "-q",
        ],
        0,
    );
    let stderr = wd.run_expect(
        &[
            "audit",
            "--baseline",
            "snap",
            "--profile",
            "all.parquet",
            "--history",
            "hist",
            "-o",
            "x",
        ],
        2,
    );
    assert!(stderr.contains("--window"), "{stderr}");
}

//! Command-line behaviour shared by every command: config errors and exit codes.

use crate::workdir::Workdir;

#[test]
fn an_unknown_config_key_is_a_usage_error_naming_key_and_line() {
    let wd = Workdir::new();
    wd.write(
        "postmarket.yaml",
        "logs:\n  threshold: 0.5\nextra_tag: []\n",
    );
    wd.write("log.jsonl", "");
    let stderr = wd.run_expect(&["logs", "log.jsonl", "-o", "i.parquet"], 2);
    assert!(stderr.contains("extra_tag"), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
}

#[test]
fn an_explicit_missing_config_is_a_usage_error() {
    let wd = Workdir::new();
    let stderr = wd.run_expect(
        &["--config", "nope.yaml", "synth", "-o", "s", "--cases", "1"],
        2,
    );
    assert!(stderr.contains("nope.yaml"), "{stderr}");
}

#[test]
fn zero_jobs_is_a_usage_error() {
    let wd = Workdir::new();
    wd.write("x.dcm", "");
    wd.run_expect(&["scan", "x.dcm", "-o", "h.parquet", "--jobs", "0"], 2);
}

#[test]
fn help_documents_exit_codes() {
    let wd = Workdir::new();
    let out = wd.run(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Exit codes"), "{text}");
    assert!(text.contains("3  unreadable"), "{text}");
}

#[test]
fn an_unknown_scenario_lists_the_known_ones() {
    let wd = Workdir::new();
    let stderr = wd.run_expect(&["synth", "--scenario", "scanner-upgarde", "-o", "s"], 2);
    assert!(stderr.contains("scanner-upgrade"), "{stderr}");
}

#[test]
fn a_bad_cluster_section_is_a_usage_error_before_any_baseline_is_built() {
    let wd = Workdir::new();
    wd.write("postmarket.yaml", "cluster:\n  k_min: 6\n  k_max: 3\n");
    let stderr = wd.run_expect(&["synth", "-o", "s", "--cases", "1"], 2);
    assert!(stderr.contains("cluster.k_min/k_max"), "{stderr}");
    assert!(
        !wd.path("s").exists(),
        "nothing is written on a config error"
    );
}

#[test]
fn a_file_that_is_not_parquet_names_the_file_and_shows_the_cause() {
    let wd = Workdir::new();
    wd.write("h.parquet", "PATIENT^CANARY is not a Parquet footer");
    let stderr = wd.run_expect(
        &[
            "baseline",
            "--headers",
            "h.parquet",
            "--inferences",
            "h.parquet",
            "-o",
            "snap",
        ],
        3,
    );
    let (head, cause) = stderr.split_once("Caused by:").expect(&stderr);
    assert!(
        head.contains("h.parquet: not a readable Parquet file"),
        "{stderr}"
    );
    assert!(cause.contains("Parquet error"), "{stderr}");
    assert!(!stderr.contains("CANARY"), "{stderr}");
}

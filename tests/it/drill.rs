//! `postmarket drill`: nights resampled from the baseline, a scenario injected from an onset
//! night, the audit (with its history and sequential rule) run night by night.

use serde_json::Value;

use crate::workdir::Workdir;

fn baseline(wd: &Workdir) {
    wd.run_expect(
        &[
            "synth",
            "--tables",
            "-o",
            "s",
            "--scenario",
            "none",
            "--cases",
            "800",
            "--seed",
            "4",
        ],
        0,
    );
    wd.snapshot_of_synth();
}

const DRILL: &[&str] = &[
    "drill",
    "--baseline",
    "snap",
    "--scenario",
    "none,protocol-change,new-scanner",
    "--nights",
    "6",
    "--onset",
    "3",
    "--cases-per-night",
    "150",
    "--repeats",
    "3",
    "--seed",
    "5",
];

fn scenario<'a>(drill: &'a Value, name: &str) -> &'a Value {
    drill["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no scenario {name} in {drill}"))
}

#[test]
fn a_drill_finds_the_injected_changes_and_stays_quiet_without_one() {
    let wd = Workdir::new();
    baseline(&wd);
    let mut args = DRILL.to_vec();
    args.extend(["-o", "out", "--junit", "out/junit.xml"]);
    wd.run_expect(&args, 0);
    let drill: Value =
        serde_json::from_str(&std::fs::read_to_string(wd.path("out/drill.json")).unwrap()).unwrap();
    assert_eq!(drill["nights"], 6);
    let none = scenario(&drill, "none");
    assert_eq!(none["false_alarms_per_100_nights"], 0.0, "{none}");
    for name in ["protocol-change", "new-scanner"] {
        let s = scenario(&drill, name);
        assert_eq!(s["missed_share"], 0.0, "{s}");
        assert!(s["median_delay_nights"].as_f64().unwrap() <= 2.0, "{s}");
        assert_eq!(s["false_alarms_per_100_nights"], 0.0, "{s}");
        assert_eq!(s["passed"], true);
    }
    let first = scenario(&drill, "protocol-change")["detected_by"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        first.contains("slice_thickness") || first.contains("thick"),
        "{first}"
    );
    let junit = std::fs::read_to_string(wd.path("out/junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase").count(), 3, "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    let md = std::fs::read_to_string(wd.path("out/drill.md")).unwrap();
    assert!(md.contains("protocol-change"), "{md}");
    // The drill's working histories are gone.
    assert!(!wd.path("out/.drill-histories").exists());
}

#[test]
fn a_delay_beyond_the_configured_limit_fails_the_scenario() {
    let wd = Workdir::new();
    baseline(&wd);
    wd.write("strict.yaml", "drill:\n  max_delay_nights: 0\n");
    let args = [
        "--config",
        "strict.yaml",
        "drill",
        "--baseline",
        "snap",
        "--scenario",
        "protocol-change",
        "--nights",
        "3",
        "--onset",
        "2",
        "--cases-per-night",
        "150",
        "--repeats",
        "1",
        "-o",
        "out",
        "--junit",
        "out/junit.xml",
    ];
    wd.run_expect(&args, 1);
    let junit = std::fs::read_to_string(wd.path("out/junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
}

#[test]
fn same_seed_same_drill_and_bad_arguments_are_named() {
    let wd = Workdir::new();
    baseline(&wd);
    let small = [
        "drill",
        "--baseline",
        "snap",
        "--scenario",
        "scanner-upgrade",
        "--nights",
        "3",
        "--onset",
        "2",
        "--cases-per-night",
        "100",
        "--repeats",
        "2",
    ];
    for out in ["a", "b"] {
        let mut args = small.to_vec();
        args.extend(["-o", out]);
        let status = wd
            .command(&args)
            .env("SOURCE_DATE_EPOCH", "1790000000")
            .status()
            .unwrap();
        assert!(status.code().is_some_and(|c| c <= 1), "{args:?}");
    }
    for file in ["drill.json", "drill.md"] {
        assert_eq!(
            std::fs::read(wd.path(&format!("a/{file}"))).unwrap(),
            std::fs::read(wd.path(&format!("b/{file}"))).unwrap(),
            "{file}"
        );
    }
    let stderr = wd.run_expect(
        &[
            "drill",
            "--baseline",
            "snap",
            "--scenario",
            "no-such-thing",
            "-o",
            "x",
        ],
        2,
    );
    assert!(stderr.contains("no-such-thing"), "{stderr}");
    let stderr = wd.run_expect(
        &[
            "drill",
            "--baseline",
            "snap",
            "--scenario",
            "none",
            "--nights",
            "4",
            "--onset",
            "9",
            "-o",
            "x",
        ],
        2,
    );
    assert!(stderr.contains("--onset"), "{stderr}");
}

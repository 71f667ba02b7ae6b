//! `postmarket explore`: one subgroup against the rest and against the baseline.

use serde_json::Value;

use crate::drift::prepare;
use crate::workdir::Workdir;

#[test]
fn a_subgroup_is_compared_with_the_rest_and_the_baseline() {
    let wd = Workdir::new();
    prepare(&wd, "protocol-change", "200", "31");
    let out = wd.run(&[
        "explore",
        "--baseline",
        "snap",
        "--headers",
        "serving/h.parquet",
        "--inferences",
        "serving/i.parquet",
        "--where",
        "modality == \"CT\" and thickness >= 5",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sub = e["sizes"]["subgroup"].as_u64().unwrap();
    let rest = e["sizes"]["rest"].as_u64().unwrap();
    assert_eq!(sub + rest, 200);
    assert!(
        sub > 40,
        "the protocol change makes many thick CT slices: {sub}"
    );
    let thickness = e["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == "slice_thickness")
        .unwrap();
    assert!(thickness["subgroup"].as_str().unwrap().starts_with("5 "));
    assert!(thickness["versus_rest"]["p_value"].as_f64().unwrap() < 1e-6);
    assert!(e["performance"]["subgroup"]["labelled"].as_u64().unwrap() > 0);
}

#[test]
fn a_bad_expression_points_at_the_offending_position() {
    let wd = Workdir::new();
    prepare(&wd, "none", "40", "32");
    let stderr = wd.run_expect(
        &[
            "explore",
            "--baseline",
            "snap",
            "--headers",
            "serving/h.parquet",
            "--where",
            "manufacturer > 5",
        ],
        2,
    );
    assert!(stderr.contains("cannot"), "{stderr}");
    assert!(stderr.contains('^'), "{stderr}");
}

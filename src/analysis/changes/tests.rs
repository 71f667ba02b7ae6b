use super::*;
use crate::analysis::findings::{Check, Kind, Severity};

fn finding(kind: Kind, subject: &str, subgroup: Option<&str>) -> Check {
    Check {
        subgroup: subgroup.map(str::to_string),
        severity: Severity::Alert,
        summary: format!("{subject} moved"),
        action: format!("act on {subject}"),
        ..Check::new(kind, subject, "ks")
    }
}

fn drift(subject: &str, subgroup: Option<&str>) -> Check {
    finding(Kind::FeatureDrift, subject, subgroup)
}

fn ctx() -> Context {
    Context::new(&Config::default(), Carriers::default())
}

fn grouped(findings: &[Check]) -> Vec<Vec<String>> {
    group(findings, &ctx())
        .into_iter()
        .map(|c| c.findings)
        .collect()
}

#[test]
fn a_subgroup_finding_echoes_the_overall_one_of_its_feature() {
    let changes = grouped(&[
        drift("kvp", None),
        drift("kvp", Some("patient_sex = F")),
        drift("patient_age_years", None),
        drift("patient_age_years", Some("manufacturer = Philips")),
    ]);
    assert_eq!(
        changes,
        [
            vec!["feature-drift/kvp", "feature-drift/kvp@patient_sex = F"],
            vec![
                "feature-drift/patient_age_years",
                "feature-drift/patient_age_years@manufacturer = Philips"
            ]
        ]
    );
}

#[test]
fn cluster_shares_are_one_change_and_a_by_split_mix_is_its_feature() {
    let changes = grouped(&[
        finding(Kind::ClusterOccupancy, "all clusters", None),
        finding(Kind::ClusterOccupancy, "cluster 1: CT", None),
        finding(Kind::ClusterOccupancy, "cluster 2: MR", None),
        finding(Kind::Composition, "mix: patient_age_years", None),
        drift("patient_age_years", None),
    ]);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].len(), 3);
    assert_eq!(changes[1].len(), 2);
}

#[test]
fn a_subgroup_whose_members_moved_joins_the_feature_that_defines_it() {
    // The default `thick-slices` subgroup is `slice_thickness >= 2.5`.
    let all = [
        drift("slice_thickness", None),
        finding(Kind::Composition, "mix: thick-slices", None),
        drift("modality", Some("thick-slices")),
        // kvp has its own finding over all cases: rule 3 does not apply to its echo.
        drift("patient_sex", None),
        drift("patient_sex", Some("thick-slices")),
    ];
    let changes = group(&all, &ctx());
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(changes[0].findings.len(), 3);
    assert_eq!(changes[0].category, "acquisition");
    assert_eq!(changes[1].category, "patient mix");
    assert!(changes[0]
        .grouped
        .iter()
        .any(|g| g.contains("thick-slices")));
    // Actions name their features, so two changes never share one text.
    assert_ne!(changes[0].action, changes[1].action);
}

#[test]
fn an_unapproved_model_explains_its_output_and_calibration() {
    let changes = group(
        &[
            finding(Kind::ModelVersion, "edema-net 3.0.0", None),
            finding(Kind::ModelOutput, "score", None),
            finding(Kind::CalibrationDrift, "score meaning", None),
            drift("kvp", None),
        ],
        &ctx(),
    );
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(changes[0].category, "model");
    assert_eq!(changes[0].findings.len(), 3);
}

#[test]
fn findings_carried_by_the_same_cases_are_one_change() {
    use crate::analysis::distribution::Distribution;
    use arrow_array::{Float64Array, RecordBatch};
    use std::sync::Arc;
    // 200 cases: the first 90 are thick (5 mm) and score high; age is unrelated. (Score and
    // thickness are of different kinds, so only their cases can join them.)
    let n = 200;
    let thick: Vec<f64> = (0..n).map(|i| if i < 90 { 5.0 } else { 1.0 }).collect();
    let score: Vec<f64> = (0..n).map(|i| if i < 95 { 0.9 } else { 0.1 }).collect();
    let age: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 80.0 } else { 40.0 })
        .collect();
    let batch = RecordBatch::try_from_iter([
        (
            "slice_thickness",
            Arc::new(Float64Array::from(thick)) as arrow_array::ArrayRef,
        ),
        ("score", Arc::new(Float64Array::from(score)) as _),
        ("patient_age_years", Arc::new(Float64Array::from(age)) as _),
    ])
    .unwrap();
    let with =
        |kind: Kind, subject: &str, edges: Vec<f64>, baseline: Vec<u64>, serving: Vec<u64>| Check {
            distribution: Some(Distribution::Numeric {
                edges,
                baseline,
                serving,
                baseline_median: 0.0,
                serving_median: 0.0,
                moved: None,
            }),
            ..finding(kind, subject, None)
        };
    let checks = vec![
        with(
            Kind::FeatureDrift,
            "slice_thickness",
            vec![0.0, 3.0, 6.0],
            vec![80, 20],
            vec![110, 90],
        ),
        with(
            Kind::ModelOutput,
            "score",
            vec![0.0, 0.5, 1.0],
            vec![80, 20],
            vec![105, 95],
        ),
        with(
            Kind::FeatureDrift,
            "patient_age_years",
            vec![0.0, 60.0, 100.0],
            vec![70, 30],
            vec![100, 100],
        ),
    ];
    let carriers = Carriers::of(&batch, &checks, None);
    let context = Context::new(&Config::default(), carriers);
    let changes = group(&checks, &context);
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(changes[0].features, ["slice_thickness", "score"]);
    assert!(changes[0].grouped[0].contains("same cases"), "{changes:#?}");
    assert_eq!(changes[1].features, ["patient_age_years"]);
}

#[test]
fn metrics_that_fell_together_are_one_fall_and_follow_a_changed_model() {
    let falls = [
        finding(Kind::Performance, "specificity", None),
        finding(Kind::Performance, "ppv", None),
        finding(Kind::ChangePoint, "error stream", None),
        drift("kvp", None),
    ];
    let changes = grouped(&falls);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].len(), 3, "{changes:?}");
    let mut with_model = falls.to_vec();
    with_model.insert(0, finding(Kind::ModelVersion, "edema-net 3.0.0", None));
    let changes = grouped(&with_model);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(changes[0].len(), 4, "{changes:?}");
    assert!(changes[0][0].starts_with("model-version/"), "{changes:?}");
}

#[test]
fn three_events_of_one_night_stay_three_changes() {
    // A new scanner, older patients and an unapproved model on the same night. Under the
    // new model a fall inside the scanner's manufacturer is the model's (rule 4), not the
    // scanner's (rule 3); a mix of sex, age and manufacturer joins one of them (rule 3) but
    // does not tie the patient mix to the acquisition change through rule 6.
    let all = [
        finding(Kind::NewCategory, "convolution_kernel", None),
        drift("manufacturer", None),
        finding(Kind::ModelVersion, "edema-net 2.2.0-rc1", None),
        finding(Kind::ModelOutput, "score", None),
        finding(
            Kind::Performance,
            "specificity",
            Some("manufacturer = GE MEDICAL SYSTEMS"),
        ),
        finding(
            Kind::CalibrationDrift,
            "score meaning",
            Some("patient_age_years 40–65"),
        ),
        drift("patient_age_years", None),
        drift("patient_sex", None),
        finding(
            Kind::Composition,
            "mix: patient_sex × patient_age_years × manufacturer",
            None,
        ),
    ];
    let changes = group(&all, &ctx());
    let categories: Vec<&str> = changes.iter().map(|c| c.category).collect();
    assert_eq!(
        categories,
        ["acquisition", "model", "patient mix"],
        "{changes:#?}"
    );
    assert_eq!(changes[1].findings.len(), 4, "{changes:#?}");
    assert!(changes[1]
        .headline
        .starts_with("Model change: Unapproved model edema-net"));
}

#[test]
fn falls_measured_against_redefined_labels_are_the_labels_change() {
    // A new scanner, and labels redefined: the label share moved inside the new label
    // version and inside one manufacturer; sensitivity fell over all cases.
    let all = [
        finding(Kind::NewCategory, "convolution_kernel", None),
        drift("manufacturer", None),
        finding(Kind::Performance, "sensitivity", None),
        finding(
            Kind::LabelShift,
            "label prevalence",
            Some("label_version = edema-v2"),
        ),
        finding(
            Kind::LabelShift,
            "label prevalence",
            Some("manufacturer = CANON_MEC"),
        ),
        finding(Kind::Performance, "npv", Some("label_version = edema-v2")),
    ];
    let changes = group(&all, &ctx());
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(
        changes[0].findings.len(),
        2,
        "the scanner alone: {changes:#?}"
    );
    assert_eq!(changes[1].category, "labels");
    assert!(
        changes[1]
            .headline
            .starts_with("Label meaning change in label_version = edema-v2"),
        "{}",
        changes[1].headline
    );
}

//! The drift engine on small hand-made tables: twins, mixes, empty columns.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, StringArray};

use super::*;
use crate::analysis::findings::{Kind, Severity};
use crate::table::cases::FeatureKind;

fn table(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn numbers(v: &[f64]) -> ArrayRef {
    Arc::new(Float64Array::from(v.to_vec()))
}

fn words(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

fn features(names: &[(&str, FeatureKind)]) -> Vec<Feature> {
    names
        .iter()
        .map(|(name, kind)| Feature {
            name: name.to_string(),
            kind: *kind,
        })
        .collect()
}

#[test]
fn twins_are_tested_once_under_the_first_and_named_in_its_summary() {
    use FeatureKind::*;
    let n = 60;
    let thick: Vec<f64> = (0..n).map(|i| (i % 5) as f64).collect();
    let thicker: Vec<f64> = (0..n).map(|i| (i % 5 + 2) as f64).collect();
    let model: Vec<Option<&str>> = (0..n).map(|i| Some(["A", "B"][i % 2])).collect();
    let station: Vec<Option<&str>> = (0..n).map(|i| Some(["sa", "sb"][i % 2])).collect();
    let baseline = table(vec![
        ("thickness", numbers(&thick)),
        ("spacing", numbers(&thick)),
        ("model", words(&model)),
        ("station", words(&station)),
        ("station_b", words(&station)),
        ("tr", numbers(&[f64::NAN; 60])),
        ("te", numbers(&[f64::NAN; 60])),
    ]);
    // Serving: spacing parts ways with thickness (so both are tested); the stations
    // still follow the models one to one, but station_b gets a second name for B.
    let mut station_b = station.clone();
    station_b[1] = Some("sb2");
    let serving = table(vec![
        ("thickness", numbers(&thicker)),
        ("spacing", numbers(&thick)),
        ("model", words(&model)),
        ("station", words(&station)),
        ("station_b", words(&station_b)),
        ("tr", numbers(&[f64::NAN; 60])),
        ("te", numbers(&[f64::NAN; 60])),
    ]);
    let names = [
        ("thickness", Numeric),
        ("spacing", Numeric),
        ("model", Categorical),
        ("station", Categorical),
        ("station_b", Categorical),
        ("tr", Numeric),
        ("te", Numeric),
    ];
    let none = Resolved {
        groups: Vec::new(),
        partitions: Vec::new(),
    };
    let checks = super::checks(
        &baseline,
        serving,
        &features(&names),
        &none,
        &DriftConfig::default(),
    );
    let subjects: Vec<&str> = checks.iter().map(|c| c.subject.as_str()).collect();
    // Columns with no values at all are not twins: each keeps its own (insufficient and
    // missingness) checks.
    assert_eq!(
        subjects,
        [
            "thickness",
            "spacing",
            "model",
            "station_b",
            "tr",
            "tr",
            "te",
            "te"
        ]
    );
    let model = checks.iter().find(|c| c.subject == "model").unwrap();
    assert!(
        model.summary.ends_with("(same information as station)"),
        "{}",
        model.summary
    );
    assert!(!checks[0].summary.contains("same information"));
}

#[test]
fn the_mix_of_a_split_by_a_categorical_feature_is_not_tested_twice() {
    use FeatureKind::*;
    let n = 80;
    let model: Vec<Option<&str>> = (0..n).map(|i| Some(["A", "B"][i % 2])).collect();
    let age: Vec<f64> = (0..n).map(|i| 20.0 + i as f64).collect();
    let side = || table(vec![("model", words(&model)), ("years", numbers(&age))]);
    let (baseline, serving) = (side(), side());
    let defs: Vec<crate::config::Subgroup> =
        serde_norway::from_str("[{by: model}, {by: years, bins: [50]}]").unwrap();
    let groups = crate::analysis::subgroups::resolve(&defs, &baseline, &serving).unwrap();
    let checks = super::checks(
        &baseline,
        serving,
        &features(&[("model", Categorical), ("years", Numeric)]),
        &groups,
        &DriftConfig::default(),
    );
    let mixes: Vec<&str> = checks
        .iter()
        .filter(|c| c.kind == Kind::Composition)
        .map(|c| c.subject.as_str())
        .collect();
    assert_eq!(mixes, ["mix: years", "mix: model × years"]);
}

#[test]
fn a_split_by_an_empty_column_keeps_its_mix_check() {
    let site: Vec<Option<&str>> = vec![None; 40];
    let side = || table(vec![("site", words(&site))]);
    let (baseline, serving) = (side(), side());
    let defs: Vec<crate::config::Subgroup> = serde_norway::from_str("[{by: site}]").unwrap();
    let groups = crate::analysis::subgroups::resolve(&defs, &baseline, &serving).unwrap();
    let checks = super::checks(
        &baseline,
        serving,
        &features(&[("site", FeatureKind::Categorical)]),
        &groups,
        &DriftConfig::default(),
    );
    let mix = checks
        .iter()
        .find(|c| c.kind == Kind::Composition)
        .expect("the mix is reported (as insufficient), not dropped");
    assert_eq!(mix.severity, Severity::Insufficient);
}

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

/// The quoted detectable shift is what it says: on 40 and on 200 serving cases against
/// 2,000, a true location shift of the size a null night quotes gives a warning (or an
/// alert) in about `power` of simulated nights (400 each; measured 79.0% at 40 cases). The
/// quote is an approximation (no multiple-testing correction), so 70–92% is accepted.
#[test]
fn a_quoted_detectable_shift_shows_at_about_the_quoted_power() {
    use crate::analysis::findings::decide;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
    let normal = Normal::new(0.0, 1.0).unwrap();
    let mut draw = |n: usize, shift: f64| -> Vec<f64> {
        let mut v: Vec<f64> = (0..n).map(|_| shift + normal.sample(&mut rng)).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let baseline = draw(2_000, 0.0);
    let night = |serving: &[f64]| -> Check {
        let r = numeric::compare(&baseline, serving).unwrap();
        let mut c = Check::new(Kind::FeatureDrift, "kvp", "ks");
        c.subgroup = Some("thick-slices".into());
        c.effect_name = "wasserstein/sd";
        c.threshold = 0.1;
        c.alert_threshold = 0.25;
        c.p_value = Some(r.p_value);
        c.set_effect_with(r.effect, r.interval);
        c.n_serving = serving.len() as u64;
        c.n_baseline = baseline.len() as u64;
        let mut checks = vec![c];
        decide(&mut checks, 0.05);
        checks.pop().unwrap()
    };
    let mut quoted = Vec::new();
    for n in [40, 200] {
        let mut null = vec![night(&draw(n, 0.0))];
        assert!(null[0].severity < Severity::Warn, "{:?}", null[0].severity);
        shown::quote(&mut null, 0.8);
        let shift = null[0].extra[shown::KEY];
        let shown = (0..400)
            .filter(|_| night(&draw(n, shift)).severity >= Severity::Warn)
            .count();
        let rate = shown as f64 / 400.0;
        eprintln!("{n} cases: detectable shift {shift:.3} shown in {rate:.3}");
        assert!(
            (0.70..=0.92).contains(&rate),
            "{n}: shift {shift:.3} shown in {rate:.3}"
        );
        quoted.push(null.pop().unwrap());
    }
    let null = &quoted[..1];
    // A subgroup that could not show an alert-sized shift is named with it.
    let small = shown::small_subgroups(null);
    assert_eq!(small.len(), 1);
    assert!(
        small[0]
            .line()
            .starts_with("thick-slices (40 serving cases): a shift under 0.5"),
        "{}",
        small[0].line()
    );
}

#[test]
fn each_subgroup_check_equals_the_same_check_on_that_subgroup_alone() {
    use FeatureKind::*;
    // kv takes 5 values and dose 300 (counted in row order), exposure a value a row (past
    // the counted limit: read in value order), site is coded text; two partitions are
    // compared in one pass over each column.
    let side = |n: usize, shift: usize| {
        let kv: Vec<f64> = (0..n)
            .map(|i| [80.0, 100.0, 120.0, 140.0, -0.0][(i * 7 + shift) % 5])
            .collect();
        let dose: Vec<f64> = (0..n)
            .map(|i| ((i * 37 + shift * 11) % 300) as f64 / 3.0)
            .collect();
        let exposure: Vec<f64> = (0..n)
            .map(|i| (i * 7919 % n) as f64 + shift as f64 / 2.0)
            .collect();
        let site: Vec<Option<&str>> = (0..n)
            .map(|i| [Some("a"), Some("b"), None, Some("c")][(i * 3 + shift) % 4])
            .collect();
        table(vec![
            ("kv", numbers(&kv)),
            ("dose", numbers(&dose)),
            ("exposure", numbers(&exposure)),
            ("site", words(&site)),
        ])
    };
    let (baseline, serving) = (side(70_000, 0), side(80_000, 1));
    let defs: Vec<crate::config::Subgroup> =
        serde_norway::from_str("[{by: site}, {name: high, where: 'dose >= 50'}]").unwrap();
    let groups = crate::analysis::subgroups::resolve(&defs, &baseline, &serving).unwrap();
    let tested = features(&[
        ("kv", Numeric),
        ("dose", Numeric),
        ("exposure", Numeric),
        ("site", Categorical),
    ]);
    let config = DriftConfig::default();
    let all = super::checks(&baseline, serving.clone(), &tested, &groups, &config);
    // Not the intervals: a selected check's is widened to the false-coverage-rate level of
    // its run (Benjamini–Yekutieli), and the two runs hold different numbers of checks. The
    // site's check is compared below: alone, a subgroup codes only the sites it has.
    let key = |c: &Check| {
        serde_json::json!([
            c.subject,
            c.test,
            c.statistic,
            c.p_value,
            c.effect,
            c.n_baseline,
            c.n_serving,
            c.summary
        ])
    };
    let none = Resolved {
        groups: Vec::new(),
        partitions: Vec::new(),
    };
    let mut compared = 0;
    for group in &groups.groups {
        let only = |table: &RecordBatch, mask: &[bool]| {
            let mask = arrow_array::BooleanArray::from(mask.to_vec());
            arrow_select::filter::filter_record_batch(table, &mask).unwrap()
        };
        let (b, s) = (
            only(&baseline, &group.baseline),
            only(&serving, &group.serving),
        );
        let alone = super::checks(&b, s, &tested, &none, &config);
        for check in all
            .iter()
            .filter(|c| c.subgroup.as_deref() == Some(group.label.as_str()))
        {
            let same = alone
                .iter()
                .find(|a| a.subject == check.subject && a.test == check.test)
                .unwrap_or_else(|| {
                    panic!(
                        "{} {}: not on the subgroup alone",
                        group.label, check.subject
                    )
                });
            if check.subject == "site" {
                // Categories coded in another order: sums agree to rounding.
                let close = |a: Option<f64>, b: Option<f64>| {
                    let (a, b) = (a.unwrap(), b.unwrap());
                    (a - b).abs() <= 1e-12 * a.abs().max(1.0)
                };
                assert!(close(check.statistic, same.statistic), "{}", group.label);
                assert!(close(check.p_value, same.p_value), "{}", group.label);
                assert!(close(check.effect, same.effect), "{}", group.label);
                assert_eq!(
                    (check.n_baseline, check.n_serving),
                    (same.n_baseline, same.n_serving)
                );
            } else {
                assert_eq!(key(check), key(same), "{}", group.label);
            }
            compared += 1;
        }
    }
    // 3 sites and "high", 4 features each.
    assert_eq!(compared, 4 * 4);
}

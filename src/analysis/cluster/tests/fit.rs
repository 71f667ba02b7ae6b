//! Fitting: determinism, k selection, descriptions, dropped features, and the errors.

use super::*;

#[test]
fn fitting_twice_gives_an_identical_serialised_model() {
    let baseline = cases(1_200, 1, 1.0);
    let a = fit(&baseline, &params(KChoice::Auto { min: 2, max: 4 })).unwrap();
    let b = fit(&baseline, &params(KChoice::Auto { min: 2, max: 4 })).unwrap();
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(
        serde_norway::to_string(&a).unwrap(),
        serde_norway::to_string(&b).unwrap()
    );
}

#[test]
fn auto_k_finds_the_three_protocols_and_describes_them_in_original_units() {
    // Age is not an acquisition parameter: as a pure-noise dimension it blurs the protocols
    // enough that silhouette prefers k = 2.
    let mut p = params(KChoice::Auto { min: 2, max: 6 });
    p.numeric.retain(|f| f != "patient_age_years");
    let model = fit(&cases(1_500, 4, 1.0), &p).unwrap();
    assert_eq!(model.k, 3);
    assert_eq!(model.k_selection.len(), 5);
    let labels: Vec<&str> = model.clusters.iter().map(|c| c.label.as_str()).collect();
    let ge = labels
        .iter()
        .find(|l| l.starts_with("GE MEDICAL SYSTEMS Revolution CT, STANDARD"))
        .unwrap_or_else(|| panic!("{labels:?}"));
    assert!(
        ge.contains(" kVp") || ge.contains(" mm") || ge.contains(" mAs"),
        "{ge}"
    );
    let shares: f64 = model.clusters.iter().map(|c| c.share).sum();
    assert!((shares - 1.0).abs() < 1e-12);
    let d = &model.clusters[0].description;
    assert_eq!(d.len(), 6);
    assert!(
        d.iter().any(|(f, v)| f == "kvp" && v.ends_with(" kVp")),
        "{d:?}"
    );
}

#[test]
fn a_feature_constant_in_the_baseline_is_dropped_and_reported() {
    let base = cases(500, 10, 1.0);
    let schema = base.schema();
    let mut columns: Vec<(&str, ArrayRef)> = schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .zip(base.columns().iter().cloned())
        .collect();
    columns.push(("rows", floats(vec![512.0; 500])));
    columns.push(("modality", strings(vec!["CT"; 500])));
    let table = batch(columns);
    let mut p = params(KChoice::Fixed(3));
    p.numeric.push("rows".into());
    p.categorical.push("modality".into());
    let model = fit(&table, &p).unwrap();
    assert_eq!(model.dropped_constant, ["rows", "modality"]);
    assert!(!model
        .scaler
        .feature_names()
        .iter()
        .any(|f| f == "rows" || f.starts_with("modality")));
    assert_eq!(model.scaler.dim(), 4 + 3 + 3 + 3);
}

#[test]
fn every_feature_constant_is_an_error() {
    let table = batch(vec![
        ("kvp", floats(vec![120.0; 10])),
        ("modality", strings(vec!["CT"; 10])),
    ]);
    let err = fit(&table, &ClusterParams::new(["kvp"], ["modality"])).unwrap_err();
    assert_eq!(
        err,
        ClusterError::AllConstant {
            dropped: vec!["kvp".into(), "modality".into()]
        }
    );
}

#[test]
fn k_larger_than_the_usable_cases_is_a_clear_error() {
    let table = batch(vec![(
        "kvp",
        optional_floats(vec![Some(1.0), Some(2.0), None, Some(4.0)]),
    )]);
    let mut p = ClusterParams::new(["kvp"], Vec::<String>::new());
    p.k = KChoice::Fixed(4);
    let err = fit(&table, &p).unwrap_err();
    assert_eq!(
        err,
        ClusterError::TooFewCases {
            k: 4,
            needed: 4,
            usable: 3
        }
    );
    assert_eq!(
        err.to_string(),
        "k = 4 clusters need at least 4 usable cases, the baseline has 3"
    );
    p.k = KChoice::Auto { min: 3, max: 10 };
    assert!(matches!(
        fit(&table, &p),
        Err(ClusterError::TooFewCases { k: 3, .. })
    ));
    let empty = table.slice(0, 0);
    assert!(matches!(
        fit(&empty, &p),
        Err(ClusterError::TooFewCases { .. })
    ));
}

#[test]
fn unknown_duplicate_and_mistyped_columns_are_rejected_before_fitting() {
    let table = cases(50, 11, 1.0);
    let schema = table.schema();
    let check = |numeric: &[&str], categorical: &[&str]| {
        ClusterParams::new(numeric.iter().copied(), categorical.iter().copied()).validate(&schema)
    };
    assert_eq!(
        check(&["kvp", "tube_current"], &[]),
        Err(ClusterError::UnknownColumn {
            column: "tube_current".into()
        })
    );
    assert_eq!(
        check(&["manufacturer"], &[]),
        Err(ClusterError::NotNumeric {
            column: "manufacturer".into(),
            data_type: "Utf8".into()
        })
    );
    assert_eq!(
        check(&["kvp"], &["kvp"]),
        Err(ClusterError::DuplicateFeature {
            column: "kvp".into()
        })
    );
    assert_eq!(check(&[], &[]), Err(ClusterError::NoFeatures));
    let mut p = params(KChoice::Auto { min: 1, max: 4 });
    assert!(matches!(
        p.validate(&schema),
        Err(ClusterError::InvalidParams { name: "k", .. })
    ));
    p.k = KChoice::Fixed(2);
    p.sample = 1;
    assert!(matches!(
        p.validate(&schema),
        Err(ClusterError::InvalidParams { name: "k", .. })
    ));
    p.sample = 20_000;
    p.categorical_weight = f64::NAN;
    assert!(matches!(
        p.validate(&schema),
        Err(ClusterError::InvalidParams {
            name: "categorical_weight",
            ..
        })
    ));
}

#[test]
fn a_large_baseline_is_fitted_on_a_sample_but_summarised_on_every_row() {
    let mut p = params(KChoice::Fixed(3));
    p.sample = 1_000;
    let model = fit(&cases(4_000, 15, 1.0), &p).unwrap();
    assert_eq!((model.fit_rows, model.usable_rows), (1_000, 4_000));
    assert_eq!(model.clusters.iter().map(|c| c.size).sum::<u64>(), 4_000);
}

#[test]
fn rows_with_no_observed_feature_are_left_out_of_the_fit() {
    let kvp = vec![Some(100.0), Some(101.0), Some(140.0), Some(141.0), None];
    let table = batch(vec![("kvp", optional_floats(kvp))]);
    let mut p = ClusterParams::new(["kvp"], Vec::<String>::new());
    p.k = KChoice::Fixed(2);
    let model = fit(&table, &p).unwrap();
    assert_eq!(
        (model.baseline_rows, model.usable_rows, model.imputed_cells),
        (5, 4, 0)
    );
}

#[test]
fn a_mixed_cluster_is_labelled_with_shares_and_without_values_most_of_it_lacks() {
    // One cluster is thin-slice CT; the other thick slices, 60% MR (no kVp) and 40% CT.
    let n = 400;
    let mut modality = Vec::new();
    let mut slice = Vec::new();
    let mut kvp = Vec::new();
    let mut kernel = Vec::new();
    for i in 0..n {
        let thick = i % 2 == 1;
        let mr = thick && (i / 2) % 5 < 3;
        modality.push(if mr { "MR" } else { "CT" });
        slice.push(if thick { 5.0 } else { 1.0 } + 0.01 * (i % 7) as f64);
        kvp.push((!mr).then_some(120.0 + (i % 3) as f64));
        let j = (i / 2) % 10;
        kernel.push(match (thick, j) {
            (false, _) => "T",
            (true, 0..=3) => "A",
            (true, 4..=6) => "B",
            _ => "C",
        });
    }
    let table = batch(vec![
        ("modality", strings(modality)),
        ("slice_thickness", floats(slice)),
        ("kvp", optional_floats(kvp)),
        ("convolution_kernel", strings(kernel)),
    ]);
    let mut p = ClusterParams::new(
        ["slice_thickness", "kvp"],
        ["modality", "convolution_kernel"],
    );
    p.k = KChoice::Fixed(2);
    p.seed = 7;
    let model = fit(&table, &p).unwrap();
    let mut labels: Vec<&str> = model.clusters.iter().map(|c| c.label.as_str()).collect();
    labels.sort_unstable();
    assert!(labels[0].starts_with("CT, T, "), "{labels:?}");
    assert!(labels[0].contains(" kVp"), "{labels:?}");
    // Kernel A is 40% of the thick cluster, but 10 of those 40 points are its CT cases:
    // the label's kernel is counted among the MR cases it follows (30% of the cluster),
    // so that it never names a value the majority modality lacks.
    assert!(labels[1].starts_with("MR, A (30%), slice 5"), "{labels:?}");
    assert!(
        !labels[1].contains("kVp"),
        "most of the cluster has no kVp: {labels:?}"
    );
}

#[test]
fn a_clustering_of_one_continuum_is_called_weak_and_one_of_protocols_is_not() {
    let mut p = params(KChoice::Auto { min: 2, max: 4 });
    p.numeric.retain(|f| f != "patient_age_years");
    let protocols = fit(&cases(1_500, 4, 1.0), &p).unwrap();
    assert_eq!(super::super::run::weak_note(&protocols), None);

    // One scanner, and slice thickness, kVp, mAs and age drawn independently from one
    // normal distribution each: no groups to find, whatever k.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let noise = Normal::new(0.0, 1.0).unwrap();
    let n = 600;
    let mut normal = |mean: f64, sd: f64| -> Vec<f64> {
        (0..n).map(|_| mean + sd * noise.sample(&mut rng)).collect()
    };
    let (slice, kvp, mas, age) = (
        normal(2.0, 0.5),
        normal(120.0, 10.0),
        normal(200.0, 40.0),
        normal(60.0, 14.0),
    );
    let continuum = batch(vec![
        ("manufacturer", strings(vec!["GE MEDICAL SYSTEMS"; n])),
        ("manufacturer_model_name", strings(vec!["Revolution CT"; n])),
        ("convolution_kernel", strings(vec!["STANDARD"; n])),
        ("slice_thickness", floats(slice)),
        ("kvp", floats(kvp)),
        ("exposure_mas", floats(mas)),
        ("patient_age_years", floats(age)),
    ]);
    let p = params(KChoice::Auto { min: 2, max: 4 });
    let model = fit(&continuum, &p).unwrap();
    let note = super::super::run::weak_note(&model)
        .unwrap_or_else(|| panic!("not weak: {:?}", model.k_selection));
    assert!(
        note.starts_with("weak clustering: mean silhouette 0."),
        "{note}"
    );
    assert!(note.contains(&format!("at k = {}", model.k)), "{note}");
}

//! Behaviour of fit and assign on seeded synthetic case tables; scikit-learn agreement is
//! in `sklearn.rs`.

mod sklearn;

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::model::quantile_linear;
use super::*;

/// One acquisition protocol: (manufacturer, model, kernel, slice mm, kVp, mAs).
type Protocol = (&'static str, &'static str, &'static str, f64, f64, f64);

const PROTOCOLS: [Protocol; 3] = [
    (
        "GE MEDICAL SYSTEMS",
        "Revolution CT",
        "STANDARD",
        0.625,
        120.0,
        200.0,
    ),
    ("SIEMENS", "SOMATOM Force", "Br40", 1.0, 100.0, 150.0),
    ("Philips", "iCT 256", "YA", 2.0, 140.0, 260.0),
];

/// A seeded Gaussian mixture of the three protocols; `slice_factor` scales every slice
/// thickness (1 = the baseline's protocols).
fn cases(n: usize, seed: u64, slice_factor: f64) -> RecordBatch {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let noise = Normal::new(0.0, 1.0).unwrap();
    let mut cols: (Vec<_>, Vec<_>, Vec<_>) = (Vec::new(), Vec::new(), Vec::new());
    let mut num: [Vec<f64>; 4] = Default::default();
    for _ in 0..n {
        let p = PROTOCOLS[rng.random_range(0..3)];
        cols.0.push(p.0);
        cols.1.push(p.1);
        cols.2.push(p.2);
        num[0].push(slice_factor * p.3 * (1.0 + 0.08 * noise.sample(&mut rng)));
        num[1].push(p.4 + 3.0 * noise.sample(&mut rng));
        num[2].push(p.5 + 25.0 * noise.sample(&mut rng));
        num[3].push(60.0 + 14.0 * noise.sample(&mut rng));
    }
    let [slice, kvp, mas, age] = num;
    batch(vec![
        ("manufacturer", strings(cols.0)),
        ("manufacturer_model_name", strings(cols.1)),
        ("convolution_kernel", strings(cols.2)),
        ("slice_thickness", floats(slice)),
        ("kvp", floats(kvp)),
        ("exposure_mas", floats(mas)),
        ("patient_age_years", floats(age)),
    ])
}

fn params(k: KChoice) -> ClusterParams {
    let mut p = ClusterParams::new(
        [
            "slice_thickness",
            "kvp",
            "exposure_mas",
            "patient_age_years",
        ],
        [
            "manufacturer",
            "manufacturer_model_name",
            "convolution_kernel",
        ],
    );
    p.k = k;
    p.seed = 7;
    p
}

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    RecordBatch::try_from_iter(columns).unwrap()
}

fn strings(values: Vec<&str>) -> ArrayRef {
    Arc::new(StringArray::from(values))
}

fn floats(values: Vec<f64>) -> ArrayRef {
    Arc::new(Float64Array::from(values))
}

fn optional_floats(values: Vec<Option<f64>>) -> ArrayRef {
    Arc::new(Float64Array::from(values))
}

#[test]
fn fitting_twice_gives_an_identical_serialised_model() {
    let baseline = cases(3_000, 1, 1.0);
    let a = fit(&baseline, &params(KChoice::Auto { min: 2, max: 5 })).unwrap();
    let b = fit(&baseline, &params(KChoice::Auto { min: 2, max: 5 })).unwrap();
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
fn a_model_read_back_from_yaml_is_identical_and_from_json_assigns_alike() {
    let baseline = cases(2_000, 2, 1.0);
    let model = fit(&baseline, &params(KChoice::Fixed(3))).unwrap();
    let yaml: ClusterModel =
        serde_norway::from_str(&serde_norway::to_string(&model).unwrap()).unwrap();
    assert_eq!(yaml, model);
    // serde_json without its `float_roundtrip` feature may read a float back one ulp off.
    let json: ClusterModel = serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
    let serving = cases(1_000, 3, 1.0);
    let (a, b) = (
        assign(&model, &serving).unwrap(),
        assign(&json, &serving).unwrap(),
    );
    assert_eq!(
        (&a.cluster, &a.novel, &a.counts),
        (&b.cluster, &b.novel, &b.counts)
    );
    let worst = a
        .distance
        .iter()
        .zip(&b.distance)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-12, "{worst}");
}

#[test]
fn auto_k_finds_the_three_protocols_and_describes_them_in_original_units() {
    // Age is not an acquisition parameter: as a pure-noise dimension it blurs the protocols
    // enough that silhouette prefers k = 2.
    let mut p = params(KChoice::Auto { min: 2, max: 6 });
    p.numeric.retain(|f| f != "patient_age_years");
    let model = fit(&cases(3_000, 4, 1.0), &p).unwrap();
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
fn serving_from_the_baseline_distribution_is_about_one_percent_novel() {
    let model = fit(&cases(20_000, 5, 1.0), &params(KChoice::Fixed(3))).unwrap();
    let out = assign(&model, &cases(50_000, 6, 1.0)).unwrap();
    let rate = out.novel_count as f64 / 50_000.0;
    assert!((0.003..=0.02).contains(&rate), "novel rate {rate}");
    assert_eq!(out.counts.iter().sum::<u64>(), 50_000);
    assert_eq!(
        out.novel.iter().filter(|&&v| v).count() as u64,
        out.novel_count
    );
}

#[test]
fn four_times_thicker_slices_make_most_serving_cases_novel() {
    let model = fit(&cases(5_000, 8, 1.0), &params(KChoice::Fixed(3))).unwrap();
    let out = assign(&model, &cases(5_000, 9, 4.0)).unwrap();
    // GE's 0.625 mm becomes 2.5 mm, near Philips' 2 mm: some of those still pass as Philips.
    assert!(out.novel_count > 2_500, "{} novel", out.novel_count);
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
fn missing_numeric_values_take_the_baseline_median_and_are_counted() {
    let kvp = vec![
        Some(100.0),
        None,
        Some(120.0),
        Some(140.0),
        Some(f64::NAN),
        Some(100.0),
    ];
    let mas = vec![
        Some(50.0),
        Some(60.0),
        None,
        Some(80.0),
        Some(90.0),
        Some(55.0),
    ];
    let table = batch(vec![
        ("kvp", optional_floats(kvp)),
        ("exposure_mas", optional_floats(mas)),
    ]);
    let mut p = ClusterParams::new(["kvp", "exposure_mas"], Vec::<String>::new());
    p.k = KChoice::Fixed(2);
    let model = fit(&table, &p).unwrap();
    assert_eq!(model.imputed_cells, 3);
    let kvp_scale = &model.scaler.numeric[0];
    assert_eq!(kvp_scale.median, 110.0);
    assert_eq!(kvp_scale.mean, 115.0);
    assert!(
        (kvp_scale.sd - 275.0f64.sqrt()).abs() < 1e-12,
        "population SD"
    );

    let serving = batch(vec![
        ("kvp", optional_floats(vec![None, Some(110.0)])),
        (
            "exposure_mas",
            optional_floats(vec![Some(60.0), Some(60.0)]),
        ),
    ]);
    let out = assign(&model, &serving).unwrap();
    assert_eq!(out.imputed_cells, 1);
    assert_eq!(
        out.cluster[0], out.cluster[1],
        "an imputed kVp reads as the median"
    );
    assert_eq!(out.distance[0], out.distance[1]);
}

#[test]
fn a_category_switch_counts_as_weight_sds_and_an_unseen_one_as_weight_over_root_two() {
    let kernel = strings(vec!["SOFT", "BONE", "SOFT", "BONE"]);
    let mut p = ClusterParams::new(Vec::<String>::new(), ["convolution_kernel"]);
    p.k = KChoice::Fixed(2);
    p.categorical_weight = 0.8;
    let model = fit(&batch(vec![("convolution_kernel", kernel)]), &p).unwrap();
    let c = &model.centroids;
    let between = c[0]
        .iter()
        .zip(&c[1])
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    assert!((between - 0.8).abs() < 1e-12, "{between}");
    let serving = batch(vec![(
        "convolution_kernel",
        Arc::new(StringArray::from(vec![Some("LUNG"), None])) as ArrayRef,
    )]);
    let out = assign(&model, &serving).unwrap();
    for d in out.distance {
        assert!((d - 0.8 / 2f64.sqrt()).abs() < 1e-12, "{d}");
    }
    assert_eq!(out.novel_count, 2);
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
fn serving_without_a_model_column_is_an_error_not_a_panic() {
    let model = fit(&cases(300, 12, 1.0), &params(KChoice::Fixed(3))).unwrap();
    let serving = batch(vec![("kvp", floats(vec![120.0]))]);
    assert!(matches!(
        assign(&model, &serving),
        Err(ClusterError::UnknownColumn { .. })
    ));
    let mut broken = model.clone();
    broken.centroids.pop();
    assert!(matches!(
        assign(&broken, &cases(5, 13, 1.0)),
        Err(ClusterError::Model(_))
    ));
    let none = assign(&model, &cases(0, 14, 1.0)).unwrap();
    assert_eq!((none.cluster.len(), none.novel_count), (0, 0));
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
fn quantiles_follow_numpy_linear_interpolation() {
    let v = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(quantile_linear(&v, 0.5), 2.5);
    assert!((quantile_linear(&v, 0.99) - 3.97).abs() < 1e-12);
    assert_eq!(quantile_linear(&[5.0], 0.95), 5.0);
    assert_eq!(quantile_linear(&[], 0.95), 0.0);
}

#[test]
#[ignore = "timing; run with --release -- --ignored --nocapture"]
fn timing_fit_100k_and_assign_1m() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
    let make = |n: usize, rng: &mut Xoshiro256PlusPlus| {
        let cols: Vec<(String, ArrayRef)> = (0..10)
            .map(|j| {
                let v: Vec<f64> = (0..n)
                    .map(|_| {
                        f64::from(rng.random_range(0..8u8)) * 3.0 + rng.random::<f64>() + j as f64
                    })
                    .collect();
                (format!("x{j}"), floats(v))
            })
            .collect();
        RecordBatch::try_from_iter(cols).unwrap()
    };
    let baseline = make(100_000, &mut rng);
    let serving = make(1_000_000, &mut rng);
    let mut p = ClusterParams::new((0..10).map(|j| format!("x{j}")), Vec::<String>::new());
    p.k = KChoice::Fixed(8);
    let t = std::time::Instant::now();
    let model = fit(&baseline, &p).unwrap();
    eprintln!("fit 100k × 10, k = 8: {:?}", t.elapsed());
    p.k = KChoice::Auto { min: 2, max: 10 };
    let t = std::time::Instant::now();
    let auto = fit(&baseline, &p).unwrap();
    eprintln!(
        "fit 100k × 10, auto k in 2..=10 (chose {}): {:?}",
        auto.k,
        t.elapsed()
    );
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let out = assign(&model, &serving).unwrap();
        eprintln!(
            "assign 1M × 10, k = 8: {:?} ({} novel)",
            t.elapsed(),
            out.novel_count
        );
    }
}

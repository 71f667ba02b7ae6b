//! Assignment: novelty rates, imputation, category coding, reloaded models, speed.

use super::*;

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
fn serving_from_the_baseline_distribution_is_about_one_percent_novel() {
    let model = fit(&cases(10_000, 5, 1.0), &params(KChoice::Fixed(3))).unwrap();
    let out = assign(&model, &cases(30_000, 6, 1.0)).unwrap();
    let rate = out.novel_count as f64 / 30_000.0;
    eprintln!("novel rate {rate}");
    assert!((0.003..=0.02).contains(&rate), "novel rate {rate}");
    assert_eq!(out.counts.iter().sum::<u64>(), 30_000);
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

//! Behaviour of fit and assign on seeded synthetic case tables; scikit-learn agreement is
//! in `sklearn.rs`.

mod assign;
mod fit;
mod sklearn;

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

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

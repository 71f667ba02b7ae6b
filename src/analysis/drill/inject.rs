//! Nights for a drill: baseline cases resampled with replacement, and a scenario injected
//! into them as a transformation of the case table — what `synth` writes as DICOM, done to
//! the columns a scan would give.

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int8Array, RecordBatch, StringArray, UInt32Array};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::table::cases::access;
use crate::table::schema;

/// The scenarios a drill can inject: `synth`'s, and two the sequential targets name.
pub const SCENARIOS: &[(&str, &str)] = &[
    ("none", "nights resampled from the baseline, nothing changed"),
    (
        "protocol-change",
        "a thick-slice low-dose protocol: 40% of CT at 5 mm, more 100 kVp, half the mAs; sensitivity falls on thick slices",
    ),
    (
        "scanner-upgrade",
        "30% of CT from a new GE Revolution Apex with a deep-learning kernel (STANDARD_DL)",
    ),
    (
        "new-scanner",
        "3% of cases from a scanner model never seen in the baseline",
    ),
    (
        "demographic-shift",
        "older patients (+7 years) and more women (a quarter of men's cases become women's)",
    ),
    (
        "thick-slice-sensitivity",
        "the acquisitions do not change, but the model misses 35% of positives on slices >= 2.5 mm",
    ),
    (
        "label-redefinition",
        "labels follow definition v2, which counts borderline negatives (score 0.3-0.5) as positive",
    ),
    (
        "silent-model-swap",
        "an unapproved model version 2.2.0-rc1 answers, its scores shifted up by 0.15",
    ),
];

/// Checks a scenario name, naming the known ones when it is not.
pub fn check_name(name: &str) -> Result<(), String> {
    if SCENARIOS.iter().any(|(n, _)| *n == name) {
        Ok(())
    } else {
        let names: Vec<&str> = SCENARIOS.iter().map(|(n, _)| *n).collect();
        Err(format!(
            "unknown drill scenario {name:?}; expected one of {}",
            names.join(", ")
        ))
    }
}

/// `cases` rows drawn with replacement from `baseline`, their inference times spread over
/// the night that starts at `start_us`.
pub fn resample(
    baseline: &RecordBatch,
    cases: usize,
    start_us: i64,
    rng: &mut Xoshiro256PlusPlus,
) -> RecordBatch {
    let n = baseline.num_rows() as u32;
    let rows = UInt32Array::from_iter_values((0..cases).map(|_| rng.random_range(0..n)));
    let night = arrow_select::take::take_record_batch(baseline, &rows).expect("rows in range");
    let step = 86_400_000_000 / cases.max(1) as i64;
    let zone = match baseline
        .column_by_name(schema::TIMESTAMP)
        .map(|c| c.data_type().clone())
    {
        Some(arrow_schema::DataType::Timestamp(_, zone)) => zone,
        _ => None,
    };
    let times = arrow_array::TimestampMicrosecondArray::from_iter_values(
        (0..cases as i64).map(|i| start_us + i * step),
    )
    .with_timezone_opt(zone);
    replace(&night, schema::TIMESTAMP, Arc::new(times))
}

/// Injects `scenario` into a night at `strength` (1 = the full effect; a ramp grows it).
pub fn inject(night: RecordBatch, scenario: &str, strength: f64, seed: u64) -> RecordBatch {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut t = Table::of(&night);
    let n = night.num_rows();
    let hit = |rng: &mut Xoshiro256PlusPlus, p: f64| rng.random::<f64>() < p * strength;
    for i in 0..n {
        let ct = t.text["modality"][i].as_deref() == Some("CT");
        match scenario {
            "protocol-change" if ct && hit(&mut rng, 0.40) => {
                t.set_num("slice_thickness", i, Some(5.0));
                t.set_num("spacing_between_slices", i, Some(5.0));
                if rng.random::<f64>() < 0.6 {
                    t.set_num("kvp", i, Some(100.0));
                }
                if let Some(mas) = t.num["exposure_mas"][i] {
                    t.set_num("exposure_mas", i, Some((mas * 0.5).round()));
                }
                miss_positive(&mut t, i, 0.35, &mut rng);
            }
            "scanner-upgrade" if ct && hit(&mut rng, 0.30) => {
                t.set_text("manufacturer", i, "GE MEDICAL SYSTEMS");
                t.set_text("manufacturer_model_name", i, "Revolution Apex");
                t.set_text("convolution_kernel", i, "STANDARD_DL");
            }
            "new-scanner" if hit(&mut rng, 0.03) => {
                t.set_text("manufacturer_model_name", i, "NOVEL SCANNER X1");
            }
            "demographic-shift" => {
                if let Some(age) = t.num["patient_age_years"][i] {
                    t.set_num(
                        "patient_age_years",
                        i,
                        Some((age + 7.0 * strength).min(100.0)),
                    );
                }
                if t.text["patient_sex"][i].as_deref() == Some("M") && hit(&mut rng, 0.25) {
                    t.set_text("patient_sex", i, "F");
                }
            }
            "thick-slice-sensitivity" if t.num["slice_thickness"][i].is_some_and(|s| s >= 2.5) => {
                miss_positive(&mut t, i, 0.35 * strength, &mut rng);
            }
            "label-redefinition" => {
                let borderline = t.num[schema::SCORE][i].is_some_and(|s| (0.3..0.5).contains(&s));
                if t.label[i] == Some(0) && borderline && hit(&mut rng, 1.0) {
                    t.label[i] = Some(1);
                    t.set_text(schema::LABEL_VERSION, i, "v2");
                }
            }
            "silent-model-swap" if hit(&mut rng, 1.0) => {
                t.set_text(schema::MODEL_VERSION, i, "2.2.0-rc1");
                if let Some(s) = t.num[schema::SCORE][i] {
                    t.set_num(schema::SCORE, i, Some((s + 0.15).min(1.0)));
                }
            }
            _ => {}
        }
    }
    t.into_batch(night)
}

/// A positive the model found is missed with probability `p`: its score falls below the
/// operating point and its prediction is negative.
fn miss_positive(t: &mut Table, i: usize, p: f64, rng: &mut Xoshiro256PlusPlus) {
    if t.label[i] == Some(1) && t.prediction[i] == Some(1) && rng.random::<f64>() < p {
        t.prediction[i] = Some(0);
        if let Some(s) = t.num[schema::SCORE][i] {
            t.set_num(schema::SCORE, i, Some(s * 0.4));
        }
    }
}

/// The columns a scenario touches, as vectors.
struct Table {
    num: std::collections::BTreeMap<&'static str, Vec<Option<f64>>>,
    text: std::collections::BTreeMap<&'static str, Vec<Option<String>>>,
    label: Vec<Option<i8>>,
    prediction: Vec<Option<i8>>,
}

const NUMERIC: &[&str] = &[
    "slice_thickness",
    "spacing_between_slices",
    "kvp",
    "exposure_mas",
    "patient_age_years",
    schema::SCORE,
];
const TEXT: &[&str] = &[
    "modality",
    "manufacturer",
    "manufacturer_model_name",
    "convolution_kernel",
    "patient_sex",
    schema::MODEL_VERSION,
    schema::LABEL_VERSION,
];

impl Table {
    fn of(batch: &RecordBatch) -> Table {
        let n = batch.num_rows();
        let int8 = |name: &str| -> Vec<Option<i8>> {
            use arrow_array::Array;
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int8Array>())
                .map_or(vec![None; n], |a| {
                    (0..n).map(|i| a.is_valid(i).then(|| a.value(i))).collect()
                })
        };
        Table {
            num: NUMERIC
                .iter()
                .map(|&c| {
                    (
                        c,
                        access::numeric(batch, c).unwrap_or_else(|| vec![None; n]),
                    )
                })
                .collect(),
            text: TEXT
                .iter()
                .map(|&c| (c, access::text(batch, c).unwrap_or_else(|| vec![None; n])))
                .collect(),
            label: int8(schema::LABEL),
            prediction: int8(schema::PREDICTION),
        }
    }

    fn set_num(&mut self, column: &'static str, i: usize, value: Option<f64>) {
        if let Some(col) = self.num.get_mut(column) {
            col[i] = value;
        }
    }

    fn set_text(&mut self, column: &'static str, i: usize, value: &str) {
        if let Some(col) = self.text.get_mut(column) {
            col[i] = Some(value.to_string());
        }
    }

    /// The night with the touched columns put back (only those it has).
    fn into_batch(self, mut night: RecordBatch) -> RecordBatch {
        for (name, values) in self.num {
            if night.column_by_name(name).is_some() {
                night = replace(&night, name, Arc::new(Float64Array::from(values)));
            }
        }
        for (name, values) in self.text {
            if night.column_by_name(name).is_some() {
                night = replace(&night, name, Arc::new(StringArray::from(values)));
            }
        }
        for (name, values) in [
            (schema::LABEL, self.label),
            (schema::PREDICTION, self.prediction),
        ] {
            if night.column_by_name(name).is_some() {
                night = replace(&night, name, Arc::new(Int8Array::from(values)));
            }
        }
        night
    }
}

/// `batch` with column `name` replaced by `array` (same type).
fn replace(batch: &RecordBatch, name: &str, array: ArrayRef) -> RecordBatch {
    let index = batch.schema().index_of(name).expect("column present");
    // The column may change type (dictionary-coded text comes back as plain text).
    let mut fields: Vec<arrow_schema::Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    fields[index] = fields[index]
        .clone()
        .with_data_type(array.data_type().clone());
    let mut columns = batch.columns().to_vec();
    columns[index] = array;
    RecordBatch::try_new(Arc::new(arrow_schema::Schema::new(fields)), columns)
        .expect("same columns")
}

//! What to do about a finding, in the words of post-market surveillance: confirm changes
//! with the radiology team, check performance on the affected group, acquire labelled
//! cases for under-represented groups, consider recalibration or retraining.

/// Acquisition parameters: a change here is a protocol or scanner change.
const ACQUISITION: &[&str] = &[
    "modality",
    "manufacturer",
    "manufacturer_model_name",
    "software_versions",
    "station_name",
    "body_part_examined",
    "convolution_kernel",
    "slice_thickness",
    "spacing_between_slices",
    "pixel_spacing_row",
    "pixel_spacing_col",
    "rows",
    "columns",
    "kvp",
    "exposure_mas",
    "contrast_agent",
    "magnetic_field_strength",
    "repetition_time",
    "echo_time",
    "transfer_syntax_uid",
];

const DEMOGRAPHIC: &[&str] = &["patient_age_years", "patient_sex"];

fn scope(subgroup: Option<&str>) -> String {
    subgroup.map_or_else(String::new, |g| format!(" for {g}"))
}

pub fn feature(name: &str, subgroup: Option<&str>) -> String {
    let scope = scope(subgroup);
    if name == "score" || name == "prediction" {
        format!(
            "The model's output changed{scope}: review recent labelled cases for calibration and performance; consider recalibration or retraining if performance fell."
        )
    } else if DEMOGRAPHIC.contains(&name) {
        format!(
            "The patient mix changed{scope}: check model performance for the groups that grew; acquire labelled cases for under-represented groups before retraining."
        )
    } else if ACQUISITION.contains(&name) {
        format!(
            "Confirm with the radiology team whether a protocol, scanner or software changed{scope}; check model performance on the affected cases before relying on its results."
        )
    } else {
        format!("Investigate the change in {name}{scope} with the data owners; check model performance on the affected cases.")
    }
}

pub fn new_category(feature: &str, value: &str) -> String {
    format!(
        "{feature} {value:?} was never seen in validation: confirm with the radiology team what changed, and validate the model on these cases (acquire labelled examples) before relying on it there."
    )
}

pub fn missingness(feature: &str) -> String {
    format!(
        "{feature} is missing more or less often: check the export, anonymisation or scanner configuration that fills it."
    )
}

pub fn composition(subject: &str) -> String {
    format!(
        "The mix of {subject} changed: check per-subgroup performance for the groups that grew, and acquire labelled cases for any that are under-represented in validation."
    )
}

pub fn insufficient(subgroup: &str) -> String {
    format!(
        "Too few cases to judge {subgroup}: widen the window or lower min_n deliberately; do not read silence as safety."
    )
}

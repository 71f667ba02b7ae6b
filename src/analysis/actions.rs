//! What to do about a finding, in the words of post-market surveillance: confirm changes
//! with the radiology team, check performance on the affected group, acquire labelled
//! cases for under-represented groups, consider recalibration or retraining.

use crate::table::columns::{HeaderColumn, Role};

fn scope(subgroup: Option<&str>) -> String {
    subgroup.map_or_else(String::new, |g| format!(" for {g}"))
}

pub fn feature(name: &str, subgroup: Option<&str>) -> String {
    let scope = scope(subgroup);
    let role = HeaderColumn::from_name(name).map(HeaderColumn::role);
    if name == "score" || name == "prediction" {
        format!(
            "The model's output changed{scope}: review recent labelled cases for calibration and performance; consider recalibration or retraining if performance fell."
        )
    } else if role == Some(Role::Demographic) {
        format!(
            "The patient mix changed{scope}: check model performance for the groups that grew; acquire labelled cases for under-represented groups before retraining."
        )
    } else if role == Some(Role::Acquisition) {
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

#[cfg(test)]
mod tests {
    use super::feature;

    #[test]
    fn the_action_follows_the_column_role() {
        assert!(feature("kvp", None).contains("radiology team"));
        assert!(feature("transfer_syntax_uid", Some("sex = F")).contains("for sex = F"));
        assert!(feature("patient_sex", None).contains("patient mix"));
        assert!(feature("score", None).contains("model's output"));
        assert!(feature("protocol_name", None).starts_with("Investigate"));
        assert!(feature("study_date", None).starts_with("Investigate"));
    }
}

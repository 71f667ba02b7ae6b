//! `unit:` (what one case is) and `subgroups:` (slices compared on their own).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Study,
    #[default]
    Series,
    Instance,
}

/// A subgroup definition: an explicit condition, or a split by one feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subgroup {
    /// Name shown in reports (defaults to the expression or `by` column).
    #[serde(default)]
    pub name: Option<String>,
    /// A condition over case columns, e.g. `slice_thickness >= 3`.
    #[serde(default, rename = "where")]
    pub condition: Option<String>,
    /// Split by this feature: one subgroup per category, or per band for numeric ones.
    #[serde(default)]
    pub by: Option<String>,
    /// Band edges for a numeric `by`, e.g. `[18, 40, 65]` gives <18, 18–40, 40–65, ≥65.
    #[serde(default)]
    pub bins: Option<Vec<f64>>,
}

/// Subgroups used when the config names none: the seed's sex, age and slice thickness,
/// plus scanner manufacturer.
pub fn default_subgroups() -> Vec<Subgroup> {
    let by = |column: &str, bins: Option<Vec<f64>>| Subgroup {
        name: None,
        condition: None,
        by: Some(column.to_string()),
        bins,
    };
    vec![
        by("patient_sex", None),
        by("patient_age_years", Some(vec![18.0, 40.0, 65.0])),
        by("manufacturer", None),
        Subgroup {
            name: Some("thick-slices".into()),
            condition: Some("slice_thickness >= 2.5".into()),
            by: None,
            bins: None,
        },
    ]
}

/// Each subgroup has exactly one of `where` or `by`; `bins` only with `by`, increasing.
pub(super) fn validate(subgroups: &[Subgroup]) -> Result<(), String> {
    for (i, g) in subgroups.iter().enumerate() {
        if g.condition.is_some() == g.by.is_some() {
            return Err(format!(
                "subgroups[{i}]: give exactly one of `where` or `by`"
            ));
        }
        if g.bins.is_some() && g.by.is_none() {
            return Err(format!("subgroups[{i}].bins: only with `by`"));
        }
        if let Some(bins) = &g.bins {
            if bins.is_empty()
                || bins.windows(2).any(|w| w[0] >= w[1])
                || bins.iter().any(|b| !b.is_finite())
            {
                return Err(format!(
                    "subgroups[{i}].bins: expected increasing finite numbers, got {bins:?}"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    fn err(yaml: &str) -> String {
        Config::parse(yaml).unwrap_err()
    }

    #[test]
    fn exactly_one_of_where_or_by() {
        let e = err("subgroups:\n  - {name: x}\n");
        assert!(e.contains("subgroups[0]: give exactly one"), "{e}");
        let e = err("subgroups:\n  - {by: kvp}\n  - {where: 'kvp > 1', by: kvp}\n");
        assert!(e.contains("subgroups[1]: give exactly one"), "{e}");
    }

    #[test]
    fn bins_only_with_by_and_increasing() {
        let e = err("subgroups:\n  - {where: 'kvp > 1', bins: [1, 2]}\n");
        assert!(e.contains("subgroups[0].bins: only with `by`"), "{e}");
        for bins in ["[]", "[2, 1]", "[1, 1]", "[1, .inf]"] {
            let e = err(&format!("subgroups:\n  - {{by: kvp, bins: {bins}}}\n"));
            assert!(e.contains("subgroups[0].bins: expected increasing"), "{e}");
        }
        let ok =
            Config::parse("unit: study\nsubgroups:\n  - {by: kvp, bins: [100, 120]}\n").unwrap();
        assert_eq!(ok.subgroups().len(), 1);
        assert_eq!(ok.unit, super::Unit::Study);
    }
}

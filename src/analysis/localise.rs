//! Localisation: a change seen over all cases is reported under the subgroup that explains
//! it, when there is one.
//!
//! The rule is deliberately simple (docs/statistics.md, "Localisation"): for a finding over
//! all cases, look at the same check (kind and subject) inside the subgroups of each split
//! (sex, age bands, manufacturer, slice thickness…). A subgroup *explains* the finding when
//! it is the only subgroup of its split where the check is a finding, and at least one other
//! subgroup of that split was compared and showed nothing (pass or info) — the change
//! vanishes outside it. "Sensitivity fell overall, in thick slices and not in thin ones" is
//! then reported as "sensitivity fell on thick slices". Where several splits each have such
//! a subgroup (every thick-slice series is from one vendor), the one with the larger effect
//! relative to its threshold is named. A change found in every subgroup of a split is
//! site-wide, and nothing is localised.

use super::findings::{Check, Severity};

/// Marks each finding over all cases with the subgroup that explains it (`explained_by`).
/// `splits` lists, for each subgroup split, the labels of its subgroups.
pub fn localise(checks: &mut [Check], splits: &[Vec<String>]) {
    let mut marks: Vec<(usize, String)> = Vec::new();
    for (i, overall) in checks.iter().enumerate() {
        if overall.subgroup.is_some() || !overall.is_finding() {
            continue;
        }
        let mut best: Option<(&Check, f64)> = None;
        for split in splits {
            let same: Vec<&Check> = checks
                .iter()
                .filter(|c| {
                    c.kind == overall.kind
                        && c.subject == overall.subject
                        && c.severity != Severity::Insufficient
                        && c.subgroup.as_ref().is_some_and(|g| split.contains(g))
                })
                .collect();
            let found: Vec<&&Check> = same.iter().filter(|c| c.is_finding()).collect();
            if found.len() == 1 && same.len() >= 2 {
                let ratio = found[0].effect_ratio();
                if best.is_none_or(|(_, r)| ratio > r) {
                    best = Some((found[0], ratio));
                }
            }
        }
        if let Some((c, _)) = best {
            marks.push((i, c.subgroup.clone().unwrap_or_default()));
        }
    }
    for (i, group) in marks {
        checks[i].explained_by = Some(group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::findings::Kind;

    fn check(subgroup: Option<&str>, severity: Severity, effect: f64) -> Check {
        Check {
            subgroup: subgroup.map(str::to_string),
            severity,
            effect: Some(effect),
            threshold: 0.1,
            ..Check::new(Kind::Performance, "sensitivity", "non-inferiority")
        }
    }

    fn splits() -> Vec<Vec<String>> {
        vec![
            vec!["thin".into(), "thick".into()],
            vec!["GE".into(), "Siemens".into(), "Canon".into()],
        ]
    }

    #[test]
    fn a_change_found_in_one_subgroup_only_is_explained_by_it() {
        let mut checks = vec![
            check(None, Severity::Alert, 0.3),
            check(Some("thin"), Severity::Pass, 0.0),
            check(Some("thick"), Severity::Alert, 0.5),
            check(Some("GE"), Severity::Alert, 0.4),
            check(Some("Siemens"), Severity::Alert, 0.4),
            check(Some("Canon"), Severity::Insufficient, 0.0),
        ];
        localise(&mut checks, &splits());
        assert_eq!(checks[0].explained_by.as_deref(), Some("thick"));
        assert!(
            checks[2].explained_by.is_none(),
            "only overall checks are marked"
        );
    }

    #[test]
    fn a_site_wide_change_is_not_localised() {
        let mut checks = vec![
            check(None, Severity::Alert, 0.3),
            check(Some("thin"), Severity::Alert, 0.3),
            check(Some("thick"), Severity::Alert, 0.3),
        ];
        localise(&mut checks, &splits());
        assert!(checks[0].explained_by.is_none());
    }

    #[test]
    fn a_subgroup_with_no_compared_complement_explains_nothing() {
        let mut checks = vec![
            check(None, Severity::Alert, 0.3),
            check(Some("thick"), Severity::Alert, 0.3),
            check(Some("thin"), Severity::Insufficient, 0.0),
        ];
        localise(&mut checks, &splits());
        assert!(checks[0].explained_by.is_none());
    }
}

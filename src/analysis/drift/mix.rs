//! Mix checks: the share of cases in each subgroup, baseline against serving.

use super::build::{categorical_check, overall_counts};
use super::prepare::{first_seen, Column, Prepared};
use super::twins::one_to_one;
use crate::analysis::actions;
use crate::analysis::findings::{Check, Kind};
use crate::analysis::subgroups::{Resolved, UNPLACED};
use crate::config::DriftConfig;

/// The composition check of each subgroup partition: has the mix of subgroups changed?
/// Skipped for a split by a categorical feature that is tested already (the same
/// chi-square as that feature's overall check).
pub(super) fn checks(
    columns: &[Column],
    tested: &[usize],
    subgroups: &Resolved,
    config: &DriftConfig,
) -> Vec<Check> {
    let mut out = Vec::new();
    for partition in &subgroups.partitions {
        // A split by a categorical feature is that feature's own distribution: its mix is
        // the same chi-square as the feature's overall check, already in the run. (Matched
        // by name as well as by codes: another feature that happens to correspond keeps
        // the mix, with its own wording and action.)
        let placed = |codes: &[u32]| codes.iter().any(|&c| c != UNPLACED);
        let own_feature = (placed(&partition.baseline) || placed(&partition.serving))
            && tested.iter().any(|&c| {
                let Prepared::Categorical {
                    baseline,
                    serving,
                    names,
                } = &columns[c].prepared
                else {
                    return false;
                };
                !columns[c].output
                    && columns[c].name == partition.subject
                    && one_to_one(
                        &[
                            (&partition.baseline, baseline),
                            (&partition.serving, serving),
                        ],
                        partition.names.len(),
                        names.len(),
                    )
            });
        if own_feature {
            continue;
        }
        let column = Column {
            name: partition.subject.clone(),
            prepared: first_seen(partition),
            rows: (
                partition.baseline.len() as u64,
                partition.serving.len() as u64,
            ),
            missing: (0, 0),
            output: false,
        };
        let (cb, cs) = overall_counts(&column);
        if let Some(mut check) = categorical_check(&column, cb, cs, None, config) {
            check.kind = Kind::Composition;
            check.subject = format!("mix: {}", partition.subject);
            check.action = actions::composition(&partition.subject);
            if let Some(summary) = inside_share(&column) {
                check.summary = summary;
            }
            out.push(check);
        }
    }
    out
}

/// For a `where` subgroup's in/out partition, the summary speaks of the share inside.
fn inside_share(column: &Column) -> Option<String> {
    let Prepared::Categorical { names, .. } = &column.prepared else {
        return None;
    };
    let inside = names.iter().position(|n| n == "in")?;
    let (cb, cs) = overall_counts(column);
    let share = |counts: &[f64], rows: u64| 100.0 * counts[inside] / rows.max(1) as f64;
    Some(format!(
        "share of cases in {}: {:.1}% → {:.1}%",
        column.name,
        share(&cb, column.rows.0),
        share(&cs, column.rows.1)
    ))
}

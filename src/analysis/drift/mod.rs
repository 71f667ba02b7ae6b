//! The drift engine: every feature, the model's output, and the subgroup mix, compared
//! between the baseline and the serving case tables, overall and inside each subgroup.
//!
//! Each feature column is prepared once per side (numeric values sorted once, categories
//! coded once); a subgroup's sorted sample is then a filter of the sorted order, so the
//! cost is one sort per feature plus linear work per subgroup. Checks run in parallel and
//! come back in a fixed order.

mod build;
pub mod categorical;
mod counts;
mod entry;
mod mix;
pub mod numeric;
mod prepare;
mod schedule;
mod shape;
pub mod shown;
#[cfg(test)]
mod tests;
mod twins;

pub use counts::from_profile;
pub use entry::{method, needs, run, subgroups_of};

use arrow_array::{Array, RecordBatch};

use std::borrow::Cow;

use super::changes::{Carriers, Serving};
use super::findings::{decide, Check};
use super::localise::localise;
use super::subgroups::Resolved;
use crate::config::DriftConfig;
use crate::table::cases::Feature;
use prepare::Prepared;

/// Runs every check and decides severities (BH across all of them).
///
/// `serving` is taken by value: each of its columns is freed as soon as it is prepared (a
/// million cases' category strings are a quarter of the run's memory). Pass a clone —
/// cheap, the columns are shared — to keep using the table.
pub fn checks(
    baseline: &RecordBatch,
    serving: RecordBatch,
    features: &[Feature],
    subgroups: &Resolved,
    config: &DriftConfig,
) -> Vec<Check> {
    checks_with_carriers(baseline, serving, features, subgroups, config).0
}

/// [`checks`], and which serving cases carry each overall check's shift ([`Carriers`]),
/// read off the prepared columns (the serving table itself is not kept for them).
pub fn checks_with_carriers(
    baseline: &RecordBatch,
    serving: RecordBatch,
    features: &[Feature],
    subgroups: &Resolved,
    config: &DriftConfig,
) -> (Vec<Check>, Carriers) {
    let n = serving.num_rows();
    let mut columns = prepare::columns(baseline, serving, features);
    let twin_of = twins::twins(&columns);
    let tested: Vec<usize> = (0..columns.len())
        .filter(|&c| twin_of[c].is_none())
        .collect();
    for (column, twin) in columns.iter_mut().zip(&twin_of) {
        if twin.is_some() {
            column.release();
        }
    }
    let mut checks = schedule::run(&columns, &twin_of, &tested, subgroups, config);
    checks.extend(mix::checks(&columns, &tested, subgroups, config));
    decide(&mut checks, config.fdr);
    localise(&mut checks, &subgroups.splits());
    let carriers = Carriers::of_columns(n, &checks, None, |name| {
        let column = columns.iter().find(|c| c.name == name)?;
        Some(match &column.prepared {
            Prepared::Numeric { serving, .. } => Serving::Ordered {
                values: &serving.values,
                order: &serving.order,
                runs: serving.runs.as_deref(),
            },
            Prepared::Categorical { serving, names, .. } => Serving::Coded {
                codes: Cow::Borrowed(serving),
                names: Cow::Borrowed(names),
            },
        })
    });
    (checks, carriers)
}

/// Splits `features` into those with a value in at least one row of either table, and the
/// names of those with none on either side (an MR tag at a CT-only site). An absent feature
/// has nothing to test: it is named once in the report's method and changes no status.
pub fn present_features(
    baseline: &RecordBatch,
    serving: &RecordBatch,
    features: &[Feature],
) -> (Vec<Feature>, Vec<String>) {
    let has_value = |table: &RecordBatch, name: &str| {
        table
            .column_by_name(name)
            .is_some_and(|c| c.null_count() < c.len())
    };
    let (present, absent): (Vec<&Feature>, Vec<&Feature>) = features
        .iter()
        .partition(|f| has_value(baseline, &f.name) || has_value(serving, &f.name));
    (
        present.into_iter().cloned().collect(),
        absent.into_iter().map(|f| f.name.clone()).collect(),
    )
}

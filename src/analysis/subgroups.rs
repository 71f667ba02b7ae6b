//! Subgroups from the config, resolved into row masks over a baseline and a serving case
//! table: explicit conditions (`where`) and splits (`by` a feature, numeric ones in bands).
//!
//! Each definition also yields a partition (every case's label under it) for the
//! composition test — "is the serving mix of age bands different?" — and, when the config
//! has several `by` splits, their cross product does too (sex × age band).

use std::collections::BTreeSet;

use arrow_array::{Array, RecordBatch};

use super::expr::Expr;
use crate::config::Subgroup;
use crate::table::cases::access;

/// Short names users may write in conditions.
pub const ALIASES: &[(&str, &str)] = &[
    ("age", "patient_age_years"),
    ("sex", "patient_sex"),
    ("thickness", "slice_thickness"),
    ("kernel", "convolution_kernel"),
    ("scanner", "manufacturer_model_name"),
];

/// One subgroup: which baseline and serving cases belong to it.
pub struct Group {
    pub label: String,
    pub baseline: Vec<bool>,
    pub serving: Vec<bool>,
}

/// Every case's label under one definition (None: cannot be placed, e.g. missing age).
pub struct Partition {
    pub subject: String,
    pub baseline: Vec<Option<String>>,
    pub serving: Vec<Option<String>>,
}

pub struct Resolved {
    pub groups: Vec<Group>,
    pub partitions: Vec<Partition>,
}

/// Resolves `defs` against both tables; errors name the definition at fault.
pub fn resolve(
    defs: &[Subgroup],
    baseline: &RecordBatch,
    serving: &RecordBatch,
) -> Result<Resolved, String> {
    let mut groups = Vec::new();
    let mut partitions = Vec::new();
    let mut splits = Vec::new();
    for (i, def) in defs.iter().enumerate() {
        let partition = if let Some(condition) = &def.condition {
            let name = def.name.clone().unwrap_or_else(|| condition.clone());
            let mask = |batch: &RecordBatch| -> Result<Vec<bool>, String> {
                let expr =
                    Expr::parse(condition).map_err(|e| format!("subgroups[{i}] ({name}): {e}"))?;
                let bound = expr
                    .bind(&batch.schema(), ALIASES)
                    .map_err(|e| format!("subgroups[{i}] ({name}): {e}"))?;
                let values = bound
                    .evaluate(batch)
                    .map_err(|e| format!("subgroups[{i}] ({name}): {e}"))?;
                Ok((0..values.len())
                    .map(|r| values.is_valid(r) && values.value(r))
                    .collect())
            };
            let (b, s) = (mask(baseline)?, mask(serving)?);
            let labels = |m: &[bool]| -> Vec<Option<String>> {
                m.iter()
                    .map(|&inside| Some(if inside { "in" } else { "out" }.to_string()))
                    .collect()
            };
            let partition = Partition {
                subject: name.clone(),
                baseline: labels(&b),
                serving: labels(&s),
            };
            groups.push(Group {
                label: name,
                baseline: b,
                serving: s,
            });
            partition
        } else {
            let column = def.by.as_deref().expect("config validated where/by");
            let column = ALIASES
                .iter()
                .find(|(alias, _)| *alias == column)
                .map_or(column, |(_, real)| real);
            let split = |batch: &RecordBatch| split_labels(batch, column, def.bins.as_deref());
            let partition = Partition {
                subject: def.name.clone().unwrap_or_else(|| column.to_string()),
                baseline: split(baseline).map_err(|e| format!("subgroups[{i}]: {e}"))?,
                serving: split(serving).map_err(|e| format!("subgroups[{i}]: {e}"))?,
            };
            let labels: BTreeSet<&String> = partition
                .baseline
                .iter()
                .chain(&partition.serving)
                .flatten()
                .collect();
            for label in labels {
                let member =
                    |v: &[Option<String>]| v.iter().map(|l| l.as_ref() == Some(label)).collect();
                groups.push(Group {
                    label: format!("{} {}", partition.subject, display_label(def, label)),
                    baseline: member(&partition.baseline),
                    serving: member(&partition.serving),
                });
            }
            splits.push(partitions.len());
            partition
        };
        partitions.push(partition);
    }
    if splits.len() >= 2 {
        let cross = |side: fn(&Partition) -> &Vec<Option<String>>| -> Vec<Option<String>> {
            let n = side(&partitions[splits[0]]).len();
            (0..n)
                .map(|r| {
                    splits
                        .iter()
                        .map(|&p| side(&partitions[p])[r].clone())
                        .collect::<Option<Vec<String>>>()
                        .map(|parts| parts.join(" × "))
                })
                .collect()
        };
        let subject = splits
            .iter()
            .map(|&p| partitions[p].subject.clone())
            .collect::<Vec<_>>()
            .join(" × ");
        let partition = Partition {
            subject,
            baseline: cross(|p| &p.baseline),
            serving: cross(|p| &p.serving),
        };
        partitions.push(partition);
    }
    Ok(Resolved { groups, partitions })
}

fn display_label(def: &Subgroup, label: &str) -> String {
    if def.bins.is_some() {
        label.to_string()
    } else {
        format!("= {label}")
    }
}

/// Labels for a `by` split: the category, or the numeric band.
fn split_labels(
    batch: &RecordBatch,
    column: &str,
    bins: Option<&[f64]>,
) -> Result<Vec<Option<String>>, String> {
    if batch.column_by_name(column).is_none() {
        return Err(format!("no case column {column:?} to split by"));
    }
    match bins {
        None => Ok(access::text(batch, column).expect("column exists")),
        Some(edges) => {
            let values = access::numeric(batch, column)
                .ok_or_else(|| format!("column {column:?} is not numeric; `bins` needs numbers"))?;
            // One label per band, formatted once (not per row).
            let names: Vec<String> = std::iter::once(f64::NEG_INFINITY)
                .chain(edges.iter().copied())
                .map(|lower| band_label(lower, edges))
                .collect();
            Ok(values
                .into_iter()
                .map(|v| v.map(|v| names[edges.partition_point(|&e| e <= v)].clone()))
                .collect())
        }
    }
}

/// The band of `v` among `edges` (lower edge inclusive): `<18`, `18–40`, `≥65`.
pub fn band_label(v: f64, edges: &[f64]) -> String {
    let i = edges.partition_point(|&e| e <= v);
    let fmt = |x: f64| {
        if x.fract() == 0.0 {
            format!("{x:.0}")
        } else {
            format!("{x}")
        }
    };
    if i == 0 {
        format!("<{}", fmt(edges[0]))
    } else if i == edges.len() {
        format!("≥{}", fmt(edges[i - 1]))
    } else {
        format!("{}–{}", fmt(edges[i - 1]), fmt(edges[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_include_their_lower_edge() {
        let edges = [18.0, 40.0, 65.0];
        assert_eq!(band_label(17.9, &edges), "<18");
        assert_eq!(band_label(18.0, &edges), "18–40");
        assert_eq!(band_label(64.99, &edges), "40–65");
        assert_eq!(band_label(65.0, &edges), "≥65");
    }
}

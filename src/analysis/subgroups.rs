//! Subgroups from the config, resolved into row masks over a baseline and a serving case
//! table: explicit conditions (`where`) and splits (`by` a feature, numeric ones in bands).
//!
//! Each definition also yields a partition (every case's label under it) for the
//! composition test — "is the serving mix of age bands different?" — and, when the config
//! has several `by` splits, their cross product does too (sex × age band).

use std::collections::HashMap;

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

/// A case that a definition cannot place (e.g. missing age).
pub const UNPLACED: u32 = u32::MAX;

/// One subgroup: which baseline and serving cases belong to it, and where it sits in its
/// partition (the cases of `partitions[partition]` whose code is `code`).
pub struct Group {
    pub label: String,
    pub baseline: Vec<bool>,
    pub serving: Vec<bool>,
    pub partition: usize,
    pub code: u32,
}

/// Every case's place under one definition, as a code into `names` ([`UNPLACED`]: none).
pub struct Partition {
    pub subject: String,
    pub names: Vec<String>,
    pub baseline: Vec<u32>,
    pub serving: Vec<u32>,
}

pub struct Resolved {
    pub groups: Vec<Group>,
    pub partitions: Vec<Partition>,
}

impl Resolved {
    /// For each partition, the labels of its subgroups (for [`super::localise`]).
    pub fn splits(&self) -> Vec<Vec<String>> {
        let splits = self
            .groups
            .iter()
            .map(|g| g.partition + 1)
            .max()
            .unwrap_or(0);
        let mut out = vec![Vec::new(); splits];
        for g in &self.groups {
            out[g.partition].push(g.label.clone());
        }
        out
    }
}

impl Partition {
    /// The codes that occur on either side, ascending.
    fn present(&self) -> Vec<u32> {
        let mut seen = vec![false; self.names.len()];
        for &c in self.baseline.iter().chain(&self.serving) {
            if c != UNPLACED {
                seen[c as usize] = true;
            }
        }
        (0..self.names.len() as u32)
            .filter(|&c| seen[c as usize])
            .collect()
    }
}

/// Every case column the definitions name, as written and with aliases resolved; `None`
/// when a condition does not parse (then [`resolve`] reports it, on a whole case table).
pub fn columns(defs: &[Subgroup]) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for def in defs {
        let written = match (&def.condition, &def.by) {
            (Some(condition), _) => Expr::parse(condition).ok()?.columns(),
            (None, Some(by)) => vec![by.clone()],
            (None, None) => Vec::new(),
        };
        for name in written {
            if let Some((_, real)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
                names.push(real.to_string());
            }
            names.push(name);
        }
    }
    names.sort();
    names.dedup();
    Some(names)
}

/// Resolves `defs` against both tables; errors name the definition at fault.
pub fn resolve(
    defs: &[Subgroup],
    baseline: &RecordBatch,
    serving: &RecordBatch,
) -> Result<Resolved, String> {
    let mut groups = Vec::new();
    let mut partitions: Vec<Partition> = Vec::new();
    let mut splits = Vec::new();
    for (i, def) in defs.iter().enumerate() {
        let p = partitions.len();
        if let Some(condition) = &def.condition {
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
            let codes =
                |m: &[bool]| -> Vec<u32> { m.iter().map(|&inside| u32::from(!inside)).collect() };
            partitions.push(Partition {
                subject: name.clone(),
                names: vec!["in".into(), "out".into()],
                baseline: codes(&b),
                serving: codes(&s),
            });
            groups.push(Group {
                label: name,
                baseline: b,
                serving: s,
                partition: p,
                code: 0,
            });
        } else {
            let column = def.by.as_deref().expect("config validated where/by");
            let column = ALIASES
                .iter()
                .find(|(alias, _)| *alias == column)
                .map_or(column, |(_, real)| real);
            let partition = split(
                def.name.clone().unwrap_or_else(|| column.to_string()),
                baseline,
                serving,
                column,
                def.bins.as_deref(),
            )
            .map_err(|e| format!("subgroups[{i}]: {e}"))?;
            for code in partition.present() {
                let member = |v: &[u32]| v.iter().map(|&c| c == code).collect();
                groups.push(Group {
                    label: format!(
                        "{} {}",
                        partition.subject,
                        display_label(def, &partition.names[code as usize])
                    ),
                    baseline: member(&partition.baseline),
                    serving: member(&partition.serving),
                    partition: p,
                    code,
                });
            }
            splits.push(p);
            partitions.push(partition);
        }
    }
    if splits.len() >= 2 {
        let parts: Vec<&Partition> = splits.iter().map(|&p| &partitions[p]).collect();
        partitions.push(cross(&parts));
    }
    Ok(Resolved { groups, partitions })
}

/// The cross product of several splits (sex × age band): a case is placed when every split
/// places it; only combinations that occur get a code, in order of first appearance.
fn cross(parts: &[&Partition]) -> Partition {
    let mut product = pair(parts[0], parts[1]);
    for part in &parts[2..] {
        product = pair(&product, part);
    }
    product
}

/// The cross product of two partitions. Codes are compacted at each step, so the key
/// `a · (|b| + 1) + b` always fits in 64 bits however many splits there are.
fn pair(a: &Partition, b: &Partition) -> Partition {
    let mut index: HashMap<u64, u32> = HashMap::new();
    let mut names = Vec::new();
    let radix = b.names.len() as u64 + 1;
    let mut code = |x: u32, y: u32| -> u32 {
        if x == UNPLACED || y == UNPLACED {
            return UNPLACED;
        }
        *index
            .entry(u64::from(x) * radix + u64::from(y))
            .or_insert_with(|| {
                names.push(format!("{} × {}", a.names[x as usize], b.names[y as usize]));
                (names.len() - 1) as u32
            })
    };
    let mut combine = |xs: &[u32], ys: &[u32]| -> Vec<u32> {
        xs.iter().zip(ys).map(|(&x, &y)| code(x, y)).collect()
    };
    let baseline = combine(&a.baseline, &b.baseline);
    let serving = combine(&a.serving, &b.serving);
    Partition {
        subject: format!("{} × {}", a.subject, b.subject),
        names,
        baseline,
        serving,
    }
}

fn display_label(def: &Subgroup, label: &str) -> String {
    if def.bins.is_some() {
        label.to_string()
    } else {
        format!("= {label}")
    }
}

/// A `by` split of both tables: categories in sorted order, or numeric bands in order.
fn split(
    subject: String,
    baseline: &RecordBatch,
    serving: &RecordBatch,
    column: &str,
    bins: Option<&[f64]>,
) -> Result<Partition, String> {
    for batch in [baseline, serving] {
        if batch.column_by_name(column).is_none() {
            return Err(format!("no case column {column:?} to split by"));
        }
    }
    match bins {
        None => {
            // Each side's values as codes (a dictionary column's own keys: no string per
            // row), then one code per name that occurs, in order of first appearance.
            let text = |batch: &RecordBatch| {
                access::codes(batch, column).ok_or_else(|| {
                    let array = batch.column_by_name(column).expect("checked above");
                    match crate::table::cast::to_utf8(array) {
                        Err(e) => format!("column {column:?}: {e}"),
                        Ok(_) => format!("column {column:?}: expected text"),
                    }
                })
            };
            let (tb, ts) = (text(baseline)?, text(serving)?);
            let mut index: HashMap<&str, u32> = HashMap::new();
            let mut coded = [
                Vec::with_capacity(tb.0.len()),
                Vec::with_capacity(ts.0.len()),
            ];
            for (side, (codes, names)) in [&tb, &ts].into_iter().enumerate() {
                const UNSEEN: u32 = UNPLACED - 1;
                let mut remap = vec![UNSEEN; names.len()];
                for code in codes {
                    coded[side].push(code.map_or(UNPLACED, |c| {
                        let c = c as usize;
                        if remap[c] == UNSEEN {
                            let next = index.len() as u32;
                            remap[c] = *index.entry(names[c].as_str()).or_insert(next);
                        }
                        remap[c]
                    }));
                }
            }
            let [b, s] = coded;
            // Codes in sorted order of the category names.
            let mut sorted: Vec<(&str, u32)> = index.into_iter().collect();
            sorted.sort_unstable();
            let mut remap = vec![0u32; sorted.len()];
            for (new, (_, old)) in sorted.iter().enumerate() {
                remap[*old as usize] = new as u32;
            }
            let recode = |v: Vec<u32>| -> Vec<u32> {
                v.into_iter()
                    .map(|c| if c == UNPLACED { c } else { remap[c as usize] })
                    .collect()
            };
            Ok(Partition {
                subject,
                names: sorted.iter().map(|(n, _)| n.to_string()).collect(),
                baseline: recode(b),
                serving: recode(s),
            })
        }
        Some(edges) => {
            let band = |batch: &RecordBatch| -> Result<Vec<u32>, String> {
                let values = access::numeric(batch, column).ok_or_else(|| {
                    format!("column {column:?} is not numeric; `bins` needs numbers")
                })?;
                Ok(values
                    .into_iter()
                    .map(|v| v.map_or(UNPLACED, |v| edges.partition_point(|&e| e <= v) as u32))
                    .collect())
            };
            Ok(Partition {
                subject,
                // One label per band, formatted once (not per row).
                names: std::iter::once(f64::NEG_INFINITY)
                    .chain(edges.iter().copied())
                    .map(|lower| band_label(lower, edges))
                    .collect(),
                baseline: band(baseline)?,
                serving: band(serving)?,
            })
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

    fn table(ages: &[Option<f64>], sexes: &[Option<&str>]) -> RecordBatch {
        RecordBatch::try_from_iter(vec![
            (
                "patient_age_years",
                std::sync::Arc::new(arrow_array::Float64Array::from(ages.to_vec()))
                    as arrow_array::ArrayRef,
            ),
            (
                "patient_sex",
                std::sync::Arc::new(arrow_array::StringArray::from(sexes.to_vec())) as _,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn splits_code_bands_in_order_and_the_cross_product_only_where_both_place_a_case() {
        let baseline = table(
            &[Some(70.0), Some(10.0), None],
            &[Some("M"), Some("F"), Some("F")],
        );
        let serving = table(&[Some(30.0), Some(70.0)], &[None, Some("F")]);
        let defs: Vec<Subgroup> = serde_norway::from_str(
            "[{by: age, bins: [18, 40, 65]}, {by: sex}, {name: old, where: \"age >= 65\"}]",
        )
        .unwrap();
        let r = resolve(&defs, &baseline, &serving).unwrap();
        let labels: Vec<&str> = r.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "patient_age_years <18",
                "patient_age_years 18–40",
                "patient_age_years ≥65",
                "patient_sex = F",
                "patient_sex = M",
                "old"
            ],
            "bands in numeric order; only those that occur"
        );
        let age = &r.partitions[0];
        assert_eq!(age.baseline, [3, 0, UNPLACED]);
        assert_eq!(age.serving, [1, 3]);
        for g in &r.groups {
            let p = &r.partitions[g.partition];
            let mask: Vec<bool> = p.serving.iter().map(|&c| c == g.code).collect();
            assert_eq!(mask, g.serving, "{}: mask and code agree", g.label);
        }
        let cross = r.partitions.last().unwrap();
        assert_eq!(cross.subject, "patient_age_years × patient_sex");
        assert_eq!(cross.names, ["≥65 × M", "<18 × F", "≥65 × F"]);
        assert_eq!(cross.baseline, [0, 1, UNPLACED]);
        assert_eq!(cross.serving, [UNPLACED, 2]);
    }

    #[test]
    fn a_split_by_dictionary_coded_text_is_the_split_by_the_same_text_plain() {
        use arrow_array::{DictionaryArray, Int8Array, StringArray};
        use std::sync::Arc;
        // Keys into values with a duplicate ("GE" twice), one never used ("Canon"), a
        // null key and a null value.
        let values = StringArray::from(vec![
            Some("GE"),
            Some("Canon"),
            Some("AGFA"),
            None,
            Some("GE"),
        ]);
        let keys = Int8Array::from(vec![Some(4), Some(2), None, Some(0), Some(3), Some(2)]);
        let coded = DictionaryArray::try_new(keys, Arc::new(values)).unwrap();
        let plain = StringArray::from(vec![
            Some("GE"),
            Some("AGFA"),
            None,
            Some("GE"),
            None,
            Some("AGFA"),
        ]);
        let batch = |a: arrow_array::ArrayRef| {
            RecordBatch::try_from_iter(vec![("manufacturer", a)]).unwrap()
        };
        let baseline = batch(Arc::new(StringArray::from(vec![
            Some("SIEMENS"),
            Some("GE"),
        ])));
        let defs: Vec<Subgroup> = serde_norway::from_str("[{by: manufacturer}]").unwrap();
        let of = |serving: &RecordBatch| {
            let r = resolve(&defs, &baseline, serving).unwrap();
            let p = &r.partitions[0];
            (p.names.clone(), p.baseline.clone(), p.serving.clone())
        };
        let want = of(&batch(Arc::new(plain)));
        assert_eq!(
            want.0,
            ["AGFA", "GE", "SIEMENS"],
            "only the names that occur, sorted"
        );
        assert_eq!(of(&batch(Arc::new(coded))), want);
    }
}

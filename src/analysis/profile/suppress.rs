//! Small-cell suppression with complements.
//!
//! Primary: a count from 1 to `min_cell - 1` is not published (null). Complementary: a
//! suppressed cell must not be recoverable by subtraction, so every *line* — a set of cells
//! tied by a published total, or whose total is itself one of them — may not hold exactly
//! one suppressed cell; where one does, its smallest other cell (a subgroup's size last)
//! is suppressed too, and the lines are checked again until none changes. The lines:
//!
//! - a feature's distribution in one subgroup (its categories, values or bins and its
//!   missing cell) with the subgroup's size;
//! - one value of a feature across the subgroups of a `by` split, with all cases' count;
//! - a split's subgroup sizes (and its unplaced cases) with all cases;
//! - for a cross product of two splits, each row and column of its table with the margin
//!   the single split publishes (of more splits, the cells that differ in one split);
//! - the score's bins among positives, among negatives, and the four confusion counts,
//!   each in one subgroup.
//!
//! This closes recovery from any one line. It does not solve the general problem (a
//! suppressed cell bounded by linear programming over many lines, or differencing two
//! nights' profiles); docs/scale.md says so.

use std::collections::{BTreeMap, HashMap};

use super::{kind, Cell, Key};

/// How the subgroups sit, for the lines: each subgroup's size cell, the `by` splits'
/// subgroups, and the cross product's subject and its splits' subjects.
#[derive(Debug, Default)]
pub struct Structure {
    /// Subgroup label → the key of its size (a `cases` cell of its partition).
    pub margins: BTreeMap<String, Key>,
    /// Per `by` split, its subgroups' labels.
    pub splits: Vec<Vec<String>>,
    /// The cross product's subject and the subjects of the splits it crosses.
    pub cross: Option<(String, Vec<String>)>,
}

const DISTRIBUTION: &[&str] = &[kind::CATEGORY, kind::VALUE, kind::BIN, kind::MISSING];

/// Suppresses `cells` (sorted by key) in place; returns how many were suppressed.
pub fn suppress(cells: &mut [Cell], min_cell: u64, structure: &Structure) -> usize {
    if min_cell <= 1 {
        return 0;
    }
    let index: HashMap<&Key, usize> = cells.iter().enumerate().map(|(i, c)| (&c.key, i)).collect();
    let lines = lines(cells, &index, structure);
    drop(index);
    let eligible = |c: &Cell| c.key.kind != kind::SITES;
    for cell in cells.iter_mut() {
        if eligible(cell) && matches!(cell.count, Some(k) if k > 0 && k < min_cell) {
            cell.count = None;
            cell.suppressed = 1;
        }
    }
    loop {
        let mut changed = false;
        for line in &lines {
            let hidden = line.iter().filter(|&&i| cells[i].count.is_none()).count();
            if hidden != 1 {
                continue;
            }
            // The smallest other cell; a subgroup's size only when nothing else will do.
            let complement = line
                .iter()
                .copied()
                .filter(|&i| cells[i].count.is_some() && eligible(&cells[i]))
                .min_by_key(|&i| (cells[i].key.kind == kind::CASES, cells[i].count, i));
            if let Some(i) = complement {
                cells[i].count = None;
                cells[i].suppressed = 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    cells.iter().filter(|c| c.suppressed > 0).count()
}

fn lines(cells: &[Cell], index: &HashMap<&Key, usize>, structure: &Structure) -> Vec<Vec<usize>> {
    let total = Key {
        kind: kind::CASES,
        feature: None,
        subgroup: None,
        value: None,
    };
    let total = index.get(&total).copied();
    // (family, feature, subgroup) → the cells of that line.
    type Line<'a> = (u8, Option<&'a str>, Option<&'a str>);
    let mut grouped: BTreeMap<Line, Vec<usize>> = BTreeMap::new();
    for (i, cell) in cells.iter().enumerate() {
        let k = &cell.key;
        let family = match k.kind {
            kind::SITES => continue,
            kind::CASES if k.feature.is_none() => continue,
            kind::CASES => 0,
            kind if DISTRIBUTION.contains(&kind) => 1,
            kind::POSITIVE => 2,
            kind::NEGATIVE => 3,
            _ => 4,
        };
        grouped
            .entry((family, k.feature.as_deref(), k.subgroup.as_deref()))
            .or_default()
            .push(i);
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    for ((family, _, subgroup), mut line) in grouped {
        let margin = match (family, subgroup) {
            (0, _) | (1, None) => total,
            (1, Some(label)) => structure
                .margins
                .get(label)
                .and_then(|k| index.get(k).copied()),
            _ => None,
        };
        line.extend(margin);
        out.push(line);
    }
    // One value across a `by` split's subgroups, with all cases.
    for labels in &structure.splits {
        let mut across: BTreeMap<(&str, &str, &str), Vec<usize>> = BTreeMap::new();
        for (i, cell) in cells.iter().enumerate() {
            let k = &cell.key;
            let Some(f) = k.feature.as_deref() else {
                continue;
            };
            let v = k.value.as_deref().unwrap_or("");
            if k.kind == kind::CASES || k.kind == kind::SITES {
                continue;
            }
            match k.subgroup.as_deref() {
                Some(g) if labels.iter().any(|l| l == g) => {}
                None => {}
                Some(_) => continue,
            }
            across.entry((k.kind, f, v)).or_default().push(i);
        }
        out.extend(across.into_values().filter(|l| l.len() > 1));
    }
    // A cross product's rows and columns with their margins.
    if let Some((subject, parts)) = &structure.cross {
        let mut across: BTreeMap<(usize, Vec<&str>), Vec<usize>> = BTreeMap::new();
        for (i, cell) in cells.iter().enumerate() {
            let k = &cell.key;
            if k.kind != kind::CASES || k.feature.as_deref() != Some(subject) {
                continue;
            }
            let Some(value) = k.value.as_deref() else {
                continue;
            };
            let components: Vec<&str> = value.split(" × ").collect();
            if components.len() != parts.len() {
                continue;
            }
            for free in 0..parts.len() {
                let mut fixed = components.clone();
                fixed.remove(free);
                across.entry((free, fixed)).or_default().push(i);
            }
        }
        for ((free, fixed), mut line) in across {
            if parts.len() == 2 {
                let margin = Key {
                    kind: kind::CASES,
                    feature: Some(parts[1 - free].clone()),
                    subgroup: None,
                    value: Some(fixed[0].to_string()),
                };
                line.extend(index.get(&margin).copied());
            }
            out.push(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(
        kind: &'static str,
        feature: Option<&str>,
        subgroup: Option<&str>,
        value: Option<&str>,
        n: u64,
    ) -> Cell {
        Cell {
            key: Key {
                kind,
                feature: feature.map(Into::into),
                subgroup: subgroup.map(Into::into),
                value: value.map(Into::into),
            },
            count: Some(n),
            suppressed: 0,
        }
    }

    #[test]
    fn a_lone_small_cell_takes_a_complement_so_the_total_does_not_give_it_away() {
        let mut cells = vec![
            cell(kind::CASES, None, None, None, 103),
            cell(kind::CATEGORY, Some("modality"), None, Some("CT"), 90),
            cell(kind::CATEGORY, Some("modality"), None, Some("MR"), 10),
            cell(kind::CATEGORY, Some("modality"), None, Some("XA"), 3),
            cell(kind::SITES, None, None, None, 1),
        ];
        cells.sort_by(|a, b| a.key.cmp(&b.key));
        let n = suppress(&mut cells, 5, &Structure::default());
        assert_eq!(n, 2);
        let hidden: Vec<&str> = cells
            .iter()
            .filter(|c| c.count.is_none())
            .map(|c| c.key.value.as_deref().unwrap())
            .collect();
        assert_eq!(hidden, ["MR", "XA"]);
        // The site count is not a count of people.
        assert!(cells
            .iter()
            .any(|c| c.key.kind == kind::SITES && c.count == Some(1)));
    }

    #[test]
    fn complements_reach_a_fixed_point_across_subgroups() {
        // Two sexes; "XA" is 3 among F and 20 among M, 23 in all: hiding F's 3 in its
        // column needs a complement there (F's MR, 6), and then MR's row across F, M
        // and all has one hidden cell, so another goes.
        let g = |s: &'static str| Some(s);
        let mut cells = vec![
            cell(kind::CASES, None, None, None, 60),
            cell(kind::CASES, g("sex"), None, g("F"), 30),
            cell(kind::CASES, g("sex"), None, g("M"), 30),
            cell(kind::CATEGORY, g("modality"), None, g("CT"), 21),
            cell(kind::CATEGORY, g("modality"), None, g("MR"), 16),
            cell(kind::CATEGORY, g("modality"), None, g("XA"), 23),
            cell(kind::CATEGORY, g("modality"), g("sex = F"), g("CT"), 11),
            cell(kind::CATEGORY, g("modality"), g("sex = F"), g("MR"), 16),
            cell(kind::CATEGORY, g("modality"), g("sex = F"), g("XA"), 3),
            cell(kind::CATEGORY, g("modality"), g("sex = M"), g("CT"), 10),
            cell(kind::CATEGORY, g("modality"), g("sex = M"), g("XA"), 20),
        ];
        cells.sort_by(|a, b| a.key.cmp(&b.key));
        let mut structure = Structure::default();
        for s in ["F", "M"] {
            structure.margins.insert(
                format!("sex = {s}"),
                Key {
                    kind: kind::CASES,
                    feature: Some("sex".into()),
                    subgroup: None,
                    value: Some(s.into()),
                },
            );
        }
        structure
            .splits
            .push(vec!["sex = F".into(), "sex = M".into()]);
        suppress(&mut cells, 5, &structure);
        // No line of the structure has exactly one hidden cell.
        let index: HashMap<&Key, usize> =
            cells.iter().enumerate().map(|(i, c)| (&c.key, i)).collect();
        for line in lines(&cells, &index, &structure) {
            let hidden = line.iter().filter(|&&i| cells[i].count.is_none()).count();
            assert_ne!(
                hidden,
                1,
                "{:?}",
                line.iter().map(|&i| &cells[i]).collect::<Vec<_>>()
            );
        }
        // And no published count is below the minimum.
        assert!(cells.iter().all(|c| c.count.is_none_or(|k| k >= 5)));
    }
}

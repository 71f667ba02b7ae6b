//! The join of inferences onto units: the latest inference per unit, the rest counted.

use std::collections::HashMap;

use arrow_array::{Array, StringArray, TimestampMicrosecondArray};

use super::units::UnitIndex;
use super::JoinStats;

/// For each unit, the row of its latest inference (or null), counting the join outcomes.
pub(super) fn pick_inferences(
    keys: &StringArray,
    times: &TimestampMicrosecondArray,
    index: &UnitIndex,
    stats: &mut JoinStats,
) -> Result<Vec<Option<u32>>, String> {
    let n_units = index.n_units();
    if times.len() != keys.len() {
        return Err("inferences: key and timestamp columns of different lengths".into());
    }
    let mut picked: Vec<Option<u32>> = vec![None; n_units];
    let mut unmatched: HashMap<&str, ()> = HashMap::new();
    for (i, unit) in index.get_all(keys).into_iter().enumerate() {
        if !keys.is_valid(i) {
            continue;
        }
        let Some(unit) = unit else {
            if unmatched.insert(keys.value(i), ()).is_some() {
                stats.duplicate_inferences += 1;
            }
            continue;
        };
        let slot = &mut picked[unit as usize];
        match slot {
            None => *slot = Some(i as u32),
            Some(best) => {
                stats.duplicate_inferences += 1;
                // The latest wins; on equal timestamps, the later row in the file.
                if times.value(i) >= times.value(*best as usize) {
                    *best = i as u32;
                }
            }
        }
    }
    let matched = picked.iter().filter(|p| p.is_some()).count() as u64;
    stats.cases_with_inference = matched;
    stats.cases_without_inference = n_units as u64 - matched;
    stats.inferences_without_case = unmatched.len() as u64;
    Ok(picked)
}

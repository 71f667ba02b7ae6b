//! The join of inferences onto units: the latest inference per unit, the rest counted.

use std::collections::HashMap;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, RecordBatch};

use super::units::UnitIndex;
use super::{text_column, JoinStats};
use crate::table::schema;

/// For each unit, the row of its latest inference (or null), counting the join outcomes.
pub(super) fn pick_inferences(
    inferences: &RecordBatch,
    index: &UnitIndex,
    stats: &mut JoinStats,
) -> Result<Vec<Option<u32>>, String> {
    let n_units = index.n_units();
    let keys = text_column(inferences, schema::KEY)?;
    let times = inferences
        .column_by_name(schema::TIMESTAMP)
        .and_then(|c| c.as_primitive_opt::<TimestampMicrosecondType>())
        .ok_or("inferences have no timestamp column of type timestamp[us]")?;
    let mut picked: Vec<Option<u32>> = vec![None; n_units];
    let mut unmatched: HashMap<&str, ()> = HashMap::new();
    for i in 0..inferences.num_rows() {
        if !keys.is_valid(i) {
            continue;
        }
        let key = keys.value(i);
        let Some(unit) = index.get(key) else {
            if unmatched.insert(key, ()).is_some() {
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

//! The unit index (UID → unit, in order of first appearance) and the per-unit
//! aggregation: numeric values are the median over a unit's instances, categorical values
//! its first instance's.

use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, UInt32Array};
use arrow_schema::DataType;
use rayon::prelude::*;

use crate::stats::quantile::median;
use crate::table::cast::{to_f64, to_utf8};

/// Units keyed by UID in order of first appearance (deterministic: `scan` writes rows in
/// sorted path order). The hash table holds each unit's first row and number (8 bytes a
/// slot; the key is read back from that row, with no lookup in between), hashed with
/// aHash: on a million 60-byte UIDs, SipHash and a map of `&str` keys were the largest
/// cost and ~50 MB of a drift run.
pub(super) struct UnitIndex<'a> {
    keys: &'a arrow_array::StringArray,
    hasher: ahash::RandomState,
    /// (first row, unit) of each unit.
    table: hashbrown::HashTable<(u32, u32)>,
    /// Unit → its first row.
    pub(super) first_row: Vec<u32>,
    /// Row → its unit (`u32::MAX`: no key).
    unit_of_row: Vec<u32>,
}

impl<'a> UnitIndex<'a> {
    pub(super) fn build(keys: &'a arrow_array::StringArray) -> UnitIndex<'a> {
        let hasher = crate::table::fast_hasher();
        // The hashes in parallel; the inserts in row order (units in order of first
        // appearance).
        let hashes: Vec<u64> = (0..keys.len())
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(|i| hasher.hash_one(keys.value(i)))
            .collect();
        let mut index = UnitIndex {
            keys,
            table: hashbrown::HashTable::with_capacity(keys.len()),
            first_row: Vec::new(),
            unit_of_row: vec![u32::MAX; keys.len()],
            hasher,
        };
        for (i, &hash) in hashes.iter().enumerate() {
            if keys.is_valid(i) {
                index.unit_of_row[i] = index.insert(keys.value(i), hash, i as u32);
            }
        }
        index
    }

    fn insert(&mut self, key: &str, hash: u64, row: u32) -> u32 {
        let (keys, hasher) = (self.keys, &self.hasher);
        let entry = self.table.entry(
            hash,
            |&(r, _)| keys.value(r as usize) == key,
            |&(r, _)| hasher.hash_one(keys.value(r as usize)),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => e.get().1,
            hashbrown::hash_table::Entry::Vacant(e) => {
                let unit = self.first_row.len() as u32;
                self.first_row.push(row);
                e.insert((row, unit));
                unit
            }
        }
    }

    /// The unit of each key (`None`: no key, or no such unit), looked up in parallel.
    pub(super) fn get_all(&self, keys: &arrow_array::StringArray) -> Vec<Option<u32>> {
        (0..keys.len())
            .into_par_iter()
            .with_min_len(1 << 14)
            .map(|i| keys.is_valid(i).then(|| self.get(keys.value(i))).flatten())
            .collect()
    }

    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.table
            .find(hash, |&(r, _)| self.keys.value(r as usize) == key)
            .map(|&(_, unit)| unit)
    }

    pub(super) fn n_units(&self) -> usize {
        self.first_row.len()
    }

    pub(super) fn key(&self, unit: usize) -> &'a str {
        self.keys.value(self.first_row[unit] as usize)
    }

    /// Every row is its own unit, in order.
    pub(super) fn is_identity(&self, rows: usize) -> bool {
        self.first_row.len() == rows
            && self
                .first_row
                .iter()
                .enumerate()
                .all(|(i, &r)| r as usize == i)
    }

    /// Rows grouped by unit with a counting sort that keeps file order inside each unit.
    pub(super) fn group_rows(&self, rows: usize) -> UnitRows {
        let n = self.n_units();
        let mut starts = vec![0u32; n + 1];
        for &u in self.unit_of_row.iter().filter(|&&u| u != u32::MAX) {
            starts[u as usize + 1] += 1;
        }
        for u in 0..n {
            starts[u + 1] += starts[u];
        }
        let mut order = vec![0u32; starts[n] as usize];
        let mut fill = starts.clone();
        for (i, &u) in self.unit_of_row[..rows]
            .iter()
            .enumerate()
            .filter(|(_, &u)| u != u32::MAX)
        {
            order[fill[u as usize] as usize] = i as u32;
            fill[u as usize] += 1;
        }
        UnitRows { starts, order }
    }
}

/// Each unit's rows: `order[starts[u]..starts[u + 1]]`.
pub(super) struct UnitRows {
    starts: Vec<u32>,
    order: Vec<u32>,
}

impl UnitRows {
    pub(super) fn rows(&self, unit: usize) -> &[u32] {
        &self.order[self.starts[unit] as usize..self.starts[unit + 1] as usize]
    }

    pub(super) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub(super) fn single(&self) -> bool {
        self.starts.windows(2).all(|w| w[1] - w[0] == 1)
    }
}

/// Median of each unit's non-null values (numeric columns of any integer/float type).
pub(super) fn unit_medians(column: &ArrayRef, units: &UnitRows) -> Result<ArrayRef, String> {
    let values = to_f64(column).map_err(|e| e.to_string())?;
    let mut out = Float64Builder::with_capacity(units.len());
    let mut scratch = Vec::new();
    for rows in (0..units.len()).map(|u| units.rows(u)) {
        scratch.clear();
        scratch.extend(
            rows.iter()
                .map(|&r| r as usize)
                .filter(|&r| values.is_valid(r))
                .map(|r| values.value(r))
                .filter(|v| v.is_finite()),
        );
        out.append_option(median(&mut scratch));
    }
    Ok(Arc::new(out.finish()))
}

/// One value per single-instance unit (the rows `firsts`, or every row in order), as f64
/// with non-finite values as null (the same answer [`unit_medians`] gives for a unit of
/// one). A float column without non-finite values is shared, not copied.
pub(super) fn single_numeric(
    column: &ArrayRef,
    firsts: Option<&UInt32Array>,
) -> Result<ArrayRef, String> {
    let taken = match firsts {
        Some(firsts) => {
            arrow_select::take::take(column.as_ref(), firsts, None).map_err(|e| e.to_string())?
        }
        None => column.clone(),
    };
    let values = to_f64(&taken).map_err(|e| e.to_string())?;
    if values.iter().flatten().all(f64::is_finite) {
        return Ok(Arc::new(values));
    }
    Ok(Arc::new(
        values
            .iter()
            .map(|v| v.filter(|v| v.is_finite()))
            .collect::<arrow_array::Float64Array>(),
    ))
}

/// The first instance's value; booleans become `yes`/`no`.
pub(super) fn unit_first(column: &ArrayRef, units: &UnitRows) -> Result<ArrayRef, String> {
    let mut out = StringBuilder::with_capacity(units.len(), units.len() * 8);
    match column.data_type() {
        DataType::Boolean => {
            let b = column.as_boolean();
            for u in 0..units.len() {
                let r = units.rows(u)[0] as usize;
                out.append_option(b.is_valid(r).then(|| if b.value(r) { "yes" } else { "no" }));
            }
        }
        _ => {
            let text = to_utf8(column).map_err(|e| e.to_string())?;
            for u in 0..units.len() {
                let r = units.rows(u)[0] as usize;
                out.append_option(text.is_valid(r).then(|| text.value(r)));
            }
        }
    }
    Ok(Arc::new(out.finish()))
}

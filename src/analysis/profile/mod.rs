//! Count profiles: what a site can publish about a night when it cannot share case rows.
//!
//! A profile is a table of counts — per feature and subgroup, how many cases had each
//! category, each value of a discrete feature, each bin of a continuous one (on edges the
//! baseline fixes, [`bins`]), or no value; how the cases fall into each subgroup split;
//! the score's bins by label and the confusion counts at the model's threshold. Counts
//! add: profiles of one baseline merge by summing ([`merge`], or one SQL `GROUP BY`), and
//! drift runs on the merged counts as it runs on rows (`analysis::drift::from_profile`).
//!
//! Small cells are suppressed ([`suppress`]): no published count below the minimum, and
//! no suppressed count recoverable from the totals beside it. A profile holds no UID, no
//! row, no minimum or maximum, no time finer than its window.

pub mod bins;
mod count;
mod suppress;
mod table;

pub use count::count;
pub use suppress::suppress;
pub use table::{read, write};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Kinds of cell, as written in the `kind` column.
pub mod kind {
    /// Cases: `feature` null for all cases of the window (and `value` "instances" for the
    /// DICOM instances behind them); else the partition a split makes, `value` its
    /// subgroup's name (null: cases the split cannot place).
    pub const CASES: &str = "cases";
    /// A categorical feature's category.
    pub const CATEGORY: &str = "category";
    /// A discrete numeric feature's value (shortest round-trip decimal).
    pub const VALUE: &str = "value";
    /// A continuous feature's bin, `value` its lower edge (`-inf` below the baseline's).
    pub const BIN: &str = "bin";
    /// Cases with no value for the feature.
    pub const MISSING: &str = "missing";
    /// The score's bins among labelled positive and negative cases.
    pub const POSITIVE: &str = "positive";
    pub const NEGATIVE: &str = "negative";
    /// Prediction against label at the model's threshold: `value` tp, fp, tn or fn.
    pub const CONFUSION: &str = "confusion";
    /// One per site: merged profiles count their sites. Not a count of people, never
    /// suppressed.
    pub const SITES: &str = "sites";
}

/// Where a cell sits: what it counts, of which feature, in which subgroup (None: all
/// cases), and which value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: &'static str,
    pub feature: Option<String>,
    pub subgroup: Option<String>,
    pub value: Option<String>,
}

/// One count. `count` is None where suppressed; `suppressed` counts the sites whose cell
/// was suppressed (0 or 1 in a site's profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub key: Key,
    pub count: Option<u64>,
    pub suppressed: u64,
}

/// What travels with the counts, in the Parquet file's key-value metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    /// The site's name; "merged" for a merge, whose `sites` lists the sites.
    pub site: String,
    pub sites: Vec<String>,
    /// The window's bounds (RFC 3339, half-open), when one was selected.
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    /// The baseline snapshot the counts are binned against: its manifest's SHA-256.
    pub baseline_sha256: String,
    pub tool_version: String,
    pub min_cell: u64,
    pub suppression: String,
    pub binning: String,
}

pub const FORMAT_VERSION: u32 = 1;

/// A profile: its manifest and its cells, sorted by key.
#[derive(Debug, Clone)]
pub struct Profile {
    pub manifest: Manifest,
    pub cells: Vec<Cell>,
}

/// The suppression rule, in words (the manifest's `suppression`).
pub fn suppression_rule(min_cell: u64) -> String {
    format!(
        "primary: no count from 1 to {} is published; complementary: no line of cells whose \
         total is published or is itself a cell (a feature's distribution in a subgroup with \
         the subgroup's size; one value across a split's subgroups with all cases; a split's \
         subgroup sizes with all cases; a cross-product cell with its margins) has exactly \
         one suppressed cell, repeated to a fixed point",
        min_cell.saturating_sub(1)
    )
}

/// Adds profiles of one baseline, cell by cell: counts are summed over the sites that
/// published them (a cell suppressed everywhere stays null) and `suppressed` over all —
/// the same as `SELECT …, SUM(count), SUM(suppressed) … GROUP BY baseline, kind, feature,
/// subgroup, value`. Profiles of different baselines are refused, by name.
pub fn merge(profiles: &[(String, Profile)]) -> Result<Profile> {
    let Some((first_name, first)) = profiles.first() else {
        return Err(Error::Usage("merge needs at least one profile".into()));
    };
    let mut cells: BTreeMap<Key, (Option<u64>, u64)> = BTreeMap::new();
    let mut sites = Vec::new();
    let mut min_cell = 0;
    for (name, profile) in profiles {
        let m = &profile.manifest;
        if m.baseline_sha256 != first.manifest.baseline_sha256 {
            return Err(Error::Usage(format!(
                "{name} counts against baseline {} but {first_name} against {}: profiles of \
                 different baselines do not add (rebuild them on one snapshot)",
                short(&m.baseline_sha256),
                short(&first.manifest.baseline_sha256)
            )));
        }
        if m.binning != first.manifest.binning {
            return Err(Error::Usage(format!(
                "{name} bins by {:?} but {first_name} by {:?}: profiles of different \
                 tool versions' binning do not add",
                m.binning, first.manifest.binning
            )));
        }
        sites.extend(m.sites.iter().cloned());
        min_cell = min_cell.max(m.min_cell);
        for cell in &profile.cells {
            let entry = cells.entry(cell.key.clone()).or_insert((None, 0));
            if let Some(c) = cell.count {
                entry.0 = Some(entry.0.unwrap_or(0) + c);
            }
            entry.1 += cell.suppressed;
        }
    }
    sites.sort();
    let duplicate = sites.windows(2).find(|w| w[0] == w[1]);
    if let Some(w) = duplicate {
        return Err(Error::Usage(format!(
            "site {:?} is in more than one profile: merging it twice would count its cases twice",
            w[0]
        )));
    }
    // A window shared by every profile stays; otherwise the merge has none.
    let same = |f: fn(&Manifest) -> &Option<String>| {
        let v = f(&first.manifest);
        profiles
            .iter()
            .all(|(_, p)| f(&p.manifest) == v)
            .then(|| v.clone())
            .flatten()
    };
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        site: "merged".into(),
        sites,
        window_start: same(|m| &m.window_start),
        window_end: same(|m| &m.window_end),
        baseline_sha256: first.manifest.baseline_sha256.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        min_cell,
        suppression: first.manifest.suppression.clone(),
        binning: first.manifest.binning.clone(),
    };
    Ok(Profile {
        manifest,
        cells: cells
            .into_iter()
            .map(|(key, (count, suppressed))| Cell {
                key,
                count,
                suppressed,
            })
            .collect(),
    })
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

impl Profile {
    /// The count of one cell: 0 when absent or suppressed everywhere.
    pub fn get(&self, key: &Key) -> u64 {
        self.find(key).and_then(|c| c.count).unwrap_or(0)
    }

    pub fn find(&self, key: &Key) -> Option<&Cell> {
        self.cells
            .binary_search_by(|c| c.key.cmp(key))
            .ok()
            .map(|i| &self.cells[i])
    }

    /// The cells of one (kind, feature, subgroup), in key order.
    pub fn line<'a>(
        &'a self,
        kind: &'static str,
        feature: Option<&'a str>,
        subgroup: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Cell> + 'a {
        let start = self.cells.partition_point(|c| {
            (
                c.key.kind,
                c.key.feature.as_deref(),
                c.key.subgroup.as_deref(),
            ) < (kind, feature, subgroup)
        });
        self.cells[start..].iter().take_while(move |c| {
            c.key.kind == kind
                && c.key.feature.as_deref() == feature
                && c.key.subgroup.as_deref() == subgroup
        })
    }

    /// All cases of the window.
    pub fn cases(&self) -> u64 {
        self.get(&Key {
            kind: kind::CASES,
            feature: None,
            subgroup: None,
            value: None,
        })
    }

    /// The site names the counts come from.
    pub fn sites(&self) -> &[String] {
        &self.manifest.sites
    }
}

/// The `kind` column's text as one of the [`kind`] constants.
pub fn kind_of(text: &str) -> Option<&'static str> {
    [
        kind::CASES,
        kind::CATEGORY,
        kind::VALUE,
        kind::BIN,
        kind::MISSING,
        kind::POSITIVE,
        kind::NEGATIVE,
        kind::CONFUSION,
        kind::SITES,
    ]
    .into_iter()
    .find(|k| *k == text)
}

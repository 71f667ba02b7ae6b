//! A profile as a Parquet table: one row per cell, the manifest in the footer's key-value
//! metadata (`postmarket.profile`, JSON).

use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::{kind_of, Cell, Key, Manifest, Profile, FORMAT_VERSION};
use crate::error::{Error, Result};
use crate::table::cast;
use crate::table::parquet::{read_all, TableWriter};
use crate::table::parts::expand_inputs;

/// The footer key that holds the manifest.
pub const MANIFEST_KEY: &str = "postmarket.profile";

const COLUMNS: [(&str, DataType, bool); 8] = [
    ("baseline", DataType::Utf8, false),
    ("site", DataType::Utf8, false),
    ("kind", DataType::Utf8, false),
    ("feature", DataType::Utf8, true),
    ("subgroup", DataType::Utf8, true),
    ("value", DataType::Utf8, true),
    ("count", DataType::Int64, true),
    ("suppressed", DataType::Int64, false),
];

/// Writes `profile` to `path` atomically.
pub fn write(profile: &Profile, path: &Path) -> Result<()> {
    let schema = Arc::new(Schema::new(
        COLUMNS
            .iter()
            .map(|(name, t, nullable)| Field::new(*name, t.clone(), *nullable))
            .collect::<Vec<_>>(),
    ));
    let cells = &profile.cells;
    fn text<'a>(cells: &'a [Cell], f: impl Fn(&'a Cell) -> Option<&'a str>) -> ArrayRef {
        Arc::new(cells.iter().map(f).collect::<StringArray>())
    }
    let m = &profile.manifest;
    let columns: Vec<ArrayRef> = vec![
        text(cells, |_| Some(&m.baseline_sha256)),
        text(cells, |_| Some(&m.site)),
        text(cells, |c| Some(c.key.kind)),
        text(cells, |c| c.key.feature.as_deref()),
        text(cells, |c| c.key.subgroup.as_deref()),
        text(cells, |c| c.key.value.as_deref()),
        Arc::new(
            cells
                .iter()
                .map(|c| c.count.map(|k| k as i64))
                .collect::<Int64Array>(),
        ),
        Arc::new(
            cells
                .iter()
                .map(|c| Some(c.suppressed as i64))
                .collect::<Int64Array>(),
        ),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)
        .map_err(|e| Error::invalid(path, e.to_string()))?;
    let mut writer = TableWriter::create(path, schema)?;
    let manifest = serde_json::to_string(m).expect("a manifest serialises");
    writer.append_metadata(MANIFEST_KEY, manifest);
    writer.write(&batch)?;
    writer.finish()?;
    Ok(())
}

/// Reads a profile written by [`write`], or a folder of parts of one (a merge done by
/// Spark or DuckDB SQL, `GROUP BY` over these columns). A table without the manifest in its
/// footer — SQL engines do not carry it over — gets one from its columns: the baseline
/// and site columns, the binning rule assumed to be this version's (drift still checks
/// every cell against the baseline's binning), the suppression rule "not recorded".
/// Errors name the file and the column.
pub fn read(path: &Path) -> Result<Profile> {
    let files = expand_inputs(&[path.to_path_buf()])?;
    let mut manifest: Option<Manifest> = None;
    let mut batches = Vec::new();
    for file in &files {
        let (schema, mut read) = read_all(file)?;
        if let Some(text) = schema.metadata().get(MANIFEST_KEY) {
            let m: Manifest = serde_json::from_str(text).map_err(|e| {
                Error::invalid(
                    file,
                    format!("its {MANIFEST_KEY} metadata is not a profile manifest: {e}"),
                )
            })?;
            match &manifest {
                Some(first) if *first != m => {
                    return Err(Error::invalid(
                        file,
                        format!("its manifest differs from that of {}", files[0].display()),
                    ))
                }
                _ => manifest = Some(m),
            }
        }
        batches.append(&mut read);
    }
    let invalid = |why: String| Error::invalid(path, why);
    let manifest = match manifest {
        Some(m) => m,
        None => manifest_of_columns(&batches).map_err(invalid)?,
    };
    if manifest.format_version != FORMAT_VERSION {
        return Err(invalid(format!(
            "profile format {} (this postmarket reads {FORMAT_VERSION})",
            manifest.format_version
        )));
    }
    let mut cells = Vec::new();
    for batch in &batches {
        let column = |name: &str| -> Result<&ArrayRef> {
            batch
                .column_by_name(name)
                .ok_or_else(|| invalid(format!("no column {name:?}")))
        };
        let text = |name: &str| -> Result<StringArray> {
            cast::to_utf8(column(name)?).map_err(|e| invalid(format!("column {name:?}: {e}")))
        };
        let int = |name: &str| -> Result<Int64Array> {
            cast::to_i64(column(name)?).map_err(|e| invalid(format!("column {name:?}: {e}")))
        };
        let (baselines, kinds, features, subgroups, values) = (
            text("baseline")?,
            text("kind")?,
            text("feature")?,
            text("subgroup")?,
            text("value")?,
        );
        let (counts, suppressed) = (int("count")?, int("suppressed")?);
        let opt = |a: &StringArray, i: usize| a.is_valid(i).then(|| a.value(i).to_string());
        for i in 0..batch.num_rows() {
            let row = |why: String| invalid(format!("row {}: {why}", cells.len() + 1));
            if baselines.value(i) != manifest.baseline_sha256 {
                return Err(row(format!(
                    "baseline {:?}, not the manifest's {:?}",
                    baselines.value(i),
                    manifest.baseline_sha256
                )));
            }
            let kind = kind_of(kinds.value(i)).ok_or_else(|| {
                row(format!(
                    "kind {:?} is not a profile cell's kind",
                    kinds.value(i)
                ))
            })?;
            let count = counts.is_valid(i).then(|| counts.value(i));
            if count.is_some_and(|c| c < 0) || suppressed.value(i) < 0 {
                return Err(row("a negative count".into()));
            }
            cells.push(Cell {
                key: Key {
                    kind,
                    feature: opt(&features, i),
                    subgroup: opt(&subgroups, i),
                    value: opt(&values, i),
                },
                count: count.map(|c| c as u64),
                suppressed: suppressed.value(i) as u64,
            });
        }
    }
    cells.sort_by(|a, b| a.key.cmp(&b.key));
    if cells.is_empty() {
        return Err(invalid("no cells: an empty profile".into()));
    }
    if let Some(w) = cells.windows(2).find(|w| w[0].key == w[1].key) {
        return Err(invalid(format!("the cell {:?} is there twice", w[0].key)));
    }
    Ok(Profile { manifest, cells })
}

/// A manifest from the `baseline` and `site` columns, for a table merged outside postmarket.
fn manifest_of_columns(batches: &[RecordBatch]) -> std::result::Result<Manifest, String> {
    let mut baseline: Option<String> = None;
    let mut sites: Vec<String> = Vec::new();
    for batch in batches {
        let text = |name: &str| -> std::result::Result<StringArray, String> {
            let c = batch
                .column_by_name(name)
                .ok_or_else(|| format!("no column {name:?} and no {MANIFEST_KEY} metadata"))?;
            cast::to_utf8(c).map_err(|e| e.to_string())
        };
        let (b, s) = (text("baseline")?, text("site")?);
        for i in 0..batch.num_rows() {
            if baseline.is_none() {
                baseline = Some(b.value(i).to_string());
            }
            if !sites.iter().any(|x| x == s.value(i)) {
                sites.push(s.value(i).to_string());
            }
        }
    }
    sites.sort();
    let baseline = baseline.ok_or("no rows")?;
    Ok(Manifest {
        format_version: FORMAT_VERSION,
        site: if sites.len() == 1 {
            sites[0].clone()
        } else {
            "merged".into()
        },
        sites,
        window_start: None,
        window_end: None,
        baseline_sha256: baseline,
        tool_version: "not recorded".into(),
        min_cell: 0,
        suppression: format!(
            "not recorded (no {MANIFEST_KEY} metadata: a table merged outside postmarket)"
        ),
        binning: super::bins::RULE.into(),
    })
}

//! The input files behind the paths a user gives: files as named, and folders of Parquet
//! parts as Spark and DuckDB write them (`part-00000-….snappy.parquet`, `data_0.parquet`,
//! Hive-style `key=value/` subfolders), with their marker and checksum files left out.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::error::{Error, Result};

/// Every file to read for `paths`, in the order given; a folder contributes its Parquet
/// parts (recursively, sorted by path). Inside a folder, entries whose name starts with
/// `.` or `_` (hidden and temporary files, `_SUCCESS`, `_metadata`, `_delta_log/`) and
/// `.crc` checksums are skipped, and a file is a part when it ends in `.parquet` or is
/// named `part-…`. A path that does not exist, or a folder with no part, is an error
/// naming it.
/// No paths give no files (a side of a window that was not given).
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| Error::ReadInput {
            path: path.clone(),
            source,
        })?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut parts = Vec::new();
        collect_parts(path, &mut parts)?;
        if parts.is_empty() {
            return Err(Error::NoInput(format!(
                "{}: a folder with no Parquet parts (*.parquet or part-*; hidden, _-prefixed \
                 and .crc files are skipped)",
                path.display()
            )));
        }
        parts.sort();
        files.extend(parts);
    }
    Ok(files)
}

/// Reads every file with `read` and stacks the tables; a file whose columns differ from the
/// first one's is an error naming both.
pub fn stack(
    paths: &[PathBuf],
    read: impl Fn(&Path) -> Result<RecordBatch> + Sync,
) -> Result<RecordBatch> {
    stack_columns(paths, |p| read(p).map(|table| (table.schema(), table)))
}

/// [`stack`] for a read that takes only some of a file's columns: `read` also returns the
/// columns the files are compared by (those a whole read would have given).
pub fn stack_columns(
    paths: &[PathBuf],
    read: impl Fn(&Path) -> Result<(SchemaRef, RecordBatch)> + Sync,
) -> Result<RecordBatch> {
    use rayon::prelude::*;
    let tables: Vec<(SchemaRef, RecordBatch)> =
        paths.par_iter().map(|p| read(p)).collect::<Result<_>>()?;
    let columns = tables[0].0.clone();
    for ((compared, _), path) in tables.iter().zip(paths).skip(1) {
        if compared.fields() != columns.fields() {
            return Err(Error::invalid(
                path,
                format!(
                    "its columns differ from those of {} (every part of one table must have the same columns and types)",
                    paths[0].display()
                ),
            ));
        }
    }
    let mut tables: Vec<RecordBatch> = tables.into_iter().map(|(_, table)| table).collect();
    if tables.len() == 1 {
        return Ok(tables.pop().expect("one table"));
    }
    let schema = tables[0].schema();
    arrow_select::concat::concat_batches(&schema, &tables)
        .map_err(|e| Error::invalid(&paths[0], e.to_string()))
}

fn collect_parts(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let read_error = |source| Error::ReadInput {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') || name.ends_with(".crc") {
            continue;
        }
        let path = entry.path();
        // Follows symbolic links, as reading the file would.
        let meta = std::fs::metadata(&path).map_err(|source| Error::ReadInput {
            path: path.clone(),
            source,
        })?;
        if meta.is_dir() {
            collect_parts(&path, out)?;
        } else if name.ends_with(".parquet") || name.starts_with("part-") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"x").unwrap();
        path
    }

    #[test]
    fn a_spark_folder_gives_its_parts_sorted_without_markers() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("headers");
        let b = touch(&d, "part-00001-abc-c000.snappy.parquet");
        let a = touch(&d, "part-00000-abc-c000.snappy.parquet");
        touch(&d, "_SUCCESS");
        touch(&d, ".part-00000-abc-c000.snappy.parquet.crc");
        touch(&d, "._tmp.parquet");
        touch(&d, "_temporary/0/part-00002.parquet");
        touch(&d, "notes.txt");
        let p = touch(&d, "date=2026-11-30/data_0.parquet");
        assert_eq!(expand_inputs(&[d]).unwrap(), [p, a, b]);
    }

    #[test]
    fn files_are_kept_in_the_order_given() {
        let dir = tempfile::tempdir().unwrap();
        let x = touch(dir.path(), "b.parquet");
        let y = touch(dir.path(), "a.jsonl");
        let parts = dir.path().join("parts");
        let z = touch(&parts, "data_0.parquet");
        assert_eq!(
            expand_inputs(&[x.clone(), y.clone(), parts]).unwrap(),
            [x, y, z]
        );
    }

    #[test]
    fn an_empty_folder_or_a_missing_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        touch(&empty, "_SUCCESS");
        let err = expand_inputs(std::slice::from_ref(&empty)).unwrap_err();
        assert!(
            matches!(err, Error::NoInput(ref m) if m.contains("empty")),
            "{err}"
        );
        assert_eq!(err.exit_code(), crate::error::exit::INPUT);
        let missing = dir.path().join("nope.parquet");
        let err = expand_inputs(std::slice::from_ref(&missing)).unwrap_err();
        assert!(matches!(err, Error::ReadInput { ref path, .. } if path == &missing));
    }
}

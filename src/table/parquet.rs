//! Writing Arrow record batches to Parquet with zstd, batch by batch, so memory stays flat
//! however many rows a command produces. The file appears only once it is complete
//! ([`crate::atomic`]): a failed write leaves the previous file or none.
//!
//! Failures are a [`ParquetFileError`], one variant per action that can fail, carrying the
//! path and keeping the I/O, Parquet or Arrow error as its `source` (the pattern for typed
//! module errors: the CLI prints the chain under "Caused by:"). It converts into
//! [`crate::error::Error`] whole, as an input/output failure (exit 3).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, DataType, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};

/// What failed while reading or writing a Parquet file, and where.
#[derive(Debug, thiserror::Error)]
pub enum ParquetFileError {
    #[error("could not read {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a readable Parquet file")]
    ReadFooter {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("{path}: could not plan the read of its columns")]
    PlanRead {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    #[error("{path}: could not decode a batch of rows")]
    DecodeBatch {
        path: PathBuf,
        #[source]
        source: ArrowError,
    },
    #[error("{path}: has no rows")]
    NoRows { path: PathBuf },
    #[error("{path}: could not join its batches into one table")]
    JoinBatches {
        path: PathBuf,
        #[source]
        source: ArrowError,
    },
    /// An I/O failure underneath the writer: the `io::Error` is the cause (a full disk
    /// reads as one).
    #[error("could not write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write {path}: Parquet encoding failed while {action}")]
    Encode {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: parquet::errors::ParquetError,
    },
}

impl ParquetFileError {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            ParquetFileError::Open { path, .. }
            | ParquetFileError::ReadFooter { path, .. }
            | ParquetFileError::PlanRead { path, .. }
            | ParquetFileError::DecodeBatch { path, .. }
            | ParquetFileError::NoRows { path }
            | ParquetFileError::JoinBatches { path, .. }
            | ParquetFileError::Write { path, .. }
            | ParquetFileError::Encode { path, .. } => path,
        }
    }
}

impl From<ParquetFileError> for Error {
    fn from(e: ParquetFileError) -> Self {
        Error::Input(Box::new(e))
    }
}

/// A Parquet file being written; call [`TableWriter::finish`] to put it in place. Dropped
/// without `finish` (an error on the way), it leaves nothing behind.
pub struct TableWriter {
    path: PathBuf,
    writer: ArrowWriter<AtomicFile>,
    rows: u64,
}

impl TableWriter {
    pub fn create(path: &Path, schema: SchemaRef) -> Result<TableWriter> {
        let file = AtomicFile::create(path)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(3).expect("valid level"),
            ))
            // Bounded row groups keep the writer's buffered memory flat on huge scans.
            .set_max_row_group_row_count(Some(128 * 1024))
            .set_created_by(concat!("postmarket ", env!("CARGO_PKG_VERSION")).to_string())
            .build();
        let writer = ArrowWriter::try_new(file, schema, Some(props))
            .map_err(|e| write_error(path, "starting the file", e))?;
        Ok(TableWriter {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    /// Adds a key-value pair to the file's footer metadata (what DuckDB's
    /// `parquet_kv_metadata` and Spark's footer readers show).
    pub fn append_metadata(&mut self, key: &str, value: String) {
        self.writer
            .append_key_value_metadata(parquet::file::metadata::KeyValue::new(
                key.to_string(),
                value,
            ));
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(batch)
            .map_err(|e| write_error(&self.path, "writing a batch", e).into())
    }

    /// Writes the footer, puts the file in place and returns the number of rows written.
    pub fn finish(self) -> Result<u64> {
        let (rows, file) = self.close()?;
        file.commit()?;
        Ok(rows)
    }

    /// Writes the footer but leaves the file under its temporary name, for a caller that
    /// puts several files in place together (the baseline snapshot).
    pub fn close(self) -> Result<(u64, AtomicFile)> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| write_error(&self.path, "writing the footer", e))?;
        Ok((self.rows, file))
    }
}

/// An I/O failure underneath the Parquet writer keeps its `io::Error` as the cause;
/// anything else is an encoding error.
fn write_error(
    path: &Path,
    action: &'static str,
    e: parquet::errors::ParquetError,
) -> ParquetFileError {
    let path = path.to_path_buf();
    match e {
        parquet::errors::ParquetError::External(source) => {
            match source.downcast::<std::io::Error>() {
                Ok(io) => ParquetFileError::Write { path, source: *io },
                Err(other) => ParquetFileError::Encode {
                    path,
                    action,
                    source: parquet::errors::ParquetError::External(other),
                },
            }
        }
        source => ParquetFileError::Encode {
            path,
            action,
            source,
        },
    }
}

/// Reads every batch of a Parquet file.
pub fn read_all(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>), ParquetFileError> {
    read_columns(path, None)
}

/// Reads a Parquet file in as few batches as it can (one when its rows fit a batch, so no
/// concatenation copies it again): every column, or only the top-level ones in `wanted`
/// (names the file lacks are left for the caller to report). Returns the file's full
/// schema, so callers can still check columns they did not read.
pub fn read_columns(
    path: &Path,
    wanted: Option<&[&str]>,
) -> Result<(SchemaRef, Vec<RecordBatch>), ParquetFileError> {
    read_columns_coded(path, wanted, &[])
}

/// [`read_columns`], with the text columns named in `coded` read as dictionary arrays
/// (`Dictionary(Int32, Utf8)`): the codes of the file's dictionary pages are kept, so a
/// category costs 4 bytes a row instead of its string (a million cases' ten categorical
/// headers are ~100 MB as strings, ~40 MB as codes). Batches then follow the row groups
/// (each has its own dictionary; a batch across two would be decoded to strings and
/// hashed back), and the returned schema is still the file's.
pub fn read_columns_coded(
    path: &Path,
    wanted: Option<&[&str]>,
    coded: &[&str],
) -> Result<(SchemaRef, Vec<RecordBatch>), ParquetFileError> {
    use parquet::arrow::arrow_reader::{
        ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    let file = File::open(path).map_err(|source| ParquetFileError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let footer = |source| ParquetFileError::ReadFooter {
        path: path.to_path_buf(),
        source,
    };
    let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()).map_err(footer)?;
    let schema = metadata.schema().clone();
    let is_wanted = |name: &str| wanted.is_none_or(|names| names.contains(&name));
    let dictionary = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let recode = |f: &arrow_schema::Field| {
        coded.contains(&f.name().as_str())
            && is_wanted(f.name())
            && f.data_type() == &DataType::Utf8
    };
    let any_coded = schema.fields().iter().any(|f| recode(f));
    let metadata = if any_coded {
        let fields: Vec<arrow_schema::FieldRef> = schema
            .fields()
            .iter()
            .map(|f| match recode(f) {
                true => std::sync::Arc::new(f.as_ref().clone().with_data_type(dictionary.clone())),
                false => f.clone(),
            })
            .collect();
        let hinted = std::sync::Arc::new(arrow_schema::Schema::new_with_metadata(
            fields,
            schema.metadata().clone(),
        ));
        ArrowReaderMetadata::try_new(
            metadata.metadata().clone(),
            ArrowReaderOptions::new().with_schema(hinted),
        )
        .map_err(footer)?
    } else {
        metadata
    };
    let rows = metadata.metadata().file_metadata().num_rows().max(1) as usize;
    let batch_rows = match any_coded {
        true => row_group_rows(metadata.metadata()).unwrap_or(rows),
        false => rows,
    };
    let roots: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| is_wanted(f.name()))
        .map(|(i, _)| i)
        .collect();
    let groups = column_groups(&metadata, &roots, 2 * rayon::current_num_threads());
    let read = |file: File, roots: Option<&[usize]>| {
        let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(file, metadata.clone());
        let builder = match roots {
            Some(roots) => {
                let mask = parquet::arrow::ProjectionMask::roots(
                    builder.parquet_schema(),
                    roots.iter().copied(),
                );
                builder.with_projection(mask)
            }
            None => builder,
        };
        let reader = builder
            .with_batch_size(batch_rows.min(MAX_BATCH_ROWS))
            .build()
            .map_err(|source| ParquetFileError::PlanRead {
                path: path.to_path_buf(),
                source,
            })?;
        let read_schema = arrow_array::RecordBatchReader::schema(&reader);
        let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|source| {
            ParquetFileError::DecodeBatch {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok::<_, ParquetFileError>((read_schema, batches))
    };
    let (read_schema, mut batches) = match groups.len() {
        ..=1 => read(file, wanted.map(|_| roots.as_slice()))?,
        _ => {
            // Each group of columns decoded on its own thread, by its own reader of the
            // same footer: the i-th batches of every group hold the same rows.
            use rayon::prelude::*;
            let parts = groups
                .par_iter()
                .map(|group| {
                    let file = File::open(path).map_err(|source| ParquetFileError::Open {
                        path: path.to_path_buf(),
                        source,
                    })?;
                    read(file, Some(group))
                })
                .collect::<Vec<_>>()
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?; // the first failure in column order
            side_by_side(path, &roots, &groups, parts)?
        }
    };
    // A file without rows is a table without rows (a night with no cases), not an error:
    // its one empty batch carries the columns read.
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(read_schema));
    }
    Ok((schema, batches))
}

/// The columns `roots` split into at most `most` groups of about the same compressed
/// size, each group's columns in file order; no split (one group or none) when the file
/// has nested columns, fewer than two columns are read, or it has no rows.
fn column_groups(
    metadata: &parquet::arrow::arrow_reader::ArrowReaderMetadata,
    roots: &[usize],
    most: usize,
) -> Vec<Vec<usize>> {
    let parquet = metadata.metadata();
    let flat =
        parquet.file_metadata().schema_descr().num_columns() == metadata.schema().fields().len();
    let n = most.min(roots.len());
    if !flat || n < 2 || parquet.file_metadata().num_rows() == 0 {
        return vec![roots.to_vec()];
    }
    let size = |root: usize| -> i64 {
        parquet
            .row_groups()
            .iter()
            .map(|g| g.column(root).compressed_size())
            .sum()
    };
    let mut by_size: Vec<(i64, usize)> = roots.iter().map(|&r| (size(r), r)).collect();
    by_size.sort_by(|a, b| b.cmp(a));
    let mut groups: Vec<(i64, Vec<usize>)> = vec![(0, Vec::new()); n];
    for (bytes, root) in by_size {
        let lightest = groups
            .iter_mut()
            .min_by_key(|(total, _)| *total)
            .expect("at least two groups");
        lightest.0 += bytes;
        lightest.1.push(root);
    }
    groups
        .into_iter()
        .map(|(_, mut group)| {
            group.sort_unstable();
            group
        })
        .filter(|g| !g.is_empty())
        .collect()
}

/// The batches of column groups read apart, put back together: batch by batch, the
/// columns in `roots` (file) order.
fn side_by_side(
    path: &Path,
    roots: &[usize],
    groups: &[Vec<usize>],
    parts: Vec<(SchemaRef, Vec<RecordBatch>)>,
) -> Result<(SchemaRef, Vec<RecordBatch>), ParquetFileError> {
    let join_error = |source| ParquetFileError::JoinBatches {
        path: path.to_path_buf(),
        source,
    };
    // Where each root's column is: (group, column within the group).
    let place: Vec<(usize, usize)> = roots
        .iter()
        .map(|root| {
            groups
                .iter()
                .enumerate()
                .find_map(|(g, group)| group.iter().position(|r| r == root).map(|c| (g, c)))
                .expect("every root is in a group")
        })
        .collect();
    let fields: Vec<arrow_schema::FieldRef> = place
        .iter()
        .map(|&(g, c)| parts[g].0.field(c).clone().into())
        .collect();
    let schema = std::sync::Arc::new(arrow_schema::Schema::new(fields));
    let n_batches = parts[0].1.len();
    if parts.iter().any(|(_, b)| b.len() != n_batches) {
        return Err(join_error(ArrowError::SchemaError(
            "column groups read in different numbers of batches".into(),
        )));
    }
    let batches = (0..n_batches)
        .map(|i| {
            let columns = place
                .iter()
                .map(|&(g, c)| parts[g].1[i].column(c).clone())
                .collect();
            RecordBatch::try_new(schema.clone(), columns).map_err(join_error)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((schema, batches))
}

/// The rows of each row group when all but the last have the same number (what every
/// writer we know produces), so batches of that size never straddle two groups.
fn row_group_rows(metadata: &parquet::file::metadata::ParquetMetaData) -> Option<usize> {
    let groups = metadata.row_groups();
    let first = groups.first()?.num_rows();
    let (last, middle) = groups.split_last()?;
    (first > 0 && middle.iter().all(|g| g.num_rows() == first) && last.num_rows() <= first)
        .then_some(first as usize)
}

/// Batches above this are read in pieces (Arrow's 32-bit string offsets cap one batch's
/// text at 2 GiB).
const MAX_BATCH_ROWS: usize = 4 * 1024 * 1024;

/// One batch from many (empty input gives an error naming the file). Column by column
/// (a column to a thread), each column's pieces freed once joined, so the copy costs a
/// column or two at a time rather than the whole table twice.
pub fn concat(path: &Path, mut batches: Vec<RecordBatch>) -> Result<RecordBatch, ParquetFileError> {
    if batches.len() == 1 {
        return Ok(batches.pop().expect("one batch"));
    }
    let Some(first) = batches.first() else {
        return Err(ParquetFileError::NoRows {
            path: path.to_path_buf(),
        });
    };
    let schema = first.schema();
    let join_error = |source| ParquetFileError::JoinBatches {
        path: path.to_path_buf(),
        source,
    };
    if let Some(other) = batches
        .iter()
        .find(|b| b.schema().fields() != schema.fields())
    {
        return Err(join_error(ArrowError::SchemaError(format!(
            "batches of different columns: {:?} and {:?}",
            schema.fields(),
            other.schema().fields()
        ))));
    }
    let mut pieces: Vec<Vec<arrow_array::ArrayRef>> = vec![Vec::new(); schema.fields().len()];
    for batch in batches {
        for (column, array) in pieces.iter_mut().zip(batch.columns()) {
            column.push(array.clone());
        }
    }
    // Columns joined in parallel, each column's pieces freed once it is joined.
    use rayon::prelude::*;
    let columns = pieces
        .into_par_iter()
        .map(|column| {
            let parts: Vec<&dyn arrow_array::Array> = column.iter().map(|a| a.as_ref()).collect();
            arrow_select::concat::concat(&parts)
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect::<Result<Vec<_>, _>>() // the first failure in column order
        .map_err(join_error)?;
    RecordBatch::try_new(schema, columns).map_err(join_error)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::sync::Arc;

    use arrow_array::Int32Array;
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    fn batch(name: &str, values: Vec<i32>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Int32, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from(values))]).unwrap()
    }

    #[test]
    fn columns_read_in_parallel_groups_come_back_whole_and_in_file_order() {
        use arrow_array::cast::AsArray;
        use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("groups.parquet");
        let rows: i32 = 10;
        let text = |prefix: &str| -> arrow_array::ArrayRef {
            Arc::new(arrow_array::StringArray::from_iter_values(
                (0..rows).map(|i| format!("{prefix}{}", i % 3)),
            ))
        };
        let schema = Arc::new(Schema::new(vec![
            Field::new("b", DataType::Utf8, false),
            Field::new("a", DataType::Int32, false),
            Field::new("c", DataType::Float64, false),
            Field::new("d", DataType::Utf8, false),
        ]));
        let table = RecordBatch::try_new(
            schema.clone(),
            vec![
                text("kernel-"),
                Arc::new(Int32Array::from_iter_values(0..rows)),
                Arc::new(arrow_array::Float64Array::from_iter_values(
                    (0..rows).map(|i| i as f64 / 2.0),
                )),
                text("site-"),
            ],
        )
        .unwrap();
        // Four row groups (3, 3, 3, 1 rows), so batches follow them.
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build();
        let mut writer =
            ArrowWriter::try_new(File::create(&path).unwrap(), schema, Some(props)).unwrap();
        writer.write(&table).unwrap();
        writer.close().unwrap();

        let metadata =
            ArrowReaderMetadata::load(&File::open(&path).unwrap(), ArrowReaderOptions::new())
                .unwrap();
        let groups = column_groups(&metadata, &[0, 1, 3], 4);
        assert!(groups.len() > 1, "the read is split: {groups:?}");
        assert_eq!(column_groups(&metadata, &[1], 4), vec![vec![1]]);

        let (file_schema, batches) =
            read_columns_coded(&path, Some(&["d", "a", "b"]), &["b"]).unwrap();
        assert_eq!(file_schema.fields().len(), 4, "the file's whole schema");
        assert_eq!(batches.len(), 4, "one batch a row group");
        let read = concat(&path, batches).unwrap();
        let names: Vec<String> = read
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["b", "a", "d"]);
        assert!(matches!(
            read.column(0).data_type(),
            DataType::Dictionary(..)
        ));
        let b = crate::table::cast::to_utf8(read.column(0)).unwrap();
        assert_eq!(&b, table.column(0).as_string::<i32>());
        assert_eq!(read.column(1).as_ref(), table.column(1).as_ref());
        assert_eq!(read.column(2).as_ref(), table.column(3).as_ref());
    }

    #[test]
    fn a_missing_file_is_open_with_the_io_error_as_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.parquet");
        let err = read_all(&path).unwrap_err();
        let ParquetFileError::Open { source, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(err.path(), path);
        assert_eq!(
            err.to_string(),
            format!("could not read {}", path.display())
        );
    }

    #[test]
    fn a_file_that_is_not_parquet_keeps_the_parquet_error_as_cause() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.parquet");
        std::fs::write(&path, b"these are not the bytes of a Parquet file").unwrap();
        let err = read_columns(&path, None).unwrap_err();
        assert!(
            matches!(err, ParquetFileError::ReadFooter { .. }),
            "{err:?}"
        );
        assert!(err
            .to_string()
            .ends_with("notes.parquet: not a readable Parquet file"));
        let cause = err
            .source()
            .expect("the Parquet error as source")
            .to_string();
        assert!(!cause.is_empty());
        // Through the crate's error: the same message, the same chain, exit code 3.
        let top: Error = err.into();
        assert_eq!(top.exit_code(), crate::error::exit::INPUT);
        assert!(top.to_string().ends_with("not a readable Parquet file"));
        assert_eq!(top.source().map(|s| s.to_string()), Some(cause));
    }

    #[test]
    fn batches_that_cannot_be_joined_say_so_with_the_arrow_error() {
        let path = Path::new("two.parquet");
        let text = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, false)])),
            vec![Arc::new(arrow_array::StringArray::from(vec!["x"]))],
        )
        .unwrap();
        let err = concat(path, vec![batch("a", vec![1]), text]).unwrap_err();
        assert!(
            matches!(err, ParquetFileError::JoinBatches { .. }),
            "{err:?}"
        );
        assert!(err.source().is_some());
        let err = concat(path, Vec::new()).unwrap_err();
        assert_eq!(err.to_string(), "two.parquet: has no rows");
    }

    #[test]
    fn a_table_round_trips_and_an_empty_file_reads_as_an_empty_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let mut w = TableWriter::create(&path, batch("a", vec![]).schema()).unwrap();
        w.write(&batch("a", vec![1, 2, 3])).unwrap();
        assert_eq!(w.finish().unwrap(), 3);
        let (_, batches) = read_all(&path).unwrap();
        assert_eq!(concat(&path, batches).unwrap().num_rows(), 3);
        let empty = dir.path().join("e.parquet");
        TableWriter::create(&empty, batch("a", vec![]).schema())
            .unwrap()
            .finish()
            .unwrap();
        let (_, batches) = read_all(&empty).unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].num_rows(), 0);
    }
}

//! Writing Arrow record batches to Parquet with zstd, batch by batch, so memory stays flat
//! however many rows a command produces. The file appears only once it is complete
//! ([`crate::atomic`]): a failed write leaves the previous file or none.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};

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
        let writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| write_error(path, e))?;
        Ok(TableWriter {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(batch)
            .map_err(|e| write_error(&self.path, e))
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
            .map_err(|e| write_error(&self.path, e))?;
        Ok((self.rows, file))
    }
}

/// An I/O failure underneath the Parquet writer keeps its `io::Error` as the cause (a full
/// disk reads as one); anything else is an encoding error.
fn write_error(path: &Path, e: parquet::errors::ParquetError) -> Error {
    match e {
        parquet::errors::ParquetError::External(source) => {
            match source.downcast::<std::io::Error>() {
                Ok(io) => Error::write(path, *io),
                Err(other) => Error::Encode {
                    path: path.to_path_buf(),
                    message: other.to_string(),
                },
            }
        }
        other => Error::Encode {
            path: path.to_path_buf(),
            message: other.to_string(),
        },
    }
}

/// Reads every batch of a Parquet file.
pub fn read_all(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    read_columns(path, None)
}

/// Reads a Parquet file in as few batches as it can (one when its rows fit a batch, so no
/// concatenation copies it again): every column, or only the top-level ones in `wanted`
/// (names the file lacks are left for the caller to report). Returns the file's full
/// schema, so callers can still check columns they did not read.
pub fn read_columns(path: &Path, wanted: Option<&[&str]>) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let file = File::open(path).map_err(|source| Error::ReadInput {
        path: path.to_path_buf(),
        source,
    })?;
    let builder = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| Error::invalid(path, format!("not a readable Parquet file: {e}")))?;
    let schema = builder.schema().clone();
    let rows = builder.metadata().file_metadata().num_rows().max(1) as usize;
    let builder = match wanted {
        Some(names) => {
            let roots = schema
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| names.contains(&f.name().as_str()))
                .map(|(i, _)| i);
            let mask = parquet::arrow::ProjectionMask::roots(builder.parquet_schema(), roots);
            builder.with_projection(mask)
        }
        None => builder,
    };
    let reader = builder
        .with_batch_size(rows.min(MAX_BATCH_ROWS))
        .build()
        .map_err(|e| Error::invalid(path, e.to_string()))?;
    let read_schema = arrow_array::RecordBatchReader::schema(&reader);
    let mut batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid(path, e.to_string()))?;
    // A file without rows is a table without rows (a night with no cases), not an error:
    // its one empty batch carries the columns read.
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(read_schema));
    }
    Ok((schema, batches))
}

/// Batches above this are read in pieces (Arrow's 32-bit string offsets cap one batch's
/// text at 2 GiB).
const MAX_BATCH_ROWS: usize = 4 * 1024 * 1024;

/// One batch from many (empty input gives an error naming the file).
pub fn concat(path: &Path, mut batches: Vec<RecordBatch>) -> Result<RecordBatch> {
    if batches.len() == 1 {
        return Ok(batches.pop().expect("one batch"));
    }
    let Some(first) = batches.first() else {
        return Err(Error::invalid(path, "has no rows"));
    };
    arrow_select::concat::concat_batches(&first.schema(), &batches)
        .map_err(|e| Error::invalid(path, e.to_string()))
}

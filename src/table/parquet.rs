//! Writing Arrow record batches to Parquet with zstd, batch by batch, so memory stays flat
//! however many rows a command produces.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};

/// A Parquet file being written; call [`TableWriter::finish`] to close it.
pub struct TableWriter {
    path: PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl TableWriter {
    pub fn create(path: &Path, schema: SchemaRef) -> Result<TableWriter> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::write(parent, e))?;
        }
        let file = File::create(path).map_err(|e| Error::write(path, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(3).expect("valid level"),
            ))
            // Bounded row groups keep the writer's buffered memory flat on huge scans.
            .set_max_row_group_row_count(Some(128 * 1024))
            .set_created_by(concat!("postmarket ", env!("CARGO_PKG_VERSION")).to_string())
            .build();
        let writer =
            ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| Error::Encode {
                path: path.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(TableWriter {
            path: path.to_path_buf(),
            writer,
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).map_err(|e| self.encode_error(e))
    }

    /// Closes the file and returns the number of rows written.
    pub fn finish(self) -> Result<u64> {
        let path = self.path;
        self.writer.close().map_err(|e| Error::Encode {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(self.rows)
    }

    fn encode_error(&self, e: parquet::errors::ParquetError) -> Error {
        Error::Encode {
            path: self.path.clone(),
            message: e.to_string(),
        }
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
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid(path, e.to_string()))?;
    Ok((schema, batches))
}

/// Batches above this are read in pieces (Arrow's 32-bit string offsets cap one batch's
/// text at 2 GiB).
const MAX_BATCH_ROWS: usize = 4 * 1024 * 1024;

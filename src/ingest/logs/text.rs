//! JSONL and CSV logs, decoded by arrow-json / arrow-csv in chunks of lines.
//!
//! A chunk decodes in one go; when it fails (a malformed line somewhere in it), its lines
//! are decoded one at a time so that exactly the bad lines are rejected, with their line
//! numbers, and the rest are kept. CSV records must not contain line breaks inside quoted
//! fields (inference logs do not need them); such a record is rejected by line.

use std::io::{BufRead, Cursor};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

use super::cells::ColumnMap;

/// Lines decoded per chunk.
const CHUNK_LINES: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Jsonl,
    Csv,
}

/// What a chunk decode yields: batches with the line number of each row, and bad lines.
pub enum Decoded {
    Rows { batch: RecordBatch, lines: Vec<u64> },
    Bad { line: u64, reason: String },
}

/// Reads a text log chunk by chunk, calling `each` for every decoded batch or bad line.
pub struct TextLog<R> {
    reader: R,
    format: TextFormat,
    schema: SchemaRef,
    next_line: u64,
}

impl<R: BufRead> TextLog<R> {
    /// For CSV, reads the header line first: its names decide the schema.
    pub fn new(mut reader: R, format: TextFormat, map: &ColumnMap) -> Result<Self, String> {
        let mut next_line = 1;
        let schema = match format {
            TextFormat::Jsonl => text_schema(map.source_names().into_iter().map(String::from)),
            TextFormat::Csv => {
                let mut header = Vec::new();
                loop {
                    header.clear();
                    let n = reader
                        .read_until(b'\n', &mut header)
                        .map_err(|e| format!("read: {e}"))?;
                    next_line += 1;
                    if n == 0 {
                        return Err("empty CSV file: no header line".into());
                    }
                    if !header.trim_ascii().is_empty() {
                        break;
                    }
                }
                let (names, _) = arrow_csv::reader::Format::default()
                    .with_header(true)
                    .infer_schema(Cursor::new(&header), Some(0))
                    .map_err(|e| format!("CSV header: {e}"))?;
                text_schema(names.fields().iter().map(|f| f.name().clone()))
            }
        };
        Ok(TextLog {
            reader,
            format,
            schema,
            next_line,
        })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Decodes the next chunk; `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<Decoded>>, String> {
        let mut lines: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut buf = Vec::new();
        while lines.len() < CHUNK_LINES {
            buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| format!("read after line {}: {e}", self.next_line - 1))?;
            if n == 0 {
                break;
            }
            let line = self.next_line;
            self.next_line += 1;
            if !buf.trim_ascii().is_empty() {
                lines.push((line, buf.trim_ascii_end().to_vec()));
            }
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let joined: Vec<&[u8]> = lines.iter().map(|(_, l)| l.as_slice()).collect();
        if let Ok(batch) = self.decode(&joined) {
            let numbers = lines.iter().map(|(n, _)| *n).collect();
            return Ok(Some(vec![Decoded::Rows {
                batch,
                lines: numbers,
            }]));
        }
        Ok(Some(
            lines
                .iter()
                .map(|(line, bytes)| match self.decode(&[bytes.as_slice()]) {
                    Ok(batch) => Decoded::Rows {
                        batch,
                        lines: vec![*line],
                    },
                    Err(e) => Decoded::Bad {
                        line: *line,
                        reason: match self.format {
                            TextFormat::Jsonl => format!("malformed JSON: {}", brief(&e)),
                            TextFormat::Csv => format!("malformed CSV record: {}", brief(&e)),
                        },
                    },
                })
                .collect(),
        ))
    }

    fn decode(&self, lines: &[&[u8]]) -> Result<RecordBatch, ArrowError> {
        let mut buf = Vec::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for line in lines {
            buf.extend_from_slice(line);
            buf.push(b'\n');
        }
        let rows = lines.len().max(1);
        let batch = match self.format {
            TextFormat::Jsonl => {
                let mut decoder = arrow_json::ReaderBuilder::new(self.schema.clone())
                    .with_coerce_primitive(true)
                    .with_batch_size(rows + 1)
                    .build_decoder()?;
                feed(&buf, |b| decoder.decode(b))?;
                decoder.flush()?
            }
            TextFormat::Csv => {
                let mut decoder = arrow_csv::ReaderBuilder::new(self.schema.clone())
                    .with_header(false)
                    .with_batch_size(rows + 1)
                    .build_decoder();
                feed(&buf, |b| decoder.decode(b))?;
                decoder.decode(&[])?;
                decoder.flush()?
            }
        };
        let batch = batch.unwrap_or_else(|| RecordBatch::new_empty(self.schema.clone()));
        if batch.num_rows() != lines.len() {
            return Err(ArrowError::ParseError(format!(
                "decoded {} rows from {} lines",
                batch.num_rows(),
                lines.len()
            )));
        }
        Ok(batch)
    }
}

fn feed(
    mut buf: &[u8],
    mut decode: impl FnMut(&[u8]) -> Result<usize, ArrowError>,
) -> Result<(), ArrowError> {
    while !buf.is_empty() {
        let used = decode(buf)?;
        if used == 0 {
            break;
        }
        buf = &buf[used..];
    }
    Ok(())
}

/// An all-text schema over the given column names.
fn text_schema(names: impl Iterator<Item = String>) -> SchemaRef {
    Arc::new(Schema::new(
        names
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ))
}

/// The parser's message, short and without a quoted copy of the line.
fn brief(e: &ArrowError) -> String {
    let text = e.to_string();
    let text = text
        .trim_start_matches("Json error: ")
        .trim_start_matches("Parser error: ");
    text.chars().take(120).collect()
}

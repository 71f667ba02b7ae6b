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
/// Bytes of lines held per chunk: with lines up to the cap, a chunk stays this small.
const CHUNK_BYTES: usize = 8 << 20;
/// The longest log line (JSONL) or record (CSV) read, by default: no inference record comes
/// near it; a longer line is a `too-long` reject, skipped without being held.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    Jsonl,
    Csv,
}

/// What a chunk decode yields: batches with the line number of each row, and bad lines.
pub enum Decoded {
    Rows {
        batch: RecordBatch,
        lines: Vec<u64>,
    },
    Bad {
        line: u64,
        reason: String,
    },
    /// A line longer than the cap: `bytes` were skipped up to its line break (or the end).
    TooLong {
        line: u64,
        bytes: u64,
    },
}

/// Reads a text log chunk by chunk, calling `each` for every decoded batch or bad line.
pub struct TextLog<R> {
    reader: R,
    format: TextFormat,
    schema: SchemaRef,
    next_line: u64,
    max_line: usize,
}

/// One line read with a cap on its length.
enum Line {
    End,
    /// The line is in the buffer (its line break included, if it had one).
    Read,
    /// The line was longer than the cap and was skipped: its length in bytes.
    Skipped(u64),
}

/// Reads up to and including the next `\n` into `buf` (cleared first), holding at most
/// `max` bytes: past that the rest of the line is read and dropped, never held.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    buf.clear();
    let (mut seen, mut skipping) = (0u64, false);
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (seen, skipping) {
                (0, _) => Line::End,
                (n, true) => Line::Skipped(n),
                _ => Line::Read,
            });
        }
        let (take, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !skipping && buf.len() + take > max {
            skipping = true;
            buf.clear();
            buf.shrink_to(64 << 10);
        }
        if !skipping {
            buf.extend_from_slice(&available[..take]);
        }
        seen += take as u64;
        reader.consume(take);
        if done {
            return Ok(if skipping {
                Line::Skipped(seen)
            } else {
                Line::Read
            });
        }
    }
}

impl<R: BufRead> TextLog<R> {
    /// For CSV, reads the header line first: its names decide the schema. A line longer
    /// than `max_line` bytes is a [`Decoded::TooLong`] (a header that long is an error).
    pub fn new(
        mut reader: R,
        format: TextFormat,
        map: &ColumnMap,
        max_line: usize,
    ) -> Result<Self, String> {
        let mut next_line = 1;
        let schema = match format {
            TextFormat::Jsonl => text_schema(map.source_names().into_iter().map(String::from)),
            TextFormat::Csv => {
                let mut header = Vec::new();
                loop {
                    let line = read_line(&mut reader, &mut header, max_line)
                        .map_err(|e| format!("read: {e}"))?;
                    next_line += 1;
                    match line {
                        Line::End => return Err("empty CSV file: no header line".into()),
                        Line::Skipped(n) => {
                            return Err(format!(
                                "the CSV header line is {n} bytes, longer than the {max_line}-byte limit (--max-line-kib)"
                            ))
                        }
                        Line::Read if !header.trim_ascii().is_empty() => break,
                        Line::Read => {}
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
            max_line,
        })
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Decodes the next chunk; `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<Decoded>>, String> {
        let mut lines: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut too_long: Vec<Decoded> = Vec::new();
        let mut buf = Vec::new();
        let mut held = 0;
        while lines.len() < CHUNK_LINES && held < CHUNK_BYTES {
            let read = read_line(&mut self.reader, &mut buf, self.max_line)
                .map_err(|e| format!("read after line {}: {e}", self.next_line - 1))?;
            let line = self.next_line;
            match read {
                Line::End => break,
                Line::Skipped(bytes) => too_long.push(Decoded::TooLong { line, bytes }),
                Line::Read if !buf.trim_ascii().is_empty() => {
                    held += buf.len();
                    lines.push((line, buf.trim_ascii_end().to_vec()));
                }
                Line::Read => {}
            }
            self.next_line += 1;
        }
        if lines.is_empty() {
            return Ok((!too_long.is_empty()).then_some(too_long));
        }
        let joined: Vec<&[u8]> = lines.iter().map(|(_, l)| l.as_slice()).collect();
        if let Ok(batch) = self.decode(&joined) {
            let numbers = lines.iter().map(|(n, _)| *n).collect();
            too_long.push(Decoded::Rows {
                batch,
                lines: numbers,
            });
            return Ok(Some(too_long));
        }
        too_long.extend(
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
                }),
        );
        Ok(Some(too_long))
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

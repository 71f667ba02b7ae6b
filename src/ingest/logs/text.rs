//! JSONL and CSV logs, decoded line by line into chunks of text cells.
//!
//! Every line is decoded on its own, so exactly the bad lines are rejected, with their line
//! numbers, and the rest are kept; the good lines of a chunk become one batch of text
//! columns (what [`super::cells`] reads). A JSONL line is one JSON object (serde_json); its
//! strings are cells, its numbers and booleans their literal text, `null` an empty cell,
//! fields the log does not map are ignored, and an object or array where a mapped field's
//! value should be is a malformed line. A CSV record is RFC 4180 fields (quoted with `"`,
//! `""` inside quotes a quote), as many as the header has; an empty field is an empty cell.
//! CSV records must not contain line breaks inside quoted fields (inference logs do not
//! need them); such a record is rejected by line.
//!
//! (These were arrow-json and arrow-csv decoders until issue 25: the two crates and the
//! regex engine arrow-csv pulls in were the tail of the build's critical path, for a few
//! dozen lines of parsing that this module now does itself.)

use std::borrow::Cow;
use std::io::BufRead;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

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
                let line = std::str::from_utf8(header.trim_ascii())
                    .map_err(|_| "the CSV header line is not UTF-8".to_string())?;
                let names = csv_fields(line).map_err(|e| format!("CSV header: {e}"))?;
                text_schema(names.into_iter().map(Cow::into_owned))
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
        // Good lines go into one batch until a bad one: the rows and the bad lines come out
        // in line order, so rejects keep the order of the file.
        let width = self.schema.fields().len();
        let mut columns: Vec<StringBuilder> = (0..width).map(|_| StringBuilder::new()).collect();
        let mut numbers = Vec::new();
        let mut out = too_long;
        for (line, bytes) in &lines {
            match self.decode(bytes) {
                Ok(cells) => {
                    for (column, cell) in columns.iter_mut().zip(cells) {
                        column.append_option(cell);
                    }
                    numbers.push(*line);
                }
                Err(reason) => {
                    self.flush(&mut columns, &mut numbers, &mut out)?;
                    out.push(Decoded::Bad {
                        line: *line,
                        reason: match self.format {
                            TextFormat::Jsonl => format!("malformed JSON: {}", brief(&reason)),
                            TextFormat::Csv => format!("malformed CSV record: {}", brief(&reason)),
                        },
                    });
                }
            }
        }
        self.flush(&mut columns, &mut numbers, &mut out)?;
        Ok(Some(out))
    }

    /// The rows decoded so far as one batch, when there are any.
    fn flush(
        &self,
        columns: &mut [StringBuilder],
        numbers: &mut Vec<u64>,
        out: &mut Vec<Decoded>,
    ) -> Result<(), String> {
        if numbers.is_empty() {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = columns
            .iter_mut()
            .map(|c| Arc::new(c.finish()) as ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| format!("decoded cells: {e}"))?;
        out.push(Decoded::Rows {
            batch,
            lines: std::mem::take(numbers),
        });
        Ok(())
    }

    /// One line's cells, in the schema's column order.
    fn decode<'a>(&self, line: &'a [u8]) -> Result<Vec<Option<Cow<'a, str>>>, String> {
        match self.format {
            TextFormat::Jsonl => json_cells(line, &self.schema),
            TextFormat::Csv => {
                let text = std::str::from_utf8(line).map_err(|e| format!("not UTF-8: {e}"))?;
                let fields = csv_fields(text)?;
                let want = self.schema.fields().len();
                if fields.len() != want {
                    return Err(format!(
                        "incorrect number of fields: expected {want}, got {}",
                        fields.len()
                    ));
                }
                Ok(fields
                    .into_iter()
                    .map(|f| (!f.is_empty()).then_some(f))
                    .collect())
            }
        }
    }
}

/// The cells of one JSONL line: the object's value for each column of `schema`, borrowed
/// from the line unless a string has an escape in it.
fn json_cells<'a>(line: &'a [u8], schema: &Schema) -> Result<Vec<Option<Cow<'a, str>>>, String> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let mut de = serde_json::Deserializer::from_slice(line);
    let raw = ObjectSeed { names: &names }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        // One line at a time: "at line 1 column 110" says only the column.
        .map_err(|e| e.to_string().replace(" at line 1 column ", " at column "))?;
    raw.into_iter()
        .zip(&names)
        .map(|(value, name)| {
            let Some(value) = value else {
                return Ok(None);
            };
            let text = value.get();
            match text.as_bytes().first() {
                Some(b'"') if !text.contains('\\') => {
                    Ok(Some(Cow::Borrowed(&text[1..text.len() - 1])))
                }
                Some(b'"') => serde_json::from_str::<String>(text)
                    .map(|s| Some(Cow::Owned(s)))
                    .map_err(|e| e.to_string()),
                Some(b'{') => Err(format!(
                    "field {name}: an object, expected a string or a number"
                )),
                Some(b'[') => Err(format!(
                    "field {name}: an array, expected a string or a number"
                )),
                _ if text == "null" => Ok(None),
                _ => Ok(Some(Cow::Borrowed(text))),
            }
        })
        .collect()
}

/// Reads one JSON object, keeping the raw value of each key in `names` (by position) and
/// skipping the others: no map, no string per key.
struct ObjectSeed<'n> {
    names: &'n [&'n str],
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_> {
    type Value = Vec<Option<&'de RawValue>>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = vec![None; self.names.len()];
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match self.names.iter().position(|n| *n == key.as_ref()) {
                Some(i) => out[i] = Some(map.next_value::<&'de RawValue>()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A key, borrowed when it has no escape.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

/// The fields of one CSV record: separated by commas; a field that starts with `"` runs to
/// the next lone `"` (`""` inside it is a quote), and anything after it up to the comma is
/// kept as written, as the csv crate does. Unquoted fields are borrowed from the line.
fn csv_fields(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        let mut field: Cow<str> = Cow::Borrowed("");
        if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices().peekable();
            let after = loop {
                match chars.next() {
                    Some((_, '"')) if chars.peek().map(|c| c.1) == Some('"') => {
                        chars.next();
                        text.push('"');
                    }
                    Some((i, '"')) => break i + 1,
                    Some((_, c)) => text.push(c),
                    None => return Err("a quoted field is not closed".into()),
                }
            };
            rest = &quoted[after..];
            field = Cow::Owned(text);
        }
        let (tail, more) = match rest.find(',') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if !tail.is_empty() {
            field = match field {
                Cow::Borrowed(_) => Cow::Borrowed(tail),
                Cow::Owned(mut s) => {
                    s.push_str(tail);
                    Cow::Owned(s)
                }
            };
        }
        fields.push(field);
        match more {
            Some(next) => rest = next,
            None => return Ok(fields),
        }
    }
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
fn brief(e: &str) -> String {
    e.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_follow_rfc_4180_on_one_line() {
        let f = |s: &str| -> Vec<String> {
            csv_fields(s)
                .unwrap()
                .into_iter()
                .map(Cow::into_owned)
                .collect()
        };
        assert_eq!(f("a,b,c"), ["a", "b", "c"]);
        assert_eq!(f("a,,c,"), ["a", "", "c", ""]);
        assert_eq!(
            f(r#""GE, Inc.","say ""hi""",x"#),
            ["GE, Inc.", r#"say "hi""#, "x"]
        );
        assert_eq!(f(r#"ab"c,"d"e"#), [r#"ab"c"#, "de"]);
        assert_eq!(f(""), [""]);
        assert!(csv_fields(r#"a,"open"#).is_err());
    }

    #[test]
    fn json_cells_keep_literals_and_refuse_what_is_not_a_cell() {
        let schema = text_schema(
            ["key", "score", "label", "absent"]
                .map(String::from)
                .into_iter(),
        );
        let cells = |s: &str| {
            json_cells(s.as_bytes(), &schema).map(|v| {
                v.into_iter()
                    .map(|c| c.map(Cow::into_owned))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            cells(r#"{"key":12345678901234567890,"score":0.50,"label":null,"other":{"a":1}}"#)
                .unwrap(),
            [
                Some("12345678901234567890".to_string()),
                Some("0.50".into()),
                None,
                None
            ]
        );
        assert_eq!(
            cells(r#"{"key":"1.2.\"3\"","score":true}"#).unwrap()[..2],
            [Some(r#"1.2."3""#.to_string()), Some("true".into())]
        );
        assert!(cells(r#"{"key":{"nested":1}}"#)
            .unwrap_err()
            .contains("field key: an object"));
        assert!(cells(r#"{"key":[1]}"#).unwrap_err().contains("an array"));
        assert!(cells("[1,2]").is_err());
        assert!(cells(r#"{"key":"a""#).is_err());
        assert!(cells(r#"{"key":"a"} trailing"#).is_err());
        // A key with an escape in it is still read.
        assert_eq!(
            cells(r#"{"k\u0065y":"x"}"#).unwrap()[0],
            Some("x".to_string())
        );
    }
}

//! The fuzz targets: how each makes an input and what it promises about the result.

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Date32Array, Float64Array, RecordBatch, StringArray};
use rand::{Rng, RngCore};

use super::mutate::{self, Mutation};
use crate::analysis::expr::Expr;
use crate::ingest::dicom::charset::CharacterSet;
use crate::ingest::dicom::fields::{self, Value};
use crate::ingest::dicom::{age, read, value};
use crate::ingest::logs::row::{self, RawRow, TimeCell};

/// Reject kinds the header reader may give; anything else breaks its promise.
pub const REJECT_KINDS: &[&str] = &[
    "io",
    "empty",
    "not-dicom",
    "truncated",
    "bad-length",
    "malformed",
    "too-deep",
    "too-many-elements",
    "too-large",
    "missing-uid",
    "bad-uid",
];

/// What to fuzz.
pub enum Target {
    /// The DICOM header reader on mutants of `seeds` (1–3 mutations each).
    Header {
        seeds: Vec<Vec<u8>>,
        max_header_bytes: usize,
    },
    /// The AS, DS, IS and DA parsers.
    Values,
    /// Character set decoding.
    Charset,
    /// Inference-log row validation.
    LogRow,
    /// The `--where` expression language: parse, print, bind, evaluate.
    Expr,
}

impl Target {
    pub fn name(&self) -> &'static str {
        match self {
            Target::Header { .. } => "header",
            Target::Values => "values",
            Target::Charset => "charset",
            Target::LogRow => "log-row",
            Target::Expr => "expr",
        }
    }

    /// One input, drawn from `rng`.
    pub fn generate(&self, rng: &mut impl RngCore) -> Vec<u8> {
        match self {
            Target::Header { seeds, .. } => {
                let seed = &seeds[rng.random_range(0..seeds.len())];
                let other = &seeds[rng.random_range(0..seeds.len())];
                let mut data = seed.clone();
                for _ in 0..rng.random_range(1..=3) {
                    let m = Mutation::ALL[rng.random_range(0..Mutation::ALL.len())];
                    data = mutate::apply(m, &data, other, rng);
                }
                data
            }
            Target::Values => words(rng, VALUE_WORDS, 3, ""),
            Target::Charset => {
                let term = CHARSET_TERMS[rng.random_range(0..CHARSET_TERMS.len())];
                let mut text = words(rng, TEXT_WORDS, 4, "");
                for _ in 0..rng.random_range(0..3) {
                    let i = rng.random_range(0..text.len().max(1));
                    text.insert(i.min(text.len()), rng.random());
                }
                let mut input = term.as_bytes().to_vec();
                input.push(0);
                input.extend(text);
                input
            }
            Target::LogRow => {
                // A valid row with zero to three cells replaced, so both sides are reached.
                let mut cells: Vec<Vec<u8>> =
                    VALID_ROW.iter().map(|c| c.as_bytes().to_vec()).collect();
                for _ in 0..rng.random_range(0..=3) {
                    let i = rng.random_range(0..cells.len());
                    cells[i] = words(rng, LOG_WORDS, 2, "");
                }
                cells.join(&b'\t')
            }
            Target::Expr => {
                // A grammatical expression, sometimes broken by a word swapped in.
                let mut text = expression(rng, 3);
                if rng.random_ratio(1, 4) {
                    let word = EXPR_WORDS[rng.random_range(0..EXPR_WORDS.len())];
                    let at = rng.random_range(0..=text.len());
                    let at = (0..=at)
                        .rev()
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(0);
                    text.insert_str(at, &format!(" {word} "));
                }
                text.into_bytes()
            }
        }
    }

    /// Runs the input; `Ok(outcome)` when the promise held, `Err(what broke)` otherwise.
    pub fn check(&self, input: &[u8]) -> Result<String, String> {
        match self {
            Target::Header {
                max_header_bytes, ..
            } => check_header(input, *max_header_bytes),
            Target::Values => check_values(&String::from_utf8_lossy(input)),
            Target::Charset => {
                let split = input.iter().position(|&b| b == 0).unwrap_or(0);
                let term = String::from_utf8_lossy(&input[..split]).to_string();
                let bytes = &input[(split + 1).min(input.len())..];
                match CharacterSet::from_terms(&[term.as_str()]).decode(bytes) {
                    Ok(text) if text.contains('\u{1b}') => Err("escape byte in text".into()),
                    Ok(_) => Ok("decoded".into()),
                    Err(_) => Ok("undecodable".into()),
                }
            }
            Target::LogRow => check_log_row(&String::from_utf8_lossy(input)),
            Target::Expr => check_expr(&String::from_utf8_lossy(input)),
        }
    }
}

/// Concatenates up to `n` words (sometimes mutated) from `vocabulary`.
fn words(rng: &mut impl RngCore, vocabulary: &[&str], n: usize, sep: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..rng.random_range(1..=n) {
        if i > 0 {
            out.extend(sep.as_bytes());
        }
        let mut word = vocabulary[rng.random_range(0..vocabulary.len())]
            .as_bytes()
            .to_vec();
        if rng.random_ratio(1, 8) && !word.is_empty() {
            let at = rng.random_range(0..word.len());
            word[at] = rng.random_range(0x20..0x7f);
        }
        out.extend(word);
    }
    out
}

/// The header reader's promise: a row whose text has no control characters and whose
/// numbers are finite, or a reject of a known kind with a reason.
pub fn check_header(input: &[u8], max_header_bytes: usize) -> Result<String, String> {
    let read = match read::read_header_from(input, input.len() as u64, max_header_bytes) {
        Ok(read) => read,
        Err(reject) => return reject_outcome(&reject),
    };
    let (row, _notes) = match fields::extract(&read.header, String::new(), &[]) {
        Ok(extracted) => extracted,
        Err(reject) => return reject_outcome(&reject),
    };
    for cell in &row.fields {
        match cell {
            Value::Text(t) if t.chars().any(char::is_control) => {
                return Err(format!("control character in {t:?}"))
            }
            Value::Number(v) if !v.is_finite() => return Err(format!("number {v}")),
            _ => {}
        }
    }
    Ok("row".into())
}

fn reject_outcome(reject: &read::FileReject) -> Result<String, String> {
    if !REJECT_KINDS.contains(&reject.kind) {
        return Err(format!("unknown reject kind {:?}", reject.kind));
    }
    if reject.reason.is_empty() {
        return Err(format!("{} without a reason", reject.kind));
    }
    Ok(reject.kind.to_string())
}

const VALUE_WORDS: &[&str] = &[
    "045Y",
    "006M",
    "010W",
    "003D",
    "45Y",
    "Y",
    "1.25",
    "-3e2",
    "1,5",
    "20230101",
    "2024.02.29",
    "19000229",
    "0",
    "999",
    "9999999999",
    "+",
    "-",
    ".",
    "e",
    "E",
    " ",
    "\0",
    "\\",
    "inf",
    "NaN",
    "00045Y",
    "12.0",
    "1e308",
    "1e309",
];

fn check_values(text: &str) -> Result<String, String> {
    if let Some(years) = age::parse_age_string(text) {
        if !(0.0..=999.0).contains(&years) {
            return Err(format!("age {years} from {text:?}"));
        }
    }
    if let Some(v) = value::parse_ds(text) {
        if !v.is_finite() {
            return Err(format!("DS {v} from {text:?}"));
        }
    }
    if let Some(v) = value::parse_is(text) {
        if value::parse_ds(text).is_none() && text.trim().parse::<i32>().is_err() {
            return Err(format!("IS {v} from {text:?} is not a number"));
        }
    }
    match age::parse_da(text) {
        Some(date) => {
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            if date.format("%Y%m%d").to_string() != digits {
                return Err(format!("DA {date} from {text:?}"));
            }
            Ok("date".into())
        }
        None => Ok("other".into()),
    }
}

const CHARSET_TERMS: &[&str] = &[
    "",
    "ISO_IR 100",
    "ISO_IR 144",
    "ISO_IR 148",
    "ISO_IR 13",
    "ISO_IR 166",
    "ISO_IR 192",
    "GB18030",
    "GBK",
    "ISO 2022 IR 87",
    "ISO 2022 IR 149",
    "ISO 2022 IR 58",
    "ISO 2022 IR 13",
];

const TEXT_WORDS: &[&str] = &[
    "CT",
    "\x1b$B%-%d%N%s\x1b(B",
    "\x1b$)C\u{b1}",
    "\x1b(J",
    "\x1b-A",
    "\x1b$(D",
    "\\",
    "^",
    "=",
    "\r\n",
    "Müller",
    "中国",
    "\x1b$B",
    "\x1b",
    "%-",
    " ",
];

const VALID_ROW: [&str; 9] = [
    "2024-05-01T08:00:00Z",
    "1.2.3",
    "m",
    "v1",
    "0.25",
    "0",
    "1",
    "ground-truth-v2",
    "12.5",
];

const LOG_WORDS: &[&str] = &[
    "2024-05-01T08:00:00Z",
    "2024-05-01T08:00:00",
    "1714550400",
    "1714550400000",
    "1e300",
    "-1",
    "0",
    "1",
    "0.5",
    "NaN",
    "inf",
    "",
    " ",
    "true",
    "1.0",
    "key",
    "m",
    "v1",
    "é",
];

fn check_log_row(text: &str) -> Result<String, String> {
    let cells: Vec<&str> = text.split('\t').collect();
    let cell = |i: usize| cells.get(i).copied().filter(|c| !c.is_empty());
    let raw = RawRow {
        timestamp: cell(0).map(TimeCell::Text),
        key: cell(1),
        model: cell(2),
        model_version: cell(3),
        score: cell(4),
        prediction: cell(5),
        label: cell(6),
        label_version: cell(7),
        latency_ms: cell(8),
    };
    match row::validate(&raw, 0.5) {
        Ok(row) if !(0.0..=1.0).contains(&row.score) => Err(format!("score {}", row.score)),
        Ok(_) => Ok("valid".into()),
        // Reasons quote at most 40 characters of a cell.
        Err(e) if e.reason.chars().count() > 200 => Err(format!("long reason {:?}", e.reason)),
        Err(e) => Ok(e.kind.to_string()),
    }
}

const EXPR_WORDS: &[&str] = &[
    "age",
    "sex",
    "manufacturer",
    "study_date",
    "contrast",
    "nope",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "(",
    ")",
    ",",
    "'GE'",
    "\"x\"",
    "'it\\'s'",
    "1",
    "-1.5e3",
    "true",
    "'2024-01-01'",
    "1e999",
    "'",
    "\\",
];

const IDENTS: &[&str] = &[
    "age",
    "sex",
    "manufacturer",
    "study_date",
    "contrast",
    "nope",
];
const LITERALS: &[&str] = &[
    "40",
    "-1.5e3",
    "'GE'",
    "\"F\"",
    "'it\\'s'",
    "true",
    "false",
    "'2024-01-01'",
    "1e999",
    "null",
];
const COMPARISONS: &[&str] = &["==", "!=", "<", "<=", ">", ">="];

/// A random expression of the `--where` grammar, nested at most `depth` deep.
fn expression(rng: &mut impl RngCore, depth: u32) -> String {
    let ident = IDENTS[rng.random_range(0..IDENTS.len())];
    let literal = |rng: &mut dyn RngCore| LITERALS[rng.random_range(0..LITERALS.len())];
    let leaf = match rng.random_range(0..4) {
        0 => format!("{ident} is {}null", if rng.random() { "not " } else { "" }),
        1 => {
            let items: Vec<&str> = (0..rng.random_range(1..4)).map(|_| literal(rng)).collect();
            let not = if rng.random() { "not " } else { "" };
            format!("{ident} {not}in ({})", items.join(", "))
        }
        _ => {
            let op = COMPARISONS[rng.random_range(0..COMPARISONS.len())];
            format!("{ident} {op} {}", literal(rng))
        }
    };
    if depth == 0 {
        return leaf;
    }
    match rng.random_range(0..5) {
        0 => format!("not {}", expression(rng, depth - 1)),
        1 => format!("({})", expression(rng, depth - 1)),
        2 => format!(
            "{} and {}",
            expression(rng, depth - 1),
            expression(rng, depth - 1)
        ),
        3 => format!(
            "{} or {}",
            expression(rng, depth - 1),
            expression(rng, depth - 1)
        ),
        _ => leaf,
    }
}

fn expr_batch() -> RecordBatch {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("age", Arc::new(Float64Array::from(vec![Some(40.0), None]))),
        (
            "manufacturer",
            Arc::new(StringArray::from(vec![Some("GE"), None])),
        ),
        (
            "sex",
            Arc::new(StringArray::from(vec![Some("F"), Some("M")])),
        ),
        (
            "study_date",
            Arc::new(Date32Array::from(vec![Some(19_000), None])),
        ),
        (
            "contrast",
            Arc::new(BooleanArray::from(vec![Some(true), None])),
        ),
    ];
    RecordBatch::try_from_iter(columns).expect("a valid batch")
}

fn check_expr(text: &str) -> Result<String, String> {
    let Ok(expr) = Expr::parse(text) else {
        return Ok("refused".into());
    };
    let shown = expr.to_string();
    match Expr::parse(&shown) {
        Ok(again) if again.to_string() == shown => {}
        Ok(again) => return Err(format!("{shown:?} prints back as {again}")),
        Err(e) => return Err(format!("{shown:?} does not parse: {e}")),
    }
    let batch = expr_batch();
    let Ok(bound) = expr.bind(&batch.schema(), &[]) else {
        return Ok("unbound".into());
    };
    match bound.evaluate(&batch) {
        Ok(mask) if mask.len() != batch.num_rows() => Err(format!("mask of {}", mask.len())),
        Ok(_) => Ok("evaluated".into()),
        Err(_) => Ok("evaluation-error".into()),
    }
}

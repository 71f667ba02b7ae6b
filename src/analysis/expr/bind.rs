//! Resolving identifiers against a schema (names first, then aliases) and checking each
//! comparison's types, so that [`Bound`] holds only comparisons the evaluator can run and
//! a mistyped config fails before any data is read.

use arrow_schema::{DataType, Schema, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::{ExprError, Ident, Literal, Node, Op, Span, Value};

/// An expression checked against a schema, ready to evaluate on batches of that schema.
#[derive(Debug, Clone)]
pub struct Bound {
    pub(super) root: Pred,
    pub(super) columns: Vec<BoundColumn>,
    pub(super) source: String,
}

impl Bound {
    /// The table columns read, aliases resolved, each once, in order of appearance.
    pub fn columns(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }
}

#[derive(Debug, Clone)]
pub(super) struct BoundColumn {
    pub name: String,
    pub data_type: DataType,
    /// Where the column is first named, for errors found at evaluation.
    pub span: Span,
}

/// `!=`, `not in` and `is not null` are `not` around `==`, `in` and `is null`: under
/// three-valued logic they are the same, and the evaluator has fewer cases.
#[derive(Debug, Clone)]
pub(super) enum Pred {
    Or(Vec<Pred>),
    And(Vec<Pred>),
    Not(Box<Pred>),
    Leaf { column: usize, test: Test },
}

#[derive(Debug, Clone)]
pub(super) enum Test {
    IsNull,
    /// Never `Op::Ne`.
    Compare(Op, Scalar),
    In(Vec<Scalar>),
}

/// A literal converted to its column's kind.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    Number {
        value: f64,
        int: Option<i64>,
    },
    Text(String),
    Bool(bool),
    /// Days since the epoch for a date column, ticks of the column's unit for a timestamp.
    Instant(i64),
}

/// How a column's values compare; every other Arrow type is rejected at bind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Bool,
    Date,
    Timestamp(TimeUnit),
}

impl Kind {
    fn of(data_type: &DataType) -> Option<Kind> {
        use DataType::*;
        Some(match data_type {
            Utf8 | LargeUtf8 | Utf8View => Kind::Text,
            Dictionary(_, value) if value.is_string() => Kind::Text,
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | UInt64 | Float32 | Float64 => {
                Kind::Number
            }
            Boolean => Kind::Bool,
            Date32 => Kind::Date,
            Timestamp(unit, _) => Kind::Timestamp(*unit),
            _ => return None,
        })
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "numeric",
            Kind::Bool => "boolean",
            Kind::Date => "date",
            Kind::Timestamp(_) => "timestamp",
        }
    }

    fn ordered(self) -> bool {
        !matches!(self, Kind::Text | Kind::Bool)
    }
}

pub(super) fn bind(
    root: &Node,
    source: &str,
    schema: &Schema,
    aliases: &[(&str, &str)],
) -> Result<Bound, ExprError> {
    let mut binder = Binder {
        source,
        schema,
        aliases,
        columns: Vec::new(),
    };
    let root = binder.compile(root)?;
    Ok(Bound {
        root,
        columns: binder.columns,
        source: source.to_string(),
    })
}

struct Binder<'a> {
    source: &'a str,
    schema: &'a Schema,
    aliases: &'a [(&'a str, &'a str)],
    columns: Vec<BoundColumn>,
}

impl Binder<'_> {
    fn error(&self, span: Span, message: impl Into<String>) -> ExprError {
        ExprError::at(span, message, self.source)
    }

    fn compile(&mut self, node: &Node) -> Result<Pred, ExprError> {
        let all = |b: &mut Self, items: &[Node]| -> Result<Vec<Pred>, ExprError> {
            items.iter().map(|n| b.compile(n)).collect()
        };
        Ok(match node {
            Node::Or(items) => Pred::Or(all(self, items)?),
            Node::And(items) => Pred::And(all(self, items)?),
            Node::Not(inner) => Pred::Not(Box::new(self.compile(inner)?)),
            Node::Compare {
                column,
                op,
                op_span,
                value,
            } => {
                let (index, kind) = self.column(column)?;
                let scalar = self.scalar(kind, index, value)?;
                if !kind.ordered() && !matches!(op, Op::Eq | Op::Ne) {
                    let name = &self.columns[index].name;
                    let message = format!(
                        "cannot order {} column {name}: `{}` needs a numeric, date or timestamp column (use ==, != or in (...))",
                        kind.noun(),
                        op.symbol(),
                    );
                    return Err(self.error(*op_span, message));
                }
                let negate = *op == Op::Ne;
                let op = if negate { Op::Eq } else { *op };
                negate_if(negate, leaf(index, Test::Compare(op, scalar)))
            }
            Node::In {
                column,
                negated,
                values,
            } => {
                let (index, kind) = self.column(column)?;
                let scalars = values
                    .iter()
                    .map(|v| self.scalar(kind, index, v))
                    .collect::<Result<_, _>>()?;
                negate_if(*negated, leaf(index, Test::In(scalars)))
            }
            Node::IsNull { column, negated } => {
                let (index, _) = self.column(column)?;
                negate_if(*negated, leaf(index, Test::IsNull))
            }
        })
    }

    /// The index into `self.columns` of the column `ident` names, and its kind.
    fn column(&mut self, ident: &Ident) -> Result<(usize, Kind), ExprError> {
        let name = match self.schema.field_with_name(&ident.name) {
            Ok(_) => ident.name.as_str(),
            Err(_) => match self.aliases.iter().find(|(alias, _)| *alias == ident.name) {
                Some((alias, target)) if self.schema.field_with_name(target).is_err() => {
                    let message = format!(
                        "alias {alias} stands for column {target}, which this table does not have"
                    );
                    return Err(self.error(ident.span, message));
                }
                Some((_, target)) => target,
                None => return Err(self.error(ident.span, self.unknown_column(&ident.name))),
            },
        };
        let field = self.schema.field_with_name(name).expect("resolved above");
        let Some(kind) = Kind::of(field.data_type()) else {
            let message = format!(
                "column {name} has type {}, which expressions cannot compare",
                field.data_type()
            );
            return Err(self.error(ident.span, message));
        };
        let index = match self.columns.iter().position(|c| c.name == name) {
            Some(index) => index,
            None => {
                self.columns.push(BoundColumn {
                    name: name.to_string(),
                    data_type: field.data_type().clone(),
                    span: ident.span,
                });
                self.columns.len() - 1
            }
        };
        Ok((index, kind))
    }

    fn unknown_column(&self, name: &str) -> String {
        let usable = self
            .schema
            .fields()
            .iter()
            .filter(|f| Kind::of(f.data_type()).is_some())
            .map(|f| f.name().as_str());
        let mut known = Vec::new();
        let mut candidates = Vec::new();
        for column in usable {
            let aliases: Vec<&str> = self
                .aliases
                .iter()
                .filter(|(_, target)| *target == column)
                .map(|(alias, _)| *alias)
                .collect();
            candidates.push(column);
            candidates.extend(&aliases);
            known.push(match aliases.is_empty() {
                true => column.to_string(),
                false => format!("{column} ({})", aliases.join(", ")),
            });
        }
        let suggestion = closest(name, &candidates)
            .map(|c| format!("; did you mean {c:?}?"))
            .unwrap_or_default();
        format!(
            "unknown column {name:?}{suggestion} (known: {})",
            known.join(", ")
        )
    }

    fn scalar(&self, kind: Kind, index: usize, literal: &Literal) -> Result<Scalar, ExprError> {
        let column = &self.columns[index].name;
        let mismatch = |hint: &str| {
            let what = match &literal.value {
                Value::Number { .. } => "a number".to_string(),
                Value::Text(text) => format!("text {text:?}"),
                Value::Bool(b) => format!("{b}"),
            };
            let message = format!(
                "cannot compare {} column {column} with {what}{hint}",
                kind.noun()
            );
            self.error(literal.span, message)
        };
        match (kind, &literal.value) {
            (Kind::Number, Value::Number { value, int, .. }) => Ok(Scalar::Number {
                value: *value,
                int: *int,
            }),
            (Kind::Number, Value::Text(text)) if text.trim().parse::<f64>().is_ok() => {
                Err(mismatch(&format!("; write the number without quotes: {}", text.trim())))
            }
            (Kind::Text, Value::Text(text)) => Ok(Scalar::Text(text.clone())),
            (Kind::Bool, Value::Bool(b)) => Ok(Scalar::Bool(*b)),
            (Kind::Bool, Value::Text(text)) => match text.to_ascii_lowercase().as_str() {
                "yes" | "true" => Ok(Scalar::Bool(true)),
                "no" | "false" => Ok(Scalar::Bool(false)),
                _ => Err(mismatch("; use true or false (or \"yes\" or \"no\")")),
            },
            (Kind::Date, Value::Text(text)) => match parse_date(text) {
                Some(date) => {
                    let epoch = DateTime::UNIX_EPOCH.date_naive();
                    Ok(Scalar::Instant((date - epoch).num_days()))
                }
                None => Err(mismatch("; write a date as \"YYYY-MM-DD\"")),
            },
            (Kind::Timestamp(unit), Value::Text(text)) => match parse_instant(text, unit) {
                Some(ticks) => Ok(Scalar::Instant(ticks)),
                None => Err(mismatch(
                    "; write \"YYYY-MM-DD\" or \"YYYY-MM-DDTHH:MM:SS\" (UTC unless it ends in an offset such as +02:00)",
                )),
            },
            (Kind::Date | Kind::Timestamp(_), Value::Number { .. }) => {
                Err(mismatch("; write the date in quotes, as in \"2024-06-30\""))
            }
            _ => Err(mismatch("")),
        }
    }
}

fn leaf(column: usize, test: Test) -> Pred {
    Pred::Leaf { column, test }
}

fn negate_if(negate: bool, pred: Pred) -> Pred {
    if negate {
        Pred::Not(Box::new(pred))
    } else {
        pred
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// `text` as ticks of `unit` since the epoch: a date is its midnight, a naive date-time
/// is UTC, an RFC 3339 one keeps its offset.
fn parse_instant(text: &str, unit: TimeUnit) -> Option<i64> {
    let text = text.trim();
    let utc = DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .ok()
        .or_else(|| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
                .or_else(|| parse_date(text).and_then(|d| d.and_hms_opt(0, 0, 0)))
                .map(|t| t.and_utc())
        })?;
    match unit {
        TimeUnit::Second => Some(utc.timestamp()),
        TimeUnit::Millisecond => Some(utc.timestamp_millis()),
        TimeUnit::Microsecond => Some(utc.timestamp_micros()),
        TimeUnit::Nanosecond => utc.timestamp_nanos_opt(),
    }
}

/// The candidate nearest to `name` by edit distance, ignoring case, if near enough to be
/// a typo (one edit per three characters, at most three).
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let name = name.to_lowercase();
    let limit = (name.chars().count() / 3).clamp(1, 3);
    candidates
        .iter()
        .map(|c| (levenshtein(&name, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

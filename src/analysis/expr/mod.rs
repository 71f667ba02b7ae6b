//! Subgroup expressions: the small filter language of `where:` in the config and of
//! `postmarket explore --where`, e.g. `manufacturer == "GE MEDICAL SYSTEMS" and age >= 65`.
//!
//! Three steps, one file each: [`Expr::parse`] turns text into a syntax tree (`lex.rs`,
//! `parse.rs`); [`Expr::bind`] resolves every identifier against a table schema and a list
//! of aliases and checks each comparison's types (`bind.rs`), so mistakes surface before
//! any data is read; [`Bound::evaluate`] computes one bool per row of a `RecordBatch` with
//! SQL's three-valued logic — a comparison with a missing value is *unknown*, `not unknown`
//! is unknown, and only rows that end up *true* are selected (`eval.rs`). Every error is an
//! [`ExprError`] that points at the offending bytes of the source. The language itself is
//! documented for users in `docs/expressions.md`.
//!
//! ```
//! use std::sync::Arc;
//! use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
//! use postmarket::analysis::expr::Expr;
//!
//! let batch = RecordBatch::try_from_iter([
//!     ("manufacturer", Arc::new(StringArray::from(vec![Some("GE"), Some("Siemens"), None])) as ArrayRef),
//!     ("patient_age_years", Arc::new(Float64Array::from(vec![Some(70.0), Some(80.0), Some(90.0)])) as ArrayRef),
//! ]).unwrap();
//! let expr = Expr::parse("manufacturer == 'GE' OR age > 75").unwrap();
//! assert_eq!(expr.to_string(), r#"manufacturer == "GE" or age > 75"#);
//! let bound = expr.bind(&batch.schema(), &[("age", "patient_age_years")]).unwrap();
//! let rows = bound.evaluate(&batch).unwrap();
//! assert_eq!(rows.iter().collect::<Vec<_>>(), [Some(true), Some(true), Some(true)]);
//! ```

mod bind;
mod error;
mod eval;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

pub use bind::Bound;
pub use error::ExprError;

/// A parsed expression; keeps its source text so later errors can point into it.
#[derive(Debug, Clone)]
pub struct Expr {
    root: Node,
    source: String,
}

impl Expr {
    /// Parses `text`; the error points at the first token that does not fit the grammar.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let root = parse::parse(text)?;
        Ok(Expr {
            root,
            source: text.to_string(),
        })
    }

    /// Checks every identifier and type against `schema`, resolving an identifier to the
    /// column of that exact name first and then to an `(alias, column)` pair.
    pub fn bind(
        &self,
        schema: &arrow_schema::Schema,
        aliases: &[(&str, &str)],
    ) -> Result<Bound, ExprError> {
        bind::bind(&self.root, &self.source, schema, aliases)
    }

    /// The identifiers used, as written (aliases unresolved), each once, in order of appearance.
    pub fn columns(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.root.visit_columns(&mut |ident| {
            if !names.contains(&ident.name) {
                names.push(ident.name.clone());
            }
        });
        names
    }

    /// The text this expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl std::str::FromStr for Expr {
    type Err = ExprError;
    fn from_str(text: &str) -> Result<Expr, ExprError> {
        Expr::parse(text)
    }
}

/// A byte range of the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Compare {
        column: Ident,
        op: Op,
        op_span: Span,
        value: Literal,
    },
    In {
        column: Ident,
        negated: bool,
        values: Vec<Literal>,
    },
    IsNull {
        column: Ident,
        negated: bool,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }

    /// Whether `left op right` holds given how they order.
    pub fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Eq => ordering == Equal,
            Op::Ne => ordering != Equal,
            Op::Lt => ordering == Less,
            Op::Le => ordering != Greater,
            Op::Gt => ordering == Greater,
            Op::Ge => ordering != Less,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Literal {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `text` is the lexeme as written, so display round-trips exactly; `int` is set when
    /// the number is a whole number within i64, for exact comparison with integer columns.
    Number {
        text: String,
        value: f64,
        int: Option<i64>,
    },
    Text(String),
    Bool(bool),
}

impl Node {
    fn visit_columns(&self, f: &mut impl FnMut(&Ident)) {
        match self {
            Node::Or(items) | Node::And(items) => items.iter().for_each(|n| n.visit_columns(f)),
            Node::Not(inner) => inner.visit_columns(f),
            Node::Compare { column, .. }
            | Node::In { column, .. }
            | Node::IsNull { column, .. } => f(column),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Node::Or(_) => 1,
            Node::And(_) => 2,
            Node::Not(_) => 3,
            _ => 4,
        }
    }

    /// Canonical text: lowercase keywords, double-quoted strings, parentheses only where
    /// precedence needs them, plus around the operand of `not` so it never reads as
    /// `(not x) == 1`.
    fn write(&self, f: &mut fmt::Formatter<'_>, parent: u8) -> fmt::Result {
        let wrap = self.precedence() < parent;
        if wrap {
            f.write_str("(")?;
        }
        match self {
            Node::Or(items) | Node::And(items) => {
                let joiner = if matches!(self, Node::Or(_)) {
                    " or "
                } else {
                    " and "
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(joiner)?;
                    }
                    item.write(f, self.precedence() + 1)?;
                }
            }
            Node::Not(inner) => {
                f.write_str("not ")?;
                match **inner {
                    Node::Not(_) => inner.write(f, 3)?,
                    _ => {
                        f.write_str("(")?;
                        inner.write(f, 0)?;
                        f.write_str(")")?;
                    }
                }
            }
            Node::Compare {
                column, op, value, ..
            } => write!(f, "{} {} {}", column.name, op.symbol(), value.value)?,
            Node::In {
                column,
                negated,
                values,
            } => {
                let not = if *negated { "not " } else { "" };
                write!(f, "{} {not}in (", column.name)?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", v.value)?;
                }
                f.write_str(")")?;
            }
            Node::IsNull { column, negated } => {
                let not = if *negated { "not " } else { "" };
                write!(f, "{} is {not}null", column.name)?;
            }
        }
        if wrap {
            f.write_str(")")?;
        }
        Ok(())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number { text, .. } => f.write_str(text),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Text(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    if c == '"' || c == '\\' {
                        f.write_str("\\")?;
                    }
                    write!(f, "{c}")?;
                }
                f.write_str("\"")
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.write(f, 0)
    }
}

//! The one error type of expressions: a message plus the byte range of the source it is
//! about, displayed with carets under that range.

use std::fmt;

use super::Span;

/// What went wrong, and where: `position` and `len` are a byte range of `source_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset in the source of the offending token (`source_text.len()` at end of input).
    pub position: usize,
    /// Byte length of the offending token; 0 for "nothing here" (end of input).
    pub len: usize,
    pub message: String,
    pub source_text: String,
}

impl ExprError {
    pub(crate) fn at(span: Span, message: impl Into<String>, source: &str) -> ExprError {
        ExprError {
            position: span.start,
            len: span.end.saturating_sub(span.start),
            message: message.into(),
            source_text: source.to_string(),
        }
    }
}

/// ```text
/// unknown column "agee" (known: patient_age_years (age), manufacturer)
///   agee >= 65
///   ^^^^
/// ```
impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Newlines and tabs would break the caret's alignment; a YAML block scalar can
        // carry either into the source.
        let shown: String = self
            .source_text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let chars_in = |range: std::ops::Range<usize>| {
            self.source_text.get(range).map_or(0, |s| s.chars().count())
        };
        let column = chars_in(0..self.position);
        let width = chars_in(self.position..self.position + self.len).max(1);
        writeln!(f, "{}", self.message)?;
        writeln!(f, "  {shown}")?;
        write!(f, "  {}{}", " ".repeat(column), "^".repeat(width))
    }
}

impl std::error::Error for ExprError {}

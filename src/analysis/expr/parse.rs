//! Recursive descent over the grammar in `docs/expressions.md`; `and`/`or` chains become
//! one n-ary node, so a long chain costs no recursion depth.

use super::lex::{Keyword, Lexer, Tok, Token};
use super::{ExprError, Ident, Literal, Node, Span};

/// Deeper nesting than any real subgroup needs; the limit keeps the recursion (and the
/// recursive drop, display and evaluation of the tree) far from the stack's end.
const MAX_DEPTH: usize = 64;

pub(super) fn parse(src: &str) -> Result<Node, ExprError> {
    let mut parser = Parser {
        src,
        lexer: Lexer::new(src),
        peeked: None,
    };
    if parser.peek()?.tok == Tok::End {
        let message = "empty expression: expected a condition such as `slice_thickness >= 3`";
        return Err(ExprError::at(Span { start: 0, end: 0 }, message, src));
    }
    let root = parser.or(0)?;
    let token = parser.next()?;
    match token.tok {
        Tok::End => Ok(root),
        Tok::RParen => Err(parser.error(token.span, "unmatched `)`")),
        _ => {
            let found = parser.describe(&token);
            let message =
                format!("unexpected {found} after a complete condition (missing `and` or `or`?)");
            Err(parser.error(token.span, message))
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<&Token, ExprError> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn next(&mut self) -> Result<Token, ExprError> {
        self.peek()?;
        Ok(self.peeked.take().expect("just peeked"))
    }

    fn eat_keyword(&mut self, keyword: Keyword) -> Result<Option<Span>, ExprError> {
        let token = self.peek()?;
        if token.tok == Tok::Keyword(keyword) {
            let span = token.span;
            self.peeked = None;
            return Ok(Some(span));
        }
        Ok(None)
    }

    fn error(&self, span: Span, message: impl Into<String>) -> ExprError {
        ExprError::at(span, message, self.src)
    }

    fn describe(&self, token: &Token) -> String {
        match token.tok {
            Tok::End => "end of input".to_string(),
            _ => format!("`{}`", &self.src[token.span.start..token.span.end]),
        }
    }

    fn too_deep(&self, span: Span, depth: usize) -> Result<(), ExprError> {
        if depth >= MAX_DEPTH {
            let message = format!("expression nested too deeply (more than {MAX_DEPTH} levels)");
            return Err(self.error(span, message));
        }
        Ok(())
    }

    fn or(&mut self, depth: usize) -> Result<Node, ExprError> {
        let mut items = vec![self.and(depth)?];
        while self.eat_keyword(Keyword::Or)?.is_some() {
            items.push(self.and(depth)?);
        }
        Ok(chain(items, Node::Or, |n| match n {
            Node::Or(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    fn and(&mut self, depth: usize) -> Result<Node, ExprError> {
        let mut items = vec![self.not(depth)?];
        while self.eat_keyword(Keyword::And)?.is_some() {
            items.push(self.not(depth)?);
        }
        Ok(chain(items, Node::And, |n| match n {
            Node::And(inner) => Ok(inner),
            other => Err(other),
        }))
    }

    fn not(&mut self, depth: usize) -> Result<Node, ExprError> {
        if let Some(span) = self.eat_keyword(Keyword::Not)? {
            self.too_deep(span, depth)?;
            return Ok(Node::Not(Box::new(self.not(depth + 1)?)));
        }
        self.atom(depth)
    }

    fn atom(&mut self, depth: usize) -> Result<Node, ExprError> {
        if self.peek()?.tok != Tok::LParen {
            return self.comparison();
        }
        let open = self.next()?.span;
        self.too_deep(open, depth)?;
        let inner = self.or(depth + 1)?;
        let token = self.next()?;
        match token.tok {
            Tok::RParen => Ok(inner),
            Tok::End => Err(self.error(open, "this `(` is never closed")),
            _ => {
                let found = self.describe(&token);
                Err(self.error(
                    token.span,
                    format!("expected `)`, `and` or `or`, found {found}"),
                ))
            }
        }
    }

    fn comparison(&mut self) -> Result<Node, ExprError> {
        let token = self.next()?;
        let column = match token.tok {
            Tok::Ident(name) => Ident {
                name,
                span: token.span,
            },
            Tok::Literal(_) => {
                let found = self.describe(&token);
                let message = format!(
                    "expected a column name, found the value {found}: write the column first, as in `kvp >= 120`"
                );
                return Err(self.error(token.span, message));
            }
            _ => {
                let found = self.describe(&token);
                let message = format!("expected a column name, found {found}");
                return Err(self.error(token.span, message));
            }
        };
        let token = self.next()?;
        match token.tok {
            Tok::Op(op) => Ok(Node::Compare {
                value: self.literal(&token)?,
                column,
                op,
                op_span: token.span,
            }),
            Tok::Keyword(Keyword::In) => self.list(column, false, token),
            Tok::Keyword(Keyword::Not) => {
                let after = self.next()?;
                if after.tok != Tok::Keyword(Keyword::In) {
                    let found = self.describe(&after);
                    let message = format!("expected `in` after `not`, found {found}");
                    return Err(self.error(after.span, message));
                }
                self.list(column, true, after)
            }
            Tok::Keyword(Keyword::Is) => {
                let negated = self.eat_keyword(Keyword::Not)?.is_some();
                let after = self.next()?;
                if after.tok != Tok::Keyword(Keyword::Null) {
                    let found = self.describe(&after);
                    let expected = if negated {
                        "`null`"
                    } else {
                        "`null` or `not null`"
                    };
                    let message = format!("expected {expected} after `is`, found {found}");
                    return Err(self.error(after.span, message));
                }
                Ok(Node::IsNull { column, negated })
            }
            _ => {
                let found = self.describe(&token);
                let message = format!(
                    "expected a comparison after `{}` (==, !=, <, <=, >, >=, in, not in, is null, is not null), found {found}",
                    column.name
                );
                Err(self.error(token.span, message))
            }
        }
    }

    /// The value after `after` (an operator, `(` or `,`).
    fn literal(&mut self, after: &Token) -> Result<Literal, ExprError> {
        let token = self.next()?;
        let previous = &self.src[after.span.start..after.span.end];
        match token.tok {
            Tok::Literal(value) => Ok(Literal {
                value,
                span: token.span,
            }),
            Tok::Ident(name) => {
                let message = format!(
                    "expected a value after `{previous}`, found the name `{name}`: quote text, as in \"{name}\" (columns cannot be compared with each other)"
                );
                Err(self.error(token.span, message))
            }
            _ => {
                let found = self.describe(&token);
                let message = format!(
                    "expected a value (a number or a quoted string) after `{previous}`, found {found}"
                );
                Err(self.error(token.span, message))
            }
        }
    }

    fn list(&mut self, column: Ident, negated: bool, keyword: Token) -> Result<Node, ExprError> {
        let open = self.next()?;
        if open.tok != Tok::LParen {
            let found = self.describe(&open);
            let message =
                format!("expected `(` after `in`, as in `in (\"a\", \"b\")`, found {found}");
            return Err(self.error(open.span, message));
        }
        if self.peek()?.tok == Tok::RParen {
            let close = self.next()?.span;
            let message = "empty list: `in` needs at least one value";
            return Err(self.error(open.span.to(close), message));
        }
        let mut values = vec![self.literal(&keyword)?];
        loop {
            let token = self.next()?;
            match token.tok {
                Tok::Comma => values.push(self.literal(&token)?),
                Tok::RParen => break,
                _ => {
                    let found = self.describe(&token);
                    let message = format!("expected `,` or `)` in the list, found {found}");
                    return Err(self.error(token.span, message));
                }
            }
        }
        Ok(Node::In {
            column,
            negated,
            values,
        })
    }
}

/// One node for a chain, with children that are chains of the same kind spliced in, so
/// that `a or (b or c)` and `a or b or c` have the same tree.
fn chain(
    items: Vec<Node>,
    make: fn(Vec<Node>) -> Node,
    same_kind: fn(Node) -> Result<Vec<Node>, Node>,
) -> Node {
    if items.len() == 1 {
        return items.into_iter().next().expect("one item");
    }
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match same_kind(item) {
            Ok(inner) => flat.extend(inner),
            Err(other) => flat.push(other),
        }
    }
    make(flat)
}

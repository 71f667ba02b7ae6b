//! Tokens of the expression language, read one at a time so that the first error reported
//! is the leftmost one.

use super::{ExprError, Op, Span, Value};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Keyword(Keyword),
    Literal(Value),
    Op(Op),
    LParen,
    RParen,
    Comma,
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    And,
    Or,
    Not,
    In,
    Is,
    Null,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    pub span: Span,
}

pub(super) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    fn peek_char(&self, ahead: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(ahead)
    }

    fn error(&self, start: usize, end: usize, message: impl Into<String>) -> ExprError {
        ExprError::at(Span { start, end }, message, self.src)
    }

    pub fn next_token(&mut self) -> Result<Token, ExprError> {
        while self.peek_char(0).is_some_and(char::is_whitespace) {
            self.pos += self.peek_char(0).map_or(0, char::len_utf8);
        }
        let start = self.pos;
        let Some(c) = self.peek_char(0) else {
            return Ok(self.token(Tok::End, start));
        };
        let next = self.peek_char(1);
        let starts_number = |c: char, next: Option<char>| {
            c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit()))
        };
        if c.is_ascii_alphabetic() || c == '_' {
            return Ok(self.word(start));
        }
        if starts_number(c, next) || (c == '-' && next.is_some_and(|n| starts_number(n, None))) {
            return self.number(start);
        }
        if c == '"' || c == '\'' {
            return self.string(start, c);
        }
        let two = self.src[start..].get(..2).unwrap_or("");
        let (tok, len) = match (c, two) {
            (_, "==") => (Tok::Op(Op::Eq), 2),
            (_, "!=") => (Tok::Op(Op::Ne), 2),
            (_, "<=") => (Tok::Op(Op::Le), 2),
            (_, ">=") => (Tok::Op(Op::Ge), 2),
            (_, "<>") => return Err(self.error(start, start + 2, "`<>` is written `!=` here")),
            (_, "&&") => return Err(self.error(start, start + 2, "`&&` is written `and` here")),
            (_, "||") => return Err(self.error(start, start + 2, "`||` is written `or` here")),
            ('<', _) => (Tok::Op(Op::Lt), 1),
            ('>', _) => (Tok::Op(Op::Gt), 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            (',', _) => (Tok::Comma, 1),
            ('=', _) => return Err(self.error(start, start + 1, "`=` is written `==` here")),
            ('!', _) => {
                return Err(self.error(start, start + 1, "`!` is written `not` (or `!=`) here"))
            }
            ('&', _) => return Err(self.error(start, start + 1, "`&` is written `and` here")),
            ('|', _) => return Err(self.error(start, start + 1, "`|` is written `or` here")),
            _ => {
                let end = start + c.len_utf8();
                return Err(self.error(start, end, format!("unexpected character `{c}`")));
            }
        };
        self.pos += len;
        Ok(self.token(tok, start))
    }

    fn token(&self, tok: Tok, start: usize) -> Token {
        Token {
            tok,
            span: Span {
                start,
                end: self.pos,
            },
        }
    }

    fn skip_while(&mut self, f: impl Fn(char) -> bool) {
        while let Some(c) = self.peek_char(0).filter(|&c| f(c)) {
            self.pos += c.len_utf8();
        }
    }

    fn word(&mut self, start: usize) -> Token {
        self.skip_while(|c| c.is_ascii_alphanumeric() || c == '_');
        let word = &self.src[start..self.pos];
        let tok = match word.to_ascii_lowercase().as_str() {
            "and" => Tok::Keyword(Keyword::And),
            "or" => Tok::Keyword(Keyword::Or),
            "not" => Tok::Keyword(Keyword::Not),
            "in" => Tok::Keyword(Keyword::In),
            "is" => Tok::Keyword(Keyword::Is),
            "null" => Tok::Keyword(Keyword::Null),
            "true" => Tok::Literal(Value::Bool(true)),
            "false" => Tok::Literal(Value::Bool(false)),
            _ => Tok::Ident(word.to_string()),
        };
        self.token(tok, start)
    }

    fn number(&mut self, start: usize) -> Result<Token, ExprError> {
        if self.peek_char(0) == Some('-') {
            self.pos += 1;
        }
        self.skip_while(|c| c.is_ascii_digit());
        if self.peek_char(0) == Some('.') {
            self.pos += 1;
            self.skip_while(|c| c.is_ascii_digit());
        }
        let exponent_digit = match (self.peek_char(1), self.peek_char(2)) {
            (Some('+' | '-'), Some(d)) | (Some(d), _) => d.is_ascii_digit(),
            _ => false,
        };
        if matches!(self.peek_char(0), Some('e' | 'E')) && exponent_digit {
            self.pos += 1;
            if matches!(self.peek_char(0), Some('+' | '-')) {
                self.pos += 1;
            }
            self.skip_while(|c| c.is_ascii_digit());
        }
        // `5mm`, `1.2.3`: one bad token is a clearer error than a number followed by junk.
        if self
            .peek_char(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            self.skip_while(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            let text = &self.src[start..self.pos];
            return Err(self.error(start, self.pos, format!("invalid number `{text}`")));
        }
        let text = &self.src[start..self.pos];
        let value: f64 = text
            .parse()
            .map_err(|_| self.error(start, self.pos, format!("invalid number `{text}`")))?;
        if !value.is_finite() {
            let message = format!("number `{text}` is out of range");
            return Err(self.error(start, self.pos, message));
        }
        // i64::MAX as f64 rounds up to 2^63, hence the strict bound.
        let int = text
            .parse::<i64>()
            .ok()
            .or_else(|| (value.fract() == 0.0 && value.abs() < 9.2e18).then_some(value as i64));
        let tok = Tok::Literal(Value::Number {
            text: text.to_string(),
            value,
            int,
        });
        Ok(self.token(tok, start))
    }

    fn string(&mut self, start: usize, quote: char) -> Result<Token, ExprError> {
        self.pos += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek_char(0) else {
                let message = format!("unterminated string: no closing {quote}");
                return Err(self.error(start, self.pos, message));
            };
            self.pos += c.len_utf8();
            match c {
                '\\' => match self.peek_char(0) {
                    Some(e @ ('"' | '\'' | '\\')) => {
                        text.push(e);
                        self.pos += 1;
                    }
                    other => {
                        let end = self.pos + other.map_or(0, char::len_utf8);
                        let message = r#"unknown escape: only \" \' and \\ are allowed in strings"#;
                        return Err(self.error(self.pos - 1, end, message));
                    }
                },
                c if c == quote => break,
                c => text.push(c),
            }
        }
        Ok(self.token(Tok::Literal(Value::Text(text)), start))
    }
}

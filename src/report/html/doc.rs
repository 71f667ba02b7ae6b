//! The page under construction, escaped by construction: markup can only be a
//! `&'static str` written in this program, and every other string — a DICOM manufacturer,
//! a subgroup label, a summary — goes through [`escape`] by being wrapped in [`T`].
//! Numbers are written by [`N`] (a coordinate) or as integers.

/// Builds the page; the `h!` macro appends pieces.
#[derive(Default)]
pub struct Doc {
    pub out: String,
    ids: usize,
}

impl Doc {
    /// A fresh id for an element (`chart-3`), unique within the page.
    pub fn id(&mut self, prefix: &'static str) -> String {
        self.ids += 1;
        format!("{prefix}-{}", self.ids)
    }
}

/// One piece of the page.
pub trait Piece {
    fn put(self, out: &mut String);
}

/// Markup: only string literals of this program are `&'static str`.
impl Piece for &'static str {
    fn put(self, out: &mut String) {
        out.push_str(self);
    }
}

/// Text from anywhere, escaped for both element content and quoted attribute values.
pub struct T<'a>(pub &'a str);

impl Piece for T<'_> {
    fn put(self, out: &mut String) {
        escape_into(self.0, out);
    }
}

/// An SVG coordinate or length, with at most one decimal.
#[derive(Clone, Copy)]
pub struct N(pub f64);

impl Piece for N {
    fn put(self, out: &mut String) {
        let v = if self.0.is_finite() { self.0 } else { 0.0 };
        let r = (v * 10.0).round() / 10.0;
        if r.fract() == 0.0 {
            out.push_str(&format!("{}", r as i64));
        } else {
            out.push_str(&format!("{r:.1}"));
        }
    }
}

impl Piece for usize {
    fn put(self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

impl Piece for u64 {
    fn put(self, out: &mut String) {
        out.push_str(&self.to_string());
    }
}

/// Appends pieces to a [`Doc`]: `h!(doc; "<p>", T(&name), "</p>")`.
macro_rules! h {
    ($doc:expr; $($piece:expr),* $(,)?) => {{
        let doc: &mut $crate::report::html::doc::Doc = &mut *$doc;
        $( $crate::report::html::doc::Piece::put($piece, &mut doc.out); )*
    }};
}
pub(crate) use h;

/// `s` with `& < > " '` replaced by character references.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(s, &mut out);
    out
}

fn escape_into(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let mut doc = Doc::default();
        h!(&mut doc; "<td title=\"", T("\"><img onerror=x>"), "\">", T("<script>&"), "</td>");
        assert_eq!(
            doc.out,
            "<td title=\"&quot;&gt;&lt;img onerror=x&gt;\">&lt;script&gt;&amp;</td>"
        );
        assert_eq!(escape("it's"), "it&#39;s");
    }

    #[test]
    fn coordinates_have_one_decimal_at_most() {
        let mut doc = Doc::default();
        h!(&mut doc; N(12.0), " ", N(3.26), " ", N(f64::NAN), " ", N(-0.04));
        assert_eq!(doc.out, "12 3.3 0 0");
        assert_ne!(doc.id("c"), doc.id("c"));
    }
}

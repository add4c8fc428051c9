//! The `jsonb` values of audit rows, kept as the JSON text PostgreSQL printed, and the few
//! walks over that text the readers need (an object's members, an array's elements, a
//! string's value, a compact or indented rendering). Every walk is a loop over tokens, never
//! a recursion, so no document is too deep to read or to show.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::{Decode, Type, TypeInfo, ValueRef};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// A `jsonb` value of an audit row, exactly as PostgreSQL stored it, as JSON text.
///
/// Reading a row never fails on what its JSON holds and never changes it: any depth
/// (PostgreSQL stores tens of thousands of levels, where `serde_json::Value` stops at 128
/// and recurses), any size, and numbers beyond `f64` (`1e400`, a fraction with 16,000
/// digits) keep every digit. [`parse`](Self::parse) reads it into a type of yours when you
/// know its shape; serialized with serde_json it is written as the JSON itself, not as a
/// string.
///
/// ```
/// use pg_audit_runtime::query::JsonText;
/// let total: JsonText = r#"{"total": 100000000000000000000000000001}"#.parse()?;
/// assert_eq!(total.as_str(), r#"{"total": 100000000000000000000000000001}"#);
/// let parsed: serde_json::Value = total.parse()?;
/// assert!(parsed["total"].is_number());
/// assert_eq!(serde_json::to_string(&total)?, total.as_str());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct JsonText(Box<RawValue>);

impl JsonText {
    /// The JSON text, as PostgreSQL printed it (`{"a": 1, "b": [true, null]}`).
    pub fn as_str(&self) -> &str {
        self.0.get()
    }

    /// Reads the JSON into `T` with serde_json, within its limits (128 levels of nesting;
    /// numbers as `u64`, `i64` or `f64` unless `T` says otherwise).
    pub fn parse<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.as_str())
    }

    /// Whether the value is JSON `null` (not SQL NULL, which reads as `None`).
    pub fn is_null(&self) -> bool {
        self.as_str() == "null"
    }
}

impl FromStr for JsonText {
    type Err = serde_json::Error;

    /// Checks that `text` is one JSON value (at any depth) and keeps it as it is.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RawValue::from_string(text.to_string()).map(JsonText)
    }
}

impl PartialEq for JsonText {
    /// The same text (PostgreSQL prints equal `jsonb` values the same way).
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for JsonText {}

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(JsonText)
    }
}

impl Type<Postgres> for JsonText {
    fn type_info() -> PgTypeInfo {
        <serde_json::Value as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <serde_json::Value as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for JsonText {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let binary_jsonb =
            value.format() == PgValueFormat::Binary && value.type_info().name() == "JSONB";
        let mut bytes = value.as_bytes()?;
        if binary_jsonb {
            // The binary form of jsonb is a version byte, then the text.
            match bytes.split_first() {
                Some((1, text)) => bytes = text,
                _ => return Err("unsupported jsonb format version (expected 1)".into()),
            }
        }
        Ok(std::str::from_utf8(bytes)?.parse()?)
    }
}

/// One token of JSON text known to be valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `{` or `[`.
    Open(u8),
    /// `}` or `]`.
    Close(u8),
    Comma,
    Colon,
    /// A string (with its quotes), a number, `true`, `false` or `null`.
    Scalar,
}

/// The tokens of a JSON text with their byte ranges.
struct Tokens<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens {
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    /// The byte range of the value whose first token is `first`: a scalar's own, or from an
    /// opening bracket to its matching close.
    fn value_span(&mut self, first: (Token, Range<usize>)) -> Option<Range<usize>> {
        match first {
            (Token::Scalar, range) => Some(range),
            (Token::Open(_), range) => {
                let mut depth = 1usize;
                for (token, inner) in self.by_ref() {
                    match token {
                        Token::Open(_) => depth += 1,
                        Token::Close(_) => {
                            depth -= 1;
                            if depth == 0 {
                                return Some(range.start..inner.end);
                            }
                        }
                        _ => {}
                    }
                }
                None
            }
            _ => None,
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = (Token, Range<usize>);

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.bytes;
        while bytes
            .get(self.at)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.at += 1;
        }
        let start = self.at;
        let token = match *bytes.get(start)? {
            b @ (b'{' | b'[') => Token::Open(b),
            b @ (b'}' | b']') => Token::Close(b),
            b',' => Token::Comma,
            b':' => Token::Colon,
            b'"' => {
                let mut i = start + 1;
                while let Some(&b) = bytes.get(i) {
                    match b {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
                self.at = (i + 1).min(bytes.len());
                return Some((Token::Scalar, start..self.at));
            }
            _ => {
                let mut i = start;
                while bytes.get(i).is_some_and(|b| {
                    !matches!(
                        b,
                        b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'[' | b']' | b'{' | b'}'
                    )
                }) {
                    i += 1;
                }
                self.at = i;
                return Some((Token::Scalar, start..i));
            }
        };
        self.at = start + 1;
        Some((token, start..self.at))
    }
}

/// The members of a JSON object, in the order stored, each key decoded and each value as
/// its JSON text; `None` when `text` is not an object.
pub(crate) fn members(text: &str) -> Option<Vec<(String, &str)>> {
    let mut tokens = Tokens::new(text);
    if tokens.next()?.0 != Token::Open(b'{') {
        return None;
    }
    let mut out = Vec::new();
    loop {
        let (token, key) = tokens.next()?;
        match token {
            Token::Close(_) => return Some(out),
            Token::Scalar => {}
            _ => return None,
        }
        let key = string(&text[key])?;
        if tokens.next()?.0 != Token::Colon {
            return None;
        }
        let first = tokens.next()?;
        let value = tokens.value_span(first)?;
        out.push((key, &text[value]));
        match tokens.next()?.0 {
            Token::Comma => {}
            Token::Close(_) => return Some(out),
            _ => return None,
        }
    }
}

/// The elements of a JSON array, each as its JSON text; `None` when `text` is not an array.
pub(crate) fn elements(text: &str) -> Option<Vec<&str>> {
    let mut tokens = Tokens::new(text);
    if tokens.next()?.0 != Token::Open(b'[') {
        return None;
    }
    let mut out = Vec::new();
    loop {
        let first = tokens.next()?;
        if let (Token::Close(_), _) = first {
            return Some(out);
        }
        let value = tokens.value_span(first)?;
        out.push(&text[value]);
        match tokens.next()?.0 {
            Token::Comma => {}
            Token::Close(_) => return Some(out),
            _ => return None,
        }
    }
}

/// The value of a JSON string, unescaped; `None` when `text` is not a string.
pub(crate) fn string(text: &str) -> Option<String> {
    if text.starts_with('"') {
        serde_json::from_str(text).ok()
    } else {
        None
    }
}

/// How [`render`] lays a JSON text out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// No whitespace at all: `{"a":[1,2]}`.
    Compact,
    /// serde_json's pretty form: one member or element a line, indented by two spaces.
    Indented,
}

/// `text` laid out as `layout` says, at most about `max_bytes` long: a longer rendering is
/// cut at a character boundary and ends with a note of the stored size.
pub(crate) fn render(text: &str, layout: Layout, max_bytes: usize) -> String {
    let mut out = Bounded {
        out: String::new(),
        max_bytes,
    };
    let pretty = layout == Layout::Indented;
    let mut depth = 0usize;
    let mut tokens = Tokens::new(text).peekable();
    while let Some((token, range)) = tokens.next() {
        let fits = match token {
            Token::Open(open) => {
                if let Some((Token::Close(_), _)) = tokens.peek() {
                    tokens.next();
                    out.push(if open == b'{' { "{}" } else { "[]" })
                } else {
                    depth += 1;
                    out.push(if open == b'{' { "{" } else { "[" }) && out.line(pretty, depth)
                }
            }
            Token::Close(close) => {
                depth = depth.saturating_sub(1);
                out.line(pretty, depth) && out.push(if close == b'}' { "}" } else { "]" })
            }
            Token::Comma => out.push(",") && out.line(pretty, depth),
            Token::Colon => out.push(if pretty { ": " } else { ":" }),
            Token::Scalar => out.push(&text[range]),
        };
        if !fits {
            out.out
                .push_str(&format!("… (cut; {} bytes of JSON stored)", text.len()));
            break;
        }
    }
    out.out
}

/// A string that takes pieces until it holds `max_bytes`.
struct Bounded {
    out: String,
    max_bytes: usize,
}

impl Bounded {
    /// Appends `piece`, or as much of it as fits; false when it did not fit whole.
    fn push(&mut self, piece: &str) -> bool {
        let room = self.max_bytes.saturating_sub(self.out.len());
        if piece.len() <= room {
            self.out.push_str(piece);
            return true;
        }
        let mut end = room;
        while !piece.is_char_boundary(end) {
            end -= 1;
        }
        self.out.push_str(&piece[..end]);
        false
    }

    /// A new line indented to `depth`, when the layout has lines.
    fn line(&mut self, pretty: bool, depth: usize) -> bool {
        if !pretty {
            return true;
        }
        let indent = depth.saturating_mul(2);
        if self.out.len().saturating_add(indent + 1) > self.max_bytes {
            return false;
        }
        self.out.push('\n');
        self.out.extend(std::iter::repeat_n(' ', indent));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HUGE: usize = 1 << 30;

    fn deep(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn text_is_kept_as_stored_whatever_its_numbers() {
        let big = format!(
            "{{\"n\": 1e400, \"f\": 0.{}1, \"i\": {}}}",
            "0".repeat(20_000),
            "9".repeat(500)
        );
        let kept: JsonText = big.parse().unwrap();
        assert_eq!(kept.as_str(), big);
        assert_eq!(
            serde_json::to_string(&kept).unwrap(),
            big,
            "serialized as the JSON itself"
        );
        let back: JsonText = serde_json::from_str(&big).unwrap();
        assert_eq!(back, kept);
        let members = members(kept.as_str()).unwrap();
        assert_eq!(members[0], ("n".to_string(), "1e400"));
        assert_eq!(members[1].1.len(), 20_003);
        assert!("{\"a\": }".parse::<JsonText>().is_err());
    }

    #[test]
    fn a_document_a_million_levels_deep_is_read_walked_and_shown_without_recursion() {
        let text = deep(1_000_000);
        let kept: JsonText = text.parse().expect("any depth is accepted");
        assert_eq!(elements(kept.as_str()).unwrap().len(), 1);
        assert_eq!(render(kept.as_str(), Layout::Compact, HUGE), text);
        let shown = render(kept.as_str(), Layout::Indented, 64 * 1024);
        assert!(shown.len() < 64 * 1024 + 100, "{}", shown.len());
        assert!(
            shown.ends_with("… (cut; 2000000 bytes of JSON stored)"),
            "{}",
            &shown[shown.len() - 60..]
        );
        let object = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        let kept: JsonText = object.parse().unwrap();
        let top = members(kept.as_str()).unwrap();
        assert_eq!(top.len(), 1);
        assert_eq!(top[0].1.len(), object.len() - 6);
        drop(kept);
    }

    #[test]
    fn members_and_elements_split_only_the_top_level() {
        let text = r#"{"a": [1, {"b": "x,y}"}], "k\"ey": "v", "e": {}}"#;
        let found = members(text).unwrap();
        assert_eq!(
            found,
            [
                ("a".to_string(), r#"[1, {"b": "x,y}"}]"#),
                ("k\"ey".to_string(), r#""v""#),
                ("e".to_string(), "{}"),
            ]
        );
        assert_eq!(elements(found[0].1).unwrap(), ["1", r#"{"b": "x,y}"}"#]);
        assert_eq!(elements("[]").unwrap(), Vec::<&str>::new());
        assert_eq!(members("{}").unwrap(), []);
        assert!(members("[1]").is_none() && elements("{}").is_none() && members("3").is_none());
        assert_eq!(string(r#""a\u00e9\n""#).as_deref(), Some("aé\n"));
        assert_eq!(string("12"), None);
    }

    #[test]
    fn rendering_matches_serde_json_for_ordinary_documents() {
        let value = json!({"a": [1, 2, {"b": null, "c": []}], "d": {}, "e": "x \" y", "f": -1.5});
        let stored = r#"{"a": [1, 2, {"b": null, "c": []}], "d": {}, "e": "x \" y", "f": -1.5}"#;
        assert_eq!(render(stored, Layout::Compact, HUGE), value.to_string());
        assert_eq!(
            render(stored, Layout::Indented, HUGE),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn a_long_rendering_is_cut_on_a_character_boundary_with_the_stored_size() {
        let stored = format!("[\"{}\"]", "é".repeat(100));
        let shown = render(&stored, Layout::Compact, 51);
        assert!(shown.starts_with("[\"éééé"));
        assert!(
            shown.ends_with("… (cut; 204 bytes of JSON stored)"),
            "{shown}"
        );
        assert_eq!(render(&stored, Layout::Compact, 1000), stored);
    }
}

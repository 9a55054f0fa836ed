//! Where the elements of a scenario file stand, taken from ron's own parse of it: every field
//! name and every string value, with its byte offset, in file order. Comments, and words inside
//! other words or strings, are never tokens, so a problem is never placed on them.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One token of the file: a field name (`dt` in `dt: 0.5`) or a string value (`S2` in
/// `name: "S2"`), with the field it is the value of.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    /// For a string: the field whose value (or list element) it is; for a field name: itself.
    field: String,
    text: String,
    is_key: bool,
    /// Byte offset of the token's first character (the opening quote of a string).
    at: usize,
}

/// The field names and string values of one scenario file, located by ron's parser.
#[derive(Debug, Default)]
pub struct Spans {
    tokens: Vec<Token>,
}

impl Spans {
    /// Parses `src` (as the scenario loader does, `implicit_some` on) and records its tokens;
    /// a file ron cannot parse gives the tokens read before the error.
    pub fn of(src: &str) -> Spans {
        let mut tokens = Vec::new();
        let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        if let Ok(mut de) = ron::Deserializer::from_str_with_options(src, &opts) {
            let _ = Walk {
                src,
                field: "",
                out: &mut tokens,
                depth: 0,
            }
            .deserialize(&mut de);
        }
        Spans { tokens }
    }

    /// Byte offset of the element `needle` names: a quoted name (`"S2"`) is the string that
    /// defines it (the value of a `name`, `kind` or `id` field) or else its first use; a bare
    /// word (`dt`) is the first field of that name.
    pub fn find(&self, needle: &str) -> Option<usize> {
        self.find_def(needle).or_else(|| self.find_use(needle))
    }

    /// Byte offset where the element `needle` names is defined: for a quoted name the string
    /// value of a `name`, `kind` or `id` field; for a bare word the first field of that name.
    pub fn find_def(&self, needle: &str) -> Option<usize> {
        if let Some(name) = needle.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
            (self.tokens.iter())
                .find(|t| !t.is_key && t.text == name && matches!(t.field.as_str(), "name" | "kind" | "id"))
                .map(|t| t.at)
        } else {
            self.tokens.iter().find(|t| t.is_key && t.text == needle).map(|t| t.at)
        }
    }

    /// Byte offset of the first string equal to the quoted name `needle` (None for a bare word).
    pub fn find_use(&self, needle: &str) -> Option<usize> {
        let name = needle.strip_prefix('"').and_then(|n| n.strip_suffix('"'))?;
        self.tokens.iter().find(|t| !t.is_key && t.text == name).map(|t| t.at)
    }
}

/// Line and column (1-based, in characters) of byte offset `at` of `src`.
pub fn line_col(src: &str, at: usize) -> (usize, usize) {
    let before = &src[..at.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Nesting deeper than this is not walked (ron itself bounds recursion too).
const MAX_DEPTH: usize = 64;

/// A visitor recording the tokens of one value and everything inside it.
struct Walk<'a, 's> {
    src: &'s str,
    field: &'a str,
    out: &'a mut Vec<Token>,
    depth: usize,
}

impl<'s> Walk<'_, 's> {
    /// Offset of a slice of the source (ron hands out borrowed slices for names and for strings
    /// without escapes); None for a string ron had to copy.
    fn offset(&self, s: &str) -> Option<usize> {
        let base = self.src.as_ptr() as usize;
        let p = s.as_ptr() as usize;
        (p >= base && p + s.len() <= base + self.src.len()).then(|| p - base)
    }
    fn child<'b>(&'b mut self, field: &'b str) -> Walk<'b, 's> {
        Walk {
            src: self.src,
            field,
            out: &mut *self.out,
            depth: self.depth + 1,
        }
    }
}

impl<'de, 's> DeserializeSeed<'de> for Walk<'_, 's>
where
    'de: 's,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.depth > MAX_DEPTH {
            return d.deserialize_ignored_any(de::IgnoredAny).map(|_| ());
        }
        d.deserialize_any(self)
    }
}

impl<'de, 's> Visitor<'de> for Walk<'_, 's>
where
    'de: 's,
{
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any RON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_char<E>(self, _: char) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<(), E> {
        // the slice is the text between the quotes: the element starts at the opening quote
        if let Some(at) = self.offset(s) {
            let at = if self.src[..at].ends_with('"') { at - 1 } else { at };
            self.out.push(Token {
                field: self.field.to_string(),
                text: s.to_string(),
                is_key: false,
                at,
            });
        }
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        DeserializeSeed::deserialize(self, d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        DeserializeSeed::deserialize(self, d)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let field = self.field;
        while seq.next_element_seed(self.child(field))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(Key {
            src: self.src,
            out: &mut *self.out,
        })? {
            map.next_value_seed(self.child(&key))?;
        }
        Ok(())
    }
}

/// A map key: a field name, recorded where the parser found it.
struct Key<'a, 's> {
    src: &'s str,
    out: &'a mut Vec<Token>,
}

impl<'de, 's> DeserializeSeed<'de> for Key<'_, 's>
where
    'de: 's,
{
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de, 's> Visitor<'de> for Key<'_, 's>
where
    'de: 's,
{
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<String, E> {
        let base = self.src.as_ptr() as usize;
        let p = s.as_ptr() as usize;
        if p >= base && p + s.len() <= base + self.src.len() {
            self.out.push(Token {
                field: s.to_string(),
                text: s.to_string(),
                is_key: true,
                at: p - base,
            });
        }
        Ok(s.to_string())
    }
    fn visit_str<E>(self, s: &str) -> Result<String, E> {
        Ok(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{Spans, line_col};

    fn at(src: &str, needle: &str) -> Option<(usize, usize)> {
        Spans::of(src).find(needle).map(|a| line_col(src, a))
    }

    #[test]
    fn an_element_is_found_where_the_parser_read_it_not_in_a_comment_or_another_word() {
        let src = "// the width, the dt and \"S2\" are explained here\n/* dt: \"S2\" /* nested */ dt */\n(sim: (dt: 0.5), rings: [(checkpoints: [\"S2\"])], checkpoints: [(name: \"S2\", arrivals: Count(3))], note: \"a // b\", x: \"S2\")";
        assert_eq!(at(src, "dt"), Some((3, 8)));
        // the definition (a `name`), not the earlier use in a ring's list
        assert_eq!(at(src, "\"S2\""), Some((3, 71)));
        assert_eq!(at(src, "x"), Some((3, 115)));
        assert_eq!(at(src, "width"), None);
        assert_eq!(at(src, "\"b\""), None);
        // the built-in scenario's step length: on the line that sets it
        let expo = crate::scenario::DEFAULT_SCENARIO;
        let (line, col) = at(expo, "dt").unwrap();
        let text = expo.lines().nth(line - 1).unwrap();
        assert!(
            text.chars().skip(col - 1).collect::<String>().starts_with("dt:"),
            "{text}"
        );
    }
}

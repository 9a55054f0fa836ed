//! Collecting a scenario's problems: each names its element and, where the file text is at hand,
//! its line and column; plus the small checks every section shares.

use super::model::{Distribution, Point};
use crate::error::{CordonError, Result};
use bevy::math::Vec2;

/// At most this many problems are listed.
const MAX_PROBLEMS: usize = 20;

/// One semantic problem; `anchor` is a snippet of the file to locate it by.
pub struct Problem {
    anchor: Option<String>,
    text: String,
}

/// The problems found in one scenario so far.
pub struct Checker<'a> {
    src: Option<&'a str>,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    /// A checker of the file text `src` (None: messages name the element, not a line).
    pub fn new(src: Option<&'a str>) -> Checker<'a> {
        Checker {
            src,
            problems: Vec::new(),
        }
    }
    /// Whether no problem was found so far.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
    /// A problem located by `anchor` (see [`locate`]).
    pub fn err(&mut self, anchor: Option<String>, text: String) {
        self.problems.push(Problem { anchor, text });
    }
    /// A problem about the element named `name`.
    pub fn named(&mut self, name: &str, text: String) {
        self.err(Some(format!("\"{name}\"")), text);
    }
    /// `Ok` when no problem was found.
    pub fn finish(self, file: &str) -> Result<()> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(self.into_error(file))
        }
    }
    /// The problems as one error, each with `file:line:column` where it can be located.
    pub fn into_error(self, file: &str) -> CordonError {
        let src = self.src;
        let total = self.problems.len();
        let mut problems: Vec<String> = self
            .problems
            .into_iter()
            .take(MAX_PROBLEMS)
            .map(
                |p| match p.anchor.as_deref().and_then(|a| src.and_then(|s| locate(s, a))) {
                    Some((l, c)) => format!("{file}:{l}:{c}: {}", p.text),
                    None => format!("{file}: {}", p.text),
                },
            )
            .collect();
        if total > MAX_PROBLEMS {
            problems.push(format!("{file}: … and {} more problems", total - MAX_PROBLEMS));
        }
        CordonError::Invalid {
            file: file.to_string(),
            problems,
        }
    }
}

/// Line and column (1-based) of the element `needle` names in the RON text `src`: a quoted name
/// (`"S2"`) is found as a string of the file, a bare word (`dt`) as a field name (`dt:`), never
/// inside a comment, and a field name before any other use of the word.
pub fn locate(src: &str, needle: &str) -> Option<(usize, usize)> {
    let code = mask_comments(src);
    let at = if needle.starts_with('"') {
        code.find(needle)
    } else {
        let word_at = |i: usize| {
            let before = code[..i].chars().next_back();
            let after = code[i + needle.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
        };
        let words: Vec<usize> = code
            .match_indices(needle)
            .map(|(i, _)| i)
            .filter(|&i| word_at(i))
            .collect();
        words
            .iter()
            .copied()
            .find(|&i| code[i + needle.len()..].trim_start().starts_with(':'))
            .or(words.first().copied())
    }?;
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, col))
}

/// `src` with every comment (`// …`, `/* … */`, nested) blanked out, strings kept; byte offsets
/// and line breaks are unchanged.
fn mask_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let (mut i, mut depth, mut in_str) = (0, 0usize, false);
    while i < b.len() {
        if in_str {
            match b[i] {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
            i += 1;
        } else if depth > 0 {
            if b[i..].starts_with(b"*/") {
                out[i] = b' ';
                out[i + 1] = b' ';
                depth -= 1;
                i += 2;
            } else if b[i..].starts_with(b"/*") {
                out[i] = b' ';
                out[i + 1] = b' ';
                depth += 1;
                i += 2;
            } else {
                if b[i] != b'\n' {
                    out[i] = b' ';
                }
                i += 1;
            }
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                out[i] = b' ';
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            out[i] = b' ';
            out[i + 1] = b' ';
            depth = 1;
            i += 2;
        } else {
            in_str = b[i] == b'"';
            i += 1;
        }
    }
    // only ASCII bytes of comments were replaced, but a comment may hold multi-byte characters
    // whose bytes became spaces one by one: every byte is now valid UTF-8 or a space
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A point of the file as a vector.
pub fn v2(p: Point) -> Vec2 {
    Vec2::new(p.0 as f32, p.1 as f32)
}

/// Whether both coordinates are finite.
pub fn finite_pt(p: Point) -> bool {
    p.0.is_finite() && p.1.is_finite()
}

/// `"a", "b"` (or `(none)`).
pub fn quote_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = names.map(|n| format!("\"{n}\"")).collect();
    if v.is_empty() { "(none)".into() } else { v.join(", ") }
}

/// Whether `name` may be a scenario's name: 1–100 letters, digits, '-', '_' or '.', not starting
/// with '.'. It becomes a folder under `out/` and a word in generated scripts, so nothing else.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.')
}

/// Checks a distribution's parameters (`speed`: values must be positive, else zero or more).
pub fn check_distribution(ck: &mut Checker, anchor: &str, label: &str, d: &Distribution, speed: bool) {
    let pos = |x: f64| x.is_finite() && x > 0.0;
    let nonneg = |x: f64| x.is_finite() && x >= 0.0;
    let ok_low = |x: f64| if speed { pos(x) } else { nonneg(x) };
    let bad = match d {
        Distribution::Fixed(x) => (!ok_low(*x)).then(|| format!("Fixed({x}) must be {}", if speed { "positive" } else { "zero or positive" })),
        Distribution::Uniform { min, max } => (!(ok_low(*min) && max.is_finite() && max >= min))
            .then(|| format!("Uniform needs {} min ≤ max, got min {min}, max {max}", if speed { "0 <" } else { "0 ≤" })),
        Distribution::Normal { mean, sd, min, max } => (!(mean.is_finite() && nonneg(*sd) && ok_low(*min) && max.is_finite() && max >= min))
            .then(|| format!("Normal needs a finite mean, sd ≥ 0 and {} min ≤ max, got mean {mean}, sd {sd}, min {min}, max {max}", if speed { "0 <" } else { "0 ≤" })),
        Distribution::Exponential { mean } => (!pos(*mean)).then(|| format!("Exponential mean must be positive, got {mean}")),
        Distribution::LogNormal { median, sigma } => (!(pos(*median) && nonneg(*sigma)))
            .then(|| format!("LogNormal needs median > 0 and sigma ≥ 0, got median {median}, sigma {sigma}")),
        Distribution::Rimea(_) => None,
    };
    if let Some(msg) = bad {
        ck.named(anchor, format!("{label}: {msg}"));
    }
}

#[cfg(test)]
mod tests {
    use super::locate;

    #[test]
    fn an_element_is_found_where_it_is_defined_not_in_a_comment_or_another_word() {
        let src = "// the width, the dt and \"S2\" are explained here\n/* dt: \"S2\" /* nested */ dt */\n(sim: (dt: 0.5), checkpoints: [(name: \"S2\")], note: \"a // b\", x: \"S2\")";
        assert_eq!(locate(src, "dt"), Some((3, 8)));
        assert_eq!(locate(src, "\"S2\""), Some((3, 39)));
        assert_eq!(locate(src, "x"), Some((3, 63)));
        assert_eq!(locate(src, "width"), None);
        // the built-in scenario's step length: on the line that sets it
        let expo = crate::scenario::DEFAULT_SCENARIO;
        let (line, _) = locate(expo, "dt").unwrap();
        let text = expo.lines().nth(line - 1).unwrap();
        assert!(
            text.trim_start().starts_with("dt:") || text.contains(" dt:") || text.contains("(dt:"),
            "{text}"
        );
    }
}

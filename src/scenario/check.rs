//! Collecting a scenario's problems: each names its element and, where the file text is at hand,
//! its line and column; plus the small checks every section shares.

use super::model::{Distribution, Point, VenueText};
use super::spans::{Spans, line_col};
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
    /// The venue file the scenario's venue came from (problems found in it are placed there).
    venue: Option<std::sync::Arc<VenueText>>,
    problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    /// A checker of the file text `src` (None: messages name the element, not a line).
    pub fn new(src: Option<&'a str>) -> Checker<'a> {
        Checker {
            src,
            venue: None,
            problems: Vec::new(),
        }
    }
    /// Places problems in the venue file `venue` too, where they are found there (an element
    /// defined in it, rather than in the scenario file).
    pub fn with_venue(mut self, venue: Option<std::sync::Arc<VenueText>>) -> Checker<'a> {
        self.venue = venue;
        self
    }
    /// Whether no problem was found so far.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
    /// A problem located by `anchor` (see [`Spans::find`]).
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
        // the files are parsed once more, for positions, only when there is a problem to place
        let mut files: Vec<(&str, &str, Spans)> = Vec::new();
        if let Some(src) = self.src {
            files.push((file, src, Spans::of(src)));
        }
        if let Some(v) = &self.venue {
            files.push((&v.label, &v.text, Spans::of(&v.text)));
        }
        let total = self.problems.len();
        let mut problems: Vec<String> = (self.problems.iter().take(MAX_PROBLEMS))
            .map(|p| {
                // where it is defined, in either file; else its first use
                let at = p.anchor.as_deref().and_then(|a| {
                    (files.iter())
                        .find_map(|(f, src, sp)| sp.find_def(a).map(|at| (*f, *src, at)))
                        .or_else(|| {
                            files
                                .iter()
                                .find_map(|(f, src, sp)| sp.find_use(a).map(|at| (*f, *src, at)))
                        })
                });
                match at {
                    Some((f, src, at)) => {
                        let (l, c) = line_col(src, at);
                        format!("{f}:{l}:{c}: {}", p.text)
                    }
                    None => format!("{file}: {}", p.text),
                }
            })
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

//! RON text to [`Scenario`]: syntax and schema errors become [`ParseError`]s with line, column and caret.

use super::limits::MAX_FILE_BYTES;
use super::model::Scenario;
use crate::error::{CordonError, ParseError, Result};
use std::path::Path;

/// The built-in default scenario, embedded in the binary.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/import_expo.ron");
/// Name shown for the built-in scenario in messages.
pub const DEFAULT_SCENARIO_FILE: &str = "<built-in>/scenarios/import_expo.ron";

/// Reads a scenario file's text: at most [`MAX_FILE_BYTES`] (a larger file, or an endless one
/// such as `/dev/zero`, is refused after reading one byte more), valid UTF-8.
pub fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let io = |source| CordonError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    // a regular file only: opening a pipe blocks until someone writes, a device may never end
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(io(std::io::Error::other("not a regular file")));
    }
    let f = std::fs::File::open(path).map_err(io)?;
    f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io(std::io::Error::other(format!(
            "larger than {MAX_FILE_BYTES} bytes, the limit for a scenario file"
        ))));
    }
    let file = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let prefix = String::from_utf8_lossy(valid);
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let source_line = prefix.rsplit('\n').next().unwrap_or("").to_string();
        CordonError::Parse(Box::new(ParseError {
            file: file.clone(),
            line,
            column,
            message: "the file is not valid UTF-8 text".into(),
            source_line,
        }))
    })?;
    Ok(text)
}

/// Reads and parses a scenario file.
pub fn load_file(path: &Path) -> Result<Scenario> {
    parse_str(&read_text(path)?, &path.display().to_string())
}

/// Parses scenario text; `file` is only used in messages.
pub fn parse_str(text: &str, file: &str) -> Result<Scenario> {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str::<Scenario>(text)
        .map_err(|e| {
            let line = e.span.start.line.max(1);
            let column = e.span.start.col.max(1);
            let source_line = text.lines().nth(line - 1).unwrap_or("").to_string();
            CordonError::Parse(Box::new(ParseError {
                file: file.to_string(),
                line,
                column,
                message: describe(&e.code),
                source_line,
            }))
        })
}

/// Turns ron's error codes into planner-facing sentences.
fn describe(code: &ron::Error) -> String {
    use ron::Error as E;
    match code {
        E::NoSuchStructField { expected, found, outer } => format!(
            "unknown field `{found}`{}; allowed fields: {}",
            outer.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default(),
            list(expected)
        ),
        E::NoSuchEnumVariant { expected, found, outer } => format!(
            "unknown variant `{found}`{}; expected one of: {}",
            outer.as_ref().map(|o| format!(" of `{o}`")).unwrap_or_default(),
            list(expected)
        ),
        E::MissingStructField { field, outer } => format!(
            "missing required field `{field}`{}",
            outer.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

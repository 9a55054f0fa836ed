//! Library error type: every way a scenario or a run can fail, with enough context for a planner.

use std::path::PathBuf;

/// Errors of the Cordon library.
#[derive(Debug, thiserror::Error)]
pub enum CordonError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// RON syntax or schema error, with position and a caret excerpt.
    #[error("{0}")]
    Parse(Box<ParseError>),
    /// One or more semantic problems found by validation.
    #[error("{}", format_invalid(.file, .problems))]
    Invalid {
        /// File (or `<built-in>`).
        file: String,
        /// Each problem starts with `file[:line:column]: ` and names the element and what is wrong.
        problems: Vec<String>,
    },
    /// Drawing a figure failed.
    #[error("{file}: cannot draw: {message}")]
    Figure {
        /// Figure file name.
        file: String,
        /// Cause.
        message: String,
    },
    /// The viewer failed (window, renderer or screenshot).
    #[error("viewer: {0}")]
    Viewer(String),
    /// A batch's parameters are wrong (a bad --set/--sweep path or value, a bad shard).
    #[error("{0}")]
    Batch(String),
    /// A command-line argument is out of range or cannot be used (exit 2, like a bad file).
    #[error("{0}")]
    Usage(String),
    /// A run was stopped (Ctrl-C) before its end; nothing was written.
    #[error("{0}")]
    Interrupted(String),
    /// Writing output failed.
    #[error("{path}: cannot write: {source}")]
    Write {
        /// File or folder.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

impl CordonError {
    /// Short one-word kind, used by tests.
    pub fn is_invalid_input(&self) -> bool {
        matches!(
            self,
            CordonError::Parse(_)
                | CordonError::Invalid { .. }
                | CordonError::Io { .. }
                | CordonError::Batch(_)
                | CordonError::Usage(_)
        )
    }
}

fn format_invalid(_file: &str, problems: &[String]) -> String {
    let mut s = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!("error: {p}"));
    }
    s
}

/// A syntax or schema error located in the source text.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// File name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// What went wrong and what was expected.
    pub message: String,
    /// The offending source line.
    pub source_line: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "error: {}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        let num = self.line.to_string();
        let pad = " ".repeat(num.len());
        // a window of the line around the column (a file may be one very long line)
        const SIDE: usize = 60;
        let chars: Vec<char> = self.source_line.chars().collect();
        let col = self.column.saturating_sub(1).min(chars.len());
        let from = col.saturating_sub(SIDE);
        let to = (col + SIDE).min(chars.len());
        let (head, tail) = (if from > 0 { "…" } else { "" }, if to < chars.len() { "…" } else { "" });
        let shown: String = chars[from..to].iter().collect();
        writeln!(f, "{pad} |")?;
        writeln!(f, "{num} | {head}{shown}{tail}")?;
        let caret_pad: String = head
            .chars()
            .chain(chars[from..col].iter().copied())
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "{pad} | {caret_pad}^")
    }
}

/// Result alias.
pub type Result<T, E = CordonError> = std::result::Result<T, E>;

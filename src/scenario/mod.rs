//! Scenario files: the data types, loading RON with spanned errors, the limits a file must keep,
//! and the one-time validation into the runtime world.

pub mod limits;
pub mod load;
pub mod model;
pub mod validate;

pub use limits::Limits;
pub use load::{DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE, load_file, parse_str, read_text};
pub use model::Scenario;
pub use validate::{Validated, validate, validate_with};

use crate::error::Result;
use std::path::Path;

/// Loads and validates a file in one go, within the default [`Limits`].
pub fn load_and_validate(path: &Path) -> Result<Validated> {
    load_and_validate_with(path, &Limits::default())
}

/// Loads and validates a file in one go, within `limits`.
pub fn load_and_validate_with(path: &Path, limits: &Limits) -> Result<Validated> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let sc = parse_str(&text, &file)?;
    validate_with(&sc, &file, Some(&text), limits)
}

/// Parses and validates the built-in default scenario.
pub fn default_scenario() -> Result<Validated> {
    let sc = parse_str(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE)?;
    validate(&sc, DEFAULT_SCENARIO_FILE, Some(DEFAULT_SCENARIO))
}

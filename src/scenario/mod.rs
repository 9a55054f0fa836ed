//! Scenario plugin: owns the scenario data types, loading RON with spanned errors, and the
//! one-time validation into the runtime world.

pub mod load;
pub mod model;
pub mod validate;

pub use load::{DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE, load_file, parse_str};
pub use model::Scenario;
pub use validate::{Validated, validate};

use crate::error::Result;
use std::path::Path;

/// Loads and validates a file in one go.
pub fn load_and_validate(path: &Path) -> Result<Validated> {
    let text = std::fs::read(path).map_err(|source| crate::error::CordonError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let sc = load_file(path)?;
    let text = String::from_utf8_lossy(&text);
    validate(&sc, &path.display().to_string(), Some(&text))
}

/// Parses and validates the built-in default scenario.
pub fn default_scenario() -> Result<Validated> {
    let sc = parse_str(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE)?;
    validate(&sc, DEFAULT_SCENARIO_FILE, Some(DEFAULT_SCENARIO))
}

//! Helpers shared by the integration tests: load a scenario, build a headless simulation, step it.
#![allow(dead_code)]

use cordon::prelude::*;
use std::path::{Path, PathBuf};

/// Path of a file under `tests/scenarios/`.
pub fn scenario_path(name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name)
    }
}

/// Loads and validates a file under `tests/scenarios/`, panicking with the error text.
pub fn load(name: &str) -> Validated {
    cordon::build::load_and_validate(&scenario_path(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// Parses and validates scenario text.
pub fn from_text(text: &str) -> Validated {
    let sc = parse_str(text, "<test>").unwrap_or_else(|e| panic!("{e}"));
    validate(&sc, "<test>", Some(text)).unwrap_or_else(|e| panic!("{e}"))
}

/// A serial simulation with the given seed.
pub fn sim(v: &Validated, seed: u64) -> Simulation {
    Simulation::new(
        v,
        &SimOptions {
            seed: Some(seed),
            threads: 1,
            ..Default::default()
        },
    )
}

/// Positions of all walking agents, by agent id.
pub fn positions(w: &bevy::prelude::World) -> Vec<(u32, bevy::math::Vec2)> {
    cordon::validation::positions(w)
}

/// The error text of scenario text that should fail `check` (empty if it passes).
pub fn error_of(text: &str) -> String {
    parse_str(text, "t.ron")
        .and_then(|sc| validate(&sc, "t.ron", Some(text)).map(|_| ()))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

//! Every shipped scenario under `scenarios/` passes `check` and runs (shortened to its first
//! simulated minutes), producing a report; the built-in default is the file `scenarios/import_expo.ron`.

mod common;

use cordon::prelude::*;
use std::path::Path;

#[test]
fn every_shipped_scenario_runs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for f in files {
        let v = cordon::scenario::load_and_validate(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let mut sim = Simulation::new(
            &v,
            &SimOptions {
                until: Some(120.0),
                threads: 1,
                ..Default::default()
            },
        );
        let r = sim.run(|_, _| {});
        assert!(r.run.simulated_s > 0.0, "{}", f.display());
        assert_eq!(
            r.totals.spawned,
            r.totals.exited + r.totals.present_at_end,
            "{}: agents lost",
            f.display()
        );
        eprintln!("{}: {} steps, {} entered", f.display(), r.run.steps, r.totals.spawned);
    }
}

#[test]
fn the_built_in_default_is_the_import_expo() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/import_expo.ron"))
        .unwrap_or_default();
    assert_eq!(text, cordon::scenario::DEFAULT_SCENARIO);
}

//! Golden file: the full report of the RiMEA 6 corner scenario is pinned byte for byte.
//! After an intended change of the model or the report, regenerate with
//! `CORDON_BLESS=1 cargo test --release --test golden` (the run then fails once, on purpose),
//! check the diff of `tests/golden/rimea6_report.json`, and commit it.

mod common;

use std::path::Path;

#[test]
fn rimea6_report_matches_golden_file() {
    let v = common::load("rimea6_corner.ron");
    let mut sim = common::sim(&v, 6);
    let report = sim.run(|_| {}).to_json();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/rimea6_report.json");
    if std::env::var_os("CORDON_BLESS").is_some() {
        std::fs::write(&path, &report).unwrap_or_else(|e| panic!("{e}"));
        panic!(
            "golden file rewritten ({}); unset CORDON_BLESS and rerun",
            path.display()
        );
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if golden != report {
        let line = golden
            .lines()
            .zip(report.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |k| k + 1);
        panic!(
            "report differs from {} from line {line} on; if intended, regenerate with CORDON_BLESS=1",
            path.display()
        );
    }
}

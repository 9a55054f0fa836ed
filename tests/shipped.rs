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
        // a venue file is part of the scenarios that name it, not one of its own
        .filter(|p| !p.to_string_lossy().ends_with(".venue.ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "{files:?}");
    for f in files {
        let v = cordon::build::load_and_validate(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let mut sim = Simulation::new(
            &v,
            &SimOptions {
                until: Some(120.0),
                threads: 1,
                ..Default::default()
            },
        );
        let r = sim.run(|_| {});
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

/// `cordon run` without a file runs the Import Expo: its first 30 s give the same report.json as
/// `cordon run scenarios/import_expo.ron`, and not the same as another shipped scenario.
#[test]
fn the_built_in_default_is_the_import_expo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let report = |file: Option<&str>, out: &str| {
        let out = tmp.path().join(out);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"));
        cmd.arg("run");
        if let Some(f) = file {
            cmd.arg(root.join(f));
        }
        let o = cmd
            .args(["--quiet", "--until", "30", "--threads", "1", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("report.json")).unwrap()
    };
    let built_in = report(None, "built-in");
    let json: serde_json::Value = serde_json::from_str(&built_in).unwrap();
    assert!(json["totals"]["spawned"].as_u64().unwrap() > 0, "{built_in}");
    assert_eq!(built_in, report(Some("scenarios/import_expo.ron"), "file"));
    assert_ne!(built_in, report(Some("scenarios/entrance_plaza.ron"), "other"));
}

/// Each contingency variant (the Import Expo's, the stadium's) is its scenario with a timeline:
/// from `sim` on, the two files agree line for line except its timeline (so a change to the one
/// cannot silently leave the other behind), and its timeline is valid.
#[test]
fn the_contingency_variants_are_their_scenarios_plus_a_timeline() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    let from_sim = |t: &str| -> Vec<String> {
        let body = &t[t.find("    sim: (").unwrap_or_else(|| panic!("no sim"))..];
        let mut out = Vec::new();
        let mut in_timeline = false;
        for line in body.lines() {
            if line == "    timeline: [" {
                in_timeline = true;
            } else if in_timeline {
                in_timeline = line != "    ],";
            } else {
                out.push(line.to_string());
            }
        }
        out
    };
    for (base, variant, entries) in [
        ("import_expo.ron", "import_expo_contingency.ron", 2),
        ("stadium_concert.ron", "stadium_concert_contingency.ron", 1),
    ] {
        let (text, with) = (read(base), read(variant));
        assert!(with.contains("    timeline: ["));
        assert_eq!(from_sim(&text), from_sim(&with), "{variant} has drifted from {base}");
        let v = cordon::build::load_and_validate(&dir.join(variant)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.scenario.timeline.len(), entries, "{variant}");
    }
}

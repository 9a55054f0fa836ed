//! `cordon check` and the loader: bad input gets a clear message naming file, line and column
//! or the offending element, exit code 2, and never a panic, whatever the bytes.

mod common;

use cordon::CordonError;
use cordon::build::validate;
use cordon::scenario::parse_str;
use rand::{Rng, SeedableRng};
use std::path::Path;
use std::process::Command;

const GOOD: &str = include_str!("../scenarios/entrance_plaza.ron");

fn check_text(text: &str) -> Result<(), CordonError> {
    let sc = parse_str(text, "t.ron")?;
    validate(&sc, "t.ron", Some(text)).map(|_| ())
}

fn err_text(text: &str) -> String {
    let msg = common::error_of(text);
    assert!(!msg.is_empty(), "expected an error");
    msg
}

#[test]
fn syntax_error_has_line_column_and_caret() {
    let text = GOOD.replacen("dt: 0.05,", "dt: 0.05,,", 1);
    let msg = err_text(&text);
    let line = text.lines().position(|l| l.contains("dt: 0.05,,")).unwrap_or(0) + 1;
    assert!(msg.contains(&format!("t.ron:{line}:")), "{msg}");
    assert!(msg.contains('^'), "no caret: {msg}");
    assert!(msg.contains("dt: 0.05,,"), "offending line not shown: {msg}");
}

#[test]
fn unknown_field_names_it_and_lists_allowed_ones() {
    let text = GOOD.replacen("seed: 42", "seed: 42, sead: 1", 1);
    let msg = err_text(&text);
    assert!(msg.contains("unknown field `sead`"), "{msg}");
    assert!(
        msg.contains("`seed`") && msg.contains("`dt`") && msg.contains("`stop_when_empty`"),
        "{msg}"
    );
}

#[test]
fn missing_field_and_bad_variant_are_named() {
    let msg = err_text(&GOOD.replacen(
        "destinations: [(target: \"hall-west-door\"), (target: \"hall-east-door\")],",
        "",
        1,
    ));
    assert!(msg.contains("missing required field `destinations`"), "{msg}");
    let msg = err_text(&GOOD.replacen("Circle((60, 8), 3.0)", "Square((60, 8), 3.0)", 1));
    assert!(
        msg.contains("unknown variant `Square`") && msg.contains("`Polygon`"),
        "{msg}"
    );
}

#[test]
fn semantic_errors_name_the_element() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "source: \"car-park\",",
            "source: \"car-prk\",",
            "source \"car-prk\" is not defined",
        ),
        (
            "(target: \"hall-west-door\", weight: 2)",
            "(target: \"hall-north-door\", weight: 2)",
            "target \"hall-north-door\" is not defined",
        ),
        ("rate: 2.0)", "rate: -2.0)", "must be positive"),
        ("dt: 0.05", "dt: 0.0", "sim.dt must be a positive"),
        ("sd: 0.2, min: 0.6", "sd: 0.2, min: 0.0", "speed"),
        (
            "max: 1.8),\n",
            "max: 1.8),\n            radius: 0.0,\n",
            "radius must be in (0, 1]",
        ),
        (
            "[(30, 55), (32, 55), (32, 57), (30, 57)]",
            "[(30, 55), (32, 55)]",
            "at least 3 points",
        ),
        (
            "[(30, 55), (32, 55), (32, 57), (30, 57)]",
            "[(30, 55), (32, 57), (32, 55), (30, 57)]",
            "self-intersecting",
        ),
        (
            "Circle((60, 8), 3.0)",
            "Circle((61, 21), 0.5)",
            "inside a wall or obstacle",
        ),
        (
            "Circle((60, 8), 3.0)",
            "Circle((500, 8), 3.0)",
            "outside the venue bounds",
        ),
        ("end: \"09:10\"", "end: \"08:40\"", "must be after sim.start"),
    ];
    for (from, to, expect) in cases {
        assert!(GOOD.contains(from), "test case does not apply: {from}");
        let msg = err_text(&GOOD.replacen(from, to, 1));
        assert!(
            msg.contains(expect),
            "replacing {from:?} by {to:?}: expected {expect:?} in\n{msg}"
        );
        assert!(msg.starts_with("error: t.ron"), "{msg}");
    }
}

#[test]
fn unreachable_target_is_reported() {
    // wall the west door off completely
    let text = GOOD.replacen(
        "(name: Some(\"facade-west\"), points: [(0, 70), (30, 70)]),",
        "(name: Some(\"facade-west\"), points: [(0, 70), (30, 70)]),\n            (name: Some(\"box\"), points: [(29, 70), (29, 79), (35, 79), (35, 70), (29, 70)]),",
        1,
    );
    let msg = err_text(&text);
    assert!(
        msg.contains("\"hall-west-door\" cannot be reached from source"),
        "{msg}"
    );
    // and the message carries a line:column of the named element
    assert!(
        msg.contains("t.ron:")
            && msg
                .split("t.ron:")
                .nth(1)
                .is_some_and(|r| r.chars().next().is_some_and(|c| c.is_ascii_digit())),
        "{msg}"
    );
}

#[test]
fn every_shipped_scenario_passes_check() {
    let mut n = 0;
    for dir in ["scenarios", "tests/scenarios"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            // a venue file is checked with the scenarios that name it
            .filter(|p| !p.to_string_lossy().ends_with(".venue.ron"))
            .collect();
        files.sort();
        for f in files {
            cordon::build::load_and_validate(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
            n += 1;
        }
    }
    assert!(n >= 16, "only {n} scenario files found");
}

#[test]
fn cli_exit_codes() {
    let bin = env!("CARGO_BIN_EXE_cordon");
    let ok = Command::new(bin)
        .args(["check", "scenarios/entrance_plaza.ron"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stderr));
    let missing = Command::new(bin).args(["check", "no/such/file.ron"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/file.ron"));
    let dir = std::env::temp_dir().join(format!("cordon-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, GOOD.replacen("seed: 42", "seed: forty-two", 1)).unwrap();
    let out = Command::new(bin)
        .args(["check", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.ron:") && err.contains('^'), "{err}");
    // run on an invalid file fails the same way and writes nothing
    let out_dir = dir.join("out");
    let run = Command::new(bin)
        .args(["run", bad.to_str().unwrap(), "--out", out_dir.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(!out_dir.exists(), "a failed run left output behind");
    std::fs::remove_dir_all(&dir).ok();
}

/// Fuzz: random bytes and random mutations of every shipped scenario never panic the loader or
/// the validator; each input is either accepted or rejected with an error.
#[test]
fn fuzz_never_panics() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let seeds = [
        GOOD,
        include_str!("scenarios/bottleneck.ron"),
        include_str!("scenarios/rimea6_corner.ron"),
        include_str!("scenarios/three_rings.ron"),
        include_str!("scenarios/fence.ron"),
        include_str!("../scenarios/response_demo.ron"),
    ];
    let tokens: &[&str] = &[
        "(",
        ")",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "-1",
        "0",
        "1e40",
        "NaN",
        "inf",
        "Some(",
        "None",
        "Polygon([",
        "//",
        "/*",
        "\u{feff}",
        "é",
        "99999999999999999999",
    ];
    let (mut accepted, mut rejected) = (0, 0);
    for case in 0..4000 {
        let text: String = if case % 10 == 0 {
            let n = rng.random_range(0..400);
            (0..n).map(|_| rng.random_range(0u8..128) as char).collect()
        } else {
            let mut t = seeds[case % seeds.len()].to_string();
            for _ in 0..rng.random_range(1..6) {
                let mut at = rng.random_range(0..=t.len());
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                match rng.random_range(0..4) {
                    0 => t.insert_str(at, tokens[rng.random_range(0..tokens.len())]),
                    1 => {
                        let mut end = (at + rng.random_range(1..20)).min(t.len());
                        while !t.is_char_boundary(end) {
                            end -= 1;
                        }
                        t.replace_range(at..end, "");
                    }
                    2 => {
                        // swap a number for another
                        let num = ["0", "-5", "0.0001", "1e9", "3.5"][rng.random_range(0..5)];
                        if let Some(pos) = t[at..].find(|c: char| c.is_ascii_digit()) {
                            let s = at + pos;
                            t.replace_range(s..s + 1, num);
                        }
                    }
                    _ => {
                        let c = rng.random_range(32u8..127) as char;
                        t.insert(at, c);
                    }
                }
            }
            t
        };
        match check_text(&text) {
            Ok(()) => accepted += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                rejected += 1;
            }
        }
    }
    eprintln!("fuzz: {accepted} accepted, {rejected} rejected");
    assert!(rejected > 1000, "mutations should mostly be rejected");
}

/// A ring with a problem of its own is reported once: its checkpoints do not add "ring not
/// defined" (with a list of known rings that names it).
#[test]
fn a_broken_ring_is_reported_once_not_as_undefined() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/entrance_checkpoints.ron");
    let text = std::fs::read_to_string(path).unwrap();
    let from = "polygon: [(10, 40), (150, 40), (150, 98), (10, 98)])]";
    assert!(text.contains(from));
    let broken = text.replacen(from, "polygon: [(10, 40), (150, 98), (150, 40), (10, 98)])]", 1);
    let msg = common::error_of(&broken);
    assert!(
        msg.contains("ring \"perimeter\"") && msg.contains("self-intersecting"),
        "{msg}"
    );
    assert!(!msg.contains("is not defined"), "{msg}");
}

//! `cordon batch` and `cordon merge`: every scenario field is addressable, results do not
//! depend on the job count or on sharding, failures keep the others' results, bad paths are
//! refused before anything runs.

use cordon::batch::{self, BatchSpec, output};
use cordon::scenario::{Scenario, parse_str};
use std::path::{Path, PathBuf};
use std::process::Command;

const PLAN: &str = "scenarios/entrance_checkpoints.ron";

fn cordon(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cordon")).args(args).output().unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cordon-batch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn read(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(f).display()))
}

#[test]
fn every_shipped_scenario_survives_the_round_trip_through_plain_data() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_none_or(|e| e != "ron") || p.to_string_lossy().ends_with(".venue.ron") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let s = parse_str(&text, &p.display().to_string()).unwrap();
        let doc = batch::to_doc(&s).unwrap();
        let back: Scenario = serde_json::from_value(doc).unwrap();
        assert_eq!(back, s, "{}", p.display());
    }
}

const ARGS: [&str; 8] = [
    "--runs",
    "3",
    "--until",
    "300",
    "--seed",
    "11",
    "--sweep",
    r#"checkpoints[name="main-gate"].lanes=6,12"#,
];

#[test]
fn the_same_batch_on_one_or_two_jobs_and_in_three_merged_shards_writes_the_same_files() {
    let (one, two, sharded) = (tmp("j1"), tmp("j2"), tmp("sh"));
    for (dir, jobs) in [(&one, "1"), (&two, "2")] {
        let out = cordon(
            &[
                &["batch", PLAN],
                &ARGS[..],
                &["--jobs", jobs, "--out", dir.to_str().unwrap()],
            ]
            .concat(),
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for f in ["runs.csv", "summary.json", "summary.csv"] {
        assert_eq!(read(&one, f), read(&two, f), "{f} differs between --jobs 1 and 2");
    }
    // 6 replications as 3 shards (one of them on 2 jobs), then merged
    for (i, jobs) in [(0, "1"), (1, "2"), (2, "1")] {
        let shard = format!("{i}/3");
        let out = cordon(
            &[
                &["batch", PLAN],
                &ARGS[..],
                &["--jobs", jobs, "--shard", &shard, "--out", sharded.to_str().unwrap()],
            ]
            .concat(),
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(sharded.join(format!("shard-{i}-of-3.json")).exists());
        assert!(!sharded.join("runs.csv").exists(), "a shard writes only its shard file");
    }
    let out = cordon(&["merge", sharded.to_str().unwrap(), "--expect", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["runs.csv", "summary.json", "summary.csv"] {
        assert_eq!(
            read(&one, f),
            read(&sharded, f),
            "{f} differs between the batch and its merged shards"
        );
    }
    // a missing shard: merge fails and names it
    std::fs::remove_file(sharded.join("shard-1-of-3.json")).unwrap();
    let out = cordon(&["merge", sharded.to_str().unwrap(), "--expect", "3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shard-1-of-3.json"));
    // and the runs differ from each other (the seeds differ), and more lanes shorten the wait
    let sum: serde_json::Value = serde_json::from_slice(&read(&one, "summary.json")).unwrap();
    let p90 = |p: usize| {
        sum["points"][p]["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == "time_to_enter_p90_s")
            .unwrap()["mean"]
            .as_f64()
            .unwrap()
    };
    assert!(p90(1) < p90(0), "12 lanes ({}) should beat 6 ({})", p90(1), p90(0));
    let runs = String::from_utf8(read(&one, "runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 7);
    let seeds: std::collections::BTreeSet<&str> = runs.lines().skip(1).map(|l| l.split(',').nth(2).unwrap()).collect();
    assert_eq!(seeds.len(), 6);
    for d in [one, two, sharded] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn a_bad_path_or_value_is_refused_before_anything_runs() {
    let out_dir = tmp("bad");
    let o = out_dir.to_str().unwrap();
    for (arg, flag, want) in [
        (r#"checkpoints[name="nope"].lanes=3"#, "--set", "main-gate, side-gate"),
        (r#"checkpoints[0].lanes="many""#, "--set", "expected u32"),
        ("sim.dtx=0.1,0.2", "--sweep", "no field `dtx`"),
        ("checkpoints[0].lanes=0", "--set", "lanes must be 1 to 1000"),
    ] {
        let out = cordon(&["batch", PLAN, "--runs", "2", flag, arg, "--out", o]);
        assert_eq!(out.status.code(), Some(2), "{arg}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{arg}: {err}");
        assert!(!out_dir.exists(), "nothing written for {arg}");
    }
}

#[test]
fn a_failed_replication_is_reported_with_its_seed_and_the_others_are_kept() {
    let text = std::fs::read_to_string(PLAN).unwrap();
    let base = parse_str(&text, PLAN).unwrap();
    let spec = BatchSpec {
        file: Some(PLAN.into()),
        scenario: base.name.clone(),
        runs: 4,
        seed: 3,
        until: Some(60.0),
        sets: vec![],
        sweeps: vec![],
    };
    let variants = batch::variants(&spec, &base, PLAN, &Default::default()).unwrap();
    let todo: Vec<u64> = (0..4).collect();
    let runner = |s: &BatchSpec, v: &[cordon::build::Validated], g: u64| {
        if g == 2 {
            panic!("replication {g} broke");
        }
        batch::run_one(s, v, g)
    };
    let rows = batch::run_all_with(&spec, &variants, &todo, 2, &|_| {}, &runner);
    assert_eq!(rows.len(), 4);
    assert!(
        rows[2]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("replication 2 broke"))
    );
    assert_eq!(rows[2].seed, batch::run_seed(3, 0, 2));
    for k in [0, 1, 3] {
        assert!(rows[k].error.is_none());
        assert!(
            rows[k].metrics[0].is_some_and(|n| n > 0.0),
            "replication {k} has results"
        );
    }
    let sum = output::summary(&spec, &rows);
    assert_eq!((sum.points[0].runs, sum.points[0].failed), (4, 1));
    assert_eq!(sum.points[0].metrics[0].n, 3);
    assert!(output::table(&sum).contains(&format!("seed {}", batch::run_seed(3, 0, 2))));
}

#[test]
fn emit_sbatch_prints_an_array_and_a_merge_chained_after_it() {
    let out = cordon(&[
        "batch",
        PLAN,
        "--runs",
        "6",
        "--shards",
        "3",
        "--jobs",
        "2",
        "--emit-sbatch",
        "--out",
        "/tmp/x",
    ]);
    assert!(out.status.success());
    let s = String::from_utf8(out.stdout).unwrap();
    for want in [
        "#SBATCH --array=0-2",
        "#SBATCH --cpus-per-task=2",
        "--shard auto",
        "--dependency=afterok:$array_id",
        "merge /tmp/x --expect 3",
        "--out /tmp/x",
    ] {
        assert!(s.contains(want), "missing `{want}` in\n{s}");
    }
}

/// A sweep's points share the floor fields their geometry does not change: a lane sweep holds
/// one set of fields plus the pen fields of each lane count, not a set per point.
#[test]
fn sweep_points_share_the_floor_fields_they_do_not_change() {
    let text = std::fs::read_to_string(PLAN).unwrap();
    let base: Scenario = parse_str(&text, PLAN).unwrap();
    let cp = base.checkpoints[0].name.clone();
    let spec = BatchSpec {
        file: Some(PLAN.into()),
        scenario: base.name.clone(),
        runs: 1,
        seed: 1,
        until: None,
        sets: vec![],
        sweeps: vec![(
            format!("checkpoints{}.lanes", batch::path::filter("name", &cp)),
            vec![serde_json::json!(2), serde_json::json!(3), serde_json::json!(4)],
        )],
    };
    let vs = batch::variants(&spec, &base, PLAN, &Default::default()).unwrap();
    let fields = |k: usize| &vs[k].venue.fields;
    let n = fields(0).len();
    // every target's field is the same field at every point; only the checkpoint's own
    // (its pen, its inner side) may differ with its lanes
    let targets = vs[0].venue.targets.len();
    for k in 1..vs.len() {
        let shared = (0..n)
            .filter(|&i| std::sync::Arc::ptr_eq(&fields(0)[i], &fields(k)[i]))
            .count();
        let of_targets = (0..targets)
            .filter(|&i| std::sync::Arc::ptr_eq(&fields(0)[i], &fields(k)[i]))
            .count();
        eprintln!("point {k}: {shared} of {n} fields shared with point 0");
        assert_eq!(of_targets, targets, "point {k}");
        assert!(
            shared >= n - 2 * vs[0].venue.security.checkpoints.len(),
            "point {k}: {shared} of {n}"
        );
    }
}

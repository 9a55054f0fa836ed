//! `cordon compare`: plans side by side with common random numbers. The same plan twice differs
//! by exactly nothing in every run (the seeds are shared); a lane failure against the same plan
//! without it is a significant, positive difference in the queue; the page and the record say
//! so; bad input is refused before anything runs; the result does not depend on --jobs.

use cordon::compare::{CompareArgs, Comparison, run_args};
use std::path::{Path, PathBuf};

/// The fence scenario with a lane failure: 4 lanes → 1 from 10:01 for 4 minutes.
fn plan_with_failure(dir: &Path) -> PathBuf {
    let text = include_str!("scenarios/fence.ron").replace(
        "checkpoints: [",
        "timeline: [(at: \"10:01\", for: 240, do: Lanes(checkpoint: \"gate\", open: 1))],\n    checkpoints: [",
    );
    assert!(text.contains("timeline:"));
    let f = dir.join("lane-failure.ron");
    std::fs::write(&f, text).unwrap_or_else(|e| panic!("{e}"));
    f
}

fn args(files: Vec<PathBuf>, sets: &[&str], out: &Path, jobs: usize) -> CompareArgs {
    CompareArgs {
        files,
        sets: sets.iter().map(|s| s.to_string()).collect(),
        runs: 4,
        run: cordon::batch::args::RunSettings {
            jobs: Some(jobs),
            ..Default::default()
        },
        out: Some(out.to_path_buf()),
        ..Default::default()
    }
}

fn metric(c: &Comparison, name: &str) -> usize {
    c.metrics
        .iter()
        .position(|m| m == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

#[test]
fn the_same_plan_twice_differs_by_nothing_run_by_run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let f = plan_with_failure(dir.path());
    let out = dir.path().join("same");
    let (c, files, _) = run_args(&args(vec![f.clone(), f], &[], &out, 2), &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.plans.len(), 2);
    assert_ne!(c.plans[0].name, c.plans[1].name, "two plans with one name");
    assert!(files.contains(&"compare.html".to_string()) && files.contains(&"compare.json".to_string()));
    for d in &c.plans[1].vs_first {
        if d.n > 0 {
            assert_eq!(d.mean, Some(0.0), "{}: the same plan on the same seeds", d.metric);
            assert!(!d.significant, "{d:?}");
        }
    }
    let q = metric(&c, "worst_queue");
    assert_eq!(c.plans[1].vs_first[q].n, 4);
    // the runs differ from one another (the seeds are not all the same)
    let h = &c.plans[0].headlines[q];
    assert!(h.min < h.max, "every run gave the same queue: {h:?}");
}

#[test]
fn a_lane_failure_shows_as_a_significant_longer_queue_against_the_plan_without_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let f = plan_with_failure(dir.path());
    let out = dir.path().join("cmp");
    let (c, _, _) = run_args(&args(vec![f], &["timeline=[]"], &out, 2), &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.plans.len(), 2);
    assert_eq!(c.plans[1].name, "lane-failure with timeline=[]");
    assert_eq!(c.plans[1].changes.len(), 1);
    // the first plan's timeline fired (and was undone); the second has none
    assert_eq!(c.plans[0].timeline.len(), 2, "{:?}", c.plans[0].timeline);
    assert!(c.plans[1].timeline.is_empty());
    let q = metric(&c, "worst_queue");
    let d = &c.plans[1].vs_first[q];
    eprintln!(
        "worst queue: with the failure {:?}, without {:?}; difference {d:?}",
        c.plans[0].headlines[q].mean, c.plans[1].headlines[q].mean
    );
    assert!(d.significant && d.mean.is_some_and(|m| m < 0.0), "{d:?}");
    let t = metric(&c, "time_to_enter_p90_s");
    assert!(
        c.plans[1].vs_first[t].mean.is_some_and(|m| m < 0.0),
        "{:?}",
        c.plans[1].vs_first[t]
    );
    // the record and the page
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("compare.json")).unwrap_or_default()).unwrap_or_default();
    assert_eq!(json["plans"][1]["vs_first"][q]["significant"], true);
    let html = std::fs::read_to_string(out.join("compare.html")).unwrap_or_default();
    assert!(
        html.contains("lane-failure with timeline=[]"),
        "the plan's name on the page"
    );
    assert!(
        html.contains("Δ ") && html.contains(" *"),
        "a starred difference on the page"
    );
    assert!(html.contains("gate: 4 → 1 lanes open"), "the timeline on the page");
    assert!(out.join("compare_queueing.png").exists());
    // the same comparison on one thread: the same record
    let out1 = dir.path().join("cmp1");
    run_args(
        &args(vec![plan_with_failure(dir.path())], &["timeline=[]"], &out1, 1),
        &|_, _| {},
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        std::fs::read(out.join("compare.json")).unwrap_or_default(),
        std::fs::read(out1.join("compare.json")).unwrap_or_default(),
        "compare.json depends on --jobs"
    );
}

#[test]
fn bad_comparisons_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let f = plan_with_failure(dir.path());
    let out = dir.path().join("bad");
    let err = |a: CompareArgs| {
        run_args(&a, &|_, _| panic!("a run started"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let one = err(args(vec![f.clone()], &[], &out, 1));
    assert!(one.contains("two plans"), "{one}");
    let nine = err(args(vec![f.clone(); 9], &[], &out, 1));
    assert!(nine.contains("8 plans at most"), "{nine}");
    let path = err(args(vec![f.clone()], &["checkpoints[0].lanez=3"], &out, 1));
    assert!(path.contains("lanez"), "{path}");
    let bad = dir.path().join("broken.ron");
    std::fs::write(
        &bad,
        "Scenario(name: \"x\", sim: (dt: 0.05, start: \"10:00\", end: \"09:00\"))",
    )
    .unwrap_or_default();
    let broken = err(args(vec![f, bad], &[], &out, 1));
    assert!(broken.contains("broken.ron"), "{broken}");
    assert!(!out.exists(), "nothing written");
}

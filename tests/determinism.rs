//! Determinism and conservation: the same scenario and seed give a byte-identical report whatever
//! the executor and thread count; at every step spawned = present + exited; the sim steps the same
//! when driven by Bevy's `FixedUpdate` under `MinimalPlugins`.

mod common;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use cordon::crowd::{CrowdCounters, Dwelling, Walking};
use cordon::prelude::*;
use std::process::Command;

/// Runs the default scenario's first 400 s; its report.json and what it printed on stderr.
fn run_cli_err(extra: &[&str], out: &std::path::Path) -> (Vec<u8>, String) {
    let bin = env!("CARGO_BIN_EXE_cordon");
    let mut args = vec![
        "run",
        "--quiet",
        "--until",
        "400",
        "--out",
        out.to_str().unwrap_or_default(),
    ];
    args.extend_from_slice(extra);
    let o = Command::new(bin)
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start cordon: {e}"));
    assert!(
        o.status.success(),
        "cordon run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report = std::fs::read(out.join("report.json")).unwrap_or_else(|e| panic!("no report: {e}"));
    (report, String::from_utf8_lossy(&o.stderr).into_owned())
}

fn run_cli(extra: &[&str], out: &std::path::Path) -> Vec<u8> {
    run_cli_err(extra, out).0
}

#[test]
fn report_is_byte_identical_across_executors_and_threads() {
    let dir = std::env::temp_dir().join(format!("cordon-det-{}", std::process::id()));
    let a = run_cli(&["--executor", "single", "--threads", "1"], &dir.join("a"));
    let b = run_cli(&["--executor", "multi", "--threads", "1"], &dir.join("b"));
    let c = run_cli(&["--executor", "multi", "--threads", "2"], &dir.join("c"));
    let d = run_cli(&["--executor", "single", "--threads", "2"], &dir.join("d"));
    // timing the phases (cordon run --profile) only prints: the run is the same
    let (p, err) = run_cli_err(&["--threads", "2", "--profile"], &dir.join("p"));
    let (q, err1) = run_cli_err(&["--threads", "1", "--profile"], &dir.join("q"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(a == p && a == q, "--profile changed the report");
    let loops = |err: &str| {
        err.lines()
            .find_map(|l| l.trim().strip_prefix("parallel loops: "))
            .and_then(|n| n.split_whitespace().next()?.parse::<u64>().ok())
    };
    assert!(
        loops(&err).is_some_and(|n| n > 0),
        "the 2-thread run split no loop:\n{err}"
    );
    // one thread: no pool at all (not rayon's default one thread per core)
    assert_eq!(loops(&err1), Some(0), "the 1-thread run split loops:\n{err1}");
    assert!(err1.contains("(on 1 threads)"), "{err1}");
    for phase in [
        "spawn",
        "route",
        "move",
        "sort",
        "first pass",
        "second pass",
        "checkpoint",
        "measure",
    ] {
        assert!(
            err.lines()
                .any(|l| l.trim_start().starts_with(phase) && l.trim_end().ends_with(['s', '%'])),
            "--profile printed no time for {phase}:\n{err}"
        );
    }
    assert!(a.len() > 1000);
    assert!(a == b, "multi-threaded executor on 1 thread changed the report");
    assert!(a == c, "multi-threaded executor on 2 threads changed the report");
    assert!(a == d, "parallel movement step changed the report");
    // a different seed gives a different run
    let dir = std::env::temp_dir().join(format!("cordon-det2-{}", std::process::id()));
    let e = run_cli(&["--seed", "43"], &dir.join("e"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(a != e, "the seed has no effect");
}

/// FNV-1a over all agent ids and position bits, in id order.
fn position_hash(sim: &mut Simulation) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for (id, p) in common::positions(sim.world()) {
        for x in [id, p.x.to_bits(), p.y.to_bits()] {
            for b in x.to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x100000001b3);
            }
        }
    }
    h
}

#[test]
fn parallel_step_matches_serial_step_bit_for_bit() {
    // 3,000 agents: enough for the movement step to split into parallel tasks.
    let sc = cordon::bench::open_square(3000);
    let v = validate(&sc, "<square>", None).unwrap_or_else(|e| panic!("{e}"));
    let mut serial = Simulation::new(
        &v,
        &SimOptions {
            threads: 1,
            ..Default::default()
        },
    );
    let mut parallel = Simulation::new(
        &v,
        &SimOptions {
            threads: 2,
            ..Default::default()
        },
    );
    let dt = serial.clock().dt;
    serial.run_to(200.0 * dt, |_| {});
    // the parallel path really ran: both loops of every step split across threads
    let before = cordon::par::parallel_loops();
    parallel.run_to(200.0 * dt, |_| {});
    assert!(
        cordon::par::parallel_loops() - before >= 400,
        "the 2-thread run did not take the parallel path"
    );
    assert_eq!(position_hash(&mut serial), position_hash(&mut parallel));
}

#[test]
fn spawned_equals_present_plus_exited_at_every_step() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/entrance_plaza.ron");
    let v = cordon::build::load_and_validate(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = common::sim(&v, 42);
    let mut steps = 0u64;
    let mut max_present = 0;
    sim.run_to(f64::INFINITY, |w| {
        steps += 1;
        let walking = cordon::sim::count::<Walking>(w) as u64;
        let dwelling = cordon::sim::count::<Dwelling>(w) as u64;
        let all = cordon::sim::count::<cordon::crowd::Agent>(w) as u64;
        let c = *w.resource::<CrowdCounters>();
        assert_eq!(
            all,
            walking + dwelling,
            "an agent is neither walking nor staying (step {steps})"
        );
        assert_eq!(
            c.spawned,
            walking + dwelling + c.exited,
            "agents lost or duplicated at step {steps}"
        );
        max_present = max_present.max(walking + dwelling);
    });
    let c = *sim.world().resource::<CrowdCounters>();
    assert!(c.spawned > 4000 && c.exited == c.spawned, "{c:?}");
    assert!(max_present > 100);
}

#[test]
fn minimal_plugins_app_steps_the_sim_through_fixed_update() {
    let v = common::load("rimea1_corridor.ron");
    let mut app = App::new();
    app.add_plugins(MinimalPlugins);
    app.add_plugins(CordonPlugin::new(v.clone(), 1).driven_by_fixed_update());
    app.insert_resource(TimeUpdateStrategy::FixedTimesteps(1));
    app.finish();
    app.cleanup();
    for _ in 0..101 {
        app.update();
    }
    let tick = app.world().resource::<SimClock>().tick;
    assert!(
        (99..=101).contains(&tick),
        "one step per update expected, got {tick} steps"
    );
    // and it moved the walker the same as the headless runner
    let mut headless = common::sim(&v, 1);
    let dt = headless.clock().dt;
    headless.run_to(tick as f64 * dt, |_| {});
    let w = app.world_mut();
    let p = w.query::<&Position>().iter(w).next().map(|p| p.0);
    let q = common::positions(headless.world()).first().map(|x| x.1);
    assert_eq!(p, q);
    assert!(
        p.is_some_and(|p| p.x > 1.0 + 0.9 * 1.33 * 0.05 * (tick as f32 - 1.0)),
        "walker did not walk: {p:?}"
    );
}

#[test]
fn the_scenario_bench_counts_every_walker_moved_each_step() {
    // the open square: 1,000 walkers from the start, none out within 2 s
    let v = cordon::build::validate(&cordon::bench::open_square(1000), "<square>", None).unwrap();
    let r = cordon::bench::time_validated(&v, 2.0, 1, false);
    assert_eq!(r.steps, 200);
    assert_eq!(r.peak_walking, 1000);
    assert_eq!(r.agent_steps, 200 * 1000);
    assert!((r.simulated_s - 2.0).abs() < 1e-9);
}

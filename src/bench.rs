//! `cordon bench`: times the engine on the reference scenarios of the JuPedSim comparison
//! (same geometry as the JuPedSim scripts in `bench/jupedsim/`): (a) a 200 × 200 m square with five pillars,
//! N agents on a 0.7 m grid walking to an exit strip on the far side; (b) the 1 m bottleneck.

use crate::build::validate;
use crate::crowd::CrowdLog;
use crate::error::Result;
use crate::scenario::model::{Arrivals, ModelParams, Scenario};
use crate::scenario::parse_str;
use crate::schedule::SimClock;
use crate::sim::{SimOptions, Simulation};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;
use std::time::Instant;

/// `println!` that ignores a closed stdout.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Scenario (b), also used by the tests.
pub const BOTTLENECK: &str = include_str!("../tests/scenarios/bottleneck.ron");

/// Options of `cordon bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Agent counts for the open square.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,50000")]
    pub n: Vec<usize>,
    /// Timed steps per count (default 3000/1000/400 for 1k/10k/50k, else 400).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Seeds for the bottleneck.
    #[arg(long, default_value_t = 5)]
    pub seeds: u64,
    /// Worker threads (0: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Skip the open square.
    #[arg(long)]
    pub no_square: bool,
    /// Skip the bottleneck.
    #[arg(long)]
    pub no_bottleneck: bool,
    /// Skip the coverage overhead check.
    #[arg(long)]
    pub no_coverage: bool,
    /// Also write the results as JSON here.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
    /// Time a whole scenario instead of the reference ones: `import-expo` (the built-in
    /// default) or a scenario file.
    #[arg(long)]
    pub scenario: Option<String>,
    /// With `--scenario`: simulated seconds from its start (default 12600: the Import Expo's
    /// morning, 07:30 to 11:00).
    #[arg(long, default_value_t = 12600.0)]
    pub until: f64,
    /// With `--scenario`: also print where the time went, by phase of the step.
    #[arg(long)]
    pub profile: bool,
}

/// Result of timing a whole scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// The scenario's name.
    pub scenario: String,
    /// Steps run.
    pub steps: u64,
    /// Simulated seconds.
    pub simulated_s: f64,
    /// Wall seconds.
    pub wall_s: f64,
    /// Walking agents moved, summed over the steps.
    pub agent_steps: u64,
    /// Agent-steps per wall second.
    pub agent_steps_per_s: f64,
    /// Most walking agents in one step.
    pub peak_walking: u64,
}

/// Times scenario `which` (`import-expo`, or a file) for `until` simulated seconds.
pub fn time_scenario(which: &str, until: f64, threads: usize, profile: bool) -> Result<ScenarioResult> {
    if !(until.is_finite() && until > 0.0) {
        return Err(crate::error::CordonError::Usage(format!(
            "--until must be a positive number of seconds, got {until}"
        )));
    }
    let v = if which == "import-expo" {
        crate::build::default_scenario()?
    } else {
        crate::build::load_and_validate(std::path::Path::new(which))?
    };
    Ok(time_validated(&v, until, threads, profile))
}

/// [`time_scenario`] of a scenario already validated.
pub fn time_validated(v: &crate::build::Validated, until: f64, threads: usize, profile: bool) -> ScenarioResult {
    let mut sim = Simulation::new(
        v,
        &SimOptions {
            threads,
            ..Default::default()
        },
    );
    if profile {
        sim.enable_profile();
    }
    let end = sim.end_ticks().min((until / sim.clock().dt).round() as u64);
    let (mut agent_steps, mut peak) = (0u64, 0u64);
    let t0 = Instant::now();
    while sim.clock().tick < end && sim.finished().is_none() {
        sim.step();
        let n = sim.world().resource::<crate::crowd::CrowdBuffer>().moved() as u64;
        agent_steps += n;
        peak = peak.max(n);
    }
    let wall = t0.elapsed().as_secs_f64();
    if let Some(p) = sim.profile() {
        say!("{}", p.table());
    }
    let clock = sim.clock();
    ScenarioResult {
        scenario: v.scenario.name.clone(),
        steps: clock.tick,
        simulated_s: clock.t(),
        wall_s: wall,
        agent_steps,
        agent_steps_per_s: agent_steps as f64 / wall.max(1e-9),
        peak_walking: peak,
    }
}

/// Result of one open-square timing.
#[derive(Debug, Clone, Serialize)]
pub struct SquareResult {
    /// Agents.
    pub n: usize,
    /// Timed steps.
    pub steps: u64,
    /// Milliseconds per step.
    pub ms_per_step: f64,
    /// Agent-steps per second.
    pub agent_steps_per_s: f64,
    /// Simulated seconds per wall second at dt 0.01.
    pub realtime_factor: f64,
}

/// Result of one bottleneck run.
#[derive(Debug, Clone, Serialize)]
pub struct BottleneckResult {
    /// Seed of the start layout.
    pub seed: u64,
    /// Flow over agents 16..135, persons/s.
    pub flow_steady: f64,
    /// Time the last agent left, s.
    pub evacuation_s: f64,
    /// Agents out.
    pub evacuated: usize,
    /// Longest gap between two exits, s.
    pub longest_gap_s: f64,
    /// Milliseconds per step.
    pub ms_per_step: f64,
    /// Agent-steps per second.
    pub agent_steps_per_s: f64,
}

const PILLARS: [(f64, f64, f64, f64); 5] = [
    (140.0, 30.0, 145.0, 50.0),
    (140.0, 90.0, 145.0, 110.0),
    (140.0, 150.0, 145.0, 170.0),
    (165.0, 60.0, 170.0, 80.0),
    (165.0, 120.0, 170.0, 140.0),
];

/// Scenario (a) with `n` agents.
pub fn open_square(n: usize) -> Scenario {
    let obstacles: String = PILLARS
        .iter()
        .map(|(x0, y0, x1, y1)| format!("(polygon: [({x0}, {y0}), ({x1}, {y0}), ({x1}, {y1}), ({x0}, {y1})]),"))
        .collect();
    let text = format!(
        r#"Scenario(
    name: "open-square",
    sim: (dt: 0.01, start: 0, end: 3600),
    venue: (
        bounds: (min: (0, 0), max: (200, 200)),
        cell_size: 0.25,
        obstacles: [{obstacles}],
        sources: [(name: "square", area: Polygon([(1, 1), (199, 1), (199, 199), (1, 199)]))],
        targets: [(name: "exit", area: Polygon([(196, 2), (199, 2), (199, 198), (196, 198)]))],
    ),
    crowd: [(name: "all", source: "square", arrivals: Positions([]), destinations: [(target: "exit")], speed: Fixed(1.34))],
)"#
    );
    let mut sc = parse_str(&text, "<bench open-square>").unwrap_or_else(|e| panic!("built-in bench scenario: {e}"));
    let rows = ((198.0f64 - 2.0) / 0.7) as usize + 1;
    let pts = (0..n)
        .map(|i| (2.0 + (i / rows) as f64 * 0.7, 2.0 + (i % rows) as f64 * 0.7))
        .collect();
    sc.crowd[0].arrivals = Arrivals::Positions(pts);
    sc
}

/// Scenario (b) with the start layout of `seed`: 150 of the 13 × 13 grid nodes (0.7 m apart).
pub fn bottleneck(seed: u64) -> Scenario {
    let mut sc = parse_str(BOTTLENECK, "tests/scenarios/bottleneck.ron")
        .unwrap_or_else(|e| panic!("built-in bench scenario: {e}"));
    let mut grid: Vec<(f64, f64)> = (0..13)
        .flat_map(|i| (0..13).map(move |k| (0.8 + 0.7 * i as f64, 0.8 + 0.7 * k as f64)))
        .collect();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    grid.shuffle(&mut rng);
    grid.truncate(150);
    sc.crowd[0].arrivals = Arrivals::Positions(grid);
    sc.sim.seed = seed;
    sc
}

/// Times scenario (a).
pub fn time_square(n: usize, steps: u64, threads: usize) -> Result<SquareResult> {
    let v = validate(&open_square(n), "<bench open-square>", None)?;
    let mut sim = Simulation::new(
        &v,
        &SimOptions {
            threads,
            ..Default::default()
        },
    );
    for _ in 0..20 {
        sim.step();
    }
    let t0 = Instant::now();
    for _ in 0..steps {
        sim.step();
    }
    let wall = t0.elapsed().as_secs_f64();
    let ms = 1e3 * wall / steps as f64;
    Ok(SquareResult {
        n,
        steps,
        ms_per_step: ms,
        agent_steps_per_s: (n as f64 * steps as f64) / wall,
        realtime_factor: 0.01 * 1e3 / ms,
    })
}

/// Runs scenario (b) to the end and measures its flow.
pub fn run_bottleneck(seed: u64, threads: usize, model: Option<&ModelParams>) -> Result<BottleneckResult> {
    run_bottleneck_at(seed, threads, model, None)
}

/// [`run_bottleneck`] with another step length `dt` (s).
pub fn run_bottleneck_at(
    seed: u64,
    threads: usize,
    model: Option<&ModelParams>,
    dt: Option<f64>,
) -> Result<BottleneckResult> {
    run_bottleneck_width(seed, threads, model, dt, 1.0)
}

/// [`run_bottleneck_at`] with a corridor `width` m wide (centred where the 1 m one is).
pub fn run_bottleneck_width(
    seed: u64,
    threads: usize,
    model: Option<&ModelParams>,
    dt: Option<f64>,
    width: f64,
) -> Result<BottleneckResult> {
    let mut sc = bottleneck(seed);
    if width != 1.0 {
        let (lo, hi) = (5.0 - width / 2.0, 5.0 + width / 2.0);
        // the corridor's sides (walls and zone) move out to y = 5 ± width/2
        let walls = sc.venue.walls.iter_mut().flat_map(|w| w.points.iter_mut());
        for p in walls.chain(sc.venue.zones.iter_mut().flat_map(|z| z.polygon.iter_mut())) {
            if (p.1 - 4.5).abs() < 1e-9 {
                p.1 = lo;
            } else if (p.1 - 5.5).abs() < 1e-9 {
                p.1 = hi;
            }
        }
    }
    if let Some(m) = model {
        sc.model = m.clone();
    }
    if let Some(dt) = dt {
        sc.sim.dt = dt;
    }
    let v = validate(&sc, "tests/scenarios/bottleneck.ron", Some(BOTTLENECK))?;
    let mut sim = Simulation::new(
        &v,
        &SimOptions {
            threads,
            ..Default::default()
        },
    );
    let mut agent_steps = 0u64;
    let t0 = Instant::now();
    sim.run_to(f64::INFINITY, |w| {
        agent_steps += crate::sim::count::<crate::crowd::Walking>(w) as u64;
    });
    let wall = t0.elapsed().as_secs_f64();
    let steps = sim.world().resource::<SimClock>().tick;
    let times: Vec<f64> = sim.world().resource::<CrowdLog>().exits.iter().map(|e| e.0).collect();
    Ok(BottleneckResult {
        seed,
        flow_steady: steady_flow(&times),
        evacuation_s: times.last().copied().unwrap_or(f64::NAN),
        evacuated: times.len(),
        longest_gap_s: longest_gap(&times),
        ms_per_step: 1e3 * wall / steps.max(1) as f64,
        agent_steps_per_s: agent_steps as f64 / wall,
    })
}

/// Flow between the 16th and the 135th exit (as the JuPedSim reference script measures it).
pub fn steady_flow(times: &[f64]) -> f64 {
    let (a, b) = (15, 134);
    if times.len() > b && times[b] > times[a] {
        (b - a) as f64 / (times[b] - times[a])
    } else {
        f64::NAN
    }
}

/// Longest time between consecutive exits (from the first).
pub fn longest_gap(times: &[f64]) -> f64 {
    times.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
}

/// Scenario (c): the response demo (plaza with patrols and incidents).
pub const RESPONSE_DEMO: &str = include_str!("../scenarios/response_demo.ron");

/// Wall seconds of the response demo with coverage at its default interval and with it off
/// (best of `reps` runs each).
pub fn coverage_overhead(threads: usize, reps: usize) -> Result<(f64, f64)> {
    let mut best = [f64::INFINITY; 2];
    for _ in 0..reps {
        for (k, interval) in [10.0, 0.0].into_iter().enumerate() {
            let mut sc = parse_str(RESPONSE_DEMO, "scenarios/response_demo.ron")?;
            sc.metrics.coverage_interval = interval;
            let v = validate(&sc, "scenarios/response_demo.ron", None)?;
            let mut sim = Simulation::new(
                &v,
                &SimOptions {
                    threads,
                    ..Default::default()
                },
            );
            let t0 = Instant::now();
            let _ = sim.run(|_| {});
            best[k] = best[k].min(t0.elapsed().as_secs_f64());
        }
    }
    Ok((best[0], best[1]))
}

/// Runs the benchmark and prints a table.
pub fn run(args: &BenchArgs) -> Result<()> {
    if let Some(which) = &args.scenario {
        let r = time_scenario(which, args.until, args.threads, args.profile)?;
        say!(
            "{}: {} steps, {:.0} s simulated in {:.1} s wall: {} agent-steps ({:.0} /s), at most {} walking",
            r.scenario,
            r.steps,
            r.simulated_s,
            r.wall_s,
            r.agent_steps,
            r.agent_steps_per_s,
            r.peak_walking
        );
        if let Some(path) = &args.json {
            let body = serde_json::json!({ "scenario": r });
            crate::output::write_file(
                path,
                format!("{}\n", serde_json::to_string_pretty(&body).unwrap_or_default()).as_bytes(),
            )?;
        }
        return Ok(());
    }
    let mut square = Vec::new();
    if !args.no_square {
        say!(
            "(a) open square 200 x 200 m, 5 pillars, dt 0.01 s, threads {}",
            if args.threads == 0 {
                "all".into()
            } else {
                args.threads.to_string()
            }
        );
        say!(
            "{:>8} {:>7} {:>11} {:>16} {:>9}",
            "agents",
            "steps",
            "ms/step",
            "agent-steps/s",
            "x realtime"
        );
        for &n in &args.n {
            let steps = args.steps.unwrap_or(match n {
                0..=1000 => 3000,
                1001..=10000 => 1000,
                _ => 400,
            });
            let r = time_square(n, steps, args.threads)?;
            say!(
                "{:>8} {:>7} {:>11.3} {:>16.0} {:>9.2}",
                r.n,
                r.steps,
                r.ms_per_step,
                r.agent_steps_per_s,
                r.realtime_factor
            );
            square.push(r);
        }
    }
    let mut bottle = Vec::new();
    if !args.no_bottleneck {
        say!("(b) bottleneck 1.0 m x 2.0 m, 150 agents, dt 0.01 s");
        say!(
            "{:>5} {:>12} {:>10} {:>8} {:>10} {:>9} {:>14}",
            "seed",
            "flow (1/s)",
            "evac (s)",
            "out",
            "gap (s)",
            "ms/step",
            "agent-steps/s"
        );
        for seed in 1..=args.seeds {
            let r = run_bottleneck(seed, args.threads, None)?;
            say!(
                "{:>5} {:>12.3} {:>10.2} {:>8} {:>10.2} {:>9.4} {:>14.0}",
                r.seed,
                r.flow_steady,
                r.evacuation_s,
                r.evacuated,
                r.longest_gap_s,
                r.ms_per_step,
                r.agent_steps_per_s
            );
            bottle.push(r);
        }
    }
    let mut coverage = None;
    if !args.no_coverage {
        let (on, off) = coverage_overhead(args.threads, 3)?;
        say!(
            "(c) response demo, coverage every 10 s vs off (best of 3): {on:.3} s vs {off:.3} s, slowdown {:+.1}%",
            100.0 * (on / off - 1.0)
        );
        coverage = Some(serde_json::json!({ "with_coverage_s": on, "without_s": off, "slowdown": on / off - 1.0 }));
    }
    if let Some(path) = &args.json {
        let body = serde_json::json!({ "open_square": square, "bottleneck": bottle, "coverage": coverage });
        crate::output::write_file(
            path,
            format!("{}\n", serde_json::to_string_pretty(&body).unwrap_or_default()).as_bytes(),
        )?;
    }
    Ok(())
}

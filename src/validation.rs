//! Validation harness: the RiMEA test set-ups and measurements that need more than a scenario
//! file (generated lattices, Lagrangian speed measurement), shared by the tests and `cordon validate`.

use crate::build::validate;
use crate::crowd::{Agent, Position};
use crate::error::Result;
use crate::scenario::model::ModelParams;
use crate::scenario::parse_str;
use crate::sim::{SimOptions, Simulation};
use bevy::math::Vec2;
use bevy::prelude::World;

/// Positions of all walking agents, sorted by agent id.
pub fn positions(w: &World) -> Vec<(u32, Vec2)> {
    let mut v: Vec<(u32, Vec2)> = w
        .try_query::<(&Agent, &Position)>()
        .map(|mut q| q.iter(w).map(|(a, p)| (a.id, p.0)).collect())
        .unwrap_or_default();
    v.sort_by_key(|x| x.0);
    v
}

/// Weidmann (1993): v(ρ) = 1.34 [1 − exp(−1.913 (1/ρ − 1/5.4))].
pub fn weidmann(rho: f64) -> f64 {
    1.34 * crate::crowd::weidmann_factor(rho)
}

/// Corridor of width `w` and length `len` (+2 m exit strip) filled with a jittered hexagonal
/// lattice at density `rho`; returns the scenario text.
pub fn corridor_fd(rho: f64, w: f64, len: f64, seed: u64) -> String {
    let a = (2.0 / (3f64.sqrt() * rho)).sqrt(); // hexagonal lattice spacing
    let row = a * 3f64.sqrt() / 2.0;
    let rows = (w / row).round() as usize;
    let dy = w / rows as f64;
    let mut pts = String::new();
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut jitter = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 0.04
    };
    // keep the lattice density: along x the spacing fills rho exactly given the rows
    let dx = 1.0 / (rho * dy);
    for k in 0..rows {
        let y = dy * (k as f64 + 0.5);
        let mut x = if k % 2 == 0 { 0.3 } else { 0.3 + dx / 2.0 };
        while x < len - 0.3 {
            pts += &format!("({:.4}, {:.4}),", x + jitter(), y + jitter());
            x += dx;
        }
    }
    format!(
        r#"Scenario(
    name: "rimea-4",
    sim: (dt: 0.05, start: 0, end: 60, seed: {seed}),
    venue: (
        bounds: (min: (0, 0), max: ({total}, {w})),
        sources: [(name: "corridor", area: Polygon([(0, 0), ({len}, 0), ({len}, {w}), (0, {w})]))],
        targets: [(name: "end", area: Polygon([({len}, 0), ({total}, 0), ({total}, {w}), ({len}, {w})]))],
    ),
    crowd: [(name: "walkers", source: "corridor", arrivals: Positions([{pts}]), destinations: [(target: "end")])],
)"#,
        total = len + 2.0
    )
}

/// Lagrangian measurement over agents that start in the middle of the crowd: mean speed over
/// `[t0, t1]` and the mean density around them (agents within ±5 m of their mean x, per m²).
pub fn measure_fd(rho: f64, model: &ModelParams) -> Result<(f64, f64)> {
    measure_fd_at(rho, model, 0.05)
}

/// [`measure_fd`] with another step length `dt` (s).
pub fn measure_fd_at(rho: f64, model: &ModelParams, dt: f64) -> Result<(f64, f64)> {
    let (w, len) = (4.0, 100.0);
    let text = corridor_fd(rho, w, len, 7);
    let mut sc = parse_str(&text, "<rimea-4>")?;
    sc.model = model.clone();
    sc.sim.dt = dt;
    let v = validate(&sc, "<rimea-4>", Some(&text))?;
    let mut sim = Simulation::new(
        &v,
        &SimOptions {
            threads: 1,
            ..Default::default()
        },
    );
    sim.run_to(dt, |_| {});
    let start = positions(sim.world());
    let tracked: Vec<u32> = start
        .iter()
        .filter(|(_, p)| p.x > 45.0 && p.x < 55.0)
        .map(|(id, _)| *id)
        .collect();
    let (t0, t1) = (10.0, 40.0);
    let mut prev: Option<Vec<(u32, Vec2)>> = None;
    let (mut speed_sum, mut speed_n) = (0.0, 0u64);
    let (mut dens_sum, mut dens_n) = (0.0, 0u64);
    // every step that ends in [t0, t1]
    sim.run_to(t1, |world| {
        if world.resource::<crate::schedule::SimClock>().t() < t0 - 1e-6 * dt {
            return;
        }
        let now = positions(world);
        if let Some(before) = &prev {
            for id in &tracked {
                let (Ok(a), Ok(b)) = (
                    before.binary_search_by_key(id, |x| x.0),
                    now.binary_search_by_key(id, |x| x.0),
                ) else {
                    continue;
                };
                speed_sum += f64::from((now[b].1 - before[a].1).length()) / dt;
                speed_n += 1;
            }
        }
        // density in a 10 m window centred on the tracked agents
        let xs: Vec<f32> = tracked
            .iter()
            .filter_map(|id| now.binary_search_by_key(id, |x| x.0).ok().map(|k| now[k].1.x))
            .collect();
        let cx = xs.iter().sum::<f32>() / xs.len() as f32;
        let inside = now.iter().filter(|(_, p)| (p.x - cx).abs() < 5.0).count();
        dens_sum += inside as f64 / (10.0 * w);
        dens_n += 1;
        prev = Some(now);
    });
    Ok((speed_sum / speed_n as f64, dens_sum / dens_n as f64))
}

/// The three walks of RiMEA test 15 (a large crowd round a 90° corner).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CornerWalk {
    /// A straight corridor as long as the corner's inner path.
    Short,
    /// The corridor with the 90° left turn.
    Corner,
    /// A straight corridor as long as the corner's outer path.
    Long,
}

/// RiMEA test 15: a corridor `w` m wide; the crowd of `n` starts in a block at 2 /m² at its
/// closed end (x 0..n/(2w)), walks 10 m to the corner (turning left) and 15 m on to a 1 m
/// strip at the far end. The straight corridors are as long as the corner's inner path (10 m
/// on to the inner corner, 14 m on to the strip) and its outer path (10 + w m on, w + 14 m up).
pub fn rimea15(walk: CornerWalk, n: usize, w: f64, dt: f64, seed: u64) -> String {
    let ls = (n as f64 / (2.0 * w) * 10.0).round() / 10.0;
    let (a, b) = (10.0, 15.0);
    let source = format!(
        r#"[(name: "start", area: Polygon([(0.3, 0.3), ({x}, 0.3), ({x}, {y}), (0.3, {y})]))]"#,
        x = ls - 0.3,
        y = w - 0.3
    );
    let crowd =
        format!(r#"[(name: "walkers", source: "start", arrivals: Initial({n}), destinations: [(target: "end")])]"#);
    let head = format!(r#"name: "rimea-15", sim: (dt: {dt}, start: 0, end: 1200, seed: {seed}),"#);
    match walk {
        CornerWalk::Corner => {
            let (x, y) = (ls + a + w, w + b);
            format!(
                r#"Scenario({head}
    venue: (
        bounds: (min: (0, 0), max: ({x}, {y})),
        walls: [(name: Some("inner"), points: [(0, {w}), ({xi}, {w}), ({xi}, {y})])],
        zones: [(name: "corner", polygon: [({xi}, 0), ({x}, 0), ({x}, {w}), ({xi}, {w})])],
        sources: {source},
        targets: [(name: "end", area: Polygon([({xi}, {y1}), ({x}, {y1}), ({x}, {y}), ({xi}, {y})]))],
    ),
    crowd: {crowd},
)"#,
                xi = ls + a,
                y1 = y - 1.0
            )
        }
        CornerWalk::Short | CornerWalk::Long => {
            let len = if walk == CornerWalk::Short {
                a + b - 1.0
            } else {
                a + w + w + b - 1.0
            };
            let x1 = ls + len;
            format!(
                r#"Scenario({head}
    venue: (
        bounds: (min: (0, 0), max: ({x}, {w})),
        sources: {source},
        targets: [(name: "end", area: Polygon([({x1}, 0), ({x}, 0), ({x}, {w}), ({x1}, {w})]))],
    ),
    crowd: {crowd},
)"#,
                x = x1 + 1.0
            )
        }
    }
}

/// Runs one RiMEA 15 walk; returns the arrival times at the far strip, sorted (s).
pub fn run_rimea15(walk: CornerWalk, n: usize, w: f64, dt: f64, seed: u64) -> Result<Vec<f64>> {
    let text = rimea15(walk, n, w, dt, seed);
    let sc = parse_str(&text, "<rimea-15>")?;
    let v = validate(&sc, "<rimea-15>", Some(&text))?;
    let mut sim = Simulation::new(
        &v,
        &SimOptions {
            threads: 1,
            ..Default::default()
        },
    );
    sim.run_to(f64::INFINITY, |_| {});
    let mut t: Vec<f64> = sim
        .world()
        .resource::<crate::crowd::CrowdLog>()
        .exits
        .iter()
        .map(|e| e.0)
        .collect();
    t.sort_by(f64::total_cmp);
    Ok(t)
}

//! `cordon check --capacity`: per checkpoint and 15-minute window, the demand the crowd groups
//! bring against what its lanes screen, with the wait Erlang C (M/M/c) predicts, so an overload
//! shows before a run. Each group's expected arrivals (rates × time, counts, those placed at the
//! start) go, per destination by weight, the way arrivals choose in a run: at each ring the
//! crossing with the least walking time (the floor field's cost at the group's mean speed) plus
//! the queue expected there (a fluid backlog where demand exceeds the lanes, and the time until
//! it opens), reaching it that much later. Timeline actions and surges, crowding on the way and
//! screening time at earlier rings are not counted: a first look, not a run. Only checkpoints
//! that admit a group's visitor class take it; those no checkpoint of a ring admits are not
//! counted (they are turned away). Shares
//! [`crate::checkpoint::queueing::mmc_wait`] with the checkpoint tests and the lane optimiser.

use crate::build::Validated;
use crate::checkpoint::queueing::mmc_wait;
use crate::scenario::model::{Arrivals, Distribution};
use crate::venue::security::Hop;
use bevy::math::Vec2;

/// Window length, s.
pub const WINDOW: f64 = 900.0;

/// Parts a way's arrivals in a window are sent in (each choosing by the queues the ones before
/// left).
const PARTS: usize = 4;

/// About this many points of a source each group is sent from.
const SOURCE_POINTS: f32 = 32.0;

/// Most checkpoint-windows in a table.
const MAX_CELLS: usize = 4_000_000;

/// Most group destinations × windows sent.
const MAX_WAYS: usize = 10_000_000;

/// About the most ways × windows × parts sent (fewer points per source beyond it).
const MAX_SENDS: f32 = 2e7;

/// Points spread evenly over `shape`: the middles of a grid of about `points` cells
/// over its bounding box (as many across as its shape asks) that lie inside it; its middle when
/// none does.
fn spread(shape: &crate::venue::Shape, points: f32) -> Vec<Vec2> {
    use crate::venue::Shape;
    fn bounds(s: &Shape) -> (Vec2, Vec2) {
        match s {
            Shape::Circle(c, r) => (*c - Vec2::splat(*r), *c + Vec2::splat(*r)),
            Shape::Polygon(_, lo, hi) => (*lo, *hi),
            Shape::Multi(v) => v
                .iter()
                .map(bounds)
                .fold((Vec2::MAX, Vec2::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1))),
        }
    }
    let (lo, hi) = bounds(shape);
    let size = (hi - lo).max(Vec2::splat(1e-3));
    let nx = (points * size.x / size.y).sqrt().ceil().clamp(1.0, points) as usize;
    let ny = (points / nx as f32).ceil().max(1.0) as usize;
    let mut out = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            let p = lo + size * Vec2::new((i as f32 + 0.5) / nx as f32, (j as f32 + 0.5) / ny as f32);
            if shape.contains(p) {
                out.push(p);
            }
        }
    }
    if out.is_empty() {
        out.push(shape.center());
    }
    out
}

/// Most ring crossings followed on one way.
const MAX_HOPS: usize = 32;

/// One checkpoint in one window.
#[derive(Debug, Clone, PartialEq)]
pub struct GateWindow {
    /// Window start, clock time (s after midnight).
    pub from: f64,
    /// Expected arrivals at the checkpoint in the window.
    pub demand: f64,
    /// What its lanes screen in the window (0 while it is closed).
    pub capacity: f64,
    /// Utilisation, demand / capacity, each arrival weighted by its class's screening factor
    /// (infinite while closed).
    pub rho: f64,
    /// Mean wait in the queue by Erlang C, s (None at ρ ≥ 1 or closed).
    pub wait_s: Option<f64>,
    /// Those left queueing at the window's end, counting the windows before (a fluid backlog; in
    /// persons of the checkpoint's own screening time when classes screen at other paces).
    pub backlog: f64,
}

/// One checkpoint's windows.
#[derive(Debug, Clone, PartialEq)]
pub struct GateCapacity {
    /// Checkpoint name.
    pub name: String,
    /// Lanes.
    pub lanes: usize,
    /// Mean screening time, s.
    pub service_s: f64,
    /// Windows from the start of the run to its end (or fewer: see `cut`).
    pub windows: Vec<GateWindow>,
    /// Whether the table stops before the run's end (a file too large for a first look).
    pub cut: bool,
}

/// A distribution's mean (speeds: clipped normal taken at its mean, RiMEA groups at the middle
/// of their range).
fn mean(d: &Distribution) -> f64 {
    match d {
        Distribution::Fixed(x) => *x,
        Distribution::Uniform { min, max } => 0.5 * (min + max),
        Distribution::Normal { mean, min, max, .. } => mean.clamp(*min, *max),
        Distribution::Exponential { mean } => *mean,
        Distribution::LogNormal { median, sigma } => median * (0.5 * sigma * sigma).exp(),
        Distribution::Rimea(g) => {
            use crate::scenario::model::AgeGroup::*;
            match g {
                Under30 => 1.095,
                From30To50 => 1.475,
                Over50 => 1.045,
                Impaired => 0.61,
            }
        }
    }
}

/// Persons of arrivals `a` (clock times) appearing in `[w0, w1)`.
fn arrivals_in(a: &Arrivals, start: f64, w0: f64, w1: f64) -> f64 {
    let overlap = |from: f64, to: f64| (to.min(w1) - from.max(w0)).max(0.0);
    let at_start = |n: f64| if (w0..w1).contains(&start) { n } else { 0.0 };
    match a {
        // (batches as the rate they bring)
        Arrivals::Rates(steps) | Arrivals::Batches { rates: steps, .. } => steps
            .iter()
            .map(|s| s.rate * overlap(s.from.0.max(start), s.to.0))
            .sum(),
        Arrivals::Count { count, from, to } => {
            let len = to.0 - from.0;
            if len > 0.0 {
                f64::from(*count) * overlap(from.0, to.0) / len
            } else {
                0.0
            }
        }
        Arrivals::Initial(n) => at_start(f64::from(*n)),
        Arrivals::Positions(ps) => at_start(ps.len() as f64),
        Arrivals::Surges => 0.0,
    }
}

/// Demand, capacity and backlog per checkpoint and window while they are filled in.
struct Loads {
    first: f64,
    start: f64,
    demand: Vec<Vec<f64>>,
    /// Demand in persons of the checkpoint's own screening time (each weighted by its group's
    /// `screening_factor`): what the lanes' capacity is measured against.
    work: Vec<Vec<f64>>,
    capacity: Vec<Vec<f64>>,
    /// Backlog at the start of each window, known for the windows already closed.
    backlog: Vec<Vec<f64>>,
}

impl Loads {
    fn window_of(&self, t: f64) -> Option<usize> {
        let i = ((t - self.first) / WINDOW).floor();
        (i >= 0.0 && (i as usize) < self.demand.first().map_or(0, Vec::len)).then_some(i as usize)
    }
}

/// Sends `mass` persons appearing at `p` in window `w` (clock time `t0` its middle) towards
/// target `goal`: at each ring, the crossing with the least walking time plus the queue it
/// expects there (the backlog and this window's excess over capacity, × mean service / lanes,
/// and the time until it opens), as arrivals choose in a run.
#[allow(clippy::too_many_arguments)]
fn send(
    v: &Validated,
    loads: &mut Loads,
    p: Vec2,
    speed: f64,
    goal: usize,
    (class, factor): (Option<u16>, f64),
    t0: f64,
    mass: f64,
) {
    let venue = &v.venue;
    let sec = &venue.security;
    let to = venue.target_region[goal] as usize;
    let (mut p, mut t) = (p, t0);
    let mut region = sec.region_at(&venue.grid, p) as usize;
    for _ in 0..MAX_HOPS {
        if region == to || region >= sec.next_hop.len() {
            break;
        }
        let Some(hops) = sec.next_hop[region].get(to) else {
            break;
        };
        let mut best: Option<(f64, f64, Hop)> = None;
        for &h in hops {
            let c = f64::from(venue.fields[sec.hop_field(h) as usize].cost_interp(&venue.grid, p));
            if !c.is_finite() {
                continue;
            }
            let walk = c / speed.max(0.1);
            let mut cost = walk;
            if let Hop::Lanes(k) = h {
                let cp = &sec.checkpoints[k as usize];
                if !cp.admits(class) {
                    continue; // not for this class (with none left they are turned away)
                }
                let per = cp.service.mean() / cp.lanes.max(1) as f64;
                let at = t + walk;
                let (opens, closes) = (cp.open + loads.start, cp.close + loads.start);
                if at >= closes {
                    cost += 1e9;
                } else if let Some(i) = loads.window_of(at) {
                    let k = k as usize;
                    let excess = (loads.work[k][i] + mass * factor - loads.capacity[k][i]).max(0.0);
                    cost += (loads.backlog[k][i] + excess) * per + (opens - at).max(0.0);
                }
            }
            if best.is_none_or(|b| cost < b.0) {
                best = Some((cost, walk, h));
            }
        }
        let Some((_, walk, h)) = best else { break };
        t += walk;
        match h {
            Hop::Lanes(k) => {
                let cp = &sec.checkpoints[k as usize];
                if let Some(i) = loads.window_of(t) {
                    loads.demand[k as usize][i] += mass;
                    loads.work[k as usize][i] += mass * factor;
                }
                p = cp.inner_spot(cp.lanes / 2);
                region = cp.inner_region as usize;
            }
            Hop::Door(d) => {
                let door = &sec.doors[d as usize];
                p = door.mid() + door.out * (crate::venue::security::DOOR_FRAME + 0.8);
                region = door.outer_region as usize;
            }
        }
    }
}

/// Per checkpoint, demand against capacity in each 15-minute window of the run. Window by window,
/// each group's arrivals in it are sent on their way from points spread over its source in 4 parts each, so that a gate whose queue
/// grows passes newcomers to the next best one as in a run.
pub fn table(v: &Validated) -> Vec<GateCapacity> {
    let sec = &v.venue.security;
    let (start, end) = (v.start, v.start + v.duration);
    let first = (start / WINDOW).floor() * WINDOW;
    let nk = sec.checkpoints.len();
    let dests: usize = v.groups.iter().map(|g| g.destinations.len()).sum();
    let whole = ((end - first) / WINDOW).ceil().max(0.0) as usize;
    // (at most MAX_CELLS checkpoint-windows, and MAX_WAYS ways × windows: a file of very many
    // checkpoints, or groups and destinations, over a very long run gets its first windows only)
    let n = whole
        .min((MAX_CELLS / nk.max(1)).max(1))
        .min((MAX_WAYS / dests.max(1)).max(1));
    let capacity: Vec<Vec<f64>> = sec
        .checkpoints
        .iter()
        .map(|cp| {
            (0..n)
                .map(|i| {
                    let w0 = first + i as f64 * WINDOW;
                    let open = ((cp.close + start).min(w0 + WINDOW) - (cp.open + start).max(w0)).max(0.0);
                    cp.lanes as f64 * open / cp.service.mean().max(1e-9)
                })
                .collect()
        })
        .collect();
    let mut loads = Loads {
        first,
        start,
        demand: vec![vec![0.0; n]; nk],
        work: vec![vec![0.0; n]; nk],
        capacity,
        backlog: vec![vec![0.0; n]; nk],
    };
    // each group from points spread evenly over its source (a wide source lies before several
    // gates)
    // (fewer points on a file with very many groups, destinations and windows: the table stays
    // a matter of seconds)
    let per_source = (MAX_SENDS / (dests.max(1) * n.max(1) * PARTS) as f32).clamp(1.0, SOURCE_POINTS);
    let mut ways: Vec<(usize, Vec2, f64, usize, f64)> = Vec::new();
    for (gi, g) in v.groups.iter().enumerate() {
        let speed = mean(&g.speed);
        let total: f64 = g.destinations.iter().map(|d| d.1).sum::<f64>().max(1e-12);
        let points = spread(&v.venue.sources[g.source].shape, per_source);
        for &p in &points {
            for &(goal, w) in &g.destinations {
                ways.push((gi, p, speed, goal, w / total / points.len() as f64));
            }
        }
    }
    for i in 0..n {
        let w0 = first + i as f64 * WINDOW;
        for &(gi, p, speed, goal, share) in &ways {
            let mass = share * arrivals_in(&v.groups[gi].arrivals, start, w0, w0 + WINDOW);
            if mass <= 0.0 {
                continue;
            }
            for _ in 0..PARTS {
                send(
                    v,
                    &mut loads,
                    p,
                    speed,
                    goal,
                    (v.groups[gi].class, sec.group_screening.get(gi).copied().unwrap_or(1.0)),
                    w0 + 0.5 * WINDOW,
                    mass / PARTS as f64,
                );
            }
        }
        // this window is closed: its backlog carries into the next
        if i + 1 < n {
            for k in 0..nk {
                loads.backlog[k][i + 1] = (loads.backlog[k][i] + loads.work[k][i] - loads.capacity[k][i]).max(0.0);
            }
        }
    }
    sec.checkpoints
        .iter()
        .enumerate()
        .map(|(k, cp)| {
            let service = cp.service.mean().max(1e-9);
            let windows = (0..n)
                .map(|i| {
                    let (demand, work, capacity) = (loads.demand[k][i], loads.work[k][i], loads.capacity[k][i]);
                    let rho = if capacity > 0.0 { work / capacity } else { f64::INFINITY };
                    let full = capacity >= cp.lanes as f64 * WINDOW / service - 1e-9;
                    // (Erlang C at the mix's mean screening time)
                    let wait_s = (full && demand > 0.0)
                        .then(|| mmc_wait(demand / WINDOW, demand / work / service, cp.lanes as u32))
                        .flatten();
                    GateWindow {
                        from: first + i as f64 * WINDOW,
                        demand,
                        capacity,
                        rho,
                        wait_s,
                        backlog: (loads.backlog[k][i] + work - capacity).max(0.0),
                    }
                })
                .collect();
            GateCapacity {
                cut: n < whole,
                name: cp.name.clone(),
                lanes: cp.lanes,
                service_s: cp.service.mean(),
                windows,
            }
        })
        .collect()
}

/// The table in words: per checkpoint with any demand, its lanes and capacity, then each
/// window with demand (demand, utilisation, the Erlang C wait or the backlog).
pub fn text(gates: &[GateCapacity]) -> String {
    let hm = |t: f64| crate::scenario::model::ClockTime(t).hms()[..5].to_string();
    let mut s = String::from(
        "capacity: expected arrivals per checkpoint and 15 minutes (each group the way arrivals choose: least walking time \
         plus expected queue) against what its lanes screen, with the M/M/c (Erlang C) mean wait; a backlog where demand exceeds it\n",
    );
    if let Some(g) = gates.iter().find(|g| g.cut) {
        s += &format!(
            "  (the first {} quarter hours only: the file has too many checkpoints, groups or destinations for the whole run)\n",
            g.windows.len()
        );
    }
    for g in gates {
        if g.windows.iter().all(|w| w.demand < 0.5) {
            continue;
        }
        s += &format!(
            "  {}: {} lanes × {:.1} s a person = {:.0} a quarter hour\n",
            g.name,
            g.lanes,
            g.service_s,
            g.lanes as f64 * WINDOW / g.service_s.max(1e-9)
        );
        for w in g.windows.iter().filter(|w| w.demand >= 0.5 || w.backlog >= 0.5) {
            let state = if w.capacity <= 0.0 {
                format!("closed, {:.0} waiting", w.backlog)
            } else if w.backlog > 0.1 * w.capacity {
                format!("OVERLOADED: {:.0} queued at {}", w.backlog, hm(w.from + WINDOW))
            } else if w.backlog >= 0.5 {
                // filled to capacity, the rest going to gates a longer walk away
                format!("at capacity: {:.0} queued at {}", w.backlog, hm(w.from + WINDOW))
            } else {
                match w.wait_s {
                    Some(x) => format!("wait {x:.0} s"),
                    None => "wait —".to_string(),
                }
            };
            s += &format!(
                "    {}  demand {:>6.0}  ρ {:>5}  {state}\n",
                hm(w.from),
                w.demand,
                if w.rho.is_finite() {
                    format!("{:.2}", w.rho)
                } else {
                    "—".into()
                }
            );
        }
    }
    s
}

/// Expected arrivals per checkpoint over the whole run, in words (`cordon check` prints it under
/// a demand's totals): "by gate: S1 12,345 | S2 …".
pub fn by_gate(gates: &[GateCapacity]) -> String {
    let parts: Vec<String> = gates
        .iter()
        .map(|g| (g, g.windows.iter().map(|w| w.demand).sum::<f64>()))
        .filter(|(_, x)| *x >= 0.5)
        .map(|(g, x)| format!("{} {}", g.name, crate::scenario::demand::thousands(x.round() as u64)))
        .collect();
    format!("  by gate:   {}", parts.join(" | "))
}

//! Pedestrian crossings: where walkers cross a road, at a road node inside the venue.
//!
//! A crossing is a rectangle over the carriageway from one kerb to the other. While walkers
//! have the way no vehicle passes its node: every link leaving the node is held at red (the
//! front vehicles of the links into it wait at a stop line 1 m before the crossing, as before
//! a closed road, but nobody is re-routed). While vehicles have the way the rectangle's edges are
//! [`KEEP_OUT`] walls: nobody steps onto the crossing, and those still on it walk off.
//!
//! A signal runs a fixed cycle: walk (walkers cross, vehicles wait), clearance (nobody steps
//! on, vehicles still wait), then the vehicles' phase. Without a signal (a zebra) walkers
//! always have the way and vehicles wait while anyone is on the crossing or at its kerb.
//! While the timeline has closed the road at the node (every link into it or every link out of
//! it), walkers have the way.
//!
//! Measured per crossing: walkers who stepped onto it, each one's time at the kerb (from
//! coming within [`KERB_BAND`] of the crossing to stepping onto it), the most walkers at the
//! kerb at once, the vehicles' share of the time, and walker-seconds on the crossing while
//! vehicles had the way (people caught on the carriageway).

use super::VehicleState;
use crate::crowd::{Agent, Position};
use crate::scenario::check::{Checker, v2};
use crate::scenario::model::Scenario;
use crate::schedule::SimClock;
use crate::venue::Venue;
use crate::venue::geometry::Segment;
use crate::venue::grid::{KEEP_OUT, OPEN};
use bevy::prelude::*;
use std::collections::BTreeMap;

/// Most crossings (every walker is tested against each, every step).
pub const MAX_CROSSINGS: usize = 64;
/// How far from a crossing a walker counts as at its kerb, m.
pub const KERB_BAND: f32 = 2.0;
/// Largest signal offset, s (a week).
pub const MAX_OFFSET: f64 = 604_800.0;

/// A number for a message: short, whatever its size.
fn num(x: f64) -> String {
    if x.is_finite() && (x == 0.0 || (1e-3..1e7).contains(&x.abs())) {
        format!("{x}")
    } else {
        format!("{x:.3e}")
    }
}

/// A crossing's signal, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalRt {
    /// Cycle, s.
    pub cycle: f64,
    /// Walk phase, s.
    pub walk: f64,
    /// Clearance, s.
    pub clear: f64,
    /// Clock time a walk phase begins (modulo the cycle), s after midnight.
    pub offset: f64,
}

/// Who has the way at a crossing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Walkers cross; vehicles wait.
    Walk,
    /// Nobody steps onto the crossing; vehicles still wait.
    Clear,
    /// Vehicles pass; nobody steps onto the crossing.
    Vehicles,
}

impl SignalRt {
    /// The phase at clock time `clock` (s after midnight).
    pub fn phase(&self, clock: f64) -> Phase {
        let s = (clock - self.offset).rem_euclid(self.cycle);
        if s < self.walk {
            Phase::Walk
        } else if s < self.walk + self.clear {
            Phase::Clear
        } else {
            Phase::Vehicles
        }
    }
}

/// A crossing, resolved.
#[derive(Debug, Clone)]
pub struct CrossingRt {
    /// Name.
    pub name: String,
    /// Its road node.
    pub node: u32,
    /// Links leaving its node (held at red while walkers have the way).
    pub out: Vec<u32>,
    /// Start of its centre line (one kerb), m.
    pub a: Vec2,
    /// Unit vector from kerb to kerb.
    pub u: Vec2,
    /// Length kerb to kerb, m.
    pub length: f32,
    /// Half its width, m.
    pub half: f32,
    /// Its corners, anticlockwise.
    pub corners: [Vec2; 4],
    /// Its signal (None: a zebra).
    pub signal: Option<SignalRt>,
    /// Its edges' indices among the venue's wall segments (set by [`add_walls`]).
    pub walls: Vec<usize>,
}

impl CrossingRt {
    /// Where `p` is: `Some(true)` on the crossing, `Some(false)` at its kerb (within
    /// [`KERB_BAND`] outside), `None` elsewhere.
    #[inline]
    pub fn locate(&self, p: Vec2) -> Option<bool> {
        let d = p - self.a;
        let s = d.dot(self.u);
        let q = d.perp_dot(self.u).abs();
        if s < -KERB_BAND || s > self.length + KERB_BAND || q > self.half + KERB_BAND {
            return None;
        }
        Some(s >= 0.0 && s <= self.length && q <= self.half)
    }
}

impl CrossingRt {
    /// How far before the end of `link` (which ends at the crossing's node) its stop line is:
    /// 1 m before the crossing, at most half the link.
    pub fn stop_back(&self, link: &super::build::LinkRt) -> f64 {
        let mut x = 0.0;
        while x < link.length / 2.0 && self.locate(link.point_at(link.length - x)) == Some(true) {
            x += 0.25;
        }
        (x + 1.0).min(link.length / 2.0)
    }
}

/// A crossing's record at run time.
#[derive(Debug, Clone, Default)]
pub struct CrossingLog {
    /// Walkers who stepped onto it.
    pub crossed: u64,
    /// Per walker who came to its kerb and then stepped onto it: seconds at the kerb.
    pub kerb_s: Vec<f64>,
    /// Most walkers at its kerb at once, and when (s after the start).
    pub kerb_max: (u32, f64),
    /// Seconds the vehicles had the way.
    pub vehicles_s: f64,
    /// Seconds observed.
    pub total_s: f64,
    /// Walker-seconds on it while vehicles had the way.
    pub caught_s: f64,
    /// Walkers on it now (ids, ascending).
    inside: Vec<u32>,
    /// Walkers at its kerb: since when (s after the start).
    near: BTreeMap<u32, f64>,
    /// Per agent id (a bit each): has stepped onto it.
    been: Vec<u64>,
    /// The phase in force.
    applied: Option<Phase>,
}

impl CrossingLog {
    /// Whether walkers have the way now (before the first step: yes).
    pub fn walkers_go(&self) -> bool {
        self.applied.is_none_or(|p| p == Phase::Walk)
    }
}

/// Checks and resolves the section's crossings against the road nodes (`nodes`, `links_out`)
/// and the venue's bounds; `exit_ends` are the nodes where vehicles leave the roads.
pub fn build(
    ck: &mut Checker,
    sc: &Scenario,
    nodes: &[(String, Vec2)],
    links_out: &[Vec<u32>],
    exit_ends: &[u32],
) -> Vec<CrossingRt> {
    let Some(vs) = sc.vehicles.as_ref() else {
        return Vec::new();
    };
    if vs.crossings.len() > MAX_CROSSINGS {
        ck.err(
            Some("crossings".into()),
            format!(
                "vehicles: at most {MAX_CROSSINGS} crossings, got {}",
                vs.crossings.len()
            ),
        );
        return Vec::new();
    }
    let b = &sc.venue.bounds;
    let inside = |p: crate::scenario::model::Point| {
        p.0.is_finite() && p.1.is_finite() && (b.min.0..=b.max.0).contains(&p.0) && (b.min.1..=b.max.1).contains(&p.1)
    };
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut used: Vec<u32> = Vec::new();
    for c in &vs.crossings {
        let lab = format!("crossing \"{}\"", c.name);
        if c.name.is_empty() || c.name.len() > 200 {
            ck.named(
                &c.name,
                format!("crossing name must be 1–200 characters, got {}", c.name.len()),
            );
        }
        if seen.contains(&c.name.as_str()) {
            ck.named(&c.name, format!("{lab} is defined twice"));
        }
        seen.push(&c.name);
        let Some(node) = nodes.iter().position(|n| n.0 == c.node) else {
            ck.named(
                &c.name,
                format!(
                    "{lab}: road node \"{}\" is not defined; known nodes: {}",
                    c.node,
                    crate::scenario::check::quote_list(nodes.iter().take(30).map(|n| n.0.as_str()))
                ),
            );
            continue;
        };
        if !(inside(c.from) && inside(c.to)) {
            ck.named(
                &c.name,
                format!("{lab}: from and to must lie inside the venue's bounds (walkers cross there)"),
            );
            continue;
        }
        let (a, bb) = (v2(c.from), v2(c.to));
        let length = a.distance(bb);
        if !(1.0..=200.0).contains(&length) {
            ck.named(
                &c.name,
                format!("{lab}: from kerb to kerb must be 1–200 m, got {length:.1} m"),
            );
            continue;
        }
        if !(c.width.is_finite() && (1.0..=50.0).contains(&c.width)) {
            ck.named(&c.name, format!("{lab}: width must be 1–50 m, got {}", c.width));
            continue;
        }
        let u = (bb - a) / length;
        let half = c.width as f32 / 2.0;
        let n = u.perp() * half;
        let mut corners = [a - n, bb - n, bb + n, a + n];
        let area2: f32 = (0..4).map(|i| corners[i].perp_dot(corners[(i + 1) % 4])).sum();
        if area2 < 0.0 {
            corners.reverse();
        }
        let rt = CrossingRt {
            name: c.name.clone(),
            node: node as u32,
            out: links_out.get(node).cloned().unwrap_or_default(),
            a,
            u,
            length,
            half,
            corners,
            signal: None,
            walls: Vec::new(),
        };
        if rt.locate(nodes[node].1) != Some(true) {
            ck.named(
                &c.name,
                format!(
                    "{lab}: road node \"{}\" at ({}, {}) must lie on the crossing (the road runs through it)",
                    c.node, nodes[node].1.x, nodes[node].1.y
                ),
            );
            continue;
        }
        if used.contains(&(node as u32)) {
            ck.named(
                &c.name,
                format!("{lab}: road node \"{}\" has a crossing already", c.node),
            );
            continue;
        }
        used.push(node as u32);
        if rt.out.is_empty() && !exit_ends.contains(&(node as u32)) {
            ck.named(
                &c.name,
                format!(
                    "{lab}: no road link leaves road node \"{}\"; a crossing stands where a road runs on",
                    c.node
                ),
            );
            continue;
        }
        let np = nodes[node].1;
        if !inside((f64::from(np.x), f64::from(np.y))) {
            ck.named(
                &c.name,
                format!(
                    "{lab}: road node \"{}\" at ({}, {}) must lie inside the venue's bounds",
                    c.node, np.x, np.y
                ),
            );
            continue;
        }
        if exit_ends.contains(&(node as u32)) {
            ck.named(
                &c.name,
                format!(
                    "{lab}: vehicles leave the roads at road node \"{}\" and would not stop there; put the crossing at a node with a link beyond it",
                    c.node
                ),
            );
            continue;
        }
        let signal = match &c.signal {
            None => None,
            Some(s) => {
                // each phase lasts a step at least (the phase is looked at once a step)
                let least = sc.sim.dt.max(1.0);
                let ok = s.cycle.is_finite()
                    && (10.0..=600.0).contains(&s.cycle)
                    && s.walk.is_finite()
                    && s.walk >= least
                    && s.clear.is_finite()
                    && s.clear >= 0.0
                    && s.cycle - s.walk - s.clear >= least
                    && s.offset.is_finite()
                    && s.offset.abs() <= MAX_OFFSET;
                if !ok {
                    ck.named(
                        &c.name,
                        format!(
                            "{lab}: signal needs cycle 10–600 s, walk ≥ {least} s, clear ≥ 0, the vehicles' phase (cycle − walk − clear) ≥ {least} s and |offset| ≤ {MAX_OFFSET} s; got cycle {}, walk {}, clear {}, offset {}",
                            num(s.cycle),
                            num(s.walk),
                            num(s.clear),
                            num(s.offset)
                        ),
                    );
                    continue;
                }
                Some(SignalRt {
                    cycle: s.cycle,
                    walk: s.walk,
                    clear: s.clear,
                    offset: s.offset,
                })
            }
        };
        let rt = CrossingRt { signal, ..rt };
        if let Some(o) = out.iter().find(|o: &&CrossingRt| overlap(&o.corners, &rt.corners)) {
            ck.named(
                &c.name,
                format!("{lab}: it overlaps crossing \"{}\"; crossings must not overlap", o.name),
            );
            continue;
        }
        out.push(rt);
    }
    out
}

/// Whether two convex quadrilaterals share any area or edge.
fn overlap(a: &[Vec2; 4], b: &[Vec2; 4]) -> bool {
    use crate::venue::geometry::{point_in_polygon, segments_intersect};
    let edges = |q: &[Vec2; 4]| (0..4).map(|i| (q[i], q[(i + 1) % 4])).collect::<Vec<_>>();
    edges(a)
        .iter()
        .any(|&(p, q)| edges(b).iter().any(|&(r, s)| segments_intersect(p, q, r, s)))
        || a.iter().any(|&p| point_in_polygon(p, b))
        || b.iter().any(|&p| point_in_polygon(p, a))
}

/// Adds every crossing's edges to the venue's walls (open: walkers have the way until the first
/// step says otherwise).
pub fn add_walls(crossings: &mut [CrossingRt], venue: &mut Venue) {
    let segs: Vec<Segment> = crossings
        .iter()
        .flat_map(|c| {
            (0..4).map(|i| Segment {
                a: c.corners[i],
                b: c.corners[(i + 1) % 4],
            })
        })
        .collect();
    let idx = venue.add_open_lines(&segs);
    for (k, c) in crossings.iter_mut().enumerate() {
        c.walls = idx[4 * k..4 * k + 4].to_vec();
    }
}

/// Each step, before the traffic moves: who is at and on each crossing, who has the way, and
/// the red lights and walls that follow.
pub(super) fn step_crossings(
    clock: Res<SimClock>,
    mut st: ResMut<VehicleState>,
    mut venue: ResMut<Venue>,
    agents: Query<(&Agent, &Position)>,
) {
    let st = &mut *st;
    let rt = st.rt.clone();
    if rt.crossings.is_empty() {
        return;
    }
    let t = clock.t();
    let dt = clock.dt;
    // who is where (ids ascending per crossing); most walkers are nowhere near any crossing,
    // so the box round them all is looked at first
    let (lo, hi) = rt.crossings.iter().flat_map(|c| c.corners).fold(
        (Vec2::splat(f32::INFINITY), Vec2::splat(f32::NEG_INFINITY)),
        |(lo, hi), p| (lo.min(p), hi.max(p)),
    );
    let (lo, hi) = (lo - Vec2::splat(KERB_BAND), hi + Vec2::splat(KERB_BAND));
    let mut seen: Vec<Vec<(u32, bool)>> = vec![Vec::new(); rt.crossings.len()];
    for (a, p) in &agents {
        if p.0.cmplt(lo).any() || p.0.cmpgt(hi).any() {
            continue;
        }
        for (ci, c) in rt.crossings.iter().enumerate() {
            if let Some(on) = c.locate(p.0) {
                seen[ci].push((a.id, on));
            }
        }
    }
    for (ci, c) in rt.crossings.iter().enumerate() {
        let list = &mut seen[ci];
        list.sort_unstable();
        let log = &mut st.crossings[ci];
        let on: Vec<u32> = list.iter().filter(|x| x.1).map(|x| x.0).collect();
        for &id in &on {
            if log.inside.binary_search(&id).is_err() {
                // counted once a walker (one who steps off and on again at its edge is not
                // crossing again)
                let (w, b) = (id as usize / 64, 1u64 << (id % 64));
                if log.been.len() <= w {
                    log.been.resize(w + 1, 0);
                }
                let t0 = log.near.remove(&id);
                if log.been[w] & b == 0 {
                    log.been[w] |= b;
                    log.crossed += 1;
                    if let Some(t0) = t0 {
                        log.kerb_s.push(t - t0);
                    }
                }
            }
        }
        // at the kerb: remember since when; those gone from it without stepping on are forgotten
        let kerb: Vec<u32> = list.iter().filter(|x| !x.1).map(|x| x.0).collect();
        log.near.retain(|id, _| kerb.binary_search(id).is_ok());
        for &id in &kerb {
            log.near.entry(id).or_insert(t);
        }
        if kerb.len() as u32 > log.kerb_max.0 {
            log.kerb_max = (kerb.len() as u32, t);
        }
        // a road closed here (every link into the node, or every one out of it): the walkers
        // have the way
        let shut = |ls: &[u32]| !ls.is_empty() && ls.iter().all(|&l| st.closed[l as usize]);
        let road_shut = shut(&c.out) || shut(&rt.links_in[c.node as usize]);
        let log = &mut st.crossings[ci];
        let phase = match c.signal {
            _ if road_shut => Phase::Walk,
            Some(s) => s.phase(clock.start + t),
            // a zebra: vehicles give way to anyone on it or at its kerb
            None if list.is_empty() => Phase::Vehicles,
            None => Phase::Walk,
        };
        log.total_s += dt;
        if phase == Phase::Vehicles {
            log.vehicles_s += dt;
            if c.signal.is_some() {
                log.caught_s += on.len() as f64 * dt;
            }
        }
        log.inside = on;
        if log.applied != Some(phase) {
            log.applied = Some(phase);
            for &l in &c.out {
                st.traffic.links[l as usize].red = phase != Phase::Vehicles;
            }
            let pass = if c.signal.is_some() && phase != Phase::Walk {
                KEEP_OUT
            } else {
                OPEN
            };
            for &k in &c.walls {
                if let Some(x) = venue.walls.pass.get_mut(k) {
                    *x = pass;
                }
            }
        }
    }
}

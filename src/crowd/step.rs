//! The operational model: the collision-free speed model of Tordeux, Chraibi & Seyfried (2016),
//! as in JuPedSim. Each agent's direction is its floor-field direction plus exponential repulsion
//! from neighbours and walls; its speed is `min(v0, max(0, s/T))`, where `s` is the free gap to the
//! nearest neighbour in a corridor of width `l = r_i + r_j` ahead. The step reads the frozen
//! current generation (sorted positions) and writes the next generation into separate buffers,
//! so the result is independent of how the agents are split across threads.

use super::neighbours::NeighbourGrid;
use crate::scenario::validate::ModelRt;
use crate::venue::Venue;
use crate::venue::geometry::segments_intersect;
use bevy::math::Vec2;
use bevy::tasks::ComputeTaskPool;

/// Repulsion beyond this gap (m) past contact is ignored (factor below e^-7 of its strength).
pub const REPULSION_CUTOFF: f32 = 0.7;
/// Wall repulsion and clearance tests look this far (m) beyond the body radius.
const WALL_LOOK: f32 = 0.3;
/// Most neighbours remembered for the spacing pass.
const MAX_NB: usize = 64;

/// Everything one step reads.
pub struct StepInput<'a> {
    /// Current positions and radii, sorted by cell.
    pub grid: &'a NeighbourGrid,
    /// Free speed per agent (input order).
    pub v0: &'a [f32],
    /// Target (floor field) per agent (input order).
    pub target: &'a [u16],
    /// Velocity of the previous step per agent (input order).
    pub vel: &'a [Vec2],
    /// Geometry and floor fields.
    pub venue: &'a Venue,
    /// Model parameters.
    pub model: ModelRt,
    /// Step, s.
    pub dt: f32,
    /// Largest distance at which a neighbour matters, m.
    pub range: f32,
}

/// The interaction range to use for a crowd: neighbours farther than this never matter.
pub fn interaction_range(max_radius: f32, max_v0: f32, model: &ModelRt) -> f32 {
    2.0 * max_radius + (max_v0 * model.time_gap).max(REPULSION_CUTOFF)
}

/// Computes the next position and velocity of the agent in `slot` (sorted order).
#[inline]
pub fn step_slot(inp: &StepInput, slot: usize) -> (Vec2, Vec2) {
    let g = inp.grid;
    let i = g.order[slot] as usize;
    let p = g.pos[slot];
    let r = g.radius[slot];
    let m = &inp.model;
    let venue = inp.venue;

    let field = &venue.fields[inp.target[i] as usize];
    let mut e0 = field.direction(&venue.grid, p);
    if e0 == Vec2::ZERO {
        e0 = inp.vel[i].normalize_or_zero();
    }

    // Pass 1: neighbour repulsion; remember neighbours for the spacing pass.
    let mut nb_d = [Vec2::ZERO; MAX_NB];
    let mut nb_s = [0.0f32; MAX_NB];
    let mut nb_l = [0.0f32; MAX_NB];
    let mut count = 0;
    let mut rep = Vec2::ZERO;
    let mut side = Vec2::ZERO;
    let v0 = inp.v0[i];
    let range2 = inp.range * inp.range;
    g.for_each_near(p, |k| {
        if k == slot {
            return;
        }
        let d = g.pos[k] - p;
        let dist2 = d.length_squared();
        if dist2 > range2 {
            return;
        }
        let dist = dist2.sqrt();
        let l = r + g.radius[k];
        if dist - l < REPULSION_CUTOFF {
            let u = if dist > 1e-6 {
                d / dist
            } else {
                // coincident: push apart along a fixed, order-dependent direction
                let s = if k < slot { 1.0 } else { -1.0 };
                e0.perp() * s
            };
            rep -= u * (m.a_n * ((l - dist) / m.d_n).exp());
        }
        // Anticipatory sidestep: a slower neighbour ahead in my lane makes me veer to the side
        // away from it, so faster walkers overtake instead of queueing behind.
        let gap = dist - l;
        if m.side_strength > 0.0 && gap < m.side_range {
            let ahead = e0.dot(d);
            let lat = e0.perp_dot(d);
            if ahead > 0.0 && lat.abs() < l {
                let closing = v0 - inp.vel[g.order[k] as usize].dot(e0);
                if closing > 0.1 * v0 {
                    let w = (1.0 - gap.max(0.0) / m.side_range) * (closing / v0).min(1.0) * (1.0 - lat.abs() / l);
                    let s = if lat > 0.0 || (lat == 0.0 && k < slot) {
                        1.0
                    } else {
                        -1.0
                    };
                    side -= e0.perp() * (s * w * m.side_strength);
                }
            }
        }
        if count < MAX_NB {
            nb_d[count] = d;
            nb_s[count] = dist - l;
            nb_l[count] = l;
            count += 1;
        }
    });

    // Wall repulsion.
    let mut wrep = Vec2::ZERO;
    for seg in venue.walls.near(p) {
        let c = seg.closest(p);
        let d = p - c;
        let dist = d.length();
        if dist < r + WALL_LOOK && dist > 1e-6 {
            wrep += d / dist * (m.a_w * ((r - dist) / m.d_w).exp());
        }
    }

    let e = (e0 + rep + wrep + side).normalize_or(e0);

    // Pass 2: spacing to the nearest neighbour ahead within the corridor of width l. Only a
    // neighbour further along this agent's own route (lower cost-to-go) can hold it back: the
    // "waits for" relation is then acyclic, so no arch of agents can block itself for ever.
    let mut spacing = f32::INFINITY;
    let mut own_cost = f32::NAN;
    for k in 0..count {
        let d = nb_d[k];
        if e.dot(d) > 0.0 && e.perp_dot(d).abs() <= nb_l[k] && nb_s[k] < spacing {
            if own_cost.is_nan() {
                own_cost = field.cost_interp(&venue.grid, p);
            }
            if field.cost_interp(&venue.grid, p + d) < own_cost {
                spacing = nb_s[k];
            }
        }
    }
    let speed = (spacing / m.time_gap).clamp(0.0, inp.v0[i]);
    let cand = p + e * (speed * inp.dt);
    let next = constrain(venue, p, cand, r);
    (next, (next - p) / inp.dt)
}

/// Whether moving from `p` to `q` keeps clear of every wall: no crossing, and no closer than
/// the body radius (or than the agent already was, if it started closer).
#[inline]
fn move_ok(venue: &Venue, p: Vec2, q: Vec2, r: f32) -> bool {
    let step = p.distance(q);
    for seg in venue.walls.near(p) {
        let dq = seg.distance(q);
        if dq < r {
            let dp = seg.distance(p);
            if dq < r.min(dp) - 1e-4 {
                return false;
            }
        }
        if dq <= step + 1e-4 && segments_intersect(p, q, seg.a, seg.b) {
            return false;
        }
    }
    true
}

/// The wall constraint: take the move if clear, else slide along the offending wall, else stay.
#[inline]
pub fn constrain(venue: &Venue, p: Vec2, cand: Vec2, r: f32) -> Vec2 {
    if move_ok(venue, p, cand, r) {
        return cand;
    }
    // Slide along each wall the move runs into (up to four, in index order); else stay.
    let mv = cand - p;
    let mut tried = 0;
    for seg in venue.walls.near(p) {
        if seg.distance(cand) >= r && !segments_intersect(p, cand, seg.a, seg.b) {
            continue;
        }
        let t = (seg.b - seg.a).normalize_or_zero();
        let slide = p + t * mv.dot(t);
        if move_ok(venue, p, slide, r) {
            return slide;
        }
        tried += 1;
        if tried >= 4 {
            break;
        }
    }
    p
}

/// Steps every agent; outputs are in slot (sorted) order. Splits the work across the compute
/// task pool when there is enough of it; the result does not depend on the split.
pub fn step_all(inp: &StepInput, out_pos: &mut [Vec2], out_vel: &mut [Vec2], tasks: usize) {
    let n = out_pos.len();
    let pool = match ComputeTaskPool::try_get() {
        Some(pool) if tasks > 1 && n >= 2048 => pool,
        _ => {
            for slot in 0..n {
                let (p, v) = step_slot(inp, slot);
                out_pos[slot] = p;
                out_vel[slot] = v;
            }
            return;
        }
    };
    let chunk = n.div_ceil(tasks);
    pool.scope(|s| {
        for (ci, (op, ov)) in out_pos.chunks_mut(chunk).zip(out_vel.chunks_mut(chunk)).enumerate() {
            s.spawn(async move {
                let base = ci * chunk;
                for j in 0..op.len() {
                    let (p, v) = step_slot(inp, base + j);
                    op[j] = p;
                    ov[j] = v;
                }
            });
        }
    });
}

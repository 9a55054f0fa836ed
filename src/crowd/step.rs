//! The operational model: the collision-free speed model of Tordeux, Chraibi & Seyfried (2016),
//! as in JuPedSim. Each agent's direction is its floor-field direction plus exponential repulsion
//! from neighbours and walls; its speed is `min(v0, max(0, s/T))`, where `s` is the free gap to the
//! nearest neighbour in a corridor of width `l = r_i + r_j` ahead. The step reads the frozen
//! current generation (sorted positions) and writes the next generation into separate buffers,
//! so the result is independent of how the agents are split across threads.

use super::neighbours::NeighbourGrid;
use crate::crowd::ModelRt;
use crate::venue::Venue;
use crate::venue::field::SampleMemo;
use crate::venue::geometry::segments_intersect;
use crate::venue::grid::SOLID;
use bevy::math::Vec2;

/// Repulsion beyond this gap (m) past contact is ignored; the repulsion is shifted by its value
/// here, so it reaches zero continuously (at the default range 0.3 m, e^(-0.7/0.3) ≈ 0.1 of
/// its strength at contact would otherwise be cut off in one jump).
pub const REPULSION_CUTOFF: f32 = 0.7;
/// Wall repulsion and clearance tests look this far (m) beyond the body radius.
const WALL_LOOK: f32 = 0.3;
/// A held-up walker seeks free space only where the routes of those close by bend from its own
/// by more than this (cosine of 25°): at corners and in front of openings, where routes
/// converge, not in a straight stream (whose speed the fundamental diagram already gives).
const SEEK_BEND: f32 = 0.906;
/// A passage narrower than this (m, wall to wall across the walking direction through the
/// walker) is narrow: too tight for two abreast with shoulders square, so people turn them and
/// walk in interlocking lanes (the zipper of Hoogendoorn & Daamen 2005 and Seyfried et al.
/// 2009), and someone ahead holds a walker up only within `model.zipper` of the usual corridor.
pub const NARROW: f32 = 1.0;
/// Most neighbours remembered for the spacing pass.
const MAX_NB: usize = 64;

/// Everything one step reads.
pub struct StepInput<'a> {
    /// Current positions and radii, sorted by cell.
    pub grid: &'a NeighbourGrid,
    /// Geometry and floor fields.
    pub venue: &'a Venue,
    /// Model parameters.
    pub model: ModelRt,
    /// Step, s.
    pub dt: f32,
    /// Largest distance at which a neighbour matters, m.
    pub range: f32,
    /// Per slot: what the first pass found (from [`prepare_slot`]).
    pub slots: &'a [SlotState],
}

/// What the first pass finds out about each agent, with the inputs the second pass reads, so
/// that a neighbour's state is one record in slot order.
#[derive(Debug, Clone, Copy, Default)]
pub struct Prepared {
    /// Cost-to-go on its own floor field.
    pub cost: f32,
    /// Its target.
    pub target: u16,
    /// Its floor-field walking direction.
    pub dir: Vec2,
    /// Free speed, m/s (0: standing).
    pub v0: f32,
    /// Velocity over the previous step, m/s.
    pub vel: Vec2,
    /// Agent id.
    pub id: u32,
}

/// An agent's record in slot order: the first pass's findings and what its floor-field sample
/// read (carried to its next slot next step).
#[derive(Debug, Clone, Copy, Default)]
pub struct SlotState {
    /// First-pass findings.
    pub pre: Prepared,
    /// Last floor-field sample.
    pub memo: SampleMemo,
    /// The wall-index bucket the agent stands in, and its entries.
    pub walls: WallMemo,
}

/// An agent's wall-index bucket and its entries, carried from step to step so that the lookup
/// (a cache miss into a site-wide table) happens only when the agent enters another bucket.
#[derive(Debug, Clone, Copy)]
pub struct WallMemo {
    /// Bucket (`u32::MAX`: none yet).
    pub bucket: u32,
    /// Its entries, for [`crate::venue::grid::SegmentIndex::in_range`].
    pub range: (u32, u32),
}

impl Default for WallMemo {
    fn default() -> Self {
        WallMemo {
            bucket: u32::MAX,
            range: (0, 0),
        }
    }
}

/// The agents by input index (last step's slot order, then newcomers), as the first pass reads them.
pub struct Inputs<'a> {
    /// Target per agent ([`STANDING`] for a standing one).
    pub target: &'a [u16],
    /// Agent id per agent.
    pub ids: &'a [u32],
    /// Free speed per agent (0: standing).
    pub v0: &'a [f32],
    /// Velocity over the previous step per agent.
    pub vel: &'a [Vec2],
    /// Last step's records, by last step's slot: the agent at input index `i` had slot `i`
    /// if `i` is below their number, else it is new.
    pub prev: &'a [SlotState],
}

/// First pass, for the agent in `slot`: its cost-to-go and direction on its own floor field,
/// gathered with what the second pass reads of it, and its floor-field sample (reusing the
/// stencil it read last step when it is still in the same cell).
#[inline]
pub fn prepare_slot(grid: &NeighbourGrid, inp: &Inputs, venue: &Venue, slot: usize) -> SlotState {
    let i = grid.order[slot] as usize;
    let t = inp.target[i];
    let prev = inp.prev.get(i);
    let mut memo = prev.map_or_else(SampleMemo::default, |s| s.memo);
    let mut walls = prev.map_or_else(WallMemo::default, |s| s.walls);
    let mut pre = Prepared {
        cost: f32::INFINITY,
        target: t,
        dir: Vec2::ZERO,
        v0: inp.v0[i],
        vel: inp.vel[i],
        id: inp.ids[i],
    };
    // a standing agent is not moved, and is on nobody's route: a walker judges it on its own field
    if t != STANDING {
        let p = grid.pos[slot];
        (pre.cost, pre.dir) =
            venue.fields[t as usize].sample_memo(&venue.grid, p, pre.id, t, venue.fields_gen, &mut memo);
        if let Some(closed) = &venue.closed
            && let Some(dir) = closed.way_out(&venue.grid, p)
        {
            // inside an area closed to the crowd: out of it by the shortest way first
            pre.dir = dir;
        }
        let sec = &venue.security;
        if venue.grid.h > 0.3
            && t >= sec.door_fields_from
            && let Some(door) = sec.doors.get(usize::from(t - sec.door_fields_from))
            && let Some(dir) = door.aim(p, grid.radius[slot])
        {
            // at a door on a coarse raster (whose field knows the opening only to the
            // nearest cell): straight for the opening
            pre.dir = dir;
        }
        let b = venue.walls.bucket(p);
        if b != walls.bucket {
            walls = WallMemo {
                bucket: b,
                range: venue.walls.bucket_range(b),
            };
        }
    }
    SlotState { pre, memo, walls }
}

/// Target index marking a standing agent (no floor field of its own).
pub const STANDING: u16 = u16::MAX;

/// `e^x` to about 1e-7 relative error without a libm call: `2^(x log2 e)` split into the
/// nearest integer power (exponent bits) and a degree-6 Taylor polynomial for the fraction in
/// [-0.5, 0.5]. Deterministic like `exp`.
#[inline(always)]
pub fn fast_exp(x: f32) -> f32 {
    let t = x.clamp(-86.0, 86.0) * std::f32::consts::LOG2_E;
    // t + 128.5 > 0, so truncation is floor: i = round(t)
    let i = (t + 128.5) as i32 - 128;
    let f = t - i as f32;
    let p = 1.0
        + f * (0.693_147_2
            + f * (0.240_226_5
                + f * (0.055_504_11 + f * (0.009_618_129 + f * (0.001_333_355_8 + f * 0.000_154_035_3)))));
    p * f32::from_bits(((i + 127) as u32) << 23)
}

/// The interaction range to use for a crowd: neighbours farther than this never matter.
pub fn interaction_range(max_radius: f32, max_v0: f32, model: &ModelRt) -> f32 {
    2.0 * max_radius + (max_v0 * model.time_gap).max(REPULSION_CUTOFF)
}

/// Computes the next position and velocity of the agent in `slot` (sorted order).
#[inline]
pub fn step_slot(inp: &StepInput, slot: usize) -> (Vec2, Vec2) {
    let g = inp.grid;
    let p = g.pos[slot];
    let me = inp.slots[slot].pre;
    // the walls near p (the first pass looked up p's bucket)
    let near_walls = inp.slots[slot].walls.range;
    let v0 = me.v0;
    if v0 <= 0.0 {
        // standing in a queue or a lane: takes space, does not move
        return (p, Vec2::ZERO);
    }
    let r = g.radius[slot];
    let m = &inp.model;
    let venue = inp.venue;

    let field = &venue.fields[me.target as usize];
    let mut e0 = me.dir;
    if e0 == Vec2::ZERO {
        e0 = me.vel.normalize_or_zero();
    }

    // Wall repulsion; and the nearest wall on each side across the walking direction, which
    // add up to the passage's width here.
    let mut wrep = Vec2::ZERO;
    let (mut left, mut right) = (f32::INFINITY, f32::INFINITY);
    for seg in venue.walls.walls_for(near_walls, me.target, p) {
        let c = seg.closest(p);
        let d = p - c;
        let dist = d.length();
        if dist < r + WALL_LOOK && dist > 1e-6 {
            wrep += d / dist * (m.a_w * fast_exp((r - dist) / m.d_w));
        }
        // a wall beside (within 45° of straight across), not one ahead or behind
        let lat = d.perp_dot(e0);
        if lat.abs() > std::f32::consts::FRAC_1_SQRT_2 * dist {
            if lat > 0.0 {
                left = left.min(dist);
            } else {
                right = right.min(dist);
            }
        }
    }
    let zipper = if left + right < NARROW { m.zipper } else { 1.0 };

    // Pass 1: neighbour repulsion; remember neighbours for the spacing pass.
    let mut nb_d = [Vec2::ZERO; MAX_NB];
    let mut nb_s = [0.0f32; MAX_NB];
    let mut nb_l = [0.0f32; MAX_NB];
    let mut nb_k = [0u32; MAX_NB];
    let mut count = 0;
    let mut rep = Vec2::ZERO;
    let mut side = Vec2::ZERO;
    let range2 = inp.range * inp.range;
    let rep_shift = fast_exp(-REPULSION_CUTOFF / m.d_n);
    // the candidates' slots, as ranges, so this loop is inlined here (a closure per candidate
    // was a call per candidate, its captures read through memory)
    let (spans, nspans) = g.near_spans(p);
    for &(s0, s1) in &spans[..nspans] {
        let (s0, s1) = (s0 as usize, s1 as usize);
        for ((k, &q), &rk) in (s0..s1).zip(&g.pos[s0..s1]).zip(&g.radius[s0..s1]) {
            if k == slot {
                continue;
            }
            let d = q - p;
            let dist2 = d.length_squared();
            if dist2 > range2 {
                continue;
            }
            let dist = dist2.sqrt();
            let l = r + rk;
            if dist - l < REPULSION_CUTOFF {
                let u = if dist > 1e-6 {
                    d / dist
                } else {
                    // coincident: push apart along a fixed, order-dependent direction
                    let s = if k < slot { 1.0 } else { -1.0 };
                    e0.perp() * s
                };
                // shifted so that it falls to zero at the cut-off instead of jumping there
                rep -= u * (m.a_n * (fast_exp((l - dist) / m.d_n) - rep_shift));
            }
            // Anticipatory sidestep: a slower neighbour ahead in my lane makes me veer to the side
            // away from it, so faster walkers overtake instead of queueing behind; one heading the
            // other way makes me keep right (so does it), so opposing streams form lanes instead of
            // pushing head-on.
            let gap = dist - l;
            if m.side_strength > 0.0 && gap < m.side_range {
                let ahead = e0.dot(d);
                let lat = e0.perp_dot(d);
                if ahead > 0.0 && lat.abs() < l {
                    let other = &inp.slots[k].pre;
                    let closing = v0 - other.vel.dot(e0);
                    if closing > 0.1 * v0 {
                        let w = (1.0 - gap.max(0.0) / m.side_range) * (closing / v0).min(1.0) * (1.0 - lat.abs() / l);
                        // someone in my lane heading the other way (its own floor-field direction
                        // against mine, whether it moves or is held up): keep right, whichever side
                        // it is on (it does the same), so the two streams settle into lanes
                        let oncoming = other.dir.dot(e0) < -0.5;
                        let s = if oncoming || lat > 0.0 || (lat == 0.0 && k < slot) {
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
                nb_k[count] = k as u32;
                count += 1;
            }
        }
    }

    let e = (e0 + rep + wrep + side).normalize_or(e0);

    // Pass 2: spacing to the nearest neighbour ahead within the corridor of width l. Only a
    // neighbour further along this agent's own route (lower cost-to-go) can hold it back: the
    // "waits for" relation is then acyclic, so no arch of agents can block itself for ever.
    let (own_cost, own_target) = (me.cost, me.target);
    let spacing_along = |e: Vec2| {
        let mut spacing = f32::INFINITY;
        for k in 0..count {
            let d = nb_d[k];
            if e.dot(d) > 0.0 && e.perp_dot(d).abs() <= nb_l[k] * zipper && nb_s[k] < spacing {
                let other = inp.slots[nb_k[k] as usize].pre;
                let (cost_j, target_j) = (other.cost, other.target);
                let ahead = if target_j == own_target {
                    cost_j
                } else {
                    field.cost_interp(&venue.grid, p + d)
                };
                if ahead < own_cost {
                    spacing = nb_s[k];
                }
            }
        }
        spacing
    };
    let spacing = spacing_along(e);
    let mut speed = (spacing / m.time_gap).clamp(0.0, v0);
    let mut e = e;
    // held up where the routes of those close by (within 1 m of contact, same target) bend
    // away from mine: seek free space
    if m.seek_angle > 0.0
        && speed < 0.9 * v0
        && (0..count).any(|k| {
            nb_s[k] < 1.0 && {
                let other = &inp.slots[nb_k[k] as usize].pre;
                other.target == own_target && other.dir != Vec2::ZERO && other.dir.dot(e0) < SEEK_BEND
            }
        })
    {
        // held up: weigh turning towards free space; progress = speed × (direction · e0)
        let mut best = speed * e.dot(e0);
        for turn in [0.5f32, -0.5, 1.0, -1.0] {
            let (sn, cs) = (turn * m.seek_angle).sin_cos();
            let d = Vec2::new(e.x * cs - e.y * sn, e.x * sn + e.y * cs);
            let along = d.dot(e0);
            if along <= 0.0 || v0 * along <= best {
                continue;
            }
            let mut gap = f32::INFINITY;
            for k in 0..count {
                let dk = nb_d[k];
                // everyone in the way counts here, the one beside as much as the one ahead
                if d.dot(dk) > 0.0 && d.perp_dot(dk).abs() <= nb_l[k] {
                    gap = gap.min(nb_s[k]);
                }
            }
            let v = (gap / m.time_gap).clamp(0.0, v0);
            if v * along > best * 1.05 && move_ok(venue, near_walls, me.target, p, p + d * (v * inp.dt), r) {
                best = v * along;
                e = d;
                speed = v;
            }
        }
    }
    let cand = p + e * (speed * inp.dt);
    let next = constrain_in(venue, near_walls, me.target, p, cand, r);
    (next, (next - p) / inp.dt)
}

/// Whether moving from `p` to `q` keeps clear of every wall (to a walker on floor field
/// `field`): no crossing, and no closer than the body radius (or than the agent already was,
/// if it started closer).
#[inline]
fn move_ok(venue: &Venue, near: (u32, u32), field: u16, p: Vec2, q: Vec2, r: f32) -> bool {
    let step = p.distance(q);
    for seg in venue.walls.walls_for(near, field, p) {
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
/// Every door's opening is a wall here (units do not use exit doors).
#[inline]
pub fn constrain(venue: &Venue, p: Vec2, cand: Vec2, r: f32) -> Vec2 {
    constrain_in(
        venue,
        venue.walls.bucket_range(venue.walls.bucket(p)),
        SOLID,
        p,
        cand,
        r,
    )
}

/// [`constrain`] for a walker on floor field `field`, with the entries of `p`'s wall-index
/// bucket already looked up.
#[inline]
fn constrain_in(venue: &Venue, near: (u32, u32), field: u16, p: Vec2, cand: Vec2, r: f32) -> Vec2 {
    if move_ok(venue, near, field, p, cand, r) {
        return cand;
    }
    // Project the move off each wall it runs into (remove the component towards the wall's
    // nearest point, measured from where the agent stands): this slides along straight walls
    // and round door frames alike. Up to three walls; else stay.
    let mut mv = cand - p;
    for _ in 0..3 {
        let q = p + mv;
        let Some(seg) = venue
            .walls
            .walls_for(near, field, p)
            .filter(|s| s.distance(q) < r || segments_intersect(p, q, s.a, s.b))
            .min_by(|a, b| a.distance(q).total_cmp(&b.distance(q)))
        else {
            break;
        };
        let n = (p - seg.closest(p)).normalize_or_zero();
        let into = mv.dot(n);
        if into >= 0.0 || n == Vec2::ZERO {
            break;
        }
        mv -= n * into;
        if move_ok(venue, near, field, p, p + mv, r) {
            return p + mv;
        }
    }
    p
}

/// Fills `out[k] = f(k)` for every slot, split across the step's worker pool ([`crate::par`])
/// when `tasks > 1`. Each element depends only on `k`, so the split never changes the result.
pub fn par_fill<T: Send>(out: &mut [T], tasks: usize, f: impl Fn(usize) -> T + Sync) {
    if tasks > 1 {
        crate::par::fill(out, f);
    } else {
        for (k, o) in out.iter_mut().enumerate() {
            *o = f(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fast_exp;

    #[test]
    fn fast_exp_matches_exp() {
        let mut x = -40.0f32;
        while x < 10.0 {
            let (a, b) = (fast_exp(x), x.exp());
            assert!(((a - b) / b).abs() < 2e-6, "exp({x}): {a} vs {b}");
            x += 0.0137;
        }
        assert_eq!(fast_exp(0.0), 1.0);
    }
}

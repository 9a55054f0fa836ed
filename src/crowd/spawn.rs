//! Arrivals: precomputed arrival times per group, attribute draws, and placement of new agents
//! (and of visitors coming back out of a stay) on free spots of their source.

use super::neighbours::{NeighbourGrid, REACH};
use crate::crowd::GroupRt;
use crate::scenario::model::Arrivals;
use crate::venue::{Shape, Venue};
use bevy::math::Vec2;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution as _;

/// Arrival times (s after the start, ascending) of one group, from its own random stream.
pub fn arrival_times(group: &GroupRt, start: f64, duration: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut times = Vec::new();
    match &group.arrivals {
        Arrivals::Rates(steps) => crate::rng::poisson_times(steps, start, duration, rng, &mut times),
        Arrivals::Count { count, from, to } => {
            crate::rng::uniform_times(*count, from.0, to.0, start, duration, rng, &mut times)
        }
        Arrivals::Initial(n) => times.extend(std::iter::repeat_n(0.0, *n as usize)),
        Arrivals::Positions(ps) => times.extend(std::iter::repeat_n(0.0, ps.len())),
        Arrivals::Surges => {}
        Arrivals::Batches { every, rates } => {
            for st in rates {
                let (from, to) = (st.from.0 - start, st.to.0 - start);
                if !(*every >= 1.0 && st.rate > 0.0 && st.rate.is_finite()) {
                    continue;
                }
                let mut t = from;
                while t < to && t <= duration {
                    let mean = st.rate * every.min(to - t);
                    let n = rand_distr::Poisson::new(mean).map_or(0.0, |p| p.sample(rng)) as usize;
                    if t >= 0.0 {
                        times.extend(std::iter::repeat_n(t, n));
                    }
                    t += every;
                }
            }
        }
    }
    times.sort_by(f64::total_cmp);
    times
}

/// Picks an index by weight (weights are validated positive).
pub fn choose(choices: &[(usize, f64)], rng: &mut ChaCha8Rng) -> Option<usize> {
    let total: f64 = choices.iter().map(|c| c.1).sum();
    if choices.is_empty() || total <= 0.0 {
        return None;
    }
    let mut x = rng.random::<f64>() * total;
    for &(i, w) in choices {
        if x < w {
            return Some(i);
        }
        x -= w;
    }
    choices.last().map(|c| c.0)
}

/// Agents placed during the current step, bucketed so overlap tests stay local.
#[derive(Debug, Default)]
pub struct PlacedThisStep {
    cells: Vec<Vec<(Vec2, f32)>>,
    touched: Vec<usize>,
}

impl PlacedThisStep {
    /// Forgets all placements (keeps the allocation).
    pub fn clear(&mut self) {
        for &c in &self.touched {
            self.cells[c].clear();
        }
        self.touched.clear();
    }

    fn insert(&mut self, grid: &NeighbourGrid, p: Vec2, r: f32) {
        if self.cells.len() != grid.nx * grid.ny {
            self.cells = vec![Vec::new(); grid.nx * grid.ny];
        }
        let (x, y) = grid.xy(p);
        let c = y * grid.nx + x;
        if self.cells[c].is_empty() {
            self.touched.push(c);
        }
        self.cells[c].push((p, r));
    }

    fn occupied(&self, grid: &NeighbourGrid, p: Vec2, r: f32) -> bool {
        if self.cells.is_empty() {
            return false;
        }
        let (cx, cy) = grid.xy(p);
        for y in cy.saturating_sub(REACH)..=(cy + REACH).min(grid.ny - 1) {
            for x in cx.saturating_sub(REACH)..=(cx + REACH).min(grid.nx - 1) {
                for &(q, rq) in &self.cells[y * grid.nx + x] {
                    let d = r + rq;
                    if q.distance_squared(p) < d * d {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// Tries up to `tries` random spots in `shape` that are walkable, at least `r` from walls and
/// not overlapping anyone; records the spot in `placed`.
#[allow(clippy::too_many_arguments)]
pub fn place(
    shape: &Shape,
    r: f32,
    tries: usize,
    venue: &Venue,
    grid: &NeighbourGrid,
    placed: &mut PlacedThisStep,
    rng: &mut ChaCha8Rng,
) -> Option<Vec2> {
    for _ in 0..tries {
        let p = shape.sample(rng);
        if venue.grid.walkable(p)
            && venue.is_free(p)
            && venue.wall_clearance(p) >= r
            && !grid.occupied(p, r)
            && !placed.occupied(grid, p, r)
        {
            placed.insert(grid, p, r);
            return Some(p);
        }
        if matches!(shape, Shape::Circle(_, rr) if *rr <= 0.0) {
            break;
        }
    }
    None
}

/// Places an agent at an exact spot (start positions given in the file) and records it.
pub fn place_exact(grid: &NeighbourGrid, placed: &mut PlacedThisStep, p: Vec2, r: f32) {
    placed.insert(grid, p, r);
}

/// Which item classes a new visitor of group `group` carries (bit per class), one Bernoulli draw
/// per class from the group's own stream.
pub fn draw_items(carriers: &[Vec<f64>], group: usize, rng: &mut ChaCha8Rng) -> u32 {
    let mut items = 0u32;
    for (k, shares) in carriers.iter().enumerate().take(32) {
        let f = shares.get(group).copied().unwrap_or(0.0);
        if f > 0.0 && rng.random::<f64>() < f {
            items |= 1 << k;
        }
    }
    items
}

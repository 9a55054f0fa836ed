//! Uniform-grid neighbour search: agents are counting-sorted by cell every step into reused
//! buffers (no allocation once warm), so each cell's agents sit contiguously in memory.
//!
//! The sort is two-level so a step costs O(agents + occupied blocks), not O(cells): cells are
//! grouped in row blocks of [`BLOCK`], and only the blocks holding agents get per-cell offsets,
//! stored compactly (one [`BLOCK`]-cell record per occupied block, in block order). On a
//! 1.4 × 1.1 km site the grid has ~700k cells; per-cell arrays over all of them (as an earlier
//! version kept) spilled the sort out of the cache whatever the crowd.

use bevy::math::Vec2;

/// Cells searched on each side of an agent's cell (cells of range / REACH). 1 (3 × 3 cells of the
/// full range) measured fewer instructions per step than 2 (5 × 5 half-size cells) at 2 /m².
pub const REACH: usize = 1;
/// Most slot ranges [`NeighbourGrid::near_spans`] returns: two per row of cells searched.
pub const MAX_SPANS: usize = 2 * (2 * REACH + 1);

/// Cells per block of the two-level sort.
pub const BLOCK: usize = 16;

/// Marks a block without agents in `block_rec`.
const EMPTY: u32 = u32::MAX;

/// Agents bucketed by a uniform grid, stored in cell order.
#[derive(Debug, Default, Clone)]
pub struct NeighbourGrid {
    /// Lower-left corner.
    pub origin: Vec2,
    /// Cell edge, m (the interaction range / REACH).
    pub cell: f32,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// Per block: index of its record among the occupied blocks, or [`EMPTY`].
    block_rec: Vec<u32>,
    /// Occupied blocks, ascending.
    occupied: Vec<u32>,
    /// Per occupied block: its first slot.
    rec_start: Vec<u32>,
    /// Per occupied block, [`BLOCK`] entries: for each of its cells, the slot after its last agent,
    /// relative to the block's first slot (while sorting: the count, then the next free slot).
    rec_end: Vec<u32>,
    /// Slot to agent index (in the unsorted input).
    pub order: Vec<u32>,
    /// Positions in slot order.
    pub pos: Vec<Vec2>,
    /// Radii in slot order.
    pub radius: Vec<f32>,
    /// Cell of the q-th agent visited.
    cell_of: Vec<u32>,
}

impl NeighbourGrid {
    /// An empty grid covering `[min, max]` that finds every agent within `range` metres.
    pub fn new(min: Vec2, max: Vec2, range: f32) -> NeighbourGrid {
        let cell = range / REACH as f32;
        let nx = (((max.x - min.x) / cell).ceil() as usize).max(1);
        let ny = (((max.y - min.y) / cell).ceil() as usize).max(1);
        let nb = (nx * ny).div_ceil(BLOCK);
        NeighbourGrid {
            origin: min,
            cell,
            nx,
            ny,
            block_rec: vec![EMPTY; nb],
            ..Default::default()
        }
    }

    /// Slots of the agents in cells `c0..=c1`, which lie in one block.
    #[inline(always)]
    fn span(&self, c0: usize, c1: usize) -> std::ops::Range<usize> {
        let k = self.block_rec[c0 / BLOCK];
        if k == EMPTY {
            return 0..0;
        }
        let k = k as usize;
        let (j0, j1, base) = (c0 % BLOCK, c1 % BLOCK, self.rec_start[k]);
        let s = if j0 == 0 { 0 } else { self.rec_end[k * BLOCK + j0 - 1] };
        (base + s) as usize..(base + self.rec_end[k * BLOCK + j1]) as usize
    }

    /// Column and row of `p`, clamped to the grid.
    #[inline]
    pub fn xy(&self, p: Vec2) -> (usize, usize) {
        let fx = ((p.x - self.origin.x) / self.cell).max(0.0);
        let fy = ((p.y - self.origin.y) / self.cell).max(0.0);
        ((fx as usize).min(self.nx - 1), (fy as usize).min(self.ny - 1))
    }

    /// Re-buckets all agents (stable counting sort: equal cells keep input order).
    pub fn rebuild(&mut self, pos: &[Vec2], radius: &[f32]) {
        self.rebuild_with(pos.len(), |q| q, pos, radius);
    }

    /// Re-buckets the agents at the input indices `seq` (in that order; indices not in it are
    /// left out): equal cells keep `seq` order. When `seq` is last step's slot order, the sort
    /// walks its arrays almost in order (agents rarely change cell), which keeps it in cache.
    pub fn rebuild_in(&mut self, seq: &[u32], pos: &[Vec2], radius: &[f32]) {
        debug_assert!(seq.len() <= pos.len());
        self.rebuild_with(seq.len(), |q| seq[q] as usize, pos, radius);
    }

    #[inline(always)]
    fn rebuild_with(&mut self, n: usize, idx: impl Fn(usize) -> usize, pos: &[Vec2], radius: &[f32]) {
        let mut cell_of = std::mem::take(&mut self.cell_of);
        cell_of.clear();
        cell_of.extend((0..n).map(|q| {
            let (x, y) = self.xy(pos[idx(q)]);
            (y * self.nx + x) as u32
        }));
        self.cell_of = cell_of;
        // occupied blocks: forget last step's, find this step's, number them in block order
        for &b in &self.occupied {
            self.block_rec[b as usize] = EMPTY;
        }
        self.occupied.clear();
        for &c in &self.cell_of {
            let b = c as usize / BLOCK;
            if self.block_rec[b] == EMPTY {
                self.block_rec[b] = 0;
                self.occupied.push(b as u32);
            }
        }
        self.occupied.sort_unstable();
        for (k, &b) in self.occupied.iter().enumerate() {
            self.block_rec[b as usize] = k as u32;
        }
        // count per cell, then each block's first slot and each cell's first slot in its block
        let m = self.occupied.len();
        self.rec_end.clear();
        self.rec_end.resize(m * BLOCK, 0);
        self.rec_start.clear();
        self.rec_start.resize(m, 0);
        for &c in &self.cell_of {
            let c = c as usize;
            self.rec_end[self.block_rec[c / BLOCK] as usize * BLOCK + c % BLOCK] += 1;
        }
        let mut acc = 0u32;
        for (k, cells) in self.rec_end.chunks_exact_mut(BLOCK).enumerate() {
            self.rec_start[k] = acc;
            let mut within = 0u32;
            for x in cells {
                let count = *x;
                *x = within;
                within += count;
            }
            acc += within;
        }
        self.order.resize(n, 0);
        self.pos.resize(n, Vec2::ZERO);
        self.radius.resize(n, 0.0);
        // place in visiting order (stable); each cell's entry advances from its first slot to
        // the slot after its last agent
        for (q, &c) in self.cell_of.iter().enumerate() {
            let c = c as usize;
            let k = self.block_rec[c / BLOCK] as usize;
            let e = &mut self.rec_end[k * BLOCK + c % BLOCK];
            let slot = (self.rec_start[k] + *e) as usize;
            *e += 1;
            let i = idx(q);
            self.order[slot] = i as u32;
            self.pos[slot] = pos[i];
            self.radius[slot] = radius[i];
        }
    }

    /// The slot ranges holding the agents in the cells within [`REACH`] cells of `p`'s cell
    /// (which covers every agent within `REACH * cell` of `p`), in cell order: at most
    /// [`MAX_SPANS`] ranges, the first `n` of the array (a row of cells is one range, or two where
    /// it crosses a block edge). Returned as data so the caller's loop over the slots is inlined.
    #[inline(always)]
    pub fn near_spans(&self, p: Vec2) -> ([(u32, u32); MAX_SPANS], usize) {
        let mut out = [(0u32, 0u32); MAX_SPANS];
        let mut n = 0;
        let (cx, cy) = self.xy(p);
        let y0 = cy.saturating_sub(REACH);
        let y1 = (cy + REACH).min(self.ny - 1);
        let x0 = cx.saturating_sub(REACH);
        let x1 = (cx + REACH).min(self.nx - 1);
        for y in y0..=y1 {
            let row = y * self.nx;
            let (c0, c1) = (row + x0, row + x1);
            // the cells of a row are contiguous slots within a block
            let split = if c0 / BLOCK == c1 / BLOCK {
                c1 + 1
            } else {
                (c1 / BLOCK) * BLOCK
            };
            let a = self.span(c0, split - 1);
            out[n] = (a.start as u32, a.end as u32);
            n += 1;
            if split <= c1 {
                let b = self.span(split, c1);
                out[n] = (b.start as u32, b.end as u32);
                n += 1;
            }
        }
        (out, n)
    }

    /// Calls `f(slot)` for every agent in the cells within [`REACH`] cells of `p`'s cell, which
    /// covers every agent within `REACH * cell` of `p`.
    #[inline(always)]
    pub fn for_each_near(&self, p: Vec2, mut f: impl FnMut(usize)) {
        let (spans, n) = self.near_spans(p);
        for &(a, b) in &spans[..n] {
            for k in a as usize..b as usize {
                f(k);
            }
        }
    }

    /// Whether any agent lies within `clearance + its radius` of `p`.
    pub fn occupied(&self, p: Vec2, clearance: f32) -> bool {
        let mut hit = false;
        self.for_each_near(p, |k| {
            let r = clearance + self.radius[k];
            if self.pos[k].distance_squared(p) < r * r {
                hit = true;
            }
        });
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_exactly_the_agents_in_the_three_by_three_cells_across_block_edges() {
        // 37 x 23 cells of 1 m: rows are not a multiple of the block size, so blocks straddle rows
        let mut g = NeighbourGrid::new(Vec2::ZERO, Vec2::new(37.0, 23.0), 1.0);
        let mut state = 12345u64;
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        for round in 0..6 {
            // few agents (sparse blocks), then many; the same grid is reused; odd rounds visit
            // the agents in reverse
            let n = [40, 40, 400, 400, 3, 3][round];
            let pos: Vec<Vec2> = (0..n).map(|_| Vec2::new(rnd() * 37.0, rnd() * 23.0)).collect();
            let radius = vec![0.2; n];
            let seq: Vec<u32> = if round % 2 == 1 {
                (0..n as u32).rev().collect()
            } else {
                (0..n as u32).collect()
            };
            if round % 2 == 1 {
                g.rebuild_in(&seq, &pos, &radius);
            } else {
                g.rebuild(&pos, &radius);
            }
            let cell = |p: Vec2| {
                let (x, y) = g.xy(p);
                y * g.nx + x
            };
            let rank = |i: u32| seq.iter().position(|&j| j == i);
            for (slot, &i) in g.order.iter().enumerate() {
                assert_eq!(g.pos[slot], pos[i as usize]);
                if slot > 0 {
                    // slots in cell order; equal cells in visiting order
                    let (a, b) = (g.order[slot - 1], i);
                    let (ca, cb) = (cell(pos[a as usize]), cell(pos[b as usize]));
                    assert!(ca < cb || (ca == cb && rank(a) < rank(b)), "round {round}, slot {slot}");
                }
            }
            for probe in &pos {
                let mut found: Vec<u32> = Vec::new();
                g.for_each_near(*probe, |k| found.push(g.order[k]));
                found.sort_unstable();
                let (cx, cy) = g.xy(*probe);
                let mut want: Vec<u32> = (0..n as u32)
                    .filter(|&j| {
                        let (x, y) = g.xy(pos[j as usize]);
                        x.abs_diff(cx) <= REACH && y.abs_diff(cy) <= REACH
                    })
                    .collect();
                want.sort_unstable();
                assert_eq!(found, want, "round {round}");
            }
        }
    }
}

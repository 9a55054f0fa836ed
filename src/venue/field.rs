//! Floor fields: for each target, the cost-to-go over the walkable raster (8-neighbour Dijkstra,
//! with extra cost near walls) and the descent direction per cell. Computed once, cached per target.
//!
//! A field keeps only the window of the raster it reaches (a field of a place behind a ring covers
//! that ring's region, not the whole site), one 4-byte cell each: the cost quantised to 16 bits
//! (step = the field's largest cost / 65534, a few centimetres on a 1 km site) and the direction
//! to two signed bytes. That is 4 bytes per cell of the window instead of 12 per cell of the
//! raster, and the 2 × 2 stencil an agent samples lies in two cache lines.

use super::Shape;
use super::grid::NavGrid;
use bevy::math::Vec2;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What a floor field leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldGoal {
    /// Into a place, over the free raster.
    To(Shape),
    /// Out through a door's opening (`cells`, blocked in the raster) from region `inner`
    /// over the cells `front` of it outside to `seeds`, `out` pointing out.
    Through {
        /// The opening's raster cells, sorted.
        cells: Vec<usize>,
        /// The cells in front of it outside, sorted.
        front: Vec<usize>,
        /// Where the way out ends.
        seeds: Vec<usize>,
        /// Unit normal out through the opening.
        out: Vec2,
        /// Region inside.
        inner: u32,
    },
}

/// Cost-to-go and walking direction towards one target.
#[derive(Debug, Clone)]
pub struct FloorField {
    /// First raster column of the window.
    x0: usize,
    /// First raster row of the window.
    y0: usize,
    /// Window width in cells.
    w: usize,
    /// Window height in cells.
    hgt: usize,
    /// Per window cell: cost-to-go in units of `step` ([`UNREACHED`] where the target cannot be
    /// reached) and the unit direction of steepest descent ×127 (zero where blocked or unreachable).
    cells: Vec<Cell>,
    /// Metres-equivalent per cost unit.
    step: f32,
}

/// One cell of a floor field.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    cost: u16,
    dir: [i8; 2],
}

/// What an agent's last floor-field sample read (see [`FloorField::sample_memo`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SampleMemo {
    valid: bool,
    id: u32,
    field: u16,
    generation: u32,
    x0: i32,
    y0: i32,
    cells: [Cell; 4],
}

/// Quantised cost of a cell the target cannot be reached from.
const UNREACHED: u16 = u16::MAX;

impl FloorField {
    /// Cost of window cell `i`, m (infinite where unreachable).
    #[inline(always)]
    fn cost_of(&self, i: usize) -> f32 {
        let c = self.cells[i].cost;
        if c == UNREACHED {
            f32::INFINITY
        } else {
            f32::from(c) * self.step
        }
    }
}

/// Decodes a quantised direction.
#[inline(always)]
fn dir_of(d: [i8; 2]) -> Vec2 {
    Vec2::new(f32::from(d[0]), f32::from(d[1])) * (1.0 / 127.0)
}

/// `floor` as an integer without a libm call (the hot path runs it several times per agent).
#[inline(always)]
fn floor_i(x: f32) -> isize {
    let i = x as isize;
    if (i as f32) > x { i - 1 } else { i }
}

/// Extra cost factor in cells close to walls: `1 + 3 (1 − d/buffer)²` for `d < buffer`.
/// How far routes keep off walls and off wall corners, m (0: not at all): within the buffer a
/// step costs up to 4 times its length (see [`wall_factor`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Buffers {
    /// Off walls (`model.wall_buffer`).
    pub wall: f32,
    /// Off wall corners (`model.corner_buffer`).
    pub corner: f32,
}

impl Buffers {
    /// Shortest paths, hugging walls and corners (response units).
    pub const NONE: Buffers = Buffers { wall: 0.0, corner: 0.0 };

    /// Bit patterns, for cache keys.
    pub fn bits(self) -> (u32, u32) {
        (self.wall.to_bits(), self.corner.to_bits())
    }
}

/// Cost factor of a step at distance `d` from a wall or a corner with buffer `buffer`:
/// 1 + 3 (1 − d/b)² inside the buffer, 1 beyond.
fn wall_factor(d: f32, buffer: f32) -> f32 {
    if buffer <= 0.0 || d >= buffer {
        1.0
    } else {
        let u = 1.0 - d / buffer;
        1.0 + 3.0 * u * u
    }
}

impl FloorField {
    /// Dijkstra from the target's cells (cost 0) over free cells.
    pub fn compute(grid: &NavGrid, target: &Shape, buffers: Buffers) -> FloorField {
        let seeds = target.cells(grid);
        FloorField::compute_from(grid, &seeds, &|i| !grid.blocked[i], buffers, &|c| {
            (target.center_near(c) - c).normalize_or_zero()
        })
    }

    /// The way out through a door: from just outside its opening (cost 0) through the
    /// opening's cells into the region inside, and nowhere else (the raster keeps the opening
    /// blocked for everyone else).
    pub fn compute_goal(grid: &NavGrid, goal: &FieldGoal, region: &[u32], buffers: Buffers) -> FloorField {
        match goal {
            FieldGoal::To(shape) => FloorField::compute(grid, shape, buffers),
            FieldGoal::Through {
                cells,
                front,
                seeds,
                out,
                inner,
            } => {
                let free = |i: usize| {
                    (!grid.blocked[i] && region[i] == *inner)
                        || cells.binary_search(&i).is_ok()
                        || front.binary_search(&i).is_ok()
                };
                FloorField::compute_from(grid, seeds, &free, buffers, &|_| *out)
            }
        }
    }

    /// Dijkstra from `seeds` (cost 0) over the cells `free` admits; a cell of cost 0 points
    /// the way `seed_dir` gives at its centre.
    pub fn compute_from<F: Fn(usize) -> bool, D: Fn(Vec2) -> Vec2>(
        grid: &NavGrid,
        seeds: &[usize],
        free: &F,
        buffers: Buffers,
        seed_dir: &D,
    ) -> FloorField {
        let n = grid.nx * grid.ny;
        let mut cost = vec![f32::INFINITY; n];
        let mut heap = BinaryHeap::new();
        for &s in seeds {
            if free(s) && cost[s] > 0.0 {
                cost[s] = 0.0;
                heap.push(Reverse((0u32, s)));
            }
        }
        let factor: Vec<f32> = grid
            .wall_dist
            .iter()
            .zip(&grid.corner_dist)
            .map(|(&d, &c)| wall_factor(d, buffers.wall).max(wall_factor(c, buffers.corner)))
            .collect();
        while let Some(Reverse((key, i))) = heap.pop() {
            let ci = f32::from_bits(key);
            if ci > cost[i] {
                continue;
            }
            grid.neighbours_in(i, free, |j, len| {
                let nc = ci + len * grid.h * 0.5 * (factor[i] + factor[j]);
                if nc < cost[j] {
                    cost[j] = nc;
                    heap.push(Reverse((nc.to_bits(), j)));
                }
            });
        }
        let dir = directions(grid, &cost, free, seed_dir);
        // crop to the bounding box of the reached cells
        let (nx, ny) = (grid.nx, grid.ny);
        let (mut x0, mut y0, mut x1, mut y1) = (nx, ny, 0, 0);
        for (i, c) in cost.iter().enumerate() {
            if c.is_finite() {
                let (x, y) = (i % nx, i / nx);
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
        if x0 > x1 {
            return FloorField {
                x0: 0,
                y0: 0,
                w: 0,
                hgt: 0,
                cells: Vec::new(),
                step: 1.0,
            };
        }
        let (w, hgt) = (x1 - x0 + 1, y1 - y0 + 1);
        let top = cost.iter().copied().filter(|c| c.is_finite()).fold(0.0f32, f32::max);
        let step = (top / f32::from(UNREACHED - 1)).max(1e-6);
        let mut cells = Vec::with_capacity(w * hgt);
        for y in y0..=y1 {
            cells.extend((y * nx + x0..=y * nx + x1).map(|i| {
                let q = (dir[i] * 127.0).round();
                Cell {
                    cost: if cost[i].is_finite() {
                        (cost[i] / step).round().min(f32::from(UNREACHED - 1)) as u16
                    } else {
                        UNREACHED
                    },
                    dir: [q.x as i8, q.y as i8],
                }
            }));
        }
        FloorField {
            x0,
            y0,
            w,
            hgt,
            cells,
            step,
        }
    }

    /// Cost-to-go of raster cell `i` (infinite outside the field's window or where unreachable).
    #[inline]
    pub fn cell_cost(&self, grid: &NavGrid, i: usize) -> f32 {
        let (x, y) = (i % grid.nx, i / grid.nx);
        let (wx, wy) = (x.wrapping_sub(self.x0), y.wrapping_sub(self.y0));
        if wx < self.w && wy < self.hgt {
            self.cost_of(wy * self.w + wx)
        } else {
            f32::INFINITY
        }
    }

    /// Bytes per cell of a field's window.
    pub const BYTES_PER_CELL: usize = std::mem::size_of::<Cell>();

    /// Bytes held by the field.
    pub fn bytes(&self) -> usize {
        self.cells.len() * std::mem::size_of::<Cell>()
    }

    /// The 2 × 2 stencil's cells from window cell (x0, y0) (outside the window: unreached).
    #[inline(always)]
    fn stencil(&self, x0: isize, y0: isize) -> [Cell; 4] {
        let at = |x: isize, y: isize| {
            if x < 0 || y < 0 || x >= self.w as isize || y >= self.hgt as isize {
                Cell {
                    cost: UNREACHED,
                    dir: [0, 0],
                }
            } else {
                self.cells[y as usize * self.w + x as usize]
            }
        };
        [at(x0, y0), at(x0 + 1, y0), at(x0, y0 + 1), at(x0 + 1, y0 + 1)]
    }

    /// Cost-to-go and walking direction at `p` from one shared 2 × 2 stencil (the hot path):
    /// the same values as [`Self::cost_interp`] and [`Self::direction`].
    #[inline]
    pub fn sample(&self, grid: &NavGrid, p: Vec2) -> (f32, Vec2) {
        let fx = (p.x - grid.origin.x) / grid.h - 0.5 - self.x0 as f32;
        let fy = (p.y - grid.origin.y) / grid.h - 0.5 - self.y0 as f32;
        let (x0, y0) = (floor_i(fx), floor_i(fy));
        self.blend(grid, p, fx, fy, x0, y0, &self.stencil(x0, y0))
    }

    /// [`Self::sample`] for agent `id` on field `field`, reusing the stencil it read last time
    /// when it is still in the same cell (agents cross a 1 m cell in several steps) of the same
    /// `generation` of the venue's fields: the same result, without the cache misses of reading
    /// the field again.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub fn sample_memo(
        &self,
        grid: &NavGrid,
        p: Vec2,
        id: u32,
        field: u16,
        generation: u32,
        memo: &mut SampleMemo,
    ) -> (f32, Vec2) {
        let fx = (p.x - grid.origin.x) / grid.h - 0.5 - self.x0 as f32;
        let fy = (p.y - grid.origin.y) / grid.h - 0.5 - self.y0 as f32;
        let (x0, y0) = (floor_i(fx), floor_i(fy));
        let key = (id, field, generation, x0 as i32, y0 as i32);
        if !memo.valid || (memo.id, memo.field, memo.generation, memo.x0, memo.y0) != key {
            *memo = SampleMemo {
                valid: true,
                id,
                field,
                generation,
                x0: x0 as i32,
                y0: y0 as i32,
                cells: self.stencil(x0, y0),
            };
        }
        self.blend(grid, p, fx, fy, x0, y0, &memo.cells)
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn blend(&self, grid: &NavGrid, p: Vec2, fx: f32, fy: f32, x0: isize, y0: isize, cells: &[Cell; 4]) -> (f32, Vec2) {
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let mut dir = Vec2::ZERO;
        let (mut cost, mut wsum) = (0.0, 0.0);
        for (cell, w) in cells
            .iter()
            .zip([(1.0 - tx) * (1.0 - ty), tx * (1.0 - ty), (1.0 - tx) * ty, tx * ty])
        {
            if cell.cost != UNREACHED {
                let c = f32::from(cell.cost) * self.step;
                dir += dir_of(cell.dir) * w;
                cost += c * w;
                wsum += w;
            }
        }
        let cost = if wsum > 1e-6 {
            cost / wsum
        } else {
            self.cost_at(grid, p)
        };
        let dir = if wsum > 1e-3 {
            dir.normalize_or_zero()
        } else {
            self.fallback(grid, p)
        };
        (cost, dir)
    }

    /// Walking direction at `p`: bilinear blend of the four nearest cell directions, ignoring
    /// blocked ones; falls back to the best free cell nearby. Zero if nothing is reachable.
    #[inline]
    pub fn direction(&self, grid: &NavGrid, p: Vec2) -> Vec2 {
        self.sample(grid, p).1
    }

    #[cold]
    fn fallback(&self, grid: &NavGrid, p: Vec2) -> Vec2 {
        let (cx, cy) = grid.clamp_xy(p);
        let mut best: Option<(f32, usize, usize)> = None;
        for y in cy.saturating_sub(2)..=(cy + 2).min(grid.ny - 1) {
            for x in cx.saturating_sub(2)..=(cx + 2).min(grid.nx - 1) {
                let c = self.cell_cost(grid, y * grid.nx + x);
                if c.is_finite() && best.is_none_or(|b| c < b.0) {
                    best = Some((c, x, y));
                }
            }
        }
        best.map_or(Vec2::ZERO, |(_, x, y)| (grid.center(x, y) - p).normalize_or_zero())
    }

    /// Cost-to-go at `p`, bilinear over the four nearest reachable cells (infinite if none).
    #[inline]
    pub fn cost_interp(&self, grid: &NavGrid, p: Vec2) -> f32 {
        let fx = (p.x - grid.origin.x) / grid.h - 0.5 - self.x0 as f32;
        let fy = (p.y - grid.origin.y) / grid.h - 0.5 - self.y0 as f32;
        let (x0, y0) = (floor_i(fx), floor_i(fy));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        if x0 >= 0 && y0 >= 0 && ((x0 + 1) as usize) < self.w && ((y0 + 1) as usize) < self.hgt {
            // interior fast path: one 2 x 2 block
            let i = y0 as usize * self.w + x0 as usize;
            let c = [
                self.cost_of(i),
                self.cost_of(i + 1),
                self.cost_of(i + self.w),
                self.cost_of(i + self.w + 1),
            ];
            let w = [(1.0 - tx) * (1.0 - ty), tx * (1.0 - ty), (1.0 - tx) * ty, tx * ty];
            if c.iter().all(|v| v.is_finite()) {
                return c[0] * w[0] + c[1] * w[1] + c[2] * w[2] + c[3] * w[3];
            }
            let (mut acc, mut wsum) = (0.0, 0.0);
            for k in 0..4 {
                if c[k].is_finite() {
                    acc += c[k] * w[k];
                    wsum += w[k];
                }
            }
            return if wsum > 1e-6 { acc / wsum } else { self.cost_at(grid, p) };
        }
        self.sample(grid, p).0
    }

    /// The length of the shortest way from `p` to this field's goal, m: the way its walking
    /// directions lead, followed a cell's width at a time, then pulled taut (each stretch as
    /// long as a straight line stays on reachable cells). Unlike the cost-to-go it counts no
    /// wall-buffer cost and none of the eight-direction grid's zig-zags. The last stretch (and
    /// the rest of the way, should a step cut a corner into an unreachable cell) counts as its
    /// cost-to-go. Infinite if `p` cannot reach the goal.
    pub fn way_length(&self, grid: &NavGrid, p: Vec2) -> f32 {
        let (mut cost, mut dir) = self.sample(grid, p);
        if !cost.is_finite() {
            return f32::INFINITY;
        }
        let step = grid.h;
        // a way is never longer than its cost; stop well after that
        let max_steps = (cost / step * 2.0) as usize + 8;
        let mut way = vec![p];
        for _ in 0..max_steps {
            if cost <= step {
                break;
            }
            let at = way[way.len() - 1];
            let mut next = at + dir * step;
            let (mut c, mut d) = self.sample(grid, next);
            if !c.is_finite() || dir == Vec2::ZERO {
                // the step cuts a corner into an unreachable cell (or the direction gives
                // out): to the cheapest cell round this one instead
                let (cx, cy) = grid.clamp_xy(at);
                let mut best: Option<(f32, usize, usize)> = None;
                for y in cy.saturating_sub(1)..=(cy + 1).min(grid.ny - 1) {
                    for x in cx.saturating_sub(1)..=(cx + 1).min(grid.nx - 1) {
                        let cj = self.cell_cost(grid, y * grid.nx + x);
                        if cj.is_finite() && (x, y) != (cx, cy) && best.is_none_or(|b| cj < b.0) {
                            best = Some((cj, x, y));
                        }
                    }
                }
                let Some((_, x, y)) = best else { break };
                next = grid.center(x, y);
                (c, d) = self.sample(grid, next);
                if !c.is_finite() {
                    break;
                }
            }
            (cost, dir) = (c, d);
            way.push(next);
        }
        // pulled taut: from each corner, the farthest point of the way in a straight line
        // (galloping, then halving: a few checks per corner)
        let seen = |a: Vec2, b: Vec2| {
            let n = (a.distance(b) / (step * 0.5)).ceil() as usize;
            (1..n).all(|k| self.cost_at(grid, a.lerp(b, k as f32 / n as f32)).is_finite())
        };
        let last = way.len() - 1;
        let (mut i, mut len) = (0, 0.0f32);
        while i < last {
            let (mut lo, mut jump) = (i + 1, 2);
            let mut hi = None;
            while lo < last {
                let j = (i + jump).min(last);
                if seen(way[i], way[j]) {
                    lo = j;
                    jump *= 2;
                } else {
                    hi = Some(j);
                    break;
                }
            }
            if let Some(mut hi) = hi {
                while hi - lo > 1 {
                    let m = (lo + hi) / 2;
                    if seen(way[i], way[m]) {
                        lo = m;
                    } else {
                        hi = m;
                    }
                }
            }
            len += way[i].distance(way[lo]);
            i = lo;
        }
        len + cost
    }

    /// Cost-to-go of the cell containing `p` (infinite outside or unreachable).
    pub fn cost_at(&self, grid: &NavGrid, p: Vec2) -> f32 {
        grid.cell_of(p).map_or(f32::INFINITY, |i| self.cell_cost(grid, i))
    }
}

/// Negative gradient by central differences; a missing neighbour uses the cell's own value.
fn directions<F: Fn(usize) -> bool, D: Fn(Vec2) -> Vec2>(
    grid: &NavGrid,
    cost: &[f32],
    free: &F,
    seed_dir: &D,
) -> Vec<Vec2> {
    let (nx, ny) = (grid.nx, grid.ny);
    let mut dir = vec![Vec2::ZERO; nx * ny];
    for y in 0..ny {
        for x in 0..nx {
            let i = y * nx + x;
            let c = cost[i];
            if !c.is_finite() || c == 0.0 {
                continue;
            }
            let at = |xx: isize, yy: isize| -> f32 {
                if xx < 0 || yy < 0 || xx >= nx as isize || yy >= ny as isize {
                    return c;
                }
                let v = cost[yy as usize * nx + xx as usize];
                if v.is_finite() { v } else { c }
            };
            let (xi, yi) = (x as isize, y as isize);
            let gx = at(xi + 1, yi) - at(xi - 1, yi);
            let gy = at(xi, yi + 1) - at(xi, yi - 1);
            let mut d = Vec2::new(-gx, -gy).normalize_or_zero();
            if d == Vec2::ZERO {
                // plateau or saddle: head for the cheapest neighbour
                let mut best = (c, Vec2::ZERO);
                grid.neighbours_in(i, free, |j, _| {
                    if cost[j] < best.0 {
                        let (jx, jy) = ((j % nx) as f32, (j / nx) as f32);
                        best = (cost[j], Vec2::new(jx - x as f32, jy - y as f32).normalize_or_zero());
                    }
                });
                d = best.1;
            }
            dir[i] = d;
        }
    }
    // Cells inside the target (cost 0) point at its centre, so an agent in them walks on in.
    for i in 0..nx * ny {
        if cost[i] == 0.0 {
            dir[i] = seed_dir(grid.center(i % nx, i / nx));
        }
    }
    dir
}

//! Coverage: how much of the venue, and of the crowd, a free unit can reach within each
//! response-time threshold. Every `coverage_interval` seconds one travel-time field is computed
//! from all available units on a coarse raster of the walkable area (walls rasterised so they
//! block), by Dijkstra over a 32-direction stencil (moves up to 3 cells, checked cell by cell
//! for walls), which keeps distances within about 1% of straight-line ones in open space. Units
//! of different speeds are grouped by speed; the field is the minimum over the groups.

use super::{Responders, Task, Unit};
use crate::crowd::{Position, Standing, Walking};
use crate::metrics::stats::round;
use crate::schedule::SimClock;
use crate::venue::Venue;
use crate::venue::geometry::Segment;
use crate::venue::grid::NavGrid;
use bevy::prelude::*;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// One stencil move: offset, length in cells, and the cells it passes through.
#[derive(Debug, Clone)]
struct Move {
    dx: isize,
    dy: isize,
    len: f32,
    through: Vec<(isize, isize)>,
}

fn stencil() -> Vec<Move> {
    let mut out = Vec::new();
    for dx in -3isize..=3 {
        for dy in -3isize..=3 {
            if (dx, dy) == (0, 0) || gcd(dx.unsigned_abs(), dy.unsigned_abs()) != 1 {
                continue;
            }
            // cells the segment between the two centres passes through (dense sampling)
            let mut through = Vec::new();
            let n = 24;
            for k in 1..n {
                let f = k as f32 / n as f32;
                let (x, y) = (
                    (dx as f32 * f + 0.5).floor() as isize,
                    (dy as f32 * f + 0.5).floor() as isize,
                );
                // also the neighbours a corner-touching line grazes
                for c in [(x, y)] {
                    if c != (0, 0) && c != (dx, dy) && !through.contains(&c) {
                        through.push(c);
                    }
                }
            }
            if dx != 0 && dy != 0 && dx.abs() == 1 && dy.abs() == 1 {
                through.push((dx, 0));
                through.push((0, dy));
            }
            out.push(Move {
                dx,
                dy,
                len: ((dx * dx + dy * dy) as f32).sqrt(),
                through,
            });
        }
    }
    out
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// One coverage sample.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoverageSample {
    /// s after the start.
    pub t: f64,
    /// Units available.
    pub units: u64,
    /// Share of walkable area within each threshold.
    pub area: Vec<f64>,
    /// Share of present visitors within each threshold (None when nobody is present).
    pub crowd: Vec<Option<f64>>,
}

/// Per-cell coverage maps at one threshold (for the report's figures).
#[derive(Debug)]
pub struct CoverageMaps<'a> {
    /// The coverage raster (blocked cells are walls).
    pub grid: &'a NavGrid,
    /// Threshold, s.
    pub threshold_s: f64,
    /// Travel time per cell at the worst sample, s (infinite where no unit could reach).
    pub worst: &'a [f32],
    /// When the worst sample was taken, s after the start.
    pub worst_t: f64,
    /// Share of samples in which each cell was within the threshold.
    pub share: Vec<f32>,
}

/// Coverage raster, samples and per-cell accumulators.
#[derive(Resource, Debug)]
pub struct Coverage {
    grid: NavGrid,
    moves: Vec<Move>,
    /// Seconds between samples.
    pub interval: f64,
    /// Thresholds, s.
    pub thresholds: Vec<f64>,
    /// Samples.
    pub samples: Vec<CoverageSample>,
    sum: Vec<f64>,
    reached: Vec<u32>,
    /// Index of the threshold the maps use (180 s when listed, else the middle one).
    map_k: usize,
    /// Per cell, samples in which it was within the map threshold.
    within_map: Vec<u32>,
    /// Travel times at the sample with the lowest area coverage at the map threshold.
    worst: Vec<f32>,
    worst_area: f64,
    n: u64,
    time: Vec<f32>,
    dist: Vec<f32>,
    /// Per cell, bit m set when stencil move m leads to a free cell past free cells only.
    allowed: Vec<u32>,
    /// Per move, the index offset it adds.
    offset: Vec<isize>,
}

impl Coverage {
    /// A coverage raster of `cell` metres over the venue.
    pub fn new(venue: &Venue, cell: f32, interval: f64, thresholds: Vec<f64>) -> Coverage {
        // units pass rings through checkpoint lanes: open each ring edge over the pen's width
        let ring_edges: Vec<Segment> = venue.security.rings.iter().flat_map(|r| r.edges()).collect();
        let mut segments: Vec<Segment> = venue
            .walls
            .segments
            .iter()
            // the ring's pieces (cut at its doors) go; the edges come back with gaps at the lanes
            .filter(|s| {
                !ring_edges
                    .iter()
                    .any(|e| e.distance(s.a) < 1e-3 && e.distance(s.b) < 1e-3)
            })
            .copied()
            .collect();
        for e in &ring_edges {
            let len = e.a.distance(e.b);
            let dir = (e.b - e.a) / len.max(1e-6);
            let mut gaps: Vec<(f32, f32)> = venue
                .security
                .checkpoints
                .iter()
                .filter(|c| e.distance(c.pos) < 1e-3)
                .map(|c| {
                    let t = (c.pos - e.a).dot(dir);
                    (t - c.width() / 2.0 - cell, t + c.width() / 2.0 + cell)
                })
                .collect();
            gaps.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut from = 0.0f32;
            for (g0, g1) in gaps {
                if g0 > from {
                    segments.push(Segment {
                        a: e.a + dir * from,
                        b: e.a + dir * g0.min(len),
                    });
                }
                from = from.max(g1);
            }
            if from < len {
                segments.push(Segment {
                    a: e.a + dir * from,
                    b: e.b,
                });
            }
        }
        let grid = NavGrid::build(venue.min, venue.max, cell, &segments, &venue.obstacles);
        let n = grid.nx * grid.ny;
        let moves = stencil();
        let (nx, ny) = (grid.nx as isize, grid.ny as isize);
        let free = |x: isize, y: isize| x >= 0 && y >= 0 && x < nx && y < ny && !grid.blocked[(y * nx + x) as usize];
        let allowed = (0..n)
            .map(|i| {
                let (x, y) = ((i % grid.nx) as isize, (i / grid.nx) as isize);
                let mut bits = 0u32;
                if free(x, y) {
                    for (k, m) in moves.iter().enumerate() {
                        if free(x + m.dx, y + m.dy) && m.through.iter().all(|&(ox, oy)| free(x + ox, y + oy)) {
                            bits |= 1 << k;
                        }
                    }
                }
                bits
            })
            .collect();
        let offset = moves.iter().map(|m| m.dy * nx + m.dx).collect();
        let map_k = thresholds
            .iter()
            .position(|&t| (t - 180.0).abs() < 1e-9)
            .unwrap_or(thresholds.len() / 2);
        Coverage {
            allowed,
            offset,
            grid,
            moves,
            interval,
            thresholds,
            samples: Vec::new(),
            sum: vec![0.0; n],
            reached: vec![0; n],
            map_k,
            within_map: vec![0; n],
            worst: vec![f32::INFINITY; n],
            worst_area: f64::INFINITY,
            n: 0,
            time: vec![f32::INFINITY; n],
            dist: vec![f32::INFINITY; n],
        }
    }

    /// Maps for the figures: the raster, the map threshold (s), the per-cell travel times at the
    /// worst sample and its time, and the per-cell share of samples within the threshold.
    pub fn maps(&self) -> Option<CoverageMaps<'_>> {
        let th = *self.thresholds.get(self.map_k)?;
        if self.n == 0 {
            return None;
        }
        let worst_t = self
            .samples
            .iter()
            .find(|s| s.area.get(self.map_k) == Some(&self.worst_area))
            .map_or(0.0, |s| s.t);
        Some(CoverageMaps {
            grid: &self.grid,
            threshold_s: th,
            worst: &self.worst,
            worst_t,
            share: self.within_map.iter().map(|&w| w as f32 / self.n as f32).collect(),
        })
    }

    /// The raster and the travel time (s) from the nearest available unit to each of its cells
    /// at the last sample (infinite where none can reach).
    pub fn times(&self) -> (&NavGrid, &[f32]) {
        (&self.grid, &self.time)
    }

    /// Travel time (s) from the nearest available unit to `p`, at the last sample.
    pub fn time_at(&self, p: Vec2) -> f32 {
        let Some(i) = self.grid.cell_of(p) else {
            return f32::INFINITY;
        };
        if !self.grid.blocked[i] {
            return self.time[i];
        }
        // a person next to a wall stands in a cell the coarse raster blocks: use its neighbours
        let g = &self.grid;
        let (x, y) = (i % g.nx, i / g.nx);
        let mut best = f32::INFINITY;
        for yy in y.saturating_sub(1)..=(y + 1).min(g.ny - 1) {
            for xx in x.saturating_sub(1)..=(x + 1).min(g.nx - 1) {
                let j = yy * g.nx + xx;
                if !g.blocked[j] {
                    best = best.min(self.time[j]);
                }
            }
        }
        best
    }

    /// Walking distance (m) from `from` to every cell of the raster (infinite where it cannot
    /// reach or the cell is blocked), the same field the coverage samples use.
    pub fn distances_from(&mut self, from: &[Vec2]) -> Vec<f32> {
        let from: Vec<(Vec2, f32)> = from.iter().map(|&p| (p, 0.0)).collect();
        self.distances(&from);
        self.dist.clone()
    }

    /// Distance field (cells × h) from `sources` (each with a head start in metres) by Dijkstra
    /// over the stencil.
    fn distances(&mut self, sources: &[(Vec2, f32)]) {
        let g = &self.grid;
        let (nx, ny) = (g.nx as isize, g.ny as isize);
        self.dist.iter_mut().for_each(|d| *d = f32::INFINITY);
        let mut heap = BinaryHeap::new();
        let free = |x: isize, y: isize| x >= 0 && y >= 0 && x < nx && y < ny && !g.blocked[(y * nx + x) as usize];
        for &(s, head) in sources {
            // a source by a wall may fall in a cell the wall blocks: start from the nearest free
            // cell next to it
            let Some(i) = g.cell_of(s).and_then(|i| {
                let (x, y) = ((i % g.nx) as isize, (i / g.nx) as isize);
                (-1..=1isize)
                    .flat_map(|dy| (-1..=1isize).map(move |dx| (x + dx, y + dy)))
                    .filter(|&(cx, cy)| free(cx, cy))
                    .min_by(|a, b| {
                        let d = |c: (isize, isize)| g.center(c.0 as usize, c.1 as usize).distance(s);
                        d(*a).total_cmp(&d(*b))
                    })
                    .map(|(cx, cy)| (cy * nx + cx) as usize)
            }) else {
                continue;
            };
            // the unit's cell and every stencil neighbour it can see get exact distances, so the
            // field starts from the unit's true position, not its cell centre
            let (x, y) = ((i % g.nx) as isize, (i / g.nx) as isize);
            let seeds = std::iter::once((x, y)).chain(
                self.moves
                    .iter()
                    .filter(|m| free(x + m.dx, y + m.dy) && m.through.iter().all(|&(ox, oy)| free(x + ox, y + oy)))
                    .map(|m| (x + m.dx, y + m.dy)),
            );
            for (sx, sy) in seeds {
                let j = (sy * nx + sx) as usize;
                let d = head + g.center(sx as usize, sy as usize).distance(s);
                if d < self.dist[j] {
                    self.dist[j] = d;
                    heap.push(Reverse((d.to_bits(), j)));
                }
            }
        }
        while let Some(Reverse((key, i))) = heap.pop() {
            let di = f32::from_bits(key);
            if di > self.dist[i] {
                continue;
            }
            let mut bits = self.allowed[i];
            while bits != 0 {
                let k = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let j = (i as isize + self.offset[k]) as usize;
                let nd = di + self.moves[k].len * g.h;
                if nd < self.dist[j] {
                    self.dist[j] = nd;
                    heap.push(Reverse((nd.to_bits(), j)));
                }
            }
        }
    }

    /// One sample from the available units (where they set off on the walkable area, their
    /// speed there, and the time it takes them to get there, s) and the visitors' positions.
    pub fn sample(&mut self, t: f64, (count, units): (u64, &[(Vec2, f32, f32)]), visitors: &[Vec2]) {
        self.time.iter_mut().for_each(|x| *x = f32::INFINITY);
        let mut speeds: Vec<f32> = units.iter().map(|u| u.1).collect();
        speeds.sort_by(f32::total_cmp);
        speeds.dedup();
        for v in speeds {
            let sources: Vec<(Vec2, f32)> = units.iter().filter(|u| u.1 == v).map(|u| (u.0, u.2 * v)).collect();
            self.distances(&sources);
            for (tm, d) in self.time.iter_mut().zip(&self.dist) {
                *tm = tm.min(d / v);
            }
        }
        let free_cells = self.grid.blocked.iter().filter(|b| !**b).count().max(1);
        let area = self
            .thresholds
            .iter()
            .map(|&th| {
                let within = self
                    .time
                    .iter()
                    .zip(&self.grid.blocked)
                    .filter(|(tm, b)| !**b && f64::from(**tm) <= th)
                    .count();
                round(within as f64 / free_cells as f64)
            })
            .collect();
        let crowd = self
            .thresholds
            .iter()
            .map(|&th| {
                (!visitors.is_empty()).then(|| {
                    round(
                        visitors.iter().filter(|p| f64::from(self.time_at(**p)) <= th).count() as f64
                            / visitors.len() as f64,
                    )
                })
            })
            .collect();
        let map_th = self.thresholds.get(self.map_k).copied().unwrap_or(180.0);
        for (k, b) in self.grid.blocked.iter().enumerate() {
            if !b && self.time[k].is_finite() {
                self.sum[k] += f64::from(self.time[k]);
                self.reached[k] += 1;
                if f64::from(self.time[k]) <= map_th {
                    self.within_map[k] += 1;
                }
            }
        }
        let a: &Vec<f64> = &area;
        if let Some(&am) = a.get(self.map_k)
            && am < self.worst_area
        {
            self.worst_area = am;
            self.worst.copy_from_slice(&self.time);
        }
        self.n += 1;
        self.samples.push(CoverageSample {
            t: round(t),
            units: count,
            area,
            crowd,
        });
    }
}

/// Summary of one threshold.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThresholdCoverage {
    /// Threshold, s.
    pub threshold_s: f64,
    /// Mean area coverage.
    pub area_mean: f64,
    /// Lowest area coverage and when.
    pub area_min: f64,
    /// When, s after the start.
    pub area_min_t: f64,
    /// Mean crowd coverage (over samples with visitors present).
    pub crowd_mean: Option<f64>,
    /// Lowest crowd coverage.
    pub crowd_min: Option<f64>,
    /// When.
    pub crowd_min_t: Option<f64>,
}

/// The coverage section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CoverageReport {
    /// Seconds between samples.
    pub interval_s: f64,
    /// Per threshold.
    pub thresholds: Vec<ThresholdCoverage>,
    /// Coverage raster cell size, m (origin: the venue's lower-left corner).
    pub grid_cell_m: f64,
    /// Columns.
    pub grid_nx: u64,
    /// Rows.
    pub grid_ny: u64,
    /// Mean travel time per cell over the samples in which some free unit could reach it, s (row
    /// by row from the lower-left; null for walls and places never reached).
    pub grid_mean_s: Vec<Option<f64>>,
    /// Samples.
    pub samples: Vec<CoverageSample>,
}

impl Coverage {
    /// The report section.
    pub fn report(&self) -> CoverageReport {
        let thresholds = self
            .thresholds
            .iter()
            .enumerate()
            .map(|(k, &th)| {
                let n = self.samples.len().max(1) as f64;
                let (mut amin, mut amin_t) = (f64::INFINITY, 0.0);
                let (mut cmin, mut cmin_t, mut csum, mut cn) = (f64::INFINITY, 0.0, 0.0, 0u64);
                for s in &self.samples {
                    if s.area[k] < amin {
                        (amin, amin_t) = (s.area[k], s.t);
                    }
                    if let Some(c) = s.crowd[k] {
                        csum += c;
                        cn += 1;
                        if c < cmin {
                            (cmin, cmin_t) = (c, s.t);
                        }
                    }
                }
                ThresholdCoverage {
                    threshold_s: th,
                    area_mean: round(self.samples.iter().map(|s| s.area[k]).sum::<f64>() / n),
                    area_min: if amin.is_finite() { amin } else { 0.0 },
                    area_min_t: amin_t,
                    crowd_mean: (cn > 0).then(|| round(csum / cn as f64)),
                    crowd_min: (cn > 0).then_some(cmin),
                    crowd_min_t: (cn > 0).then_some(cmin_t),
                }
            })
            .collect();
        CoverageReport {
            interval_s: self.interval,
            thresholds,
            grid_cell_m: round(f64::from(self.grid.h)),
            grid_nx: self.grid.nx as u64,
            grid_ny: self.grid.ny as u64,
            grid_mean_s: (0..self.sum.len())
                .map(|k| {
                    (self.reached[k] > 0).then(|| (self.sum[k] / f64::from(self.reached[k]) * 10.0).round() / 10.0)
                })
                .collect(),
            samples: self.samples.clone(),
        }
    }
}

/// Takes a coverage sample every interval.
#[allow(clippy::type_complexity)]
pub fn sample_coverage(
    clock: Res<SimClock>,
    responders: Res<Responders>,
    coverage: Option<ResMut<Coverage>>,
    units: Query<(&Unit, &Position, &Task)>,
    visitors: Query<&Position, Or<(With<Walking>, With<Standing>)>>,
) {
    let Some(mut cov) = coverage else { return };
    let every = ((cov.interval / clock.dt).round() as u64).max(1);
    let tick = clock.tick + 1;
    if tick % every != 0 {
        return;
    }
    let free = available_units(&responders, units.iter());
    let people: Vec<Vec2> = visitors.iter().map(|p| p.0).collect();
    cov.sample(clock.t_end(), (free.0, &free.1), &people);
}

/// Where every unit free to respond sets off on the walkable area, its speed there and the time
/// it takes to get there (s; 0 but for units that drive), in unit id order; and how many units.
pub fn available_units<'a>(
    responders: &Responders,
    units: impl Iterator<Item = (&'a Unit, &'a Position, &'a Task)>,
) -> (u64, Vec<(Vec2, f32, f32)>) {
    let mut free: Vec<(u32, Vec2, u16)> = units
        .filter(|(_, _, task)| task.available())
        .map(|(u, p, _)| (u.id, p.0, u.group))
        .collect();
    free.sort_unstable_by_key(|f| f.0);
    let count = free.len() as u64;
    let mut out = Vec::new();
    let mut driving_done: Vec<u16> = Vec::new();
    for (_, p, gi) in free {
        let g = &responders.groups[gi as usize];
        match (&g.drive, &responders.roads) {
            // a unit that drives sets off on foot from every kerb it can drive to; a group's
            // free units all stand at its station, so its sources are added once
            (Some(d), Some(roads)) => {
                if !driving_done.contains(&gi) {
                    driving_done.push(gi);
                    out.extend(d.coverage_sources(roads));
                }
            }
            _ => out.push((p, g.emergency_speed, 0.0)),
        }
    }
    (count, out)
}

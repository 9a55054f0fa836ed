//! The walkable raster (blocked cells, distance to walls) and a bucket index of wall segments.

use super::geometry::{Segment, fill_polygon};
use bevy::math::Vec2;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Largest raster the validator accepts (cells); a bigger venue needs a coarser `cell_size`.
pub const MAX_CELLS: usize = 40_000_000;

/// A regular raster over the venue bounds.
#[derive(Debug, Clone)]
pub struct NavGrid {
    /// Lower-left corner of cell (0, 0).
    pub origin: Vec2,
    /// Cell edge in metres.
    pub h: f32,
    /// Columns.
    pub nx: usize,
    /// Rows.
    pub ny: usize,
    /// True where no one may stand (wall raster or obstacle interior).
    pub blocked: Vec<bool>,
    /// Distance from the cell centre to the nearest blocked cell centre, metres (chamfer).
    pub wall_dist: Vec<f32>,
    /// Distance from the cell centre to the nearest wall corner (see [`wall_corners`]), metres,
    /// up to [`CORNER_LOOK`] (`f32::INFINITY` beyond).
    pub corner_dist: Vec<f32>,
}

/// How far from a wall corner [`NavGrid::corner_dist`] is measured, m.
pub const CORNER_LOOK: f32 = 5.0;

/// The corners of the walls: where a wall ends freely, where it turns by more than 20°, and
/// where three or more walls meet (a polyline's straight joints are not corners).
pub fn wall_corners(segments: &[Segment]) -> Vec<Vec2> {
    let key = |p: Vec2| ((p.x * 1000.0).round() as i64, (p.y * 1000.0).round() as i64);
    let mut ends: std::collections::BTreeMap<(i64, i64), (Vec2, Vec<Vec2>)> = std::collections::BTreeMap::new();
    for s in segments {
        let d = (s.b - s.a).normalize_or_zero();
        if d == Vec2::ZERO {
            continue;
        }
        ends.entry(key(s.a)).or_insert((s.a, Vec::new())).1.push(d);
        ends.entry(key(s.b)).or_insert((s.b, Vec::new())).1.push(-d);
    }
    ends.into_values()
        .filter(|(_, dirs)| dirs.len() != 2 || dirs[0].dot(dirs[1]) > -(20f32.to_radians().cos()))
        .map(|(p, _)| p)
        .collect()
}

impl NavGrid {
    /// Rasterises walls (supercover by dense sampling) and obstacle interiors.
    pub fn build(min: Vec2, max: Vec2, h: f32, segments: &[Segment], obstacles: &[Vec<Vec2>]) -> NavGrid {
        let nx = (((max.x - min.x) / h).ceil() as usize).max(1);
        let ny = (((max.y - min.y) / h).ceil() as usize).max(1);
        let mut g = NavGrid {
            origin: min,
            h,
            nx,
            ny,
            blocked: vec![false; nx * ny],
            wall_dist: Vec::new(),
            corner_dist: Vec::new(),
        };
        for s in segments {
            let len = s.a.distance(s.b);
            let n = ((len / (h * 0.25)).ceil() as usize).max(1);
            for k in 0..=n {
                let p = s.a.lerp(s.b, k as f32 / n as f32);
                if let Some(i) = g.cell_of(p) {
                    g.blocked[i] = true;
                }
            }
        }
        for poly in obstacles {
            for i in g.cells_inside(poly) {
                g.blocked[i] = true;
            }
        }
        g.wall_dist = g.distance_to_blocked();
        g.corner_dist = g.distance_to(&wall_corners(segments), CORNER_LOOK);
        g
    }

    /// The cells whose centre lies inside the polygon `poly` (row by row).
    pub fn cells_inside(&self, poly: &[Vec2]) -> Vec<usize> {
        let (mut lo, mut hi) = (Vec2::splat(f32::MAX), Vec2::splat(f32::MIN));
        for p in poly {
            lo = lo.min(*p);
            hi = hi.max(*p);
        }
        let (x0, y0) = self.clamp_xy(lo);
        let (x1, y1) = self.clamp_xy(hi);
        let mut cells = Vec::new();
        fill_polygon(
            poly,
            x0..=x1,
            y0..=y1,
            |x, y| self.center(x, y),
            |x, y| cells.push(y * self.nx + x),
        );
        cells
    }

    /// Index of the cell containing `p`, if inside the raster.
    #[inline]
    pub fn cell_of(&self, p: Vec2) -> Option<usize> {
        let fx = (p.x - self.origin.x) / self.h;
        let fy = (p.y - self.origin.y) / self.h;
        if fx < 0.0 || fy < 0.0 || !fx.is_finite() || !fy.is_finite() {
            return None;
        }
        let (x, y) = (fx as usize, fy as usize);
        (x < self.nx && y < self.ny).then_some(y * self.nx + x)
    }

    /// Column and row of `p`, clamped into the raster.
    #[inline]
    pub fn clamp_xy(&self, p: Vec2) -> (usize, usize) {
        let fx = ((p.x - self.origin.x) / self.h).max(0.0);
        let fy = ((p.y - self.origin.y) / self.h).max(0.0);
        ((fx as usize).min(self.nx - 1), (fy as usize).min(self.ny - 1))
    }

    /// Centre of cell `(x, y)`.
    #[inline]
    pub fn center(&self, x: usize, y: usize) -> Vec2 {
        self.origin + Vec2::new((x as f32 + 0.5) * self.h, (y as f32 + 0.5) * self.h)
    }

    /// Whether the point lies in a walkable cell.
    pub fn walkable(&self, p: Vec2) -> bool {
        self.cell_of(p).is_some_and(|i| !self.blocked[i])
    }

    /// Connected walkable regions (same moves as the floor fields): a region id per cell,
    /// `u32::MAX` for blocked cells, and the number of regions. Ids follow cell order.
    pub fn regions(&self) -> (Vec<u32>, u32) {
        let n = self.nx * self.ny;
        let mut id = vec![u32::MAX; n];
        let mut count = 0u32;
        let mut stack = Vec::new();
        for start in 0..n {
            if self.blocked[start] || id[start] != u32::MAX {
                continue;
            }
            id[start] = count;
            stack.push(start);
            while let Some(i) = stack.pop() {
                self.neighbours(i, |j, _| {
                    if id[j] == u32::MAX {
                        id[j] = count;
                        stack.push(j);
                    }
                });
            }
            count += 1;
        }
        (id, count)
    }

    /// The 8 neighbour offsets with their lengths in cells; diagonal moves may not cut a blocked corner.
    pub(crate) fn neighbours(&self, i: usize, f: impl FnMut(usize, f32)) {
        self.neighbours_in(i, &|j| !self.blocked[j], f);
    }

    /// [`Self::neighbours`] over the cells `open` admits instead of the free ones.
    pub(crate) fn neighbours_in<F: Fn(usize) -> bool>(&self, i: usize, open: &F, mut f: impl FnMut(usize, f32)) {
        let (x, y) = ((i % self.nx) as isize, (i / self.nx) as isize);
        let (nx, ny) = (self.nx as isize, self.ny as isize);
        let free = |x: isize, y: isize| x >= 0 && y >= 0 && x < nx && y < ny && open((y * nx + x) as usize);
        for (dx, dy) in [(1isize, 0isize), (-1, 0), (0, 1), (0, -1)] {
            if free(x + dx, y + dy) {
                f(((y + dy) * nx + x + dx) as usize, 1.0);
            }
        }
        for (dx, dy) in [(1isize, 1isize), (1, -1), (-1, 1), (-1, -1)] {
            if free(x + dx, y + dy) && free(x + dx, y) && free(x, y + dy) {
                f(((y + dy) * nx + x + dx) as usize, std::f32::consts::SQRT_2);
            }
        }
    }

    /// Distance from each cell centre to the nearest of `points`, up to `limit` (infinite
    /// beyond). Each point's distance spreads from its own cell to neighbouring cells while it
    /// stays within `limit` and is the nearest offered, so the work is bounded by the cells
    /// within `limit` of some point (however many points a scenario has), not points × area.
    fn distance_to(&self, points: &[Vec2], limit: f32) -> Vec<f32> {
        let n = self.nx * self.ny;
        let mut d = vec![f32::INFINITY; n];
        let mut from = vec![u32::MAX; n];
        let mut heap = BinaryHeap::new();
        for (k, &c) in points.iter().enumerate() {
            let (x, y) = self.clamp_xy(c);
            let i = y * self.nx + x;
            let di = self.center(x, y).distance(c);
            if di <= limit && di < d[i] {
                d[i] = di;
                from[i] = k as u32;
                heap.push(Reverse((di.to_bits(), i)));
            }
        }
        let (nx, ny) = (self.nx as isize, self.ny as isize);
        while let Some(Reverse((key, i))) = heap.pop() {
            if f32::from_bits(key) > d[i] {
                continue;
            }
            let c = points[from[i] as usize];
            let (x, y) = ((i % self.nx) as isize, (i / self.nx) as isize);
            for (dx, dy) in [
                (1isize, 0isize),
                (-1, 0),
                (0, 1),
                (0, -1),
                (1, 1),
                (1, -1),
                (-1, 1),
                (-1, -1),
            ] {
                let (x2, y2) = (x + dx, y + dy);
                if x2 < 0 || y2 < 0 || x2 >= nx || y2 >= ny {
                    continue;
                }
                let j = (y2 * nx + x2) as usize;
                let nd = self.center(x2 as usize, y2 as usize).distance(c);
                if nd <= limit && nd < d[j] {
                    d[j] = nd;
                    from[j] = from[i];
                    heap.push(Reverse((nd.to_bits(), j)));
                }
            }
        }
        d
    }

    fn distance_to_blocked(&self) -> Vec<f32> {
        let n = self.nx * self.ny;
        let mut d = vec![f32::INFINITY; n];
        let mut heap = BinaryHeap::new();
        for i in 0..n {
            if self.blocked[i] {
                d[i] = 0.0;
                heap.push(Reverse((0u32, i)));
            }
        }
        let (nx, ny) = (self.nx as isize, self.ny as isize);
        while let Some(Reverse((key, i))) = heap.pop() {
            let di = f32::from_bits(key);
            if di > d[i] {
                continue;
            }
            let (x, y) = ((i % self.nx) as isize, (i / self.nx) as isize);
            for (dx, dy, w) in [
                (1isize, 0isize, 1.0f32),
                (-1, 0, 1.0),
                (0, 1, 1.0),
                (0, -1, 1.0),
                (1, 1, std::f32::consts::SQRT_2),
                (1, -1, std::f32::consts::SQRT_2),
                (-1, 1, std::f32::consts::SQRT_2),
                (-1, -1, std::f32::consts::SQRT_2),
            ] {
                let (x2, y2) = (x + dx, y + dy);
                if x2 < 0 || y2 < 0 || x2 >= nx || y2 >= ny {
                    continue;
                }
                let j = (y2 * nx + x2) as usize;
                let nd = di + w * self.h;
                if nd < d[j] {
                    d[j] = nd;
                    heap.push(Reverse((nd.to_bits(), j)));
                }
            }
        }
        d
    }
}

/// The floor field that passes a segment that every walker meets as a wall.
pub const SOLID: u16 = u16::MAX;

/// A segment nobody meets as a wall now (a timeline's hold line while it is not held).
pub const OPEN: u16 = u16::MAX - 1;

/// A segment that is a wall only to walkers on its right (a crossing's edge while walkers may
/// not step onto it: its segments run round it anticlockwise, so those on it walk off freely).
pub const KEEP_OUT: u16 = u16::MAX - 2;

/// Buckets of wall segments on a coarse grid, so an agent only tests the walls near it.
#[derive(Debug, Clone, Default)]
pub struct SegmentIndex {
    origin: Vec2,
    cell: f32,
    nx: usize,
    ny: usize,
    starts: Vec<u32>,
    items: Vec<u32>,
    /// All wall segments.
    pub segments: Vec<Segment>,
    /// Per segment, the floor field whose walkers pass it (a door's opening), or [`SOLID`].
    pub pass: Vec<u16>,
}

impl SegmentIndex {
    /// Each bucket lists every segment that comes within `margin` of the bucket.
    ///
    /// `pass` gives per segment the floor field whose walkers pass it ([`SOLID`]: nobody).
    pub fn build(min: Vec2, max: Vec2, cell: f32, margin: f32, segments: Vec<Segment>, pass: Vec<u16>) -> SegmentIndex {
        let nx = (((max.x - min.x) / cell).ceil() as usize).max(1);
        let ny = (((max.y - min.y) / cell).ceil() as usize).max(1);
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); nx * ny];
        let half_diag = cell * std::f32::consts::FRAC_1_SQRT_2;
        for (k, s) in segments.iter().enumerate() {
            let lo = s.a.min(s.b) - Vec2::splat(margin);
            let hi = s.a.max(s.b) + Vec2::splat(margin);
            let x0 = (((lo.x - min.x) / cell).floor().max(0.0) as usize).min(nx - 1);
            let y0 = (((lo.y - min.y) / cell).floor().max(0.0) as usize).min(ny - 1);
            let x1 = (((hi.x - min.x) / cell).floor().max(0.0) as usize).min(nx - 1);
            let y1 = (((hi.y - min.y) / cell).floor().max(0.0) as usize).min(ny - 1);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let c = min + Vec2::new((x as f32 + 0.5) * cell, (y as f32 + 0.5) * cell);
                    if s.distance(c) <= half_diag + margin {
                        lists[y * nx + x].push(k as u32);
                    }
                }
            }
        }
        let mut starts = Vec::with_capacity(nx * ny + 1);
        let mut items = Vec::new();
        starts.push(0);
        for l in &lists {
            items.extend_from_slice(l);
            starts.push(items.len() as u32);
        }
        SegmentIndex {
            origin: min,
            cell,
            nx,
            ny,
            starts,
            items,
            segments,
            pass,
        }
    }

    /// The bucket holding `p` (clamped to the index).
    #[inline]
    pub fn bucket(&self, p: Vec2) -> u32 {
        let fx = ((p.x - self.origin.x) / self.cell).max(0.0);
        let fy = ((p.y - self.origin.y) / self.cell).max(0.0);
        let x = (fx as usize).min(self.nx.saturating_sub(1));
        let y = (fy as usize).min(self.ny.saturating_sub(1));
        (y * self.nx + x) as u32
    }

    /// Bucket `b`'s entries: a range to pass to [`Self::in_range`].
    #[inline]
    pub fn bucket_range(&self, b: u32) -> (u32, u32) {
        let b = b as usize;
        if self.starts.len() > b + 1 {
            (self.starts[b], self.starts[b + 1])
        } else {
            (0, 0)
        }
    }

    /// The segments of a bucket's entries (from [`Self::bucket_range`]) that are walls now
    /// (all but [`OPEN`] ones).
    #[inline]
    pub fn in_range(&self, (s, e): (u32, u32)) -> impl Iterator<Item = &Segment> + '_ {
        self.items[s as usize..e as usize]
            .iter()
            .filter(move |&&k| self.pass[k as usize] != OPEN)
            .map(move |&k| &self.segments[k as usize])
    }

    /// [`Self::in_range`] with each segment's index.
    pub fn in_range_ids(&self, (s, e): (u32, u32)) -> impl Iterator<Item = (u32, &Segment)> + '_ {
        self.items[s as usize..e as usize]
            .iter()
            .filter(move |&&k| self.pass[k as usize] != OPEN)
            .map(move |&k| (k, &self.segments[k as usize]))
    }

    /// The segments of a bucket's entries that are walls to a walker at `at` on floor field
    /// `field` (all but the openings of the door that field leads out through, and
    /// [`KEEP_OUT`] ones it stands on the inner side of).
    #[inline]
    pub fn walls_for(&self, (s, e): (u32, u32), field: u16, at: Vec2) -> impl Iterator<Item = &Segment> + '_ {
        self.items[s as usize..e as usize].iter().filter_map(move |&k| {
            let p = self.pass[k as usize];
            let seg = &self.segments[k as usize];
            let wall = p == SOLID
                || (p != field && p != OPEN && (p != KEEP_OUT || (seg.b - seg.a).perp_dot(at - seg.a) < 0.0));
            wall.then_some(seg)
        })
    }

    /// Segments near `p` (those within `margin` of its bucket).
    #[inline]
    pub fn near(&self, p: Vec2) -> impl Iterator<Item = &Segment> + '_ {
        self.in_range(self.bucket_range(self.bucket(p)))
    }
}

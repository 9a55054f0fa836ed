//! Venue and navigation: owns the runtime geometry (walls, obstacles, zones, sources, targets),
//! the walkable raster and the per-target floor fields that agents descend.

pub mod build;
pub mod cache;
pub mod closure;
pub mod field;
pub mod geometry;
pub mod grid;
pub mod security;

use bevy::math::Vec2;
use bevy::prelude::*;
use field::FloorField;
use geometry::{point_in_polygon, polygon_area};
use grid::{NavGrid, SegmentIndex};
use rand::Rng;

/// A source or target shape at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// Disc (radius 0 for an exact point).
    Circle(Vec2, f32),
    /// Simple polygon with its bounding box.
    Polygon(Vec<Vec2>, Vec2, Vec2),
    /// Several shapes acting as one place.
    Multi(Vec<Shape>),
}

impl Shape {
    /// Builds a polygon shape with its bounding box.
    pub fn polygon(points: Vec<Vec2>) -> Shape {
        let lo = points.iter().fold(Vec2::splat(f32::MAX), |a, p| a.min(*p));
        let hi = points.iter().fold(Vec2::splat(f32::MIN), |a, p| a.max(*p));
        Shape::Polygon(points, lo, hi)
    }

    /// Whether `p` is inside (a zero-radius circle contains only its centre).
    #[inline]
    pub fn contains(&self, p: Vec2) -> bool {
        match self {
            Shape::Circle(c, r) => p.distance_squared(*c) <= r * r,
            Shape::Polygon(poly, lo, hi) => {
                p.x >= lo.x && p.y >= lo.y && p.x <= hi.x && p.y <= hi.y && point_in_polygon(p, poly)
            }
            Shape::Multi(parts) => parts.iter().any(|s| s.contains(p)),
        }
    }

    /// Centre of the part nearest to `p` (the centre itself for a single shape).
    pub fn center_near(&self, p: Vec2) -> Vec2 {
        match self {
            Shape::Multi(parts) => parts
                .iter()
                .map(|s| s.center())
                .min_by(|a, b| a.distance_squared(p).total_cmp(&b.distance_squared(p)))
                .unwrap_or(p),
            s => s.center(),
        }
    }

    /// Centre (of the disc, or the mean of the polygon's bounding box).
    pub fn center(&self) -> Vec2 {
        match self {
            Shape::Circle(c, _) => *c,
            Shape::Polygon(poly, lo, hi) => {
                let m = (*lo + *hi) * 0.5;
                if point_in_polygon(m, poly) {
                    m
                } else {
                    poly.iter().copied().sum::<Vec2>() / poly.len() as f32
                }
            }
            Shape::Multi(parts) => parts.first().map_or(Vec2::ZERO, |s| s.center()),
        }
    }

    /// A uniform random point inside (rejection sampling; the centre if that keeps failing).
    pub fn sample(&self, rng: &mut impl Rng) -> Vec2 {
        match self {
            Shape::Circle(c, r) => {
                if *r <= 0.0 {
                    return *c;
                }
                let a = rng.random::<f32>() * std::f32::consts::TAU;
                let d = r * rng.random::<f32>().sqrt();
                *c + Vec2::new(a.cos(), a.sin()) * d
            }
            Shape::Polygon(_, lo, hi) => {
                for _ in 0..64 {
                    let p = Vec2::new(
                        lo.x + rng.random::<f32>() * (hi.x - lo.x),
                        lo.y + rng.random::<f32>() * (hi.y - lo.y),
                    );
                    if self.contains(p) {
                        return p;
                    }
                }
                self.center()
            }
            Shape::Multi(parts) => {
                if parts.is_empty() {
                    return Vec2::ZERO;
                }
                let k = rng.random_range(0..parts.len());
                parts[k].sample(rng)
            }
        }
    }

    /// Cells of `grid` whose centre lies inside (for a disc smaller than a cell: the cell of its centre).
    pub fn cells(&self, grid: &NavGrid) -> Vec<usize> {
        let (lo, hi) = match self {
            Shape::Circle(c, r) => (*c - Vec2::splat(*r), *c + Vec2::splat(*r)),
            Shape::Polygon(poly, _, _) => {
                let mut out = grid.cells_inside(poly);
                out.sort_unstable();
                return out;
            }
            Shape::Multi(parts) => {
                let mut out: Vec<usize> = parts.iter().flat_map(|s| s.cells(grid)).collect();
                out.sort_unstable();
                out.dedup();
                return out;
            }
        };
        let (x0, y0) = grid.clamp_xy(lo);
        let (x1, y1) = grid.clamp_xy(hi);
        let mut out = Vec::new();
        for y in y0..=y1 {
            for x in x0..=x1 {
                if self.contains(grid.center(x, y)) {
                    out.push(y * grid.nx + x);
                }
            }
        }
        if out.is_empty()
            && let Shape::Circle(c, _) = self
            && let Some(i) = grid.cell_of(*c)
        {
            out.push(i);
        }
        out
    }
}

/// A named place at run time.
#[derive(Debug, Clone)]
pub struct PlaceRt {
    /// Name from the scenario.
    pub name: String,
    /// Shape.
    pub shape: Shape,
}

/// A named zone at run time.
#[derive(Debug, Clone)]
pub struct ZoneRt {
    /// Name from the scenario.
    pub name: String,
    /// Polygon.
    pub polygon: Vec<Vec2>,
    /// Area in m².
    pub area: f32,
}

impl ZoneRt {
    /// Builds a zone and its area.
    pub fn new(name: String, polygon: Vec<Vec2>) -> ZoneRt {
        let area = polygon_area(&polygon);
        ZoneRt { name, polygon, area }
    }
}

/// The venue at run time: geometry, raster, wall index and floor fields (one per target).
#[derive(Resource, Debug, Clone)]
pub struct Venue {
    /// Lower-left corner of the bounds.
    pub min: Vec2,
    /// Upper-right corner of the bounds.
    pub max: Vec2,
    /// Walkable raster.
    pub grid: NavGrid,
    /// Wall segments (walls, obstacle edges and the bounds) bucketed by position.
    pub walls: SegmentIndex,
    /// The wall index's margin (the widest person's radius and some), m.
    pub wall_margin: f32,
    /// Obstacle polygons.
    pub obstacles: Vec<Vec<Vec2>>,
    /// Measurement zones.
    pub zones: Vec<ZoneRt>,
    /// Sources.
    pub sources: Vec<PlaceRt>,
    /// Targets.
    pub targets: Vec<PlaceRt>,
    /// Floor fields: one per target (same index as `targets`), then two per checkpoint (its pen,
    /// its inner side). Shared: a run, a batch's replications and a reload hold the same fields.
    pub fields: Vec<std::sync::Arc<FloorField>>,
    /// Rings, checkpoints and routing between walkable regions.
    pub security: security::Security,
    /// Walkable region of each target.
    pub target_region: Vec<u32>,
    /// What each floor field leads to (same order as `fields`), to compute them again round a
    /// closed area.
    pub goals: Vec<field::FieldGoal>,
    /// The fields' wall buffers.
    pub buffers: field::Buffers,
    /// Areas the contingency timeline has closed to the crowd now (see [`closure`]); `fields`
    /// then lead round them.
    pub closed: Option<std::sync::Arc<closure::ClosedAreas>>,
    /// Bumped whenever `fields` are swapped, so no agent keeps a sample of the old ones.
    pub fields_gen: u32,
}

impl Venue {
    /// Adds `lines` to the wall index as segments nobody meets as a wall yet
    /// ([`grid::OPEN`]: a timeline's hold lines, made walls while held); returns their indices.
    pub fn add_open_lines(&mut self, lines: &[crate::venue::geometry::Segment]) -> Vec<usize> {
        if lines.is_empty() {
            return Vec::new();
        }
        let first = self.walls.segments.len();
        let mut segments = self.walls.segments.clone();
        let mut pass = self.walls.pass.clone();
        segments.extend_from_slice(lines);
        pass.extend(std::iter::repeat_n(grid::OPEN, lines.len()));
        self.walls = SegmentIndex::build(self.min, self.max, 2.0, self.wall_margin, segments, pass);
        (first..first + lines.len()).collect()
    }

    /// Whether a point is in free space: inside the bounds, not inside an obstacle, not on a wall cell.
    pub fn is_free(&self, p: Vec2) -> bool {
        p.x > self.min.x
            && p.y > self.min.y
            && p.x < self.max.x
            && p.y < self.max.y
            && !self.obstacles.iter().any(|o| point_in_polygon(p, o))
    }

    /// Smallest distance from `p` to a wall segment near it (infinite if none is indexed nearby).
    pub fn wall_clearance(&self, p: Vec2) -> f32 {
        self.walls.near(p).map(|s| s.distance(p)).fold(f32::INFINITY, f32::min)
    }
}

/// Plugin owning the venue resource (inserted when the plugin is built; the other plugins read it).
pub struct VenuePlugin(std::sync::Mutex<Option<Venue>>);

impl VenuePlugin {
    /// The plugin of this venue.
    pub fn new(venue: Venue) -> VenuePlugin {
        VenuePlugin(std::sync::Mutex::new(Some(venue)))
    }
}

impl Plugin for VenuePlugin {
    fn build(&self, app: &mut App) {
        if let Some(v) = self.0.lock().ok().and_then(|mut g| g.take()) {
            app.insert_resource(v);
        }
    }
}

//! Checks of the venue's geometry as it is turned into the runtime venue: polygons (closed, not
//! self-intersecting, inside the bounds), fences from wall to wall, sources and targets.

use super::cache::FieldCache;
use super::field::FieldGoal;
use super::geometry::{Segment, polygon_degenerate, polygon_self_intersects};
use super::grid::{MAX_CELLS, NavGrid, SOLID, SegmentIndex};
use super::security::{DOOR_FRAME, RingRt};
use super::{PlaceRt, Shape, Venue, ZoneRt};
use crate::scenario::check::{Checker, finite_pt, v2};
use crate::scenario::limits::{self, Limits};
use crate::scenario::model::*;
use bevy::math::Vec2;

/// Walkable points of a place used to test reachability: its centre or its free cells.
pub fn src_probe_points(shape: &Shape, venue: &Venue) -> Vec<Vec2> {
    let mut pts: Vec<Vec2> = shape
        .cells(&venue.grid)
        .into_iter()
        .filter(|&i| !venue.grid.blocked[i])
        .map(|i| venue.grid.center(i % venue.grid.nx, i / venue.grid.nx))
        .collect();
    pts.push(shape.center());
    pts
}

/// A polygon of the file: at least 3 finite points inside the bounds (`inside`), not degenerate,
/// not crossing itself; `None` (and a problem for `ck`) otherwise.
pub fn check_polygon(
    ck: &mut Checker,
    anchor: Option<String>,
    label: &str,
    pts: &[Point],
    inside: &dyn Fn(Point) -> bool,
) -> Option<Vec<Vec2>> {
    if pts.len() < 3 {
        ck.err(
            anchor,
            format!("{label}: a polygon needs at least 3 points, got {}", pts.len()),
        );
        return None;
    }
    if let Some(p) = pts.iter().find(|p| !finite_pt(**p)) {
        ck.err(
            anchor,
            format!("{label}: point ({}, {}) is not a finite number", p.0, p.1),
        );
        return None;
    }
    if let Some(p) = pts.iter().find(|p| !inside(**p)) {
        ck.err(
            anchor,
            format!("{label}: point ({}, {}) is outside the venue bounds", p.0, p.1),
        );
        return None;
    }
    let poly: Vec<Vec2> = pts.iter().map(|p| v2(*p)).collect();
    let n = poly.len();
    if (0..n).any(|i| poly[i].distance_squared(poly[(i + 1) % n]) < 1e-12) {
        ck.err(anchor, format!("{label}: polygon has two consecutive identical points"));
        return None;
    }
    if let Some((i, j)) = polygon_self_intersects(&poly) {
        ck.err(
            anchor,
            format!("{label}: polygon is self-intersecting (edge {i} crosses edge {j})"),
        );
        return None;
    }
    if polygon_degenerate(&poly) {
        ck.err(anchor, format!("{label}: polygon has zero area"));
        return None;
    }
    Some(poly)
}

/// A fence ring: at least two points inside the bounds, an `inside` point, and both ends within
/// 0.5 m of a wall or the bounds (snapped onto it so no gap is left).
pub fn check_fence(
    ck: &mut Checker,
    r: &Ring,
    label: &str,
    inside: &dyn Fn(Point) -> bool,
    walls: &[Segment],
    bounds: [Vec2; 2],
) -> Option<RingRt> {
    let anchor = Some(format!("\"{}\"", r.name));
    if r.fence.len() < 2 {
        ck.err(
            anchor,
            format!("{label}: a fence needs at least 2 points, got {}", r.fence.len()),
        );
        return None;
    }
    if let Some(p) = r.fence.iter().find(|p| !finite_pt(**p) || !inside(**p)) {
        ck.err(
            anchor,
            format!("{label}: point ({}, {}) is outside the venue bounds", p.0, p.1),
        );
        return None;
    }
    let Some(q) = r.inside.filter(|q| finite_pt(*q) && inside(*q)) else {
        ck.err(
            anchor,
            format!("{label}: a fence needs `inside`, a point on its inner side within the bounds"),
        );
        return None;
    };
    let (lo, hi) = (bounds[0], bounds[1]);
    let mut all = walls.to_vec();
    all.extend([
        Segment {
            a: lo,
            b: Vec2::new(hi.x, lo.y),
        },
        Segment {
            a: Vec2::new(hi.x, lo.y),
            b: hi,
        },
        Segment {
            a: hi,
            b: Vec2::new(lo.x, hi.y),
        },
        Segment {
            a: Vec2::new(lo.x, hi.y),
            b: lo,
        },
    ]);
    let mut pts: Vec<Vec2> = r.fence.iter().map(|p| v2(*p)).collect();
    let last = pts.len() - 1;
    for k in [0, last] {
        let p = pts[k];
        let Some((d, c)) = all
            .iter()
            .map(|s| (s.distance(p), s.closest(p)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
        else {
            return None;
        };
        if d > 0.5 {
            ck.err(anchor.clone(), format!("{label}: the fence is not closed: its end ({}, {}) is {d:.2} m from the nearest wall (at most 0.5 m)", p.x, p.y));
            return None;
        }
        pts[k] = c;
    }
    Some(RingRt {
        name: r.name.clone(),
        depth: r.level.depth(),
        polygon: pts,
        inside: Some(v2(q)),
    })
}

/// The sources or targets (`kind`) of the file as shapes: unique names, points, circles and
/// polygons inside the bounds (a target given as a point gets a 0.5 m circle).
pub fn check_places(
    ck: &mut Checker,
    kind: &str,
    places: &[Place],
    inside: &dyn Fn(Point) -> bool,
    target: bool,
) -> Vec<PlaceRt> {
    let mut out: Vec<PlaceRt> = Vec::new();
    for p in places {
        let label = format!("{kind} \"{}\"", p.name);
        if out.iter().any(|x| x.name == p.name) {
            ck.named(&p.name, format!("{label} is defined twice"));
            continue;
        }
        let shape = match &p.area {
            Area::Point(q) => {
                if !finite_pt(*q) || !inside(*q) {
                    ck.named(
                        &p.name,
                        format!("{label}: point ({}, {}) is outside the venue bounds", q.0, q.1),
                    );
                    continue;
                }
                Shape::Circle(v2(*q), if target { 0.5 } else { 0.0 })
            }
            Area::Circle(c, r) => {
                if !finite_pt(*c) || !inside(*c) {
                    ck.named(
                        &p.name,
                        format!("{label}: centre ({}, {}) is outside the venue bounds", c.0, c.1),
                    );
                    continue;
                }
                if !(r.is_finite() && *r > 0.0) {
                    ck.named(&p.name, format!("{label}: circle radius must be positive, got {r}"));
                    continue;
                }
                Shape::Circle(v2(*c), *r as f32)
            }
            Area::Polygon(pts) => match check_polygon(ck, Some(format!("\"{}\"", p.name)), &label, pts, inside) {
                Some(poly) => Shape::polygon(poly),
                None => continue,
            },
            Area::Polygons(parts) => {
                if parts.is_empty() {
                    ck.named(&p.name, format!("{label}: Polygons([]) has no parts"));
                    continue;
                }
                let mut shapes = Vec::new();
                for (k, pts) in parts.iter().enumerate() {
                    if let Some(poly) = check_polygon(
                        ck,
                        Some(format!("\"{}\"", p.name)),
                        &format!("{label} part {k}"),
                        pts,
                        inside,
                    ) {
                        shapes.push(Shape::polygon(poly));
                    }
                }
                if shapes.len() != parts.len() {
                    continue;
                }
                Shape::Multi(shapes)
            }
        };
        out.push(PlaceRt {
            name: p.name.clone(),
            shape,
        });
    }
    out
}

/// The venue's own geometry, checked: bounds and raster, walls, obstacles, zones, sources and
/// targets, and the rings' walls and fences once [`Layout::add_rings`] has run.
pub struct Layout {
    /// The bounds are finite and not empty.
    pub bounds_ok: bool,
    /// The raster can be built (bounds fine, cell size in range, not too many cells).
    pub raster_ok: bool,
    bounds: Bounds,
    cell: f64,
    /// Walls and obstacle edges (rings' edges are added by [`Layout::add_rings`]).
    segments: Vec<Segment>,
    obstacles: Vec<Vec<Vec2>>,
    zones: Vec<ZoneRt>,
    sources: Vec<PlaceRt>,
    targets: Vec<PlaceRt>,
}

impl Layout {
    /// Number of targets (each has the floor field of its index).
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }

    /// Whether `p` lies within the bounds (never, when they are broken).
    pub fn inside(&self, p: Point) -> bool {
        let b = self.bounds;
        self.bounds_ok && p.0 >= b.min.0 && p.1 >= b.min.1 && p.0 <= b.max.0 && p.1 <= b.max.1
    }

    /// The rings of `sc` (closed polygons or fences from wall to wall, unique names); their
    /// edges become walls of the venue.
    pub fn add_rings(&mut self, ck: &mut Checker, sc: &Scenario) -> Vec<RingRt> {
        let mut rings: Vec<RingRt> = Vec::new();
        let plain_walls = self.segments.clone();
        let b = self.bounds;
        let inside = |p: Point| self.inside(p);
        for r in &sc.rings {
            if rings.iter().any(|x| x.name == r.name) {
                ck.named(&r.name, format!("ring \"{}\" is defined twice", r.name));
                continue;
            }
            let label = format!("ring \"{}\"", r.name);
            let ring = match (r.polygon.is_empty(), r.fence.is_empty()) {
                (false, true) => {
                    check_polygon(ck, Some(format!("\"{}\"", r.name)), &label, &r.polygon, &inside).map(|poly| RingRt {
                        name: r.name.clone(),
                        depth: r.level.depth(),
                        polygon: poly,
                        inside: None,
                    })
                }
                (true, false) => check_fence(ck, r, &label, &inside, &plain_walls, [v2(b.min), v2(b.max)]),
                _ => {
                    ck.named(
                        &r.name,
                        format!(
                            "{label}: give either `polygon` (a closed ring) or `fence` (a line from wall to wall), not {}",
                            if r.polygon.is_empty() { "neither" } else { "both" }
                        ),
                    );
                    None
                }
            };
            if let Some(ring) = ring {
                rings.push(ring);
            }
        }
        for ring in &rings {
            self.segments.extend(ring.edges());
        }
        rings
    }

    /// The runtime venue: the raster and the wall index over every segment and the bounds'
    /// edges (`max_radius`: the widest person, for the index's margin). Fields, security and
    /// the targets' regions are filled in later.
    ///
    /// `openings` are the doors' openings in the rings, each with the normal out of its ring and
    /// the floor field that passes it: in the raster the ring stays closed there; in the wall
    /// index the ring's edge is cut, the opening is a wall to everyone but those walking that
    /// field, and a frame [`DOOR_FRAME`] deep stands at either side outside.
    pub fn into_venue(self, max_radius: f32, openings: &[(Segment, Vec2, u16)]) -> Venue {
        let (min, max) = (v2(self.bounds.min), v2(self.bounds.max));
        let corners = [min, Vec2::new(max.x, min.y), max, Vec2::new(min.x, max.y)];
        let mut all_segments: Vec<Segment> = (0..4)
            .map(|k| Segment {
                a: corners[k],
                b: corners[(k + 1) % 4],
            })
            .collect();
        all_segments.extend(self.segments);
        let grid = NavGrid::build(min, max, self.cell as f32, &all_segments, &self.obstacles);
        let (segments, pass) = cut_openings(&all_segments, openings);
        let walls = SegmentIndex::build(min, max, 2.0, max_radius + 0.6, segments, pass);
        Venue {
            wall_margin: max_radius + 0.6,
            min,
            max,
            grid,
            walls,
            obstacles: self.obstacles,
            zones: self.zones,
            sources: self.sources,
            targets: self.targets,
            fields: Vec::new(),
            security: Default::default(),
            target_region: Vec::new(),
            goals: Vec::new(),
            buffers: Default::default(),
            closed: None,
            fields_gen: 0,
        }
    }
}

/// The wall segments with each opening cut out of the segment it lies on and kept as a
/// segment of its own, and per segment the floor field that passes it ([`SOLID`] for a wall).
fn cut_openings(segments: &[Segment], openings: &[(Segment, Vec2, u16)]) -> (Vec<Segment>, Vec<u16>) {
    let (mut out, mut pass) = (Vec::new(), Vec::new());
    for s in segments {
        let len = s.a.distance(s.b);
        let dir = (s.b - s.a).normalize_or_zero();
        let mut cuts: Vec<(f32, f32, Vec2, u16)> = openings
            .iter()
            .filter(|(o, _, _)| len > 0.0 && s.distance(o.a) < 1e-2 && s.distance(o.b) < 1e-2)
            .map(|(o, out, f)| {
                let (ta, tb) = ((o.a - s.a).dot(dir), (o.b - s.a).dot(dir));
                (ta.min(tb).max(0.0), ta.max(tb).min(len), *out, *f)
            })
            .collect();
        if cuts.is_empty() {
            out.push(*s);
            pass.push(SOLID);
            continue;
        }
        cuts.sort_by(|x, y| x.0.total_cmp(&y.0));
        let mut t = 0.0f32;
        let at = |u: f32| s.a + dir * u;
        for (lo, hi, o, f) in cuts {
            if lo > t {
                out.push(Segment { a: at(t), b: at(lo) });
                pass.push(SOLID);
            }
            out.push(Segment { a: at(lo), b: at(hi) });
            pass.push(f);
            // the door's frame: the wall's thickness at either side of the opening, outside
            for u in [lo, hi] {
                out.push(Segment {
                    a: at(u),
                    b: at(u) + o * DOOR_FRAME,
                });
                pass.push(SOLID);
            }
            t = t.max(hi);
        }
        if t < len {
            out.push(Segment { a: at(t), b: s.b });
            pass.push(SOLID);
        }
    }
    (out, pass)
}

/// Largest side of an underlay image, pixels (a GPU texture's usual limit).
pub const MAX_UNDERLAY_PX: u32 = 8192;

/// An underlay: a PNG inside the scenario's folder over a finite rectangle; once the scenario
/// is read from a file, the image's header must say it is a PNG of at most
/// [`MAX_UNDERLAY_PX`] a side (the pixels themselves are read only by the viewer).
fn check_underlay(ck: &mut Checker, u: &Underlay) {
    let anchor = Some("underlay".to_string());
    let name = &u.file;
    if !crate::scenario::load::inside_name(name) {
        ck.err(anchor, format!("venue.underlay \"{name}\" must be a file name relative to the scenario's folder, inside it (no `..`, not absolute)"));
        return;
    }
    if std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
        != Some("png")
    {
        ck.err(anchor, format!("venue.underlay \"{name}\" must be a PNG image (.png)"));
        return;
    }
    if !(finite_pt(u.min) && finite_pt(u.max) && u.max.0 > u.min.0 && u.max.1 > u.min.1) {
        ck.err(
            anchor.clone(),
            "venue.underlay: max must be above and to the right of min (finite numbers)".into(),
        );
    }
    if !(0.0..=1.0).contains(&u.opacity) {
        ck.err(
            anchor.clone(),
            format!("venue.underlay: opacity must be 0 to 1, got {}", u.opacity),
        );
    }
    let Some(path) = &u.path else { return };
    let header = (|| -> std::result::Result<(u32, u32), String> {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        if !meta.is_file() {
            return Err("not a regular file".into());
        }
        let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
        let r = png::Decoder::new(std::io::BufReader::new(f))
            .read_info()
            .map_err(|e| format!("not a PNG image: {e}"))?;
        let i = r.info();
        Ok((i.width, i.height))
    })();
    match header {
        Ok((w, h)) if w > MAX_UNDERLAY_PX || h > MAX_UNDERLAY_PX => ck.err(
            anchor,
            format!("venue.underlay \"{name}\" is {w} × {h} pixels; at most {MAX_UNDERLAY_PX} a side"),
        ),
        Ok(_) => {}
        Err(e) => ck.err(
            anchor,
            format!("venue.underlay \"{name}\": cannot read {}: {e}", path.display()),
        ),
    }
}

/// The venue section of a file, checked: bounds and raster size, walls, obstacles, zones,
/// sources and targets. Problems go to `ck`; what is sound is kept.
pub fn layout(ck: &mut Checker, v: &crate::scenario::model::Venue) -> Layout {
    let b = v.bounds;
    let bounds_ok = finite_pt(b.min) && finite_pt(b.max) && b.max.0 > b.min.0 && b.max.1 > b.min.1;
    if let Some(f) = &v.file {
        // only a scenario read from a file has a folder to read its venue file from
        ck.err(
            Some("file".into()),
            format!("venue.file \"{f}\" was not read: a venue file is read only with a scenario loaded from a file"),
        );
    } else if b == Default::default() {
        ck.err(
            Some("venue".into()),
            "venue: `bounds` missing (give them, or a venue `file` that has them)".into(),
        );
    } else if !bounds_ok {
        ck.err(
            Some("bounds".into()),
            "venue.bounds: max must be above and to the right of min (finite numbers)".into(),
        );
    }
    if let Some(o) = v.origin
        && !(o.lat.abs() <= 85.0 && o.lon.abs() <= 180.0)
    {
        ck.err(
            Some("origin".into()),
            format!(
                "venue.origin: latitude must be within ±85° and longitude within ±180°, got ({}, {})",
                o.lat, o.lon
            ),
        );
    }
    if let Some(u) = &v.underlay {
        check_underlay(ck, u);
    }
    let h = v.cell_size;
    let mut raster_ok = bounds_ok;
    if !(h.is_finite() && h > 0.0) {
        ck.err(
            Some("cell_size".into()),
            format!("venue.cell_size must be a positive length in metres, got {h}"),
        );
        raster_ok = false;
    } else if bounds_ok {
        let cells = ((b.max.0 - b.min.0) / h).ceil() * ((b.max.1 - b.min.1) / h).ceil();
        if cells > MAX_CELLS as f64 {
            ck.err(
                Some("cell_size".into()),
                format!(
                    "venue.cell_size = {h} m makes a raster of {cells:.0} cells over the bounds; the limit is {MAX_CELLS}: use a larger cell_size"
                ),
            );
            raster_ok = false;
        }
        if h > 1.0 {
            ck.err(
                Some("cell_size".into()),
                format!("venue.cell_size = {h} m is coarser than 1 m and would close doors"),
            );
        }
    }
    let mut lay = Layout {
        bounds_ok,
        raster_ok,
        bounds: b,
        cell: h,
        segments: Vec::new(),
        obstacles: Vec::new(),
        zones: Vec::new(),
        sources: Vec::new(),
        targets: Vec::new(),
    };
    let inside = |p: Point| lay.inside(p);

    let mut segments = Vec::new();
    for (i, w) in v.walls.iter().enumerate() {
        let label = w
            .name
            .as_ref()
            .map_or(format!("wall #{i}"), |n| format!("wall \"{n}\""));
        let anchor = w.name.as_ref().map(|n| format!("\"{n}\""));
        if w.points.len() < 2 {
            ck.err(
                anchor.clone(),
                format!("{label}: a wall needs at least 2 points, got {}", w.points.len()),
            );
            continue;
        }
        if let Some(p) = w.points.iter().find(|p| !inside(**p)) {
            ck.err(
                anchor.clone(),
                format!("{label}: point ({}, {}) is outside the venue bounds", p.0, p.1),
            );
            continue;
        }
        for pair in w.points.windows(2) {
            segments.push(Segment {
                a: v2(pair[0]),
                b: v2(pair[1]),
            });
        }
    }
    let mut obstacles = Vec::new();
    for (i, o) in v.obstacles.iter().enumerate() {
        let label = o
            .name
            .as_ref()
            .map_or(format!("obstacle #{i}"), |n| format!("obstacle \"{n}\""));
        let anchor = o.name.as_ref().map(|n| format!("\"{n}\""));
        if let Some(poly) = check_polygon(ck, anchor, &label, &o.polygon, &inside) {
            for k in 0..poly.len() {
                segments.push(Segment {
                    a: poly[k],
                    b: poly[(k + 1) % poly.len()],
                });
            }
            obstacles.push(poly);
        }
    }
    let mut zones = Vec::new();
    for z in &v.zones {
        if zones.iter().any(|x: &ZoneRt| x.name == z.name) {
            ck.named(&z.name, format!("zone \"{}\" is defined twice", z.name));
        }
        if let Some(poly) = check_polygon(
            ck,
            Some(format!("\"{}\"", z.name)),
            &format!("zone \"{}\"", z.name),
            &z.polygon,
            &inside,
        ) {
            zones.push(ZoneRt::new(z.name.clone(), poly));
        }
    }
    let sources = check_places(ck, "source", &v.sources, &inside, false);
    let targets = check_places(ck, "target", &v.targets, &inside, true);
    lay.segments = segments;
    lay.obstacles = obstacles;
    lay.zones = zones;
    lay.sources = sources;
    lay.targets = targets;
    lay
}

/// Sources, targets and fixed start positions must touch walkable space.
pub fn check_free_places(ck: &mut Checker, venue: &Venue, sc: &Scenario) {
    for (kind, places) in [("source", &venue.sources), ("target", &venue.targets)] {
        for p in places.iter() {
            let free = match &p.shape {
                Shape::Circle(c, r) if *r <= 0.0 => venue.is_free(*c) && venue.wall_clearance(*c) >= 1e-3,
                shape => shape.cells(&venue.grid).iter().any(|&i| !venue.grid.blocked[i]),
            };
            if !free {
                ck.named(
                    &p.name,
                    format!(
                        "{kind} \"{}\" lies inside a wall or obstacle (no walkable space there)",
                        p.name
                    ),
                );
            }
        }
    }
    for g in &sc.crowd {
        if let Arrivals::Positions(ps) = &g.arrivals {
            for p in ps {
                let q = v2(*p);
                if !finite_pt(*p) || !venue.is_free(q) || venue.wall_clearance(q) < 1e-3 {
                    ck.named(
                        &g.name,
                        format!(
                            "crowd \"{}\": start position ({}, {}) is outside the bounds or inside a wall or obstacle",
                            g.name, p.0, p.1
                        ),
                    );
                }
            }
        }
    }
}

/// The venue's floor fields (`sets` sets of them may be held at once: the timeline's closed
/// areas each need one): one per target (a target where people stand, listed in
/// `stand_targets`, leads to its middle, so that the cost still falls inside it and people
/// further in hold back those behind: the crowd packs outwards), then each checkpoint's pen,
/// then each door's way out (see [`crate::checkpoint::build::field_slots`]). Taken from
/// `cache` where it has them; refused (a problem for `ck`, `false`) when they would not fit in
/// `limits`.
pub fn fields(
    ck: &mut Checker,
    venue: &mut Venue,
    stand_targets: &[usize],
    buffers: crate::venue::field::Buffers,
    limits: &Limits,
    cache: &mut FieldCache,
    sets: usize,
) -> bool {
    let mut goals: Vec<FieldGoal> = venue
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            FieldGoal::To(if stand_targets.contains(&i) {
                match &t.shape {
                    Shape::Multi(parts) => {
                        Shape::Multi(parts.iter().map(|p| Shape::Circle(p.center(), 0.75)).collect())
                    }
                    other => Shape::Circle(other.center(), 0.75),
                }
            } else {
                t.shape.clone()
            })
        })
        .collect();
    for cp in &venue.security.checkpoints {
        goals.push(FieldGoal::To(cp.pen.clone()));
    }
    for d in &venue.security.doors {
        goals.push(FieldGoal::Through {
            cells: d.cells.clone(),
            front: d.front.clone(),
            seeds: d.seeds.clone(),
            out: d.out,
            inner: d.inner_region,
        });
    }
    if let Some((anchor, text)) = limits::fields_fit(
        venue.grid.nx * venue.grid.ny,
        goals.len() * sets.max(1),
        super::field::FloorField::BYTES_PER_CELL,
        limits,
    ) {
        ck.err(anchor, text);
        return false;
    }
    venue.fields = cache.fields(&venue.grid, &goals, &venue.security.region, buffers);
    venue.goals = goals;
    venue.buffers = buffers;
    true
}

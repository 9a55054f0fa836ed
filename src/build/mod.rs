//! From a parsed [`Scenario`] to the runtime [`Validated`] world, once: the checks that need the
//! venue built (geometry sanity, sources and targets in free space, every target reachable from
//! where people start) with the plain-data checks of [`crate::scenario::check`], and the runtime
//! parts each concern owns (venue, security layout, groups, responders, incidents).

use crate::crowd::{GroupRt, ModelRt};
use crate::error::Result;
use crate::incidents::IncidentPlan;
use crate::responders::Responders;
use crate::scenario::check::{Checker, finite_pt, quote_list, v2, valid_name};
use crate::scenario::limits::{self, Limits};
use crate::scenario::model::*;
use crate::scenario::{DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE, parse_str, read_text};
use crate::venue::build::{check_fence, check_places, check_polygon, src_probe_points};
use crate::venue::cache::FieldCache;
use crate::venue::geometry::Segment;
use crate::venue::grid::{MAX_CELLS, NavGrid, SegmentIndex};
use crate::venue::security::{RingRt, Security};
use crate::venue::{Shape, Venue, ZoneRt};
use bevy::math::Vec2;

/// A scenario that passed every check, ready to become an ECS world.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The scenario as written (for reports).
    pub scenario: Scenario,
    /// Time step, s.
    pub dt: f64,
    /// Clock time of t = 0, s after midnight.
    pub start: f64,
    /// Simulated duration, s.
    pub duration: f64,
    /// Runtime venue.
    pub venue: Venue,
    /// Runtime groups.
    pub groups: Vec<GroupRt>,
    /// Operational model parameters.
    pub model: ModelRt,
    /// Response units.
    pub responders: Responders,
    /// Incident types and dispatch.
    pub incidents: IncidentPlan,
}

/// Checks a scenario and builds its runtime world, within the default [`Limits`].
pub fn validate(sc: &Scenario, file: &str, src: Option<&str>) -> Result<Validated> {
    validate_with(sc, file, src, &Limits::default())
}

/// Checks a scenario and builds its runtime world; a file that would need more than `limits`
/// allow is refused before anything big is allocated.
pub fn validate_with(sc: &Scenario, file: &str, src: Option<&str>, limits: &Limits) -> Result<Validated> {
    validate_cached(sc, file, src, limits, &mut FieldCache::new())
}

/// [`validate_with`] that takes the floor fields it can from `cache` (and leaves its own there):
/// for whoever validates the same venue again and again (the viewer's reload, a batch's sweep).
pub fn validate_cached(
    sc: &Scenario,
    file: &str,
    src: Option<&str>,
    limits: &Limits,
    cache: &mut FieldCache,
) -> Result<Validated> {
    let mut ck = Checker::new(src);
    for (anchor, text) in limits::check(sc, limits) {
        ck.err(anchor, text);
    }
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }

    // --- name (it becomes a folder under out/)
    if !valid_name(&sc.name) {
        ck.err(Some("name".into()), format!("scenario name \"{}\" must be 1–100 characters of letters, digits, '-', '_' or '.', not starting with '.'", sc.name));
    }

    // --- sim settings
    let s = &sc.sim;
    if !(s.dt.is_finite() && s.dt > 0.0) {
        ck.err(
            Some("dt".into()),
            format!("sim.dt must be a positive number of seconds, got {}", s.dt),
        );
    } else if s.dt > 1.0 {
        ck.err(
            Some("dt".into()),
            format!(
                "sim.dt = {} s is too coarse for the pedestrian model (at most 1.0 s)",
                s.dt
            ),
        );
    }
    if !(s.start.0.is_finite() && s.end.0.is_finite()) || s.end.0 <= s.start.0 {
        ck.err(
            Some("end".into()),
            format!("sim.end ({}) must be after sim.start ({})", s.end.hms(), s.start.hms()),
        );
    }

    // --- bounds and raster
    let v = &sc.venue;
    let b = v.bounds;
    let bounds_ok = finite_pt(b.min) && finite_pt(b.max) && b.max.0 > b.min.0 && b.max.1 > b.min.1;
    if !bounds_ok {
        ck.err(
            Some("bounds".into()),
            "venue.bounds: max must be above and to the right of min (finite numbers)".into(),
        );
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
    let inside = |p: Point| bounds_ok && p.0 >= b.min.0 && p.1 >= b.min.1 && p.0 <= b.max.0 && p.1 <= b.max.1;

    // --- walls and obstacles
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
        if let Some(poly) = check_polygon(&mut ck, anchor, &label, &o.polygon, &inside) {
            for k in 0..poly.len() {
                segments.push(Segment {
                    a: poly[k],
                    b: poly[(k + 1) % poly.len()],
                });
            }
            obstacles.push(poly);
        }
    }

    // --- zones
    let mut zones = Vec::new();
    for z in &v.zones {
        if zones.iter().any(|x: &ZoneRt| x.name == z.name) {
            ck.named(&z.name, format!("zone \"{}\" is defined twice", z.name));
        }
        if let Some(poly) = check_polygon(
            &mut ck,
            Some(format!("\"{}\"", z.name)),
            &format!("zone \"{}\"", z.name),
            &z.polygon,
            &inside,
        ) {
            zones.push(ZoneRt::new(z.name.clone(), poly));
        }
    }

    // --- sources and targets
    let sources = check_places(&mut ck, "source", &v.sources, &inside, false);
    let targets = check_places(&mut ck, "target", &v.targets, &inside, true);

    // --- security: rings (closed walls or fences from wall to wall), checkpoints, item classes
    let mut rings: Vec<RingRt> = Vec::new();
    let plain_walls = segments.clone();
    for r in &sc.rings {
        if rings.iter().any(|x| x.name == r.name) {
            ck.named(&r.name, format!("ring \"{}\" is defined twice", r.name));
            continue;
        }
        let label = format!("ring \"{}\"", r.name);
        let ring =
            match (r.polygon.is_empty(), r.fence.is_empty()) {
                (false, true) => check_polygon(&mut ck, Some(format!("\"{}\"", r.name)), &label, &r.polygon, &inside)
                    .map(|poly| RingRt {
                        name: r.name.clone(),
                        depth: r.level.depth(),
                        polygon: poly,
                        inside: None,
                    }),
                (true, false) => check_fence(&mut ck, r, &label, &inside, &plain_walls, [v2(b.min), v2(b.max)]),
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
            segments.extend(ring.edges());
            rings.push(ring);
        }
    }
    let items: Vec<String> = sc.threats.iter().map(|t| t.item.clone()).collect();
    let mut carriers = vec![vec![0.0; sc.crowd.len()]; sc.threats.len()];
    if sc.threats.len() > 32 {
        ck.err(
            Some("threats".into()),
            format!("at most 32 item classes, got {}", sc.threats.len()),
        );
    }
    for (ti, th) in sc.threats.iter().enumerate() {
        if items[..ti].contains(&th.item) {
            ck.named(&th.item, format!("item class \"{}\" is defined twice", th.item));
        }
        for c in &th.carriers {
            match sc.crowd.iter().position(|g| g.name == c.group) {
                Some(gi) => carriers[ti][gi] = c.fraction,
                None => ck.named(
                    &c.group,
                    format!(
                        "threat \"{}\": crowd group \"{}\" is not defined; known groups: {}",
                        th.item,
                        c.group,
                        quote_list(sc.crowd.iter().map(|g| g.name.as_str()))
                    ),
                ),
            }
            if !(c.fraction.is_finite() && (0.0..=1.0).contains(&c.fraction)) {
                ck.named(
                    &th.item,
                    format!(
                        "threat \"{}\": carrier fraction {} for \"{}\" must be in [0, 1]",
                        th.item, c.fraction, c.group
                    ),
                );
            }
        }
    }
    let cp_specs = crate::checkpoint::build::build(&mut ck, sc, &rings, &items, &inside);
    let model = crate::crowd::build::model(&mut ck, &sc.model);
    crate::metrics::build::check(&mut ck, &sc.metrics, bounds_ok.then_some(b));
    let groups = crate::crowd::build::groups(&mut ck, sc);
    // Geometry must be sound before rasterising.
    if !raster_ok && ck.is_clean() {
        ck.err(None, "venue raster cannot be built".into());
    }
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }

    let (min, max) = (v2(b.min), v2(b.max));
    let mut all_segments = vec![
        Segment {
            a: min,
            b: Vec2::new(max.x, min.y),
        },
        Segment {
            a: Vec2::new(max.x, min.y),
            b: max,
        },
        Segment {
            a: max,
            b: Vec2::new(min.x, max.y),
        },
        Segment {
            a: Vec2::new(min.x, max.y),
            b: min,
        },
    ];
    all_segments.extend(segments);
    let grid = NavGrid::build(min, max, h as f32, &all_segments, &obstacles);
    let max_radius = sc.crowd.iter().map(|g| g.radius as f32).fold(0.2f32, f32::max);
    let margin = max_radius + 0.6;
    let walls = SegmentIndex::build(min, max, 2.0, margin, all_segments);
    let mut venue = Venue {
        min,
        max,
        grid,
        walls,
        obstacles,
        zones,
        sources,
        targets,
        fields: Vec::new(),
        security: Default::default(),
        target_region: Vec::new(),
    };

    // Sources and targets must touch free space.
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
    for g in &groups {
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
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }

    // Walkable regions; each checkpoint joins the region of its pen to the one inside.
    let (region, regions) = venue.grid.regions();
    if let Some((anchor, text)) = limits::regions_fit(regions as usize) {
        ck.err(anchor, text);
        return Err(ck.into_error(file));
    }
    let mut sec = Security {
        rings,
        items,
        carriers,
        region,
        regions,
        ..Default::default()
    };
    let region_of_shape = |sec: &Security, grid: &NavGrid, shape: &Shape| -> u32 {
        shape
            .cells(grid)
            .into_iter()
            .map(|i| sec.region[i])
            .find(|r| *r != u32::MAX)
            .unwrap_or_else(|| sec.region_at(grid, shape.center()))
    };
    let n_targets = venue.targets.len();
    for (k, mut cp) in cp_specs.into_iter().enumerate() {
        cp.outer_region = region_of_shape(&sec, &venue.grid, &cp.pen);
        cp.inner_region = sec.region_at(&venue.grid, cp.inner_spot(cp.lanes / 2));
        let inner_ok = sec.rings[cp.ring].is_inside(cp.inner_spot(cp.lanes / 2)) && cp.inner_region != u32::MAX;
        let exit_ok = cp
            .outer_exit_area()
            .cells(&venue.grid)
            .iter()
            .any(|&i| sec.region[i] == cp.outer_region && cp.outer_region != u32::MAX);
        if cp.outer_region == u32::MAX || !inner_ok || !exit_ok || cp.outer_region == cp.inner_region {
            ck.named(&cp.name, format!("checkpoint \"{}\": no walkable space for its queue outside or its exit inside ring \"{}\" (is it against another wall?)", cp.name, sec.rings[cp.ring].name));
        }
        cp.pen_field = (n_targets + 2 * k) as u16;
        cp.inner_field = (n_targets + 2 * k + 1) as u16;
        sec.checkpoints.push(cp);
    }
    sec.build_routes();
    sec.innermost = sec
        .rings
        .iter()
        .enumerate()
        .max_by_key(|(i, r)| (r.depth, std::cmp::Reverse(*i)))
        .and_then(|(ri, _)| sec.checkpoints.iter().find(|c| c.ring == ri).map(|c| c.inner_region));
    venue.target_region = venue
        .targets
        .iter()
        .map(|t| region_of_shape(&sec, &venue.grid, &t.shape))
        .collect();
    venue.security = sec;
    let responders = crate::responders::build::build(&mut ck, sc, &venue, s.start.0);
    let incidents = crate::incidents::build::build(&mut ck, sc, &venue, s.start.0, &responders);
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }

    // Floor fields (targets, then each checkpoint's pen and inner side), then reachability.
    let wall_buffer = sc.model.wall_buffer as f32;
    // A place where people stand (a viewing area) leads to its middle, so that the cost still
    // falls inside it and people further in hold back those behind: the crowd packs outwards.
    let stand_targets: Vec<usize> = groups
        .iter()
        .filter(|g| g.stand)
        .flat_map(|g| g.destinations.iter().map(|d| d.0))
        .collect();
    let mut shapes: Vec<Shape> = venue
        .targets
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if stand_targets.contains(&i) {
                match &t.shape {
                    Shape::Multi(parts) => {
                        Shape::Multi(parts.iter().map(|p| Shape::Circle(p.center(), 0.75)).collect())
                    }
                    other => Shape::Circle(other.center(), 0.75),
                }
            } else {
                t.shape.clone()
            }
        })
        .collect();
    for cp in &venue.security.checkpoints {
        shapes.push(cp.pen.clone());
        shapes.push(Shape::Circle(cp.inner_spot(cp.lanes / 2), 0.75));
    }
    if let Some((anchor, text)) = limits::fields_fit(
        venue.grid.nx * venue.grid.ny,
        shapes.len(),
        crate::venue::field::FloorField::BYTES_PER_CELL,
        limits,
    ) {
        ck.err(anchor, text);
        return Err(ck.into_error(file));
    }
    venue.fields = cache.fields(&venue.grid, &shapes, wall_buffer);
    for g in &groups {
        let src = &venue.sources[g.source];
        let starts: Vec<Vec2> = match &g.arrivals {
            Arrivals::Positions(ps) => ps.iter().map(|p| v2(*p)).collect(),
            _ => src_probe_points(&src.shape, &venue),
        };
        let sec = &venue.security;
        let via_rings = |from: Vec2, to: usize| -> bool {
            let (a, b) = (sec.region_at(&venue.grid, from), venue.target_region[to]);
            a != u32::MAX
                && b != u32::MAX
                && a != b
                && sec
                    .next_hop
                    .get(a as usize)
                    .and_then(|h| h.get(b as usize))
                    .is_some_and(|h| !h.is_empty())
        };
        for &(d, _) in &g.destinations {
            let field = &venue.fields[d];
            if !starts
                .iter()
                .any(|p| field.cost_at(&venue.grid, *p).is_finite() || via_rings(*p, d))
            {
                ck.named(
                    &venue.targets[d].name,
                    format!("crowd \"{}\": target \"{}\" cannot be reached from source \"{}\" (walls or obstacles cut it off)", g.name, venue.targets[d].name, src.name),
                );
            }
            for &(e, _) in &g.exits {
                let probes = src_probe_points(&venue.targets[d].shape, &venue);
                if !probes
                    .iter()
                    .any(|p| venue.fields[e].cost_at(&venue.grid, *p).is_finite() || via_rings(*p, e))
                {
                    ck.named(
                        &venue.targets[e].name,
                        format!(
                            "crowd \"{}\": exit \"{}\" cannot be reached from destination \"{}\"",
                            g.name, venue.targets[e].name, venue.targets[d].name
                        ),
                    );
                }
            }
        }
    }
    ck.finish(file)?;

    Ok(Validated {
        scenario: sc.clone(),
        dt: s.dt,
        start: s.start.0,
        duration: s.end.0 - s.start.0,
        venue,
        groups,
        responders,
        incidents,
        model,
    })
}

/// Loads and validates a file in one go, within the default [`Limits`].
pub fn load_and_validate(path: &std::path::Path) -> Result<Validated> {
    load_and_validate_with(path, &Limits::default())
}

/// Loads and validates a file in one go, within `limits`.
pub fn load_and_validate_with(path: &std::path::Path, limits: &Limits) -> Result<Validated> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let sc = parse_str(&text, &file)?;
    validate_with(&sc, &file, Some(&text), limits)
}

/// Parses and validates the built-in default scenario.
pub fn default_scenario() -> Result<Validated> {
    let sc = parse_str(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE)?;
    validate(&sc, DEFAULT_SCENARIO_FILE, Some(DEFAULT_SCENARIO))
}

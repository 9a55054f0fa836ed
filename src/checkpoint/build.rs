//! A scenario's checkpoints, checked and placed for the run: each on its ring, with its lanes'
//! direction, its pen (or holding area) and the places people queue in, its service-time law,
//! opening hours and detection probabilities per item class.

use crate::scenario::check::{Checker, finite_pt, quote_list, v2};
use crate::scenario::model::*;
use crate::venue::build::check_polygon;
use crate::venue::geometry::Segment;
use crate::venue::geometry::point_in_polygon;
use crate::venue::grid::NavGrid;
use crate::venue::security::{CheckpointRt, DOOR_FRAME, DoorRt, RingRt, Security};
use crate::venue::{Shape, Venue};
use bevy::math::Vec2;

/// Most places across one pen (each is a file of people the run keeps a list for).
pub const MAX_FILES: usize = 1_000;

/// The checkpoints of `sc` on the `rings` built from it, detecting the item classes `items`;
/// `inside` tells whether a point is within the venue's bounds. Problems go to `ck`.
pub fn build(
    ck: &mut Checker,
    sc: &Scenario,
    rings: &[RingRt],
    items: &[String],
    inside: &dyn Fn(Point) -> bool,
) -> Vec<CheckpointRt> {
    let mut cp_specs = Vec::new();
    let start = sc.sim.start.0;
    for (ci, c) in sc.checkpoints.iter().enumerate() {
        let label = format!("checkpoint \"{}\"", c.name);
        if sc.checkpoints[..ci].iter().any(|x| x.name == c.name) {
            ck.named(&c.name, format!("{label} is defined twice"));
        }
        let Some(ring) = rings.iter().position(|r| r.name == c.ring) else {
            if sc.rings.iter().any(|r| r.name == c.ring) {
                // the ring is in the file but has problems of its own, reported already
                continue;
            }
            ck.named(
                &c.ring,
                format!(
                    "{label}: ring \"{}\" is not defined; known rings: {}",
                    c.ring,
                    quote_list(sc.rings.iter().map(|r| r.name.as_str()))
                ),
            );
            continue;
        };
        if c.lanes == 0 || c.lanes > 1000 {
            ck.named(&c.name, format!("{label}: lanes must be 1 to 1000, got {}", c.lanes));
        }
        let service_ok = match &c.service {
            ServiceTime::Fixed(x) => x.is_finite() && *x > 0.0,
            ServiceTime::Exponential { mean } => mean.is_finite() && *mean > 0.0,
            ServiceTime::LogNormal { mean, sd } => mean.is_finite() && *mean > 0.0 && sd.is_finite() && *sd >= 0.0,
            ServiceTime::Empirical(v) => !v.is_empty() && v.iter().all(|x| x.is_finite() && *x > 0.0),
        };
        if !service_ok {
            ck.named(
                &c.name,
                format!(
                    "{label}: service times must be positive (and an Empirical list non-empty), got {:?}",
                    c.service
                ),
            );
        }
        if let (Some(o), Some(cl)) = (c.open, c.close)
            && !(cl.0 > o.0)
        {
            ck.named(
                &c.name,
                format!("{label}: closes ({}) before it opens ({})", cl.hms(), o.hms()),
            );
        }
        let qa = &c.queue;
        if !(qa.length.is_finite() && qa.length > 0.0)
            || !(qa.spacing.is_finite() && qa.spacing >= 0.3)
            || qa.width.is_some_and(|w| !(w.is_finite() && w > 0.0))
        {
            ck.named(
                &c.name,
                format!("{label}: queue length and width must be positive and spacing at least 0.3 m"),
            );
        }
        if c.max_queue == Some(0) {
            ck.named(&c.name, format!("{label}: max_queue must be at least 1"));
        }
        let mut detect = vec![0.0; items.len()];
        for d in &c.detection {
            if !(d.probability.is_finite() && (0.0..=1.0).contains(&d.probability)) {
                ck.named(
                    &c.name,
                    format!(
                        "{label}: detection probability {} for \"{}\" must be in [0, 1]",
                        d.probability, d.item
                    ),
                );
            }
            match items.iter().position(|i| *i == d.item) {
                Some(k) => detect[k] = d.probability,
                None => ck.named(
                    &d.item,
                    format!(
                        "{label}: item class \"{}\" is not defined in threats; known: {}",
                        d.item,
                        quote_list(items.iter().map(String::as_str))
                    ),
                ),
            }
        }
        // the lanes sit on the ring: nearest edge within 0.5 m
        let edges = rings[ring].edges();
        let pos = v2(c.position);
        let (mut best, mut edge) = (f32::INFINITY, 0);
        for (k, e) in edges.iter().enumerate() {
            let d = e.distance(pos);
            if d < best {
                (best, edge) = (d, k);
            }
        }
        if !finite_pt(c.position) || best > 0.5 {
            ck.named(
                &c.name,
                format!(
                    "{label}: position ({}, {}) is not on ring \"{}\" ({best:.2} m from it; at most 0.5 m)",
                    c.position.0, c.position.1, c.ring
                ),
            );
            continue;
        }
        let seg = edges[edge];
        let on = seg.closest(pos);
        let along = (seg.b - seg.a).normalize_or_zero();
        let mut out = along.perp();
        let ring_rt = &rings[ring];
        let inward_probe = match ring_rt.inside {
            None => point_in_polygon(on + out * 0.05, &ring_rt.polygon),
            Some(q) => (q - on).dot(out) > 0.0,
        };
        if inward_probe {
            out = -out;
        }
        let width = qa.width.unwrap_or((c.lanes as f64).max(2.0)) as f32;
        let spacing = qa.spacing as f32;
        let per_row = ((width / spacing).floor() as usize).max(1);
        if per_row > MAX_FILES {
            // each place across is a file the run keeps a list for
            ck.named(
                &c.name,
                format!(
                    "{label}: a queue {width} m wide at {spacing} m spacing has {per_row} places across; the limit is {MAX_FILES}"
                ),
            );
            continue;
        }
        let depth = qa.length as f32;
        let half = width / 2.0;
        let mut qdir = out;
        if let Some(d) = qa.direction {
            let d = v2(d).normalize_or_zero();
            if !finite_pt(qa.direction.unwrap_or_default()) || d.dot(out) < 0.1 {
                ck.named(
                    &c.name,
                    format!("{label}: queue direction must point out of ring \"{}\"", c.ring),
                );
            } else {
                qdir = d;
            }
        }
        let side = qdir.perp();
        let base = on + out * 0.5;
        let mut pen = Shape::polygon(vec![
            base - side * half,
            base + side * half,
            base + qdir * depth + side * half,
            base + qdir * depth - side * half,
        ]);
        let mut slots = Vec::new();
        if let Some(h) = &qa.holding {
            if let Some(poly) = check_polygon(
                ck,
                Some(format!("\"{}\"", c.name)),
                &format!("{label}: holding area"),
                h,
                inside,
            ) {
                let centroid = poly.iter().copied().sum::<Vec2>() / poly.len() as f32;
                let near = poly.iter().map(|p| p.distance(on)).fold(f32::INFINITY, f32::min);
                if rings[ring].is_inside(centroid) || near > 5.0 {
                    ck.named(
                        &c.name,
                        format!(
                            "{label}: holding area must lie outside ring \"{}\" within 5 m of the checkpoint",
                            c.ring
                        ),
                    );
                }
                let hs = Shape::polygon(poly.clone());
                let (lo, hi) = match &hs {
                    Shape::Polygon(_, lo, hi) => (*lo, *hi),
                    _ => (on, on),
                };
                let mut y = lo.y + spacing / 2.0;
                while y < hi.y && slots.len() < 200_000 {
                    let mut x = lo.x + spacing / 2.0;
                    while x < hi.x {
                        let p = Vec2::new(x, y);
                        if hs.contains(p) && !rings[ring].is_inside(p) {
                            slots.push(p);
                        }
                        x += spacing;
                    }
                    y += spacing;
                }
                slots.sort_by(|a, b| {
                    a.distance_squared(on)
                        .total_cmp(&b.distance_squared(on))
                        .then(a.x.total_cmp(&b.x))
                        .then(a.y.total_cmp(&b.y))
                });
                if slots.is_empty() {
                    ck.named(&c.name, format!("{label}: holding area has no room for anyone"));
                }
                pen = hs;
            }
        }
        let open = c.open.map_or(0.0, |o| o.0 - start);
        let close = c.close.map_or(f64::INFINITY, |cl| cl.0 - start);
        let admit = admit_list(ck, sc, &label, &c.admit);
        cp_specs.push(CheckpointRt {
            name: c.name.clone(),
            ring,
            lanes: c.lanes.max(1) as usize,
            service: c.service.clone(),
            open,
            close,
            policy: c.lane_choice,
            max_queue: c.max_queue,
            when_full: c.when_full,
            detect,
            pos: on,
            out,
            along,
            qdir,
            slots,
            per_row,
            rows: ((depth - 0.3) / spacing).floor().max(1.0) as usize,
            spacing,
            pen,
            outer_region: u32::MAX,
            inner_region: u32::MAX,
            pen_field: 0,
            exit_door: None,
            admit,
        });
    }

    cp_specs
}

/// Narrowest and widest door, m.
pub const DOOR_WIDTH: (f64, f64) = (0.5, 50.0);

/// Where an opening of `width` centred `offset` m along ring `ring`'s edge `edge` from `on`
/// lies, if it fits on that edge: its two ends and the normal out of the ring.
fn opening_on(ring: &RingRt, edge: Segment, on: Vec2, offset: f32, width: f32) -> Option<(Vec2, Vec2, Vec2)> {
    let len = edge.a.distance(edge.b);
    let along = (edge.b - edge.a).normalize_or_zero();
    let t = (on - edge.a).dot(along) + offset;
    let (lo, hi) = (t - width / 2.0, t + width / 2.0);
    if lo < 0.05 || hi > len - 0.05 {
        return None;
    }
    let (a, b) = (edge.a + along * lo, edge.a + along * hi);
    let mid = (a + b) * 0.5;
    let mut out = along.perp();
    let inward = match ring.inside {
        None => point_in_polygon(mid + out * 0.05, &ring.polygon),
        Some(q) => (q - mid).dot(out) > 0.0,
    };
    if inward {
        out = -out;
    }
    Some((a, b, out))
}

/// The nearest edge of `ring` to `p` and its distance.
fn nearest_edge(ring: &RingRt, p: Vec2) -> Option<(Segment, f32)> {
    ring.edges()
        .into_iter()
        .map(|e| (e, e.distance(p)))
        .min_by(|x, y| x.1.total_cmp(&y.1))
}

/// An `admit` list as class indices (None: everybody); a class no crowd group has is named.
fn admit_list(ck: &mut Checker, sc: &Scenario, label: &str, admit: &[String]) -> Option<Vec<u16>> {
    let classes = crate::crowd::build::class_names(sc);
    (!admit.is_empty()).then(|| {
        (admit.iter())
            .filter_map(|a| match classes.iter().position(|x| x == a) {
                Some(i) => Some(i as u16),
                None => {
                    ck.named(
                        a,
                        format!(
                            "{label}: admit: no crowd group has class \"{a}\"; known classes: {}",
                            quote_list(classes.iter().map(String::as_str))
                        ),
                    );
                    None
                }
            })
            .collect()
    })
}

/// The exit-only doors: the file's doors, then each checkpoint's exit beside its lanes (its
/// `exit_door` is set). Each opening lies on one straight edge of its ring and overlaps no
/// other opening and no checkpoint's lanes. Regions and floor fields are filled in later.
pub fn doors(ck: &mut Checker, sc: &Scenario, rings: &[RingRt], checkpoints: &mut [CheckpointRt]) -> Vec<DoorRt> {
    let mut out: Vec<DoorRt> = Vec::new();
    let make = |name: String, ring: usize, (a, b, o): (Vec2, Vec2, Vec2), width: f32, cp: Option<u16>| DoorRt {
        name,
        ring,
        checkpoint: cp,
        a,
        b,
        out: o,
        width,
        inner_region: u32::MAX,
        outer_region: u32::MAX,
        field: 0,
        cells: Vec::new(),
        front: Vec::new(),
        seeds: Vec::new(),
        admit: None,
    };
    for (di, d) in sc.doors.iter().enumerate() {
        let label = format!("door \"{}\"", d.name);
        if sc.doors[..di].iter().any(|x| x.name == d.name) || sc.checkpoints.iter().any(|c| c.name == d.name) {
            ck.named(
                &d.name,
                format!("{label}: the name is used twice (doors and checkpoints share names)"),
            );
        }
        let Some(ring) = rings.iter().position(|r| r.name == d.ring) else {
            if !sc.rings.iter().any(|r| r.name == d.ring) {
                ck.named(
                    &d.ring,
                    format!(
                        "{label}: ring \"{}\" is not defined; known rings: {}",
                        d.ring,
                        quote_list(sc.rings.iter().map(|r| r.name.as_str()))
                    ),
                );
            }
            continue;
        };
        if !(d.width.is_finite() && (DOOR_WIDTH.0..=DOOR_WIDTH.1).contains(&d.width)) {
            ck.named(
                &d.name,
                format!(
                    "{label}: width must be {} to {} m, got {}",
                    DOOR_WIDTH.0, DOOR_WIDTH.1, d.width
                ),
            );
            continue;
        }
        let pos = v2(d.position);
        let near = nearest_edge(&rings[ring], pos).filter(|(_, dist)| finite_pt(d.position) && *dist <= 0.5);
        let Some((edge, _)) = near else {
            ck.named(
                &d.name,
                format!(
                    "{label}: position ({}, {}) is not on ring \"{}\" (at most 0.5 m from it)",
                    d.position.0, d.position.1, d.ring
                ),
            );
            continue;
        };
        let Some(geom) = opening_on(&rings[ring], edge, edge.closest(pos), 0.0, d.width as f32) else {
            ck.named(
                &d.name,
                format!(
                    "{label}: a {} m opening there runs past a corner of ring \"{}\" (a door lies on one straight edge)",
                    d.width, d.ring
                ),
            );
            continue;
        };
        let mut door = make(d.name.clone(), ring, geom, d.width as f32, None);
        door.admit = admit_list(ck, sc, &label, &d.admit);
        out.push(door);
    }
    for (k, cp) in checkpoints.iter_mut().enumerate() {
        let Some(spec) = sc.checkpoints.iter().find(|c| c.name == cp.name) else {
            continue;
        };
        let width = spec.exit.unwrap_or(DEFAULT_CHECKPOINT_EXIT);
        if width == 0.0 {
            continue;
        }
        let label = format!("checkpoint \"{}\"", cp.name);
        if !(width.is_finite() && (DOOR_WIDTH.0..=DOOR_WIDTH.1).contains(&width)) {
            ck.named(
                &cp.name,
                format!(
                    "{label}: exit must be 0 (entry only) or {} to {} m, got {width}",
                    DOOR_WIDTH.0, DOOR_WIDTH.1
                ),
            );
            continue;
        }
        let ring = &rings[cp.ring];
        let Some((edge, _)) = nearest_edge(ring, cp.pos) else {
            continue;
        };
        // beside the lanes, 0.4 m from the pen's side: on the `along` side, else the other
        let off = cp.width() / 2.0 + 0.4 + width as f32 / 2.0;
        let dir = (edge.b - edge.a).normalize_or_zero().dot(cp.along).signum();
        let geom = opening_on(ring, edge, cp.pos, off * dir, width as f32)
            .or_else(|| opening_on(ring, edge, cp.pos, -off * dir, width as f32));
        let Some(geom) = geom else {
            ck.named(
                &cp.name,
                format!(
                    "{label}: no room on ring \"{}\" beside its lanes for its {width} m exit door (a corner is too near); set `exit` narrower, or `exit: 0` (entry only) and give the ring a door",
                    ring.name
                ),
            );
            continue;
        };
        cp.exit_door = Some(out.len() as u16);
        out.push(make(
            format!("{} exit", cp.name),
            cp.ring,
            geom,
            width as f32,
            Some(k as u16),
        ));
    }
    // openings may not overlap each other or a checkpoint's lanes
    let span = |ring: usize, a: Vec2, b: Vec2| (ring, a, b);
    let mut spans: Vec<(String, (usize, Vec2, Vec2))> = out
        .iter()
        .map(|d| (format!("door \"{}\"", d.name), span(d.ring, d.a, d.b)))
        .collect();
    spans.extend(checkpoints.iter().map(|c| {
        let half = c.along * (c.width() / 2.0);
        (
            format!("checkpoint \"{}\"", c.name),
            span(c.ring, c.pos - half, c.pos + half),
        )
    }));
    let n_doors = out.len();
    for i in 0..n_doors {
        for j in i + 1..spans.len() {
            let ((ri, a, b), (rj, c, d)) = (spans[i].1, spans[j].1);
            if ri != rj {
                continue;
            }
            let dir = (b - a).normalize_or_zero();
            let para = dir.perp_dot(d - c).abs() < 1e-3 * (d - c).length().max(1.0);
            let on_line = dir.perp_dot(c - a).abs() < 0.05;
            let (t0, t1) = ((c - a).dot(dir), (d - a).dot(dir));
            let overlap = t0.max(t1) > 0.0 && t0.min(t1) < (b - a).length();
            if para && on_line && overlap {
                let anchor = out[i]
                    .checkpoint
                    .map_or(out[i].name.clone(), |k| checkpoints[k as usize].name.clone());
                ck.named(&anchor, format!("{} overlaps {} on the ring", spans[i].0, spans[j].0));
            }
        }
    }
    out
}

/// The item classes of `sc` (at most 32, unique) and, per class and crowd group, the share of
/// that group carrying one.
pub fn threats(ck: &mut Checker, sc: &Scenario) -> (Vec<String>, Vec<Vec<f64>>) {
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
            // a line about vehicles is the vehicles' (crate::vehicles::build checks it)
            if let Some(v) = &c.vehicle {
                if sc.vehicles.is_none() {
                    ck.named(
                        &th.item,
                        format!("threat \"{}\": vehicle class \"{v}\" is not defined: the scenario has no `vehicles` section", th.item),
                    );
                }
                if c.group.is_some() || c.class.is_some() {
                    ck.named(
                        &th.item,
                        format!(
                            "threat \"{}\": a carrier line names a `vehicle` class, or a `group` or `class` of people, not both",
                            th.item
                        ),
                    );
                }
                continue;
            }
            // the groups it names: one by name, every group of a class, or everybody; a later
            // line overrides an earlier one for the groups they share
            let who = match (&c.group, &c.class) {
                (Some(_), Some(_)) => {
                    ck.named(
                        &th.item,
                        format!(
                            "threat \"{}\": a carrier line names a `group` or a `class`, not both",
                            th.item
                        ),
                    );
                    continue;
                }
                (Some(g), None) => format!("\"{g}\""),
                (None, Some(k)) => format!("class \"{k}\""),
                (None, None) => "every group".into(),
            };
            let mut any = false;
            for (gi, g) in sc.crowd.iter().enumerate() {
                let hit = match (&c.group, &c.class) {
                    (Some(name), _) => &g.name == name,
                    (None, Some(k)) => g.class.as_ref() == Some(k),
                    (None, None) => true,
                };
                if hit {
                    carriers[ti][gi] = c.fraction;
                    any = true;
                }
            }
            if !any {
                match (&c.group, &c.class) {
                    (Some(name), _) => ck.named(
                        name,
                        format!(
                            "threat \"{}\": crowd group \"{name}\" is not defined; known groups: {}",
                            th.item,
                            quote_list(sc.crowd.iter().map(|g| g.name.as_str()))
                        ),
                    ),
                    (None, Some(k)) => {
                        let mut classes: Vec<&str> = sc.crowd.iter().filter_map(|g| g.class.as_deref()).collect();
                        classes.sort_unstable();
                        classes.dedup();
                        ck.named(
                            k,
                            format!(
                                "threat \"{}\": no crowd group has class \"{k}\"; known classes: {}",
                                th.item,
                                quote_list(classes.into_iter())
                            ),
                        );
                    }
                    (None, None) => {}
                }
            }
            if !(c.fraction.is_finite() && (0.0..=1.0).contains(&c.fraction)) {
                ck.named(
                    &th.item,
                    format!(
                        "threat \"{}\": carrier fraction {} for {who} must be in [0, 1]",
                        th.item, c.fraction
                    ),
                );
            }
        }
    }
    (items, carriers)
}

/// The security layout on the built venue: the walkable regions (`region`, `regions` from the
/// raster), each checkpoint joining the region of its pen to the one inside its ring and each
/// door the region inside to the one outside (floor-field slots after the targets': each
/// checkpoint's pen, then each door's way out, see [`field_slots`]), the routes between
/// regions, and each target's region. A checkpoint or door with no walkable space on either
/// side is a problem.
#[allow(clippy::too_many_arguments)]
pub fn security(
    ck: &mut Checker,
    venue: &mut Venue,
    (region, regions): (Vec<u32>, u32),
    rings: Vec<RingRt>,
    (items, carriers): (Vec<String>, Vec<Vec<f64>>),
    checkpoints: Vec<CheckpointRt>,
    doors: Vec<DoorRt>,
) {
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
    let (pens, exits) = field_slots(venue.targets.len(), checkpoints.len());
    for (k, mut cp) in checkpoints.into_iter().enumerate() {
        cp.outer_region = region_of_shape(&sec, &venue.grid, &cp.pen);
        cp.inner_region = sec.region_at(&venue.grid, cp.inner_spot(cp.lanes / 2));
        let inner_ok = sec.rings[cp.ring].is_inside(cp.inner_spot(cp.lanes / 2)) && cp.inner_region != u32::MAX;
        if cp.outer_region == u32::MAX || !inner_ok || cp.outer_region == cp.inner_region {
            ck.named(&cp.name, format!("checkpoint \"{}\": no walkable space for its queue outside or its exit inside ring \"{}\" (is it against another wall?)", cp.name, sec.rings[cp.ring].name));
        }
        cp.pen_field = pens + k as u16;
        sec.checkpoints.push(cp);
    }
    let grid = &venue.grid;
    sec.door_fields_from = exits;
    for (d, mut door) in doors.into_iter().enumerate() {
        let probe = door.out * grid.h.max(0.3);
        door.inner_region = sec.region_at(grid, door.mid() - probe);
        door.outer_region = sec.region_at(grid, door.mid() + probe);
        (door.cells, door.front, door.seeds) = opening_cells(grid, &sec.region, &door);
        door.field = exits + d as u16;
        if door.inner_region == u32::MAX || door.outer_region == u32::MAX || door.inner_region == door.outer_region {
            let anchor = door
                .checkpoint
                .map_or(door.name.clone(), |k| sec.checkpoints[k as usize].name.clone());
            ck.named(
                &anchor,
                format!(
                    "door \"{}\": no walkable space on both sides of its opening in ring \"{}\" (is it against another wall?)",
                    door.name, sec.rings[door.ring].name
                ),
            );
        }
        sec.doors.push(door);
    }
    sec.build_routes();
    let deepest = sec.rings.iter().map(|r| r.depth).max();
    let mut innermost: Vec<u32> = (sec.checkpoints.iter())
        .filter(|c| Some(sec.rings[c.ring].depth) == deepest)
        .map(|c| c.inner_region)
        .collect();
    innermost.sort_unstable();
    innermost.dedup();
    sec.innermost = innermost;
    venue.target_region = venue
        .targets
        .iter()
        .map(|t| region_of_shape(&sec, &venue.grid, &t.shape))
        .collect();
    venue.security = sec;
}

/// The first floor-field slot of the checkpoints' pens and of the doors' ways out, after
/// `targets` fields: `[targets][a pen per checkpoint][a way out per door]`.
pub fn field_slots(targets: usize, checkpoints: usize) -> (u16, u16) {
    (targets as u16, (targets + checkpoints) as u16)
}

/// The raster cells of a door's opening (those the ring's line blocks whose centres lie across
/// the opening, at least the cell of its middle), and the free cells of the outer `region` in
/// front of it, through its frame: the way out runs over these, and starts (cost 0) at those
/// beyond the frame.
pub fn opening_cells(grid: &NavGrid, region: &[u32], door: &DoorRt) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let len = door.a.distance(door.b);
    let along = (door.b - door.a).normalize_or_zero();
    let n = ((len / (grid.h * 0.25)).ceil() as usize).max(1);
    let mut cells: Vec<usize> = (0..=n)
        .filter_map(|k| grid.cell_of(door.a.lerp(door.b, k as f32 / n as f32)))
        .filter(|&i| {
            let c = grid.center(i % grid.nx, i / grid.nx);
            let t = (c - door.a).dot(along);
            (0.0..=len).contains(&t)
        })
        .collect();
    if cells.is_empty()
        && let Some(i) = grid.cell_of(door.mid())
    {
        cells.push(i);
    }
    cells.sort_unstable();
    cells.dedup();
    // in front: across the opening, from the ring to a cell beyond the frame
    let depth = DOOR_FRAME + 0.6 + grid.h;
    let seed_from = DOOR_FRAME + 0.5;
    let corners = [door.a, door.b, door.a + door.out * depth, door.b + door.out * depth];
    let lo = corners.iter().fold(Vec2::splat(f32::MAX), |m, p| m.min(*p));
    let hi = corners.iter().fold(Vec2::splat(f32::MIN), |m, p| m.max(*p));
    let (x0, y0) = grid.clamp_xy(lo);
    let (x1, y1) = grid.clamp_xy(hi);
    let (mut front, mut seeds) = (Vec::new(), Vec::new());
    for y in y0..=y1 {
        for x in x0..=x1 {
            let i = y * grid.nx + x;
            let c = grid.center(x, y) - door.mid();
            let (lat, dep) = (c.dot(along).abs(), c.dot(door.out));
            if grid.blocked[i] || region[i] != door.outer_region || dep <= 0.0 || dep > depth {
                continue;
            }
            if lat <= len / 2.0 + grid.h / 2.0 {
                front.push(i);
                if dep >= seed_from {
                    seeds.push(i);
                }
            }
        }
    }
    if seeds.is_empty() {
        // a raster coarser than the frame: the nearest free cells in front
        if let Some(&i) = front.iter().max_by(|&&a, &&b| {
            let d = |i: usize| (grid.center(i % grid.nx, i / grid.nx) - door.mid()).dot(door.out);
            d(a).total_cmp(&d(b)).then(b.cmp(&a))
        }) {
            seeds.push(i);
        }
    }
    (cells, front, seeds)
}

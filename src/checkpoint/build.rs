//! A scenario's checkpoints, checked and placed for the run: each on its ring, with its lanes'
//! direction, its pen (or holding area) and the places people queue in, its service-time law,
//! opening hours and detection probabilities per item class.

use crate::scenario::check::{Checker, finite_pt, quote_list, v2};
use crate::scenario::model::*;
use crate::venue::build::check_polygon;
use crate::venue::geometry::point_in_polygon;
use crate::venue::grid::NavGrid;
use crate::venue::security::{CheckpointRt, RingRt, Security};
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
            inner_field: 0,
        });
    }

    cp_specs
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
    (items, carriers)
}

/// The security layout on the built venue: the walkable regions (`region`, `regions` from the
/// raster), each checkpoint joining the region of its pen to the one inside its ring (with the
/// floor-field slots of its pen and inner side after the targets'), the routes between regions,
/// and each target's region. A checkpoint with no walkable space on either side is a problem.
#[allow(clippy::too_many_arguments)]
pub fn security(
    ck: &mut Checker,
    venue: &mut Venue,
    (region, regions): (Vec<u32>, u32),
    rings: Vec<RingRt>,
    (items, carriers): (Vec<String>, Vec<Vec<f64>>),
    checkpoints: Vec<CheckpointRt>,
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
    let n_targets = venue.targets.len();
    for (k, mut cp) in checkpoints.into_iter().enumerate() {
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
}

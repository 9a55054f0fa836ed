//! Checks of the venue's geometry as it is turned into the runtime venue: polygons (closed, not
//! self-intersecting, inside the bounds), fences from wall to wall, sources and targets.

use super::geometry::{Segment, polygon_degenerate, polygon_self_intersects};
use super::security::RingRt;
use super::{PlaceRt, Shape, Venue};
use crate::scenario::check::{Checker, finite_pt, v2};
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

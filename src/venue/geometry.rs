//! Plane geometry on `Vec2`: segments, polygons, distances and intersection tests.

use bevy::math::Vec2;

/// A wall segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Start.
    pub a: Vec2,
    /// End.
    pub b: Vec2,
}

impl Segment {
    /// Closest point on the segment to `p`.
    #[inline]
    pub fn closest(&self, p: Vec2) -> Vec2 {
        let ab = self.b - self.a;
        let len2 = ab.length_squared();
        if len2 <= 1e-12 {
            return self.a;
        }
        let t = ((p - self.a).dot(ab) / len2).clamp(0.0, 1.0);
        self.a + ab * t
    }

    /// Distance from `p` to the segment.
    #[inline]
    pub fn distance(&self, p: Vec2) -> f32 {
        (p - self.closest(p)).length()
    }
}

/// Twice the signed area of the triangle `a b c` (positive when counter-clockwise).
#[inline]
pub fn orient(a: Vec2, b: Vec2, c: Vec2) -> f32 {
    (b - a).perp_dot(c - a)
}

/// Whether the closed segments `p1 p2` and `q1 q2` intersect (touching counts).
pub fn segments_intersect(p1: Vec2, p2: Vec2, q1: Vec2, q2: Vec2) -> bool {
    let d1 = orient(q1, q2, p1);
    let d2 = orient(q1, q2, p2);
    let d3 = orient(p1, p2, q1);
    let d4 = orient(p1, p2, q2);
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0)) && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0)) {
        return true;
    }
    let on = |a: Vec2, b: Vec2, p: Vec2, d: f32| {
        d == 0.0 && p.x >= a.x.min(b.x) && p.x <= a.x.max(b.x) && p.y >= a.y.min(b.y) && p.y <= a.y.max(b.y)
    };
    on(q1, q2, p1, d1) || on(q1, q2, p2, d2) || on(p1, p2, q1, d3) || on(p1, p2, q2, d4)
}

/// Point-in-polygon by the even-odd rule.
pub fn point_in_polygon(p: Vec2, poly: &[Vec2]) -> bool {
    let mut inside = false;
    let n = poly.len();
    let mut j = n.wrapping_sub(1);
    for i in 0..n {
        let (a, b) = (poly[i], poly[j]);
        if (a.y > p.y) != (b.y > p.y) {
            let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
            if p.x < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

/// Calls `f(x, y)` for every cell of the block `xs` × `ys` whose centre `center(x, y)` lies
/// inside `poly`: exactly the cells for which [`point_in_polygon`] of the centre holds (the same
/// crossings, computed the same way), found by scanlines in O(edges × rows they span + cells)
/// instead of O(cells × edges). `center`'s y must not depend on x, nor its x on y.
pub fn fill_polygon(
    poly: &[Vec2],
    xs: std::ops::RangeInclusive<usize>,
    ys: std::ops::RangeInclusive<usize>,
    center: impl Fn(usize, usize) -> Vec2,
    mut f: impl FnMut(usize, usize),
) {
    let (x0, y0) = (*xs.start(), *ys.start());
    if poly.is_empty() || xs.is_empty() || ys.is_empty() {
        return;
    }
    let rows = ys.end() - y0 + 1;
    let row_y: Vec<f32> = ys.clone().map(|y| center(x0, y).y).collect();
    let col_x: Vec<f32> = xs.clone().map(|x| center(x, y0).x).collect();
    // each edge's crossings with the rows' centre lines, as point_in_polygon computes them
    let mut cross: Vec<Vec<f32>> = vec![Vec::new(); rows];
    let n = poly.len();
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (poly[i], poly[j]);
        j = i;
        let (lo, hi) = (a.y.min(b.y), a.y.max(b.y));
        // rows whose centre may lie in [lo, hi): found by bisection, each then tested exactly
        let first = row_y.partition_point(|&y| y < lo);
        let last = row_y.partition_point(|&y| y < hi);
        for (r, &py) in row_y.iter().enumerate().take(last).skip(first) {
            if (a.y > py) != (b.y > py) {
                cross[r].push(a.x + (py - a.y) * (b.x - a.x) / (b.y - a.y));
            }
        }
    }
    for (r, xs_r) in cross.iter_mut().enumerate() {
        if xs_r.is_empty() {
            continue;
        }
        xs_r.sort_unstable_by(f32::total_cmp);
        // inside when an odd number of crossings lie strictly right of the centre
        let mut at_or_left = 0;
        for (c, &px) in col_x.iter().enumerate() {
            while at_or_left < xs_r.len() && xs_r[at_or_left] <= px {
                at_or_left += 1;
            }
            if (xs_r.len() - at_or_left) % 2 == 1 {
                f(x0 + c, y0 + r);
            }
        }
    }
}

/// Absolute area of a simple polygon (shoelace).
pub fn polygon_area(poly: &[Vec2]) -> f32 {
    let n = poly.len();
    let mut s = 0.0f64;
    for i in 0..n {
        let (a, b) = (poly[i], poly[(i + 1) % n]);
        s += f64::from(a.x) * f64::from(b.y) - f64::from(b.x) * f64::from(a.y);
    }
    (s.abs() * 0.5) as f32
}

/// Whether a closed polygon's edges cross each other (non-adjacent edges touching counts): the
/// first crossing pair `(i, j)`, `i < j`, in edge order. Edges are swept in order of their
/// left ends and only pairs whose bounding boxes overlap are tested, so a polygon of ordinary
/// shape costs about n log n, not n².
pub fn polygon_self_intersects(poly: &[Vec2]) -> Option<(usize, usize)> {
    let n = poly.len();
    if n < 4 {
        return None;
    }
    let edge = |i: usize| (poly[i], poly[(i + 1) % n]);
    let left = |i: usize| poly[i].x.min(poly[(i + 1) % n].x);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| left(a).total_cmp(&left(b)).then(a.cmp(&b)));
    let mut first: Option<(usize, usize)> = None;
    for (k, &i) in order.iter().enumerate() {
        let (a1, a2) = edge(i);
        let (right, y0, y1) = (a1.x.max(a2.x), a1.y.min(a2.y), a1.y.max(a2.y));
        for &j in &order[k + 1..] {
            let (b1, b2) = edge(j);
            if b1.x.min(b2.x) > right {
                break;
            }
            if b1.y.max(b2.y) < y0 || b1.y.min(b2.y) > y1 {
                continue;
            }
            let (p, q) = (i.min(j), i.max(j));
            // skip adjacent edges
            if q == p + 1 || (p == 0 && q == n - 1) {
                continue;
            }
            if first.is_none_or(|f| (p, q) < f)
                && segments_intersect(poly[p], poly[(p + 1) % n], poly[q], poly[(q + 1) % n])
            {
                first = Some((p, q));
            }
        }
    }
    first
}

/// Whether two consecutive vertices coincide, or a polygon has zero area.
pub fn polygon_degenerate(poly: &[Vec2]) -> bool {
    let n = poly.len();
    (0..n).any(|i| poly[i].distance_squared(poly[(i + 1) % n]) < 1e-12) || polygon_area(poly) < 1e-9
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f32, y: f32) -> Vec2 {
        Vec2::new(x, y)
    }

    #[test]
    fn scanline_fill_picks_exactly_the_cells_point_in_polygon_picks() {
        // random polygons, self-crossing ones too, with vertices on cell centres' lines as well
        let mut seed = 0x9e37_79b9_u32;
        let mut rnd = |m: f32| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed % 1000) as f32 / 1000.0 * m
        };
        let center = |x: usize, y: usize| v(-3.0 + (x as f32 + 0.5) * 0.25, 1.0 + (y as f32 + 0.5) * 0.25);
        for case in 0..200 {
            let n = 3 + case % 40;
            let poly: Vec<Vec2> = (0..n)
                .map(|k| {
                    if case % 3 == 0 && k % 2 == 0 {
                        center(k * 3 % 50, k * 7 % 40)
                    } else {
                        v(-3.0 + rnd(13.0), 1.0 + rnd(10.0))
                    }
                })
                .collect();
            let mut by_fill = Vec::new();
            fill_polygon(&poly, 2..=47, 0..=39, center, |x, y| by_fill.push((x, y)));
            by_fill.sort_unstable();
            let mut by_test = Vec::new();
            for y in 0..=39 {
                for x in 2..=47 {
                    if point_in_polygon(center(x, y), &poly) {
                        by_test.push((x, y));
                    }
                }
            }
            by_test.sort_unstable();
            assert_eq!(by_fill, by_test, "case {case}");
        }
    }

    #[test]
    fn crossing_and_touching_segments() {
        assert!(segments_intersect(v(0., 0.), v(2., 2.), v(0., 2.), v(2., 0.)));
        assert!(segments_intersect(v(0., 0.), v(2., 0.), v(1., 0.), v(1., 5.)));
        assert!(!segments_intersect(v(0., 0.), v(1., 0.), v(0., 1.), v(1., 1.)));
    }

    #[test]
    fn bow_tie_is_self_intersecting_square_is_not() {
        let square = [v(0., 0.), v(1., 0.), v(1., 1.), v(0., 1.)];
        let bow = [v(0., 0.), v(1., 1.), v(1., 0.), v(0., 1.)];
        assert_eq!(polygon_self_intersects(&square), None);
        assert!(polygon_self_intersects(&bow).is_some());
        assert!((polygon_area(&square) - 1.0).abs() < 1e-6);
        assert!(point_in_polygon(v(0.5, 0.5), &square));
        assert!(!point_in_polygon(v(1.5, 0.5), &square));
    }

    #[test]
    fn segment_distance() {
        let s = Segment {
            a: v(0., 0.),
            b: v(10., 0.),
        };
        assert!((s.distance(v(5., 2.)) - 2.0).abs() < 1e-6);
        assert!((s.distance(v(-3., 4.)) - 5.0).abs() < 1e-6);
    }
}

//! Where the optimiser may put a group: candidate post points on a grid over the walkable area
//! (optionally only inside named zones), and for patrol groups a beat over each zone or a loop
//! round it. Each deployment is reduced to the points where its units spend equal shares of
//! their time, which is what the surrogate scores.

use crate::build::Validated;
use crate::responders::coverage::Coverage;
use crate::scenario::model::{Deployment, Scenario};
use crate::venue::geometry::point_in_polygon;
use bevy::math::Vec2;
use serde_json::{Value, json};

/// Points a patrol is sampled at (a loop's length, or a zone's free cells, split evenly).
pub const PATROL_SAMPLES: usize = 12;

/// A deployment the optimiser may give a group, with the points it is scored at.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The deployment in the scenario's plain-data (JSON) form.
    pub value: Value,
    /// Points where the group's units spend equal shares of their time.
    pub samples: Vec<Vec2>,
}

/// Rounds to 0.1 m, as the edited file writes it.
pub fn round1(x: f32) -> f64 {
    (f64::from(x) * 10.0).round() / 10.0
}

/// A post at `p`.
pub fn post(p: Vec2) -> Choice {
    let p = Vec2::new(round1(p.x) as f32, round1(p.y) as f32);
    Choice {
        value: json!({"Post": [round1(p.x), round1(p.y)]}),
        samples: vec![p],
    }
}

/// The free coverage-raster cells inside a polygon, as centre points in raster order.
pub fn free_cells_in(cov: &Coverage, polygon: &[Vec2]) -> Vec<Vec2> {
    let (g, _) = cov.times();
    let mut out = Vec::new();
    for y in 0..g.ny {
        for x in 0..g.nx {
            let c = g.center(x, y);
            if !g.blocked[y * g.nx + x] && point_in_polygon(c, polygon) {
                out.push(c);
            }
        }
    }
    out
}

/// `n` points spread evenly over `pts` (all of them when there are fewer).
fn spread(pts: &[Vec2], n: usize) -> Vec<Vec2> {
    if pts.len() <= n {
        return pts.to_vec();
    }
    (0..n).map(|j| pts[(2 * j + 1) * pts.len() / (2 * n)]).collect()
}

/// `n` points evenly spaced by length along a closed loop.
pub fn along_loop(way: &[Vec2], n: usize) -> Vec<Vec2> {
    if way.len() < 2 {
        return way.to_vec();
    }
    let legs: Vec<(Vec2, Vec2)> = (0..way.len()).map(|i| (way[i], way[(i + 1) % way.len()])).collect();
    let total: f32 = legs.iter().map(|(a, b)| a.distance(*b)).sum();
    if total <= 0.0 {
        return vec![way[0]];
    }
    (0..n)
        .map(|j| {
            let mut s = (j as f32 + 0.5) / n as f32 * total;
            for (a, b) in &legs {
                let l = a.distance(*b);
                if s <= l {
                    return a.lerp(*b, if l > 0.0 { s / l } else { 0.0 });
                }
                s -= l;
            }
            way[0]
        })
        .collect()
}

/// Candidate post points: free raster cells every `spacing` metres (about 300 over the
/// walkable area when None), only inside `within` when it is not empty.
pub fn post_points(cov: &Coverage, spacing: Option<f64>, within: &[&[Vec2]]) -> Vec<Vec2> {
    let (g, _) = cov.times();
    let inside = |p: Vec2| within.is_empty() || within.iter().any(|poly| point_in_polygon(p, poly));
    let free: Vec<usize> = (0..g.nx * g.ny)
        .filter(|&i| !g.blocked[i] && inside(g.center(i % g.nx, i / g.nx)))
        .collect();
    let area = free.len() as f64 * f64::from(g.h).powi(2);
    let s = spacing.unwrap_or_else(|| (area / 300.0).sqrt()).max(f64::from(g.h));
    let step = ((s / f64::from(g.h)).round() as usize).max(1);
    let mut out = Vec::new();
    for y in (step / 2..g.ny).step_by(step) {
        for x in (step / 2..g.nx).step_by(step) {
            let c = g.center(x, y);
            if !g.blocked[y * g.nx + x] && inside(c) {
                out.push(c);
            }
        }
    }
    out
}

/// The points of a deployment as the scenario has it (a beat: spread over its zone).
pub fn samples_of(v: &Validated, cov: &Coverage, d: &Deployment) -> Vec<Vec2> {
    let pt = |p: &(f64, f64)| Vec2::new(p.0 as f32, p.1 as f32);
    match d {
        Deployment::Post(p) => vec![pt(p)],
        Deployment::Route { waypoints, .. } => {
            along_loop(&waypoints.iter().map(pt).collect::<Vec<_>>(), PATROL_SAMPLES)
        }
        Deployment::Beat { zone, .. } => v
            .venue
            .zones
            .iter()
            .find(|z| z.name == *zone)
            .map(|z| spread(&free_cells_in(cov, &z.polygon), PATROL_SAMPLES))
            .unwrap_or_default(),
    }
}

/// The deployments a patrol group may take: its own first, then a beat over each zone (a beat
/// group) or a loop round each zone (a route group: the zone's corners pulled a quarter of the
/// way to its centre, kept only when every waypoint is walkable). Zones only from `zones` (the
/// `--within` list) when it is not empty.
pub fn patrol_choices(v: &Validated, cov: &Coverage, sc: &Scenario, group: usize, zones: &[String]) -> Vec<Choice> {
    let r = &sc.responders[group];
    let mut out = vec![Choice {
        value: serde_json::to_value(&r.deployment).unwrap_or(Value::Null),
        samples: samples_of(v, cov, &r.deployment),
    }];
    let (g, _) = cov.times();
    let free = |p: Vec2| g.cell_of(p).is_some_and(|i| !g.blocked[i]);
    for z in &v.venue.zones {
        if !zones.is_empty() && !zones.contains(&z.name) {
            continue;
        }
        let c = match &r.deployment {
            Deployment::Beat { dwell, .. } => {
                let pts = spread(&free_cells_in(cov, &z.polygon), PATROL_SAMPLES);
                if pts.is_empty() {
                    continue;
                }
                Choice {
                    value: json!({"Beat": {"zone": z.name, "dwell": dwell}}),
                    samples: pts,
                }
            }
            Deployment::Route { dwell, .. } => {
                let n = z.polygon.len().max(1) as f32;
                let centre = z.polygon.iter().copied().sum::<Vec2>() / n;
                let way: Vec<Vec2> = z
                    .polygon
                    .iter()
                    .map(|&p| {
                        let q = p.lerp(centre, 0.25);
                        Vec2::new(round1(q.x) as f32, round1(q.y) as f32)
                    })
                    .collect();
                if way.len() < 2 || !way.iter().all(|&p| free(p)) {
                    continue;
                }
                Choice {
                    value: json!({"Route": {
                        "waypoints": way.iter().map(|p| [round1(p.x), round1(p.y)]).collect::<Vec<_>>(),
                        "dwell": dwell,
                    }}),
                    samples: along_loop(&way, PATROL_SAMPLES),
                }
            }
            Deployment::Post(_) => continue,
        };
        if !out.iter().any(|o| o.value == c.value) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_points_are_evenly_spaced() {
        // a 10 x 10 square: 40 m round, 4 points at 5, 15, 25, 35 m
        let sq = [
            Vec2::new(0.0, 0.0),
            Vec2::new(10.0, 0.0),
            Vec2::new(10.0, 10.0),
            Vec2::new(0.0, 10.0),
        ];
        let p = along_loop(&sq, 4);
        assert_eq!(
            p,
            vec![
                Vec2::new(5.0, 0.0),
                Vec2::new(10.0, 5.0),
                Vec2::new(5.0, 10.0),
                Vec2::new(0.0, 5.0)
            ]
        );
    }

    #[test]
    fn spread_takes_evenly_spaced_members() {
        let pts: Vec<Vec2> = (0..10).map(|i| Vec2::new(i as f32, 0.0)).collect();
        let xs: Vec<f32> = spread(&pts, 5).iter().map(|p| p.x).collect();
        assert_eq!(xs, vec![1.0, 3.0, 5.0, 7.0, 9.0]);
        assert_eq!(spread(&pts[..3], 5).len(), 3);
    }
}

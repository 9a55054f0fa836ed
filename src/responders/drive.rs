//! Units that drive: emergency vehicles (units of kind `Vehicle` with `drive`) answer a call on
//! the road network of the `vehicles` section, stop at the road node from which the scene is
//! quickest to reach, and the crew go on foot from there (or the vehicle drives on over the
//! walkable area where the plan allows); on the way back they retrace their steps and drive back
//! to their station. They drive at the lower of their emergency speed and each link's speed
//! limit, and traffic gives way to them (they are not held in queues or at checkpoints).
//!
//! Resolved at build time: the road graph as units see it ([`RoadMap`]: each node's kerb, the
//! nearest walkable point within [`KERB_REACH`] m in a clear line) and, per driving group, the
//! fastest drive from its station to every node and back ([`DriveRt`], Dijkstra).

use crate::metrics::Metrics;
use crate::venue::Venue;
use crate::venue::field::FloorField;
use bevy::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Farthest a crew walks from a road node to the walkable area, m; also the farthest a driving
/// unit's post may be from its station node.
pub const KERB_REACH: f32 = 100.0;

/// Most groups of units that drive in one scenario.
pub const MAX_DRIVING_GROUPS: usize = 64;

/// A road link as a driving unit sees it.
#[derive(Debug, Clone)]
pub struct RoadLink {
    /// Start node.
    pub from: u32,
    /// End node.
    pub to: u32,
    /// Polyline from the start node to the end node.
    pub points: Vec<Vec2>,
    /// Speed limit, m/s.
    pub speed: f32,
    /// Length, m.
    pub length: f32,
}

/// The roads for units that drive.
#[derive(Debug, Clone, Default)]
pub struct RoadMap {
    /// Node positions.
    pub nodes: Vec<Vec2>,
    /// Node names.
    pub names: Vec<String>,
    /// Links.
    pub links: Vec<RoadLink>,
    /// Per node, where the crew step onto the walkable area (None: no free walkable point in a
    /// clear line within [`KERB_REACH`]).
    pub kerbs: Vec<Option<Vec2>>,
    /// The nodes that have a kerb, in order.
    pub kerbed: Vec<u32>,
}

impl RoadMap {
    /// The node nearest `p` and its distance (lowest index on ties).
    pub fn nearest_node(&self, p: Vec2) -> Option<(u32, f32)> {
        let mut best: Option<(u32, f32)> = None;
        for (i, q) in self.nodes.iter().enumerate() {
            let d = q.distance(p);
            if best.is_none_or(|b| d < b.1) {
                best = Some((i as u32, d));
            }
        }
        best
    }

    /// Fastest drive times (s) at speeds capped at `cap` from `node` to every node (`back`:
    /// from every node to `node`), and the link taken into (out of) each node on the way.
    pub fn dijkstra(&self, node: u32, cap: f32, back: bool) -> (Vec<f32>, Vec<Option<u32>>) {
        let n = self.nodes.len();
        let mut adj: Vec<Vec<u32>> = vec![Vec::new(); n];
        for (l, link) in self.links.iter().enumerate() {
            let at = if back { link.to } else { link.from };
            adj[at as usize].push(l as u32);
        }
        let mut time = vec![f32::INFINITY; n];
        let mut via = vec![None; n];
        let mut heap = BinaryHeap::new();
        time[node as usize] = 0.0;
        heap.push(Reverse((0u32, node)));
        while let Some(Reverse((bits, i))) = heap.pop() {
            let t = f32::from_bits(bits);
            if t > time[i as usize] {
                continue;
            }
            for &l in &adj[i as usize] {
                let link = &self.links[l as usize];
                let j = if back { link.from } else { link.to };
                let nt = t + link.length / link.speed.min(cap);
                if nt < time[j as usize] {
                    time[j as usize] = nt;
                    via[j as usize] = Some(l);
                    heap.push(Reverse((nt.to_bits(), j)));
                }
            }
        }
        (time, via)
    }
}

/// The nearest free walkable point to `p` within [`KERB_REACH`] m on a 1 m lattice that a crew
/// can walk to in a straight line; `free` says where a unit may stand.
pub fn kerb(venue: &Venue, p: Vec2, free: &dyn Fn(Vec2) -> bool) -> Option<Vec2> {
    let g = &venue.grid;
    let (lo, hi) = (g.origin, g.origin + Vec2::new(g.nx as f32, g.ny as f32) * g.h);
    let gap = (lo - p).max(p - hi).max(Vec2::ZERO);
    if gap.length() > KERB_REACH {
        return None;
    }
    let reach = KERB_REACH as i32;
    let mut best: Option<(f32, Vec2)> = None;
    let mut tries = 0;
    for k in 0..=reach {
        // once found, the rings beyond its distance cannot hold a nearer point
        if best.is_some_and(|b| b.0 < k as f32) || tries > 64 {
            break;
        }
        let mut ring: Vec<(f32, Vec2)> = Vec::new();
        // the square ring at Chebyshev distance k: its 8k lattice points only (1 at k = 0)
        let mut edge = Vec::with_capacity(8 * k.max(1) as usize);
        if k == 0 {
            edge.push((0, 0));
        }
        for d in -k..=k {
            if k > 0 {
                edge.push((d, -k));
                edge.push((d, k));
            }
        }
        for d in (-k + 1)..k {
            edge.push((-k, d));
            edge.push((k, d));
        }
        for (dx, dy) in edge {
            let q = p + Vec2::new(dx as f32, dy as f32);
            let d = q.distance(p);
            if d <= KERB_REACH && best.is_none_or(|b| d < b.0) && free(q) {
                ring.push((d, q));
            }
        }
        ring.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (d, q) in ring {
            tries += 1;
            if tries > 64 {
                break;
            }
            if super::line_of_sight(venue, enter(venue, p, q), q) {
                best = Some((d, q));
                break;
            }
        }
    }
    best.map(|b| b.1)
}

/// Where the line from `p` (a road node, perhaps outside the venue) to `q` (inside) enters the
/// venue's bounds, 1 cm inside them: the bounds are the edge of what is modelled, not a wall.
fn enter(venue: &Venue, p: Vec2, q: Vec2) -> Vec2 {
    let (lo, hi) = (venue.min + Vec2::splat(0.01), venue.max - Vec2::splat(0.01));
    let inside = |a: Vec2| a.cmpge(lo).all() && a.cmple(hi).all();
    if inside(p) {
        return p;
    }
    // the last point outside along the line, by bisection (q is inside)
    let (mut a, mut b) = (0.0f32, 1.0f32);
    for _ in 0..40 {
        let m = 0.5 * (a + b);
        if inside(p.lerp(q, m)) {
            b = m;
        } else {
            a = m;
        }
    }
    p.lerp(q, b)
}

/// How a group of units that drive gets about, resolved.
#[derive(Debug, Clone)]
pub struct DriveRt {
    /// The node the units stand at.
    pub station: u32,
    /// Crew speed on foot, m/s.
    pub on_foot: f32,
    /// Time to stop and get out, s.
    pub park: f32,
    /// Speed over the walkable area when the vehicle may leave the road, m/s.
    pub off_road: Option<f32>,
    /// Emergency speed on the roads (capped by each link's limit), m/s.
    pub speed: f32,
    /// Drive time from the station to each node, s.
    pub out_time: Vec<f32>,
    /// Link into each node on the fastest way from the station.
    pub out_via: Vec<Option<u32>>,
    /// Drive time from each node back to the station, s.
    pub back_time: Vec<f32>,
    /// Link out of each node on the fastest way back.
    pub back_via: Vec<Option<u32>>,
}

impl DriveRt {
    /// Resolves a group standing at `station`.
    pub fn new(roads: &RoadMap, station: u32, speed: f32, on_foot: f32, park: f32, off_road: Option<f32>) -> DriveRt {
        let (out_time, out_via) = roads.dijkstra(station, speed, false);
        let (back_time, back_via) = roads.dijkstra(station, speed, true);
        DriveRt {
            station,
            on_foot,
            park,
            off_road,
            speed,
            out_time,
            out_via,
            back_time,
            back_via,
        }
    }

    /// Speed of the last leg (on foot, or driving over the walkable area), m/s.
    pub fn last_speed(&self) -> f32 {
        self.off_road.unwrap_or(self.on_foot)
    }

    /// Time to stop and get out: none when the vehicle drives on.
    pub fn stop(&self) -> f32 {
        if self.off_road.is_some() { 0.0 } else { self.park }
    }

    /// Where the crew step onto the walkable area at `node`, and the time from the station to
    /// there, s (free roads, free walk to the kerb); None where it cannot drive there and back.
    pub fn head_start(&self, roads: &RoadMap, node: usize) -> Option<(Vec2, f32)> {
        let kerb = roads.kerbs[node]?;
        let t = self.out_time[node];
        // only where it can also drive back from
        (t.is_finite() && self.back_time[node].is_finite()).then(|| {
            (
                kerb,
                t + self.stop() + roads.nodes[node].distance(kerb) / self.last_speed(),
            )
        })
    }

    /// Where coverage starts for the group's free units: each kerb with the time it takes to
    /// get there (position, speed of the last leg, head start s).
    pub fn coverage_sources(&self, roads: &RoadMap) -> Vec<(Vec2, f32, f32)> {
        (roads.kerbed.iter())
            .filter_map(|&n| {
                self.head_start(roads, n as usize)
                    .map(|(k, t)| (k, self.last_speed(), t))
            })
            .collect()
    }

    /// The quickest way to the goal of `field` (in `region`) from the station: the node to
    /// stop at and the expected time (free roads, no crowd), s; None if no kerb reaches it.
    pub fn plan(&self, venue: &Venue, roads: &RoadMap, field: &FloorField, region: u32) -> Option<(u32, f64)> {
        let mut best: Option<(u32, f64)> = None;
        for &n in &roads.kerbed {
            let n = n as usize;
            let Some((kerb, head)) = self.head_start(roads, n) else {
                continue;
            };
            let walk = super::route_cost(venue, field, kerb, region).0;
            if !walk.is_finite() {
                continue;
            }
            let t = f64::from(head) + f64::from(walk / self.last_speed());
            if best.is_none_or(|b| t < b.1) {
                best = Some((n as u32, t));
            }
        }
        best
    }

    /// The drive from the station to `node` (a polyline, and each segment's speed).
    pub fn route_out(&self, roads: &RoadMap, node: u32) -> Path {
        let mut links = Vec::new();
        let mut at = node;
        while at != self.station {
            let Some(l) = self.out_via[at as usize] else { break };
            links.push(l);
            at = roads.links[l as usize].from;
            if links.len() > roads.links.len() {
                break;
            }
        }
        links.reverse();
        let mut path = Path::start(roads.nodes[self.station as usize]);
        for l in links {
            let link = &roads.links[l as usize];
            for &q in &link.points[1..] {
                path.push(q, link.speed.min(self.speed), false);
            }
        }
        path
    }

    /// The drive back from `node` to the station, appended to `path`.
    pub fn route_back(&self, roads: &RoadMap, node: u32, path: &mut Path) {
        let mut at = node;
        let mut n = 0;
        while at != self.station {
            let Some(l) = self.back_via[at as usize] else { break };
            let link = &roads.links[l as usize];
            for &q in &link.points[1..] {
                path.push(q, link.speed.min(self.speed), false);
            }
            at = link.to;
            n += 1;
            if n > roads.links.len() {
                break;
            }
        }
    }
}

/// A polyline to follow at a speed per segment; on segments marked `crowd` the speed is slowed
/// by the crowd's density there (Weidmann's relation, as any unit on foot).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Path {
    /// Points.
    pub pts: Vec<Vec2>,
    /// Per segment (from point k to k + 1): speed, m/s, and whether the crowd slows it.
    pub seg: Vec<(f32, bool)>,
    /// Segment under way.
    pub k: usize,
}

impl Path {
    /// A path starting at `p`.
    pub fn start(p: Vec2) -> Path {
        Path {
            pts: vec![p],
            seg: Vec::new(),
            k: 0,
        }
    }

    /// Adds a point reached at `speed`.
    pub fn push(&mut self, q: Vec2, speed: f32, crowd: bool) {
        if self.pts.last().is_some_and(|l| l.distance(q) < 1e-4) {
            return;
        }
        self.pts.push(q);
        self.seg.push((speed, crowd));
    }

    /// Moves `p` along the path for up to `dt` s; the time used when it reaches the end.
    pub fn advance(&mut self, p: &mut Vec2, dt: f32, metrics: &Metrics) -> Option<f32> {
        let mut left = dt;
        while self.k < self.seg.len() {
            let (v0, crowd) = self.seg[self.k];
            let v = if crowd {
                v0 * super::crowd_factor(metrics.density_at(*p))
            } else {
                v0
            };
            let end = self.pts[self.k + 1];
            let d = p.distance(end);
            if d <= v * left {
                left -= d / v;
                *p = end;
                self.k += 1;
            } else {
                *p += (end - *p) * (v * left / d);
                return None;
            }
        }
        Some(dt - left)
    }
}

/// Where a unit that drives is on a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Stage {
    /// At its station.
    #[default]
    Idle,
    /// Driving to the node it stops at.
    Out,
    /// Stopped, the crew getting out until this time (s).
    Parked(f64),
    /// From the node to the kerb.
    ToKerb,
    /// On the walkable area towards the scene.
    OnFoot,
    /// Retracing its steps and driving back.
    Back,
}

/// The call of a unit that drives.
#[derive(Component, Debug, Clone, Default)]
pub struct Trip {
    /// Stage.
    pub stage: Stage,
    /// The node it stops at.
    pub node: u32,
    /// The path of the stage under way (driving out, to the kerb, or back).
    pub path: Path,
    /// Where it went on the walkable area (every 0.5 m), to retrace.
    pub crumbs: Vec<Vec2>,
}

impl Trip {
    /// Notes a position on the walkable area.
    pub fn crumb(&mut self, p: Vec2) {
        if self.crumbs.last().is_none_or(|l| l.distance(p) >= 0.5) {
            self.crumbs.push(p);
        }
    }

    /// The way back from where the unit is (`p`): its steps retraced, the kerb to the node, and
    /// the drive to the station.
    pub fn way_back(&mut self, p: Vec2, roads: &RoadMap, d: &DriveRt) {
        let mut path = Path::start(p);
        let v = d.last_speed();
        for &q in self.crumbs.iter().rev() {
            path.push(q, v, true);
        }
        // off the walkable area: no crowd there
        path.push(roads.nodes[self.node as usize], v, false);
        d.route_back(roads, self.node, &mut path);
        self.crumbs.clear();
        self.path = path;
        self.stage = Stage::Back;
    }
}

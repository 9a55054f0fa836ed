//! Checking the scenario's `vehicles` section and resolving its names: classes, the road
//! graph, vehicle rings (every link entering one must end at one of its checkpoints), the
//! checkpoints, destinations, flows with their routes (shortest by free-flow time), the crowd
//! groups flows carry and the item classes vehicles carry.

use crate::scenario::check::{Checker, check_distribution, finite_pt, quote_list, v2};
use crate::scenario::model::*;
use crate::venue::geometry::point_in_polygon;
use bevy::math::Vec2;

/// Most nodes, links and destinations (each).
pub const MAX_ELEMENTS: usize = 10_000;
/// Slowest free speed or speed limit, m/s (slower than a walk is not a road).
pub const MIN_SPEED: f64 = 0.5;
/// Most vehicle classes.
pub const MAX_CLASSES: usize = 32;
/// Most vehicle rings (every link is tested against each).
pub const MAX_RINGS: usize = 16;
/// Most points of one vehicle ring.
pub const MAX_RING_POINTS: usize = 2_000;
/// Most vehicle checkpoints.
pub const MAX_CHECKPOINTS: usize = 1_000;
/// Most flows (each is routed by a shortest-path search when the file is checked).
pub const MAX_FLOWS: usize = 1_000;
/// Most booths at one checkpoint, and bays or spaces at one destination.
pub const MAX_BOOTHS: u32 = 100;
/// Most spaces of one destination (a car park).
pub const MAX_SPACES: u32 = 100_000;
/// Most lanes of a link.
pub const MAX_LANES: u32 = 8;
/// Shortest link, m (a vehicle crosses at most one junction a step).
pub const MIN_LINK: f64 = 10.0;
/// Longest link, m.
pub const MAX_LINK: f64 = 50_000.0;
/// Most vehicles a run's flows may bring (expected, before a run).
pub const MAX_VEHICLES: f64 = 2_000_000.0;
/// Most bends of all links and points of all vehicle rings together.
pub const MAX_POINTS: usize = 1_000_000;
/// Farthest coordinate, m.
pub const MAX_COORD: f64 = 1.0e6;
/// The longest traffic step, s: the largest multiple of the simulation's dt not above it, or
/// dt cut into equal parts not above it.
pub const TRAFFIC_STEP: f64 = 0.25;

/// A vehicle class, resolved.
#[derive(Debug, Clone)]
pub struct ClassRt {
    /// Name.
    pub name: String,
    /// Jam spacing, m.
    pub spacing: f64,
    /// Free speed, m/s.
    pub speed: f64,
    /// Reaction time on one lane, s.
    pub tau: f64,
    /// Occupants per vehicle.
    pub occupancy: Distribution,
    /// Most occupants.
    pub seats: u32,
    /// Per vehicle ring, whether it may enter.
    pub permits: Vec<bool>,
}

/// A road link, resolved.
#[derive(Debug, Clone)]
pub struct LinkRt {
    /// Name.
    pub name: String,
    /// Start node.
    pub from: u32,
    /// End node.
    pub to: u32,
    /// Lanes.
    pub lanes: u32,
    /// Speed limit, m/s.
    pub speed: f64,
    /// Length, m.
    pub length: f64,
    /// The polyline from the start node to the end node.
    pub points: Vec<Vec2>,
    /// The checkpoint at its end.
    pub checkpoint: Option<u16>,
    /// The destination at its end.
    pub destination: Option<u16>,
}

impl LinkRt {
    /// The point `x` m along the link.
    pub fn point_at(&self, x: f64) -> Vec2 {
        let mut left = x.max(0.0) as f32;
        for w in self.points.windows(2) {
            let l = w[0].distance(w[1]);
            if left <= l || l <= 0.0 {
                return if l > 0.0 {
                    w[0] + (w[1] - w[0]) * (left / l)
                } else {
                    w[0]
                };
            }
            left -= l;
        }
        *self.points.last().unwrap_or(&Vec2::ZERO)
    }
    /// Unit direction at `x` m along the link.
    pub fn direction_at(&self, x: f64) -> Vec2 {
        let mut left = x.max(0.0) as f32;
        for w in self.points.windows(2) {
            let l = w[0].distance(w[1]);
            if left <= l {
                return (w[1] - w[0]).normalize_or_zero();
            }
            left -= l;
        }
        self.points
            .windows(2)
            .last()
            .map_or(Vec2::X, |w| (w[1] - w[0]).normalize_or_zero())
    }
}

/// A vehicle checkpoint, resolved.
#[derive(Debug, Clone)]
pub struct CheckpointRt {
    /// Name.
    pub name: String,
    /// Vehicle ring.
    pub ring: u16,
    /// Link at whose end it stands.
    pub link: u32,
    /// Booths.
    pub lanes: u32,
    /// Inspection time per class.
    pub inspection: Vec<ServiceTime>,
    /// Detection probability per item class.
    pub detection: Vec<f64>,
    /// Held while a carrier found is taken off, s.
    pub hold: Distribution,
    /// Opening time, s after the start.
    pub open: f64,
    /// Closing time, s after the start.
    pub close: f64,
}

/// A destination, resolved.
#[derive(Debug, Clone)]
pub struct DestinationRt {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: DestinationKind,
    /// Link at whose end it is.
    pub link: u32,
    /// Vehicles at once.
    pub capacity: u32,
    /// Standing time.
    pub dwell: Distribution,
    /// The venue source where occupants step out.
    pub place: Option<usize>,
    /// The venue target where leavers get in.
    pub pickup: Option<usize>,
    /// The flow that collects the leavers there.
    pub collector: Option<u16>,
}

impl DestinationRt {
    /// A car park with a pickup: its parked cars wait for their people to come back.
    pub fn owners_return(&self) -> bool {
        self.kind == DestinationKind::CarPark && self.pickup.is_some()
    }
}

/// A route of links, with its free-flow times.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Its links from the entry to the exit.
    pub path: Vec<u32>,
    /// Index in `path` of the destination's link.
    pub stop: Option<usize>,
    /// Free-flow time from the path's start to the end of each of its links, s (mean
    /// inspection times at checkpoints on the way included).
    pub cum_time: Vec<f64>,
    /// Free driving time from the path's start to the end of each of its links, s.
    pub cum_drive: Vec<f64>,
}

impl Route {
    /// Free-flow time from entering to stopping at the destination (or leaving), s.
    pub fn time_to_stop(&self) -> f64 {
        let i = self.stop.unwrap_or(self.path.len().saturating_sub(1));
        self.cum_time.get(i).copied().unwrap_or(0.0)
    }

    /// The route along `path` for vehicles of class `class` (free-flow times at the class's
    /// `speed` capped by each link's, mean inspection times at checkpoints).
    pub fn new(
        links: &[LinkRt],
        checkpoints: &[CheckpointRt],
        class: usize,
        speed: f64,
        path: Vec<u32>,
        stop: Option<usize>,
    ) -> Route {
        let (mut cum_time, mut cum_drive) = (Vec::with_capacity(path.len()), Vec::with_capacity(path.len()));
        let (mut t, mut drive) = (0.0, 0.0);
        for &l in &path {
            let c = links[l as usize].length / speed.min(links[l as usize].speed);
            t += c;
            drive += c;
            cum_drive.push(drive);
            if let Some(cp) = links[l as usize].checkpoint {
                t += checkpoints[cp as usize].inspection[class].mean();
            }
            cum_time.push(t);
        }
        Route {
            path,
            stop,
            cum_time,
            cum_drive,
        }
    }
}

/// A flow, resolved.
#[derive(Debug, Clone)]
pub struct FlowRt {
    /// Name.
    pub name: String,
    /// Class.
    pub class: u16,
    /// Its route (quickest at free speed, every road open).
    pub route: Route,
    /// Destination.
    pub to: Option<u16>,
    /// Its own entry times (None: its carried groups' times make them).
    pub arrivals: Option<VehicleArrivals>,
    /// Crowd groups it carries (indices).
    pub carries: Vec<usize>,
    /// Called for leavers at its destination's pickup: after this many seconds of waiting
    /// for fewer than an occupancy (None: not a collecting flow).
    pub collects: Option<f64>,
}

/// The vehicles section, resolved.
#[derive(Debug, Clone, Default)]
pub struct VehiclesRt {
    /// Classes.
    pub classes: Vec<ClassRt>,
    /// Node names and positions.
    pub nodes: Vec<(String, Vec2)>,
    /// Links.
    pub links: Vec<LinkRt>,
    /// Per node, the links that end there.
    pub links_in: Vec<Vec<u32>>,
    /// Per node, the links that start there.
    pub links_out: Vec<Vec<u32>>,
    /// Ring names.
    pub rings: Vec<String>,
    /// Ring areas.
    pub ring_areas: Vec<Vec<Vec2>>,
    /// Checkpoints.
    pub checkpoints: Vec<CheckpointRt>,
    /// Destinations.
    pub destinations: Vec<DestinationRt>,
    /// Flows.
    pub flows: Vec<FlowRt>,
    /// Item class names (the scenario's threats).
    pub items: Vec<String>,
    /// Per item, per class: the share of vehicles carrying it (cargo or an occupant aboard).
    pub cargo: Vec<Vec<f64>>,
    /// Per item, per crowd group: the share of persons carrying it (as on foot).
    pub carriers: Vec<Vec<f64>>,
    /// Per crowd group, the flow that carries it.
    pub carried_by: Vec<Option<u16>>,
    /// Traffic steps are this many simulation steps.
    pub step_every: u64,
    /// Traffic steps in one simulation step (when the simulation's dt is above the traffic step).
    pub substeps: u64,
    /// Kinematic wave speed, m/s.
    pub wave_speed: f64,
    /// Pedestrian crossings.
    pub crossings: Vec<super::crossing::CrossingRt>,
}

fn unique<'a>(ck: &mut Checker, what: &str, names: impl Iterator<Item = &'a String>) {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if n.is_empty() || n.len() > 200 {
            ck.named(
                n,
                format!("{what} name must be 1–200 characters, got {} characters", n.len()),
            );
        }
        if seen.contains(&n.as_str()) {
            ck.named(n, format!("{what} \"{n}\" is defined twice"));
        }
        seen.push(n);
    }
}

/// The index of `name` among `names`, else a problem placed at the element `owner` that names it.
fn find(ck: &mut Checker, owner: &str, label: &str, what: &str, name: &str, names: &[&str]) -> Option<usize> {
    let i = names.iter().position(|n| *n == name);
    if i.is_none() {
        let known = if names.len() > 30 {
            format!(
                "{} of them, e.g. {}",
                names.len(),
                quote_list(names.iter().take(10).copied())
            )
        } else {
            quote_list(names.iter().copied())
        };
        ck.named(
            owner,
            format!("{label}: {what} \"{name}\" is not defined; known: {known}"),
        );
    }
    i
}

/// A number for a message: short even when huge.
fn short(x: f64) -> String {
    if x == 0.0 || (x.is_finite() && (1e-6..1e9).contains(&x.abs())) {
        format!("{x}")
    } else {
        format!("{x:.3e}")
    }
}

fn check_service(ck: &mut Checker, anchor: &str, label: &str, s: &ServiceTime) {
    let ok = match s {
        ServiceTime::Fixed(x) => x.is_finite() && *x >= 0.0 && *x <= 86_400.0,
        ServiceTime::Exponential { mean } => mean.is_finite() && *mean > 0.0 && *mean <= 86_400.0,
        ServiceTime::LogNormal { mean, sd } => {
            mean.is_finite() && *mean > 0.0 && *mean <= 86_400.0 && sd.is_finite() && *sd >= 0.0
        }
        ServiceTime::Empirical(v) => {
            !v.is_empty() && v.len() <= 100_000 && v.iter().all(|x| x.is_finite() && *x >= 0.0 && *x <= 86_400.0)
        }
    };
    if !ok {
        let what = match s {
            ServiceTime::Fixed(x) => format!("Fixed({})", short(*x)),
            ServiceTime::Exponential { mean } => format!("Exponential(mean: {})", short(*mean)),
            ServiceTime::LogNormal { mean, sd } => format!("LogNormal(mean: {}, sd: {})", short(*mean), short(*sd)),
            ServiceTime::Empirical(v) => format!("Empirical with {} values", v.len()),
        };
        ck.named(
            anchor,
            format!("{label}: inspection time {what} must be finite, 0–86,400 s (0: an open barrier; a positive mean; Empirical: 1–100,000 values)"),
        );
    }
}

/// Shortest links path from the end of link `a` to the start of link `b` by free-flow time
/// (`cost` per link); the links between, not `a` or `b` themselves. `None` if there is none.
fn shortest(links: &[LinkRt], out: &[Vec<u32>], a: u32, b: u32, cost: &dyn Fn(u32) -> f64) -> Option<Vec<u32>> {
    let start = links[a as usize].to;
    let goal = links[b as usize].from;
    let n = out.len();
    let mut dist = vec![f64::INFINITY; n];
    let mut via: Vec<Option<u32>> = vec![None; n];
    let mut heap = std::collections::BinaryHeap::new();
    dist[start as usize] = 0.0;
    // (negated cost as ordered bits, node): costs are non-negative, so their bits order them
    heap.push(std::cmp::Reverse((0u64, start)));
    while let Some(std::cmp::Reverse((cb, node))) = heap.pop() {
        let c = f64::from_bits(cb);
        if c > dist[node as usize] {
            continue;
        }
        if node == goal {
            break;
        }
        for &l in &out[node as usize] {
            let m = links[l as usize].to;
            let nc = c + cost(l);
            if nc < dist[m as usize] {
                dist[m as usize] = nc;
                via[m as usize] = Some(l);
                heap.push(std::cmp::Reverse((nc.to_bits(), m)));
            }
        }
    }
    if !dist[goal as usize].is_finite() {
        return None;
    }
    let mut path = Vec::new();
    let mut node = goal;
    while node != start {
        let l = via[node as usize]?;
        path.push(l);
        node = links[l as usize].from;
        if path.len() > links.len() {
            return None;
        }
    }
    path.reverse();
    Some(path)
}

impl VehiclesRt {
    /// The quickest way for a vehicle of class `class` on `route`, now on its link `leg`, when
    /// the links marked in `closed` take nobody: its links so far kept, then on to its
    /// destination's link (if still ahead) and its exit by the quickest open links at free
    /// speed. None when there is no open way.
    pub fn reroute(&self, class: u16, closed: &[bool], route: &Route, leg: usize) -> Option<Route> {
        let c = &self.classes[class as usize];
        let cost = |l: u32| {
            if closed[l as usize] {
                f64::INFINITY
            } else {
                self.links[l as usize].length / c.speed.min(self.links[l as usize].speed)
            }
        };
        let mut path: Vec<u32> = route.path[..=leg.min(route.path.len() - 1)].to_vec();
        let mut stop = route.stop.filter(|&s| s < path.len());
        let to = |path: &mut Vec<u32>, b: u32| -> Option<()> {
            let a = *path.last()?;
            if a != b {
                if closed[b as usize] {
                    return None;
                }
                path.extend(shortest(&self.links, &self.links_out, a, b, &cost)?);
                path.push(b);
            }
            Some(())
        };
        if let Some(s) = route.stop.filter(|&s| s >= path.len()) {
            to(&mut path, route.path[s])?;
            stop = Some(path.len() - 1);
        }
        to(&mut path, *route.path.last()?)?;
        Some(Route::new(
            &self.links,
            &self.checkpoints,
            class as usize,
            c.speed,
            path,
            stop,
        ))
    }
}

/// Checks the `vehicles` section (after the crowd groups and threats are known) and resolves it;
/// `None` without one. `sources`: the venue's source names; `dt`: the simulation's step.
pub fn build(ck: &mut Checker, sc: &Scenario, sources: &[&str], targets: &[&str]) -> Option<VehiclesRt> {
    let vs = sc.vehicles.as_ref()?;
    let label = "vehicles";
    for (what, n, max) in [
        ("classes", vs.classes.len(), MAX_CLASSES),
        ("nodes", vs.nodes.len(), MAX_ELEMENTS),
        ("links", vs.links.len(), MAX_ELEMENTS),
        ("rings", vs.rings.len(), MAX_RINGS),
        ("checkpoints", vs.checkpoints.len(), MAX_CHECKPOINTS),
        ("destinations", vs.destinations.len(), MAX_ELEMENTS),
        ("flows", vs.flows.len(), MAX_FLOWS),
    ] {
        if n > max {
            ck.err(
                Some("vehicles".into()),
                format!("{label}: at most {max} {what}, got {n}"),
            );
            return None;
        }
    }
    if !(vs.wave_speed.is_finite() && (1.0..=10.0).contains(&vs.wave_speed)) {
        ck.err(
            Some("wave_speed".into()),
            format!(
                "{label}: wave_speed must be 1–10 m/s (measured 4–6 m/s), got {}",
                vs.wave_speed
            ),
        );
    }
    let w = vs.wave_speed.clamp(1.0, 10.0);
    let bends: usize =
        vs.links.iter().map(|l| l.via.len()).sum::<usize>() + vs.rings.iter().map(|r| r.area.len()).sum::<usize>();
    if bends > MAX_POINTS {
        ck.err(
            Some("vehicles".into()),
            format!("{label}: links' bends and rings' points number {bends}; at most {MAX_POINTS}"),
        );
        return None;
    }
    unique(ck, "vehicle class", vs.classes.iter().map(|c| &c.name));
    unique(ck, "road node", vs.nodes.iter().map(|c| &c.name));
    unique(ck, "road link", vs.links.iter().map(|c| &c.name));
    unique(ck, "vehicle ring", vs.rings.iter().map(|c| &c.name));
    unique(ck, "vehicle checkpoint", vs.checkpoints.iter().map(|c| &c.name));
    unique(ck, "vehicle destination", vs.destinations.iter().map(|c| &c.name));
    unique(ck, "vehicle flow", vs.flows.iter().map(|c| &c.name));
    let ring_names: Vec<&str> = vs.rings.iter().map(|r| r.name.as_str()).collect();
    let coord_ok = |p: Point| finite_pt(p) && p.0.abs() <= MAX_COORD && p.1.abs() <= MAX_COORD;

    // --- classes
    let mut classes = Vec::new();
    for c in &vs.classes {
        let l = format!("vehicle class \"{}\"", c.name);
        if !(c.spacing.is_finite() && (3.0..=40.0).contains(&c.spacing)) {
            ck.named(
                &c.name,
                format!("{l}: spacing must be 3–40 m (a car 7.5 m), got {}", c.spacing),
            );
        }
        if !(c.speed.is_finite() && (MIN_SPEED..=70.0).contains(&c.speed)) {
            ck.named(
                &c.name,
                format!("{l}: speed must be {MIN_SPEED}–70 m/s, got {}", short(c.speed)),
            );
        }
        check_distribution(ck, &c.name, &format!("{l}: occupancy"), &c.occupancy, false);
        let top = match c.occupancy {
            Distribution::Fixed(x) => x,
            Distribution::Uniform { max, .. } | Distribution::Normal { max, .. } => max,
            Distribution::Exponential { mean } => 4.0 * mean,
            Distribution::LogNormal { median, sigma } => median * (3.0 * sigma).exp(),
            Distribution::Rimea(_) => 1.0,
        };
        if !(top.is_finite() && top.round() <= 200.0) {
            ck.named(
                &c.name,
                format!("{l}: occupancy reaches {}; a vehicle seats at most 200", short(top)),
            );
        }
        let seats = c
            .seats
            .unwrap_or((top.clamp(1.0, 199.0).round() as u32).saturating_add(1));
        if !(1..=200).contains(&seats) {
            ck.named(&c.name, format!("{l}: seats must be 1–200, got {seats}"));
        }
        let permits = match &c.permits {
            None => vec![true; vs.rings.len()],
            Some(list) => {
                let mut p = vec![false; vs.rings.len()];
                for r in list {
                    if let Some(i) = find(ck, &c.name, &l, "permit for vehicle ring", r, &ring_names) {
                        p[i] = true;
                    }
                }
                p
            }
        };
        classes.push(ClassRt {
            name: c.name.clone(),
            spacing: c.spacing.clamp(3.0, 40.0),
            speed: c.speed.clamp(0.1, 70.0),
            tau: c.spacing.clamp(3.0, 40.0) / w,
            occupancy: c.occupancy.clone(),
            seats: seats.clamp(1, 200),
            permits,
        });
    }
    let class_names: Vec<&str> = vs.classes.iter().map(|c| c.name.as_str()).collect();

    // --- nodes and links
    let mut nodes = Vec::new();
    for n in &vs.nodes {
        if !coord_ok(n.position) {
            ck.named(
                &n.name,
                format!(
                    "road node \"{}\": position must be finite and within {MAX_COORD} m",
                    n.name
                ),
            );
        }
        nodes.push((
            n.name.clone(),
            if coord_ok(n.position) {
                v2(n.position)
            } else {
                Vec2::ZERO
            },
        ));
    }
    let node_names: Vec<&str> = vs.nodes.iter().map(|n| n.name.as_str()).collect();
    let mut links = Vec::new();
    let mut out = vec![Vec::new(); nodes.len()];
    let mut links_in = vec![Vec::new(); nodes.len()];
    for (li, l) in vs.links.iter().enumerate() {
        let lab = format!("road link \"{}\"", l.name);
        let from = find(ck, &l.name, &lab, "node", &l.from, &node_names);
        let to = find(ck, &l.name, &lab, "node", &l.to, &node_names);
        if !(1..=MAX_LANES).contains(&l.lanes) {
            ck.named(&l.name, format!("{lab}: lanes must be 1–{MAX_LANES}, got {}", l.lanes));
        }
        if !(l.speed.is_finite() && (MIN_SPEED..=70.0).contains(&l.speed)) {
            ck.named(
                &l.name,
                format!("{lab}: speed must be {MIN_SPEED}–70 m/s, got {}", short(l.speed)),
            );
        }
        if l.via.len() > 10_000 {
            ck.named(&l.name, format!("{lab}: at most 10,000 bends, got {}", l.via.len()));
        }
        if let Some(p) = l.via.iter().find(|p| !coord_ok(**p)) {
            ck.named(
                &l.name,
                format!("{lab}: bend ({}, {}) must be finite and within {MAX_COORD} m", p.0, p.1),
            );
        }
        let (Some(f), Some(t)) = (from, to) else { continue };
        let mut points = vec![nodes[f].1];
        points.extend(l.via.iter().take(10_000).filter(|p| coord_ok(**p)).map(|p| v2(*p)));
        points.push(nodes[t].1);
        let length: f64 = points.windows(2).map(|w| f64::from(w[0].distance(w[1]))).sum();
        if !(MIN_LINK..=MAX_LINK).contains(&length) {
            ck.named(
                &l.name,
                format!("{lab}: length {length:.1} m must be {MIN_LINK}–{MAX_LINK} m (join a shorter piece to its neighbour)"),
            );
        }
        out[f].push(li as u32);
        links_in[t].push(li as u32);
        links.push(LinkRt {
            name: l.name.clone(),
            from: f as u32,
            to: t as u32,
            lanes: l.lanes.clamp(1, MAX_LANES),
            speed: l.speed.clamp(0.1, 70.0),
            length: length.clamp(MIN_LINK, MAX_LINK),
            points,
            checkpoint: None,
            destination: None,
        });
    }
    if !ck.is_clean() {
        return None;
    }
    let link_names: Vec<&str> = vs.links.iter().map(|l| l.name.as_str()).collect();

    // --- rings
    let mut ring_areas = Vec::new();
    for r in &vs.rings {
        let lab = format!("vehicle ring \"{}\"", r.name);
        if r.area.len() > MAX_RING_POINTS {
            ck.named(
                &r.name,
                format!("{lab}: at most {MAX_RING_POINTS} points, got {}", r.area.len()),
            );
            ring_areas.push(Vec::new());
            continue;
        }
        let poly =
            crate::venue::build::check_polygon(ck, Some(format!("\"{}\"", r.name)), &lab, &r.area, &|p| coord_ok(p));
        ring_areas.push(poly.unwrap_or_default());
    }

    // --- items: the scenario's threats; their lines about vehicles
    let items: Vec<String> = sc.threats.iter().map(|t| t.item.clone()).collect();
    let mut cargo = vec![vec![0.0; classes.len()]; items.len()];
    for (ti, th) in sc.threats.iter().enumerate() {
        for c in &th.carriers {
            let Some(v) = &c.vehicle else { continue };
            let lab = format!("threat \"{}\"", th.item);
            if let Some(k) = find(ck, &th.item, &lab, "vehicle class", v, &class_names)
                && c.fraction.is_finite()
                && (0.0..=1.0).contains(&c.fraction)
            {
                cargo[ti][k] = c.fraction;
            }
            if !(c.fraction.is_finite() && (0.0..=1.0).contains(&c.fraction)) {
                ck.named(
                    &th.item,
                    format!(
                        "{lab}: carrier fraction {} for vehicles \"{v}\" must be in [0, 1]",
                        c.fraction
                    ),
                );
            }
        }
    }

    // --- checkpoints
    let start = sc.sim.start.0;
    let mut checkpoints = Vec::new();
    for (ci, c) in vs.checkpoints.iter().enumerate() {
        let lab = format!("vehicle checkpoint \"{}\"", c.name);
        let ring = find(ck, &c.name, &lab, "vehicle ring", &c.ring, &ring_names);
        let link = find(ck, &c.name, &lab, "road link", &c.link, &link_names);
        if !(1..=MAX_BOOTHS).contains(&c.lanes) {
            ck.named(&c.name, format!("{lab}: lanes must be 1–{MAX_BOOTHS}, got {}", c.lanes));
        }
        check_service(ck, &c.name, &lab, &c.inspection);
        check_distribution(ck, &c.name, &format!("{lab}: hold"), &c.hold, false);
        let mut inspection = vec![c.inspection.clone(); classes.len()];
        for (k, bc) in c.by_class.iter().enumerate() {
            if c.by_class[..k].iter().any(|x| x.class == bc.class) {
                ck.named(&c.name, format!("{lab}: by_class names class \"{}\" twice", bc.class));
            }
            check_service(ck, &c.name, &format!("{lab}, class \"{}\"", bc.class), &bc.time);
            if let Some(k) = find(ck, &c.name, &lab, "vehicle class", &bc.class, &class_names) {
                inspection[k] = bc.time.clone();
            }
        }
        let mut detection = vec![0.0; items.len()];
        for d in &c.detection {
            if !(d.probability.is_finite() && (0.0..=1.0).contains(&d.probability)) {
                ck.named(
                    &c.name,
                    format!(
                        "{lab}: detection probability {} of \"{}\" must be in [0, 1]",
                        d.probability, d.item
                    ),
                );
            }
            let names: Vec<&str> = items.iter().map(|s| s.as_str()).collect();
            if let Some(i) = find(ck, &c.name, &lab, "item class", &d.item, &names) {
                detection[i] = d.probability.clamp(0.0, 1.0);
            }
        }
        let open = c.open.map_or(0.0, |t| t.0 - start);
        let close = c.close.map_or(f64::INFINITY, |t| t.0 - start);
        if !(open.is_finite() && close > open) {
            ck.named(&c.name, format!("{lab}: close must be after open"));
        }
        if let Some(l) = link {
            if let Some(other) = links[l].checkpoint {
                ck.named(
                    &c.name,
                    format!(
                        "{lab}: link \"{}\" already ends at checkpoint \"{}\"",
                        c.link, vs.checkpoints[other as usize].name
                    ),
                );
            }
            links[l].checkpoint = Some(ci as u16);
        }
        checkpoints.push(CheckpointRt {
            name: c.name.clone(),
            ring: ring.unwrap_or(0) as u16,
            link: link.unwrap_or(0) as u32,
            lanes: c.lanes.clamp(1, MAX_BOOTHS),
            inspection,
            detection,
            hold: c.hold.clone(),
            open,
            close,
        });
    }
    // every link entering a ring ends at one of its checkpoints
    for (ri, area) in ring_areas.iter().enumerate() {
        if area.is_empty() {
            continue;
        }
        for l in &links {
            let a_in = point_in_polygon(l.points[0], area);
            let b_in = point_in_polygon(*l.points.last().unwrap_or(&Vec2::ZERO), area);
            if !a_in
                && b_in
                && !l
                    .checkpoint
                    .is_some_and(|c| checkpoints[c as usize].ring as usize == ri)
            {
                ck.named(
                    &l.name,
                    format!(
                        "road link \"{}\" enters vehicle ring \"{}\" without a checkpoint: put one of the ring's checkpoints at its end, or end it outside",
                        l.name, vs.rings[ri].name
                    ),
                );
            }
        }
    }

    // --- destinations
    let mut destinations = Vec::new();
    for (di, d) in vs.destinations.iter().enumerate() {
        let lab = format!("vehicle destination \"{}\"", d.name);
        let link = find(ck, &d.name, &lab, "road link", &d.link, &link_names);
        let most = if d.kind == DestinationKind::CarPark {
            MAX_SPACES
        } else {
            MAX_BOOTHS
        };
        if !(1..=most).contains(&d.capacity) {
            ck.named(&d.name, format!("{lab}: capacity must be 1–{most}, got {}", d.capacity));
        }
        check_distribution(ck, &d.name, &format!("{lab}: dwell"), &d.dwell, false);
        let pickup = d
            .pickup
            .as_ref()
            .and_then(|p| find(ck, &d.name, &lab, "target (pickup)", p, targets));
        let place = d
            .place
            .as_ref()
            .and_then(|p| find(ck, &d.name, &lab, "source (place)", p, sources));
        if let Some(l) = link {
            if links[l].checkpoint.is_some() {
                ck.named(
                    &d.name,
                    format!(
                        "{lab}: link \"{}\" ends at a checkpoint; a destination needs a link of its own",
                        d.link
                    ),
                );
            }
            if let Some(other) = links[l].destination {
                ck.named(
                    &d.name,
                    format!(
                        "{lab}: link \"{}\" already ends at destination \"{}\"",
                        d.link, vs.destinations[other as usize].name
                    ),
                );
            }
            links[l].destination = Some(di as u16);
        }
        destinations.push(DestinationRt {
            name: d.name.clone(),
            kind: d.kind,
            link: link.unwrap_or(0) as u32,
            capacity: d.capacity.clamp(1, most),
            dwell: d.dwell.clone(),
            place,
            pickup,
            collector: None,
        });
    }
    if !ck.is_clean() {
        return None;
    }

    // --- flows
    let dest_names: Vec<&str> = vs.destinations.iter().map(|d| d.name.as_str()).collect();
    let group_names: Vec<&str> = sc.crowd.iter().map(|g| g.name.as_str()).collect();
    let mut carried_by: Vec<Option<u16>> = vec![None; sc.crowd.len()];
    let mut flows = Vec::new();
    let mut expected = 0.0;
    for (fi, f) in vs.flows.iter().enumerate() {
        let lab = format!("vehicle flow \"{}\"", f.name);
        let class = find(ck, &f.name, &lab, "vehicle class", &f.class, &class_names);
        let entry = find(ck, &f.name, &lab, "road link", &f.entry, &link_names);
        let exit = find(ck, &f.name, &lab, "road link", &f.exit, &link_names);
        let to =
            f.to.as_ref()
                .and_then(|d| find(ck, &f.name, &lab, "destination", d, &dest_names));
        let ways = usize::from(f.arrivals.is_some()) + usize::from(!f.carries.is_empty()) + usize::from(f.collects);
        if ways != 1 {
            ck.named(
                &f.name,
                format!(
                    "{lab}: give one of `arrivals` (when vehicles enter), `carries` (the crowd groups they bring) or `collects: true` (called for leavers at the destination's pickup)"
                ),
            );
        }
        if f.call_after.is_some() && !f.collects {
            ck.named(
                &f.name,
                format!("{lab}: call_after is for a flow that collects leavers (`collects: true`)"),
            );
        }
        let call_after = f.call_after.unwrap_or(120.0);
        if !(call_after.is_finite() && (0.0..=86_400.0).contains(&call_after)) {
            ck.named(
                &f.name,
                format!("{lab}: call_after must be 0–86,400 s, got {call_after}"),
            );
        }
        if f.collects {
            match to {
                None => ck.named(
                    &f.name,
                    format!("{lab}: a flow that collects leavers needs a destination (`to`) with a `pickup`"),
                ),
                Some(d) if destinations[d].pickup.is_none() => ck.named(
                    &f.name,
                    format!(
                        "{lab}: destination \"{}\" has no `pickup` target where leavers get in",
                        destinations[d].name
                    ),
                ),
                Some(d) if destinations[d].kind == DestinationKind::CarPark => ck.named(
                    &f.name,
                    format!(
                        "{lab}: destination \"{}\" is a car park: its parked cars take its leavers home; no flow collects there",
                        destinations[d].name
                    ),
                ),
                Some(d) => {
                    if let Some(other) = destinations[d].collector {
                        ck.named(
                            &f.name,
                            format!(
                                "{lab}: flow \"{}\" collects at destination \"{}\" already",
                                vs.flows[other as usize].name, destinations[d].name
                            ),
                        );
                    }
                    destinations[d].collector = Some(fi as u16);
                }
            }
        }
        if let Some(a) = &f.arrivals {
            expected += check_arrivals(ck, &f.name, &lab, a);
        }
        let mut carries = Vec::new();
        // names, or a prefix and `*` for every group whose name starts with it (a demand's
        // groups at one source: "bus-south.*")
        let mut named: Vec<(String, usize)> = Vec::new();
        for pat in &f.carries {
            match pat.strip_suffix('*') {
                Some(prefix) => {
                    let before = named.len();
                    named.extend(
                        (group_names.iter().enumerate())
                            .filter(|(_, n)| n.starts_with(prefix))
                            .map(|(i, n)| (n.to_string(), i)),
                    );
                    if named.len() == before {
                        ck.named(
                            &f.name,
                            format!("{lab}: no crowd group's name starts with \"{prefix}\""),
                        );
                    }
                }
                None => {
                    if let Some(gi) = find(ck, &f.name, &lab, "crowd group", pat, &group_names) {
                        named.push((pat.clone(), gi));
                    }
                }
            }
        }
        for (g, gi) in &named {
            let (g, gi) = (g.as_str(), *gi);
            if let Some(other) = carried_by[gi] {
                ck.named(
                    g,
                    format!(
                        "{lab}: crowd group \"{g}\" is carried by flow \"{}\" already",
                        vs.flows[other as usize].name
                    ),
                );
            }
            carried_by[gi] = Some(fi as u16);
            carries.push(gi);
            let grp = &sc.crowd[gi];
            match to.map(|d| &destinations[d]) {
                None => ck.named(&f.name, format!("{lab}: a flow that carries people needs a destination (`to`) where they get out")),
                Some(d) => match d.place {
                    None => ck.named(&d.name, format!("{lab}: destination \"{}\" has no `place` where people get out", d.name)),
                    Some(p) if sources.get(p) != Some(&grp.source.as_str()) => ck.named(
                        g,
                        format!(
                            "{lab}: crowd group \"{g}\" starts at source \"{}\", but its vehicles let it out at \"{}\" (destination \"{}\"'s place)",
                            grp.source, sources[p], d.name
                        ),
                    ),
                    _ => {}
                },
            }
            if matches!(
                grp.arrivals,
                Arrivals::Initial(_) | Arrivals::Positions(_) | Arrivals::Surges
            ) {
                ck.named(g, format!("{lab}: crowd group \"{g}\" is there from the start or comes in surges; a vehicle flow carries arrivals over time (Rates, Count, Batches)"));
            }
        }
        if let Some(d) = to.map(|d| &destinations[d])
            && !f.carries.is_empty()
            && matches!(d.kind, DestinationKind::LoadingDock)
        {
            ck.named(
                &f.name,
                format!(
                    "{lab}: people get out at a drop-off, taxi rank or car park, not at loading dock \"{}\"",
                    d.name
                ),
            );
        }
        let (Some(class), Some(entry), Some(exit)) = (class, entry, exit) else {
            continue;
        };
        // the route: entry → (destination's link) → exit, each leg the quickest at free speed
        let v = classes[class].speed;
        let cost = |l: u32| links[l as usize].length / v.min(links[l as usize].speed);
        let mut path = vec![entry as u32];
        let mut stop = None;
        let mut ok = true;
        let leg = |path: &mut Vec<u32>, b: u32| -> bool {
            let a = *path.last().unwrap_or(&b);
            if a == b {
                return true;
            }
            match shortest(&links, &out, a, b, &cost) {
                Some(mid) => {
                    path.extend(mid);
                    path.push(b);
                    true
                }
                None => false,
            }
        };
        if let Some(d) = to {
            let dl = destinations[d].link;
            if !leg(&mut path, dl) {
                ck.named(
                    &f.name,
                    format!(
                        "{lab}: no road from \"{}\" to destination \"{}\"",
                        f.entry, destinations[d].name
                    ),
                );
                ok = false;
            }
            stop = Some(path.len() - 1);
        }
        if ok && !leg(&mut path, exit as u32) {
            ck.named(
                &f.name,
                format!(
                    "{lab}: no road from \"{}\" to its exit \"{}\"",
                    vs.links[*path.last().unwrap_or(&0) as usize].name,
                    f.exit
                ),
            );
            ok = false;
        }
        if path.len() > 100_000 {
            ck.named(
                &f.name,
                format!("{lab}: its route is {} links long; at most 100,000", path.len()),
            );
            ok = false;
        }
        if !ok {
            continue;
        }
        flows.push(FlowRt {
            name: f.name.clone(),
            class: class as u16,
            route: Route::new(&links, &checkpoints, class, v, path, stop),
            to: to.map(|d| d as u16),
            arrivals: f.arrivals.clone(),
            carries,
            collects: f.collects.then_some(call_after.clamp(0.0, 86_400.0)),
        });
    }
    // a leaver at a pickup gets into one vehicle: one destination picks up at each target
    for (i, d) in destinations.iter().enumerate() {
        let picks = |d: &DestinationRt| d.collector.is_some() || d.owners_return();
        if let Some(other) = destinations[..i]
            .iter()
            .find(|o| picks(o) && picks(d) && o.pickup.is_some() && o.pickup == d.pickup)
        {
            ck.named(
                &d.name,
                format!(
                    "vehicle destination \"{}\": its pickup is destination \"{}\"'s already; leavers there would be counted at both (give each its own pickup target)",
                    d.name, other.name
                ),
            );
        }
    }
    if expected > MAX_VEHICLES {
        ck.err(
            Some("flows".into()),
            format!("{label}: the flows would bring about {expected:.0} vehicles; the limit is {MAX_VEHICLES}"),
        );
    }
    let dt = sc.sim.dt;
    let step_every = if dt.is_finite() && dt > 0.0 {
        ((TRAFFIC_STEP / dt + 1e-9).floor() as u64).max(1)
    } else {
        1
    };
    // a coarse simulation step is cut into traffic steps of at most TRAFFIC_STEP
    let substeps = if dt.is_finite() && dt > TRAFFIC_STEP {
        ((dt / TRAFFIC_STEP - 1e-9).ceil() as u64).clamp(1, 8)
    } else {
        1
    };
    let exit_ends: Vec<u32> = flows
        .iter()
        .filter_map(|f| f.route.path.last().map(|&l| links[l as usize].to))
        .collect();
    let crossings = super::crossing::build(ck, sc, &nodes, &out, &exit_ends);
    Some(VehiclesRt {
        crossings,
        classes,
        nodes,
        links,
        links_in,
        links_out: out,
        rings: vs.rings.iter().map(|r| r.name.clone()).collect(),
        ring_areas,
        checkpoints,
        destinations,
        flows,
        items,
        cargo,
        carriers: Vec::new(),
        carried_by,
        step_every,
        substeps,
        wave_speed: w,
    })
}

/// Checks a flow's own arrivals; returns the expected number of vehicles.
fn check_arrivals(ck: &mut Checker, anchor: &str, lab: &str, a: &VehicleArrivals) -> f64 {
    let window = |ck: &mut Checker, from: ClockTime, to: ClockTime| {
        if !(from.0.is_finite() && to.0.is_finite() && to.0 > from.0) {
            ck.named(
                anchor,
                format!(
                    "{lab}: a window's `to` ({}) must be after its `from` ({})",
                    to.hms(),
                    from.hms()
                ),
            );
            false
        } else {
            true
        }
    };
    match a {
        VehicleArrivals::Rates(steps) => {
            let mut n = 0.0;
            if steps.len() > 10_000 {
                ck.named(anchor, format!("{lab}: at most 10,000 rate steps"));
                return 0.0;
            }
            for s in steps {
                if !(s.rate.is_finite() && s.rate > 0.0 && s.rate <= 100.0) {
                    ck.named(
                        anchor,
                        format!(
                            "{lab}: rate {} must be above 0 and at most 100 vehicles per second",
                            s.rate
                        ),
                    );
                } else if window(ck, s.from, s.to) {
                    n += s.rate * (s.to.0 - s.from.0);
                }
            }
            n
        }
        VehicleArrivals::Count { count, from, to } => {
            window(ck, *from, *to);
            f64::from(*count)
        }
        VehicleArrivals::Every { every, from, to } => {
            if !(every.is_finite() && *every >= 0.1) {
                ck.named(anchor, format!("{lab}: every must be at least 0.1 s, got {every}"));
                return 0.0;
            }
            if window(ck, *from, *to) {
                (to.0 - from.0) / every
            } else {
                0.0
            }
        }
    }
}

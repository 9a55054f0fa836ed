//! Responders plugin: owns the response units (patrols, posts, medical teams, volunteers), their
//! deployment (post, route, beat), their movement on the walkable area (floor fields towards
//! each goal, cached; slowed by the crowd they push through, by Weidmann's relation) and their
//! shifts. Incidents and dispatch live in [`crate::incidents`]; coverage in [`coverage`].

pub mod build;
pub mod coverage;
pub mod drive;

use crate::crowd::Position;
use crate::crowd::step::constrain;
use crate::metrics::Metrics;
use crate::scenario::model::UnitKind;
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::Venue;
use crate::venue::field::{Buffers, FloorField};
use crate::venue::geometry::{Segment, segments_intersect};
use crate::venue::security::Hop;
use crate::venue::{Shape, grid::NavGrid};
use bevy::prelude::*;
use std::collections::BTreeMap;

/// Body radius of a unit for the wall constraint, m.
pub const UNIT_RADIUS: f32 = 0.25;

/// Where idle units of a group are.
#[derive(Debug, Clone, PartialEq)]
pub enum DeploymentRt {
    /// At a post.
    Post(Vec2),
    /// Round a loop of waypoints.
    Route {
        /// Waypoints.
        waypoints: Vec<Vec2>,
        /// Stop at each, s.
        dwell: f64,
    },
    /// Between points of a zone.
    Beat {
        /// Zone index.
        zone: usize,
        /// Points to walk between (drawn once from the zone).
        points: Vec<Vec2>,
        /// Stop at each, s.
        dwell: f64,
    },
}

impl DeploymentRt {
    /// Where the deployment is: the post, the first waypoint, the first point of the beat.
    pub fn anchor(&self) -> Vec2 {
        match self {
            DeploymentRt::Post(p) => *p,
            DeploymentRt::Route { waypoints, .. } => waypoints.first().copied().unwrap_or(Vec2::ZERO),
            DeploymentRt::Beat { points, .. } => points.first().copied().unwrap_or(Vec2::ZERO),
        }
    }
}

/// A group of units at run time.
#[derive(Debug, Clone)]
pub struct UnitGroupRt {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: UnitKind,
    /// Units.
    pub count: u32,
    /// Patrol speed, m/s.
    pub speed: f32,
    /// Emergency speed, m/s.
    pub emergency_speed: f32,
    /// Incident types handled (bit per type).
    pub handles: u64,
    /// On duty from, s after the start.
    pub shift_from: f64,
    /// Until.
    pub shift_to: f64,
    /// Deployment.
    pub deployment: DeploymentRt,
    /// Sight radius, m.
    pub sight: f32,
    /// How the units drive the roads (None: they move on the walkable area).
    pub drive: Option<std::sync::Arc<drive::DriveRt>>,
}

/// What a unit is doing.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub enum Task {
    /// Not on duty.
    OffShift,
    /// On its post, route or beat; `leg` is the waypoint it heads for; waits until `until`.
    Patrol {
        /// Waypoint index.
        leg: usize,
        /// Dwell until, s.
        until: f64,
    },
    /// Heading for an incident.
    EnRoute {
        /// Incident id.
        incident: u32,
    },
    /// Working at an incident until `until`.
    OnScene {
        /// Incident id.
        incident: u32,
        /// Until, s.
        until: f64,
    },
    /// A unit that drives, on its way back to its station (not free until it is there).
    Returning,
}

impl Task {
    /// Free to be dispatched.
    pub fn available(&self) -> bool {
        matches!(self, Task::Patrol { .. })
    }
}

/// A response unit.
#[derive(Component, Debug, Clone)]
pub struct Unit {
    /// Stable id.
    pub id: u32,
    /// Group index.
    pub group: u16,
    /// Seconds spent en route or on scene.
    pub busy_s: f64,
    /// Seconds on duty.
    pub duty_s: f64,
    /// The deployment goal it starts its duty at (units of a group are spread along it).
    pub home_leg: usize,
    /// Where it last aimed on its patrol.
    pub aim: AimCache,
}

/// Steps a patrolling unit keeps heading for the point it aimed at (1 s at the default step)
/// before it looks again: [`aim`] (lines of sight along up to 30 m of the floor field) was
/// most of the responders' time when done every step, and a unit walking straight at a point
/// it saw a second ago keeps it in sight.
pub const AIM_KEEP: u8 = 10;

/// A unit's last [`aim`]: the goal it was for, the point aimed at, and steps it is kept for.
#[derive(Debug, Clone, Copy, Default)]
pub struct AimCache {
    goal: Vec2,
    target: Vec2,
    left: u8,
}

/// Floor fields of fixed goals (posts, waypoints), by raster cell, computed when first needed.
#[derive(Resource, Debug, Default)]
pub struct GoalFields {
    fields: BTreeMap<usize, FloorField>,
}

impl GoalFields {
    /// Computes the fields of `goals` (the routes' waypoints and the beats' points) up front,
    /// on the step's pool when it has two threads or more: each is a Dijkstra over the raster,
    /// and computed on first use they ran one after another in the first hour, 2.6 s of the
    /// Import Expo's morning. The first goal in a raster cell makes its field, as on first use;
    /// at most [`PRECOMPUTED_GOALS`], the rest stay lazy.
    pub fn precompute(&mut self, grid: &NavGrid, goals: impl Iterator<Item = Vec2>) {
        let mut todo: Vec<(usize, Vec2)> = Vec::new();
        for g in goals {
            if let Some(c) = grid.cell_of(g)
                && !self.fields.contains_key(&c)
                && !todo.iter().any(|t| t.0 == c)
            {
                todo.push((c, g));
            }
        }
        todo.truncate(PRECOMPUTED_GOALS);
        let compute = |&(c, g): &(usize, Vec2)| (c, FloorField::compute(grid, &Shape::Circle(g, 0.0), Buffers::NONE));
        let done: Vec<(usize, FloorField)> = if crate::par::threads() >= 2 {
            use rayon::prelude::*;
            todo.par_iter().map(compute).collect()
        } else {
            todo.iter().map(compute).collect()
        };
        self.fields.extend(done);
    }

    /// The field leading to the cell of `goal` (pure distance, no wall penalty).
    pub fn get(&mut self, grid: &NavGrid, goal: Vec2) -> Option<&FloorField> {
        let cell = grid.cell_of(goal)?;
        Some(
            self.fields
                .entry(cell)
                .or_insert_with(|| FloorField::compute(grid, &Shape::Circle(goal, 0.0), Buffers::NONE)),
        )
    }
}

/// Most goal fields [`GoalFields::precompute`] computes up front.
pub const PRECOMPUTED_GOALS: usize = 256;

/// Groups of units and the crowd-slowdown switch.
#[derive(Resource, Debug, Clone, Default)]
pub struct Responders {
    /// Groups.
    pub groups: Vec<UnitGroupRt>,
    /// The roads, when some group drives them.
    pub roads: Option<std::sync::Arc<drive::RoadMap>>,
}

impl Responders {
    /// The deployment goal of `leg` for a unit of `group` (index `k` within the group).
    pub fn goal(&self, group: usize, leg: usize) -> Vec2 {
        match &self.groups[group].deployment {
            DeploymentRt::Post(p) => *p,
            DeploymentRt::Route { waypoints, .. } => waypoints[leg % waypoints.len()],
            DeploymentRt::Beat { points, .. } => points[leg % points.len()],
        }
    }

    /// Dwell at a deployment goal, s.
    pub fn dwell(&self, group: usize) -> f64 {
        match &self.groups[group].deployment {
            DeploymentRt::Post(_) => f64::INFINITY,
            DeploymentRt::Route { dwell, .. } | DeploymentRt::Beat { dwell, .. } => *dwell,
        }
    }

    /// Number of goals of the deployment.
    pub fn legs(&self, group: usize) -> usize {
        match &self.groups[group].deployment {
            DeploymentRt::Post(_) => 1,
            DeploymentRt::Route { waypoints, .. } => waypoints.len(),
            DeploymentRt::Beat { points, .. } => points.len(),
        }
    }
}

/// Speed factor in a crowd of density `rho` (persons/m²): Weidmann's v(ρ)/v0, at least 0.1.
pub fn crowd_factor(rho: f64) -> f32 {
    if rho <= 0.0 {
        return 1.0;
    }
    crate::crowd::weidmann_factor(rho).clamp(0.1, 1.0) as f32
}

/// Whether a unit could walk the straight line from `a` to `b`: no wall or obstacle edge crosses
/// it or comes closer than the unit's radius.
pub fn line_of_sight(venue: &Venue, a: Vec2, b: Vec2) -> bool {
    let len = a.distance(b);
    let n = (len / 1.5).ceil().max(1.0) as usize;
    let path = Segment { a, b };
    // The samples' buckets overlap (a wall lies in every bucket within a margin of it): a
    // sample in the bucket before's is skipped and a wall tested lately is not tested again.
    // The answer is the same (any wall in the way fails it), with fewer tests.
    let mut last_bucket = u32::MAX;
    let mut seen = [u32::MAX; 32];
    let mut next = 0;
    for k in 0..=n {
        let q = a.lerp(b, k as f32 / n as f32);
        let bucket = venue.walls.bucket(q);
        if bucket == last_bucket {
            continue;
        }
        last_bucket = bucket;
        for (id, s) in venue.walls.in_range_ids(venue.walls.bucket_range(bucket)) {
            if seen.contains(&id) {
                continue;
            }
            seen[next] = id;
            next = (next + 1) % seen.len();
            if segments_intersect(a, b, s.a, s.b) {
                return false;
            }
            // closest approach of two non-crossing segments is at an endpoint of one of them
            let d = path
                .distance(s.a)
                .min(path.distance(s.b))
                .min(s.distance(a))
                .min(s.distance(b));
            if d < UNIT_RADIUS * 0.999 && s.distance(a) >= UNIT_RADIUS * 0.999 {
                return false;
            }
        }
    }
    true
}

/// Where to head for on the way to `goal`: the goal itself when in sight, else the farthest point
/// in sight along the floor field's steepest descent (up to 30 m ahead). This pulls the path
/// straight, so units travel the geodesic rather than the raster's 8 directions.
pub fn aim(venue: &Venue, field: &FloorField, p: Vec2, goal: Vec2) -> Vec2 {
    if line_of_sight(venue, p, goal) {
        return goal;
    }
    let g = &venue.grid;
    let Some(mut c) = g.cell_of(p) else {
        return p + field.direction(g, p);
    };
    let mut best = p + field.direction(g, p) * g.h;
    let steps = (30.0 / g.h) as usize;
    for k in 0..steps {
        let mut next = c;
        g.neighbours(c, |j, _| {
            if field.cell_cost(g, j) < field.cell_cost(g, next) {
                next = j;
            }
        });
        if next == c {
            break;
        }
        c = next;
        if k % 4 == 3 {
            let q = g.center(c % g.nx, c / g.nx);
            if line_of_sight(venue, p, q) {
                best = q;
            } else {
                break;
            }
        }
    }
    best
}

/// Moves a unit one step towards `goal` along `field` at `speed`, slowed by the crowd. Returns
/// the new position and, if it reached the goal during the step, the time that took (s). With
/// a `cache` (patrols), the point aimed at is kept for [`AIM_KEEP`] steps; without (units sent
/// to an incident), the unit looks again every step.
#[allow(clippy::too_many_arguments)]
pub fn step_towards(
    venue: &Venue,
    metrics: &Metrics,
    field: &FloorField,
    p: Vec2,
    goal: Vec2,
    speed: f32,
    dt: f32,
    mut cache: Option<&mut AimCache>,
) -> (Vec2, Option<f32>) {
    let v = speed * crowd_factor(metrics.density_at(p));
    let reach = v * dt;
    let target = match cache.as_deref_mut() {
        // the point aimed at lately, until it is time to look again or it is nearly reached
        Some(c) if c.left > 0 && c.goal == goal && (c.target == goal || p.distance(c.target) > 2.0 * reach) => {
            c.left -= 1;
            c.target
        }
        _ => {
            let target = aim(venue, field, p, goal);
            if let Some(c) = cache.as_deref_mut() {
                *c = AimCache {
                    goal,
                    target,
                    left: AIM_KEEP - 1,
                };
            }
            target
        }
    };
    let d = p.distance(target);
    if target == goal && d <= reach {
        return (goal, Some(d / v));
    }
    let dir = (target - p).normalize_or_zero();
    let next = constrain(venue, p, p + dir * reach, UNIT_RADIUS);
    if next.distance(p) < 0.5 * reach {
        if let Some(c) = cache {
            // look again next step
            c.left = 0;
        }
        // the straight aim is blocked (a wall end in the way): follow the floor field instead
        let dir = field.direction(&venue.grid, p);
        return (constrain(venue, p, p + dir * reach, UNIT_RADIUS), None);
    }
    (next, None)
}

/// Distance (m, along floor fields) from `p` to the goal of `field` lying in walkable region
/// `goal_region`, crossing rings where they lie between; and the first crossing. Units cross
/// rings inwards through checkpoints' lanes (waved through, not screened) and outwards
/// through doors, like the crowd.
pub fn route_cost(venue: &Venue, field: &FloorField, p: Vec2, goal_region: u32) -> (f32, Option<Hop>) {
    route_cost_depth(venue, field, p, goal_region, 8)
}

/// Where a unit crossing `hop` heads for on the near side, and where it comes out.
fn crossing(venue: &Venue, hop: Hop) -> (Vec2, Vec2) {
    let sec = &venue.security;
    match hop {
        Hop::Lanes(k) => {
            let cp = &sec.checkpoints[k as usize];
            let mid = cp.lanes / 2;
            (cp.lane_spot(mid), cp.inner_spot(mid))
        }
        Hop::Door(d) => {
            let door = &sec.doors[d as usize];
            (door.mid() - door.out * 0.6, door.mid() + door.out * 0.8)
        }
    }
}

fn route_cost_depth(venue: &Venue, field: &FloorField, p: Vec2, goal_region: u32, depth: u32) -> (f32, Option<Hop>) {
    let sec = &venue.security;
    let from = sec.region_at(&venue.grid, p);
    if from == goal_region || (sec.checkpoints.is_empty() && sec.doors.is_empty()) || depth == 0 {
        return (field.cost_interp(&venue.grid, p), None);
    }
    let Some(hops) = sec
        .next_hop
        .get(from as usize)
        .and_then(|h| h.get(goal_region as usize))
    else {
        return (f32::INFINITY, None);
    };
    let mut best = (f32::INFINITY, None);
    for &h in hops {
        let near = venue.fields[sec.hop_field(h) as usize].cost_interp(&venue.grid, p);
        let far = crossing(venue, h).1;
        let rest = route_cost_depth(venue, field, far, goal_region, depth - 1).0;
        if near + rest < best.0 {
            best = (near + rest, Some(h));
        }
    }
    best
}

/// One step of a unit towards `goal` (in region `goal_region`, field `field`), across rings
/// where they lie between. Returns the new position and, if it reached the goal during the
/// step, the time that took.
#[allow(clippy::too_many_arguments)]
pub fn travel(
    venue: &Venue,
    metrics: &Metrics,
    field: &FloorField,
    p: Vec2,
    goal: Vec2,
    goal_region: u32,
    speed: f32,
    dt: f32,
    cache: Option<&mut AimCache>,
) -> (Vec2, Option<f32>) {
    let Some(h) = route_cost(venue, field, p, goal_region).1 else {
        return step_towards(venue, metrics, field, p, goal, speed, dt, cache);
    };
    let (gate, far) = crossing(venue, h);
    if p.distance(gate) <= 1.5 {
        // through the lanes or the door
        return (far, None);
    }
    step_towards(
        venue,
        metrics,
        &venue.fields[venue.security.hop_field(h) as usize],
        p,
        gate,
        speed,
        dt,
        cache,
    )
}

/// Spawns the units (all groups) at their first deployment goal, spread along routes.
pub fn spawn_units(world: &mut World) {
    let responders = world.resource::<Responders>().clone();
    let mut id = 0u32;
    for (gi, g) in responders.groups.iter().enumerate() {
        let legs = responders.legs(gi).max(1);
        for k in 0..g.count {
            let leg = (k as usize * legs) / g.count.max(1) as usize;
            let p = responders.goal(gi, leg);
            let mut e = world.spawn((
                Unit {
                    id,
                    group: gi as u16,
                    busy_s: 0.0,
                    duty_s: 0.0,
                    home_leg: leg,
                    aim: AimCache::default(),
                },
                Position(p),
                Task::OffShift,
            ));
            if g.drive.is_some() {
                e.insert(drive::Trip::default());
            }
            id += 1;
        }
    }
}

/// How coverage is sampled: on a raster of `cell` m every `interval` s, at each threshold (s).
#[derive(Debug, Clone)]
pub struct CoverageSettings {
    /// Raster cell, m.
    pub cell: f32,
    /// Sampling interval, s.
    pub interval: f64,
    /// Response-time thresholds, s.
    pub thresholds: Vec<f64>,
}

/// Responders plugin: the units (spawned when the plugin is built) and, when there are units and
/// coverage is sampled, the coverage raster (the venue must be in the world already).
pub struct RespondersPlugin {
    responders: Responders,
    coverage: Option<CoverageSettings>,
}

impl RespondersPlugin {
    /// The plugin of these units; `coverage`: None when coverage is not sampled.
    pub fn new(responders: Responders, coverage: Option<CoverageSettings>) -> RespondersPlugin {
        RespondersPlugin { responders, coverage }
    }
}

impl Plugin for RespondersPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.responders.clone());
        if let Some(c) = self.coverage.as_ref().filter(|_| !self.responders.groups.is_empty()) {
            let cov = coverage::Coverage::new(
                app.world().resource::<Venue>(),
                c.cell,
                c.interval,
                c.thresholds.clone(),
            );
            app.insert_resource(cov);
        }
        spawn_units(app.world_mut());
        let mut fields = GoalFields::default();
        {
            let w = app.world();
            let goals = w
                .resource::<Responders>()
                .groups
                .iter()
                .flat_map(|g| match &g.deployment {
                    DeploymentRt::Post(_) => &[][..],
                    DeploymentRt::Route { waypoints, .. } => &waypoints[..],
                    DeploymentRt::Beat { points, .. } => &points[..],
                });
            fields.precompute(&w.resource::<Venue>().grid, goals.copied());
        }
        app.insert_resource(fields)
            .add_systems(SimStep, patrol.in_set(SimSystems::Respond))
            .add_systems(SimStep, coverage::sample_coverage.in_set(SimSystems::Measure));
    }
}

/// Units on duty walk their post, route or beat; shifts start and end.
/// One patrol step of a unit at `from` towards `goal` (with its kept aim).
fn patrol_step(
    venue: &Venue,
    metrics: &Metrics,
    field: &FloorField,
    (from, goal): (Vec2, Vec2),
    speed: f32,
    dt: f32,
    aim: &mut AimCache,
) -> Vec2 {
    let region = venue.security.region_at(&venue.grid, goal);
    travel(venue, metrics, field, from, goal, region, speed, dt, Some(aim)).0
}

fn patrol(
    clock: Res<SimClock>,
    venue: Res<Venue>,
    metrics: Res<Metrics>,
    responders: Res<Responders>,
    mut fields: ResMut<GoalFields>,
    mut q: Query<(&mut Unit, &mut Position, &mut Task, Option<&mut drive::Trip>)>,
) {
    let t = clock.t();
    let dt = clock.dt;
    for (mut u, mut p, mut task, trip) in &mut q {
        let gi = u.group as usize;
        let g = &responders.groups[gi];
        let on_duty = t >= g.shift_from && t < g.shift_to;
        if on_duty {
            u.duty_s += dt;
        }
        match *task {
            Task::OffShift if on_duty => {
                *task = Task::Patrol {
                    leg: u.home_leg,
                    until: 0.0,
                }
            }
            Task::Patrol { .. } if !on_duty => *task = Task::OffShift,
            Task::Patrol { leg, until } => {
                let goal = responders.goal(gi, leg);
                if p.0.distance(goal) <= 1e-3 {
                    if until == 0.0 {
                        *task = Task::Patrol {
                            leg,
                            until: t + responders.dwell(gi),
                        };
                    } else if t >= until {
                        *task = Task::Patrol {
                            leg: (leg + 1) % responders.legs(gi).max(1),
                            until: 0.0,
                        };
                    }
                } else if let Some(field) = fields.get(&venue.grid, goal) {
                    p.0 = patrol_step(&venue, &metrics, field, (p.0, goal), g.speed, dt as f32, &mut u.aim);
                }
            }
            Task::EnRoute { .. } | Task::OnScene { .. } => u.busy_s += dt,
            Task::Returning => {
                u.busy_s += dt;
                if let Some(mut trip) = trip
                    && trip.path.advance(&mut p.0, dt as f32, &metrics).is_some()
                {
                    // at the station: free again
                    trip.stage = drive::Stage::Idle;
                    trip.path = drive::Path::default();
                    *task = Task::Patrol {
                        leg: u.home_leg,
                        until: 0.0,
                    };
                }
            }
            // before its shift (a reserve called in by the timeline and sent back): to its post
            Task::OffShift if t < g.shift_from => {
                let goal = responders.goal(gi, u.home_leg);
                if p.0.distance(goal) > 1e-3
                    && let Some(field) = fields.get(&venue.grid, goal)
                {
                    p.0 = patrol_step(&venue, &metrics, field, (p.0, goal), g.speed, dt as f32, &mut u.aim);
                }
            }
            Task::OffShift => {}
        }
    }
}

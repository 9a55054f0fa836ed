//! Incidents plugin: owns incident generation (rate per hour or per 1,000 visitors present,
//! located by crowd density, zones or hotspots), detection (units with a sight radius report at
//! once, otherwise after a report delay), dispatch (nearest free unit by travel time around
//! walls, by straight-line distance, or zone-assigned; incidents queue when nobody is free), the
//! units' trip to the scene and back, and the per-incident records the report reads.

pub mod build;
pub mod report;

use crate::crowd::{Position, Walking};
use crate::metrics::Metrics;
use crate::responders::drive::{Path, Stage, Trip};
use crate::responders::{DeploymentRt, Responders, Task, Unit, route_cost, travel};
use crate::rng::{MasterSeed, Purpose};
use crate::scenario::model::{DispatchPolicy, Distribution, UnitKind};
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::field::{Buffers, FloorField};
use crate::venue::{Shape, Venue};
use bevy::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Poisson};
use std::collections::VecDeque;

/// How often an incident type happens at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum RateRt {
    /// Per second.
    PerSecond(f64),
    /// Per second per person present.
    PerPersonSecond(f64),
    /// At these times, s after the start (ascending).
    At(Vec<f64>),
}

/// Where at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum LocationRt {
    /// At a random walking visitor.
    Crowd,
    /// Uniform over these zones (indices), by area.
    Zones(Vec<usize>),
    /// One of these points.
    Hotspots(Vec<Vec2>),
    /// Among the occupants of these halls (indices).
    Halls(Vec<usize>),
}

/// An incident type at run time.
#[derive(Debug, Clone)]
pub struct IncidentTypeRt {
    /// Name.
    pub kind: String,
    /// Rate.
    pub rate: RateRt,
    /// Location model.
    pub location: LocationRt,
    /// Units needed, per kind (None: any kind that handles the type).
    pub needs: Vec<(Option<UnitKind>, u32)>,
    /// On-scene time, s.
    pub on_scene: Distribution,
    /// Report delay when nobody sees it, s.
    pub report_delay: Distribution,
}

/// Incident types, dispatch policy and thresholds.
#[derive(Resource, Debug, Clone, Default)]
pub struct IncidentPlan {
    /// Types.
    pub types: Vec<IncidentTypeRt>,
    /// Dispatch policy.
    pub policy: DispatchPolicy,
    /// Response-time thresholds, s.
    pub thresholds: Vec<f64>,
}

/// One incident's life.
#[derive(Debug, Clone)]
pub struct IncidentRec {
    /// Id (index).
    pub id: u32,
    /// Type index.
    pub kind: u16,
    /// Where.
    pub at: Vec2,
    /// When it happened, s after the start.
    pub occurred: f64,
    /// When it was reported.
    pub reported: f64,
    /// Seen by a unit on the spot.
    pub seen: bool,
    /// First unit sent.
    pub dispatched: Option<f64>,
    /// First unit on scene.
    pub arrived: Option<f64>,
    /// Work finished.
    pub resolved: Option<f64>,
    /// Units still to send.
    pub to_send: u32,
    /// Still to send per unit kind (None: any kind that handles the type).
    pub needs: Vec<(Option<UnitKind>, u32)>,
    /// Units on scene.
    pub on_scene: u32,
    /// Units sent.
    pub units: Vec<u32>,
    /// Walkable region of the place.
    pub region: u32,
    field: Option<FloorField>,
    /// Per group that drives, where it would stop and its expected time (computed once: the
    /// stations, the roads and the field do not change).
    drive_plans: std::collections::BTreeMap<u16, Option<(u32, f64)>>,
    /// The free units (id, walkable region) when nobody could be sent: the same ones cannot
    /// get there later either, so it waits without trying again until they change.
    tried: Option<Vec<(u32, u32)>>,
}

/// All incidents of the run.
#[derive(Resource, Debug)]
pub struct IncidentState {
    /// Every incident so far.
    pub recs: Vec<IncidentRec>,
    /// Reported incidents still waiting for units, oldest first.
    pub waiting: VecDeque<u32>,
    /// Incidents not yet reported (id), in order of report time.
    unreported: Vec<u32>,
    rng: Vec<ChaCha8Rng>,
    next_at: Vec<usize>,
}

impl IncidentState {
    /// Incidents holding a travel-time field now (those with units on their way or at work).
    pub fn fields_held(&self) -> usize {
        self.recs.iter().filter(|r| r.field.is_some()).count()
    }

    /// Incidents not yet resolved at time `t` (unreported, waiting or in progress).
    pub fn open(&self, t: f64) -> usize {
        self.recs.iter().filter(|r| r.resolved.is_none_or(|x| x > t)).count()
    }

    /// Fresh state.
    pub fn new(plan: &IncidentPlan, seed: MasterSeed) -> IncidentState {
        IncidentState {
            recs: Vec::new(),
            waiting: VecDeque::new(),
            unreported: Vec::new(),
            rng: (0..plan.types.len())
                .map(|k| seed.stream(Purpose::Incidents, k as u64))
                .collect(),
            next_at: vec![0; plan.types.len()],
        }
    }
}

/// Incidents plugin: the incident plan and its state (the master seed must be in the world).
pub struct IncidentsPlugin(IncidentPlan);

impl IncidentsPlugin {
    /// The plugin of this plan.
    pub fn new(plan: IncidentPlan) -> IncidentsPlugin {
        IncidentsPlugin(plan)
    }
}

impl Plugin for IncidentsPlugin {
    fn build(&self, app: &mut App) {
        let seed = *app.world().resource::<MasterSeed>();
        app.insert_resource(IncidentState::new(&self.0, seed))
            .insert_resource(self.0.clone());
        app.add_systems(
            SimStep,
            (generate, report_and_dispatch, travel_and_work)
                .chain()
                .in_set(SimSystems::Incident),
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn generate(
    clock: Res<SimClock>,
    venue: Res<Venue>,
    plan: Res<IncidentPlan>,
    responders: Res<Responders>,
    mut state: ResMut<IncidentState>,
    visitors: Query<(&crate::crowd::Agent, &Position), With<Walking>>,
    units: Query<(&Unit, &Position, &Task)>,
    present: Query<(), With<crate::crowd::Agent>>,
    halls: Option<Res<crate::halls::Halls>>,
    occupancy: Option<Res<crate::halls::HallState>>,
) {
    let occ = |h: usize| {
        occupancy
            .as_ref()
            .map_or(0, |o| o.occupancy.get(h).copied().unwrap_or(0))
    };
    let (t0, dt) = (clock.t(), clock.dt);
    let st = &mut *state;
    let n_present = present.iter().len() as f64;
    for (k, ty) in plan.types.iter().enumerate() {
        let rng = &mut st.rng[k];
        // those it can happen to: everyone present, or the occupants of its halls
        let people = match &ty.location {
            LocationRt::Halls(hs) => hs.iter().map(|&h| f64::from(occ(h))).sum(),
            _ => n_present,
        };
        let count = match &ty.rate {
            RateRt::PerSecond(r) | RateRt::PerPersonSecond(r) => {
                let lambda = if matches!(ty.rate, RateRt::PerSecond(_)) {
                    r * dt
                } else {
                    r * people * dt
                };
                if lambda > 0.0 {
                    Poisson::new(lambda).map_or(0, |p| p.sample(rng) as usize)
                } else {
                    0
                }
            }
            RateRt::At(times) => {
                let mut n = 0;
                while st.next_at[k] + n < times.len() && times[st.next_at[k] + n] < t0 + dt {
                    n += 1;
                }
                n
            }
        };
        for _ in 0..count {
            let at = match &ty.location {
                LocationRt::Hotspots(pts) => {
                    let i = if let RateRt::At(_) = ty.rate {
                        st.next_at[k] % pts.len()
                    } else {
                        rng.random_range(0..pts.len())
                    };
                    Some(pts[i])
                }
                LocationRt::Crowd => {
                    let n = visitors.iter().len();
                    if n == 0 {
                        None
                    } else {
                        // the i-th visitor in id order: independent of query order
                        let mut ids: Vec<(u32, Vec2)> = visitors.iter().map(|(a, p)| (a.id, p.0)).collect();
                        ids.sort_unstable_by_key(|x| x.0);
                        Some(ids[rng.random_range(0..n)].1)
                    }
                }
                LocationRt::Halls(hs) => {
                    // a hall by its occupants, then a point of its floor
                    let total: u64 = hs.iter().map(|&h| u64::from(occ(h))).sum();
                    if total == 0 {
                        None
                    } else {
                        let mut x = rng.random_range(0..total);
                        let mut hall = hs[0];
                        for &h in hs {
                            let n = u64::from(occ(h));
                            if x < n {
                                hall = h;
                                break;
                            }
                            x -= n;
                        }
                        let target = halls.as_ref().map_or(0, |hs| hs.halls[hall].target as usize);
                        let shape = &venue.targets[target].shape;
                        (0..64)
                            .map(|_| shape.sample(rng))
                            .find(|p| venue.grid.walkable(*p) && venue.is_free(*p))
                    }
                }
                LocationRt::Zones(zs) => {
                    let total: f32 = zs.iter().map(|&z| venue.zones[z].area).sum();
                    let mut x = rng.random::<f32>() * total;
                    let mut zone = zs[0];
                    for &z in zs {
                        if x < venue.zones[z].area {
                            zone = z;
                            break;
                        }
                        x -= venue.zones[z].area;
                    }
                    let shape = Shape::polygon(venue.zones[zone].polygon.clone());
                    (0..64)
                        .map(|_| shape.sample(rng))
                        .find(|p| venue.grid.walkable(*p) && venue.is_free(*p))
                }
            };
            if let RateRt::At(_) = ty.rate {
                st.next_at[k] += 1;
            }
            let Some(at) = at else { continue };
            let occurred = t0 + dt;
            let seen = units.iter().any(|(u, p, task)| {
                let g = &responders.groups[u.group as usize];
                *task != Task::OffShift && g.sight > 0.0 && p.0.distance(at) <= g.sight
            });
            let delay = if seen {
                0.0
            } else {
                crate::rng::sample(&ty.report_delay, rng).max(0.0)
            };
            let id = st.recs.len() as u32;
            st.recs.push(IncidentRec {
                id,
                kind: k as u16,
                at,
                occurred,
                reported: occurred + delay,
                seen,
                dispatched: None,
                arrived: None,
                resolved: None,
                to_send: ty.needs.iter().map(|n| n.1).sum(),
                needs: ty.needs.clone(),
                on_scene: 0,
                units: Vec::new(),
                region: venue.security.region_at(&venue.grid, at),
                field: None,
                drive_plans: Default::default(),
                tried: None,
            });
            st.unreported.push(id);
        }
    }
    // keep the unreported list in report-time order (ties by id)
    let recs = &st.recs;
    st.unreported.sort_by(|a, b| {
        recs[*a as usize]
            .reported
            .total_cmp(&recs[*b as usize].reported)
            .then(a.cmp(b))
    });
}

#[allow(clippy::too_many_arguments)]
fn report_and_dispatch(
    clock: Res<SimClock>,
    venue: Res<Venue>,
    plan: Res<IncidentPlan>,
    responders: Res<Responders>,
    mut state: ResMut<IncidentState>,
    mut units: Query<(&Unit, &Position, &mut Task, Option<&mut Trip>)>,
) {
    let t = clock.t() + clock.dt;
    let st = &mut *state;
    while let Some(&id) = st.unreported.first() {
        if st.recs[id as usize].reported > t {
            break;
        }
        st.unreported.remove(0);
        st.waiting.push_back(id);
    }
    if st.waiting.is_empty() {
        return;
    }
    // free units, in id order
    let mut free: Vec<(u32, u16, Vec2)> = units
        .iter()
        .filter(|(_, _, task, _)| task.available())
        .map(|(u, p, _, _)| (u.id, u.group, p.0))
        .collect();
    free.sort_unstable_by_key(|f| f.0);
    let free_key: Vec<(u32, u32)> = free
        .iter()
        .map(|f| (f.0, venue.security.region_at(&venue.grid, f.2)))
        .collect();
    let mut still_waiting = VecDeque::new();
    while let Some(id) = st.waiting.pop_front() {
        let rec = &mut st.recs[id as usize];
        if rec.tried.as_ref() == Some(&free_key) {
            still_waiting.push_back(id);
            continue;
        }
        let bit = 1u64 << rec.kind;
        let cands: Vec<usize> = (0..free.len())
            .filter(|&i| responders.groups[free[i].1 as usize].handles & bit != 0)
            .collect();
        // none of the free units is of a kind it still needs: wait, without computing its field
        // (thousands of incidents may wait for a busy kind; each field is the venue's size)
        let fillable = rec.needs.iter().any(|need| {
            need.1 > 0
                && cands
                    .iter()
                    .any(|&i| need.0.is_none_or(|k| k == responders.groups[free[i].1 as usize].kind))
        });
        if !fillable {
            still_waiting.push_back(id);
            continue;
        }
        // travel time field from the incident (pure distance round walls), computed once
        if rec.field.is_none() {
            rec.field = Some(FloorField::compute(
                &venue.grid,
                &Shape::Circle(rec.at, 0.0),
                Buffers::NONE,
            ));
        }
        let field = rec.field.as_ref();
        // a group that drives: the node to stop at and the time, the same for all its units
        for &i in &cands {
            let g = free[i].1;
            if let (Some(d), Some(roads), Some(f)) = (&responders.groups[g as usize].drive, &responders.roads, field) {
                rec.drive_plans
                    .entry(g)
                    .or_insert_with(|| d.plan(&venue, roads, f, rec.region));
            }
        }
        let plans = &rec.drive_plans;
        let time = |i: usize| -> f64 {
            let (_, g, p) = free[i];
            let speed = f64::from(responders.groups[g as usize].emergency_speed);
            if let Some(plan_g) = plans.get(&g) {
                return match (plan_g, plan.policy) {
                    (None, _) => f64::INFINITY,
                    (Some(_), DispatchPolicy::NearestByDistance) => f64::from(p.distance(rec.at)),
                    (Some(x), _) => x.1,
                };
            }
            match plan.policy {
                // straight-line distance ranks; a unit that cannot get there at all is skipped
                DispatchPolicy::NearestByDistance => {
                    let reachable = field.is_some_and(|f| route_cost(&venue, f, p, rec.region).0.is_finite());
                    if reachable {
                        f64::from(p.distance(rec.at))
                    } else {
                        f64::INFINITY
                    }
                }
                _ => field.map_or(f64::INFINITY, |f| {
                    f64::from(route_cost(&venue, f, p, rec.region).0) / speed
                }),
            }
        };
        let in_zone = |i: usize| -> bool {
            let g = &responders.groups[free[i].1 as usize];
            match &g.deployment {
                DeploymentRt::Beat { zone, .. } => {
                    crate::venue::geometry::point_in_polygon(rec.at, &venue.zones[*zone].polygon)
                }
                DeploymentRt::Post(p) => venue.zones.iter().any(|z| {
                    crate::venue::geometry::point_in_polygon(*p, &z.polygon)
                        && crate::venue::geometry::point_in_polygon(rec.at, &z.polygon)
                }),
                DeploymentRt::Route { .. } => false,
            }
        };
        let mut ranked: Vec<(bool, f64, usize)> = cands
            .iter()
            .map(|&i| (plan.policy == DispatchPolicy::ZoneAssigned && !in_zone(i), time(i), i))
            .filter(|x| x.1.is_finite())
            .collect();
        ranked.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.total_cmp(&b.1))
                .then(free[a.2].0.cmp(&free[b.2].0))
        });
        // fill each still-open need (a unit kind, or any kind) with the best-ranked free units
        let mut sent = Vec::new();
        for need in rec.needs.iter_mut() {
            for &(_, _, i) in &ranked {
                if need.1 == 0 {
                    break;
                }
                let kind = responders.groups[free[i].1 as usize].kind;
                if !sent.contains(&i) && need.0.is_none_or(|k| k == kind) {
                    sent.push(i);
                    need.1 -= 1;
                }
            }
        }
        if sent.is_empty() {
            // nobody could get there: keep the field only while units are on their way, and
            // wait for other free units
            if rec.units.is_empty() {
                rec.field = None;
            }
            rec.tried = Some(free_key.clone());
            still_waiting.push_back(id);
            continue;
        }
        rec.tried = None;
        for &i in &sent {
            let uid = free[i].0;
            rec.units.push(uid);
            rec.to_send -= 1;
            let g = free[i].1;
            if let Some((_, _, mut task, trip)) = units.iter_mut().find(|(u, _, _, _)| u.id == uid) {
                *task = Task::EnRoute { incident: id };
                // a unit that drives: out by the road to the node it stops at
                if let (Some(mut trip), Some(Some((node, _))), Some(d), Some(roads)) = (
                    trip,
                    plans.get(&g),
                    &responders.groups[g as usize].drive,
                    &responders.roads,
                ) {
                    trip.node = *node;
                    trip.path = d.route_out(roads, *node);
                    trip.stage = Stage::Out;
                    trip.crumbs.clear();
                }
            }
        }
        rec.dispatched.get_or_insert(t);
        sent.sort_unstable_by(|a, b| b.cmp(a));
        for i in sent {
            free.remove(i);
        }
        if rec.to_send > 0 {
            still_waiting.push_back(id);
        }
    }
    st.waiting = still_waiting;
}

#[allow(clippy::too_many_arguments)]
fn travel_and_work(
    clock: Res<SimClock>,
    venue: Res<Venue>,
    metrics: Res<Metrics>,
    plan: Res<IncidentPlan>,
    responders: Res<Responders>,
    mut state: ResMut<IncidentState>,
    mut units: Query<(&Unit, &mut Position, &mut Task, Option<&mut Trip>)>,
) {
    let t = clock.t() + clock.dt;
    let dt = clock.dt as f32;
    let st = &mut *state;
    for (u, mut p, mut task, mut trip) in &mut units {
        match *task {
            Task::EnRoute { incident } => {
                let rec = &mut st.recs[incident as usize];
                let mut arrived_at = None;
                // sent at the end of this step: starts moving in the next
                let just_sent = rec.dispatched.is_some_and(|d| d >= t);
                let g = &responders.groups[u.group as usize];
                if let Some(field) = rec.field.as_ref().filter(|_| !just_sent) {
                    if let (Some(trip), Some(d), Some(roads)) = (trip.as_deref_mut(), &g.drive, &responders.roads) {
                        // by road, stop, get out, to the kerb, then on foot (or driving on)
                        let mut left = dt;
                        while left > 0.0 && arrived_at.is_none() {
                            match trip.stage {
                                Stage::Out => match trip.path.advance(&mut p.0, left, &metrics) {
                                    Some(used) => {
                                        left -= used;
                                        trip.stage = Stage::Parked(t - f64::from(left) + f64::from(d.stop()));
                                    }
                                    None => left = 0.0,
                                },
                                Stage::Parked(until) => {
                                    if until <= t {
                                        left = left.min((t - until) as f32);
                                        let kerb = roads.kerbs[trip.node as usize].unwrap_or(p.0);
                                        trip.path = Path::start(p.0);
                                        trip.path.push(kerb, d.last_speed(), false);
                                        trip.stage = Stage::ToKerb;
                                    } else {
                                        left = 0.0;
                                    }
                                }
                                Stage::ToKerb => match trip.path.advance(&mut p.0, left, &metrics) {
                                    Some(used) => {
                                        left -= used;
                                        trip.stage = Stage::OnFoot;
                                        trip.crumb(p.0);
                                    }
                                    None => left = 0.0,
                                },
                                Stage::OnFoot => {
                                    let (np, reached) = travel(
                                        &venue,
                                        &metrics,
                                        field,
                                        p.0,
                                        rec.at,
                                        rec.region,
                                        d.last_speed(),
                                        left,
                                        None,
                                    );
                                    p.0 = np;
                                    trip.crumb(np);
                                    arrived_at = reached.map(|used| t - f64::from(left) + f64::from(used));
                                    left = 0.0;
                                }
                                Stage::Idle | Stage::Back => left = 0.0,
                            }
                        }
                    } else {
                        let (np, reached) = travel(
                            &venue,
                            &metrics,
                            field,
                            p.0,
                            rec.at,
                            rec.region,
                            g.emergency_speed,
                            dt,
                            None,
                        );
                        p.0 = np;
                        arrived_at = reached.map(|used| t - f64::from(dt) + f64::from(used));
                    }
                }
                if let Some(at) = arrived_at {
                    rec.arrived.get_or_insert(at);
                    rec.on_scene += 1;
                    *task = Task::OnScene {
                        incident,
                        until: f64::INFINITY,
                    };
                    if rec.on_scene as usize == rec.units.len() && rec.to_send == 0 {
                        // everyone needed is there: the work starts
                        let ty = &plan.types[rec.kind as usize];
                        let work = crate::rng::sample(&ty.on_scene, &mut st.rng[rec.kind as usize]).max(0.0);
                        rec.resolved = Some(at + work);
                    }
                }
            }
            Task::OnScene { incident, .. } => {
                let rec = &st.recs[incident as usize];
                if rec.resolved.is_some_and(|r| r <= t) {
                    let gi = u.group as usize;
                    if let (Some(trip), Some(d), Some(roads)) =
                        (trip.as_deref_mut(), &responders.groups[gi].drive, &responders.roads)
                    {
                        // retrace the steps, drive back to the station
                        trip.way_back(p.0, roads, d);
                        *task = Task::Returning;
                        continue;
                    }
                    // back to the post, route or beat: head for the nearest goal
                    let legs = responders.legs(gi).max(1);
                    let leg = (0..legs)
                        .min_by(|&a, &b| {
                            responders
                                .goal(gi, a)
                                .distance(p.0)
                                .total_cmp(&responders.goal(gi, b).distance(p.0))
                        })
                        .unwrap_or(0);
                    *task = Task::Patrol { leg, until: 0.0 };
                }
            }
            _ => {}
        }
    }
    // resolved incidents no longer need their field
    for rec in &mut st.recs {
        if rec.resolved.is_some_and(|r| r <= t) {
            rec.field = None;
        }
    }
}

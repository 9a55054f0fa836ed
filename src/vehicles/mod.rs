//! Vehicles on roads: the traffic model (`traffic.rs`: Newell's car-following, the discrete
//! kinematic wave), vehicle checkpoints (booths at the end of a link: permit check, inspection,
//! detection of the items aboard), destinations where occupants step out into the crowd (bays,
//! taxi ranks, car parks) or trucks unload, and the flows that bring vehicles (their own
//! timetables, or the crowd groups they carry, gathered into vehicles of the class's
//! occupancy). `build.rs` checks and resolves the scenario's `vehicles` section; `report.rs`
//! writes the report's section.
//!
//! One traffic step is `step_every` simulation steps (about 0.25 s), run in `SimSystems::Spawn`
//! before the crowd's arrivals, so occupants let out at a drop-off are placed the same step.

pub mod build;
pub mod crossing;
pub mod report;
pub mod traffic;

use crate::crowd::{ArrivalQueue, ArrivalSystems};
use crate::rng::{MasterSeed, Purpose};
use crate::scenario::model::{DestinationKind, VehicleArrivals};
use crate::schedule::{SimClock, SimSystems};
use bevy::prelude::*;
pub use build::{Route, VehiclesRt};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use traffic::{Event, Next, Traffic};

/// Where a vehicle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Due, waiting to enter the roads at its entry.
    Waiting,
    /// On a link.
    Road,
    /// In a booth of a checkpoint (checkpoint, lane).
    Booth(u16, u16),
    /// Standing at its destination.
    Stopped,
    /// Off the roads for good.
    Gone,
}

/// A vehicle's own data beside the traffic model's.
#[derive(Debug, Clone)]
pub struct VehInfo {
    /// Flow.
    pub flow: u16,
    /// Index of its link in the flow's path.
    pub leg: usize,
    /// Where it is.
    pub stage: Stage,
    /// Occupants who get out on foot: (crowd group, items).
    pub persons: Vec<(u16, u32)>,
    /// Occupants in all (those on foot and any others).
    pub occupants: u32,
    /// Items in the cargo (or on an occupant who stays aboard).
    pub cargo: u32,
    /// Leavers it was called for (a collecting flow's vehicle on its way to them).
    pub reserve: u32,
    /// Leavers aboard, picked up.
    pub riders: u32,
    /// Scheduled entry, s after the start.
    pub t_entry: f64,
    /// Time and path index (−1: the path's start) it last started driving freely from.
    t_ref: f64,
    leg_ref: isize,
    /// Until when it stands in a booth or at its destination.
    until: f64,
    /// When it reached the stop line it waits at.
    at_stop_since: Option<f64>,
    /// Searched at the checkpoint whose booth it is in.
    searched: bool,
    /// Its own route, once a road closed on its flow's was re-routed round (None: the flow's).
    pub detour: Option<Box<Route>>,
}

impl VehInfo {
    /// Its route: its own, or its flow's.
    pub fn route<'a>(&'a self, rt: &'a VehiclesRt) -> &'a Route {
        self.detour.as_deref().unwrap_or(&rt.flows[self.flow as usize].route)
    }
}

/// A vehicle more than this many seconds behind its free-flow schedule, slowed below 90% of
/// its free speed or within two jam spacings of the one in front, and closer than the
/// critical spacing, is in a queue.
pub const QUEUED_DELAY: f64 = 1.0;

/// One planned vehicle (before it is due).
#[derive(Debug, Clone)]
struct Planned {
    t: f64,
    flow: u16,
    persons: Vec<(u16, u32)>,
    occupants: u32,
    cargo: u32,
}

/// Per vehicle checkpoint, what happened.
#[derive(Debug, Clone, Default)]
pub struct CheckpointLog {
    /// Vehicles inspected (turned back ones included).
    pub inspected: u64,
    /// Turned back for want of a permit.
    pub turned_back: u64,
    /// Taken aside with an item found.
    pub intercepted: u64,
    /// Waits before the booth (delay against free flow since the last stop), s.
    pub waits: Vec<f64>,
    /// Longest queue: vehicles, metres, time.
    pub queue_max: (u32, f64, f64),
    /// Seconds the queue reached back to the start of the checkpoint's link (spilling onto
    /// the links before it).
    pub spillback_s: f64,
    /// When it first did, s after the start.
    pub spillback_first: Option<f64>,
    /// Queue in vehicles at each series sample.
    pub queue_series: Vec<u32>,
    /// Per item: carriers inspected, found.
    pub items: Vec<(u64, u64)>,
    /// Seconds booths were busy.
    pub busy_s: f64,
}

/// Per destination, what happened.
#[derive(Debug, Clone, Default)]
pub struct DestinationLog {
    /// Vehicles that stopped.
    pub arrived: u64,
    /// Persons let out on foot.
    pub released: u64,
    /// Most vehicles standing at once.
    pub occupancy_max: u32,
    /// Vehicles standing at each series sample.
    pub occupancy_series: Vec<u32>,
    /// Waits for a free bay or space, s.
    pub waits: Vec<f64>,
    /// Leavers picked up.
    pub picked_up: u64,
    /// Their waits from reaching the pickup to getting in, s.
    pub pickup_waits: Vec<f64>,
    /// When each leaver waiting now got there (the first `reserved` have a vehicle on its way).
    pub leavers: std::collections::VecDeque<f64>,
    /// Leavers with a vehicle on its way to them.
    pub reserved: u32,
    /// Occupancy drawn for the next vehicle to call.
    next_k: Option<u32>,
}

/// Per flow, what happened.
#[derive(Debug, Clone, Default)]
pub struct FlowLog {
    /// Vehicles planned in the run's window.
    pub planned: u64,
    /// Entered the roads.
    pub entered: u64,
    /// Reached their destination.
    pub arrived: u64,
    /// Left the roads at their exit.
    pub left: u64,
    /// Time from scheduled entry to stopping at the destination (or leaving), s.
    pub trip_s: Vec<f64>,
    /// The part of it above the free-flow time, s.
    pub delay_s: Vec<f64>,
}

/// Persons carried, by crowd group: the books that must balance at every step.
#[derive(Debug, Clone, Default)]
pub struct PersonBooks {
    /// Planned aboard vehicles.
    pub planned: Vec<u64>,
    /// Let out on foot.
    pub released: Vec<u64>,
    /// Turned back with their vehicle.
    pub turned_back: Vec<u64>,
    /// Taken aside with their vehicle.
    pub detained: Vec<u64>,
    /// Leavers who reached a pickup.
    pub collected: u64,
    /// Leavers taken away (their vehicle left the roads).
    pub taken_away: u64,
}

/// The vehicles at run time.
#[derive(Resource, Debug)]
pub struct VehicleState {
    /// The resolved section.
    pub rt: Arc<VehiclesRt>,
    /// The traffic model.
    pub traffic: Traffic,
    /// Per vehicle slot of the traffic model, its data.
    pub info: Vec<VehInfo>,
    plan: Vec<Planned>,
    next_plan: usize,
    /// Per entry link, vehicles due and waiting to enter.
    waiting: Vec<std::collections::VecDeque<u32>>,
    /// Per checkpoint, per booth: the vehicle in it.
    pub booths: Vec<Vec<Option<u32>>>,
    /// Per checkpoint, per booth: since when it is free (the service headway starts then).
    free_since: Vec<Vec<f64>>,
    /// Per destination: the vehicles standing there.
    pub stopped: Vec<Vec<u32>>,
    service_rng: Vec<ChaCha8Rng>,
    detect_rng: Vec<ChaCha8Rng>,
    dwell_rng: Vec<ChaCha8Rng>,
    events: Vec<Event>,
    /// Per checkpoint.
    pub checkpoints: Vec<CheckpointLog>,
    /// Per destination.
    pub destinations: Vec<DestinationLog>,
    /// Per flow.
    pub flows: Vec<FlowLog>,
    /// Persons carried.
    pub books: PersonBooks,
    /// Per item: carriers aboard vehicles that entered the roads.
    pub carriers: Vec<u64>,
    /// Per item: carriers aboard vehicles taken aside.
    pub intercepted_items: Vec<u64>,
    series_interval: f64,
    /// Per link, upstream links (those ending where it starts).
    upstream: Vec<Vec<u32>>,
    /// Exits of the crowd read so far.
    exits_read: usize,
    /// Per link, closed to traffic by the timeline.
    pub closed: Vec<bool>,
    /// Vehicles re-routed round closed roads, and those held for want of an open way.
    pub rerouted: (u64, u64),
    /// Per crossing.
    pub crossings: Vec<crossing::CrossingLog>,
    /// Per checkpoint, booths open (the first this many take vehicles; the timeline's `Booths`).
    pub open_booths: Vec<u32>,
}

impl VehInfo {
    /// A vehicle of `flow` due at `t` (s after the start), not yet on the roads.
    fn due(flow: u16, t: f64, persons: Vec<(u16, u32)>, occupants: u32, cargo: u32, reserve: u32) -> VehInfo {
        VehInfo {
            flow,
            leg: 0,
            stage: Stage::Waiting,
            persons,
            occupants,
            cargo,
            reserve,
            riders: 0,
            t_entry: t,
            t_ref: t,
            leg_ref: -1,
            until: 0.0,
            at_stop_since: None,
            searched: false,
            detour: None,
        }
    }
}

impl VehicleState {
    /// Gives vehicle slot `car` its data and puts it in the waiting line of its entry.
    fn admit(&mut self, car: u32, mut info: VehInfo) {
        let entry = info.route(&self.rt).path[0];
        // roads closed on its flow's route: round them from the start
        if self.closed.iter().any(|&c| c) {
            let r = info.route(&self.rt);
            if r.path.iter().any(|&l| self.closed[l as usize])
                && let Some(d) = self
                    .rt
                    .reroute(self.rt.flows[info.flow as usize].class, &self.closed, r, 0)
            {
                info.detour = Some(Box::new(d));
            }
        }
        if car as usize >= self.info.len() {
            self.info.push(info);
        } else {
            self.info[car as usize] = info;
        }
        self.waiting[entry as usize].push_back(car);
    }

    /// The queue at checkpoint `cp` now: vehicles, and its length in metres back from the stop
    /// line (followed onto the links before it).
    pub fn queue_of(&self, cp: usize) -> (u32, f64) {
        let up = &self.upstream;
        let t = self.traffic.now();
        self.traffic.queue_at(
            self.rt.checkpoints[cp].link,
            |l| up[l as usize].clone(),
            |car, close| {
                // held up, and slowed (or in the stop-and-go of a queue): not just late and
                // driving freely now
                let c = &self.traffic.cars[car as usize];
                let f = &self.rt.flows[self.info[car as usize].flow as usize];
                let v = self.rt.classes[f.class as usize]
                    .speed
                    .min(self.rt.links[c.link as usize].speed);
                self.held_up(car, t) > QUEUED_DELAY && (close || self.traffic.speed(car) < 0.9 * v)
            },
        )
    }

    /// How far `car` is behind where it would be in free flow since its last free start, s.
    pub fn held_up(&self, car: u32, t: f64) -> f64 {
        let v = &self.info[car as usize];
        let c = &self.traffic.cars[car as usize];
        let f = &self.rt.flows[v.flow as usize];
        let r = v.route(&self.rt);
        let drive = |i: isize| if i < 0 { 0.0 } else { r.cum_drive[i as usize] };
        let link = &self.rt.links[c.link as usize];
        let speed = self.rt.classes[f.class as usize].speed.min(link.speed);
        let free = drive(v.leg as isize - 1) + c.x / speed - drive(v.leg_ref);
        (t - v.t_ref) - free
    }

    /// Vehicles on the roads, in booths or standing at destinations.
    pub fn present(&self) -> usize {
        self.info
            .iter()
            .filter(|v| matches!(v.stage, Stage::Road | Stage::Booth(..) | Stage::Stopped))
            .count()
    }

    /// Persons of each group aboard vehicles (waiting to enter, on the roads, in booths, or
    /// stopped and not yet out).
    pub fn aboard(&self) -> Vec<u64> {
        let mut a = vec![0u64; self.books.planned.len()];
        for v in &self.info {
            if v.stage != Stage::Gone {
                for &(g, _) in &v.persons {
                    a[g as usize] += 1;
                }
            }
        }
        for p in &self.plan[self.next_plan..] {
            for &(g, _) in &p.persons {
                a[g as usize] += 1;
            }
        }
        a
    }

    /// For each group: planned − (released + turned back + detained + aboard); all zeros when
    /// nobody was lost between the roads and the crowd.
    pub fn imbalance(&self) -> Vec<i64> {
        let a = self.aboard();
        (0..a.len())
            .map(|g| {
                let b = &self.books;
                b.planned[g] as i64 - (b.released[g] + b.turned_back[g] + b.detained[g] + a[g]) as i64
            })
            .collect()
    }

    /// Closes road `link` to traffic (`close`), or opens it again: nobody enters it while it is
    /// closed (those on it drive out), and every vehicle not yet past it, or on a route round
    /// another closure, takes the quickest open way from the link it is on (or waits at its
    /// entry). Returns how many changed their route, and how many have no open way and are held
    /// before the closure.
    pub fn set_road(&mut self, link: u32, close: bool) -> (u64, u64) {
        let Some(c) = self.closed.get_mut(link as usize) else {
            return (0, 0);
        };
        *c = close;
        self.traffic.links[link as usize].closed = close;
        let (mut changed, mut stuck) = (0, 0);
        for car in 0..self.info.len() {
            let v = &self.info[car];
            if v.stage == Stage::Gone {
                continue;
            }
            let r = v.route(&self.rt);
            let ahead = r.path[(v.leg + 1).min(r.path.len())..]
                .iter()
                .any(|&l| self.closed[l as usize]);
            // due at an entry that is closed: held there
            let at_closed_entry = v.stage == Stage::Waiting && self.closed[r.path[0] as usize];
            stuck += u64::from(at_closed_entry);
            if !ahead && v.detour.is_none() {
                continue;
            }
            let class = self.rt.flows[v.flow as usize].class;
            match self.rt.reroute(class, &self.closed, r, v.leg) {
                Some(new) if new.path != r.path => {
                    let own = new.path != self.rt.flows[v.flow as usize].route.path;
                    self.info[car].detour = own.then(|| Box::new(new));
                    changed += 1;
                }
                Some(_) => {}
                None => stuck += u64::from(ahead && !at_closed_entry),
            }
        }
        self.rerouted.0 += changed;
        self.rerouted.1 += stuck;
        (changed, stuck)
    }

    /// Where a vehicle is drawn: position and direction (None off the roads and in no booth).
    pub fn place_of(&self, car: u32) -> Option<(Vec2, Vec2)> {
        let c = &self.traffic.cars[car as usize];
        let v = &self.info[car as usize];
        match v.stage {
            Stage::Road => {
                let l = &self.rt.links[c.link as usize];
                Some((l.point_at(c.x), l.direction_at(c.x)))
            }
            Stage::Booth(..) | Stage::Stopped => {
                let l = &self.rt.links[v.route(&self.rt).path[v.leg] as usize];
                Some((l.point_at(l.length), l.direction_at(l.length)))
            }
            _ => None,
        }
    }
}

/// The vehicles plugin: the section's runtime state and the traffic step.
pub struct VehiclesPlugin(pub Option<Arc<VehiclesRt>>, pub f64);

impl Plugin for VehiclesPlugin {
    fn build(&self, app: &mut App) {
        let Some(rt) = self.0.clone() else { return };
        let seed = *app.world().resource::<MasterSeed>();
        let clock = *app.world().resource::<SimClock>();
        let series_interval = self.1;
        let world = app.world_mut();
        let st = world
            .resource_scope(|_, mut queue: Mut<ArrivalQueue>| new_state(rt, seed, clock, &mut queue, series_interval));
        world.insert_resource(st);
        app.add_systems(
            SimStep,
            (crossing::step_crossings, step_vehicles)
                .chain()
                .in_set(SimSystems::Spawn)
                .before(ArrivalSystems),
        );
    }
}

use crate::schedule::SimStep;

fn draw_cargo(cargo: &[Vec<f64>], class: usize, rng: &mut ChaCha8Rng) -> u32 {
    let mut items = 0;
    for (k, shares) in cargo.iter().enumerate().take(32) {
        let f = shares.get(class).copied().unwrap_or(0.0);
        if f > 0.0 && rng.random::<f64>() < f {
            items |= 1 << k;
        }
    }
    items
}

/// Entry times of a flow's own arrivals, s after the start, within the run.
fn entry_times(a: &VehicleArrivals, start: f64, duration: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut times = Vec::new();
    match a {
        VehicleArrivals::Rates(steps) => crate::rng::poisson_times(steps, start, duration, rng, &mut times),
        VehicleArrivals::Count { count, from, to } => {
            crate::rng::uniform_times(*count, from.0, to.0, start, duration, rng, &mut times)
        }
        VehicleArrivals::Every { every, from, to } => {
            let (a, b) = (from.0 - start, to.0 - start);
            let mut k = 0u64;
            loop {
                let t = a + k as f64 * every;
                if t >= b || t > duration {
                    break;
                }
                if t >= 0.0 {
                    times.push(t);
                }
                k += 1;
            }
        }
    }
    times.sort_by(f64::total_cmp);
    times
}

fn new_state(
    rt: Arc<VehiclesRt>,
    seed: MasterSeed,
    clock: SimClock,
    queue: &mut ArrivalQueue,
    series_interval: f64,
) -> VehicleState {
    let dt = clock.dt * rt.step_every as f64 / rt.substeps as f64;
    let links = rt
        .links
        .iter()
        .map(|l| traffic::Link {
            length: l.length,
            lanes: l.lanes,
            speed: l.speed,
            closed: false,
            red: false,
            // a crossing at its end: the stop line is before it
            stop_back: (rt.crossings.iter())
                .find(|c| c.node == l.to)
                .map_or(0.0, |c| c.stop_back(l)),
        })
        .collect();
    let classes = rt
        .classes
        .iter()
        .map(|c| traffic::Class {
            spacing: c.spacing,
            tau: c.tau,
            speed: c.speed,
        })
        .collect();
    let traffic = Traffic::new(links, classes, dt);
    let ngroups = queue.times.len();
    let mut books = PersonBooks {
        planned: vec![0; ngroups],
        released: vec![0; ngroups],
        turned_back: vec![0; ngroups],
        detained: vec![0; ngroups],
        collected: 0,
        taken_away: 0,
    };
    let nitems = rt.items.len();
    let carriers_foot = |g: usize| -> Vec<f64> {
        (0..nitems)
            .map(|k| rt.carriers.get(k).and_then(|v| v.get(g)).copied().unwrap_or(0.0))
            .collect()
    };
    let mut plan = Vec::new();
    let mut flows_log = vec![FlowLog::default(); rt.flows.len()];
    for (fi, f) in rt.flows.iter().enumerate() {
        let mut rng = seed.stream(Purpose::VehicleAgents, fi as u64);
        let class = &rt.classes[f.class as usize];
        let draw_occ = |rng: &mut ChaCha8Rng| -> u32 {
            (crate::rng::sample(&class.occupancy, rng).round().max(1.0) as u32).min(class.seats)
        };
        if let Some(a) = &f.arrivals {
            let mut arng = seed.stream(Purpose::VehicleArrivals, fi as u64);
            for t in entry_times(a, clock.start, clock.duration, &mut arng) {
                let occupants = draw_occ(&mut rng);
                let cargo = draw_cargo(&rt.cargo, f.class as usize, &mut rng);
                plan.push(Planned {
                    t,
                    flow: fi as u16,
                    persons: Vec::new(),
                    occupants,
                    cargo,
                });
            }
        } else {
            // the carried groups' arrival times (at the place where they get out), in order,
            // gathered into vehicles; each enters early by the free-flow time to its stop
            let mut people: Vec<(f64, u16)> = Vec::new();
            for &g in &f.carries {
                let times = std::mem::take(&mut queue.times[g]);
                queue.next[g] = 0;
                people.extend(times.into_iter().map(|t| (t, g as u16)));
            }
            people.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let lead = f.route.time_to_stop();
            let mut i = 0;
            while i < people.len() {
                let k = draw_occ(&mut rng) as usize;
                let chunk = &people[i..(i + k).min(people.len())];
                let mean_t = chunk.iter().map(|p| p.0).sum::<f64>() / chunk.len() as f64;
                let persons: Vec<(u16, u32)> = chunk
                    .iter()
                    .map(|&(_, g)| {
                        let shares = carriers_foot(g as usize);
                        let mut items = 0u32;
                        for (k, &s) in shares.iter().enumerate().take(32) {
                            if s > 0.0 && rng.random::<f64>() < s {
                                items |= 1 << k;
                            }
                        }
                        (g, items)
                    })
                    .collect();
                for &(g, _) in &persons {
                    books.planned[g as usize] += 1;
                }
                let cargo = draw_cargo(&rt.cargo, f.class as usize, &mut rng);
                plan.push(Planned {
                    t: (mean_t - lead).max(0.0),
                    flow: fi as u16,
                    occupants: persons.len() as u32,
                    persons,
                    cargo,
                });
                i += k;
            }
        }
    }
    plan.sort_by(|a, b| a.t.total_cmp(&b.t).then(a.flow.cmp(&b.flow)));
    for p in &plan {
        flows_log[p.flow as usize].planned += 1;
    }
    let mut upstream = vec![Vec::new(); rt.links.len()];
    for (li, l) in rt.links.iter().enumerate() {
        upstream[li] = rt.links_in[l.from as usize].clone();
    }
    let held: u64 = plan.len() as u64;
    queue.held_elsewhere = held;
    VehicleState {
        traffic,
        info: Vec::new(),
        next_plan: 0,
        plan,
        waiting: vec![Default::default(); rt.links.len()],
        booths: rt.checkpoints.iter().map(|c| vec![None; c.lanes as usize]).collect(),
        free_since: rt.checkpoints.iter().map(|c| vec![c.open; c.lanes as usize]).collect(),
        stopped: vec![Vec::new(); rt.destinations.len()],
        service_rng: (0..rt.checkpoints.len())
            .map(|k| seed.stream(Purpose::VehicleService, k as u64))
            .collect(),
        detect_rng: (0..rt.checkpoints.len())
            .map(|k| seed.stream(Purpose::VehicleDetection, k as u64))
            .collect(),
        dwell_rng: (0..rt.destinations.len())
            .map(|k| seed.stream(Purpose::VehicleAgents, (1 << 30) + k as u64))
            .collect(),
        events: Vec::new(),
        checkpoints: rt
            .checkpoints
            .iter()
            .map(|_| CheckpointLog {
                items: vec![(0, 0); nitems],
                ..Default::default()
            })
            .collect(),
        destinations: vec![DestinationLog::default(); rt.destinations.len()],
        flows: flows_log,
        books,
        carriers: vec![0; nitems],
        intercepted_items: vec![0; nitems],
        series_interval: if series_interval > 0.0 { series_interval } else { 60.0 },
        upstream,
        exits_read: 0,
        closed: vec![false; rt.links.len()],
        rerouted: (0, 0),
        crossings: vec![crossing::CrossingLog::default(); rt.crossings.len()],
        open_booths: rt.checkpoints.iter().map(|c| c.lanes).collect(),
        rt,
    }
}

/// The delay of `car` against free flow since its last free start, on reaching the end of its
/// current link now.
fn delay(st: &VehicleState, car: u32, t: f64) -> f64 {
    let v = &st.info[car as usize];
    let f = &st.rt.flows[v.flow as usize];
    let r = v.route(&st.rt);
    let drive = |i: isize| if i < 0 { 0.0 } else { r.cum_drive[i as usize] };
    // where it stops, the booths or bays begin one jam spacing before the end of the link
    let l = r.path[v.leg];
    let link = &st.rt.links[l as usize];
    let stops = link.checkpoint.is_some() || r.stop == Some(v.leg);
    let zone = if stops {
        let c = &st.rt.classes[f.class as usize];
        c.spacing / f64::from(link.lanes) / c.speed.min(link.speed)
    } else {
        0.0
    };
    (t - v.t_ref) - (drive(v.leg as isize) - drive(v.leg_ref) - zone)
}

fn step_vehicles(
    clock: Res<SimClock>,
    mut st: ResMut<VehicleState>,
    mut queue: ResMut<ArrivalQueue>,
    log: Res<crate::crowd::CrowdLog>,
) {
    let st = &mut *st;
    if clock.tick.is_multiple_of(st.rt.step_every) {
        for k in 0..st.rt.substeps {
            let t = clock.t() + k as f64 * st.traffic.dt;
            traffic_step(st, &mut queue, &log, t);
        }
    }
    // the series rows fall at the ends of the same steps as the crowd's (metrics, halls,
    // checkpoints): every round(interval / dt) steps
    let every = ((st.series_interval / clock.dt).round() as u64).max(1);
    if (clock.tick + 1).is_multiple_of(every) {
        for ci in 0..st.rt.checkpoints.len() {
            let (n, _) = st.queue_of(ci);
            st.checkpoints[ci].queue_series.push(n);
        }
        for di in 0..st.rt.destinations.len() {
            let n = st.stopped[di].len() as u32;
            st.destinations[di].occupancy_series.push(n);
        }
    }
}

/// One traffic step from `t` (s after the start).
fn traffic_step(st: &mut VehicleState, queue: &mut ArrivalQueue, log: &crate::crowd::CrowdLog, t: f64) {
    let rt = st.rt.clone();
    // --- leavers reaching a pickup wait there; a vehicle is called for them
    for &(te, target, _) in &log.exits[st.exits_read..] {
        for (di, d) in rt.destinations.iter().enumerate() {
            if (d.collector.is_some() || d.owners_return()) && d.pickup == Some(usize::from(target)) {
                st.destinations[di].leavers.push_back(te);
                st.books.collected += 1;
            }
        }
    }
    st.exits_read = log.exits.len();
    for (di, d) in rt.destinations.iter().enumerate() {
        let Some(fi) = d.collector else { continue };
        let f = &rt.flows[fi as usize];
        let Some(call_after) = f.collects else { continue };
        loop {
            let dl = &mut st.destinations[di];
            let unassigned = dl.leavers.len() as u32 - dl.reserved;
            if unassigned == 0 {
                break;
            }
            let class = &rt.classes[f.class as usize];
            let k = match dl.next_k {
                Some(k) => k,
                None => {
                    let k = (crate::rng::sample(&class.occupancy, &mut st.dwell_rng[di])
                        .round()
                        .max(1.0) as u32)
                        .min(class.seats);
                    dl.next_k = Some(k);
                    k
                }
            };
            let oldest = dl.leavers[dl.reserved as usize];
            if unassigned < k && t - oldest < call_after {
                break;
            }
            let n = unassigned.min(k);
            dl.reserved += n;
            dl.next_k = None;
            let car = st.traffic.add(f.class);
            st.admit(car, VehInfo::due(fi, t, Vec::new(), 0, 0, n));
            st.flows[fi as usize].planned += 1;
        }
    }
    // --- vehicles due join their entry's waiting line
    while st.next_plan < st.plan.len() && st.plan[st.next_plan].t <= t {
        let p = std::mem::replace(
            &mut st.plan[st.next_plan],
            Planned {
                t: 0.0,
                flow: 0,
                persons: Vec::new(),
                occupants: 0,
                cargo: 0,
            },
        );
        st.next_plan += 1;
        let f = &rt.flows[p.flow as usize];
        let car = st.traffic.add(f.class);
        st.admit(car, VehInfo::due(p.flow, p.t, p.persons, p.occupants, p.cargo, 0));
    }
    // --- one enters each entry whose start has room
    for li in 0..st.waiting.len() {
        if let Some(&car) = st.waiting[li].front()
            && st.traffic.try_enter(car, li as u32)
        {
            st.waiting[li].pop_front();
            let v = &mut st.info[car as usize];
            v.stage = Stage::Road;
            let fl = &mut st.flows[v.flow as usize];
            fl.entered += 1;
            for (k, c) in st.carriers.iter_mut().enumerate() {
                let aboard =
                    v.persons.iter().filter(|p| p.1 >> k & 1 == 1).count() as u64 + u64::from(v.cargo >> k & 1);
                *c += aboard;
            }
        }
    }
    // --- booths: those done are turned back, taken aside or drive on
    for ci in 0..rt.checkpoints.len() {
        let cp = &rt.checkpoints[ci];
        for lane in 0..st.booths[ci].len() {
            let Some(car) = st.booths[ci][lane] else { continue };
            if st.info[car as usize].until > t {
                st.checkpoints[ci].busy_s += st.traffic.dt;
                continue;
            }
            let class = st.traffic.cars[car as usize].class as usize;
            let v = &st.info[car as usize];
            let permitted = rt.classes[class].permits.get(cp.ring as usize).copied().unwrap_or(true);
            let done_at = st.info[car as usize].until;
            if !permitted {
                st.checkpoints[ci].turned_back += 1;
                finish(st, car, Outcome::TurnedBack);
                st.booths[ci][lane] = None;
                st.free_since[ci][lane] = done_at;
                continue;
            }
            if v.searched {
                // searched already (held while a carrier was taken off, or waiting for room)
                if st.info[car as usize].at_stop_since.is_none() {
                    st.info[car as usize].at_stop_since = Some(done_at);
                }
            } else {
                // look for what is aboard: each carrier, and the cargo
                let rng = &mut st.detect_rng[ci];
                let log = &mut st.checkpoints[ci];
                let mut test = |items: u32| -> bool {
                    let mut found = false;
                    for (k, &p) in cp.detection.iter().enumerate().take(32) {
                        if items >> k & 1 == 1 {
                            log.items[k].0 += 1;
                            if p > 0.0 && rng.random::<f64>() < p {
                                log.items[k].1 += 1;
                                found = true;
                            }
                        }
                    }
                    found
                };
                let found: Vec<bool> = v.persons.iter().map(|p| p.1 != 0 && test(p.1)).collect();
                let cargo_found = v.cargo != 0 && test(v.cargo);
                st.info[car as usize].searched = true;
                if cargo_found || found.iter().any(|&f| f) {
                    st.checkpoints[ci].intercepted += 1;
                }
                if cargo_found {
                    // the vehicle is taken aside, with everyone aboard
                    finish(st, car, Outcome::Detained);
                    st.booths[ci][lane] = None;
                    st.free_since[ci][lane] = done_at;
                    continue;
                }
                if found.iter().any(|&f| f) {
                    // the carriers found are taken off; the vehicle is held, then drives on
                    let v = &mut st.info[car as usize];
                    let mut k = 0;
                    v.persons.retain(|&(g, items)| {
                        let keep = !found[k];
                        k += 1;
                        if !keep {
                            st.books.detained[g as usize] += 1;
                            for (b, n) in st.intercepted_items.iter_mut().enumerate() {
                                *n += u64::from(items >> b & 1);
                            }
                        }
                        keep
                    });
                    v.occupants = v.occupants.saturating_sub(found.iter().filter(|&&f| f).count() as u32);
                    v.until = done_at + crate::rng::sample(&cp.hold, &mut st.detect_rng[ci]);
                    st.checkpoints[ci].busy_s += st.traffic.dt;
                    continue;
                }
                st.info[car as usize].at_stop_since = Some(done_at);
            }
            // drive on: into the next link, or off the roads where the path ends
            let v = &st.info[car as usize];
            let f = v.route(&rt);
            let ready = v.at_stop_since.unwrap_or(t);
            if v.leg + 1 >= f.path.len() {
                st.booths[ci][lane] = None;
                st.free_since[ci][lane] = ready;
                finish(st, car, Outcome::Left);
                continue;
            }
            let next = f.path[v.leg + 1];
            if st.traffic.try_enter(car, next) {
                st.booths[ci][lane] = None;
                // free from when it was done, or from now if it had to wait for room
                st.free_since[ci][lane] = if ready > t - st.traffic.dt - 1e-9 { ready } else { t };
                let v = &mut st.info[car as usize];
                v.leg += 1;
                v.stage = Stage::Road;
                v.t_ref = t;
                v.leg_ref = v.leg as isize - 1;
                v.at_stop_since = None;
                v.searched = false;
            } else {
                st.checkpoints[ci].busy_s += st.traffic.dt;
            }
        }
    }
    // --- car parks: leavers at the pickup get into the cars parked longest, as many as each
    // brought; a full car drives off `dwell` later
    for (di, d) in rt.destinations.iter().enumerate() {
        if !d.owners_return() || st.destinations[di].leavers.is_empty() {
            continue;
        }
        for k in 0..st.stopped[di].len() {
            let car = st.stopped[di][k] as usize;
            if st.info[car].until.is_finite() {
                continue;
            }
            let dl = &mut st.destinations[di];
            let v = &mut st.info[car];
            while v.reserve > 0
                && let Some(since) = dl.leavers.pop_front()
            {
                dl.pickup_waits.push(t - since);
                dl.picked_up += 1;
                v.reserve -= 1;
                v.riders += 1;
            }
            if v.reserve == 0 {
                v.occupants = v.riders;
                v.until = t + crate::rng::sample(&d.dwell, &mut st.dwell_rng[di]);
            }
            if st.destinations[di].leavers.is_empty() {
                break;
            }
        }
    }
    // --- destinations: those done drive on
    for di in 0..rt.destinations.len() {
        let mut k = 0;
        while k < st.stopped[di].len() {
            let car = st.stopped[di][k];
            if st.info[car as usize].until > t {
                k += 1;
                continue;
            }
            let v = &st.info[car as usize];
            let f = v.route(&rt);
            if v.leg + 1 >= f.path.len() {
                st.stopped[di].remove(k);
                finish(st, car, Outcome::Left);
                continue;
            }
            if st.traffic.try_enter(car, f.path[v.leg + 1]) {
                st.stopped[di].remove(k);
                let v = &mut st.info[car as usize];
                v.leg += 1;
                v.stage = Stage::Road;
                v.t_ref = t;
                v.leg_ref = v.leg as isize - 1;
                v.at_stop_since = None;
            } else {
                k += 1;
            }
        }
    }
    // --- the traffic step
    let mut events = std::mem::take(&mut st.events);
    {
        let info = &st.info;
        st.traffic.step(
            |car, link| {
                let v = &info[car as usize];
                let f = v.route(&rt);
                let l = &rt.links[link as usize];
                if l.checkpoint.is_some() || f.stop == Some(v.leg) {
                    Next::Stop
                } else if v.leg + 1 < f.path.len() {
                    Next::Link(f.path[v.leg + 1])
                } else {
                    Next::Leave
                }
            },
            &mut events,
        );
    }
    let t_after = t + st.traffic.dt;
    for e in &events {
        match *e {
            Event::Crossed { car, .. } => st.info[car as usize].leg += 1,
            Event::Left { car, .. } => {
                let d = delay(st, car, t_after);
                let v = &st.info[car as usize];
                let fl = &mut st.flows[v.flow as usize];
                if v.route(&rt).stop.is_none() {
                    fl.trip_s.push(t_after - v.t_entry);
                    fl.delay_s.push(d);
                }
                finish(st, car, Outcome::Left);
            }
            Event::AtStop { car, link } => {
                let l = &rt.links[link as usize];
                if st.info[car as usize].at_stop_since.is_none() {
                    st.info[car as usize].at_stop_since = Some(t_after);
                }
                if let Some(ci) = l.checkpoint {
                    let ci = ci as usize;
                    let cp = &rt.checkpoints[ci];
                    if !(t_after >= cp.open && t_after < cp.close) {
                        continue;
                    }
                    let open = st.open_booths[ci] as usize;
                    let Some(lane) = st.booths[ci].iter().take(open).position(|b| b.is_none()) else {
                        continue;
                    };
                    let Some(got) = st.traffic.take_front(link) else {
                        continue;
                    };
                    debug_assert_eq!(got, car);
                    // the headway starts when the booth freed, or when this one got there
                    let arrived = st.info[car as usize].at_stop_since.unwrap_or(t_after);
                    let begin = arrived.max(st.free_since[ci][lane]);
                    let w = delay(st, car, begin);
                    st.checkpoints[ci].waits.push(w.max(0.0));
                    st.checkpoints[ci].inspected += 1;
                    let class = st.traffic.cars[car as usize].class as usize;
                    let s = crate::rng::service(&cp.inspection[class], &mut st.service_rng[ci]);
                    let v = &mut st.info[car as usize];
                    v.stage = Stage::Booth(ci as u16, lane as u16);
                    v.until = begin + s;
                    v.at_stop_since = None;
                    st.booths[ci][lane] = Some(car);
                } else if let Some(di) = l.destination {
                    let di = di as usize;
                    let d = &rt.destinations[di];
                    if st.stopped[di].len() >= d.capacity as usize {
                        continue;
                    }
                    let Some(got) = st.traffic.take_front(link) else {
                        continue;
                    };
                    debug_assert_eq!(got, car);
                    let since = st.info[car as usize].at_stop_since.unwrap_or(t_after);
                    st.destinations[di].waits.push(t_after - since);
                    st.destinations[di].arrived += 1;
                    let trip = t_after - st.info[car as usize].t_entry;
                    let dl = delay(st, car, t_after);
                    let fi = st.info[car as usize].flow as usize;
                    st.flows[fi].arrived += 1;
                    st.flows[fi].trip_s.push(trip);
                    st.flows[fi].delay_s.push(dl);
                    let dwell = crate::rng::sample(&d.dwell, &mut st.dwell_rng[di]);
                    // leavers it was called for get in
                    let reserve = std::mem::take(&mut st.info[car as usize].reserve);
                    if reserve > 0 {
                        let dl = &mut st.destinations[di];
                        for _ in 0..reserve.min(dl.leavers.len() as u32) {
                            if let Some(since) = dl.leavers.pop_front() {
                                dl.pickup_waits.push(t_after - since);
                                dl.picked_up += 1;
                            }
                        }
                        dl.reserved -= reserve.min(dl.reserved);
                        st.info[car as usize].riders = reserve;
                        st.info[car as usize].occupants = reserve;
                    }
                    let persons = std::mem::take(&mut st.info[car as usize].persons);
                    // a car park's car waits for as many leavers as it brought
                    let owners = persons.len() as u32;
                    for (g, items) in persons {
                        queue.waiting[g as usize] += 1;
                        queue.preset[g as usize].push_back(items);
                        st.books.released[g as usize] += 1;
                        st.destinations[di].released += 1;
                    }
                    let v = &mut st.info[car as usize];
                    v.stage = Stage::Stopped;
                    v.until = t_after + dwell;
                    if d.owners_return() && owners > 0 {
                        v.until = f64::INFINITY;
                        v.reserve = owners;
                        v.occupants = 0;
                    }
                    v.at_stop_since = None;
                    st.stopped[di].push(car);
                    let n = st.stopped[di].len() as u32;
                    let log = &mut st.destinations[di];
                    log.occupancy_max = log.occupancy_max.max(n);
                }
            }
        }
    }
    st.events = events;
    // --- queues at the checkpoints
    for (ci, cp) in rt.checkpoints.iter().enumerate() {
        let (n, m) = st.queue_of(ci);
        let log = &mut st.checkpoints[ci];
        if n > log.queue_max.0 {
            log.queue_max = (n, m, t_after);
        }
        if m >= rt.links[cp.link as usize].length - 1e-6 && n > 0 {
            log.spillback_s += st.traffic.dt;
            log.spillback_first.get_or_insert(t_after);
        }
    }
    // the run goes on while vehicles are to come or about
    let present = st.info.iter().filter(|v| v.stage != Stage::Gone).count();
    let leavers: usize = st.destinations.iter().map(|d| d.leavers.len()).sum();
    queue.held_elsewhere = (st.plan.len() - st.next_plan + present + leavers) as u64;
    debug_assert!(
        st.imbalance().iter().all(|&x| x == 0),
        "persons lost between roads and crowd"
    );
}

enum Outcome {
    TurnedBack,
    Detained,
    Left,
}

/// A vehicle goes off the roads for good.
fn finish(st: &mut VehicleState, car: u32, why: Outcome) {
    let v = &mut st.info[car as usize];
    if matches!(why, Outcome::Detained) {
        for (k, n) in st.intercepted_items.iter_mut().enumerate() {
            *n += v.persons.iter().filter(|p| p.1 >> k & 1 == 1).count() as u64 + u64::from(v.cargo >> k & 1);
        }
    }
    let persons = std::mem::take(&mut v.persons);
    for (g, _) in persons {
        match why {
            Outcome::TurnedBack => st.books.turned_back[g as usize] += 1,
            Outcome::Detained => st.books.detained[g as usize] += 1,
            // nobody is aboard a vehicle leaving the roads: they got out at its destination
            Outcome::Left => debug_assert!(false, "a vehicle left with persons aboard"),
        }
    }
    if matches!(why, Outcome::Left) {
        st.flows[v.flow as usize].left += 1;
    }
    st.books.taken_away += u64::from(std::mem::take(&mut v.riders));
    v.stage = Stage::Gone;
    let c = &mut st.traffic.cars[car as usize];
    c.on_road = false;
    st.traffic.remove(car);
}

impl DestinationKind {
    /// Its name in reports.
    pub fn label(self) -> &'static str {
        match self {
            DestinationKind::DropOff => "drop-off",
            DestinationKind::TaxiRank => "taxi rank",
            DestinationKind::CarPark => "car park",
            DestinationKind::LoadingDock => "loading dock",
        }
    }
}

//! Checkpoint systems: route planning across rings, joining queues, screening, interception,
//! and the per-checkpoint records the report reads.

use super::queue::{LanePolicy, ServiceQueue, Started};
use crate::crowd::{
    Agent, CrowdCounters, CrowdLog, FlowMeter, Held, Leg, NeedsRoute, Position, Standing, Velocity, Via, Walking,
};
use crate::rng::{MasterSeed, Purpose};
use crate::scenario::model::{LaneChoice, WhenFull};
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::Venue;
use crate::venue::security::CheckpointRt;
use bevy::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, VecDeque};

/// Standing in a checkpoint's queue.
///
/// In a pen people stand in files facing the lanes, `spacing` apart (see
/// [`crate::venue::security::CheckpointRt::files`]). Someone who has just joined walks to the back of their file; from
/// then on they step up along it as the people ahead leave, never closer than one place to the
/// person ahead, and a lane takes them only once they have reached the head of the file: a
/// queue never stands denser than its places, nobody walks through the people ahead, and a
/// queue moves up no faster than people walk.
#[derive(Component, Debug, Clone, Copy)]
pub struct Queued {
    /// Checkpoint.
    pub cp: u16,
    /// File of the pen (unused in a holding area).
    pub file: u16,
    /// When the person reached the head of the file (a holding area: when they joined).
    pub ready_at: Option<f64>,
    /// When they reached the back of their file (a holding area: when they joined): their wait
    /// in the queue counts from here (the walk through an empty pen is not waiting).
    pub in_line_at: Option<f64>,
}

/// Someone in a file of a checkpoint's pen (see [`Queued`]), kept with the file so that those
/// standing still at their place cost no look-up in a step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InFile {
    /// Agent id.
    pub id: u64,
    /// Rows from the head of the file where the person stands (fractional while stepping up);
    /// `None` while still walking to the back of the file.
    pub at: Option<f32>,
    /// Whether their [`Queued::ready_at`] is set.
    pub ready: bool,
}

/// In a checkpoint's queue outside its full pen, waiting for a place in it. Whoever reaches the
/// pen while it is full waits where they stand at its edge ([`Held`]: they take space but do
/// not walk); whoever walks up to someone queueing outside it has reached the back of the queue
/// and walks on as the crowd lets them, so the queue goes on outside the pen as real people at
/// the density the crowd model gives. Both keep their [`Walking`] plan and count in the queue's
/// length; the first to queue gets the first free place.
#[derive(Component, Debug, Clone, Copy)]
pub struct PenWaiting {
    /// Checkpoint.
    pub cp: u16,
    /// When they started waiting here.
    pub since: f64,
}

/// Let through a metered door: walking out through door `.0` (see [`meter_doors`]).
#[derive(Component, Debug, Clone, Copy)]
pub struct DoorPass(pub u16);

/// Waiting just inside a metered door (and [`Held`]) for the meter to let them through.
#[derive(Component, Debug, Clone, Copy)]
pub struct DoorWaiting {
    /// Door.
    pub door: u16,
    /// Since when, s after the start.
    pub since: f64,
}

/// Being screened in a lane until `end`.
#[derive(Component, Debug, Clone, Copy)]
pub struct Screening {
    /// Checkpoint.
    pub cp: u16,
    /// Lane.
    pub lane: u16,
    /// End of screening, s after the start.
    pub end: f64,
}

/// One interception.
#[derive(Debug, Clone, PartialEq)]
pub struct Intercepted {
    /// Time, s after the start.
    pub t: f64,
    /// Checkpoint.
    pub cp: u16,
    /// Item class index.
    pub item: u16,
    /// Where.
    pub at: Vec2,
    /// The carrier's crowd group.
    pub group: u16,
}

/// Running records of one checkpoint.
#[derive(Debug, Clone, Default)]
pub struct CpRecord {
    /// Waits (service start − join), s.
    pub waits: Vec<f64>,
    /// The crowd group of each wait's person.
    pub wait_groups: Vec<u16>,
    /// Service end times, s.
    pub served: Vec<f64>,
    /// ∫ queue length dt.
    pub queue_area: f64,
    /// Longest queue and when.
    pub queue_max: (u64, f64),
    /// Seconds the queue was at or above its limit.
    pub over_limit_s: f64,
    /// Arrivals sent to another checkpoint because this one was full.
    pub diverted: u64,
    /// Arrival-steps held back at a full queue.
    pub held: u64,
    /// Queue length at each series row.
    pub queue_series: Vec<u64>,
    /// Screened per item class: (carriers screened, detected).
    pub screened: Vec<(u64, u64)>,
    /// Seconds open.
    pub open_s: f64,
    /// Persons who joined the queue.
    pub joined: u64,
    /// Persons turned away: their visitor class is not among those it admits.
    pub turned_away: u64,
}

/// Queues, random streams and records of all checkpoints.
#[derive(Resource, Debug)]
pub struct CheckpointState {
    /// One service core per checkpoint.
    pub queues: Vec<ServiceQueue>,
    /// Queued agent per id, per checkpoint (a fixed-seed hash map, looked up every step for
    /// everyone queueing; sort before iterating).
    pub members: Vec<bevy::platform::collections::HashMap<u64, Entity>>,
    /// Per checkpoint, per file of its pen: who stands in it, head first.
    pub files: Vec<Vec<VecDeque<InFile>>>,
    service_rng: Vec<ChaCha8Rng>,
    detect_rng: Vec<ChaCha8Rng>,
    /// Records per checkpoint.
    pub records: Vec<CpRecord>,
    /// Per door, when each person came out through it, s after the start.
    pub doors: Vec<Vec<f64>>,
    /// Per door, the people on their way out through it now.
    pub door_heading: Vec<u32>,
    /// Per checkpoint, when an evacuation order closed it (its lanes take nobody new).
    pub closed_at: Vec<Option<f64>>,
    /// Per checkpoint, whether the contingency timeline has it closed now.
    pub plan_closed: Vec<bool>,
    /// Per door, whether the contingency timeline has it closed now.
    pub door_closed: Vec<bool>,
    /// Per door, its meter (the contingency timeline's `MeterDoor`).
    pub door_meter: Vec<FlowMeter>,
    /// Whether a door is metered now or was until [`meter_doors`] last let its waiting go.
    door_metering: bool,
    /// Per checkpoint, how many wait at the edge of its full pen ([`PenWaiting`]).
    pub outside: Vec<u32>,
    /// Every interception.
    pub intercepted: Vec<Intercepted>,
    /// Time from first joining a queue to passing the last ring inwards, s.
    pub time_to_enter: Vec<f64>,
    /// The visitor class of each of those.
    pub time_to_enter_class: Vec<Option<u16>>,
    /// The visitor class of each person turned away at a checkpoint.
    pub turned_away_class: Vec<Option<u16>>,
    /// Carriers of each item class who reached a screening lane for the first time.
    pub first_screened: Vec<u64>,
    started: Vec<Started>,
    finished: Vec<Started>,
}

impl CheckpointState {
    /// Fresh state for the venue's checkpoints.
    pub fn new(venue: &Venue, seed: MasterSeed) -> CheckpointState {
        let cps = &venue.security.checkpoints;
        let items = venue.security.items.len();
        CheckpointState {
            queues: cps
                .iter()
                .map(|c| {
                    let policy = match c.policy {
                        LaneChoice::SharedQueue => LanePolicy::SharedQueue,
                        LaneChoice::ShortestQueue => LanePolicy::ShortestQueue,
                    };
                    ServiceQueue::new(c.lanes, policy, c.open.max(0.0)).with_lookahead(c.files().min(256))
                })
                .collect(),
            members: vec![Default::default(); cps.len()],
            files: cps.iter().map(|c| vec![VecDeque::new(); c.files()]).collect(),
            service_rng: (0..cps.len())
                .map(|k| seed.stream(Purpose::Service, k as u64))
                .collect(),
            detect_rng: (0..cps.len())
                .map(|k| seed.stream(Purpose::Detection, k as u64))
                .collect(),
            records: vec![
                CpRecord {
                    screened: vec![(0, 0); items],
                    ..Default::default()
                };
                cps.len()
            ],
            doors: vec![Vec::new(); venue.security.doors.len()],
            door_heading: vec![0; venue.security.doors.len()],
            door_closed: vec![false; venue.security.doors.len()],
            door_meter: vec![FlowMeter::default(); venue.security.doors.len()],
            door_metering: false,
            closed_at: vec![None; cps.len()],
            plan_closed: vec![false; cps.len()],
            outside: vec![0; cps.len()],
            intercepted: Vec::new(),
            time_to_enter: Vec::new(),
            time_to_enter_class: Vec::new(),
            turned_away_class: Vec::new(),
            first_screened: vec![0; items],
            started: Vec::new(),
            finished: Vec::new(),
        }
    }
}

impl CheckpointState {
    /// Takes person `id` out of checkpoint `k`'s queue and its pen's file `file` (None: whichever
    /// file holds them); the caller changes their components.
    pub fn leave_queue(&mut self, k: usize, id: u64, file: Option<u16>) {
        self.queues[k].leave(id);
        self.members[k].remove(&id);
        for (i, f) in self.files[k].iter_mut().enumerate() {
            if file.is_none_or(|x| usize::from(x) == i) {
                f.retain(|x| x.id != id);
            }
        }
    }

    /// Length of checkpoint `k`'s queue: those in its pen or holding area and those waiting at
    /// the edge of its full pen.
    pub fn queue_length(&self, k: usize) -> usize {
        self.queues[k].queued() + self.outside.get(k).map_or(0, |&n| n as usize)
    }

    /// When checkpoint `k` stops taking anyone new, s after the start: its `close` time or an
    /// evacuation order's, whichever is earlier; minus infinity while the timeline has it
    /// closed; infinity for never.
    pub fn close_time(&self, k: usize, cp: &CheckpointRt) -> f64 {
        if self.plan_closed[k] {
            return f64::NEG_INFINITY;
        }
        self.closed_at[k].map_or(cp.close, |c| c.min(cp.close))
    }
}

/// Checkpoint plugin.
pub struct CheckpointPlugin;

impl Plugin for CheckpointPlugin {
    fn build(&self, app: &mut App) {
        let w = app.world();
        let state = CheckpointState::new(w.resource::<Venue>(), *w.resource::<crate::rng::MasterSeed>());
        app.insert_resource(state);
        app.add_systems(
            SimStep,
            plan_routes.in_set(SimSystems::Route).after(crate::crowd::RouteSystems),
        );
        app.add_systems(
            SimStep,
            (join_or_pass, meter_doors, serve, walk_up_queues, record_queues)
                .chain()
                .in_set(SimSystems::Checkpoint),
        );
    }
}

/// Persons per metre of width and second a door lets through at capacity (the measured middle,
/// see tests/doors.rs), for judging how long those on their way to a door hold it.
pub const DOOR_CAPACITY: f64 = 1.8;

/// The ring crossing an agent at `p` should use next to get from region `from` to region
/// `to`, by expected time: walking time, and at a checkpoint + queue × mean service / lanes
/// (+ time until it opens); at a door, the later of the walk and the time for those already
/// heading there to pass it at capacity ([`DOOR_CAPACITY`] × width), and, when `goal`'s region
/// lies beyond the door, the walk on from the door to it.
#[allow(clippy::too_many_arguments)]
pub fn choose_checkpoint(
    venue: &Venue,
    state: &CheckpointState,
    p: Vec2,
    v0: f32,
    from: u32,
    to: u32,
    t: f64,
    exclude: Option<Via>,
    goal: Option<u16>,
    class: Option<Option<u16>>,
) -> Option<Via> {
    let sec = &venue.security;
    let hops = sec.next_hop.get(from as usize)?.get(to as usize)?;
    let mut best: Option<(f64, Via)> = None;
    for &h in hops {
        if Some(h) == exclude {
            continue;
        }
        let field = sec.hop_field(h);
        let walk = f64::from(venue.fields[field as usize].cost_interp(&venue.grid, p)) / f64::from(v0.max(0.1));
        let mut cost = walk;
        if let Via::Door(d) = h {
            if state.door_closed.get(d as usize).copied().unwrap_or(false) {
                continue; // closed by the timeline
            }
            if class.is_some_and(|c| !sec.doors[d as usize].admits(c)) {
                continue; // not for this visitor class
            }
            // the door lets out about its capacity: I am through when I get there or when
            // those already on their way have passed, whichever is later
            let door = &sec.doors[d as usize];
            let rate = (DOOR_CAPACITY * f64::from(door.width)).min(state.door_meter[d as usize].per_minute() / 60.0);
            let drain = f64::from(state.door_heading[d as usize]) / rate;
            cost = cost.max(drain);
            // and from the door on to the goal, when it lies in the region outside
            if door.outer_region == to
                && let Some(g) = goal
            {
                let beyond = door.mid() + door.out * (crate::venue::security::DOOR_FRAME + 0.8);
                cost += f64::from(venue.fields[g as usize].cost_interp(&venue.grid, beyond)) / f64::from(v0.max(0.1));
            }
        }
        if let Via::Lanes(k) = h {
            let cp = &sec.checkpoints[k as usize];
            if class.is_some_and(|c| !cp.admits(c)) {
                continue; // not for this visitor class
            }
            let q = state.queue_length(k as usize) as f64;
            if cp.max_queue.is_some_and(|m| q >= f64::from(m)) {
                cost += 1e6; // full: only if every other choice is full too
            }
            cost += q * cp.service.mean() / cp.lanes as f64;
            let close = state.close_time(k as usize, cp);
            if close == f64::INFINITY || t + walk < close {
                cost += (cp.open - t - walk).max(0.0);
            } else {
                cost += 1e9; // closed for good
            }
        }
        if cost.is_finite() && best.is_none_or(|b| cost < b.0) {
            best = Some((cost, h));
        }
    }
    best.map(|b| b.1)
}

fn plan_routes(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    mut state: Option<ResMut<CheckpointState>>,
    mut q: Query<(Entity, &Agent, &Position, &mut Walking), With<NeedsRoute>>,
) {
    // in agent id order: each choice of a door counts for the next
    let mut order: Vec<(u32, Entity)> = q.iter().map(|(e, a, _, _)| (a.id, e)).collect();
    order.sort_unstable();
    for (_, e) in order {
        let Ok((e, a, p, mut w)) = q.get_mut(e) else { continue };
        commands.entity(e).remove::<NeedsRoute>();
        let Some(state) = state.as_deref_mut() else { continue };
        if venue.security.checkpoints.is_empty() && venue.security.doors.is_empty() {
            continue;
        }
        if venue
            .grid
            .cell_of(p.0)
            .is_some_and(|i| venue.security.region.get(i) == Some(&u32::MAX))
        {
            // on a wall cell (in a door's opening, which the raster keeps closed), which side
            // the agent is on is unsure: it chooses once off it
            commands.entity(e).insert(NeedsRoute);
            continue;
        }
        if let Some(Via::Door(d)) = w.via {
            state.door_heading[d as usize] = state.door_heading[d as usize].saturating_sub(1);
        }
        let goal = a.goal(w.leg);
        let from = venue.security.region_at(&venue.grid, p.0);
        let to = venue.target_region[goal as usize];
        w.via = None;
        w.target = goal;
        let class = venue.security.group_class.get(usize::from(a.group)).copied().flatten();
        // where they may go in; with no such crossing, the best one, to be turned away there
        let choice = |state: &CheckpointState, admit| {
            choose_checkpoint(&venue, state, p.0, a.v0, from, to, clock.t(), None, Some(goal), admit)
        };
        if from != to
            && let Some(via) = choice(state, Some(class)).or_else(|| choice(state, None))
        {
            w.target = venue.security.hop_field(via);
            w.via = Some(via);
            if let Via::Door(d) = via {
                state.door_heading[d as usize] += 1;
            }
        }
    }
}

#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn join_or_pass(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    mut state: ResMut<CheckpointState>,
    mut q: Query<(
        Entity,
        &mut Agent,
        &mut Position,
        &mut Walking,
        Option<&PenWaiting>,
        Has<Held>,
    )>,
    (mut counters, mut log): (ResMut<CrowdCounters>, ResMut<CrowdLog>),
) {
    let t = clock.t_end();
    let sec = &venue.security;
    // whoever heads out through one door and finds itself at another door of the same ring
    // (same way out) takes that one: people go out by the door they are pressed against, not
    // through the crowd in front of it to another
    let mut switch: Vec<(u32, Entity, u16)> = Vec::new();
    for (e, a, p, w, _, _) in &q {
        // a door the timeline closed: whoever was in its doorway then and is back inside
        // chooses another way out
        if let Some(Via::Door(d)) = w.via
            && state.door_closed[d as usize]
            && !sec.doors[d as usize].in_doorway(p.0)
            && !sec.doors[d as usize].passed(p.0, a.radius, || sec.region_at(&venue.grid, p.0))
        {
            commands.entity(e).insert(NeedsRoute);
            continue;
        }
        let class = sec.group_class.get(usize::from(a.group)).copied().flatten();
        if let Some(Via::Door(d)) = w.via
            && let Some(&o) = sec.door_siblings[d as usize].iter().find(|&&o| {
                let door = &sec.doors[o as usize];
                !state.door_closed[o as usize] && door.at_opening(p.0) && door.admits(class)
            })
        {
            switch.push((a.id, e, o));
        }
    }
    switch.sort_unstable();
    for (_, e, o) in switch {
        if let Ok((_, _, _, mut w, _, _)) = q.get_mut(e)
            && let Some(Via::Door(d)) = w.via
        {
            state.door_heading[d as usize] = state.door_heading[d as usize].saturating_sub(1);
            state.door_heading[o as usize] += 1;
            w.via = Some(Via::Door(o));
            w.target = sec.doors[o as usize].field;
        }
    }
    // who is at their crossing: those in a queue outside a full pen first, longest waiting
    // first, then the newcomers, by agent id
    let mut arriving: Vec<(u64, u32, Entity)> = Vec::new();
    state.outside.iter_mut().for_each(|n| *n = 0);
    // who queues outside full pens: checkpoint, place, radius
    let mut outside: Vec<(u16, Vec2, f32)> = Vec::new();
    let mut newcomers: Vec<(u32, Entity, u16)> = Vec::new();
    for (e, a, p, w, waiting, _) in &q {
        let there = match w.via {
            None => false,
            Some(Via::Lanes(k)) => sec.checkpoints[k as usize].pen.contains(p.0),
            Some(Via::Door(d)) => {
                let door = &sec.doors[d as usize];
                door.passed(p.0, a.radius, || sec.region_at(&venue.grid, p.0))
            }
        };
        if let Some(pw) = waiting {
            if w.via == Some(Via::Lanes(pw.cp)) {
                state.outside[usize::from(pw.cp)] += 1;
                outside.push((pw.cp, p.0, a.radius));
            } else {
                // sent elsewhere (a closure, an evacuation): no longer in this queue
                commands.entity(e).remove::<(PenWaiting, Held)>();
            }
        }
        if there {
            // times ≥ 0 order like their bits
            let since = waiting.map_or(t, |pw| pw.since).max(0.0);
            arriving.push((since.to_bits(), a.id, e));
        } else if let Some(Via::Lanes(k)) = w.via
            && waiting.is_none()
        {
            newcomers.push((a.id, e, k));
        }
    }
    // a newcomer who walks up to someone queueing outside a full pen has reached the back of
    // its queue: they are in it from now on (they walk on as the crowd lets them)
    newcomers.retain(|&(_, _, k)| state.outside[usize::from(k)] > 0);
    if !newcomers.is_empty() {
        // where people queue outside full pens, by checkpoint and 1 m cell (built only when
        // someone may have reached such a queue: most steps nobody has)
        let mut backs: HashMap<(u16, i32, i32), Vec<(Vec2, f32)>> = HashMap::new();
        for (k, p, r) in outside {
            backs
                .entry((k, p.x.floor() as i32, p.y.floor() as i32))
                .or_default()
                .push((p, r));
        }
        newcomers.sort_unstable();
        for (_, e, k) in newcomers {
            if state.outside[usize::from(k)] == 0 {
                continue;
            }
            let Ok((e, mut a, p, _, _, _)) = q.get_mut(e) else {
                continue;
            };
            let (cx, cy) = (p.0.x.floor() as i32, p.0.y.floor() as i32);
            let at_back = (cx - 1..=cx + 1).any(|x| {
                (cy - 1..=cy + 1).any(|y| {
                    backs
                        .get(&(k, x, y))
                        .is_some_and(|v| v.iter().any(|(o, ro)| o.distance(p.0) < a.radius + ro + 0.3))
                })
            });
            if at_back {
                a.first_queue.get_or_insert(t);
                state.outside[usize::from(k)] += 1;
                commands.entity(e).insert(PenWaiting { cp: k, since: t });
            }
        }
    }
    arriving.sort_unstable();
    for (_, _, e) in arriving {
        let Ok((e, mut a, p, mut w, waiting, held)) = q.get_mut(e) else {
            continue;
        };
        let k = match w.via {
            Some(Via::Lanes(k)) => k as usize,
            Some(Via::Door(d)) => {
                // out through the door: on to wherever the agent is going
                state.door_heading[d as usize] = state.door_heading[d as usize].saturating_sub(1);
                w.via = None;
                w.target = a.goal(w.leg);
                state.doors[d as usize].push(t);
                commands.entity(e).insert(NeedsRoute);
                continue;
            }
            None => continue,
        };
        let cp = &sec.checkpoints[k];
        if !cp.admits(sec.group_class.get(usize::from(a.group)).copied().flatten()) {
            // no credentials for this ring: turned away here (and gone from the site)
            state.records[k].turned_away += 1;
            state
                .turned_away_class
                .push(sec.group_class.get(usize::from(a.group)).copied().flatten());
            if waiting.is_some() {
                state.outside[k] = state.outside[k].saturating_sub(1);
            }
            commands.entity(e).despawn();
            counters.exited += 1;
            log.exits.push((t, u16::MAX, t - a.spawned_at));
            continue;
        }
        let was_waiting = waiting.is_some_and(|pw| usize::from(pw.cp) == k);
        // the queue's length without this person
        let queued = state.queue_length(k) - usize::from(was_waiting);
        let over_max = !was_waiting && cp.max_queue.is_some_and(|m| queued as u64 >= u64::from(m));
        // a pen holds only its places: beyond them people wait at its edge, where they reached
        // it, and those behind them stop behind them; the first to wait goes in first
        let pen_full = match state.files[k].iter().map(VecDeque::len).min() {
            Some(shortest) => shortest >= cp.rows.max(1),
            None => state.queues[k].queued() >= cp.capacity(),
        } || (!was_waiting && state.outside[k] > 0);
        // at the queue's limit a newcomer goes to another checkpoint if one will take them
        // (those already waiting here stay in the queue)
        if over_max
            && cp.when_full == WhenFull::Divert
            && let Some(other) = choose_checkpoint(
                &venue,
                &state,
                p.0,
                a.v0,
                sec.region_at(&venue.grid, p.0),
                venue.target_region[a.goal(w.leg) as usize],
                clock.t(),
                w.via,
                Some(a.goal(w.leg)),
                Some(sec.group_class.get(usize::from(a.group)).copied().flatten()),
            )
        {
            w.target = sec.hop_field(other);
            w.via = Some(other);
            state.records[k].diverted += 1;
            continue;
        }
        if pen_full || over_max {
            // waiting for the queue counts from here: the edge of a full pen is the back of
            // the queue
            if a.first_queue.is_none() {
                a.first_queue = Some(t);
            }
            state.records[k].held += 1;
            if !was_waiting {
                state.outside[k] += 1;
                commands.entity(e).insert((PenWaiting { cp: k as u16, since: t }, Held));
            } else if !held {
                commands.entity(e).insert(Held);
            }
            continue;
        }
        let waited_since = waiting.filter(|_| was_waiting).map(|pw| pw.since);
        if was_waiting {
            state.outside[k] -= 1;
            commands.entity(e).remove::<(PenWaiting, Held)>();
        }
        let id = u64::from(a.id);
        state.queues[k].join(id, t);
        state.records[k].joined += 1;
        state.members[k].insert(id, e);
        if a.first_queue.is_none() {
            a.first_queue = Some(t);
        }
        let lane = if cp.policy == LaneChoice::ShortestQueue {
            state.queues[k].position_of(id).map_or(0, |(lane, _)| lane)
        } else {
            0
        };
        let files = &mut state.files[k];
        let file = if files.is_empty() {
            0
        } else if cp.policy == LaneChoice::ShortestQueue {
            lane
        } else {
            // the shortest file; of those, the one whose back is nearest
            (0..files.len())
                .min_by(|&x, &y| {
                    let d = |f: usize| cp.file_point(f, files[f].len() as f32).distance_squared(p.0);
                    files[x]
                        .len()
                        .cmp(&files[y].len())
                        .then(d(x).total_cmp(&d(y)))
                        .then(x.cmp(&y))
                })
                .unwrap_or(0)
        };
        if let Some(f) = files.get_mut(file) {
            f.push_back(InFile {
                id,
                at: None,
                ready: false,
            });
        }
        commands.entity(e).remove::<Walking>().insert((
            Queued {
                cp: k as u16,
                file: file as u16,
                // a holding area's places are taken in order: there is no file to walk up
                ready_at: files.is_empty().then_some(t),
                // the wait counts from the back of the queue: where they waited at the full
                // pen's edge, or their place in the holding area
                in_line_at: waited_since.or(files.is_empty().then_some(t)),
            },
            Standing,
            w.leg,
        ));
    }
}

/// Metered doors let people out one at a time: whoever on the way out through one reaches
/// its opening (within 1.5 m of it) waits there ([`DoorWaiting`], [`Held`]) until the meter lets
/// them through ([`DoorPass`]), the longest waiting first. One goes every 60/`per_minute`
/// seconds, and only while fewer came out in this clock minute, with those let through still in
/// the doorway, than `per_minute` (rounded up): the door's measured flow stays at or under its
/// meter in every minute. A door whose meter is lifted, or that closes, lets its waiting go.
#[allow(clippy::type_complexity)]
fn meter_doors(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    mut state: ResMut<CheckpointState>,
    q: Query<(
        Entity,
        &Agent,
        &Position,
        &Walking,
        Option<&DoorPass>,
        Option<&DoorWaiting>,
        Has<Held>,
    )>,
) {
    let metered = state.door_meter.iter().any(FlowMeter::on);
    if !metered && !state.door_metering {
        return;
    }
    let st = &mut *state;
    let sec = &venue.security;
    let t = clock.t_end();
    let mut transit = vec![0usize; sec.doors.len()];
    let mut marked = false;
    let mut waiting_now: Vec<(u64, u32, Entity, u16, bool)> = Vec::new();
    for (e, a, p, w, pass, waiting, held) in &q {
        let via = match w.via {
            Some(Via::Door(d)) => Some(d),
            _ => None,
        };
        if let Some(&DoorPass(d)) = pass {
            if via == Some(d) {
                transit[usize::from(d)] += 1;
                marked = true;
                continue;
            }
            commands.entity(e).remove::<DoorPass>();
        }
        let mut waits = waiting.filter(|dw| via == Some(dw.door));
        if let Some(dw) = waiting
            && (waits.is_none()
                || !held
                || !st.door_meter[usize::from(dw.door)].on()
                || st.door_closed[usize::from(dw.door)])
        {
            // sent elsewhere, let go (an evacuation), or the meter lifted or the door shut
            commands.entity(e).remove::<(DoorWaiting, Held)>();
            waits = None;
        }
        let Some(d) = via else { continue };
        if !st.door_meter[usize::from(d)].on() || st.door_closed[usize::from(d)] {
            continue;
        }
        let door = &sec.doors[usize::from(d)];
        if waits.is_some() || door.at_opening(p.0) || door.in_doorway(p.0) {
            let since = waits.map_or(t, |dw| dw.since).max(0.0);
            waiting_now.push((since.to_bits(), a.id, e, d, waits.is_some()));
        }
    }
    // the clock minute now began this long after the start
    let minute = ((clock.start + t) / 60.0).floor() * 60.0 - clock.start;
    waiting_now.sort_unstable();
    for (_, _, e, d, was_waiting) in waiting_now {
        let k = usize::from(d);
        let out_now = st.doors[k].iter().rev().take_while(|&&x| x >= minute).count();
        let m = &mut st.door_meter[k];
        if m.ready(t) && out_now + transit[k] < m.per_minute().ceil() as usize {
            m.take(t);
            transit[k] += 1;
            commands.entity(e).insert(DoorPass(d)).remove::<(DoorWaiting, Held)>();
        } else if !was_waiting {
            commands.entity(e).insert((DoorWaiting { door: d, since: t }, Held));
        }
        marked = true;
    }
    st.door_metering = metered || marked;
}

/// Clear ground a screened person needs beyond their lane to step out: nobody's body within
/// this (a body's radius), m, of the lane's exit spot.
pub const LANE_EXIT_CLEARANCE: f32 = 0.2;

#[allow(clippy::too_many_arguments)]
fn serve(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    mut state: ResMut<CheckpointState>,
    mut agents: Query<(&mut Agent, &mut Position, &mut Velocity, Option<&Leg>)>,
    queued: Query<&Queued>,
    mut counters: ResMut<CrowdCounters>,
    mut log: ResMut<CrowdLog>,
    crowd: Res<crate::crowd::CrowdBuffer>,
) {
    let t = clock.t_end();
    let sec = &venue.security;
    let st = &mut *state;
    for k in 0..sec.checkpoints.len() {
        let cp = &sec.checkpoints[k];
        let close = st.close_time(k, cp);
        let open = cp.is_open(t) && t < close;
        if !open && st.queues[k].in_service() == 0 {
            continue;
        }
        // whoever is done steps out of the lane only onto free ground: with someone standing on
        // the spot beyond it (a queue for a full hall backed up to the lanes), they stay in the
        // lane and it takes nobody new
        for lane in 0..cp.lanes as usize {
            if st.queues[k].serving(lane) {
                let taken = crowd.grid.occupied(cp.inner_spot(lane), LANE_EXIT_CLEARANCE);
                st.queues[k].set_blocked(lane, taken, t);
            }
        }
        st.started.clear();
        st.finished.clear();
        let rng = &mut st.service_rng[k];
        // lanes take nobody new after closing time
        let horizon = if open { t } else { close.min(t) };
        let members = &st.members[k];
        st.queues[k].advance_ready(
            horizon.max(0.0),
            &mut |id| {
                members
                    .get(&id)
                    .and_then(|e| queued.get(*e).ok())
                    .and_then(|q| q.ready_at)
            },
            &mut |id| {
                // the group's factor on the checkpoint's time (one draw either way)
                let f = (members.get(&id).and_then(|e| agents.get(*e).ok()))
                    .and_then(|(a, ..)| sec.group_screening.get(usize::from(a.group)).copied())
                    .unwrap_or(1.0);
                cp.draw_service(rng) * f
            },
            &mut st.started,
            &mut st.finished,
        );
        if horizon < t {
            // let services in progress finish after closing
            let (mut s2, mut f2) = (Vec::new(), Vec::new());
            st.queues[k].advance_finish_only(t, &mut s2, &mut f2);
            st.finished.extend(f2);
        }
        for s in st.started.clone() {
            let in_line = st.members[k]
                .get(&s.id)
                .and_then(|e| queued.get(*e).ok())
                .and_then(|q| q.in_line_at)
                .unwrap_or(s.joined);
            st.records[k].waits.push((s.start - in_line).max(0.0));
            let group =
                (st.members[k].get(&s.id).and_then(|e| agents.get(*e).ok())).map_or(u16::MAX, |(a, ..)| a.group);
            st.records[k].wait_groups.push(group);
            if let Some(&e) = st.members[k].get(&s.id)
                && let Ok((_, mut p, mut v, _)) = agents.get_mut(e)
            {
                // out of the file: the head steps into the lane
                if let Ok(qd) = queued.get(e)
                    && let Some(f) = st.files[k].get_mut(usize::from(qd.file))
                {
                    if f.front().is_some_and(|x| x.id == s.id) {
                        f.pop_front();
                    } else if let Some(i) = f.iter().position(|x| x.id == s.id) {
                        f.remove(i);
                    }
                }
                p.0 = cp.lane_spot(s.lane as usize);
                v.0 = Vec2::ZERO;
                commands.entity(e).remove::<Queued>().insert(Screening {
                    cp: k as u16,
                    lane: s.lane,
                    end: s.end,
                });
            }
        }
        for s in st.finished.clone() {
            st.records[k].served.push(s.end);
            let Some(e) = st.members[k].remove(&s.id) else { continue };
            let Ok((mut a, mut p, mut v, leg)) = agents.get_mut(e) else {
                continue;
            };
            if !a.screened {
                a.screened = true;
                for (item, n) in st.first_screened.iter_mut().enumerate() {
                    *n += u64::from(a.items >> item & 1);
                }
            }
            // detection, one draw per carried item class in class order
            let mut caught: Option<u16> = None;
            for item in 0..sec.items.len().min(32) {
                if a.items & (1 << item) == 0 {
                    continue;
                }
                st.records[k].screened[item].0 += 1;
                let hit = st.detect_rng[k].random::<f64>() < cp.detect.get(item).copied().unwrap_or(0.0);
                if hit {
                    st.records[k].screened[item].1 += 1;
                    caught.get_or_insert(item as u16);
                }
            }
            if let Some(item) = caught {
                st.intercepted.push(Intercepted {
                    t: s.end,
                    cp: k as u16,
                    item,
                    at: p.0,
                    group: a.group,
                });
                commands.entity(e).despawn();
                counters.exited += 1;
                log.exits.push((s.end, u16::MAX, s.end - a.spawned_at));
                continue;
            }
            p.0 = cp.inner_spot(s.lane as usize);
            v.0 = Vec2::ZERO;
            let leg = leg.copied().unwrap_or(Leg::ToDestination);
            let goal = a.goal(leg);
            if venue.target_region[goal as usize] == cp.inner_region
                && let Some(t0) = a.first_queue.take()
            {
                st.time_to_enter.push(s.end - t0);
                st.time_to_enter_class
                    .push(sec.group_class.get(usize::from(a.group)).copied().flatten());
            }
            commands.entity(e).remove::<(Screening, Standing, Leg)>().insert((
                Walking {
                    target: goal,
                    leg,
                    via: None,
                },
                NeedsRoute,
            ));
        }
    }
}

/// Moves everyone queueing (see [`Queued`]): in a pen, file by file from the head, those who
/// just joined straight to the back of their file and the others up it; in a holding area,
/// each straight to their place.
fn walk_up_queues(
    clock: Res<SimClock>,
    venue: Res<Venue>,
    mut state: ResMut<CheckpointState>,
    mut q: Query<(&Agent, &mut Position, &mut Queued)>,
) {
    let (dt, t) = (clock.dt as f32, clock.t_end());
    let walk = |p: &mut Vec2, to: Vec2, step: f32| -> bool {
        let d = to - *p;
        if d.length() <= step {
            *p = to;
            true
        } else {
            *p += d.normalize_or_zero() * step;
            false
        }
    };
    let st = &mut *state;
    for (k, cp) in venue.security.checkpoints.iter().enumerate() {
        let (files, members) = (&mut st.files[k], &st.members[k]);
        if files.is_empty() {
            let per_lane = cp.policy == LaneChoice::ShortestQueue;
            for (lane, place, w) in st.queues[k].waiting() {
                if let Some(&e) = members.get(&w.id)
                    && let Ok((a, mut p, _)) = q.get_mut(e)
                {
                    walk(&mut p.0, cp.slot(place, per_lane.then_some(lane)), a.v0 * dt);
                }
            }
            continue;
        }
        // the first row behind every file: free all across the pen
        let free_row = files.iter().map(VecDeque::len).max().unwrap_or(0) as f32;
        for (f, file) in files.iter_mut().enumerate() {
            let mut ahead: Option<f32> = None;
            for (row, spot) in file.iter_mut().enumerate() {
                let row = row as f32;
                // at their place with room enough ahead: nothing changes (no look-up)
                if spot.at == Some(row) && ahead.is_none_or(|b| b + 1.0 <= row) && (row > 0.0 || spot.ready) {
                    ahead = spot.at;
                    continue;
                }
                let Some(&e) = members.get(&spot.id) else {
                    continue;
                };
                let Ok((a, mut p, mut qd)) = q.get_mut(e) else {
                    continue;
                };
                let step = a.v0 * dt;
                match spot.at {
                    None => {
                        // to the back of the file: their place, or behind the one ahead; round
                        // the people standing in the pen, not through them: out along the pen's
                        // side to the first free row, across it to their file, then up the file
                        let to = ahead.map_or(row, |b| row.max(b + 1.0));
                        let (r, across) = cp.pen_coords(p.0);
                        let lat = cp.file_lateral(f);
                        let waypoint = if (across - lat).abs() <= cp.spacing * 0.5 {
                            None
                        } else if r < free_row - 0.5 {
                            Some(cp.pen_point(free_row, across))
                        } else {
                            Some(cp.pen_point(free_row.max(r.min(free_row + 1.0)), lat))
                        };
                        match waypoint {
                            Some(w) => {
                                walk(&mut p.0, w, step);
                            }
                            None => {
                                if walk(&mut p.0, cp.file_point(f, to), step) {
                                    spot.at = Some(to);
                                    qd.in_line_at.get_or_insert(t);
                                }
                            }
                        }
                    }
                    Some(at) => {
                        let mut to = (at - step / cp.spacing).max(row);
                        // never back down the file, unless the one ahead in it stands closer
                        // than a place (someone who walked in ahead of a person already there):
                        // then step back to a place behind them
                        to = to.min(at);
                        if let Some(b) = ahead {
                            to = to.max(b + 1.0);
                        }
                        spot.at = Some(to);
                        p.0 = cp.file_point(f, to);
                    }
                }
                if row == 0.0 && spot.at == Some(0.0) && qd.ready_at.is_none() {
                    qd.ready_at = Some(t);
                }
                spot.ready = qd.ready_at.is_some();
                ahead = spot.at;
            }
        }
    }
}

fn record_queues(
    clock: Res<SimClock>,
    venue: Res<Venue>,
    metrics: Res<crate::metrics::Metrics>,
    mut state: ResMut<CheckpointState>,
) {
    let (t, dt) = (clock.t_end(), clock.dt);
    let every = ((metrics.settings.series_interval / dt).round() as u64).max(1);
    let row = (clock.tick + 1) % every == 0;
    let st = &mut *state;
    for (k, cp) in venue.security.checkpoints.iter().enumerate() {
        let n = st.queue_length(k) as u64;
        let r = &mut st.records[k];
        r.queue_area += n as f64 * dt;
        if n > r.queue_max.0 {
            r.queue_max = (n, t);
        }
        if cp.max_queue.is_some_and(|m| n >= u64::from(m)) {
            r.over_limit_s += dt;
        }
        if cp.is_open(t) {
            r.open_s += dt;
        }
        if row {
            r.queue_series.push(n);
        }
    }
}

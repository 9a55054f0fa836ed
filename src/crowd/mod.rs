//! Crowd plugin: owns the agents (components), their arrival, routing between targets and stays,
//! and their movement by the operational model in [`step`].

pub mod build;
pub mod neighbours;
pub mod rt;
pub mod spawn;
pub mod step;

use crate::rng::{MasterSeed, Purpose};
use crate::scenario::model::Arrivals;
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::Venue;
use bevy::prelude::*;
use neighbours::NeighbourGrid;
use rand_chacha::ChaCha8Rng;
pub use rt::{GroupRt, ModelRt};
use spawn::PlacedThisStep;

/// Weidmann's (1993) fundamental diagram as a share of the free speed:
/// v(ρ)/v0 = 1 − exp(−1.913 (1/ρ − 1/5.4)), ρ in persons/m².
pub fn weidmann_factor(rho: f64) -> f64 {
    1.0 - (-1.913 * (1.0 / rho - 1.0 / 5.4)).exp()
}

/// A visitor.
#[derive(Component, Debug, Clone)]
#[require(CrowdSlot)]
pub struct Agent {
    /// Stable id in order of appearance.
    pub id: u32,
    /// Index of the crowd group.
    pub group: u16,
    /// Free speed, m/s.
    pub v0: f32,
    /// Body radius, m.
    pub radius: f32,
    /// Time of appearance, s after the start.
    pub spawned_at: f64,
    /// Destination target.
    pub destination: u16,
    /// Exit target, if the plan has one.
    pub exit: Option<u16>,
    /// Stay at the destination, s.
    pub dwell: f64,
    /// Item classes carried (bit per class).
    pub items: u32,
    /// When the agent first joined a checkpoint queue, s after the start.
    pub first_queue: Option<f64>,
    /// Whether the agent has been through a screening lane.
    pub screened: bool,
}

/// Position of an agent's centre, m.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct Position(pub Vec2);

/// Velocity over the last step, m/s.
#[derive(Component, Debug, Clone, Copy, PartialEq, Default)]
pub struct Velocity(pub Vec2);

/// Which leg of the plan a walking agent is on (kept as a component while it queues).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    /// Walking to the destination.
    ToDestination,
    /// Walking to the exit.
    ToExit,
}

/// The agent is in the walking crowd, heading for floor field `target`.
#[derive(Component, Debug, Clone, Copy)]
pub struct Walking {
    /// Floor field index: a target, or a checkpoint's pen or a door's way out while `via` is set.
    pub target: u16,
    /// Leg of the plan.
    pub leg: Leg,
    /// The ring crossing this agent is heading for on its way (None: straight to its goal).
    pub via: Option<Via>,
}

/// A ring crossing on the way: a checkpoint's lanes (inwards) or a door (outwards).
pub use crate::venue::security::Hop as Via;

/// The agent waits where it stands, outside a place that is full (a hall at capacity, a
/// checkpoint's full pen): it takes space but does not walk, even while it keeps its
/// [`Walking`] plan.
#[derive(Component, Debug, Clone, Copy)]
pub struct Held;

/// The agent has reached a place where it stays standing (a viewing area): it walks on into the
/// place until the crowd stops it (or it reaches the middle), then stands there.
#[derive(Component, Debug, Clone, Copy)]
pub struct Settling {
    /// When it arrived.
    pub since: f64,
    /// Its speed towards the middle, smoothed over about 2 s, m/s.
    pub slow_s: f64,
}

/// The agent needs its way planned (set on appearing, after a stay, after a checkpoint).
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct NeedsRoute;

/// The agent stands still but takes space (in a queue or a lane): it is in the neighbour grid
/// and others avoid it, but the operational model does not move it.
#[derive(Component, Debug, Clone, Copy, Default)]
pub struct Standing;

impl Agent {
    /// The target this agent ultimately walks to on its current leg.
    pub fn goal(&self, leg: Leg) -> u16 {
        match leg {
            Leg::ToDestination => self.destination,
            Leg::ToExit => self.exit.unwrap_or(self.destination),
        }
    }
}

/// Ends of stays, earliest first, so a step looks only at the stays that are over (not at every
/// dweller): (end as f64 bits, agent id, entity). Ends are ≥ 0, so their bits order like them.
#[derive(Resource, Debug, Default)]
pub struct DwellQueue(std::collections::BinaryHeap<std::cmp::Reverse<(u64, u32, Entity)>>);

impl DwellQueue {
    /// Schedules the end of a stay.
    pub fn push(&mut self, until: f64, id: u32, e: Entity) {
        self.0.push(std::cmp::Reverse((until.max(0.0).to_bits(), id, e)));
    }
}

/// The agent is staying inside its destination (out of the walking crowd) until `until`.
#[derive(Component, Debug, Clone, Copy)]
pub struct Dwelling {
    /// End of the stay, s after the start.
    pub until: f64,
}

/// Static crowd settings for the run.
#[derive(Resource, Debug, Clone)]
pub struct CrowdConfig {
    /// Groups.
    pub groups: Vec<GroupRt>,
    /// Model parameters.
    pub model: ModelRt,
    /// Step, s.
    pub dt: f64,
    /// Neighbour interaction range, m.
    pub range: f32,
    /// Parallel tasks for the movement step (1: serial).
    pub tasks: usize,
}

/// Pending arrivals per group.
#[derive(Resource, Debug, Default)]
pub struct ArrivalQueue {
    /// Ascending arrival times per group.
    pub times: Vec<Vec<f64>>,
    /// Next unread time per group.
    pub next: Vec<usize>,
    /// Persons due but not yet placed (their source was full or metered), per group.
    pub waiting: Vec<u32>,
    /// Next agent id.
    pub next_id: u32,
    /// Per source, its meter (the contingency timeline's `MeterSource`).
    pub meters: Vec<FlowMeter>,
    /// Per group, the items of persons due who were drawn elsewhere (occupants a vehicle let
    /// out, whose items the vehicle's checkpoints saw): the next persons placed take these, in
    /// order, instead of a fresh draw.
    pub preset: Vec<std::collections::VecDeque<u32>>,
    /// Persons and vehicles still to come from outside the crowd (aboard vehicles on the
    /// roads): the run is not over while any are.
    pub held_elsewhere: u64,
}

/// A meter on a flow of people (a source's arrivals, an exit door): at most one let through
/// every 60/`per_minute` seconds, so at most `per_minute` (rounded up) in any minute.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlowMeter {
    /// Seconds between two let through (0: no meter).
    gap: f64,
    /// When the next may go, s after the start.
    next: f64,
}

impl FlowMeter {
    /// Meters to `per_minute` persons a minute from `t` on (0 or not finite: no meter).
    pub fn set(&mut self, per_minute: f64, t: f64) {
        if per_minute.is_finite() && per_minute > 0.0 {
            self.gap = 60.0 / per_minute;
            self.next = self.next.min(t + self.gap);
        } else {
            self.gap = 0.0;
        }
    }
    /// The meter, persons a minute (infinite: none).
    pub fn per_minute(&self) -> f64 {
        if self.gap > 0.0 { 60.0 / self.gap } else { f64::INFINITY }
    }
    /// Whether it meters at all.
    #[inline]
    pub fn on(&self) -> bool {
        self.gap > 0.0
    }
    /// Whether one more may go at `t`.
    #[inline]
    pub fn ready(&self, t: f64) -> bool {
        self.gap == 0.0 || t >= self.next
    }
    /// One goes at `t`.
    #[inline]
    pub fn take(&mut self, t: f64) {
        self.next = t + self.gap;
    }
}

impl ArrivalQueue {
    /// Whether every arrival has happened and nobody waits at a source.
    pub fn exhausted(&self) -> bool {
        self.times.iter().zip(&self.next).all(|(t, n)| *n >= t.len())
            && self.waiting.iter().all(|w| *w == 0)
            && self.held_elsewhere == 0
    }
    /// Total waiting at sources.
    pub fn total_waiting(&self) -> u64 {
        self.waiting.iter().map(|w| u64::from(*w)).sum()
    }
}

/// Random streams of the crowd, one per group and purpose.
#[derive(Resource, Debug)]
pub struct CrowdRng {
    agents: Vec<ChaCha8Rng>,
    placement: Vec<ChaCha8Rng>,
    reentry: Vec<ChaCha8Rng>,
    threats: Vec<ChaCha8Rng>,
}

/// Running totals, read by metrics and the conservation test.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CrowdCounters {
    /// Agents that entered the simulation.
    pub spawned: u64,
    /// Agents that left it.
    pub exited: u64,
}

/// What happened to agents, for the report.
#[derive(Resource, Debug, Default)]
pub struct CrowdLog {
    /// `(time, target, travel time)` of every arrival at a destination.
    pub arrivals: Vec<(f64, u16, f64)>,
    /// `(time, target, time in venue)` of every exit; target is where they left.
    pub exits: Vec<(f64, u16, f64)>,
    /// `(time, destination)` of everyone leaving their destination (at the end of their stay,
    /// or on arriving when they do not stay), whether they walk on or leave the venue there.
    pub departures: Vec<(f64, u16)>,
    /// Spawned per group.
    pub spawned_by_group: Vec<u64>,
    /// `(time, target, items, group)` of visitors who carried an item to their destination
    /// undetected.
    pub undetected_arrivals: Vec<(f64, u16, u32, u16)>,
    /// Visitors carrying each item class (bit index), counted on appearing.
    pub carriers: [u64; 32],
    /// `(group, items)` of every carrier, on appearing.
    pub carrier_groups: Vec<(u16, u32)>,
}

/// Reused buffers of the movement step (packed copy of the walking agents).
#[derive(Resource, Debug, Default)]
pub struct CrowdBuffer {
    // per input index: last step's slot for those moved then (a hole, id [`HOLE`], for who
    // left), then the newcomers in query order
    pos: Vec<Vec2>,
    radius: Vec<f32>,
    v0: Vec<f32>,
    target: Vec<u16>,
    vel: Vec<Vec2>,
    ids: Vec<u32>,
    /// Per query index: its input index.
    input_of: Vec<u32>,
    /// Input indices in order, holes left out.
    seq: Vec<u32>,
    /// Agent id per slot, last step.
    slot_ids: Vec<u32>,
    /// Per slot: this step's first-pass records, and last step's (by last step's slot).
    slots: Vec<step::SlotState>,
    prev_slots: Vec<step::SlotState>,
    /// Per slot: new position and velocity.
    out: Vec<(Vec2, Vec2)>,
    /// Per input index: its slot this step.
    slot_of: Vec<u32>,
    /// Neighbour grid; after a step its `pos` holds the new positions (cells may be one step stale).
    pub grid: NeighbourGrid,
    placed: PlacedThisStep,
}

/// Id of an empty input index in [`CrowdBuffer`].
const HOLE: u32 = u32::MAX;

/// An agent's slot in the movement step's sorted order last time it moved (`u32::MAX`: none),
/// so the next step lays its record where it was without looking it up.
#[derive(Component, Debug, Clone, Copy)]
pub struct CrowdSlot(pub u32);

impl Default for CrowdSlot {
    fn default() -> Self {
        CrowdSlot(u32::MAX)
    }
}

/// The crowd's arrival handling inside [`SimSystems::Route`] (checkpoint routing runs after it).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteSystems;

/// The crowd's arrival systems (in `SimSystems::Spawn`): whatever lets people out into the
/// crowd (vehicles at a drop-off) runs before them.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArrivalSystems;

impl CrowdBuffer {
    /// Walking agents the last step moved.
    pub fn moved(&self) -> usize {
        self.grid.order.len()
    }

    /// A free spot for a body of radius `r` in `shape` (walkable, clear of walls and of everyone
    /// placed or walking), or None after `tries` random draws.
    pub fn free_spot(
        &mut self,
        shape: &crate::venue::Shape,
        r: f32,
        tries: usize,
        venue: &Venue,
        rng: &mut ChaCha8Rng,
    ) -> Option<Vec2> {
        spawn::place(shape, r, tries, venue, &self.grid, &mut self.placed, rng)
    }
}

/// Crowd plugin: the arrival queue, the crowd's settings and counters (the venue and the master
/// seed must be in the world already).
pub struct CrowdPlugin {
    cfg: std::sync::Mutex<Option<CrowdConfig>>,
    start: f64,
    duration: f64,
}

impl CrowdPlugin {
    /// The plugin of this crowd, for a run from clock time `start` (s after midnight) lasting
    /// `duration` s.
    pub fn new(cfg: CrowdConfig, start: f64, duration: f64) -> CrowdPlugin {
        CrowdPlugin {
            cfg: std::sync::Mutex::new(Some(cfg)),
            start,
            duration,
        }
    }
}

impl Plugin for CrowdPlugin {
    fn build(&self, app: &mut App) {
        if let Some(cfg) = self.cfg.lock().ok().and_then(|mut g| g.take()) {
            let seed = *app.world().resource::<MasterSeed>();
            let (start, duration) = (self.start, self.duration);
            app.world_mut().resource_scope(|world, venue: Mut<Venue>| {
                insert_crowd_resources(world, cfg, &venue, start, duration, seed);
            });
        }
        app.init_resource::<CrowdCounters>()
            .init_resource::<DwellQueue>()
            .init_resource::<CrowdLog>()
            .add_systems(
                SimStep,
                (spawn_arrivals, reenter_from_stay)
                    .chain()
                    .in_set(SimSystems::Spawn)
                    .in_set(ArrivalSystems),
            )
            .add_systems(
                SimStep,
                (route, settle).chain().in_set(SimSystems::Route).in_set(RouteSystems),
            )
            .add_systems(SimStep, move_agents.in_set(SimSystems::Move));
    }
}

/// Builds the crowd resources for a validated scenario.
pub fn insert_crowd_resources(
    world: &mut World,
    cfg: CrowdConfig,
    venue: &Venue,
    start: f64,
    duration: f64,
    seed: MasterSeed,
) {
    let n = cfg.groups.len();
    let mut q = ArrivalQueue {
        waiting: vec![0; n],
        next: vec![0; n],
        preset: vec![Default::default(); n],
        meters: vec![FlowMeter::default(); venue.sources.len()],
        ..Default::default()
    };
    for (gi, g) in cfg.groups.iter().enumerate() {
        let mut rng = seed.stream(Purpose::Arrivals, gi as u64);
        q.times.push(spawn::arrival_times(g, start, duration, &mut rng));
    }
    let rng = CrowdRng {
        agents: (0..n).map(|g| seed.stream(Purpose::Agents, g as u64)).collect(),
        placement: (0..n).map(|g| seed.stream(Purpose::Placement, g as u64)).collect(),
        reentry: (0..n).map(|g| seed.stream(Purpose::Reentry, g as u64)).collect(),
        threats: (0..n).map(|g| seed.stream(Purpose::Threats, g as u64)).collect(),
    };
    let buffer = CrowdBuffer {
        grid: NeighbourGrid::new(venue.min, venue.max, cfg.range),
        ..Default::default()
    };
    world.insert_resource(CrowdLog {
        spawned_by_group: vec![0; n],
        ..Default::default()
    });
    world.insert_resource(q);
    world.insert_resource(rng);
    world.insert_resource(buffer);
    world.insert_resource(cfg);
}

#[allow(clippy::too_many_arguments)]
fn spawn_arrivals(
    mut commands: Commands,
    clock: Res<SimClock>,
    cfg: Res<CrowdConfig>,
    venue: Res<Venue>,
    mut queue: ResMut<ArrivalQueue>,
    mut rng: ResMut<CrowdRng>,
    mut buf: ResMut<CrowdBuffer>,
    mut counters: ResMut<CrowdCounters>,
    mut log: ResMut<CrowdLog>,
) {
    let t = clock.t();
    let buf = &mut *buf;
    buf.placed.clear();
    let queue = &mut *queue;
    for (gi, g) in cfg.groups.iter().enumerate() {
        let times = &queue.times[gi];
        let mut next = queue.next[gi];
        while next < times.len() && times[next] <= t {
            next += 1;
        }
        let due = (next - queue.next[gi]) as u32;
        queue.next[gi] = next;
        let first_positional = next - due as usize;
        queue.waiting[gi] += due;
        if queue.waiting[gi] == 0 {
            continue;
        }
        let shape = &venue.sources[g.source].shape;
        let initial = matches!(g.arrivals, Arrivals::Initial(_) | Arrivals::Positions(_)) && clock.tick == 0;
        let tries = if initial { 2000 } else { 16 };
        let mut placed_now = 0u32;
        while queue.waiting[gi] > 0 {
            // a metered source lets one out at a time (groups sharing it in group order)
            if !queue.meters.get(g.source).is_none_or(|m| m.ready(t)) {
                break;
            }
            let p = if let Arrivals::Positions(ps) = &g.arrivals {
                let k = first_positional + placed_now as usize;
                let p = ps.get(k).map(|p| Vec2::new(p.0 as f32, p.1 as f32));
                if let Some(p) = p {
                    spawn::place_exact(&buf.grid, &mut buf.placed, p, g.radius);
                }
                p
            } else {
                spawn::place(
                    shape,
                    g.radius,
                    tries,
                    &venue,
                    &buf.grid,
                    &mut buf.placed,
                    &mut rng.placement[gi],
                )
            };
            let Some(p) = p else { break };
            placed_now += 1;
            queue.waiting[gi] -= 1;
            if let Some(m) = queue.meters.get_mut(g.source) {
                m.take(t);
            }
            let r = &mut rng.agents[gi];
            let v0 = crate::rng::sample(&g.speed, r) as f32;
            let destination = spawn::choose(&g.destinations, r).unwrap_or(0) as u16;
            let dwell = g.dwell.as_ref().map_or(0.0, |d| crate::rng::sample(d, r));
            let exit = spawn::choose(&g.exits, r).map(|e| e as u16);
            let items = match queue.preset[gi].pop_front() {
                Some(items) => items,
                None => spawn::draw_items(&venue.security.carriers, gi, &mut rng.threats[gi]),
            };
            let id = queue.next_id;
            queue.next_id += 1;
            commands.spawn((
                Agent {
                    id,
                    group: gi as u16,
                    v0,
                    radius: g.radius,
                    spawned_at: t,
                    destination,
                    exit,
                    dwell,
                    items,
                    first_queue: None,
                    screened: false,
                },
                Position(p),
                Velocity::default(),
                Walking {
                    target: destination,
                    leg: Leg::ToDestination,
                    via: None,
                },
                NeedsRoute,
            ));
            counters.spawned += 1;
            log.spawned_by_group[gi] += 1;
            for (k, c) in log.carriers.iter_mut().enumerate() {
                *c += u64::from(items >> k & 1);
            }
            if items != 0 {
                log.carrier_groups.push((gi as u16, items));
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn reenter_from_stay(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    q: Query<(Entity, &Agent, &Dwelling, Has<Standing>)>,
    mut rng: ResMut<CrowdRng>,
    mut buf: ResMut<CrowdBuffer>,
    mut counters: ResMut<CrowdCounters>,
    mut log: ResMut<CrowdLog>,
    mut queue: ResMut<DwellQueue>,
) {
    let t = clock.t();
    let buf = &mut *buf;
    // stays that are over, in agent id order
    let mut due: Vec<(u32, Entity, f64)> = Vec::new();
    while let Some(std::cmp::Reverse((bits, id, e))) = queue.0.peek().copied() {
        let until = f64::from_bits(bits);
        if until > t {
            break;
        }
        queue.0.pop();
        // skip entries that no longer match the agent's stay
        if q.get(e).is_ok_and(|(_, _, d, _)| d.until.max(0.0).to_bits() == bits) {
            due.push((id, e, until));
        }
    }
    due.sort_unstable_by_key(|d| d.0);
    for (id, e, until) in due {
        let Ok((_, a, _, standing)) = q.get(e) else { continue };
        if standing {
            // a standing crowd walks off from where it stands (or leaves there if it has no exit)
            log.departures.push((t, a.destination));
            match a.exit {
                Some(x) => {
                    commands.entity(e).remove::<(Dwelling, Standing)>().insert((
                        Walking {
                            target: x,
                            leg: Leg::ToExit,
                            via: None,
                        },
                        NeedsRoute,
                    ));
                }
                None => {
                    commands.entity(e).despawn();
                    counters.exited += 1;
                    log.exits.push((t, a.destination, t - a.spawned_at));
                }
            }
            continue;
        }
        match a.exit {
            None => {
                commands.entity(e).despawn();
                counters.exited += 1;
                log.exits.push((t, a.destination, t - a.spawned_at));
                log.departures.push((t, a.destination));
            }
            Some(x) => {
                let shape = &venue.targets[a.destination as usize].shape;
                let g = a.group as usize;
                if let Some(p) = spawn::place(
                    shape,
                    a.radius,
                    16,
                    &venue,
                    &buf.grid,
                    &mut buf.placed,
                    &mut rng.reentry[g],
                ) {
                    log.departures.push((t, a.destination));
                    commands.entity(e).remove::<Dwelling>().insert((
                        Position(p),
                        Velocity::default(),
                        Walking {
                            target: x,
                            leg: Leg::ToExit,
                            via: None,
                        },
                        NeedsRoute,
                    ));
                } else {
                    // no free spot yet: try again next step
                    queue.push(until, id, e);
                }
            }
        }
    }
}

fn route(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    cfg: Res<CrowdConfig>,
    mut q: Query<(Entity, &Agent, &Position, &mut Walking), Without<Settling>>,
    mut counters: ResMut<CrowdCounters>,
    mut log: ResMut<CrowdLog>,
    mut dwell: ResMut<DwellQueue>,
) {
    let t = clock.t();
    for (e, a, p, mut w) in &mut q {
        if w.via.is_some()
            || !venue
                .targets
                .get(w.target as usize)
                .is_some_and(|tg| tg.shape.contains(p.0))
        {
            continue;
        }
        match w.leg {
            Leg::ToDestination => {
                log.arrivals.push((t, w.target, t - a.spawned_at));
                if a.items != 0 {
                    log.undetected_arrivals.push((t, w.target, a.items, a.group));
                }
                let group = &cfg.groups[a.group as usize];
                let leave_at = group.leave_at;
                if group.stand {
                    // walk on into the place until the crowd there stops you, then stand
                    commands.entity(e).insert(Settling {
                        since: t,
                        slow_s: f64::from(a.v0),
                    });
                    continue;
                }
                if a.dwell > 0.0 || leave_at.is_some_and(|l| l > t) {
                    let until = leave_at.map_or(t, |l| l.max(t)) + a.dwell;
                    commands.entity(e).remove::<Walking>().insert(Dwelling { until });
                    dwell.push(until, a.id, e);
                } else if let Some(x) = a.exit {
                    log.departures.push((t, w.target));
                    w.target = x;
                    w.leg = Leg::ToExit;
                    commands.entity(e).insert(NeedsRoute);
                } else {
                    commands.entity(e).despawn();
                    counters.exited += 1;
                    log.exits.push((t, w.target, t - a.spawned_at));
                    log.departures.push((t, w.target));
                }
            }
            Leg::ToExit => {
                commands.entity(e).despawn();
                counters.exited += 1;
                log.exits.push((t, w.target, t - a.spawned_at));
            }
        }
    }
}

fn settle(
    mut commands: Commands,
    clock: Res<SimClock>,
    cfg: Res<CrowdConfig>,
    venue: Res<Venue>,
    mut q: Query<(Entity, &Agent, &Position, &Velocity, &mut Settling)>,
    mut dwell: ResMut<DwellQueue>,
) {
    let t = clock.t();
    for (e, a, p, v, mut st) in &mut q {
        // progress towards the middle, not just any movement: sliding round others does not count
        let centre = venue.targets[a.destination as usize].shape.center_near(p.0);
        let inward = f64::from(v.0.dot((centre - p.0).normalize_or_zero()));
        // smoothed over about 2 s: pushing and sliding in a packed crowd averages out
        st.slow_s += (inward - st.slow_s) * (cfg.dt / 2.0).min(1.0);
        if (t - st.since >= 1.0 && st.slow_s < 0.1 * f64::from(a.v0)) || p.0.distance(centre) < 1.0 {
            let g = &cfg.groups[a.group as usize];
            let until = g.leave_at.map_or(t, |l| l.max(t)) + a.dwell;
            commands.entity(e).remove::<(Walking, Settling)>().insert((
                Standing,
                Dwelling { until },
                Velocity::default(),
            ));
            dwell.push(until, a.id, e);
        }
    }
}

#[allow(clippy::type_complexity)]
fn move_agents(
    mut q: Query<
        (
            &Agent,
            &mut Position,
            &mut Velocity,
            Option<&Walking>,
            Has<Held>,
            &mut CrowdSlot,
        ),
        Or<(With<Walking>, With<Standing>)>,
    >,
    mut buf: ResMut<CrowdBuffer>,
    venue: Res<Venue>,
    cfg: Res<CrowdConfig>,
    mut profile: Option<ResMut<crate::schedule::StepProfile>>,
) {
    // with `cordon run --profile`: time the parts of this phase
    let mut last = profile.is_some().then(std::time::Instant::now);
    let mut lap = move |part: usize, profile: &mut Option<ResMut<crate::schedule::StepProfile>>| {
        if let (Some(p), Some(l)) = (profile.as_mut(), last.as_mut()) {
            let now = std::time::Instant::now();
            p.moves[part] += (now - *l).as_secs_f64();
            *l = now;
        }
    };
    let b = &mut *buf;
    // Each agent moved last step goes where it stood in last step's sorted order (its
    // `CrowdSlot`), the newcomers after them in query order: the sort then walks its input
    // almost in order (agents rarely change cell), and each agent's record is its old slot's.
    let prev_n = b.slot_ids.len();
    for v in [&mut b.pos, &mut b.vel] {
        v.clear();
        v.resize(prev_n, Vec2::ZERO);
    }
    for v in [&mut b.radius, &mut b.v0] {
        v.clear();
        v.resize(prev_n, 0.0);
    }
    b.target.clear();
    b.target.resize(prev_n, step::STANDING);
    b.ids.clear();
    b.ids.resize(prev_n, HOLE);
    b.input_of.clear();
    for (a, p, v, w, held, slot) in &q {
        let s = slot.0 as usize;
        let j = if s < prev_n && b.slot_ids[s] == a.id {
            s
        } else {
            b.ids.push(HOLE);
            b.pos.push(Vec2::ZERO);
            b.vel.push(Vec2::ZERO);
            b.radius.push(0.0);
            b.v0.push(0.0);
            b.target.push(step::STANDING);
            b.ids.len() - 1
        };
        b.input_of.push(j as u32);
        b.ids[j] = a.id;
        b.pos[j] = p.0;
        b.radius[j] = a.radius;
        // a standing or held agent (v0 = 0) takes space but is not moved
        let w = w.filter(|_| !held);
        b.v0[j] = if w.is_some() { a.v0 } else { 0.0 };
        b.target[j] = w.map_or(step::STANDING, |w| w.target);
        b.vel[j] = v.0;
    }
    std::mem::swap(&mut b.slots, &mut b.prev_slots);
    b.seq.clear();
    b.seq
        .extend((0..b.ids.len() as u32).filter(|&j| b.ids[j as usize] != HOLE));
    let n = b.seq.len();
    lap(0, &mut profile);
    b.grid.rebuild_in(&b.seq, &b.pos, &b.radius);
    lap(1, &mut profile);
    let (venue, tasks) = (&*venue, cfg.tasks);
    b.slots.resize(n, step::SlotState::default());
    let inputs = step::Inputs {
        target: &b.target,
        ids: &b.ids,
        v0: &b.v0,
        vel: &b.vel,
        prev: &b.prev_slots[..prev_n],
    };
    let grid = &b.grid;
    step::par_fill(&mut b.slots, tasks, |k| step::prepare_slot(grid, &inputs, venue, k));
    lap(2, &mut profile);
    b.out.resize(n, (Vec2::ZERO, Vec2::ZERO));
    let input = step::StepInput {
        grid: &b.grid,
        venue,
        model: cfg.model,
        dt: cfg.dt as f32,
        range: cfg.range,
        slots: &b.slots,
    };
    step::par_fill(&mut b.out, tasks, |k| step::step_slot(&input, k));
    lap(3, &mut profile);
    b.slot_of.resize(b.ids.len(), 0);
    b.slot_ids.clear();
    for (slot, &j) in b.grid.order.iter().enumerate() {
        b.slot_of[j as usize] = slot as u32;
        b.slot_ids.push(b.ids[j as usize]);
    }
    for (&j, (_, mut p, mut v, _, _, mut cs)) in b.input_of.iter().zip(q.iter_mut()) {
        let slot = b.slot_of[j as usize];
        (p.0, v.0) = b.out[slot as usize];
        cs.0 = slot;
    }
    for (gp, o) in b.grid.pos.iter_mut().zip(&b.out) {
        *gp = o.0;
    }
    lap(4, &mut profile);
}

//! Contingency timeline: actions that change the plan while it runs — a checkpoint's open lanes
//! (a staffing change, a lane breaking down and being repaired), a checkpoint closed, reopened or
//! metered, surges of arrivals (trains, convoys), an evacuation order, a cordon round a point or a
//! zone closed to the crowd (floor fields computed again round them: [`crate::venue::closure`],
//! kept per set of closed areas in [`ClosureCache`]). A timed entry fires at the
//! first step that starts at or after its time, in file order on ties, and with `for` is undone
//! that many seconds later. A rule (`when`: a queue, a hall's occupancy or a zone's densest cell
//! above or below a level, held for some seconds) fires when it holds, on what was measured up
//! to the step before, and is undone by `for` or when its `until` holds (then armed again).
//!
//! Closing a checkpoint re-routes everyone queueing at it and everyone on the way to it: they
//! choose again among the crossings of the ring by expected time (walk, queue, service), as
//! arrivals do ([`crate::checkpoint::systems::choose_checkpoint`]); whoever is being screened
//! finishes. Their time to enter keeps counting from when they first joined a queue.

pub mod build;

use crate::checkpoint::{CheckpointState, Queued};
use crate::crowd::{Agent, ArrivalQueue, CrowdConfig, Leg, NeedsRoute, Standing, Via, Walking};
use crate::halls::{HallState, Halls};
use crate::metrics::Metrics;
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::Venue;
use bevy::prelude::*;

/// An action at run time, on indices.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionRt {
    /// Open `open` lanes of checkpoint `cp` (`u32::MAX`: as many as were open before the entry
    /// this undoes).
    Lanes {
        /// Checkpoint.
        cp: usize,
        /// Lanes open.
        open: u32,
    },
    /// Close checkpoint `cp`.
    Close {
        /// Checkpoint.
        cp: usize,
    },
    /// Reopen checkpoint `cp`.
    Reopen {
        /// Checkpoint.
        cp: usize,
    },
    /// Meter checkpoint `cp` to `per_minute` (NaN: back to the meter before the entry this
    /// undoes).
    Meter {
        /// Checkpoint.
        cp: usize,
        /// Persons a minute (0: none).
        per_minute: f64,
    },
    /// Stop (`open` false) or resume admission to hall `hall`.
    Admission {
        /// Hall.
        hall: usize,
        /// Whether it admits.
        open: bool,
    },
    /// Close door `door` of [`TimelineRt::door_names`].
    CloseDoor {
        /// Index into the timeline's door names.
        door: usize,
    },
    /// Reopen door `door` of [`TimelineRt::door_names`].
    ReopenDoor {
        /// Index into the timeline's door names.
        door: usize,
    },
    /// Close area `area` of [`TimelineRt::areas`] to the crowd.
    CloseArea {
        /// Index into the timeline's areas.
        area: usize,
    },
    /// Open area `area` again.
    OpenArea {
        /// Index into the timeline's areas.
        area: usize,
    },
    /// Give the evacuation order now (a rule; a timed order is given by the evacuation plugin
    /// at its time, and this only records it).
    Evacuate,
    /// Batches of `count` of crowd group `group` (their arrival times are merged into the
    /// group's at the start; the event only records it).
    Surge {
        /// Crowd group.
        group: usize,
        /// Persons a batch.
        count: u32,
        /// Seconds between batches (None: one batch).
        every: Option<f64>,
    },
}

impl ActionRt {
    /// What undoes it (lanes: back to as many as were open before; a surge is not undone).
    pub fn undo(&self) -> Option<ActionRt> {
        match *self {
            ActionRt::Lanes { cp, .. } => Some(ActionRt::Lanes { cp, open: u32::MAX }),
            ActionRt::Close { cp } => Some(ActionRt::Reopen { cp }),
            ActionRt::Reopen { cp } => Some(ActionRt::Close { cp }),
            ActionRt::Meter { cp, .. } => Some(ActionRt::Meter {
                cp,
                per_minute: f64::NAN,
            }),
            ActionRt::Admission { hall, open } => Some(ActionRt::Admission { hall, open: !open }),
            ActionRt::CloseDoor { door } => Some(ActionRt::ReopenDoor { door }),
            ActionRt::ReopenDoor { door } => Some(ActionRt::CloseDoor { door }),
            ActionRt::CloseArea { area } => Some(ActionRt::OpenArea { area }),
            ActionRt::OpenArea { area } => Some(ActionRt::CloseArea { area }),
            ActionRt::Surge { .. } | ActionRt::Evacuate => None,
        }
    }
}

/// What a rule watches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Watch {
    /// Persons in checkpoint k's queue.
    Queue(usize),
    /// Occupants of hall k.
    Occupancy(usize),
    /// Densest density cell of zone k at the last sample, persons/m².
    Density(usize),
}

/// A rule's condition at run time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CondRt {
    /// What it watches.
    pub watch: Watch,
    /// The level.
    pub level: f64,
    /// True above the level (else below it).
    pub above: bool,
    /// Seconds it must have held.
    pub hold: f64,
}

/// Where a rule stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    /// Waiting for `when`.
    Armed,
    /// Its action is in force, waiting for `until` (or for its `for` to run out).
    Active,
    /// Fired and will not again (no `until`).
    Done,
}

/// A rule of the timeline: `do` when `when` holds; undone when `until` holds (then armed
/// again) or after `for`.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRt {
    /// The timeline entry.
    pub entry: usize,
    /// When it fires.
    pub when: CondRt,
    /// When it is undone (and armed again).
    pub until: Option<CondRt>,
    /// What it does.
    pub action: ActionRt,
    /// Undone this long after it fires.
    pub dur: Option<f64>,
    /// Where it stands.
    pub phase: Phase,
    /// Since when the condition it waits for has held, s after the start.
    pub since: Option<f64>,
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// When, s after the start.
    pub t: f64,
    /// The timeline entry (index in the file).
    pub entry: usize,
    /// Whether this undoes the entry (its `for` ran out).
    pub undo: bool,
    /// What it does.
    pub action: ActionRt,
}

/// What fired, when, and what it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// When, s after the start.
    pub t: f64,
    /// The timeline entry.
    pub entry: usize,
    /// Whether it undid the entry.
    pub undo: bool,
    /// What it did, in words.
    pub what: String,
    /// People sent to choose another crossing.
    pub rerouted: u64,
    /// For a closure: seconds until the last of those re-routed had joined another queue, was
    /// being screened or had left (None: not all within the run).
    pub reroute_s: Option<f64>,
}

/// The timeline at run time.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct TimelineRt {
    /// Events by time.
    pub planned: Vec<Planned>,
    /// The next event to fire.
    pub next: usize,
    /// Per entry, the lanes open before it changed them (for its undoing).
    pub restore: Vec<Option<u32>>,
    /// Per entry, the meter before it changed it, persons a minute (infinite: none).
    pub restore_meter: Vec<Option<f64>>,
    /// What has fired so far.
    pub fired: Vec<Fired>,
    /// Per surge: crowd group and its arrival times (s after the start, ascending).
    pub surges: Vec<(usize, Vec<f64>)>,
    /// Rules, in file order.
    pub rules: Vec<RuleRt>,
    /// Per closure still being followed: its index in `fired` and the people it re-routed who
    /// have not yet joined another queue.
    pub following: Vec<(usize, Vec<Entity>)>,
    /// The areas `Cordon` and `CloseZone` entries close, by their order in the file.
    pub areas: Vec<crate::venue::Shape>,
    /// The areas closed now, ascending.
    pub open_areas: Vec<usize>,
    /// The doors `CloseDoor` and `ReopenDoor` entries name, in order of first mention.
    pub door_names: Vec<String>,
    /// Each of those as an index into the venue's doors (filled by [`TimelineRt::resolve_doors`]).
    pub doors: Vec<usize>,
    /// Each of those, while closed: the wall segments of its opening (made solid).
    pub door_walls: Vec<Vec<usize>>,
    /// The evacuation order an `Evacuate` entry gives (at infinity until its rule fires); the
    /// build hands it to the evacuation plugin.
    pub evacuation: Option<crate::evacuation::EvacuationRt>,
}

impl TimelineRt {
    /// Finds the doors its entries name among the built doors (a checkpoint's exit door is
    /// "<checkpoint> exit"); an unknown name goes to `ck`.
    pub fn resolve_doors(
        &mut self,
        ck: &mut crate::scenario::check::Checker,
        doors: &[crate::venue::security::DoorRt],
    ) {
        self.doors = self
            .door_names
            .iter()
            .map(|n| match doors.iter().position(|d| d.name == *n) {
                Some(d) => d,
                None => {
                    ck.named(
                        n,
                        format!(
                            "timeline: door \"{n}\" is not defined; known doors: {}",
                            crate::scenario::check::quote_list(doors.iter().map(|d| d.name.as_str()))
                        ),
                    );
                    0
                }
            })
            .collect();
        self.door_walls = vec![Vec::new(); self.door_names.len()];
    }
}

/// Plugin owning the timeline (nothing without one).
pub struct ContingencyPlugin(pub TimelineRt);

impl Plugin for ContingencyPlugin {
    fn build(&self, app: &mut App) {
        if self.0.planned.is_empty() && self.0.rules.is_empty() {
            return;
        }
        // surges arrive on top of their groups' own arrivals (the crowd plugin built those)
        if let Some(mut q) = app.world_mut().get_resource_mut::<ArrivalQueue>() {
            for (g, times) in &self.0.surges {
                if let Some(own) = q.times.get_mut(*g) {
                    own.extend_from_slice(times);
                    own.sort_by(f64::total_cmp);
                }
            }
        }
        app.insert_resource(self.0.clone());
        app.add_systems(
            SimStep,
            fire.in_set(SimSystems::Spawn).before(crate::evacuation::OrderSet),
        );
        app.add_systems(SimStep, follow.in_set(SimSystems::Measure));
    }
}

/// The value a rule watches, now.
fn measure(w: Watch, state: &CheckpointState, halls: Option<&HallState>, metrics: Option<&Metrics>) -> f64 {
    match w {
        Watch::Queue(k) => state.queues.get(k).map_or(0.0, |_| state.queue_length(k) as f64),
        Watch::Occupancy(k) => halls.and_then(|h| h.occupancy.get(k)).map_or(0.0, |&n| f64::from(n)),
        Watch::Density(k) => metrics.and_then(|m| m.zones.get(k)).map_or(0.0, |z| z.peak_now()),
    }
}

/// Whether `c` has held long enough at `t`, given the value now; keeps `since` up to date.
fn holds(c: &CondRt, value: f64, t: f64, since: &mut Option<f64>) -> bool {
    let now = if c.above { value > c.level } else { value < c.level };
    if !now {
        *since = None;
        return false;
    }
    let from = *since.get_or_insert(t);
    t - from >= c.hold
}

/// The words for a rule's condition and the value that set it off.
fn why(c: &CondRt, value: f64, venue: &Venue, halls: Option<&Halls>) -> String {
    let (what, name) = match c.watch {
        Watch::Queue(k) => ("queue at", venue.security.checkpoints.get(k).map(|x| x.name.clone())),
        Watch::Occupancy(k) => (
            "occupancy of",
            halls.and_then(|h| h.halls.get(k)).map(|x| x.name.clone()),
        ),
        Watch::Density(k) => ("densest cell of", venue.zones.get(k).map(|z| z.name.clone())),
    };
    format!(
        "{what} {} {value} {} {}",
        name.unwrap_or_default(),
        if c.above { "above" } else { "below" },
        c.level
    )
}

/// Fires every rule whose condition holds and every event whose time has come (it lies before
/// the end of this step).
#[allow(clippy::too_many_arguments)]
fn fire(
    mut commands: Commands,
    clock: Res<SimClock>,
    mut venue: ResMut<Venue>,
    mut closures: Local<ClosureCache>,
    positions: Query<(&crate::crowd::Position, Has<Walking>)>,
    mut tl: ResMut<TimelineRt>,
    cfg: Res<CrowdConfig>,
    state: Option<ResMut<CheckpointState>>,
    mut hall_state: Option<ResMut<HallState>>,
    hall_list: Option<Res<Halls>>,
    metrics: Option<Res<Metrics>>,
    mut evacuation: Option<ResMut<crate::evacuation::EvacuationRt>>,
    queued: Query<(&Agent, &Leg), With<Queued>>,
    walking: Query<(Entity, &Agent, &Walking)>,
) {
    let Some(mut state) = state else { return };
    let t = clock.t();
    let tl = &mut *tl;
    // rules first, in file order: what they set off fires now, with the timed events
    let mut now: Vec<(Planned, String)> = Vec::new();
    for r in &mut tl.rules {
        let cond = match r.phase {
            Phase::Armed => r.when,
            Phase::Active => match r.until {
                Some(u) => u,
                None => continue,
            },
            Phase::Done => continue,
        };
        let value = measure(cond.watch, &state, hall_state.as_deref(), metrics.as_deref());
        if !holds(&cond, value, t, &mut r.since) {
            continue;
        }
        r.since = None;
        let reason = why(&cond, value, &venue, hall_list.as_deref());
        match r.phase {
            Phase::Armed => {
                // a rule that stops a hall's admission when its occupancy passes L keeps it at
                // L + 1 at most from then on (the admission that set it off), also after it
                // resumes: those waiting go in only up to there
                if let (Watch::Occupancy(h), true, ActionRt::Admission { hall, open: false }) =
                    (r.when.watch, r.when.above, &r.action)
                    && h == *hall
                    && let Some(hs) = hall_state.as_deref_mut()
                    && let Some(cap) = hs.rule_cap.get_mut(h)
                {
                    let level = (r.when.level.max(0.0).floor() as u32).saturating_add(1);
                    *cap = Some(cap.map_or(level, |c| c.min(level)));
                }
                r.phase = if r.until.is_some() || r.dur.is_some() {
                    Phase::Active
                } else {
                    Phase::Done
                };
                now.push((
                    Planned {
                        t,
                        entry: r.entry,
                        undo: false,
                        action: r.action.clone(),
                    },
                    reason,
                ));
                // undone after `for`: an event in the timed list
                if let Some(d) = r.dur
                    && let Some(undo) = r.action.undo()
                {
                    let at = t + d;
                    let pos = tl.next + tl.planned[tl.next..].partition_point(|p| p.t <= at);
                    tl.planned.insert(
                        pos,
                        Planned {
                            t: at,
                            entry: r.entry,
                            undo: true,
                            action: undo,
                        },
                    );
                }
            }
            _ => {
                r.phase = Phase::Armed;
                if let Some(undo) = r.action.undo() {
                    now.push((
                        Planned {
                            t,
                            entry: r.entry,
                            undo: true,
                            action: undo,
                        },
                        reason,
                    ));
                }
            }
        }
    }
    while let Some(ev) = tl.planned.get(tl.next).cloned()
        && ev.t < clock.t_end()
    {
        tl.next += 1;
        // a rule with `for` and no `until` is done once undone
        if ev.undo
            && let Some(r) = tl.rules.iter_mut().find(|r| r.entry == ev.entry)
            && r.until.is_none()
        {
            r.phase = Phase::Done;
        }
        now.push((ev, String::new()));
    }
    for (ev, reason) in now {
        let mut rerouted = 0;
        let what = match ev.action {
            ActionRt::Lanes { cp, open } => {
                let before = state.queues[cp].open_lanes() as u32;
                let open = if open == u32::MAX {
                    tl.restore[ev.entry].unwrap_or(before)
                } else {
                    open
                };
                if !ev.undo {
                    tl.restore[ev.entry] = Some(before);
                }
                state.queues[cp].set_open(open as usize, t);
                format!("{}: {before} → {open} lanes open", venue.security.checkpoints[cp].name)
            }
            ActionRt::Close { cp } => {
                state.plan_closed[cp] = true;
                let mut moved = Vec::new();
                rerouted = reroute(&mut commands, &mut state, cp, &queued, &walking, &mut moved);
                tl.following.push((tl.fired.len(), moved));
                format!("{} closed; {rerouted} re-routed", venue.security.checkpoints[cp].name)
            }
            ActionRt::Reopen { cp } => {
                state.plan_closed[cp] = false;
                format!("{} reopened", venue.security.checkpoints[cp].name)
            }
            ActionRt::Meter { cp, per_minute } => {
                let q = &mut state.queues[cp];
                let before = q.meter();
                let per_minute = if per_minute.is_nan() {
                    tl.restore_meter[ev.entry].unwrap_or(before)
                } else {
                    per_minute
                };
                if !ev.undo {
                    tl.restore_meter[ev.entry] = Some(before);
                }
                q.set_meter(per_minute, t);
                let show = |m: f64| {
                    if m.is_finite() && m > 0.0 {
                        format!("{m} /min")
                    } else {
                        "none".to_string()
                    }
                };
                format!(
                    "{}: meter {} → {}",
                    venue.security.checkpoints[cp].name,
                    show(before),
                    show(per_minute)
                )
            }
            ActionRt::Admission { hall, open } => {
                if let Some(hs) = hall_state.as_deref_mut()
                    && let Some(c) = hs.plan_closed.get_mut(hall)
                {
                    *c = !open;
                }
                let name = hall_list
                    .as_deref()
                    .and_then(|l| l.halls.get(hall))
                    .map_or("?", |h| h.name.as_str());
                format!("{name}: admission {}", if open { "resumed" } else { "stopped" })
            }
            ActionRt::CloseDoor { door } | ActionRt::ReopenDoor { door } => {
                let close = matches!(ev.action, ActionRt::CloseDoor { .. });
                let d = tl.doors.get(door).copied().unwrap_or(usize::MAX);
                let Some(field) = venue.security.doors.get(d).map(|x| x.field) else {
                    continue;
                };
                if close && !state.door_closed[d] {
                    state.door_closed[d] = true;
                    // its opening is a wall to those walking out through it too
                    let walls = &mut venue.walls;
                    let opening: Vec<usize> = (0..walls.pass.len()).filter(|&k| walls.pass[k] == field).collect();
                    for &k in &opening {
                        walls.pass[k] = crate::venue::grid::SOLID;
                    }
                    tl.door_walls[door] = opening;
                    // everyone on the way to it chooses again, in id order
                    // (those in the doorway go on through it or back: `join_or_pass`)
                    let door_rt = &venue.security.doors[d];
                    let mut heading: Vec<(u32, Entity)> = walking
                        .iter()
                        .filter(|(e, _, w)| {
                            w.via == Some(Via::Door(d as u16))
                                && !positions.get(*e).is_ok_and(|(p, _)| door_rt.in_doorway(p.0))
                        })
                        .map(|(e, a, _)| (a.id, e))
                        .collect();
                    heading.sort_unstable();
                    let mut moved = Vec::new();
                    for (_, e) in heading {
                        commands.entity(e).insert(NeedsRoute);
                        moved.push(e);
                    }
                    rerouted = moved.len() as u64;
                    tl.following.push((tl.fired.len(), moved));
                } else if !close && state.door_closed[d] {
                    state.door_closed[d] = false;
                    for k in std::mem::take(&mut tl.door_walls[door]) {
                        venue.walls.pass[k] = field;
                    }
                    // those on their way out through another door of its ring choose again
                    let ring = venue.security.doors[d].ring;
                    let mut heading: Vec<(u32, Entity)> = walking
                        .iter()
                        .filter(|(_, _, w)| {
                            matches!(w.via, Some(Via::Door(o)) if venue.security.doors[o as usize].ring == ring)
                        })
                        .map(|(e, a, _)| (a.id, e))
                        .collect();
                    heading.sort_unstable();
                    for (_, e) in heading {
                        commands.entity(e).insert(NeedsRoute);
                    }
                }
                let name = &venue.security.doors[d].name;
                if close {
                    format!("door {name} closed; {rerouted} re-routed")
                } else {
                    format!("door {name} reopened")
                }
            }
            ActionRt::CloseArea { area } | ActionRt::OpenArea { area } => {
                let close = matches!(ev.action, ActionRt::CloseArea { .. });
                match tl.open_areas.binary_search(&area) {
                    Ok(i) if !close => {
                        tl.open_areas.remove(i);
                    }
                    Err(i) if close => tl.open_areas.insert(i, area),
                    _ => {}
                }
                closures.apply(&mut venue, &tl.areas, &tl.open_areas);
                let shape = &tl.areas[area];
                let name = match shape {
                    crate::venue::Shape::Circle(c, r) => format!("cordon of {r} m round ({}, {})", c.x, c.y),
                    _ => format!("zone {}", area_name(&venue, shape)),
                };
                if close {
                    let inside = positions.iter().filter(|(p, w)| *w && shape.contains(p.0)).count();
                    format!("{name} closed; {inside} walking inside it sent out")
                } else {
                    format!("{name} open again")
                }
            }
            ActionRt::Evacuate => {
                if let Some(ev) = evacuation.as_deref_mut()
                    && !ev.at.is_finite()
                {
                    ev.at = t;
                }
                "evacuation ordered".to_string()
            }
            ActionRt::Surge { group, count, every } => {
                let name = cfg.groups.get(group).map_or("?", |g| g.name.as_str());
                match every {
                    Some(h) => format!("{name}: batches of {count} every {h} s"),
                    None => format!("{name}: a batch of {count}"),
                }
            }
        };
        let what = if reason.is_empty() {
            what
        } else {
            format!("{what} ({reason})")
        };
        tl.fired.push(Fired {
            t,
            entry: ev.entry,
            undo: ev.undo,
            what,
            rerouted,
            reroute_s: None,
        });
    }
}

/// The floor fields round each set of closed areas computed so far (the fields as built under
/// the empty set), so an area closed again, or a rule that flaps, computes nothing twice.
#[derive(Default)]
pub struct ClosureCache {
    sets: Vec<(
        Vec<usize>,
        Vec<std::sync::Arc<crate::venue::field::FloorField>>,
        Option<std::sync::Arc<crate::venue::closure::ClosedAreas>>,
    )>,
}

/// Sets of fields round closed areas kept at once besides the fields as built (the least
/// recently used goes first): a rule that closes and opens an area again and again computes
/// them once. `cordon check` counts their memory (`--max-memory`).
pub const CLOSED_SETS: usize = 2;

impl ClosureCache {
    /// Gives `venue` the fields round the areas `open` (indices into `areas`) closes.
    fn apply(&mut self, venue: &mut Venue, areas: &[crate::venue::Shape], open: &[usize]) {
        if self.sets.is_empty() {
            self.sets.push((Vec::new(), venue.fields.clone(), None));
        }
        // most recently used last; the fields as built stay first
        if let Some(i) = self.sets.iter().skip(1).position(|s| s.0 == open) {
            let used = self.sets.remove(i + 1);
            self.sets.push(used);
        } else if !open.is_empty() {
            if self.sets.len() > CLOSED_SETS {
                self.sets.remove(1);
            }
            let shapes: Vec<crate::venue::Shape> = open.iter().map(|&a| areas[a].clone()).collect();
            let (fields, closed) = crate::venue::closure::fields_round(venue, &self.sets[0].1, &shapes);
            self.sets.push((open.to_vec(), fields, closed));
        }
        if let Some((_, fields, closed)) = self.sets.iter().find(|s| s.0 == open) {
            venue.fields = fields.clone();
            venue.closed = closed.clone();
            venue.fields_gen = venue.fields_gen.wrapping_add(1);
        }
    }
}

/// The name of the zone whose polygon is `shape` ("?" if none).
fn area_name(venue: &Venue, shape: &crate::venue::Shape) -> String {
    let c = shape.center();
    venue
        .zones
        .iter()
        .find(|z| crate::venue::Shape::polygon(z.polygon.clone()).center() == c)
        .map_or("?".into(), |z| z.name.clone())
}

/// Everyone queueing at checkpoint `k` leaves its queue and walks on towards their goal, and
/// they and everyone on the way to `k` choose their crossing again; returns how many.
fn reroute(
    commands: &mut Commands,
    state: &mut CheckpointState,
    k: usize,
    queued: &Query<(&Agent, &Leg), With<Queued>>,
    walking: &Query<(Entity, &Agent, &Walking)>,
    moved: &mut Vec<Entity>,
) -> u64 {
    let mut n = 0;
    // the queue, in id order (members being screened stay: their screening ends as usual)
    let members: Vec<(u64, Entity)> = state.members[k].iter().map(|(&id, &e)| (id, e)).collect();
    for (id, e) in members {
        let Ok((a, &leg)) = queued.get(e) else { continue };
        state.leave_queue(k, id, None);
        commands.entity(e).remove::<(Queued, Standing, Leg)>().insert((
            Walking {
                target: a.goal(leg),
                leg,
                via: None,
            },
            NeedsRoute,
        ));
        moved.push(e);
        n += 1;
    }
    // on the way (or held outside its full pen), in id order
    let mut heading: Vec<(u32, Entity)> = walking
        .iter()
        .filter(|(_, _, w)| w.via == Some(Via::Lanes(k as u16)))
        .map(|(e, a, _)| (a.id, e))
        .collect();
    heading.sort_unstable();
    for (_, e) in heading {
        commands.entity(e).insert(NeedsRoute);
        moved.push(e);
        n += 1;
    }
    n
}

/// Follows those a closure re-routed: once the last has joined another queue, is being
/// screened or has left, the closure's re-route time is known.
fn follow(
    clock: Res<SimClock>,
    mut tl: ResMut<TimelineRt>,
    people: Query<(
        Has<Queued>,
        Has<crate::checkpoint::Screening>,
        Option<&Walking>,
        Has<NeedsRoute>,
    )>,
) {
    if tl.following.is_empty() {
        return;
    }
    let t = clock.t_end();
    let tl = &mut *tl;
    tl.following.retain_mut(|(f, moved)| {
        // still on the way to another crossing (or about to choose one)
        moved.retain(|&e| match people.get(e) {
            Ok((false, false, Some(w), again)) => w.via.is_some() || again,
            Ok(_) | Err(_) => false,
        });
        if moved.is_empty() {
            if let Some(fired) = tl.fired.get_mut(*f) {
                fired.reroute_s = Some(t - fired.t);
            }
            false
        } else {
            true
        }
    });
}

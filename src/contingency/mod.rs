//! Contingency timeline: actions that change the plan while it runs — a checkpoint's open lanes
//! (a staffing change, a lane breaking down and being repaired), a checkpoint closed, reopened or
//! metered, surges of arrivals (trains, convoys), an evacuation order, a cordon round a point or a
//! zone closed to the crowd (floor fields computed again round them: [`crate::venue::closure`],
//! kept per set of closed areas in [`ClosureCache`]). A timed entry fires at the
//! first step that starts at or after its time (on ties the undoings first, then in file
//! order), and with `for` is undone
//! that many seconds later. A rule (`when`: a queue, a hall's occupancy or a zone's densest cell
//! above or below a level, held for some seconds) fires when it holds, on what was measured up
//! to the step before, and is undone by `for` or when its `until` holds (then armed again).
//!
//! Closing a checkpoint re-routes everyone queueing at it and everyone on the way to it: they
//! choose again among the crossings of the ring by expected time (walk, queue, service), as
//! arrivals do ([`crate::checkpoint::systems::choose_checkpoint`]); whoever is being screened
//! finishes. Their time to enter keeps counting from when they first joined a queue.

pub mod build;
pub mod live;

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
    /// Meter door `door` of [`TimelineRt::door_names`] to `per_minute` (NaN: back to the meter
    /// before the entry this undoes).
    MeterDoor {
        /// Index into the timeline's door names.
        door: usize,
        /// Persons a minute (0: none).
        per_minute: f64,
    },
    /// Meter source `source` to `per_minute` (NaN: back to the meter before the entry this
    /// undoes).
    MeterSource {
        /// Source.
        source: usize,
        /// Persons a minute (0: none).
        per_minute: f64,
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
    /// Hold the crowd at hold line `line` of [`TimelineRt::hold_lines`].
    Hold {
        /// Index into the timeline's hold lines.
        line: usize,
    },
    /// Release hold line `line`.
    Release {
        /// Index into the timeline's hold lines.
        line: usize,
    },
    /// Send responder group `group` to a post at `post`.
    Deploy {
        /// Responder group.
        group: usize,
        /// The post.
        post: Vec2,
    },
    /// Send responder group `group` back to its deployment before the entry this undoes.
    Recall {
        /// Responder group.
        group: usize,
    },
    /// Close road link `link` to traffic (`close`), or open it.
    Road {
        /// Link index.
        link: u32,
        /// Closed.
        close: bool,
    },
    /// Open `open` booths of vehicle checkpoint `cp` (u32::MAX: as many as before the entry this
    /// undoes).
    Booths {
        /// Vehicle checkpoint index.
        cp: u32,
        /// Booths open.
        open: u32,
    },
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

/// The count (lanes, booths) entry `entry` sets now: its own, or when it is undone
/// (`u32::MAX`) the count it found when it fired; remembers `before` for that when it fires.
fn count_to_set(tl: &mut TimelineRt, entry: usize, undo: bool, open: u32, before: u32) -> u32 {
    let open = if open == u32::MAX {
        tl.restore[entry].unwrap_or(before)
    } else {
        open
    };
    if !undo {
        tl.restore[entry] = Some(before);
    }
    open
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
            ActionRt::MeterDoor { door, .. } => Some(ActionRt::MeterDoor {
                door,
                per_minute: f64::NAN,
            }),
            ActionRt::MeterSource { source, .. } => Some(ActionRt::MeterSource {
                source,
                per_minute: f64::NAN,
            }),
            ActionRt::Admission { hall, open } => Some(ActionRt::Admission { hall, open: !open }),
            ActionRt::CloseDoor { door } => Some(ActionRt::ReopenDoor { door }),
            ActionRt::ReopenDoor { door } => Some(ActionRt::CloseDoor { door }),
            ActionRt::CloseArea { area } => Some(ActionRt::OpenArea { area }),
            ActionRt::OpenArea { area } => Some(ActionRt::CloseArea { area }),
            ActionRt::Deploy { group, .. } => Some(ActionRt::Recall { group }),
            ActionRt::Hold { line } => Some(ActionRt::Release { line }),
            ActionRt::Road { link, close } => Some(ActionRt::Road { link, close: !close }),
            ActionRt::Booths { cp, .. } => Some(ActionRt::Booths { cp, open: u32::MAX }),
            ActionRt::Release { line } => Some(ActionRt::Hold { line }),
            ActionRt::Surge { .. } | ActionRt::Evacuate | ActionRt::Recall { .. } => None,
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
    /// The longest anyone now in checkpoint k's queue has waited, s.
    Wait(usize),
    /// Incidents of type k open now.
    Incidents(usize),
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
    /// The checkpoints whose queues it affects (empty: none).
    pub scope: Vec<usize>,
    /// Its detours: (people whose way got longer, sum and longest of the extra length, m).
    pub detours: (u64, f64, f64),
}

impl Fired {
    /// Counts one person's detour of `extra` m.
    fn detour(&mut self, extra: f64) {
        self.detours.0 += 1;
        self.detours.1 += extra;
        self.detours.2 = self.detours.2.max(extra);
    }
}

/// What an action did to the queues it affects, followed step by step from when it fired
/// until they are back at or below their length then.
#[derive(Debug, Clone, PartialEq)]
pub struct Impact {
    /// Its index in [`TimelineRt::fired`].
    pub fired: usize,
    /// The persons queueing at its checkpoints when it fired.
    pub before: u64,
    /// Whether they have been longer than `before` since.
    pub rose: bool,
    /// When it was undone (None: in force, or nothing undoes it).
    pub undone: Option<f64>,
    /// Followed from when it fired: the queues' peak since (persons, when), the longest wait
    /// begun since (s), and when they were first back at or below `before` after rising above
    /// it (None: not yet). What counts for an action that is never undone.
    pub from_fired: Recovery,
    /// The same, with the return to `before` counted only after it was undone: what counts
    /// once it is. (Both are followed, so what is known when it fires is all that matters: an
    /// action whose undoing is planned later, as the viewer's are, is followed as the same
    /// entry with its `for` in the file.)
    pub from_undone: Recovery,
    /// Per checkpoint of its scope, the waits already looked at.
    seen: Vec<usize>,
}

/// A queue's way back to its level after an action.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Recovery {
    /// The longest the queues were until back (persons, s after the start).
    pub peak: (u64, f64),
    /// The longest wait begun until back, s.
    pub wait: f64,
    /// When back at or below the level (None: not yet).
    pub back: Option<f64>,
}

impl Impact {
    /// The recovery that counts: after the undoing if it was undone, else from when it fired.
    pub fn recovery(&self) -> &Recovery {
        if self.undone.is_some() {
            &self.from_undone
        } else {
            &self.from_fired
        }
    }
}

/// A person a closure sent to choose their way again: where they were and how long their way
/// was then (to the crossing, and on from it to their goal: NaN if unknown), until they choose.
#[derive(Component, Debug, Clone, Copy)]
pub struct Detour {
    /// Index into [`TimelineRt::fired`].
    pub fired: usize,
    /// Where they were.
    pub from: Vec2,
    /// Their way left then: (to the crossing, on from it), m.
    pub before: (f32, f32),
}

/// The length of a way left from `p`, m: to the crossing `via` (or the goal) on field
/// `target`, and on from the crossing's far side to the goal (NaN: the goal's field does not
/// reach it; 0 without a crossing). `taut`: the shortest way the fields lead along
/// ([`crate::venue::field::FloorField::way_length`]); else their cost (quicker, and never
/// shorter: it also counts keeping off walls).
pub fn way_left(
    venue: &Venue,
    fields: &[std::sync::Arc<crate::venue::field::FloorField>],
    (target, via, goal): (u16, Option<Via>, u16),
    p: Vec2,
    taut: bool,
) -> (f32, f32) {
    let length = |field: u16, at: Vec2| {
        fields.get(field as usize).map_or(f32::INFINITY, |f| {
            if taut {
                f.way_length(&venue.grid, at)
            } else {
                f.cost_interp(&venue.grid, at)
            }
        })
    };
    let sec = &venue.security;
    let beyond = match via {
        None => None,
        Some(Via::Lanes(k)) => sec.checkpoints.get(k as usize).map(|cp| cp.pos - cp.out * 1.5),
        Some(Via::Door(d)) => sec
            .doors
            .get(d as usize)
            .map(|door| door.mid() + door.out * (crate::venue::security::DOOR_FRAME + 0.8)),
    };
    let on = match (via, beyond) {
        (None, _) => 0.0,
        (Some(_), None) => f32::NAN,
        (Some(_), Some(b)) => Some(length(goal, b)).filter(|c| c.is_finite()).unwrap_or(f32::NAN),
    };
    (length(target, p), on)
}

/// How much longer the way `after` is than `before` (the onward parts counted when both are
/// known); None when the new way's length is unknown.
fn extra(before: (f32, f32), after: (f32, f32)) -> Option<f64> {
    if !after.0.is_finite() || !before.0.is_finite() {
        return None;
    }
    let on = if before.1.is_finite() && after.1.is_finite() {
        after.1 - before.1
    } else {
        0.0
    };
    Some(f64::from(after.0 - before.0 + on))
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
    /// Per entry, the responder group's deployment and shift start before it moved it.
    pub restore_units: Vec<Option<(crate::responders::DeploymentRt, f64)>>,
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
    /// Per area, the responder group tied up at it while it is closed.
    pub area_guards: Vec<Option<usize>>,
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
    /// The actions on queues being followed, and those followed to the end.
    pub impacts: Vec<Impact>,
    /// The incident types' names (for rules on them).
    pub incident_kinds: Vec<String>,
    /// The lines `Hold` entries hold the crowd at, as segments, by their order in the file.
    pub hold_lines: Vec<Vec<crate::venue::geometry::Segment>>,
    /// Each of those as indices into the venue's wall segments (filled by
    /// [`TimelineRt::add_hold_lines`]).
    pub hold_walls: Vec<Vec<usize>>,
}

impl TimelineRt {
    /// Adds its hold lines to `venue`'s wall index, open until held.
    pub fn add_hold_lines(&mut self, venue: &mut Venue) {
        self.hold_walls = self.hold_lines.iter().map(|segs| venue.add_open_lines(segs)).collect();
    }

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
        // (also without entries: the viewer applies actions live)
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
        app.add_systems(SimStep, (follow, follow_impacts).in_set(SimSystems::Measure));
    }
}

/// The value a rule watches, now (`t`: s after the start).
fn measure(
    w: Watch,
    t: f64,
    state: &CheckpointState,
    halls: Option<&HallState>,
    metrics: Option<&Metrics>,
    incidents: Option<&crate::incidents::IncidentState>,
) -> f64 {
    match w {
        Watch::Wait(k) => state
            .queues
            .get(k)
            .and_then(|q| q.oldest_joined())
            .map_or(0.0, |j| (t - j).max(0.0)),
        Watch::Incidents(k) => incidents.map_or(0.0, |s| {
            s.recs
                .iter()
                .filter(|r| usize::from(r.kind) == k && r.occurred <= t && r.resolved.is_none_or(|x| x > t))
                .count() as f64
        }),
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
fn why(c: &CondRt, value: f64, venue: &Venue, halls: Option<&Halls>, incidents: Option<&[String]>) -> String {
    let (what, name) = match c.watch {
        Watch::Queue(k) => ("queue at", venue.security.checkpoints.get(k).map(|x| x.name.clone())),
        Watch::Occupancy(k) => (
            "occupancy of",
            halls.and_then(|h| h.halls.get(k)).map(|x| x.name.clone()),
        ),
        Watch::Density(k) => ("densest cell of", venue.zones.get(k).map(|z| z.name.clone())),
        Watch::Wait(k) => (
            "longest wait so far at",
            venue.security.checkpoints.get(k).map(|x| x.name.clone()),
        ),
        Watch::Incidents(k) => ("open incidents of type", incidents.and_then(|n| n.get(k).cloned())),
    };
    format!(
        "{what} {} {value} {} {}",
        name.unwrap_or_default(),
        if c.above { "above" } else { "below" },
        c.level
    )
}

/// Sends responder group `g` to a post at `post` for timeline entry `entry` (its deployment and
/// shift before kept for the undoing); a group off shift goes on duty now. Returns the words.
fn deploy(
    tl: &mut TimelineRt,
    r: &mut crate::responders::Responders,
    entry: usize,
    g: usize,
    post: Vec2,
    t: f64,
) -> String {
    let g = &mut r.groups[g];
    if tl.restore_units.len() <= entry {
        tl.restore_units.resize(entry + 1, None);
    }
    if tl.restore_units[entry].is_none() {
        tl.restore_units[entry] = Some((g.deployment.clone(), g.shift_from));
    }
    g.deployment = crate::responders::DeploymentRt::Post(post);
    g.shift_from = g.shift_from.min(t);
    format!("{} sent to a post at ({}, {})", g.name, post.x, post.y)
}

/// Sends responder group `g` back to the deployment and shift it had before entry `entry`.
fn recall(tl: &mut TimelineRt, r: &mut crate::responders::Responders, entry: usize, g: usize) -> String {
    let g = &mut r.groups[g];
    if let Some((d, from)) = tl.restore_units.get_mut(entry).and_then(Option::take) {
        g.deployment = d;
        g.shift_from = from;
    }
    format!("{} back to its deployment", g.name)
}

/// Where a guard stands at a closed area: 2 m outside its edge, at the point of the edge nearest
/// `anchor` (the group's own deployment), rounded to 0.1 m.
pub fn guard_post(shape: &crate::venue::Shape, anchor: Vec2) -> Vec2 {
    let p = match shape {
        crate::venue::Shape::Circle(c, r) => {
            let dir = (anchor - *c).try_normalize().unwrap_or(Vec2::X);
            *c + dir * (*r + 2.0)
        }
        crate::venue::Shape::Polygon(pts, _, _) => {
            let mut best = (f32::INFINITY, anchor);
            for (i, &a) in pts.iter().enumerate() {
                let b = pts[(i + 1) % pts.len()];
                let ab = b - a;
                let s = ((anchor - a).dot(ab) / ab.length_squared().max(1e-9)).clamp(0.0, 1.0);
                let e = a + ab * s;
                let d = e.distance_squared(anchor);
                if d < best.0 {
                    best = (d, e);
                }
            }
            let e = best.1;
            // outwards: away from the anchor when it lies inside, towards it when outside
            let out = if shape.contains(anchor) { e - anchor } else { anchor - e };
            let out = out
                .try_normalize()
                .unwrap_or_else(|| (e - shape.center()).try_normalize().unwrap_or(Vec2::X));
            e + out * 2.0
        }
        crate::venue::Shape::Multi(_) => shape.center(),
    };
    (p * 10.0).round() / 10.0
}

/// The meter an entry sets, persons a minute: its own, or (NaN: its undoing) the one before it,
/// which the entry keeps when it first fires.
fn meter_now(tl: &mut TimelineRt, ev: &Planned, before: f64, per_minute: f64) -> f64 {
    let now = if per_minute.is_nan() {
        tl.restore_meter[ev.entry].unwrap_or(before)
    } else {
        per_minute
    };
    if !ev.undo {
        tl.restore_meter[ev.entry] = Some(before);
    }
    now
}

/// A meter in words: "12 /min", or "none".
fn meter_words(m: f64) -> String {
    if m.is_finite() && m > 0.0 {
        format!("{m} /min")
    } else {
        "none".to_string()
    }
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
    (mut hall_state, hall_list): (Option<ResMut<HallState>>, Option<Res<Halls>>),
    mut arrivals: Option<ResMut<ArrivalQueue>>,
    (metrics, mut vehicles): (Option<Res<Metrics>>, Option<ResMut<crate::vehicles::VehicleState>>),
    mut evacuation: Option<ResMut<crate::evacuation::EvacuationRt>>,
    incident_state: Option<Res<crate::incidents::IncidentState>>,
    mut responders: Option<ResMut<crate::responders::Responders>>,
    queued: Query<(&Agent, &Leg, &crate::crowd::Position), With<Queued>>,
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
        let value = measure(
            cond.watch,
            t,
            &state,
            hall_state.as_deref(),
            metrics.as_deref(),
            incident_state.as_deref(),
        );
        if !holds(&cond, value, t, &mut r.since) {
            continue;
        }
        r.since = None;
        let value = (value * 100.0).round() / 100.0;
        let reason = why(&cond, value, &venue, hall_list.as_deref(), Some(&tl.incident_kinds));
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
        let fired = tl.fired.len();
        let mut detours: Vec<f64> = Vec::new();
        let ncp = venue.security.checkpoints.len();
        let scope: Vec<usize> = match ev.action {
            ActionRt::Lanes { cp, .. } | ActionRt::Meter { cp, .. } => vec![cp],
            // a closure moves its queue to its ring's other checkpoints
            ActionRt::Close { cp } | ActionRt::Reopen { cp } => {
                let ring = venue.security.checkpoints[cp].ring;
                (0..ncp)
                    .filter(|&k| venue.security.checkpoints[k].ring == ring)
                    .collect()
            }
            ActionRt::Surge { .. } => (0..ncp).collect(),
            _ => Vec::new(),
        };
        let what = match ev.action {
            ActionRt::Lanes { cp, open } => {
                let before = state.queues[cp].open_lanes() as u32;
                let open = count_to_set(tl, ev.entry, ev.undo, open, before);
                state.queues[cp].set_open(open as usize, t);
                format!("{}: {before} → {open} lanes open", venue.security.checkpoints[cp].name)
            }
            ActionRt::Close { cp } => {
                state.plan_closed[cp] = true;
                let mut moved = Vec::new();
                rerouted = reroute(
                    &mut commands,
                    &venue,
                    &mut state,
                    (cp, fired),
                    (&queued, &walking, &positions),
                    &mut moved,
                );
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
                let per_minute = meter_now(tl, &ev, before, per_minute);
                q.set_meter(per_minute, t);
                format!(
                    "{}: meter {} → {}",
                    venue.security.checkpoints[cp].name,
                    meter_words(before),
                    meter_words(per_minute)
                )
            }
            ActionRt::MeterDoor { door, per_minute } => {
                let Some(d) = tl.doors.get(door).copied().filter(|&d| d < state.door_meter.len()) else {
                    continue;
                };
                let m = &mut state.door_meter[d];
                let before = m.per_minute();
                let per_minute = meter_now(tl, &ev, before, per_minute);
                m.set(per_minute, t);
                format!(
                    "door {}: meter {} → {}",
                    venue.security.doors[d].name,
                    meter_words(before),
                    meter_words(per_minute)
                )
            }
            ActionRt::MeterSource { source, per_minute } => {
                let Some(m) = arrivals.as_deref_mut().and_then(|a| a.meters.get_mut(source)) else {
                    continue;
                };
                let before = m.per_minute();
                let per_minute = meter_now(tl, &ev, before, per_minute);
                m.set(per_minute, t);
                format!(
                    "source {}: meter {} → {}",
                    venue.sources[source].name,
                    meter_words(before),
                    meter_words(per_minute)
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
                        if let (Ok((a, w)), Ok((p, _))) = (walking.get(e).map(|x| (x.1, x.2)), positions.get(e)) {
                            let before = way_left(&venue, &venue.fields, (w.target, w.via, a.goal(w.leg)), p.0, true);
                            commands.entity(e).insert(Detour {
                                fired,
                                from: p.0,
                                before,
                            });
                        }
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
                let fields_before = venue.fields.clone();
                closures.apply(&mut venue, &tl.areas, &tl.open_areas);
                let shape = &tl.areas[area].clone();
                if close {
                    // whose way is longer now, and by how much (in id order)
                    let mut walkers: Vec<(u32, Entity)> = walking.iter().map(|(e, a, _)| (a.id, e)).collect();
                    walkers.sort_unstable();
                    for (_, e) in walkers {
                        let (Ok((_, a, w)), Ok((p, _))) = (walking.get(e), positions.get(e)) else {
                            continue;
                        };
                        if shape.contains(p.0) {
                            rerouted += 1; // sent out
                            continue;
                        }
                        // a way whose cost did not rise is no longer (the cheap test first)
                        let goal = a.goal(w.leg);
                        let way = |fields: &[std::sync::Arc<crate::venue::field::FloorField>], taut: bool| {
                            way_left(&venue, fields, (w.target, w.via, goal), p.0, taut)
                        };
                        if extra(way(&fields_before, false), way(&venue.fields, false)).is_none_or(|x| x <= 0.5) {
                            continue;
                        }
                        let (before, after) = (way(&fields_before, true), way(&venue.fields, true));
                        if let Some(x) = extra(before, after)
                            && x > 0.5
                        {
                            rerouted += 1;
                            detours.push(x);
                        }
                    }
                }
                let name = match shape {
                    crate::venue::Shape::Circle(c, r) => format!("cordon of {r} m round ({}, {})", c.x, c.y),
                    _ => format!("zone {}", area_name(&venue, shape)),
                };
                // its guard goes to a post at its edge, and back when it opens
                let guard = tl.area_guards.get(area).copied().flatten().and_then(|g| {
                    let r = responders.as_deref_mut()?;
                    Some(if close {
                        let anchor = r.groups.get(g)?.deployment.anchor();
                        deploy(tl, r, ev.entry, g, guard_post(shape, anchor), t)
                    } else {
                        recall(tl, r, ev.entry, g)
                    })
                });
                let guard = guard.map_or(String::new(), |w| format!("; {w}"));
                if close {
                    let inside = positions.iter().filter(|(p, w)| *w && shape.contains(p.0)).count();
                    format!("{name} closed; {inside} walking inside it sent out{guard}")
                } else {
                    format!("{name} open again{guard}")
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
            ActionRt::Hold { line } | ActionRt::Release { line } => {
                let hold = matches!(ev.action, ActionRt::Hold { .. });
                let pass = if hold {
                    crate::venue::grid::SOLID
                } else {
                    crate::venue::grid::OPEN
                };
                for &k in tl.hold_walls.get(line).map_or(&[][..], |v| v.as_slice()) {
                    venue.walls.pass[k] = pass;
                }
                if hold {
                    format!("crowd held at line {}", line + 1)
                } else {
                    format!("line {} released", line + 1)
                }
            }
            ActionRt::Deploy { group, post } => {
                let Some(r) = responders.as_deref_mut().filter(|r| group < r.groups.len()) else {
                    continue;
                };
                deploy(tl, r, ev.entry, group, post, t)
            }
            ActionRt::Recall { group } => {
                let Some(r) = responders.as_deref_mut().filter(|r| group < r.groups.len()) else {
                    continue;
                };
                recall(tl, r, ev.entry, group)
            }
            ActionRt::Road { link, close } => {
                let Some(v) = vehicles.as_deref_mut() else { continue };
                let name = v.rt.links.get(link as usize).map_or("?".into(), |l| l.name.clone());
                // undone: back to how it was when the entry fired (an `OpenRoad` with `for` on
                // an open road leaves it open)
                let before = v.closed.get(link as usize).copied().unwrap_or(false);
                let close = if ev.undo {
                    tl.restore[ev.entry].map_or(close, |c| c == 1)
                } else {
                    tl.restore[ev.entry] = Some(u32::from(before));
                    close
                };
                let (changed, stuck) = v.set_road(link, close);
                let held = if stuck > 0 {
                    format!(", {stuck} with no open way held before it")
                } else {
                    String::new()
                };
                format!(
                    "road {name} {}: {changed} vehicles re-routed{held}",
                    if close { "closed" } else { "open again" }
                )
            }
            ActionRt::Booths { cp, open } => {
                let Some(v) = vehicles.as_deref_mut() else { continue };
                let Some(before) = v.open_booths.get(cp as usize).copied() else {
                    continue;
                };
                let open = count_to_set(tl, ev.entry, ev.undo, open, before);
                v.open_booths[cp as usize] = open.min(v.rt.checkpoints[cp as usize].lanes);
                let name = &v.rt.checkpoints[cp as usize].name;
                format!("{name}: {before} → {open} booths open")
            }
            ActionRt::Surge { group, count, every } => {
                // on a rule: its batches from now join the group's arrivals (a timed surge's
                // were merged in at the start)
                if let Some(r) = tl.rules.iter().find(|r| r.entry == ev.entry)
                    && let Some(q) = arrivals.as_deref_mut()
                    && let Some(own) = q.times.get_mut(group)
                {
                    let batches = match (every, r.dur) {
                        (Some(h), Some(d)) if h > 0.0 && d >= 0.0 => (d / h).floor() as u64 + 1,
                        _ => 1,
                    };
                    let next = q.next.get(group).copied().unwrap_or(0).min(own.len());
                    for b in 0..batches {
                        let at = t + b as f64 * every.unwrap_or(0.0);
                        let pos = next + own[next..].partition_point(|&x| x <= at);
                        own.splice(pos..pos, std::iter::repeat_n(at, count as usize));
                    }
                }
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
        let mut f = Fired {
            t,
            entry: ev.entry,
            undo: ev.undo,
            what,
            rerouted,
            reroute_s: None,
            scope: Vec::new(),
            detours: (0, 0.0, 0.0),
        };
        for x in detours {
            f.detour(x);
        }
        if ev.undo {
            // the entry's impact is over once its queues are back at their level from now on
            if let Some(i) = tl
                .impacts
                .iter_mut()
                .rev()
                .find(|i| tl.fired[i.fired].entry == ev.entry && i.undone.is_none())
            {
                i.undone = Some(t);
            }
        } else if !scope.is_empty() {
            let before = scope.iter().map(|&k| state.queue_length(k) as u64).sum();
            let start = Recovery {
                peak: (before, t),
                wait: 0.0,
                back: None,
            };
            tl.impacts.push(Impact {
                fired,
                before,
                rose: false,
                undone: None,
                from_fired: start,
                from_undone: start,
                seen: scope.iter().map(|&k| state.records[k].waits.len()).collect(),
            });
            f.scope = scope;
        }
        tl.fired.push(f);
    }
}

/// Follows each action's queues from when it fired: their peak, the longest wait begun since,
/// and when they are back at or below their length then (after it was undone, and after they
/// had risen above it); then stops following it.
fn follow_impacts(clock: Res<SimClock>, mut tl: ResMut<TimelineRt>, state: Option<Res<CheckpointState>>) {
    let Some(state) = state else { return };
    let t = clock.t_end();
    let tl = &mut *tl;
    for i in tl.impacts.iter_mut().filter(|i| i.from_undone.back.is_none()) {
        let scope = &tl.fired[i.fired].scope;
        let n: u64 = scope.iter().map(|&k| state.queue_length(k) as u64).sum();
        let mut wait = 0.0f64;
        for (s, &k) in i.seen.iter_mut().zip(scope) {
            let waits = &state.records[k].waits;
            wait = waits[*s..].iter().copied().fold(wait, f64::max);
            *s = waits.len();
        }
        i.rose |= n > i.before;
        let (before, rose) = (i.before, i.rose);
        let undone = i.undone.is_some_and(|u| t >= u);
        for (r, may) in [(&mut i.from_fired, true), (&mut i.from_undone, undone)] {
            if r.back.is_some() {
                continue;
            }
            r.wait = r.wait.max(wait);
            if n > r.peak.0 {
                r.peak = (n, t);
            }
            if may && rose && n <= before {
                r.back = Some(t);
            }
        }
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
#[allow(clippy::type_complexity)]
fn reroute(
    commands: &mut Commands,
    venue: &Venue,
    state: &mut CheckpointState,
    (k, fired): (usize, usize),
    (queued, walking, positions): (
        &Query<(&Agent, &Leg, &crate::crowd::Position), With<Queued>>,
        &Query<(Entity, &Agent, &Walking)>,
        &Query<(&crate::crowd::Position, Has<Walking>)>,
    ),
    moved: &mut Vec<Entity>,
) -> u64 {
    let mut n = 0;
    let via = Some(Via::Lanes(k as u16));
    // the queue, in id order (members being screened stay: their screening ends as usual)
    let mut members: Vec<(u64, Entity)> = state.members[k].iter().map(|(&id, &e)| (id, e)).collect();
    members.sort_unstable();
    for (id, e) in members {
        let Ok((a, &leg, p)) = queued.get(e) else { continue };
        commands.entity(e).insert(Detour {
            fired,
            from: p.0,
            before: (
                0.0,
                way_left(venue, &venue.fields, (a.goal(leg), via, a.goal(leg)), p.0, true).1,
            ),
        });
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
        .filter(|(_, _, w)| w.via == via)
        .map(|(e, a, _)| (a.id, e))
        .collect();
    heading.sort_unstable();
    for (_, e) in heading {
        commands.entity(e).insert(NeedsRoute);
        if let (Ok((_, a, w)), Ok((p, _))) = (walking.get(e), positions.get(e)) {
            commands.entity(e).insert(Detour {
                fired,
                from: p.0,
                before: way_left(venue, &venue.fields, (w.target, w.via, a.goal(w.leg)), p.0, true),
            });
        }
        moved.push(e);
        n += 1;
    }
    n
}

/// Follows those a closure re-routed: once the last has joined another queue, is being
/// screened or has left, the closure's re-route time is known.
#[allow(clippy::type_complexity)]
fn follow(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    mut tl: ResMut<TimelineRt>,
    people: Query<(
        Has<Queued>,
        Has<crate::checkpoint::Screening>,
        Option<&Walking>,
        Has<NeedsRoute>,
    )>,
    detoured: Query<(Entity, &Agent, &Detour, Option<&Walking>), Without<NeedsRoute>>,
) {
    if tl.following.is_empty() && detoured.is_empty() {
        return;
    }
    let t = clock.t_end();
    let tl = &mut *tl;
    // those who have chosen their way again: how much longer it is from where they were, if by
    // more than 0.5 m as round a cordon (in id order, so the sums are the same at any thread
    // count)
    let mut chosen: Vec<(u32, Entity)> = detoured.iter().map(|(e, a, _, _)| (a.id, e)).collect();
    chosen.sort_unstable();
    for (_, e) in chosen {
        let Ok((_, a, d, w)) = detoured.get(e) else { continue };
        commands.entity(e).remove::<Detour>();
        if let Some(w) = w
            && let Some(x) = extra(
                d.before,
                way_left(&venue, &venue.fields, (w.target, w.via, a.goal(w.leg)), d.from, true),
            )
            && x > 0.5
            && let Some(f) = tl.fired.get_mut(d.fired)
        {
            // (a way that got shorter, to a nearer crossing, is no detour)
            f.detour(x);
        }
    }
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

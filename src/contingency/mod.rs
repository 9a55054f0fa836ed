//! Contingency timeline: actions at clock times that change the plan while it runs — a
//! checkpoint's open lanes (a staffing change, a lane breaking down and being repaired), a
//! checkpoint closed and reopened. Each fires at the first step that starts at or after its
//! time, in file order on ties, and with `for` is undone that many seconds later.
//!
//! Closing a checkpoint re-routes everyone queueing at it and everyone on the way to it: they
//! choose again among the crossings of the ring by expected time (walk, queue, service), as
//! arrivals do ([`crate::checkpoint::systems::choose_checkpoint`]); whoever is being screened
//! finishes. Their time to enter keeps counting from when they first joined a queue.

pub mod build;

use crate::checkpoint::{CheckpointState, Queued};
use crate::crowd::{Agent, ArrivalQueue, CrowdConfig, Leg, NeedsRoute, Standing, Via, Walking};
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
    /// What has fired so far.
    pub fired: Vec<Fired>,
    /// Per surge: crowd group and its arrival times (s after the start, ascending).
    pub surges: Vec<(usize, Vec<f64>)>,
}

/// Plugin owning the timeline (nothing without one).
pub struct ContingencyPlugin(pub TimelineRt);

impl Plugin for ContingencyPlugin {
    fn build(&self, app: &mut App) {
        if self.0.planned.is_empty() {
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
        app.add_systems(SimStep, fire.in_set(SimSystems::Spawn));
    }
}

/// Fires every event whose time has come (it lies before the end of this step).
fn fire(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    mut tl: ResMut<TimelineRt>,
    cfg: Res<CrowdConfig>,
    state: Option<ResMut<CheckpointState>>,
    queued: Query<(&Agent, &Leg), With<Queued>>,
    walking: Query<(Entity, &Agent, &Walking)>,
) {
    let Some(mut state) = state else { return };
    let t = clock.t();
    let tl = &mut *tl;
    while let Some(ev) = tl.planned.get(tl.next).cloned()
        && ev.t < clock.t_end()
    {
        tl.next += 1;
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
                rerouted = reroute(&mut commands, &mut state, cp, &queued, &walking);
                format!("{} closed; {rerouted} re-routed", venue.security.checkpoints[cp].name)
            }
            ActionRt::Reopen { cp } => {
                state.plan_closed[cp] = false;
                format!("{} reopened", venue.security.checkpoints[cp].name)
            }
            ActionRt::Surge { group, count, every } => {
                let name = cfg.groups.get(group).map_or("?", |g| g.name.as_str());
                match every {
                    Some(h) => format!("{name}: batches of {count} every {h} s"),
                    None => format!("{name}: a batch of {count}"),
                }
            }
        };
        tl.fired.push(Fired {
            t,
            entry: ev.entry,
            undo: ev.undo,
            what,
            rerouted,
        });
    }
}

/// Everyone queueing at checkpoint `k` leaves its queue and walks on towards their goal, and
/// they and everyone on the way to `k` choose their crossing again; returns how many.
fn reroute(
    commands: &mut Commands,
    state: &mut CheckpointState,
    k: usize,
    queued: &Query<(&Agent, &Leg), With<Queued>>,
    walking: &Query<(Entity, &Agent, &Walking)>,
) -> u64 {
    let mut n = 0;
    // the queue, in id order
    let members: Vec<(u64, Entity)> = state.members[k].iter().map(|(&id, &e)| (id, e)).collect();
    for (id, e) in members {
        state.queues[k].leave(id);
        state.members[k].remove(&id);
        for f in &mut state.files[k] {
            f.retain(|x| *x != id);
        }
        let Ok((a, &leg)) = queued.get(e) else { continue };
        commands.entity(e).remove::<(Queued, Standing, Leg)>().insert((
            Walking {
                target: a.goal(leg),
                leg,
                via: None,
            },
            NeedsRoute,
        ));
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
        n += 1;
    }
    n
}

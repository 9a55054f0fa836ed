//! Halls: targets with a licensed capacity whose occupants are counted.
//!
//! Everyone whose destination is a hall is **admitted** when they come within
//! [`ADMIT_DISTANCE`] of it (walking distance on its floor field) and counts as an occupant from
//! then until they leave it (the end of their stay, from [`crate::crowd::CrowdLog`]'s
//! departures). While the hall is full (at `capacity`, until fewer than `reopen_below` are
//! inside) or others are already waiting, a newcomer there stops and **waits where it stands**
//! (taking space, not walking: the crowd model sets the density of the crowd that gathers at
//! the door); the first to wait is the first admitted when there is room.

pub mod build;

use crate::crowd::{Agent, CrowdLog, Dwelling, Held, Leg, Position, Standing, Walking};
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::Venue;
use bevy::prelude::*;
use std::collections::{HashMap, VecDeque};

/// Walking distance (m, on the hall's floor field) at which a newcomer is admitted or waits.
pub const ADMIT_DISTANCE: f32 = 3.0;

/// A hall at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct HallRt {
    /// Name.
    pub name: String,
    /// Its target (and floor field).
    pub target: u16,
    /// Licensed occupancy.
    pub capacity: u32,
    /// Admission resumes below this many.
    pub reopen_below: u32,
    /// Bounding box of its target (lower-left, upper-right corner).
    pub bounds: (Vec2, Vec2),
}

/// The halls of a run.
#[derive(Resource, Debug, Clone, Default)]
pub struct Halls {
    /// Halls.
    pub halls: Vec<HallRt>,
    /// Per target, its hall (`u16::MAX`: none).
    pub of_target: Vec<u16>,
}

impl Halls {
    /// The halls, with the lookup from `targets` targets.
    pub fn new(halls: Vec<HallRt>, targets: usize) -> Halls {
        let mut of_target = vec![u16::MAX; targets];
        for (h, hall) in halls.iter().enumerate() {
            if let Some(x) = of_target.get_mut(hall.target as usize) {
                *x = h as u16;
            }
        }
        Halls { halls, of_target }
    }

    /// Fills in each hall's bounding box from its target's shape in `venue`.
    pub fn set_bounds(&mut self, venue: &Venue) {
        fn bounds(s: &crate::venue::Shape) -> (Vec2, Vec2) {
            match s {
                crate::venue::Shape::Circle(c, r) => (*c - Vec2::splat(*r), *c + Vec2::splat(*r)),
                crate::venue::Shape::Polygon(_, lo, hi) => (*lo, *hi),
                crate::venue::Shape::Multi(parts) => parts
                    .iter()
                    .map(bounds)
                    .fold((Vec2::splat(f32::MAX), Vec2::splat(f32::MIN)), |(a, b), (lo, hi)| {
                        (a.min(lo), b.max(hi))
                    }),
            }
        }
        for h in &mut self.halls {
            if let Some(t) = venue.targets.get(h.target as usize) {
                h.bounds = bounds(&t.shape);
            }
        }
    }

    /// The hall whose floor is target `t`.
    pub fn of(&self, t: u16) -> Option<usize> {
        self.of_target
            .get(t as usize)
            .filter(|h| **h != u16::MAX)
            .map(|h| *h as usize)
    }
}

/// Counted as an occupant of a hall (until the stay ends).
#[derive(Component, Debug, Clone, Copy)]
pub struct Admitted;

/// Waiting outside a full hall, standing.
#[derive(Component, Debug, Clone, Copy)]
pub struct HallWaiting {
    /// Hall.
    pub hall: u16,
    /// Since when, s after the start.
    pub since: f64,
}

/// Occupancy, waiting and records per hall.
#[derive(Resource, Debug, Default)]
pub struct HallState {
    /// Occupants now.
    pub occupancy: Vec<u32>,
    /// Whether admission is open.
    pub open: Vec<bool>,
    /// Who waits outside, first first: (agent id, entity).
    pub waiting: Vec<VecDeque<(u32, Entity)>>,
    /// Highest occupancy and when.
    pub peak: Vec<(u32, f64)>,
    /// Longest wait outside and when.
    pub peak_waiting: Vec<(u32, f64)>,
    /// Admission times.
    pub entries: Vec<Vec<f64>>,
    /// Departure times.
    pub exits: Vec<Vec<f64>>,
    /// Time each admitted newcomer waited outside, s (0 for those who walked straight in).
    pub waits: Vec<Vec<f64>>,
    /// Per hall, the most it admits while a timeline rule on its occupancy governs it (see
    /// [`crate::contingency`]); None: its capacity.
    pub rule_cap: Vec<Option<u32>>,
    /// Seconds admission was stopped.
    pub closed_s: Vec<f64>,
    /// Halls an evacuation order emptied: closed for good.
    pub evacuated: Vec<bool>,
    /// Halls the contingency timeline has stopped admitting (newcomers wait outside).
    pub plan_closed: Vec<bool>,
    /// Occupancy at each series row.
    pub series: Vec<Vec<u32>>,
    /// Persons waiting outside at each series row.
    pub waiting_series: Vec<Vec<u32>>,
    departures_seen: usize,
}

impl HallState {
    fn new(n: usize) -> HallState {
        HallState {
            occupancy: vec![0; n],
            open: vec![true; n],
            waiting: vec![VecDeque::new(); n],
            peak: vec![(0, 0.0); n],
            peak_waiting: vec![(0, 0.0); n],
            entries: vec![Vec::new(); n],
            exits: vec![Vec::new(); n],
            waits: vec![Vec::new(); n],
            closed_s: vec![0.0; n],
            evacuated: vec![false; n],
            plan_closed: vec![false; n],
            rule_cap: vec![None; n],
            series: vec![Vec::new(); n],
            waiting_series: vec![Vec::new(); n],
            departures_seen: 0,
        }
    }

    /// Occupants of all halls now.
    pub fn total(&self) -> u64 {
        self.occupancy.iter().map(|&n| u64::from(n)).sum()
    }
}

/// Plugin owning the halls: the halls and the series interval, s.
pub struct HallsPlugin(pub Halls, pub f64);

/// Seconds between series rows.
#[derive(Resource, Debug, Clone, Copy)]
struct SeriesInterval(f64);

impl Plugin for HallsPlugin {
    fn build(&self, app: &mut App) {
        let n = self.0.halls.len();
        app.insert_resource(self.0.clone())
            .insert_resource(HallState::new(n))
            .insert_resource(SeriesInterval(self.1));
        app.add_systems(
            SimStep,
            admit.in_set(SimSystems::Route).after(crate::crowd::RouteSystems),
        );
        app.add_systems(SimStep, record.in_set(SimSystems::Measure));
    }
}

#[allow(clippy::type_complexity)]
fn admit(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    halls: Res<Halls>,
    log: Res<CrowdLog>,
    mut state: ResMut<HallState>,
    walkers: Query<(Entity, &Agent, &Position, &Walking), Without<Admitted>>,
    arrived: Query<(Entity, &Agent), (Added<Dwelling>, Without<Admitted>)>,
    held: Query<(&HallWaiting, &Position, &Agent)>,
) {
    if halls.halls.is_empty() {
        return;
    }
    let t = clock.t_end();
    let st = &mut *state;
    // those who left their hall
    for &(when, target) in &log.departures[st.departures_seen..] {
        if let Some(h) = halls.of(target) {
            st.occupancy[h] = st.occupancy[h].saturating_sub(1);
            st.exits[h].push(when);
        }
    }
    st.departures_seen = log.departures.len();
    for (h, hall) in halls.halls.iter().enumerate() {
        // admission closes at capacity and opens again below `reopen_below`
        if st.evacuated[h] || st.plan_closed[h] {
            st.open[h] = false;
            continue;
        }
        if st.occupancy[h] >= hall.capacity {
            st.open[h] = false;
        } else if st.occupancy[h] < hall.reopen_below {
            st.open[h] = true;
        }
        // the first waiting go in while there is room
        let limit = st.rule_cap[h].map_or(hall.capacity, |c| c.min(hall.capacity));
        while st.open[h] && st.occupancy[h] < limit {
            let Some((_, e)) = st.waiting[h].pop_front() else { break };
            let Ok(since) = held.get(e).map(|w| w.0.since) else {
                continue;
            };
            let Ok(mut ec) = commands.get_entity(e) else { continue };
            st.waits[h].push(t - since);
            ec.remove::<(HallWaiting, Held, Standing)>().insert((
                Walking {
                    target: hall.target,
                    leg: Leg::ToDestination,
                    via: None,
                },
                Admitted,
            ));
            st.occupancy[h] += 1;
            st.entries[h].push(t);
        }
    }
    // where people wait, by hall and 1 m cell: a newcomer who walks up to one of them has
    // reached the back of the queue
    let mut backs: HashMap<(u16, i32, i32), Vec<(Vec2, f32)>> = HashMap::new();
    for (w, p, a) in &held {
        backs
            .entry((w.hall, p.0.x.floor() as i32, p.0.y.floor() as i32))
            .or_default()
            .push((p.0, a.radius));
    }
    let at_back = |h: usize, p: Vec2, r: f32| {
        let (cx, cy) = (p.x.floor() as i32, p.y.floor() as i32);
        (cx - 1..=cx + 1).any(|x| {
            (cy - 1..=cy + 1).any(|y| {
                backs
                    .get(&(h as u16, x, y))
                    .is_some_and(|v| v.iter().any(|(q, rq)| q.distance(p) < r + rq + 0.3))
            })
        })
    };
    // newcomers at the door or at the back of the queue, in id order: in if there is room and
    // nobody waits, else wait
    let mut near: Vec<(u32, Entity, usize)> = walkers
        .iter()
        .filter(|(_, a, _, w)| w.leg == Leg::ToDestination && w.via.is_none() && w.target == a.destination)
        .filter_map(|(e, a, p, _)| {
            let h = halls.of(a.destination)?;
            // walking distance is at least the straight one: far from the hall's box, skip
            let (lo, hi) = halls.halls[h].bounds;
            let out = (lo - p.0).max(p.0 - hi).max(Vec2::ZERO);
            if out.length_squared() > ADMIT_DISTANCE * ADMIT_DISTANCE && st.waiting[h].is_empty() {
                return None;
            }
            let cost = venue.fields[a.destination as usize].cost_interp(&venue.grid, p.0);
            (cost < ADMIT_DISTANCE || (!st.waiting[h].is_empty() && at_back(h, p.0, a.radius))).then_some((a.id, e, h))
        })
        .collect();
    near.sort_unstable_by_key(|x| x.0);
    for (id, e, h) in near {
        let hall = &halls.halls[h];
        if st.evacuated[h] {
            // evacuated: turned away from its door, to wherever they would leave by
            if let Ok((_, a, _, _)) = walkers.get(e)
                && let Some(x) = a.exit
            {
                commands.entity(e).insert((
                    Walking {
                        target: x,
                        leg: Leg::ToExit,
                        via: None,
                    },
                    crate::crowd::NeedsRoute,
                ));
            }
            continue;
        }
        let limit = st.rule_cap[h].map_or(hall.capacity, |c| c.min(hall.capacity));
        if st.open[h] && st.waiting[h].is_empty() && st.occupancy[h] < limit {
            commands.entity(e).insert(Admitted);
            st.occupancy[h] += 1;
            st.entries[h].push(t);
            st.waits[h].push(0.0);
            if st.occupancy[h] >= hall.capacity {
                st.open[h] = false;
            }
        } else {
            commands.entity(e).remove::<Walking>().insert((
                Standing,
                Held,
                HallWaiting {
                    hall: h as u16,
                    since: t,
                },
            ));
            st.waiting[h].push_back((id, e));
        }
    }
    // someone who appeared inside a hall (or reached it between two checks) counts on arriving
    for (e, a) in &arrived {
        if let Some(h) = halls.of(a.destination) {
            commands.entity(e).insert(Admitted);
            st.occupancy[h] += 1;
            st.entries[h].push(t);
            st.waits[h].push(0.0);
        }
    }
    for h in 0..halls.halls.len() {
        if st.occupancy[h] > st.peak[h].0 {
            st.peak[h] = (st.occupancy[h], t);
        }
        let w = st.waiting[h].len() as u32;
        if w > st.peak_waiting[h].0 {
            st.peak_waiting[h] = (w, t);
        }
    }
}

/// Seconds closed and the series rows.
fn record(clock: Res<SimClock>, interval: Res<SeriesInterval>, mut state: ResMut<HallState>) {
    let dt = clock.dt;
    let every = ((interval.0 / dt).round() as u64).max(1);
    let row = (clock.tick + 1) % every == 0;
    let st = &mut *state;
    for h in 0..st.occupancy.len() {
        if !st.open[h] {
            st.closed_s[h] += dt;
        }
        if row {
            st.series[h].push(st.occupancy[h]);
            st.waiting_series[h].push(st.waiting[h].len() as u32);
        }
    }
}

//! Evacuation: an order at a clock time sends everyone in the given zones (or the whole venue)
//! to the nearest of the assembly points or exits by walking time, and measures how long it
//! takes to clear each zone, each hall and the whole venue.
//!
//! At the order every arrival still to come is called off; everyone in an evacuated zone — walking,
//! waiting at a hall, queueing at a checkpoint (they leave the queue), being screened (they go
//! on out when it ends), staying in a destination (they reappear inside it and walk out, so
//! halls empty through their doors) — becomes an **evacuee** heading for the nearest target of
//! `to`; halls and checkpoints in the zones stop letting anyone in. Rings are left through their
//! exit doors, as always ([`crate::venue::security::DoorRt`]).

pub mod build;

use crate::checkpoint::{CheckpointState, Queued, Screening};
use crate::crowd::{
    Agent, ArrivalQueue, DwellQueue, Dwelling, Held, Leg, NeedsRoute, Position, Settling, Standing, Walking,
};
use crate::halls::{Admitted, HallState, HallWaiting, Halls};
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::Venue;
use crate::venue::geometry::point_in_polygon;
use bevy::prelude::*;

/// An evacuation order at run time.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct EvacuationRt {
    /// When, s after the start.
    pub at: f64,
    /// Zones evacuated (indices; empty: the whole venue).
    pub zones: Vec<usize>,
    /// Targets evacuees walk to (the nearest by walking time).
    pub to: Vec<u16>,
}

/// Someone evacuating.
#[derive(Component, Debug, Clone, Copy)]
pub struct Evacuee {
    /// Where they were at the order.
    pub from: Vec2,
}

/// What the evacuation measured.
#[derive(Resource, Debug, Default)]
pub struct EvacState {
    /// Whether the order has been given.
    pub ordered: bool,
    /// Evacuees.
    pub evacuees: u64,
    /// Arrivals called off.
    pub called_off: u64,
    /// Time each evacuee got to safety (reached a target of `to`), s after the start.
    pub safe: Vec<f64>,
    /// Per evacuated zone, when nobody was left in it.
    pub zone_clear: Vec<Option<f64>>,
    /// Per hall, when nobody was left on its floor (None: not evacuated or not yet).
    pub hall_clear: Vec<Option<f64>>,
    /// Halls the order emptied.
    pub hall_evacuated: Vec<bool>,
    /// Highest density of a density cell after the order, where and when.
    pub peak_density: (f32, Vec2, f64),
}

/// The system that gives the order (a timeline rule that gives it runs before).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderSet;

/// Plugin owning the evacuation order. Its systems are always there but run only once an order
/// exists: from the start with the scenario's, or from when one is given live
/// ([`EvacState::give`]; the viewer's what-ifs), so a run without one is as before.
pub struct EvacuationPlugin(pub Option<EvacuationRt>);

impl Plugin for EvacuationPlugin {
    fn build(&self, app: &mut App) {
        if let Some(rt) = self.0.clone() {
            EvacState::give(app.world_mut(), rt);
        }
        let ordered = resource_exists::<EvacuationRt>;
        app.add_systems(
            SimStep,
            order.in_set(SimSystems::Spawn).in_set(OrderSet).run_if(ordered),
        );
        app.add_systems(
            SimStep,
            (retarget, turn_back)
                .in_set(SimSystems::Route)
                .before(crate::crowd::RouteSystems)
                .run_if(ordered),
        );
        app.add_systems(SimStep, record.in_set(SimSystems::Measure).run_if(ordered));
    }
}

impl EvacState {
    /// Puts order `rt` (given at `rt.at`, or when a timeline rule fires if not finite) and its
    /// records into `world`.
    pub fn give(world: &mut World, rt: EvacuationRt) {
        let zones = if rt.zones.is_empty() { 1 } else { rt.zones.len() };
        world.insert_resource(rt);
        world.insert_resource(EvacState {
            zone_clear: vec![None; zones],
            ..Default::default()
        });
    }
}

/// Whether `p` lies in the evacuated area.
fn in_area(venue: &Venue, rt: &EvacuationRt, p: Vec2) -> bool {
    rt.zones.is_empty() || rt.zones.iter().any(|&z| point_in_polygon(p, &venue.zones[z].polygon))
}

/// The target of `to` nearest to `p` by walking (floor-field) distance across rings.
fn nearest(venue: &Venue, to: &[u16], p: Vec2) -> u16 {
    to.iter()
        .copied()
        .map(|x| {
            let field = &venue.fields[x as usize];
            let cost = crate::responders::route_cost(venue, field, p, venue.target_region[x as usize]).0;
            (cost, x)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
        .map_or(to[0], |c| c.1)
}

#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn order(
    mut commands: Commands,
    clock: Res<SimClock>,
    venue: Res<Venue>,
    rt: Res<EvacuationRt>,
    mut st: ResMut<EvacState>,
    mut arrivals: ResMut<ArrivalQueue>,
    mut dwell: ResMut<DwellQueue>,
    mut checkpoints: Option<ResMut<CheckpointState>>,
    mut halls: Option<ResMut<HallState>>,
    hall_list: Option<Res<Halls>>,
    mut log: ResMut<crate::crowd::CrowdLog>,
    mut agents: Query<(
        Entity,
        &mut Agent,
        &Position,
        Option<&mut Walking>,
        Option<&mut Dwelling>,
        Option<&Queued>,
        Option<&mut Leg>,
        Option<&Screening>,
        Has<Settling>,
        Option<&HallWaiting>,
        Has<Admitted>,
    )>,
) {
    let t = clock.t();
    if st.ordered || t < rt.at {
        return;
    }
    st.ordered = true;
    // nobody else comes
    let aq = &mut *arrivals;
    for (g, times) in aq.times.iter_mut().enumerate() {
        let next = aq.next[g];
        st.called_off += (times.len() - next.min(times.len())) as u64 + u64::from(aq.waiting[g]);
        times.truncate(next);
    }
    aq.waiting.iter_mut().for_each(|w| *w = 0);
    // halls in the area stop admitting
    if let (Some(hs), Some(list)) = (halls.as_deref_mut(), hall_list.as_deref()) {
        st.hall_evacuated = list
            .halls
            .iter()
            .map(|h| {
                let c = venue.targets[h.target as usize].shape.center();
                in_area(&venue, &rt, c)
            })
            .collect();
        st.hall_clear = vec![None; list.halls.len()];
        for (h, ev) in st.hall_evacuated.iter().enumerate() {
            if *ev {
                hs.evacuated[h] = true;
                hs.waiting[h].clear();
            }
        }
    }
    // checkpoints leading into the area (their inner side or their pen in it) let nobody else
    // in; whoever queues or is screened there goes to an assembly point too
    let closing: Vec<bool> = venue
        .security
        .checkpoints
        .iter()
        .map(|cp| {
            let inner = cp.inner_spot(cp.lanes / 2);
            in_area(&venue, &rt, inner) || in_area(&venue, &rt, cp.pen.center())
        })
        .collect();
    if let Some(cs) = checkpoints.as_deref_mut() {
        for (k, c) in closing.iter().enumerate() {
            if *c {
                cs.closed_at[k] = Some(t);
            }
        }
    }
    // everyone in the area, and at the checkpoints into it, in id order
    let mut who: Vec<(u32, Entity)> = agents
        .iter()
        .filter(|x| {
            in_area(&venue, &rt, x.2.0)
                || x.5.is_some_and(|q| closing[q.cp as usize])
                || x.7.is_some_and(|sc| closing[sc.cp as usize])
        })
        .map(|x| (x.1.id, x.0))
        .collect();
    who.sort_unstable();
    for (id, e) in who {
        let Ok((e, mut a, p, walking, dwelling, queued, leg, screening, settling, waiting, admitted)) =
            agents.get_mut(e)
        else {
            continue;
        };
        let x = nearest(&venue, &rt.to, p.0);
        a.exit = Some(x);
        st.evacuees += 1;
        let mut ec = commands.entity(e);
        ec.insert(Evacuee { from: p.0 });
        if let Some(mut d) = dwelling {
            // out of the stay now: they reappear inside and walk out (or walk off where they stand)
            d.until = t;
            dwell.push(t, id, e);
            continue;
        }
        if screening.is_some() {
            // on out when the screening ends
            if let Some(mut l) = leg {
                *l = Leg::ToExit;
            }
            continue;
        }
        if let Some(q) = queued {
            if let Some(cs) = checkpoints.as_deref_mut() {
                cs.leave_queue(q.cp as usize, u64::from(id), Some(q.file));
            }
            ec.remove::<(Queued, Standing, Leg)>();
        }
        if waiting.is_some() {
            ec.remove::<(HallWaiting, Held, Standing)>();
        }
        if settling {
            ec.remove::<Settling>();
        }
        if admitted && walking.as_ref().is_some_and(|w| w.leg == Leg::ToDestination) {
            // admitted to a hall but not yet in: out of its count
            log.departures.push((t, a.destination));
        }
        match walking {
            Some(mut w) => {
                w.leg = Leg::ToExit;
                w.target = x;
            }
            None => {
                ec.insert(Walking {
                    target: x,
                    leg: Leg::ToExit,
                    via: None,
                });
            }
        }
        ec.insert(NeedsRoute);
    }
}

/// After the order, anyone on their way to a checkpoint into the area is turned to the nearest
/// assembly point instead (an evacuee from then on).
fn turn_back(
    mut commands: Commands,
    venue: Res<Venue>,
    rt: Res<EvacuationRt>,
    mut st: ResMut<EvacState>,
    checkpoints: Option<Res<CheckpointState>>,
    mut q: Query<(Entity, &mut Agent, &Position, &Walking), Without<Evacuee>>,
) {
    let Some(cs) = checkpoints.as_deref() else { return };
    if !st.ordered {
        return;
    }
    let mut turned: Vec<(u32, Entity)> = q
        .iter()
        .filter(|(_, _, _, w)| matches!(w.via, Some(crate::crowd::Via::Lanes(k)) if cs.closed_at[k as usize].is_some()))
        .map(|(e, a, _, _)| (a.id, e))
        .collect();
    turned.sort_unstable();
    for (_, e) in turned {
        let Ok((e, mut a, p, w)) = q.get_mut(e) else { continue };
        let x = nearest(&venue, &rt.to, p.0);
        a.exit = Some(x);
        st.evacuees += 1;
        commands.entity(e).insert((
            Evacuee { from: p.0 },
            Walking {
                target: x,
                leg: Leg::ToExit,
                via: w.via,
            },
            NeedsRoute,
        ));
    }
}

/// An evacuee who has just come out of a stay (reappeared at a free spot of its destination)
/// heads for the assembly point nearest to where it now is.
fn retarget(
    venue: Res<Venue>,
    rt: Res<EvacuationRt>,
    mut q: Query<(&mut Agent, &Position, &mut Walking), (With<Evacuee>, Added<Walking>)>,
) {
    for (mut a, p, mut w) in &mut q {
        if w.leg == Leg::ToExit {
            let x = nearest(&venue, &rt.to, p.0);
            a.exit = Some(x);
            w.target = x;
        }
    }
}

/// Who got to safety, which zones and halls are clear, and the densest cell on the way.
#[allow(clippy::too_many_arguments)]
fn record(
    clock: Res<SimClock>,
    venue: Res<Venue>,
    rt: Res<EvacuationRt>,
    mut st: ResMut<EvacState>,
    hall_list: Option<Res<Halls>>,
    metrics: Res<crate::metrics::Metrics>,
    mut gone: RemovedComponents<Evacuee>,
    people: Query<&Position, With<Agent>>,
    moving: Query<&Position, Or<(With<Walking>, With<Standing>)>>,
) {
    if !st.ordered {
        gone.clear();
        return;
    }
    let t = clock.t_end();
    for _ in gone.read() {
        st.safe.push(t);
    }
    // once a second: the zones and halls, and the densest cell
    let every = ((1.0 / clock.dt).round() as u64).max(1);
    if !(clock.tick + 1).is_multiple_of(every) {
        return;
    }
    if let Some(list) = hall_list.as_deref() {
        for h in 0..st.hall_clear.len() {
            if !st.hall_evacuated[h] || st.hall_clear[h].is_some() {
                continue;
            }
            // empty when nobody is on its floor any more (they walk out through its doors)
            let floor = &venue.targets[list.halls[h].target as usize].shape;
            if !people.iter().any(|p| floor.contains(p.0)) {
                st.hall_clear[h] = Some(t);
            }
        }
    }
    for z in 0..st.zone_clear.len() {
        if st.zone_clear[z].is_some() {
            continue;
        }
        let empty = match rt.zones.get(z) {
            Some(&zi) => !people.iter().any(|p| point_in_polygon(p.0, &venue.zones[zi].polygon)),
            None => people.is_empty(),
        };
        if empty {
            st.zone_clear[z] = Some(t);
        }
    }
    let d = metrics.density_of(moving.iter().map(|p| p.0));
    let (_, _, nx, _) = metrics.raster();
    if let Some((i, &v)) = d
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        && v > st.peak_density.0
    {
        let (origin, cell, _, _) = metrics.raster();
        let at = origin + Vec2::new(((i % nx) as f32 + 0.5) * cell, ((i / nx) as f32 + 0.5) * cell);
        st.peak_density = (v, at, t);
    }
}

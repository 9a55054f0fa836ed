//! The vehicles part of the report: checkpoints (inspected, turned back, intercepted, waits,
//! queues in vehicles and metres, spillback), links (flow, mean speed, time blocked),
//! destinations (arrivals, persons let out, occupancy), flows (trips and delays), the persons
//! carried (the books between the roads and the crowd) and each item's interception across the
//! vehicle and pedestrian rings together.

use super::{Stage, VehicleState};
use crate::metrics::stats::{Stats, round};
use bevy::prelude::*;
use serde::Serialize;

/// The section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VehicleReport {
    /// Traffic step, s.
    pub step_s: f64,
    /// Per vehicle checkpoint.
    pub checkpoints: Vec<VCheckpointReport>,
    /// Per road link.
    pub links: Vec<LinkReport>,
    /// Per destination.
    pub destinations: Vec<DestinationReport>,
    /// Per flow.
    pub flows: Vec<FlowReport>,
    /// Persons carried to the crowd.
    pub persons: PersonsReport,
    /// Per item class: carriers aboard and interceptions, at the vehicle rings and in all.
    pub items: Vec<VItemReport>,
    /// Vehicles on the roads, in booths or standing at the end.
    pub present_at_end: u64,
    /// Route changes when the timeline closed or opened roads.
    pub rerouted: u64,
    /// Vehicles left with no open way by a closure (held before it), counted at each closure.
    pub held_by_closures: u64,
    /// Road links closed at the end.
    pub closed_at_end: Vec<String>,
    /// Per pedestrian crossing (left out when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub crossings: Vec<CrossingReport>,
}

/// One pedestrian crossing.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CrossingReport {
    /// Name.
    pub name: String,
    /// Road node it stands at.
    pub node: String,
    /// "signal" or "zebra".
    pub control: &'static str,
    /// Walkers who stepped onto it.
    pub crossed: u64,
    /// Per walker who came to its kerb (within 2 m) and then stepped onto it: seconds at the
    /// kerb, s.
    pub kerb_wait_s: Stats,
    /// Most walkers at its kerb at once.
    pub kerb_max_walkers: u64,
    /// When, s after the start.
    pub kerb_max_t_s: f64,
    /// Share of the time vehicles had the way.
    pub vehicle_share: f64,
    /// Walker-seconds on the crossing while vehicles had the way (a signal's clearance too short).
    pub caught_on_carriageway_s: f64,
}

/// One vehicle checkpoint.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VCheckpointReport {
    /// Name.
    pub name: String,
    /// Vehicle ring.
    pub ring: String,
    /// Link it stands at the end of.
    pub link: String,
    /// Booths.
    pub lanes: u64,
    /// Vehicles inspected.
    pub inspected: u64,
    /// Turned back (no permit).
    pub turned_back: u64,
    /// Vehicles in which an item was found (its carriers taken off, or the vehicle taken aside
    /// for its cargo).
    pub intercepted: u64,
    /// Delay before the booth against free flow, s.
    pub wait_s: Stats,
    /// Longest queue, vehicles.
    pub queue_max_vehicles: u64,
    /// Its length, m.
    pub queue_max_m: f64,
    /// When, s after the start.
    pub queue_max_t: f64,
    /// Seconds the queue reached back past the start of its link.
    pub spillback_s: f64,
    /// Booths' busy share of the run.
    pub booth_utilisation: f64,
    /// Queue in vehicles at each series row.
    pub queue_series: Vec<u64>,
    /// Vehicles queued at the end (their waits are not in `wait_s`, which has those that
    /// reached a booth).
    pub queued_at_end: u64,
}

/// One road link.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LinkReport {
    /// Name.
    pub name: String,
    /// Vehicles that left it at its end.
    pub vehicles: u64,
    /// Their mean flow over the run, vehicles per hour.
    pub flow_per_h: f64,
    /// Space-mean speed of those on it, m/s (None: nobody drove on it).
    pub mean_speed_m_s: Option<f64>,
    /// Seconds its front vehicle was held by a full next link (spillback onto it).
    pub blocked_s: f64,
}

/// One destination.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DestinationReport {
    /// Name.
    pub name: String,
    /// Drop-off, taxi rank, car park, loading dock.
    pub kind: String,
    /// Bays or spaces.
    pub capacity: u64,
    /// Vehicles that stopped.
    pub arrived: u64,
    /// Persons let out on foot.
    pub released: u64,
    /// Most vehicles standing at once.
    pub occupancy_max: u64,
    /// Wait for a free bay or space, s.
    pub wait_s: Stats,
    /// Vehicles standing at each series row.
    pub occupancy_series: Vec<u64>,
    /// Leavers picked up (absent without a pickup).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picked_up: Option<u64>,
    /// Their wait from reaching the pickup to getting in, s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pickup_wait_s: Option<Stats>,
    /// Leavers still waiting there at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leavers_waiting_at_end: Option<u64>,
}

/// One flow.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FlowReport {
    /// Name.
    pub name: String,
    /// Vehicle class.
    pub class: String,
    /// Vehicles planned in the run.
    pub planned: u64,
    /// Entered the roads.
    pub entered: u64,
    /// Stopped at the destination.
    pub arrived: u64,
    /// Left the roads at the exit.
    pub left: u64,
    /// Scheduled entry to the destination (or the exit), s.
    pub trip_s: Stats,
    /// Its delay against free flow, s.
    pub delay_s: Stats,
    /// Vehicles due that were still waiting to enter the roads at the end (their entry is full).
    pub waiting_to_enter_at_end: u64,
}

/// Persons carried, in all.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PersonsReport {
    /// Aboard vehicles planned in the run.
    pub carried: u64,
    /// Let out on foot.
    pub released: u64,
    /// Turned back with their vehicle.
    pub turned_back: u64,
    /// Taken aside with their vehicle.
    pub detained: u64,
    /// Still aboard (or still to come) at the end.
    pub aboard_at_end: u64,
    /// Leavers who reached a pickup.
    pub collected: u64,
    /// Leavers taken away by vehicles that left the roads.
    pub taken_away: u64,
    /// Leavers aboard vehicles at the end (collected = waiting + aboard + taken away).
    pub collected_aboard_at_end: u64,
    /// Leavers still waiting at pickups at the end.
    pub collected_waiting_at_end: u64,
}

/// One item class.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VItemReport {
    /// Item class.
    pub item: String,
    /// Carriers aboard vehicles that entered the roads (occupants and cargo).
    pub carriers_aboard: u64,
    /// Carriers taken off at vehicle checkpoints (and those aboard vehicles taken aside).
    pub intercepted_at_vehicle_rings: u64,
    /// Per vehicle ring: carriers inspected, found, the rate.
    pub rings: Vec<VRingItemReport>,
    /// Intercepted at vehicle and pedestrian rings together, over those intercepted plus
    /// undetected carriers who reached the innermost ring (None: no carrier got that far).
    pub interception_rate_all_rings: Option<f64>,
}

/// One item at one vehicle ring.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VRingItemReport {
    /// Ring.
    pub ring: String,
    /// Carriers inspected.
    pub screened: u64,
    /// Found.
    pub detected: u64,
    /// detected / screened.
    pub rate: Option<f64>,
}

/// Builds the section (None without vehicles); `security` gives the pedestrian rings' items.
pub fn build(
    world: &World,
    t_end: f64,
    security: Option<&crate::checkpoint::report::SecurityReport>,
) -> Option<VehicleReport> {
    let st = world.get_resource::<VehicleState>()?;
    let rt = &st.rt;
    let mut checkpoints: Vec<VCheckpointReport> = rt
        .checkpoints
        .iter()
        .zip(&st.checkpoints)
        .map(|(c, log)| VCheckpointReport {
            name: c.name.clone(),
            ring: rt.rings.get(c.ring as usize).cloned().unwrap_or_default(),
            link: rt.links[c.link as usize].name.clone(),
            lanes: u64::from(c.lanes),
            inspected: log.inspected,
            turned_back: log.turned_back,
            intercepted: log.intercepted,
            wait_s: Stats::of(log.waits.iter().copied()),
            queue_max_vehicles: u64::from(log.queue_max.0),
            queue_max_m: round(log.queue_max.1),
            queue_max_t: round(log.queue_max.2),
            spillback_s: round(log.spillback_s),
            booth_utilisation: round(if t_end > 0.0 {
                log.busy_s / (f64::from(c.lanes) * t_end)
            } else {
                0.0
            }),
            queue_series: log.queue_series.iter().map(|&n| u64::from(n)).collect(),
            queued_at_end: 0,
        })
        .collect();
    for (k, c) in checkpoints.iter_mut().enumerate() {
        c.queued_at_end = u64::from(st.queue_of(k).0);
    }
    let tr = &st.traffic;
    let links = rt
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| LinkReport {
            name: l.name.clone(),
            vehicles: tr.out_count[i],
            flow_per_h: round(if t_end > 0.0 {
                tr.out_count[i] as f64 * 3600.0 / t_end
            } else {
                0.0
            }),
            mean_speed_m_s: (tr.veh_s[i] > 0.0).then(|| round(tr.veh_m[i] / tr.veh_s[i])),
            blocked_s: round(tr.blocked_s[i]),
        })
        .collect();
    let destinations = rt
        .destinations
        .iter()
        .zip(&st.destinations)
        .map(|(d, log)| (d, log, d.collector.is_some() || d.owners_return()))
        .map(|(d, log, picks)| DestinationReport {
            name: d.name.clone(),
            kind: d.kind.label().into(),
            capacity: u64::from(d.capacity),
            arrived: log.arrived,
            released: log.released,
            occupancy_max: u64::from(log.occupancy_max),
            wait_s: Stats::of(log.waits.iter().copied()),
            occupancy_series: log.occupancy_series.iter().map(|&n| u64::from(n)).collect(),
            picked_up: picks.then_some(log.picked_up),
            pickup_wait_s: picks.then(|| Stats::of(log.pickup_waits.iter().copied())),
            leavers_waiting_at_end: picks.then_some(log.leavers.len() as u64),
        })
        .collect();
    let mut flows: Vec<FlowReport> = rt
        .flows
        .iter()
        .zip(&st.flows)
        .map(|(f, log)| FlowReport {
            name: f.name.clone(),
            class: rt.classes[f.class as usize].name.clone(),
            planned: log.planned,
            entered: log.entered,
            arrived: log.arrived,
            left: log.left,
            trip_s: Stats::of(log.trip_s.iter().copied()),
            delay_s: Stats::of(log.delay_s.iter().copied()),
            waiting_to_enter_at_end: 0,
        })
        .collect();
    for v in st.info.iter().filter(|v| v.stage == Stage::Waiting) {
        flows[v.flow as usize].waiting_to_enter_at_end += 1;
    }
    let b = &st.books;
    let persons = PersonsReport {
        carried: b.planned.iter().sum(),
        released: b.released.iter().sum(),
        turned_back: b.turned_back.iter().sum(),
        detained: b.detained.iter().sum(),
        aboard_at_end: st.aboard().iter().sum(),
        collected: b.collected,
        taken_away: b.taken_away,
        collected_aboard_at_end: st
            .info
            .iter()
            .filter(|v| v.stage != Stage::Gone)
            .map(|v| u64::from(v.riders))
            .sum(),
        collected_waiting_at_end: st.destinations.iter().map(|d| d.leavers.len() as u64).sum(),
    };
    let items = rt
        .items
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let rings = rt
                .rings
                .iter()
                .enumerate()
                .map(|(ri, ring)| {
                    let (sc, de) = rt
                        .checkpoints
                        .iter()
                        .zip(&st.checkpoints)
                        .filter(|(c, _)| c.ring as usize == ri)
                        .fold((0, 0), |(a, b), (_, log)| (a + log.items[k].0, b + log.items[k].1));
                    VRingItemReport {
                        ring: ring.clone(),
                        screened: sc,
                        detected: de,
                        rate: (sc > 0).then(|| round(de as f64 / sc as f64)),
                    }
                })
                .collect();
            let at_vehicles = st.intercepted_items[k];
            let foot = security.and_then(|s| s.items.get(k));
            let (on_foot, undetected) = foot.map_or((0, 0), |i| (i.intercepted, i.undetected_reached_innermost));
            let caught = at_vehicles + on_foot;
            VItemReport {
                item: name.clone(),
                carriers_aboard: st.carriers[k],
                intercepted_at_vehicle_rings: at_vehicles,
                rings,
                interception_rate_all_rings: (caught + undetected > 0)
                    .then(|| round(caught as f64 / (caught + undetected) as f64)),
            }
        })
        .collect();
    Some(VehicleReport {
        step_s: round(tr.dt),
        checkpoints,
        links,
        destinations,
        flows,
        persons,
        items,
        present_at_end: st.info.iter().filter(|v| v.stage != Stage::Gone).count() as u64,
        rerouted: st.rerouted.0,
        held_by_closures: st.rerouted.1,
        closed_at_end: (st.rt.links.iter().zip(&st.closed))
            .filter(|(_, c)| **c)
            .map(|(l, _)| l.name.clone())
            .collect(),
        crossings: (rt.crossings.iter().zip(&st.crossings))
            .map(|(c, log)| CrossingReport {
                name: c.name.clone(),
                node: rt.nodes[c.node as usize].0.clone(),
                control: if c.signal.is_some() { "signal" } else { "zebra" },
                crossed: log.crossed,
                kerb_wait_s: Stats::of(log.kerb_s.iter().copied()),
                kerb_max_walkers: u64::from(log.kerb_max.0),
                kerb_max_t_s: round(log.kerb_max.1),
                vehicle_share: if log.total_s > 0.0 {
                    round(log.vehicles_s / log.total_s)
                } else {
                    0.0
                },
                caught_on_carriageway_s: round(log.caught_s),
            })
            .collect(),
    })
}

//! The security part of the report: per checkpoint throughput, queues, waits, lane use and
//! diversions; per ring and overall interception rates per item class; time to enter.

use crate::checkpoint::CheckpointState;
use crate::crowd::CrowdLog;
use crate::metrics::Metrics;
use crate::metrics::stats::{Stats, round};
use crate::venue::Venue;
use bevy::prelude::*;
use serde::Serialize;

/// One checkpoint.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckpointReport {
    /// Name.
    pub name: String,
    /// Ring name.
    pub ring: String,
    /// Lanes.
    pub lanes: u64,
    /// Persons screened (service finished).
    pub served: u64,
    /// Served per hour open.
    pub throughput_per_h: f64,
    /// Highest served per hour over one series interval.
    pub peak_throughput_per_h: f64,
    /// Served per hour in each series interval.
    pub throughput_series_per_h: Vec<f64>,
    /// Time-mean queue length (persons waiting, not in a lane).
    pub queue_mean: f64,
    /// Longest queue.
    pub queue_max: u64,
    /// When, s after the start.
    pub queue_max_t: f64,
    /// Queue length at each series row.
    pub queue_series: Vec<u64>,
    /// Wait from joining the queue to entering a lane, s.
    pub wait_s: Stats,
    /// Share of lane time spent screening while open.
    pub lane_utilisation: f64,
    /// Seconds the queue was at or over `max_queue`.
    pub over_limit_s: f64,
    /// Arrivals sent elsewhere because the queue was full.
    pub diverted: u64,
    /// Arrival-steps held back at a full queue.
    pub held_steps: u64,
    /// Persons leaving outwards through its exit door (None: it has none).
    pub exits: Option<u64>,
    /// Still queued at the end.
    pub queued_at_end: u64,
    /// Persons turned away: no credentials for it (absent when none were).
    #[serde(skip_serializing_if = "is_zero")]
    pub turned_away: u64,
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

/// One visitor class (crowd groups' `class`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassReport {
    /// Class name.
    pub class: String,
    /// Who passed the last ring inwards.
    pub entered: u64,
    /// Their time from first joining a queue to passing the last ring inwards, s.
    pub time_to_enter_s: Stats,
    /// Turned away at a checkpoint that does not admit the class.
    pub turned_away: u64,
    /// Their waits in checkpoint queues (each passage of a checkpoint), s.
    pub wait_s: Stats,
    /// Carriers of each item class among them, and what became of them (absent without items).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ClassItemReport>,
}

/// One item class among one visitor class's carriers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClassItemReport {
    /// Item class.
    pub item: String,
    /// Carriers of the item in the visitor class.
    pub carriers: u64,
    /// Of them, intercepted at a checkpoint.
    pub intercepted: u64,
    /// Of them, reached a destination inside the innermost ring undetected.
    pub undetected_reached_innermost: u64,
    /// intercepted / (intercepted + undetected_reached_innermost); null when both are 0.
    pub interception_rate: Option<f64>,
}

/// One exit door.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DoorReport {
    /// Name (a checkpoint's exit: the checkpoint's name and " exit").
    pub name: String,
    /// Ring name.
    pub ring: String,
    /// The checkpoint it belongs to, if any.
    pub checkpoint: Option<String>,
    /// Clear width, m.
    pub width_m: f64,
    /// Persons who came out through it.
    pub passed: u64,
    /// Persons per minute through it in each series interval.
    pub flow_series_per_min: Vec<f64>,
    /// The highest of them.
    pub peak_flow_per_min: f64,
    /// That peak per metre of width, persons/(m·s) (capacity is about 1.7–2.0).
    pub peak_specific_flow: f64,
}

/// Screening of one item class at one ring.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RingItemReport {
    /// Ring name.
    pub ring: String,
    /// Carriers screened at this ring.
    pub screened: u64,
    /// Of them detected.
    pub detected: u64,
    /// detected / screened.
    pub rate: Option<f64>,
}

/// One item class.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemReport {
    /// Item class.
    pub item: String,
    /// Visitors carrying it.
    pub carriers: u64,
    /// Intercepted anywhere.
    pub intercepted: u64,
    /// Carriers who reached a screening lane at all.
    pub screened_carriers: u64,
    /// intercepted / (intercepted + undetected carriers who reached the innermost ring).
    pub interception_rate: Option<f64>,
    /// Per ring.
    pub rings: Vec<RingItemReport>,
    /// Carriers who reached a destination inside the innermost ring undetected.
    pub undetected_reached_innermost: u64,
}

/// One interception.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InterceptionReport {
    /// s after the start.
    pub t: f64,
    /// Checkpoint name.
    pub checkpoint: String,
    /// Item class.
    pub item: String,
    /// Place.
    pub x: f64,
    /// Place.
    pub y: f64,
}

/// The security section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SecurityReport {
    /// Per checkpoint.
    pub checkpoints: Vec<CheckpointReport>,
    /// Per exit door (the file's, then the checkpoints' exits).
    pub doors: Vec<DoorReport>,
    /// Per item class.
    pub items: Vec<ItemReport>,
    /// From first joining a queue to passing the last ring inwards, s.
    pub time_to_enter_s: Stats,
    /// The limit, s.
    pub wait_limit_s: f64,
    /// Visitors whose time to enter exceeded it.
    pub over_wait_limit: u64,
    /// Their share of all who entered.
    pub share_over_wait_limit: Option<f64>,
    /// First 100 interceptions.
    pub interceptions: Vec<InterceptionReport>,
    /// Per visitor class (absent without classes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<ClassReport>,
}

/// Builds the section (None without checkpoints or doors).
pub fn build(world: &World, t_end: f64) -> Option<SecurityReport> {
    let venue = world.resource::<Venue>();
    let sec = &venue.security;
    if sec.checkpoints.is_empty() && sec.doors.is_empty() {
        return None;
    }
    let st = world.resource::<CheckpointState>();
    let log = world.resource::<CrowdLog>();
    let m = world.resource::<Metrics>();
    let interval = m.settings.series_interval;
    let bins = ((t_end / interval).ceil() as usize).max(1);
    let checkpoints = sec
        .checkpoints
        .iter()
        .enumerate()
        .map(|(k, cp)| {
            let r = &st.records[k];
            let mut per_bin = vec![0u64; bins];
            for &e in &r.served {
                per_bin[((e / interval) as usize).min(bins - 1)] += 1;
            }
            let series: Vec<f64> = per_bin.iter().map(|&n| round(n as f64 * 3600.0 / interval)).collect();
            let busy: f64 = st.queues[k].busy_seconds().iter().sum();
            CheckpointReport {
                name: cp.name.clone(),
                ring: sec.rings[cp.ring].name.clone(),
                lanes: cp.lanes as u64,
                served: r.served.len() as u64,
                throughput_per_h: round(if r.open_s > 0.0 {
                    r.served.len() as f64 * 3600.0 / r.open_s
                } else {
                    0.0
                }),
                peak_throughput_per_h: series.iter().copied().fold(0.0, f64::max),
                throughput_series_per_h: series,
                queue_mean: round(if t_end > 0.0 { r.queue_area / t_end } else { 0.0 }),
                queue_max: r.queue_max.0,
                queue_max_t: round(r.queue_max.1),
                queue_series: r.queue_series.clone(),
                wait_s: Stats::of(r.waits.iter().copied()),
                lane_utilisation: round(if r.open_s > 0.0 {
                    busy / (cp.lanes as f64 * r.open_s)
                } else {
                    0.0
                }),
                over_limit_s: round(r.over_limit_s),
                diverted: r.diverted,
                held_steps: r.held,
                exits: cp.exit_door.map(|d| st.doors[d as usize].len() as u64),
                turned_away: r.turned_away,
                queued_at_end: st.queue_length(k) as u64,
            }
        })
        .collect();
    let doors = sec
        .doors
        .iter()
        .zip(&st.doors)
        .map(|(d, times)| {
            let mut per_bin = vec![0u64; bins];
            for &t in times {
                per_bin[((t / interval) as usize).min(bins - 1)] += 1;
            }
            let series: Vec<f64> = per_bin.iter().map(|&n| round(n as f64 * 60.0 / interval)).collect();
            let peak = series.iter().copied().fold(0.0, f64::max);
            DoorReport {
                name: d.name.clone(),
                ring: sec.rings[d.ring].name.clone(),
                checkpoint: d.checkpoint.map(|k| sec.checkpoints[k as usize].name.clone()),
                width_m: round(f64::from(d.width)),
                passed: times.len() as u64,
                flow_series_per_min: series,
                peak_flow_per_min: peak,
                peak_specific_flow: round(peak / 60.0 / f64::from(d.width)),
            }
        })
        .collect();
    let innermost_targets: Vec<u16> = (0..venue.targets.len())
        .filter(|&i| sec.innermost.contains(&venue.target_region[i]))
        .map(|i| i as u16)
        .collect();
    let items =
        sec.items
            .iter()
            .enumerate()
            .map(|(ii, name)| {
                let rings =
                    sec.rings
                        .iter()
                        .enumerate()
                        .map(|(ri, ring)| {
                            let (sc, de) =
                                sec.checkpoints.iter().enumerate().filter(|(_, c)| c.ring == ri).fold(
                                    (0, 0),
                                    |(a, b), (k, _)| {
                                        (a + st.records[k].screened[ii].0, b + st.records[k].screened[ii].1)
                                    },
                                );
                            RingItemReport {
                                ring: ring.name.clone(),
                                screened: sc,
                                detected: de,
                                rate: (sc > 0).then(|| round(de as f64 / sc as f64)),
                            }
                        })
                        .collect();
                let intercepted = st.intercepted.iter().filter(|x| x.item as usize == ii).count() as u64;
                let undetected = log
                    .undetected_arrivals
                    .iter()
                    .filter(|u| u.2 >> ii & 1 == 1 && innermost_targets.contains(&u.1))
                    .count() as u64;
                let screened_carriers = st.first_screened[ii];
                ItemReport {
                    item: name.clone(),
                    carriers: log.carriers[ii],
                    intercepted,
                    screened_carriers,
                    interception_rate: (intercepted + undetected > 0)
                        .then(|| round(intercepted as f64 / (intercepted + undetected) as f64)),
                    rings,
                    undetected_reached_innermost: undetected,
                }
            })
            .collect();
    let limit = m.settings.wait_limit;
    let over = st.time_to_enter.iter().filter(|&&w| w > limit).count() as u64;
    // per class: time to enter, and those turned away (by the group of each exit at a gate)
    let classes = sec
        .classes
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let c = Some(c as u16);
            let times = st
                .time_to_enter
                .iter()
                .zip(&st.time_to_enter_class)
                .filter(|(_, k)| **k == c)
                .map(|(t, _)| *t);
            let of_class = |g: u16| sec.group_class.get(usize::from(g)).copied().flatten() == c;
            let waits = (st.records.iter())
                .flat_map(|r| r.waits.iter().zip(&r.wait_groups))
                .filter(|(_, g)| of_class(**g))
                .map(|(w, _)| *w);
            let items = (sec.items.iter().enumerate())
                .map(|(ii, item)| {
                    let carriers = (log.carrier_groups.iter())
                        .filter(|(g, items)| items >> ii & 1 == 1 && of_class(*g))
                        .count() as u64;
                    let intercepted = (st.intercepted.iter())
                        .filter(|x| x.item as usize == ii && of_class(x.group))
                        .count() as u64;
                    let undetected = (log.undetected_arrivals.iter())
                        .filter(|u| u.2 >> ii & 1 == 1 && innermost_targets.contains(&u.1) && of_class(u.3))
                        .count() as u64;
                    ClassItemReport {
                        item: item.clone(),
                        carriers,
                        intercepted,
                        undetected_reached_innermost: undetected,
                        interception_rate: (intercepted + undetected > 0)
                            .then(|| round(intercepted as f64 / (intercepted + undetected) as f64)),
                    }
                })
                .collect();
            ClassReport {
                class: name.clone(),
                entered: times.clone().count() as u64,
                time_to_enter_s: Stats::of(times),
                turned_away: st.turned_away_class.iter().filter(|k| **k == c).count() as u64,
                wait_s: Stats::of(waits),
                items,
            }
        })
        .collect();
    Some(SecurityReport {
        classes,
        checkpoints,
        doors,
        items,
        time_to_enter_s: Stats::of(st.time_to_enter.iter().copied()),
        wait_limit_s: limit,
        over_wait_limit: over,
        share_over_wait_limit: (!st.time_to_enter.is_empty())
            .then(|| round(over as f64 / st.time_to_enter.len() as f64)),
        interceptions: st
            .intercepted
            .iter()
            .take(100)
            .map(|x| InterceptionReport {
                t: round(x.t),
                checkpoint: sec.checkpoints[x.cp as usize].name.clone(),
                item: sec.items[x.item as usize].clone(),
                x: round(f64::from(x.at.x)),
                y: round(f64::from(x.at.y)),
            })
            .collect(),
    })
}

//! The run report (`report.json`): serde structs in a fixed key order, built from the simulation's
//! own records, written atomically (temp file + rename), plus the short human summary.

pub mod csv;

use crate::crowd::{Agent, ArrivalQueue, CrowdCounters, CrowdLog, Dwelling, Walking};
use crate::metrics::Headcount;
pub use crate::metrics::stats::{Stats, round};
use crate::metrics::{Episode, Metrics, SeriesRow};
use crate::scenario::model::ClockTime;
use crate::schedule::SimClock;
use crate::venue::Venue;
use bevy::prelude::*;
use serde::Serialize;

/// Scenario identity and run settings.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RunInfo {
    /// Scenario name.
    pub scenario: String,
    /// Seed used.
    pub seed: u64,
    /// Step, s.
    pub dt: f64,
    /// Clock time of the start.
    pub start: String,
    /// Clock time the run reached.
    pub end: String,
    /// Steps run.
    pub steps: u64,
    /// Simulated seconds.
    pub simulated_s: f64,
    /// Why the run ended: "end of time window", "time limit (--until)" or "everyone left".
    pub ended_by: String,
}

/// Headcounts.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Totals {
    /// Entered the simulation.
    pub spawned: u64,
    /// Left it.
    pub exited: u64,
    /// In the venue at the end.
    pub present_at_end: u64,
    /// Walking at the end.
    pub walking_at_end: u64,
    /// Staying in a destination at the end.
    pub dwelling_at_end: u64,
    /// In a checkpoint queue or lane at the end.
    pub queued_at_end: u64,
    /// Due but not placed at a full source at the end.
    pub waiting_at_source_at_end: u64,
    /// Most present at once.
    pub peak_present: u64,
    /// When, s after the start.
    pub peak_present_t: f64,
}

/// Per crowd group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GroupReport {
    /// Group name.
    pub name: String,
    /// Agents of the group that entered.
    pub spawned: u64,
}

/// Per target.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetReport {
    /// Target name.
    pub name: String,
    /// Arrivals of agents for whom it was the destination.
    pub arrivals: u64,
    /// Agents who left the venue here.
    pub exits: u64,
    /// First exit here, s after the start.
    pub first_exit_s: Option<f64>,
    /// Last exit here, s after the start.
    pub last_exit_s: Option<f64>,
    /// (exits − 1) / (last − first), persons/s.
    pub mean_exit_flow: Option<f64>,
}

/// Seconds at each Fruin walkway level of service.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Los {
    /// ≥ 3.25 m²/person.
    #[serde(rename = "A")]
    pub a: f64,
    /// ≥ 2.32.
    #[serde(rename = "B")]
    pub b: f64,
    /// ≥ 1.39.
    #[serde(rename = "C")]
    pub c: f64,
    /// ≥ 0.93.
    #[serde(rename = "D")]
    pub d: f64,
    /// ≥ 0.46.
    #[serde(rename = "E")]
    pub e: f64,
    /// Below 0.46.
    #[serde(rename = "F")]
    pub f: f64,
}

/// Per zone.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ZoneReport {
    /// Zone name.
    pub name: String,
    /// Fruin scale its cells are judged on: `queueing` (every cell lies in a checkpoint's pen or
    /// holding area), `walkway` (none does) or `mixed`.
    pub scale: String,
    /// Fruin scale of the cell that gave `peak_density` (and `peak_los`).
    pub peak_scale: crate::metrics::Scale,
    /// Polygon area, m².
    pub area_m2: f64,
    /// Walkable area of its density cells, m².
    pub cells_area_m2: f64,
    /// Highest density on one of its cells, persons/m².
    pub peak_density: f64,
    /// When, s after the start.
    pub peak_t: f64,
    /// Fruin level of the peak.
    pub peak_los: String,
    /// Time-mean of persons in the zone's cells per m².
    pub mean_density: f64,
    /// Seconds at each level (judged on the zone's densest cell).
    pub los_s: Los,
    /// Seconds with a cell above the critical density.
    pub critical_s: f64,
}

/// Critical-density findings.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CriticalReport {
    /// Threshold, persons/m².
    pub threshold: f64,
    /// Density cell edge, m.
    pub cell_m: f64,
    /// Number of episodes.
    pub episodes_total: u64,
    /// Longest episodes first (at most 100).
    pub episodes: Vec<Episode>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    /// Report schema version.
    pub schema: u32,
    /// Run identity.
    pub run: RunInfo,
    /// Headcounts.
    pub totals: Totals,
    /// Spawn to arrival at the destination, s.
    pub travel_time_s: Stats,
    /// Spawn to leaving, s.
    pub time_in_venue_s: Stats,
    /// Per group.
    pub groups: Vec<GroupReport>,
    /// Per target.
    pub targets: Vec<TargetReport>,
    /// Per zone.
    pub zones: Vec<ZoneReport>,
    /// Critical density.
    pub critical_density: CriticalReport,
    /// Halls: occupancy against capacity, entries, exits, waiting outside (absent when the
    /// scenario has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub halls: Vec<HallReport>,
    /// The evacuation (absent without an order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evacuation: Option<EvacuationReport>,
    /// The contingency timeline's actions as they fired (absent when the scenario has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<ActionReport>,
    /// Rings and checkpoints (absent when the scenario has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security: Option<crate::checkpoint::report::SecurityReport>,
    /// Responders and incidents (absent when the scenario has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<crate::incidents::report::ResponseReport>,
    /// Roads and vehicles (absent when the scenario has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vehicles: Option<crate::vehicles::report::VehicleReport>,
    /// Time series.
    pub series: Vec<SeriesRow>,
}

/// One hall.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HallReport {
    /// Name.
    pub name: String,
    /// Its target.
    pub target: String,
    /// Licensed occupancy.
    pub capacity: u64,
    /// Admission resumes below this many.
    pub reopen_below: u64,
    /// Most occupants at once.
    pub peak_occupancy: u64,
    /// When, s after the start.
    pub peak_t: f64,
    /// Occupants at the end.
    pub occupancy_at_end: u64,
    /// Occupants at each series row.
    pub occupancy_series: Vec<u64>,
    /// Persons admitted.
    pub entries: u64,
    /// Persons who left it.
    pub exits: u64,
    /// Admitted per minute in each series interval.
    pub entry_series_per_min: Vec<f64>,
    /// Left per minute in each series interval.
    pub exit_series_per_min: Vec<f64>,
    /// Seconds admission was stopped (full).
    pub closed_s: f64,
    /// Most persons waiting outside at once.
    pub waiting_max: u64,
    /// When, s after the start.
    pub waiting_max_t: f64,
    /// Persons waiting outside at each series row.
    pub waiting_series: Vec<u64>,
    /// Per person admitted, the time waited outside, s (0: walked straight in).
    pub wait_s: Stats,
    /// Still waiting outside at the end.
    pub waiting_at_end: u64,
}

/// When an evacuated place was clear.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClearReport {
    /// Zone or hall name (`"venue"`: the whole venue).
    pub name: String,
    /// Seconds from the order until nobody was left in it (None: not within the run).
    pub clear_s: Option<f64>,
}

/// One action of the contingency timeline, as it fired.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ActionReport {
    /// Clock time it fired.
    pub at: String,
    /// Seconds after the start.
    pub t_s: f64,
    /// Its entry in the scenario's timeline (1-based).
    pub entry: usize,
    /// Whether this undid the entry (its `for` ran out).
    pub undo: bool,
    /// What it did.
    pub what: String,
    /// People it sent to choose another crossing.
    pub rerouted: u64,
    /// For a closure: seconds until the last of those re-routed had joined another queue, was
    /// being screened or had left (absent: not within the run, or not a closure).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reroute_s: Option<f64>,
    /// People whose way got longer (those re-routed by a closed checkpoint or door, once they
    /// chose again; those outside a cordon or closed zone whose way round it is longer), and
    /// by how much, m: the length of their new way from where they were less that of their old
    /// one (each to the crossing and on to their goal, as the floor fields weigh it: metres plus
    /// the cost of keeping off walls). Absent: nobody.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detour: Option<DetourReport>,
    /// What it did to the queues it affects (absent: it affects none, or it undid an entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<ImpactReport>,
}

impl ActionReport {
    /// Its impact in words ("" if none).
    pub fn impact_words(&self) -> String {
        let mut parts = Vec::new();
        if let Some(i) = &self.impact {
            let at = if i.checkpoints.len() <= 3 {
                i.checkpoints.join(" + ")
            } else {
                format!("{} checkpoints", i.checkpoints.len())
            };
            let back = match i.back_to_level_s {
                Some(b) => format!("back to {} after {:.1} min", i.queue_before, b / 60.0),
                None => "not back to it by the end".to_string(),
            };
            parts.push(format!(
                "queue at {at} {} → peak {} at {}, {back}; longest wait since {:.0} s",
                i.queue_before, i.queue_peak, i.queue_peak_at, i.wait_peak_s
            ));
        }
        if let Some(d) = &self.detour {
            parts.push(format!(
                "{} with a longer way: +{:.1} m on average, +{:.1} m at most",
                d.people, d.mean_m, d.max_m
            ));
        }
        parts.join("; ")
    }
}

/// How much longer the ways of those an action re-routed got.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DetourReport {
    /// People whose way got longer.
    pub people: u64,
    /// Extra length on average, m.
    pub mean_m: f64,
    /// The longest extra length, m.
    pub max_m: f64,
}

/// What an action did to the queues it affects: a checkpoint's own (lanes, meter), its ring's
/// (close, reopen: the queue moves to the others), all checkpoints' (a surge). Measured against
/// their length when it fired, not against a run without it (`cordon compare` does that).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ImpactReport {
    /// The checkpoints whose queues are summed.
    pub checkpoints: Vec<String>,
    /// Persons queueing there when it fired.
    pub queue_before: u64,
    /// The longest the queues were from then until back at that level (or the end).
    pub queue_peak: u64,
    /// Clock time of the peak.
    pub queue_peak_at: String,
    /// The longest wait of those whose screening there began in that time, s.
    pub wait_peak_s: f64,
    /// Seconds from when it fired until the queues were back at or below their length then,
    /// after it was undone (at once, if nothing undoes it) and after they had risen above it;
    /// absent: not within the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub back_to_level_s: Option<f64>,
}

/// The timeline section, from what fired.
fn timeline_report(world: &World, start: f64) -> Vec<ActionReport> {
    let Some(tl) = world.get_resource::<crate::contingency::TimelineRt>() else {
        return Vec::new();
    };
    let names: Vec<String> = world
        .resource::<Venue>()
        .security
        .checkpoints
        .iter()
        .map(|c| c.name.clone())
        .collect();
    tl.fired
        .iter()
        .enumerate()
        .map(|(n, f)| ActionReport {
            at: ClockTime(start + f.t).hms(),
            t_s: round(f.t),
            entry: f.entry + 1,
            undo: f.undo,
            what: f.what.clone(),
            rerouted: f.rerouted,
            reroute_s: f.reroute_s.map(round),
            detour: (f.detours.0 > 0).then(|| DetourReport {
                people: f.detours.0,
                mean_m: round(f.detours.1 / f.detours.0 as f64),
                max_m: round(f.detours.2),
            }),
            impact: tl.impacts.iter().find(|i| i.fired == n).map(|i| {
                let r = i.recovery();
                ImpactReport {
                    checkpoints: f.scope.iter().map(|&k| names[k].clone()).collect(),
                    queue_before: i.before,
                    queue_peak: r.peak.0,
                    queue_peak_at: ClockTime(start + r.peak.1).hms(),
                    wait_peak_s: round(r.wait),
                    back_to_level_s: r.back.map(|b| round(b - f.t)),
                }
            }),
        })
        .collect()
}

/// The evacuation section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EvacuationReport {
    /// Clock time of the order.
    pub order: String,
    /// Whether the run reached it.
    pub ordered: bool,
    /// Persons evacuated (in the area at the order).
    pub evacuees: u64,
    /// Arrivals called off.
    pub arrivals_called_off: u64,
    /// Evacuees who got to an assembly point or exit.
    pub reached_safety: u64,
    /// Per evacuee who got there, seconds from the order.
    pub time_to_safety_s: Stats,
    /// Seconds from the order until every evacuee was safe (None: not within the run).
    pub all_safe_s: Option<f64>,
    /// Per evacuated zone (or the whole venue), when it was empty.
    pub zones: Vec<ClearReport>,
    /// Per hall in the area, when its last occupant had left.
    pub halls: Vec<ClearReport>,
    /// Densest density cell after the order, persons/m², and where and when (s after the start).
    pub peak_density: f64,
    /// Where: x.
    pub peak_x: f64,
    /// Where: y.
    pub peak_y: f64,
    /// When, s after the start.
    pub peak_t: f64,
}

/// The evacuation section, from its records.
fn evacuation_report(world: &World, halls: &[HallReport]) -> Option<EvacuationReport> {
    let rt = world.get_resource::<crate::evacuation::EvacuationRt>()?;
    let st = world.get_resource::<crate::evacuation::EvacState>()?;
    let venue = world.resource::<Venue>();
    let start = world.resource::<SimClock>().start;
    let since = |t: Option<f64>| t.map(|x| round(x - rt.at));
    let zones = if rt.zones.is_empty() {
        vec![ClearReport {
            name: "venue".into(),
            clear_s: since(st.zone_clear.first().copied().flatten()),
        }]
    } else {
        rt.zones
            .iter()
            .zip(&st.zone_clear)
            .map(|(&z, c)| ClearReport {
                name: venue.zones[z].name.clone(),
                clear_s: since(*c),
            })
            .collect()
    };
    let hall_clear = halls
        .iter()
        .enumerate()
        .filter(|(h, _)| st.hall_evacuated.get(*h).copied().unwrap_or(false))
        .map(|(h, hl)| ClearReport {
            name: hl.name.clone(),
            clear_s: since(st.hall_clear[h]),
        })
        .collect();
    let all_safe =
        (st.ordered && st.safe.len() as u64 >= st.evacuees).then(|| st.safe.last().copied().unwrap_or(rt.at));
    Some(EvacuationReport {
        order: if rt.at.is_finite() {
            ClockTime(start + rt.at).hms()
        } else {
            "not given".into()
        },
        ordered: st.ordered,
        evacuees: st.evacuees,
        arrivals_called_off: st.called_off,
        reached_safety: st.safe.len() as u64,
        time_to_safety_s: Stats::of(st.safe.iter().map(|t| t - rt.at)),
        all_safe_s: since(all_safe),
        zones,
        halls: hall_clear,
        peak_density: round(f64::from(st.peak_density.0)),
        peak_x: round(f64::from(st.peak_density.1.x)),
        peak_y: round(f64::from(st.peak_density.1.y)),
        peak_t: round(st.peak_density.2),
    })
}

/// The halls section, from the halls' records.
fn halls_report(world: &World, t_end: f64) -> Vec<HallReport> {
    let (Some(halls), Some(st)) = (
        world.get_resource::<crate::halls::Halls>(),
        world.get_resource::<crate::halls::HallState>(),
    ) else {
        return Vec::new();
    };
    let venue = world.resource::<Venue>();
    let interval = world.resource::<Metrics>().settings.series_interval;
    let bins = ((t_end / interval).ceil() as usize).max(1);
    let per_min = |times: &[f64]| -> Vec<f64> {
        let mut n = vec![0u64; bins];
        for &x in times {
            n[((x / interval) as usize).min(bins - 1)] += 1;
        }
        n.iter().map(|&k| round(k as f64 * 60.0 / interval)).collect()
    };
    halls
        .halls
        .iter()
        .enumerate()
        .map(|(h, hall)| HallReport {
            name: hall.name.clone(),
            target: venue.targets[hall.target as usize].name.clone(),
            capacity: u64::from(hall.capacity),
            reopen_below: u64::from(hall.reopen_below),
            peak_occupancy: u64::from(st.peak[h].0),
            peak_t: round(st.peak[h].1),
            occupancy_at_end: u64::from(st.occupancy[h]),
            occupancy_series: st.series[h].iter().map(|&n| u64::from(n)).collect(),
            entries: st.entries[h].len() as u64,
            exits: st.exits[h].len() as u64,
            entry_series_per_min: per_min(&st.entries[h]),
            exit_series_per_min: per_min(&st.exits[h]),
            closed_s: round(st.closed_s[h]),
            waiting_max: u64::from(st.peak_waiting[h].0),
            waiting_max_t: round(st.peak_waiting[h].1),
            waiting_series: st.waiting_series[h].iter().map(|&n| u64::from(n)).collect(),
            wait_s: Stats::of(st.waits[h].iter().copied()),
            waiting_at_end: st.waiting[h].len() as u64,
        })
        .collect()
}

const LEVELS: [&str; 6] = ["A", "B", "C", "D", "E", "F"];

/// Builds the report from the world at the end of a run.
pub fn build(world: &mut World, scenario: &str, seed: u64, group_names: &[String], ended_by: &str) -> Report {
    let clock = *world.resource::<SimClock>();
    let counters = *world.resource::<CrowdCounters>();
    // those waiting at the edge of a full pen are in its queue
    let walking = world
        .query_filtered::<(), (With<Walking>, Without<crate::crowd::Held>)>()
        .iter(world)
        .len() as u64;
    let dwelling = world.query_filtered::<(), With<Dwelling>>().iter(world).len() as u64;
    let present = world.query_filtered::<(), With<Agent>>().iter(world).len() as u64;
    let waiting = world.resource::<ArrivalQueue>().total_waiting();
    let held = world
        .query_filtered::<(), (With<crate::crowd::Held>, Without<Walking>)>()
        .iter(world)
        .len() as u64;
    let h = Headcount {
        walking,
        dwelling,
        queued: present - walking - dwelling - held,
        waiting,
        held,
    };
    let t = clock.t();
    {
        let mut m = world.resource_mut::<Metrics>();
        m.close_all();
        if m.series.last().is_none_or(|r| r.t < round(t)) {
            crate::metrics::push_series(&mut m, t, clock.start, &counters, h);
        }
    }
    let security = crate::checkpoint::report::build(world, t);
    let halls = halls_report(world, t);
    let evacuation = evacuation_report(world, &halls);
    let timeline = timeline_report(world, clock.start);
    let response = crate::incidents::report::build(world, t);
    let vehicles = crate::vehicles::report::build(world, t, security.as_ref());
    let venue = world.resource::<Venue>();
    let log = world.resource::<CrowdLog>();
    let m = world.resource::<Metrics>();

    let targets = venue
        .targets
        .iter()
        .enumerate()
        .map(|(ti, tg)| {
            let exits: Vec<f64> = log.exits.iter().filter(|e| e.1 as usize == ti).map(|e| e.0).collect();
            let first = exits.first().copied();
            let last = exits.last().copied();
            let flow = match (first, last) {
                (Some(a), Some(b)) if exits.len() > 1 && b > a => Some(round((exits.len() - 1) as f64 / (b - a))),
                _ => None,
            };
            TargetReport {
                name: tg.name.clone(),
                arrivals: log.arrivals.iter().filter(|a| a.1 as usize == ti).count() as u64,
                exits: exits.len() as u64,
                first_exit_s: first.map(round),
                last_exit_s: last.map(round),
                mean_exit_flow: flow,
            }
        })
        .collect();

    let zones = venue
        .zones
        .iter()
        .zip(&m.zones)
        .map(|(z, acc)| {
            let l = acc.los.map(round);
            ZoneReport {
                name: z.name.clone(),
                scale: match acc.cells {
                    (_, 0) => "walkway",
                    (n, q) if q == n => "queueing",
                    _ => "mixed",
                }
                .to_string(),
                peak_scale: acc.peak_scale,
                area_m2: round(f64::from(z.area)),
                cells_area_m2: round(acc.area),
                peak_density: round(acc.peak),
                peak_t: round(acc.peak_t),
                peak_los: LEVELS[acc.peak_scale.level(acc.peak)].to_string(),
                mean_density: round(if acc.samples > 0 {
                    acc.density_sum / acc.samples as f64
                } else {
                    0.0
                }),
                los_s: Los {
                    a: l[0],
                    b: l[1],
                    c: l[2],
                    d: l[3],
                    e: l[4],
                    f: l[5],
                },
                critical_s: round(acc.critical_s),
            }
        })
        .collect();

    let mut episodes = m.episodes.clone();
    episodes.sort_by(|a, b| {
        b.duration_s
            .total_cmp(&a.duration_s)
            .then(a.start_s.total_cmp(&b.start_s))
            .then(a.x.total_cmp(&b.x))
            .then(a.y.total_cmp(&b.y))
    });
    let episodes_total = episodes.len() as u64;
    episodes.truncate(100);
    for e in &mut episodes {
        e.x = round(e.x);
        e.y = round(e.y);
        e.start_s = round(e.start_s);
        e.end_s = round(e.end_s);
        e.duration_s = round(e.duration_s);
        e.peak_density = round(e.peak_density);
    }

    Report {
        schema: 1,
        run: RunInfo {
            scenario: scenario.to_string(),
            seed,
            dt: clock.dt,
            start: ClockTime(clock.start).hms(),
            end: ClockTime(clock.start + t).hms(),
            steps: clock.tick,
            simulated_s: round(t),
            ended_by: ended_by.to_string(),
        },
        totals: Totals {
            spawned: counters.spawned,
            exited: counters.exited,
            present_at_end: present,
            walking_at_end: walking,
            dwelling_at_end: dwelling,
            queued_at_end: h.queued,
            waiting_at_source_at_end: waiting,
            peak_present: m.peak_present.0,
            peak_present_t: round(m.peak_present.1),
        },
        travel_time_s: Stats::of(log.arrivals.iter().map(|a| a.2)),
        time_in_venue_s: Stats::of(log.exits.iter().map(|e| e.2)),
        groups: group_names
            .iter()
            .zip(&log.spawned_by_group)
            .map(|(n, s)| GroupReport {
                name: n.clone(),
                spawned: *s,
            })
            .collect(),
        targets,
        zones,
        critical_density: CriticalReport {
            threshold: m.settings.critical_density,
            cell_m: m.settings.density_cell,
            episodes_total,
            episodes,
        },
        halls,
        evacuation,
        timeline,
        security,
        response,
        vehicles,
        series: m.series.clone(),
    }
}

impl Report {
    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// A few lines for the terminal.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} steps, {} → {} ({} s simulated, ended by {})\n",
            self.run.scenario, self.run.steps, self.run.start, self.run.end, self.run.simulated_s, self.run.ended_by
        );
        let t = &self.totals;
        s += &format!(
            "  visitors: {} entered, {} left, {} present at the end (peak {} at t = {} s), {} waiting at sources\n",
            t.spawned, t.exited, t.present_at_end, t.peak_present, t.peak_present_t, t.waiting_at_source_at_end
        );
        let tt = &self.travel_time_s;
        s += &format!(
            "  travel time to destination: p50 {} s, p90 {} s, max {} s (n = {})\n",
            tt.p50, tt.p90, tt.max, tt.count
        );
        for z in &self.zones {
            s += &format!(
                "  zone {}: peak {} /m² (LOS {}) at t = {} s, mean {} /m², {} s above {} /m²\n",
                z.name,
                z.peak_density,
                z.peak_los,
                z.peak_t,
                z.mean_density,
                z.critical_s,
                self.critical_density.threshold
            );
        }
        s += &format!(
            "  critical-density episodes: {}\n",
            self.critical_density.episodes_total
        );
        if let Some(r) = &self.response {
            let o = &r.overall;
            s += &format!(
                "  incidents: {} happened, {} answered, {} resolved, {} waiting for a unit; response p50 {} s, p90 {} s, max {} s; within {:?} s: {:?} of all, {:?} of the answered\n",
                o.occurred,
                o.answered,
                o.resolved,
                r.waiting_at_end,
                o.response_s.p50,
                o.response_s.p90,
                o.response_s.max,
                r.thresholds_s,
                o.within,
                o.within_answered
            );
        }
        for a in &self.timeline {
            let impact = a.impact_words();
            s += &format!(
                "  timeline {}{} at {}: {}{}{}\n",
                a.entry,
                if a.undo { " (undone)" } else { "" },
                a.at,
                a.what,
                if impact.is_empty() { "" } else { "; " },
                impact
            );
        }
        if let Some(ev) = &self.evacuation {
            let clear = |c: &[ClearReport]| {
                c.iter()
                    .map(|z| {
                        format!(
                            "{} {}",
                            z.name,
                            z.clear_s.map_or("not clear".into(), |s| format!("{s} s"))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            s += &format!(
                "  evacuation at {}: {} evacuees, {} safe (p50 {} s, p90 {} s, all {}); clear: {}; halls: {}; densest cell {} /m² at t = {} s\n",
                ev.order,
                ev.evacuees,
                ev.reached_safety,
                ev.time_to_safety_s.p50,
                ev.time_to_safety_s.p90,
                ev.all_safe_s.map_or("not yet".into(), |s| format!("{s} s")),
                clear(&ev.zones),
                clear(&ev.halls),
                ev.peak_density,
                ev.peak_t
            );
        }
        for hl in &self.halls {
            s += &format!(
                "  hall {}: peak {} of {} at t = {} s, {} in, {} out, full for {} s, up to {} waiting outside (wait p90 {} s)\n",
                hl.name,
                hl.peak_occupancy,
                hl.capacity,
                hl.peak_t,
                hl.entries,
                hl.exits,
                hl.closed_s,
                hl.waiting_max,
                hl.wait_s.p90
            );
        }
        if let Some(sec) = &self.security {
            for c in &sec.checkpoints {
                s += &format!(
                    "  checkpoint {} ({} lanes, ring {}): {} screened, {:.0} /h (peak {:.0} /h), wait p50 {} s p95 {} s max {} s, queue max {}, lanes busy {:.0}%, {} diverted\n",
                    c.name,
                    c.lanes,
                    c.ring,
                    c.served,
                    c.throughput_per_h,
                    c.peak_throughput_per_h,
                    c.wait_s.p50,
                    c.wait_s.p95,
                    c.wait_s.max,
                    c.queue_max,
                    100.0 * c.lane_utilisation,
                    c.diverted
                );
            }
            for i in &sec.items {
                s += &format!(
                    "  {}: {} carriers, {} intercepted, {} reached the innermost ring undetected\n",
                    i.item, i.carriers, i.intercepted, i.undetected_reached_innermost
                );
            }
            let tte = &sec.time_to_enter_s;
            s += &format!(
                "  time to enter: p50 {} s, p95 {} s, max {} s (n = {}); {} over {} s\n",
                tte.p50, tte.p95, tte.max, tte.count, sec.over_wait_limit, sec.wait_limit_s
            );
        }
        s
    }
}

//! The viewer's side panel (live metrics of the run so far) and click-to-inspect: what the
//! planner sees about the visitor, unit, checkpoint or zone under the cursor.

use super::overlay::{COVERAGE_S, head_wait};
use crate::checkpoint::systems::{CheckpointState, Queued, Screening};
use crate::crowd::{Agent, CrowdConfig, Dwelling, Position, Standing, Walking};
use crate::incidents::IncidentState;
use crate::metrics::{Metrics, fruin_level};
use crate::responders::coverage::Coverage;
use crate::responders::{Responders, Task, Unit};
use crate::scenario::model::ClockTime;
use crate::schedule::SimClock;
use crate::venue::Venue;
use crate::venue::geometry::point_in_polygon;
use bevy::prelude::*;
use std::fmt::Write;

/// `m:ss` of a duration in seconds.
fn mmss(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Share as a percentage.
fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

/// Live metrics of the run so far, one per line.
pub fn metrics_text(world: &mut World, venue: &Venue, coverage: Option<&Coverage>) -> String {
    let clock = *world.resource::<SimClock>();
    let t = clock.t();
    let mut s = String::new();
    // those waiting at the edge of a full pen are in its queue
    let walking = world
        .query_filtered::<(), (With<Walking>, Without<crate::crowd::Held>)>()
        .iter(world)
        .len();
    let dwelling = world.query_filtered::<(), With<Dwelling>>().iter(world).len();
    let present = world.query::<&Agent>().iter(world).len();
    let _ = writeln!(s, "LIVE METRICS  {}", ClockTime(clock.start + t).hms());
    let _ = writeln!(
        s,
        "present {present}  walking {walking}  staying {dwelling}  queueing/lanes {}",
        present - walking - dwelling
    );
    if let Some(vs) = world.get_resource::<crate::vehicles::VehicleState>() {
        let _ = writeln!(s, "vehicles on the roads {}", vs.present());
        let mut worst: Vec<(usize, u32, f64)> = (0..vs.rt.checkpoints.len())
            .map(|k| {
                let (n, m) = vs.queue_of(k);
                (k, n, m)
            })
            .filter(|q| q.1 > 0)
            .collect();
        worst.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for &(k, n, m) in worst.iter().take(3) {
            let _ = writeln!(s, "  {:<18} {n:>4} vehicles {m:>5.0} m", vs.rt.checkpoints[k].name);
        }
    }
    if let Some(cs) = world.get_resource::<CheckpointState>() {
        let sec = &venue.security;
        let outer = sec.checkpoints.iter().map(|c| sec.rings[c.ring].depth).min();
        // entering: screened inwards at the outermost ring in the last 10 minutes, per hour
        let window = 600.0f64.min(t.max(clock.dt));
        let entered: usize = sec
            .checkpoints
            .iter()
            .enumerate()
            .filter(|(_, c)| Some(sec.rings[c.ring].depth) == outer)
            .map(|(k, _)| {
                cs.records[k]
                    .served
                    .iter()
                    .rev()
                    .take_while(|&&x| x > t - window)
                    .count()
            })
            .sum();
        let _ = writeln!(
            s,
            "entering {:.0} /h (outer ring, last {})",
            entered as f64 * 3600.0 / window,
            mmss(window)
        );
        let queued: usize = (0..cs.queues.len()).map(|k| cs.queue_length(k)).sum();
        let mut by_len: Vec<(usize, usize)> = (0..cs.queues.len()).map(|k| (k, cs.queue_length(k))).collect();
        by_len.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(s, "queueing {queued}; longest (queue, longest wait now, lanes):");
        for &(k, q) in by_len.iter().take(5).filter(|(_, q)| *q > 0) {
            let cp = &sec.checkpoints[k];
            let _ = writeln!(
                s,
                "  {:<18} {:>5}  {:>6}  {}L",
                cp.name,
                q,
                mmss(head_wait(cs, k, t)),
                cp.lanes
            );
        }
        let waits: Vec<f64> = cs.records.iter().flat_map(|r| r.waits.iter().copied()).collect();
        if !waits.is_empty() {
            let st = crate::metrics::stats::Stats::of(waits.into_iter());
            let _ = writeln!(s, "queue wait so far: mean {}  p90 {}", mmss(st.mean), mmss(st.p90));
        }
    }
    let open = world.get_resource::<IncidentState>().map_or(0, |st| {
        st.recs
            .iter()
            .filter(|r| r.occurred <= t && r.resolved.is_none())
            .count()
    });
    if let Some(r) = crate::incidents::report::build(world, t) {
        let o = &r.overall;
        let within: Vec<String> = r
            .thresholds_s
            .iter()
            .zip(&o.within)
            .map(|(th, w)| format!("{}: {}", mmss(*th), pct(*w)))
            .collect();
        let _ = writeln!(
            s,
            "incidents {} (open {open}), answered {}; response p90 {}",
            o.occurred,
            o.answered,
            if o.answered > 0 {
                mmss(o.response_s.p90)
            } else {
                "-".into()
            }
        );
        let _ = writeln!(s, "answered within {}", within.join("  "));
    }
    if let Some(c) = coverage
        && let Some(last) = c.samples.last()
    {
        let crowd: Vec<String> = COVERAGE_S
            .iter()
            .zip(&last.crowd)
            .map(|(th, v)| format!("{th:.0} s {}", v.map_or("-".into(), pct)))
            .collect();
        let area: Vec<String> = COVERAGE_S
            .iter()
            .zip(&last.area)
            .map(|(th, v)| format!("{th:.0} s {}", pct(*v)))
            .collect();
        let _ = writeln!(s, "coverage of crowd  {}", crowd.join("  "));
        let _ = writeln!(s, "coverage of area   {}", area.join("  "));
    }
    s.trim_end().to_string()
}

/// What was clicked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pick {
    /// A visitor.
    Agent(Entity),
    /// A responder unit.
    Unit(Entity),
    /// A checkpoint (index).
    Checkpoint(usize),
    /// A measurement zone (index).
    Zone(usize),
    /// Nothing.
    None,
}

/// The thing nearest to `p` within `reach` metres: a visitor or unit first, then a checkpoint's
/// lanes or pen, then the zone containing `p`.
pub fn pick(world: &mut World, venue: &Venue, p: Vec2, reach: f32) -> Pick {
    let mut best: Option<(f32, Pick)> = None;
    let mut consider = |d: f32, what: Pick| {
        if d <= reach && best.is_none_or(|b| d < b.0) {
            best = Some((d, what));
        }
    };
    let mut units = world.query_filtered::<(Entity, &Position), With<Unit>>();
    for (e, q) in units.iter(world) {
        consider(q.0.distance(p) * 0.8, Pick::Unit(e));
    }
    let mut agents = world.query_filtered::<(Entity, &Position), (
        With<Agent>,
        Or<(With<Walking>, With<Queued>, With<Screening>, With<Standing>)>,
    )>();
    for (e, q) in agents.iter(world) {
        consider(q.0.distance(p), Pick::Agent(e));
    }
    if let Some((_, what)) = best {
        return what;
    }
    if let Some(k) = checkpoint_at(venue, p, reach) {
        return Pick::Checkpoint(k);
    }
    zone_at(venue, p).map_or(Pick::None, Pick::Zone)
}

/// The checkpoint whose lanes lie within `reach` (at least 2 m) of `p`, or whose pen holds it.
fn checkpoint_at(venue: &Venue, p: Vec2, reach: f32) -> Option<usize> {
    venue.security.checkpoints.iter().position(|cp| {
        let half = cp.along * cp.width() * 0.5;
        let seg = crate::venue::geometry::Segment {
            a: cp.pos - half,
            b: cp.pos + half,
        };
        seg.distance(p) <= reach.max(2.0) || cp.pen.contains(p)
    })
}

/// The smallest zone containing `p`.
pub fn zone_at(venue: &Venue, p: Vec2) -> Option<usize> {
    venue
        .zones
        .iter()
        .enumerate()
        .filter(|(_, z)| point_in_polygon(p, &z.polygon))
        .min_by(|a, b| a.1.area.total_cmp(&b.1.area))
        .map(|(k, _)| k)
}

/// What a what-if key acts on at `p` (people ignored): a checkpoint's lanes or pen, an exit
/// door, the smallest zone containing it, else the point itself (for a cordon).
pub fn place_at(venue: &Venue, p: Vec2, reach: f32) -> crate::contingency::live::Target {
    use crate::contingency::live::Target;
    if let Some(k) = checkpoint_at(venue, p, reach) {
        return Target::Checkpoint(k);
    }
    let door = venue
        .security
        .doors
        .iter()
        .position(|d| crate::venue::geometry::Segment { a: d.a, b: d.b }.distance(p) <= reach.max(2.0));
    if let Some(d) = door {
        return Target::Door(d);
    }
    zone_at(venue, p).map_or(Target::Point(p), Target::Zone)
}

/// Where the picked thing is now (for the highlight), if it still exists.
pub fn pick_position(world: &World, venue: &Venue, pick: Pick) -> Option<Vec2> {
    match pick {
        Pick::Agent(e) | Pick::Unit(e) => world.get::<Position>(e).map(|p| p.0),
        Pick::Checkpoint(k) => venue.security.checkpoints.get(k).map(|c| c.pos),
        Pick::Zone(_) | Pick::None => None,
    }
}

/// A few lines about the picked thing now.
pub fn describe(world: &mut World, venue: &Venue, pick: Pick) -> String {
    let clock = *world.resource::<SimClock>();
    let t = clock.t();
    match pick {
        Pick::None => String::new(),
        Pick::Agent(e) => {
            let Some(a) = world.get::<Agent>(e).cloned() else {
                return "visitor: gone (left the site)".into();
            };
            let group = world
                .get_resource::<CrowdConfig>()
                .and_then(|c| c.groups.get(a.group as usize).map(|g| g.name.clone()))
                .unwrap_or_default();
            let state = if world.get::<Screening>(e).is_some() {
                "in a screening lane"
            } else if world.get::<Queued>(e).is_some() {
                "queueing"
            } else if world.get::<Dwelling>(e).is_some() {
                if world.get::<Standing>(e).is_some() {
                    "standing"
                } else {
                    "staying inside"
                }
            } else if let Some(w) = world.get::<Walking>(e) {
                if w.leg == crate::crowd::Leg::ToExit {
                    "leaving"
                } else {
                    "walking in"
                }
            } else {
                "-"
            };
            let speed = world.get::<crate::crowd::Velocity>(e).map_or(0.0, |v| v.0.length());
            let dest = venue
                .targets
                .get(a.destination as usize)
                .map_or("-".to_string(), |x| x.name.clone());
            let items: Vec<&str> = (0..32)
                .filter(|k| a.items >> k & 1 == 1)
                .filter_map(|k| venue.security.items.get(k).map(String::as_str))
                .collect();
            format!(
                "visitor #{} ({group}): {state}\nto {dest}; free speed {:.2} m/s, now {speed:.2} m/s\n\
                 on site {}; screened: {}; carries: {}",
                a.id,
                a.v0,
                mmss(t - a.spawned_at),
                if a.screened { "yes" } else { "no" },
                if items.is_empty() {
                    "nothing flagged".into()
                } else {
                    items.join(", ")
                }
            )
        }
        Pick::Unit(e) => {
            let (Some(u), Some(task)) = (world.get::<Unit>(e).cloned(), world.get::<Task>(e).cloned()) else {
                return "unit: gone".into();
            };
            let g = world
                .get_resource::<Responders>()
                .and_then(|r| r.groups.get(u.group as usize).cloned());
            let task = match task {
                Task::OffShift => "off shift".to_string(),
                Task::Patrol { .. } => "on patrol / at post".to_string(),
                Task::EnRoute { incident } => format!("en route to incident #{incident}"),
                Task::Returning => "driving back to its station".to_string(),
                Task::OnScene { incident, until } => {
                    format!("on scene at incident #{incident} for {}", mmss(until - t))
                }
                #[allow(unreachable_patterns)]
                _ => format!("{task:?}"),
            };
            format!(
                "unit #{} of {} ({:?}): {task}\nbusy {} of {} on duty",
                u.id,
                g.as_ref().map_or("-", |g| g.name.as_str()),
                g.as_ref().map(|g| g.kind),
                mmss(u.busy_s),
                mmss(u.duty_s)
            )
        }
        Pick::Checkpoint(k) => {
            let cp = &venue.security.checkpoints[k];
            let ring = &venue.security.rings[cp.ring].name;
            let mut s = format!(
                "checkpoint {} on ring {ring}: {} lanes, open {}–{}",
                cp.name,
                cp.lanes,
                ClockTime(clock.start + cp.open).hms(),
                ClockTime(clock.start + cp.close.min(1e9)).hms()
            );
            if let Some(cs) = world.get_resource::<CheckpointState>() {
                let r = &cs.records[k];
                let mean = if r.waits.is_empty() {
                    0.0
                } else {
                    r.waits.iter().sum::<f64>() / r.waits.len() as f64
                };
                let _ = write!(
                    s,
                    "\nqueue {} now (in lanes {}), longest wait now {}\nscreened {}, mean wait {}, longest queue {}",
                    cs.queue_length(k),
                    cs.queues[k].in_service(),
                    mmss(head_wait(cs, k, t)),
                    r.served.len(),
                    mmss(mean),
                    r.queue_max.0
                );
            }
            s
        }
        Pick::Zone(k) => {
            let z = &venue.zones[k];
            let mut q = world.query_filtered::<&Position, (
                With<Agent>,
                Or<(With<Walking>, With<Queued>, With<Screening>, With<Standing>)>,
            )>();
            let n = q.iter(world).filter(|p| point_in_polygon(p.0, &z.polygon)).count();
            let d = n as f64 / f64::from(z.area).max(1.0);
            let peak = world
                .get_resource::<Metrics>()
                .and_then(|m| m.zones.get(k).map(|a| a.peak))
                .unwrap_or(0.0);
            format!(
                "zone {}: {:.0} m², {n} people, {d:.2} /m² (LOS {}); peak so far {peak:.2} /m²",
                z.name,
                z.area,
                ["A", "B", "C", "D", "E", "F"][fruin_level(d)]
            )
        }
    }
}

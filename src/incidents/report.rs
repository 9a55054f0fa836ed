//! The response part of the report: per incident times and their parts, statistics per type and
//! overall with the share answered within each threshold, waiting incidents, unit utilisation.

use super::{IncidentPlan, IncidentState};
use crate::metrics::stats::{Stats, round};
use crate::responders::{Responders, Unit};
use bevy::prelude::*;
use serde::Serialize;

/// Response times of a set of incidents.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponseStats {
    /// Incident type (or "all").
    pub kind: String,
    /// Incidents that happened.
    pub occurred: u64,
    /// Reached by a unit.
    pub answered: u64,
    /// Work finished.
    pub resolved: u64,
    /// Arrival of the first unit − occurrence, s.
    pub response_s: Stats,
    /// Occurrence to report, s.
    pub detection_delay_s: Stats,
    /// Report to first dispatch, s.
    pub dispatch_wait_s: Stats,
    /// First dispatch to first arrival, s.
    pub travel_s: Stats,
    /// Per threshold (same order as `thresholds_s`): share of the incidents that occurred whose
    /// first unit arrived within it; one nobody reached counts as a miss once the threshold has
    /// passed by the end (one that occurred closer to the end than that is left out).
    pub within: Vec<f64>,
    /// The same share among the answered incidents only.
    pub within_answered: Vec<f64>,
}

/// One incident.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IncidentRow {
    /// Id.
    pub id: u32,
    /// Type.
    pub kind: String,
    /// Place.
    pub x: f64,
    /// Place.
    pub y: f64,
    /// s after the start.
    pub occurred: f64,
    /// s after the start.
    pub reported: f64,
    /// Seen by a unit on the spot.
    pub seen: bool,
    /// s after the start.
    pub dispatched: Option<f64>,
    /// s after the start.
    pub arrived: Option<f64>,
    /// s after the start.
    pub resolved: Option<f64>,
    /// arrived − occurred, s.
    pub response_s: Option<f64>,
}

/// One unit group.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UnitReport {
    /// Group name.
    pub name: String,
    /// Units.
    pub count: u64,
    /// Busy (en route or on scene) / on duty.
    pub utilisation: f64,
}

/// The response section.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponseReport {
    /// Thresholds, s.
    pub thresholds_s: Vec<f64>,
    /// All incidents.
    pub overall: ResponseStats,
    /// Per type.
    pub by_type: Vec<ResponseStats>,
    /// Incidents resolved, in progress and waiting for a unit at the end.
    pub resolved_at_end: u64,
    /// In progress at the end.
    pub in_progress_at_end: u64,
    /// Not yet dispatched at the end (unreported, or waiting for a free unit).
    pub waiting_at_end: u64,
    /// Incidents that had to wait for a free unit, and how long, s.
    pub waited_for_unit_s: Stats,
    /// Per unit group.
    pub units: Vec<UnitReport>,
    /// Coverage by free units (absent when turned off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<crate::responders::coverage::CoverageReport>,
    /// Every incident (first 1,000).
    pub incidents: Vec<IncidentRow>,
}

fn stats_for(kind: &str, recs: &[&super::IncidentRec], thresholds: &[f64], t_end: f64) -> ResponseStats {
    let answered: Vec<&&super::IncidentRec> = recs.iter().filter(|r| r.arrived.is_some_and(|a| a <= t_end)).collect();
    let resp: Vec<f64> = answered
        .iter()
        .filter_map(|r| r.arrived.map(|a| a - r.occurred))
        .collect();
    ResponseStats {
        kind: kind.to_string(),
        occurred: recs.len() as u64,
        answered: answered.len() as u64,
        resolved: recs.iter().filter(|r| r.resolved.is_some_and(|x| x <= t_end)).count() as u64,
        response_s: Stats::of(resp.iter().copied()),
        detection_delay_s: Stats::of(
            recs.iter()
                .filter(|r| r.reported <= t_end)
                .map(|r| r.reported - r.occurred),
        ),
        dispatch_wait_s: Stats::of(recs.iter().filter_map(|r| r.dispatched.map(|d| d - r.reported))),
        travel_s: Stats::of(answered.iter().filter_map(|r| Some(r.arrived? - r.dispatched?))),
        within: thresholds
            .iter()
            .map(|&th| {
                let hits = resp.iter().filter(|&&x| x <= th).count();
                // known by the end: answered, or unanswered for longer than the threshold
                let known = answered.len()
                    + recs
                        .iter()
                        .filter(|r| !r.arrived.is_some_and(|a| a <= t_end) && r.occurred + th <= t_end)
                        .count();
                if known == 0 {
                    0.0
                } else {
                    round(hits as f64 / known as f64)
                }
            })
            .collect(),
        within_answered: thresholds
            .iter()
            .map(|&th| {
                if resp.is_empty() {
                    0.0
                } else {
                    round(resp.iter().filter(|&&x| x <= th).count() as f64 / resp.len() as f64)
                }
            })
            .collect(),
    }
}

/// Builds the section (None without responders and incidents).
pub fn build(world: &mut World, t_end: f64) -> Option<ResponseReport> {
    let plan = world.get_resource::<IncidentPlan>()?.clone();
    let responders = world.get_resource::<Responders>()?.clone();
    if plan.types.is_empty() && responders.groups.is_empty() {
        return None;
    }
    let mut busy = vec![(0.0f64, 0.0f64); responders.groups.len()];
    for u in world.query::<&Unit>().iter(world) {
        busy[u.group as usize].0 += u.busy_s;
        busy[u.group as usize].1 += u.duty_s;
    }
    let coverage = world
        .get_resource::<crate::responders::coverage::Coverage>()
        .map(|c| c.report());
    let st = world.resource::<IncidentState>();
    let all: Vec<&super::IncidentRec> = st.recs.iter().collect();
    let th = &plan.thresholds;
    let waited: Vec<f64> = st
        .recs
        .iter()
        .filter_map(|r| r.dispatched.map(|d| d - r.reported))
        .filter(|w| *w > 1e-9)
        .collect();
    Some(ResponseReport {
        thresholds_s: th.clone(),
        overall: stats_for("all", &all, th, t_end),
        by_type: plan
            .types
            .iter()
            .enumerate()
            .map(|(k, ty)| {
                let recs: Vec<&super::IncidentRec> = st.recs.iter().filter(|r| r.kind as usize == k).collect();
                stats_for(&ty.kind, &recs, th, t_end)
            })
            .collect(),
        resolved_at_end: st
            .recs
            .iter()
            .filter(|r| r.resolved.is_some_and(|x| x <= t_end))
            .count() as u64,
        in_progress_at_end: st
            .recs
            .iter()
            .filter(|r| r.dispatched.is_some() && !r.resolved.is_some_and(|x| x <= t_end))
            .count() as u64,
        waiting_at_end: st.recs.iter().filter(|r| r.dispatched.is_none()).count() as u64,
        waited_for_unit_s: Stats::of(waited.into_iter()),
        units: responders
            .groups
            .iter()
            .zip(&busy)
            .map(|(g, (b, d))| UnitReport {
                name: g.name.clone(),
                count: u64::from(g.count),
                utilisation: round(if *d > 0.0 { b / d } else { 0.0 }),
            })
            .collect(),
        coverage,
        incidents: st
            .recs
            .iter()
            .take(1000)
            .map(|r| IncidentRow {
                id: r.id,
                kind: plan.types[r.kind as usize].kind.clone(),
                x: round(f64::from(r.at.x)),
                y: round(f64::from(r.at.y)),
                occurred: round(r.occurred),
                reported: round(r.reported),
                seen: r.seen,
                dispatched: r.dispatched.map(round),
                arrived: r.arrived.map(round),
                resolved: r.resolved.filter(|x| *x <= t_end).map(round),
                response_s: r.arrived.map(|a| round(a - r.occurred)),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::IncidentRec;
    use bevy::math::Vec2;

    fn rec(occurred: f64, arrived: Option<f64>) -> IncidentRec {
        IncidentRec {
            id: 0,
            kind: 0,
            at: Vec2::ZERO,
            occurred,
            reported: occurred,
            seen: false,
            dispatched: arrived.map(|_| occurred),
            arrived,
            resolved: None,
            to_send: 0,
            needs: Vec::new(),
            on_scene: 0,
            units: Vec::new(),
            region: 0,
            field: None,
            drive_plans: Default::default(),
            tried: None,
        }
    }

    #[test]
    fn compliance_counts_the_incidents_nobody_reached_as_misses() {
        // a run of 1000 s: two answered in 30 s and 200 s, one never reached (a miss at both
        // thresholds), one unreached that occurred 100 s before the end (known missed at 60 s,
        // not yet known at 180 s)
        let recs = [
            rec(0.0, Some(30.0)),
            rec(100.0, Some(300.0)),
            rec(200.0, None),
            rec(900.0, None),
        ];
        let refs: Vec<&IncidentRec> = recs.iter().collect();
        let s = super::stats_for("x", &refs, &[60.0, 180.0], 1000.0);
        assert_eq!((s.occurred, s.answered), (4, 2));
        assert_eq!(s.within_answered, vec![0.5, 0.5]);
        assert_eq!(s.within, vec![0.25, super::round(1.0 / 3.0)]);
    }
}

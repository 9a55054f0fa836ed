//! The incident types and the dispatch policy of a scenario, checked and resolved for the run:
//! kinds, rates, places, on-scene times, and that some responder group handles every kind.

use super::{IncidentPlan, IncidentTypeRt, LocationRt, RateRt};
use crate::responders::{Responders, UNIT_RADIUS};
use crate::scenario::check::{Checker, check_distribution, finite_pt, v2};
use crate::scenario::model::*;
use crate::venue::Venue;
use bevy::math::Vec2;

/// The incident types and dispatch of `sc` for `venue` (with its `halls`): names, rates, places,
/// and that every type has a responder group in `responders` to handle it; problems go to `ck`.
pub fn build(
    ck: &mut Checker,
    sc: &Scenario,
    venue: &Venue,
    start: f64,
    responders: &Responders,
    halls: &crate::halls::Halls,
) -> IncidentPlan {
    let kinds: Vec<&str> = sc.incidents.iter().map(|i| i.kind.as_str()).collect();
    let groups = &responders.groups;
    let free = |p: Vec2| venue.is_free(p) && venue.grid.walkable(p) && venue.wall_clearance(p) >= UNIT_RADIUS;
    let mut types = Vec::new();
    for (k, inc) in sc.incidents.iter().enumerate() {
        let label = format!("incident \"{}\"", inc.kind);
        if kinds[..k].contains(&inc.kind.as_str()) {
            ck.named(&inc.kind, format!("{label} is defined twice"));
        }
        if k < 64 && !groups.iter().any(|g| g.handles & (1 << k) != 0) {
            ck.named(
                &inc.kind,
                format!("{label}: no responder can handle it (add it to some responder's `handles`)"),
            );
        }
        let rate = match &inc.rate {
            IncidentRate::PerHour(r) | IncidentRate::PerThousandPerHour(r) => {
                if !(r.is_finite() && *r >= 0.0) {
                    ck.named(&inc.kind, format!("{label}: rate must be zero or positive, got {r}"));
                }
                if matches!(inc.rate, IncidentRate::PerHour(_)) {
                    RateRt::PerSecond(r / 3600.0)
                } else {
                    RateRt::PerPersonSecond(r / 3600.0 / 1000.0)
                }
            }
            IncidentRate::At(times) => {
                let mut ts: Vec<f64> = times.iter().map(|c| c.0 - start).collect();
                ts.sort_by(f64::total_cmp);
                RateRt::At(ts)
            }
        };
        let location = match &inc.location {
            IncidentLocation::Crowd => LocationRt::Crowd,
            IncidentLocation::Zones(zs) => {
                let mut idx = Vec::new();
                for z in zs {
                    match venue.zones.iter().position(|x| x.name == *z) {
                        Some(i) => idx.push(i),
                        None => ck.named(z, format!("{label}: zone \"{z}\" is not defined")),
                    }
                }
                if zs.is_empty() {
                    ck.named(&inc.kind, format!("{label}: Zones([]) names no zone"));
                }
                LocationRt::Zones(idx)
            }
            IncidentLocation::Halls(hs) => {
                let mut idx = Vec::new();
                for h in hs {
                    match halls.halls.iter().position(|x| x.name == *h) {
                        Some(i) => idx.push(i),
                        None => ck.named(
                            h,
                            format!(
                                "{label}: hall \"{h}\" is not defined; known halls: {}",
                                crate::scenario::check::quote_list(halls.halls.iter().map(|x| x.name.as_str()))
                            ),
                        ),
                    }
                }
                if hs.is_empty() {
                    ck.named(&inc.kind, format!("{label}: Halls([]) names no hall"));
                }
                LocationRt::Halls(idx)
            }
            IncidentLocation::Hotspots(pts) => {
                if pts.is_empty() {
                    ck.named(&inc.kind, format!("{label}: Hotspots([]) names no place"));
                }
                for p in pts {
                    if !finite_pt(*p) || !free(v2(*p)) {
                        ck.named(
                            &inc.kind,
                            format!(
                                "{label}: hotspot ({}, {}) is inside a wall or obstacle or outside the bounds",
                                p.0, p.1
                            ),
                        );
                    }
                }
                LocationRt::Hotspots(pts.iter().map(|p| v2(*p)).collect())
            }
        };
        if inc.units == 0 {
            ck.named(&inc.kind, format!("{label}: units must be at least 1"));
        }
        let mut needs: Vec<(Option<UnitKind>, u32)> = Vec::new();
        for n in &inc.needs {
            if n.count == 0 {
                ck.named(&inc.kind, format!("{label}: needs {:?} with count 0", n.kind));
            }
            let have: u32 = groups
                .iter()
                .filter(|g| g.kind == n.kind && k < 64 && g.handles & (1 << k) != 0)
                .map(|g| g.count)
                .sum();
            if have < n.count {
                ck.named(
                    &inc.kind,
                    format!(
                        "{label}: needs {} {:?} units that handle it, the plan has {have}",
                        n.count, n.kind
                    ),
                );
            }
            needs.push((Some(n.kind), n.count));
        }
        if needs.is_empty() {
            needs.push((None, inc.units.max(1)));
        }
        check_distribution(ck, &inc.kind, &format!("{label}: on_scene"), &inc.on_scene, false);
        check_distribution(
            ck,
            &inc.kind,
            &format!("{label}: report_delay"),
            &inc.report_delay,
            false,
        );
        types.push(IncidentTypeRt {
            kind: inc.kind.clone(),
            rate,
            location,
            needs,
            on_scene: inc.on_scene.clone(),
            report_delay: inc.report_delay.clone(),
        });
    }
    if sc.dispatch.thresholds.iter().any(|t| !(t.is_finite() && *t > 0.0)) {
        ck.err(
            Some("thresholds".into()),
            format!(
                "dispatch.thresholds must be positive seconds, got {:?}",
                sc.dispatch.thresholds
            ),
        );
    }
    IncidentPlan {
        types,
        policy: sc.dispatch.policy,
        thresholds: sc.dispatch.thresholds.clone(),
    }
}

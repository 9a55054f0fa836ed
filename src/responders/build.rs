//! The response units of a scenario, checked and resolved for the run: names, counts, speeds,
//! shifts, and where each group stands or walks (free space, reachable).

use super::drive::{DriveRt, KERB_REACH, MAX_DRIVING_GROUPS, RoadLink, RoadMap, kerb};
use super::{DeploymentRt, Responders, UNIT_RADIUS, UnitGroupRt};
use crate::scenario::check::{Checker, finite_pt, quote_list, v2};
use crate::scenario::model::*;
use crate::venue::{Shape, Venue};
use bevy::math::Vec2;
use std::sync::Arc;

/// The response units of `sc` for `venue`: names, numbers, shifts, and posts, beats and routes in
/// free space reachable from each other; problems go to `ck`.
pub fn build(
    ck: &mut Checker,
    sc: &Scenario,
    venue: &Venue,
    start: f64,
    vehicles: Option<&crate::vehicles::build::VehiclesRt>,
) -> Responders {
    let sec = &venue.security;
    let roads = roads(ck, sc, venue, vehicles);
    let kinds: Vec<&str> = sc.incidents.iter().map(|i| i.kind.as_str()).collect();
    let free = |p: Vec2| venue.is_free(p) && venue.grid.walkable(p) && venue.wall_clearance(p) >= UNIT_RADIUS;
    let mut groups = Vec::new();
    if sc.incidents.len() > 64 {
        ck.err(
            Some("incidents".into()),
            format!("at most 64 incident types, got {}", sc.incidents.len()),
        );
    }
    for (gi, r) in sc.responders.iter().enumerate() {
        let label = format!("responder \"{}\"", r.name);
        if sc.responders[..gi].iter().any(|x| x.name == r.name) {
            ck.named(&r.name, format!("{label} is defined twice"));
        }
        if r.count == 0 || r.count > 100_000 {
            ck.named(&r.name, format!("{label}: count must be 1 to 100000, got {}", r.count));
        }
        let em = r.emergency_speed.unwrap_or(r.speed);
        if !(r.speed.is_finite() && r.speed > 0.0 && r.speed <= 50.0) || !(em.is_finite() && em > 0.0 && em <= 50.0) {
            ck.named(
                &r.name,
                format!(
                    "{label}: speed and emergency_speed must be in (0, 50] m/s, got {} and {}",
                    r.speed, em
                ),
            );
        }
        let mut handles = 0u64;
        for h in &r.handles {
            match kinds.iter().position(|k| k == h) {
                Some(k) if k < 64 => handles |= 1 << k,
                _ => ck.named(
                    h,
                    format!(
                        "{label}: incident type \"{h}\" is not defined; known: {}",
                        quote_list(kinds.iter().copied())
                    ),
                ),
            }
        }
        let (from, to) = match &r.shift {
            Some(sh) => {
                if !(sh.to.0 > sh.from.0) {
                    ck.named(
                        &r.name,
                        format!(
                            "{label}: shift ends ({}) before it starts ({})",
                            sh.to.hms(),
                            sh.from.hms()
                        ),
                    );
                }
                (sh.from.0 - start, sh.to.0 - start)
            }
            None => (f64::NEG_INFINITY, f64::INFINITY),
        };
        let sight = r
            .sight
            .unwrap_or(if matches!(r.kind, UnitKind::Post | UnitKind::Volunteer) {
                20.0
            } else {
                0.0
            });
        if !(sight.is_finite() && sight >= 0.0) {
            ck.named(
                &r.name,
                format!("{label}: sight must be zero or a positive distance, got {sight}"),
            );
        }
        let drive = drive(ck, r, &label, roads.as_deref(), em);
        let deployment = match &r.deployment {
            // a unit that drives stands at its station node
            Deployment::Post(p) if r.drive.is_some() => {
                let (roads, d) = (roads.as_deref(), drive.as_deref());
                DeploymentRt::Post(roads.zip(d).map_or(v2(*p), |(m, d)| m.nodes[d.station as usize]))
            }
            Deployment::Post(p) => {
                let q = v2(*p);
                if !finite_pt(*p) || !free(q) {
                    ck.named(
                        &r.name,
                        format!(
                            "{label}: post ({}, {}) is inside a wall or obstacle or outside the bounds",
                            p.0, p.1
                        ),
                    );
                }
                DeploymentRt::Post(q)
            }
            Deployment::Route { waypoints, dwell } => {
                if waypoints.is_empty() {
                    ck.named(&r.name, format!("{label}: a route needs at least one waypoint"));
                }
                if !(dwell.is_finite() && *dwell >= 0.0) {
                    ck.named(&r.name, format!("{label}: dwell must be zero or positive, got {dwell}"));
                }
                let pts: Vec<Vec2> = waypoints.iter().map(|p| v2(*p)).collect();
                for (k, (w, q)) in waypoints.iter().zip(&pts).enumerate() {
                    if !finite_pt(*w) || !free(*q) {
                        ck.named(
                            &r.name,
                            format!(
                                "{label}: waypoint {k} ({}, {}) is inside a wall or obstacle or outside the bounds",
                                w.0, w.1
                            ),
                        );
                    } else if sec.region_at(&venue.grid, *q) != sec.region_at(&venue.grid, pts[0]) {
                        ck.named(
                            &r.name,
                            format!(
                                "{label}: waypoint {k} ({}, {}) cannot be reached from waypoint 0",
                                w.0, w.1
                            ),
                        );
                    }
                }
                DeploymentRt::Route {
                    waypoints: pts,
                    dwell: *dwell,
                }
            }
            Deployment::Beat { zone, dwell } => {
                let Some(z) = venue.zones.iter().position(|x| x.name == *zone) else {
                    ck.named(
                        zone,
                        format!(
                            "{label}: zone \"{zone}\" is not defined; known zones: {}",
                            quote_list(venue.zones.iter().map(|z| z.name.as_str()))
                        ),
                    );
                    continue;
                };
                if !(dwell.is_finite() && *dwell >= 0.0) {
                    ck.named(&r.name, format!("{label}: dwell must be zero or positive, got {dwell}"));
                }
                // eight beat points drawn once from the zone (its largest walkable region)
                let mut rng = crate::rng::MasterSeed(sc.sim.seed).stream(crate::rng::Purpose::Beats, gi as u64);
                let shape = Shape::polygon(venue.zones[z].polygon.clone());
                let mut points: Vec<Vec2> = Vec::new();
                for _ in 0..400 {
                    let p = shape.sample(&mut rng);
                    if free(p)
                        && (points.is_empty() || sec.region_at(&venue.grid, p) == sec.region_at(&venue.grid, points[0]))
                    {
                        points.push(p);
                        if points.len() == 8 {
                            break;
                        }
                    }
                }
                if points.is_empty() {
                    ck.named(
                        zone,
                        format!("{label}: zone \"{zone}\" has no walkable space for a beat"),
                    );
                    continue;
                }
                DeploymentRt::Beat {
                    zone: z,
                    points,
                    dwell: *dwell,
                }
            }
        };
        groups.push(UnitGroupRt {
            name: r.name.clone(),
            kind: r.kind,
            count: r.count,
            speed: r.speed as f32,
            emergency_speed: em as f32,
            handles,
            shift_from: from,
            shift_to: to,
            deployment,
            sight: sight as f32,
            drive,
        });
    }
    let roads = roads.filter(|_| groups.iter().any(|g| g.drive.is_some()));
    Responders { groups, roads }
}

/// The roads as units that drive see them (kerbs found), when some group drives; the checks of
/// `drive` that do not need them.
fn roads(
    ck: &mut Checker,
    sc: &Scenario,
    venue: &Venue,
    vehicles: Option<&crate::vehicles::build::VehiclesRt>,
) -> Option<Arc<RoadMap>> {
    let driving = sc.responders.iter().filter(|r| r.drive.is_some()).count();
    if driving == 0 {
        return None;
    }
    if driving > MAX_DRIVING_GROUPS {
        ck.err(
            Some("drive".into()),
            format!("{driving} responder groups drive; the limit is {MAX_DRIVING_GROUPS}"),
        );
        return None;
    }
    let Some(v) = vehicles else {
        if let Some(r) = sc.responders.iter().find(|r| r.drive.is_some()) {
            ck.named(
                &r.name,
                format!(
                    "responder \"{}\": drive needs roads, and the scenario has no vehicles section",
                    r.name
                ),
            );
        }
        return None;
    };
    let free = |p: Vec2| venue.is_free(p) && venue.grid.walkable(p) && venue.wall_clearance(p) >= UNIT_RADIUS;
    let nodes: Vec<Vec2> = v.nodes.iter().map(|n| n.1).collect();
    let kerbs: Vec<Option<Vec2>> = nodes.iter().map(|&p| kerb(venue, p, &free)).collect();
    let kerbed = (0..kerbs.len() as u32)
        .filter(|&n| kerbs[n as usize].is_some())
        .collect();
    Some(Arc::new(RoadMap {
        names: v.nodes.iter().map(|n| n.0.clone()).collect(),
        links: v
            .links
            .iter()
            .map(|l| RoadLink {
                from: l.from,
                to: l.to,
                points: l.points.clone(),
                speed: l.speed as f32,
                length: l.length as f32,
            })
            .collect(),
        nodes,
        kerbs,
        kerbed,
    }))
}

/// The `drive` of group `r` checked and resolved on `roads` (None without one, or when wrong).
fn drive(
    ck: &mut Checker,
    r: &ResponderSpec,
    label: &str,
    roads: Option<&RoadMap>,
    speed: f64,
) -> Option<Arc<DriveRt>> {
    let d = r.drive.as_ref()?;
    let mut ok = true;
    if r.kind != UnitKind::Vehicle {
        ck.named(
            &r.name,
            format!("{label}: drive is for units of kind Vehicle, not {:?}", r.kind),
        );
        ok = false;
    }
    if !(d.on_foot.is_finite() && (0.1..=10.0).contains(&d.on_foot)) {
        ck.named(
            &r.name,
            format!("{label}: drive.on_foot must be 0.1 to 10 m/s, got {}", d.on_foot),
        );
        ok = false;
    }
    if !(d.park.is_finite() && (0.0..=3600.0).contains(&d.park)) {
        ck.named(
            &r.name,
            format!("{label}: drive.park must be 0 to 3600 s, got {}", d.park),
        );
        ok = false;
    }
    if let Some(o) = d.off_road
        && !(o.is_finite() && (0.1..=50.0).contains(&o))
    {
        ck.named(
            &r.name,
            format!("{label}: drive.off_road must be 0.1 to 50 m/s, got {o}"),
        );
        ok = false;
    }
    let Deployment::Post(post) = &r.deployment else {
        ck.named(
            &r.name,
            format!(
                "{label}: a unit that drives stands at a post by the road (deployment: Post), not on a route or beat"
            ),
        );
        return None;
    };
    let roads = roads?;
    let (node, far) = roads.nearest_node(v2(*post))?;
    if !finite_pt(*post) || far > KERB_REACH {
        ck.named(
            &r.name,
            format!(
                "{label}: post ({}, {}) is {far:.1} m from the nearest road node (\"{}\"); a unit that drives stands within {KERB_REACH:.0} m of one",
                post.0, post.1, roads.names[node as usize]
            ),
        );
        return None;
    }
    ok.then(|| {
        Arc::new(DriveRt::new(
            roads,
            node,
            speed as f32,
            d.on_foot as f32,
            d.park as f32,
            d.off_road.map(|o| o as f32),
        ))
    })
}

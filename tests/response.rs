//! Responders and incidents: response time = distance / speed in the open, the geodesic round a
//! wall, dispatch by travel time, a crowd slows units down, no incident is lost, bad input named.

mod common;

use cordon::prelude::*;

fn response(r: &Report) -> &cordon::incidents::report::ResponseReport {
    r.response.as_ref().unwrap_or_else(|| panic!("no response section"))
}

#[test]
fn open_venue_response_time_is_distance_over_speed() {
    let v = common::load("response_open.ron");
    let r = common::sim(&v, 1).run(|_| {});
    let inc = &response(&r).incidents;
    assert_eq!(inc.len(), 3);
    // the patrol starts every trip from its post at (10, 50), at 2 m/s
    for (row, (x, y)) in inc.iter().zip([(70.0f64, 50.0f64), (10.0, 90.0), (60.0, 80.0)]) {
        let expect = ((x - 10.0).powi(2) + (y - 50.0).powi(2)).sqrt() / 2.0;
        let got = row.response_s.unwrap_or(f64::NAN);
        eprintln!("incident at ({x}, {y}): {got:.3} s, distance/speed {expect:.3} s");
        assert!((got - expect).abs() < 0.02 * expect, "{got} vs {expect}");
    }
}

const WALLED: &str = r#"Scenario(
    name: "walled",
    sim: (dt: 0.05, start: "10:00", end: "10:05", stop_when_empty: false),
    venue: (
        bounds: (min: (0, 0), max: (100, 100)),
        walls: [(name: "wall", points: [(40, 0), (40, 80)])],
    ),
    responders: [RESPONDERS],
    dispatch: (policy: POLICY),
    incidents: [(kind: "medical", rate: At(["10:00:10"]), location: Hotspots([(INCIDENT)]), on_scene: Fixed(10))],
)"#;

fn walled(responders: &str, policy: &str, incident: &str) -> Report {
    let text = WALLED
        .replace("RESPONDERS", responders)
        .replace("POLICY", policy)
        .replace("INCIDENT", incident);
    let v = common::from_text(&text);
    common::sim(&v, 1).run(|_| {})
}

#[test]
fn round_a_wall_the_trip_follows_the_geodesic() {
    let r = walled(
        r#"(name: "p", kind: FootPatrol, speed: 2.0, handles: ["medical"], deployment: Post((10, 50)))"#,
        "NearestByTravelTime",
        "70, 50",
    );
    let got = response(&r).incidents[0].response_s.unwrap_or(f64::NAN);
    // shortest path: (10,50) → the wall's end (40,80) → (70,50)
    let geodesic = 2.0 * (30.0f64 * 30.0 + 30.0 * 30.0).sqrt();
    let expect = geodesic / 2.0;
    eprintln!(
        "round the wall: {got:.2} s, geodesic/speed {expect:.2} s, straight {:.2} s",
        60.0 / 2.0
    );
    assert!((got - expect).abs() < 0.05 * expect, "{got} vs {expect}");
    assert!(got > 30.0 * 1.2);
}

#[test]
fn dispatch_sends_the_unit_with_the_shortest_travel_time() {
    // A is 10 m from the incident in a straight line but behind the wall (≈ 120 m round it);
    // B is 35 m away on the same side.
    let units = r#"(name: "A", kind: FootPatrol, speed: 2.0, handles: ["medical"], deployment: Post((35, 20))),
        (name: "B", kind: FootPatrol, speed: 2.0, handles: ["medical"], deployment: Post((80, 20)))"#;
    let by_time = walled(units, "NearestByTravelTime", "45, 20");
    let t = response(&by_time).incidents[0].response_s.unwrap_or(f64::NAN);
    assert!(
        (t - 17.5).abs() < 0.02 * 17.5,
        "travel-time dispatch should send B (17.5 s), got {t}"
    );
    let by_distance = walled(units, "NearestByDistance", "45, 20");
    let d = response(&by_distance).incidents[0].response_s.unwrap_or(f64::NAN);
    assert!(d > 50.0, "straight-line dispatch sends A round the wall, got {d}");
}

#[test]
fn a_dense_crowd_slows_the_trip_down() {
    let base = r#"Scenario(
    name: "crowded",
    sim: (dt: 0.05, start: "10:00", end: "10:05", stop_when_empty: false),
    venue: (
        bounds: (min: (0, 0), max: (100, 60)),
        sources: [(name: "band", area: Polygon([(40, 1), (60, 1), (60, 59), (40, 59)]))],
        targets: [(name: "far", area: Polygon([(98, 0), (100, 0), (100, 2), (98, 2)]))],
    ),
    crowd: [CROWD],
    responders: [(name: "p", kind: FootPatrol, speed: 2.0, handles: ["medical"], deployment: Post((10, 30)))],
    incidents: [(kind: "medical", rate: At(["10:00:20"]), location: Hotspots([(90, 30)]), on_scene: Fixed(10))],
)"#;
    let run = |crowd: &str| {
        let v = common::from_text(&base.replace("CROWD", crowd));
        let r = common::sim(&v, 1).run(|_| {});
        response(&r).incidents[0].response_s.unwrap_or(f64::NAN)
    };
    let empty = run("");
    let crowded = run(
        r#"(name: "c", source: "band", arrivals: Initial(2500), destinations: [(target: "far")], speed: Fixed(0.05))"#,
    );
    eprintln!("80 m trip: empty {empty:.1} s, through 2.2 /m² {crowded:.1} s");
    assert!((empty - 40.0).abs() < 0.8);
    assert!(crowded > 1.2 * empty, "{crowded} vs {empty}");
}

#[test]
fn no_incident_is_lost() {
    let text = std::fs::read_to_string(common::scenario_path("response_open.ron"))
        .unwrap_or_default()
        .replace(
            r#"rate: At(["10:00:10", "10:02:00", "10:05:00"]),
            location: Hotspots([(70, 50), (10, 90), (60, 80)]),"#,
            r#"rate: PerHour(90), location: Hotspots([(70, 50), (10, 90), (60, 80), (90, 10)]),"#,
        );
    assert!(text.contains("PerHour(90)"));
    let v = common::from_text(&text);
    let r = common::sim(&v, 4).run(|_| {});
    let resp = response(&r);
    let o = &resp.overall;
    assert!(o.occurred >= 5, "{o:?}");
    assert!(
        resp.waiting_at_end > 0 || resp.waited_for_unit_s.count > 0,
        "one unit should be overloaded"
    );
    assert_eq!(
        resp.resolved_at_end + resp.in_progress_at_end + resp.waiting_at_end,
        o.occurred
    );
}

#[test]
fn bad_response_input_is_named() {
    let good = std::fs::read_to_string(common::scenario_path("response_open.ron")).unwrap_or_default();
    let with_wall = good.replace("venue: (bounds: (min: (0, 0), max: (100, 100))),", "venue: (bounds: (min: (0, 0), max: (100, 100)), obstacles: [(name: \"kiosk\", polygon: [(8, 48), (12, 48), (12, 52), (8, 52)])]),");
    let cases: Vec<(String, &str)> = vec![
        (with_wall, "post (10, 50) is inside a wall"),
        (
            good.replace("emergency_speed: 2.0", "emergency_speed: 0.0"),
            "speed and emergency_speed must be in (0, 50]",
        ),
        (
            good.replace(r#"rate: At(["10:00:10", "10:02:00", "10:05:00"])"#, "rate: PerHour(-1)"),
            "rate must be zero or positive",
        ),
        (
            good.replace(r#"handles: ["medical"]"#, r#"handles: []"#),
            "incident \"medical\": no responder can handle it",
        ),
        (
            good.replace(
                "deployment: Post((10, 50))",
                "deployment: Route(waypoints: [(10, 50), (150, 50)])",
            ),
            "waypoint 1 (150, 50) is inside a wall or obstacle or outside the bounds",
        ),
    ];
    for (text, expect) in cases {
        assert_ne!(text, good, "case did not apply: {expect}");
        let msg = common::error_of(&text);
        assert!(msg.contains(expect), "expected {expect:?} in\n{msg}");
    }
    // a waypoint walled off from the others
    let walled = good
        .replace("venue: (bounds: (min: (0, 0), max: (100, 100))),", "venue: (bounds: (min: (0, 0), max: (100, 100)), walls: [(name: \"box\", points: [(80, 80), (80, 99.9)]), (name: \"lid\", points: [(80, 80), (99.9, 80)])]),")
        .replace("deployment: Post((10, 50))", "deployment: Route(waypoints: [(10, 50), (90, 90)])");
    let msg = common::error_of(&walled);
    assert!(
        msg.contains("waypoint 1 (90, 90) cannot be reached from waypoint 0"),
        "{msg}"
    );
}

#[test]
fn one_static_unit_covers_a_disc_of_radius_v_times_t() {
    let text = r#"Scenario(
    name: "coverage",
    sim: (dt: 0.1, start: "10:00", end: "10:01", stop_when_empty: false),
    venue: (bounds: (min: (0, 0), max: (200, 200))),
    responders: [(name: "post", kind: Post, speed: 1.0, handles: ["medical"], deployment: Post((100, 100)))],
    incidents: [(kind: "medical", rate: PerHour(0), location: Hotspots([(50, 50)]), on_scene: Fixed(10))],
    dispatch: (thresholds: [20, 40, 60]),
    metrics: (coverage_interval: 10.0, coverage_cell: 1.0),
)"#;
    let v = common::from_text(text);
    let r = common::sim(&v, 1).run(|_| {});
    let cov = response(&r).coverage.as_ref().unwrap_or_else(|| panic!("no coverage"));
    assert_eq!(cov.samples.len(), 6);
    for th in &cov.thresholds {
        let expect = std::f64::consts::PI * th.threshold_s * th.threshold_s / (200.0 * 200.0);
        eprintln!(
            "T = {} s: area coverage {:.4}, π(vT)²/A {expect:.4}",
            th.threshold_s, th.area_mean
        );
        assert!(
            (th.area_mean - expect).abs() < 0.03 * expect,
            "{} vs {expect}",
            th.area_mean
        );
        assert_eq!(
            th.area_min, th.area_mean,
            "a static unit gives the same coverage every sample"
        );
    }
}

#[test]
fn units_cross_rings_only_through_checkpoints() {
    let text = r#"Scenario(
    name: "ring-response",
    sim: (dt: 0.05, start: "10:00", end: "10:03", stop_when_empty: false),
    venue: (bounds: (min: (0, 0), max: (100, 100))),
    rings: [(name: "fence", polygon: [(40, 10), (90, 10), (90, 90), (40, 90)])],
    checkpoints: [(name: "gate", ring: "fence", position: (40, 50), lanes: 2, service: Fixed(5))],
    responders: [(name: "p", kind: FootPatrol, speed: 2.0, handles: ["medical"], deployment: Post((10, 50)))],
    incidents: [(kind: "medical", rate: At(["10:00:10"]), location: Hotspots([(70, 50)]), on_scene: Fixed(20))],
    dispatch: (thresholds: [60]),
)"#;
    let v = common::from_text(text);
    let ring = v.venue.security.rings[0].clone();
    let gate = v.venue.security.checkpoints[0].pos;
    let mut sim = common::sim(&v, 1);
    let mut inside_before: Option<bool> = None;
    let mut crossings = 0;
    sim.run_to(f64::INFINITY, |w| {
        let p = w
            .try_query::<(&cordon::responders::Unit, &cordon::crowd::Position)>()
            .unwrap()
            .iter(w)
            .next()
            .map(|x| x.1.0)
            .unwrap_or_default();
        let inside = ring.is_inside(p);
        if inside_before.is_some_and(|b| b != inside) {
            assert!(
                p.distance(gate) < 4.0,
                "the unit crossed the ring away from the gate at {p}"
            );
            crossings += 1;
        }
        inside_before = Some(inside);
    });
    assert_eq!(crossings, 2, "in to the incident and out back to the post");
    let r = sim.report("test");
    let t = response(&r).incidents[0].response_s.unwrap_or(f64::NAN);
    eprintln!("through the gate: {t:.2} s (about 59 m at 2 m/s)");
    assert!((27.0..33.0).contains(&t), "{t}");
    // coverage sees through the gate too: inside the ring is covered within 60 s
    let cov = response(&r).coverage.as_ref().unwrap_or_else(|| panic!("no coverage"));
    // at the end the unit is back on its post: everything, inside the ring too, within 60 s
    let last = cov.samples.last().unwrap_or_else(|| panic!("no samples"));
    assert_eq!(last.units, 1);
    assert!(last.area[0] > 0.95, "{last:?}");
}

#[test]
fn an_incident_gets_the_unit_kinds_it_needs() {
    let text = r#"Scenario(
    name: "needs",
    sim: (dt: 0.05, start: "10:00", end: "10:05", stop_when_empty: false),
    venue: (bounds: (min: (0, 0), max: (100, 100))),
    responders: [
        (name: "foot", kind: FootPatrol, count: 2, speed: 2.0, handles: ["fight"], deployment: Post((50, 40))),
        (name: "medic", kind: Medical, speed: 2.0, handles: ["fight"], deployment: Post((50, 10))),
    ],
    incidents: [(kind: "fight", rate: At(["10:00:10"]), location: Hotspots([(50, 50)]),
                 needs: [(kind: Medical, count: 1), (kind: FootPatrol, count: 1)], on_scene: Fixed(30))],
)"#;
    let v = common::from_text(text);
    let r = common::sim(&v, 1).run(|_| {});
    let inc = &response(&r).incidents[0];
    // the foot patrol (10 m) arrives first; the work starts when the medic (40 m) is there too
    let arrived = inc.arrived.unwrap_or(f64::NAN) - inc.occurred;
    let resolved = inc.resolved.unwrap_or(f64::NAN) - inc.occurred;
    assert!((arrived - 5.0).abs() < 0.1, "first arrival {arrived}");
    assert!(
        (resolved - 50.0).abs() < 0.2,
        "resolved after {resolved} s (medic 20 s + 30 s on scene)"
    );
    let units = &response(&r).units;
    assert!(units[0].utilisation > 0.0 && units[1].utilisation > 0.0);
    // a plan without enough units of a needed kind is rejected
    let bad = text.replace("(kind: Medical, count: 1)", "(kind: Medical, count: 2)");
    let msg = common::error_of(&bad);
    assert!(
        msg.contains("needs 2 Medical units that handle it, the plan has 1"),
        "{msg}"
    );
}

/// Incidents waiting for a kind of unit that is not free do not each keep a travel-time field
/// (a field is the venue's size: thousands of waiting incidents held gigabytes): only incidents
/// with units on their way hold one.
#[test]
fn incidents_waiting_for_a_busy_kind_hold_no_field() {
    let text = std::fs::read_to_string(common::scenario_path("response_open.ron"))
        .unwrap_or_default()
        .replace(
            "deployment: Post((10, 50)), sight: 0),",
            "deployment: Post((10, 50)), sight: 0),\n        (name: \"medic\", kind: Medical, speed: 1.2, handles: [\"medical\"], deployment: Post((90, 50)), shift: Some((from: \"10:08\", to: \"10:10\"))),",
        )
        .replace(
            "rate: At([\"10:00:10\", \"10:02:00\", \"10:05:00\"]),",
            "rate: PerHour(600), needs: [(kind: Medical, count: 1)],",
        );
    assert!(text.contains("needs: [(kind: Medical"), "{text}");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    let (mut most_held, mut most_waiting) = (0, 0);
    sim.run_to(f64::INFINITY, |w| {
        let st = w.resource::<cordon::incidents::IncidentState>();
        most_held = most_held.max(st.fields_held());
        most_waiting = most_waiting.max(st.waiting.len());
    });
    assert!(
        most_waiting > 30,
        "the test needs a queue of waiting incidents: {most_waiting}"
    );
    assert!(
        most_held <= 1,
        "{most_held} fields held while {most_waiting} incidents waited"
    );
}

#[test]
fn a_patrol_walks_its_route_round_a_wall_along_the_geodesic() {
    // a patrol keeps the point it aimed at for a second (`AIM_KEEP` steps) before it looks
    // again: its legs must still follow the geodesic at its speed and never cut the wall
    let text = r#"Scenario(
    name: "walled-patrol",
    sim: (dt: 0.05, start: "10:00", end: "10:04", stop_when_empty: false),
    venue: (
        bounds: (min: (0, 0), max: (100, 100)),
        walls: [(name: "wall", points: [(40, 0), (40, 80)])],
    ),
    responders: [(name: "p", kind: FootPatrol, speed: 2.0, handles: [],
        deployment: Route(waypoints: [(10, 50), (70, 50)], dwell: 0))],
)"#;
    let v = common::from_text(text);
    let (a, b) = (bevy::math::Vec2::new(10.0, 50.0), bevy::math::Vec2::new(70.0, 50.0));
    let mut sim = common::sim(&v, 1);
    let (mut step, mut last): (u64, Option<bevy::math::Vec2>) = (0, None);
    let mut arrivals: Vec<(f64, bool)> = Vec::new();
    sim.run_to(f64::INFINITY, |w| {
        step += 1;
        let p = w
            .try_query::<(&cordon::responders::Unit, &cordon::crowd::Position)>()
            .unwrap()
            .iter(w)
            .next()
            .map(|x| x.1.0)
            .unwrap_or_default();
        if let Some(q) = last {
            // crossing x = 40 only beyond the wall's end
            if (q.x - 40.0) * (p.x - 40.0) <= 0.0 && q.x != p.x {
                let y = q.y + (p.y - q.y) * (40.0 - q.x) / (p.x - q.x);
                assert!(y > 80.0, "the patrol cut through the wall at y = {y}");
            }
            assert!(p.distance(q) <= 2.0 * 0.05 + 1e-4, "faster than its speed: {q} -> {p}");
        }
        for (goal, out) in [(b, true), (a, false)] {
            if p.distance(goal) < 1e-3 && arrivals.last().is_none_or(|l| l.1 != out) {
                arrivals.push((step as f64 * 0.05, out));
            }
        }
        last = Some(p);
    });
    // (10,50) → the wall's end (40,80) → (70,50): two legs of 30√2 m
    let leg = 2.0 * (30.0f64 * 30.0 + 30.0 * 30.0).sqrt() / 2.0;
    eprintln!("arrivals {arrivals:?}, geodesic leg {leg:.2} s");
    assert!(arrivals.len() >= 4, "{arrivals:?}");
    for w in arrivals.windows(2) {
        let t = w[1].0 - w[0].0;
        assert!(
            (t - leg).abs() < 0.03 * leg,
            "a leg took {t:.2} s, the geodesic {leg:.2} s"
        );
    }
}

//! Halls: occupants counted against a licensed capacity, admission stopped when full (the
//! queue waiting outside takes space), incidents among the occupants.

mod common;

use cordon::crowd::{Held, Position};
use cordon::halls::HallState;

/// A hall 20 x 20 m behind walls with a 2 m door on its west side; 300 visitors arrive from
/// the west at 2 a second, stay 2 minutes and leave the way they came.
const HALL: &str = r#"Scenario(
    name: "hall",
    sim: (dt: 0.05, start: "10:00", end: "10:20", seed: 5),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        cell_size: 0.25,
        walls: [
            (points: [(35, 19), (35, 10), (55, 10), (55, 30), (35, 30), (35, 21)]),
        ],
        sources: [(name: "west", area: Polygon([(1, 12), (5, 12), (5, 28), (1, 28)]))],
        targets: [
            (name: "hall-floor", area: Polygon([(36, 11), (54, 11), (54, 29), (36, 29)])),
            (name: "away", area: Polygon([(1, 12), (5, 12), (5, 28), (1, 28)])),
        ],
    ),
    crowd: [(name: "visitors", source: "west", arrivals: Rates([(from: "10:00", to: "10:02:30", rate: 2.0)]),
             destinations: [(target: "hall-floor")], exits: [(target: "away")], dwell: Some(Fixed(120)))],
    halls: [(name: "Hall A", target: "hall-floor", capacity: 80, reopen_below: 60)],
)"#;

/// Occupancy never exceeds the capacity; when full, admission waits until it is below
/// `reopen_below`; the count is conserved (admitted − left = inside); the people waiting stand
/// outside; everyone gets in in the end, and the report shows the wait.
#[test]
fn a_full_hall_stops_admission_and_the_queue_waits_outside() {
    let v = common::from_text(HALL);
    let floor = v.venue.targets[0].shape.clone();
    let mut sim = common::sim(&v, 5);
    let (mut peak, mut max_waiting, mut steps) = (0u32, 0usize, 0u64);
    let mut reopened_at_capacity = false;
    let (mut was_open, mut prev) = (true, (0usize, 0usize, 0u32));
    sim.run_to(f64::INFINITY, |w| {
        steps += 1;
        let st = w.resource::<HallState>();
        let n = st.occupancy[0];
        peak = peak.max(n);
        assert!(n <= 80, "step {steps}: {n} inside a hall for 80");
        assert_eq!(
            st.entries[0].len() - st.exits[0].len(),
            n as usize,
            "step {steps}: admitted − left ≠ inside"
        );
        // closed last step and someone got in since: before they did, fewer than 60 were inside
        let (entries, exits) = (st.entries[0].len(), st.exits[0].len());
        if !was_open && entries > prev.0 && prev.2 as usize - (exits - prev.1) >= 60 {
            reopened_at_capacity = true;
        }
        was_open = st.open[0];
        prev = (entries, exits, n);
        max_waiting = max_waiting.max(st.waiting[0].len());
        // those waiting stand outside the hall
        let mut q = w.try_query::<(&Position, &Held)>().unwrap();
        for (p, _) in q.iter(w) {
            assert!(!floor.contains(p.0) && p.0.x < 35.5, "someone waits inside at {}", p.0);
        }
    });
    assert_eq!(peak, 80, "the hall never filled");
    assert!(!reopened_at_capacity, "admission reopened at 60 or more inside");
    assert!(max_waiting > 50, "only {max_waiting} waited outside");
    // the crowd waiting at the door is no denser than a jam at a door (tests/densities.rs)
    let (densest, at) = sim.world().resource::<cordon::metrics::Metrics>().densest_cell();
    eprintln!("densest 2 m cell {densest:.2} /m² at {at}");
    assert!(densest <= 5.5, "{densest} /m² at {at}");
    let r = sim.report("test");
    let h = &r.halls[0];
    eprintln!(
        "peak {} at {} s, {} in, {} out, closed {} s, up to {} waiting, wait p50 {} p90 {} max {}",
        h.peak_occupancy,
        h.peak_t,
        h.entries,
        h.exits,
        h.closed_s,
        h.waiting_max,
        h.wait_s.p50,
        h.wait_s.p90,
        h.wait_s.max
    );
    assert_eq!(h.entries, r.totals.spawned, "everyone got in in the end");
    assert_eq!(h.exits, r.totals.spawned);
    assert!(h.closed_s > 60.0 && h.wait_s.max > 60.0, "{h:?}");
    assert_eq!(h.occupancy_series.iter().copied().max(), Some(80));
}

/// Incidents among a hall's occupants: their number follows the rate per occupant-hour
/// (Poisson), each inside the hall.
#[test]
fn incidents_in_a_hall_follow_its_occupants() {
    let text = HALL
        .replace("capacity: 80, reopen_below: 60", "capacity: 1000")
        .replace("rate: 2.0)", "rate: 4.0)")
        .replace("Fixed(120)", "Fixed(900)")
        .replace(
            "    halls: [",
            r#"    responders: [(name: "medics", kind: Medical, count: 2, speed: 1.5, handles: ["faint"], deployment: Post((20, 20)))],
    incidents: [(kind: "faint", rate: PerThousandPerHour(300), location: Halls(["Hall A"]), on_scene: Fixed(30))],
    halls: ["#,
        );
    let v = common::from_text(&text);
    let floor = v.venue.targets[0].shape.clone();
    let (mut n, mut expect) = (0.0, 0.0);
    for seed in 1..=3 {
        let mut sim = common::sim(&v, seed);
        let mut occupant_s = 0.0;
        let dt = v.dt;
        sim.run_to(f64::INFINITY, |w| {
            occupant_s += f64::from(w.resource::<HallState>().occupancy[0]) * dt;
        });
        let r = sim.report("test");
        let resp = r.response.as_ref().unwrap();
        n += resp.incidents.len() as f64;
        expect += 300.0 / 1000.0 / 3600.0 * occupant_s;
        for i in &resp.incidents {
            assert!(
                floor.contains(bevy::math::Vec2::new(i.x as f32, i.y as f32)),
                "incident outside the hall: {i:?}"
            );
        }
        // (one that happened in the last seconds may still be waiting)
        assert!(
            resp.overall.answered + 2 >= resp.incidents.len() as u64,
            "the medics reached them through the door"
        );
    }
    eprintln!("{n} incidents for {expect:.1} expected");
    assert!(
        (n - expect).abs() <= 3.0 * expect.sqrt(),
        "{n} incidents, {expect:.1} expected"
    );
}

/// Bad halls are named at their line with what is wrong.
#[test]
fn bad_halls_are_named() {
    let line = HALL.lines().position(|l| l.contains("halls: [")).unwrap() + 1;
    for (from, to, expect) in [
        (
            "target: \"hall-floor\", capacity",
            "target: \"hal\", capacity",
            "hall \"Hall A\": target \"hal\" is not defined",
        ),
        ("capacity: 80,", "capacity: 0,", "capacity must be at least 1"),
        (
            "reopen_below: 60",
            "reopen_below: 90",
            "reopen_below must be 1 to the capacity (80), got 90",
        ),
    ] {
        let msg = common::error_of(&HALL.replace(from, to));
        assert!(msg.contains(expect), "{to}: expected {expect:?} in\n{msg}");
        assert!(
            msg.contains(&format!("t.ron:{line}:")),
            "{to}: not at line {line}:\n{msg}"
        );
    }
    let twice = HALL.replace(
        "reopen_below: 60)]",
        "reopen_below: 60), (name: \"Hall B\", target: \"hall-floor\", capacity: 5)]",
    );
    assert!(common::error_of(&twice).contains("is already hall \"Hall A\"'s floor"));
    let unknown = HALL.replace(
        "    halls: [",
        "    responders: [(name: \"m\", kind: Medical, speed: 1.5, handles: [\"faint\"], deployment: Post((20, 20)))],\n    incidents: [(kind: \"faint\", rate: PerHour(1), location: Halls([\"Hall Z\"]), on_scene: Fixed(30))],\n    halls: [",
    );
    let msg = common::error_of(&unknown);
    assert!(
        msg.contains("hall \"Hall Z\" is not defined; known halls: \"Hall A\""),
        "{msg}"
    );
}

/// A timeline rule stops admission at a level below the licence (the CIIE police's 8,000 in a
/// hall for 10,000): until it resumes, the hall holds no more than the level plus one (the one
/// admitted in the step the level was passed) and the rest wait outside; admission resumes under
/// the `until` level, those waiting go in up to the level again (not up to the licence), the
/// rule stops it again, and everyone gets in in the end.
#[test]
fn an_occupancy_rule_stops_admission_at_its_level_and_resumes_under_until() {
    let text = HALL.replace(
        "    halls: [(name: \"Hall A\", target: \"hall-floor\", capacity: 80, reopen_below: 60)],",
        "    halls: [(name: \"Hall A\", target: \"hall-floor\", capacity: 80, reopen_below: 60)],
    timeline: [(when: Occupancy(hall: \"Hall A\", above: 49), until: Occupancy(hall: \"Hall A\", below: 30),
                do: Admission(hall: \"Hall A\", open: false))],",
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 5);
    let (mut peak, mut was_closed, mut resumed, mut peak_after) = (0u32, false, false, 0u32);
    sim.run_to(f64::INFINITY, |w| {
        let st = w.resource::<HallState>();
        // before and after the first resume (the stop undone)
        resumed |= was_closed && !st.plan_closed[0];
        was_closed = st.plan_closed[0];
        if resumed {
            peak_after = peak_after.max(st.occupancy[0]);
        } else {
            peak = peak.max(st.occupancy[0]);
        }
    });
    let r = sim.report("test");
    let fired: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    eprintln!("peak before resuming {peak}, after {peak_after}; {fired:#?}");
    assert!((50..=51).contains(&peak), "peak {peak} with admission stopped above 49");
    assert!(
        resumed && peak_after <= 51,
        "peak {peak_after} after resuming (licence 80)"
    );
    assert!(fired.len() >= 3, "stopped again after resuming: {fired:?}");
    assert!(
        fired[0].starts_with("Hall A: admission stopped (occupancy of Hall A 50 above 49)"),
        "{fired:?}"
    );
    assert!(
        fired[1].starts_with("Hall A: admission resumed (occupancy of Hall A 29 below 30)"),
        "{fired:?}"
    );
    let h = &r.halls[0];
    assert_eq!(h.entries, r.totals.spawned, "everyone got in in the end");
    assert!(h.waiting_max > 20, "{h:?}");
}

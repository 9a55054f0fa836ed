//! Evacuation: everyone in the area walks to the nearest assembly point on the order; halls
//! empty through their doors at the pace the doors set.

mod common;

use cordon::evacuation::EvacState;
use std::path::Path;

fn shipped(name: &str) -> cordon::build::Validated {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    cordon::build::load_and_validate(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The shipped hall: 600 people, two 2 m doors. The hall is clear within 10% of the hydraulic
/// hand calculation: 600 / (1.8 /(m·s) × 4 m) + about 1 s to the nearest door = 84 s (the door
/// capacity measured for bottlenecks; tests/doors.rs measures Cordon's doors in that range).
#[test]
fn a_hall_clears_within_ten_percent_of_the_hydraulic_calculation() {
    let v = shipped("evacuation_hall.ron");
    let hand = 600.0 / (1.8 * 4.0) + 1.0;
    for seed in [7, 8] {
        let mut sim = common::sim(&v, seed);
        sim.run_to(f64::INFINITY, |_| {});
        let r = sim.report("test");
        let ev = r.evacuation.as_ref().unwrap_or_else(|| panic!("no evacuation section"));
        eprintln!("seed {seed}: {ev:?}");
        assert_eq!(ev.evacuees, 600);
        assert_eq!(ev.reached_safety, 600, "everyone got to an assembly point");
        let clear = ev.zones[0].clear_s.unwrap_or(f64::NAN);
        let hall = ev.halls[0].clear_s.unwrap_or(f64::NAN);
        eprintln!("seed {seed}: hall zone clear after {clear} s, hall empty after {hall} s, hand {hand:.1} s");
        assert!(
            (clear - hand).abs() <= 0.1 * hand,
            "clear after {clear} s against {hand:.1} s by hand"
        );
        assert!((hall - clear).abs() <= 2.0, "hall {hall} s, zone {clear} s");
        // the doors worked at capacity and shared the load
        let sec = r.security.as_ref().unwrap_or_else(|| panic!("no security section"));
        let (w, e) = (sec.doors[0].passed, sec.doors[1].passed);
        assert_eq!(w + e, 600);
        assert!(w.min(e) >= 240, "west {w}, east {e}");
        // the crowd at the doors packs as a jam at a door does (4.5–6.5 /m² in
        // tests/densities.rs), below a crush (7 /m² and more)
        let st = sim.world().resource::<EvacState>();
        eprintln!("seed {seed}: densest cell {} /m²", st.peak_density.0);
        assert!(st.peak_density.0 < 6.5, "densest cell {} /m²", st.peak_density.0);
    }
}

/// A bad order is named: a time outside the run, an unknown zone or target, nowhere to go.
#[test]
fn a_bad_order_is_named() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/evacuation_hall.ron");
    let text = std::fs::read_to_string(path).unwrap();
    let order = r#"evacuation: Some((at: "10:00:10", zones: ["hall"], to: ["assembly-west", "assembly-east"])),"#;
    assert!(text.contains(order));
    for (from, to, expect) in [
        (
            "at: \"10:00:10\"",
            "at: \"11:00\"",
            "evacuation: the order at 11:00:00 is outside the run (10:00:00 to 10:05:00)",
        ),
        (
            "zones: [\"hall\"]",
            "zones: [\"hal\"]",
            "evacuation: zone \"hal\" is not defined",
        ),
        (
            "\"assembly-east\"]",
            "\"assembly-north\"]",
            "evacuation: target \"assembly-north\" is not defined",
        ),
        (
            "to: [\"assembly-west\", \"assembly-east\"]",
            "to: []",
            "evacuation: `to` names no target",
        ),
    ] {
        let msg = common::error_of(&text.replace(order, &order.replace(from, to)));
        assert!(msg.contains(expect), "{to}: expected {expect:?} in\n{msg}");
        assert!(msg.contains("t.ron:"), "{msg}");
    }
}

//! Densities a crowd-safety engineer would sign: no queue stands denser than the crowd model
//! itself packs people pressing at a door.

mod common;

use cordon::metrics::{Metrics, Scale};
use cordon::prelude::*;

/// The densest density cell of a finished run: persons/m² and where.
fn densest(sim: &Simulation) -> (f32, bevy::math::Vec2) {
    sim.world().resource::<Metrics>().densest_cell()
}

#[test]
fn the_import_expo_queues_stand_no_denser_than_a_jam_at_a_door() {
    // the packed crowd: 150 people pressing at a 1 m wide door
    let v = common::load("bottleneck.ron");
    assert_eq!(v.scenario.metrics.density_cell, 2.0);
    let mut sim = common::sim(&v, 1);
    sim.run(|_| {});
    let (packed, at) = densest(&sim);
    eprintln!("a jam at a 1 m door packs {packed} /m² (2 m cell at {at})");
    assert!((4.5..=6.5).contains(&packed), "{packed} /m² at the door");
    // the contingency demo: a gate shut for 10 minutes sends its queue to the other gate, whose
    // pen fills and whose queue goes on outside it, reached from the side (8.25 /m² inside the
    // pen when those waiting for a place walked on into it)
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/contingency_gates.ron");
    let v = cordon::build::load_and_validate(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut sim = common::sim(&v, 11);
    let r = sim.run(|_| {});
    let east = r.security.as_ref().map(|s| &s.checkpoints[1]);
    let pen = east.map_or(0, |c| c.queue_max);
    let (peak, at) = densest(&sim);
    eprintln!("contingency demo: densest 2 m cell {peak} /m² at {at}; east queue at most {pen}");
    assert!(pen > 512, "the east pen (512 places) never overflowed: {pen}");
    assert!(
        peak <= packed + 0.25,
        "{peak} /m² at {at}; a jam at a door packs {packed} /m²"
    );
    // the built-in Import Expo's first 90 minutes: its morning queues and the halls' doors
    let v = cordon::build::default_scenario().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.scenario.metrics.density_cell, 2.0);
    let mut sim = Simulation::new(
        &v,
        &SimOptions {
            threads: 2,
            until: Some(5400.0),
            ..Default::default()
        },
    );
    let r = sim.run(|_| {});
    // the halls' queue areas are judged as queues, the plazas as walkways
    let scales: Vec<String> = r.zones.iter().map(|z| format!("{} {}", z.name, z.scale)).collect();
    eprintln!("zone scales: {}", scales.join(", "));
    assert!(r.zones.iter().any(|z| z.scale == "walkway"), "{scales:?}");
    for z in r.zones.iter().filter(|z| z.name.ends_with("-hall-queue")) {
        assert_ne!(z.scale, "walkway", "{}", z.name);
        assert_eq!(z.peak_scale, Scale::Queueing, "{}", z.name);
        assert!(
            z.peak_los != "F",
            "{} peaks at {} /m², queueing LOS F",
            z.name,
            z.peak_density
        );
    }
    let (peak, at) = densest(&sim);
    eprintln!("Import Expo to 10:00: densest 2 m cell {peak} /m² at {at}");
    // at most one person more in a 4 m² cell than the jam
    assert!(
        peak <= packed + 0.25,
        "{peak} /m² at {at}; a jam at a door packs {packed} /m²"
    );
}

#[test]
fn a_queue_for_a_full_hall_backed_up_to_the_lanes_holds_the_screened_in_them() {
    // a hall of 30 just behind a 4-lane checkpoint, 300 arriving in 5 minutes: the hall fills,
    // its queue stands back to the lanes, and those screened then wait in their lanes rather than
    // step out onto the people standing there (Issue 19's Import Expo: 76 /m² at the W
    // entrance hall's lane exits while Hall W4's queue stood there)
    let text = r#"Scenario(
    name: "full-hall",
    sim: (dt: 0.1, start: "09:00", end: "09:25", seed: 2),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        sources: [(name: "street", area: Polygon([(10, 2), (50, 2), (50, 8), (10, 8)]))],
        targets: [(name: "hall", area: Polygon([(25, 29), (35, 29), (35, 33), (25, 33)]))],
    ),
    crowd: [(name: "visitors", source: "street", arrivals: Rates([(from: "09:00", to: "09:05", rate: 1)]),
             destinations: [(target: "hall")], dwell: Fixed(3600))],
    rings: [(name: "fence", level: Perimeter, polygon: [(5, 20), (55, 20), (55, 34), (5, 34)])],
    checkpoints: [(name: "gate", ring: "fence", position: (30, 20), lanes: 4, service: Fixed(2), queue: (length: 10, width: 8))],
    halls: [(name: "Hall", target: "hall", capacity: 30, reopen_below: 20)],
)"#;
    let v = common::from_text(text);
    let mut sim = common::sim(&v, 2);
    let r = sim.run(|_| {});
    let (peak, at) = densest(&sim);
    let gate = &r.security.as_ref().expect("security").checkpoints[0];
    let hall = &r.halls[0];
    eprintln!(
        "densest 2 m cell {peak} /m² at {at}; {} screened, hall waiting at most {}",
        gate.served, hall.waiting_max
    );
    assert!(
        hall.waiting_max >= 40,
        "the hall's queue never grew: {}",
        hall.waiting_max
    );
    assert!(
        gate.served < 150,
        "the lanes let out {} of 300: they never held anyone",
        gate.served
    );
    assert!(
        peak <= 6.75,
        "{peak} /m² at {at}: people stepped out of the lanes onto those standing"
    );
}

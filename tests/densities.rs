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

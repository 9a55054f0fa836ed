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

//! The viewer's side panel and click-to-inspect read the run (no window needed).
#![cfg(feature = "viewer")]

use cordon::crowd::{Agent, Position};
use cordon::prelude::*;
use cordon::viewer::panel::{Pick, describe, metrics_text, pick};

fn run_to(file: &str, t: f64) -> (Simulation, Venue) {
    let v = load_and_validate(std::path::Path::new(file)).unwrap();
    let mut sim = Simulation::new(&v, &SimOptions::default());
    sim.run_to(t, |_| {});
    (sim, v.venue.clone())
}

#[test]
fn a_click_picks_the_visitor_checkpoint_or_zone_under_it() {
    let (mut sim, venue) = run_to("scenarios/entrance_checkpoints.ron", 600.0);
    let w = sim.world_mut();
    // a visitor: clicking on it picks it, and the description names it
    let (e, id, at) = {
        // a walking one (a visitor inside a building is not drawn, so not picked)
        let mut q = w
            .query_filtered::<(bevy::prelude::Entity, &Agent, &Position), bevy::prelude::With<cordon::crowd::Walking>>(
            );
        let (e, a, p) = q.iter(w).next().expect("visitors at 09:05");
        (e, a.id, p.0)
    };
    let got = pick(w, &venue, at, 0.5);
    assert_eq!(got, Pick::Agent(e));
    assert!(describe(w, &venue, got).contains(&format!("visitor #{id}")));
    // a checkpoint's lanes, where nobody stands within reach
    let cp = &venue.security.checkpoints[1];
    let clear = |w: &mut bevy::prelude::World, p: bevy::math::Vec2| {
        let mut q = w.query::<&Position>();
        q.iter(w).all(|x| x.0.distance(p) > 0.3)
    };
    let probe = cp.pos + cp.out * 0.5;
    assert!(clear(w, probe));
    assert_eq!(pick(w, &venue, probe, 0.3), Pick::Checkpoint(1));
    let d = describe(w, &venue, Pick::Checkpoint(1));
    assert!(d.contains("side-gate") && d.contains("6 lanes"), "{d}");
    // empty ground in the forecourt: the zone
    let corner = bevy::math::Vec2::new(2.0, 30.0);
    assert!(clear(w, corner));
    let z = pick(w, &venue, corner, 0.3);
    assert_eq!(z, Pick::Zone(0));
    assert!(describe(w, &venue, z).starts_with("zone forecourt"));
    // the panel: people are entering through the perimeter's checkpoints at 09:05
    let text = metrics_text(w, &venue, None);
    let rate: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("entering "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|x| x.parse().ok())
        .expect("an entering line");
    assert!(rate > 1000.0, "entering {rate} /h\n{text}");
}

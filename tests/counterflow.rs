//! Opposing streams: two streams of 2 persons/s meet head-on where both round the same
//! building corner in open space. People there pass each other (keeping right) and nobody is
//! held up for long; the model once gridlocked here (LOS F for most of the run, walkers piling
//! up), which is how the Import Expo's leaf corners jammed in the afternoon.

mod common;

#[test]
fn opposing_streams_round_a_corner_pass_each_other() {
    let v = common::load("corner_counterflow.ron");
    let mut sim = common::sim(&v, 1);
    let r = sim.run(|_| {});
    eprintln!("{}", r.summary());
    assert_eq!(r.totals.exited, r.totals.spawned, "everyone gets through");
    assert!(r.totals.spawned > 2200, "{} spawned", r.totals.spawned);
    // free walking takes about 135-140 s (180 m at 1.34 m/s)
    assert!(r.travel_time_s.p90 < 230.0, "p90 travel time {} s", r.travel_time_s.p90);
    let corner = r.zones.iter().find(|z| z.name == "corner").unwrap();
    assert!(
        corner.critical_s < 120.0,
        "{} s above the critical density at the corner",
        corner.critical_s
    );
}

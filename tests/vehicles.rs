//! Vehicles against traffic and queueing theory: free speed and capacity, a vehicle checkpoint's
//! waits against Erlang C, a queue spilling back at the kinematic-wave shock speed and
//! discharging at capacity, drop-offs letting out exactly the occupants who arrived, permits,
//! and the layered interception product rule across a vehicle ring and a pedestrian ring.

mod common;

use cordon::checkpoint::queueing::mmc_wait;
use cordon::vehicles::VehicleState;

/// One road into a vehicle ring: `approach` (W → B, `lanes` lanes, 2,901 m) ends at checkpoint
/// "gate" (`c` booths, `inspection`), then `inner` (B → E, 4 lanes, as a plaza fans out) leaves the roads; a side
/// road `side` (S → W2) feeds the approach's start junction W2 when `side` is set. `flows` are
/// the flows' text.
fn roads(end: f64, lanes: u32, approach_len: f64, c: u32, inspection: &str, open: &str, flows: &str) -> String {
    let w = -99.0 - approach_len;
    format!(
        r#"Scenario(
    name: "roads",
    sim: (dt: 0.25, start: 0, end: {end}, seed: 1),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        sources: [(name: "bay", area: Polygon([(5, 5), (15, 5), (15, 15), (5, 15)]))],
        targets: [(name: "hall", area: Polygon([(45, 25), (55, 25), (55, 35), (45, 35)]))],
    ),
    vehicles: (
        classes: [(name: "car", spacing: 7.5, speed: 13.9)],
        nodes: [(name: "W", position: ({w}, 50)), (name: "B", position: (-99, 50)), (name: "E", position: (2000, 50)),
                (name: "S", position: ({w}, 2050)), (name: "U", position: ({u}, 50))],
        links: [
            (name: "up", from: "U", to: "W", lanes: {lanes}, speed: 13.9),
            (name: "side", from: "S", to: "W", lanes: 1, speed: 13.9),
            (name: "approach", from: "W", to: "B", lanes: {lanes}, speed: 13.9),
            (name: "inner", from: "B", to: "E", lanes: 4, speed: 13.9),
        ],
        rings: [(name: "zone", area: [(-100, -1000), (3000, -1000), (3000, 1000), (-100, 1000)])],
        checkpoints: [(name: "gate", ring: "zone", link: "approach", lanes: {c}, inspection: {inspection}{open})],
        flows: [{flows}],
    ),
)"#,
        u = w - 2000.0
    )
}

#[test]
fn a_vehicle_checkpoint_waits_as_erlang_c_at_rho_0_7_and_0_9() {
    // 4 booths, exponential inspection of mean 20 s, Poisson arrivals on a 2-lane approach
    let (c, mean) = (4u32, 20.0);
    let mu = 1.0 / mean;
    for (rho, hours, seeds) in [(0.7, 24.0, 2u64), (0.9, 60.0, 5)] {
        let lambda = rho * f64::from(c) * mu;
        let end = hours * 3600.0;
        let text = roads(
            end,
            2,
            2901.0,
            c,
            &format!("Exponential(mean: {mean})"),
            "",
            &format!(
                r#"(name: "cars", class: "car", entry: "approach", exit: "inner", arrivals: Rates([(from: 0, to: {end}, rate: {lambda})]))"#
            ),
        );
        let v = common::from_text(&text);
        let (mut sum, mut n) = (0.0, 0usize);
        for seed in 0..seeds {
            let mut sim = common::sim(&v, 100 + seed);
            sim.run_to(end, |_| {});
            let st = sim.world().resource::<VehicleState>();
            let w = &st.checkpoints[0].waits;
            // the first hour warms the queue up
            let skip = (lambda * 3600.0) as usize;
            sum += w.iter().skip(skip).sum::<f64>();
            n += w.len().saturating_sub(skip);
        }
        let mean_wait = sum / n as f64;
        let theory = mmc_wait(lambda, mu, c).unwrap();
        eprintln!("rho {rho}: {n} vehicles, mean wait {mean_wait:.2} s, Erlang C {theory:.2} s");
        assert!(
            (mean_wait - theory).abs() < 0.1 * theory,
            "rho {rho}: mean wait {mean_wait:.2} s vs Erlang C {theory:.2} s"
        );
    }
}

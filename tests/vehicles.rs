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

const V: f64 = 13.9;
const D: f64 = 7.5;
const W: f64 = 5.4;

/// Every 4 s a car enters `up` (2,000 m) for the 400 m approach to "gate".
fn queue_run(inspection: &str, open: &str, end: f64) -> String {
    roads(
        end,
        1,
        400.0,
        1,
        inspection,
        open,
        r#"(name: "cars", class: "car", entry: "up", exit: "inner", arrivals: Every(every: 4, from: 0, to: 3000))"#,
    )
}

/// What a queue run saw: per step (t, vehicles queued, metres), when the queue first reached
/// the approach's start, when `up` was first held, and the booth entries' times.
struct Seen {
    queue: Vec<(f64, u32, f64)>,
    spill: Option<f64>,
    blocked: Option<f64>,
    entries: Vec<f64>,
}

fn watch(text: &str, end: f64) -> Seen {
    let v = common::from_text(text);
    let mut sim = common::sim(&v, 1);
    let mut seen = Seen {
        queue: Vec::new(),
        spill: None,
        blocked: None,
        entries: Vec::new(),
    };
    let mut inspected = 0;
    sim.run_to(end, |w| {
        let st = w.resource::<VehicleState>();
        let t = st.traffic.now();
        let (n, m) = st.queue_of(0);
        seen.queue.push((t, n, m));
        seen.spill = seen.spill.or(st.checkpoints[0].spillback_first);
        if seen.blocked.is_none() && st.traffic.blocked_s[0] > 0.0 {
            seen.blocked = Some(t);
        }
        for _ in inspected..st.checkpoints[0].inspected {
            seen.entries.push(t);
        }
        inspected = st.checkpoints[0].inspected;
    });
    seen
}

#[test]
fn a_closed_checkpoint_queues_one_car_per_jam_spacing_and_spills_back_at_the_shock_speed() {
    let seen = watch(&queue_run("Fixed(6)", ", open: 100000", 600.0), 600.0);
    let lambda = 0.25;
    let t1 = 2400.0 / V; // the first car reaches the stop line
    // a stopped queue holds one car per jam spacing
    for &(t, n, m) in &seen.queue {
        if n > 0 {
            assert!((m - f64::from(n) * D).abs() <= D + 1e-6, "t {t}: {n} cars over {m} m");
        }
        // it holds more than the cars that would have reached the stop line by now, (λ − 0) t:
        // its tail comes to meet them, at λ t / (1 − λ d / v)
        if t > t1 + 1.0 && t < 550.0 {
            let physical = lambda * (t - t1) / (1.0 - lambda * D / V) + 1.0;
            assert!(
                (f64::from(n) - physical).abs() <= 1.5,
                "t {t}: {n} queued, {physical:.1} predicted"
            );
        }
    }
    // the tail runs back at u = λ / (k_j − λ/v) and reaches the junction 400 m back at t*
    let u = lambda / (1.0 / D - lambda / V);
    let t_star = t1 + 400.0 / u;
    let spill = seen.spill.expect("the queue never reached the junction");
    eprintln!(
        "shock {u:.3} m/s: predicted t* {t_star:.1} s, queue at the junction {spill:.1} s, up held from {:?}",
        seen.blocked
    );
    assert!(
        (spill - t_star).abs() <= 4.5,
        "reached the junction at {spill:.1} s, predicted {t_star:.1} s"
    );
    // the link before it is held only once the queue is there
    let blocked = seen.blocked.expect("the link before the junction was never held");
    assert!(
        blocked >= spill - 0.5 && blocked <= spill + 8.0,
        "held from {blocked}, queue there at {spill}"
    );
}

#[test]
fn an_over_capacity_checkpoint_holds_arrivals_minus_capacity_and_spills_back_at_the_shock_speed() {
    // one booth at 6 s (600 an hour) against a car every 4 s (900 an hour)
    let seen = watch(&queue_run("Fixed(6)", "", 900.0), 900.0);
    let (lambda, mu) = (0.25, 1.0 / 6.0);
    let t1 = 2400.0 / V;
    // cars that would have passed the stop line by now in free flow, minus those through the
    // booth: (λ − μ)(t − t1), the fluid (point) queue
    for &(t, _, _) in seen.queue.iter().filter(|q| q.0 > t1 + 30.0 && q.0 < 880.0) {
        let arrived = ((t - t1) / 4.0).floor() + 1.0;
        let through = seen.entries.iter().filter(|&&e| e <= t).count() as f64;
        let fluid = (lambda - mu) * (t - t1);
        assert!(
            (arrived - through - fluid).abs() <= 2.0,
            "t {t}: {arrived} − {through} vs {fluid:.1}"
        );
    }
    // its tail: the shock between free flow (λ, λ/v) and the queue discharging at μ on the
    // congested branch (μ, k_j − μ/w)
    let u = (lambda - mu) / (1.0 / D - mu / W - lambda / V);
    let t_star = t1 + 400.0 / u;
    let spill = seen.spill.expect("the queue never reached the junction");
    eprintln!("shock {u:.3} m/s: predicted t* {t_star:.1} s, queue at the junction {spill:.1} s");
    assert!(
        (spill - t_star).abs() <= 0.05 * (t_star - t1),
        "reached the junction at {spill:.1} s, predicted {t_star:.1} s"
    );
}

#[test]
fn a_queue_released_discharges_at_capacity() {
    // closed until 600 s, then booths that take no time: the queue drains at the road's capacity
    let seen = watch(&queue_run("Fixed(0)", ", open: 600", 900.0), 900.0);
    let n = seen.entries.iter().filter(|&&e| (620.0..780.0).contains(&e)).count() as f64;
    let q = n * 3600.0 / 160.0;
    let qmax = 3600.0 / (D / W + D / V);
    eprintln!("discharge {q:.0} vehicles/h, capacity {qmax:.0}");
    assert!(
        (q - qmax).abs() <= 0.03 * qmax,
        "discharge {q:.0} /h vs capacity {qmax:.0} /h"
    );
    assert!((1800.0..=2000.0).contains(&q));
}

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

/// Buses (40 aboard, a bay of 2 with 30 s to get out) and taxis (1–3 aboard, a rank of 4) bring
/// two crowd groups of different classes to the source "bay".
const DROP_OFFS: &str = r#"Scenario(
    name: "drop-offs",
    sim: (dt: 0.1, start: 0, end: 3000, seed: 2),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        sources: [(name: "bay", area: Polygon([(2, 2), (20, 2), (20, 15), (2, 15)]))],
        targets: [(name: "hall", area: Polygon([(45, 25), (55, 25), (55, 35), (45, 35)]))],
    ),
    crowd: [
        (name: "by-bus", class: "public", source: "bay", destinations: [(target: "hall")],
         arrivals: Rates([(from: 300, to: 1200, rate: 0.6)])),
        (name: "by-taxi", class: "staff", source: "bay", destinations: [(target: "hall")],
         arrivals: Rates([(from: 300, to: 1200, rate: 0.2)])),
    ],
    vehicles: (
        classes: [
            (name: "bus", spacing: 15, speed: 11, occupancy: Fixed(40), seats: 50),
            (name: "taxi", spacing: 7.5, speed: 13.9, occupancy: Uniform(min: 1, max: 3)),
        ],
        nodes: [(name: "U", position: (-1500, 0)), (name: "B", position: (-200, 0)), (name: "C", position: (-100, 0)),
                (name: "D", position: (-100, 30)), (name: "E", position: (-100, -800))],
        links: [
            (name: "road", from: "U", to: "B", lanes: 2, speed: 13.9),
            (name: "bay-lane", from: "B", to: "C", speed: 8),
            (name: "rank-lane", from: "B", to: "D", speed: 8),
            (name: "out", from: "C", to: "E", speed: 13.9),
            (name: "out2", from: "D", to: "C", speed: 13.9),
        ],
        destinations: [
            (name: "bus-bay", kind: DropOff, link: "bay-lane", capacity: 2, dwell: Fixed(30), place: "bay"),
            (name: "taxi-rank", kind: TaxiRank, link: "rank-lane", capacity: 4, dwell: Uniform(min: 10, max: 30), place: "bay"),
        ],
        flows: [
            (name: "shuttles", class: "bus", entry: "road", to: "bus-bay", exit: "out", carries: ["by-bus"]),
            (name: "taxis", class: "taxi", entry: "road", to: "taxi-rank", exit: "out", carries: ["by-taxi"]),
        ],
    ),
)"#;

#[test]
fn drop_offs_let_out_exactly_the_occupants_who_arrived_and_nobody_is_lost() {
    let v = common::from_text(DROP_OFFS);
    let mut sim = common::sim(&v, 7);
    let mut steps = 0;
    let r = sim.run(|w| {
        let st = w.resource::<VehicleState>();
        // the books balance every step: planned = out + turned back + detained + aboard
        assert!(st.imbalance().iter().all(|&x| x == 0), "{:?}", st.imbalance());
        // and everyone let out is in the crowd or about to be placed, group by group
        let log = w.resource::<cordon::crowd::CrowdLog>();
        let q = w.resource::<cordon::crowd::ArrivalQueue>();
        for g in 0..2 {
            assert_eq!(
                st.books.released[g],
                log.spawned_by_group[g] + u64::from(q.waiting[g]),
                "group {g} at step {steps}"
            );
        }
        steps += 1;
    });
    let vr = r.vehicles.as_ref().expect("a vehicles section");
    eprintln!("{:?}\n{:?}", vr.persons, vr.destinations);
    // everyone planned came, by bus in loads of 40 (the last one short) and by taxi in 1–3
    let spawned: Vec<u64> = r.groups.iter().map(|g| g.spawned).collect();
    let planned = &sim.world().resource::<VehicleState>().books.planned;
    assert_eq!(spawned, *planned);
    assert!(planned[0] > 400 && planned[1] > 120, "{planned:?}");
    let buses = &vr.destinations[0];
    assert_eq!(buses.released, planned[0]);
    assert_eq!(buses.arrived, planned[0].div_ceil(40));
    let taxis = &vr.destinations[1];
    assert_eq!(taxis.released, planned[1]);
    assert!(taxis.arrived * 3 >= planned[1] && taxis.arrived <= planned[1]);
    assert_eq!(vr.persons.released, vr.persons.carried);
    assert_eq!(vr.persons.aboard_at_end, 0);
    assert_eq!(r.run.ended_by, "everyone left");
    // the two bays were never over their capacity
    assert!(buses.occupancy_max <= 2 && taxis.occupancy_max <= 4);
}

/// Taxis bring visitors (half carry a knife) through a vehicle checkpoint finding it with
/// probability `p1` to a drop-off outside a pedestrian ring whose gate finds it with `p2`.
fn layered(p1: f64, p2: f64, permits: &str) -> String {
    format!(
        r#"Scenario(
    name: "layered",
    sim: (dt: 0.1, start: 0, end: 4500, seed: 4),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        sources: [(name: "bay", area: Polygon([(2, 2), (20, 2), (20, 12), (2, 12)]))],
        targets: [(name: "hall", area: Polygon([(40, 28), (55, 28), (55, 36), (40, 36)]))],
    ),
    crowd: [
        (name: "visitors", source: "bay", destinations: [(target: "hall")],
         arrivals: Rates([(from: 300, to: 2700, rate: 0.9)])),
    ],
    rings: [(name: "fence", level: Perimeter, polygon: [(5, 20), (58, 20), (58, 38), (5, 38)])],
    checkpoints: [
        (name: "gate", ring: "fence", position: (30, 20), lanes: 4, service: Fixed(2), queue: (length: 8, width: 8),
         detection: [(item: "knife", probability: {p2})]),
    ],
    threats: [(item: "knife", carriers: [(group: "visitors", fraction: 0.5)])],
    vehicles: (
        classes: [(name: "taxi", spacing: 7.5, speed: 13.9, occupancy: Fixed(1){permits})],
        nodes: [(name: "U", position: (-2000, 0)), (name: "B", position: (-300, 0)), (name: "C", position: (-100, 0)),
                (name: "E", position: (-100, -900))],
        links: [
            (name: "road", from: "U", to: "B", lanes: 2, speed: 13.9),
            (name: "inside", from: "B", to: "C", lanes: 2, speed: 8),
            (name: "out", from: "C", to: "E", lanes: 2, speed: 13.9),
        ],
        rings: [(name: "zone", area: [(-1000, -2000), (100, -2000), (100, 100), (-1000, 100)])],
        checkpoints: [(name: "permit-check", ring: "zone", link: "road", lanes: 6, inspection: Fixed(4),
                       detection: [(item: "knife", probability: {p1})], hold: Fixed(5))],
        destinations: [(name: "rank", kind: TaxiRank, link: "inside", capacity: 20, dwell: Fixed(15), place: "bay")],
        flows: [(name: "taxis", class: "taxi", entry: "road", to: "rank", exit: "out", carries: ["visitors"])],
    ),
)"#
    )
}

#[test]
fn interception_across_a_vehicle_ring_and_a_pedestrian_ring_follows_the_product_rule() {
    for (p1, p2) in [(0.5, 0.4), (0.2, 0.8)] {
        let v = common::from_text(&layered(p1, p2, ""));
        let mut sim = common::sim(&v, 11);
        let r = sim.run(|_| {});
        let vr = r.vehicles.as_ref().expect("a vehicles section");
        let item = &vr.items[0];
        let foot = &r.security.as_ref().expect("a security section").items[0];
        let carriers = item.carriers_aboard as f64;
        let caught = (item.intercepted_at_vehicle_rings + foot.intercepted) as f64;
        let rate = item.interception_rate_all_rings.expect("a rate");
        let expect = 1.0 - (1.0 - p1) * (1.0 - p2);
        let se = (expect * (1.0 - expect) / carriers).sqrt();
        eprintln!(
            "{carriers} carriers: {} caught in taxis, {} on foot, {} reached the hall; rate {rate} vs {expect} (se {se:.4})",
            item.intercepted_at_vehicle_rings, foot.intercepted, foot.undetected_reached_innermost
        );
        assert!(carriers > 800.0, "too few carriers for the test: {carriers}");
        assert_eq!(
            r.run.ended_by, "everyone left",
            "{:?}, {} vehicles left",
            vr.persons, vr.present_at_end
        );
        // every carrier is accounted for: caught at either ring or reached the hall
        assert_eq!(caught as u64 + foot.undetected_reached_innermost, item.carriers_aboard);
        assert!(
            (rate - expect).abs() < 3.0 * se,
            "rate {rate} vs 1 − (1 − p1)(1 − p2) = {expect}"
        );
        // each ring on its own
        let ring1 = item.rings[0].rate.unwrap();
        assert!(
            (ring1 - p1).abs() < 3.0 * (p1 * (1.0 - p1) / carriers).sqrt(),
            "vehicle ring {ring1}"
        );
        // the people in taxis taken aside never reached the crowd
        assert_eq!(vr.persons.detained, item.intercepted_at_vehicle_rings);
        assert_eq!(vr.persons.released + vr.persons.detained, vr.persons.carried);
    }
}

#[test]
fn a_class_without_a_permit_is_turned_back_at_the_ring() {
    let v = common::from_text(&layered(0.5, 0.4, ", permits: []"));
    let mut sim = common::sim(&v, 11);
    let r = sim.run(|_| {});
    let vr = r.vehicles.as_ref().expect("a vehicles section");
    let cp = &vr.checkpoints[0];
    eprintln!("{cp:?}\n{:?}", vr.persons);
    assert!(cp.inspected > 1000);
    assert_eq!(cp.turned_back, cp.inspected);
    assert_eq!(cp.intercepted, 0);
    assert_eq!(vr.destinations[0].arrived, 0);
    assert_eq!(vr.persons.turned_back, vr.persons.carried);
    assert_eq!(r.groups[0].spawned, 0);
    // with booths to spare nobody waits long
    assert!(cp.wait_s.p90 < 10.0, "{:?}", cp.wait_s);
}

#[test]
fn a_run_with_vehicles_is_the_same_at_any_thread_count() {
    let v = common::from_text(DROP_OFFS);
    let json = |threads: usize| {
        let mut sim = cordon::Simulation::new(
            &v,
            &cordon::SimOptions {
                seed: Some(3),
                threads,
                ..Default::default()
            },
        );
        serde_json::to_string(&sim.run(|_| {})).unwrap()
    };
    assert_eq!(json(1), json(2));
}

#[test]
fn bad_roads_are_refused_with_their_line() {
    let base = layered(0.5, 0.4, "");
    let cases: [(&str, &str, &str); 11] = [
        (
            r#"occupancy: Fixed(1)"#,
            r#"occupancy: Fixed(201)"#,
            "seats at most 200",
        ),
        (
            r#"(name: "taxi", spacing: 7.5, speed: 13.9"#,
            r#"(name: "taxi", spacing: 7.5, speed: 0.1"#,
            "speed must be 0.5–70 m/s, got 0.1",
        ),
        (
            r#"inspection: Fixed(4),"#,
            r#"inspection: Fixed(4), by_class: [(class: "taxi", time: Fixed(3)), (class: "taxi", time: Fixed(30))],"#,
            "names class \"taxi\" twice",
        ),
        (
            r#"carries: ["visitors"])"#,
            r#"carries: ["visitors"], call_after: 5)"#,
            "call_after is for a flow that collects",
        ),
        (
            r#"(name: "out", from: "C", to: "E", lanes: 2, speed: 13.9)"#,
            r#"(name: "out", from: "C", to: "X", lanes: 2, speed: 13.9)"#,
            "node \"X\" is not defined",
        ),
        (
            r#"(name: "inside", from: "B", to: "C", lanes: 2, speed: 8)"#,
            r#"(name: "inside", from: "B", to: "C", lanes: 12, speed: 8)"#,
            "lanes must be 1–8",
        ),
        (
            r#"checkpoints: [(name: "permit-check", ring: "zone", link: "road""#,
            r#"checkpoints: [(name: "permit-check", ring: "zone", link: "out""#,
            "enters vehicle ring \"zone\" without a checkpoint",
        ),
        (
            r#"place: "bay")"#,
            r#"place: "hall")"#,
            "source (place) \"hall\" is not defined",
        ),
        (
            r#"(name: "taxi", spacing: 7.5"#,
            r#"(name: "taxi", spacing: 0.5"#,
            "spacing must be 3–40 m",
        ),
        (r#"exit: "out", carries"#, r#"exit: "road", carries"#, "no road from"),
        (
            r#"(name: "C", position: (-100, 0))"#,
            r#"(name: "C", position: (-295, 0))"#,
            "length 5.0 m must be",
        ),
    ];
    for (from, to, want) in cases {
        assert!(base.contains(from), "{from}");
        let text = base.replace(from, to);
        let err = common::error_of(&text);
        eprintln!("{err}");
        assert!(err.contains(want), "wanted {want:?} in {err}");
        assert!(err.contains("t.ron:"), "no line in {err}");
    }
}

#[test]
fn the_report_page_and_csv_have_the_vehicles_with_names_escaped() {
    let text = DROP_OFFS.replace("\"bus-bay\"", "\"<b>bay</b>\"");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 7);
    let r = sim.run(|_| {});
    let page = cordon::figures::html::page(&r, 0.0, "", &[], &[]);
    assert!(page.contains("<table id=\"vehicle-destinations\">"));
    assert!(page.contains("&lt;b&gt;bay&lt;/b&gt;") && !page.contains("<b>bay</b>"));
    let csv = cordon::report::csv::timeseries(&r);
    let head = csv.lines().next().unwrap();
    assert!(head.contains("vehicles_at_taxi-rank"), "{head}");
    // the bays' occupancy rows are in the CSV as in the report
    let col = head.split(',').position(|h| h == "vehicles_at_taxi-rank").unwrap();
    let most = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(col)?.parse::<u64>().ok())
        .max();
    assert_eq!(
        most,
        r.vehicles.as_ref().unwrap().destinations[1]
            .occupancy_series
            .iter()
            .copied()
            .max()
    );
    // every field a batch can address
    let json = serde_json::to_value(&r).unwrap();
    for k in ["checkpoints", "links", "destinations", "flows", "persons", "items"] {
        assert!(json["vehicles"][k].is_array() || json["vehicles"][k].is_object(), "{k}");
    }
}

/// Leavers walk to the taxi rank's pickup; taxis are called for them (one per 1–3 waiting, or
/// after 60 s for fewer) and take them away.
const PICKUP: &str = r#"Scenario(
    name: "pickup",
    sim: (dt: 0.1, start: 0, end: 3000, seed: 2),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        sources: [(name: "hall-door", area: Polygon([(40, 28), (55, 28), (55, 36), (40, 36)]))],
        targets: [(name: "rank-exit", area: Polygon([(2, 2), (10, 2), (10, 8), (2, 8)]))],
    ),
    crowd: [
        (name: "leavers", source: "hall-door", destinations: [(target: "rank-exit")],
         arrivals: Rates([(from: 0, to: 900, rate: 0.3)])),
    ],
    vehicles: (
        classes: [(name: "taxi", spacing: 7.5, speed: 13.9, occupancy: Uniform(min: 1, max: 3))],
        nodes: [(name: "U", position: (-1500, 0)), (name: "B", position: (-200, 0)), (name: "C", position: (-100, 0)),
                (name: "E", position: (-100, -800))],
        links: [
            (name: "road", from: "U", to: "B", lanes: 2, speed: 13.9),
            (name: "rank-lane", from: "B", to: "C", speed: 8),
            (name: "out", from: "C", to: "E", speed: 13.9),
        ],
        destinations: [(name: "rank", kind: TaxiRank, link: "rank-lane", capacity: 3, dwell: Fixed(20), pickup: "rank-exit")],
        flows: [(name: "cabs", class: "taxi", entry: "road", to: "rank", exit: "out", collects: true, call_after: 60)],
    ),
)"#;

#[test]
fn taxis_called_to_a_pickup_take_every_leaver_away() {
    let v = common::from_text(PICKUP);
    let mut sim = common::sim(&v, 5);
    let r = sim.run(|w| {
        let st = w.resource::<VehicleState>();
        let b = &st.books;
        // collected = waiting + aboard + taken away, every step
        let waiting: u64 = st.destinations.iter().map(|d| d.leavers.len() as u64).sum();
        let aboard: u64 = st
            .info
            .iter()
            .filter(|v| v.stage != cordon::vehicles::Stage::Gone)
            .map(|v| u64::from(v.riders))
            .sum();
        assert_eq!(b.collected, waiting + aboard + b.taken_away);
    });
    let vr = r.vehicles.as_ref().unwrap();
    let d = &vr.destinations[0];
    eprintln!("{:?}\n{d:?}", vr.persons);
    let left = r.targets[0].exits;
    assert!(left > 200, "{left}");
    assert_eq!(vr.persons.collected, left);
    assert_eq!(vr.persons.taken_away, left);
    assert_eq!(d.picked_up, Some(left));
    // 1–3 a taxi
    assert!(
        d.arrived * 3 >= left && d.arrived <= left,
        "{} taxis for {left}",
        d.arrived
    );
    // nobody waits much longer than the call, the drive in and the wait for a bay
    let w = d.pickup_wait_s.as_ref().unwrap();
    assert!(w.max < 60.0 + 1300.0 / 13.9 + 100.0 / 8.0 + 120.0, "{w:?}");
    assert_eq!(r.run.ended_by, "everyone left");
}

#[test]
fn a_carrier_found_aboard_is_taken_off_and_the_others_ride_on() {
    // three to a taxi, every carrier found at the zone: they alone are detained
    let text = layered(1.0, 0.4, "").replace("occupancy: Fixed(1)", "occupancy: Fixed(3), seats: 3");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 11);
    let r = sim.run(|w| {
        let st = w.resource::<VehicleState>();
        assert!(st.imbalance().iter().all(|&x| x == 0));
    });
    let vr = r.vehicles.as_ref().unwrap();
    let item = &vr.items[0];
    let foot = &r.security.as_ref().unwrap().items[0];
    eprintln!(
        "{:?}; {} carriers aboard, {} taken off; taxis stopped {}",
        vr.persons, item.carriers_aboard, item.intercepted_at_vehicle_rings, vr.checkpoints[0].intercepted
    );
    assert!(item.carriers_aboard > 800);
    assert_eq!(item.intercepted_at_vehicle_rings, item.carriers_aboard);
    assert_eq!(vr.persons.detained, item.carriers_aboard);
    assert_eq!(vr.persons.released + vr.persons.detained, vr.persons.carried);
    // nobody carrying got through on foot, and the rest came
    assert_eq!(foot.carriers, 0);
    assert_eq!(r.groups[0].spawned, vr.persons.released);
    // taxis with carriers were held 5 s in the booth: the longest trip is over free flow
    // (1,700 m at 13.9 m/s, 4 s inspection, 200 m at 8 m/s) by more than that
    let f = &vr.flows[0];
    let free = 1700.0 / 13.9 + 4.0 + 200.0 / 8.0;
    assert!(f.trip_s.max >= free + 5.0, "{:?} vs free {free:.1} s", f.trip_s);
}

#[test]
fn a_vehicles_section_over_its_limits_is_refused() {
    let base = layered(0.5, 0.4, "");
    let ring = r#"(name: "zone", area: [(-1000, -2000), (100, -2000), (100, 100), (-1000, 100)])"#;
    assert!(base.contains(ring));
    let many: Vec<String> = (0..17)
        .map(|k| ring.replace("\"zone\"", &format!("\"zone{k}\"")))
        .collect();
    let text = base.replace(ring, &format!("{ring}, {}", many.join(", ")));
    let err = common::error_of(&text);
    assert!(err.contains("at most 16 rings"), "{err}");
    let flow = r#"(name: "taxis", class: "taxi", entry: "road", to: "rank", exit: "out", carries: ["visitors"])"#;
    assert!(base.contains(flow));
    let through: Vec<String> = (0..1000)
        .map(|k| format!(r#"(name: "f{k}", class: "taxi", entry: "road", exit: "out", arrivals: Every(every: 60, from: 0, to: 600))"#))
        .collect();
    let text = base.replace(flow, &format!("{flow}, {}", through.join(", ")));
    let err = common::error_of(&text);
    assert!(err.contains("at most 1000 flows"), "{err}");
}

#[test]
fn at_a_coarse_step_the_queue_and_its_waits_agree() {
    // dt 1 s (four traffic steps a step); one booth of 4 s against 0.9 taxis a second
    let text = layered(0.5, 0.4, "")
        .replace("dt: 0.1", "dt: 1.0")
        .replace("lanes: 6, inspection: Fixed(4)", "lanes: 1, inspection: Fixed(4)");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 11);
    let r = sim.run_to(1800.0, |_| {});
    assert!(r.is_none());
    let r = sim.report("test");
    let vr = r.vehicles.as_ref().unwrap();
    let cp = &vr.checkpoints[0];
    let road = vr.links.iter().find(|l| l.name == "road").unwrap();
    eprintln!("{cp:?}\n{road:?}");
    // a long wait means a long queue, on the road up to its length, the rest waiting to enter
    assert!(cp.wait_s.mean > 60.0 && cp.queue_max_vehicles > 100, "{cp:?}");
    let d = 7.5 / 2.0;
    assert!(cp.queue_max_m >= (cp.queue_max_vehicles - 1) as f64 * d && cp.queue_max_m <= 1700.0 + 1e-6);
    assert!(cp.queued_at_end > 0);
    assert!(vr.flows[0].waiting_to_enter_at_end > 0);
    // every vehicle through the booth left the road at its end
    assert_eq!(road.vehicles, cp.inspected);
}

/// An empty 100 × 100 m square; a road from the station S (500 m west) to A, 20 m west of the
/// square's edge, and back; an ambulance at S (`drive` its text) and, when `patrol` is given, a
/// foot patrol there on the square (1.5 m/s on a call); medical incidents at (40, 50) at `at`.
fn ambulance(drive: &str, patrol: Option<&str>, at: &str) -> String {
    let walker = patrol.map_or(String::new(), |p| {
        format!(r#"(name: "walker", kind: FootPatrol, speed: 1.2, emergency_speed: 1.5, handles: ["medical"], deployment: Post(({p})), sight: 0),"#)
    });
    format!(
        r#"Scenario(
    name: "ambulance",
    sim: (dt: 0.05, start: "10:00", end: "10:08", stop_when_empty: false),
    venue: (bounds: (min: (0, 0), max: (100, 100))),
    responders: [
        (name: "amb", kind: Vehicle, speed: 10, emergency_speed: 20, handles: ["medical"], deployment: Post((-505, 52)), drive: {drive}),
        {walker}
    ],
    incidents: [(kind: "medical", rate: At([{at}]), location: Hotspots([(40, 50)]), on_scene: Fixed(10))],
    vehicles: (
        classes: [(name: "car", spacing: 7.5, speed: 13.9)],
        nodes: [(name: "S", position: (-500, 50)), (name: "A", position: (-20, 50))],
        links: [
            (name: "in", from: "S", to: "A", lanes: 1, speed: 15),
            (name: "out", from: "A", to: "S", lanes: 1, speed: 15),
        ],
    ),
)"#
    )
}

fn responses(text: &str) -> Vec<f64> {
    let v = common::from_text(text);
    let r = common::sim(&v, 1).run(|_| {});
    let resp = r.response.as_ref().unwrap_or_else(|| panic!("no response section"));
    resp.incidents
        .iter()
        .map(|i| i.response_s.unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn an_ambulance_drives_the_road_stops_and_its_crew_walk_on() {
    // 480 m at the link's 15 m/s (under its own 20), 20 s to stop and get out, then on foot at
    // 1.5 m/s: 21 m to the kerb (1, 50), the nearest free point on the 1 m lattice, and 39 m on
    let got = responses(&ambulance("(on_foot: 1.5, park: 20)", None, r#""10:00:10""#))[0];
    let expect = 480.0 / 15.0 + 20.0 + 21.0 / 1.5 + 39.0 / 1.5;
    eprintln!("by road and on foot: {got:.2} s, expected {expect:.2} s");
    assert!((got - expect).abs() < 0.5, "{got} vs {expect}");
    // where the plan lets it drive on over the walkable area (5 m/s), no stop
    let got = responses(&ambulance("(off_road: 5)", None, r#""10:00:10""#))[0];
    let expect = 480.0 / 15.0 + 60.0 / 5.0;
    eprintln!("by road and driving on: {got:.2} s, expected {expect:.2} s");
    assert!((got - expect).abs() < 0.5, "{got} vs {expect}");
    // a walker 40 m off (26.7 s) is sent before the ambulance (92 s), one 76.7 m off (51.1 s)
    // before the ambulance driving on (44 s) is not
    let near = responses(&ambulance("(on_foot: 1.5, park: 20)", Some("40, 90"), r#""10:00:10""#))[0];
    eprintln!("walker 40 m off: {near:.2} s");
    assert!((near - 40.0 / 1.5).abs() < 0.5, "{near}");
    let far = responses(&ambulance("(off_road: 5)", Some("99, 99"), r#""10:00:10""#))[0];
    eprintln!("walker 76.7 m off, ambulance driving on: {far:.2} s");
    assert!((far - expect).abs() < 0.5, "{far}");
}

#[test]
fn an_ambulance_comes_back_to_its_station_before_its_next_call() {
    use cordon::responders::{Task, Unit};
    // two calls 10 s apart, the ambulance the only unit
    let text = ambulance("(on_foot: 1.5, park: 20)", None, r#""10:00:10", "10:00:20""#);
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let mut back_at = None;
    let mut left_station = false;
    sim.run_to(480.0, |w| {
        let t = w.resource::<cordon::schedule::SimClock>().t();
        let mut q = w.try_query::<(&Unit, &cordon::crowd::Position, &Task)>().unwrap();
        for (u, p, task) in q.iter(w) {
            if u.group == 0 {
                let home = p.0.distance(bevy::math::Vec2::new(-500.0, 50.0)) < 1e-3;
                left_station |= !home;
                // back, and at once free (sent again in the same step)
                if left_station && home && back_at.is_none() {
                    assert!(!matches!(task, Task::Returning), "home but not free");
                    back_at = Some(t);
                }
                if !home && back_at.is_none() {
                    assert!(!matches!(task, Task::Patrol { .. }), "free before it is home");
                }
            }
        }
    });
    // out 92 s, 10 s on scene, back 60 m on foot (40 s) and 480 m by road (32 s)
    let trip = 92.0 + 10.0 + 40.0 + 32.0;
    let back = back_at.unwrap_or(f64::NAN);
    eprintln!("back at the station at {back:.2} s, expected {:.2} s", 10.0 + trip);
    assert!((back - (10.0 + trip)).abs() < 1.0, "{back}");
    // the second call waits for it: sent when it is back, 92 s on
    let r = sim.report("end");
    let second = r
        .response
        .as_ref()
        .map(|x| x.incidents[1].response_s.unwrap_or(f64::NAN));
    let expect = 10.0 + trip - 20.0 + 92.0;
    eprintln!("second call answered after {second:?} s, expected {expect:.2}");
    assert!(second.is_some_and(|s| (s - expect).abs() < 1.0), "{second:?}");
}

#[test]
fn units_that_drive_are_checked_with_their_line() {
    let bad = [
        ("(on_foot: 1e-40)", "drive.on_foot must be 0.1 to 10 m/s"),
        ("(park: -1)", "drive.park must be 0 to 3600 s"),
        ("(off_road: 99)", "drive.off_road must be 0.1 to 50 m/s"),
    ];
    for (drive, want) in bad {
        let text = ambulance(drive, None, r#""10:00:10""#);
        let err = common::error_of(&text);
        eprintln!("{err}");
        assert!(err.contains(want) && err.contains(":6:"), "{err}");
    }
    let far = ambulance("()", None, r#""10:00:10""#).replace("Post((-505, 52))", "Post((-300, 50))");
    let err = common::error_of(&far);
    assert!(err.contains("200.0 m from the nearest road node (\"S\")"), "{err}");
    let walker = ambulance("()", None, r#""10:00:10""#).replace("kind: Vehicle", "kind: Medical");
    assert!(common::error_of(&walker).contains("drive is for units of kind Vehicle"));
    let no_roads = ambulance("()", None, r#""10:00:10""#);
    let cut = no_roads.find("    vehicles:").unwrap_or(0);
    let no_roads = format!("{})", &no_roads[..cut]);
    assert!(
        common::error_of(&no_roads).contains("drive needs roads"),
        "{}",
        common::error_of(&no_roads)
    );
}

#[test]
fn coverage_counts_an_ambulance_from_the_kerbs_it_can_drive_to() {
    use cordon::responders::coverage::Coverage;
    let text = ambulance("(on_foot: 1.5, park: 20)", None, r#""10:07:00""#);
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    sim.run_to(20.0, |_| {});
    let cov = sim.world().resource::<Coverage>();
    // drive 32 s, get out 20 s, walk 21 m to the kerb (1, 50), then on foot at 1.5 m/s
    for (p, expect) in [((1.0, 50.0), 66.0), ((40.0, 50.0), 92.0), ((1.0, 80.0), 86.0)] {
        let got = f64::from(cov.time_at(bevy::math::Vec2::new(p.0, p.1)));
        eprintln!("coverage at {p:?}: {got:.1} s, expected {expect:.1} s");
        assert!((got - expect).abs() < 2.0, "{p:?}: {got} vs {expect}");
    }
}

/// A road U → W (1,000 m), then either `main` W → E (1,000 m) or the detour W → N → E
/// (2 × 707 m), then `down` E → X (1,000 m); a car enters every 20 s from 0 to 1,200 s; the
/// timeline's text `timeline`.
fn closures(timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "closures",
    sim: (dt: 0.25, start: 0, end: 2400, seed: 1, stop_when_empty: false),
    venue: (bounds: (min: (0, 0), max: (60, 40))),
    vehicles: (
        classes: [(name: "car", spacing: 7.5, speed: 13.9)],
        nodes: [(name: "U", position: (-3000, 0)), (name: "W", position: (-2000, 0)), (name: "E", position: (-1000, 0)),
                (name: "N", position: (-1500, 500)), (name: "X", position: (0, 0))],
        links: [
            (name: "up", from: "U", to: "W", lanes: 1, speed: 13.9),
            (name: "main", from: "W", to: "E", lanes: 1, speed: 13.9),
            (name: "alt1", from: "W", to: "N", lanes: 1, speed: 13.9),
            (name: "alt2", from: "N", to: "E", lanes: 1, speed: 13.9),
            (name: "down", from: "E", to: "X", lanes: 1, speed: 13.9),
        ],
        flows: [(name: "cars", class: "car", entry: "up", exit: "down", arrivals: Every(every: 20, from: 0, to: 1200))],
    ),
    timeline: [{timeline}],
)"#
    )
}

#[test]
fn a_road_closed_by_the_timeline_is_driven_round_and_taken_again_when_it_opens() {
    let v = common::from_text(&closures(r#"(at: 300, do: CloseRoad(link: "main"), for: 600)"#));
    let mut sim = common::sim(&v, 1);
    let mut entered_main_while_closed = 0;
    let mut on_main: Vec<u32> = Vec::new();
    sim.run_to(2400.0, |w| {
        let st = w.resource::<VehicleState>();
        let t = st.traffic.now();
        let now: Vec<u32> = st.traffic.queues[1].iter().copied().collect();
        if t > 300.0 && t < 900.0 {
            entered_main_while_closed += now.iter().filter(|c| !on_main.contains(c)).count();
        }
        on_main = now;
    });
    let st = sim.world().resource::<VehicleState>();
    let fl = &st.flows[0];
    // free-flow trips: 3,000 m on main, 3,414 m round the detour, at 13.9 m/s
    let (short, long) = (3000.0 / 13.9, (2000.0 + 2.0 * 500.0 * 2f64.sqrt()) / 13.9);
    let n_long = fl.trip_s.iter().filter(|&&t| (t - long).abs() < 1.0).count();
    let n_short = fl.trip_s.iter().filter(|&&t| (t - short).abs() < 1.0).count();
    eprintln!(
        "{} cars: {n_short} by main ({short:.1} s), {n_long} round ({long:.1} s); {entered_main_while_closed} entered main while closed",
        fl.trip_s.len()
    );
    assert_eq!(entered_main_while_closed, 0);
    assert_eq!(n_short + n_long, fl.trip_s.len(), "{:?}", fl.trip_s);
    // those not yet at W when it closed (entered after 228 s) and there before it opened (by
    // 828 s): every 20 s from 240 to 820
    assert_eq!(n_long, 30);
    assert_eq!(fl.left, fl.planned);
}

#[test]
fn with_no_open_way_vehicles_are_held_before_a_closed_road_and_go_on_when_it_opens() {
    let v = common::from_text(&closures(r#"(at: 300, do: CloseRoad(link: "down"), for: 300)"#));
    let mut sim = common::sim(&v, 1);
    let mut entered_down_while_closed = 0;
    let mut on_down: Vec<u32> = Vec::new();
    let mut most_held = 0;
    sim.run_to(2400.0, |w| {
        let st = w.resource::<VehicleState>();
        let t = st.traffic.now();
        let now: Vec<u32> = st.traffic.queues[4].iter().copied().collect();
        if t > 300.0 && t < 600.0 {
            entered_down_while_closed += now.iter().filter(|c| !on_down.contains(c)).count();
        }
        most_held = most_held.max(st.traffic.queues[1].len());
        on_down = now;
        assert!(st.imbalance().iter().all(|&x| x == 0));
    });
    let st = sim.world().resource::<VehicleState>();
    eprintln!(
        "held before the closure: up to {most_held}; {} with no open way; {} of {} left",
        st.rerouted.1, st.flows[0].left, st.flows[0].planned
    );
    assert_eq!(entered_down_while_closed, 0);
    // at its most, when it opens, main holds every car past W (71.9 s after entering) that had
    // not reached E (143.9 s) when it closed: those that entered from 160 to 520 s, 19
    assert_eq!(most_held, 19);
    assert!(st.rerouted.1 > 0);
    assert_eq!(st.flows[0].left, st.flows[0].planned);
}

#[test]
fn a_road_the_timeline_names_must_exist() {
    let err = common::error_of(&closures(r#"(at: 300, do: CloseRoad(link: "mian"), for: 600)"#));
    eprintln!("{err}");
    assert!(
        err.contains("road link \"mian\" is not defined") && err.contains(":18:"),
        "{err}"
    );
}

#[test]
fn the_vehicle_series_rows_are_the_crowds_rows() {
    // a queue growing at a closed checkpoint; series every 50 s at dt 0.3 s (round(50/0.3) = 167
    // steps = 50.1 s): each row's vehicle queue is the queue at the end of that row's step
    let text = queue_run("Fixed(6)", ", open: 100000", 600.0)
        .replace("sim: (dt: 0.25,", "metrics: (series_interval: 50),\n    sim: (dt: 0.3,");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let mut at: Vec<(f64, u32)> = Vec::new();
    sim.run_to(600.0, |w| {
        // the clock has moved on to the next step: its start is the end of this one
        let t = w.resource::<cordon::schedule::SimClock>().t();
        at.push((t, w.resource::<VehicleState>().queue_of(0).0));
    });
    let r = sim.report("end");
    let vq = &r
        .vehicles
        .as_ref()
        .map(|v| v.checkpoints[0].queue_series.clone())
        .unwrap_or_default();
    assert!(
        r.series.len() >= 10 && vq.len() + 1 >= r.series.len(),
        "{} rows, {} samples",
        r.series.len(),
        vq.len()
    );
    for (row, &q) in r.series.iter().zip(vq) {
        let seen = at.iter().find(|(t, _)| (t - row.t).abs() < 1e-6).map(|x| x.1);
        assert_eq!(seen, Some(q as u32), "row at {} s", row.t);
    }
    assert!(vq.iter().any(|&q| q > 10), "{vq:?}");
}

#[test]
fn two_timed_changes_of_one_road_must_not_overlap() {
    let err = common::error_of(&closures(
        r#"(at: 300, do: CloseRoad(link: "main"), for: 600), (at: 400, do: CloseRoad(link: "main"), for: 60)"#,
    ));
    eprintln!("{err}");
    assert!(
        err.contains("timeline entries 1 and 2 overlap on road \"main\""),
        "{err}"
    );
    // one after the other is fine
    let ok = common::error_of(&closures(
        r#"(at: 300, do: CloseRoad(link: "main"), for: 60), (at: 400, do: CloseRoad(link: "main"), for: 60)"#,
    ));
    assert!(ok.is_empty(), "{ok}");
}

/// A road running north–south through the venue (its carriageway x 26–34 an obstacle but for
/// the crossing at y 18–22) with the crossing "zebra-c" at node C (30, 20); walkers come from
/// the west at `rate` a second and cross to the east; cars `cars` (a flow's arrivals) drive N →
/// C → S, one lane. `signal` is the crossing's `signal:` text (empty: a zebra).
fn crossing(end: f64, rate: f64, cars: &str, signal: &str) -> String {
    format!(
        r#"Scenario(
    name: "crossing",
    sim: (dt: 0.1, start: 0, end: {end}, seed: 7, stop_when_empty: false),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        obstacles: [(name: Some("road-north"), polygon: [(26, 22), (34, 22), (34, 40), (26, 40)]),
                    (name: Some("road-south"), polygon: [(26, 0), (34, 0), (34, 18), (26, 18)])],
        sources: [(name: "west", area: Polygon([(2, 14), (8, 14), (8, 26), (2, 26)]))],
        targets: [(name: "east", area: Polygon([(52, 14), (58, 14), (58, 26), (52, 26)]))],
    ),
    crowd: [(name: "walkers", source: "west", destinations: [(target: "east")],
             arrivals: Rates([(from: 0, to: {end}, rate: {rate})]))],
    vehicles: (
        classes: [(name: "car", spacing: 7.5, speed: 13.9)],
        nodes: [(name: "N", position: (30, 1000)), (name: "C", position: (30, 20)), (name: "S", position: (30, -1000))],
        links: [(name: "in", from: "N", to: "C", lanes: 1, speed: 13.9),
                (name: "out", from: "C", to: "S", lanes: 1, speed: 13.9)],
        flows: [(name: "cars", class: "car", entry: "in", exit: "out", arrivals: {cars})],
        crossings: [(name: "zebra-c", node: "C", from: (26, 20), to: (34, 20), width: 4{signal})],
    ),
)"#
    )
}

/// Cars of [`crossing`]'s road that went over the stop line before the crossing (on `in`, or
/// already on `out`) since the last call; `past` holds those over it at the last call (vehicle
/// slots are reused once a car has left the roads).
fn over_the_line(st: &VehicleState, past: &mut Vec<u32>) -> u64 {
    let tr = &st.traffic;
    let line = tr.links[0].length - tr.links[0].stop_back;
    assert!(
        tr.links[0].stop_back > 2.9 && tr.links[0].stop_back < 3.3,
        "{}",
        tr.links[0].stop_back
    );
    let over = tr.queues[0].iter().filter(|&&c| tr.cars[c as usize].x > line + 1e-9);
    let mut now: Vec<u32> = over.chain(tr.queues[1].iter()).copied().collect();
    now.sort_unstable();
    let n = now.iter().filter(|c| past.binary_search(c).is_err()).count() as u64;
    *past = now;
    n
}

/// Newell's capacity of one lane of cars (d 7.5 m, v 13.9 m/s, w 5.4 m/s), vehicles a second.
fn lane_capacity() -> f64 {
    1.0 / (7.5 / 5.4 + 7.5 / 13.9)
}

#[test]
fn a_signalled_crossing_passes_vehicles_at_capacity_times_their_green_and_walkers_wait_as_theory_says() {
    // cycle 60 s: walk 20, clearance 8 (8 m at 1.2 m/s is 6.7 s), vehicles 32
    let (c, g, clear) = (60.0, 20.0, 8.0);
    let end = 7200.0;
    let text = crossing(
        end,
        0.1,
        "Every(every: 1, from: 0, to: 7200)",
        &format!(", signal: Some((cycle: {c}, walk: {g}, clear: {clear}))"),
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    // cars over the stop line between 1,200 s and 6,600 s (90 whole cycles), with the queue
    // standing on `in` all the time
    let (mut n, mut n0, mut n1) = (0, None, None);
    let mut passed_on_red = 0;
    let mut past = Vec::new();
    sim.run_to(end, |w| {
        let st = w.resource::<VehicleState>();
        let t = st.traffic.now();
        let crossed = over_the_line(st, &mut past);
        // the traffic step that just ran began at t − its step, on that moment's light
        let s0 = (t - st.traffic.dt).rem_euclid(c);
        if s0 < g + clear - 1e-6 {
            passed_on_red += crossed;
        }
        n += crossed;
        if n0.is_none() && t >= 1200.0 - 1e-6 {
            n0 = Some(n);
        }
        if n1.is_none() && t >= 6600.0 - 1e-6 {
            n1 = Some(n);
        }
    });
    let passed = (n1.unwrap() - n0.unwrap()) as f64;
    // Newell's discharge: the front car goes at the green (no start-up loss in this model), then
    // one a capacity headway later each: floor(green × capacity) + 1 a cycle
    let expected = 90.0 * ((c - g - clear) * lane_capacity()).floor() + 90.0;
    let w = sim.world();
    let st = w.resource::<VehicleState>();
    let rep = cordon::vehicles::report::build(w, end, None).unwrap();
    let x = &rep.crossings[0];
    // walkers arriving at random: a share (c − g)/c of them wait a uniform (0, c − g): the mean is
    // (c − g)² / (2c); and they walk the 2 m kerb band, about 1.5 s
    let theory = (c - g).powi(2) / (2.0 * c) + 2.0 / 1.34;
    eprintln!(
        "cars past: {passed} in 5,400 s, expected {expected:.1}; {passed_on_red} on red; walkers crossed {}, kerb wait mean {:.2} s (theory {theory:.2}), p90 {:.1}, most at the kerb {}; vehicle share {}; caught {} walker-s",
        x.crossed,
        x.kerb_wait_s.mean,
        x.kerb_wait_s.p90,
        x.kerb_max_walkers,
        x.vehicle_share,
        x.caught_on_carriageway_s
    );
    assert_eq!(passed_on_red, 0);
    assert!((passed - expected).abs() <= 2.0, "{passed} vs {expected}");
    assert!(st.traffic.queues[0].len() > 20, "the approach stayed saturated");
    assert!(
        (x.vehicle_share - (c - g - clear) / c).abs() < 0.002,
        "{}",
        x.vehicle_share
    );
    assert!(x.crossed > 600, "{}", x.crossed);
    assert!(
        (x.kerb_wait_s.mean / theory - 1.0).abs() < 0.1,
        "{} vs {theory}",
        x.kerb_wait_s.mean
    );
    // the clearance lets those who stepped on late walk off before the cars go
    assert!(
        x.caught_on_carriageway_s < 0.002 * x.crossed as f64 * 6.0,
        "{}",
        x.caught_on_carriageway_s
    );
}

#[test]
fn at_a_zebra_vehicles_pass_only_when_nobody_is_on_it_and_get_the_empty_share_of_the_time() {
    let end = 7200.0;
    let dt = 0.1;
    let text = crossing(end, 0.1, "Every(every: 1, from: 0, to: 7200)", "");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    // on it or within 2 m of it (at its kerb): the drivers give way
    let on = |p: bevy::math::Vec2| (24.0..=36.0).contains(&p.x) && (16.0..=24.0).contains(&p.y);
    let mut was_on = 0usize;
    let mut passed_with_walkers = 0;
    let (mut past, mut passed) = (Vec::new(), 0);
    let mut walker_steps = 0usize;
    // green windows (steps nobody was on it at their start) and the cars expected in each
    let (mut window, mut expected) = (0usize, 0.0);
    let q = lane_capacity();
    sim.run_to(end, |w| {
        let st = w.resource::<VehicleState>();
        let crossed = over_the_line(st, &mut past);
        if was_on > 0 {
            passed_with_walkers += crossed;
        }
        passed += crossed;
        if was_on == 0 {
            window += 1;
        } else if window > 0 {
            expected += (window as f64 * dt * q).floor() + 1.0;
            window = 0;
        }
        was_on = common::positions(w).iter().filter(|(_, p)| on(*p)).count();
        walker_steps += was_on;
    });
    expected += if window > 0 {
        (window as f64 * dt * q).floor() + 1.0
    } else {
        0.0
    };
    let w = sim.world();
    let st = w.resource::<VehicleState>();
    let rep = cordon::vehicles::report::build(w, end, None).unwrap();
    let x = &rep.crossings[0];
    // M/G/∞: walkers arriving at random (rate λ), each on the crossing or at its kerb E[S]
    // seconds: nobody there a share exp(−λ E[S]) of the time
    let lambda = x.crossed as f64 / end;
    let mean_on = walker_steps as f64 * dt / x.crossed as f64;
    let p0 = (-lambda * mean_on).exp();
    let passed = passed as f64;
    eprintln!(
        "zebra: {} walkers crossed, {mean_on:.2} s each on it; vehicle share {} vs exp(-λS) {p0:.4}; cars {passed} vs {expected} by the green windows; {passed_with_walkers} passed with walkers on it; kerb wait p90 {}",
        x.crossed, x.vehicle_share, x.kerb_wait_s.p90
    );
    assert_eq!(x.control, "zebra");
    assert_eq!(passed_with_walkers, 0);
    assert!((x.vehicle_share - p0).abs() < 0.03, "{} vs {p0}", x.vehicle_share);
    assert!((passed / expected - 1.0).abs() < 0.03, "{passed} vs {expected}");
    // walkers have the way: they do not wait at the kerb beyond walking its 2 m band
    assert!(x.kerb_wait_s.p90 < 2.5, "{:?}", x.kerb_wait_s);
    assert_eq!(x.caught_on_carriageway_s, 0.0);
}

#[test]
fn bad_crossings_are_refused_with_their_line() {
    let good = crossing(600.0, 0.1, "Every(every: 10, from: 0, to: 600)", "");
    assert_eq!(common::error_of(&good), "");
    for (from, to, want) in [
        ("node: \"C\"", "node: \"X\"", "road node \"X\" is not defined"),
        ("node: \"C\"", "node: \"N\"", "must lie on the crossing"),
        ("to: (34, 20)", "to: (34, 80)", "inside the venue's bounds"),
        ("width: 4", "width: 0.2", "width must be 1–50 m"),
        (
            "width: 4",
            "width: 4, signal: Some((cycle: 60, walk: 50, clear: 10))",
            "the vehicles' phase (cycle − walk − clear) ≥ 1 s",
        ),
        (
            "width: 4",
            "width: 4, signal: Some((cycle: 5, walk: 2))",
            "cycle 10–600 s",
        ),
        (
            "width: 4",
            "width: 4, signal: Some((cycle: 60, walk: 20, clear: -1))",
            "clear ≥ 0",
        ),
        ("node: \"C\"", "node: \"S\"", "must lie on the crossing"),
        (
            "width: 4",
            "width: 4, signal: Some((cycle: 60, walk: 0.05))",
            "walk ≥ 1 s",
        ),
        (
            "width: 4",
            "width: 4, signal: Some((cycle: 60, walk: 20, offset: 1e300))",
            "offset 1.000e300",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        let e = common::error_of(&good.replacen(from, to, 1));
        eprintln!("{e}");
        assert!(e.contains(want), "{want}: {e}");
        assert!(e.contains("t.ron:"), "{e}");
    }
    // a crossing at the node where vehicles leave the roads: they would not stop there
    let at_exit = good
        .replace(r#"(name: "S", position: (30, -1000))"#, r#"(name: "S", position: (30, -1000)), (name: "D", position: (30, 21))"#)
        .replace(r#"(name: "out", from: "C", to: "S", lanes: 1, speed: 13.9)"#, r#"(name: "out", from: "C", to: "S", lanes: 1, speed: 13.9), (name: "last", from: "S", to: "D", lanes: 1, speed: 13.9)"#)
        .replace(r#"exit: "out""#, r#"exit: "last""#)
        .replace(r#"node: "C""#, r#"node: "D""#);
    let e = common::error_of(&at_exit);
    assert!(e.contains("vehicles leave the roads at road node \"D\""), "{e}");
    let twice = good.replace(
        "crossings: [(name: \"zebra-c\", node: \"C\", from: (26, 20), to: (34, 20), width: 4)]",
        "crossings: [(name: \"zebra-c\", node: \"C\", from: (26, 20), to: (34, 20), width: 4), (name: \"zebra-c\", node: \"C\", from: (26, 20), to: (34, 20))]",
    );
    let e = common::error_of(&twice);
    assert!(
        e.contains("defined twice") && e.contains("has a crossing already"),
        "{e}"
    );
    // two crossings over each other
    let over = good
        .replace(r#"(name: "S", position: (30, -1000))"#, r#"(name: "S", position: (30, -1000)), (name: "D", position: (30, 10))"#)
        .replace(r#"(name: "out", from: "C", to: "S", lanes: 1, speed: 13.9)"#, r#"(name: "mid", from: "C", to: "D", lanes: 1, speed: 13.9), (name: "out", from: "D", to: "S", lanes: 1, speed: 13.9)"#)
        .replace(
            r#"width: 4)]"#,
            r#"width: 4), (name: "second", node: "D", from: (26, 10), to: (34, 10), width: 20)]"#,
        );
    let e = common::error_of(&over);
    assert!(
        e.contains("crossing \"second\": it overlaps crossing \"zebra-c\""),
        "{e}"
    );
    // the second 4 m wide: no overlap
    let apart = over.replace("(34, 10), width: 20)", "(34, 10), width: 4)");
    assert_eq!(common::error_of(&apart), "");
}

#[test]
fn a_road_closed_to_traffic_is_walked_on_and_its_crossing_goes_dark() {
    // the carriageway beside the crossing is two zones, shut to walkers until the road closes
    // to traffic at 1,800 s (both links, so the crossing's node sees no vehicle)
    let text = crossing(
        3600.0,
        0.1,
        "Every(every: 4, from: 0, to: 3600)",
        ", signal: Some((cycle: 60, walk: 20, clear: 8))",
    )
    .replace(
        r#"obstacles: [(name: Some("road-north"), polygon: [(26, 22), (34, 22), (34, 40), (26, 40)]),
                    (name: Some("road-south"), polygon: [(26, 0), (34, 0), (34, 18), (26, 18)])],"#,
        r#"zones: [(name: "road-north", polygon: [(26, 22), (34, 22), (34, 40), (26, 40)]),
                (name: "road-south", polygon: [(26, 0), (34, 0), (34, 18), (26, 18)])],"#,
    )
    .replace(
        "    ),\n)",
        r#"    ),
    timeline: [
        (at: 0, for: 1800, do: CloseZone(zone: "road-north")),
        (at: 0, for: 1800, do: CloseZone(zone: "road-south")),
        (at: 1800, do: CloseRoad(link: "in")),
        (at: 1800, do: CloseRoad(link: "out")),
    ],
)"#,
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let beside = |p: bevy::math::Vec2| (26.5..=33.5).contains(&p.x) && !(17.5..=22.5).contains(&p.y);
    let (mut beside_before, mut beside_after) = (0, 0);
    let mut waits_before = 0;
    sim.run_to(3600.0, |w| {
        let t = w.resource::<VehicleState>().traffic.now();
        let n = common::positions(w).iter().filter(|(_, p)| beside(*p)).count();
        if t < 1800.0 {
            beside_before += n;
            waits_before = w.resource::<VehicleState>().crossings[0].kerb_s.len();
        } else if t > 1900.0 {
            beside_after += n;
        }
    });
    let st = sim.world().resource::<VehicleState>();
    let log = &st.crossings[0];
    let after: Vec<f64> = log.kerb_s[waits_before..].to_vec();
    let before_mean = log.kerb_s[..waits_before].iter().sum::<f64>() / waits_before as f64;
    let late = after.iter().filter(|&&w| w > 4.0).count();
    eprintln!(
        "walker-steps beside the crossing: {beside_before} before, {beside_after} after; kerb waits before mean {before_mean:.1} s ({waits_before}), after: {} of which {late} over 4 s",
        after.len()
    );
    assert_eq!(
        beside_before, 0,
        "nobody walks the carriageway while it is open to traffic"
    );
    assert!(beside_after > 1000, "the crowd spreads over the closed road");
    assert!(before_mean > 8.0);
    // a few crossing at 1,800 s were still waiting then; after that nobody waits
    assert!(late <= 3, "{after:?}");
}

#[test]
fn the_report_page_has_the_crossings_with_names_escaped_and_batch_their_worst_kerb_wait() {
    let text = crossing(
        900.0,
        0.1,
        "Every(every: 5, from: 0, to: 900)",
        ", signal: Some((cycle: 60, walk: 20, clear: 8))",
    )
    .replace("\"zebra-c\"", "\"<i>c</i>\"");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let r = sim.run(|_| {});
    let page = cordon::figures::html::page(&r, 0.0, "", &[], &[]);
    assert!(page.contains("<table id=\"crossings\">"));
    assert!(page.contains("&lt;i&gt;c&lt;/i&gt;") && !page.contains("<i>c</i>"));
    let x = &r.vehicles.as_ref().unwrap().crossings[0];
    assert_eq!(x.control, "signal");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["vehicles"]["crossings"][0]["kerb_wait_s"]["p90"],
        x.kerb_wait_s.p90
    );
    let k = cordon::batch::METRICS
        .iter()
        .position(|m| *m == "crossing_kerb_wait_p90_worst_s")
        .unwrap();
    assert_eq!(cordon::batch::headline(&r)[k], Some(x.kerb_wait_s.p90));
    assert!(x.kerb_wait_s.p90 > 10.0, "{:?}", x.kerb_wait_s);
}

#[test]
fn booths_opened_and_closed_by_the_timeline_set_the_checkpoints_capacity() {
    // four booths of 6 s, a car every 4 s from 0 to 3,000 s; only one booth open 600–1,800 s:
    // 1/6 a second inspected then, the queue growing at 1/4 − 1/6 a second
    let text = roads(
        3000.0,
        1,
        400.0,
        4,
        "Fixed(6)",
        "",
        r#"(name: "cars", class: "car", entry: "up", exit: "inner", arrivals: Every(every: 4, from: 0, to: 3000))"#,
    )
    .replace(
        "    ),\n)",
        "    ),\n    timeline: [(at: 600, for: 1200, do: Booths(checkpoint: \"gate\", open: 1))],\n)",
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let mut at = Vec::new();
    sim.run_to(3000.0, |w| {
        let st = w.resource::<VehicleState>();
        let t = st.traffic.now();
        for k in [700.0, 1700.0, 1810.0, 2400.0] {
            if at.len() < 4 && (t - k).abs() < 1e-6 {
                at.push((st.checkpoints[0].inspected, st.queue_of(0).0, st.open_booths[0]));
            }
        }
    });
    eprintln!("(inspected, queued, open) at 700, 1,700, 1,810 and 2,400 s: {at:?}");
    assert_eq!(at.len(), 4);
    assert_eq!((at[0].2, at[1].2, at[2].2, at[3].2), (1, 1, 4, 4));
    // one booth (the wave speed is W): one car every 6 s
    let one = at[1].0 - at[0].0;
    assert!((one as f64 - 1000.0 / 6.0).abs() <= 1.0, "{one}");
    // the queue's tail ran back at the shock speed u = (λ − μ)/(k_j − μ/w − λ/v) into traffic
    // at the discharge density k_j − μ/w: u (k_j − μ/w) more cars a second
    let (lambda, mu, kj) = (0.25, 1.0 / 6.0, 1.0 / D);
    let rate = (lambda - mu) * (kj - mu / W) / (kj - mu / W - lambda / V);
    let grew = f64::from(at[1].1) - f64::from(at[0].1);
    assert!((grew - 1000.0 * rate).abs() <= 3.0, "{grew} vs {}", 1000.0 * rate);
    // four again (the lane's capacity, 0.52 a second, is then the limit): by 2,400 s the backlog
    // is gone, every car that could have reached the booths (entered 2,400 m / v before) was
    // inspected
    let reached = ((2400.0 - 2400.0 / V) / 4.0).floor() + 1.0;
    assert!((at[3].0 as f64 - reached).abs() <= 2.0, "{} vs {reached}", at[3].0);
    let e = common::error_of(&text.replace("open: 1)", "open: 5)"));
    assert!(
        e.contains("has 4 booths; it cannot open 5") && e.contains("t.ron:"),
        "{e}"
    );
    let e = common::error_of(&text.replace("Booths(checkpoint: \"gate\"", "Booths(checkpoint: \"gat\""));
    assert!(e.contains("vehicle checkpoint \"gat\" is not defined"), "{e}");
    let twice = text.replace(
        "(at: 600, for: 1200, do: Booths(checkpoint: \"gate\", open: 1))",
        "(at: 600, for: 1200, do: Booths(checkpoint: \"gate\", open: 1)), (at: 900, do: Booths(checkpoint: \"gate\", open: 2))",
    );
    assert!(
        common::error_of(&twice).contains("its booths"),
        "{}",
        common::error_of(&twice)
    );
    // back to back: the first's end and the second's start at one instant leave the second in
    // force, and its own end restores the four
    let back = text.replace(
        "(at: 600, for: 1200, do: Booths(checkpoint: \"gate\", open: 1))",
        "(at: 600, for: 1200, do: Booths(checkpoint: \"gate\", open: 1)), (at: 1800, for: 300, do: Booths(checkpoint: \"gate\", open: 2))",
    );
    let v = common::from_text(&back);
    let mut sim = common::sim(&v, 1);
    let mut open = Vec::new();
    sim.run_to(2400.0, |w| {
        let st = w.resource::<VehicleState>();
        let t = st.traffic.now();
        if [1000.0, 1900.0, 2200.0].iter().any(|k| (t - k).abs() < 1e-6) {
            open.push(st.open_booths[0]);
        }
    });
    assert_eq!(open, vec![1, 2, 4]);
}

/// Drivers come by car, two a car, to a car park of 20 spaces, spend 10 minutes in the hall and
/// go back to the car park's exit, where the parked cars take them home.
const CAR_PARK: &str = r#"Scenario(
    name: "car-park",
    sim: (dt: 0.1, start: 0, end: 4000, seed: 5),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        sources: [(name: "park", area: Polygon([(2, 2), (20, 2), (20, 15), (2, 15)]))],
        targets: [(name: "hall", area: Polygon([(45, 25), (55, 25), (55, 35), (45, 35)])),
                  (name: "park-out", area: Polygon([(2, 25), (10, 25), (10, 35), (2, 35)]))],
    ),
    crowd: [
        (name: "drivers", source: "park", destinations: [(target: "hall")], dwell: Fixed(600),
         exits: [(target: "park-out")], arrivals: Count(count: 60, from: 300, to: 900)),
    ],
    vehicles: (
        classes: [(name: "car", spacing: 7.5, speed: 13.9, occupancy: Fixed(2))],
        nodes: [(name: "U", position: (-1500, 0)), (name: "B", position: (-200, 0)), (name: "C", position: (-100, 0)),
                (name: "E", position: (-100, -800))],
        links: [
            (name: "road", from: "U", to: "B", lanes: 1, speed: 13.9),
            (name: "park-lane", from: "B", to: "C", speed: 8),
            (name: "out", from: "C", to: "E", speed: 13.9),
        ],
        destinations: [(name: "car-park", kind: CarPark, link: "park-lane", capacity: 20, dwell: Fixed(30),
                        place: "park", pickup: "park-out")],
        flows: [(name: "cars", class: "car", entry: "road", to: "car-park", exit: "out", carries: ["drivers"])],
    ),
)"#;

#[test]
fn a_car_park_fills_holds_its_spaces_and_empties_as_its_people_come_back() {
    let v = common::from_text(CAR_PARK);
    let mut sim = common::sim(&v, 1);
    let mut most = 0;
    let r = sim.run(|w| {
        let st = w.resource::<VehicleState>();
        assert!(st.imbalance().iter().all(|&x| x == 0), "{:?}", st.imbalance());
        let parked = st.stopped[0].len();
        assert!(parked <= 20, "{parked} cars on 20 spaces");
        most = most.max(parked);
        let d = &st.destinations[0];
        assert_eq!(st.books.collected, d.picked_up + d.leavers.len() as u64);
    });
    let vr = r.vehicles.as_ref().unwrap();
    let d = &vr.destinations[0];
    let fl = &vr.flows[0];
    eprintln!("{d:?}\n{fl:?}\n{:?}", vr.persons);
    // 30 cars brought 60 drivers; the 10 beyond the 20 spaces waited on the lane for a car to leave
    assert_eq!(fl.planned, 30);
    assert_eq!(d.arrived, 30);
    assert_eq!(d.released, 60);
    assert_eq!(most, 20);
    assert_eq!(d.occupancy_max, 20);
    // the first space frees 600 s (the stay) + the walks + 30 s after the first drivers came,
    // about 1,020 s; the 21st car, there at about 720 s, waited some 300 s for it
    assert!(d.wait_s.max > 250.0 && d.wait_s.max < 400.0, "{:?}", d.wait_s);
    // it filled, stayed full, and emptied to nothing
    let series = &d.occupancy_series;
    assert_eq!(series.iter().copied().max(), Some(20));
    assert_eq!(series.last(), Some(&0));
    // everyone came back to a parked car, got in at once, and every car left
    assert_eq!(vr.persons.collected, 60);
    let pw = d.pickup_wait_s.as_ref().expect("pickup waits");
    assert_eq!(pw.count, 60);
    assert!(pw.max < 0.3, "{pw:?}");
    assert_eq!(vr.persons.taken_away, 60);
    assert_eq!(fl.left, 30);
    assert_eq!(vr.present_at_end, 0);
    // a flow cannot collect at a car park: its own cars do
    let bad = CAR_PARK.replace(
        r#"carries: ["drivers"])],"#,
        r#"carries: ["drivers"]), (name: "cabs", class: "car", entry: "road", to: "car-park", exit: "out", collects: true)],"#,
    );
    assert!(
        common::error_of(&bad).contains("is a car park"),
        "{}",
        common::error_of(&bad)
    );
    // two car parks picking up at one target would both count its leavers
    let shared = CAR_PARK
        .replace(
            r#"(name: "out", from: "C", to: "E", speed: 13.9),"#,
            r#"(name: "out", from: "C", to: "E", speed: 13.9), (name: "park2-lane", from: "B", to: "E", speed: 8),"#,
        )
        .replace(
            r#"place: "park", pickup: "park-out")],"#,
            r#"place: "park", pickup: "park-out"), (name: "second", kind: CarPark, link: "park2-lane", capacity: 5, dwell: Fixed(30), place: "park", pickup: "park-out")],"#,
        );
    let e = common::error_of(&shared);
    assert!(e.contains("its pickup is destination \"car-park\"'s already"), "{e}");
}

#[test]
fn opening_an_open_road_for_a_while_leaves_it_open_after() {
    // OpenRoad with `for` on a road that was never closed: its undoing goes back to how the road
    // was (open), not to closed
    let v = common::from_text(&closures(r#"(at: 300, do: OpenRoad(link: "main"), for: 300)"#));
    let mut sim = common::sim(&v, 1);
    let mut closed_seen = false;
    sim.run_to(1500.0, |w| {
        closed_seen |= w.resource::<VehicleState>().closed[1];
    });
    assert!(!closed_seen);
    let st = sim.world().resource::<VehicleState>();
    assert!(st.traffic.queues[1].len() + st.flows[0].left as usize > 0);
    assert_eq!(st.rerouted, (0, 0));
}

//! `cordon check --capacity` against theory and a run: every expected arrival is counted at one
//! gate, a gate below capacity shows the Erlang C wait of its load, an overloaded one a backlog
//! growing as the fluid model says, and the split between two gates is the one a run makes.

mod common;

use cordon::capacity::{WINDOW, table};
use cordon::checkpoint::CheckpointState;

/// Two gates of 4 lanes each (8 s a person: 450 a quarter hour each), `RATE` /s arriving along
/// a strip in front of both from 09:00 to 09:30.
fn two_gates(rate: f64) -> String {
    format!(
        r#"Scenario(
    name: "two-gates",
    sim: (dt: 0.1, start: "09:00", end: "09:45", seed: 3),
    venue: (
        bounds: (min: (0, 0), max: (160, 100)),
        sources: [(name: "street", area: Polygon([(20, 2), (140, 2), (140, 6), (20, 6)]))],
        targets: [(name: "hall", area: Polygon([(70, 80), (90, 80), (90, 90), (70, 90)]))],
    ),
    crowd: [(name: "visitors", source: "street", arrivals: Rates([(from: "09:00", to: "09:30", rate: {rate})]),
             destinations: [(target: "hall")])],
    rings: [(name: "fence", level: Perimeter, polygon: [(10, 40), (150, 40), (150, 98), (10, 98)])],
    checkpoints: [
        (name: "west", ring: "fence", position: (40, 40), lanes: 4, service: Fixed(8), queue: (length: 20, width: 8)),
        (name: "east", ring: "fence", position: (120, 40), lanes: 4, service: Fixed(8), queue: (length: 20, width: 8)),
    ],
)"#
    )
}

#[test]
fn every_arrival_is_counted_once_and_the_split_between_two_gates_is_the_runs() {
    let v = common::from_text(&two_gates(0.6));
    let t = table(&v);
    let sum: f64 = t.iter().flat_map(|g| g.windows.iter().map(|w| w.demand)).sum();
    assert!((sum - 0.6 * 1800.0).abs() < 1e-6, "{sum} counted for 1080 arriving");
    assert_eq!(t[0].windows.len(), 3, "09:00, 09:15, 09:30");
    assert_eq!(t[0].windows[0].capacity, 4.0 * WINDOW / 8.0);
    // the run: screened per gate from 09:00 to 09:30 (below capacity: as many as arrive)
    let mut sim = common::sim(&v, 5);
    sim.run_to(2700.0, |_| {});
    let st = sim.world().resource::<CheckpointState>();
    for (k, g) in t.iter().enumerate() {
        let est: f64 = g.windows.iter().map(|w| w.demand).sum();
        let ran = st.records[k].served.len() as f64;
        eprintln!("{}: estimated {est:.0}, screened in the run {ran}", g.name);
        // Poisson noise of ~500 is 22 (4%)
        assert!(
            (est - ran).abs() <= 0.1 * ran + 3.0 * ran.sqrt(),
            "{}: {est:.0} estimated, {ran} in the run",
            g.name
        );
    }
}

#[test]
fn a_gate_below_capacity_shows_the_erlang_c_wait_and_an_overloaded_one_its_growing_backlog() {
    // one gate left (east closed by opening it after the run): 0.3 /s against 0.5 /s
    let one_gate = |rate: f64| {
        two_gates(rate).replace(
            "(name: \"east\", ring: \"fence\", position: (120, 40), lanes: 4, service: Fixed(8),",
            "(name: \"east\", ring: \"fence\", position: (120, 40), lanes: 4, service: Fixed(8), open: \"12:00\",",
        )
    };
    let v = common::from_text(&one_gate(0.3));
    let t = table(&v);
    let w = &t[0].windows[1];
    eprintln!("west 09:15: {w:?}; east {:?}", t[1].windows[1]);
    assert!((w.demand - 0.3 * WINDOW).abs() < 1e-6, "{}", w.demand);
    assert!((w.rho - 0.6).abs() < 1e-9);
    let want = cordon::checkpoint::queueing::mmc_wait(0.3, 1.0 / 8.0, 4).unwrap();
    assert!(
        w.wait_s.is_some_and(|x| (x - want).abs() < 1e-9),
        "{:?} against Erlang C {want}",
        w.wait_s
    );
    assert_eq!(
        t[1].windows.iter().map(|w| w.demand).sum::<f64>(),
        0.0,
        "sent to a gate that opens at noon"
    );
    // 0.8 /s against 0.5 /s: the backlog grows by 0.3 × 900 = 270 a quarter hour
    let t = table(&common::from_text(&one_gate(0.8)));
    let b: Vec<f64> = t[0].windows.iter().map(|w| w.backlog).collect();
    eprintln!("west backlog at the end of each quarter hour: {b:?}");
    assert!((b[1] - b[0] - 270.0).abs() < 1.0, "{b:?}");
    assert!(t[0].windows[1].wait_s.is_none());
    let text = cordon::capacity::text(&t);
    eprintln!("{text}");
    assert!(
        text.contains("  west: 4 lanes × 8.0 s a person = 450 a quarter hour"),
        "{text}"
    );
    assert!(text.contains("OVERLOADED:"), "{text}");
    assert_eq!(cordon::capacity::by_gate(&t), "  by gate:   west 1,440");
}

#[test]
fn a_class_that_screens_faster_loads_the_lanes_by_its_screening_factor() {
    // the same 0.6 /s, all screening at half the gates' 8 s: each gate's utilisation halves and
    // its Erlang C wait is that of 4 s a person, while the persons counted stay the same
    let full = table(&common::from_text(&two_gates(0.6)));
    let text = two_gates(0.6).replace(
        "destinations: [(target: \"hall\")])]",
        "destinations: [(target: \"hall\")], screening_factor: 0.5)]",
    );
    let half = table(&common::from_text(&text));
    for (a, b) in full.iter().zip(&half) {
        for (x, y) in a.windows.iter().zip(&b.windows) {
            assert!(
                (x.demand - y.demand).abs() < 1e-9,
                "{}: persons {} vs {}",
                a.name,
                x.demand,
                y.demand
            );
            assert!(
                (y.rho - 0.5 * x.rho).abs() < 1e-9,
                "{}: ρ {} at half the screening time, {} at full",
                a.name,
                y.rho,
                x.rho
            );
            if y.demand > 0.0 {
                let want = cordon::checkpoint::queueing::mmc_wait(y.demand / WINDOW, 1.0 / 4.0, 4);
                assert_eq!(y.wait_s, want, "{}", a.name);
            }
        }
    }
}

#[test]
fn the_import_expos_lanes_screen_its_demand_and_every_visitor_crosses_the_fence_once() {
    // the built-in day as its header states: 230,000 through the fence, and no perimeter gate
    // above ρ 1.1 in its busiest quarter hour (`cordon check --capacity`)
    let v = cordon::build::default_scenario().unwrap_or_else(|e| panic!("{e}"));
    let t = table(&v);
    let sec = &v.venue.security;
    let fence = sec.checkpoints.iter().map(|c| c.ring).min().expect("checkpoints");
    let mut through = 0.0;
    for (g, cp) in t.iter().zip(&sec.checkpoints) {
        if cp.ring != fence {
            continue;
        }
        through += g.windows.iter().map(|w| w.demand).sum::<f64>();
        let worst = g
            .windows
            .iter()
            .filter(|w| w.capacity > 0.0)
            .map(|w| w.rho)
            .fold(0.0, f64::max);
        eprintln!("{}: {} lanes, busiest ρ {worst:.2}", g.name, g.lanes);
        assert!(worst <= 1.1, "{}: ρ {worst:.2} with {} lanes", g.name, g.lanes);
    }
    eprintln!("{through:.0} through the fence");
    assert!(
        (through - 230_000.0).abs() < 0.005 * 230_000.0,
        "{through:.0} through the fence"
    );
}

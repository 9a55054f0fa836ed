//! Rings and checkpoints in the running simulation: layered interception matches
//! 1 − Π(1 − p), nobody crosses a ring except through a lane, queues conserve people, and a
//! checkpoint with Poisson arrivals and exponential screening waits as Erlang C predicts.

mod common;

use cordon::checkpoint::queueing::mmc_wait;
use cordon::checkpoint::{CheckpointState, Queued, Screening};
use cordon::crowd::{Agent, Position, Walking};
use cordon::prelude::*;
use std::collections::BTreeMap;

fn security(r: &Report) -> &cordon::checkpoint::report::SecurityReport {
    r.security.as_ref().unwrap_or_else(|| panic!("no security section"))
}

#[test]
fn layered_interception_matches_the_product_rule() {
    let v = common::load("three_rings.ron");
    let mut sim = common::sim(&v, 11);
    let r = sim.run(|_| {});
    let item = &security(&r).items[0];
    let n = item.intercepted + item.undetected_reached_innermost;
    assert_eq!(n, item.carriers, "every carrier is either caught or reaches the hall");
    let p = 1.0 - (1.0 - 0.5) * (1.0 - 0.3) * (1.0 - 0.2);
    let rate = item.intercepted as f64 / n as f64;
    let half = 2.576 * (p * (1.0 - p) / n as f64).sqrt(); // 99% binomial interval
    eprintln!("interception {rate:.4} of {n} carriers, expected {p:.4} ± {half:.4}");
    assert!((rate - p).abs() < half, "{rate} outside {p} ± {half}");
    for (ring, p_ring) in item.rings.iter().zip([0.5, 0.3, 0.2]) {
        let k = ring.screened as f64;
        let half = 2.576 * (p_ring * (1.0 - p_ring) / k).sqrt();
        let got = ring.detected as f64 / k;
        assert!(
            (got - p_ring).abs() < half,
            "ring {}: {got} vs {p_ring} ± {half}",
            ring.ring
        );
    }
    // each ring screens exactly the carriers the ring before let through
    assert_eq!(item.rings[1].screened, item.rings[0].screened - item.rings[0].detected);
    assert_eq!(item.rings[2].screened, item.rings[1].screened - item.rings[1].detected);
}

/// Steps a scenario to the end checking, every step, that ring crossings happen only out of a
/// screening lane (inwards) or through exit lanes (outwards), and that every queue conserves
/// people. Returns (inward, outward) crossings.
fn check_crossings(file: &str, seed: u64) -> (u64, u64) {
    let v = common::load(file);
    let rings = v.venue.security.rings.clone();
    let mut sim = common::sim(&v, seed);
    // agent id -> (inside flags, was screening, was heading for exit lanes)
    let mut last: BTreeMap<u32, (Vec<bool>, bool, bool)> = BTreeMap::new();
    let (mut inward, mut outward) = (0u64, 0u64);
    let mut steps = 0u64;
    sim.run_to(f64::INFINITY, |w| {
        steps += 1;
        let mut now = BTreeMap::new();
        // (a component nobody has yet is not registered either: look each one up per entity)
        for (e, a, p) in w
            .try_query::<(bevy::prelude::Entity, &Agent, &Position)>()
            .unwrap()
            .iter(w)
        {
            let (screening, queued, walking) = (w.get::<Screening>(e), w.get::<Queued>(e), w.get::<Walking>(e));
            let inside: Vec<bool> = rings.iter().map(|r| r.is_inside(p.0)).collect();
            if let Some((before, was_screening, was_leaving)) = last.get(&a.id) {
                for (k, (b, n)) in before.iter().zip(&inside).enumerate() {
                    if b != n {
                        // inwards only out of a screening lane; outwards only on the way out through a door
                        let ok = if *n { *was_screening } else { *was_leaving };
                        assert!(
                            ok,
                            "agent {} crossed ring {k} ({}) outside a lane at step {steps}",
                            a.id,
                            if *n { "in" } else { "out" }
                        );
                        if *n { inward += 1 } else { outward += 1 }
                    }
                }
            }
            let leaving = matches!(walking.and_then(|w| w.via), Some(cordon::crowd::Via::Door(_)));
            // in a lane, or at the head of a queue: a service shorter than the rest of the step
            // starts and ends within one step, so the agent goes from its queue straight inside
            now.insert(a.id, (inside, screening.is_some() || queued.is_some(), leaving));
        }
        last = now;
        // conservation in every queue: joined = served + in a lane + waiting
        let st = w.resource::<CheckpointState>();
        for (k, q) in st.queues.iter().enumerate() {
            let r = &st.records[k];
            assert_eq!(
                r.joined,
                r.served.len() as u64 + q.in_service() as u64 + q.queued() as u64,
                "checkpoint {k} lost someone at step {steps}"
            );
        }
    });
    (inward, outward)
}

#[test]
fn nobody_crosses_a_ring_except_through_a_lane_and_queues_conserve_people() {
    let (inward, _) = check_crossings("three_rings.ron", 5);
    assert!(inward > 1000, "too few ring crossings observed: {inward}");
    // visitors who come in, stay and leave again through the exit lanes
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/entrance_checkpoints.ron");
    let file = path.to_string_lossy().into_owned();
    let (inward, outward) = check_crossings(&file, 7);
    eprintln!("entrance-checkpoints: {inward} in, {outward} out");
    assert!(inward > 1000 && outward > 500, "{inward} in, {outward} out");
    // a fence from wall to wall works as a ring too
    let (inward, _) = check_crossings("fence.ron", 3);
    assert_eq!(inward, 300, "all 300 visitors must pass the fence through the gate");
}

#[test]
fn a_fence_must_reach_the_walls() {
    let good = std::fs::read_to_string(common::scenario_path("fence.ron")).unwrap_or_default();
    let text = good.replacen("fence: [(0.2, 20)", "fence: [(2.0, 20)", 1);
    let msg = common::error_of(&text);
    assert!(msg.contains("ring \"fence\": the fence is not closed"), "{msg}");
    let text = good.replacen(", inside: (30, 35)", "", 1);
    let msg = common::error_of(&text);
    assert!(msg.contains("a fence needs `inside`"), "{msg}");
}

#[test]
fn checkpoint_waits_match_erlang_c_in_the_running_simulation() {
    // one checkpoint, 4 lanes, exponential screening with mean 8 s, Poisson arrivals at
    // rho = 0.7, two simulated hours per seed, four seeds
    let (c, mean) = (4u32, 8.0);
    let rho = 0.7;
    let lambda = rho * f64::from(c) / mean;
    let text = format!(
        r#"Scenario(
    name: "erlang",
    sim: (dt: 0.1, start: "08:00", end: "10:00"),
    venue: (
        bounds: (min: (0, 0), max: (60, 60)),
        sources: [(name: "street", area: Polygon([(20, 2), (40, 2), (40, 6), (20, 6)]))],
        targets: [(name: "hall", area: Polygon([(25, 50), (35, 50), (35, 58), (25, 58)]))],
    ),
    crowd: [(name: "v", source: "street", arrivals: Rates([(from: "08:00", to: "10:00", rate: {lambda})]), destinations: [(target: "hall")])],
    rings: [(name: "fence", polygon: [(5, 30), (55, 30), (55, 59), (5, 59)])],
    checkpoints: [(name: "gate", ring: "fence", position: (30, 30), lanes: {c}, service: Exponential(mean: {mean}), queue: (length: 15.0, width: 6.0))],
    metrics: (series_interval: 600.0, density_interval: 10.0),
)"#
    );
    let v = common::from_text(&text);
    let theory = mmc_wait(lambda, 1.0 / mean, c).unwrap_or(f64::NAN);
    let mut means = Vec::new();
    for seed in 1..=4 {
        let mut sim = common::sim(&v, seed);
        let r = sim.run(|_| {});
        let cp = &security(&r).checkpoints[0];
        means.push(cp.wait_s.mean);
        // throughput never above c·μ per series interval
        assert!(
            cp.throughput_series_per_h
                .iter()
                .all(|&x| x <= f64::from(c) * 3600.0 / mean * 1.25)
        );
    }
    let mean_wait = means.iter().sum::<f64>() / means.len() as f64;
    eprintln!("in-sim M/M/4 at rho 0.7: waits {means:?}, mean {mean_wait:.3} s, Erlang C {theory:.3} s");
    assert!((mean_wait - theory).abs() < 0.1 * theory, "{mean_wait} vs {theory}");
}

#[test]
fn bad_security_input_is_named() {
    let good = std::fs::read_to_string(common::scenario_path("three_rings.ron")).unwrap_or_default();
    let cases: &[(&str, &str, &str)] = &[
        ("position: (60, 10)", "position: (60, 12)", "is not on ring \"outer\""),
        (
            "level: Inner, polygon: [(50, 50), (70, 50), (70, 70), (50, 70)]",
            "level: Inner, polygon: [(50, 50), (70, 50)]",
            "ring \"hall-door\": a polygon needs at least 3 points",
        ),
        ("ring: \"outer\"", "ring: \"outr\"", "ring \"outr\" is not defined"),
        (
            "lanes: 6, service: Fixed(1.5),\n            queue: (length: 5.0",
            "lanes: 0, service: Fixed(1.5),\n            queue: (length: 5.0",
            "lanes must be 1 to 1000",
        ),
        (
            "service: Exponential(mean: 1.5)",
            "service: Exponential(mean: -1.5)",
            "service times must be positive",
        ),
        ("probability: 0.5", "probability: 1.5", "must be in [0, 1]"),
        ("fraction: 1.0", "fraction: -0.1", "must be in [0, 1]"),
        (
            "(item: \"knife\", probability: 0.2)",
            "(item: \"gun\", probability: 0.2)",
            "item class \"gun\" is not defined",
        ),
    ];
    for (from, to, expect) in cases {
        assert!(good.contains(from), "case does not apply: {from}");
        let text = good.replacen(from, to, 1);
        let msg = common::error_of(&text);
        assert!(
            msg.contains(expect),
            "replacing {from:?}: expected {expect:?} in\n{msg}"
        );
    }
    // a ring without a checkpoint leaves the hall unreachable
    let a = good.find("        (\n            name: \"hall-gate\"").unwrap_or(0);
    let b = good[a..]
        .find("        ),\n")
        .map_or(a, |k| a + k + "        ),\n".len());
    assert!(b > a, "could not cut the hall gate out");
    let text = format!("{}{}", &good[..a], &good[b..]);
    let msg = common::error_of(&text);
    assert!(
        msg.contains("\"hall\" cannot be reached from source \"metro\""),
        "{msg}"
    );
}

#[test]
fn a_capped_queue_stays_at_its_limit_and_everyone_gets_through() {
    // the example scenario with the side gate capped at 30 so that the cap is surely reached
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/entrance_checkpoints.ron");
    let text = std::fs::read_to_string(path)
        .unwrap_or_default()
        .replace("max_queue: 80", "max_queue: 30");
    assert!(text.contains("max_queue: 30"));
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 7);
    let r = sim.run(|_| {});
    let sec = security(&r);
    let side = sec
        .checkpoints
        .iter()
        .find(|c| c.name == "side-gate")
        .unwrap_or_else(|| panic!("no side gate"));
    assert!(
        side.queue_max <= 30,
        "side gate queue {} above its limit 30",
        side.queue_max
    );
    assert!(
        side.over_limit_s > 0.0,
        "the side gate never reached its limit; the test scenario is too light"
    );
    // every visitor who arrived was screened (or is still in the venue at the end)
    let screened: u64 = sec.checkpoints.iter().map(|c| c.served).sum();
    assert!(
        screened + r.totals.waiting_at_source_at_end >= r.totals.spawned,
        "{screened} screened of {}",
        r.totals.spawned
    );
    assert!(sec.time_to_enter_s.count > 2000);
}

#[test]
fn a_full_pen_makes_newcomers_wait_outside_it_not_on_top_of_each_other() {
    // the gate opens only after 4 minutes; 300 people arrive in the first 3 minutes, but its pen
    // (10 m x 4 m at 0.6 m spacing = 16 rows of 6) has 96 places
    let text = include_str!("scenarios/fence.ron")
        .replace(
            "service: Fixed(4.0), queue: (length: 10, width: 4))",
            "service: Fixed(4.0), open: \"10:04\", queue: (length: 10, width: 4))",
        )
        .replace("end: \"10:08\"", "end: \"10:14\"");
    assert!(text.contains("open: \"10:04\""));
    let v = common::from_text(&text);
    let cap = v.venue.security.checkpoints[0].capacity();
    assert_eq!(cap, 96);
    let mut sim = common::sim(&v, 5);
    let mut worst_overlap = f32::INFINITY;
    let mut most_queued = 0;
    sim.run_to(f64::INFINITY, |w| {
        // where the people in the queue stand (those who have reached their file), not where
        // they are told to go: stepping up, nobody comes closer than a place to the one ahead
        let in_file: std::collections::HashSet<u64> = w
            .resource::<cordon::checkpoint::systems::CheckpointState>()
            .files
            .iter()
            .flatten()
            .flatten()
            .filter(|x| x.at.is_some())
            .map(|x| x.id)
            .collect();
        let all = w
            .try_query::<(
                &cordon::checkpoint::systems::Queued,
                &cordon::crowd::Agent,
                &cordon::crowd::Position,
            )>()
            .unwrap()
            .iter(w)
            .map(|(_, a, p)| (in_file.contains(&u64::from(a.id)), p.0))
            .collect::<Vec<_>>();
        most_queued = most_queued.max(all.len());
        let mut slots: Vec<bevy::math::Vec2> = all.iter().filter(|x| x.0).map(|x| x.1).collect();
        slots.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
        for i in 0..slots.len() {
            for j in i + 1..slots.len().min(i + 40) {
                worst_overlap = worst_overlap.min(slots[i].distance(slots[j]));
            }
        }
    });
    assert!(most_queued <= cap, "{most_queued} queued in a pen of {cap} places");
    assert!(
        most_queued >= cap - 6,
        "the pen never filled up ({most_queued}); the test is too light"
    );
    assert!(worst_overlap > 0.5, "two queued people stood {worst_overlap} m apart");
    let r = sim.report("end");
    let sec = security(&r);
    assert!(sec.checkpoints[0].held_steps > 0, "nobody waited outside the full pen");
    assert_eq!(sec.checkpoints[0].served, 300, "everyone gets through once it opens");
}

#[test]
fn a_full_pen_reached_from_the_side_keeps_newcomers_at_its_edge_and_no_denser_than_a_jam() {
    // the crowd comes along the fence from the west and reaches the pen (16 rows of 6) from the
    // side, near its lanes; the gate opens only after 4 minutes, 300 arrive in the first 3
    let text = include_str!("scenarios/fence.ron")
        .replace(
            "service: Fixed(4.0), queue: (length: 10, width: 4))",
            "service: Fixed(4.0), open: \"10:04\", queue: (length: 10, width: 4))",
        )
        .replace("end: \"10:08\"", "end: \"10:14\"")
        .replace(
            "Polygon([(5, 1), (55, 1), (55, 4), (5, 4)])",
            "Polygon([(1, 14), (6, 14), (6, 19), (1, 19)])",
        );
    assert!(text.contains("open: \"10:04\"") && text.contains("(1, 14)"));
    let v = common::from_text(&text);
    let cp = v.venue.security.checkpoints[0].clone();
    assert_eq!(cp.capacity(), 96);
    let mut sim = common::sim(&v, 5);
    // those who are not (yet) in the queue: how far inside the pen the deepest of them stands
    let (mut deepest, mut longest, mut outside_most) = (0.0f32, 0usize, 0u32);
    sim.run_to(f64::INFINITY, |w| {
        let st = w.resource::<CheckpointState>();
        longest = longest.max(st.queue_length(0));
        outside_most = outside_most.max(st.outside[0]);
        for p in w
            .try_query_filtered::<&cordon::crowd::Position, bevy::prelude::With<cordon::crowd::Walking>>()
            .unwrap()
            .iter(w)
        {
            if cp.pen.contains(p.0) {
                // depth inside the 4 m x 10 m pen: to the nearest of its sides
                let rel = p.0 - (cp.pos + cp.out * 0.5);
                let (along, across) = (rel.dot(cp.qdir), rel.dot(cp.qdir.perp()).abs());
                deepest = deepest.max((2.0 - across).min(10.0 - along).min(along));
            }
        }
    });
    eprintln!("queue at most {longest}, {outside_most} waiting outside the pen; a walker {deepest} m inside it");
    // everyone is in the queue before the gate opens: 96 in the pen, the rest outside it
    assert!(outside_most >= 150, "only {outside_most} waited outside the full pen");
    assert!(
        longest >= 96 + 150,
        "the queue's length ({longest}) counts those waiting outside the pen"
    );
    assert!(
        deepest < 0.5,
        "someone not in the queue stood {deepest} m inside the pen"
    );
    // the densest 2 m cell: no more than people pressing at a door (tests/densities.rs: 4.5-6.5)
    let (peak, at) = sim.world().resource::<cordon::metrics::Metrics>().densest_cell();
    eprintln!("densest 2 m cell {peak} /m² at {at}");
    assert!(peak <= 6.5, "{peak} /m² at {at}");
    let r = sim.report("end");
    let sec = security(&r);
    assert_eq!(sec.checkpoints[0].served, 300, "everyone gets through once it opens");
    assert_eq!(sec.checkpoints[0].queue_max, longest as u64);
}

/// Two halls, each inside a ring of its own (both Inner) within the perimeter: every hall's
/// ring is innermost, so a carrier who reaches either hall undetected counts as through.
const TWO_HALLS: &str = r#"Scenario(
    name: "two-halls",
    sim: (dt: 0.1, start: "09:00", end: "09:20", seed: 5),
    venue: (
        bounds: (min: (0, 0), max: (140, 100)),
        sources: [(name: "street", area: Polygon([(40, 1), (100, 1), (100, 4), (40, 4)]))],
        targets: [
            (name: "west-hall", area: Polygon([(25, 65), (45, 65), (45, 80), (25, 80)])),
            (name: "east-hall", area: Polygon([(95, 65), (115, 65), (115, 80), (95, 80)])),
        ],
    ),
    crowd: [(name: "visitors", source: "street", arrivals: Rates([(from: "09:00", to: "09:05", rate: 1.0)]),
             destinations: [(target: "west-hall"), (target: "east-hall")])],
    rings: [
        (name: "perimeter", level: Perimeter, polygon: [(10, 20), (130, 20), (130, 95), (10, 95)]),
        (name: "west-ring", level: Inner, polygon: [(20, 50), (50, 50), (50, 90), (20, 90)]),
        (name: "east-ring", level: Inner, polygon: [(90, 50), (120, 50), (120, 90), (90, 90)]),
    ],
    checkpoints: [
        (name: "gate", ring: "perimeter", position: (70, 20), lanes: 8, service: Fixed(1), queue: (length: 10, width: 12),
         detection: [(item: "knife", probability: 0.0)]),
        (name: "west-door", ring: "west-ring", position: (35, 50), lanes: 4, service: Fixed(1), queue: (length: 10, width: 6),
         detection: [(item: "knife", probability: 0.0)]),
        (name: "east-door", ring: "east-ring", position: (105, 50), lanes: 4, service: Fixed(1), queue: (length: 10, width: 6),
         detection: [(item: "knife", probability: 0.0)]),
    ],
    threats: [(item: "knife", carriers: [(group: "visitors", fraction: 1.0)])],
)"#;

#[test]
fn every_ring_of_the_greatest_level_is_innermost() {
    let v = common::from_text(TWO_HALLS);
    let r = common::sim(&v, 3).run(|_| {});
    let item = &r.security.as_ref().unwrap().items[0];
    let arrived: u64 = r.targets.iter().map(|t| t.arrivals).sum();
    let per_hall: Vec<u64> = r.targets.iter().map(|t| t.arrivals).collect();
    // nothing is detected: everyone who reached a hall, in either leaf, got through
    assert!(per_hall.iter().all(|&n| n > 80), "{per_hall:?}");
    assert_eq!(item.intercepted, 0);
    assert_eq!(
        item.undetected_reached_innermost, arrived,
        "{item:?}, arrivals {per_hall:?}"
    );
}

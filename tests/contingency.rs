//! The contingency timeline against what queueing predicts: a checkpoint whose lanes are cut
//! serves at the new c·μ while its queue lasts and goes back when the `for` runs out; closing one
//! of two gates empties its queue at once, strands nobody and raises the other gate's throughput
//! to its capacity while demand exceeds it. Bad entries are named with line and column.

mod common;

use cordon::checkpoint::CheckpointState;
use cordon::crowd::{Via, Walking};

/// Two gates of 4 lanes each, deterministic 8 s screening (c·μ = 0.5 /s a gate), 0.8 /s
/// arriving along a strip in front of both for 30 minutes; `timeline` is spliced in.
fn two_gates(timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "two-gates",
    sim: (dt: 0.1, start: "09:00", end: "09:40", seed: 3),
    venue: (
        bounds: (min: (0, 0), max: (160, 100)),
        sources: [(name: "street", area: Polygon([(20, 2), (140, 2), (140, 6), (20, 6)]))],
        targets: [(name: "hall", area: Polygon([(70, 80), (90, 80), (90, 90), (70, 90)]))],
    ),
    crowd: [(name: "visitors", source: "street", arrivals: Rates([(from: "09:00", to: "09:30", rate: 0.8)]),
             destinations: [(target: "hall")])],
    rings: [(name: "fence", level: Perimeter, polygon: [(10, 40), (150, 40), (150, 98), (10, 98)])],
    checkpoints: [
        (name: "west", ring: "fence", position: (40, 40), lanes: 4, service: Fixed(8), queue: (length: 20, width: 8)),
        (name: "east", ring: "fence", position: (120, 40), lanes: 4, service: Fixed(8), queue: (length: 20, width: 8)),
    ],
    timeline: [{timeline}],
)"#
    )
}

/// Screened at checkpoint `k` per second over `[a, b)` s after the start.
fn rate(st: &CheckpointState, k: usize, a: f64, b: f64) -> f64 {
    st.records[k].served.iter().filter(|&&t| t >= a && t < b).count() as f64 / (b - a)
}

#[test]
fn lanes_cut_for_ten_minutes_serve_at_the_new_capacity_then_at_the_old() {
    // everyone to one gate (the other closed from the start), 0.8 /s into 0.5 /s: saturated
    let text = two_gates(
        r#"(at: "09:00", do: Close(checkpoint: "west")),
           (at: "09:10", for: 600, do: Lanes(checkpoint: "east", open: 2))"#,
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    sim.run_to(2400.0, |_| {});
    let st = sim.world().resource::<CheckpointState>();
    let (before, cut, after) = (
        rate(st, 1, 300.0, 600.0),
        rate(st, 1, 620.0, 1200.0),
        rate(st, 1, 1220.0, 2400.0),
    );
    eprintln!("east: {before:.3} /s before, {cut:.3} with 2 lanes, {after:.3} after");
    // c·μ: 4 / 8 s = 0.5 /s; 2 / 8 s = 0.25 /s (a lane's service in progress at the cut finishes)
    assert!((before - 0.5).abs() <= 0.025, "4 lanes: {before}");
    assert!((cut - 0.25).abs() <= 0.0125, "2 lanes: {cut}");
    assert!((after - 0.5).abs() <= 0.025, "4 lanes again: {after}");
    assert_eq!(rate(st, 0, 0.0, 2400.0), 0.0, "west was closed");
    let r = sim.report("end");
    let what: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    assert_eq!(
        what,
        [
            "west closed; 0 re-routed",
            "east: 4 → 2 lanes open",
            "east: 2 → 4 lanes open"
        ],
        "{:#?}",
        r.timeline
    );
    assert_eq!(r.timeline[2].at, "09:20:00");
    assert!(r.timeline[2].undo);
}

#[test]
fn closing_one_of_two_gates_moves_its_queue_and_fills_the_other_to_capacity() {
    let text = two_gates(r#"(at: "09:10", do: Close(checkpoint: "west"))"#);
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    sim.run_to(599.0, |_| {});
    let queued_before = sim.world().resource::<CheckpointState>().queues[0].queued();
    sim.run_to(600.2, |_| {});
    {
        let w = sim.world();
        let st = w.resource::<CheckpointState>();
        assert_eq!(st.queues[0].queued(), 0, "west's queue left at the closure");
        // who is left is being screened, and finishes
        assert!(
            st.members[0].len() <= 4,
            "{} left at west's 4 lanes",
            st.members[0].len()
        );
    }
    sim.run_to(2400.0, |_| {});
    let w = sim.world_mut();
    let still_screened_west = w
        .query::<&cordon::checkpoint::Screening>()
        .iter(w)
        .filter(|s| s.cp == 0)
        .count();
    assert_eq!(
        still_screened_west, 0,
        "someone being screened at the closure never came out"
    );
    let heading_west = w
        .query::<&Walking>()
        .iter(w)
        .filter(|x| x.via == Some(Via::Lanes(0)))
        .count();
    assert_eq!(heading_west, 0, "nobody still heading for the closed gate");
    let st = w.resource::<CheckpointState>();
    let (west_before, east_before) = (rate(st, 0, 300.0, 600.0), rate(st, 1, 300.0, 600.0));
    let (west_after, east_after) = (rate(st, 0, 620.0, 1800.0), rate(st, 1, 720.0, 1800.0));
    eprintln!(
        "before: west {west_before:.3} east {east_before:.3} /s; after: west {west_after:.3} east {east_after:.3} /s; \
         west queue at closure {queued_before}"
    );
    // before, the demand splits (each well under 0.5 /s); after, east alone meets 0.8 /s with 0.5
    assert!(west_before > 0.2 && east_before > 0.2 && west_before + east_before < 0.9);
    assert_eq!(west_after, 0.0, "west screened nobody new");
    assert!((east_after - 0.5).abs() <= 0.025, "east at capacity: {east_after}");
    let entered: usize = st.records[1].served.len() + st.records[0].served.len();
    assert!(entered > 1000, "{entered}");
    let r = sim.report("end");
    assert_eq!(r.timeline.len(), 1);
    assert!(r.timeline[0].what.starts_with("west closed; "), "{:?}", r.timeline);
    assert!(r.timeline[0].rerouted as usize >= queued_before, "{:?}", r.timeline);
    // everyone re-routed has joined east's queue within the walk between the gates (80 m)
    let took = r.timeline[0]
        .reroute_s
        .unwrap_or_else(|| panic!("re-route not finished: {:?}", r.timeline));
    eprintln!("re-route took {took} s");
    assert!(took > 0.0 && took < 200.0, "{took}");
    // their detour: those queueing at west walk to east's pen, 80 m along the fence less the
    // pens' half-widths (4 m each); the way on from either gate to the hall is the same
    let d = r.timeline[0].detour.as_ref().expect("detours");
    let i = r.timeline[0].impact.as_ref().expect("impact");
    eprintln!("{}", r.timeline[0].impact_words());
    assert_eq!(d.people, r.timeline[0].rerouted, "everyone re-routed chose again");
    assert!(d.max_m >= 70.0 && d.max_m <= 85.0, "longest detour {} m", d.max_m);
    assert!(d.mean_m > 0.0 && d.mean_m <= d.max_m, "{d:?}");
    // the queue at both gates: 0.8 /s in and 0.5 /s out from the closure until arrivals stop at
    // 09:30 (1,200 s): it rises by 0.3 x 1,200 = 360 (Poisson arrivals: sd sqrt(0.8 x 1,200) =
    // 31; 3 sd allowed), peaking as the last arrivals reach it
    assert_eq!(i.checkpoints, ["west", "east"]);
    let rise = i.queue_peak as f64 - i.queue_before as f64;
    assert!((rise - 360.0).abs() <= 93.0, "queue rose by {rise}, not 360");
    assert!(
        i.queue_peak_at.as_str() >= "09:30:00" && i.queue_peak_at.as_str() <= "09:31:00",
        "{i:?}"
    );
}

#[test]
fn a_gate_closed_for_ten_minutes_costs_the_queue_the_fluid_model_predicts_and_it_recovers() {
    // west closed 09:10-09:20: 0.8 /s into east's 0.5 /s raises the queue by 0.3 x 600 = 180
    // (sd sqrt(0.8 x 600) = 22); then both gates serve 1.0 /s against 0.8 /s arriving until
    // 09:30, so the excess drains at 0.2 /s: back at the level before 900 s after the reopening,
    // 1,500 s after the closure (3 sd of the excess: 330 s)
    let text = two_gates(r#"(at: "09:10", for: 600, do: Close(checkpoint: "west"))"#);
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    sim.run_to(2400.0, |_| {});
    let r = sim.report("end");
    let a = &r.timeline[0];
    let i = a.impact.as_ref().expect("impact");
    eprintln!("{}", a.impact_words());
    let rise = i.queue_peak as f64 - i.queue_before as f64;
    assert!((rise - 180.0).abs() <= 66.0, "queue rose by {rise}, not 180");
    assert!(
        i.queue_peak_at.as_str() >= "09:19:00" && i.queue_peak_at.as_str() <= "09:21:00",
        "{i:?}"
    );
    let back = i.back_to_level_s.expect("back to its level within the run");
    assert!((back - 1500.0).abs() <= 330.0, "back after {back} s, not 1,500");
    // the longest wait since: the last to join east before the reopening waits for the queue
    // ahead of them (its peak) at 0.5 /s, within a quarter
    let wait = i.queue_peak as f64 / 0.5;
    assert!(
        (i.wait_peak_s / wait - 1.0).abs() <= 0.25,
        "longest wait {} s, not {wait}",
        i.wait_peak_s
    );
    // the reopening has no impact of its own (the entry's covers it)
    assert!(
        r.timeline[1].undo && r.timeline[1].impact.is_none(),
        "{:?}",
        r.timeline[1]
    );
}

#[test]
fn bad_timeline_entries_are_named_with_line_and_column() {
    for (entry, expect) in [
        (
            r#"(at: "09:10", do: Close(checkpoint: "north"))"#,
            "t.ron:16:52: timeline entry 1: checkpoint \"north\" is not defined; known checkpoints: \"west\", \"east\"",
        ),
        (
            r#"(at: "09:10", do: Lanes(checkpoint: "east", open: 5))"#,
            "timeline entry 1: checkpoint \"east\" has 4 lanes; it cannot open 5",
        ),
        (
            r#"(at: "08:10", do: Close(checkpoint: "east"))"#,
            "timeline entry 1: 08:10:00 is outside the run (09:00:00 to 09:40:00)",
        ),
        (
            r#"(at: "09:10", for: 0, do: Close(checkpoint: "east"))"#,
            "timeline entry 1: `for` must be a positive number of seconds, got 0",
        ),
        (
            r#"(at: "09:10", do: Shut(checkpoint: "east"))"#,
            "unknown variant `Shut`",
        ),
        (
            r#"(at: "09:10", do: Surge(group: "metro", count: 10))"#,
            "timeline entry 1: crowd group \"metro\" is not defined; known groups: \"visitors\"",
        ),
        (
            r#"(at: "09:10", do: Surge(group: "visitors", count: 10, every: 180))"#,
            "timeline entry 1: a surge `every` 180 s needs a `for` (how long the batches go on)",
        ),
        (
            r#"(at: "09:10", for: 600, do: Surge(group: "visitors", count: 10, every: 0))"#,
            "timeline entry 1: `every` must be a positive number of seconds, got 0",
        ),
        (
            r#"(at: "09:10", when: QueueLength(checkpoint: "east", above: 5), do: Close(checkpoint: "east"))"#,
            "timeline entry 1: give either `at` (a clock time) or `when` (a rule), not both or neither",
        ),
        (
            r#"(at: "09:10", until: QueueLength(checkpoint: "east", below: 5), do: Close(checkpoint: "east"))"#,
            "timeline entry 1: `until` belongs to a rule (`when`); a timed entry is undone by `for`",
        ),
        (
            r#"(when: Density(zone: "plaza", above: 4), do: Close(checkpoint: "east"))"#,
            "timeline entry 1: zone \"plaza\" is not defined; known: ",
        ),
        (
            r#"(when: QueueLength(checkpoint: "east"), do: Close(checkpoint: "east"))"#,
            "timeline entry 1: a rule on checkpoint \"east\" needs one level, `above` or `below`, a number ≥ 0",
        ),
        (
            r#"(at: "09:10", for: 600, do: Lanes(checkpoint: "east", open: 2)),
               (at: "09:15", do: Lanes(checkpoint: "east", open: 3))"#,
            "timeline entries 1 and 2 overlap on checkpoint \"east\" (its lanes): the second starts before the first is undone",
        ),
        (
            r#"(at: "09:10", do: Close(checkpoint: "east")), (at: "09:10", do: Reopen(checkpoint: "east"))"#,
            "timeline entries 1 and 2 overlap on checkpoint \"east\" (closing it)",
        ),
        (
            r#"(at: "09:10", do: Meter(checkpoint: "east", per_minute: -3))"#,
            "timeline entry 1: a meter is persons a minute, 0 or more, got -3",
        ),
        (
            r#"(at: "09:10", for: 60, do: Evacuate(to: ["hall"]))"#,
            "timeline entry 1: an evacuation is not undone (no `for` or `until`)",
        ),
        (
            r#"(at: "09:10", do: Evacuate(to: ["exit"]))"#,
            "timeline entry 1: target \"exit\" is not defined; known targets: \"hall\"",
        ),
        (
            r#"(at: "09:10", do: Cordon(at: (200, 30), radius: 20))"#,
            "timeline entry 1: the cordon's middle (200, 30) lies outside the venue",
        ),
        (
            r#"(at: "09:10", do: Cordon(at: (60, 30), radius: 0))"#,
            "timeline entry 1: a cordon's radius must be above 0 and at most 1000 m, got 0",
        ),
        (
            r#"(at: "09:10", do: CloseZone(zone: "plaza"))"#,
            "t.ron:16:50: timeline entry 1: zone \"plaza\" is not defined; known zones: ",
        ),
    ] {
        let e = common::error_of(&two_gates(entry));
        assert!(e.contains(expect), "{entry}:\n{e}");
    }
}

/// Every field of an action is a `cordon batch --set/--sweep` path: the time, the duration and
/// the lanes after a breakdown.
#[test]
fn timeline_fields_are_batch_paths() {
    let text = two_gates(r#"(at: "09:10", for: 600, do: Lanes(checkpoint: "east", open: 2))"#);
    let sc = cordon::scenario::parse_str(&text, "<t>").unwrap_or_else(|e| panic!("{e}"));
    let doc = cordon::batch::to_doc(&sc).unwrap_or_else(|e| panic!("{e}"));
    let changes: Vec<(String, serde_json::Value)> = [
        ("timeline[0].at", "\"09:20\""),
        ("timeline[0].for", "300"),
        ("timeline[0].do.Lanes.open", "3"),
    ]
    .iter()
    .map(|(p, v)| (p.to_string(), cordon::batch::path::parse_value(v)))
    .collect();
    let v = cordon::batch::variant(
        &doc,
        &changes,
        "<t>",
        &cordon::scenario::limits::Limits::default(),
        &mut cordon::venue::cache::FieldCache::new(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = &v.scenario.timeline[0];
    assert_eq!(e.at.map(|a| a.0), Some(9.0 * 3600.0 + 20.0 * 60.0));
    assert_eq!(e.r#for, Some(300.0));
    assert_eq!(
        e.r#do,
        cordon::scenario::model::Action::Lanes {
            checkpoint: "east".into(),
            open: 3
        }
    );
    // and a value out of range is named as in `check`
    let bad = vec![(
        "timeline[0].do.Lanes.open".to_string(),
        cordon::batch::path::parse_value("9"),
    )];
    let err = cordon::batch::variant(
        &doc,
        &bad,
        "<t>",
        &cordon::scenario::limits::Limits::default(),
        &mut cordon::venue::cache::FieldCache::new(),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(
        err.contains("checkpoint \"east\" has 4 lanes; it cannot open 9"),
        "{err}"
    );
}

/// Batches of N every H seconds into a gate of c lanes with screening of 1/μ s: once the gate is
/// saturated it screens c·μ·H a headway and the crowd before it grows by N − c·μ·H a headway
/// (the deterministic fluid prediction), and a surge's `for` ends its batches.
#[test]
fn a_surge_every_headway_grows_the_queue_as_the_fluid_model_predicts() {
    // 100 every 120 s from 09:00 for 20 min (11 batches) into 4 lanes × 8 s: 60 a headway
    let text = two_gates(
        r#"(at: "09:00", do: Close(checkpoint: "west")),
           (at: "09:00", for: 1200, do: Surge(group: "riders", count: 100, every: 120))"#,
    )
    // the riders come by the surge alone (one straggler at the very end, as a group needs
    // arrivals of its own)
    .replace(
        "(name: \"visitors\", source: \"street\", arrivals: Rates([(from: \"09:00\", to: \"09:30\", rate: 0.8)]),",
        "(name: \"riders\", source: \"street\", arrivals: Count(count: 1, from: \"09:39:50\", to: \"09:39:55\"),",
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    let mut before_batch = Vec::new();
    for k in 1..=11 {
        // just before batch k (at k × 120 s)
        sim.run_to(120.0 * k as f64 - 0.5, |_| {});
        let w = sim.world();
        let spawned: u64 = w.resource::<cordon::crowd::CrowdLog>().spawned_by_group.iter().sum();
        let served = w.resource::<CheckpointState>().records[1].served.len() as u64;
        before_batch.push((spawned, served));
    }
    sim.run_to(2400.0, |_| {});
    let spawned: u64 = sim
        .world()
        .resource::<cordon::crowd::CrowdLog>()
        .spawned_by_group
        .iter()
        .sum();
    eprintln!("(arrived, screened) before each batch: {before_batch:?}; {spawned} arrived in all");
    assert_eq!(
        spawned, 1101,
        "11 batches of 100 (none after the surge's `for`) and the straggler"
    );
    // saturated from the third headway on: 60 screened a headway, 40 more waiting each time
    for k in 3..before_batch.len() {
        let (a0, s0) = before_batch[k - 1];
        let (a1, s1) = before_batch[k];
        let screened = s1 - s0;
        let growth = (a1 - s1) as i64 - (a0 - s0) as i64;
        assert!(
            (57..=63).contains(&screened),
            "headway {k}: {screened} screened (c·μ·H = 60)"
        );
        assert!(
            (36..=44).contains(&growth),
            "headway {k}: the crowd before the gate grew by {growth} (N − c·μ·H = 40)"
        );
    }
    let r = sim.report("end");
    assert!(
        r.timeline
            .iter()
            .any(|a| a.what == "riders: batches of 100 every 120 s"),
        "{:?}",
        r.timeline
    );
}

/// A rule with hysteresis: 4 lanes when the queue passes 100, back to 2 when it falls under
/// 20. With 0.4 /s arriving, 2 lanes (0.25 /s) let the queue grow and 4 (0.5 /s) shrink it, so
/// the rule cycles: the queue stays under 100 (plus those joining in the step it fires), each
/// firing alternates, and none follows the one before within two minutes (no flapping).
#[test]
fn a_queue_rule_with_hysteresis_holds_the_queue_between_its_levels() {
    let text = two_gates(
        r#"(at: "09:00", do: Close(checkpoint: "west")),
           (at: "09:00", do: Lanes(checkpoint: "east", open: 2)),
           (when: QueueLength(checkpoint: "east", above: 100), until: QueueLength(checkpoint: "east", below: 20),
            do: Lanes(checkpoint: "east", open: 4))"#,
    )
    .replace("rate: 0.8", "rate: 0.4");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    let mut longest = 0;
    sim.run_to(2400.0, |w| {
        longest = longest.max(w.resource::<CheckpointState>().queues[1].queued());
    });
    let r = sim.report("end");
    let rule: Vec<_> = r.timeline.iter().filter(|a| a.entry == 3).collect();
    eprintln!("longest queue {longest}; {rule:#?}");
    assert!(longest <= 102, "the queue passed the rule's level: {longest}");
    assert!(rule.len() >= 3, "the rule cycles: {rule:#?}");
    for (i, a) in rule.iter().enumerate() {
        assert_eq!(a.undo, i % 2 == 1, "alternates: {rule:#?}");
        let expect = if a.undo {
            "east: 4 → 2 lanes open"
        } else {
            "east: 2 → 4 lanes open"
        };
        assert!(a.what.starts_with(expect), "{}", a.what);
        if i > 0 {
            assert!(a.t_s - rule[i - 1].t_s > 120.0, "flapping: {rule:#?}");
        }
    }
    assert!(rule[0].what.contains("queue at east 101 above 100"), "{}", rule[0].what);
}

/// With every kind of timed action and a rule, the same seed gives a byte-identical report on one
/// thread and on four with the multi-threaded executor.
#[test]
fn a_timeline_run_is_byte_identical_across_threads_and_executors() {
    let text = two_gates(
        r#"(at: "09:05", for: 300, do: Lanes(checkpoint: "east", open: 1)),
           (at: "09:12", for: 400, do: Close(checkpoint: "west")),
           (at: "09:08", for: 600, do: Surge(group: "visitors", count: 80, every: 150)),
           (when: QueueLength(checkpoint: "east", above: 60), until: QueueLength(checkpoint: "east", below: 10),
            do: Lanes(checkpoint: "east", open: 4)),
           (at: "09:06", for: 500, do: Cordon(at: (80, 20), radius: 12)),
           (at: "09:20", for: 120, do: CloseZone(zone: "middle"))"#,
    )
    .replace(
        "        targets: [",
        "        zones: [(name: \"middle\", polygon: [(60, 8), (100, 8), (100, 30), (60, 30)])],\n        targets: [",
    );
    let v = common::from_text(&text);
    let run = |threads: usize, multi: bool| {
        let mut sim = cordon::sim::Simulation::new(
            &v,
            &cordon::sim::SimOptions {
                seed: Some(5),
                threads,
                multi_threaded_executor: multi,
                ..Default::default()
            },
        );
        sim.run_to(2400.0, |_| {});
        sim.report("end").to_json()
    };
    let serial = run(1, false);
    assert!(serial.contains("\"timeline\""), "the report lists the timeline");
    assert!(serial.contains("zone middle closed") && serial.contains("cordon of 12 m round (80, 20) closed"));
    assert_eq!(serial, run(4, true), "one thread vs four, multi-threaded executor");
}

/// An evacuation given by a rule: the order comes at the step the rule fires, and the evacuation
/// runs as the scenario's own order would (everyone to the assembly area, arrivals called off).
#[test]
fn a_rule_gives_the_evacuation_order_when_it_fires() {
    let text = two_gates(r#"(when: QueueLength(checkpoint: "east", above: 10), do: Evacuate(to: ["assembly"]))"#)
        .replace(
            "targets: [(name: \"hall\", area: Polygon([(70, 80), (90, 80), (90, 90), (70, 90)]))],",
            "targets: [(name: \"hall\", area: Polygon([(70, 80), (90, 80), (90, 90), (70, 90)])),
                  (name: \"assembly\", area: Polygon([(2, 10), (18, 10), (18, 30), (2, 30)]))],",
        );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    sim.run_to(2400.0, |_| {});
    let r = sim.report("end");
    let ev = r.evacuation.as_ref().unwrap_or_else(|| panic!("no evacuation section"));
    eprintln!("{:?}\n{ev:?}", r.timeline);
    assert_eq!(r.timeline.len(), 1, "{:?}", r.timeline);
    let fired = &r.timeline[0];
    assert!(
        fired.what.starts_with("evacuation ordered (queue at east 11 above 10)"),
        "{}",
        fired.what
    );
    assert!(ev.ordered);
    assert_eq!(ev.order, fired.at, "the order is given when the rule fires");
    assert!(ev.evacuees > 30 && ev.arrivals_called_off > 0, "{ev:?}");
    assert_eq!(
        ev.reached_safety, ev.evacuees,
        "everyone reached the assembly area: {ev:?}"
    );
}

/// A meter of q persons a minute on a saturated gate: in every clock minute it is on, at most q
/// start screening (and q − 1 at least: the queue never runs dry), the rest wait; before and
/// after, the gate's own c·μ (30 a minute).
#[test]
fn a_meter_holds_the_flow_at_or_under_its_rate_in_every_minute() {
    let text = two_gates(
        r#"(at: "09:00", do: Close(checkpoint: "west")),
           (at: "09:10", for: 600, do: Meter(checkpoint: "east", per_minute: 12))"#,
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    sim.run_to(2400.0, |_| {});
    let st = sim.world().resource::<CheckpointState>();
    // Fixed(8): each started 8 s before it ended
    let per_minute = |m: usize| {
        st.records[1]
            .served
            .iter()
            .filter(|&&end| (end - 8.0) >= 60.0 * m as f64 && (end - 8.0) < 60.0 * (m + 1) as f64)
            .count()
    };
    let minutes: Vec<usize> = (0..40).map(per_minute).collect();
    eprintln!("starts per minute from 09:00: {minutes:?}");
    for m in 10..20 {
        assert!(
            (11..=12).contains(&minutes[m]),
            "09:{m}: {} started (meter 12)",
            minutes[m]
        );
    }
    for m in (5..10).chain(21..29) {
        assert!(
            (29..=31).contains(&minutes[m]),
            "09:{m}: {} started (c·μ 30)",
            minutes[m]
        );
    }
    let r = sim.report("end");
    let what: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    assert_eq!(&what[1..], ["east: meter none → 12 /min", "east: meter 12 /min → none"]);
}

/// An open 80 m x 60 m walkway: 30 people walk one by one at 1.2 m/s from a 2 m square at
/// (10, 30) to one at (70, 30); `timeline` is spliced in.
fn walkway(timeline: &str) -> String {
    format!(
        r#"Scenario(
    name: "walkway",
    sim: (dt: 0.05, start: "10:00", end: "10:10", seed: 5),
    venue: (
        bounds: (min: (0, 0), max: (80, 60)),
        sources: [(name: "west", area: Polygon([(9, 29), (11, 29), (11, 31), (9, 31)]))],
        targets: [(name: "east", area: Polygon([(69, 29), (71, 29), (71, 31), (69, 31)]))],
    ),
    crowd: [(name: "walkers", source: "west", arrivals: Count(count: 30, from: "10:00", to: "10:05"),
             destinations: [(target: "east")], speed: Fixed(1.2))],
    timeline: [{timeline}],
)"#
    )
}

/// Travel times of a walkway run, and the smallest distance of a walker from (40, 30) while
/// the cordon there is closed.
fn walk(timeline: &str) -> (f64, f32) {
    let v = common::from_text(&walkway(timeline));
    let mut sim = common::sim(&v, 5);
    let mut nearest = f32::INFINITY;
    sim.run_to(f64::INFINITY, |w| {
        let closed = w.resource::<cordon::venue::Venue>().closed.is_some();
        if closed {
            for (_, p) in common::positions(w) {
                nearest = nearest.min(p.distance(bevy::math::Vec2::new(40.0, 30.0)));
            }
        }
    });
    let r = sim.report("test");
    assert_eq!(r.travel_time_s.count, 30, "everyone arrived");
    (r.travel_time_s.mean, nearest)
}

#[test]
fn a_cordon_on_a_walkway_is_walked_round_as_the_geodesic_predicts() {
    // a cordon of 20 m round (40, 30) for the whole run: from the source's middle (10, 30) to
    // the target's near edge (x = 69): two tangents and the arc between them
    let (r, a, b) = (20.0f64, 30.0f64, 29.0f64);
    let straight = a + b;
    let round =
        (a * a - r * r).sqrt() + (b * b - r * r).sqrt() + r * (std::f64::consts::PI - (r / a).acos() - (r / b).acos());
    let (open, _) = walk("");
    let (detour, nearest) = walk(r#"(at: "10:00", do: Cordon(at: (40, 30), radius: 20))"#);
    let (want, got) = (round / straight, detour / open);
    eprintln!(
        "travel {open:.1} s open, {detour:.1} s round the cordon: x{got:.3} (geodesic {round:.1} m / {straight:.1} m = x{want:.3}); nearest walker {nearest:.2} m from its middle"
    );
    assert!((got / want - 1.0).abs() <= 0.05, "x{got:.3} against x{want:.3}");
    // nobody inside it (the raster closes the cells whose centres lie inside: 0.5 m of slack)
    assert!(nearest >= 19.3, "a walker {nearest} m from the middle of a 20 m cordon");
}

#[test]
fn those_inside_a_cordon_walk_out_and_round_it_and_it_lifts_after_its_for() {
    // closed at 10:01 for 3 minutes, with walkers crossing its middle
    let text = walkway(r#"(at: "10:01", for: 180, do: Cordon(at: (40, 30), radius: 10))"#);
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 5);
    let (mut inside_at_close, mut inside_later, mut inside_after) = (0usize, 0usize, 0usize);
    let mut west_at_close: Vec<f32> = Vec::new();
    let mut in_cordon = 0;
    sim.run_to(f64::INFINITY, |w| {
        let t = w.resource::<cordon::schedule::SimClock>().t();
        let n = common::positions(w)
            .iter()
            .filter(|(_, p)| p.distance(bevy::math::Vec2::new(40.0, 30.0)) < 9.5)
            .count();
        if (60.0..60.05).contains(&t) {
            inside_at_close = n;
            in_cordon = common::positions(w)
                .iter()
                .filter(|(_, p)| p.distance(bevy::math::Vec2::new(40.0, 30.0)) < 10.0)
                .count();
            west_at_close = common::positions(w)
                .iter()
                .filter(|(_, p)| p.x < 30.0)
                .map(|(_, p)| p.x)
                .collect();
        } else if (80.0..240.0).contains(&t) {
            // 10 m out at 1.2 m/s: under 9 s
            inside_later = inside_later.max(n);
        } else if t >= 250.0 {
            inside_after = inside_after.max(n);
        }
    });
    let r = sim.report("test");
    eprintln!("inside at the closing {inside_at_close}, 20 s later {inside_later}, after it lifted {inside_after}");
    assert!(
        inside_at_close > 0,
        "nobody was inside when it closed: the test is too light"
    );
    assert_eq!(inside_later, 0, "someone still inside the cordon 20 s after it closed");
    assert!(inside_after > 0, "nobody walks through once it lifted");
    let fired: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert!(
        fired[0].starts_with("cordon of 10 m round (40, 30) closed;"),
        "{fired:?}"
    );
    assert!(fired[1].contains("open again"), "{fired:?}");
    assert_eq!(r.travel_time_s.count, 30, "everyone arrived");
    // those still west of it walk round it: from a m before its middle to the target's near
    // edge b = 29 m beyond it, two tangents and the arc between them instead of a + b
    let (rad, b) = (10.0f64, 29.0f64);
    let extra = |a: f64| {
        (a * a - rad * rad).sqrt()
            + (b * b - rad * rad).sqrt()
            + rad * (std::f64::consts::PI - (rad / a).acos() - (rad / b).acos())
            - (a + b)
    };
    let want: Vec<f64> = west_at_close.iter().map(|&x| extra(40.0 - f64::from(x))).collect();
    let d = r.timeline[0].detour.as_ref().expect("detours");
    let mean = want.iter().sum::<f64>() / want.len() as f64;
    eprintln!(
        "{} west of it at the closing (predicted +{mean:.2} m on average); {}",
        want.len(),
        r.timeline[0].impact_words()
    );
    assert_eq!(
        d.people as usize,
        want.len(),
        "everyone west of it has a longer way, nobody else"
    );
    // (the raster closes the cells whose centres lie inside: a few tenths of a metre either way)
    assert!(
        (d.mean_m - mean).abs() <= 0.5,
        "+{} m on average, predicted +{mean:.2}",
        d.mean_m
    );
    assert_eq!(
        r.timeline[0].rerouted as usize,
        want.len() + in_cordon,
        "{:?}",
        r.timeline[0]
    );
}

/// A room of 30 m x 10 m with an exit door at each end; 200 people start at its west end and
/// leave for whichever side is quicker.
const ROOM: &str = r#"Scenario(
    name: "two-door-room",
    sim: (dt: 0.1, start: "00:00", end: "00:10", seed: 1, stop_when_empty: true),
    venue: (
        bounds: (min: (-8, -5), max: (38, 15)),
        cell_size: 0.1,
        targets: [(name: "outside", area: Polygons([[(-7, 0), (-4, 0), (-4, 10), (-7, 10)], [(34, 0), (37, 0), (37, 10), (34, 10)]]))],
        sources: [(name: "west-end", area: Polygon([(1, 1), (9, 1), (9, 9), (1, 9)]))],
    ),
    rings: [(name: "room", level: Inner, polygon: [(0, 0), (30, 0), (30, 10), (0, 10)])],
    doors: [
        (name: "west-door", ring: "room", position: (0, 5), width: 1.0),
        (name: "east-door", ring: "room", position: (30, 5), width: 1.0),
    ],
    crowd: [(name: "leavers", source: "west-end", arrivals: Initial(200), destinations: [(target: "outside")])],
    timeline: [TIMELINE],
)"#;

#[test]
fn a_closed_exit_door_lets_nobody_out_and_its_crowd_goes_to_the_other() {
    // (doors passed: west, east; the most heading for the west door between 12 s and 70 s)
    let run = |timeline: &str| {
        let v = common::from_text(&ROOM.replace("TIMELINE", timeline));
        let mut sim = common::sim(&v, 1);
        let mut heading = 0;
        let r = sim.run(|w| {
            let t = w.resource::<cordon::schedule::SimClock>().t();
            if (12.0..70.0).contains(&t) {
                // (not counting whoever is still in its doorway, within 1 m of its line)
                let mut q = w.try_query::<(&Walking, &cordon::crowd::Position)>().unwrap();
                let n = q
                    .iter(w)
                    .filter(|(wk, p)| wk.via == Some(Via::Door(0)) && p.0.x > 1.0)
                    .count();
                heading = heading.max(n);
            }
        });
        let st = sim.world().resource::<CheckpointState>();
        (st.doors[0].clone(), st.doors[1].clone(), r, heading)
    };
    // open: the crowd at the west end shares the doors by expected time (the near one and its
    // queue against the far one)
    let (west, east, _, _) = run("");
    eprintln!("open: {} west, {} east", west.len(), east.len());
    assert!(west.len() >= east.len());
    // the west door shut from 00:00:10 for a minute: nobody through it in that minute, the
    // crowd pressing at it goes east, and once it reopens those still on their way out choose
    // again and it is used again
    let (west, east, r, heading) = run(r#"(at: "00:00:10", for: 60, do: CloseDoor(door: "west-door"))"#);
    assert_eq!(heading, 0, "people chose the shut door");
    // (whoever was in the doorway when it shut goes on through: within 2 s)
    let shut = west.iter().filter(|&&t| (12.0..70.0).contains(&t)).count();
    let after = west.iter().filter(|&&t| t >= 70.0).count();
    eprintln!(
        "west shut 10-70 s: {} west ({shut} while shut, {after} after), {} east; {:?}",
        west.len(),
        east.len(),
        r.timeline.iter().map(|a| a.what.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(shut, 0, "people went out through the shut door");
    assert!(
        east.len() > 60,
        "the crowd did not go to the other door: {}",
        east.len()
    );
    assert!(after > 0, "nobody used the door once it reopened");
    assert_eq!(west.len() + east.len(), 200, "everyone got out");
    assert!(r.timeline[0].what.starts_with("door west-door closed;") && r.timeline[0].rerouted > 0);
    assert!(r.timeline[1].what.starts_with("door west-door reopened"));
    // an unknown door is named
    let e = common::error_of(&ROOM.replace("TIMELINE", r#"(at: "00:00:10", do: CloseDoor(door: "north-door"))"#));
    assert!(
        e.contains("timeline: door \"north-door\" is not defined; known doors: \"west-door\", \"east-door\""),
        "{e}"
    );
}

#[test]
fn a_wait_rule_with_hysteresis_keeps_the_longest_wait_near_its_level() {
    // only east open, 0.4 /s into its 2 lanes (0.25 /s): the wait grows until the rule opens
    // all 4 (0.5 /s), the queue drains until nobody has waited 30 s, and the lanes go back to
    // 2; so on. The longest anyone waits is the level plus at most one screening (a head
    // waiting at the rule's level starts in one of the lanes it opened, or the next to free)
    let text = two_gates(
        r#"(at: "09:00", do: Close(checkpoint: "west")),
           (at: "09:00", do: Lanes(checkpoint: "east", open: 2)),
           (when: WaitAtCheckpoint(checkpoint: "east", above: 120), until: WaitAtCheckpoint(checkpoint: "east", below: 30),
            do: Lanes(checkpoint: "east", open: 4))"#,
    )
    .replace("rate: 0.8", "rate: 0.4");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    let mut longest = 0.0f64;
    sim.run_to(2400.0, |w| {
        let t = w.resource::<cordon::schedule::SimClock>().t_end();
        if let Some(j) = w.resource::<CheckpointState>().queues[1].oldest_joined() {
            longest = longest.max(t - j);
        }
    });
    let r = sim.report("end");
    let fired: Vec<&str> = r
        .timeline
        .iter()
        .filter(|a| a.entry == 3)
        .map(|a| a.what.as_str())
        .collect();
    eprintln!("longest wait seen {longest:.1} s; {fired:#?}");
    assert!(fired.len() >= 3, "the rule did not cycle: {fired:?}");
    // it fires at the first step the head has waited over 120 s: within a step (0.1 s) of it
    let level: f64 = fired[0]
        .strip_prefix("east: 2 → 4 lanes open (longest wait so far at east ")
        .and_then(|x| x.split(' ').next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("{fired:?}"));
    assert!((120.0..=120.11).contains(&level), "fired at a wait of {level} s");
    assert!(fired[1].contains("below 30"), "{fired:?}");
    assert!(longest > 120.0 && longest <= 128.5, "longest wait {longest} s");
    let waits = &sim.world().resource::<CheckpointState>().records[1].waits;
    let max = waits.iter().copied().fold(0.0, f64::max);
    assert!(max <= 128.5, "someone waited {max} s");
}

#[test]
fn an_incident_rule_closes_a_gate_while_an_incident_of_its_kind_is_open() {
    // a suspicious bag at 09:10 inside the fence, a post 10 m off, 5 minutes on scene: west is
    // closed from the step it is seen to be open until the step after it is resolved
    let text = two_gates(
        r#"(when: IncidentOfKind(kind: "bag", above: 0), until: IncidentOfKind(kind: "bag", below: 1),
            do: Close(checkpoint: "west"))"#,
    )
    .replace(
        "    timeline:",
        r#"    responders: [(name: "post", kind: FootPatrol, speed: 2.0, handles: ["bag"], deployment: Post((80, 70)))],
    incidents: [(kind: "bag", rate: At(["09:10"]), location: Hotspots([(80, 60)]), on_scene: Fixed(300))],
    timeline:"#,
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    sim.run_to(2400.0, |_| {});
    let resolved = sim.world().resource::<cordon::incidents::IncidentState>().recs[0]
        .resolved
        .expect("resolved");
    let r = sim.report("end");
    eprintln!("resolved at {resolved} s; {:#?}", r.timeline);
    assert_eq!(r.timeline.len(), 2, "{:?}", r.timeline);
    let (close, reopen) = (&r.timeline[0], &r.timeline[1]);
    assert!(close.what.starts_with("west closed; "), "{close:?}");
    assert!(
        close.what.contains("(open incidents of type bag 1 above 0)"),
        "{close:?}"
    );
    assert!((600.0..=600.2).contains(&close.t_s), "closed at {} s", close.t_s);
    assert!(reopen.undo && reopen.what.starts_with("west reopened"), "{reopen:?}");
    assert!(
        reopen.t_s >= resolved && reopen.t_s <= resolved + 0.2,
        "reopened at {} s, resolved at {resolved}",
        reopen.t_s
    );
    // 5 minutes on scene after a 10 m walk
    assert!(resolved > 900.0 && resolved < 960.0, "{resolved}");
}

/// Where every responder unit stands.
fn unit_positions(w: &bevy::prelude::World) -> Vec<bevy::math::Vec2> {
    let mut q = w
        .try_query::<(&cordon::responders::Unit, &cordon::crowd::Position)>()
        .unwrap();
    q.iter(w).map(|(_, p)| p.0).collect()
}

/// `text` (a `two_gates` scenario) with a reserve of two foot patrols off shift until 10:00 at
/// a post at (80, 90) inside the fence.
fn with_reserve(text: &str) -> String {
    text.replace(
        "    timeline:",
        r#"    responders: [(name: "reserve", kind: FootPatrol, count: 2, speed: 1.5, handles: ["bag"],
                  shift: (from: "10:00", to: "12:00"), deployment: Post((80, 90)))],
    incidents: [(kind: "bag", rate: PerHour(0), location: Hotspots([(80, 60)]), on_scene: Fixed(300))],
    timeline:"#,
    )
}

#[test]
fn a_reserve_deployed_to_a_post_walks_there_goes_on_duty_and_goes_back_after_its_for() {
    // a reserve of two off shift until 10:00 at (80, 90) inside the fence; at 09:05 it is sent
    // to a post at (80, 50) for 10 minutes: on duty at once, there in 40 m / 1.5 m/s = 27 s
    // (the grid's way a little longer), back at its own post (off shift again) after
    let text = with_reserve(&two_gates(
        r#"(at: "09:05", for: 600, do: Deploy(group: "reserve", post: (80, 50)))"#,
    ));
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    let post = bevy::math::Vec2::new(80.0, 50.0);
    let (mut arrived, mut moved_before, mut left_post, mut home) = (None, false, None, None);
    sim.run_to(1300.0, |w| {
        let t = w.resource::<cordon::schedule::SimClock>().t();
        let ps = unit_positions(w);
        if t < 300.0 && ps.iter().any(|p| p.distance(bevy::math::Vec2::new(80.0, 90.0)) > 0.01) {
            moved_before = true;
        }
        if arrived.is_none() && ps.iter().all(|p| p.distance(post) < 0.01) {
            arrived = Some(t);
        }
        if t > 900.0 && left_post.is_none() && ps.iter().all(|p| p.distance(post) > 1.0) {
            left_post = Some(t);
        }
        if t > 900.0 && home.is_none() && ps.iter().all(|p| p.distance(bevy::math::Vec2::new(80.0, 90.0)) < 0.01) {
            home = Some(t);
        }
    });
    let r = sim.report("end");
    let what: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    eprintln!("arrived {arrived:?}, left {left_post:?}; {what:?}");
    assert!(!moved_before, "the reserve moved before it was sent");
    let took = arrived.expect("the reserve never reached its post") - 300.0;
    assert!(
        took >= 40.0 / 1.5 && took <= 40.0 / 1.5 * 1.15,
        "took {took} s for 40 m at 1.5 m/s"
    );
    let left = left_post.expect("the reserve never went back");
    assert!((900.0..902.0).contains(&left), "left the post at {left} s");
    // back at its own post, off shift, as long again
    let back = home.expect("the reserve never got back to its own post") - 900.0;
    assert!(back >= 40.0 / 1.5 && back <= 40.0 / 1.5 * 1.15, "took {back} s back");
    assert_eq!(
        what,
        ["reserve sent to a post at (80, 50)", "reserve back to its deployment"]
    );
}

#[test]
fn a_crowd_held_at_a_line_waits_at_it_and_walks_on_when_released() {
    // the walkway cut across at x = 40 from 10:01 for two minutes: nobody crosses it while held
    // (everyone west of it stays west), those reaching it wait at it, and all arrive after
    let text = walkway(r#"(at: "10:01", for: 120, do: Hold(line: [(40, 0), (40, 60)]))"#);
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 5);
    let mut west_at_hold: Vec<u32> = Vec::new();
    let (mut crossed, mut waiting_max) = (Vec::new(), 0usize);
    sim.run_to(f64::INFINITY, |w| {
        let t = w.resource::<cordon::schedule::SimClock>().t();
        let ps = common::positions(w);
        if (60.0..60.05).contains(&t) {
            // (a walker with its centre within its radius of the line is on it: neither side)
            west_at_hold = ps.iter().filter(|(_, p)| p.x < 39.7).map(|(id, _)| *id).collect();
        } else if (60.05..180.0).contains(&t) {
            for (id, p) in &ps {
                if west_at_hold.contains(id) && p.x >= 40.0 && !crossed.contains(id) {
                    crossed.push(*id);
                }
            }
            waiting_max = waiting_max.max(ps.iter().filter(|(_, p)| (38.0..40.0).contains(&p.x)).count());
        }
    });
    let r = sim.report("test");
    eprintln!(
        "{} west of it at the hold, {} crossed while held, {waiting_max} waiting at it at most",
        west_at_hold.len(),
        crossed.len()
    );
    assert!(
        west_at_hold.len() >= 5,
        "too few walkers to test: {}",
        west_at_hold.len()
    );
    assert!(crossed.is_empty(), "crossed the held line: {crossed:?}");
    assert!(waiting_max >= 5, "nobody waited at the line ({waiting_max})");
    assert_eq!(r.travel_time_s.count, 30, "everyone arrived after the release");
    let what: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    assert_eq!(what, ["crowd held at line 1", "line 1 released"]);
}

#[test]
fn a_surge_on_a_rule_brings_a_surge_only_group_in_batches_from_when_it_fires() {
    // a "metro" group with no arrivals of its own; once east's queue passes 5, three batches
    // of 50 at its source, 100 s apart
    let text = two_gates(
        r#"(when: QueueLength(checkpoint: "east", above: 5), for: 250, do: Surge(group: "metro", count: 50, every: 100))"#,
    )
    .replace(
        "             destinations: [(target: \"hall\")])],",
        "             destinations: [(target: \"hall\")]),\n            (name: \"metro\", source: \"street\", arrivals: Surges, destinations: [(target: \"hall\")])],",
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 3);
    let mut seen: std::collections::BTreeMap<u32, f64> = Default::default();
    sim.run_to(2400.0, |w| {
        let mut q = w.try_query::<&cordon::crowd::Agent>().unwrap();
        for a in q.iter(w) {
            if a.group == 1 {
                seen.entry(a.id).or_insert(a.spawned_at);
            }
        }
    });
    let r = sim.report("end");
    assert_eq!(r.timeline.len(), 1, "{:?}", r.timeline);
    let fired = r.timeline[0].t_s;
    assert!(
        r.timeline[0]
            .what
            .starts_with("metro: batches of 50 every 100 s (queue at east 6 above 5)"),
        "{:?}",
        r.timeline
    );
    let mut batches: std::collections::BTreeMap<i64, usize> = Default::default();
    for &t in seen.values() {
        *batches.entry(((t - fired) / 100.0).round() as i64).or_default() += 1;
    }
    eprintln!("fired at {fired} s; metro arrivals by batch: {batches:?}");
    assert_eq!(batches.into_iter().collect::<Vec<_>>(), [(0, 50), (1, 50), (2, 50)]);
    // each appeared within a few steps of its batch (a source places what fits each step)
    assert!(seen.values().all(|&t| ((t - fired) % 100.0) < 5.0), "late arrivals");
    // a group that only comes in surges must be named by one
    let err = common::error_of(&text.replace("do: Surge(group: \"metro\"", "do: Surge(group: \"visitors\""));
    assert!(err.contains("no Surge names it"), "{err}");
}

#[test]
fn a_metered_exit_door_lets_out_at_most_its_rate_each_minute_and_the_rest_wait_inside_it() {
    // the room's east door shut all along, its west door metered at 30 a minute from 00:00:05
    // for three minutes; the door's capacity is about 1.8 × 1.0 m × 60 = 108 a minute, and the
    // crowd of 200 presses at it
    let run = |timeline: &str| {
        let v = common::from_text(&ROOM.replace("TIMELINE", timeline));
        let mut sim = common::sim(&v, 1);
        let (mut at_door, mut inside_at_180) = (0, 0);
        let r = sim.run(|w| {
            let t = w.resource::<cordon::schedule::SimClock>().t();
            let mut q = w.try_query::<&cordon::checkpoint::systems::DoorWaiting>().unwrap();
            at_door = at_door.max(q.iter(w).count());
            if (t - 180.0).abs() < 0.05 {
                let mut q = w.try_query::<&cordon::crowd::Position>().unwrap();
                inside_at_180 = q.iter(w).filter(|p| p.0.x > 0.0 && p.0.x < 30.0).count();
            }
        });
        let st = sim.world().resource::<CheckpointState>();
        (st.doors[0].clone(), st.doors[1].clone(), r, at_door, inside_at_180)
    };
    let per_minute = |times: &[f64]| -> Vec<usize> {
        (0..10)
            .map(|m| {
                times
                    .iter()
                    .filter(|&&t| t >= 60.0 * m as f64 && t < 60.0 * (m + 1) as f64)
                    .count()
            })
            .collect()
    };
    let shut = r#"(at: "00:00", do: CloseDoor(door: "east-door")), "#;
    let (west0, _, _, none_waiting, _) = run(shut);
    assert_eq!(none_waiting, 0, "somebody waited at an unmetered door");
    let (west, east, r, at_door, inside) = run(&format!(
        r#"{shut}(at: "00:00:05", for: 180, do: MeterDoor(door: "west-door", per_minute: 30))"#
    ));
    let (m0, m) = (per_minute(&west0), per_minute(&west));
    eprintln!(
        "west per minute unmetered {m0:?}, metered 00:00:05-00:03:05 {m:?}; at most {at_door} waiting at the door's opening, {inside} in the room at 00:03; {:?}",
        r.timeline.iter().map(|a| a.what.as_str()).collect::<Vec<_>>()
    );
    assert!(
        m0[0] > 60,
        "the unmetered door lets out {} a minute: the test is too light",
        m0[0]
    );
    for (k, &n) in m.iter().enumerate().take(3).skip(1) {
        assert!(n <= 30, "minute {k}: {n} out through a door metered at 30");
        assert!(n >= 28, "minute {k}: {n} out, the meter is not used while people wait");
    }
    let metered0 = west.iter().filter(|&&t| (5.0..60.0).contains(&t)).count();
    assert!(metered0 <= 30, "00:00:05-00:01: {metered0} out");
    // the rest wait inside, pressing at the door (the first ones held within 1.5 m of it)
    assert!(inside >= 200 - 3 * 30 - 10, "{inside} inside at 00:03");
    assert!(at_door >= 3, "nobody held at the metered door: {at_door}");
    assert_eq!(west.len() + east.len(), 200, "everyone got out");
    assert_eq!(r.timeline[1].what, "door west-door: meter none → 30 /min");
    assert_eq!(r.timeline[2].what, "door west-door: meter 30 /min → none");
    // after it is lifted the waiting go out at the door's own rate again
    let after = west.iter().filter(|&&t| (186.0..216.0).contains(&t)).count();
    assert!(after > 30, "{after} out in the 30 s after the meter was lifted");
    // with both doors open, a door metered from the start sends more to the other one
    let (_, east_open, _, _, _) = run("");
    let (_, east_metered, _, _, _) = run(r#"(at: "00:00", do: MeterDoor(door: "west-door", per_minute: 30))"#);
    eprintln!(
        "east door: {} unmetered, {} with the west door metered",
        east_open.len(),
        east_metered.len()
    );
    assert!(
        east_metered.len() > east_open.len() + 20,
        "the choice of a door ignores its meter"
    );
    // an unknown door is named, a negative meter refused
    let e = common::error_of(&ROOM.replace(
        "TIMELINE",
        r#"(at: "00:00:10", do: MeterDoor(door: "north-door", per_minute: 10))"#,
    ));
    assert!(e.contains("timeline: door \"north-door\" is not defined"), "{e}");
    let e = common::error_of(&ROOM.replace(
        "TIMELINE",
        r#"(at: "00:00:10", do: MeterDoor(door: "west-door", per_minute: -1))"#,
    ));
    assert!(e.contains("a meter is persons a minute, 0 or more, got -1"), "{e}");
}

#[test]
fn a_metered_source_lets_out_at_most_its_rate_each_minute_and_the_rest_wait_in_it() {
    // 0.8 /s (48 a minute) arrive at the street; metered at 30 a minute 09:05-09:15
    let text = two_gates(r#"(at: "09:05", for: 600, do: MeterSource(source: "street", per_minute: 30))"#);
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let mut placed = [0u64; 40];
    let mut waiting = [0u64; 40];
    let mut last = 0;
    sim.run_to(2400.0, |w| {
        let clock = w.resource::<cordon::schedule::SimClock>();
        let m = ((clock.t_end() - 1e-9) / 60.0).floor() as usize;
        let spawned = w.resource::<cordon::crowd::CrowdCounters>().spawned;
        if m < 40 {
            placed[m] += spawned - last;
            waiting[m] = waiting[m].max(w.resource::<cordon::crowd::ArrivalQueue>().total_waiting());
        }
        last = spawned;
    });
    eprintln!("placed per minute {placed:?}; most waiting in the source per minute {waiting:?}");
    for m in 5..15 {
        assert!(
            placed[m] <= 30,
            "09:{m:02}: {} came out of a source metered at 30",
            placed[m]
        );
        // (from 09:06 on people wait in it all the time)
        assert!(
            m == 5 || placed[m] >= 29,
            "09:{m:02}: {} came out while people waited",
            placed[m]
        );
    }
    // 18 a minute more arrive than it lets out: about 180 wait in it at 09:15
    assert!((140..=220).contains(&waiting[14]), "{} waiting at 09:14", waiting[14]);
    assert!(
        placed[15] > 48,
        "the waiting did not come out once it was lifted: {}",
        placed[15]
    );
    assert_eq!(waiting[39], 0, "people left waiting in the source");
    let r = sim.report("end");
    let what: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    assert_eq!(
        what,
        [
            "source street: meter none → 30 /min",
            "source street: meter 30 /min → none"
        ]
    );
    let e = common::error_of(&two_gates(
        r#"(at: "09:05", do: MeterSource(source: "metro", per_minute: 30))"#,
    ));
    assert!(
        e.contains("source \"metro\" is not defined; known sources: \"street\""),
        "{e}"
    );
}

#[test]
fn a_cordon_with_a_guard_ties_its_units_up_at_its_edge_until_it_lifts() {
    // the reserve of the test above guards an 8 m cordon round (80, 60) from 09:05 for 10
    // minutes: it stands 2 m outside the edge on its own side, at (80, 70), 20 m from its post
    let text = with_reserve(&two_gates(
        r#"(at: "09:05", for: 600, do: Cordon(at: (80, 60), radius: 8, guard: "reserve"))"#,
    ));
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let post = bevy::math::Vec2::new(80.0, 70.0);
    let (mut arrived, mut home) = (None, None);
    sim.run_to(1300.0, |w| {
        let t = w.resource::<cordon::schedule::SimClock>().t();
        let ps = unit_positions(w);
        if arrived.is_none() && ps.iter().all(|p| p.distance(post) < 0.01) {
            arrived = Some(t);
        }
        if t > 900.0 && home.is_none() && ps.iter().all(|p| p.distance(bevy::math::Vec2::new(80.0, 90.0)) < 0.01) {
            home = Some(t);
        }
    });
    let r = sim.report("end");
    let what: Vec<&str> = r.timeline.iter().map(|a| a.what.as_str()).collect();
    eprintln!("arrived {arrived:?}, home {home:?}; {what:?}");
    let took = arrived.expect("the guard never reached the cordon") - 300.0;
    assert!(
        (20.0 / 1.5..=20.0 / 1.5 * 1.15).contains(&took),
        "took {took} s for 20 m"
    );
    assert!(
        home.is_some_and(|h| h > 900.0),
        "the guard did not go back when it lifted"
    );
    assert!(
        what[0].ends_with("sent out; reserve sent to a post at (80, 70)"),
        "{what:?}"
    );
    assert!(
        what[1].ends_with("open again; reserve back to its deployment"),
        "{what:?}"
    );
    // a guard that is not a responder group is named
    let e = common::error_of(&two_gates(
        r#"(at: "09:05", do: Cordon(at: (80, 60), radius: 8, guard: "police"))"#,
    ));
    assert!(e.contains("responder group \"police\" is not defined"), "{e}");
    // at a zone: the nearest point of its edge, 2 m out, from a post outside it or inside it
    let zone = cordon::venue::Shape::polygon(
        [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
            .map(|(x, y)| bevy::math::Vec2::new(x, y))
            .to_vec(),
    );
    let at = |x: f32, y: f32| cordon::contingency::guard_post(&zone, bevy::math::Vec2::new(x, y));
    assert_eq!(at(20.0, 5.0), bevy::math::Vec2::new(12.0, 5.0));
    assert_eq!(at(2.0, 5.0), bevy::math::Vec2::new(-2.0, 5.0));
    assert_eq!(at(5.0, -7.0), bevy::math::Vec2::new(5.0, -2.0));
}

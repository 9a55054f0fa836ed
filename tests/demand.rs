//! A scenario's `demand` against its own numbers: the arrivals it generates per source and clock
//! hour are Poisson counts round attendance × shares (tested cell by cell and by a chi-square
//! over all of them), `scale` multiplies them, the generated groups run exactly as the same
//! groups written by hand, and bad demands are named with line and column.

mod common;

use cordon::crowd::ArrivalQueue;

/// An open 100 m square with three sources and a hall; `DEMAND` is spliced in.
const SITE: &str = r#"Scenario(
    name: "demand-site",
    sim: (dt: 0.1, start: "09:00", end: "11:00", seed: 1),
    venue: (
        bounds: (min: (0, 0), max: (100, 100)),
        sources: [
            (name: "metro-a", area: Polygon([(2, 2), (12, 2), (12, 12), (2, 12)])),
            (name: "metro-b", area: Polygon([(88, 2), (98, 2), (98, 12), (88, 12)])),
            (name: "bus", area: Polygon([(45, 2), (55, 2), (55, 12), (45, 12)])),
        ],
        targets: [(name: "hall", area: Polygon([(40, 85), (60, 85), (60, 95), (40, 95)]))],
    ),
    DEMAND
)"#;

/// 7,200 visitors, a quarter in the first hour and three quarters in the second; three
/// quarters by metro (a quarter of them at metro-a, the rest at metro-b), a quarter by bus.
const DEMAND: &str = r#"demand: (
        attendance: 7200,
        scale: 1,
        profile: Windows([(from: "09:00", to: "10:00", share: 1), (from: "10:00", to: "11:00", share: 3)]),
        modes: [
            (name: "metro", share: 3, sources: [(source: "metro-a", weight: 1), (source: "metro-b", weight: 3)]),
            (name: "bus", share: 1, sources: [(source: "bus")]),
        ],
        destinations: [(target: "hall")],
    ),"#;

/// The same crowd written by hand: persons per second = persons in the hour / 3600.
const BY_HAND: &str = r#"crowd: [
        (name: "metro-a", source: "metro-a", destinations: [(target: "hall")],
         arrivals: Rates([(from: "09:00", to: "10:00", rate: 0.09375), (from: "10:00", to: "11:00", rate: 0.28125)])),
        (name: "metro-b", source: "metro-b", destinations: [(target: "hall")],
         arrivals: Rates([(from: "09:00", to: "10:00", rate: 0.28125), (from: "10:00", to: "11:00", rate: 0.84375)])),
        (name: "bus", source: "bus", destinations: [(target: "hall")],
         arrivals: Rates([(from: "09:00", to: "10:00", rate: 0.125), (from: "10:00", to: "11:00", rate: 0.375)])),
    ],"#;

/// Generated arrivals per group (in file order) and hour of the run.
fn counts(text: &str, seed: u64) -> (Vec<String>, Vec<[f64; 2]>) {
    let v = common::from_text(text);
    let names = v.scenario.crowd.iter().map(|g| g.name.clone()).collect();
    let sim = common::sim(&v, seed);
    let q = sim.world().resource::<ArrivalQueue>();
    let c = q
        .times
        .iter()
        .map(|ts| {
            let mut h = [0.0; 2];
            for &t in ts {
                h[usize::from(t >= 3600.0)] += 1.0;
            }
            h
        })
        .collect();
    (names, c)
}

/// Cell by cell within 4 sd of Poisson, and a chi-square over the six cells under its 0.999
/// quantile (22.46 for 6 degrees of freedom).
fn assert_poisson(got: &[[f64; 2]], want: &[[f64; 2]]) {
    let mut chi2 = 0.0;
    for (g, w) in got.iter().zip(want) {
        for h in 0..2 {
            let z = (g[h] - w[h]) / w[h].sqrt();
            assert!(
                z.abs() < 4.0,
                "{} arrivals where {} are expected (z = {z:.2})",
                g[h],
                w[h]
            );
            chi2 += (g[h] - w[h]).powi(2) / w[h];
        }
    }
    eprintln!("chi-square {chi2:.2} over 6 cells");
    assert!(chi2 < 22.46, "chi-square {chi2:.2} over 6 cells");
}

#[test]
fn generated_arrivals_per_source_and_hour_are_the_demands_numbers() {
    let text = SITE.replace("DEMAND", DEMAND);
    let (names, got) = counts(&text, 7);
    assert_eq!(names, ["metro-a", "metro-b", "bus"]);
    // metro-a: 7200 × 3/4 × 1/4 = 1350, metro-b 4050, bus 1800; a quarter in the first hour
    let want = [[337.5, 1012.5], [1012.5, 3037.5], [450.0, 1350.0]];
    eprintln!("generated per source and hour {got:?}, expected {want:?}");
    assert_poisson(&got, &want);
    // scale 2 doubles every number
    let (_, got2) = counts(&text.replace("scale: 1", "scale: 2"), 7);
    let want2: Vec<[f64; 2]> = want.iter().map(|w| [w[0] * 2.0, w[1] * 2.0]).collect();
    eprintln!("scale 2: {got2:?}");
    assert_poisson(&got2, &want2);
    let total = |c: &[[f64; 2]]| c.iter().map(|x| x[0] + x[1]).sum::<f64>();
    let ratio = total(&got2) / total(&got);
    assert!((ratio - 2.0).abs() < 0.06, "scale 2 gives {ratio} times as many");
    // what `cordon check` prints: the expected totals
    let v = common::from_text(&text);
    let s = v.demand.expect("a summary of the demand");
    eprintln!("{s}");
    assert!(
        s.starts_with("demand: 7,200 visitors (attendance 7,200 × scale 1) in 3 generated groups"),
        "{s}"
    );
    assert!(s.contains("by hour:   09:00 1,800 | 10:00 5,400"), "{s}");
    assert!(
        s.contains("by source: metro-a 1,350 | metro-b 4,050 | bus 1,800"),
        "{s}"
    );
}

#[test]
fn a_demand_runs_exactly_as_the_same_groups_written_by_hand() {
    let run = |text: &str| {
        let v = common::from_text(text);
        let mut sim = common::sim(&v, 3);
        sim.run_to(900.0, |_| {});
        serde_json::to_string(&sim.report("t")).unwrap()
    };
    let generated = run(&SITE.replace("DEMAND", DEMAND));
    let by_hand = run(&SITE.replace("DEMAND", BY_HAND));
    let report: serde_json::Value = serde_json::from_str(&generated).unwrap();
    let spawned = report["totals"]["spawned"].as_u64().unwrap();
    eprintln!("{spawned} spawned in the first 15 minutes (450 expected)");
    assert!(spawned > 350, "{spawned} spawned");
    assert_eq!(
        generated, by_hand,
        "the demand's groups run differently from the same groups by hand"
    );
}

#[test]
fn classes_have_their_own_profile_stay_and_exit_and_a_peak_profile_peaks_where_it_says() {
    // a morning class on a bell curve round 09:30 (15 min spread) and an afternoon class
    // from 10:00, each leaving by its mode's own exit
    let demand = r#"demand: (
        attendance: 4000,
        profile: Peak(peak: "09:30", spread: 900, from: "09:00", to: "10:00"),
        modes: [(name: "metro", share: 1, sources: [(source: "metro-a", exit: "hall"), (source: "metro-b")])],
        classes: [
            (name: "am", share: 3, dwell: Fixed(600)),
            (name: "pm", share: 1, profile: Windows([(from: "10:00", to: "11:00", share: 1)]), leave_at: "10:50"),
        ],
        destinations: [(target: "hall")],
    ),"#;
    let v = common::from_text(&SITE.replace("DEMAND", demand));
    let names: Vec<&str> = v.scenario.crowd.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["metro-a.am", "metro-b.am", "metro-a.pm", "metro-b.pm"]);
    let g = &v.scenario.crowd;
    assert_eq!(g[0].exits.len(), 1);
    assert_eq!(g[0].exits[0].target, "hall");
    assert!(g[1].exits.is_empty());
    assert_eq!(g[0].dwell, Some(cordon::scenario::model::Distribution::Fixed(600.0)));
    assert_eq!(g[2].leave_at.map(|t| t.0), Some(10.0 * 3600.0 + 50.0 * 60.0));
    // the bell curve in 15-minute steps: symmetric round 09:30, ±1 sd holding 68% of it
    let cordon::scenario::model::Arrivals::Rates(steps) = &g[0].arrivals else {
        panic!("rates")
    };
    let persons: Vec<f64> = steps.iter().map(|s| s.rate * (s.to.0 - s.from.0)).collect();
    eprintln!("metro-a, am, per quarter hour: {persons:?}");
    assert_eq!(persons.len(), 4);
    assert!((persons[1] - persons[2]).abs() < 1e-6 && (persons[0] - persons[3]).abs() < 1e-6);
    // (the curve cut at ±2 sd: 0.6827 / 0.9545 of it within ±1 sd)
    let inner = (persons[1] + persons[2]) / persons.iter().sum::<f64>();
    assert!((inner - 0.6827 / 0.9545).abs() < 0.002, "{inner}");
    // 4000 × 3/4 × 1/2 for metro-a's morning class
    assert!((persons.iter().sum::<f64>() - 1500.0).abs() < 1e-6);
}

#[test]
fn bad_demands_are_named_with_line_and_column() {
    let bad = |from: &str, to: &str| common::error_of(&SITE.replace("DEMAND", &DEMAND.replace(from, to)));
    let e = bad("(source: \"bus\")", "(source: \"tram\")");
    assert!(
        e.contains(
            "demand: mode \"bus\": source \"tram\" is not defined; known sources: \"metro-a\", \"metro-b\", \"bus\""
        ),
        "{e}"
    );
    assert!(e.contains("t.ron:"), "no line and column: {e}");
    let e = bad("(name: \"bus\", share: 1", "(name: \"bus\", share: 0");
    assert!(e.contains("demand: mode \"bus\": share must be above 0, got 0"), "{e}");
    let e = bad("attendance: 7200", "attendance: -5");
    assert!(e.contains("demand: attendance must be above 0"), "{e}");
    let e = bad(
        "share: 1), (from: \"10:00\", to: \"11:00\", share: 3)",
        "share: 0), (from: \"10:00\", to: \"11:00\", share: 0)",
    );
    assert!(e.contains("the profile's shares add up to nothing"), "{e}");
    let e = bad("(from: \"09:00\", to: \"10:00\"", "(from: \"10:00\", to: \"09:00\"");
    assert!(
        e.contains("a window must end after it starts (10:00:00 to 09:00:00)"),
        "{e}"
    );
    let e = bad(
        "(name: \"bus\", share: 1, sources: [(source: \"bus\")])",
        "(name: \"metro\", share: 1, sources: [(source: \"bus\")])",
    );
    assert!(e.contains("demand: mode \"metro\" is given twice"), "{e}");
    // a group by hand with a generated group's name clashes with it
    let e = common::error_of(&SITE.replace(
        "DEMAND",
        &format!(
            "{DEMAND}\n    crowd: [(name: \"bus\", source: \"bus\", destinations: [(target: \"hall\")], arrivals: Initial(1))],"
        ),
    ));
    assert!(e.contains("\"bus\""), "{e}");
}

#[test]
fn demand_fields_are_batch_paths() {
    // `--set demand.scale=2` and `--sweep demand.modes[1].share=...` address the demand
    let text = SITE.replace("DEMAND", DEMAND);
    let sc = cordon::scenario::parse_str(&text, "<t>").unwrap_or_else(|e| panic!("{e}"));
    let doc = cordon::batch::to_doc(&sc).unwrap_or_else(|e| panic!("{e}"));
    let changes: Vec<(String, serde_json::Value)> = [("demand.scale", "2"), ("demand.modes[1].share", "3")]
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
    // bus now half the visitors: 14,400 × 1/2 at the bus stop, a quarter of that first
    let bus = v
        .scenario
        .crowd
        .iter()
        .find(|g| g.name == "bus")
        .expect("the bus group");
    let cordon::scenario::model::Arrivals::Rates(steps) = &bus.arrivals else {
        panic!("rates")
    };
    assert_eq!(steps[0].rate * 3600.0, 14400.0 * 0.5 * 0.25);
    assert!(
        v.demand
            .as_deref()
            .is_some_and(|s| s.starts_with("demand: 14,400 visitors"))
    );
}

#[test]
fn a_mode_with_trains_brings_its_visitors_in_batches_every_headway() {
    // the metro as trains every 180 s: 40 trains over the two hours, each a Poisson number of
    // riders round the rate × 180 s; the totals per source and hour as without trains
    let text = SITE.replace(
        "DEMAND",
        &DEMAND.replace("(name: \"metro\", share: 3,", "(name: \"metro\", share: 3, every: 180,"),
    );
    let (names, got) = counts(&text, 7);
    assert_eq!(names, ["metro-a", "metro-b", "bus"]);
    let want = [[337.5, 1012.5], [1012.5, 3037.5], [450.0, 1350.0]];
    eprintln!("with trains: {got:?}");
    assert_poisson(&got, &want);
    let v = common::from_text(&text);
    let sim = common::sim(&v, 7);
    let q = sim.world().resource::<ArrivalQueue>();
    let mut trains: Vec<f64> = q.times[1].clone();
    trains.dedup();
    assert_eq!(trains.len(), 40, "{trains:?}");
    assert!(
        trains.iter().enumerate().all(|(k, &t)| t == 180.0 * k as f64),
        "{trains:?}"
    );
    // riders per train at metro-b in the second hour: mean 0.84375 × 180 = 151.9
    let second: Vec<usize> = trains[20..]
        .iter()
        .map(|&t| q.times[1].iter().filter(|&&x| x == t).count())
        .collect();
    let mean = second.iter().sum::<usize>() as f64 / second.len() as f64;
    eprintln!("riders per train, second hour: {second:?} (mean {mean:.1})");
    assert!((mean - 151.875).abs() < 4.0 * (151.875f64 / 20.0).sqrt(), "{mean}");
    // the bus comes one by one still
    let mut bus = q.times[2].clone();
    bus.dedup();
    assert!(bus.len() > 1000);
    // a headway under a second is refused
    let e = common::error_of(&text.replace("every: 180,", "every: 0.5,"));
    assert!(
        e.contains("demand: mode \"metro\": `every` must be 1 s or more, got 0.5"),
        "{e}"
    );
}

#[test]
fn too_many_batches_are_refused_before_any_is_drawn() {
    // 20 week-long steps of a batch a second: 12,096,000 batches (a draw each), over the limit
    let steps = vec!["(from: 0, to: 604800, rate: 0.000001)"; 20].join(", ");
    let text = SITE.replace(
        "DEMAND",
        &format!(
            "crowd: [(name: \"trains\", source: \"metro-a\", destinations: [(target: \"hall\")], arrivals: Batches(every: 1, rates: [{steps}]))],"
        ),
    );
    let e = common::error_of(&text);
    assert!(
        e.contains("the crowd groups' Batches make 12096000 batches in all; the limit is 10000000"),
        "{e}"
    );
}

#[test]
fn stays_split_a_class_by_arrival_time_and_threats_name_a_class() {
    // the morning's arrivals (before 10:30) stay 20 minutes, the rest until 10:55 plus up to
    // 5 minutes; the profile is cut at 10:30, inside its second window, in proportion
    let demand = r#"demand: (
        attendance: 7200,
        profile: Windows([(from: "09:00", to: "10:00", share: 1), (from: "10:00", to: "11:00", share: 3)]),
        modes: [(name: "metro", share: 1, sources: [(source: "metro-a"), (source: "metro-b")])],
        classes: [
            (name: "public", share: 3, stays: [
                (name: "am", before: "10:30", dwell: Fixed(1200)),
                (name: "pm", leave_at: "10:55", dwell: Uniform(min: 0, max: 300)),
            ]),
            (name: "staff", share: 1, profile: Windows([(from: "09:00", to: "09:30", share: 1)]), dwell: Fixed(3000)),
        ],
        destinations: [(target: "hall")],
    ),
    threats: [(item: "knife", carriers: [(class: "public", fraction: 0.01), (group: "metro-b.public.pm", fraction: 0.02)])],"#;
    let v = common::from_text(&SITE.replace("DEMAND", demand));
    let g = &v.scenario.crowd;
    let names: Vec<&str> = g.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "metro-a.public.am",
            "metro-b.public.am",
            "metro-a.public.pm",
            "metro-b.public.pm",
            "metro-a.staff",
            "metro-b.staff"
        ]
    );
    let persons = |i: usize| -> Vec<(f64, f64, f64)> {
        let cordon::scenario::model::Arrivals::Rates(steps) = &g[i].arrivals else {
            panic!("rates")
        };
        steps
            .iter()
            .map(|s| (s.from.0, s.to.0, s.rate * (s.to.0 - s.from.0)))
            .collect()
    };
    // metro-a's public: 7200 × 3/4 × 1/2 = 2700; a quarter (675) in 09-10, 2025 in 10-11, half
    // of which (1012.5) before 10:30
    let am = persons(0);
    assert_eq!(am.len(), 2);
    assert!(
        (am[0].2 - 675.0).abs() < 1e-6 && (am[1].2 - 1012.5).abs() < 1e-6,
        "{am:?}"
    );
    assert_eq!((am[1].0, am[1].1), (36000.0, 37800.0));
    let pm = persons(2);
    assert_eq!(pm.len(), 1);
    assert!(
        (pm[0].2 - 1012.5).abs() < 1e-6 && pm[0].0 == 37800.0 && pm[0].1 == 39600.0,
        "{pm:?}"
    );
    assert_eq!(g[0].dwell, Some(cordon::scenario::model::Distribution::Fixed(1200.0)));
    assert_eq!(g[0].leave_at, None);
    assert_eq!(g[2].leave_at.map(|t| t.0), Some(10.0 * 3600.0 + 55.0 * 60.0));
    assert_eq!(g[4].dwell, Some(cordon::scenario::model::Distribution::Fixed(3000.0)));
    assert!(g.iter().take(4).all(|g| g.class.as_deref() == Some("public")));
    // the threat: every public group carries at 1%, metro-b's afternoon at 2%, staff not at all
    let c = &v.venue.security.carriers[0];
    assert_eq!(c, &[0.01, 0.01, 0.01, 0.02, 0.0, 0.0]);
    // bad stays are named
    let bad = |from: &str, to: &str| common::error_of(&SITE.replace("DEMAND", &demand.replace(from, to)));
    let e = bad("(name: \"am\", before: \"10:30\",", "(name: \"am\",");
    assert!(e.contains("stay \"am\" needs `before`"), "{e}");
    let e = bad("(name: \"pm\", leave_at", "(name: \"pm\", before: \"10:00\", leave_at");
    assert!(
        e.contains("the last stay \"pm\" takes everyone after the one before it"),
        "{e}"
    );
    let e = bad("(name: \"pm\"", "(name: \"am\"");
    assert!(e.contains("stay \"am\" is given twice"), "{e}");
    let e = bad("share: 3, stays", "share: 3, dwell: Fixed(5), stays");
    assert!(e.contains("give `stays` or `dwell`/`leave_at`, not both"), "{e}");
    let e = bad("(class: \"public\"", "(class: \"vip\"");
    assert!(
        e.contains("threat \"knife\": no crowd group has class \"vip\"; known classes: \"public\", \"staff\""),
        "{e}"
    );
    let e = bad(
        "(class: \"public\", fraction",
        "(class: \"public\", group: \"metro-a.staff\", fraction",
    );
    assert!(e.contains("names a `group` or a `class`, not both"), "{e}");
}

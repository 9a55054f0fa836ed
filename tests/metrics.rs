//! Metrics measure what is there: a known packing gives the known cell density, Fruin level and
//! critical-density episode; the time series adds up.

mod common;

use cordon::metrics::fruin_level;

#[test]
fn fruin_levels_follow_area_per_person() {
    // A ≥ 3.25, B ≥ 2.32, C ≥ 1.39, D ≥ 0.93, E ≥ 0.46, F below (m²/person)
    assert_eq!(fruin_level(0.0), 0);
    assert_eq!(fruin_level(1.0 / 3.3), 0);
    assert_eq!(fruin_level(1.0 / 2.4), 1);
    assert_eq!(fruin_level(1.0 / 1.5), 2);
    assert_eq!(fruin_level(1.0 / 1.0), 3);
    assert_eq!(fruin_level(1.0 / 0.5), 4);
    assert_eq!(fruin_level(4.0), 5);
}

#[test]
fn packed_cell_gives_its_density_level_and_an_episode() {
    // 25 agents (r 0.15) on a 0.3 m lattice inside the 2 x 2 m cell x 10..12, y 10..12:
    // 25 / 4 m² = 6.25 persons/m². They walk slowly (0.05 m/s) so the cell stays packed.
    let mut pts = String::new();
    for i in 0..5 {
        for k in 0..5 {
            pts += &format!("({}, {}),", 10.4 + 0.3 * i as f64, 10.4 + 0.3 * k as f64);
        }
    }
    let text = format!(
        r#"Scenario(
    name: "packed",
    sim: (dt: 0.05, start: 0, end: 5),
    venue: (
        bounds: (min: (0, 0), max: (40, 40)),
        zones: [(name: "square", polygon: [(8, 8), (14, 8), (14, 14), (8, 14)]), (name: "far", polygon: [(30, 30), (38, 30), (38, 38), (30, 38)])],
        sources: [(name: "s", area: Point((11, 11)))],
        targets: [(name: "t", area: Polygon([(38, 0), (40, 0), (40, 40), (38, 40)]))],
    ),
    crowd: [(name: "g", source: "s", arrivals: Positions([{pts}]), destinations: [(target: "t")], speed: Fixed(0.05), radius: 0.15)],
    metrics: (density_interval: 1.0, series_interval: 1.0),
)"#
    );
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 1);
    let r = sim.run(|_| {});
    let sq = &r.zones[0];
    assert_eq!(sq.name, "square");
    assert!((sq.peak_density - 6.25).abs() < 1e-9, "peak {}", sq.peak_density);
    assert_eq!(sq.peak_los, "F");
    assert!((sq.critical_s - 5.0).abs() < 1e-9, "critical seconds {}", sq.critical_s);
    // zone mean density: 25 persons over the zone's cells (9 cells of 4 m²)
    assert!((sq.mean_density - 25.0 / 36.0).abs() < 1e-3, "mean {}", sq.mean_density);
    assert_eq!(r.zones[1].peak_density, 0.0);
    assert!((r.zones[1].los_s.a - 5.0).abs() < 1e-9);
    assert_eq!(r.critical_density.episodes_total, 1);
    let e = &r.critical_density.episodes[0];
    assert_eq!((e.x, e.y), (11.0, 11.0));
    assert_eq!(e.zones, vec!["square".to_string()]);
    assert!((e.peak_density - 6.25).abs() < 1e-9);
    // the series: one row per second, everyone present, nobody spawned twice
    assert_eq!(r.series.len(), 5);
    assert!(
        r.series
            .iter()
            .all(|row| row.spawned == 25 && row.present == 25 && row.exited == 0)
    );
}

#[test]
fn timeseries_csv_has_a_row_per_sample_and_a_column_per_zone_and_checkpoint() {
    let v = common::load("three_rings.ron");
    let r = common::sim(&v, 11).run(|_| {});
    let csv = cordon::report::csv::timeseries(&r);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), r.series.len() + 1);
    let head: Vec<&str> = lines[0].split(',').collect();
    assert!(
        head.contains(&"density_hall") && head.contains(&"queue_outer-gate") && head.contains(&"queue_hall-gate"),
        "{head:?}"
    );
    for l in &lines[1..] {
        assert_eq!(l.split(',').count(), head.len(), "ragged row: {l}");
    }
    // the headcount columns are the report's series
    let present = head.iter().position(|h| *h == "present").unwrap_or(0);
    for (l, row) in lines[1..].iter().zip(&r.series) {
        assert_eq!(l.split(',').nth(present), Some(row.present.to_string().as_str()));
    }
}

#[test]
fn a_standing_crowd_packs_the_square_and_leaves_at_the_end() {
    let text = r#"Scenario(
    name: "stand",
    sim: (dt: 0.05, start: "23:50", end: "24:10"),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        zones: [(name: "middle", polygon: [(25, 15), (35, 15), (35, 25), (25, 25)])],
        sources: [(name: "street", area: Polygon([(1, 1), (59, 1), (59, 4), (1, 4)]))],
        targets: [
            (name: "square", area: Polygon([(15, 10), (45, 10), (45, 35), (15, 35)])),
            (name: "out", area: Polygon([(0.2, 0.2), (59.8, 0.2), (59.8, 0.8), (0.2, 0.8)])),
        ],
    ),
    crowd: [(name: "c", source: "street", arrivals: Count(count: 600, from: "23:50", to: "23:55"),
             destinations: [(target: "square")], stand: true, leave_at: "24:00", exits: [(target: "out")])],
    metrics: (series_interval: 60.0),
)"#;
    let v = common::from_text(text);
    let mut sim = common::sim(&v, 3);
    // at 23:59 everyone is standing in the square, packed towards its middle
    sim.run_to(540.0, |_| {});
    let w = sim.world_mut();
    let standing = w
        .query_filtered::<&cordon::crowd::Position, bevy::prelude::With<cordon::crowd::Standing>>()
        .iter(w)
        .count();
    // a few late-comers stay pushing at the edge of the packed crowd
    assert!(standing >= 570, "almost everyone should stand by 23:59, got {standing}");
    let r = sim.run(|_| {});
    let middle = &r.zones[0];
    assert!(
        middle.peak_density > 2.0,
        "the middle should fill up: {}",
        middle.peak_density
    );
    // and at 00:00 the standing crowd leaves
    assert!(r.totals.exited >= 570, "{:?}", r.totals);
    assert!(r.time_in_venue_s.p50 > 300.0);
}

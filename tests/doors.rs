//! Exit doors: openings in a ring that people walk out through (never in), whose flow at
//! capacity is set by their width and the crowd model.

mod common;

use cordon::checkpoint::CheckpointState;
use cordon::crowd::{Agent, Position};
use cordon::venue::Venue;

/// Times people came out of the exit-door hall's door, `width` m wide, on a raster of `cell`
/// m, stepping `dt` s.
fn pass_times(width: f64, cell: f64, dt: f64, seed: u64) -> Vec<f64> {
    let text = std::fs::read_to_string(common::scenario_path("exit_door.ron")).unwrap();
    let text = text
        .replace("width: 1.2)", &format!("width: {width})"))
        .replace("dt: 0.1,", &format!("dt: {dt},"))
        .replace("cell_size: 0.1,", &format!("cell_size: {cell},"));
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, seed);
    sim.run_to(f64::INFINITY, |_| {});
    sim.world().resource::<CheckpointState>().doors[0].clone()
}

/// Flow between the 10% and the 90% passage, persons/s.
fn steady(times: &[f64]) -> f64 {
    let n = times.len();
    let (a, b) = (n / 10, n * 9 / 10);
    (b - a) as f64 / (times[b] - times[a])
}

/// The flow through an exit door at capacity is set by its width: per metre of width it lies
/// in the measured range for bottlenecks (Kretz et al. 2006, Seyfried et al. 2009: about
/// 1.7–2.0 persons/(m·s); the Green Guide's 82 /(m·min) = 1.37 is a design value below it),
/// a door twice as wide passes about twice as many, and nobody is left behind. At the 0.1 s
/// step the Import Expo uses, on the fine raster of the validation scenes and on the Import
/// Expo's 1 m raster.
#[test]
fn exit_door_flow_is_set_by_its_width() {
    for cell in [0.1, 1.0] {
        let mut flows = Vec::new();
        for width in [1.2, 2.4] {
            let mut sum = 0.0;
            for seed in 1..=3 {
                let t = pass_times(width, cell, 0.1, seed);
                let j = steady(&t);
                eprintln!(
                    "cell {cell} m, door {width} m, seed {seed}: {} out, {j:.3} /s = {:.3} /(m·s)",
                    t.len(),
                    j / width
                );
                assert_eq!(
                    t.len(),
                    300,
                    "cell {cell}, door {width} m, seed {seed}: {} of 300 came out",
                    t.len()
                );
                assert!(
                    (1.6..=2.1).contains(&(j / width)),
                    "cell {cell}, door {width} m, seed {seed}: {:.3} persons/(m·s)",
                    j / width
                );
                sum += j;
            }
            flows.push(sum / 3.0);
        }
        let ratio = flows[1] / flows[0];
        assert!(
            (1.8..=2.3).contains(&ratio),
            "cell {cell}: the 2.4 m door passes {ratio:.2} times the 1.2 m door"
        );
    }
}

/// A hall with a screening checkpoint on its south side and an exit door on its east side,
/// visitors arriving from the east (the door is nearer than the checkpoint), staying a minute
/// and leaving the way they came.
const HALL: &str = r#"Scenario(
    name: "door-hall",
    sim: (dt: 0.05, start: "09:00", end: "09:12", seed: 3),
    venue: (
        bounds: (min: (0, 0), max: (60, 40)),
        cell_size: 0.25,
        sources: [(name: "east", area: Polygon([(55, 15), (59, 15), (59, 25), (55, 25)]))],
        targets: [
            (name: "stand", area: Polygon([(15, 15), (25, 15), (25, 25), (15, 25)])),
            (name: "away", area: Polygon([(55, 15), (59, 15), (59, 25), (55, 25)])),
        ],
    ),
    crowd: [(name: "visitors", source: "east", arrivals: Rates([(from: "09:00", to: "09:04", rate: 1.0)]),
             destinations: [(target: "stand")], exits: [(target: "away")], dwell: Some(Fixed(60)))],
    rings: [(name: "hall", level: Inner, polygon: [(10, 10.5), (30, 10.5), (30, 30.5), (10, 30.5)])],
    checkpoints: [(name: "south-gate", ring: "hall", position: (20, 10.5), lanes: 2, service: Fixed(2.0), exit: 0)],
    doors: [(name: "east-door", ring: "hall", position: (30, 20), width: 1.5)],
)"#;

/// Exit-only: nobody comes into the hall through its door (everyone inside was screened),
/// everyone leaves through it (the checkpoint has no exit), and the report counts them there.
#[test]
fn nobody_comes_in_through_an_exit_door_and_leavers_use_it() {
    let v = common::from_text(HALL);
    let mut sim = common::sim(&v, 3);
    let ring = v.venue.security.rings[0].clone();
    let mut inside_unscreened = 0u64;
    let mut seen_inside = 0u64;
    sim.run_to(f64::INFINITY, |w| {
        let mut q = w.try_query::<(&Agent, &Position)>().unwrap();
        for (a, p) in q.iter(w) {
            if ring.is_inside(p.0) {
                seen_inside += 1;
                if !a.screened {
                    inside_unscreened += 1;
                }
            }
        }
    });
    assert!(seen_inside > 1000, "nobody got in ({seen_inside})");
    assert_eq!(inside_unscreened, 0, "agent-steps inside the hall without screening");
    let st = sim.world().resource::<CheckpointState>();
    let served = st.records[0].served.len();
    assert!(served >= 200, "screened {served}");
    assert_eq!(st.doors[0].len(), served, "everyone screened in left through the door");
    let venue = sim.world().resource::<Venue>();
    assert_eq!(venue.security.doors.len(), 1, "the checkpoint with exit: 0 has no door");
}

/// A door that cannot be built is named at its line and column, with what is wrong.
#[test]
fn bad_doors_are_named_where_they_are_defined() {
    let door = r#"doors: [(name: "east-door", ring: "hall", position: (30, 20), width: 1.5)],"#;
    assert!(HALL.contains(door));
    let line = HALL.lines().position(|l| l.contains("name: \"east-door\"")).unwrap() + 1;
    let cases: &[(&str, &str, &str)] = &[
        ("width: 1.5", "width: 0.2", "width must be 0.5 to 50 m, got 0.2"),
        ("position: (30, 20)", "position: (33, 20)", "is not on ring \"hall\""),
        ("width: 1.5", "width: 30", "runs past a corner of ring \"hall\""),
        (
            "ring: \"hall\"",
            "ring: \"hal\"",
            "ring \"hal\" is not defined; known rings: \"hall\"",
        ),
        ("name: \"east-door\"", "name: \"south-gate\"", "the name is used twice"),
    ];
    for (from, to, expect) in cases {
        let msg = common::error_of(&HALL.replace(door, &door.replace(from, to)));
        assert!(msg.contains(expect), "{to}: expected {expect:?} in\n{msg}");
        // a name used twice is placed at its first definition (the checkpoint, a line above)
        let at = if expect.contains("twice") { line - 1 } else { line };
        assert!(msg.contains(&format!("t.ron:{at}:")), "{to}: not at line {at}:\n{msg}");
    }
    // a door across a checkpoint's lanes, and a checkpoint's exit with no room on its edge
    let over = HALL.replace(
        "position: (30, 20), width: 1.5",
        "position: (30, 20), width: 1.5), (name: \"x\", ring: \"hall\", position: (20, 10.5), width: 3",
    );
    let msg = common::error_of(&over);
    assert!(msg.contains("door \"x\" overlaps checkpoint \"south-gate\""), "{msg}");
    let cramped = HALL.replace(
        "position: (20, 10.5), lanes: 2, service: Fixed(2.0), exit: 0",
        "position: (20, 10.5), lanes: 2, service: Fixed(2.0), exit: 9",
    );
    let msg = common::error_of(&cramped);
    assert!(
        msg.contains("no room on ring \"hall\" beside its lanes for its 9 m exit door"),
        "{msg}"
    );
    // the default: a 2 m exit door beside the lanes
    let v = common::from_text(&HALL.replace(", exit: 0)", ")"));
    let sec = &v.venue.security;
    assert_eq!(sec.doors.len(), 2);
    assert_eq!(sec.doors[1].name, "south-gate exit");
    assert!((sec.doors[1].width - 2.0).abs() < 1e-6 && (sec.doors[1].a.y - 10.5).abs() < 1e-4);
}

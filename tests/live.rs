//! What-ifs applied live (the viewer's keys, without a display): an action applied at a moment
//! of the run gives the same report as the same entry written in the file, and `Live::save`
//! writes exactly those entries into the file's timeline, changing nothing else.

mod common;

use bevy::math::Vec2;
use cordon::contingency::live::{Live, Target};

/// Two gates of 4 lanes (deterministic 8 s screening), 0.8 /s arriving for 30 minutes, a zone
/// in front of them; `timeline` is the scenario's timeline line (or nothing).
fn gates(timeline: &str) -> String {
    format!(
        r#"// two gates
Scenario(
    name: "two-gates",
    sim: (dt: 0.1, start: "09:00", end: "09:40", seed: 3),
    venue: (
        bounds: (min: (0, 0), max: (160, 100)),
        sources: [(name: "street", area: Polygon([(20, 2), (140, 2), (140, 6), (20, 6)]))],
        targets: [(name: "hall", area: Polygon([(70, 80), (90, 80), (90, 90), (70, 90)]))],
        zones: [(name: "forecourt", polygon: [(60, 8), (100, 8), (100, 16), (60, 16)])],
    ),
    crowd: [(name: "visitors", source: "street", arrivals: Rates([(from: "09:00", to: "09:30", rate: 0.8)]),
             destinations: [(target: "hall")])],
    rings: [(name: "fence", level: Perimeter, polygon: [(10, 40), (150, 40), (150, 98), (10, 98)])],
    checkpoints: [
        (name: "west", ring: "fence", position: (40, 40), lanes: 4, service: Fixed(8), queue: (length: 20, width: 8)),
        (name: "east", ring: "fence", position: (120, 40), lanes: 4, service: Fixed(8), queue: (length: 20, width: 8)),
    ],{timeline}
)
"#
    )
}

/// The report of a run of `text` to its end, as JSON.
fn report_of(text: &str) -> String {
    let v = common::from_text(text);
    let mut sim = common::sim(&v, 3);
    sim.run_to(f64::INFINITY, |_| {});
    serde_json::to_string_pretty(&sim.report("end")).unwrap()
}

/// Runs `text`, applying `act` at each of the given times (s after the start); returns the
/// report as JSON and the file text with the live entries saved into it.
fn live_run(
    text: &str,
    acts: &[(
        f64,
        &dyn Fn(&mut Live, &mut bevy::prelude::World) -> Result<String, String>,
    )],
) -> (String, String) {
    let v = common::from_text(text);
    let mut live = Live::new(v.scenario.clone());
    let mut sim = common::sim(&v, 3);
    for (t, act) in acts {
        sim.run_to(*t, |_| {});
        let said = act(&mut live, sim.world_mut()).unwrap_or_else(|e| panic!("at {t} s: {e}"));
        eprintln!("{t} s: {said}");
    }
    sim.run_to(f64::INFINITY, |_| {});
    let report = serde_json::to_string_pretty(&sim.report("end")).unwrap();
    let saved = live.save(text).unwrap_or_else(|e| panic!("{e}"));
    (report, saved)
}

/// The lines of `saved` that are not lines of `text`, checking that every line of `text` is
/// still there, in order.
fn added_lines(text: &str, saved: &str) -> Vec<String> {
    let old: Vec<&str> = text.lines().collect();
    let mut k = 0;
    let mut added = Vec::new();
    for line in saved.lines() {
        // (the comma a last entry needs before the new ones is no change)
        if k < old.len() && (line == old[k] || line == format!("{},", old[k])) {
            k += 1;
        } else {
            added.push(line.to_string());
        }
    }
    assert_eq!(k, old.len(), "a line of the file changed:\n{saved}");
    added
}

#[test]
fn a_gate_closed_and_reopened_live_reports_as_the_same_entry_in_the_file() {
    let text = gates("");
    let (live, saved) = live_run(
        &text,
        &[
            (600.0, &|l, w| l.toggle_close(w, Target::Checkpoint(0))),
            (900.0, &|l, w| l.toggle_close(w, Target::Checkpoint(0))),
        ],
    );
    eprintln!("{saved}");
    // one entry, its reopening as its `for`, in a timeline added before the closing bracket
    assert_eq!(
        added_lines(&text, &saved),
        [
            "    timeline: [",
            "        (at: \"09:10:00\", for: 300, do: Close(checkpoint: \"west\")),",
            "    ],"
        ],
        "{saved}"
    );
    let file = report_of(&saved);
    assert!(live.contains("west closed; "), "the closure did not fire live");
    assert!(live.contains("west reopened"), "the reopening did not fire live");
    assert_eq!(live, file, "the live run and the saved file's run differ");
    // and the run without it differs
    assert_ne!(report_of(&text), file);
}

#[test]
fn lanes_meter_cordon_and_zone_applied_live_report_as_the_saved_file() {
    // the file's own timeline (no trailing comma) is kept, the live entries follow it
    let text =
        gates("\n    timeline: [\n        (at: \"09:05\", for: 120, do: Lanes(checkpoint: \"east\", open: 3))\n    ],");
    let (live, saved) = live_run(
        &text,
        &[
            // two presses within a second: one entry, two lanes fewer
            (400.0, &|l, w| l.lanes(w, 0, -1)),
            (400.0, &|l, w| l.lanes(w, 0, -1)),
            (700.35, &|l, w| l.toggle_meter(w, 1)),
            (800.0, &|l, w| l.toggle_close(w, Target::Point(Vec2::new(80.0, 25.0)))),
            (950.0, &|l, w| l.toggle_close(w, Target::Zone(0))),
            (1100.0, &|l, w| l.toggle_close(w, Target::Point(Vec2::new(85.0, 20.0)))),
            (1200.0, &|l, w| l.toggle_meter(w, 1)),
            (1300.0, &|l, w| l.toggle_close(w, Target::Zone(0))),
        ],
    );
    eprintln!("{saved}");
    let added = added_lines(&text, &saved);
    assert_eq!(
        added,
        [
            "        (at: \"09:06:40\", do: Lanes(checkpoint: \"west\", open: 2)),",
            "        (at: \"09:11:41\", do: Meter(checkpoint: \"east\", per_minute: 15)),",
            "        (at: \"09:13:20\", for: 300, do: Cordon(at: (80, 25), radius: 25)),",
            "        (at: \"09:15:50\", for: 350, do: CloseZone(zone: \"forecourt\")),",
            "        (at: \"09:20:00\", do: Meter(checkpoint: \"east\", per_minute: 0)),",
        ]
        .map(String::from)
        .to_vec(),
        "{saved}"
    );
    let file = report_of(&saved);
    assert_eq!(live, file, "the live run and the saved file's run differ");
}

#[test]
fn a_live_action_that_contradicts_the_file_is_refused_with_the_reason() {
    // the file cuts east's lanes from 09:05 for 10 minutes: a lanes change there meanwhile
    // overlaps it, as it would in the file
    let text = gates("\n    timeline: [(at: \"09:05\", for: 600, do: Lanes(checkpoint: \"east\", open: 3)),],");
    let v = common::from_text(&text);
    let mut live = Live::new(v.scenario.clone());
    let mut sim = common::sim(&v, 3);
    sim.run_to(400.0, |_| {});
    let err = live.lanes(sim.world_mut(), 1, 1).unwrap_err();
    assert!(err.contains("overlap"), "{err}");
    assert!(live.applied().is_empty());
    // nothing to save: the text comes back as it was
    assert_eq!(live.save(&text).unwrap(), text);
    // a zone the file does not close cannot be "reopened" by the file's entry; lanes beyond
    // what the checkpoint has are refused
    let err = live.lanes(sim.world_mut(), 0, 1).unwrap_err();
    assert!(err.contains("4 of its 4 lanes open"), "{err}");
}

#[test]
fn a_unit_group_sent_live_and_back_reports_as_the_saved_file() {
    let text = gates(
        r#"
    responders: [(name: "reserve", kind: FootPatrol, count: 2, speed: 1.5, handles: ["bag"],
                  shift: (from: "10:00", to: "12:00"), deployment: Post((80, 90)))],
    incidents: [(kind: "bag", rate: PerHour(0), location: Hotspots([(80, 60)]), on_scene: Fixed(300))],"#,
    );
    let (live, saved) = live_run(
        &text,
        &[
            (300.0, &|l, w| l.deploy(w, 0, Vec2::new(80.0, 50.0))),
            // elsewhere while it is out: refused (send it back first)
            (500.0, &|l, w| match l.deploy(w, 0, Vec2::new(20.0, 50.0)) {
                Err(e) if e.contains("send it back first") => Ok(e),
                other => Err(format!("{other:?}")),
            }),
            (900.0, &|l, w| l.deploy(w, 0, Vec2::new(81.0, 52.0))),
        ],
    );
    let added = added_lines(&text, &saved);
    assert_eq!(
        added,
        [
            "    timeline: [",
            "        (at: \"09:05:00\", for: 600, do: Deploy(group: \"reserve\", post: (80, 50))),",
            "    ],"
        ],
        "{saved}"
    );
    assert!(live.contains("reserve sent to a post at (80, 50)"), "{live}");
    assert_eq!(live, report_of(&saved));
}

#[test]
fn the_venue_evacuated_live_reports_as_the_saved_file() {
    // the visitors leave by "street-out" after 10 minutes in the hall: the way out a live
    // evacuation sends everyone to
    let text = gates("").replace(
        "destinations: [(target: \"hall\")])",
        "destinations: [(target: \"hall\")], dwell: Fixed(600), exits: [(target: \"street-out\")])",
    );
    let text = text.replace(
        "targets: [",
        "targets: [(name: \"street-out\", area: Polygon([(0, 10), (6, 10), (6, 30), (0, 30)])), ",
    );
    let (live, saved) = live_run(
        &text,
        &[
            (700.0, &|l, w| l.evacuate(w, None)),
            // one a run
            (800.0, &|l, w| match l.evacuate(w, Some(0)) {
                Err(e) if e.contains("one a run") => Ok(e),
                other => Err(format!("{other:?}")),
            }),
        ],
    );
    assert_eq!(
        added_lines(&text, &saved),
        [
            "    timeline: [",
            "        (at: \"09:11:40\", do: Evacuate(to: [\"street-out\"])),",
            "    ],"
        ],
        "{saved}"
    );
    let r: serde_json::Value = serde_json::from_str(&live).unwrap();
    let ev = &r["evacuation"];
    assert!(ev["evacuees"].as_u64().unwrap() > 0, "nobody evacuated: {ev}");
    assert_eq!(ev["zones"][0]["name"], "venue", "{ev}");
    assert_eq!(live, report_of(&saved), "the live run and the saved file's run differ");
    // without it the report has no evacuation
    let r0: serde_json::Value = serde_json::from_str(&report_of(&text)).unwrap();
    assert!(r0.get("evacuation").is_none_or(|e| e.is_null()), "{}", r0["evacuation"]);
}

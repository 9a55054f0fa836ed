//! `cordon optimize` end to end on a hall whose optimum is known: one post, placed in a corner,
//! moves to the middle; the written plan differs from the input only in that post's position,
//! and the chosen plan scores no worse than the input in its own verification runs.

use std::process::Command;

const HALL: &str = r#"// a 40 x 40 m hall with one medical post in a corner
Scenario(
    name: "hall",
    sim: (dt: 0.1, start: "10:00", end: "10:10", seed: 1, stop_when_empty: false),
    venue: (bounds: (min: (0, 0), max: (40, 40)), zones: [(name: "floor", polygon: [(0, 0), (40, 0), (40, 40), (0, 40)])]),
    responders: [
        (name: "medics", kind: Medical, count: 1, speed: 1.0, emergency_speed: 1.0, handles: ["medical"],
         deployment: Post((4, 4))),
    ],
    incidents: [(kind: "medical", rate: PerHour(6), location: Zones(["floor"]), on_scene: Fixed(60))],
    dispatch: (thresholds: [10, 60]),
    metrics: (coverage_interval: 10.0, coverage_cell: 1.0),
)
"#;

#[test]
fn one_post_in_a_corner_of_a_square_hall_moves_to_the_middle() {
    let dir = std::env::temp_dir().join(format!("cordon-opt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("hall.ron");
    std::fs::write(&plan, HALL).unwrap();
    let out = dir.join("out");
    let res = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["optimize"])
        .arg(&plan)
        .args([
            "--objective",
            "coverage",
            "--threshold",
            "10",
            "--spacing",
            "2",
            "--until",
            "60",
        ])
        .args(["--verify-runs", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(res.status.success(), "{}", String::from_utf8_lossy(&res.stderr));
    let new = std::fs::read_to_string(out.join("hall.optimized.ron")).unwrap();
    // only the post's line changed
    let changed: Vec<(&str, &str)> = HALL.lines().zip(new.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(HALL.lines().count(), new.lines().count());
    assert_eq!(changed.len(), 1, "{changed:?}");
    let line = changed[0].1;
    let inner = line.split("Post((").nth(1).and_then(|r| r.split("))").next()).unwrap();
    let xy: Vec<f64> = inner.split(',').map(|v| v.trim().parse().unwrap()).collect();
    assert!(
        (xy[0] - 20.0).abs() <= 2.0 && (xy[1] - 20.0).abs() <= 2.0,
        "post at {xy:?}"
    );
    // verified: the chosen plan covers more of the hall within 10 s than the corner did
    let o: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("optimize.json")).unwrap()).unwrap();
    let chosen = o["chosen"].as_u64().unwrap() as usize;
    let mean = |i: usize| o["plans"][i]["summary"]["mean"].as_f64().unwrap();
    assert!(chosen > 0, "the corner was kept");
    assert!(mean(chosen) > mean(0) * 2.0, "coverage {} vs {}", mean(chosen), mean(0));
    for i in 0..o["plans"].as_array().unwrap().len() {
        assert!(mean(chosen) >= mean(i));
    }
    assert!(out.join("coverage_before_after.png").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

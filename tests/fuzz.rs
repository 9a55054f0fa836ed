//! Fuzzing `check` and a short run: scenario files with numbers swapped for hostile values (NaN,
//! ±inf, −1, 0, 1e308, 1e-300, 2^32, ...), cut short or with a list element repeated, and the crafted
//! resource bombs of issue 16. Each case runs in a child process (proptest's `fork`) under a
//! memory cap and a time-out, so a panic, an abort (an allocation over the cap) or a hang fails
//! the test; a case passes when the file is refused with an error or checks and runs.
//!
//! `PROPTEST_CASES` sets how many mutated cases run (default 64: a brief run in CI).

use cordon::build::validate;
use cordon::prelude::*;
use cordon::scenario::parse_str;
use proptest::prelude::*;
use proptest::test_runner::Config;

const SMALL: &[&str] = &[
    include_str!("../scenarios/entrance_checkpoints.ron"),
    include_str!("../scenarios/entrance_plaza.ron"),
    include_str!("../scenarios/response_demo.ron"),
    include_str!("scenarios/three_rings.ron"),
    include_str!("scenarios/fence.ron"),
    include_str!("scenarios/bottleneck.ron"),
    include_str!("scenarios/roads_small.ron"),
    include_str!("scenarios/crossings_small.ron"),
];

const HOSTILE_NUMBERS: &[&str] = &[
    "NaN",
    "inf",
    "-inf",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "1e-300",
    "4294967296",
    "18446744073709551616",
    "1e9",
    "0.0001",
    // ordinary values too, so that many mutated files pass and run
    "0.5",
    "1",
    "2",
    "10",
    "100",
    "1000",
];

/// Memory a case may take (address space): far above what a refused file or a short run of these
/// small venues needs, far below the machine.
const MEMORY_CAP: u64 = 6 << 30;

/// Simulated seconds a case runs for when its file checks.
const RUN_S: f64 = 30.0;

/// Byte ranges of the number literals of a RON text (outside strings and comments).
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            c if c.is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) => {
                let start = if i > 0 && b[i - 1] == b'-' { i - 1 } else { i };
                while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b'e' || b[i] == b'-') {
                    i += 1;
                }
                out.push((start, i));
            }
            _ => i += 1,
        }
    }
    out
}

/// One change to a file.
#[derive(Debug, Clone)]
enum Edit {
    /// Number literal `k` (modulo their count) becomes hostile value `v`.
    Number(usize, usize),
    /// The text is cut at this share of its length.
    Cut(u16),
    /// The line at this share of the text is repeated `n` times.
    Repeat(u16, u8),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut t = text.to_string();
    for e in edits {
        match *e {
            Edit::Number(k, v) => {
                let nums = numbers(&t);
                if !nums.is_empty() {
                    let (a, b) = nums[k % nums.len()];
                    t.replace_range(a..b, HOSTILE_NUMBERS[v % HOSTILE_NUMBERS.len()]);
                }
            }
            Edit::Cut(share) => {
                let mut at = t.len() * usize::from(share) / usize::from(u16::MAX);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                t.truncate(at);
            }
            Edit::Repeat(share, n) => {
                let mut at = t.len() * usize::from(share) / usize::from(u16::MAX);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                let start = t[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = t[at..].find('\n').map_or(t.len(), |i| at + i + 1);
                let line = t[start..end].to_string();
                t.insert_str(end, &line.repeat(usize::from(n)));
            }
        }
    }
    t
}

/// In a child process: caps its address space so an allocation bomb aborts here (failing the
/// case) instead of taking the machine.
fn cap_memory() {
    #[cfg(target_os = "linux")]
    {
        let lim = rustix::process::Rlimit {
            current: Some(MEMORY_CAP),
            maximum: Some(MEMORY_CAP),
        };
        let _ = rustix::process::setrlimit(rustix::process::Resource::As, lim);
    }
}

/// Checks `text`; when it passes, runs it for [`RUN_S`] simulated seconds and reports.
fn check_and_run(text: &str) -> std::result::Result<u64, String> {
    let sc = parse_str(text, "fuzz.ron").map_err(|e| e.to_string())?;
    let v = validate(&sc, "fuzz.ron", Some(text)).map_err(|e| e.to_string())?;
    let mut sim = Simulation::new(
        &v,
        &SimOptions {
            threads: 1,
            until: Some(RUN_S),
            ..Default::default()
        },
    );
    let r = sim.run(|_| {});
    assert_eq!(r.totals.spawned, r.totals.exited + r.totals.present_at_end);
    Ok(r.run.steps)
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<usize>(), any::<usize>()).prop_map(|(k, v)| Edit::Number(k, v)),
        1 => any::<u16>().prop_map(Edit::Cut),
        1 => (any::<u16>(), 1u8..40).prop_map(|(s, n)| Edit::Repeat(s, n)),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(Config {
        cases: cases(),
        fork: true,
        timeout: 120_000,
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn a_mutated_file_is_refused_or_runs(which in 0..SMALL.len(), edits in prop::collection::vec(edit(), 1..4)) {
        cap_memory();
        let text = apply(SMALL[which], &edits);
        let _ = check_and_run(&text);
    }
}

/// The crafted resource bombs of issue 16 (and of the probe after it), each on a small plan:
/// every one is refused by `check`, with a message naming what is too big.
fn crafted() -> Vec<(&'static str, String, &'static str)> {
    let plan = SMALL[0];
    let sub = |from: &str, to: &str| {
        assert!(plan.contains(from), "{from}");
        plan.replacen(from, to, 1)
    };
    let hms = |s: u32| format!("{:02}:{:02}:{:02}", 9 + s / 3600, s / 60 % 60, s % 60);
    let steps: String = (0..2000)
        .map(|k| format!("(from: \"{}\", to: \"{}\", rate: 10000000),", hms(k), hms(k + 1)))
        .collect();
    let groups: String = (0..400)
        .map(|k| format!("(name: \"g{k}\", source: \"bus-stop\", arrivals: Count(count: 10000000, from: \"09:00\", to: \"09:15\"), destinations: [(target: \"hall-entrance\")]),"))
        .collect();
    let walls: String = (0..200)
        .flat_map(|k| {
            let x = 10.0 + 0.7 * f64::from(k);
            [
                format!("(points: [({x}, 41), ({x}, 60)]),"),
                format!(
                    "(points: [(10, {}), (150, {})]),",
                    41.0 + 0.09 * f64::from(k),
                    41.0 + 0.09 * f64::from(k)
                ),
            ]
        })
        .collect();
    let big_polygon: String = (0..100_000)
        .map(|k| {
            let a = std::f64::consts::TAU * f64::from(k) / 100_000.0;
            format!("({:.4}, {:.4}),", 80.0 + 10.0 * a.cos(), 60.0 + 10.0 * a.sin())
        })
        .collect();
    vec![
        ("total arrivals", sub("arrivals: Rates([(from: \"08:55\", to: \"09:05\", rate: 1.2), (from: \"09:05\", to: \"09:15\", rate: 2.0)]),", &format!("arrivals: Rates([{steps}]),")), "limit"),
        ("groups x counts", sub("    crowd: [\n", &format!("    crowd: [\n{groups}\n")), "agents"),
        ("incident rate 1e15", sub("metrics: (series_interval: 300.0, wait_limit: 600.0),", "responders: [(name: \"u\", kind: FootPatrol, count: 1, speed: 1.2, handles: [\"x\"], deployment: Post((80, 30)))],\n    incidents: [(kind: \"x\", rate: PerHour(1e15), location: Crowd, on_scene: Fixed(60))],\n    metrics: (series_interval: 300.0, wait_limit: 600.0),"), "incident"),
        ("dt 1e-9", sub("dt: 0.05", "dt: 0.000000001"), "dt"),
        ("start -1e300", sub("start: \"08:55\"", "start: -1e300"), ""),
        ("series_interval 1e-300", sub("series_interval: 300.0", "series_interval: 1e-300"), "series_interval"),
        ("fine raster", sub("bounds: (min: (0, 0), max: (160, 100)),", "bounds: (min: (0, 0), max: (160, 100)),\n        cell_size: 0.001,"), "cell"),
        ("a wall grid", sub("        obstacles: [\n", &format!("        walls: [{walls}],\n        obstacles: [\n")), ""),
        ("polygon points", sub("(name: \"kiosk\", polygon: [(80, 20), (86, 20), (86, 24), (80, 24)]),", &format!("(name: \"kiosk\", polygon: [{big_polygon}]),")), "points"),
        ("responder units", sub("metrics: (series_interval: 300.0, wait_limit: 600.0),", &format!("responders: [{}],\n    metrics: (series_interval: 300.0, wait_limit: 600.0),", (0..1000).map(|k| format!("(name: \"r{k}\", kind: FootPatrol, count: 100000, speed: 1.2, handles: [], deployment: Post((80, 30))),")).collect::<String>())), "units"),
    ]
}

#[test]
fn the_crafted_bombs_are_refused_by_check() {
    for (what, text, names) in crafted() {
        let started = std::time::Instant::now();
        let err = match check_and_run(&text) {
            Ok(steps) => panic!("{what}: checked and ran {steps} steps"),
            Err(e) => e,
        };
        assert!(err.to_lowercase().contains(names), "{what}: {err}");
        eprintln!(
            "{what}: refused in {:.2} s: {}",
            started.elapsed().as_secs_f64(),
            err.lines().next().unwrap_or_default()
        );
    }
}

/// A polygon of `n` points round a circle (a legal, if extravagant, obstacle or zone).
fn circle(n: u32, cx: f64, cy: f64, r: f64) -> String {
    (0..n)
        .map(|k| {
            let a = std::f64::consts::TAU * f64::from(k) / f64::from(n);
            format!("({:.4}, {:.4}),", cx + r * a.cos(), cy + r * a.sin())
        })
        .collect()
}

/// Within the limits but heavy: a 10,000-point obstacle and a 10,000-point zone on a 0.1 m
/// raster with 0.1 m density cells (the probe found check and the run's start hanging on these:
/// every cell of a polygon's box was tested against every edge; now scanlines fill them).
#[test]
fn polygons_of_the_largest_size_on_a_fine_raster_check_and_run() {
    let plan = SMALL[0];
    let text = plan
        .replacen(
            "(name: \"kiosk\", polygon: [(80, 20), (86, 20), (86, 24), (80, 24)]),",
            &format!("(name: \"kiosk\", polygon: [{}]),", circle(10_000, 70.0, 22.0, 10.0)),
            1,
        )
        .replacen(
            "zones: [\n",
            &format!(
                "zones: [\n            (name: \"round\", polygon: [{}]),\n",
                circle(10_000, 80.0, 50.0, 49.0)
            ),
            1,
        )
        .replacen(
            "bounds: (min: (0, 0), max: (160, 100)),",
            "bounds: (min: (0, 0), max: (160, 100)),\n        cell_size: 0.1,",
            1,
        )
        .replacen(
            "metrics: (series_interval: 300.0,",
            "metrics: (density_cell: 0.1, series_interval: 300.0,",
            1,
        );
    assert_ne!(text, plan);
    let started = std::time::Instant::now();
    let steps = check_and_run(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(steps > 0);
    eprintln!(
        "checked and ran {steps} steps in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

//! Scenario files and arguments as untrusted input: a shared file cannot make a generated job
//! script run its own commands or a batch write outside its folder; sizes are bounded before
//! anything is allocated; outputs land whole or not at all; bad arguments exit 2.

use std::path::{Path, PathBuf};
use std::process::Command;

const PLAN: &str = "scenarios/entrance_checkpoints.ron";

fn cordon_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot start cordon: {e}"))
}

fn fresh(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cordon-untrusted-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    std::fs::canonicalize(&d).unwrap_or(d)
}

fn plan_text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(PLAN)).unwrap_or_else(|e| panic!("{e}"))
}

fn with_name(name: &str) -> String {
    let text = plan_text();
    let start = text.find("name: \"").unwrap_or_else(|| panic!("no name in {PLAN}"));
    let end = start + 7 + text[start + 7..].find('"').unwrap_or(0);
    format!("{}name: {name:?}{}", &text[..start], &text[end + 1..])
}

#[test]
fn a_hostile_name_cannot_reach_the_generated_job_script() {
    let dir = fresh("sbatch-name");
    let f = dir.join("hostile.ron");
    std::fs::write(&f, with_name("x\nARRAY\ntouch PWNED\n")).unwrap_or_else(|e| panic!("{e}"));
    let o = cordon_in(
        &dir,
        &["batch", "hostile.ron", "--runs", "2", "--emit-sbatch", "--out", "o"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty(), "a script was printed for an invalid scenario");
    assert!(String::from_utf8_lossy(&o.stderr).contains("scenario name"));
    // a newline in a --set value is refused too (it would end the here-document)
    let o = cordon_in(
        &dir,
        &[
            "batch",
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(PLAN).display().to_string(),
            "--runs",
            "2",
            "--set",
            "description=\"a\nARRAY\ntouch PWNED\"",
            "--emit-sbatch",
            "--out",
            "o",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty());
    assert!(!dir.join("PWNED").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// The script runs with a stand-in `sbatch` that keeps each job script; the job scripts are then
/// run as Slurm would (array task 0 of 1, then the merge): a file path full of shell syntax is
/// carried through as one word and runs nothing.
#[test]
fn a_generated_job_script_runs_a_hostile_file_path_as_data() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("no bash: skipped");
        return;
    }
    let dir = fresh("sbatch-path");
    let name = "it's $(touch PWNED) `touch PWNED2`; a b.ron";
    std::fs::write(dir.join(name), plan_text()).unwrap_or_else(|e| panic!("{e}"));
    let o = cordon_in(
        &dir,
        &[
            "batch",
            name,
            "--runs",
            "2",
            "--until",
            "20",
            "--shards",
            "1",
            "--emit-sbatch",
            "--out",
            "res $x",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(dir.join("submit.sh"), &o.stdout).unwrap_or_else(|e| panic!("{e}"));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
    let stub = "#!/bin/bash\nn=$(ls \"$STUB_DIR\"/job-*.sh 2>/dev/null | wc -l)\ncat > \"$STUB_DIR/job-$n.sh\"\necho \"$((100 + n));cluster\"\n";
    std::fs::write(bin.join("sbatch"), stub).unwrap_or_else(|e| panic!("{e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("sbatch"), std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run = |script: &str| {
        let o = Command::new("bash")
            .arg(script)
            .current_dir(&dir)
            .env("PATH", &path)
            .env("STUB_DIR", &dir)
            .env("SLURM_ARRAY_TASK_ID", "0")
            .env("SLURM_ARRAY_TASK_COUNT", "1")
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(o.status.success(), "{script}: {}", String::from_utf8_lossy(&o.stderr));
    };
    run("submit.sh");
    run("job-0.sh");
    run("job-1.sh");
    assert!(dir.join("res $x").join("shard-0-of-1.json").exists());
    assert!(dir.join("res $x").join("summary.csv").exists());
    assert!(
        !dir.join("PWNED").exists() && !dir.join("PWNED2").exists(),
        "the path ran as code"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_batch_never_writes_outside_its_folder_whatever_the_file_says() {
    let dir = fresh("escape");
    let work = dir.join("a").join("b");
    std::fs::create_dir_all(&work).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(work.join("climb.ron"), with_name("../../../escaped")).unwrap_or_else(|e| panic!("{e}"));
    let o = cordon_in(
        &work,
        &[
            "batch",
            "climb.ron",
            "--runs",
            "1",
            "--until",
            "10",
            "--set",
            "name=\"ok\"",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--out"));
    assert!(!dir.join("escaped-batch").exists() && !work.join("out").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn batch_and_merge_sizes_are_bounded_before_anything_is_allocated() {
    let dir = fresh("sizes");
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join(PLAN).display().to_string();
    for args in [
        vec!["batch", &plan, "--runs", "1000000000", "--out", "o"],
        vec![
            "batch",
            &plan,
            "--runs",
            "9223372036854775808",
            "--sweep",
            "sim.seed=1,2",
            "--out",
            "o",
        ],
        vec!["batch", &plan, "--runs", "0", "--out", "o"],
        vec![
            "batch",
            &plan,
            "--runs",
            "2",
            "--shards",
            "0",
            "--emit-sbatch",
            "--out",
            "o",
        ],
        vec!["merge", "o", "--expect", "100000000000"],
        vec!["merge", "o", "--expect", "0"],
    ] {
        let o = cordon_in(&dir, &args);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    assert!(!dir.join("o").exists());
    // a crafted shard file: a batch of 2^62 replications
    let shard = dir.join("s");
    std::fs::create_dir_all(&shard).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        shard.join("shard-0-of-1.json"),
        r#"{"spec":{"file":null,"scenario":"x","runs":4611686018427387904,"seed":1,"until":null,"sets":[],"sweeps":[["a",[1,2,3]]]},"shard":0,"of":1,"rows":[]}"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = cordon_in(&dir, &["merge", "s", "--expect", "1"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("limit"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_arguments_exit_2_before_the_run_and_say_the_cause_once() {
    let dir = fresh("args");
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join(PLAN).display().to_string();
    for until in ["NaN", "-1", "inf", "0"] {
        let o = cordon_in(&dir, &["run", &plan, "--quiet", "--until", until, "--out", "o"]);
        assert_eq!(o.status.code(), Some(2), "--until {until}");
    }
    // an output folder under a plain file is refused before the run, the OS error said once
    std::fs::write(dir.join("file"), "x").unwrap_or_else(|e| panic!("{e}"));
    let o = cordon_in(&dir, &["run", &plan, "--quiet", "--out", "file/sub"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--out file/sub"), "{err}");
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_rewritten_output_folder_is_the_new_one_whole_and_keeps_files_it_does_not_write() {
    let dir = fresh("swap");
    let out = dir.join("out");
    let files = |tag: &str| -> Vec<(String, Vec<u8>)> {
        vec![
            ("report.json".into(), format!("{tag} json").into_bytes()),
            ("report.html".into(), format!("{tag} html").into_bytes()),
        ]
    };
    cordon::output::write_folder(&out, &files("old")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out.join("notes.txt"), "mine").unwrap_or_else(|e| panic!("{e}"));
    cordon::output::write_folder(&out, &files("new")).unwrap_or_else(|e| panic!("{e}"));
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    assert_eq!(
        (read("report.json"), read("report.html")),
        ("new json".into(), "new html".into())
    );
    assert_eq!(read("notes.txt"), "mine", "a file the write does not produce was lost");
    // a write that fails midway (the second file cannot be made) leaves the old folder as it was
    let bad = vec![
        ("report.json".to_string(), b"broken".to_vec()),
        ("no/such/sub/file".to_string(), b"x".to_vec()),
    ];
    assert!(cordon::output::write_folder(&out, &bad).is_err());
    assert_eq!(read("report.json"), "new json");
    // nothing of the temporary folders is left beside it
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    assert_eq!(left, vec!["out".to_string()], "left behind: {left:?}");
    // a link planted where an old-style predictable temporary file would go is never followed
    #[cfg(unix)]
    {
        let victim = dir.join("victim");
        std::fs::write(&victim, "precious").unwrap_or_else(|e| panic!("{e}"));
        for name in ["report.json", "report.html"] {
            let _ = std::os::unix::fs::symlink(&victim, out.join(format!(".{name}.tmp-{}", std::process::id())));
        }
        cordon::output::write_folder(&out, &files("third")).unwrap_or_else(|e| panic!("{e}"));
        cordon::output::write_file(&out.join("single.json"), b"one").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read_to_string(&victim).unwrap_or_default(), "precious");
        assert_eq!(read("report.json"), "third json");
        assert_eq!(read("single.json"), "one");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Ctrl-C between steps: the message names the simulated time reached, nothing is written.
#[cfg(unix)]
#[test]
fn an_interrupted_run_says_when_and_writes_nothing() {
    use std::io::{BufRead, BufReader};
    let dir = fresh("ctrlc");
    let mut child = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["run", "--until", "36000", "--out", "o"])
        .current_dir(&dir)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut err = BufReader::new(child.stderr.take().unwrap_or_else(|| panic!("no stderr")));
    // the first progress line (every 10 simulated minutes) shows the run is stepping
    let mut line = String::new();
    while err.read_line(&mut line).unwrap_or(0) > 0 && !line.contains("present") {
        line.clear();
    }
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let mut rest = String::new();
    while err.read_line(&mut rest).unwrap_or(0) > 0 {}
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(!status.success());
    assert!(rest.contains("interrupted at 0"), "{rest}");
    assert!(!rest.contains("interrupted at interrupted"), "{rest}");
    assert!(!dir.join("o").exists(), "an interrupted run wrote output");
    std::fs::remove_dir_all(&dir).ok();
}

/// A small valid scenario with `crowd`, `extra` (top-level fields), `venue_extra` and `sim`
/// put in; every resource bomb below is this plus one oversized part.
fn small(sim: &str, venue_extra: &str, crowd: &str, extra: &str) -> String {
    format!(
        r#"Scenario(
    name: "bomb",
    sim: ({sim}),
    venue: (
        bounds: (min: (0, 0), max: (100, 100)),
        sources: [(name: "in", area: Circle((10, 50), 5))],
        targets: [(name: "out", area: Circle((90, 50), 5))],
        {venue_extra}
    ),
    crowd: [{crowd}],
    {extra}
)
"#
    )
}

const SIM: &str = r#"dt: 0.1, start: "10:00", end: "11:00""#;
const ONE_GROUP: &str = r#"(name: "g", source: "in", arrivals: Initial(10), destinations: [(target: "out")])"#;
const RESPONSE: &str = r#"responders: [(name: "p", kind: FootPatrol, speed: 1.2, handles: ["medical"], deployment: Post((50, 50)), sight: 0)],
    incidents: [(kind: "medical", rate: PerHour(2), location: Crowd, on_scene: Fixed(20))],"#;

fn check(dir: &Path, name: &str, text: &str, extra: &[&str]) -> (Option<i32>, String) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
    let mut args = vec!["check", name];
    args.extend_from_slice(extra);
    let o = cordon_in(dir, &args);
    (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
}

#[test]
fn resource_bombs_are_refused_by_check_naming_the_field_and_the_limit() {
    let dir = fresh("bombs");
    let (code, err) = check(&dir, "ok.ron", &small(SIM, "", ONE_GROUP, RESPONSE), &[]);
    assert_eq!(code, Some(0), "the base scenario is valid: {err}");
    let rates: String = (0..2000)
        .map(|k| format!("(from: {}, to: {}, rate: 1e7)", 36000 + k, 36001 + k))
        .collect::<Vec<_>>()
        .join(", ");
    let many_groups: String = (0..400)
        .map(|k| format!(r#"(name: "g{k}", source: "in", arrivals: Count(count: 10000000, from: "10:00", to: "11:00"), destinations: [(target: "out")])"#))
        .collect::<Vec<_>>()
        .join(", ");
    let units = r#"responders: [(name: "p", kind: FootPatrol, count: 100000, speed: 1.2, handles: ["medical"], deployment: Post((50, 50)), sight: 0),
        (name: "q", kind: FootPatrol, count: 100000, speed: 1.2, handles: ["medical"], deployment: Post((50, 50)), sight: 0)],
        incidents: [(kind: "medical", rate: PerHour(2), location: Crowd, on_scene: Fixed(20))],"#;
    let big_polygon: String = (0..20_000)
        .map(|k| {
            let a = k as f64 / 20_000.0 * std::f64::consts::TAU;
            format!("({:.4}, {:.4})", 50.0 + 10.0 * a.cos(), 50.0 + 10.0 * a.sin())
        })
        .collect::<Vec<_>>()
        .join(", ");
    // a wall grid that cuts the venue into 70 x 70 closed rooms
    let mut grid_walls = Vec::new();
    for k in 0..=70 {
        let x = 15.0 + k as f64;
        grid_walls.push(format!("(points: [({x}, 15), ({x}, 85)])"));
        grid_walls.push(format!("(points: [(15, {x}), (85, {x})])"));
    }
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "rates",
            small(
                SIM,
                "",
                &format!(r#"(name: "g", source: "in", arrivals: Rates([{rates}]), destinations: [(target: "out")])"#),
                "",
            ),
            "--max-agents",
        ),
        ("groups", small(SIM, "", &many_groups, ""), "--max-agents"),
        (
            "units",
            small(SIM, "", ONE_GROUP, units),
            "units in all; the limit is 100000",
        ),
        (
            "incidents",
            small(SIM, "", ONE_GROUP, &RESPONSE.replace("PerHour(2)", "PerHour(1e15)")),
            "incidents over the run; the limit",
        ),
        (
            "incidents-2-32",
            small(
                SIM,
                "",
                ONE_GROUP,
                &RESPONSE.replace("PerHour(2)", "PerHour(4294967296)"),
            ),
            "incidents over the run; the limit",
        ),
        (
            "far from the origin",
            small(SIM, "", ONE_GROUP, "").replace(
                "bounds: (min: (0, 0), max: (100, 100))",
                "bounds: (min: (0, 0), max: (1000000, 100))",
            ),
            "coordinates must lie within 20000 m of it",
        ),
        (
            "thresholds",
            small(
                SIM,
                "",
                ONE_GROUP,
                &format!(
                    "{RESPONSE}\n    dispatch: (thresholds: [{}]),",
                    (1..=17).map(|k| format!("{}.0", 10 * k)).collect::<Vec<_>>().join(", ")
                ),
            ),
            "lists 17 response times; the limit is 16",
        ),
        (
            "polygon",
            small(
                SIM,
                &format!("obstacles: [(name: Some(\"blob\"), polygon: [{big_polygon}])],"),
                ONE_GROUP,
                "",
            ),
            "has 20000 points; the limit is 10000",
        ),
        (
            "regions",
            small(
                SIM,
                &format!("cell_size: 0.1, walls: [{}],", grid_walls.join(", ")),
                ONE_GROUP,
                "",
            ),
            "walkable regions; the limit is 4096",
        ),
        (
            "start",
            small(r#"dt: 0.1, start: -1e300, end: "11:00""#, "", ONE_GROUP, ""),
            "is not a clock time",
        ),
        (
            "dt",
            small(r#"dt: 1e-9, start: "10:00", end: "11:00""#, "", ONE_GROUP, ""),
            "below the shortest step",
        ),
        (
            "steps",
            small(r#"dt: 0.001, start: "00:00", end: "47:00""#, "", ONE_GROUP, ""),
            "--max-steps",
        ),
        (
            "series",
            small(SIM, "", ONE_GROUP, "metrics: (series_interval: 1e-300),"),
            "series_interval",
        ),
        (
            "density-cell",
            small(SIM, "", ONE_GROUP, "metrics: (density_cell: 0.0001),"),
            "--max-memory",
        ),
    ];
    for (name, text, want) in &cases {
        let (code, err) = check(&dir, &format!("{name}.ron"), text, &[]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains(want), "{name}: wanted `{want}` in: {err}");
        assert!(
            err.contains(&format!("{name}.ron:")),
            "{name}: no file:line:column in {err}"
        );
    }
    // the floor fields of a fine raster against a small memory limit, raised by the flag
    let fine = small(SIM, "cell_size: 0.05,", ONE_GROUP, "");
    let (code, err) = check(&dir, "fine.ron", &fine, &["--max-memory", "0.07"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("floor fields over 4000000 raster cells") && err.contains("--max-memory"),
        "{err}"
    );
    let (code, err) = check(&dir, "fine.ron", &fine, &["--max-memory", "4"]);
    assert_eq!(code, Some(0), "{err}");
    // --max-agents raises the crowd limit
    let crowd = r#"(name: "g", source: "in", arrivals: Count(count: 3000000, from: "10:00", to: "11:00"), destinations: [(target: "out")])"#;
    let (code, _) = check(&dir, "crowd.ron", &small(SIM, "", crowd, ""), &[]);
    assert_eq!(code, Some(2));
    let (code, err) = check(
        &dir,
        "crowd.ron",
        &small(SIM, "", crowd, ""),
        &["--max-agents", "4000000"],
    );
    assert_eq!(code, Some(0), "{err}");
    // an endless device is not read at all, a huge file only to its first 16 MiB
    if Path::new("/dev/zero").exists() {
        let o = cordon_in(&dir, &["check", "/dev/zero"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"));
    }
    let huge = std::fs::File::create(dir.join("huge.ron")).unwrap_or_else(|e| panic!("{e}"));
    huge.set_len(1 << 40).unwrap_or_else(|e| panic!("{e}"));
    let o = cordon_in(&dir, &["check", "huge.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the limit for a scenario file"));
    std::fs::remove_dir_all(&dir).ok();
}

/// A merged shard holds only rows the batch would have written into it: a crafted shard with a
/// duplicated, foreign or malformed row is refused; `--shard I/N` with N beyond the limit too.
#[test]
fn merge_refuses_rows_the_batch_did_not_write() {
    let dir = fresh("merge-rows");
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join(PLAN).display().to_string();
    let o = cordon_in(
        &dir,
        &[
            "batch", &plan, "--runs", "2", "--until", "20", "--shard", "0/1", "--out", "b", "--quiet",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let good = std::fs::read_to_string(dir.join("b/shard-0-of-1.json")).unwrap_or_else(|e| panic!("{e}"));
    let o = cordon_in(&dir, &["merge", "b", "--expect", "1", "--out", "m"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut doc: serde_json::Value = serde_json::from_str(&good).unwrap_or_else(|e| panic!("{e}"));
    let rows = doc["rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2);
    let bad: Vec<(&str, serde_json::Value)> = vec![
        ("a row twice", serde_json::json!([rows[0], rows[0]])),
        ("a point out of range", {
            let mut r = rows.clone();
            r[1]["point"] = serde_json::json!(7);
            serde_json::json!(r)
        }),
        ("a metric missing", {
            let mut r = rows.clone();
            r[1]["metrics"]
                .as_array_mut()
                .unwrap_or_else(|| panic!("metrics"))
                .pop();
            serde_json::json!(r)
        }),
        ("another seed", {
            let mut r = rows.clone();
            r[0]["seed"] = serde_json::json!(12345);
            serde_json::json!(r)
        }),
    ];
    for (what, r) in bad {
        doc["rows"] = r;
        std::fs::write(dir.join("b/shard-0-of-1.json"), doc.to_string()).unwrap_or_else(|e| panic!("{e}"));
        let o = cordon_in(&dir, &["merge", "b", "--expect", "1", "--out", "m2"]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = cordon_in(
        &dir,
        &[
            "batch",
            &plan,
            "--runs",
            "2",
            "--shard",
            "0/18446744073709551615",
            "--out",
            "c",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

/// Check reads regular files only (a pipe would block it), prints names with control characters
/// escaped (an escape sequence in a shared file must not drive the terminal), shows a window of a
/// very long line around an error, and reads clock times strictly.
#[test]
fn check_is_safe_on_pipes_escape_codes_long_lines_and_sloppy_times() {
    let dir = fresh("check-input");
    let fifo = dir.join("pipe.ron");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let o = cordon_in(&dir, &["check", "pipe.ron"]);
        assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"));
    }
    let text = plan_text().replacen("source: \"metro-exit\"", "source: \"metro\u{1b}[31m-exit\"", 1);
    let (code, err) = check(&dir, "esc.ron", &text, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.contains('\u{1b}') && err.contains("\\u{1b}[31m"), "{err:?}");
    let long = format!(
        "Scenario(name: \"x\", description: \"{}\", bogus: 1)",
        "y".repeat(1_000_000)
    );
    let (code, err) = check(&dir, "long.ron", &long, &[]);
    assert_eq!(code, Some(2));
    assert!(
        err.len() < 2_000 && err.contains("bogus"),
        "{} bytes: {}",
        err.len(),
        &err[..err.len().min(400)]
    );
    for sloppy in ["\"8:5\"", "\"08:5\"", "\"08:55:1\"", "\"08:055\""] {
        let text = plan_text().replacen("start: \"08:55\"", &format!("start: {sloppy}"), 1);
        let (code, err) = check(&dir, "time.ron", &text, &[]);
        assert_eq!(code, Some(2), "{sloppy}: {err}");
        assert!(err.contains("not a clock time"), "{sloppy}: {err}");
    }
    let text = plan_text().replacen("start: \"08:55\"", "start: \"8:55:00.5\"", 1);
    let (code, err) = check(&dir, "time.ron", &text, &[]);
    assert_eq!(
        code,
        Some(0),
        "a single-digit hour and a fraction of a second are fine: {err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_pen_too_wide_to_keep_its_files_is_refused_by_check() {
    let dir = fresh("wide-pen");
    let text = plan_text().replacen("queue: (length: 25, width: 12)", "queue: (length: 25, width: 900)", 1);
    assert!(text.contains("width: 900"));
    let (code, err) = check(&dir, "wide.ron", &text, &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("has 1500 places across; the limit is 1000"), "{err}");
    assert!(err.contains("wide.ron:"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

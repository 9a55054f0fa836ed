//! A scenario may keep its venue in a file of its own (`venue: (file: "site.venue.ron")`): the
//! run is the same as with the venue written inline, problems are placed in whichever file has
//! them, and a venue file is read only from inside the scenario's folder.

use std::path::Path;
use std::process::Command;

const VENUE: &str = r#"// the site, as `cordon import` would write it
(
    bounds: (min: (0, 0), max: (60, 40)),
    cell_size: 0.5,
    origin: (lat: 31.19, lon: 121.30),
    walls: [(name: "fence-west", points: [(20, 0), (20, 15)]), (name: "fence-east", points: [(20, 25), (20, 40)])],
    obstacles: [(name: "kiosk", polygon: [(40, 10), (44, 10), (44, 14), (40, 14)])],
    zones: [(name: "gap", polygon: [(15, 15), (25, 15), (25, 25), (15, 25)])],
    sources: [(name: "street", area: Polygon([(2, 5), (8, 5), (8, 35), (2, 35)]))],
)
"#;

/// The plan: adds a target of its own beside the venue file's.
const PLAN: &str = r#"Scenario(
    name: "venue-file",
    sim: (dt: 0.1, start: "09:00", end: "09:03", seed: 7),
    venue: (
        file: "site.venue.ron",
        targets: [(name: "hall", area: Polygon([(50, 15), (58, 15), (58, 25), (50, 25)]))],
    ),
    crowd: [(name: "visitors", source: "street", destinations: [(target: "hall")],
             arrivals: Rates([(from: "09:00", to: "09:02", rate: 1.0)]))],
)"#;

/// The same scenario with the venue written inline.
fn inline() -> String {
    let body = VENUE
        .lines()
        .filter(|l| !l.starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let body = body
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .trim_end()
        .trim_end_matches(',');
    PLAN.replace(r#"file: "site.venue.ron","#, &format!("{body},"))
}

fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("cordon-venue-file-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cordon(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cordon")).args(args).output().unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(d: &Path, venue: &str, plan: &str) -> String {
    std::fs::write(d.join("site.venue.ron"), venue).unwrap();
    std::fs::write(d.join("plan.ron"), plan).unwrap();
    d.join("plan.ron").display().to_string()
}

#[test]
fn a_venue_file_runs_the_same_as_the_venue_inline() {
    let d = dir("same");
    let plan = write(&d, VENUE, PLAN);
    std::fs::write(d.join("inline.ron"), inline()).unwrap();
    let mut reports = Vec::new();
    for (f, out) in [(plan.as_str(), "a"), (&d.join("inline.ron").display().to_string(), "b")] {
        let out = d.join(out).display().to_string();
        let o = cordon(&["run", f, "--out", &out, "--threads", "1"]);
        assert!(o.status.success(), "{f}: {}", stderr(&o));
        reports.push(std::fs::read(Path::new(&out).join("report.json")).unwrap());
    }
    assert!(
        reports[0] == reports[1],
        "the venue file's run differs from the inline venue's"
    );
    // people did walk round the fence to the plan's own target
    let r: serde_json::Value = serde_json::from_slice(&reports[0]).unwrap();
    assert!(r["targets"][0]["arrivals"].as_u64().unwrap() > 100, "{}", r["targets"]);
    let v = cordon::build::load_and_validate(Path::new(&plan)).unwrap();
    assert_eq!(v.scenario.venue.targets.len(), 1);
    assert_eq!(v.scenario.venue.walls.len(), 2);
    assert_eq!(v.scenario.venue.cell_size, 0.5);
    assert!(v.scenario.venue.file.is_none(), "the section is whole once read");
}

#[test]
fn problems_are_placed_in_the_file_that_has_them() {
    let d = dir("place");
    // a self-intersecting zone in the venue file: line 8 of it
    let bad_zone = VENUE.replace(
        "(15, 15), (25, 15), (25, 25), (15, 25)",
        "(15, 15), (25, 25), (25, 15), (15, 25)",
    );
    let plan = write(&d, &bad_zone, PLAN);
    let o = cordon(&["check", &plan]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let venue = d.join("site.venue.ron").display().to_string();
    assert!(
        stderr(&o).contains(&format!("{venue}:8:")),
        "placed in the venue file: {}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("zone \"gap\""), "{}", stderr(&o));

    // a syntax error in the venue file: its line and column
    let plan = write(&d, &VENUE.replace("cell_size: 0.5,", "cell_size: 0.5,,"), PLAN);
    let o = cordon(&["check", &plan]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(&format!("{venue}:4:")), "{}", stderr(&o));

    // a target of the plan's own outside the venue file's bounds: placed in the plan
    let plan = write(&d, VENUE, &PLAN.replace("(50, 15), (58, 15)", "(50, 15), (68, 15)"));
    let o = cordon(&["check", &plan]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{plan}:6:")),
        "placed in the plan: {}",
        stderr(&o)
    );

    // bounds in both files: the plan's are named
    let plan = write(
        &d,
        VENUE,
        &PLAN.replace(
            "file: \"site.venue.ron\",",
            "file: \"site.venue.ron\", bounds: (min: (0, 0), max: (9, 9)),",
        ),
    );
    let o = cordon(&["check", &plan]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("{plan}:5:")) && stderr(&o).contains("`bounds` come from the venue file"),
        "{}",
        stderr(&o)
    );

    // a venue file naming another
    let plan = write(
        &d,
        &VENUE.replace("cell_size: 0.5,", "cell_size: 0.5, file: \"other.ron\","),
        PLAN,
    );
    let o = cordon(&["check", &plan]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot name another"), "{}", stderr(&o));
}

#[test]
fn a_venue_file_is_read_only_from_inside_the_scenarios_folder() {
    let d = dir("paths");
    let inner = d.join("plans");
    std::fs::create_dir_all(&inner).unwrap();
    std::fs::write(d.join("site.venue.ron"), VENUE).unwrap();
    for (name, says) in [
        ("../site.venue.ron", "inside it"),
        ("/etc/passwd.ron", "inside it"),
        ("site.venue.txt", "`.ron`"),
        ("", "inside it"),
        ("missing.ron", "cannot be read"),
    ] {
        let plan = inner.join("plan.ron");
        std::fs::write(&plan, PLAN.replace("site.venue.ron", name)).unwrap();
        let o = cordon(&["check", &plan.display().to_string()]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{name}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
    // a link out of the folder is refused, for the venue file and for an underlay
    #[cfg(unix)]
    {
        let outside = dir("outside");
        std::fs::write(outside.join("secret.ron"), VENUE).unwrap();
        let _ = std::fs::remove_file(inner.join("link.ron"));
        std::os::unix::fs::symlink(outside.join("secret.ron"), inner.join("link.ron")).unwrap();
        let plan = inner.join("plan.ron");
        std::fs::write(&plan, PLAN.replace("site.venue.ron", "link.ron")).unwrap();
        let o = cordon(&["check", &plan.display().to_string()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("leads outside the scenario's folder"),
            "{}",
            stderr(&o)
        );
        std::fs::write(inner.join("site.venue.ron"), VENUE).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", inner.join("u.png")).ok();
        let with = PLAN.replace(
            r#"file: "site.venue.ron","#,
            r#"file: "./site.venue.ron", underlay: (file: "u.png", min: (0, 0), max: (9, 9)),"#,
        );
        std::fs::write(&plan, with).unwrap();
        let o = cordon(&["check", &plan.display().to_string()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("venue.underlay \"u.png\" leads outside"),
            "{}",
            stderr(&o)
        );
        // `./name` is inside
        std::fs::write(&plan, PLAN.replace("site.venue.ron", "./site.venue.ron")).unwrap();
        let o = cordon(&["check", &plan.display().to_string()]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // a venue file's origin out of range is named
    let plan = write(&d, &VENUE.replace("lat: 31.19", "lat: 95"), PLAN);
    let o = cordon(&["check", &plan]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("venue.origin"), "{}", stderr(&o));
}

/// A PNG of `w` × `h` pixels of one colour.
fn png_file(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    let f = std::fs::File::create(path).unwrap();
    let mut e = png::Encoder::new(std::io::BufWriter::new(f), w, h);
    e.set_color(png::ColorType::Rgb);
    e.set_depth(png::BitDepth::Eight);
    let mut wr = e.write_header().unwrap();
    let px: Vec<u8> = (0..w * h).flat_map(|_| rgb).collect();
    wr.write_image_data(&px).unwrap();
}

#[test]
fn an_underlay_is_a_png_inside_the_folder_over_a_rectangle() {
    let d = dir("underlay");
    png_file(&d.join("plan.png"), 60, 40, [200, 0, 200]);
    png_file(&d.join("huge.png"), 9000, 1, [0, 0, 0]);
    std::fs::write(d.join("fake.png"), "not a png").unwrap();
    let with = |u: &str| VENUE.replace("cell_size: 0.5,", &format!("cell_size: 0.5, underlay: {u},"));
    let plan = write(
        &d,
        &with(r#"(file: "plan.png", min: (0, 0), max: (60, 40), opacity: 0.4)"#),
        PLAN,
    );
    let o = cordon(&["check", &plan]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = cordon::build::load_and_validate(Path::new(&plan)).unwrap();
    let u = v.scenario.venue.underlay.as_ref().unwrap();
    assert_eq!(u.path.as_deref(), Some(d.join("plan.png").as_path()));
    for (u, says) in [
        (r#"(file: "../plan.png", min: (0, 0), max: (60, 40))"#, "inside it"),
        (r#"(file: "plan.jpg", min: (0, 0), max: (60, 40))"#, "must be a PNG"),
        (r#"(file: "fake.png", min: (0, 0), max: (60, 40))"#, "not a PNG image"),
        (r#"(file: "missing.png", min: (0, 0), max: (60, 40))"#, "cannot read"),
        (
            r#"(file: "huge.png", min: (0, 0), max: (60, 40))"#,
            "9000 × 1 pixels; at most 8192",
        ),
        (
            r#"(file: "plan.png", min: (60, 0), max: (0, 40))"#,
            "max must be above and to the right of min",
        ),
        (
            r#"(file: "plan.png", min: (0, 0), max: (60, 40), opacity: 2)"#,
            "opacity must be 0 to 1",
        ),
    ] {
        let plan = write(&d, &with(u), PLAN);
        let o = cordon(&["check", &plan]);
        assert_eq!(o.status.code(), Some(2), "{u}: {}", stderr(&o));
        let venue = d.join("site.venue.ron").display().to_string();
        assert!(
            stderr(&o).contains(says) && stderr(&o).contains(&format!("{venue}:4:")),
            "{u}: {}",
            stderr(&o)
        );
    }
}

//! The viewer's screenshot mode renders the Import Expo with visitors on it. Needs a display (CI
//! runs it under Xvfb with Mesa's software Vulkan): `cargo test --release --test viewer -- --ignored`.
#![cfg(feature = "viewer")]

use std::process::Command;

#[test]
#[ignore = "needs a display: CI runs it under xvfb-run"]
fn screenshot_of_the_default_scenario_shows_the_crowd() {
    let px = shot("default", &["--at", "7200"], (1280, 900));
    let mut colours = px.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() >= 10, "only {} colours: blank?", colours.len());
    // walking visitors are drawn blue: many clearly blue pixels at 09:30 on the peak day (it
    // starts at 07:30)
    let blue = px
        .iter()
        .filter(|p| p[2] > 150 && p[2] > p[0] + 60 && p[2] > p[1] + 30)
        .count();
    assert!(blue > 500, "only {blue} blue (walking-visitor) pixels");
}

/// Takes a screenshot of `size` pixels with `args` and returns its pixels.
fn shot(name: &str, args: &[&str], size: (u32, u32)) -> Vec<[u8; 3]> {
    let bin = env!("CARGO_BIN_EXE_cordon");
    let dir = std::env::temp_dir().join(format!("cordon-view-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png_path = dir.join("view.png");
    let out = Command::new(bin)
        .arg("view")
        .args(args)
        .args([
            "--width",
            &size.0.to_string(),
            "--height",
            &size.1.to_string(),
            "--screenshot",
        ])
        .arg(&png_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cordon view {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png_path).unwrap();
    let mut r = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), size);
    let _ = std::fs::remove_dir_all(&dir);
    buf[..info.buffer_size()]
        .chunks(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect()
}

#[test]
#[ignore = "needs a display: CI runs it under xvfb-run"]
fn overlays_change_the_picture_where_they_should() {
    // density: the Fruin colours (green for the light crowd of this plan) appear only with it on
    let plan = "scenarios/entrance_checkpoints.ron";
    let greenish = |px: &[[u8; 3]]| {
        px.iter()
            .filter(|p| p[1] > 100 && i32::from(p[1]) > i32::from(p[0]) + 40 && i32::from(p[1]) > i32::from(p[2]) + 25)
            .count()
    };
    let plain = shot("plain", &[plan, "--at", "900"], (800, 600));
    let density = shot("density", &[plan, "--at", "900", "--overlay", "density"], (800, 600));
    // (without it only the small target markers are green)
    let (g0, g1) = (greenish(&plain), greenish(&density));
    assert!(g0 < 300, "{g0} green pixels without the overlay");
    assert!(
        g1 > g0 + 1000,
        "{g1} green pixels with the density overlay, {g0} without"
    );
    // coverage: the response demo's patrols reach the whole site within 180 s, so the overlay
    // tints every walkable pixel green (pale: it is translucent) and none red
    let tint = |px: &[[u8; 3]], k: usize, o: [usize; 2]| {
        px.iter()
            .filter(|p| i32::from(p[k]) > i32::from(p[o[0]]) + 10 && i32::from(p[k]) > i32::from(p[o[1]]) + 8)
            .count()
    };
    let demo = "scenarios/response_demo.ron";
    let bare = shot("bare", &[demo, "--at", "600"], (800, 600));
    let cov = shot(
        "coverage",
        &[demo, "--at", "600", "--overlay", "coverage180"],
        (800, 600),
    );
    let (g0, g1) = (tint(&bare, 1, [0, 2]), tint(&cov, 1, [0, 2]));
    assert!(
        g1 > g0 + 100_000,
        "{g1} green-tinted pixels with coverage on, {g0} without"
    );
    assert!(
        tint(&cov, 0, [1, 2]) < 2000,
        "uncovered (red) pixels where every cell is covered"
    );
    // an unknown overlay is refused before any window opens
    let out = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["view", plan, "--overlay", "heat", "--screenshot", "/nonexistent/x.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown overlay `heat`"));
}

#[test]
#[ignore = "needs a display: CI runs it under xvfb-run"]
fn a_what_if_applied_with_a_click_and_a_key_reports_as_the_entry_it_saves_into_the_file() {
    // at 09:10 a click on the west gate's pen and X close it, at 09:15 the same reopen it, then S
    // writes the what-if into the file's timeline; the viewer runs to the end and reports
    let bin = env!("CARGO_BIN_EXE_cordon");
    let dir = std::env::temp_dir().join(format!("cordon-view-whatif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gates.ron");
    let original = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/what_if_gates.ron"),
    )
    .unwrap();
    std::fs::write(&file, &original).unwrap();
    let live = dir.join("live.json");
    let out = Command::new(bin)
        .arg("view")
        .arg(&file)
        .args(["--act", "600:40,30:x", "--act", "900:40,30:x", "--act", "1000:40,30:s"])
        .args(["--width", "640", "--height", "480", "--report-json"])
        .arg(&live)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cordon view failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved = std::fs::read_to_string(&file).unwrap();
    // only the timeline was added (its closing "    ]," is like other lines of the file): every
    // line of the file is still there, in order
    let added: Vec<&str> = saved.lines().filter(|l| !original.lines().any(|o| o == *l)).collect();
    assert_eq!(added.len(), 2, "{saved}");
    assert_eq!(saved.lines().count(), original.lines().count() + 3, "{saved}");
    let mut rest = original.lines().peekable();
    for l in saved.lines() {
        if rest.peek() == Some(&l) {
            rest.next();
        }
    }
    assert!(rest.next().is_none(), "a line of the file changed: {saved}");
    assert_eq!(added[0], "    timeline: [");
    assert!(
        added[1].starts_with("        (at: \"09:10:0") && added[1].ends_with(", do: Close(checkpoint: \"west\")),"),
        "{saved}"
    );
    assert!(
        added[1].contains(", for: "),
        "the reopening is the entry's `for`: {saved}"
    );
    // the saved file's run reports what the viewer's did, byte for byte
    let run = Command::new(bin)
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(dir.join("run"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (a, b) = (
        std::fs::read_to_string(&live).unwrap(),
        std::fs::read_to_string(dir.join("run/report.json")).unwrap(),
    );
    assert!(a.contains("west closed; "), "the closure did not fire in the viewer");
    assert!(a.contains("west reopened"), "the reopening did not fire in the viewer");
    assert_eq!(a, b, "the viewer's run and the saved file's run differ");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs a display: CI runs it under xvfb-run"]
fn the_cursor_readout_shows_the_point_under_it_and_p_copies_it() {
    // a scripted act puts the cursor at (40, 30) m at 60 s and presses P; the screenshot's
    // panel shows the readout and what P did
    let text = std::env::temp_dir().join(format!("cordon-view-cursor-{}.txt", std::process::id()));
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios/what_if_gates.ron");
    let pixels = shot(
        "cursor",
        &[
            scenario.to_str().unwrap(),
            "--at",
            "90",
            "--act",
            "60:40.04,30:p",
            "--panel-text",
            text.to_str().unwrap(),
        ],
        (640, 480),
    );
    assert!(!pixels.is_empty());
    let panel = std::fs::read_to_string(&text).unwrap();
    let _ = std::fs::remove_file(&text);
    eprintln!("{panel}");
    assert!(panel.contains("cursor (40.0, 30.0) m | P copies it"), "{panel}");
    assert!(
        panel.contains("copied (40.0, 30.0) to the clipboard") || panel.contains("(40.0, 30.0): no clipboard here"),
        "{panel}"
    );
}

/// The shipped sample site imported into a fresh folder of its own: the folder and the plan.
fn imported_sample(tag: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("cordon-{tag}-site-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("site.ron");
    let o = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "import",
            "geojson",
            "scenarios/sample_site.geojson",
            "--out",
            plan.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (dir, plan)
}

#[test]
#[ignore = "needs a display: CI runs it under xvfb-run"]
fn the_cursor_readout_gives_latitude_and_longitude_when_the_venue_has_an_origin() {
    // the shipped sample site, imported: its venue has an origin; the cursor at (0, 0) m is there
    let (dir, plan) = imported_sample("lonlat");
    let text = dir.join("panel.txt");
    let pixels = shot(
        "lonlat",
        &[
            plan.to_str().unwrap(),
            "--at",
            "20",
            "--act",
            "10:0,0:p",
            "--panel-text",
            text.to_str().unwrap(),
        ],
        (640, 480),
    );
    assert!(!pixels.is_empty());
    let panel = std::fs::read_to_string(&text).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        panel.contains("cursor (0.0, 0.0) m = lat 31.190000, lon 121.300000"),
        "{panel}"
    );
}

#[test]
#[ignore = "needs a display: CI runs it under xvfb-run"]
fn an_underlay_is_drawn_under_the_venue() {
    // a magenta site plan over the left half of the sample site; the screenshot has magenta
    // there (faded by its opacity over the light background), and none without it
    let (dir, plan) = imported_sample("underlay");
    let f = std::fs::File::create(dir.join("plan.png")).unwrap();
    let mut e = png::Encoder::new(std::io::BufWriter::new(f), 16, 16);
    e.set_color(png::ColorType::Rgb);
    let mut w = e.write_header().unwrap();
    w.write_image_data(&[255, 0, 255].repeat(256)).unwrap();
    drop(w);
    let magenta = |px: &[[u8; 3]]| px.iter().filter(|p| p[0] > 200 && p[1] < 150 && p[2] > 200).count();
    let without = shot("underlay-none", &[plan.to_str().unwrap()], (640, 480));
    let text = std::fs::read_to_string(&plan).unwrap().replace(
        r#"venue: (file: "site.venue.ron"),"#,
        r#"venue: (file: "site.venue.ron", underlay: (file: "plan.png", min: (-125, -85), max: (0, 85), opacity: 0.8)),"#,
    );
    std::fs::write(&plan, text).unwrap();
    let with = shot("underlay", &[plan.to_str().unwrap()], (640, 480));
    let _ = std::fs::remove_dir_all(&dir);
    let (a, b) = (magenta(&without), magenta(&with));
    assert!(a < 100, "magenta without the underlay: {a}");
    assert!(b > 640 * 480 / 8, "magenta with it: {b} of {} pixels", with.len());
}

//! The planner's report: PNG figures and report.html come out of the run (not made up), the page
//! is self-contained, and `cordon run` writes all its files or none.

mod common;

use cordon::figures::{self, html};
use cordon::prelude::Report;
use std::path::Path;
use std::process::Command;

fn shipped(name: &str) -> cordon::prelude::Validated {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name);
    cordon::build::load_and_validate(&p).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a shipped scenario to its end and renders its figures; returns the names too, and the
/// highest Fruin level any density cell reached.
fn run_and_render(
    name: &str,
    seed: u64,
) -> (
    cordon::prelude::Validated,
    Report,
    Vec<figures::Figure>,
    Vec<String>,
    usize,
) {
    let v = shipped(name);
    let mut sim = common::sim(&v, seed);
    let report = sim.run(|_| {});
    let figs = figures::render(sim.world(), &report).expect("figures render");
    let names = figs.iter().map(|f| f.file.clone()).collect();
    let (_, _, _, _, peak) = sim.world().resource::<cordon::metrics::Metrics>().peak_raster();
    let top_cell = cordon::metrics::fruin_level(f64::from(peak.iter().copied().fold(0.0f32, f32::max)));
    (v, report, figs, names, top_cell)
}

/// Decodes a PNG into (width, height, RGB pixels).
fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut r = dec.read_info().expect("valid PNG header");
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).expect("valid PNG data");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn has_colour(rgb: &[u8], c: (u8, u8, u8)) -> bool {
    rgb.chunks(3).any(|p| p == [c.0, c.1, c.2])
}

#[test]
fn figures_show_the_run_and_the_page_embeds_them() {
    let (v, report, figs, names, top_cell) = run_and_render("response_demo.ron", 7);
    assert_eq!(names, ["density_map.png", "coverage_map.png", "response_cdf.png"]);

    // the density map colours cells by the Fruin level they reached: the highest zone level and
    // the highest cell level (cells outside every zone count too) must appear on the map, and
    // no level above the highest cell's
    let (w, h, rgb) = decode(&figs[0].png);
    // only the map panel (rows 40 .. h - 50): the legend below it shows every level
    let rgb = rgb[(40 * w * 3) as usize..((h - 50) * w * 3) as usize].to_vec();
    let top = report
        .zones
        .iter()
        .map(|z| "ABCDEF".find(&z.peak_los).unwrap())
        .max()
        .unwrap();
    let c = figures::LOS_COLOURS[top];
    assert!(has_colour(&rgb, (c.0, c.1, c.2)), "LOS {top} colour missing");
    assert!(top_cell >= top);
    let c = figures::LOS_COLOURS[top_cell];
    assert!(has_colour(&rgb, (c.0, c.1, c.2)), "LOS {top_cell} colour missing");
    for k in top_cell + 1..6 {
        let c = figures::LOS_COLOURS[k];
        assert!(
            !has_colour(&rgb, (c.0, c.1, c.2)),
            "LOS level {k} drawn but no zone reached it"
        );
    }

    // every figure is a real picture: many distinct colours
    for f in &figs {
        let (w, h, rgb) = decode(&f.png);
        assert!(w >= 600 && h >= 300, "{} is {w}x{h}", f.file);
        let mut colours: Vec<[u8; 3]> = rgb.chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() >= 8, "{} has only {} colours", f.file, colours.len());
    }

    // the page: headline table with values from the report, one embedded image per figure
    let page = html::page(&report, 8.0 * 3600.0 + 50.0 * 60.0, &v.scenario.description, &[], &figs);
    assert!(page.contains("<table id=\"headline\">"));
    let resp = report.response.as_ref().unwrap();
    assert!(page.contains(&format!("{:.0} s", resp.overall.response_s.p90)));
    assert_eq!(page.matches("src=\"data:image/png;base64,").count(), figs.len());
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "the page must not load anything"
    );
    for f in &figs {
        assert!(page.contains(&html::base64(&f.png)));
    }
    let rows = html::headlines(&report, 0.0);
    let metrics: Vec<&str> = rows.iter().map(|r| r.metric.as_str()).collect();
    for m in [
        "Response time, p90",
        "Response compliance",
        "Minimum coverage at 180 s",
        "Peak density",
    ] {
        assert!(metrics.contains(&m), "headline {m} missing: {metrics:?}");
    }
}

#[test]
fn security_runs_get_queue_and_throughput_figures() {
    let (_, report, _, names, _) = run_and_render("entrance_checkpoints.ron", 3);
    assert_eq!(names, ["density_map.png", "queues.png", "throughput.png"]);
    let rows = html::headlines(&report, 0.0);
    let sec = report.security.as_ref().unwrap();
    let tte = rows.iter().find(|r| r.metric == "Time to enter, p90").unwrap();
    assert_eq!(
        tte.value,
        format!(
            "{:.0} s ({:.1} min)",
            sec.time_to_enter_s.p90,
            sec.time_to_enter_s.p90 / 60.0
        )
    );
    let worst = sec.checkpoints.iter().map(|c| c.queue_max).max().unwrap();
    let wq = rows.iter().find(|r| r.metric == "Worst queue").unwrap();
    assert_eq!(wq.value, format!("{worst} persons"));
}

#[test]
fn run_writes_every_file_or_none() {
    let bin = env!("CARGO_BIN_EXE_cordon");
    let dir = std::env::temp_dir().join(format!("cordon-report-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let scen = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/response_demo.ron");
    let out = dir.join("ok");
    let st = Command::new(bin)
        .args(["run", "--quiet", "--until", "300", "--out"])
        .arg(&out)
        .arg(&scen)
        .status()
        .unwrap();
    assert!(st.success());
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "coverage_map.png",
            "density_map.png",
            "report.html",
            "report.json",
            "response_cdf.png",
            "timeseries.csv"
        ]
    );
    // an output path that is a file: an error, non-zero exit, and nothing left behind
    std::fs::write(dir.join("blocker"), "x").unwrap();
    let bad = dir.join("blocker").join("sub");
    let o = Command::new(bin)
        .args(["run", "--quiet", "--until", "60", "--out"])
        .arg(&bad)
        .arg(&scen)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("blocker"), "error should name the path: {err}");
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "only ok/ and blocker: {left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

//! The viewer's screenshot mode renders the Import Expo with visitors on it. Needs a display (CI
//! runs it under Xvfb with Mesa's software Vulkan): `cargo test --release --test viewer -- --ignored`.
#![cfg(feature = "viewer")]

use std::process::Command;

#[test]
#[ignore = "needs a display: CI runs it under xvfb-run"]
fn screenshot_of_the_default_scenario_shows_the_crowd() {
    let bin = env!("CARGO_BIN_EXE_cordon");
    let dir = std::env::temp_dir().join(format!("cordon-view-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png_path = dir.join("view.png");
    let out = Command::new(bin)
        .args([
            "view",
            "--at",
            "3600",
            "--width",
            "1280",
            "--height",
            "900",
            "--screenshot",
        ])
        .arg(&png_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cordon view failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&png_path).unwrap();
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1280, 900));
    let px: Vec<[u8; 3]> = buf[..info.buffer_size()]
        .chunks(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut colours = px.clone();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() >= 10, "only {} colours: blank?", colours.len());
    // walking visitors are drawn blue: many clearly blue pixels at 09:30 on the peak day
    let blue = px
        .iter()
        .filter(|p| p[2] > 150 && p[2] > p[0] + 60 && p[2] > p[1] + 30)
        .count();
    assert!(blue > 500, "only {blue} blue (walking-visitor) pixels");
    let _ = std::fs::remove_dir_all(&dir);
}

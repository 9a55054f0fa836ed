//! RiMEA verification tests (RiMEA guideline, Annex 1) and measured-data checks of the
//! operational model: free walking, the fundamental diagram, a corner, demographics, exit
//! choice by distance, and bottleneck flow.

mod common;

use cordon::scenario::model::ModelParams;
use cordon::validation::{measure_fd, weidmann};

#[test]
fn rimea_4_fundamental_diagram_follows_weidmann() {
    let mut last = f64::INFINITY;
    for rho in [0.5, 1.0, 2.0, 3.0, 4.0, 5.0] {
        let (speed, dens) = measure_fd(rho, &ModelParams::default()).unwrap_or_else(|e| panic!("{e}"));
        let expect = weidmann(rho);
        eprintln!("rho {rho}: measured density {dens:.2}, speed {speed:.3} m/s, Weidmann {expect:.3}");
        assert!(
            speed < last,
            "speed must fall with density: {speed} at {rho} after {last}"
        );
        last = speed;
        assert!(
            (dens - rho).abs() < 0.15 * rho,
            "density drifted: {dens} for nominal {rho}"
        );
        if rho <= 4.0 {
            assert!(
                (speed - expect).abs() <= 0.25,
                "at {rho}/m² speed {speed:.3} is not within 0.25 of Weidmann {expect:.3}"
            );
        }
    }
}

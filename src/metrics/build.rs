//! The measurement settings of a scenario, checked: intervals and cell sizes positive, and rasters
//! the venue's bounds can hold.

use crate::scenario::check::Checker;
use crate::scenario::model::*;
use crate::venue::grid::MAX_CELLS;

/// Checks `mt` for a venue within `bounds` (None: the bounds are wrong, so the raster sizes are
/// not checked).
pub fn check(ck: &mut Checker, mt: &MetricsSettings, bounds: Option<Bounds>) {
    for (name, val) in [
        ("density_interval", mt.density_interval),
        ("series_interval", mt.series_interval),
        ("density_cell", mt.density_cell),
        ("critical_density", mt.critical_density),
        ("wait_limit", mt.wait_limit),
        ("coverage_cell", mt.coverage_cell),
    ] {
        if !(val.is_finite() && val > 0.0) {
            ck.err(
                Some(name.into()),
                format!("metrics.{name} must be a positive number, got {val}"),
            );
        }
    }
    if !(mt.coverage_interval.is_finite() && mt.coverage_interval >= 0.0) {
        ck.err(
            Some("coverage_interval".into()),
            format!(
                "metrics.coverage_interval must be zero (off) or positive seconds, got {}",
                mt.coverage_interval
            ),
        );
    }
    if let Some(b) = bounds
        && mt.coverage_cell.is_finite()
        && mt.coverage_cell > 0.0
    {
        let cells = ((b.max.0 - b.min.0) / mt.coverage_cell).ceil() * ((b.max.1 - b.min.1) / mt.coverage_cell).ceil();
        if cells > 4_000_000.0 {
            ck.err(
                Some("coverage_cell".into()),
                format!(
                    "metrics.coverage_cell = {} m is too fine for the venue (over 4 million cells)",
                    mt.coverage_cell
                ),
            );
        }
    }
    if let Some(b) = bounds
        && mt.density_cell.is_finite()
        && mt.density_cell > 0.0
    {
        let cells = ((b.max.0 - b.min.0) / mt.density_cell).ceil() * ((b.max.1 - b.min.1) / mt.density_cell).ceil();
        if cells > MAX_CELLS as f64 {
            ck.err(
                Some("density_cell".into()),
                format!("metrics.density_cell = {} m is too fine for the venue", mt.density_cell),
            );
        }
    }
}

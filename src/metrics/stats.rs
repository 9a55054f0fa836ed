//! Summary statistics shared by every part of the report: rounding and order statistics.

use serde::Serialize;

/// Rounds to 1e-4 (reports stay readable; rounding is deterministic).
pub fn round(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// Summary statistics of a sample.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Stats {
    /// Sample size.
    pub count: u64,
    /// Mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Maximum.
    pub max: f64,
}

impl Stats {
    /// Nearest-rank percentiles of the values.
    pub fn of(values: impl Iterator<Item = f64>) -> Stats {
        let mut v: Vec<f64> = values.collect();
        if v.is_empty() {
            return Stats::default();
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let pct = |p: f64| v[(((p * n as f64).ceil() as usize).max(1) - 1).min(n - 1)];
        Stats {
            count: n as u64,
            mean: round(v.iter().sum::<f64>() / n as f64),
            p50: round(pct(0.5)),
            p90: round(pct(0.9)),
            p95: round(pct(0.95)),
            max: round(v[n - 1]),
        }
    }
}

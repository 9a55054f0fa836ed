//! What a batch writes: `runs.csv` (one row per replication), `summary.csv` and `summary.json`
//! (per sweep point and metric: n, mean, sd, 95% confidence interval, min, max), a plot of each
//! metric against each swept parameter, and the terminal table. The same function writes an
//! unsharded batch and a merged one, so the two are byte-identical.

use super::{BatchSpec, METRICS, RunRow};
use crate::error::Result;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;
use std::path::Path;

/// Summary of one metric at one sweep point.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricSummary {
    /// Metric name.
    pub metric: String,
    /// Replications with a value.
    pub n: u64,
    /// Mean.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1).
    pub sd: Option<f64>,
    /// 95% confidence interval of the mean (Student's t), low.
    pub ci95_low: Option<f64>,
    /// 95% confidence interval of the mean, high.
    pub ci95_high: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

/// One sweep point's summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PointSummary {
    /// Point index.
    pub point: u64,
    /// `(path, value)` of each swept parameter.
    pub values: Vec<(String, Value)>,
    /// Replications run.
    pub runs: u64,
    /// Replications that failed.
    pub failed: u64,
    /// Per metric.
    pub metrics: Vec<MetricSummary>,
}

/// `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// The batch.
    pub batch: BatchSpec,
    /// Per sweep point.
    pub points: Vec<PointSummary>,
    /// Failed replications: `(point, replication, seed, why)`.
    pub failures: Vec<(u64, u64, u64, String)>,
}

/// A headline cell: "mean [95% CI]" to three decimals, the mean alone without an interval, "–"
/// without a value.
pub fn summary_cell(m: &MetricSummary) -> String {
    match (m.mean, m.ci95_low, m.ci95_high) {
        (Some(x), Some(lo), Some(hi)) => format!("{x:.3} [{lo:.3}, {hi:.3}]"),
        (Some(x), _, _) => format!("{x:.3}"),
        _ => "–".into(),
    }
}

/// The headline metrics of several plans as table rows (`cordon optimize` and `cordon compare`
/// share it): per metric that any plan has a value of, in [`METRICS`] order, its name and one
/// [`summary_cell`] per plan. `plans[p]` lists plan p's summaries in [`METRICS`] order.
pub fn headline_rows(plans: &[&[MetricSummary]]) -> Vec<(String, Vec<String>)> {
    (0..METRICS.len())
        .filter(|&m| plans.iter().any(|p| p.get(m).is_some_and(|x| x.mean.is_some())))
        .map(|m| {
            let cells = plans
                .iter()
                .map(|p| p.get(m).map_or("–".into(), summary_cell))
                .collect();
            (METRICS[m].to_string(), cells)
        })
        .collect()
}

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: u64) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df as usize - 1],
        // Cornish-Fisher expansion around the normal quantile: within 0.001 beyond 30
        _ => {
            let z = 1.959_964f64;
            let d = df as f64;
            z + (z.powi(3) + z) / (4.0 * d) + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
        }
    }
}

fn r6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Summary statistics of the values.
pub fn summarise(metric: &str, v: &[f64]) -> MetricSummary {
    let n = v.len() as u64;
    if v.is_empty() {
        return MetricSummary {
            metric: metric.into(),
            n,
            mean: None,
            sd: None,
            ci95_low: None,
            ci95_high: None,
            min: None,
            max: None,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = (n > 1).then(|| (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt());
    let half = sd.map(|s| t975(n - 1) * s / (n as f64).sqrt());
    MetricSummary {
        metric: metric.into(),
        n,
        mean: Some(r6(mean)),
        sd: sd.map(r6),
        ci95_low: half.map(|h| r6(mean - h)),
        ci95_high: half.map(|h| r6(mean + h)),
        min: v.iter().copied().reduce(f64::min).map(r6),
        max: v.iter().copied().reduce(f64::max).map(r6),
    }
}

/// Per-point summaries of the rows.
pub fn summary(spec: &BatchSpec, rows: &[RunRow]) -> Summary {
    let points = (0..spec.points())
        .map(|p| {
            let mine: Vec<&RunRow> = rows.iter().filter(|r| r.point == p).collect();
            let ok: Vec<&&RunRow> = mine.iter().filter(|r| r.error.is_none()).collect();
            PointSummary {
                point: p,
                values: spec
                    .sweeps
                    .iter()
                    .map(|s| s.0.clone())
                    .zip(spec.point_values(p))
                    .collect(),
                runs: mine.len() as u64,
                failed: (mine.len() - ok.len()) as u64,
                metrics: METRICS
                    .iter()
                    .enumerate()
                    .map(|(m, name)| {
                        let v: Vec<f64> = ok.iter().filter_map(|r| r.metrics.get(m).copied().flatten()).collect();
                        summarise(name, &v)
                    })
                    .collect(),
            }
        })
        .collect();
    Summary {
        batch: spec.clone(),
        points,
        failures: rows
            .iter()
            .filter_map(|r| r.error.clone().map(|e| (r.point, r.rep, r.seed, e)))
            .collect(),
    }
}

fn cell(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{}", r6(x)))
}

/// A swept value as text: a string as it is, anything else as JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `runs.csv`.
pub fn runs_csv(spec: &BatchSpec, rows: &[RunRow]) -> String {
    let mut head: Vec<String> = ["point", "replication", "seed"].map(String::from).to_vec();
    head.extend(spec.sweeps.iter().map(|(p, _)| p.clone()));
    head.extend(METRICS.iter().map(|m| m.to_string()));
    head.push("error".into());
    let mut out = vec![head];
    for r in rows {
        let mut row = vec![r.point.to_string(), r.rep.to_string(), r.seed.to_string()];
        row.extend(spec.point_values(r.point).iter().map(text));
        row.extend(r.metrics.iter().map(|m| cell(*m)));
        row.push(r.error.clone().unwrap_or_default());
        out.push(row);
    }
    crate::output::csv(out)
}

/// `summary.csv`: one row per point and metric.
pub fn summary_csv(sum: &Summary) -> String {
    let mut head = vec!["point".to_string()];
    head.extend(sum.batch.sweeps.iter().map(|(p, _)| p.clone()));
    head.extend(["metric", "n", "mean", "sd", "ci95_low", "ci95_high", "min", "max"].map(String::from));
    let mut out = vec![head];
    for pt in &sum.points {
        for m in &pt.metrics {
            let mut row = vec![pt.point.to_string()];
            row.extend(pt.values.iter().map(|(_, v)| text(v)));
            row.push(m.metric.to_string());
            row.push(m.n.to_string());
            row.extend([m.mean, m.sd, m.ci95_low, m.ci95_high, m.min, m.max].map(cell));
            out.push(row);
        }
    }
    crate::output::csv(out)
}

/// The terminal table: per point, mean ± CI half-width of the metrics that have values.
pub fn table(sum: &Summary) -> String {
    let shown: Vec<usize> = (0..METRICS.len())
        .filter(|&m| sum.points.iter().any(|p| p.metrics[m].mean.is_some()))
        .collect();
    let mut s = String::new();
    for pt in &sum.points {
        let vals: Vec<String> = pt.values.iter().map(|(p, v)| format!("{p}={}", text(v))).collect();
        let _ = writeln!(
            s,
            "point {}{}: {} runs{}",
            pt.point,
            if vals.is_empty() {
                String::new()
            } else {
                format!(" ({})", vals.join(", "))
            },
            pt.runs,
            if pt.failed > 0 {
                format!(", {} FAILED", pt.failed)
            } else {
                String::new()
            }
        );
        for &m in &shown {
            let ms = &pt.metrics[m];
            let Some(mean) = ms.mean else { continue };
            let ci = match (ms.ci95_low, ms.ci95_high) {
                (Some(lo), Some(hi)) => format!(" ± {:.3}  [{:.3}, {:.3}]", (hi - lo) / 2.0, lo, hi),
                _ => String::new(),
            };
            let _ = writeln!(s, "  {:<28} {:>12.3}{ci}", ms.metric, mean);
        }
    }
    for (p, k, seed, why) in &sum.failures {
        let _ = writeln!(s, "FAILED: point {p} replication {k} (seed {seed}): {why}");
    }
    s
}

/// A plot per metric and swept parameter (none without sweeps).
pub fn plots(sum: &Summary) -> Result<Vec<(String, Vec<u8>)>> {
    let spec = &sum.batch;
    let mut out = Vec::new();
    for (si, (param, values)) in spec.sweeps.iter().enumerate() {
        let labels: Vec<String> = values.iter().map(text).collect();
        for (m, metric) in METRICS.iter().enumerate() {
            // one line per combination of the other parameters
            let mut series: Vec<(String, Vec<(usize, f64, f64, f64)>)> = Vec::new();
            for pt in &sum.points {
                let ms = &pt.metrics[m];
                let Some(mean) = ms.mean else { continue };
                let others: Vec<String> = pt
                    .values
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != si)
                    .map(|(_, (p, v))| format!("{p}={}", text(v)))
                    .collect();
                let name = others.join(", ");
                let x = values.iter().position(|v| *v == pt.values[si].1).unwrap_or(0);
                let (lo, hi) = (ms.ci95_low.unwrap_or(mean), ms.ci95_high.unwrap_or(mean));
                match series.iter_mut().find(|s| s.0 == name) {
                    Some(s) => s.1.push((x, mean, lo, hi)),
                    None => series.push((name, vec![(x, mean, lo, hi)])),
                }
            }
            if series.is_empty() {
                continue;
            }
            let slug: String = param
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect::<String>()
                .split('_')
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            let file = format!("{metric}_vs_{slug}.png");
            let caption = format!("{metric} vs {param} ({} runs per point)", spec.runs);
            let png = crate::figures::sweep_chart(&file, &caption, param, &labels, &series)?;
            out.push((file, png));
        }
    }
    Ok(out)
}

/// Writes runs.csv, summary.csv, summary.json and the plots into `dir`, all or none.
pub fn write(dir: &Path, spec: &BatchSpec, rows: &[RunRow]) -> Result<Summary> {
    let sum = summary(spec, rows);
    let mut files = vec![
        ("runs.csv".to_string(), runs_csv(spec, rows).into_bytes()),
        ("summary.csv".to_string(), summary_csv(&sum).into_bytes()),
        (
            "summary.json".to_string(),
            serde_json::to_vec_pretty(&sum).map_err(|e| crate::CordonError::Batch(e.to_string()))?,
        ),
    ];
    files.extend(plots(&sum)?);
    crate::output::write_folder(dir, &files)?;
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_interval_of_known_values() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sd sqrt(32/7); t(7) = 2.365
        let s = summarise("x", &[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.mean, Some(5.0));
        let sd = (32.0f64 / 7.0).sqrt();
        assert!((s.sd.unwrap() - sd).abs() < 1e-6);
        let half = 2.365 * sd / 8f64.sqrt();
        assert!((s.ci95_high.unwrap() - (5.0 + half)).abs() < 1e-5);
        assert_eq!((s.min, s.max), (Some(2.0), Some(9.0)));
        // one value: no spread, no interval
        let one = summarise("x", &[3.0]);
        assert_eq!((one.sd, one.ci95_low), (None, None));
        assert!((t975(1000) - 1.9623).abs() < 1e-3);
        assert!((t975(40) - 2.021).abs() < 1e-3);
    }
}

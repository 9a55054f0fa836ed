//! Batch evaluation (`cordon batch`, `cordon merge`): Monte Carlo replications of a scenario and
//! of its variants (`--set` changes, a grid of `--sweep` values), run in parallel, each its own
//! simulation `App`; per-run headline metrics, per-point summaries with 95% confidence
//! intervals, plots; sharding for cluster schedulers (Slurm job arrays, Kubernetes Indexed
//! Jobs) with a merge that gives the same files as an unsharded batch.
//!
//! Determinism: replication `k` of sweep point `p` runs with a seed derived from (S, p, k) only,
//! and results are written in (p, k) order, so the files do not depend on `--jobs`, on the
//! sharding or on the order runs finish in.

pub mod args;
pub mod output;
pub mod path;
pub mod sbatch;

pub use args::{BatchArgs, Prepared, prepare};

use crate::build::Validated;
use crate::error::{CordonError, Result};
use crate::report::Report;
use crate::scenario::Limits;
use crate::scenario::Scenario;
use crate::sim::{SimOptions, Simulation};
use crate::venue::cache::FieldCache;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What a batch is: the same for every shard of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchSpec {
    /// Scenario file as given (None: the built-in default).
    pub file: Option<String>,
    /// Scenario name.
    pub scenario: String,
    /// Replications per sweep point.
    pub runs: u64,
    /// Base seed S.
    pub seed: u64,
    /// Simulated seconds per run (None: the scenario's window).
    pub until: Option<f64>,
    /// `--set` changes, `(path, value)`, applied first.
    pub sets: Vec<(String, Value)>,
    /// `--sweep` parameters, `(path, values)`; the grid's first parameter varies slowest.
    pub sweeps: Vec<(String, Vec<Value>)>,
}

/// Replications one batch may hold in all (sweep points × runs): a bound on what a batch, a
/// shard file or a merge allocates. A study larger than this is several batches.
pub const MAX_REPLICATIONS: u64 = 1_000_000;
/// Shards one batch may be split into (`--shards`, `merge --expect`).
pub const MAX_SHARDS: u64 = 100_000;
/// Bytes one shard file may have (a shard of the largest batch is far smaller).
pub const MAX_SHARD_BYTES: u64 = 1 << 30;

impl BatchSpec {
    /// Checks the batch's size before anything is allocated for it: at least one replication
    /// per point, every sweep with a value, and at most [`MAX_REPLICATIONS`] in all.
    pub fn check(&self) -> Result<()> {
        if self.runs == 0 {
            return Err(CordonError::Batch("--runs must be at least 1".into()));
        }
        let mut total = self.runs;
        for (path, vals) in &self.sweeps {
            if vals.is_empty() {
                return Err(CordonError::Batch(format!("--sweep {path}: no values")));
            }
            total = total.checked_mul(vals.len() as u64).unwrap_or(u64::MAX);
        }
        if total > MAX_REPLICATIONS {
            return Err(CordonError::Batch(format!(
                "the batch would hold {} replications ({} per point); the limit is {MAX_REPLICATIONS}: split the study into several batches",
                if total == u64::MAX {
                    "more than 2^64".to_string()
                } else {
                    total.to_string()
                },
                self.runs
            )));
        }
        Ok(())
    }
    /// Sweep points in the grid (1 without sweeps).
    pub fn points(&self) -> u64 {
        self.sweeps.iter().map(|s| s.1.len() as u64).product()
    }
    /// Replications in all.
    pub fn total(&self) -> u64 {
        self.points() * self.runs
    }
    /// The sweep values of point `p`, one per swept parameter.
    pub fn point_values(&self, p: u64) -> Vec<Value> {
        let mut rest = p;
        let mut out = vec![Value::Null; self.sweeps.len()];
        for (i, (_, vals)) in self.sweeps.iter().enumerate().rev() {
            let n = vals.len() as u64;
            out[i] = vals[(rest % n) as usize].clone();
            rest /= n;
        }
        out
    }
}

/// SplitMix64 finaliser.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Seed of replication `k` of sweep point `p` under base seed `s`: a hash of (s, p, k) only.
pub fn run_seed(s: u64, p: u64, k: u64) -> u64 {
    mix(mix(mix(s) ^ p) ^ k.wrapping_mul(0x2545_f491_4f6c_dd1d))
}

/// Which share of the replications this process runs: global index `g` with `g % of == index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u64,
    /// Shards in all.
    pub of: u64,
}

impl Shard {
    /// Parses `I/N` (0 ≤ I < N) or `auto` (Slurm array or Kubernetes Indexed Job variables).
    pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Shard> {
        let bad = |why: String| CordonError::Batch(format!("--shard {text}: {why}"));
        if text == "auto" {
            let num = |k: &str| -> Result<Option<u64>> {
                env(k)
                    .map(|v| {
                        v.trim()
                            .parse::<u64>()
                            .map_err(|_| bad(format!("{k}={v} is not a whole number")))
                    })
                    .transpose()
            };
            if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
                let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                let count = num("SLURM_ARRAY_TASK_COUNT")?
                    .ok_or_else(|| bad("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".into()))?;
                let index = id
                    .checked_sub(min)
                    .ok_or_else(|| bad(format!("SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}")))?;
                return Shard::new(index, count).map_err(|e| bad(e.to_string()));
            }
            if let Some(index) = num("JOB_COMPLETION_INDEX")? {
                let count = num("CORDON_SHARDS")?.or(num("JOB_COMPLETIONS")?).ok_or_else(|| {
                    bad("JOB_COMPLETION_INDEX is set but neither CORDON_SHARDS nor JOB_COMPLETIONS".into())
                })?;
                return Shard::new(index, count).map_err(|e| bad(e.to_string()));
            }
            return Err(bad(
                "no SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX in the environment".into()
            ));
        }
        let (i, n) = text.split_once('/').ok_or_else(|| bad("expected I/N or auto".into()))?;
        let i = i
            .trim()
            .parse::<u64>()
            .map_err(|_| bad("I is not a whole number".into()))?;
        let n = n
            .trim()
            .parse::<u64>()
            .map_err(|_| bad("N is not a whole number".into()))?;
        Shard::new(i, n).map_err(|e| bad(e.to_string()))
    }

    fn new(index: u64, of: u64) -> Result<Shard> {
        if of > MAX_SHARDS {
            return Err(CordonError::Batch(format!(
                "{of} shards: a batch has 1 to {MAX_SHARDS} shards"
            )));
        }
        if of == 0 || index >= of {
            return Err(CordonError::Batch(format!(
                "shard {index} of {of} does not exist (0 ≤ I < N)"
            )));
        }
        Ok(Shard { index, of })
    }

    /// Whether global replication `g` is this shard's.
    pub fn owns(&self, g: u64) -> bool {
        g % self.of == self.index
    }
}

/// One replication's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Global index `p * runs + k`.
    pub index: u64,
    /// Sweep point.
    pub point: u64,
    /// Replication within the point.
    pub rep: u64,
    /// Seed it ran with.
    pub seed: u64,
    /// Headline metrics (same order as [`METRICS`]; None: not applicable to this plan).
    pub metrics: Vec<Option<f64>>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// Headline metrics, one column each.
pub const METRICS: [&str; 18] = [
    "entered",
    "time_to_enter_p90_s",
    "worst_queue",
    "wait_p90_worst_checkpoint_s",
    "interception_rate",
    "response_p90_s",
    "response_within_60s",
    "response_within_180s",
    "response_within_300s",
    "coverage_area_min_180s",
    "coverage_crowd_min_180s",
    "peak_density",
    "los_ef_s",
    "incidents",
    "vehicle_queue_max",
    "vehicle_wait_p90_worst_s",
    "interception_rate_all_rings",
    "crossing_kerb_wait_p90_worst_s",
];

/// The headline metrics of one report, in [`METRICS`] order.
pub fn headline(r: &Report) -> Vec<Option<f64>> {
    let sec = r.security.as_ref();
    let veh = r.vehicles.as_ref();
    let resp = r.response.as_ref();
    let within = |th: f64| {
        resp.and_then(|x| {
            x.thresholds_s
                .iter()
                .position(|t| (t - th).abs() < 1e-9)
                .and_then(|i| x.overall.within.get(i).copied())
                .filter(|_| x.overall.occurred > 0)
        })
    };
    let cov180 = resp.and_then(|x| x.coverage.as_ref()).and_then(|c| {
        c.thresholds
            .iter()
            .find(|t| (t.threshold_s - 180.0).abs() < 1e-9)
            .cloned()
    });
    let (carriers, caught) = sec.map_or((0, 0), |s| {
        s.items
            .iter()
            .fold((0, 0), |(a, b), it| (a + it.carriers, b + it.intercepted))
    });
    vec![
        Some(r.totals.spawned as f64),
        sec.filter(|s| s.time_to_enter_s.count > 0)
            .map(|s| s.time_to_enter_s.p90),
        sec.and_then(|s| s.checkpoints.iter().map(|c| c.queue_max).max())
            .map(|q| q as f64),
        sec.and_then(|s| s.checkpoints.iter().map(|c| c.wait_s.p90).max_by(f64::total_cmp)),
        (carriers > 0).then(|| caught as f64 / carriers as f64),
        resp.filter(|x| x.overall.answered > 0)
            .map(|x| x.overall.response_s.p90),
        within(60.0),
        within(180.0),
        within(300.0),
        cov180.as_ref().map(|t| t.area_min),
        cov180.and_then(|t| t.crowd_min),
        r.zones.iter().map(|z| z.peak_density).max_by(f64::total_cmp),
        r.zones.iter().map(|z| z.los_s.e + z.los_s.f).max_by(f64::total_cmp),
        resp.map(|x| x.overall.occurred as f64),
        veh.and_then(|v| v.checkpoints.iter().map(|c| c.queue_max_vehicles).max())
            .map(|q| q as f64),
        veh.and_then(|v| v.checkpoints.iter().map(|c| c.wait_s.p90).max_by(f64::total_cmp)),
        veh.and_then(|v| {
            // intercepted anywhere over those plus the undetected who reached the innermost ring
            let (caught, all) = v
                .items
                .iter()
                .fold((0.0, 0.0), |(a, b), it| match it.interception_rate_all_rings {
                    Some(rate) => {
                        let foot = sec.and_then(|s| s.items.iter().find(|x| x.item == it.item));
                        let n = (it.intercepted_at_vehicle_rings
                            + foot.map_or(0, |f| f.intercepted + f.undetected_reached_innermost))
                            as f64;
                        (a + rate * n, b + n)
                    }
                    None => (a, b),
                });
            (all > 0.0).then(|| caught / all)
        }),
        veh.and_then(|v| {
            (v.crossings.iter())
                .filter(|c| c.kerb_wait_s.count > 0)
                .map(|c| c.kerb_wait_s.p90)
                .max_by(f64::total_cmp)
        }),
    ]
}

/// The scenario as plain data (its serde form), for paths to edit.
pub fn to_doc(s: &Scenario) -> Result<Value> {
    serde_json::to_value(s).map_err(|e| CordonError::Batch(format!("cannot represent the scenario: {e}")))
}

/// Applies `(path, value)` changes to a scenario and validates the result within `limits`,
/// taking the floor fields it can from `cache`.
pub fn variant(
    base: &Value,
    changes: &[(String, Value)],
    file: &str,
    limits: &Limits,
    cache: &mut FieldCache,
) -> Result<Validated> {
    let mut doc = base.clone();
    for (p, v) in changes {
        let steps = path::parse(p)?;
        path::set(&mut doc, p, &steps, v.clone())?;
    }
    let sc: Scenario = serde_json::from_value(doc).map_err(|e| {
        let which: Vec<String> = changes.iter().map(|(p, v)| format!("{p}={v}")).collect();
        CordonError::Batch(format!("{} does not fit the scenario: {e}", which.join(", ")))
    })?;
    crate::build::validate_cached(&sc, file, None, limits, cache)
}

/// Every sweep point's validated scenario (all checked before anything runs). Points whose
/// geometry is the same share their floor fields: a sweep over lanes, crowds or responders holds
/// one set of fields, however many points it has.
pub fn variants(spec: &BatchSpec, base: &Scenario, file: &str, limits: &Limits) -> Result<Vec<Validated>> {
    let doc = to_doc(base)?;
    let mut cache = FieldCache::new();
    (0..spec.points())
        .map(|p| {
            let mut changes = spec.sets.clone();
            for ((path, _), v) in spec.sweeps.iter().zip(spec.point_values(p)) {
                changes.push((path.clone(), v));
            }
            variant(&doc, &changes, file, limits, &mut cache).map_err(|e| match e {
                CordonError::Invalid { file, problems } => CordonError::Batch(format!(
                    "sweep point {p} is not a valid scenario ({file}):\n{}",
                    problems
                        .iter()
                        .map(|x| format!("error: {x}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )),
                other => other,
            })
        })
        .collect()
}

/// Runs one replication: [`run_one`], or a stand-in in tests.
pub type Runner<'a> = dyn Fn(&BatchSpec, &[Validated], u64) -> RunRow + Sync + 'a;

/// Runs the replications `todo` (global indices) on `jobs` threads; `done(n)` after each.
pub fn run_all(
    spec: &BatchSpec,
    variants: &[Validated],
    todo: &[u64],
    jobs: usize,
    done: &(dyn Fn(u64) + Sync),
) -> Vec<RunRow> {
    run_all_with(spec, variants, todo, jobs, done, &run_one)
}

/// [`run_all`] with another runner. A replication that panics is reported as failed, with its
/// seed and the panic message; the others' results are kept.
pub fn run_all_with(
    spec: &BatchSpec,
    variants: &[Validated],
    todo: &[u64],
    jobs: usize,
    done: &(dyn Fn(u64) + Sync),
    runner: &Runner<'_>,
) -> Vec<RunRow> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let rows: Mutex<Vec<RunRow>> = Mutex::new(Vec::with_capacity(todo.len()));
    let finished = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(todo.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&g) = todo.get(i) else { break };
                    let row = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner(spec, variants, g)))
                        .unwrap_or_else(|e| failed(spec, g, &*e));
                    rows.lock().unwrap_or_else(|e| e.into_inner()).push(row);
                    done(finished.fetch_add(1, Ordering::SeqCst) + 1);
                }
            });
        }
    });
    let mut rows = rows.into_inner().unwrap_or_else(|e| e.into_inner());
    rows.sort_by_key(|r| r.index);
    rows
}

/// One replication of a study: a serial run of `v` with `seed`, stopped after `until` simulated
/// seconds (None: at the scenario's end). Batches, the optimiser's verification and `compare`
/// all run their replications so.
pub fn replicate(v: &Validated, seed: u64, until: Option<f64>) -> Report {
    let opts = SimOptions {
        seed: Some(seed),
        until,
        threads: 1,
        multi_threaded_executor: false,
    };
    Simulation::new(v, &opts).run(|_| {})
}

/// Runs global replication `g`.
pub fn run_one(spec: &BatchSpec, variants: &[Validated], g: u64) -> RunRow {
    let (p, k) = (g / spec.runs, g % spec.runs);
    let seed = run_seed(spec.seed, p, k);
    let report = replicate(&variants[p as usize], seed, spec.until);
    RunRow {
        index: g,
        point: p,
        rep: k,
        seed,
        metrics: headline(&report),
        error: None,
    }
}

/// The row of a replication that panicked.
fn failed(spec: &BatchSpec, g: u64, e: &(dyn std::any::Any + Send)) -> RunRow {
    let (p, k) = (g / spec.runs, g % spec.runs);
    RunRow {
        index: g,
        point: p,
        rep: k,
        seed: run_seed(spec.seed, p, k),
        metrics: vec![None; METRICS.len()],
        error: Some(
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "the run panicked".into()),
        ),
    }
}

/// A shard's results as written to `shard-I-of-N.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// The batch.
    pub spec: BatchSpec,
    /// This shard.
    pub shard: u64,
    /// Shards in all.
    pub of: u64,
    /// Its replications, by global index.
    pub rows: Vec<RunRow>,
}

/// File name of shard `i` of `n`.
pub fn shard_name(i: u64, n: u64) -> String {
    format!("shard-{i}-of-{n}.json")
}

/// Reads the `n` shard files of `dir` and merges them; fails listing the missing ones, or when
/// they belong to different batches.
pub fn merge(dir: &Path, n: u64) -> Result<(BatchSpec, Vec<RunRow>)> {
    if !(1..=MAX_SHARDS).contains(&n) {
        return Err(CordonError::Batch(format!(
            "--expect {n}: a batch has 1 to {MAX_SHARDS} shards"
        )));
    }
    let mut missing = Vec::new();
    let mut spec: Option<BatchSpec> = None;
    let mut rows = Vec::new();
    for i in 0..n {
        let p = dir.join(shard_name(i, n));
        if let Ok(m) = std::fs::metadata(&p)
            && m.len() > MAX_SHARD_BYTES
        {
            return Err(CordonError::Batch(format!(
                "{}: {} bytes; a shard file is at most {MAX_SHARD_BYTES}",
                p.display(),
                m.len()
            )));
        }
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.push(i);
                continue;
            }
            Err(e) => return Err(CordonError::Io { path: p, source: e }),
        };
        let f: ShardFile = serde_json::from_str(&text)
            .map_err(|e| CordonError::Batch(format!("{}: not a shard file: {e}", p.display())))?;
        if f.shard != i || f.of != n {
            return Err(CordonError::Batch(format!(
                "{}: holds shard {} of {}, expected {i} of {n}",
                p.display(),
                f.shard,
                f.of
            )));
        }
        match &spec {
            None => spec = Some(f.spec.clone()),
            Some(s) if *s != f.spec => {
                return Err(CordonError::Batch(format!(
                    "{}: belongs to another batch than {}",
                    p.display(),
                    dir.join(shard_name(0, n)).display()
                )));
            }
            Some(_) => {}
        }
        f.spec
            .check()
            .map_err(|e| CordonError::Batch(format!("{}: {e}", p.display())))?;
        // every row as the batch would have written it: this shard's, its point and replication
        // those of its index, its seed that of (S, point, replication), one value per metric
        for r in &f.rows {
            let runs = f.spec.runs.max(1);
            let (pt, k) = (r.index / runs, r.index % runs);
            if r.index >= f.spec.total()
                || r.index % n != i
                || (r.point, r.rep) != (pt, k)
                || r.seed != run_seed(f.spec.seed, pt, k)
                || r.metrics.len() != METRICS.len()
            {
                return Err(CordonError::Batch(format!(
                    "{}: replication {} (point {}, replication {}) is not one this shard of the batch runs, or is malformed",
                    p.display(),
                    r.index,
                    r.point,
                    r.rep
                )));
            }
        }
        rows.extend(f.rows);
        if rows.len() as u64 > f.spec.total() {
            return Err(CordonError::Batch(format!(
                "{}: the shards hold more replications than the batch's {}",
                p.display(),
                f.spec.total()
            )));
        }
    }
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|&i| shard_name(i, n)).collect();
        return Err(CordonError::Batch(format!(
            "{}: {} of {n} shards missing: {}",
            dir.display(),
            missing.len(),
            names.join(", ")
        )));
    }
    let spec = spec.ok_or_else(|| CordonError::Batch(format!("{}: no shards expected", dir.display())))?;
    rows.sort_by_key(|r| r.index);
    let want = spec.total();
    if rows.len() as u64 != want || rows.iter().enumerate().any(|(i, r)| r.index != i as u64) {
        return Err(CordonError::Batch(format!(
            "{}: the shards hold {} replications, the batch has {want}",
            dir.display(),
            rows.len()
        )));
    }
    Ok((spec, rows))
}

/// Where a batch writes: `out` if given, else `out/<scenario>-batch`. A scenario name that is
/// not a valid one (a file read but not yet validated, later renamed by `--set name=...`)
/// cannot name the default folder: it could climb out of `out/`.
pub fn out_dir(out: Option<PathBuf>, scenario: &str) -> Result<PathBuf> {
    match out {
        Some(o) => Ok(o),
        None if crate::scenario::check::valid_name(scenario) => {
            Ok(PathBuf::from("out").join(format!("{scenario}-batch")))
        }
        None => Err(CordonError::Batch(format!(
            "the scenario's name {scenario:?} cannot name the output folder (letters, digits, '-', '_', '.' only): give --out"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_depend_on_base_point_and_replication_only() {
        assert_eq!(run_seed(1, 2, 3), run_seed(1, 2, 3));
        let mut all: Vec<u64> = (0..4).flat_map(|p| (0..50).map(move |k| run_seed(7, p, k))).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 200);
        assert_ne!(run_seed(7, 0, 1), run_seed(7, 1, 0));
        assert_ne!(run_seed(7, 0, 0), run_seed(8, 0, 0));
    }

    #[test]
    fn shards_parse_by_hand_and_from_slurm_or_kubernetes() {
        let none = |_: &str| None;
        assert_eq!(Shard::parse("1/3", none).unwrap(), Shard { index: 1, of: 3 });
        assert!(Shard::parse("3/3", none).is_err());
        assert!(Shard::parse("auto", none).is_err());
        let slurm = |k: &str| {
            match k {
                "SLURM_ARRAY_TASK_ID" => Some("5"),
                "SLURM_ARRAY_TASK_MIN" => Some("4"),
                "SLURM_ARRAY_TASK_COUNT" => Some("3"),
                _ => None,
            }
            .map(String::from)
        };
        assert_eq!(Shard::parse("auto", slurm).unwrap(), Shard { index: 1, of: 3 });
        let k8s = |k: &str| {
            match k {
                "JOB_COMPLETION_INDEX" => Some("2"),
                "JOB_COMPLETIONS" => Some("4"),
                _ => None,
            }
            .map(String::from)
        };
        assert_eq!(Shard::parse("auto", k8s).unwrap(), Shard { index: 2, of: 4 });
        let s = Shard { index: 1, of: 3 };
        let mine: Vec<u64> = (0..10).filter(|&g| s.owns(g)).collect();
        assert_eq!(mine, vec![1, 4, 7]);
    }

    #[test]
    fn grid_points_vary_the_last_sweep_fastest() {
        let spec = BatchSpec {
            file: None,
            scenario: "x".into(),
            runs: 2,
            seed: 1,
            until: None,
            sets: vec![],
            sweeps: vec![
                ("a".into(), vec![1.into(), 2.into()]),
                ("b".into(), vec![10.into(), 20.into(), 30.into()]),
            ],
        };
        assert_eq!(spec.points(), 6);
        assert_eq!(spec.total(), 12);
        assert_eq!(spec.point_values(0), vec![Value::from(1), Value::from(10)]);
        assert_eq!(spec.point_values(4), vec![Value::from(2), Value::from(20)]);
    }
}

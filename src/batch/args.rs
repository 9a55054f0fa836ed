//! `cordon batch` as a library call: its arguments, and the batch they describe, checked and
//! validated before anything runs or a script to run it is written.

use super::{BatchSpec, MAX_SHARDS, path};
use crate::build::Validated;
use crate::error::{CordonError, Result};
use crate::scenario::{self, Limits, Scenario};
use std::path::PathBuf;

/// The `cordon batch` arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BatchArgs {
    /// Scenario file (RON); none: the built-in default.
    pub file: Option<PathBuf>,
    /// Replications per sweep point.
    #[arg(long, default_value_t = 10)]
    pub runs: u64,
    /// Base seed S (default: the scenario's); replication k of point p uses a seed from (S, p, k).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Change a field for every run: PATH=VALUE, e.g. checkpoints[name="S2"].lanes=10.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Sweep a field over values: PATH=V1,V2,... (several sweeps form a grid).
    #[arg(long = "sweep", value_name = "PATH=V1,V2,...")]
    pub sweeps: Vec<String>,
    /// Replications run at once (default: the core count).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Stop each run after this many simulated seconds.
    #[arg(long)]
    pub until: Option<f64>,
    /// Output folder (default out/<scenario>-batch).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run only shard I of N (I/N, 0-based; or `auto` from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX and CORDON_SHARDS/JOB_COMPLETIONS);
    /// writes shard-I-of-N.json for `cordon merge`.
    #[arg(long)]
    pub shard: Option<String>,
    /// Print a Slurm job-array script for this batch (and a merge job after it) and exit.
    #[arg(long)]
    pub emit_sbatch: bool,
    /// Array tasks for --emit-sbatch (default: replications, at most 100).
    #[arg(long)]
    pub shards: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub limits: Limits,
}

/// How a study's runs run (`cordon optimize`, `cordon compare`): simulated length, base seed,
/// runs at once.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunSettings {
    /// Simulated seconds per run (default: each scenario's end).
    #[arg(long)]
    pub until: Option<f64>,
    /// Base seed (default: the (first) scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Parallel runs (default: the core count).
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// A batch ready to run: its spec, the scenario, every sweep point validated, where it goes.
pub struct Prepared {
    /// What the batch is.
    pub spec: BatchSpec,
    /// The scenario as read (before `--set`).
    pub base: Scenario,
    /// Each sweep point's scenario, validated.
    pub variants: Vec<Validated>,
    /// The output folder.
    pub out: PathBuf,
    /// Replications run at once.
    pub jobs: usize,
}

/// Parses and checks the arguments, reads the scenario and validates every sweep point.
pub fn prepare(a: &BatchArgs) -> Result<Prepared> {
    if let Some(u) = a.until
        && !(u.is_finite() && u > 0.0)
    {
        return Err(CordonError::Batch(format!(
            "--until must be a positive number of seconds, got {u}"
        )));
    }
    // validation computes floor fields on the pool; the runs themselves are one thread each
    crate::sim::init_compute_pool(0);
    let (base, file_label) = match &a.file {
        Some(f) => {
            let text = scenario::read_text(f)?;
            let label = f.display().to_string();
            (scenario::parse_file(&text, f)?, label)
        }
        None => (
            crate::build::default_scenario()?.scenario,
            "built-in default".to_string(),
        ),
    };
    let mut sets = Vec::new();
    for s in &a.sets {
        let (p, v) = path::split_assignment(s, "--set")?;
        path::parse(&p)?;
        sets.push((p, path::parse_value(&v)));
    }
    let mut sweeps = Vec::new();
    for s in &a.sweeps {
        let (p, v) = path::split_assignment(s, "--sweep")?;
        path::parse(&p)?;
        let vals: Vec<serde_json::Value> = path::split_values(&v).iter().map(|x| path::parse_value(x)).collect();
        sweeps.push((p, vals));
    }
    let spec = BatchSpec {
        file: a.file.as_ref().map(|f| f.display().to_string()),
        scenario: base.name.clone(),
        runs: a.runs,
        seed: a.seed.unwrap_or(base.sim.seed),
        until: a.until,
        sets,
        sweeps,
    };
    spec.check()?;
    if let Some(n) = a.shards
        && !(1..=MAX_SHARDS).contains(&n)
    {
        return Err(CordonError::Usage(format!(
            "--shards {n}: a batch has 1 to {MAX_SHARDS} shards"
        )));
    }
    let out = super::out_dir(a.out.clone(), &spec.scenario)?;
    let jobs = jobs_or_cores(a.jobs);
    // every variant is checked before anything runs (or a script to run them is written)
    let variants = super::variants(&spec, &base, &file_label, &a.limits)?;
    Ok(Prepared {
        spec,
        base,
        variants,
        out,
        jobs,
    })
}

/// Parallel runs: as asked, else the core count.
pub fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// What a batch (or one shard of it) wrote.
pub enum Written {
    /// A shard's file, for `cordon merge`.
    Shard {
        /// Which shard.
        shard: super::Shard,
        /// The file.
        path: PathBuf,
    },
    /// A whole batch's files, and their summary.
    Batch(super::output::Summary),
}

/// What [`execute`] did.
pub struct Executed {
    /// What was written.
    pub written: Written,
    /// Replications run.
    pub runs: usize,
    /// Of them, failed.
    pub failed: usize,
}

/// The shard this process runs (`--shard`), if any.
pub fn shard(a: &BatchArgs) -> Result<Option<super::Shard>> {
    a.shard
        .as_deref()
        .map(|s| super::Shard::parse(s, |k| std::env::var(k).ok()))
        .transpose()
}

/// The replications this process runs: all, or its shard's.
pub fn todo(spec: &BatchSpec, shard: Option<super::Shard>) -> Vec<u64> {
    (0..spec.total()).filter(|&g| shard.is_none_or(|s| s.owns(g))).collect()
}

/// Runs the replications `todo` (of `shard`, if any) on `p.jobs` threads, calling `done(n)` as
/// they finish, and writes the shard's file or the batch's files into `p.out`.
pub fn execute(
    p: &Prepared,
    shard: Option<super::Shard>,
    todo: &[u64],
    done: &(dyn Fn(u64) + Sync),
) -> Result<Executed> {
    crate::output::check_writable(&p.out)
        .map_err(|e| CordonError::Usage(format!("--out {}: cannot write there: {e}", p.out.display())))?;
    let rows = super::run_all(&p.spec, &p.variants, todo, p.jobs, done);
    let (runs, failed) = (rows.len(), rows.iter().filter(|r| r.error.is_some()).count());
    let written = match shard {
        Some(s) => {
            let path = p.out.join(super::shard_name(s.index, s.of));
            let f = super::ShardFile {
                spec: p.spec.clone(),
                shard: s.index,
                of: s.of,
                rows,
            };
            let bytes = serde_json::to_vec_pretty(&f).map_err(|e| CordonError::Write {
                path: path.clone(),
                source: e.into(),
            })?;
            crate::output::write_file(&path, &bytes)?;
            Written::Shard { shard: s, path }
        }
        None => Written::Batch(super::output::write(&p.out, &p.spec, &rows)?),
    };
    Ok(Executed { written, runs, failed })
}

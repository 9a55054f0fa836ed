//! `cordon run` as a library call: validate a scenario, check the output folder, run it through
//! [`Simulation::run_to`] (stoppable by a flag, e.g. Ctrl-C), draw the figures and write
//! report.json, timeseries.csv, the figures and report.html into the output folder at once.

use crate::build::Validated;
use crate::error::{CordonError, Result};
use crate::report::Report;
use crate::scenario::{self, Limits};
use crate::sim::{Executor, SimOptions, Simulation};
use bevy::prelude::World;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// What to run and how (the `cordon run` arguments).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunArgs {
    /// Scenario file (RON).
    pub file: Option<PathBuf>,
    /// Seed (default: the scenario's `sim.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Stop after this many simulated seconds.
    #[arg(long)]
    pub until: Option<f64>,
    /// Output folder (default out/<scenario-name>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Step schedule executor.
    #[arg(long, value_enum, default_value_t = Executor::Single)]
    pub executor: Executor,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Print where the wall-clock time went, by phase of the step (for performance work).
    #[arg(long)]
    pub profile: bool,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub limits: Limits,
}

/// What a run wrote.
#[derive(Debug)]
pub struct RunOutcome {
    /// The report.
    pub report: Report,
    /// The output folder.
    pub out: PathBuf,
    /// The files written into it, in order.
    pub files: Vec<String>,
    /// How many of them are figures.
    pub figures: usize,
    /// With `--profile`: the time by phase of the step and the parallel loops.
    pub profile: Option<String>,
}

/// The run's scenario, validated within the limits.
pub fn load(args: &RunArgs) -> Result<Validated> {
    if let Some(u) = args.until
        && !(u.is_finite() && u > 0.0)
    {
        return Err(CordonError::Usage(format!(
            "--until must be a positive number of seconds, got {u}"
        )));
    }
    // the pool also computes the floor fields while the scenario is validated
    crate::sim::init_compute_pool(args.threads);
    match &args.file {
        Some(f) => crate::build::load_and_validate_with(f, &args.limits),
        None => crate::build::default_scenario(),
    }
}

/// The output folder: `--out`, else out/<scenario-name>; refused at once if it cannot be written.
pub fn out_dir(args: &RunArgs, v: &Validated) -> Result<PathBuf> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(&v.scenario.name));
    crate::output::check_writable(&out)
        .map_err(|e| CordonError::Usage(format!("--out {}: cannot write there: {e}", out.display())))?;
    Ok(out)
}

/// A simulation of `v` as `args` asks.
pub fn simulation(args: &RunArgs, v: &Validated) -> Simulation {
    let opts = SimOptions {
        seed: args.seed,
        until: args.until,
        threads: args.threads,
        multi_threaded_executor: args.executor == Executor::Multi,
    };
    let mut sim = Simulation::new(v, &opts);
    if args.profile {
        sim.enable_profile();
    }
    sim
}

/// Runs `sim` (of `v`, built by [`simulation`]) to its end, watched by `observe` after every
/// step and stopped early once `interrupt` is set, then writes everything into `out` at once.
/// An interrupted run writes nothing.
pub fn run(
    args: &RunArgs,
    v: &Validated,
    mut sim: Simulation,
    out: &Path,
    interrupt: Option<Arc<AtomicBool>>,
    observe: impl FnMut(&World),
) -> Result<RunOutcome> {
    if let Some(flag) = interrupt {
        sim.interrupt_on(flag);
    }
    let report = sim.run(observe);
    let profile = sim.profile().map(|p| {
        format!(
            "{}  parallel loops: {} (on {} threads)\n",
            p.table(),
            crate::par::parallel_loops(),
            crate::par::threads()
        )
    });
    if sim.interrupted() {
        let clock = sim.clock();
        return Err(CordonError::Interrupted(format!(
            "interrupted at {} (simulated): nothing written",
            scenario::model::ClockTime(clock.start + clock.t()).hms()
        )));
    }
    let figures = crate::figures::render(sim.world(), &report)?;
    let settings = vec![
        (
            "scenario file".to_string(),
            args.file
                .as_ref()
                .map_or("built-in default".into(), |f| f.display().to_string()),
        ),
        (
            "run until".into(),
            args.until.map_or("scenario end".into(), |u| format!("{u} s")),
        ),
        ("visitor groups".into(), v.groups.len().to_string()),
        ("checkpoints".into(), v.venue.security.checkpoints.len().to_string()),
        ("cell size".into(), format!("{} m", v.venue.grid.h)),
        ("cordon".into(), env!("CARGO_PKG_VERSION").into()),
    ];
    let html = crate::figures::html::page(&report, sim.clock().start, &v.scenario.description, &settings, &figures);
    let mut files = vec![
        ("report.json".to_string(), report.to_json().into_bytes()),
        (
            "timeseries.csv".to_string(),
            crate::report::csv::timeseries(&report).into_bytes(),
        ),
    ];
    files.extend(figures.iter().map(|f| (f.file.clone(), f.png.clone())));
    files.push(("report.html".to_string(), html.into_bytes()));
    crate::output::write_folder(out, &files)?;
    Ok(RunOutcome {
        report,
        out: out.to_path_buf(),
        files: files.into_iter().map(|f| f.0).collect(),
        figures: figures.len(),
        profile,
    })
}

//! The `cordon` command line: `check` scenario files, `run` one headless, `view` it in a window,
//! `batch` replications and sweeps (sharded onto Slurm or Kubernetes), `merge` shards,
//! `optimize` posts, patrols and lanes, `validate` the pedestrian model, `bench` the engine.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use cordon::scenario;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// `println!` that ignores a closed stdout (for example `cordon run | head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(name = "cordon", version, about = "Large-event security planning simulator")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check scenario files; prints every problem with file:line:column. Exit 2 if any is invalid.
    Check {
        /// Scenario files (RON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        limits: scenario::Limits,
    },
    /// Run a scenario headless and write report.json (no FILE: the built-in default scenario).
    Run(cordon::run::RunArgs),
    /// Watch a scenario in a window (no FILE: the built-in default); saving the file reloads it.
    #[cfg(feature = "viewer")]
    View {
        /// Scenario file (RON).
        file: Option<PathBuf>,
        /// Seed (default: the scenario's `sim.seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Write a screenshot to this PNG at `--at` and exit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// Simulated seconds after the start at which the screenshot is taken.
        #[arg(long, default_value_t = 0.0)]
        at: f64,
        /// Window width, pixels.
        #[arg(long, default_value_t = 1280)]
        width: u32,
        /// Window height, pixels.
        #[arg(long, default_value_t = 900)]
        height: u32,
        /// Overlays on at the start: density, coverage60, coverage180, coverage300, trails, queues
        /// (repeat the flag or separate with commas).
        #[arg(long)]
        overlay: Vec<String>,
        /// Simulation speed at the start (×0.25 … ×64).
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Measure the frame rate over this many frames (after 30 warm-up frames), print it, exit.
        #[arg(long)]
        bench_frames: Option<u32>,
        /// Start paused.
        #[arg(long)]
        paused: bool,
    },
    /// Time the engine on the reference scenarios (open square with pillars, bottleneck).
    Bench(cordon::bench::BenchArgs),
    /// Monte Carlo replications of a scenario and its variants, in parallel or sharded.
    Batch(BatchArgs),
    /// Propose post positions, patrol beats/routes or lane counts by fast surrogates, then verify by simulation.
    Optimize(OptimizeArgs),
    /// Merge the shard files of a sharded batch into the outputs of an unsharded one.
    Merge {
        /// Folder holding shard-I-of-N.json.
        dir: PathBuf,
        /// Number of shards N.
        #[arg(long)]
        expect: u64,
        /// Output folder (default: DIR).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run the model validation set (fundamental diagram, bottleneck flow) and print a table.
    Validate {
        /// Model parameters to try, as RON, e.g. "(time_gap: 0.6)".
        #[arg(long, default_value = "()")]
        model: String,
        /// Bottleneck seeds.
        #[arg(long, default_value_t = 5)]
        seeds: u64,
        /// Step length, s (the fundamental diagram's reference runs use 0.05, the bottleneck 0.01).
        #[arg(long, default_value_t = 0.05)]
        dt: f64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", error_text(&e));
            ExitCode::from(
                if e.downcast_ref::<cordon::CordonError>()
                    .is_some_and(|c| c.is_invalid_input())
                {
                    2
                } else {
                    1
                },
            )
        }
    }
}

/// The error and its causes, each cause once: a library error that already prints its cause
/// (`path: cannot write: Permission denied`) does not get it appended a second time.
fn error_text(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text = format!("{text}: {c}");
        }
    }
    text
}

/// An out-of-range argument: exit 2, like a bad scenario file.
fn usage(text: String) -> anyhow::Error {
    cordon::CordonError::Usage(text).into()
}

/// `cordon run`'s progress: a bar on a terminal, else a plain line every 10 simulated minutes
/// (a log file, a batch job), nothing with `--quiet`.
struct RunProgress {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    started: std::time::Instant,
}

impl RunProgress {
    fn new(quiet: bool, end_ticks: u64) -> RunProgress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(end_ticks);
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {msg} ({eta} left)")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        RunProgress {
            lines: !quiet && bar.is_none(),
            bar,
            started: std::time::Instant::now(),
        }
    }

    fn observe(&mut self, w: &bevy::prelude::World) {
        let clock = *w.resource::<cordon::schedule::SimClock>();
        let every = (600.0 / clock.dt).round().max(1.0) as u64;
        let on_bar = self.bar.is_some() && clock.tick % 256 == 0;
        if !(on_bar || (self.lines && clock.tick % every == 0)) {
            return;
        }
        let present = cordon::sim::count::<cordon::crowd::Agent>(w);
        let hms = cordon::scenario::model::ClockTime(clock.start + clock.t()).hms();
        if let Some(b) = &self.bar {
            b.set_position(clock.tick);
            b.set_message(format!("{hms} · {present} present"));
        } else {
            let walking = cordon::sim::count::<cordon::crowd::Walking>(w);
            eprintln!(
                "{hms} · {present} present · {walking} walking · {:.0} s elapsed",
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Check { files, limits } => {
            cordon::sim::init_compute_pool(0);
            let mut bad = 0;
            for f in &files {
                match scenario::load_and_validate_with(f, &limits) {
                    Ok(v) => say!(
                        "ok: {}: scenario \"{}\" ({} groups, {} targets, {} zones; {} cells, {} floor fields in {:.0} MB)",
                        f.display(),
                        v.scenario.name,
                        v.groups.len(),
                        v.venue.targets.len(),
                        v.venue.zones.len(),
                        v.venue.grid.nx * v.venue.grid.ny,
                        v.venue.fields.len(),
                        v.venue.fields.iter().map(|f| f.bytes()).sum::<usize>() as f64 / 1e6
                    ),
                    Err(e) => {
                        bad += 1;
                        eprintln!("{e}");
                    }
                }
            }
            Ok(if bad > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
        Cmd::Run(args) => {
            let v = cordon::run::load(&args)?;
            let out = cordon::run::out_dir(&args, &v)?;
            let sim = cordon::run::simulation(&args, &v);
            // Ctrl-C stops the run between steps; nothing is written then
            let interrupted = Arc::new(AtomicBool::new(false));
            {
                let flag = interrupted.clone();
                let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
            }
            let mut progress = RunProgress::new(args.quiet, sim.end_ticks());
            let outcome = cordon::run::run(&args, &v, sim, &out, Some(interrupted), |w| progress.observe(w));
            progress.finish();
            let outcome = outcome?;
            if let Some(p) = &outcome.profile {
                eprint!("{p}");
            }
            say!("{}", outcome.report.summary().trim_end());
            say!(
                "  report: {} (report.json, timeseries.csv, {} figures)",
                outcome.out.join("report.html").display(),
                outcome.figures
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Validate { model, seeds, dt } => {
            let m: cordon::scenario::model::ModelParams = ron::from_str(&model).context("--model")?;
            say!("fundamental diagram (4 m x 100 m corridor, Lagrangian, t 10..40 s)");
            for rho in [0.5, 1.0, 2.0, 3.0, 4.0, 5.0] {
                let (speed, dens) = cordon::validation::measure_fd_at(rho, &m, dt)?;
                say!(
                    "  rho {rho:>3}: measured {dens:.2} /m2, speed {speed:.3} m/s, Weidmann at that density {:.3}, diff {:+.3}",
                    cordon::validation::weidmann(dens),
                    speed - cordon::validation::weidmann(dens)
                );
            }
            say!("bottleneck 1 m x 2 m, 150 agents");
            for seed in 1..=seeds {
                let r = cordon::bench::run_bottleneck_at(seed, 1, Some(&m), Some(dt))?;
                say!(
                    "  seed {seed}: flow {:.3} /s, evacuation {:.1} s, longest gap {:.2} s",
                    r.flow_steady,
                    r.evacuation_s,
                    r.longest_gap_s
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "viewer")]
        Cmd::View {
            file,
            seed,
            screenshot,
            at,
            width,
            height,
            overlay,
            speed,
            bench_frames,
            paused,
        } => {
            if !(at.is_finite() && at >= 0.0) {
                return Err(usage(format!(
                    "--at must be a non-negative number of seconds, got {at}"
                )));
            }
            if ![0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0].contains(&speed) {
                return Err(usage(format!(
                    "--speed must be one of 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64; got {speed}"
                )));
            }
            cordon::viewer::run(cordon::viewer::ViewerOptions {
                file,
                seed,
                screenshot,
                at,
                size: (width, height),
                overlays: cordon::viewer::overlay::Overlays::parse(&overlay)?,
                bench_frames,
                speed,
                paused,
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Batch(args) => batch(args),
        Cmd::Optimize(a) => {
            let opts = cordon::optimize::OptimizeOptions {
                objective: a.objective,
                threshold: a.threshold,
                posts: a.posts,
                patrols: a.patrols,
                within: a.within,
                spacing: a.spacing,
                lanes: a.lanes,
                lane_budget: a.lane_budget,
                busy: a.busy,
                rounds: a.rounds,
                verify_runs: a.verify_runs,
                top: a.top,
                until: a.until,
                seed: a.seed,
                jobs: jobs_or_cores(a.jobs),
            };
            optimize(&a.file, &opts, a.out)
        }
        Cmd::Merge { dir, expect, out } => {
            let (spec, rows) = cordon::batch::merge(&dir, expect)?;
            let out = out.unwrap_or(dir);
            let sum = cordon::batch::output::write(&out, &spec, &rows)?;
            print!("{}", cordon::batch::output::table(&sum));
            println!(
                "merged {} replications from {expect} shards into {}",
                rows.len(),
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench(args) => {
            cordon::bench::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(clap::Args)]
struct OptimizeArgs {
    /// Scenario file (RON).
    file: PathBuf,
    /// coverage (MCLP), mexclp (busy units), response-p90 (posts) or enter-p90 (lanes).
    #[arg(long, default_value = "coverage")]
    objective: cordon::optimize::Objective,
    /// Coverage threshold, s.
    #[arg(long, default_value_t = 180.0)]
    threshold: f64,
    /// Post groups that may move (comma-separated, or `all`; with neither --posts nor
    /// --patrols: every group at a post).
    #[arg(long, value_delimiter = ',')]
    posts: Vec<String>,
    /// Patrol groups (routes, beats) whose route or beat may change (comma-separated, or `all`).
    #[arg(long, value_delimiter = ',')]
    patrols: Vec<String>,
    /// Zones the posts must stand in and the patrols may patrol (comma-separated; default: any).
    #[arg(long, value_delimiter = ',')]
    within: Vec<String>,
    /// Spacing of candidate post positions, m (default: ~300 candidates).
    #[arg(long)]
    spacing: Option<f64>,
    /// Checkpoints whose lanes may change (comma-separated; default: all with arrivals).
    #[arg(long, value_delimiter = ',')]
    lanes: Vec<String>,
    /// Total lanes to share out (default: their current total).
    #[arg(long)]
    lane_budget: Option<u32>,
    /// Share of the time a unit is busy, for mexclp (default: as busy as the movable units
    /// were in the baseline run).
    #[arg(long)]
    busy: Option<f64>,
    /// Rounds of the lanes analysis: each next round measures the demand under the last plan.
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    /// Verification replications per plan.
    #[arg(long, default_value_t = 5)]
    verify_runs: u64,
    /// Surrogate plans verified besides the input plan.
    #[arg(long, default_value_t = 2)]
    top: usize,
    /// Simulated seconds per run.
    #[arg(long)]
    until: Option<f64>,
    /// Base seed (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Parallel runs (default: the core count).
    #[arg(long)]
    jobs: Option<usize>,
    /// Output folder (default out/<scenario>-optimize).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Parallel runs: as asked, else the core count.
fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

#[derive(clap::Args)]
struct BatchArgs {
    /// Scenario file (RON); none: the built-in default.
    file: Option<PathBuf>,
    /// Replications per sweep point.
    #[arg(long, default_value_t = 10)]
    runs: u64,
    /// Base seed S (default: the scenario's); replication k of point p uses a seed from (S, p, k).
    #[arg(long)]
    seed: Option<u64>,
    /// Change a field for every run: PATH=VALUE, e.g. checkpoints[name="S2"].lanes=10.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
    /// Sweep a field over values: PATH=V1,V2,... (several sweeps form a grid).
    #[arg(long = "sweep", value_name = "PATH=V1,V2,...")]
    sweeps: Vec<String>,
    /// Replications run at once (default: the core count).
    #[arg(long)]
    jobs: Option<usize>,
    /// Stop each run after this many simulated seconds.
    #[arg(long)]
    until: Option<f64>,
    /// Output folder (default out/<scenario>-batch).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only shard I of N (I/N, 0-based; or `auto` from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX and CORDON_SHARDS/JOB_COMPLETIONS);
    /// writes shard-I-of-N.json for `cordon merge`.
    #[arg(long)]
    shard: Option<String>,
    /// Print a Slurm job-array script for this batch (and a merge job after it) and exit.
    #[arg(long)]
    emit_sbatch: bool,
    /// Array tasks for --emit-sbatch (default: replications, at most 100).
    #[arg(long)]
    shards: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    limits: scenario::Limits,
}

fn split_assignment(text: &str, flag: &str) -> Result<(String, String)> {
    let (p, v) = text
        .split_once('=')
        .filter(|(p, _)| !p.trim().is_empty())
        .ok_or_else(|| cordon::CordonError::Batch(format!("{flag} {text}: expected PATH=VALUE")))?;
    // a filter's `=` is inside brackets: split at the first `=` outside them
    let mut depth = 0i32;
    for (i, ch) in text.char_indices() {
        match ch {
            '[' => depth += 1,
            ']' => depth -= 1,
            '=' if depth == 0 => return Ok((text[..i].trim().to_string(), text[i + 1..].trim().to_string())),
            _ => {}
        }
    }
    Ok((p.trim().to_string(), v.trim().to_string()))
}

/// Splits sweep values at commas outside brackets and quotes.
fn split_values(text: &str) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    for ch in text.chars() {
        match ch {
            '"' => quoted = !quoted,
            '[' | '(' | '{' if !quoted => depth += 1,
            ']' | ')' | '}' if !quoted => depth -= 1,
            ',' if depth == 0 && !quoted => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn batch(a: BatchArgs) -> Result<ExitCode> {
    use cordon::batch::{self, BatchSpec, Shard, path};
    if let Some(u) = a.until
        && !(u.is_finite() && u > 0.0)
    {
        anyhow::bail!(cordon::CordonError::Batch(format!(
            "--until must be a positive number of seconds, got {u}"
        )));
    }
    // validation computes floor fields on the pool; the runs themselves are one thread each
    cordon::sim::init_compute_pool(0);
    let (base, file_label) = match &a.file {
        Some(f) => {
            let text = scenario::read_text(f)?;
            let label = f.display().to_string();
            (scenario::parse_str(&text, &label)?, label)
        }
        None => (scenario::default_scenario()?.scenario, "built-in default".to_string()),
    };
    let mut sets = Vec::new();
    for s in &a.sets {
        let (p, v) = split_assignment(s, "--set")?;
        path::parse(&p)?;
        sets.push((p, path::parse_value(&v)));
    }
    let mut sweeps = Vec::new();
    for s in &a.sweeps {
        let (p, v) = split_assignment(s, "--sweep")?;
        path::parse(&p)?;
        let vals: Vec<serde_json::Value> = split_values(&v).iter().map(|x| path::parse_value(x)).collect();
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
        && !(1..=batch::MAX_SHARDS).contains(&n)
    {
        return Err(usage(format!(
            "--shards {n}: a batch has 1 to {} shards",
            batch::MAX_SHARDS
        )));
    }
    let out = batch::out_dir(a.out.clone(), &spec.scenario)?;
    let jobs = jobs_or_cores(a.jobs);
    // every variant is checked before anything runs (or a script to run them is written)
    let variants = batch::variants(&spec, &base, &file_label, &a.limits)?;
    if a.emit_sbatch {
        print!("{}", sbatch_script(&a, &spec, &out)?);
        return Ok(ExitCode::SUCCESS);
    }
    cordon::output::check_writable(&out)
        .map_err(|e| usage(format!("--out {}: cannot write there: {e}", out.display())))?;
    let shard = a
        .shard
        .as_deref()
        .map(|s| Shard::parse(s, |k| std::env::var(k).ok()))
        .transpose()?;
    let todo: Vec<u64> = (0..spec.total()).filter(|&g| shard.is_none_or(|s| s.owns(g))).collect();
    let bar = (!a.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(todo.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let started = std::time::Instant::now();
    let total = todo.len() as u64;
    let quiet = a.quiet;
    let done = |n: u64| {
        if let Some(b) = &bar {
            b.set_position(n);
        } else if !quiet {
            eprintln!(
                "{n}/{total} runs done, {:.0} s elapsed",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let rows = batch::run_all(&spec, &variants, &todo, jobs, &done);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let failed = rows.iter().filter(|r| r.error.is_some()).count();
    match shard {
        Some(s) => {
            let f = batch::ShardFile {
                spec: spec.clone(),
                shard: s.index,
                of: s.of,
                rows,
            };
            let name = batch::shard_name(s.index, s.of);
            let bytes = serde_json::to_vec_pretty(&f)?;
            cordon::output::write_file(&out.join(&name), &bytes)?;
            println!(
                "shard {} of {}: {} replications in {:.1} s -> {}",
                s.index,
                s.of,
                f.rows.len(),
                started.elapsed().as_secs_f64(),
                out.join(name).display()
            );
        }
        None => {
            let sum = batch::output::write(&out, &spec, &rows)?;
            print!("{}", batch::output::table(&sum));
            println!(
                "{} replications ({} sweep points x {}) on {jobs} jobs in {:.1} s -> {}",
                rows.len(),
                spec.points(),
                spec.runs,
                started.elapsed().as_secs_f64(),
                out.display()
            );
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A word for the generated script: no control characters (a newline would end the script's
/// here-document early and turn the rest of the word into commands), then quoted by [`sh`].
fn script_word(what: &str, word: &str) -> Result<String> {
    if let Some(c) = word.chars().find(|c| c.is_control()) {
        return Err(usage(format!(
            "--emit-sbatch: {what} {word:?} holds the control character {c:?}, which a job script cannot carry safely"
        )));
    }
    Ok(sh(word))
}

/// Quotes a word for a POSIX shell.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn sbatch_script(a: &BatchArgs, spec: &cordon::batch::BatchSpec, out: &std::path::Path) -> Result<String> {
    let exe = std::env::current_exe()?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let cwd = std::env::current_dir()?;
    let abs = |p: &std::path::Path| if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    let out = abs(out);
    let n = a
        .shards
        .unwrap_or_else(|| spec.total().min(100))
        .clamp(1, spec.total().max(1));
    let cpus = a.jobs.unwrap_or(1).max(1);
    let exe_word = script_word("the cordon program's path", &exe.display().to_string())?;
    let out_word = script_word("the output folder", &out.display().to_string())?;
    let mut args = vec![exe_word.clone(), "batch".to_string()];
    if let Some(f) = &a.file {
        args.push(script_word("the scenario file", &abs(f).display().to_string())?);
    }
    args.push(format!("--runs {}", spec.runs));
    args.push(format!("--seed {}", spec.seed));
    for s in &a.sets {
        args.push(format!("--set {}", script_word("--set", s)?));
    }
    for s in &a.sweeps {
        args.push(format!("--sweep {}", script_word("--sweep", s)?));
    }
    if let Some(u) = spec.until {
        args.push(format!("--until {u}"));
    }
    args.push(format!("--out {out_word}"));
    args.push("--jobs \"${SLURM_CPUS_PER_TASK:-1}\" --shard auto --quiet".into());
    let run = args.join(" ");
    let merge = format!("{exe_word} merge {out_word} --expect {n}");
    let logs = script_word("the log folder", &out.join("logs").display().to_string())?;
    // the job name sits in a `#SBATCH` comment line, which no shell quoting reaches: only the
    // characters a validated scenario name may hold
    let name: String = spec
        .scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(format!(
        r#"#!/bin/bash
# Cordon batch on Slurm: {total} replications ({points} sweep points x {runs}) as a job array of
# {n} tasks, then a merge job that starts when every task succeeded. Submit with: bash THIS_FILE
set -euo pipefail
mkdir -p {logs}
array_id=$(sbatch --parsable <<'ARRAY'
#!/bin/bash
#SBATCH --job-name=cordon-{name}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={cpus}
#SBATCH --output={logs}/shard-%a.out
{run}
ARRAY
)
array_id=${{array_id%%;*}}
merge_id=$(sbatch --parsable --dependency=afterok:$array_id <<'MERGE'
#!/bin/bash
#SBATCH --job-name=cordon-{name}-merge
#SBATCH --cpus-per-task=1
#SBATCH --output={logs}/merge.out
{merge}
MERGE
)
echo "submitted array job $array_id ({n} tasks) and merge job ${{merge_id%%;*}}; results in" {outq}
"#,
        total = spec.total(),
        points = spec.points(),
        runs = spec.runs,
        last = n - 1,
        outq = out_word,
    ))
}

fn optimize(
    file: &std::path::Path,
    opts: &cordon::optimize::OptimizeOptions,
    out: Option<PathBuf>,
) -> Result<ExitCode> {
    cordon::sim::init_compute_pool(0);
    let label = file.display().to_string();
    let text = scenario::read_text(file)?;
    let stem = file
        .file_stem()
        .map_or("plan".into(), |s| s.to_string_lossy().into_owned());
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let done = |k: u64, n: u64| {
        if let Some(b) = &bar {
            b.set_length(n);
            b.set_position(k);
        }
    };
    let say = |s: &str| eprintln!("{s}");
    let (outcome, files) = cordon::optimize::run(&text, &label, &stem, opts, &say, &done)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let out = out.unwrap_or_else(|| PathBuf::from("out").join(format!("{}-optimize", outcome.scenario)));
    cordon::output::write_folder(&out, &files)?;
    print!("{}", cordon::optimize::report::comparison_md(&outcome));
    println!(
        "\nwrote {} into {}",
        files.iter().map(|f| f.0.as_str()).collect::<Vec<_>>().join(", "),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

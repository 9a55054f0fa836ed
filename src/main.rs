//! The `cordon` command line: check scenarios, run them headless, benchmark the engine.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use cordon::metrics::report::write_all_atomic;
use cordon::scenario::{self, Validated};
use cordon::{SimOptions, Simulation};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

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
    },
    /// Run a scenario headless and write report.json (no FILE: the built-in default scenario).
    Run {
        /// Scenario file (RON).
        file: Option<PathBuf>,
        /// Seed (default: the scenario's `sim.seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Stop after this many simulated seconds.
        #[arg(long)]
        until: Option<f64>,
        /// Output folder (default out/<scenario-name>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Step schedule executor.
        #[arg(long, value_enum, default_value_t = Executor::Single)]
        executor: Executor,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
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

#[derive(Clone, Copy, clap::ValueEnum)]
enum Executor {
    Single,
    Multi,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
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

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Check { files } => {
            cordon::sim::init_compute_pool(0);
            let mut bad = 0;
            for f in &files {
                match scenario::load_and_validate(f) {
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
        Cmd::Run {
            file,
            seed,
            until,
            out,
            threads,
            executor,
            quiet,
        } => {
            // the pool also computes the floor fields while the scenario is validated
            cordon::sim::init_compute_pool(threads);
            let v: Validated = match &file {
                Some(f) => scenario::load_and_validate(f)?,
                None => scenario::default_scenario()?,
            };
            if let Some(u) = until
                && !(u.is_finite() && u > 0.0)
            {
                anyhow::bail!("--until must be a positive number of seconds, got {u}");
            }
            let out = out.unwrap_or_else(|| PathBuf::from("out").join(&v.scenario.name));
            let opts = SimOptions {
                seed,
                until,
                threads,
                multi_threaded_executor: matches!(executor, Executor::Multi),
            };
            let mut sim = Simulation::new(&v, &opts);
            let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
                let b = indicatif::ProgressBar::new(sim.end_ticks());
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{spinner} [{elapsed_precise}] {bar:30} {msg} ({eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                b
            });
            // step here rather than in Simulation::run so the bar can show the sim clock and headcount
            // Ctrl-C stops the run between steps; nothing is written then
            let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            {
                let flag = interrupted.clone();
                let _ = ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
            }
            let started = std::time::Instant::now();
            let ended_by = loop {
                if let Some(why) = sim.finished() {
                    break why;
                }
                if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                    break "interrupted";
                }
                sim.step();
                if bar.is_none() && !quiet {
                    // not a terminal (a log file, a batch job): a plain line every 10 simulated minutes
                    let clock = *sim.world().resource::<cordon::schedule::SimClock>();
                    let every = (600.0 / clock.dt).round().max(1.0) as u64;
                    if clock.tick % every == 0 {
                        let w = sim.world_mut();
                        let present = w.query::<&cordon::crowd::Agent>().iter(w).len();
                        let walking = w
                            .query_filtered::<(), bevy::prelude::With<cordon::crowd::Walking>>()
                            .iter(w)
                            .len();
                        eprintln!(
                            "{} · {present} present · {walking} walking · {:.0} s elapsed",
                            cordon::scenario::model::ClockTime(clock.start + clock.t()).hms(),
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
                if let Some(b) = &bar {
                    let clock = *sim.world().resource::<cordon::schedule::SimClock>();
                    if clock.tick % 256 == 0 {
                        let w = sim.world_mut();
                        let present = w.query::<&cordon::crowd::Agent>().iter(w).len();
                        b.set_position(clock.tick);
                        b.set_message(format!(
                            "{} · {present} present",
                            cordon::scenario::model::ClockTime(clock.start + clock.t()).hms()
                        ));
                    }
                }
            };
            let report = sim.report(ended_by);
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
                anyhow::bail!("interrupted at {}: nothing written", ended_by);
            }
            let start = sim.world().resource::<cordon::schedule::SimClock>().start;
            let figures = cordon::figures::render(sim.world(), &report)?;
            let mut settings = vec![
                (
                    "scenario file".to_string(),
                    file.as_ref()
                        .map_or("built-in default".into(), |f| f.display().to_string()),
                ),
                (
                    "run until".into(),
                    until.map_or("scenario end".into(), |u| format!("{u} s")),
                ),
                ("visitor groups".into(), v.groups.len().to_string()),
                ("checkpoints".into(), v.venue.security.checkpoints.len().to_string()),
                ("cell size".into(), format!("{} m", v.venue.grid.h)),
            ];
            settings.push(("cordon".into(), env!("CARGO_PKG_VERSION").into()));
            let html = cordon::figures::html::page(&report, start, &v.scenario.description, &settings, &figures);
            let mut files = vec![
                ("report.json".to_string(), report.to_json().into_bytes()),
                (
                    "timeseries.csv".to_string(),
                    cordon::metrics::csv::timeseries(&report).into_bytes(),
                ),
            ];
            files.extend(figures.iter().map(|f| (f.file.clone(), f.png.clone())));
            files.push(("report.html".to_string(), html.into_bytes()));
            write_all_atomic(&out, &files).with_context(|| format!("writing the report into {}", out.display()))?;
            say!("{}", report.summary().trim_end());
            say!(
                "  report: {} (report.json, timeseries.csv, {} figures)",
                out.join("report.html").display(),
                figures.len()
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
                anyhow::bail!("--at must be a non-negative number of seconds, got {at}");
            }
            if ![0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0].contains(&speed) {
                anyhow::bail!("--speed must be one of 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64; got {speed}");
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
        Cmd::Bench(args) => {
            cordon::bench::run(&args)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

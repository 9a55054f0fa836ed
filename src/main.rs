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
/// Names in messages come from shared files: control characters in them (an escape sequence that
/// would drive the terminal) are printed escaped.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), "{}", printable(&format!($($arg)*)));
    }};
}

/// Text for the terminal: control characters shown escaped (`\u{1b}`), line breaks and tabs kept.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
        /// Also list, per checkpoint and 15 minutes, the demand against its lanes' capacity and
        /// the Erlang C wait it predicts.
        #[arg(long)]
        capacity: bool,
    },
    /// Run a scenario headless and write report.json (no FILE: the built-in default scenario).
    Run(cordon::run::RunArgs),
    /// Watch a scenario in a window (no FILE: the built-in default); saving the file reloads it.
    #[cfg(feature = "viewer")]
    View(cordon::viewer::ViewArgs),
    /// Time the engine on the reference scenarios (open square with pillars, bottleneck).
    Bench(cordon::bench::BenchArgs),
    /// Monte Carlo replications of a scenario and its variants, in parallel or sharded.
    Batch(cordon::batch::BatchArgs),
    /// Propose post positions, patrol beats/routes or lane counts by fast surrogates, then verify by simulation.
    Optimize(cordon::optimize::OptimizeArgs),
    /// Compare plans side by side: each run N times with the same seeds; mean [95% CI] per plan, paired differences to the first.
    Compare(cordon::compare::CompareArgs),
    /// Make a venue file and a first plan from a site drawn in GIS or exported from OpenStreetMap.
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
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
        /// Bottleneck widths, m, comma-separated (Kretz et al. measured 0.8, 1.0 and 1.2; each
        /// 0.5 to 3).
        #[arg(long, value_delimiter = ',', default_value = "1.0")]
        widths: Vec<f64>,
        /// Skip the fundamental diagram (bottleneck only).
        #[arg(long)]
        no_fd: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{}", printable(&error_text(&e)));
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

/// What `cordon import` reads.
#[derive(Subcommand)]
enum ImportCmd {
    /// RFC 7946 GeoJSON (WGS84 lon/lat) whose features carry `cordon:role` (docs/authoring.md).
    Geojson(cordon::import::ImportArgs),
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Check {
            files,
            limits,
            capacity,
        } => {
            cordon::sim::init_compute_pool(0);
            let mut bad = 0;
            for f in &files {
                match cordon::build::load_and_validate_with(f, &limits) {
                    Ok(v) => {
                        say!(
                            "ok: {}: scenario \"{}\" ({} groups, {} targets, {} zones; {} cells, {} floor fields in {:.0} MB)",
                            f.display(),
                            v.scenario.name,
                            v.groups.len(),
                            v.venue.targets.len(),
                            v.venue.zones.len(),
                            v.venue.grid.nx * v.venue.grid.ny,
                            v.venue.fields.len(),
                            v.venue.fields.iter().map(|f| f.bytes()).sum::<usize>() as f64 / 1e6
                        );
                        let gates = (v.demand.is_some() || capacity).then(|| cordon::capacity::table(&v));
                        if let (Some(d), Some(g)) = (&v.demand, &gates) {
                            say!("{d}\n{}", cordon::capacity::by_gate(g));
                        }
                        if let (true, Some(g)) = (capacity, &gates) {
                            say!("{}", cordon::capacity::text(g));
                        }
                    }
                    Err(e) => {
                        bad += 1;
                        eprintln!("{}", printable(&e.to_string()));
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
        Cmd::Validate {
            model,
            seeds,
            dt,
            widths,
            no_fd,
        } => {
            let m: cordon::scenario::model::ModelParams = ron::from_str(&model).context("--model")?;
            if let Some(w) = widths.iter().find(|w| !(0.5..=3.0).contains(*w)) {
                eprintln!("--widths: {w} m is outside 0.5 to 3 m");
                return Ok(ExitCode::from(2));
            }
            let fd: &[f64] = if no_fd { &[] } else { &[0.5, 1.0, 2.0, 3.0, 4.0, 5.0] };
            if !no_fd {
                say!("fundamental diagram (4 m x 100 m corridor, Lagrangian, t 10..40 s)");
            }
            for &rho in fd {
                let (speed, dens) = cordon::validation::measure_fd_at(rho, &m, dt)?;
                say!(
                    "  rho {rho:>3}: measured {dens:.2} /m2, speed {speed:.3} m/s, Weidmann at that density {:.3}, diff {:+.3}",
                    cordon::validation::weidmann(dens),
                    speed - cordon::validation::weidmann(dens)
                );
            }
            for &w in &widths {
                say!("bottleneck {w} m x 2 m, 150 agents");
                for seed in 1..=seeds {
                    let r = cordon::bench::run_bottleneck_width(seed, 1, Some(&m), Some(dt), w)?;
                    say!(
                        "  seed {seed}: flow {:.3} /s, {} out, evacuation {:.1} s, longest gap {:.2} s",
                        r.flow_steady,
                        r.evacuated,
                        r.evacuation_s,
                        r.longest_gap_s
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "viewer")]
        Cmd::View(a) => {
            cordon::viewer::run(cordon::viewer::ViewerOptions::from_args(a)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Batch(args) => batch(args),
        Cmd::Optimize(a) => optimize(&a),
        Cmd::Compare(a) => compare(&a),
        Cmd::Import {
            what: ImportCmd::Geojson(a),
        } => {
            let o = cordon::import::run_args(&a)?;
            let counts: Vec<String> = o.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
            say!("imported {}: {}", a.file.display(), counts.join(", "));
            say!("  origin (0, 0) = lat {}, lon {}", o.origin.lat, o.origin.lon);
            for w in &o.warnings {
                say!("  warning: {}", printable(w));
            }
            say!("  venue: {}", o.venue.display());
            let checked = match &o.plan {
                None => {
                    say!("  no plan written (--venue-only): check the plans that name it");
                    o.venue.clone()
                }
                Some(p) if o.kept => {
                    say!(
                        "  plan: {} exists and was kept; the imported plan is {}",
                        a.out.display(),
                        p.display()
                    );
                    p.clone()
                }
                Some(p) => {
                    say!("  plan: {}", p.display());
                    p.clone()
                }
            };
            match &o.check {
                None => {
                    say!("  cordon check {}: ok", checked.display());
                    Ok(ExitCode::SUCCESS)
                }
                Some(e) => {
                    eprintln!(
                        "  written, but cordon check {} does not pass yet; fix these in the GeoJSON or the plan:\n{}",
                        checked.display(),
                        printable(e)
                    );
                    Ok(ExitCode::from(2))
                }
            }
        }
        Cmd::Merge { dir, expect, out } => {
            let (spec, rows) = cordon::batch::merge(&dir, expect)?;
            let out = out.unwrap_or(dir);
            let sum = cordon::batch::output::write(&out, &spec, &rows)?;
            print!("{}", printable(&cordon::batch::output::table(&sum)));
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

fn batch(a: cordon::batch::BatchArgs) -> Result<ExitCode> {
    use cordon::batch;
    let p = batch::prepare(&a)?;
    if a.emit_sbatch {
        print!("{}", printable(&batch::sbatch::script(&a, &p.spec, &p.out)?));
        return Ok(ExitCode::SUCCESS);
    }
    let shard = batch::args::shard(&a)?;
    let todo = batch::args::todo(&p.spec, shard);
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
    let done = |n: u64| {
        if let Some(b) = &bar {
            b.set_position(n);
        } else if !a.quiet {
            eprintln!(
                "{n}/{total} runs done, {:.0} s elapsed",
                started.elapsed().as_secs_f64()
            );
        }
    };
    let result = batch::args::execute(&p, shard, &todo, &done);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let e = result?;
    let took = started.elapsed().as_secs_f64();
    match &e.written {
        batch::args::Written::Shard { shard: s, path } => println!(
            "shard {} of {}: {} replications in {took:.1} s -> {}",
            s.index,
            s.of,
            e.runs,
            path.display()
        ),
        batch::args::Written::Batch(sum) => {
            print!("{}", printable(&batch::output::table(sum)));
            println!(
                "{} replications ({} sweep points x {}) on {} jobs in {took:.1} s -> {}",
                e.runs,
                p.spec.points(),
                p.spec.runs,
                p.jobs,
                p.out.display()
            );
        }
    }
    Ok(if e.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn compare(a: &cordon::compare::CompareArgs) -> Result<ExitCode> {
    let bar = runs_bar();
    let done = |k: u64, n: u64| {
        if let Some(b) = &bar {
            b.set_length(n);
            b.set_position(k);
        }
    };
    let result = cordon::compare::run_args(a, &done);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (cmp, files, out) = result?;
    print!("{}", printable(&cordon::compare::markdown(&cmp)));
    println!("\nwrote {} into {}", files.join(", "), out.display());
    Ok(if cmp.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A progress bar of runs on a terminal (None when stderr is not one).
fn runs_bar() -> Option<indicatif::ProgressBar> {
    std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs ({eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    })
}

fn optimize(a: &cordon::optimize::OptimizeArgs) -> Result<ExitCode> {
    let bar = runs_bar();
    let done = |k: u64, n: u64| {
        if let Some(b) = &bar {
            b.set_length(n);
            b.set_position(k);
        }
    };
    let say = |s: &str| eprintln!("{s}");
    let result = cordon::optimize::run_args(a, &say, &done);
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (outcome, files, out) = result?;
    print!("{}", printable(&cordon::optimize::report::comparison_md(&outcome)));
    println!("\nwrote {} into {}", files.join(", "), out.display());
    Ok(ExitCode::SUCCESS)
}

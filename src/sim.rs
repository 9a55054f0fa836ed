//! Building and stepping a simulation: the plugin group that turns a validated scenario into an
//! ECS world, and [`Simulation`], whose [`Simulation::run_to`] is the one step loop: `cordon run`,
//! batches, the optimiser, the viewer, the benchmarks and the tests all advance a run through it,
//! watching the world after each step with an observer (`FnMut(&World)`).

use crate::build::Validated;
use crate::checkpoint::CheckpointPlugin;
use crate::crowd::{Agent, ArrivalQueue, CrowdConfig, CrowdPlugin};
use crate::metrics::MetricsPlugin;
use crate::report::{self, Report};
use crate::rng::MasterSeed;
use crate::schedule::{SchedulePlugin, SimClock, SimStep, run_sim_step};
use crate::venue::VenuePlugin;
use bevy::prelude::*;
use bevy::tasks::{ComputeTaskPool, TaskPoolBuilder};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct SimOptions {
    /// Seed; `None` uses the scenario's.
    pub seed: Option<u64>,
    /// Stop after this many simulated seconds (before the scenario's end).
    pub until: Option<f64>,
    /// Worker threads for the movement step (0: all cores).
    pub threads: usize,
    /// Use Bevy's multi-threaded executor for the step schedule.
    pub multi_threaded_executor: bool,
}

/// The step schedule's executor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Executor {
    /// One thread runs the systems in their set order (the movement step still fans out).
    #[default]
    Single,
    /// Bevy's multi-threaded executor.
    Multi,
}

/// Sets up the global compute pool (first call wins) and returns the number of movement tasks.
pub fn init_compute_pool(threads: usize) -> usize {
    let want = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    };
    // The calling thread works in scopes too, so the pool needs one thread fewer.
    let pool = ComputeTaskPool::get_or_init(|| {
        TaskPoolBuilder::new()
            .num_threads(want.saturating_sub(1).max(1))
            .thread_name("cordon".into())
            .build()
    });
    let _ = pool;
    crate::par::init(want);
    want
}

/// The simulation as a Bevy plugin: inserts the runtime world and adds every concern's plugin.
pub struct CordonPlugin {
    validated: Mutex<Option<Validated>>,
    seed: u64,
    tasks: usize,
    multi_threaded: bool,
    fixed_update: bool,
}

impl CordonPlugin {
    /// A plugin for this scenario and seed, stepped by the caller (`world.run_schedule(SimStep)`).
    pub fn new(validated: Validated, seed: u64) -> CordonPlugin {
        CordonPlugin {
            validated: Mutex::new(Some(validated)),
            seed,
            tasks: 1,
            multi_threaded: false,
            fixed_update: false,
        }
    }
    /// Parallel tasks for the movement step.
    pub fn with_tasks(mut self, tasks: usize) -> Self {
        self.tasks = tasks.max(1);
        self
    }
    /// Multi-threaded executor for the step schedule.
    pub fn with_multi_threaded_executor(mut self, on: bool) -> Self {
        self.multi_threaded = on;
        self
    }
    /// Run one step per `FixedUpdate` with `Time<Fixed>` set to the scenario's dt: for an app
    /// driven by Bevy's own loop (the tests' `MinimalPlugins` app); the viewer and the headless
    /// paths step the `SimStep` schedule themselves.
    pub fn driven_by_fixed_update(mut self) -> Self {
        self.fixed_update = true;
        self
    }
}

impl Plugin for CordonPlugin {
    fn build(&self, app: &mut App) {
        let Some(v) = self.validated.lock().ok().and_then(|mut g| g.take()) else {
            return;
        };
        let max_r = v.groups.iter().map(|g| g.radius).fold(0.2f32, f32::max);
        let max_v0 = v.groups.iter().map(|g| max_speed(&g.speed)).fold(1.0f32, f32::max);
        let range = crate::crowd::step::interaction_range(max_r, max_v0, &v.model);
        let seed = MasterSeed(self.seed);
        app.insert_resource(SimClock {
            tick: 0,
            dt: v.dt,
            start: v.start,
            duration: v.duration,
        })
        .insert_resource(seed);
        let cfg = CrowdConfig {
            groups: v.groups.clone(),
            model: v.model,
            dt: v.dt,
            range,
            tasks: self.tasks,
        };
        let mt = &v.scenario.metrics;
        let coverage = (mt.coverage_interval > 0.0).then(|| crate::responders::CoverageSettings {
            cell: mt.coverage_cell as f32,
            interval: mt.coverage_interval,
            thresholds: v.incidents.thresholds.clone(),
        });
        // each plugin inserts its own resources, in this order (the venue first: the others read it)
        app.add_plugins((
            SchedulePlugin {
                multi_threaded: self.multi_threaded,
            },
            VenuePlugin::new(v.venue),
            CrowdPlugin::new(cfg, v.start, v.duration),
            crate::vehicles::VehiclesPlugin(v.vehicles.clone(), v.scenario.metrics.series_interval),
            CheckpointPlugin,
            crate::responders::RespondersPlugin::new(v.responders, coverage),
            crate::halls::HallsPlugin(v.halls, v.scenario.metrics.series_interval),
            crate::incidents::IncidentsPlugin::new(v.incidents),
            crate::evacuation::EvacuationPlugin(v.evacuation),
            crate::contingency::ContingencyPlugin(v.timeline),
            MetricsPlugin::new(v.scenario.metrics),
        ));
        if self.fixed_update {
            app.insert_resource(Time::<Fixed>::from_seconds(v.dt));
            app.add_systems(FixedUpdate, run_sim_step);
        }
    }
}

fn max_speed(d: &crate::scenario::model::Distribution) -> f32 {
    use crate::scenario::model::Distribution as D;
    (match *d {
        D::Fixed(x) => x,
        D::Uniform { max, .. } | D::Normal { max, .. } => max,
        D::Exponential { mean } => 4.0 * mean,
        D::LogNormal { median, sigma } => median * (3.0 * sigma).exp(),
        D::Rimea(a) => a.range().1,
    }) as f32
}

/// Builds an app for a validated scenario (single-threaded executor, serial movement step).
pub fn build_app(v: &Validated, seed: u64) -> App {
    let mut app = App::new();
    app.add_plugins(CordonPlugin::new(v.clone(), seed));
    app
}

/// A headless simulation run.
pub struct Simulation {
    /// The ECS app; step it with [`Simulation::step`].
    pub app: App,
    name: String,
    seed: u64,
    groups: Vec<String>,
    end_ticks: u64,
    until_limited: bool,
    stop_when_empty: bool,
    interrupt: Option<Arc<AtomicBool>>,
}

impl Simulation {
    /// Builds the world for a validated scenario.
    pub fn new(v: &Validated, opts: &SimOptions) -> Simulation {
        let seed = opts.seed.unwrap_or(v.scenario.sim.seed);
        let tasks = init_compute_pool(opts.threads);
        let mut app = App::new();
        app.add_plugins(
            CordonPlugin::new(v.clone(), seed)
                .with_tasks(tasks)
                .with_multi_threaded_executor(opts.multi_threaded_executor),
        );
        app.finish();
        app.cleanup();
        let clock = *app.world().resource::<SimClock>();
        let mut end_ticks = clock.total_ticks();
        let mut until_limited = false;
        if let Some(u) = opts.until {
            let u_ticks = (u.max(0.0) / v.dt - 1e-9).ceil() as u64;
            if u_ticks < end_ticks {
                end_ticks = u_ticks;
                until_limited = true;
            }
        }
        Simulation {
            app,
            name: v.scenario.name.clone(),
            seed,
            groups: v.groups.iter().map(|g| g.name.clone()).collect(),
            end_ticks,
            until_limited,
            stop_when_empty: v.scenario.sim.stop_when_empty,
            interrupt: None,
        }
    }

    /// Ends the run (as "Ctrl-C") before the next step once `flag` is set, e.g. by a signal handler.
    pub fn interrupt_on(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// Whether the run was ended by the flag of [`Self::interrupt_on`].
    pub fn interrupted(&self) -> bool {
        self.interrupt.as_ref().is_some_and(|f| f.load(Ordering::SeqCst))
    }

    /// The clock.
    pub fn clock(&self) -> SimClock {
        *self.world().resource::<SimClock>()
    }

    /// Times each phase of the step from now on (see [`crate::schedule::StepProfile`]).
    pub fn enable_profile(&mut self) {
        crate::schedule::add_profiling(&mut self.app);
    }

    /// The time by phase so far, if [`Self::enable_profile`] was called.
    pub fn profile(&self) -> Option<&crate::schedule::StepProfile> {
        self.app.world().get_resource()
    }

    /// Runs one step.
    pub fn step(&mut self) {
        self.app.world_mut().run_schedule(SimStep);
    }

    /// The world.
    pub fn world(&self) -> &World {
        self.app.world()
    }

    /// The world, mutably.
    pub fn world_mut(&mut self) -> &mut World {
        self.app.world_mut()
    }

    /// Steps planned in total.
    pub fn end_ticks(&self) -> u64 {
        self.end_ticks
    }

    /// Why the run is over, if it is.
    pub fn finished(&mut self) -> Option<&'static str> {
        if self.interrupted() {
            return Some("Ctrl-C");
        }
        let tick = self.world().resource::<SimClock>().tick;
        if tick >= self.end_ticks {
            return Some(if self.until_limited {
                "time limit (--until)"
            } else {
                "end of time window"
            });
        }
        if self.stop_when_empty && tick > 0 && self.world().resource::<ArrivalQueue>().exhausted() {
            let w = self.app.world_mut();
            let present = w.query_filtered::<(), With<Agent>>().iter(w).len();
            let t = w.resource::<SimClock>().t();
            let open_incidents = w
                .get_resource::<crate::incidents::IncidentState>()
                .is_some_and(|st| st.open(t) > 0);
            if present == 0 && !open_incidents {
                return Some("everyone left");
            }
        }
        None
    }

    /// Steps until simulated time `t` (s after the start: no step that would end past it is
    /// taken) or until the run is over, calling `observe` with the world after every step.
    /// Returns why the run is over, or `None` when it stopped at `t`.
    pub fn run_to(&mut self, t: f64, observe: impl FnMut(&World)) -> Option<&'static str> {
        self.run_to_within(t, None, observe)
    }

    /// [`Self::run_to`] that also stops, between steps, once `budget` of wall-clock time is spent
    /// (the viewer keeps its frame rate this way when the machine cannot keep up).
    pub fn run_to_within(
        &mut self,
        t: f64,
        budget: Option<Duration>,
        mut observe: impl FnMut(&World),
    ) -> Option<&'static str> {
        let started = Instant::now();
        loop {
            if let Some(why) = self.finished() {
                return Some(why);
            }
            // the clock is tick × dt: a tolerance far below dt absorbs the rounding of the product
            let clock = self.clock();
            if clock.t_end() > t + 1e-6 * clock.dt {
                return None;
            }
            self.step();
            observe(self.world());
            if budget.is_some_and(|b| started.elapsed() >= b) {
                return None;
            }
        }
    }

    /// Runs to the end, calling `observe` with the world after every step, and reports.
    pub fn run(&mut self, observe: impl FnMut(&World)) -> Report {
        let ended_by = self.run_to(f64::INFINITY, observe).unwrap_or("end of time window");
        self.report(ended_by)
    }

    /// The report of the run so far.
    pub fn report(&mut self, ended_by: &str) -> Report {
        let (name, seed, groups) = (self.name.clone(), self.seed, self.groups.clone());
        report::build(self.app.world_mut(), &name, seed, &groups, ended_by)
    }
}

/// How many entities have the component `C` (for observers, which see the world read-only).
pub fn count<C: Component>(world: &World) -> usize {
    world
        .try_query_filtered::<(), With<C>>()
        .map_or(0, |mut q| q.iter(world).count())
}

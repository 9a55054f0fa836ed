//! The simulation step: a custom schedule run once per tick, with its phases as a chained set
//! enum, and the simulation clock (`tick * dt`, never a running float sum).

use bevy::ecs::schedule::{MultiThreadedExecutor, ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;

/// The schedule holding one simulation step. Run it directly (headless) or from `FixedUpdate`.
#[derive(ScheduleLabel, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimStep;

/// Phases of a step, in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SimSystems {
    /// New arrivals and re-entries appear.
    Spawn,
    /// Agents that reached their target change plan or leave.
    Route,
    /// The operational model moves every walking agent by one dt.
    Move,
    /// Screening checkpoints: joining queues, screening, interception.
    Checkpoint,
    /// Responders on duty patrol, stand their posts, start and end shifts.
    Respond,
    /// Incidents happen, are reported and dispatched; units travel and work.
    Incident,
    /// Metrics sample the new state.
    Measure,
    /// The clock advances.
    Clock,
}

impl SimSystems {
    /// Every set, in the order they run.
    pub const ORDER: [SimSystems; 8] = [
        SimSystems::Spawn,
        SimSystems::Route,
        SimSystems::Move,
        SimSystems::Checkpoint,
        SimSystems::Respond,
        SimSystems::Incident,
        SimSystems::Measure,
        SimSystems::Clock,
    ];
}

/// Simulation time: `tick * dt` seconds after the start.
#[derive(Resource, Debug, Clone, Copy)]
pub struct SimClock {
    /// Steps completed.
    pub tick: u64,
    /// Step length, s.
    pub dt: f64,
    /// Clock time at t = 0, s after midnight.
    pub start: f64,
    /// Simulated duration, s.
    pub duration: f64,
}

impl SimClock {
    /// Time at the start of the current step, s after the start.
    #[inline]
    pub fn t(&self) -> f64 {
        self.tick as f64 * self.dt
    }
    /// Time at the end of the current step.
    #[inline]
    pub fn t_end(&self) -> f64 {
        (self.tick + 1) as f64 * self.dt
    }
    /// Total number of steps in the scenario's time window.
    pub fn total_ticks(&self) -> u64 {
        (self.duration / self.dt - 1e-9).ceil().max(0.0) as u64
    }
}

fn advance_clock(mut clock: ResMut<SimClock>) {
    clock.tick += 1;
}

/// Runs one [`SimStep`] per `FixedUpdate` (for the viewer or `MinimalPlugins` tests).
pub fn run_sim_step(world: &mut World) {
    world.run_schedule(SimStep);
}

/// Sets up the [`SimStep`] schedule and its chained sets.
pub struct SchedulePlugin {
    /// Multi-threaded executor instead of the single-threaded one.
    pub multi_threaded: bool,
}

impl Plugin for SchedulePlugin {
    fn build(&self, app: &mut App) {
        let mut schedule = Schedule::new(SimStep);
        if self.multi_threaded {
            schedule.set_executor(MultiThreadedExecutor::new());
        } else {
            schedule.set_executor(SingleThreadedExecutor::new());
        }
        app.add_schedule(schedule);
        for w in SimSystems::ORDER.windows(2) {
            app.configure_sets(SimStep, w[1].after(w[0]));
        }
        app.add_systems(SimStep, advance_clock.in_set(SimSystems::Clock));
    }
}

/// Wall-clock seconds spent in each phase of the step, kept only when profiling is on
/// ([`add_profiling`], `cordon run --profile`): for performance work, never in a report.
#[derive(Resource, Debug, Default, Clone)]
pub struct StepProfile {
    /// Per set of [`SimSystems`], in their order.
    pub sets: [f64; 8],
    /// Parts of the Move set: copy in (with the slot bookkeeping), sort into cells, first pass,
    /// second pass, copy out.
    pub moves: [f64; 5],
    last: Option<std::time::Instant>,
}

impl StepProfile {
    /// Names of [`Self::sets`] (the sets of [`SimSystems::ORDER`]).
    pub const SETS: [&'static str; 8] = [
        "spawn",
        "route",
        "move",
        "checkpoint",
        "respond",
        "incident",
        "measure",
        "clock",
    ];
    /// Names of [`Self::moves`].
    pub const MOVES: [&'static str; 5] = ["copy in", "sort", "first pass", "second pass", "copy out"];

    /// One line per set (and the parts of the move set), for a terminal.
    pub fn table(&self) -> String {
        let total: f64 = self.sets.iter().sum();
        let mut out = format!("time by phase of the step (wall clock, {total:.1} s in all):\n");
        for (k, (name, s)) in Self::SETS.iter().zip(self.sets).enumerate() {
            out += &format!("  {name:<12} {s:>8.2} s {:>5.1}%\n", 100.0 * s / total.max(1e-9));
            if k == 2 {
                for (name, s) in Self::MOVES.iter().zip(self.moves) {
                    out += &format!("    {name:<12} {s:>6.2} s\n");
                }
            }
        }
        out
    }
}

/// Times every set of the step from now on, into a [`StepProfile`] resource.
pub fn add_profiling(app: &mut App) {
    const ORDER: [SimSystems; 8] = SimSystems::ORDER;
    app.init_resource::<StepProfile>();
    app.add_systems(
        SimStep,
        (|mut p: ResMut<StepProfile>| p.last = Some(std::time::Instant::now())).before(ORDER[0]),
    );
    for k in 0..ORDER.len() {
        let lap = move |mut p: ResMut<StepProfile>| {
            let now = std::time::Instant::now();
            if let Some(last) = p.last {
                p.sets[k] += (now - last).as_secs_f64();
            }
            p.last = Some(now);
        };
        if k + 1 < ORDER.len() {
            app.add_systems(SimStep, lap.after(ORDER[k]).before(ORDER[k + 1]));
        } else {
            app.add_systems(SimStep, lap.after(ORDER[k]));
        }
    }
}

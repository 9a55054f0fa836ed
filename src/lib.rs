//! Cordon: a large-event security planning simulator on Bevy's ECS.
//!
//! A scenario (RON) describes the venue, the crowd and the security plan (rings, checkpoints,
//! threats, responders, incidents). [`scenario`] parses it, [`build`] checks it and builds the
//! runtime world with each concern's `build`, [`sim`] turns that into an ECS world stepped at a
//! fixed dt in the [`schedule::SimStep`] schedule, [`metrics`] measures it and [`report`] reports
//! what happened. docs/architecture.md says which module owns what.

pub mod batch;
pub mod bench;
pub mod build;
pub mod capacity;
pub mod checkpoint;
pub mod compare;
pub mod contingency;
pub mod crowd;
pub mod error;
pub mod evacuation;
pub mod figures;
pub mod halls;
pub mod import;
pub mod incidents;
pub mod metrics;
pub mod optimize;
pub mod output;
pub mod par;
pub mod report;
pub mod responders;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod schedule;
pub mod sim;
pub mod validation;
pub mod vehicles;
pub mod venue;
#[cfg(feature = "viewer")]
pub mod viewer;

pub use error::{CordonError, Result};
pub use sim::{CordonPlugin, Executor, SimOptions, Simulation, build_app};

/// The names most users need.
pub mod prelude {
    pub use crate::build::{Validated, load_and_validate, validate};
    pub use crate::crowd::{Agent, CrowdCounters, Dwelling, Position, Velocity, Walking};
    pub use crate::report::Report;
    pub use crate::scenario::{Scenario, parse_str};
    pub use crate::schedule::{SimClock, SimStep, SimSystems};
    pub use crate::sim::{CordonPlugin, SimOptions, Simulation, build_app};
    pub use crate::venue::Venue;
    pub use crate::{CordonError, Result};
}

//! Checkpoint plugin: owns screening at run time (the rings' and checkpoints' layout is the
//! venue's, [`crate::venue::security`]). A ring is a closed wall; people cross it only by being
//! screened in one of its checkpoints' lanes (or, on the way out, through its exit lanes). Arrivals choose a checkpoint by expected time, stand in
//! a physical queue in the pen in front of the lanes, are served by the [`queue`] core, may be
//! intercepted ([`Intercepted`]) and otherwise continue on the inner side.

pub mod build;
pub mod queue;
pub mod queueing;
pub mod report;
pub mod systems;

pub use crate::venue::security::{CheckpointRt, RingRt, Security};
pub use systems::{CheckpointPlugin, CheckpointState, Intercepted, Queued, Screening};

//! Checkpoints (in progress, see issue "Security rings and screening checkpoints"): the service
//! core of a screening checkpoint ([`queue`]) and the queueing-theory references it is validated
//! against ([`queueing`]). Rings, the physical queue and the scenario format come next.

pub mod queue;
pub mod queueing;

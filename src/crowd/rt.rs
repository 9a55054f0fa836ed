//! A crowd group and the model parameters as the run uses them (names resolved, `f32`).

use crate::scenario::model::{Arrivals, Distribution};

/// A crowd group ready to run: names resolved to indices, times relative to the start.
#[derive(Debug, Clone)]
pub struct GroupRt {
    /// Group name.
    pub name: String,
    /// Index into `Venue::sources`.
    pub source: usize,
    /// Arrival profile (clock times still as in the file).
    pub arrivals: Arrivals,
    /// `(target index, weight)`.
    pub destinations: Vec<(usize, f64)>,
    /// Stay at the destination.
    pub dwell: Option<Distribution>,
    /// Stay until this time, s after the start (then `dwell` on top).
    pub leave_at: Option<f64>,
    /// Stand in the destination rather than go inside.
    pub stand: bool,
    /// `(target index, weight)`; empty: leave at the destination.
    pub exits: Vec<(usize, f64)>,
    /// Free-speed distribution.
    pub speed: Distribution,
    /// Body radius, m.
    pub radius: f32,
    /// Visitor class, an index into [`class_names`](crate::crowd::build::class_names).
    pub class: Option<u16>,
}

/// Model parameters in the precision the hot loop uses.
#[derive(Debug, Clone, Copy)]
pub struct ModelRt {
    /// Time gap T, s.
    pub time_gap: f32,
    /// Neighbour repulsion strength.
    pub a_n: f32,
    /// Neighbour repulsion range, m.
    pub d_n: f32,
    /// Wall repulsion strength.
    pub a_w: f32,
    /// Wall repulsion range, m.
    pub d_w: f32,
    /// Sidestep (overtaking) strength.
    pub side_strength: f32,
    /// Sidestep look-ahead gap, m.
    pub side_range: f32,
    /// Widest turn (rad) off the chosen direction that a held-up walker considers towards free
    /// space (0: none).
    pub seek_angle: f32,
    /// In a passage narrower than [`crate::crowd::step::NARROW`]: the share of the usual
    /// corridor width within which someone ahead holds a walker up (1: no zipper).
    pub zipper: f32,
}

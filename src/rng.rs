//! Seeded random streams: one ChaCha stream per purpose and index, forked from the scenario seed,
//! so adding a draw for one purpose never shifts the numbers of another.

use crate::scenario::model::{Distribution, RateStep, ServiceTime};
use bevy::prelude::Resource;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution as _, Exp, LogNormal, Normal};

/// What a stream is used for; part of its stream id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Arrival times of a crowd group.
    Arrivals = 1,
    /// Per-agent attributes (speed, destination, dwell, exit) of a group.
    Agents = 2,
    /// Spawn positions of a group.
    Placement = 3,
    /// Re-entry positions after a stay.
    Reentry = 4,
    /// Which items a visitor carries.
    Threats = 5,
    /// Screening times of a checkpoint.
    Service = 6,
    /// Detection draws of a checkpoint.
    Detection = 7,
    /// Where people come out of a checkpoint's lanes.
    Passage = 8,
    /// Incidents of one type: times, places, report delays, on-scene times.
    Incidents = 9,
    /// Beat points of a responder group.
    Beats = 10,
    /// Entry times of a vehicle flow.
    VehicleArrivals = 11,
    /// Per-vehicle draws of a flow: occupancy, dwell, the occupants' and cargo's items.
    VehicleAgents = 12,
    /// Inspection times of a vehicle checkpoint.
    VehicleService = 13,
    /// Detection draws of a vehicle checkpoint.
    VehicleDetection = 14,
}

/// The scenario's master seed.
#[derive(Resource, Debug, Clone, Copy)]
pub struct MasterSeed(pub u64);

impl MasterSeed {
    /// An independent stream for `purpose` and `index` (for example the group index).
    pub fn stream(self, purpose: Purpose, index: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.0);
        rng.set_stream(((purpose as u64) << 40) ^ index);
        rng
    }
}

/// Draws a value from a validated distribution: the one place where the crowd's speeds and
/// dwells, incidents' report delays and on-scene times are drawn.
pub fn sample(d: &Distribution, rng: &mut ChaCha8Rng) -> f64 {
    match *d {
        Distribution::Fixed(x) => x,
        Distribution::Uniform { min, max } => min + rng.random::<f64>() * (max - min),
        Distribution::Normal { mean, sd, min, max } => {
            let x = Normal::new(mean, sd).map_or(mean, |n| n.sample(rng));
            x.clamp(min, max)
        }
        Distribution::Exponential { mean } => Exp::new(1.0 / mean).map_or(mean, |e| e.sample(rng)),
        Distribution::LogNormal { median, sigma } => {
            LogNormal::new(median.ln(), sigma).map_or(median, |l| l.sample(rng))
        }
        Distribution::Rimea(age) => {
            let (lo, hi) = age.range();
            lo + rng.random::<f64>() * (hi - lo)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_independent_and_reproducible() {
        let s = MasterSeed(7);
        let a: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(s.stream(Purpose::Agents, 0), |r, _| Some(r.random()))
            .collect();
        let b: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(s.stream(Purpose::Agents, 0), |r, _| Some(r.random()))
            .collect();
        let c: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(s.stream(Purpose::Agents, 1), |r, _| Some(r.random()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

/// Draws a screening or inspection time (checkpoint lanes, vehicle booths).
pub fn service(s: &ServiceTime, rng: &mut ChaCha8Rng) -> f64 {
    match s {
        ServiceTime::Fixed(x) => *x,
        ServiceTime::Exponential { mean } => Exp::new(1.0 / mean).map_or(*mean, |e| e.sample(rng)),
        ServiceTime::LogNormal { mean, sd } => {
            // parameters of ln X from the mean and sd of X
            let s2 = (1.0 + (sd / mean).powi(2)).ln();
            LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt()).map_or(*mean, |l| l.sample(rng))
        }
        ServiceTime::Empirical(v) => {
            if v.is_empty() {
                0.0
            } else {
                v[rng.random_range(0..v.len())]
            }
        }
    }
}

/// Poisson arrival times (s after `start`, within `[0, duration]`) of piecewise-constant rates
/// over clock time, appended to `times` in the order drawn.
pub fn poisson_times(steps: &[RateStep], start: f64, duration: f64, rng: &mut ChaCha8Rng, times: &mut Vec<f64>) {
    for st in steps {
        let (from, to) = (st.from.0 - start, st.to.0 - start);
        let Ok(exp) = Exp::new(st.rate) else { continue };
        let mut t = from;
        loop {
            t += exp.sample(rng);
            if t >= to || t > duration {
                break;
            }
            if t >= 0.0 {
                times.push(t);
            }
        }
    }
}

/// `count` independent uniform times in `[from, to)` (clock times), those within the run
/// (s after `start`, in `[0, duration]`) appended to `times`.
pub fn uniform_times(
    count: u32,
    from: f64,
    to: f64,
    start: f64,
    duration: f64,
    rng: &mut ChaCha8Rng,
    times: &mut Vec<f64>,
) {
    let (a, b) = (from - start, to - start);
    for _ in 0..count {
        let t = a + rng.random::<f64>() * (b - a);
        if (0.0..=duration).contains(&t) {
            times.push(t);
        }
    }
}

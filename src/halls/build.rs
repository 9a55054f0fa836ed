//! A scenario's halls, checked: unique names, an existing target each (one hall per target),
//! a capacity of at least one and a reopening level within it.

use super::{HallRt, Halls};
use crate::scenario::check::{Checker, quote_list};
use crate::scenario::model::Scenario;

/// The halls of `sc`; problems go to `ck`.
pub fn build(ck: &mut Checker, sc: &Scenario) -> Halls {
    let targets = &sc.venue.targets;
    let mut out: Vec<HallRt> = Vec::new();
    for (i, h) in sc.halls.iter().enumerate() {
        let label = format!("hall \"{}\"", h.name);
        if sc.halls[..i].iter().any(|x| x.name == h.name) {
            ck.named(&h.name, format!("{label} is defined twice"));
        }
        let Some(t) = targets.iter().position(|x| x.name == h.target) else {
            ck.named(
                &h.target,
                format!(
                    "{label}: target \"{}\" is not defined; known targets: {}",
                    h.target,
                    quote_list(targets.iter().map(|x| x.name.as_str()))
                ),
            );
            continue;
        };
        if let Some(other) = sc.halls[..i].iter().find(|x| x.target == h.target) {
            ck.named(
                &h.name,
                format!(
                    "{label}: target \"{}\" is already hall \"{}\"'s floor",
                    h.target, other.name
                ),
            );
        }
        if h.capacity == 0 {
            ck.named(&h.name, format!("{label}: capacity must be at least 1"));
        }
        let reopen = h.reopen_below.unwrap_or(h.capacity);
        if reopen == 0 || reopen > h.capacity {
            ck.named(
                &h.name,
                format!(
                    "{label}: reopen_below must be 1 to the capacity ({}), got {reopen}",
                    h.capacity
                ),
            );
        }
        out.push(HallRt {
            name: h.name.clone(),
            target: t as u16,
            capacity: h.capacity.max(1),
            reopen_below: reopen.clamp(1, h.capacity.max(1)),
            bounds: (bevy::math::Vec2::ZERO, bevy::math::Vec2::ZERO),
        });
    }
    Halls::new(out, targets.len())
}

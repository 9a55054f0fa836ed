//! A scenario's evacuation order, checked: a time within the run, defined zones and at least one
//! defined target to go to.

use super::EvacuationRt;
use crate::scenario::check::{Checker, quote_list};
use crate::scenario::model::Scenario;

/// The order of `sc`, if it has one; problems go to `ck`.
pub fn build(ck: &mut Checker, sc: &Scenario) -> Option<EvacuationRt> {
    let ev = sc.evacuation.as_ref()?;
    let (start, end) = (sc.sim.start.0, sc.sim.end.0);
    if !(ev.at.0.is_finite() && ev.at.0 >= start && ev.at.0 < end) {
        ck.err(
            Some("evacuation".into()),
            format!(
                "evacuation: the order at {} is outside the run ({} to {})",
                ev.at.hms(),
                sc.sim.start.hms(),
                sc.sim.end.hms()
            ),
        );
    }
    let mut zones = Vec::new();
    for z in &ev.zones {
        match sc.venue.zones.iter().position(|x| x.name == *z) {
            Some(i) => zones.push(i),
            None => ck.named(
                z,
                format!(
                    "evacuation: zone \"{z}\" is not defined; known zones: {}",
                    quote_list(sc.venue.zones.iter().map(|x| x.name.as_str()))
                ),
            ),
        }
    }
    let mut to = Vec::new();
    for x in &ev.to {
        match sc.venue.targets.iter().position(|t| t.name == *x) {
            Some(i) => to.push(i as u16),
            None => ck.named(
                x,
                format!(
                    "evacuation: target \"{x}\" is not defined; known targets: {}",
                    quote_list(sc.venue.targets.iter().map(|t| t.name.as_str()))
                ),
            ),
        }
    }
    if ev.to.is_empty() {
        ck.err(
            Some("evacuation".into()),
            "evacuation: `to` names no target (assembly points or exits)".into(),
        );
    }
    Some(EvacuationRt {
        at: ev.at.0 - start,
        zones,
        to,
    })
}

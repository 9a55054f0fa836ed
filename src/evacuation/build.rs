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
    Some(order(ck, sc, "evacuation", ev.at.0 - start, &ev.zones, &ev.to))
}

/// An order at `at` (s after the start; infinite: not yet, a rule gives it) for `zones` to `to`,
/// names resolved; problems go to `ck`, their text starting with `label`.
pub fn order(
    ck: &mut Checker,
    sc: &Scenario,
    label: &str,
    at: f64,
    zones_in: &[String],
    to_in: &[String],
) -> EvacuationRt {
    let ev = (zones_in, to_in);
    let mut zones = Vec::new();
    for z in ev.0 {
        match sc.venue.zones.iter().position(|x| x.name == *z) {
            Some(i) => zones.push(i),
            None => ck.named(
                z,
                format!(
                    "{label}: zone \"{z}\" is not defined; known zones: {}",
                    quote_list(sc.venue.zones.iter().map(|x| x.name.as_str()))
                ),
            ),
        }
    }
    let mut to = Vec::new();
    for x in ev.1 {
        match sc.venue.targets.iter().position(|t| t.name == *x) {
            Some(i) => to.push(i as u16),
            None => ck.named(
                x,
                format!(
                    "{label}: target \"{x}\" is not defined; known targets: {}",
                    quote_list(sc.venue.targets.iter().map(|t| t.name.as_str()))
                ),
            ),
        }
    }
    if ev.1.is_empty() {
        ck.err(
            Some(
                if label == "evacuation" {
                    "evacuation"
                } else {
                    "timeline"
                }
                .into(),
            ),
            format!("{label}: `to` names no target (assembly points or exits)"),
        );
    }
    EvacuationRt { at, zones, to }
}

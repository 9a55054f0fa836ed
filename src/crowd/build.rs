//! The crowd of a scenario, checked and resolved for the run: the operational model's parameters
//! and each visitor group (its source, destinations and exits by index, arrivals, speeds, stays).

use super::{GroupRt, ModelRt};
use crate::scenario::check::{Checker, check_distribution, quote_list, v2};
use crate::scenario::model::*;
use crate::venue::Venue;
use crate::venue::build::src_probe_points;
use bevy::math::Vec2;

/// The model parameters, checked, in the precision the step uses.
pub fn model(ck: &mut Checker, m: &ModelParams) -> ModelRt {
    for (name, val) in [
        ("time_gap", m.time_gap),
        ("neighbour_strength", m.neighbour_strength),
        ("neighbour_range", m.neighbour_range),
        ("wall_strength", m.wall_strength),
        ("wall_range", m.wall_range),
    ] {
        if !(val.is_finite() && val > 0.0) {
            ck.err(
                Some(name.into()),
                format!("model.{name} must be a positive number, got {val}"),
            );
        }
    }
    if !(m.sidestep_strength.is_finite() && m.sidestep_strength >= 0.0) {
        ck.err(
            Some("sidestep_strength".into()),
            format!(
                "model.sidestep_strength must be zero or positive, got {}",
                m.sidestep_strength
            ),
        );
    }
    if !(m.sidestep_range.is_finite() && m.sidestep_range > 0.0) {
        ck.err(
            Some("sidestep_range".into()),
            format!(
                "model.sidestep_range must be a positive length, got {}",
                m.sidestep_range
            ),
        );
    }
    if !(m.wall_buffer.is_finite() && m.wall_buffer >= 0.0) {
        ck.err(
            Some("wall_buffer".into()),
            format!(
                "model.wall_buffer must be zero or a positive length, got {}",
                m.wall_buffer
            ),
        );
    }
    if !(m.corner_buffer.is_finite() && (0.0..=f64::from(crate::venue::grid::CORNER_LOOK)).contains(&m.corner_buffer)) {
        ck.err(
            Some("corner_buffer".into()),
            format!(
                "model.corner_buffer must be a length from 0 to {} m, got {}",
                crate::venue::grid::CORNER_LOOK,
                m.corner_buffer
            ),
        );
    }
    if !(m.seek_angle.is_finite() && (0.0..=90.0).contains(&m.seek_angle)) {
        ck.err(
            Some("seek_angle".into()),
            format!(
                "model.seek_angle must be an angle from 0 to 90 degrees, got {}",
                m.seek_angle
            ),
        );
    }
    if !(m.zipper.is_finite() && (0.3..=1.0).contains(&m.zipper)) {
        ck.err(
            Some("zipper".into()),
            format!("model.zipper must be a share from 0.3 to 1 (1 = off), got {}", m.zipper),
        );
    }
    ModelRt {
        time_gap: m.time_gap as f32,
        a_n: m.neighbour_strength as f32,
        d_n: m.neighbour_range as f32,
        a_w: m.wall_strength as f32,
        d_w: m.wall_range as f32,
        side_strength: m.sidestep_strength as f32,
        side_range: m.sidestep_range as f32,
        seek_angle: (m.seek_angle as f32).to_radians(),
        zipper: m.zipper as f32,
    }
}

/// The visitor classes of `sc`'s crowd groups, in order of first mention.
pub fn class_names(sc: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in sc.crowd.iter().filter_map(|g| g.class.as_ref()) {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// The visitor groups of `sc` with their places resolved to indices (a group whose source is
/// unknown is left out, with a problem for `ck`).
pub fn groups(ck: &mut Checker, sc: &Scenario) -> Vec<GroupRt> {
    let mut groups = Vec::new();
    for (gi, g) in sc.crowd.iter().enumerate() {
        let label = format!("crowd \"{}\"", g.name);
        if sc.crowd[..gi].iter().any(|x| x.name == g.name) {
            ck.named(&g.name, format!("{label} is defined twice"));
        }
        let source = match sc.venue.sources.iter().position(|s| s.name == g.source) {
            Some(i) => Some(i),
            None => {
                ck.named(
                    &g.source,
                    format!(
                        "{label}: source \"{}\" is not defined; known sources: {}",
                        g.source,
                        quote_list(sc.venue.sources.iter().map(|s| s.name.as_str()))
                    ),
                );
                None
            }
        };
        let resolve = |ck: &mut Checker, list: &[Choice], what: &str| -> Vec<(usize, f64)> {
            let mut out = Vec::new();
            for c in list {
                if !(c.weight.is_finite() && c.weight > 0.0) {
                    ck.named(
                        &c.target,
                        format!(
                            "{label}: {what} \"{}\" has weight {}; weights must be positive",
                            c.target, c.weight
                        ),
                    );
                }
                match sc.venue.targets.iter().position(|t| t.name == c.target) {
                    Some(i) => out.push((i, c.weight)),
                    None => ck.named(
                        &c.target,
                        format!(
                            "{label}: {what} target \"{}\" is not defined; known targets: {}",
                            c.target,
                            quote_list(sc.venue.targets.iter().map(|t| t.name.as_str()))
                        ),
                    ),
                }
            }
            out
        };
        if g.destinations.is_empty() {
            ck.named(&g.name, format!("{label}: needs at least one destination"));
        }
        let destinations = resolve(ck, &g.destinations, "destination");
        let exits = resolve(ck, &g.exits, "exit");
        check_distribution(ck, &g.name, &format!("{label}: speed"), &g.speed, true);
        if let Some(d) = &g.dwell {
            check_distribution(ck, &g.name, &format!("{label}: dwell"), d, false);
        }
        if !(g.screening_factor.is_finite() && g.screening_factor > 0.0 && g.screening_factor <= 10.0) {
            ck.named(
                &g.name,
                format!(
                    "{label}: screening_factor must be above 0 and at most 10, got {}",
                    g.screening_factor
                ),
            );
        }
        if !(g.radius.is_finite() && g.radius > 0.0 && g.radius <= 1.0) {
            ck.named(
                &g.name,
                format!("{label}: radius must be in (0, 1] m, got {}", g.radius),
            );
        }
        if let Arrivals::Batches { every, rates } = &g.arrivals {
            let span: f64 = rates.iter().map(|s| (s.to.0 - s.from.0).max(0.0)).sum();
            if !(every.is_finite() && *every >= 1.0) {
                ck.named(
                    &g.name,
                    format!("{label}: batches must come at least 1 s apart, got every {every}"),
                );
            } else if span / every > 1e6 {
                ck.named(
                    &g.name,
                    format!("{label}: batches every {every} s make over a million batches"),
                );
            }
        }
        match &g.arrivals {
            Arrivals::Rates(steps) | Arrivals::Batches { rates: steps, .. } => {
                if steps.is_empty() {
                    ck.named(&g.name, format!("{label}: arrivals Rates([...]) is empty"));
                }
                for st in steps {
                    if !(st.rate.is_finite() && st.rate > 0.0) {
                        ck.named(
                            &g.name,
                            format!(
                                "{label}: arrival rate {} /s from {} must be positive",
                                st.rate,
                                st.from.hms()
                            ),
                        );
                    }
                    if !(st.to.0 > st.from.0) {
                        ck.named(
                            &g.name,
                            format!(
                                "{label}: arrival step {}–{} ends before it starts",
                                st.from.hms(),
                                st.to.hms()
                            ),
                        );
                    }
                    if st.rate.is_finite() && st.rate * (st.to.0 - st.from.0) > 1e7 {
                        ck.named(
                            &g.name,
                            format!(
                                "{label}: arrival step {}–{} would bring more than 10 million persons",
                                st.from.hms(),
                                st.to.hms()
                            ),
                        );
                    }
                }
            }
            Arrivals::Count { count, from, to } => {
                if *count == 0 {
                    ck.named(&g.name, format!("{label}: arrival count must be positive"));
                }
                if *count > 10_000_000 {
                    ck.named(&g.name, format!("{label}: arrival count {count} is above 10 million"));
                }
                if !(to.0 > from.0) {
                    ck.named(
                        &g.name,
                        format!(
                            "{label}: arrival window {}–{} ends before it starts",
                            from.hms(),
                            to.hms()
                        ),
                    );
                }
            }
            Arrivals::Initial(n) => {
                if *n == 0 {
                    ck.named(&g.name, format!("{label}: Initial(0) places nobody"));
                }
                if *n > 10_000_000 {
                    ck.named(&g.name, format!("{label}: Initial({n}) is above 10 million"));
                }
            }
            Arrivals::Positions(ps) => {
                if ps.is_empty() {
                    ck.named(&g.name, format!("{label}: Positions([]) places nobody"));
                }
            }
            Arrivals::Surges => {
                let named = sc.timeline.iter().any(
                    |e| matches!(&e.r#do, crate::scenario::model::Action::Surge { group, .. } if *group == g.name),
                );
                if !named {
                    ck.named(
                        &g.name,
                        format!("{label}: arrivals Surges: the group comes only in the timeline's surges, and no Surge names it"),
                    );
                }
            }
        }
        if let Some(source) = source {
            groups.push(GroupRt {
                name: g.name.clone(),
                source,
                arrivals: g.arrivals.clone(),
                destinations,
                dwell: g.dwell.clone(),
                leave_at: g.leave_at.map(|c| c.0 - sc.sim.start.0),
                stand: g.stand,
                exits,
                speed: g.speed.clone(),
                radius: g.radius as f32,
                class: g
                    .class
                    .as_ref()
                    .and_then(|c| class_names(sc).iter().position(|x| x == c))
                    .map(|i| i as u16),
            });
        }
    }

    groups
}

/// Every group's destinations must be reachable from where its people appear, and its exits
/// from its destinations: on foot, or through the rings' checkpoints.
pub fn reachability(ck: &mut Checker, venue: &Venue, groups: &[GroupRt]) {
    for g in groups {
        let src = &venue.sources[g.source];
        let starts: Vec<Vec2> = match &g.arrivals {
            Arrivals::Positions(ps) => ps.iter().map(|p| v2(*p)).collect(),
            _ => src_probe_points(&src.shape, venue),
        };
        let sec = &venue.security;
        let via_rings = |from: Vec2, to: usize| -> bool {
            let (a, b) = (sec.region_at(&venue.grid, from), venue.target_region[to]);
            a != u32::MAX
                && b != u32::MAX
                && a != b
                && sec
                    .next_hop
                    .get(a as usize)
                    .and_then(|h| h.get(b as usize))
                    .is_some_and(|h| !h.is_empty())
        };
        for &(d, _) in &g.destinations {
            let field = &venue.fields[d];
            if !starts
                .iter()
                .any(|p| field.cost_at(&venue.grid, *p).is_finite() || via_rings(*p, d))
            {
                ck.named(
                    &venue.targets[d].name,
                    format!("crowd \"{}\": target \"{}\" cannot be reached from source \"{}\" (walls or obstacles cut it off)", g.name, venue.targets[d].name, src.name),
                );
            }
            for &(e, _) in &g.exits {
                let probes = src_probe_points(&venue.targets[d].shape, venue);
                if !probes
                    .iter()
                    .any(|p| venue.fields[e].cost_at(&venue.grid, *p).is_finite() || via_rings(*p, e))
                {
                    ck.named(
                        &venue.targets[e].name,
                        format!(
                            "crowd \"{}\": exit \"{}\" cannot be reached from destination \"{}\"",
                            g.name, venue.targets[e].name, venue.targets[d].name
                        ),
                    );
                }
            }
        }
    }
}

//! A scenario's contingency timeline, checked: times within the run, durations positive,
//! checkpoints defined, lane counts they have, lane changes only where one queue feeds the
//! lanes, surges of defined groups with a positive headway. Each entry with a `for` gets its
//! undoing as a second event (a surge's `for` is how long its batches go on instead).

use super::{ActionRt, CondRt, Phase, Planned, RuleRt, TimelineRt, Watch};
use crate::scenario::check::{Checker, quote_list};
use crate::scenario::model::{Action, Condition, LaneChoice, Scenario};

/// Largest cordon radius, m.
pub const MAX_CORDON_RADIUS: f64 = 1000.0;

/// Most `Cordon` and `CloseZone` entries in a timeline (each set of closed areas computes the
/// floor fields again).
pub const MAX_AREAS: usize = 8;

/// Most `Hold` entries in a timeline.
pub const MAX_HOLDS: usize = 8;

/// Most points of a hold line.
pub const MAX_HOLD_POINTS: usize = 64;

/// The kinds of timed change that must not overlap on one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Window {
    Lanes,
    Closing,
    Meter,
    DoorMeter,
    SourceMeter,
    Road,
    Booths,
}

/// Whether `p` is a finite point inside `sc`'s bounds.
fn in_bounds(sc: &Scenario, p: crate::scenario::model::Point) -> bool {
    let b = &sc.venue.bounds;
    p.0.is_finite() && p.1.is_finite() && (b.min.0..=b.max.0).contains(&p.0) && (b.min.1..=b.max.1).contains(&p.1)
}

/// The timeline of `sc` (empty when it has none); problems go to `ck`.
pub fn build(ck: &mut Checker, sc: &Scenario) -> TimelineRt {
    let (start, end) = (sc.sim.start.0, sc.sim.end.0);
    let mut planned = Vec::new();
    let mut surges = Vec::new();
    let mut rules = Vec::new();
    let mut evacuation = None;
    let mut areas = Vec::new();
    let mut area_guards = Vec::new();
    let mut door_names: Vec<String> = Vec::new();
    let mut hold_lines: Vec<Vec<crate::venue::geometry::Segment>> = Vec::new();
    // timed changes of one kind to one place: (kind, checkpoint / door name / source, from, to, entry)
    let mut windows: Vec<(Window, usize, f64, f64, usize)> = Vec::new();
    for (i, entry) in sc.timeline.iter().enumerate() {
        let label = format!("timeline entry {}", i + 1);
        let at = match (&entry.at, &entry.when) {
            (Some(at), None) => {
                if !(at.0.is_finite() && at.0 >= start && at.0 < end) {
                    ck.err(
                        Some("timeline".into()),
                        format!(
                            "{label}: {} is outside the run ({} to {})",
                            at.hms(),
                            sc.sim.start.hms(),
                            sc.sim.end.hms()
                        ),
                    );
                }
                at.0
            }
            (None, Some(_)) => f64::NAN,
            _ => {
                ck.err(
                    Some("timeline".into()),
                    format!("{label}: give either `at` (a clock time) or `when` (a rule), not both or neither"),
                );
                continue;
            }
        };
        if entry.until.is_some() && entry.when.is_none() {
            ck.err(
                Some("until".into()),
                format!("{label}: `until` belongs to a rule (`when`); a timed entry is undone by `for`"),
            );
        }
        if entry.until.is_some() && entry.r#for.is_some() {
            ck.err(
                Some("until".into()),
                format!("{label}: give `until` or `for`, not both"),
            );
        }
        if let Some(d) = entry.r#for
            && !(d.is_finite() && d > 0.0)
        {
            ck.err(
                Some("for".into()),
                format!("{label}: `for` must be a positive number of seconds, got {d}"),
            );
        }
        let t = at - start;
        if let Action::Evacuate { zones, to } = &entry.r#do {
            if sc.evacuation.is_some() || evacuation.is_some() {
                ck.err(
                    Some("timeline".into()),
                    format!("{label}: one evacuation order a run (the scenario's `evacuation` or one `Evacuate`)"),
                );
                continue;
            }
            if entry.r#for.is_some() || entry.until.is_some() {
                ck.err(
                    Some("timeline".into()),
                    format!("{label}: an evacuation is not undone (no `for` or `until`)"),
                );
            }
            let when = entry.when.as_ref().and_then(|w| condition(ck, sc, &label, w));
            evacuation = Some(crate::evacuation::build::order(
                ck,
                sc,
                &label,
                if entry.when.is_some() { f64::INFINITY } else { t },
                zones,
                to,
            ));
            match when {
                Some(when) => rules.push(RuleRt {
                    entry: i,
                    when,
                    until: None,
                    action: ActionRt::Evacuate,
                    dur: None,
                    phase: Phase::Armed,
                    since: None,
                }),
                None if entry.when.is_none() => planned.push(Planned {
                    t,
                    entry: i,
                    undo: false,
                    action: ActionRt::Evacuate,
                }),
                None => {}
            }
            continue;
        }
        if let Action::MeterDoor { per_minute, .. } | Action::MeterSource { per_minute, .. } = &entry.r#do
            && !(per_minute.is_finite() && *per_minute >= 0.0)
        {
            ck.err(
                Some("per_minute".into()),
                format!("{label}: a meter is persons a minute, 0 or more, got {per_minute}"),
            );
            continue;
        }
        if let Action::CloseDoor { door } | Action::ReopenDoor { door } | Action::MeterDoor { door, .. } = &entry.r#do {
            // door names are known once the doors are built: resolved by `TimelineRt::resolve_doors`
            let d = door_names.iter().position(|n| n == door).unwrap_or_else(|| {
                door_names.push(door.clone());
                door_names.len() - 1
            });
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            let action = match entry.r#do {
                Action::CloseDoor { .. } => ActionRt::CloseDoor { door: d },
                Action::MeterDoor { per_minute, .. } => {
                    if entry.when.is_none() {
                        windows.push((Window::DoorMeter, d, at, at + dur.unwrap_or(0.0), i));
                    }
                    ActionRt::MeterDoor { door: d, per_minute }
                }
                _ => ActionRt::ReopenDoor { door: d },
            };
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        if let Action::MeterSource { source, per_minute } = &entry.r#do {
            let Some(k) = sc.venue.sources.iter().position(|x| x.name == *source) else {
                ck.named(
                    source,
                    format!(
                        "{label}: source \"{source}\" is not defined; known sources: {}",
                        quote_list(sc.venue.sources.iter().map(|x| x.name.as_str()))
                    ),
                );
                continue;
            };
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            if entry.when.is_none() {
                windows.push((Window::SourceMeter, k, at, at + dur.unwrap_or(0.0), i));
            }
            let action = ActionRt::MeterSource {
                source: k,
                per_minute: *per_minute,
            };
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        if let Action::Cordon { .. } | Action::CloseZone { .. } = &entry.r#do {
            let area = match &entry.r#do {
                Action::Cordon { at: c, radius, .. } => {
                    if !in_bounds(sc, *c) {
                        ck.err(
                            Some("at".into()),
                            format!("{label}: the cordon's middle ({}, {}) lies outside the venue", c.0, c.1),
                        );
                        continue;
                    }
                    if !(radius.is_finite() && *radius > 0.0 && *radius <= MAX_CORDON_RADIUS) {
                        ck.err(
                            Some("radius".into()),
                            format!(
                                "{label}: a cordon's radius must be above 0 and at most {MAX_CORDON_RADIUS} m, got {radius}"
                            ),
                        );
                        continue;
                    }
                    crate::venue::Shape::Circle(crate::scenario::check::v2(*c), *radius as f32)
                }
                Action::CloseZone { zone, .. } => {
                    let Some(z) = sc.venue.zones.iter().find(|z| z.name == *zone) else {
                        ck.named(
                            zone,
                            format!(
                                "{label}: zone \"{zone}\" is not defined; known zones: {}",
                                quote_list(sc.venue.zones.iter().map(|x| x.name.as_str()))
                            ),
                        );
                        continue;
                    };
                    crate::venue::Shape::polygon(z.polygon.iter().map(|p| crate::scenario::check::v2(*p)).collect())
                }
                _ => continue,
            };
            if areas.len() >= MAX_AREAS {
                ck.err(
                    Some("timeline".into()),
                    format!("{label}: a timeline closes {MAX_AREAS} areas (cordons and zones) at most"),
                );
                continue;
            }
            let guard = match &entry.r#do {
                Action::Cordon { guard: Some(g), .. } | Action::CloseZone { guard: Some(g), .. } => {
                    let Some(k) = sc.responders.iter().position(|x| x.name == *g) else {
                        ck.named(
                            g,
                            format!(
                                "{label}: responder group \"{g}\" is not defined; known groups: {}",
                                quote_list(sc.responders.iter().map(|x| x.name.as_str()))
                            ),
                        );
                        continue;
                    };
                    if sc.responders[k].drive.is_some() {
                        ck.named(
                            g,
                            format!("{label}: responder group \"{g}\" drives the roads and cannot guard an area; name a group on foot"),
                        );
                        continue;
                    }
                    Some(k)
                }
                _ => None,
            };
            let action = ActionRt::CloseArea { area: areas.len() };
            areas.push(area);
            area_guards.push(guard);
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        if let Action::Hold { line } = &entry.r#do {
            if !(2..=MAX_HOLD_POINTS).contains(&line.len()) || !line.iter().all(|p| in_bounds(sc, *p)) {
                ck.err(
                    Some("line".into()),
                    format!("{label}: a hold line has 2 to {MAX_HOLD_POINTS} points, all inside the venue's bounds"),
                );
                continue;
            }
            if hold_lines.len() >= MAX_HOLDS {
                ck.err(
                    Some("timeline".into()),
                    format!("{label}: a timeline holds the crowd at {MAX_HOLDS} lines at most"),
                );
                continue;
            }
            let v = |p: &crate::scenario::model::Point| crate::scenario::check::v2(*p);
            let segs = line
                .windows(2)
                .map(|w| crate::venue::geometry::Segment {
                    a: v(&w[0]),
                    b: v(&w[1]),
                })
                .collect();
            let action = ActionRt::Hold { line: hold_lines.len() };
            hold_lines.push(segs);
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        if let Action::Deploy { group, post } = &entry.r#do {
            let Some(g) = sc.responders.iter().position(|x| x.name == *group) else {
                ck.named(
                    group,
                    format!(
                        "{label}: responder group \"{group}\" is not defined; known groups: {}",
                        quote_list(sc.responders.iter().map(|x| x.name.as_str()))
                    ),
                );
                continue;
            };
            if !in_bounds(sc, *post) {
                ck.err(
                    Some("post".into()),
                    format!("{label}: the post ({}, {}) lies outside the venue", post.0, post.1),
                );
                continue;
            }
            if sc.responders[g].drive.is_some() {
                ck.named(
                    group,
                    format!("{label}: responder group \"{group}\" drives the roads from its station and cannot be sent to a post"),
                );
                continue;
            }
            let action = ActionRt::Deploy {
                group: g,
                post: crate::scenario::check::v2(*post),
            };
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        if let Action::CloseRoad { link } | Action::OpenRoad { link } = &entry.r#do {
            let links: Vec<&str> = sc
                .vehicles
                .as_ref()
                .map_or(Vec::new(), |v| v.links.iter().map(|l| l.name.as_str()).collect());
            let Some(l) = links.iter().position(|x| x == link) else {
                ck.named(
                    link,
                    format!(
                        "{label}: road link \"{link}\" is not defined; known links: {}",
                        quote_list(links.iter().copied())
                    ),
                );
                continue;
            };
            let close = matches!(entry.r#do, Action::CloseRoad { .. });
            let action = ActionRt::Road { link: l as u32, close };
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            if entry.when.is_none() {
                windows.push((Window::Road, l, at, at + dur.unwrap_or(0.0), i));
            }
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        if let Action::Booths { checkpoint, open } = &entry.r#do {
            let cps: Vec<(&str, u32)> = sc.vehicles.as_ref().map_or(Vec::new(), |v| {
                v.checkpoints.iter().map(|c| (c.name.as_str(), c.lanes)).collect()
            });
            let Some(k) = cps.iter().position(|x| x.0 == checkpoint) else {
                ck.named(
                    checkpoint,
                    format!(
                        "{label}: vehicle checkpoint \"{checkpoint}\" is not defined; known vehicle checkpoints: {}",
                        quote_list(cps.iter().map(|x| x.0))
                    ),
                );
                continue;
            };
            if *open > cps[k].1 {
                ck.named(
                    checkpoint,
                    format!(
                        "{label}: vehicle checkpoint \"{checkpoint}\" has {} booths; it cannot open {open}",
                        cps[k].1
                    ),
                );
                continue;
            }
            let action = ActionRt::Booths {
                cp: k as u32,
                open: *open,
            };
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            if entry.when.is_none() {
                windows.push((Window::Booths, k, at, at + dur.unwrap_or(0.0), i));
            }
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        if let Action::Admission { hall, open } = &entry.r#do {
            let Some(h) = sc.halls.iter().position(|x| x.name == *hall) else {
                ck.named(
                    hall,
                    format!(
                        "{label}: hall \"{hall}\" is not defined; known halls: {}",
                        quote_list(sc.halls.iter().map(|x| x.name.as_str()))
                    ),
                );
                continue;
            };
            let action = ActionRt::Admission { hall: h, open: *open };
            let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
            push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
            continue;
        }
        let name = match &entry.r#do {
            Action::Lanes { checkpoint, .. }
            | Action::Close { checkpoint }
            | Action::Reopen { checkpoint }
            | Action::Meter { checkpoint, .. } => checkpoint,
            Action::Evacuate { .. }
            | Action::Admission { .. }
            | Action::Cordon { .. }
            | Action::CloseZone { .. }
            | Action::CloseDoor { .. }
            | Action::Deploy { .. }
            | Action::Hold { .. }
            | Action::MeterDoor { .. }
            | Action::MeterSource { .. }
            | Action::CloseRoad { .. }
            | Action::OpenRoad { .. }
            | Action::Booths { .. }
            | Action::ReopenDoor { .. } => {
                continue;
            }
            Action::Surge { group, count, every } => {
                if entry.until.is_some() {
                    ck.err(
                        Some("until".into()),
                        format!("{label}: a surge on a rule fires once (no `until`); its `for` is how long its batches go on"),
                    );
                    continue;
                }
                let Some(g) = sc.crowd.iter().position(|x| x.name == *group) else {
                    ck.named(
                        group,
                        format!(
                            "{label}: crowd group \"{group}\" is not defined; known groups: {}",
                            quote_list(sc.crowd.iter().map(|x| x.name.as_str()))
                        ),
                    );
                    continue;
                };
                if *count == 0 {
                    ck.err(
                        Some("count".into()),
                        format!("{label}: a surge needs a count of at least 1"),
                    );
                }
                if let Some(h) = every {
                    if !(h.is_finite() && *h > 0.0) {
                        ck.err(
                            Some("every".into()),
                            format!("{label}: `every` must be a positive number of seconds, got {h}"),
                        );
                    } else if entry.r#for.is_none() {
                        ck.err(
                            Some("every".into()),
                            format!("{label}: a surge `every` {h} s needs a `for` (how long the batches go on)"),
                        );
                    }
                }
                let action = ActionRt::Surge {
                    group: g,
                    count: *count,
                    every: *every,
                };
                if let Some(when) = &entry.when {
                    // on a rule: its batches join the group's arrivals when it fires
                    if let Some(when) = condition(ck, sc, &label, when) {
                        rules.push(RuleRt {
                            entry: i,
                            when,
                            until: None,
                            action,
                            dur: entry.r#for,
                            phase: Phase::Armed,
                            since: None,
                        });
                    }
                    continue;
                }
                // the batches within the run
                let dur = entry.r#for.map(|d| d.min(end - at));
                let times: Vec<f64> = entry
                    .r#do
                    .surge_times(at, dur)
                    .into_iter()
                    .filter(|&x| x < end)
                    .map(|x| x - start)
                    .collect();
                surges.push((g, times));
                planned.push(Planned {
                    t,
                    entry: i,
                    undo: false,
                    action,
                });
                continue;
            }
        };
        let Some(k) = sc.checkpoints.iter().position(|c| c.name == *name) else {
            ck.named(
                name,
                format!(
                    "{label}: checkpoint \"{name}\" is not defined; known checkpoints: {}",
                    quote_list(sc.checkpoints.iter().map(|c| c.name.as_str()))
                ),
            );
            continue;
        };
        let cp = &sc.checkpoints[k];
        let action = match &entry.r#do {
            Action::Lanes { open, .. } => {
                if *open > cp.lanes {
                    ck.named(
                        name,
                        format!(
                            "{label}: checkpoint \"{name}\" has {} lanes; it cannot open {open}",
                            cp.lanes
                        ),
                    );
                }
                if cp.lane_choice != LaneChoice::SharedQueue {
                    ck.named(
                        name,
                        format!(
                            "{label}: lanes of checkpoint \"{name}\" can change only with one shared queue \
                             (lane_choice: SharedQueue); with a queue per lane those at a closed lane would \
                             have nowhere to go"
                        ),
                    );
                }
                ActionRt::Lanes { cp: k, open: *open }
            }
            Action::Close { .. } => ActionRt::Close { cp: k },
            Action::Reopen { .. } => ActionRt::Reopen { cp: k },
            Action::Meter { per_minute, .. } => {
                if !(per_minute.is_finite() && *per_minute >= 0.0) {
                    ck.named(
                        name,
                        format!("{label}: a meter is persons a minute, 0 or more, got {per_minute}"),
                    );
                }
                ActionRt::Meter {
                    cp: k,
                    per_minute: *per_minute,
                }
            }
            // handled above
            Action::Surge { .. }
            | Action::Evacuate { .. }
            | Action::Admission { .. }
            | Action::Cordon { .. }
            | Action::CloseZone { .. }
            | Action::CloseDoor { .. }
            | Action::Deploy { .. }
            | Action::Hold { .. }
            | Action::MeterDoor { .. }
            | Action::MeterSource { .. }
            | Action::CloseRoad { .. }
            | Action::OpenRoad { .. }
            | Action::Booths { .. }
            | Action::ReopenDoor { .. } => continue,
        };
        let dur = entry.r#for.filter(|d| d.is_finite() && *d > 0.0);
        if entry.when.is_none() {
            let family = match action {
                ActionRt::Lanes { .. } => Window::Lanes,
                ActionRt::Meter { .. } => Window::Meter,
                _ => Window::Closing,
            };
            windows.push((family, k, at, at + dur.unwrap_or(0.0), i));
        }
        push_entry(ck, sc, &label, entry, i, t, dur, action, &mut planned, &mut rules);
    }
    // two timed changes of the same kind to one checkpoint must not overlap: the undoing of the
    // first would cut into the second (or two at the same instant would contradict each other)
    windows.sort_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then(a.2.total_cmp(&b.2))
            .then(a.4.cmp(&b.4))
    });
    for w in windows.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a.0, a.1) == (b.0, b.1) && (b.2 < a.3 || b.2 == a.2) {
            let (place, name, what) = match a.0 {
                Window::Lanes => ("checkpoint", &sc.checkpoints[a.1].name, "its lanes"),
                Window::Closing => ("checkpoint", &sc.checkpoints[a.1].name, "closing it"),
                Window::Meter => ("checkpoint", &sc.checkpoints[a.1].name, "its meter"),
                Window::DoorMeter => ("door", &door_names[a.1], "its meter"),
                Window::SourceMeter => ("source", &sc.venue.sources[a.1].name, "its meter"),
                Window::Road => (
                    "road",
                    sc.vehicles.as_ref().map_or(&sc.name, |v| &v.links[a.1].name),
                    "closing or opening it",
                ),
                Window::Booths => (
                    "vehicle checkpoint",
                    sc.vehicles.as_ref().map_or(&sc.name, |v| &v.checkpoints[a.1].name),
                    "its booths",
                ),
            };
            ck.named(
                name,
                format!(
                    "timeline entries {} and {} overlap on {place} \"{name}\" ({what}): the second starts before the first is undone",
                    a.4 + 1,
                    b.4 + 1,
                ),
            );
        }
    }
    // by time; at the same time the undoings first (an entry that ends as the next begins,
    // back to back, leaves the next in force), then in file order
    planned.sort_by(|a, b| {
        a.t.total_cmp(&b.t)
            .then(b.undo.cmp(&a.undo))
            .then(a.entry.cmp(&b.entry))
    });
    TimelineRt {
        following: Vec::new(),
        areas,
        area_guards,
        open_areas: Vec::new(),
        door_names,
        doors: Vec::new(),
        door_walls: Vec::new(),
        evacuation,
        rules,
        surges,
        restore: vec![None; sc.timeline.len()],
        restore_meter: vec![None; sc.timeline.len()],
        restore_units: vec![None; sc.timeline.len()],
        planned,
        next: 0,
        fired: Vec::new(),
        impacts: Vec::new(),
        incident_kinds: sc.incidents.iter().map(|i| i.kind.clone()).collect(),
        hold_lines,
        hold_walls: Vec::new(),
    }
}

/// A rule's condition on indices; problems go to `ck` (None then).
fn condition(ck: &mut Checker, sc: &Scenario, label: &str, c: &Condition) -> Option<CondRt> {
    let (name, above, below, hold) = c.parts();
    // what it watches, and the names of that kind
    let (what, names): (&str, Vec<&str>) = match c {
        Condition::QueueLength { .. } => ("checkpoint", sc.checkpoints.iter().map(|x| x.name.as_str()).collect()),
        Condition::Occupancy { .. } => ("hall", sc.halls.iter().map(|x| x.name.as_str()).collect()),
        Condition::Density { .. } => ("zone", sc.venue.zones.iter().map(|x| x.name.as_str()).collect()),
        Condition::WaitAtCheckpoint { .. } => ("checkpoint", sc.checkpoints.iter().map(|x| x.name.as_str()).collect()),
        Condition::IncidentOfKind { .. } => ("incident type", sc.incidents.iter().map(|x| x.kind.as_str()).collect()),
    };
    let Some(index) = names.iter().position(|x| *x == name) else {
        let known = quote_list(names.iter().copied());
        ck.named(
            name,
            format!("{label}: {what} \"{name}\" is not defined; known: {known}"),
        );
        return None;
    };
    let level = match (above, below) {
        (Some(a), None) if a.is_finite() && a >= 0.0 => (a, true),
        (None, Some(b)) if b.is_finite() && b >= 0.0 => (b, false),
        _ => {
            ck.named(
                name,
                format!("{label}: a rule on {what} \"{name}\" needs one level, `above` or `below`, a number ≥ 0"),
            );
            return None;
        }
    };
    if !(hold.is_finite() && hold >= 0.0) {
        ck.named(
            name,
            format!("{label}: a rule's `for` must be zero or a positive number of seconds, got {hold}"),
        );
        return None;
    }
    let watch = match c {
        Condition::QueueLength { .. } => Watch::Queue(index),
        Condition::Occupancy { .. } => Watch::Occupancy(index),
        Condition::Density { .. } => Watch::Density(index),
        Condition::WaitAtCheckpoint { .. } => Watch::Wait(index),
        Condition::IncidentOfKind { .. } => Watch::Incidents(index),
    };
    Some(CondRt {
        watch,
        level: level.0,
        above: level.1,
        hold,
    })
}

/// Adds entry `i`'s action: as a rule (with `when`) or as a timed event at `t` (s after the
/// start) with its undoing `dur` later.
#[allow(clippy::too_many_arguments)]
fn push_entry(
    ck: &mut Checker,
    sc: &Scenario,
    label: &str,
    entry: &crate::scenario::model::TimelineEntry,
    i: usize,
    t: f64,
    dur: Option<f64>,
    action: ActionRt,
    planned: &mut Vec<Planned>,
    rules: &mut Vec<RuleRt>,
) {
    if let Some(when) = &entry.when {
        let when = condition(ck, sc, label, when);
        let until = match &entry.until {
            None => Ok(None),
            Some(u) => condition(ck, sc, label, u).map(Some).ok_or(()),
        };
        if let (Some(when), Ok(until)) = (when, until) {
            rules.push(RuleRt {
                entry: i,
                when,
                until,
                action,
                dur,
                phase: Phase::Armed,
                since: None,
            });
        }
        return;
    }
    if let Some(d) = dur
        && let Some(undo) = action.undo()
    {
        planned.push(Planned {
            t: t + d,
            entry: i,
            undo: true,
            action: undo,
        });
    }
    planned.push(Planned {
        t,
        entry: i,
        undo: false,
        action,
    });
}

//! What-ifs applied while a run goes on (the viewer's keys): each is a timeline entry at the
//! next whole second of the clock, checked and planned as the file's own entries are (the
//! timeline is built again with it and its events join those still to come), so a run with an
//! action applied live and a run of the file with that entry written in give the same report.
//! Undoing a live action (reopening what it closed, lifting its cordon) gives it a `for`;
//! undoing one of the file's is a new entry (`Reopen`, `ReopenDoor`). [`Live::save`] writes the
//! entries applied so far into the scenario file's `timeline`, and changes nothing else in it.

use super::{ActionRt, Planned, TimelineRt};
use crate::checkpoint::CheckpointState;
use crate::scenario::check::Checker;
use crate::scenario::model::{Action, ClockTime, Point, Scenario, TimelineEntry};
use crate::schedule::SimClock;
use crate::venue::Venue;
use bevy::prelude::*;

/// What a live action is applied to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// A checkpoint (index).
    Checkpoint(usize),
    /// An exit door (index into the venue's doors).
    Door(usize),
    /// A measurement zone (index).
    Zone(usize),
    /// A point of the venue, m.
    Point(Vec2),
}

/// The radius of a cordon put round a point live, m.
pub const LIVE_CORDON_RADIUS: f64 = 25.0;

/// The scenario being run, with the entries applied live after its own.
#[derive(Debug, Clone)]
pub struct Live {
    /// The scenario, its timeline followed by the entries applied live.
    pub scenario: Scenario,
    /// How many of the timeline's entries are the file's own.
    pub base: usize,
}

impl Live {
    /// Nothing applied yet to `scenario`.
    pub fn new(scenario: Scenario) -> Live {
        let base = scenario.timeline.len();
        Live { scenario, base }
    }

    /// The entries applied live, in order.
    pub fn applied(&self) -> &[TimelineEntry] {
        &self.scenario.timeline[self.base..]
    }

    /// Close what `target` is if it is open, else open it again: a checkpoint, an exit door, a
    /// zone (closed to the crowd), or a cordon round a point (lifted when the point lies in a
    /// cordon put there live). Returns what was done, in words.
    pub fn toggle_close(&mut self, world: &mut World, target: Target) -> Result<String, String> {
        let at = now(world)?;
        let venue = world.resource::<Venue>();
        let state = world.get_resource::<CheckpointState>();
        let (closed, open_entry, close_entry): (bool, Action, Action) = match target {
            Target::Checkpoint(k) => {
                let name = cp_name(venue, k)?;
                let closed = state.is_some_and(|s| s.plan_closed.get(k).copied().unwrap_or(false));
                (
                    closed,
                    Action::Reopen {
                        checkpoint: name.clone(),
                    },
                    Action::Close { checkpoint: name },
                )
            }
            Target::Door(d) => {
                let door = venue.security.doors.get(d).ok_or("no such door")?.name.clone();
                let closed = state.is_some_and(|s| s.door_closed.get(d).copied().unwrap_or(false));
                (
                    closed,
                    Action::ReopenDoor { door: door.clone() },
                    Action::CloseDoor { door },
                )
            }
            Target::Zone(z) => {
                let zone = venue.zones.get(z).ok_or("no such zone")?.name.clone();
                let close = Action::CloseZone { zone, guard: None };
                let closed = self.in_force(world, &close).is_some() || self.closed_by_file(world, &close);
                (closed, close.clone(), close)
            }
            Target::Point(p) => {
                // a cordon put there live: lifted; else a new one round the point
                let tl = world.resource::<TimelineRt>();
                let inside = (self.base..self.scenario.timeline.len()).find(|&i| {
                    let e = &self.scenario.timeline[i];
                    matches!(e.r#do, Action::Cordon { at: c, radius, .. } if e.r#for.is_none()
                        && Vec2::new(c.0 as f32, c.1 as f32).distance(p) <= radius as f32)
                        && planned_area(tl, i).is_some_and(|a| tl.open_areas.contains(&a))
                });
                if let Some(i) = inside {
                    return self.lift(world, i, at);
                }
                let c: Point = (
                    (f64::from(p.x) * 10.0).round() / 10.0,
                    (f64::from(p.y) * 10.0).round() / 10.0,
                );
                let cordon = Action::Cordon {
                    at: c,
                    radius: LIVE_CORDON_RADIUS,
                    guard: None,
                };
                return self.add(world, entry(at, cordon));
            }
        };
        if !closed {
            return self.add(world, entry(at, close_entry));
        }
        // closed: by a live entry still in force, lift it; else the opposite entry
        if let Some(i) = self.in_force(world, &close_entry) {
            return self.lift(world, i, at);
        }
        if matches!(target, Target::Zone(_)) {
            return Err("closed by the file's own timeline: it opens again as the file says".into());
        }
        self.add(world, entry(at, open_entry))
    }

    /// Open `delta` more lanes at checkpoint `k` (fewer if negative), within the lanes it has.
    pub fn lanes(&mut self, world: &mut World, k: usize, delta: i32) -> Result<String, String> {
        let at = now(world)?;
        let venue = world.resource::<Venue>();
        let name = cp_name(venue, k)?;
        let lanes = venue.security.checkpoints[k].lanes;
        let open = world
            .get_resource::<CheckpointState>()
            .and_then(|s| s.queues.get(k).map(|q| q.open_lanes()))
            .unwrap_or(lanes);
        // a second press within the same second changes the entry made by the first
        let n = self.scenario.timeline.len();
        let again = (n > self.base)
            .then(|| &self.scenario.timeline[n - 1])
            .and_then(|last| match &last.r#do {
                Action::Lanes { checkpoint, open: was } if last.at == Some(at) && *checkpoint == name => Some(*was),
                _ => None,
            });
        let from = again.map_or(open as i64, i64::from);
        let to = (from + i64::from(delta)).clamp(0, lanes as i64) as u32;
        let e = entry(
            at,
            Action::Lanes {
                checkpoint: name.clone(),
                open: to,
            },
        );
        if again.is_some() {
            return self.replace_last(world, e);
        }
        if to as usize == open {
            return Err(format!("{name} has {open} of its {lanes} lanes open already"));
        }
        self.add(world, e)
    }

    /// Meter checkpoint `k` to half of what its open lanes screen a minute, or lift its meter.
    pub fn toggle_meter(&mut self, world: &mut World, k: usize) -> Result<String, String> {
        let at = now(world)?;
        let venue = world.resource::<Venue>();
        let name = cp_name(venue, k)?;
        let cp = &venue.security.checkpoints[k];
        let q = world.get_resource::<CheckpointState>().and_then(|s| s.queues.get(k));
        let metered = q.is_some_and(|q| q.meter().is_finite() && q.meter() > 0.0);
        let per_minute = if metered {
            0.0
        } else {
            let open = q.map_or(cp.lanes, |q| q.open_lanes()).max(1) as f64;
            (0.5 * open * 60.0 / cp.service.mean().max(1e-3)).round().max(1.0)
        };
        self.add(
            world,
            entry(
                at,
                Action::Meter {
                    checkpoint: name,
                    per_minute,
                },
            ),
        )
    }

    /// Meter exit door `d` to half of what it lets through at capacity, or lift its meter.
    pub fn toggle_door_meter(&mut self, world: &mut World, d: usize) -> Result<String, String> {
        let at = now(world)?;
        let venue = world.resource::<Venue>();
        let door = venue.security.doors.get(d).ok_or("no such door")?;
        let metered = world
            .get_resource::<CheckpointState>()
            .and_then(|s| s.door_meter.get(d))
            .is_some_and(|m| m.on());
        let per_minute = if metered {
            0.0
        } else {
            (0.5 * crate::checkpoint::systems::DOOR_CAPACITY * f64::from(door.width) * 60.0)
                .round()
                .max(1.0)
        };
        let name = door.name.clone();
        self.add(world, entry(at, Action::MeterDoor { door: name, per_minute }))
    }

    /// Send responder group `g` to a post at `p`; with `p` within 5 m of the post a live entry
    /// sent it to, send it back instead.
    pub fn deploy(&mut self, world: &mut World, g: usize, p: Vec2) -> Result<String, String> {
        let at = now(world)?;
        let group = self
            .scenario
            .responders
            .get(g)
            .map(|r| r.name.clone())
            .ok_or("no such responder group")?;
        let sent = (self.base..self.scenario.timeline.len()).rev().find(|&i| {
            let e = &self.scenario.timeline[i];
            matches!(&e.r#do, Action::Deploy { group: x, .. } if *x == group) && e.r#for.is_none()
        });
        if let Some(i) = sent {
            let Action::Deploy { post, .. } = self.scenario.timeline[i].r#do.clone() else {
                return Err("not a deployment".into());
            };
            if Vec2::new(post.0 as f32, post.1 as f32).distance(p) <= 5.0 {
                return self.lift(world, i, at);
            }
            return Err(format!(
                "{group} is at a post sent live already: send it back first (U on that post)"
            ));
        }
        let post: Point = (
            (f64::from(p.x) * 10.0).round() / 10.0,
            (f64::from(p.y) * 10.0).round() / 10.0,
        );
        self.add(world, entry(at, Action::Deploy { group, post }))
    }

    /// Evacuate zone `z` (None: the whole venue) now, to the ways out the crowd leaves by (every
    /// group's `exits`, in the file's order). One evacuation a run: refused when the file has
    /// one, or one was given live.
    pub fn evacuate(&mut self, world: &mut World, z: Option<usize>) -> Result<String, String> {
        let at = now(world)?;
        if self.scenario.evacuation.is_some()
            || self
                .scenario
                .timeline
                .iter()
                .any(|e| matches!(e.r#do, Action::Evacuate { .. }))
        {
            return Err("this run has its evacuation order already (one a run)".into());
        }
        let zones = match z {
            Some(z) => vec![
                world
                    .resource::<Venue>()
                    .zones
                    .get(z)
                    .ok_or("no such zone")?
                    .name
                    .clone(),
            ],
            None => Vec::new(),
        };
        let mut to: Vec<String> = Vec::new();
        for x in self.scenario.crowd.iter().flat_map(|g| &g.exits) {
            if !to.contains(&x.target) {
                to.push(x.target.clone());
            }
        }
        if to.is_empty() {
            return Err("no group has `exits` to evacuate to: give the order in the file (`Evacuate`, `to`)".into());
        }
        self.add(world, entry(at, Action::Evacuate { zones, to }))
    }

    /// The live entry whose action is `action`, with no `for`, that is in force now.
    fn in_force(&self, world: &World, action: &Action) -> Option<usize> {
        let tl = world.resource::<TimelineRt>();
        (self.base..self.scenario.timeline.len()).rev().find(|&i| {
            let e = &self.scenario.timeline[i];
            e.r#do == *action
                && e.r#for.is_none()
                && tl.fired.iter().any(|f| f.entry == i && !f.undo)
                && match e.r#do {
                    Action::CloseZone { .. } | Action::Cordon { .. } => {
                        planned_area(tl, i).is_some_and(|a| tl.open_areas.contains(&a))
                    }
                    _ => true,
                }
        })
    }

    /// Whether the zone `action` closes is closed now by one of the file's own entries.
    fn closed_by_file(&self, world: &World, action: &Action) -> bool {
        let tl = world.resource::<TimelineRt>();
        (0..self.base).any(|i| {
            self.scenario.timeline[i].r#do == *action && planned_area(tl, i).is_some_and(|a| tl.open_areas.contains(&a))
        })
    }

    /// Appends `e`, builds the timeline again with it and plans its events; on a problem,
    /// takes it back and says what.
    fn add(&mut self, world: &mut World, e: TimelineEntry) -> Result<String, String> {
        self.scenario.timeline.push(e);
        let n = self.scenario.timeline.len() - 1;
        match self.plan(world, n) {
            Ok(words) => Ok(words),
            Err(err) => {
                self.scenario.timeline.pop();
                Err(err)
            }
        }
    }

    /// Replaces the last live entry (not fired yet) by `e`.
    fn replace_last(&mut self, world: &mut World, e: TimelineEntry) -> Result<String, String> {
        let n = self.scenario.timeline.len() - 1;
        let old = std::mem::replace(&mut self.scenario.timeline[n], e);
        unplan(world, n);
        match self.plan(world, n) {
            Ok(words) => Ok(words),
            Err(err) => {
                self.scenario.timeline[n] = old;
                self.plan(world, n).ok();
                Err(err)
            }
        }
    }

    /// Gives live entry `i` a `for` ending at `at` (at least a second after it began) and plans
    /// its undoing then.
    fn lift(&mut self, world: &mut World, i: usize, at: ClockTime) -> Result<String, String> {
        let start = self.scenario.sim.start.0;
        let began = self.scenario.timeline[i].at.map_or(start, |a| a.0);
        let d = (at.0 - began).max(1.0);
        let undo_t = began + d - start;
        let tl = world.resource::<TimelineRt>();
        let Some(undo) = tl
            .planned
            .iter()
            .find(|p| p.entry == i && !p.undo)
            .and_then(|p| p.action.undo())
        else {
            return Err("nothing to undo".into());
        };
        self.scenario.timeline[i].r#for = Some(d);
        insert(
            &mut world.resource_mut::<TimelineRt>(),
            Planned {
                t: undo_t,
                entry: i,
                undo: true,
                action: undo,
            },
        );
        Ok(format!(
            "entry {} undone at {} (for: {d})",
            i + 1,
            ClockTime(began + d).hms()
        ))
    }

    /// Builds the timeline again with entry `n` and plans its events.
    fn plan(&self, world: &mut World, n: usize) -> Result<String, String> {
        let mut ck = Checker::new(None);
        let mut new = super::build::build(&mut ck, &self.scenario);
        new.resolve_doors(&mut ck, &world.resource::<Venue>().security.doors);
        if !ck.is_clean() {
            return Err(ck.into_error("the action").to_string());
        }
        if let Some(ev) = new.evacuation.take()
            && !world.contains_resource::<crate::evacuation::EvacuationRt>()
        {
            crate::evacuation::EvacState::give(world, ev);
        }
        let mut tl = world.resource_mut::<TimelineRt>();
        for p in new.planned.into_iter().filter(|p| p.entry == n) {
            insert(&mut tl, p);
        }
        tl.areas = new.areas;
        tl.door_names = new.door_names;
        tl.doors = new.doors;
        let doors = tl.door_names.len();
        tl.door_walls.resize(doors, Vec::new());
        tl.restore.resize(n + 1, None);
        tl.restore_meter.resize(n + 1, None);
        tl.restore_units.resize(n + 1, None);
        let text = entry_text(&self.scenario.timeline[n]);
        let inner = text
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .unwrap_or(&text);
        Ok(format!("entry {}: {inner}", n + 1))
    }

    /// The scenario file's text `text` with the entries applied live appended to its
    /// `timeline` (one added if it has none); nothing else in it changes. Fails if the text's
    /// own timeline is not the one this run started from (the file changed since).
    pub fn save(&self, text: &str) -> Result<String, String> {
        let sc = crate::scenario::parse_str(text, "the scenario file").map_err(|e| e.to_string())?;
        if sc.timeline != self.scenario.timeline[..self.base] {
            return Err("the file's timeline changed since this run began: reload it (R) first".into());
        }
        let applied = self.applied();
        if applied.is_empty() {
            return Ok(text.to_string());
        }
        let spans = crate::scenario::spans::Spans::of(text);
        match spans.find("timeline") {
            Some(key) => {
                let indent = line_indent(text, key);
                let open = next_code_char(text, key + "timeline".len(), b'[').ok_or("no `[` after `timeline:`")?;
                let close = matching_bracket(text, open).ok_or("the timeline's `]` is missing")?;
                let last = last_code_char(text, open + 1, close);
                if last.is_some_and(|(_, c)| c != b',') {
                    // a comma after the last entry
                    let (at, _) = last.unwrap_or_default();
                    let mut out = String::with_capacity(text.len() + 256);
                    out.push_str(&text[..=at]);
                    out.push(',');
                    out.push_str(&text[at + 1..]);
                    return self.save(&out);
                }
                let mut ins = String::new();
                for e in applied {
                    ins += &format!("{indent}    {},\n", entry_text(e));
                }
                // before the `]`, on lines of their own
                let line_start = text[..close].rfind('\n').map_or(0, |i| i + 1);
                let (at, pre) = if text[line_start..close].trim().is_empty() {
                    (line_start, String::new())
                } else {
                    (close, "\n".to_string())
                };
                let tail_indent = if pre.is_empty() { String::new() } else { indent.clone() };
                Ok(format!("{}{pre}{ins}{tail_indent}{}", &text[..at], &text[at..]))
            }
            None => {
                // a timeline before the scenario's closing bracket
                let close = last_code_char(text, 0, text.len())
                    .filter(|&(_, c)| c == b')')
                    .map(|(i, _)| i)
                    .ok_or("the scenario's closing `)` is missing")?;
                let before = last_code_char(text, 0, close);
                let comma = if before.is_some_and(|(_, c)| c != b',' && c != b'(') {
                    ","
                } else {
                    ""
                };
                let cut = before.map_or(close, |(i, _)| i + 1);
                let mut ins = format!("{comma}\n    timeline: [\n");
                for e in applied {
                    ins += &format!("        {},\n", entry_text(e));
                }
                ins += "    ],";
                Ok(format!("{}{ins}{}", &text[..cut], &text[cut..]))
            }
        }
    }
}

/// The clock time an action applied now takes effect: the next whole second.
fn now(world: &World) -> Result<ClockTime, String> {
    let clock = world.resource::<SimClock>();
    let at = (clock.start + clock.t()).ceil();
    if at - clock.start >= clock.duration {
        return Err("the run is over".into());
    }
    Ok(ClockTime(at))
}

fn cp_name(venue: &Venue, k: usize) -> Result<String, String> {
    venue
        .security
        .checkpoints
        .get(k)
        .map(|c| c.name.clone())
        .ok_or_else(|| "no such checkpoint".to_string())
}

fn entry(at: ClockTime, action: Action) -> TimelineEntry {
    TimelineEntry {
        at: Some(at),
        when: None,
        until: None,
        r#for: None,
        r#do: action,
    }
}

/// The area entry `i` closes (index into the timeline's areas), from its planned event.
fn planned_area(tl: &TimelineRt, i: usize) -> Option<usize> {
    tl.planned.iter().find_map(|p| match p.action {
        ActionRt::CloseArea { area } if p.entry == i && !p.undo => Some(area),
        _ => None,
    })
}

/// Adds `p` among the events still to come, by time (then undoings after, then entry).
fn insert(tl: &mut TimelineRt, p: Planned) {
    let key = |x: &Planned| (x.t, x.undo, x.entry);
    let from = tl.next;
    let pos = from
        + tl.planned[from..].partition_point(|x| {
            let (a, b) = (key(x), key(&p));
            a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)).is_le()
        });
    tl.planned.insert(pos, p);
}

/// Takes entry `n`'s events still to come out.
fn unplan(world: &mut World, n: usize) {
    let mut tl = world.resource_mut::<TimelineRt>();
    let from = tl.next;
    let mut k = from;
    while k < tl.planned.len() {
        if tl.planned[k].entry == n {
            tl.planned.remove(k);
        } else {
            k += 1;
        }
    }
}

/// A RON string.
fn quoted(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// One timeline entry as a line of RON, as a planner would write it.
pub fn entry_text(e: &TimelineEntry) -> String {
    let q = |s: &str| quoted(s);
    let what = match &e.r#do {
        Action::Lanes { checkpoint, open } => format!("Lanes(checkpoint: {}, open: {open})", q(checkpoint)),
        Action::Close { checkpoint } => format!("Close(checkpoint: {})", q(checkpoint)),
        Action::Reopen { checkpoint } => format!("Reopen(checkpoint: {})", q(checkpoint)),
        Action::Meter { checkpoint, per_minute } => {
            format!("Meter(checkpoint: {}, per_minute: {per_minute})", q(checkpoint))
        }
        Action::Admission { hall, open } => format!("Admission(hall: {}, open: {open})", q(hall)),
        Action::CloseDoor { door } => format!("CloseDoor(door: {})", q(door)),
        Action::ReopenDoor { door } => format!("ReopenDoor(door: {})", q(door)),
        Action::CloseRoad { link } => format!("CloseRoad(link: {})", q(link)),
        Action::OpenRoad { link } => format!("OpenRoad(link: {})", q(link)),
        Action::Booths { checkpoint, open } => format!("Booths(checkpoint: {}, open: {open})", q(checkpoint)),
        Action::MeterDoor { door, per_minute } => format!("MeterDoor(door: {}, per_minute: {per_minute})", q(door)),
        Action::MeterSource { source, per_minute } => {
            format!("MeterSource(source: {}, per_minute: {per_minute})", q(source))
        }
        Action::Cordon { at, radius, guard } => format!(
            "Cordon(at: ({}, {}), radius: {radius}{})",
            at.0,
            at.1,
            guard.as_ref().map_or(String::new(), |g| format!(", guard: {}", q(g)))
        ),
        Action::CloseZone { zone, guard } => format!(
            "CloseZone(zone: {}{})",
            q(zone),
            guard.as_ref().map_or(String::new(), |g| format!(", guard: {}", q(g)))
        ),
        Action::Deploy { group, post } => format!("Deploy(group: {}, post: ({}, {}))", q(group), post.0, post.1),
        Action::Evacuate { zones, to } => {
            let list = |v: &[String]| v.iter().map(|x| q(x)).collect::<Vec<_>>().join(", ");
            if zones.is_empty() {
                format!("Evacuate(to: [{}])", list(to))
            } else {
                format!("Evacuate(zones: [{}], to: [{}])", list(zones), list(to))
            }
        }
        // not applied live; written whole for completeness
        other => ron::to_string(other).unwrap_or_default(),
    };
    let mut s = String::from("(");
    if let Some(at) = e.at {
        s += &format!("at: {}, ", q(&at.hms()));
    }
    if let Some(d) = e.r#for {
        s += &format!("for: {d}, ");
    }
    s + &format!("do: {what})")
}

/// The leading white space of the line holding byte `at`.
fn line_indent(text: &str, at: usize) -> String {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    text[start..at].chars().take_while(|c| c.is_whitespace()).collect()
}

/// Bytes of `text` from `from` that are code (not in a comment or a string), with their offsets.
fn code(text: &str, from: usize, to: usize) -> Vec<(usize, u8)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    while i < to.min(b.len()) {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                out.push((i, b'"'));
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                out.push((i, b'"'));
                i += 1;
            }
            c => {
                out.push((i, c));
                i += 1;
            }
        }
    }
    out
}

/// The offset of the first code byte `want` at or after `from`, passing only white space and `:`.
fn next_code_char(text: &str, from: usize, want: u8) -> Option<usize> {
    code(text, from, text.len())
        .into_iter()
        .find(|&(_, c)| !c.is_ascii_whitespace() && c != b':')
        .filter(|&(_, c)| c == want)
        .map(|(i, _)| i)
}

/// The `]` matching the `[` at `open`.
fn matching_bracket(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, c) in code(text, open, text.len()) {
        match c {
            b'[' | b'(' | b'{' => depth += 1,
            b']' | b')' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return (c == b']').then_some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The last code byte in `from..to` that is not white space.
fn last_code_char(text: &str, from: usize, to: usize) -> Option<(usize, u8)> {
    code(text, from, to)
        .into_iter()
        .rev()
        .find(|&(_, c)| !c.is_ascii_whitespace())
}

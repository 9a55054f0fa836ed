//! A scenario's contingency timeline, checked: times within the run, durations positive,
//! checkpoints defined, lane counts they have, lane changes only where one queue feeds the
//! lanes, surges of defined groups with a positive headway. Each entry with a `for` gets its
//! undoing as a second event (a surge's `for` is how long its batches go on instead).

use super::{ActionRt, Planned, TimelineRt};
use crate::scenario::check::{Checker, quote_list};
use crate::scenario::model::{Action, LaneChoice, Scenario};

/// The timeline of `sc` (empty when it has none); problems go to `ck`.
pub fn build(ck: &mut Checker, sc: &Scenario) -> TimelineRt {
    let (start, end) = (sc.sim.start.0, sc.sim.end.0);
    let mut planned = Vec::new();
    let mut surges = Vec::new();
    for (i, entry) in sc.timeline.iter().enumerate() {
        let label = format!("timeline entry {}", i + 1);
        if !(entry.at.0.is_finite() && entry.at.0 >= start && entry.at.0 < end) {
            ck.err(
                Some("timeline".into()),
                format!(
                    "{label}: {} is outside the run ({} to {})",
                    entry.at.hms(),
                    sc.sim.start.hms(),
                    sc.sim.end.hms()
                ),
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
        let t = entry.at.0 - start;
        let name = match &entry.r#do {
            Action::Lanes { checkpoint, .. } | Action::Close { checkpoint } | Action::Reopen { checkpoint } => {
                checkpoint
            }
            Action::Surge { group, count, every } => {
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
                // the batches within the run
                let dur = entry.r#for.map(|d| d.min(end - entry.at.0));
                let times: Vec<f64> = entry
                    .r#do
                    .surge_times(entry.at.0, dur)
                    .into_iter()
                    .filter(|&x| x < end)
                    .map(|x| x - start)
                    .collect();
                surges.push((g, times));
                planned.push(Planned {
                    t,
                    entry: i,
                    undo: false,
                    action: ActionRt::Surge {
                        group: g,
                        count: *count,
                        every: *every,
                    },
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
            // handled above
            Action::Surge { .. } => continue,
        };
        planned.push(Planned {
            t,
            entry: i,
            undo: false,
            action: action.clone(),
        });
        if let Some(d) = entry.r#for.filter(|d| d.is_finite() && *d > 0.0) {
            let undo = match action {
                // the lanes open before it: known only when it fires
                ActionRt::Lanes { cp, .. } => ActionRt::Lanes { cp, open: u32::MAX },
                ActionRt::Close { cp } => ActionRt::Reopen { cp },
                ActionRt::Reopen { cp } => ActionRt::Close { cp },
                ActionRt::Surge { .. } => continue,
            };
            planned.push(Planned {
                t: t + d,
                entry: i,
                undo: true,
                action: undo,
            });
        }
    }
    // by time; at the same time in file order, each entry before any undoing
    planned.sort_by(|a, b| {
        a.t.total_cmp(&b.t)
            .then(a.undo.cmp(&b.undo))
            .then(a.entry.cmp(&b.entry))
    });
    TimelineRt {
        surges,
        restore: vec![None; sc.timeline.len()],
        planned,
        next: 0,
        fired: Vec::new(),
    }
}

//! Demand: the crowd groups a scenario's `demand` generates. Attendance × `scale` is split by
//! visitor class (shares), by mode of travel (shares), by each mode's sources (weights) and over
//! the class's arrival profile (window shares, or a bell curve in 15-minute steps); each class
//! and source of a mode becomes one crowd group with Poisson arrivals at the resulting rates
//! (`Arrivals::Rates`), the class's destinations, stay and exits (a mode's source may name its
//! own exit). Plain data to plain data: the groups are checked and built as hand-written ones.

use super::check::{Checker, check_distribution, quote_list};
use super::model::{Arrivals, Choice, ClockTime, CrowdGroup, Demand, Distribution, Profile, RateStep, Scenario, Stay};

/// Length of a [`Profile::Peak`]'s steps, s.
pub const PEAK_STEP: f64 = 900.0;

/// Most crowd groups a demand may generate (classes × the sources of all modes).
pub const MAX_DEMAND_GROUPS: usize = 1000;

/// Most windows of an arrival profile.
pub const MAX_PROFILE_WINDOWS: usize = 500;

/// Largest attendance (before `scale`) and largest `scale`.
pub const MAX_ATTENDANCE: f64 = 1e8;

/// Longest span of a [`Profile::Peak`], s (two days).
pub const MAX_PEAK_SPAN: f64 = 172_800.0;

/// A profile as windows `(from, to, share)` with shares summing to 1 (clock times, s); empty
/// when it is unsound (the problems go to `ck`).
pub fn windows(ck: &mut Checker, label: &str, p: &Profile) -> Vec<(f64, f64, f64)> {
    let mut out = Vec::new();
    match p {
        Profile::Windows(ws) => {
            if ws.is_empty() || ws.len() > MAX_PROFILE_WINDOWS {
                ck.err(
                    Some("Windows".into()),
                    format!(
                        "{label}: a profile has 1 to {MAX_PROFILE_WINDOWS} windows, got {}",
                        ws.len()
                    ),
                );
                return out;
            }
            for w in ws {
                if !(w.from.0.is_finite() && w.to.0.is_finite() && w.from.0 < w.to.0) {
                    ck.err(
                        Some("from".into()),
                        format!(
                            "{label}: a window must end after it starts ({} to {})",
                            w.from.hms(),
                            w.to.hms()
                        ),
                    );
                    return Vec::new();
                }
                if !(w.share.is_finite() && w.share >= 0.0) {
                    ck.err(
                        Some("share".into()),
                        format!("{label}: a window's share must be 0 or more, got {}", w.share),
                    );
                    return Vec::new();
                }
                out.push((w.from.0, w.to.0, w.share));
            }
        }
        Profile::Peak { peak, spread, from, to } => {
            let (a, b) = (from.0, to.0);
            if !(a.is_finite() && b.is_finite() && a < b && b - a <= MAX_PEAK_SPAN) {
                ck.err(
                    Some("Peak".into()),
                    format!(
                        "{label}: a peak profile's `from` must come before its `to`, at most {} h later ({} to {})",
                        MAX_PEAK_SPAN / 3600.0,
                        from.hms(),
                        to.hms()
                    ),
                );
                return out;
            }
            if !(spread.is_finite() && *spread > 0.0 && peak.0.is_finite()) {
                ck.err(
                    Some("spread".into()),
                    format!("{label}: a peak profile's `spread` must be a positive number of seconds, got {spread}"),
                );
                return out;
            }
            // the normal density integrated over each step (Simpson's rule on 8 pieces)
            let pdf = |t: f64| (-0.5 * ((t - peak.0) / spread).powi(2)).exp();
            let mut t = a;
            while t < b {
                let e = (t + PEAK_STEP).min(b);
                let h = (e - t) / 8.0;
                let mut sum = pdf(t) + pdf(e);
                for k in 1..8 {
                    sum += pdf(t + h * k as f64) * if k % 2 == 1 { 4.0 } else { 2.0 };
                }
                out.push((t, e, sum * h / 3.0));
                t = e;
            }
        }
    }
    let total: f64 = out.iter().map(|w| w.2).sum();
    if !(total.is_finite() && total > 0.0) {
        ck.err(
            Some("profile".into()),
            format!("{label}: the profile's shares add up to nothing: nobody would arrive"),
        );
        return Vec::new();
    }
    for w in &mut out {
        w.2 /= total;
    }
    out
}

/// Most stays by arrival time in one list.
pub const MAX_STAYS: usize = 24;

/// One span of arrival times and how long those arriving in it stay.
struct Span<'a> {
    name: Option<&'a str>,
    from: f64,
    to: f64,
    dwell: Option<Distribution>,
    leave_at: Option<ClockTime>,
}

/// Checks a list of stays (`owner` says whose, for messages); `plain` is whether the same
/// level also gives `dwell` or `leave_at`, which a list of stays replaces.
fn check_stays(ck: &mut Checker, owner: &str, stays: &[Stay], plain: bool) {
    if stays.is_empty() {
        return;
    }
    if plain {
        ck.err(
            Some("stays".into()),
            format!("{owner}: give `stays` or `dwell`/`leave_at`, not both (each stay has its own)"),
        );
    }
    if stays.len() > MAX_STAYS {
        ck.err(
            Some("stays".into()),
            format!("{owner}: at most {MAX_STAYS} stays, got {}", stays.len()),
        );
        return;
    }
    let mut last = f64::NEG_INFINITY;
    for (i, st) in stays.iter().enumerate() {
        let ok_name = !st.name.is_empty()
            && st.name.len() <= 40
            && st
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !ok_name {
            ck.named(
                &st.name,
                format!(
                    "{owner}: a stay's name must be 1–40 letters, digits, '-' or '_', got \"{}\"",
                    st.name
                ),
            );
        }
        if stays[..i].iter().any(|x| x.name == st.name) {
            ck.named(&st.name, format!("{owner}: stay \"{}\" is given twice", st.name));
        }
        let lastone = i + 1 == stays.len();
        match st.before {
            None if !lastone => ck.named(
                &st.name,
                format!(
                    "{owner}: stay \"{}\" needs `before` (only the last stay takes everyone after the one before it)",
                    st.name
                ),
            ),
            Some(b) if lastone => ck.named(
                &st.name,
                format!(
                    "{owner}: the last stay \"{}\" takes everyone after the one before it: drop its `before` ({})",
                    st.name,
                    b.hms()
                ),
            ),
            Some(b) if !(b.0.is_finite() && b.0 > last) => ck.named(
                &st.name,
                format!(
                    "{owner}: stay \"{}\": `before` must come after the previous stay's, got {}",
                    st.name,
                    b.hms()
                ),
            ),
            Some(b) => last = b.0,
            None => {}
        }
        if let Some(dw) = &st.dwell {
            check_distribution(
                ck,
                &st.name,
                &format!("{owner}: stay \"{}\": dwell", st.name),
                dw,
                false,
            );
        }
    }
}

/// The spans of arrival time of a class and how long each stays: its own `stays`, else its
/// `dwell`/`leave_at` (each falling back to the demand's), else the demand's `stays`.
fn spans<'a>(d: &'a Demand, c: &'a super::model::VisitorClass) -> Vec<Span<'a>> {
    let list = if !c.stays.is_empty() {
        &c.stays[..]
    } else if c.dwell.is_none() && c.leave_at.is_none() {
        &d.stays[..]
    } else {
        &[]
    };
    if list.is_empty() {
        return vec![Span {
            name: None,
            from: f64::NEG_INFINITY,
            to: f64::INFINITY,
            dwell: c.dwell.clone().or_else(|| d.dwell.clone()),
            leave_at: c.leave_at.or(d.leave_at),
        }];
    }
    let mut from = f64::NEG_INFINITY;
    list.iter()
        .map(|st| {
            let to = st.before.map_or(f64::INFINITY, |b| b.0);
            let span = Span {
                name: Some(&st.name),
                from,
                to,
                dwell: st.dwell.clone(),
                leave_at: st.leave_at,
            };
            from = to;
            span
        })
        .collect()
}

/// The part of the windows `ws` within `[from, to)`, each share cut in proportion.
fn clip(ws: &[(f64, f64, f64)], from: f64, to: f64) -> Vec<(f64, f64, f64)> {
    ws.iter()
        .filter_map(|&(a, b, share)| {
            let (x, y) = (a.max(from), b.min(to));
            (y > x).then(|| (x, y, share * (y - x) / (b - a)))
        })
        .collect()
}

/// Relative shares normalised to sum 1 (after each is checked positive and finite).
fn normalised(xs: impl Iterator<Item = f64>) -> Vec<f64> {
    let v: Vec<f64> = xs.collect();
    let total: f64 = v.iter().sum();
    v.into_iter().map(|x| x / total).collect()
}

/// The crowd groups `sc`'s demand generates (none without one); problems go to `ck`.
pub fn expand(ck: &mut Checker, sc: &Scenario) -> Vec<CrowdGroup> {
    let Some(d) = &sc.demand else { return Vec::new() };
    let label = "demand";
    let n_stays = (d.classes.iter().map(|c| c.stays.len()))
        .chain([d.stays.len()])
        .max()
        .unwrap_or(0)
        .max(1);
    let n_groups = (d.classes.len().max(1))
        .saturating_mul(d.modes.iter().map(|m| m.sources.len()).sum())
        .saturating_mul(n_stays);
    if n_groups > MAX_DEMAND_GROUPS {
        ck.err(
            Some("demand".into()),
            format!(
                "{label}: classes × the sources of all modes × stays make {n_groups} crowd groups; the limit is {MAX_DEMAND_GROUPS}"
            ),
        );
        return Vec::new();
    }
    if !(d.attendance.is_finite() && d.attendance > 0.0 && d.attendance <= MAX_ATTENDANCE) {
        ck.err(
            Some("attendance".into()),
            format!(
                "{label}: attendance must be above 0 and at most {MAX_ATTENDANCE:e}, got {}",
                d.attendance
            ),
        );
    }
    if !(d.scale.is_finite() && d.scale >= 0.0 && d.scale <= 1000.0) {
        ck.err(
            Some("scale".into()),
            format!("{label}: scale must be 0 to 1000, got {}", d.scale),
        );
    }
    if d.modes.is_empty() {
        ck.err(
            Some("modes".into()),
            format!("{label}: give at least one mode of travel (`modes`)"),
        );
    }
    let pos = |x: f64| x.is_finite() && x > 0.0;
    let sources: Vec<&str> = sc.venue.sources.iter().map(|s| s.name.as_str()).collect();
    let targets: Vec<&str> = sc.venue.targets.iter().map(|s| s.name.as_str()).collect();
    for (i, m) in d.modes.iter().enumerate() {
        if d.modes[..i].iter().any(|x| x.name == m.name) {
            ck.named(&m.name, format!("{label}: mode \"{}\" is given twice", m.name));
        }
        if !pos(m.share) {
            ck.named(
                &m.name,
                format!("{label}: mode \"{}\": share must be above 0, got {}", m.name, m.share),
            );
        }
        if let Some(h) = m.every
            && !(h.is_finite() && h >= 1.0)
        {
            ck.named(
                &m.name,
                format!("{label}: mode \"{}\": `every` must be 1 s or more, got {h}", m.name),
            );
        }
        if m.sources.is_empty() {
            ck.named(
                &m.name,
                format!("{label}: mode \"{}\" lets nobody out: give its `sources`", m.name),
            );
        }
        for s in &m.sources {
            if !sources.contains(&s.source.as_str()) {
                ck.named(
                    &s.source,
                    format!(
                        "{label}: mode \"{}\": source \"{}\" is not defined; known sources: {}",
                        m.name,
                        s.source,
                        quote_list(sources.iter().copied())
                    ),
                );
            }
            if !pos(s.weight) {
                ck.named(
                    &s.source,
                    format!(
                        "{label}: mode \"{}\": source \"{}\": weight must be above 0, got {}",
                        m.name, s.source, s.weight
                    ),
                );
            }
            if let Some(x) = &s.exit
                && !targets.contains(&x.as_str())
            {
                ck.named(
                    x,
                    format!(
                        "{label}: mode \"{}\": exit \"{x}\" is not a target; known targets: {}",
                        m.name,
                        quote_list(targets.iter().copied())
                    ),
                );
            }
        }
    }
    for (i, c) in d.classes.iter().enumerate() {
        if d.classes[..i].iter().any(|x| x.name == c.name) {
            ck.named(&c.name, format!("{label}: class \"{}\" is given twice", c.name));
        }
        if !pos(c.share) {
            ck.named(
                &c.name,
                format!("{label}: class \"{}\": share must be above 0, got {}", c.name, c.share),
            );
        }
        if let Some(dw) = &c.dwell {
            check_distribution(
                ck,
                &format!("\"{}\"", c.name),
                &format!("{label}: class \"{}\": dwell", c.name),
                dw,
                false,
            );
        }
        check_stays(
            ck,
            &format!("{label}: class \"{}\"", c.name),
            &c.stays,
            c.dwell.is_some() || c.leave_at.is_some(),
        );
    }
    check_stays(ck, label, &d.stays, d.dwell.is_some() || d.leave_at.is_some());
    if d.destinations.is_empty() && (d.classes.is_empty() || d.classes.iter().any(|c| c.destinations.is_empty())) {
        ck.err(
            Some("destinations".into()),
            format!("{label}: give `destinations` (or each class its own)"),
        );
    }
    let base_windows = windows(ck, label, &d.profile);
    if !ck.is_clean() {
        return Vec::new();
    }
    // one class of everybody when none is given
    let everybody = [super::model::VisitorClass {
        name: "visitors".into(),
        share: 1.0,
        profile: None,
        destinations: Vec::new(),
        dwell: None,
        leave_at: None,
        stays: Vec::new(),
        exits: Vec::new(),
        screening_factor: 1.0,
    }];
    let classes = if d.classes.is_empty() {
        &everybody[..]
    } else {
        &d.classes[..]
    };
    let class_share = normalised(classes.iter().map(|c| c.share));
    let mode_share = normalised(d.modes.iter().map(|m| m.share));
    let total = d.attendance * d.scale;
    let mut out = Vec::new();
    for (c, cs) in classes.iter().zip(&class_share) {
        let ws = match &c.profile {
            Some(p) => windows(ck, &format!("{label}: class \"{}\"", c.name), p),
            None => base_windows.clone(),
        };
        for span in spans(d, c) {
            let ws = clip(&ws, span.from, span.to);
            for (m, ms) in d.modes.iter().zip(&mode_share) {
                let src_share = normalised(m.sources.iter().map(|s| s.weight));
                for (s, ss) in m.sources.iter().zip(&src_share) {
                    let persons = total * cs * ms * ss;
                    let steps: Vec<RateStep> = ws
                        .iter()
                        .filter(|w| w.2 > 0.0 && persons > 0.0)
                        .map(|&(from, to, share)| RateStep {
                            from: ClockTime(from),
                            to: ClockTime(to),
                            rate: persons * share / (to - from),
                        })
                        .collect();
                    if steps.is_empty() {
                        continue;
                    }
                    let exits = match &s.exit {
                        Some(x) => vec![Choice {
                            target: x.clone(),
                            weight: 1.0,
                        }],
                        None if !c.exits.is_empty() => c.exits.clone(),
                        None => d.exits.clone(),
                    };
                    let mut name = group_name(d, &c.name, &m.name, &s.source);
                    if let Some(st) = span.name {
                        name = format!("{name}.{st}");
                    }
                    out.push(CrowdGroup {
                        name,
                        source: s.source.clone(),
                        arrivals: match m.every {
                            Some(every) => Arrivals::Batches { every, rates: steps },
                            None => Arrivals::Rates(steps),
                        },
                        destinations: if c.destinations.is_empty() {
                            d.destinations.clone()
                        } else {
                            c.destinations.clone()
                        },
                        dwell: span.dwell.clone(),
                        leave_at: span.leave_at,
                        stand: false,
                        exits,
                        speed: d.speed.clone(),
                        radius: d.radius,
                        class: (!d.classes.is_empty()).then(|| c.name.clone()),
                        screening_factor: c.screening_factor,
                    });
                }
            }
        }
    }
    out
}

/// A generated group's name: the source (with its mode when several modes use it), and the
/// class when there are classes, joined by '.'.
pub fn group_name(d: &Demand, class: &str, mode: &str, source: &str) -> String {
    let shared = d
        .modes
        .iter()
        .filter(|m| m.sources.iter().any(|s| s.source == source))
        .count()
        > 1;
    let mut name = if shared {
        format!("{mode}.{source}")
    } else {
        source.to_string()
    };
    if !d.classes.is_empty() {
        name = format!("{name}.{class}");
    }
    name
}

/// Expected arrivals of the groups `groups` over clock time, per group and per clock hour
/// (`(hour start, persons)` for each hour with any).
pub fn per_hour(groups: &[CrowdGroup]) -> Vec<(String, Vec<(f64, f64)>)> {
    groups
        .iter()
        .map(|g| {
            let mut hours: Vec<(f64, f64)> = Vec::new();
            if let Arrivals::Rates(steps) | Arrivals::Batches { rates: steps, .. } = &g.arrivals {
                for st in steps {
                    let mut h = (st.from.0 / 3600.0).floor() * 3600.0;
                    while h < st.to.0 {
                        let n = st.rate * (st.to.0.min(h + 3600.0) - st.from.0.max(h)).max(0.0);
                        match hours.iter_mut().find(|x| x.0 == h) {
                            Some(x) => x.1 += n,
                            None => hours.push((h, n)),
                        }
                        h += 3600.0;
                    }
                }
            }
            hours.sort_by(|a, b| a.0.total_cmp(&b.0));
            (g.name.clone(), hours)
        })
        .collect()
}

/// What `sc`'s demand generates, in words for `cordon check`: expected visitors in all, per
/// clock hour, per source and per class (None without a demand or when it is unsound).
pub fn summary(sc: &Scenario) -> Option<String> {
    let d = sc.demand.as_ref()?;
    let mut ck = Checker::new(None);
    let groups = expand(&mut ck, sc);
    if !ck.is_clean() {
        return None;
    }
    let rows = per_hour(&groups);
    let n = |x: f64| thousands(x.round() as u64);
    let total: f64 = rows.iter().flat_map(|r| r.1.iter().map(|h| h.1)).sum();
    let mut hours: Vec<(f64, f64)> = Vec::new();
    for (_, hs) in &rows {
        for &(h, x) in hs {
            match hours.iter_mut().find(|y| y.0 == h) {
                Some(y) => y.1 += x,
                None => hours.push((h, x)),
            }
        }
    }
    hours.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut by_source: Vec<(String, f64)> = Vec::new();
    for (g, (_, hs)) in groups.iter().zip(&rows) {
        let x: f64 = hs.iter().map(|h| h.1).sum();
        match by_source.iter_mut().find(|y| y.0 == g.source) {
            Some(y) => y.1 += x,
            None => by_source.push((g.source.clone(), x)),
        }
    }
    let mut s = format!(
        "demand: {} visitors (attendance {} × scale {}) in {} generated groups",
        n(total),
        n(d.attendance),
        d.scale,
        groups.len()
    );
    s += "\n  by hour:   ";
    s += &hours
        .iter()
        .map(|(h, x)| format!("{} {}", super::model::ClockTime(*h).hms()[..5].to_string(), n(*x)))
        .collect::<Vec<_>>()
        .join(" | ");
    s += "\n  by source: ";
    s += &by_source
        .iter()
        .map(|(name, x)| format!("{name} {}", n(*x)))
        .collect::<Vec<_>>()
        .join(" | ");
    if !d.classes.is_empty() {
        let shares = normalised(d.classes.iter().map(|c| c.share));
        s += "\n  by class:  ";
        s += &d
            .classes
            .iter()
            .zip(shares)
            .map(|(c, x)| format!("{} {}", c.name, n(total * x)))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    Some(s)
}

/// 12345 → "12,345".
pub fn thousands(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

//! `report.html`: one self-contained page (figures embedded as data URIs) with the headline table,
//! the figures and the run's scenario, seed and settings. Readable in a browser with no server.

use super::Figure;
use crate::report::Report;
use crate::scenario::model::ClockTime;

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Standard base64 (RFC 4648, with padding), by the `base64` crate.
pub fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// One row of the headline table.
#[derive(Debug, Clone, PartialEq)]
pub struct Headline {
    /// What is measured.
    pub metric: String,
    /// The value with its unit.
    pub value: String,
    /// Where and when, or how it is defined.
    pub note: String,
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The headline figures of a report (rows for sections the run does not have are left out).
pub fn headlines(r: &Report, start_s: f64) -> Vec<Headline> {
    let clock = |t: f64| ClockTime(start_s + t).hms();
    let mut rows = Vec::new();
    let mut row = |metric: &str, value: String, note: String| {
        rows.push(Headline {
            metric: metric.into(),
            value,
            note,
        })
    };
    row(
        "Visitors",
        format!("{} entered", r.totals.spawned),
        format!(
            "{} left; peak {} present at {}",
            r.totals.exited,
            r.totals.peak_present,
            clock(r.totals.peak_present_t)
        ),
    );
    if let Some(s) = &r.security {
        let t = &s.time_to_enter_s;
        row(
            "Time to enter, p90",
            format!("{:.0} s ({:.1} min)", t.p90, t.p90 / 60.0),
            format!(
                "first queue to last ring passed; n = {}, p50 {:.0} s, max {:.0} s; {} over the {:.0} s limit{}",
                t.count,
                t.p50,
                t.max,
                s.over_wait_limit,
                s.wait_limit_s,
                s.share_over_wait_limit
                    .map_or(String::new(), |x| format!(" ({})", pct(x)))
            ),
        );
        if let Some(c) = s
            .checkpoints
            .iter()
            .max_by(|a, b| a.queue_max.cmp(&b.queue_max).then(b.name.cmp(&a.name)))
        {
            row(
                "Worst queue",
                format!("{} persons", c.queue_max),
                format!(
                    "{} at {}; its wait p90 {:.0} s",
                    c.name,
                    clock(c.queue_max_t),
                    c.wait_s.p90
                ),
            );
        }
        for it in &s.items {
            row(
                &format!("Interception ({})", it.item),
                it.interception_rate.map_or("n/a".into(), pct),
                format!(
                    "{} of {} carriers intercepted; {} undetected reached the innermost ring",
                    it.intercepted, it.carriers, it.undetected_reached_innermost
                ),
            );
        }
    }
    if let Some(v) = &r.vehicles {
        if let Some(c) = v.checkpoints.iter().max_by(|a, b| {
            a.queue_max_vehicles
                .cmp(&b.queue_max_vehicles)
                .then(b.name.cmp(&a.name))
        }) {
            row(
                "Worst vehicle queue",
                format!("{} vehicles, {:.0} m", c.queue_max_vehicles, c.queue_max_m),
                format!(
                    "{} at {}; its wait p90 {:.0} s; spilled back onto the roads before it for {:.0} s",
                    c.name,
                    clock(c.queue_max_t),
                    c.wait_s.p90,
                    c.spillback_s
                ),
            );
        }
        let (ins, back, taken) = v.checkpoints.iter().fold((0, 0, 0), |(a, b, c), k| {
            (a + k.inspected, b + k.turned_back, c + k.intercepted)
        });
        if !v.checkpoints.is_empty() {
            row(
                "Vehicles inspected",
                format!("{ins}"),
                format!("{back} turned back without a permit; {taken} taken aside with an item found"),
            );
        }
        for it in &v.items {
            row(
                &format!("Interception, vehicle and pedestrian rings ({})", it.item),
                it.interception_rate_all_rings.map_or("n/a".into(), pct),
                format!(
                    "{} carriers aboard vehicles, {} of them caught at vehicle rings",
                    it.carriers_aboard, it.intercepted_at_vehicle_rings
                ),
            );
        }
    }
    if let Some(resp) = &r.response {
        let o = &resp.overall;
        row(
            "Response time, p90",
            format!("{:.0} s", o.response_s.p90),
            format!(
                "{} incidents, {} answered; p50 {:.0} s, max {:.0} s",
                o.occurred, o.answered, o.response_s.p50, o.response_s.max
            ),
        );
        let within: Vec<String> = resp
            .thresholds_s
            .iter()
            .zip(&o.within)
            .map(|(t, w)| format!("{:.0} min: {}", t / 60.0, pct(*w)))
            .collect();
        row(
            "Response compliance",
            within.join(" · "),
            format!(
                "share of all incidents with a unit on scene within each threshold (one nobody reached is a miss); of the answered only: {}",
                resp.thresholds_s
                    .iter()
                    .zip(&o.within_answered)
                    .map(|(t, w)| format!("{:.0} min {}", t / 60.0, pct(*w)))
                    .collect::<Vec<_>>()
                    .join(" · ")
            ),
        );
        if let Some(cov) = &resp.coverage {
            let pick = cov
                .thresholds
                .iter()
                .find(|t| (t.threshold_s - 180.0).abs() < 1e-9)
                .or(cov.thresholds.get(cov.thresholds.len() / 2));
            if let Some(t) = pick {
                row(
                    &format!("Minimum coverage at {:.0} s", t.threshold_s),
                    format!("{} of the area", pct(t.area_min)),
                    format!(
                        "at {}; mean {}{}",
                        clock(t.area_min_t),
                        pct(t.area_mean),
                        match (t.crowd_min, t.crowd_min_t) {
                            (Some(c), Some(ct)) => format!("; crowd: minimum {} at {}", pct(c), clock(ct)),
                            _ => String::new(),
                        }
                    ),
                );
            }
        }
    }
    if let Some(z) = r.zones.iter().max_by(|a, b| a.peak_density.total_cmp(&b.peak_density)) {
        row(
            "Peak density",
            format!(
                "{:.2} persons/m² ({} LOS {})",
                z.peak_density,
                match z.peak_scale {
                    crate::metrics::Scale::Queueing => "queueing",
                    crate::metrics::Scale::Walkway => "walkway",
                },
                z.peak_los
            ),
            format!("{} at {} (densest cell of the zone)", z.name, clock(z.peak_t)),
        );
    }
    if let Some(z) = r
        .zones
        .iter()
        .max_by(|a, b| (a.los_s.e + a.los_s.f).total_cmp(&(b.los_s.e + b.los_s.f)))
    {
        row(
            "Time at LOS E/F",
            format!("{:.0} s", z.los_s.e + z.los_s.f),
            format!(
                "{} (the zone with the most); {} critical-density episodes above {} /m² in all",
                z.name, r.critical_density.episodes_total, r.critical_density.threshold
            ),
        );
    }
    rows
}

/// The pages' style sheet (one `<style>` element).
pub const STYLE: &str = "<style>\nbody{font-family:system-ui,sans-serif;margin:2em auto;max-width:1250px;color:#222;padding:0 1em}\n\
    table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.35em .7em;text-align:left;vertical-align:top}\n\
    th{background:#f0f0f0}td.v{font-weight:bold;white-space:nowrap}figure{margin:2em 0}img{max-width:100%;border:1px solid #ddd}\n\
    figcaption{color:#555;margin-top:.4em}.muted{color:#666}\n</style>\n";

/// The timeline's actions as they fired, as a table with HTML id `id` (names escaped).
pub fn timeline_table(id: &str, actions: &[crate::report::ActionReport]) -> String {
    let mut h = format!(
        "<table id=\"{}\">\n<tr><th>Time</th><th>Entry</th><th>What happened</th><th>Re-routed</th><th>Impact</th></tr>\n",
        escape(id)
    );
    for a in actions {
        h += &format!(
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>\n",
            escape(&a.at),
            a.entry,
            if a.undo { " (undone)" } else { "" },
            escape(&a.what),
            a.rerouted,
            a.reroute_s
                .map_or(String::new(), |s| format!(" (all chose again within {s} s)")),
            escape(&a.impact_words())
        );
    }
    h + "</table>\n"
}

/// The visitor classes' time to enter and those turned away, as a table (names escaped); empty
/// without classes.
pub fn classes_table(r: &Report) -> String {
    let Some(sec) = r.security.as_ref().filter(|s| !s.classes.is_empty()) else {
        return String::new();
    };
    let items = !sec.items.is_empty();
    let mut h = String::from(
        "<h2>Visitor classes</h2>\n<table id=\"classes\">\n<tr><th>Class</th><th>Entered</th>\
         <th>Time to enter p50 / p90 / max</th><th>Turned away</th><th>Queue wait p50 / p90</th>",
    );
    if items {
        h += "<th>Carriers intercepted / reached the innermost ring undetected / all</th>";
    }
    h += "</tr>\n";
    let dash = || "—".to_string();
    for c in &sec.classes {
        let (t, w) = (&c.time_to_enter_s, &c.wait_s);
        h += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&c.class),
            c.entered,
            if t.count > 0 {
                format!("{:.0} / {:.0} / {:.0} s", t.p50, t.p90, t.max)
            } else {
                dash()
            },
            c.turned_away,
            if w.count > 0 {
                format!("{:.0} / {:.0} s", w.p50, w.p90)
            } else {
                dash()
            },
        );
        if items {
            let cell: Vec<String> = (c.items.iter())
                .map(|i| {
                    format!(
                        "{}: {} / {} / {}",
                        escape(&i.item),
                        i.intercepted,
                        i.undetected_reached_innermost,
                        i.carriers
                    )
                })
                .collect();
            h += &format!("<td>{}</td>", cell.join("<br>"));
        }
        h += "</tr>\n";
    }
    h + "</table>\n"
}

/// The vehicle checkpoints and destinations, as tables (names escaped); empty without vehicles.
pub fn vehicles_table(r: &Report) -> String {
    let Some(v) = r.vehicles.as_ref() else {
        return String::new();
    };
    let mut h = String::from(
        "<h2>Vehicles</h2>\n<table id=\"vehicle-checkpoints\">\n<tr><th>Vehicle checkpoint</th><th>Ring</th>\
         <th>Booths</th><th>Inspected</th><th>Turned back</th><th>Taken aside</th><th>Wait p50 / p90</th>\
         <th>Longest queue</th><th>Spillback</th><th>Booths busy</th></tr>\n",
    );
    for c in &v.checkpoints {
        h += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0} / {:.0} s</td>\
             <td>{} vehicles, {:.0} m</td><td>{:.0} s</td><td>{}</td></tr>\n",
            escape(&c.name),
            escape(&c.ring),
            c.lanes,
            c.inspected,
            c.turned_back,
            c.intercepted,
            c.wait_s.p50,
            c.wait_s.p90,
            c.queue_max_vehicles,
            c.queue_max_m,
            c.spillback_s,
            pct(c.booth_utilisation)
        );
    }
    h += "</table>\n<table id=\"vehicle-destinations\">\n<tr><th>Destination</th><th>Kind</th><th>Capacity</th>\
          <th>Vehicles</th><th>Persons out</th><th>Most at once</th><th>Wait for a bay p90</th></tr>\n";
    for d in &v.destinations {
        h += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0} s</td></tr>\n",
            escape(&d.name),
            escape(&d.kind),
            d.capacity,
            d.arrived,
            d.released,
            d.occupancy_max,
            d.wait_s.p90
        );
    }
    h += "</table>\n";
    if !v.crossings.is_empty() {
        h += "<table id=\"crossings\">\n<tr><th>Crossing</th><th>Road node</th><th>Control</th><th>Walkers crossed</th>\
              <th>Kerb wait p50 / p90</th><th>Most at the kerb</th><th>Vehicles' share</th>\
              <th>Caught on the road</th></tr>\n";
        for c in &v.crossings {
            h += &format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.0} / {:.0} s</td><td>{}</td><td>{}</td><td>{:.0} walker-s</td></tr>\n",
                escape(&c.name),
                escape(&c.node),
                c.control,
                c.crossed,
                c.kerb_wait_s.p50,
                c.kerb_wait_s.p90,
                c.kerb_max_walkers,
                pct(c.vehicle_share),
                c.caught_on_carriageway_s
            );
        }
        h += "</table>\n";
    }
    h
}

/// The whole page. `settings` are extra (name, value) lines about the run (file, threads, ...).
pub fn page(r: &Report, start_s: f64, description: &str, settings: &[(String, String)], figures: &[Figure]) -> String {
    let mut h = String::new();
    let title = format!("Cordon report: {}", r.run.scenario);
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += &format!("<title>{}</title>\n", escape(&title));
    h += STYLE;
    h += "</head>\n<body>\n";
    h += &format!("<h1>{}</h1>\n", escape(&title));
    if !description.is_empty() {
        h += &format!("<p>{}</p>\n", escape(description));
    }
    h += &format!(
        "<p class=\"muted\">Seed {} · {} → {} · dt {} s · {} steps · {} s simulated · ended by {}</p>\n",
        r.run.seed,
        escape(&r.run.start),
        escape(&r.run.end),
        r.run.dt,
        r.run.steps,
        r.run.simulated_s,
        escape(&r.run.ended_by)
    );
    h += "<h2>Headline</h2>\n<table id=\"headline\">\n<tr><th>Metric</th><th>Value</th><th>Detail</th></tr>\n";
    for row in headlines(r, start_s) {
        h += &format!(
            "<tr><td>{}</td><td class=\"v\">{}</td><td>{}</td></tr>\n",
            escape(&row.metric),
            escape(&row.value),
            escape(&row.note)
        );
    }
    h += "</table>\n";
    if !r.timeline.is_empty() {
        h += "<h2>Timeline</h2>\n";
        h += &timeline_table("timeline", &r.timeline);
    }
    h += &classes_table(r);
    h += &vehicles_table(r);
    h += "<h2>Figures</h2>\n";
    for f in figures {
        h += &format!(
            "<figure id=\"{}\">\n<h3>{}</h3>\n<img alt=\"{}\" src=\"data:image/png;base64,{}\">\n<figcaption>{} (also <a href=\"{}\">{}</a>)</figcaption>\n</figure>\n",
            escape(f.file.trim_end_matches(".png")),
            escape(&f.title),
            escape(&f.title),
            base64(&f.png),
            escape(&f.caption),
            escape(&f.file),
            escape(&f.file)
        );
    }
    h += "<h2>Run settings</h2>\n<table id=\"settings\">\n";
    let mut all: Vec<(String, String)> = vec![
        ("scenario".into(), r.run.scenario.clone()),
        ("seed".into(), r.run.seed.to_string()),
        ("step dt".into(), format!("{} s", r.run.dt)),
        ("clock".into(), format!("{} → {}", r.run.start, r.run.end)),
    ];
    all.extend(settings.iter().cloned());
    for (k, v) in all {
        h += &format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(&k), escape(&v));
    }
    h += "</table>\n<p class=\"muted\">Every number on this page comes from the simulation run; the full record is in report.json and timeseries.csv beside this file.</p>\n</body>\n</html>\n";
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}

//! What `cordon optimize` writes besides the plan: the comparison of the plans (Markdown and a
//! self-contained HTML page) and the coverage maps before and after.

use super::{Outcome, candidates};
use crate::batch;
use crate::build::Validated;
use crate::error::{CordonError, Result};
use crate::figures::html::{STYLE, base64, escape};
use crate::responders::coverage::Coverage;
use crate::scenario::model::Scenario;

/// Per coverage cell, the time (s) from the nearest responder group of a plan at its emergency
/// speed: from its post, or for a patrol the mean over the points of its route or beat.
pub fn plan_times(v: &Validated, cov: &mut Coverage, sc: &Scenario) -> Vec<f32> {
    let (g, _) = cov.times();
    let n = g.nx * g.ny;
    let mut best = vec![f32::INFINITY; n];
    for r in &sc.responders {
        let pts = candidates::samples_of(v, cov, &r.deployment);
        if pts.is_empty() {
            continue;
        }
        let speed = r.emergency_speed.unwrap_or(r.speed).max(1e-6) as f32;
        let mut mean = vec![0.0f32; n];
        for &p in &pts {
            for (m, d) in mean.iter_mut().zip(cov.distances_from(&[p])) {
                *m += d / speed / pts.len() as f32;
            }
        }
        for (b, m) in best.iter_mut().zip(mean) {
            *b = b.min(m);
        }
    }
    best
}

/// Two coverage maps side by side (input plan, optimised plan): time from the nearest post per
/// cell, ≤ 60 s dark green, ≤ 180 s light green, ≤ 300 s amber, beyond red; walls grey.
pub fn coverage_maps_png(cov: &Coverage, before: &[f32], after: &[f32]) -> Result<Vec<u8>> {
    let (g, _) = cov.times();
    let scale = (600 / g.nx.max(1)).clamp(1, 8);
    let (pw, ph) = (g.nx * scale, g.ny * scale);
    let gap = 10;
    let (w, h) = (2 * pw + gap, ph);
    let mut buf = vec![255u8; w * h * 3];
    for (panel, times) in [before, after].iter().enumerate() {
        for y in 0..g.ny {
            for x in 0..g.nx {
                let i = y * g.nx + x;
                let c: [u8; 3] = if g.blocked[i] {
                    [150, 150, 150]
                } else {
                    match times[i] {
                        t if t <= 60.0 => [26, 152, 80],
                        t if t <= 180.0 => [145, 207, 96],
                        t if t <= 300.0 => [253, 174, 97],
                        _ => [215, 48, 39],
                    }
                };
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (px, py) = (panel * (pw + gap) + x * scale + dx, (g.ny - 1 - y) * scale + dy);
                        let o = (py * w + px) * 3;
                        buf[o..o + 3].copy_from_slice(&c);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc
            .write_header()
            .map_err(|e| CordonError::Batch(format!("coverage map: {e}")))?;
        wr.write_image_data(&buf)
            .map_err(|e| CordonError::Batch(format!("coverage map: {e}")))?;
    }
    Ok(out)
}

/// The comparison as a table: the plans' names, then per row a label and one cell per plan
/// (mean [95% CI]); the objective first, then the headline metrics any plan has.
pub fn comparison_rows(o: &Outcome) -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let names = o.plans.iter().map(|p| p.plan.name.clone()).collect();
    let mut rows = vec![(
        "objective".to_string(),
        o.plans
            .iter()
            .map(|p| batch::output::summary_cell(&p.summary))
            .collect(),
    )];
    let lists: Vec<&[batch::output::MetricSummary]> = o.plans.iter().map(|p| p.headlines.as_slice()).collect();
    rows.extend(batch::output::headline_rows(&lists));
    (names, rows)
}

/// The comparison table (Markdown): each plan's objective and headline means with 95% CIs.
pub fn comparison_md(o: &Outcome) -> String {
    let (names, rows) = comparison_rows(o);
    let mut s = format!(
        "# Plan optimisation\n\nObjective (simulated): {} ({} is better). Chosen: **{}**.\n\n",
        o.metric,
        if o.higher_is_better { "higher" } else { "lower" },
        o.plans[o.chosen].plan.name
    );
    s += &format!("| | {} |\n|---|{}\n", names.join(" | "), "---|".repeat(names.len()));
    for (i, (label, cells)) in rows.iter().enumerate() {
        let label = if i == 0 { format!("**{label}**") } else { label.clone() };
        s += &format!("| {label} | {} |\n", cells.join(" | "));
    }
    s += "\nChanges of each plan against the input:\n\n";
    for p in &o.plans[1..] {
        s += &format!("- {}: {}\n", p.plan.name, changes_text(&p.plan.changes));
    }
    s
}

fn changes_text(changes: &[(String, serde_json::Value)]) -> String {
    changes
        .iter()
        .map(|(k, v)| format!("`{k} = {v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The comparison as one self-contained HTML page: the table, each plan's changes and the
/// coverage maps (embedded), with the run settings.
pub fn comparison_html(o: &Outcome, settings: &[(String, String)], maps: Option<&[u8]>) -> String {
    let (names, rows) = comparison_rows(o);
    let title = format!("Cordon plan optimisation: {}", o.scenario);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n{STYLE}</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    h += &format!(
        "<p>Objective (simulated): {} ({} is better). Chosen: <b>{}</b>. Each plan ran the same seeds (common random numbers); cells give the mean and its 95% confidence interval.</p>\n",
        escape(&o.metric),
        if o.higher_is_better { "higher" } else { "lower" },
        escape(&o.plans[o.chosen].plan.name)
    );
    h += "<table id=\"comparison\">\n<tr><th></th>";
    for (i, n) in names.iter().enumerate() {
        let mark = if i == o.chosen { " (chosen)" } else { "" };
        h += &format!("<th>{}{mark}</th>", escape(n));
    }
    h += "</tr>\n";
    for (label, cells) in &rows {
        h += &format!("<tr><td>{}</td>", escape(label));
        for c in cells {
            h += &format!("<td class=\"v\">{}</td>", escape(c));
        }
        h += "</tr>\n";
    }
    h += "</table>\n<h2>Changes against the input plan</h2>\n<ul>\n";
    for p in &o.plans[1..] {
        h += &format!(
            "<li><b>{}</b> (surrogate score {:.4}): {}</li>\n",
            escape(&p.plan.name),
            p.plan.surrogate,
            escape(&changes_text(&p.plan.changes))
        );
    }
    if o.plans.len() == 1 {
        h += "<li>The surrogate found no plan better than the input.</li>\n";
    }
    h += "</ul>\n";
    if let Some(png) = maps {
        h += &format!(
            "<figure id=\"coverage_before_after\">\n<h3>Coverage before and after</h3>\n<img alt=\"coverage before and after\" src=\"data:image/png;base64,{}\">\n<figcaption>Time from the nearest unit per cell (a patrol: the mean over its route or beat), input plan left, chosen plan right: dark green ≤ 60 s, light green ≤ 180 s, amber ≤ 300 s, red beyond, grey walls (also <a href=\"coverage_before_after.png\">coverage_before_after.png</a>)</figcaption>\n</figure>\n",
            base64(png)
        );
    }
    h += "<h2>Settings</h2>\n<table id=\"settings\">\n";
    for (k, v) in settings {
        h += &format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(k), escape(v));
    }
    h += "</table>\n<p class=\"muted\">Every number on this page comes from the verification runs; the full record is in optimize.json beside this file.</p>\n</body>\n</html>\n";
    h
}

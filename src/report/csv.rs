//! `timeseries.csv`: one row per series sample (every `metrics.series_interval`): headcounts,
//! each zone's mean density, each hall's occupancy, each checkpoint's queue, each vehicle checkpoint's queue and destination's vehicles, coverage at each threshold (latest sample)
//! and open incidents — all read from the finished [`Report`].

use super::Report;

/// The CSV text.
pub fn timeseries(r: &Report) -> String {
    let mut head: Vec<String> = [
        "t_s",
        "clock",
        "spawned",
        "present",
        "walking",
        "dwelling",
        "queued",
        "exited",
        "waiting_at_source",
        "waiting_at_halls",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for z in &r.zones {
        head.push(format!("density_{}", z.name));
    }
    for h in &r.halls {
        head.push(format!("occupancy_{}", h.name));
    }
    let cps = r.security.as_ref().map_or(&[][..], |s| &s.checkpoints[..]);
    for c in cps {
        head.push(format!("queue_{}", c.name));
    }
    let vcps = r.vehicles.as_ref().map_or(&[][..], |v| &v.checkpoints[..]);
    for c in vcps {
        head.push(format!("vehicle_queue_{}", c.name));
    }
    let vdest = r.vehicles.as_ref().map_or(&[][..], |v| &v.destinations[..]);
    for d in vdest {
        head.push(format!("vehicles_at_{}", d.name));
    }
    let resp = r.response.as_ref();
    let cov = resp.and_then(|x| x.coverage.as_ref());
    if let Some(c) = cov {
        for th in &c.thresholds {
            head.push(format!("area_coverage_{}s", th.threshold_s));
            head.push(format!("crowd_coverage_{}s", th.threshold_s));
        }
    }
    if resp.is_some() {
        head.push("open_incidents".into());
    }
    let mut rows = vec![head];
    for (i, row) in r.series.iter().enumerate() {
        let mut cells: Vec<String> = vec![
            row.t.to_string(),
            row.clock.clone(),
            row.spawned.to_string(),
            row.present.to_string(),
            row.walking.to_string(),
            row.dwelling.to_string(),
            row.queued.to_string(),
            row.exited.to_string(),
            row.waiting.to_string(),
            row.held.to_string(),
        ];
        cells.extend(row.zone_density.iter().map(|d| d.to_string()));
        for h in &r.halls {
            cells.push(h.occupancy_series.get(i).map_or(String::new(), |n| n.to_string()));
        }
        for c in cps {
            cells.push(c.queue_series.get(i).map_or(String::new(), |q| q.to_string()));
        }
        for c in vcps {
            cells.push(c.queue_series.get(i).map_or(String::new(), |q| q.to_string()));
        }
        for d in vdest {
            cells.push(d.occupancy_series.get(i).map_or(String::new(), |q| q.to_string()));
        }
        if let Some(c) = cov {
            let latest = c.samples.iter().take_while(|s| s.t <= row.t + 1e-9).last();
            for k in 0..c.thresholds.len() {
                cells.push(latest.map_or(String::new(), |s| s.area[k].to_string()));
                cells.push(latest.and_then(|s| s.crowd[k]).map_or(String::new(), |x| x.to_string()));
            }
        }
        if let Some(rs) = resp {
            let open = rs
                .incidents
                .iter()
                .filter(|x| x.occurred <= row.t && x.resolved.is_none_or(|e| e > row.t))
                .count();
            cells.push(open.to_string());
        }
        rows.push(cells);
    }
    crate::output::csv(rows)
}

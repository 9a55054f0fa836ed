//! Metrics plugin: samples the crowd after every move (counts over time, density on square cells,
//! per-zone peak and mean density, Fruin level of service, critical-density episodes) and turns
//! everything into the [`report::Report`] at the end of a run.

pub mod build;
pub mod stats;

use crate::crowd::{Agent, ArrivalQueue, CrowdCounters, Dwelling, Position, Standing, Walking};
use crate::scenario::model::MetricsSettings;
use crate::schedule::{SimClock, SimStep, SimSystems};
use crate::venue::Venue;
use crate::venue::geometry::fill_polygon;
use bevy::prelude::*;
use serde::Serialize;

/// Fruin walkway levels of service by area per person (m²): A ≥ 3.25, B ≥ 2.32, C ≥ 1.39,
/// D ≥ 0.93, E ≥ 0.46, F below.
pub const FRUIN_WALKWAY: [f64; 5] = [3.25, 2.32, 1.39, 0.93, 0.46];

/// Fruin queueing levels of service by area per person (m²): A ≥ 1.21, B ≥ 0.93, C ≥ 0.65,
/// D ≥ 0.28, E ≥ 0.19, F below (Fruin's 13, 10, 7, 3 and 2 ft²): people standing in a queue or
/// a holding area, where 0.6 m between them (0.36 m² each) is an orderly queue, not a crush.
pub const FRUIN_QUEUEING: [f64; 5] = [1.21, 0.93, 0.65, 0.28, 0.19];

/// Level index 0 (A) … 5 (F) on Fruin's walkway scale for a density in persons/m².
pub fn fruin_level(density: f64) -> usize {
    Scale::Walkway.level(density)
}

/// Which of Fruin's scales judges an area: people walking, or people standing in a queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Walkways, plazas, corridors.
    #[default]
    Walkway,
    /// Queueing pens and holding areas.
    Queueing,
}

impl Scale {
    /// Level index 0 (A) … 5 (F) for a density in persons/m².
    pub fn level(self, density: f64) -> usize {
        if density <= 0.0 {
            return 0;
        }
        let area = 1.0 / density;
        let bounds = match self {
            Scale::Walkway => &FRUIN_WALKWAY,
            Scale::Queueing => &FRUIN_QUEUEING,
        };
        bounds.iter().position(|&a| area >= a).unwrap_or(5)
    }
}

/// One row of the time series.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeriesRow {
    /// Seconds after the start.
    pub t: f64,
    /// Clock time.
    pub clock: String,
    /// Agents that entered so far.
    pub spawned: u64,
    /// Agents in the venue (walking + staying + queued + waiting outside full halls).
    pub present: u64,
    /// Agents in the walking crowd.
    pub walking: u64,
    /// Agents staying inside a destination.
    pub dwelling: u64,
    /// Agents in a checkpoint queue or lane.
    pub queued: u64,
    /// Agents waiting outside a full hall.
    pub held: u64,
    /// Agents that left.
    pub exited: u64,
    /// Persons due but not yet placed at a full source.
    pub waiting: u64,
    /// Mean density of each zone at the latest density sample, persons/m² (zone order).
    pub zone_density: Vec<f64>,
}

/// Per-zone accumulators.
#[derive(Debug, Clone, Default)]
pub struct ZoneAcc {
    /// Walkable area of the zone's density cells, m².
    pub area: f64,
    /// Highest cell density seen, persons/m².
    pub peak: f64,
    /// When it was seen.
    pub peak_t: f64,
    /// Sum over samples of the zone's mean density.
    pub density_sum: f64,
    /// Samples taken.
    pub samples: u64,
    /// Seconds at each Fruin level: at each sample, the worst level of the zone's cells, each on
    /// its own scale (a queue cell on the queueing scale, the others on the walkway scale).
    pub los: [f64; 6],
    /// Fruin scale of the cell that gave `peak` (a pen's or holding area's cells are judged
    /// as a queue, the others as a walkway).
    pub peak_scale: Scale,
    /// Density cells of the zone, and how many of them are queueing cells.
    pub cells: (u32, u32),
    /// Seconds with at least one cell above the critical density.
    pub critical_s: f64,
    count_now: u64,
    peak_now: f64,
    peak_now_scale: Scale,
    level_now: usize,
}

impl ZoneAcc {
    /// The densest of the zone's cells at the last density sample, persons/m².
    pub fn peak_now(&self) -> f64 {
        self.peak_now
    }
}

/// A stretch of time during which a density cell stayed above the critical density.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Episode {
    /// Cell centre x, m.
    pub x: f64,
    /// Cell centre y, m.
    pub y: f64,
    /// Zones containing the cell.
    pub zones: Vec<String>,
    /// First sample above, s after the start.
    pub start_s: f64,
    /// Last sample above, s after the start.
    pub end_s: f64,
    /// Seconds above (samples × interval).
    pub duration_s: f64,
    /// Highest density in the episode, persons/m².
    pub peak_density: f64,
}

/// All metric state of a run.
#[derive(Resource, Debug)]
pub struct Metrics {
    /// Settings from the scenario.
    pub settings: MetricsSettings,
    /// Time series.
    pub series: Vec<SeriesRow>,
    /// Density raster origin.
    origin: Vec2,
    dnx: usize,
    dny: usize,
    /// Walkable area per density cell, m².
    cell_area: Vec<f64>,
    counts: Vec<u32>,
    /// Highest density seen per cell, persons/m².
    cell_peak: Vec<f32>,
    /// Per cell: people stand in a queue there (judged on Fruin's queueing scale).
    queue_cell: Vec<bool>,
    touched: Vec<usize>,
    cell_zone_start: Vec<u32>,
    cell_zone_items: Vec<u16>,
    /// Per-zone accumulators (same order as the venue's zones).
    pub zones: Vec<ZoneAcc>,
    open: Vec<Option<(f64, f64, f64, f64)>>,
    open_cells: Vec<usize>,
    /// Finished critical-density episodes.
    pub episodes: Vec<Episode>,
    /// Highest number present and when.
    pub peak_present: (u64, f64),
    zone_names: Vec<String>,
}

impl Metrics {
    /// The densest density cell so far: its highest density, persons/m², and its centre.
    pub fn densest_cell(&self) -> (f32, Vec2) {
        let dc = self.settings.density_cell as f32;
        let (i, peak) = self
            .cell_peak
            .iter()
            .enumerate()
            .fold((0, 0.0f32), |m, (i, &p)| if p > m.1 { (i, p) } else { m });
        let (x, y) = (i % self.dnx.max(1), i / self.dnx.max(1));
        (
            peak,
            self.origin + Vec2::new((x as f32 + 0.5) * dc, (y as f32 + 0.5) * dc),
        )
    }

    /// Prepares density cells and their zone membership.
    pub fn new(settings: MetricsSettings, venue: &Venue) -> Metrics {
        let dc = settings.density_cell as f32;
        let dnx = (((venue.max.x - venue.min.x) / dc).ceil() as usize).max(1);
        let dny = (((venue.max.y - venue.min.y) / dc).ceil() as usize).max(1);
        let g = &venue.grid;
        let mut cell_area = vec![0.0f64; dnx * dny];
        let a = f64::from(g.h) * f64::from(g.h);
        // floor: the free cells, and the cells the raster blocks only because a wall line runs
        // through them (people stand up to a wall: a thin wall takes no floor, while its raster
        // takes a cell's width, which on a 1 m raster made a 2 m density cell along a ring count
        // half its floor and a crowd there twice as dense); not the cells inside obstacles
        let mut solid = vec![false; g.nx * g.ny];
        for poly in &venue.obstacles {
            for i in g.cells_inside(poly) {
                solid[i] = true;
            }
        }
        let floor = |x: usize, y: usize| -> bool {
            let i = y * g.nx + x;
            if !g.blocked[i] {
                return true;
            }
            if solid[i] {
                return false;
            }
            // a wall line's cell: next to free floor
            (x > 0 && !g.blocked[i - 1])
                || (x + 1 < g.nx && !g.blocked[i + 1])
                || (y > 0 && !g.blocked[i - g.nx])
                || (y + 1 < g.ny && !g.blocked[i + g.nx])
        };
        for y in 0..g.ny {
            for x in 0..g.nx {
                if floor(x, y) {
                    let c = g.center(x, y);
                    let dx = (((c.x - venue.min.x) / dc) as usize).min(dnx - 1);
                    let dy = (((c.y - venue.min.y) / dc) as usize).min(dny - 1);
                    cell_area[dy * dnx + dx] += a;
                }
            }
        }
        let mut lists: Vec<Vec<u16>> = vec![Vec::new(); dnx * dny];
        let mut zones = vec![ZoneAcc::default(); venue.zones.len()];
        // the cells where people queue: their centre lies in a checkpoint's pen or holding area
        let mut queue_cell = vec![false; dnx * dny];
        for cp in &venue.security.checkpoints {
            let (lo, hi) = match &cp.pen {
                crate::venue::Shape::Polygon(_, lo, hi) => (*lo, *hi),
                other => {
                    let c = other.center();
                    (c - Vec2::splat(50.0), c + Vec2::splat(50.0))
                }
            };
            let x0 = (((lo.x - venue.min.x) / dc).floor().max(0.0) as usize).min(dnx - 1);
            let y0 = (((lo.y - venue.min.y) / dc).floor().max(0.0) as usize).min(dny - 1);
            let x1 = (((hi.x - venue.min.x) / dc).floor().max(0.0) as usize).min(dnx - 1);
            let y1 = (((hi.y - venue.min.y) / dc).floor().max(0.0) as usize).min(dny - 1);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let c = venue.min + Vec2::new((x as f32 + 0.5) * dc, (y as f32 + 0.5) * dc);
                    if cp.pen.contains(c) {
                        queue_cell[y * dnx + x] = true;
                    }
                }
            }
        }
        for (zi, z) in venue.zones.iter().enumerate() {
            let lo = z.polygon.iter().fold(Vec2::splat(f32::MAX), |m, p| m.min(*p));
            let hi = z.polygon.iter().fold(Vec2::splat(f32::MIN), |m, p| m.max(*p));
            let x0 = (((lo.x - venue.min.x) / dc).floor().max(0.0) as usize).min(dnx - 1);
            let y0 = (((lo.y - venue.min.y) / dc).floor().max(0.0) as usize).min(dny - 1);
            let x1 = (((hi.x - venue.min.x) / dc).floor().max(0.0) as usize).min(dnx - 1);
            let y1 = (((hi.y - venue.min.y) / dc).floor().max(0.0) as usize).min(dny - 1);
            let mut any = false;
            let center = |x: usize, y: usize| venue.min + Vec2::new((x as f32 + 0.5) * dc, (y as f32 + 0.5) * dc);
            let mut inside = Vec::new();
            fill_polygon(&z.polygon, x0..=x1, y0..=y1, center, |x, y| inside.push(y * dnx + x));
            // in row-major order, as the cells were visited before (areas add up in this order)
            inside.sort_unstable();
            for &i in &inside {
                lists[i].push(zi as u16);
                zones[zi].area += cell_area[i];
                zones[zi].cells.0 += 1;
                zones[zi].cells.1 += u32::from(queue_cell[i]);
                any = true;
            }
            if !any {
                // a zone smaller than a cell: use the cell of its first vertex
                let c = z.polygon[0];
                let x = (((c.x - venue.min.x) / dc).max(0.0) as usize).min(dnx - 1);
                let y = (((c.y - venue.min.y) / dc).max(0.0) as usize).min(dny - 1);
                lists[y * dnx + x].push(zi as u16);
                zones[zi].area += cell_area[y * dnx + x];
                zones[zi].cells.0 += 1;
                zones[zi].cells.1 += u32::from(queue_cell[y * dnx + x]);
            }
        }
        let mut cell_zone_start = Vec::with_capacity(dnx * dny + 1);
        let mut cell_zone_items = Vec::new();
        cell_zone_start.push(0);
        for l in &lists {
            cell_zone_items.extend_from_slice(l);
            cell_zone_start.push(cell_zone_items.len() as u32);
        }
        Metrics {
            settings,
            series: Vec::new(),
            origin: venue.min,
            dnx,
            dny,
            cell_area,
            counts: vec![0; dnx * dny],
            cell_peak: vec![0.0; dnx * dny],
            queue_cell,
            touched: Vec::new(),
            cell_zone_start,
            cell_zone_items,
            zones,
            open: vec![None; dnx * dny],
            open_cells: Vec::new(),
            episodes: Vec::new(),
            peak_present: (0, 0.0),
            zone_names: venue.zones.iter().map(|z| z.name.clone()).collect(),
        }
    }

    /// The peak-density raster: origin, cell size, columns, rows and the highest density seen per
    /// Per density cell (as in [`Self::peak_raster`]): whether people queue there (a pen or a
    /// holding area), so that it is judged on Fruin's queueing scale.
    pub fn queue_cells(&self) -> &[bool] {
        &self.queue_cell
    }

    /// cell (cells with less than 0.5 m² of walkable area are left at 0).
    pub fn peak_raster(&self) -> (Vec2, f32, usize, usize, &[f32]) {
        (
            self.origin,
            self.settings.density_cell as f32,
            self.dnx,
            self.dny,
            &self.cell_peak,
        )
    }

    /// The density raster's origin, cell size, columns and rows.
    pub fn raster(&self) -> (Vec2, f32, usize, usize) {
        (self.origin, self.settings.density_cell as f32, self.dnx, self.dny)
    }

    /// Density (persons/m² of walkable area) per raster cell for the given positions, the way the
    /// samples count it, without touching the run's records (for a live display).
    pub fn density_of(&self, positions: impl Iterator<Item = Vec2>) -> Vec<f32> {
        let dc = self.settings.density_cell as f32;
        let mut counts = vec![0u32; self.dnx * self.dny];
        for p in positions {
            let x = (((p.x - self.origin.x) / dc).max(0.0) as usize).min(self.dnx - 1);
            let y = (((p.y - self.origin.y) / dc).max(0.0) as usize).min(self.dny - 1);
            counts[y * self.dnx + x] += 1;
        }
        counts
            .iter()
            .zip(&self.cell_area)
            .map(|(&n, &a)| {
                if n == 0 {
                    0.0
                } else {
                    (f64::from(n) / a.max(0.5)) as f32
                }
            })
            .collect()
    }

    fn cell_center(&self, c: usize) -> Vec2 {
        let dc = self.settings.density_cell as f32;
        self.origin + Vec2::new(((c % self.dnx) as f32 + 0.5) * dc, ((c / self.dnx) as f32 + 0.5) * dc)
    }

    fn zones_of(&self, c: usize) -> &[u16] {
        &self.cell_zone_items[self.cell_zone_start[c] as usize..self.cell_zone_start[c + 1] as usize]
    }

    /// Density (persons/m²) of the cell containing `p` at the last sample.
    pub fn density_at(&self, p: Vec2) -> f64 {
        let dc = self.settings.density_cell as f32;
        let x = (((p.x - self.origin.x) / dc).max(0.0) as usize).min(self.dnx - 1);
        let y = (((p.y - self.origin.y) / dc).max(0.0) as usize).min(self.dny - 1);
        self.density(y * self.dnx + x)
    }

    fn density(&self, c: usize) -> f64 {
        f64::from(self.counts[c]) / self.cell_area[c].max(0.5)
    }

    /// One density sample at time `t` from the walking agents' positions.
    /// `interval` is the time this sample stands for, s.
    pub fn sample_density(&mut self, t: f64, interval: f64, positions: impl Iterator<Item = Vec2>) {
        let dc = self.settings.density_cell as f32;
        for &c in &self.touched {
            self.counts[c] = 0;
        }
        self.touched.clear();
        for p in positions {
            let x = (((p.x - self.origin.x) / dc).max(0.0) as usize).min(self.dnx - 1);
            let y = (((p.y - self.origin.y) / dc).max(0.0) as usize).min(self.dny - 1);
            let c = y * self.dnx + x;
            if self.counts[c] == 0 {
                self.touched.push(c);
            }
            self.counts[c] += 1;
        }
        self.touched.sort_unstable();
        let crit = self.settings.critical_density;
        for z in &mut self.zones {
            z.count_now = 0;
            z.peak_now = 0.0;
            z.level_now = 0;
        }
        for k in 0..self.touched.len() {
            let c = self.touched[k];
            let d = self.density(c);
            if d as f32 > self.cell_peak[c] && self.cell_area[c] >= 0.5 {
                self.cell_peak[c] = d as f32;
            }
            let scale = if self.queue_cell[c] {
                Scale::Queueing
            } else {
                Scale::Walkway
            };
            let level = scale.level(d);
            let (s, e) = (self.cell_zone_start[c] as usize, self.cell_zone_start[c + 1] as usize);
            for zi in s..e {
                let z = &mut self.zones[self.cell_zone_items[zi] as usize];
                z.count_now += u64::from(self.counts[c]);
                if d > z.peak_now {
                    z.peak_now = d;
                    z.peak_now_scale = scale;
                }
                z.level_now = z.level_now.max(level);
            }
            if d > crit {
                match &mut self.open[c] {
                    Some((_, last, peak, secs)) => {
                        *last = t;
                        *peak = peak.max(d);
                        *secs += interval;
                    }
                    None => {
                        self.open[c] = Some((t, t, d, interval));
                        self.open_cells.push(c);
                    }
                }
            }
        }
        for z in &mut self.zones {
            if z.peak_now > z.peak {
                z.peak = z.peak_now;
                z.peak_t = t;
                z.peak_scale = z.peak_now_scale;
            }
            z.density_sum += if z.area > 0.0 { z.count_now as f64 / z.area } else { 0.0 };
            z.samples += 1;
            z.los[z.level_now] += interval;
            if z.peak_now > crit {
                z.critical_s += interval;
            }
        }
        // close episodes of cells no longer above the threshold
        let mut still = Vec::with_capacity(self.open_cells.len());
        for k in 0..self.open_cells.len() {
            let c = self.open_cells[k];
            if self.open[c].is_some_and(|o| o.1 < t) {
                self.close(c);
            } else {
                still.push(c);
            }
        }
        self.open_cells = still;
    }

    fn close(&mut self, c: usize) {
        if let Some((start, end, peak, secs)) = self.open[c].take() {
            let p = self.cell_center(c);
            let names: Vec<String> = self
                .zones_of(c)
                .iter()
                .map(|&z| self.zone_names[z as usize].clone())
                .collect();
            self.episodes.push(Episode {
                x: f64::from(p.x),
                y: f64::from(p.y),
                zones: names,
                start_s: start,
                end_s: end,
                duration_s: secs,
                peak_density: peak,
            });
        }
    }

    /// Closes all open episodes (end of run).
    pub fn close_all(&mut self) {
        let mut cells = std::mem::take(&mut self.open_cells);
        cells.sort_unstable();
        for c in cells {
            self.close(c);
        }
    }
}

/// Metrics plugin: what is measured, as the scenario's settings ask (the venue must be in the
/// world already).
pub struct MetricsPlugin(MetricsSettings);

impl MetricsPlugin {
    /// The plugin measuring with these settings.
    pub fn new(settings: MetricsSettings) -> MetricsPlugin {
        MetricsPlugin(settings)
    }
}

impl Plugin for MetricsPlugin {
    fn build(&self, app: &mut App) {
        let m = Metrics::new(self.0.clone(), app.world().resource::<Venue>());
        app.insert_resource(m);
        app.add_systems(SimStep, measure.in_set(SimSystems::Measure));
    }
}

/// Appends a series row for time `t`.
/// Who is where at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Headcount {
    /// Walking.
    pub walking: u64,
    /// Staying in a destination.
    pub dwelling: u64,
    /// In a checkpoint queue or lane.
    pub queued: u64,
    /// Due but not placed at a full source.
    pub waiting: u64,
    /// Waiting outside a full hall.
    pub held: u64,
}

/// Appends a series row for time `t`.
pub fn push_series(m: &mut Metrics, t: f64, start: f64, counters: &CrowdCounters, h: Headcount) {
    m.series.push(SeriesRow {
        t: stats::round(t),
        clock: crate::scenario::model::ClockTime(start + t).hms(),
        spawned: counters.spawned,
        present: h.walking + h.dwelling + h.queued + h.held,
        walking: h.walking,
        dwelling: h.dwelling,
        queued: h.queued,
        held: h.held,
        exited: counters.exited,
        waiting: h.waiting,
        zone_density: m
            .zones
            .iter()
            .map(|z| stats::round(if z.area > 0.0 { z.count_now as f64 / z.area } else { 0.0 }))
            .collect(),
    });
}

#[allow(clippy::too_many_arguments)]
fn measure(
    clock: Res<SimClock>,
    counters: Res<CrowdCounters>,
    queue: Res<ArrivalQueue>,
    walking: Query<&Position, With<Walking>>,
    not_held: Query<(), (With<Walking>, Without<crate::crowd::Held>)>,
    standing: Query<&Position, With<Standing>>,
    dwelling: Query<(), With<Dwelling>>,
    held: Query<(), (With<crate::crowd::Held>, Without<Walking>)>,
    agents: Query<(), With<Agent>>,
    mut m: ResMut<Metrics>,
) {
    let t = clock.t_end();
    let tick = clock.tick + 1;
    // counts by archetype (no visit per agent)
    let present = agents.iter().len() as u64;
    if present > m.peak_present.0 {
        m.peak_present = (present, t);
    }
    // Samples fall on whole multiples of the interval (rounded to steps); people standing in
    // queues take space too.
    let density_every = ((m.settings.density_interval / clock.dt).round() as u64).max(1);
    if tick % density_every == 0 {
        m.sample_density(
            t,
            density_every as f64 * clock.dt,
            walking.iter().chain(standing.iter()).map(|p| p.0),
        );
    }
    let series_every = ((m.settings.series_interval / clock.dt).round() as u64).max(1);
    if tick % series_every == 0 {
        let h = Headcount {
            // those waiting at the edge of a full pen are in its queue
            walking: not_held.iter().len() as u64,
            dwelling: dwelling.iter().len() as u64,
            queued: 0,
            waiting: queue.total_waiting(),
            held: held.iter().len() as u64,
        };
        let h = Headcount {
            queued: present - h.walking - h.dwelling - h.held,
            ..h
        };
        push_series(&mut m, t, clock.start, &counters, h);
    }
}

#[cfg(test)]
mod tests {
    use super::Scale;

    #[test]
    fn a_queue_at_0_6_m_is_level_d_as_a_queue_and_f_as_a_walkway() {
        let d = 1.0 / (0.6 * 0.6);
        assert_eq!(Scale::Queueing.level(d), 3);
        assert_eq!(Scale::Walkway.level(d), 5);
        // the bounds: Fruin's 13, 10, 7, 3, 2 ft² a person
        assert_eq!(Scale::Queueing.level(1.0 / 1.3), 0);
        assert_eq!(Scale::Queueing.level(1.0 / 0.2), 4);
        assert_eq!(Scale::Queueing.level(1.0 / 0.15), 5);
        assert_eq!(Scale::Walkway.level(0.0), 0);
    }
}

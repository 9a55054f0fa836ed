//! What one scenario may ask of the machine, checked before anything big is allocated.
//!
//! Scenario files are shared between planners and are untrusted input: a file that passes
//! `check` must not then abort or hang `run`. Each number below bounds one thing a file sizes
//! (a list, a span of steps, a raster, a crowd); [`Limits`] holds the three that a planner with
//! a bigger machine may raise (`--max-memory`, `--max-steps`, `--max-agents`). Every limit is
//! listed in docs/scenario.md, "Limits".

use super::model::{Area, Arrivals, Deployment, IncidentRate, Scenario};

/// Bytes a scenario file may have (`check /dev/zero` must not read until memory runs out).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Shortest step, s.
pub const MIN_DT: f64 = 0.001;
/// Clock times lie in `0 ..= MAX_CLOCK` seconds after midnight of the first day (a week); the
/// parser refuses others where they are written.
pub const MAX_CLOCK: f64 = 7.0 * 86_400.0;
/// Points of one polygon or polyline (the simple-polygon test is quadratic in them).
pub const MAX_POLYGON_POINTS: usize = 10_000;
/// Points of every polygon, polyline, position list and route in the file together.
pub const MAX_POINTS: usize = 1_000_000;
/// Rate steps of every crowd group together.
pub const MAX_RATE_STEPS: usize = 10_000;
/// Most arrival batches (`Arrivals::Batches`), all groups.
pub const MAX_BATCHES: f64 = 10_000_000.0;
/// Responder units of every group together.
pub const MAX_UNITS: u64 = 100_000;
/// Incidents expected over the run (rates × span, or listed times), every type together.
pub const MAX_INCIDENTS: f64 = 1_000_000.0;
/// Coordinates lie within this many metres of the origin: positions are f32 in the step, whose
/// spacing is 2 mm at 20 km (a step of a slow walker at dt 0.05 s is 5 cm) but 6 cm at 1,000 km.
pub const MAX_COORD: f64 = 20_000.0;
/// Entries of the contingency timeline.
pub const MAX_TIMELINE: usize = 10_000;
/// Response-time thresholds (each is a coverage series and a share per incident type).
pub const MAX_THRESHOLDS: usize = 16;
/// Walkable regions of the raster (routing keeps a table of region pairs).
/// Most floor fields (targets, checkpoints' pens, doors and checkpoints' exits): each is
/// numbered with 16 bits.
pub const MAX_FIELDS: usize = 60_000;
/// Most walkable regions (see [`regions_fit`]).
pub const MAX_REGIONS: usize = 4_096;

/// The limits a planner may raise with a flag; the defaults fit a 2-core, 24 GiB machine.
#[derive(Debug, Clone, Copy, PartialEq, clap::Args)]
pub struct Limits {
    /// Largest estimated memory of one run, GiB (raster, floor fields, crowd, samples).
    #[arg(long = "max-memory", value_name = "GIB", default_value_t = 8.0)]
    pub memory_gib: f64,
    /// Most steps in one run (span / dt).
    #[arg(long = "max-steps", value_name = "N", default_value_t = 10_000_000)]
    pub steps: u64,
    /// Most visitors expected over one run, all groups together.
    #[arg(long = "max-agents", value_name = "N", default_value_t = 2_000_000)]
    pub agents: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_gib: 8.0,
            steps: 10_000_000,
            agents: 2_000_000,
        }
    }
}

impl Limits {
    /// The memory budget in bytes.
    pub fn memory_bytes(&self) -> f64 {
        self.memory_gib * (1u64 << 30) as f64
    }
}

/// Bytes per raster cell of the navigation grid (blocked flag 1, wall and corner distances 4 + 4,
/// region 4, and slack).
pub const GRID_BYTES_PER_CELL: f64 = 16.0;
/// Bytes per visitor over a run (entity, step records, grid slot, logs), a generous estimate.
pub const BYTES_PER_AGENT: f64 = 512.0;
/// Bytes per cell of the density and coverage rasters.
pub const BYTES_PER_SAMPLE_CELL: f64 = 48.0;

/// A problem: the element it anchors to (for line:column) and the sentence.
pub type Problem = (Option<String>, String);

/// The scenario's span in seconds, if its clock is valid.
fn span(sc: &Scenario) -> Option<f64> {
    let (a, b) = (sc.sim.start.0, sc.sim.end.0);
    (a.is_finite() && b.is_finite() && b > a).then_some(b - a)
}

/// Checks every size the file sets against the limits, before anything is built from it. The
/// raster-dependent parts (floor fields, regions) are checked by [`fields_fit`] and
/// [`regions_fit`] once the raster exists.
pub fn check(sc: &Scenario, limits: &Limits) -> Vec<Problem> {
    let mut out: Vec<Problem> = Vec::new();
    let mut err = |anchor: &str, text: String| out.push((Some(anchor.to_string()), text));
    let s = &sc.sim;
    if s.dt.is_finite() && s.dt > 0.0 && s.dt < MIN_DT {
        err(
            "dt",
            format!("sim.dt = {:?} s is below the shortest step, {MIN_DT} s", s.dt),
        );
    }
    let span = span(sc).filter(|&x| x <= MAX_CLOCK);
    let steps = span
        .filter(|_| s.dt.is_finite() && s.dt >= MIN_DT)
        .map(|x| (x / s.dt).ceil());
    if let Some(n) = steps
        && n > limits.steps as f64
    {
        err(
            "dt",
            format!(
                "the run would take {n:.0} steps ({} s at dt {} s); the limit is {} (--max-steps)",
                span.unwrap_or(0.0),
                s.dt,
                limits.steps
            ),
        );
    }
    let b = sc.venue.bounds;
    if [b.min.0, b.min.1, b.max.0, b.max.1].iter().any(|c| c.abs() > MAX_COORD) {
        err(
            "bounds",
            format!(
                "venue.bounds reach {:.0} m from the origin; coordinates must lie within {MAX_COORD:.0} m of it (positions are kept to the millimetre): shift the plan's origin to the site, e.g. subtract a reference point from every coordinate",
                [b.min.0, b.min.1, b.max.0, b.max.1]
                    .iter()
                    .fold(0.0f64, |m, c| m.max(c.abs()))
            ),
        );
    }
    let fields = sc.venue.targets.len() + 2 * sc.checkpoints.len() + sc.doors.len();
    if fields > MAX_FIELDS {
        err(
            "venue",
            format!(
                "{} targets, {} checkpoints and {} doors need {fields} floor fields; the limit is {MAX_FIELDS}",
                sc.venue.targets.len(),
                sc.checkpoints.len(),
                sc.doors.len()
            ),
        );
    }
    if sc.timeline.len() > MAX_TIMELINE {
        err(
            "timeline",
            format!(
                "the timeline has {} entries; the limit is {MAX_TIMELINE}",
                sc.timeline.len()
            ),
        );
    }
    if sc.dispatch.thresholds.len() > MAX_THRESHOLDS {
        err(
            "thresholds",
            format!(
                "dispatch.thresholds lists {} response times; the limit is {MAX_THRESHOLDS}",
                sc.dispatch.thresholds.len()
            ),
        );
    }
    // sampling intervals: no finer than a step (a sample per step is the most there can be)
    let mt = &sc.metrics;
    for (field, x) in [
        ("density_interval", mt.density_interval),
        ("series_interval", mt.series_interval),
    ] {
        if x.is_finite() && x > 0.0 && s.dt.is_finite() && x < s.dt {
            err(
                field,
                format!("metrics.{field} = {x:?} s is shorter than the step, {} s", s.dt),
            );
        }
    }
    if mt.coverage_interval.is_finite() && mt.coverage_interval > 0.0 && s.dt.is_finite() && mt.coverage_interval < s.dt
    {
        err(
            "coverage_interval",
            format!(
                "metrics.coverage_interval = {:?} s is shorter than the step, {} s",
                mt.coverage_interval, s.dt
            ),
        );
    }

    // points: each polygon and all of them together
    let v = &sc.venue;
    let mut polys: Vec<(String, String, usize)> = Vec::new();
    for w in &v.walls {
        let name = w.name.clone().unwrap_or_else(|| "points".into());
        polys.push((name.clone(), format!("wall \"{name}\""), w.points.len()));
    }
    for o in &v.obstacles {
        let name = o.name.clone().unwrap_or_else(|| "polygon".into());
        polys.push((name.clone(), format!("obstacle \"{name}\""), o.polygon.len()));
    }
    for z in &v.zones {
        polys.push((z.name.clone(), format!("zone \"{}\"", z.name), z.polygon.len()));
    }
    for p in v.sources.iter().chain(&v.targets) {
        match &p.area {
            Area::Polygon(ps) => polys.push((p.name.clone(), format!("place \"{}\"", p.name), ps.len())),
            Area::Polygons(list) => {
                for ps in list {
                    polys.push((p.name.clone(), format!("place \"{}\"", p.name), ps.len()));
                }
            }
            Area::Point(_) | Area::Circle(..) => {}
        }
    }
    for r in &sc.rings {
        polys.push((r.name.clone(), format!("ring \"{}\"", r.name), r.polygon.len()));
        polys.push((r.name.clone(), format!("ring \"{}\" fence", r.name), r.fence.len()));
    }
    for c in &sc.checkpoints {
        if let Some(h) = &c.queue.holding {
            polys.push((c.name.clone(), format!("checkpoint \"{}\" holding", c.name), h.len()));
        }
    }
    for r in &sc.responders {
        if let Deployment::Route { waypoints, .. } = &r.deployment {
            polys.push((
                r.name.clone(),
                format!("responder \"{}\" route", r.name),
                waypoints.len(),
            ));
        }
    }
    let mut total_points = 0usize;
    for (name, what, n) in &polys {
        total_points = total_points.saturating_add(*n);
        if *n > MAX_POLYGON_POINTS {
            out.push((
                Some(format!("\"{name}\"")),
                format!("{what} has {n} points; the limit is {MAX_POLYGON_POINTS}"),
            ));
        }
    }
    let mut err = |anchor: &str, text: String| out.push((Some(anchor.to_string()), text));

    // the crowd: expected visitors over the run
    let (mut agents, mut rate_steps, mut positions) = (0f64, 0usize, 0usize);
    let mut batches = 0f64;
    for g in &sc.crowd {
        if let Arrivals::Batches { every, rates } = &g.arrivals {
            // each batch is a draw at the start of the run, whether anyone comes in it or not
            let span: f64 = rates.iter().map(|st| (st.to.0 - st.from.0).max(0.0)).sum();
            batches += if *every >= 1.0 { span / every } else { f64::INFINITY };
        }
        match &g.arrivals {
            Arrivals::Rates(steps) | Arrivals::Batches { rates: steps, .. } => {
                rate_steps = rate_steps.saturating_add(steps.len());
                for st in steps {
                    let (a, b) = (st.from.0.max(s.start.0), st.to.0.min(s.end.0));
                    if st.rate.is_finite() && st.rate > 0.0 && b > a {
                        agents += st.rate * (b - a);
                    } else if !st.rate.is_finite() {
                        agents = f64::INFINITY;
                    }
                }
            }
            Arrivals::Count { count, .. } => agents += *count as f64,
            Arrivals::Initial(n) => agents += *n as f64,
            Arrivals::Positions(ps) => {
                agents += ps.len() as f64;
                positions = positions.saturating_add(ps.len());
            }
            Arrivals::Surges => {}
        }
    }
    for e in &sc.timeline {
        agents += e.r#do.surge_persons(e.r#for);
    }
    total_points = total_points.saturating_add(positions);
    if rate_steps > MAX_RATE_STEPS {
        err(
            "crowd",
            format!("the crowd groups have {rate_steps} rate steps in all; the limit is {MAX_RATE_STEPS}"),
        );
    }
    if !(batches <= MAX_BATCHES) {
        err(
            "crowd",
            format!("the crowd groups' Batches make {batches:.0} batches in all; the limit is {MAX_BATCHES}"),
        );
    }
    if agents > limits.agents as f64 {
        err(
            "crowd",
            format!(
                "the crowd groups (and the timeline's surges) bring about {agents:.0} visitors over the run; the limit is {} (--max-agents)",
                limits.agents
            ),
        );
    }
    if total_points > MAX_POINTS {
        err(
            "venue",
            format!("the file holds {total_points} points in all; the limit is {MAX_POINTS}"),
        );
    }

    // responders and incidents
    let units: u64 = sc.responders.iter().map(|r| r.count as u64).sum();
    if units > MAX_UNITS {
        err(
            "responders",
            format!("the responder groups have {units} units in all; the limit is {MAX_UNITS}"),
        );
    }
    let hours = span.unwrap_or(0.0) / 3600.0;
    let mut incidents = 0f64;
    for inc in &sc.incidents {
        incidents += match &inc.rate {
            IncidentRate::PerHour(r) => r * hours,
            IncidentRate::PerThousandPerHour(r) => r * agents.min(limits.agents as f64) / 1000.0 * hours,
            IncidentRate::At(ts) => ts.len() as f64,
        };
    }
    if incidents.is_nan() || incidents > MAX_INCIDENTS {
        err(
            "incidents",
            format!(
                "the incident types would raise about {incidents:.0} incidents over the run; the limit is {MAX_INCIDENTS}"
            ),
        );
    }

    // memory: grid, sampling rasters, crowd and time series (the floor fields come later)
    let b = v.bounds;
    let area = ((b.max.0 - b.min.0) * (b.max.1 - b.min.1)).abs();
    if area.is_finite() && v.cell_size.is_finite() && v.cell_size > 0.0 {
        let cells = |edge: f64| {
            if edge.is_finite() && edge > 0.0 {
                area / (edge * edge)
            } else {
                0.0
            }
        };
        let mut bytes = cells(v.cell_size) * GRID_BYTES_PER_CELL
            + cells(mt.density_cell) * BYTES_PER_SAMPLE_CELL
            + agents.min(limits.agents as f64) * BYTES_PER_AGENT;
        if !sc.responders.is_empty() && mt.coverage_interval > 0.0 {
            bytes += cells(mt.coverage_cell) * BYTES_PER_SAMPLE_CELL;
        }
        let series = span.unwrap_or(0.0) / mt.series_interval.max(s.dt).max(MIN_DT);
        let columns = 16 + v.zones.len() + 2 * sc.checkpoints.len() + 3 * sc.doors.len() + 4 * sc.halls.len();
        bytes += series * columns as f64 * 8.0;
        if bytes > limits.memory_bytes() {
            err(
                "venue",
                format!(
                    "the run would need about {:.1} GiB before its floor fields (raster, density and coverage cells, crowd, time series); the limit is {} GiB (--max-memory)",
                    bytes / (1u64 << 30) as f64,
                    limits.memory_gib
                ),
            );
        }
    }
    out
}

/// Whether `fields` floor fields over a raster of `cells` cells fit the memory limit (with the
/// raster itself); the problem otherwise.
pub fn fields_fit(cells: usize, fields: usize, bytes_per_cell: usize, limits: &Limits) -> Option<Problem> {
    let bytes = cells as f64 * (fields as f64 * bytes_per_cell as f64 + GRID_BYTES_PER_CELL);
    (bytes > limits.memory_bytes()).then(|| {
        (
            Some("cell_size".into()),
            format!(
                "{fields} floor fields over {cells} raster cells would need about {:.1} GiB; the limit is {} GiB (--max-memory): use a larger venue.cell_size or fewer targets",
                bytes / (1u64 << 30) as f64,
                limits.memory_gib
            ),
        )
    })
}

/// Whether the raster's walkable regions are few enough for the routing table.
pub fn regions_fit(regions: usize) -> Option<Problem> {
    (regions > MAX_REGIONS).then(|| {
        (
            Some("walls".into()),
            format!("the walls cut the venue into {regions} separate walkable regions; the limit is {MAX_REGIONS}"),
        )
    })
}

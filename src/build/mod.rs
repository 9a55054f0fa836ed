//! From a parsed [`Scenario`] to the runtime [`Validated`] world, once: the checks that need the
//! venue built (geometry sanity, sources and targets in free space, every target reachable from
//! where people start) with the plain-data checks of [`crate::scenario::check`], and the runtime
//! parts each concern owns (venue, security layout, groups, responders, incidents).

use crate::crowd::{GroupRt, ModelRt};
use crate::error::Result;
use crate::incidents::IncidentPlan;
use crate::responders::Responders;
use crate::scenario::check::{Checker, valid_name};
use crate::scenario::limits::{self, Limits};
use crate::scenario::model::*;
use crate::scenario::{DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE, read_text};
use crate::venue::Venue;
use crate::venue::cache::FieldCache;
use crate::venue::geometry::Segment;

/// A scenario that passed every check, ready to become an ECS world.
#[derive(Debug, Clone)]
pub struct Validated {
    /// The scenario as written (for reports), with the crowd groups its demand generates.
    pub scenario: Scenario,
    /// What its demand generates, in words (`cordon check` prints it).
    pub demand: Option<String>,
    /// Time step, s.
    pub dt: f64,
    /// Clock time of t = 0, s after midnight.
    pub start: f64,
    /// Simulated duration, s.
    pub duration: f64,
    /// Runtime venue.
    pub venue: Venue,
    /// Runtime groups.
    pub groups: Vec<GroupRt>,
    /// Operational model parameters.
    pub model: ModelRt,
    /// Response units.
    pub responders: Responders,
    /// Incident types and dispatch.
    pub incidents: IncidentPlan,
    /// Halls with their capacities.
    pub halls: crate::halls::Halls,
    /// The evacuation order, if any.
    pub evacuation: Option<crate::evacuation::EvacuationRt>,
    /// The contingency timeline (empty: none).
    pub timeline: crate::contingency::TimelineRt,
    /// Roads and vehicles (None: none).
    pub vehicles: Option<std::sync::Arc<crate::vehicles::VehiclesRt>>,
}

/// Checks a scenario and builds its runtime world, within the default [`Limits`].
pub fn validate(sc: &Scenario, file: &str, src: Option<&str>) -> Result<Validated> {
    validate_with(sc, file, src, &Limits::default())
}

/// Checks a scenario and builds its runtime world; a file that would need more than `limits`
/// allow is refused before anything big is allocated.
pub fn validate_with(sc: &Scenario, file: &str, src: Option<&str>, limits: &Limits) -> Result<Validated> {
    validate_cached(sc, file, src, limits, &mut FieldCache::new())
}

/// [`validate_with`] that takes the floor fields it can from `cache` (and leaves its own there):
/// for whoever validates the same venue again and again (the viewer's reload, a batch's sweep).
pub fn validate_cached(
    sc: &Scenario,
    file: &str,
    src: Option<&str>,
    limits: &Limits,
    cache: &mut FieldCache,
) -> Result<Validated> {
    let mut ck = Checker::new(src).with_venue(sc.venue.source.clone());
    // a demand generates crowd groups: from here on they are the scenario's own (and the
    // demand is gone, so validating the result again adds nothing)
    let expanded;
    let demand = crate::scenario::demand::summary(sc);
    let sc = match &sc.demand {
        Some(_) => {
            let groups = crate::scenario::demand::expand(&mut ck, sc);
            if !ck.is_clean() {
                return Err(ck.into_error(file));
            }
            let mut x = sc.clone();
            x.crowd.extend(groups);
            x.demand = None;
            expanded = x;
            &expanded
        }
        None => sc,
    };
    for (anchor, text) in limits::check(sc, limits) {
        ck.err(anchor, text);
    }
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }

    // --- name (it becomes a folder under out/)
    if !valid_name(&sc.name) {
        ck.err(Some("name".into()), format!("scenario name \"{}\" must be 1–100 characters of letters, digits, '-', '_' or '.', not starting with '.'", sc.name));
    }
    sim_settings(&mut ck, &sc.sim);
    // --- the plain-data checks of each section, each by the concern that owns it
    let mut layout = crate::venue::build::layout(&mut ck, &sc.venue);
    let rings = layout.add_rings(&mut ck, sc);
    let threats = crate::checkpoint::build::threats(&mut ck, sc);
    let inside = |p: Point| layout.inside(p);
    let mut checkpoints = crate::checkpoint::build::build(&mut ck, sc, &rings, &threats.0, &inside);
    let doors = crate::checkpoint::build::doors(&mut ck, sc, &rings, &mut checkpoints);
    let model = crate::crowd::build::model(&mut ck, &sc.model);
    crate::metrics::build::check(&mut ck, &sc.metrics, layout.bounds_ok.then_some(sc.venue.bounds));
    let groups = crate::crowd::build::groups(&mut ck, sc);
    let source_names: Vec<&str> = sc.venue.sources.iter().map(|s| s.name.as_str()).collect();
    let target_names: Vec<&str> = sc.venue.targets.iter().map(|s| s.name.as_str()).collect();
    let mut vehicles = crate::vehicles::build::build(&mut ck, sc, &source_names, &target_names);
    if let Some(v) = &mut vehicles {
        v.carriers = threats.1.clone();
    }
    let mut halls = crate::halls::build::build(&mut ck, sc);
    let mut timeline = crate::contingency::build::build(&mut ck, sc);
    // one order a run: the scenario's, or the one its timeline gives
    let evacuation = crate::evacuation::build::build(&mut ck, sc).or_else(|| timeline.evacuation.take());
    // Geometry must be sound before rasterising.
    if !layout.raster_ok && ck.is_clean() {
        ck.err(None, "venue raster cannot be built".into());
    }
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }

    // --- the runtime venue: raster, walls, then the places people stand on must be walkable
    let max_radius = sc.crowd.iter().map(|g| g.radius as f32).fold(0.2f32, f32::max);
    let (_, exits) = crate::checkpoint::build::field_slots(layout.target_count(), checkpoints.len());
    let openings: Vec<_> = (doors.iter().enumerate())
        .map(|(d, door)| (Segment { a: door.a, b: door.b }, door.out, exits + d as u16))
        .collect();
    let mut venue = layout.into_venue(max_radius, &openings);
    crate::venue::build::check_free_places(&mut ck, &venue, sc);
    halls.set_bounds(&venue);
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }
    // --- walkable regions; each checkpoint joins the region of its pen to the one inside
    let regions = venue.grid.regions();
    if let Some((anchor, text)) = limits::regions_fit(regions.1 as usize) {
        ck.err(anchor, text);
        return Err(ck.into_error(file));
    }
    crate::checkpoint::build::security(&mut ck, &mut venue, regions, rings, threats, checkpoints, doors);
    timeline.resolve_doors(&mut ck, &venue.security.doors);
    venue.security.classes = crate::crowd::build::class_names(sc);
    venue.security.group_class = groups.iter().map(|g| g.class).collect();
    venue.security.group_screening = sc.crowd.iter().map(|g| g.screening_factor).collect();
    timeline.add_hold_lines(&mut venue);
    if let Some(v) = &mut vehicles {
        crate::vehicles::crossing::add_walls(&mut v.crossings, &mut venue);
    }
    let responders = crate::responders::build::build(&mut ck, sc, &venue, sc.sim.start.0, vehicles.as_ref());
    let incidents = crate::incidents::build::build(&mut ck, sc, &venue, sc.sim.start.0, &responders, &halls);
    if !ck.is_clean() {
        return Err(ck.into_error(file));
    }

    // --- floor fields (targets, then each checkpoint's pen and inner side), then reachability
    let stand_targets: Vec<usize> = groups
        .iter()
        .filter(|g| g.stand)
        .flat_map(|g| g.destinations.iter().map(|d| d.0))
        .collect();
    let buffers = crate::venue::field::Buffers {
        wall: sc.model.wall_buffer as f32,
        corner: sc.model.corner_buffer as f32,
    };
    // with areas to close, the fields round them are held besides those as built
    let sets = if timeline.areas.is_empty() {
        1
    } else {
        1 + crate::contingency::CLOSED_SETS
    };
    if !crate::venue::build::fields(&mut ck, &mut venue, &stand_targets, buffers, limits, cache, sets) {
        return Err(ck.into_error(file));
    }
    crate::crowd::build::reachability(&mut ck, &venue, &groups);
    ck.finish(file)?;

    Ok(Validated {
        demand,
        scenario: sc.clone(),
        dt: sc.sim.dt,
        start: sc.sim.start.0,
        duration: sc.sim.end.0 - sc.sim.start.0,
        venue,
        groups,
        responders,
        incidents,
        model,
        halls,
        evacuation,
        timeline,
        vehicles: vehicles.map(std::sync::Arc::new),
    })
}

/// The run's clock: a step between 0 and 1 s, an end after the start.
fn sim_settings(ck: &mut Checker, s: &SimSettings) {
    if !(s.dt.is_finite() && s.dt > 0.0) {
        ck.err(
            Some("dt".into()),
            format!("sim.dt must be a positive number of seconds, got {}", s.dt),
        );
    } else if s.dt > 1.0 {
        ck.err(
            Some("dt".into()),
            format!(
                "sim.dt = {} s is too coarse for the pedestrian model (at most 1.0 s)",
                s.dt
            ),
        );
    }
    if !(s.start.0.is_finite() && s.end.0.is_finite()) || s.end.0 <= s.start.0 {
        ck.err(
            Some("end".into()),
            format!("sim.end ({}) must be after sim.start ({})", s.end.hms(), s.start.hms()),
        );
    }
}

/// Loads and validates a file in one go, within the default [`Limits`].
pub fn load_and_validate(path: &std::path::Path) -> Result<Validated> {
    load_and_validate_with(path, &Limits::default())
}

/// Loads and validates a file in one go, within `limits`.
pub fn load_and_validate_with(path: &std::path::Path, limits: &Limits) -> Result<Validated> {
    let text = read_text(path)?;
    let file = path.display().to_string();
    let sc = crate::scenario::parse_file(&text, path)?;
    validate_with(&sc, &file, Some(&text), limits)
}

/// Parses and validates the built-in default scenario.
pub fn default_scenario() -> Result<Validated> {
    let sc = crate::scenario::load::default_scenario()?;
    validate(&sc, DEFAULT_SCENARIO_FILE, Some(DEFAULT_SCENARIO))
}

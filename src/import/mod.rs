//! `cordon import geojson`: a site drawn in GIS or exported from OpenStreetMap (RFC 7946
//! GeoJSON, WGS84 longitude and latitude) to a venue file and a first plan.
//!
//! Each feature's `cordon:role` property says what it is (or, with `--osm-tags`, its OSM tags
//! do): see [`Role`]. Coordinates are projected to metres about an origin
//! ([`projection::Projection`]); every polygon is checked (closed, at least three corners, not
//! crossing itself, not of zero area) and a bad one is named. What comes out is plain scenario
//! text ([`write`]) that `cordon check` reads like any other. docs/authoring.md walks through it.

pub mod projection;
pub mod roads;
mod write;

use crate::error::{CordonError, ParseError, Result};
use crate::scenario::model::{LatLon, Point};
use crate::venue::geometry::{polygon_degenerate, polygon_self_intersects};
use bevy::math::Vec2;
use projection::Projection;
use serde_json::Value;
use std::collections::BTreeMap;

/// At most this many features in one file.
pub const MAX_FEATURES: usize = 100_000;
/// At most this many positions in all, over every feature (a scenario's own limit).
pub const MAX_POSITIONS: usize = crate::scenario::limits::MAX_POINTS;
/// At most this many positions in one line or polygon ring (a scenario's own limit).
pub const MAX_SHAPE_POSITIONS: usize = crate::scenario::limits::MAX_POLYGON_POINTS;
/// The site may reach at most this far from its origin, m.
pub const MAX_EXTENT: f64 = 20_000.0;
/// A checkpoint or door drawn at most this far from its ring is moved onto it, m.
pub const SNAP: f64 = 10.0;
/// The raster of the written venue has at most this many cells (else a coarser cell is taken).
const CELLS: f64 = 4.0e6;
/// At most this many problems are listed.
const MAX_PROBLEMS: usize = 20;

/// What `cordon import geojson` was asked for.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Where (0, 0) goes (default: the middle of the features' extent).
    pub origin: Option<LatLon>,
    /// Features without `cordon:role` get one from their OpenStreetMap tags.
    pub osm_tags: bool,
    /// The plan's scenario name.
    pub name: String,
    /// The venue file's name as the plan refers to it (beside the plan).
    pub venue_file: String,
    /// The GeoJSON file's name, for the header comments.
    pub source_name: String,
    /// The GeoJSON file as named in messages.
    pub file: String,
}

/// What a feature is in the venue or the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A wall or fence: a line (or a polygon's outline).
    Wall,
    /// A building nobody enters: a solid polygon.
    Building,
    /// Any other solid obstacle (a planter, a stage): a polygon.
    Obstacle,
    /// A hall people go into: a target polygon; `capacity` makes it a counted hall.
    Hall,
    /// Walkable ground: where any walkable area is given, the edges of their union are walls.
    Walkable,
    /// A measurement zone: a polygon.
    Zone,
    /// A security ring: a closed polygon (`level`: outer, perimeter, inner or a number).
    Ring,
    /// A screening checkpoint: a point on a ring (`lanes`, `service`, `ring`, `admit`, ...).
    Checkpoint,
    /// An exit-only door in a ring: a point on it (`width`).
    Door,
    /// A way out of the site (a gate to the street, a station entrance): a target.
    Exit,
    /// Where people appear (a metro exit, a car park, a bus bay): a point or a polygon.
    Source,
    /// Where people walk to: a point or a polygon.
    Target,
    /// An assembly point for evacuation: a target.
    Assembly,
    /// A responder post: a point (`kind`, `count`).
    Post,
    /// The area simulated: one Polygon whose bounding rectangle is the venue's bounds (default:
    /// everything imported but roads, and 5 m round it).
    Bounds,
    /// A road for motor traffic: a line (`lanes`, `maxspeed`, `oneway`, `highway`), to the
    /// plan's `vehicles` section (see [`roads`]).
    Road,
}

impl Role {
    const ALL: [(&'static str, Role); 18] = [
        ("wall", Role::Wall),
        ("building", Role::Building),
        ("obstacle", Role::Obstacle),
        ("hall", Role::Hall),
        ("walkable", Role::Walkable),
        ("zone", Role::Zone),
        ("ring", Role::Ring),
        ("checkpoint", Role::Checkpoint),
        ("door", Role::Door),
        ("exit", Role::Exit),
        ("source", Role::Source),
        ("target", Role::Target),
        ("assembly point", Role::Assembly),
        ("assembly", Role::Assembly),
        ("post", Role::Post),
        ("bounds", Role::Bounds),
        ("fence", Role::Wall),
        ("road", Role::Road),
    ];

    /// The role a `cordon:role` value names (case, `_` and `-` ignored).
    pub fn parse(s: &str) -> Option<Role> {
        let k = s.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        Self::ALL.iter().find(|(n, _)| *n == k).map(|(_, r)| *r)
    }

    /// Its name in messages.
    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, r)| *r == self).map_or("?", |(n, _)| n)
    }

    /// The properties it reads (besides `name` and `cordon:role`).
    fn properties(self) -> &'static [&'static str] {
        match self {
            Role::Hall => &["capacity", "reopen_below"],
            Role::Ring => &["level"],
            Role::Checkpoint => &[
                "ring",
                "lanes",
                "service",
                "service_sd",
                "admit",
                "open",
                "close",
                "queue_length",
                "queue_width",
                "exit",
            ],
            Role::Door => &["ring", "width"],
            Role::Source | Role::Target | Role::Exit | Role::Assembly => &["radius"],
            Role::Post => &["kind", "count", "speed"],
            Role::Road => &["lanes", "maxspeed", "oneway", "highway", "junction"],
            _ => &[],
        }
    }
}

/// The OpenStreetMap tags `--osm-tags` reads.
const OSM_TAGS: [&str; 7] = [
    "building", "barrier", "highway", "area", "entrance", "railway", "amenity",
];

/// The role OpenStreetMap tags give a feature (`--osm-tags`), if any.
pub fn osm_role(props: &serde_json::Map<String, Value>) -> Option<Role> {
    let tag = |k: &str| props.get(k).and_then(Value::as_str);
    if tag("railway") == Some("subway_entrance") || tag("amenity") == Some("parking") {
        return Some(Role::Source);
    }
    if tag("entrance").is_some_and(|v| v != "no") {
        return Some(Role::Door);
    }
    if matches!(tag("barrier"), Some("fence" | "wall")) {
        // a closed one becomes a ring where a checkpoint stands on it (see `Import::rings`)
        return Some(Role::Wall);
    }
    if matches!(tag("highway"), Some("footway" | "pedestrian")) && tag("area") == Some("yes") {
        return Some(Role::Walkable);
    }
    if tag("highway").is_some_and(roads::is_motor_road) && tag("area") != Some("yes") {
        return Some(Role::Road);
    }
    if tag("building").is_some_and(|v| v != "no") {
        return Some(Role::Building);
    }
    None
}

/// A feature's shape in local metres: polygons without their closing point.
#[derive(Debug, Clone)]
enum Shape {
    Point(Point),
    Line(Vec<Point>),
    /// Outer ring and holes.
    Poly(Vec<Point>, Vec<Vec<Point>>),
}

/// One imported feature.
#[derive(Debug, Clone)]
struct Feat {
    /// Index in the file (from 0).
    index: usize,
    name: String,
    role: Role,
    shapes: Vec<Shape>,
    props: serde_json::Map<String, Value>,
}

impl Feat {
    /// Its `description` (or `note`), on one line, for a comment after its line.
    fn comment(&self) -> String {
        (self.text("description").or_else(|| self.text("note")))
            .map(|d| {
                format!(
                    " // {}",
                    d.chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect::<String>()
                )
            })
            .unwrap_or_default()
    }
    fn label(&self) -> String {
        format!("feature #{} \"{}\" ({})", self.index, self.name, self.role.name())
    }
    fn num(&self, k: &str) -> Option<f64> {
        // OSM writes several values as "2;3": the first is taken
        let first = |s: &str| s.split(';').next().unwrap_or("").trim().parse().ok();
        self.props
            .get(k)
            .and_then(|v| v.as_f64().or_else(|| v.as_str().and_then(first)))
    }
    fn text(&self, k: &str) -> Option<String> {
        self.props.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    }
    fn points(&self) -> impl Iterator<Item = Point> + '_ {
        self.shapes.iter().filter_map(|s| match s {
            Shape::Point(p) => Some(*p),
            _ => None,
        })
    }
    fn polys(&self) -> impl Iterator<Item = (&Vec<Point>, &Vec<Vec<Point>>)> + '_ {
        self.shapes.iter().filter_map(|s| match s {
            Shape::Poly(o, h) => Some((o, h)),
            _ => None,
        })
    }
}

/// A site read from GeoJSON, projected and checked, ready to be written.
#[derive(Debug)]
pub struct Import {
    feats: Vec<Feat>,
    /// Where (0, 0) is.
    pub origin: LatLon,
    /// Rectangle round everything, m.
    pub bounds: (Point, Point),
    /// Raster cell, m.
    pub cell: f64,
    /// Walls along the edges of the walkable areas' union.
    walkable_edges: Vec<Vec<Point>>,
    /// Things a planner should know (unknown properties, skipped features, moved points).
    pub warnings: Vec<String>,
    /// How many features of each role were imported.
    pub counts: BTreeMap<&'static str, usize>,
}

/// Reads GeoJSON text (the file `file`, for messages): every problem found is listed, each
/// naming its feature; none is written then.
pub fn read(text: &str, file: &str, opts: &ImportOptions) -> Result<Import> {
    // a byte-order mark some editors write is not part of the JSON
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let gj: geojson::GeoJson = text.parse().map_err(|e| json_error(e, text, file))?;
    let features = match gj {
        geojson::GeoJson::FeatureCollection(fc) => fc.features,
        geojson::GeoJson::Feature(f) => vec![f],
        geojson::GeoJson::Geometry(_) => {
            return Err(invalid(file, vec!["a bare geometry has no properties: give a Feature or a FeatureCollection whose features carry `cordon:role`".into()]));
        }
    };
    if features.len() > MAX_FEATURES {
        return Err(invalid(
            file,
            vec![format!("{} features; the limit is {MAX_FEATURES}", features.len())],
        ));
    }
    let positions: usize = features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .map(|g| count(&g.value))
        .sum();
    if positions > MAX_POSITIONS {
        return Err(invalid(
            file,
            vec![format!("{positions} positions; the limit is {MAX_POSITIONS}")],
        ));
    }

    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut no_role = Vec::new();
    // role and raw lon/lat shapes first: the origin is the middle of what is imported
    let mut raw: Vec<(usize, String, Role, Vec<RawShape>, serde_json::Map<String, Value>)> = Vec::new();
    let mut osm_roles = std::collections::BTreeSet::new();
    for (i, f) in features.into_iter().enumerate() {
        let props = f.properties.unwrap_or_default();
        let name = match props.get("name") {
            Some(Value::String(n)) => Some(clean_name(n)),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
        .filter(|n| !n.is_empty());
        let from_osm = !props.contains_key("cordon:role");
        let role = match props.get("cordon:role") {
            Some(Value::String(r)) => match Role::parse(r) {
                Some(r) => Some(r),
                None => {
                    problems.push(format!(
                        "feature #{i}{}: unknown cordon:role \"{}\"; roles: {}",
                        name.as_ref().map(|n| format!(" \"{n}\"")).unwrap_or_default(),
                        clean_name(r),
                        Role::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ));
                    continue;
                }
            },
            Some(_) => {
                problems.push(format!("feature #{i}: cordon:role must be a string"));
                continue;
            }
            None if opts.osm_tags => osm_role(&props),
            None => None,
        };
        let Some(role) = role else {
            no_role.push(name.clone().unwrap_or_else(|| format!("#{i}")));
            continue;
        };
        let name = name.unwrap_or_else(|| format!("{}-{i}", role.name().replace(' ', "-")));
        let Some(g) = f.geometry else {
            warnings.push(format!(
                "feature #{i} \"{name}\" ({}) has no geometry: skipped",
                role.name()
            ));
            continue;
        };
        let mut shapes = Vec::new();
        if let Err(e) = raw_shapes(&g.value, &mut shapes, 0) {
            problems.push(format!("feature #{i} \"{name}\" ({}): {e}", role.name()));
            continue;
        }
        let known = role.properties();
        for k in props.keys() {
            let osm = opts.osm_tags && (OSM_TAGS.contains(&k.as_str()) || k.contains(':') || k.starts_with('@'));
            let any = ["name", "cordon:role", "description", "note"];
            if !(any.contains(&k.as_str()) || known.contains(&k.as_str()) || osm) {
                unknown.entry(k.clone()).or_default().push(name.clone());
            }
        }
        if let Some(n) = shapes
            .iter()
            .map(RawShape::longest)
            .max()
            .filter(|n| *n > MAX_SHAPE_POSITIONS)
        {
            problems.push(format!(
                "feature #{i} \"{name}\" ({}): a line or ring of {n} positions; the limit is {MAX_SHAPE_POSITIONS} (simplify it)",
                role.name()
            ));
            continue;
        }
        if let Some(e) = check_props(role, &props) {
            problems.push(format!("feature #{i} \"{name}\" ({}): {e}", role.name()));
            continue;
        }
        if from_osm {
            osm_roles.insert(i);
        }
        raw.push((i, name, role, shapes, props));
    }
    for (k, on) in &unknown {
        let some: Vec<String> = on.iter().take(3).map(|n| format!("\"{n}\"")).collect();
        warnings.push(format!(
            "property `{}` is not known here and was ignored (on {} feature{}: {}{})",
            clean_name(k),
            on.len(),
            if on.len() == 1 { "" } else { "s" },
            some.join(", "),
            if on.len() > 3 { ", ..." } else { "" }
        ));
    }
    if !no_role.is_empty() {
        let some: Vec<String> = no_role.iter().take(5).map(|n| format!("\"{n}\"")).collect();
        warnings.push(format!(
            "{} feature{} without a role skipped (no `cordon:role`{}): {}{}",
            no_role.len(),
            if no_role.len() == 1 { "" } else { "s" },
            if opts.osm_tags {
                " and no OSM tag mapped"
            } else {
                "; --osm-tags maps OpenStreetMap tags"
            },
            some.join(", "),
            if no_role.len() > 5 { ", ..." } else { "" }
        ));
    }

    // positions must be on the Earth before anything is projected
    raw.retain(|(i, name, role, shapes, _)| {
        let off = shapes.iter().flat_map(RawShape::positions).find(|(lon, lat)| {
            !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 85.0)
        });
        if let Some((lon, lat)) = off {
            problems.push(format!(
                "feature #{i} \"{name}\" ({}): position [{lon}, {lat}] is not a longitude within ±180° and a latitude within ±85° (GeoJSON is [longitude, latitude] in WGS84)",
                role.name()
            ));
        }
        off.is_none()
    });
    if raw.is_empty() {
        if problems.is_empty() {
            problems.push("no feature has a role: nothing to import (give features a `cordon:role`, or use --osm-tags for an OpenStreetMap export)".into());
        }
        return Err(invalid(file, problems));
    }
    let origin = opts.origin.unwrap_or_else(|| {
        let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
        for p in raw.iter().flat_map(|r| r.3.iter().flat_map(RawShape::positions)) {
            lo = (lo.0.min(p.0), lo.1.min(p.1));
            hi = (hi.0.max(p.0), hi.1.max(p.1));
        }
        let r6 = |x: f64| (x * 1e6).round() / 1e6;
        LatLon {
            lat: r6((lo.1 + hi.1) / 2.0),
            lon: r6((lo.0 + hi.0) / 2.0),
        }
    });
    let proj = Projection::about(origin).map_err(|e| invalid(file, vec![format!("--origin: {e}")]))?;

    let mut feats = Vec::new();
    let mut names: BTreeMap<(u8, String), usize> = BTreeMap::new();
    for (index, name, role, shapes, props) in raw {
        let label = format!("feature #{index} \"{name}\" ({})", role.name());
        let mut local = Vec::new();
        let mut bad = false;
        for s in &shapes {
            match project_shape(s, &proj) {
                Ok(s) => local.push(s),
                Err(e) => {
                    problems.push(format!("{label}: {e}"));
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        if let Some(e) = fits(role, &local) {
            if osm_roles.contains(&index) {
                // a role from OSM tags on a shape it does not fit (a building drawn as a node)
                warnings.push(format!("{label}, from its OSM tags: {e}; skipped"));
            } else {
                problems.push(format!("{label}: {e}"));
            }
            continue;
        }
        if let Some(p) = local
            .iter()
            .flat_map(shape_points)
            .find(|p| p.0.abs() > MAX_EXTENT || p.1.abs() > MAX_EXTENT)
        {
            problems.push(format!(
                "{label}: ({:.0}, {:.0}) m is more than {MAX_EXTENT} m from the origin: is the origin on the site?",
                p.0, p.1
            ));
            continue;
        }
        for s in &local {
            if let Shape::Poly(_, holes) = s
                && !holes.is_empty()
                && !matches!(role, Role::Walkable)
            {
                warnings.push(format!(
                    "{label}: its {} hole(s) are ignored (the polygon is taken whole)",
                    holes.len()
                ));
            }
        }
        // names are unique within a name space (targets, sources, zones, rings and the like)
        let space = match role {
            Role::Hall | Role::Exit | Role::Target | Role::Assembly => 0,
            Role::Checkpoint | Role::Door => 1,
            r => r as u8 + 2,
        };
        let n = names.entry((space, name.clone())).or_default();
        *n += 1;
        let name = if *n == 1 {
            name
        } else {
            let new = format!("{name}-#{index}");
            warnings.push(format!("{label}: the name is taken; named \"{new}\""));
            new
        };
        feats.push(Feat {
            index,
            name,
            role,
            shapes: local,
            props,
        });
    }
    if !problems.is_empty() {
        return Err(invalid(file, problems));
    }

    // rectangle round everything but the roads (the vehicles' world), 5 m of margin, whole metres
    let (mut lo, mut hi) = ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN));
    let only_roads = feats.iter().all(|f| f.role == Role::Road);
    let on_foot = feats.iter().filter(|f| only_roads || f.role != Role::Road);
    for p in on_foot.flat_map(|f| f.shapes.iter().flat_map(shape_points)) {
        lo = (lo.0.min(p.0), lo.1.min(p.1));
        hi = (hi.0.max(p.0), hi.1.max(p.1));
    }
    let (mut lo, mut hi) = (
        ((lo.0 - 5.0).floor(), (lo.1 - 5.0).floor()),
        ((hi.0 + 5.0).ceil(), (hi.1 + 5.0).ceil()),
    );
    // or the bounds drawn
    let drawn: Vec<&Feat> = feats.iter().filter(|f| f.role == Role::Bounds).collect();
    if drawn.len() > 1 {
        return Err(invalid(
            file,
            vec![format!("{} features have the role bounds; give one", drawn.len())],
        ));
    }
    if let Some(f) = drawn.first() {
        let pts: Vec<Point> = f.shapes.iter().flat_map(shape_points).collect();
        lo = pts
            .iter()
            .fold((f64::MAX, f64::MAX), |a, p| (a.0.min(p.0), a.1.min(p.1)));
        hi = pts
            .iter()
            .fold((f64::MIN, f64::MIN), |a, p| (a.0.max(p.0), a.1.max(p.1)));
    }
    let area = (hi.0 - lo.0) * (hi.1 - lo.1);
    let cell = [0.25, 0.5, 1.0]
        .into_iter()
        .find(|c| area / (c * c) <= CELLS)
        .unwrap_or(1.0);

    let walkable: Vec<&Feat> = feats.iter().filter(|f| f.role == Role::Walkable).collect();
    let walkable_edges = union_edges(&walkable);
    let mut counts = BTreeMap::new();
    for f in &feats {
        *counts.entry(f.role.name()).or_default() += 1;
    }
    Ok(Import {
        feats,
        origin,
        bounds: (lo, hi),
        cell,
        walkable_edges,
        warnings,
        counts,
    })
}

/// A shape as read: lon/lat positions (rings still closed).
#[derive(Debug)]
enum RawShape {
    Point([f64; 2]),
    Line(Vec<[f64; 2]>),
    Poly(Vec<Vec<[f64; 2]>>),
}

impl RawShape {
    /// Positions in its longest line or ring.
    fn longest(&self) -> usize {
        match self {
            RawShape::Point(_) => 1,
            RawShape::Line(l) => l.len(),
            RawShape::Poly(r) => r.iter().map(Vec::len).max().unwrap_or(0),
        }
    }
    fn positions(&self) -> Box<dyn Iterator<Item = (f64, f64)> + '_> {
        match self {
            RawShape::Point(p) => Box::new(std::iter::once((p[0], p[1]))),
            RawShape::Line(l) => Box::new(l.iter().map(|p| (p[0], p[1]))),
            RawShape::Poly(r) => Box::new(r.iter().flatten().map(|p| (p[0], p[1]))),
        }
    }
}

fn count(g: &geojson::GeometryValue) -> usize {
    use geojson::GeometryValue as G;
    match g {
        G::Point { .. } => 1,
        G::MultiPoint { coordinates } | G::LineString { coordinates } => coordinates.len(),
        G::MultiLineString { coordinates } | G::Polygon { coordinates } => coordinates.iter().map(Vec::len).sum(),
        G::MultiPolygon { coordinates } => coordinates.iter().flatten().map(Vec::len).sum(),
        G::GeometryCollection { geometries } => geometries.iter().map(|g| count(&g.value)).sum(),
    }
}

fn pos(p: &geojson::Position) -> std::result::Result<[f64; 2], String> {
    match p.as_slice() {
        [lon, lat, ..] => Ok([*lon, *lat]),
        _ => Err("a position needs a longitude and a latitude".into()),
    }
}

fn raw_shapes(g: &geojson::GeometryValue, out: &mut Vec<RawShape>, depth: usize) -> std::result::Result<(), String> {
    use geojson::GeometryValue as G;
    let line = |l: &Vec<geojson::Position>| l.iter().map(pos).collect::<std::result::Result<Vec<_>, _>>();
    let poly = |r: &Vec<Vec<geojson::Position>>| r.iter().map(line).collect::<std::result::Result<Vec<_>, _>>();
    match g {
        G::Point { coordinates } => out.push(RawShape::Point(pos(coordinates)?)),
        G::MultiPoint { coordinates } => {
            for p in coordinates {
                out.push(RawShape::Point(pos(p)?));
            }
        }
        G::LineString { coordinates } => out.push(RawShape::Line(line(coordinates)?)),
        G::MultiLineString { coordinates } => {
            for l in coordinates {
                out.push(RawShape::Line(line(l)?));
            }
        }
        G::Polygon { coordinates } => out.push(RawShape::Poly(poly(coordinates)?)),
        G::MultiPolygon { coordinates } => {
            for p in coordinates {
                out.push(RawShape::Poly(poly(p)?));
            }
        }
        G::GeometryCollection { geometries } if depth < 4 => {
            for g in geometries {
                raw_shapes(&g.value, out, depth + 1)?;
            }
        }
        G::GeometryCollection { .. } => return Err("geometry collections nested too deep".into()),
    }
    Ok(())
}

/// Rounds to the centimetre.
fn cm(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A line projected, consecutive repeats (within 1 cm) dropped.
fn project_line(l: &[[f64; 2]], proj: &Projection) -> std::result::Result<Vec<Point>, String> {
    let mut out: Vec<Point> = Vec::with_capacity(l.len());
    for p in l {
        let (x, y) = proj
            .to_local(p[0], p[1])
            .ok_or_else(|| format!("position [{}, {}] cannot be projected", p[0], p[1]))?;
        let q = (cm(x), cm(y));
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    Ok(out)
}

/// A polygon ring projected and checked: closed, at least 3 corners, not crossing itself, not
/// of zero area; returned without its closing point.
fn project_ring(r: &[[f64; 2]], proj: &Projection, what: &str) -> std::result::Result<Vec<Point>, String> {
    if r.len() < 4 {
        return Err(format!(
            "{what} has {} positions; a closed ring needs at least 4 (3 corners and the first again)",
            r.len()
        ));
    }
    if r.first() != r.last() {
        return Err(format!(
            "{what} is not closed: its last position must repeat its first (RFC 7946 §3.1.6)"
        ));
    }
    let mut pts = project_line(&r[..r.len() - 1], proj)?;
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return Err(format!("{what} is degenerate: fewer than 3 distinct corners"));
    }
    let v: Vec<Vec2> = pts.iter().map(|p| Vec2::new(p.0 as f32, p.1 as f32)).collect();
    if let Some((i, j)) = polygon_self_intersects(&v) {
        return Err(format!("{what} crosses itself (edge {i} crosses edge {j})"));
    }
    if polygon_degenerate(&v) {
        return Err(format!("{what} is degenerate: zero area"));
    }
    Ok(pts)
}

fn project_shape(s: &RawShape, proj: &Projection) -> std::result::Result<Shape, String> {
    match s {
        RawShape::Point(p) => {
            let (x, y) = proj
                .to_local(p[0], p[1])
                .ok_or_else(|| format!("position [{}, {}] cannot be projected", p[0], p[1]))?;
            Ok(Shape::Point((cm(x), cm(y))))
        }
        RawShape::Line(l) => {
            let pts = project_line(l, proj)?;
            if pts.len() < 2 {
                return Err("a line needs at least 2 distinct positions".into());
            }
            Ok(Shape::Line(pts))
        }
        RawShape::Poly(rings) => {
            let Some(outer) = rings.first() else {
                return Err("a polygon needs at least its outer ring".into());
            };
            let outer = project_ring(outer, proj, "its outer ring")?;
            let holes = (rings[1..].iter().enumerate())
                .map(|(k, h)| project_ring(h, proj, &format!("its hole #{}", k + 1)))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(Shape::Poly(outer, holes))
        }
    }
}

fn shape_points(s: &Shape) -> Box<dyn Iterator<Item = Point> + '_> {
    match s {
        Shape::Point(p) => Box::new(std::iter::once(*p)),
        Shape::Line(l) => Box::new(l.iter().copied()),
        Shape::Poly(o, h) => Box::new(o.iter().chain(h.iter().flatten()).copied()),
    }
}

/// The properties a role reads, checked: a number where a number is meant, in range; a clock
/// time where one is meant. A sentence saying what is wrong otherwise.
fn check_props(role: Role, props: &serde_json::Map<String, Value>) -> Option<String> {
    let num = |k: &str| -> Option<std::result::Result<f64, String>> {
        // an empty field (null, as GIS exports write it) is no value
        let v = props.get(k).filter(|v| !v.is_null())?;
        let first = |s: &str| s.split(';').next().unwrap_or("").trim().parse::<f64>().ok();
        let x = v.as_f64().or_else(|| v.as_str().and_then(first));
        Some(
            x.filter(|x| x.is_finite())
                .ok_or_else(|| format!("`{k}` must be a number, got {v}")),
        )
    };
    let range = |k: &str, lo: f64, hi: f64, whole: bool| -> Option<String> {
        match num(k)? {
            Err(e) => Some(e),
            Ok(x) if !(lo..=hi).contains(&x) || (whole && x.fract() != 0.0) => Some(format!(
                "`{k}` must be {}{lo} to {hi}, got {x}",
                if whole { "a whole number " } else { "" }
            )),
            Ok(_) => None,
        }
    };
    let clock = |k: &str| -> Option<String> {
        let v = props.get(k)?;
        let ok = v.as_str().is_some_and(|t| {
            let parts: Vec<&str> = t.split(':').collect();
            (2..=3).contains(&parts.len())
                && parts
                    .iter()
                    .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                && parts[0].parse::<u32>().is_ok_and(|h| h < 48)
                && parts[1..].iter().all(|p| p.parse::<u32>().is_ok_and(|m| m < 60))
        });
        (!ok).then(|| format!("`{k}` must be a clock time \"HH:MM\" or \"HH:MM:SS\", got {v}"))
    };
    let checks: Vec<Option<String>> = match role {
        Role::Hall => vec![range("capacity", 1.0, 1e7, true), range("reopen_below", 1.0, 1e7, true)],
        Role::Checkpoint => vec![
            range("lanes", 1.0, 500.0, true),
            range("service", 0.1, 3600.0, false),
            range("service_sd", 0.0, 3600.0, false),
            range("queue_length", 1.0, 1000.0, false),
            range("queue_width", 1.0, 1000.0, false),
            range("exit", 0.0, 50.0, false),
            clock("open"),
            clock("close"),
        ],
        Role::Door => vec![range("width", 0.5, 50.0, false)],
        Role::Source | Role::Target | Role::Exit | Role::Assembly => vec![range("radius", 0.5, 10_000.0, false)],
        Role::Post => vec![range("count", 1.0, 10_000.0, true), range("speed", 0.1, 30.0, false)],
        Role::Road => vec![range("lanes", 1.0, 16.0, true)],
        _ => vec![],
    };
    if let Some(e) = checks.into_iter().flatten().next() {
        return Some(e);
    }
    if let (Some(Ok(r)), Some(Ok(c))) = (num("reopen_below"), num("capacity"))
        && r > c
    {
        return Some(format!("`reopen_below` ({r}) must be at most `capacity` ({c})"));
    }
    None
}

/// Whether `shapes` are what `role` takes; a sentence saying what is wrong otherwise.
fn fits(role: Role, shapes: &[Shape]) -> Option<String> {
    let (pts, lines, polys) = shapes.iter().fold((0, 0, 0), |(a, b, c), s| match s {
        Shape::Point(_) => (a + 1, b, c),
        Shape::Line(_) => (a, b + 1, c),
        Shape::Poly(..) => (a, b, c + 1),
    });
    let need = match role {
        Role::Wall => (pts == 0 && lines + polys > 0)
            .then_some(())
            .ok_or("a wall is a LineString or a Polygon"),
        Role::Building | Role::Obstacle | Role::Walkable => (pts + lines == 0 && polys > 0)
            .then_some(())
            .ok_or("it must be a Polygon or a MultiPolygon"),
        Role::Zone | Role::Ring | Role::Bounds => (pts + lines == 0 && polys == 1)
            .then_some(())
            .ok_or("it must be one Polygon"),
        Role::Hall => (pts + lines == 0 && polys > 0)
            .then_some(())
            .ok_or("a hall's floor is a Polygon or a MultiPolygon"),
        Role::Checkpoint | Role::Door | Role::Post => (pts == 1 && lines + polys == 0)
            .then_some(())
            .ok_or("it must be one Point"),
        Role::Road => (pts + polys == 0 && lines > 0)
            .then_some(())
            .ok_or("a road is a LineString or a MultiLineString"),
        Role::Source | Role::Target | Role::Exit | Role::Assembly => ((pts == 1 && lines + polys == 0)
            || (pts + lines == 0 && polys > 0))
            .then_some(())
            .ok_or("it must be one Point, or Polygons"),
    };
    need.err().map(|e| format!("{e}, got {}", kinds(pts, lines, polys)))
}

fn kinds(pts: usize, lines: usize, polys: usize) -> String {
    let mut v = Vec::new();
    for (n, w) in [(pts, "point"), (lines, "line"), (polys, "polygon")] {
        if n > 0 {
            v.push(format!("{n} {w}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if v.is_empty() { "nothing".into() } else { v.join(", ") }
}

/// The edges of the union of the walkable areas: each a closed polyline (first point repeated).
fn union_edges(walkable: &[&Feat]) -> Vec<Vec<Point>> {
    use geo::{BooleanOps, LineString, MultiPolygon, Polygon};
    if walkable.is_empty() {
        return Vec::new();
    }
    let ring = |r: &Vec<Point>| LineString::from(r.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>());
    let mut all = MultiPolygon::new(Vec::new());
    for f in walkable {
        for (o, h) in f.polys() {
            let p = MultiPolygon::new(vec![Polygon::new(ring(o), h.iter().map(ring).collect())]);
            all = all.union(&p);
        }
    }
    let mut edges = Vec::new();
    for p in &all {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            let mut pts: Vec<Point> = r.coords().map(|c| (cm(c.x), cm(c.y))).collect();
            pts.dedup();
            if pts.len() >= 4 {
                edges.push(pts);
            }
        }
    }
    edges
}

/// A name fit for a scenario: no control characters, at most 100 characters.
fn clean_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_string()
}

fn invalid(file: &str, mut problems: Vec<String>) -> CordonError {
    let total = problems.len();
    problems.truncate(MAX_PROBLEMS);
    let mut problems: Vec<String> = problems.into_iter().map(|p| format!("{file}: {p}")).collect();
    if total > MAX_PROBLEMS {
        problems.push(format!("{file}: … and {} more problems", total - MAX_PROBLEMS));
    }
    CordonError::Invalid {
        file: file.to_string(),
        problems,
    }
}

fn json_error(e: geojson::Error, text: &str, file: &str) -> CordonError {
    if let geojson::Error::MalformedGeoJson(j) = &e {
        let line = j.line().max(1);
        return CordonError::Parse(Box::new(ParseError {
            file: file.to_string(),
            line,
            column: j.column().max(1),
            message: format!("not valid GeoJSON: {j}"),
            source_line: text.lines().nth(line - 1).unwrap_or("").to_string(),
        }));
    }
    invalid(file, vec![format!("not GeoJSON: {e}")])
}

pub use write::{Written, write};

/// `cordon import geojson` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// GeoJSON file (RFC 7946: WGS84 longitude and latitude), features carrying `cordon:role`.
    pub file: std::path::PathBuf,
    /// The plan to write, e.g. site.ron; the venue goes beside it as site.venue.ron. An existing
    /// plan is never overwritten: the new one is written as site.imported.ron instead.
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Where (0, 0) goes, "LAT,LON" in degrees (default: the middle of the features' extent).
    #[arg(long, value_parser = parse_origin, allow_hyphen_values = true)]
    pub origin: Option<LatLon>,
    /// Give features without `cordon:role` a role from their OpenStreetMap tags (building,
    /// barrier, highway + area, entrance, railway=subway_entrance, amenity=parking).
    #[arg(long)]
    pub osm_tags: bool,
    /// Write only the venue file, to the `--out` path (for plans that already name it).
    #[arg(long)]
    pub venue_only: bool,
}

fn parse_origin(s: &str) -> std::result::Result<LatLon, String> {
    let (a, b) = s.split_once(',').ok_or("give \"LAT,LON\", e.g. 31.1907,121.3016")?;
    let num = |x: &str| x.trim().parse::<f64>().map_err(|e| format!("\"{}\": {e}", x.trim()));
    let o = LatLon {
        lat: num(a)?,
        lon: num(b)?,
    };
    if !(o.lat.abs() <= 85.0 && o.lon.abs() <= 180.0) {
        return Err("latitude within ±85°, longitude within ±180°".into());
    }
    Ok(o)
}

/// What an import wrote.
#[derive(Debug)]
pub struct Outcome {
    /// The venue file written.
    pub venue: std::path::PathBuf,
    /// The plan written (the `--out` file, or `<stem>.imported.ron` beside an existing one;
    /// none with `--venue-only`).
    pub plan: Option<std::path::PathBuf>,
    /// Whether `--out` existed and was kept.
    pub kept: bool,
    /// The import's warnings and notes.
    pub warnings: Vec<String>,
    /// Features per role.
    pub counts: BTreeMap<&'static str, usize>,
    /// The origin used.
    pub origin: LatLon,
    /// `cordon check`'s verdict on the plan written: None when it passes.
    pub check: Option<String>,
}

/// Runs `cordon import geojson`: reads, checks, writes the venue file and the plan (each
/// atomically; nothing when the GeoJSON has a problem) and checks the plan.
pub fn run_args(a: &ImportArgs) -> Result<Outcome> {
    let text = crate::scenario::read_text(&a.file)?;
    let file = a.file.display().to_string();
    let out = &a.out;
    if out.extension().and_then(|e| e.to_str()) != Some("ron") {
        return Err(CordonError::Usage(format!(
            "--out {}: the plan must be a .ron file",
            out.display()
        )));
    }
    if out.to_string_lossy().chars().any(char::is_control) {
        return Err(CordonError::Usage("--out: the file name has control characters".into()));
    }
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = stem.strip_suffix(".imported").unwrap_or(&stem).to_string();
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let venue_name = format!("{stem}.venue.ron");
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(100)
        .collect();
    if !crate::scenario::check::valid_name(&name) {
        name = "imported".into();
    }
    let opts = ImportOptions {
        origin: a.origin,
        osm_tags: a.osm_tags,
        name,
        venue_file: venue_name.clone(),
        source_name: a
            .file
            .file_name()
            .map_or(file.clone(), |f| f.to_string_lossy().into_owned()),
        file: file.clone(),
    };
    let imp = read(&text, &file, &opts)?;
    let w = write(&imp, &opts)?;
    let venue = if a.venue_only {
        out.clone()
    } else {
        dir.join(&venue_name)
    };
    let kept = !a.venue_only && out.exists();
    let plan = (!a.venue_only).then(|| {
        if kept {
            dir.join(format!("{stem}.imported.ron"))
        } else {
            out.clone()
        }
    });
    let same = |a: &std::path::Path, b: &std::path::Path| {
        std::fs::canonicalize(a)
            .ok()
            .is_some_and(|a| std::fs::canonicalize(b).ok() == Some(a))
    };
    if same(&a.file, &venue) || plan.as_deref().is_some_and(|p| same(&a.file, p)) {
        return Err(CordonError::Usage(format!(
            "--out {}: the import would overwrite its own input {file}",
            out.display()
        )));
    }
    // both files complete beside their places before either replaces anything
    let mut files = vec![(venue.clone(), w.venue.clone())];
    if let Some(p) = &plan {
        files.insert(0, (p.clone(), w.plan.clone()));
    }
    let staged = (files.iter())
        .map(|(path, text)| crate::output::stage_file(path, text.as_bytes()).map(|t| (path, t)))
        .collect::<Result<Vec<_>>>()?;
    for (path, t) in staged {
        t.persist(path).map_err(|e| CordonError::Write {
            path: path.to_path_buf(),
            source: e.error,
        })?;
    }
    let check = match &plan {
        Some(p) => crate::build::load_and_validate(p).err().map(|e| e.to_string()),
        None => {
            // the venue alone, in a scenario of nothing else
            let probe = format!(
                "Scenario(name: \"venue-check\", sim: (dt: 0.1, start: \"00:00\", end: \"00:01\"), venue: (file: {}))",
                ron::to_string(
                    &venue
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default()
                )
                .unwrap_or_default()
            );
            let at = venue.with_file_name("venue-check.ron");
            crate::scenario::parse_file(&probe, &at)
                .and_then(|sc| crate::build::validate(&sc, &at.display().to_string(), None))
                .err()
                .map(|e| e.to_string())
        }
    };
    let mut warnings = imp.warnings;
    warnings.extend(w.notes);
    Ok(Outcome {
        venue,
        plan,
        kept,
        warnings,
        counts: imp.counts,
        origin: imp.origin,
        check,
    })
}

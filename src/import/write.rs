//! An [`Import`] as scenario text: the venue file (geometry, `origin`) and a first plan that
//! refers to it (rings, checkpoints, doors, halls, posts and one crowd group per source), both
//! commented so a planner can read and tune them.

use super::{Feat, Import, ImportOptions, Role, SNAP, Shape, invalid};
use crate::error::Result;
use crate::scenario::model::Point;
use std::fmt::Write as _;

/// The two files `cordon import` writes.
#[derive(Debug, Clone)]
pub struct Written {
    /// The venue file's text.
    pub venue: String,
    /// The plan's text.
    pub plan: String,
    /// What was adjusted on the way (points moved onto rings, gaps cut), for the planner.
    pub notes: Vec<String>,
}

/// A number in metres to the centimetre, without trailing zeros.
fn num(x: f64) -> String {
    let s = format!("{:.2}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn pt(p: Point) -> String {
    format!("({}, {})", num(p.0), num(p.1))
}

fn pts(v: &[Point]) -> String {
    format!("[{}]", v.iter().map(|p| pt(*p)).collect::<Vec<_>>().join(", "))
}

/// A RON string literal.
fn q(s: &str) -> String {
    ron::to_string(s).unwrap_or_else(|_| "\"?\"".into())
}

/// The nearest point to `p` on the closed polygon `poly`'s outline, and its distance.
fn nearest_on(poly: &[Point], closed: bool, p: Point) -> (Point, f64) {
    let n = poly.len();
    let edges = if closed { n } else { n.saturating_sub(1) };
    let mut best = (poly[0], f64::MAX);
    for k in 0..edges {
        let (a, b) = (poly[k], poly[(k + 1) % n]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let c = (a.0 + t * dx, a.1 + t * dy);
        let d = ((c.0 - p.0).powi(2) + (c.1 - p.1).powi(2)).sqrt();
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

/// Cuts a gap `width` wide centred at the point of `lines` nearest `p` (within [`SNAP`]);
/// whether it found a line.
fn cut_gap(lines: &mut Vec<(String, Vec<Point>)>, p: Point, width: f64) -> bool {
    let mut best: Option<(usize, usize, f64, f64)> = None; // line, edge, t along it (m), distance
    for (li, (_, l)) in lines.iter().enumerate() {
        for k in 0..l.len().saturating_sub(1) {
            let (a, b) = (l[k], l[k + 1]);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            if len <= 0.0 {
                continue;
            }
            let (ux, uy) = ((b.0 - a.0) / len, (b.1 - a.1) / len);
            let t = ((p.0 - a.0) * ux + (p.1 - a.1) * uy).clamp(0.0, len);
            let d = ((a.0 + t * ux - p.0).powi(2) + (a.1 + t * uy - p.1).powi(2)).sqrt();
            if d <= SNAP && best.is_none_or(|b| d < b.3) {
                best = Some((li, k, t, d));
            }
        }
    }
    let Some((li, k, t, _)) = best else { return false };
    let (name, l) = lines.remove(li);
    let (a, b) = (l[k], l[k + 1]);
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let (ux, uy) = ((b.0 - a.0) / len, (b.1 - a.1) / len);
    let (t0, t1) = ((t - width / 2.0).max(0.0), (t + width / 2.0).min(len));
    let at = |u: f64| (super::cm(a.0 + u * ux), super::cm(a.1 + u * uy));
    let mut first: Vec<Point> = l[..=k].to_vec();
    if t0 > 0.0 {
        first.push(at(t0));
    }
    let mut second: Vec<Point> = Vec::new();
    if t1 < len {
        second.push(at(t1));
    }
    second.extend_from_slice(&l[k + 1..]);
    if first.len() >= 2 {
        lines.push((name.clone(), first));
    }
    if second.len() >= 2 {
        lines.push((format!("{name}-b"), second));
    }
    true
}

/// The plan's `vehicles` section from the roads, if any: junctions, directed links, one car
/// class; the planner adds rings, checkpoints, destinations and flows.
fn vehicles(p: &mut String, imp: &Import, notes: &mut Vec<String>) {
    let mut roads = Vec::new();
    for f in imp.feats.iter().filter(|f| f.role == Role::Road) {
        // a tag as text: strings, numbers and booleans alike ("-1" and -1, "yes" and true)
        let tag = |k: &str| {
            f.props.get(k).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.trim().to_ascii_lowercase()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                _ => None,
            })
        };
        let highway = tag("highway");
        let oneway = match tag("oneway").as_deref() {
            Some("yes" | "true" | "1") => Some(true),
            Some("-1" | "reverse") => Some(false),
            Some("no" | "false" | "0") => None,
            Some(other) => {
                notes.push(format!("{}: oneway \"{other}\" read as two-way", f.label()));
                None
            }
            // OSM: motorways and roundabouts are one way unless tagged otherwise
            None if matches!(highway.as_deref(), Some("motorway" | "motorway_link"))
                || tag("junction").as_deref() == Some("roundabout") =>
            {
                Some(true)
            }
            None => None,
        };
        let total = f.num("lanes").map_or(1, |l| l.round().max(1.0) as u32);
        let lanes = if oneway.is_some() { total } else { (total / 2).max(1) }.min(8);
        let kmh = match f.props.get("maxspeed") {
            None => super::roads::default_kmh(highway.as_deref()),
            Some(v) => super::roads::parse_kmh(v)
                .filter(|x| x.is_finite() && *x > 0.0)
                .unwrap_or_else(|| {
                    let d = super::roads::default_kmh(highway.as_deref());
                    notes.push(format!("{}: maxspeed {v} not a speed; {d} km/h taken", f.label()));
                    d
                }),
        };
        if !(5.0..=250.0).contains(&kmh) {
            notes.push(format!(
                "{}: maxspeed {kmh} km/h taken as {} km/h",
                f.label(),
                kmh.clamp(5.0, 250.0)
            ));
        }
        let kmh = kmh.clamp(5.0, 250.0);
        for s in &f.shapes {
            if let Shape::Line(line) = s {
                roads.push(super::roads::Road {
                    name: f.name.clone(),
                    line: line.clone(),
                    lanes,
                    speed: (kmh / 3.6 * 100.0).round() / 100.0,
                    forward: oneway != Some(false),
                    back: oneway != Some(true),
                });
            }
        }
    }
    if roads.is_empty() {
        return;
    }
    let (nodes, links) = super::roads::network(&roads, notes);
    let _ = writeln!(
        p,
        "    // roads: {} junctions (where roads share a vertex or end; within {} m, one) and {} directed\n    // links (a two-way road one each way with half its lanes). Add vehicle rings, checkpoints,\n    // destinations and flows (docs/scenario.md, Vehicles and roads).",
        nodes.len(),
        super::roads::MERGE,
        links.len()
    );
    let _ = writeln!(p, "    vehicles: (");
    let _ = writeln!(
        p,
        "        // a car that drives at each road's limit (up to 120 km/h)\n        classes: [(name: \"car\", spacing: 7.5, speed: 33.3)],"
    );
    let _ = writeln!(p, "        nodes: [");
    for (name, at) in &nodes {
        let _ = writeln!(p, "            (name: {}, position: {}),", q(name), pt(*at));
    }
    let _ = writeln!(p, "        ],");
    let _ = writeln!(p, "        links: [");
    for l in &links {
        let via = if l.via.is_empty() {
            String::new()
        } else {
            format!(", via: {}", pts(&l.via))
        };
        let _ = writeln!(
            p,
            "            (name: {}, from: {}, to: {}, lanes: {}, speed: {}{via}),",
            q(&l.name),
            q(&nodes[l.from].0),
            q(&nodes[l.to].0),
            l.lanes,
            num(l.speed)
        );
    }
    let _ = writeln!(p, "        ],");
    let _ = writeln!(p, "    ),");
}

/// The venue file and the first plan of `imp`.
pub fn write(imp: &Import, opts: &ImportOptions) -> Result<Written> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let of = |r: Role| imp.feats.iter().filter(move |f| f.role == r);
    let checkpoints: Vec<&Feat> = of(Role::Checkpoint).collect();
    let doors: Vec<&Feat> = of(Role::Door).collect();

    // rings: drawn as rings, and closed walls that a checkpoint stands on
    let mut rings: Vec<(String, Vec<Point>, String, usize)> = Vec::new(); // name, polygon, level, feature
    for f in of(Role::Ring) {
        let level = match f.text("level").map(|l| l.trim().to_ascii_lowercase()) {
            None => "Perimeter".to_string(),
            Some(l) if l == "outer" => "Outer".into(),
            Some(l) if l == "perimeter" => "Perimeter".into(),
            Some(l) if l == "inner" => "Inner".into(),
            Some(l) => match l.parse::<u8>() {
                Ok(n) if n >= 1 => format!("Level({n})"),
                _ => {
                    problems.push(format!(
                        "{}: level \"{l}\" must be outer, perimeter, inner or a number 1-255",
                        f.label()
                    ));
                    continue;
                }
            },
        };
        if let Some((o, _)) = f.polys().next() {
            rings.push((f.name.clone(), o.clone(), level, f.index));
        }
    }
    let mut walls: Vec<(String, Vec<Point>)> = Vec::new();
    let comments: std::collections::BTreeMap<String, String> =
        imp.feats.iter().map(|f| (f.name.clone(), f.comment())).collect();
    let note = |n: &str| comments.get(n).cloned().unwrap_or_default();
    for f in of(Role::Wall) {
        for s in &f.shapes {
            let (line, closed) = match s {
                Shape::Line(l) => (l.clone(), l.len() > 3 && l.first() == l.last()),
                Shape::Poly(o, _) => {
                    let mut l = o.clone();
                    l.push(o[0]);
                    (l, true)
                }
                Shape::Point(_) => continue,
            };
            let on_it =
                |c: &&Feat| c.text("ring").is_none() && c.points().any(|p| nearest_on(&line, false, p).1 <= SNAP);
            if closed && checkpoints.iter().any(on_it) {
                let mut poly = line.clone();
                poly.pop();
                notes.push(format!(
                    "{} is closed and has a checkpoint on it: it is a Perimeter ring",
                    f.label()
                ));
                rings.push((f.name.clone(), poly, "Perimeter".into(), f.index));
            } else {
                walls.push((f.name.clone(), line));
            }
        }
    }

    // checkpoints and doors onto their rings; a door on a plain wall is a gap in it
    let ring_of = |f: &Feat, p: Point| -> std::result::Result<(usize, Point, f64), String> {
        let cands: Vec<usize> = match f.text("ring") {
            Some(r) => {
                let v: Vec<usize> = (0..rings.len()).filter(|&i| rings[i].0 == r).collect();
                if v.is_empty() {
                    return Err(format!("its ring \"{r}\" is not a ring of this file"));
                }
                v
            }
            None => (0..rings.len()).collect(),
        };
        cands
            .into_iter()
            .map(|i| {
                let (c, d) = nearest_on(&rings[i].1, true, p);
                (i, c, d)
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .ok_or_else(|| "no ring to stand on".to_string())
    };
    let mut cps = Vec::new();
    for f in &checkpoints {
        let p = f.points().next().unwrap_or_default();
        match ring_of(f, p) {
            Ok((i, c, d)) if d <= SNAP => {
                if d > 0.01 {
                    notes.push(format!("{}: moved {:.2} m onto ring \"{}\"", f.label(), d, rings[i].0));
                }
                cps.push((*f, i, c));
            }
            Ok((i, _, d)) => problems.push(format!(
                "{}: {:.1} m from the nearest ring (\"{}\"); a checkpoint stands on its ring (within {SNAP} m)",
                f.label(),
                d,
                rings[i].0
            )),
            Err(e) => problems.push(format!("{}: {e}", f.label())),
        }
    }
    let mut ring_doors = Vec::new();
    for f in &doors {
        let p = f.points().next().unwrap_or_default();
        let width = f.num("width").unwrap_or(2.0);
        match ring_of(f, p) {
            Ok((i, c, d)) if d <= SNAP => {
                if d > 0.01 {
                    notes.push(format!("{}: moved {:.2} m onto ring \"{}\"", f.label(), d, rings[i].0));
                }
                ring_doors.push((*f, i, c, width));
            }
            Err(e) if f.text("ring").is_some() => problems.push(format!("{}: {e}", f.label())),
            _ => {
                if cut_gap(&mut walls, p, width) {
                    notes.push(format!(
                        "{}: a gap {} m wide in the wall there (two-way)",
                        f.label(),
                        num(width)
                    ));
                } else {
                    notes.push(format!(
                        "{}: on no ring and no wall (within {SNAP} m): skipped",
                        f.label()
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(invalid(&opts.file, problems));
    }

    // --- the venue file
    let mut v = String::new();
    let _ = writeln!(
        v,
        "// Venue imported by `cordon import geojson` from {}.",
        opts.source_name.replace('\n', " ")
    );
    let _ = writeln!(
        v,
        "// Metres, x east and y north of the origin (lat {}, lon {}; WGS84), in a transverse",
        imp.origin.lat, imp.origin.lon
    );
    let _ = writeln!(
        v,
        "// Mercator about it (proj4rs tmerc, scale 1 on the central meridian). Importing again"
    );
    let _ = writeln!(
        v,
        "// overwrites this file; the plan that names it is never overwritten."
    );
    let counts: Vec<String> = imp.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(v, "// Features: {}.", counts.join(", "));
    let (lo, hi) = imp.bounds;
    let _ = writeln!(
        v,
        "// Raster cell {} m: the finest of 0.25, 0.5 and 1 m giving at most 4 million cells over {} x {} m.",
        num(imp.cell),
        num(hi.0 - lo.0),
        num(hi.1 - lo.1)
    );
    let _ = writeln!(v, "(");
    let _ = writeln!(v, "    bounds: (min: {}, max: {}),", pt(lo), pt(hi));
    let _ = writeln!(v, "    cell_size: {},", num(imp.cell));
    let _ = writeln!(v, "    origin: (lat: {}, lon: {}),", imp.origin.lat, imp.origin.lon);
    let _ = writeln!(v, "    walls: [");
    for (name, l) in &walls {
        let _ = writeln!(v, "        (name: {}, points: {}),{}", q(name), pts(l), note(name));
    }
    for (k, e) in imp.walkable_edges.iter().enumerate() {
        if k == 0 {
            let _ = writeln!(v, "        // the edges of the walkable areas");
        }
        let _ = writeln!(
            v,
            "        (name: {}, points: {}),",
            q(&format!("walkable-edge-{}", k + 1)),
            pts(e)
        );
    }
    let _ = writeln!(v, "    ],");
    let _ = writeln!(v, "    obstacles: [");
    for f in imp
        .feats
        .iter()
        .filter(|f| matches!(f.role, Role::Building | Role::Obstacle))
    {
        for (k, (o, _)) in f.polys().enumerate() {
            let name = if k == 0 {
                f.name.clone()
            } else {
                format!("{}-{}", f.name, k + 1)
            };
            let _ = writeln!(
                v,
                "        (name: {}, polygon: {}), // {}",
                q(&name),
                pts(o),
                f.role.name()
            );
        }
    }
    let _ = writeln!(v, "    ],");
    let _ = writeln!(v, "    zones: [");
    for f in of(Role::Zone) {
        if let Some((o, _)) = f.polys().next() {
            let _ = writeln!(v, "        (name: {}, polygon: {}),{}", q(&f.name), pts(o), f.comment());
        }
    }
    let _ = writeln!(v, "    ],");
    let area = |f: &Feat, r: f64| -> String {
        let polys: Vec<&Vec<Point>> = f.polys().map(|(o, _)| o).collect();
        match (f.points().next(), polys.as_slice()) {
            (Some(p), _) => format!("Circle({}, {})", pt(p), num(f.num("radius").unwrap_or(r))),
            (None, [one]) => format!("Polygon({})", pts(one)),
            (None, many) => format!(
                "Polygons([{}])",
                many.iter().map(|p| pts(p)).collect::<Vec<_>>().join(", ")
            ),
        }
    };
    let _ = writeln!(v, "    sources: [");
    for f in of(Role::Source) {
        let _ = writeln!(
            v,
            "        (name: {}, area: {}),{}",
            q(&f.name),
            area(f, 5.0),
            f.comment()
        );
    }
    let _ = writeln!(v, "    ],");
    let _ = writeln!(v, "    targets: [");
    for f in imp
        .feats
        .iter()
        .filter(|f| matches!(f.role, Role::Hall | Role::Target | Role::Exit | Role::Assembly))
    {
        let _ = writeln!(
            v,
            "        (name: {}, area: {}), // {}",
            q(&f.name),
            area(f, 2.0),
            f.role.name()
        );
    }
    let _ = writeln!(v, "    ],");
    let _ = writeln!(v, ")");

    // --- the plan
    let mut p = String::new();
    let _ = writeln!(
        p,
        "// First plan for the site imported from {} by `cordon import geojson`:",
        opts.source_name.replace('\n', " ")
    );
    let _ = writeln!(
        p,
        "// its geometry is in {} (re-imported freely); this file is the plan, yours to",
        opts.venue_file
    );
    let _ = writeln!(
        p,
        "// tune: it is never overwritten. The crowd below is a placeholder (0.1 persons/s from each"
    );
    let _ = writeln!(
        p,
        "// source for half an hour): replace it by a `demand` section (docs/scenario.md)."
    );
    let _ = writeln!(p, "Scenario(");
    let _ = writeln!(p, "    name: {},", q(&opts.name));
    let _ = writeln!(
        p,
        "    description: {},",
        q(&format!("Imported from {}", opts.source_name))
    );
    let _ = writeln!(p, "    sim: (dt: 0.1, start: \"09:00\", end: \"10:00\", seed: 1),");
    let _ = writeln!(p, "    venue: (file: {}),", q(&opts.venue_file));
    let dests: Vec<&Feat> = imp
        .feats
        .iter()
        .filter(|f| matches!(f.role, Role::Hall | Role::Target))
        .collect();
    let exits: Vec<&Feat> = of(Role::Exit).collect();
    let dests = if dests.is_empty() { exits.clone() } else { dests };
    let _ = writeln!(p, "    crowd: [");
    if !dests.is_empty() {
        for s in of(Role::Source) {
            let choices: Vec<String> = (dests.iter())
                .map(|d| {
                    format!(
                        "(target: {}, weight: {})",
                        q(&d.name),
                        num(d.num("capacity").filter(|c| *c > 0.0).unwrap_or(1.0))
                    )
                })
                .collect();
            let ex = if exits.is_empty() || dests.iter().any(|d| d.role == Role::Exit) {
                String::new()
            } else {
                format!(
                    ", exits: [{}]",
                    exits
                        .iter()
                        .map(|e| format!("(target: {})", q(&e.name)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let _ = writeln!(
                p,
                "        (name: {}, source: {}, arrivals: Rates([(from: \"09:00\", to: \"09:30\", rate: 0.1)]),\n         destinations: [{}]{ex}),",
                q(&format!("from-{}", s.name)),
                q(&s.name),
                choices.join(", ")
            );
        }
    }
    let _ = writeln!(p, "    ],");
    let _ = writeln!(p, "    rings: [");
    for (name, poly, level, index) in &rings {
        let _ = writeln!(
            p,
            "        (name: {}, level: {level}, polygon: {}), // feature #{index}",
            q(name),
            pts(poly)
        );
    }
    let _ = writeln!(p, "    ],");
    let _ = writeln!(p, "    checkpoints: [");
    for (f, i, c) in &cps {
        let lanes = f.num("lanes").unwrap_or(2.0);
        let service = f.num("service").unwrap_or(24.0);
        let sd = f.num("service_sd").unwrap_or(service / 3.0);
        let width = f.num("queue_width").unwrap_or((1.5 * lanes).max(4.0));
        let length = f.num("queue_length").unwrap_or(20.0);
        let mut extra = String::new();
        for k in ["open", "close"] {
            if let Some(t) = f.text(k) {
                let _ = write!(extra, ", {k}: {}", q(&t));
            }
        }
        if let Some(a) = f.text("admit") {
            let names: Vec<String> = a.split(',').map(str::trim).filter(|s| !s.is_empty()).map(q).collect();
            let _ = write!(extra, ", admit: [{}]", names.join(", "));
        }
        if let Some(x) = f.num("exit") {
            let _ = write!(extra, ", exit: {}", num(x));
        }
        let _ = writeln!(
            p,
            "        (name: {}, ring: {}, position: {}, lanes: {}, service: LogNormal(mean: {}, sd: {}),\n         queue: (length: {}, width: {}){extra}), // feature #{}",
            q(&f.name),
            q(&rings[*i].0),
            pt(*c),
            lanes,
            num(service),
            num(sd),
            num(length),
            num(width),
            f.index
        );
    }
    let _ = writeln!(p, "    ],");
    let _ = writeln!(p, "    doors: [");
    for (f, i, c, w) in &ring_doors {
        let _ = writeln!(
            p,
            "        (name: {}, ring: {}, position: {}, width: {}), // feature #{}",
            q(&f.name),
            q(&rings[*i].0),
            pt(*c),
            num(*w),
            f.index
        );
    }
    let _ = writeln!(p, "    ],");
    let _ = writeln!(p, "    halls: [");
    for f in of(Role::Hall) {
        if let Some(c) = f.num("capacity") {
            let reopen = f
                .num("reopen_below")
                .map(|r| format!(", reopen_below: {}", r.round()))
                .unwrap_or_default();
            let _ = writeln!(
                p,
                "        (name: {}, target: {}, capacity: {}{reopen}),",
                q(&f.name),
                q(&f.name),
                c.round()
            );
        }
    }
    let _ = writeln!(p, "    ],");
    let _ = writeln!(p, "    responders: [");
    for f in of(Role::Post) {
        let kind = match f
            .text("kind")
            .map(|k| k.to_ascii_lowercase().replace([' ', '_', '-'], ""))
        {
            None => "Post",
            Some(k) => match k.as_str() {
                "post" => "Post",
                "footpatrol" | "police" => "FootPatrol",
                "bikepatrol" => "BikePatrol",
                "medical" => "Medical",
                "volunteer" => "Volunteer",
                "vehicle" => "Vehicle",
                _ => {
                    notes.push(format!("{}: kind \"{k}\" unknown, taken as a Post", f.label()));
                    "Post"
                }
            },
        };
        let count = f.num("count").unwrap_or(1.0);
        let speed = f.num("speed").unwrap_or(1.3);
        if let Some(pp) = f.points().next() {
            let _ = writeln!(
                p,
                "        (name: {}, kind: {kind}, count: {count}, speed: {}, handles: [], deployment: Post({})),",
                q(&f.name),
                num(speed),
                pt(pp)
            );
        }
    }
    let _ = writeln!(p, "    ],");
    let assembly: Vec<String> = of(Role::Assembly).map(|f| q(&f.name)).collect();
    if !assembly.is_empty() {
        let _ = writeln!(p, "    // an evacuation to the assembly points, to try:");
        let _ = writeln!(p, "    // evacuation: (at: \"09:40\", to: [{}]),", assembly.join(", "));
    }
    vehicles(&mut p, imp, &mut notes);
    let _ = writeln!(p, ")");
    Ok(Written {
        venue: v,
        plan: p,
        notes,
    })
}

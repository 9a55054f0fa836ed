//! `cordon import geojson`: distances and areas survive the projection (against WGS84 geodesics),
//! the shipped sample becomes a venue and a plan that pass `cordon check`, OpenStreetMap tags map
//! to roles, bad features are named with nothing written, and a re-import keeps the plan.

use cordon::import::projection::Projection;
use cordon::scenario::model::{Area, LatLon};
use geo::{Distance, Geodesic, GeodesicArea, LineString, Point, Polygon};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const ORIGIN: LatLon = LatLon {
    lat: 31.19,
    lon: 121.30,
};

fn cordon(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// `cordon import geojson INPUT --out OUT` and any `extra` arguments.
fn import(input: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let (i, o) = (input.display().to_string(), out.display().to_string());
    let mut args = vec!["import", "geojson", i.as_str(), "--out", o.as_str()];
    args.extend_from_slice(extra);
    cordon(&args)
}

/// Writes the feature collection `fc` to `f` and imports it to `out`.
fn import_fc(f: &Path, fc: &Value, out: &Path) -> std::process::Output {
    std::fs::write(f, fc.to_string()).unwrap();
    import(f, out, &[])
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cordon-import-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Shoelace area of a polygon, m².
fn area(p: &[(f64, f64)]) -> f64 {
    let n = p.len();
    ((0..n)
        .map(|i| p[i].0 * p[(i + 1) % n].1 - p[(i + 1) % n].0 * p[i].1)
        .sum::<f64>()
        / 2.0)
        .abs()
}

/// The geodesic (WGS84 ellipsoid) area of a GeoJSON polygon's outer ring, m².
fn geodesic_area(ring: &Value) -> f64 {
    let pts: Vec<(f64, f64)> = ring
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .collect();
    Polygon::new(LineString::from(pts), vec![]).geodesic_area_unsigned()
}

fn feature<'a>(gj: &'a Value, name: &str) -> &'a Value {
    gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["name"] == name)
        .unwrap()
}

fn venue(path: &Path) -> cordon::scenario::model::Venue {
    let t = std::fs::read_to_string(path).unwrap();
    let opts = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    opts.from_str(&t).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn projected_distances_are_within_a_thousandth_of_the_geodesic_over_two_kilometres() {
    let p = Projection::about(ORIGIN).unwrap();
    // points 0-2 km apart round the origin, in every direction
    let mut worst: f64 = 0.0;
    let mut n = 0;
    for i in -4..=4 {
        for j in -4..=4 {
            let a = (ORIGIN.lon + i as f64 * 0.0021, ORIGIN.lat + j as f64 * 0.0018);
            let b = (ORIGIN.lon - j as f64 * 0.0017, ORIGIN.lat + i as f64 * 0.0016);
            let truth = Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1));
            if truth < 50.0 {
                continue;
            }
            let (pa, pb) = (p.to_local(a.0, a.1).unwrap(), p.to_local(b.0, b.1).unwrap());
            let d = ((pa.0 - pb.0).powi(2) + (pa.1 - pb.1).powi(2)).sqrt();
            worst = worst.max((d - truth).abs() / truth);
            n += 1;
        }
    }
    assert!(n > 50, "{n} pairs");
    assert!(worst < 1e-3, "worst relative error {worst}");
    // in fact far below: the scale of a transverse Mercator 2 km off its meridian is 1 + 5e-8
    assert!(worst < 1e-5, "worst relative error {worst}");
    // and a known distance: 1 km due north on the meridian, by the geodesic's direct problem
    let north = ORIGIN.lat + 1000.0 / 110_852.0;
    let (x, y) = p.to_local(ORIGIN.lon, north).unwrap();
    let truth = Geodesic.distance(Point::new(ORIGIN.lon, ORIGIN.lat), Point::new(ORIGIN.lon, north));
    assert!(x.abs() < 1e-6 && (y - truth).abs() < 1e-3, "({x}, {y}) against {truth}");
}

#[test]
fn the_sample_site_round_trips_to_a_checked_scenario_with_its_areas_and_widths() {
    let d = dir("sample");
    let out = d.join("site.ron");
    let o = import(Path::new("scenarios/sample_site.geojson"), &out, &[]);
    assert!(o.status.success(), "{}", text(&o));
    let said = text(&o);
    assert!(
        said.contains("cordon check") && said.contains(": ok"),
        "the plan passes check: {said}"
    );
    assert!(
        said.contains("property `surface` is not known"),
        "unknown properties are listed: {said}"
    );
    assert!(
        said.contains("\"information board\""),
        "a feature without a role is reported: {said}"
    );
    let o = cordon(&["check", &out.display().to_string()]);
    assert!(o.status.success(), "{}", text(&o));

    let gj: Value = serde_json::from_str(&std::fs::read_to_string("scenarios/sample_site.geojson").unwrap()).unwrap();
    let v = venue(&d.join("site.venue.ron"));
    assert_eq!(v.origin, Some(ORIGIN), "the origin is the middle of the features");
    let within = |got: f64, want: f64, what: &str| {
        assert!((got - want).abs() / want < 0.005, "{what}: {got:.2} against {want:.2}");
    };
    // a zone's area
    let zone = v.zones.iter().find(|z| z.name == "queue-area").unwrap();
    within(
        area(&zone.polygon),
        geodesic_area(&feature(&gj, "queue-area")["geometry"]["coordinates"][0]),
        "zone area",
    );
    // the halls' floors
    for h in ["hall-a", "hall-b"] {
        let t = v.targets.iter().find(|t| t.name == h).unwrap();
        let Area::Polygon(poly) = &t.area else {
            panic!("{h}: {:?}", t.area)
        };
        within(
            area(poly),
            geodesic_area(&feature(&gj, h)["geometry"]["coordinates"][0]),
            h,
        );
    }
    // the walkable area: the union of the street and the site, which overlap in a 200 x 5 m strip
    let edge = v
        .walls
        .iter()
        .find(|w| w.name.as_deref() == Some("walkable-edge-1"))
        .unwrap();
    let walk = area(&edge.points[..edge.points.len() - 1]);
    let (street, site) = (
        &feature(&gj, "street")["geometry"]["coordinates"][0],
        &feature(&gj, "site")["geometry"]["coordinates"][0],
    );
    let overlap = {
        let (s, t) = (street.as_array().unwrap(), site.as_array().unwrap());
        // x of the site, y from the site's bottom to the street's top
        let (x0, x1, y0, y1) = (t[0][0].clone(), t[1][0].clone(), t[0][1].clone(), s[2][1].clone());
        serde_json::json!([[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
    };
    within(
        walk,
        geodesic_area(street) + geodesic_area(site) - geodesic_area(&overlap),
        "walkable area",
    );
    // a ring's length: the fence's perimeter against its geodesic length
    let plan = std::fs::read_to_string(&out).unwrap();
    let sc = cordon::scenario::parse_file(&plan, &out).unwrap();
    let fence = &sc.rings[0].polygon;
    let perim: f64 = (0..fence.len())
        .map(|i| {
            let (a, b) = (fence[i], fence[(i + 1) % fence.len()]);
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .sum();
    let ring = feature(&gj, "fence")["geometry"]["coordinates"][0]
        .as_array()
        .unwrap()
        .clone();
    let truth: f64 = ring
        .windows(2)
        .map(|w| {
            Geodesic.distance(
                Point::new(w[0][0].as_f64().unwrap(), w[0][1].as_f64().unwrap()),
                Point::new(w[1][0].as_f64().unwrap(), w[1][1].as_f64().unwrap()),
            )
        })
        .sum();
    within(perim, truth, "fence length");
    // the checkpoint drawn 0.3 m off the fence is on it, the door keeps its width
    assert_eq!(
        sc.checkpoints[0].position.1, sc.rings[0].polygon[0].1,
        "{:?}",
        sc.checkpoints[0].position
    );
    assert!(said.contains("moved 0.30 m onto ring \"fence\""), "{said}");
    assert_eq!(sc.doors[0].width, 3.0);
    assert_eq!(
        sc.halls.iter().map(|h| h.capacity).collect::<Vec<_>>(),
        vec![2000, 1500]
    );
    assert_eq!(sc.checkpoints[0].lanes, 4);
    // every element is there
    assert_eq!(
        (v.sources.len(), v.targets.len(), v.obstacles.len(), sc.responders.len()),
        (2, 4, 1, 1)
    );
}

#[test]
fn openstreetmap_tags_map_to_roles_and_an_entrance_in_a_fence_is_a_gap_of_its_width() {
    let d = dir("osm");
    let out = d.join("osm.ron");
    let o = import(Path::new("tests/scenarios/osm_sample.geojson"), &out, &["--osm-tags"]);
    assert!(o.status.success(), "{}", text(&o));
    let said = text(&o);
    assert!(said.contains(": ok"), "{said}");
    assert!(
        said.contains("\"kiosk\""),
        "shop=kiosk has no role and is reported: {said}"
    );
    let v = venue(&d.join("osm.venue.ron"));
    assert_eq!(
        v.obstacles.iter().map(|o| o.name.clone().unwrap()).collect::<Vec<_>>(),
        vec!["pavilion"]
    );
    assert_eq!(
        v.sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["metro", "car park"]
    );
    assert!(
        v.walls.iter().any(|w| w.name.as_deref() == Some("walkable-edge-1")),
        "the pedestrian area's edge"
    );
    // the fence is cut where the entrance is: its two pieces end 3 m apart
    let pieces: Vec<_> = v
        .walls
        .iter()
        .filter(|w| w.name.as_deref().is_some_and(|n| n.starts_with("yard fence")))
        .collect();
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    let (a, b) = (*pieces[0].points.last().unwrap(), pieces[1].points[0]);
    let gap = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    assert!((gap - 3.0).abs() / 3.0 < 0.005, "gap {gap} m");
    // a role from OSM tags on a shape it does not fit is skipped, not an error
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"building": "yes", "name": "shed"}, "geometry": {"type": "Point", "coordinates": ll(0.0, 0.0)}},
        {"type": "Feature", "properties": {"amenity": "parking", "name": "lot"}, "geometry": {"type": "Point", "coordinates": ll(10.0, 0.0)}},
        feat("hall", "target", "Point", ll(30.0, 0.0)),
    ]});
    std::fs::write(d.join("nodes.geojson"), fc.to_string()).unwrap();
    let o = import(&d.join("nodes.geojson"), &d.join("nodes.ron"), &["--osm-tags"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains(
            "\"shed\" (building), from its OSM tags: it must be a Polygon or a MultiPolygon, got 1 point; skipped"
        ),
        "{}",
        text(&o)
    );
    // without --osm-tags nothing has a role
    let o = import(
        Path::new("tests/scenarios/osm_sample.geojson"),
        &d.join("none.ron"),
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no feature has a role"), "{}", text(&o));
}

/// A feature of the given role and geometry, in lon/lat offsets (degrees) from the origin.
fn feat(name: &str, role: &str, gtype: &str, coords: Value) -> Value {
    serde_json::json!({"type": "Feature", "properties": {"name": name, "cordon:role": role}, "geometry": {"type": gtype, "coordinates": coords}})
}

fn ll(x: f64, y: f64) -> Value {
    // about 1 m per unit
    serde_json::json!([ORIGIN.lon + x / 95_300.0, ORIGIN.lat + y / 110_852.0])
}

#[test]
fn bad_features_are_named_and_nothing_is_written() {
    let d = dir("bad");
    let sq = |x0: f64, y0: f64, s: f64| {
        serde_json::json!([[
            ll(x0, y0),
            ll(x0 + s, y0),
            ll(x0 + s, y0 + s),
            ll(x0, y0 + s),
            ll(x0, y0)
        ]])
    };
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        feat("ok-zone", "zone", "Polygon", sq(0.0, 0.0, 10.0)),
        feat("open-zone", "zone", "Polygon", serde_json::json!([[ll(0.0, 0.0), ll(10.0, 0.0), ll(10.0, 10.0), ll(0.0, 10.0)]])),
        feat("bow-tie", "building", "Polygon", serde_json::json!([[ll(0.0, 0.0), ll(10.0, 10.0), ll(10.0, 0.0), ll(0.0, 10.0), ll(0.0, 0.0)]])),
        feat("sliver", "obstacle", "Polygon", serde_json::json!([[ll(0.0, 0.0), ll(10.0, 0.0), ll(0.0, 0.0)]])),
        feat("flat", "obstacle", "Polygon", serde_json::json!([[ll(0.0, 0.0), ll(5.0, 0.0), ll(10.0, 0.0), ll(0.0, 0.0)]])),
        feat("pointy-zone", "zone", "Point", ll(1.0, 1.0)),
        feat("mystery", "helipad", "Point", ll(1.0, 1.0)),
        feat("far-north", "source", "Point", serde_json::json!([121.3, 95.0])),
    ]});
    let f = d.join("bad.geojson");
    std::fs::write(&f, serde_json::to_string_pretty(&fc).unwrap()).unwrap();
    let out = d.join("bad.ron");
    let o = import(&f, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let said = text(&o);
    for (name, what) in [
        ("open-zone", "not closed"),
        ("bow-tie", "crosses itself"),
        ("sliver", "a closed ring needs at least 4"),
        ("flat", "zero area"),
        ("pointy-zone", "must be one Polygon"),
        ("mystery", "unknown cordon:role \"helipad\""),
        ("far-north", "latitude within ±85°"),
    ] {
        let line = said
            .lines()
            .find(|l| l.contains(&format!("\"{name}\"")))
            .unwrap_or_else(|| panic!("{name} not named: {said}"));
        assert!(line.contains(what), "{name}: {line}");
    }
    assert!(!said.contains("\"ok-zone\""), "{said}");
    assert!(!out.exists() && !d.join("bad.venue.ron").exists(), "nothing is written");

    // a checkpoint far from any ring
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        feat("yard", "ring", "Polygon", sq(0.0, 0.0, 40.0)),
        feat("gate", "checkpoint", "Point", ll(20.0, -30.0)),
    ]});
    let o = import_fc(&f, &fc, &out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("\"gate\" (checkpoint): 30.0 m from the nearest ring (\"yard\")"),
        "{}",
        text(&o)
    );

    // property values out of range or of the wrong kind are named, not mended
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        feat("yard", "ring", "Polygon", sq(0.0, 0.0, 40.0)),
        {"type": "Feature", "properties": {"name": "g1", "cordon:role": "checkpoint", "lanes": "NaN"}, "geometry": {"type": "Point", "coordinates": ll(20.0, 0.0)}},
        {"type": "Feature", "properties": {"name": "g2", "cordon:role": "checkpoint", "open": "25:99"}, "geometry": {"type": "Point", "coordinates": ll(10.0, 0.0)}},
        {"type": "Feature", "properties": {"name": "h1", "cordon:role": "hall", "capacity": 1e12}, "geometry": {"type": "Polygon", "coordinates": sq(5.0, 5.0, 10.0)}},
        {"type": "Feature", "properties": {"name": "p1", "cordon:role": "post", "count": 0}, "geometry": {"type": "Point", "coordinates": ll(3.0, 3.0)}},
        {"type": "Feature", "properties": {"name": "s1", "cordon:role": "source", "radius": -5}, "geometry": {"type": "Point", "coordinates": ll(3.0, 3.0)}},
    ]});
    let o = import_fc(&f, &fc, &out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    for (name, what) in [
        ("g1", "`lanes` must be a number"),
        ("g2", "`open` must be a clock time"),
        ("h1", "`capacity` must be a whole number 1 to 10000000"),
        ("p1", "`count` must be a whole number 1 to 10000"),
        ("s1", "`radius` must be 0.5 to 10000"),
    ] {
        let line = text(&o)
            .lines()
            .find(|l| l.contains(&format!("\"{name}\"")))
            .map(str::to_string);
        assert!(
            line.as_deref().is_some_and(|l| l.contains(what)),
            "{name}: {}",
            text(&o)
        );
    }
    assert!(!out.exists());

    // a ring of more positions than a scenario may have
    let big: Vec<Value> = (0..10_050)
        .map(|k| {
            let a = k as f64 / 10_050.0 * std::f64::consts::TAU;
            ll(50.0 * a.cos(), 50.0 * a.sin())
        })
        .collect();
    let mut ring = big.clone();
    ring.push(big[0].clone());
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [feat("round", "zone", "Polygon", serde_json::json!([ring]))]});
    let o = import_fc(&f, &fc, &out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("\"round\" (zone): a line or ring of 10051 positions; the limit is 10000"),
        "{}",
        text(&o)
    );

    // an output name with a line break, an output over the input
    let o = import(&f, &d.join("a\nb.ron"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = import(Path::new("scenarios/sample_site.geojson"), &d.join("x.ron"), &[]);
    assert!(o.status.success());
    std::fs::copy("scenarios/sample_site.geojson", d.join("in.venue.ron")).unwrap();
    let o = import(&d.join("in.venue.ron"), &d.join("in.ron"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("would overwrite its own input"), "{}", text(&o));

    // a plan that imports but does not check: written, exit 2, the problem shown
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        feat("block", "building", "Polygon", sq(0.0, 0.0, 40.0)),
        feat("inside", "target", "Point", ll(20.0, 20.0)),
        feat("street", "source", "Point", ll(-20.0, -20.0)),
    ]});
    let o = import_fc(&f, &fc, &out);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("written, but cordon check") && text(&o).contains("\"inside\""),
        "{}",
        text(&o)
    );
    assert!(out.exists());
    std::fs::remove_file(&out).unwrap();

    // not JSON: the line and column
    std::fs::write(&f, "{\"type\": \"FeatureCollection\",\n \"features\": [ oops ]}").unwrap();
    let o = import(&f, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains(&format!("{}:2:", f.display())), "{}", text(&o));
    assert!(!text(&o).contains("panicked"));
}

#[test]
fn importing_again_overwrites_the_venue_and_never_the_plan() {
    let d = dir("again");
    let out = d.join("site.ron");
    let again = || import(Path::new("scenarios/sample_site.geojson"), &out, &[]);
    assert!(again().status.success());
    let tuned = std::fs::read_to_string(&out).unwrap().replace("lanes: 4", "lanes: 6");
    std::fs::write(&out, &tuned).unwrap();
    std::fs::write(d.join("site.venue.ron"), "stale").unwrap();
    let o = again();
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("exists and was kept"), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        tuned,
        "the plan is the planner's"
    );
    assert!(
        std::fs::read_to_string(d.join("site.venue.ron"))
            .unwrap()
            .contains("bounds:"),
        "the venue is new"
    );
    assert!(d.join("site.imported.ron").exists());
    // the tuned plan runs on the new venue
    let o = cordon(&["check", &out.display().to_string()]);
    assert!(o.status.success(), "{}", text(&o));
    // --origin moves (0, 0)
    let o = import(
        Path::new("scenarios/sample_site.geojson"),
        &d.join("moved.ron"),
        &["--origin", "31.1905,121.2995"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let v = venue(&d.join("moved.venue.ron"));
    assert_eq!(
        v.origin,
        Some(LatLon {
            lat: 31.1905,
            lon: 121.2995
        })
    );
    // (0, 0) is now about 55 m north and 48 m west of the site's middle
    let Area::Polygon(h) = &v.targets[0].area else { panic!() };
    assert!(
        (h[0].0 - (-60.0 + 47.6)).abs() < 1.0 && (h[0].1 - (20.0 - 55.4)).abs() < 1.0,
        "{:?}",
        h[0]
    );
}

#[test]
fn roads_become_junctions_and_directed_links_and_the_plan_checks() {
    let d = dir("roads");
    let line = |pts: &[(f64, f64)]| Value::Array(pts.iter().map(|&(x, y)| ll(x, y)).collect());
    let road = |name: &str, pts: &[(f64, f64)], mut tags: Value| {
        tags["name"] = Value::from(name);
        serde_json::json!({"type": "Feature", "properties": tags, "geometry": {"type": "LineString", "coordinates": line(pts)}})
    };
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "metro", "railway": "subway_entrance"}, "geometry": {"type": "Point", "coordinates": ll(0.0, 0.0)}},
        {"type": "Feature", "properties": {"name": "hall", "building": "yes"}, "geometry": {"type": "Polygon", "coordinates": [[ll(20.0, 20.0), ll(60.0, 20.0), ll(60.0, 60.0), ll(20.0, 60.0), ll(20.0, 20.0)]]}},
        // a two-way primary road of 4 lanes at 60 km/h, through a junction at (-100, -100)
        road("A", &[(-300.0, -100.0), (-100.0, -100.0), (100.0, -100.0)], serde_json::json!({"highway": "primary", "lanes": "4", "maxspeed": "60"})),
        // one way from that junction
        road("B", &[(-100.0, -100.0), (-100.0, -250.0)], serde_json::json!({"highway": "secondary", "oneway": "yes"})),
        // starts 5 m from A's end: the same junction
        road("C", &[(103.0, -96.0), (100.0, -300.0)], serde_json::json!({"highway": "residential"})),
        // not for motor traffic
        road("path", &[(0.0, -50.0), (50.0, -50.0)], serde_json::json!({"highway": "footway"})),
    ]});
    std::fs::write(d.join("roads.geojson"), fc.to_string()).unwrap();
    let plan = d.join("roads.ron");
    let o = import(
        &d.join("roads.geojson"),
        &plan,
        &["--osm-tags", "--origin", "31.19,121.30"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("\"path\""), "the footway has no role: {}", text(&o));
    let c = cordon(&["check", plan.to_str().unwrap()]);
    assert!(c.status.success(), "{}", text(&c));
    let t = std::fs::read_to_string(&plan).unwrap();
    let sc = cordon::scenario::load::parse_str(&t, "roads.ron").unwrap_or_else(|e| panic!("{e}"));
    let vs = sc.vehicles.unwrap_or_else(|| panic!("no vehicles section:\n{t}"));
    let at = |n: &str| vs.nodes.iter().find(|x| x.name == n).map(|x| x.position).unwrap();
    eprintln!("{:?}", vs.nodes);
    assert_eq!(vs.nodes.len(), 5, "{t}");
    let links: Vec<(String, (i64, i64), (i64, i64), u32, f64)> = vs
        .links
        .iter()
        .map(|l| {
            let (a, b) = (at(&l.from), at(&l.to));
            (
                l.name.clone(),
                (a.0.round() as i64, a.1.round() as i64),
                (b.0.round() as i64, b.1.round() as i64),
                l.lanes,
                l.speed,
            )
        })
        .collect();
    for l in &links {
        eprintln!("{l:?}");
    }
    let want = [
        ("A-1", (-300, -100), (-100, -100), 2, 16.67),
        ("A-1 back", (-100, -100), (-300, -100), 2, 16.67),
        ("A-2", (-100, -100), (100, -100), 2, 16.67),
        ("A-2 back", (100, -100), (-100, -100), 2, 16.67),
        ("B", (-100, -100), (-100, -250), 1, 13.89),
        ("C", (100, -100), (100, -300), 1, 8.33),
        ("C back", (100, -300), (100, -100), 1, 8.33),
    ];
    assert_eq!(links.len(), want.len(), "{links:?}");
    for (w, l) in want.iter().zip(&links) {
        assert_eq!((w.0, w.1, w.2, w.3), (l.0.as_str(), l.1, l.2, l.3), "{l:?}");
        assert!((w.4 - l.4).abs() < 0.01, "{l:?}");
    }
    // the roads lie outside the walkers' bounds, which they do not stretch
    let v = venue(&d.join("roads.venue.ron"));
    assert!(v.bounds.min.1 > -20.0, "{:?}", v.bounds);
}

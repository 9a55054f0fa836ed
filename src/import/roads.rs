//! Roads for the plan's `vehicles` section: features with the role `road` (or, with
//! `--osm-tags`, OpenStreetMap `highway=*` lines for motor traffic) become directed links
//! between junctions. A junction is where roads share a vertex, or where a road ends; junctions
//! closer than [`MERGE`] m are one (single linkage, so distinct junctions stay at least that far
//! apart and every link is at least that long). A two-way road gives a link each way with half
//! its lanes (at least one); `oneway=yes` one link, `oneway=-1` one against the drawing.

use crate::scenario::model::Point;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Junctions closer than this are one, m (the scenario's shortest link).
pub const MERGE: f64 = 10.0;

/// Speed when a road gives none, km/h, by its `highway` class.
pub fn default_kmh(highway: Option<&str>) -> f64 {
    match highway.unwrap_or("") {
        "motorway" | "motorway_link" => 100.0,
        "trunk" | "trunk_link" => 80.0,
        "primary" | "primary_link" => 60.0,
        "secondary" | "secondary_link" => 50.0,
        "tertiary" | "tertiary_link" => 40.0,
        "residential" | "unclassified" | "busway" => 30.0,
        "service" | "living_street" => 20.0,
        _ => 50.0,
    }
}

/// Whether an OpenStreetMap `highway` value is a road for motor traffic.
pub fn is_motor_road(highway: &str) -> bool {
    matches!(
        highway,
        "motorway"
            | "trunk"
            | "primary"
            | "secondary"
            | "tertiary"
            | "unclassified"
            | "residential"
            | "service"
            | "living_street"
            | "road"
            | "busway"
            | "motorway_link"
            | "trunk_link"
            | "primary_link"
            | "secondary_link"
            | "tertiary_link"
    )
}

/// A speed limit as OpenStreetMap writes it: "50", "50 km/h", "30 mph", "none"; km/h.
pub fn parse_kmh(v: &Value) -> Option<f64> {
    if let Some(x) = v.as_f64() {
        return Some(x);
    }
    let s = v.as_str()?.trim().to_ascii_lowercase();
    let (num, factor) = if let Some(n) = s.strip_suffix("mph") {
        (n, 1.609_344)
    } else if let Some(n) = s.strip_suffix("km/h").or_else(|| s.strip_suffix("kmh")) {
        (n, 1.0)
    } else {
        (s.as_str(), 1.0)
    };
    num.trim().parse::<f64>().ok().map(|x| x * factor)
}

/// One road as drawn, in local metres.
#[derive(Debug, Clone)]
pub struct Road {
    /// Name.
    pub name: String,
    /// The line.
    pub line: Vec<Point>,
    /// Lanes in each direction it is driven.
    pub lanes: u32,
    /// Speed limit, m/s.
    pub speed: f64,
    /// Driven along the drawing.
    pub forward: bool,
    /// Driven against it.
    pub back: bool,
}

/// A link to write.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkOut {
    /// Name.
    pub name: String,
    /// Start junction.
    pub from: usize,
    /// End junction.
    pub to: usize,
    /// Lanes.
    pub lanes: u32,
    /// Speed limit, m/s.
    pub speed: f64,
    /// Bends between.
    pub via: Vec<Point>,
}

/// The junctions (name, position) and links of `roads`; what was dropped goes to `notes`.
pub fn network(roads: &[Road], notes: &mut Vec<String>) -> (Vec<(String, Point)>, Vec<LinkOut>) {
    let key = |p: Point| ((p.0 * 100.0).round() as i64, (p.1 * 100.0).round() as i64);
    // vertices used more than once (by two roads, or a road twice) and every road's ends
    let mut uses: BTreeMap<(i64, i64), u32> = BTreeMap::new();
    for r in roads {
        for &p in &r.line {
            *uses.entry(key(p)).or_default() += 1;
        }
    }
    let mut cand: Vec<Point> = Vec::new();
    let mut cand_of: BTreeMap<(i64, i64), usize> = BTreeMap::new();
    for r in roads {
        let n = r.line.len();
        for (k, &p) in r.line.iter().enumerate() {
            let kk = key(p);
            if (k == 0 || k + 1 == n || uses[&kk] > 1) && !cand_of.contains_key(&kk) {
                cand_of.insert(kk, cand.len());
                cand.push(p);
            }
        }
    }
    // single-linkage merging within MERGE, on a grid of MERGE cells
    let mut parent: Vec<usize> = (0..cand.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let cell = |p: Point| ((p.0 / MERGE).floor() as i64, (p.1 / MERGE).floor() as i64);
    let mut grid: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    for (i, &p) in cand.iter().enumerate() {
        let (cx, cy) = cell(p);
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &j in grid.get(&(cx + dx, cy + dy)).map_or(&[][..], |v| v.as_slice()) {
                    let q = cand[j];
                    if ((p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)).sqrt() < MERGE {
                        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                        // the earlier candidate stands for the group
                        let (lo, hi) = (a.min(b), a.max(b));
                        parent[hi] = lo;
                    }
                }
            }
        }
        grid.entry((cx, cy)).or_default().push(i);
    }
    // junctions in order of first appearance
    let mut junction_of: Vec<Option<usize>> = vec![None; cand.len()];
    let mut nodes: Vec<(String, Point)> = Vec::new();
    for i in 0..cand.len() {
        let r = root(&mut parent, i);
        if junction_of[r].is_none() {
            junction_of[r] = Some(nodes.len());
            nodes.push((format!("j{}", nodes.len() + 1), cand[r]));
        }
        junction_of[i] = junction_of[r];
    }
    let mut names: BTreeSet<String> = BTreeSet::new();
    let mut unique = |n: String| -> String {
        let mut name = n.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{n} #{k}");
            k += 1;
        }
        names.insert(name.clone());
        name
    };
    let mut links = Vec::new();
    for r in roads {
        // cut at every junction vertex
        let mut pieces: Vec<(usize, usize, Vec<Point>)> = Vec::new();
        let mut start: Option<usize> = None;
        let mut via = Vec::new();
        for &p in &r.line {
            match cand_of.get(&key(p)).and_then(|&c| junction_of[c]) {
                Some(j) => {
                    if let Some(s) = start {
                        pieces.push((s, j, std::mem::take(&mut via)));
                    }
                    start = Some(j);
                }
                None => via.push(p),
            }
        }
        // a loop back to its own junction (a ring road, a roundabout) gets a junction at its
        // bend farthest from there, and is two pieces; a loop within MERGE of it is left out
        let mut cut = Vec::new();
        for (a, b, via) in pieces {
            if a != b {
                cut.push((a, b, via));
                continue;
            }
            let at = nodes[a].1;
            let dist = |p: Point| ((p.0 - at.0).powi(2) + (p.1 - at.1).powi(2)).sqrt();
            let far = (0..via.len()).max_by(|&i, &j| dist(via[i]).total_cmp(&dist(via[j])));
            match far.filter(|&k| dist(via[k]) >= MERGE) {
                Some(k) => {
                    let m = nodes.len();
                    nodes.push((format!("j{}", m + 1), via[k]));
                    cut.push((a, m, via[..k].to_vec()));
                    cut.push((m, a, via[k + 1..].to_vec()));
                }
                None => notes.push(format!(
                    "road \"{}\": a loop within {MERGE} m of junction {} is left out",
                    r.name, nodes[a].0
                )),
            }
        }
        let pieces = cut;
        let several = pieces.len() > 1;
        for (k, (a, b, via)) in pieces.into_iter().enumerate() {
            let base = if several {
                format!("{}-{}", r.name, k + 1)
            } else {
                r.name.clone()
            };
            if r.forward {
                links.push(LinkOut {
                    name: unique(base.clone()),
                    from: a,
                    to: b,
                    lanes: r.lanes,
                    speed: r.speed,
                    via: via.clone(),
                });
            }
            if r.back {
                links.push(LinkOut {
                    name: unique(if r.forward { format!("{base} back") } else { base }),
                    from: b,
                    to: a,
                    lanes: r.lanes,
                    speed: r.speed,
                    via: via.into_iter().rev().collect(),
                });
            }
        }
    }
    (nodes, links)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_limits_as_openstreetmap_writes_them() {
        assert_eq!(parse_kmh(&Value::from("50")), Some(50.0));
        assert_eq!(parse_kmh(&Value::from(60)), Some(60.0));
        assert_eq!(parse_kmh(&Value::from("40 km/h")), Some(40.0));
        assert!((parse_kmh(&Value::from("30 mph")).unwrap_or(0.0) - 48.28).abs() < 0.01);
        assert_eq!(parse_kmh(&Value::from("none")), None);
    }

    #[test]
    fn junctions_closer_than_ten_metres_are_one_and_a_loop_within_one_is_dropped() {
        let road = |name: &str, line: Vec<Point>| Road {
            name: name.into(),
            line,
            lanes: 1,
            speed: 10.0,
            forward: true,
            back: false,
        };
        let mut notes = Vec::new();
        // a chain of ends 6 m apart: one junction (single linkage), though its ends are 12 m apart
        let (nodes, links) = network(
            &[
                road("a", vec![(0.0, 0.0), (100.0, 0.0)]),
                road("b", vec![(106.0, 0.0), (106.0, 100.0)]),
                road("c", vec![(112.0, 0.0), (200.0, 0.0)]),
                road("tiny", vec![(100.0, 3.0), (104.0, 3.0)]),
            ],
            &mut notes,
        );
        assert_eq!(nodes.len(), 4, "{nodes:?}");
        assert_eq!(links.len(), 3, "{links:?}");
        assert!(links.iter().all(|l| l.from != l.to));
        assert_eq!(notes.len(), 1, "{notes:?}");
        // every junction stands for its group by its first member
        assert_eq!(nodes[1].1, (100.0, 0.0));
    }

    #[test]
    fn a_ring_road_with_one_junction_is_cut_in_two_at_its_far_bend() {
        let mut notes = Vec::new();
        let ring = Road {
            name: "ring".into(),
            line: vec![(0.0, 0.0), (100.0, 0.0), (100.0, 50.0), (0.0, 50.0), (0.0, 0.0)],
            lanes: 1,
            speed: 10.0,
            forward: true,
            back: false,
        };
        let (nodes, links) = network(&[ring], &mut notes);
        assert_eq!(nodes.len(), 2, "{nodes:?}");
        assert_eq!(nodes[1].1, (100.0, 50.0));
        assert_eq!(links.len(), 2, "{links:?}");
        assert_eq!((links[0].from, links[0].to, links[1].from, links[1].to), (0, 1, 1, 0));
        assert!(notes.is_empty(), "{notes:?}");
    }
}

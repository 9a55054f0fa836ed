//! Visitor classes and credentials: a checkpoint with `admit` lets in only those classes, the
//! others choose another gate, and a class no gate of a ring admits is turned away there and
//! counted, never passing the ring.

mod common;

use cordon::checkpoint::{CheckpointState, Queued};
use cordon::crowd::{Agent, Position};

/// Two gates on a fence: "west" admits the public and VIPs, "east" (the VIP lane, nearer the
/// VIPs' drop-off) only VIPs; the press have no credentials for either.
const SITE: &str = r#"Scenario(
    name: "credentials",
    sim: (dt: 0.1, start: "09:00", end: "09:20", seed: 3),
    venue: (
        bounds: (min: (0, 0), max: (160, 100)),
        sources: [
            (name: "street", area: Polygon([(20, 2), (140, 2), (140, 6), (20, 6)])),
            (name: "drop-off", area: Polygon([(110, 10), (130, 10), (130, 14), (110, 14)])),
        ],
        targets: [(name: "hall", area: Polygon([(70, 80), (90, 80), (90, 90), (70, 90)]))],
    ),
    crowd: [
        (name: "visitors", class: "public", source: "street", destinations: [(target: "hall")],
         arrivals: Rates([(from: "09:00", to: "09:10", rate: 0.4)])),
        (name: "guests", class: "vip", source: "drop-off", destinations: [(target: "hall")],
         arrivals: Rates([(from: "09:00", to: "09:10", rate: 0.05)])),
        (name: "reporters", class: "press", source: "street", destinations: [(target: "hall")],
         arrivals: Rates([(from: "09:00", to: "09:10", rate: 0.05)])),
    ],
    rings: [(name: "fence", level: Perimeter, polygon: [(10, 40), (150, 40), (150, 98), (10, 98)])],
    checkpoints: [
        (name: "west", ring: "fence", position: (40, 40), lanes: 4, service: Fixed(8), queue: (length: 20, width: 8),
         admit: ["public", "vip"]),
        (name: "east", ring: "fence", position: (120, 40), lanes: 1, service: Fixed(8), queue: (length: 10, width: 4),
         admit: ["vip"]),
    ],
)"#;

#[test]
fn a_vip_lane_serves_only_vips_and_a_class_without_credentials_never_passes_the_ring() {
    let v = common::from_text(SITE);
    let mut sim = common::sim(&v, 5);
    let (mut at_east, mut inside) = (Vec::new(), Vec::new());
    let r = sim.run(|w| {
        let mut q = w.try_query::<(&Agent, &Queued)>().unwrap();
        for (a, qd) in q.iter(w) {
            if qd.cp == 1 {
                at_east.push(a.group);
            }
        }
        let mut q = w.try_query::<(&Agent, &Position)>().unwrap();
        for (a, p) in q.iter(w) {
            if p.0.y > 41.0 {
                inside.push(a.group);
            }
        }
    });
    let st = sim.world().resource::<CheckpointState>();
    let sec = r.security.as_ref().expect("a security section");
    let classes: Vec<(&str, u64, u64)> = sec
        .classes
        .iter()
        .map(|c| (c.class.as_str(), c.entered, c.turned_away))
        .collect();
    eprintln!(
        "served west {}, east {}; turned away west {}, east {}; by class {classes:?}",
        st.records[0].served.len(),
        st.records[1].served.len(),
        st.records[0].turned_away,
        st.records[1].turned_away
    );
    assert!(!at_east.is_empty(), "nobody used the VIP lane: the test is too light");
    assert!(
        at_east.iter().all(|&g| g == 1),
        "someone not a VIP queued at the VIP lane"
    );
    assert!(!inside.contains(&2), "a reporter got inside the fence");
    // every reporter who arrived was turned away, and counted by class and by gate
    let spawned_press = r.groups.iter().find(|g| g.name == "reporters").unwrap().spawned;
    let press = sec.classes.iter().find(|c| c.class == "press").unwrap();
    assert_eq!(press.entered, 0);
    assert_eq!(press.turned_away, spawned_press, "reporters still walking at the end?");
    assert_eq!(st.records[0].turned_away + st.records[1].turned_away, spawned_press);
    let public = sec.classes.iter().find(|c| c.class == "public").unwrap();
    assert!(public.entered > 200 && public.turned_away == 0, "{public:?}");
    let vip = sec.classes.iter().find(|c| c.class == "vip").unwrap();
    assert!(vip.entered > 20 && vip.turned_away == 0, "{vip:?}");
    // nobody lost: whoever is not present has left, the turned away among them
    assert_eq!(r.totals.spawned - r.totals.exited, r.totals.present_at_end);
    // `check --capacity` sends each class only where it may go, and the press nowhere
    let t = cordon::capacity::table(&v);
    let total = |k: usize| t[k].windows.iter().map(|w| w.demand).sum::<f64>();
    assert!((total(0) - 0.4 * 600.0).abs() < 1e-6, "west: {}", total(0));
    assert!((total(1) - 0.05 * 600.0).abs() < 1e-6, "east: {}", total(1));
    // an unknown class in `admit` is named
    let e = common::error_of(&SITE.replace("admit: [\"vip\"]", "admit: [\"vips\"]"));
    assert!(
        e.contains("admit: no crowd group has class \"vips\"; known classes: \"public\", \"vip\", \"press\""),
        "{e}"
    );
}

#[test]
fn report_html_lists_the_classes_with_their_names_escaped() {
    let text = SITE.replace("\"press\"", "\"<b>press</b>\"");
    let v = common::from_text(&text);
    let mut sim = common::sim(&v, 5);
    let r = sim.run(|_| {});
    let h = cordon::figures::html::classes_table(&r);
    assert!(h.contains("<table id=\"classes\">"), "{h}");
    assert!(
        h.contains("<td>&lt;b&gt;press&lt;/b&gt;</td><td>0</td><td>—</td>"),
        "{h}"
    );
    assert!(!h.contains("<b>press"), "{h}");
    // without classes: no table
    let plain = SITE
        .replace("class: \"public\", ", "")
        .replace("class: \"vip\", ", "")
        .replace("class: \"press\", ", "")
        .replace(",\n         admit: [\"public\", \"vip\"]", "")
        .replace(",\n         admit: [\"vip\"]", "");
    let v = common::from_text(&plain);
    let r = common::sim(&v, 5).run(|_| {});
    assert_eq!(cordon::figures::html::classes_table(&r), "");
}

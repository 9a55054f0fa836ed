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

/// One lane, a fixed 8 s, everyone at once: staff (screening_factor 0.5) and visitors with
/// luggage (2) through the same gate; items carried by the visitors only.
const FACTORS: &str = r#"Scenario(
    name: "screening-factors",
    sim: (dt: 0.1, start: "09:00", end: "10:00", seed: 9),
    venue: (
        bounds: (min: (0, 0), max: (60, 60)),
        sources: [(name: "street", area: Polygon([(5, 2), (55, 2), (55, 10), (5, 10)]))],
        targets: [(name: "hall", area: Polygon([(20, 45), (40, 45), (40, 55), (20, 55)]))],
    ),
    crowd: [
        (name: "staff", class: "staff", screening_factor: 0.5, source: "street", destinations: [(target: "hall")],
         arrivals: Count(count: 60, from: "09:00", to: "09:00:30")),
        (name: "visitors", class: "public", screening_factor: 2, source: "street", destinations: [(target: "hall")],
         arrivals: Count(count: 60, from: "09:00", to: "09:00:30")),
    ],
    rings: [(name: "fence", polygon: [(2, 20), (58, 20), (58, 58), (2, 58)])],
    checkpoints: [(name: "gate", ring: "fence", position: (30, 20), lanes: 1, service: Fixed(8), queue: (length: 20, width: 10),
                   detection: [(item: "knife", probability: 0.5)])],
    threats: [(item: "knife", carriers: [(group: "visitors", fraction: 0.5)])],
)"#;

#[test]
fn a_class_screens_at_its_own_pace_and_the_report_splits_waits_and_interceptions_by_class() {
    let v = common::from_text(FACTORS);
    let mut sim = common::sim(&v, 1);
    let r = sim.run(|_| {});
    let st = sim.world().resource::<CheckpointState>();
    // the lane is busy 60 × 4 s + 60 × 16 s = 1200 s (without the factors: 960 s)
    let served = &st.records[0].served;
    assert_eq!(served.len(), 120, "everyone screened");
    let q = &st.queues[0];
    let busy: f64 = q.busy_seconds().iter().sum();
    assert!((busy - 1200.0).abs() < 1e-6, "lane busy {busy} s, not 60 x 4 + 60 x 16");
    let sec = r.security.as_ref().unwrap();
    let class = |n: &str| sec.classes.iter().find(|c| c.class == n).unwrap();
    let (staff, public) = (class("staff"), class("public"));
    // the waits are split by class: 120 passages in all
    assert_eq!(staff.wait_s.count + public.wait_s.count, 120, "{staff:?} {public:?}");
    // carriers only among the visitors; per class the items add up to the totals
    let item = &sec.items[0];
    let (s_it, p_it) = (&staff.items[0], &public.items[0]);
    assert_eq!(s_it.carriers, 0);
    assert_eq!(s_it.intercepted, 0);
    assert_eq!(p_it.carriers, item.carriers, "{item:?}");
    assert_eq!(p_it.intercepted, item.intercepted);
    assert_eq!(p_it.undetected_reached_innermost, item.undetected_reached_innermost);
    assert!(
        item.carriers > 15 && item.intercepted > 3,
        "too few carriers to tell: {item:?}"
    );
    // a factor out of range is named
    let e = common::error_of(&FACTORS.replace("screening_factor: 0.5", "screening_factor: 0"));
    assert!(
        e.contains("screening_factor must be above 0 and at most 10, got 0"),
        "{e}"
    );
}

/// People leave a fenced yard by its two exit doors: the staff door (near them) admits staff
/// only, the public door is across the yard.
const DOORS: &str = r#"Scenario(
    name: "door-admit",
    sim: (dt: 0.1, start: "09:00", end: "09:10", seed: 4),
    venue: (
        bounds: (min: (0, 0), max: (80, 60)),
        sources: [(name: "yard", area: Polygon([(50, 30), (70, 30), (70, 50), (50, 50)]))],
        targets: [(name: "street", area: Polygon([(2, 2), (78, 2), (78, 6), (2, 6)]))],
    ),
    crowd: [
        (name: "staff", class: "staff", source: "yard", destinations: [(target: "street")],
         arrivals: Count(count: 40, from: "09:00", to: "09:01")),
        (name: "visitors", class: "public", source: "yard", destinations: [(target: "street")],
         arrivals: Count(count: 40, from: "09:00", to: "09:01")),
    ],
    rings: [(name: "fence", polygon: [(5, 20), (75, 20), (75, 55), (5, 55)])],
    doors: [
        (name: "staff-door", ring: "fence", position: (60, 20), width: 2, admit: ["staff"]),
        (name: "public-door", ring: "fence", position: (15, 20), width: 3),
    ],
)"#;

#[test]
fn a_door_lets_out_only_the_classes_it_admits() {
    let v = common::from_text(DOORS);
    let r = common::sim(&v, 2).run(|_| {});
    let sec = r.security.as_ref().unwrap();
    let passed = |n: &str| sec.doors.iter().find(|d| d.name == n).unwrap().passed;
    // the visitors walk past the staff door to the public one; staff take theirs
    assert_eq!(passed("staff-door"), 40, "{:?}", sec.doors);
    assert_eq!(passed("public-door"), 40, "{:?}", sec.doors);
    assert_eq!(r.totals.exited, 80);
    // without admit the visitors use the near door too
    let open = DOORS.replace(", admit: [\"staff\"]", "");
    let r = common::sim(&common::from_text(&open), 2).run(|_| {});
    let sec = r.security.as_ref().unwrap();
    let near = sec.doors.iter().find(|d| d.name == "staff-door").unwrap().passed;
    assert!(near > 60, "{:?}", sec.doors);
    // an unknown class is named
    let e = common::error_of(&DOORS.replace("admit: [\"staff\"]", "admit: [\"stuff\"]"));
    assert!(
        e.contains("door \"staff-door\": admit: no crowd group has class \"stuff\""),
        "{e}"
    );
}

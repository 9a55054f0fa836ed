//! Plain serde data for a scenario file: what a planner writes, before validation.
//!
//! Every struct denies unknown fields, so a typo is an error with a line and
//! column, never a silently ignored setting. Units are SI: metres, seconds,
//! persons, persons per second.

pub use super::vehicles::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name, used for the default output folder `out/<name>/`.
    pub name: String,
    /// Free text shown in reports.
    #[serde(default)]
    pub description: String,
    /// Time step, clock window and seed.
    pub sim: SimSettings,
    /// Geometry: bounds, walls, obstacles, zones, sources and targets.
    pub venue: Venue,
    /// Visitor groups.
    #[serde(default)]
    pub crowd: Vec<CrowdGroup>,
    /// Demand: crowd groups generated from attendance, an arrival profile, the split by mode of
    /// travel and visitor classes (added to `crowd`).
    #[serde(default)]
    pub demand: Option<Demand>,
    /// Parameters of the operational (pedestrian) model.
    #[serde(default)]
    pub model: ModelParams,
    /// What to measure and how often.
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// Security rings: closed barriers crossed only through their checkpoints.
    #[serde(default)]
    pub rings: Vec<Ring>,
    /// Screening checkpoints on the rings.
    #[serde(default)]
    pub checkpoints: Vec<CheckpointSpec>,
    /// Exit-only doors in the rings: openings people walk out through (never in).
    #[serde(default)]
    pub doors: Vec<DoorSpec>,
    /// Halls (buildings, exhibition halls): targets with a licensed capacity whose occupants
    /// are counted.
    #[serde(default)]
    pub halls: Vec<HallSpec>,
    /// An evacuation order (default: none).
    #[serde(default)]
    pub evacuation: Option<EvacuationSpec>,
    /// Item classes some visitors carry (prohibited items, contraband).
    #[serde(default)]
    pub threats: Vec<Threat>,
    /// Response units: patrols, posts, medical teams, volunteers.
    #[serde(default)]
    pub responders: Vec<ResponderSpec>,
    /// Incident types and how often and where they happen.
    #[serde(default)]
    pub incidents: Vec<IncidentSpec>,
    /// How units are sent to incidents, and the response-time thresholds.
    #[serde(default)]
    pub dispatch: DispatchSettings,
    /// The contingency timeline: actions (lanes, closing and reopening checkpoints, meters,
    /// surges of arrivals, an evacuation order) at clock times or on rules over what is
    /// measured, undone after `for` seconds or when a rule's `until` holds.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// Roads and vehicles: classes, links, vehicle rings and checkpoints, destinations and flows
    /// (default: none).
    #[serde(default)]
    pub vehicles: Option<Vehicles>,
}

/// One action of the contingency timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelineEntry {
    /// Clock time it happens (give this or `when`).
    #[serde(default)]
    pub at: Option<ClockTime>,
    /// A rule instead of a time: it happens when this holds (give this or `at`).
    #[serde(default)]
    pub when: Option<Condition>,
    /// For a rule: it is undone when this holds, and can then happen again (hysteresis: a
    /// level well below `when`'s, so the rule does not flap).
    #[serde(default)]
    pub until: Option<Condition>,
    /// Seconds after which it is undone (default: never): the checkpoint's lanes go back to what
    /// they were, a closed checkpoint reopens, a reopened one closes again.
    #[serde(default)]
    pub r#for: Option<f64>,
    /// What happens.
    pub r#do: Action,
}

/// A measured quantity against a level, for a timeline rule: true while the quantity is above
/// `above` (or below `below`; give one) and has been for `for` seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Condition {
    /// Persons in a checkpoint's queue (in its pen; those held outside a full pen not counted).
    QueueLength {
        /// Checkpoint name.
        checkpoint: String,
        /// True above this many.
        #[serde(default)]
        above: Option<f64>,
        /// True below this many.
        #[serde(default)]
        below: Option<f64>,
        /// Seconds it must have held (default 0).
        #[serde(default)]
        r#for: f64,
    },
    /// Occupants of a hall.
    Occupancy {
        /// Hall name.
        hall: String,
        /// True above this many.
        #[serde(default)]
        above: Option<f64>,
        /// True below this many.
        #[serde(default)]
        below: Option<f64>,
        /// Seconds it must have held (default 0).
        #[serde(default)]
        r#for: f64,
    },
    /// The densest density cell of a zone at the last density sample, persons/m².
    Density {
        /// Zone name.
        zone: String,
        /// True above this density.
        #[serde(default)]
        above: Option<f64>,
        /// True below this density.
        #[serde(default)]
        below: Option<f64>,
        /// Seconds it must have held (default 0).
        #[serde(default)]
        r#for: f64,
    },
    /// The longest anyone now in a checkpoint's queue has waited so far (the head of its
    /// queue: waits count from reaching the back of the queue, outside a full pen too), s.
    WaitAtCheckpoint {
        /// Checkpoint name.
        checkpoint: String,
        /// True above this many seconds.
        #[serde(default)]
        above: Option<f64>,
        /// True below this many seconds.
        #[serde(default)]
        below: Option<f64>,
        /// Seconds it must have held (default 0).
        #[serde(default)]
        r#for: f64,
    },
    /// Incidents of a type (an `incidents` entry's `kind`) open now: happened and not yet
    /// resolved.
    IncidentOfKind {
        /// Incident type.
        kind: String,
        /// True above this many (`above: 0`: while one is open).
        #[serde(default)]
        above: Option<f64>,
        /// True below this many.
        #[serde(default)]
        below: Option<f64>,
        /// Seconds it must have held (default 0).
        #[serde(default)]
        r#for: f64,
    },
}

impl Condition {
    /// The name it watches, its above and below levels and how long it must hold.
    pub fn parts(&self) -> (&str, Option<f64>, Option<f64>, f64) {
        match self {
            Condition::QueueLength {
                checkpoint: n,
                above,
                below,
                r#for,
            }
            | Condition::Occupancy {
                hall: n,
                above,
                below,
                r#for,
            }
            | Condition::Density {
                zone: n,
                above,
                below,
                r#for,
            }
            | Condition::WaitAtCheckpoint {
                checkpoint: n,
                above,
                below,
                r#for,
            }
            | Condition::IncidentOfKind {
                kind: n,
                above,
                below,
                r#for,
            } => (n, *above, *below, *r#for),
        }
    }
}

/// What a timeline entry does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// Open `open` of the checkpoint's lanes (0 to the lanes it has): a staffing change, a lane
    /// breaking down or being repaired. Lanes closed take nobody new; whoever is being screened
    /// in one finishes.
    Lanes {
        /// Checkpoint name.
        checkpoint: String,
        /// Lanes open from then on.
        open: u32,
    },
    /// Close a checkpoint: nobody new is screened there; its queue and everyone on the way to it
    /// re-route to the best open crossing by expected time (walk, queue and service).
    Close {
        /// Checkpoint name.
        checkpoint: String,
    },
    /// Reopen a checkpoint the timeline closed.
    Reopen {
        /// Checkpoint name.
        checkpoint: String,
    },
    /// Stop (`open: false`) or resume admission to a hall: stopped, newcomers wait outside it as
    /// at capacity; resumed, its capacity rule decides again. `for` or a rule's `until` does the
    /// opposite.
    Admission {
        /// Hall name.
        hall: String,
        /// Whether it admits.
        open: bool,
    },
    /// Meter a checkpoint: at most `per_minute` persons start screening in any clock minute (0
    /// lifts a meter); the rest wait in its queue.
    Meter {
        /// Checkpoint name.
        checkpoint: String,
        /// Persons a minute (0: no meter).
        per_minute: f64,
    },
    /// An evacuation order (as the scenario's `evacuation`, which it replaces: one order a run):
    /// everyone in `zones` (default: the whole venue) walks to the nearest target of `to`.
    /// On a rule it is given when the rule fires. It is not undone.
    Evacuate {
        /// Zones evacuated (default: the whole venue).
        #[serde(default)]
        zones: Vec<String>,
        /// Where evacuees go: the nearest of these targets by walking time.
        to: Vec<String>,
    },
    /// Close an exit door (a `doors` entry, or a checkpoint's exit door, "<checkpoint> exit"):
    /// nobody goes out through it; everyone on the way to it chooses another way out by expected
    /// time. Undone by `for`, `until` or `ReopenDoor`.
    CloseDoor {
        /// Door name.
        door: String,
    },
    /// Reopen a door the timeline closed.
    ReopenDoor {
        /// Door name.
        door: String,
    },
    /// Close a road link of the `vehicles` section to traffic: nobody enters it (those on it
    /// drive out), and every vehicle whose route goes through it takes the quickest open way
    /// from where it is; one with no open way is held before it. Undone by `for`, `until` or
    /// `OpenRoad`.
    CloseRoad {
        /// Link name.
        link: String,
    },
    /// Open a road link the timeline closed: vehicles routed round it take the quickest way again.
    OpenRoad {
        /// Link name.
        link: String,
    },
    /// Open `open` of a vehicle checkpoint's booths (0 to its `lanes`): booths staffed for a
    /// peak, or closed at a quiet hour. A booth closed takes no new vehicle; one being
    /// inspected in it finishes. `for` or a rule's `until` goes back to the booths open before.
    Booths {
        /// Vehicle checkpoint name.
        checkpoint: String,
        /// Booths open from then on.
        open: u32,
    },
    /// Meter an exit door (a `doors` entry or "<checkpoint> exit"): at most `per_minute`
    /// persons come out through it in any clock minute, let through one every 60/`per_minute`
    /// seconds (0 lifts a meter); the rest wait just inside it (a steward at the door).
    MeterDoor {
        /// Door name.
        door: String,
        /// Persons a minute (0: no meter).
        per_minute: f64,
    },
    /// Meter a source (a station exit, a car park's stairs): at most `per_minute` persons of
    /// its arrivals come out of it in any clock minute, one every 60/`per_minute` seconds
    /// (0 lifts a meter); the rest wait in it, off the map (as when a source is full).
    MeterSource {
        /// Source name.
        source: String,
        /// Persons a minute (0: no meter).
        per_minute: f64,
    },
    /// Close a circle of `radius` m round a point to the crowd (a cordon round a suspicious
    /// object): routes go round it while it is closed (the floor fields are computed again),
    /// those inside walk out by the shortest way, and a place only it leads to is out of reach.
    /// Lifted by `for` or a rule's `until`.
    Cordon {
        /// Its middle, m.
        at: Point,
        /// Radius, m (> 0, at most 1,000).
        radius: f64,
        /// A responder group tied up at it while it is closed: sent to a post 2 m outside its
        /// edge on the side of the group's own deployment, back when it is lifted.
        #[serde(default)]
        guard: Option<String>,
    },
    /// Close a zone to the crowd, as a cordon is closed.
    CloseZone {
        /// Zone name.
        zone: String,
        /// A responder group tied up at it while it is closed, as at a cordon.
        #[serde(default)]
        guard: Option<String>,
    },
    /// Arrivals of crowd group `group` in batches of `count` at once at its source: one batch at
    /// `at`, or with `every` one every `every` seconds from `at` for the entry's `for` (a metro
    /// line's trains, a bus convoy). On top of the group's own arrivals.
    Surge {
        /// Crowd group name.
        group: String,
        /// Persons a batch.
        count: u32,
        /// Seconds between batches (default: a single batch); needs `for`.
        #[serde(default)]
        every: Option<f64>,
    },
    /// Hold the crowd at a line (a motorcade passing, a road crossing shut): while it is held
    /// the line is a wall to everyone walking, who wait at it (their routes do not change);
    /// `for` or a rule's `until` releases it.
    Hold {
        /// The line: a polyline of 2 to 64 points inside the bounds, m.
        line: Vec<Point>,
    },
    /// Send a responder group to a post (a reserve brought in, units tied up at a cordon):
    /// its free units walk there and stand; busy ones go there once free. A group whose shift
    /// has not begun goes on duty now. `for` or a rule's `until` sends it back to its own
    /// deployment (and shift).
    Deploy {
        /// Responder group name.
        group: String,
        /// The post, m.
        post: Point,
    },
}

impl Action {
    /// The arrival times (clock time, s) of a `Surge` at `at` lasting `dur` seconds, one per
    /// person, ascending; empty for other actions.
    pub fn surge_times(&self, at: f64, dur: Option<f64>) -> Vec<f64> {
        let Action::Surge { count, every, .. } = self else {
            return Vec::new();
        };
        let batches = match (every, dur) {
            (Some(h), Some(d)) if *h > 0.0 && d >= 0.0 => (d / h).floor() as u64 + 1,
            _ => 1,
        };
        let h = every.unwrap_or(0.0);
        (0..batches)
            .flat_map(|b| std::iter::repeat_n(at + b as f64 * h, *count as usize))
            .collect()
    }

    /// Persons a `Surge` at `at` lasting `dur` seconds brings (0 for other actions), without
    /// building the list.
    pub fn surge_persons(&self, dur: Option<f64>) -> f64 {
        let Action::Surge { count, every, .. } = self else {
            return 0.0;
        };
        let batches = match (every, dur) {
            (Some(h), Some(d)) if *h > 0.0 && d >= 0.0 => (d / h).floor() + 1.0,
            // a bad headway is named by the timeline's check; count it as one batch here
            _ => 1.0,
        };
        f64::from(*count) * batches
    }
}

/// A group of response units of one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponderSpec {
    /// Unique group name.
    pub name: String,
    /// What kind of unit.
    pub kind: UnitKind,
    /// Number of units (default 1).
    #[serde(default = "d_one")]
    pub count: u32,
    /// Speed on patrol, m/s.
    pub speed: f64,
    /// Speed when answering an incident, m/s (default: `speed`).
    #[serde(default)]
    pub emergency_speed: Option<f64>,
    /// Incident types (names from `incidents`) these units can handle.
    pub handles: Vec<String>,
    /// Clock times on duty (default: all the time).
    #[serde(default)]
    pub shift: Option<Shift>,
    /// Where they are when not busy.
    pub deployment: Deployment,
    /// Radius within which they see (and report at once) any incident, m (default: 20 for posts
    /// and volunteers, 0 for the others).
    #[serde(default)]
    pub sight: Option<f64>,
    /// Units of kind `Vehicle` in a scenario with roads: they answer a call by driving the
    /// roads, then the crew go on foot (or drive on over the walkable area); their post must be
    /// within 100 m of a road node, where they stand (default: none, the unit moves on the
    /// walkable area at its speeds, slowed by the crowd).
    #[serde(default)]
    pub drive: Option<Drive>,
}

/// How a unit of kind `Vehicle` uses the roads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drive {
    /// The crew's speed on foot from where the vehicle stops to the scene, m/s, slowed by the
    /// crowd (default 1.5: a brisk walk with kit).
    #[serde(default = "d_on_foot")]
    pub on_foot: f64,
    /// Time to stop the vehicle and get out with the kit, s (default 20).
    #[serde(default = "d_park")]
    pub park: f64,
    /// Where the plan lets the vehicle leave the road and drive on over the walkable area: its
    /// speed there, m/s, slowed by the crowd (default: none, the crew walk from the road).
    #[serde(default)]
    pub off_road: Option<f64>,
}

fn d_on_foot() -> f64 {
    1.5
}

fn d_park() -> f64 {
    20.0
}

fn d_one() -> u32 {
    1
}

/// Kinds of response unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnitKind {
    /// Officers on foot.
    FootPatrol,
    /// Officers on bicycles.
    BikePatrol,
    /// A vehicle.
    Vehicle,
    /// A medical team.
    Medical,
    /// A fixed post.
    Post,
    /// A volunteer.
    Volunteer,
}

/// A duty window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    /// Start (clock time).
    pub from: ClockTime,
    /// End (clock time).
    pub to: ClockTime,
}

/// Where idle units are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Deployment {
    /// Standing at a fixed position.
    Post(Point),
    /// Walking a closed loop of waypoints, stopping `dwell` seconds at each.
    Route {
        /// Waypoints in order (the loop closes back to the first).
        waypoints: Vec<Point>,
        /// Stop at each waypoint, s (default 0).
        #[serde(default)]
        dwell: f64,
    },
    /// Walking between random points of a zone, stopping `dwell` seconds at each.
    Beat {
        /// Zone name.
        zone: String,
        /// Stop at each point, s (default 0).
        #[serde(default)]
        dwell: f64,
    },
}

/// One incident type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentSpec {
    /// Type name (e.g. "medical", "fight", "lost-child").
    pub kind: String,
    /// How often.
    pub rate: IncidentRate,
    /// Where.
    pub location: IncidentLocation,
    /// Units needed at the scene, of any kind that handles this type (default 1; ignored when
    /// `needs` is given).
    #[serde(default = "d_one")]
    pub units: u32,
    /// Units needed by kind, e.g. `[(kind: Medical, count: 1), (kind: FootPatrol, count: 2)]`.
    #[serde(default)]
    pub needs: Vec<Need>,
    /// Time on scene once the units are there, s.
    pub on_scene: Distribution,
    /// Delay before an incident nobody sees is reported, s (default Fixed(0)).
    #[serde(default = "d_no_delay")]
    pub report_delay: Distribution,
}

fn d_no_delay() -> Distribution {
    Distribution::Fixed(0.0)
}

/// Units of one kind an incident needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Need {
    /// Unit kind.
    pub kind: UnitKind,
    /// How many (≥ 1).
    pub count: u32,
}

/// How often incidents happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum IncidentRate {
    /// Poisson with this many per hour.
    PerHour(f64),
    /// Poisson with this many per 1,000 visitors present per hour.
    PerThousandPerHour(f64),
    /// Exactly at these clock times (for drills and tests).
    At(Vec<ClockTime>),
}

/// Where incidents happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum IncidentLocation {
    /// At a random visitor: proportional to crowd density.
    Crowd,
    /// Uniformly over these zones (by area).
    Zones(Vec<String>),
    /// At one of these points, chosen uniformly (in order for `At` rates).
    Hotspots(Vec<Point>),
    /// Among the occupants of these halls: a hall drawn by its occupants, a point drawn
    /// uniformly over its floor; with `PerThousandPerHour` the rate counts their occupants only.
    Halls(Vec<String>),
}

/// Dispatch policy and response-time thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchSettings {
    /// Which free unit goes (default NearestByTravelTime).
    #[serde(default)]
    pub policy: DispatchPolicy,
    /// Response-time thresholds for the "share within" figures, s (default [60, 180, 300]).
    #[serde(default = "d_thresholds")]
    pub thresholds: Vec<f64>,
}

fn d_thresholds() -> Vec<f64> {
    vec![60.0, 180.0, 300.0]
}

impl Default for DispatchSettings {
    fn default() -> Self {
        DispatchSettings {
            policy: DispatchPolicy::default(),
            thresholds: d_thresholds(),
        }
    }
}

/// Which free unit is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DispatchPolicy {
    /// The one with the shortest travel time around walls (default).
    #[default]
    NearestByTravelTime,
    /// The one closest in a straight line.
    NearestByDistance,
    /// Units whose beat zone (or whose post's zone) contains the incident first, then by travel time.
    ZoneAssigned,
}

/// A security ring: a closed polygon that people cross only through its checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ring {
    /// Unique ring name.
    pub name: String,
    /// Which layer it is.
    #[serde(default)]
    pub level: RingLevel,
    /// Closed simple polygon (closed automatically; at least 3 points). Give this or `fence`.
    #[serde(default)]
    pub polygon: Vec<Point>,
    /// Instead of a polygon: an open polyline (a fence across the site) whose two ends touch walls
    /// or the bounds (within 0.5 m; they are snapped onto them). Needs `inside`.
    #[serde(default)]
    pub fence: Vec<Point>,
    /// For a fence: a point on its inner side.
    #[serde(default)]
    pub inside: Option<Point>,
}

/// The layer of a ring, outermost first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RingLevel {
    /// Road cordon or outer fence.
    Outer,
    /// Site perimeter.
    #[default]
    Perimeter,
    /// Hall door or inner cordon.
    Inner,
    /// Any other layer; larger numbers are further in (Outer = 1, Perimeter = 2, Inner = 3).
    Level(u8),
}

impl RingLevel {
    /// Numeric depth: Outer 1, Perimeter 2, Inner 3, Level(n) n.
    pub fn depth(self) -> u8 {
        match self {
            RingLevel::Outer => 1,
            RingLevel::Perimeter => 2,
            RingLevel::Inner => 3,
            RingLevel::Level(n) => n,
        }
    }
}

/// A screening checkpoint on a ring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointSpec {
    /// Unique checkpoint name.
    pub name: String,
    /// Name of its ring.
    pub ring: String,
    /// A point on the ring's boundary (within 0.5 m) where the lanes are.
    pub position: Point,
    /// Number of screening lanes (≥ 1).
    pub lanes: u32,
    /// Screening time per person and lane.
    pub service: ServiceTime,
    /// Clock time the lanes open (default: the start of the simulation).
    #[serde(default)]
    pub open: Option<ClockTime>,
    /// Clock time they close (default: never).
    #[serde(default)]
    pub close: Option<ClockTime>,
    /// How people pick a lane (default SharedQueue).
    #[serde(default)]
    pub lane_choice: LaneChoice,
    /// The queueing area in front of the lanes.
    #[serde(default)]
    pub queue: QueueArea,
    /// Longest queue (persons) before arrivals are held back or diverted (default: no limit).
    #[serde(default)]
    pub max_queue: Option<u32>,
    /// What happens to arrivals when the queue is at `max_queue` (default Divert).
    #[serde(default)]
    pub when_full: WhenFull,
    /// Probability of detecting each item class.
    #[serde(default)]
    pub detection: Vec<Detection>,
    /// Clear width, m, of the exit door beside the lanes through which people leave the ring
    /// here (default 2 m; 0: entry only, leavers use the ring's doors or other checkpoints).
    #[serde(default)]
    pub exit: Option<f64>,
    /// The visitor classes (crowd groups' `class`) it lets in (default: everybody): an
    /// exhibitor gate, a VIP lane, a staff entrance. Others choose another checkpoint, or with
    /// none they may use are turned away here.
    #[serde(default)]
    pub admit: Vec<String>,
}

/// Width of a checkpoint's exit door when the file gives none, m.
pub const DEFAULT_CHECKPOINT_EXIT: f64 = 2.0;

/// An evacuation order: at `at` everyone in `zones` (empty: the whole venue) walks to the
/// nearest of the targets `to` (assembly points, or exits out of the site), and every arrival
/// still to come is called off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvacuationSpec {
    /// Clock time of the order.
    pub at: ClockTime,
    /// Zones evacuated (names; default: the whole venue).
    #[serde(default)]
    pub zones: Vec<String>,
    /// Where evacuees go: the nearest of these targets by walking time (at least one).
    pub to: Vec<String>,
}

/// A hall: a target people go into, with a licensed capacity. Everyone whose destination it is
/// counts as an occupant from when they come within 3 m of it (walking distance) until they
/// leave it; at `capacity` admission stops and newcomers wait outside, standing where they
/// are, until fewer than `reopen_below` are inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HallSpec {
    /// Unique hall name.
    pub name: String,
    /// The target that is the hall's floor.
    pub target: String,
    /// Licensed occupancy, persons (≥ 1).
    pub capacity: u32,
    /// Admission resumes when fewer than this many are inside (default `capacity`; 1 to
    /// `capacity`): e.g. a hall closed at 10,000 that reopens below 8,000.
    #[serde(default)]
    pub reopen_below: Option<u32>,
}

/// An exit-only door: an opening of `width` in a ring that people leave the ring through.
/// Nobody comes in through it (a steward holds the door): to them it is wall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoorSpec {
    /// Unique door name (unique among doors and checkpoints).
    pub name: String,
    /// Name of its ring.
    pub ring: String,
    /// The middle of the opening: a point on the ring (within 0.5 m).
    pub position: Point,
    /// Clear width, m (0.5 to 50); the opening must lie on one straight edge of the ring.
    pub width: f64,
    /// The visitor classes that may leave through it (default: everybody): a staff door.
    /// Others leave by another way out of the ring; with none they may use, by the best anyway.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admit: Vec<String>,
}

/// Screening time per person, seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ServiceTime {
    /// Always this long.
    Fixed(f64),
    /// Exponential with this mean.
    Exponential {
        /// Mean, s.
        mean: f64,
    },
    /// Log-normal with this mean and standard deviation.
    LogNormal {
        /// Mean, s.
        mean: f64,
        /// Standard deviation, s.
        sd: f64,
    },
    /// Drawn uniformly from these measured times.
    Empirical(Vec<f64>),
}

impl ServiceTime {
    /// Mean service time, s.
    pub fn mean(&self) -> f64 {
        match self {
            ServiceTime::Fixed(x) => *x,
            ServiceTime::Exponential { mean } | ServiceTime::LogNormal { mean, .. } => *mean,
            ServiceTime::Empirical(v) => v.iter().sum::<f64>() / v.len().max(1) as f64,
        }
    }
}

/// Lane choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LaneChoice {
    /// One serpentine queue feeding every lane (equivalent to perfect jockeying).
    #[default]
    SharedQueue,
    /// A queue per lane; arrivals join the shortest and stay.
    ShortestQueue,
}

/// The queueing pen: rows of standing places in front of the lanes, outside the ring.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueArea {
    /// Depth of the pen away from the ring, m (default 20).
    #[serde(default = "d_queue_length")]
    pub length: f64,
    /// Width of the pen along the ring, m (default: 1 m per lane, at least 2 m).
    #[serde(default)]
    pub width: Option<f64>,
    /// Distance between standing places, m (default 0.65).
    #[serde(default = "d_queue_spacing")]
    pub spacing: f64,
    /// Direction the pen extends from the lanes, `(x, y)` (default: straight out of the ring).
    #[serde(default)]
    pub direction: Option<Point>,
    /// A holding area instead of the rectangular pen: a polygon outside the ring, filled with
    /// standing places nearest the lanes first (`length`, `width` and `direction` are then unused).
    #[serde(default)]
    pub holding: Option<Vec<Point>>,
}

fn d_queue_length() -> f64 {
    20.0
}
fn d_queue_spacing() -> f64 {
    0.6
}

impl Default for QueueArea {
    fn default() -> Self {
        QueueArea {
            length: d_queue_length(),
            width: None,
            spacing: d_queue_spacing(),
            direction: None,
            holding: None,
        }
    }
}

/// What arrivals do when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum WhenFull {
    /// Go to the next-best checkpoint of the same ring.
    #[default]
    Divert,
    /// Wait next to the queue until there is room.
    Hold,
}

/// Detection probability of one item class at a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detection {
    /// Item class name (from `threats`).
    pub item: String,
    /// Probability in [0, 1].
    pub probability: f64,
}

/// An item class and who carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threat {
    /// Unique item class name.
    pub item: String,
    /// Fraction of each crowd group carrying it.
    pub carriers: Vec<CarrierShare>,
}

/// Share of a group carrying an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierShare {
    /// Crowd group name (or give `class`; neither: every crowd group).
    #[serde(default)]
    pub group: Option<String>,
    /// Every crowd group of this visitor class (the groups a demand generates for it).
    #[serde(default)]
    pub class: Option<String>,
    /// Instead of people on foot: vehicles of this class (from `vehicles.classes`), the share
    /// of them carrying it in the cargo or on an occupant who stays aboard.
    #[serde(default)]
    pub vehicle: Option<String>,
    /// Fraction in [0, 1].
    pub fraction: f64,
}

/// Simulation settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    /// Time step in seconds (default 0.05).
    #[serde(default = "default_dt")]
    pub dt: f64,
    /// Clock time at which the simulation starts ("HH:MM[:SS]" or seconds after midnight).
    #[serde(default)]
    pub start: ClockTime,
    /// Clock time at which the simulation ends.
    pub end: ClockTime,
    /// Seed of all random streams (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Stop as soon as every arrival has happened and nobody is left (default true).
    #[serde(default = "default_true")]
    pub stop_when_empty: bool,
}

fn default_dt() -> f64 {
    0.05
}
fn default_seed() -> u64 {
    1
}
fn default_true() -> bool {
    true
}

/// A time of day in seconds after midnight. Written as `"08:30"`, `"08:30:15"` or a number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct ClockTime(pub f64);

impl ClockTime {
    /// Formats as `HH:MM:SS` (fractions of a second are dropped).
    pub fn hms(self) -> String {
        let s = self.0.max(0.0).floor() as u64;
        format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }

    /// Parses `HH:MM` or `HH:MM:SS`.
    pub fn parse(text: &str) -> Option<ClockTime> {
        let parts: Vec<&str> = text.trim().split(':').collect();
        if parts.len() < 2 || parts.len() > 3 {
            return None;
        }
        // HH:MM or HH:MM:SS (seconds may have a fraction): two digits for minutes and seconds
        let two = |p: &str| p.len() >= 2 && p.as_bytes()[..2].iter().all(u8::is_ascii_digit);
        if !(1..=2).contains(&parts[0].len()) || parts[1].len() != 2 || !two(parts[1]) {
            return None;
        }
        if parts.len() == 3 && !(two(parts[2]) && (parts[2].len() == 2 || parts[2].as_bytes()[2] == b'.')) {
            return None;
        }
        let h: u32 = parts[0].parse().ok()?;
        let m: u32 = parts[1].parse().ok()?;
        let s: f64 = if parts.len() == 3 { parts[2].parse().ok()? } else { 0.0 };
        if m >= 60 || !(0.0..60.0).contains(&s) || h > 47 {
            return None;
        }
        Some(ClockTime(f64::from(h) * 3600.0 + f64::from(m) * 60.0 + s))
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hms())
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = ClockTime;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a clock time \"HH:MM\" or \"HH:MM:SS\", or seconds after midnight")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ClockTime, E> {
                ClockTime::parse(v)
                    .ok_or_else(|| E::custom(format!("`{v}` is not a clock time; write \"HH:MM\" or \"HH:MM:SS\"")))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ClockTime, E> {
                use super::limits::MAX_CLOCK;
                if v.is_finite() && (0.0..=MAX_CLOCK).contains(&v) {
                    Ok(ClockTime(v))
                } else {
                    Err(E::custom(format!(
                        "{v} s is not a clock time: seconds after midnight must lie in 0 to {MAX_CLOCK} (a week)"
                    )))
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ClockTime, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ClockTime, E> {
                self.visit_f64(v as f64)
            }
        }
        d.deserialize_any(V)
    }
}

/// A point in metres, `(x, y)`.
pub type Point = (f64, f64);

/// The venue geometry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Venue {
    /// Read the venue from this file instead (a `.ron` file of this same section, named relative
    /// to the scenario's folder and inside it): an imported site kept apart from a hand-tuned
    /// plan. Walls, obstacles, zones, sources and targets given here beside it are added to the
    /// file's; its bounds, cell size and origin are used (give none of them here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Axis-aligned bounding rectangle; its edges are walls (required, here or in `file`).
    #[serde(default)]
    pub bounds: Bounds,
    /// Where the point (0, 0) is on the Earth: WGS84 latitude and longitude in degrees, of the
    /// transverse Mercator projection the venue's metres are in (`cordon import` writes it). The
    /// viewer then shows the cursor's longitude and latitude too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<LatLon>,
    /// Edge length of the navigation raster in metres (default 0.25).
    #[serde(default = "default_cell")]
    pub cell_size: f64,
    /// Walls as polylines (thin, impassable).
    #[serde(default)]
    pub walls: Vec<Wall>,
    /// Solid obstacles as closed polygons (pillars, buildings, fences around an area).
    #[serde(default)]
    pub obstacles: Vec<Obstacle>,
    /// Named measurement zones.
    #[serde(default)]
    pub zones: Vec<Zone>,
    /// Named places where people appear (metro exits, car parks, rooms).
    #[serde(default)]
    pub sources: Vec<Place>,
    /// Named places people walk to (halls, exits).
    #[serde(default)]
    pub targets: Vec<Place>,
    /// A site plan drawn under the venue in the viewer (runs ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underlay: Option<Underlay>,
    /// The venue file's text once read (see [`crate::scenario::load::resolve_venue`]), so that
    /// problems found in it are placed in it; not part of the schema.
    #[serde(skip)]
    pub source: Option<std::sync::Arc<VenueText>>,
}

/// A site plan image under the venue in the viewer: a PNG stretched over a rectangle of the
/// venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Underlay {
    /// The PNG file, named relative to the scenario file's folder and inside it (at most
    /// 8192 × 8192 pixels).
    pub file: String,
    /// Where the image's lower-left corner goes, m.
    pub min: Point,
    /// Where its upper-right corner goes, m.
    pub max: Point,
    /// 0 (invisible) to 1 (opaque; default 0.5).
    #[serde(default = "half")]
    pub opacity: f64,
    /// The file once the scenario is read from a file (not part of the schema).
    #[serde(skip)]
    pub path: Option<std::path::PathBuf>,
}

fn half() -> f64 {
    0.5
}

/// A venue file as read: where it is, its name in messages and its text.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueText {
    /// The file.
    pub path: std::path::PathBuf,
    /// Its name in messages.
    pub label: String,
    /// Its text.
    pub text: String,
}

/// A place on the Earth, WGS84 degrees, written `(lat, lon)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    /// Latitude, degrees north (−85 to 85).
    pub lat: f64,
    /// Longitude, degrees east (−180 to 180).
    pub lon: f64,
}

fn default_cell() -> f64 {
    Venue::DEFAULT_CELL
}

impl Venue {
    /// The raster's cell when the file gives none, m.
    pub const DEFAULT_CELL: f64 = 0.25;
}

/// Axis-aligned rectangle (default: empty, i.e. not given).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    /// Lower-left corner.
    pub min: Point,
    /// Upper-right corner.
    pub max: Point,
}

/// A wall: an open polyline of at least two points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wall {
    /// Optional name used in messages.
    #[serde(default)]
    pub name: Option<String>,
    /// Vertices in order.
    pub points: Vec<Point>,
}

/// A solid obstacle: a simple polygon (closed automatically).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obstacle {
    /// Optional name used in messages.
    #[serde(default)]
    pub name: Option<String>,
    /// Vertices in order (at least three, not self-intersecting).
    pub polygon: Vec<Point>,
}

/// A named measurement zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Unique zone name.
    pub name: String,
    /// Simple polygon.
    pub polygon: Vec<Point>,
}

/// A named source or target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Unique name among sources (or targets).
    pub name: String,
    /// Where it is.
    pub area: Area,
}

/// The shape of a source or target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Area {
    /// A single point. As a target, reached within 0.5 m.
    Point(Point),
    /// A disc: centre and radius in metres.
    Circle(Point, f64),
    /// A simple polygon.
    Polygon(Vec<Point>),
    /// Several simple polygons acting as one place (a hall with several doors, a set of exits):
    /// people head for the nearest part.
    Polygons(Vec<Vec<Point>>),
}

/// One group of visitors sharing an arrival profile and a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrowdGroup {
    /// Unique group name.
    pub name: String,
    /// Name of the source they appear at.
    pub source: String,
    /// When they appear.
    pub arrivals: Arrivals,
    /// Where they walk first, with weights (at least one).
    pub destinations: Vec<Choice>,
    /// How long they stay at the destination (out of the walking crowd). None: no stay.
    #[serde(default)]
    pub dwell: Option<Distribution>,
    /// Stay at the destination until this clock time (an event's end: everyone leaves together);
    /// `dwell`, if also given, is added on top as each person's spread.
    #[serde(default)]
    pub leave_at: Option<ClockTime>,
    /// Stay standing in the destination (a viewing area, a square) instead of going inside it:
    /// people walk in until the crowd stops them, stand (taking space), and leave at `leave_at`
    /// plus `dwell` (default false).
    #[serde(default)]
    pub stand: bool,
    /// Where they leave after the stay, with weights. Empty: they leave at the destination.
    #[serde(default)]
    pub exits: Vec<Choice>,
    /// Free (desired) walking speed in m/s.
    #[serde(default = "default_speed")]
    pub speed: Distribution,
    /// Body radius in metres (default 0.2).
    #[serde(default = "default_radius")]
    pub radius: f64,
    /// Visitor class (credentials): checkpoints with an `admit` list let in only the classes
    /// on it (default: none, let in only where every class is).
    #[serde(default)]
    pub class: Option<String>,
    /// Their screening time at every checkpoint as a multiple of the checkpoint's own (default
    /// 1; e.g. 0.5 for staff with badges and no bags, 1.5 for visitors with luggage).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub screening_factor: f64,
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

fn default_speed() -> Distribution {
    Distribution::Normal {
        mean: 1.34,
        sd: 0.26,
        min: 0.5,
        max: 2.0,
    }
}
fn default_radius() -> f64 {
    0.2
}

/// Demand: the crowd groups generated from attendance, when people arrive, how they come and
/// who they are (see `crate::scenario::demand`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Demand {
    /// Visitors over the run, all classes and modes, before `scale`.
    pub attendance: f64,
    /// Multiplies every number of visitors (default 1).
    #[serde(default = "one")]
    pub scale: f64,
    /// When they arrive (each class may have its own).
    pub profile: Profile,
    /// How they come: each mode's share of the visitors and the sources it lets them out at.
    pub modes: Vec<Mode>,
    /// Visitor classes with their shares (default: one class of everybody).
    #[serde(default)]
    pub classes: Vec<VisitorClass>,
    /// Where they walk first, with weights (each class may have its own).
    pub destinations: Vec<Choice>,
    /// How long they stay at the destination (None: no stay).
    #[serde(default)]
    pub dwell: Option<Distribution>,
    /// Stay until this clock time (plus `dwell` as each person's spread).
    #[serde(default)]
    pub leave_at: Option<ClockTime>,
    /// Stays by arrival time, instead of `dwell` and `leave_at`: e.g. a morning wave that stays
    /// three hours and an afternoon wave that stays to the close (each class may have its own).
    #[serde(default)]
    pub stays: Vec<Stay>,
    /// Where they leave after the stay (a mode's source may give its own).
    #[serde(default)]
    pub exits: Vec<Choice>,
    /// Free walking speed, m/s.
    #[serde(default = "default_speed")]
    pub speed: Distribution,
    /// Body radius, m (default 0.2).
    #[serde(default = "default_radius")]
    pub radius: f64,
}

fn one() -> f64 {
    1.0
}

/// When visitors arrive, as shares of them over clock time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Profile {
    /// Shares of the visitors arriving in each window (at an even rate within it; the shares
    /// are relative: they need not sum to 1).
    Windows(Vec<ProfileWindow>),
    /// A bell curve: a normal distribution round `peak` with standard deviation `spread`
    /// seconds, cut to `[from, to)`, in 15-minute steps.
    Peak {
        /// The busiest moment.
        peak: ClockTime,
        /// Standard deviation, s (> 0).
        spread: f64,
        /// First arrivals.
        from: ClockTime,
        /// Last arrivals.
        to: ClockTime,
    },
}

/// One window of a [`Profile::Windows`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileWindow {
    /// Start (clock time).
    pub from: ClockTime,
    /// End (clock time).
    pub to: ClockTime,
    /// Relative share of the visitors arriving in it (≥ 0).
    pub share: f64,
}

/// A mode of travel (metro line, bus, taxi, car, on foot).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mode {
    /// Name (unique among modes).
    pub name: String,
    /// Relative share of the visitors coming this way (> 0).
    pub share: f64,
    /// Where it lets them out, with weights.
    pub sources: Vec<ModeSource>,
    /// Seconds between its trains (or bus loads): its visitors arrive in batches this often
    /// (`Arrivals::Batches`) instead of one by one.
    #[serde(default)]
    pub every: Option<f64>,
}

/// A source of a mode, with its weight among the mode's sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeSource {
    /// Source name.
    pub source: String,
    /// Relative weight (> 0, default 1).
    #[serde(default = "one")]
    pub weight: f64,
    /// Where those who came this way leave (a target; default: the class's or the demand's
    /// `exits`).
    #[serde(default)]
    pub exit: Option<String>,
}

/// A class of visitors (public, exhibitors, staff, a morning and an afternoon wave).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitorClass {
    /// Name (unique among classes).
    pub name: String,
    /// Relative share of the visitors (> 0).
    pub share: f64,
    /// When they arrive (default: the demand's profile).
    #[serde(default)]
    pub profile: Option<Profile>,
    /// Where they walk first (default: the demand's destinations).
    #[serde(default)]
    pub destinations: Vec<Choice>,
    /// How long they stay (default: the demand's dwell).
    #[serde(default)]
    pub dwell: Option<Distribution>,
    /// Stay until this clock time (default: the demand's).
    #[serde(default)]
    pub leave_at: Option<ClockTime>,
    /// Stays by arrival time, instead of `dwell` and `leave_at` (default: the demand's).
    #[serde(default)]
    pub stays: Vec<Stay>,
    /// Where they leave (default: the demand's exits).
    #[serde(default)]
    pub exits: Vec<Choice>,
    /// Their screening time as a multiple of each checkpoint's own (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub screening_factor: f64,
}

/// How long those arriving in a span of the day stay: the arrivals before `before` (and after
/// the previous stay's `before`) become their own crowd groups, named with the stay's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stay {
    /// Name (unique in its list; the last part of the generated groups' names).
    pub name: String,
    /// Those arriving before this clock time (None on the last stay: everyone after the one
    /// before).
    #[serde(default)]
    pub before: Option<ClockTime>,
    /// How long they stay at the destination (None: no stay).
    #[serde(default)]
    pub dwell: Option<Distribution>,
    /// Stay until this clock time (plus `dwell` as each person's spread).
    #[serde(default)]
    pub leave_at: Option<ClockTime>,
}

/// A weighted choice of a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Target name.
    pub target: String,
    /// Relative weight (> 0, default 1).
    #[serde(default = "default_weight")]
    pub weight: f64,
}

fn default_weight() -> f64 {
    1.0
}

/// When visitors of a group appear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Arrivals {
    /// Poisson arrivals with piecewise-constant rates over clock time.
    Rates(Vec<RateStep>),
    /// Exactly `count` persons at independent uniform random times in `[from, to)`.
    Count {
        /// Number of persons.
        count: u32,
        /// Window start (clock time).
        from: ClockTime,
        /// Window end (clock time).
        to: ClockTime,
    },
    /// `count` persons placed at random, non-overlapping spots in the source at the start.
    Initial(u32),
    /// Persons placed at these exact positions at the start.
    Positions(Vec<Point>),
    /// None of its own: the group arrives only in the timeline's `Surge` batches (a metro
    /// line's trains, bus convoys).
    Surges,
    /// Batches every `every` seconds (a metro line's trains, a bus bay's loads): from each
    /// step's `from`, one batch every `every` s while the step lasts, each a Poisson number of
    /// persons with mean the step's rate × the time it stands for (so a step brings its rate ×
    /// its length on average, as `Rates` does), all at once.
    Batches {
        /// Seconds between batches (1 or more).
        every: f64,
        /// The rates, as for `Rates`.
        rates: Vec<RateStep>,
    },
}

/// One piece of a piecewise-constant arrival rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateStep {
    /// Start (clock time).
    pub from: ClockTime,
    /// End (clock time).
    pub to: ClockTime,
    /// Mean arrivals per second (> 0).
    pub rate: f64,
}

/// A random distribution of a non-negative quantity (speed in m/s, time in s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Distribution {
    /// Always this value.
    Fixed(f64),
    /// Uniform in `[min, max]`.
    Uniform {
        /// Lower end.
        min: f64,
        /// Upper end.
        max: f64,
    },
    /// Normal, clipped into `[min, max]`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
        /// Lower clip.
        min: f64,
        /// Upper clip.
        max: f64,
    },
    /// Exponential with this mean.
    Exponential {
        /// Mean.
        mean: f64,
    },
    /// Log-normal given by its median and the sd of the logarithm.
    LogNormal {
        /// Median.
        median: f64,
        /// Standard deviation of ln(x).
        sigma: f64,
    },
    /// RiMEA test 7 speed ranges by age group, uniform inside the range.
    Rimea(AgeGroup),
}

/// RiMEA (Annex 1, test 7) demographic groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AgeGroup {
    /// Younger than 30: 0.58–1.61 m/s.
    Under30,
    /// 30 to 50: 1.41–1.54 m/s.
    From30To50,
    /// Older than 50: 0.68–1.41 m/s.
    Over50,
    /// Mobility impaired: 0.46–0.76 m/s.
    Impaired,
}

impl AgeGroup {
    /// The RiMEA speed range `(min, max)` in m/s.
    pub fn range(self) -> (f64, f64) {
        match self {
            AgeGroup::Under30 => (0.58, 1.61),
            AgeGroup::From30To50 => (1.41, 1.54),
            AgeGroup::Over50 => (0.68, 1.41),
            AgeGroup::Impaired => (0.46, 0.76),
        }
    }
}

/// Parameters of the collision-free speed model (Tordeux, Chraibi, Seyfried 2016).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelParams {
    /// Time gap T in seconds: speed = min(v0, (s − l)/T) (default 0.65).
    #[serde(default = "d_time_gap")]
    pub time_gap: f64,
    /// Strength a of the neighbour repulsion (default 2.5).
    #[serde(default = "d_nstrength")]
    pub neighbour_strength: f64,
    /// Range D of the neighbour repulsion in metres (default 0.3).
    #[serde(default = "d_nrange")]
    pub neighbour_range: f64,
    /// Strength of the wall repulsion (default 1.0).
    #[serde(default = "d_wstrength")]
    pub wall_strength: f64,
    /// Range of the wall repulsion in metres (default 0.02).
    #[serde(default = "d_wrange")]
    pub wall_range: f64,
    /// Distance from walls within which the floor field costs more, in metres (default 0.5).
    #[serde(default = "d_wall_buffer")]
    pub wall_buffer: f64,
    /// Routes keep off wall corners by this many metres, m (default 2; 0 = off; at most 5): a
    /// crowd turning round a corner takes the width it has instead of converging on the inner
    /// edge, and a crowd at a bottleneck's mouth heads for its middle.
    #[serde(default = "d_corner_buffer")]
    pub corner_buffer: f64,
    /// Strength of the sidestep that lets faster walkers overtake slower ones ahead (default 0.5; 0 turns it off).
    #[serde(default = "d_side_strength")]
    pub sidestep_strength: f64,
    /// Gap ahead (m) within which a slower walker triggers the sidestep (default 1.5).
    #[serde(default = "d_side_range")]
    pub sidestep_range: f64,
    /// Seeking free space, degrees (default 40, 0 = off): a walker held up by people ahead
    /// also weighs turning by up to this angle either way and takes the direction that brings
    /// it on fastest along its route (speed there × progress per metre), so a crowd spreads
    /// over the width it has round a corner instead of queueing at the inner edge.
    #[serde(default = "d_seek_angle")]
    pub seek_angle: f64,
    /// Zipper in narrow passages (default 0.55, 0.3–1, 1 = off): in a passage less than 1 m wide
    /// people turn their shoulders and walk in interlocking lanes, so someone ahead holds a
    /// walker up only within this share of the usual corridor of two radii (chest depth over
    /// shoulder breadth is 0.5–0.6).
    #[serde(default = "d_zipper")]
    pub zipper: f64,
}

fn d_seek_angle() -> f64 {
    40.0
}
fn d_zipper() -> f64 {
    0.55
}
fn d_side_strength() -> f64 {
    0.5
}
fn d_side_range() -> f64 {
    1.5
}

fn d_time_gap() -> f64 {
    0.65
}
fn d_nstrength() -> f64 {
    2.5
}
fn d_nrange() -> f64 {
    0.3
}
fn d_wstrength() -> f64 {
    1.0
}
fn d_wrange() -> f64 {
    0.02
}
fn d_corner_buffer() -> f64 {
    2.0
}
fn d_wall_buffer() -> f64 {
    0.5
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            time_gap: d_time_gap(),
            neighbour_strength: d_nstrength(),
            neighbour_range: d_nrange(),
            wall_strength: d_wstrength(),
            wall_range: d_wrange(),
            wall_buffer: d_wall_buffer(),
            corner_buffer: d_corner_buffer(),
            sidestep_strength: d_side_strength(),
            sidestep_range: d_side_range(),
            seek_angle: d_seek_angle(),
            zipper: d_zipper(),
        }
    }
}

/// What the metrics plugin samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Seconds between density samples (default 1.0).
    #[serde(default = "d_density_interval")]
    pub density_interval: f64,
    /// Seconds between rows of the time series (default 60).
    #[serde(default = "d_series_interval")]
    pub series_interval: f64,
    /// Edge of the square density cells in metres (default 2.0).
    #[serde(default = "d_density_cell")]
    pub density_cell: f64,
    /// Density counted as critical, persons/m² (default 4.0).
    #[serde(default = "d_critical")]
    pub critical_density: f64,
    /// Time-to-enter above which a visitor counts as waiting too long, s (default 1800).
    #[serde(default = "d_wait_limit")]
    pub wait_limit: f64,
    /// Seconds between coverage samples when there are responders (default 10; 0 turns coverage off).
    #[serde(default = "d_cov_interval")]
    pub coverage_interval: f64,
    /// Cell edge of the coverage raster, m (default 2.0).
    #[serde(default = "d_density_cell")]
    pub coverage_cell: f64,
}

fn d_cov_interval() -> f64 {
    10.0
}

fn d_wait_limit() -> f64 {
    1800.0
}

fn d_density_interval() -> f64 {
    1.0
}
fn d_series_interval() -> f64 {
    60.0
}
fn d_density_cell() -> f64 {
    2.0
}
fn d_critical() -> f64 {
    4.0
}

impl Default for MetricsSettings {
    fn default() -> Self {
        MetricsSettings {
            density_interval: d_density_interval(),
            series_interval: d_series_interval(),
            density_cell: d_density_cell(),
            critical_density: d_critical(),
            wait_limit: d_wait_limit(),
            coverage_interval: d_cov_interval(),
            coverage_cell: d_density_cell(),
        }
    }
}

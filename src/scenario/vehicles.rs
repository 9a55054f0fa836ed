//! The `vehicles` section: roads, vehicle classes, vehicle rings and their checkpoints, where
//! vehicles go (drop-off bays, taxi ranks, car parks, loading docks) and the flows of vehicles
//! that enter the roads. Plain data in SI units; `crate::vehicles::build` checks and resolves it.

use super::model::{ClockTime, Detection, Distribution, Point, RateStep, ServiceTime};
use serde::{Deserialize, Serialize};

/// Roads and the vehicles on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vehicles {
    /// Speed, m/s, at which a queue's stop-and-go travels back upstream (the kinematic wave
    /// speed w of the triangular fundamental diagram; default 5.4 m/s, about 19 km/h). With a
    /// class's `spacing` d it sets the class's reaction time τ = d / w.
    #[serde(default = "d_wave_speed")]
    pub wave_speed: f64,
    /// Vehicle classes (car, taxi, shuttle bus, coach, truck, emergency).
    pub classes: Vec<VehicleClass>,
    /// Road junctions and road ends.
    pub nodes: Vec<RoadNode>,
    /// Directed road links between nodes (a two-way road is two links).
    pub links: Vec<RoadLink>,
    /// Vehicle rings: areas entered only through a vehicle checkpoint (the traffic-control
    /// zone round a site), whose permits classes hold.
    #[serde(default)]
    pub rings: Vec<VehicleRing>,
    /// Vehicle checkpoints: inspection booths at the end of a link.
    #[serde(default)]
    pub checkpoints: Vec<VehicleCheckpoint>,
    /// Where vehicles go: drop-off bays, taxi ranks, car parks, loading docks.
    #[serde(default)]
    pub destinations: Vec<VehicleDestination>,
    /// Streams of vehicles entering the roads.
    #[serde(default)]
    pub flows: Vec<VehicleFlow>,
    /// Crossings where walkers cross a road: at a road node inside the venue, with a signal or
    /// without one (a zebra: walkers have the way).
    #[serde(default)]
    pub crossings: Vec<Crossing>,
}

fn d_wave_speed() -> f64 {
    5.4
}
fn d_lanes() -> u32 {
    1
}
fn d_occupancy() -> Distribution {
    Distribution::Fixed(1.0)
}
fn d_hold() -> Distribution {
    Distribution::Fixed(300.0)
}
fn d_capacity() -> u32 {
    1
}

/// A class of vehicles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleClass {
    /// Unique class name.
    pub name: String,
    /// Jam spacing, m: the length of road one vehicle takes in a stopped queue (its length and
    /// the gap to the one in front; a car about 7.5 m, a bus or coach 15 m, an articulated
    /// truck 20 m).
    pub spacing: f64,
    /// Free speed, m/s (a road's limit caps it).
    pub speed: f64,
    /// Occupants per vehicle (rounded to whole persons, at least 1, at most `seats`; default
    /// Fixed(1)).
    #[serde(default = "d_occupancy")]
    pub occupancy: Distribution,
    /// Most occupants (default: 1 + the occupancy's largest value, rounded).
    #[serde(default)]
    pub seats: Option<u32>,
    /// The vehicle rings this class may enter (default: all of them). At a ring's checkpoint a
    /// vehicle without the permit is turned back.
    #[serde(default)]
    pub permits: Option<Vec<String>>,
}

/// A road junction or road end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadNode {
    /// Unique node name.
    pub name: String,
    /// Where it is, m.
    pub position: Point,
}

/// A directed road link from one node to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoadLink {
    /// Unique link name.
    pub name: String,
    /// Node it starts at.
    pub from: String,
    /// Node it ends at.
    pub to: String,
    /// Lanes in this direction (1–8; default 1).
    #[serde(default = "d_lanes")]
    pub lanes: u32,
    /// Speed limit, m/s.
    pub speed: f64,
    /// Bends between the two nodes (the link's length is the polyline's).
    #[serde(default)]
    pub via: Vec<Point>,
}

/// A vehicle ring: an area that vehicles enter only through its checkpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleRing {
    /// Unique ring name (vehicle classes' `permits` name it).
    pub name: String,
    /// Its boundary, a closed simple polygon (at least 3 points). Every link that starts
    /// outside and ends inside must end at one of the ring's checkpoints.
    pub area: Vec<Point>,
}

/// Inspection booths at the end of a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleCheckpoint {
    /// Unique checkpoint name.
    pub name: String,
    /// Vehicle ring it guards.
    pub ring: String,
    /// The link whose end it stands at (vehicles queue on it).
    pub link: String,
    /// Inspection booths (1–100), each holding one vehicle.
    pub lanes: u32,
    /// Inspection time per vehicle (a permit check, a look inside, a scan).
    pub inspection: ServiceTime,
    /// Inspection time for some classes instead (a truck's cargo scan, a bus's walk-through).
    #[serde(default)]
    pub by_class: Vec<ClassInspection>,
    /// Probability of finding each item class on an occupant or in the cargo. A carrier found
    /// is taken off and the vehicle held `hold` seconds before it drives on; an item found in
    /// the cargo takes the vehicle aside with everyone aboard.
    #[serde(default)]
    pub detection: Vec<Detection>,
    /// Seconds a vehicle is held in the booth while a carrier found aboard is taken off
    /// (default Fixed(300)).
    #[serde(default = "d_hold")]
    pub hold: Distribution,
    /// Clock time the booths open (default: the start); before it vehicles wait at the booths.
    #[serde(default)]
    pub open: Option<ClockTime>,
    /// Clock time they close (default: never).
    #[serde(default)]
    pub close: Option<ClockTime>,
}

/// An inspection time for one vehicle class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassInspection {
    /// Vehicle class name.
    pub class: String,
    /// Its inspection time.
    pub time: ServiceTime,
}

/// What a destination is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DestinationKind {
    /// A bus or coach bay: occupants get out, the vehicle drives on.
    DropOff,
    /// A taxi or ride-hail rank: occupants get out, the vehicle drives on.
    TaxiRank,
    /// A car park: the vehicle stays `dwell` seconds on one of `capacity` spaces.
    CarPark,
    /// A loading dock: a truck unloads for `dwell` seconds.
    LoadingDock,
}

/// A place at the end of a link where vehicles stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleDestination {
    /// Unique destination name.
    pub name: String,
    /// What it is.
    pub kind: DestinationKind,
    /// The link whose end it is at.
    pub link: String,
    /// Vehicles standing at once (bays, spaces; default 1). When all are taken arrivals wait
    /// on the link.
    #[serde(default = "d_capacity")]
    pub capacity: u32,
    /// Seconds a vehicle stands (alighting at a bay, parked at a car park, unloading at a dock).
    pub dwell: Distribution,
    /// The venue's source where occupants get out on foot (the crowd groups a flow carries must
    /// start there).
    #[serde(default)]
    pub place: Option<String>,
    /// The venue's target where leavers get in: everyone leaving the venue there waits for a
    /// vehicle of the flow that `collects` here.
    #[serde(default)]
    pub pickup: Option<String>,
}

/// A stream of vehicles entering the roads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleFlow {
    /// Unique flow name.
    pub name: String,
    /// Vehicle class.
    pub class: String,
    /// Link where they enter the roads (at its start).
    pub entry: String,
    /// Destination (default: none; the vehicles drive through to `exit`).
    #[serde(default)]
    pub to: Option<String>,
    /// Link where they leave the roads (at its end).
    pub exit: String,
    /// When they enter (give this or `carries`).
    #[serde(default)]
    pub arrivals: Option<VehicleArrivals>,
    /// Crowd groups they bring (a name, or a prefix and `*`: "bus-south.*" is every group a
    /// demand makes at source "bus-south"): each group's arrival times (at the destination's `place`, its
    /// source) are gathered into vehicles of the class's occupancy, each entering early by its
    /// free-flow driving time, and its occupants step out on foot when it stops.
    #[serde(default)]
    pub carries: Vec<String>,
    /// Instead of `arrivals` or `carries`: its vehicles are called to the destination's `pickup`
    /// for the leavers waiting there: one enters at `entry` as soon as a vehicle's occupancy of
    /// them waits with none on its way for them, or the first of them has waited `call_after`
    /// seconds; they get in when it stands at the destination, and it takes them to `exit`.
    #[serde(default)]
    pub collects: bool,
    /// Seconds after which a vehicle is called for fewer leavers than its occupancy (default 120).
    #[serde(default)]
    pub call_after: Option<f64>,
}

/// A pedestrian crossing over a road, at a road node. While walkers have the way no vehicle
/// passes the node (vehicles wait at the end of the links into it); while vehicles have it the
/// crossing's edges are a wall to walkers stepping onto it (those on it walk off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crossing {
    /// Unique crossing name.
    pub name: String,
    /// The road node it stands at (inside the crossing's rectangle).
    pub node: String,
    /// Where it leaves one kerb, m (inside the venue's bounds).
    pub from: Point,
    /// Where it reaches the other kerb, m.
    pub to: Point,
    /// Its width along the road, m (1–50; default 4).
    #[serde(default = "d_crossing_width")]
    pub width: f64,
    /// Its signal (default: none, a zebra crossing: walkers always have the way and vehicles
    /// wait while anyone is on it or within 2 m of it).
    #[serde(default)]
    pub signal: Option<CrossingSignal>,
}

fn d_crossing_width() -> f64 {
    4.0
}

/// A crossing's signal: one cycle of a walk phase (walkers cross, vehicles wait), a clearance
/// phase (nobody steps onto the crossing, vehicles still wait) and the vehicles' phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrossingSignal {
    /// Cycle length, s (10–600).
    pub cycle: f64,
    /// Walk phase, s (> 0; walk + clear < cycle).
    pub walk: f64,
    /// Clearance after the walk phase, s (default 0; about the crossing's length / 1.2 m/s).
    #[serde(default)]
    pub clear: f64,
    /// Clock time (s after midnight, modulo the cycle) a walk phase begins (default 0).
    #[serde(default)]
    pub offset: f64,
}

/// When the vehicles of a flow enter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum VehicleArrivals {
    /// Poisson arrivals with piecewise-constant rates (vehicles per second).
    Rates(Vec<RateStep>),
    /// Exactly `count` vehicles at independent uniform random times in `[from, to)`.
    Count {
        /// Vehicles.
        count: u32,
        /// Window start.
        from: ClockTime,
        /// Window end.
        to: ClockTime,
    },
    /// One vehicle every `every` seconds from `from` (inclusive) to `to` (exclusive): a
    /// timetable.
    Every {
        /// Seconds between vehicles (> 0).
        every: f64,
        /// First one.
        from: ClockTime,
        /// Window end.
        to: ClockTime,
    },
}

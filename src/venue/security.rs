//! The security layout of a venue, fixed for a run: rings (closed walls or fences people cross
//! only through a checkpoint's lanes), each checkpoint's geometry (gate, lanes, pen, sides) and
//! service-time law, and routing between the walkable regions the rings cut the venue into. The
//! run-time part (queues, screening, interception) is [`crate::checkpoint`]'s.

use super::Shape;
use crate::scenario::model::{LaneChoice, ServiceTime, WhenFull};
use bevy::math::Vec2;
use rand_chacha::ChaCha8Rng;

/// A ring at run time.
#[derive(Debug, Clone)]
pub struct RingRt {
    /// Name.
    pub name: String,
    /// Depth (1 outermost).
    pub depth: u8,
    /// Polygon (closed ring) or fence polyline.
    pub polygon: Vec<Vec2>,
    /// For a fence: a point on its inner side (None: a closed polygon).
    pub inside: Option<Vec2>,
}

impl RingRt {
    /// Its wall segments.
    pub fn edges(&self) -> Vec<crate::venue::geometry::Segment> {
        let n = self.polygon.len();
        let m = if self.inside.is_some() { n.saturating_sub(1) } else { n };
        (0..m)
            .map(|k| crate::venue::geometry::Segment {
                a: self.polygon[k],
                b: self.polygon[(k + 1) % n],
            })
            .collect()
    }

    /// Whether `p` is on the inner side: inside the polygon, or for a fence on the same side of
    /// its nearest segment as the `inside` point.
    pub fn is_inside(&self, p: Vec2) -> bool {
        match self.inside {
            None => crate::venue::geometry::point_in_polygon(p, &self.polygon),
            Some(q) => {
                let Some(s) = self
                    .edges()
                    .into_iter()
                    .min_by(|a, b| a.distance(p).total_cmp(&b.distance(p)))
                else {
                    return false;
                };
                let side = |x: Vec2| (s.b - s.a).perp_dot(x - s.a);
                let sq = side(q);
                side(p) * sq > 0.0 || (sq == 0.0 && side(p) == 0.0)
            }
        }
    }
}

/// A checkpoint at run time, with its geometry.
#[derive(Debug, Clone)]
pub struct CheckpointRt {
    /// Name.
    pub name: String,
    /// Ring index.
    pub ring: usize,
    /// Lanes.
    pub lanes: usize,
    /// Service time.
    pub service: ServiceTime,
    /// Opens, s after the start.
    pub open: f64,
    /// Closes, s after the start.
    pub close: f64,
    /// Lane choice.
    pub policy: LaneChoice,
    /// Queue limit.
    pub max_queue: Option<u32>,
    /// At the limit.
    pub when_full: WhenFull,
    /// Detection probability per item class index.
    pub detect: Vec<f64>,
    /// Point on the ring where the lanes are.
    pub pos: Vec2,
    /// Unit normal pointing out of the ring.
    pub out: Vec2,
    /// Unit tangent along the ring.
    pub along: Vec2,
    /// Direction the pen extends from the lanes.
    pub qdir: Vec2,
    /// Standing places of a holding area, nearest the lanes first (empty: rows of the pen).
    pub slots: Vec<Vec2>,
    /// Standing places per row of the pen.
    pub per_row: usize,
    /// Rows of the pen (a file is full at this many people; more wait outside the pen).
    pub rows: usize,
    /// Distance between standing places, m.
    pub spacing: f32,
    /// The pen (where arrivals join the queue).
    pub pen: Shape,
    /// Walkable region outside (the pen's) and inside.
    pub outer_region: u32,
    /// Region on the inner side.
    pub inner_region: u32,
    /// Floor field leading to the pen.
    pub pen_field: u16,
    /// Its exit door (index into the doors), if it has one.
    pub exit_door: Option<u16>,
    /// The visitor classes it lets in (None: everybody).
    pub admit: Option<Vec<u16>>,
}

impl CheckpointRt {
    /// Whether it lets in someone of visitor class `class`.
    #[inline]
    pub fn admits(&self, class: Option<u16>) -> bool {
        self.admit
            .as_ref()
            .is_none_or(|a| class.is_some_and(|c| a.contains(&c)))
    }

    /// Standing place `k` of the pen (row by row away from the lanes).
    pub fn slot(&self, k: usize, lane: Option<usize>) -> Vec2 {
        if !self.slots.is_empty() {
            // a holding area: fill places nearest the lanes first; overflow crowds the last one
            let idx = match lane {
                Some(l) => k * self.lanes + l,
                None => k,
            };
            return self.slots[idx.min(self.slots.len() - 1)];
        }
        let side = self.qdir.perp();
        let (row, col, per_row) = match lane {
            Some(l) => (k, l, self.lanes),
            None => (k / self.per_row, k % self.per_row, self.per_row),
        };
        let row = row.min(self.rows.saturating_sub(1));
        // a serpentine: every other row runs the other way, so moving up one place is one step
        let col = if lane.is_none() && row % 2 == 1 {
            per_row - 1 - col
        } else {
            col
        };
        let s = self.spacing;
        let lateral = (col as f32 - (per_row as f32 - 1.0) / 2.0) * s.min(self.width() / per_row as f32);
        self.pos + self.out * 0.5 + self.qdir * (0.3 + row as f32 * s) + side * lateral
    }

    /// Files of the pen: people stand one behind another in a file facing the lanes. With
    /// one shared queue a pen has a file per standing place across (people take the shortest
    /// file and the heads go to the lanes in the order they came); with a queue per lane, one
    /// file per lane. A holding area has none (its places are taken in order).
    pub fn files(&self) -> usize {
        if !self.slots.is_empty() {
            0
        } else if self.policy == LaneChoice::ShortestQueue {
            self.lanes
        } else {
            self.per_row
        }
    }

    /// Where the person `row` places from the head of file `file` stands (`row` fractional
    /// while stepping up); files run straight from the lanes away from the ring.
    pub fn file_point(&self, file: usize, row: f32) -> Vec2 {
        self.pen_point(row, self.file_lateral(file))
    }

    /// Across offset of file `file` from the pen's middle line, m.
    pub fn file_lateral(&self, file: usize) -> f32 {
        let n = self.files().max(1);
        (file as f32 - (n as f32 - 1.0) / 2.0) * self.spacing.min(self.width() / n as f32)
    }

    /// Where `p` lies in the pen's own terms: (row, across offset in m), the inverse of
    /// [`CheckpointRt::pen_point`].
    pub fn pen_coords(&self, p: Vec2) -> (f32, f32) {
        let rel = p - (self.pos + self.out * 0.5);
        ((rel.dot(self.qdir) - 0.3) / self.spacing, rel.dot(self.qdir.perp()))
    }

    /// The point `row` places from the lanes and `lateral` m across from the pen's middle line.
    pub fn pen_point(&self, row: f32, lateral: f32) -> Vec2 {
        self.pos + self.out * 0.5 + self.qdir * (0.3 + row * self.spacing) + self.qdir.perp() * lateral
    }

    /// Places in the pen or holding area: a queue longer than this waits outside it.
    pub fn capacity(&self) -> usize {
        if self.slots.is_empty() {
            (self.rows * self.per_row).max(1)
        } else {
            self.slots.len()
        }
    }

    /// Width of the pen, m.
    pub fn width(&self) -> f32 {
        self.per_row as f32 * self.spacing
    }

    /// Where a person stands while screened in `lane` (just outside the ring).
    pub fn lane_spot(&self, lane: usize) -> Vec2 {
        let lateral = (lane as f32 - (self.lanes as f32 - 1.0) / 2.0) * (self.width() / self.lanes as f32);
        self.pos + self.out * 0.3 + self.along * lateral
    }

    /// Where a person leaves `lane` on the inner side.
    pub fn inner_spot(&self, lane: usize) -> Vec2 {
        let lateral = (lane as f32 - (self.lanes as f32 - 1.0) / 2.0) * (self.width() / self.lanes as f32);
        self.pos - self.out * 0.8 + self.along * lateral
    }

    /// Whether the lanes are open at `t` (s after the start).
    pub fn is_open(&self, t: f64) -> bool {
        t >= self.open && t < self.close
    }

    /// Draws a screening time.
    pub fn draw_service(&self, rng: &mut ChaCha8Rng) -> f64 {
        crate::rng::service(&self.service, rng)
    }
}

/// Depth of a door's frame, m: a ring is a line, but the wall a door is set in has a thickness,
/// and people pass through a frame more slowly than past the end of a line (with the frame,
/// the flow through a door matches the measured capacity of bottlenecks; see tests/doors.rs).
/// The frame stands on the ring's outer side, so the inner face stays flush and people
/// sliding along it reach the opening.
pub const DOOR_FRAME: f32 = 0.3;

/// A way across a ring for a visitor: a checkpoint's lanes (inwards) or a door (outwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hop {
    /// Through checkpoint `k`'s queue and lanes, into its ring.
    Lanes(u16),
    /// Out of a ring through door `d`.
    Door(u16),
}

/// An exit-only door at run time: an opening in a ring that people leave through. In the
/// shared raster its cells stay blocked and to everyone else its opening is a wall; only those
/// walking its own floor field (which runs through the opening) pass it.
#[derive(Debug, Clone)]
pub struct DoorRt {
    /// Name (a checkpoint's exit: the checkpoint's name and " exit").
    pub name: String,
    /// Ring index.
    pub ring: usize,
    /// The checkpoint whose exit it is (None: a door of its own).
    pub checkpoint: Option<u16>,
    /// One side of the opening (on the ring).
    pub a: Vec2,
    /// The other side.
    pub b: Vec2,
    /// Unit normal pointing out of the ring.
    pub out: Vec2,
    /// Clear width, m.
    pub width: f32,
    /// Region inside the ring at the door.
    pub inner_region: u32,
    /// Region outside.
    pub outer_region: u32,
    /// Floor field leading out through the opening.
    pub field: u16,
    /// Raster cells of the opening (sorted).
    pub cells: Vec<usize>,
    /// Free cells in front of it outside, through the frame (sorted).
    pub front: Vec<usize>,
    /// Of those, the ones beyond the frame, where the way out ends (sorted).
    pub seeds: Vec<usize>,
    /// The visitor classes that may leave through it (None: everybody).
    pub admit: Option<Vec<u16>>,
}

impl DoorRt {
    /// Whether someone of visitor class `class` may leave through it.
    #[inline]
    pub fn admits(&self, class: Option<u16>) -> bool {
        self.admit
            .as_ref()
            .is_none_or(|a| class.is_some_and(|c| a.contains(&c)))
    }

    /// Middle of the opening.
    pub fn mid(&self) -> Vec2 {
        (self.a + self.b) * 0.5
    }

    /// The way someone of radius `r` at `p` near the door walks: straight at the opening, to
    /// a point just outside it (a floor field on a coarse raster only knows the opening to the
    /// nearest cell). `None` farther than 2 m from the opening.
    #[inline]
    pub fn aim(&self, p: Vec2, r: f32) -> Option<Vec2> {
        let d = p - self.mid();
        let along = (self.b - self.a).normalize_or_zero();
        let lat = d.dot(along);
        let reach = self.width / 2.0 + 2.0;
        if lat.abs() > reach || d.dot(self.out).abs() > 2.0 {
            return None;
        }
        let half = (self.width / 2.0 - r - 0.05).max(0.0);
        let to = self.mid() + along * lat.clamp(-half, half) + self.out * (DOOR_FRAME + 0.3);
        Some((to - p).normalize_or_zero())
    }

    /// Whether `p` is in the doorway itself (from 0.3 m inside the opening's line to the end of
    /// its frame outside and a little beyond, across its width): someone there when the door
    /// closes goes on through it or back.
    pub fn in_doorway(&self, p: Vec2) -> bool {
        let d = p - self.mid();
        let along = (self.b - self.a).normalize_or_zero();
        (-0.3..=DOOR_FRAME + 0.6).contains(&d.dot(self.out)) && d.dot(along).abs() <= self.width / 2.0
    }

    /// Whether `p` is right in front of the opening on the inner side (within 1.5 m of it, and
    /// no farther to either side than its jambs).
    #[inline]
    pub fn at_opening(&self, p: Vec2) -> bool {
        let d = p - self.mid();
        let depth = d.dot(self.out);
        if !(-1.5..=0.0).contains(&depth) {
            return false;
        }
        let along = (self.b - self.a).normalize_or_zero();
        d.dot(along).abs() <= self.width / 2.0
    }

    /// Whether someone of radius `r` at `p` (in `region`) has come out through the door: clear
    /// of the door line on the outer side, in front of the opening.
    /// `region` is asked only when the rest holds (a look-up in a site-wide raster).
    pub fn passed(&self, p: Vec2, r: f32, region: impl FnOnce() -> u32) -> bool {
        let d = p - self.mid();
        let along = (self.b - self.a).normalize_or_zero();
        d.dot(self.out) > DOOR_FRAME + r + 0.02
            && d.dot(self.out) < DOOR_FRAME + 3.0 + r
            && d.dot(along).abs() <= self.width / 2.0 + r + 0.5
            && region() == self.outer_region
    }
}

/// For each pair of regions, the first edges of the shortest paths (fewest crossings) over the
/// directed `edges` (from, to, id), sorted.
fn first_hops<T: Copy + Ord>(n: usize, edges: &[(usize, usize, T)]) -> Vec<Vec<Vec<T>>> {
    let mut next = vec![vec![Vec::new(); n]; n];
    for from in 0..n {
        // BFS recording the first edges used
        let mut dist = vec![u32::MAX; n];
        let mut first: Vec<Vec<T>> = vec![Vec::new(); n];
        dist[from] = 0;
        let mut frontier = vec![from];
        while !frontier.is_empty() {
            let mut nf = Vec::new();
            for &r in &frontier {
                for &(x, y, id) in edges {
                    if x != r || y >= n {
                        continue;
                    }
                    let firsts = if r == from { vec![id] } else { first[r].clone() };
                    if dist[y] == u32::MAX {
                        dist[y] = dist[r] + 1;
                        first[y] = firsts;
                        nf.push(y);
                    } else if dist[y] == dist[r] + 1 {
                        for f in firsts {
                            if !first[y].contains(&f) {
                                first[y].push(f);
                            }
                        }
                    }
                }
            }
            nf.sort_unstable();
            nf.dedup();
            frontier = nf;
        }
        for (to, mut f) in first.into_iter().enumerate() {
            f.sort_unstable();
            next[from][to] = f;
        }
    }
    next
}

/// Rings, checkpoints, item classes and the routing between walkable regions.
#[derive(Debug, Clone, Default)]
pub struct Security {
    /// Rings.
    pub rings: Vec<RingRt>,
    /// Checkpoints.
    pub checkpoints: Vec<CheckpointRt>,
    /// Item class names.
    pub items: Vec<String>,
    /// Visitor class names (crowd groups' `class`, in order of first mention).
    pub classes: Vec<String>,
    /// Per crowd group, its visitor class.
    pub group_class: Vec<Option<u16>>,
    /// Each crowd group's screening time as a multiple of a checkpoint's own.
    pub group_screening: Vec<f64>,
    /// Carrier fraction per item and crowd group.
    pub carriers: Vec<Vec<f64>>,
    /// Region id per raster cell (`u32::MAX` blocked).
    pub region: Vec<u32>,
    /// Number of regions.
    pub regions: u32,
    /// Exit-only doors (those of their own, then each checkpoint's exit beside its lanes).
    pub doors: Vec<DoorRt>,
    /// The floor field of door 0's way out (door `d`'s is this + d).
    pub door_fields_from: u16,
    /// `next_hop[from][to]`: the first crossings of the shortest region paths (fewest rings
    /// crossed): lanes inwards, doors outwards.
    pub next_hop: Vec<Vec<Vec<Hop>>>,
    /// Per door, the other doors of the same way out (same inner and outer region): someone
    /// pressed against one of them while heading for this one takes it.
    pub door_siblings: Vec<Vec<u16>>,
    /// The regions inside the innermost rings: every ring of the greatest level (each hall's
    /// own ring, say), through each of its checkpoints; undetected carriers arriving at a
    /// destination in one count as through.
    pub innermost: Vec<u32>,
}

impl Security {
    /// Builds the routing table `next_hop`: rings are crossed inwards through checkpoints'
    /// lanes and outwards through doors.
    pub fn build_routes(&mut self) {
        let n = self.regions as usize;
        let mut edges = Vec::new();
        for (k, cp) in self.checkpoints.iter().enumerate() {
            edges.push((cp.outer_region as usize, cp.inner_region as usize, Hop::Lanes(k as u16)));
        }
        for (d, door) in self.doors.iter().enumerate() {
            edges.push((
                door.inner_region as usize,
                door.outer_region as usize,
                Hop::Door(d as u16),
            ));
        }
        self.next_hop = first_hops(n, &edges);
        self.door_siblings = self
            .doors
            .iter()
            .enumerate()
            .map(|(d, door)| {
                self.doors
                    .iter()
                    .enumerate()
                    .filter(|&(j, o)| {
                        j != d && o.inner_region == door.inner_region && o.outer_region == door.outer_region
                    })
                    .map(|(j, _)| j as u16)
                    .collect()
            })
            .collect();
    }

    /// The floor field that leads to a crossing: a checkpoint's pen, a door's way out.
    pub fn hop_field(&self, h: Hop) -> u16 {
        match h {
            Hop::Lanes(k) => self.checkpoints[k as usize].pen_field,
            Hop::Door(d) => self.doors[d as usize].field,
        }
    }

    /// Region of a point (`u32::MAX` if blocked or outside).
    pub fn region_at(&self, grid: &crate::venue::grid::NavGrid, p: Vec2) -> u32 {
        match grid.cell_of(p) {
            Some(i) if self.region[i] != u32::MAX => self.region[i],
            _ => {
                // a centre on a wall cell: take the nearest free neighbour's region
                let (cx, cy) = grid.clamp_xy(p);
                let mut best = (f32::MAX, u32::MAX);
                for y in cy.saturating_sub(2)..=(cy + 2).min(grid.ny - 1) {
                    for x in cx.saturating_sub(2)..=(cx + 2).min(grid.nx - 1) {
                        let r = self.region[y * grid.nx + x];
                        let d = grid.center(x, y).distance_squared(p);
                        if r != u32::MAX && d < best.0 {
                            best = (d, r);
                        }
                    }
                }
                best.1
            }
        }
    }
}

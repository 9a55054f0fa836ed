//! The traffic model: Newell's simplified car-following theory (Newell 2002, "A simplified
//! car-following theory: a lower order model", Transp. Res. B 36), the discrete-vehicle form of
//! the kinematic-wave (LWR) model with a triangular fundamental diagram. Each vehicle follows
//! its leader's trajectory shifted by a time τ and a distance d:
//!
//! ```text
//! x_i(t + Δ) = min( x_i(t) + v Δ,  x_{i−1}(t + Δ − τ) − d )
//! ```
//!
//! where v is the free speed (the class's, capped by the road's limit), d the jam spacing (the
//! road one vehicle takes in a stopped queue) and τ = d / w, w being the speed at which
//! stop-and-go travels back up a queue. Its fundamental diagram is the triangle with free-flow
//! branch q = v k, congested branch q = w (k_j − k), jam density k_j = 1/d and capacity
//! q_max = 1 / (τ + d / v) (one lane): with d 7.5 m, w 5.4 m/s and v 13.9 m/s (50 km/h),
//! τ = 1.39 s and q_max = 1,867 vehicles per hour. A queue grows back at the shock speed
//! u = (q_in − q_out) / (k_queue − k_in) (Rankine–Hugoniot), a stopped queue holds exactly one
//! vehicle per d, and a queue released discharges at q_max.
//!
//! Several lanes of a link are one stream (lane changing is not modelled): a link of n lanes
//! has d/n and τ/n, so n times the jam density and the capacity at the same speeds.
//!
//! Junctions: a vehicle at the end of its link follows the last vehicle on its next link (by
//! that vehicle's position on the next link, negative before it entered), so a full link
//! holds vehicles back on the links feeding it (spillback); where links merge, the one that
//! gets there first goes first, and ties go round the links in turn. A vehicle never moves
//! backwards.
//!
//! Positions are kept as an odometer (metres driven) with a short history per vehicle, read
//! back by linear interpolation at t + Δ − τ; when τ < Δ the leader's new position of this step
//! is used if it has moved already, else its old one (never ahead of what the model allows).

use std::collections::VecDeque;

/// One link, as the engine sees it.
#[derive(Debug, Clone)]
pub struct Link {
    /// Length, m.
    pub length: f64,
    /// Lanes (≥ 1).
    pub lanes: u32,
    /// Speed limit, m/s.
    pub speed: f64,
    /// Closed to traffic: nobody enters it (those on it drive out).
    pub closed: bool,
    /// Held at a red light: nobody enters it now (a crossing at its start whose walkers have
    /// the way); unlike `closed`, routes do not change.
    pub red: bool,
    /// Where its front vehicle stops when the next link is closed or red: this far before its
    /// end, m (a crossing at its end: the stop line before it; else 0). One already past that
    /// line drives on.
    pub stop_back: f64,
}

/// One vehicle class, as the engine sees it.
#[derive(Debug, Clone, Copy)]
pub struct Class {
    /// Jam spacing on one lane, m.
    pub spacing: f64,
    /// Reaction time on one lane, s (spacing / wave speed).
    pub tau: f64,
    /// Free speed, m/s.
    pub speed: f64,
}

/// What is at the end of a vehicle's link, for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// It drives on into this link.
    Link(u32),
    /// It stops at the end (a checkpoint's booths, a destination), until taken off.
    Stop,
    /// It leaves the roads at the end.
    Leave,
}

/// A vehicle in the engine.
#[derive(Debug, Clone)]
pub struct Car {
    /// Class index.
    pub class: u16,
    /// Link it is on (meaningful while `on_road`).
    pub link: u32,
    /// Position on the link from its start, m.
    pub x: f64,
    /// Metres driven since it entered the roads.
    pub odo: f64,
    /// Odometer at the start of its current link.
    pub odo0: f64,
    /// Whether it is on a link (not in a booth, at a destination, or gone).
    pub on_road: bool,
    /// Sample index of `hist`'s oldest kept value.
    first: u64,
    /// Odometer at the last samples (a ring indexed by sample % len).
    hist: Vec<f64>,
    /// Last sample index written.
    last: u64,
    /// The step it last moved in.
    stamp: u64,
}

/// An event of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The front vehicle of a link where it stops is within one jam spacing of the end, where
    /// the booths or bays begin (reported every step it is there).
    AtStop {
        /// Vehicle.
        car: u32,
        /// Link.
        link: u32,
    },
    /// A vehicle left the roads at the end of a link.
    Left {
        /// Vehicle.
        car: u32,
        /// Link.
        link: u32,
    },
    /// A vehicle went from one link into the next.
    Crossed {
        /// Vehicle.
        car: u32,
        /// Link left.
        from: u32,
    },
}

/// The roads and the vehicles on them.
#[derive(Debug, Clone)]
pub struct Traffic {
    /// Links.
    pub links: Vec<Link>,
    /// Classes.
    pub classes: Vec<Class>,
    /// Vehicles (slots; free ones in `free`).
    pub cars: Vec<Car>,
    free: Vec<u32>,
    /// Per link, the vehicles on it from the front (furthest along) to the back.
    pub queues: Vec<VecDeque<u32>>,
    /// Step length, s.
    pub dt: f64,
    /// Steps taken.
    pub step_index: u64,
    hist_len: usize,
    /// Per link, seconds its front vehicle was held at its end by a full next link.
    pub blocked_s: Vec<f64>,
    /// Per link, vehicle-metres and vehicle-seconds driven on it (for the mean speed).
    pub veh_m: Vec<f64>,
    /// Per link, vehicle-seconds spent on it.
    pub veh_s: Vec<f64>,
    /// Per link, vehicles that left it at its end.
    pub out_count: Vec<u64>,
}

impl Traffic {
    /// Roads with no vehicles; `dt` is the step.
    pub fn new(links: Vec<Link>, classes: Vec<Class>, dt: f64) -> Traffic {
        let tau_max = classes.iter().map(|c| c.tau).fold(0.0, f64::max);
        let hist_len = ((tau_max / dt).ceil() as usize + 3).max(4);
        let n = links.len();
        Traffic {
            queues: vec![VecDeque::new(); n],
            blocked_s: vec![0.0; n],
            veh_m: vec![0.0; n],
            veh_s: vec![0.0; n],
            out_count: vec![0; n],
            links,
            classes,
            cars: Vec::new(),
            free: Vec::new(),
            dt,
            step_index: 0,
            hist_len,
        }
    }

    /// Current time of the engine, s (steps × dt).
    pub fn now(&self) -> f64 {
        self.step_index as f64 * self.dt
    }

    /// A new vehicle of `class`, off the roads (enter it with [`Self::try_enter`]).
    pub fn add(&mut self, class: u16) -> u32 {
        let car = Car {
            class,
            link: 0,
            x: 0.0,
            odo: 0.0,
            odo0: 0.0,
            on_road: false,
            first: self.step_index,
            hist: vec![0.0; self.hist_len],
            last: self.step_index,
            stamp: u64::MAX,
        };
        match self.free.pop() {
            Some(i) => {
                self.cars[i as usize] = car;
                i
            }
            None => {
                self.cars.push(car);
                (self.cars.len() - 1) as u32
            }
        }
    }

    /// Forgets a vehicle that is off the roads (its slot is reused).
    pub fn remove(&mut self, car: u32) {
        debug_assert!(!self.cars[car as usize].on_road);
        self.free.push(car);
    }

    /// Vehicles in use (on the roads or off them).
    pub fn in_use(&self) -> usize {
        self.cars.len() - self.free.len()
    }

    /// Spacing and reaction time of `class` on `link` (a link's lanes share them out).
    fn d_tau(&self, class: u16, link: u32) -> (f64, f64) {
        let c = self.classes[class as usize];
        let n = f64::from(self.links[link as usize].lanes.max(1));
        (c.spacing / n, c.tau / n)
    }

    /// Odometer of `car` at time `t` (s), from its history (see the module's notes).
    fn odo_at(&self, car: u32, t: f64) -> f64 {
        let c = &self.cars[car as usize];
        let s = t / self.dt;
        let now = self.step_index as f64;
        if s >= now {
            // within the current step: between its position at its start and now
            let at_start = c.hist[(c.last % self.hist_len as u64) as usize];
            if c.stamp == self.step_index && c.last == self.step_index {
                let f = ((s - now) / 1.0).clamp(0.0, 1.0);
                return at_start + f * (c.odo - at_start);
            }
            return at_start;
        }
        let lo = (s.floor() as u64).max(c.first);
        let oldest = c.last.saturating_sub(self.hist_len as u64 - 1).max(c.first);
        let lo = lo.max(oldest);
        if lo >= c.last {
            return c.hist[(c.last % self.hist_len as u64) as usize];
        }
        let a = c.hist[(lo % self.hist_len as u64) as usize];
        let b = c.hist[((lo + 1) % self.hist_len as u64) as usize];
        let f = (s - lo as f64).clamp(0.0, 1.0);
        a + f * (b - a)
    }

    /// Where `car` was on its current link at time `t` (negative before it entered it).
    fn pos_at(&self, car: u32, t: f64) -> f64 {
        self.odo_at(car, t) - self.cars[car as usize].odo0
    }

    /// Speed of `car` over the last step, m/s.
    pub fn speed(&self, car: u32) -> f64 {
        let c = &self.cars[car as usize];
        let hl = self.hist_len as u64;
        if self.step_index == 0 || c.last + 1 < self.step_index || c.last < c.first {
            return 0.0;
        }
        (c.odo - c.hist[(c.last % hl) as usize]).max(0.0) / self.dt
    }

    /// Whether a vehicle of `class` could enter `link` at its start now.
    pub fn can_enter(&self, class: u16, link: u32) -> bool {
        let l = &self.links[link as usize];
        if l.closed || l.red {
            return false;
        }
        match self.queues[link as usize].back() {
            None => true,
            Some(&k) => {
                let (d, tau) = self.d_tau(class, link);
                let t = self.now() + self.dt - tau;
                self.pos_at(k, t) - d >= -1e-9
            }
        }
    }

    /// Puts an off-road vehicle at the start of `link` if there is room (see [`Self::can_enter`]).
    pub fn try_enter(&mut self, car: u32, link: u32) -> bool {
        let class = self.cars[car as usize].class;
        if !self.can_enter(class, link) {
            return false;
        }
        let si = self.step_index;
        let hl = self.hist_len as u64;
        let c = &mut self.cars[car as usize];
        c.on_road = true;
        c.link = link;
        c.x = 0.0;
        c.odo0 = c.odo;
        // it has stood here until now: its history is this place
        c.first = si;
        c.last = si;
        c.hist[(si % hl) as usize] = c.odo;
        c.stamp = u64::MAX; // it moves in the coming step
        self.queues[link as usize].push_back(car);
        true
    }

    /// Takes the vehicle at the front of `link` off the road (into a booth, a destination).
    pub fn take_front(&mut self, link: u32) -> Option<u32> {
        let car = self.queues[link as usize].pop_front()?;
        self.cars[car as usize].on_road = false;
        self.out_count[link as usize] += 1;
        Some(car)
    }

    /// One step of length dt: every vehicle on the roads moves; `next(car, link)` says what is at
    /// the end of `link` for `car`. Events go to `events` (cleared first).
    pub fn step(&mut self, mut next: impl FnMut(u32, u32) -> Next, events: &mut Vec<Event>) {
        events.clear();
        let n = self.links.len();
        let dt = self.dt;
        let si = self.step_index;
        let t_end = self.now() + dt;
        // record every vehicle's position at the start of the step (the sample of this step)
        for li in 0..n {
            for &car in &self.queues[li] {
                let c = &mut self.cars[car as usize];
                if c.last != si {
                    c.last = si;
                    c.hist[(si % self.hist_len as u64) as usize] = c.odo;
                }
            }
        }
        let start = if n > 0 { (si % n as u64) as usize } else { 0 };
        for k in 0..n {
            let li = (start + k) % n;
            let mut idx = 0;
            while idx < self.queues[li].len() {
                let car = self.queues[li][idx];
                if self.cars[car as usize].stamp == si {
                    idx += 1;
                    continue;
                }
                let (class, x) = {
                    let c = &self.cars[car as usize];
                    (c.class, c.x)
                };
                let link = &self.links[li];
                let cls = self.classes[class as usize];
                let v = cls.speed.min(link.speed);
                let len = link.length;
                let (d, tau) = self.d_tau(class, li as u32);
                let mut x_new = x + v * dt;
                if idx > 0 {
                    let leader = self.queues[li][idx - 1];
                    x_new = x_new.min(self.pos_at(leader, t_end - tau) - d);
                }
                // what happens at the end of the link, for the front vehicle
                enum Out {
                    Stay,
                    Into(u32),
                    Leave,
                }
                let mut out = Out::Stay;
                let mut at_stop = false;
                if idx == 0 {
                    match next(car, li as u32) {
                        Next::Link(m) => {
                            // it follows the last vehicle of its next link (before it gets there
                            // too: Newell's rule holds across the junction)
                            let free = x_new;
                            // held by it: where it would have got within a jam spacing of the end
                            let mut held_from = f64::INFINITY;
                            if let Some(&k) = self.queues[m as usize].back() {
                                let (dm, taum) = self.d_tau(class, m);
                                let lim = len + self.pos_at(k, t_end - taum) - dm;
                                if lim < x_new {
                                    x_new = lim;
                                    held_from = len - dm;
                                }
                            }
                            let next = &self.links[m as usize];
                            let line = len - link.stop_back;
                            if (next.closed || next.red) && x <= line + 1e-9 {
                                // held at the stop line
                                if free >= line {
                                    self.blocked_s[li] += dt;
                                }
                                x_new = x_new.min(line);
                            } else if x_new >= len {
                                out = Out::Into(m);
                            } else if free >= held_from {
                                self.blocked_s[li] += dt;
                            }
                        }
                        Next::Stop => {
                            // the booths or bays begin one jam spacing before the stop line
                            x_new = x_new.min(len);
                            at_stop = x_new.max(x) >= len - d - 1e-9;
                        }
                        Next::Leave if x_new >= len => out = Out::Leave,
                        _ => {}
                    }
                }
                let x_new = x_new.max(x);
                let moved = x_new - x;
                self.veh_m[li] += moved.min(len - x).max(0.0);
                self.veh_s[li] += dt;
                let c = &mut self.cars[car as usize];
                c.stamp = si;
                c.odo += moved;
                match out {
                    Out::Into(m) => {
                        self.out_count[li] += 1;
                        self.queues[li].pop_front();
                        let ml = self.links[m as usize].length;
                        let c = &mut self.cars[car as usize];
                        c.link = m;
                        c.x = (x_new - len).min(ml);
                        c.odo0 = c.odo - c.x;
                        self.queues[m as usize].push_back(car);
                        events.push(Event::Crossed { car, from: li as u32 });
                        continue; // the next one is now at idx
                    }
                    Out::Leave => {
                        self.out_count[li] += 1;
                        self.queues[li].pop_front();
                        let c = &mut self.cars[car as usize];
                        c.x = len;
                        c.on_road = false;
                        events.push(Event::Left { car, link: li as u32 });
                        continue;
                    }
                    Out::Stay => {}
                }
                let c = &mut self.cars[car as usize];
                c.x = x_new.min(len);
                if at_stop {
                    events.push(Event::AtStop { car, link: li as u32 });
                }
                idx += 1;
            }
        }
        self.step_index += 1;
    }

    /// The queue at the end of `link`, from its front: the front vehicle within one jam
    /// spacing of the end and each next one on the congested branch behind the one in front
    /// (closer than the critical spacing d + v τ, the spacing at capacity) that `queued(car,
    /// within two jam spacings)` says is held up, followed back onto the links in `upstream(link)` while the queue reaches their
    /// ends. Returns the vehicles and the length in metres from the end of `link` to the back
    /// of the last one (one jam spacing behind its position).
    pub fn queue_at(
        &self,
        link: u32,
        upstream: impl Fn(u32) -> Vec<u32>,
        queued: impl Fn(u32, bool) -> bool,
    ) -> (u32, f64) {
        let mut n = 0u32;
        let mut metres = 0.0;
        let mut li = link;
        let mut offset = 0.0; // distance from the end of `link` to the end of link li
        let mut prev: Option<f64> = None; // how far behind the end of `link` the previous one is
        for _ in 0..64 {
            let len = self.links[li as usize].length;
            for &car in &self.queues[li as usize] {
                let c = &self.cars[car as usize];
                let (d, tau) = self.d_tau(c.class, li);
                let critical = d + self.classes[c.class as usize].speed.min(self.links[li as usize].speed) * tau;
                let behind = offset + (len - c.x);
                let ok = match prev {
                    None => behind <= d + 1e-6,
                    Some(p) => behind - p <= critical + 1e-6 && queued(car, behind - p <= 2.0 * d + 1e-6),
                };
                if !ok {
                    return (n, metres);
                }
                n += 1;
                // its back, but not before the start of the roads (the rest wait off them)
                metres = (behind + d).min(offset + len);
                prev = Some(behind);
            }
            let Some(p) = prev else { return (0, 0.0) };
            // does it reach back onto a link feeding this one?
            offset += len;
            let next = upstream(li).into_iter().find(|&u| {
                self.queues[u as usize].front().is_some_and(|&f| {
                    let fc = &self.cars[f as usize];
                    let (d, tau) = self.d_tau(fc.class, u);
                    let critical = d + self.classes[fc.class as usize].speed.min(self.links[u as usize].speed) * tau;
                    let behind = offset + (self.links[u as usize].length - fc.x);
                    behind - p <= critical + 1e-6 && queued(f, behind - p <= 2.0 * d + 1e-6)
                })
            });
            match next {
                Some(u) => li = u,
                None => return (n, metres),
            }
        }
        (n, metres)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_link(length: f64, lanes: u32) -> Traffic {
        Traffic::new(
            vec![Link {
                length,
                lanes,
                speed: 13.9,
                closed: false,
                red: false,
                stop_back: 0.0,
            }],
            vec![Class {
                spacing: 7.5,
                tau: 7.5 / 5.4,
                speed: 13.9,
            }],
            0.25,
        )
    }

    #[test]
    fn a_lone_vehicle_drives_at_its_free_speed() {
        let mut tr = one_link(1000.0, 1);
        let c = tr.add(0);
        assert!(tr.try_enter(c, 0));
        let mut ev = Vec::new();
        let mut t_left = None;
        for _ in 0..1000 {
            tr.step(|_, _| Next::Leave, &mut ev);
            if ev.iter().any(|e| matches!(e, Event::Left { .. })) {
                t_left = Some(tr.now());
                break;
            }
        }
        let t = t_left.unwrap();
        assert!((t - 1000.0 / 13.9).abs() <= 0.25, "{t}");
    }

    #[test]
    fn a_saturated_entry_discharges_at_the_capacity() {
        for lanes in [1u32, 2] {
            let mut tr = one_link(500.0, lanes);
            let mut waiting: VecDeque<u32> = (0..2000).map(|_| tr.add(0)).collect();
            let mut ev = Vec::new();
            let mut left = Vec::new();
            for _ in 0..(1800.0 / 0.25) as usize {
                while let Some(&c) = waiting.front() {
                    if tr.try_enter(c, 0) {
                        waiting.pop_front();
                    } else {
                        break;
                    }
                }
                tr.step(|_, _| Next::Leave, &mut ev);
                for e in &ev {
                    if let Event::Left { .. } = e {
                        left.push(tr.now());
                    }
                }
            }
            // flow over the middle half hour of leaving
            let n = left.iter().filter(|&&t| (600.0..1200.0).contains(&t)).count();
            let q = n as f64 * 6.0 / f64::from(lanes);
            let qmax = 3600.0 / (7.5 / 5.4 + 7.5 / 13.9);
            assert!((q - qmax).abs() / qmax < 0.01, "lanes {lanes}: {q} vs {qmax}");
        }
    }

    #[test]
    fn vehicles_never_come_closer_than_the_jam_spacing_nor_move_back() {
        // two classes on 1 and 3 lanes, a stop line released at random: stop-and-go throughout
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for lanes in [1u32, 3] {
            let mut tr = Traffic::new(
                vec![Link {
                    length: 800.0,
                    lanes,
                    speed: 13.9,
                    closed: false,
                    red: false,
                    stop_back: 0.0,
                }],
                vec![
                    Class {
                        spacing: 7.5,
                        tau: 7.5 / 5.4,
                        speed: 13.9,
                    },
                    Class {
                        spacing: 15.0,
                        tau: 15.0 / 5.4,
                        speed: 11.0,
                    },
                ],
                0.25,
            );
            let mut ev = Vec::new();
            let mut last_x = std::collections::HashMap::new();
            for _ in 0..20_000 {
                if rng.random::<f64>() < 0.3 {
                    let c = tr.add(u16::from(rng.random::<bool>()));
                    if !tr.try_enter(c, 0) {
                        tr.remove(c);
                    }
                }
                tr.step(|_, _| Next::Stop, &mut ev);
                if rng.random::<f64>() < 0.05 {
                    if let Some(c) = tr.take_front(0) {
                        last_x.remove(&c);
                        tr.remove(c);
                    }
                }
                let q: Vec<u32> = tr.queues[0].iter().copied().collect();
                for w in q.windows(2) {
                    let (a, b) = (&tr.cars[w[0] as usize], &tr.cars[w[1] as usize]);
                    let d = tr.classes[b.class as usize].spacing / f64::from(lanes);
                    assert!(a.x - b.x >= d - 1e-6, "gap {} < {d}", a.x - b.x);
                }
                for &c in &q {
                    let x = tr.cars[c as usize].x;
                    let before = last_x.insert(c, x).unwrap_or(0.0);
                    assert!(x >= before - 1e-9, "moved back");
                    assert!(x <= 800.0 + 1e-9);
                }
            }
        }
    }
}

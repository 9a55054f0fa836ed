//! The service core of a screening checkpoint: `c` lanes fed either by one shared FIFO queue
//! (an ideal serpentine, equivalent to perfect jockeying) or by one FIFO queue per lane chosen
//! by shortest queue on arrival. Event-exact: a lane that finishes between two simulation steps
//! starts its next person at the finishing time, not at the next step, so the queue behaves as
//! the continuous-time queue that queueing theory describes. Work per event is O(lanes), never
//! per person per step.

use std::collections::VecDeque;

/// How arrivals pick a lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanePolicy {
    /// One queue for all lanes; the head goes to the first free lane.
    SharedQueue,
    /// One queue per lane; an arrival joins the lane with the fewest persons (queued + in
    /// service), lowest index on ties, and stays there.
    ShortestQueue,
}

/// A person waiting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waiting {
    /// Caller's id.
    pub id: u64,
    /// When they joined, s.
    pub joined: f64,
}

/// A service that has started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Started {
    /// Caller's id.
    pub id: u64,
    /// Lane index.
    pub lane: u16,
    /// When they joined, s.
    pub joined: f64,
    /// When the service started, s.
    pub start: f64,
    /// When it will end, s.
    pub end: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Lane {
    serving: Option<Started>,
    free_since: f64,
    busy_s: f64,
}

/// A multi-lane checkpoint queue.
#[derive(Debug, Clone)]
pub struct ServiceQueue {
    policy: LanePolicy,
    lanes: Vec<Lane>,
    queues: Vec<VecDeque<Waiting>>,
    /// How far down the shared queue a free lane looks for someone ready (1: strict order).
    lookahead: usize,
    /// Lanes `0..open` start services; the others finish the one they have and take nobody new.
    open: usize,
    /// Shortest time between two service starts, s (a meter; 0: none).
    meter_gap: f64,
    /// The last service start, s.
    last_start: f64,
    /// Per lane: the person screened there cannot step out (the spot beyond the lane is taken);
    /// their screening goes on until it is free.
    blocked: Vec<bool>,
}

impl ServiceQueue {
    /// `lanes` lanes (at least one), all free at time `t0`.
    pub fn new(lanes: usize, policy: LanePolicy, t0: f64) -> ServiceQueue {
        let lanes = lanes.max(1);
        let nq = if policy == LanePolicy::SharedQueue { 1 } else { lanes };
        ServiceQueue {
            policy,
            lanes: vec![
                Lane {
                    serving: None,
                    free_since: t0,
                    busy_s: 0.0
                };
                lanes
            ],
            queues: vec![VecDeque::new(); nq],
            lookahead: 1,
            open: lanes,
            meter_gap: 0.0,
            last_start: f64::NEG_INFINITY,
            blocked: vec![false; lanes],
        }
    }

    /// Whether lane `k` is screening someone.
    pub fn serving(&self, k: usize) -> bool {
        self.lanes.get(k).is_some_and(|l| l.serving.is_some())
    }

    /// Lane `k` may (`false`) or may not (`true`) let its person out from time `t` on: a blocked
    /// lane's person stays in it past the end of their screening, and the lane starts nobody
    /// else, until it is unblocked; their screening then ends no earlier than `t`, the time of
    /// the next [`Self::advance`]. For the space beyond the lanes: nobody steps out onto
    /// someone standing there.
    pub fn set_blocked(&mut self, k: usize, blocked: bool, t: f64) {
        let Some(b) = self.blocked.get_mut(k) else { return };
        if *b
            && !blocked
            && let Some(s) = &mut self.lanes[k].serving
        {
            s.end = s.end.max(t);
        }
        *b = blocked;
    }

    /// A shared queue whose front is `n` people abreast (a pen's files): a free lane takes the
    /// earliest of the first `n` who is ready, not only the very first.
    pub fn with_lookahead(mut self, n: usize) -> ServiceQueue {
        self.lookahead = n.max(1);
        self
    }

    /// Number of lanes.
    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }

    /// Lanes open (taking people).
    pub fn open_lanes(&self) -> usize {
        self.open
    }

    /// From time `t` (processed up to by [`Self::advance`]), lanes `0..n` take people and the
    /// others finish whoever they are screening and take nobody new. A lane that opens is free
    /// from `t`, not from when it last finished. Only for a shared queue: with a queue per lane,
    /// those waiting at a closed lane would have nowhere to go.
    pub fn set_open(&mut self, n: usize, t: f64) {
        let n = n.min(self.lanes.len());
        for l in &mut self.lanes[self.open.min(n)..n] {
            l.free_since = l.free_since.max(t);
        }
        self.open = n;
    }

    /// Meters the checkpoint to at most `per_minute` persons a minute from time `t` (processed up
    /// to by [`Self::advance`]) on (0 or infinite: no meter): service starts are at least
    /// 60 / `per_minute` s apart, so no clock minute sees more; the rest wait in the queue. A
    /// lane idle under the old meter starts nobody before `t`.
    pub fn set_meter(&mut self, per_minute: f64, t: f64) {
        for l in self.lanes.iter_mut().filter(|l| l.serving.is_none()) {
            l.free_since = l.free_since.max(t);
        }
        self.meter_gap = if per_minute.is_finite() && per_minute > 0.0 {
            60.0 / per_minute
        } else {
            0.0
        };
    }

    /// The meter, persons a minute (infinite: none).
    pub fn meter(&self) -> f64 {
        if self.meter_gap > 0.0 {
            60.0 / self.meter_gap
        } else {
            f64::INFINITY
        }
    }

    /// Persons waiting (not in service).
    pub fn queued(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    /// Persons in service.
    pub fn in_service(&self) -> usize {
        self.lanes.iter().filter(|l| l.serving.is_some()).count()
    }

    /// Seconds each lane has spent serving, up to the last processed event.
    pub fn busy_seconds(&self) -> Vec<f64> {
        self.lanes.iter().map(|l| l.busy_s).collect()
    }

    /// Adds a person at time `t` (call [`Self::advance`] to `t` first).
    pub fn join(&mut self, id: u64, t: f64) {
        let q = match self.policy {
            LanePolicy::SharedQueue => 0,
            LanePolicy::ShortestQueue => (0..self.lanes.len())
                // fewest people at the lane; on a tie the shorter file (so a full file is never
                // chosen while another has room)
                .min_by_key(|&k| {
                    let n = self.queues[k].len();
                    (n + usize::from(self.lanes[k].serving.is_some()), n)
                })
                .unwrap_or(0),
        };
        self.queues[q].push_back(Waiting { id, joined: t });
    }

    /// Processes every completion and service start up to time `t`, in time order. `service()`
    /// draws a service duration. Started services go to `started`, finished ones (with their
    /// end time) to `finished`.
    pub fn advance(
        &mut self,
        t: f64,
        service: &mut impl FnMut() -> f64,
        started: &mut Vec<Started>,
        finished: &mut Vec<Started>,
    ) {
        self.advance_inner(
            t,
            true,
            &mut |_| Some(f64::NEG_INFINITY),
            &mut |_| service(),
            started,
            finished,
        );
    }

    /// [`Self::advance`] where a person can start only once `ready(id)` gives the time they got
    /// to the head of the queue (`None`: not there yet; the lane waits for them and nobody
    /// behind them goes first), and `service(id)` draws the duration of `id`'s screening.
    pub fn advance_ready(
        &mut self,
        t: f64,
        ready: &mut impl FnMut(u64) -> Option<f64>,
        service: &mut impl FnMut(u64) -> f64,
        started: &mut Vec<Started>,
        finished: &mut Vec<Started>,
    ) {
        self.advance_inner(t, true, ready, service, started, finished);
    }

    /// Like [`Self::advance`] but starts nobody new (lanes closed): services in progress finish.
    pub fn advance_finish_only(&mut self, t: f64, started: &mut Vec<Started>, finished: &mut Vec<Started>) {
        self.advance_inner(t, false, &mut |_| None, &mut |_| 0.0, started, finished);
    }

    /// Lane queue index and place (0 = next to be served) of a waiting person.
    pub fn position_of(&self, id: u64) -> Option<(usize, usize)> {
        self.queues
            .iter()
            .enumerate()
            .find_map(|(q, v)| v.iter().position(|w| w.id == id).map(|k| (q, k)))
    }

    /// When the longest-waiting person still waiting joined (None: nobody waits).
    pub fn oldest_joined(&self) -> Option<f64> {
        self.queues
            .iter()
            .filter_map(|q| q.front().map(|w| w.joined))
            .reduce(f64::min)
    }

    /// The waiting persons of each queue, head first: (queue, place, person).
    pub fn waiting(&self) -> impl Iterator<Item = (usize, usize, &Waiting)> {
        self.queues
            .iter()
            .enumerate()
            .flat_map(|(q, v)| v.iter().enumerate().map(move |(k, w)| (q, k, w)))
    }

    fn advance_inner(
        &mut self,
        t: f64,
        start_new: bool,
        ready: &mut impl FnMut(u64) -> Option<f64>,
        service: &mut impl FnMut(u64) -> f64,
        started: &mut Vec<Started>,
        finished: &mut Vec<Started>,
    ) {
        loop {
            // start whoever can start: a free lane takes the head of its queue; with one shared
            // queue the lane free the longest goes first
            match (start_new, self.policy) {
                (false, _) => {}
                (true, LanePolicy::SharedQueue) => loop {
                    let lane = (0..self.open)
                        .filter(|&k| self.lanes[k].serving.is_none())
                        .min_by(|&a, &b| {
                            self.lanes[a]
                                .free_since
                                .total_cmp(&self.lanes[b].free_since)
                                .then(a.cmp(&b))
                        });
                    let Some(k) = lane else { break };
                    // the first of the front `lookahead` who is ready (at a file's head) goes
                    let n = self.queues[0].len().min(self.lookahead);
                    let Some(i) = (0..n).find(|&i| {
                        let w = self.queues[0][i];
                        self.try_start(k, w, t, ready, service, started)
                    }) else {
                        break;
                    };
                    self.queues[0].remove(i);
                },
                (true, LanePolicy::ShortestQueue) => {
                    for k in 0..self.lanes.len() {
                        if self.lanes[k].serving.is_none()
                            && let Some(head) = self.queues[k].front().copied()
                            && self.try_start(k, head, t, ready, service, started)
                        {
                            self.queues[k].pop_front();
                        }
                    }
                }
            }
            // the earliest completion up to t, if any
            let next = self
                .lanes
                .iter()
                .enumerate()
                .filter_map(|(k, l)| l.serving.map(|s| (s.end, k)))
                .filter(|&(e, k)| e <= t && !self.blocked[k])
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let Some((end, k)) = next else { break };
            if let Some(s) = self.lanes[k].serving.take() {
                self.lanes[k].busy_s += s.end - s.start;
                self.lanes[k].free_since = end;
                finished.push(s);
            }
        }
    }

    fn try_start(
        &mut self,
        k: usize,
        head: Waiting,
        t: f64,
        ready: &mut impl FnMut(u64) -> Option<f64>,
        service: &mut impl FnMut(u64) -> f64,
        started: &mut Vec<Started>,
    ) -> bool {
        let Some(at_head) = ready(head.id) else {
            return false;
        };
        let mut start = head.joined.max(self.lanes[k].free_since).max(at_head);
        if self.meter_gap > 0.0 {
            start = start.max(self.last_start + self.meter_gap);
        }
        if start > t {
            return false;
        }
        self.last_start = start;
        let d = service(head.id).max(0.0);
        let s = Started {
            id: head.id,
            lane: k as u16,
            joined: head.joined,
            start,
            end: start + d,
        };
        self.lanes[k].serving = Some(s);
        started.push(s);
        true
    }

    /// Removes a waiting person (they gave up or were diverted); returns whether they were queued.
    pub fn leave(&mut self, id: u64) -> bool {
        for q in &mut self.queues {
            if let Some(pos) = q.iter().position(|w| w.id == id) {
                q.remove(pos);
                return true;
            }
        }
        false
    }
}

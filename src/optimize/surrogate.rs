//! The fast surrogates the optimiser searches with before it verifies by simulation:
//!
//! - **Posts** (maximal covering location, Church & ReVelle 1974; expected covering with busy
//!   units, Daskin 1983; or the demand-weighted p90 travel time): demand per raster cell (crowd
//!   density from a baseline run, or walkable area), walking time from every candidate point to
//!   every cell, greedy placement then 1-swap local search. Ties are broken by the
//!   demand-weighted mean time, so a symmetric hall gets its post in the middle.
//! - **Lanes** (marginal analysis): per checkpoint the arrival rate in each time window of the
//!   baseline run and the service rate per lane; lanes go one at a time to the checkpoint whose
//!   expected queueing (Erlang C, M/M/c) over the day drops most.

use crate::checkpoint::queueing::mmc_wait;

/// What the posts should achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PostObjective {
    /// Most demand within `threshold` s of the nearest post (MCLP).
    Coverage {
        /// Threshold, s.
        threshold: f32,
    },
    /// Most demand covered when each post is busy with probability `busy` (MEXCLP).
    Expected {
        /// Threshold, s.
        threshold: f32,
        /// Share of the time a unit is busy.
        busy: f32,
    },
    /// Lowest demand-weighted 90th percentile of the time from the nearest post.
    P90,
}

/// One group of units to place and the deployments it may take.
#[derive(Debug, Clone)]
pub struct UnitChoices {
    /// Emergency speed, m/s.
    pub speed: f32,
    /// Units in the group.
    pub count: u32,
    /// Its choices: each is the rows of [`PostProblem::dist`] where the group spends equal
    /// shares of its time (one row for a post; points along the loop or over the zone for a
    /// patrol).
    pub choices: Vec<Vec<usize>>,
}

impl UnitChoices {
    /// A group at a post that may stand at any of the `n` rows.
    pub fn post(speed: f32, count: u32, n: usize) -> UnitChoices {
        UnitChoices {
            speed,
            count,
            choices: (0..n).map(|r| vec![r]).collect(),
        }
    }
}

/// A placement problem: demand per cell, walking distances from sample points to each cell, and
/// per group to place the deployments it may take. A patrol's coverage of a cell is the share of
/// its sample points within the threshold (its units independent of each other and of the
/// rest), and its time to the cell is the mean over its points.
pub struct PostProblem {
    /// Demand per cell (persons or m², any unit).
    pub demand: Vec<f32>,
    /// Per cell, the share of the time other units (that stay put) already cover it (empty:
    /// none); counts for the covering objectives.
    pub base: Vec<f32>,
    /// `dist[r][cell]`: walking distance (m) from sample point `r` to each cell.
    pub dist: Vec<Vec<f32>>,
    /// The groups to place.
    pub units: Vec<UnitChoices>,
    /// Objective.
    pub objective: PostObjective,
}

impl PostProblem {
    /// Score of a plan (one choice per group): higher is better.
    pub fn score(&self, plan: &[usize]) -> f64 {
        self.score_of(&self.units[..plan.len()], plan)
    }

    /// Per cell: the time from the nearest group (a patrol's mean over its points), the
    /// expected number of units within the threshold, and the probability that none is.
    fn reach(&self, units: &[UnitChoices], plan: &[usize], th: f32) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
        let n = self.demand.len();
        let mut best = vec![f32::INFINITY; n];
        let mut within = vec![0.0f32; n];
        let mut none = vec![1.0f32; n];
        let mut mean = vec![0.0f32; n];
        let mut hits = vec![0u32; n];
        for (u, &c) in units.iter().zip(plan) {
            let v = u.speed.max(1e-6);
            let rows = &u.choices[c];
            let m = rows.len().max(1) as f32;
            mean.iter_mut().for_each(|x| *x = 0.0);
            hits.iter_mut().for_each(|x| *x = 0);
            for &r in rows {
                for (i, &d) in self.dist[r].iter().enumerate() {
                    let t = d / v;
                    mean[i] += t / m;
                    hits[i] += u32::from(t <= th);
                }
            }
            for i in 0..n {
                best[i] = best[i].min(mean[i]);
                let p = hits[i] as f32 / m;
                within[i] += p * u.count as f32;
                none[i] *= (1.0 - p).powi(u.count as i32);
            }
        }
        (best, within, none)
    }

    fn score_of(&self, units: &[UnitChoices], plan: &[usize]) -> f64 {
        let total: f64 = self.demand.iter().map(|&d| f64::from(d)).sum::<f64>().max(1e-12);
        let n = self.demand.len();
        let th = match self.objective {
            PostObjective::Coverage { threshold } | PostObjective::Expected { threshold, .. } => threshold,
            PostObjective::P90 => f32::INFINITY,
        };
        let (best, within, none) = self.reach(units, plan, th);
        // mean time over reachable demand, as a small tie-breaker
        let mut mean = 0.0f64;
        let mut reach = 0.0f64;
        for i in 0..n {
            if self.demand[i] > 0.0 && best[i].is_finite() {
                mean += f64::from(self.demand[i]) * f64::from(best[i]);
                reach += f64::from(self.demand[i]);
            }
        }
        let mean = if reach > 0.0 { mean / reach } else { 1e9 };
        let tie = 1e-6 * mean;
        let other = |i: usize| f64::from(self.base.get(i).copied().unwrap_or(0.0));
        match self.objective {
            PostObjective::Coverage { .. } => {
                let cov: f64 = (0..n)
                    .map(|i| f64::from(self.demand[i]) * (1.0 - (1.0 - other(i)) * f64::from(none[i])))
                    .sum();
                cov / total - tie
            }
            PostObjective::Expected { busy, .. } => {
                let q = f64::from(busy.clamp(0.0, 0.999));
                let cov: f64 = (0..n)
                    .map(|i| f64::from(self.demand[i]) * (1.0 - (1.0 - other(i)) * q.powf(f64::from(within[i]))))
                    .sum();
                cov / total - tie
            }
            PostObjective::P90 => {
                let mut v: Vec<(f32, f32)> = (0..n)
                    .filter(|&i| self.demand[i] > 0.0)
                    .map(|i| (best[i], self.demand[i]))
                    .collect();
                v.sort_by(|a, b| a.0.total_cmp(&b.0));
                let target = 0.9 * v.iter().map(|x| f64::from(x.1)).sum::<f64>();
                let mut acc = 0.0;
                let mut p90 = f64::INFINITY;
                for (t, d) in v {
                    acc += f64::from(d);
                    if acc >= target - 1e-9 {
                        p90 = f64::from(t);
                        break;
                    }
                }
                -p90 - tie
            }
        }
    }

    /// Greedy placement (each group in turn where it adds most, the groups not yet placed not
    /// counting), then 1-swap local search until no single change improves. Returns the plan
    /// and its score; `start` seeds the search.
    pub fn solve(&self, start: Option<&[usize]>) -> (Vec<usize>, f64) {
        let m = self.units.len();
        let mut plan: Vec<usize> = match start {
            Some(s) => s.to_vec(),
            None => {
                let mut p: Vec<usize> = Vec::with_capacity(m);
                for k in 0..m {
                    let mut best = (f64::NEG_INFINITY, 0);
                    for c in 0..self.units[k].choices.len() {
                        p.push(c);
                        let s = self.score(&p);
                        p.pop();
                        if s > best.0 {
                            best = (s, c);
                        }
                    }
                    p.push(best.1);
                }
                p
            }
        };
        let mut score = self.score(&plan);
        loop {
            let mut improved = false;
            for k in 0..m {
                for c in 0..self.units[k].choices.len() {
                    if c == plan[k] {
                        continue;
                    }
                    let old = plan[k];
                    plan[k] = c;
                    let s = self.score(&plan);
                    if s > score + 1e-12 {
                        score = s;
                        improved = true;
                    } else {
                        plan[k] = old;
                    }
                }
            }
            if !improved {
                break;
            }
        }
        (plan, score)
    }
}

/// A lanes problem: per checkpoint the arrival rate (persons/s) in each window and the mean
/// service time per person (s).
pub struct LaneProblem {
    /// `rates[k][w]`: arrivals per second at checkpoint `k` in window `w`.
    pub rates: Vec<Vec<f64>>,
    /// Window length, s.
    pub window: f64,
    /// Mean service time per checkpoint, s.
    pub service: Vec<f64>,
    /// Fewest lanes per checkpoint.
    pub min_lanes: Vec<u32>,
}

impl LaneProblem {
    /// Expected person-seconds of queueing at checkpoint `k` with `c` lanes over the day (an
    /// overloaded window counts its excess arrivals as waiting the rest of the window).
    pub fn queueing(&self, k: usize, c: u32) -> f64 {
        let mu = 1.0 / self.service[k].max(1e-9);
        self.rates[k]
            .iter()
            .map(|&lam| {
                if lam <= 0.0 {
                    return 0.0;
                }
                let rho = lam / (f64::from(c) * mu);
                if rho < 0.999
                    && let Some(wq) = mmc_wait(lam, mu, c)
                {
                    lam * self.window * wq
                } else {
                    // overload: the backlog grows through the window
                    let excess = lam - f64::from(c) * mu * 0.999;
                    0.5 * excess * self.window * self.window + lam * self.window * 3600.0
                }
            })
            .sum()
    }

    /// Marginal analysis: start from the minimum, give each further lane to the checkpoint whose
    /// queueing drops most, until `budget` lanes are placed. Ties go to the lower index.
    pub fn solve(&self, budget: u32) -> Vec<u32> {
        let mut lanes = self.min_lanes.clone();
        let mut used: u32 = lanes.iter().sum();
        while used < budget {
            let mut best = (f64::NEG_INFINITY, 0);
            for k in 0..lanes.len() {
                let gain = self.queueing(k, lanes[k]) - self.queueing(k, lanes[k] + 1);
                if gain > best.0 + 1e-12 {
                    best = (gain, k);
                }
            }
            lanes[best.1] += 1;
            used += 1;
        }
        lanes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A w × h room of 1 m cells: distances from cell (cx, cy) (Chebyshev-free Euclidean).
    fn room(w: usize, h: usize) -> (Vec<f32>, Vec<Vec<f32>>) {
        let n = w * h;
        let demand = vec![1.0; n];
        let dist = (0..n)
            .map(|c| {
                let (cx, cy) = ((c % w) as f32, (c / w) as f32);
                (0..n)
                    .map(|i| ((i % w) as f32 - cx).hypot((i / w) as f32 - cy))
                    .collect()
            })
            .collect();
        (demand, dist)
    }

    /// Two 5 × 5 rooms unreachable from each other: one room's demand, and distances from every
    /// cell of both (cells 0..25 the first room, 25..50 the second).
    fn two_rooms() -> (Vec<f32>, Vec<Vec<f32>>) {
        let (d1, dist1) = room(5, 5);
        let n = 25;
        let mut dist = Vec::new();
        for c in 0..2 * n {
            let mut row = vec![f32::INFINITY; 2 * n];
            let (room_c, local) = (c / n, c % n);
            for i in 0..n {
                row[room_c * n + i] = dist1[local][i];
            }
            dist.push(row);
        }
        (d1, dist)
    }

    #[test]
    fn one_post_in_a_symmetric_hall_goes_to_the_middle() {
        let (demand, dist) = room(11, 7);
        for objective in [
            PostObjective::Coverage { threshold: 4.0 },
            PostObjective::Expected {
                threshold: 4.0,
                busy: 0.3,
            },
            PostObjective::P90,
        ] {
            let p = PostProblem {
                demand: demand.clone(),
                base: vec![],
                units: vec![UnitChoices::post(1.0, 1, dist.len())],
                dist: dist.clone(),
                objective,
            };
            let (plan, _) = p.solve(None);
            assert_eq!((plan[0] % 11, plan[0] / 11), (5, 3), "{objective:?}");
        }
    }

    #[test]
    fn two_posts_in_two_equal_rooms_take_one_each() {
        // two 5 x 5 rooms joined by nothing (unreachable from each other)
        let (d1, dist) = two_rooms();
        let n = 25;
        let demand: Vec<f32> = d1.iter().chain(d1.iter()).copied().collect();
        let p = PostProblem {
            demand,
            base: vec![],
            units: vec![UnitChoices::post(1.0, 1, dist.len()); 2],
            dist,
            objective: PostObjective::Coverage { threshold: 3.0 },
        };
        let (mut plan, score) = p.solve(None);
        plan.sort_unstable();
        assert_eq!(plan, vec![12, n + 12], "one in the middle of each room");
        assert!((score - 1.0).abs() < 1e-3);
    }

    #[test]
    fn a_post_goes_where_the_units_that_stay_put_do_not_reach() {
        // 21 x 5 room; the left 11 columns are always covered by a patrol that stays
        let (demand, dist) = room(21, 5);
        let base: Vec<f32> = (0..21 * 5).map(|i| if i % 21 <= 10 { 1.0 } else { 0.0 }).collect();
        let p = PostProblem {
            demand,
            base,
            units: vec![UnitChoices::post(1.0, 1, dist.len())],
            dist,
            objective: PostObjective::Coverage { threshold: 5.0 },
        };
        let (plan, _) = p.solve(None);
        let x = plan[0] % 21;
        assert!(x >= 13, "post at column {x}: in the covered half");
    }

    #[test]
    fn a_patrol_beats_the_room_with_the_crowd_and_counts_by_its_share_of_points() {
        // two 5 x 5 rooms side by side, unreachable from each other; the crowd is in room 2
        let (d1, dist) = two_rooms();
        let n = 25;
        let demand: Vec<f32> = vec![0.0; n].into_iter().chain(d1.iter().copied()).collect();
        // a beat is its room's four corners and its middle
        let beat = |r: usize| vec![r * n, r * n + 4, r * n + 12, r * n + 20, r * n + 24];
        let p = PostProblem {
            demand,
            base: vec![],
            dist,
            units: vec![UnitChoices {
                speed: 1.0,
                count: 1,
                choices: vec![beat(0), beat(1)],
            }],
            objective: PostObjective::Coverage { threshold: 0.5 },
        };
        assert_eq!(p.solve(Some(&[0])).0, vec![1]);
        // within 0.5 m only the cell it stands on: 5 of 25 cells, each 1/5 of the time
        assert!((p.score(&[1]) - 5.0 / 25.0 / 5.0).abs() < 1e-4, "{}", p.score(&[1]));
        assert!(p.score(&[0]) < 0.0, "the empty room reaches none of the crowd");
    }

    #[test]
    fn lanes_are_split_in_proportion_to_demand() {
        // 300 /h, 600 /h and 900 /h at 30 s per person: 2.5, 5 and 7.5 busy lanes
        let p = LaneProblem {
            rates: vec![vec![300.0 / 3600.0], vec![600.0 / 3600.0], vec![900.0 / 3600.0]],
            window: 3600.0,
            service: vec![30.0; 3],
            min_lanes: vec![1; 3],
        };
        let lanes = p.solve(18);
        assert_eq!(lanes.iter().sum::<u32>(), 18);
        assert!(lanes[0] < lanes[1] && lanes[1] < lanes[2], "{lanes:?}");
        // within one lane of the proportional split 3 : 6 : 9
        for (got, want) in lanes.iter().zip([3, 6, 9]) {
            assert!((i64::from(*got) - want).abs() <= 1, "{lanes:?}");
        }
    }
}

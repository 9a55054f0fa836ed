//! Plan optimiser (`cordon optimize`): proposes where posts stand and how many lanes each
//! checkpoint gets, from fast surrogates over a baseline run ([`surrogate`]), then proves the
//! proposal by Monte Carlo simulation with the batch machinery.

pub mod surrogate;

use crate::batch::{self, path};
use crate::checkpoint::CheckpointState;
use crate::crowd::{Agent, Position, Standing, Walking};
use crate::error::{CordonError, Result};
use crate::metrics::report::Report;
use crate::responders::coverage::Coverage;
use crate::scenario::Validated;
use crate::scenario::model::{Deployment, Scenario};
use crate::schedule::SimClock;
use crate::sim::{SimOptions, Simulation};
use bevy::math::Vec2;
use bevy::prelude::With;
use serde::Serialize;
use serde_json::{Value, json};
use surrogate::{LaneProblem, PostObjective, PostProblem};

/// What to optimise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Objective {
    /// Crowd-weighted coverage within the threshold (MCLP).
    Coverage,
    /// Expected coverage with busy units (MEXCLP).
    Mexclp,
    /// p90 response time.
    ResponseP90,
    /// p90 time to enter, within a lane budget.
    EnterP90,
}

impl std::str::FromStr for Objective {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "coverage" => Ok(Objective::Coverage),
            "mexclp" => Ok(Objective::Mexclp),
            "response-p90" => Ok(Objective::ResponseP90),
            "enter-p90" => Ok(Objective::EnterP90),
            _ => Err(format!(
                "unknown objective `{s}`: coverage, mexclp, response-p90 or enter-p90"
            )),
        }
    }
}

/// The optimiser's settings.
#[derive(Debug, Clone)]
pub struct OptimizeOptions {
    /// Objective.
    pub objective: Objective,
    /// Coverage threshold, s.
    pub threshold: f64,
    /// Post groups whose position may change (empty: every group deployed at a post).
    pub posts: Vec<String>,
    /// Candidate spacing, m (None: about 300 candidates over the walkable area).
    pub spacing: Option<f64>,
    /// Checkpoints whose lanes may change (empty: all).
    pub lanes: Vec<String>,
    /// Total lanes (None: the plan's current total).
    pub lane_budget: Option<u32>,
    /// Share of time a unit is busy (MEXCLP).
    pub busy: f64,
    /// Verification replications per plan.
    pub verify_runs: u64,
    /// Surrogate plans verified besides the input plan.
    pub top: usize,
    /// Simulated seconds per run.
    pub until: Option<f64>,
    /// Base seed.
    pub seed: Option<u64>,
    /// Parallel runs.
    pub jobs: usize,
}

/// One candidate plan: the field changes it makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Label.
    pub name: String,
    /// `(path, value)` changes against the input.
    pub changes: Vec<(String, Value)>,
    /// Surrogate score (higher is better).
    pub surrogate: f64,
}

/// Simulated result of one plan.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    /// The plan.
    pub plan: Plan,
    /// Objective per replication (lower is better after the sign: see `higher_is_better`).
    pub values: Vec<f64>,
    /// Summary of `values`.
    pub summary: batch::output::MetricSummary,
    /// Headline metrics, summarised.
    pub headlines: Vec<batch::output::MetricSummary>,
}

/// The optimiser's result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The simulated objective's name.
    pub metric: String,
    /// Whether a higher value is better.
    pub higher_is_better: bool,
    /// The input plan and every candidate, verified.
    pub plans: Vec<Verified>,
    /// Index of the chosen plan in `plans` (0: the input plan was not beaten).
    pub chosen: usize,
}

/// Demand and arrivals measured in a baseline run.
pub struct Baseline {
    /// Visitors seen per coverage-raster cell (summed over samples).
    pub crowd: Vec<f32>,
    /// Per checkpoint, arrivals per window: joined, plus the growth of those heading for it
    /// (so a checkpoint that holds people outside its full pen still shows its demand).
    pub joined: Vec<Vec<u64>>,
    /// Window, s.
    pub window: f64,
    /// Per coverage cell, the share of samples (every 300 s) in which a free unit of the groups
    /// that stay put reached it within the threshold.
    pub fixed_cover: Vec<f32>,
}

/// Responder groups the optimiser may move: those deployed at a post (only the named ones
/// when names are given).
pub fn movable_groups(sc: &Scenario, names: &[String]) -> Vec<usize> {
    sc.responders
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.deployment, Deployment::Post(_)))
        .filter(|(_, r)| names.is_empty() || names.contains(&r.name))
        .map(|(i, _)| i)
        .collect()
}

/// Runs the input plan once, sampling where the crowd is (every 60 s) and how many join each
/// checkpoint's queue (per 15-minute window).
pub fn baseline(
    v: &Validated,
    cov: &mut Coverage,
    seed: u64,
    until: Option<f64>,
    movable: &[usize],
    threshold: f64,
) -> Baseline {
    let mut sim = Simulation::new(
        v,
        &SimOptions {
            seed: Some(seed),
            until,
            threads: 0,
            multi_threaded_executor: false,
        },
    );
    let g = cov.times().0.clone();
    let ncell = g.nx * g.ny;
    let mut crowd = vec![0.0f32; ncell];
    let mut fixed_hits = vec![0u32; ncell];
    let mut fixed_samples = 0u32;
    let window = 900.0;
    let ncp = v.venue.security.checkpoints.len();
    let mut joined = vec![Vec::new(); ncp];
    let mut last = vec![0u64; ncp];
    let mut last_heading = vec![0u64; ncp];
    let dt = sim.world().resource::<SimClock>().dt;
    let every = (60.0 / dt).round().max(1.0) as u64;
    let per_window = (window / dt).round().max(1.0) as u64;
    while sim.finished().is_none() {
        sim.step();
        let tick = sim.world().resource::<SimClock>().tick;
        if tick % every == 0 {
            let w = sim.world_mut();
            let mut q =
                w.query_filtered::<&Position, (With<Agent>, bevy::prelude::Or<(With<Walking>, With<Standing>)>)>();
            for p in q.iter(w) {
                if let Some(i) = g.cell_of(p.0) {
                    crowd[i] += 1.0;
                }
            }
        }
        if tick % (5 * every) == 0 {
            // where the units that stay put are: coverage they already give
            let w = sim.world_mut();
            let resp = w.get_resource::<crate::responders::Responders>().cloned();
            if let Some(resp) = resp {
                let mut q = w.query::<(&crate::responders::Unit, &Position, &crate::responders::Task)>();
                let fixed: Vec<(Vec2, f32)> = q
                    .iter(w)
                    .filter(|(u, _, t)| t.available() && !movable.contains(&(u.group as usize)))
                    .map(|(u, p, _)| (p.0, resp.groups[u.group as usize].emergency_speed))
                    .collect();
                if !fixed.is_empty() {
                    let times = nearest_times(cov, &fixed);
                    for (h, t) in fixed_hits.iter_mut().zip(&times) {
                        *h += u32::from(f64::from(*t) <= threshold);
                    }
                }
                fixed_samples += 1;
            }
        }
        if tick % per_window == 0 && sim.world().get_resource::<CheckpointState>().is_some() {
            // demand, not what got in: those who joined the queue plus the growth of the crowd
            // still on its way to (or held outside) each checkpoint
            let w = sim.world_mut();
            let mut heading = vec![0u64; ncp];
            for wk in w.query::<&Walking>().iter(w) {
                if let Some(via) = wk.via.filter(|v| v.inbound) {
                    heading[via.cp as usize] += 1;
                }
            }
            let cs = w.resource::<CheckpointState>();
            for k in 0..ncp {
                let j = cs.records[k].joined;
                let grown = heading[k] as i64 - last_heading[k] as i64;
                joined[k].push((j - last[k]).saturating_add_signed(grown));
                last[k] = j;
                last_heading[k] = heading[k];
            }
        }
    }
    let fixed_cover = fixed_hits
        .iter()
        .map(|&h| {
            if fixed_samples > 0 {
                h as f32 / fixed_samples as f32
            } else {
                0.0
            }
        })
        .collect();
    Baseline {
        crowd,
        joined,
        window,
        fixed_cover,
    }
}

fn bad(msg: String) -> CordonError {
    CordonError::Batch(msg)
}

/// Candidate post positions: free raster cells every `spacing` metres, plus the current posts.
fn candidates(cov: &Coverage, spacing: Option<f64>, current: &[Vec2]) -> Vec<Vec2> {
    let (g, _) = cov.times();
    let free: Vec<usize> = (0..g.nx * g.ny).filter(|&i| !g.blocked[i]).collect();
    let area = free.len() as f64 * f64::from(g.h).powi(2);
    let s = spacing.unwrap_or_else(|| (area / 300.0).sqrt()).max(f64::from(g.h));
    let step = ((s / f64::from(g.h)).round() as usize).max(1);
    let mut out: Vec<Vec2> = current.to_vec();
    for y in (step / 2..g.ny).step_by(step) {
        for x in (step / 2..g.nx).step_by(step) {
            if !g.blocked[y * g.nx + x] {
                out.push(g.center(x, y));
            }
        }
    }
    out
}

/// Proposes plans by the surrogates.
pub fn propose(
    sc: &Scenario,
    v: &Validated,
    opts: &OptimizeOptions,
    base: &Baseline,
    cov: &mut Coverage,
) -> Result<Vec<Plan>> {
    let mut plans = Vec::new();
    match opts.objective {
        Objective::Coverage | Objective::Mexclp | Objective::ResponseP90 => {
            let movable = movable_groups(sc, &opts.posts);
            let groups: Vec<(usize, Vec2, f32)> = sc
                .responders
                .iter()
                .enumerate()
                .filter(|(i, _)| movable.contains(i))
                .filter_map(|(i, r)| match r.deployment {
                    Deployment::Post(p) => Some((
                        i,
                        Vec2::new(p.0 as f32, p.1 as f32),
                        r.emergency_speed.unwrap_or(r.speed) as f32,
                    )),
                    _ => None,
                })
                .collect();
            for n in &opts.posts {
                if !groups.iter().any(|g| sc.responders[g.0].name == *n) {
                    return Err(bad(format!(
                        "--posts {n}: no responder group of that name deployed at a post (groups: {})",
                        sc.responders
                            .iter()
                            .map(|r| r.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            if groups.is_empty() {
                return Err(bad(
                    "nothing to place: the plan has no responder group deployed at a post".into(),
                ));
            }
            let current: Vec<Vec2> = groups.iter().map(|g| g.1).collect();
            let cands = candidates(cov, opts.spacing, &current);
            let (g, _) = cov.times();
            let any_crowd = base.crowd.iter().any(|&c| c > 0.0);
            let demand: Vec<f32> = if any_crowd {
                base.crowd.clone()
            } else {
                g.blocked.iter().map(|&b| if b { 0.0 } else { 1.0 }).collect()
            };
            let dist: Vec<Vec<f32>> = cands.iter().map(|&p| cov.distances_from(&[p])).collect();
            let th = opts.threshold as f32;
            let objective = match opts.objective {
                Objective::Coverage => PostObjective::Coverage { threshold: th },
                Objective::Mexclp => PostObjective::Expected {
                    threshold: th,
                    busy: opts.busy as f32,
                },
                _ => PostObjective::P90,
            };
            let problem = PostProblem {
                demand,
                base: base.fixed_cover.clone(),
                dist,
                speeds: groups.iter().map(|g| g.2).collect(),
                objective,
            };
            let input: Vec<usize> = (0..groups.len()).collect();
            let input_score = problem.score(&input);
            let mut found: Vec<(Vec<usize>, f64, &str)> = Vec::new();
            let (a, sa) = problem.solve(None);
            found.push((a, sa, "greedy + swaps"));
            let (b, sb) = problem.solve(Some(&input));
            found.push((b, sb, "swaps from the input plan"));
            found.sort_by(|x, y| y.1.total_cmp(&x.1));
            found.dedup_by(|x, y| x.0 == y.0);
            for (plan, score, how) in found.into_iter().take(opts.top.max(1)) {
                if plan == input || score <= input_score + 1e-12 {
                    continue;
                }
                let changes = groups
                    .iter()
                    .zip(&plan)
                    .filter(|(g, c)| cands[**c] != g.1)
                    .map(|(g, &c)| {
                        let p = cands[c];
                        (
                            format!("responders[name=\"{}\"].deployment", sc.responders[g.0].name),
                            json!({"Post": [round1(p.x), round1(p.y)]}),
                        )
                    })
                    .collect();
                plans.push(Plan {
                    name: how.into(),
                    changes,
                    surrogate: score,
                });
            }
        }
        Objective::EnterP90 => {
            let cps = &v.venue.security.checkpoints;
            let chosen: Vec<usize> = (0..cps.len())
                .filter(|&k| opts.lanes.is_empty() || opts.lanes.contains(&cps[k].name))
                .filter(|&k| base.joined[k].iter().any(|&j| j > 0) || !opts.lanes.is_empty())
                .collect();
            for n in &opts.lanes {
                if !cps.iter().any(|c| c.name == *n) {
                    return Err(bad(format!("--lanes {n}: no checkpoint of that name")));
                }
            }
            if chosen.is_empty() {
                return Err(bad(
                    "nothing to allocate: no checkpoint had arrivals in the baseline run".into(),
                ));
            }
            let current: u32 = chosen.iter().map(|&k| cps[k].lanes as u32).sum();
            let budget = opts.lane_budget.unwrap_or(current);
            if budget < chosen.len() as u32 {
                return Err(bad(format!(
                    "--lane-budget {budget}: fewer lanes than checkpoints ({})",
                    chosen.len()
                )));
            }
            let problem = LaneProblem {
                rates: chosen
                    .iter()
                    .map(|&k| base.joined[k].iter().map(|&j| j as f64 / base.window).collect())
                    .collect(),
                window: base.window,
                service: chosen.iter().map(|&k| cps[k].service.mean()).collect(),
                min_lanes: vec![1; chosen.len()],
            };
            let lanes = problem.solve(budget);
            let before: f64 = chosen
                .iter()
                .enumerate()
                .map(|(i, &k)| problem.queueing(i, cps[k].lanes as u32))
                .sum();
            let after: f64 = lanes.iter().enumerate().map(|(i, &c)| problem.queueing(i, c)).sum();
            let changes: Vec<(String, Value)> = chosen
                .iter()
                .zip(&lanes)
                .filter(|(k, c)| cps[**k].lanes as u32 != **c)
                .map(|(&k, &c)| (format!("checkpoints[name=\"{}\"].lanes", cps[k].name), json!(c)))
                .collect();
            if !changes.is_empty() {
                plans.push(Plan {
                    name: format!("marginal analysis, {budget} lanes"),
                    changes,
                    surrogate: before - after,
                });
            }
        }
    }
    Ok(plans)
}

fn round1(x: f32) -> f64 {
    (f64::from(x) * 10.0).round() / 10.0
}

/// The simulated objective of a report.
pub fn objective_value(obj: Objective, threshold: f64, r: &Report) -> Option<f64> {
    match obj {
        Objective::Coverage | Objective::Mexclp => {
            let t = r
                .response
                .as_ref()
                .and_then(|x| x.coverage.as_ref())
                .and_then(|c| c.thresholds.iter().find(|t| (t.threshold_s - threshold).abs() < 1e-9));
            t.map(|t| t.crowd_mean.unwrap_or(t.area_mean))
        }
        Objective::ResponseP90 => r
            .response
            .as_ref()
            .filter(|x| x.overall.answered > 0)
            .map(|x| x.overall.response_s.p90),
        Objective::EnterP90 => r
            .security
            .as_ref()
            .filter(|s| s.time_to_enter_s.count > 0)
            .map(|s| s.time_to_enter_s.p90),
    }
}

/// Name of the simulated objective.
pub fn metric_name(obj: Objective, threshold: f64) -> String {
    match obj {
        Objective::Coverage | Objective::Mexclp => {
            format!("mean coverage within {threshold:.0} s (of the crowd; of the area without one)")
        }
        Objective::ResponseP90 => "response time p90 (s)".into(),
        Objective::EnterP90 => "time to enter p90 (s)".into(),
    }
}

/// Verifies the input plan and the candidates by simulation (the same seeds for every plan:
/// common random numbers) and chooses the best mean; the input plan stays unless beaten.
pub fn verify(
    sc: &Scenario,
    file: &str,
    opts: &OptimizeOptions,
    plans: Vec<Plan>,
    done: &(dyn Fn(u64) + Sync),
) -> Result<Outcome> {
    let doc = batch::to_doc(sc)?;
    let mut all = vec![Plan {
        name: "input plan".into(),
        changes: vec![],
        surrogate: f64::NAN,
    }];
    all.extend(plans);
    let variants: Vec<Validated> = all
        .iter()
        .map(|p| batch::variant(&doc, &p.changes, file))
        .collect::<Result<_>>()?;
    let seed = opts.seed.unwrap_or(sc.sim.seed);
    let runs = opts.verify_runs.max(1);
    let spec = batch::BatchSpec {
        file: Some(file.into()),
        scenario: sc.name.clone(),
        runs,
        seed,
        until: opts.until,
        sets: vec![],
        sweeps: vec![],
    };
    let (obj, th) = (opts.objective, opts.threshold);
    let higher = higher_is_better(obj);
    // replication k of every plan runs with the same seed
    let runner = |_: &batch::BatchSpec, vs: &[Validated], g: u64| {
        let (p, k) = (g / runs, g % runs);
        let s = batch::run_seed(seed, 0, k);
        let mut sim = Simulation::new(
            &vs[p as usize],
            &SimOptions {
                seed: Some(s),
                until: opts.until,
                threads: 1,
                multi_threaded_executor: false,
            },
        );
        let report = sim.run(|_, _| {});
        let mut m = batch::headline(&report);
        m.push(objective_value(obj, th, &report));
        batch::RunRow {
            index: g,
            point: p,
            rep: k,
            seed: s,
            metrics: m,
            error: None,
        }
    };
    let todo: Vec<u64> = (0..all.len() as u64 * runs).collect();
    let rows = batch::run_all_with(&spec, &variants, &todo, opts.jobs, done, &runner);
    if let Some(r) = rows.iter().find(|r| r.error.is_some()) {
        return Err(bad(format!(
            "verification run {} of plan {} (seed {}) failed: {}",
            r.rep,
            r.point,
            r.seed,
            r.error.clone().unwrap_or_default()
        )));
    }
    let nm = batch::METRICS.len();
    let verified: Vec<Verified> = all
        .into_iter()
        .enumerate()
        .map(|(p, plan)| {
            let mine: Vec<&batch::RunRow> = rows.iter().filter(|r| r.point == p as u64).collect();
            let values: Vec<f64> = mine.iter().filter_map(|r| r.metrics[nm]).collect();
            let summary = batch::output::summarise(&metric_name(obj, th), &values);
            let headlines = (0..nm)
                .map(|m| {
                    let v: Vec<f64> = mine.iter().filter_map(|r| r.metrics[m]).collect();
                    batch::output::summarise(batch::METRICS[m], &v)
                })
                .collect();
            Verified {
                plan,
                values,
                summary,
                headlines,
            }
        })
        .collect();
    if verified[0].summary.mean.is_none() {
        return Err(bad(format!(
            "the input plan gives no value of {} (no incidents, no coverage sampling at {th:.0} s or no checkpoints?)",
            metric_name(obj, th)
        )));
    }
    // the best mean; the input plan unless a candidate is strictly better
    let better = |a: f64, b: f64| if higher { a > b } else { a < b };
    let mut chosen = 0;
    for (i, v) in verified.iter().enumerate().skip(1) {
        if let (Some(m), Some(best)) = (v.summary.mean, verified[chosen].summary.mean)
            && better(m, best)
        {
            chosen = i;
        }
    }
    Ok(Outcome {
        metric: metric_name(obj, th),
        higher_is_better: higher,
        plans: verified,
        chosen,
    })
}

/// Whether a higher simulated objective is better.
pub fn higher_is_better(obj: Objective) -> bool {
    matches!(obj, Objective::Coverage | Objective::Mexclp)
}

/// Applies the chosen plan's changes to the scenario text, touching only the changed values.
pub fn edit_text(text: &str, changes: &[(String, Value)]) -> Result<String> {
    let mut out = text.to_string();
    for (p, v) in changes {
        let steps = path::parse(p)?;
        let (list, name, field) = match steps.as_slice() {
            [
                path::Step::Field(list),
                path::Step::Where(k, name),
                path::Step::Field(field),
            ] if k == "name" => (list.as_str(), name.as_str(), field.as_str()),
            _ => return Err(bad(format!("cannot edit `{p}` in the text"))),
        };
        let section = out
            .find(&format!("{list}:"))
            .ok_or_else(|| bad(format!("no `{list}:` section in the scenario text")))?;
        let at = out[section..]
            .find(&format!("name: \"{name}\""))
            .map(|i| section + i)
            .ok_or_else(|| bad(format!("no element named \"{name}\" in `{list}`")))?;
        let end = out[at + 1..].find("name: \"").map_or(out.len(), |i| at + 1 + i);
        let (start, stop, repl) = match (field, v) {
            ("lanes", Value::Number(n)) => {
                let f = out[at..end]
                    .find("lanes:")
                    .map(|i| at + i + "lanes:".len())
                    .ok_or_else(|| bad(format!("no `lanes:` for \"{name}\"")))?;
                let s = f + out[f..].len() - out[f..].trim_start().len();
                let e = s + out[s..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
                (s, e, n.to_string())
            }
            ("deployment", Value::Object(m)) if m.contains_key("Post") => {
                let xy = m["Post"].as_array().cloned().unwrap_or_default();
                let f = out[at..end]
                    .find("Post(")
                    .map(|i| at + i + "Post(".len())
                    .ok_or_else(|| bad(format!("no `Post(` for \"{name}\"")))?;
                let close = out[f..]
                    .find(')')
                    .map(|i| f + i + 1)
                    .ok_or_else(|| bad("unclosed Post".into()))?;
                let fmt = |v: &Value| {
                    let x = v.as_f64().unwrap_or(0.0);
                    if x.fract() == 0.0 {
                        format!("{x:.0}")
                    } else {
                        format!("{x}")
                    }
                };
                (f, close, format!("({}, {})", fmt(&xy[0]), fmt(&xy[1])))
            }
            _ => return Err(bad(format!("cannot edit `{p}` in the text"))),
        };
        out.replace_range(start..stop, &repl);
    }
    Ok(out)
}

/// Travel time (s) from the nearest post of a plan to each cell of the coverage raster.
pub fn nearest_times(cov: &mut Coverage, posts: &[(Vec2, f32)]) -> Vec<f32> {
    let (g, _) = cov.times();
    let mut best = vec![f32::INFINITY; g.nx * g.ny];
    for &(p, v) in posts {
        for (b, d) in best.iter_mut().zip(cov.distances_from(&[p])) {
            *b = b.min(d / v.max(1e-6));
        }
    }
    best
}

/// Positions and emergency speeds of a scenario's post groups.
pub fn posts_of(sc: &Scenario) -> Vec<(Vec2, f32)> {
    sc.responders
        .iter()
        .filter_map(|r| match r.deployment {
            Deployment::Post(p) => Some((
                Vec2::new(p.0 as f32, p.1 as f32),
                r.emergency_speed.unwrap_or(r.speed) as f32,
            )),
            _ => None,
        })
        .collect()
}

/// Two coverage maps side by side (input plan, optimised plan): time from the nearest post per
/// cell, ≤ 60 s dark green, ≤ 180 s light green, ≤ 300 s amber, beyond red; walls grey.
pub fn coverage_maps_png(cov: &Coverage, before: &[f32], after: &[f32]) -> Result<Vec<u8>> {
    let (g, _) = cov.times();
    let scale = (600 / g.nx.max(1)).clamp(1, 8);
    let (pw, ph) = (g.nx * scale, g.ny * scale);
    let gap = 10;
    let (w, h) = (2 * pw + gap, ph);
    let mut buf = vec![255u8; w * h * 3];
    for (panel, times) in [before, after].iter().enumerate() {
        for y in 0..g.ny {
            for x in 0..g.nx {
                let i = y * g.nx + x;
                let c: [u8; 3] = if g.blocked[i] {
                    [150, 150, 150]
                } else {
                    match times[i] {
                        t if t <= 60.0 => [26, 152, 80],
                        t if t <= 180.0 => [145, 207, 96],
                        t if t <= 300.0 => [253, 174, 97],
                        _ => [215, 48, 39],
                    }
                };
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (px, py) = (panel * (pw + gap) + x * scale + dx, (g.ny - 1 - y) * scale + dy);
                        let o = (py * w + px) * 3;
                        buf[o..o + 3].copy_from_slice(&c);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc
            .write_header()
            .map_err(|e| CordonError::Batch(format!("coverage map: {e}")))?;
        wr.write_image_data(&buf)
            .map_err(|e| CordonError::Batch(format!("coverage map: {e}")))?;
    }
    Ok(out)
}

/// The comparison table (Markdown): each plan's objective and headline means with 95% CIs.
pub fn comparison_md(o: &Outcome) -> String {
    let fmt = |m: &batch::output::MetricSummary| match (m.mean, m.ci95_low, m.ci95_high) {
        (Some(x), Some(lo), Some(hi)) => format!("{x:.3} [{lo:.3}, {hi:.3}]"),
        (Some(x), _, _) => format!("{x:.3}"),
        _ => "–".into(),
    };
    let mut s = format!(
        "# Plan optimisation\n\nObjective (simulated): {} ({} is better). Chosen: **{}**.\n\n",
        o.metric,
        if o.higher_is_better { "higher" } else { "lower" },
        o.plans[o.chosen].plan.name
    );
    s += "| | ";
    s += &o
        .plans
        .iter()
        .map(|p| p.plan.name.clone())
        .collect::<Vec<_>>()
        .join(" | ");
    s += " |\n|---|";
    s += &"---|".repeat(o.plans.len());
    s += "\n| **objective** | ";
    s += &o.plans.iter().map(|p| fmt(&p.summary)).collect::<Vec<_>>().join(" | ");
    s += " |\n";
    for m in 0..batch::METRICS.len() {
        if o.plans.iter().all(|p| p.headlines[m].mean.is_none()) {
            continue;
        }
        s += &format!("| {} | ", batch::METRICS[m]);
        s += &o
            .plans
            .iter()
            .map(|p| fmt(&p.headlines[m]))
            .collect::<Vec<_>>()
            .join(" | ");
        s += " |\n";
    }
    s += "\nChanges of each plan against the input:\n\n";
    for p in &o.plans[1..] {
        s += &format!("- {}: ", p.plan.name);
        s += &p
            .plan
            .changes
            .iter()
            .map(|(k, v)| format!("`{k} = {v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        s += "\n";
    }
    s
}

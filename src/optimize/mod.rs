//! Plan optimiser (`cordon optimize`): proposes where posts stand and how many lanes each
//! checkpoint gets, from fast surrogates over a baseline run ([`surrogate`]), then proves the
//! proposal by Monte Carlo simulation with the batch machinery.

pub mod candidates;
pub mod report;
pub mod surrogate;

use crate::batch::{self, path};
use crate::build::Validated;
use crate::checkpoint::CheckpointState;
use crate::crowd::{Agent, Position, Standing, Walking};
use crate::error::{CordonError, Result};
use crate::report::Report;
use crate::responders::coverage::Coverage;
use crate::scenario::model::{Deployment, Scenario};
use crate::schedule::SimClock;
use crate::sim::{SimOptions, Simulation};
use bevy::math::Vec2;
use bevy::prelude::With;
use candidates::Choice;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::PathBuf;
use surrogate::{LaneProblem, PostObjective, PostProblem, UnitChoices};

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

/// The `cordon optimize` arguments: the file, where to write, and the optimiser's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct OptimizeArgs {
    /// Scenario file (RON).
    pub file: PathBuf,
    /// Output folder (default out/<scenario>-optimize).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub options: OptimizeOptions,
}

/// The optimiser's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct OptimizeOptions {
    /// coverage (MCLP), mexclp (busy units), response-p90 (posts) or enter-p90 (lanes).
    #[arg(long, default_value = "coverage")]
    pub objective: Objective,
    /// Coverage threshold, s.
    #[arg(long, default_value_t = 180.0)]
    pub threshold: f64,
    /// Post groups that may move (comma-separated, or `all`; with neither --posts nor
    /// --patrols: every group at a post).
    #[arg(long, value_delimiter = ',')]
    pub posts: Vec<String>,
    /// Patrol groups (routes, beats) whose route or beat may change (comma-separated, or `all`).
    #[arg(long, value_delimiter = ',')]
    pub patrols: Vec<String>,
    /// Zones the posts must stand in and the patrols may patrol (comma-separated; default: any).
    #[arg(long, value_delimiter = ',')]
    pub within: Vec<String>,
    /// Spacing of candidate post positions, m (default: ~300 candidates).
    #[arg(long)]
    pub spacing: Option<f64>,
    /// Checkpoints whose lanes may change (comma-separated; default: all with arrivals).
    #[arg(long, value_delimiter = ',')]
    pub lanes: Vec<String>,
    /// Total lanes to share out (default: their current total).
    #[arg(long)]
    pub lane_budget: Option<u32>,
    /// Share of the time a unit is busy, for mexclp (default: as busy as the movable units
    /// were in the baseline run).
    #[arg(long)]
    pub busy: Option<f64>,
    /// Rounds of the lanes analysis: each next round measures the demand under the last plan.
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    /// Verification replications per plan.
    #[arg(long, default_value_t = 5)]
    pub verify_runs: u64,
    /// Surrogate plans verified besides the input plan.
    #[arg(long, default_value_t = 2)]
    pub top: usize,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub run: batch::args::RunSettings,
}

/// `cordon optimize` as a library call: reads the file, optimises, and writes the plan, the
/// comparison and its report into the output folder at once. Returns the outcome, the files
/// written and the folder.
pub fn run_args(
    a: &OptimizeArgs,
    say: &dyn Fn(&str),
    done: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Outcome, Vec<String>, PathBuf)> {
    crate::sim::init_compute_pool(0);
    let text = crate::scenario::read_text(&a.file)?;
    let stem = a
        .file
        .file_stem()
        .map_or("plan".into(), |s| s.to_string_lossy().into_owned());
    let (outcome, files) = run(&text, &a.file, &stem, &a.options, say, done)?;
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("out").join(format!("{}-optimize", outcome.scenario)));
    crate::output::write_folder(&out, &files)?;
    Ok((outcome, files.into_iter().map(|f| f.0).collect(), out))
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
    /// The scenario's name.
    pub scenario: String,
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
    /// Share of their time on duty the movable units spent en route or on scene (None: no
    /// movable unit was on duty).
    pub busy: Option<f64>,
}

/// Responder groups the optimiser may move: the post groups named in `posts` and the patrol
/// groups (routes, beats) named in `patrols` (`all` names every one of its kind); with both
/// lists empty, every group deployed at a post. An unknown or wrong-kind name is an error.
pub fn movable_groups(sc: &Scenario, posts: &[String], patrols: &[String]) -> Result<Vec<usize>> {
    let is_post = |d: &Deployment| matches!(d, Deployment::Post(_));
    let all_posts = posts.is_empty() && patrols.is_empty();
    let pick = |names: &[String], want_post: bool, flag: &str| -> Result<Vec<usize>> {
        // units that drive stand at their station on the roads: not moved
        let kind = |r: &crate::scenario::model::ResponderSpec| is_post(&r.deployment) == want_post && r.drive.is_none();
        for n in names.iter().filter(|n| *n != "all") {
            if !sc.responders.iter().any(|r| r.name == *n && kind(r)) {
                let of: Vec<&str> = sc
                    .responders
                    .iter()
                    .filter(|r| kind(r))
                    .map(|r| r.name.as_str())
                    .collect();
                return Err(bad(format!(
                    "{flag} {n}: no responder group of that name {} (those that are: {})",
                    if want_post {
                        "deployed at a post"
                    } else {
                        "on a route or beat"
                    },
                    if of.is_empty() { "none".into() } else { of.join(", ") }
                )));
            }
        }
        let every = names.iter().any(|n| n == "all");
        Ok((0..sc.responders.len())
            .filter(|&i| kind(&sc.responders[i]) && (every || names.contains(&sc.responders[i].name)))
            .collect())
    };
    let mut out = if all_posts {
        pick(&["all".to_string()], true, "--posts")?
    } else {
        pick(posts, true, "--posts")?
    };
    out.extend(pick(patrols, false, "--patrols")?);
    out.sort_unstable();
    Ok(out)
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
    sim.run_to(f64::INFINITY, |w| {
        let tick = w.resource::<SimClock>().tick;
        if tick % every == 0
            && let Some(mut q) =
                w.try_query_filtered::<&Position, (With<Agent>, bevy::prelude::Or<(With<Walking>, With<Standing>)>)>()
        {
            for p in q.iter(w) {
                if let Some(i) = g.cell_of(p.0) {
                    crowd[i] += 1.0;
                }
            }
        }
        if tick % (5 * every) == 0
            && let Some(resp) = w.get_resource::<crate::responders::Responders>()
        {
            // where the units that stay put are: coverage they already give
            let fixed: Vec<(Vec2, f32)> = w
                .try_query::<(&crate::responders::Unit, &Position, &crate::responders::Task)>()
                .map(|mut q| {
                    q.iter(w)
                        .filter(|(u, _, t)| t.available() && !movable.contains(&(u.group as usize)))
                        .map(|(u, p, _)| (p.0, resp.groups[u.group as usize].emergency_speed))
                        .collect()
                })
                .unwrap_or_default();
            if !fixed.is_empty() {
                let times = nearest_times(cov, &fixed);
                for (h, t) in fixed_hits.iter_mut().zip(&times) {
                    *h += u32::from(f64::from(*t) <= threshold);
                }
            }
            fixed_samples += 1;
        }
        if tick % per_window == 0
            && let Some(cs) = w.get_resource::<CheckpointState>()
        {
            // demand, not what got in: those who joined the queue plus the growth of the crowd
            // still on its way to (or held outside) each checkpoint
            let mut heading = vec![0u64; ncp];
            if let Some(mut q) = w.try_query::<&Walking>() {
                for wk in q.iter(w) {
                    if let Some(crate::crowd::Via::Lanes(k)) = wk.via {
                        heading[k as usize] += 1;
                    }
                }
            }
            for k in 0..ncp {
                let j = cs.records[k].joined;
                let grown = heading[k] as i64 - last_heading[k] as i64;
                joined[k].push((j - last[k]).saturating_add_signed(grown));
                last[k] = j;
                last_heading[k] = heading[k];
            }
        }
    });
    let busy = {
        let w = sim.world_mut();
        let (mut busy_s, mut duty_s) = (0.0, 0.0);
        for u in w.query::<&crate::responders::Unit>().iter(w) {
            if movable.contains(&(u.group as usize)) {
                busy_s += u.busy_s;
                duty_s += u.duty_s;
            }
        }
        (duty_s > 0.0).then(|| busy_s / duty_s)
    };
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
        busy,
    }
}

fn bad(msg: String) -> CordonError {
    CordonError::Batch(msg)
}

/// The zones of `--within`, checked against the venue.
fn within_zones<'a>(v: &'a Validated, names: &[String]) -> Result<Vec<&'a [Vec2]>> {
    names
        .iter()
        .map(|n| {
            v.venue
                .zones
                .iter()
                .find(|z| z.name == *n)
                .map(|z| z.polygon.as_slice())
                .ok_or_else(|| {
                    bad(format!(
                        "--within {n}: no zone of that name (zones: {})",
                        v.venue
                            .zones
                            .iter()
                            .map(|z| z.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        })
        .collect()
}

/// Posts and patrols: each movable group gets its choices (a post: any candidate point; a
/// patrol: a beat or loop per zone), scored by the covering surrogate and searched by greedy
/// placement and swaps.
fn propose_places(
    sc: &Scenario,
    v: &Validated,
    opts: &OptimizeOptions,
    base: &Baseline,
    cov: &mut Coverage,
) -> Result<Vec<Plan>> {
    let movable = movable_groups(sc, &opts.posts, &opts.patrols)?;
    if movable.is_empty() {
        return Err(bad(
            "nothing to place: the plan has no responder group of the kind named (posts, patrols)".into(),
        ));
    }
    let within = within_zones(v, &opts.within)?;
    let points = candidates::post_points(cov, opts.spacing, &within);
    // per group: its choices, its own deployment first
    let choices: Vec<Vec<Choice>> = movable
        .iter()
        .map(|&gi| match sc.responders[gi].deployment {
            Deployment::Post(p) => {
                let mut c = vec![candidates::post(Vec2::new(p.0 as f32, p.1 as f32))];
                c.extend(points.iter().map(|&q| candidates::post(q)));
                c
            }
            _ => candidates::patrol_choices(v, cov, sc, gi, &opts.within),
        })
        .collect();
    if let Some((k, _)) = choices.iter().enumerate().find(|(_, c)| c.len() < 2) {
        return Err(bad(format!(
            "responder group \"{}\" has nowhere else to go (no candidate point or zone{})",
            sc.responders[movable[k]].name,
            if opts.within.is_empty() {
                ""
            } else {
                " within the --within zones"
            }
        )));
    }
    // one distance row per distinct sample point
    let mut rows: Vec<Vec2> = Vec::new();
    let row_of = |p: Vec2, rows: &mut Vec<Vec2>| match rows.iter().position(|&q| q == p) {
        Some(i) => i,
        None => {
            rows.push(p);
            rows.len() - 1
        }
    };
    let units: Vec<UnitChoices> = movable
        .iter()
        .zip(&choices)
        .map(|(&gi, cs)| {
            let r = &sc.responders[gi];
            UnitChoices {
                speed: r.emergency_speed.unwrap_or(r.speed) as f32,
                count: r.count,
                choices: cs
                    .iter()
                    .map(|c| c.samples.iter().map(|&p| row_of(p, &mut rows)).collect())
                    .collect(),
            }
        })
        .collect();
    let dist: Vec<Vec<f32>> = rows.iter().map(|&p| cov.distances_from(&[p])).collect();
    let (g, _) = cov.times();
    let demand: Vec<f32> = if base.crowd.iter().any(|&c| c > 0.0) {
        base.crowd.clone()
    } else {
        g.blocked.iter().map(|&b| if b { 0.0 } else { 1.0 }).collect()
    };
    let th = opts.threshold as f32;
    let objective = match opts.objective {
        Objective::Coverage => PostObjective::Coverage { threshold: th },
        Objective::Mexclp => PostObjective::Expected {
            threshold: th,
            busy: opts.busy.or(base.busy).unwrap_or(0.0) as f32,
        },
        _ => PostObjective::P90,
    };
    let problem = PostProblem {
        demand,
        base: base.fixed_cover.clone(),
        dist,
        units,
        objective,
    };
    let input = vec![0; movable.len()];
    let input_score = problem.score(&input);
    let mut found: Vec<(Vec<usize>, f64, &str)> = Vec::new();
    let (a, sa) = problem.solve(None);
    found.push((a, sa, "greedy + swaps"));
    let (b, sb) = problem.solve(Some(&input));
    found.push((b, sb, "swaps from the input plan"));
    found.sort_by(|x, y| y.1.total_cmp(&x.1));
    found.dedup_by(|x, y| x.0 == y.0);
    let mut plans = Vec::new();
    for (plan, score, how) in found.into_iter().take(opts.top.max(1)) {
        if score <= input_score + 1e-12 {
            continue;
        }
        let changes: Vec<(String, Value)> = movable
            .iter()
            .zip(&plan)
            .enumerate()
            .filter(|(k, (_, c))| choices[*k][**c].value != choices[*k][0].value)
            .map(|(k, (&gi, &c))| {
                (
                    format!(
                        "responders{}.deployment",
                        crate::batch::path::filter("name", &sc.responders[gi].name)
                    ),
                    choices[k][c].value.clone(),
                )
            })
            .collect();
        if !changes.is_empty() {
            plans.push(Plan {
                name: how.into(),
                changes,
                surrogate: score,
            });
        }
    }
    Ok(plans)
}

/// Lanes by marginal analysis over the demand of `base`: the checkpoints whose lanes may change
/// (`chosen`, those of `--lanes`, else every one with arrivals; `keep` fixes them, for a later
/// round), their lanes, and the drop in expected queueing person-seconds against the lanes of
/// `v`.
pub fn lane_plan(
    v: &Validated,
    opts: &OptimizeOptions,
    base: &Baseline,
    keep: Option<&[usize]>,
) -> Result<(Vec<usize>, Vec<u32>, f64)> {
    let cps = &v.venue.security.checkpoints;
    for n in &opts.lanes {
        if !cps.iter().any(|c| c.name == *n) {
            return Err(bad(format!("--lanes {n}: no checkpoint of that name")));
        }
    }
    let chosen: Vec<usize> = match keep {
        Some(k) => k.to_vec(),
        None => (0..cps.len())
            .filter(|&k| opts.lanes.is_empty() || opts.lanes.contains(&cps[k].name))
            .filter(|&k| base.joined[k].iter().any(|&j| j > 0) || !opts.lanes.is_empty())
            .collect(),
    };
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
    Ok((chosen, lanes, before - after))
}

/// The `lanes` changes of a lane plan against the lanes of `v`.
pub fn lane_changes(v: &Validated, chosen: &[usize], lanes: &[u32]) -> Vec<(String, Value)> {
    let cps = &v.venue.security.checkpoints;
    chosen
        .iter()
        .zip(lanes)
        .filter(|(k, c)| cps[**k].lanes as u32 != **c)
        .map(|(&k, &c)| {
            (
                format!("checkpoints{}.lanes", crate::batch::path::filter("name", &cps[k].name)),
                json!(c),
            )
        })
        .collect()
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
            plans.extend(propose_places(sc, v, opts, base, cov)?);
        }
        Objective::EnterP90 => {
            let (chosen, lanes, gain) = lane_plan(v, opts, base, None)?;
            let changes = lane_changes(v, &chosen, &lanes);
            if !changes.is_empty() {
                plans.push(Plan {
                    name: format!("marginal analysis, {} lanes", lanes.iter().sum::<u32>()),
                    changes,
                    surrogate: gain,
                });
            }
        }
    }
    Ok(plans)
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
    // plans that keep the geometry share one set of floor fields
    let mut cache = crate::venue::cache::FieldCache::new();
    let variants: Vec<Validated> = all
        .iter()
        .map(|p| batch::variant(&doc, &p.changes, file, &Default::default(), &mut cache))
        .collect::<Result<_>>()?;
    let seed = opts.run.seed.unwrap_or(sc.sim.seed);
    let runs = opts.verify_runs.max(1);
    let spec = batch::BatchSpec {
        file: Some(file.into()),
        scenario: sc.name.clone(),
        runs,
        seed,
        until: opts.run.until,
        sets: vec![],
        sweeps: vec![],
    };
    let (obj, th) = (opts.objective, opts.threshold);
    let higher = higher_is_better(obj);
    // replication k of every plan runs with the same seed
    let runner = |_: &batch::BatchSpec, vs: &[Validated], g: u64| {
        let (p, k) = (g / runs, g % runs);
        let s = batch::run_seed(seed, 0, k);
        let report = batch::replicate(&vs[p as usize], s, opts.run.until);
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
    let rows = batch::run_all_with(
        &spec,
        &variants,
        &todo,
        batch::args::jobs_or_cores(opts.run.jobs),
        done,
        &runner,
    );
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
        scenario: sc.name.clone(),
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

/// End of the RON value starting at `s` (an identifier and its parenthesised body): the index
/// after its closing parenthesis, skipping strings.
fn value_end(text: &str, s: usize) -> Option<usize> {
    let open = s + text[s..].find('(')?;
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for (i, c) in text[open..].char_indices() {
        if in_str {
            match c {
                _ if esc => esc = false,
                '\\' => esc = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A number as the scenario files write it (no `.0` on whole numbers).
fn num(v: &Value) -> String {
    let x = v.as_f64().unwrap_or(0.0);
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// A deployment (plain-data form) as RON: `Post((x, y))`, `Route(waypoints: [...], dwell: d)`,
/// `Beat(zone: "z", dwell: d)` (a zero dwell left out).
fn deployment_ron(v: &Value) -> Option<String> {
    let pt = |p: &Value| Some(format!("({}, {})", num(p.get(0)?), num(p.get(1)?)));
    let dwell = |m: &Value| match m.get("dwell").and_then(Value::as_f64) {
        Some(d) if d != 0.0 => format!(", dwell: {}", num(&json!(d))),
        _ => String::new(),
    };
    if let Some(p) = v.get("Post") {
        return Some(format!("Post({})", pt(p)?));
    }
    if let Some(r) = v.get("Route") {
        let way: Option<Vec<String>> = r.get("waypoints")?.as_array()?.iter().map(pt).collect();
        return Some(format!("Route(waypoints: [{}]{})", way?.join(", "), dwell(r)));
    }
    let b = v.get("Beat")?;
    Some(format!("Beat(zone: {}{})", b.get("zone")?, dwell(b)))
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
        let value_at = |key: &str| -> Result<usize> {
            let f = out[at..end]
                .find(key)
                .map(|i| at + i + key.len())
                .ok_or_else(|| bad(format!("no `{key}` for \"{name}\"")))?;
            Ok(f + out[f..].len() - out[f..].trim_start().len())
        };
        let (start, stop, repl) = match (field, v) {
            ("lanes", Value::Number(n)) => {
                let s = value_at("lanes:")?;
                let e = s + out[s..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
                (s, e, n.to_string())
            }
            ("deployment", v) => {
                let s = value_at("deployment:")?;
                let e = value_end(&out, s).ok_or_else(|| bad(format!("unclosed deployment of \"{name}\"")))?;
                let r = deployment_ron(v).ok_or_else(|| bad(format!("cannot write {v} as a deployment")))?;
                (s, e, r)
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

/// Everything `cordon optimize` does for a scenario text: baseline run, surrogate search (for
/// lanes, `rounds` rounds, each measuring the demand under the last round's plan), verification
/// by simulation, and the files to write (the optimised scenario `<stem>.optimized.ron`,
/// optimize.json, optimize.md, optimize.html and, for posts and patrols, the coverage maps).
/// `say` gets progress lines; `done(k, n)` counts verification runs.
pub fn run(
    text: &str,
    path: &std::path::Path,
    stem: &str,
    opts: &OptimizeOptions,
    say: &dyn Fn(&str),
    done: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Outcome, Vec<(String, Vec<u8>)>)> {
    let label = &path.display().to_string();
    let sc = crate::scenario::parse_file(text, path)?;
    let v = crate::build::validate(&sc, label, Some(text))?;
    let cell = sc.metrics.coverage_cell as f32;
    let mut cov = Coverage::new(&v.venue, cell, 1.0, vec![opts.threshold]);
    let seed = opts.run.seed.unwrap_or(sc.sim.seed);
    let places = !matches!(opts.objective, Objective::EnterP90);
    let movable = if places {
        movable_groups(&sc, &opts.posts, &opts.patrols)?
    } else {
        vec![]
    };
    within_zones(&v, &opts.within)?;
    say("baseline run for the demand ...");
    let base = baseline(&v, &mut cov, seed, opts.run.until, &movable, opts.threshold);
    say("surrogate search ...");
    let mut plans = propose(&sc, &v, opts, &base, &mut cov)?;
    if !places {
        let doc = batch::to_doc(&sc)?;
        let chosen = lane_plan(&v, opts, &base, None)?.0;
        for round in 2..=opts.rounds {
            let Some(last) = plans.last().cloned() else { break };
            say(&format!(
                "lanes, round {round}: demand under the round {} plan ...",
                round - 1
            ));
            let vr = batch::variant(&doc, &last.changes, label, &Default::default(), &mut Default::default())?;
            let b = baseline(&vr, &mut cov, seed, opts.run.until, &[], opts.threshold);
            let (_, lanes, gain) = lane_plan(&vr, opts, &b, Some(&chosen))?;
            let changes = lane_changes(&v, &chosen, &lanes);
            if changes.is_empty() || plans.iter().any(|p| p.changes == changes) {
                break;
            }
            plans.push(Plan {
                name: format!("marginal analysis, round {round}"),
                changes,
                surrogate: gain,
            });
        }
    }
    let n = (plans.len() as u64 + 1) * opts.verify_runs.max(1);
    say(&format!(
        "verifying the input plan and {} candidate(s): {n} runs ...",
        plans.len()
    ));
    let outcome = verify(&sc, label, opts, plans, &|k| done(k, n))?;
    let chosen = &outcome.plans[outcome.chosen];
    let new_text = edit_text(text, &chosen.plan.changes)?;
    // the edited text must still be the plan the verification ran
    let check = crate::scenario::parse_file(&new_text, path)?;
    crate::build::validate(&check, label, Some(&new_text))?;
    let maps = if places {
        let before = report::plan_times(&v, &mut cov, &sc);
        let after = report::plan_times(&v, &mut cov, &check);
        Some(report::coverage_maps_png(&cov, &before, &after)?)
    } else {
        None
    };
    let busy = match (opts.busy, base.busy) {
        (Some(b), _) => format!("{b} (given)"),
        (None, Some(b)) => format!("{b:.4} (the movable units in the baseline run)"),
        (None, None) => "0 (no movable unit on duty in the baseline run)".into(),
    };
    let mut settings: Vec<(String, String)> = vec![
        ("scenario file".into(), label.into()),
        ("objective".into(), outcome.metric.clone()),
        ("threshold".into(), format!("{} s", opts.threshold)),
        ("verification runs per plan".into(), opts.verify_runs.max(1).to_string()),
        ("base seed".into(), seed.to_string()),
        (
            "simulated".into(),
            opts.run.until.map_or("the whole scenario".into(), |u| format!("{u} s")),
        ),
    ];
    if places {
        let names: Vec<&str> = movable.iter().map(|&i| sc.responders[i].name.as_str()).collect();
        settings.push(("groups placed".into(), names.join(", ")));
        if !opts.within.is_empty() {
            settings.push(("within zones".into(), opts.within.join(", ")));
        }
        if matches!(opts.objective, Objective::Mexclp) {
            settings.push(("busy probability".into(), busy));
        }
    } else {
        settings.push(("lane analysis rounds".into(), opts.rounds.to_string()));
    }
    let mut files = vec![
        (format!("{stem}.optimized.ron"), new_text.into_bytes()),
        (
            "optimize.json".to_string(),
            serde_json::to_vec_pretty(&outcome).map_err(|e| bad(format!("optimize.json: {e}")))?,
        ),
        ("optimize.md".to_string(), report::comparison_md(&outcome).into_bytes()),
        (
            "optimize.html".to_string(),
            report::comparison_html(&outcome, &settings, maps.as_deref()).into_bytes(),
        ),
    ];
    if let Some(png) = maps {
        files.push(("coverage_before_after.png".into(), png));
    }
    Ok((outcome, files))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"    responders: [
        (name: "medics", kind: Medical, count: 1, deployment: Post((4, 4))),
        (name: "foot", kind: FootPatrol, count: 2,
         deployment: Beat(zone: "west (old)", dwell: 10), sight: 15),
        (name: "bikes", kind: BikePatrol, count: 2, deployment: Route(waypoints: [(0, 0), (10, 0)])),
    ],
"#;

    #[test]
    fn edits_touch_only_the_changed_deployments() {
        let changes = vec![
            (
                "responders[name=\"foot\"].deployment".to_string(),
                json!({"Beat": {"zone": "east", "dwell": 10.0}}),
            ),
            (
                "responders[name=\"bikes\"].deployment".to_string(),
                json!({"Route": {"waypoints": [[1.5, 2.0], [3.0, 4.0]], "dwell": 0.0}}),
            ),
            (
                "responders[name=\"medics\"].deployment".to_string(),
                json!({"Post": [20.0, 20.5]}),
            ),
        ];
        let out = edit_text(TEXT, &changes).unwrap();
        let want = TEXT
            .replace(
                "Beat(zone: \"west (old)\", dwell: 10)",
                "Beat(zone: \"east\", dwell: 10)",
            )
            .replace(
                "Route(waypoints: [(0, 0), (10, 0)])",
                "Route(waypoints: [(1.5, 2), (3, 4)])",
            )
            .replace("Post((4, 4))", "Post((20, 20.5))");
        assert_eq!(out, want);
        let bad = vec![(
            "responders[name=\"nobody\"].deployment".to_string(),
            json!({"Post": [1, 1]}),
        )];
        assert!(edit_text(TEXT, &bad).is_err());
    }
}

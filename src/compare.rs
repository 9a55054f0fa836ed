//! `cordon compare`: plans side by side. Every plan runs the same seeds (common random numbers:
//! replication k of each plan uses the seed of replication k), so the difference between a plan
//! and the first is measured run by run (paired), and its 95% confidence interval is narrow
//! wherever the plans share their randomness. Writes `compare.json` and `compare.html`: the
//! headline table `cordon optimize` also writes (mean [95% CI] per plan), each plan's paired
//! difference to the first and whether it is significant, the time series overlaid, and each
//! plan's timeline as it fired.

use crate::batch::output::{MetricSummary, headline_rows, summarise};
use crate::batch::{self, BatchSpec, METRICS, RunRow};
use crate::build::Validated;
use crate::error::{CordonError, Result};
use crate::figures::html::{STYLE, base64, escape};
use crate::report::ActionReport;
use crate::scenario::{self, Limits};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Mutex;

/// Most plans one comparison holds.
pub const MAX_PLANS: usize = 8;

/// The `cordon compare` arguments.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CompareArgs {
    /// Plan files (RON); the first is the reference the others are compared with.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// One more plan: the first file with this change (PATH=VALUE as for `cordon batch`;
    /// repeatable, all into the one plan), e.g. `--set timeline=[]` for the plan without its
    /// contingency timeline.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub sets: Vec<String>,
    /// Replications per plan (the same seeds for every plan).
    #[arg(long, default_value_t = 10)]
    pub runs: u64,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub run: batch::args::RunSettings,
    /// Output folder (default out/<first scenario>-compare).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[allow(missing_docs)]
    #[command(flatten)]
    pub limits: Limits,
}

/// A plan's paired difference to the first plan in one metric.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Difference {
    /// Metric name.
    pub metric: String,
    /// Replications where both plans have a value.
    pub n: u64,
    /// Mean of (this plan − the first), run by run.
    pub mean: Option<f64>,
    /// 95% confidence interval of that mean (Student's t on the paired differences), low.
    pub ci95_low: Option<f64>,
    /// High.
    pub ci95_high: Option<f64>,
    /// Whether the interval excludes 0.
    pub significant: bool,
}

/// Per series row, the mean over the replications.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct MeanSeries {
    /// Row times, s after the start.
    pub t: Vec<f64>,
    /// Persons present.
    pub present: Vec<f64>,
    /// Persons in checkpoint queues (all checkpoints; not in a lane).
    pub queueing: Vec<f64>,
}

/// One plan's results.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PlanResult {
    /// Label: the file's stem (the extra plan: the first's with its changes).
    pub name: String,
    /// The file.
    pub file: String,
    /// `(path, value)` changes against the file (the `--set` plan only).
    pub changes: Vec<(String, Value)>,
    /// Headline metrics ([`METRICS`] order), summarised over the replications.
    pub headlines: Vec<MetricSummary>,
    /// Paired differences to the first plan ([`METRICS`] order; empty for the first).
    pub vs_first: Vec<Difference>,
    /// The timeline as it fired in the first replication.
    pub timeline: Vec<ActionReport>,
    /// Time series, mean over the replications.
    pub series: MeanSeries,
}

/// `compare.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    /// Replications per plan.
    pub runs: u64,
    /// Base seed: replication k of every plan ran with the seed `batch::run_seed(seed, 0, k)`.
    pub seed: u64,
    /// Simulated seconds per run (None: each scenario's end).
    pub until: Option<f64>,
    /// Clock time of the first plan's start, s after midnight (the figures' clock).
    pub start_s: f64,
    /// Metric names, in the order of every plan's lists.
    pub metrics: Vec<String>,
    /// The plans, the reference first.
    pub plans: Vec<PlanResult>,
    /// Failed replications: (plan, replication, seed, why).
    pub failures: Vec<(usize, u64, u64, String)>,
}

/// What one replication leaves besides its headline metrics.
#[derive(Debug, Clone, Default)]
struct Extra {
    t: Vec<f64>,
    present: Vec<f64>,
    queueing: Vec<f64>,
    timeline: Vec<ActionReport>,
}

/// Plans ready to run: labels, files, changes, validated scenarios.
struct Plans {
    names: Vec<String>,
    files: Vec<String>,
    changes: Vec<Vec<(String, Value)>>,
    variants: Vec<Validated>,
    first_name: String,
    first_seed: u64,
    first_start: f64,
}

fn usage(s: String) -> CordonError {
    CordonError::Usage(s)
}

fn prepare(a: &CompareArgs) -> Result<Plans> {
    if let Some(u) = a.run.until
        && !(u.is_finite() && u > 0.0)
    {
        return Err(usage(format!("--until must be a positive number of seconds, got {u}")));
    }
    let plans = a.files.len() + usize::from(!a.sets.is_empty());
    if plans < 2 {
        return Err(usage(
            "compare needs two plans at least: two files, or one file and --set PATH=VALUE for the second".into(),
        ));
    }
    if plans > MAX_PLANS {
        return Err(usage(format!("compare holds {MAX_PLANS} plans at most, got {plans}")));
    }
    let mut sets = Vec::new();
    for s in &a.sets {
        let (p, v) = batch::path::split_assignment(s, "--set")?;
        batch::path::parse(&p)?;
        sets.push((p, batch::path::parse_value(&v)));
    }
    crate::sim::init_compute_pool(0);
    let mut cache = crate::venue::cache::FieldCache::new();
    let mut out = Plans {
        names: Vec::new(),
        files: Vec::new(),
        changes: Vec::new(),
        variants: Vec::new(),
        first_name: String::new(),
        first_seed: 0,
        first_start: 0.0,
    };
    for (i, f) in a.files.iter().enumerate() {
        let label = f.display().to_string();
        let text = scenario::read_text(f)?;
        let sc = scenario::parse_file(&text, f)?;
        let doc = batch::to_doc(&sc)?;
        // every plan is checked (with line and column from its text) before anything runs
        let v = crate::build::validate_cached(&sc, &label, Some(&text), &a.limits, &mut cache)?;
        if i == 0 {
            out.first_name = sc.name.clone();
            out.first_seed = sc.sim.seed;
            out.first_start = sc.sim.start.0;
            if !sets.is_empty() {
                let extra = batch::variant(&doc, &sets, &label, &a.limits, &mut cache)?;
                out.variants.push(v);
                out.changes.push(Vec::new());
                out.variants.push(extra);
                out.changes.push(sets.clone());
                out.files.push(label.clone());
                out.files.push(label.clone());
                continue;
            }
        }
        out.variants.push(v);
        out.changes.push(Vec::new());
        out.files.push(label);
    }
    // labels: the file stems, made unique; the `--set` plan says what it changes
    let stem = |f: &PathBuf| {
        f.file_stem()
            .map_or("plan".into(), |s| s.to_string_lossy().into_owned())
    };
    let mut names: Vec<String> = Vec::new();
    let mut fi = a.files.iter();
    for ch in &out.changes {
        let base = if ch.is_empty() {
            fi.next().map(stem).unwrap_or_default()
        } else {
            let first = stem(&a.files[0]);
            let what: Vec<String> = ch.iter().map(|(p, v)| format!("{p}={v}")).collect();
            format!("{first} with {}", what.join(", "))
        };
        let mut name = base.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{base} ({k})");
            k += 1;
        }
        names.push(name);
    }
    out.names = names;
    Ok(out)
}

/// Runs the comparison described by the arguments and writes its files (all or none); returns
/// it, the files' names and the folder.
pub fn run_args(a: &CompareArgs, done: &(dyn Fn(u64, u64) + Sync)) -> Result<(Comparison, Vec<String>, PathBuf)> {
    let (cmp, files, out) = run(a, done)?;
    crate::output::write_folder(&out, &files)?;
    Ok((cmp, files.into_iter().map(|f| f.0).collect(), out))
}

/// Runs the comparison described by the arguments; returns it and its files (not yet written).
pub fn run(a: &CompareArgs, done: &(dyn Fn(u64, u64) + Sync)) -> Result<(Comparison, Vec<(String, Vec<u8>)>, PathBuf)> {
    let plans = prepare(a)?;
    let seed = a.run.seed.unwrap_or(plans.first_seed);
    let runs = a.runs;
    let spec = BatchSpec {
        file: plans.files.first().cloned(),
        scenario: plans.first_name.clone(),
        runs,
        seed,
        until: a.run.until,
        sets: vec![],
        sweeps: vec![],
    };
    spec.check()?;
    let out_dir = match &a.out {
        Some(o) => o.clone(),
        None if crate::scenario::check::valid_name(&plans.first_name) => {
            PathBuf::from("out").join(format!("{}-compare", plans.first_name))
        }
        None => {
            return Err(usage(format!(
                "the scenario's name {:?} cannot name the output folder: give --out",
                plans.first_name
            )));
        }
    };
    let n = plans.variants.len() as u64;
    let total = n * runs;
    let extras: Mutex<Vec<Option<Extra>>> = Mutex::new(vec![None; total as usize]);
    // replication k of every plan runs with the same seed
    let runner = |_: &BatchSpec, vs: &[Validated], g: u64| {
        let (p, k) = (g / runs, g % runs);
        let s = batch::run_seed(seed, 0, k);
        let report = batch::replicate(&vs[p as usize], s, a.run.until);
        let queueing: Vec<f64> = (0..report.series.len())
            .map(|i| {
                report.security.as_ref().map_or(0.0, |sec| {
                    sec.checkpoints
                        .iter()
                        .map(|c| c.queue_series.get(i).copied().unwrap_or(0) as f64)
                        .sum()
                })
            })
            .collect();
        let extra = Extra {
            t: report.series.iter().map(|r| r.t).collect(),
            present: report.series.iter().map(|r| r.present as f64).collect(),
            queueing,
            timeline: if k == 0 { report.timeline.clone() } else { Vec::new() },
        };
        if let Some(slot) = extras.lock().unwrap_or_else(|e| e.into_inner()).get_mut(g as usize) {
            *slot = Some(extra);
        }
        RunRow {
            index: g,
            point: p,
            rep: k,
            seed: s,
            metrics: batch::headline(&report),
            error: None,
        }
    };
    let todo: Vec<u64> = (0..total).collect();
    let counted = |k: u64| done(k, total);
    let rows = batch::run_all_with(
        &spec,
        &plans.variants,
        &todo,
        batch::args::jobs_or_cores(a.run.jobs),
        &counted,
        &runner,
    );
    let extras = extras.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut cmp = summarise_plans(&plans, &rows, &extras, seed, runs, a.run.until);
    cmp.start_s = plans.first_start;
    let files = files(&cmp)?;
    Ok((cmp, files, out_dir))
}

/// The paired difference of `mine` to `first` (values by replication) in one metric.
pub fn difference(metric: &str, first: &[Option<f64>], mine: &[Option<f64>]) -> Difference {
    let d: Vec<f64> = first
        .iter()
        .zip(mine)
        .filter_map(|(a, b)| Some((*b)? - (*a)?))
        .collect();
    let s = summarise(metric, &d);
    let significant = match (s.ci95_low, s.ci95_high) {
        (Some(lo), Some(hi)) => lo > 0.0 || hi < 0.0,
        _ => false,
    };
    Difference {
        metric: metric.to_string(),
        n: s.n,
        mean: s.mean,
        ci95_low: s.ci95_low,
        ci95_high: s.ci95_high,
        significant,
    }
}

fn summarise_plans(
    plans: &Plans,
    rows: &[RunRow],
    extras: &[Option<Extra>],
    seed: u64,
    runs: u64,
    until: Option<f64>,
) -> Comparison {
    let nm = METRICS.len();
    // per plan, per metric, the value of each replication (by replication index)
    let values = |p: usize, m: usize| -> Vec<Option<f64>> {
        (0..runs)
            .map(|k| {
                rows.iter()
                    .find(|r| r.point == p as u64 && r.rep == k && r.error.is_none())
                    .and_then(|r| r.metrics.get(m).copied().flatten())
            })
            .collect()
    };
    let mut out = Vec::new();
    for p in 0..plans.variants.len() {
        let headlines = (0..nm)
            .map(|m| {
                let v: Vec<f64> = values(p, m).into_iter().flatten().collect();
                summarise(METRICS[m], &v)
            })
            .collect();
        let vs_first = if p == 0 {
            Vec::new()
        } else {
            (0..nm)
                .map(|m| difference(METRICS[m], &values(0, m), &values(p, m)))
                .collect()
        };
        let mine: Vec<&Extra> = (0..runs)
            .filter_map(|k| extras.get((p as u64 * runs + k) as usize).and_then(Option::as_ref))
            .collect();
        let len = mine.iter().map(|e| e.t.len()).min().unwrap_or(0);
        let mean = |f: &dyn Fn(&Extra) -> &Vec<f64>| -> Vec<f64> {
            (0..len)
                .map(|i| mine.iter().map(|e| f(e)[i]).sum::<f64>() / mine.len().max(1) as f64)
                .collect()
        };
        let series = MeanSeries {
            t: mine.first().map_or_else(Vec::new, |e| e.t[..len].to_vec()),
            present: mean(&|e| &e.present),
            queueing: mean(&|e| &e.queueing),
        };
        let timeline = extras
            .get((p as u64 * runs) as usize)
            .and_then(Option::as_ref)
            .map_or_else(Vec::new, |e| e.timeline.clone());
        out.push(PlanResult {
            name: plans.names[p].clone(),
            file: plans.files[p].clone(),
            changes: plans.changes[p].clone(),
            headlines,
            vs_first,
            timeline,
            series,
        });
    }
    let failures = rows
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| (r.point as usize, r.rep, r.seed, e.clone())))
        .collect();
    Comparison {
        runs,
        seed,
        until,
        start_s: 0.0,
        metrics: METRICS.iter().map(|m| m.to_string()).collect(),
        plans: out,
        failures,
    }
}

/// A difference as a cell: "+1.234 [0.5, 2.0] *" (the star: significant at 95%).
fn diff_cell(d: &Difference) -> String {
    match (d.mean, d.ci95_low, d.ci95_high) {
        (Some(x), Some(lo), Some(hi)) => {
            format!("{x:+.3} [{lo:+.3}, {hi:+.3}]{}", if d.significant { " *" } else { "" })
        }
        (Some(x), _, _) => format!("{x:+.3}"),
        _ => "–".into(),
    }
}

/// The table: per headline metric any plan has, each plan's mean [95% CI], and for the plans
/// after the first their paired difference to it.
pub fn rows(c: &Comparison) -> Vec<(String, Vec<String>)> {
    let lists: Vec<&[MetricSummary]> = c.plans.iter().map(|p| p.headlines.as_slice()).collect();
    headline_rows(&lists)
        .into_iter()
        .map(|(label, mut cells)| {
            if let Some(m) = METRICS.iter().position(|x| *x == label) {
                for (p, cell) in cells.iter_mut().enumerate().skip(1) {
                    if let Some(d) = c.plans[p].vs_first.get(m) {
                        *cell = format!("{cell}; Δ {}", diff_cell(d));
                    }
                }
            }
            (label, cells)
        })
        .collect()
}

/// The comparison as Markdown (the terminal's table).
pub fn markdown(c: &Comparison) -> String {
    let names: Vec<&str> = c.plans.iter().map(|p| p.name.as_str()).collect();
    let mut s = format!(
        "# Plans compared\n\n{} runs each, the same seeds for every plan (base seed {}); mean [95% CI], and after the first plan the paired difference to it (Δ; * significant at 95%).\n\n",
        c.runs, c.seed
    );
    s += &format!("| | {} |\n|---|{}\n", names.join(" | "), "---|".repeat(names.len()));
    for (label, cells) in rows(c) {
        s += &format!("| {label} | {} |\n", cells.join(" | "));
    }
    for (p, k, seed, why) in &c.failures {
        s += &format!(
            "\nFAILED: plan {} replication {k} (seed {seed}): {why}\n",
            c.plans[*p].name
        );
    }
    s
}

/// compare.json, compare.html and the overlaid figures.
pub fn files(c: &Comparison) -> Result<Vec<(String, Vec<u8>)>> {
    let mut figs: Vec<(String, String, Vec<u8>)> = Vec::new();
    let marks: Vec<(f64, String)> = c
        .plans
        .iter()
        .enumerate()
        .flat_map(|(p, plan)| {
            let letter = (b'A' + p as u8) as char;
            plan.timeline.iter().map(move |a| {
                (
                    a.t_s,
                    format!("{letter}{}{}", a.entry, if a.undo { " off" } else { "" }),
                )
            })
        })
        .collect();
    let start = c.start_s;
    let line = |f: &dyn Fn(&PlanResult) -> &Vec<f64>| -> Vec<(String, Vec<(f64, f64)>)> {
        c.plans
            .iter()
            .enumerate()
            .map(|(p, plan)| {
                let letter = (b'A' + p as u8) as char;
                let pts = plan.series.t.iter().copied().zip(f(plan).iter().copied()).collect();
                (format!("{letter}: {}", plan.name), pts)
            })
            .collect()
    };
    let queueing = c.plans.iter().any(|p| p.series.queueing.iter().any(|q| *q > 0.0));
    type Pick = fn(&PlanResult) -> &Vec<f64>;
    let charts: [(bool, &str, &str, &str, &str, Pick); 2] = [
        (
            queueing,
            "compare_queueing.png",
            "Persons queueing at checkpoints (mean over the runs)",
            "persons queueing",
            "Persons queueing at all checkpoints, per plan: the mean over its runs at each series row. Grey lines mark each plan's timeline as it fired in its first run (plan letter and entry number; \"off\": undone).",
            |p| &p.series.queueing,
        ),
        (
            true,
            "compare_present.png",
            "Persons on site (mean over the runs)",
            "persons present",
            "Persons on site per plan: the mean over its runs at each series row; grey lines as above.",
            |p| &p.series.present,
        ),
    ];
    for (wanted, file, title, y, caption, pick) in charts {
        if wanted {
            let png = crate::figures::time_chart(file, title, y, start, &line(&pick), &marks)?;
            figs.push((file.into(), caption.into(), png));
        }
    }
    let json = serde_json::to_vec_pretty(c).map_err(|e| CordonError::Batch(e.to_string()))?;
    let html = html(c, &figs);
    let mut out = vec![
        ("compare.json".to_string(), json),
        ("compare.html".to_string(), html.into_bytes()),
    ];
    out.extend(figs.into_iter().map(|(f, _, png)| (f, png)));
    Ok(out)
}

fn html(c: &Comparison, figs: &[(String, String, Vec<u8>)]) -> String {
    let title = "Cordon: plans compared";
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n{STYLE}</head>\n<body>\n<h1>{title}</h1>\n"
    );
    h += &format!(
        "<p>{} runs per plan, each plan with the same seeds (common random numbers, base seed {}{}). Cells give the mean and its 95% confidence interval; for the plans after the first, Δ is the paired difference to the first plan (run by run) with its 95% interval, starred where the interval excludes 0.</p>\n",
        c.runs,
        c.seed,
        c.until.map_or(String::new(), |u| format!(", {u} s simulated each"))
    );
    h += "<table id=\"comparison\">\n<tr><th></th>";
    for (p, plan) in c.plans.iter().enumerate() {
        let letter = (b'A' + p as u8) as char;
        h += &format!("<th>{letter}: {}</th>", escape(&plan.name));
    }
    h += "</tr>\n";
    for (label, cells) in rows(c) {
        h += &format!("<tr><td>{}</td>", escape(&label));
        for cell in cells {
            h += &format!("<td class=\"v\">{}</td>", escape(&cell));
        }
        h += "</tr>\n";
    }
    h += "</table>\n<h2>Plans</h2>\n<ul>\n";
    for (p, plan) in c.plans.iter().enumerate() {
        let letter = (b'A' + p as u8) as char;
        let changes: Vec<String> = plan.changes.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        h += &format!(
            "<li><b>{letter}: {}</b>: {}{}</li>\n",
            escape(&plan.name),
            escape(&plan.file),
            if changes.is_empty() {
                String::new()
            } else {
                format!(" with {}", escape(&changes.join(", ")))
            }
        );
    }
    h += "</ul>\n";
    for (file, caption, png) in figs {
        h += &format!(
            "<figure id=\"{}\">\n<img alt=\"{}\" src=\"data:image/png;base64,{}\">\n<figcaption>{} (also <a href=\"{}\">{}</a>)</figcaption>\n</figure>\n",
            escape(file.trim_end_matches(".png")),
            escape(file),
            base64(png),
            escape(caption),
            escape(file),
            escape(file)
        );
    }
    h += "<h2>Timelines</h2>\n<p>Each plan's contingency timeline as it fired in its first run.</p>\n";
    for (p, plan) in c.plans.iter().enumerate() {
        let letter = (b'A' + p as u8) as char;
        h += &format!("<h3>{letter}: {}</h3>\n", escape(&plan.name));
        if plan.timeline.is_empty() {
            h += "<p class=\"muted\">No timeline action fired.</p>\n";
            continue;
        }
        h += &crate::figures::html::timeline_table(&format!("timeline-{letter}"), &plan.timeline);
    }
    if !c.failures.is_empty() {
        h += "<h2>Failed runs</h2>\n<ul>\n";
        for (p, k, seed, why) in &c.failures {
            h += &format!(
                "<li>{} replication {k} (seed {seed}): {}</li>\n",
                escape(&c.plans[*p].name),
                escape(why)
            );
        }
        h += "</ul>\n";
    }
    h += "<p class=\"muted\">Every number on this page comes from the runs; the full record is in compare.json beside this file.</p>\n</body>\n</html>\n";
    h
}

//! `cordon batch --emit-sbatch`: a Slurm job array for a batch and a merge job chained after it.
//! Every value written into the script is validated (no control characters) and shell-quoted.

use super::BatchSpec;
use super::args::BatchArgs;
use crate::error::{CordonError, Result};
use std::path::Path;

/// A word for the generated script: no control characters (a newline would end the script's
/// here-document early and turn the rest of the word into commands), then quoted by [`sh`].
fn script_word(what: &str, word: &str) -> Result<String> {
    if let Some(c) = word.chars().find(|c| c.is_control()) {
        return Err(CordonError::Usage(format!(
            "--emit-sbatch: {what} {word:?} holds the control character {c:?}, which a job script cannot carry safely"
        )));
    }
    Ok(sh(word))
}

/// Quotes a word for a POSIX shell.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The script for `a` (whose batch is `spec`, writing into `out`): a job array of shards and a merge
/// job after it; every value in it validated and quoted.
pub fn script(a: &BatchArgs, spec: &BatchSpec, out: &Path) -> Result<String> {
    let io = |e: std::io::Error| CordonError::Usage(format!("--emit-sbatch: {e}"));
    let exe = std::env::current_exe().map_err(io)?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let cwd = std::env::current_dir().map_err(io)?;
    let abs = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    let out = abs(out);
    let n = a
        .shards
        .unwrap_or_else(|| spec.total().min(100))
        .clamp(1, spec.total().max(1));
    let cpus = a.jobs.unwrap_or(1).max(1);
    let exe_word = script_word("the cordon program's path", &exe.display().to_string())?;
    let out_word = script_word("the output folder", &out.display().to_string())?;
    let mut args = vec![exe_word.clone(), "batch".to_string()];
    if let Some(f) = &a.file {
        args.push(script_word("the scenario file", &abs(f).display().to_string())?);
    }
    args.push(format!("--runs {}", spec.runs));
    args.push(format!("--seed {}", spec.seed));
    for s in &a.sets {
        args.push(format!("--set {}", script_word("--set", s)?));
    }
    for s in &a.sweeps {
        args.push(format!("--sweep {}", script_word("--sweep", s)?));
    }
    if let Some(u) = spec.until {
        args.push(format!("--until {u}"));
    }
    args.push(format!("--out {out_word}"));
    args.push("--jobs \"${SLURM_CPUS_PER_TASK:-1}\" --shard auto --quiet".into());
    let run = args.join(" ");
    let merge = format!("{exe_word} merge {out_word} --expect {n}");
    let logs = script_word("the log folder", &out.join("logs").display().to_string())?;
    // the job name sits in a `#SBATCH` comment line, which no shell quoting reaches: only the
    // characters a validated scenario name may hold
    let name: String = spec
        .scenario
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(format!(
        r#"#!/bin/bash
# Cordon batch on Slurm: {total} replications ({points} sweep points x {runs}) as a job array of
# {n} tasks, then a merge job that starts when every task succeeded. Submit with: bash THIS_FILE
set -euo pipefail
mkdir -p {logs}
array_id=$(sbatch --parsable <<'ARRAY'
#!/bin/bash
#SBATCH --job-name=cordon-{name}
#SBATCH --array=0-{last}
#SBATCH --cpus-per-task={cpus}
#SBATCH --output={logs}/shard-%a.out
{run}
ARRAY
)
array_id=${{array_id%%;*}}
merge_id=$(sbatch --parsable --dependency=afterok:$array_id <<'MERGE'
#!/bin/bash
#SBATCH --job-name=cordon-{name}-merge
#SBATCH --cpus-per-task=1
#SBATCH --output={logs}/merge.out
{merge}
MERGE
)
echo "submitted array job $array_id ({n} tasks) and merge job ${{merge_id%%;*}}; results in" {outq}
"#,
        total = spec.total(),
        points = spec.points(),
        runs = spec.runs,
        last = n - 1,
        outq = out_word,
    ))
}

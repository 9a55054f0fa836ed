#!/usr/bin/env bash
# Times JuPedSim 1.4.2 (collision-free speed model) and Cordon on the same machine, on the same
# geometry (open square with pillars at N = 1000, 10000, 50000; the 1 m bottleneck), then prints
# a Markdown comparison table. See README.md.
#
# Environment:
#   QUICK=1        100 timed steps per N on the open square (both engines); a few minutes in all.
#   STEPS=K        timed steps per N (overrides QUICK; default 3000/1000/400 as in the reference).
#   NS=a,b,c       agent counts for the open square (default 1000,10000,50000).
#   SEEDS=K        bottleneck seeds 1..K (default 5, both engines).
#   CORDON_BIN=P   use this cordon binary instead of `cargo run --release --`.
#   PYTHON=P       interpreter used to create the venv (default python3).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$HERE/.venv"
RES="$HERE/results"
PYTHON="${PYTHON:-python3}"
NS="${NS:-1000,10000,50000}"
SEEDS="${SEEDS:-5}"

STEPS="${STEPS:-}"
if [[ -z "$STEPS" && "${QUICK:-0}" == "1" ]]; then
    STEPS=100
fi
if [[ -n "$STEPS" ]]; then
    TAG="steps$STEPS"
    JPS_STEPS=(--steps "$STEPS")
    CORDON_STEPS=(--steps "$STEPS")
else
    TAG="default"
    JPS_STEPS=()
    CORDON_STEPS=()
fi

# --- JuPedSim venv -------------------------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "== creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
if ! "$PY" -c 'import jupedsim, shapely, sys; sys.exit(jupedsim.__version__ != "1.4.2")' 2>/dev/null; then
    echo "== installing jupedsim==1.4.2 and shapely into $VENV"
    "$PY" -m pip install --quiet --upgrade pip
    "$PY" -m pip install --quiet "jupedsim==1.4.2" shapely
fi

# --- Cordon binary --------------------------------------------------------------------------------
if [[ -n "${CORDON_BIN:-}" ]]; then
    CORDON=("$CORDON_BIN")
else
    CORDON=(cargo run --quiet --release --manifest-path "$ROOT/Cargo.toml" --)
    echo "== building cordon (release)"
    (cd "$ROOT" && cargo build --quiet --release)
fi

mkdir -p "$RES"
cd "$HERE"   # the reference scripts write to ./results/

# Count cores before anything sets OMP_NUM_THREADS (GNU nproc honours it).
CORES="$(nproc)"
# The JuPedSim core is single-threaded; pin any helper libraries of the Python side to one
# thread as well (only for the Python processes; Cordon sizes its pool from the core count).
JPS_ENV=(env OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1)

echo "== machine: $CORES cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== JuPedSim CFSM, open square, N=$NS ${JPS_STEPS[*]:-}"
"${JPS_ENV[@]}" "$PY" c_scaling.py CFSM --n "$NS" "${JPS_STEPS[@]}"

echo "== JuPedSim bottleneck, CFSM and CFSM:r=0.15, seeds 1..$SEEDS"
"${JPS_ENV[@]}" "$PY" b_bottleneck.py CFSM CFSM:r=0.15 --seeds "$SEEDS"

echo "== Cordon, 1 thread"
"${CORDON[@]}" bench --threads 1 --n "$NS" --seeds "$SEEDS" "${CORDON_STEPS[@]}" \
    --json "$RES/cordon_threads1_$TAG.json"

echo "== Cordon, all cores"
"${CORDON[@]}" bench --threads 0 --n "$NS" --seeds "$SEEDS" "${CORDON_STEPS[@]}" \
    --json "$RES/cordon_threadsall_$TAG.json"

# File names written by the reference scripts (see their __main__ blocks).
IFS=',' read -r -a NLIST <<<"$NS"
if [[ -n "$STEPS" ]]; then
    PER_N=()
    for _ in "${NLIST[@]}"; do PER_N+=("$STEPS"); done
else
    PER_N=()
    for n in "${NLIST[@]}"; do
        case "$n" in 1000) PER_N+=(3000) ;; 10000) PER_N+=(1000) ;; 50000) PER_N+=(400) ;; *) PER_N+=(400) ;; esac
    done
fi
SCALING_JSON="$RES/c_scaling_CFSM_$(IFS=_; echo "${NLIST[*]}")_steps$(IFS=-; echo "${PER_N[*]}").json"
BOTTLENECK_JSON="$RES/b_bottleneck_CFSM_CFSMr0.15.json"

echo
"$PY" compare.py \
    --jps-scaling "$SCALING_JSON" \
    --jps-bottleneck "$BOTTLENECK_JSON" \
    --cordon-1 "$RES/cordon_threads1_$TAG.json" \
    --cordon-all "$RES/cordon_threadsall_$TAG.json" \
    --cores "$CORES" | tee "$RES/comparison_$TAG.md"
echo
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (timings are only as good as the machine was idle)"
echo "== table also written to $RES/comparison_$TAG.md"

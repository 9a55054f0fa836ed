"""Reads the JuPedSim reference results (results/*.json written by c_scaling.py and
b_bottleneck.py) and Cordon's `cordon bench --json` files, and prints Markdown tables.

usage: compare.py --jps-scaling F --jps-bottleneck F --cordon-1 F --cordon-all F [--cores K]

Ratios are Cordon / JuPedSim in agent-steps per second (> 1: Cordon is faster). For the open
square both engines time the same N and (unless JuPedSim hit its 60 s wall cap) the same number
of steps after 20 untimed warm-up steps, so the ratio also equals JuPedSim ms/step / Cordon ms/step.
"""
import argparse
import json
import math
import statistics


def load(path):
    with open(path) as f:
        return json.load(f)


def num(x):
    """None (serde_json's NaN) and NaN -> None."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def fmt(x, spec):
    x = num(x)
    return "—" if x is None else format(x, spec)


def ratio(a, b):
    a, b = num(a), num(b)
    return "—" if a is None or b is None or b == 0 else f"{a / b:.2f}×"


def mean(xs):
    xs = [v for v in (num(x) for x in xs) if v is not None]
    return statistics.fmean(xs) if xs else None


def mean_sd(xs, spec):
    xs = [v for v in (num(x) for x in xs) if v is not None]
    if not xs:
        return "—"
    if len(xs) == 1:
        return format(xs[0], spec)
    return f"{format(statistics.fmean(xs), spec)} ± {format(statistics.stdev(xs), spec)}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jps-scaling", required=True)
    ap.add_argument("--jps-bottleneck", required=True)
    ap.add_argument("--cordon-1", required=True)
    ap.add_argument("--cordon-all", required=True)
    ap.add_argument("--cores", default="all")
    a = ap.parse_args()

    jsc = load(a.jps_scaling)
    jbn = load(a.jps_bottleneck)
    c1 = load(a.cordon_1)
    ca = load(a.cordon_all)
    env = jsc.get("env", {})

    print(f"JuPedSim {env.get('jupedsim', '?')} (Python {env.get('python', '?')}, "
          f"collision-free speed model, single thread) vs Cordon (`cordon bench`), "
          f"same machine ({a.cores} cores), same geometry, dt 0.01 s.")
    print()
    print("**(a) Open square 200 × 200 m, 5 pillars, N agents on a 0.7 m grid**")
    print()
    print(f"| N | steps (JPS / Cordon) | JuPedSim ms/step | JuPedSim agent-steps/s "
          f"| Cordon 1 thread ms/step | Cordon 1 thread agent-steps/s "
          f"| Cordon all cores ({a.cores}) ms/step | Cordon all cores agent-steps/s "
          f"| Cordon 1 thread / JuPedSim | Cordon all cores / JuPedSim |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    cordon1 = {r["n"]: r for r in c1.get("open_square", [])}
    cordonall = {r["n"]: r for r in ca.get("open_square", [])}
    notes = []
    for j in jsc["runs"]:
        n = j["N"]
        r1, ra = cordon1.get(n, {}), cordonall.get(n, {})
        steps = f"{j.get('steps_timed', '?')} / {r1.get('steps', '—')}"
        print(f"| {n} | {steps} | {fmt(j.get('ms_per_step'), '.3f')} | {fmt(j.get('agent_steps_per_s'), ',.0f')} "
              f"| {fmt(r1.get('ms_per_step'), '.3f')} | {fmt(r1.get('agent_steps_per_s'), ',.0f')} "
              f"| {fmt(ra.get('ms_per_step'), '.3f')} | {fmt(ra.get('agent_steps_per_s'), ',.0f')} "
              f"| {ratio(r1.get('agent_steps_per_s'), j.get('agent_steps_per_s'))} "
              f"| {ratio(ra.get('agent_steps_per_s'), j.get('agent_steps_per_s'))} |")
        if j.get("status", "ok") != "ok":
            notes.append(f"JuPedSim N={n}: {j['status']}")
    print()

    print("**(b) Bottleneck 1.0 m × 2.0 m, 150 agents** (mean ± sd over seeds; flow over exits 16..135)")
    print()
    print("| engine | seeds | evacuated | flow (1/s) | evacuation (s) | longest gap (s, max) "
          "| ms/step | agent-steps/s | agent-steps/s vs JuPedSim CFSM |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    by_model = {}
    for r in jbn["runs"]:
        by_model.setdefault(r["model"], []).append(r)
        if r.get("status", "ok") != "ok":
            notes.append(f"JuPedSim {r['model']} seed {r['seed']}: {r['status']}")
    ref = mean(r.get("agent_steps_per_s") for r in by_model.get("CFSM", []))
    rows = []
    for model, runs in by_model.items():
        rows.append((f"JuPedSim {model}", runs, "J_steady_pps", "evac_time_s", "longest_gap_s"))
    rows.append(("Cordon 1 thread", c1.get("bottleneck", []), "flow_steady", "evacuation_s", "longest_gap_s"))
    rows.append((f"Cordon all cores ({a.cores})", ca.get("bottleneck", []), "flow_steady", "evacuation_s",
                 "longest_gap_s"))
    for name, runs, kflow, kevac, kgap in rows:
        if not runs:
            continue
        gaps = [v for v in (num(r.get(kgap)) for r in runs) if v is not None]
        evac = [r.get("evacuated") for r in runs]
        sps = mean(r.get("agent_steps_per_s") for r in runs)
        print(f"| {name} | {len(runs)} | {min(evac)}–{max(evac)} | {mean_sd([r.get(kflow) for r in runs], '.3f')} "
              f"| {mean_sd([r.get(kevac) for r in runs], '.1f')} | {fmt(max(gaps) if gaps else None, '.2f')} "
              f"| {fmt(mean(r.get('ms_per_step') for r in runs), '.4f')} | {fmt(sps, ',.0f')} "
              f"| {ratio(sps, ref)} |")
    print()
    print("JuPedSim's bottleneck ms/step includes its Python driver loop (agent count, removed agents, "
          "stall check every step); the open-square timing calls `iterate(10)` and has little overhead. "
          "Start layouts per seed are drawn by different RNGs (Python `random` vs ChaCha8), so the "
          "bottleneck compares distributions, not identical runs.")
    for n in notes:
        print(f"\n- {n}")


if __name__ == "__main__":
    main()

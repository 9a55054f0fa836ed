"""(b) Bottleneck: 10x10 m room, exit corridor 1.0 m wide x 2.0 m long (x 10..12,
y 4.5..5.5). 150 agents in the room.
Initial positions: random 150 of a 13x13 grid, 0.7 m spacing (seeded).
Behind the corridor: an open 1 x 4 m strip (x 12..13, y 3..7) that is entirely the
exit stage: agents are removed when their centre enters it, so removal time ==
crossing time of the corridor's end line x=12 (no dead-end wall right in front of
agents, which would otherwise hold SFM agents back).
Flow J = (n-1)/(t_n - t_1) over agents 16..135 (steady part, first/last ~10% cut),
also whole-run J = 149/(t_150 - t_1). Specific flow Js = J / 1.0 m.
Evacuation time = sim time when the last agent is removed."""
import sys, time, random
sys.path.insert(0, __file__.rsplit("/", 1)[0])
import shapely
import jupedsim as jps
from common import *

W, L, N = 1.0, 2.0, 150
STALL_S = 30.0

def run(model, seed, dt=0.01, v0=1.34):
    """Return result dict. ms_per_step includes the Python loop overhead."""
    room = shapely.box(0, 0, 10, 10)
    corr = shapely.box(10, 5 - W / 2, 10 + L, 5 + W / 2)
    outside = shapely.box(10 + L, 3, 10 + L + 1, 7)   # 1 m deep open strip behind the corridor
    geo = shapely.union_all([room, corr, outside])
    sim = jps.Simulation(model=make_model(model), geometry=geo, dt=dt)
    ex = sim.add_exit_stage(outside)
    j = sim.add_journey(jps.JourneyDescription([ex]))
    r = radius_of(model) or 0.3
    # 150 of the 169 nodes of a 13x13 grid (0.7 m spacing, x,y in 0.8..9.2),
    # chosen at random per seed -> same initial layouts for all models.
    grid = [(0.8 + 0.7 * i, 0.8 + 0.7 * k) for i in range(13) for k in range(13)]
    pos = random.Random(seed).sample(grid, N)
    for p in pos:
        sim.add_agent(agent_params(model, p, v0, j, ex))
    times = []
    status = "ok"
    agent_steps = 0
    t0 = time.perf_counter()
    try:
        while sim.agent_count() > 0 and sim.elapsed_time() < 600:
            agent_steps += sim.agent_count()
            sim.iterate()
            k = len(sim.removed_agents())
            if k:
                times += [sim.elapsed_time()] * k
            last = times[-1] if times else 0.0
            if sim.elapsed_time() - last > STALL_S:
                near = sorted(((a.position[0] - 10) ** 2 + (a.position[1] - 5) ** 2, a.position)
                              for a in sim.agents())[:4]
                status = (f"STALLED (no exit for {STALL_S:.0f} s sim time); agents nearest door: "
                          + ", ".join(f"({x:.2f},{y:.2f})" for _, (x, y) in near))
                break
    except RuntimeError as e:
        status = f"CRASHED at t={sim.elapsed_time():.2f}s: {e}"
    wall = time.perf_counter() - t0
    steps = sim.iteration_count()
    a, b = 15, 134
    J_ss = (b - a) / (times[b] - times[a]) if len(times) > b else float("nan")
    J_all = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
    return {"scenario": "b_bottleneck_w1.0", "model": model, "seed": seed, "N": N,
            "dt": dt, "v0": v0, "radius": r, "evac_time_s": round(sim.elapsed_time(), 2),
            "evacuated": len(times), "first_exit_s": round(times[0], 2) if times else None,
            "J_steady_pps": round(J_ss, 3), "Js_steady_ppms": round(J_ss / W, 3),
            "J_all_pps": round(J_all, 3),
            # added for the Cordon comparison (same definition as Cordon's longest_gap_s):
            "longest_gap_s": round(max((b2 - a2 for a2, b2 in zip(times, times[1:])), default=0.0), 3),
            "steps": steps, "wall_s": round(wall, 3),
            "ms_per_step": round(1e3 * wall / steps, 4),
            "agent_steps_per_s": round(agent_steps / wall),
            "status": status}

if __name__ == "__main__":
    # usage: b_bottleneck.py [MODEL_SPEC ...] [--seeds K]   e.g. CFSM CFSM:r=0.15 AVM SFM
    # --seeds K (added for bench/jupedsim/run.sh): seeds 1..K for dt 0.01 (default 5).
    args = sys.argv[1:]
    nseeds = 5
    if "--seeds" in args:
        i = args.index("--seeds"); nseeds = int(args[i + 1])
        args = args[:i] + args[i + 2:]
    models = args or ["CFSM", "CFSM:r=0.15", "AVM", "AVM:r=0.15", "SFM"]
    dts = {"SFM": [0.01, 0.001]}
    res = []
    for m in models:
      for dt in dts.get(m.split(":")[0], [0.01]):
        for seed in ((1, 2) if dt < 0.005 else tuple(range(1, nseeds + 1))):
            r = run(m, seed, dt=dt)
            print(r, flush=True)
            res.append(r)
    tag = "_".join(m.replace(":", "").replace("=", "") for m in models)
    dump(f"results/b_bottleneck_{tag}.json", {"env": env_info(), "runs": res})

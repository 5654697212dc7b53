"""Benchmarks of the war layer.

Run: ``.venv/bin/python benchmarks/bench_war.py [draws]``.

1. The vectorised war simulator against a per-draw loop of the same algorithm: the time
   per simulated war of both paths (the baseline is measured in the same run on fewer
   draws), their ratio, the outcome shares of both (they must agree within Monte Carlo
   error).
2. The default forecast conditioned on the war's record (``realpolitik forecast -m war``,
   what-ifs included) against today's path, the unconditioned forecast of issue 13's
   starting point - the default scenario's war section as it was before it had a history
   (beliefs stated at as_of with 40 battles' weight, true odds 0.53 held with 60, a
   front of 10 from 5, Kursk weighted 2, three broken agreements in the credibility
   record) - measured in the same run (best of ``REPS`` interleaved runs each).  Target:
   the conditioned forecast within 2x.  Also the same scenario with its history removed.
3. Peak memory: of the conditioned forecast (tracemalloc) and of the process (max RSS).
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc

import numpy as np

from realpolitik.models.war.simulator import SETTLED, WarParams, make_integrator, simulate_war


def loop_baseline(params: WarParams, p: float, belief_A, belief_B, n: int, seed: int) -> np.ndarray:
    """One war at a time (scalar state), same settlement rule and integrator."""
    integ = make_integrator(params)
    rng = np.random.default_rng(seed)
    lo_t, hi_t = params.bounds()
    out = np.zeros(n, np.int8)
    for d in range(n):
        aA, bA = belief_A
        aB, bB = belief_B
        k = params.k0
        for t in range(params.max_battles + 1):
            evA = integ.expect(np.array([aA]), np.array([bA]), np.array([k]))[0][0]
            evB = integ.expect(np.array([aB]), np.array([bB]), np.array([k]))[1][0]
            lo = max(evA, lo_t[t], 0.0)
            hi = min(1.0 - evB, hi_t[t], 1.0)
            if evA <= 1.0 - evB and lo <= hi:
                out[d] = SETTLED
                break
            if t == params.max_battles:
                break
            won = rng.random() < p
            k += 1 if won else -1
            aA, aB = aA + won, aB + won
            bA, bB = bA + (not won), bB + (not won)
            if k in (0, params.N):
                out[d] = 2 if k == params.N else 3
                break
    return out


def main() -> None:
    draws = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    base_draws = max(50, draws // 100)
    params = WarParams(N=10, k0=5, kappa_A=0.012, kappa_B=0.012, max_battles=18)
    bA, bB = (13.0, 7.0), (7.0, 13.0)
    t0 = time.perf_counter()
    ref = loop_baseline(params, 0.53, bA, bB, base_draws, 1)
    t_loop = (time.perf_counter() - t0) / base_draws
    full = lambda v: np.full(draws, v)  # noqa: E731
    t0 = time.perf_counter()
    res = simulate_war(params, full(0.53), (full(bA[0]), full(bA[1])), (full(bB[0]), full(bB[1])), rng=np.random.default_rng(1))
    t_vec = (time.perf_counter() - t0) / draws
    # worst case: every draw has its own priors (belief spread), so no belief state repeats
    jit = np.random.default_rng(2).normal(0.0, 0.3, size=(2, draws))
    mA = 1 / (1 + np.exp(-(np.log(bA[0] / bA[1]) + jit[0])))
    mB = 1 / (1 + np.exp(-(np.log(bB[0] / bB[1]) + jit[1])))
    t0 = time.perf_counter()
    simulate_war(params, full(0.53), (mA * 20, (1 - mA) * 20), (mB * 20, (1 - mB) * 20), rng=np.random.default_rng(1))
    t_het = (time.perf_counter() - t0) / draws
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    share = lambda o: np.bincount(o, minlength=4) / o.size  # noqa: E731
    print(f"per-draw loop baseline : {t_loop * 1e3:9.3f} ms/war  ({base_draws} wars)")
    print(f"vectorised simulator   : {t_vec * 1e3:9.3f} ms/war  ({draws} wars)")
    print(f"speed-up (loop / vectorised): {t_loop / t_vec:7.1f}x")
    print(f"vectorised, per-draw priors: {t_het * 1e3:9.3f} ms/war  speed-up {t_loop / t_het:7.1f}x")
    print(f"outcome shares [continuing, settled, A wins, B wins]: loop {np.round(share(ref), 3)}, "
          f"vectorised {np.round(share(res.outcome), 3)}")
    print(f"peak memory (max RSS): {peak:.0f} MB")
    forecast_benchmark()


REPS = 9


def todays_scenario(scen):
    """The default scenario's war section as it was before it had a history (issue 13)."""
    from realpolitik.scenario.model import Scenario

    data = scen.model_dump()
    w = data["war"]
    w["history"] = None
    w["sides"][0]["belief"] = {"war_win": 0.8, "concentration": 40, "spread": 0.3, "battle_win": None}
    w["sides"][1]["belief"] = {"war_win": 0.3, "concentration": 40, "spread": 0.3, "battle_win": None}
    w["sides"][0]["credibility"]["broken"] = 3
    w["true_odds"] = {"battle_win": 0.53, "concentration": 60, "war_win": None, "spread": 0.0}
    w["front"] = {"positions": 10, "start": 5}
    w["battles"][0]["weight"] = 2
    w["battles"][0]["probability"] = 1.0
    return Scenario.model_validate(data)


def forecast_benchmark() -> None:
    from realpolitik.models import get_model
    from realpolitik.scenario import load_scenario
    from realpolitik.scenario.model import Scenario

    scen = load_scenario()
    today = todays_scenario(scen)
    data = scen.model_dump()
    data["war"]["history"] = None
    no_history = Scenario.model_validate(data)
    model = get_model("war")
    model.run(today, rng=1)  # warm-up (imports, quadrature tables)
    times = {"conditioned": [], "today": [], "no history": []}
    for _ in range(REPS):
        for name, sc in (("conditioned", scen), ("today", today), ("no history", no_history)):
            t0 = time.perf_counter()
            r = model.run(sc, rng=7)
            times[name].append(time.perf_counter() - t0)
            if name == "conditioned":
                rec = r.details["record"]
    best = {k: min(v) for k, v in times.items()}
    tracemalloc.start()
    model.run(scen, rng=7)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print()
    print("default forecast (realpolitik forecast -m war, 4000 wars, what-ifs included), best of", REPS)
    print(f"today's path (unconditioned, section as before issue 13): {best['today']:7.3f} s")
    print(f"same scenario, history removed (unconditioned)          : {best['no history']:7.3f} s")
    print(f"conditioned on the record                               : {best['conditioned']:7.3f} s "
          f"({rec['proposed_wars']} wars proposed, {rec['effective_sample_size']} kept)")
    print(f"ratio conditioned / today's path: {best['conditioned'] / best['today']:5.2f}x  (target <= 2x)")
    print(f"ratio conditioned / history removed: {best['conditioned'] / best['no history']:5.2f}x")
    print(f"peak traced memory of the conditioned forecast: {traced / 2**20:.0f} MB; "
          f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0:.0f} MB")


if __name__ == "__main__":
    main()

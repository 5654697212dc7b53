"""Benchmark: the vectorised war simulator against a per-draw loop of the same algorithm.

Run: ``.venv/bin/python benchmarks/war_simulator.py [draws]``.  Prints the time per
simulated war of both paths (the baseline is measured in the same run on fewer
draws), their ratio, the outcome shares of both (they must agree within Monte
Carlo error), and the peak memory of the process.
"""

from __future__ import annotations

import resource
import sys
import time

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


if __name__ == "__main__":
    main()

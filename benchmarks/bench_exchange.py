"""Benchmark of the exchange model (issue 4 item 4).

Prints, in one run: the model time for Decide's three inputs (literature/float64 and
decide/Decimal modes, 10 rounds) against the Decide package's own timings
(../shared/anchors/decide/SOURCES.md: whole process, 2 cores), and for synthetic 30x5,
100x5 and 100x10 scenarios over 10 rounds, with a same-run baseline (the weighted-mean
model on the same scenario) and peak memory.

Decide's timings are quoted, not re-measured: the package is not installed here.  For
100 x 10 SOURCES.md gives 210 s of CPU for one round (about 35 min for 10 rounds).

Run: ``.venv/bin/python benchmarks/bench_exchange.py [--quick]``
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from realpolitik.models import get_model
from realpolitik.scenario import load_scenario
from realpolitik.scenario.model import Scenario

ANCHORS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors" / "decide" / "inputs"
# Decide package, whole process, 10 rounds (SOURCES.md); for 100x10 one round = 210 s CPU
DECIDE_SECONDS = {"sample_data": 0.85, "copenhagen": 1.2, "cop21": 9.2, "100x10": 2100.0}


def synthetic(n: int, m: int, seed: int = 1) -> Scenario:
    rng = np.random.default_rng(seed)
    issues = [{"id": f"i{u}", "label": f"issue {u}"} for u in range(m)]
    actors = []
    for a in range(n):
        actors.append({
            "id": f"a{a}",
            "capability": float(np.round(rng.uniform(0.05, 1.0), 3)),
            "positions": {f"i{u}": float(np.round(rng.uniform(0, 100), 1)) for u in range(m)},
            "saliences": {f"i{u}": float(np.round(rng.uniform(5, 100), 0)) for u in range(m)},
        })
    return Scenario.model_validate({"title": f"synthetic {n}x{m}", "issues": issues, "actors": actors})


CPU: list[float] = []  # CPU seconds of the last timed() call (the machine may be shared)


def timed(model, scen, repeat: int = 1) -> float:
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        model.run(scen, rng=1)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    CPU[:] = [best_cpu]
    return best


def main(quick: bool = False) -> None:
    base = get_model("weighted-mean")
    lit = get_model("exchange", rounds=10)
    dec = get_model("exchange", mode="decide", rounds=10)
    print(f"{'case':<14}{'mode':<12}{'seconds':>9}{'cpu s':>8}{'x baseline':>12}{'Decide s':>10}{'speed-up':>10}{'(cpu)':>8}")
    for name, fn in (("sample_data", "sample_data.txt"), ("copenhagen", "copenhagen.csv"), ("cop21", "cop21.csv")):
        scen = load_scenario(ANCHORS / fn)
        tb = timed(base, scen, 3)
        for label, model in (("literature", lit), ("decide", dec)):
            t = timed(model, scen, 1 if quick else 2)
            print(f"{name:<14}{label:<12}{t:9.3f}{CPU[0]:8.3f}{t / tb:12.0f}{DECIDE_SECONDS[name]:10.1f}{DECIDE_SECONDS[name] / t:10.1f}{DECIDE_SECONDS[name] / CPU[0]:8.1f}")
    sizes = [(30, 5), (100, 5)] + ([] if quick else [(100, 10)])
    for n, m in sizes:
        scen = synthetic(n, m)
        tb = timed(base, scen, 3)
        t = timed(lit, scen)
        cpu = CPU[0]
        tracemalloc.start()  # a second, untimed run for the peak (tracemalloc slows numpy)
        lit.run(scen, rng=1)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        key = f"{n}x{m}"
        ref = DECIDE_SECONDS.get(key)
        extra = f"{ref:10.0f}{ref / t:10.0f}{ref / cpu:8.0f}" if ref else f"{'-':>10}{'-':>10}{'-':>8}"
        print(f"{key:<14}{'literature':<12}{t:9.3f}{cpu:8.3f}{t / tb:12.0f}{extra}   peak {peak / 1e6:.0f} MB")
    print("speed-up = Decide's time / ours (wall, and CPU when the machine is shared);")
    print("Decide's 100x10 figure is 10 x its one-round CPU time (SOURCES.md)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the whole run: {rss:.0f} MB")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)

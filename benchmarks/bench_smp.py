"""Benchmark of the KTAB SMP (issue 3 item 6).

Prints, in one run, the full-run time (to convergence, default parameters, with the
reported winning probabilities of every state) for KTAB's inputs and for synthetic
50x3, 100x3 and 200x3 scenarios, the ratio against KTAB's ``smpc --logmin`` times, a
same-run baseline (the weighted-mean model on the same scenario, and a fixed NumPy
workload that calibrates the machine), and peak memory.

``smpc`` times are quoted from ``../shared/anchors/ktab/TIMINGS.md`` (whole process,
``--logmin``, measured on a comparable 2-vCPU machine); ``smpc`` is not built here.  For
the KTAB inputs the runs are the same (our histories equal smpc's state for state).  The
synthetic scenarios are drawn like KTAB's ``SMPActor::randomize`` (capability U[10, 200],
total salience U[0.75, 0.99], positions U[0, 100]) but are not the very scenarios timed in
TIMINGS.md, so their ratios are also given per turn.  Ours runs on one thread.

Run: ``.venv/bin/python benchmarks/bench_smp.py [--quick]`` (--quick skips 200x3).
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import numpy as np

from realpolitik.models import get_model
from realpolitik.scenario import load_scenario
from realpolitik.scenario.model import Scenario

INPUTS = Path(__file__).resolve().parents[1].parent / "shared" / "anchors" / "ktab" / "inputs"
# smpc --logmin wall times and states (TIMINGS.md); ranges quoted at their fast end
SMPC = {
    "dummyData_3Dim": (0.09, 11),
    "synth_n10_d3": (0.35, 16),
    "SOE-Pol-Comp": (0.54, 28),
    "SOE-Policy": (2.0, 20),
    "dummyData_6Dim": (4.5, 30),
    "SOE-Competitive": (7.8, 36),
    "dummyData-a040": (6.7, 21),
    "dummyData-a080": (89.0, 18),
    "synth 50x3": (35.0, 26),
    "synth 100x3": (240.0, 16),  # unfinished after 240 s at 15 turns: a lower bound
    "synth 200x3": (200.0, 1),  # first turn unfinished after 200 s: a lower bound per turn
}


def synthetic(n: int, m: int, seed: int = 42) -> Scenario:
    rng = np.random.default_rng(seed)
    issues = [{"id": f"d{k}", "min": 0, "max": 100} for k in range(m)]
    actors = []
    for a in range(n):
        s = rng.uniform(0.1, 1.0, m)
        s = s / s.sum() * rng.uniform(0.75, 0.99)
        actors.append(
            {
                "id": f"a{a:03d}",
                "capability": float(np.round(rng.uniform(10, 200), 3)),
                "positions": {f"d{k}": float(np.round(rng.uniform(0, 100), 2)) for k in range(m)},
                "saliences": {f"d{k}": float(np.floor(s[k] * 1e4) / 100) for k in range(m)},
            }
        )
    return Scenario.model_validate({"title": f"synthetic {n}x{m}", "issues": issues, "actors": actors})


def calibration() -> float:
    """A fixed NumPy workload (elementwise ops and reductions on 8M float64)."""
    x = np.random.default_rng(0).random((200, 200, 200))
    t = time.perf_counter()
    for _ in range(5):
        y = x * 1.5
        y += 1.0
        np.maximum(y, 1.2, out=y)
        y.sum(axis=0)
    return time.perf_counter() - t


def main(quick: bool = False) -> None:
    smp = get_model("smp")
    base = get_model("weighted-mean")
    print(f"{'scenario':18s} {'n x m':>7s} {'states':>6s} {'ours s':>8s} {'s/turn':>7s} "
          f"{'w-mean s':>8s} {'smpc s':>7s} {'x faster':>9s} {'x/turn':>7s} {'peak MB':>8s}")
    cases: list[tuple[str, Scenario]] = []
    for stem in ("dummyData_3Dim", "synth_n10_d3", "SOE-Pol-Comp", "SOE-Policy", "dummyData_6Dim",
                 "SOE-Competitive", "dummyData-a040", "dummyData-a080"):
        if (INPUTS / f"{stem}.csv").exists():
            cases.append((stem, load_scenario(INPUTS / f"{stem}.csv")))
    sizes = [(50, 3), (100, 3)] + ([] if quick else [(200, 3)])
    cases += [(f"synth {n}x{m}", synthetic(n, m)) for n, m in sizes]
    for name, scen in cases:
        t = time.perf_counter()
        res = smp.run(scen)
        ours = time.perf_counter() - t
        # process peak RSS so far (cases grow, so this is the peak of the largest run yet);
        # tracemalloc would slow small runs several-fold
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        base.run(scen)
        wm = time.perf_counter() - t
        states = res.details["states"]
        per_turn = ours / max(1, states - 1)
        ref = SMPC.get(name)
        if ref:
            kt, kstates = ref
            ratio = kt / ours
            kturn = kt / max(1, kstates - 1)
            tr = kturn / per_turn
            bound = ">=" if name in ("synth 100x3", "synth 200x3") else "  "
            rtxt, ttxt, ktxt = f"{bound}{ratio:7.1f}", f"{tr:7.1f}", f"{kt:7.2f}"
        else:
            rtxt = ttxt = ktxt = "-"
        n, m = len(scen.actors), len(scen.issues)
        print(f"{name:18s} {n:>3d} x {m:<2d} {states:>6d} {ours:>8.2f} {per_turn:>7.3f} {wm:>8.4f} "
              f"{ktxt:>7s} {rtxt:>9s} {ttxt:>7s} {peak:>8.0f}", flush=True)
    cal = calibration()
    print(f"same-run machine calibration (fixed NumPy workload, 5 x 8M-element ops): {cal:.3f} s "
          "(about 0.5 s on an idle core; larger means a loaded machine)")
    print("peak MB: process peak RSS after the case. smpc: TIMINGS.md, whole process with --logmin on a comparable 2-vCPU machine; ours: one thread, "
          "same run for KTAB inputs. 'x faster' = smpc time / ours; '>=' where smpc did not finish.")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)

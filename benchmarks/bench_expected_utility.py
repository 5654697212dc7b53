"""Benchmark of the expected-utility model (issue 2, part 5).

Prints, in one run:

* time per round for n = 10, 50, 200, 500 actors (random scenarios) and the
  total for 200 actors x 10 rounds (target < 1 s);
* 10,000 draws x 10 rounds of the emission case as one batch through
  ``forecast_batch`` (target < 2 s);
* the speed ratio against the plain-loop oracle of the tests at n = 10 and 20
  on the same inputs (target >= 1000x at n = 20), for the oracle with a cached
  all-pairs denominator and for the oracle that recomputes it in every
  probability, as the reference implementation does;
* peak memory (tracemalloc for the batch run, and the process's max RSS).

Wall-clock and CPU times are both printed: the CI machine is shared, so CPU
time is the steadier figure.  ``--full`` adds 100,000 draws of the default
scenario (the Monte Carlo target, < 1 min).

Run: ``.venv/bin/python benchmarks/bench_expected_utility.py [--full]``
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from realpolitik.models import ScenarioBatch, get_model
from realpolitik.models.expected_utility import ExpectedUtilityOptions, eu_round
from realpolitik.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def load_oracle():
    path = ROOT / "tests" / "test_expected_utility_oracle.py"
    spec = importlib.util.spec_from_file_location("eu_oracle", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def timed(fn, min_time=0.3, max_reps=1000):
    """(wall, cpu) seconds per call, repeated until min_time has passed."""
    fn()  # warm up
    reps, w0, c0 = 0, time.perf_counter(), time.process_time()
    while True:
        fn()
        reps += 1
        if time.perf_counter() - w0 >= min_time or reps >= max_reps:
            break
    return (time.perf_counter() - w0) / reps, (time.process_time() - c0) / reps


def random_inputs(n, seed=0, batch=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (batch, n))
    c = rng.uniform(0.05, 1.0, (batch, n))
    s = rng.uniform(0.05, 1.0, (batch, n))
    return x, c, s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also 100,000 draws of the default scenario")
    args = ap.parse_args()
    opt = ExpectedUtilityOptions()  # scholz2011 preset
    print("expected-utility benchmark (preset scholz2011)")
    print(f"numpy {np.__version__}, python {sys.version.split()[0]}")

    print("\n1. time per round, one scenario (random positions, capabilities, saliences)")
    print(f"{'n':>5} {'wall ms':>10} {'cpu ms':>10}")
    per_round = {}
    for n in (10, 50, 200, 500):
        x, c, s = random_inputs(n)
        R = np.array([100.0])
        w, cpu = timed(lambda: eu_round(x, c, s, R, opt), min_time=0.5 if n < 500 else 1.0)
        per_round[n] = (w, cpu)
        print(f"{n:>5} {w * 1e3:>10.2f} {cpu * 1e3:>10.2f}")
    model = get_model("expected-utility", rounds=10)
    from realpolitik.models.expected_utility import run_rounds

    x, c, s = random_inputs(200)
    w0, c0 = time.perf_counter(), time.process_time()
    run_rounds(x, c, s, np.ones(200, bool), model.options)
    print(f"200 actors x 10 rounds: wall {time.perf_counter() - w0:.3f} s, cpu {time.process_time() - c0:.3f} s"
          "  (target < 1 s)")

    print("\n2. emission case, 10,000 draws x 10 rounds as one batch (forecast_batch)")
    scen = load_scenario(ROOT / "src" / "realpolitik" / "scenarios" / "ec-emissions.yaml")
    base = ScenarioBatch.repeat(scen, 10_000)
    rng = np.random.default_rng(1)
    pos = np.clip(base.position + rng.normal(0, 1.0, base.position.shape), 4, 10)
    sal = np.clip(base.salience + rng.normal(0, 0.1, base.salience.shape), 0, 1)
    batch = ScenarioBatch(scen, base.capability, pos, sal)
    tracemalloc.start()
    w0, c0 = time.perf_counter(), time.process_time()
    fc = model.forecast_batch(batch)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"wall {wall:.3f} s, cpu {cpu:.3f} s (target < 2 s); peak traced memory {peak / 2**20:.1f} MiB; "
          f"median forecast over draws {np.median(fc):.3f}")
    # baseline in the same run: the same draws one at a time through the vectorised core
    w0 = time.perf_counter()
    one = ScenarioBatch(scen, base.capability[:200], pos[:200], sal[:200])
    for d in range(200):
        model.forecast_batch(ScenarioBatch(scen, one.capability[d:d + 1], one.position[d:d + 1],
                                           one.salience[d:d + 1]))
    per_draw = (time.perf_counter() - w0) / 200
    print(f"batching speed-up over one draw per call: {per_draw * 10_000 / wall:.0f}x "
          f"({per_draw * 1e3:.2f} ms per single-draw call)")

    print("\n3. speed ratio against the plain-loop oracle (tests), one round, same inputs")
    oracle = load_oracle()
    for n in (10, 20):
        x, c, s = random_inputs(n, seed=3)
        R = float(x.max() - x.min())
        xs, cs, ss = x[0].tolist(), c[0].tolist(), s[0].tolist()
        vec_w, vec_c = timed(lambda: eu_round(x, c, s, np.array([R]), opt), min_time=0.5)
        orc = oracle.Oracle(opt, cache_denominator=True)
        cw, cc = timed(lambda: orc.round(xs, cs, ss, R), min_time=1.0, max_reps=50)
        orc_nc = oracle.Oracle(opt, cache_denominator=False)
        w0, c0 = time.perf_counter(), time.process_time()
        orc_nc.round(xs, cs, ss, R)
        nw, nc = time.perf_counter() - w0, time.process_time() - c0
        print(f"n = {n}: vectorised {vec_c * 1e3:.3f} ms cpu; oracle (cached denominator) {cc * 1e3:.1f} ms "
              f"-> {cc / vec_c:,.0f}x; oracle (denominator per probability, as the reference) "
              f"{nc:.2f} s -> {nc / vec_c:,.0f}x")

    if args.full:
        print("\n4. default scenario, 100,000 draws x 10 rounds (Monte Carlo target < 60 s)")
        dscen = load_scenario()
        dbase = ScenarioBatch.repeat(dscen, 100_000)
        dpos = dbase.position + rng.normal(0, 5.0, dbase.position.shape)
        a = dscen.arrays()
        dpos = np.clip(dpos, a.scale_min, a.scale_max)
        dbatch = ScenarioBatch(dscen, dbase.capability, dpos, dbase.salience)
        w0, c0 = time.perf_counter(), time.process_time()
        model.forecast_batch(dbatch)
        print(f"{len(dscen.actors)} actors, {len(dscen.issues)} issues: wall {time.perf_counter() - w0:.1f} s, "
              f"cpu {time.process_time() - c0:.1f} s")

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of the benchmark process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()

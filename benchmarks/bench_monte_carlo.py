"""Monte Carlo throughput: draws per second per model, local engine vs a 2-worker Dask LocalCluster.

Prints, in one run, for the default (seed) scenario with a global spread of 0.1:

* draws/s of every registered model on the local (vectorised, one process) engine;
* draws/s on a 2-worker Dask LocalCluster (processes, one thread each) and the
  speed-up ratio dask / local, measured in this same run;
* the issue's target: 100,000 draws with the expected-utility model, timed on the
  faster engine (``--target-draws``; 0 skips it), against one minute;
* peak memory (this process, and the largest worker process).

Usage::

    .venv/bin/python benchmarks/bench_monte_carlo.py [--seconds 3] [--target-draws 100000]
        [--models expected-utility,weighted-median] [--chunk-size 1000]

Numbers depend on the machine and on what else runs on it; the ratio is the
meaningful figure.  The Dask column includes scheduling and pickling overhead but
not cluster start-up (the cluster is started and warmed up before timing).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux: KiB


def _rate(simulate, scen, model, draws, engine, chunk_size) -> tuple[float, float]:
    t = time.perf_counter()
    simulate(scen, model, draws=draws, seed=1, spread=0.1, engine=engine, chunk_size=chunk_size)
    dt = time.perf_counter() - t
    return draws / dt, dt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="target wall time per measurement")
    ap.add_argument("--target-draws", type=int, default=100_000, help="draws of the expected-utility target run (0: skip)")
    ap.add_argument("--target-engine", choices=("auto", "local", "dask"), default="auto",
                    help="engine of the target run (auto: the faster one measured above)")
    ap.add_argument("--models", default="", help="comma-separated models (default: all registered)")
    ap.add_argument("--chunk-size", type=int, default=1000, help="draws per chunk for vectorised models")
    ap.add_argument("--max-draws", type=int, default=200_000, help="cap on draws per measurement")
    args = ap.parse_args(argv)

    from realpolitik.analysis.montecarlo import simulate
    from realpolitik.engine import DaskEngine, LocalEngine, default_chunk_size
    from realpolitik.models import available_models, get_model
    from realpolitik.scenario import load_scenario

    scen = load_scenario(None)
    names = [n for n in args.models.split(",") if n] or sorted(available_models())
    local = LocalEngine()
    print(f"scenario: {scen.title} ({len(scen.actors)} actors, {len(scen.issues)} issues), spread 0.1, "
          f"chunk size {args.chunk_size}")  # fmt: skip
    print("starting a 2-worker Dask LocalCluster ...", file=sys.stderr)
    dask = DaskEngine(workers=2, processes=True)
    dask.client()
    eu_rates: dict[str, float] = {}
    try:
        print(f"{'model':<18} {'draws':>8} {'local draws/s':>14} {'dask(2) draws/s':>16} {'speed-up':>9}", flush=True)
        for name in names:
            try:
                model = get_model(name)
                # calibrate on a small run, then size the measurement to ~args.seconds
                n0 = 10
                while True:
                    r0, dt0 = _rate(simulate, scen, model, n0, local, args.chunk_size)
                    if dt0 > 0.25 * args.seconds or n0 >= args.max_draws:
                        break
                    n0 = min(args.max_draws, n0 * 4)
                # the model's own default chunk size (what `simulate` uses), and at least
                # 8 chunks so that both Dask workers have work
                cs = args.chunk_size if model.vectorised else default_chunk_size(model, scen)
                draws = int(min(args.max_draws, max(8 * cs, r0 * args.seconds)))
                draws = max(cs, draws - draws % cs)
                # warm the workers (imports, model set-up) outside the timing
                simulate(scen, model, draws=2 * cs, seed=0, engine=dask, chunk_size=cs)
                rl, _ = _rate(simulate, scen, model, draws, local, cs)
                rd, _ = _rate(simulate, scen, model, draws, dask, cs)
            except Exception as exc:  # a model that cannot run this scenario is reported, not fatal
                print(f"{name:<18} {'-':>8} {'-':>14} {'-':>16} {'-':>9}  fails: {type(exc).__name__}: {str(exc)[:70]}",
                      flush=True)  # fmt: skip
                continue
            print(f"{name:<18} {draws:>8} {rl:>14,.1f} {rd:>16,.1f} {rd / rl:>8.2f}x   (chunks of {cs})", flush=True)
            if name == "expected-utility":
                eu_rates = {"local": rl, "dask": rd}
        if args.target_draws and eu_rates:
            best = max(eu_rates, key=eu_rates.get) if args.target_engine == "auto" else args.target_engine
            eng = dask if best == "dask" else local
            model = get_model("expected-utility")
            print(f"\ntarget: {args.target_draws:,} draws, expected-utility, {best} engine ...", file=sys.stderr)
            t = time.perf_counter()
            simulate(scen, model, draws=args.target_draws, seed=1, spread=0.1, engine=eng, chunk_size=args.chunk_size)
            dt = time.perf_counter() - t
            verdict = "met" if dt < 60 else "NOT met"
            print(f"target: {args.target_draws:,} draws of expected-utility on the {best} engine in {dt:.1f} s "
                  f"({args.target_draws / dt:,.0f} draws/s); under 60 s: {verdict}")  # fmt: skip
        elif args.target_draws:
            print("target: expected-utility is not available; skipped")
    finally:
        dask.close()
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on {os.cpu_count()} cores "
          "- other work on the machine lowers both columns, the Dask one most")  # fmt: skip
    print(f"peak memory: this process {_peak_mb(resource.RUSAGE_SELF):,.0f} MB, "
          f"largest child process {_peak_mb(resource.RUSAGE_CHILDREN):,.0f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

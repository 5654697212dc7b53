"""Monte Carlo throughput of every model's batch core, against today's code in the same run (issue 17).

The baseline is the code before issue 17 (commit ``BASELINE``), taken from this clone's
git history with ``git archive`` into a temporary folder - a pinned copy that is never
imported by the package.  The war layer's baseline is the first commit whose batch core
conditions every scenario draw on the war's history (``BASELINES["war"]``): before it the
batch core answered another question (wars not conditioned draw by draw), so a ratio
against it would compare two computations.  Every measurement runs in a fresh worker process (this script
with ``--worker``): the baseline's with that copy first on ``PYTHONPATH``, the current
one with this worktree's ``src``.  Baseline and current runs alternate (``--reps`` each,
best kept), so both see the same load; the ratio is the figure to read.  Each worker
warms up (imports, compiled kernels) and then doubles its draws until a run takes
``--seconds`` of wall time.  Sections 1-3 time the draws of a ``simulate`` call (chunks through
the engine: sampling and the batch core) without its one ``model.run`` on the point
scenario, a fixed cost per call that section 2 prints apart; sections 4 and 5 time whole
``simulate`` calls.  Sections 1 and 2 give two rates per model: "one core", draws per CPU
second of the worker with the local engine on one thread (what a dedicated core gives; on
a shared machine steadier than wall time), and "local engine", draws per second of wall
time with the local engine as it runs by default (one thread per core; the baseline's
local engine ran one chunk after another, so its two rates are one measurement).  Section
3 is per core; sections 4 and 5 report wall time.

Sections (all on the local engine, spread 0.1, seed 1, each model's own chunk size):

1. the default scenario: expected-utility, smp, exchange (literature mode), war
   (conditioned on the war's history): draws/s of both, the ratio, the issue's target;
2. the same on a synthetic 100-actor, 10-issue scenario (the war layer needs a war
   section: not applicable);
3. time per draw against actors (10, 30, 100, 300; 4 issues) per model, current code,
   and the fitted exponent of ``time ~ actors^k``;
4. 10^6 expected-utility draws of the default scenario: wall time and the worker's peak
   memory (target: under 2 minutes and 2 GB);
5. Dask: expected-utility on LocalClusters of 1 and 2 workers, the speed-up, the
   per-task overhead (an empty task's round trip) and what it gives on a bigger cluster.

Usage::

    .venv/bin/python benchmarks/bench_monte_carlo.py [--seconds 2] [--reps 3] [--quick]
        [--sections 1,2,3,4,5] [--models expected-utility,smp,exchange,war]

``--quick``: shorter runs, section 3 up to 100 actors, 10^5 draws in section 4.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
#: today's code when issue 17 was opened (main before any of its changes)
BASELINE = "b98913ce88056ccb61d865086919513e613429ea"
#: per model, where today's code for the row's question starts later: the war layer's batch
#: core conditions each scenario draw on the war's record since 4449fe7 (issue 13 part 3)
BASELINES = {"war": "4449fe7396a2effc0a15af094725dc30ddc6d52b"}
TARGETS = {"expected-utility": 10_000, "smp": 2_000, "exchange": 1_000, "war": 5_000}
LABELS = {"expected-utility": "expected-utility", "smp": "smp", "exchange": "exchange (literature)",
          "war": "war (conditioned)"}  # fmt: skip
MODELS = tuple(TARGETS)


# ------------------------------------------------------------------ worker side
def _scenario(spec):
    if spec == "default":
        from realpolitik.scenario import load_scenario

        return load_scenario(None)
    sys.path.insert(0, str(HERE))
    from _synthetic import synthetic

    return synthetic(int(spec[0]), int(spec[1]))


def transcendental_floor(draws: int = 1000) -> dict:
    """CPU time a draw of the default scenario spends in the expected-utility round's
    transcendental functions alone, as NumPy evaluates them for the compiled round on the
    arrays its kernels pack: ``d^r`` off the diagonal (the votes of pass 2), ``log1p(-d)`` or
    ``log`` of the complement and ``log1p(d)`` over the pairs ``u <= v``, two ``expm1`` on
    ``[draw, n, n]`` and ``0.5^r`` (eqs. 15, 16 in stable form), per round and issue (the
    actors taking part on each issue)."""
    import numpy as np
    from realpolitik.scenario import load_scenario

    scen = load_scenario(None)
    rounds = 10
    rng = np.random.default_rng(0)
    total = 0.0
    for col, _ in enumerate(scen.issues):
        n = int(np.sum(~np.isnan(scen.arrays().position[:, col])))
        off = rng.uniform(0.0, 1.0, draws * n * (n - 1))
        roff = rng.uniform(0.5, 2.0, off.size)
        half = rng.uniform(0.0, 1.0, draws * n * (n + 1) // 2)
        t = rng.uniform(-1.0, 1.0, (draws, n, n))
        r = rng.uniform(0.5, 2.0, (draws, n, 1))
        best = math.inf
        for _ in range(5):
            c = time.process_time()
            _ = np.power(off, roff)
            _ = np.log1p(-half)
            _ = np.log1p(half)
            _ = np.expm1(t)
            _ = np.expm1(t)
            _ = 0.5**r
            best = min(best, time.process_time() - c)
        total += best * rounds
    return {"ms_per_draw": 1e3 * total / draws, "max_rate": draws / total}


def worker(job: dict) -> dict:
    """One measurement in this process: draws/s of ``simulate`` (JSON in, JSON out)."""
    import realpolitik

    if job.get("floor"):
        return {**transcendental_floor(), "code": str(Path(realpolitik.__file__).parents[1])}
    if job.get("war_conditioning"):
        sys.path.insert(0, str(HERE))
        from _war_conditioning import war_conditioning

        return {**war_conditioning(), "code": str(Path(realpolitik.__file__).parents[1])}
    from realpolitik.analysis.montecarlo import simulate
    from realpolitik.models import get_model

    scen = _scenario(job["scenario"])
    model = get_model(job["model"], **job.get("options", {}))
    engine = job.get("engine", "local")
    if engine.startswith("dask"):
        from realpolitik.engine import DaskEngine

        engine = DaskEngine(workers=int(engine.split(":")[1]), processes=True)
    elif engine.startswith("local:"):  # the local engine on N threads (the baseline's runs on one whatever N)
        from realpolitik.engine import get_engine

        engine = get_engine("local", workers=int(engine.split(":")[1]))
    try:
        run = lambda d: simulate(scen, model, draws=d, seed=1, spread=0.1, engine=engine,  # noqa: E731
                                 chunk_size=job.get("chunk_size"))
        if job.get("point"):  # the one model.run a simulate call adds (on the point scenario)
            model.run(scen, rng=1)
            c = time.process_time()
            model.run(scen, rng=1)
            return {"point_cpu": time.process_time() - c, "code": str(Path(realpolitik.__file__).parents[1])}
        if "draws" in job:  # a fixed number of draws (sections 4 and 5: the whole simulate call)
            if job.get("warm"):
                run(job["warm"])
            t, c = time.perf_counter(), time.process_time()
            run(job["draws"])
            dt, cpu = time.perf_counter() - t, time.process_time() - c
            draws = job["draws"]
        else:
            # warm-up on the default scenario (imports, compiled kernels, quadrature tables; 256
            # draws: the batch cores run compiled from a batch size on, 32 draws of 10 actors for
            # expected utility) and one draw of the job's own scenario, then from one draw up,
            # until a run takes ``seconds`` of wall time
            simulate(_scenario("default"), model, draws=256, seed=1, spread=0.1, engine=engine)
            if job["scenario"] != "default":
                draws_only(scen, model, 1, engine, job.get("chunk_size"))
            draws = 0
            dt = cpu = 0.0
            while dt < job["seconds"] and draws < job.get("max_draws", 10**6):  # wall: threads get as many chunks
                draws = 1 if draws == 0 else draws * (2 if dt > job["seconds"] / 4 else 4)
                t, c = time.perf_counter(), time.process_time()
                draws_only(scen, model, draws, engine, job.get("chunk_size"))
                dt, cpu = time.perf_counter() - t, time.process_time() - c
        # draws per CPU second of this process (the machine is shared: steadier than wall time)
        out = {"rate": draws / max(cpu, 1e-9), "wall_rate": draws / dt, "seconds": dt, "cpu": cpu, "draws": draws,
               "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "code": str(Path(realpolitik.__file__).parents[1])}  # fmt: skip
        if job.get("task_overhead") and not isinstance(engine, str):
            out["task_overhead"] = _task_overhead(engine)
        return out
    finally:
        if not isinstance(engine, str):
            engine.close()


def draws_only(scen, model, draws: int, engine, chunk_size=None) -> list:
    """The draws of ``simulate(scen, model, draws, seed=1, spread=0.1)`` without its one
    ``model.run`` on the point scenario: a fixed cost per call that is not a draw's (at 100
    actors x 10 issues the exchange model's run takes seconds, which a run of two draws would
    count as draws; section 2 prints it apart)."""
    from realpolitik.analysis.montecarlo import DrawTask, run_draws
    from realpolitik.engine import default_chunk_size, get_engine, plan_chunks

    chunks = plan_chunks(draws, 1, chunk_size or default_chunk_size(model, scen))
    eng = get_engine(engine) if isinstance(engine, str) else engine
    try:
        return eng.map(run_draws, [DrawTask(model, scen, 0.1, c) for c in chunks])
    finally:
        if isinstance(engine, str):
            eng.close()


def _noop(x):
    return x


def _task_overhead(engine, tasks: int = 400) -> float:
    """Seconds per empty task mapped over the engine's workers (scheduling + round trip)."""
    engine.map(_noop, list(range(20)))
    t = time.perf_counter()
    engine.map(_noop, list(range(tasks)))
    return (time.perf_counter() - t) / tasks


# ------------------------------------------------------------------ driver side
def baseline_src(tmp: Path, commit: str = BASELINE) -> Path:
    """Today's code (``commit``) unpacked from this clone's history into ``tmp``."""
    tmp = tmp / commit[:10]
    try:
        blob = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "src/realpolitik"],
                              check=True, capture_output=True).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as exc:
        err = getattr(exc, "stderr", b"") or b""
        sys.exit(f"bench_monte_carlo: cannot read the baseline commit {commit[:10]} from git "
                 f"({err.decode().strip() or exc}); a shallow clone needs `git fetch --unshallow`")  # fmt: skip
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "src"


def measure(job: dict, src: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(job)],
                       capture_output=True, text=True, env=env)  # fmt: skip
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": tail[:110]}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    if Path(out["code"]).resolve() != src.resolve():
        return {"error": f"worker imported {out['code']}, not {src}"}
    return out


def _best(runs: list[dict], key: str) -> dict:
    """The run with the highest ``key`` (a failed run only if every run failed)."""
    return max((r for r in runs if "rate" in r), key=lambda r: r[key], default=runs[-1])


def fmt_rate(r: dict) -> str:
    return f"{r['rate']:,.1f}" if "rate" in r else "fails"


def section_models(title, scen_spec, models, base, cur, args, targets: bool) -> None:
    cores = os.cpu_count() or 1
    print(f"\n{title}", flush=True)
    print(f"one core: draws per CPU second, the local engine on one thread; local engine: draws per second of wall "
          f"time, the local engine as it runs by default (current code: {cores} threads; the baseline's runs one chunk "
          f"after another)", flush=True)  # fmt: skip
    head = (f"{'model':<24} {'baseline':>10} {'one core':>10} {'ratio':>7} {'local engine':>13} {'ratio':>7}"
            + (f" {'target':>7}  met: one core, local engine" if targets else ""))
    print(head, flush=True)
    points = []
    for name in models:
        opts = {"mode": "literature"} if name == "exchange" else {}
        job = {"model": name, "options": opts, "scenario": scen_spec, "seconds": args.seconds}
        one = dict(job, engine="local:1")
        b_runs, c_runs, w_runs = [], [], []
        for _ in range(args.reps):  # alternating: the three see the same load
            b_runs.append(measure(one, base[name]))
            c_runs.append(measure(one, cur))
            w_runs.append(measure(job, cur))
        b, c = _best(b_runs, "rate"), _best(c_runs, "rate")
        w, bw = _best(w_runs, "wall_rate"), _best(b_runs, "wall_rate")
        ratio = c["rate"] / b["rate"] if "rate" in b and "rate" in c else math.nan
        wratio = w["wall_rate"] / bw["wall_rate"] if "rate" in bw and "rate" in w else math.nan
        wall = f"{w['wall_rate']:,.1f}" if "rate" in w else "fails"
        line = f"{LABELS[name]:<24} {fmt_rate(b):>10} {fmt_rate(c):>10} {ratio:>6.1f}x {wall:>13} {wratio:>6.1f}x"
        if targets:
            tgt = TARGETS[name]
            met = lambda r, key: "yes" if r.get(key, 0) >= tgt else "NO"  # noqa: E731
            line += f" {tgt:>7,}  {met(c, 'rate')}, {met(w, 'wall_rate')}"
        for side, r in (("baseline", b), ("one core", c), ("local engine", w)):
            if "error" in r:
                line += f"   {side} fails: {r['error']}"
        print(line, flush=True)
        points.append((name, measure({"model": name, "options": opts, "scenario": scen_spec, "point": True}, cur)))
    print("rates count the draws only; a simulate call also runs each model once on the point scenario "
          "(current code, CPU): " + ", ".join(f"{LABELS[n]} {p['point_cpu'] * 1e3:,.0f} ms" if "point_cpu" in p
                                              else f"{LABELS[n]} fails" for n, p in points), flush=True)  # fmt: skip
    if targets and "expected-utility" in models:
        f = measure({"floor": True}, cur)
        if "error" not in f:
            print(f"expected-utility floor: the round's transcendentals alone (d^r off the diagonal, 2 log1p "
                  f"over pairs u <= v, 2 expm1 on [draw, n, n], 0.5^r; NumPy, 10 rounds x 4 issues) take "
                  f"{f['ms_per_draw']:.3f} ms a draw: at most "
                  f"{f['max_rate']:,.0f} draws/s with everything else free", flush=True)  # fmt: skip
    if targets and "war" in models:
        w = measure({"war_conditioning": True}, cur)
        if "error" not in w:
            print(f"war: forecast_batch on {w['draws']:,} scenario draws (warm, batch_paths {w['batch_paths']}): "
                  f"{w['cpu']:.2f} s CPU ({w['draws'] / w['cpu']:,.0f} draws/s), of which the record conditioning "
                  f"{w['cond_cpu']:.2f} s: {w['proposals']:,} simulated wars proposed ({w['proposals'] / w['draws']:,.0f} "
                  f"a draw), {w['consistent']:,} consistent with the record ({w['consistent'] / w['proposals']:.1%}), "
                  f"{w['kept']:,} kept; {w['proposals'] / w['cpu']:,.0f} proposed wars per CPU second", flush=True)  # fmt: skip


def fit_exponent(ns, ts) -> float:
    import numpy as np

    ok = [(n, t) for n, t in zip(ns, ts) if t and math.isfinite(t)]
    if len(ok) < 2:
        return math.nan
    x, y = np.log([n for n, _ in ok]), np.log([t for _, t in ok])
    return float(np.polyfit(x, y, 1)[0])


def section_scaling(models, cur, args) -> None:
    sizes = (10, 30, 100) if args.quick else (10, 30, 100, 300)
    print(f"\n3. time per draw (ms of CPU, one core) against actors, 4 issues, current code (exponent k: time ~ actors^k, "
          f"least squares over {', '.join(map(str, sizes))})", flush=True)  # fmt: skip
    print(f"{'model':<24}" + "".join(f"{n:>11}" for n in sizes) + f"{'k':>8}", flush=True)
    for name in models:
        if name == "war":
            print(f"{LABELS[name]:<24}  not applicable: the war layer has two sides whatever the actors", flush=True)
            continue
        opts = {"mode": "literature"} if name == "exchange" else {}
        ts = []
        for n in sizes:
            r = measure({"model": name, "options": opts, "scenario": [n, 4], "seconds": args.seconds / 2,
                         "engine": "local:1"}, cur)  # fmt: skip
            ts.append(1e3 / r["rate"] if "rate" in r else math.nan)
        k = fit_exponent(sizes, ts)
        print(f"{LABELS[name]:<24}" + "".join(f"{t:>11.3f}" for t in ts) + f"{k:>8.2f}", flush=True)


def section_million(cur, args) -> None:
    draws = 10**5 if args.quick else 10**6
    print(f"\n4. {draws:,} expected-utility draws, default scenario, local engine ({os.cpu_count()} threads; target: "
          "under 120 s for 10^6, peak memory under 2 GB)", flush=True)  # fmt: skip
    r = measure({"model": "expected-utility", "scenario": "default", "draws": draws, "warm": 1000}, cur)
    if "error" in r:
        print(f"fails: {r['error']}")
        return
    ok = r["seconds"] * 10**6 / draws < 120 and r["rss_mb"] < 2048
    print(f"{draws:,} draws in {r['seconds']:.1f} s ({r['wall_rate']:,.0f} draws/s wall, {r['cpu']:.1f} s CPU), peak memory of the worker process "
          f"{r['rss_mb']:,.0f} MB (results and chunks included): {'met' if ok else 'NOT met'}", flush=True)  # fmt: skip


def section_dask(cur, args) -> None:
    print("\n5. expected-utility on Dask LocalClusters (processes, one thread each), default scenario", flush=True)
    draws = 20_000 if args.quick else 100_000
    rows = {}
    for w in (1, 2):
        job = {"model": "expected-utility", "scenario": "default", "draws": draws, "warm": 4000,
               "engine": f"dask:{w}", "task_overhead": True}  # fmt: skip
        rows[w] = measure(job, cur)
    loc = measure({"model": "expected-utility", "scenario": "default", "draws": draws, "warm": 1000}, cur)
    if any("error" in r for r in (*rows.values(), loc)):
        print("fails: " + "; ".join(r["error"] for r in (*rows.values(), loc) if "error" in r))
        return
    print(f"{'engine':<16}{'draws/s':>12}{'vs 1 worker':>13}")
    print(f"{'local (' + str(os.cpu_count()) + ' thr.)':<16}{loc['wall_rate']:>12,.0f}{loc['wall_rate'] / rows[1]['wall_rate']:>12.2f}x")
    for w, r in rows.items():
        print(f"{f'dask, {w} worker' + ('s' if w > 1 else ''):<16}{r['wall_rate']:>12,.0f}{r['wall_rate'] / rows[1]['wall_rate']:>12.2f}x")
    # a chunk of 1000 draws takes c seconds of compute; each task adds o of scheduling
    # (serial at the scheduler): W workers give T(W) = chunks * max(c / W, o)
    o = max(rows[1]["task_overhead"], rows[2]["task_overhead"])
    c = 1000 / rows[1]["wall_rate"]
    print(f"per-task overhead (empty task round trip): {o * 1e3:.2f} ms; compute per 1000-draw chunk: {c * 1e3:.0f} ms")
    for W in (8, 32, 128):
        speed = min(W, c / o)
        print(f"  {W:>4} workers: about {speed:.0f}x one worker ({speed / W:.0%} of linear) - "
              f"the scheduler hands out one task per {o * 1e3:.1f} ms, so the limit is {c / o:.0f} busy workers")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="wall time of one measured run")
    ap.add_argument("--reps", type=int, default=3, help="alternating baseline/current runs per row (best kept)")
    ap.add_argument("--sections", default="1,2,3,4,5")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0
    if args.quick:
        args.seconds, args.reps = min(args.seconds, 1.0), min(args.reps, 2)
    models = [m for m in args.models.split(",") if m]
    sections = {int(s) for s in args.sections.split(",") if s}
    cur = ROOT / "src"
    load0 = os.getloadavg()
    extra = "".join(f", {m}: {c[:10]}" for m, c in BASELINES.items() if m in models)
    print(f"Monte Carlo throughput, baseline = today's code ({BASELINE[:10]}{extra}), same run; {os.cpu_count()} cores, "
          f"load average {load0[0]:.1f} at the start")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="rp-baseline-") as tmp:
        base = {m: cur for m in models}
        if sections & {1, 2}:
            src = baseline_src(Path(tmp))
            base = {m: baseline_src(Path(tmp), BASELINES[m]) if m in BASELINES else src for m in models}
        if 1 in sections:
            section_models("1. default scenario (10 actors, 4 issues), local engine", "default", models, base, cur,
                           args, targets=True)  # fmt: skip
        if 2 in sections:
            section_models("2. synthetic scenario, 100 actors x 10 issues, local engine", [100, 10],
                           [m for m in models if m != "war"], base, cur, args, targets=False)  # fmt: skip
            if "war" in models:
                print(f"{LABELS['war']:<24} not applicable: the synthetic scenario has no war section")
        if 3 in sections:
            section_scaling(models, cur, args)
        if 4 in sections:
            section_million(cur, args)
        if 5 in sections:
            section_dask(cur, args)
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.1f} (1 min), {load[1]:.1f} (5 min), {load[2]:.1f} (15 min) on "
          f"{os.cpu_count()} cores - other work on the machine lowers both columns alike; read the ratios")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

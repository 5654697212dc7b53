"""Benchmark of the exchange model (issue 4 item 4; issue 17 item 4).

Prints, in one run: the model time for Decide's three inputs (literature/float64 and
decide/Decimal modes, 10 rounds) against the Decide package itself, run on the same input
in the same run, and for synthetic 30x5, 100x5 and 100x10 scenarios over 10 rounds, with a
same-run baseline (the weighted-mean model on the same scenario) and peak memory.

The Decide package (``decide-exchange-model`` from PyPI) is installed into the benchmark's
own environment, ``benchmarks/.decide-venv`` (created on first use; never a dependency of
realpolitik), and run by ``_decide_runner.py`` (its own model loop, no output files).  When
it cannot be installed the reason is printed and its timings from
``tests/data/anchors/decide/SOURCES.md`` are quoted instead.  For 100 x 10 Decide is not run
(SOURCES.md gives 210 s of CPU for one round, about 35 min for 10): that figure is quoted.

Run: ``.venv/bin/python benchmarks/bench_exchange.py [--quick]``
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from realpolitik.models import ScenarioBatch, get_model
from realpolitik.scenario import load_scenario

HERE = Path(__file__).resolve().parent
ANCHORS = HERE.parent / "tests" / "data" / "anchors" / "decide" / "inputs"  # tests/data/SOURCES.md
DECIDE_VENV = HERE / ".decide-venv"
DECIDE_PACKAGE = "decide-exchange-model"
# Decide package, whole process, 10 rounds (SOURCES.md); for 100x10 one round = 210 s CPU
DECIDE_SECONDS = {"sample_data": 0.85, "copenhagen": 1.2, "cop21": 9.2, "100x10": 2100.0}

sys.path.insert(0, str(HERE))
from _synthetic import synthetic  # noqa: E402


def decide_python() -> tuple[Path | None, str]:
    """The Python of the benchmark's Decide environment (created and filled from PyPI on
    first use), or None and the reason it cannot be had."""
    py = DECIDE_VENV / "bin" / "python"
    probe = [str(py), "-c", "import decide.model.equalgain"]
    if py.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return py, "installed"
    # decide-exchange-model 2025.3.1 (the version of our anchors) requires Python 3.13 exactly;
    # on an older Python pip installs the newest release that supports it (2022.1.28 on 3.11)
    base = shutil.which("python3.13") or sys.executable
    steps = [[base, "-m", "venv", str(DECIDE_VENV)],
             [str(py), "-m", "pip", "install", "--quiet", DECIDE_PACKAGE]]  # fmt: skip
    print(f"installing {DECIDE_PACKAGE} from PyPI into {DECIDE_VENV} (the benchmark's own environment) ...",
          file=sys.stderr, flush=True)  # fmt: skip
    for cmd in steps:
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            lines = [ln for ln in (p.stderr + p.stdout).splitlines() if ln.strip() and not ln.startswith("WARNING")]
            return None, f"`{' '.join(cmd[-3:])}` failed: {(lines or ['no output'])[-1][:160]}"
    if subprocess.run(probe, capture_output=True).returncode != 0:
        return None, f"{DECIDE_PACKAGE} installed but `import decide.model.equalgain` fails"
    return py, "installed now"


def run_decide(py: Path, path: Path, rounds: int = 10) -> dict:
    p = subprocess.run([str(py), str(HERE / "_decide_runner.py"), str(path), str(rounds)],
                       capture_output=True, text=True)  # fmt: skip
    if p.returncode != 0:
        return {"error": (p.stderr.strip().splitlines() or ["no output"])[-1][:160]}
    return json.loads(p.stdout.strip().splitlines()[-1])


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
    py, how = decide_python()
    if py is None:
        print(f"Decide package NOT run: {how}; its timings are quoted from SOURCES.md")
    else:
        ver = subprocess.run([str(py), "-m", "pip", "show", DECIDE_PACKAGE], capture_output=True, text=True).stdout
        ver = next((ln.split(":", 1)[1].strip() for ln in ver.splitlines() if ln.startswith("Version")), "?")
        print(f"Decide package {DECIDE_PACKAGE} {ver} ({how}, {DECIDE_VENV.name}), run on the same input in this run")
        if ver != "2025.3.1":
            print(f"  (2025.3.1, the version of tests/data/anchors/decide, requires Python 3.13, which this machine lacks;"
                  f" {ver} is the newest release for Python {sys.version_info.major}.{sys.version_info.minor}."
                  " Both break exact ties at random, so their outcomes vary from run to run)")  # fmt: skip
    print(f"{'case':<14}{'mode':<12}{'seconds':>9}{'cpu s':>8}{'x baseline':>12}{'Decide s':>10}{'Decide cpu':>11}"
          f"{'speed-up':>10}{'(cpu)':>8}  max |ours - Decide|")  # fmt: skip
    for name, fn in (("sample_data", "sample_data.txt"), ("copenhagen", "copenhagen.csv"), ("cop21", "cop21.csv")):
        scen = load_scenario(ANCHORS / fn)
        tb = timed(base, scen, 3)
        ref = run_decide(py, ANCHORS / fn) if py is not None else {"error": how}
        if "error" in ref:
            d_wall = d_cpu = DECIDE_SECONDS[name]
            src = "quoted"
        else:
            d_wall, d_cpu, src = ref["wall"], ref["cpu"], "measured"
        for label, model in (("literature", lit), ("decide", dec)):
            t = timed(model, scen, 1 if quick else 2)
            cpu = CPU[0]
            diff = "-"
            if "error" not in ref:
                res = model.run(scen, rng=1)
                labels = {i.label or i.id: i.id for i in scen.issues}
                gaps = [abs(res.forecast[labels.get(k, k)] - v) for k, v in ref["outcome"].items()
                        if labels.get(k, k) in res.forecast]  # fmt: skip
                diff = f"{max(gaps):.2e}" if gaps else "-"
            print(f"{name:<14}{label:<12}{t:9.3f}{cpu:8.3f}{t / tb:12.0f}{d_wall:10.2f}{d_cpu:11.2f}"
                  f"{d_wall / t:10.1f}{d_cpu / cpu:8.1f}  {diff} ({src})")  # fmt: skip
        # the compiled Monte Carlo core (literature mode): per run, over a batch of 20 runs
        lit.forecast_batch(ScenarioBatch.repeat(scen, 1))  # compiled on first use
        t0, c0 = time.perf_counter(), time.process_time()
        lit.forecast_batch(ScenarioBatch.repeat(scen, 20))
        t, cpu = (time.perf_counter() - t0) / 20, (time.process_time() - c0) / 20
        print(f"{name:<14}{'lit. batch':<12}{t:9.3f}{cpu:8.3f}{t / tb:12.0f}{d_wall:10.2f}{d_cpu:11.2f}"
              f"{d_wall / t:10.1f}{d_cpu / cpu:8.1f}  (per run, Monte Carlo core)")  # fmt: skip
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
        extra = (f"{ref:10.0f}{'-':>11}{ref / t:10.0f}{ref / cpu:8.0f}  - (quoted)" if ref
                 else f"{'-':>10}{'-':>11}{'-':>10}{'-':>8}")  # fmt: skip
        print(f"{key:<14}{'literature':<12}{t:9.3f}{cpu:8.3f}{t / tb:12.0f}{extra}   peak {peak / 1e6:.0f} MB")
    print("speed-up = Decide's time / ours (wall, and CPU when the machine is shared); Decide's time is its model")
    print("loop without file output (parsing excluded); max |ours - Decide|: the final voting outcome per issue")
    print("(Decide breaks exact ties at random, MODEL.md section 2: the decide mode may differ where ties fall")
    print("differently). Decide's 100x10 figure is 10 x its one-round CPU time (SOURCES.md), not re-measured")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the whole run: {rss:.0f} MB")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)

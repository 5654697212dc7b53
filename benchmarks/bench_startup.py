"""Benchmark of the command line's start-up: whole processes, as a person waits for them.

Prints, in one run, the median wall time of each command over several interleaved repeats,
and its ratio to ``python -c pass`` measured in the same run (the machine's own speed and
load at that moment):

* ``realpolitik --version``                          target < 0.3 s
* ``realpolitik forecast -m weighted-mean``           target < 0.8 s (default scenario, the
  run recorded in a fresh SQLite history, as a person's first forecast is)
* ``realpolitik forecast ec-emissions -m nash --json``

and the load average, so that a slow figure on a busy machine can be read as such: the
targets hold for the machine at rest; on a loaded machine compare the ratios.  The
heaviest imports of the forecast (``python -X importtime``) are listed too.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).with_name("realpolitik")
TARGETS = {"--version": 0.3, "forecast -m weighted-mean": 0.8}


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=120)
    took = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.decode().strip()[-400:]}")
    return took


def heaviest_imports(env: dict[str, str], n: int = 8) -> list[tuple[str, float]]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "realpolitik", "forecast", "-m", "weighted-mean"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True, timeout=120)  # fmt: skip
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if len(name) - len(name.lstrip()) <= 3:  # top-level imports of the program only
                rows.append((name.strip(), int(parts[1]) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, REALPOLITIK_DB=f"sqlite:///{tmp}/runs.sqlite", COLUMNS="80")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "--version": [str(BIN), "--version"],
            "forecast -m weighted-mean": [str(BIN), "forecast", "-m", "weighted-mean"],
            "forecast ec-emissions -m nash --json": [str(BIN), "forecast", "ec-emissions", "-m", "nash", "--json"],
        }
        for cmd in commands.values():  # warm the file cache (and create the history) once
            timed(cmd, env)
        times: dict[str, list[float]] = {k: [] for k in commands}
        for _ in range(args.repeat):  # interleaved, so that a burst of load hits every command alike
            for k, cmd in commands.items():
                times[k].append(timed(cmd, env))
        load = os.getloadavg()
        base = statistics.median(times["python -c pass"])
        print(f"start-up, median of {args.repeat} interleaved runs; load average {load[0]:.2f} {load[1]:.2f} "
              f"{load[2]:.2f} on {os.cpu_count()} cores")  # fmt: skip
        print(f"{'command':42} {'median s':>9} {'min s':>7} {'x python -c pass':>17} {'target':>8}")
        for k, ts in times.items():
            med = statistics.median(ts)
            target = TARGETS.get(k)
            verdict = "" if target is None else f"< {target:.1f} s {'met' if med < target else 'NOT met'}"
            print(f"{k:42} {med:9.3f} {min(ts):7.3f} {med / base:17.1f}   {verdict}")
        print("heaviest imports of `forecast -m weighted-mean` (cumulative s, python -X importtime):")
        for name, secs in heaviest_imports(env):
            print(f"  {name:40} {secs:6.3f}")


if __name__ == "__main__":
    main()

"""Benchmark of scenario reading and writing, and of the vectorised baselines.

Prints, in one run:

* loading the default scenario from YAML with the one-pass libyaml reader against the
  earlier two-pass pure-Python reader (compose + safe_load), measured now;
* reading and writing a synthetic 200-actor x 10-issue scenario as YAML, JSON, CSV and
  Excel, as ratios to JSON (the fastest format, measured in the same run);
* the baselines' vectorised ``forecast_batch`` over 2000 draws against looping ``run``
  over the same draws (the protocol's default path);
* peak memory (tracemalloc and the process's max RSS).

Run: ``.venv/bin/python benchmarks/bench_formats.py``
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np
import yaml

from realpolitik.models import get_model
from realpolitik.models.base import ScenarioBatch
from realpolitik.scenario import Scenario, builtin_path, load_bytes
from realpolitik.scenario.writers import render_scenario


def best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def synthetic(n: int = 200, m: int = 10, seed: int = 1) -> Scenario:
    rng = np.random.default_rng(seed)
    return Scenario.model_validate(
        {
            "title": f"synthetic {n}x{m}",
            "issues": [{"id": f"i{u}", "label": f"issue {u}", "status_quo": 50.0} for u in range(m)],
            "actors": [
                {
                    "id": f"a{a}",
                    "name": f"Actor {a}",
                    "capability": float(rng.uniform(1, 100)),
                    "positions": {f"i{u}": float(rng.uniform(0, 100)) for u in range(m)},
                    "saliences": {f"i{u}": float(rng.uniform(0, 100)) for u in range(m)},
                }
                for a in range(n)
            ],
        }
    )


def main() -> None:
    tracemalloc.start()
    raw = builtin_path("russia-ukraine-2024").read_bytes()
    text = raw.decode()

    def old_yaml():
        yaml.compose(text, Loader=yaml.SafeLoader)
        yaml.safe_load(text)

    t_old = best(old_yaml)
    t_new = best(lambda: load_bytes(raw, "default.yaml"))
    print(f"default scenario (YAML, {len(raw) / 1024:.0f} KiB): load+validate {t_new * 1e3:.1f} ms; "
          f"old two-pass pure-Python parse alone {t_old * 1e3:.1f} ms; ratio old/new {t_old / t_new:.1f}x")

    s = synthetic()
    blobs = {fmt: render_scenario(s, fmt) for fmt in ("json", "yaml", "csv", "xlsx")}
    w_json = best(lambda: render_scenario(s, "json"), 3)
    r_json = best(lambda: load_bytes(blobs["json"], "s.json"), 3)
    print(f"synthetic 200 actors x 10 issues: json write {w_json * 1e3:.1f} ms, read {r_json * 1e3:.1f} ms")
    for fmt in ("yaml", "csv", "xlsx"):
        w = best(lambda: render_scenario(s, fmt), 3)  # noqa: B023
        r = best(lambda: load_bytes(blobs[fmt], f"s.{fmt}"), 3)  # noqa: B023
        print(f"  {fmt:5s} write {w * 1e3:7.1f} ms ({w / w_json:5.1f}x json)  read {r * 1e3:7.1f} ms "
              f"({r / r_json:5.1f}x json)  size {len(blobs[fmt]) / 1024:6.0f} KiB")

    draws = 2000
    small = synthetic(30, 3, seed=2)
    batch = ScenarioBatch.repeat(small, draws)
    rng = np.random.default_rng(3)
    batch.position[:] = rng.uniform(0, 100, batch.position.shape)
    for name in ("weighted-mean", "weighted-median", "nash"):
        m = get_model(name)
        t_vec = best(lambda: m.forecast_batch(batch), 3)  # noqa: B023
        loop_n = 100
        t_loop = best(lambda: [m.run(batch.scenario(d)) for d in range(loop_n)], 1) * draws / loop_n  # noqa: B023
        print(f"{name:16s} 30 actors x 3 issues, {draws} draws: vectorised {t_vec * 1e3:7.1f} ms, "
              f"loop over run (extrapolated from {loop_n}) {t_loop * 1e3:8.0f} ms, speed-up {t_loop / t_vec:6.0f}x")

    _, peak = tracemalloc.get_traced_memory()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak traced memory {peak / 1e6:.1f} MB; max RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()

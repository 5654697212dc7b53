"""Synthetic scenarios for the benchmarks (importable by every ``bench_*.py`` in this folder,
and by the baseline's worker processes: it uses only the scenario API both versions share)."""

from __future__ import annotations

import numpy as np


def synthetic(n: int, m: int, seed: int = 1):
    """``n`` actors x ``m`` issues on 0-100: capabilities U[0.05, 1], positions U[0, 100]
    (one decimal), saliences U[5, 100] (whole numbers)."""
    from realpolitik.scenario.model import Scenario

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

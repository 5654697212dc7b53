"""What one scenario draw of the war layer's batch core costs: the record conditioning's
proposals (imported by bench_monte_carlo's worker; prints nothing itself)."""

from __future__ import annotations

import time


def war_conditioning(draws: int = 1000) -> dict:
    """``forecast_batch`` on ``draws`` scenario draws of the default scenario (the model warmed
    by a first call): CPU time, and the simulated wars proposed, consistent and kept."""
    import numpy as np

    from realpolitik.models import get_model
    from realpolitik.models.war import setup as war_setup
    from realpolitik.scenario import load_scenario
    from realpolitik.scenario.uncertainty import sample_batch

    info: dict = {}
    condition = war_setup.WarSetup.condition

    def counted(self, *a, **k):
        c = time.process_time()
        out = condition(self, *a, **k)
        info.update(cond_cpu=time.process_time() - c, proposals=int(out.proposals), consistent=int(out.consistent),
                    kept=int(out.size))  # fmt: skip
        return out

    war_setup.WarSetup.condition = counted
    try:
        scen = load_scenario(None)
        model = get_model("war")
        batch = sample_batch(scen, draws, np.random.default_rng(1), 0.1)
        model.forecast_batch(batch, np.random.default_rng(2))
        c = time.process_time()
        model.forecast_batch(batch, np.random.default_rng(2))
        cpu = time.process_time() - c
    finally:
        war_setup.WarSetup.condition = condition
    return {"draws": draws, "batch_paths": model.options.batch_paths, "cpu": cpu, **info}

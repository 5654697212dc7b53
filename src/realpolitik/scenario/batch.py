"""A batch of scenario draws: arrays with a leading draw axis (the scenario layer's view of
Monte Carlo and sensitivity samples; models consume it in ``forecast_batch``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realpolitik.scenario.model import Scenario


@dataclass
class ScenarioBatch:
    """A batch of scenario draws: arrays with a leading draw axis, in scenario order.

    ``capability``, ``position`` and ``salience`` (a fraction in [0, 1]) have shape
    ``[draw, actor, issue]``; ``base`` supplies ids, scales and everything else.
    """

    base: Scenario
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray

    @classmethod
    def repeat(cls, scenario: Scenario, draws: int) -> "ScenarioBatch":
        a = scenario.arrays()
        tile = lambda x: np.broadcast_to(x, (draws,) + x.shape).copy()  # noqa: E731
        return cls(scenario, tile(a.capability), tile(a.position), tile(a.salience))

    @property
    def draws(self) -> int:
        return self.position.shape[0]

    def scenario(self, d: int) -> Scenario:
        """Draw ``d`` as a validated Scenario (used by the default, looping batch path)."""
        data = self.base.model_dump()
        iids = self.base.issue_ids
        for r, a in enumerate(data["actors"]):
            caps = self.capability[d, r]
            a["capability"] = float(caps[0]) if np.allclose(caps, caps[0]) else float(np.mean(caps))
            a["capability_by_issue"] = (
                {} if np.allclose(caps, caps[0]) else {iid: float(caps[c]) for c, iid in enumerate(iids)}
            )
            for c, iid in enumerate(iids):
                if iid in a["positions"]:
                    a["positions"][iid] = float(self.position[d, r, c])
                    a["saliences"][iid] = float(self.salience[d, r, c] * 100.0)
        return Scenario.model_validate(data)

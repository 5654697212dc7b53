"""A batch of scenario draws: arrays with a leading draw axis (the scenario layer's view of
Monte Carlo and sensitivity samples; models consume it in ``forecast_batch``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realpolitik.scenario.events import EventSchedule, event_schedule
from realpolitik.scenario.model import Scenario


@dataclass
class ScenarioBatch:
    """A batch of scenario draws: arrays with a leading draw axis, in scenario order.

    ``capability``, ``position`` and ``salience`` (a fraction in [0, 1]) have shape
    ``[draw, actor, issue]``; ``base`` supplies ids, scales and everything else.
    ``events`` is the event schedule of these draws (drawn where events are uncertain);
    ``None`` means the point schedule in every draw (:meth:`schedule` builds it).
    """

    base: Scenario
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    events: EventSchedule | None = None

    def schedule(self) -> EventSchedule:
        """The event schedule of these draws (``[draw, ...]`` values; see :mod:`.events`)."""
        if self.events is not None:
            return self.events
        return event_schedule(self.base, self.draws)

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
        if self.events is not None:
            data["events"] = _drawn_events(data["events"], self.events, d)
        return Scenario.model_validate(data)


def _drawn_events(events: list[dict], sched: EventSchedule, d: int) -> list[dict]:
    """The events of draw ``d`` as certain events: those that happen, with their drawn values."""
    from realpolitik.scenario.events import ENTER

    out = []
    for e, ev in enumerate(events):
        if not sched.happens[d, e]:
            continue
        ev = {**ev, "probability": 1.0, "changes": [dict(ch) for ch in ev["changes"]]}
        for k in np.flatnonzero((sched.event == e) & (sched.kind != ENTER)):
            ch = ev["changes"][int(sched.change[k])]
            if ch["field"] in ("capability", "position", "salience"):
                v = float(sched.value[d, k])
                ch["value"] = v * 100.0 if ch["field"] == "salience" else v
                ch["distribution"] = None
        out.append(ev)
    return out

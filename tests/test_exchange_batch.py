"""The exchange model's compiled Monte Carlo core (literature mode) against the single run's
Python process, draw by draw, bit for bit (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from realpolitik.models import ScenarioBatch, get_model
from realpolitik.models.exchange_batch import _np_sum
from realpolitik.models.stability import settle
from realpolitik.scenario import load_scenario
from realpolitik.scenario.io import load_bytes
from realpolitik.scenario.nested import one_level_capability
from realpolitik.scenario.uncertainty import sample_batch

ANCHORS = Path(__file__).resolve().parent / "data" / "anchors" / "decide" / "inputs"  # tests/data/SOURCES.md

EVENTS = """title: exchange events
issues:
  - {id: a, min: 0, max: 10}
  - {id: b, min: 0, max: 100}
  - {id: c, min: -5, max: 5}
actors:
  - {id: w, capability: 50, positions: {a: 1, b: 20, c: -4}, saliences: {a: 40, b: 30, c: 70}}
  - {id: x, capability: 80, positions: {a: 4, b: 70, c: 3}, saliences: {a: 30, b: 50, c: 20}}
  - {id: y, capability: 30, positions: {a: 9, b: 40, c: 1}, saliences: {a: 60, b: 20, c: 50}}
  - {id: z, capability: 60, positions: {a: 6, b: 90, c: -2}, saliences: {a: 20, b: 60, c: 30}}
  - {id: v, capability: 45, positions: {a: 2, b: 10, c: 4}, saliences: {a: 80, b: 10, c: 40}}
events:
  - round: 2
    probability: 0.6
    changes:
      - {actor: y, field: position, issue: a, value: {low: 1, high: 3}}
      - {actor: z, field: salience, issue: b, value: 30}
      - {actor: w, field: capability, value: 120}
  - round: 3
    probability: 0.5
    changes:
      - {actor: x, field: leave}
"""


def per_draw(model, batch, gen):
    """The single run's process (``ExchangeModel._simulate``) draw by draw: the reference."""
    out = np.empty((batch.draws, len(batch.base.issues)))
    spans = np.array([i.span for i in batch.base.issues])
    own = one_level_capability(batch.base, batch.capability, batch.position)
    sched = batch.schedule()
    for d in range(batch.draws):
        sim = model._simulate(batch.base, own[d], batch.position[d], batch.salience[d], gen, record=False,
                              sched=sched, draw=d)  # fmt: skip
        st = sim["setup"]
        traj = np.array([[model._denorm(V[u], st, u) for V in sim["voting_outcomes"]] for u in range(st.m)])
        out[d] = settle(traj, spans)[0]
    return out


@pytest.mark.parametrize(
    "source, options",
    [
        (None, {}),  # the default scenario, with its event
        ("sample_data.txt", {}),
        ("copenhagen.csv", {"tie_break": "last-created"}),
        ("cop21.csv", {"rounds": 4}),
        ("events", {"rounds": 6}),  # uncertain events, an actor leaving
    ],
)
def test_compiled_draws_equal_the_single_run_process(source, options):
    if source == "events":
        scen = load_bytes(EVENTS.encode(), "events.yaml")
    else:
        scen = load_scenario(None if source is None else ANCHORS / source)
    model = get_model("exchange", **options)
    batch = sample_batch(scen, 12, np.random.default_rng(7), 0.15)
    got = model.forecast_batch(batch, np.random.default_rng(1))
    want = per_draw(model, batch, np.random.default_rng(1))
    np.testing.assert_array_equal(got, want)  # bit for bit, NaN where nobody takes part
    assert np.isfinite(got).any() and not np.all(got == got[:1])


def test_issue_sums_follow_numpy_bit_for_bit():
    rng = np.random.default_rng(0)
    for n in [*range(0, 300), 1000, 4099]:
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-6, 6, n)
        assert _np_sum(a, n) == np.sum(a), n


def test_rex_draws_are_seeded_and_do_not_depend_on_the_batch_cut():
    scen = load_scenario(ANCHORS / "sample_data.txt")
    rex = get_model("exchange", p=0.4, rounds=3)
    batch = sample_batch(scen, 6, np.random.default_rng(2), 0.1)
    a = rex.forecast_batch(batch, np.random.default_rng(5))
    assert np.array_equal(a, rex.forecast_batch(batch, np.random.default_rng(5)))
    # each draw's gain shares come from its own seed: a draw computed alone gives its row
    seeds = np.random.default_rng(5).integers(0, 2**32 - 1, size=6)
    for d in (0, 4):
        ev = None if batch.events is None else batch.events.take(np.array([d]))
        one = ScenarioBatch(scen, batch.capability[d:d + 1], batch.position[d:d + 1], batch.salience[d:d + 1], ev)
        gen = _FixedSeeds([seeds[d]])
        np.testing.assert_array_equal(rex.forecast_batch(one, gen)[0], a[d])
    assert not np.allclose(a, get_model("exchange", rounds=3).forecast_batch(batch))


class _FixedSeeds:
    """A stand-in generator whose ``integers`` returns given seeds."""

    def __init__(self, seeds):
        self.seeds = np.asarray(seeds, dtype=np.int64)

    def integers(self, low, high, size):
        assert size == len(self.seeds)
        return self.seeds

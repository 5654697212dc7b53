"""The one event schedule (realpolitik.scenario.events): uncertain events, drawn once per draw,
consumed alike by every model with rounds, reported alike when skipped."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

from realpolitik.errors import ScenarioError
from realpolitik.models import get_model
from realpolitik.scenario import load_bytes
from realpolitik.scenario.events import POSITION, event_schedule, sample_events
from realpolitik.scenario.uncertainty import sample_batch
from realpolitik.scenario.writers import render_scenario

BASE = """
title: Uncertain events
issues:
  - {id: tax, min: 0, max: 100, status_quo: 40}
  - {id: spend, min: 0, max: 100}
actors:
  - {id: gov, capability: 60, positions: {tax: 40, spend: 70}, saliences: {tax: 90, spend: 60}}
  - {id: opp, capability: 40, positions: {tax: 80, spend: 30}, saliences: {tax: 70, spend: 80}}
  - {id: biz, capability: 30, positions: {tax: 10, spend: 50}, saliences: {tax: 80, spend: 20}}
  - {id: union, capability: 25, positions: {tax: 90, spend: 90}, saliences: {tax: 40, spend: 90}}
"""
EVENTS = """
events:
  - id: shock
    round: 2
    probability: 0.4
    changes:
      - {actor: gov, field: position, issue: tax, value: {low: 50, mode: 60, high: 75}}
      - {actor: opp, field: salience, issue: spend, value: 20}
  - id: exit
    round: 3
    probability: 0.7
    changes:
      - {actor: union, field: leave}
  - id: dated
    date: 2025-06-01
    changes:
      - {actor: biz, field: capability, value: 50}
"""


def _load(text: str, name: str = "events.yaml"):
    return load_bytes(textwrap.dedent(text).encode(), name)


@pytest.fixture(scope="module")
def scen():
    return _load(BASE + EVENTS)


def test_probability_and_distribution_load_with_point_values(scen):
    shock = scen.events[0]
    assert shock.probability == 0.4
    ch = shock.changes[0]
    assert ch.value == 60.0 and ch.distribution.dist == "triangular"
    assert scen.events[1].probability == 0.7 and scen.events[2].probability == 1.0


def test_yaml_round_trip_keeps_uncertain_events(scen):
    again = load_bytes(render_scenario(scen, "yaml"), "again.yaml")
    assert again.content_hash() == scen.content_hash()
    again = load_bytes(render_scenario(scen, "json"), "again.json")
    assert again.content_hash() == scen.content_hash()


def _one_located_line(event_head: str, change: str) -> str:
    """The single error line of a scenario whose one event has this head and change."""
    text = BASE + f"""
events:
  - id: e
    round: 1
    {event_head}
    changes:
      - {change}
"""
    with pytest.raises(ScenarioError) as exc:
        _load(text, "bad.yaml")
    lines = exc.value.lines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("bad.yaml:")
    return lines[0]


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ("probability: 1.5", "probability is 1.5; expected a number above 0 and at most 1"),
        ("probability: 0", "probability is 0; expected a number above 0 and at most 1"),
    ],
)
def test_bad_probability_is_one_located_line(head, message):
    assert message in _one_located_line(head, "{actor: gov, field: position, issue: tax, value: 50}")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("{actor: gov, field: position, issue: tax, value: {low: 50, top: 70}}", "unknown distribution key 'top'"),
        ("{actor: gov, field: position, issue: tax, value: {low: 50, high: 120}}", "position distribution goes outside the issue scale"),
        ("{actor: gov, field: salience, issue: tax, value: {mean: 90, sd: 5, low: 1}}", "cannot tell the distribution"),
        ("{actor: gov, field: salience, issue: tax, value: {low: 60, high: 140}}", "salience distribution (uniform 60 to 140) goes outside 0-100"),
        ("{actor: gov, field: leave, value: {low: 1, high: 2}}", "a leave change has no value to draw"),
        ("{actor: gov, field: capability, value: {low: -5, high: 2}}", "capability distribution (uniform -5 to 2) must lie above 0"),
    ],
)
def test_bad_event_distribution_is_one_located_line(change, message):
    line = _one_located_line("", change)
    assert "events.0.changes.0" in line and message in line


def test_point_schedule_applies_likely_events_only(scen):
    sched = event_schedule(scen)
    assert sched.happens.tolist() == [[False, True, True]]  # 0.4 < 0.5 <= 0.7, 1
    k = int(np.flatnonzero((sched.field == POSITION))[0])
    assert sched.value[0, k] == 60.0 and sched.round[k] == 2


def test_skipped_report_is_uniform_across_models(scen):
    reports = {name: get_model(name).run(scen, rng=1).details["events_skipped"]
               for name in ("expected-utility", "smp", "exchange", "weighted-mean")}  # fmt: skip
    for name in ("expected-utility", "smp", "exchange"):
        # the unlikely event is left out of every point forecast, the dated one by every model with rounds
        lines = reports[name]
        assert "shock: position of gov on tax (probability 0.4 below 0.5: left out of the point forecast; " \
               "Monte Carlo draws it)" in lines, name
        assert f"dated: capability of biz (no round: {name} times events by rounds)" in lines, name
    # a model without rounds applies no event, and says so for each change
    assert len(reports["weighted-mean"]) == 4
    assert all(line.endswith("(not applied by weighted-mean)") for line in reports["weighted-mean"])
    assert "exit: leave of union (not applied by smp)" in reports["smp"]
    assert not any(line.startswith("exit:") for line in reports["expected-utility"])
    assert "exit: leave of union (not applied by weighted-mean)" in reports["weighted-mean"]


def test_events_are_drawn_per_draw(scen):
    sched = sample_events(scen, 4000, np.random.default_rng(3))
    assert abs(sched.happens[:, 0].mean() - 0.4) < 0.03
    assert abs(sched.happens[:, 1].mean() - 0.7) < 0.03
    assert sched.happens[:, 2].all()
    k = int(np.flatnonzero(sched.field == POSITION)[0])
    v = sched.value[:, k]
    assert v.min() >= 50 and v.max() <= 75 and abs(np.median(v) - 60) < 3
    # the batch carries them; a scenario without uncertain events keeps its random stream
    batch = sample_batch(scen, 50, np.random.default_rng(5), spread=0.1)
    assert batch.events is not None and batch.events.draws == 50
    plain = _load(BASE)
    a = sample_batch(plain, 50, np.random.default_rng(5), spread=0.1)
    b = sample_batch(plain.replace(events=[]), 50, np.random.default_rng(5), spread=0.1)
    assert a.events is None and np.array_equal(a.position, b.position)


@pytest.mark.parametrize("name", ["expected-utility", "smp", "exchange"])
def test_batch_core_matches_single_runs_of_each_drawn_scenario(scen, name):
    """The vectorised path (drawn schedule in the batch) and the looping path (each draw as a
    scenario with its drawn events) give the same forecasts: nothing resets a drawn value."""
    model = get_model(name)
    batch = sample_batch(scen, 12, np.random.default_rng(11))
    got = model.forecast_batch(batch, np.random.default_rng(0))
    for d in range(batch.draws):
        one = model.run(batch.scenario(d), rng=0)
        np.testing.assert_allclose(got[d], [one.forecast[i] for i in scen.issue_ids], rtol=0, atol=1e-9)


def test_monte_carlo_spreads_over_uncertain_events():
    from realpolitik.analysis.montecarlo import simulate

    text = BASE + """
events:
  - id: shock
    round: 1
    probability: 0.5
    changes:
      - {actor: gov, field: position, issue: tax, value: 95}
      - {actor: gov, field: capability, value: 200}
"""
    s = _load(text)
    res = simulate(s, get_model("expected-utility"), draws=200, seed=2)
    tax = res.draws[:, 0]
    assert len(np.unique(np.round(tax, 6))) > 1  # the event happens in some draws and not in others
    certain = simulate(s.replace(events=[]), get_model("expected-utility"), draws=50, seed=2)
    assert np.ptp(certain.draws[:, 0]) == 0

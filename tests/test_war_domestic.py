"""Smooth domestic politics: the leader's bound moves continuously with every input.

The bound of a side with domestic constituencies is its leader's position pulled
toward the constituencies' pressure-weighted mean position by ``1 - autonomy``
(:func:`realpolitik.models.war.mechanisms.domestic_bound`).  The threshold rule it
replaced jumped 4.6 points of the settlement scale when the Russian military's share of
the domestic weight crossed one half (capability 45 -> 35, issue 13); these tests pin
the continuity, first of the rule, then of the forecast's terms and probabilities.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realpolitik.models import get_model
from realpolitik.models.war import mechanisms as m
from realpolitik.models.war.inputs import domestic_timeline
from realpolitik.scenario import load_scenario

unit = st.floats(0.0, 1.0, allow_nan=False)
weight = st.floats(0.01, 100.0, allow_nan=False)


# ------------------------------------------------------------------ the rule
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(unit, weight), min_size=1, max_size=6),
    unit,
    unit,
    st.data(),
)
def test_bound_is_lipschitz_in_every_input(cons, leader, autonomy, data):
    """Stated bounds: a position change dx of one constituency moves the bound by at most
    (1 - a) dx, of the leader by a dx; a relative weight change e by at most
    (1 - a) e max|x_j - x_i| (all in share units)."""
    x = np.array([c[0] for c in cons])
    w = np.array([c[1] for c in cons])
    b0 = m.domestic_bound(leader, x, w, autonomy)
    j = data.draw(st.integers(0, len(cons) - 1))
    dx = data.draw(st.floats(-0.05, 0.05))
    x1 = x.copy()
    x1[j] = x1[j] + dx
    assert abs(m.domestic_bound(leader, x1, w, autonomy) - b0) <= (1 - autonomy) * abs(dx) + 1e-12
    assert abs(m.domestic_bound(leader + dx, x, w, autonomy) - b0) <= autonomy * abs(dx) + 1e-12
    e = data.draw(st.floats(-0.05, 0.05))
    w1 = w.copy()
    w1[j] = w1[j] * (1 + e)
    spread = float(x.max() - x.min())
    assert abs(m.domestic_bound(leader, x, w1, autonomy) - b0) <= (1 - autonomy) * abs(e) * spread + 1e-12


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(unit, weight), min_size=1, max_size=6), unit)
def test_full_autonomy_means_the_leaders_position_alone_sets_the_bound(cons, leader):
    x = np.array([c[0] for c in cons])
    w = np.array([c[1] for c in cons])
    assert m.domestic_bound(leader, x, w, 1.0) == pytest.approx(leader, abs=1e-15)
    # autonomy 0: the constituencies' pressure-weighted mean alone
    assert m.domestic_bound(leader, x, w, 0.0) == pytest.approx(float(np.average(x, weights=w)))


def test_full_autonomy_in_the_scenario_ignores_the_constituencies():
    scen = load_scenario()
    lead = scen.actor("putin").positions["settlement"] / 100.0
    tl = domestic_timeline(scen, scen.war, 4, autonomy=(1.0, 1.0))
    # every step: Putin's position (events move only his constituencies), audience costs
    # capped at his position
    assert np.allclose(tl.lower, lead)
    # and none of his constituencies' values matters
    moved = scen.with_value("russian_military", "position", 95.0, "settlement").with_value(
        "russian_public", "capability", 40.0
    )
    assert np.array_equal(domestic_timeline(moved, moved.war, 4, autonomy=(1.0, 1.0)).lower, tl.lower)


def test_old_knife_edge_is_gone():
    """Military capability 45 -> 35 (27 -> 21 since capabilities are shares of the Kremlin's
    100) used to move Russia's bound from 78.64 to 74 at once."""
    scen = load_scenario()
    caps = np.arange(12.0, 45.0)
    b = [domestic_timeline(scen.with_value("russian_military", "capability", c), scen.war, 0).lower[0] * 100 for c in caps]
    assert np.all(np.abs(np.diff(b)) < 0.1), b  # points of the scale per unit of capability (the old jump: 4.6)


# ------------------------------------------------------------------ the forecast
FIELDS = [
    (actor, field)
    for actor in ("russian_military", "russian_public", "russian_elites")
    for field in ("capability", "salience", "position")
] + [("putin", "position"), ("zelensky", "position"), ("zelensky", "capability")]

#: stated bounds for a change of one unit (capability index, salience 0-100, position on 0-100):
#: the domestic bound itself moves by at most max(a, 1 - a) = 0.6 points (autonomy 0.6), the
#: rest is draws whose deal appears or vanishes (each moves the mean terms by its distance
#: from the mean divided by the settled draws)
MAX_TERMS_STEP = 1.0  # points of the settlement scale
MAX_PROB_STEP = 0.03  # P(settlement within 12 months)


@pytest.fixture(scope="module")
def base():
    return load_scenario()


def _forecast(scen):
    r = get_model("war", draws=600, what_if=False).run(scen, rng=11)
    return r.forecast["settlement"], r.details["settlement_probability"]["12"]


def _set(scen, actor, field, v):
    return scen.with_value(actor, field, v, None if field == "capability" else "settlement")


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(FIELDS), st.integers(0, 7))
def test_terms_and_probabilities_are_continuous_over_a_grid(base, which, point):
    """Grid: each input at 8 points across its range; a one-unit step from the grid point
    moves the expected terms by at most 1 point and P(settlement within 12 months) by at
    most 0.03 (same seed: common random numbers)."""
    actor, field = which
    # capabilities: the constituencies' shares of the Kremlin's 100 must stay below it (nested actors)
    lo, hi = {"capability": (5.0, 50.0), "salience": (20.0, 100.0), "position": (0.0, 100.0)}[field]
    if actor == "putin":
        lo = 45.0  # keep Putin on Russia's side of Zelensky (the settlement issue separates the leaders)
    if actor == "zelensky" and field == "position":
        hi = 30.0
    v = lo + (hi - lo - 1.0) * point / 7
    t0, p0 = _forecast(_set(base, actor, field, v))
    t1, p1 = _forecast(_set(base, actor, field, v + 1.0))
    assert abs(t1 - t0) <= MAX_TERMS_STEP, (actor, field, v, t0, t1)
    assert abs(p1 - p0) <= MAX_PROB_STEP, (actor, field, v, p0, p1)


@pytest.mark.parametrize("per_draw_autonomy", [False, True])
def test_a_batch_draws_pressures_taken_by_row_equal_every_wars_own(per_draw_autonomy):
    """The batch core computes each scenario draw's leaders and domestic pressure once and
    gives its simulated wars that row: the same bounds, bit for bit, as computing them
    from every simulated war's own copy of its draw's inputs (positions, weights, events)."""
    from realpolitik.models.war.inputs import domestic_pressures
    from realpolitik.scenario.uncertainty import sample_batch

    scen = load_scenario()
    batch = sample_batch(scen, 6, np.random.default_rng(4), 0.1)
    rows = np.array([0, 0, 3, 5, 1, 4, 4, 2, 5, 0])
    aut = (np.linspace(0.1, 0.9, rows.size), 0.5) if per_draw_autonomy else None
    kw = dict(position=batch.position, salience=batch.salience, capability=batch.capability, schedule=batch.events)
    by_row = domestic_pressures(scen, scen.war, 12, past_steps=11, **kw).timeline(aut, rows=rows)
    own = {k: v[rows] for k, v in kw.items() if k != "schedule"}
    each = domestic_timeline(scen, scen.war, 12, autonomy=aut, past_steps=11, schedule=batch.events.take(rows), **own)
    # one autonomy for all: the scenario draws' bounds and each war's row of them
    assert (by_row.rows is None) == per_draw_autonomy
    lower, upper = (b if by_row.rows is None else b[by_row.rows] for b in (by_row.lower, by_row.upper))
    assert lower.shape == each.lower.shape == (rows.size, 24)
    assert np.array_equal(lower, each.lower) and np.array_equal(upper, each.upper)
    np.testing.assert_array_equal(by_row.start, each.start)  # NaN: a side without constituencies
    assert np.isfinite(lower).any() and len(np.unique(lower[:, -1])) > 1  # bounds that differ by draw

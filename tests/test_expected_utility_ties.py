"""Exact ties between offers and the `tie_break` option of the expected-utility model (issue 20).

The reference implementation takes, among exactly tied offers, the proposer first in input
order (``tie_break=input-order``, the ``scholz2011`` preset); the paper-probability figures
of EQUATIONS.md section 5 need the lowest offer position (``tie_break=lowest-position``).
``cases/tie_n7.csv`` and ``cases/tie_n10.csv`` (positions on a grid of 10) are full of such
ties; their ``_reference.csv`` hold the reference's trajectory at full precision.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from realpolitik.cli import app
from realpolitik.models import ScenarioBatch, get_model
from realpolitik.models.expected_utility import PRESETS, ExpectedUtilityOptions
from realpolitik.scenario import load_scenario

CASES = Path(__file__).resolve().parent / "data" / "anchors" / "bdm" / "cases"  # tests/data/SOURCES.md
needs_anchors = pytest.mark.skipif(not CASES.is_dir(), reason="shared anchors not available")
TIE_CASES = ["tie_n7", "tie_n10"]


def _reference(case: str):
    with open(CASES / f"{case}_reference.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = [k for k in rows[0] if k not in ("round", "median", "mean")]
    pos = np.array([[float(r[a]) for a in names] for r in rows])
    return rows, names, pos


def _check(median, mean, positions, actors, case):
    rows, names, want = _reference(case)
    assert len(rows) == 11 and actors == names
    np.testing.assert_allclose(median, [float(r["median"]) for r in rows], atol=1e-9, rtol=0)
    np.testing.assert_allclose(mean, [float(r["mean"]) for r in rows], atol=1e-9, rtol=0)
    np.testing.assert_allclose(positions, want, atol=1e-9, rtol=0)


def test_presets_name_their_tie_rule():
    assert PRESETS["scholz2011"]["tie_break"] == "input-order"
    assert PRESETS["paper"]["tie_break"] == "lowest-position"
    assert ExpectedUtilityOptions(tie_break="lowest_position").tie_break == "lowest-position"


@needs_anchors
@pytest.mark.parametrize("case", TIE_CASES)
def test_tie_cases_through_the_python_api(case):
    """Median, mean and every actor's position within 1e-9 of the reference, rounds 0-10."""
    scen = load_scenario(CASES / f"{case}.csv")
    res = get_model("expected-utility", preset="scholz2011", rounds=10).run(scen)
    iid = scen.issue_ids[0]
    _check(res.history["median"][iid], res.history["mean"][iid], res.positions()[:, :, 0], res.actors, case)
    assert res.options["tie_break"] == "input-order" and res.details["tie_break"] == "input-order"
    assert not res.details["numerically_undetermined"]  # exact ties are decided, not flagged


@needs_anchors
@pytest.mark.parametrize("case", TIE_CASES)
def test_tie_cases_through_the_cli(case):
    r = CliRunner().invoke(app, ["forecast", str(CASES / f"{case}.csv"), "-m", "expected-utility",
                                 "--preset", "scholz2011", "--rounds", "10", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)["results"][0]  # the document: {scenario, seed, results}
    assert d["options"]["tie_break"] == "input-order"  # the JSON says which rule ran
    iid = d["issues"][0]
    pos = np.array([[row[0] for row in rnd] for rnd in d["history"]["positions"]], dtype=float)
    _check(d["history"]["median"][iid], d["history"]["mean"][iid], pos, d["actors"], case)


@needs_anchors
@pytest.mark.parametrize("case", TIE_CASES)
def test_lowest_position_leaves_the_reference_from_round_one(case):
    """EQUATIONS.md 5b point 1: the other rule parts from the reference trajectory at once."""
    scen = load_scenario(CASES / f"{case}.csv")
    res = get_model("expected-utility", tie_break="lowest-position", rounds=10).run(scen)
    _, _, want = _reference(case)
    pos = res.positions()[:, :, 0]
    np.testing.assert_array_equal(pos[0], want[0])
    assert np.abs(pos[1] - want[1]).max() > 1.0


def test_the_rule_decides_exactly_tied_confrontations():
    """An actor at 50 confronted from 40 and 60 alike (equal distances, computed exactly):
    input order takes the first proposer, lowest position the offer at 40."""
    from realpolitik.models.expected_utility import eu_round

    x = np.array([[50.0, 60.0, 40.0, 0.0, 100.0]])
    c = np.array([[0.1, 1.0, 1.0, 0.1, 0.15]])  # not mirror-symmetric (see the next test)
    s = np.array([[0.3, 0.8, 0.8, 0.5, 0.5]])
    moves = {}
    for rule in ("input-order", "lowest-position"):
        opt = ExpectedUtilityOptions(tie_break=rule, probability_mode="paper", vote_risk="one")
        res = eu_round(x, c, s, np.array([100.0]), opt)
        moves[rule] = (int(res.kind[0, 0]), int(res.target[0, 0]), float(res.x[0, 0]))
        assert not res.undetermined.any()
    assert moves["input-order"] == (1, 1, 60.0)
    assert moves["lowest-position"] == (1, 2, 40.0)


def test_mirror_symmetric_equalities_are_flagged_not_guessed():
    """Two extreme actors that mirror each other have a = b exactly (no confrontation), but
    float64 gets them one ulp apart and cannot certify the equality: both are held still
    and the round is marked, instead of a confrontation decided by rounding."""
    from realpolitik.models.expected_utility import eu_round

    x = np.array([[50.0, 60.0, 40.0, 0.0, 100.0]])
    c = np.array([[0.1, 1.0, 1.0, 0.3, 0.3]])
    s = np.array([[0.9, 0.8, 0.8, 0.5, 0.5]])
    opt = ExpectedUtilityOptions(probability_mode="paper", vote_risk="one")
    res = eu_round(x, c, s, np.array([100.0]), opt)
    assert res.undetermined[0].tolist() == [False, False, False, True, True]
    assert res.x[0, 3:].tolist() == [0.0, 100.0]


@needs_anchors
@pytest.mark.parametrize("rule", ["input-order", "lowest-position"])
def test_batch_path_makes_the_same_tie_decisions_as_single_runs(rule):
    """Monte Carlo draws on the grid of 10 (full of exact ties), run as one vectorised
    batch, give each draw's single-run trajectory: the batch breaks ties the same way."""
    scen = load_scenario(CASES / "tie_n7.csv")
    rng = np.random.default_rng(3)
    base = ScenarioBatch.repeat(scen, 12)
    a = scen.arrays()
    pos = np.clip(base.position + 10.0 * rng.integers(-2, 3, base.position.shape), a.scale_min, a.scale_max)
    sal = np.clip(base.salience + 0.25 * rng.integers(-1, 2, base.salience.shape), 0.25, 1.0)
    batch = ScenarioBatch(scen, base.capability, pos, sal)
    model = get_model("expected-utility", tie_break=rule, rounds=10)
    traj = model.trajectory_batch(batch)
    iid = scen.issue_ids[0]
    for d in range(batch.draws):
        one = model.run(batch.scenario(d))
        np.testing.assert_allclose(traj["median"][d, :, 0], one.history["median"][iid], atol=1e-9, rtol=0)
        np.testing.assert_allclose(traj["mean"][d, :, 0], one.history["mean"][iid], atol=1e-9, rtol=0)
        und = one.details["numerically_undetermined"]
        assert traj["undetermined_from"][d, 0] == (und[iid]["from_round"] if und else -1)

"""Golden tests: ``mode="decide"`` reproduces the Decide package's outputs (issue 4 item 2).

Reference: ../shared/anchors/decide/outputs/ (Decide v2025.3.1, equal gain, 10 rounds, the
deterministic tie-break of MODEL.md section 2).  Round 1's exchanges in order with their
gains and moves, and every round's outcomes, voting outcomes and positions, within 1e-9.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import pytest

from realpolitik.models import get_model
from realpolitik.scenario import load_scenario

ANCHORS = Path(__file__).resolve().parent / "data" / "anchors" / "decide"  # tests/data/SOURCES.md
CASES = {"sample_data": "sample_data.txt", "copenhagen": "copenhagen.csv", "cop21": "cop21.csv"}
TOL = 1e-9


@lru_cache(maxsize=None)
def run_case(name: str):
    scen = load_scenario(ANCHORS / "inputs" / CASES[name])
    return scen, get_model("exchange", mode="decide", rounds=10).run(scen)


def rows(name: str, kind: str):
    with open(ANCHORS / "outputs" / f"{name}_{kind}.csv", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name", list(CASES))
def test_round1_exchanges_in_order(name):
    scen, res = run_case(name)
    mine = [e for e in res.details["exchanges"] if e["round"] == 1]
    ref = rows(name, "exchanges_round1")
    assert len(mine) == len(ref)
    names = {a.id: a.name for a in scen.actors}
    for a, b in zip(mine, ref):
        assert a["cand_index"] == int(b["cand_index"])
        assert names[a["i_actor"]] == b["i_actor"] and names[a["j_actor"]] == b["j_actor"]
        assert a["i_supply_issue"] == b["i_supply_issue"] and a["j_supply_issue"] == b["j_supply_issue"]
        assert a["groups"] == b["groups"]
        for col in ("gain", "dp", "dq", "i_move", "j_move", "i_y", "j_y", "i_x_before", "j_x_before",
                    "i_y_issue_scale", "j_y_issue_scale", "i_outcome_supply_before", "i_outcome_supply_after",
                    "j_outcome_supply_before", "j_outcome_supply_after"):
            assert abs(a[col] - float(b[col])) <= TOL, (a["order"], col, a[col], b[col])
        for side in ("i", "j"):
            assert a[f"{side}_adjusted_by_outcome_cap"] == (b[f"{side}_adjusted_by_outcome_cap"] == "True")


@pytest.mark.parametrize(
    "name, counts, ties",
    [
        ("sample_data", [39, 37, 36, 42, 35, 39, 36, 36, 36, 31], 15),
        ("copenhagen", [48, 46, 42, 40, 47, 42, 42, 43, 50, 49], 42),
        ("cop21", [127, 141, 129, 132, 126, 128, 125, 126, 121, 129], 36),
    ],
)
def test_exchanges_and_ties_per_round(name, counts, ties):
    _, res = run_case(name)
    assert res.details["exchanges_per_round"] == counts
    assert sum(res.details["ties_per_round"]) == ties


@pytest.mark.parametrize("name", list(CASES))
def test_positions_all_rounds(name):
    scen, res = run_case(name)
    by_name = {a.name: k for k, a in enumerate(scen.actors)}
    issues = list(scen.issue_ids)
    P, V = res.history["positions"], res.history["voting_positions"]
    ref = rows(name, "rounds")
    assert len(ref) > 0
    for r in ref:
        k, a, u = int(r["round"]), by_name[r["actor"]], issues.index(r["issue"])
        assert abs(P[k][a][u] - float(r["position"])) <= TOL, r
        assert abs(V[k][a][u] - float(r["voting_position"])) <= TOL, r
    # an actor without a #D row has no position
    n_rows = sum(1 for k in range(11) for a in range(len(scen.actors)) for u in range(len(issues)) if P[k][a][u] is not None)
    assert n_rows == len(ref)


@pytest.mark.parametrize("name", list(CASES))
def test_outcomes_all_rounds(name):
    _, res = run_case(name)
    ref = rows(name, "outcomes")
    for r in ref:
        k, i = int(r["round"]), r["issue"]
        assert abs(res.history["mean"][i][k - 1] - float(r["outcome"])) <= TOL
        if r["voting_outcome"]:
            assert abs(res.history["voting_outcome"][i][k - 1] - float(r["voting_outcome"])) <= TOL
            assert res.forecast[i] == res.history["voting_outcome"][i][-1]
    assert max(int(r["round"]) for r in ref) == 11


def test_first_two_gains_match_decide_own_test():
    _, res = run_case("sample_data")
    ex = res.details["exchanges"]
    assert abs(ex[0]["gain"] - 1.9736842105263157) < 1e-12
    assert abs(ex[1]["gain"] - 1.792636308765341) < 1e-12

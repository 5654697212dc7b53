"""The default scenario's uncertain inputs (russia-ukraine-2024).

The numbers the seed leaves open are triangular distributions whose mode is the point
value: point forecasts must not move (every model's forecast equals the one computed
from the modes), and ``realpolitik simulate`` on the default scenario must give a real
distribution, repeatable with its seed.  Each range is explained in the note for that
number; seed passages quoted in those notes must be verbatim.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from realpolitik.models import available_models, get_model
from realpolitik.scenario import load_bytes, load_scenario
from realpolitik.scenario.io import builtin_path

NAME = "russia-ukraine-2024"
TRIANGULAR = re.compile(r"\{low: *(-?[\d.]+), *mode: *(-?[\d.]+), *high: *(-?[\d.]+)\}")


@pytest.fixture(scope="module")
def scen():
    return load_scenario(NAME)


@pytest.fixture(scope="module")
def modes_only():
    """The same file with every ``{low, mode, high}`` written as its mode (no uncertainty)."""
    text = builtin_path(NAME).read_text(encoding="utf-8")
    stripped, n = TRIANGULAR.subn(lambda m: m.group(2), text)
    assert n > 0
    return load_bytes(stripped.encode("utf-8"), f"{NAME}.yaml")


def _value(scen, path: str) -> float:
    actor, field, issue = path.split(".", 2) if path.count(".") == 2 else (*path.split("."), None)
    a = scen.actor(actor)
    if field == "capability":
        return a.capability if issue is None else a.capability_by_issue[issue]
    return (a.positions if field == "position" else a.saliences)[issue]


def _note(scen, path: str):
    actor, rest = path.split(".", 1)
    return next(n for n in scen.actor(actor).notes if n.field == rest)


# ------------------------------------------------------------------ the inputs
def test_declares_twelve_to_twentyfive_triangular_inputs(scen):
    paths = [u.path for u in scen.uncertainty]
    assert 12 <= len(paths) <= 25, paths
    assert len(set(paths)) == len(paths)
    for u in scen.uncertainty:
        assert u.dist == "triangular", u.path
        assert u.low < u.high, f"{u.path}: a degenerate range"
        # the mode is the value point forecasts use, and it is the file's number
        assert u.point == u.mode == _value(scen, u.path), u.path


def test_the_seed_flagged_numbers_are_uncertain(scen):
    """What the seed leaves open: how far Putin's constituencies push, his own line, the
    West's capability and attention, Kyiv's capability after Kursk."""
    paths = {u.path for u in scen.uncertainty}
    for p in (
        "putin.position.settlement",
        "putin.salience.settlement",
        "russian_public.position.settlement",
        "russian_military.position.settlement",
        "russian_elites.position.settlement",
        "russian_military.position.operations",
        "washington.capability",
        "nato_europe.capability",
        "washington.salience.settlement",
        "nato_europe.salience.settlement",
        "zelensky.capability",
    ):
        assert p in paths, p
    # constituencies that may push past Putin can reach further than he does
    u = {x.path: x for x in scen.uncertainty}
    for aid in ("russian_public", "russian_military"):
        assert u[f"{aid}.position.settlement"].high > u["putin.position.settlement"].high - 1e-9, aid


def test_every_range_is_explained_and_its_quotes_are_verbatim(scen, seed_text):
    for u in scen.uncertainty:
        note = _note(scen, u.path)
        assert f"Range {u.low:g}-{u.high:g}" in note.text, f"{u.path}: note does not state the range"
        if note.quote:
            assert note.quote in seed_text, u.path
        for fragment in re.findall(r'"([^"]+)"', note.text):
            assert fragment in seed_text, f"{u.path}: {fragment!r} is not verbatim in the seed"


# ------------------------------------------------------------------ point forecasts
def test_modes_only_copy_is_the_scenario_without_uncertainty(scen, modes_only):
    assert modes_only.uncertainty == ()
    assert modes_only.actors == scen.actors
    # the Kursk event's values are ranges too (issue 13): without uncertainty they are their modes
    data = scen.model_copy(update={"uncertainty": ()}).model_dump()
    for ev in data["events"]:
        for ch in ev["changes"]:
            ch["distribution"] = None
    assert modes_only.content_hash() == type(scen).model_validate(data).content_hash()


@pytest.mark.parametrize("name", sorted(available_models()))
def test_point_forecast_equals_the_one_from_the_modes(scen, modes_only, name):
    model = get_model(name)
    got = model.run(scen, 1).to_dict()
    ref = model.run(modes_only, 1).to_dict()
    assert got["forecast"] == ref["forecast"], name
    if getattr(model, "learns_from_cases", False):
        return  # the ensemble's intervals come from the distributions by design (docs/DECISIONS.md)
    for key in ("scenario", "elapsed"):  # the hash names the inputs; elapsed is wall time
        got.pop(key, None)
        ref.pop(key, None)
    assert got == ref, name


# ------------------------------------------------------------------ simulate (CLI)
def _simulate_json() -> dict:
    env = {**os.environ, "REALPOLITIK_DB": "off"}
    cmd = [sys.executable, "-m", "realpolitik", "simulate", "-m", "weighted-mean",
           "--draws", "500", "--seed", "3", "--json", "--quiet"]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def two_runs():
    return _simulate_json(), _simulate_json()


def test_simulate_default_has_a_spread_on_the_settlement(two_runs, scen):
    data, _ = two_runs
    assert data["details"]["uncertain_inputs"] == len(scen.uncertainty)
    s = data["details"]["summary"]["settlement"]
    assert s["p90"] > s["p10"]
    assert s["p10"] <= s["mean"] <= s["p90"]
    assert s["sd"] > 0
    # the point forecast reported alongside is the unchanged weighted mean
    assert data["details"]["point_forecast"]["settlement"] == pytest.approx(
        get_model("weighted-mean").run(scen).forecast["settlement"]
    )


def test_simulate_same_seed_same_json(two_runs):
    a, b = (dict(d) for d in two_runs)
    for d in (a, b):
        d.pop("elapsed", None)  # wall-clock time of the run
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)

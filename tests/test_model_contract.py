"""The model protocol as a checked contract, for every registered model.

In the spirit of scikit-learn's ``parametrize_with_checks`` and Axelrod's ``TestPlayer``: a
new model registered with ``@register`` is checked here without writing a line of test.
Alone: ``.venv/bin/python -m pytest tests/test_model_contract.py -q``.
"""

from __future__ import annotations

import math
import typing

import annotated_types
import numpy as np
import pytest

from realpolitik.errors import OptionError
from realpolitik.models import Model, Result, ScenarioBatch, available_models, get_model
from realpolitik.scenario import load_scenario
from realpolitik.scenario.events import FIELDS

MODELS = sorted(available_models())
#: options that make a stochastic model's one-draw batch the same job as its single run
#: (the war model simulates ``batch_paths`` wars per scenario draw, ``draws`` in a run)
COMPARABLE = {"war": {"draws": 64, "batch_paths": 64, "what_if": False}}
#: known deviations from one check, with the reason (strict xfail: fixing the model fails the mark)
KNOWN: dict[tuple[str, str], str] = {}
#: options that keep a slow model's runs short here (the ensemble runs every member, with draws)
FAST = {"ensemble": {"draws": 8}}


def _run_options(name: str) -> dict:
    return {**FAST.get(name, {}), **COMPARABLE.get(name, {})}


@pytest.fixture(scope="module")
def scenario():
    return load_scenario()  # the default scenario: events, distributions, a war section


def _cls(name):
    return available_models()[name]


def _same(a: Result, b: Result) -> None:
    assert a.forecast.keys() == b.forecast.keys()
    np.testing.assert_array_equal(list(a.forecast.values()), list(b.forecast.values()))
    assert _clean(a.to_dict()["history"]) == _clean(b.to_dict()["history"])


def _clean(d):
    d = dict(d)
    d.pop("elapsed", None)
    return d


def _literal_choices(annotation) -> tuple | None:
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    for arg in typing.get_args(annotation):
        found = _literal_choices(arg)
        if found:
            return found
    return None


def _out_of_range(meta) -> list:
    bad = []
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            bad.append(m.ge - 1)
        elif isinstance(m, annotated_types.Gt):
            bad.append(m.gt)
        elif isinstance(m, annotated_types.Le):
            bad.append(m.le + 1)
        elif isinstance(m, annotated_types.Lt):
            bad.append(m.lt)
    return bad


def _names_field(exc: OptionError, field: str) -> bool:
    return any(field in p.location for p in exc.problems)


@pytest.mark.parametrize("name", MODELS)
def test_protocol_is_declared_and_run_is_not_overridden(name):
    cls = _cls(name)
    assert issubclass(cls, Model) and cls.name == name and cls.label
    assert cls.run is Model.run, f"{name} overrides run(): implement _run (and default_seed) instead"
    assert "References" in (cls.__doc__ or ""), f"{name}'s docstring names no source"
    assert isinstance(cls.event_fields, frozenset) and cls.event_fields <= set(FIELDS)


@pytest.mark.parametrize("name", MODELS)
def test_builds_with_defaults_and_options_round_trip(name):
    cls = _cls(name)
    m = cls()
    opts = m.get_options()
    assert cls(**opts).get_options() == opts
    assert get_model(name, **opts).get_options() == opts


@pytest.mark.parametrize("name", MODELS)
def test_unknown_option_names_the_option(name):
    with pytest.raises(OptionError) as exc:
        _cls(name)(no_such_option=1)
    assert _names_field(exc.value, "no_such_option")
    assert "unknown option" in exc.value.problems[0].message


@pytest.mark.parametrize("name", MODELS)
def test_bad_enum_and_out_of_range_values_name_the_field(name):
    cls = _cls(name)
    for field, info in cls.Options.model_fields.items():
        choices = _literal_choices(info.annotation)
        if choices:
            with pytest.raises(OptionError) as exc:
                cls(**{field: "not-a-choice"})
            assert _names_field(exc.value, field), (field, exc.value.problems)
        for bad in _out_of_range(info.metadata):
            with pytest.raises(OptionError) as exc:
                cls(**{field: bad})
            assert _names_field(exc.value, field), (field, bad, exc.value.problems)


@pytest.mark.parametrize("name", MODELS)
def test_one_seed_one_result_and_deterministic_models_ignore_it(name, scenario):
    m = _cls(name)(**FAST.get(name, {}))
    a, b = m.run(scenario, rng=11), m.run(scenario, rng=11)
    _same(a, b)
    assert a.seed == 11
    if not m.draws_random_numbers(scenario):
        _same(a, m.run(scenario, rng=12))


@pytest.mark.parametrize("name", MODELS)
def test_no_seed_draws_a_fresh_one_and_records_it(name, scenario):
    m = _cls(name)(**_run_options(name))
    r = m.run(scenario)
    if m.draws_random_numbers(scenario):
        assert isinstance(r.seed, int) and 0 <= r.seed < 2**63
        _same(r, m.run(scenario, rng=r.seed))  # the recorded seed repeats the run
    else:
        assert r.seed is None


@pytest.mark.parametrize("name", MODELS)
def test_every_batch_row_on_a_repeated_scenario_equals_run(name, scenario, request):
    if ("batch_rows", name) in KNOWN:
        request.applymarker(pytest.mark.xfail(reason=KNOWN[("batch_rows", name)], strict=True))
    m = _cls(name)(**_run_options(name))
    if m.draws_random_numbers(scenario):
        # the same generator: a one-draw batch is the single run
        got = m.forecast_batch(ScenarioBatch.repeat(scenario, 1), np.random.default_rng(3))
        want = m.run(scenario, rng=np.random.default_rng(3)).forecast
        rows = got
    else:
        rows = m.forecast_batch(ScenarioBatch.repeat(scenario, 3), np.random.default_rng(3))
        want = m.run(scenario, rng=3).forecast
    assert rows.shape[1] == len(scenario.issues)
    expected = [want.get(i, math.nan) for i in scenario.issue_ids]
    for row in rows:
        np.testing.assert_allclose(row, expected, rtol=0, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("name", MODELS)
def test_result_survives_to_dict_and_from_dict(name, scenario):
    r = _cls(name)(**_run_options(name)).run(scenario, rng=5)
    data = r.to_dict()
    back = Result.from_dict(data)
    assert back.to_dict() == data
    assert Result.from_json(r.to_json()).to_dict() == data
    assert data["model"] == name and data["seed"] == 5 and data["version"]


@pytest.mark.parametrize("name", MODELS)
def test_events_are_reported_uniformly(name, scenario):
    r = _cls(name)(**_run_options(name)).run(scenario, rng=5)
    skipped = r.details["events_skipped"]  # the default scenario has an event
    assert isinstance(skipped, list) and all(isinstance(s, str) and ": " in s for s in skipped)

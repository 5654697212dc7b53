"""The one seed path (realpolitik.seeds): one helper, one range, one default, one rule."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import realpolitik.models.smp.params as smp_params
from realpolitik.analysis.montecarlo import simulate
from realpolitik.models import ScenarioBatch, get_model
from realpolitik.scenario import load_scenario
from realpolitik.seeds import DEFAULT_SEED, SEED_RANGE, fresh_seed, resolve_seed

SRC = Path(__file__).resolve().parents[1] / "src" / "realpolitik"


def test_fresh_seeds_lie_in_one_range():
    seeds = {fresh_seed() for _ in range(50)}
    assert len(seeds) == 50 and all(0 <= s < SEED_RANGE == 2**63 for s in seeds)
    assert resolve_seed(7) == 7 and 0 <= resolve_seed(None) < SEED_RANGE


def test_one_function_draws_seeds_and_one_default_exists():
    """No module but realpolitik.seeds draws a fresh seed from entropy or defines a default seed."""
    for path in SRC.rglob("*.py"):
        if path.name == "seeds.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "SeedSequence" and not node.args:
                pytest.fail(f"{path.relative_to(SRC)}:{node.lineno} draws a seed itself: use realpolitik.seeds.fresh_seed")
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DEFAULT_SEED" for t in node.targets):
                pytest.fail(f"{path.relative_to(SRC)}:{node.lineno} defines DEFAULT_SEED again: import it from realpolitik.seeds")
    from realpolitik.analysis.backtest import cases, crises, scoring, wars

    assert cases.DEFAULT_SEED == wars.DEFAULT_SEED == crises.DEFAULT_SEED == scoring.DEFAULT_SEED == DEFAULT_SEED


def test_monte_carlo_without_a_seed_records_the_one_it_drew():
    scen = load_scenario("ec-emissions")
    res = simulate(scen, get_model("weighted-mean"), draws=20, spread=0.1)
    assert 0 <= res.seed < SEED_RANGE
    again = simulate(scen, get_model("weighted-mean"), draws=20, spread=0.1, seed=res.seed)
    assert np.array_equal(res.draws, again.draws)


@pytest.fixture(scope="module")
def stochastic_smp_scenario():
    rng = np.random.default_rng(4)
    n, m = 7, 2
    actors = [
        {"id": f"a{i}", "capability": float(rng.uniform(10, 100)),
         "positions": {f"d{j}": float(rng.uniform(0, 100)) for j in range(m)},
         "saliences": {f"d{j}": float(rng.uniform(10, 45)) for j in range(m)}}
        for i in range(n)
    ]  # fmt: skip
    from realpolitik.scenario.model import Scenario

    return Scenario.model_validate(
        {"title": "smp", "issues": [{"id": f"d{j}"} for j in range(m)], "actors": actors}
    )


def test_smp_seed_option_never_applies_in_monte_carlo(stochastic_smp_scenario):
    """The rule: the run's generator applies; the seed option is a single run's default only.
    With the option, every Monte Carlo chunk used to restart one stream (draws repeated)."""
    s = stochastic_smp_scenario
    plain = get_model("smp", state_transitions="Stochastic", max_iter=12)
    seeded = get_model("smp", state_transitions="Stochastic", max_iter=12, seed=3)
    for chunk in (4, 10):
        a = simulate(s, plain, draws=20, seed=1, chunk_size=chunk)
        b = simulate(s, seeded, draws=20, seed=1, chunk_size=chunk)
        assert np.array_equal(a.draws, b.draws)
        assert len({tuple(r) for r in np.round(b.draws, 9)}) > 1  # chunks do not repeat one stream
    assert seeded.run(s).seed == 3  # a single run given no seed uses the option


def test_smp_memory_chunks_never_change_a_result(stochastic_smp_scenario, monkeypatch):
    m = get_model("smp", state_transitions="Stochastic", max_iter=12)
    batch = ScenarioBatch.repeat(stochastic_smp_scenario, 9)
    whole = m.forecast_batch(batch, np.random.default_rng(8))
    monkeypatch.setattr(smp_params, "RUN_ELEMENTS", 1)  # one draw per run_smp call
    pieces = m.forecast_batch(batch, np.random.default_rng(8))
    np.testing.assert_array_equal(whole, pieces)
    # the first draw of a batch is the single run with the same generator
    one = m.run(stochastic_smp_scenario, rng=np.random.default_rng(8))
    np.testing.assert_allclose(whole[0], list(one.forecast.values()), rtol=0, atol=1e-12)


def test_expected_utility_memory_chunks_never_change_a_result(monkeypatch):
    import realpolitik.models.expected_utility as eu

    scen = load_scenario()
    from realpolitik.scenario.uncertainty import sample_batch

    batch = sample_batch(scen, 30, np.random.default_rng(2), spread=0.05)
    m = get_model("expected-utility", rounds=4)
    whole = m.forecast_batch(batch)
    monkeypatch.setattr(eu, "BATCH_ELEMENTS", 1)  # one draw per chunk
    np.testing.assert_array_equal(whole, m.forecast_batch(batch))

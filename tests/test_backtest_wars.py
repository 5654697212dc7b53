"""War-duration and crisis-outcome backtests (on subsets and small grids; the full runs are CLI commands)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from realpolitik.analysis.backtest import crises as bc
from realpolitik.analysis.backtest import scoring as sc
from realpolitik.analysis.backtest import wars as bw
from realpolitik.cli import app
from realpolitik.errors import ScenarioError

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "anchors" / "cases"
WARS = CASES / "states_war.csv"
ICB = CASES / "icb_v16_crisis_actors.json"
needs_data = pytest.mark.skipif(not WARS.exists() or not ICB.exists(), reason="shared anchors not present")
SMALL_GRID = {"decisiveness": (0.5, 1.0), "optimism": (1.0,), "concentration": (2.0,), "kappa": (0.01,)}


@pytest.fixture(scope="module")
def wars():
    return bw.load_wars(WARS)


# ------------------------------------------------------------------ scoring rules
def test_crps_of_samples_and_of_cdfs_agree():
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 100.0, size=(3, 4000))
    y = np.array([50.0, 200.0, 900.0])
    t = np.arange(0, 5001, dtype=float)
    a = sc.crps_samples(x, y)
    b = sc.crps_cdf(bw.cdf_from_samples(x, t), y, t)
    assert np.allclose(a, b, rtol=0.01)
    # a point forecast's CRPS is the absolute error
    assert sc.crps_samples(np.full((1, 10), 300.0), np.array([100.0]))[0] == pytest.approx(200.0)


def test_binned_log_score_and_median():
    t = bw.grid()
    cdf = np.clip(t / 730.0, 0, 1)[None, :]  # uniform on (0, 730] days
    y = np.array([100.0])
    # class (91, 182]: mass 91/730
    assert bw.binned_log_score(cdf, y, t)[0] == pytest.approx(np.log(91 / 730), rel=1e-9)
    assert bw.median_from_cdf(cdf, t)[0] == 365
    assert bw.binned_log_score(cdf, np.array([5000.0]), t)[0] == pytest.approx(np.log(bw.LOG_FLOOR))


def test_split_is_seeded_disjoint_and_complete():
    tr, te = sc.split(82, 7)
    tr2, te2 = sc.split(82, 7)
    assert np.array_equal(tr, tr2) and np.array_equal(te, te2)
    assert len(te) == round(0.3 * 82) and not set(tr) & set(te) and set(tr) | set(te) == set(range(82))
    assert not np.array_equal(sc.split(82, 8)[1], te)


# ------------------------------------------------------------------ data
@needs_data
def test_wars_are_built_from_participants(wars):
    assert wars.rows == 284 and len(wars.wars) == 82
    w = next(x for x in wars.wars if x.micnum == 31)  # Boxer rebellion coalition: 9 vs 1
    assert w.duration == 257 and w.n_a == 8 and w.n_b == 1
    assert 0 < w.share_a < 1 and w.share_a > 0.8


def test_bad_war_file_is_reported(tmp_path):
    f = tmp_path / "w.csv"
    f.write_text("micnum,sidea,maxdur,cinc,polity2\n1,1,x,0.1,3\n")
    with pytest.raises(ScenarioError, match=r"w.csv:2:maxdur: 'x' is not a number"):
        bw.load_wars(f)
    f.write_text("micnum,sidea\n1,1\n")
    with pytest.raises(ScenarioError, match="missing column 'maxdur'"):
        bw.load_wars(f)


# ------------------------------------------------------------------ models
@needs_data
def test_survival_baselines_give_proper_cdfs(wars):
    t = bw.grid()
    tr, te = sc.split(len(wars.wars), 1)
    train = [wars.wars[i] for i in tr]
    test = [wars.wars[i] for i in te]
    for cdf in (bw.kaplan_meier_cdf(train, len(test), t), bw.weibull_aft_cdf(train, test, t)[0], bw.cox_cdf(train, test, t)[0]):
        assert cdf.shape == (len(test), t.size)
        assert np.all(np.diff(cdf, axis=1) >= -1e-12) and np.all(cdf >= -1e-12) and np.all(cdf <= 1 + 1e-12)
        assert np.all(cdf[:, -1] > 0.99)
    km = bw.kaplan_meier_cdf(train, 1, t)[0]
    y = np.array([w.duration for w in train])
    assert km[365] == pytest.approx(np.mean(y <= 365))  # no censoring: KM = empirical CDF


def test_battle_odds_contest_success_function():
    assert bw.battle_odds(np.array([0.5]), 2.0)[0] == pytest.approx(0.5)
    assert bw.battle_odds(np.array([0.75]), 1.0)[0] == pytest.approx(0.75)
    assert bw.battle_odds(np.array([0.75]), 2.0)[0] == pytest.approx(0.9)
    sim, p_none = bw.simulate_battles(np.array([0.3, 0.5, 0.9]), 1.0, 1.0, 2.0, 0.01, 200, seed=4)
    assert sim.shape == (3, 200) and np.all(sim >= 0) and np.all((sim > 0).mean(axis=1) == pytest.approx(1 - p_none)) and np.all((p_none >= 0) & (p_none <= 1))


@needs_data
def test_simulator_is_calibrated_on_training_wars_only(wars):
    res = bw.run_war_backtest(wars, seed=5, draws=100, calibration_draws=40, grid_values=SMALL_GRID)
    assert {s.model for s in res.scores} == {"kaplan-meier", "weibull-aft", "cox", "war-simulator"}
    assert len(res.test) == 25 and len(res.train) == 57
    test_ids = {w.micnum for w in res.test}
    # change the test wars' durations: the calibration must not move
    mangled = replace(wars, wars=[replace(w, duration=w.duration * 7 + 3) if w.micnum in test_ids else w for w in wars.wars])
    res2 = bw.run_war_backtest(mangled, seed=5, draws=100, calibration_draws=40, grid_values=SMALL_GRID)
    assert res2.calibration.params() == res.calibration.params()
    assert res2.calibration.train_crps == res.calibration.train_crps
    # ... while the test scores do
    assert res2.scores[0].crps != res.scores[0].crps
    for s in res.scores:
        assert s.crps > 0 and 0 <= s.brier_1y <= 1 and len(s.per_war) == 25
    assert len(res.calibration.grid_results) == 2


@needs_data
def test_cli_backtest_wars_baselines():
    r = CliRunner().invoke(app, ["backtest", "wars", str(WARS), "--no-simulator", "--json", "--seed", "3"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["wars"] == 82 and data["seed"] == 3 and len(data["test_wars"]) == 25
    assert not set(data["test_wars"]) & set(data["train_wars"])
    assert data["stored_runs"] == 1


# ------------------------------------------------------------------ crises
@pytest.fixture(scope="module")
def icb():
    return bc.load_icb(ICB)


@needs_data
def test_icb_records(icb):
    assert len(icb.actors) == 1131 and len(icb.scorable) == 1131 - 19
    a = next(x for x in icb.actors if x.crisno == 4 and x.actor == "EST")
    assert a.rank == 1 and a.opp_rank == 3  # Estonia (small) against Russia (great)


def test_base_rates_shrink_to_the_margin():
    mk = lambda o, p: bc.CrisisActor("X", 1, "", 1950, o, p, 1, bc.POWER_RANK[p], 0)  # noqa: E731
    train = [mk("victory", "small")] * 2 + [mk("defeat", "great")] * 6
    test = [mk("victory", "small"), mk("victory", "super")]
    p, table = bc.base_rates(train, test, lambda a: a.power)
    marg = np.array([0.25, 0, 0, 0.75])
    assert np.allclose(p[0], (np.array([2, 0, 0, 0]) + 4 * marg) / 6)
    assert np.allclose(p[1], marg)  # unseen cell: the margin
    assert sc.brier(np.array([[1.0, 0, 0, 0]]), bc.onehot([test[0]])) == 0
    assert sc.brier(np.full((1, 4), 0.25), bc.onehot([test[0]])) == pytest.approx(0.75)


@needs_data
def test_crisis_backtest_split_by_crisis_and_trained_on_training_only(icb):
    train, test = bc.split_by_crisis(icb.scorable, 5)
    assert not {a.crisno for a in train} & {a.crisno for a in test}
    grid = {"beta": (0.5,), "optimism": (1.0,), "horizon": (2.0, 5.0)}
    res = bc.run_crisis_backtest(icb, seed=5, draws=200, calibration_draws=60, grid_values=grid)
    names = {s.model for s in res.scores}
    assert names == {"uniform", "marginal", "base-rates power", "war-bargaining", "calibrated logit",
                     "calibrated logit + war layer"}  # nothing that reads violence, an outcome of the crisis
    uni = next(s for s in res.scores if s.model == "uniform")
    assert uni.brier == pytest.approx(0.75)
    for s in res.scores:
        assert 0 <= s.brier <= 2 and sum(s.mean_predicted) == pytest.approx(1.0)
    test_ids = {a.crisno for a in test}
    flipped = replace(icb, actors=[replace(a, outcome="defeat") if a.crisno in test_ids else a for a in icb.actors])
    res2 = bc.run_crisis_backtest(flipped, seed=5, draws=200, calibration_draws=60, grid_values=grid)
    assert res2.calibration.params() == res.calibration.params()
    assert res2.base_table == res.base_table
    assert res2.logit.C == res.logit.C and res2.logit.cv_brier == res.logit.cv_brier


@needs_data
def test_cli_backtest_crises_base_rates():
    r = CliRunner().invoke(app, ["backtest", "crises", str(ICB), "--no-bargaining", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["records"] == 1131 and data["excluded_other"] == 19
    assert data["train_actors"] + data["test_actors"] == 1112
    assert data["stored_runs"] == 1


def test_bad_icb_file(tmp_path):
    f = tmp_path / "icb.json"
    f.write_text(json.dumps({"records": [{"crisno": 1, "outcome": "won", "power": "small", "violence": 1}]}))
    with pytest.raises(ScenarioError, match=r"records.0.outcome: 'won' is not one of"):
        bc.load_icb(f)


def test_repeat_summary_counts_wins_and_spread():
    per = [{"a": {"crps": 1.0, "ls": -1.0}, "b": {"crps": 2.0, "ls": -0.5}},
           {"a": {"crps": 3.0, "ls": -2.0}, "b": {"crps": 2.0, "ls": -3.0}}]  # fmt: skip
    s = sc.repeat_summary(per, {"crps": True, "ls": False})
    assert s["a"]["crps"] == {"mean": 2.0, "sd": pytest.approx(np.sqrt(2.0)), "wins": 1}
    assert s["b"]["crps"]["wins"] == 1 and s["b"]["ls"]["wins"] == 1 and s["a"]["ls"]["wins"] == 1


@needs_data
def test_cli_markdown_output_is_a_table():
    r = CliRunner().invoke(app, ["backtest", "crises", str(ICB), "--no-bargaining", "--markdown"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("**Crisis outcomes (ICB)")
    assert "| model | Brier | log score |" in r.stdout and "|---|---|---|---|---|---|---|" in r.stdout
    assert any(line.startswith("| small |") for line in lines)


@needs_data
def test_crisis_models_never_read_violence_and_lone_actors_are_averaged(icb):
    """Violence is an outcome of the crisis: changing it changes no forecast.  A lone crisis
    actor's war-layer probabilities average over the training opponents' ranks."""
    res = bc.run_crisis_backtest(icb, seed=7, draws=100, calibration_draws=40,
                                 grid_values={"beta": (0.5,), "optimism": (1.0,), "horizon": (3.0,)})  # fmt: skip
    shaken = replace(icb, actors=[replace(a, violence=5 - max(a.violence, 1)) for a in icb.actors])
    res2 = bc.run_crisis_backtest(shaken, seed=7, draws=100, calibration_draws=40,
                                  grid_values={"beta": (0.5,), "optimism": (1.0,), "horizon": (3.0,)})  # fmt: skip
    assert [s.brier for s in res.scores] == pytest.approx([s.brier for s in res2.scores])
    lone = [a for a in icb.scorable if a.lone]
    assert len({a.crisno for a in lone}) == 155 and all(a.opp_rank == 0 for a in lone)
    cells = np.random.default_rng(0).dirichlet(np.ones(4), size=(4, 4))
    share = np.array([0.1, 0.2, 0.3, 0.4])
    p = bc.layer_probabilities(cells, lone[:1], 2, share)
    np.testing.assert_allclose(p[0], share @ cells[lone[0].rank - 1])


@needs_data
def test_calibrated_logit_beats_the_base_rates_on_the_default_split(icb):
    res = bc.run_crisis_backtest(icb, bargaining=False)
    assert res.score("calibrated logit").brier < res.base_brier
    assert all(r["n"] > 0 for r in res.reliability[:3])

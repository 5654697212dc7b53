"""Backtest at the war's age: remaining durations of wars still running (issue 13, item 6)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from realpolitik.analysis.backtest import landmark as bl
from realpolitik.analysis.backtest import scoring as sc
from realpolitik.analysis.backtest import wars as bw
from realpolitik.cli import app
from realpolitik.errors import OptionError
from test_backtest_wars import WARS, needs_data

SMALL_GRID = {"decisiveness": (0.5,), "optimism": (1.0,), "concentration": (2.0,), "kappa": (0.01,)}


def test_landmarks_parse():
    assert bl.parse_landmarks("24, 6,12,6") == [6.0, 12.0, 24.0]
    for bad in ("", "6,x", "0", "-3", "nan"):
        with pytest.raises(OptionError) as exc:
            bl.parse_landmarks(bad)
        assert exc.value.lines()[0].startswith("--landmark")


def _war(i, days):
    # covariates that vary (the Cox model needs them) without tracking the duration
    return bw.War(i, float(days), 0.2 + 0.6 * ((i * 7) % 10) / 10, float((i * 3) % 11 - 5), float((i * 5) % 11 - 5), 1, 1)


def test_conditional_kaplan_meier_is_the_survivors_empirical_curve():
    """No censoring: the conditional KM at age L is the empirical distribution of the
    remaining durations of the training wars that outlived L."""
    train = [_war(i, d) for i, d in enumerate([100, 200, 300, 400, 500, 700, 900, 1200, 1500, 2000])]
    test = [_war(90 + i, d) for i, d in enumerate([150, 450, 800, 2500])]
    res = bl.run_landmarks(train, test, [6.0], None)
    L = 6 * bl.DAYS_PER_MONTH  # 182.6 days
    km = next(s for s in res.scores if s.model == "kaplan-meier")
    assert res.at_risk["6"] == {"train": 9, "test": 3} and km.n == 3
    rem_train = np.array([200, 300, 400, 500, 700, 900, 1200, 1500, 2000]) - L
    p12 = np.mean(rem_train <= 365)
    assert km.mean_p12 == pytest.approx(p12)
    rem_test = np.array([450, 800, 2500]) - L
    assert km.observed_12m == pytest.approx(np.mean(rem_test <= 365))
    assert km.brier_12m == pytest.approx(np.mean((p12 - (rem_test <= 365)) ** 2))
    # CRPS against the survivors' empirical distribution (exact for samples)
    want = sc.crps_samples(np.repeat(rem_train[None, :], 3, axis=0), rem_test).mean()
    assert km.crps == pytest.approx(want, rel=2e-3)


def test_no_training_war_that_old_is_reported_not_scored():
    train = [_war(i, d) for i, d in enumerate([100, 200, 300, 400, 500, 600])]
    test = [_war(90, 2000)]
    res = bl.run_landmarks(train, test, [24.0], None)
    km = next(s for s in res.scores if s.model == "kaplan-meier")
    assert km.n == 0 and "undefined" in km.note


@needs_data
def test_simulator_is_conditioned_on_the_age_and_trained_on_training_wars_only():
    wars = bw.load_wars(WARS)
    res = bw.run_war_backtest(wars, seed=5, draws=100, calibration_draws=40, grid_values=SMALL_GRID)
    lm = bl.run_landmarks(res.train, res.test, [6.0, 12.0], res.calibration, draws=400, seed=5, min_kept=200)
    sim = [s for s in lm.scores if s.model == "war-simulator"]
    assert [s.landmark for s in sim] == [6.0, 12.0]
    for s in sim:
        assert s.n == lm.at_risk[f"{s.landmark:g}"]["test"] and s.kept >= 200
        assert s.crps > 0 and 0 <= s.brier_12m <= 1
    # the forecasts do not see the test wars' durations (only who is at risk)
    test_ids = {w.micnum for w in res.test}
    mangled = [replace(w, duration=w.duration * 3) if w.micnum in test_ids and w.duration > 400 else w for w in res.test]
    lm2 = bl.run_landmarks(res.train, mangled, [12.0], res.calibration, draws=400, seed=5, min_kept=200)
    a = next(s for s in lm.scores if s.model == "cox" and s.landmark == 12.0)
    b = next(s for s in lm2.scores if s.model == "cox")
    if a.n == b.n:
        assert a.mean_p12 == pytest.approx(b.mean_p12)


@needs_data
def test_cli_landmarks_json_and_tables():
    r = CliRunner().invoke(
        app, ["backtest", "wars", str(WARS), "--landmark", "6,12", "--draws", "200", "--calibration-draws", "30",
              "--json", "--seed", "3"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    lm = json.loads(r.stdout)["landmarks"]
    assert lm["landmarks"] == [6.0, 12.0]
    assert {(s["model"], s["landmark"]) for s in lm["scores"]} == {
        (m, a) for m in ("kaplan-meier", "cox", "war-simulator") for a in (6.0, 12.0)
    }
    r = CliRunner().invoke(app, ["backtest", "wars", str(WARS), "--landmark", "6", "--no-simulator", "--markdown", "-q"])
    assert r.exit_code == 0, r.output
    assert "**War durations at the war's age (landmarks)" in r.stdout and "| 6 | cox |" in r.stdout


def test_cli_bad_landmark_is_one_line(capsys, tmp_path):
    from realpolitik.cli import main

    f = tmp_path / "w.csv"
    f.write_text("micnum,sidea,maxdur,cinc,polity2\n")
    assert main(["backtest", "wars", str(f), "--landmark", "six"]) == 2
    err = capsys.readouterr().err
    assert "--landmark" in err and "Traceback" not in err

"""Python callers are told Python parameter names; the CLI tells its users the flags."""

from __future__ import annotations

import pytest

import realpolitik as rp
from realpolitik.analysis.montecarlo import simulate
from realpolitik.analysis.sensitivity import analyze
from realpolitik.cli import main
from realpolitik.engine import get_engine, plan_chunks
from realpolitik.errors import OptionError
from realpolitik.models import get_model


def _where(exc: pytest.ExceptionInfo) -> str:
    return exc.value.problems[0].location


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: rp.forecast("ec-emissions", models="no-such-model"), "models"),
        (lambda: get_model("no-such-model"), "model"),
        (lambda: plan_chunks(0, 1), "draws"),
        (lambda: plan_chunks(10, 1, chunk_size=0), "chunk_size"),
        (lambda: get_engine("spark"), "engine"),
        (lambda: get_engine("local", scheduler="tcp://127.0.0.1:1"), "scheduler"),
        (lambda: get_engine("process", workers=0), "workers"),
        (lambda: simulate(rp.load_scenario("ec-emissions"), get_model("weighted-mean"), draws=5, bins=0), "bins"),
        (lambda: simulate(rp.load_scenario("ec-emissions"), get_model("weighted-mean"), draws=5, spread=-1), "spread"),
        (lambda: simulate(rp.load_scenario("ec-emissions"), get_model("weighted-mean"), draws=5, thresholds=["x>1"]), "thresholds x>1"),
        (lambda: analyze(rp.load_scenario("ec-emissions"), get_model("weighted-mean"), samples=3), "samples"),
        (lambda: analyze(rp.load_scenario("ec-emissions"), get_model("weighted-mean"), method="x"), "method"),
    ],
)
def test_python_errors_name_python_parameters(call, name):
    with pytest.raises(OptionError) as exc:
        call()
    assert _where(exc) == name
    assert "--" not in str(exc.value)


def test_the_cli_names_flags(capsys):
    assert main(["forecast", "ec-emissions", "-m", "no-such-model"]) == 2
    assert capsys.readouterr().err.lstrip().startswith("error --model: unknown model 'no-such-model'")
    assert main(["simulate", "ec-emissions", "-m", "weighted-mean", "--draws", "0", "-q"]) == 2
    assert "error --draws: must be at least 1, got 0" in capsys.readouterr().err
    assert main(["simulate", "ec-emissions", "-m", "weighted-mean", "--threshold", "nope>1", "-q"]) == 2
    assert "error --threshold nope>1: unknown issue 'nope'" in capsys.readouterr().err

"""Every result records the versions of the numerical packages it was computed with (issue 23)."""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
import scipy

from realpolitik.models import get_model
from realpolitik.models.base import Result
from realpolitik.scenario import load_scenario
from realpolitik.store import RunStore


def test_result_records_numpy_and_scipy_versions(tmp_path):
    scen = load_scenario("ec-emissions")
    res = get_model("expected-utility", rounds=2).run(scen)
    assert res.packages["numpy"] == np.__version__ == version("numpy")
    assert res.packages["scipy"] == scipy.__version__
    assert res.packages["python"].count(".") == 2
    d = res.to_dict()
    assert d["packages"] == res.packages
    assert Result.from_json(res.to_json()).packages == res.packages
    # a stored run keeps them with its result
    store = RunStore(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    (rid,) = store.save(scen, [res])
    assert store.get_run(rid).result["packages"] == res.packages


def test_monte_carlo_results_record_them_too():
    from realpolitik.analysis.montecarlo import simulate

    res = simulate(load_scenario("ec-emissions"), get_model("weighted-mean"), draws=20, seed=1, spread=0.1)
    assert res.to_dict()["packages"]["numpy"] == np.__version__

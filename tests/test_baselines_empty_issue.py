"""An issue on which no actor takes part gets no forecast (NaN), never a number off the scale."""

import math

import numpy as np

from realpolitik.models import get_model
from realpolitik.models.baselines import weighted_mean, weighted_median
from realpolitik.scenario import Scenario


def test_array_baselines_give_nan_for_an_issue_nobody_plays():
    pos = np.array([[[1.0, np.nan], [3.0, np.nan]]])
    w = np.array([[[1.0, 0.0], [1.0, 0.0]]])
    assert weighted_mean(pos, w)[0, 0] == 2.0
    assert weighted_median(pos, w)[0, 0] == 2.0
    assert np.isnan(weighted_mean(pos, w)[0, 1])
    assert np.isnan(weighted_median(pos, w)[0, 1])


def test_models_report_no_forecast_for_an_issue_nobody_plays():
    scen = Scenario.model_validate(
        {
            "title": "empty issue",
            "issues": [{"id": "a", "min": 10, "max": 20}, {"id": "b", "min": 50, "max": 60}],
            "actors": [
                {"id": "x", "capability": 1, "positions": {"a": 12}, "saliences": {"a": 50}},
                {"id": "y", "capability": 2, "positions": {"a": 18}, "saliences": {"a": 50}},
            ],
        }
    )
    for name in ("weighted-mean", "weighted-median"):
        res = get_model(name).run(scen)
        assert 12 <= res.forecast["a"] <= 18
        assert math.isnan(res.forecast["b"])
        assert res.to_dict()["forecast"]["b"] is None

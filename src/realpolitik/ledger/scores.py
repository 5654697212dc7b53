"""The score table of a ledger: per resolved question and per model, and over all questions.

See :mod:`realpolitik.ledger.scoring` for the scores and their conventions.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

from realpolitik.errors import OptionError, Problem
from realpolitik.ledger.book import QuestionState, iso_us
from realpolitik.ledger.forecasts import Forecast
from realpolitik.ledger.questions import Baseline, iso
from realpolitik.ledger.scoring import reliability, score, time_average, uniform_forecast

#: the score each question type is ranked by, and whether lower is better
PRIMARY = {"binary": ("brier", True), "multiple_choice": ("brier", True), "numeric": ("crps", True)}


def parse_baseline(text: str | None) -> Baseline | None:
    """``uniform``, ``base-rate`` (each question's stated base rate) or ``model:NAME``."""
    if text is None:
        return None
    t = text.strip().lower()
    if t == "uniform":
        return Baseline(kind="uniform")
    if t in ("base-rate", "base_rate"):
        return Baseline(kind="base_rate", p=0.5, source="the question's own")  # marker: use each question's
    if t.startswith("model:") and t[6:]:
        return Baseline(kind="model", model=t[6:])
    raise OptionError([Problem("--baseline", f"{text!r}: expected uniform, base-rate or model:NAME (e.g. "
                               "model:weighted-mean, the compromise model)")])  # fmt: skip


def _fixed_baseline(st: QuestionState, b: Baseline) -> tuple[Forecast, str]:
    """The fixed forecast of a uniform or base-rate baseline (a model baseline's fill is uniform)."""
    q = st.question
    lo, hi = (q.scaling.range_min, q.scaling.range_max) if q.scaling else (0.0, 1.0)
    if b.kind == "base_rate":
        own = q.realpolitik.baseline
        if own.kind == "base_rate":
            if q.type == "binary":
                return Forecast("binary", p=own.p), own.describe()
            return Forecast("multiple_choice", probabilities=dict(own.probabilities or {})), own.describe()
    return uniform_forecast(q.type, q.option_labels(), lo, hi), "uniform"


def question_scores(st: QuestionState, override: Baseline | None = None) -> dict[str, Any]:
    """Scores of every model on one resolved question (forecasts after the close left out)."""
    q = st.question
    assert st.resolution is not None
    y = st.resolution.value
    labels = q.option_labels()
    metric, _ = PRIMARY[q.type]
    b = override or q.realpolitik.baseline
    base_fc, base_desc = _fixed_baseline(st, b)
    base_scores = score(base_fc, y, labels)
    open_t = st.open_time or st.close_time
    close_t = st.close_time
    span = (q.scaling.range_max - q.scaling.range_min) if q.scaling else 1.0
    by: dict[str, list] = {}
    late = 0
    for f in st.forecasts:
        if f.at > close_t:
            late += 1
            continue
        by.setdefault(f.forecaster(st.forecasts), []).append(f)
    rows = []
    series: dict[str, list[list[Any]]] = {}
    for who, fs in by.items():
        scored = [(f.at, score(f.forecast, y, labels)) for f in fs]
        avg = {k: time_average([(t, s[k]) for t, s in scored], open_t, close_t, base_scores[k])[0] for k in base_scores}
        coverage = time_average([(t, s[metric]) for t, s in scored], open_t, close_t, base_scores[metric])[1]
        last = fs[-1]
        rows.append({"forecaster": who, "model": last.model, "n": len(fs), "last": last.forecast.headline(),
                     "last_at": iso_us(last.at), "last_scores": scored[-1][1], "time_avg": avg,
                     "coverage": coverage, "p_last": last.forecast.p})  # fmt: skip
        series[who] = [[iso_us(max(t, open_t)), s[metric]] for t, s in scored]
    # the baseline as a model: its own time average; compare everyone with it
    base_avg = dict(base_scores)
    if b.kind == "model":
        mine = [r for r in rows if r["model"] == b.model]
        if mine:
            base_avg = dict(mine[0]["time_avg"])
            base_desc = f"model {b.model} (time-averaged)"
        else:
            base_desc = f"uniform (model {b.model} has no forecast of this question)"
    for r in rows:
        sk = {}
        for k, v in r["time_avg"].items():
            sk[k] = (base_avg[k] - v) if k in ("brier", "crps") else (v - base_avg[k])
        r["vs_baseline"] = sk
        if "crps" in r["time_avg"]:
            r["time_avg"]["crps_share"] = r["time_avg"]["crps"] / span
    rows.sort(key=lambda r: r["time_avg"][metric])
    return {"id": q.id, "title": q.title, "type": q.type, "metric": metric,
            "resolution": st.to_json().get("resolution"), "resolution_source": st.resolution.source,
            "open_time": iso(open_t), "close_time": iso(close_t), "early": st.resolution.early, "span": span,
            "baseline": base_desc, "baseline_scores": base_scores, "baseline_time_avg": base_avg,
            "rows": rows, "series": series, "late_forecasts": late}  # fmt: skip


def ledger_scores(states: dict[str, QuestionState], override: Baseline | None = None,
                  question: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Scores per resolved question, per model over all of them, and reliability data."""
    resolved = [st for st in states.values() if st.resolution is not None and (question is None or st.id == question)]
    qs = [question_scores(st, override) for st in resolved]
    agg: dict[str, dict[str, list[float]]] = {}
    rel: dict[str, tuple[list[float], list[float]]] = {}
    for qd in qs:
        for r in qd["rows"]:
            a = agg.setdefault(r["forecaster"], {"brier": [], "log": [], "crps_share": [], "vs_baseline": []})
            for k in ("brier", "log", "crps_share"):
                if k in r["time_avg"]:
                    a[k].append(r["time_avg"][k])
            a["vs_baseline"].append(r["vs_baseline"][qd["metric"]] / (qd["span"] if qd["metric"] == "crps" else 1.0))
            if qd["type"] == "binary" and r["p_last"] is not None:
                ps, os_ = rel.setdefault(r["forecaster"], ([], []))
                ps.append(r["p_last"])
                os_.append(1.0 if qd["resolution"] == "yes" else 0.0)
    models = []
    for who, a in agg.items():
        models.append({"forecaster": who, "questions": len(a["vs_baseline"]),
                       "brier": _mean(a["brier"]), "log": _mean(a["log"]), "crps_share": _mean(a["crps_share"]),
                       "vs_baseline": _mean(a["vs_baseline"])})  # fmt: skip
    models.sort(key=lambda m: -m["vs_baseline"] if m["vs_baseline"] is not None else math.inf)
    return {"questions": qs, "models": models,
            "reliability": {who: reliability(ps, os_) for who, (ps, os_) in rel.items()},
            "unresolved": sorted(st.id for st in states.values() if st.resolution is None and st.in_ledger)}  # fmt: skip


def _mean(v: list[float]) -> float | None:
    return float(np.mean(v)) if v else None


def now_iso() -> str:
    return iso_us(dt.datetime.now(dt.timezone.utc))

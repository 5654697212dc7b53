"""A war forecast re-made at each dated event: how P(settlement) and the terms moved.

Events dated after the scenario's ``as_of`` form a timeline.  At each of their dates (and
at ``as_of`` itself, at any extra ``dates``, or every ``every`` months) the war model is
run again with its origin at that date (option ``as_of``): the forecast is then
conditioned on the record up to that date - the war's history, the battles fought since
``as_of`` without a deal (drawn, since they are not coded) and the events dated on or
before it - and counts its horizons from it.  Every row uses the same seed (common random
numbers as far as the record allows), so a change from one row to the next is the effect
of the time and events in between, not of fresh Monte Carlo noise.

:func:`war_timeline` is what the CLI (``realpolitik timeline``), the HTML report and the
workbench call; it returns a :class:`Timeline` whose rows are plain data (the table and
the charts are drawn from them by :mod:`realpolitik.report.timeline`).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from realpolitik.errors import OptionError, Problem, ScenarioError
from realpolitik.models.base import Result
from realpolitik.scenario.model import Scenario

DAYS_PER_MONTH = 365.25 / 12.0


@dataclass
class Timeline:
    """Re-forecasts at the timeline's dates (``rows``: plain data, one per date)."""

    scenario_title: str
    as_of: dt.date
    horizons: list[str]
    rows: list[dict[str, Any]]
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Result] = field(default_factory=dict)  # full war results by date (iso)

    def to_dict(self) -> dict[str, Any]:
        return {
            "analysis": "timeline",
            "as_of": self.as_of.isoformat(),
            "horizons": self.horizons,
            "rows": self.rows,
            "seed": self.seed,
            "options": self.options,
            "note": NOTE,
        }

    def to_result(self, scenario: Scenario) -> Result:
        """As a result (model ``war-timeline``, ``details.analysis = "timeline"``): the run
        history, the report and the web show it like any analysis result."""
        return Result.for_scenario(scenario, "war-timeline", dict(self.options), {}, details=self.to_dict(), seed=self.seed)


NOTE = (
    "Each row forecasts from its date, conditioned on the record up to it (the war's history, the battles "
    "since as_of fought without a deal, the events dated on or before it); horizons count from the row's date. "
    "The terms hold only for wars that end in a negotiated settlement; ± is the simulation error of each "
    "estimate (95%), not forecast uncertainty."
)


def timeline_dates(
    scenario: Scenario, dates=(), every: float | None = None, until: dt.date | None = None
) -> list[tuple[dt.date, str]]:
    """``(date, what)`` of the rows: ``as_of``, every event dated after it, the extra
    ``dates`` and (with ``every``) a date every ``every`` months up to ``until`` (default:
    the last event, or ``max_months`` after ``as_of``)."""
    as_of = scenario.as_of
    if scenario.war is None:
        raise ScenarioError("the scenario has no war section: the timeline re-forecasts the war layer", "war")
    if as_of is None:
        raise ScenarioError("the scenario needs an as_of date to lay out a timeline", "as_of")
    out: dict[dt.date, list[str]] = {as_of: ["as_of"]}
    for ev in scenario.events:
        if ev.date is not None and ev.date > as_of:
            out.setdefault(ev.date, []).append(f"event {ev.id}" if ev.id else "event")
    for bt in scenario.war.battles:
        if bt.date is not None and bt.date > as_of:
            out.setdefault(bt.date, []).append(f"battle {bt.id or ''}".strip())
    for d in dates:
        if d < as_of:
            raise OptionError([Problem("--as-of", f"{d} is before the scenario's as_of {as_of}")])
        out.setdefault(d, []).append("requested")
    if every is not None:
        if not every > 0:
            raise OptionError([Problem("--every", f"must be a positive number of months, got {every}")])
        end = until or max(max(out), as_of + dt.timedelta(days=scenario.war.max_months * DAYS_PER_MONTH))
        k = 1
        while True:
            d = as_of + dt.timedelta(days=round(k * every * DAYS_PER_MONTH))
            if d > end:
                break
            out.setdefault(d, []).append(f"{k * every:g} months on")
            k += 1
    if until is not None:
        out = {d: w for d, w in out.items() if d <= until or d == as_of}
    return [(d, ", ".join(w)) for d, w in sorted(out.items())]


def _branches(scenario: Scenario, day: dt.date, what: str) -> list[tuple[str, Scenario]]:
    """The scenario(s) a row forecasts from: an uncertain event (probability below 1) dated
    on ``day`` after ``as_of`` is part of the record there, so the row splits in two - the
    event happened (probability 1) and it did not (left out); otherwise the scenario."""
    uncertain = [e for e, ev in enumerate(scenario.events)
                 if ev.date == day and day > scenario.as_of and ev.probability < 1]  # fmt: skip
    if not uncertain:
        return [(what, scenario)]
    out = []
    for e in uncertain:
        label = scenario.events[e].id or f"events.{e}"
        events = [ev.model_dump() for ev in scenario.events]
        events[e]["probability"] = 1.0
        out.append((f"{what} (happened)", scenario.replace(events=events)))
        war = scenario.war.model_dump()
        war["battles"] = [b for b in war["battles"] if b.get("event") != scenario.events[e].id]  # its battles with it
        out.append((f"{what} (event {label} did not happen)", scenario.replace(events=events[:e] + events[e + 1:], war=war)))
    return out


def war_timeline(
    scenario: Scenario,
    options: dict[str, Any] | None = None,
    seed: int = 0,
    dates=(),
    every: float | None = None,
    until: dt.date | None = None,
    keep_results: bool = False,
    progress=None,
) -> Timeline:
    """Re-forecast the war at each date of :func:`timeline_dates` (see the module docstring)."""
    from realpolitik.models import get_model

    opts = {k: v for k, v in (options or {}).items() if k != "as_of"}
    opts.setdefault("what_if", False)
    rows: list[dict[str, Any]] = []
    results: dict[str, Result] = {}
    plan = timeline_dates(scenario, dates, every, until)
    horizons: list[str] = []
    runs = []
    for day, what in plan:
        runs.extend((day, w, sc) for w, sc in _branches(scenario, day, what))
    for i, (day, what, scen_day) in enumerate(runs):
        if progress is not None:
            progress(f"{i + 1}/{len(runs)}: {day}")
        model = get_model("war", **opts, as_of=day.isoformat())
        res = model.run(scen_day, rng=seed)
        d = res.details
        horizons = list(d["settlement_probability"])
        st = d["settlement_terms"]
        row = {
            "date": day.isoformat(),
            "what": what,
            "months_after_as_of": (day - scenario.as_of).days / DAYS_PER_MONTH,
            "settlement_probability": d["settlement_probability"],
            "settlement_probability_interval": d["settlement_probability_interval"],
            "war_continues_probability": d["war_continues_probability"],
            "terms": st["mean"] if st.get("settled_wars") else None,
            "terms_interval": st.get("mean_interval"),
            "effective_sample_size": d["effective_sample_size"],
            "consistent_share": d["record"]["consistent_share"],
            "battles_in_record": d["record"]["battles_in_record"],
        }
        earlier = [r for r in rows if r["date"] != row["date"]]  # branches of one date compare with the date before
        if earlier:
            prev = earlier[-1]["settlement_probability"][horizons[-1]]
            row["change"] = f"{row['settlement_probability'][horizons[-1]] - prev:+.1%}"
        rows.append(row)
        if keep_results:
            results.setdefault(day.isoformat(), res)
    clean = {k: v for k, v in opts.items() if not (isinstance(v, float) and math.isnan(v))}
    return Timeline(scenario.title, scenario.as_of, horizons, rows, seed, clean, results)

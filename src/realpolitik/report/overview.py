"""The forecast overview: the ensemble's headline first, then the models that compose it.

Shared by the command line, the HTML report and the workbench (no computation here: it
reads the ``ensemble`` result's tables and, where present, the war layer's result).  The
war layer is never averaged in: its terms hold only for wars that end in a deal, so it is
shown apart, labelled so, under each issue it forecasts.
"""

from __future__ import annotations

import math

from realpolitik.models.base import Result, Table
from realpolitik.models.ensemble.model import component_tables, headline_table
from realpolitik.scenario.model import Scenario


def war_note(war: Result | None, issue: str) -> str | None:
    """The war layer's terms on ``issue``, apart and labelled as conditional on a deal."""
    if war is None:
        return None
    x = war.forecast.get(issue)
    if x is None or not math.isfinite(x):
        return None
    probs = war.details.get("settlement_probability") or {}
    by = ""
    if probs:
        h = max(probs, key=lambda k: float(k))
        by = f"; {100 * probs[h]:.0f}% of simulated wars reach a deal within {h} months"
    return (f"Not averaged in: the war layer expects terms of {x:.1f} if the war ends in a negotiated deal "
            f"(it holds only for wars that end in a deal{by}).")


def overview_tables(scenario: Scenario, results: list[Result]) -> list[Table]:
    """The headline and the per-issue component tables (nothing without an ensemble result)."""
    ens = next((r for r in results if r.model == "ensemble"), None)
    if ens is None or "issues" not in ens.details:
        return []
    war = next((r for r in results if r.model == "war"), None)
    notes = {iid: n for iid in ens.details["issues"] if (n := war_note(war, iid))}
    return [headline_table(ens, scenario), *component_tables(ens, scenario, notes)]

"""Render results and tables for the terminal with rich (no computation here)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.console import Group
from rich.table import Table as RichTable
from rich.text import Text

from realpolitik.models.base import Result, Table
from realpolitik.scenario.model import Scenario


def fmt_number(v: Any, digits: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        return f"{v:.{digits}f}"
    return str(v)


def render_table(t: Table, console: Console, wrap: set[str] | None = None) -> None:
    """Print a table; with ``wrap``, only the named columns may wrap (numbers stay on one line)."""
    rt = RichTable(title=t.title, title_justify="left", show_lines=False)
    for c in t.columns:
        rt.add_column(str(c), overflow="fold", no_wrap=wrap is not None and c not in wrap)
    for row in t.rows:
        rt.add_row(*[fmt_number(v) for v in row])
    console.print(rt)
    if t.note:
        console.print(f"[dim]{t.note}[/dim]")


def forecast_table(scenario: Scenario, results: list[Result], labels: dict[str, str], title: bool = True) -> Group:
    """Per issue, each model's forecast and the nearest labelled scale point.

    One small table per issue (title: the issue's label and scale) with a row per
    model, so that long scale labels stay readable in an 80-column terminal.
    """
    tables = []
    for iss in scenario.issues:
        rt = RichTable(
            title=f"{iss.label or iss.id}  [dim]({iss.id}, scale {iss.min:g}-{iss.max:g})[/dim]",
            title_justify="left",
            expand=False,
        )
        rt.add_column("model", no_wrap=True)
        rt.add_column("forecast", justify="right", no_wrap=True)
        rt.add_column("nearest labelled point", overflow="fold")
        shown = 0
        for r in results:
            v = r.forecast.get(iss.id)
            if v is None or not math.isfinite(v):
                continue
            p = iss.nearest_point(v)
            rt.add_row(labels.get(r.model, r.model), f"{v:.1f}", f"{p.value:g}: {p.label}" if p else "")
            shown += 1
        if shown:
            tables.append(rt)
    header = [Text(f"Forecast: {scenario.title}", style="bold")] if title else []
    notes = [Text(n, style="dim") for n in scenario_notes(scenario)] if title else []
    return Group(*header, *notes, *tables)


def scenario_notes(scenario: Scenario) -> list[str]:
    """What the loader assumed about the scenario's file (e.g. a flat table's scale), one line each."""
    return [f"note {n}" for n in scenario.load_notes]

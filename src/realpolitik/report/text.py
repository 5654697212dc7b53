"""Render results and tables for the terminal with rich (no computation here)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.table import Table as RichTable

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


def render_table(t: Table, console: Console) -> None:
    rt = RichTable(title=t.title, title_justify="left", show_lines=False)
    for c in t.columns:
        rt.add_column(str(c))
    for row in t.rows:
        rt.add_row(*[fmt_number(v) for v in row])
    console.print(rt)
    if t.note:
        console.print(f"[dim]{t.note}[/dim]")


def forecast_table(scenario: Scenario, results: list[Result], labels: dict[str, str]) -> RichTable:
    """Per issue, each model's forecast and the nearest labelled scale point."""
    rt = RichTable(title=f"Forecast: {scenario.title}", title_justify="left")
    rt.add_column("issue")
    rt.add_column("scale")
    for r in results:
        rt.add_column(labels.get(r.model, r.model), justify="right")
    for iss in scenario.issues:
        row = [iss.label or iss.id, f"{iss.min:g}-{iss.max:g}"]
        for r in results:
            v = r.forecast.get(iss.id)
            if v is None or not math.isfinite(v):
                row.append("-")
                continue
            p = iss.nearest_point(v)
            cell = f"{v:.1f}"
            if p is not None:
                cell += f"\n[dim]~ {p.value:g}: {p.label}[/dim]"
            row.append(cell)
        rt.add_row(*row)
    return rt

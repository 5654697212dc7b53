"""Render results and tables for the terminal with rich (no computation here)."""

from __future__ import annotations

import math
import re
import textwrap
from typing import Any

from rich.console import Console
from rich.markup import escape
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


#: a labelled point in a table cell is cut to this many characters; the full label follows once, below
SHORT_LABEL = 24
_POINT_CELL = re.compile(r"^(?P<value>-?[\d.]+(?:e[+-]?\d+)?): (?P<label>.+)$", re.S)


def short_label(label: str, limit: int = SHORT_LABEL) -> str:
    """A scale point's label cut for a table cell: up to its first clause mark, at most ``limit``
    characters, cut at a word with an ellipsis (the full label is printed once below)."""
    head = re.split(r"[:;,(]", label, maxsplit=1)[0].strip() or label
    if len(head) <= limit:
        return head + ("…" if head != label.strip() else "")
    cut = head[:limit].rsplit(" ", 1)[0] if " " in head[:limit] else head[:limit]
    return cut.rstrip(" ,;:") + "…"


def _shorten_points(t: Table) -> tuple[list[list[str]], list[str]]:
    """Cells ``VALUE: LABEL`` of the table's labelled-point columns with short labels, and the
    full labels once each (``ISSUE VALUE: LABEL``, the issue from the row's first cell)."""
    cols = {k for k, c in enumerate(t.columns) if "labelled point" in str(c)}
    rows, legend = [], []
    for row in t.rows:
        cells = [fmt_number(v) for v in row]
        for k in cols:
            m = _POINT_CELL.match(cells[k]) if k < len(cells) else None
            if m and len(m.group("label")) > SHORT_LABEL:
                cells[k] = f"{m.group('value')}: {short_label(m.group('label'))}"
                full = f"{cells[0]} {m.group('value')}: {m.group('label')}"
                if full not in legend:
                    legend.append(full)
        rows.append(cells)
    return rows, legend


def _one_word(cells: list[str]) -> bool:
    """A column of ids and numbers: no cell holds a space but in ``± error`` (such a column is never
    split: ``48.8% ± 1.5%`` is one number)."""
    return all(" " not in c.replace(" ± ", "±").replace("± ", "±") and "\n" not in c for c in cells)


def render_table(t: Table, console: Console, wrap: set[str] | None = None) -> None:
    """Print a table readable in 80 columns.

    Columns of ids and numbers are never split (their headers wrap at spaces instead); text
    columns wrap at words.  A labelled scale point in a cell is shortened and its full label
    printed once under the table.  With ``wrap``, only the named columns may wrap.
    """
    rows, legend = _shorten_points(t)
    rt = RichTable(title=t.title, title_justify="left", show_lines=False)
    columns = []
    for k, c in enumerate(t.columns):
        cells = [r[k] for r in rows if k < len(r)]
        keep = (wrap is not None and c not in wrap) or (bool(cells) and _one_word(cells))
        columns.append((c, cells, keep))
    # the table's width with the headers of the unsplit columns on one line (the text columns'
    # headers wrap at their spaces anyway); 3 = padding and rule per column
    natural = 1 + sum(
        max([len(x) for x in cells] + [len(str(c)) if keep else max(map(len, str(c).split() or [""]))]) + 3
        for c, cells, keep in columns
    )
    for c, cells, keep in columns:
        if keep:
            width = max([len(x) for x in cells] + [max((len(w) for w in str(c).split()), default=1)])
            # the header wraps at its spaces only when the table would not fit otherwise
            header = str(c)
            if natural > console.width:
                header = textwrap.fill(header, width=max(width, 1), break_long_words=False)
            rt.add_column(header, no_wrap=True, min_width=width)
        else:
            rt.add_column(str(c), overflow="fold")
    for row in rows:
        rt.add_row(*row)
    console.print(rt)
    for line in legend:
        console.print(f"[dim]{escape(line)}[/dim]", highlight=False)
    if t.note:
        console.print(f"[dim]{escape(t.note)}[/dim]", highlight=False)


def forecast_table(scenario: Scenario, results: list[Result], labels: dict[str, str], title: bool = True) -> Group:
    """Per issue, each model's forecast and the nearest labelled scale point.

    One small table per issue (title: the issue's label and scale) with a row per
    model, so that long scale labels stay readable in an 80-column terminal.
    """
    tables = []
    for iss in scenario.issues:
        # the title above the table, not in it: a narrow table would wrap a long issue label
        title_line = Text(iss.label or iss.id)
        title_line.append(f"  ({iss.id}, scale {iss.min:g}-{iss.max:g})", style="dim")
        rt = RichTable(expand=False)
        rt.add_column("model", no_wrap=True)
        rt.add_column("forecast", justify="right", no_wrap=True)
        rt.add_column("nearest labelled point", overflow="fold")
        shown, full = 0, []
        for r in results:
            v = r.forecast.get(iss.id)
            if v is None or not math.isfinite(v):
                continue
            p = iss.nearest_point(v)
            cell = ""
            if p is not None:  # a short label in the table, the full one once below it
                cell = f"{p.value:g}: {short_label(p.label) if len(p.label) > SHORT_LABEL else p.label}"
                if len(p.label) > SHORT_LABEL and f"{p.value:g}: {p.label}" not in full:
                    full.append(f"{p.value:g}: {p.label}")
            rt.add_row(labels.get(r.model, r.model), f"{v:.1f}", cell)
            shown += 1
        if shown:
            tables += [title_line, rt]
            tables += [Text(line, style="dim") for line in full]
    header = [Text(f"Forecast: {scenario.title}", style="bold")] if title else []
    notes = [Text(n, style="dim") for n in scenario_notes(scenario)] if title else []
    return Group(*header, *notes, *tables)


def scenario_notes(scenario: Scenario) -> list[str]:
    """What the loader assumed about the scenario's file (e.g. a flat table's scale), one line each."""
    return [f"note {n}" for n in scenario.load_notes]

"""``realpolitik timeline [SCENARIO]``: re-forecast the war at each dated event after as_of.

The command only translates between people and :func:`realpolitik.analysis.timeline.war_timeline`:
a table of how P(settlement within each horizon) and the expected terms moved from one
date to the next, an optional chart (``--plot``: PNG/SVG/PDF by matplotlib, HTML by
plotly), an optional HTML report (``--report``) and, with ``--as-of DATE``, the full war
forecast as of that date.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Optional

import typer

from realpolitik.cli import JsonOpt, ScenarioArg, SeedOpt, app, emit_json, err, out
from realpolitik.errors import OptionError, Problem


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise OptionError([Problem(option, f"{text!r} is not a date (expected YYYY-MM-DD)")]) from None


@app.command()
def timeline(
    scenario: ScenarioArg = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="Also forecast as of this date (YYYY-MM-DD, on or after as_of) and show that forecast in full.")
    ] = None,
    every: Annotated[
        Optional[float], typer.Option("--every", help="Also re-forecast every this many months (e.g. 3).")
    ] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="Last date of the timeline (YYYY-MM-DD).")] = None,
    option: Annotated[
        Optional[list[str]], typer.Option("--option", "-o", help="War model option KEY=VALUE (repeatable), e.g. draws=2000.")
    ] = None,
    seed: SeedOpt = None,
    plot: Annotated[
        Optional[Path], typer.Option("--plot", help="Write the chart: PNG, SVG or PDF (matplotlib) or HTML (plotly), by extension.")
    ] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write an HTML report with the timeline and the war forecast.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Re-forecast the war at each dated event after as_of: how P(settlement) and the terms moved."""
    from realpolitik.analysis.timeline import war_timeline
    from realpolitik.cli import load, parse_options
    from realpolitik.report.text import render_table

    scen = load(scenario)
    opts = parse_options(option)
    if "as_of" in opts:
        raise OptionError([Problem("--option as_of", "use --as-of DATE")])
    day = _date(as_of, "--as-of")
    last = _date(until, "--until")
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf", ".html"):
        raise OptionError([Problem(f"--plot {plot}", "the file must end in .png, .svg, .pdf or .html")])
    from realpolitik.models import get_model

    get_model("war", **opts)  # a bad option is reported before any run, naming the option
    s = 0 if seed is None else seed
    tl = war_timeline(
        scen, opts, s, dates=[day] if day else (), every=every, until=last, keep_results=True,
        progress=None if json_ else (lambda what: err.print(f"[dim]re-forecast {what}[/dim]", highlight=False)),
    )  # fmt: skip
    result = tl.to_result(scen)
    from realpolitik.store import record_runs_safely

    record_runs_safely(scen, [result], source="cli")
    written = []
    if plot is not None:
        written.append(_write_plot(tl.to_dict(), plot))
    if report is not None:
        from realpolitik.report.html import render_report
        from realpolitik.scenario.writers import atomic_write

        first = tl.results[tl.rows[0]["date"]] if day is None else tl.results[day.isoformat()]
        labels = {"war": get_model("war").label, "war-timeline": "War bargaining: timeline of re-forecasts"}
        content = render_report(scen, [first, result], fmt="html", labels=labels)
        atomic_write(report, content)
        written.append(str(report))
    if json_:
        data = result.to_dict()
        if day is not None:
            data["details"]["as_of_forecast"] = tl.results[day.isoformat()].to_dict()["details"]
        data["details"]["written"] = written
        emit_json(data)
        return
    from realpolitik.report.timeline import timeline_table

    render_table(timeline_table(tl.to_dict()), out)
    if len(tl.rows) == 1:
        err.print("[dim]no dated events after as_of: --every MONTHS or --as-of DATE add dates[/dim]")
    if day is not None:
        res = tl.results[day.isoformat()]
        model = get_model("war", **opts, as_of=day.isoformat())
        for t in model.describe(res, scen):
            render_table(t, out)
    for w in written:
        err.print(f"wrote {w}")


def _write_plot(data: dict, target: Path) -> str:
    from realpolitik.commands.analysis import save_figure
    from realpolitik.errors import OptionError as _OE

    if target.suffix.lower() != ".html":
        from realpolitik.report.timeline import mpl_timeline

        save_figure(mpl_timeline(data), target)
        return str(target)
    from realpolitik.report.timeline import plotly_timeline
    from realpolitik.scenario.writers import atomic_write

    try:
        atomic_write(target, plotly_timeline(data).to_html(include_plotlyjs=True, full_html=True).encode("utf-8"))
    except OSError as exc:
        raise _OE([Problem(f"--plot {target}", f"cannot write the chart: {exc.strerror or exc}")]) from None
    return str(target)

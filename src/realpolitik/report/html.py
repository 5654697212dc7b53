"""Reports: one self-contained HTML file (plots embedded as inline SVG) or the same as a PDF.

The report holds the scenario (issues, actors x issues table, sources and the
quotes behind the numbers), each model's forecast on the labelled scale, the
models' own tables (``Model.describe``), their trajectories, and the war layer's
settlement curve where present.  Nothing is fetched: no script, stylesheet, font
or image is loaded from anywhere, so the file opens offline and can be mailed.

``render_report(scenario, results, fmt="html"|"pdf") -> bytes`` is the entry
point; results may be :class:`~realpolitik.models.base.Result` objects or their
``to_dict()`` form (e.g. from the run history).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from realpolitik.models.base import Result, Table
from realpolitik.report import plots
from realpolitik.report.timeline import mpl_timeline
from realpolitik.scenario.model import Scenario


def _as_result(r: Any) -> Result:
    if isinstance(r, Result):
        return r
    return Result.from_dict(r.to_dict() if hasattr(r, "to_dict") else dict(r))


def model_tables(result: Result, scenario: Scenario) -> list[Table]:
    """The model's own display tables, rebuilt from its name and options (empty if unknown)."""
    from realpolitik.models import available_models

    result = _as_result(result)
    if (result.details or {}).get("analysis"):
        return analysis_tables(result, scenario)
    cls = available_models().get(result.model)
    if cls is None:
        return []
    try:
        return cls(**result.options).describe(result, scenario)
    except Exception:  # noqa: BLE001 - a report must not fail on one model's extra tables
        return []


def analysis_tables(result: Result, scenario: Scenario) -> list[Table]:
    """Tables for results of the analysis layer (a model's own tables would misread them)."""
    d = result.details or {}
    kind = d.get("analysis")
    names = {i.id: i.label or i.id for i in scenario.issues}
    if kind == "monte-carlo":
        summ, point = d.get("summary") or {}, d.get("point_forecast") or {}
        rows = [[names.get(i, i), point.get(i), s.get("mean"), s.get("median"), s.get("sd"), s.get("p10"), s.get("p90")]
                for i, s in summ.items()]  # fmt: skip
        out = [Table(f"Monte Carlo: {d.get('draws')} draws, spread {d.get('spread')}",
                     ["issue", "point forecast", "mean", "median", "sd", "p10", "p90"], rows,
                     f"seed {result.seed}; {d.get('uncertain_inputs', 0)} inputs with their own distribution")]  # fmt: skip
        th = d.get("thresholds") or {}
        if th:
            out.append(Table("Threshold probabilities", ["threshold", "share of draws"], [[k, v] for k, v in th.items()]))
        return out
    if kind == "sensitivity":
        out = []
        for iid, rows in (d.get("tornado") or {}).items():
            out.append(Table(f"Sensitivity ({d.get('method')}): {names.get(iid, iid)}",
                             ["input", "forecast at low", "at high", "swing"],
                             [[r.get("name"), r.get("low"), r.get("high"), r.get("swing")] for r in rows[:10]],
                             "one input at its low/high end, the others at their point values"))  # fmt: skip
        return out
    if kind == "timeline":
        from realpolitik.report.timeline import timeline_table

        return [timeline_table(d)]
    return []


def default_labels(results: Sequence[Result]) -> dict[str, str]:
    """Display names of the models (their ``label``), by model name."""
    from realpolitik.models import available_models

    reg = available_models()
    return {r.model: (getattr(reg.get(r.model), "label", "") or r.model) for r in results}


def fmt_cell(v: Any, digits: int = 2) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "-" if not math.isfinite(v) else f"{v:.{digits}f}"
    return str(v)


#: an A4 page's text width (the PDF's margins) in ems of the tables' 7.5 pt type
PAGE_EMS = 70.0


def too_wide(columns: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bool:
    """True when a table's narrowest layout (each column as wide as its longest word) would not
    fit an A4 page: the PDF then sets it smaller and lets it break words anywhere, so that
    nothing runs off the page."""
    longest = [max((len(w) for w in str(c).split()), default=0) for c in columns]
    for row in rows:
        for k, cell in enumerate(row[: len(longest)]):
            longest[k] = max(longest[k], max((len(w) for w in str(cell).split()), default=0))
    return sum(0.62 * n + 0.9 for n in longest) > PAGE_EMS


def table_dict(t: Table) -> dict[str, Any]:
    """A table as the templates read it (cells formatted; ``wide`` when it needs the PDF's narrow setting)."""
    rows = [[fmt_cell(c) for c in row] for row in t.rows]
    return {"title": t.title, "columns": t.columns, "rows": rows, "note": t.note, "wide": too_wide(t.columns, rows)}


def forecast_rows(scenario: Scenario, results: Sequence[Result]) -> list[dict[str, Any]]:
    """Per issue: each model's forecast and the nearest labelled point of the scale."""
    rows = []
    for iss in scenario.issues:
        cells = []
        for r in results:
            v = r.forecast.get(iss.id)
            if v is None or not math.isfinite(v):
                cells.append({"value": "-", "label": ""})
                continue
            p = iss.nearest_point(v)
            cells.append({"value": f"{v:.1f}", "label": f"~ {p.value:g}: {p.label}" if p else ""})
        rows.append({"issue": iss.label or iss.id, "id": iss.id, "scale": f"{iss.min:g}-{iss.max:g}", "cells": cells})
    return rows


def actor_rows(scenario: Scenario) -> list[dict[str, Any]]:
    rows = []
    for a in scenario.actors:
        cells = []
        for iss in scenario.issues:
            if iss.id in a.positions:
                cells.append({"pos": f"{a.positions[iss.id]:g}", "sal": f"{a.saliences[iss.id]:g}"})
            else:
                cells.append(None)
        rows.append({"id": a.id, "label": a.label, "group": a.group or "", "parent": a.parent or "",
                     "capability": f"{a.capability:g}", "cells": cells})  # fmt: skip
    return rows


def notes(scenario: Scenario) -> list[dict[str, str]]:
    out = []
    for a in scenario.actors:
        for n in a.notes:
            out.append({"actor": a.label, "field": n.field, "text": n.text, "quote": n.quote or "", "source": n.source or ""})
    return out


def _analysis_suffix(details: Mapping[str, Any] | None) -> str:
    """' - Monte Carlo' etc. for results of an analysis (analysis/ layer), else ''."""
    kind = (details or {}).get("analysis")
    if not isinstance(kind, str) or not kind:
        return ""
    method = (details or {}).get("method")
    return f" \u2013 {kind.replace('-', ' ')}" + (f" ({method})" if isinstance(method, str) else "")


def _context(scenario: Scenario, results: Sequence[Result], labels: Mapping[str, str],
             tables: Mapping[str, list[Table]], extra_sections: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:  # fmt: skip
    from realpolitik._version import __version__

    svg = plots.figure_svg
    charts: dict[str, Any] = {"forecasts": svg(plots.mpl_forecasts(results, scenario)) if results else None}
    charts["actor_maps"] = [svg(plots.mpl_actor_map(scenario, i)) for i in scenario.issue_ids]
    sections = []
    for r in results:
        d = r.to_dict()
        sec = {
            "name": r.model,
            "label": labels.get(r.model, r.model) + _analysis_suffix(r.details),
            "options": ", ".join(f"{k}={v}" for k, v in r.options.items()) or "defaults",
            "seed": r.seed,
            "elapsed": f"{r.elapsed:.3f} s" if r.elapsed is not None else "-",
            "tables": [table_dict(t) for t in tables.get(r.model, [])],
            "trajectory": svg(plots.mpl_positions(d, scenario)) if plots.has_trajectory(d) else None,
            "settlement": svg(plots.mpl_settlement(d)) if plots.settlement_series(d) else None,
            "histograms": [svg(plots.mpl_histogram(v, i, scenario)) for i, v in plots.histograms_of(d).items()],
            "tornados": [svg(plots.mpl_tornado(rows[:15], base=r.forecast.get(i), title=f"Sensitivity: {i}"))
                         for i, rows in plots.tornado_of(d).items()],  # fmt: skip
            "note": (r.details or {}).get("note") if isinstance((r.details or {}).get("note"), str) else None,
            "timeline": svg(mpl_timeline(r.details)) if (r.details or {}).get("analysis") == "timeline" else None,
        }
        sections.append(sec)
    for extra in extra_sections:  # analyses with their own tables and figures (e.g. advise)
        sections.append({
            "name": extra["name"], "label": extra["label"], "options": extra.get("options", ""),
            "seed": extra.get("seed"), "elapsed": extra.get("elapsed", "-"), "note": extra.get("note"),
            "tables": [table_dict(t) for t in extra.get("tables", [])],
            "charts": [svg(f) for f in extra.get("figures", [])],
            "trajectory": None, "settlement": None, "histograms": [], "tornados": [],
        })  # fmt: skip
    from realpolitik.report.overview import overview_tables

    headline = [table_dict(t) for t in overview_tables(scenario, results)]
    # side by side only what answers the same question: the war layer's terms (conditional on
    # a deal) stay in its own section when the ensemble heads the report
    side = [r for r in results if not (headline and r.model == "war")]
    return {
        "s": scenario,
        "hash": scenario.content_hash(),
        "headline": headline,
        "models": [labels.get(r.model, r.model) for r in side],
        "forecast_rows": forecast_rows(scenario, side),
        "forecast_wide": too_wide(["issue", "scale", *[labels.get(r.model, r.model) for r in side]],
                                  [[r["issue"], r["scale"], *[f"{c['value']} {c['label']}" for c in r["cells"]]]
                                   for r in forecast_rows(scenario, side)]),  # fmt: skip
        "actor_rows": actor_rows(scenario),
        "actors_wide": too_wide(["actor", "group", "capability", *scenario.issue_ids],
                                [[a.label, a.group or "", "", *["000 / 000"] * len(scenario.issues)] for a in scenario.actors]),
        "notes": notes(scenario),
        "charts": charts,
        "sections": sections,
        "version": __version__,
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _env():
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("realpolitik.report", "templates"), autoescape=select_autoescape(["html", "j2"]))


def render_html(scenario: Scenario, results: Sequence[Any], labels: Mapping[str, str] | None = None,
                tables: Mapping[str, list[Table]] | None = None,
                extra_sections: Sequence[Mapping[str, Any]] = (), for_print: bool = False) -> str:  # fmt: skip
    """The report as one self-contained HTML string.

    ``extra_sections``: further sections, each ``{"name", "label", "note", "tables": [Table],
    "figures": [matplotlib figures]}`` (e.g. :func:`realpolitik.report.advise.advice_section`).
    """
    from markupsafe import Markup

    rs = [_as_result(r) for r in results]
    tabs = dict(tables) if tables is not None else {r.model: model_tables(r, scenario) for r in rs}
    ctx = _context(scenario, rs, labels or default_labels(rs), tabs, extra_sections)
    ctx["for_print"] = for_print  # the PDF's layout: A4 pages, wrapped cells, no sticky headers
    # the SVGs come from matplotlib, not from user input: mark them safe
    ctx["charts"]["forecasts"] = Markup(ctx["charts"]["forecasts"]) if ctx["charts"]["forecasts"] else None
    ctx["charts"]["actor_maps"] = [Markup(x) for x in ctx["charts"]["actor_maps"]]
    for sec in ctx["sections"]:
        for key in ("trajectory", "settlement", "timeline"):
            if sec.get(key):
                sec[key] = Markup(sec[key])
        for key in ("histograms", "tornados", "charts"):
            sec[key] = [Markup(x) for x in sec.get(key, [])]
    return _env().get_template("report.html.j2").render(**ctx)


def render_pdf(scenario: Scenario, results: Sequence[Any], labels: Mapping[str, str] | None = None,
               tables: Mapping[str, list[Table]] | None = None,
               extra_sections: Sequence[Mapping[str, Any]] = ()) -> bytes:  # fmt: skip
    """The report as a PDF: the HTML report itself, laid out on A4 pages by WeasyPrint.

    One template, so the PDF carries everything the HTML does (every table with every row,
    every chart, the sources); the print stylesheet of the template wraps long cells instead
    of letting a table run off the page, repeats table headers on each page, keeps headings
    with what follows and numbers the pages.  WeasyPrint needs Debian's pango and a font
    (``scripts/install-system-deps.sh``).
    """
    try:
        from weasyprint import HTML
    except OSError as exc:  # the pango library is missing: a one-line error, not a traceback
        from realpolitik.errors import OptionError, Problem

        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OptionError([Problem("pdf report", "needs Debian's libpango-1.0-0, libpangoft2-1.0-0 and a font "
                                                 f"(bash scripts/install-system-deps.sh): {first}")]) from None
    html = render_html(scenario, results, labels, tables, extra_sections, for_print=True)
    return HTML(string=html, base_url=None).write_pdf(pdf_identifier=b"realpolitik", uncompressed_pdf=False)


def render_report(scenario: Scenario, results: Sequence[Any], fmt: str = "html",
                  labels: Mapping[str, str] | None = None, tables: Mapping[str, list[Table]] | None = None,
                  extra_sections: Sequence[Mapping[str, Any]] = ()) -> bytes:  # fmt: skip
    """The report as bytes: ``fmt`` is ``html`` or ``pdf``."""
    if fmt == "pdf":
        return render_pdf(scenario, results, labels, tables, extra_sections)
    if fmt == "html":
        return render_html(scenario, results, labels, tables, extra_sections).encode("utf-8")
    raise ValueError(f"unknown report format {fmt!r}: expected html or pdf")

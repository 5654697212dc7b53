"""Results as files: the forecast document (JSON), a long CSV table and an Excel workbook.

One JSON shape whatever the number of models (``realpolitik forecast --json``, ``--out
FILE.json``, docs/architecture.md)::

    {"scenario": {"title": ..., "hash": "sha256:..."}, "seed": 7, "results": [Result, ...]}

Each entry of ``results`` is one model's :class:`~realpolitik.models.base.Result` as
``to_dict()`` gives it.  The CSV is the long table the workbench downloads as
``result.csv`` (``kind, model, round, actor, issue, value``: the forecast, then each
round's positions, medians and means); the workbook holds the forecast side by side
(one column per model), the same long table, and each run's model, options, seed and
version.  Results may be :class:`Result` objects or their ``to_dict()`` form.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

#: the columns of the long table (CSV, the workbook's ``results`` sheet, the web download)
LONG_COLUMNS = ("kind", "model", "round", "actor", "issue", "value")
#: what ``--out`` writes, by extension
FORMATS = ("json", "csv", "xlsx")


def _dict(result: Any) -> dict[str, Any]:
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)


def forecast_document(results: Sequence[Any], seed: int | None = None) -> dict[str, Any]:
    """The one JSON document of a forecast: scenario, seed, and every model's result."""
    payloads = [_dict(r) for r in results]
    first = payloads[0] if payloads else {}
    if seed is None:
        seeds = {p.get("seed") for p in payloads}
        seed = seeds.pop() if len(seeds) == 1 else None
    return {"scenario": first.get("scenario", {}), "seed": seed, "results": payloads}


def document_json(results: Sequence[Any], seed: int | None = None) -> bytes:
    return (json.dumps(forecast_document(results, seed), indent=2, allow_nan=False, default=str) + "\n").encode()


def long_rows(result: Mapping[str, Any] | Any) -> Iterator[list[Any]]:
    """Rows of the long table for one result: forecast, positions per round, medians, means."""
    res = _dict(result)
    model = res.get("model", "")
    for iid, v in (res.get("forecast") or {}).items():
        yield ["forecast", model, "", "", iid, "" if v is None else v]
    hist = res.get("history") or {}
    actors, issues = res.get("actors") or [], res.get("issues") or []
    for k, rnd in enumerate(hist.get("positions") or []):
        for a, row in zip(actors, rnd):
            for iid, v in zip(issues, row):
                yield ["position", model, k, a, iid, "" if v is None else v]
    for key in ("median", "mean"):
        for iid, series in (hist.get(key) or {}).items():
            for k, v in enumerate(series):
                yield [key, model, k, "", iid, "" if v is None else v]


def results_csv(results: Sequence[Any]) -> bytes:
    """The long table of every result as CSV (UTF-8, a header line first)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LONG_COLUMNS)
    for r in results:
        w.writerows(long_rows(r))
    return buf.getvalue().encode("utf-8")


def results_xlsx(results: Sequence[Any], issue_labels: Mapping[str, str] | None = None) -> bytes:
    """A workbook: ``forecast`` (issue x model), ``results`` (the long table), ``runs``."""
    from openpyxl import Workbook

    payloads = [_dict(r) for r in results]
    labels = dict(issue_labels or {})
    wb = Workbook()
    ws = wb.active
    ws.title = "forecast"
    ws.append(["issue", "label", *[p.get("model", "") for p in payloads]])
    issues = list(dict.fromkeys(i for p in payloads for i in (p.get("issues") or p.get("forecast") or {})))
    for iid in issues:
        ws.append([iid, labels.get(iid, iid), *[(p.get("forecast") or {}).get(iid) for p in payloads]])
    long = wb.create_sheet("results")
    long.append(list(LONG_COLUMNS))
    for p in payloads:
        for row in long_rows(p):
            long.append(row)
    runs = wb.create_sheet("runs")
    runs.append(["model", "seed", "version", "scenario", "scenario hash", "options"])
    for p in payloads:
        scen = p.get("scenario") or {}
        seed = p.get("seed")
        # a 63-bit seed as text: Excel keeps 15 significant digits of a number
        runs.append([p.get("model", ""), "" if seed is None else str(seed), p.get("version", ""), scen.get("title", ""),
                     scen.get("hash", ""), json.dumps(p.get("options") or {}, sort_keys=True, default=str)])  # fmt: skip
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def render_results(results: Sequence[Any], fmt: str, seed: int | None = None,
                   issue_labels: Mapping[str, str] | None = None) -> bytes:  # fmt: skip
    """The results as the bytes of a ``json``, ``csv`` or ``xlsx`` file."""
    if fmt == "json":
        return document_json(results, seed)
    if fmt == "csv":
        return results_csv(results)
    if fmt == "xlsx":
        return results_xlsx(results, issue_labels)
    raise ValueError(f"unknown results format {fmt!r}: expected one of {', '.join(FORMATS)}")

"""``/api/runs/{id}/result.json|.csv|report``: a stored run as a file."""

from __future__ import annotations

import csv
import io
import json

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from realpolitik.web.context import UserError, Workbench, workbench
from realpolitik.web.runs import MAX_SEED

router = APIRouter(prefix="/api", tags=["downloads"])
RunId = Path(ge=1, le=MAX_SEED, description="run id")


@router.get("/runs/{run_id}/result.json", summary="Download the result as JSON")
def dl_json(run_id: int = RunId, wb: Workbench = Depends(workbench)) -> Response:
    rec = wb.get_run(run_id)
    body = json.dumps(rec.result, indent=2) + "\n"
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="run-{rec.id}-{rec.model}.json"'})  # fmt: skip


@router.get("/runs/{run_id}/result.csv", summary="Download the result as CSV (forecast and trajectory, long format)")
def dl_csv(run_id: int = RunId, wb: Workbench = Depends(workbench)) -> Response:
    rec = wb.get_run(run_id)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["kind", "model", "round", "actor", "issue", "value"])
    for iid, v in rec.forecast.items():
        w.writerow(["forecast", rec.model, "", "", iid, "" if v is None else v])
    res = rec.result
    hist = res.get("history") or {}
    actors, issues = res.get("actors") or [], res.get("issues") or []
    for k, rnd in enumerate(hist.get("positions") or []):
        for a, row in zip(actors, rnd):
            for iid, v in zip(issues, row):
                w.writerow(["position", rec.model, k, a, iid, "" if v is None else v])
    for key in ("median", "mean"):
        for iid, series in (hist.get(key) or {}).items():
            for k, v in enumerate(series):
                w.writerow([key, rec.model, k, "", iid, "" if v is None else v])
    return Response(buf.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="run-{rec.id}-{rec.model}.csv"'})  # fmt: skip


@router.get("/runs/{run_id}/report", summary="Download the report (HTML or PDF)")
def dl_report(
    run_id: int = RunId, format: str = Query("html", pattern="^(html|pdf)$"), wb: Workbench = Depends(workbench)
) -> Response:
    from realpolitik.report.html import render_report

    rec = wb.get_run(run_id)
    scen = wb.scenario_of_run(rec)
    if scen is None:
        raise UserError(409, f"run {run_id} has no readable scenario")
    content = render_report(scen, [rec.result], fmt=format)
    media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
    disp = "attachment" if format == "pdf" else "inline"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'{disp}; filename="run-{rec.id}-report.{format}"'})  # fmt: skip

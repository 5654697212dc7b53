"""The HTML pages: library, workbench editor, run history, one run, two runs side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from realpolitik._version import __version__
from realpolitik.web.context import Workbench, workbench
from realpolitik.web.routes.runs import diff
from realpolitik.web.runs import MAX_SEED

router = APIRouter(include_in_schema=False)


def page(wb: Workbench, request: Request, template: str, **ctx: Any) -> HTMLResponse:
    ctx.setdefault("store_note", wb.store_note)
    ctx.setdefault("version", __version__)
    return wb.templates.TemplateResponse(request, template, ctx)


def _boot(data: dict[str, Any]) -> str:
    return json.dumps(data).replace("</", "<\\/")


@router.get("/", response_class=HTMLResponse)
def index(request: Request, wb: Workbench = Depends(workbench)):
    recent = [] if wb.store is None else [r.summary() for r in wb.store.list_runs(limit=8)]
    return page(wb, request, "index.html", lib=wb.library(), recent=recent, max_mb=wb.max_upload / 1048576)


@router.get("/workbench", response_class=HTMLResponse)
def workbench_page(request: Request, scenario: str | None = None, model: str | None = None,
                   wb: Workbench = Depends(workbench)):  # fmt: skip
    from realpolitik.api import DEFAULT_MODELS
    from realpolitik.models import available_models

    ref, s, name = wb.resolve(scenario)
    reg = available_models()
    boot = {"ref": ref, "name": name, "data": s.to_data(), "models": wb.models_info(),
            "model": model if model in reg else wb.preferred_model(),
            "standard": [m for m in DEFAULT_MODELS if m in reg],
            "history": wb.store is not None}  # fmt: skip
    return page(wb, request, "workbench.html", s=s, ref=ref, name=name, boot=_boot(boot))


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, limit: int = Query(100, ge=1, le=1000), wb: Workbench = Depends(workbench)):
    recs = [] if wb.store is None else [r.summary() for r in wb.store.list_runs(limit=limit)]
    return page(wb, request, "runs.html", runs=recs)


@router.get("/runs/diff", response_class=HTMLResponse)
def diff_page(request: Request, a: int = Query(ge=1, le=MAX_SEED), b: int = Query(ge=1, le=MAX_SEED),
              wb: Workbench = Depends(workbench)):  # fmt: skip
    return page(wb, request, "diff.html", d=diff(wb, a, b))


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: int = PathParam(ge=1, le=MAX_SEED), wb: Workbench = Depends(workbench)):
    rec = wb.get_run(run_id)
    scen = wb.scenario_of_run(rec)
    boot = {"run_id": rec.id, "charts": wb.charts(rec.result, scen), "cards": wb.cards(rec.result, scen) if scen else [],
            "actors": (rec.scenario or {}).get("actors") or []}
    return page(wb, request, "run.html", r=rec.summary(), scen=scen,
                rows=wb.forecast_rows(rec.result, scen) if scen else [],
                tables=wb.tables_json(rec.result, scen) if scen else [],
                boot=_boot(boot))  # fmt: skip


def _vendor(path: Path, media: str) -> FileResponse:
    return FileResponse(path, media_type=media, headers={"Cache-Control": "public, max-age=86400"})


@router.get("/vendor/plotly.min.js")
def plotly_js():
    import plotly

    return _vendor(Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js", "application/javascript")


def _swagger_dir() -> Path:
    import fastapi_offline  # Swagger UI's files, shipped in the package (MIT): nothing from a CDN

    return Path(fastapi_offline.__file__).resolve().parent / "static"


@router.get("/vendor/swagger-ui-bundle.js")
def swagger_js():
    return _vendor(_swagger_dir() / "swagger-ui-bundle.js", "application/javascript")


@router.get("/vendor/swagger-ui.css")
def swagger_css():
    return _vendor(_swagger_dir() / "swagger-ui.css", "text/css")


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request, wb: Workbench = Depends(workbench)):
    """Interactive API docs: Swagger UI from the installed package, started by a script file (CSP: no inline script)."""
    return wb.templates.TemplateResponse(request, "api_docs.html", {"version": __version__})


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/healthz")
def health() -> dict[str, str]:
    return {"status": "ok"}

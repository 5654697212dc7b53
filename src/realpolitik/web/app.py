"""The local web workbench (FastAPI): scenario library, editor, runs, plots, history.

Pages (server-rendered Jinja2, a little plain JavaScript, plotly.js served from the
installed ``plotly`` package; no CDN):

``/``                  scenario library (built-ins and uploads), upload, recent runs
``/workbench?scenario=REF``  editor (actors x issues), model + options, results
``/runs``              run history;  ``/runs/{id}``: one run with its charts
``/runs/diff?a=&b=``   two runs side by side

JSON API under ``/api`` (OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``).
A scenario reference ``REF`` is ``builtin:<name>`` (only names in
``builtin_names()`` are accepted: nothing a client sends becomes a path) or
``lib:<id>`` (an upload or edit kept in the run-history database).

Safety: uploads over ``max_upload_bytes`` are refused (413) before they are
parsed; YAML is loaded with the safe loader (the scenario layer); user mistakes
come back as ``{"detail", "problems": [{"location", "message"}]}`` with a 4xx
status; any other error is a 500 with a one-line message and no stack trace, and
the server keeps serving.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from realpolitik.errors import Problem, ScenarioError
from realpolitik.store.db import _clean_json

HERE = Path(__file__).resolve().parent
DEFAULT_MAX_UPLOAD = 5 * 1024 * 1024
_REF = re.compile(r"^(builtin:[A-Za-z0-9][A-Za-z0-9_.\-]{0,100}|lib:[0-9]{1,12})$")
log = logging.getLogger("realpolitik.web")


class UserError(Exception):
    """A client mistake: status code, message, and located problems."""

    def __init__(self, status: int, detail: str, problems: list[Problem] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problems = problems or []


class RunRequest(BaseModel):
    """Run one model on a scenario (a reference, or edited scenario data)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="registered model name, e.g. expected-utility")
    scenario: str | None = Field(None, description="builtin:<name> or lib:<id>; default: the default scenario")
    data: dict[str, Any] | None = Field(None, description="edited scenario data (the shape of Scenario.to_data())")
    options: dict[str, Any] = Field(default_factory=dict, description="model options (only those to change)")
    seed: int | None = Field(None, ge=0, description="seed for every random draw")
    draws: int = Field(0, ge=0, le=100_000, description="Monte Carlo draws (0: a single point forecast)")
    spread: float = Field(0.0, ge=0.0, le=1.0, description="Monte Carlo: global perturbation of inputs without their own distribution")
    source: str = Field("api", pattern="^(api|web)$")


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    data: dict[str, Any]


def _problems_json(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"location": p.location, "message": p.message} for p in problems]


def _finite_or_none(v: Any) -> Any:
    return v if not (isinstance(v, float) and not math.isfinite(v)) else None


def create_app(db_url: str | None = None, max_upload_bytes: int = DEFAULT_MAX_UPLOAD) -> FastAPI:
    """Build the workbench app; ``db_url`` is the run history (default: as the CLI)."""
    from realpolitik._version import __version__
    from realpolitik.models import available_models
    from realpolitik.report import plots
    from realpolitik.scenario import DEFAULT_SCENARIO, Scenario, builtin_names, load_bytes, load_scenario
    from realpolitik.scenario.build import build_scenario, simple_locator
    from realpolitik.store import open_store, store_disabled

    app = FastAPI(
        title="realpolitik workbench",
        version=__version__,
        description="Run game-theoretic forecasts of negotiations and conflict decisions.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    store = None
    store_note = ""
    if db_url is not None or not store_disabled():
        try:
            store = open_store(db_url)
        except Exception as exc:  # noqa: BLE001 - the app works without a history
            store_note = f"run history unavailable: {str(exc).splitlines()[0]}"
            sys.stderr.write(f"warning: {store_note}\n")
    else:
        store_note = "run history switched off (REALPOLITIK_DB=off)"
    app.state.store = store
    app.state.max_upload = int(max_upload_bytes)

    # ------------------------------------------------------------ errors
    def _wants_html(request: Request) -> bool:
        return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")

    def _error(request: Request, status: int, detail: str, problems: list[dict[str, str]] | None = None):
        if _wants_html(request):
            return templates.TemplateResponse(
                request, "error.html",
                {"status": status, "detail": detail, "problems": problems or [], "version": __version__},
                status_code=status,
            )
        return JSONResponse({"detail": detail, "problems": problems or []}, status_code=status)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError):
        return _error(request, exc.status, exc.detail, _problems_json(exc.problems))

    @app.exception_handler(ScenarioError)
    async def _scenario_error(request: Request, exc: ScenarioError):
        return _error(request, 422, "invalid input", _problems_json(exc.problems))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        probs = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        return _error(request, 422, "invalid request", probs)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.error("internal error on %s", request.url.path, exc_info=exc)  # the operator's log, not the client
        return _error(request, 500, f"internal error ({type(exc).__name__}); the server keeps running")

    @app.middleware("http")
    async def _limit_upload(request: Request, call_next):
        # every request body (uploads, edited scenarios) is bounded by the upload limit
        if request.method in ("POST", "PUT", "PATCH"):
            length = request.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > app.state.max_upload + 64 * 1024:
                return JSONResponse(
                    {"detail": f"upload too large: the limit is {app.state.max_upload / 1048576:.1f} MB",
                     "problems": [{"location": "file", "message": "file too large"}]},
                    status_code=413,
                )  # fmt: skip
        return await call_next(request)

    # ------------------------------------------------------------ helpers
    def default_ref() -> str:
        names = builtin_names()
        name = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else (names[0] if names else "")
        return f"builtin:{name}"

    def need_store():
        if store is None:
            raise UserError(503, store_note or "run history unavailable")
        return store

    def get_run(run_id: int):
        rec = need_store().get_run(run_id)
        if rec is None:
            raise UserError(404, f"no run {run_id} in the run history")
        return rec

    def resolve(ref: str | None) -> tuple[str, Scenario, str]:
        """(ref, scenario, display name) for a reference; 4xx for bad or unknown ones."""
        ref = ref or default_ref()
        if not _REF.match(ref):
            raise UserError(400, f"bad scenario reference {ref[:80]!r}: expected builtin:<name> or lib:<id>")
        kind, _, key = ref.partition(":")
        if kind == "builtin":
            if key not in builtin_names():
                raise UserError(404, f"no built-in scenario {key!r} (built-ins: {', '.join(builtin_names())})")
            return ref, load_scenario(key), key
        entry = need_store().library_entry(int(key))
        if entry is None or entry["data"] is None:
            raise UserError(404, f"no library scenario {key}")
        return ref, Scenario.model_validate(entry["data"]), entry["name"]

    def from_data(data: Any) -> Scenario:
        """Validate edited scenario data (the JSON body is checked for its outline first)."""
        if not isinstance(data, dict):
            raise ScenarioError([Problem("scenario", "expected an object with title, issues and actors")])
        probs = [Problem(f"scenario:{k}", f"expected a list, got {type(data[k]).__name__}")
                 for k in ("issues", "actors", "events", "sources") if k in data and not isinstance(data[k], list)]  # fmt: skip
        probs += [Problem(f"scenario:{k}.{i}", f"expected an object, got {type(x).__name__}")
                  for k in ("issues", "actors", "events") if isinstance(data.get(k), list)
                  for i, x in enumerate(data[k]) if not isinstance(x, dict)]  # fmt: skip
        if probs:
            raise ScenarioError(probs)
        return build_scenario(json.loads(json.dumps(data)), simple_locator("scenario"), [])

    def models_info() -> list[dict[str, Any]]:
        out = []
        for name, cls in sorted(available_models().items()):
            doc = (cls.__doc__ or "").strip().splitlines()
            out.append({"name": name, "label": cls.label or name, "summary": doc[0] if doc else "",
                        "stochastic": bool(getattr(cls, "stochastic", False)),
                        "schema": cls.Options.model_json_schema()})  # fmt: skip
        return out

    def preferred_model() -> str:
        reg = available_models()
        for n in ("expected-utility", "weighted-median", "weighted-mean"):
            if n in reg:
                return n
        return sorted(reg)[0]

    def charts(result: dict[str, Any], scenario: Scenario | None) -> dict[str, Any]:
        """Plotly figures (as JSON) for a result."""
        pj = plots.plotly_json
        out: dict[str, Any] = {"forecast": {}, "positions": {}, "actor_map": {}}
        if scenario is not None:
            for iid in scenario.issue_ids:
                out["forecast"][iid] = pj(plots.plotly_forecasts([result], scenario, iid))
                out["actor_map"][iid] = pj(plots.plotly_actor_map(scenario, iid))
        if plots.has_trajectory(result):
            for iid in result.get("issues") or []:
                out["positions"][iid] = pj(plots.plotly_positions(result, scenario, iid))
        if plots.settlement_series(result) is not None:
            out["settlement"] = pj(plots.plotly_settlement(result))
        hists = plots.histograms_of(result)
        if hists:
            out["histogram"] = {i: pj(plots.plotly_histogram(v, i, scenario)) for i, v in hists.items()}
        torn = plots.tornado_of(result)
        if torn:
            pt = (result.get("forecast") or {})
            out["tornado"] = {i: pj(plots.plotly_tornado(rows[:15], base=pt.get(i), title=f"Sensitivity: {i}"))
                              for i, rows in torn.items()}  # fmt: skip
        return out

    def tables_json(result: Any, scenario: Scenario) -> list[dict[str, Any]]:
        from realpolitik.report.html import fmt_cell, model_tables

        return [{"title": t.title, "columns": [str(c) for c in t.columns],
                 "rows": [[fmt_cell(c) for c in row] for row in t.rows], "note": t.note}
                for t in model_tables(result, scenario)]  # fmt: skip

    def forecast_rows(result: dict[str, Any], scenario: Scenario) -> list[dict[str, Any]]:
        rows = []
        for iss in scenario.issues:
            v = (result.get("forecast") or {}).get(iss.id)
            p = iss.nearest_point(v) if isinstance(v, (int, float)) and math.isfinite(v) else None
            summ = ((result.get("details") or {}).get("summary") or {}).get(iss.id) or {}
            rows.append({"issue": iss.id, "label": iss.label or iss.id, "value": _finite_or_none(v),
                         "point": f"{p.value:g}: {p.label}" if p else "", "min": iss.min, "max": iss.max,
                         "p10": _finite_or_none(summ.get("p10")), "p90": _finite_or_none(summ.get("p90"))})  # fmt: skip
        return rows

    def scenario_of_run(rec) -> Scenario | None:
        try:
            return Scenario.model_validate(rec.scenario) if rec.scenario else None
        except Exception:  # noqa: BLE001 - a scenario stored by an older version
            return None

    # ------------------------------------------------------------ API: models, scenarios
    @app.get("/api/models", tags=["models"], summary="Registered models with their option schemas")
    def api_models() -> list[dict[str, Any]]:
        return models_info()

    @app.get("/api/scenarios", tags=["scenarios"], summary="Scenario library: built-ins and uploads")
    def api_scenarios() -> dict[str, Any]:
        built = []
        for name in builtin_names():
            try:
                s = load_scenario(name)
            except ScenarioError:
                continue
            built.append({"ref": f"builtin:{name}", "name": name, "title": s.title, "actors": len(s.actors),
                          "issues": len(s.issues), "default": f"builtin:{name}" == default_ref()})  # fmt: skip
        lib = [] if store is None else [{"ref": f"lib:{e['id']}", **e} for e in store.library()]
        return {"builtin": built, "library": lib, "default": default_ref()}

    @app.get("/api/scenarios/{ref}", tags=["scenarios"], summary="One scenario as data")
    def api_scenario(ref: str) -> dict[str, Any]:
        ref, s, name = resolve(ref)
        return {"ref": ref, "name": name, "title": s.title, "hash": s.content_hash(), "data": s.to_data()}

    @app.post("/api/scenarios", tags=["scenarios"], status_code=201,
              summary="Upload a scenario file (multipart field 'file'); 4xx with the validation messages")  # fmt: skip
    async def api_upload(file: UploadFile = File(...)) -> dict[str, Any]:
        raw = await file.read(app.state.max_upload + 1)
        if len(raw) > app.state.max_upload:
            raise UserError(413, f"upload too large: the limit is {app.state.max_upload / 1048576:.1f} MB",
                            [Problem("file", "file too large")])  # fmt: skip
        # the client's file name is only a label and a format hint, never a path
        name = Path((file.filename or "upload").replace("\\", "/")).name or "upload"
        name = re.sub(r"[^A-Za-z0-9_.\- ]", "_", name)[:120]
        scen = load_bytes(raw, name)
        entry = need_store().add_to_library(name, scen, origin="upload")
        return {"ref": f"lib:{entry}", "name": name, "title": scen.title, "hash": scen.content_hash(),
                "actors": len(scen.actors), "issues": len(scen.issues)}  # fmt: skip

    @app.post("/api/scenarios/validate", tags=["scenarios"], summary="Check edited scenario data")
    def api_validate(body: dict[str, Any]) -> dict[str, Any]:
        try:
            s = from_data(body.get("data", body))
        except ScenarioError as exc:
            return {"valid": False, "problems": _problems_json(exc.problems)}
        return {"valid": True, "problems": [], "hash": s.content_hash()}

    @app.post("/api/scenarios/save", tags=["scenarios"], status_code=201, summary="Keep edited data in the library")
    def api_save(body: SaveRequest) -> dict[str, Any]:
        s = from_data(body.data)
        entry = need_store().add_to_library(body.name, s, origin="edit")
        return {"ref": f"lib:{entry}", "name": body.name, "title": s.title, "hash": s.content_hash()}

    # ------------------------------------------------------------ API: runs
    @app.post("/api/runs", tags=["runs"], summary="Run a model; the run is stored in the history")
    def api_run(body: RunRequest) -> dict[str, Any]:
        from realpolitik.models import get_model
        from realpolitik.store import record_runs_safely

        scen = from_data(body.data) if body.data is not None else resolve(body.scenario)[1]
        model = get_model(body.model, **body.options)
        if body.draws > 0:
            try:
                from realpolitik.analysis.montecarlo import simulate
            except ImportError:
                raise UserError(422, "Monte Carlo is not available in this installation") from None
            result = simulate(scen, model, draws=body.draws, seed=body.seed, spread=body.spread)
        else:
            result = model.run(scen, rng=body.seed)
            if body.seed is not None:
                result.seed = body.seed
        ids = record_runs_safely(scen, [result], source=body.source, url=store.url) if store is not None else []
        d = _clean_json(result.to_dict())
        return {
            "run_id": ids[0] if ids else None,
            "label": (model.label or model.name) + (f" \u2013 Monte Carlo, {body.draws} draws" if body.draws else ""),
            "result": d,
            "forecast_rows": forecast_rows(d, scen),
            "tables": tables_json(d, scen),
            "charts": charts(d, scen),
        }

    @app.get("/api/runs", tags=["runs"], summary="Run history, newest first")
    def api_runs(limit: int = Query(50, ge=1, le=1000), model: str | None = None) -> list[dict[str, Any]]:
        return [r.summary() for r in need_store().list_runs(limit=limit, model=model)]

    @app.get("/api/runs/diff", tags=["runs"], summary="Compare two runs")
    def api_diff(a: int, b: int) -> dict[str, Any]:
        from realpolitik.store import diff_runs

        return diff_runs(get_run(a), get_run(b))

    @app.get("/api/runs/{run_id}", tags=["runs"], summary="One stored run (result and scenario)")
    def api_run_get(run_id: int) -> dict[str, Any]:
        return get_run(run_id).to_dict()

    @app.get("/api/runs/{run_id}/charts", tags=["runs"], summary="Plotly figures of a stored run")
    def api_run_charts(run_id: int) -> dict[str, Any]:
        rec = get_run(run_id)
        return charts(rec.result, scenario_of_run(rec))

    @app.get("/api/runs/{run_id}/result.json", tags=["downloads"], summary="Download the result as JSON")
    def dl_json(run_id: int) -> Response:
        rec = get_run(run_id)
        body = json.dumps(rec.result, indent=2) + "\n"
        return Response(body, media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="run-{rec.id}-{rec.model}.json"'})  # fmt: skip

    @app.get("/api/runs/{run_id}/result.csv", tags=["downloads"],
             summary="Download the result as CSV (forecast and trajectory, long format)")  # fmt: skip
    def dl_csv(run_id: int) -> Response:
        rec = get_run(run_id)
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

    @app.get("/api/runs/{run_id}/report", tags=["downloads"], summary="Download the report (HTML or PDF)")
    def dl_report(run_id: int, format: str = Query("html", pattern="^(html|pdf)$")) -> Response:
        from realpolitik.report.html import render_report

        rec = get_run(run_id)
        scen = scenario_of_run(rec)
        if scen is None:
            raise UserError(409, f"run {run_id} has no readable scenario")
        content = render_report(scen, [rec.result], fmt=format)
        media = "application/pdf" if format == "pdf" else "text/html; charset=utf-8"
        disp = "attachment" if format == "pdf" else "inline"
        return Response(content, media_type=media,
                        headers={"Content-Disposition": f'{disp}; filename="run-{rec.id}-report.{format}"'})  # fmt: skip

    # ------------------------------------------------------------ pages
    def page(request: Request, template: str, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("store_note", store_note)
        ctx.setdefault("version", __version__)
        return templates.TemplateResponse(request, template, ctx)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request):
        lib = api_scenarios()
        recent = [] if store is None else [r.summary() for r in store.list_runs(limit=8)]
        return page(request, "index.html", lib=lib, recent=recent, max_mb=app.state.max_upload / 1048576)

    @app.get("/workbench", response_class=HTMLResponse, include_in_schema=False)
    def workbench(request: Request, scenario: str | None = None, model: str | None = None):
        ref, s, name = resolve(scenario)
        from realpolitik.api import DEFAULT_MODELS as DEFAULT_FORECAST_MODELS

        reg = available_models()
        boot = {"ref": ref, "name": name, "data": s.to_data(), "models": models_info(),
                "model": model if model in reg else preferred_model(),
                "standard": [m for m in DEFAULT_FORECAST_MODELS if m in reg],
                "history": store is not None}  # fmt: skip
        return page(request, "workbench.html", s=s, ref=ref, name=name,
                    boot=json.dumps(boot).replace("</", "<\\/"))  # fmt: skip

    @app.get("/runs", response_class=HTMLResponse, include_in_schema=False)
    def runs_page(request: Request, limit: int = Query(100, ge=1, le=1000)):
        recs = [] if store is None else [r.summary() for r in store.list_runs(limit=limit)]
        return page(request, "runs.html", runs=recs)

    @app.get("/runs/diff", response_class=HTMLResponse, include_in_schema=False)
    def diff_page(request: Request, a: int, b: int):
        return page(request, "diff.html", d=api_diff(a, b))

    @app.get("/runs/{run_id}", response_class=HTMLResponse, include_in_schema=False)
    def run_page(request: Request, run_id: int):
        rec = get_run(run_id)
        scen = scenario_of_run(rec)
        boot = {"run_id": rec.id, "charts": charts(rec.result, scen)}
        return page(request, "run.html", r=rec.summary(), scen=scen,
                    rows=forecast_rows(rec.result, scen) if scen else [],
                    tables=tables_json(rec.result, scen) if scen else [],
                    boot=json.dumps(boot).replace("</", "<\\/"))  # fmt: skip

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        import plotly

        path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
        return FileResponse(path, media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})  # fmt: skip

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app

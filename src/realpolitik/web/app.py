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

Layout: :func:`create_app` builds the app (error handlers, the upload limit, static
files) and includes the routers of :mod:`realpolitik.web.routes`, one module per
resource; what they share (run history, templates, scenario references, charts) is a
:class:`~realpolitik.web.context.Workbench` on ``app.state.workbench``; running a model
is :func:`realpolitik.web.runs.execute_run`, callable without HTTP (a job queue).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from realpolitik._version import __version__
from realpolitik.errors import ScenarioError
from realpolitik.web.context import DEFAULT_MAX_UPLOAD, HERE, UserError, Workbench, problems_json
from realpolitik.web.routes import ROUTERS
from realpolitik.web.routes.scenarios import SaveRequest
from realpolitik.web.runs import RunRequest

log = logging.getLogger("realpolitik.web")

__all__ = ["DEFAULT_MAX_UPLOAD", "RunRequest", "SaveRequest", "UserError", "create_app"]


def create_app(db_url: str | None = None, max_upload_bytes: int = DEFAULT_MAX_UPLOAD) -> FastAPI:
    """Build the workbench app; ``db_url`` is the run history (default: as the CLI)."""
    app = FastAPI(
        title="realpolitik workbench",
        version=__version__,
        description="Run game-theoretic forecasts of negotiations and conflict decisions.",
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    wb = Workbench(db_url, max_upload_bytes)
    app.state.workbench = wb
    app.state.store = wb.store
    _add_error_handlers(app, wb)
    for router in ROUTERS:
        app.include_router(router)
    return app


def _add_error_handlers(app: FastAPI, wb: Workbench) -> None:
    """User mistakes as 4xx with located problems (HTML pages or JSON); bugs as a one-line 500."""

    def _wants_html(request: Request) -> bool:
        return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")

    def _error(request: Request, status: int, detail: str, problems: list[dict[str, str]] | None = None):
        if _wants_html(request):
            return wb.templates.TemplateResponse(
                request, "error.html",
                {"status": status, "detail": detail, "problems": problems or [], "version": __version__},
                status_code=status,
            )
        return JSONResponse({"detail": detail, "problems": problems or []}, status_code=status)

    @app.exception_handler(UserError)
    async def _user_error(request: Request, exc: UserError):
        return _error(request, exc.status, exc.detail, problems_json(exc.problems))

    @app.exception_handler(ScenarioError)
    async def _scenario_error(request: Request, exc: ScenarioError):
        return _error(request, 422, "invalid input", problems_json(exc.problems))

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
            if length is not None and length.isdigit() and int(length) > wb.max_upload + 64 * 1024:
                return JSONResponse(
                    {"detail": f"upload too large: the limit is {wb.max_upload / 1048576:.1f} MB",
                     "problems": [{"location": "file", "message": "file too large"}]},
                    status_code=413,
                )  # fmt: skip
        return await call_next(request)

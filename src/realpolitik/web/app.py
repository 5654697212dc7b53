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

Safety: requests must name an allowed Host, writes must come from this origin, every
response carries a CSP and framing/sniffing headers (:mod:`realpolitik.web.security`);
uploads over ``max_upload_bytes`` are refused (413) before they are parsed, and parsed
in a worker process within the caps of :mod:`realpolitik.scenario.limits` and a
wall-clock budget; runs and analyses are jobs in worker processes with time and memory
budgets (:mod:`realpolitik.web.jobs`); user mistakes come back as ``{"detail",
"problems": [{"location", "message"}]}`` with a 4xx status; any other error is a 500
with a one-line message and no stack trace, and the server keeps serving.

Layout: :func:`create_app` builds the app (error handlers, the upload limit, static
files) and includes the routers of :mod:`realpolitik.web.routes`, one module per
resource; what they share (run history, templates, scenario references, charts) is a
:class:`~realpolitik.web.context.Workbench` on ``app.state.workbench``; running a model
is :func:`realpolitik.web.runs.execute_run`, callable without HTTP (a job queue).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from collections.abc import Iterable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from realpolitik._version import __version__
from realpolitik.errors import ScenarioError
from realpolitik.web.context import DEFAULT_MAX_UPLOAD, HERE, UserError, Workbench, problems_json
from realpolitik.web.jobs import JobManager, JobSettings
from realpolitik.web.routes import ROUTERS
from realpolitik.web.routes.scenarios import SaveRequest
from realpolitik.web.runs import RunRequest
from realpolitik.web.security import SecurityMiddleware, host_names

log = logging.getLogger("realpolitik.web")

__all__ = ["DEFAULT_MAX_UPLOAD", "JobSettings", "RunRequest", "SaveRequest", "UserError", "create_app"]


def create_app(
    db_url: str | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD,
    jobs: JobSettings | None = None,
    host: str | None = "127.0.0.1",
    allowed_hosts: Iterable[str] = (),
) -> FastAPI:
    """Build the workbench app; ``db_url`` is the run history (default: as the CLI).

    ``jobs`` bounds the job queue (workers, waiting jobs, time and memory budgets);
    ``host`` is the bound address and ``allowed_hosts`` further names the server answers
    to (the Host allow-list).
    """
    wb = Workbench(db_url, max_upload_bytes)
    wb.jobs = JobManager(jobs, wb.store)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        import asyncio

        wb.jobs.start()
        await asyncio.to_thread(wb.jobs.warm_up)  # workers up before the first request
        try:
            yield
        finally:
            wb.jobs.shutdown()

    app = FastAPI(
        title="realpolitik workbench",
        version=__version__,
        description="Run game-theoretic forecasts of negotiations and conflict decisions.",
        openapi_url="/api/openapi.json",
        docs_url=None,  # served from the installed package's files (routes/pages.py), no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.state.workbench = wb
    app.state.store = wb.store
    _add_error_handlers(app, wb)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(SecurityMiddleware, allowed_hosts=host_names(host, allowed_hosts),
                       max_body=wb.max_upload + 64 * 1024)  # fmt: skip
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

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError):
        return _error(request, 422, "input nested too deeply")

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.error("internal error on %s", request.url.path, exc_info=exc)  # the operator's log, not the client
        return _error(request, 500, f"internal error ({type(exc).__name__}); the server keeps running")

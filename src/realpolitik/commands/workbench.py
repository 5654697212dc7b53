"""Workbench commands: ``runs list|show|diff``, ``report``, ``serve``.

Heavy imports (SQLAlchemy, matplotlib, FastAPI) stay inside the functions so that
``realpolitik --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from realpolitik.cli import JsonOpt, ScenarioArg, SeedOpt, app, emit_json, err, out
from realpolitik.errors import OptionError, Problem

DbOpt = Annotated[
    Optional[str],
    typer.Option("--db", help="SQLAlchemy URL of the run history (default: $REALPOLITIK_DB or SQLite in the user data dir)."),
]

runs_app = typer.Typer(help="The run history: every forecast run, stored with its inputs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")


def _store(db: str | None):
    from realpolitik.store import open_store, store_disabled

    if db is None and store_disabled():
        raise OptionError([Problem("REALPOLITIK_DB", "the run history is switched off (REALPOLITIK_DB=off)")])
    return open_store(db)


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many runs to show (newest first).")] = 20,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Only runs of this model.")] = None,
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """List stored runs, newest first."""
    from rich.table import Table as RichTable

    store = _store(db)
    recs = store.list_runs(limit=limit, model=model)
    if json_:
        emit_json([r.summary() for r in recs])
        return
    if not recs:
        err.print(f"no runs stored yet in {store.engine.url.render_as_string(hide_password=True)}")
        return
    t = RichTable(title="Run history", title_justify="left")
    for c in ("id", "when (UTC)", "kind", "model", "scenario", "seed", "forecast"):
        t.add_column(c, overflow="fold")
    for r in recs:
        fc = "\n".join(f"{k} [bold]{v:.1f}[/bold]" if isinstance(v, (int, float)) else f"{k} -" for k, v in r.forecast.items())
        title = r.scenario_title if len(r.scenario_title) <= 36 else r.scenario_title[:35] + "\u2026"
        t.add_row(str(r.id), r.created_at.strftime("%Y-%m-%d %H:%M"), f"{r.kind}\n[dim]{r.source}[/dim]", r.model,
                  f"{title}\n[dim]{r.scenario_hash[7:19]}[/dim]", _fmt(r.seed), fc, end_section=True)  # fmt: skip
    out.print(t)


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (see 'runs list').")],
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Show one run: settings, timing and forecast (--json: the full record)."""
    from rich.table import Table as RichTable

    rec = _store(db).require_run(run_id)
    if json_:
        emit_json(rec.to_dict())
        return
    t = RichTable(title=f"Run {rec.id}", title_justify="left", show_header=False)
    t.add_column("field")
    t.add_column("value")
    rows = [
        ("when (UTC)", rec.created_at.isoformat(timespec="seconds")),
        ("kind", rec.kind),
        ("source", rec.source),
        ("model", rec.model),
        ("options", json.dumps(rec.options)),
        ("seed", _fmt(rec.seed)),
        ("version", rec.version),
        ("elapsed", f"{rec.elapsed:.3f} s" if rec.elapsed is not None else "-"),
        ("scenario", f"{rec.scenario_title} ({rec.scenario_hash})"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    out.print(t)
    ft = RichTable(title="Forecast", title_justify="left")
    ft.add_column("issue")
    ft.add_column("forecast", justify="right")
    for k, v in rec.forecast.items():
        ft.add_row(k, _fmt(v))
    out.print(ft)


@runs_app.command("diff")
def runs_diff(
    a: Annotated[str, typer.Argument(help="First run id.")],
    b: Annotated[str, typer.Argument(help="Second run id.")],
    json_: JsonOpt = False,
    db: DbOpt = None,
) -> None:
    """Compare two runs: settings, scenario inputs, and forecasts per issue."""
    from rich.table import Table as RichTable

    from realpolitik.store import diff_runs

    store = _store(db)
    d = diff_runs(store.require_run(a), store.require_run(b))
    if json_:
        emit_json(d)
        return
    if d["settings"]:
        t = RichTable(title="Settings that differ", title_justify="left")
        for c in ("field", f"run {d['a']}", f"run {d['b']}"):
            t.add_column(c)
        for s in d["settings"]:
            t.add_row(s["field"], _fmt(s["a"]), _fmt(s["b"]))
        out.print(t)
    else:
        out.print(f"same kind ({d['kinds'][0]}), model, options, seed, version and scenario")
    if d["kinds"][0] != d["kinds"][1]:
        out.print(f"[yellow]note[/yellow] run {d['a']} is a {d['kinds'][0]}, run {d['b']} a {d['kinds'][1]}: "
                  "their forecasts answer different questions (a point vs a mean over draws)", highlight=False)
    if d["scenario_changes"]:
        t = RichTable(title="Scenario inputs that differ", title_justify="left")
        for c in ("change", "actor", "issue", f"run {d['a']}", f"run {d['b']}"):
            t.add_column(c)
        for c in d["scenario_changes"]:
            t.add_row(c["what"], c.get("actor", ""), c.get("issue", ""), _fmt(c.get("a")), _fmt(c.get("b")))
        out.print(t)
    t = RichTable(title="Forecast", title_justify="left")
    for c in ("issue", f"run {d['a']}", f"run {d['b']}", "change"):
        t.add_column(c, justify="right" if c != "issue" else "left")
    for f in d["forecast"]:
        delta = f["delta"]
        t.add_row(f["issue"], _fmt(f["a"]), _fmt(f["b"]), "-" if delta is None else f"{delta:+.2f}")
    out.print(t)


@app.command()
def report(
    scenario: ScenarioArg = None,
    model: Annotated[
        Optional[list[str]], typer.Option("--model", "-m", help="Model(s) to run (repeatable). Default: all standard models.")
    ] = None,
    option: Annotated[Optional[list[str]], typer.Option("--option", "-o", help="Model option KEY=VALUE (repeatable).")] = None,
    out_file: Annotated[Path, typer.Option("--out", help="Report file to write.")] = Path("report.html"),
    fmt: Annotated[Optional[str], typer.Option("--format", help="html or pdf (default: from the --out extension).")] = None,
    seed: SeedOpt = None,
    db: DbOpt = None,
    advise: Annotated[
        Optional[list[str]],
        typer.Option("--advise", help="Add advice for this actor (repeatable): levers, pivotality, quadrants "
                     "(expected-utility model, 200 draws; see `realpolitik advise`)."),
    ] = None,
    ledger: Annotated[
        bool, typer.Option("--ledger", help="Add the forecast ledger: scores of resolved questions, reliability, "
                           "score over time (see `realpolitik ledger score`).")
    ] = False,
) -> None:
    """Write a report: scenario table, each model's forecast and trajectory, plots, sources."""
    from realpolitik.cli import build_models, load, parse_options
    from realpolitik.report.html import render_report
    from realpolitik.scenario.writers import atomic_write
    from realpolitik.store import record_runs_safely

    kind = (fmt or out_file.suffix.lstrip(".") or "html").lower()
    if kind not in ("html", "pdf"):
        raise OptionError([Problem("--format", f"unknown report format {kind!r}: expected html or pdf")])
    scen = load(scenario)
    models = build_models(model, parse_options(option))
    from realpolitik.cli import run_models
    from realpolitik.seeds import resolve_seed

    seed = resolve_seed(seed)  # one seed for every model, recorded in every result
    results = run_models(models, scen, seed)
    record_runs_safely(scen, results, source="cli", url=db)
    labels = {m.name: (m.label or m.name) for m in models}
    tables = {m.name: m.describe(r, scen) for m, r in zip(models, results)}
    extra = []
    for actor in advise or []:
        from realpolitik.analysis.advise import advise as run_advise
        from realpolitik.report.advise import advice_section

        err.print(f"advising {actor} ...")
        adv = run_advise(scen, actor, seed=seed)
        adv.scenario_arg = scenario
        extra.append(advice_section(adv))
    if ledger:
        from realpolitik.ledger import Ledger, ledger_scores
        from realpolitik.report.ledger import ledger_section

        book = Ledger.open(db)
        extra.append(ledger_section(ledger_scores(book.states()), book.verify()))
    content = render_report(scen, results, fmt=kind, labels=labels, tables=tables, extra_sections=extra)
    atomic_write(out_file, content)
    err.print(f"wrote {out_file} ({len(content) / 1024:.0f} KiB)")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind (default: loopback only; 0.0.0.0 must be said explicitly).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    db: DbOpt = None,
    max_upload_mb: Annotated[float, typer.Option("--max-upload-mb", help="Largest scenario upload accepted.")] = 5.0,
    allow_host: Annotated[Optional[list[str]], typer.Option("--allow-host", help="Another host name the server answers to (repeatable; loopback names and --host always).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Jobs run at once (worker processes).")] = 2,
    queue: Annotated[int, typer.Option("--queue", min=0, max=1000, help="Jobs that may wait beyond those.")] = 16,
    job_timeout: Annotated[float, typer.Option("--job-timeout", min=1, help="Seconds a job may run.")] = 300.0,
    job_memory_mb: Annotated[int, typer.Option("--job-memory-mb", min=64, help="Memory a job may use (MB).")] = 2048,
    parse_timeout: Annotated[float, typer.Option("--parse-timeout", min=0.5, help="Seconds to read one upload.")] = 10.0,
) -> None:
    """Start the local web workbench (scenario library, editor, runs, analyses, history)."""
    import uvicorn

    from realpolitik.web.app import create_app
    from realpolitik.web.jobs import JobSettings

    if not host.strip():
        # an empty host makes uvicorn bind every interface: never silently
        raise OptionError([Problem("--host", "is empty, which would bind every interface; give an address (127.0.0.1, or 0.0.0.0 to mean every interface)")])
    if db is not None:
        _store(db)  # a bad --db is a user mistake (exit 2), not a server without history
    settings = JobSettings(workers=workers, queue=queue, time_budget=job_timeout, memory_mb=job_memory_mb,
                           parse_budget=parse_timeout)  # fmt: skip
    web = create_app(db_url=db, max_upload_bytes=int(max_upload_mb * 1024 * 1024), jobs=settings, host=host,
                     allowed_hosts=allow_host or ())  # fmt: skip
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]warning[/yellow] binding {host}: the workbench has no login; anyone who can reach it can use it")
    err.print(f"realpolitik workbench on http://{host}:{port}/  (Ctrl+C to stop)")
    jobs = web.state.workbench.jobs

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            # SIGTERM/Ctrl+C: refuse new jobs and end event streams at once, so that open
            # connections close and the shutdown (jobs cancelled and recorded) runs now
            jobs.closing = True
            super().handle_exit(sig, frame)

    config = uvicorn.Config(web, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2)
    Server(config).run()

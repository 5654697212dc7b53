"""Analysis commands: ``simulate`` (Monte Carlo), ``whatif`` (and leave-one-out), ``sensitivity``.

The commands only translate between people and :mod:`realpolitik.analysis`; heavy
imports stay inside the functions so ``realpolitik --help`` stays fast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from realpolitik.cli import JsonOpt, ScenarioArg, SeedOpt, app, build_models, emit_json, err, load, out, parse_options
from realpolitik.errors import OptionError, Problem
from realpolitik.seeds import fresh_seed

#: model used when --model is not given (the first that is available)
DEFAULT_ANALYSIS_MODELS = ("expected-utility", "weighted-median")

ModelOpt = Annotated[
    Optional[str],
    typer.Option("--model", "-m", help="Model to run (default: expected-utility when available, else weighted-median)."),
]
OptionOpt = Annotated[Optional[list[str]], typer.Option("--option", "-o", help="Model option KEY=VALUE (repeatable).")]
EngineOpt = Annotated[str, typer.Option("--engine", help="local (threads in this process), process (process pool) or dask.")]
WorkersOpt = Annotated[
    Optional[int], typer.Option("--workers", help="Workers (default: every core): threads of the local engine, processes of the pool or Dask LocalCluster.")
]
SchedulerOpt = Annotated[
    Optional[str], typer.Option("--scheduler", help="Dask scheduler address (default: start a LocalCluster).")
]
ChunkOpt = Annotated[
    Optional[int],
    typer.Option("--chunk-size", help="Draws per chunk; with --seed it fixes every number (default: 1000 for vectorised models, 25 otherwise)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]


def _model(name: str | None, option: list[str] | None):
    from realpolitik.models import available_models

    if name is None:
        reg = available_models()
        name = next(n for n in DEFAULT_ANALYSIS_MODELS if n in reg)
    return build_models([name], parse_options(option))[0]


def _engine(engine: str, workers: int | None, scheduler: str | None):
    from realpolitik.engine import get_engine

    return get_engine(engine, workers=workers, scheduler=scheduler)


def _spark(counts: list[int], width: int | None = None) -> str:
    """The histogram as one line of block characters, at most ``width`` of them (adjacent bins
    merged, so that it still spans the scale from min to max)."""
    blocks = " ▁▂▃▄▅▆▇█"
    if width is not None and 0 < width < len(counts):
        n = len(counts)
        counts = [sum(counts[k * n // width: (k + 1) * n // width]) for k in range(width)]
    top = max(counts) if counts else 0
    if top <= 0:
        return ""
    return "".join(blocks[0 if c == 0 else max(1, round(8 * c / top))] for c in counts)


def _spark_width(table, width: int) -> int:
    """Room for a sparkline column after ``table``'s columns in ``width`` terminal columns (each
    column takes its widest cell or header word plus 3 for padding and rule; at least 8)."""
    from realpolitik.report.text import fmt_number

    used = 1 + sum(
        max([len(fmt_number(r[k])) for r in table.rows if k < len(r)] + [max(map(len, str(c).split() or [""]))]) + 3
        for k, c in enumerate(table.columns)
    )
    return max(8, width - used - 3)


def _write_json(path: Path, data) -> None:
    from realpolitik.scenario.writers import atomic_write

    atomic_write(Path(path), (json.dumps(data, indent=2, allow_nan=False, default=str) + "\n").encode())


def save_figure(fig, target: Path) -> None:
    """Write a chart for ``--plot`` (the format follows the extension), atomically; a
    user-facing error if it cannot."""
    import io

    from realpolitik.scenario.writers import atomic_write

    try:
        buf = io.BytesIO()
        fig.savefig(buf, format=target.suffix.lower().lstrip(".") or "png", bbox_inches="tight")
        atomic_write(target, buf.getvalue())
    except OSError as exc:
        raise OptionError([Problem(f"--plot {target}", f"cannot write the chart: {exc.strerror or exc}")]) from None


def _record(scen, res) -> None:
    """Keep the run in the run history (workbench store); never fails the command."""
    try:
        from realpolitik.store import record_runs_safely
    except ImportError:  # pragma: no cover - store layer absent
        return
    record_runs_safely(scen, [res], source="cli")


# ------------------------------------------------------------------ simulate
@app.command()
def simulate(
    scenario: ScenarioArg = None,
    model: ModelOpt = None,
    option: OptionOpt = None,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Number of Monte Carlo draws.")] = 1000,
    seed: SeedOpt = None,
    spread: Annotated[
        float,
        typer.Option(
            "--spread",
            help="Perturb every value without its own distribution: positions +- SPREAD x scale span, "
            "saliences +- SPREAD x 100, capabilities x (1 +- SPREAD); uniform, within valid ranges.",
        ),
    ] = 0.0,
    threshold: Annotated[
        Optional[list[str]], typer.Option("--threshold", "-t", help="Probability of ISSUE>VALUE (>=, <, <= too; repeatable).")
    ] = None,
    bins: Annotated[int, typer.Option("--bins", help="Histogram bins over each issue's scale.")] = 20,
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    chunk_size: ChunkOpt = None,
    json_: JsonOpt = False,
    out_file: Annotated[
        Optional[Path], typer.Option("--out", help="Write the result JSON, with every draw's forecast, to this file.")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Monte Carlo: the forecast as a distribution over uncertain inputs (no SCENARIO: the default)."""
    from realpolitik.analysis.montecarlo import parse_threshold, simulate as run_mc
    from realpolitik.engine.progress import progress_bar
    from realpolitik.report.text import render_table

    scen = load(scenario)
    m = _model(model, option)
    ths = [parse_threshold(t, scen) for t in threshold or []]
    if not scen.uncertainty and spread == 0:
        err.print(
            "[yellow]note[/yellow] the scenario has no distributions and --spread is 0: every draw is the point forecast"
        )
    with _engine(engine, workers, scheduler) as eng, progress_bar(f"simulate {m.name}", draws, not quiet) as advance:
        res = run_mc(
            scen, m, draws=draws, seed=seed, spread=spread, engine=eng, chunk_size=chunk_size,
            thresholds=ths, bins=bins, progress=advance,
        )  # fmt: skip
    _record(scen, res)
    data = res.to_dict()
    if out_file is not None:
        _write_json(out_file, res.to_dict(include_draws=True))
        err.print(f"wrote {out_file}")
    if json_:
        emit_json(data)
        return
    tables = res.tables()
    summ = res.summary()
    main = tables[0]
    room = _spark_width(main, out.width)  # the sparkline never wraps: at most the room left
    main.columns.append("histogram (scale min to max)")
    for row, iss in zip(main.rows, scen.issues):
        row.append(_spark(summ[iss.id]["histogram"]["counts"], room))
    render_table(main, out, wrap=set())  # ids, numbers and sparklines: no column splits
    for t in tables[1:]:
        render_table(t, out)
    rate = res.n_draws / res.elapsed if res.elapsed else math.nan
    w = res.engine.get("workers")
    on = f", {w} {'threads' if res.engine.get('engine') == 'local' else 'workers'}" if isinstance(w, int) and w > 1 else ""
    err.print(f"[dim]{res.n_draws} draws in {res.elapsed:.2f} s ({rate:,.0f} draws/s{on})[/dim]")


# ------------------------------------------------------------------ whatif
@app.command()
def whatif(
    scenario: ScenarioArg = None,
    model: ModelOpt = None,
    option: OptionOpt = None,
    remove: Annotated[Optional[list[str]], typer.Option("--remove", help="Remove this actor (repeatable).")] = None,
    add: Annotated[
        Optional[list[str]],
        typer.Option("--add", help="Add an actor: inline YAML/JSON {id:, capability:, positions: {...}, saliences: {...}} or a file."),
    ] = None,
    set_: Annotated[
        Optional[list[str]], typer.Option("--set", help="Set a value: ACTOR.FIELD[.ISSUE]=VALUE, e.g. putin.salience.settlement=100.")
    ] = None,
    event: Annotated[
        Optional[list[str]],
        typer.Option("--event", help="Apply a scenario event by id: ID (from the start) or ID@ROUND (models with rounds)."),
    ] = None,
    leave_one_out: Annotated[
        bool, typer.Option("--leave-one-out", help="Forecast without each actor in turn: who is pivotal.")
    ] = False,
    draws: Annotated[
        int, typer.Option("--draws", "-n", help="Also compare Monte Carlo distributions with this many draws (0: point forecasts only).")
    ] = 0,
    spread: Annotated[float, typer.Option("--spread", help="Global spread of the Monte Carlo draws (see simulate).")] = 0.0,
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    seed: SeedOpt = None,
    json_: JsonOpt = False,
) -> None:
    """What-ifs: remove/add actors, set values, apply events; side by side with the baseline."""
    from realpolitik.analysis.whatif import WhatIf, compare, leave_one_out as loo, parse_actor, parse_event, parse_set
    from realpolitik.report.text import render_table

    scen = load(scenario)
    m = _model(model, option)
    wi = WhatIf(
        remove=tuple(remove or ()),
        add=tuple(parse_actor(a) for a in add or ()),
        set=tuple(parse_set(s) for s in set_ or ()),
        events=tuple(parse_event(e) for e in event or ()),
    )
    if draws < 0:
        raise OptionError([Problem("--draws", f"must be 0 or more, got {draws}")])
    if draws and wi.empty:
        raise OptionError([Problem("--draws", "a distribution comparison needs a what-if (--remove, --add, --set or --event)")])
    if wi.empty and not leave_one_out:
        raise OptionError([Problem("whatif", "nothing to change: give --remove, --add, --set, --event or --leave-one-out")])
    if seed is None and m.draws_random_numbers(scen):
        seed = fresh_seed()
    payload: dict = {}
    if not wi.empty:
        cmp = compare(scen, m, wi, seed=seed)
        payload["whatif"] = cmp.to_dict()
        if not json_:
            render_table(cmp.table(), out)
    if draws:
        from realpolitik.analysis.whatif import compare_distributions
        from realpolitik.engine.progress import progress_bar

        if seed is None:
            seed = fresh_seed()
        with _engine(engine, workers, scheduler) as eng, progress_bar(f"what-if {m.name}", 2 * draws, not json_) as advance:
            dist = compare_distributions(scen, m, wi, draws, seed=seed, spread=spread, engine=eng, progress=advance)
        payload["distributions"] = dist.to_dict()
        if not json_:
            render_table(dist.table(), out)
    if leave_one_out:
        from realpolitik.engine.progress import progress_bar

        with progress_bar(f"leave one out {m.name}", len(scen.actors), not json_) as advance:
            res = loo(scen, m, seed=seed, progress=advance)
        payload["leave_one_out"] = res.to_dict()
        if not json_:
            render_table(res.table(), out)
    payload["seed"] = seed
    if json_:
        emit_json(payload)


# ------------------------------------------------------------------ sensitivity
@app.command()
def sensitivity(
    scenario: ScenarioArg = None,
    model: ModelOpt = None,
    option: OptionOpt = None,
    method: Annotated[str, typer.Option("--method", help="sobol (variance-based) or morris (screening).")] = "sobol",
    input_: Annotated[
        Optional[list[str]],
        typer.Option("--input", "-i", help="Input path or pattern, e.g. putin.salience.settlement, '*.capability', or 'uncertain' (every value with a distribution); repeatable; default: every salience and capability."),
    ] = None,
    samples: Annotated[
        Optional[int], typer.Option("--samples", help="Sobol base sample N, a power of 2 (default 256); Morris trajectories (default 20).")
    ] = None,
    spread: Annotated[
        float, typer.Option("--spread", help="Range of inputs without a distribution: +- SPREAD x scale span (positions), x 100 (saliences), x value (capabilities).")
    ] = 0.2,
    levels: Annotated[int, typer.Option("--levels", help="Morris grid levels.")] = 4,
    max_samples: Annotated[
        int, typer.Option("--max-samples", help="Sobol: double N up to this while a ranked index's CI is wider than the index.")
    ] = 1024,
    top: Annotated[int, typer.Option("--top", help="Inputs shown per issue.")] = 10,
    plot: Annotated[
        Optional[Path], typer.Option("--plot", help="Write a tornado chart (PNG, SVG or PDF by extension); one file per issue when several.")
    ] = None,
    seed: SeedOpt = None,
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    chunk_size: ChunkOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Sensitivity: Sobol or Morris indices and a tornado of the inputs each forecast hinges on."""
    from realpolitik.analysis.sensitivity import analyze
    from realpolitik.report.plots import tornado_figures
    from realpolitik.engine.progress import progress_bar
    from realpolitik.report.text import render_table

    scen = load(scenario)
    m = _model(model, option)
    key = method.strip().lower()
    if key not in ("sobol", "morris"):
        raise OptionError([Problem("--method", f"unknown method {method!r}: expected sobol or morris")])
    if samples is None:
        samples = 256 if key == "sobol" else 20
    if top < 1:
        raise OptionError([Problem("--top", f"must be at least 1, got {top}")])
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise OptionError([Problem(f"--plot {plot}", "the file must end in .png, .svg or .pdf")])
    # the number of runs is known only after the inputs are chosen: the bar learns it then
    from realpolitik.analysis.sensitivity import select_factors

    factors, _ = select_factors(scen, input_, spread)
    D = len(factors)
    total = (samples * (D + 2) if key == "sobol" else samples * (D + 1)) + 2 * D + 1
    with _engine(engine, workers, scheduler) as eng, progress_bar(f"{key} {m.name}", total, not quiet) as advance:
        res = analyze(
            scen, m, method=key, inputs=input_, samples=samples, spread=spread, seed=seed, engine=eng,
            chunk_size=chunk_size, levels=levels, progress=advance, max_samples=max_samples,
        )  # fmt: skip
    _record(scen, res)
    written = []
    if plot is not None:
        figs = tornado_figures(res, top=top)
        for iid, fig in figs.items():
            target = plot if len(figs) == 1 else plot.with_name(f"{plot.stem}-{iid}{plot.suffix}")
            save_figure(fig, target)
            written.append(str(target))
    if json_:
        data = res.to_dict()
        data["details"]["plots"] = written
        emit_json(data)
        return
    for t in res.tables(top=top):
        render_table(t, out)
    if res.dropped:
        err.print(f"[dim]inputs with an empty range, not varied: {', '.join(res.dropped)}[/dim]")
    for w in written:
        err.print(f"wrote {w}")

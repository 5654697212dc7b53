"""``advise ACTOR [SCENARIO]``: an actor's levers ranked, who is pivotal, how it sees the others.

Translates between people and :func:`realpolitik.analysis.advise.advise`; heavy
imports stay inside the function so ``realpolitik --help`` stays fast.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from realpolitik.cli import JsonOpt, ScenarioArg, SeedOpt, app, emit_json, err, load, out
from realpolitik.commands.analysis import (
    ChunkOpt, EngineOpt, ModelOpt, OptionOpt, QuietOpt, SchedulerOpt, WorkersOpt, _engine, _model, _write_json,
    save_figure,
)  # fmt: skip
from realpolitik.errors import OptionError, Problem


@app.command()
def advise(
    actor: Annotated[str, typer.Argument(help="The actor to advise (its id, e.g. putin).")],
    scenario: ScenarioArg = None,
    model: ModelOpt = None,
    option: OptionOpt = None,
    target: Annotated[
        Optional[list[str]],
        typer.Option("--target", "-t", help="Goal ISSUE=VALUE (repeatable; default: the actor's own position)."),
    ] = None,
    issue: Annotated[
        Optional[list[str]], typer.Option("--issue", "-i", help="Goal issue (repeatable; default: every issue of the actor).")
    ] = None,
    step: Annotated[
        Optional[list[float]],
        typer.Option("--step", help="Effort of each move in % of its range (repeatable; default 10): positions in % of "
                     "the scale, saliences in points, capability in %."),
    ] = None,
    capability: Annotated[bool, typer.Option("--capability", help="Also try the actor's own capability.")] = False,
    persuade: Annotated[
        bool, typer.Option("--persuade/--no-persuade", help="Also try moving the other actors (persuasion targets).")
    ] = True,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws over the scenario's distributions.")] = 200,
    spread: Annotated[float, typer.Option("--spread", help="Global spread of the draws (see simulate).")] = 0.0,
    top: Annotated[int, typer.Option("--top", help="Levers shown.")] = 15,
    plot: Annotated[
        Optional[Path],
        typer.Option("--plot", help="Write the levers chart (PNG, SVG or PDF); the perception plot goes to FILE-quadrants."),
    ] = None,
    seed: SeedOpt = None,
    engine: EngineOpt = "local",
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    chunk_size: ChunkOpt = None,
    json_: JsonOpt = False,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write the advice as JSON to this file.")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Advice for ACTOR: its levers ranked by expected gain per unit of effort, under uncertainty."""
    from realpolitik.analysis.advise import advise as run_advise, candidate_levers, parse_target
    from realpolitik.engine.progress import progress_bar
    from realpolitik.report.text import render_table

    scen = load(scenario)
    m = _model(model, option)
    if top < 1:
        raise OptionError([Problem("--top", f"must be at least 1, got {top}")])
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise OptionError([Problem(f"--plot {plot}", "the file must end in .png, .svg or .pdf")])
    if actor not in scen.actor_ids:
        raise OptionError([Problem(f"actor {actor}", f"unknown actor (actors: {', '.join(scen.actor_ids)})")])
    steps = tuple(step or (10.0,))
    goal = parse_target(target)
    # the bar's total: every lever's draws plus the baseline's
    from realpolitik.analysis.advise.core import _goal

    g, _ = _goal(scen, actor, goal, issue)
    n_levers = len(candidate_levers(scen, actor, g, steps, capability, persuade))
    with _engine(engine, workers, scheduler) as eng, progress_bar(
        f"advise {actor} ({m.name})", (n_levers + 1) * max(draws, 0), not (quiet or json_)
    ) as advance:
        adv = run_advise(
            scen, actor, m, target=goal, issues=issue, steps=steps, capability=capability, persuade=persuade,
            draws=draws, seed=seed, spread=spread, chunk_size=chunk_size, engine=eng, progress=advance,
        )  # fmt: skip
    adv.scenario_arg = scenario
    data = adv.to_dict()
    written = []
    if plot is not None:
        from realpolitik.report.advise import mpl_levers, mpl_quadrants

        figs = [(plot, mpl_levers(data, top))]
        q = mpl_quadrants(data)
        if q is not None:
            figs.append((plot.with_name(f"{plot.stem}-quadrants{plot.suffix}"), q))
        for target_file, fig in figs:
            save_figure(fig, target_file)
            written.append(str(target_file))
        data["plots"] = written
    if out_file is not None:
        _write_json(out_file, data)
        err.print(f"wrote {out_file}")
    if json_:
        emit_json(data)
        return
    for t in adv.tables(top=top, detail=False):
        render_table(t, out, wrap=_WRAP)
    rate = (n_levers + 1) * draws / adv.elapsed if adv.elapsed else math.nan
    err.print(f"[dim]{n_levers} levers x {draws} draws in {adv.elapsed:.1f} s ({rate:,.0f} forecasts/s)[/dim]")
    for w in written:
        err.print(f"wrote {w}")


#: columns that may wrap; every other column keeps its cells on one line
_WRAP = {"lever", "region over draws", "region"}

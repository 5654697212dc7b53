"""``realpolitik backtest cases|deu FILE|wars FILE|crises FILE``: score the models against what happened.

The commands only translate between people and :mod:`realpolitik.analysis.backtest`
(spatial cases, DEU III) and :mod:`realpolitik.analysis.backtest_wars` (war durations,
crisis outcomes).  Data sets we may not ship (DEU III, the MIC war list, ICB) are read
from the FILE given on the command line.  Results are stored in the run history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from realpolitik.cli import JsonOpt, app, emit_json, err, out
from realpolitik.errors import OptionError, Problem, ScenarioError

backtest_app = typer.Typer(
    help="Backtests: every model scored against real outcomes (cases, DEU III, war durations, crises).",
    no_args_is_help=True,
)
app.add_typer(backtest_app, name="backtest")

SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Seed for every random draw and the train/test split.")]
ModelsOpt = Annotated[
    Optional[list[str]], typer.Option("--model", "-m", help="Score only these models (repeatable; default: every registered model).")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda what: err.print(f"[dim]{what}[/dim]", highlight=False)


def _render(tables) -> None:
    from realpolitik.report.text import render_table

    for t in tables:
        render_table(t, out)


def _file(path: Path) -> Path:
    if not path.exists():
        raise ScenarioError("no such file", str(path))
    if path.is_dir():
        raise ScenarioError("is a directory, expected a file", str(path))
    return path


@backtest_app.command("cases")
def cases_cmd(
    case: Annotated[Optional[list[str]], typer.Option("--case", "-c", help="Only these cases (repeatable).")] = None,
    model: ModelsOpt = None,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws per model and case (0: point forecasts only).")] = 200,
    spread: Annotated[float, typer.Option("--spread", help="Global input spread of the Monte Carlo versions (fraction).")] = 0.10,
    seed: SeedOpt = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
    per_case: Annotated[bool, typer.Option("--per-case/--no-per-case", help="Show the table of every case.")] = True,
) -> None:
    """Every model (and its Monte Carlo version) on every case of the library; leaderboard by MAE."""
    from realpolitik.analysis import backtest as bt

    cases = bt.load_case_library(case)
    models = bt.select_models(model)
    res = bt.run_backtest(
        cases, models, draws=draws, seed=bt.DEFAULT_SEED if seed is None else seed, spread=spread,
        progress=_progress(quiet or json_),
    )  # fmt: skip
    stored = bt.record(res)
    data = res.to_dict()
    data["stored_runs"] = stored
    if json_:
        emit_json(data)
        return
    tables = res.tables()
    _render(tables if per_case else tables[-1:])
    if res.not_applicable:
        err.print(
            "[dim]not applicable: "
            + "; ".join(f"{m} ({len(v)} issue(s))" for m, v in sorted(res.not_applicable.items()))
            + "[/dim]"
        )
    err.print(f"[dim]{stored} run(s) stored in the run history[/dim]")

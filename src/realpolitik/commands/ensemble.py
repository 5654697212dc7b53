"""``realpolitik ensemble calibrate|show``: compute and read the ensemble's calibration.

The shipped calibration (``src/realpolitik/models/ensemble/calibration.json``) is the
output of ``realpolitik ensemble calibrate --out src/realpolitik/models/ensemble/calibration.json``
on the shipped case library; a test checks that the file is what the command computes.
With ``--deu FILE`` the calibration comes from the DEU III issues instead (a file you
download); ``realpolitik forecast --calibration FILE`` then uses it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from realpolitik.cli import JsonOpt, app, emit_json, err

ensemble_app = typer.Typer(help="The ensemble forecast's calibration: weights and conformal widenings.",
                           no_args_is_help=True)  # fmt: skip
app.add_typer(ensemble_app, name="ensemble")


def library_calibration(draws: int, spread: float, seed: int, progress=None) -> dict:
    """The calibration from the shipped case library (what the shipped file holds)."""
    from realpolitik.analysis.backtest import cases as bt
    from realpolitik.analysis.backtest.ensemble import fit_calibration

    cases = bt.load_case_library()
    models = [m for m in bt.select_models() if not getattr(m, "learns_from_cases", False)]
    res = bt.run_backtest(cases, models, draws=draws, seed=seed, spread=spread, progress=progress)
    n = len({o.group for c in cases for o in c.outcomes})
    source = (f"the case library shipped with realpolitik ({n} independent outcomes; "
              f"Monte Carlo {draws} draws, spread {spread:g}, seed {seed})")  # fmt: skip
    return fit_calibration(res.scores, cases, source, spread, draws, seed)


def deu_calibration(path: Path, institution_weight: float, draws: int, spread: float, seed: int, progress=None) -> dict:
    from realpolitik.analysis.backtest import cases as bt
    from realpolitik.analysis.backtest.deu import load_deu
    from realpolitik.analysis.backtest.ensemble import fit_calibration

    d = load_deu(path, institution_weight)
    models = [m for m in bt.select_models() if not getattr(m, "learns_from_cases", False)]
    res = bt.run_backtest(d.cases, models, draws=draws, seed=seed, spread=spread, progress=progress)
    source = (f"DEU III ({path.name}, {len(d.cases)} issues; Monte Carlo {draws} draws, spread {spread:g}, "
              f"seed {seed})")  # fmt: skip
    return fit_calibration(res.scores, d.cases, source, spread, draws, seed)


def calibration_tables(cal: dict):
    from realpolitik.models.base import Table

    stacked = cal.get("stacked_weights") or {}
    rows = [[m, f"{w:.3f}", f"{stacked.get(m, float('nan')):.3f}"] for m, w in cal["weights"].items()]
    t1 = Table("Ensemble weights", ["model", "weight", "stacked (for reference)"], rows,
               f"{cal['weight_reason']}; equal weights MAE {cal['equal_weights_mae']:.2f}, stacking "
               f"leave-one-outcome-out MAE {cal['stacking_loo_mae'] if cal['stacking_loo_mae'] is None else round(cal['stacking_loo_mae'], 2)} "
               f"(% of scale); from {cal['source']}")  # fmt: skip
    sc = cal.get("conformity_scores") or {}
    t2 = Table("Conformal widening of the ensemble's Monte Carlo band", ["interval", "widening (% of scale)", "scores"],
               [[f"{lv}%", f"{q:.2f}", ", ".join(f"{v:.1f}" for v in sorted(sc.get(lv, [])))]
                for lv, q in sorted(cal["widening"].items(), key=lambda kv: -int(kv[0]))],
               "score = how far an outcome fell outside the ensemble's band (negative: inside); the widening is "
               "the ceil((n+1) level)-th smallest (split conformal, Romano et al. 2019)")  # fmt: skip
    return [t1, t2]


@ensemble_app.command("calibrate")
def calibrate_cmd(
    deu: Annotated[Optional[Path], typer.Option("--deu", help="Calibrate on the DEU III file instead of the case library.")] = None,
    institution_weight: Annotated[float, typer.Option("--institution-weight", help="DEU: capability of the Commission and the Parliament.")] = 29.0,
    draws: Annotated[int, typer.Option("--draws", "-n", help="Monte Carlo draws per model and case.")] = 200,
    spread: Annotated[float, typer.Option("--spread", help="Global input spread of the Monte Carlo band (fraction).")] = 0.10,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed of every draw.")] = None,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write the calibration as JSON to this file.")] = None,
    json_: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the tables as markdown (as in docs/backtests.md).")] = False,
) -> None:
    """Compute the ensemble's weights and conformal widenings from backtests (default: the case library)."""
    from realpolitik.analysis.backtest.scoring import DEFAULT_SEED
    from realpolitik.commands.backtest import _file, _render
    from realpolitik.scenario.writers import atomic_write

    s = DEFAULT_SEED if seed is None else seed
    prog = None if (quiet or json_) else (lambda what: err.print(f"[dim]{what}[/dim]", highlight=False))
    if deu is not None:
        cal = deu_calibration(_file(deu), institution_weight, draws, spread, s, prog)
    else:
        cal = library_calibration(draws, spread, s, prog)
    if out_file is not None:
        atomic_write(out_file, (json.dumps(cal, indent=2, sort_keys=True) + "\n").encode())
        err.print(f"wrote {out_file}")
    if json_:
        emit_json(cal)
        return
    _render(calibration_tables(cal), markdown)


@ensemble_app.command("show")
def show_cmd(
    calibration: Annotated[Optional[Path], typer.Option("--calibration", help="A calibration file (default: the shipped one).")] = None,
    json_: JsonOpt = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the tables as markdown.")] = False,
) -> None:
    """Show the ensemble's weights, where they came from, and its conformal widenings."""
    from realpolitik.commands.backtest import _render

    cal = read_calibration(calibration)
    if json_:
        emit_json(cal)
        return
    _render(calibration_tables(cal), markdown)


def read_calibration(path: Path | None) -> dict:
    """A calibration file checked like the ensemble's option (None: the shipped one)."""
    from realpolitik.errors import ScenarioError
    from realpolitik.models.ensemble import Calibration, shipped_calibration

    if path is None:
        return shipped_calibration()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read file: {exc.strerror}", str(path)) from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"not a JSON file: {exc}", str(path)) from None
    from pydantic import ValidationError

    try:
        Calibration.model_validate(data)
    except ValidationError as exc:
        e = exc.errors(include_url=False)[0]
        raise ScenarioError(f"{'.'.join(str(p) for p in e['loc']) or 'calibration'}: {e['msg']}", str(path)) from None
    return data

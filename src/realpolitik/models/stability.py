"""Stable point forecasts for models that run in rounds.

A model that runs in rounds (expected utility, exchange) need not settle: its
forecast quantity (the weighted median, the voting outcome) can still jump between
two states in the last rounds (Scholz et al. 2011 show the expected-utility model
does; the reference implementation stops at whichever state round 10 happens to
hit).  The endpoint of an oscillation is then an artefact of the round count.

The rule (docs/DECISIONS.md, "Stable point forecasts"): a trajectory has *settled*
when its last :data:`SETTLE_ROUNDS` values span at most :data:`SETTLE_TOLERANCE` of
the issue's scale.  A settled trajectory reports its last value; an unsettled one
reports the median of its last :data:`SETTLE_ROUNDS` values (the centre of where it
keeps moving) and is flagged.  The rule is deterministic, uses only the model's own
run, and gives the same number in ``run`` and in ``forecast_batch``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: number of final rounds that must agree for a trajectory to count as settled
SETTLE_ROUNDS = 4
#: largest movement over those rounds, as a share of the scale span, that still counts as settled
SETTLE_TOLERANCE = 0.05
RULE = (
    f"last round if the last {SETTLE_ROUNDS} rounds span at most {SETTLE_TOLERANCE:.0%} of the scale; "
    f"otherwise the median of the last {SETTLE_ROUNDS} rounds (flagged unsettled)"
)


def settle(trajectory: np.ndarray, span: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Stable forecast and settled flag of trajectories ``[..., round]``.

    ``span`` broadcasts against the leading axes (the issue's scale span).  Returns
    ``(forecast, settled)`` with the leading shape; NaN trajectories give NaN and
    count as settled.
    """
    traj = np.asarray(trajectory, dtype=float)
    tail = traj[..., -SETTLE_ROUNDS:]
    empty = np.isnan(tail).all(axis=-1)
    filled = np.where(empty[..., None], 0.0, tail)
    # rows all NaN are filled above (nanmax/nanmedian do not warn); inf - inf is NaN, unsettled.
    # np.errstate is per thread (a context variable); warnings.catch_warnings is process-wide
    # and not safe while the local engine runs chunks on several threads
    with np.errstate(invalid="ignore"):
        moved = np.nanmax(filled, axis=-1) - np.nanmin(filled, axis=-1)
        middle = np.nanmedian(filled, axis=-1)
    settled = empty | (moved <= SETTLE_TOLERANCE * np.asarray(span, dtype=float) + 1e-12)
    return np.where(settled, traj[..., -1], middle), settled


def stability_details(trajectories: dict[str, list[float]], spans: dict[str, float]) -> dict[str, Any]:
    """Per issue: settled or not, the last round's value and the final rounds (for the result's details)."""
    out: dict[str, Any] = {}
    for iid, traj in trajectories.items():
        arr = np.array([np.nan if v is None else v for v in traj], dtype=float)
        value, ok = settle(arr, spans[iid])
        out[iid] = {
            "settled": bool(ok),
            "forecast": float(value),
            "last_round": float(arr[-1]) if arr.size else float("nan"),
            "final_rounds": arr[-SETTLE_ROUNDS:].tolist(),
        }
    return {"rule": RULE, "issues": out}

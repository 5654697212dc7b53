"""Nested actors: one rule for parents and their sub-actors (docs/scenario-format.md).

An actor may name another actor as its ``parent`` (a domestic constituency of a
country's leader, a ministry of a government).  **A sub-actor's capability is a share
of its parent's, not an addition to it**: the parent's capability is the capability of
the whole (the country), and each sub-actor's capability is the part of it that the
sub-actor controls.  The one-level models (the baselines, expected utility, SMP,
exchange) therefore count

    own capability of an actor = its capability - the capabilities of its sub-actors
                                 that take part in the issue,

so a family weighs what its parent weighs however many constituencies are listed, and
the parent keeps the rest.  A sub-actor that stays out of an issue leaves its share
with the parent there.  Nesting may go deeper (a sub-actor's own sub-actors are carved
out of it in turn); a ``parent`` that is a group label rather than an actor id names no
capability to share, so its members count at their own capability.

The validator requires every parent to keep a positive share: the capabilities of its
sub-actors (at the upper ends of their distributions, where they have one) must sum to
less than its own (at its lower end).  The two-level war layer reads the sub-actors as
domestic pressure on their leader and is not affected.

The function is linear and vectorised over draws: ``own = c - P (c * active)`` with
``P[p, j] = 1`` when actor ``j``'s parent is actor ``p``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: floor of a parent's own share in Monte Carlo draws (a global ``--spread`` can push the
#: drawn sub-actors past the drawn parent; the validator rules this out for point values)
MIN_OWN_SHARE = 1e-6


def parent_matrix(actors: Any) -> np.ndarray:
    """``P [n, n]`` with ``P[p, j] = 1`` when actor ``j``'s parent is actor ``p`` (by id)."""
    ids = [a.id if hasattr(a, "id") else a["id"] for a in actors]
    index = {aid: k for k, aid in enumerate(ids)}
    P = np.zeros((len(ids), len(ids)))
    for j, a in enumerate(actors):
        parent = a.parent if hasattr(a, "parent") else a.get("parent")
        if parent is not None and parent in index and parent != ids[j]:
            P[index[parent], j] = 1.0
    return P


def own_capability(capability: np.ndarray, position: np.ndarray, P: np.ndarray) -> np.ndarray:
    """The one-level models' capabilities ``[..., actor, issue]``: each actor's capability
    less that of its sub-actors taking part in the issue (NaN position = not taking part),
    floored at :data:`MIN_OWN_SHARE` of the actor's capability."""
    cap = np.asarray(capability, dtype=float)
    if not P.any():
        return cap
    active = ~np.isnan(np.asarray(position, dtype=float))
    carved = np.einsum("pj,...jm->...pm", P, np.where(active, cap, 0.0))
    return np.maximum(cap - carved, MIN_OWN_SHARE * cap)


def one_level_capability(scenario: Any, capability: np.ndarray | None = None, position: np.ndarray | None = None) -> np.ndarray:
    """:func:`own_capability` for a scenario (default: its own arrays) or a batch of its draws."""
    if capability is None or position is None:
        a = scenario.arrays()
        capability = a.capability if capability is None else capability
        position = a.position if position is None else position
    return own_capability(capability, position, parent_matrix(scenario.actors))


def nested_problems(actors: Any, issues: Any, bounds: dict[str, tuple[float, float]] | None = None) -> list[str]:
    """Cycles in the parent links, and parents whose sub-actors hold all of their capability.

    ``bounds`` maps ``actor id`` to the (lowest, highest) capability its distribution
    allows, where it has one.  Works on raw loader data and validated actors alike.
    """

    def get(a, k, d=None):
        return getattr(a, k, d) if not isinstance(a, dict) else a.get(k, d)

    problems: list[str] = []
    actors = [a for a in actors if isinstance(a, dict) or hasattr(a, "id")]
    ids = [str(get(a, "id")) for a in actors]
    index = {aid: k for k, aid in enumerate(ids)}
    parent = {aid: get(a, "parent") for aid, a in zip(ids, actors)}
    for k, aid in enumerate(ids):
        seen, p = {aid}, parent[aid]
        while p is not None and p in index:
            if p in seen:
                problems.append(f"actors.{k}.parent: the parent links of {aid!r} form a cycle ({' -> '.join([aid, *_chain(aid, parent, index)])})")
                break
            seen.add(p)
            p = parent[p]
    if problems:
        return problems
    bounds = bounds or {}
    issue_ids = [str(get(i, "id")) for i in issues]

    def cap_on(a, iid: str, end: int) -> float | None:
        aid = str(get(a, "id"))
        by = get(a, "capability_by_issue") or {}
        v = by.get(iid, get(a, "capability")) if isinstance(by, dict) else get(a, "capability")
        if aid in bounds and not (isinstance(by, dict) and iid in by):
            v = bounds[aid][end]
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    for k, a in enumerate(actors):
        aid = ids[k]
        kids = [b for b in actors if get(b, "parent") == aid and str(get(b, "id")) != aid]
        if not kids:
            continue
        pos = get(a, "positions") or {}
        for iid in issue_ids:
            if not isinstance(pos, dict) or iid not in pos:
                continue
            active = [b for b in kids if isinstance(get(b, "positions"), dict) and iid in get(b, "positions")]
            if not active:
                continue
            own = cap_on(a, iid, 0)
            parts = [(str(get(b, "id")), cap_on(b, iid, 1)) for b in active]
            if own is None or any(v is None for _, v in parts):
                continue
            total = sum(v for _, v in parts)
            if total >= own:
                listed = ", ".join(f"{b} {v:g}" for b, v in parts)
                ends = " at the ends of their ranges" if bounds else ""
                problems.append(
                    f"actors.{k}.capability: the sub-actors of {aid!r} on issue {iid!r}{ends} ({listed}; sum {total:g}) "
                    f"must hold less than its capability {own:g}: a sub-actor's capability is a share of its "
                    "parent's (docs/scenario-format.md, nested actors)"
                )
                break
    return problems


def _chain(start: str, parent: dict, index: dict) -> list[str]:
    out, p = [], parent[start]
    while p is not None and p in index and p not in out:
        out.append(p)
        if p == start:
            break
        p = parent[p]
    return out

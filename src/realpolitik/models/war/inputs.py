"""From a scenario's ``war`` section to the simulator's arrays (no computation of forecasts).

Share units: ``x`` is side A's share of the settlement issue; side A is the
first side; which end of the issue scale it prefers is read from the two
leaders' positions.  The two-level link (domestic win-sets from sub-actors) and
the timing of events live here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realpolitik.models.war.mechanisms import gamblers_ruin, winset_bound
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.war import Belief, WarSpec

DAYS_PER_MONTH = 365.25 / 12.0


@dataclass(frozen=True)
class Orientation:
    """Maps the issue scale to A's share and back."""

    lo: float
    hi: float
    a_high: bool  # True: side A prefers the top of the scale

    def to_share(self, v):
        v = np.asarray(v, float)
        s = (v - self.lo) / (self.hi - self.lo)
        return s if self.a_high else 1.0 - s

    def to_scale(self, x):
        x = np.asarray(x, float)
        s = x if self.a_high else 1.0 - x
        return self.lo + s * (self.hi - self.lo)


def orientation(scenario: Scenario, war: WarSpec) -> Orientation:
    iss = scenario.issue(war.issue)
    a, b = (scenario.actor(s.leader) for s in war.sides)
    return Orientation(iss.min, iss.max, a.positions[war.issue] > b.positions[war.issue])


def battle_odds_from_war_win(war_win, k0: int, N: int):
    """The per-battle win probability giving ``P_win(k0) = war_win`` (bisection; monotone)."""
    target = np.asarray(war_win, float)
    lo = np.zeros_like(target) + 1e-9
    hi = np.ones_like(target) - 1e-9
    for _ in range(80):
        mid = (lo + hi) / 2.0
        pw, _ = gamblers_ruin(mid, k0, N)
        up = np.asarray(pw) < target
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    out = (lo + hi) / 2.0
    return float(out) if out.ndim == 0 else out


def beta_counts(belief: Belief, k0: int, N: int) -> tuple[float, float]:
    """Beta pseudo-counts ``(a, b)`` of a belief over A's per-battle win probability."""
    m = belief.battle_win if belief.battle_win is not None else battle_odds_from_war_win(belief.war_win, k0, N)
    return m * belief.concentration, (1.0 - m) * belief.concentration


def event_month(scenario: Scenario, war: WarSpec, ev) -> float:
    """Months after ``as_of`` at which a scenario event takes effect (>= 0).

    A date wins over a round; a round ``r`` is ``r * months_per_round``.  Events
    dated on or before ``as_of`` (and round-0 events) act from month 0.
    """
    if ev.date is not None and scenario.as_of is not None:
        return max(0.0, (ev.date - scenario.as_of).days / DAYS_PER_MONTH)
    if ev.round is not None:
        return max(0.0, ev.round * war.months_per_round)
    return 0.0


def battle_month(scenario: Scenario, war: WarSpec, bt) -> float:
    """Months after ``as_of`` of a battle (negative: before the scenario starts)."""
    if bt.month is not None:
        return float(bt.month)
    if bt.date is not None:
        if scenario.as_of is None:
            return 0.0
        return (bt.date - scenario.as_of).days / DAYS_PER_MONTH
    ev = next(e for e in scenario.events if e.id == bt.event)
    if ev.date is not None and scenario.as_of is not None:
        return (ev.date - scenario.as_of).days / DAYS_PER_MONTH
    return (ev.round or 0) * war.months_per_round


def ratifiers(scenario: Scenario, war: WarSpec, side: int) -> list[int]:
    """Row indices of the side's domestic ratifiers (actors whose parent is its label)."""
    s = war.sides[side]
    label = s.domestic or s.leader
    return [r for r, a in enumerate(scenario.actors) if a.parent == label and a.id != s.leader]


@dataclass(frozen=True)
class DomesticTimeline:
    """Win-set bounds (A-share units) at each simulator step, and their ingredients."""

    lower: np.ndarray  # [..., T+1]; -inf: A unconstrained
    upper: np.ndarray  # [..., T+1]; +inf: B unconstrained
    ratifiers: tuple[tuple[str, ...], tuple[str, ...]]
    start: tuple[float, float]  # bounds at step 0 (first draw), NaN if none


def ratifier_demands(position_share, salience, sq_share, side: int):
    """Each ratifier's demand in A-share units [D].

    A ratifier insists on the fraction ``s_j`` (its salience) of the way from the
    status quo to its own position: ``r_j = sq + s_j (x_j - sq)``.  Derived for
    realpolitik (a salience-weighted reservation point), not a published rule.
    """
    return sq_share + salience * (position_share - sq_share)


def domestic_timeline(
    scenario: Scenario,
    war: WarSpec,
    max_battles: int,
    position=None,
    salience=None,
    capability=None,
    pressure_shift: float = 0.0,
    use_events: bool = True,
    skip_events: frozenset = frozenset(),
) -> DomesticTimeline:
    """Domestic win-set bounds of both sides over the simulator's steps.

    ``position``/``salience``/``capability`` are optional arrays ``[..., actor,
    issue]`` (a batch of scenario draws); default the scenario's own values.
    Timed scenario events change ratifiers' values at their month (see
    :func:`event_month`).  ``pressure_shift`` moves every ratifier's demand
    toward its own side's end by that many shares (a what-if).  Each side's
    bound rises with its audience-cost rate (shares per year) but never beyond
    its leader's own position.
    """
    arr = scenario.arrays()
    j = scenario.issue_ids.index(war.issue)
    pos = np.asarray(arr.position if position is None else position, float).copy()
    sal = np.asarray(arr.salience if salience is None else salience, float).copy()
    cap = np.asarray(arr.capability if capability is None else capability, float).copy()
    lead = pos.shape[:-2]
    orient = orientation(scenario, war)
    iss = scenario.issue(war.issue)
    sq_val = iss.status_quo if iss.status_quo is not None else (iss.min + iss.max) / 2.0
    sq = float(orient.to_share(sq_val))
    rows = [ratifiers(scenario, war, 0), ratifiers(scenario, war, 1)]
    ids = scenario.actor_ids
    # event states: month -> list of changes, applied cumulatively
    changes: list[tuple[float, object]] = []
    if use_events:
        for ev in scenario.events:
            if ev.id is not None and ev.id in skip_events:
                continue
            m = event_month(scenario, war, ev)
            for ch in ev.changes:
                changes.append((m, ch))
    changes.sort(key=lambda mc: mc[0])
    months = np.arange(max_battles + 1) * war.months_per_battle
    T = max_battles + 1
    lower = np.full(lead + (T,), -np.inf)
    upper = np.full(lead + (T,), np.inf)
    leaders = [ids.index(s.leader) for s in war.sides]
    lead_share = [orient.to_share(pos[..., leaders[0], j]), orient.to_share(pos[..., leaders[1], j])]
    weight_alive = np.ones(len(ids), bool)

    def bounds_now():
        out = []
        for side in (0, 1):
            r = [i for i in rows[side] if weight_alive[i]]
            if not r:
                out.append(None)
                continue
            x = orient.to_share(pos[..., r, j])
            shift = pressure_shift if side == 0 else -pressure_shift
            d = ratifier_demands(x, sal[..., r, j], sq, side) + shift
            w = cap[..., r, j] * sal[..., r, j]
            thr = war.sides[side].ratification_threshold
            out.append(winset_bound(d, w, thr, "A" if side == 0 else "B"))
        return out

    ci = 0
    current = bounds_now()
    for t in range(T):
        applied = False
        while ci < len(changes) and changes[ci][0] <= months[t] + 1e-9:
            _, ch = changes[ci]
            ci += 1
            if ch.actor not in ids:
                continue
            r = ids.index(ch.actor)
            if ch.field == "position" and ch.issue == war.issue:
                pos[..., r, j] = ch.value
            elif ch.field == "salience" and ch.issue == war.issue:
                sal[..., r, j] = ch.value / 100.0
            elif ch.field == "capability":
                cap[..., r, :] = ch.value
            elif ch.field == "leave":
                weight_alive[r] = False
            applied = True
        if applied:
            current = bounds_now()
            lead_share = [orient.to_share(pos[..., leaders[0], j]), orient.to_share(pos[..., leaders[1], j])]
        years = months[t] / 12.0
        if current[0] is not None:
            tight = current[0] + war.sides[0].audience_cost_rate * years
            lower[..., t] = np.minimum(tight, np.maximum(current[0], lead_share[0]))
        if current[1] is not None:
            tight = current[1] - war.sides[1].audience_cost_rate * years
            upper[..., t] = np.maximum(tight, np.minimum(current[1], lead_share[1]))
    first = lambda a: float(np.ravel(a)[0]) if np.isfinite(np.ravel(a)[0]) else float("nan")  # noqa: E731
    return DomesticTimeline(
        lower,
        upper,
        (tuple(ids[i] for i in rows[0]), tuple(ids[i] for i in rows[1])),
        (first(lower[..., 0]), first(upper[..., 0])),
    )

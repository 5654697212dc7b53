"""From a scenario's ``war`` section to the simulator's arrays (no computation of forecasts).

Share units: ``x`` is side A's share of the settlement issue; side A is the
first side; which end of the issue scale it prefers is read from the two
leaders' positions.  The two-level link (domestic win-sets from sub-actors) and
the timing of events live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from realpolitik.models.war.mechanisms import domestic_pressure, gamblers_ruin, pulled_bound
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.war import DAYS_PER_MONTH, Belief, WarSpec



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


def battle_month(scenario: Scenario, war: WarSpec, bt) -> float:
    """Months after ``as_of`` of a battle (negative: before the scenario starts)."""
    if bt.month is not None:
        return float(bt.month)
    if bt.date is not None:
        if scenario.as_of is None:
            return 0.0
        return (bt.date - scenario.as_of).days / DAYS_PER_MONTH
    return signed_event_month(scenario, war, next(e for e in scenario.events if e.id == bt.event))


def ratifiers(scenario: Scenario, war: WarSpec, side: int) -> list[int]:
    """Row indices of the side's domestic ratifiers (actors whose parent is its label)."""
    s = war.sides[side]
    label = s.domestic or s.leader
    return [r for r, a in enumerate(scenario.actors) if a.parent == label and a.id != s.leader]


@dataclass(frozen=True)
class DomesticTimeline:
    """Domestic bounds (A-share units) at each simulator step, and their ingredients.

    Column ``g`` is global step ``g``: with ``past`` steps of history, column 0 is the
    war's start and column ``past`` the scenario's ``as_of``.
    """

    lower: np.ndarray  # [..., past + T+1]; -inf: A unconstrained
    upper: np.ndarray  # [..., past + T+1]; +inf: B unconstrained
    ratifiers: tuple[tuple[str, ...], tuple[str, ...]]
    start: tuple[float, float]  # bounds at as_of (first draw), NaN if none
    past: int = 0

    def unconstrained(self) -> "DomesticTimeline":
        return DomesticTimeline(
            np.full_like(self.lower, -np.inf), np.full_like(self.upper, np.inf), self.ratifiers,
            (math.nan, math.nan), self.past,
        )  # fmt: skip

    def repeat(self, reps: int) -> "DomesticTimeline":
        """Each draw's row repeated ``reps`` times (wars per scenario draw)."""
        rep = lambda a: np.repeat(a, reps, axis=0) if a.ndim > 1 else a  # noqa: E731
        return DomesticTimeline(rep(self.lower), rep(self.upper), self.ratifiers, self.start, self.past)


def signed_event_month(scenario: Scenario, war: WarSpec, ev) -> float:
    """Months after ``as_of`` of a scenario event (negative: before ``as_of``)."""
    if ev.date is not None and scenario.as_of is not None:
        return (ev.date - scenario.as_of).days / DAYS_PER_MONTH
    if ev.round is not None:
        return ev.round * war.months_per_round
    return 0.0


def draw_autonomy(war: WarSpec, key: tuple[int, ...] | None, n: int) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Each side's leader autonomy: the point value, or per-draw triangular draws
    (inverse CDF, stream ``[*key, 7 + side]``) when the scenario gives a range."""
    out = []
    for i, s in enumerate(war.sides):
        a = s.autonomy
        if key is None or not a.uncertain:
            out.append(a.mode)
            continue
        out.append(a.quantile(np.random.default_rng([*key, 7 + i]).random(n)))
    return out[0], out[1]


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
    autonomy=None,
    past_steps: int = 0,
) -> DomesticTimeline:
    """Domestic bounds of both sides over the simulator's steps [D].

    A side with domestic constituencies (actors whose parent is its ``domestic``
    label) has the bound of :func:`~realpolitik.models.war.mechanisms.domestic_bound`:
    its leader's position pulled toward the constituencies' pressure-weighted mean
    position by ``1 - autonomy``; a side without constituencies has none.
    ``position``/``salience``/``capability`` are optional arrays ``[..., actor,
    issue]`` (a batch of scenario draws), ``autonomy`` optional per-draw values
    ``(A, B)`` (default each side's point value).  Steps run from ``-past_steps``
    (the war's start) to ``max_battles``; timed scenario events change values from
    the first step at or after their month (:func:`signed_event_month`).
    ``pressure_shift`` moves every constituency's position toward its own side's end
    by that many shares (a what-if).  Each bound tightens with its side's audience-cost
    rate (shares per year after ``as_of``, looser before it) but never beyond its
    leader's own position.
    """
    arr = scenario.arrays()
    j = scenario.issue_ids.index(war.issue)
    pos = np.asarray(arr.position if position is None else position, float).copy()
    sal = np.asarray(arr.salience if salience is None else salience, float).copy()
    cap = np.asarray(arr.capability if capability is None else capability, float).copy()
    orient = orientation(scenario, war)
    rows = [ratifiers(scenario, war, 0), ratifiers(scenario, war, 1)]
    ids = scenario.actor_ids
    aut = [s.autonomy.mode for s in war.sides] if autonomy is None else list(autonomy)
    changes: list[tuple[float, object]] = []
    if use_events:
        for ev in scenario.events:
            if ev.id is not None and ev.id in skip_events:
                continue
            m = signed_event_month(scenario, war, ev)
            for ch in ev.changes:
                changes.append((m, ch))
    changes.sort(key=lambda mc: mc[0])
    months = np.arange(-past_steps, max_battles + 1) * war.months_per_battle
    leaders = [ids.index(s.leader) for s in war.sides]
    alive = np.ones(len(ids), bool)

    def pressure_now():
        """Per side: (leader's share, constituencies' pressure-weighted mean share) or None."""
        out = []
        for side in (0, 1):
            r = [i for i in rows[side] if alive[i]]
            if not r:
                out.append(None)
                continue
            shift = pressure_shift if side == 0 else -pressure_shift
            x = orient.to_share(pos[..., r, j]) + shift
            w = cap[..., r, j] * sal[..., r, j]
            out.append((np.asarray(orient.to_share(pos[..., leaders[side], j])), np.asarray(domestic_pressure(x, w))))
        return out

    ci = 0
    current = pressure_now()
    cols: list[list] = [[], []]  # per side and step: (leader, pressure) or None
    for t in range(months.size):
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
                alive[r] = False
            applied = True
        if applied:
            current = pressure_now()
        for side in (0, 1):
            cols[side].append(current[side])
    years = months / 12.0
    bounds = []
    for side, sign in ((0, 1.0), (1, -1.0)):
        if all(c is None for c in cols[side]):
            bounds.append(np.full(months.shape, -np.inf * sign))
            continue
        none = np.array([c is None for c in cols[side]])
        shape = np.broadcast_shapes(*(np.shape(c[0]) for c in cols[side] if c is not None))
        pick = lambda i: np.stack([np.broadcast_to(c[i], shape) if c is not None else np.full(shape, np.nan)  # noqa: E731
                                   for c in cols[side]], axis=-1)
        lead, press = pick(0), pick(1)
        a = np.asarray(aut[side], float)[..., None]
        b = pulled_bound(lead, press, a)  # mechanisms.domestic_bound, step by step
        tight = b + sign * war.sides[side].audience_cost_rate * years
        # audience costs tighten the bound, but never beyond the leader's own position
        out = np.minimum(tight, np.maximum(b, lead)) if side == 0 else np.maximum(tight, np.minimum(b, lead))
        bounds.append(np.where(none, -np.inf * sign, out))
    shape = np.broadcast_shapes(bounds[0].shape, bounds[1].shape)
    lower = np.broadcast_to(bounds[0], shape).astype(float)
    upper = np.broadcast_to(bounds[1], shape).astype(float)
    first = lambda a: float(np.ravel(a)[0]) if np.isfinite(np.ravel(a)[0]) else float("nan")  # noqa: E731
    return DomesticTimeline(
        lower,
        upper,
        (tuple(ids[i] for i in rows[0]), tuple(ids[i] for i in rows[1])),
        (first(lower[..., past_steps]), first(upper[..., past_steps])),
        past_steps,
    )

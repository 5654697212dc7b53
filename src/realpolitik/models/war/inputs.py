"""From a scenario's ``war`` section to the simulator's arrays (no computation of forecasts).

Share units: ``x`` is side A's share of the settlement issue; side A is the
first side; which end of the issue scale it prefers is read from the two
leaders' positions.  The two-level link (domestic win-sets from sub-actors) and
the timing of events live here.
"""

from __future__ import annotations

import functools

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
    """The per-battle win probability giving ``P_win(k0) = war_win`` (bisection; monotone;
    one number is solved once and remembered: every forecast of a war asks again)."""
    if np.ndim(war_win) == 0:
        return _battle_odds(float(war_win), int(k0), int(N))
    return _bisect_battle_odds(war_win, k0, N)


@functools.lru_cache(maxsize=256)
def _battle_odds(war_win: float, k0: int, N: int) -> float:
    return _bisect_battle_odds(war_win, k0, N)


def _bisect_battle_odds(war_win, k0: int, N: int):
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
    rows: np.ndarray | None = None  # each draw's row of lower/upper (None: a row per draw, or one for all)

    def unconstrained(self) -> "DomesticTimeline":
        return DomesticTimeline(
            np.full_like(self.lower, -np.inf), np.full_like(self.upper, np.inf), self.ratifiers,
            (math.nan, math.nan), self.past, self.rows,
        )  # fmt: skip

    def repeat(self, reps: int) -> "DomesticTimeline":
        """Each draw's row repeated ``reps`` times (wars per scenario draw)."""
        if self.rows is not None:
            return DomesticTimeline(self.lower, self.upper, self.ratifiers, self.start, self.past,
                                    np.repeat(self.rows, reps))  # fmt: skip
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


def war_entries(scenario: Scenario, war: WarSpec, schedule, skip_events: frozenset = frozenset()):
    """The event-schedule entries the war layer applies, with the month each takes effect:
    capability, position and salience changes on the settlement issue (a capability
    without issue counts) and departures of actors present at the start; events in
    ``skip_events`` left out.  ``[(month, entry)]`` in time order (stable)."""
    from realpolitik.scenario.events import CAPABILITY, LEAVE, POSITION, SALIENCE

    j = scenario.issue_ids.index(war.issue)
    months = [signed_event_month(scenario, war, ev) for ev in scenario.events]
    out = []
    for k in range(schedule.entries):
        e, f, a, i = int(schedule.event[k]), int(schedule.field[k]), int(schedule.actor[k]), int(schedule.issue[k])
        if schedule.labels[e] in skip_events or a >= schedule.n_start:
            continue
        if f in (POSITION, SALIENCE) and i != j:
            continue
        if f == CAPABILITY and i not in (-1, j):
            continue
        if f not in (CAPABILITY, POSITION, SALIENCE, LEAVE):
            continue
        out.append((months[e], k))
    out.sort(key=lambda mk: mk[0])
    return out


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
    schedule=None,
) -> DomesticTimeline:
    """Domestic bounds of both sides over the simulator's steps [D].

    A side with domestic constituencies (actors whose parent is its ``domestic``
    label) has the bound of :func:`~realpolitik.models.war.mechanisms.domestic_bound`:
    its leader's position pulled toward the constituencies' pressure-weighted mean
    position by ``1 - autonomy``; a side without constituencies has none.
    ``position``/``salience``/``capability`` are optional arrays ``[..., actor,
    issue]`` (a batch of scenario draws), ``autonomy`` optional per-draw values
    ``(A, B)`` (default each side's point value).  Steps run from ``-past_steps``
    (the war's start) to ``max_battles``.  Events come from the scenario's one event
    schedule (:mod:`realpolitik.scenario.events`): ``schedule`` (default the point
    schedule) with one row, or one row per draw (whether each event happens and its
    drawn values); a change takes effect from the first step at or after its month
    (:func:`signed_event_month`), and an actor that leaves stops pressing.
    ``pressure_shift`` moves every constituency's position toward its own side's end
    by that many shares (a what-if).  Each bound tightens with its side's audience-cost
    rate (shares per year after ``as_of``, looser before it) but never beyond its
    leader's own position.  (:func:`domestic_pressures` then
    :meth:`DomesticPressures.timeline`.)
    """
    return domestic_pressures(
        scenario, war, max_battles, position, salience, capability, pressure_shift, use_events, skip_events,
        past_steps, schedule,
    ).timeline(autonomy)  # fmt: skip


@dataclass(frozen=True)
class DomesticPressures:
    """What the domestic bounds are made of, before the leaders' autonomy: per side and
    step the leader's position and the constituencies' pressure-weighted mean position
    (A-share units; ``None``: a side without constituencies), one row per draw of the
    inputs (or none).  :meth:`timeline` pulls each leader toward its pressure."""

    war: WarSpec
    sides: tuple  # per side: None, or (lead [..., steps], pressure [..., steps], no_pressure [steps])
    months: np.ndarray  # [steps], months after as_of of each step
    ratifiers: tuple[tuple[str, ...], tuple[str, ...]]
    past: int = 0

    def timeline(self, autonomy=None, rows: np.ndarray | None = None) -> DomesticTimeline:
        """The bounds with the leaders' ``autonomy`` (default each side's point value; or
        per-draw values ``(A, B)``); ``rows``: the row of these pressures each draw takes
        (draws of one scenario draw share its row), the same numbers as pressures
        computed with every draw's inputs."""
        war = self.war
        aut = [s.autonomy.mode for s in war.sides] if autonomy is None else list(autonomy)
        if rows is not None and all(np.ndim(a) == 0 for a in aut):
            # one autonomy for all: the bounds of each row of pressures, and each draw's row
            tl = self.timeline(aut)
            if tl.lower.ndim == 1:
                return tl
            return self._timeline(tl.lower, tl.upper, np.asarray(rows, np.int64))
        years = self.months / 12.0
        bounds = []
        for side, sign in ((0, 1.0), (1, -1.0)):
            if self.sides[side] is None:
                bounds.append(np.full(self.months.shape, -np.inf * sign))
                continue
            lead, press, none = self.sides[side]
            if rows is not None and lead.ndim > 1:
                lead, press = lead[rows], press[rows]
            a = np.asarray(aut[side], float)[..., None]
            b = pulled_bound(lead, press, a)  # mechanisms.domestic_bound, step by step
            tight = b + sign * war.sides[side].audience_cost_rate * years
            # audience costs tighten the bound, but never beyond the leader's own position
            out = np.minimum(tight, np.maximum(b, lead)) if side == 0 else np.maximum(tight, np.minimum(b, lead))
            bounds.append(np.where(none, -np.inf * sign, out))
        shape = np.broadcast_shapes(bounds[0].shape, bounds[1].shape)
        return self._timeline(np.broadcast_to(bounds[0], shape).astype(float), np.broadcast_to(bounds[1], shape).astype(float))

    def _timeline(self, lower: np.ndarray, upper: np.ndarray, rows: np.ndarray | None = None) -> DomesticTimeline:
        first = lambda a: float(np.ravel(a)[0]) if np.isfinite(np.ravel(a)[0]) else float("nan")  # noqa: E731
        at = (lambda a: a[rows[:1]]) if rows is not None else (lambda a: a)  # noqa: E731
        return DomesticTimeline(
            lower, upper, self.ratifiers, (first(at(lower)[..., self.past]), first(at(upper)[..., self.past])), self.past,
            rows,
        )  # fmt: skip


def domestic_pressures(
    scenario: Scenario,
    war: WarSpec,
    max_battles: int,
    position=None,
    salience=None,
    capability=None,
    pressure_shift: float = 0.0,
    use_events: bool = True,
    skip_events: frozenset = frozenset(),
    past_steps: int = 0,
    schedule=None,
) -> DomesticPressures:
    """The leaders' positions and their constituencies' pressure over the steps (the
    arguments of :func:`domestic_timeline`, without the autonomy)."""
    from realpolitik.scenario.events import CAPABILITY, LEAVE, POSITION, event_schedule

    arr = scenario.arrays()
    j = scenario.issue_ids.index(war.issue)
    # the settlement issue's column only: [..., actor]
    pos = np.asarray(arr.position if position is None else position, float)[..., j].copy()
    sal = np.asarray(arr.salience if salience is None else salience, float)[..., j].copy()
    cap = np.asarray(arr.capability if capability is None else capability, float)[..., j].copy()
    alive = np.ones_like(pos)
    orient = orientation(scenario, war)
    rows = [ratifiers(scenario, war, 0), ratifiers(scenario, war, 1)]
    ids = scenario.actor_ids
    entries: list = []
    if use_events and scenario.events:
        schedule = event_schedule(scenario) if schedule is None else schedule
        entries = war_entries(scenario, war, schedule, skip_events)
        if schedule.draws > 1 and pos.ndim == 1:  # one row per draw of the schedule
            pos, sal, cap, alive = (np.broadcast_to(x, (schedule.draws,) + x.shape).copy() for x in (pos, sal, cap, alive))
    months = np.arange(-past_steps, max_battles + 1) * war.months_per_battle
    leaders = [ids.index(s.leader) for s in war.sides]

    def pressure_now():
        """Per side: (leader's share, constituencies' pressure-weighted mean share) or None."""
        out = []
        for side in (0, 1):
            r = rows[side]
            if not r:
                out.append(None)
                continue
            shift = pressure_shift if side == 0 else -pressure_shift
            x = orient.to_share(pos[..., r]) + shift
            w = cap[..., r] * sal[..., r] * alive[..., r]
            out.append((np.asarray(orient.to_share(pos[..., leaders[side]])), np.asarray(domestic_pressure(x, w))))
        return out

    def column(x, sched_draws):
        return x[0] if sched_draws == 1 else x

    ci = 0
    current = pressure_now()
    cols: list[list] = [[], []]  # per side and step: (leader, pressure) or None
    for t in range(months.size):
        applied = False
        while ci < len(entries) and entries[ci][0] <= months[t] + 1e-9:
            _, k = entries[ci]
            ci += 1
            e, f, a = int(schedule.event[k]), int(schedule.field[k]), int(schedule.actor[k])
            happens = column(schedule.happens[:, e], schedule.draws)
            value = column(schedule.value[:, k], schedule.draws)
            if f == LEAVE:
                alive[..., a] = np.where(happens, 0.0, alive[..., a])
            else:
                target = pos if f == POSITION else (cap if f == CAPABILITY else sal)
                target[..., a] = np.where(happens, value, target[..., a])
            applied = True
        if applied:
            current = pressure_now()
        for side in (0, 1):
            cols[side].append(current[side])
    sides = []
    for side in (0, 1):
        if all(c is None for c in cols[side]):
            sides.append(None)
            continue
        none = np.array([c is None for c in cols[side]])
        shape = np.broadcast_shapes(*(np.shape(c[0]) for c in cols[side] if c is not None))
        pick = lambda i: np.stack([np.broadcast_to(c[i], shape) if c is not None else np.full(shape, np.nan)  # noqa: E731
                                   for c in cols[side]], axis=-1)
        sides.append((pick(0), pick(1), none))
    return DomesticPressures(war, tuple(sides), months, (tuple(ids[i] for i in rows[0]), tuple(ids[i] for i in rows[1])),
                             past_steps)  # fmt: skip

"""One event schedule: a scenario's timed events as array-level changes, made once for every model.

A scenario's :class:`~realpolitik.scenario.model.Event` lists changes by id ("putin's
position on settlement becomes 80 at round 2").  Models consume them as arrays: an
actor index, an issue column and a value per Monte Carlo draw.  :class:`EventSchedule`
is that translation, made here once:

* one *entry* per thing a change sets, in event order then change order: a
  ``capability``, ``position`` or ``salience`` change is one entry (``issue = -1`` for a
  capability on every issue); ``leave`` is one entry; ``enter`` becomes, per issue the
  entering actor takes part in, an ``ENTER`` entry followed by its capability, position
  and salience entries there (``kind`` stays ``ENTER`` for all four);
* actors are indexed over a *universe*: the scenario's actors, then those that enter
  in an event (in order of their round);
* values are per draw, ``value[draw, entry]``: positions on the issue's scale,
  saliences as fractions 0-1, capabilities as given;
* ``happens[draw, event]`` says whether the event happens in a draw.

Uncertain events are drawn here, per draw, and only here (:func:`sample_events`, called
by :func:`~realpolitik.scenario.uncertainty.sample_batch`): an event's ``probability``
(all its changes together) and a change's ``distribution`` (its value).  A point
forecast (:func:`event_schedule`) uses the point values and applies an event when its
probability is at least 0.5 - the more likely of the two worlds.

Each model declares the fields it can apply (``Model.event_fields``) and whether it
times events by rounds; :meth:`EventSchedule.skipped` gives the one report of what a
model leaves out (``details.events_skipped``, one line per change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from realpolitik.scenario.model import Scenario

FIELDS = ("capability", "position", "salience", "enter", "leave")
CAPABILITY, POSITION, SALIENCE, ENTER, LEAVE = range(5)
#: a point forecast applies an event whose probability is at least this
POINT_PROBABILITY = 0.5


@dataclass(frozen=True)
class EventSchedule:
    """Every change of a scenario's events as arrays (see the module docstring).

    Shapes: ``E`` events, ``K`` entries, ``D`` draws.
    """

    actors: tuple[str, ...]  # the universe: scenario actors, then entering actors
    issues: tuple[str, ...]
    labels: tuple[str, ...]  # [E] event id, or "events.K"
    event_round: np.ndarray  # [E] int; -1: the event has only a date
    probability: np.ndarray  # [E]
    happens: np.ndarray  # [D, E] bool
    event: np.ndarray  # [K] the entry's event
    change: np.ndarray  # [K] the entry's change within its event
    kind: np.ndarray  # [K] field code of the scenario change (ENTER for every entry of an entry)
    field: np.ndarray  # [K] what the entry sets: CAPABILITY, POSITION, SALIENCE, ENTER, LEAVE
    actor: np.ndarray  # [K] index into ``actors``
    issue: np.ndarray  # [K] issue column; -1: every issue (capability without issue, leave)
    value: np.ndarray  # [D, K]; NaN for ENTER and LEAVE entries
    n_start: int = 0  # actors present at the start (the scenario's own)
    n_timed: int = 0  # those plus the actors that enter in an event with a round (dated-only entries last)
    _text: tuple[str, ...] = field(default=(), repr=False)  # [K] "position of putin on settlement"

    # ------------------------------------------------------------------ shape
    @property
    def draws(self) -> int:
        return int(self.value.shape[0])

    @property
    def entries(self) -> int:
        return int(self.field.shape[0])

    @property
    def round(self) -> np.ndarray:
        """``[K]`` the round of each entry (-1: no round)."""
        return self.event_round[self.event] if self.entries else np.zeros(0, int)

    def applies(self, k: int) -> np.ndarray:
        """``[D]`` bool: whether entry ``k`` takes effect in each draw."""
        return self.happens[:, self.event[k]]

    def at(self, t: int, entries: np.ndarray | None = None) -> np.ndarray:
        """Indices of the entries at round ``t`` (of ``entries``, default all), in order."""
        idx = np.flatnonzero(self.round == t)
        return idx if entries is None else idx[np.isin(idx, entries)]

    def rounds(self, entries: np.ndarray | None = None) -> list[int]:
        """The rounds (>= 0) at which any of ``entries`` (default all) happens, ascending."""
        r = self.round if entries is None else self.round[entries]
        return sorted({int(x) for x in r if x >= 0})

    def select(self, fields: frozenset[str] | set[str], rounds: bool = True) -> np.ndarray:
        """Entries a model with these fields applies: its kinds, actors present at the start
        unless it applies ``enter``, and (with ``rounds``) events that have a round."""
        codes = np.array([FIELDS.index(f) for f in fields], int)
        ok = np.isin(self.kind, codes)
        if "enter" not in fields:
            ok &= self.actor < self.n_start
        if rounds:
            ok &= self.round >= 0
        return np.flatnonzero(ok)

    def take(self, draws: slice | np.ndarray) -> "EventSchedule":
        """The schedule of some draws (a chunk, or a group of draws)."""
        return _replace(self, happens=self.happens[draws], value=self.value[draws])

    def uniform(self, entries: np.ndarray) -> bool:
        """True when each of ``entries`` happens in every draw or in none (models whose set of
        actors is shared by a batch group draws by :meth:`groups` otherwise)."""
        h = self.happens[:, self.event[entries]]
        return bool(np.all(h == h[:1]))

    def groups(self, entries: np.ndarray) -> list[np.ndarray]:
        """Draw indices grouped so that within a group each of ``entries`` happens in every draw
        or in none (one group when nothing is uncertain)."""
        if self.draws == 0:
            return []
        ev = np.unique(self.event[entries]) if len(entries) else np.zeros(0, int)
        if ev.size == 0:
            return [np.arange(self.draws)]
        _, inverse = np.unique(self.happens[:, ev], axis=0, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        return [np.flatnonzero(inverse == g) for g in range(int(inverse.max()) + 1)]

    # ------------------------------------------------------------------ report
    def describe(self, k: int) -> str:
        return self._text[k]

    def skipped(
        self,
        model: str,
        fields: frozenset[str] | set[str],
        rounds: bool = True,
        last_round: int | None = None,
        point: bool = True,
    ) -> list[str]:
        """The uniform "events skipped" report: one line per scenario change a model leaves out.

        ``fields``: the change kinds the model applies; ``rounds``: it times events by rounds
        (events with only a date are skipped); ``last_round``: changes after it are skipped
        (the run ended first); ``point``: a point forecast (events with probability below
        0.5 are left out, see the module docstring).
        """
        out: list[str] = []
        seen: set[tuple[int, int]] = set()
        for k in range(self.entries):
            e, c = int(self.event[k]), int(self.change[k])
            if (e, c) in seen:
                continue
            seen.add((e, c))
            kind = FIELDS[int(self.kind[k])]
            what = f"{self.labels[e]}: {self._text[k]}"
            r = int(self.event_round[e])
            if kind not in fields:
                out.append(f"{what} (not applied by {model})")
            elif kind != "enter" and int(self.actor[k]) >= self.n_start and "enter" not in fields:
                out.append(f"{what} (an actor that enters later; {model} keeps the actors it starts with)")
            elif rounds and r < 0:
                out.append(f"{what} (no round: {model} times events by rounds)")
            elif last_round is not None and r > last_round:
                out.append(f"{what} (at round {r}: the run ended at round {last_round})")
            elif point and self.probability[e] < POINT_PROBABILITY:
                out.append(
                    f"{what} (probability {self.probability[e]:g} below {POINT_PROBABILITY:g}: "
                    "left out of the point forecast; Monte Carlo draws it)"
                )
        return out


def _replace(s: EventSchedule, **kw: Any) -> EventSchedule:
    from dataclasses import replace

    return replace(s, **kw)


# ---------------------------------------------------------------------- building
def _universe(scenario: "Scenario") -> tuple[list[str], int]:
    """Actor ids: the scenario's, then those entering in an event with a round (by round), then
    those entering only in dated events; and how many come before the dated-only ones."""
    ids = list(scenario.actor_ids)
    order = sorted(range(len(scenario.events)), key=lambda e: (scenario.events[e].round is None,
                                                               scenario.events[e].round or 0, e))  # fmt: skip
    n_timed = len(ids)
    for e in order:
        for ch in scenario.events[e].changes:
            if ch.field == "enter" and ch.actor not in ids:
                ids.append(ch.actor)
        if scenario.events[e].round is not None:
            n_timed = len(ids)
    return ids, n_timed


@dataclass
class _Plan:
    """The entries of a scenario and, per entry, where its value comes from."""

    rows: list[tuple[int, int, int, int, int, int]]  # event, change, kind, field, actor, issue
    point: list[float]
    text: list[str]
    dist: list[Any]  # the change's Distribution (value entries of uncertain changes), else None


def _plan(scenario: "Scenario", universe: tuple[list[str], int]) -> _Plan:
    pos = {a: k for k, a in enumerate(universe[0])}
    col = {i: c for c, i in enumerate(scenario.issue_ids)}
    plan = _Plan([], [], [], [])

    def add(e, c, kind, fld, actor, issue, value, text, dist=None):
        plan.rows.append((e, c, kind, fld, actor, issue))
        plan.point.append(value)
        plan.text.append(text)
        plan.dist.append(dist)

    for e, ev in enumerate(scenario.events):
        for c, ch in enumerate(ev.changes):
            k = pos[ch.actor]
            on = f" on {ch.issue}" if ch.issue is not None else ""
            if ch.field == "enter":
                ad = ch.actor_data
                text = f"enter of {ch.actor}"
                for iid in scenario.issue_ids:
                    if iid not in ad.positions:
                        continue
                    j = col[iid]
                    add(e, c, ENTER, ENTER, k, j, math.nan, text)
                    add(e, c, ENTER, CAPABILITY, k, j, float(ad.capability_on(iid)), text)
                    add(e, c, ENTER, POSITION, k, j, float(ad.positions[iid]), text)
                    add(e, c, ENTER, SALIENCE, k, j, float(ad.saliences[iid]) / 100.0, text)
                if not any(i in ad.positions for i in scenario.issue_ids):  # nothing to enter into
                    add(e, c, ENTER, ENTER, k, -1, math.nan, text)
            elif ch.field == "leave":
                add(e, c, LEAVE, LEAVE, k, -1, math.nan, f"leave of {ch.actor}")
            else:
                code = FIELDS.index(ch.field)
                scale = 100.0 if ch.field == "salience" else 1.0
                j = -1 if ch.issue is None else col[ch.issue]
                add(e, c, code, code, k, j, float(ch.value) / scale, f"{ch.field} of {ch.actor}{on}", ch.distribution)
    return plan


def _build(scenario: "Scenario", happens: np.ndarray, value: np.ndarray, universe, plan: _Plan) -> EventSchedule:
    rows = np.array(plan.rows, dtype=int).reshape(-1, 6)
    universe, n_timed = universe
    return EventSchedule(
        actors=tuple(universe),
        issues=tuple(scenario.issue_ids),
        labels=tuple(ev.id or f"events.{e}" for e, ev in enumerate(scenario.events)),
        event_round=np.array([-1 if ev.round is None else ev.round for ev in scenario.events], dtype=int),
        probability=np.array([ev.probability for ev in scenario.events], dtype=float),
        happens=happens,
        event=rows[:, 0],
        change=rows[:, 1],
        kind=rows[:, 2],
        field=rows[:, 3],
        actor=rows[:, 4],
        issue=rows[:, 5],
        value=value,
        n_start=len(scenario.actors),
        n_timed=n_timed,
        _text=tuple(plan.text),
    )


def event_schedule(scenario: "Scenario", draws: int = 1) -> EventSchedule:
    """The point schedule: point values, and an event applied when its probability >= 0.5.

    ``draws`` copies along the draw axis (the same in every draw).
    """
    universe = _universe(scenario)
    plan = _plan(scenario, universe)
    prob = np.array([ev.probability for ev in scenario.events], dtype=float)
    happens = np.broadcast_to(prob >= POINT_PROBABILITY, (draws, len(prob))).copy()
    value = np.broadcast_to(np.array(plan.point, dtype=float), (draws, len(plan.point))).copy()
    return _build(scenario, happens, value, universe, plan)


def is_uncertain(scenario: "Scenario") -> bool:
    """True when some event has a probability below 1 or a change with a distribution."""
    return any(ev.probability < 1 or any(ch.distribution is not None for ch in ev.changes) for ev in scenario.events)


def sample_events(scenario: "Scenario", draws: int, gen: np.random.Generator) -> EventSchedule:
    """The schedule of ``draws`` Monte Carlo draws: each uncertain event happens or not (one
    uniform per draw and event), each uncertain value is drawn from its distribution (one
    uniform per draw and change), in one ``[draw, K]`` matrix (values first, then events)."""
    from realpolitik.scenario.uncertainty import _inverse_cdf

    universe = _universe(scenario)
    plan = _plan(scenario, universe)
    value = np.broadcast_to(np.array(plan.point, dtype=float), (draws, len(plan.point))).copy()
    prob = np.array([ev.probability for ev in scenario.events], dtype=float)
    happens = np.ones((draws, len(prob)), dtype=bool)
    uncertain_v = [k for k, d in enumerate(plan.dist) if d is not None]
    uncertain_e = [e for e in range(len(prob)) if prob[e] < 1]
    if not uncertain_v and not uncertain_e:
        return _build(scenario, happens, value, universe, plan)
    u = gen.random((draws, len(uncertain_v) + len(uncertain_e)))
    if uncertain_v:
        specs = [plan.dist[k] for k in uncertain_v]
        kinds = np.array([("uniform", "triangular", "normal").index(d.dist) for d in specs])
        par = {key: np.array([np.nan if getattr(d, key) is None else getattr(d, key) for d in specs], float)
               for key in ("low", "high", "mode", "mean", "sd")}  # fmt: skip
        a = np.empty(len(specs))
        b = np.empty(len(specs))
        scale = np.ones(len(specs))
        for j, k in enumerate(uncertain_v):
            fld, col = plan.rows[k][3], plan.rows[k][5]
            if fld == POSITION:
                iss = scenario.issues[col]
                a[j], b[j] = iss.min, iss.max
            elif fld == SALIENCE:
                a[j], b[j], scale[j] = 0.0, 100.0, 100.0
            else:
                a[j], b[j] = 0.0, np.inf
        par["a"], par["b"] = a, b
        vals = _inverse_cdf(u[:, : len(uncertain_v)], kinds, par) / scale
        for j, k in enumerate(uncertain_v):
            v = vals[:, j]
            if plan.rows[k][3] == CAPABILITY:
                v = np.maximum(v, np.finfo(float).tiny)  # a capability drawn at exactly 0 is invalid
            value[:, k] = v
    if uncertain_e:
        happens[:, uncertain_e] = u[:, len(uncertain_v):] < prob[uncertain_e]
    return _build(scenario, happens, value, universe, plan)


# ---------------------------------------------------------------------- files
def extract_event_distributions(data: dict[str, Any], locate, problems: list) -> None:
    """Replace distribution mappings in event values by their point value and a ``distribution``.

    Runs in :func:`realpolitik.scenario.build.build_scenario` before validation, like
    :func:`~realpolitik.scenario.uncertainty.extract_uncertainty` for actor values; a
    salience distribution in a file that declares ``salience_scale: 0-1`` moves to 0-100.
    A malformed distribution adds a located problem (one line).
    """
    from realpolitik.errors import Problem
    from realpolitik.scenario.uncertainty import _factor, parse_distribution

    factor = _factor(data.get("salience_scale"))
    for e_k, ev in enumerate(data.get("events") or []):
        if not isinstance(ev, dict):
            continue
        for c_k, ch in enumerate(ev.get("changes") or []):
            if not isinstance(ch, dict) or not isinstance(ch.get("value"), dict):
                continue
            raw = ch["value"]
            where = locate(("events", e_k, "changes", c_k, "value"))
            fld = ch.get("field")
            if fld not in ("capability", "position", "salience"):
                problems.append(Problem(where, f"a {fld} change has no value to draw: only capability, position "
                                               "and salience changes take a distribution"))  # fmt: skip
                ch.pop("value")
                continue
            try:
                dist = parse_distribution(raw)
            except ValueError as exc:
                problems.append(Problem(where, f"{fld} value: {exc}"))
                ch["value"] = 1.0 if fld == "capability" else 0.0  # a stand-in: the problem is reported
                continue
            if fld == "salience" and factor != 1.0:
                dist = dist.scaled(factor)
                ch["value"] = dist.point / factor  # _scale_saliences multiplies it back
            else:
                ch["value"] = dist.point
            ch["distribution"] = dist.model_dump(exclude_none=True)

"""The scenario data model (pydantic v2): metadata, issues, actors, timed events.

A :class:`Scenario` is immutable and validated.  Loaders turn files into a plain
dict; :func:`realpolitik.scenario.build.build_scenario` validates that dict into a
Scenario and maps every validation error back to the file, row and field it came
from.  Models read a Scenario (usually through :meth:`Scenario.arrays`), never files.

Conventions
-----------
* Saliences are stored on 0-100.  A file may declare ``salience_scale: "0-1"``;
  the builder multiplies such values by 100 before validation.
* Positions are on the issue's own scale ``[min, max]`` (years, percent, 0-100 ...).
* ``capability`` is > 0; ``capability_by_issue`` optionally overrides it per issue
  (the Decide format gives power per actor and issue).
* An actor may leave an issue out of ``positions``: it does not take part in it
  (its salience there is 0 and models skip it).  Every actor must take part in at
  least one issue.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
import datetime as dt
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from realpolitik.scenario.uncertainty import MAX_CAPABILITY, Distribution, UncertainValue
from realpolitik.scenario.war import WarSpec

ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _finite(v: float | None, what: str = "value") -> float | None:
    if v is not None and not math.isfinite(v):
        raise ValueError(f"{what} is {v!r}; expected a finite number")
    return v


def _capability(v: float) -> float:
    _finite(v, "capability")
    if v <= 0:
        raise ValueError(f"capability is {v:g}; expected a number greater than 0")
    if v > MAX_CAPABILITY:
        raise ValueError(f"capability is {v:g}; expected at most {MAX_CAPABILITY:g} (capabilities are relative: "
                         "rescale them, e.g. to 0-100, so that the models' sums of products stay finite)")
    return v


def _position(v: float) -> float:
    return _finite(v, "position")


def _salience(v: float) -> float:
    _finite(v, "salience")
    if not 0 <= v <= 100:
        raise ValueError(
            f"salience is {v:g}; expected a number in 0-100 (or in 0-1 when the file declares "
            "salience_scale: 0-1)"
        )
    return v


# Per-value checks, so that an error's path names the issue (actors.3.saliences.tempo).
CapabilityValue = Annotated[float, AfterValidator(_capability)]
PositionValue = Annotated[float, AfterValidator(_position)]
SalienceValue = Annotated[float, AfterValidator(_salience)]


class Source(_Frozen):
    """A document the scenario rests on."""

    id: str | None = None
    title: str
    url: str | None = None
    citation: str | None = None
    quote: str | None = None


class ScalePoint(_Frozen):
    """A labelled point on an issue's scale (e.g. 50 = "freeze on current lines")."""

    value: float
    label: str

    _v = field_validator("value")(lambda v: _finite(v, "scale point"))


class Issue(_Frozen):
    """One issue (dimension): a scale with labelled points and an optional status quo."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    label: str = ""
    description: str | None = None
    min: float = 0.0
    max: float = 100.0
    points: tuple[ScalePoint, ...] = ()
    status_quo: float | None = None

    @field_validator("min", "max", "status_quo")
    @classmethod
    def _finite_bounds(cls, v):
        return _finite(v, "scale bound")

    @model_validator(mode="after")
    def _check_scale(self):
        if not self.max > self.min:
            raise ValueError(f"scale max ({self.max:g}) must be greater than min ({self.min:g})")
        values = [p.value for p in self.points]
        for p in self.points:
            if not self.min <= p.value <= self.max:
                raise ValueError(
                    f"labelled point {p.value:g} ({p.label!r}) lies outside the scale "
                    f"[{self.min:g}, {self.max:g}]"
                )
        if any(b <= a for a, b in zip(values, values[1:])):
            raise ValueError("labelled points must be in strictly ascending order of value")
        if self.status_quo is not None and not self.min <= self.status_quo <= self.max:
            raise ValueError(
                f"status quo {self.status_quo:g} lies outside the scale [{self.min:g}, {self.max:g}]"
            )
        return self

    def nearest_point(self, x: float) -> ScalePoint | None:
        """The labelled point closest to ``x`` (None when the issue has no labels)."""
        if not self.points:
            return None
        return min(self.points, key=lambda p: abs(p.value - x))

    @property
    def span(self) -> float:
        return self.max - self.min


class Note(_Frozen):
    """The rationale for one number and the source text it rests on.

    ``field`` names the number, e.g. ``"position.settlement"`` or ``"capability"``.
    """

    field: str = ""
    text: str = ""
    quote: str | None = None
    source: str | None = None


class Actor(_Frozen):
    """A player: capability, and per issue a position and a salience (0-100)."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    name: str = ""
    capability: CapabilityValue
    capability_by_issue: dict[str, CapabilityValue] = Field(default_factory=dict)
    positions: dict[str, PositionValue]
    saliences: dict[str, SalienceValue]
    group: str | None = None
    parent: str | None = None
    description: str | None = None
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _same_issues(self):
        missing = set(self.positions) - set(self.saliences)
        if missing:
            raise ValueError(f"salience missing for issue(s) {', '.join(sorted(missing))}")
        extra = set(self.saliences) - set(self.positions)
        if extra:
            raise ValueError(f"position missing for issue(s) {', '.join(sorted(extra))}")
        if not self.positions:
            raise ValueError("actor takes part in no issue (no positions given)")
        return self

    @property
    def label(self) -> str:
        return self.name or self.id

    def capability_on(self, issue: str) -> float:
        return self.capability_by_issue.get(issue, self.capability)


ChangeField = Literal["capability", "position", "salience", "enter", "leave"]


class Change(_Frozen):
    """One change an event makes.

    ``field`` is ``capability``, ``position`` or ``salience`` (with ``issue`` for the
    last two and ``value``), ``leave`` (the actor leaves), or ``enter`` (``actor_data``
    holds the entering actor in full).  ``distribution`` makes the value uncertain:
    ``value`` is then its point value (midpoint, mode or mean) and Monte Carlo draws
    the value per draw (:mod:`realpolitik.scenario.events`).
    """

    actor: str
    field: ChangeField
    issue: str | None = None
    value: float | None = None
    distribution: Distribution | None = None
    actor_data: Actor | None = None

    @model_validator(mode="before")
    @classmethod
    def _point_of_distribution(cls, data: Any) -> Any:
        # built in Python with only a distribution: its point value is the value
        if isinstance(data, dict) and data.get("value") is None and data.get("distribution") is not None:
            dist = data["distribution"]
            if isinstance(dist, dict):
                try:
                    dist = Distribution.model_validate(dist)
                except ValueError:
                    return data  # the field check reports it
            if isinstance(dist, Distribution):
                data = {**data, "value": dist.point}
        return data

    @model_validator(mode="after")
    def _complete(self):
        if self.distribution is not None:
            d = self.distribution
            if self.field not in ("capability", "position", "salience"):
                raise ValueError(f"a {self.field} change has no value to draw: a distribution needs a "
                                 "capability, position or salience change")
            if self.field == "salience" and any(not 0 <= x <= 100 for x in d.values):
                raise ValueError(f"salience distribution ({d.describe()}) goes outside 0-100")
            if self.field == "capability" and ((d.low is not None and d.low < 0) or d.point <= 0):
                raise ValueError(f"capability distribution ({d.describe()}) must lie above 0")
            if self.field == "capability" and any(x > MAX_CAPABILITY for x in d.values):
                raise ValueError(f"capability distribution ({d.describe()}) goes above {MAX_CAPABILITY:g}")
        if self.field in ("position", "salience") and self.issue is None:
            raise ValueError(f"a {self.field} change needs an issue")
        if self.field in ("capability", "position", "salience"):
            if self.value is None:
                raise ValueError(f"a {self.field} change needs a value")
            _finite(self.value, self.field)
        if self.field == "capability" and self.value is not None:
            _capability(self.value)
        if self.field == "salience" and self.value is not None and not 0 <= self.value <= 100:
            raise ValueError(f"salience must lie in 0-100, got {self.value:g}")
        if self.field == "enter" and self.actor_data is None:
            raise ValueError("an 'enter' change needs actor_data (the entering actor)")
        if self.field == "enter" and self.actor_data is not None and self.actor_data.id != self.actor:
            raise ValueError(
                f"actor_data.id {self.actor_data.id!r} differs from the change's actor {self.actor!r}"
            )
        return self


class Event(_Frozen):
    """A timed event: at a round (or a date), a list of changes.

    ``probability`` (default 1) is the chance that the event happens at all: Monte
    Carlo draws it per draw, all its changes together; a point forecast applies the
    event when the probability is at least 0.5 (docs/scenario-format.md).
    """

    id: str | None = None
    round: int | None = Field(default=None, ge=0)
    date: dt.date | None = None
    probability: float = 1.0
    description: str = ""
    source: str | None = None
    quote: str | None = None
    changes: tuple[Change, ...] = ()

    @field_validator("probability")
    @classmethod
    def _probability(cls, v: float) -> float:
        if not (math.isfinite(v) and 0 < v <= 1):
            raise ValueError(f"probability is {v:g}; expected a number above 0 and at most 1 (the chance the event happens)")
        return v

    @model_validator(mode="after")
    def _when(self):
        if self.round is None and self.date is None:
            raise ValueError("an event needs a round or a date")
        return self


def _get(obj: Any, key: str, default: Any = None) -> Any:
    return obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)


def _num(v: Any) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    return None


def consistency_problems(issues: Any, actors: Any, events: Any) -> list[str]:
    """Cross-checks between issues, actors and events, as ``"path: message"`` lines.

    Works on validated objects and on raw loader data alike (anything malformed is
    skipped: field validation reports it), so that a file with a bad cell still gets
    its duplicate ids, unknown issues and out-of-scale positions reported in the same
    pass (the builder calls it when field validation fails).
    """
    problems: list[str] = []
    issues = [i for i in (issues or []) if isinstance(i, (dict, Issue))] if isinstance(issues, (list, tuple)) else []
    actors = [a for a in (actors or []) if isinstance(a, (dict, Actor))] if isinstance(actors, (list, tuple)) else []
    events = [e for e in (events or []) if isinstance(e, (dict, Event))] if isinstance(events, (list, tuple)) else []
    issue_ids = [str(_get(i, "id")) for i in issues]
    if not issue_ids:
        problems.append("issues: at least one issue is required")
    first_issue: dict[str, int] = {}
    for k, iid in enumerate(issue_ids):
        if iid in first_issue:
            problems.append(f"issues.{k}.id: duplicate issue id {iid!r} (first at issues.{first_issue[iid]})")
        first_issue.setdefault(iid, k)
    actor_ids = [str(_get(a, "id")) for a in actors]
    if len(actor_ids) < 2:
        problems.append(f"actors: at least two actors are required, found {len(actor_ids)}")
    first_actor: dict[str, int] = {}
    for k, aid in enumerate(actor_ids):
        if aid in first_actor:
            problems.append(f"actors.{k}.id: duplicate actor id {aid!r} (first at actors.{first_actor[aid]})")
        first_actor.setdefault(aid, k)
    known = set(issue_ids)
    scales: dict[str, tuple[float, float]] = {}
    for i in issues:
        lo, hi = _num(_get(i, "min", 0.0)), _num(_get(i, "max", 100.0))
        if lo is not None and hi is not None and hi > lo:
            scales[str(_get(i, "id"))] = (lo, hi)
    groups = {_get(b, "group") for b in actors if _get(b, "group")}
    known_list = ", ".join(issue_ids) or "none"
    for k, a in enumerate(actors):
        unknown: set[str] = set()  # one message per actor and unknown issue
        for field in ("positions", "saliences", "capability_by_issue"):
            values = _get(a, field) or {}
            if not isinstance(values, dict):
                continue
            for iid in values:
                if iid not in known and iid not in unknown:
                    unknown.add(iid)
                    problems.append(f"actors.{k}.{field}.{iid}: unknown issue id {iid!r} (known: {known_list})")
        positions = _get(a, "positions") or {}
        for iid, x in (positions.items() if isinstance(positions, dict) else ()):
            v, sc = _num(x), scales.get(iid)
            if v is not None and sc is not None and not sc[0] <= v <= sc[1]:
                problems.append(
                    f"actors.{k}.positions.{iid}: position {v:g} lies outside the issue scale [{sc[0]:g}, {sc[1]:g}]"
                )
        parent, aid = _get(a, "parent"), _get(a, "id")
        if parent is not None and parent == aid:
            problems.append(f"actors.{k}.parent: an actor cannot be its own parent")
        elif parent is not None and parent not in first_actor and parent not in groups:
            # a parent must be an actor id or a group label (a state that is not itself a player)
            problems.append(f"actors.{k}.parent: unknown parent {parent!r} (not an actor id or group)")
    if not any("parent" in p for p in problems):
        from realpolitik.scenario.nested import nested_problems

        problems.extend(nested_problems(actors, issues))
    entering = {
        _get(c, "actor") for e in events for c in (_get(e, "changes") or ()) if _get(c, "field") == "enter"
    }
    for e_k, ev in enumerate(events):
        changes = _get(ev, "changes") or ()
        for c_k, ch in enumerate(changes if isinstance(changes, (list, tuple)) else ()):
            if not isinstance(ch, (dict, Change)):
                continue
            where = f"events.{e_k}.changes.{c_k}"
            actor, field, issue = _get(ch, "actor"), _get(ch, "field"), _get(ch, "issue")
            if field == "enter":
                continue
            if actor not in first_actor and actor not in entering:
                problems.append(
                    f"{where}.actor: event refers to unknown actor {actor!r} (not an actor of the scenario "
                    "nor one that enters in an event)"
                )
            if issue is not None and issue not in known:
                problems.append(f"{where}.issue: unknown issue id {issue!r} (known: {known_list})")
            v, sc = _num(_get(ch, "value")), scales.get(issue)
            if field == "position" and v is not None and sc is not None and not sc[0] <= v <= sc[1]:
                problems.append(
                    f"{where}.value: position {v:g} lies outside the issue scale [{sc[0]:g}, {sc[1]:g}]"
                )
            dist = _get(ch, "distribution")
            if isinstance(dist, dict):
                dist_vals = [_num(dist.get(k)) for k in ("low", "high", "mode", "mean")]
            else:
                dist_vals = list(dist.values) if isinstance(dist, Distribution) else []
            dist_vals = [x for x in dist_vals if x is not None]
            if field == "position" and sc is not None and any(not sc[0] <= x <= sc[1] for x in dist_vals):
                problems.append(
                    f"{where}.value: position distribution goes outside the issue scale [{sc[0]:g}, {sc[1]:g}]"
                )
    return problems


@dataclass(frozen=True)
class ScenarioArrays:
    """The numeric view of a scenario, in the scenario's actor and issue order.

    Shapes: ``n`` actors, ``m`` issues.  ``salience`` is a fraction in [0, 1].
    Where an actor does not take part in an issue, ``active`` is False, its
    salience is 0 and its position is NaN.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: np.ndarray  # [n, m]  (per issue; equal across issues unless overridden)
    position: np.ndarray  # [n, m]
    salience: np.ndarray  # [n, m] in [0, 1]
    active: np.ndarray  # [n, m] bool
    scale_min: np.ndarray  # [m]
    scale_max: np.ndarray  # [m]
    status_quo: np.ndarray  # [m], NaN where not given


class Scenario(_Frozen):
    """A validated, immutable scenario."""

    title: str
    as_of: dt.date | None = None
    description: str | None = None
    sources: tuple[Source, ...] = ()
    issues: tuple[Issue, ...]
    actors: tuple[Actor, ...]
    events: tuple[Event, ...] = ()
    # Model-specific sections (e.g. ``war``) validated by the layer that owns them.
    extensions: dict[str, Any] = Field(default_factory=dict)
    # Distributions over actor values (realpolitik.scenario.uncertainty); the actor
    # fields hold the point values, so point-forecast models ignore this.
    uncertainty: tuple[UncertainValue, ...] = ()
    # The war-time bargaining layer's inputs (realpolitik.scenario.war, docs/war.md).
    war: WarSpec | None = None
    # What the loader assumed (a flat table's scale taken from its positions): said by
    # ``validate`` and the forecast header; not content (no part of the hash or of a copy).
    _load_notes: tuple[str, ...] = PrivateAttr(default=())

    @property
    def load_notes(self) -> tuple[str, ...]:
        """What the loader assumed about this file, one line each (empty for most files)."""
        return self._load_notes

    def set_load_notes(self, notes: tuple[str, ...]) -> None:
        self._load_notes = tuple(notes)

    @model_validator(mode="after")
    def _consistent(self):
        problems = consistency_problems(self.issues, self.actors, self.events)
        if self.uncertainty:
            from realpolitik.scenario.uncertainty import check_uncertainty

            problems.extend(check_uncertainty(self))
            # nested actors: the parent keeps a share in every draw (the distributions' ends)
            bounds: dict[str, tuple[float, float]] = {}
            for uv in self.uncertainty:
                if uv.field == "capability" and uv.issue is None:
                    bounds[uv.actor] = uv.bounds(0.0, math.inf)
            if bounds and not problems:
                from realpolitik.scenario.nested import nested_problems

                problems.extend(nested_problems(self.actors, self.issues, bounds))
        if self.war is not None:
            from realpolitik.scenario.war import check_war

            problems.extend(check_war(self.war, self.actors, self.issues, self.events, self.as_of))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _enters_later(self, actor_id: str) -> bool:
        return any(c.field == "enter" and c.actor == actor_id for e in self.events for c in e.changes)

    # ----------------------------------------------------------------- access
    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.issues)

    def actor(self, actor_id: str) -> Actor:
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def arrays(self) -> ScenarioArrays:
        """Numeric arrays in scenario order (see :class:`ScenarioArrays`)."""
        n, m = len(self.actors), len(self.issues)
        iids = self.issue_ids
        cap = np.empty((n, m))
        pos = np.full((n, m), np.nan)
        sal = np.zeros((n, m))
        act = np.zeros((n, m), dtype=bool)
        for r, a in enumerate(self.actors):
            for c, iid in enumerate(iids):
                cap[r, c] = a.capability_on(iid)
                if iid in a.positions:
                    pos[r, c] = a.positions[iid]
                    sal[r, c] = a.saliences[iid] / 100.0
                    act[r, c] = True
        return ScenarioArrays(
            actors=self.actor_ids,
            issues=iids,
            capability=cap,
            position=pos,
            salience=sal,
            active=act,
            scale_min=np.array([i.min for i in self.issues], dtype=float),
            scale_max=np.array([i.max for i in self.issues], dtype=float),
            status_quo=np.array(
                [np.nan if i.status_quo is None else i.status_quo for i in self.issues], dtype=float
            ),
        )

    # ----------------------------------------------------------------- identity
    def to_data(self) -> dict[str, Any]:
        """Plain, JSON-ready data (saliences on 0-100, defaults dropped)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def content_hash(self) -> str:
        """``sha256:...`` of the canonical JSON form; equal content, equal hash."""
        blob = json.dumps(self.to_data(), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(blob.encode()).hexdigest()

    # ----------------------------------------------------------------- edits
    def replace(self, **changes: Any) -> "Scenario":
        """A validated copy with top-level fields replaced."""
        data = self.model_dump()
        data.update(changes)
        return Scenario.model_validate(data)

    def without_actor(self, actor_id: str) -> "Scenario":
        """A copy without one actor (and without event changes and children that name it)."""
        self.actor(actor_id)  # KeyError when unknown
        data = self.model_dump()
        data["actors"] = [
            {**a, "parent": None if a.get("parent") == actor_id else a.get("parent")}
            for a in data["actors"]
            if a["id"] != actor_id
        ]
        data["events"] = [
            {**e, "changes": [c for c in e["changes"] if c["actor"] != actor_id]} for e in data["events"]
        ]
        data["uncertainty"] = [u for u in self.uncertainty if u.actor != actor_id]
        if self.war is not None:
            from realpolitik.scenario.war import without_actor as _war_without

            data["war"] = _war_without(self.war, actor_id, data["actors"])
        return Scenario.model_validate(data)

    def with_value(self, actor_id: str, field: str, value: float, issue: str | None = None) -> "Scenario":
        """A copy with one actor value set (``field`` in capability/position/salience)."""
        data = self.model_dump()
        for a in data["actors"]:
            if a["id"] == actor_id:
                break
        else:
            raise KeyError(actor_id)
        if field == "capability":
            if issue is None:
                a["capability"] = value
            else:
                a["capability_by_issue"][issue] = value
        elif field in ("position", "salience"):
            if issue is None:
                raise ValueError(f"setting a {field} needs an issue")
            a[field + "s"][issue] = value
        else:
            raise ValueError(f"unknown field {field!r}: expected capability, position or salience")
        # a value that is set is known: it drops its distribution
        path = f"{actor_id}.{field}" + (f".{issue}" if issue is not None else "")
        data["uncertainty"] = [u for u in self.uncertainty if u.path != path]
        return Scenario.model_validate(data)

    def apply_event(self, event: Event) -> "Scenario":
        """A copy with the event's changes applied (entries, exits and value changes)."""
        s = self
        for ch in event.changes:
            if ch.field == "leave":
                if ch.actor in s.actor_ids:
                    s = s.without_actor(ch.actor)
            elif ch.field == "enter":
                data = s.model_dump()
                data["actors"] = [a for a in data["actors"] if a["id"] != ch.actor]
                data["actors"].append(ch.actor_data.model_dump())
                s = Scenario.model_validate(data)
            else:
                s = s.with_value(ch.actor, ch.field, float(ch.value), ch.issue)
        return s


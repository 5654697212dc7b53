"""The ``war`` section of a scenario: the war-time bargaining layer's inputs.

Validated here (pydantic v2, frozen, unknown fields rejected); cross-checked against
the scenario's actors, issues and events by :func:`check_war` (called from
:class:`~realpolitik.scenario.model.Scenario`).  The model that reads it is
:mod:`realpolitik.models.war`; the meaning of every field is in ``docs/war.md``.

Units
-----
* ``x`` is side A's (the first side's) share of the settlement issue, in [0, 1]:
  0 is the end of the issue scale the *second* side prefers, 1 the end the first
  side prefers (which end is read from the two leaders' positions).
* Costs and premiums are shares of the whole stake (value 1).
* Time is in months; one battle (one step of the front line) lasts
  ``months_per_battle``.
* With a ``history`` the war has a past: it began at ``history.start``, and the
  record up to the scenario's ``as_of`` (periods fought, failed talks, broken
  ceasefires) conditions the forecast (``docs/war.md``, "The war's past").
"""

from __future__ import annotations

import datetime as dt
import math

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$"
DAYS_PER_MONTH = 365.25 / 12.0


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _finite(v):
    if v is not None and isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"must be a finite number, got {v!r}")
    return v


class Belief(_Frozen):
    """A Beta belief over side A's per-battle win probability.

    Give either ``battle_win`` (the mean per-battle probability that side A wins
    a battle) or ``war_win`` (the probability that side A wins the war from the
    starting front position; converted to ``battle_win`` through the gambler's
    ruin).  ``concentration`` is ``a + b`` of the Beta (how many battles' worth of
    evidence the belief holds).  ``spread`` is the analyst's own uncertainty about
    this belief: the standard deviation, on the logit scale, of the belief's mean
    battle-win probability across Monte Carlo draws (0 = known exactly).
    """

    battle_win: float | None = Field(default=None, gt=0, lt=1)
    war_win: float | None = Field(default=None, gt=0, lt=1)
    concentration: float = Field(default=10.0, gt=0, le=1e9)
    spread: float = Field(default=0.0, ge=0, le=5)

    @model_validator(mode="after")
    def _one(self):
        if (self.battle_win is None) == (self.war_win is None):
            raise ValueError("give exactly one of battle_win or war_win")
        return self


class Credibility(_Frozen):
    """How far a side trusts the other side's agreements (the credibility premium).

    The probability ``ρ`` that a deal holds through a year is Beta distributed:
    ``Beta(prior_a + honoured, prior_b + broken)`` from the record of past
    agreements.  ``breach_loss`` is ``W - W'`` (how much worse war is after a
    breach, in shares); ``discount`` is the annual discount factor.
    """

    honoured: int = Field(default=0, ge=0)
    broken: int = Field(default=0, ge=0)
    prior_a: float = Field(default=1.0, gt=0)
    prior_b: float = Field(default=1.0, gt=0)
    breach_loss: float = Field(default=0.0, ge=0, le=1)
    discount: float = Field(default=0.9, gt=0, lt=1, description="discount factor per year")


class Triangular(_Frozen):
    """A number, or a triangular distribution ``{low, mode, high}`` drawn per Monte Carlo
    draw (the point value is the mode).  Written as a plain number in a file, it is the
    mode with no range."""

    low: float | None = None
    mode: float
    high: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _number(cls, data):
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"mode": data}
        return data

    @model_validator(mode="after")
    def _order(self):
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high (a triangular range) or neither (a number)")
        if self.low is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode {self.mode:g} lies outside low {self.low:g} to high {self.high:g}")
        return self

    @property
    def uncertain(self) -> bool:
        return self.low is not None and self.high is not None and self.high > self.low

    def quantile(self, u):
        """Inverse CDF at uniforms ``u`` (the mode when the value is certain)."""
        import numpy as np

        u = np.asarray(u, float)
        if not self.uncertain:
            return np.full(u.shape, float(self.mode))
        lo, md, hi = self.low, self.mode, self.high
        c = (md - lo) / (hi - lo)
        return np.where(u < c, lo + np.sqrt(u * (hi - lo) * (md - lo)), hi - np.sqrt((1 - u) * (hi - lo) * (hi - md)))


class Autonomy(Triangular):
    """A leader's autonomy from its domestic constituencies, in [0, 1]: a number
    (``autonomy: 0.6``) or ``{low: 0.4, mode: 0.6, high: 0.85}`` drawn per draw."""

    low: float | None = Field(default=None, ge=0, le=1)
    mode: float = Field(ge=0, le=1)
    high: float | None = Field(default=None, ge=0, le=1)


class Weight(Triangular):
    """A battle's weight (battles' worth of evidence): a number or ``{low, mode, high}``."""

    low: float | None = Field(default=None, ge=0, le=1000)
    mode: float = Field(gt=0, le=1000)
    high: float | None = Field(default=None, ge=0, le=1000)


class Side(_Frozen):
    """One belligerent, linked to actors of the spatial scenario."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    leader: str = Field(description="actor id of the side's negotiator")
    domestic: str | None = Field(
        default=None,
        description="parent label of the domestic ratifiers (actors with this parent); default the leader's id",
    )
    belief: Belief
    cost_per_month: float = Field(ge=0, le=1, description="war cost per month, share of the stake")
    credibility: Credibility | None = Field(
        default=None, description="this side's trust in the OTHER side's agreements"
    )
    audience_cost_rate: float = Field(default=0.0, ge=0, le=1, description="win-set tightening, shares per year")
    autonomy: Autonomy = Field(
        default_factory=lambda: Autonomy(mode=0.5),
        description="the leader's autonomy from its constituencies: 1 = its own position alone sets its bound "
        "(personalist), 0 = the constituencies' pressure alone (parliamentary ratification)",
    )

    @model_validator(mode="before")
    @classmethod
    def _replaced(cls, data):
        if isinstance(data, dict) and "ratification_threshold" in data:
            raise ValueError(
                "ratification_threshold was replaced by autonomy (0-1: how far the leader's own position, rather "
                "than its constituencies' pressure, sets the terms it can accept; see docs/war.md)"
            )
        return data


class Front(_Frozen):
    """The front line: positions 0..N; side A wins the war at N, side B at 0."""

    positions: int = Field(default=10, ge=2, le=200)
    start: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _start(self):
        if self.start is not None and not 1 <= self.start <= self.positions - 1:
            raise ValueError(f"start must lie in 1..{self.positions - 1}, got {self.start}")
        return self

    @property
    def k0(self) -> int:
        return self.start if self.start is not None else self.positions // 2


class Battle(_Frozen):
    """A battle outcome both sides observe (e.g. the failed Kursk incursion).

    Timed by ``date``, ``month`` (months after the scenario's ``as_of``) or by
    the scenario ``event`` it belongs to.  Battles at or before month 0 update the
    starting beliefs; later ones update both sides' beliefs at that month.
    ``weight`` counts the battle as that many battles' worth of evidence (a number or
    ``{low, mode, high}``, drawn per Monte Carlo draw); ``probability`` is the chance
    that it counts at all (drawn per draw).  A battle tied to an uncertain ``event``
    counts only in the draws in which the event happens.
    """

    id: str | None = None
    event: str | None = None
    date: dt.date | None = None
    month: float | None = None
    winner: str
    weight: Weight = Field(default_factory=lambda: Weight(mode=1.0))
    probability: float = Field(default=1.0, gt=0, le=1)
    description: str = ""

    @model_validator(mode="after")
    def _when(self):
        if self.event is None and self.date is None and self.month is None:
            raise ValueError("a battle needs a date, a month or an event")
        return self


class Ceasefire(_Frozen):
    """A ceasefire line that shifts future power (after Fearon 1996; derived).

    ``g(x_0) = clip(p_shift + kappa (x_0 - line_status_quo), 0, 1)`` is side A's
    war-win probability after a truce at line ``x_0`` (x_0 in A-share units;
    ``line_status_quo`` on the issue scale, default the issue's status quo).
    ``war_cost_a``/``war_cost_b`` are one-time war costs in flow-PV units and
    ``discount`` the per-period discount factor of the commitment inequality.
    """

    p_shift: float = Field(ge=0, le=1)
    kappa: float = Field(default=0.0, ge=0)
    line_status_quo: float | None = None
    war_cost_a: float = Field(gt=0)
    war_cost_b: float = Field(gt=0)
    discount: float = Field(gt=0, lt=1)


class Theatre(_Frozen):
    """Another theatre whose challenger watches how the defender fares."""

    id: str = Field(pattern=ID_PATTERN, max_length=80)
    challenger: str = ""
    gain: float = Field(gt=0, description="V: the challenger's gain from an unresisted challenge")
    loss: float = Field(gt=0, description="K: the challenger's loss if resisted")


class Reputation(_Frozen):
    """Chain-store reputation across theatres (Kreps & Wilson 1982)."""

    defender: str
    prior_resolute: float = Field(gt=0, lt=1)
    weak_concede: float = Field(default=0.5, ge=0, le=1, description="σ: P(the weak type concedes)")
    weight: float = Field(default=1.0, ge=0, le=1, description="reputation_weight (0 = Press 2005)")
    concession_below: float | None = Field(
        default=None, description="a settlement worse for the defender than this point (issue scale) is a concession"
    )
    theatres: tuple[Theatre, ...] = ()


class _Recorded(_Frozen):
    """An entry of the war's record: what happened (``description``) and the source id."""

    description: str = ""
    source: str | None = None


class Period(_Recorded):
    """One battle of the war's past: ``start`` to ``end``, won by ``winner`` (a side id).

    A period is one battle of ``months_per_battle`` months (its length must lie
    within half a battle of that); ``winner`` is omitted (null) where the outcome
    is not coded.  Battles of the past that no period covers are uncoded too.
    """

    start: dt.date
    end: dt.date
    winner: str | None = None


class Talks(_Recorded):
    """Failed talks: on ``date`` the side ``offered_by`` offered ``terms`` (on the
    settlement issue's scale; omitted when unknown) and the other side refused."""

    date: dt.date
    offered_by: str
    terms: float | None = None

    _t = field_validator("terms")(lambda v: _finite(v))


class BrokenCeasefire(_Recorded):
    """A ceasefire (or other agreement to stop fighting) agreed on ``start`` that broke
    on ``broken``.  ``broken_by`` is the side blamed; omitted, each side blames the
    other.  It counts as a broken agreement in the credibility record of the side(s)
    that did not break it (``sides[i].credibility``)."""

    name: str = ""
    start: dt.date
    broken: dt.date
    broken_by: str | None = None


class History(_Frozen):
    """The war's past up to the scenario's ``as_of``.

    ``start`` is the date the war began; ``elapsed_months`` (optional) must agree
    with ``start`` and ``as_of`` within half a month.  The forecast is conditioned on
    this record: the war fought ``round(elapsed / months_per_battle)`` battles
    without a deal and without a military victory, with the coded outcomes of
    ``periods``, and each of ``talks`` failed.
    """

    start: dt.date
    elapsed_months: float | None = Field(default=None, ge=0, le=1200)
    periods: tuple[Period, ...] = ()
    talks: tuple[Talks, ...] = ()
    ceasefires: tuple[BrokenCeasefire, ...] = ()


class WarSpec(_Frozen):
    """The war section of a scenario.  See ``docs/war.md`` for every field."""

    issue: str = Field(description="the settlement issue (an issue id of the scenario)")
    sides: tuple[Side, Side]
    true_odds: Belief = Field(description="the analyst's current estimate of side A's battle odds")
    front: Front = Front()
    months_per_battle: float = Field(default=1.0, gt=0, le=24)
    months_per_round: float = Field(default=1.0, gt=0, description="months per round of timed scenario events")
    discount: float = Field(default=1.0, gt=0, le=1, description="per-battle discount factor")
    max_months: float = Field(default=36.0, gt=0, le=600)
    battles: tuple[Battle, ...] = ()
    ceasefire: Ceasefire | None = None
    reputation: Reputation | None = None
    history: History | None = None

    _f = field_validator("months_per_battle", "discount", "max_months")(lambda v: _finite(v))

    @model_validator(mode="after")
    def _sides(self):
        a, b = self.sides
        if a.id == b.id:
            raise ValueError(f"sides: the two sides need different ids (both {a.id!r})")
        if a.leader == b.leader:
            raise ValueError(f"sides: the two sides need different leaders (both {a.leader!r})")
        ids = {a.id, b.id}
        for k, bt in enumerate(self.battles):
            if bt.winner not in ids:
                raise ValueError(f"battles.{k}.winner: {bt.winner!r} is not a side id (expected {a.id} or {b.id})")
        if self.reputation is not None and self.reputation.defender not in ids:
            raise ValueError(
                f"reputation.defender: {self.reputation.defender!r} is not a side id (expected {a.id} or {b.id})"
            )
        return self

    def broken_ceasefires(self, side: int) -> int:
        """Ceasefires of the history that the OTHER side broke, as ``side`` counts them
        (a ceasefire with no ``broken_by`` is blamed on the other side by both)."""
        if self.history is None:
            return 0
        own = self.sides[side].id
        return sum(1 for c in self.history.ceasefires if c.broken_by != own)


def months_between(a: dt.date, b: dt.date) -> float:
    """Months from ``a`` to ``b`` (365.25/12 days a month; negative when ``b`` is earlier)."""
    return (b - a).days / DAYS_PER_MONTH


def past_battles(history: History, as_of: dt.date, months_per_battle: float) -> int:
    """Battles the war has fought by ``as_of``: ``round(elapsed / months_per_battle)``."""
    return int(math.floor(months_between(history.start, as_of) / months_per_battle + 0.5))


def battle_slot(day: dt.date, as_of: dt.date, months_per_battle: float) -> int:
    """The battle of the past a date falls in: 1 = the battle ending at ``as_of``, 2 the one
    before, ... (battles are laid back from ``as_of`` in steps of ``months_per_battle``)."""
    return int(math.floor(months_between(day, as_of) / months_per_battle)) + 1


def _mid(a: dt.date, b: dt.date) -> dt.date:
    return a + (b - a) / 2


def check_history(war: WarSpec, as_of: dt.date | None, issue=None) -> list[str]:
    """The war's record: dates in order and before ``as_of``, periods one battle long and
    in distinct battles, side ids known, offered terms on the issue's scale."""
    h = war.history
    if h is None:
        return []
    if as_of is None:
        return ["war.history.start: the scenario needs an as_of date (the record runs from the war's start to as_of)"]
    problems: list[str] = []
    ids = [s.id for s in war.sides]
    known = f"expected {ids[0]} or {ids[1]}"
    mpb = war.months_per_battle
    if h.start >= as_of:
        return [f"war.history.start: {h.start} is not before the scenario's as_of {as_of}"]
    elapsed = months_between(h.start, as_of)
    if h.elapsed_months is not None and abs(h.elapsed_months - elapsed) > 0.5:
        problems.append(
            f"war.history.elapsed_months: {h.elapsed_months:g} disagrees with start {h.start} and as_of {as_of} "
            f"({elapsed:.1f} months)"
        )
    n = past_battles(h, as_of, mpb)
    slots: dict[int, int] = {}
    for k, per in enumerate(h.periods):
        where = f"war.history.periods.{k}"
        if per.end <= per.start:
            problems.append(f"{where}.end: {per.end} is not after its start {per.start}")
            continue
        if per.start < h.start:
            problems.append(f"{where}.start: {per.start} is before the war's start {h.start}")
        if per.end > as_of:
            problems.append(f"{where}.end: {per.end} is after the scenario's as_of {as_of}")
        if k and h.periods[k - 1].end > per.start and h.periods[k - 1].end > h.periods[k - 1].start:
            problems.append(
                f"{where}.start: {per.start} is before the end of the previous period ({h.periods[k - 1].end}); "
                "periods must be in date order and must not overlap"
            )
        length = months_between(per.start, per.end)
        if not 0.5 * mpb <= length <= 1.5 * mpb:
            problems.append(
                f"{where}: {length:.1f} months long, but a period is one battle of months_per_battle = {mpb:g} "
                f"months (allowed {0.5 * mpb:g} to {1.5 * mpb:g}); split it or leave the months uncoded"
            )
            continue
        if per.winner is not None and per.winner not in ids:
            problems.append(f"{where}.winner: {per.winner!r} is not a side id ({known})")
        slot = battle_slot(_mid(per.start, per.end), as_of, mpb)
        if not 1 <= slot <= n:
            problems.append(
                f"{where}: its middle lies outside the {n} battles of {mpb:g} months laid back from as_of {as_of} "
                f"(the war's {elapsed:.1f} months)"
            )
        elif slot in slots:
            problems.append(
                f"{where}: falls in the same {mpb:g}-month battle as periods.{slots[slot]} "
                f"(battle {slot} before as_of); one period is one battle"
            )
        else:
            slots[slot] = k
    for k, t in enumerate(h.talks):
        where = f"war.history.talks.{k}"
        if not h.start <= t.date <= as_of:
            problems.append(f"{where}.date: {t.date} lies outside the war's record ({h.start} to as_of {as_of})")
        if k and t.date < h.talks[k - 1].date:
            problems.append(f"{where}.date: {t.date} is before the previous talks ({h.talks[k - 1].date}); list them in date order")
        if t.offered_by not in ids:
            problems.append(f"{where}.offered_by: {t.offered_by!r} is not a side id ({known})")
        if t.terms is not None and issue is not None and not issue.min <= t.terms <= issue.max:
            problems.append(
                f"{where}.terms: {t.terms:g} lies outside the issue scale [{issue.min:g}, {issue.max:g}]"
            )
    for k, c in enumerate(h.ceasefires):
        where = f"war.history.ceasefires.{k}"
        if c.broken < c.start:
            problems.append(f"{where}.broken: {c.broken} is before the ceasefire's start {c.start}")
        if c.broken > as_of:
            problems.append(f"{where}.broken: {c.broken} is after the scenario's as_of {as_of}")
        if k and c.start < h.ceasefires[k - 1].start:
            problems.append(
                f"{where}.start: {c.start} is before the previous ceasefire's start ({h.ceasefires[k - 1].start}); "
                "list them in date order"
            )
        if c.broken_by is not None and c.broken_by not in ids:
            problems.append(f"{where}.broken_by: {c.broken_by!r} is not a side id ({known})")
    for k, bt in enumerate(war.battles):
        if bt.date is not None and bt.date < h.start:
            problems.append(f"war.battles.{k}.date: {bt.date} is before the war's start {h.start}")
    return problems


def check_war(war: WarSpec, actors, issues, events, as_of: dt.date | None = None) -> list[str]:
    """Cross-checks against the scenario: ``["war.path: message", ...]`` (empty when fine).

    Leaders must be actor ids; ``domestic`` labels must be the parent of at least
    one actor; the settlement issue must exist and both leaders must take part in
    it with different positions; battle events must name scenario events; the
    history must fit between the war's start and ``as_of`` (:func:`check_history`).
    """
    problems: list[str] = []
    actor_ids = [a.id for a in actors]
    by_id = {a.id: a for a in actors}
    issue_ids = [i.id for i in issues]
    parents = {a.parent for a in actors if a.parent}
    if war.issue not in issue_ids:
        problems.append(f"war.issue: unknown issue id {war.issue!r} (known: {', '.join(issue_ids)})")
    for k, s in enumerate(war.sides):
        if s.leader not in by_id:
            problems.append(
                f"war.sides.{k}.leader: unknown actor id {s.leader!r} (known: {', '.join(actor_ids)})"
            )
        elif war.issue in issue_ids and war.issue not in by_id[s.leader].positions:
            problems.append(f"war.sides.{k}.leader: actor {s.leader!r} takes no position on issue {war.issue!r}")
        if s.domestic is not None and s.domestic not in parents:
            problems.append(
                f"war.sides.{k}.domestic: no actor has parent {s.domestic!r} "
                f"(parents in the scenario: {', '.join(sorted(parents)) or 'none'})"
            )
    la, lb = (by_id.get(s.leader) for s in war.sides)
    if la is not None and lb is not None and war.issue in la.positions and war.issue in lb.positions:
        if la.positions[war.issue] == lb.positions[war.issue]:
            problems.append(
                f"war.sides: the leaders {la.id!r} and {lb.id!r} hold the same position on {war.issue!r}; "
                "the settlement issue must separate them"
            )
    event_ids = {e.id for e in events if e.id}
    for k, bt in enumerate(war.battles):
        if bt.event is not None and bt.event not in event_ids:
            problems.append(
                f"war.battles.{k}.event: unknown event id {bt.event!r} (known: {', '.join(sorted(event_ids)) or 'none'})"
            )
    iss = {i.id: i for i in issues}.get(war.issue)
    if war.ceasefire is not None and iss is not None:
        sq = war.ceasefire.line_status_quo
        if sq is None and iss.status_quo is None:
            problems.append(
                f"war.ceasefire.line_status_quo: required because issue {war.issue!r} has no status_quo"
            )
        elif sq is not None and not iss.min <= sq <= iss.max:
            problems.append(
                f"war.ceasefire.line_status_quo: {sq:g} lies outside the issue scale [{iss.min:g}, {iss.max:g}]"
            )
    problems.extend(check_history(war, as_of, iss))
    rep = war.reputation
    if rep is not None and rep.concession_below is not None and iss is not None:
        if not iss.min <= rep.concession_below <= iss.max:
            problems.append(
                f"war.reputation.concession_below: {rep.concession_below:g} lies outside the issue scale "
                f"[{iss.min:g}, {iss.max:g}]"
            )
    return problems


def without_actor(war: WarSpec, actor_id: str, remaining_actors: list[dict]) -> dict | None:
    """The war section after an actor leaves (used by ``Scenario.without_actor``).

    Without one of its leaders the war section no longer applies (None).  A
    ``domestic`` label left without any ratifier falls back to the default (no
    domestic constraint), so removing the last sub-actor stays valid.
    """
    if actor_id in (s.leader for s in war.sides):
        return None
    parents = {a.get("parent") for a in remaining_actors if a.get("parent")}
    data = war.model_dump()
    for s in data["sides"]:
        if s.get("domestic") is not None and s["domestic"] not in parents:
            s["domestic"] = None
    return data

"""One war forecast's machinery: from a scenario to draws conditioned on the war's past.

:class:`WarSetup` turns a scenario's ``war`` section into the simulator's inputs
(orientation, costs, priors, the record of the war's past on the step grid, the
domestic bounds over time) and runs the two phases of a forecast:

1. **the record** (:meth:`WarSetup.condition`): every Monte Carlo draw (true battle
   odds, both sides' beliefs at the war's start, credibility premiums, leaders'
   autonomy) is simulated from the war's start through the record with
   :func:`~realpolitik.models.war.simulator.condition_on_record`; draws in which a
   deal would have been struck before the forecast origin, the front would have
   collapsed, or a refused offer would have been accepted are rejected.  More
   draws are proposed until ``draws`` consistent ones exist (or ``max_proposals``
   is spent): the effective sample size is the number of consistent draws.
2. **the forecast** (:meth:`WarSetup.future`): the consistent draws go on from
   their state at the origin (front position, beliefs) with
   :func:`~realpolitik.models.war.simulator.simulate_war`.  What-ifs are
   interventions at the origin: they change the future phase only and reuse the
   same consistent draws and the same battle luck (common random numbers).

Without a ``history`` and with the origin at ``as_of`` the record is empty: every
draw is kept and the forecast is the unconditioned one (a war that starts now).

Step grid: step 0 is the war's start (with a history) and battles of
``months_per_battle`` months are laid back from ``as_of``, so step ``R_past`` is
``as_of``; a forecast origin ``d`` after ``as_of`` (``realpolitik timeline``) adds
the steps up to the last one on or before ``d`` to the record.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from scipy.special import betaincinv, ndtri

from realpolitik.errors import Problem, ScenarioError
from realpolitik.models.war.inputs import (
    DomesticPressures,
    DomesticTimeline,
    Orientation,
    battle_month,
    beta_counts,
    domestic_pressures,
    draw_autonomy,
    orientation,
)
from realpolitik.models.war.mechanisms import credibility_premium
from realpolitik.models.war.simulator import (
    BeliefIntegrator,
    CeasefireParams,
    CounterLuck,
    Record,
    WarParams,
    WarPaths,
    condition_on_record,
    make_integrator,
    simulate_war,
)
from realpolitik.scenario.events import event_schedule
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.war import WarSpec, battle_slot, months_between, past_battles

REJECT_REASONS = {1: "a deal existed", 2: "military victory", 3: "a refused offer was acceptable"}

_LOCAL = threading.local()
SHARED_INTEGRATORS = 4


def shared_integrator(params) -> BeliefIntegrator:
    """The belief integrator of these value tables, kept from one forecast to the next (per
    thread, the last few): its cache of belief states and their expected values (a function
    of the state alone) serves every forecast of the same war, e.g. the chunks of a Monte
    Carlo run."""
    key = (params.N, params.kappa_A, params.kappa_B, params.delta, params.ceasefire is not None, params.belief_eval,
           params.quadrature_nodes, params.quadrature_panels)  # fmt: skip
    kept = getattr(_LOCAL, "integrators", None)
    if kept is None:
        kept = _LOCAL.integrators = {}
    integ = kept.pop(key, None) or make_integrator(params)
    kept[key] = integ  # most recently used last
    while len(kept) > SHARED_INTEGRATORS:
        kept.pop(next(iter(kept)))
    return integ


@dataclass(frozen=True)
class BattlePlan:
    """Where a battle of the war section acts: its global step and phase (before the war's
    start: the priors; up to the origin: the record; after it: the forecast)."""

    index: int
    step: int
    a_won: bool
    name: str
    event: str | None
    phase: str
    spec: Any

    @property
    def certain(self) -> bool:
        return not self.spec.weight.uncertain and self.spec.probability >= 1.0


class Proposals(NamedTuple):
    """Draws of everything uncertain about a war (one row per draw)."""

    p_true: np.ndarray
    u_rho: tuple[np.ndarray, np.ndarray]
    belief_A: tuple[np.ndarray, np.ndarray]
    belief_B: tuple[np.ndarray, np.ndarray]
    autonomy: tuple[Any, Any]
    weights: list[Any]  # per battle: a number, or one weight per draw


@dataclass
class Conditioned:
    """The draws consistent with the record and their state at the forecast origin."""

    p_true: np.ndarray
    u_rho: tuple[np.ndarray, np.ndarray]  # credibility uniforms (inverse-CDF draws of rho)
    autonomy: tuple[np.ndarray | float, np.ndarray | float]
    k: np.ndarray
    aA: np.ndarray
    bA: np.ndarray
    aB: np.ndarray
    bB: np.ndarray
    prior_mean: tuple[np.ndarray, np.ndarray]  # both sides' belief means at the war's start
    wins: np.ndarray  # battles side A won in the record
    luck: np.ndarray  # [draw, battle] uniforms deciding the battles after the origin
    weights: list[Any]  # per battle of the war section: its weight (a number, or one per draw)
    proposals: int = 0
    batches: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    index: np.ndarray | None = None  # which of the proposed draws were kept (condition_with)
    consistent: int = 0  # consistent draws found (the sample keeps at most the target)
    group: np.ndarray | None = None  # the group (scenario draw of a batch) of each kept draw
    source: np.ndarray | None = None  # [draw, 2]: the round and the row it was proposed in
    proposed: np.ndarray | None = None  # draws proposed per group (condition)

    @property
    def size(self) -> int:
        return int(self.p_true.size)


class WarSetup:
    """Everything the simulator needs from one scenario, as of one forecast origin."""

    def __init__(self, scenario: Scenario, war: WarSpec, opts, origin: dt.date | None = None):
        self.scenario, self.war, self.opts = scenario, war, opts
        self.orient: Orientation = orientation(scenario, war)
        self.N = war.front.positions
        self.k0 = war.front.k0
        self.mpb = war.months_per_battle
        self.max_battles = max(1, int(math.floor(war.max_months / self.mpb + 1e-9)))
        self.kappa = tuple(s.cost_per_month * self.mpb for s in war.sides)
        self.prior = [beta_counts(s.belief, self.k0, self.N) for s in war.sides]
        self.true = beta_counts(war.true_odds, self.k0, self.N)
        self.side_ids = [s.id for s in war.sides]
        as_of = scenario.as_of
        self.as_of = as_of
        # ---- the origin: as_of, or a later date of the timeline
        self.origin = origin if origin is not None else as_of
        self.offset = 0.0 if origin is None or as_of is None else months_between(as_of, origin)
        if self.offset < -1e-9:
            raise ScenarioError([Problem("--as-of", f"{origin} is before the scenario's as_of {as_of}")])
        # the last step on or before the origin (two days' slack: calendar months are not 365.25/12 days)
        self.s0 = int(math.floor((self.offset + 2.0 / 30.4375) / self.mpb))
        self.frac = max(0.0, self.offset - self.s0 * self.mpb)  # months from the last recorded step to the origin
        # ---- the record on the step grid
        h = war.history
        self.R_past = past_battles(h, as_of, self.mpb) if h is not None and as_of is not None else 0
        self.R = self.R_past + self.s0
        forced = np.zeros(self.R, np.int8)
        self.coded = {self.side_ids[0]: 0, self.side_ids[1]: 0}
        talks = []
        if h is not None and as_of is not None:
            for per in h.periods:
                if per.winner is None:
                    continue
                slot = battle_slot(per.start + (per.end - per.start) / 2, as_of, self.mpb)
                forced[self.R_past - slot] = 1 if per.winner == self.side_ids[0] else -1
                self.coded[per.winner] += 1
            for t in h.talks:
                if t.terms is None:
                    continue
                step = self.R_past - int(math.floor(months_between(t.date, as_of) / self.mpb + 0.5))
                side = self.side_ids.index(t.offered_by)
                talks.append((max(0, step), side, float(self.orient.to_share(t.terms))))
        # ---- battles both sides observe: before the start -> priors, record, future
        self.battles: list[BattlePlan] = []
        for i, bt in enumerate(war.battles):
            m = battle_month(scenario, war, bt)
            g = self.R_past + int(math.ceil(m / self.mpb - 1e-9))
            phase = "prior" if g <= 0 else ("record" if g <= self.R else "future")
            self.battles.append(BattlePlan(i, g, bt.winner == self.side_ids[0], bt.id or bt.event or "battle", bt.event,
                                           phase, bt))  # fmt: skip
        self.record = Record(forced, tuple(talks), tuple((b.step, b.a_won, b.spec.weight.mode) for b in self.battles
                                                         if b.phase == "record"))  # fmt: skip
        # the one event schedule (point values; a batch brings its drawn one): a battle tied to
        # an event counts only where the event happens
        self.schedule = event_schedule(scenario)
        self.event_index = {label: e for e, label in enumerate(self.schedule.labels)}
        # the analyst's odds were stated before the record: its coded battles update them
        # (conjugate Beta update, exactly what keeping the simulated paths that reproduce
        # the coded outcomes would do); the uncoded battles are drawn and filtered
        self.true_prior = self.true
        self.true = (self.true[0] + self.coded[self.side_ids[0]], self.true[1] + self.coded[self.side_ids[1]])
        self.conditioned_on_record = self.R > 0 or self.offset > 0
        self.ceasefire = None
        if war.ceasefire is not None:
            cf = war.ceasefire
            iss = scenario.issue(war.issue)
            sq = cf.line_status_quo if cf.line_status_quo is not None else iss.status_quo
            self.ceasefire = CeasefireParams(
                cf.p_shift, cf.kappa, float(self.orient.to_share(sq)), cf.war_cost_a, cf.war_cost_b, cf.discount
            )
        self._integrator = None
        self.compiled = False  # the record conditioning compiled where it applies (the batch core)

    # ------------------------------------------------------------------ pieces
    @property
    def integrator(self):
        if self._integrator is None:
            self._integrator = shared_integrator(self._params(None, self.max_battles))
        return self._integrator

    def months(self, steps) -> np.ndarray:
        """Months from the origin of forecast step(s) (step 0 = the last recorded step, on or
        before the origin: month 0)."""
        return np.maximum(np.asarray(steps, float) * self.mpb - self.frac, 0.0)

    def _params(self, tl: DomesticTimeline | None, max_battles: int, cols=None, events=()) -> WarParams:
        return WarParams(
            N=self.N, k0=self.k0, kappa_A=self.kappa[0], kappa_B=self.kappa[1], delta=self.war.discount,
            max_battles=max_battles,
            lower=None if tl is None else tl.lower[..., cols], upper=None if tl is None else tl.upper[..., cols],
            rows=None if tl is None else tl.rows,
            battle_events=tuple(events), ceasefire=self.ceasefire, belief_eval=self.opts.belief_eval,
            quadrature_nodes=self.opts.quadrature_nodes, quadrature_panels=self.opts.quadrature_panels,
        )  # fmt: skip

    def timeline(self, autonomy=None, record_only: bool = False, **kw) -> DomesticTimeline:
        """Domestic bounds on every step from the war's start to the end of the forecast
        (``record_only``: to the origin); ``kw``: positions, saliences, capabilities and an
        event schedule of a batch (one row per draw), what-if shifts."""
        return self.pressures(record_only, **kw).timeline(autonomy)

    def pressures(self, record_only: bool = False, **kw) -> DomesticPressures:
        """The domestic bounds' leaders and pressures before autonomy (arguments as
        :meth:`timeline`): a batch's scenario draws computed once, then each simulated
        war takes its draw's row (:meth:`DomesticPressures.timeline` with ``rows``)."""
        last = self.s0 if record_only else self.s0 + self.max_battles
        kw.setdefault("schedule", self.schedule)
        return domestic_pressures(self.scenario, self.war, last, past_steps=self.R_past, **kw)

    def priors(self, key, n: int, weights: list[Any] | None = None):
        """Both sides' Beta counts at the war's start, per draw.

        A belief with ``spread > 0`` gets a per-draw mean (logit-normal around the
        stated mean, discretised to ``spread_points`` equiprobable quantiles so that
        belief states repeat and are evaluated once per step; stream ``[*key, 4 + side]``).
        Battles dated before the war's start (or, without a history, before ``as_of``)
        are added to both sides' counts.
        """
        counts = []
        for i, s in enumerate(self.war.sides):
            a, b = self.prior[i]
            if s.belief.spread > 0:
                conc = a + b
                q = self.opts.spread_points
                pick = np.random.default_rng([*key, 4 + i]).integers(0, q, size=n)
                z = ndtri((np.arange(q) + 0.5) / q)
                m = 1.0 / (1.0 + np.exp(-(np.log(a / b) + s.belief.spread * z)))
                counts.append(((m * conc)[pick], ((1.0 - m) * conc)[pick]))  # each quantile's counts, per draw
                continue
            counts.append((np.full(n, float(a)), np.full(n, float(b))))
        (aA, bA), (aB, bB) = counts
        for b in self.battles:
            if b.phase == "prior":
                w = b.spec.weight.mode if weights is None else weights[b.index]
                if b.a_won:
                    aA += w
                    aB += w
                else:
                    bA += w
                    bB += w
        return (aA, bA), (aB, bB)

    def weights(self, key, n: int, schedule=None, rows: np.ndarray | None = None) -> list[Any]:
        """Each battle's weight per draw: its number when certain, else its triangular
        weight (stream ``[*key, 20 + battle]``) times whether it counts at all (its
        ``probability``, stream ``[*key, 40 + battle]``), times whether its event happens
        (``schedule``: one row per draw, or with ``rows`` each draw's row of it; default the
        point schedule)."""
        sched = self.schedule if schedule is None else schedule
        draws = sched.draws if rows is None else len(rows)
        out: list[Any] = []
        for b in self.battles:
            if b.certain:
                w: Any = float(b.spec.weight.mode)
            else:
                wt = b.spec.weight  # (a certain weight needs no uniforms: its stream is its own)
                w = wt.quantile(np.random.default_rng([*key, 20 + b.index]).random(n)) if wt.uncertain else float(wt.mode)
                if b.spec.probability < 1.0:
                    w = np.where(np.random.default_rng([*key, 40 + b.index]).random(n) < b.spec.probability, w, 0.0)
            if b.event is not None:
                e = self.event_index[b.event]
                happens = sched.happens[:, e] if rows is None else sched.happens[rows, e]
                if draws == 1:
                    w = w if bool(happens[0]) else (0.0 if np.ndim(w) == 0 else np.zeros_like(w))
                else:
                    w = np.where(happens, w, 0.0)
            out.append(w)
        return out

    def premiums(self, u_rho, credible: bool = False, broken_factor: float = 1.0):
        """Each side's credibility premium from its uniforms (inverse CDF of the Beta of rho).

        A worse record gives every draw a lower (never higher) rho, so credibility
        what-ifs are monotone draw by draw.  Ceasefires of the history that the other
        side broke count as broken agreements.
        """
        out = []
        for i, s in enumerate(self.war.sides):
            cr = s.credibility
            u = u_rho[i]
            if cr is None or cr.breach_loss == 0:
                out.append(np.zeros(u.shape))
                continue
            broken = (cr.broken + self.war.broken_ceasefires(i)) * broken_factor
            rho = np.ones(u.shape) if credible else betaincinv(cr.prior_a + cr.honoured, cr.prior_b + broken, u)
            out.append(credibility_premium(cr.breach_loss, 0.0, rho, cr.discount))
        return out[0], out[1]

    def premium_bounds(self) -> tuple[float, float]:
        """Each side's largest possible credibility premium (over every rho in [0, 1]: the
        premium is monotone in rho, so one of the two ends, as :meth:`premiums` computes it)."""
        out = []
        for i, s in enumerate(self.war.sides):
            cr = s.credibility
            if cr is None or cr.breach_loss == 0:
                out.append(0.0)
                continue
            out.append(float(np.max(credibility_premium(cr.breach_loss, 0.0, np.array([0.0, 1.0]), cr.discount))))
        return out[0], out[1]

    def proposals(self, key, n: int, schedule=None, rows: np.ndarray | None = None) -> Proposals:
        """Draws of everything uncertain about a war: true odds, credibility uniforms,
        beliefs at the start, autonomy.  Each component has its own stream
        (``default_rng([*key, component])``), so what-ifs keep common random numbers.
        ``schedule``/``rows``: as :meth:`weights`."""
        a, b = self.true
        g = np.random.default_rng([*key, 1])
        p_true = g.beta(a, b, size=n) if (a + b) < 1e8 else np.full(n, a / (a + b))
        u_rho = tuple(np.random.default_rng([*key, 2 + i]).random(n) for i in range(2))
        weights = self.weights(key, n, schedule, rows)
        belief_A, belief_B = self.priors(key, n, weights)
        aut = draw_autonomy(self.war, key, n)
        return Proposals(p_true, u_rho, belief_A, belief_B, aut, weights)

    def luck_matrix(self, key, component: int, rows: np.ndarray) -> np.ndarray:
        """``[len(rows), max_battles]`` uniforms of :meth:`luck` (compiled in the batch core:
        the same numbers)."""
        luck = self.luck(key, component)
        if self.compiled:
            from realpolitik.models.war.record_kernel import luck_matrix

            return luck_matrix(np.uint64(luck.base), np.asarray(rows, np.int64), self.max_battles)
        return luck.matrix(rows, self.max_battles)

    @staticmethod
    def luck(key, component: int) -> CounterLuck:
        """Battle luck of the draws proposed under ``key``: draw ``i`` gets the same
        uniforms however many draws are proposed with it (so a change of an input that
        rejects other draws does not reshuffle its luck)."""
        return CounterLuck((*key, component))

    # ------------------------------------------------------------------ phase 1
    def condition(
        self, seed: int, target: int | None = None, groups: int = 1, build=None, strict: bool = True,
        max_proposals: int | None = None, round_rows: int = 2_000_000,
    ) -> Conditioned:  # fmt: skip
        """Draws consistent with the record (rejection sampling, see the module docstring).

        Proposes ``target`` draws, then more (sized by the acceptance so far, at most
        ``max_proposals`` in all) until ``target`` are consistent.  With ``groups``
        (the scenario draws of a batch) every round proposes to each group still short
        of its target as many draws as its own acceptance so far asks for (shrunk toward the
        batch's), and each group keeps its first ``target`` consistent ones; ``build(key, owner)`` gives
        the round's proposals (one per entry of ``owner``, the group each belongs to)
        and their domestic bounds (default: this scenario's).  ``max_proposals`` (per
        group; default the option) and ``round_rows`` (draws proposed in one round over
        all groups) bound the work.
        ``strict``: fewer than ``min_ess`` consistent draws is a located error (the
        record is then too unlikely under the scenario's inputs for the forecast to be
        more than noise); the kept draws' ``group`` says which group each belongs to.
        """
        target = self.opts.wars if target is None else target
        cap = self.opts.max_proposals if max_proposals is None else max_proposals
        build = self._build if build is None else build
        parts: list[Conditioned] = []
        kept = np.zeros(groups, int)
        total = np.zeros(groups, int)  # proposed per group
        batch = 0
        rejected = {v: 0 for v in REJECT_REASONS.values()}
        active = np.arange(groups)
        while True:
            if batch == 0:
                n = np.full(active.size, min(target, cap))
            else:
                # each group's proposals from its own acceptance so far (a group whose record is
                # unlikely does not make the others propose as many), within its cap; in a batch
                # the acceptance is shrunk toward the batch's (4 targets' worth of proposals at
                # its rate), so that a group's first few proposals do not size it alone, and a
                # round asks for the expected need plus 16 (a run: 5 % more plus 64; a batch's
                # rounds are shared by all its groups, so one more round costs it little, and
                # each consistent war beyond a group's target was walked through the record for
                # nothing)
                acc = np.maximum(kept[active], 1) / total[active]
                factor, extra = 1.05, 64
                if groups > 1:
                    prior = 4.0 * target
                    acc = (kept[active] + prior * (max(kept.sum(), 1) / total.sum())) / (total[active] + prior)
                    factor, extra = 1.0, 16
                need = np.ceil(factor * ((target - kept[active]) / acc)).astype(int) + extra
                n = np.minimum(np.minimum(cap - total[active], need), max(64, round_rows // active.size))
            owner = np.repeat(active, n)
            key = (seed, batch)
            prop, tl = build(key, owner)
            c = self.condition_with(key, prop, tl)
            c.group = owner[c.index]
            parts.append(c)
            for k, v in c.rejected.items():
                rejected[k] += v
            kept += np.bincount(c.group, minlength=groups)
            total[active] += n
            batch += 1
            active = np.flatnonzero((kept < target) & (total < cap))
            if active.size == 0 or not self.conditioned_on_record:
                break
        min_ess = min(self.opts.min_ess, target)
        if strict and kept.min() < min_ess:
            why = ", ".join(f"{v} in {k}" for k, v in rejected.items() if v)
            raise ScenarioError([Problem(
                "war.history",
                f"only {int(kept.min())} of {int(total.max())} simulated wars are consistent with the record to {self.origin} "
                f"(rejected: {why}); a forecast from so few draws would be noise - revisit the beliefs, costs "
                f"and domestic bounds, or raise -o max_proposals (now {self.opts.max_proposals})",
            )])  # fmt: skip
        # each group's first `target` consistent draws (in proposal order)
        group = np.concatenate([p.group for p in parts])
        order = np.argsort(group, kind="stable")
        starts = np.concatenate([[0], np.cumsum(np.bincount(group, minlength=groups))[:-1]])
        rank = np.empty(group.size, int)
        rank[order] = np.arange(group.size) - starts[group[order]]
        sel = np.flatnonzero(rank < target)
        cat = lambda name: np.concatenate([getattr(p, name) for p in parts])[sel]  # noqa: E731
        cat2 = lambda name, i: np.concatenate([np.broadcast_to(getattr(p, name)[i], (p.size,)) for p in parts])[sel]  # noqa: E731

        def weight(i):  # a certain battle weight stays one number
            vals = [p.weights[i] for p in parts]
            if all(np.ndim(v) == 0 for v in vals):
                return vals[0]
            return np.concatenate([np.broadcast_to(v, (p.size,)) for v, p in zip(vals, parts)])[sel]

        def aut(i):  # a certain autonomy stays one number (the domestic bounds stay one row)
            vals = [p.autonomy[i] for p in parts]
            return vals[0] if all(np.ndim(v) == 0 for v in vals) else cat2("autonomy", i)

        out = Conditioned(
            cat("p_true"), (cat2("u_rho", 0), cat2("u_rho", 1)), (aut(0), aut(1)),
            cat("k"), cat("aA"), cat("bA"), cat("aB"), cat("bB"), (cat2("prior_mean", 0), cat2("prior_mean", 1)),
            cat("wins"), cat("luck"), [weight(i) for i in range(len(self.battles))], int(total.sum()), batch, rejected,
            consistent=int(kept.sum()),
        )  # fmt: skip
        out.group = group[sel]
        out.proposed = total
        out.source = np.concatenate([np.stack([np.full(p.size, b), p.index], axis=1) for b, p in enumerate(parts)])[sel]
        return out

    def _build(self, key, owner: np.ndarray):
        """Proposals of one round and their domestic bounds over the record (this scenario)."""
        prop = self.proposals(key, owner.size)
        tl = self.timeline(autonomy=prop.autonomy, record_only=True) if self.conditioned_on_record else None
        return prop, tl

    def condition_with(self, key, prop: Proposals, tl: DomesticTimeline | None) -> Conditioned:
        """Condition given draws on the record (``tl``: their domestic bounds, per draw or
        shared); the result's ``index`` lists the draws kept."""
        p_true, u_rho, aut, weights = prop.p_true, prop.u_rho, prop.autonomy, prop.weights
        (aA, bA), (aB, bB) = prop.belief_A, prop.belief_B
        n = p_true.size
        ids = np.arange(n)
        if not self.conditioned_on_record:
            prior_mean = (aA / (aA + bA), aB / (aB + bB))
            luck = self.luck_matrix(key, 11, ids)
            return Conditioned(p_true, u_rho, aut, np.full(n, self.k0), aA, bA, aB, bB, prior_mean,
                               np.zeros(n, int), luck, weights, proposals=n, batches=1, index=np.arange(n),
                               consistent=n)  # fmt: skip
        params = self._params(tl, self.R, slice(0, self.R + 1))
        record = Record(self.record.forced, self.record.talks,
                        tuple((b.step, b.a_won, weights[b.index]) for b in self.battles if b.phase == "record"))
        if self.compiled:
            # premiums (betaincinv) only for the draws without a deal at the war's start even with
            # the largest premiums (about a third on the default scenario): the same numbers
            pA, pB = self.premium_bounds()
            lazy = lambda idx: self.premiums((u_rho[0][idx], u_rho[1][idx]))  # noqa: E731
        else:
            (pA, pB), lazy = self.premiums(u_rho), None
        rec = condition_on_record(
            params, record, p_true, (aA, bA), (aB, bB), pA, pB, None, chunk=self.opts.chunk,
            integrator=self.integrator, luck=self.luck(key, 10), compiled=self.compiled, lazy_premiums=lazy,
        )  # fmt: skip
        ok = np.flatnonzero(rec.consistent)
        luck = self.luck_matrix(key, 11, ok)
        pick = lambda v: v[ok] if np.ndim(v) else v  # noqa: E731
        rejected = {name: int(np.sum(rec.failed == code)) for code, name in REJECT_REASONS.items()}
        return Conditioned(
            p_true[ok], (u_rho[0][ok], u_rho[1][ok]), (pick(aut[0]), pick(aut[1])), rec.k[ok], rec.aA[ok],
            rec.bA[ok], rec.aB[ok], rec.bB[ok], (aA[ok] / (aA[ok] + bA[ok]), aB[ok] / (aB[ok] + bB[ok])), rec.wins[ok], luck,
            [w if np.ndim(w) == 0 else w[ok] for w in weights],
            proposals=n, batches=1, rejected=rejected, index=ok, consistent=int(ok.size),
        )  # fmt: skip

    # ------------------------------------------------------------------ phase 2
    def future(
        self,
        cond: Conditioned,
        timeline: DomesticTimeline | None = None,
        *,
        credible: bool = False,
        broken_factor: float = 1.0,
        evidence: bool = True,
    ) -> WarPaths:
        """The consistent draws fought on from the origin (what-ifs: interventions there).

        ``timeline`` defaults to the domestic bounds with each draw's autonomy;
        ``evidence=False`` removes every battle's evidence (before and after the origin)
        from both sides' beliefs.
        """
        n = cond.size
        tl = self.timeline(autonomy=cond.autonomy) if timeline is None else timeline
        pA, pB = self.premiums(cond.u_rho, credible, broken_factor)
        aA, bA, aB, bB = cond.aA.copy(), cond.bA.copy(), cond.aB.copy(), cond.bB.copy()
        events = [(b.step - self.R, b.a_won, cond.weights[b.index]) for b in self.battles if b.phase == "future"]
        if not evidence:
            events = []
            for b in self.battles:
                if b.phase == "future":
                    continue
                w = cond.weights[b.index]
                if b.a_won:
                    aA -= w
                    aB -= w
                else:
                    bA -= w
                    bB -= w
        cols = slice(self.R, self.R + self.max_battles + 1)
        params = self._params(tl, self.max_battles, cols, events)
        return simulate_war(
            params, cond.p_true, (aA, bA), (aB, bB), pA, pB, None, chunk=self.opts.chunk,
            integrator=self.integrator, k_start=cond.k, uniforms=cond.luck, compiled=self.compiled,
        )  # fmt: skip

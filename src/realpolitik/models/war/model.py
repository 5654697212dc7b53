"""The registered ``war`` model: the war-time bargaining layer as a forecast.

Reads the scenario's ``war`` section (:mod:`realpolitik.scenario.war`), simulates
the war (:mod:`realpolitik.models.war.simulator`) with seeded Monte Carlo draws and
reports the probability of a negotiated settlement by each horizon, the expected
terms on the settlement issue, each side's probability of military victory, the
expected duration, Monte Carlo intervals, a what-if table (credibility of
agreements, domestic pressure, the Kursk update) and, where the section has
other theatres, the chance that each challenger moves.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator
from scipy.special import betaincinv, ndtri

from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.models.war.inputs import (
    DomesticTimeline,
    Orientation,
    battle_month,
    beta_counts,
    domestic_timeline,
    orientation,
)
from realpolitik.models.war.mechanisms import (
    ceasefire_peace_set,
    challenges,
    credibility_premium,
    gamblers_ruin,
    reputation_update,
    reputation_used,
)
from realpolitik.models.war.simulator import (
    A_VICTORY,
    B_VICTORY,
    SETTLED,
    CeasefireParams,
    WarParams,
    WarPaths,
    simulate_war,
)
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.war import WarSpec

Z95 = 1.959963984540054

LABELS_NOTE = (
    "Labels: [V] checked against the paper's text; [K] standard textbook form; "
    "[D] derived reduced form for realpolitik, not a published result. The settlement test with "
    "subjective war values, the credibility premium, the domestic win-set rule and the "
    "ceasefire-line constraint are [D]; the front line is a gambler's ruin [K] with non-common "
    "Beta beliefs (Smith & Stam 2004 [K])."
)


class WarOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    draws: int = Field(4000, ge=1, le=5_000_000, description="Monte Carlo draws (simulated wars)")
    horizons: tuple[float, ...] = Field((6.0, 12.0, 24.0), description="horizons in months for the probabilities")
    belief_eval: str = Field("quadrature", description="E_F[V(k)]: 'quadrature' (Gauss-Legendre) or 'plug_in'")
    quadrature_nodes: int = Field(32, ge=2, le=200, description="Gauss-Legendre nodes per panel")
    quadrature_panels: int = Field(8, ge=1, le=200, description="panels of the composite rule on (0, 1)")
    what_if: bool = Field(True, description="also run the what-if table (credibility, domestic pressure, Kursk)")
    pressure_shift: float = Field(
        0.1, ge=0, le=1, description="what-if: ratifiers' demands move this share of the scale toward their side"
    )
    spread_points: int = Field(
        32, ge=2, le=100_000, description="equiprobable quantiles that discretise a belief's spread"
    )
    batch_paths: int = Field(64, ge=1, le=100_000, description="wars simulated per scenario draw in forecast_batch")
    chunk: int = Field(20_000, ge=100, le=1_000_000, description="draws per chunk (memory bound)")

    @field_validator("belief_eval")
    @classmethod
    def _be(cls, v: str) -> str:
        v = v.strip().lower().replace("-", "_")
        if v not in ("quadrature", "plug_in"):
            raise ValueError("belief_eval must be 'quadrature' or 'plug_in'")
        return v

    @field_validator("horizons")
    @classmethod
    def _hz(cls, v):
        if not v or any((not math.isfinite(h)) or h <= 0 for h in v):
            raise ValueError("horizons must be positive numbers of months")
        return tuple(sorted(set(float(h) for h in v)))


def _hkey(h: float) -> str:
    return str(int(h)) if float(h).is_integer() else f"{h:g}"


def _wilson(k: float, n: int) -> list[float]:
    """95% Wilson score interval for a Monte Carlo proportion."""
    if n <= 0:
        return [math.nan, math.nan]
    ph = k / n
    den = 1 + Z95**2 / n
    c = (ph + Z95**2 / (2 * n)) / den
    half = Z95 * math.sqrt(ph * (1 - ph) / n + Z95**2 / (4 * n * n)) / den
    return [max(0.0, c - half), min(1.0, c + half)]


class _Setup:
    """Everything the simulator needs from one scenario (plus what-if variants)."""

    def __init__(self, scenario: Scenario, war: WarSpec, opts: WarOptions):
        self.scenario, self.war, self.opts = scenario, war, opts
        self.orient: Orientation = orientation(scenario, war)
        self.N = war.front.positions
        self.k0 = war.front.k0
        self.mpb = war.months_per_battle
        self.max_battles = max(1, int(math.floor(war.max_months / self.mpb + 1e-9)))
        self.kappa = tuple(s.cost_per_month * self.mpb for s in war.sides)
        self.prior = [beta_counts(s.belief, self.k0, self.N) for s in war.sides]
        self.true = beta_counts(war.true_odds, self.k0, self.N)
        ids = [s.id for s in war.sides]
        self.side_ids = ids
        self.past, self.future = [], []  # battles: (month or step, a_won, weight, id, event)
        for bt in war.battles:
            m = battle_month(scenario, war, bt)
            rec = (bt.winner == ids[0], bt.weight, bt.id or bt.event or "battle", bt.event)
            if m <= 1e-9:
                self.past.append(rec)
            else:
                self.future.append((max(1, int(math.ceil(m / self.mpb - 1e-9))),) + rec)
        self.ceasefire = None
        if war.ceasefire is not None:
            cf = war.ceasefire
            iss = scenario.issue(war.issue)
            sq = cf.line_status_quo if cf.line_status_quo is not None else iss.status_quo
            self.ceasefire = CeasefireParams(
                cf.p_shift, cf.kappa, float(self.orient.to_share(sq)), cf.war_cost_a, cf.war_cost_b, cf.discount
            )

    # ------------------------------------------------------------------
    def params(self, timeline: DomesticTimeline, battles_future=None) -> WarParams:
        fut = self.future if battles_future is None else battles_future
        return WarParams(
            N=self.N,
            k0=self.k0,
            kappa_A=self.kappa[0],
            kappa_B=self.kappa[1],
            delta=self.war.discount,
            max_battles=self.max_battles,
            lower=timeline.lower,
            upper=timeline.upper,
            battle_events=tuple((st, a, w) for st, a, w, *_ in fut),
            ceasefire=self.ceasefire,
            belief_eval=self.opts.belief_eval,
            quadrature_nodes=self.opts.quadrature_nodes,
            quadrature_panels=self.opts.quadrature_panels,
        )

    def timeline(self, **kw) -> DomesticTimeline:
        return domestic_timeline(self.scenario, self.war, self.max_battles, **kw)

    def priors(self, past=None, seed: int | None = None, n: int = 1):
        """Both sides' Beta counts after the battles that happened before month 0.

        With ``seed``, a belief with ``spread > 0`` gets a per-draw mean (logit-normal
        around the stated mean, discretised to ``spread_points`` equiprobable quantiles,
        stream ``[seed, 4 + side]``); the counts are then arrays.
        """
        counts = []
        for i, s in enumerate(self.war.sides):
            a, b = self.prior[i]
            if seed is not None and s.belief.spread > 0:
                conc = a + b
                # equiprobable quantiles of the normal (so belief states repeat and are
                # evaluated once per step), one drawn per Monte Carlo draw
                q = self.opts.spread_points
                pick = np.random.default_rng([seed, 4 + i]).integers(0, q, size=n)
                z = ndtri((pick + 0.5) / q)
                logit = np.log(a / b) + s.belief.spread * z
                m = 1.0 / (1.0 + np.exp(-logit))
                a, b = m * conc, (1.0 - m) * conc
            counts.append((a, b))
        (aA, bA), (aB, bB) = counts
        for a_won, w, *_ in self.past if past is None else past:
            if a_won:
                aA, aB = aA + w, aB + w
            else:
                bA, bB = bA + w, bB + w
        return (aA, bA), (aB, bB)

    def draw_inputs(self, seed: int, n: int, credible: bool = False, broken_factor: float = 1.0):
        """Per-draw true battle odds and credibility premiums.

        Each component has its own stream (``default_rng([seed, component])``) so
        a what-if that changes one component leaves the others' draws unchanged
        (common random numbers).
        """
        a, b = self.true
        g = np.random.default_rng([seed, 1])
        p_true = g.beta(a, b, size=n) if (a + b) < 1e8 else np.full(n, a / (a + b))
        prem = []
        for i, s in enumerate(self.war.sides):
            cr = s.credibility
            if cr is None or cr.breach_loss == 0:
                prem.append(np.zeros(n))
                continue
            # inverse-CDF draws from one uniform stream: a worse record gives every draw a
            # lower (never higher) rho, so credibility what-ifs are monotone draw by draw
            u = np.random.default_rng([seed, 2 + i]).random(n)
            rho = betaincinv(cr.prior_a + cr.honoured, cr.prior_b + cr.broken * broken_factor, u)
            if credible:
                rho = np.ones(n)
            prem.append(credibility_premium(cr.breach_loss, 0.0, rho, cr.discount))
        return p_true, prem[0], prem[1]

    def run(self, seed: int, timeline: DomesticTimeline, *, credible=False, broken_factor=1.0, past=None, future=None) -> WarPaths:
        n = self.opts.draws
        p_true, pA, pB = self.draw_inputs(seed, n, credible, broken_factor)
        (aA, bA), (aB, bB) = self.priors(past, seed, n)
        params = self.params(timeline, future)
        full = lambda v: np.broadcast_to(np.asarray(v, float), (n,))  # noqa: E731
        return simulate_war(
            params, p_true, (full(aA), full(bA)), (full(aB), full(bB)), pA, pB,
            np.random.default_rng([seed, 0]), chunk=self.opts.chunk,
        )  # fmt: skip


def summarise(paths: WarPaths, setup: _Setup, horizons) -> dict[str, Any]:
    """Probabilities by horizon with 95% Monte Carlo intervals, terms, duration."""
    n = paths.outcome.size
    months = paths.end_step * setup.mpb
    ids = setup.side_ids
    out: dict[str, Any] = {
        "settlement_probability": {},
        "settlement_probability_interval": {},
        "war_continues_probability": {},
        "war_continues_probability_interval": {},
        "victory_probability_by_horizon": {ids[0]: {}, ids[1]: {}},
    }
    for h in horizons:
        key = _hkey(h)
        by = months <= h + 1e-9
        settled = int(np.sum((paths.outcome == SETTLED) & by))
        va = int(np.sum((paths.outcome == A_VICTORY) & by))
        vb = int(np.sum((paths.outcome == B_VICTORY) & by))
        cont = n - settled - va - vb
        out["settlement_probability"][key] = settled / n
        out["settlement_probability_interval"][key] = _wilson(settled, n)
        out["war_continues_probability"][key] = cont / n
        out["war_continues_probability_interval"][key] = _wilson(cont, n)
        out["victory_probability_by_horizon"][ids[0]][key] = va / n
        out["victory_probability_by_horizon"][ids[1]][key] = vb / n
    va = int(np.sum(paths.outcome == A_VICTORY))
    vb = int(np.sum(paths.outcome == B_VICTORY))
    st = int(np.sum(paths.outcome == SETTLED))
    out["victory_probability"] = {ids[0]: va / n, ids[1]: vb / n}
    out["victory_probability_interval"] = {ids[0]: _wilson(va, n), ids[1]: _wilson(vb, n)}
    out["settlement_probability_by_end"] = st / n
    out["war_continues_probability_by_end"] = (n - st - va - vb) / n
    dur = months.astype(float)
    out["expected_duration_months"] = float(dur.mean())
    se = float(dur.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    out["expected_duration_interval"] = [float(dur.mean()) - Z95 * se, float(dur.mean()) + Z95 * se]
    out["duration_censored_share"] = float(np.mean(paths.outcome == 0))
    terms = paths.terms[paths.outcome == SETTLED]
    if terms.size:
        scale = setup.orient.to_scale(terms)
        m = float(scale.mean())
        se = float(scale.std(ddof=1) / math.sqrt(scale.size)) if scale.size > 1 else math.nan
        q = np.quantile(scale, [0.05, 0.25, 0.5, 0.75, 0.95])
        out["settlement_terms"] = {
            "mean": m,
            "mean_interval": [m - Z95 * se, m + Z95 * se],
            "quantiles": {"5": q[0], "25": q[1], "50": q[2], "75": q[3], "95": q[4]},
            "share_mean": float(terms.mean()),
            "settled_draws": int(terms.size),
            # corner solutions (design doc: clipping is reported): share of settlements whose
            # terms a bound moved away from the unconstrained Nash split
            "clipped_share": {
                ids[0]: float(np.mean(paths.clipped[paths.outcome == SETTLED] == 1)),
                ids[1]: float(np.mean(paths.clipped[paths.outcome == SETTLED] == -1)),
            },
        }
    else:
        out["settlement_terms"] = {"mean": math.nan, "settled_draws": 0}
    # settlement probability by month, on the step grid
    steps = np.arange(setup.max_battles + 1)
    cum = np.cumsum(np.bincount(paths.end_step[paths.outcome == SETTLED], minlength=steps.size))[: steps.size] / n
    ivs = [_wilson(c * n, n) for c in cum]
    out["settlement_by_month"] = {
        "months": (steps * setup.mpb).tolist(),
        "probability": cum.tolist(),
        "low": [iv[0] for iv in ivs],
        "high": [iv[1] for iv in ivs],
    }
    return out


@register
class WarBargaining(Model):
    """War-time bargaining: battlefield learning, credibility, domestic win-sets, reputation.

    A Monte Carlo war (front line as a gambler's ruin, Beta beliefs updated by
    every battle, settlement when a deal beats fighting on for both sides and
    survives both domestic win-sets) built from the mechanisms of
    :mod:`realpolitik.models.war.mechanisms`.  Sources and honesty labels:

    * bargaining range [V] (Fearon 1995); gambler's-ruin front line and Beta
      learning [K] (Smith & Stam 2004; Slantchev 2003);
    * credibility premium, war-termination NBS clipped to win-sets, the
      win-set rule from sub-actors and the ceasefire-line constraint are
      **derived** reduced forms for realpolitik [D], not published results;
    * reputation across theatres [K] (Kreps & Wilson 1982).

    Scenarios without a ``war`` section get an empty "not applicable" result.

    References
    ----------
    Fearon, J. D. (1995). Rationalist explanations for war. *IO* 49(3), 379-414.
    Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6), 783-813.
    Slantchev, B. L. (2003). The principle of convergence in wartime negotiations. *APSR* 97(4), 621-632.
    Powell, R. (2006). War as a commitment problem. *IO* 60(1), 169-203.
    Putnam, R. D. (1988). Diplomacy and domestic politics. *IO* 42(3), 427-460.
    Kreps, D. M. & Wilson, R. (1982). Reputation and imperfect information. *JET* 27(2), 253-279.
    """

    name = "war"
    label = "War bargaining"
    Options = WarOptions
    stochastic = True
    vectorised = True

    # ------------------------------------------------------------------ run
    def _run(self, scenario: Scenario, rng: np.random.Generator | None) -> Any:
        rng = np.random.default_rng() if rng is None else rng
        war = scenario.war
        if war is None:
            return self.make_result(
                scenario,
                {},
                details={
                    "applicable": False,
                    "note": "not applicable: the scenario has no war section (see docs/war.md)",
                },
            )
        opts = self.options
        setup = _Setup(scenario, war, opts)
        base_seed = int(rng.integers(0, 2**63 - 1))
        tl = setup.timeline()
        paths = setup.run(base_seed, tl)
        summary = summarise(paths, setup, opts.horizons)
        details: dict[str, Any] = {"applicable": True, **summary}
        details["issue"] = war.issue
        details["sides"] = {"A": setup.side_ids[0], "B": setup.side_ids[1]}
        details["draws"] = opts.draws
        details["horizons_months"] = list(opts.horizons)
        details["inputs"] = self._inputs(setup, tl, paths)
        if war.reputation is not None:
            details["reputation"] = self._reputation(setup, paths)
        if opts.what_if:
            details["what_if"] = self._what_ifs(setup, base_seed, summary)
        late = [h for h in opts.horizons if h > war.max_months + 1e-9]
        if late:
            details["note"] = (
                f"horizons {', '.join(_hkey(h) for h in late)} lie beyond the simulated {war.max_months:g} months: "
                "wars still running at the end are counted as continuing there"
            )
        details["labels_note"] = LABELS_NOTE
        forecast = {war.issue: summary["settlement_terms"]["mean"]}
        return self.make_result(scenario, forecast, details=details)

    # ------------------------------------------------------------------ parts
    def _inputs(self, setup: _Setup, tl: DomesticTimeline, paths: WarPaths) -> dict[str, Any]:
        (aA, bA), (aB, bB) = setup.priors()
        pA = aA / (aA + bA)
        pB = aB / (aB + bB)
        pt = setup.true[0] / sum(setup.true)
        win = lambda p: gamblers_ruin(p, setup.k0, setup.N)[0]  # noqa: E731
        o = setup.orient
        ids = setup.side_ids
        info: dict[str, Any] = {
            "a_prefers": "top of the scale" if o.a_high else "bottom of the scale",
            "front": {"positions": setup.N, "start": setup.k0, "months_per_battle": setup.mpb},
            "max_battles": setup.max_battles,
            "cost_per_battle": {ids[0]: setup.kappa[0], ids[1]: setup.kappa[1]},
            "battle_win_belief": {ids[0]: pA, ids[1]: pB, "analyst": pt},
            "war_win_belief": {ids[0]: win(pA), ids[1]: win(pB), "analyst": win(pt)},
            "beta_counts": {ids[0]: [aA, bA], ids[1]: [aB, bB]},
            "battles_before_start": [r[2] for r in setup.past],
            "war_value_at_start": {
                ids[0]: float(np.mean(paths.first_ev[:, 0])),
                ids[1]: float(np.mean(paths.first_ev[:, 1])),
            },
            "domestic_ratifiers": {ids[0]: list(tl.ratifiers[0]), ids[1]: list(tl.ratifiers[1])},
            "domestic_bound_at_start": {
                ids[0]: o.to_scale(tl.start[0]).item() if math.isfinite(tl.start[0]) else None,
                ids[1]: o.to_scale(tl.start[1]).item() if math.isfinite(tl.start[1]) else None,
            },
        }
        if setup.ceasefire is not None:
            cf = setup.ceasefire
            ps = ceasefire_peace_set(win(pt), cf.d_A, cf.d_B, cf.delta, cf.p_shift, cf.kappa, cf.x_sq)
            info["ceasefire_peace_set_at_start"] = {
                "g_A_star": ps.g_A_star,
                "g_B_star": ps.g_B_star,
                "lines": None if ps.interval is None else sorted(o.to_scale(list(ps.interval)).tolist()),
                "judged_with": "the analyst's war-win estimate",
            }
        return info

    def _reputation(self, setup: _Setup, paths: WarPaths) -> dict[str, Any]:
        rep = setup.war.reputation
        o = setup.orient
        d_is_a = rep.defender == setup.side_ids[0]
        iss = setup.scenario.issue(setup.war.issue)
        thr_val = rep.concession_below
        if thr_val is None:
            thr_val = iss.status_quo if iss.status_quo is not None else (iss.min + iss.max) / 2.0
        thr = float(o.to_share(thr_val))
        settled = paths.outcome == SETTLED
        terms = np.nan_to_num(paths.terms)
        if d_is_a:
            conceded = (paths.outcome == B_VICTORY) | (settled & (terms < thr))
        else:
            conceded = (paths.outcome == A_VICTORY) | (settled & (terms > thr))
        post = reputation_update(np.full(conceded.size, rep.prior_resolute), rep.weak_concede, ~conceded)
        used = reputation_used(post, rep.prior_resolute, rep.weight)
        out = {
            "defender": rep.defender,
            "concession_share": float(conceded.mean()),
            "concession_below": thr_val,
            "resolve_if_firm": reputation_update(rep.prior_resolute, rep.weak_concede, True),
            "theatres": {},
        }
        n = conceded.size
        for th in rep.theatres:
            ch = challenges(used, th.gain, th.loss)
            k = int(np.sum(ch))
            out["theatres"][th.id] = {
                "challenger": th.challenger,
                "threshold": th.gain / (th.gain + th.loss),
                "challenge_probability": k / n,
                "interval": _wilson(k, n),
            }
        return out

    def _what_ifs(self, setup: _Setup, seed: int, base: dict[str, Any]) -> list[dict[str, Any]]:
        war = setup.war
        rows: list[tuple[str, str, dict]] = []
        tl = setup.timeline()
        has_cred = any(s.credibility is not None and s.credibility.breach_loss > 0 for s in war.sides)
        if has_cred:
            rows.append(("credible agreements", "every agreement certain to hold (rho = 1): no credibility premium",
                         {"timeline": tl, "credible": True}))
            rows.append(("twice the broken agreements", "the record of broken agreements counted twice",
                         {"timeline": tl, "broken_factor": 2.0}))
        rows.append(("no domestic constraint", "win-sets removed: the leaders ratify alone",
                     {"timeline": DomesticTimeline(np.full_like(tl.lower, -np.inf), np.full_like(tl.upper, np.inf),
                                                   tl.ratifiers, (math.nan, math.nan))}))
        shift = self.options.pressure_shift
        rows.append(("domestic pressure up",
                     f"every ratifier demands {shift:.0%} of the scale more for its own side",
                     {"timeline": setup.timeline(pressure_shift=shift)}))
        if setup.past or setup.future:
            rows.append(("without the battle updates", "no battle evidence (e.g. Kursk) in either side's beliefs",
                         {"timeline": tl, "past": [], "future": []}))
            evs = frozenset(r[3] for r in setup.past + [f[1:] for f in setup.future] if r[3])
            if evs:
                rows.append(("without the battle events", f"neither the belief update nor the domestic changes of "
                             f"event(s) {', '.join(sorted(evs))}",
                             {"timeline": setup.timeline(skip_events=evs), "past": [], "future": []}))  # fmt: skip
        out = [self._row("baseline", "the scenario as given", base)]
        for name, desc, kw in rows:
            timeline = kw.pop("timeline")
            paths = setup.run(seed, timeline, **kw)
            out.append(self._row(name, desc, summarise(paths, setup, self.options.horizons)))
        return out

    @staticmethod
    def _row(name: str, desc: str, s: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": name,
            "description": desc,
            "settlement_probability": s["settlement_probability"],
            "war_continues_probability": s["war_continues_probability"],
            "victory_probability": s["victory_probability"],
            "settlement_terms": s["settlement_terms"]["mean"],
            "expected_duration_months": s["expected_duration_months"],
        }

    # ------------------------------------------------------------------ batch
    def forecast_batch(self, batch: ScenarioBatch, rng: np.random.Generator | None = None) -> np.ndarray:
        """Expected settlement terms ``[draw, issue]`` for a batch of scenario draws.

        Vectorised: each scenario draw gets its own domestic win-sets (from its
        sub-actors' values) and ``batch_paths`` simulated wars; the forecast is
        the mean terms of the settled ones (NaN where none settles, and on
        issues other than the settlement issue).
        """
        rng = np.random.default_rng() if rng is None else rng
        scen = batch.base
        out = np.full((batch.draws, len(scen.issues)), np.nan)
        if scen.war is None:
            return out
        opts = self.options.model_copy(update={"draws": batch.draws * self.options.batch_paths, "what_if": False})
        setup = _Setup(scen, scen.war, opts)
        tl = domestic_timeline(
            scen, scen.war, setup.max_battles, position=batch.position, salience=batch.salience,
            capability=batch.capability,
        )  # fmt: skip
        reps = self.options.batch_paths
        tl = DomesticTimeline(np.repeat(tl.lower, reps, axis=0), np.repeat(tl.upper, reps, axis=0), tl.ratifiers, tl.start)
        paths = setup.run(int(rng.integers(0, 2**63 - 1)), tl)
        terms = np.where(paths.outcome == SETTLED, paths.terms, np.nan).reshape(batch.draws, reps)
        with np.errstate(invalid="ignore"):
            cnt = np.sum(np.isfinite(terms), axis=1)
            mean = np.where(cnt > 0, np.nansum(terms, axis=1) / np.maximum(cnt, 1), np.nan)
        j = scen.issue_ids.index(scen.war.issue)
        out[:, j] = setup.orient.to_scale(mean)
        return out

    # ------------------------------------------------------------------ display
    def describe(self, result, scenario: Scenario) -> list[Table]:
        d = result.details
        if not d.get("applicable", False):
            return [Table("War bargaining", ["status"], [[d.get("note", "not applicable")]])]
        ids = [d["sides"]["A"], d["sides"]["B"]]
        tables: list[Table] = []
        rows = []
        for key in d["settlement_probability"]:
            lo, hi = d["settlement_probability_interval"][key]
            rows.append([
                key,
                f"{d['settlement_probability'][key]:.1%} ({lo:.1%}-{hi:.1%})",
                f"{d['war_continues_probability'][key]:.1%}",
                f"{d['victory_probability_by_horizon'][ids[0]][key]:.1%}",
                f"{d['victory_probability_by_horizon'][ids[1]][key]:.1%}",
            ])  # fmt: skip
        tables.append(Table(
            f"War bargaining: how the war ends ({d['draws']} simulated wars, 95% Monte Carlo intervals)",
            ["months", "negotiated settlement by then", "war continues", f"{ids[0]} military victory",
             f"{ids[1]} military victory"],
            rows,
            note="Settlement test with subjective war values, credibility premium and domestic win-sets: "
                 "a derived reduced form for realpolitik [D], not a published model. " + LABELS_NOTE,
            summary=True,
        ))  # fmt: skip
        st = d["settlement_terms"]
        iss = scenario.issue(d["issue"])
        if st.get("settled_draws", 0):
            q = st["quantiles"]
            p = iss.nearest_point(st["mean"])
            tables.append(Table(
                f"War bargaining: expected terms of a negotiated settlement, if one is reached within "
                f"{scenario.war.max_months:g} months ({st['settled_draws']} of {d['draws']} wars), on "
                f"'{iss.label or iss.id}' ({iss.min:g}-{iss.max:g})",
                ["expected terms", "95% MC interval of the mean", "5-95% of settlements", "nearest labelled point",
                 "expected duration (months)"],
                [[f"{st['mean']:.1f}", f"{st['mean_interval'][0]:.1f}-{st['mean_interval'][1]:.1f}",
                  f"{q['5']:.1f}-{q['95']:.1f}", f"{p.value:g}: {p.label}" if p else "-",
                  f"{d['expected_duration_months']:.1f}"]],
                note=f"Terms: Nash bargaining with war as the disagreement point, clipped to the domestic win-sets [D]; "
                     f"{ids[0]}'s bounds (win-set, ceasefire line) set the terms in {st['clipped_share'][ids[0]]:.0%} of "
                     f"settlements, {ids[1]}'s in {st['clipped_share'][ids[1]]:.0%}. "
                     f"Duration is censored at the simulation limit ({d['duration_censored_share']:.0%} of wars "
                     "still running there).",
                summary=True,
            ))  # fmt: skip
        if d.get("what_if"):
            keys = list(d["settlement_probability"])
            rows = []
            base = d["what_if"][0]
            for w in d["what_if"]:
                rows.append(
                    [w["name"]]
                    + [f"{w['settlement_probability'][k]:.1%}" for k in keys]
                    + [f"{w['war_continues_probability'][keys[-1]]:.1%}",
                       "-" if w["settlement_terms"] is None or not math.isfinite(w["settlement_terms"])
                       else f"{w['settlement_terms']:.1f}",
                       "" if w is base else f"{w['settlement_probability'][keys[-1]] - base['settlement_probability'][keys[-1]]:+.1%}"]
                )  # fmt: skip
            tables.append(Table(
                "War bargaining: what moves the forecast - probability of a negotiated settlement by month "
                "(same random draws in every row)",
                ["what if"] + [f"{k} mo" for k in keys] + [f"war on at {keys[-1]} mo", "terms",
                                                           f"change at {keys[-1]} mo"],
                rows,
                note="; ".join(f"{w['name']}: {w['description']}" for w in d["what_if"][1:]),
                summary=True,
            ))  # fmt: skip
        rep = d.get("reputation")
        if rep and rep["theatres"]:
            tables.append(Table(
                f"War bargaining: other theatres (defender {rep['defender']}; concedes in {rep['concession_share']:.1%} of wars)",
                ["theatre", "challenger", "challenges if resolve below", "P(challenge)"],
                [[k, v["challenger"], f"{v['threshold']:.2f}", f"{v['challenge_probability']:.1%}"]
                 for k, v in rep["theatres"].items()],
                note="Chain-store reputation (Kreps & Wilson 1982) [K]: a concession (a settlement below "
                     f"{rep['concession_below']:g} or a military defeat within the simulated period) reveals the weak "
                     f"type; standing firm raises the defender's resolve to {rep['resolve_if_firm']:.2f}.",
            ))  # fmt: skip
        return tables

"""The registered ``war`` model: the war-time bargaining layer as a forecast.

Reads the scenario's ``war`` section (:mod:`realpolitik.scenario.war`), conditions
seeded Monte Carlo draws on the war's past (:mod:`realpolitik.models.war.setup`),
simulates the war on from the forecast origin
(:mod:`realpolitik.models.war.simulator`) and reports the probability of a negotiated
settlement by each horizon and per battle period (hazards), the expected terms of a
settlement *if one is reached*, each side's probability of military victory, the
expected duration, the effective sample size, the simulation error of each estimate, a what-if table
(credibility of agreements, domestic pressure, the Kursk update) and, where the
section has other theatres, the chance that each challenger moves.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from typing import Any

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.models.war.mechanisms import (
    ceasefire_peace_set,
    challenges,
    gamblers_ruin,
    reputation_update,
    reputation_used,
)
from realpolitik.models.war.setup import Conditioned, WarSetup
from realpolitik.models.war.simulator import A_VICTORY, B_VICTORY, SETTLED, WarPaths
from realpolitik.models.war.summary import TERMS_NOTE, hkey, summarise, wilson
from realpolitik.scenario.model import Scenario

SIM_ERROR_NOTE = (
    "± is the simulation error of each estimate (95%, from the number of simulated wars; more wars shrink it), "
    "not the uncertainty of the forecast: for that, the spread over input draws (realpolitik simulate -m war) "
    "and the what-if table."
)

LABELS_NOTE = (
    "Labels: [V] checked against the paper's text; [K] standard textbook form; "
    "[D] derived reduced form for realpolitik, not a published result. The settlement test with "
    "subjective war values, the credibility premium, the domestic-pressure rule and the "
    "ceasefire-line constraint are [D]; the front line is a gambler's ruin [K] with non-common "
    "Beta beliefs (Smith & Stam 2004 [K])."
)


class WarOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    wars: int = Field(
        4000, ge=1, le=5_000_000, validation_alias=AliasChoices("wars", "draws"),
        description="simulated wars consistent with the war's record (target; 'draws' is accepted too)",
    )  # fmt: skip
    horizons: tuple[float, ...] = Field((6.0, 12.0, 24.0), description="horizons in months for the probabilities")
    belief_eval: str = Field("quadrature", description="E_F[V(k)]: 'quadrature' (Gauss-Legendre) or 'plug_in'")
    quadrature_nodes: int = Field(32, ge=2, le=200, description="Gauss-Legendre nodes per panel")
    quadrature_panels: int = Field(8, ge=1, le=200, description="panels of the composite rule on (0, 1)")
    what_if: bool = Field(True, description="also run the what-if table (credibility, domestic pressure, Kursk)")
    pressure_shift: float = Field(
        0.1, ge=0, le=1, description="what-if: constituencies' positions move this share of the scale toward their side"
    )
    spread_points: int = Field(
        32, ge=2, le=100_000, description="equiprobable quantiles that discretise a belief's spread"
    )
    batch_paths: int = Field(64, ge=1, le=100_000, description="wars simulated per scenario draw in forecast_batch")
    chunk: int = Field(100_000, ge=100, le=1_000_000, description="draws per chunk (memory bound)")
    max_proposals: int = Field(
        400_000, ge=1, le=50_000_000, description="most draws proposed while looking for draws consistent with the record"
    )
    min_ess: int = Field(
        200, ge=1, le=5_000_000, description="fewest consistent draws a forecast may rest on (fewer: an error)"
    )
    as_of: dt.date | None = Field(None, description="forecast origin (a date on or after the scenario's as_of)")

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
    [Fearon1995] Fearon, J. D. (1995). Rationalist explanations for war. *IO* 49(3), 379-414.
    [SmithStam2004] Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6), 783-813.
    [Slantchev2003] Slantchev, B. L. (2003). The principle of convergence in wartime negotiations. *APSR* 97(4), 621-632.
    [Powell2006] Powell, R. (2006). War as a commitment problem. *IO* 60(1), 169-203.
    [Putnam1988] Putnam, R. D. (1988). Diplomacy and domestic politics. *IO* 42(3), 427-460.
    [KrepsWilson1982] Kreps, D. M. & Wilson, R. (1982). Reputation and imperfect information. *JET* 27(2), 253-279.
    """

    name = "war"
    label = "War bargaining (terms if a deal is reached)"
    Options = WarOptions
    stochastic = True
    vectorised = True
    # timed by months (a date, or a round x months_per_round); enter is not modelled
    event_fields = frozenset({"capability", "position", "salience", "leave"})
    event_rounds = False

    # ------------------------------------------------------------------ run
    def setup(self, scenario: Scenario) -> WarSetup:
        """The machinery of one forecast (origin: the ``as_of`` option or the scenario's)."""
        return WarSetup(scenario, scenario.war, self.options, self.options.as_of)

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
        setup = self.setup(scenario)
        # the compiled record and forecast give the same numbers (tests/test_war_record_kernel.py);
        # a run uses them only where the batch core has already loaded them (e.g. the point
        # forecast of a Monte Carlo run): a run on its own never imports numba (start-up time)
        setup.compiled = "realpolitik.models.war.record_kernel" in sys.modules
        base_seed = int(rng.integers(0, 2**63 - 1))
        cond = setup.condition(base_seed)
        paths = setup.future(cond)
        summary = self._summary(setup, paths)
        details: dict[str, Any] = {"applicable": True, **summary}
        details["issue"] = war.issue
        details["sides"] = {"A": setup.side_ids[0], "B": setup.side_ids[1]}
        details["wars"] = cond.size
        details["effective_sample_size"] = cond.size
        details["origin"] = None if setup.origin is None else setup.origin.isoformat()
        details["horizons_months"] = list(opts.horizons)
        details["record"] = self._record(setup, cond)
        details["inputs"] = self._inputs(setup, cond, paths)
        if war.reputation is not None:
            details["reputation"] = self._reputation(setup, paths)
        if opts.what_if:
            details["what_if"] = self._what_ifs(setup, cond, summary)
        late = [h for h in opts.horizons if h > setup.months(setup.max_battles) + 1e-9]
        if late:
            details["note"] = (
                f"horizons {', '.join(hkey(h) for h in late)} lie beyond the simulated "
                f"{float(setup.months(setup.max_battles)):g} months: wars still running at the end are counted as "
                "continuing there"
            )
        st = summary["settlement_terms"]
        details["forecast_note"] = (
            f"The forecast on '{war.issue}' is the expected terms of the wars that end in a negotiated settlement "
            f"({summary['settlement_probability_by_end']:.0%} of them within "
            f"{float(setup.months(setup.max_battles)):g} months); {TERMS_NOTE}."
        )
        details["labels_note"] = LABELS_NOTE
        details["intervals_note"] = SIM_ERROR_NOTE + " The *_interval values are these 95% simulation errors."
        return self.make_result(scenario, {war.issue: st["mean"]}, details=details)

    def _summary(self, setup: WarSetup, paths: WarPaths) -> dict[str, Any]:
        months = setup.months(np.arange(setup.max_battles + 1))
        return summarise(paths, months, setup.side_ids, setup.orient, self.options.horizons, setup.mpb)

    # ------------------------------------------------------------------ parts
    def _record(self, setup: WarSetup, cond: Conditioned) -> dict[str, Any]:
        """What the forecast is conditioned on, and how many draws survived it."""
        h = setup.war.history
        ids = setup.side_ids
        out: dict[str, Any] = {
            "conditioned": setup.conditioned_on_record,
            "effective_sample_size": cond.size,
            "proposed_wars": cond.proposals if setup.conditioned_on_record else cond.size,
            "batches": max(cond.batches, 1),
            "consistent_wars": cond.consistent,
            "consistent_share": cond.consistent / cond.proposals if cond.proposals else 1.0,
            "rejected": dict(cond.rejected),
            "battles_in_record": setup.R,
            "battles_before_as_of": setup.R_past,
        }
        if h is not None and setup.as_of is not None:
            from realpolitik.scenario.war import months_between

            out.update({
                "war_start": h.start.isoformat(),
                "elapsed_months": months_between(h.start, setup.origin),
                "coded_battles": dict(setup.coded),
                "uncoded_battles": setup.R - sum(setup.coded.values()),
                "failed_talks": len(h.talks),
                "talks_with_terms": len(setup.record.talks),
                # ceasefires the other side broke, counted in each side's credibility record
                "broken_ceasefires": {ids[i]: setup.war.broken_ceasefires(i) for i in (0, 1)
                                      if setup.war.sides[i].credibility is not None},
            })  # fmt: skip
        if setup.conditioned_on_record:
            out["note"] = (
                f"{cond.consistent} of {cond.proposals} simulated wars ({out['consistent_share']:.1%}) are consistent "
                f"with the record: no deal and no military end in {setup.R} battles to {setup.origin}"
                + (", every refused offer refused" if setup.record.talks else "")
                + f"; the forecast rests on {cond.size} of them (effective sample size)"
            )
            if cond.size < self.options.wars:
                out["note"] += (
                    f"; fewer than the {self.options.wars} wanted after {cond.proposals} proposals "
                    f"(max_proposals {self.options.max_proposals})"
                )
        else:
            out["note"] = "no record: the forecast starts the war at the origin (a deal may be struck at once)"
        return out

    def _inputs(self, setup: WarSetup, cond: Conditioned, paths: WarPaths) -> dict[str, Any]:
        pA = cond.aA / (cond.aA + cond.bA)
        pB = cond.aB / (cond.aB + cond.bB)
        a0, b0 = setup.prior[0]
        a1, b1 = setup.prior[1]
        ta, tb = setup.true
        win = lambda p, k=setup.k0: float(gamblers_ruin(p, k, setup.N)[0])  # noqa: E731
        k_mean = float(np.mean(cond.k))
        kq = np.quantile(cond.k, [0.05, 0.5, 0.95])
        o = setup.orient
        ids = setup.side_ids
        tl = setup.timeline()
        info: dict[str, Any] = {
            "a_prefers": "top of the scale" if o.a_high else "bottom of the scale",
            "front": {"positions": setup.N, "start": setup.k0, "months_per_battle": setup.mpb},
            "front_at_origin": {"mean": k_mean, "5": float(kq[0]), "50": float(kq[1]), "95": float(kq[2])},
            "max_battles": setup.max_battles,
            "cost_per_battle": {ids[0]: setup.kappa[0], ids[1]: setup.kappa[1]},
            "battle_win_belief_at_start": {ids[0]: a0 / (a0 + b0), ids[1]: a1 / (a1 + b1), "analyst": ta / (ta + tb)},
            "battle_win_belief": {ids[0]: float(pA.mean()), ids[1]: float(pB.mean()),
                                  "analyst": float(cond.p_true.mean())},
            "beta_counts": {ids[0]: [float(cond.aA.mean()), float(cond.bA.mean())],
                            ids[1]: [float(cond.aB.mean()), float(cond.bB.mean())]},
            "war_win_belief": {ids[0]: win(float(pA.mean()), round(k_mean)), ids[1]: win(float(pB.mean()), round(k_mean)),
                               "analyst": win(float(cond.p_true.mean()), round(k_mean))},
            "battles_before_start": [b.name for b in setup.battles if b.phase == "prior"],
            "battles_in_record": [b.name for b in setup.battles if b.phase == "record"],
            "battle_weights": {b.name: float(np.mean(cond.weights[b.index])) for b in setup.battles},
            "war_value_at_origin": {
                ids[0]: float(np.mean(paths.first_ev[:, 0])),
                ids[1]: float(np.mean(paths.first_ev[:, 1])),
            },
            "autonomy": {ids[i]: float(np.mean(cond.autonomy[i])) for i in (0, 1)},
            "credibility": self._credibility(setup, cond, paths),
            "domestic_constituencies": {ids[0]: list(tl.ratifiers[0]), ids[1]: list(tl.ratifiers[1])},
            "domestic_bound_at_as_of": {
                ids[0]: o.to_scale(tl.start[0]).item() if math.isfinite(tl.start[0]) else None,
                ids[1]: o.to_scale(tl.start[1]).item() if math.isfinite(tl.start[1]) else None,
            },
        }  # fmt: skip
        if setup.ceasefire is not None:
            cf = setup.ceasefire
            pt = float(cond.p_true.mean())
            ps = ceasefire_peace_set(win(pt, round(k_mean)), cf.d_A, cf.d_B, cf.delta, cf.p_shift, cf.kappa, cf.x_sq)
            info["ceasefire_peace_set_at_origin"] = {
                "g_A_star": ps.g_A_star,
                "g_B_star": ps.g_B_star,
                "lines": None if ps.interval is None else sorted(o.to_scale(list(ps.interval)).tolist()),
                "judged_with": "the analyst's war-win estimate at the mean front position",
            }
        return info

    @staticmethod
    def _credibility(setup: WarSetup, cond: Conditioned, paths: WarPaths) -> dict[str, Any]:
        """Each side's credibility premium (share of the stake) and how often it is what limits
        that side at the origin: its war value plus the premium above its domestic bound."""
        prem = setup.premiums(cond.u_rho)
        tl = setup.timeline(autonomy=cond.autonomy)
        out: dict[str, Any] = {}
        for i, sid in enumerate(setup.side_ids):
            if setup.war.sides[i].credibility is None:
                continue
            p = np.asarray(prem[i], float)
            col = (tl.lower if i == 0 else tl.upper)[..., setup.R]
            own = paths.first_ev[:, i] + p
            if i == 0:
                binds = own > np.maximum(col, 0.0)
            else:
                binds = 1.0 - own < np.minimum(col, 1.0)
            out[sid] = {
                "premium_mean": float(p.mean()),
                "premium_5_95": [float(np.quantile(p, 0.05)), float(np.quantile(p, 0.95))],
                "binds_at_origin_share": float(np.mean(binds)),
            }
        return out

    def _reputation(self, setup: WarSetup, paths: WarPaths) -> dict[str, Any]:
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
                "interval": wilson(k, n),
            }
        return out

    def _what_ifs(self, setup: WarSetup, cond: Conditioned, base: dict[str, Any]) -> list[dict[str, Any]]:
        """Interventions at the origin: the same consistent draws fight on under changed rules."""
        war = setup.war
        rows: list[tuple[str, str, dict]] = []
        tl = setup.timeline(autonomy=cond.autonomy)
        has_cred = any(s.credibility is not None and s.credibility.breach_loss > 0 for s in war.sides)
        if has_cred:
            rows.append(("credible agreements", "every agreement certain to hold (rho = 1): no credibility premium",
                         {"timeline": tl, "credible": True}))
            rows.append(("twice the broken agreements", "the record of broken agreements counted twice",
                         {"timeline": tl, "broken_factor": 2.0}))
        rows.append(("no domestic constraint", "domestic bounds removed: the leaders decide alone",
                     {"timeline": tl.unconstrained()}))
        if has_cred:
            rows.append(("no domestic constraint, credible agreements",
                         "both: where the domestic bounds do not bind, the credibility premium can",
                         {"timeline": tl.unconstrained(), "credible": True}))
        shift = self.options.pressure_shift
        rows.append(("domestic pressure up",
                     f"every constituency's position {shift:.0%} of the scale further toward its own side",
                     {"timeline": setup.timeline(autonomy=cond.autonomy, pressure_shift=shift)}))
        rows.append(("leaders fully autonomous", "autonomy 1: each leader's own position alone sets its bound",
                     {"timeline": setup.timeline(autonomy=(1.0, 1.0))}))
        if setup.battles:
            rows.append(("without the battle updates", "no battle evidence (e.g. Kursk) in either side's beliefs",
                         {"timeline": tl, "evidence": False}))
            evs = frozenset(b.event for b in setup.battles if b.event)
            if evs:
                rows.append(("without the battle events", f"neither the belief update nor the domestic changes of "
                             f"event(s) {', '.join(sorted(evs))}",
                             {"timeline": setup.timeline(autonomy=cond.autonomy, skip_events=evs), "evidence": False}))
        out = [self._row("baseline", "the scenario as given", base)]
        for name, desc, kw in rows:
            timeline = kw.pop("timeline")
            paths = setup.future(cond, timeline, **kw)
            out.append(self._row(name, desc, self._summary(setup, paths)))
        return out  # fmt: skip

    @staticmethod
    def _credibility_note(d: dict[str, Any]) -> str:
        """Why the credibility rows move little, when they do (the premium does not bind)."""
        cred = (d.get("inputs") or {}).get("credibility") or {}
        parts = [f"{sid}'s credibility premium averages {c['premium_mean']:.1%} of the stake and is what limits it at "
                 f"the origin in {c['binds_at_origin_share']:.0%} of the wars" for sid, c in cred.items()]  # fmt: skip
        if not parts:
            return ""
        return ". " + "; ".join(parts) + " (elsewhere the domestic bound lies above its war value plus the premium)."

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

        Each scenario draw is conditioned on the war's record exactly as a run is: its
        own domestic bounds (from its constituencies' values and its drawn events), and
        ``batch_paths`` simulated wars consistent with the record, proposed in rounds
        (all scenario draws at once) until each has its ``batch_paths``.  A one-draw batch
        of the scenario as given is the run with ``wars = batch_paths`` (the model
        contract test).  The forecast is the mean terms of the settled wars (NaN where
        none settles, and on issues other than the settlement issue).
        """
        rng = np.random.default_rng() if rng is None else rng
        scen = batch.base
        out = np.full((batch.draws, len(scen.issues)), np.nan)
        if scen.war is None:
            return out
        setup = WarSetup(scen, scen.war, self.options.model_copy(update={"what_if": False}), self.options.as_of)
        setup.compiled = True  # numba, the same numbers (a run stays NumPy: no numba import)
        G, per = batch.draws, self.options.batch_paths
        sched = batch.events  # None: the point schedule, as in a run

        # each scenario draw's leaders and domestic pressure, once (its simulated wars take its row)
        inputs = dict(position=batch.position, salience=batch.salience, capability=batch.capability,
                      schedule=sched)  # fmt: skip
        record = setup.pressures(record_only=True, **inputs) if setup.conditioned_on_record else None

        def build(key, owner):
            prop = setup.proposals(key, owner.size, sched, None if sched is None else owner)
            tl = None if record is None else record.timeline(prop.autonomy, rows=owner)
            return prop, tl

        # a scenario draw whose record is very unlikely gets at most 100 x batch_paths proposals
        cond = setup.condition(
            int(rng.integers(0, 2**63 - 1)), target=per, groups=G, build=build, strict=False,
            max_proposals=min(self.options.max_proposals, 100 * per),
        )  # fmt: skip
        if cond.size == 0:
            return out
        paths = setup.future(cond, setup.pressures(**inputs).timeline(cond.autonomy, rows=cond.group))
        settled = paths.outcome == SETTLED
        cnt = np.bincount(cond.group, weights=settled, minlength=G)
        tot = np.bincount(cond.group, weights=np.where(settled, paths.terms, 0.0), minlength=G)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(cnt > 0, tot / np.maximum(cnt, 1), np.nan)
        out[:, scen.issue_ids.index(scen.war.issue)] = setup.orient.to_scale(mean)
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
                f"{d['settlement_probability'][key]:.1%} ± {(hi - lo) / 2:.1%}",
                f"{d['war_continues_probability'][key]:.1%}",
                f"{d['victory_probability_by_horizon'][ids[0]][key]:.1%}",
                f"{d['victory_probability_by_horizon'][ids[1]][key]:.1%}",
            ])  # fmt: skip
        rec = d.get("record") or {}
        origin = d.get("origin")
        cond = (
            f"conditioned on the record to {origin}: {d['wars']} simulated wars consistent with it "
            f"(effective sample size; {rec.get('consistent_share', 1.0):.1%} of those proposed)"
            if rec.get("conditioned") else f"{d['wars']} simulated wars, no record"
        )  # fmt: skip
        tables.append(Table(
            f"War bargaining: how the war ends, months from {origin or 'the start'} ({cond})",
            ["months", "negotiated settlement by then", "war continues", f"{ids[0]} military victory",
             f"{ids[1]} military victory"],
            rows,
            note=f"{SIM_ERROR_NOTE} Settlement test with subjective war values, credibility premium and domestic "
                 "bounds: a derived reduced form for realpolitik [D], not a published model. " + LABELS_NOTE,
            summary=True,
        ))  # fmt: skip
        hz = (d.get("hazards") or {}).get("periods") or []
        if hz:
            tables.append(Table(
                "War bargaining: hazard of a negotiated settlement - P(settlement in the period | no deal and no "
                "military end before it)",
                ["months", "wars at risk", "settlement hazard (± simulation error)", "per month (equivalent)",
                 "military end hazard", "P(settlement) by the period's end"],
                [[f"{r['to_month']:g}" if i == 0 else f"{r['from_month']:g}-{r['to_month']:g}", r["at_risk"],
                  f"{r['settlement_hazard']:.1%} ± "
                  f"{(r['settlement_hazard_interval'][1] - r['settlement_hazard_interval'][0]) / 2:.1%}",
                  f"{r['monthly_equivalent']:.1%}", f"{r['military_end_hazard']:.1%}", f"{r['cumulative_settlement']:.1%}"]
                 for i, r in enumerate(hz) if r["at_risk"]],
                note=f"A deal can be struck only between battles ({hz[0].get('to_month', 0):g} = the origin, then "
                     f"every {d['hazards']['months_per_period']:g} months); the monthly equivalent spreads a period's "
                     "hazard evenly over its months. "
                     + ("The origin row is 0: the record says there is no deal there." if rec.get("conditioned") else
                        "Without a record the origin is the war's start: a deal there is possible."),
                summary=True,
            ))  # fmt: skip
        if rec.get("conditioned"):
            coded = rec.get("coded_battles") or {}
            tables.append(Table(
                "War bargaining: the record the forecast is conditioned on",
                ["war began", "months to origin", "battles", "coded (won by)", "failed talks", "broken ceasefires",
                 "consistent draws", "effective sample size"],
                [[rec.get("war_start", "-"), f"{rec.get('elapsed_months', 0):.1f}", rec["battles_in_record"],
                  ", ".join(f"{k} {v}" for k, v in coded.items()) + f", uncoded {rec.get('uncoded_battles', 0)}",
                  rec.get("failed_talks", 0), ", ".join(f"{k} counts {v}" for k, v in
                                                        (rec.get("broken_ceasefires") or {}).items()) or "-",
                  f"{rec['consistent_wars']} of {rec['proposed_wars']}", rec["effective_sample_size"]]],
                note=rec.get("note", "") + "; rejected draws: " + ", ".join(
                    f"{k} {v}" for k, v in (rec.get("rejected") or {}).items() if v) + ".",
            ))  # fmt: skip
        st = d["settlement_terms"]
        iss = scenario.issue(d["issue"])
        if st.get("settled_wars", 0):
            q = st["quantiles"]
            p = iss.nearest_point(st["mean"])
            tables.append(Table(
                f"War bargaining: expected terms of a negotiated settlement - only for the wars that end in one "
                f"({st['settled_wars']} of {d['wars']} wars, {d['settlement_probability_by_end']:.0%}, within "
                f"{d['settlement_by_month']['months'][-1]:g} months), on '{iss.label or iss.id}' ({iss.min:g}-{iss.max:g})",
                ["expected terms if a deal is reached", "± simulation error of the mean", "5-95% of settlements",
                 "nearest labelled point", "expected duration (months)"],
                [[f"{st['mean']:.1f}", f"± {(st['mean_interval'][1] - st['mean_interval'][0]) / 2:.1f}",
                  f"{q['5']:.1f}-{q['95']:.1f}", f"{p.value:g}: {p.label}" if p else "-",
                  f"{d['expected_duration_months']:.1f}"]],
                note=f"The {TERMS_NOTE}. Terms: Nash bargaining with war as the disagreement point, clipped to the "
                     f"domestic bounds [D]; {ids[0]}'s bounds (domestic, ceasefire line) set the terms in "
                     f"{st['clipped_share'][ids[0]]:.0%} of settlements, {ids[1]}'s in {st['clipped_share'][ids[1]]:.0%}. "
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
                note="; ".join(f"{w['name']}: {w['description']}" for w in d["what_if"][1:])
                     + self._credibility_note(d),
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

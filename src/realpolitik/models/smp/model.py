"""The registered ``smp`` model: scenario in, Result out (KTAB's scales, parameters, display)."""

from __future__ import annotations

from typing import Any

import numpy as np

from realpolitik.errors import OptionError, Problem, ScenarioError
from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.models.smp import params
from realpolitik.models.smp.driver import final_state, run_smp
from realpolitik.models.smp.params import (
    KTAB_DEFAULTS,
    MIN_DELTA_RATIO,
    MIN_ITER,
    MIN_SIG_DELTA,
    POS_TOL,
    _ALIASES,
    Params,
    SMPOptions,
)
from realpolitik.scenario.events import POSITION, SALIENCE, EventSchedule, event_schedule
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.nested import one_level_capability


def _scenario_arrays(scenario: Scenario, how: str = "mean"):
    """KTAB-scale arrays of a scenario: positions on [0, 1], saliences with sum <= 1."""
    a = scenario.arrays()
    span = a.scale_max - a.scale_min
    pos = (a.position - a.scale_min) / span
    problems = []
    fill = np.where(np.isnan(a.status_quo), 0.5, (a.status_quo - a.scale_min) / span)
    pos = np.where(a.active, pos, fill[None, :])
    sal = np.where(a.active, a.salience, 0.0)
    for r, aid in enumerate(a.actors):
        if not np.any(sal[r] > 0):
            problems.append(Problem(f"actors.{aid}", "SMP needs a positive salience on at least one issue"))
    if problems:
        raise ScenarioError(problems)
    cap = one_level_capability(scenario)  # nested actors: a sub-actor's capability is a share of its parent's
    cap1 = np.where(np.all(cap == cap[:, :1], axis=1), cap[:, 0], cap.mean(axis=1))
    return pos, sal, cap1


def smp_events(sched: EventSchedule, entries: np.ndarray, scale_min: np.ndarray, span: np.ndarray):
    """The schedule's changes per turn on KTAB's scales: ``(field, actor, issue, value [D],
    applies [D])`` with positions on [0, 1], saliences as raw fractions, and a capability
    (per actor: KTAB's capability is one number, so an issue's capability sets it)."""
    out: dict[int, list[tuple]] = {}
    for k in entries:
        f, i, j = int(sched.field[k]), int(sched.actor[k]), int(sched.issue[k])
        v = sched.value[:, k]
        if f == POSITION:
            ch = ("position", i, j, (v - scale_min[j]) / span[j])
        elif f == SALIENCE:
            ch = ("salience", i, j, v)
        else:
            ch = ("capability", i, -1, v)
        out.setdefault(int(sched.round[k]), []).append(ch + (sched.applies(k),))
    return out


def _chunk_events(events: dict[int, list[tuple]], lo: int, hi: int) -> dict[int, list[tuple]]:
    return {t: [(f, i, j, v[lo:hi], h[lo:hi]) for f, i, j, v, h in chs] for t, chs in events.items()}


#: how many of the last states are searched for a cycle when a run stops at ``max_iter``
CYCLE_WINDOW = 12


def stop_reason(positions: np.ndarray, max_iter: int) -> dict[str, Any]:
    """Why a run of states ``[T, n, m]`` (on [0, 1]) ended: KTAB's stopping rule (``converged``)
    or the last turn ``max_iter``; then whether its last state repeats an earlier one (a cycle
    of that length: the run oscillates and ``max_iter`` picked where it stopped)."""
    T = positions.shape[0]
    steps = np.sqrt(((positions[1:] - positions[:-1]) ** 2).sum(-1)).sum(-1)  # smpStopFn's step per turn
    met = T - 1 >= MIN_ITER and steps[-1] / (steps[0] + MIN_SIG_DELTA) < MIN_DELTA_RATIO
    if T - 1 < max_iter or met:
        return {"reason": "converged", "turns": T - 1}
    last = positions[-1]
    cycle = None
    for k in range(1, min(CYCLE_WINDOW, T - 1) + 1):
        if np.sqrt(((positions[-1 - k] - last) ** 2).sum(-1)).max() < POS_TOL:
            cycle = k
            break
    how = (f"the positions repeat every {cycle} turns: the run oscillates, and where it stops depends on max_iter"
           if cycle and cycle > 1 else "the run had not settled by then")  # fmt: skip
    return {"reason": "max_iter", "turns": T - 1, "cycle": cycle,
            "message": f"SMP stopped at max_iter={max_iter} without meeting KTAB's stopping rule; {how} "
                       "(the most probable outcome is one of the states it cycles through; -o max_iter=N moves the stop)"}  # fmt: skip


@register
class SMP(Model):
    """KTAB's spatial model of politics (SMP), default parameters as in ``smpc``.

    Issues are the dimensions of one policy space (scaled to [0, 1]); saliences weight
    the dimensions and their total scales an actor's clout (``S c``).  Each turn every
    actor challenges its most profitable target, the pair's bargain is interpolated, and
    every actor adopts the bargain (or keeps its position) that wins a probabilistic
    Condorcet election over the resulting states.  The forecast per issue is the position
    with the highest winning probability in the final state.

    Options use KTAB's names (:class:`SMPOptions`); a KTAB XML scenario's
    ``<ModelParameters>`` and ``<IdealAdjustment>`` are the defaults.

    References
    ----------
    [KTAB] KTAB (KAPSARC Toolkit for Behavioral Analysis), ``examples/smp/libsrc/smp.cpp``,
    ``smpbcn.cpp`` and ``KTAB/kmodel/libsrc/kmodel.cpp`` (MIT licence), the
    ``smpc`` program whose outputs the golden tests compare against.
    KTAB's SMP documentation (``examples/smp/doc``) and ``KTAB/kmodel/doc/markov-incentives.tex``
    (utility ``(1-d)(1+dR)``, risk from the PCE, the turn, the MarkovIncentive PCE).
    [Efird2016] Efird, B., Lester, S., & Wise, B. (2016). *J. East Asian Studies* 16, 117-145.
    """

    name = "smp"
    label = "Spatial model of politics (KTAB SMP)"
    Options = SMPOptions
    vectorised = True
    stochastic = True
    # KTAB's actor set is fixed: actors neither enter nor leave
    event_fields = frozenset({"capability", "position", "salience"})

    # ------------------------------------------------------------ parameters
    def params(self, scenario: Scenario | None = None) -> Params:
        """Resolved parameters: explicit option > scenario's KTAB parameters > KTAB default."""
        o = self.options
        ext = ((scenario.extensions or {}).get("ktab") or {}) if scenario is not None else {}
        given = ext.get("parameters") or {}
        out: dict[str, Any] = {}
        problems = []
        for key, default in KTAB_DEFAULTS.items():
            v = getattr(o, key)
            if v is None:
                v = _ALIASES.get(str(given.get(key, default)), given.get(key, default))
                allowed = SMPOptions.model_fields[key].annotation.__args__[0].__args__
                if v not in allowed:
                    problems.append(
                        Problem(f"extensions.ktab.parameters.{key}", f"{v!r} is not one of {', '.join(allowed)}")
                    )
                    continue
            out[key] = v
        if problems:
            raise OptionError(problems)
        return Params(**out, max_iter=o.max_iter)

    def accommodation(self, scenario: Scenario) -> np.ndarray | None:
        ext = (scenario.extensions or {}).get("ktab") or {}
        A = ext.get("ideal_adjustment")
        if A is None or not self.options.use_ideal_adjustment:
            return None
        A = np.asarray(A, dtype=float)
        n = len(scenario.actors)
        if A.shape != (n, n):
            raise ScenarioError(
                f"ideal_adjustment is {A.shape[0]}x{A.shape[1] if A.ndim > 1 else 0}, expected {n}x{n}",
                "extensions.ktab.ideal_adjustment",
            )
        return A

    # ------------------------------------------------------------ protocol
    def default_seed(self, scenario: Scenario) -> int | None:
        """The seed of a single run given none: the ``seed`` option, else a KTAB XML scenario's
        ``prngSeed`` (as in ``smpc``).  The run's own seed always wins (:mod:`realpolitik.seeds`)."""
        if self.options.seed is not None:
            return self.options.seed
        xml_seed = ((scenario.extensions or {}).get("ktab") or {}).get("prng_seed")
        return None if xml_seed is None else int(xml_seed)

    def draws_random_numbers(self, scenario: Scenario | None = None) -> bool:
        """True with stochastic transitions (an option, or the scenario's KTAB parameters)."""
        if scenario is None:
            return self.options.state_transitions == "Stochastic"
        return self.params(scenario).state_transitions == "Stochastic"

    def _run(self, scenario: Scenario, rng):
        prm = self.params(scenario)
        ids = scenario.actor_ids
        pos, sal, cap = _scenario_arrays(scenario)
        A = self.accommodation(scenario)
        sched = event_schedule(scenario)
        a = scenario.arrays()
        events = smp_events(sched, sched.select(self.event_fields), a.scale_min, a.scale_max - a.scale_min)
        how = self.options.salience_normalisation
        out = run_smp(pos[None], sal[None], cap[None], prm, A, rng, events=events,
                      salience_normalisation=how)
        lo, span = a.scale_min, a.scale_max - a.scale_min
        T = int(out.states[0])
        hist = out.positions[0, :T] * span + lo  # [T, n, m]
        probs = out.probabilities[0, :T]
        final_p = probs[-1]
        best = int(np.argmax(final_p))
        forecast = dict(zip(scenario.issue_ids, hist[-1, best].tolist()))
        issues = scenario.issue_ids
        bargains = []
        for t, rec in enumerate(out.turns[: T - 1], start=1):
            rows = []
            for i in range(len(scenario.actors)):
                j = int(rec.target[0, i])
                if j < 0:
                    continue
                rows.append(
                    {
                        "initiator": ids[i],
                        "receiver": ids[j],
                        "prob_initiator_wins": float(rec.phi[0, i]),
                        "expected_gain": float(rec.gain[0, i]),
                        "initiator_position": (rec.bargain_init[0, i] * span + lo).tolist(),
                        "receiver_position": (rec.bargain_rcvr[0, i] * span + lo).tolist(),
                    }
                )
            chosen = {
                ids[k]: (
                    None if rec.choice_init[0, k] < 0 else ids[int(rec.choice_init[0, k])]
                )
                for k in range(len(scenario.actors))
            }
            bargains.append({"turn": t, "bargains": rows, "adopted_from": chosen})
        history = {
            "positions": hist.tolist(),
            "median": {},
            "mean": {iid: hist[:, :, c].mean(axis=1).tolist() for c, iid in enumerate(issues)},
        }
        stop = stop_reason(out.positions[0, :T], prm.max_iter)
        details = {
            "parameters": prm.as_dict(),
            "states": T,
            "turns": T - 1,
            "stop": stop,
            "winning_probabilities": probs.tolist(),
            "most_probable": {
                "actor": ids[best],
                "probability": float(final_p[best]),
                "position": forecast,
                # actors whose final position KTAB counts as the same (within posTol on [0, 1])
                "shared_by": [
                    ids[k]
                    for k in np.flatnonzero(
                        np.sqrt(((out.positions[0, T - 1] - out.positions[0, T - 1, best]) ** 2).sum(-1)) < POS_TOL
                    )
                ],
            },
            "risk_attitudes": out.risk[0, :T].tolist(),
            "effective_power": dict(zip(ids, out.effective_power[0].tolist())),
            "bargains": bargains,
            "salience_normalisation": (
                how if out.salience_scaled[0] else "none (every actor's saliences sum to at most 100)"
            ),
            "events_applied": [{"before_turn": t, "changes": n} for t, ch in sorted(events.items())
                               if t < T and (n := sum(bool(c[-1][0]) for c in ch))],
            "events_skipped": self.events_skipped(sched, last_round=T - 1),
            "ideal_adjustment": A is not None,
        }
        if stop["reason"] == "max_iter":
            details["warnings"] = [stop["message"]]
        return self.make_result(scenario, forecast, history=history, details=details,
                                options={**self.get_options(), **prm.as_dict()})

    def forecast_batch(self, batch: ScenarioBatch, rng=None) -> np.ndarray:
        """Most probable final position per issue for every draw ``[draw, issue]``."""
        scen = batch.base
        prm = self.params(scen)
        a = scen.arrays()
        lo, span = a.scale_min, a.scale_max - a.scale_min
        pos = (batch.position - lo) / span
        fill = np.where(np.isnan(a.status_quo), 0.5, (a.status_quo - lo) / span)
        pos = np.where(a.active[None], pos, fill[None, None, :])
        sal = np.where(a.active[None], batch.salience, 0.0)
        sched = batch.schedule()
        events = smp_events(sched, sched.select(self.event_fields), lo, span)
        cap = one_level_capability(scen, batch.capability, batch.position)
        cap1 = np.where(np.all(cap == cap[..., :1], axis=-1), cap[..., 0], cap.mean(axis=-1))
        A = self.accommodation(scen)
        gen = rng if rng is not None else np.random.default_rng()
        # stochastic transitions: every draw's uniforms drawn first, draw by draw, so that
        # the memory chunks below never change a draw's path
        U = gen.random((batch.draws, prm.max_iter, len(scen.actors))) if prm.state_transitions == "Stochastic" else None
        out = np.empty((batch.draws, len(scen.issues)))
        B = batch.draws
        n = len(scen.actors)
        chunk = max(1, int(params.RUN_ELEMENTS // max(1, n**3)))
        for s in range(0, B, chunk):
            e = min(B, s + chunk)
            fin_pos, fin_p, _ = final_state(pos[s:e], sal[s:e], cap1[s:e], prm, A, gen if U is None else U[s:e],
                                            events=_chunk_events(events, s, e),
                                            salience_normalisation=self.options.salience_normalisation)
            best = np.argmax(fin_p, axis=-1)
            out[s:e] = fin_pos[np.arange(e - s), best] * span + lo
        return out

    def describe(self, result, scenario) -> list[Table]:
        d = result.details
        pos = result.history.get("positions") or []
        if not pos:
            return []
        final = pos[-1]
        probs = (d.get("winning_probabilities") or [[]])[-1]
        rows = []
        for k, aid in enumerate(result.actors):
            rows.append([aid] + [f"{x:.2f}" for x in final[k]] + [f"{probs[k]:.4f}" if k < len(probs) else ""])
        mp = d.get("most_probable") or {}
        stop = d.get("stop") or {}
        tables = [
            Table(
                f"SMP final positions after {d.get('turns')} turns ({d.get('states')} states)",
                ["actor"] + list(result.issues) + ["P(win)"],
                rows,
                note="P(win): probability that the actor's final position wins (KTAB pDist); actors on one position share it.",
            ),
            Table(
                "SMP most probable outcome",
                ["issue", "position", "probability"],
                [[iid, f"{v:.2f}", f"{mp.get('probability', float('nan')):.4f}"] for iid, v in (mp.get("position") or {}).items()],
                note=f"position of {', '.join(mp.get('shared_by') or [mp.get('actor', '')])}; turns: {d.get('turns')}"
                + (f". Warning: {stop['message']}" if stop.get("reason") == "max_iter" else ""),
                summary=stop.get("reason") == "max_iter",
            ),
        ]
        return tables

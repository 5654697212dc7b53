"""The SMP driver: the turns of a batch of runs, scenario events, and KTAB's stop rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from realpolitik.models.smp import params
from realpolitik.models.smp.params import MIN_DELTA_RATIO, MIN_ITER, MIN_SIG_DELTA, Params
from realpolitik.models.smp.state import (
    StateSetup,
    TurnRecord,
    compiled_turn,
    compiled_turn_applies,
    new_ideals,
    reported_probabilities,
    setup_state,
    turn,
    turn_step,
)


@dataclass
class SMPRun:
    """A batch of SMP runs (arrays on KTAB's [0, 1] scale; ``T[b]`` states per run)."""

    positions: np.ndarray  # [B, T, n, m] (padded with the final state after a run stops)
    probabilities: np.ndarray  # [B, T, n]
    risk: np.ndarray  # [B, T, n]
    states: np.ndarray  # [B] number of states (turns + 1)
    turns: list[TurnRecord]
    effective_power: np.ndarray  # [B, n]
    salience_scaled: np.ndarray | None = None  # [B] saliences were normalised (sums above 1)


def run_smp(
    pos0,
    sal,
    cap,
    prm: Params,
    accom: np.ndarray | None = None,
    rng=None,
    report: bool | str = True,
    events: dict[int, list[tuple]] | None = None,
    salience_normalisation: str | None = None,
) -> SMPRun:
    """Run the SMP on a batch: ``pos0``/``sal`` ``[B, n, m]`` on [0, 1], ``cap`` ``[B, n]``.

    ``rng``: the generator of stochastic transitions, or their uniforms ``[B, turn, actor]``
    drawn beforehand (draw by draw, so that how a batch is cut never changes a draw's path;
    from a generator, one run draws them turn by turn in the same order).
    ``events`` maps a turn t to value changes ``(field, actor, issue, value [B], applies [B])``
    on KTAB's scales (``field``: "position" on [0, 1], "salience" as a raw fraction before
    normalisation, "capability"; see :func:`realpolitik.models.smp.model.smp_events`), applied
    to the state that turn t starts from (t = 0: to the input state).  With ``salience_normalisation`` ("mean" / "per-actor")
    ``sal`` holds raw saliences, normalised here (also after salience events) by
    :func:`normalise_saliences`; without it ``sal`` is used as given.

    ``report``: the reported winning probabilities of every state (True), of none (False,
    zeros), or of the final state only (``"final"``: what a forecast needs).  Unless it is
    True each turn works on the runs still going only (a run that has stopped costs nothing
    more) and the risk attitudes (and with ``"final"`` the probabilities) of the states
    before a run's final one are NaN; every position, and the final state's figures, equal
    those of ``True``.  A forecast needs the final state only: :func:`final_state`.
    """
    pos, ideal, raw, cap, events, over, accom = _prepare(pos0, sal, cap, events, salience_normalisation, accom)
    B, n, m = pos.shape
    if report is not True:
        fin, hist, turns = _live_turns(pos, ideal, raw, cap, prm, accom, rng, events, salience_normalisation,
                                       over, record=True)
        pos, ideal, sal, cap, states = fin
        st = setup_state(ideal, pos, sal, cap, prm)
        T = len(hist)
        P = np.stack(hist, 1)
        # the final state's figures from state states[b] - 1 on (a stopped run's padding repeats it)
        final = np.arange(T)[None, :, None] >= (states - 1)[:, None, None]
        Rk = np.where(final, st.R[:, None, :], np.nan)
        if report:
            Pr = np.where(final, reported_probabilities(pos, ideal, sal, cap, st, prm)[:, None, :], np.nan)
        else:
            Pr = np.zeros((B, T, n))
        return SMPRun(P, Pr, Rk, states, turns, sal.sum(-1) * cap, _scaled(over, B))
    uniforms = rng if isinstance(rng, np.ndarray) else None
    sal = _norm(raw, salience_normalisation, over)
    sal_tot = sal.sum(-1)
    W = sal_tot * cap
    hist = [pos.copy()]
    probs, risks, turns = [], [], []
    done = np.zeros(B, bool)
    states = np.ones(B, int)
    d01 = np.zeros(B)
    for it in range(1, prm.max_iter + 1):
        act = ~done
        live = np.flatnonzero(act)
        st = setup_state(ideal, pos, sal, cap, prm)
        risks.append(st.R)
        probs.append(reported_probabilities(pos, ideal, sal, cap, st, prm))
        if it in events:
            # the recorded state it-1 stays as computed; the turn starts from the changed one
            pos, ideal, raw, cap = _apply(events[it], pos, ideal, raw, cap, act)
            sal = _norm(raw, salience_normalisation, over)
            sal_tot = sal.sum(-1)
            W = sal_tot * cap
            st = setup_state(ideal, pos, sal, cap, prm)
        draw = rng if uniforms is None else uniforms[:, it - 1]
        if act.all():
            new, rec = turn(pos, ideal, sal, cap, sal_tot, W, st, prm, draw)
        else:
            # the runs still going only (each run's arithmetic does not depend on the others)
            sub = StateSetup(st.D[live], st.R[live], st.r[live])
            new = pos.copy()
            new_a, rec = turn(pos[live], ideal[live], sal[live], cap[live], sal_tot[live], W[live], sub, prm,
                              draw if uniforms is None else draw[live])
            new[live] = new_a
            rec = _expand(rec, live, B)
        turns.append(rec)
        ideal = np.where(act[:, None, None], new_ideals(ideal, new, accom), ideal)
        step = turn_step(new, pos)
        if it == 1:
            d01 = step
        pos = np.where(act[:, None, None], new, pos)
        hist.append(pos.copy())
        states = np.where(act, it + 1, states)
        done = done | _stops(it, step, d01, prm)
        if done.all():
            break
    st = setup_state(ideal, pos, sal, cap, prm)
    risks.append(st.R)
    probs.append(reported_probabilities(pos, ideal, sal, cap, st, prm))
    # (a stopped run's positions are frozen, so its later entries already repeat its final state)
    return SMPRun(np.stack(hist, 1), np.stack(probs, 1), np.stack(risks, 1), states, turns, W, _scaled(over, B))


def final_state(
    pos0,
    sal,
    cap,
    prm: Params,
    accom: np.ndarray | None = None,
    rng=None,
    events: dict[int, list[tuple]] | None = None,
    salience_normalisation: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The final state of every run of a batch, what a forecast needs: ``(positions [B, n, m],
    reported winning probabilities [B, n], states [B])``, those of :func:`run_smp` (any
    ``report``) bit for bit, without the history: each turn works on the runs still going,
    kept together in compact arrays, and a large batch runs its compiled steps to the end
    (the last runs too).  Arguments as :func:`run_smp`'s.
    """
    pos, ideal, raw, cap, events, over, accom = _prepare(pos0, sal, cap, events, salience_normalisation, accom)
    fin, _, _ = _live_turns(pos, ideal, raw, cap, prm, accom, rng, events, salience_normalisation, over,
                            record=False)
    pos, ideal, sal, cap, states = fin
    st = setup_state(ideal, pos, sal, cap, prm)
    return pos, reported_probabilities(pos, ideal, sal, cap, st, prm), states


def _prepare(pos0, sal, cap, events, salience_normalisation, accom):
    """The input state as float arrays (events of turn 0 applied), the salience
    normalisation's one decision per run (``over`` [B, 1, 1], or None) and the accommodation
    matrix (None for the identity: ideals follow positions)."""
    pos = np.array(pos0, dtype=float)
    cap = np.array(cap, dtype=float)
    raw = np.array(sal, dtype=float)
    events = events or {}
    B = pos.shape[0]
    over = None
    if salience_normalisation is not None:
        # one decision for the whole run (the input and every salience event), no switching
        probe = raw.copy()
        tot_over = np.any(probe.sum(-1) > 1.0, axis=-1)
        for t in sorted(events):
            for fld, i, j, v, h in events[t]:
                if fld == "salience":
                    probe[:, i, j] = np.where(h, v, probe[:, i, j])
                    tot_over |= np.any(probe.sum(-1) > 1.0, axis=-1)
        over = tot_over[:, None, None]
    ideal = pos.copy()
    if 0 in events:
        pos, ideal, raw, cap = _apply(events[0], pos, ideal, raw, cap, np.ones(B, bool))
        ideal = pos.copy()
    if accom is not None and np.allclose(accom, np.eye(pos.shape[1]), rtol=0, atol=1e-10):
        accom = None
    return pos, ideal, raw, cap, events, over, accom


def _norm(raw, how, over):
    return raw if how is None else normalise_saliences(raw, how, over)


def _scaled(over, B):
    return np.zeros(B, bool) if over is None else np.broadcast_to(over[:, 0, 0], (B,)).copy()


def _apply(changes, pos, ideal, raw, cap, act):
    """Value changes ``(field, actor, issue, value [B], applies [B])`` applied to the runs
    ``act`` (a mask over the batch's rows)."""
    pos, ideal, raw, cap = pos.copy(), ideal.copy(), raw.copy(), cap.copy()
    for fld, i, j, v, h in changes:
        m = act & h
        if fld == "position":
            pos[m, i, j] = v[m]
            ideal[m, i, j] = v[m]  # the actor's stance itself moved
        elif fld == "salience":
            raw[m, i, j] = v[m]
        elif fld == "capability":
            cap[m, i] = v[m]
    return pos, ideal, raw, cap


def _stops(it, step, d01, prm):
    """``smpStopFn``: the runs that stop after turn ``it`` (``step``: the turn's change)."""
    return (it >= prm.max_iter) | ((it >= MIN_ITER) & (step / (d01 + MIN_SIG_DELTA) < MIN_DELTA_RATIO))


def _live_turns(pos, ideal, raw, cap, prm, accom, rng, events, how, over, record):
    """The turns of the runs still going, in compact arrays (rows ``live`` of the batch): a
    run's arrays leave them when it stops.  Returns the final ``(pos, ideal, sal, cap,
    states)`` of every run and, with ``record``, the history (``[B, n, m]`` per state, a
    stopped run's repeating its final state) and the :class:`TurnRecord` of every turn."""
    B, n, _ = pos.shape
    fast = params.compiled(B, n)  # one choice for the whole run: the same numbers either way
    whole = fast and not record and compiled_turn_applies(prm)  # a turn in three compiled calls
    stochastic = prm.state_transitions != "Deterministic"
    uniforms = rng if isinstance(rng, np.ndarray) else None
    out_pos, out_ideal, out_raw, out_cap = pos.copy(), ideal.copy(), raw.copy(), cap.copy()
    live = np.arange(B)
    ov = over
    sal = _norm(raw, how, ov)
    sal_tot = sal.sum(-1)
    W = sal_tot * cap
    states = np.ones(B, int)
    d01 = np.zeros(B)
    hist = [pos.copy()] if record else None
    turns = [] if record else None
    for it in range(1, prm.max_iter + 1):
        if it in events:
            sub = [(f, i, j, v[live], h[live]) for f, i, j, v, h in events[it]]
            pos, ideal, raw, cap = _apply(sub, pos, ideal, raw, cap, np.ones(live.size, bool))
            sal = _norm(raw, how, ov)
            sal_tot = sal.sum(-1)
            W = sal_tot * cap
        draw = rng if uniforms is None else uniforms[live, it - 1]
        if whole:
            u = None if not stochastic else draw if uniforms is not None else rng.random((live.size, n))
            new, step = compiled_turn(pos, ideal, sal, cap, sal_tot, W, prm, u)
        else:
            st = setup_state(ideal, pos, sal, cap, prm, fast)
            new, rec = turn(pos, ideal, sal, cap, sal_tot, W, st, prm, draw, fast)
            step = turn_step(new, pos)
        ideal = new_ideals(ideal, new, accom)
        if it == 1:
            d01 = step
        pos = new
        states[live] = it + 1
        stop = _stops(it, step, d01, prm)
        if record:
            turns.append(rec if live.size == B else _expand(rec, live, B))
            out_pos[live] = pos
            hist.append(out_pos.copy())
        if stop.any():
            gone = live[stop]
            out_pos[gone], out_ideal[gone], out_raw[gone], out_cap[gone] = pos[stop], ideal[stop], raw[stop], cap[stop]
            if stop.all():
                break
            keep = ~stop
            live = live[keep]
            pos, ideal, raw, cap, sal, sal_tot, W, d01 = (
                x[keep] for x in (pos, ideal, raw, cap, sal, sal_tot, W, d01)
            )
            ov = None if ov is None else ov[keep]
    return (out_pos, out_ideal, _norm(out_raw, how, over), out_cap, states), hist, turns


def _expand(rec: TurnRecord, live: np.ndarray, B: int) -> TurnRecord:
    def ex(x, fill):
        out = np.full((B,) + x.shape[1:], fill, dtype=x.dtype)
        out[live] = x
        return out

    return TurnRecord(
        target=ex(rec.target, -1),
        phi=ex(rec.phi, np.nan),
        gain=ex(rec.gain, 0.0),
        bargain_init=ex(rec.bargain_init, np.nan),
        bargain_rcvr=ex(rec.bargain_rcvr, np.nan),
        choice_init=ex(rec.choice_init, -1),
        choice_prob=ex(rec.choice_prob, np.nan),
    )


def normalise_saliences(sal: np.ndarray, how: str = "mean", over: np.ndarray | None = None) -> np.ndarray:
    """Saliences ``[..., actor, issue]`` (fractions) made to sum to at most 1 per actor.

    KTAB's saliences are shares of an actor's attention (sum <= 1, and KTAB's reader
    refuses more); ours are per-issue importances on 0-100 that may sum to more.  Nothing
    changes unless some actor's total exceeds 1 (so KTAB data is used as is).  Then
    ``how="mean"`` divides every actor's saliences by the number of issues (the total
    becomes the actor's mean salience: relative engagement across actors is kept), and
    ``how="per-actor"`` scales only the actors above 1 down to a total of 1.
    """
    tot = sal.sum(-1, keepdims=True)
    if over is None:  # ``over`` lets a run with events decide once for all its states
        over = np.any(tot > 1.0, axis=(-2, -1), keepdims=True)
    if how == "mean":
        return np.where(over, sal / sal.shape[-1], sal)
    if how == "per-actor":
        return np.where(tot > 1.0, sal / np.where(tot > 0, tot, 1.0), sal)
    raise ValueError(f"unknown salience normalisation {how!r}")

"""Bueno de Mesquita's expected-utility ("challenge") model, as Scholz et al. (2011) rebuilt it.

Each round every actor ``i`` weighs, against every other actor ``j``, the expected
utility of challenging ``j`` (``a = E^i(U_ij)``) and of being challenged by ``j``
(``b = E^i(U_ji)``), eq. (25a/b).  The pair falls into a region of Fig. 6
(confrontation, compromise, capitulation, stalemate); ``i`` picks one of the
offers it receives (section 6.2) and all moves are applied at once.  Risk
exponents come from security levels in a first pass with ``r = 1`` (eqs. 32-34,
33).  The forecast is the weighted median (the Condorcet winner, eqs. 26-29)
after the last round; where the median has not settled (it still moves by more
than 5 % of the scale over the last 4 rounds) the forecast is the median of those
rounds, flagged unsettled (:mod:`realpolitik.models.stability`).

The module has two layers:

* :func:`eu_round` - one round, vectorised over a leading batch (draw) axis and
  over actors (``[draw, n, n]`` arrays).  No Python loop over actors or dyads.
  The win probabilities of all ``n^2`` dyads, with the all-pairs denominator,
  cost O(n^2 log n) per draw: prefix sums over voters sorted by position
  (:func:`win_probability`, :func:`_numerator_sorted`).
* :func:`run_rounds` - the rounds, with scenario events applied at their round,
  the optional stopping rule, and the move log.

:class:`ExpectedUtility` is the registered model (``expected-utility``).  Every
ambiguity of the paper is an option (see :class:`ExpectedUtilityOptions` and
``docs/expected-utility.md``); the preset ``scholz2011`` (the default)
reproduces the reference implementation that reproduces Table 2 of the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from realpolitik.models.stability import settle, stability_details
from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.scenario.events import CAPABILITY, ENTER, LEAVE, POSITION, SALIENCE, EventSchedule, event_schedule
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.nested import one_level_capability

# ----------------------------------------------------------------- options

PRESETS: dict[str, dict[str, Any]] = {
    # The reference implementation (jmckib/bdm-scholz-expected-utility-model), which
    # reproduces Scholz et al. (2011) Table 2 ("faithful to Scholz' original code").
    "scholz2011": {
        "probability_mode": "all-pairs",
        "vote_risk": "voter-r",
        "security": "adversary",
        "perspective_r": "evaluator",
        "resist_salience": "target",
        "offer_rule": "weighted-position",
        "tie_break": "input-order",
        "capitulation": False,
        "conflict_moves": True,
        "range": "fixed",
        "Q": 1.0,
        "T": "closer-to-median",
        "rounds": 10,
    },
    # The model as the paper's equations and prose state it.
    "paper": {
        "probability_mode": "paper",
        "vote_risk": "one",
        "security": "adversary",
        "perspective_r": "evaluator",
        "resist_salience": "target",
        "offer_rule": "least-move",
        "tie_break": "lowest-position",
        "capitulation": True,
        "conflict_moves": True,
        "range": "fixed",
        "Q": 1.0,
        "T": "closer-to-median",
        "rounds": 10,
    },
}
DEFAULT_PRESET = "scholz2011"
_D = PRESETS[DEFAULT_PRESET]  # field defaults (listed by `realpolitik models`)


class ExpectedUtilityOptions(BaseModel):
    """Options of the expected-utility model; a ``preset`` fills those not given.

    String values may use ``-`` or ``_`` (``all_pairs`` = ``all-pairs``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: Literal["scholz2011", "paper"] = Field(
        DEFAULT_PRESET, description="defaults for every other option: scholz2011 (reference code) or paper"
    )
    probability_mode: Literal["paper", "all-pairs"] = Field(
        _D["probability_mode"],
        description="P of eq. (31) in that contest (paper) or over all ordered pairs of actors (all-pairs)"
    )
    vote_risk: Literal["one", "voter-r"] = Field(
        _D["vote_risk"],
        description="votes in P use r = 1 (one) or each voter's current risk exponent (voter-r)"
    )
    security: Literal["adversary", "own-row"] = Field(
        _D["security"],
        description="security of i: sum_j E(U_ji) (adversary, eq. 34) or sum_j E(U_ij) (own-row, BDM 1997)"
    )
    perspective_r: Literal["evaluator", "own"] = Field(
        _D["perspective_r"],
        description="risk exponent inside E^p(U_uv): the evaluator's r_p or the challenger's r_u"
    )
    resist_salience: Literal["target", "printed-25b"] = Field(
        _D["resist_salience"],
        description="resist weight s in eq. (25): the target's salience, or s_j as (25b) prints it"
    )
    offer_rule: Literal["least-move", "weighted-position"] = Field(
        _D["offer_rule"],
        description="compromise chosen by least movement or by minimum EU-weighted position (reference code)"
    )
    tie_break: Literal["input-order", "lowest-position"] = Field(
        _D["tie_break"],
        description="among exactly tied offers: the proposer first in input order (reference code) "
        "or the lowest offer position, then input order"
    )
    capitulation: bool = Field(
        _D["capitulation"],
        description="Fig. 6 capitulation: i moves fully to j when b > 0 > a and |a| >= b",
    )
    conflict_moves: bool = Field(
        _D["conflict_moves"],
        description="in a confrontation the lower-EU side moves fully to the other",
    )
    range: Literal["fixed", "per-round", "scale"] = Field(
        _D["range"],
        description="R = x_max - x_min of actors' positions at the start (fixed), each round, or the issue scale"
    )
    Q: float = Field(_D["Q"], ge=0.0, le=1.0, description="probability of the status quo in eq. (25)")
    T: Literal["closer-to-median", 0, 1] = Field(
        _D["T"],
        description="better (1) / worse (0) switch of eq. (25); closer-to-median: 1 iff |x_i-mu| < |x_i-x_j|"
    )
    rounds: int = Field(_D["rounds"], ge=0, le=100_000, description="number of rounds")
    tolerance: float | None = Field(
        None, ge=0.0, description="stop when the median moves less than this for k rounds in a row (none: fixed rounds)"
    )
    k: int = Field(3, ge=1, description="rounds in a row for the stopping rule")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {k: (v.replace("_", "-") if isinstance(v, str) and k != "T" else v) for k, v in data.items()}
        if isinstance(data.get("T"), str):
            data["T"] = data["T"].replace("_", "-")
        preset = data.get("preset", DEFAULT_PRESET)
        defaults = PRESETS.get(preset)
        if defaults is None:
            return data  # the Literal check reports the bad preset
        return {**defaults, **data, "preset": preset}


# ----------------------------------------------------------------- core

KIND_NONE, KIND_CONFRONTATION, KIND_COMPROMISE, KIND_CAPITULATION = 0, 1, 2, 3
KIND_NAMES = {KIND_NONE: "none", KIND_CONFRONTATION: "confrontation", KIND_COMPROMISE: "compromise",
              KIND_CAPITULATION: "capitulation"}

#: elements of the largest O(n^3) temporary (direct vote sums, small-n midpoint counts)
CHUNK_ELEMENTS = 4_000_000
#: elements of one [draw, actor, actor] array per chunk of draws in the batch core: 25,600
#: (200 kB, 256 draws of ten actors) keeps the round's temporaries on the allocator's heap;
#: at 2^17 (1 MB) each round's arrays came back as fresh pages from the kernel (0.24 million
#: page faults and a fifth of the CPU time in the kernel for 6,000 default draws)
BATCH_ELEMENTS = 25_600
#: rounds of at least this many dyads over the batch (draws x n^2; 32 draws of 10 actors)
#: run the round's gathers, counts and sums compiled
#: (:mod:`realpolitik.models.expected_utility_batch`: the same numbers bit for bit)
KERNEL_ELEMENTS = 3200


#: run the compiled round in one call (:mod:`realpolitik.models.expected_utility_fused`) where
#: NumPy's own loops could be loaded and checked; False: the staged path (kernels between NumPy calls)
FUSED = True


def _fused(B: int, n: int):
    """The one-call compiled round for ``B`` draws of ``n`` actors, or None (NumPy's loops not
    available, or a round whose close pairs ``_stable_numerators`` would chunk)."""
    if not FUSED or B * n**3 > CHUNK_ELEMENTS:
        return None
    from realpolitik.models import expected_utility_fused

    return expected_utility_fused if expected_utility_fused.AVAILABLE else None


#: run the rounds between events compiled too (:func:`realpolitik.models.expected_utility_fused.run_segment`;
#: False: one compiled call per round)
FUSED_ROUNDS = True
#: draws per block inside the compiled rounds (a draw's rounds do not depend on the others'):
#: each round of a block pays a fixed ~8 us (its kernels' calls and arrays) besides ~3.4 us a
#: draw, so 128 draws (0.06 us a draw) rather than 32 (0.25 us); at 256 the round's arrays
#: outgrow the caches (default scenario, same run: 32 / 64 / 128 draws 5,635 / 5,842 / 5,887
#: draws per CPU second)
FUSED_BLOCK = 128


def _segment(x, c, s, idx, B: int):
    """The compiled rounds (:mod:`realpolitik.models.expected_utility_fused`) for the actors
    ``idx`` of a chunk of ``B`` draws, or None (the Python loop): where the round itself would
    run fused and each round's median and mean compiled (see :func:`run_rounds`' ``stats``)."""
    n = idx.size
    if not FUSED_ROUNDS or n < 2 or _kernels(B, n) is None:
        return None
    fused = _fused(B, n)
    if fused is None:
        return None
    xs, ws = x[:, idx], c[:, idx] * s[:, idx]
    return fused if xs.flags.c_contiguous == ws.flags.c_contiguous else None


def _stats_seq(x, c, s, idx) -> bool:
    """``seq`` of :func:`realpolitik.models.expected_utility_batch.median_mean` as ``stats`` gives it."""
    return not x[:, idx].flags.c_contiguous


def _kernels(B: int, n: int):
    """The compiled kernels for a round of ``B`` draws and ``n`` actors, or None (small work,
    single runs of ordinary scenarios: numba's import would cost more than it saves)."""
    if B * n * n < KERNEL_ELEMENTS:
        return None
    from realpolitik.models import expected_utility_batch

    return expected_utility_batch


def condorcet_position(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The median voter position: the Condorcet winner among actors' positions.

    With votes ``v^{jk} = sum_i w_i (|x_i - x_k| - |x_i - x_j|)`` (eqs. 28-29, r = 1)
    the position that wins every pairwise contest minimises
    ``sum_i w_i |x_i - x_j|`` over the actors' positions ``x_j``.  Ties (an exact
    even split) go to the lowest position.  When every weight is zero, every actor
    counts 1.  ``x``, ``w``: ``[B, n]``; returns ``[B]``.
    """
    if x.shape[-1] == 0:
        return np.full(x.shape[:-1], np.nan)
    w = np.where(w.sum(axis=-1, keepdims=True) > 0, w, 1.0)
    cost = np.einsum("bi,bij->bj", w, np.abs(x[:, :, None] - x[:, None, :]))
    best = cost.min(axis=-1, keepdims=True)
    tol = 1e-12 * np.maximum(np.abs(best), 1e-300) + 1e-15 * np.abs(w).sum(axis=-1, keepdims=True)
    return np.where(cost <= best + tol, x, np.inf).min(axis=-1)


def weighted_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``sum c s x / sum c s`` (plain mean when every weight is zero); ``[B, n] -> [B]``."""
    if x.shape[-1] == 0:
        return np.full(x.shape[:-1], np.nan)
    tot = w.sum(axis=-1)
    plain = x.mean(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = (w * x).sum(axis=-1) / tot
    return np.where(tot > 0, m, plain)


def _vote_sums(d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``A[b, u, v] = sum_k w_k |d[b,k,v] - d[b,k,u]|`` (symmetric, zero diagonal).

    Computed over the ``n(n-1)/2`` unordered pairs, in chunks of at most
    :data:`CHUNK_ELEMENTS` temporaries, as a batched matrix product.
    """
    B, n, _ = d.shape
    A = np.zeros((B, n, n))
    if n < 2:
        return A
    iu, iv = np.triu_indices(n, 1)
    npairs = iu.size
    step = max(1, CHUNK_ELEMENTS // max(1, B * n))
    wk = w[:, None, :]  # [B, 1, n]
    for lo in range(0, npairs, step):
        hi = min(npairs, lo + step)
        diff = d[:, :, iv[lo:hi]] - d[:, :, iu[lo:hi]]  # [B, k, p]
        np.abs(diff, out=diff)
        vals = np.matmul(wk, diff)[:, 0, :]  # [B, p]
        A[:, iu[lo:hi], iv[lo:hi]] = vals
        A[:, iv[lo:hi], iu[lo:hi]] = vals
    return A


def closer_counts(x: np.ndarray) -> np.ndarray:
    """``m[b, u, v] = #{k : x_k <= (x_u + x_v) / 2}``: voters at or left of each midpoint.

    A voter left of the midpoint of ``x_u < x_v`` is closer to ``x_u``.  The counts
    depend on positions only, so one call serves both passes of a round.  Small
    ``n``: a direct comparison (chunked over draws); larger ``n``: one stable
    argsort that merges the sorted positions with the ``n^2`` midpoints,
    O(n^2 log n) per draw.
    """
    B, n = x.shape
    h = 0.5 * (x[:, :, None] + x[:, None, :])
    if n <= 32:
        out = np.empty((B, n, n), dtype=np.intp)
        step = max(1, CHUNK_ELEMENTS // max(1, n**3))
        for lo in range(0, B, step):
            hi = min(B, lo + step)
            le = (x[lo:hi, None, None, :] <= h[lo:hi, :, :, None]).view(np.uint8)
            out[lo:hi] = le @ np.ones(n, dtype=np.uint8)  # n <= 32: no overflow
        return out
    xs = np.sort(x, axis=1)
    merged = np.concatenate([xs, h.reshape(B, n * n)], axis=1)
    order = np.argsort(merged, axis=1, kind="stable")  # voters first on ties: counted as <= h
    cnt = np.cumsum(order < n, axis=1)
    res = np.empty_like(cnt)
    np.put_along_axis(res, order, cnt, axis=1)
    return res[:, n:].reshape(B, n, n)


def _numerator_sorted(x: np.ndarray, G: np.ndarray, m: np.ndarray, presorted: bool = False) -> np.ndarray:
    """``N[b, u, v] = sum_k max(0, G[b,k,v] - G[b,k,u])`` in O(n^2 log n).

    ``G[b, k, a] = w_k g_k(|x_k - x_a|)`` with every ``g_k`` increasing in distance,
    so ``G_kv - G_ku > 0`` exactly for the voters closer to ``x_u`` than to ``x_v``:
    those on ``x_u``'s side of the midpoint.  With voters sorted by position and
    ``C[j, a]`` the sum of ``G[k, a]`` over the first ``j`` of them, the sum over that
    side is a difference of two prefix sums (``m`` from :func:`closer_counts`).
    Voters exactly at the midpoint contribute 0 either way.  ``presorted``: ``x`` is
    already in ascending order along the actor axis (as inside :func:`eu_round`).
    """
    B, n = x.shape
    if presorted:
        Gs = G
    else:
        order = np.argsort(x, axis=1, kind="stable")
        Gs = np.take_along_axis(G, order[:, :, None], axis=1)
    # sequential prefix sums (np.cumsum), not a BLAS product: the summation order is
    # fixed, so results do not depend on the BLAS build or thread count
    C = np.empty((B, n + 1, n))
    C[:, 0] = 0.0
    np.cumsum(Gs, axis=1, out=C[:, 1:])
    S = C[:, n]
    # Cv[b, u, v] = C[b, m[b,u,v], v]; as m is symmetric, C[b, m[b,u,v], u] = Cv[b, v, u]
    Cv = np.take_along_axis(C, m, axis=1)
    left = Cv - np.swapaxes(Cv, 1, 2)
    # x_u < x_v: voters left of the midpoint; x_u > x_v: those right of it; x_u = x_v: 0
    # (equal positions give identical columns of G, so both branches are exactly 0 there)
    upper = _upper(n) if presorted else x[:, :, None] < x[:, None, :]
    N = np.where(upper, left, (S[:, None, :] - S[:, :, None]) - left)
    return np.maximum(N, 0.0, out=N)



@lru_cache(maxsize=32)
def _upper(n: int) -> np.ndarray:
    """``U[u, v] = u < v``: with positions sorted, the pairs with ``x_u <= x_v``."""
    return np.triu(np.ones((n, n), dtype=bool), 1)


#: pairs closer than this fraction of R get their numerators from the stable direct sum
CLOSE_PAIR = 2.0**-20
#: float64 unit roundoff
EPS = np.finfo(float).eps / 2
#: margin of the per-operation rounding bounds (a generous multiple of the worst case)
KAPPA = 16.0
#: positions closer than this fraction of R count as one (a few ulps: see :func:`_snap`)
SNAP = 2.0**-50


def _stable_numerators(x, dist, w, r_vote, pb, pu, pv, kern=None):
    """``sum_k max(0, v_k(x_u, x_v))`` for the listed pairs, without cancellation.

    For a voter outside the interval of ``x_u`` and ``x_v`` the distance difference
    ``|x_k - x_v| - |x_k - x_u|`` is exactly ``+-(x_v - x_u)``, so it is taken from the
    pair's own distance instead of subtracting two nearly equal distances; with risk
    exponents, ``d_v^r - d_u^r = d_u^r expm1(r log1p((d_v - d_u)/d_u))``.  Each term is
    then accurate to a few ulps, so the sum is accurate relative to itself.  Vectorised
    over pairs and voters (``[pairs, n]`` temporaries, chunked); with ``kern`` (the compiled
    round) the gathers and the sums run compiled around NumPy's transcendental functions.
    """
    n = x.shape[1]
    if kern is not None and pb.size * n <= CHUNK_ELEMENTS:  # the same numbers, fewer NumPy calls
        t, du, dv = kern.close_terms(x, dist, pb, pu, pv)
        if r_vote is not None:
            rk = r_vote[pb]
            with np.errstate(divide="ignore", invalid="ignore"):
                grow = du**rk * np.expm1(rk * np.log1p(t / np.where(du > 0, du, 1.0)))
            t = np.where(du > 0, grow, dv**rk)
        return kern.close_sums(t, w, pb)
    out = np.empty(pb.size)
    step = max(1, CHUNK_ELEMENTS // max(1, n))
    ar = np.arange(n)[None, :]
    for lo in range(0, pb.size, step):
        b, u, v = pb[lo:lo + step, None], pu[lo:lo + step, None], pv[lo:lo + step, None]
        xk, xu, xv = x[b[:, 0]], x[b, u], x[b, v]
        duv = dist[b, u, v] * np.sign(xv - xu)  # (x_v - x_u) / R
        du, dv = dist[b, ar, u], dist[b, ar, v]
        t = np.where(xk <= np.minimum(xu, xv), duv, np.where(xk >= np.maximum(xu, xv), -duv, dv - du))
        if r_vote is None:
            term = t
        else:
            rk = r_vote[b[:, 0]]
            with np.errstate(divide="ignore", invalid="ignore"):
                grow = du**rk * np.expm1(rk * np.log1p(t / np.where(du > 0, du, 1.0)))
            term = np.where(du > 0, grow, dv**rk)
        out[lo:lo + step] = (w[b[:, 0]] * np.maximum(term, 0.0)).sum(axis=1)
    return out


def win_probability(
    x: np.ndarray,
    dist: np.ndarray,
    w: np.ndarray,
    r_vote: np.ndarray | None,
    mode: str,
    counts: np.ndarray | None = None,
    method: str = "sorted",
    presorted: bool = False,
    error: bool = False,
    close: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    kernels=None,
):
    """``P[b, u, v]``: the probability that ``x_u`` prevails over ``x_v`` (eq. 31).

    Voter ``k`` votes ``v_k(a, b) = w_k [(|x_k - x_b|/R)^{r_k} - (|x_k - x_a|/R)^{r_k}]``
    (``w = c s``; ``r_k = 1`` when ``r_vote`` is None).  The numerator is
    ``sum_k max(0, v_k(x_u, x_v))``.  ``mode="paper"``: the denominator is
    ``sum_k |v_k(x_u, x_v)|`` (so ``P_uv + P_vu = 1``; 1/2 when no voter cares).
    ``mode="all-pairs"``: the denominator is ``sum_k sum_a sum_b |v_k(x_a, x_b)|``
    over all ordered pairs of actors, computed per voter from its sorted
    distances in O(n log n): ``sum_a sum_b |d_a - d_b| = 2 sum_m (2m - n + 1) d_(m)``.
    ``P = 0`` where ``x_u = x_v`` or the denominator is 0.

    ``method="sorted"`` (default) computes the numerators in O(n^2 log n) per draw
    (:func:`_numerator_sorted`); ``method="direct"`` sums over voters for every
    pair, O(n^3) (kept to cross-check the sorted method).  Prefix sums lose
    accuracy where ``x_u`` and ``x_v`` nearly coincide (the numerator is then a
    difference of nearly equal sums), so pairs closer than :data:`CLOSE_PAIR`
    times R (``close``: their indices, if known) are recomputed by
    :func:`_stable_numerators`.  ``error=True`` also
    returns a bound on the rounding error of each ``P`` (``(P, err)``).  ``kernels``: the
    compiled steps of :mod:`realpolitik.models.expected_utility_batch` (same numbers).
    """
    B, n, _ = dist.shape
    d = dist if r_vote is None else dist ** r_vote[:, :, None]  # d[b, k, a]
    G = w[:, :, None] * d
    compiled = kernels is not None and presorted and method != "direct"
    if compiled:  # numerators, column totals and their bounds in one pass (the same numbers)
        m = kernels.closer_counts(x) if counts is None else counts
        N, eN, S = kernels.numerator_sorted(G, m, 2.0 * (n + 2) * EPS)
    else:
        S = G.sum(axis=1)  # column totals: the size of every prefix sum
        if method == "direct":
            A = _vote_sums(d, w)
            N = 0.5 * (A + S[:, None, :] - S[:, :, None])
            np.maximum(N, 0.0, out=N)
        else:
            N = _numerator_sorted(x, G, closer_counts(x) if counts is None else counts, presorted)
        # rounding bound of the prefix-sum numerators: a few sums of at most n terms each
        eN = (2.0 * (n + 2) * EPS) * (S[:, :, None] + S[:, None, :])
    pb, pu, pv = np.nonzero((dist > 0.0) & (dist <= CLOSE_PAIR)) if close is None else close
    if pb.size:
        Ns = _stable_numerators(x, dist, w, r_vote, pb, pu, pv)
        N[pb, pu, pv] = Ns
        eN[pb, pu, pv] = (KAPPA * (n + 2) * EPS) * Ns
    if mode == "all-pairs":
        Gs = np.sort(G, axis=-1)
        coef = 2.0 * np.arange(n) - n + 1.0
        D = 2.0 * (Gs @ coef).sum(axis=-1)
        # N = 0 where x_u = x_v (identical columns of G), so P = 0 there
        Dsafe = np.where(D > 0, D, np.inf)[:, None, None]
        if not error:
            return N / Dsafe
        P = None if compiled else N / Dsafe
        eD = (2.0 * (n + 2) * EPS) * 2.0 * (Gs @ np.abs(coef)).sum(axis=-1)[:, None, None]
        if compiled:
            return kernels.all_pairs_probability(N, eN, Dsafe[:, 0, 0], eD[:, 0, 0])
        return P, (eN + P * eD) / Dsafe
    A = N + np.swapaxes(N, 1, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        Asafe = np.where(A > 0, A, 1.0)
        P = np.where(A > 0, N / Asafe, 0.5)
        P = np.where(dist == 0.0, 0.0, P)
        if not error:
            return P
        eP = np.where(A > 0, (eN + P * (eN + np.swapaxes(eN, 1, 2))) / Asafe, 0.0)
    return P, np.where(dist == 0.0, 0.0, eP)


def _base_utility(base: np.ndarray, r: np.ndarray | None) -> np.ndarray:
    """``2 - 4 base^r`` (eqs. 15, 16, 22-24); ``base`` is clipped at 0; ``r=None`` means 1."""
    base = np.maximum(base, 0.0)
    return 2.0 - 4.0 * (base if r is None else base**r)


def _success_terms(dist: np.ndarray, r: np.ndarray | None, comp: np.ndarray | None = None):
    """``(U_s - U_sq, U_s - U_f, U_sq)`` of eqs. (15), (16), (24), free of cancellation.

    ``U_s - U_sq = 4 (0.5)^r (1 - (1 - d)^r)`` and ``U_s - U_f = 4 (0.5)^r ((1 + d)^r - (1 - d)^r)``
    are computed with ``expm1``/``log1p``, so both stay accurate to a few ulps relative
    to themselves when ``d = |x_u - x_v|/R`` is tiny (plain ``U_s - U_sq`` would be a
    difference of two numbers near ``2 - 4 (0.5)^r``).  ``comp``: ``1 - d`` accurate
    relative to itself (:func:`_distance_complement`), used where ``d >= 1/2``: for a
    pair spanning nearly the whole range, ``1 - d`` rounded from ``d`` is off by about
    ``EPS``, and ``(1 - d)^r`` with ``r < 1`` turns that into an error of ``EPS^r``
    (1e-8 at ``r = 1/2``), far above the rounding bound of the terms.
    """
    d = np.minimum(dist, 1.0)
    if r is None:  # r = 1: U_s = 2d, U_f = -2d, U_sq = 0
        return 2.0 * d, 4.0 * d, 0.0
    h = 4.0 * 0.5**r
    with np.errstate(divide="ignore"):
        lm = np.log1p(-d)  # -inf at d = 1, where (1 - d)^r = 0
        if comp is not None:
            lm = np.where(d < 0.5, lm, np.log(np.maximum(comp, 0.0)))
    em = np.expm1(r * lm)  # (1 - d)^r - 1, once for both terms
    g = -h * em
    dU = h * (np.expm1(r * np.log1p(d)) - em)
    return g, dU, 2.0 - h


def expected_utilities(
    x: np.ndarray,
    s: np.ndarray,
    dist: np.ndarray,
    P: np.ndarray,
    r: np.ndarray | None,
    mu: np.ndarray,
    R: np.ndarray,
    opt: ExpectedUtilityOptions,
    want: tuple[bool, bool] = (True, True),
    errors: tuple[np.ndarray, np.ndarray] | None = None,
    kernels=None,
    comp: np.ndarray | None = None,
):
    """``a[b,i,j] = E^i(U_ij)`` and ``b[b,i,j] = E^i(U_ji)``, eq. (25a/b).

    ``E^p(U_uv) = s (P_uv U_s + (1-P_uv) U_f) + (1-s) U_s - Q U_sq - (1-Q)(T U_b + (1-T) U_w)``
    with ``U_s = 2 - 4(0.5 - 0.5|x_u - x_v|/R)^r`` (15), ``U_f = 2 - 4(0.5 + 0.5|x_u - x_v|/R)^r``
    (16), ``U_sq = 2 - 4 (0.5)^r`` (24), ``U_b``/``U_w`` from (22)/(23) with
    ``(|x_u - mu| + |x_u - x_v|)/R``.  ``s`` is the target's salience (the challenger
    ``j``'s own in ``b`` under ``resist_salience="printed-25b"``); ``r`` is the
    evaluator ``i``'s exponent (the challenger's own under ``perspective_r="own"``);
    ``r=None`` means every ``r = 1`` (the first pass).  ``want`` selects which of
    ``a`` and ``b`` to compute (the other is returned as None).

    It is evaluated as ``(U_s - U_sq) + (1-Q) U_sq - s (1-P)(U_s - U_f) - (1-Q)(T-term)``
    with the two differences from :func:`_success_terms`, so that ``a`` and ``b`` keep
    their relative accuracy for nearly coinciding positions.  ``errors=(eP, er)``
    (bounds on the rounding errors of ``P`` and of the risk exponents, ``[B, n, n]`` and
    ``[B, n]``) makes it return ``(a, b, err_a, err_b)``: bounds on the rounding errors.
    ``kernels``: with errors and ``Q = 1``, the arithmetic after the success terms runs
    compiled (:mod:`realpolitik.models.expected_utility_batch`, the same numbers).
    ``comp``: ``1 - dist`` accurate relative to itself (:func:`_distance_complement`);
    without it ``1 - dist`` is rounded from ``dist``.
    """
    Q = opt.Q
    if Q < 1.0:
        dmu = np.abs(x - mu[:, None]) / R[:, None]  # |x_u - mu| / R
        cmu = None
        if comp is not None:  # mu is an actor's position: 1 - dmu from that actor's column
            kmu = np.argmax(x == mu[:, None], axis=1)
            cmu = comp[np.arange(x.shape[0])[:, None], np.arange(x.shape[1])[None, :], kmu[:, None]]
    cache: dict[int, tuple] = {}

    def terms(rr):
        key = id(rr)
        if key not in cache:
            cache[key] = _success_terms(dist, rr, comp)
        return cache[key]

    def one(Pm, ePm, sres, rr, err_r, dm, cm, transpose=False):
        g, dU, Usq = terms(rr)
        if kernels is not None and Q == 1.0 and ePm is not None:  # compiled, the same numbers
            fac = KAPPA * EPS if err_r is None else KAPPA * EPS + 4.0 * err_r
            fac = np.broadcast_to(np.asarray(fac, dtype=float), dist.shape)
            g, dU = (np.broadcast_to(v, dist.shape) for v in (g, dU))
            # P read as [j, i] for b; the resist weight is the row's salience when sres is [B, n, 1]
            return kernels.expected_utility_terms(P, eP, g, dU, s, fac, transpose, sres.shape[2] == 1)
        lose = 1.0 - Pm
        lose *= sres
        lose *= dU
        out = g - lose
        if ePm is not None:
            size = lose
            size += g  # lose is not needed any more
        if Q != 1.0 and rr is not None:
            out += (1.0 - Q) * Usq  # U_sq = 0 when r = 1
            if ePm is not None:
                size += (1.0 - Q) * np.abs(Usq)
        if Q < 1.0:
            dsum = dm + dist
            near = 0.5 - 0.25 * dsum
            if cm is not None:  # 0.5 - dsum/4 = ((1 - dm) + (1 - d))/4: no cancellation near 0
                near = np.where(dsum >= 1.0, 0.25 * (cm + comp), near)
            Ub = _base_utility(near, rr)
            Uw = _base_utility(0.5 + 0.25 * dsum, rr)
            T = (dm < dist).astype(float) if opt.T == "closer-to-median" else float(opt.T)
            tt = (1.0 - Q) * (T * Ub + (1.0 - T) * Uw)
            out -= tt
            if ePm is not None:
                size += np.abs(tt)
        if ePm is None:
            return out, None
        # rounding of every term, the error of P, and the sensitivity to r (|d/dr| <= 4 |term|)
        size *= KAPPA * EPS if err_r is None else KAPPA * EPS + 4.0 * err_r
        e = ePm * dU
        e *= sres
        size += e
        return out, size

    ri = None if r is None else r[:, :, None]  # evaluator i (rows)
    rb = ri if (r is None or opt.perspective_r == "evaluator") else r[:, None, :]  # challenger j in b
    eP, er = errors if errors is not None else (None, None)
    eri = None if er is None else er[:, :, None]
    erb = eri if (er is None or opt.perspective_r == "evaluator") else er[:, None, :]
    sj = s[:, None, :]
    a = ea = b = eb = None
    if want[0]:
        a, ea = one(P, eP, sj, ri, eri, dmu[:, :, None] if Q < 1.0 else None,
                    cmu[:, :, None] if (Q < 1.0 and cmu is not None) else None)
    if want[1]:
        si = sj if opt.resist_salience == "printed-25b" else s[:, :, None]
        b, eb = one(np.swapaxes(P, 1, 2), None if eP is None else np.swapaxes(eP, 1, 2), si, rb, erb,
                    dmu[:, None, :] if Q < 1.0 else None,
                    cmu[:, None, :] if (Q < 1.0 and cmu is not None) else None, transpose=True)
    if errors is not None:
        return a, b, ea, eb
    return a, b


def _risk_exponents(sec: np.ndarray, err_sec: np.ndarray | None = None):
    """Eqs. (34) and (33): ``R_i = (2 Sec_i - max - min)/(max - min)``, ``r_i = (1 - R_i/3)/(1 + R_i/3)``.

    When every security level is equal (``max = min``) ``R_i = 0`` and ``r_i = 1``.
    ``err_sec`` (bounds on the rounding errors of ``sec``) makes it return ``(r, err_r)``.
    """
    hi = sec.max(axis=-1, keepdims=True)
    lo = sec.min(axis=-1, keepdims=True)
    spread = hi - lo
    ok = spread > 1e-12 * np.maximum(1.0, np.maximum(np.abs(hi), np.abs(lo)))
    div = np.where(ok, spread, 1.0)
    Rk = np.where(ok, (2.0 * sec - hi - lo) / div, 0.0)
    r = (1.0 - Rk / 3.0) / (1.0 + Rk / 3.0)
    if err_sec is None:
        return r
    e = err_sec.max(axis=-1, keepdims=True)
    # |dr/dR| <= 1.5 on [-1, 1]
    err_r = np.where(ok, 1.5 * (2.0 * err_sec + 2.0 * e + 2.0 * e * np.abs(Rk)) / div + 8 * EPS, 0.0)
    return r, err_r


def _snap(x: np.ndarray, moved: np.ndarray, keep: np.ndarray, tol: np.ndarray) -> None:
    """Positions closer than ``tol`` count as one: a compromise mover (``moved``) within
    ``tol`` of other actors takes the lowest of their positions, preferring actors that
    did not compromise (whose positions are exact copies).  Rounding can split positions
    that are equal in exact arithmetic by an ulp, and with risk exponents below 1 the
    votes ``d^r`` turn such a split into differences of ``ulp^r`` (1e-8).  ``keep``:
    movers left alone (one ulp short of their own target).  In place, ``[B, n]``.
    """
    mb, mi = np.nonzero(moved & ~keep)
    if mb.size == 0:
        return
    xr = x[mb]  # [movers, n]: every actor's position in the mover's draw
    own = x[mb, mi]
    near = np.abs(xr - own[:, None]) <= tol[mb, None]
    near[np.arange(mb.size), mi] = False
    hit = near.any(axis=-1)
    if not hit.any():
        return
    exact = near & ~moved[mb]
    to_exact = np.where(exact, xr, np.inf).min(axis=-1)
    to_movers = np.minimum(np.where(near, xr, np.inf).min(axis=-1), own)
    new = np.where(np.isfinite(to_exact), to_exact, to_movers)
    x[mb[hit], mi[hit]] = new[hit]


def _classify(a: np.ndarray, b: np.ndarray, opt: ExpectedUtilityOptions) -> np.ndarray:
    """The region of Fig. 6 as a priority: 1 confrontation, 2 compromise, 3 capitulation, 4 none."""
    k = np.full(a.shape, 4, dtype=np.int8)
    if opt.capitulation:
        k[(b > 0) & (a < 0) & (-a >= b)] = 3
    k[(b > 0) & (a < 0) & (b > -a)] = 2
    if opt.conflict_moves:
        k[(b > a) & (a > 0)] = 1
    return k


def _exact_gap(xj: np.ndarray, xi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``|x_j - x_i|`` exactly, as ``hi + lo`` (Knuth's TwoSum); compare ``(hi, lo)`` lexicographically."""
    d = xj - xi
    bv = d - xj
    lo = (xj - (d - bv)) + (-xi - bv)
    sign = np.where(d < 0, -1.0, 1.0)
    return np.abs(d), sign * lo


def _distance_complement(x: np.ndarray, dist: np.ndarray, R: np.ndarray, R_lo: np.ndarray) -> np.ndarray:
    """``1 - |x_u - x_v| / R`` accurate relative to itself, ``[B, n, n]`` (``x`` ``[B, n]``).

    The range is ``R + R_lo`` exactly (``R_lo``: the rounding error of ``x_max - x_min``,
    see :func:`run_rounds`).  Where ``d = dist >= 1/2`` the gap ``|x_u - x_v|`` is taken
    exactly (:func:`_exact_gap`) and subtracted from the range in two parts (the high parts
    cancel exactly, Sterbenz), so a pair an ulp short of the full range gets ``1 - d`` of an
    ulp, not 0; elsewhere ``1 - d`` has no cancellation.
    """
    hi, lo = _exact_gap(x[:, None, :], x[:, :, None])
    Rb, Rl = R[:, None, None], R_lo[:, None, None]
    far = (Rb - hi) + (Rl - lo)
    return np.where(dist >= 0.5, far / Rb, 1.0 - dist)


def _choose(cands: np.ndarray, offer: np.ndarray, orig: np.ndarray, tie_break: str) -> np.ndarray:
    """Per row, among the exactly tied candidates ``cands``: the tie rule (see ``tie_break``)."""
    big = np.iinfo(np.intp).max
    if tie_break == "lowest-position":
        o = np.where(cands, offer, np.inf)
        cands = cands & (o == o.min(axis=-1, keepdims=True))
    return np.argmin(np.where(cands, orig, big), axis=-1)


@dataclass
class RoundResult:
    """One round for a batch: ``[B, n]`` arrays (``target`` -1 where no move).

    ``undetermined`` marks the actors whose choice depends on differences below the
    float64 rounding bounds (they do not move in this round).
    """

    x: np.ndarray
    target: np.ndarray
    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray
    r: np.ndarray
    median: np.ndarray | None  # before the round (computed only when Q < 1)
    undetermined: np.ndarray | None = None
    #: [B]: a compromise landed within rounding of its target (the next state is inexact)
    unrepresentable: np.ndarray | None = None
    #: with ``full=True``: ``E^i(U_ij)`` and ``E^i(U_ji)`` of every dyad ``[B, n, n]`` (input order)
    eu_challenge: np.ndarray | None = None
    eu_challenged: np.ndarray | None = None


def eu_round(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, R: np.ndarray, opt: ExpectedUtilityOptions, full: bool = False,
    R_lo: np.ndarray | None = None,
) -> RoundResult:
    """One round of the model for a batch of draws (Appendix steps 2-11).

    Parameters
    ----------
    x, c, s : ndarray ``[B, n]``
        Positions, capabilities and saliences (fractions) of the ``n`` actors
        taking part, for ``B`` independent draws.
    R : ndarray ``[B]``
        The range ``x_max - x_min`` used to normalise distances (positive).
    R_lo : ndarray ``[B]``, optional
        The rounding error of ``R`` (the range is ``R + R_lo`` exactly; default 0: ``R``
        is exact), for the complements ``1 - d`` of nearly full-range distances.
    opt : ExpectedUtilityOptions
    full : bool
        Also return every dyad's two expected utilities (the actors' perceptions).

    Returns
    -------
    RoundResult
        New positions (moves applied simultaneously), for each actor the actor it
        moved toward, the region (``KIND_*``), the two expected utilities
        ``a = E^i(U_ij)`` and ``b = E^i(U_ji)`` of the chosen dyad, the risk
        exponents, (when ``Q < 1``, where the T-term needs it) the median before
        the round, and the actors whose choice float64 cannot determine.

    Every quantity a choice depends on carries a bound on its rounding error
    (``EPS``-based, see :func:`win_probability` and :func:`expected_utilities`).  A
    choice is *undetermined* when the region of an offer or the order of two offers
    could change within those bounds; such an actor stays where it is, and
    :func:`run_rounds` marks the round and every later one.  Exact ties (offers equal in
    exact arithmetic: identical proposers, or equal distances, compared exactly) are
    not undetermined: ``opt.tie_break`` decides them.
    """
    B, n = x.shape
    kern = _kernels(B, n)
    if kern is not None and opt.Q == 1.0 and not full:
        return _eu_round_compiled(x, c, s, R, opt, R_lo, kern)
    # work in ascending order of position (voters sorted for the prefix sums);
    # ``order[b, k]`` is the input index of sorted actor k; ties keep input order
    order = np.argsort(x, axis=1, kind="stable")
    x = np.take_along_axis(x, order, axis=1)
    c = np.take_along_axis(c, order, axis=1)
    s = np.take_along_axis(s, order, axis=1)
    w = c * s
    mu = condorcet_position(x, w) if opt.Q < 1.0 else None  # only the T-term (Q < 1) needs it
    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    comp = _distance_complement(x, dist, R, np.zeros_like(R) if R_lo is None else R_lo)
    # pass 1: r = 1 (steps 2-7), security levels, risk exponents (steps 8-9)
    counts = closer_counts(x) if kern is None else kern.closer_counts(x)
    close = np.nonzero((dist > 0.0) & (dist <= CLOSE_PAIR))
    P1, eP1 = win_probability(x, dist, w, None, opt.probability_mode, counts, presorted=True, error=True,
                              close=close, kernels=kern)
    adversary = opt.security == "adversary"
    a1, b1, ea1, eb1 = expected_utilities(x, s, dist, P1, None, mu, R, opt, want=(not adversary, adversary),
                                          errors=(eP1, None), kernels=kern)
    src, esrc = (b1, eb1) if adversary else (a1, ea1)
    src[:, np.arange(n), np.arange(n)] = 0.0  # j != i
    esrc[:, np.arange(n), np.arange(n)] = 0.0
    # sum over j in input order (as the reference loops), not in sorted order
    inv = np.empty_like(order)
    np.put_along_axis(inv, order, np.arange(n)[None, :].repeat(B, 0), axis=1)
    if kern is None:
        sec = np.take_along_axis(src, np.broadcast_to(inv[:, None, :], src.shape), axis=2).sum(axis=-1)
    else:
        sec = kern.input_order_sums(src, inv)
    esec = esrc.sum(axis=-1) + (n * EPS) * np.abs(src).sum(axis=-1)
    r, er = _risk_exponents(sec, esec)
    # pass 2 with the computed r (step 10 -> 4..7)
    if opt.vote_risk == "voter-r":
        P2, eP2 = win_probability(x, dist, w, r, opt.probability_mode, counts, presorted=True, error=True,
                                  close=close, kernels=kern)
        # votes' sensitivity to the voters' r: |d ln(d^r)/dr| = |ln d| <= 50 for the distances in use
        eP2 = eP2 + 50.0 * er.max(axis=-1)[:, None, None] * P2
    else:
        P2, eP2 = P1, eP1
    a, b, ea, eb = expected_utilities(x, s, dist, P2, r, mu, R, opt, errors=(eP2, er), kernels=kern, comp=comp)
    # step 11: regions of Fig. 6 from the receiver i's point of view, at the computed
    # values and at the four corners of their error box
    differ = dist > 0.0
    pri = _classify(a, b, opt)
    pri[~differ] = 4
    stage = pri.min(axis=-1)  # the receiver's region: 1-3, or 4 (no offer)
    # pairs whose error box crosses a region boundary (a = 0, b = 0, b = a, b = -a): their
    # region is found at the box's corners (rare: evaluated on those pairs only)
    aa, bb = np.abs(a), np.abs(b)
    box = aa <= ea
    box |= bb <= eb
    aa -= bb  # min(|b - a|, |b + a|) = ||a| - |b||
    np.abs(aa, out=aa)
    box |= aa <= ea + eb
    box &= differ
    lo_p = hi_p = pri
    undetermined = np.zeros((B, n), dtype=bool)
    if box.any():
        ub, ui, uj = np.nonzero(box)
        av, bv, eav, ebv = a[ub, ui, uj], b[ub, ui, uj], ea[ub, ui, uj], eb[ub, ui, uj]
        corners = np.stack([_classify(av + sa * eav, bv + sb * ebv, opt)
                            for sa in (-1.0, 1.0) for sb in (-1.0, 1.0)] + [pri[ub, ui, uj]])
        lo, hi = corners.min(axis=0), corners.max(axis=0)
        origin = (np.abs(av) <= eav) & (np.abs(bv) <= ebv)
        lo[origin], hi[origin] = 1, 4
        lo_p, hi_p = pri.copy(), pri.copy()
        lo_p[ub, ui, uj], hi_p[ub, ui, uj] = lo, hi
        # a region better than the chosen one might exist within the bounds
        worse = (lo < stage[ub, ui]) & (hi != lo)
        undetermined[ub[worse], ui[worse]] = True
    kind = np.full((B, n), KIND_NONE)
    target = np.full((B, n), -1)
    new_x = x.copy()
    sel_a = np.full((B, n), np.nan)
    sel_b = np.full((B, n), np.nan)
    short = np.zeros((B, n), dtype=bool)
    codes = {1: KIND_CONFRONTATION, 2: KIND_COMPROMISE, 3: KIND_CAPITULATION}
    for p, code in codes.items():
        rb, ri = np.nonzero(stage == p)
        if rb.size == 0:
            continue
        rows = np.arange(rb.size)
        m = pri[rb, ri] == p  # [rows, n] candidates j of receiver (rb, ri)
        maybe = (lo_p[rb, ri] <= p) & (hi_p[rb, ri] >= p) & ~m  # could be candidates within the bounds
        xr = x[rb]
        xir = x[rb, ri][:, None]
        ar, br = a[rb, ri], b[rb, ri]
        if code == KIND_COMPROMISE:
            aa, bb = np.abs(ar), np.abs(br)
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = aa / np.where(br != 0, bb, 1.0)
                offer = xir + (xr - xir) * frac
                gap = np.abs(xr - xir)
                if opt.offer_rule == "weighted-position":
                    key = (aa * xir + bb * xr) / (aa + bb)
                    ek = (gap * (ea[rb, ri] * bb + eb[rb, ri] * aa) / (aa + bb) ** 2
                          + 4 * EPS * (np.abs(xir) + np.abs(xr)))
                else:
                    key = gap * frac
                    ek = key * (ea[rb, ri] / aa + eb[rb, ri] / bb + 4 * EPS)
            k = np.where(m, key, np.inf)
            best = k.min(axis=-1, keepdims=True)
            tied = m & (k == best)
            j = _choose(tied, offer, order[rb], opt.tie_break)
            kb, eb_, xb = key[rows, j][:, None], ek[rows, j][:, None], xr[rows, j][:, None]
            # identical proposers give bit-identical keys: an exact tie
            same = (xr == xb) & (ar == ar[rows, j][:, None]) & (br == br[rows, j][:, None])
            with np.errstate(invalid="ignore"):
                near = (m | maybe) & ~same & (key - ek <= kb + eb_)
            near[rows, j] = False
            # a compromise never reaches its target; when it lands within rounding of it, the
            # exact state (strictly between) cannot be represented: keep it one ulp short of
            # the target (or where it lands) and mark the following rounds
            mv = offer[rows, j]
            xt = xr[rows, j]
            lands = np.abs(mv - xt) <= SNAP * R[rb]
            # likewise a compromise that moves less than rounding from its own start: the exact
            # state lies strictly beside the start (where another actor may stand exactly)
            x0 = xir[:, 0]
            stays = (np.abs(mv - x0) <= SNAP * R[rb]) & (xt != x0)
            short[rb, ri] = lands | stays
            mv = np.where(lands & (mv == xt), np.nextafter(xt, xir[:, 0]), mv)
        else:
            offer = xr
            hi, lo = _exact_gap(xr, xir)
            kh = np.where(m, hi, np.inf)
            bh = kh.min(axis=-1, keepdims=True)
            kl = np.where(m & (kh == bh), lo, np.inf)
            bl = kl.min(axis=-1, keepdims=True)
            tied = m & (kh == bh) & (kl == bl)
            j = _choose(tied, offer, order[rb], opt.tie_break)
            # a possible candidate at an exactly smaller or equal distance could change the choice
            near = maybe & ((hi < bh) | ((hi == bh) & (lo <= bl)))
            mv = xr[rows, j]
        und = near.any(axis=-1) | (hi_p[rb, ri, j] != lo_p[rb, ri, j])
        undetermined[rb, ri] |= und
        kind[rb, ri] = code
        target[rb, ri] = j
        new_x[rb, ri] = mv
        sel_a[rb, ri] = ar[rows, j]
        sel_b[rb, ri] = br[rows, j]
    # an actor whose choice is undetermined stays where it is
    kind[undetermined] = KIND_NONE
    target[undetermined] = -1
    new_x[undetermined] = x[undetermined]
    sel_a[undetermined] = np.nan
    sel_b[undetermined] = np.nan
    short &= ~undetermined
    _snap(new_x, kind == KIND_COMPROMISE, short, SNAP * R)
    target = np.where(target >= 0, np.take_along_axis(order, np.maximum(target, 0), axis=1), -1)

    def unsort(v: np.ndarray) -> np.ndarray:
        out = np.empty_like(v)
        np.put_along_axis(out, order, v, axis=1)
        return out

    res = RoundResult(unsort(new_x), unsort(target), unsort(kind), unsort(sel_a), unsort(sel_b), unsort(r), mu,
                      unsort(undetermined), short.any(axis=1))
    if full:  # back to input order on both actor axes
        rows = np.arange(B)[:, None, None]
        res.eu_challenge = a[rows, inv[:, :, None], inv[:, None, :]]
        res.eu_challenged = b[rows, inv[:, :, None], inv[:, None, :]]
    return res


def _eu_round_compiled(x, c, s, R, opt: ExpectedUtilityOptions, R_lo, kern) -> RoundResult:
    """:func:`eu_round` for ``Q = 1`` with the round's arithmetic compiled
    (:mod:`realpolitik.models.expected_utility_batch`): NumPy keeps the BLAS products of
    the all-pairs denominators and the transcendental functions (``d^r``, ``log1p``,
    ``expm1``), the kernels do the rest in NumPy's order of operations, so the
    numbers are the NumPy path's bit for bit (tests/test_expected_utility_batch.py)."""
    B, n = x.shape
    paper = opt.probability_mode == "paper"
    fused = _fused(B, n)
    if fused is not None:  # the same steps in one compiled call
        X, TG, KD, SA, SB, rr, UD, SH = fused.eu_round(
            np.ascontiguousarray(x), np.ascontiguousarray(c), np.ascontiguousarray(s), np.ascontiguousarray(R),
            np.zeros_like(R) if R_lo is None else np.ascontiguousarray(R_lo), paper, opt.vote_risk == "voter-r",
            opt.resist_salience != "printed-25b", opt.security == "adversary", opt.perspective_r != "evaluator",
            opt.capitulation, opt.conflict_moves, opt.offer_rule == "weighted-position",
            opt.tie_break == "lowest-position", fused.ADDRESSES)
        return RoundResult(X, TG, KD, SA, SB, rr, None, UD, SH)
    # sorted actors, distances, midpoint counts and the close pairs in one compiled pass
    x, s, w, order, inv, dist, comp, counts, *close = kern.prepare(
        x, c, s, R, np.zeros_like(R) if R_lo is None else R_lo)
    merged = [np.empty((0, 0, 0), np.intp)]

    def numerators(d, r_vote):
        """Numerators with their bounds, and the all-pairs denominator with its bound (the
        order of each row of votes kept from the first pass for the second)."""
        N, eN, Gs, merged[0] = kern.votes(d, w, counts, 2.0 * (n + 2) * EPS, not paper, merged[0])
        pb, pu, pv = close
        if pb.size:  # as win_probability: the close pairs' numerators from the stable sum
            Ns = _stable_numerators(x, dist, w, r_vote, pb, pu, pv, kern)
            N[pb, pu, pv] = Ns
            eN[pb, pu, pv] = (KAPPA * (n + 2) * EPS) * Ns
        if paper:
            return N, eN, np.empty(0), np.empty(0)
        coef = 2.0 * np.arange(n) - n + 1.0
        D = 2.0 * (Gs @ coef).sum(axis=-1)
        eD = (2.0 * (n + 2) * EPS) * 2.0 * (Gs @ np.abs(coef)).sum(axis=-1)
        return N, eN, D, eD

    N1, eN1, D1, eD1 = numerators(dist, None)
    # pass 1 to the risk exponents (security levels summed in input order, eqs. 34, 33)
    voter_r = opt.vote_risk == "voter-r"
    r, er, rr, base, ex = kern.security(N1, eN1, D1, eD1, paper, dist, s, opt.resist_salience != "printed-25b",
                                        opt.security == "adversary", inv, n * EPS, KAPPA * EPS, EPS, voter_r)
    escale = None
    if voter_r:  # dist ** r[:, :, None] off the diagonal (base, ex: pow_args)
        np.power(base, ex, out=base)
        N2, eN2, D2, eD2 = numerators(kern.unpack_pow(base, r, B, n), r)
        # votes' sensitivity to the voters' r (as eu_round)
        escale = 50.0 * er.max(axis=-1)
    else:
        N2, eN2, D2, eD2 = N1, eN1, D1, eD1
    # the success terms' transcendentals in NumPy (its SIMD functions), over the pairs u <= v
    # for the symmetric logarithms; the arithmetic around them in the kernels
    arg, ka, dp, pos = kern.log_args(dist, comp)
    with np.errstate(divide="ignore"):
        np.log1p(arg[:ka], out=arg[:ka])
        np.log(arg[ka:], out=arg[ka:])
    np.log1p(dp, out=dp)

    def terms(col):
        t1, t2 = kern.log_expand(arg, dp, pos, r, col)
        np.expm1(t1, out=t1)
        np.expm1(t2, out=t2)
        return t1, t2

    # h = 4 (1/2)^r and the bounds' factor, per actor (the row's, or the column's in b)
    h = np.ascontiguousarray((4.0 * 0.5 ** r[:, :, None])[:, :, 0])
    fac = np.ascontiguousarray((KAPPA * EPS + 4.0 * er[:, :, None])[:, :, 0])
    emA, epA = terms(False)
    own = opt.perspective_r != "evaluator"
    emB, epB = terms(True) if own else (emA, epA)
    X, TG, KD, SA, SB, UD, SH = kern.decide(
        x, dist, N2, eN2, D2, eD2, paper, escale, emA, epA, h, emB, epB, h, s, fac, fac, own,
        opt.resist_salience != "printed-25b", R, order,
        opt.capitulation, opt.conflict_moves, opt.offer_rule == "weighted-position", opt.tie_break == "lowest-position",
        SNAP, EPS)
    return RoundResult(X, TG, KD, SA, SB, rr, None, UD, SH)


# ----------------------------------------------------------------- driver


@dataclass
class Trajectory:
    """What :func:`run_rounds` returns for one issue and a batch of draws."""

    positions: np.ndarray  # [rounds + 1, B, N] (NaN where inactive)
    median: np.ndarray  # [rounds + 1, B]
    mean: np.ndarray  # [rounds + 1, B]
    stopped: np.ndarray  # [B] round after which the stopping rule held (-1: never)
    # per round, draw 0 only: (mover, toward, kind, a, b, from, to)
    moves: list[list[tuple]] = field(default_factory=list)
    risk: list[np.ndarray] = field(default_factory=list)  # per round [N] r of draw 0 (NaN inactive)
    ranges: list[float] = field(default_factory=list)
    #: [B] first round with a choice float64 cannot determine (-1: none); that round and
    #: every later one are numerically undetermined
    undetermined_from: np.ndarray | None = None
    #: per round, draw 0 only: the actors whose choice was undetermined (they stayed put)
    undetermined: list[list[int]] = field(default_factory=list)
    #: with ``perceive=True``: the first round's :class:`RoundResult` (``full``) and its actors
    first_round: RoundResult | None = None
    first_round_actors: np.ndarray | None = None


def run_rounds(
    x: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    active: np.ndarray,
    opt: ExpectedUtilityOptions,
    events: dict[int, list[tuple]] | None = None,
    scale: float | None = None,
    log: bool = False,
    perceive: bool = False,
) -> Trajectory:
    """Run ``opt.rounds`` rounds on one issue for ``B`` draws.

    ``x``, ``c``, ``s``: ``[B, N]`` over every actor that ever takes part (NaN/any
    value where inactive); ``active``: ``[N]`` at the start.  ``events[t]`` lists the
    scenario's changes at round ``t`` as ``(field, actor, value [B], applies [B])``
    (:mod:`realpolitik.scenario.events`; an actor enters or leaves in every draw of the
    batch or in none), applied at the start of round ``t`` (``t = 0`` and ``t = 1``
    both before the first round's moves; round 0 of the history shows the state after
    round-0 events).  Draws for which the stopping rule holds keep their positions.
    ``perceive``: keep the first round's expected utilities of every dyad
    (``Trajectory.first_round``, actors ``first_round_actors``).
    """
    events = events or {}
    x = np.array(x, dtype=float)
    c = np.array(c, dtype=float)
    s = np.array(s, dtype=float)
    active = np.array(active, dtype=bool)
    B, N = x.shape
    T = opt.rounds

    def apply(t: int) -> None:
        for fld, i, v, h in events.get(t, []):
            if fld == POSITION:
                x[:, i] = np.where(h, v, x[:, i])
            elif fld == SALIENCE:
                s[:, i] = np.where(h, v, s[:, i])
            elif fld == CAPABILITY:
                c[:, i] = np.where(h, v, c[:, i])
            elif fld in (ENTER, LEAVE) and h.any():
                active[i] = fld == ENTER

    def stats(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xs, ws = x[:, idx], c[:, idx] * s[:, idx]
        kern = _kernels(B, idx.size) if idx.size else None
        if kern is not None and xs.flags.c_contiguous == ws.flags.c_contiguous:  # the same numbers, one pass
            return kern.median_mean(xs, ws, not xs.flags.c_contiguous)
        return condorcet_position(xs, ws), weighted_mean(xs, ws)

    apply(0)
    idx = np.flatnonzero(active)
    def span(ii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``x_max - x_min`` over the actors ``ii`` and its rounding error (exactly ``hi + lo``)."""
        if not ii.size:
            return np.zeros(B), np.zeros(B)
        return _exact_gap(x[:, ii].max(axis=1), x[:, ii].min(axis=1))

    if opt.range == "scale" and scale is not None:
        R, R_lo = np.full(B, float(scale)), np.zeros(B)
    else:
        R, R_lo = span(idx)
    positions = np.full((T + 1, B, N), np.nan)
    med = np.full((T + 1, B), np.nan)
    mean = np.full((T + 1, B), np.nan)
    positions[0][:, idx] = x[:, idx]
    med[0], mean[0] = stats(idx)
    stopped = np.full(B, -1)
    calm = np.zeros(B, dtype=int)
    traj = Trajectory(positions, med, mean, stopped, undetermined_from=np.full(B, -1))
    compiled = not (log or perceive) and opt.Q == 1.0  # rounds that may run in one compiled call
    ends = sorted(r for r, chs in events.items() if chs)
    t = 0
    while t < T:
        t += 1
        apply(t)
        idx = np.flatnonzero(active)
        seg = _segment(x, c, s, idx, B) if compiled else None
        if seg is not None:  # this round and the next ones up to the next event in one compiled call
            t1 = min([r for r in ends if r > t] + [T + 1])
            mode = {"per-round": 1, "fixed": 2}.get(opt.range, 0)  # "scale": R as set above
            R, R_lo = np.array(R, dtype=float), np.array(R_lo, dtype=float)
            seg.run_segment(x, c, s, idx, t, t1, T, mode, R, R_lo, positions, med, mean, stopped, calm,
                            traj.undetermined_from, opt.tolerance is not None, float(opt.tolerance or 0.0), opt.k,
                            _stats_seq(x, c, s, idx), opt.probability_mode == "paper", opt.vote_risk == "voter-r",
                            opt.resist_salience != "printed-25b", opt.security == "adversary",
                            opt.perspective_r != "evaluator", opt.capitulation, opt.conflict_moves,
                            opt.offer_rule == "weighted-position", opt.tie_break == "lowest-position",
                            seg.ADDRESSES, FUSED_BLOCK)
            t = t1 - 1
            if opt.tolerance is not None:
                traj.stopped = stopped
                if (stopped >= 0).all():  # every draw has stopped (their later rounds repeat it)
                    break
            continue
        cur, cur_lo = span(idx)
        if opt.range == "per-round":
            R, R_lo = cur, cur_lo
        elif opt.range == "fixed":  # the initial range unless an event widens it
            wider = (cur > R) | ((cur == R) & (cur_lo > R_lo))
            R, R_lo = np.where(wider, cur, R), np.where(wider, cur_lo, R_lo)
        Rsafe = np.where(R > 0, R, 1.0)
        if idx.size >= 2:
            res = eu_round(x[:, idx], c[:, idx], s[:, idx], Rsafe, opt, full=perceive and t == 1,
                           R_lo=np.where(R > 0, R_lo, 0.0))
            if perceive and t == 1:
                traj.first_round, traj.first_round_actors = res, idx.copy()
            frozen = stopped >= 0
            newx = np.where(frozen[:, None], x[:, idx], res.x)
            und = res.undetermined & ~frozen[:, None]
            first = traj.undetermined_from
            first[(first < 0) & und.any(axis=1)] = t
            if t < T:  # the state after this round is not representable: the next rounds are marked
                first[(first < 0) & res.unrepresentable & ~frozen] = t + 1
            if log:
                traj.undetermined.append([int(idx[i]) for i in np.flatnonzero(und[0])])
            if log:
                moved = np.flatnonzero((res.target[0] >= 0) & ~frozen[0])
                traj.moves.append([
                    (int(idx[i]), int(idx[res.target[0, i]]), int(res.kind[0, i]), float(res.a[0, i]),
                     float(res.b[0, i]), float(x[0, idx[i]]), float(newx[0, i]))
                    for i in moved
                ])
                rr = np.full(N, np.nan)
                rr[idx] = res.r[0]
                traj.risk.append(rr)
                traj.ranges.append(float(Rsafe[0]))
            x[:, idx] = newx
        elif log:
            traj.undetermined.append([])
            traj.moves.append([])
            traj.risk.append(np.full(N, np.nan))
            traj.ranges.append(float(Rsafe[0]))
        positions[t][:, idx] = x[:, idx]
        med[t], mean[t] = stats(idx)
        if (stopped >= 0).any():  # draws that met the stopping rule keep their state
            fz = stopped >= 0
            positions[t][fz], med[t][fz], mean[t][fz] = positions[t - 1][fz], med[t - 1][fz], mean[t - 1][fz]
        if opt.tolerance is not None:
            shift = np.abs(med[t] - med[t - 1])
            calm = np.where(shift < opt.tolerance, calm + 1, 0)
            stopped = np.where((stopped < 0) & (calm >= opt.k), t, stopped)
            traj.stopped = stopped
            if (stopped >= 0).all():  # every draw has stopped: later rounds repeat this one
                positions[t + 1:], med[t + 1:], mean[t + 1:] = positions[t], med[t], mean[t]
                break
    return traj


# ----------------------------------------------------------------- model


def _issue_setup(scenario: Scenario, col: int, N: int):
    """Arrays ``[N]`` over the actor universe for issue ``col`` (the scenario's actors first)."""
    a = scenario.arrays()
    n0 = len(a.actors)
    x = np.full(N, np.nan)
    c = np.ones(N)
    s = np.zeros(N)
    act = np.zeros(N, dtype=bool)
    own = one_level_capability(scenario)  # nested actors: a sub-actor's capability is a share of its parent's
    x[:n0], c[:n0], s[:n0], act[:n0] = a.position[:, col], own[:, col], a.salience[:, col], a.active[:, col]
    return x, c, s, act


def _issue_events(sched: EventSchedule, entries: np.ndarray, col: int) -> dict[int, list[tuple]]:
    """Per round, the schedule's changes on issue ``col`` as ``(field, actor, value [D], applies [D])``.

    Entries on every issue (a capability without an issue, an actor leaving) act on each
    issue; an entering actor is activated on the issues it takes part in.
    """
    out: dict[int, list[tuple]] = {}
    for k in entries:
        j = sched.issue[k]
        if j != col and not (j == -1 and sched.field[k] in (CAPABILITY, LEAVE)):
            continue
        out.setdefault(int(sched.round[k]), []).append(
            (int(sched.field[k]), int(sched.actor[k]), sched.value[:, k], sched.applies(k))
        )
    return out


UNDETERMINED_NOTE = (
    "from this round on, at least one actor's choice depended on differences below float64's rounding "
    "error (offers or expected utilities equal to about 15 digits but not exactly); such an actor stays "
    "where it is, so these rounds may differ from the exact model (docs/expected-utility.md, numerics)"
)


def _undetermined_record(tr: Trajectory, universe: list[str], T: int) -> dict:
    """``details.numerically_undetermined[issue]`` of a single run (draw 0 of ``tr``)."""
    first = int(tr.undetermined_from[0])
    held = {str(t + 1): [universe[i] for i in acts] for t, acts in enumerate(tr.undetermined) if acts}
    return {"from_round": first, "rounds": list(range(first, T + 1)), "actors_held": held,
            "note": UNDETERMINED_NOTE}


def _chunk_events(events: dict[int, list[tuple]], lo: int, hi: int) -> dict[int, list[tuple]]:
    return {t: [(f, i, v[lo:hi], h[lo:hi]) for f, i, v, h in chs] for t, chs in events.items()}


@register
class ExpectedUtility(Model):
    """Bueno de Mesquita's expected-utility (challenge) model, as Scholz et al. (2011) rebuilt it.

    Per round (Appendix steps 2-13): the median voter position (eqs. 26-29); win
    probabilities (eq. 31, or the all-pairs denominator of the reference code);
    basic utilities (15), (16), (22)-(24); expected utilities (25a/b) with ``r = 1``;
    security levels and risk exponents (34), (33); the expected utilities again
    with the computed ``r``; each actor's offers classified by the regions of
    Fig. 6 (confrontation, compromise (35)/(36), capitulation, stalemate) and one
    chosen by the rule of section 6.2 (option ``offer_rule``); all moves applied
    simultaneously.  The forecast per issue is the weighted median after the last
    round (or when the median has moved less than ``tolerance`` for ``k`` rounds);
    a median that has not settled is reported as the median of its last rounds
    (:func:`realpolitik.models.stability.settle`), the last round's value is kept in
    ``details.stability``.

    Multi-issue scenarios run issue by issue; an actor that does not take part in
    an issue is left out there.  Scenario events with a ``round`` are applied at the
    start of that round (positions, saliences, capabilities; actors entering or
    leaving); events with only a date are ignored by this model.

    The preset ``scholz2011`` (the default) reproduces the reference implementation
    and thereby Table 2 of the paper (7 of 8 printed medians; see
    ``docs/expected-utility.md`` for round 2); the preset ``paper`` follows the
    printed equations and prose.

    References
    ----------
    [Scholz2011] Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno de
    Mesquita's group decision model. *Journal of Theoretical Politics* 23(4),
    510-531 (ICAART 2011, pp. 18-30): eqs. (15), (16), (22)-(25), (28)-(29),
    (31), (33)-(36), Fig. 6, section 6.2, the Appendix algorithm.
    [BDM1994] Bueno de Mesquita, B. (1994). Political forecasting: an expected utility
    method. In *European Community Decision Making*, Yale UP, ch. 4.
    [BDM1985] Bueno de Mesquita, B. (1985). The war trap revisited. *American Political
    Science Review* 79(1), 156-177 (security levels, p. 157).
    """

    name = "expected-utility"
    label = "Expected utility (BDM)"
    Options = ExpectedUtilityOptions
    vectorised = True
    event_fields = frozenset({"capability", "position", "salience", "enter", "leave"})

    # ------------------------------------------------------------ single run
    def _run(self, scenario: Scenario, rng):
        opt = self.options
        sched = event_schedule(scenario)
        entries = sched.select(self.event_fields)
        universe = list(sched.actors[: sched.n_timed])
        T = opt.rounds
        m = len(scenario.issues)
        positions = np.full((T + 1, len(universe), m), np.nan)
        history_median: dict[str, list[float]] = {}
        history_mean: dict[str, list[float]] = {}
        forecast: dict[str, float] = {}
        moves: list[list[dict]] = [[] for _ in range(T)]
        risk: dict[str, list[list[float | None]]] = {}
        stopped: dict[str, int | None] = {}
        ranges: dict[str, float] = {}
        undetermined: dict[str, dict] = {}
        for col, iss in enumerate(scenario.issues):
            x, c, s, act = _issue_setup(scenario, col, len(universe))
            events = _issue_events(sched, entries, col)
            tr = run_rounds(x[None], c[None], s[None], act, opt, events, scale=iss.span, log=True)
            if tr.undetermined_from[0] >= 0:
                undetermined[iss.id] = _undetermined_record(tr, universe, T)
            stop = int(tr.stopped[0])
            last = stop if stop >= 0 else T
            # after a stop the state is frozen: the recorded rounds repeat it
            positions[:, :, col] = tr.positions[:, 0, :]
            history_median[iss.id] = tr.median[:, 0].tolist()
            history_mean[iss.id] = tr.mean[:, 0].tolist()
            forecast[iss.id] = float(settle(tr.median[: last + 1, 0], iss.span)[0])
            stopped[iss.id] = stop if stop >= 0 else None
            ranges[iss.id] = tr.ranges[0] if tr.ranges else float("nan")
            risk[iss.id] = [[None if np.isnan(v) else float(v) for v in rr] for rr in tr.risk]
            for t, rnd in enumerate(tr.moves):
                for (i, j, kind, a, b, x0, x1) in rnd:
                    moves[t].append({
                        "round": t + 1, "issue": iss.id, "actor": universe[i], "toward": universe[j],
                        "kind": KIND_NAMES[kind], "eu_challenge": a, "eu_challenged": b,
                        "from": x0, "to": x1,
                    })
        pos_list = [[[None if np.isnan(v) else float(v) for v in row] for row in rnd] for rnd in positions]
        details = {
            "moves": moves,
            "risk_exponents": risk,
            "stopped_after_round": stopped,
            "range": ranges,
            "preset": opt.preset,
            "tie_break": opt.tie_break,
            "forecast_rule": "weighted median (Condorcet winner) after the last round, "
            "or the median of the last rounds where it has not settled",
            "stability": stability_details(history_median, {i.id: i.span for i in scenario.issues}),
            "numerically_undetermined": undetermined,
        }
        if scenario.events:
            details["events_skipped"] = self.events_skipped(sched, last_round=T)
        return self.make_result(
            scenario, forecast,
            history={"positions": pos_list, "median": history_median, "mean": history_mean},
            details=details, actors=universe,
        )

    # ------------------------------------------------------------ batch core
    def forecast_batch(self, batch: ScenarioBatch, rng=None) -> np.ndarray:
        """Forecasts ``[draw, issue]`` for a batch of draws, vectorised over draws: the
        final median, or the median of the last rounds where it has not settled
        (:func:`realpolitik.models.stability.settle`, the rule of ``run``).

        Which actors take part on an issue is read from the first draw (NaN
        position = not taking part).  Draws are processed in chunks of about
        :data:`BATCH_ELEMENTS` / n^2 draws, so memory stays flat (a few MB per
        chunk) whatever the number of draws.
        """
        med = self.trajectory_batch(batch)["median"]  # [draw, round, issue]
        spans = np.array([i.span for i in batch.base.issues])
        return settle(np.moveaxis(med, 1, -1), spans[None, :])[0]

    def trajectory_batch(self, batch: ScenarioBatch) -> dict[str, np.ndarray]:
        """Medians and means per round: ``{"median": [draw, round, issue], "mean": ...}``.

        ``"undetermined_from"`` ``[draw, issue]``: the first numerically undetermined
        round of each draw (-1: none; see :func:`eu_round`).
        """
        opt = self.options
        scen = batch.base
        sched = batch.schedule()
        entries = sched.select(self.event_fields)
        N = sched.n_timed
        D = batch.draws
        m = len(scen.issues)
        n0 = len(scen.actors)
        own = one_level_capability(scen, batch.capability, batch.position)
        med = np.full((D, opt.rounds + 1, m), np.nan)
        mean = np.full_like(med, np.nan)
        und = np.full((D, m), -1)
        # draws in which the same actors enter and leave share a batch (one active set each)
        structural = entries[np.isin(sched.field[entries], (ENTER, LEAVE))]
        for col, iss in enumerate(scen.issues):
            x1, c1, s1, act = _issue_setup(scen, col, N)
            act[:n0] = ~np.isnan(batch.position[0, :, col])
            n_act = max(2, int(act.sum()))
            # BATCH_ELEMENTS per [draw, actor, actor] temporary (see there)
            chunk = max(1, min(D, BATCH_ELEMENTS // (n_act * n_act)))
            for group in sched.groups(structural):
                events = _issue_events(sched.take(group), entries, col)
                G = len(group)
                for lo in range(0, G, chunk):
                    hi = min(G, lo + chunk)
                    rows = group[lo:hi]
                    x = np.broadcast_to(x1, (hi - lo, N)).copy()
                    c = np.broadcast_to(c1, (hi - lo, N)).copy()
                    s = np.broadcast_to(s1, (hi - lo, N)).copy()
                    x[:, :n0] = batch.position[rows, :, col]
                    c[:, :n0] = own[rows, :, col]
                    s[:, :n0] = batch.salience[rows, :, col]
                    tr = run_rounds(x, c, s, act, opt, _chunk_events(events, lo, hi), scale=iss.span)
                    med[rows, :, col] = tr.median.T
                    mean[rows, :, col] = tr.mean.T
                    und[rows, col] = tr.undetermined_from
        return {"median": med, "mean": mean, "undetermined_from": und}

    def perceptions_batch(self, batch: ScenarioBatch) -> dict[str, dict[str, Any]]:
        """The first round's expected utilities of every dyad, per issue, for a batch of draws.

        What each actor perceives when the model plays its first round (after the
        events of rounds 0 and 1): ``eu_challenge[d, i, j] = E^i(U_ij)`` (i's expected
        utility of challenging j) and ``eu_challenged[d, i, j] = E^i(U_ji)`` (of being
        challenged by j), eq. (25a/b) with the risk exponents of eqs. (33)-(34) - the
        two axes of Fig. 6, from which the model classifies its offers.  Per issue:
        ``{"actors": ids of the actors taking part, "eu_challenge": [draw, n, n],
        "eu_challenged": [draw, n, n], "risk": [draw, n]}`` (``n`` actors taking part).
        """
        opt = self.options.model_copy(update={"rounds": 1, "tolerance": None})
        scen = batch.base
        sched = batch.schedule()
        entries = sched.select(self.event_fields)
        universe = list(sched.actors[: sched.n_timed])
        n0 = len(scen.actors)
        own = one_level_capability(scen, batch.capability, batch.position)  # nested actors, as the model counts them
        out: dict[str, dict[str, Any]] = {}
        for col, iss in enumerate(scen.issues):
            x1, c1, s1, act = _issue_setup(scen, col, len(universe))
            # an actor that enters or leaves in some draws only does so here in all of them
            # (one set of actors per issue for the whole batch)
            events = _issue_events(sched, entries, col)
            act[:n0] = ~np.isnan(batch.position[0, :, col])
            D, N = batch.draws, len(universe)
            x, c, s = (np.broadcast_to(v, (D, N)).copy() for v in (x1, c1, s1))
            x[:, :n0], c[:, :n0], s[:, :n0] = batch.position[:, :, col], own[:, :, col], batch.salience[:, :, col]
            tr = run_rounds(x, c, s, act, opt, events, scale=iss.span, perceive=True)
            if tr.first_round is None:  # fewer than two actors take part
                continue
            fr = tr.first_round
            out[iss.id] = {
                "actors": [universe[k] for k in tr.first_round_actors],
                "eu_challenge": fr.eu_challenge,
                "eu_challenged": fr.eu_challenged,
                "risk": fr.r,
            }
        return out

    # ------------------------------------------------------------ display
    def describe(self, result, scenario: Scenario) -> list[Table]:
        """Trajectory (median and mean per round), final forecast, move-log summary."""
        med = result.history.get("median", {})
        mean = result.history.get("mean", {})
        stopped = result.details.get("stopped_after_round", {})
        issues = list(result.issues)
        nr = max((len(v) for v in med.values()), default=0)
        cols = ["round"]
        for iid in issues:
            cols += [f"{iid} median", f"{iid} mean"] if len(issues) > 1 else ["median", "mean"]
        undet = result.details.get("numerically_undetermined") or {}
        if undet:
            cols.append("float64")
        rows = []
        for t in range(nr):
            row: list[Any] = [t]
            for iid in issues:
                row += [med[iid][t], mean[iid][t]]
            if undet:
                flagged = [iid for iid, u in undet.items() if t >= u["from_round"]]
                row.append(("undetermined" + (f" ({', '.join(flagged)})" if len(issues) > 1 else ""))
                           if flagged else "")
            rows.append(row)
        stops = [f"{iid} after round {r}" for iid, r in stopped.items() if r is not None]
        note = f"median and mean per round, preset {result.options.get('preset')}"
        if stops:
            note += f"; stopping rule met: {', '.join(stops)} (later rounds repeat it)"
        if undet:
            note += "; rounds marked undetermined may differ from the exact model (float64 rounding)"
        tables = [Table("Expected utility: rounds", cols, rows, note)]
        frows = []
        for iid in issues:
            v = result.forecast.get(iid)
            iss = scenario.issue(iid) if iid in scenario.issue_ids else None
            p = iss.nearest_point(v) if (iss is not None and v is not None and np.isfinite(v)) else None
            frows.append([iid, v, mean.get(iid, [None])[-1], f"{p.value:g}: {p.label}" if p else "-"])
            if undet:
                frows[-1].append(f"undetermined from round {undet[iid]['from_round']}" if iid in undet else "exact")
        fcols = ["issue", "median", "mean", "nearest labelled point"] + (["float64"] if undet else [])
        tables.append(Table("Expected utility: forecast", fcols, frows,
                            "the forecast is the weighted median after the last round, or the median "
                            "of the last 4 rounds where it has not settled"))
        if undet:
            nrows = [[iid, u["from_round"], "; ".join(f"round {r}: {', '.join(a)}" for r, a in u["actors_held"].items())]
                     for iid, u in undet.items()]
            tables.append(Table(
                "Expected utility: numerically undetermined", ["issue", "from round", "actors held still"], nrows,
                UNDETERMINED_NOTE, summary=True,
            ))  # fmt: skip
        # The model need not converge (Scholz et al. 2011): say where the median still jumps.
        urows = []
        for iid, st in (result.details.get("stability") or {}).get("issues", {}).items():
            tail = [v for v in st["final_rounds"] if v is not None]
            if not st["settled"]:
                urows.append([iid, ", ".join(f"{v:.1f}" for v in tail), max(tail) - min(tail), st["forecast"]])
        unsettled = []
        if urows:
            unsettled.append(Table(
                "Expected utility: unsettled forecasts",
                ["issue", "median in the last rounds", "range", "forecast (their median)"], urows,
                "the median still moves by more than 5% of the scale in the last 4 rounds: the forecast is "
                "the median of those rounds, not the last round's value; see the rounds table (--details)",
                summary=True,
            ))  # fmt: skip
        all_moves = [m for rnd in result.details.get("moves", []) for m in rnd]
        if len(all_moves) <= 40:  # small: every move
            cols = ["round"] + (["issue"] if len(issues) > 1 else []) + ["actor", "move", "toward", "from", "to"]
            rows = [[m["round"]] + ([m["issue"]] if len(issues) > 1 else [])
                    + [m["actor"], m["kind"], m["toward"], m["from"], m["to"]] for m in all_moves]
            tables.append(Table("Expected utility: moves", cols, rows,
                                f"{len(rows)} moves in all" if rows else "no actor moved"))
            return tables + unsettled
        srows = []
        counts: dict[str, int] = {}
        for t, rnd in enumerate(result.details.get("moves", []), start=1):
            for iid in issues:
                mv = [m for m in rnd if m["issue"] == iid]
                for m in mv:
                    counts[m["kind"]] = counts.get(m["kind"], 0) + 1
                if not mv:
                    continue
                kinds = {}
                for m in mv:
                    kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
                big = max(mv, key=lambda m: abs(m["to"] - m["from"]))
                row = [t] + ([iid] if len(issues) > 1 else [])
                row += [", ".join(f"{v} {k}" for k, v in sorted(kinds.items())),
                        f"{big['actor']} -> {big['toward']} ({big['kind']})", big["from"], big["to"]]
                srows.append(row)
        cols = ["round"] + (["issue"] if len(issues) > 1 else []) + ["moves", "largest move", "from", "to"]
        total = sum(counts.values())
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no moves"
        tables.append(Table("Expected utility: moves (summary)", cols, srows,
                            f"{total} moves in all ({summary}); every move in --json details.moves"))
        return tables + unsettled

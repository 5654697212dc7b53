"""Bueno de Mesquita's expected-utility ("challenge") model, as Scholz et al. (2011) rebuilt it.

Each round every actor ``i`` weighs, against every other actor ``j``, the expected
utility of challenging ``j`` (``a = E^i(U_ij)``) and of being challenged by ``j``
(``b = E^i(U_ji)``), eq. (25a/b).  The pair falls into a region of Fig. 6
(confrontation, compromise, capitulation, stalemate); ``i`` picks one of the
offers it receives (section 6.2) and all moves are applied at once.  Risk
exponents come from security levels in a first pass with ``r = 1`` (eqs. 32-34,
33).  The forecast is the weighted median (the Condorcet winner, eqs. 26-29)
after the last round.

The module has two layers:

* :func:`eu_round` - one round, vectorised over a leading batch (draw) axis and
  over actors (``[draw, n, n]`` arrays).  No Python loop over actors or dyads.
  The win probabilities of all ``n^2`` dyads, with the all-pairs denominator,
  cost O(n^2 log n) per draw: prefix sums over voters sorted by position
  (:func:`win_probability`, :func:`_numerator_sorted`).
* :func:`simulate` - the rounds, with scenario events applied at their round,
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

from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.scenario.model import Scenario

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
#: elements of one [draw, actor, actor] array per chunk of draws in the batch core
BATCH_ELEMENTS = 2**17


def weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
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


def win_probability(
    x: np.ndarray,
    dist: np.ndarray,
    w: np.ndarray,
    r_vote: np.ndarray | None,
    mode: str,
    counts: np.ndarray | None = None,
    method: str = "sorted",
    presorted: bool = False,
) -> np.ndarray:
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
    pair, O(n^3) (kept to cross-check the sorted method).
    """
    B, n, _ = dist.shape
    d = dist if r_vote is None else dist ** r_vote[:, :, None]  # d[b, k, a]
    G = w[:, :, None] * d
    if method == "direct":
        A = _vote_sums(d, w)
        S = G.sum(axis=1)
        N = 0.5 * (A + S[:, None, :] - S[:, :, None])
        np.maximum(N, 0.0, out=N)
    else:
        N = _numerator_sorted(x, G, closer_counts(x) if counts is None else counts, presorted)
    if mode == "all-pairs":
        Gs = np.sort(G, axis=-1)
        coef = 2.0 * np.arange(n) - n + 1.0
        D = 2.0 * (Gs @ coef).sum(axis=-1)
        # N = 0 where x_u = x_v (identical columns of G), so P = 0 there
        N /= np.where(D > 0, D, np.inf)[:, None, None]
        return N
    A = N + np.swapaxes(N, 1, 2) if method != "direct" else A
    with np.errstate(invalid="ignore", divide="ignore"):
        P = np.where(A > 0, N / np.where(A > 0, A, 1.0), 0.5)
    return np.where(dist == 0.0, 0.0, P)


def _base_utility(base: np.ndarray, r: np.ndarray | None) -> np.ndarray:
    """``2 - 4 base^r`` (eqs. 15, 16, 22-24); ``base`` is clipped at 0; ``r=None`` means 1."""
    base = np.maximum(base, 0.0)
    return 2.0 - 4.0 * (base if r is None else base**r)


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
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``a[b,i,j] = E^i(U_ij)`` and ``b[b,i,j] = E^i(U_ji)``, eq. (25a/b).

    ``E^p(U_uv) = s (P_uv U_s + (1-P_uv) U_f) + (1-s) U_s - Q U_sq - (1-Q)(T U_b + (1-T) U_w)``
    with ``U_s = 2 - 4(0.5 - 0.5|x_u - x_v|/R)^r`` (15), ``U_f = 2 - 4(0.5 + 0.5|x_u - x_v|/R)^r``
    (16), ``U_sq = 2 - 4 (0.5)^r`` (24), ``U_b``/``U_w`` from (22)/(23) with
    ``(|x_u - mu| + |x_u - x_v|)/R``.  ``s`` is the target's salience (the challenger
    ``j``'s own in ``b`` under ``resist_salience="printed-25b"``); ``r`` is the
    evaluator ``i``'s exponent (the challenger's own under ``perspective_r="own"``);
    ``r=None`` means every ``r = 1`` (the first pass).  ``want`` selects which of
    ``a`` and ``b`` to compute (the other is returned as None).
    """
    Q = opt.Q
    if Q < 1.0:
        dmu = np.abs(x - mu[:, None]) / R[:, None]  # |x_u - mu| / R
    cache: dict[int, tuple] = {}

    def utilities(rr):
        key = id(rr)
        if key not in cache:
            Us = _base_utility(0.5 - 0.5 * dist, rr)
            cache[key] = (Us, Us - _base_utility(0.5 + 0.5 * dist, rr),
                          0.0 if rr is None else _base_utility(np.full_like(rr, 0.5), rr))
        return cache[key]

    def one(Pm, sres, rr, dm):
        Us, dU, Usq = utilities(rr)
        # s (P U_s + (1-P) U_f) + (1-s) U_s - Q U_sq  =  U_s - s (1-P)(U_s - U_f) - Q U_sq
        out = Us - sres * (1.0 - Pm) * dU
        if Q != 0.0 and rr is not None:
            out -= Q * Usq  # U_sq = 0 when r = 1
        if Q < 1.0:
            dsum = dm + dist
            Ub = _base_utility(0.5 - 0.25 * dsum, rr)
            Uw = _base_utility(0.5 + 0.25 * dsum, rr)
            T = (dm < dist).astype(float) if opt.T == "closer-to-median" else float(opt.T)
            out -= (1.0 - Q) * (T * Ub + (1.0 - T) * Uw)
        return out

    ri = None if r is None else r[:, :, None]  # evaluator i (rows)
    rb = ri if (r is None or opt.perspective_r == "evaluator") else r[:, None, :]  # challenger j in b
    sj = s[:, None, :]
    a = one(P, sj, ri, dmu[:, :, None] if Q < 1.0 else None) if want[0] else None
    b = None
    if want[1]:
        si = sj if opt.resist_salience == "printed-25b" else s[:, :, None]
        b = one(np.swapaxes(P, 1, 2), si, rb, dmu[:, None, :] if Q < 1.0 else None)
    return a, b


def _risk_exponents(sec: np.ndarray) -> np.ndarray:
    """Eqs. (34) and (33): ``R_i = (2 Sec_i - max - min)/(max - min)``, ``r_i = (1 - R_i/3)/(1 + R_i/3)``.

    When every security level is equal (``max = min``) ``R_i = 0`` and ``r_i = 1``.
    """
    hi = sec.max(axis=-1, keepdims=True)
    lo = sec.min(axis=-1, keepdims=True)
    spread = hi - lo
    ok = spread > 1e-12 * np.maximum(1.0, np.maximum(np.abs(hi), np.abs(lo)))
    Rk = np.where(ok, (2.0 * sec - hi - lo) / np.where(ok, spread, 1.0), 0.0)
    return (1.0 - Rk / 3.0) / (1.0 + Rk / 3.0)


def _pick(mask: np.ndarray, key: np.ndarray, offer: np.ndarray, orig: np.ndarray) -> np.ndarray:
    """Per row: the column with the smallest ``key`` among ``mask`` (each row has one).

    Ties (within 1e-12 relative) go to the lowest offer position, then to the first
    actor in input order (``orig[row, j]``: input index of column ``j``).
    """
    k = np.where(mask, key, np.inf)
    best = k.min(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        tied = k <= best + 1e-12 * np.maximum(np.abs(best), 1.0)  # inf where masked out
        o = np.where(tied, offer, np.inf)
        low = o.min(axis=-1, keepdims=True)
        tied = o <= low + 1e-12 * np.maximum(np.abs(low), 1.0)
    return np.argmin(np.where(tied, orig, np.iinfo(np.intp).max), axis=-1)


@dataclass
class RoundResult:
    """One round for a batch: ``[B, n]`` arrays (``target`` -1 where no move)."""

    x: np.ndarray
    target: np.ndarray
    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray
    r: np.ndarray
    median: np.ndarray | None  # before the round (computed only when Q < 1)


def eu_round(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, R: np.ndarray, opt: ExpectedUtilityOptions
) -> RoundResult:
    """One round of the model for a batch of draws (Appendix steps 2-11).

    Parameters
    ----------
    x, c, s : ndarray ``[B, n]``
        Positions, capabilities and saliences (fractions) of the ``n`` actors
        taking part, for ``B`` independent draws.
    R : ndarray ``[B]``
        The range ``x_max - x_min`` used to normalise distances (positive).
    opt : ExpectedUtilityOptions

    Returns
    -------
    RoundResult
        New positions (moves applied simultaneously), for each actor the actor it
        moved toward, the region (``KIND_*``), the two expected utilities
        ``a = E^i(U_ij)`` and ``b = E^i(U_ji)`` of the chosen dyad, the risk
        exponents and (when ``Q < 1``, where the T-term needs it) the median
        before the round.
    """
    B, n = x.shape
    # work in ascending order of position (voters sorted for the prefix sums);
    # ``order[b, k]`` is the input index of sorted actor k; ties keep input order
    order = np.argsort(x, axis=1, kind="stable")
    x = np.take_along_axis(x, order, axis=1)
    c = np.take_along_axis(c, order, axis=1)
    s = np.take_along_axis(s, order, axis=1)
    w = c * s
    mu = weighted_median(x, w) if opt.Q < 1.0 else None  # only the T-term (Q < 1) needs it
    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    # pass 1: r = 1 (steps 2-7), security levels, risk exponents (steps 8-9)
    counts = closer_counts(x)
    P1 = win_probability(x, dist, w, None, opt.probability_mode, counts, presorted=True)
    adversary = opt.security == "adversary"
    a1, b1 = expected_utilities(x, s, dist, P1, None, mu, R, opt, want=(not adversary, adversary))
    src = b1 if adversary else a1
    src[:, np.arange(n), np.arange(n)] = 0.0  # j != i
    # sum over j in input order (as the reference loops), not in sorted order
    inv = np.empty_like(order)
    np.put_along_axis(inv, order, np.arange(n)[None, :].repeat(B, 0), axis=1)
    sec = np.take_along_axis(src, np.broadcast_to(inv[:, None, :], src.shape), axis=2).sum(axis=-1)
    r = _risk_exponents(sec)
    # pass 2 with the computed r (step 10 -> 4..7)
    P2 = (win_probability(x, dist, w, r, opt.probability_mode, counts, presorted=True)
          if opt.vote_risk == "voter-r" else P1)
    a, b = expected_utilities(x, s, dist, P2, r, mu, R, opt)
    # step 11: regions of Fig. 6 from the receiver i's point of view; offers are
    # evaluated only on the rows (receivers) that have a candidate of that region
    differ = dist > 0.0
    stages = []
    if opt.conflict_moves:
        stages.append((KIND_CONFRONTATION, differ & (b > a) & (a > 0)))
    stages.append((KIND_COMPROMISE, differ & (b > 0) & (a < 0) & (b > -a)))
    if opt.capitulation:
        stages.append((KIND_CAPITULATION, differ & (b > 0) & (a < 0) & (-a >= b)))
    kind = np.full((B, n), KIND_NONE)
    target = np.full((B, n), -1)
    new_x = x.copy()
    sel_a = np.full((B, n), np.nan)
    sel_b = np.full((B, n), np.nan)
    undecided = np.ones((B, n), dtype=bool)
    for code, mask in stages:
        rb, ri = np.nonzero(mask.any(axis=-1) & undecided)
        if rb.size == 0:
            continue
        m = mask[rb, ri]  # [rows, n] candidates j of receiver (rb, ri)
        xr = x[rb]
        xir = x[rb, ri][:, None]
        ar, br = a[rb, ri], b[rb, ri]
        if code == KIND_COMPROMISE:
            with np.errstate(invalid="ignore", divide="ignore"):
                offer = xir + (xr - xir) * np.abs(ar / np.where(br != 0, br, 1.0))
                if opt.offer_rule == "weighted-position":
                    aa, bb = np.abs(ar), np.abs(br)
                    key = (aa * xir + bb * xr) / (aa + bb)
                else:
                    key = np.abs(offer - xir)
        else:
            offer = xr
            key = np.abs(xr - xir)
        idx = _pick(m, key, offer, order[rb])
        pick = np.arange(rb.size)
        kind[rb, ri] = code
        target[rb, ri] = idx
        new_x[rb, ri] = offer[pick, idx]
        sel_a[rb, ri] = ar[pick, idx]
        sel_b[rb, ri] = br[pick, idx]
        undecided[rb, ri] = False
    target = np.where(target >= 0, np.take_along_axis(order, np.maximum(target, 0), axis=1), -1)

    def unsort(v: np.ndarray) -> np.ndarray:
        out = np.empty_like(v)
        np.put_along_axis(out, order, v, axis=1)
        return out

    return RoundResult(unsort(new_x), unsort(target), unsort(kind), unsort(sel_a), unsort(sel_b), unsort(r), mu)


# ----------------------------------------------------------------- driver


@dataclass
class Change:
    """An event's change at array level on one issue (``index`` into the actor axis)."""

    index: int
    field: str  # position, salience, capability, enter, leave
    value: float = np.nan
    position: float = np.nan
    salience: float = np.nan
    capability: float = np.nan


@dataclass
class Trajectory:
    """What :func:`simulate` returns for one issue and a batch of draws."""

    positions: np.ndarray  # [rounds + 1, B, N] (NaN where inactive)
    median: np.ndarray  # [rounds + 1, B]
    mean: np.ndarray  # [rounds + 1, B]
    stopped: np.ndarray  # [B] round after which the stopping rule held (-1: never)
    # per round, draw 0 only: (mover, toward, kind, a, b, from, to)
    moves: list[list[tuple]] = field(default_factory=list)
    risk: list[np.ndarray] = field(default_factory=list)  # per round [N] r of draw 0 (NaN inactive)
    ranges: list[float] = field(default_factory=list)


def simulate(
    x: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    active: np.ndarray,
    opt: ExpectedUtilityOptions,
    events: dict[int, list[Change]] | None = None,
    scale: float | None = None,
    log: bool = False,
) -> Trajectory:
    """Run ``opt.rounds`` rounds on one issue for ``B`` draws.

    ``x``, ``c``, ``s``: ``[B, N]`` over every actor that ever takes part (NaN/any
    value where inactive); ``active``: ``[N]`` at the start.  ``events[t]`` are applied
    (to every draw) at the start of round ``t`` (``t = 0`` and ``t = 1`` both before
    the first round's moves; round 0 of the history shows the state after round-0
    events).  Draws for which the stopping rule holds keep their positions.
    """
    events = events or {}
    x = np.array(x, dtype=float)
    c = np.array(c, dtype=float)
    s = np.array(s, dtype=float)
    active = np.array(active, dtype=bool)
    B, N = x.shape
    T = opt.rounds

    def apply(t: int) -> None:
        for ch in events.get(t, []):
            if ch.field == "position":
                x[:, ch.index] = ch.value
            elif ch.field == "salience":
                s[:, ch.index] = ch.value
            elif ch.field == "capability":
                c[:, ch.index] = ch.value
            elif ch.field == "leave":
                active[ch.index] = False
            elif ch.field == "enter":
                active[ch.index] = True
                x[:, ch.index], s[:, ch.index], c[:, ch.index] = ch.position, ch.salience, ch.capability

    def stats(idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        xs, ws = x[:, idx], c[:, idx] * s[:, idx]
        return weighted_median(xs, ws), weighted_mean(xs, ws)

    apply(0)
    idx = np.flatnonzero(active)
    span = lambda ii: (x[:, ii].max(axis=1) - x[:, ii].min(axis=1)) if ii.size else np.zeros(B)  # noqa: E731
    if opt.range == "scale" and scale is not None:
        R = np.full(B, float(scale))
    else:
        R = span(idx)
    positions = np.full((T + 1, B, N), np.nan)
    med = np.full((T + 1, B), np.nan)
    mean = np.full((T + 1, B), np.nan)
    positions[0][:, idx] = x[:, idx]
    med[0], mean[0] = stats(idx)
    stopped = np.full(B, -1)
    calm = np.zeros(B, dtype=int)
    traj = Trajectory(positions, med, mean, stopped)
    for t in range(1, T + 1):
        apply(t)
        idx = np.flatnonzero(active)
        cur = span(idx)
        if opt.range == "per-round":
            R = cur
        elif opt.range == "fixed":
            R = np.maximum(R, cur)  # equals the initial range unless an event widens it
        Rsafe = np.where(R > 0, R, 1.0)
        if idx.size >= 2:
            res = eu_round(x[:, idx], c[:, idx], s[:, idx], Rsafe, opt)
            frozen = stopped >= 0
            newx = np.where(frozen[:, None], x[:, idx], res.x)
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


def _issue_setup(scenario: Scenario, col: int, universe: list[str]):
    """Arrays ``[N]`` over the actor universe for issue ``col`` plus array-level events."""
    iid = scenario.issue_ids[col]
    a = scenario.arrays()
    N = len(universe)
    n0 = len(a.actors)
    x = np.full(N, np.nan)
    c = np.ones(N)
    s = np.zeros(N)
    act = np.zeros(N, dtype=bool)
    x[:n0], c[:n0], s[:n0], act[:n0] = a.position[:, col], a.capability[:, col], a.salience[:, col], a.active[:, col]
    pos_of = {aid: k for k, aid in enumerate(universe)}
    events: dict[int, list[Change]] = {}
    for ev in scenario.events:
        if ev.round is None:
            continue
        for ch in ev.changes:
            k = pos_of[ch.actor]
            if ch.field == "leave":
                events.setdefault(ev.round, []).append(Change(k, "leave"))
            elif ch.field == "enter":
                ad = ch.actor_data
                if iid in ad.positions:
                    events.setdefault(ev.round, []).append(
                        Change(k, "enter", position=ad.positions[iid], salience=ad.saliences[iid] / 100.0,
                               capability=ad.capability_on(iid))
                    )
            elif ch.field == "capability" and ch.issue in (None, iid):
                events.setdefault(ev.round, []).append(Change(k, "capability", float(ch.value)))
            elif ch.field == "position" and ch.issue == iid:
                events.setdefault(ev.round, []).append(Change(k, "position", float(ch.value)))
            elif ch.field == "salience" and ch.issue == iid:
                events.setdefault(ev.round, []).append(Change(k, "salience", float(ch.value) / 100.0))
    return x, c, s, act, events


def _universe(scenario: Scenario) -> list[str]:
    ids = list(scenario.actor_ids)
    for ev in sorted((e for e in scenario.events if e.round is not None), key=lambda e: e.round):
        for ch in ev.changes:
            if ch.field == "enter" and ch.actor not in ids:
                ids.append(ch.actor)
    return ids


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
    round (or when the median has moved less than ``tolerance`` for ``k`` rounds).

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
    Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno de
    Mesquita's group decision model. *Journal of Theoretical Politics* 23(4),
    510-531 (ICAART 2011, pp. 18-30): eqs. (15), (16), (22)-(25), (28)-(29),
    (31), (33)-(36), Fig. 6, section 6.2, the Appendix algorithm.
    Bueno de Mesquita, B. (1994). Political forecasting: an expected utility
    method. In *European Community Decision Making*, Yale UP, ch. 4.
    Bueno de Mesquita, B. (1985). The war trap revisited. *American Political
    Science Review* 79(1), 156-177 (security levels, p. 157).
    """

    name = "expected-utility"
    label = "Expected utility (BDM)"
    Options = ExpectedUtilityOptions
    vectorised = True

    # ------------------------------------------------------------ single run
    def _run(self, scenario: Scenario, rng):
        opt = self.options
        universe = _universe(scenario)
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
        for col, iss in enumerate(scenario.issues):
            x, c, s, act, events = _issue_setup(scenario, col, universe)
            tr = simulate(x[None], c[None], s[None], act, opt, events, scale=iss.span, log=True)
            stop = int(tr.stopped[0])
            last = stop if stop >= 0 else T
            # after a stop the state is frozen: the recorded rounds repeat it
            positions[:, :, col] = tr.positions[:, 0, :]
            history_median[iss.id] = tr.median[:, 0].tolist()
            history_mean[iss.id] = tr.mean[:, 0].tolist()
            forecast[iss.id] = float(tr.median[last, 0])
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
            "forecast_rule": "weighted median (Condorcet winner) after the last round",
        }
        undated = [e.id or e.description for e in scenario.events if e.round is None]
        if undated:
            details["events_ignored"] = undated
        result = self.make_result(
            scenario, forecast,
            history={"positions": pos_list, "median": history_median, "mean": history_mean},
            details=details,
        )
        result.actors = list(universe)
        return result

    # ------------------------------------------------------------ batch core
    def forecast_batch(self, batch: ScenarioBatch, rng=None) -> np.ndarray:
        """Final medians ``[draw, issue]`` for a batch of draws, vectorised over draws.

        Which actors take part on an issue is read from the first draw (NaN
        position = not taking part).  Draws are processed in chunks of about
        :data:`BATCH_ELEMENTS` / n^2 draws, so memory stays flat (a few MB per
        chunk) whatever the number of draws.
        """
        return self.trajectory_batch(batch)["median"][:, -1, :]

    def trajectory_batch(self, batch: ScenarioBatch) -> dict[str, np.ndarray]:
        """Medians and means per round: ``{"median": [draw, round, issue], "mean": ...}``."""
        opt = self.options
        scen = batch.base
        universe = _universe(scen)
        D = batch.draws
        m = len(scen.issues)
        n0 = len(scen.actors)
        med = np.full((D, opt.rounds + 1, m), np.nan)
        mean = np.full_like(med, np.nan)
        for col, iss in enumerate(scen.issues):
            x1, c1, s1, act, events = _issue_setup(scen, col, universe)
            N = len(universe)
            act[:n0] = ~np.isnan(batch.position[0, :, col])
            n_act = max(2, int(act.sum()))
            # ~2^17 elements per [draw, actor, actor] temporary keeps a chunk in cache
            chunk = max(1, min(D, BATCH_ELEMENTS // (n_act * n_act)))
            for lo in range(0, D, chunk):
                hi = min(D, lo + chunk)
                x = np.broadcast_to(x1, (hi - lo, N)).copy()
                c = np.broadcast_to(c1, (hi - lo, N)).copy()
                s = np.broadcast_to(s1, (hi - lo, N)).copy()
                x[:, :n0] = batch.position[lo:hi, :, col]
                c[:, :n0] = batch.capability[lo:hi, :, col]
                s[:, :n0] = batch.salience[lo:hi, :, col]
                tr = simulate(x, c, s, act, opt, events, scale=iss.span)
                med[lo:hi, :, col] = tr.median.T
                mean[lo:hi, :, col] = tr.mean.T
        return {"median": med, "mean": mean}

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
        rows = []
        for t in range(nr):
            row: list[Any] = [t]
            for iid in issues:
                row += [med[iid][t], mean[iid][t]]
            rows.append(row)
        stops = [f"{iid} after round {r}" for iid, r in stopped.items() if r is not None]
        note = f"median and mean per round, preset {result.options.get('preset')}"
        if stops:
            note += f"; stopping rule met: {', '.join(stops)} (later rounds repeat it)"
        tables = [Table("Expected utility: rounds", cols, rows, note)]
        frows = []
        for iid in issues:
            v = result.forecast.get(iid)
            iss = scenario.issue(iid) if iid in scenario.issue_ids else None
            p = iss.nearest_point(v) if (iss is not None and v is not None and np.isfinite(v)) else None
            frows.append([iid, v, mean.get(iid, [None])[-1], f"{p.value:g}: {p.label}" if p else "-"])
        tables.append(Table("Expected utility: forecast", ["issue", "median", "mean", "nearest labelled point"],
                            frows, "the forecast is the weighted median after the last round"))
        # The model need not converge (Scholz et al. 2011): say where the median still jumps.
        urows = []
        for iid in issues:
            tail = [v for v in med.get(iid, [])[-4:] if v is not None]
            iss = scenario.issue(iid) if iid in scenario.issue_ids else None
            span = iss.span if iss is not None else 0.0
            if len(tail) > 1 and span > 0 and max(tail) - min(tail) > 0.05 * span:
                urows.append([iid, ", ".join(f"{v:.1f}" for v in tail), max(tail) - min(tail)])
        unsettled = []
        if urows:
            unsettled.append(Table(
                "Expected utility: unsettled forecasts", ["issue", "median in the last rounds", "range"], urows,
                "the median still moves by more than 5% of the scale near the end: read the forecast as one "
                "point of an oscillation, and see the rounds table (--details) or simulate",
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

"""Voting power: Shapley-Shubik and Banzhaf indices of weighted voting games.

A weighted voting game ``[q; w_1, ..., w_n]``: a coalition wins when its total
weight reaches the quota ``q`` (``>= q``; ``strict=True``: ``> q``).  Player ``i``
*swings* a winning coalition ``S`` when ``S`` without ``i`` loses.

* **Banzhaf** (1965): ``beta_i`` = swings of ``i`` / total swings of all players
  (normalised); the *absolute* (Penrose) index is swings / ``2^(n-1)``, the chance
  that ``i`` decides the vote when every other player votes yes or no at random.
* **Shapley-Shubik** (1954): ``phi_i`` = share of the ``n!`` orderings in which ``i``
  is pivotal = sum over swings of ``(|S| - 1)! (n - |S|)! / n!``.

In realpolitik the game of one issue is the actors' weights ``c_i s_i`` (capability x
salience, the weights of the median-voter and compromise models) with a majority
quota: a coalition that holds more than half the weight carries the issue.  The
indices answer "whose weight can tip the outcome", which the weight shares alone do
not: a weight can be a dummy (zero power) and equal weights can hold unequal power.

Computation, vectorised over a leading batch (draw) axis ``[B, n]``:

* exact for ``n <= EXACT_MAX_N`` by enumerating all ``2^n`` coalitions at once
  (a ``[2^n, n]`` membership matrix; the batch is cut into chunks so that no
  temporary exceeds :data:`CHUNK_ELEMENTS`);
* Monte Carlo above that (seeded): random orderings for Shapley-Shubik, random
  coalitions for Banzhaf, with binomial standard errors.

Real-valued weights are compared with the quota to a relative tolerance of
:data:`TOLERANCE` of the total weight, so that a coalition holding exactly the
quota is not lost to round-off.

References
----------
[ShapleyShubik1954] Shapley, L. S. & Shubik, M. (1954). A method for evaluating the distribution of
power in a committee system. *American Political Science Review* 48(3), 787-792.
[Banzhaf1965] Banzhaf, J. F. (1965). Weighted voting doesn't work: a mathematical analysis.
*Rutgers Law Review* 19, 317-343 (the Nassau County Board example).
[Felsenthal1998] Felsenthal, D. S. & Machover, M. (1998). *The Measurement of Voting Power*.
Edward Elgar, ch. 3 (definitions; the EEC Council of Ministers 1958 example).
[Straffin1993] Straffin, P. D. (1993). *Game Theory and Strategy*. MAA, ch. 16 (UN Security Council).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: largest number of players computed exactly (2^n coalitions)
EXACT_MAX_N = 20
#: elements of the largest [draw, player, coalition] temporary
CHUNK_ELEMENTS = 2**23
#: relative tolerance (of the total weight) when comparing a coalition's weight with the quota
TOLERANCE = 1e-12
#: default Monte Carlo sample size (orderings and coalitions) above EXACT_MAX_N
DEFAULT_SAMPLES = 20_000


@dataclass
class PowerIndices:
    """Indices of a batch of games: arrays ``[B, n]`` (``se`` only for Monte Carlo)."""

    shapley_shubik: np.ndarray
    banzhaf: np.ndarray  # normalised (sums to 1 where any player swings)
    banzhaf_absolute: np.ndarray  # swings / 2^(n-1)
    method: str  # "exact" or "monte-carlo"
    samples: int = 0
    shapley_shubik_se: np.ndarray | None = None
    banzhaf_se: np.ndarray | None = None


@lru_cache(maxsize=8)
def _coalitions(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Membership ``[2^n, n]`` (float), coalition sizes ``[2^n]``, index of ``S - {i}`` ``[n, 2^n]``."""
    idx = np.arange(1 << n, dtype=np.int64)
    bits = (idx[:, None] >> np.arange(n)) & 1
    without = idx[None, :] & ~(np.int64(1) << np.arange(n, dtype=np.int64))[:, None]
    return bits.astype(float), bits.sum(axis=1), without


@lru_cache(maxsize=8)
def _shapley_weights(n: int) -> np.ndarray:
    """``(s - 1)! (n - s)! / n!`` for coalition sizes ``s = 0..n`` (0 for ``s = 0``)."""
    out = np.zeros(n + 1)
    for s in range(1, n + 1):
        out[s] = math.exp(math.lgamma(s) + math.lgamma(n - s + 1) - math.lgamma(n + 1))
    return out


def _wins(total: np.ndarray, quota: np.ndarray, scale: np.ndarray, strict: bool) -> np.ndarray:
    tol = TOLERANCE * scale
    return total > quota + tol if strict else total >= quota - tol


def power_indices(
    weights: np.ndarray,
    quota: float | np.ndarray,
    strict: bool = False,
    method: str = "auto",
    samples: int = DEFAULT_SAMPLES,
    rng: np.random.Generator | int | None = None,
) -> PowerIndices:
    """Shapley-Shubik and Banzhaf indices of the games ``[quota; weights]``.

    Parameters
    ----------
    weights
        ``[n]`` or ``[B, n]``, non-negative.
    quota
        A number or ``[B]``: the weight a coalition needs (``>=``; ``> quota`` when
        ``strict``).  For a majority of the weight use ``0.5 * weights.sum(-1)`` with
        ``strict=True`` (:func:`majority_indices`).
    method
        ``"exact"``, ``"monte-carlo"`` or ``"auto"`` (exact up to :data:`EXACT_MAX_N` players).
    samples, rng
        Monte Carlo sample size and seed.

    Returns
    -------
    PowerIndices
        Arrays ``[B, n]`` (``[1, n]`` for a single game).  Where no coalition wins (or
        the grand coalition cannot) the indices are 0.
    """
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    if w.ndim != 2:
        raise ValueError(f"weights must be [n] or [B, n], got shape {np.shape(weights)}")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative")
    B, n = w.shape
    q = np.broadcast_to(np.asarray(quota, dtype=float), (B,)).astype(float)
    if method == "auto":
        method = "exact" if n <= EXACT_MAX_N else "monte-carlo"
    if method == "exact":
        if n > EXACT_MAX_N + 4:
            raise ValueError(f"exact power indices need 2^n coalitions; n = {n} is too many (use monte-carlo)")
        return _exact(w, q, strict)
    if method == "monte-carlo":
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        return _monte_carlo(w, q, strict, int(samples), gen)
    raise ValueError(f"unknown method {method!r}: expected exact, monte-carlo or auto")


def majority_indices(weights: np.ndarray, **kw) -> PowerIndices:
    """Indices of the simple-majority game: a coalition wins with more than half the weight."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    return power_indices(w, 0.5 * w.sum(axis=-1), strict=True, **kw)


def _exact(w: np.ndarray, q: np.ndarray, strict: bool) -> PowerIndices:
    B, n = w.shape
    if n == 0:
        z = np.zeros((B, 0))
        return PowerIndices(z, z, z, "exact")
    M, size, without = _coalitions(n)
    sw = _shapley_weights(n)[size]  # [2^n]
    ss = np.zeros((B, n))
    swings = np.zeros((B, n))
    step = max(1, CHUNK_ELEMENTS // (n << n))
    for lo in range(0, B, step):
        hi = min(B, lo + step)
        total = w[lo:hi] @ M.T  # [b, 2^n]
        scale = w[lo:hi].sum(axis=-1, keepdims=True)
        win = _wins(total, q[lo:hi, None], scale, strict)  # [b, 2^n]
        # i swings S: S wins, S - {i} loses, i in S (else S - {i} = S)
        sw_mask = win[:, None, :] & ~win[:, without]  # [b, n, 2^n]
        swings[lo:hi] = sw_mask.sum(axis=-1)
        ss[lo:hi] = sw_mask @ sw
    tot = swings.sum(axis=-1, keepdims=True)
    bz = np.divide(swings, tot, out=np.zeros_like(swings), where=tot > 0)
    return PowerIndices(ss, bz, swings / float(1 << (n - 1)), "exact")


def _monte_carlo(w: np.ndarray, q: np.ndarray, strict: bool, samples: int, gen: np.random.Generator) -> PowerIndices:
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    B, n = w.shape
    ss = np.zeros((B, n))
    bz_rate = np.zeros((B, n))
    chunk = max(1, CHUNK_ELEMENTS // (4 * max(1, n)))
    for b in range(B):
        wb, qb, scale = w[b], q[b], w[b].sum()
        piv = np.zeros(n)
        sw = np.zeros(n)
        for lo in range(0, samples, chunk):
            k = min(samples, lo + chunk) - lo
            # Shapley-Shubik: the player whose arrival first makes the coalition win
            order = np.argsort(gen.random((k, n)), axis=1)
            win = _wins(np.cumsum(wb[order], axis=1), qb, scale, strict)
            first = np.argmax(win, axis=1)
            ok = win[np.arange(k), first]
            piv += np.bincount(order[np.arange(k), first][ok], minlength=n)
            # Banzhaf: random coalitions; i swings when S - {i} loses and S + {i} wins
            member = gen.random((k, n)) < 0.5
            without_i = (member.astype(float) @ wb)[:, None] - wb[None, :] * member
            sw += (~_wins(without_i, qb, scale, strict) & _wins(without_i + wb[None, :], qb, scale, strict)).sum(axis=0)
        ss[b] = piv / samples
        bz_rate[b] = sw / samples
    tot = bz_rate.sum(axis=-1, keepdims=True)
    bz = np.divide(bz_rate, tot, out=np.zeros_like(bz_rate), where=tot > 0)
    ss_se = np.sqrt(ss * (1 - ss) / samples)
    bz_se = np.divide(np.sqrt(bz_rate * (1 - bz_rate) / samples), tot, out=np.zeros_like(bz_rate), where=tot > 0)
    return PowerIndices(ss, bz, bz_rate, "monte-carlo", samples, ss_se, bz_se)

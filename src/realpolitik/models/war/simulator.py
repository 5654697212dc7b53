"""The war simulator: battles move a front line, both sides learn, they settle when a deal exists.

Vectorised over Monte Carlo draws (NumPy, a seeded ``np.random.Generator``; the
batch axis is processed in chunks so memory stays bounded).  One run (design doc
3.3, extended):

1. each draw has its own true per-battle win probability of side A, its own
   Beta beliefs ``(a_A, b_A)``, ``(a_B, b_B)`` and its own credibility premiums;
2. before every battle the sides settle if a deal exists that both prefer to
   fighting on: A needs ``x >= E_A[V_A(k)] + premium_A`` and its domestic
   win-set bound, B needs ``1 - x >= E_B[V_B(k)] + premium_B`` and its bound
   (and, if a ceasefire line shifts future power, the line must lie in the
   ceasefire peace set judged by each side's own belief);
   the terms are the constrained Nash solution (:func:`constrained_nash`);
3. otherwise one battle is fought: ``k -> k ± 1`` and both sides apply the
   Beta update to the same outcome; scheduled battle events (e.g. Kursk) add
   their evidence;
4. the run stops at a settlement, a military victory (``k = 0`` or ``N``) or
   ``max_battles``.

``V_i(k; p)`` is the exact value of fighting on (gambler's ruin with per-battle
costs and discounting, :func:`~realpolitik.models.war.mechanisms.war_value`);
``E_F[V]`` integrates it over the side's Beta belief.  The gambler's ruin front
line with non-common priors is Smith & Stam (2004) [K]; the settlement test with
subjective values, the credibility premium, the win-set clip and the ceasefire
constraint together form a **derived** reduced form for realpolitik [D], not a
published model.

References
----------
Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6).
Slantchev, B. L. (2003). The principle of convergence in wartime negotiations.
*APSR* 97(4) (settlement before military victory, [V] abstract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from realpolitik.models.war.mechanisms import (
    ceasefire_line_bounds,
    ceasefire_thresholds,
    constrained_nash,
    war_value,
)

CONTINUING, SETTLED, A_VICTORY, B_VICTORY = 0, 1, 2, 3
OUTCOME_NAMES = {CONTINUING: "continuing", SETTLED: "settled", A_VICTORY: "A victory", B_VICTORY: "B victory"}


@dataclass(frozen=True)
class CeasefireParams:
    """Ceasefire line that shifts future power (design doc 3.5, derived [D])."""

    p_shift: float
    kappa: float
    x_sq: float  # status-quo line, A-share units
    d_A: float
    d_B: float
    delta: float


@dataclass(frozen=True)
class WarParams:
    """Everything deterministic about a war run (per-draw values are arguments).

    ``lower[t]`` / ``upper[t]`` are the domestic win-set bounds on A's share
    before battle ``t + 1`` (``-inf`` / ``+inf`` = unconstrained), length
    ``max_battles + 1`` (or ``[draw, max_battles + 1]``: per-draw bounds).  ``battle_events`` lists ``(step, a_won, weight)``
    applied just before the settlement test at ``step >= 1``.
    """

    N: int = 10
    k0: int = 5
    kappa_A: float = 0.01
    kappa_B: float = 0.01
    delta: float = 1.0
    max_battles: int = 36
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    battle_events: tuple[tuple[int, bool, float], ...] = ()
    ceasefire: CeasefireParams | None = None
    belief_eval: Literal["quadrature", "plug_in"] = "quadrature"
    quadrature_nodes: int = 32
    quadrature_panels: int = 8

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        T = self.max_battles + 1
        lo = np.full(T, -np.inf) if self.lower is None else np.asarray(self.lower, float)
        hi = np.full(T, np.inf) if self.upper is None else np.asarray(self.upper, float)
        if lo.shape[-1] != T or hi.shape[-1] != T or lo.ndim > 2 or hi.ndim > 2:
            raise ValueError(f"lower/upper must have shape [T] or [draw, T] with T = max_battles + 1 = {T}")
        return lo, hi


@dataclass
class WarPaths:
    """Per-draw results: outcome code, the step it ended (battles fought), A's share if settled."""

    outcome: np.ndarray  # int8 [D]
    end_step: np.ndarray  # int [D]; max_battles for continuing runs
    terms: np.ndarray  # float [D]; NaN unless settled
    first_ev: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))  # [D, 2] E_A[V_A], E_B[V_B] at t=0
    belief_end: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))  # [D, 2] E[p] of A and of B at the end
    k_end: np.ndarray = field(default_factory=lambda: np.empty(0, int))  # front position at the end
    # corner solutions: +1 terms raised to A's bounds (win-set, ceasefire), -1 lowered to B's, 0 interior
    clipped: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))


# ------------------------------------------------------------ belief integration
def composite_gauss_legendre(nodes: int, panels: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of composite Gauss-Legendre on (0, 1): ``panels`` x ``nodes``."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(0.0, 1.0, panels + 1)
    half = np.diff(edges) / 2.0
    mid = (edges[:-1] + edges[1:]) / 2.0
    pts = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    wts = (half[:, None] * w[None, :]).ravel()
    return pts, wts


class BeliefIntegrator:
    """``E_{Beta(a,b)}[f(k; p)]`` for tabulated ``f`` (rows: front positions).

    ``quadrature``: composite Gauss-Legendre over the Beta density, self-normalised
    (the Beta function cancels); very concentrated beliefs (``a + b`` above
    ``plug_in_above``) use the plug-in value, which is then exact to the
    integration error.  ``plug_in``: ``f`` at the mean ``a/(a+b)``, solved
    exactly per draw (one vectorised tridiagonal solve).
    """

    def __init__(self, tables_fn, mode: str = "quadrature", nodes: int = 32, panels: int = 8, plug_in_above: float = 5e3):
        self.mode = mode
        self.nodes, self.weights = composite_gauss_legendre(nodes, panels)
        self.lognode = np.log(self.nodes)
        self.log1mnode = np.log1p(-self.nodes)
        self.tables_fn = tables_fn
        self.tables = [np.asarray(t, float) for t in tables_fn(self.nodes)]  # each [G, N+1]
        self.logs = np.stack([np.log(self.nodes), np.log1p(-self.nodes)])  # [2, G]
        self.plug_in_above = plug_in_above
        self.dedupe = True

    def plug_in(self, a, b, k, which=None) -> list[np.ndarray]:
        m = a / (a + b)
        rows = np.arange(m.size)
        tabs = self.tables_fn(m)
        return [np.asarray(tabs[i])[rows, k] for i in (range(len(tabs)) if which is None else which)]

    def expect(self, a, b, k, which=None) -> list[np.ndarray]:
        """Expectations of the tables ``which`` (default all), for draws with beliefs
        ``(a, b)`` at positions ``k``.

        Draws that share a belief state ``(a, b, k)`` (all draws of a run start from
        the same priors, so at step ``t`` there are at most ``t + 1`` states) are
        evaluated once; once the states stop repeating (per-draw priors), the check is
        skipped until :meth:`reset`.
        """
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        k = np.asarray(k)
        if self.mode == "quadrature" and self.dedupe and a.size > 64:
            keys = np.stack([a, b, k.astype(float)], axis=1)
            uniq, inv = np.unique(keys, axis=0, return_inverse=True)
            if uniq.shape[0] < a.size // 2:
                vals = self._expect(uniq[:, 0], uniq[:, 1], uniq[:, 2].astype(int), which)
                return [v[inv.ravel()] for v in vals]
            self.dedupe = False
        return self._expect(a, b, k, which)

    def reset(self) -> None:
        self.dedupe = True

    def _expect(self, a, b, k, which=None) -> list[np.ndarray]:
        if self.mode == "plug_in":
            return self.plug_in(a, b, k, which)
        idx = range(len(self.tables)) if which is None else which
        logw = np.stack([a - 1.0, b - 1.0], axis=1) @ self.logs  # [D, G]
        logw -= logw.max(axis=1, keepdims=True)
        np.exp(logw, out=logw)
        logw *= self.weights
        w = logw
        w /= w.sum(axis=1, keepdims=True)
        rows = np.arange(a.size)
        out = [(w @ self.tables[i])[rows, k] for i in idx]  # [D, N+1] by BLAS, then pick k
        sharp = (a + b) > self.plug_in_above
        if sharp.any():
            pi = self.plug_in(a[sharp], b[sharp], k[sharp], which)
            for o, v in zip(out, pi):
                o[sharp] = v
        return out


def value_tables(N: int, kappa_A: float, kappa_B: float, delta: float, with_pwin: bool):
    """``p -> [V_A (G, N+1), V_B (G, N+1)(, P_win_A)]``: exact values of fighting on."""

    def fn(p):
        p = np.asarray(p, float)
        VA = war_value(p, N, kappa_A, delta)  # A wins at N
        VB = war_value(1.0 - p, N, kappa_B, delta)[..., ::-1]  # B wins at 0
        out = [VA, VB]
        if with_pwin:
            out.append(war_value(p, N, 0.0, 1.0))
        return out

    return fn


# ------------------------------------------------------------------ simulator
def simulate_war(
    params: WarParams,
    p_true: np.ndarray,
    belief_A: tuple[np.ndarray, np.ndarray],
    belief_B: tuple[np.ndarray, np.ndarray],
    premium_A: np.ndarray | float = 0.0,
    premium_B: np.ndarray | float = 0.0,
    rng: np.random.Generator | None = None,
    chunk: int = 20_000,
    integrator: BeliefIntegrator | None = None,
) -> WarPaths:
    """Simulate ``len(p_true)`` wars (see the module docstring).  Pure given ``rng``.

    ``belief_A``/``belief_B`` are per-draw Beta pseudo-counts ``(a, b)`` over A's
    per-battle win probability; ``premium_*`` the per-draw credibility premiums
    (shares).  Random numbers: one uniform per draw and battle step (used or not),
    drawn in chunk order, so a fixed seed (and chunk size) gives identical paths and
    draw ``d`` sees the same battle luck in every what-if.
    """
    rng = np.random.default_rng() if rng is None else rng
    p_true = np.asarray(p_true, float)
    D = p_true.shape[0]
    aA, bA = (np.broadcast_to(np.asarray(v, float), (D,)).copy() for v in belief_A)
    aB, bB = (np.broadcast_to(np.asarray(v, float), (D,)).copy() for v in belief_B)
    pA = np.broadcast_to(np.asarray(premium_A, float), (D,)).copy()
    pB = np.broadcast_to(np.asarray(premium_B, float), (D,)).copy()
    if integrator is None:
        integrator = make_integrator(params)
    integrator.reset()
    lo_t, hi_t = params.bounds()
    events: dict[int, list[tuple[bool, float]]] = {}
    for step, a_won, weight in params.battle_events:
        if step >= 1:
            events.setdefault(int(step), []).append((bool(a_won), float(weight)))
    outcome = np.zeros(D, np.int8)
    end = np.full(D, params.max_battles, int)
    terms = np.full(D, np.nan)
    first = np.zeros((D, 2))
    k_end = np.zeros(D, int)
    clipped = np.zeros(D, np.int8)
    for s in range(0, D, chunk):
        e = min(D, s + chunk)
        _run_chunk(
            params, integrator, lo_t if lo_t.ndim == 1 else lo_t[s:e], hi_t if hi_t.ndim == 1 else hi_t[s:e],
            events, rng,
            p_true[s:e], aA[s:e], bA[s:e], aB[s:e], bB[s:e], pA[s:e], pB[s:e],
            outcome[s:e], end[s:e], terms[s:e], first[s:e], k_end[s:e], clipped[s:e],
        )  # fmt: skip
    belief_end = np.stack([aA / (aA + bA), aB / (aB + bB)], axis=1)
    return WarPaths(outcome, end, terms, first, belief_end, k_end, clipped)


def make_integrator(params: WarParams) -> BeliefIntegrator:
    return BeliefIntegrator(
        value_tables(params.N, params.kappa_A, params.kappa_B, params.delta, params.ceasefire is not None),
        params.belief_eval,
        params.quadrature_nodes,
        params.quadrature_panels,
    )


def _run_chunk(params, integ, lo_t, hi_t, events, rng, p, aA, bA, aB, bB, pA, pB, outcome, end, terms, first, k, clipped):
    n = p.shape[0]
    k[:] = params.k0
    alive = np.ones(n, bool)
    cf = params.ceasefire
    for t in range(params.max_battles + 1):
        for a_won, weight in events.get(t, ()):
            if a_won:
                aA += weight
                aB += weight
            else:
                bA += weight
                bB += weight
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        kk = k[idx]
        cfw = cf is not None
        exA = integ.expect(aA[idx], bA[idx], kk, (0, 2) if cfw else (0,))
        exB = integ.expect(aB[idx], bB[idx], kk, (1, 2) if cfw else (1,))
        evA, evB = exA[0], exB[0]
        if t == 0:
            first[idx, 0] = evA
            first[idx, 1] = evB
        war_lo = evA + pA[idx]
        war_hi = 1.0 - (evB + pB[idx])
        lower = np.maximum(lo_t[t] if lo_t.ndim == 1 else lo_t[idx, t], 0.0)
        upper = np.minimum(hi_t[t] if hi_t.ndim == 1 else hi_t[idx, t], 1.0)
        if cf is not None:
            gA, gB = ceasefire_thresholds(exA[1], exB[1], cf.d_A, cf.d_B, cf.delta)
            clo, chi = ceasefire_line_bounds(gA, gB, cf.p_shift, cf.kappa, cf.x_sq)
            lower = np.maximum(lower, clo)
            upper = np.minimum(upper, chi)
        wl, wh = np.clip(war_lo, 0.0, 1.0), np.clip(war_hi, 0.0, 1.0)
        x = constrained_nash(wl, wh, lower, upper)
        x = np.where(war_lo <= war_hi, x, np.nan)
        deal = np.isfinite(x)
        if deal.any():
            di = idx[deal]
            mid = (wl[deal] + wh[deal]) / 2.0
            clipped[di] = np.where(x[deal] > mid + 1e-12, 1, np.where(x[deal] < mid - 1e-12, -1, 0))
            outcome[di] = SETTLED
            end[di] = t
            terms[di] = x[deal]
            alive[di] = False
        if t == params.max_battles:
            break
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        # one uniform per draw and battle (alive or not): draw d always gets the same
        # numbers, so what-ifs that change who settles keep common random numbers
        won = rng.random(n)[idx] < p[idx]
        k[idx] += np.where(won, 1, -1)
        aA[idx] += won
        aB[idx] += won
        bA[idx] += ~won
        bB[idx] += ~won
        ka = k[idx]
        vic_a = ka >= params.N
        vic_b = ka <= 0
        if vic_a.any():
            outcome[idx[vic_a]] = A_VICTORY
            end[idx[vic_a]] = t + 1
            alive[idx[vic_a]] = False
        if vic_b.any():
            outcome[idx[vic_b]] = B_VICTORY
            end[idx[vic_b]] = t + 1
            alive[idx[vic_b]] = False

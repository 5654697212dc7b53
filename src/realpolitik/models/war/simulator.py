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
[SmithStam2004] Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6).
[Slantchev2003] Slantchev, B. L. (2003). The principle of convergence in wartime negotiations.
*APSR* 97(4) (settlement before military victory, [V] abstract).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any, Literal

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
    ``max_battles + 1`` (or ``[draw, max_battles + 1]``: per-draw bounds; or
    ``[row, max_battles + 1]`` with ``rows``, each draw's row: draws of one scenario draw share theirs).  ``battle_events`` lists ``(step, a_won, weight)``
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
    battle_events: tuple[tuple[int, bool, Any], ...] = ()  # weight: a number, or one per draw
    rows: np.ndarray | None = None  # each draw's row of lower/upper (None: a row per draw, or one for all)
    ceasefire: CeasefireParams | None = None
    belief_eval: Literal["quadrature", "plug_in"] = "quadrature"
    quadrature_nodes: int = 32
    quadrature_panels: int = 8

    def chunk_bounds(self, lo: np.ndarray, hi: np.ndarray, s: int, e: int) -> tuple[np.ndarray, np.ndarray]:
        """The bounds of draws ``s:e`` (one row, or one per draw)."""
        if self.rows is not None:
            r = self.rows[s:e]
            return (lo if lo.ndim == 1 else lo[r]), (hi if hi.ndim == 1 else hi[r])
        return (lo if lo.ndim == 1 else lo[s:e]), (hi if hi.ndim == 1 else hi[s:e])

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
        # states evaluated before (all tables), sorted by a hash of (a, b, k): the draws of a
        # forecast revisit the same belief states in every what-if and proposal batch
        # (the sorted keys point into append-only rows of states and values: a new state is
        # merged into the keys by position, nothing stored is moved)
        self._keys = np.empty(0, np.int64)
        self._slot = np.empty(0, np.int64)
        self._abk = np.empty((1024, 3))
        self._vals = np.empty((1024, len(self.tables)))
        self._size = 0
        self.cache_limit = 200_000

    def plug_in(self, a, b, k, which=None) -> list[np.ndarray]:
        m = a / (a + b)
        rows = np.arange(m.size)
        tabs = self.tables_fn(m)
        return [np.asarray(tabs[i])[rows, k] for i in (range(len(tabs)) if which is None else which)]

    def expect(self, a, b, k, which=None, codes=None) -> list[np.ndarray]:
        """Expectations of the tables ``which`` (default all), for draws with beliefs
        ``(a, b)`` at positions ``k``.

        Draws that share a belief state ``(a, b, k)`` (all draws of a run start from
        the same priors, so at step ``t`` there are at most ``t + 1`` states) are
        evaluated once; once the states stop repeating (per-draw priors), the check is
        skipped until :meth:`reset`.  ``codes`` (optional) are integer state codes the
        caller maintains (equal code implies equal ``(a, b, k)``): the states are then
        found without sorting.
        """
        a = np.asarray(a, float)
        b = np.asarray(b, float)
        k = np.asarray(k)
        if self.mode == "quadrature" and self.dedupe and a.size > 64:
            if codes is not None:
                n_states, first, inv = factorize(np.asarray(codes, np.int64))
            else:
                n_states, first, inv = factorize(state_codes(a, b, k))
            if n_states < a.size // 2:
                vals = self._expect_cached(a[first], b[first], k[first], which)
                return [v[inv] for v in vals]
            self.dedupe = False
        return self._expect(a, b, k, which)

    def _expect_cached(self, a, b, k, which=None) -> list[np.ndarray]:
        """:meth:`_expect` of distinct states, remembering every state evaluated (exact:
        a state is reused only when its ``a``, ``b`` and ``k`` are equal bit for bit)."""
        idx = range(len(self.tables)) if which is None else which
        kf = k.astype(float)
        h = (a.view(np.int64) * np.int64(1000003)) ^ (b.view(np.int64) * np.int64(998244353)) ^ (
            k.astype(np.int64) * np.int64(7919)
        )
        pos = np.searchsorted(self._keys, h)
        pos = np.minimum(pos, max(self._keys.size - 1, 0))
        hit = np.zeros(a.size, bool)
        if self._keys.size:
            row = self._slot[pos]
            hit = (self._keys[pos] == h) & (self._abk[row, 0] == a) & (self._abk[row, 1] == b) & (self._abk[row, 2] == kf)
        vals = np.empty((a.size, len(self.tables)))
        if hit.any():
            vals[hit] = self._vals[self._slot[pos[hit]]]
        miss = ~hit
        if miss.any():
            new = np.stack(self._expect(a[miss], b[miss], k[miss]), axis=1)
            vals[miss] = new
            m = int(miss.sum())
            if self._keys.size + m <= self.cache_limit:
                self._remember(h[miss], np.stack([a[miss], b[miss], kf[miss]], axis=1), new)
        return [vals[:, i] for i in idx]

    def _remember(self, h, abk, vals) -> None:
        """Append states and their values; merge their keys into the sorted keys (equal keys
        keep their order of arrival, as a stable sort would)."""
        m, n = h.size, self._size
        if n + m > self._abk.shape[0]:
            cap = max(2 * self._abk.shape[0], n + m)
            self._abk = np.concatenate([self._abk[:n], np.empty((cap - n, 3))])
            self._vals = np.concatenate([self._vals[:n], np.empty((cap - n, self._vals.shape[1]))])
        self._abk[n:n + m] = abk
        self._vals[n:n + m] = vals
        self._size = n + m
        order = np.argsort(h, kind="stable")
        at = np.searchsorted(self._keys, h[order], side="right")
        self._keys = np.insert(self._keys, at, h[order])
        self._slot = np.insert(self._slot, at, n + order)

    def reset(self) -> None:
        self.dedupe = True

    def _expect(self, a, b, k, which=None) -> list[np.ndarray]:
        if self.mode == "plug_in":
            return self.plug_in(a, b, k, which)
        idx = range(len(self.tables)) if which is None else which
        if a.size == 1:
            # BLAS takes another path for one row (its last bits differ): two rows keep a
            # state's value the same whichever states are evaluated with it
            return [v[:1] for v in self._expect(np.repeat(a, 2), np.repeat(b, 2), np.repeat(k, 2), which)]
        logw = np.stack([a - 1.0, b - 1.0], axis=1) @ self.logs  # [D, G]
        logw -= logw.max(axis=1, keepdims=True)
        np.exp(logw, out=logw)
        logw *= self.weights
        w = logw
        w /= w.sum(axis=1, keepdims=True)
        # only column k of each draw's row is needed: gather it ([G, D]) and take one dot per draw
        # instead of the whole [D, N+1] product (w @ table)
        out = [np.einsum("dg,gd->d", w, self.tables[i][:, k]) for i in idx]
        sharp = (a + b) > self.plug_in_above
        if sharp.any():
            pi = self.plug_in(a[sharp], b[sharp], k[sharp], which)
            for o, v in zip(out, pi):
                o[sharp] = v
        return out


def factorize(codes: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Distinct values of integer ``codes``: ``(count, representative index of each,
    inverse)`` with ``codes == codes[first][inverse]``.  Dense lookup (no sort) when the
    codes are small, ``np.unique`` otherwise."""
    n = codes.size
    top = int(codes.max()) + 1 if n else 1
    if codes.min(initial=0) >= 0 and top <= 64 * max(n, 1024):
        lut = np.full(top, -1, np.int64)
        lut[codes] = np.arange(n)
        present = np.flatnonzero(lut >= 0)
        rank = np.empty(top, np.int64)
        rank[present] = np.arange(present.size)
        return int(present.size), lut[present], rank[codes]
    uc, first, inv = np.unique(codes, return_index=True, return_inverse=True)
    return int(uc.size), first, inv.ravel()


def state_codes(*columns) -> np.ndarray:
    """Exact integer codes ``0..U-1`` of the rows of equal-length numeric columns
    (equal code if and only if equal row): one sort of a hash of the bits, checked for
    collisions (a collision falls back to factorising column by column)."""
    cols = [np.ascontiguousarray(np.asarray(c, float)) for c in columns]
    h = np.zeros(cols[0].size, np.int64)
    for i, c in enumerate(cols):
        h = (h * np.int64(1000003)) ^ (c.view(np.int64) * np.int64(998244353 + 2 * i))
    _, first, inv = np.unique(h, return_index=True, return_inverse=True)
    inv = inv.ravel()
    if all(np.array_equal(c[first][inv], c) for c in cols):
        return inv.astype(np.int64)
    code = np.zeros(cols[0].size, np.int64)
    for c in cols:
        _, ic = np.unique(c, return_inverse=True)
        _, code = np.unique(code * (int(ic.max()) + 1) + ic.ravel(), return_inverse=True)
        code = code.ravel().astype(np.int64)
    return code


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


# ------------------------------------------------------------------ battle luck
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser (Steele, Lea & Flood 2014), element-wise on uint64."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


class CounterLuck:
    """Battle luck by counter: the uniform of draw ``row`` at step ``t`` is a fixed
    function of ``(key, row, t)`` (SplitMix64 of a counter), computed only where it is
    needed.  A draw keeps its luck whatever other draws are simulated with it, and the
    luck of the draws a forecast keeps costs nothing for the draws it rejects."""

    def __init__(self, key: tuple[int, ...]):
        base = np.uint64(0x2545F4914F6CDD1D)
        for part in key:
            base = _splitmix64(np.asarray(base ^ np.uint64(int(part) % 2**64), np.uint64))
        self.base = np.uint64(base)

    def __call__(self, rows: np.ndarray, t: int) -> np.ndarray:
        """Uniforms on [0, 1) for draws ``rows`` at step ``t`` (``t < 4096``)."""
        with np.errstate(over="ignore"):
            ctr = np.asarray(rows, np.uint64) * np.uint64(4096) + np.uint64(t)
            z = _splitmix64(self.base + ctr * _GOLDEN)
        return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)

    def matrix(self, rows: np.ndarray, steps: int) -> np.ndarray:
        """``[len(rows), steps]`` uniforms (column ``t`` = step ``t``)."""
        return np.stack([self(rows, t) for t in range(steps)], axis=1) if steps else np.empty((len(rows), 0))


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
    k_start: np.ndarray | None = None,
    uniforms: np.ndarray | None = None,
    compiled: bool = False,
) -> WarPaths:
    """Simulate ``len(p_true)`` wars (see the module docstring).  Pure given ``rng``.

    ``belief_A``/``belief_B`` are per-draw Beta pseudo-counts ``(a, b)`` over A's
    per-battle win probability; ``premium_*`` the per-draw credibility premiums
    (shares).  Random numbers: one uniform per draw and battle step (used or not),
    drawn in chunk order, so a fixed seed (and chunk size) gives identical paths and
    draw ``d`` sees the same battle luck in every what-if.  ``k_start`` (per draw)
    overrides ``params.k0`` (wars that already have a past, :func:`condition_on_record`);
    ``uniforms`` ``[draw, max_battles]`` gives each draw its own battle luck (column
    ``t`` decides battle ``t + 1``) instead of ``rng``, so that a draw keeps its luck
    whatever other draws are simulated with it.  ``compiled``: wars with ``uniforms`` and no
    scheduled battle evidence run compiled (:mod:`realpolitik.models.war.record_kernel`,
    numba; the same numbers).
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
    events = _events(params.battle_events, 1, params.max_battles, D)
    outcome = np.zeros(D, np.int8)
    end = np.full(D, params.max_battles, int)
    terms = np.full(D, np.nan)
    first = np.zeros((D, 2))
    k_end = np.zeros(D, int)
    clipped = np.zeros(D, np.int8)
    ks = None if k_start is None else np.broadcast_to(np.asarray(k_start, int), (D,))
    for s in range(0, D, chunk):
        e = min(D, s + chunk)
        if compiled and uniforms is not None and not events:
            from realpolitik.models.war.record_kernel import compiled_future

            rows = None if params.rows is None else params.rows[s:e]  # else the chunk's own bounds
            if compiled_future(
                params, integrator, *((lo_t, hi_t) if rows is not None else params.chunk_bounds(lo_t, hi_t, s, e)), rows,
                p_true[s:e],
                aA[s:e], bA[s:e], aB[s:e], bB[s:e], pA[s:e], pB[s:e], outcome[s:e], end[s:e], terms[s:e], first[s:e],
                k_end[s:e], clipped[s:e], None if ks is None else ks[s:e], uniforms[s:e],
            ):  # fmt: skip
                continue
        _run_chunk(
            params, integrator, *params.chunk_bounds(lo_t, hi_t, s, e), _chunk_events(events, s, e), rng,
            p_true[s:e], aA[s:e], bA[s:e], aB[s:e], bB[s:e], pA[s:e], pB[s:e],
            outcome[s:e], end[s:e], terms[s:e], first[s:e], k_end[s:e], clipped[s:e],
            None if ks is None else ks[s:e], None if uniforms is None else uniforms[s:e],
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


def _events(battle_events, first: int, last: int, D: int) -> dict[int, list[tuple[bool, Any]]]:
    """``{step: [(a_won, weight), ...]}`` for steps ``first..last``; a weight is a number or
    an array of one weight per draw (``D``)."""
    out: dict[int, list[tuple[bool, Any]]] = {}
    for step, a_won, weight in battle_events:
        if first <= step <= last:
            w = float(weight) if np.ndim(weight) == 0 else np.broadcast_to(np.asarray(weight, float), (D,))
            out.setdefault(int(step), []).append((bool(a_won), w))
    return out


def _chunk_events(events, s: int, e: int):
    """The events of draws ``s:e`` (per-draw weights sliced)."""
    return _take_events(events, slice(s, e))


def _take_events(events, idx):
    """The events of draws ``idx`` (a slice or indices; per-draw weights taken)."""
    return {t: [(a, w if np.ndim(w) == 0 else w[idx]) for a, w in items] for t, items in events.items()}


def _event_columns(events) -> list[np.ndarray]:
    """The per-draw weights among ``events`` (they tell draws' states apart)."""
    return [w for items in events.values() for _, w in items if np.ndim(w) > 0]


def _acceptable(params, integ, lo_row, hi_row, aA, bA, aB, bB, k, pA, pB, codes=(None, None)):
    """What each side accepts now: ``(war_lo, war_hi, lower, upper)`` in A-share units.

    A accepts ``x >= max(war_lo, lower)`` and B ``x <= min(war_hi, upper)``:
    ``war_lo = E_A[V_A(k)] + premium_A`` and ``war_hi = 1 - E_B[V_B(k)] - premium_B``
    (the values of fighting on), ``lower``/``upper`` the domestic bounds and, with a
    ceasefire line, the peace set as each side judges it (clipped to [0, 1]).
    Also returns ``E_A[V_A]`` and ``E_B[V_B]``.
    """
    cf = params.ceasefire
    exA = integ.expect(aA, bA, k, (0, 2) if cf is not None else (0,), codes[0])
    exB = integ.expect(aB, bB, k, (1, 2) if cf is not None else (1,), codes[1])
    war_lo = exA[0] + pA
    war_hi = 1.0 - (exB[0] + pB)
    lower = np.maximum(lo_row, 0.0)
    upper = np.minimum(hi_row, 1.0)
    if cf is not None:
        gA, gB = ceasefire_thresholds(exA[1], exB[1], cf.d_A, cf.d_B, cf.delta)
        clo, chi = ceasefire_line_bounds(gA, gB, cf.p_shift, cf.kappa, cf.x_sq)
        lower = np.maximum(lower, clo)
        upper = np.minimum(upper, chi)
    return war_lo, war_hi, lower, upper, exA[0], exB[0]


def _deal(war_lo, war_hi, lower, upper):
    """Terms of the constrained Nash solution (NaN: no deal) and the unconstrained midpoint."""
    wl, wh = np.clip(war_lo, 0.0, 1.0), np.clip(war_hi, 0.0, 1.0)
    x = constrained_nash(wl, wh, lower, upper)
    return np.where(war_lo <= war_hi, x, np.nan), (wl + wh) / 2.0


def _row(arr, t, idx):
    return arr[t] if arr.ndim == 1 else arr[idx, t]


def _run_chunk(params, integ, lo_t, hi_t, events, rng, p, aA, bA, aB, bB, pA, pB, outcome, end, terms, first, k, clipped, k_start=None, U=None):
    n = p.shape[0]
    k[:] = params.k0 if k_start is None else k_start
    alive = np.ones(n, bool)
    # state codes: a draw's state at step t is its start state and its wins so far
    # (battle evidence is common to all draws), so equal codes mean equal states
    cols = _event_columns(events)  # per-draw evidence to come also tells states apart
    codeA = state_codes(aA, bA, k, *cols) * np.int64(params.max_battles + 1)
    codeB = state_codes(aB, bB, k, *cols) * np.int64(params.max_battles + 1)
    wins = np.zeros(n, np.int64)
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
        war_lo, war_hi, lower, upper, evA, evB = _acceptable(
            params, integ, _row(lo_t, t, idx), _row(hi_t, t, idx), aA[idx], bA[idx], aB[idx], bB[idx], k[idx],
            pA[idx], pB[idx], (codeA[idx] + wins[idx], codeB[idx] + wins[idx]),
        )  # fmt: skip
        if t == 0:
            first[idx, 0] = evA
            first[idx, 1] = evB
        x, mid = _deal(war_lo, war_hi, lower, upper)
        deal = np.isfinite(x)
        if deal.any():
            di = idx[deal]
            clipped[di] = np.where(x[deal] > mid[deal] + 1e-12, 1, np.where(x[deal] < mid[deal] - 1e-12, -1, 0))
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
        won = (rng.random(n)[idx] if U is None else U[idx, t]) < p[idx]
        wins[idx] += won
        _battle(params, k, aA, bA, aB, bB, idx, won, outcome, end, alive, t)


def _battle(params, k, aA, bA, aB, bB, idx, won, outcome, end, alive, t):
    """One battle for draws ``idx``: the front moves, both sides learn, ``k = 0, N`` ends the war."""
    k[idx] += np.where(won, 1, -1)
    aA[idx] += won
    aB[idx] += won
    bA[idx] += ~won
    bB[idx] += ~won
    ka = k[idx]
    for code, hit in ((A_VICTORY, ka >= params.N), (B_VICTORY, ka <= 0)):
        if hit.any():
            outcome[idx[hit]] = code
            end[idx[hit]] = t + 1
            alive[idx[hit]] = False


# ------------------------------------------------------------------ the war's past
@dataclass(frozen=True)
class Record:
    """What the war's past says, on the simulator's step grid (step 0 = the war's start).

    ``forced[g]`` is the outcome of battle ``g -> g + 1`` for the ``R = len(forced)``
    battles of the record: ``+1`` side A won, ``-1`` side B won, ``0`` not coded (drawn
    from the draw's true odds).  A consistent path strikes no deal at any step
    ``0..R`` (the war is still on at the origin), ends in no military victory, and at
    each of ``talks`` = ``(step, offering side 0/1, offered A-share)`` the other side
    would refuse the offer.  ``battle_events`` are ``(step, a_won, weight)`` evidence
    both sides observe (no front move), applied at steps ``1..R``.
    """

    forced: np.ndarray
    talks: tuple[tuple[int, int, float], ...] = ()
    battle_events: tuple[tuple[int, bool, float], ...] = ()

    @property
    def steps(self) -> int:
        return int(len(self.forced))


@dataclass
class RecordPaths:
    """Per-draw result of conditioning on the record: consistency and the state at step R."""

    consistent: np.ndarray  # bool [D]
    k: np.ndarray  # int [D]: front position at the origin
    aA: np.ndarray
    bA: np.ndarray
    aB: np.ndarray
    bB: np.ndarray
    failed: np.ndarray  # int8 [D]: 0 consistent, 1 a deal existed, 2 military victory, 3 a talk offer acceptable
    wins: np.ndarray  # int [D]: battles side A won in the record


def condition_on_record(
    params: WarParams,
    record: Record,
    p_true: np.ndarray,
    belief_A: tuple[np.ndarray, np.ndarray],
    belief_B: tuple[np.ndarray, np.ndarray],
    premium_A: np.ndarray | float = 0.0,
    premium_B: np.ndarray | float = 0.0,
    rng: np.random.Generator | None = None,
    chunk: int = 20_000,
    integrator: BeliefIntegrator | None = None,
    luck: CounterLuck | None = None,
    compiled: bool = False,
    lazy_premiums=None,
) -> RecordPaths:
    """Simulate every draw from the war's start through the record and keep the consistent ones.

    Battles with a coded outcome are forced, the others drawn from ``p_true`` (one
    uniform per draw and step); the settlement test of the forward simulator is run
    at every step ``0..R`` with the domestic bounds of those steps (``params.lower``/
    ``upper`` columns ``0..R``).  A draw is inconsistent when a deal exists at some
    step, the front reaches 0 or N, or the side receiving a recorded offer would have
    accepted it.  Rejection sampling: the kept draws are an exact sample of the
    model conditioned on the record (no weights).  ``luck`` (optional, a
    :class:`CounterLuck`) ties each draw's luck in the uncoded battles to the draw (row
    ``d`` of the batch), as ``uniforms`` do in :func:`simulate_war`; without it ``rng``
    draws one uniform per draw and step.  ``compiled``: draws that share few start states
    run compiled, all at once (:mod:`realpolitik.models.war.record_kernel`, numba; the same
    numbers), others in NumPy by chunks.  ``lazy_premiums(idx)`` (optional) gives the
    premiums of the draws ``idx``; ``premium_A``/``premium_B`` are then each side's largest
    possible premium, and the compiled walk asks only for the premiums of the draws that
    have no deal at the war's start even with those (the same numbers).
    """
    rng = np.random.default_rng() if rng is None else rng
    p_true = np.asarray(p_true, float)
    D = p_true.shape[0]
    R = record.steps
    aA, bA = (np.broadcast_to(np.asarray(v, float), (D,)).copy() for v in belief_A)
    aB, bB = (np.broadcast_to(np.asarray(v, float), (D,)).copy() for v in belief_B)
    integ = make_integrator(params) if integrator is None else integrator
    integ.reset()
    lo_t, hi_t = params.bounds()
    if lo_t.shape[-1] < R + 1 or hi_t.shape[-1] < R + 1:
        raise ValueError(f"the domestic bounds cover {lo_t.shape[-1]} steps, the record needs {R + 1}")
    events = _events(record.battle_events, 1, R, D)
    talks: dict[int, list[tuple[int, float]]] = {}
    for step, side, x in record.talks:
        talks.setdefault(int(step), []).append((int(side), float(x)))
    forced = np.asarray(record.forced, np.int8)
    k = np.full(D, params.k0, int)
    failed = np.zeros(D, np.int8)
    wins = np.zeros(D, int)
    if compiled and luck is not None and D:
        from realpolitik.models.war.record_kernel import compiled_record

        # all draws at once (the compiled walk needs a few numbers a draw, not [draw, step] arrays)
        if lazy_premiums is not None:
            pA, pB, lazy = float(premium_A), float(premium_B), lazy_premiums
        else:
            pA, pB, lazy = _premiums(premium_A, premium_B, D) + (None,)
        if compiled_record(params, integ, lo_t, hi_t, params.rows, forced, events, talks, p_true, aA, bA, aB, bB, pA,
                           pB, k, failed, wins, luck, 0, lazy):  # fmt: skip
            return RecordPaths(failed == 0, k, aA, bA, aB, bB, failed, wins)
    if lazy_premiums is not None:
        premium_A, premium_B = lazy_premiums(np.arange(D))
    pA, pB = _premiums(premium_A, premium_B, D)
    for s in range(0, D, chunk):
        e = min(D, s + chunk)
        _record_chunk(
            params, integ, *params.chunk_bounds(lo_t, hi_t, s, e), forced,
            _chunk_events(events, s, e), talks, rng, p_true[s:e], aA[s:e], bA[s:e], aB[s:e], bB[s:e], pA[s:e], pB[s:e], k[s:e],
            failed[s:e], wins[s:e], None if luck is None else (lambda rows, t, s=s: luck(rows + s, t)),
        )  # fmt: skip
    return RecordPaths(failed == 0, k, aA, bA, aB, bB, failed, wins)


def _premiums(premium_A, premium_B, D: int) -> tuple[np.ndarray, np.ndarray]:
    return tuple(np.broadcast_to(np.asarray(v, float), (D,)) for v in (premium_A, premium_B))  # type: ignore[return-value]


def _cumulated(events, n: int):
    """Each side's evidence cumulated by step, ``(A, B)``: functions of the step ``t``
    giving the evidence of the events at steps ``<= t`` (one number, or one per draw when
    ``n``); the sums of a cumulative sum over steps, the events of a step added in order."""
    steps = sorted(events)
    levels = {True: [], False: []}
    cum = {True: np.zeros(n) if n else 0.0, False: np.zeros(n) if n else 0.0}
    for t in steps:
        step = {True: np.zeros(n) if n else 0.0, False: np.zeros(n) if n else 0.0}
        for a_won, weight in events[t]:
            step[a_won] = step[a_won] + weight
        for side in (True, False):
            cum[side] = cum[side] + step[side]
            levels[side].append(cum[side])

    def at(side):
        zero = np.zeros(n) if n else 0.0
        return lambda t: levels[side][i - 1] if (i := bisect.bisect_right(steps, t)) else zero

    return at(True), at(False)


def _record_chunk(params, integ, lo_t, hi_t, forced, events, talks, rng, p, aA, bA, aB, bB, pA, pB, k, failed, wins, U=None):
    """The record for one chunk.

    Whether a draw is consistent does not depend on the order in which its steps are
    checked.  The war's start is checked first (no battle yet: most rejected draws go
    there); then the survivors' whole paths are laid out (coded battles forced, the others
    drawn), paths that reach either end of the front are rejected, and the settlement
    test runs from the origin backwards (beliefs are most alike late in the record, where
    deals appear), so that rejected draws cost as few tests as possible.
    """
    n = p.shape[0]
    R = forced.size
    # evidence both sides observe, cumulated by step (applied before the step's test)
    cols = _event_columns(events)
    evA, evB = _cumulated(events, n if cols else 0)
    ev = (lambda E, t, idx: E(t)[idx]) if cols else (lambda E, t, idx: E(t))  # noqa: E731
    cA = state_codes(aA, bA, k, *cols) * np.int64(R + 1)
    cB = state_codes(aB, bB, k, *cols) * np.int64(R + 1)
    alive = np.ones(n, bool)

    def test(t, idx, w_t, k_t):
        l_t = t - w_t
        eA, eB = ev(evA, t, idx), ev(evB, t, idx)
        war_lo, war_hi, lower, upper, _, _ = _acceptable(
            params, integ, _row(lo_t, t, idx), _row(hi_t, t, idx), aA[idx] + w_t + eA, bA[idx] + l_t + eB,
            aB[idx] + w_t + eA, bB[idx] + l_t + eB, k_t, pA[idx], pB[idx], (cA[idx] + w_t, cB[idx] + w_t),
        )  # fmt: skip
        wl, wh = np.clip(war_lo, 0.0, 1.0), np.clip(war_hi, 0.0, 1.0)
        bad = (war_lo <= war_hi) & (np.maximum(wl, lower) <= np.minimum(wh, upper))  # a deal exists
        failed[idx[bad]] = 1
        for side, offer in talks.get(t, ()):
            # the receiving side refused: an offer it would have accepted is inconsistent
            acc = offer >= np.maximum(wl, lower) if side == 1 else offer <= np.minimum(wh, upper)
            failed[idx[acc & ~bad]] = 3
            bad |= acc
        alive[idx[bad]] = False

    idx = np.arange(n)
    test(0, idx, np.zeros(n, np.int64), k)
    # the paths of the draws still consistent: won[t] decides battle t -> t + 1
    idx = np.flatnonzero(alive)
    m = idx.size
    won = np.empty((R, m), bool)
    for t in range(R):
        won[t] = (forced[t] > 0) if forced[t] != 0 else ((rng.random(n)[idx] if U is None else U(idx, t)) < p[idx])
    cumw = np.zeros((R + 1, m), np.int64)  # battles A won before step t
    for t in range(R):  # (np.cumsum along the first axis is many times slower)
        np.add(cumw[t], won[t], out=cumw[t + 1])
    kt = k[idx][None, :] + 2 * cumw - np.arange(R + 1)[:, None]  # front position at step t
    ended = np.any((kt <= 0) | (kt >= params.N), axis=0)
    failed[idx[ended]] = 2
    alive[idx[ended]] = False
    pos = np.full(n, -1)
    pos[idx] = np.arange(m)
    for t in range(R, 0, -1):
        sub = np.flatnonzero(alive)
        if sub.size == 0:
            break
        j = pos[sub]
        test(t, sub, cumw[t, j], kt[t, j])
    # the state at the origin (step R) of the draws kept
    keep = np.flatnonzero(alive)
    j = pos[keep]
    wins[keep] = cumw[R, j]
    eA, eB = ev(evA, R, keep), ev(evB, R, keep)
    aA[keep] += cumw[R, j] + eA
    aB[keep] += cumw[R, j] + eA
    bA[keep] += (R - cumw[R, j]) + eB
    bB[keep] += (R - cumw[R, j]) + eB
    k[keep] = kt[R, j]

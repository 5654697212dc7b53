"""Stokman & Van Oosten's exchange of voting positions (equal gain, and random-rate REX).

Actors trade support: an actor concedes on an issue it cares less about in return for a
move of its partner on an issue it cares more about.  Every exchange moves the two
actors' *voting positions*; the outcome of an issue is the capability-and-salience
weighted mean of the voting positions.  Between rounds each actor's preference moves
part of the way toward its voting position, and the next round starts from there.

Rules, with their sources (S&VO = Stokman & Van Oosten 1994, the model; Decide = the
``decide-exchange-model`` package, v2025.3.1, its reference implementation; section numbers
refer to ``tests/data/anchors/decide/MODEL.md``, which documents Decide at
re-implementation level and names the package's functions and lines.  The 1994 chapter
was not at hand to cite equation numbers; the formulas below are checked against Decide's
code and reference outputs):

1. Outcome of issue d: ``O_d = sum_k c_kd s_kd x_kd / sum_k c_kd s_kd`` (S&VO;
   Decide ``calc_nbs``, section 4.1).  Saliences are the 0-1 fractions, positions are
   mapped to 0-100 per issue for the computation (Decide, section 3).
2. Candidates (S&VO; Decide section 4.3): for each issue pair (p, q), two actors
   on opposite sides of the outcome on both issues - (right, right) with (left, left), and
   (left, right) with (right, left).  The actor with the larger salience ratio
   ``s_p / s_q`` (I) demands p and supplies q; the other (J) demands q and supplies p.
3. Equal gain (S&VO; Decide section 4.4): J moves all the way to I's position on
   p, shifting the outcome by ``dp = |x_Ip - x_Jp| s_Jp c_Jp / sum_k c_kp s_kp``; I's shift
   of the outcome on q is ``dq = dp (s_Ip + s_Jp) / (s_Iq + s_Jq)``, which gives both the
   same gain ``|dp s_Ip - dq s_Iq|``.  If I would overshoot J's position on q, I moves to
   J's position instead and J's move is scaled down.
4. Outcome cap (Decide section 4.5): a move that would carry the (estimated) outcome on
   the supplied issue past the partner's position is cut so the outcome stops exactly at
   the partner's position; the partner's move shrinks in proportion.
5. Execution (S&VO; Decide section 4.1): exchanges are executed in order of
   gain; after each one, the candidates that share an actor-issue with it are recalculated
   (supply positions chained, demand-side effects recorded, section 4.6) and those that
   are no longer valid are dropped.  Ties (gains within ``tie_tolerance``) go to the
   candidate created first - Decide breaks them at random without a seed (section 2).
6. Between rounds (Decide ``new_start_position``, section 3): ``x' = sw (1 - s) y + fw y + (1 - (1 - s) sw - fw) x``
   with ``sw = 0.4`` (salience weight), ``fw = 0.1`` (fixed weight), x the preference and
   y the voting position after the round.
7. REX (random rate, Stokman & Van Oosten's "random exchange rate" variant; our
   parametrisation, docs/exchange.md): with ``p > 0`` each candidate's share of the gain
   that goes to I is ``lambda ~ U(0.5 - p/2, 0.5 + p/2)`` (0.5 is equal gain), i.e.
   ``dq = dp ((1-lambda) s_Ip + lambda s_Jp) / ((1-lambda) s_Iq + lambda s_Jq)``;
   exchanges are ranked by the mean of the two gains.  Draws come from the seeded
   generator; repetitions run as Monte Carlo draws (``forecast_batch``).

``mode="decide"`` reproduces Decide's outputs digit for digit: it computes in 28-digit
``decimal.Decimal`` with Decide's operation and summation order (``#D`` row order), and
counts an actor exactly on the outcome as "left".  The default ``mode="literature"``
computes in float64 (sums updated incrementally), leaves an actor exactly on the outcome
out of the exchanges on that issue (it is on neither side of the outcome, where S&VO look for partners), and allows
REX.  docs/exchange.md lists every difference.

References
----------
[StokmanVanOosten1994] Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: an
object-oriented model of policy networks. In B. Bueno de Mesquita & F. N. Stokman (eds.),
*European Community Decision Making: Models, Applications, and Comparisons* (pp. 105-127).
Yale University Press.

[Decide2025] decide-exchange-model, PyPI version 2025.3.1 (GitHub foarsitter/decide-exchange-model,
GPL-3.0): ``decide/model/equalgain.py``, ``base.py``, ``calculations.py``, ``utils.py``;
behaviour documented in ``tests/data/anchors/decide/MODEL.md``.  (No code of the package
is copied here; the algorithm is re-implemented from that description.)
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from realpolitik.models.stability import settle, stability_details
from realpolitik.models.base import Model, Result, ScenarioBatch, Table, register
from realpolitik.scenario.events import CAPABILITY, LEAVE, POSITION, SALIENCE, EventSchedule, event_schedule
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.nested import one_level_capability

MOVE_EPS = 1e-10  # Decide: |move| must exceed this (is_move_valid)
GAIN_EPS = 1e-10  # Decide: gain below this makes a candidate invalid


def _dec(v: float) -> Decimal:
    """The decimal a float was read from (15 significant digits recover file text)."""
    return Decimal(f"{float(v):.15g}")


# ====================================================================== set-up
@dataclass
class _ScaledInputs:
    """Numbers of one scenario draw on the internal 0-100 scale."""

    exact: bool  # Decimal (object arrays) or float64
    n: int
    m: int
    active: np.ndarray  # [n, m] bool
    x: np.ndarray  # [n, m] positions 0-100 (0 where inactive)
    s: np.ndarray  # [n, m] salience fraction
    c: np.ndarray  # [n, m] power
    order: list[np.ndarray]  # per issue, actor indices in summation order
    lower: np.ndarray  # [m] issue scale min (object or float)
    step: np.ndarray  # [m] 100 / (max - min)

    def zero(self):
        return Decimal(0) if self.exact else 0.0


def _setup_from_arrays(scenario: Scenario, cap, pos, sal, exact: bool, row_order=None) -> _ScaledInputs:
    ids = list(scenario.actor_ids)
    n, m = pos.shape
    # an actor with no salience or no power on an issue has nothing to trade there
    active = ~np.isnan(pos) & (sal > 0) & (cap > 0)
    if exact:
        x = np.empty((n, m), dtype=object)
        s = np.empty((n, m), dtype=object)
        c = np.empty((n, m), dtype=object)
        x[:] = Decimal(0)
        s[:] = Decimal(0)
        c[:] = Decimal(0)
        lower = np.empty(m, dtype=object)
        step = np.empty(m, dtype=object)
        for u, iss in enumerate(scenario.issues):
            lo, hi = _dec(iss.min), _dec(iss.max)
            lower[u] = lo
            step[u] = Decimal(100) / (hi - lo) if hi != lo else Decimal(0)
            for a in range(n):
                if active[a, u]:
                    x[a, u] = (_dec(pos[a, u]) - lo) * step[u]
                    s[a, u] = _dec(sal[a, u])
                    c[a, u] = _dec(cap[a, u])
    else:
        lower = np.array([i.min for i in scenario.issues], dtype=float)
        span = np.array([i.max - i.min for i in scenario.issues], dtype=float)
        step = 100.0 / span
        x = np.where(active, (np.nan_to_num(pos) - lower) * step, 0.0)
        s = np.where(active, sal, 0.0)
        c = np.where(active, cap, 0.0)
    order = []
    for u, iid in enumerate(scenario.issue_ids):
        listed = (row_order or {}).get(iid)
        idx = [ids.index(a) for a in listed if a in ids] if listed else []
        if sorted(idx) != sorted(np.nonzero(active[:, u])[0].tolist()):
            idx = np.nonzero(active[:, u])[0].tolist()
        order.append(np.array(idx, dtype=np.int64))
    return _ScaledInputs(exact, n, m, active, x, s, c, order, lower, step)


def _seqsum(terms: np.ndarray, exact: bool):
    """Sum along the last axis in order (Decide sums term by term)."""
    if not exact:
        return terms.sum(axis=-1)
    if terms.shape[-1] == 0:
        return np.full(terms.shape[:-1], Decimal(0), dtype=object)
    acc = terms[..., 0].copy()
    for j in range(1, terms.shape[-1]):
        acc = acc + terms[..., j]
    return acc


# ====================================================================== one round
@dataclass
class _RoundOut:
    voting: np.ndarray  # [n, m] voting positions after the round (0-100)
    moved: np.ndarray  # [n, m] bool
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    ties: int = 0
    candidates: int = 0


class _Round:
    """One round of exchanges on preferences ``x`` (Decide section 4, vectorised).

    Candidate state lives in flat arrays (one slot per candidate, creation order); the
    recalculation after each executed exchange touches only the candidates that share an
    actor-issue with it.  In exact mode the arrays hold Decimals and every sum runs in
    ``#D`` order; in float mode sums are cached per issue and updated by differences.
    """

    def __init__(self, st: _ScaledInputs, x: np.ndarray, *, strict_sides: bool,
                 tie_tolerance: float, tie_break: str, rng=None, p: float = 0.0):
        self.st = st
        self.exact = st.exact
        self.x0 = x
        # comparisons of object (Decimal) arrays may give object arrays; float ones are bool
        self._b = (lambda a: np.asarray(a, dtype=bool)) if self.exact else (lambda a: a)
        self.tie_tol = tie_tolerance
        self.tie_last = tie_break == "last-created"
        n, m = st.n, st.m
        Z = st.zero()
        act = st.active
        s, c = st.s, st.c
        # denominators and outcome (Decide calc_nbs: s*c summed; x*s*c summed in #D order)
        self.D = np.empty(m, dtype=object if self.exact else float)
        self.base = np.empty(m, dtype=object if self.exact else float)
        self.O = np.empty(m, dtype=object if self.exact else float)
        for u in range(m):
            o = st.order[u]
            self.D[u] = _seqsum(s[o, u] * c[o, u], self.exact) if len(o) else Z
            self.base[u] = _seqsum(x[o, u] * s[o, u] * c[o, u], self.exact) if len(o) else Z
            self.O[u] = self.base[u] / self.D[u] if self.D[u] != 0 else Z
        # padded summation order, and each actor's column in it
        nmax = max((len(o) for o in st.order), default=0)
        self.ORD = np.full((m, max(nmax, 1)), -1, dtype=np.int64)
        self.COL = np.full((m, n), -1, dtype=np.int64)
        for u, o in enumerate(st.order):
            self.ORD[u, : len(o)] = o
            self.COL[u, o] = np.arange(len(o))
        # sides
        if strict_sides:
            right = act & (x > self.O[None, :])
            left = act & (x < self.O[None, :])
        else:  # Decide: left = x <= O (an actor on the outcome counts as left)
            left = act & np.asarray(x <= self.O[None, :], dtype=bool)
            right = act & ~left
        self._generate(left, right, rng, p)

    # ------------------------------------------------------------ candidates
    def _generate(self, left, right, rng, p):
        st = self.st
        m = st.m
        g1s, g2s, ps, qs, grp = [], [], [], [], []
        for pi, qi in itertools.combinations(range(m), 2):
            both = (left[:, pi] | right[:, pi]) & (left[:, qi] | right[:, qi])
            A = np.nonzero(both & right[:, pi] & right[:, qi])[0]
            B = np.nonzero(both & left[:, pi] & right[:, qi])[0]
            C = np.nonzero(both & right[:, pi] & left[:, qi])[0]
            Dg = np.nonzero(both & left[:, pi] & left[:, qi])[0]
            for G1, G2, tag in ((A, Dg, 0), (B, C, 1)):
                if len(G1) and len(G2):
                    g1s.append(np.repeat(G1, len(G2)))
                    g2s.append(np.tile(G2, len(G1)))
                    k = len(G1) * len(G2)
                    ps.append(np.full(k, pi))
                    qs.append(np.full(k, qi))
                    grp.append(np.full(k, tag, dtype=np.int8))
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.empty(0, dt)  # noqa: E731
        g1, g2 = cat(g1s, np.int64), cat(g2s, np.int64)
        p_, q_ = cat(ps, np.int64), cat(qs, np.int64)
        self.N = N = len(g1)
        self.g1, self.g2, self.p, self.q, self.groups = g1, g2, p_, q_, cat(grp, np.int8)
        s, c, x = st.s, st.c, self.x0
        # roles: I has the larger salience ratio s_p / s_q (ties: I = g1)
        r1 = s[g1, p_] / s[g1, q_]
        r2 = s[g2, p_] / s[g2, q_]
        swap = np.asarray(r1 < r2, dtype=bool)
        self.I = np.where(swap, g2, g1)
        self.J = np.where(swap, g1, g2)
        I, J = self.I, self.J
        self.sIp, self.sIq, self.sJp, self.sJq = s[I, p_], s[I, q_], s[J, p_], s[J, q_]
        self.cIq, self.cJp = c[I, q_], c[J, p_]
        # one gather per calculation: sIp, sIq, sJp, sJq, cIq, cJp, D_p, D_q
        self.CONST = np.stack([self.sIp, self.sIq, self.sJp, self.sJq, self.cIq, self.cJp,
                               self.D[p_], self.D[q_]], axis=1) if N else np.empty((0, 8))
        self.xsI, self.xsJ = x[I, q_].copy(), x[J, p_].copy()  # supply positions (chained)
        self.xdI, self.xdJ = x[I, p_].copy(), x[J, q_].copy()  # demand positions (snapshots)
        self.startI, self.startJ = self.xsI.copy(), self.xsJ.copy()
        dt = object if self.exact else float
        Z = st.zero()
        mk = lambda: np.full(N, Z, dtype=dt)  # noqa: E731
        self.mI, self.mJ, self.yI, self.yJ = mk(), mk(), mk(), mk()
        self.dp, self.dq, self.gain = mk(), mk(), mk()
        self.euI, self.euJ = mk(), mk()
        self.n0I, self.n1I, self.n0J, self.n1J = mk(), mk(), mk(), mk()
        self.xbI, self.xbJ = mk(), mk()  # supply position at last calculation
        # moves lists: everything but the last element summarised, plus the last element
        self.preI, self.preJ = mk(), mk()
        self.negI, self.posI = np.ones(N, bool), np.ones(N, bool)
        self.negJ, self.posJ = np.ones(N, bool), np.ones(N, bool)
        self.hasI, self.hasJ = np.zeros(N, bool), np.zeros(N, bool)  # list non-empty
        self.capI, self.capJ = np.zeros(N, bool), np.zeros(N, bool)
        self.valid = np.zeros(N, bool)
        self.alive = np.ones(N, bool)
        self.upd: dict[tuple[int, int], dict[int, Any]] = {}
        if not self.exact:  # cached override sums for the two issues of each candidate
            self.updsum_q, self.updsum_p = np.zeros(N), np.zeros(N)
            self.updA_q, self.updA_p = np.zeros(N), np.zeros(N)
            self.hasA_q, self.hasA_p = np.zeros(N, bool), np.zeros(N, bool)
        # inverted indexes: candidates by (actor, supply issue) and (actor, demand issue)
        m_ = st.m
        self._idx = {}
        allkeys = np.arange(st.n * m_ + 1)
        for name, keys in (("supI", I * m_ + q_), ("supJ", J * m_ + p_), ("demI", I * m_ + p_), ("demJ", J * m_ + q_)):
            order = np.argsort(keys, kind="stable")
            bounds = np.searchsorted(keys[order], allkeys).tolist()
            self._idx[name] = (order, bounds)
        self._stamp = np.zeros(N, dtype=np.int64)  # scratch for de-duplication
        self._mark = np.zeros(N, dtype=bool)
        self._updf: dict[int, float] = {}  # float mode: (e, u, k) -> position, flat key
        if p > 0 and rng is not None:
            self.lam = rng.uniform(0.5 - p / 2, 0.5 + p / 2, size=N)
        else:
            self.lam = None
        self.calculate(np.arange(N), push_I=np.ones(N, bool), push_J=np.ones(N, bool))

    # ------------------------------------------------------------ outcome estimates
    def _wsum(self, K, u, A, t, first_then_updates: bool):
        """Sum of x s c on issue u (``#D`` order) for candidates K, A at t, with the updates.

        ``first_then_updates``: Decide's cap helper sets A first and then applies the
        candidate's updates (which may overwrite A); ``adjust_nbs`` applies the updates
        first and then A.
        """
        st = self.st
        # exact mode only; float mode uses cached sums (see _check_nbs)
        CH = 4096  # rows per block: a [rows, actors] matrix of Decimals stays small
        if len(K) > CH:
            return np.concatenate([
                self._wsum(K[i:i + CH], u[i:i + CH], A[i:i + CH], t[i:i + CH], first_then_updates)
                for i in range(0, len(K), CH)
            ])
        ordm = self.ORD[u]  # [K, nmax]
        pad = ordm < 0
        oc = np.where(pad, 0, ordm)
        xs = self.x0[oc, u[:, None]].copy()
        colA = self.COL[u, A]
        rows = np.arange(len(K))
        if first_then_updates:
            xs[rows, colA] = t
        for r, e in enumerate(K.tolist()):
            d = self.upd.get((e, int(u[r])))
            if d:
                for k, v in d.items():
                    col = self.COL[u[r], k]
                    if col >= 0:
                        xs[r, col] = v
        if not first_then_updates:
            xs[rows, colA] = t
        terms = xs * st.s[oc, u[:, None]] * st.c[oc, u[:, None]]
        terms[pad] = Decimal(0)
        return _seqsum(terms, True)

    def _adjust_nbs(self, K, u, A, t):
        return self._wsum(K, u, A, t, False) / self.D[u]

    # ------------------------------------------------------------ move checks
    def _mv(self, m, xs, pre, neg, pos):
        """Decide ``is_move_valid`` on the moves list (prefix summary + last element m)."""
        b = self._b
        am = np.abs(m)
        y = xs + m
        ok = b(am > MOVE_EPS) & b(am <= 100) & b(y >= 0) & b(y <= 100) & b(pre + m <= 100)
        return ok & ((neg & b(m < 0)) | (pos & b(m > 0)))

    # ------------------------------------------------------------ calculation
    def calculate(self, K, push_I, push_J):
        """Decide ``calculate`` (section 4.4 steps 1-6 and the cap 4.5) for candidates K.

        ``push_*``: the new move is appended to the actor's moves list (True) or replaces
        its last element (False).
        """
        if len(K) == 0:
            return
        b = self._b
        xsI, xsJ, xdI, xdJ = self.xsI[K], self.xsJ[K], self.xdI[K], self.xdJ[K]
        sIp, sIq, sJp, sJq, cIq, cJp, Sp, Sq = self.CONST[K].T
        lam = None if self.lam is None else self.lam[K]
        if lam is None:
            ratio_pq = lambda: (sJp + sIp) / (sJq + sIq)  # noqa: E731  dq = ratio * dp
            ratio_qp = lambda: (sIq + sJq) / (sIp + sJp)  # noqa: E731  dp = ratio * dq
        else:
            R = ((1 - lam) * sIp + lam * sJp) / ((1 - lam) * sIq + lam * sJq)
            ratio_pq = lambda: R  # noqa: E731
            ratio_qp = lambda: 1.0 / R  # noqa: E731
        dist_p = np.abs(xdI - xsJ)
        dp = (dist_p * sJp * cJp) / Sp
        dq = ratio_pq() * dp
        mI = (dq * Sq) / (cIq * sIq)
        mJ = dist_p
        dist_q = np.abs(xdJ - xsI)
        over = b(np.abs(mI) > dist_q)
        if over.any():
            dq2 = (dist_q * sIq * cIq) / Sq
            dp2 = ratio_qp() * dq2
            dq = np.where(over, dq2, dq)
            dp = np.where(over, dp2, dp)
            mI = np.where(over, dist_q, mI)
            mJ = np.where(over, (dp * Sp) / (cJp * sJp), mJ)
        mI = np.where(b(xsI > xdJ), -mI, mI)
        mJ = np.where(b(xsJ > xdI), -mJ, mJ)
        # moves lists: push (previous last joins the prefix) or replace the last element
        for pre, neg, pos, has, last, push in (
            (self.preI, self.negI, self.posI, self.hasI, self.mI, push_I),
            (self.preJ, self.negJ, self.posJ, self.hasJ, self.mJ, push_J),
        ):
            sel = K[push & has[K]]
            if len(sel):
                lv = last[sel]
                pre[sel] = pre[sel] + lv
                neg[sel] &= b(lv < 0)
                pos[sel] &= b(lv > 0)
            has[K] = True
        yI, yJ = xsI + mI, xsJ + mJ
        euI = np.abs(dq * sIq - dp * sIp)
        euJ = np.abs(dp * sJp - dq * sJq)
        gain = euI if lam is None else (euI + euJ) / 2
        valid = self._mv(mI, xsI, self.preI[K], self.negI[K], self.posI[K]) & self._mv(
            mJ, xsJ, self.preJ[K], self.negJ[K], self.posJ[K]
        )
        valid &= ~b(gain < GAIN_EPS)
        # store
        self.mI[K], self.mJ[K], self.yI[K], self.yJ[K] = mI, mJ, yI, yJ
        self.dp[K], self.dq[K], self.gain[K] = dp, dq, gain
        self.euI[K], self.euJ[K] = euI, euJ
        self.xbI[K], self.xbJ[K] = xsI, xsJ
        V = K[valid]
        if len(V):
            self._check_nbs(V, "I")
            self._check_nbs(V, "J")
            valid2 = self._mv(self.mI[V], self.xsI[V], self.preI[V], self.negI[V], self.posI[V]) & self._mv(
                self.mJ[V], self.xsJ[V], self.preJ[V], self.negJ[V], self.posJ[V]
            )
            valid[valid] = valid2
        self.valid[K] = valid

    def _check_nbs(self, V, who):
        """Decide ``check_nbs`` (section 4.5) for actor ``who`` of candidates V."""
        st = self.st
        if who == "I":
            A, B, u, w = self.I[V], self.J[V], self.q[V], self.p[V]
            xsA, xdA, xsB, xdB = self.xsI[V], self.xdI[V], self.xsJ[V], self.xdJ[V]
            yA = self.yI[V]
            sAu, cAu, sBu, sAw, sBw, cBw = self.sIq[V], self.cIq[V], self.sJq[V], self.sIp[V], self.sJp[V], self.cJp[V]
        else:
            A, B, u, w = self.J[V], self.I[V], self.p[V], self.q[V]
            xsA, xdA, xsB, xdB = self.xsJ[V], self.xdJ[V], self.xsI[V], self.xdI[V]
            yA = self.yJ[V]
            sAu, cAu, sBu, sAw, sBw, cBw = self.sJp[V], self.cJp[V], self.sIp[V], self.sJq[V], self.sIq[V], self.cIq[V]
        b = self._b
        if self.exact:
            n0 = self._adjust_nbs(V, u, A, xsA)
            n1 = self._adjust_nbs(V, u, A, yA)
        else:  # cached sums: sum = base + updates + A's own term (MODEL.md 4.2)
            slot = "q" if who == "I" else "p"
            us = getattr(self, f"updsum_{slot}")[V]
            hA = getattr(self, f"hasA_{slot}")[V]
            uA = getattr(self, f"updA_{slot}")[V]
            csA = sAu * cAu
            x0A = self.startI[V] if who == "I" else self.startJ[V]
            Du_all = self.D[u]
            common = self.base[u] + us - np.where(hA, csA * (uA - x0A), 0.0) - csA * x0A
            n0 = (common + csA * xsA) / Du_all
            n1 = (common + csA * yA) / Du_all
        x = xdB
        keep = (b(x >= n0) & b(x >= n1)) | (b(x <= n0) & b(x <= n1))
        F = ~keep
        n1_out = np.where(F, x, n1)
        if who == "I":
            self.n0I[V], self.n1I[V] = n0, n1_out
        else:
            self.n0J[V], self.n1J[V] = n0, n1_out
        if not F.any():
            return
        Vf = V[F]
        Af, uf, wf = A[F], u[F], w[F]
        if self.exact:
            tot = self._wsum(Vf, uf, Af, xsA[F], True)
        else:  # Decide sets A first, then the updates (which may overwrite A)
            tot = self.base[uf] + us[F] + np.where(hA[F], 0.0, csA[F] * (xsA[F] - x0A[F]))
        Du = self.D[uf]
        delta = np.abs((x[F] * Du - tot) / (st.s[Af, uf] * st.c[Af, uf]))
        r_u = (delta * sAu[F] * cAu[F]) / Du
        lam = None if self.lam is None else self.lam[Vf]
        if lam is None:
            r_w = ((sAu[F] + sBu[F]) / (sAw[F] + sBw[F])) * r_u
        else:
            R = ((1 - lam) * self.sIp[Vf] + lam * self.sJp[Vf]) / ((1 - lam) * self.sIq[Vf] + lam * self.sJq[Vf])
            r_w = r_u / R if who == "I" else r_u * R  # dq = R dp
        mB = np.abs((r_w * self.D[wf]) / (cBw[F] * sBw[F]))
        mA = delta
        mB = np.where(b(xsB[F] > xdA[F]), -mB, mB)
        mA = np.where(b(xsA[F] > xdB[F]), -mA, mA)
        euB = np.abs(r_w * sBw[F] - r_u * sBu[F])
        euA = np.abs(r_w * sAw[F] - r_u * sAu[F])
        gain = euB if lam is None else (euA + euB) / 2
        if who == "I":
            self.mI[Vf], self.mJ[Vf] = mA, mB
            self.yI[Vf], self.yJ[Vf] = xsA[F] + mA, xsB[F] + mB
            self.capI[Vf] = True
            self.dp[Vf], self.dq[Vf] = r_u, r_w  # Decide stores r_u in dp, r_w in dq (MODEL.md 4.5)
            self.euI[Vf], self.euJ[Vf] = euA, euB
        else:
            self.mJ[Vf], self.mI[Vf] = mA, mB
            self.yJ[Vf], self.yI[Vf] = xsA[F] + mA, xsB[F] + mB
            self.capJ[Vf] = True
            self.dp[Vf], self.dq[Vf] = r_u, r_w
            self.euJ[Vf], self.euI[Vf] = euA, euB
        self.gain[Vf] = gain

    # ------------------------------------------------------------ updates (section 4.6)
    def _set_update(self, E, u, k, val, start):
        """Record actor k's position ``val`` on issue u in the updates of candidates E.

        Decide ``update_updates`` (MODEL.md 4.6): a second entry for the same actor keeps
        the smaller value when the actor started at or below the first one, else the larger.
        """
        if not self.exact:
            self._set_update_float(E, u, k, val, start)
            return
        news = [None] * len(E)
        olds = [None] * len(E)
        x0ku = self.x0[k, u]
        upd = self.upd
        for r, e in enumerate(E.tolist()):
            d = upd.get((e, u))
            if d is None:
                d = upd[(e, u)] = {}
            prev = d.get(k)
            if prev is None:
                new, old = val, x0ku
            elif start <= prev:
                new, old = (prev if prev < val else val), prev
            else:
                new, old = (prev if prev > val else val), prev
            d[k] = new
            news[r] = new
            olds[r] = old
        if self.exact:
            return
        news_a, olds_a = np.array(news, dtype=float), np.array(olds, dtype=float)
        self._record_updates(E, u, k, news_a, olds_a)

    def _set_update_float(self, E, u, k, val, start):
        st = self.st
        keys = ((E * st.m + u) * st.n + k).tolist()
        get = self._updf.get
        prev = np.array([get(key, np.nan) for key in keys])
        missing = np.isnan(prev)
        x0ku = self.x0[k, u]
        old = np.where(missing, x0ku, prev)
        new = np.where(missing, val, np.where(start <= prev, np.minimum(prev, val), np.maximum(prev, val)))
        self._updf.update(zip(keys, new.tolist()))
        self._record_updates(E, u, k, new, old)

    def _record_updates(self, E, u, k, new, old):
        """Add actor k's position change on issue u to the sums of candidates E (both slots)."""
        st = self.st
        cs = st.s[k, u] * st.c[k, u]
        slot_q = self.q[E] == u
        for slot, sel in (("q", slot_q), ("p", ~slot_q)):
            Es = E[sel]
            if not len(Es):
                continue
            getattr(self, f"updsum_{slot}")[Es] += cs * (new[sel] - old[sel])
            supplier = self.I[Es] if slot == "q" else self.J[Es]
            isA = supplier == k
            if isA.any():
                getattr(self, f"updA_{slot}")[Es[isA]] = new[sel][isA]
                getattr(self, f"hasA_{slot}")[Es[isA]] = True

    def _look(self, name: str, key: int) -> np.ndarray:
        order, bounds = self._idx[name]
        E = order[bounds[key]: bounds[key + 1]]
        return E[self.alive[E] & self.valid[E]]

    def recalculate(self, xi: int):
        """After executing candidate ``xi``, recalculate the candidates that share an actor-issue.

        Only valid candidates still in the list are considered (Decide drops invalid ones
        without recalculating them, MODEL.md 4.1 step 4); the inverted indexes find them
        without scanning the list.
        """
        m = self.st.m
        aXi, aXj = int(self.I[xi]), int(self.J[xi])
        supXi, supXj = int(self.q[xi]), int(self.p[xi])  # X.i supplies q, X.j supplies p
        demXi, demXj = supXj, supXi
        yXi, yXj = self.yI[xi], self.yJ[xi]
        sI_Xi = self._look("supI", aXi * m + supXi)
        sI_Xj = self._look("supI", aXj * m + supXj)
        sJ_Xi = self._look("supJ", aXi * m + supXi)
        sJ_Xj = self._look("supJ", aXj * m + supXj)
        # the two halves are disjoint (one actor cannot be both I and J of a candidate)
        dm1 = np.concatenate([self._look("demJ", aXj * m + demXj), self._look("demI", aXj * m + demXj)])
        dm2 = np.concatenate([self._look("demJ", aXi * m + demXi), self._look("demI", aXi * m + demXi)])
        cat = np.concatenate([sI_Xi, sI_Xj, sJ_Xi, sJ_Xj, dm1, dm2])
        if len(cat) == 0:
            return
        pos = np.arange(len(cat))
        self._stamp[cat] = pos
        K = cat[self._stamp[cat] == pos]  # de-duplicated (order is irrelevant)
        # supply chaining (the actor's supply position becomes X's voting position)
        self.xsI[sI_Xi] = yXi
        self.xsI[sI_Xj] = yXj
        self.xsJ[sJ_Xi] = yXi
        self.xsJ[sJ_Xj] = yXj
        if len(dm1):
            self._set_update(dm1, demXj, aXi, yXi, self.startI[xi])
        if len(dm2):
            self._set_update(dm2, demXi, aXj, yXj, self.startJ[xi])
        # supply match: the matched actor's list grows, the partner's last move is replaced;
        # demand match only: both last moves are replaced (MODEL.md 4.6 steps 1-2)
        mark = self._mark
        mark[sI_Xi] = True
        mark[sI_Xj] = True
        push_I = mark[K]
        mark[K] = False
        mark[sJ_Xi] = True
        mark[sJ_Xj] = True
        push_J = mark[K]
        mark[K] = False
        self.calculate(K, push_I, push_J)

    # ------------------------------------------------------------ the loop
    def run(self) -> _RoundOut:
        realized: list[int] = []
        ties = 0
        live = np.nonzero(self.alive & self.valid)[0]
        while True:
            live = live[self.alive[live] & self.valid[live]]
            cand = live
            if len(cand) == 0:
                break
            g = self.gain[cand]
            gmax = g.max()
            tied = cand[self._b(gmax - g <= self.tie_tol)]
            if len(tied) > 1:
                ties += 1
            xi = int(tied[-1] if self.tie_last else tied[0])
            self.alive[xi] = False
            realized.append(xi)
            self.recalculate(xi)
        st = self.st
        voting = self.x0.copy()
        moved = np.zeros((st.n, st.m), bool)
        for xi in realized:
            voting[self.I[xi], self.q[xi]] = self.yI[xi]
            voting[self.J[xi], self.p[xi]] = self.yJ[xi]
            moved[self.I[xi], self.q[xi]] = True
            moved[self.J[xi], self.p[xi]] = True
        out = _RoundOut(voting, moved, ties=ties, candidates=self.N)
        out.exchanges = [self._record(xi, k, realized) for k, xi in enumerate(realized)]
        return out

    def _record(self, xi: int, k: int, realized) -> dict[str, Any]:
        return {
            "order": k + 1,
            "cand_index": xi,
            "gen": (int(self.g1[xi]), int(self.g2[xi])),
            "p": int(self.p[xi]),
            "q": int(self.q[xi]),
            "groups": "ad" if self.groups[xi] == 0 else "bc",
            "gain": self.gain[xi],
            "dp": self.dp[xi],
            "dq": self.dq[xi],
            "i": {"actor": int(self.I[xi]), "supply": int(self.q[xi]), "demand": int(self.p[xi]),
                  "x_before": self.xbI[xi], "move": self.mI[xi], "y": self.yI[xi], "start": self.startI[xi],
                  "eu": self.euI[xi], "n0": self.n0I[xi], "n1": self.n1I[xi], "cap": bool(self.capI[xi])},
            "j": {"actor": int(self.J[xi]), "supply": int(self.p[xi]), "demand": int(self.q[xi]),
                  "x_before": self.xbJ[xi], "move": self.mJ[xi], "y": self.yJ[xi], "start": self.startJ[xi],
                  "eu": self.euJ[xi], "n0": self.n0J[xi], "n1": self.n1J[xi], "cap": bool(self.capJ[xi])},
        }


# ====================================================================== the model
class ExchangeOptions(BaseModel):
    """Options of the exchange model (names follow Stokman & Van Oosten and Decide)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["literature", "decide"] = Field(
        "literature", description="literature (float64, documented fixes) or decide (Decide's exact arithmetic)"
    )
    rounds: int = Field(10, ge=1, le=1000, description="rounds of exchanges (Decide's default: 10)")
    p: float = Field(0.0, ge=0.0, le=1.0, description="REX random rate: spread of the gain share (0 = equal gain)")
    repetitions: int = Field(1, ge=1, le=100000, description="REX repetitions (Monte Carlo) when p > 0")
    tie_break: Literal["first-created", "last-created"] = Field(
        "first-created", description="which of several equal-gain candidates is executed"
    )
    tie_tolerance: float = Field(1e-12, ge=0.0, le=1e-6, description="gains this close count as tied")
    salience_weight: float = Field(0.4, ge=0.0, le=1.0, description="sw of the between-round update")
    fixed_weight: float = Field(0.1, ge=0.0, le=1.0, description="fw of the between-round update")

    @model_validator(mode="after")
    def _check(self):
        if self.mode == "decide" and self.p > 0:
            raise ValueError("p > 0 (REX) is available in mode=literature only; decide mode reproduces equal gain")
        if self.salience_weight + self.fixed_weight > 1:
            raise ValueError("salience_weight + fixed_weight must not exceed 1")
        return self


@register
class ExchangeModel(Model):
    """Stokman & Van Oosten's exchange of voting positions (equal gain; REX with p > 0).

    Actors on opposite sides of the outcome on two issues trade voting positions at the
    rate that gives both the same gain; exchanges are executed in order of gain with
    recalculation of the affected candidates, and preferences move toward voting
    positions between rounds.  ``mode="decide"`` reproduces the Decide package exactly.
    See the module docstring for every rule and its source.

    References
    ----------
    [StokmanVanOosten1994] Stokman, F. N., & Van Oosten, R. (1994). The exchange of voting positions: an
    object-oriented model of policy networks. In Bueno de Mesquita & Stokman (eds.),
    *European Community Decision Making*, pp. 105-127.  Rule by rule with the reference
    implementation's functions: the module docstring and ``docs/exchange.md``.
    """

    name = "exchange"
    label = "Exchange (Stokman)"
    Options = ExchangeOptions
    stochastic = True
    # actors entering mid-run are not modelled
    event_fields = frozenset({"capability", "position", "salience", "leave"})

    def draws_random_numbers(self, scenario: Scenario | None = None) -> bool:
        return self.options.p > 0  # equal gain is deterministic; REX draws

    # ------------------------------------------------------------ core
    def _simulate(self, scenario: Scenario, cap, pos, sal, rng, record: bool = True,
                  sched: EventSchedule | None = None, draw: int = 0) -> dict[str, Any]:
        """One run of ``o.rounds`` rounds on one draw's arrays; ``sched`` (default: the point
        schedule) supplies the events, draw ``draw`` of it."""
        o = self.options
        exact = o.mode == "decide"
        row_order = (scenario.extensions.get("decide") or {}).get("row_order")
        st = _setup_from_arrays(scenario, cap, pos, sal, exact, row_order if exact else None)
        if exact:
            sw, fw = Decimal(o.salience_weight), Decimal(o.fixed_weight)
            one = Decimal(1)
        else:
            sw, fw, one = o.salience_weight, o.fixed_weight, 1.0
        x = st.x.copy()
        sched = event_schedule(scenario) if sched is None else sched
        entries = sched.select(self.event_fields)
        # an event at round 0 acts before the first round, as one at round 1
        when = np.maximum(sched.round[entries], 1)
        prefs, votes, outcomes, voutcomes, rounds_ex = [x.copy()], [x.copy()], [], [], []
        ties = []
        applied = []
        for r in range(1, o.rounds + 1):
            now = [int(k) for k in entries[when == r] if sched.happens[draw, sched.event[k]]]
            x = self._apply_changes(sched, now, draw, st, x)
            for e in dict.fromkeys(int(sched.event[k]) for k in now):
                ev = scenario.events[e]
                applied.append({"round": r, "event": ev.id or ev.description[:60]})
            rnd = _Round(st, x, strict_sides=not exact, tie_tolerance=o.tie_tolerance,
                         tie_break=o.tie_break, rng=rng, p=o.p)
            outcomes.append(rnd.O.copy())
            res = rnd.run()
            ties.append(res.ties)
            # voting outcome on the voting positions
            vo = np.empty(st.m, dtype=object if exact else float)
            for u in range(st.m):
                oo = st.order[u]
                num = _seqsum(res.voting[oo, u] * st.s[oo, u] * st.c[oo, u], exact) if len(oo) else st.zero()
                vo[u] = num / rnd.D[u] if rnd.D[u] != 0 else st.zero()
            voutcomes.append(vo)
            s = st.s
            upd = (one - s) * sw * res.voting + fw * res.voting + (one - (one - s) * sw - fw) * x
            x = np.where(res.moved, upd, x)
            prefs.append(x.copy())
            votes.append(res.voting.copy())
            rounds_ex.append(res.exchanges if record else len(res.exchanges))
        last_O = np.empty(st.m, dtype=object if exact else float)
        for u in range(st.m):
            oo = st.order[u]
            D = _seqsum(st.s[oo, u] * st.c[oo, u], exact) if len(oo) else st.zero()
            num = _seqsum(x[oo, u] * st.s[oo, u] * st.c[oo, u], exact) if len(oo) else st.zero()
            last_O[u] = num / D if D != 0 else st.zero()
        outcomes.append(last_O)
        return {"setup": st, "prefs": prefs, "votes": votes, "outcomes": outcomes, "voting_outcomes": voutcomes,
                "exchanges": rounds_ex, "ties": ties, "events": applied}

    @staticmethod
    def _apply_changes(sched: EventSchedule, entries: list[int], draw: int, st: _ScaledInputs, x):
        """Apply schedule entries (draw ``draw``): values on the internal scale, an actor that
        leaves drops out of every issue's summation order."""
        conv = _dec if st.exact else float
        for k in entries:
            a, j, fld = int(sched.actor[k]), int(sched.issue[k]), int(sched.field[k])
            v = float(sched.value[draw, k])
            for u in range(st.m) if j < 0 else [j]:
                if not st.active[a, u] and fld != LEAVE:
                    continue
                if fld == CAPABILITY:
                    st.c[a, u] = conv(v)
                elif fld == SALIENCE:
                    st.s[a, u] = conv(v)
                elif fld == POSITION:
                    x[a, u] = (conv(v) - st.lower[u]) * st.step[u]
                elif fld == LEAVE:
                    st.active[a, u] = False
            if fld == LEAVE:
                st.order = [o[o != a] for o in st.order]
        return x

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _denorm(v, st: _ScaledInputs, u: int) -> float:
        if len(st.order[u]) == 0:  # nobody takes part in the issue: no outcome
            return math.nan
        if st.exact:
            return float(st.lower[u] if v == 0 else v / st.step[u] + st.lower[u])
        return float(v / st.step[u] + st.lower[u])

    def _run(self, scenario: Scenario, rng: np.random.Generator | None) -> Result:
        o = self.options
        arr = scenario.arrays()
        if o.p > 0 and o.repetitions > 1:
            return self._run_rex(scenario, rng)
        sim = self._simulate(scenario, one_level_capability(scenario), arr.position, arr.salience, rng)
        return self._result(scenario, sim)

    def _result(self, scenario: Scenario, sim: dict[str, Any], extra: dict | None = None,
                forecast: dict[str, float] | None = None) -> Result:
        st: _ScaledInputs = sim["setup"]
        iids, aids = scenario.issue_ids, scenario.actor_ids
        dn = lambda v, u: self._denorm(v, st, u)  # noqa: E731

        def table(mat):
            return [[dn(mat[a, u], u) if st.active[a, u] else None for u in range(st.m)] for a in range(st.n)]

        outcome = {iid: [dn(O[u], u) for O in sim["outcomes"]] for u, iid in enumerate(iids)}
        voting = {iid: [dn(V[u], u) for V in sim["voting_outcomes"]] for u, iid in enumerate(iids)}
        spans = {i.id: i.span for i in scenario.issues}
        stability = stability_details(voting, spans)
        if forecast is None:  # (REX passes the Monte Carlo mean)
            if self.options.mode == "decide":  # Decide reports the last round, stable or not
                forecast = {iid: voting[iid][-1] for iid in iids}
            else:
                forecast = {iid: stability["issues"][iid]["forecast"] for iid in iids}
        exchanges = []
        for r, exs in enumerate(sim["exchanges"], start=1):
            if isinstance(exs, int):
                continue
            for e in exs:
                exchanges.append(self._public_exchange(e, r, st, aids, iids))
        history = {
            "positions": [table(P) for P in sim["prefs"]],
            "voting_positions": [table(V) for V in sim["votes"]],
            "mean": outcome,
            "voting_outcome": voting,
        }
        details = {
            "mode": self.options.mode,
            "exchanges_per_round": [len(e) if not isinstance(e, int) else e for e in sim["exchanges"]],
            "ties_per_round": sim["ties"],
            "exchanges": exchanges,
            "events_applied": sim["events"],
            **({"events_skipped": self.events_skipped(event_schedule(scenario), last_round=self.options.rounds)}
               if scenario.events else {}),
            "outcome_note": "forecast = voting outcome of the last round (literature mode: the median of the "
            "last 4 rounds where it has not settled, see stability); history.mean = outcome on the "
            "preferences each round starts from (last entry: after the final update)",
            "stability": stability,
        }
        if extra:
            details.update(extra)
        return self.make_result(scenario, forecast, history=history, details=details)

    def _public_exchange(self, e, r, st, aids, iids) -> dict[str, Any]:
        f = float
        out = {
            "round": r, "order": e["order"], "cand_index": e["cand_index"],
            "gen_actor_1": aids[e["gen"][0]], "gen_actor_2": aids[e["gen"][1]],
            "issue_p": iids[e["p"]], "issue_q": iids[e["q"]], "groups": e["groups"],
            "gain": f(e["gain"]), "dp": f(e["dp"]), "dq": f(e["dq"]),
        }
        for side in ("i", "j"):
            d = e[side]
            su = d["supply"]
            out.update({
                f"{side}_actor": aids[d["actor"]], f"{side}_supply_issue": iids[su],
                f"{side}_demand_issue": iids[d["demand"]],
                f"{side}_x_before": f(d["x_before"]), f"{side}_move": f(d["move"]), f"{side}_y": f(d["y"]),
                f"{side}_round_start": f(d["start"]), f"{side}_y_issue_scale": self._denorm(d["y"], st, su),
                f"{side}_eu": f(d["eu"]), f"{side}_outcome_supply_before": f(d["n0"]),
                f"{side}_outcome_supply_after": f(d["n1"]), f"{side}_adjusted_by_outcome_cap": d["cap"],
            })
        return out

    # ------------------------------------------------------------ REX / Monte Carlo
    def forecast_batch(self, batch: ScenarioBatch, rng: np.random.Generator | None = None) -> np.ndarray:
        """Forecasts ``[draw, issue]``: the last round's voting outcome for each draw (literature
        mode: the median of the last rounds where it has not settled, as ``run``).

        Each draw runs the full sequential exchange process on its own arrays.  Literature
        mode runs the draws in one compiled call (:mod:`realpolitik.models.exchange_batch`:
        the single run's arithmetic, bit for bit); with ``p > 0`` each draw draws its REX
        gain shares from its own seed, taken from ``rng``.  Decide mode keeps its exact
        Decimal arithmetic, draw by draw.
        """
        gen = rng if rng is not None else np.random.default_rng()
        spans = np.array([i.span for i in batch.base.issues])
        own = one_level_capability(batch.base, batch.capability, batch.position)  # nested actors
        sched = batch.schedule()
        if self.options.mode == "literature":
            return self._literature_batch(batch, own, sched, gen, spans)
        out = np.empty((batch.draws, len(batch.base.issues)))
        for d in range(batch.draws):
            sim = self._simulate(batch.base, own[d], batch.position[d], batch.salience[d], gen,
                                 record=False, sched=sched, draw=d)
            st = sim["setup"]
            if self.options.mode == "decide":
                out[d] = [self._denorm(sim["voting_outcomes"][-1][u], st, u) for u in range(st.m)]
            else:
                traj = np.array([[self._denorm(V[u], st, u) for V in sim["voting_outcomes"]] for u in range(st.m)])
                out[d] = settle(traj, spans)[0]
        return out

    def _literature_batch(self, batch: ScenarioBatch, own, sched: EventSchedule, gen, spans) -> np.ndarray:
        """Literature mode's draws in one compiled call (the same process as ``_simulate``)."""
        from realpolitik.models.exchange_batch import simulate_draws

        o = self.options
        scen = batch.base
        D = batch.draws
        pos, sal = batch.position, batch.salience
        act = ~np.isnan(pos) & (sal > 0) & (own > 0)
        lower = np.array([i.min for i in scen.issues], dtype=float)
        step = 100.0 / np.array([i.max - i.min for i in scen.issues], dtype=float)
        entries = sched.select(self.event_fields)
        K = len(entries)
        value = np.broadcast_to(sched.value, (D, sched.value.shape[1]))[:, entries] if K else np.zeros((D, 0))
        happens = np.broadcast_to(sched.happens, (D, sched.happens.shape[1]))[:, sched.event[entries]] if K \
            else np.zeros((D, 0), bool)
        # REX: one seed per draw (numba's generator), so chunks never change a draw
        seeds = gen.integers(0, 2**32 - 1, size=D) if o.p > 0 else np.zeros(D, np.int64)
        out, present = simulate_draws(
            np.ascontiguousarray(pos, dtype=float), np.ascontiguousarray(sal, dtype=float),
            np.ascontiguousarray(own, dtype=float), np.ascontiguousarray(act), lower, step, o.rounds,
            float(o.salience_weight), float(o.fixed_weight), float(o.tie_tolerance), o.tie_break == "last-created",
            float(o.p), seeds.astype(np.int64),
            np.maximum(sched.round[entries], 1).astype(np.int64), sched.field[entries].astype(np.int64),
            sched.actor[entries].astype(np.int64), sched.issue[entries].astype(np.int64),
            np.ascontiguousarray(value, dtype=float), np.ascontiguousarray(happens, dtype=bool),
            CAPABILITY, SALIENCE, POSITION, LEAVE,
        )  # fmt: skip
        traj = np.where(present[:, None, :], out / step + lower, np.nan)  # [draw, round, issue]
        return settle(np.moveaxis(traj, 1, -1), spans)[0]

    def _run_rex(self, scenario: Scenario, rng) -> Result:
        o = self.options
        arr = scenario.arrays()
        sim = self._simulate(scenario, one_level_capability(scenario), arr.position, arr.salience, rng)
        draws = self.forecast_batch(ScenarioBatch.repeat(scenario, o.repetitions - 1), rng)
        traj = np.array([[self._denorm(V[u], sim["setup"], u) for V in sim["voting_outcomes"]]
                         for u in range(len(scenario.issues))])
        first = settle(traj, np.array([i.span for i in scenario.issues]))[0][None, :]
        allf = np.vstack([first, draws])
        mean = allf.mean(axis=0)
        iids = scenario.issue_ids
        cov = np.cov(allf, rowvar=False, ddof=1) if len(allf) > 1 else np.zeros((len(iids), len(iids)))
        cov = np.atleast_2d(cov)
        extra = {
            "rex": {
                "repetitions": int(len(allf)),
                "mean": dict(zip(iids, mean.tolist())),
                "std": dict(zip(iids, allf.std(axis=0, ddof=1).tolist())),
                "p05": dict(zip(iids, np.percentile(allf, 5, axis=0).tolist())),
                "p95": dict(zip(iids, np.percentile(allf, 95, axis=0).tolist())),
                "covariance": {a: dict(zip(iids, cov[k].tolist())) for k, a in enumerate(iids)},
                "note": "history and exchanges are those of the first repetition",
            }
        }
        return self._result(scenario, sim, extra, forecast={k: float(v) for k, v in zip(iids, mean)})

    # ------------------------------------------------------------ display
    def describe(self, result: Result, scenario: Scenario) -> list[Table]:
        d = result.details
        tables = []
        hist = result.history
        rows = []
        for iss in scenario.issues:
            start = hist.get("mean", {}).get(iss.id, [None])[0]
            vo = hist.get("voting_outcome", {}).get(iss.id, [None])
            f = result.forecast.get(iss.id)
            p = iss.nearest_point(f) if f is not None and math.isfinite(f) else None
            rows.append([iss.label or iss.id, start, vo[0] if vo else None, result.forecast.get(iss.id),
                         f"{p.value:g}: {p.label}" if p else "-"])
        per_round = d.get("exchanges_per_round", [])
        tables.append(Table(
            f"{self.label}: outcome per issue ({d.get('mode')} mode, {len(per_round)} rounds)",
            ["issue", "start", "after round 1", "final (voting)", "nearest point"], rows,
            note=f"exchanges per round: {', '.join(map(str, per_round))}",
        ))
        ex = sorted(d.get("exchanges", []), key=lambda e: -e["gain"])[:10]
        if ex:
            tables.append(Table(
                f"{self.label}: largest exchanges",
                ["round", "actor i", "moves on", "by", "actor j", "moves on", "by", "gain"],
                [[e["round"], e["i_actor"], e["i_supply_issue"], e["i_move"], e["j_actor"], e["j_supply_issue"],
                  e["j_move"], e["gain"]] for e in ex],
                note="moves on the 0-100 internal scale of each issue; gain in utility units (salience x outcome shift)",
            ))
        rex = d.get("rex")
        if rex:
            tables.append(Table(
                f"{self.label}: REX Monte Carlo ({rex['repetitions']} repetitions)",
                ["issue", "mean", "std", "5%", "95%"],
                [[i, rex["mean"][i], rex["std"][i], rex["p05"][i], rex["p95"][i]] for i in rex["mean"]],
            ))
        return tables

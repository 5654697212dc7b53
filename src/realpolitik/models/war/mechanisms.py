"""War-time bargaining mechanisms: small, pure, deterministic functions.

Every function names its source and carries the honesty label of
``docs/design/war-bargaining.md`` (section 0):

* **[V]** checked against the paper's own text (often its abstract; notation ours);
* **[K]** standard textbook form (the paper's notation/normalisation may differ);
* **[D]** a *derived* reduced form built for realpolitik from canonical pieces.
  It is **not** a published result and is never attributed to a paper.

Conventions: A and B are the belligerents, A prefers larger ``x`` (A's share of a
good worth 1); ``p`` is A's probability of winning the war (or one battle where
stated).  Functions accept NumPy arrays where the formula is element-wise
(broadcasting).  An empty range or win-set is ``None`` (scalar functions) or
NaN bounds with ``lo > hi`` (vectorised helpers), never an exception.  Corner
solutions are reported (``clipped``), never hidden.

References
----------
[Fearon1994] Fearon, J. D. (1994). Domestic political audiences and the escalation of
international disputes. *APSR* 88(3), 577-592.
[Fearon1995] Fearon, J. D. (1995). Rationalist explanations for war. *International
Organization* 49(3), 379-414.
[KrepsWilson1982] Kreps, D. M. & Wilson, R. (1982). Reputation and imperfect information. *JET*
27(2), 253-279.
[Powell2006] Powell, R. (2006). War as a commitment problem. *International Organization*
60(1), 169-203.
[Putnam1988] Putnam, R. D. (1988). Diplomacy and domestic politics: the logic of two-level
games. *International Organization* 42(3), 427-460.
[Slantchev2003] Slantchev, B. L. (2003). The principle of convergence in wartime negotiations.
*APSR* 97(4), 621-632.
[SmithStam2004] Smith, A. & Stam, A. C. (2004). Bargaining and the nature of war. *JCR* 48(6),
783-813.
[Tarar2001] Tarar, A. (2001). International bargaining with two-sided domestic constraints.
*JCR* 45(3), 320-340.
Weeks, J. L. (2008). Autocratic audience costs: regime type and signaling
resolve. *International Organization* 62(1), 35-64.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# |p - 1/2| below this uses the p = 1/2 branch of the gambler's ruin (cancellation).
HALF_TOL = 1e-9


# =========================================================== 3.1 Fearon (1995)
class BargainingRange(NamedTuple):
    low: float
    high: float
    clipped: bool


def bargaining_range(p: float, c_A: float, c_B: float) -> BargainingRange | None:
    """The Fearon bargaining range with risk-neutral sides [V].

    ``U_A(war) = p - c_A`` and ``U_B(war) = 1 - p - c_B``, so every ``x`` in
    ``[p - c_A, p + c_B]`` (clipped to [0, 1]) is preferred to war by both.

    Returns ``(low, high, clipped)`` or None when the range is empty (only when
    ``c_A + c_B < 0``).

    References
    ----------
    Fearon (1995), section "War is costly and risky, so rational states should
    have incentives to locate negotiated settlements" (the bargaining range).
    Design doc 3.1, test vector T1.
    """
    lo, hi = p - c_A, p + c_B
    if lo > hi:
        return None
    clo, chi = min(max(lo, 0.0), 1.0), min(max(hi, 0.0), 1.0)
    return BargainingRange(clo, chi, bool(clo != lo or chi != hi))


class OptimalOffer(NamedTuple):
    x: float
    p_war: float
    eu: float
    clipped: bool


def optimal_offer_uniform(p: float, c_A: float, c_bar: float) -> OptimalOffer:
    """A's take-it-or-leave-it offer when B's cost is private, ``c_B ~ U[0, c_bar]`` [K].

    B accepts ``x`` iff ``c_B >= x - p``.  A maximises
    ``EU_A(x) = (1 - (x-p)/c_bar) x + ((x-p)/c_bar)(p - c_A)`` on ``[p, p + c_bar]``:
    ``x* = p + max(0, c_bar - c_A)/2`` clipped to ``[p, min(1, p + c_bar)]``,
    ``P(war) = (x* - p)/c_bar`` (the risk-return trade-off).

    References
    ----------
    Fearon (1995), the risk-return trade-off under private information (written
    here in standard textbook form). Design doc 3.1, T2a/T2b.
    """
    if c_bar <= 0:
        raise ValueError("c_bar must be > 0")
    x = p + max(0.0, c_bar - c_A) / 2.0
    hi = min(1.0, p + c_bar)
    xc = min(max(x, p), hi)
    q = (xc - p) / c_bar
    eu = (1.0 - q) * xc + q * (p - c_A)
    return OptimalOffer(xc, q, eu, bool(xc != x))


class Screening(NamedTuple):
    choice: str  # "safe" or "risky"
    eu_safe: float
    eu_risky: float
    q_star: float


def screening_two_type(p: float, c_A: float, c_L: float, c_H: float, q: float) -> Screening:
    """Two-type screening: safe offer ``p + c_L`` or risky offer ``p + c_H`` [K].

    B is tough (cost ``c_L``) with probability ``q``, soft (``c_H``) otherwise.
    ``EU_safe = p + c_L``; ``EU_risky = (1-q)(p + c_H) + q(p - c_A)``; the risky
    offer (war with probability ``q``) is chosen iff ``q < q* = (c_H - c_L)/(c_H + c_A)``
    (ties go to the safe offer).

    References
    ----------
    Fearon (1995), private information and incentives to misrepresent (standard
    two-type form). Design doc 3.1, T3a/T3b; cross-checked with nashpy in the tests.
    """
    if not c_H > c_L:
        raise ValueError("c_H must exceed c_L")
    eu_safe = p + c_L
    eu_risky = (1.0 - q) * (p + c_H) + q * (p - c_A)
    q_star = (c_H - c_L) / (c_H + c_A)
    return Screening("risky" if eu_risky > eu_safe else "safe", eu_safe, eu_risky, q_star)


# ====================================================== 3.5 Powell (2006)
class CommitmentTest(NamedTuple):
    war: bool
    lhs: float
    rhs: float


def commitment_war(p_t: float, p_next: float, d_A: float, d_B: float, delta: float, side: str = "A") -> CommitmentTest:
    """Powell's shifting-power inequality (war is absorbing, pie 1 per period) [K].

    ``M_A(t) = p_t/(1-δ) - d_A``, ``M_B(t) = (1-p_t)/(1-δ) - d_B``.  The side whose
    power declines fights at ``t`` iff (side A) ``M_A(t) + δ M_B(t+1) > 1/(1-δ)``
    or (side B) ``M_B(t) + δ M_A(t+1) > 1/(1-δ)``.  With ``p_t = p_0``,
    ``p_next = p_1`` this is Fearon's two-period preventive-war condition
    ``δ(p_0 - p_1)/(1-δ) > (1 - p_0) + d_A + δ d_B``.

    References
    ----------
    Powell (2006), "large, rapid shifts in the distribution of power can lead to
    war" (abstract [V]); the inequality in standard form [K]. Design doc 3.5, T6a-c.
    """
    if not 0 < delta < 1:
        raise ValueError("delta must lie in (0, 1)")
    m = lambda share, d: share / (1.0 - delta) - d  # noqa: E731
    if side == "A":
        lhs = m(p_t, d_A) + delta * m(1.0 - p_next, d_B)
    elif side == "B":
        lhs = m(1.0 - p_t, d_B) + delta * m(p_next, d_A)
    else:
        raise ValueError("side must be 'A' or 'B'")
    rhs = 1.0 / (1.0 - delta)
    return CommitmentTest(bool(lhs > rhs), float(lhs), float(rhs))


def path_war(p_path, d_A: float, d_B: float, delta: float) -> int | None:
    """First period ``t`` on a power path at which either side's inequality holds [K].

    Returns None when neither inequality holds anywhere on the path (a peaceful
    equilibrium exists).  Powell (2006) as in :func:`commitment_war`.
    """
    p = list(p_path)
    for t in range(len(p) - 1):
        if commitment_war(p[t], p[t + 1], d_A, d_B, delta, "A").war:
            return t
        if commitment_war(p[t], p[t + 1], d_A, d_B, delta, "B").war:
            return t
    return None


def ceasefire_thresholds(p0_A, p0_B, d_A, d_B, delta):
    """``(g_A*, g_B*)``: the post-truce balance each side needs for peace [D].

    ``g_A* = 1 - [(1 - p_0) + (1-δ)(d_A + δ d_B)]/δ`` (A accepts iff ``g >= g_A*``),
    ``g_B* = [p_0 + (1-δ)(d_B + δ d_A)]/δ`` (B accepts iff ``g <= g_B*``).  Each
    side may judge ``p_0`` by its own belief (``p0_A``, ``p0_B``).

    Derived reduced form for realpolitik (after Fearon 1996 and Powell 2006's
    inequality); not a published result.  Design doc 3.5.
    """
    gA = 1.0 - ((1.0 - np.asarray(p0_A, float)) + (1.0 - delta) * (d_A + delta * d_B)) / delta
    gB = (np.asarray(p0_B, float) + (1.0 - delta) * (d_B + delta * d_A)) / delta
    return gA, gB


def ceasefire_line_bounds(g_A_star, g_B_star, p_shift, kappa, x_sq):
    """The lines ``x_0`` in [0, 1] with ``g_A* <= g(x_0) <= g_B*`` (vectorised) [D].

    ``g(x_0) = clip(p_shift + κ (x_0 - x_sq), 0, 1)``.  Returns ``(lo, hi)``;
    the set is empty where ``lo > hi`` (a commitment-problem war).  Derived
    reduced form (after Fearon 1996); not a published result.
    """
    gA = np.asarray(g_A_star, float)
    gB = np.asarray(g_B_star, float)
    shape = np.broadcast(gA, gB).shape
    gA, gB = np.broadcast_to(gA, shape), np.broadcast_to(gB, shape)
    if kappa > 0:
        lin_lo = x_sq + (gA - p_shift) / kappa
        lin_hi = x_sq + (gB - p_shift) / kappa
    else:  # g is constant: all lines or none
        g0 = min(max(p_shift, 0.0), 1.0)
        lin_lo = np.where(g0 >= gA, -np.inf, np.inf)
        lin_hi = np.where(g0 <= gB, np.inf, -np.inf)
    # the clip of g at 0 and 1: thresholds outside (0, 1] / [0, 1) bind everywhere or nowhere
    lo = np.where(gA <= 0.0, -np.inf, np.where(gA > 1.0, np.inf, lin_lo))
    hi = np.where(gB >= 1.0, np.inf, np.where(gB < 0.0, -np.inf, lin_hi))
    return np.maximum(lo, 0.0), np.minimum(hi, 1.0)


class PeaceSet(NamedTuple):
    g_A_star: float
    g_B_star: float
    interval: tuple[float, float] | None


def ceasefire_peace_set(p0: float, d_A: float, d_B: float, delta: float, p_shift: float, kappa: float, x_sq: float) -> PeaceSet:
    """Ceasefire lines that both sides prefer to war when the line shifts future power [D].

    ``p_1 = g(x_0) = clip(p_shift + κ (x_0 - x_sq), 0, 1)``; peace is acceptable to A
    iff ``g(x_0) >= g_A*`` and to B iff ``g(x_0) <= g_B*`` (see
    :func:`ceasefire_thresholds`).  ``interval`` is None when the set is empty.

    Derived reduced form for realpolitik, after Fearon (1996, unpublished) and
    Powell (2006); **not a published result**.  Design doc 3.5, T6d.
    """
    gA, gB = ceasefire_thresholds(p0, p0, d_A, d_B, delta)
    lo, hi = ceasefire_line_bounds(gA, gB, p_shift, kappa, x_sq)
    lo, hi = float(lo), float(hi)
    return PeaceSet(float(gA), float(gB), (lo, hi) if lo <= hi else None)


# ================================================ 3.2 learning from battles
def bayes_battle_update(mu, pi_S, pi_W, won):
    """Posterior that the opponent is strong after one battle [K].

    ``μ' = μ L_S / (μ L_S + (1-μ) L_W)`` with ``L_θ = π_θ`` after a win and
    ``1 - π_θ`` after a loss (``π_θ``: our win probability against type θ).

    References
    ----------
    The shared kernel of Filson & Werner (2002), Powell (2004), Slantchev (2003)
    and Smith & Stam (2004), in standard Bayesian form. Design doc 3.2, T4a-c.
    """
    mu = np.asarray(mu, float)
    won = np.asarray(won, bool)
    LS = np.where(won, pi_S, 1.0 - np.asarray(pi_S, float))
    LW = np.where(won, pi_W, 1.0 - np.asarray(pi_W, float))
    out = mu * LS / (mu * LS + (1.0 - mu) * LW)
    return float(out) if out.ndim == 0 else out


def bayes_battle_posterior(mu, pi_S, pi_W, wins, losses):
    """Posterior after ``wins`` and ``losses`` in any order (depends on counts only) [K].

    ``μ_post ∝ μ π_S^w (1-π_S)^ℓ`` against ``(1-μ) π_W^w (1-π_W)^ℓ``, computed in
    logs for stability.  Design doc 3.2, T4d.
    """
    mu = np.asarray(mu, float)
    ls = np.log(mu) + wins * np.log(pi_S) + losses * np.log1p(-np.asarray(pi_S, float))
    lw = np.log1p(-mu) + wins * np.log(pi_W) + losses * np.log1p(-np.asarray(pi_W, float))
    out = 1.0 / (1.0 + np.exp(lw - ls))
    return float(out) if np.ndim(out) == 0 else out


def beta_update(a, b, won, weight=1.0):
    """Beta-Bernoulli update of a belief over the battle-win probability [K].

    A win adds ``weight`` to ``a``, a loss to ``b`` (``weight`` > 1 reads one
    engagement as several battles' worth of evidence).  Non-common priors (Smith &
    Stam 2004): each side keeps its own ``(a, b)``; both observe the same outcome.
    Design doc 3.2.
    """
    won = np.asarray(won, bool)
    a = np.asarray(a, float) + np.where(won, weight, 0.0)
    b = np.asarray(b, float) + np.where(won, 0.0, weight)
    if a.ndim == 0:
        return float(a), float(b)
    return a, b


# ====================================== 3.3 gambler's ruin front line [K]
def gamblers_ruin(p, k, N):
    """Win probability and expected duration of a random-walk front line [K].

    A at position ``k`` wins a battle with probability ``p``, wins the war at
    ``N`` and loses it at 0; ``r = q/p``:
    ``P_win = (1 - r^k)/(1 - r^N)``, ``E[T] = k/(q-p) - (N/(q-p)) P_win``
    (``p != 1/2``); ``k/N`` and ``k(N-k)`` at ``p = 1/2`` (used when
    ``|p - 1/2| < 1e-9`` to avoid cancellation).  Vectorised over ``p`` and ``k``.

    References
    ----------
    The classical gambler's ruin (e.g. Feller 1968, ch. XIV), as the front line of
    Smith & Stam (2004) and Slantchev (2003). Design doc 3.3, T5a-d.
    """
    p = np.asarray(p, float)
    k = np.asarray(k, float)
    half = np.abs(p - 0.5) < HALF_TOL
    ps = np.where(half, 0.25, p)  # safe values on the half branch
    qs = 1.0 - ps
    r = qs / ps
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # r**k / r**N for r > 1 overflows for large N; use the reciprocal form there
        big = r > 1.0
        inv = 1.0 / r
        pw_small = (1.0 - r**k) / (1.0 - r**N)
        pw_big = (inv ** (N - k) - inv**N) / (1.0 - inv**N)
        pw = np.where(big, pw_big, pw_small)
        et = k / (qs - ps) - (N / (qs - ps)) * pw
    pw = np.where(half, k / N, pw)
    et = np.where(half, k * (N - k), et)
    if pw.ndim == 0:
        return float(pw), float(et)
    return pw, et


def war_value_undiscounted(p, k, N, kappa):
    """``V_A(k) = P_win(k) - κ_A E[T_k]``: winner takes all, per-battle cost κ [K]."""
    pw, et = gamblers_ruin(p, k, N)
    return np.asarray(pw) - kappa * np.asarray(et)


def war_value(p, N: int, kappa: float, delta: float = 1.0, win: float = 1.0, lose: float = 0.0):
    """Value of fighting on at every front position, by an exact tridiagonal solve [K].

    ``V(k) = -κ + δ [p V(k+1) + (1-p) V(k-1)]`` for ``0 < k < N`` with ``V(N) = win``
    and ``V(0) = lose`` (A's view: win = 1, lose = 0).  The linear system is solved
    directly by the Thomas algorithm, vectorised over any leading shape of ``p``
    (no iteration to convergence).  With ``δ = 1`` it equals
    ``P_win - κ E[T]`` (:func:`war_value_undiscounted`).

    Returns an array of shape ``p.shape + (N + 1,)``.

    References
    ----------
    Gambler's-ruin front line of Smith & Stam (2004) with per-battle costs and
    discounting; design doc 3.3.
    """
    if N < 2:
        raise ValueError("N must be >= 2")
    if not 0 < delta <= 1:
        raise ValueError("delta must lie in (0, 1]")
    p = np.asarray(p, float)
    n = N - 1  # unknowns V(1..N-1)
    lower = -delta * (1.0 - p)  # coefficient of V(k-1)
    upper = -delta * p  # coefficient of V(k+1)
    # rhs_k = -kappa, plus boundary terms
    rhs = np.full(p.shape + (n,), -float(kappa))
    rhs[..., 0] += delta * (1.0 - p) * lose
    rhs[..., -1] += delta * p * win
    # Thomas algorithm (diagonal 1), loop over front positions only
    cp = np.empty(p.shape + (n,))
    dp = np.empty(p.shape + (n,))
    cp[..., 0] = upper
    dp[..., 0] = rhs[..., 0]
    for i in range(1, n):
        den = 1.0 - lower * cp[..., i - 1]
        cp[..., i] = upper / den
        dp[..., i] = (rhs[..., i] - lower * dp[..., i - 1]) / den
    v = np.empty(p.shape + (N + 1,))
    v[..., 0] = lose
    v[..., N] = win
    v[..., n] = dp[..., n - 1]
    for i in range(n - 2, -1, -1):
        v[..., i + 1] = dp[..., i] - cp[..., i] * v[..., i + 2]
    return v


class Settlement(NamedTuple):
    possible: bool
    x: float | None


def subjective_settlement(ev_A: float, ev_B: float) -> Settlement:
    """Settlement with subjective war values: no mutual optimism, split the difference [D].

    The range is non-empty iff ``E_A[V_A] + E_B[V_B] <= 1``; the share is
    ``x = E_A[V_A] + (1 - E_A[V_A] - E_B[V_B])/2``.

    Derived reduced form (Smith-Stam logic); not a published result.  Design doc 3.3.
    """
    if ev_A + ev_B <= 1.0:
        return Settlement(True, ev_A + (1.0 - ev_A - ev_B) / 2.0)
    return Settlement(False, None)


# ============================================= 3.6 credibility premium [D]
def credibility_value(x, W_breach, rho, delta):
    """PV of a deal giving flow ``x`` that holds each period with probability ρ [D].

    ``V(x) = [x + δ(1-ρ) W'/(1-δ)] / (1 - δρ)``: on breach war resumes at the worse
    flow value ``W'``.  Derived reduced form of Powell's commitment logic; not a
    published result.  Design doc 3.6, T8a.
    """
    return (np.asarray(x, float) + delta * (1.0 - rho) * W_breach / (1.0 - delta)) / (1.0 - delta * rho)


def credibility_premium(W, W_breach, rho, delta):
    """``δ(1-ρ)(W - W')/(1-δ)``: the extra share a side needs from a breakable deal [D].

    Zero when ``ρ = 1`` or ``W' = W``: credibility matters only when a breach catches
    a side in a worse position.  Derived; not a published result.  Design doc 3.6.
    """
    return delta * (1.0 - np.asarray(rho, float)) * (np.asarray(W, float) - W_breach) / (1.0 - delta)


def credible_min_share(W, W_breach, rho, delta):
    """``x_min(ρ) = W + δ(1-ρ)(W - W')/(1-δ)``: the least flow A accepts, ``V(x) >= W/(1-δ)`` [D].

    Derived reduced form; not a published result.  Design doc 3.6, T8a-c.
    """
    return np.asarray(W, float) + credibility_premium(W, W_breach, rho, delta)


# ================================= 3.7 two-level win-sets, war disagreement
def constrained_nash(war_lo, war_hi, x_A_min=None, x_B_max=None):
    """Nash bargaining with war as disagreement, clipped to the domestic win-sets [D].

    ``war_lo`` is A's war value (the least A accepts) and ``war_hi`` one minus B's
    (the most B concedes).  The unconstrained risk-neutral NBS splits the surplus:
    ``x* = (war_lo + war_hi)/2``; the outcome is ``clip(x*, max(war_lo, x_A_min),
    min(war_hi, x_B_max))`` and NaN where the lower bound exceeds the upper
    (no agreement).  Vectorised.  Derived (Putnam 1988 win-sets on a war-
    termination NBS); not a published result.
    """
    lo = np.asarray(war_lo, float)
    hi = np.asarray(war_hi, float)
    x = (lo + hi) / 2.0
    if x_A_min is not None:
        lo = np.maximum(lo, x_A_min)
    if x_B_max is not None:
        hi = np.minimum(hi, x_B_max)
    out = np.where(lo <= hi, np.clip(x, lo, np.maximum(lo, hi)), np.nan)
    return float(out) if out.ndim == 0 else out


def nbs_with_winsets(p: float, c_A: float, c_B: float, x_A_min: float | None = None, x_B_max: float | None = None) -> float | None:
    """Nash bargaining with war as the disagreement point and Putnam win-sets [D].

    Unconstrained (risk-neutral) ``x* = p + (c_B - c_A)/2``; constrained outcome
    ``clip(x*, max(p - c_A, x_A_min), min(p + c_B, x_B_max))``, None when the
    lower bound exceeds the upper (the win-sets do not overlap).

    References
    ----------
    Putnam (1988): win-sets (definitions [K]); Tarar (2001) for constrained
    negotiators [V, abstract].  The war-termination version is a **derived**
    reduced form for realpolitik, not a published result.  Design doc 3.7, T7a-d.
    """
    out = constrained_nash(p - c_A, p + c_B, x_A_min, x_B_max)
    return None if not np.isfinite(out) else float(out)


def winset_bound(demands, weights, threshold: float = 0.5, side: str = "A"):
    """The edge of a leader's domestic win-set from its ratifiers' demands [D].

    Each domestic sub-actor ``j`` demands a share ``r_j`` (its position, in A-share
    units) and ratifies a deal iff it gets at least that (side A: ``x >= r_j``;
    side B: ``x <= r_j``).  A deal is ratified when ratifiers holding at least
    ``threshold`` of the domestic weight (capability x salience) accept it.  Side A's
    bound is the smallest such ``x`` (the weighted ``threshold``-quantile of the
    demands); side B's is the largest (the weighted ``1 - threshold``-quantile from
    above).  ``threshold = 1`` gives every ratifier a veto.  Vectorised over leading
    axes (ratifiers on the last axis); NaN when no ratifier has weight.

    Derived reduced form for realpolitik (Putnam's Level-II ratification with a
    weighted-quota rule); not a published result.
    """
    r = np.asarray(demands, float)
    w = np.asarray(weights, float)
    r, w = np.broadcast_arrays(r, w)
    if side == "B":
        return -winset_bound(-r, w, threshold, "A")
    order = np.argsort(r, axis=-1, kind="stable")
    rs = np.take_along_axis(r, order, axis=-1)
    ws = np.take_along_axis(w, order, axis=-1)
    cum = np.cumsum(ws, axis=-1)
    total = cum[..., -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = cum / total
    k = np.argmax(share >= threshold - 1e-12, axis=-1)
    out = np.take_along_axis(rs, k[..., None], axis=-1)[..., 0]
    out = np.where(total[..., 0] > 0, out, np.nan)
    return float(out) if np.ndim(out) == 0 else out


def domestic_pressure(positions, weights):
    """The pressure-weighted mean of the constituencies' positions [D].

    ``sum_j w_j x_j / sum_j w_j`` over the last axis (weights: capability x
    salience), NaN where no constituency has weight.  Smooth in every position and
    weight while the total weight is positive:
    ``d/dx_j = w_j / W`` and ``d/dw_j = (x_j - mean) / W``.
    """
    x = np.asarray(positions, float)
    w = np.asarray(weights, float)
    x, w = np.broadcast_arrays(x, w)
    total = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, (w * x).sum(axis=-1) / np.where(total > 0, total, 1.0), np.nan)
    return float(out) if np.ndim(out) == 0 else out


def domestic_bound(leader, positions, weights, autonomy):
    """The least (side A) or most (side B) a leader can accept at home [D].

    ``bound = a * x_L + (1 - a) * sum_j w_j x_j / sum_j w_j``: the leader's own
    position ``x_L`` (share units) pulled toward the pressure-weighted mean position
    of its domestic constituencies (:func:`domestic_pressure`; weights capability x
    salience) by ``1 - a``, where ``a`` in [0, 1] is the leader's autonomy.  ``a = 1``:
    the leader's position alone sets the bound (a personalist leader whom no domestic
    group can sanction); ``a = 0``: the constituencies' pressure alone sets it (the
    analogue of parliamentary ratification).  Without any weighted constituency the
    bound is the leader's position.  Vectorised (constituencies on the last axis;
    ``leader`` and ``autonomy`` broadcast against the leading axes).

    The bound moves continuously in every position, capability and salience: a change
    ``dx`` of one constituency's position moves it by at most ``(1 - a) dx``; of the
    leader's, by ``a dx``; a relative change ``e`` of one constituency's weight by at
    most ``(1 - a) e |x_j - mean|`` (the threshold rule it replaces, a weighted
    quantile of demands, jumped whenever one constituency's share of the weight
    crossed the threshold).

    Sources: Putnam (1988) [V, abstract]: leaders must win ratification, formal or
    informal, from their constituents; [K] the more autonomous the leader from its
    Level II constituents, the larger its win-set.  Tarar (2001) [V, abstract]:
    constrained negotiators on both sides.  Weeks (2008) [V, abstract]: a leader's
    domestic accountability depends on whether domestic groups can coordinate to
    punish it; [K] personalist regimes are where they cannot.  The linear pull and
    the autonomy weight are a **derived** reduced form for realpolitik, not a
    published model.
    """
    return pulled_bound(leader, domestic_pressure(positions, weights), autonomy)


def pulled_bound(leader, pressure, autonomy):
    """``a x_L + (1 - a) P``: the leader's position pulled toward the constituencies'
    pressure-weighted mean position ``P`` (NaN: no constituency, the bound is ``x_L``) [D].
    See :func:`domestic_bound`."""
    lead = np.asarray(leader, float)
    a = np.asarray(autonomy, float)
    d = np.asarray(pressure, float)
    out = np.where(np.isfinite(d), a * lead + (1.0 - a) * np.where(np.isfinite(d), d, 0.0), lead)
    return float(out) if np.ndim(out) == 0 else out


# ============================================ 3.8 audience costs (Fearon 1994)
def accrued_audience_cost(alpha, t):
    """``a_i(t) = α_i t``: audience cost of backing down after ``t`` [K] (Fearon 1994)."""
    return np.asarray(alpha, float) * np.asarray(t, float)


def lock_in_time(w, alpha):
    """``t* = -w/α`` for a type with war value ``w < 0``: after it, war beats backing down [K].

    ``0`` for ``w >= 0`` (locked in from the start) and ``inf`` when ``α = 0``.
    Fearon (1994), reduced form; design doc 3.8.
    """
    w = np.asarray(w, float)
    alpha = np.asarray(alpha, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(w >= 0, 0.0, np.where(alpha > 0, -w / np.where(alpha > 0, alpha, 1.0), np.inf))
    return float(t) if t.ndim == 0 else t


def lock_in_share_uniform(lo: float, hi: float, alpha, t):
    """``L(t) = P(w >= -α t)`` for a war value ``w ~ U[lo, hi]`` [K].

    The share of a leader's types that prefer war to backing down once the accrued
    audience cost is ``α t``.  Fearon (1994) reduced form; design doc 3.8, T10.
    """
    cut = -accrued_audience_cost(alpha, t)
    out = np.clip((hi - cut) / (hi - lo), 0.0, 1.0)
    return float(out) if np.ndim(out) == 0 else out


def lock_in_share_normal(mean: float, sd: float, alpha, t):
    """``L(t) = P(w >= -α t)`` for ``w ~ Normal(mean, sd)`` [K] (Fearon 1994)."""
    from scipy.special import ndtr

    cut = -accrued_audience_cost(alpha, t)
    out = ndtr((mean - cut) / sd)
    return float(out) if np.ndim(out) == 0 else out


# ========================================= 3.9 reputation across theatres [K]
def reputation_update(pi, sigma, stood_firm=True):
    """Posterior that the defender is resolute (chain-store logic) [K].

    The resolute type never concedes; the weak type concedes with probability σ.
    After standing firm ``π' = π/(π + (1-π)(1-σ))``; after conceding ``π' = 0``.

    References
    ----------
    Kreps & Wilson (1982); Alt, Calvert & Humes (1988); Walter (2006).  Design
    doc 3.9, T9a/T9b.
    """
    pi = np.asarray(pi, float)
    firm = np.asarray(stood_firm, bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        post = pi / (pi + (1.0 - pi) * (1.0 - np.asarray(sigma, float)))
    out = np.where(firm, post, 0.0)
    return float(out) if out.ndim == 0 else out


def reputation_used(pi_post, pi_prior, weight: float = 1.0):
    """``π_used = w π' + (1-w) π``: how much challengers read past actions [K].

    ``weight = 0`` is Press (2005) (credibility from current power and interests
    only); ``weight = 1`` the chain-store reading (Weisiger & Yarhi-Milo 2015 find
    past backing down predicts challenges).  Design doc 3.9.
    """
    return weight * np.asarray(pi_post, float) + (1.0 - weight) * np.asarray(pi_prior, float)


def challenges(pi_post, gain, loss):
    """A challenger with gain ``V`` and loss ``K`` challenges iff ``π' < V/(V+K)`` [K].

    Design doc 3.9, T9c.
    """
    out = np.asarray(pi_post, float) < gain / (gain + loss)
    return bool(out) if out.ndim == 0 else out

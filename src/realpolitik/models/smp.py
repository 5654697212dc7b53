"""KTAB's spatial model of politics (SMP): multi-dimensional bargaining over positions.

A re-implementation of the SMP of KTAB (KAPSARC Toolkit for Behavioral Analysis,
``KAPSARC/KTAB``, MIT licence; ``examples/smp/libsrc/smp*.cpp`` and
``KTAB/kmodel/libsrc/kmodel.cpp``) that reproduces ``smpc``'s runs - every position of
every state and every reported winning probability - and runs vectorised over actors,
dyads and a leading batch (draw) axis.

One turn (``SMPState::stepBCN`` / ``doBCN``)
--------------------------------------------
1. Distances ``d_i(p) = sqrt(sum_k (s_ik (I_ik - p_k))^2 / sum_k s_ik^2)`` from every
   ideal to every position (``SMPModel::bvDiff``); utility ``u(d, R) = (1-d)(1+dR)``
   (``bsUtil``).
2. Risk attitudes from a probabilistic Condorcet election (PCE) over the positions with
   risk-neutral utilities ``1-d`` and weights ``c`` (``setAllAUtil``; ``BigRRange``),
   and h's estimate ``r_hi`` of i's attitude (``BigRAdjust``).
3. Every actor i evaluates a challenge of every j from its own perspective
   (``probEduChlg(i, i, i, j)``): principal votes ``W (U[i,i]-U[i,j])`` and
   ``W (U[j,i]-U[j,j])`` with ``W = S c``, third parties voting on the "little contest"
   (``vProbLittle``, ``thirdPartyVoteSU``, ``ThirdPartyCommit``), ``phi = chi_ij /
   (chi_ij + chi_ji)``, and the expected gain against the status quo, where a target with
   total salience ``S_j`` contests with probability ``S_j``.  Best target: the largest
   gain above 1e-5, lowest index on ties (``bestChallenge``).
4. A bargain interpolated between the two positions (``interpolateBrgn``;
   ``InterVecBrgn`` S2P2 by default: weights ``s^2 p^2``, rounded to 1e-4) goes into both
   actors' queues (``BargnModel``).
5. Each actor picks from its queue (status quo and the bargains it is party to) by a PCE
   over the expected utility of the state each bargain would produce, deterministically
   (argmax) or stochastically (``StateTransitions``).
6. Ideals follow positions through the accommodation matrix (``IdealAdjustment``).

The run stops after turn ``t >= 2`` when the change in positions falls below 2% of the
first turn's change, or at ``max_iter`` (``smpStopFn``).  Reported winning
probabilities (``SMPState::pDist(-1)``) are a PCE over the unique positions of a state.

Vectorisation: the challenge evaluation is an ``[batch, third party, initiator,
target]`` array (chunked over initiators to bound memory); sums over third parties run
in actor order so that identical actors tie exactly, as in KTAB.

References
----------
KAPSARC (2015-2019). *KTAB, the KAPSARC Toolkit for Behavioral Analysis*: SMP documentation
(``examples/smp/doc``, including the 2017 reference logs) and source (``smp.cpp``,
``smpbcn.cpp``, ``kmodel.cpp``), MIT licence.
Efird, B., Lester, S., & Wise, B. (2016). *Journal of East Asian Studies* 16, 117-145,
Tables 2-3 (the China SOE reform scenarios that ship with KTAB).
*Markov voting with incentives in KTAB* (``KTAB/kmodel/doc/markov-incentives.tex``; the
MarkovIncentive PCE).
Reproduction notes: ``anchors/ktab/ALGORITHM.md`` sections 1.1-1.8 and 7.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from realpolitik.errors import OptionError, Problem, ScenarioError
from realpolitik.models.base import Model, ScenarioBatch, Table, register
from realpolitik.scenario.model import Scenario
from realpolitik.scenario.nested import one_level_capability

# ----------------------------------------------------------------- KTAB constants
MIN_COALITION = 1e-8  # Model::coalitions minC
MIN_CHALLENGE_COALITION = 1e-10  # SMPState::probEduChlg minCltn
MIN_SIG_EDU = 1e-5  # SMPState::bestChallenge minSigEDU
POS_TOL = 1e-3  # SMPModel::posTol
MIN_W = 1e-6  # SMPActor::interpBrgn* minW
BINARY_VOTE_TOL = 1e-8  # Model::vote sTol
MIN_ITER, MIN_DELTA_RATIO, MIN_SIG_DELTA = 2, 0.02, 1e-4  # smpStopFn
MARKOV_UNIFORM_TOL, MARKOV_INCENTIVE_TOL, MARKOV_MAX_ITER = 1e-6, 1e-8, 1000
#: elements of the largest temporary array of a block (bounds memory at any size)
BLOCK_ELEMENTS = 2**23

VictoryProbModel = Literal["Linear", "Square", "Quartic", "Octic", "Binary"]
PCEModel = Literal["Conditional", "MarkovUniform", "MarkovIncentive"]
StateTransitions = Literal["Deterministic", "Stochastic"]
VotingRule = Literal["Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"]
BigRAdjust = Literal["None", "OneThird", "Half", "TwoThirds", "Full"]
BigRRange = Literal["Min", "Mid", "Max"]
ThirdPartyCommit = Literal["SemiCommit", "FullCommit", "NoCommit"]
InterVecBrgn = Literal["S2P2", "S1P1", "S2PMax"]
BargnModel = Literal["InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"]

KTAB_DEFAULTS: dict[str, str] = {
    "victory_prob_model": "Linear",
    "pce_model": "Conditional",
    "state_transitions": "Deterministic",
    "voting_rule": "Prop",
    "big_r_adjust": "OneThird",
    "big_r_range": "Mid",
    "third_party_commit": "SemiCommit",
    "inter_vec_brgn": "S2P2",
    "bargn_model": "InitOnlyInterp",
}
_ALIASES = {"Proportional": "Prop", "No": "None", "NoRA": "None"}


class SMPOptions(BaseModel):
    """Options in KTAB's words.  ``None`` = the scenario's ``extensions["ktab"]["parameters"]``
    (from a KTAB XML ``<ModelParameters>``) or else KTAB's default (in brackets)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    victory_prob_model: VictoryProbModel | None = Field(None, description="VictoryProbModel [Linear]")
    pce_model: PCEModel | None = Field(None, description="PCEModel [Conditional]")
    state_transitions: StateTransitions | None = Field(None, description="StateTransitions [Deterministic]")
    voting_rule: VotingRule | None = Field(None, description="VotingRule [Prop]")
    big_r_adjust: BigRAdjust | None = Field(None, description="BigRAdjust [OneThird]")
    big_r_range: BigRRange | None = Field(None, description="BigRRange [Mid]")
    third_party_commit: ThirdPartyCommit | None = Field(None, description="ThirdPartyCommit [SemiCommit]")
    inter_vec_brgn: InterVecBrgn | None = Field(None, description="InterVecBrgn [S2P2]")
    bargn_model: BargnModel | None = Field(None, description="BargnModel [InitOnlyInterp]")
    max_iter: int = Field(100, ge=2, le=10_000, description="last turn (smpStopFn maxIter) [100]")
    seed: int | None = Field(
        None, ge=0, description="seed of the stochastic transitions (default: the run's random generator)"
    )
    salience_normalisation: Literal["mean", "per-actor"] = Field(
        "mean",
        description="when an actor's saliences sum above 100 (KTAB needs <= 100): divide all by the "
        "number of issues (mean) or scale the actors above 100 to 100 (per-actor)",
    )
    use_ideal_adjustment: bool = Field(
        True, description="use the scenario's KTAB IdealAdjustment (accommodation) matrix when present"
    )


@dataclass(frozen=True)
class Params:
    """Resolved KTAB parameters (strings as in KTAB) plus the stop rule."""

    victory_prob_model: str = "Linear"
    pce_model: str = "Conditional"
    state_transitions: str = "Deterministic"
    voting_rule: str = "Prop"
    big_r_adjust: str = "OneThird"
    big_r_range: str = "Mid"
    third_party_commit: str = "SemiCommit"
    inter_vec_brgn: str = "S2P2"
    bargn_model: str = "InitOnlyInterp"
    max_iter: int = 100

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ================================================================= primitives
def bs_util(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``SMPModel::bsUtil``: ``(1-d)(1+dR)`` for d <= 1, ``(1-d)(1+R)`` beyond."""
    return np.where(d <= 1.0, (1.0 - d) * (1.0 + d * r), (1.0 - d) * (1.0 + r))


def bv_diff(ideal: np.ndarray, pos: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """``SMPModel::bvDiff`` for every pair: ``[..., n, m]`` ideals (with their saliences)
    against ``[..., p, m]`` positions -> ``[..., n, p]``."""
    ds = (ideal[..., :, None, :] - pos[..., None, :, :]) * sal[..., :, None, :]
    num = np.sum(ds * ds, axis=-1)
    den = np.sum(sal * sal, axis=-1)[..., :, None]
    return np.sqrt(num / den)


def vote(w: np.ndarray | float, du: np.ndarray, rule: str) -> np.ndarray:
    """``Model::vote``: the vote ``w f(du)`` of a voter with weight w and utility gap du."""
    if rule == "Prop":
        return w * du
    if rule == "Binary":
        return w * np.clip(du / BINARY_VOTE_TOL, -1.0, 1.0)
    if rule == "PropBin":
        return w * ((1 - 0.2) * du + 0.2 * np.clip(du / BINARY_VOTE_TOL, -1.0, 1.0))
    if rule == "PropCbc":
        return w * ((1 - 0.5) * du + 0.5 * (du * du * du))
    if rule == "Cubic":
        return w * (du * du * du)
    if rule == "ASymProsp":
        return np.where(du < 0.0, w * du, np.where(du > 0.0, (2.0 * w * du) / 3.0, 0.0))
    raise ValueError(f"unknown voting rule {rule!r}")


def est_nra(rh: np.ndarray, ri: np.ndarray, adjust: str) -> np.ndarray:
    """``Model::estNRA``: h's estimate of i's risk attitude."""
    if adjust == "Full":
        return ri + 0.0 * rh
    if adjust == "TwoThirds":
        return (rh + (2.0 * ri)) / 3.0
    if adjust == "Half":
        return (rh + ri) / 2
    if adjust == "OneThird":
        return ((2.0 * rh) + ri) / 3.0
    if adjust == "None":
        return rh + 0.0 * ri
    raise ValueError(f"unknown BigRAdjust {adjust!r}")


def big_r_from_prob(p: np.ndarray, rng_: str) -> np.ndarray:
    """``Model::bigRfromProb`` over the last axis.  Where all p are equal KTAB divides by
    zero; we return risk neutrality (R = 0) there (docs/DECISIONS.md)."""
    pmin = p.min(axis=-1, keepdims=True)
    pmax = p.max(axis=-1, keepdims=True)
    span = pmax - pmin
    safe = np.where(span > 0, span, 1.0)
    if rng_ == "Min":
        r = (p - pmin) / safe
    elif rng_ == "Mid":
        r = (3 * p - (pmax + 2 * pmin)) / (2 * safe)
    elif rng_ == "Max":
        r = (2 * p - (pmax + pmin)) / safe
    else:
        raise ValueError(f"unknown BigRRange {rng_!r}")
    return np.where(span > 0, r, 0.0)


def coalitions(u: np.ndarray, w: np.ndarray, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """``Model::coalitions`` for every ordered pair of options.

    ``u`` is ``[..., voter, option]``, ``w`` ``[..., voter]``.  Returns ``(M, NT)``: for a
    pair whose vote KTAB computes as ``vote(x, y)`` (x the later option),
    ``C[x, y] = M[x, y]`` and ``C[y, x] = NT[y, x]``.  For every rule but ASymProsp the
    vote is antisymmetric and ``NT == M``.

    The work ``[..., voter, x, y]`` is done in blocks of rows x that fit in cache; the
    voter axis is outermost in memory, so the sums run in voter order from minC, as KTAB's.
    """
    K, O = u.shape[-2], u.shape[-1]
    lead = u.shape[:-2]
    size = int(np.prod(lead, dtype=np.int64)) if lead else 1
    step = int(max(1, min(O, (BLOCK_ELEMENTS // 20) // max(1, size * K * O))))
    asym = rule == "ASymProsp"
    m = np.empty(lead + (O, O))
    n = np.empty(lead + (O, O)) if asym else m
    wk = w[..., :, None, None]
    for x0 in range(0, O, step):
        du = u[..., :, x0 : x0 + step, None] - u[..., :, None, :]  # [..., k, x, y] = u_x - u_y
        if rule == "Prop":
            du *= wk
            v = du
        else:
            v = vote(wk, du, rule)
        if asym:
            n[..., x0 : x0 + step, :] = np.sum(np.maximum(-v, 0.0), axis=-3, initial=MIN_COALITION)
        np.maximum(v, 0.0, out=v)
        m[..., x0 : x0 + step, :] = np.sum(v, axis=-3, initial=MIN_COALITION)
    return (m, np.swapaxes(n, -1, -2)) if asym else (m, m)


def orient(m: np.ndarray, nt: np.ndarray, rank: np.ndarray | None = None) -> np.ndarray:
    """Coalition matrix with KTAB's lower-left convention: entry (x, y) comes from M when
    x is later than y in the option list (``rank``), from NT otherwise; diagonal minC."""
    L = m.shape[-1]
    if rank is None:
        idx = np.arange(L)
        later = idx[:, None] > idx[None, :]
    else:
        later = rank[..., :, None] > rank[..., None, :]
    c = m if m is nt else np.where(later, m, nt)
    eye = np.eye(L, dtype=bool)
    return np.where(eye, MIN_COALITION, c)


def victory_prob(c: np.ndarray, vpm: str) -> np.ndarray:
    """``Model::vProb``: ``P[a > b]`` from coalition strengths; diagonal 0.5."""
    s1 = c
    s2 = np.swapaxes(c, -1, -2)
    if vpm == "Linear":
        x1, x2 = s1, s2
    elif vpm == "Square":
        x1, x2 = s1 * s1, s2 * s2
    elif vpm == "Quartic":
        x1, x2 = (s1 * s1) * (s1 * s1), (s2 * s2) * (s2 * s2)
    elif vpm == "Octic":
        q1, q2 = (s1 * s1) * (s1 * s1), (s2 * s2) * (s2 * s2)
        x1, x2 = q1 * q1, q2 * q2
    elif vpm == "Binary":
        thresh = 1.10
        r12 = s1 / (s1 + s2)
        p12 = (r12 * (thresh + 1.0) - 1.0) / (thresh - 1.0)
        x1 = np.where(s1 >= thresh * s2, 1.0, np.where(s2 >= thresh * s1, 1e-6, p12))
        x2 = np.where(s1 >= thresh * s2, 1e-6, np.where(s2 >= thresh * s1, 1.0, 1 - p12))
    else:
        raise ValueError(f"unknown victory probability model {vpm!r}")
    p = x1 / (x1 + x2)
    L = c.shape[-1]
    return np.where(np.eye(L, dtype=bool), 0.5, p)


def pce(c: np.ndarray, vpm: str, model: str, valid: np.ndarray | None = None) -> np.ndarray:
    """``Model::probCE2``: the outcome distribution over options from coalitions ``c``
    ``[..., L, L]``; ``valid`` ``[..., L]`` masks padding options (probability 0)."""
    P = victory_prob(c, vpm)
    L = c.shape[-1]
    if valid is None:
        valid = np.ones(c.shape[:-1], dtype=bool)
    vb = valid[..., None, :]
    if model == "Conditional":
        # Model::condPCE: products in option order (reduce over an outer axis: sequential)
        Pt = np.ascontiguousarray(np.swapaxes(np.where(vb, P, 1.0), -1, -2))
        prod = np.where(valid, np.multiply.reduce(Pt, axis=-2), 0.0)
        tot = prod.sum(axis=-1, keepdims=True)
        if np.all(tot > 0):
            return prod / tot
        # underflow (hundreds of options): the same distribution in log space
        with np.errstate(divide="ignore"):
            logp = np.where(vb, np.log(P), 0.0).sum(axis=-1)
        logp = np.where(valid, logp, -np.inf)
        e = np.where(valid, np.exp(logp - logp.max(axis=-1, keepdims=True)), 0.0)
        e = e / e.sum(axis=-1, keepdims=True)
        return np.where(tot > 0, prod / np.where(tot > 0, tot, 1.0), e)
    nvalid = valid.sum(axis=-1, keepdims=True).astype(float)
    p = np.where(valid, 1.0 / nvalid, 0.0)
    Pm = np.where(vb & valid[..., :, None], P, 0.0)
    if model == "MarkovUniform":
        tol = MARKOV_UNIFORM_TOL
        step = lambda p: (Pm * (p[..., :, None] + p[..., None, :])).sum(axis=-1) / nvalid  # noqa: E731
    elif model == "MarkovIncentive":
        tol = MARKOV_INCENTIVE_TOL
        inc = np.where(vb & valid[..., :, None], c * P, 0.0) + np.where(np.eye(L, dtype=bool) & vb, 1e-10, 0.0)
        colsum = inc.sum(axis=-2, keepdims=True)
        chlg = inc / np.where(colsum > 0, colsum, 1.0)  # chlg[i, j] = P[i challenges j]
        chlg_t = np.swapaxes(chlg, -1, -2)

        def step(p):
            ct = p[..., :, None] * chlg_t  # ct[i, j] = p_i chlg[j, i]
            return (Pm * (ct + np.swapaxes(ct, -1, -2))).sum(axis=-1)
    else:
        raise ValueError(f"unknown PCE model {model!r}")
    active = np.ones(p.shape[:-1], dtype=bool)
    for _ in range(MARKOV_MAX_ITER):
        q = step(p)
        change = np.where(valid, np.abs(q - p), 0.0).max(axis=-1)
        p = np.where(active[..., None], (p + q) / 2.0, p)
        active = active & (change > tol)
        if not active.any():
            break
    return p


def round4(x: np.ndarray) -> np.ndarray:
    """KTAB's ``round4``: ``floor(0.5 + 10^4 x) / 10^4`` (positions on [0, 1])."""
    return np.floor(0.5 + x * 10000.0) / 10000.0


def interpolate(pi, si, pj, sj, prb_i, prb_j, ivb: str):
    """``SMPActor::interpolateBrgn``: the bargain ``(b_i, b_j)`` between positions
    ``pi``/``pj`` ``[..., m]`` with saliences ``si``/``sj`` and probabilities ``[...]``."""
    prb_i = prb_i[..., None]
    prb_j = prb_j[..., None]
    if ivb in ("S2P2", "S1P1"):
        if ivb == "S2P2":
            wik = (si * si) * (prb_i * prb_i)
            wjk = (sj * sj) * (prb_j * prb_j)
        else:
            wik = si * prb_i
            wjk = sj * prb_j
        den = wik + MIN_W + wjk
        bi = round4(((wik + MIN_W) * pi + wjk * pj) / den)
        bj = round4((wik * pi + (MIN_W + wjk) * pj) / den)
        return bi, bj
    if ivb == "S2PMax":
        di = np.maximum(prb_j - prb_i, 0.0)
        dj = np.maximum(prb_i - prb_j, 0.0)
        si2, sj2 = si * si, sj * sj
        dik = (di * sj2) / ((di * sj2) + MIN_W + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + MIN_W + ((1 - dj) * sj2))
        return pi + dik * (pj - pi), pj + djk * (pi - pj)
    raise ValueError(f"unknown InterVecBrgn {ivb!r}")


# ================================================================= the state
@dataclass
class _Setup:
    """Per-state quantities shared by the steps of a turn (batch axis first)."""

    D: np.ndarray  # [B, n, n] distance from ideal x to position y
    R: np.ndarray  # [B, n] inferred risk attitudes
    r: np.ndarray  # [B, n, n] r[h, i]: h's estimate of i's attitude


def setup_state(ideal, pos, sal, cap, prm: Params) -> _Setup:
    """``SMPState::setAllAUtil``: distances, risk attitudes and their estimates."""
    D = bv_diff(ideal, pos, sal)
    u0 = bs_util(D, np.zeros_like(D[..., :1]))
    m_, nt = coalitions(u0, cap, prm.voting_rule)
    p = pce(orient(m_, nt), prm.victory_prob_model, prm.pce_model)
    R = big_r_from_prob(p, prm.big_r_range)
    r = est_nra(R[..., :, None], R[..., None, :], prm.big_r_adjust)
    return _Setup(D, R, r)


def _chunk(n: int, batch: int) -> int:
    """Initiators per block: a [B, n, C, n] buffer of about BLOCK_ELEMENTS / 27 elements
    (small blocks stay in cache: 1.7x faster than whole arrays at n = 200)."""
    return int(max(1, min(n, (BLOCK_ELEMENTS // 27) // max(1, batch * n * n))))


def _third_parties(D, rI, U_ji, U_jj, W, chi0_ij, chi0_ji, I, rule):
    """Third-party votes of every n on every (i, j) of a chunk of initiators, SemiCommit.

    Layout ``[B, n, c, j]`` (third party outermost) so that the sums over n run in actor
    order from chi0, exactly as KTAB adds them.  In-place arithmetic on three buffers.
    """
    B, n, _ = D.shape
    ar = np.arange(n)
    rn = np.swapaxes(rI, 1, 2)[..., None]  # [B, n, c, 1]  r[i, n]
    E = D[:, :, None, :]  # [B, n, 1, j]  D[n, j]
    U_ni = np.swapaxes(U_ji, 1, 2)[..., None]  # [B, n, c, 1]  u(D[n, i], r[i, n])
    U_nn = np.swapaxes(U_jj, 1, 2)[..., None]  # [B, n, c, 1]  u(D[n, n], r[i, n])
    Wn = W[:, :, None, None]
    c0ij = chi0_ij[:, None]
    c0ji = chi0_ji[:, None]
    # U_nj = (1 - d)(1 + d r): d <= 1 always (positions on [0, 1])
    a = E * rn
    a += 1.0
    a *= 1.0 - E
    # the little contest (vProbLittle): n's own vote added to the principals' coalitions
    b = np.subtract(U_ni, a)
    if rule == "Prop":
        b *= Wn
    else:
        b = vote(Wn, b, rule)
    c = np.maximum(b, 0.0)
    np.subtract(c, b, out=b)  # max(v, 0) - v == max(-v, 0) exactly
    c += c0ij  # cni
    b += c0ji  # cnj
    b += c
    c /= b  # pin = cni / (cni + cnj)
    # thirdPartyVoteSU, SemiCommit: u_ik_j - u_i_jk = pin (U_nn - U_ni) + (1 - pin)(U_nj - U_nn)
    a -= U_nn  # G = U_nj - U_nn
    np.subtract(U_nn - U_ni, a, out=b)
    b *= c
    a += b
    if rule == "Prop":
        a *= Wn
    else:
        a = vote(Wn, a, rule)
    # third parties only: zero the votes of n = i (principal) and n = j (target)
    cc = np.arange(len(I))
    a[:, I, cc, :] = 0.0
    a[:, ar, :, ar] = 0.0
    np.maximum(a, 0.0, out=c)
    np.subtract(c, a, out=a)  # max(v, 0) - v == max(-v, 0) exactly
    c[:, 0] += chi0_ij
    chi_ij = c.sum(axis=1)
    a[:, 0] += chi0_ji
    chi_ji = a.sum(axis=1)
    return chi_ij, chi_ji


def challenges(st: _Setup, sal_tot, W, prm: Params):
    """Every actor's evaluation of challenging every other (``probEduChlg(i, i, i, j)``).

    Returns ``phi [B, i, j]`` (i's estimate that i beats j) and ``gain [B, i, j]``
    (i's expected utility gain; -inf on the diagonal).
    """
    D, r = st.D, st.r
    B, n, _ = D.shape
    rule = prm.voting_rule
    semi = prm.third_party_commit == "SemiCommit"
    phi = np.empty((B, n, n))
    gain = np.empty((B, n, n))
    ar = np.arange(n)
    diagD = D[:, ar, ar]  # [B, n] D[x, x]
    Dt = np.swapaxes(D, 1, 2)  # Dt[b, y, x] = D[b, x, y]
    C = _chunk(n, B)
    for i0 in range(0, n, C):
        I = ar[i0 : i0 + C]
        c = len(I)
        rI = r[:, I, :]  # [B, c, n]  r[i, x]
        r_ii = rI[:, np.arange(c), I]  # [B, c]
        U_ii = bs_util(D[:, I, I], r_ii)  # [B, c]
        U_ij = bs_util(D[:, I, :], r_ii[..., None])  # [B, c, j]
        U_ji = bs_util(Dt[:, I, :], rI)  # [B, c, j]  u(D[j, i], r[i, j])
        U_jj = bs_util(diagD[:, None, :], rI)  # [B, c, j]  u(D[j, j], r[i, j])
        Wi = W[:, I][..., None]
        Wj = W[:, None, :]
        ci = vote(Wi, U_ii[..., None] - U_ij, rule)
        cj = vote(Wj, U_ji - U_jj, rule)
        chi0_ij = (MIN_CHALLENGE_COALITION + np.maximum(ci, 0.0)) + np.maximum(cj, 0.0)
        chi0_ji = (MIN_CHALLENGE_COALITION + np.maximum(-ci, 0.0)) + np.maximum(-cj, 0.0)
        if semi:
            chi_ij, chi_ji = _third_parties(D, rI, U_ji, U_jj, W, chi0_ij, chi0_ji, I, rule)
        else:
            # FullCommit and NoCommit: u_ik_j == u_i_jk term by term, third parties add nothing
            chi_ij, chi_ji = chi0_ij, chi0_ji
        ph = chi_ij / (chi_ij + chi_ji)
        phji = chi_ji / (chi_ij + chi_ji)
        u_vict = U_ii[..., None] + U_ii[..., None]
        eu_sq = U_ii[..., None] + U_ij
        u_lose = U_ij + U_ij
        eu_cntst = ph * u_vict + phji * u_lose
        sj = sal_tot[:, None, :]
        eu_chlg = (1 - sj) * u_vict + sj * eu_cntst
        g = eu_chlg - eu_sq
        g[:, np.arange(c), I] = -np.inf
        phi[:, I] = ph
        gain[:, I] = g
    return phi, gain


def prob_edu(st: _Setup, sal_tot, W, prm: Params, h, k, i, j):
    """``probEduChlg(h, k, i, j)`` for vectors of indices ``[B, P]`` (any perspective h).

    Used for the receiver's perspective of InitRcvrInterp / PWCompInterp bargains.
    Returns ``(phi, gain)`` of shape ``[B, P]``.
    """
    D, r = st.D, st.r
    B, n, _ = D.shape
    rule = prm.voting_rule
    bidx = np.arange(B)[:, None]

    def U(h_, x, y):  # aUtil[h](x, y) = u(D[x, y], r[h, x])
        return bs_util(D[bidx, x, y], r[bidx, h_, x])

    uii, uij, uji, ujj = U(h, i, i), U(h, i, j), U(h, j, i), U(h, j, j)
    ci = vote(W[bidx, i], uii - uij, rule)
    cj = vote(W[bidx, j], uji - ujj, rule)
    chi0_ij = (MIN_CHALLENGE_COALITION + np.maximum(ci, 0.0)) + np.maximum(cj, 0.0)
    chi0_ji = (MIN_CHALLENGE_COALITION + np.maximum(-ci, 0.0)) + np.maximum(-cj, 0.0)
    chi_ij, chi_ji = chi0_ij.copy(), chi0_ji.copy()
    if prm.third_party_commit == "SemiCommit":
        nn = np.arange(n)[None, None, :]
        hh, ii, jj = h[..., None], i[..., None], j[..., None]
        b3 = np.arange(B)[:, None, None]
        rn = r[b3, hh, nn]
        uni = bs_util(D[b3, nn, ii], rn)
        unj = bs_util(D[b3, nn, jj], rn)
        unn = bs_util(D[b3, nn, nn], rn)
        Wn = W[:, None, :]
        v = vote(Wn, uni - unj, rule)
        cni = chi0_ij[..., None] + np.maximum(v, 0.0)
        cnj = chi0_ji[..., None] + np.maximum(-v, 0.0)
        pin = cni / (cni + cnj)
        G = unj - unn
        tv = vote(Wn, G + pin * ((unn - uni) - G), rule)
        keep = (nn != ii) & (nn != jj)
        chi_ij = chi0_ij + np.where(keep, np.maximum(tv, 0.0), 0.0).sum(axis=-1)
        chi_ji = chi0_ji + np.where(keep, np.maximum(-tv, 0.0), 0.0).sum(axis=-1)
    ph = chi_ij / (chi_ij + chi_ji)
    phji = chi_ji / (chi_ij + chi_ji)
    uki, ukj = U(h, k, i), U(h, k, j)
    eu_sq = uki + ukj
    u_vict = uki + uki
    u_lose = ukj + ukj
    sj = sal_tot[bidx, j]
    eu_chlg = (1 - sj) * u_vict + sj * (ph * u_vict + phji * u_lose)
    return ph, eu_chlg - eu_sq


@dataclass
class TurnRecord:
    target: np.ndarray  # [B, n] best target of each actor (-1: none)
    phi: np.ndarray  # [B, n] i's estimate that it beats its target
    gain: np.ndarray  # [B, n] expected gain of the best challenge
    bargain_init: np.ndarray  # [B, n, m] bargain position proposed for the initiator
    bargain_rcvr: np.ndarray  # [B, n, m] bargain position proposed for the receiver
    choice_init: np.ndarray  # [B, n] initiator whose bargain actor k adopted (-1: status quo)
    choice_prob: np.ndarray  # [B, n] PCE probability of the adopted option in k's queue
    extra: dict = field(default_factory=dict)


def turn(pos, ideal, sal, cap, sal_tot, W, st: _Setup, prm: Params, rng: np.random.Generator | None):
    """One turn (``SMPState::doBCN``): returns the new positions and a :class:`TurnRecord`."""
    B, n, m = pos.shape
    phi, gain = challenges(st, sal_tot, W, prm)
    target = np.argmax(gain, axis=-1)
    best = np.take_along_axis(gain, target[..., None], -1)[..., 0]
    has = best > MIN_SIG_EDU
    p_ij = np.take_along_axis(phi, target[..., None], -1)[..., 0]
    bidx = np.arange(B)[:, None]
    pos_j = pos[bidx, target]
    sal_j = sal[bidx, target]
    bI, bJ = interpolate(pos, sal, pos_j, sal_j, p_ij, 1 - p_ij, prm.inter_vec_brgn)
    options = [(bI, bJ)]
    if prm.bargn_model in ("InitRcvrInterp", "PWCompInterp"):
        ii = np.broadcast_to(np.arange(n), (B, n))
        # KTAB quirk (doBCN): "j's estimate of P(i beats j)" is read as the *gain* (get<1>)
        _, pji = prob_edu(st, sal_tot, W, prm, h=target, k=ii, i=ii, j=target)
        cI, cJ = interpolate(pos, sal, pos_j, sal_j, pji, 1 - pji, prm.inter_vec_brgn)
        if prm.bargn_model == "InitRcvrInterp":
            options.append((cI, cJ))
        else:
            # KTAB quirk: j's weight uses brgnJIJ->actInit->sCap, i.e. i's capability
            wi = (cap * sal_tot)[..., None]
            wj = (cap * sal_j.sum(-1))[..., None]
            options = [((wi * bI + wj * cI) / (wi + wj), (wi * bJ + wj * cJ) / (wi + wj))]
    nb = len(options)

    # ---- utility of the state each option produces, to every actor a
    r_aa = st.r[:, np.arange(n), np.arange(n)]
    V = bs_util(st.D, r_aa[..., None])  # [B, a, x] aUtil[a](a, x)
    Vt = np.ascontiguousarray(np.swapaxes(V, 1, 2))  # [B, x, a]: sums over x run in actor order
    eu = [Vt.sum(axis=1) / n]  # option 0: status quo
    ar = np.arange(n)
    cols = np.flatnonzero(has.any(axis=0))  # initiators with a bargain (in some draw)
    # unchanged positions: x not the initiator i nor its target; layout [B, x, a, i]
    keep = (ar[None, :, None, None] != cols[None, None, None, :]) & (
        ar[None, :, None, None] != target[:, None, None, cols]
    )
    step = int(max(1, BLOCK_ELEMENTS // max(1, B * n * n)))
    for oi, oj in options:
        ui = bs_util(bv_diff(ideal, oi[:, cols], sal), st.R[..., None])  # [B, a, i in cols]
        uj = bs_util(bv_diff(ideal, oj[:, cols], sal), st.R[..., None])
        e = np.empty((B, n, len(cols)))
        for c0 in range(0, len(cols), step):  # blocks of initiators bound the memory
            X = np.where(keep[..., c0 : c0 + step], Vt[..., None], 0.0)
            X[:, 0] += ui[..., c0 : c0 + step] + uj[..., c0 : c0 + step]  # KTAB: the two proposals first
            e[..., c0 : c0 + step] = X.sum(axis=1) / n
            del X
        eu.append(e)
    # options: 0 = SQ, then for each bargain slot s the initiators in cols
    U_opt = np.concatenate([eu[0][..., None]] + eu[1:], axis=-1)  # [B, a, 1 + nb |cols|]
    M, NT = coalitions(U_opt, cap, prm.voting_rule)

    # ---- queues: k's options in KTAB's order (initiators ascending; k's SQ before k's own)
    nc = len(cols)
    init_of = np.concatenate([[-1], np.tile(cols, nb)])  # initiator of each option
    sub = np.concatenate([[0], np.repeat(np.arange(1, nb + 1), nc)])  # 0 SQ, 1.. bargain slot
    k_ = np.arange(n)
    is_init = init_of[None, None, :] == k_[None, :, None]  # [1, k, O]
    rcv = np.concatenate([np.full((B, 1), -1), np.tile(target[:, cols], (1, nb))], axis=1)  # [B, O]
    hasb = np.concatenate([np.zeros((B, 1), bool), np.tile(has[:, cols], (1, nb))], axis=1)
    member = hasb[:, None, :] & (is_init | (rcv[:, None, :] == k_[None, :, None]))
    member[:, :, 0] = True
    slot = np.where(sub == 0, 0, 3 * init_of + sub)[None, None, :] + np.zeros((B, n, 1), int)
    slot[:, :, 0] = 3 * k_[None, :]
    key = np.where(member, slot, np.iinfo(np.int64).max)
    order = np.argsort(key, axis=-1, kind="stable")
    L = int(member.sum(-1).max())
    idx = order[..., :L]  # [B, k, L]
    valid = np.take_along_axis(member, idx, -1)
    rank = np.take_along_axis(key, idx, -1)
    b3 = np.arange(B)[:, None, None, None]
    pq = np.empty((B, n, L))
    kstep = int(max(1, BLOCK_ELEMENTS // max(1, 4 * B * L * L)))
    for k0 in range(0, n, kstep):  # blocks of deciding actors bound the memory
        ks = slice(k0, k0 + kstep)
        ix = idx[:, ks]
        Mg = M[b3, ix[..., :, None], ix[..., None, :]]
        NTg = Mg if NT is M else NT[b3, ix[..., :, None], ix[..., None, :]]
        Cq = orient(Mg, NTg, rank[:, ks])
        pq[:, ks] = pce(Cq, prm.victory_prob_model, prm.pce_model, valid[:, ks])  # [B, k, L]
    if prm.state_transitions == "Deterministic":
        pick = np.argmax(pq, axis=-1)
    else:
        u = rng.random((B, n))  # one draw per actor, in actor order
        cum = np.cumsum(pq, axis=-1)
        pick = np.minimum((cum <= u[..., None] * cum[..., -1:]).sum(-1), L - 1)
        pick = np.where(np.take_along_axis(valid, pick[..., None], -1)[..., 0], pick, 0)
    chosen = np.take_along_axis(idx, pick[..., None], -1)[..., 0]  # compact option index [B, k]
    prob = np.take_along_axis(pq, pick[..., None], -1)[..., 0]
    ci = init_of[chosen]
    cs = sub[chosen]
    new = pos.copy()
    for s, (oi, oj) in enumerate(options, start=1):
        as_init = (cs == s) & (ci == k_[None, :])
        as_rcvr = (cs == s) & ~as_init
        src = np.where(ci >= 0, ci, 0)
        new = np.where(as_init[..., None], oi[bidx, src], new)
        new = np.where(as_rcvr[..., None], oj[bidx, src], new)
    rec = TurnRecord(
        target=np.where(has, target, -1),
        phi=p_ij,
        gain=np.where(has, best, 0.0),
        bargain_init=bI if nb == 1 else options[0][0],
        bargain_rcvr=bJ if nb == 1 else options[0][1],
        choice_init=np.where(cs > 0, ci, -1),
        choice_prob=prob,
    )
    return new, rec


def new_ideals(ideal, new_pos, accom: np.ndarray | None):
    """``SMPState::newIdeals``: ``I <- A P + (1 - sum_j A_ij) I`` (identity: I = P)."""
    if accom is None:
        return new_pos.copy()
    si = np.minimum(accom.sum(axis=-1), 1.0)
    return np.einsum("ij,bjm->bim", accom, new_pos) + (1.0 - si)[None, :, None] * ideal


def unique_representatives(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's unique positions (``setUENdx``, ALGORITHM.md 7.1).

    Representatives are chosen greedily in actor order (an actor is new unless within
    posTol of an earlier *representative*); each actor reports the last representative
    within posTol.  Returns ``(is_rep [B, n], report [B, n])``.  Vectorised: the greedy
    set is found by rounds that settle every actor whose earlier neighbours are settled.
    """
    B, n, _ = pos.shape
    diff = pos[:, :, None, :] - pos[:, None, :, :]
    close = np.sqrt(np.sum(diff * diff, axis=-1)) < POS_TOL
    earlier = np.tril(np.ones((n, n), bool), -1)[None]
    nb = close & earlier
    rep = np.zeros((B, n), bool)
    decided = np.zeros((B, n), bool)
    while not decided.all():
        blocked = (nb & rep[:, None, :]).any(-1)
        pending = (nb & ~decided[:, None, :]).any(-1)
        newly_non = ~decided & blocked
        newly_rep = ~decided & ~blocked & ~pending
        rep |= newly_rep
        decided |= newly_non | newly_rep
    j = np.arange(n)[None, None, :]
    report = np.where(close & rep[:, None, :], j, -1).max(-1)
    return rep, report


def reported_probabilities(pos, ideal, sal, cap, st: _Setup, prm: Params) -> np.ndarray:
    """``SMPState::pDist(-1)``: each actor's winning probability (that of its position)."""
    B, n, _ = pos.shape
    rep, report = unique_representatives(pos)
    # the representatives in actor order, padded to the largest count in the batch
    L = int(rep.sum(-1).max())
    ridx = np.argsort(~rep, axis=-1, kind="stable")[:, :L]  # [B, L]
    valid = np.take_along_axis(rep, ridx, -1)
    r_kk = st.r[:, np.arange(n), np.arange(n)]
    Dk = np.take_along_axis(st.D, np.broadcast_to(ridx[:, None, :], (B, n, L)), -1)
    Ukk = bs_util(Dk, r_kk[..., None])  # [B, k, rep] aUtil[k](k, rep)
    m_, nt = coalitions(Ukk, cap, prm.voting_rule)
    c = orient(m_, nt, np.where(valid, ridx, n + np.arange(L)))
    p = pce(c, prm.victory_prob_model, prm.pce_model, valid=valid)  # [B, L]
    # position of each actor's reported representative in the compact list
    where = np.zeros((B, n), int)
    np.put_along_axis(where, ridx, np.arange(L)[None, :].repeat(B, 0), -1)
    return np.take_along_axis(p, np.take_along_axis(where, report, -1), -1)


# ================================================================= the driver
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


@dataclass(frozen=True)
class Change:
    """A value change of a scenario event on KTAB's scales (``field``: position on [0, 1],
    salience as a raw fraction before normalisation, or capability)."""

    field: str  # "position" | "salience" | "capability"
    actor: int
    issue: int  # -1 for capability
    value: float


def run_smp(
    pos0,
    sal,
    cap,
    prm: Params,
    accom: np.ndarray | None = None,
    rng=None,
    report: bool = True,
    events: dict[int, list[Change]] | None = None,
    salience_normalisation: str | None = None,
) -> SMPRun:
    """Run the SMP on a batch: ``pos0``/``sal`` ``[B, n, m]`` on [0, 1], ``cap`` ``[B, n]``.

    ``events`` maps a turn t to value changes applied to the state that turn t starts from
    (t = 0: to the input state).  With ``salience_normalisation`` ("mean" / "per-actor")
    ``sal`` holds raw saliences, normalised here (also after salience events) by
    :func:`normalise_saliences`; without it ``sal`` is used as given.
    """
    pos = np.array(pos0, dtype=float)
    cap = np.array(cap, dtype=float)
    raw = np.array(sal, dtype=float)
    events = events or {}
    B, n, m = pos.shape
    over = None
    if salience_normalisation is not None:
        # one decision for the whole run (the input and every salience event), no switching
        probe = raw.copy()
        tot_over = np.any(probe.sum(-1) > 1.0, axis=-1)
        for t in sorted(events):
            for ch in events[t]:
                if ch.field == "salience":
                    probe[:, ch.actor, ch.issue] = ch.value
                    tot_over |= np.any(probe.sum(-1) > 1.0, axis=-1)
        over = tot_over[:, None, None]

    def norm(x):
        return x if salience_normalisation is None else normalise_saliences(x, salience_normalisation, over)

    def apply(changes, pos, ideal, raw, cap, act):
        pos, ideal, raw, cap = pos.copy(), ideal.copy(), raw.copy(), cap.copy()
        for ch in changes:
            if ch.field == "position":
                pos[act, ch.actor, ch.issue] = ch.value
                ideal[act, ch.actor, ch.issue] = ch.value  # the actor's stance itself moved
            elif ch.field == "salience":
                raw[act, ch.actor, ch.issue] = ch.value
            elif ch.field == "capability":
                cap[act, ch.actor] = ch.value
        return pos, ideal, raw, cap

    ideal = pos.copy()
    if 0 in events:
        pos, ideal, raw, cap = apply(events[0], pos, ideal, raw, cap, np.ones(B, bool))
        ideal = pos.copy()
    sal = norm(raw)
    sal_tot = sal.sum(-1)
    W = sal_tot * cap
    if accom is not None and np.allclose(accom, np.eye(n), rtol=0, atol=1e-10):
        accom = None
    hist = [pos.copy()]
    probs, risks, turns = [], [], []
    done = np.zeros(B, bool)
    states = np.ones(B, int)
    d01 = np.zeros(B)
    for it in range(1, prm.max_iter + 1):
        st = setup_state(ideal, pos, sal, cap, prm)
        risks.append(st.R)
        if report:
            probs.append(reported_probabilities(pos, ideal, sal, cap, st, prm))
        act = ~done
        if it in events:
            # the recorded state it-1 stays as computed; the turn starts from the changed one
            pos, ideal, raw, cap = apply(events[it], pos, ideal, raw, cap, act)
            sal = norm(raw)
            sal_tot = sal.sum(-1)
            W = sal_tot * cap
            st = setup_state(ideal, pos, sal, cap, prm)
        new = pos.copy()
        if act.all():
            new, rec = turn(pos, ideal, sal, cap, sal_tot, W, st, prm, rng)
        else:
            sub = _Setup(st.D[act], st.R[act], st.r[act])
            new_a, rec = turn(pos[act], ideal[act], sal[act], cap[act], sal_tot[act], W[act], sub, prm, rng)
            new[act] = new_a
            rec = _expand(rec, act, B)
        turns.append(rec)
        ideal = np.where(act[:, None, None], new_ideals(ideal, new, accom), ideal)
        step = np.sqrt(((new - pos) ** 2).sum(-1)).sum(-1)
        if it == 1:
            d01 = step
        pos = np.where(act[:, None, None], new, pos)
        hist.append(pos.copy())
        states = np.where(act, it + 1, states)
        stop = (it >= prm.max_iter) | ((it >= MIN_ITER) & (step / (d01 + MIN_SIG_DELTA) < MIN_DELTA_RATIO))
        done = done | stop
        if done.all():
            break
    st = setup_state(ideal, pos, sal, cap, prm)
    risks.append(st.R)
    if report:
        probs.append(reported_probabilities(pos, ideal, sal, cap, st, prm))
    T = len(hist)
    P = np.stack(hist, 1)
    Pr = np.stack(probs, 1) if report else np.zeros((B, T, n))
    Rk = np.stack(risks, 1)
    # (a stopped run's positions are frozen, so its later entries already repeat its final state)
    scaled = np.zeros(B, bool) if over is None else np.broadcast_to(over[:, 0, 0], (B,)).copy()
    return SMPRun(P, Pr, Rk, states, turns, W, scaled)


def _expand(rec: TurnRecord, act: np.ndarray, B: int) -> TurnRecord:
    def ex(x, fill):
        out = np.full((B,) + x.shape[1:], fill, dtype=x.dtype)
        out[act] = x
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


# ================================================================= the model
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


def _scenario_events(scenario: Scenario) -> tuple[dict[int, list[Change]], list[str]]:
    """The scenario's timed events as value changes per turn (KTAB scales), and what is
    skipped: actors entering or leaving (KTAB's actor set is fixed), events without a round."""
    a = scenario.arrays()
    span = a.scale_max - a.scale_min
    actor = {aid: k for k, aid in enumerate(scenario.actor_ids)}
    issue = {iid: k for k, iid in enumerate(scenario.issue_ids)}
    out: dict[int, list[Change]] = {}
    skipped: list[str] = []
    for e_k, ev in enumerate(scenario.events):
        name = ev.id or f"events.{e_k}"
        if ev.round is None:
            skipped.append(f"{name}: no round (dated events need a round for SMP turns)")
            continue
        for ch in ev.changes:
            if ch.field in ("enter", "leave") or ch.actor not in actor:
                skipped.append(f"{name}: {ch.field} of {ch.actor} (SMP keeps a fixed set of actors, as KTAB)")
                continue
            k = actor[ch.actor]
            if ch.field == "position":
                c = issue[ch.issue]
                out.setdefault(ev.round, []).append(
                    Change("position", k, c, float((ch.value - a.scale_min[c]) / span[c]))
                )
            elif ch.field == "salience":
                out.setdefault(ev.round, []).append(Change("salience", k, issue[ch.issue], float(ch.value) / 100.0))
            elif ch.field == "capability":
                out.setdefault(ev.round, []).append(Change("capability", k, -1, float(ch.value)))
    return out, skipped


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
    KTAB (KAPSARC Toolkit for Behavioral Analysis), ``examples/smp/libsrc/smp.cpp``,
    ``smpbcn.cpp`` and ``KTAB/kmodel/libsrc/kmodel.cpp`` (MIT licence), the
    ``smpc`` program whose outputs the golden tests compare against.
    KTAB's SMP documentation (``examples/smp/doc``) and ``KTAB/kmodel/doc/markov-incentives.tex``
    (utility ``(1-d)(1+dR)``, risk from the PCE, the turn, the MarkovIncentive PCE).
    Efird, B., Lester, S., & Wise, B. (2016). *J. East Asian Studies* 16, 117-145.
    """

    name = "smp"
    label = "Spatial model of politics (KTAB SMP)"
    Options = SMPOptions
    vectorised = True
    stochastic = True

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
    def run(self, scenario: Scenario, rng: np.random.Generator | int | None = None):
        """As :meth:`Model.run`; without a seed (``rng=None`` and no ``seed`` option) a KTAB
        XML scenario's ``prngSeed`` seeds the stochastic transitions, as in ``smpc``."""
        xml_seed = ((scenario.extensions or {}).get("ktab") or {}).get("prng_seed")
        if rng is None and self.options.seed is None and xml_seed is not None:
            return super().run(scenario, rng=int(xml_seed))
        return super().run(scenario, rng=rng)

    def _generator(self, rng):
        if self.options.seed is not None:
            return np.random.default_rng(self.options.seed)
        return rng if rng is not None else np.random.default_rng()

    def _run(self, scenario: Scenario, rng):
        prm = self.params(scenario)
        ids = scenario.actor_ids
        pos, sal, cap = _scenario_arrays(scenario)
        A = self.accommodation(scenario)
        events, skipped = _scenario_events(scenario)
        how = self.options.salience_normalisation
        out = run_smp(pos[None], sal[None], cap[None], prm, A, self._generator(rng), events=events,
                      salience_normalisation=how)
        a = scenario.arrays()
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
        details = {
            "parameters": prm.as_dict(),
            "states": T,
            "turns": T - 1,
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
            "events_applied": [{"before_turn": t, "changes": len(ch)} for t, ch in sorted(events.items()) if t < T],
            "events_skipped": skipped
            + [f"{len(ch)} change(s) at round {t}: the run ended first" for t, ch in sorted(events.items()) if t >= T],
            "ideal_adjustment": A is not None,
        }
        res = self.make_result(scenario, forecast, history=history, details=details)
        res.options = {**self.get_options(), **prm.as_dict()}
        return res

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
        events, _ = _scenario_events(scen)
        cap = one_level_capability(scen, batch.capability, batch.position)
        cap1 = np.where(np.all(cap == cap[..., :1], axis=-1), cap[..., 0], cap.mean(axis=-1))
        A = self.accommodation(scen)
        gen = self._generator(rng)
        out = np.empty((batch.draws, len(scen.issues)))
        B = batch.draws
        n = len(scen.actors)
        chunk = max(1, int(2e7 // max(1, n**3)))
        for s in range(0, B, chunk):
            e = min(B, s + chunk)
            r = run_smp(pos[s:e], sal[s:e], cap1[s:e], prm, A, gen, events=events,
                        salience_normalisation=self.options.salience_normalisation)
            T = r.states
            fin_pos = r.positions[np.arange(e - s), T - 1]
            fin_p = r.probabilities[np.arange(e - s), T - 1]
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
                note=f"position of {', '.join(mp.get('shared_by') or [mp.get('actor', '')])}; turns: {d.get('turns')}",
            ),
        ]
        return tables

"""One SMP state: its set-up (``setAllAUtil``), the challenges, one turn (``doBCN``), and the
reported winning probabilities (``pDist(-1)``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from realpolitik.models.smp import params
from realpolitik.models.smp.params import (
    MIN_CHALLENGE_COALITION,
    MIN_COALITION,
    MIN_SIG_EDU,
    MIN_W,
    POS_TOL,
    Params,
)
from realpolitik.models.smp.primitives import (
    big_r_from_prob,
    bs_util,
    bv_diff,
    coalitions,
    est_nra,
    interpolate,
    orient,
    pce,
    vote,
)


@dataclass
class StateSetup:
    """Per-state quantities shared by the steps of a turn (batch axis first)."""

    D: np.ndarray  # [B, n, n] distance from ideal x to position y
    R: np.ndarray  # [B, n] inferred risk attitudes
    r: np.ndarray  # [B, n, n] r[h, i]: h's estimate of i's attitude


def setup_state(ideal, pos, sal, cap, prm: Params, fast: bool | None = None) -> StateSetup:
    """``SMPState::setAllAUtil``: distances, risk attitudes and their estimates (``fast``:
    compiled steps or not, see :func:`~realpolitik.models.smp.params.compiled`)."""
    B, n = ideal.shape[:2]
    big = ideal.ndim == 3 and params.compiled(B, n, fast)  # compiled steps, the same numbers
    if big:
        from realpolitik.models.smp import kernels

        D = kernels.bv_diff(ideal, pos, sal)
    else:
        D = bv_diff(ideal, pos, sal)
    u0 = bs_util(D, np.zeros_like(D[..., :1]))
    m_, nt = coalitions(u0, cap, prm.voting_rule, big)
    p = None
    if big and m_ is nt and prm.pce_model == "Conditional" and prm.victory_prob_model != "Binary":
        idx = np.broadcast_to(np.arange(n), (B, 1, n))
        q, ok = kernels.queue_pce(m_, idx, np.ones((B, 1, n), bool), kernels.VPM_POWER[prm.victory_prob_model])
        p = q[:, 0] if ok else None
    if p is None:
        p = pce(orient(m_, nt), prm.victory_prob_model, prm.pce_model)
    R = big_r_from_prob(p, prm.big_r_range)
    r = est_nra(R[..., :, None], R[..., None, :], prm.big_r_adjust)
    return StateSetup(D, R, r)


def _chunk(n: int, batch: int) -> int:
    """Initiators per block: a [B, n, C, n] buffer of about BLOCK_ELEMENTS / 27 elements
    (small blocks stay in cache: 1.7x faster than whole arrays at n = 200)."""
    return int(max(1, min(n, (params.BLOCK_ELEMENTS // 27) // max(1, batch * n * n))))


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


def challenges(st: StateSetup, sal_tot, W, prm: Params, fast: bool | None = None):
    """Every actor's evaluation of challenging every other (``probEduChlg(i, i, i, j)``).

    Returns ``phi [B, i, j]`` (i's estimate that i beats j) and ``gain [B, i, j]``
    (i's expected utility gain; -inf on the diagonal).
    """
    D, r = st.D, st.r
    B, n, _ = D.shape
    rule = prm.voting_rule
    semi = prm.third_party_commit == "SemiCommit"
    if rule == "Prop" and params.compiled(B, n, fast):  # compiled, the same numbers
        from realpolitik.models.smp.kernels import challenges_prop

        return challenges_prop(D, r, W, sal_tot, semi, MIN_CHALLENGE_COALITION)
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


def prob_edu(st: StateSetup, sal_tot, W, prm: Params, h, k, i, j):
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


def turn(pos, ideal, sal, cap, sal_tot, W, st: StateSetup, prm: Params, rng: np.random.Generator | np.ndarray | None,
         fast: bool | None = None):
    """One turn (``SMPState::doBCN``): returns the new positions and a :class:`TurnRecord`.

    ``rng``: for stochastic transitions, a generator (one uniform per actor, in actor order)
    or those uniforms ``[B, n]`` drawn beforehand.  ``fast``: compiled steps or not (see
    :func:`~realpolitik.models.smp.params.compiled`; the same numbers either way).
    """
    B, n, m = pos.shape
    fast = params.compiled(B, n, fast)
    phi, gain = challenges(st, sal_tot, W, prm, fast)
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
    step = int(max(1, params.BLOCK_ELEMENTS // max(1, B * n * n)))
    for oi, oj in options:
        if fast:  # compiled, the same numbers
            from realpolitik.models.smp.kernels import option_utilities

            eu.append(option_utilities(Vt, ideal, sal, st.R, oi, oj, cols, target))
            continue
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
    M, NT = coalitions(U_opt, cap, prm.voting_rule, fast)

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
    kstep = int(max(1, params.BLOCK_ELEMENTS // max(1, 4 * B * L * L)))
    compiled = (NT is M and prm.pce_model == "Conditional" and fast
                and prm.victory_prob_model != "Binary")  # fmt: skip
    if compiled:  # every queue in one compiled pass, the same numbers
        from realpolitik.models.smp.kernels import VPM_POWER, queue_pce

        pq, compiled = queue_pce(M, idx, valid, VPM_POWER[prm.victory_prob_model])
    for k0 in range(0, 0 if compiled else n, kstep):  # blocks of deciding actors bound the memory
        ks = slice(k0, k0 + kstep)
        ix = idx[:, ks]
        Mg = M[b3, ix[..., :, None], ix[..., None, :]]
        NTg = Mg if NT is M else NT[b3, ix[..., :, None], ix[..., None, :]]
        Cq = orient(Mg, NTg, rank[:, ks])
        pq[:, ks] = pce(Cq, prm.victory_prob_model, prm.pce_model, valid[:, ks])  # [B, k, L]
    if prm.state_transitions == "Deterministic":
        pick = np.argmax(pq, axis=-1)
    else:
        u = rng if isinstance(rng, np.ndarray) else rng.random((B, n))  # one draw per actor, in actor order
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


def turn_step(new, pos):
    """The driver's measure of a turn's change: ``sum_k |new_k - pos_k|`` per run ``[B]``."""
    return np.sqrt(((new - pos) ** 2).sum(-1)).sum(-1)


def compiled_turn_applies(prm: Params) -> bool:
    """Whether :func:`compiled_turn` runs these options (else :func:`turn`)."""
    return (prm.voting_rule == "Prop" and prm.pce_model == "Conditional" and prm.victory_prob_model != "Binary"
            and prm.bargn_model == "InitOnlyInterp")  # fmt: skip


_NO_UNIFORMS = np.empty((0, 0))


def compiled_turn(pos, ideal, sal, cap, sal_tot, W, prm: Params, u: np.ndarray | None):
    """:func:`setup_state` and :func:`turn` of a batch in three compiled calls (the set-up,
    the challenges, the rest of the turn: :mod:`realpolitik.models.smp.kernels`) for the
    options of :func:`compiled_turn_applies`, the same numbers: returns the new positions
    and :func:`turn_step`.  ``u``: the turn's uniforms ``[B, n]`` (stochastic transitions).
    """
    from realpolitik.models.smp import kernels

    power = kernels.VPM_POWER[prm.victory_prob_model]
    D, R, r, ok = kernels.setup_prop(ideal, pos, sal, cap, power, kernels.BIG_R_RANGE[prm.big_r_range],
                                     kernels.BIG_R_ADJUST[prm.big_r_adjust], MIN_COALITION)  # fmt: skip
    st = StateSetup(D, R, r) if ok else setup_state(ideal, pos, sal, cap, prm, True)
    phi, gain = challenges(st, sal_tot, W, prm, True)
    stochastic = prm.state_transitions != "Deterministic"
    new, step, ok = kernels.bargains_prop(pos, ideal, sal, cap, st.D, st.R, st.r, phi, gain, power,
                                          kernels.INTER_VEC_BRGN[prm.inter_vec_brgn],
                                          u if stochastic else _NO_UNIFORMS, stochastic, MIN_SIG_EDU, MIN_W,
                                          MIN_COALITION)  # fmt: skip
    if not ok:  # some queue's PCE total underflowed: NumPy's log-space path for this turn
        new, _ = turn(pos, ideal, sal, cap, sal_tot, W, st, prm, u, True)
        step = turn_step(new, pos)
    return new, step


def new_ideals(ideal, new_pos, accom: np.ndarray | None):
    """``SMPState::newIdeals``: ``I <- A P + (1 - sum_j A_ij) I`` (identity: I = P)."""
    if accom is None:
        return new_pos.copy()
    si = np.minimum(accom.sum(axis=-1), 1.0)
    return np.einsum("ij,bjm->bim", accom, new_pos) + (1.0 - si)[None, :, None] * ideal


def unique_representatives(pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's unique positions (``setUENdx``, tests/data/anchors/ktab/ALGORITHM.md 7.1).

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


def reported_probabilities(pos, ideal, sal, cap, st: StateSetup, prm: Params) -> np.ndarray:
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

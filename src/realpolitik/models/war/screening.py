"""Screening while fighting (Powell 2004): a skimming programme solved by backward induction.

The uninformed state U offers the informed state I a share ``x`` each round; if
I accepts the division holds forever, if it rejects one round of fighting
follows: U collapses with probability ``r_U`` (I then gets everything forever),
I collapses with ``r_I`` (U gets everything), otherwise play continues
(``ρ_c = 1 - r_U - r_I``).  Per-round costs are ``c_U`` and ``c_θ``; ``c_θ`` is
I's private type.  With uncertainty over costs only, battles carry no
information and U learns only from rejections: it skims types, offers rise over
time and the war ends within as many rounds as there are types.

Structure [K] (Powell 2004; Filson & Werner 2002 for the related two-type
game).  The recursion below is the design document's **implementable skimming
programme, a derived form [D]** (design doc 3.4), to be replaced by the paper's
own equilibrium recursion if that differs (design doc 7).  Flow units: a share
``x`` held forever is worth ``x/(1-δ)``.

References
----------
[Powell2004] Powell, R. (2004). Bargaining and learning while fighting. *American Journal of
Political Science* 48(2), 344-361.
[FilsonWerner2002] Filson, D. & Werner, S. (2002). A bargaining model of war and peace. *AJPS*
46(4), 819-837.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SkimmingSolution:
    """The on-path play of the skimming programme from the full type set.

    ``offers[r]`` is U's offer in fighting round ``r`` (round 0 = before any
    fighting), accepted by the types ``accepting[r]`` (indices into the *sorted*
    types, most eager first).  ``fight_forever`` is True when U stops offering
    and fights the remaining types to the end.  ``settle_round[i]`` is the round
    in which sorted type ``i`` settles (``inf`` if never).
    """

    types: np.ndarray  # sorted costs c_1 > ... > c_K
    prior: np.ndarray  # prior over the sorted types
    offers: tuple[float, ...]
    accepting: tuple[tuple[int, ...], ...]
    posterior_tough: tuple[float, ...]  # P(lowest-cost type | state) at each on-path offer
    settle_round: np.ndarray
    expected_duration: float  # rounds of fighting (capped at max_rounds for fight-forever types)
    fight_forever: bool
    value_U: float  # W_U(1): U's value at the start (PV)
    war_value_U: float  # F_U
    clipped: bool
    # the full programme: state k -> (choice j or -1 for fight forever, offer x_j)
    policy: tuple[tuple[int, float], ...]


def skimming_dp(types, prior, c_U: float, r_U: float, r_I: float, delta: float, max_rounds: int = 100) -> SkimmingSolution:
    """Solve the costs-only skimming programme by backward induction over states.

    Parameters
    ----------
    types : I's possible per-round costs ``c_θ`` (any order; sorted internally so
        that ``c_1 > c_2 > ... > c_K``, type 1 the most eager to settle).
    prior : prior probabilities of ``types`` (normalised).
    c_U : U's per-round cost.
    r_U, r_I : per-round collapse probabilities of U and of I (``r_U + r_I < 1``).
    delta : discount factor in (0, 1).
    max_rounds : cap on the on-path rounds reported (and on the duration of
        types U fights forever).

    The state ``k`` means "types k..K remain" (posterior = prior restricted).  With
    ``x_next`` the on-path offer in state ``j+1``::

        F_θ   = (-c_θ + δ r_U/(1-δ)) / (1 - δρ_c)            (fight to the end)
        F_U   = (-c_U + δ r_I/(1-δ)) / (1 - δρ_c)
        x_j   = (1-δ)(-c_j) + δ r_U + δρ_c x_next            (type j indifferent)
        x_K   = (1-δ) F_K
        W_U(k) = max(F_U, max_{j>=k} P(k..j|k)(1-x_j)/(1-δ)
                         + P(j+1..K|k)(-c_U + δ(r_I/(1-δ) + ρ_c W_U(j+1))))

    If U fights forever in state ``j+1``, type ``j``'s continuation is its own
    fight-to-the-end value, so ``x_j = (1-δ)F_j``.  Offers are clipped to [0, 1].
    """
    c = np.asarray(types, float)
    pr = np.asarray(prior, float)
    if c.ndim != 1 or c.shape != pr.shape or c.size == 0:
        raise ValueError("types and prior must be 1-d arrays of the same, non-zero length")
    if np.any(pr < 0) or pr.sum() <= 0:
        raise ValueError("prior must be non-negative with a positive sum")
    if not 0 < delta < 1:
        raise ValueError("delta must lie in (0, 1)")
    if r_U < 0 or r_I < 0 or r_U + r_I >= 1:
        raise ValueError("collapse probabilities must be >= 0 with r_U + r_I < 1")
    order = np.argsort(-c, kind="stable")
    c, pr = c[order], pr[order] / pr.sum()
    K = c.size
    rho = 1.0 - r_U - r_I
    F = (-c + delta * r_U / (1 - delta)) / (1 - delta * rho)
    F_U = (-c_U + delta * r_I / (1 - delta)) / (1 - delta * rho)
    # backward induction; index states 0..K-1 (state k: types k..K-1), state K = empty
    W = np.full(K + 1, np.nan)
    choice = np.full(K, -1)
    offer_in_state = np.full(K + 1, np.nan)  # on-path offer made in state k (NaN: fight forever)
    x = np.full(K, np.nan)  # x_j: the offer that makes type j indifferent
    clipped = False
    tail = np.cumsum(pr[::-1])[::-1]  # P(types k..K-1)
    for j in range(K - 1, -1, -1):
        # x_j depends only on what U does in state j+1
        if j == K - 1:
            xj = (1 - delta) * F[j]
        elif np.isnan(offer_in_state[j + 1]):
            xj = (1 - delta) * F[j]
        else:
            xj = (1 - delta) * (-c[j]) + delta * r_U + delta * rho * offer_in_state[j + 1]
        xc = min(max(xj, 0.0), 1.0)
        clipped |= xc != xj
        x[j] = xc
        # state k = j: choose the last accepting type jj >= j
        k = j
        best, arg = F_U, -1
        for jj in range(k, K):
            p_acc = (tail[k] - (tail[jj + 1] if jj + 1 < K else 0.0)) / tail[k]
            val = p_acc * (1 - x[jj]) / (1 - delta)
            if jj + 1 < K:
                val += (1 - p_acc) * (-c_U + delta * (r_I / (1 - delta) + rho * W[jj + 1]))
            if val > best + 1e-15:
                best, arg = val, jj
        W[k] = best
        choice[k] = arg
        offer_in_state[k] = x[arg] if arg >= 0 else np.nan
    # on-path play from state 0
    offers, accepting, post = [], [], []
    settle = np.full(K, np.inf)
    k, r, forever = 0, 0, False
    while k < K and r < max_rounds:
        j = choice[k]
        post.append(float(pr[K - 1] / tail[k]))
        if j < 0:
            forever = True
            break
        offers.append(float(x[j]))
        accepting.append(tuple(range(k, j + 1)))
        settle[k : j + 1] = r
        k, r = j + 1, r + 1
    dur_rounds = np.where(np.isfinite(settle), settle, max_rounds)
    return SkimmingSolution(
        types=c,
        prior=pr,
        offers=tuple(offers),
        accepting=tuple(accepting),
        posterior_tough=tuple(post),
        settle_round=settle,
        expected_duration=float(np.dot(pr, dur_rounds)),
        fight_forever=forever,
        value_U=float(W[0]),
        war_value_U=float(F_U),
        clipped=bool(clipped),
        policy=tuple((int(choice[i]), float(x[choice[i]]) if choice[i] >= 0 else float("nan")) for i in range(K)),
    )

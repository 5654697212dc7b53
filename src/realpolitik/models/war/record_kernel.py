"""The war layer's batch core compiled with numba: the record conditioning and the forecast.

:func:`realpolitik.models.war.simulator.condition_on_record` walks every proposed draw
through the war's record: the settlement test at the war's start, the path of battles
(coded ones forced, the others decided by the draw's counter luck), then the tests from
the origin backwards.  In NumPy each step is some forty array passes over the draws still
consistent (about three tests a proposed draw on the default scenario, 2.6 million tests
for 1,000 scenario draws of the batch core).  Here one compiled loop takes each draw
through the same checks in the same order.

What stays in NumPy is what numba would compute with other last bits: the expected values
of fighting on under each side's Beta belief (``exp``, BLAS), evaluated once per distinct
belief state by the model's :class:`~realpolitik.models.war.simulator.BeliefIntegrator`
(a state's value does not depend on the states evaluated with it) and read here from
tables indexed by (the draw's start state, step, battles won).  The rest is additions,
comparisons, ``min``/``max`` and the SplitMix64 counter luck, operation for operation as
the NumPy path: the same consistent draws, the same reasons for the rejected ones and the
same state at the origin, bit for bit (tests/test_war_record_kernel.py).

The tables need few distinct start states (draws with their own continuous battle
weights have as many as draws): :func:`compiled_record` says when they apply and the
NumPy path runs otherwise.

The forecast phase (:func:`compiled_future`, the wars kept going on from the origin with
their own luck) is compiled step by step in the same way: at each step the integrator
evaluates the belief states the wars still on have newly reached (NumPy), and one compiled
pass makes the settlement test, the constrained Nash terms and the battle of every war
(``simulator._run_chunk``'s arithmetic).  Wars with battle evidence still to come stay
NumPy.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True, nogil=True)
def _splitmix64(x):
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def _luck(base, row, t):
    """:class:`~realpolitik.models.war.simulator.CounterLuck` of one draw and step."""
    ctr = np.uint64(row) * np.uint64(4096) + np.uint64(t)
    z = _splitmix64(base + ctr * _GOLDEN)
    return np.float64(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def luck_matrix(base, rows, steps):
    """:meth:`~realpolitik.models.war.simulator.CounterLuck.matrix`: ``[len(rows), steps]``."""
    out = np.empty((rows.size, steps))
    for i in range(rows.size):
        for t in range(steps):
            out[i, t] = _luck(base, rows[i], t)
    return out


@njit(cache=True, nogil=True)
def _hash(X, i):  # one multiply a column, SplitMix64's finaliser once (the codes do not depend on it)
    h = np.uint64(0)
    for c in range(len(X)):
        h = (h ^ X[c][i]) * _M1
    h = (h ^ (h >> np.uint64(29))) * _M2
    return h ^ (h >> np.uint64(32))


@njit(cache=True, nogil=True)
def factorize_bits(X):
    """Codes ``0..P-1`` of the draws by their columns ``X`` (a tuple of uint64 arrays: the bits
    of each draw's numbers), equal if and only if all bits are equal, in order of first
    appearance; and the first draw of each code (open addressing on a hash; the table grows
    with the codes, so a few codes stay in cache)."""
    C, n = len(X), X[0].size
    size = 1024
    mask = np.uint64(size - 1)
    table = np.full(size, -1, np.int64)
    codes = np.empty(n, np.int64)
    first = np.empty(n, np.int64)
    m = 0
    for i in range(n):
        j = _hash(X, i) & mask
        while True:
            r = table[j]
            if r < 0:
                table[j] = i
                codes[i] = m
                first[m] = i
                m += 1
                if 2 * m > size:  # grow: rehash the first draw of every code
                    size *= 4
                    mask = np.uint64(size - 1)
                    table = np.full(size, -1, np.int64)
                    for q in range(m):
                        jj = _hash(X, first[q]) & mask
                        while table[jj] >= 0:
                            jj = (jj + np.uint64(1)) & mask
                        table[jj] = first[q]
                break
            same = True
            for c in range(C):
                if X[c][r] != X[c][i]:
                    same = False
                    break
            if same:
                codes[i] = codes[r]
                break
            j = (j + np.uint64(1)) & mask
    return codes, first[:m]


@njit(cache=True, nogil=True)
def _max(a, b):  # np.maximum: NaN propagates
    if a != a or b != b:
        return np.nan
    return a if a >= b else b


@njit(cache=True, nogil=True)
def _min(a, b):  # np.minimum
    if a != a or b != b:
        return np.nan
    return a if a <= b else b


@njit(cache=True, nogil=True)
def _hi(a, b):  # max of two numbers that are not NaN, without a branch
    return a if a >= b else b


@njit(cache=True, nogil=True)
def _lo(a, b):
    return a if a <= b else b


@njit(cache=True, nogil=True)
def _deal_exists(EA, EB, CA, CB, pA, pB, lo, hi):
    """Whether a deal exists (``simulator._record_chunk``'s test without the talks), without
    branches: any NaN makes NumPy's comparisons false (``np.maximum`` propagates it), so the
    answer is then no; otherwise ``max``/``min`` are the plain ones."""
    war_lo = EA + pA
    war_hi = 1.0 - (EB + pB)
    nan = (war_lo != war_lo) | (war_hi != war_hi) | (CA != CA) | (CB != CB) | (lo != lo) | (hi != hi)
    lower = _hi(_hi(lo, 0.0), CA)
    upper = _lo(_lo(hi, 1.0), CB)
    wl = _lo(_hi(war_lo, 0.0), 1.0)
    wh = _lo(_hi(war_hi, 0.0), 1.0)
    return (war_lo <= war_hi) & (_hi(wl, lower) <= _lo(wh, upper)) & (nan == False)  # noqa: E712


@njit(cache=True, nogil=True)
def _test(t, EA, EB, CA, CB, pA, pB, lo, hi, talk_step, talk_side, talk_offer):
    """The settlement test of ``simulator._record_chunk`` (``test``) for one draw at step ``t``
    (``CA``/``CB``: the ceasefire line's bounds as A and B judge it, or -inf/+inf):
    0 consistent, 1 a deal existed, 3 a refused offer was acceptable."""
    bad = _deal_exists(EA, EB, CA, CB, pA, pB, lo, hi)
    code = np.int64(bad)
    for i in range(talk_step.size):
        if talk_step[i] != t:
            continue
        war_lo = EA + pA
        war_hi = 1.0 - (EB + pB)
        lower = _max(_max(lo, 0.0), CA)
        upper = _min(_min(hi, 1.0), CB)
        wl = _min(_max(war_lo, 0.0), 1.0)
        wh = _min(_max(war_hi, 0.0), 1.0)
        if talk_side[i] == 1:
            acc = talk_offer[i] >= _max(wl, lower)
        else:
            acc = talk_offer[i] <= _min(wh, upper)
        if acc and not bad:
            code = 3
        bad = bad or acc
    return code


@njit(cache=True, nogil=True)
def start_deals(codeA, codeB, TAV, TAC, TBV, TBC, pA_max, pB_max, lo, hi, rows, failed):
    """The draws in which a deal exists at the war's start even with each side's largest
    possible credibility premium (``p*_max``): ``failed = 1`` for them, as the record's first
    test would find with their own premiums (a higher premium only narrows the deals: the
    test is monotone in both premiums).  Returns how many there are."""
    count = 0
    for d in range(codeA.size):
        a, b, r = codeA[d], codeB[d], rows[d]
        bad = _deal_exists(TAV[a, 0, 0], TBV[b, 0, 0], TAC[a, 0, 0], TBC[b, 0, 0], pA_max, pB_max, lo[r, 0], hi[r, 0])
        failed[d] = np.int8(bad)
        count += np.int64(bad)
    return count


@njit(cache=True, nogil=True)
def record_kernel(ids, p, codeA, codeB, pA, pB, lo, hi, rows, forced, k0, N, talk_step, talk_side, talk_offer,
                  TAV, TAC, TBV, TBC, luck_base, offset, failed, wins, k_end):  # fmt: skip
    """The draws ``ids`` through the record, in the NumPy path's order of checks: the war's
    start, the path's military end, then the steps from the origin back to step 1.  ``T*[code,
    t, w]``: the expected war values (``V``) and the ceasefire line's bounds (``C``) of each side's
    belief in the draw's start state after ``t`` battles of which A won ``w``; ``pA``/``pB``
    the premiums of the draws ``ids`` (in their order).
    Writes ``failed`` (0 consistent), and for consistent draws ``wins`` and ``k_end`` (the
    battles A won in the record and the front at the origin)."""
    R = forced.size
    cw = np.zeros(R + 1, np.int64)
    talked = np.zeros(R + 1, np.bool_)  # steps with a recorded offer (the others need no talk loop)
    for i in range(talk_step.size):
        if 0 <= talk_step[i] <= R:
            talked[talk_step[i]] = True
    start_ended = k0 <= 0 or k0 >= N
    for j in range(ids.size):
        d = ids[j]
        a, b, r = codeA[d], codeB[d], rows[d]
        code = _test(0, TAV[a, 0, 0], TBV[b, 0, 0], TAC[a, 0, 0], TBC[b, 0, 0], pA[j], pB[j], lo[r, 0], hi[r, 0],
                     talk_step, talk_side, talk_offer)  # fmt: skip
        if code != 0:
            failed[d] = code
            continue
        ended = start_ended
        row = np.uint64(d + offset)
        for t in range(R):
            f = forced[t]
            if f != 0:
                won = np.int64(f > 0)
            else:
                won = np.int64(_luck(luck_base, row, t) < p[d])
            cw[t + 1] = cw[t] + won
            kt = k0 + 2 * cw[t + 1] - (t + 1)
            ended |= (kt <= 0) | (kt >= N)
        if ended:
            failed[d] = 2
            continue
        for t in range(R, 0, -1):
            w = cw[t]
            if talked[t]:
                code = _test(t, TAV[a, t, w], TBV[b, t, w], TAC[a, t, w], TBC[b, t, w], pA[j], pB[j], lo[r, t],
                             hi[r, t], talk_step, talk_side, talk_offer)  # fmt: skip
            else:
                code = np.int64(_deal_exists(TAV[a, t, w], TBV[b, t, w], TAC[a, t, w], TBC[b, t, w], pA[j], pB[j],
                                             lo[r, t], hi[r, t]))  # fmt: skip
            if code != 0:
                break
        failed[d] = code
        if code == 0:
            wins[d] = cw[R]
            k_end[d] = k0 + 2 * cw[R] - R


def _bits(x) -> np.ndarray:
    """The bits of ``x`` (a view), read-only: every column then has one numba type."""
    v = np.ascontiguousarray(x, np.float64).view(np.uint64)
    v.flags.writeable = False
    return v


def _start_codes(aA, bA, aB, bB, cols):
    """Each side's start-state codes and their first draws (:func:`factorize_bits` of
    ``(a, b, *cols)``): both sides' states at once, then each side's among those (a side's
    state first appears where the pair first appears, so the codes and first draws are
    each side's own, in order of first appearance)."""
    A, B, C = (_bits(aA), _bits(bA)), (_bits(aB), _bits(bB)), tuple(_bits(c) for c in cols)
    pair, first = factorize_bits(A + B + C)
    out = []
    for side in (A, B):
        code, rep = factorize_bits(tuple(x[first] for x in side + C))
        out += [code[pair], first[rep]]
    return out


def compiled_record(params, integ, lo_t, hi_t, rows, forced, events, talks, p, aA, bA, aB, bB, pA, pB, k, failed,
                    wins, luck, offset: int, lazy=None) -> bool:  # fmt: skip
    """``simulator._record_chunk`` for one chunk, compiled (same arguments but the bounds:
    ``lo_t``/``hi_t`` of all draws, ``rows`` the chunk's rows of them or None; ``luck`` the
    :class:`~realpolitik.models.war.simulator.CounterLuck` and ``offset`` the chunk's first
    row).  False (nothing done) when the draws' start states are too many for tables.

    ``lazy`` (optional): ``pA``/``pB`` are then each side's largest possible premium (two
    numbers) and ``lazy(idx)`` gives the premiums of the draws ``idx``; it is asked only for
    the draws in which no deal exists at the war's start with the largest premiums (where
    one does, the draw fails there whatever its premiums: :func:`start_deals`)."""
    from realpolitik.models.war.mechanisms import ceasefire_line_bounds, ceasefire_thresholds
    from realpolitik.models.war.simulator import _cumulated, _event_columns, _take_events

    n, R, N, k0 = p.size, forced.size, params.N, params.k0
    if integ.mode != "quadrature" or not np.all(k == k0):
        return False
    cols = _event_columns(events)
    codeA, firstA, codeB, firstB = _start_codes(aA, bA, aB, bB, cols)
    steps = (R + 1) * (R + 2) // 2
    if (firstA.size + firstB.size) * steps > 2 * n:  # the tables would cost more than the draws
        return False
    # each side's evidence cumulated by step, for the draws idx (elementwise: as of all draws)
    evidence = lambda idx: _cumulated(_take_events(events, idx), idx.size if cols else 0)  # noqa: E731
    # every state a draw can be tested in: step t, w of its t battles won by A, front inside
    t_all, w_all = np.tril_indices(R + 1)
    inside = (k0 + 2 * w_all - t_all > 0) & (k0 + 2 * w_all - t_all < N)
    ts, ws = t_all[inside], w_all[inside]
    cf = params.ceasefire
    tables = []
    for first, a0, b0, side in ((firstA, aA, bA, 0), (firstB, aB, bB, 1)):
        evA, evB = evidence(first)
        eA = np.stack([np.broadcast_to(evA(t), first.shape) for t in range(R + 1)], axis=1)
        eB = np.stack([np.broadcast_to(evB(t), first.shape) for t in range(R + 1)], axis=1)
        # as the NumPy path forms them: (a + w) + evidence, (b + (t - w)) + evidence
        sa = (a0[first][:, None] + ws[None, :]) + eA[:, ts]
        sb = (b0[first][:, None] + (ts - ws)[None, :]) + eB[:, ts]
        sk = np.broadcast_to(k0 + 2 * ws - ts, sa.shape)
        vals = integ._expect_cached(sa.ravel(), sb.ravel(), sk.ravel())
        V = np.full((first.size, R + 1, R + 1), np.nan)
        C = np.full((first.size, R + 1, R + 1), -np.inf if side == 0 else np.inf)
        V[:, ts, ws] = vals[side].reshape(sa.shape)
        if cf is not None:
            # simulator._acceptable: the ceasefire line's bound each side sets by its own belief
            gA, gB = ceasefire_thresholds(vals[2], vals[2], cf.d_A, cf.d_B, cf.delta)
            clo, chi = ceasefire_line_bounds(gA, gB, cf.p_shift, cf.kappa, cf.x_sq)
            C[:, ts, ws] = (clo if side == 0 else chi).reshape(sa.shape)
        tables += [V, C]
    flat = [(t, side, x) for t, items in talks.items() for side, x in items]
    talk_step = np.array([t for t, _, _ in flat], np.int64)
    talk_side = np.array([s for _, s, _ in flat], np.int64)
    talk_offer = np.array([x for _, _, x in flat], np.float64)
    if lo_t.ndim == 1 and hi_t.ndim == 1:  # the same bounds for every draw: one row
        lo2, hi2, rows = lo_t[None, :], hi_t[None, :], np.zeros(n, np.int64)
    elif rows is not None:  # the draws' rows of the bounds
        lo2, hi2 = (b[None, :] if b.ndim == 1 else b for b in (lo_t, hi_t))
        if lo2.shape[0] != hi2.shape[0]:
            m = max(lo2.shape[0], hi2.shape[0])
            lo2, hi2 = np.broadcast_to(lo2, (m, lo2.shape[1])), np.broadcast_to(hi2, (m, hi2.shape[1]))
        rows = np.ascontiguousarray(rows, np.int64)
    else:  # a row per draw: the chunk's
        lo_t, hi_t = (b if b.ndim == 1 else b[offset:offset + n] for b in (lo_t, hi_t))
        lo2, hi2, rows = np.broadcast_to(lo_t, (n, lo_t.shape[-1])), np.broadcast_to(hi_t, (n, hi_t.shape[-1])), np.arange(n)
    k_end = np.full(n, k0, np.int64)
    lo2, hi2 = np.ascontiguousarray(lo2, np.float64), np.ascontiguousarray(hi2, np.float64)
    if lazy is None:
        ids = np.arange(n)
    else:
        start_deals(codeA, codeB, tables[0], tables[1], tables[2], tables[3], float(pA), float(pB), lo2, hi2, rows,
                    failed)  # fmt: skip
        ids = np.flatnonzero(failed == 0)
        pA, pB = lazy(ids)
    record_kernel(
        ids, np.ascontiguousarray(p, np.float64), codeA, codeB, np.ascontiguousarray(pA, np.float64),
        np.ascontiguousarray(pB, np.float64), lo2, hi2,
        rows, np.asarray(forced, np.int8), k0, N, talk_step, talk_side, talk_offer, tables[0], tables[1], tables[2],
        tables[3], np.uint64(luck.base), offset, failed, wins, k_end,
    )  # fmt: skip
    # the state at the origin (step R) of the draws kept, as the NumPy path adds it
    keep = np.flatnonzero(failed == 0)
    w = wins[keep]
    evA, evB = evidence(keep)
    eA, eB = evA(R), evB(R)
    aA[keep] += w + eA
    aB[keep] += w + eA
    bA[keep] += (R - w) + eB
    bB[keep] += (R - w) + eB
    k[keep] = k_end[keep]
    return True


# ------------------------------------------------------------------ the forecast
SETTLED, A_VICTORY, B_VICTORY = 1, 2, 3  # as simulator


@njit(cache=True, nogil=True)
def future_need(alive, cA, cB, wins, slotA, slotB, repA, repB):
    """The belief states the wars still on need at this step, by (start state, battles A won):
    ``slot*[code, w]`` gets a slot for each new one (``rep*[slot]`` a war in that state).
    Returns how many states each side needs."""
    nA = 0
    nB = 0
    for d in range(alive.size):
        if not alive[d]:
            continue
        w = wins[d]
        if slotA[cA[d], w] < 0:
            slotA[cA[d], w] = nA
            repA[nA] = d
            nA += 1
        if slotB[cB[d], w] < 0:
            slotB[cB[d], w] = nB
            repB[nB] = d
            nB += 1
    return nA, nB


@njit(cache=True, nogil=True)
def future_step(t, T, N, alive, cA, cB, wins, slotA, slotB, VA, CA, VB, CB, pA, pB, lo, hi, rows, U, p, aA, bA, aB, bB,
                k, outcome, end, terms, first, clipped):  # fmt: skip
    """One step of ``simulator._run_chunk`` for every war still on: the settlement test and
    the constrained Nash terms, then (before the last step) one battle decided by the war's
    uniform (``U[t, war]``), both sides' Beta update and a military end at ``k = 0, N``."""
    for d in range(alive.size):
        if not alive[d]:
            continue
        sa = slotA[cA[d], wins[d]]
        sb = slotB[cB[d], wins[d]]
        EA = VA[sa]
        EB = VB[sb]
        war_lo = EA + pA[d]
        war_hi = 1.0 - (EB + pB[d])
        r = rows[d]
        lower = _max(_max(lo[r, t], 0.0), CA[sa])
        upper = _min(_min(hi[r, t], 1.0), CB[sb])
        if t == 0:
            first[d, 0] = EA
            first[d, 1] = EB
        # _deal: mechanisms.constrained_nash of the clipped war values within the bounds
        wl = _min(_max(war_lo, 0.0), 1.0)
        wh = _min(_max(war_hi, 0.0), 1.0)
        x = (wl + wh) / 2.0
        lo_x = _max(wl, lower)
        hi_x = _min(wh, upper)
        if lo_x <= hi_x and war_lo <= war_hi:
            x = _min(_max(x, lo_x), _max(lo_x, hi_x))
            if x == x and abs(x) < np.inf:
                mid = (wl + wh) / 2.0
                clipped[d] = 1 if x > mid + 1e-12 else (-1 if x < mid - 1e-12 else 0)
                outcome[d] = SETTLED
                end[d] = t
                terms[d] = x
                alive[d] = False
                continue
        if t == T:
            continue
        # the battle without a data-dependent branch (adding 0.0 to a positive count leaves it)
        won = np.int64(U[t, d] < p[d])
        w = np.float64(won)
        wins[d] += won
        k[d] += 2 * won - 1
        aA[d] += w
        aB[d] += w
        bA[d] += 1.0 - w
        bB[d] += 1.0 - w
        if k[d] >= N:
            outcome[d] = A_VICTORY
            end[d] = t + 1
            alive[d] = False
        elif k[d] <= 0:
            outcome[d] = B_VICTORY
            end[d] = t + 1
            alive[d] = False


def compiled_future(params, integ, lo_t, hi_t, rows, p, aA, bA, aB, bB, pA, pB, outcome, end, terms, first, k,
                    clipped, k_start, U) -> bool:  # fmt: skip
    """``simulator._run_chunk`` for wars without scheduled battle evidence and with their own
    uniforms, compiled step by step (the arguments of ``_run_chunk``; ``lo_t``/``hi_t`` of
    all wars with ``rows``, or of these).  A war's belief state is its start state plus its
    battles won and lost (each ``+ 1.0``, in the same order), so wars in one start state with
    the same wins share it: the integrator evaluates each new one once a step (NumPy's
    numbers) and the compiled step reads it.  False (nothing done) for the plug-in
    evaluation."""
    from realpolitik.models.war.mechanisms import ceasefire_line_bounds, ceasefire_thresholds

    if integ.mode != "quadrature":
        return False
    n, T, N = p.size, params.max_battles, params.N
    k[:] = params.k0 if k_start is None else k_start
    kf = k.astype(np.float64)
    cA, firstA, cB, firstB = _start_codes(aA, bA, aB, bB, (kf,))
    if lo_t.ndim == 1 and hi_t.ndim == 1:
        lo2, hi2, rows = lo_t[None, :], hi_t[None, :], np.zeros(n, np.int64)
    else:
        lo2, hi2 = (b[None, :] if b.ndim == 1 else b for b in (lo_t, hi_t))
        m = max(lo2.shape[0], hi2.shape[0])
        lo2, hi2 = np.broadcast_to(lo2, (m, lo2.shape[1])), np.broadcast_to(hi2, (m, hi2.shape[1]))
        rows = np.arange(n) if rows is None else np.ascontiguousarray(rows, np.int64)
    lo2, hi2 = np.ascontiguousarray(lo2, np.float64), np.ascontiguousarray(hi2, np.float64)
    cf = params.ceasefire
    wins = np.zeros(n, np.int64)
    alive = np.ones(n, np.bool_)
    slotA = np.empty((firstA.size, T + 1), np.int64)
    slotB = np.empty((firstB.size, T + 1), np.int64)
    repA = np.empty(n, np.int64)
    repB = np.empty(n, np.int64)
    U = np.ascontiguousarray(np.asarray(U, np.float64).T)  # [step, war]: a step reads one row
    p = np.ascontiguousarray(p, np.float64)
    pA, pB = np.ascontiguousarray(pA, np.float64), np.ascontiguousarray(pB, np.float64)

    def values(reps, a, b, side):
        """Expected value of fighting on and the ceasefire line's bound, per state."""
        vals = integ._expect_cached(a[reps], b[reps], k[reps])
        C = np.full(reps.size, -np.inf if side == 0 else np.inf)
        if cf is not None:
            gA, gB = ceasefire_thresholds(vals[2], vals[2], cf.d_A, cf.d_B, cf.delta)
            clo, chi = ceasefire_line_bounds(gA, gB, cf.p_shift, cf.kappa, cf.x_sq)
            C = clo if side == 0 else chi
        return np.ascontiguousarray(vals[side], np.float64), np.ascontiguousarray(C, np.float64)

    for t in range(T + 1):
        slotA.fill(-1)
        slotB.fill(-1)
        nA, nB = future_need(alive, cA, cB, wins, slotA, slotB, repA, repB)
        if nA == 0:
            break
        VA, CA = values(repA[:nA], aA, bA, 0)
        VB, CB = values(repB[:nB], aB, bB, 1)
        future_step(t, T, N, alive, cA, cB, wins, slotA, slotB, VA, CA, VB, CB, pA, pB, lo2, hi2, rows, U, p, aA, bA,
                    aB, bB, k, outcome, end, terms, first, clipped)  # fmt: skip
    return True

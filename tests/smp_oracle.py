"""A plain-loop oracle of KTAB's SMP, written line by line after KTAB's C++ (smp.cpp,
smpbcn.cpp, kmodel.cpp) as described in anchors/ktab/ALGORITHM.md.  Slow and obvious:
loops over actors, dyads and third parties, no NumPy tricks.  The tests compare the
vectorised model against it on random scenarios and on every option variant."""

from __future__ import annotations

import math


def bs_util(d, r):
    return (1 - d) * (1 + d * r) if d <= 1 else (1 - d) * (1 + r)


def bv_diff(ideal, pos, sal):
    ds2 = ss2 = 0.0
    for k in range(len(pos)):
        ds = (ideal[k] - pos[k]) * sal[k]
        ds2 += ds * ds
        ss2 += sal[k] * sal[k]
    return math.sqrt(ds2 / ss2)


def vote(rule, w, ua, ub):
    du = ua - ub
    rbin = max(-1.0, min(1.0, du / 1e-8))
    if rule == "Binary":
        return w * rbin
    if rule == "PropBin":
        return w * (0.8 * du + 0.2 * rbin)
    if rule == "Prop":
        return w * du
    if rule == "PropCbc":
        return w * (0.5 * du + 0.5 * du * du * du)
    if rule == "Cubic":
        return w * du * du * du
    if rule == "ASymProsp":
        if du < 0:
            return w * du
        if du > 0:
            return 2.0 * w * du / 3.0
        return 0.0
    raise ValueError(rule)


def est_nra(rh, ri, ra):
    return {
        "Full": ri,
        "TwoThirds": (rh + 2.0 * ri) / 3.0,
        "Half": (rh + ri) / 2,
        "OneThird": (2.0 * rh + ri) / 3.0,
        "None": rh,
    }[ra]


def coalitions(w, u, rule):
    """u[k][option]; lower-left convention of Model::coalitions."""
    n_opt = len(u[0])
    c = [[0.0] * n_opt for _ in range(n_opt)]
    for i in range(n_opt):
        for j in range(i):
            cij = cji = 1e-8
            for k in range(len(w)):
                v = vote(rule, w[k], u[k][i], u[k][j])
                if v > 0:
                    cij += v
                if v < 0:
                    cji -= v
            c[i][j], c[j][i] = cij, cji
        c[i][i] = 1e-8
    return c


def vprob_pair(vpm, s1, s2):
    if vpm == "Linear":
        x1, x2 = s1, s2
    elif vpm == "Square":
        x1, x2 = s1**2, s2**2
    elif vpm == "Quartic":
        x1, x2 = s1**4, s2**4
    elif vpm == "Octic":
        x1, x2 = s1**8, s2**8
    else:  # Binary
        if s1 >= 1.1 * s2:
            x1, x2 = 1.0, 1e-6
        elif s2 >= 1.1 * s1:
            x1, x2 = 1e-6, 1.0
        else:
            p12 = (s1 / (s1 + s2) * 2.1 - 1.0) / 0.1
            x1, x2 = p12, 1 - p12
    return x1 / (x1 + x2), x2 / (x1 + x2)


def vprob(vpm, c):
    n = len(c)
    p = [[0.5] * n for _ in range(n)]
    for i in range(n):
        for j in range(i):
            p[i][j], p[j][i] = vprob_pair(vpm, c[i][j], c[j][i])
    return p


def pce(pcem, vpm, c):
    n = len(c)
    pv = vprob(vpm, c)
    if pcem == "Conditional":
        p = []
        for i in range(n):
            x = 1.0
            for j in range(n):
                x *= pv[i][j]
            p.append(x)
        s = sum(p)
        return [x / s for x in p]
    p = [1.0 / n] * n
    if pcem == "MarkovUniform":
        change = 1.0
        while change > 1e-6:
            q = [sum(pv[i][j] * (p[i] + p[j]) for j in range(n)) / n for i in range(n)]
            change = max(abs(q[i] - p[i]) for i in range(n))
            p = [(p[i] + q[i]) / 2.0 for i in range(n)]
        return p
    inc = [[c[i][j] * pv[i][j] + (1e-10 if i == j else 0.0) for j in range(n)] for i in range(n)]
    col = [sum(inc[k][j] for k in range(n)) for j in range(n)]
    chl = [[inc[i][j] / col[j] for j in range(n)] for i in range(n)]
    change = 1.0
    while change > 1e-8:
        ct = [[p[i] * chl[j][i] for j in range(n)] for i in range(n)]
        q = [sum(pv[i][j] * (ct[i][j] + ct[j][i]) for j in range(n)) for i in range(n)]
        change = max(abs(q[i] - p[i]) for i in range(n))
        p = [(p[i] + q[i]) / 2.0 for i in range(n)]
    return p


def round4(x):
    return math.floor(0.5 + x * 10000.0) / 10000.0


class Oracle:
    def __init__(self, pos, sal, cap, prm: dict, accom=None):
        self.n, self.m = len(pos), len(pos[0])
        self.pos = [list(p) for p in pos]
        self.sal = [list(s) for s in sal]
        self.cap = list(cap)
        self.S = [sum(s) for s in sal]
        self.prm = prm
        self.A = accom
        self.ideal = [list(p) for p in pos]

    # setAllAUtil
    def setup(self):
        n, p = self.n, self.prm
        self.D = [[bv_diff(self.ideal[i], self.pos[j], self.sal[i]) for j in range(n)] for i in range(n)]
        u0 = [[bs_util(self.D[i][j], 0.0) for j in range(n)] for i in range(n)]
        pr = pce(p["pce_model"], p["victory_prob_model"], coalitions(self.cap, u0, p["voting_rule"]))
        lo, hi = min(pr), max(pr)
        rr = p["big_r_range"]
        R = []
        for x in pr:
            if hi == lo:
                R.append(0.0)
            elif rr == "Min":
                R.append((x - lo) / (hi - lo))
            elif rr == "Mid":
                R.append((3 * x - (hi + 2 * lo)) / (2 * (hi - lo)))
            else:
                R.append((2 * x - (hi + lo)) / (hi - lo))
        self.R = R
        self.aUtil = [
            [[bs_util(self.D[i][j], est_nra(R[h], R[i], p["big_r_adjust"])) for j in range(n)] for i in range(n)]
            for h in range(n)
        ]

    def prob_edu(self, h, k, i, j):
        p, U = self.prm, self.aUtil[h]
        vr = p["voting_rule"]
        eu_sq = U[k][i] + U[k][j]
        u_hkij = U[k][i] + U[k][i]
        u_hkji = U[k][j] + U[k][j]
        ci = vote(vr, self.S[i] * self.cap[i], U[i][i], U[i][j])
        cj = vote(vr, self.S[j] * self.cap[j], U[j][i], U[j][j])
        chij = chji = 1e-10
        if ci > 0:
            chij += ci
        if ci < 0:
            chji -= ci
        if cj > 0:
            chij += cj
        if cj < 0:
            chji -= cj
        c0ij, c0ji = chij, chji
        for n_ in range(self.n):
            if n_ in (i, j):
                continue
            wn = self.S[n_] * self.cap[n_]
            uni, unj, unn = U[n_][i], U[n_][j], U[n_][n_]
            cn = vote(vr, wn, uni, unj)
            cni = c0ij + cn if cn > 0 else c0ij
            cnj = c0ji - cn if cn < 0 else c0ji
            pin = cni / (cni + cnj)
            pjn = 1.0 - pin
            tpc = p["third_party_commit"]
            if tpc == "FullCommit":
                a, b, c, d = 3 * uni, 3 * unj, 3 * uni, 3 * unj
            elif tpc == "SemiCommit":
                a, b, c, d = 2 * uni + unn, 3 * unj, 3 * uni, 2 * unj + unn
            else:
                a, b, c, d = 2 * uni + unn, 2 * unj + unn, 2 * uni + unn, 2 * unj + unn
            v = vote(vr, wn, pin * a + pjn * b, pin * c + pjn * d)
            if v > 0:
                chij += v
            if v < 0:
                chji -= v
        phij = chij / (chij + chji)
        phji = chji / (chij + chji)
        eu_chlg = (1 - self.S[j]) * u_hkij + self.S[j] * (phij * u_hkij + phji * u_hkji)
        return phij, eu_chlg - eu_sq

    def interp(self, i, j, pi_, pj_):
        ivb = self.prm["inter_vec_brgn"]
        bi, bj = [], []
        for k in range(self.m):
            ti, tj = self.pos[i][k], self.pos[j][k]
            si, sj = self.sal[i][k], self.sal[j][k]
            if ivb == "S2PMax":
                di = max(0.0, pj_ - pi_)
                dj = max(0.0, pi_ - pj_)
                dik = di * sj * sj / (di * sj * sj + 1e-6 + (1 - di) * si * si)
                djk = dj * si * si / (dj * si * si + 1e-6 + (1 - dj) * sj * sj)
                bi.append(ti + dik * (tj - ti))
                bj.append(tj + djk * (ti - tj))
                continue
            e = 2 if ivb == "S2P2" else 1
            wi = si**e * pi_**e
            wj = sj**e * pj_**e
            bi.append(round4(((wi + 1e-6) * ti + wj * tj) / (wi + 1e-6 + wj)))
            bj.append(round4((wi * ti + (1e-6 + wj) * tj) / (wi + 1e-6 + wj)))
        return bi, bj

    def pos_util(self, a, x):
        return bs_util(bv_diff(self.ideal[a], x, self.sal[a]), self.R[a])

    def step(self, rng=None):
        n, p = self.n, self.prm
        queues = [[] for _ in range(n)]  # entries: (init, rcvr, posInit, posRcvr) ; SQ: (k, k, None, None)
        self.last_targets = []
        for i in range(n):
            queues[i].append((i, i, None, None))
            best_j, best_eu, pij = -1, -1.0, 0.0
            for j in range(n):
                if j == i:
                    continue
                ph, edu = self.prob_edu(i, i, i, j)
                if 1e-5 < edu and best_eu < edu:
                    best_j, best_eu, pij = j, edu, ph
            self.last_targets.append(best_j)
            if best_j < 0:
                continue
            j = best_j
            b1 = self.interp(i, j, pij, 1 - pij)
            if p["bargn_model"] == "InitOnlyInterp":
                new = [b1]
            else:
                _, pji = self.prob_edu(j, i, i, j)
                b2 = self.interp(i, j, pji, 1 - pji)
                if p["bargn_model"] == "InitRcvrInterp":
                    new = [b1, b2]
                else:
                    wi = self.cap[i] * self.S[i]
                    wj = self.cap[i] * self.S[j]
                    new = [
                        (
                            [(wi * x + wj * y) / (wi + wj) for x, y in zip(b1[0], b2[0])],
                            [(wi * x + wj * y) / (wi + wj) for x, y in zip(b1[1], b2[1])],
                        )
                    ]
            for b in new:
                queues[i].append((i, j, b[0], b[1]))
            for b in new:
                queues[j].append((i, j, b[0], b[1]))
        new_pos = []
        for k in range(n):
            q = queues[k]
            u = []
            for a in range(n):
                row = []
                for ini, rcv, pi_, pr_ in q:
                    if ini == rcv:
                        s = 0.0
                        for x in range(n):
                            s += self.aUtil[a][a][x]
                    else:
                        s = self.pos_util(a, pi_) + self.pos_util(a, pr_)
                        for x in range(n):
                            if x != ini and x != rcv:
                                s += self.aUtil[a][a][x]
                    row.append(s / n)
                u.append(row)
            pr = pce(p["pce_model"], p["victory_prob_model"], coalitions(self.cap, u, p["voting_rule"]))
            if p["state_transitions"] == "Deterministic":
                mmax = max(range(len(pr)), key=lambda z: (pr[z], -z))
            else:
                x = rng.random()
                acc, mmax = 0.0, len(pr) - 1
                for z, pz in enumerate(pr):
                    acc += pz
                    if x < acc:
                        mmax = z
                        break
            ini, rcv, pi_, pr_ = q[mmax]
            if ini == rcv:
                new_pos.append(list(self.pos[k]))
            elif ini == k:
                new_pos.append(list(pi_))
            else:
                new_pos.append(list(pr_))
        old = self.pos
        self.pos = new_pos
        if self.A is None:
            self.ideal = [list(x) for x in new_pos]
        else:
            ideal = []
            for i in range(n):
                si = min(1.0, sum(self.A[i]))
                ideal.append(
                    [sum(self.A[i][j] * new_pos[j][d] for j in range(n)) + (1 - si) * self.ideal[i][d] for d in range(self.m)]
                )
            self.ideal = ideal
        return sum(math.sqrt(sum((a - b) ** 2 for a, b in zip(old[i], new_pos[i]))) for i in range(n))

    def reported(self):
        n, p = self.n, self.prm
        reps = []
        close = lambda a, b: math.sqrt(sum((x - y) ** 2 for x, y in zip(self.pos[a], self.pos[b]))) < 1e-3  # noqa
        for i in range(n):
            if not any(close(i, r) for r in reps):
                reps.append(i)
        u = [[self.aUtil[k][k][r] for r in reps] for k in range(n)]
        pr = pce(p["pce_model"], p["victory_prob_model"], coalitions(self.cap, u, p["voting_rule"]))
        out = []
        for i in range(n):
            last = max(z for z, r in enumerate(reps) if close(i, r))
            out.append(pr[last])
        return out

    def run(self, max_iter=100, rng=None):
        hist = [[list(x) for x in self.pos]]
        probs = []
        d01 = 0.0
        it = 0
        while True:
            it += 1
            self.setup()
            probs.append(self.reported())
            d = self.step(rng)
            hist.append([list(x) for x in self.pos])
            if it == 1:
                d01 = d
            if it >= max_iter or (it >= 2 and d / (d01 + 1e-4) < 0.02):
                break
        self.setup()
        probs.append(self.reported())
        return hist, probs

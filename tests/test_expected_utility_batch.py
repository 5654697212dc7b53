"""The expected-utility round's compiled steps (large batches) against the NumPy path, bit
for bit (issue 17): a batch gives the same numbers whichever path it takes, so the batch
core keeps the single run's numbers."""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import realpolitik.models.expected_utility as eu
from realpolitik.models import get_model
from realpolitik.models import expected_utility_batch as kern
from realpolitik.scenario import load_scenario
from realpolitik.scenario.uncertainty import sample_batch


def _inputs(B, n, seed, grid):
    """Positions on a coarse grid (ties, equal and close pairs) or continuous."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (B, n))
    if grid:
        x = np.round(x / grid) * grid
    x[:, 0] = 0.0  # a fixed range
    x[:, 1] = 100.0
    c = rng.uniform(0.05, 1.0, (B, n))
    s = rng.uniform(0.05, 1.0, (B, n))
    if n > 3:
        x[:, 3] = np.nextafter(x[:, 2], np.inf)  # a pair one ulp apart
    return x, c, s


def _same(a, b):
    assert a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("n", [3, 10, 13, 40])
@pytest.mark.parametrize("grid", [0, 10])
def test_kernels_match_numpy_steps(n, grid):
    x, c, s = _inputs(64, n, n + grid, grid)
    _same(kern.closer_counts(x), eu.closer_counts(x))  # input order
    x = np.sort(x, axis=1)
    _same(kern.closer_counts(x), eu.closer_counts(x))
    R = x.max(axis=1) - x.min(axis=1)
    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    r = np.random.default_rng(n).uniform(0.5, 2.0, (64, n))
    G = (c * s)[:, :, None] * dist ** r[:, :, None]
    m = eu.closer_counts(x)
    N, eN, S = kern.numerator_sorted(G, m, 0.25)
    _same(N, eu._numerator_sorted(x, G, m, presorted=True))
    _same(S, G.sum(axis=1))
    _same(eN, 0.25 * (S[:, :, None] + S[:, None, :]))
    # votes: the numerators of G = w d and its rows sorted, merging (an empty order) or
    # reading an earlier call's order, even a wrong one (the insertion sort finishes the job)
    w = c * s
    d = dist ** r[:, :, None]
    for order in (np.empty((0, 0, 0), np.intp), kern.votes(dist, w, m, 0.25, True, np.empty((0, 0, 0), np.intp))[3],
                  np.argsort(np.random.default_rng(n + 2).random((64, n, n)), axis=-1)):
        N, eN, Gs, _ = kern.votes(d, w, m, 0.25, True, order)
        _same(N, eu._numerator_sorted(x, w[:, :, None] * d, m, presorted=True))
        _same(Gs, np.sort(w[:, :, None] * d, axis=-1))
    inv = np.argsort(np.random.default_rng(n + 1).random((64, n)), axis=1)
    ref = np.take_along_axis(G, np.broadcast_to(inv[:, None, :], G.shape), axis=2).sum(axis=-1)
    _same(kern.input_order_sums(G, inv), ref)


@pytest.mark.parametrize("n", [2, 3, 10, 13, 40])
@pytest.mark.parametrize("kind", ["cont", "grid", "twins", "ulps"])
def test_prepare_matches_numpy_steps(n, kind):
    """The round's compiled set-up: the stable sort of the actors by position (ties keep
    input order), the gathered arrays, the distances with their complements, the midpoint
    counts and the close pairs, as the NumPy steps give them."""
    x0, c0, s0 = _family(kind, 64, n, 11 * n)
    R = x0.max(axis=1) - x0.min(axis=1)
    R = np.where(R > 0, R, 1.0)
    R_lo = np.random.default_rng(n).choice([0.0, 1e-15, -2e-15], 64)
    x, s, w, order, inv, dist, comp, counts, pb, pu, pv = kern.prepare(x0, c0, s0, R, R_lo)
    ref_order = np.argsort(x0, axis=1, kind="stable")
    _same(order, ref_order)
    xs = np.take_along_axis(x0, ref_order, axis=1)
    _same(x, xs)
    _same(s, np.take_along_axis(s0, ref_order, axis=1))
    _same(w, np.take_along_axis(c0, ref_order, axis=1) * np.take_along_axis(s0, ref_order, axis=1))
    _same(np.take_along_axis(inv, ref_order, axis=1), np.broadcast_to(np.arange(n), (64, n)))
    d_ref = np.abs(xs[:, :, None] - xs[:, None, :]) / R[:, None, None]
    c_ref = eu._distance_complement(xs, d_ref, R, R_lo)
    _same(dist, d_ref)
    _same(comp, c_ref)
    _same(counts, eu.closer_counts(xs))
    ref = np.nonzero((d_ref > 0.0) & (d_ref <= eu.CLOSE_PAIR))
    for got, want in zip((pb, pu, pv), ref):
        _same(got, want)
    if kind == "ulps" and n > 2:  # (with two actors the pair a few ulps apart is the range)
        assert pb.size > 0
    # the close pairs' stable numerators, both passes: compiled gathers and sums around
    # NumPy's transcendental functions, as the NumPy steps
    r_vote = np.random.default_rng(n + 3).uniform(0.5, 2.0, (64, n))
    for rv in (None, r_vote):
        _same(eu._stable_numerators(x, dist, w, rv, pb, pu, pv, kern), eu._stable_numerators(x, dist, w, rv, pb, pu, pv))


@pytest.mark.parametrize("options", [
    {"preset": "scholz2011"},
    {"preset": "paper"},
    {"perspective_r": "own", "resist_salience": "printed-25b", "security": "own-row"},
    {"Q": 0.5, "vote_risk": "one"},  # the kernel of the expected utilities steps aside
])  # fmt: skip
@pytest.mark.parametrize("n,grid", [(10, 0), (10, 10), (40, 5)])
def test_round_same_with_and_without_kernels(monkeypatch, options, n, grid):
    x, c, s = _inputs(48, n, 7 * n + grid, grid)
    opt = eu.ExpectedUtilityOptions(**options)
    R = x.max(axis=1) - x.min(axis=1)
    monkeypatch.setattr(eu, "KERNEL_ELEMENTS", 10**9)
    ref = eu.eu_round(x, c, s, R, opt)
    monkeypatch.setattr(eu, "KERNEL_ELEMENTS", 1)
    got = eu.eu_round(x, c, s, R, opt)
    for f in ("x", "target", "kind", "a", "b", "r", "undetermined", "unrepresentable"):
        _same(getattr(got, f), getattr(ref, f))


def test_batch_core_same_with_and_without_kernels(monkeypatch):
    scen = load_scenario(None)
    batch = sample_batch(scen, 100, np.random.default_rng(3), 0.1)
    model = get_model("expected-utility")
    monkeypatch.setattr(eu, "KERNEL_ELEMENTS", 10**9)
    ref = model.trajectory_batch(batch)
    monkeypatch.setattr(eu, "KERNEL_ELEMENTS", 1)
    got = model.trajectory_batch(batch)
    for k in ("median", "mean", "undetermined_from"):
        _same(got[k], ref[k])


@pytest.mark.parametrize("n", [1, 2, 3, 9, 10, 17, 40])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_median_mean_kernel_matches_numpy(n, layout):
    """The medians and means of the batch core's rounds, as NumPy reduces each layout
    (``x[:, idx]`` is in F order: NumPy then sums actor after actor)."""
    rng = np.random.default_rng(n)
    B = 300
    x = np.round(rng.uniform(-50, 50, (B, n)) / 10) * 10  # ties of cost
    w = rng.choice([0.0, 0.25, 0.5, 1.0], (B, n)) * rng.uniform(0.5, 1.0, (B, 1))
    w[:20] = 0.0  # every weight zero: every actor counts 1
    x[20:60] = rng.uniform(-1e6, 1e6, (40, n))
    if layout == "F":
        idx = np.arange(n)
        x, w = np.hstack([x, x[:, :1]])[:, idx], np.hstack([w, w[:, :1]])[:, idx]
        assert n == 1 or not x.flags.c_contiguous
    med, mean = kern.median_mean(x, w, not x.flags.c_contiguous)
    _same(med, eu.condorcet_position(x, w))
    _same(mean, eu.weighted_mean(x, w))


def _family(kind, B, n, seed):
    """Batches that reach the round's corners: exact ties and symmetric pairs (``grid``),
    identical proposers (``twins``), actors a few ulps apart, some with equal weights (``ulps``:
    close pairs, snaps, compromises landing within rounding, offers tied to rounding), or plain
    continuous draws."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, (B, n))
    c = rng.uniform(0.05, 1.0, (B, n))
    s = rng.uniform(0.05, 1.0, (B, n))
    if kind == "grid":
        x = rng.integers(0, 5, (B, n)) * 25.0
        c = rng.choice([0.25, 0.5, 1.0], (B, n))
        s = rng.choice([0.5, 1.0], (B, n))
    elif kind == "twins":
        k = rng.integers(0, n, (B, n))
        rows = np.arange(B)[:, None]
        x, c, s = x[rows, k], c[rows, k], s[rows, k]
    elif kind == "ulps":
        for _ in range(max(1, n // 3)):
            i, j = rng.integers(0, n, 2)
            u = rng.integers(1, 5, B) * rng.choice([-1, 1], B)
            x[:, i] = x[:, j] + u * np.spacing(x[:, j])
            if rng.random() < 0.5:  # a near twin: proposals equal to rounding, not exactly
                c[:, i], s[:, i] = c[:, j], s[:, j]
    return x, c, s


OPTIONS = st.fixed_dictionaries({
    "preset": st.sampled_from(["scholz2011", "paper"]),
    "offer_rule": st.sampled_from(["least-move", "weighted-position"]),
    "probability_mode": st.sampled_from(["paper", "all-pairs"]),
    "tie_break": st.sampled_from(["input-order", "lowest-position"]),
    "vote_risk": st.sampled_from(["one", "voter-r"]),
    "security": st.sampled_from(["adversary", "own-row"]),
    "perspective_r": st.sampled_from(["evaluator", "own"]),
    "resist_salience": st.sampled_from(["target", "printed-25b"]),
    "capitulation": st.booleans(),
    "conflict_moves": st.booleans(),
    "range": st.sampled_from(["fixed", "per-round", "scale"]),
})  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 12), kind=st.sampled_from(["cont", "grid", "twins", "ulps"]),
       opts=OPTIONS)
@example(seed=1, n=8, kind="grid", opts={"preset": "paper"})  # 38 of 200 draws undetermined
@example(seed=1, n=8, kind="ulps", opts={"preset": "paper"})
@example(seed=1, n=8, kind="twins", opts={"preset": "scholz2011"})
def test_compiled_round_equals_numpy_path_over_rounds(seed, n, kind, opts):
    """The compiled round (Q = 1: every number of the round after the transcendental and BLAS
    steps) against the NumPy path over 6 rounds: positions, medians, means and the
    numerically undetermined rounds, bit for bit, for every option family."""
    opt = eu.ExpectedUtilityOptions(rounds=6, **opts)
    x, c, s = _family(kind, 40, n, seed)
    runs = []
    for limit in (10**9, 1):  # NumPy path, then the compiled round
        with mock.patch.object(eu, "KERNEL_ELEMENTS", limit):
            runs.append(eu.run_rounds(x, c, s, np.ones(n, bool), opt, scale=100.0))
    ref, got = runs
    _same(got.positions, ref.positions)
    _same(got.median, ref.median)
    _same(got.mean, ref.mean)
    _same(got.undetermined_from, ref.undetermined_from)


def test_compiled_round_reaches_the_corners():
    """The families above do reach what the compiled round must reproduce: undetermined
    choices, compromises landing within rounding, every region of Fig. 6 and exact ties."""
    opt = eu.ExpectedUtilityOptions(preset="paper")
    seen = {"undetermined": 0, "short": 0}
    kinds = set()
    for kind in ("grid", "ulps", "twins"):
        x, c, s = _family(kind, 200, 8, 1)
        with mock.patch.object(eu, "KERNEL_ELEMENTS", 1):
            res = eu.eu_round(x, c, s, x.max(axis=1) - x.min(axis=1), opt)
        seen["undetermined"] += int(res.undetermined.sum())
        seen["short"] += int(res.unrepresentable.sum())
        kinds |= set(np.unique(res.kind).tolist())
    assert seen["undetermined"] > 0 and seen["short"] > 0
    assert kinds == {eu.KIND_NONE, eu.KIND_CONFRONTATION, eu.KIND_COMPROMISE, eu.KIND_CAPITULATION}


def test_single_runs_do_not_import_numba():
    """numba (a few tenths of a second) is imported only when a large batch runs."""
    import subprocess
    import sys

    code = ("import sys\nfrom realpolitik.scenario import load_scenario\nfrom realpolitik.models import get_model\n"
            "s = load_scenario(None)\nfor m in ('expected-utility', 'smp', 'exchange'):\n    get_model(m).run(s)\n"
            "print('numba' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_batch_core_keeps_its_heap():
    """Importing the compiled core fixes glibc's trim and mmap thresholds (no fresh pages for
    every round's temporaries); other C libraries are left as they are."""
    import platform

    assert kern.keep_heap() is (platform.libc_ver()[0] == "glibc")


# ------------------------------------------------------------------ the kernels of session 5
# prepare, votes and security run several draws at once (draws innermost) or in other
# layouts; against the earlier kernels, kept verbatim in tests/eu_batch_reference.py, every
# output bit for bit, for every batch size from 1 to 70 draws (lane tails), with exact ties,
# equal and ulp-close positions, close pairs, rows out of order and NaN/infinite inputs.

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eu_batch_reference as old  # noqa: E402


def _same_all(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(w, np.ndarray):
            _same(g, w)
        else:
            assert g == w


def _hostile(kind, B, n, seed):
    """``_family`` batches, with some draws made hostile: NaN or infinite positions (``nan``),
    a zero, negative or NaN range, zero and negative weights (``odd``)."""
    base = "grid" if kind in ("nan", "odd") else kind
    x, c, s = _family(base, B, n, seed)
    rng = np.random.default_rng(seed + 1)
    R = x.max(axis=1) - x.min(axis=1)
    R = np.where(R > 0, R, 1.0)
    R_lo = rng.choice([0.0, 1e-15, -2e-15], B)
    if kind == "nan":
        rows = rng.random(B) < 0.3
        x[rows, rng.integers(0, n)] = rng.choice([np.nan, np.inf, -np.inf])
        R[rng.random(B) < 0.1] = np.nan
    if kind == "odd":
        R[rng.random(B) < 0.1] = 0.0
        R[rng.random(B) < 0.1] = -3.0
        c[rng.random((B, n)) < 0.1] = 0.0
        s[rng.random((B, n)) < 0.05] = -0.5
        x[rng.random(B) < 0.1] = 42.0  # every actor at one position
        zero = rng.random(B) < 0.2  # -0.0 and 0.0: equal positions, tied in input order
        x[zero, -1] = -0.0
        x[zero, 0] = 0.0
    return x, c, s, R, R_lo


KINDS = ["cont", "grid", "twins", "ulps", "nan", "odd"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 10, 13, 17, 30, 31])
def test_prepare_equals_the_earlier_kernel_for_every_batch_size(kind, n):
    x0, c0, s0, R, R_lo = _hostile(kind, 70, n, 17 * n + KINDS.index(kind))
    for B in range(1, 71):
        sl = slice(70 - B, 70)  # tails of the batch: every draw counts in some block
        args = (x0[sl], c0[sl], s0[sl], R[sl], R_lo[sl])
        _same_all(kern.prepare(*args), old.prepare(*args))


def _votes_inputs(kind, B, n, seed):
    """The first pass's and the second pass's distances as the round makes them, and the
    weights and midpoint counts, from :func:`prepare` on a hostile batch."""
    x0, c0, s0, R, R_lo = _hostile(kind, B, n, seed)
    x, s, w, order, inv, dist, comp, counts, *_ = old.prepare(x0, c0, s0, R, R_lo)
    r = np.random.default_rng(seed).uniform(0.5, 2.0, (B, n))
    with np.errstate(all="ignore"):
        base, ex = kern.pow_args(dist, r)
        dr = kern.unpack_pow(np.power(base, ex), r, B, n)
    return x, s, w, inv, dist, dr, counts


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 2, 3, 8, 10, 13])
def test_votes_equals_the_earlier_kernel(kind, n):
    """Both passes (merging, then reading the first pass's order), the paper mode (no sorted
    rows), a wrong order handed in (the insertion sort finishes), rows that are not two
    ascending runs (random distances, NaN) and odd weights and counts."""
    seed = 31 * n + KINDS.index(kind)
    x, s, w, inv, dist, dr, counts = _votes_inputs(kind, 70, n, seed)
    rng = np.random.default_rng(seed)
    noisy = dist * rng.uniform(0.9, 1.1, dist.shape)  # runs out of order
    noisy[rng.random(dist.shape) < 0.01] = np.nan
    skew = counts.copy()  # counts that are not symmetric
    skew[rng.random(counts.shape) < 0.2] = rng.integers(0, n + 1)
    empty = np.empty((0, 0, 0), np.intp)
    wrong = np.argsort(rng.random((70, n, n)), axis=-1)
    for B in (1, 2, 5, 31, 32, 33, 64, 70):
        for d, m in ((dist, counts), (dr, counts), (noisy, counts), (dist, skew)):
            args = (d[:B], w[:B], m[:B], 0.25)
            first = kern.votes(*args, True, empty)
            _same_all(first, old.votes(*args, True, empty))
            for perm in (first[3], wrong[:B]):
                _same_all(kern.votes(*args, True, perm), old.votes(*args, True, perm))
            got, want = kern.votes(*args, False, empty), old.votes(*args, False, empty)
            _same_all(got[:2] + got[3:], want[:2] + want[3:])  # (no sorted rows: an unwritten stand-in)


def _security_inputs(kind, B, n, seed, paper):
    """Numerators and all-pairs denominators as the round makes them (or some zero, negative
    and NaN denominators), from a hostile batch."""
    x, s, w, inv, dist, dr, counts = _votes_inputs(kind, B, n, seed)
    N, eN, Gs, _ = old.votes(dist, w, counts, 2.0 * (n + 2) * eu.EPS, not paper, np.empty((0, 0, 0), np.intp))
    if paper:
        return N, eN, np.empty(0), np.empty(0), dist, s, inv
    coef = 2.0 * np.arange(n) - n + 1.0
    with np.errstate(all="ignore"):  # NaN positions
        D = 2.0 * (Gs @ coef).sum(axis=-1)
        eD = (2.0 * (n + 2) * eu.EPS) * 2.0 * (Gs @ np.abs(coef)).sum(axis=-1)
    rng = np.random.default_rng(seed)
    D[rng.random(B) < 0.05] = 0.0
    D[rng.random(B) < 0.05] = -1.0
    D[rng.random(B) < 0.05] = np.nan
    return N, eN, D, eD, dist, s, inv


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 10, 15, 16, 17, 24, 40])
@pytest.mark.parametrize("paper", [False, True])
def test_security_equals_the_earlier_kernel(kind, n, paper):
    """Every family of options (security adversary or own row, the resist weight's owner,
    with or without the voters' exponents), all-pairs and paper probabilities, the column
    sums' three shapes (under 8 terms, 8 to 15, 16 and more), blocks of draws and their
    tails (32 draws at a time for up to 10 actors, fewer for more)."""
    seed = 37 * n + KINDS.index(kind) + paper
    N, eN, D, eD, dist, s, inv = _security_inputs(kind, 70, n, seed, paper)
    for B in (1, 3, 17, 31, 32, 33, 70):
        for own in (False, True):
            for adversary in (False, True):
                for want_pow in (False, True):
                    args = (N[:B], eN[:B], D[:B] if D.size else D, eD[:B] if eD.size else eD, paper, dist[:B], s[:B],
                            own, adversary, inv[:B], n * eu.EPS, eu.KAPPA * eu.EPS, eu.EPS, want_pow)
                    _same_all(kern.security(*args), old.security(*args))


def test_security_equals_the_earlier_kernel_beyond_128_actors():
    """More than 128 actors: NumPy's pairwise sum splits a row in halves (the per-row path)."""
    for paper in (False, True):
        N, eN, D, eD, dist, s, inv = _security_inputs("grid", 3, 131, 5, paper)
        for adversary in (False, True):
            args = (N, eN, D, eD, paper, dist, s, True, adversary, inv, 131 * eu.EPS, eu.KAPPA * eu.EPS, eu.EPS, True)
            _same_all(kern.security(*args), old.security(*args))

# --- decide: the per-draw passes rewritten (session 5) against the former body, bit for bit


def _bits_same(got, want):
    """Every output of ``decide`` equal bit for bit (NaN where NaN: a NaN's payload may follow
    the operands' order, which IEEE leaves open)."""
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        if g.dtype.kind == "f":
            nan = np.isnan(w)
            assert np.array_equal(np.isnan(g), nan)
            assert np.array_equal(g[~nan].view(np.int64), w[~nan].view(np.int64))
        else:
            assert np.array_equal(g, w)


def _decide_args(rng, B, n, *, paper, voter_r, own, same_h, opts, nan=False, wide=False):
    """Inputs of ``decide`` drawn to reach its corners: positions on a coarse grid (exact ties,
    equal positions: zero distances) or a few ulps apart, numerators on a grid (ties of P and of
    the keys), error bounds from tiny to wide (boxes crossing boundaries: undetermined choices),
    denominators that are not positive, and with ``nan`` NaNs sprinkled over the inputs."""
    kind = rng.integers(0, 3)
    if kind == 0:
        x = rng.integers(0, 4, (B, n)) * 25.0
    elif kind == 1:
        x = rng.uniform(0, 100, (B, n))
        x[:, n // 2:] = x[:, :1] + rng.integers(0, 3, (B, n - n // 2)) * np.spacing(x[:, :1])
    else:
        x = rng.uniform(0, 100, (B, n))
    x = np.sort(x, axis=1)
    R = x.max(axis=1) - x.min(axis=1)
    R = np.where(R > 0, R, 1.0)
    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    N = rng.integers(0, 5, (B, n, n)) * 0.25
    scale = 10.0 ** rng.integers(-16, -1 if wide else -12, (B, 1, 1))
    eN = rng.uniform(0, 1, (B, n, n)) * scale
    D = rng.choice([0.0, -1.0, 2.0, 4.0, 7.5], B)
    eD = rng.uniform(0, 1e-15, B)
    escale = (rng.uniform(0, 1e-10, B) * rng.choice([0.0, 1.0, 1e8], B)) if voter_r else None
    grid = rng.random() < 0.5

    def em_ep():
        em = rng.integers(-4, 1, (B, n, n)) * 0.125 if grid else -rng.uniform(0, 1, (B, n, n))
        return em, em + (rng.integers(0, 4, (B, n, n)) * 0.25 if grid else rng.uniform(0, 2, (B, n, n)))

    emA, epA = em_ep()
    emB, epB = em_ep() if own else (emA, epA)
    hA = rng.choice([1.0, 2.0, 2.5], (B, n)) if grid else rng.uniform(1, 3, (B, n))
    facA = rng.uniform(0, 1e-15, (B, n)) * (1e10 if wide else 1.0)
    hB, facB = (hA, facA) if same_h else (hA.copy() * rng.choice([1.0, 0.5], (B, n)), facA * 2.0)
    s = rng.choice([0.5, 1.0], (B, n)) if grid else rng.uniform(0.05, 1, (B, n))
    order = np.argsort(rng.random((B, n)), axis=1)
    if nan:
        for arr in (x, dist, N, emA, epA, hA, s):
            arr[rng.random(arr.shape) < 0.02] = np.nan
    return (x, dist, N, eN, D, eD, paper, escale, emA, epA, hA, emB, epB, hB, s, facA, facB, own,
            opts["own_salience"], R, order, opts["capitulation"], opts["conflict"], opts["weighted"],
            opts["lowest"], eu.SNAP, eu.EPS)


DECIDE_OPTS = st.fixed_dictionaries({
    "own_salience": st.booleans(),
    "capitulation": st.booleans(),
    "conflict": st.booleans(),
    "weighted": st.booleans(),
    "lowest": st.booleans(),
})  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), B=st.integers(1, 70), n=st.integers(1, 40), paper=st.booleans(),
       voter_r=st.booleans(), own=st.booleans(), same_h=st.booleans(), wide=st.booleans(), nan=st.booleans(),
       opts=DECIDE_OPTS)
@example(seed=3, B=70, n=10, paper=False, voter_r=True, own=False, same_h=True, wide=True, nan=False,
         opts={"own_salience": True, "capitulation": False, "conflict": True, "weighted": True, "lowest": False})
@example(seed=4, B=33, n=30, paper=False, voter_r=True, own=True, same_h=False, wide=True, nan=False,
         opts={"own_salience": False, "capitulation": True, "conflict": True, "weighted": False, "lowest": True})
def test_decide_equals_its_former_body(seed, B, n, paper, voter_r, own, same_h, wide, nan, opts):
    """``decide`` (per-draw passes over the pairs, branch-free regions, offers in fewer passes)
    gives its former body's numbers bit for bit on every output: every option family, exact
    ties, zero distances, undetermined choices, non-positive denominators, NaN inputs, blocks
    of 1 to 70 draws, 1 to 40 actors (offers in fewer passes up to 16, pass after pass
    beyond)."""
    from eu_decide_reference import decide_reference

    args = _decide_args(np.random.default_rng(seed), B, n, paper=paper, voter_r=voter_r, own=own, same_h=same_h,
                        opts=opts, nan=nan, wide=wide)
    _bits_same(kern.decide(*args), decide_reference(*args))


def test_decide_shares_a_terms_only_on_a_arrays():
    """``b``'s success terms are ``a``'s where ``b`` is handed ``a``'s own arrays (the default,
    the evaluator's exponent): computed once there, the numbers are those of equal copies
    (each term computed twice) and of the former body; another ``h`` (or the challenger's
    exponent) is not mistaken for ``a``'s."""
    from eu_decide_reference import decide_reference

    for seed in range(6):
        opts = {"own_salience": bool(seed % 2), "capitulation": bool(seed % 3), "conflict": True,
                "weighted": seed < 3, "lowest": seed == 4}
        args = list(_decide_args(np.random.default_rng(seed), 37, 9, paper=False, voter_r=True, own=False,
                                 same_h=True, opts=opts, nan=seed == 5))
        emA, epA, hA, facA = args[8], args[9], args[10], args[15]
        assert args[11] is emA and args[12] is epA and args[13] is hA and args[16] is facA
        shared = kern.decide(*args)
        _bits_same(shared, decide_reference(*args))
        copies = list(args)
        copies[11], copies[12], copies[13], copies[16] = emA.copy(), epA.copy(), hA.copy(), facA.copy()
        _bits_same(kern.decide(*copies), shared)
        other = list(args)
        other[13] = hA * 0.5  # another h for b: not a's terms
        _bits_same(kern.decide(*other), decide_reference(*other))


def test_decide_reaches_its_corners():
    """The draws above do reach what ``decide`` must reproduce: every kind of move, undetermined
    choices, compromises landing within rounding, boxes on either side of ``sameB``."""
    kinds, und, short = set(), 0, 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        opts = {"own_salience": True, "capitulation": bool(seed % 2), "conflict": True, "weighted": bool(seed % 3),
                "lowest": bool(seed % 5 == 0)}
        args = _decide_args(rng, 64, 8, paper=bool(seed % 4 == 1), voter_r=True, own=bool(seed % 2), same_h=True,
                            opts=opts, wide=bool(seed % 2))
        X, TG, KD, SA, SB, UD, SH = kern.decide(*args)
        kinds |= set(np.unique(KD).tolist())
        und += int(UD.sum())
        short += int(SH.sum())
    assert kinds == {eu.KIND_NONE, eu.KIND_CONFRONTATION, eu.KIND_COMPROMISE, eu.KIND_CAPITULATION}
    assert und > 0 and short > 0


@pytest.mark.parametrize("kind", ["grid", "ulps", "twins", "cont"])
def test_decide_on_a_rounds_inputs_in_blocks(kind):
    """``decide`` on the inputs a compiled round gives it (every option family's presets), whole
    and cut into blocks of 1 to 70 draws (as a round compiled around it may call it), against
    its former body, bit for bit."""
    from eu_decide_reference import decide_reference

    calls = []
    real = kern.decide

    def record(*args):
        calls.append(args)
        return real(*args)

    x, c, s = _family(kind, 150, 9, 5)
    for opts in ({"preset": "paper"}, {"preset": "scholz2011"},
                 {"perspective_r": "own", "resist_salience": "printed-25b", "tie_break": "lowest-position"}):
        opt = eu.ExpectedUtilityOptions(**opts)
        # the staged round (the fused one calls decide inside compiled code, where it is not recorded)
        with (mock.patch.object(eu, "KERNEL_ELEMENTS", 1), mock.patch.object(eu, "FUSED", False),
              mock.patch.object(kern, "decide", record)):
            eu.eu_round(x, c, s, x.max(axis=1) - x.min(axis=1), opt)
    assert len(calls) == 3
    for args in calls:
        _bits_same(kern.decide(*args), decide_reference(*args))
        B = args[0].shape[0]
        for size in (1, 7, 8, 9, 31, 64, 70):
            for b0 in range(0, B, size):
                part = tuple(a[b0:b0 + size] if isinstance(a, np.ndarray) and a.ndim and a.shape[0] == B else a
                             for a in args)
                _bits_same(kern.decide(*part), decide_reference(*part))

"""NumPy's own inner loops and OpenBLAS's dgemv called from compiled code
(realpolitik.models._numpy_loops): NumPy's bits for every size, stride and special value,
and the staged path when the checks fail."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.models import _numpy_loops as nl

pytestmark = pytest.mark.skipif(not nl.AVAILABLE, reason=f"NumPy's loops unavailable: {nl.REASON}")
A = nl.ADDRESSES


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint64)


def _values(size, seed):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(size) * 10.0 ** rng.integers(-8, 3, size)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -2.2e-310, -1.0, np.nextafter(-1.0, 0), 710.0,
                         -746.0, 1e308])
    k = min(size, specials.size)
    v[rng.choice(size, k, replace=False)] = specials[:k]
    return v


UNARY = [(nl.LOG1P, np.log1p), (nl.LOG, np.log), (nl.EXPM1, np.expm1)]


@pytest.mark.parametrize("k,uf", UNARY)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65, 100, 257, 1000, 4099])
def test_unary_loops_give_numpys_bits(k, uf, size):
    v = _values(2 * size + 3, size)
    with np.errstate(all="ignore"):
        for src in (v[:size], v[3:3 + size], v[1::2][:size]):  # contiguous, offset, every other element
            st = src.strides[0]
            ref = uf(src)
            out = np.empty(size)
            nl.unary(A, k, src, out, size, st, 8)
            assert np.array_equal(_bits(out), _bits(ref))
            wide = np.empty(2 * size)  # strided output
            nl.unary(A, k, src, wide, size, st, 16)
            assert np.array_equal(_bits(wide[::2]), _bits(ref))
        inplace = v[:size].copy()  # np.log1p(a, out=a)
        ref = uf(inplace)
        nl.unary(A, k, inplace, inplace, size, 8, 8)
        assert np.array_equal(_bits(inplace), _bits(ref))


@pytest.mark.parametrize("size", [1, 2, 5, 8, 9, 17, 64, 70, 301, 4099])
def test_power_loop_gives_numpys_bits(size):
    a = _values(size, size)
    with np.errstate(all="ignore"):
        b = np.abs(_values(size, size + 1)) * 3.0 - 1.5
        out = np.empty(size)
        nl.binary(A, nl.POWER, a, b, out, size, 8, 8, 8)
        assert np.array_equal(_bits(out), _bits(a**b))
        nl.binary(A, nl.POWER, np.abs(a), b, out, size, 8, 8, 8)
        assert np.array_equal(_bits(out), _bits(np.abs(a) ** b))
        base = np.abs(a)  # np.power(base, ex, out=base)
        ref = base**b
        nl.binary(A, nl.POWER, base, b, base, size, 8, 8, 8)
        assert np.array_equal(_bits(base), _bits(ref))
        for sc in (0.5, 2.0, 0.0):  # a Python float base: NumPy broadcasts it with stride 0
            nl.binary(A, nl.POWER, np.array([sc]), b, out, size, 0, 8, 8)
            assert np.array_equal(_bits(out), _bits((sc ** b[:, None, None]).ravel()))


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 9, 10, 12, 16, 17, 40, 67])
def test_matvec_is_numpys_matmul(n):
    rng = np.random.default_rng(n)
    G = rng.standard_normal((33, n, n)) * 10.0 ** rng.integers(-6, 6, (33, n, n))
    G[0] = np.sort(np.abs(G[0]), axis=-1)
    G[1, 1, 0] = np.nan
    G[2, 0, n - 1] = -np.inf
    G[3] = 0.0
    for coef in (2.0 * np.arange(n) - n + 1.0, np.abs(2.0 * np.arange(n) - n + 1.0), rng.standard_normal(n)):
        out = np.empty((33, n))
        nl.matvec(A, G, coef, out)
        with np.errstate(all="ignore"):
            assert np.array_equal(_bits(out), _bits(G @ coef))


def test_the_check_catches_a_wrong_loop():
    """The self-check on import tells loops apart (here log1p's address swapped for log's)."""
    bad = A.copy()
    bad[2 * nl.LOG1P], bad[2 * nl.LOG1P + 1] = A[2 * nl.LOG], A[2 * nl.LOG + 1]
    with pytest.raises(nl.Unavailable, match="log1p"):
        nl._validate(bad)
    nl._validate(A)  # the real addresses pass


def test_fields_are_checked_against_the_ufunc():
    with pytest.raises(nl.Unavailable, match="loop"):
        nl.loop_address(np.log1p, "ll")  # no integer log1p
    with pytest.raises(nl.Unavailable, match="arguments"):
        nl.loop_address(np.log1p, "ddd")
    with pytest.raises(nl.Unavailable):
        nl.loop_address(np.sum, "dd")  # not a ufunc


def test_failed_checks_leave_the_staged_path(monkeypatch):
    """Any check failing: nothing is called (addresses zero, the reason kept), and the batch core
    takes its staged path with the same numbers."""
    import realpolitik.models.expected_utility as eu
    from realpolitik.models import expected_utility_fused as fu

    def fail(addrs):
        raise nl.Unavailable("log1p: differs from NumPy at length 3 offset 0")

    monkeypatch.setattr(nl, "_validate", fail)
    addrs, reason = nl._load()
    assert reason.startswith("log1p") and not addrs.any()
    monkeypatch.setattr(fu, "AVAILABLE", False)
    assert eu._fused(256, 10) is None
    rng = np.random.default_rng(1)
    x, c, s = rng.uniform(0, 100, (64, 8)), rng.uniform(0.1, 1, (64, 8)), rng.uniform(0.1, 1, (64, 8))
    opt = eu.ExpectedUtilityOptions(rounds=3)
    staged = eu.run_rounds(x, c, s, np.ones(8, bool), opt, scale=100.0)
    monkeypatch.setattr(fu, "AVAILABLE", True)
    assert eu._fused(256, 10) is fu
    fused = eu.run_rounds(x, c, s, np.ones(8, bool), opt, scale=100.0)
    assert np.array_equal(staged.positions, fused.positions, equal_nan=True)

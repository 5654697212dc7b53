"""NumPy's own float64 inner loops and its BLAS ``dgemv``, callable from compiled code.

The expected-utility batch core must give the NumPy path's numbers bit for bit, and NumPy's
transcendental functions (``log1p``, ``log``, ``expm1``, ``power``: its SIMD loops) and the
BLAS product of the all-pairs denominators (``Gs @ coef``: OpenBLAS's ``dgemv``) differ from
numba's libm and from a plain dot product in the last bit.  Instead of leaving those steps in
NumPy (a Python call each, between compiled kernels), the compiled round calls the very same
machine code: the ufuncs' ``'dd'``/``'ddd'`` inner loops, whose addresses a ``PyUFuncObject``
holds (``numpy/_core/include/numpy/ufuncobject.h``: ``functions``, ``data``, ``ntypes``,
``name``, ``types``), and the ``cblas_dgemv`` symbol of the OpenBLAS NumPy links
(``numpy.libs``), called as NumPy's ``matmul`` calls it for ``[B, n, n] @ [n]``
(``numpy/_core/src/umath/matmul.c.src``: ``DOUBLE_gemv``, column-major, transposed, one call
per matrix).  The callers pass the pointers, counts and strides NumPy itself would pass for
the expression they replace (a loop may take another code path for other strides).

Everything is checked on import: the struct fields against the ufunc (name, number of
arguments and loops), the loop's results bit for bit against NumPy's on a fixed vector (every
length 1..70 at several offsets, in place and not, zeros of both signs, negatives, infinities,
NaN, subnormals, huge and tiny values, stride-0 operands for ``power``), and ``dgemv`` against
``@`` on stacks with NaN and infinities.  Anything off (another NumPy layout, another BLAS, a
loop whose value depends on where an element sits) makes :data:`AVAILABLE` False with the
reason in :data:`REASON`, and the batch core keeps its staged path (NumPy between kernels):
never different numbers.

Imported only by the compiled batch core (it imports numba); a single run never loads it.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

#: offsets of the fields of ``PyUFuncObject`` (NumPy 2.x, 64-bit): nin/nout/nargs/identity
#: (4 ints) at 16, functions at 32, data at 40, ntypes at 48, name at 56, types at 64
_OFF_NARGS, _OFF_FUNCTIONS, _OFF_DATA, _OFF_NTYPES, _OFF_NAME, _OFF_TYPES = 24, 32, 40, 48, 56, 64
#: CBLAS's enums (cblas.h)
CBLAS_COL_MAJOR, CBLAS_TRANS = 102, 112
#: the loops the batch core calls, in the order of :data:`ADDRESSES`
UFUNCS = (("log1p", np.log1p, "dd"), ("log", np.log, "dd"), ("expm1", np.expm1, "dd"), ("power", np.power, "ddd"))
LOG1P, LOG, EXPM1, POWER = 0, 1, 2, 3
#: index of dgemv's address in :data:`ADDRESSES`
DGEMV = 8

_LOOP = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_GEMV = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_double,
                         ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_double,
                         ctypes.c_void_p, ctypes.c_int64)


class Unavailable(RuntimeError):
    """NumPy's loops or its BLAS cannot be called as NumPy calls them (see :data:`REASON`)."""


def loop_address(uf: np.ufunc, sig: str) -> tuple[int, int]:
    """``(function, data)`` of the inner loop of ``uf`` for the dtypes ``sig`` (e.g. ``"dd"``),
    read from the ``PyUFuncObject``; raises :class:`Unavailable` when the fields do not match
    the ufunc."""
    if not isinstance(uf, np.ufunc) or ctypes.sizeof(ctypes.c_void_p) != 8:
        raise Unavailable("not a ufunc on a 64-bit build")
    addr = id(uf)
    nargs = ctypes.c_int.from_address(addr + _OFF_NARGS).value
    functions = ctypes.c_void_p.from_address(addr + _OFF_FUNCTIONS).value
    data = ctypes.c_void_p.from_address(addr + _OFF_DATA).value
    ntypes = ctypes.c_int.from_address(addr + _OFF_NTYPES).value
    name_ptr = ctypes.c_void_p.from_address(addr + _OFF_NAME).value
    tps = ctypes.c_void_p.from_address(addr + _OFF_TYPES).value
    if nargs != uf.nargs or ntypes != uf.ntypes or not functions or not name_ptr or not tps:
        raise Unavailable(f"{uf.__name__}: PyUFuncObject fields do not match (nargs {nargs}, ntypes {ntypes})")
    if ctypes.string_at(name_ptr) != uf.__name__.encode():
        raise Unavailable(f"{uf.__name__}: PyUFuncObject name does not match")
    if len(sig) != nargs:
        raise Unavailable(f"{uf.__name__}: {len(sig)} dtypes for {nargs} arguments")
    codes = ctypes.string_at(tps, ntypes * nargs)
    want = bytes(np.dtype(ch).num for ch in sig)
    hits = [k for k in range(ntypes) if codes[k * nargs:(k + 1) * nargs] == want]
    if not hits:
        raise Unavailable(f"{uf.__name__}: no {sig!r} loop")
    k = hits[0]  # NumPy's legacy loop selector takes the first match (the SIMD loop listed first)
    fn = (ctypes.c_void_p * ntypes).from_address(functions)[k]
    dat = (ctypes.c_void_p * ntypes).from_address(data)[k] if data else None
    if not fn:
        raise Unavailable(f"{uf.__name__}: empty {sig!r} loop")
    return int(fn), int(dat or 0)


def dgemv_address() -> int:
    """The address of ``cblas_dgemv`` in the OpenBLAS NumPy's ``matmul`` calls (NumPy's wheels:
    ``numpy.libs/libscipy_openblas64_*.so``, symbol ``scipy_cblas_dgemv64_``, 64-bit ints)."""
    cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
    blas = (cfg.get("Build Dependencies", {}) or {}).get("blas", {}) if isinstance(cfg, dict) else {}
    if blas.get("name") != "scipy-openblas" or "USE64BITINT" not in str(blas.get("openblas configuration", "")):
        raise Unavailable(f"NumPy's BLAS is {blas.get('name')!r} {blas.get('openblas configuration', '')!r}, "
                          "not the bundled scipy-openblas with 64-bit integers")
    libs = sorted(glob.glob(os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs",
                                         "libscipy_openblas64_*.so*")))
    if len(libs) != 1:
        raise Unavailable(f"{len(libs)} scipy-openblas libraries beside NumPy")
    try:  # already loaded by NumPy: the same mapping
        lib = ctypes.CDLL(libs[0], mode=os.RTLD_NOLOAD | os.RTLD_LOCAL if hasattr(os, "RTLD_NOLOAD") else 0)
        return int(ctypes.cast(lib.scipy_cblas_dgemv64_, ctypes.c_void_p).value)
    except (OSError, AttributeError) as e:
        raise Unavailable(f"scipy_cblas_dgemv64_: {e}") from None


# ------------------------------------------------------------------ calls from numba


def _as_i64(context, builder, val, ty):
    return context.cast(builder, val, ty, types.int64)


@intrinsic
def call_loop1(typingctx, fn, data, ip, op, count, si, so):
    """Call the unary inner loop at address ``fn`` (``data`` its data pointer) with
    ``args = {ip, op}``, ``dimensions = {count}``, ``steps = {si, so}`` (bytes)."""
    sig = types.void(fn, data, ip, op, count, si, so)

    def codegen(context, builder, signature, args):
        vals = [_as_i64(context, builder, v, t) for v, t in zip(args, signature.args, strict=True)]
        return _emit_loop(builder, vals[0], vals[1], vals[2:4], vals[4], vals[5:7], context)

    return sig, codegen


@intrinsic
def call_loop2(typingctx, fn, data, ip1, ip2, op, count, s1, s2, so):
    """Call the binary inner loop at ``fn`` with ``args = {ip1, ip2, op}``, ``dimensions =
    {count}``, ``steps = {s1, s2, so}``."""
    sig = types.void(fn, data, ip1, ip2, op, count, s1, s2, so)

    def codegen(context, builder, signature, args):
        vals = [_as_i64(context, builder, v, t) for v, t in zip(args, signature.args, strict=True)]
        return _emit_loop(builder, vals[0], vals[1], vals[2:5], vals[5], vals[6:9], context)

    return sig, codegen


def _emit_loop(builder, fn, data, ptrs, count, steps, context):
    i64 = ir.IntType(64)
    vp = ir.IntType(8).as_pointer()
    k = len(ptrs)
    argv = cgutils.alloca_once(builder, i64, size=k)
    stv = cgutils.alloca_once(builder, i64, size=k)
    dims = cgutils.alloca_once(builder, i64, size=1)
    for q in range(k):
        builder.store(ptrs[q], builder.gep(argv, [ir.Constant(i64, q)]))
        builder.store(steps[q], builder.gep(stv, [ir.Constant(i64, q)]))
    builder.store(count, dims)
    fnty = ir.FunctionType(ir.VoidType(), [vp, vp, vp, vp])
    f = builder.inttoptr(fn, fnty.as_pointer())
    builder.call(f, [builder.bitcast(argv, vp), builder.bitcast(dims, vp), builder.bitcast(stv, vp),
                     builder.inttoptr(data, vp)])
    return context.get_dummy_value()


@intrinsic
def call_dgemv(typingctx, fn, n, a, x, y):
    """``y = A^T x`` as NumPy's ``matmul`` asks OpenBLAS for one C-ordered ``[n, n]`` matrix
    times a contiguous vector: ``cblas_dgemv(ColMajor, Trans, n, n, 1.0, a, n, x, 1, 0.0, y, 1)``."""
    sig = types.void(fn, n, a, x, y)

    def codegen(context, builder, signature, args):
        fn_, n_, a_, x_, y_ = [_as_i64(context, builder, v, t) for v, t in zip(args, signature.args, strict=True)]
        i32, i64, dbl = ir.IntType(32), ir.IntType(64), ir.DoubleType()
        vp = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i32, i32, i64, i64, dbl, vp, i64, vp, i64, dbl, vp, i64])
        f = builder.inttoptr(fn_, fnty.as_pointer())
        one = ir.Constant(i64, 1)
        builder.call(f, [ir.Constant(i32, CBLAS_COL_MAJOR), ir.Constant(i32, CBLAS_TRANS), n_, n_,
                         ir.Constant(dbl, 1.0), builder.inttoptr(a_, vp), n_, builder.inttoptr(x_, vp), one,
                         ir.Constant(dbl, 0.0), builder.inttoptr(y_, vp), one])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def unary(addrs, k, src, dst, count, si, so):
    """Loop ``k`` (:data:`LOG1P`, :data:`LOG`, :data:`EXPM1`) over ``count`` elements of the
    1-d arrays ``src`` -> ``dst`` with byte strides ``si``, ``so`` (``dst`` may be ``src``:
    in place, as ``np.log1p(a, out=a)``)."""
    call_loop1(addrs[2 * k], addrs[2 * k + 1], src.ctypes.data, dst.ctypes.data, count, si, so)


@njit(cache=True, nogil=True)
def binary(addrs, k, a, b, dst, count, sa, sb, so):
    """Loop ``k`` (:data:`POWER`) over ``count`` elements: ``dst = a ** b`` with byte strides
    ``sa``, ``sb``, ``so`` (0: a broadcast scalar, as NumPy passes a Python float)."""
    call_loop2(addrs[2 * k], addrs[2 * k + 1], a.ctypes.data, b.ctypes.data, dst.ctypes.data, count, sa, sb, so)


@njit(cache=True, nogil=True)
def matvec(addrs, G, coef, out):
    """``out = G @ coef`` for ``G`` ``[B, n, n]`` C-ordered, ``coef`` ``[n]`` and ``out``
    ``[B, n]`` contiguous, one ``dgemv`` per matrix as NumPy's ``matmul`` (``n >= 2``)."""
    B, n, _ = G.shape
    g0 = G.ctypes.data
    o0 = out.ctypes.data
    for b in range(B):
        call_dgemv(addrs[DGEMV], n, g0 + 8 * n * n * b, coef.ctypes.data, o0 + 8 * n * b)


# ------------------------------------------------------------------ validation on import


def _check_vector() -> np.ndarray:
    """A fixed vector that reaches the loops' special cases."""
    rng = np.random.default_rng(20261207)
    tiny = np.finfo(float).tiny
    special = np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, np.inf, -np.inf, np.nan, -np.nan, tiny, -tiny,
                        tiny / 3, -tiny / 7, 5e-324, -5e-324, 1e-300, 1e300, -1e300, 709.78, 710.0, -745.2, -746.0,
                        np.nextafter(-1.0, 0), np.nextafter(-1.0, -2), 1e-17, -1e-17, 0.6931471805599453,
                        np.finfo(float).max, -np.finfo(float).max, 1.5, 3.0, -3.0])
    parts = [special, rng.standard_normal(97), rng.uniform(-1, 1, 61), rng.uniform(0, 1, 53) ** 7,
             np.exp(rng.uniform(-700, 700, 37)), -np.exp(rng.uniform(-40, 40, 29)), rng.uniform(0, 3, 41)]
    v = np.concatenate(parts)
    return v[rng.permutation(v.size)]


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint64)


def _validate(addrs: np.ndarray) -> None:
    """Raise :class:`Unavailable` unless every loop and dgemv gives NumPy's bits."""
    old = np.seterr(all="ignore")
    try:
        v = _check_vector()
        e = np.abs(v)[::-1].copy() * 2.5 - 1.0
        for k, (name, uf, sig) in enumerate(UFUNCS):
            f = _LOOP(int(addrs[2 * k]))
            data = int(addrs[2 * k + 1]) or None
            binary_ = len(sig) == 3
            for L in range(1, 71):
                for off in (0, 1, 3, 8 + (L % 5)):
                    a = v[off:off + L].copy()
                    b = e[off:off + L].copy()
                    ref = uf(a, b) if binary_ else uf(a)
                    out = np.empty(L)
                    ins = [a, b] if binary_ else [a]
                    _call_ctypes(f, data, ins + [out], L, [8] * (len(ins) + 1))
                    if not np.array_equal(_bits(out), _bits(ref)):
                        raise Unavailable(f"{name}: differs from NumPy at length {L} offset {off}")
                    if not binary_:  # in place
                        _call_ctypes(f, data, [a, a], L, [8, 8])
                        if not np.array_equal(_bits(a), _bits(ref)):
                            raise Unavailable(f"{name}: differs from NumPy in place at length {L}")
            if binary_:  # a broadcast scalar base (``0.5 ** r``) or exponent, whole vectors
                for sc in (0.5, 2.0, 0.0, -1.5):
                    for first in (True, False):
                        s = np.array([sc])
                        ref = uf(sc, e) if first else uf(v, sc)
                        out = np.empty(v.size)
                        ins = [s, e] if first else [v, s]
                        _call_ctypes(f, data, ins + [out], v.size, [0, 8, 8] if first else [8, 0, 8])
                        if not np.array_equal(_bits(out), _bits(ref)):
                            raise Unavailable(f"{name}: differs from NumPy with a broadcast scalar {sc}")
        gemv = _GEMV(int(addrs[DGEMV]))
        rng = np.random.default_rng(7)
        for n in (2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 16, 17, 31, 40):
            G = rng.standard_normal((5, n, n)) * 10.0 ** rng.integers(-5, 5, (5, n, n))
            G[1, 0, 0] = np.nan
            G[2, n - 1, 1] = np.inf
            G[3] = np.sort(np.abs(G[3]), axis=-1)
            coef = 2.0 * np.arange(n) - n + 1.0
            for cf in (coef, np.abs(coef)):
                ref = G @ cf
                out = np.empty((5, n))
                for b in range(5):
                    gemv(CBLAS_COL_MAJOR, CBLAS_TRANS, n, n, 1.0, G[b].ctypes.data, n, cf.ctypes.data, 1, 0.0,
                         out[b].ctypes.data, 1)
                if not np.array_equal(_bits(out), _bits(ref)):
                    raise Unavailable(f"dgemv differs from NumPy's matmul at n = {n}")
    finally:
        np.seterr(**old)


def _call_ctypes(f, data, arrs, count, steps) -> None:
    args = (ctypes.c_void_p * len(arrs))(*[a.ctypes.data for a in arrs])
    dims = (ctypes.c_ssize_t * 1)(count)
    st = (ctypes.c_ssize_t * len(arrs))(*steps)
    f(args, dims, st, data)


def _load() -> tuple[np.ndarray, str]:
    addrs = np.zeros(DGEMV + 1, np.int64)
    try:
        for k, (_, uf, sig) in enumerate(UFUNCS):
            addrs[2 * k], addrs[2 * k + 1] = loop_address(uf, sig)
        addrs[DGEMV] = dgemv_address()
        _validate(addrs)
    except Unavailable as e:
        return np.zeros(DGEMV + 1, np.int64), str(e)
    return addrs, ""


#: the loops' ``(function, data)`` pairs (:data:`LOG1P` .. :data:`POWER`) and dgemv's address
#: (all zero when unavailable)
ADDRESSES, REASON = _load()
#: whether the loops and dgemv passed the checks (else :data:`REASON` says why)
AVAILABLE = not REASON

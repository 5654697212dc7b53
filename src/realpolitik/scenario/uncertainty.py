"""Uncertain inputs: distributions over actor values, and sampling them into batches.

An analyst rarely knows an actor's salience to the decimal.  Any actor value of a
scenario (capability, a per-issue capability, a position, a salience) may be given
as a distribution instead of a number:

* a range ``{min: 40, max: 80}`` (or ``{low:, high:}``) - uniform on the range;
* ``{low: 40, mode: 60, high: 80}`` - triangular;
* ``{mean: 60, sd: 10}`` - normal, truncated to the value's valid range (a position
  to its issue's scale, a salience to 0-100, a capability to ``(0, inf)``).

The scenario stays numeric for point-forecast models: the builder stores the point
value (uniform: the midpoint; triangular: the mode; normal: the mean) in the usual
field and the distribution as an :class:`UncertainValue` in ``Scenario.uncertainty``,
addressed by a path ``actor.field[.issue]`` such as ``putin.position.settlement`` or
``putin.capability``.  Flat tables give the same through extra columns
(``Position_low``/``Position_high`` = uniform range, plus ``Position_mode`` =
triangular, ``Position_sd`` [``Position_mean``] = normal); see
:mod:`realpolitik.scenario.loaders.table`.

:func:`sample_batch` draws a :class:`~realpolitik.scenario.batch.ScenarioBatch`
(arrays ``[draw, actor, issue]``) by inverse-CDF sampling from one uniform matrix
``[draw, value]``, vectorised over draws and values.  A global ``spread`` perturbs
every value that has no distribution of its own (see :func:`sample_batch`).

References
----------
[BDM2011] Bueno de Mesquita, B. (2011). A new model for predicting policy choices:
preliminary tests. *Conflict Management and Peace Science* 28(1), 65-87 (the
practice of perturbing inputs to turn point forecasts into distributions).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

if TYPE_CHECKING:  # pragma: no cover
    from realpolitik.scenario.batch import ScenarioBatch
    from realpolitik.scenario.model import Scenario

Kind = Literal["uniform", "triangular", "normal"]
FIELDS = ("capability", "position", "salience")
#: field name in paths -> actor attribute holding the per-issue values in raw data
_DATA_FIELD = {"position": "positions", "salience": "saliences", "capability": "capability_by_issue"}

_PATH = re.compile(r"^(?P<actor>.+?)\.(?P<field>capability|position|salience)(?:\.(?P<issue>.+))?$")


def split_path(path: str) -> tuple[str, str, str | None]:
    """``"putin.salience.settlement"`` -> ``("putin", "salience", "settlement")``.

    Actor and issue ids may contain dots; the field word splits them.  Raises
    ``ValueError`` naming the expected forms.
    """
    m = _PATH.match(str(path).strip())
    if not m:
        raise ValueError(
            f"path {path!r} must be actor.capability, actor.capability.issue, "
            "actor.position.issue or actor.salience.issue"
        )
    return m.group("actor"), m.group("field"), m.group("issue")


_KEYS = {"min": "low", "low": "low", "max": "high", "high": "high", "mode": "mode", "mean": "mean", "sd": "sd"}


class Distribution(BaseModel):
    """A distribution over one number: uniform (low, high), triangular (low, mode, high) or
    normal (mean, sd; truncated to the value's valid range when drawn)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dist: Kind
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None

    @model_validator(mode="after")
    def _complete(self):
        for k in ("low", "high", "mode", "mean", "sd"):
            v = getattr(self, k)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"{k} must be a finite number, got {v!r}")
        if self.dist in ("uniform", "triangular"):
            if self.low is None or self.high is None:
                raise ValueError(f"a {self.dist} distribution needs low (min) and high (max)")
            if self.high < self.low:
                raise ValueError(f"high ({self.high:g}) is below low ({self.low:g})")
            if self.dist == "triangular":
                if self.mode is None:
                    raise ValueError("a triangular distribution needs a mode")
                if not self.low <= self.mode <= self.high:
                    raise ValueError(f"mode {self.mode:g} lies outside low {self.low:g} to high {self.high:g}")
        else:
            if self.mean is None or self.sd is None:
                raise ValueError("a normal distribution needs mean and sd")
            if self.sd < 0:
                raise ValueError(f"sd must be 0 or more, got {self.sd:g}")
        return self

    @property
    def point(self) -> float:
        """The value point forecasts use: midpoint, mode or mean."""
        if self.dist == "uniform":
            return (self.low + self.high) / 2.0  # type: ignore[operator]
        if self.dist == "triangular":
            return float(self.mode)  # type: ignore[arg-type]
        return float(self.mean)  # type: ignore[arg-type]

    @property
    def values(self) -> list[float]:
        """The numbers that must lie in the value's valid range (sd excepted)."""
        return [x for x in (self.low, self.high, self.mode, self.mean) if x is not None]

    def support(self, lo: float, hi: float) -> tuple[float, float]:
        """The range draws fall in, given the value's valid range ``[lo, hi]``."""
        if self.dist == "normal":
            return lo, hi
        return float(self.low), float(self.high)  # type: ignore[arg-type]

    def bounds(self, lo: float, hi: float) -> tuple[float, float]:
        """A finite range for sensitivity analysis: the support, or mean +- 2 sd (clipped)."""
        if self.dist == "normal":
            a = max(lo, self.mean - 2 * self.sd)  # type: ignore[operator]
            b = min(hi, self.mean + 2 * self.sd)  # type: ignore[operator]
            return a, b
        return float(self.low), float(self.high)  # type: ignore[arg-type]

    def scaled(self, factor: float):
        """The same distribution with every value multiplied by ``factor``."""
        upd = {k: getattr(self, k) * factor for k in ("low", "high", "mode", "mean", "sd") if getattr(self, k) is not None}
        return self.model_copy(update=upd)

    def describe(self) -> str:
        """One line: ``triangular 40/60/80``, ``uniform 40 to 80``, ``normal mean 60, sd 10``."""
        if self.dist == "uniform":
            return f"uniform {self.low:g} to {self.high:g}"
        if self.dist == "triangular":
            return f"triangular {self.low:g}/{self.mode:g}/{self.high:g}"
        return f"normal mean {self.mean:g}, sd {self.sd:g}"


class UncertainValue(Distribution):
    """A distribution over one actor value.

    ``path`` is ``actor.field`` (``field`` = ``capability``) or ``actor.field.issue``
    (``position``, ``salience``, or ``capability`` on one issue).  Saliences are on
    0-100 like the scenario's own.
    """

    path: str

    @model_validator(mode="after")
    def _path(self):
        _, field, issue = split_path(self.path)
        if field in ("position", "salience") and issue is None:
            raise ValueError(f"path {self.path!r} must name an issue: actor.{field}.issue")
        return self

    # ---------------------------------------------------------------- access
    @property
    def actor(self) -> str:
        return split_path(self.path)[0]

    @property
    def field(self) -> str:
        return split_path(self.path)[1]

    @property
    def issue(self) -> str | None:
        return split_path(self.path)[2]


# --------------------------------------------------------------------- parsing
def parse_distribution(raw: Any, path: str | None = None) -> Distribution:
    """A :class:`Distribution` from a YAML mapping (an :class:`UncertainValue` when ``path`` is
    given); ``ValueError`` with a one-line reason."""
    if not isinstance(raw, dict):
        raise ValueError(f"expected a number or a distribution mapping, got {raw!r}")
    spec: dict[str, float] = {}
    for key, value in raw.items():
        k = _KEYS.get(str(key).strip().lower())
        if k is None:
            raise ValueError(
                f"unknown distribution key {key!r}: use {{min, max}} (uniform), "
                "{low, mode, high} (triangular) or {mean, sd} (normal)"
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"distribution {key} must be a number, got {value!r}")
        if k in spec:
            raise ValueError(f"distribution gives {k} twice (min/low and max/high are aliases)")
        spec[k] = float(value)
    keys = set(spec)
    if keys == {"low", "high"}:
        dist = "uniform"
    elif keys == {"low", "mode", "high"}:
        dist = "triangular"
    elif keys == {"mean", "sd"}:
        dist = "normal"
    else:
        raise ValueError(
            f"cannot tell the distribution from keys {', '.join(sorted(raw))}: use {{min, max}} (uniform), "
            "{low, mode, high} (triangular) or {mean, sd} (normal)"
        )
    from pydantic import ValidationError

    try:
        if path is None:
            return Distribution(dist=dist, **spec)
        return UncertainValue(path=path, dist=dist, **spec)
    except ValidationError as exc:
        msg = exc.errors(include_url=False)[0].get("msg", "invalid distribution")
        raise ValueError(msg.removeprefix("Value error, ")) from None


def _factor(scale: Any) -> float:
    if scale is None:
        return 1.0
    key = str(scale).strip().replace(" ", "")
    return 100.0 if key in ("0-1", "1", "0..1", "unit", "0-1.0") else 1.0


def extract_uncertainty(data: dict[str, Any], locate, problems: list) -> None:
    """Replace distribution mappings in a loader's raw dict by point values.

    Runs in :func:`realpolitik.scenario.build.build_scenario` before validation.
    Every distribution becomes an entry of ``data["uncertainty"]`` (a list of dicts
    in :class:`UncertainValue` form, saliences moved to 0-100 when the file declares
    ``salience_scale: 0-1``); its place in the actor is taken by the point value.
    A malformed distribution adds a located :class:`~realpolitik.errors.Problem`.
    """
    from realpolitik.errors import Problem

    factor = _factor(data.get("salience_scale"))
    found: list[dict[str, Any]] = []
    for k, actor in enumerate(data.get("actors") or []):
        if not isinstance(actor, dict):
            continue
        aid = str(actor.get("id", k))
        cap = actor.get("capability")
        if isinstance(cap, dict):
            try:
                uv = parse_distribution(cap, f"{aid}.capability")
                actor["capability"] = uv.point
                found.append(uv.model_dump(exclude_none=True))
            except ValueError as exc:
                problems.append(Problem(locate(("actors", k, "capability")), f"capability: {exc}"))
                actor["capability"] = max(_fallback(cap), 1e-9)
        for field, key in (("position", "positions"), ("salience", "saliences"), ("capability", "capability_by_issue")):
            values = actor.get(key)
            if not isinstance(values, dict):
                continue
            for iid, v in list(values.items()):
                if not isinstance(v, dict):
                    continue
                try:
                    uv = parse_distribution(v, f"{aid}.{field}.{iid}")
                except ValueError as exc:
                    problems.append(Problem(locate(("actors", k, key, iid)), f"{field} on {iid}: {exc}"))
                    # a stand-in that raises no second, vaguer problem
                    x = _fallback(v)
                    values[iid] = min(max(x, 0.0), 100.0 / factor) if field == "salience" else x
                    if field == "capability":
                        values[iid] = max(x, 1e-9)
                    continue
                if field == "salience" and factor != 1.0:
                    uv = uv.scaled(factor)
                    values[iid] = uv.point / factor  # _scale_saliences multiplies it back
                else:
                    values[iid] = uv.point
                found.append(uv.model_dump(exclude_none=True))
    if found:
        existing = data.get("uncertainty") or []
        data["uncertainty"] = list(existing) + found


def _fallback(raw: dict) -> float:
    nums = [float(v) for v in raw.values() if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    return float(np.median(nums)) if nums else 0.0


#: the largest capability a scenario may give (docs/DECISIONS.md, "Capability bound"):
#: capabilities are relative, and the models form sums of products such as c * s * (x - y)**2
#: over every actor (and products of two actors' terms), which must stay far from float64's
#: overflow (1.8e308); 1e15 holds a GDP in dollars and leaves every product finite
MAX_CAPABILITY = 1e15


def check_uncertainty(scenario: "Scenario") -> list[str]:
    """Problems (``path: message`` lines) with a scenario's distributions.

    Each path must name a known actor and issue (taking part in it), every value
    must lie in the valid range, and a value may carry only one distribution.
    """
    problems: list[str] = []
    index = {a.id: k for k, a in enumerate(scenario.actors)}
    issues = {i.id: i for i in scenario.issues}
    seen: set[str] = set()
    for u_k, uv in enumerate(scenario.uncertainty):
        where = f"uncertainty.{u_k}"
        if uv.path in seen:
            problems.append(f"{where}: value {uv.path} has two distributions")
        seen.add(uv.path)
        k = index.get(uv.actor)
        if k is None:
            problems.append(f"{where}: unknown actor {uv.actor!r} in {uv.path}")
            continue
        actor = scenario.actors[k]
        if uv.issue is not None and uv.issue not in issues:
            problems.append(f"{where}: unknown issue {uv.issue!r} in {uv.path}")
            continue
        if uv.field == "capability":
            loc = f"actors.{k}.capability" if uv.issue is None else f"actors.{k}.capability_by_issue.{uv.issue}"
            if (uv.low is not None and uv.low < 0) or uv.point <= 0:
                problems.append(f"{loc}: capability distribution ({_show(uv)}) must lie above 0")
            elif any(x > MAX_CAPABILITY for x in uv.values):
                problems.append(f"{loc}: capability distribution ({_show(uv)}) goes above {MAX_CAPABILITY:g}; "
                                "capabilities are relative: rescale them (e.g. to 0-100)")
            continue
        key = "positions" if uv.field == "position" else "saliences"
        loc = f"actors.{k}.{key}.{uv.issue}"
        if uv.issue not in actor.positions:
            problems.append(f"{loc}: actor {actor.id!r} takes no part in issue {uv.issue!r}")
            continue
        lo, hi = (issues[uv.issue].min, issues[uv.issue].max) if uv.field == "position" else (0.0, 100.0)
        vals = [x for x in (uv.low, uv.high, uv.mode, uv.mean) if x is not None]
        if any(not lo <= x <= hi for x in vals):
            what = "the issue scale" if uv.field == "position" else "0-100"
            problems.append(f"{loc}: {uv.field} distribution ({_show(uv)}) goes outside {what} ({lo:g} to {hi:g})")
    return problems


def _show(uv: Distribution) -> str:
    return uv.describe()


# --------------------------------------------------------------------- sampling
def _inverse_cdf(u: np.ndarray, kind: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """Draws from uniforms ``u [draw, value]`` for values of mixed kinds (vectorised)."""
    lo, hi, mode, mean, sd, a, b = (p[k] for k in ("low", "high", "mode", "mean", "sd", "a", "b"))
    out = np.empty_like(u)
    # uniform
    uni = kind == 0
    if uni.any():
        out[:, uni] = lo[uni] + u[:, uni] * (hi[uni] - lo[uni])
    # triangular (inverse CDF; works when low == high)
    tri = kind == 1
    if tri.any():
        l, h, c, x = lo[tri], hi[tri], mode[tri], u[:, tri]
        width = h - l
        fc = np.divide(c - l, width, out=np.zeros_like(width), where=width > 0)
        left = l + np.sqrt(x * width * (c - l))
        right = h - np.sqrt((1.0 - x) * width * (h - c))
        out[:, tri] = np.where(x < fc, left, right)
    # normal truncated to [a, b]
    nor = kind == 2
    if nor.any():
        m, s, x = mean[nor], sd[nor], u[:, nor]
        safe = np.where(s > 0, s, 1.0)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            from scipy.special import ndtr, ndtri  # here, not at import: scipy costs start-up time

            pa = ndtr((a[nor] - m) / safe)
            pb = ndtr((b[nor] - m) / safe)
            q = pa + x * (pb - pa)
            z = ndtri(np.clip(q, 1e-300, 1 - 1e-16))
            draw = np.clip(m + s * z, a[nor], b[nor])
        out[:, nor] = np.where(s > 0, draw, m)
    return out


def _targets(scenario: "Scenario"):
    """For every value: (field, actor row, issue columns) in scenario order."""
    return {a.id: r for r, a in enumerate(scenario.actors)}, {i.id: c for c, i in enumerate(scenario.issues)}


def sample_batch(
    scenario: "Scenario",
    draws: int,
    rng: np.random.Generator | int | None = None,
    spread: float = 0.0,
) -> "ScenarioBatch":
    """Draw ``draws`` scenarios from the scenario's distributions.

    Parameters
    ----------
    scenario
        The scenario; values listed in ``scenario.uncertainty`` are drawn from their
        distributions, every other value is fixed at its point value unless
        ``spread`` > 0.
    draws
        Number of draws (leading axis of the returned arrays).
    rng
        Generator or seed.  The uniforms are drawn as one ``[draw, value]`` matrix,
        values in a fixed order (distributions first, then the spread values), so
        the same seed gives the same draws.
    spread
        Global perturbation, a fraction: every value without its own distribution
        is drawn uniformly from ``point +- spread * range`` intersected with its valid
        range, where ``range`` is the issue's scale span for positions and 100 for
        saliences (0-100); capabilities are multiplied by a factor uniform on
        ``[1 - spread, 1 + spread]`` (one factor per actor, applied on every issue).
        ``spread = 0`` (and no distributions) gives ``draws`` copies of the scenario.

    Returns
    -------
    ScenarioBatch
        ``capability``, ``position``, ``salience`` (fraction) of shape
        ``[draw, actor, issue]``; ``events``: the drawn event schedule when some event is
        uncertain (a probability below 1 or a value distribution), drawn after every
        value above (:func:`realpolitik.scenario.events.sample_events`).
    """
    from realpolitik.scenario.batch import ScenarioBatch

    if spread < 0 or not math.isfinite(spread):
        raise ValueError(f"spread must be a finite number >= 0, got {spread!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    arr = scenario.arrays()
    n, m = arr.position.shape
    cap = np.broadcast_to(arr.capability, (draws, n, m)).copy()
    pos = np.broadcast_to(arr.position, (draws, n, m)).copy()
    sal = np.broadcast_to(arr.salience, (draws, n, m)).copy()
    rows, cols = _targets(scenario)
    specs = list(scenario.uncertainty)
    # ---- explicit distributions
    fixed_pos = np.zeros((n, m), bool)
    fixed_sal = np.zeros((n, m), bool)
    fixed_cap = np.zeros((n, m), bool)
    if specs:
        K = len(specs)
        kind = np.array([("uniform", "triangular", "normal").index(s.dist) for s in specs])
        par = {k: np.array([np.nan if getattr(s, k) is None else getattr(s, k) for s in specs], float)
               for k in ("low", "high", "mode", "mean", "sd")}
        a = np.empty(K)
        b = np.empty(K)
        for j, s in enumerate(specs):
            if s.field == "position":
                iss = scenario.issues[cols[s.issue]]
                a[j], b[j] = iss.min, iss.max
            elif s.field == "salience":
                a[j], b[j] = 0.0, 100.0
            else:
                a[j], b[j] = 0.0, np.inf
        par["a"], par["b"] = a, b
        vals = _inverse_cdf(gen.random((draws, K)), kind, par)
        for j, s in enumerate(specs):
            r = rows[s.actor]
            if s.field == "position":
                c = cols[s.issue]
                pos[:, r, c] = vals[:, j]
                fixed_pos[r, c] = True
            elif s.field == "salience":
                c = cols[s.issue]
                sal[:, r, c] = vals[:, j] / 100.0
                fixed_sal[r, c] = True
            elif s.issue is not None:
                c = cols[s.issue]
                cap[:, r, c] = vals[:, j]
                fixed_cap[r, c] = True
            else:
                actor = scenario.actors[r]
                own = np.array([iid not in actor.capability_by_issue for iid in scenario.issue_ids])
                cap[:, r, own] = vals[:, j : j + 1]
                fixed_cap[r, own] = True
        # a capability drawn at exactly 0 would be invalid (probability 0 in theory)
        np.maximum(cap, np.finfo(float).tiny, out=cap)
    # ---- global spread on every other value
    if spread > 0:
        act = arr.active
        span = (arr.scale_max - arr.scale_min)[None, :]
        pmask = act & ~fixed_pos
        smask = act & ~fixed_sal
        n_p, n_s = int(pmask.sum()), int(smask.sum())
        u = gen.random((draws, n_p + n_s + n))
        if n_p:
            x0 = arr.position[pmask]
            lo = np.maximum(x0 - spread * np.broadcast_to(span, (n, m))[pmask], np.broadcast_to(arr.scale_min, (n, m))[pmask])
            hi = np.minimum(x0 + spread * np.broadcast_to(span, (n, m))[pmask], np.broadcast_to(arr.scale_max, (n, m))[pmask])
            pos[:, pmask] = lo + u[:, :n_p] * (hi - lo)
        if n_s:
            s0 = arr.salience[smask]
            lo = np.maximum(s0 - spread, 0.0)
            hi = np.minimum(s0 + spread, 1.0)
            sal[:, smask] = lo + u[:, n_p : n_p + n_s] * (hi - lo)
        f = 1.0 - spread + 2.0 * spread * u[:, n_p + n_s :]  # [draw, actor]
        f = np.maximum(f, np.finfo(float).tiny)
        free_cap = ~fixed_cap  # [n, m]
        cap = np.where(free_cap[None], cap * f[:, :, None], cap)
    # ---- uncertain events (drawn after the values above, so scenarios without them keep
    # their streams): whether each happens, and the values of its changes
    from realpolitik.scenario.events import is_uncertain, sample_events

    events = sample_events(scenario, draws, gen) if is_uncertain(scenario) else None
    return ScenarioBatch(scenario, cap, pos, sal, events)


def value_ranges(scenario: "Scenario", path: str) -> tuple[float, float]:
    """The valid range of the value at ``path`` (position: issue scale; salience: 0-100)."""
    _, field, issue = split_path(path)
    if field == "position":
        iss = scenario.issue(issue)
        return iss.min, iss.max
    if field == "salience":
        return 0.0, 100.0
    return 0.0, MAX_CAPABILITY


# --------------------------------------------------------------------- flat tables
_SUFFIX = {"low": "low", "min": "low", "high": "high", "max": "high", "mode": "mode", "sd": "sd", "mean": "mean"}
_COL = re.compile(r"^(?P<base>.+?)[ _.\-](?P<key>low|min|high|max|mode|sd|mean)$")


def table_columns(header: list[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, dict[str, int]]:
    """Extra distribution columns of a flat table: ``{field: {key: column index}}``.

    ``header`` holds lower-cased column names; a column ``<field alias>_<key>``
    (``Position_low``, ``salience sd``, ``Capability-max`` ...) with ``key`` one of
    low/min, high/max, mode, sd, mean adds that parameter to ``field``.
    """
    out: dict[str, dict[str, int]] = {}
    for j, h in enumerate(header):
        m = _COL.match(str(h))
        if not m:
            continue
        for field in FIELDS:
            if m.group("base") in aliases.get(field, ()):
                out.setdefault(field, {})[_SUFFIX[m.group("key")]] = j
    return out


def table_spec(field: str, point: float | None, cells: dict[str, Any]) -> dict[str, Any] | None:
    """The distribution one table row gives for ``field`` (``None`` when its cells are empty).

    ``low`` + ``high`` = uniform range, with ``mode`` = triangular, ``sd`` (and
    optionally ``mean``, default the main column) = normal.  The main column stays the
    point value and must lie in the range.  ``ValueError`` with a one-line reason.
    """
    spec: dict[str, float] = {}
    for key, raw in cells.items():
        if raw is None or str(raw).strip() == "":
            continue
        try:
            num = float(str(raw).strip()) if not isinstance(raw, (int, float)) else float(raw)
        except ValueError:
            raise ValueError(f"{field} {key} {str(raw).strip()!r} is not a number") from None
        if not math.isfinite(num):
            raise ValueError(f"{field} {key} must be a finite number, got {raw}")
        spec[key] = num
    if not spec:
        return None
    keys = set(spec)
    if "sd" in keys and keys <= {"sd", "mean"}:
        if point is None and "mean" not in spec:
            raise ValueError(f"{field} sd needs a mean (the {field} column or a {field}_mean column)")
        spec.setdefault("mean", point)  # type: ignore[arg-type]
        dist = "normal"
    elif keys == {"low", "high"}:
        dist = "uniform"
    elif keys == {"low", "mode", "high"}:
        dist = "triangular"
    else:
        raise ValueError(
            f"{field} distribution columns give {', '.join(sorted(keys))}: use _low and _high (uniform range), "
            "plus _mode (triangular), or _sd with an optional _mean (normal)"
        )
    if dist != "normal" and point is not None and not spec["low"] <= point <= spec["high"]:
        raise ValueError(f"{field} {point:g} lies outside its range {spec['low']:g} to {spec['high']:g}")
    return {"dist": dist, **spec}

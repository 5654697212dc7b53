"""The one protocol every model follows, the Result it returns, and the registry.

In the spirit of scikit-learn's estimators:

* options are given when the model is built and validated there (each model
  declares a pydantic ``Options`` class; unknown or bad options raise
  :class:`~realpolitik.errors.OptionError` naming the option);
* ``run(scenario, rng=None)`` computes and returns a :class:`Result`; it never
  reads or writes files and never prints;
* ``forecast_batch(batch, rng=None)`` returns forecasts for a batch of scenario
  draws (arrays with a leading draw axis).  The default loops over draws through
  ``run``; models with a vectorised core override it.
* ``describe(result)`` returns plain tables (:class:`Table`) that front ends render:
  a model says *what* to show, never *how*.
"""

from __future__ import annotations

import json
import math
import platform
import re
import time
import types
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from realpolitik._version import __version__
from realpolitik.errors import OptionError, Problem
from realpolitik.scenario.batch import ScenarioBatch
from realpolitik.scenario.events import EventSchedule, event_schedule
from realpolitik.scenario.model import Scenario
from realpolitik.seeds import fresh_seed

__all__ = ["Model", "NoOptions", "Result", "ScenarioBatch", "Table", "available_models", "get_model", "model_class", "register"]


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Table:
    """A table for display: title, column names, rows of cells, an optional note.

    ``summary`` tables are shown in the multi-model overview of ``realpolitik
    forecast``; the others only when the model runs alone or with ``--details``.
    """

    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str | None = None
    summary: bool = False


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, BaseModel):
        return _jsonable(obj.model_dump(mode="json"))
    return obj


#: the numerical packages whose versions every result records (``Result.packages``)
NUMERICAL_PACKAGES = ("numpy", "scipy")


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Versions of Python and of the numerical packages a result was computed with."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in NUMERICAL_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - both are dependencies
            out[name] = "not installed"
    return out


@dataclass
class Result:
    """What a model returns.  ``to_dict()`` gives the flat JSON of ``docs/architecture.md``.

    ``packages`` records the versions of Python and of the numerical packages (numpy,
    scipy) the result was computed with, so a stored run says what produced its numbers.

    ``history["positions"]`` is ``[round][actor][issue]`` with round 0 the input;
    ``history["median"]`` / ``history["mean"]`` map issue -> list over rounds.
    """

    model: str
    options: dict[str, Any]
    scenario_title: str
    scenario_hash: str
    issues: list[str]
    actors: list[str]
    forecast: dict[str, float]
    history: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    version: str = ""
    elapsed: float | None = None
    packages: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_scenario(
        cls,
        scenario: Scenario,
        model: str,
        options: dict[str, Any],
        forecast: dict[str, float],
        history: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
        seed: int | None = None,
        elapsed: float | None = None,
        actors: list[str] | None = None,
    ) -> "Result":
        """A result about ``scenario`` (title, hash, issue and actor ids filled in; ``actors``
        when the model's actor axis differs from the scenario's, e.g. actors that enter)."""
        return cls(
            model=model,
            options=options,
            scenario_title=scenario.title,
            scenario_hash=scenario.content_hash(),
            issues=list(scenario.issue_ids),
            actors=list(scenario.actor_ids) if actors is None else list(actors),
            forecast={k: float(v) for k, v in forecast.items()},
            history=history or {},
            details=details or {},
            seed=seed,
            version=__version__,
            elapsed=elapsed,
            packages=dict(package_versions()),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "options": _jsonable(self.options),
            "version": self.version,
            "seed": self.seed,
            "scenario": {"title": self.scenario_title, "hash": self.scenario_hash},
            "issues": list(self.issues),
            "actors": list(self.actors),
            "forecast": _jsonable(self.forecast),
            "history": _jsonable(self.history),
            "details": _jsonable(self.details),
            "elapsed": self.elapsed,
            "packages": dict(self.packages),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Result":
        scen = data.get("scenario") or {}
        return cls(
            model=data["model"],
            options=dict(data.get("options") or {}),
            scenario_title=scen.get("title", ""),
            scenario_hash=scen.get("hash", ""),
            issues=list(data.get("issues") or []),
            actors=list(data.get("actors") or []),
            forecast={k: (math.nan if v is None else float(v)) for k, v in (data.get("forecast") or {}).items()},
            history=dict(data.get("history") or {}),
            details=dict(data.get("details") or {}),
            seed=data.get("seed"),
            version=data.get("version", ""),
            elapsed=data.get("elapsed"),
            packages=dict(data.get("packages") or {}),
        )

    @classmethod
    def from_json(cls, text: str) -> "Result":
        return cls.from_dict(json.loads(text))

    def positions(self) -> np.ndarray:
        """History of positions as an array ``[round, actor, issue]`` (NaN = not active)."""
        pos = self.history.get("positions")
        if pos is None:
            return np.empty((0, len(self.actors), len(self.issues)))
        return np.array([[[np.nan if v is None else v for v in row] for row in rnd] for rnd in pos], dtype=float)


class Model(ABC):
    """Base class of every model.  Subclasses set ``name``, ``label``, ``Options``."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: True when ``forecast_batch`` is a vectorised core (not a loop over ``run``)
    vectorised: ClassVar[bool] = False
    #: True when the model draws random numbers (its result depends on the seed)
    stochastic: ClassVar[bool] = False
    #: the kinds of event change the model applies (of capability, position, salience,
    #: enter, leave; :mod:`realpolitik.scenario.events`); every other change is reported
    #: in ``details.events_skipped``
    event_fields: ClassVar[frozenset[str]] = frozenset()
    #: True when the model times events by rounds (events with only a date are skipped)
    event_rounds: ClassVar[bool] = True

    def __init__(self, **options: Any):
        try:
            self.options = self.Options(**options)
        except ValidationError as exc:
            problems = []
            for err in exc.errors(include_url=False):
                loc = ".".join(str(p) for p in err.get("loc", ()))
                msg = err.get("msg", "invalid").removeprefix("Value error, ")
                if err.get("type") == "extra_forbidden":
                    allowed = ", ".join(self.Options.model_fields) or "none"
                    msg = f"unknown option (options of {self.name}: {allowed})"
                got = err.get("input")
                if err.get("type") not in ("extra_forbidden", "missing") and not isinstance(got, (dict, list)):
                    msg += f" (got {got!r})"
                problems.append(Problem(f"{self.name} option {loc}", msg))
            raise OptionError(problems) from None

    @classmethod
    def option_keys(cls) -> frozenset[str]:
        """Every key the options accept: field names and their accepted old names (aliases)."""
        keys = set(cls.Options.model_fields)
        for f in cls.Options.model_fields.values():
            alias = f.validation_alias
            if isinstance(alias, str):
                keys.add(alias)
            elif alias is not None:  # AliasChoices
                keys.update(a for a in alias.choices if isinstance(a, str))
        return frozenset(keys)

    @classmethod
    def option_info(cls) -> list[dict[str, Any]]:
        """Each option as people read it: name, allowed values, default and meaning.

        ``allowed`` comes from the option's type (the choices of a ``Literal``, a number's
        bounds, true/false); ``default`` is the value a model built without options has
        (presets applied), or, where that is left to the scenario (SMP's KTAB parameters),
        the default the description names in brackets (``VotingRule [Prop]``).
        """
        try:
            built = cls().get_options()
        except Exception:  # noqa: BLE001 - a model that needs options shows the declared defaults
            built = {}
        rows = []
        for key, field in cls.Options.model_fields.items():
            text = _plain_text(field.description or "")
            bracket = re.search(r"\s*\[([^\]]+)\]\s*$", text)
            default = built.get(key, None if field.is_required() else field.default)
            from_scenario = False
            if bracket is not None:
                text = text[: bracket.start()].rstrip()
                if default is None:  # left to the scenario (a KTAB XML's parameters), else this
                    default, from_scenario = bracket.group(1), True
            rows.append({"name": key, "allowed": _allowed(field), "default": _show_default(default), "description": text,
                         "scenario_may_set": from_scenario})  # fmt: skip
        return rows

    # -------------------------------------------------------------- protocol
    def get_options(self) -> dict[str, Any]:
        return self.options.model_dump(mode="json")

    @abstractmethod
    def _run(self, scenario: Scenario, rng: np.random.Generator | None) -> "Result":
        """Compute; subclasses fill forecast/history/details via :meth:`make_result`."""

    def draws_random_numbers(self, scenario: Scenario | None = None) -> bool:
        """True when a run with these options (on ``scenario``) draws random numbers.

        ``stochastic`` says a model *can* draw them; options decide whether it does (the
        exchange model's REX with ``p > 0``, SMP's stochastic transitions).
        """
        return self.stochastic

    def default_seed(self, scenario: Scenario) -> int | None:
        """The seed of a single run that is given none (default: none, a fresh one is drawn)."""
        return None

    def run(self, scenario: Scenario, rng: np.random.Generator | int | None = None) -> Result:
        """Compute the forecast; ``rng`` is a seed or a generator (:mod:`realpolitik.seeds`).

        Without one, a model that draws random numbers uses its :meth:`default_seed` or a
        fresh seed from the operating system's entropy; an integer seed is recorded in
        the result, so every run can be repeated.  Subclasses implement :meth:`_run`.
        """
        if rng is None:
            rng = self.default_seed(scenario)
            if rng is None and self.draws_random_numbers(scenario):
                rng = fresh_seed()
        seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        gen = np.random.default_rng(seed) if not isinstance(rng, np.random.Generator) else rng
        start = time.perf_counter()
        result = self._run(scenario, gen)
        result.elapsed = time.perf_counter() - start
        if seed is not None:
            result.seed = seed
        return result

    def forecast_batch(self, batch: ScenarioBatch, rng: np.random.Generator | None = None) -> np.ndarray:
        """Forecasts ``[draw, issue]`` for a batch of draws.  Default: loop over ``run``."""
        out = np.empty((batch.draws, len(batch.base.issues)))
        gen = rng if rng is not None else np.random.default_rng()
        for d in range(batch.draws):
            res = self._run(batch.scenario(d), gen)
            out[d] = [res.forecast.get(i, np.nan) for i in batch.base.issue_ids]
        return out

    def describe(self, result: Result, scenario: Scenario) -> list[Table]:
        """Extra tables for display (trajectory, move log ...).  Default: none."""
        return []

    # -------------------------------------------------------------- helpers
    def events_skipped(self, schedule: EventSchedule, last_round: int | None = None, point: bool = True) -> list[str]:
        """The uniform report of the scenario changes this model leaves out (one line each)."""
        return schedule.skipped(self.name, self.event_fields, self.event_rounds, last_round, point)

    def make_result(
        self,
        scenario: Scenario,
        forecast: dict[str, float],
        history: dict[str, Any] | None = None,
        details: dict[str, Any] | None = None,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
        actors: list[str] | None = None,
    ) -> Result:
        """The result of a run on ``scenario``.  ``options`` (default: the model's own) may add
        resolved values; ``details.events_skipped`` is filled in when the scenario has events
        and the model did not report them itself."""
        details = dict(details or {})
        if scenario.events and "events_skipped" not in details:
            details["events_skipped"] = self.events_skipped(event_schedule(scenario))
        opts = self.get_options() if options is None else options
        return Result.for_scenario(scenario, self.name, opts, forecast, history, details, seed, actors=actors)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.get_options().items())
        return f"{type(self).__name__}({opts})"


def _plain_text(text: str) -> str:
    """Docstring text without reStructuredText markup (``code``, :class:`X`), on one line."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    text = text.replace("``", "")
    return " ".join(text.split())


def summary_of(cls: type) -> str:
    """The first sentence-paragraph of a class's docstring, as plain text."""
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    return _plain_text(doc)


def _allowed(field) -> str:
    """The values an option accepts, from its type and constraints."""
    import typing

    ann = field.annotation
    args = [a for a in typing.get_args(ann) if a is not type(None)] if typing.get_origin(ann) in (typing.Union, types.UnionType) else [ann]
    parts: list[str] = []
    for a in args:
        if typing.get_origin(a) is typing.Literal:
            parts.append(", ".join(str(v) for v in typing.get_args(a)))
        elif a is bool:
            parts.append("true, false")
        elif a in (int, float):
            bounds = []
            for m in field.metadata:
                for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                    if getattr(m, attr, None) is not None:
                        b = getattr(m, attr)
                        bounds.append(f"{sign} {b:,}".replace(",", " ") if isinstance(b, int) else f"{sign} {b:g}")
            parts.append(("a whole number" if a is int else "a number") + (f" {' and '.join(bounds)}" if bounds else ""))
        elif a is str:
            parts.append("text")
        elif typing.get_origin(a) in (tuple, list):
            inner = {x for x in typing.get_args(a) if x is not Ellipsis}
            parts.append("a list of numbers" if inner <= {int, float} else "a list")
        elif getattr(a, "__name__", "") == "date":
            parts.append("a date (YYYY-MM-DD)")
        else:
            name = getattr(a, "__name__", None) or str(a).replace("typing.", "")
            parts.append(name.replace("dict[str, Any]", "a mapping (JSON)").replace("dict", "a mapping (JSON)"))
    return "; ".join(parts)


def _show_default(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return list(v)
    return v


# ------------------------------------------------------------------ registry
_REGISTRY: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Class decorator: make a model available by its ``name``."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no name")
    _REGISTRY[cls.name] = cls
    return cls


#: where each shipped model lives (module of ``realpolitik.models``), so that running one
#: model imports only its module (start-up time); a model missing here is still found by
#: :func:`available_models` (``tests/test_cli_polish.py`` checks the index is complete)
MODEL_MODULES = {
    "weighted-mean": "baselines",
    "weighted-median": "baselines",
    "nash": "baselines",
    "status-quo": "baselines",
    "expected-utility": "expected_utility",
    "smp": "smp",
    "exchange": "exchange",
    "ensemble": "ensemble",
    "war": "war",
}


def _discover() -> None:
    import importlib
    import pkgutil

    import realpolitik.models as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in ("base",) and not mod.name.startswith("_"):
            importlib.import_module(f"realpolitik.models.{mod.name}")


def available_models() -> dict[str, type[Model]]:
    """Every registered model, by name."""
    _discover()
    return dict(_REGISTRY)


def model_class(name: str) -> type[Model] | None:
    """The model class registered as ``name`` (``None`` if there is none), importing only its
    module when the name is in :data:`MODEL_MODULES`."""
    key = name.strip().lower().replace("_", "-")
    if key not in _REGISTRY and key in MODEL_MODULES:
        import importlib

        importlib.import_module(f"realpolitik.models.{MODEL_MODULES[key]}")
    if key not in _REGISTRY:
        _discover()
    return _REGISTRY.get(key)


def get_model(name: str, **options: Any) -> Model:
    """Build a model by name with options (raises OptionError for unknown names)."""
    cls = model_class(name)
    if cls is None:
        raise OptionError(
            [Problem("model", f"unknown model {name!r}: expected one of {', '.join(sorted(available_models()))}")]
        )
    return cls(**options)

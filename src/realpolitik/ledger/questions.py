"""Questions: what is asked, how it resolves, and how a model's result answers it.

The JSON layout follows the public forecasting platforms (Metaculus's question API:
``title``, ``type``, ``description``, ``resolution_criteria``, ``fine_print``,
``open_time``, ``scheduled_close_time``, ``scheduled_resolve_time``, ``scaling``,
``options``, ``resolution``); what realpolitik adds - the scenario and issue a question is
about, its baseline and the mapping from a model's Result JSON to a forecast - sits in one
``realpolitik`` block.  docs/ledger.md describes every field.

The mapping is declarative: rules that name paths into the Result JSON (``forecast.*``,
``details.*``, ``history.*``), so a new model whose result has the same keys needs no
code, and one with other keys needs only a new rule in the question file.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from realpolitik.errors import Problem, ScenarioError

QuestionType = Literal["binary", "numeric", "multiple_choice"]
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
_OPS = (">=", "<=", ">", "<")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ------------------------------------------------------------------ mapping rules
class Curve(_Strict):
    """A cumulative probability curve read at the question's close: ``y`` interpolated
    linearly at the months from the origin (the first of ``origin`` that is present, else
    the scenario's ``as_of``) to the close."""

    x: str = Field(description="path to the months after the origin (ascending)")
    y: str = Field(description="path to P(event by then), one per month value")
    origin: list[str] = Field(default_factory=lambda: ["details.origin"], description="paths to the origin date")


class Threshold(_Strict):
    """``P(X op value)`` of the issue's forecast distribution (binary questions)."""

    op: Literal[">=", "<=", ">", "<"]
    value: float


class Rule(_Strict):
    """One way to read a model's result.  Exactly one of ``probability``, ``curve``,
    ``distribution`` or ``probabilities`` is the source."""

    models: list[str] = Field(default_factory=lambda: ["*"], description="model names this rule reads ('*': any)")
    exclude: list[str] = Field(default_factory=list, description="models this rule never reads")
    run: Literal["single", "monte-carlo"] = Field(
        "single", description="single: one run of the model; monte-carlo: the model's Monte Carlo draws"
    )
    probability: str | None = Field(None, description="path to P(yes) (binary)")
    curve: Curve | None = None
    distribution: list[dict[str, Any]] | Literal["default"] | None = Field(
        None,
        description="sources of the issue's forecast distribution, tried in order: {samples: PATH}, "
        "{quantiles: {LEVEL: PATH}} or {point: PATH}; 'default' is the standard list (docs/ledger.md)",
    )
    threshold: Threshold | None = None
    probabilities: dict[str, str] | None = Field(None, description="option label -> path to its probability")
    note: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> "Rule":
        given = [k for k in ("probability", "curve", "distribution", "probabilities") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a rule needs exactly one of probability, curve, distribution, probabilities "
                             f"(got {', '.join(given) or 'none'})")  # fmt: skip
        if self.threshold is not None and self.distribution is None:
            raise ValueError("threshold applies to a distribution")
        if isinstance(self.distribution, list):
            for k, src in enumerate(self.distribution):
                if not isinstance(src, dict) or len(src) != 1 or next(iter(src)) not in ("samples", "quantiles", "point"):
                    raise ValueError(f"distribution[{k}]: expected one of {{samples: PATH}}, {{quantiles: {{LEVEL: PATH}}}}, "
                                     "{point: PATH}")  # fmt: skip
                if "quantiles" in src:
                    q = src["quantiles"]
                    if not isinstance(q, dict) or not q:
                        raise ValueError(f"distribution[{k}].quantiles: expected {{LEVEL: PATH}}")
                    for lvl in q:
                        try:
                            ok = 0 < float(lvl) < 1
                        except ValueError:
                            ok = False
                        if not ok:
                            raise ValueError(f"distribution[{k}].quantiles: level {lvl!r} is not a number in (0, 1)")
        return self

    def applies_to(self, model: str) -> bool:
        return model not in self.exclude and ("*" in self.models or model in self.models)


def default_distribution() -> list[dict[str, Any]]:
    """The standard sources of an issue's forecast distribution, in the order tried:
    Monte Carlo draws (``simulate``, or ``forecast --question`` with a monte-carlo rule);
    the ensemble's intervals (10/25/75/90 % quantiles, its forecast as the median);
    a Monte Carlo summary (10/50/90 %); the point forecast."""
    return [
        {"samples": "details.forecast_draws.*.{issue_index}"},
        {"quantiles": {
            "0.1": "details.issues.{issue}.interval80.0", "0.25": "details.issues.{issue}.interval50.0",
            "0.5": "details.issues.{issue}.forecast",
            "0.75": "details.issues.{issue}.interval50.1", "0.9": "details.issues.{issue}.interval80.1",
        }},
        {"quantiles": {"0.1": "details.summary.{issue}.p10", "0.5": "details.summary.{issue}.median",
                       "0.9": "details.summary.{issue}.p90"}},
        {"point": "forecast.{issue}"},
    ]  # fmt: skip


#: the war layer's issue forecast is the terms of wars that end in a deal: it never answers
#: an unconditional question about an issue's outcome
CONDITIONAL_MODELS = ("war",)


def default_rules(threshold: Threshold | None = None) -> list[Rule]:
    """The rules of a question about an issue when none are given: the ensemble from its
    intervals, every other model (but the war layer, whose terms are conditional on a
    deal) from its Monte Carlo draws."""
    return [
        Rule(models=["ensemble"], distribution="default", threshold=threshold,
             note="the ensemble's forecast with its 50 % and 80 % intervals as quantiles"),
        Rule(models=["*"], exclude=["ensemble", *CONDITIONAL_MODELS], run="monte-carlo", distribution="default",
             threshold=threshold, note="the model's Monte Carlo draws over the scenario's uncertain inputs"),
    ]  # fmt: skip


# ------------------------------------------------------------------ question
class Scaling(_Strict):
    range_min: float
    range_max: float
    open_lower_bound: bool = False
    open_upper_bound: bool = False
    unit: str = ""

    @model_validator(mode="after")
    def _order(self) -> "Scaling":
        if not (math.isfinite(self.range_min) and math.isfinite(self.range_max) and self.range_min < self.range_max):
            raise ValueError(f"range_min ({self.range_min:g}) must be below range_max ({self.range_max:g})")
        return self


class Option(_Strict):
    """A multiple-choice option; ``range`` (on the issue's scale, [low, high)) lets a
    distribution answer it."""

    label: str = Field(min_length=1)
    range: tuple[float, float] | None = None


class Baseline(_Strict):
    """What the scores are compared with: ``uniform`` (1/2, 1/k, uniform on the range),
    ``base_rate`` (a stated probability with its source) or ``model`` (that model's
    sealed forecasts, e.g. weighted-mean: the compromise model)."""

    kind: Literal["uniform", "base_rate", "model"] = "uniform"
    p: float | None = Field(None, ge=0, le=1)
    probabilities: dict[str, float] | None = None
    model: str | None = None
    source: str = ""

    @model_validator(mode="after")
    def _fields(self) -> "Baseline":
        if self.kind == "base_rate" and self.p is None and self.probabilities is None:
            raise ValueError("a base_rate baseline needs p (binary) or probabilities (multiple choice)")
        if self.kind == "model" and not self.model:
            raise ValueError("a model baseline needs model (e.g. weighted-mean)")
        return self

    def describe(self) -> str:
        if self.kind == "uniform":
            return "uniform"
        if self.kind == "model":
            return f"model {self.model}"
        what = f"p={self.p:g}" if self.p is not None else "stated probabilities"
        return f"base rate {what}" + (f" ({self.source})" if self.source else "")


class Realpolitik(_Strict):
    scenario: str | None = Field(None, description="scenario the question is about (built-in name or file)")
    issue: str | None = Field(None, description="issue whose scale a numeric question uses")
    baseline: Baseline = Field(default_factory=Baseline)
    mapping: list[Rule] = Field(default_factory=list)
    mapping_note: str = Field("", description="how the models answer the question, and what is interpretation")


def _utc(v: Any, end_of_day: bool) -> dt.datetime | None:
    if v is None or v == "":
        return None
    if isinstance(v, dt.datetime):
        out = v
    elif isinstance(v, dt.date):
        out = dt.datetime.combine(v, dt.time(23, 59, 59) if end_of_day else dt.time(0, 0))
    elif isinstance(v, str):
        text = v.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return _utc(dt.date.fromisoformat(text), end_of_day)
        try:
            out = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{v!r} is not a date (YYYY-MM-DD) or an ISO time") from None
    else:
        raise ValueError(f"{v!r} is not a date")
    return out.replace(tzinfo=dt.timezone.utc) if out.tzinfo is None else out.astimezone(dt.timezone.utc)


def iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class Question(BaseModel):
    """A question (Metaculus-like fields plus the ``realpolitik`` block)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str = Field(min_length=3)
    type: QuestionType
    description: str = ""
    resolution_criteria: str = Field(min_length=10)
    fine_print: str = ""
    open_time: dt.datetime | None = Field(None, description="default: when the question enters the ledger")
    scheduled_close_time: dt.datetime = Field(description="a date means the end of that day (UTC)")
    scheduled_resolve_time: dt.datetime | None = None
    scaling: Scaling | None = None
    options: list[Option] | None = None
    realpolitik: Realpolitik = Field(default_factory=Realpolitik)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"{v!r} is not a question id: lower-case letters, digits, '.', '_', '-' (up to 120)")
        return v

    @field_validator("open_time", "scheduled_resolve_time", mode="before")
    @classmethod
    def _start_of_day(cls, v: Any) -> dt.datetime | None:
        return _utc(v, end_of_day=False)

    @field_validator("scheduled_close_time", mode="before")
    @classmethod
    def _end_of_day(cls, v: Any) -> dt.datetime | None:
        return _utc(v, end_of_day=True)

    @field_validator("options", mode="before")
    @classmethod
    def _labels(cls, v: Any) -> Any:
        return [{"label": o} if isinstance(o, str) else o for o in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _consistent(self) -> "Question":
        if self.open_time is not None and self.open_time >= self.scheduled_close_time:
            raise ValueError(f"open_time {iso(self.open_time)} is not before scheduled_close_time "
                             f"{iso(self.scheduled_close_time)}")  # fmt: skip
        if self.type == "numeric" and self.scaling is None:
            raise ValueError("a numeric question needs scaling (range_min, range_max), or an issue to take them from")
        if self.type == "multiple_choice":
            if not self.options or len(self.options) < 2:
                raise ValueError("a multiple_choice question needs at least two options")
            labels = [o.label for o in self.options]
            if len(set(labels)) != len(labels):
                raise ValueError("options must have distinct labels")
        elif self.options:
            raise ValueError(f"options belong to multiple_choice questions, not {self.type}")
        kinds = {"binary": ("probability", "curve", "distribution"), "numeric": ("distribution",),
                 "multiple_choice": ("probabilities", "distribution")}[self.type]  # fmt: skip
        for k, rule in enumerate(self.realpolitik.mapping):
            src = next(s for s in ("probability", "curve", "distribution", "probabilities") if getattr(rule, s) is not None)
            if src not in kinds:
                raise ValueError(f"realpolitik.mapping[{k}]: a {src} rule cannot answer a {self.type} question")
            if self.type == "binary" and src == "distribution" and rule.threshold is None:
                raise ValueError(f"realpolitik.mapping[{k}]: a binary question reads a distribution through a threshold")
            if src in ("distribution",) and not self.realpolitik.issue:
                raise ValueError(f"realpolitik.mapping[{k}]: a distribution rule needs realpolitik.issue")
            if self.type == "multiple_choice" and src == "distribution" and any(o.range is None for o in self.options or []):
                raise ValueError(f"realpolitik.mapping[{k}]: reading a distribution needs a range for every option")
            if src == "probabilities":
                labels = {o.label for o in self.options or []}
                if set(rule.probabilities or {}) != labels:
                    raise ValueError(f"realpolitik.mapping[{k}].probabilities: needs exactly the options "
                                     f"{sorted(labels)}")  # fmt: skip
        b = self.realpolitik.baseline
        if b.kind == "base_rate":
            if self.type == "binary" and b.p is None:
                raise ValueError("realpolitik.baseline: a binary base rate needs p")
            if self.type == "multiple_choice":
                labels = {o.label for o in self.options or []}
                if b.probabilities is None or set(b.probabilities) != labels:
                    raise ValueError(f"realpolitik.baseline.probabilities: needs exactly the options {sorted(labels)}")
                if abs(sum(b.probabilities.values()) - 1) > 1e-6:
                    raise ValueError("realpolitik.baseline.probabilities: must sum to 1")
            if self.type == "numeric":
                raise ValueError("realpolitik.baseline: a numeric question takes a uniform or model baseline")
        return self

    # ------------------------------------------------------------ helpers
    @property
    def close(self) -> dt.datetime:
        return self.scheduled_close_time

    def option_labels(self) -> list[str]:
        return [o.label for o in self.options or []]

    def rules(self) -> list[Rule]:
        """The mapping rules (the default ones for a question about an issue that lists none)."""
        if self.realpolitik.mapping:
            return list(self.realpolitik.mapping)
        if self.realpolitik.issue and (self.type == "numeric" or (
                self.type == "multiple_choice" and all(o.range is not None for o in self.options or []))):
            return default_rules()
        return []

    def to_json(self) -> dict[str, Any]:
        """The documented JSON layout (dates as ISO UTC, no empty optional fields)."""
        d = self.model_dump(mode="json", exclude_none=True)
        for k in ("open_time", "scheduled_close_time", "scheduled_resolve_time"):
            if getattr(self, k) is not None:
                d[k] = iso(getattr(self, k))
        return d


def _loc(where: str, loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if not path:
        return where
    return f"{where}.{path}" if ":" in where else f"{where}:{path}"


def problems_of(exc: ValidationError, where: str) -> list[Problem]:
    """pydantic errors as one-line problems naming the field."""
    out = []
    for e in exc.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        msg = e["msg"].removeprefix("Value error, ")
        out.append(Problem(_loc(where, loc), msg))
    return out


def parse_question(data: Any, where: str = "question") -> Question:
    """A :class:`Question` from JSON data; :class:`ScenarioError` naming every bad field."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem(where, "expected a JSON object with the question's fields")])
    data = dict(data)
    data.pop("resolution", None)  # resolutions live in the ledger (question resolve); export adds them
    data.pop("actual_resolve_time", None)
    data.pop("resolution_source", None)
    try:
        return Question.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_of(exc, where)) from None


#: the format tag of a question file
FORMAT = "realpolitik-questions/1"


def parse_question_file(data: Any, where: str) -> list[Question]:
    """Questions from a file's JSON: ``{"format": ..., "questions": [...]}``, a list, or one question."""
    if isinstance(data, dict) and "questions" in data:
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise ScenarioError([Problem(f"{where}:format", f"unknown format {fmt!r}; expected {FORMAT!r}")])
        items, base = data["questions"], "questions"
    elif isinstance(data, list):
        items, base = data, ""
    else:
        items, base = [data], None
    if not isinstance(items, list):
        raise ScenarioError([Problem(f"{where}:questions", "expected a list of questions")])
    problems: list[Problem] = []
    out: list[Question] = []
    for k, item in enumerate(items):
        loc = where if base is None else f"{where}:{base}[{k}]" if base else f"{where}:[{k}]"
        try:
            out.append(parse_question(item, loc))
        except ScenarioError as exc:
            problems += exc.problems
    seen: dict[str, int] = {}
    for k, q in enumerate(out):
        if q.id in seen:
            problems.append(Problem(f"{where}:{base}[{k}].id", f"duplicate question id {q.id!r}"))
        seen[q.id] = k
    if problems:
        raise ScenarioError(problems)
    return out

"""The ledger: questions, sealed forecasts and resolutions as one hash chain in the run store.

Every change is an appended entry - ``question`` (a question enters the ledger),
``forecast`` (a model's forecast of it, sealed with its provenance) and ``resolution`` -
and the state of every question is the replay of its entries.  Nothing is ever updated
or deleted, so the chain (:mod:`realpolitik.ledger.chain`) shows any edit.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from realpolitik.errors import OptionError, Problem, ScenarioError
from realpolitik.ledger import chain
from realpolitik.ledger.forecasts import Forecast
from realpolitik.ledger.questions import Question, iso, parse_question, parse_question_file

ENTRY_VERSION = 1


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _parse_time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class SealedForecast:
    seq: int
    at: dt.datetime
    model: str
    options: dict[str, Any]
    forecast: Forecast
    entry: dict[str, Any]

    def forecaster(self, others: list["SealedForecast"]) -> str:
        """The model's name; with the options that differ when ``others`` hold the same
        model with other options (each options set scores apart)."""
        sets = [f.options for f in others if f.model == self.model]
        keys = sorted({k for o in sets for k in o if any(o.get(k) != p.get(k) for p in sets)})
        if not keys:
            return self.model
        return f"{self.model} ({', '.join(f'{k}={self.options.get(k)}' for k in keys)})"


@dataclass(frozen=True)
class Resolution:
    value: Any
    source: str
    at: dt.datetime
    early: bool


@dataclass
class QuestionState:
    question: Question
    in_ledger: bool
    added_at: dt.datetime | None = None
    forecasts: list[SealedForecast] = field(default_factory=list)
    resolution: Resolution | None = None

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def open_time(self) -> dt.datetime | None:
        return self.question.open_time or self.added_at

    @property
    def close_time(self) -> dt.datetime:
        """The scheduled close, or the resolution time when the question resolved early."""
        r = self.resolution
        return r.at if (r is not None and r.early and r.at < self.question.close) else self.question.close

    def status(self, now: dt.datetime | None = None) -> str:
        if self.resolution is not None:
            return "resolved"
        return "closed" if (now or now_utc()) > self.question.close else "open"

    def to_json(self) -> dict[str, Any]:
        """The question in the export layout, with its resolution if any."""
        d = self.question.to_json()
        if self.resolution is not None:
            v = self.resolution.value
            d["resolution"] = ("yes" if v else "no") if self.question.type == "binary" else v
            d["actual_resolve_time"] = iso(self.resolution.at)
            d["resolution_source"] = self.resolution.source
        return d


# ------------------------------------------------------------------ shipped questions
def shipped_questions() -> dict[str, Question]:
    """The questions that ship with realpolitik (package data ``ledger/shipped/*.json``)."""
    out: dict[str, Question] = {}
    folder = resources.files("realpolitik.ledger") / "shipped"
    for f in sorted(folder.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".json"):
            for q in parse_question_file(json.loads(f.read_text(encoding="utf-8")), f"shipped/{f.name}"):
                out[q.id] = q
    return out


# ------------------------------------------------------------------ resolution values
def parse_resolution(q: Question, text: Any, where: str = "VALUE") -> Any:
    """A resolution value for ``q`` from text: yes/no, a number in range, or an option."""
    s = str(text).strip()
    if q.type == "binary":
        low = s.lower()
        if low in ("yes", "true", "1", "y"):
            return True
        if low in ("no", "false", "0", "n"):
            return False
        raise OptionError([Problem(where, f"{s!r} is not a binary resolution; expected yes or no")])
    if q.type == "numeric":
        try:
            v = float(s)
        except ValueError:
            raise OptionError([Problem(where, f"{s!r} is not a number")]) from None
        sc = q.scaling
        assert sc is not None
        if (v < sc.range_min and not sc.open_lower_bound) or (v > sc.range_max and not sc.open_upper_bound) or v != v:
            raise OptionError([Problem(where, f"{v:g} is outside the question's range {sc.range_min:g}-{sc.range_max:g}")])
        return v
    labels = q.option_labels()
    for lab in labels:
        if lab.lower() == s.lower():
            return lab
    if s.isdigit() and 1 <= int(s) <= len(labels):
        return labels[int(s) - 1]
    raise OptionError([Problem(where, f"{s!r} is not an option; expected one of: " + "; ".join(labels) + " (or 1-"
                               f"{len(labels)})")])  # fmt: skip


# ------------------------------------------------------------------ the ledger
class Ledger:
    """The forecast ledger in one run store (any SQLAlchemy URL, like the run history)."""

    def __init__(self, store: Any):
        self.store = store

    @classmethod
    def open(cls, url: str | None = None) -> "Ledger":
        from realpolitik.store import open_store, store_disabled

        if url is None and store_disabled():
            raise OptionError([Problem("REALPOLITIK_DB", "the run history (and with it the ledger) is switched off "
                                                         "(REALPOLITIK_DB=off)")])  # fmt: skip
        return cls(open_store(url))

    # ------------------------------------------------------------ reading
    def entries(self) -> list[Any]:
        return self.store.ledger_entries()

    def states(self, include_shipped: bool = True) -> dict[str, QuestionState]:
        """Every question's state, replayed from the chain (shipped questions not yet in
        the ledger last, with ``in_ledger`` false)."""
        out: dict[str, QuestionState] = {}
        for e in self.entries():
            data = json.loads(e.body)
            qid = data["question_id"]
            if data["kind"] == "question":
                out[qid] = QuestionState(parse_question(data["question"], f"ledger entry {e.seq}"), True,
                                         _parse_time(data["at"]))  # fmt: skip
            elif data["kind"] == "forecast" and qid in out:
                out[qid].forecasts.append(SealedForecast(e.seq, _parse_time(data["at"]), data["model"],
                                                         data.get("options") or {},
                                                         Forecast.from_json(data["forecast"]), data))  # fmt: skip
            elif data["kind"] == "resolution" and qid in out:
                out[qid].resolution = Resolution(data["value"], data["source"], _parse_time(data["at"]), data["early"])
        if include_shipped:
            for qid, q in shipped_questions().items():
                out.setdefault(qid, QuestionState(q, False))
        return out

    def state(self, question_id: str, where: str = "question") -> QuestionState:
        states = self.states()
        st = states.get(question_id)
        if st is None:
            known = ", ".join(sorted(states)) or "none"
            raise OptionError([Problem(where, f"unknown question {question_id!r} (questions: {known})")])
        return st

    # ------------------------------------------------------------ writing
    def _append(self, kind: str, question_id: str, payload: dict[str, Any], at: dt.datetime,
                model: str | None = None, run_id: int | None = None):  # fmt: skip
        entry = {"v": ENTRY_VERSION, "kind": kind, "question_id": question_id, "model": model, "at": iso_us(at),
                 **payload}  # fmt: skip

        def build(seq: int, prev: str):
            body, h = chain.seal(entry, seq, prev)
            return body, h, {"kind": kind, "question_id": question_id, "model": model, "created_at": at, "run_id": run_id}

        return self.store.append_entry(build, chain.GENESIS)

    def add_question(self, q: Question, now: dt.datetime | None = None, where: str = "question"):
        """Put a question into the ledger (ids are unique; a changed question is a new one)."""
        for e in self.store.ledger_entries(question_id=q.id, kind="question"):
            raise OptionError([Problem(where, f"question {q.id!r} is already in the ledger (entry {e.seq}); a "
                                              "question cannot change once added: give the new one another id")])
        return self._append("question", q.id, {"question": q.to_json()}, now or now_utc())

    def ensure(self, st: QuestionState, now: dt.datetime | None = None) -> QuestionState:
        """A shipped question enters the ledger on its first forecast or resolution."""
        if not st.in_ledger:
            self.add_question(st.question, now)
            return self.state(st.id)
        return st

    def seal(self, question_id: str, model: str, result: dict[str, Any], forecast: Forecast, how: dict[str, Any],
             run_id: int | None = None, now: dt.datetime | None = None):  # fmt: skip
        """Seal a forecast: refused (one-line error) once the question has closed or resolved,
        or when the forecast lies outside what the question allows."""
        at = now or now_utc()
        st = self.state(question_id, "--question")
        check_open(st, at)
        check_forecast(st.question, forecast, model)
        st = self.ensure(st, at)
        payload = {
            "question_hash": self._question_hash(question_id),
            "options": result.get("options") or {},
            "version": result.get("version", ""),
            "seed": result.get("seed"),
            "packages": result.get("packages") or {},
            "scenario": result.get("scenario") or {},
            "run_id": run_id,
            "how": how,
            "forecast": forecast.to_json(),
        }
        return self._append("forecast", question_id, payload, at, model=model, run_id=run_id)

    def _question_hash(self, question_id: str) -> str:
        (e,) = self.store.ledger_entries(question_id=question_id, kind="question")
        return e.hash

    def resolve(self, question_id: str, value: Any, source: str, early: bool = False, now: dt.datetime | None = None):
        """Resolve a question with the value a reader finds in ``source``; final once written."""
        at = now or now_utc()
        st = self.state(question_id, "question resolve")
        if st.resolution is not None:
            raise OptionError([Problem(f"question resolve {question_id}", f"already resolved on {iso(st.resolution.at)} "
                                       f"as {st.resolution.value!r}; a resolution is final")])  # fmt: skip
        if not source or not source.strip():
            raise OptionError([Problem("--source", "say where the outcome can be read (a report, an article, a URL)")])
        v = parse_resolution(st.question, value, f"question resolve {question_id} VALUE")
        if at < st.question.close and not early:
            raise OptionError([Problem(f"question resolve {question_id}", f"the question closes on "
                                       f"{iso(st.question.close)}: resolving before the close needs --early (the "
                                       "outcome is already known; the question then closes now)")])  # fmt: skip
        st = self.ensure(st, at)
        payload = {"question_hash": self._question_hash(question_id), "value": v, "source": source.strip(),
                   "early": bool(at < st.question.close)}  # fmt: skip
        return self._append("resolution", question_id, payload, at)

    # ------------------------------------------------------------ checking
    def verify(self, head: str | None = None) -> dict[str, Any]:
        """Check the chain: the first broken link, the head hash and the count."""
        rows = self.entries()
        brk = chain.first_break(rows)
        out: dict[str, Any] = {"entries": len(rows), "head": rows[-1].hash if rows else chain.GENESIS, "ok": brk is None,
                               "broken": None if brk is None else {"seq": brk.seq, "reason": brk.reason,
                                                                   "message": str(brk)}}  # fmt: skip
        if brk is None and head is not None and head not in {r.hash for r in rows} | {chain.GENESIS}:
            out["ok"] = False
            out["broken"] = {"seq": None, "reason": "head", "message": f"the head {head[:19]}... you noted is not in "
                             "the chain: entries were removed or the chain was rewritten"}  # fmt: skip
        elif brk is None and head is not None and head != out["head"]:
            later = [r.seq for r in rows if r.hash == head]
            out["after_noted_head"] = len(rows) - later[0] if later else len(rows)
        return out


def iso_us(t: dt.datetime) -> str:
    """UTC ISO time to the microsecond (sealed timestamps keep their order)."""
    return t.astimezone(dt.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def check_open(st: QuestionState, at: dt.datetime) -> None:
    q = st.question
    if st.resolution is not None:
        raise OptionError([Problem(f"--question {q.id}", f"resolved on {iso(st.resolution.at)}: no forecast is sealed "
                                   "after the answer is known")])  # fmt: skip
    if at > q.close:
        raise OptionError([Problem(f"--question {q.id}", f"closed on {iso(q.close)}: a forecast made after the close "
                                   "would not count, so it is not sealed")])  # fmt: skip


def check_forecast(q: Question, fc: Forecast, model: str) -> None:
    """A forecast the question can take (probabilities in [0, 1] summing to 1, a
    distribution on the range); a :class:`ScenarioError` naming the model otherwise."""
    where = f"--question {q.id} ({model})"
    if fc.type != q.type:
        raise ScenarioError([Problem(where, f"a {fc.type} forecast cannot answer a {q.type} question")])
    if fc.p is not None and not 0.0 <= fc.p <= 1.0:
        raise ScenarioError([Problem(where, f"probability {fc.p:g} is outside 0-1")])
    if fc.probabilities is not None:
        bad = [k for k, v in fc.probabilities.items() if not 0.0 <= v <= 1.0]
        total = sum(fc.probabilities.values())
        if bad or abs(total - 1.0) > 1e-6:
            raise ScenarioError([Problem(where, f"option probabilities must lie in 0-1 and sum to 1 (sum {total:.6g})")])
    if fc.distribution is not None and q.scaling is not None:
        d, sc = fc.distribution, q.scaling
        lo, hi = d.quantile(0.0), d.quantile(1.0)
        if (lo < sc.range_min - 1e-9 and not sc.open_lower_bound) or (hi > sc.range_max + 1e-9 and not sc.open_upper_bound):
            raise ScenarioError([Problem(where, f"the forecast reaches {lo:.4g}-{hi:.4g}, outside the question's range "
                                        f"{sc.range_min:g}-{sc.range_max:g}")])  # fmt: skip


def load_question_file(path: str) -> list[Question]:
    """Questions from a JSON file (documented layout); one-line errors naming file and field."""
    from pathlib import Path

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(str(path), f"cannot read: {exc.strerror or exc}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError([Problem(f"{path}:{exc.lineno}:{exc.colno}", f"not JSON: {exc.msg}")]) from None
    return parse_question_file(data, str(path))

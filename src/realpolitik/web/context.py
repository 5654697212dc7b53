"""What every route of the workbench shares: the run history, the templates, and the
translation between scenario references, results and what the pages show.

One :class:`Workbench` lives on ``app.state.workbench``; routes get it through the
:func:`workbench` dependency.  Nothing here knows about HTTP routes, so a job queue
(or any other front end) can reuse it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from realpolitik.errors import Problem, ScenarioError
from realpolitik.web.views import finite_or_none  # noqa: F401 - kept importable from here

HERE = Path(__file__).resolve().parent
DEFAULT_MAX_UPLOAD = 5 * 1024 * 1024
_REF = re.compile(r"^(builtin:[A-Za-z0-9][A-Za-z0-9_.\-]{0,100}|lib:[0-9]{1,12})$")


class UserError(Exception):
    """A client mistake: status code, message, and located problems."""

    def __init__(self, status: int, detail: str, problems: list[Problem] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.problems = problems or []


def problems_json(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"location": p.location, "message": p.message} for p in problems]


class Workbench:
    """The run history (or why there is none), the templates, and the shared helpers."""

    def __init__(self, db_url: str | None = None, max_upload_bytes: int = DEFAULT_MAX_UPLOAD):
        from realpolitik.store import open_store, store_disabled

        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.max_upload = int(max_upload_bytes)
        self.jobs: Any = None  # realpolitik.web.jobs.JobManager, set by create_app
        self.store = None
        self.store_note = ""
        if db_url is not None or not store_disabled():
            try:
                self.store = open_store(db_url)
            except Exception as exc:  # noqa: BLE001 - the app works without a history
                self.store_note = f"run history unavailable: {str(exc).splitlines()[0]}"
                sys.stderr.write(f"warning: {self.store_note}\n")
        else:
            self.store_note = "run history switched off (REALPOLITIK_DB=off)"

    # ------------------------------------------------------------ history
    def need_store(self):
        if self.store is None:
            raise UserError(503, self.store_note or "run history unavailable")
        return self.store

    def get_run(self, run_id: int):
        rec = self.need_store().get_run(run_id)
        if rec is None:
            raise UserError(404, f"no run {run_id} in the run history")
        return rec

    # ------------------------------------------------------------ scenarios
    def default_ref(self) -> str:
        from realpolitik.scenario import DEFAULT_SCENARIO, builtin_names

        names = builtin_names()
        name = DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else (names[0] if names else "")
        return f"builtin:{name}"

    def resolve(self, ref: str | None):
        """(ref, scenario, display name) for a reference; 4xx for bad or unknown ones."""
        from realpolitik.scenario import Scenario, builtin_names, load_scenario

        ref = ref or self.default_ref()
        if not _REF.match(ref):
            raise UserError(400, f"bad scenario reference {ref[:80]!r}: expected builtin:<name> or lib:<id>")
        kind, _, key = ref.partition(":")
        if kind == "builtin":
            if key not in builtin_names():
                raise UserError(404, f"no built-in scenario {key!r} (built-ins: {', '.join(builtin_names())})")
            return ref, load_scenario(key), key
        entry = self.need_store().library_entry(int(key))
        if entry is None or entry["data"] is None:
            raise UserError(404, f"no library scenario {key}")
        return ref, Scenario.model_validate(entry["data"]), entry["name"]

    @staticmethod
    def from_data(data: Any):
        """Validate edited scenario data (see :func:`realpolitik.web.views.scenario_from_data`)."""
        from realpolitik.web.views import scenario_from_data

        return scenario_from_data(data)

    def scenario_data(self, ref: str | None, data: dict[str, Any] | None) -> tuple[dict[str, Any], str]:
        """Plain scenario data for a job (a reference resolved here; edited data as sent) and a name."""
        if data is not None:
            return data, str(data.get("title") or "edited scenario")[:80] if isinstance(data, dict) else "edited scenario"
        _, s, name = self.resolve(ref)
        return s.to_data(), name

    def library(self) -> dict[str, Any]:
        """The scenario library: built-ins and uploads, and the default reference."""
        from realpolitik.scenario import builtin_names, load_scenario

        built = []
        for name in builtin_names():
            try:
                s = load_scenario(name)
            except ScenarioError:
                continue
            built.append({"ref": f"builtin:{name}", "name": name, "title": s.title, "actors": len(s.actors),
                          "issues": len(s.issues), "default": f"builtin:{name}" == self.default_ref()})  # fmt: skip
        lib = [] if self.store is None else [{"ref": f"lib:{e['id']}", **e} for e in self.store.library()]
        return {"builtin": built, "library": lib, "default": self.default_ref()}

    @staticmethod
    def scenario_of_run(rec):
        from realpolitik.scenario import Scenario

        try:
            return Scenario.model_validate(rec.scenario) if rec.scenario else None
        except Exception:  # noqa: BLE001 - a scenario stored by an older version
            return None

    # ------------------------------------------------------------ models
    @staticmethod
    def models_info() -> list[dict[str, Any]]:
        from realpolitik.models import available_models, get_model

        out = []
        for name, cls in sorted(available_models().items()):
            doc = (cls.__doc__ or "").strip().splitlines()
            out.append({"name": name, "label": cls.label or name, "summary": doc[0] if doc else "",
                        "stochastic": bool(getattr(cls, "stochastic", False)),
                        "schema": cls.Options.model_json_schema(), "defaults": _effective_defaults(name, cls, get_model)})  # fmt: skip
        return out

    @staticmethod
    def preferred_model() -> str:
        from realpolitik.models import available_models

        reg = available_models()
        for n in ("ensemble", "expected-utility", "weighted-median", "weighted-mean"):  # the headline first
            if n in reg:
                return n
        return sorted(reg)[0]

    # ------------------------------------------------------------ results for display
    @staticmethod
    def charts(result: dict[str, Any], scenario) -> dict[str, Any]:
        from realpolitik.web.views import charts

        return charts(result, scenario)

    @staticmethod
    def tables_json(result: Any, scenario) -> list[dict[str, Any]]:
        from realpolitik.web.views import tables_json

        return tables_json(result, scenario)

    @staticmethod
    def forecast_rows(result: dict[str, Any], scenario) -> list[dict[str, Any]]:
        from realpolitik.web.views import forecast_rows

        return forecast_rows(result, scenario)

    @staticmethod
    def cards(result: dict[str, Any], scenario) -> list[dict[str, Any]]:
        from realpolitik.web.views import cards

        return cards(result, scenario)


_BRACKET_DEFAULT = re.compile(r"\[([^\]]+)\]\s*$")


def _effective_defaults(name: str, cls, get_model) -> dict[str, Any]:
    """What each option is when left empty: the model's own value (presets applied), or the
    default its description names in brackets (``VotingRule [Prop]``) where the preset decides."""
    try:
        opts = get_model(name).get_options()
    except Exception:  # noqa: BLE001 - a model that cannot be built with defaults shows none
        opts = {}
    out: dict[str, Any] = {}
    for key, field in cls.Options.model_fields.items():
        v = opts.get(key)
        if v is None and field.description:
            m = _BRACKET_DEFAULT.search(field.description)
            v = m.group(1) if m else None
        if v is not None:
            out[key] = list(v) if isinstance(v, tuple) else v
    return out


def workbench(request: Request) -> Workbench:
    """FastAPI dependency: the app's :class:`Workbench`."""
    return request.app.state.workbench

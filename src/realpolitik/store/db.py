"""The run registry: SQLAlchemy 2 ORM tables and the :class:`RunStore` API.

Tables
------
``scenarios``
    One row per distinct scenario content (primary key: the content hash
    ``sha256:...``), with the scenario itself as JSON (``Scenario.to_data()``).
``runs``
    One row per model run: when, where from (``cli``/``api``/``web``), model,
    options, seed, package version, elapsed seconds, the forecast and the full
    Result JSON, and the scenario hash.
``library``
    Scenarios a person uploaded or edited in the web app (name, origin, hash).
``jobs``
    The web workbench's long jobs as they ended (done, failed, timed out, cancelled),
    each with the runs it stored (stored in the same transaction as the job's row).
``ledger_entries``
    The forecast ledger (:mod:`realpolitik.ledger`): append-only, hash-chained
    entries (question added, forecast sealed, question resolved), each the canonical
    JSON ``body`` with its sha256 ``hash``.

Only portable column types are used (Integer, String, Text, Float, DateTime,
JSON), so SQLite and PostgreSQL both work.  The schema is created and upgraded by
the alembic migrations in ``store/migrations`` (:mod:`realpolitik.store.migrate`), so
an existing history upgrades in place.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from realpolitik.errors import OptionError, Problem

ENV_VAR = "REALPOLITIK_DB"
_OFF = {"off", "none", "0", "false", "no"}


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    if t.tzinfo is None:  # SQLite drops the zone
        t = t.replace(tzinfo=dt.timezone.utc)
    return t.isoformat(timespec="seconds")


class ScenarioRow(Base):
    __tablename__ = "scenarios"

    hash: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    source: Mapped[str] = mapped_column(String(20), default="cli")
    model: Mapped[str] = mapped_column(String(80), index=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    seed: Mapped[str | None] = mapped_column(String(40), nullable=True)  # text: seeds may exceed 64 bits
    version: Mapped[str] = mapped_column(String(40), default="")
    elapsed: Mapped[float | None] = mapped_column(Float, nullable=True)
    scenario_hash: Mapped[str] = mapped_column(ForeignKey("scenarios.hash"), index=True)
    scenario_title: Mapped[str] = mapped_column(String(500), default="")
    forecast: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class LibraryRow(Base):
    __tablename__ = "library"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(20), default="upload")  # upload | edit
    scenario_hash: Mapped[str] = mapped_column(ForeignKey("scenarios.hash"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class JobRow(Base):
    """A web job as it ended (:mod:`realpolitik.web.jobs`)."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    elapsed: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_ids: Mapped[list[int]] = mapped_column(JSON)


class LedgerEntryRow(Base):
    """One entry of the forecast ledger; ``body`` is the sealed text, the rest indexes it."""

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("hash", name="uq_ledger_entries_hash"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(20))
    question_id: Mapped[str] = mapped_column(String(120), index=True)
    model: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(80))
    hash: Mapped[str] = mapped_column(String(80))


@dataclass(frozen=True)
class LedgerEntry:
    """A stored ledger entry as plain data (the body is the sealed canonical JSON text)."""

    seq: int
    kind: str
    question_id: str
    model: str | None
    created_at: dt.datetime
    run_id: int | None
    body: str
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, row: LedgerEntryRow) -> "LedgerEntry":
        created = row.created_at
        if created is not None and created.tzinfo is None:  # SQLite drops the zone
            created = created.replace(tzinfo=dt.timezone.utc)
        return cls(row.seq, row.kind, row.question_id, row.model, created, row.run_id, row.body, row.prev_hash, row.hash)


# ---------------------------------------------------------------------- records
@dataclass
class RunRecord:
    """One stored run, as plain data."""

    id: int
    created_at: dt.datetime
    source: str
    model: str
    options: dict[str, Any]
    seed: int | None
    version: str
    elapsed: float | None
    scenario_hash: str
    scenario_title: str
    forecast: dict[str, Any]
    result: dict[str, Any] = field(default_factory=dict, repr=False)
    scenario: dict[str, Any] | None = field(default=None, repr=False)
    note: str | None = None
    #: what the run computed: ``point forecast``, ``Monte Carlo (N draws)``, or the analysis
    #: that stored it (``sensitivity``, ``timeline`` ...), read from its result
    kind: str = "point forecast"

    @classmethod
    def from_row(cls, row: RunRow, scenario: ScenarioRow | None = None, full: bool = True) -> "RunRecord":
        created = row.created_at
        if created is not None and created.tzinfo is None:  # SQLite drops the zone
            created = created.replace(tzinfo=dt.timezone.utc)
        return cls(
            id=row.id,
            created_at=created,
            source=row.source,
            model=row.model,
            options=dict(row.options or {}),
            seed=None if row.seed is None else int(row.seed),
            version=row.version,
            elapsed=row.elapsed,
            scenario_hash=row.scenario_hash,
            scenario_title=row.scenario_title,
            forecast=dict(row.forecast or {}),
            result=dict(row.result or {}) if full else {},
            scenario=dict(scenario.data) if (full and scenario is not None) else None,
            note=row.note,
            kind=run_kind(row.result),
        )

    def summary(self) -> dict[str, Any]:
        """The listing fields (no result, no scenario)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(timespec="seconds") if self.created_at else None,
            "source": self.source,
            "model": self.model,
            "options": self.options,
            "seed": self.seed,
            "version": self.version,
            "elapsed": self.elapsed,
            "scenario_hash": self.scenario_hash,
            "scenario_title": self.scenario_title,
            "forecast": self.forecast,
            "note": self.note,
        }

    def to_dict(self) -> dict[str, Any]:
        d = self.summary()
        d["result"] = self.result
        d["scenario"] = self.scenario
        return d


def run_kind(result: dict[str, Any] | None) -> str:
    """The kind of a stored result: a model's point forecast or the analysis that made it."""
    details = (result or {}).get("details") or {}
    analysis = details.get("analysis") if isinstance(details, dict) else None
    if not analysis:
        return "point forecast"
    if analysis == "monte-carlo":
        draws = details.get("draws")
        return f"Monte Carlo ({draws} draws)" if draws else "Monte Carlo"
    return str(analysis).replace("-", " ")


# ---------------------------------------------------------------------- URLs
def store_disabled() -> bool:
    return os.environ.get(ENV_VAR, "").strip().lower() in _OFF


def default_url() -> str:
    """``REALPOLITIK_DB`` if set, else SQLite in the user's data directory."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env and env.lower() not in _OFF:
        return env if "://" in env else f"sqlite:///{Path(env).expanduser().resolve()}"
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('realpolitik', appauthor=False)) / 'runs.sqlite'}"


def _clean_json(obj: Any) -> Any:
    """JSON-safe copy: non-finite floats become None (PostgreSQL's JSON rejects NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_json(v) for v in obj]
    return obj


# ---------------------------------------------------------------------- store
class RunStore:
    """The run registry at one SQLAlchemy URL (tables are created when missing)."""

    def __init__(self, url: str | None = None):
        self.url = url or default_url()
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise OptionError([Problem("--db", f"not a database URL: {self.url!r} (e.g. sqlite:///runs.sqlite)")]) from None
        kwargs: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite":
            db = parsed.database
            if db and db != ":memory:" and not db.startswith("file:"):
                Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        try:
            self.engine: Engine = create_engine(parsed, future=True, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
            raise OptionError([Problem("--db", f"cannot use {parsed.get_backend_name()!r} databases here: {exc}")]) from None
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        from realpolitik.store.migrate import upgrade

        try:
            upgrade(self.engine)
        except SQLAlchemyError as exc:
            first = str(exc.orig if getattr(exc, "orig", None) is not None else exc).strip().splitlines()[0]
            raise OptionError([Problem("--db", f"cannot open the run history at {parsed.render_as_string(hide_password=True)}: {first}")]) from None

    def __repr__(self) -> str:
        return f"RunStore({self.engine.url.render_as_string(hide_password=True)!r})"

    # ------------------------------------------------------------ writes
    def _put_scenario(self, session: Session, scenario: Any) -> str:
        h = scenario.content_hash()
        if session.get(ScenarioRow, h) is None:
            session.add(ScenarioRow(hash=h, title=scenario.title, data=_clean_json(scenario.to_data())))
            session.flush()  # no ORM relationship orders the inserts: the scenario goes first
        return h

    def save(self, scenario: Any, results: list[Any], source: str = "cli", note: str | None = None) -> list[int]:
        """Store the scenario and each result in ONE transaction; return the run ids.

        If anything fails or the process is interrupted before the commit, nothing
        is stored (the transaction is rolled back; SQLite's journal covers a kill).
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            h = self._put_scenario(session, scenario)
            rows = [self._run_row(res, h, scenario.title, source, note) for res in results]
            session.add_all(rows)
            session.flush()
            return [r.id for r in rows]

    @staticmethod
    def _run_row(res: Any, scenario_hash: str, title: str, source: str, note: str | None) -> RunRow:
        d = _clean_json(res.to_dict() if hasattr(res, "to_dict") else dict(res))
        return RunRow(
            source=source,
            model=d.get("model", ""),
            options=d.get("options") or {},
            seed=None if d.get("seed") is None else str(d.get("seed")),
            version=d.get("version", ""),
            elapsed=d.get("elapsed"),
            scenario_hash=scenario_hash,
            scenario_title=title,
            forecast=d.get("forecast") or {},
            result=d,
            note=note,
        )

    def save_job(self, job: dict[str, Any], scenario: Any = None, results: list[Any] = (), source: str = "web") -> list[int]:
        """Store a finished job and the runs it produced in ONE transaction; return the run ids.

        ``job`` has ``id, kind, label, state, message, created_at, finished_at, elapsed``.
        A job that was cancelled or failed stores no runs: its row says how it ended.
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            ids: list[int] = []
            if scenario is not None and results:
                h = self._put_scenario(session, scenario)
                rows = [self._run_row(res, h, scenario.title, source, None) for res in results]
                session.add_all(rows)
                session.flush()
                ids = [r.id for r in rows]
            session.merge(JobRow(id=job["id"], kind=job["kind"], label=str(job.get("label") or "")[:500], state=job["state"],
                                 message=job.get("message"), created_at=job["created_at"], finished_at=job.get("finished_at"),
                                 elapsed=job.get("elapsed"), run_ids=ids))  # fmt: skip
            return ids

    def jobs(self, limit: int = 50) -> list[dict[str, Any]]:
        """Finished jobs, newest first."""
        with Session(self.engine) as session:
            q = select(JobRow).order_by(JobRow.created_at.desc()).limit(max(1, int(limit)))
            return [{"id": j.id, "kind": j.kind, "label": j.label, "state": j.state, "message": j.message,
                     "created_at": _iso(j.created_at), "finished_at": _iso(j.finished_at), "elapsed": j.elapsed,
                     "run_ids": list(j.run_ids or [])} for j in session.scalars(q)]  # fmt: skip

    def rename_run(self, run_id: int, note: str | None) -> bool:
        """Give a run a name (its note); False when there is no such run."""
        with Session(self.engine) as session, session.begin():
            row = session.get(RunRow, int(run_id))
            if row is None:
                return False
            row.note = note
            return True

    def delete_run(self, run_id: int) -> bool:
        """Remove a run; False when there is none.  A run sealed in the ledger stays
        (the ledger is append-only): OptionError naming it."""
        with Session(self.engine) as session, session.begin():
            row = session.get(RunRow, int(run_id))
            if row is None:
                return False
            sealed = session.scalar(select(func.count()).select_from(LedgerEntryRow).where(LedgerEntryRow.run_id == row.id))
            if sealed:
                raise OptionError([Problem("run id", f"run {row.id} is sealed in the forecast ledger and stays")])
            session.delete(row)
            return True

    def rename_library_entry(self, entry_id: int, name: str) -> bool:
        with Session(self.engine) as session, session.begin():
            row = session.get(LibraryRow, int(entry_id))
            if row is None:
                return False
            row.name = name[:200]
            return True

    def delete_library_entry(self, entry_id: int) -> bool:
        """Remove a library entry (its scenario stays while runs use it)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(LibraryRow, int(entry_id))
            if row is None:
                return False
            session.delete(row)
            return True

    def add_to_library(self, name: str, scenario: Any, origin: str = "upload") -> int:
        """Keep an uploaded or edited scenario in the web library; return its entry id."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            h = self._put_scenario(session, scenario)
            row = LibraryRow(name=name[:200], origin=origin, scenario_hash=h)
            session.add(row)
            session.flush()
            return row.id

    # ------------------------------------------------------------ reads
    def list_runs(self, limit: int = 50, model: str | None = None, scenario_hash: str | None = None) -> list[RunRecord]:
        with Session(self.engine) as session:
            q = select(RunRow).order_by(RunRow.id.desc()).limit(max(1, int(limit)))
            if model:
                q = q.where(RunRow.model == model)
            if scenario_hash:
                q = q.where(RunRow.scenario_hash == scenario_hash)
            return [RunRecord.from_row(r, full=False) for r in session.scalars(q)]

    def count(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(RunRow)) or 0)

    def get_run(self, run_id: int) -> RunRecord | None:
        with Session(self.engine) as session:
            row = session.get(RunRow, int(run_id))
            if row is None:
                return None
            return RunRecord.from_row(row, session.get(ScenarioRow, row.scenario_hash))

    def require_run(self, run_id: int | str) -> RunRecord:
        """The run, or an OptionError naming the missing id (a user mistake)."""
        try:
            rid = int(run_id)
        except (TypeError, ValueError):
            raise OptionError([Problem("run id", f"{run_id!r} is not a run id (a whole number; see 'realpolitik runs list')")]) from None
        rec = self.get_run(rid)
        if rec is None:
            raise OptionError([Problem("run id", f"no run {rid} in the run history ({self.count()} runs stored)")])
        return rec

    def get_scenario_data(self, scenario_hash: str) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            row = session.get(ScenarioRow, scenario_hash)
            return None if row is None else dict(row.data)

    def library(self) -> list[dict[str, Any]]:
        """Uploaded/edited scenarios, newest first."""
        with Session(self.engine) as session:
            q = (
                select(LibraryRow, ScenarioRow.title)
                .join(ScenarioRow, ScenarioRow.hash == LibraryRow.scenario_hash)
                .order_by(LibraryRow.id.desc())
            )
            return [
                {"id": lib.id, "name": lib.name, "origin": lib.origin, "hash": lib.scenario_hash, "title": title,
                 "created_at": lib.created_at.isoformat(timespec="seconds") if lib.created_at else None}
                for lib, title in session.execute(q)
            ]  # fmt: skip

    def library_entry(self, entry_id: int) -> dict[str, Any] | None:
        with Session(self.engine) as session:
            lib = session.get(LibraryRow, int(entry_id))
            if lib is None:
                return None
            scen = session.get(ScenarioRow, lib.scenario_hash)
            return {"id": lib.id, "name": lib.name, "origin": lib.origin, "hash": lib.scenario_hash,
                    "data": dict(scen.data) if scen else None}  # fmt: skip

    # ------------------------------------------------------------ ledger
    def append_entry(
        self,
        build: Callable[[int, str], tuple[str, str, dict[str, Any]]],
        genesis: str,
        attempts: int = 5,
    ) -> LedgerEntry:
        """Append one ledger entry after the current last one, in one transaction.

        ``build(seq, prev_hash)`` returns ``(body, hash, columns)``: the sealed text, its
        hash and the indexed columns (``kind``, ``question_id``, ``model``,
        ``created_at``, ``run_id``).  The first entry's ``prev_hash`` is ``genesis``.  Two
        writers racing for the same ``seq`` collide on the primary key; the loser builds
        again on the new last entry (up to ``attempts`` times).
        """
        for attempt in range(attempts):
            try:
                with Session(self.engine, expire_on_commit=False) as session, session.begin():
                    last = session.scalars(select(LedgerEntryRow).order_by(LedgerEntryRow.seq.desc()).limit(1)).first()
                    seq, prev = (1, genesis) if last is None else (last.seq + 1, last.hash)
                    body, digest, cols = build(seq, prev)
                    row = LedgerEntryRow(seq=seq, body=body, prev_hash=prev, hash=digest, **cols)
                    session.add(row)
                    session.flush()
                    return LedgerEntry.from_row(row)
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def ledger_entries(self, question_id: str | None = None, kind: str | None = None) -> list[LedgerEntry]:
        """Ledger entries in chain order (optionally of one question or one kind)."""
        with Session(self.engine) as session:
            q = select(LedgerEntryRow).order_by(LedgerEntryRow.seq)
            if question_id is not None:
                q = q.where(LedgerEntryRow.question_id == question_id)
            if kind is not None:
                q = q.where(LedgerEntryRow.kind == kind)
            return [LedgerEntry.from_row(r) for r in session.scalars(q)]

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # SQLAlchemy's recipe for real transactions on SQLite: the driver must not open (or
    # skip) transactions itself, so that DDL - a schema migration - is transactional too
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN")


_STORES: dict[str, RunStore] = {}
_LOCK = threading.Lock()


def open_store(url: str | None = None) -> RunStore:
    """A cached :class:`RunStore` per URL (one engine and pool per database)."""
    key = url or default_url()
    with _LOCK:
        st = _STORES.get(key)
        if st is None:
            st = RunStore(key)
            _STORES[key] = st
        return st


def record_runs(scenario: Any, results: list[Any], source: str = "cli", url: str | None = None) -> list[int]:
    """Store runs (raises on failure).  Returns ``[]`` when recording is switched off."""
    if url is None and store_disabled():
        return []
    return open_store(url).save(scenario, results, source=source)


def record_runs_safely(scenario: Any, results: list[Any], source: str = "cli", url: str | None = None) -> list[int]:
    """Store runs; never fails: a database problem is a warning on stderr.

    Used by every command that runs models, so that an unwritable database never
    costs a person their forecast.
    """
    try:
        return record_runs(scenario, results, source=source, url=url)
    except Exception as exc:  # noqa: BLE001 - recording must never break a run
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        sys.stderr.write(f"warning: run not recorded in the run history ({first}); set {ENV_VAR} to change the database\n")
        return []


# ---------------------------------------------------------------------- diff
def _scenario_changes(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Input differences between two scenarios' data: actors added/removed, values changed."""
    if not a or not b:
        return []
    out: list[dict[str, Any]] = []
    aa = {x["id"]: x for x in a.get("actors", [])}
    bb = {x["id"]: x for x in b.get("actors", [])}
    for aid in aa.keys() - bb.keys():
        out.append({"what": "actor removed", "actor": aid})
    for aid in bb.keys() - aa.keys():
        out.append({"what": "actor added", "actor": aid})
    for aid in [x for x in aa if x in bb]:
        x, y = aa[aid], bb[aid]
        if x.get("capability") != y.get("capability"):
            out.append({"what": "capability", "actor": aid, "a": x.get("capability"), "b": y.get("capability")})
        for fld in ("positions", "saliences", "capability_by_issue"):
            xs, ys = x.get(fld) or {}, y.get(fld) or {}
            for iid in sorted(set(xs) | set(ys)):
                if xs.get(iid) != ys.get(iid):
                    out.append({"what": fld[:-1] if fld != "capability_by_issue" else "capability",
                                "actor": aid, "issue": iid, "a": xs.get(iid), "b": ys.get(iid)})  # fmt: skip
    ia = {i["id"]: i for i in a.get("issues", [])}
    ib = {i["id"]: i for i in b.get("issues", [])}
    for iid in sorted(ia.keys() ^ ib.keys()):
        out.append({"what": "issue removed" if iid in ia else "issue added", "issue": iid})
    for key in ("title", "as_of", "events"):
        if a.get(key) != b.get(key):
            out.append({"what": key, "a": a.get(key) if key != "events" else len(a.get(key) or []),
                        "b": b.get(key) if key != "events" else len(b.get(key) or [])})  # fmt: skip
    return out


def diff_runs(a: RunRecord, b: RunRecord) -> dict[str, Any]:
    """What differs between two runs: settings, scenario inputs, and forecasts per issue."""
    settings = []
    for key in ("kind", "model", "seed", "version", "scenario_hash"):
        va, vb = getattr(a, key), getattr(b, key)
        if va != vb:
            settings.append({"field": key, "a": va, "b": vb})
    for k in sorted(set(a.options) | set(b.options)):
        if a.options.get(k) != b.options.get(k):
            settings.append({"field": f"option {k}", "a": a.options.get(k), "b": b.options.get(k)})
    issues = list(dict.fromkeys(list(a.forecast) + list(b.forecast)))
    forecast = []
    for iid in issues:
        fa, fb = a.forecast.get(iid), b.forecast.get(iid)
        delta = fb - fa if isinstance(fa, (int, float)) and isinstance(fb, (int, float)) else None
        forecast.append({"issue": iid, "a": fa, "b": fb, "delta": delta})
    changes = [] if a.scenario_hash == b.scenario_hash else _scenario_changes(a.scenario, b.scenario)
    return {"a": a.id, "b": b.id, "kinds": [a.kind, b.kind], "settings": settings, "scenario_changes": changes,
            "forecast": forecast}  # fmt: skip

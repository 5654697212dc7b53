"""The run-history schema of realpolitik 0.1, frozen: the table classes of
``src/realpolitik/store/db.py`` at commit 1ce24ac (before migrations existed), copied
verbatim, and the rows its ``RunStore.save`` wrote.  The migration tests build a database
with this code, open it with today's store and check that every old run is intact.
Never edit this file: it is the past.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


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


def write_history(url: str, scenario_data: dict[str, Any], scenario_hash: str, title: str,
                  results: list[dict[str, Any]], library_name: str | None = None) -> list[int]:
    """Create the 0.1 schema at ``url`` (``create_all``, as 0.1 did) and store runs as 0.1's save did."""
    engine = create_engine(url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session, session.begin():
            if session.get(ScenarioRow, scenario_hash) is None:
                session.add(ScenarioRow(hash=scenario_hash, title=title, data=scenario_data))
                session.flush()
            rows = []
            for d in results:
                row = RunRow(source="cli", model=d.get("model", ""), options=d.get("options") or {},
                             seed=None if d.get("seed") is None else str(d.get("seed")), version=d.get("version", ""),
                             elapsed=d.get("elapsed"), scenario_hash=scenario_hash, scenario_title=title,
                             forecast=d.get("forecast") or {}, result=d, note=None)  # fmt: skip
                session.add(row)
                rows.append(row)
            if library_name:
                session.add(LibraryRow(name=library_name, origin="upload", scenario_hash=scenario_hash))
            session.flush()
            return [r.id for r in rows]
    finally:
        engine.dispose()

"""Schema migrations of the run history: every store is brought to :data:`HEAD` when opened.

A database written before migrations existed (realpolitik 0.1 created its tables with
``create_all``) has the tables of revision ``0001_runs`` and no ``alembic_version``
table: revision 0001 creates only what is missing, so such a history upgrades in place
with every run kept.  A database at :data:`HEAD` costs one small query (alembic is not
imported); a database from a newer realpolitik is a one-line error, never a downgrade.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from realpolitik.errors import OptionError, Problem

#: the newest revision this code knows (tests check it is alembic's head)
HEAD = "0003_jobs"
#: every revision, oldest first
REVISIONS = ("0001_runs", "0002_ledger", "0003_jobs")


def migrations_dir() -> Path:
    """The folder of the shipped migration scripts (package data)."""
    return Path(str(resources.files("realpolitik.store") / "migrations"))


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (``None``: no ``alembic_version`` table)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, where: str = "--db") -> str | None:
    """Bring the database to :data:`HEAD`; return the revision it had before.

    Runs in one transaction (PostgreSQL and SQLite both have transactional DDL), so an
    interrupted upgrade leaves the database as it was.
    """
    before = current_revision(engine)
    if before == HEAD:
        return before
    if before is not None and before not in REVISIONS:
        raise OptionError([Problem(where, f"the run history is at schema revision {before!r}, newer than this "
                                          f"realpolitik knows ({HEAD!r}): upgrade realpolitik to use it")])  # fmt: skip
    from alembic import command

    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
    except SQLAlchemyError:
        # another process may have upgraded the same database at the same moment
        if current_revision(engine) == HEAD:
            return before
        raise
    return before

"""Schema migrations of the run history (issue 14): an old history upgrades in place.

The old database is written by the frozen 0.1 store code (tests/legacy_store_v0.py),
opened with today's store (which migrates it to HEAD) and compared run by run.
"""

from __future__ import annotations

import sqlite3

import pytest
from legacy_store_v0 import write_history
from sqlalchemy import create_engine

from realpolitik.cli import main
from realpolitik.models import get_model
from realpolitik.scenario import load_scenario
from realpolitik.store import RunStore
from realpolitik.store.migrate import HEAD, REVISIONS, current_revision, migrations_dir


def old_history(url: str):
    """A 0.1 history at ``url``: three runs of two scenarios' models and a library entry."""
    scen = load_scenario("ec-emissions")
    results = [get_model(m).run(scen, rng=5).to_dict() for m in ("weighted-mean", "weighted-median", "expected-utility")]
    for r in results:
        r["packages"] = {}  # 0.1 results did not record package versions
    ids = write_history(url, scen.to_data(), scen.content_hash(), scen.title, results, library_name="upload.yaml")
    return scen, results, ids


def check_upgraded(url: str, scen, results, ids) -> RunStore:
    store = RunStore(url)  # opening migrates
    assert current_revision(store.engine) == HEAD
    assert store.count() == len(results)
    for rid, res in zip(ids, results):
        rec = store.get_run(rid)
        assert rec.model == res["model"] and rec.seed == res["seed"]
        assert rec.result == res  # the whole stored result JSON, unchanged
        assert rec.forecast == res["forecast"]
        assert rec.scenario == scen.to_data()
    lib = store.library()
    assert [e["name"] for e in lib] == ["upload.yaml"]
    # the upgraded history takes new runs and ledger entries
    (new,) = store.save(scen, [get_model("nash").run(scen)])
    assert new > max(ids)
    assert store.ledger_entries() == []
    return store


def test_head_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_current_head() == HEAD
    assert [r.revision for r in reversed(list(script.walk_revisions()))] == list(REVISIONS)


def test_old_sqlite_history_upgrades_in_place(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    scen, results, ids = old_history(url)
    assert current_revision(create_engine(url)) is None
    store = check_upgraded(url, scen, results, ids)
    store.dispose()
    # opening again is a no-op at HEAD
    again = RunStore(url)
    assert current_revision(again.engine) == HEAD and again.count() == len(results) + 1
    again.dispose()


def test_schema_after_migrations_matches_the_code(tmp_path):
    """The ORM tables and the migrated database agree (fresh and upgraded databases alike)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from realpolitik.store.db import Base

    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    old = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old_history(old)
    for url in (fresh, old):
        store = RunStore(url)
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        store.dispose()


def test_interrupted_upgrade_changes_nothing(tmp_path, monkeypatch):
    """The upgrade is one transaction: a failure in the ledger migration leaves the 0.1 tables as they were."""
    import alembic.op

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old_history(url)
    # run the real upgrade, but make alembic fail while creating the ledger table's indexes

    real = alembic.op.create_index

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(alembic.op, "create_index", boom)
    with pytest.raises(RuntimeError):
        RunStore(url)
    monkeypatch.setattr(alembic.op, "create_index", real)
    con = sqlite3.connect(tmp_path / "old.sqlite")
    tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    con.close()
    assert tables == {"scenarios", "runs", "library"}  # no alembic_version, no half-made ledger


def test_newer_database_is_a_one_line_error(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    RunStore(url).dispose()
    con = sqlite3.connect(tmp_path / "new.sqlite")
    con.execute("update alembic_version set version_num='0099_future'")
    con.commit()
    con.close()
    assert main(["runs", "list", "--db", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "0099_future" in err[0] and "newer" in err[0]

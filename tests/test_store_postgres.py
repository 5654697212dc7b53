"""The run history on a real PostgreSQL server (issue: "any SQLAlchemy URL; PostgreSQL works").

A throwaway cluster is created in a temporary folder, started on a free loopback port
as the ``postgres`` user, used through ``postgresql+psycopg://`` and stopped again.
Debian's ``postgresql`` package is installed by ``scripts/install-system-deps.sh``.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from realpolitik.models import get_model
from realpolitik.scenario import load_scenario
from realpolitik.store import RunStore, diff_runs


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@pytest.fixture(scope="module")
def pg_url():
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not installed (scripts/install-system-deps.sh installs them)")
    pytest.importorskip("psycopg")
    # not under pytest's tmp folder: that is private to root, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="realpolitik-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def test_runs_round_trip_and_diff_on_postgresql(pg_url):
    scen = load_scenario("ec-emissions")
    store = RunStore(pg_url)
    try:
        a = get_model("weighted-median").run(scen, rng=3)
        b = get_model("nash").run(scen)
        ids = store.save(scen, [a, b], source="api")
        assert len(ids) == 2
        first = store.get_run(ids[0])
        assert first.model == "weighted-median" and first.seed == 3
        assert first.forecast == pytest.approx(a.forecast)
        assert first.scenario_hash == scen.content_hash()
        assert [r.id for r in store.list_runs()][:2] == sorted(ids, reverse=True)
        d = diff_runs(store.get_run(ids[0]), store.get_run(ids[1]))
        assert d
    finally:
        store.dispose()


def test_cli_records_into_postgresql(pg_url):
    env = {**os.environ, "REALPOLITIK_DB": pg_url}
    proc = subprocess.run(
        [sys.executable, "-m", "realpolitik", "forecast", "ec-emissions", "-m", "weighted-mean", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "not recorded" not in proc.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "realpolitik", "runs", "list", "--json"], capture_output=True, text=True, env=env
    )
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert any(r["model"] == "weighted-mean" for r in runs)


def test_old_history_upgrades_in_place_on_postgresql(pg_url):
    """A 0.1 history (written by the frozen old store code) in its own database: opening it
    with today's store migrates it to HEAD and every old run is intact."""
    from legacy_store_v0 import write_history
    from sqlalchemy import create_engine, text

    from realpolitik.store.migrate import HEAD, current_revision

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE legacy_history"))
    admin.dispose()
    url = pg_url.rsplit("/", 1)[0] + "/legacy_history"
    scen = load_scenario("ec-emissions")
    results = [get_model(m).run(scen, rng=5).to_dict() for m in ("weighted-mean", "weighted-median", "nash")]
    ids = write_history(url, scen.to_data(), scen.content_hash(), scen.title, results, library_name="upload.yaml")
    store = RunStore(url)
    try:
        assert current_revision(store.engine) == HEAD
        assert store.count() == 3
        for rid, res in zip(ids, results):
            rec = store.get_run(rid)
            assert rec.result == json.loads(json.dumps(res)) and rec.scenario == json.loads(json.dumps(scen.to_data()))
        assert [e["name"] for e in store.library()] == ["upload.yaml"]
        (new,) = store.save(scen, [get_model("nash").run(scen)])
        assert new > max(ids) and store.ledger_entries() == []
    finally:
        store.dispose()

"""Shared test setup.  Keep it small; several areas add to it."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Run history (realpolitik.store): tests never write to the user's data directory.
# Set at import so that CLI subprocesses inherit it; one database per test process.
_DB_DIR = tempfile.mkdtemp(prefix="rp-test-db-")
atexit.register(shutil.rmtree, _DB_DIR, ignore_errors=True)
os.environ["REALPOLITIK_DB"] = "sqlite:///" + str(Path(_DB_DIR) / "runs.sqlite")

# Reference data (anchors, the seed) live in ../shared beside the clone, as in CI.  In a
# clone without it, a test that fails only because such a file is missing is reported as
# skipped, naming the missing folder; in CI (CI set) it stays a failure.
SHARED = Path(__file__).resolve().parents[1].parent / "shared"

import pytest  # noqa: E402


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if SHARED.is_dir() or os.environ.get("CI") or not report.failed or call.excinfo is None:
        return
    text = f"{call.excinfo.value}"
    if str(SHARED) in text or "shared/anchors" in text or "shared/seed" in text:
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: reference data not present: {SHARED}")


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The seed commentary (``../shared/seed/*.txt``); skips where the folder is absent."""
    seed_dir = SHARED / "seed"
    files = sorted(seed_dir.glob("*.txt")) if seed_dir.is_dir() else []
    if not files:
        pytest.skip(f"seed folder {seed_dir} not present")
    return "\n".join(f.read_text(encoding="utf-8") for f in files)

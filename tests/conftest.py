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

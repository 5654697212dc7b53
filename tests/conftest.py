"""Shared test setup.  Keep it small; several areas add to it."""

import os
import tempfile
from pathlib import Path

# Run history (realpolitik.store): tests never write to the user's data directory.
# Set at import so that CLI subprocesses inherit it; one database per test process.
os.environ["REALPOLITIK_DB"] = "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="rp-test-db-")) / "runs.sqlite")

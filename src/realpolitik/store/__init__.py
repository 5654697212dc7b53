"""Run history: every run (CLI, API or web) with its scenario, model, options, seed,
package version, timing and result, in a SQLAlchemy database.

The default database is SQLite in the user's data directory (``platformdirs``);
``REALPOLITIK_DB`` or ``--db`` give any SQLAlchemy URL (``postgresql+psycopg://...``
works: only portable column types are used).  ``REALPOLITIK_DB=off`` disables
recording.  Writes are transactional: the scenario and every run of one call are
committed together or not at all.
"""

from realpolitik.store.db import (
    LedgerEntry,
    ENV_VAR,
    RunRecord,
    RunStore,
    default_url,
    diff_runs,
    open_store,
    record_runs,
    record_runs_safely,
    store_disabled,
)

__all__ = [
    "LedgerEntry",
    "ENV_VAR",
    "RunRecord",
    "RunStore",
    "default_url",
    "diff_runs",
    "open_store",
    "record_runs",
    "record_runs_safely",
    "store_disabled",
]

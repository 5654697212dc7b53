"""Alembic migrations of the run history (shipped inside the package, run without network).

``realpolitik.store.migrate`` runs them when a store is opened; developers add a
revision with ``alembic -c src/realpolitik/store/migrations/alembic.ini revision -m "..."``
and write its ``upgrade()`` by hand (portable column types only: SQLite and PostgreSQL).
"""

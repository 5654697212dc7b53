"""Revisions, oldest first: 0001 the schema of realpolitik 0.1 (runs), 0002 the forecast ledger."""

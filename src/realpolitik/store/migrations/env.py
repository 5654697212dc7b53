"""Alembic environment: the connection comes from realpolitik.store.migrate (no URL here)."""

from alembic import context

from realpolitik.store.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # a developer running the alembic CLI with alembic.ini
    from sqlalchemy import create_engine

    connection = create_engine(config.get_main_option("sqlalchemy.url")).connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()

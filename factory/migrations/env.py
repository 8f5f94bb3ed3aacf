"""Alembic environment: migrations run on the connection factory.db.migrate() hands over."""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import factory.models  # noqa: F401  (registers every table)
from factory.db import make_engine

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # invoked from the alembic CLI
        with make_engine().begin() as own_connection:
            _run(own_connection)
    else:
        _run(connection)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

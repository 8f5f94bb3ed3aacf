"""Write transactions for the queue on a bare connection: serialised on SQLite, row-locked on
PostgreSQL. ORM write transactions are `factory.db.session_scope(engine, immediate=True)`."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from factory.db import is_sqlite


@contextmanager
def write_connection(engine: Engine, *, durable: bool = True) -> Iterator[Connection]:
    """`factory.db.session_scope(engine, immediate=True)` on a bare connection, for hot paths
    that need no ORM unit of work.

    `durable=False` lets PostgreSQL acknowledge the commit before its WAL reaches the disk: only
    for writes that are harmless to lose whole in a database crash (a lease), never for reviews.
    A later durable commit flushes the WAL up to itself, so what it builds on is durable too.
    """
    with engine.connect() as connection:
        if is_sqlite(engine):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif not durable:
            connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
        try:
            yield connection
            connection.commit()
        except BaseException:
            connection.rollback()
            raise

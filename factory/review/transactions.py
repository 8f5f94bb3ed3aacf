"""Write transactions for the queue: serialised on SQLite, row-locked on PostgreSQL."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlmodel import Session


def is_sqlite(bind: Engine | Connection | Session) -> bool:
    if isinstance(bind, Session):
        bind = bind.get_bind()
    return bind.dialect.name == "sqlite"


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction commits on success and rolls back on any error.

    On SQLite it starts with BEGIN IMMEDIATE: the write lock is taken before the first read,
    so a read-then-write transaction can never fail half-way on a stale snapshot (SQLite has
    no row locks and ignores FOR UPDATE). PostgreSQL transactions lock the rows they claim.
    """
    with Session(engine, expire_on_commit=False) as session:
        if is_sqlite(engine):
            session.execute(text("BEGIN IMMEDIATE"))
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_connection(engine: Engine, *, durable: bool = True) -> Iterator[Connection]:
    """`write_session` on a bare connection, for hot paths that need no ORM unit of work.

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

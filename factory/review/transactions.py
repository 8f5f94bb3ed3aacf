"""Write transactions for the queue: serialised on SQLite, row-locked on PostgreSQL."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlmodel import Session


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


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

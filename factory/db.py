"""Database engine and sessions. SQLite file by default; FACTORY_DATABASE_URL selects another.

The schema is owned by Alembic (factory/migrations); `migrate()` brings any database to head.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

import factory.models  # noqa: F401  (registers every table on SQLModel.metadata)
from factory.settings import factory_home

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def default_database_url() -> str:
    url = os.environ.get("FACTORY_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{factory_home() / 'factory.db'}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets the reviewer app read while a Dagster run writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = url or default_database_url()
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # The pool holds as many connections as the reviewer app has request threads (anyio's 40):
    # connections beyond pool_size are closed on return, and reopening one per request costs a
    # PostgreSQL backend fork. Connections open lazily, so small processes never hold 40.
    return create_engine(url, pool_pre_ping=True, pool_size=40, max_overflow=10)


@cache
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per URL per process."""
    return make_engine(url)


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest schema revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: never half-written."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

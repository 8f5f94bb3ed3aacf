"""The system-of-record database: `open_database()` is the one way in.

SQLite file by default; FACTORY_DATABASE_URL (or an explicit URL) selects another, PostgreSQL in
production. The schema is owned by Alembic (factory/migrations): `open_database()` brings the
database to the newest revision once per URL per process, so every caller sees the same schema.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlmodel import Session, create_engine

import factory.models  # noqa: F401  (registers every table on SQLModel.metadata)
from factory.settings import default_database_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def open_database(url: str | None = None) -> Engine:
    """The engine for `url` (default: FACTORY_DATABASE_URL or the SQLite file under the factory
    home), migrated to the newest schema; one engine and connection pool per URL per process."""
    engine = _engine_for(url or default_database_url())
    key = engine.url.render_as_string(hide_password=False)
    with _migrate_lock:
        if key not in _migrated:
            migrate(engine)
            _migrated.add(key)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the reviewer app read while a Dagster run writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """A new engine, not migrated: for migrations themselves and for administrative
    connections (creating a database); everything else uses `open_database`."""
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
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def migrate(engine: Engine) -> None:
    """Upgrade the database to the newest schema revision (idempotent)."""
    run_migrations(engine, "head")


def run_migrations(engine: Engine, revision: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) the database to `revision`, in one transaction (on SQLite too,
    schema changes included: a failed revision changes nothing).

    On SQLite a revision that changes a table's columns makes the table again and drops the old
    one, which foreign keys refuse while other tables' rows point at it; so, as SQLite's own
    procedure for schema changes says, foreign keys are off while the revisions run, and every
    reference is checked (PRAGMA foreign_key_check) before the transaction commits.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        dbapi = connection.connection.dbapi_connection
        isolation = getattr(dbapi, "isolation_level", None)
        if sqlite:  # before any transaction begins: SQLite ignores this pragma inside one
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()  # ends the transaction SQLAlchemy began for the pragma
            # The sqlite3 driver begins a transaction only before INSERT/UPDATE/DELETE and runs
            # DDL outside one: the transaction is begun here instead, so that a revision that
            # fails half-way leaves no table or column of it behind.
            dbapi.isolation_level = None  # type: ignore[union-attr]
        try:
            with connection.begin():
                if sqlite:
                    connection.exec_driver_sql("BEGIN")
                cfg.attributes["connection"] = connection
                (command.downgrade if down else command.upgrade)(cfg, revision)
                if sqlite:
                    _check_references(connection)
        finally:
            if sqlite:
                dbapi.isolation_level = isolation  # type: ignore[union-attr]
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def _check_references(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(
            f"the schema migration would leave {len(broken)} rows pointing at missing rows "
            f"(first: {table} row {rowid} -> {parent}); nothing was changed"
        )


def is_sqlite(bind: Engine | Connection | Session) -> bool:
    if isinstance(bind, Session):
        bind = bind.get_bind()
    return bind.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine, *, immediate: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: never half-written.

    `immediate=True` is for read-then-write transactions that others race (the review queue):
    on SQLite it starts with BEGIN IMMEDIATE, so the write lock is taken before the first read
    and the transaction cannot fail half-way on a stale snapshot (SQLite has no row locks and
    ignores FOR UPDATE); PostgreSQL transactions lock the rows they claim.
    """
    with Session(engine, expire_on_commit=False) as session:
        if immediate and is_sqlite(engine):
            session.execute(text("BEGIN IMMEDIATE"))
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

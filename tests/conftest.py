"""Shared fixtures: fresh, migrated databases on SQLite and on the local PostgreSQL 15.

`engine` is parametrised over both backends, so every database test runs on each; tests that
need only one take `sqlite_engine` or `pg_engine`.
"""

import os
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from factory.db import make_engine, migrate

pytest_plugins = ["sandbox_fixtures", "migration_builders"]  # for every test directory

REPO_ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "FACTORY_TEST_PG_URL", "postgresql+psycopg2://factory:factory@127.0.0.1:5432/factory"
)


@pytest.fixture(autouse=True)
def _isolated_factory_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the developer's own .factory folder or configuration."""
    home = tmp_path / "factory-home"
    monkeypatch.setenv("FACTORY_HOME", str(home))
    monkeypatch.delenv("FACTORY_DATABASE_URL", raising=False)
    monkeypatch.delenv("FACTORY_CONFIG", raising=False)
    return home


@pytest.fixture(autouse=True)
def _signal_handlers_restored() -> Iterator[None]:
    """In-process Dagster runs leave SIGTERM raising KeyboardInterrupt; later tests, and the
    processes they fork, get this process's handlers back as they were."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        if signal.getsignal(sig) is not handler:
            signal.signal(sig, handler)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "factory.db"
    shutil.copy(_sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def _ensure_postgres() -> None:
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "ensure-postgres.sh")], check=True)


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    """A throwaway database on the local server, migrated once for the whole session."""
    _ensure_postgres()
    admin = make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    name = f"factory_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_engine(_pg_database: str) -> Iterator[Engine]:
    engine = make_engine(_pg_database)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session

"""The system-of-record database as a Dagster resource."""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from sqlalchemy import Engine
from sqlmodel import Session

from factory.db import default_database_url, engine_for, migrate, session_scope


class DatabaseResource(ConfigurableResource):
    """SQLAlchemy URL of the factory database; empty means FACTORY_DATABASE_URL or SQLite."""

    url: str = ""

    def get_engine(self) -> Engine:
        engine = engine_for(self.url or default_database_url())
        _migrate_once(engine)
        return engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.get_engine()) as session:
            yield session


_migrated: set[str] = set()


def _migrate_once(engine: Engine) -> None:
    key = str(engine.url)
    if key not in _migrated:
        migrate(engine)
        _migrated.add(key)

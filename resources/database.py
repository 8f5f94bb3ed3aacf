"""The system-of-record database as a Dagster resource."""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import ConfigurableResource
from sqlalchemy import Engine
from sqlmodel import Session

from factory.db import open_database, session_scope


class DatabaseResource(ConfigurableResource):
    """SQLAlchemy URL of the factory database; empty means FACTORY_DATABASE_URL or SQLite."""

    url: str = ""

    def get_engine(self) -> Engine:
        return open_database(self.url or None)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.get_engine()) as session:
            yield session

"""Bulk writes and lookups of ingestion in the database's own SQL.

Ingesting a million records writes some ten million rows (a prompt and its LSH band keys) and
looks up as many keys. SQLAlchemy's executemany handles every row and parameter on its own in
Python; here a multi-row `INSERT ... VALUES (...), (...)` and `... IN (...)` lookup each carry
thousands of values as one statement, run on the session's connection (so inside its
transaction and savepoints), with each column's value converted exactly as SQLAlchemy would
(the column type's bind processor). Used with SQLite (sqlite3) and PostgreSQL (psycopg2), whose
parameter styles it knows; `BulkSQL.for_session` gives None for any other driver, and callers
then use SQLAlchemy statements.
"""

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any

from sqlalchemy import Dialect, Table
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from factory.models._base import signature_bytes

# Parameters in one statement: under SQLite's default limit (32766 since 3.32) and PostgreSQL's
# (65535); a driver that reports a lower limit is held to that.
MAX_PARAMETERS = 30_000
# SQLite page cache of the ingesting connection while it ingests (KiB; the default is 2 MiB):
# the B-tree pages of the indexes a batch writes and looks up stay in memory instead of being
# read and written back for each chunk. It bounds the memory a batch adds, whatever its size.
SQLITE_INGEST_CACHE_KIB = 196_608
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
_DRIVERS = {"pysqlite", "psycopg2"}

Processor = Callable[[Any], Any]


def identity(value: Any) -> Any:
    return value


class BulkSQL:
    """Multi-row statements on one session's connection."""

    def __init__(self, session: Session, dialect: Dialect, max_parameters: int) -> None:
        self.session = session
        self.dialect = dialect
        self.placeholder = _PLACEHOLDERS[str(dialect.paramstyle)]
        self.max_parameters = max_parameters
        self._quote = dialect.identifier_preparer.quote

    @classmethod
    def for_session(cls, session: Session) -> "BulkSQL | None":
        dialect = session.get_bind().dialect
        if dialect.driver not in _DRIVERS or dialect.paramstyle not in _PLACEHOLDERS:
            return None
        limit = MAX_PARAMETERS
        if dialect.name == "sqlite":
            dbapi = session.connection().connection.dbapi_connection
            if isinstance(dbapi, sqlite3.Connection):
                limit = min(limit, dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
        return cls(session, dialect, max(limit, 1))

    @contextmanager
    def tuned(self) -> Iterator[None]:
        """While ingesting, SQLite keeps a larger page cache (SQLITE_INGEST_CACHE_KIB): a setting
        of this connection only, restored afterwards."""
        if self.dialect.name != "sqlite":
            yield
            return
        saved = self.session.connection().exec_driver_sql("PRAGMA cache_size").scalar()
        self.session.connection().exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_INGEST_CACHE_KIB}")
        try:
            yield
        finally:
            try:
                self.session.connection().exec_driver_sql(f"PRAGMA cache_size = {int(saved or 0)}")
            except SQLAlchemyError:
                pass  # a failed transaction: the error that failed it is the one to report

    def processor(self, table: Table, column: str) -> Processor:
        """How SQLAlchemy converts a Python value for `column` before it reaches the driver."""
        return _processor(self.dialect, table, column)

    def converted(
        self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> Sequence[Sequence[Any]]:
        """`rows` of Python values (in `columns` order) converted for the driver."""
        steps = [
            (index, step)
            for index, name in enumerate(columns)
            if (step := self.processor(table, name)) is not identity
        ]
        if not steps:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for index, step in steps:
                values[index] = step(values[index])
            out.append(values)
        return out

    def takes_as_prepared(
        self, table: Table, columns: Sequence[str], encoded: Sequence[tuple[str, "Encoding"]]
    ) -> bool:
        """Whether values prepared without SQLAlchemy are what it would hand the driver: no
        conversion for `columns`, but for each (column, encoding) of `encoded`, the encoding's."""
        return _takes_as_prepared(self.dialect, table, tuple(columns), tuple(encoded))

    def insert(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        returning: Sequence[str] = (),
    ) -> list[tuple[Any, ...]]:
        """Insert `rows` (values already converted, in `columns` order); the `returning` columns
        of the inserted rows, in no particular order."""
        if not rows:
            return []
        width = len(columns)
        names = ", ".join(self._quote(name) for name in columns)
        one = "(" + ", ".join([self.placeholder] * width) + ")"
        tail = f" RETURNING {', '.join(self._quote(n) for n in returning)}" if returning else ""
        per_statement = max(1, self.max_parameters // width)
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), per_statement):
            page = rows[start : start + per_statement]
            sql = (
                f"INSERT INTO {self._quote(table.name)} ({names}) VALUES "
                + ", ".join([one] * len(page))
                + tail
            )
            params = tuple(chain.from_iterable(page))
            result = self.session.connection().exec_driver_sql(sql, params)
            if returning:
                found += [tuple(row) for row in result]
        return found

    def select_in(
        self,
        sql: str,
        values: Sequence[Any],
        *,
        before: Sequence[Any] = (),
        after: Sequence[Any] = (),
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of `sql` for `values`, a slice at a time: in `sql`, `{in}` is the list of values
        and `{p}` one other parameter, taken from `before` (those before the list) and `after`."""
        per_statement = max(1, self.max_parameters - len(before) - len(after))
        template = sql.replace("{p}", self.placeholder)
        for start in range(0, len(values), per_statement):
            part = values[start : start + per_statement]
            statement = template.replace("{in}", ", ".join([self.placeholder] * len(part)))
            result = self.session.connection().exec_driver_sql(statement, (*before, *part, *after))
            yield from (tuple(row) for row in result)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Encoding:
    """How a value is prepared for a column outside SQLAlchemy, and values that tell whether
    that is exactly what the column's own conversion does."""

    encode: Callable[[Any], Any]
    probes: tuple[Any, ...]


# JSON columns: SQLAlchemy's default serializer is json.dumps with its defaults.
JSON_TEXT = Encoding(json.dumps, ([], {}, [0, 4294967295], {"a": ["\u00e9", 1.5, None, True]}))
# Signature columns (factory.models._base.Signature).
SIGNATURE_BYTES = Encoding(signature_bytes, ([], [0, 4294967295], [7] * 128))


@cache
def _takes_as_prepared(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    encoded: tuple[tuple[str, Encoding], ...],
) -> bool:
    encodings = dict(encoded)
    for name in columns:
        step = _processor(dialect, table, name)
        encoding = encodings.get(name)
        if encoding is not None:
            if any(step(probe) != encoding.encode(probe) for probe in encoding.probes):
                return False
        elif step is not identity:
            return False
    return True


@cache
def _processor(dialect: Dialect, table: Table, column: str) -> Processor:
    impl = table.c[column].type.dialect_impl(dialect)
    return impl.bind_processor(dialect) or identity

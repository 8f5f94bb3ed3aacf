"""Shared column helpers for the factory's tables."""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
from sqlalchemy import JSON, Column, Dialect, LargeBinary, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def text_field(*, nullable: bool = False, default: str | None = "") -> Any:
    """An unbounded text column (code, prompts, logs): VARCHAR limits differ per database."""
    return Field(default=default, sa_column=Column(Text, nullable=nullable))


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


def signature_bytes(values: Sequence[int] | np.ndarray) -> bytes:
    """A MinHash signature's stored form: each value as 4 little-endian bytes (a quarter of its
    JSON text). A value outside 0..2**32-1 raises OverflowError rather than being wrapped."""
    return np.asarray(values, dtype="<u4").tobytes()


def signature_values(data: bytes) -> list[int]:
    if len(data) % 4:
        raise ValueError(f"a stored signature of {len(data)} bytes is not 4-byte values")
    return np.frombuffer(data, dtype="<u4").tolist()


class Signature(TypeDecorator[list[int]]):
    """A MinHash signature: a list of unsigned 32-bit values in Python, bytes in the database."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else signature_bytes(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> list[int] | None:
        return None if value is None else signature_values(bytes(value))


def signature_field() -> Any:
    return Field(default_factory=list, sa_column=Column(Signature(), nullable=False))


def created_at_field(*, index: bool = True) -> Any:
    return Field(default_factory=utcnow, nullable=False, index=index)


class _Stored(Protocol):
    id: int | None


def stored_id(row: _Stored) -> int:
    """The primary key of a row read from (or flushed to) the database, where it always has one."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id

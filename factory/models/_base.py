"""Shared column helpers for the factory's tables."""

from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def text_field(*, nullable: bool = False, default: str | None = "") -> Any:
    """An unbounded text column (code, prompts, logs): VARCHAR limits differ per database."""
    return Field(default=default, sa_column=Column(Text, nullable=nullable))


def json_field(default_factory: Any = dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


def created_at_field() -> Any:
    return Field(default_factory=utcnow, nullable=False, index=True)


class _Stored(Protocol):
    id: int | None


def stored_id(row: _Stored) -> int:
    """The primary key of a row read from (or flushed to) the database, where it always has one."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return row.id

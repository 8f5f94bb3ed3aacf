"""Refuse records carrying characters a database or a consumer cannot hold.

Every string of the parsed record is checked, whatever its field (id, prompt, tests, reference,
entry point, metadata, nested values and keys, fields the factory does not use), before the
record is adapted: one NUL in a prompt must not reach the database, where PostgreSQL would refuse
the whole write. See factory.models.storable_text for which characters, and why.
"""

from collections.abc import Iterator
from typing import Any

from factory.errors import RecordError
from factory.models.storable_text import Unstorable, first_unstorable

CODE = "control_character"


def check_control_characters(record: dict[str, Any], record_id: str | None) -> None:
    """Raise RecordError naming the first field (in file order) with an unstorable character."""
    for where, hit in _hits(record, ""):
        raise RecordError(
            CODE,
            f"{where} has {hit.describe()} at offset {hit.offset}; only tab, LF and CR are "
            "allowed among control characters: remove it or escape it in the text itself",
            record_id=record_id,
        )


def _hits(value: Any, path: str) -> Iterator[tuple[str, Unstorable]]:
    if isinstance(value, str):
        hit = first_unstorable(value)
        if hit is not None:
            yield f"field {path!r}", hit
    elif isinstance(value, dict):
        for key, item in value.items():
            key_hit = first_unstorable(key)
            if key_hit is not None:
                yield f"a key of {f'field {path!r}' if path else 'the record'}", key_hit
            yield from _hits(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _hits(item, f"{path}[{index}]")

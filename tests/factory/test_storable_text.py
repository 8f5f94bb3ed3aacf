"""Text every database can hold: which characters are escaped, how, and the database's reason
for a refused write (factory.models.storable_text)."""

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from factory.models.storable_text import (
    WRITE_REFUSALS,
    database_reason,
    escape_unstorable,
    first_unstorable,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a\x00b", "a\\x00b"),
        ("\ud800x", "\\ud800x"),
        ("lone low \udfff", "lone low \\udfff"),
        ("bell\x07 esc\x1b[31m del\x7f", "bell\\x07 esc\\x1b[31m del\\x7f"),
        ("\x0b\x0c\x1f", "\\x0b\\x0c\\x1f"),
    ],
)
def test_unstorable_characters_are_escaped_visibly(raw: str, escaped: str) -> None:
    assert escape_unstorable(raw) == (escaped, True)


@pytest.mark.parametrize(
    "kept",
    ["tab\tlf\ncr\r", "caf\u00e9 \u4e2d\u6587 \U0001f600", "a literal \\x00 stays", "\ufffd"],
)
def test_storable_text_is_left_alone(kept: str) -> None:
    assert escape_unstorable(kept) == (kept, False)
    assert first_unstorable(kept) is None


@pytest.mark.parametrize(
    ("value", "offset", "described"),
    [
        ("abc\x00", 3, "U+0000 (NUL)"),
        ("\ud83d", 0, "U+D83D (lone surrogate)"),
        ("ok\x7f", 2, "U+007F (DEL)"),
        ("x\x01\x00", 1, "U+0001 (control character)"),
    ],
)
def test_the_first_unstorable_character_is_found_with_its_offset(
    value: str, offset: int, described: str
) -> None:
    hit = first_unstorable(value)
    assert hit is not None and (hit.offset, hit.describe()) == (offset, described)


def test_escaped_text_is_storable_on_both_databases(engine: Engine) -> None:
    raw = "nul\x00 surrogate\ud800 bell\x07"
    escaped, _ = escape_unstorable(raw)
    with engine.begin() as conn:
        stored = conn.execute(text("SELECT :value"), {"value": escaped}).scalar_one()
    assert stored == escaped


def test_the_database_reason_is_one_storable_line() -> None:
    wrapped = IntegrityError("INSERT ...", {}, Exception("duplicate key\nDETAIL: Key (id)=(1)"))
    assert database_reason(wrapped) == "Exception: duplicate key"
    refused = ValueError("A string literal cannot contain NUL (0x00) characters.")
    assert isinstance(refused, WRITE_REFUSALS)
    assert database_reason(refused) == (
        "ValueError: A string literal cannot contain NUL (0x00) characters."
    )
    assert database_reason(ValueError("bad \x00 here")) == "ValueError: bad \\x00 here"

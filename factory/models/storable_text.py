"""Text that every database and consumer can hold, the visible escape for the rest, and the
database's reason when it still refuses a write.

PostgreSQL's text type cannot hold U+0000, and no UTF-8 encoder (psycopg2's or sqlite3's) can
encode a lone surrogate (U+D800..U+DFFF, which JSON escapes such as "\\ud800" produce). The other
C0 controls (tab, LF and CR aside) and DEL are storable, but they are invisible corruption that
breaks consumers (terminals, HTML, Parquet and JSON Lines tools), so they are treated alike.

Escaping writes such a character as `\\x00` (controls) or `\\ud800` (surrogates). The escape is
for people to read, not an encoding: a backslash already in the text is left as it is, so the
text alone cannot say whether `\\x00` was escaped or written so; every column that may hold
escaped text has a boolean next to it that says.
"""

import re
from typing import Any, NamedTuple

from sqlalchemy import false
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlmodel import Field

# NUL..BS, VT, FF, SO..US, DEL, and the surrogate range (only ever lone in a Python str).
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")

_NAMES = {0x00: "NUL", 0x7F: "DEL"}


class Unstorable(NamedTuple):
    offset: int  # 0-based character (code point) offset in the text
    char: str

    def describe(self) -> str:
        """`U+0000 (NUL)`, `U+D800 (lone surrogate)`, `U+001B (control character)`."""
        code = ord(self.char)
        if 0xD800 <= code <= 0xDFFF:
            name = "lone surrogate"
        else:
            name = _NAMES.get(code, "control character")
        return f"U+{code:04X} ({name})"


def first_unstorable(text: str) -> Unstorable | None:
    match = UNSTORABLE.search(text)
    return Unstorable(match.start(), match.group()) if match else None


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_unstorable(text: str) -> tuple[str, bool]:
    """`text` with every unstorable character escaped, and whether any was."""
    escaped, count = UNSTORABLE.subn(_escape, text)
    return escaped, count > 0


# What a write the database or its driver refuses for the row's own content raises: a value the
# column cannot hold or a broken constraint, and the driver's own ValueError (psycopg2's "cannot
# contain NUL", UnicodeEncodeError on a lone surrogate), which SQLAlchemy passes on unwrapped.
# Connection, schema and SQL errors are not the row's fault: they abort the whole write.
WRITE_REFUSALS: tuple[type[Exception], ...] = (DataError, IntegrityError, ValueError)


def database_reason(exc: Exception) -> str:
    """The database's own words for a refused write: one line, storable, short."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return escape_unstorable(text[:500])[0]


def escaped_flag_field() -> Any:
    """The boolean saying a row's text was escaped; false for rows written before it existed."""
    return Field(default=False, sa_column_kwargs={"server_default": false()})

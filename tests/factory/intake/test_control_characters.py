"""Records with characters no database can hold are quarantined as control_character, naming the
field and the offset, whatever field and format (factory.intake.control_chars via parse_line)."""

import json

import pytest

from factory.errors import RecordError
from factory.intake.formats import parse_line
from factory.intake.records import RawLine

GOOD = {
    "id": "add-1",
    "language": "python",
    "task_type": "code_generation",
    "prompt": "Write add(a, b) that returns the sum.",
    "tests": "def test_add():\n    assert add(1, 2) == 3\n",
    "reference_solution": "def add(a, b):\n    return a + b\n",
    "entry_point": "add",
    "metadata": {"tags": ["math", "easy"], "origin": {"team": "core"}},
}
HUMANEVAL = {
    "task_id": "Local/1",
    "prompt": "def inc(x):\n",
    "canonical_solution": "    return x + 1\n",
    "test": "def check(candidate):\n    assert candidate(1) == 2\n",
    "entry_point": "inc",
}
MBPP = {
    "task_id": 7,
    "text": "Write a function to add one.",
    "code": "def inc(x):\n    return x + 1",
    "test_list": ["assert inc(1) == 2", "assert inc(2) == 3"],
}


def _parse(record: dict) -> None:
    parse_line(RawLine(1, json.dumps(record).encode()), max_line_bytes=1_000_000)


def _with(record: dict, path: tuple, value: object) -> dict:
    copy = json.loads(json.dumps(record))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


@pytest.mark.parametrize(
    ("record", "path", "value", "where", "described", "offset"),
    [
        (GOOD, ("prompt",), "Write add(a, b)\x00 now", "field 'prompt'", "U+0000 (NUL)", 15),
        (GOOD, ("id",), "add\x00-1", "field 'id'", "U+0000 (NUL)", 3),
        (GOOD, ("tests",), "\ud800assert", "field 'tests'", "U+D800 (lone surrogate)", 0),
        (GOOD, ("reference_solution",), "def add(a, b):\x1b", "field 'reference_solution'",
         "U+001B (control character)", 14),
        (GOOD, ("entry_point",), "add\x7f", "field 'entry_point'", "U+007F (DEL)", 3),
        (GOOD, ("metadata", "tags", 1), "ea\x01sy", "field 'metadata.tags[1]'",
         "U+0001 (control character)", 2),
        (GOOD, ("metadata", "origin", "team"), "\udc80", "field 'metadata.origin.team'",
         "U+DC80 (lone surrogate)", 0),
        (GOOD, ("notes",), "unused\x00", "field 'notes'", "U+0000 (NUL)", 6),
        (HUMANEVAL, ("canonical_solution",), "    return x\x00", "field 'canonical_solution'",
         "U+0000 (NUL)", 12),
        (MBPP, ("test_list", 1), "assert inc(2)\x00", "field 'test_list[1]'", "U+0000 (NUL)", 13),
    ],
)  # fmt: skip
def test_any_string_field_with_an_unstorable_character_is_refused_by_name_and_offset(
    record: dict, path: tuple, value: str, where: str, described: str, offset: int
) -> None:
    with pytest.raises(RecordError) as caught:
        _parse(_with(record, path, value))
    assert caught.value.code == "control_character"
    assert caught.value.reason.startswith(f"{where} has {described} at offset {offset};")


def test_a_key_with_a_control_character_is_refused() -> None:
    record = _with(GOOD, ("metadata", "bad\x00key"), 1)
    with pytest.raises(RecordError, match=r"a key of field 'metadata' has U\+0000 \(NUL\)"):
        _parse(record)


def test_a_raw_control_byte_inside_a_string_is_named_like_an_escaped_one() -> None:
    line = json.dumps(GOOD).replace("returns the sum", "returns\x00the sum").encode()
    with pytest.raises(RecordError) as caught:
        parse_line(RawLine(3, line), max_line_bytes=1_000_000)
    assert caught.value.code == "control_character"
    assert caught.value.reason.startswith("field 'prompt' has U+0000 (NUL) at offset 28")
    assert caught.value.record_id == "add-1"


@pytest.mark.parametrize("allowed", ["\t", "\n", "\r", "\u00a0", "\u0085", "\ufffd"])
def test_tab_newlines_and_printable_unicode_are_accepted(allowed: str) -> None:
    _parse(_with(GOOD, ("prompt",), f"Write add(a, b){allowed} that returns the sum."))


def test_a_raw_tab_inside_a_string_is_accepted() -> None:
    line = json.dumps(GOOD).replace("returns the sum", "returns\tthe sum").encode()
    record = parse_line(RawLine(1, line), max_line_bytes=1_000_000)
    assert record.prompt == "Write add(a, b) that returns\tthe sum."

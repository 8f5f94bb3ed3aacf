"""Reading batch files and adapting factory, HumanEval and MBPP records (factory.intake.formats)."""

import gzip
import json
from pathlib import Path

import pytest

from factory.errors import RecordError
from factory.intake.formats import UnreadableFileError, adapt, parse_line, read_lines
from factory.intake.records import RawLine

LIMIT = 10_000


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'{"id": 1', "malformed_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"just a string"', "not_an_object"),
        (b'{"id": "x", "prompt": "caf\xe9"}', "undecodable"),
        (b'{"question": "q"}', "unknown_format"),
        (b'{"id": "x", "prompt": "p"}', "missing_field"),
        (
            b'{"id": "x", "language": "python", "task_type": "code_generation", "prompt": " ",'
            b' "tests": "t", "reference_solution": "r"}',
            "empty_field",
        ),
        (
            b'{"id": "x", "language": "python", "task_type": "code_generation", "prompt": "p",'
            b' "tests": 3, "reference_solution": "r"}',
            "wrong_type",
        ),
        (
            b'{"id": "x", "language": "python", "task_type": "code_generation", "prompt": "p",'
            b' "tests": "t", "reference_solution": "r", "metadata": [1]}',
            "wrong_type",
        ),
        (b'{"task_id": 3, "text": "t", "code": "c", "test_list": []}', "wrong_type"),
        (
            b'{"task_id": "H/1", "prompt": "p", "canonical_solution": "c", "test": "t"}',
            "missing_field",
        ),
        (b"x" * (LIMIT + 1), "oversize_record"),
    ],
)
def test_bad_lines_raise_record_errors(data: bytes, code: str) -> None:
    with pytest.raises(RecordError) as caught:
        parse_line(RawLine(7, data), max_line_bytes=LIMIT)
    assert caught.value.code == code
    assert caught.value.reason


def test_factory_record_keeps_every_field() -> None:
    record = adapt(
        {
            "id": " p-1 ",
            "language": "Python",
            "task_type": "bug_fix",
            "prompt": "Fix it.",
            "tests": "assert f() == 1",
            "reference_solution": "def f():\n    return 1\n",
            "entry_point": "f",
            "metadata": {"difficulty": "easy"},
            "license": "mit",
            "source": "internal",
            "scaled_input": "f()",
        }
    )
    assert (record.external_id, record.language, record.task_type) == ("p-1", "python", "bug_fix")
    assert record.licence == "mit" and record.source == "internal"
    assert record.metadata == {"difficulty": "easy"}
    assert record.test_style == "pytest" and record.scaled_input == "f()"
    assert record.format == "factory"


def test_humaneval_record_becomes_complete_function_with_check_tests() -> None:
    record = adapt(
        {
            "task_id": "HumanEval/9",
            "prompt": "def inc(x):\n    '''Add one.'''\n",
            "canonical_solution": "    return x + 1\n",
            "test": "def check(candidate):\n    assert candidate(1) == 2\n",
            "entry_point": "inc",
        }
    )
    assert record.external_id == "HumanEval/9"
    assert record.reference_solution == "def inc(x):\n    '''Add one.'''\n    return x + 1\n"
    assert record.test_style == "check" and record.entry_point == "inc"
    assert record.tests.startswith("def check(candidate):")
    assert record.format == "humaneval"


def test_mbpp_record_becomes_pytest_functions_with_setup_code() -> None:
    record = adapt(
        {
            "task_id": 11,
            "text": "Write a function to double a number.",
            "code": "def double(x):\r\n    return 2 * x",
            "test_list": ["assert double(2) == 4", "assert double(K) == 6"],
            "test_setup_code": "K = 3",
        }
    )
    assert record.external_id == "MBPP/11"
    assert record.entry_point == "double"
    assert record.reference_solution == "def double(x):\n    return 2 * x"
    assert record.test_style == "pytest"
    assert record.tests.startswith("K = 3\n")
    assert "def test_1():\n    assert double(2) == 4" in record.tests
    assert "def test_2():\n    assert double(K) == 6" in record.tests
    namespace: dict = {}
    exec(record.reference_solution + "\n" + record.tests, namespace)  # trusted test fixture
    namespace["test_1"](), namespace["test_2"]()
    assert "`double`" in record.prompt


def test_read_lines_handles_gzip_blank_lines_and_numbers_lines(tmp_path: Path) -> None:
    rows = [json.dumps({"n": 1}), "", "   ", json.dumps({"n": 2})]
    path = tmp_path / "b.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(rows) + "\n").encode()))
    lines = list(read_lines(path, max_line_bytes=LIMIT))
    assert [line.line_no for line in lines] == [1, 4]
    assert [json.loads(line.data) for line in lines] == [{"n": 1}, {"n": 2}]


def test_read_lines_cuts_an_oversize_line_and_keeps_going(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_bytes(b"a" * 50 + b"\n" + b"b" * 5 + b"\n")
    lines = list(read_lines(path, max_line_bytes=20))
    assert [(line.line_no, len(line.data)) for line in lines] == [(1, 21), (2, 6)]
    with pytest.raises(RecordError, match="20-byte limit"):
        parse_line(lines[0], max_line_bytes=20)


def test_truncated_gzip_raises_unreadable_with_line(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(json.dumps({"n": i}).encode() + b"\n" for i in range(2000)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    seen = []
    with pytest.raises(UnreadableFileError) as caught:
        for line in read_lines(path, max_line_bytes=LIMIT):
            seen.append(line.line_no)
    assert seen and caught.value.line_no == seen[-1] + 1

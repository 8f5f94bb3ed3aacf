"""Per-record validation rules and their reason codes (factory.intake.validate)."""

from dataclasses import replace

import pytest

from factory.errors import RecordError
from factory.intake.records import IntakeRecord
from factory.intake.validate import validate
from factory.settings import IntakeSettings

GOOD = IntakeRecord(
    external_id="r-1",
    language="python",
    task_type="code_generation",
    prompt="Write add(a, b).",
    tests="def test_add():\n    assert add(1, 2) == 3\n",
    reference_solution="def add(a, b):\n    return a + b\n",
    entry_point="add",
)
SETTINGS = IntakeSettings(languages=["python", "javascript"], max_prompt_chars=100)


def test_good_record_passes() -> None:
    validate(GOOD, SETTINGS)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"external_id": ""}, "empty_field"),
        ({"external_id": "x" * 301}, "oversize_field"),
        ({"language": "cobol"}, "unknown_language"),
        ({"language": "go"}, "language_not_enabled"),
        ({"task_type": "poetry"}, "unknown_task_type"),
        ({"prompt": "p" * 101}, "oversize_field"),
        ({"test_style": "doctest"}, "unknown_test_style"),
        ({"tests": "def test(:\n    pass\n"}, "tests_syntax_error"),
        ({"reference_solution": "def add(a, b)\n    return a\n"}, "reference_syntax_error"),
        ({"entry_point": "subtract"}, "entry_point_not_defined"),
        ({"tests": "def test_add():\n    add(1, 2)\n"}, "tests_without_assertions"),
        ({"test_style": "check"}, "tests_without_check"),
        (
            {"test_style": "check", "entry_point": "", "tests": "def check(c):\n    assert c()\n"},
            "missing_field",
        ),
    ],
)
def test_bad_records_get_their_reason_code(changes: dict, code: str) -> None:
    with pytest.raises(RecordError) as caught:
        validate(replace(GOOD, **changes), SETTINGS)
    assert caught.value.code == code
    assert caught.value.record_id in (GOOD.external_id, None)


@pytest.mark.parametrize(
    "reference",
    [
        "def add(a, b):\n    return a + b\n",
        "class add:\n    pass\n",
        "add = lambda a, b: a + b\n",
        "async def add(a, b):\n    return a + b\n",
    ],
)
def test_entry_point_may_be_any_top_level_name(reference: str) -> None:
    validate(replace(GOOD, reference_solution=reference), SETTINGS)


def test_other_languages_are_not_parsed_as_python() -> None:
    record = replace(
        GOOD,
        language="javascript",
        test_style="native",
        tests="test('add', () => expect(add(1, 2)).toBe(3));",
        reference_solution="function add(a, b) { return a + b; }",
    )
    validate(record, SETTINGS)

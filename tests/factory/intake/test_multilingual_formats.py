"""HumanEval-X and MultiPL-E records become prompts in their own language and test style; each
language's plug-in checks its tests at intake."""

import pytest

from factory.errors import RecordError
from factory.intake.formats import adapt, detect_format
from factory.intake.records import IntakeRecord
from factory.intake.validate import validate
from factory.settings import IntakeSettings

HUMANEVAL_X_CPP = {
    "task_id": "CPP/0",
    "prompt": "#include<stdio.h>\n/* Add two numbers. */\nint add(int a, int b){\n",
    "declaration": "#include<stdio.h>\nint add(int a, int b){\n",
    "canonical_solution": "    return a + b;\n}\n",
    "test": "#undef NDEBUG\n#include<assert.h>\nint main(){\n    assert (add(1,2)==3);\n}\n",
    "example_test": "",
}
MULTIPL_E_JS = {
    "name": "HumanEval_0_add",
    "language": "js",
    "prompt": "//Add two numbers.\nfunction add(a, b){\n",
    "tests": "const assert = require('node:assert');\nassert.deepEqual(add(1, 2), 3);\n",
    "stop_tokens": ["\nfunction "],
    "canonical_solution": "  return a + b;\n}\n",
}


def test_a_humaneval_x_record_is_its_language_with_an_appended_test_program() -> None:
    assert detect_format(HUMANEVAL_X_CPP) == "humaneval-x"
    record = adapt(HUMANEVAL_X_CPP)
    assert (record.language, record.test_style, record.format) == ("cpp", "program", "humaneval-x")
    assert record.reference_solution.endswith("return a + b;\n}\n")
    assert record.reference_solution.startswith("#include<stdio.h>")


@pytest.mark.parametrize(
    ("prefix", "language", "style"),
    [("Go/3", "go", "native"), ("Rust/3", "rust", "native"), ("Java/3", "java", "program")],
)
def test_humaneval_x_prefixes_choose_language_and_style(
    prefix: str, language: str, style: str
) -> None:
    record = adapt({**HUMANEVAL_X_CPP, "task_id": prefix})
    assert (record.language, record.test_style) == (language, style)


def test_an_unknown_humaneval_x_prefix_is_refused_by_name() -> None:
    with pytest.raises(RecordError) as error:
        adapt({**HUMANEVAL_X_CPP, "task_id": "Cobol/1"})
    assert error.value.code == "unknown_language"
    assert error.value.record_id == "Cobol/1"


def test_a_multipl_e_record_maps_its_language_code_and_joins_prompt_and_completion() -> None:
    assert detect_format(MULTIPL_E_JS) == "multipl-e"
    record = adapt(MULTIPL_E_JS)
    assert (record.language, record.test_style) == ("javascript", "program")
    assert record.reference_solution == MULTIPL_E_JS["prompt"] + "  return a + b;\n}\n"
    assert record.metadata["stop_tokens"] == ["\nfunction "]


def test_a_multipl_e_record_without_a_reference_is_refused_with_the_reason() -> None:
    bare = {k: v for k, v in MULTIPL_E_JS.items() if k != "canonical_solution"}
    with pytest.raises(RecordError) as error:
        adapt(bare)
    assert error.value.code == "missing_field"
    assert "canonical_solution" in error.value.reason


def _factory_record(language: str, tests: str, style: str = "native") -> IntakeRecord:
    return IntakeRecord(
        external_id=f"{language}-1",
        language=language,
        task_type="code_generation",
        prompt="Write add.",
        tests=tests,
        reference_solution="int add(int a, int b) { return a + b; }",
        test_style=style,
    )


def test_a_factory_record_in_another_language_defaults_to_its_native_tests() -> None:
    record = adapt(
        {
            "id": "c-1",
            "language": "C",
            "task_type": "code_generation",
            "prompt": "Write add.",
            "tests": "TEST(a) { CHECK(add(1, 1) == 2); }",
            "reference_solution": "int add(int a, int b) { return a + b; }",
        }
    )
    assert (record.language, record.test_style) == ("c", "native")
    validate(record, IntakeSettings())


def test_tests_the_language_plug_in_cannot_use_are_refused_at_intake() -> None:
    with pytest.raises(RecordError) as error:
        validate(_factory_record("c", "int main() { return 0; }"), IntakeSettings())
    assert error.value.code == "invalid_tests"
    assert "TEST(name)" in error.value.reason


def test_a_test_style_the_language_does_not_take_is_refused() -> None:
    with pytest.raises(RecordError) as error:
        validate(_factory_record("c", "TEST(a) { CHECK(1); }", "pytest"), IntakeSettings())
    assert error.value.code == "unknown_test_style"
    assert "for C" in error.value.reason

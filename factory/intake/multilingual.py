"""HumanEval-X and MultiPL-E records: one benchmark problem in one of many languages.

HumanEval-X (task_id "CPP/0", prompt, declaration, canonical_solution, test, example_test): the
reference is prompt + canonical_solution and the test program comes after it. MultiPL-E (name,
language, prompt, tests, stop_tokens; no reference solution of its own): the candidate is
prompt + completion, with the test program appended; a reference must come in the record as
`canonical_solution`, `reference_solution` or `completion` (the completion only), since intake
keeps only prompts a reference passes.
"""

from typing import Any

from factory.errors import RecordError
from factory.intake.records import IntakeRecord
from factory.vocab import TaskType

HUMANEVAL_X_FIELDS = ("task_id", "prompt", "declaration", "canonical_solution", "test")
MULTIPL_E_FIELDS = ("name", "language", "prompt", "tests")

# HumanEval-X task_id prefix -> (language, test style): C++ and Java test programs have their
# own main, JavaScript's are top-level calls, Go's are `go test` functions, Rust's a #[cfg(test)]
# module, Python's a check(candidate).
HUMANEVAL_X_LANGUAGES = {
    "cpp": ("cpp", "program"),
    "c++": ("cpp", "program"),
    "java": ("java", "program"),
    "javascript": ("javascript", "program"),
    "js": ("javascript", "program"),
    "go": ("go", "native"),
    "rust": ("rust", "native"),
    "python": ("python", "check"),
}

# MultiPL-E language codes (the suffix of names like HumanEval_0_has_close_elements) -> ours.
MULTIPL_E_LANGUAGES = {
    "cpp": "cpp",
    "c": "c",
    "java": "java",
    "js": "javascript",
    "ts": "typescript",
    "go": "go",
    "go_test.go": "go",
    "rs": "rust",
    "sh": "bash",
    "rb": "ruby",
    "php": "php",
    "py": "python",
    "cs": "csharp",
    "kt": "kotlin",
    "swift": "swift",
}


def _text(record: dict[str, Any], name: str, record_id: str | None) -> str:
    value = record.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RecordError(
            "missing_field" if value is None else "wrong_type",
            f"field {name!r} must be a non-empty string",
            record_id=record_id,
        )
    return value


def from_humaneval_x(record: dict[str, Any]) -> IntakeRecord:
    record_id = str(record.get("task_id", "")).strip() or None
    for name in HUMANEVAL_X_FIELDS:
        _text(record, name, record_id)
    prefix = str(record["task_id"]).split("/", 1)[0].strip().lower()
    if prefix not in HUMANEVAL_X_LANGUAGES:
        raise RecordError(
            "unknown_language",
            f"HumanEval-X task_id prefix {prefix!r} is not one of {sorted(HUMANEVAL_X_LANGUAGES)}",
            record_id=record_id,
        )
    language, style = HUMANEVAL_X_LANGUAGES[prefix]
    entry_point = str(record.get("entry_point") or "").strip()
    return IntakeRecord(
        external_id=str(record["task_id"]).strip(),
        language=language,
        task_type=TaskType.CODE_GENERATION.value,
        prompt=record["prompt"],
        tests=record["test"],
        reference_solution=record["prompt"] + record["canonical_solution"],
        entry_point=entry_point,
        test_style=style,
        licence=str(record.get("licence") or record.get("license") or "Apache-2.0"),
        source=str(record.get("source") or "THUDM/humaneval-x"),
        metadata={"format": "humaneval-x", "declaration": record["declaration"]},
        format="humaneval-x",
    )


def from_multipl_e(record: dict[str, Any]) -> IntakeRecord:
    record_id = str(record.get("name", "")).strip() or None
    for name in MULTIPL_E_FIELDS:
        _text(record, name, record_id)
    code = str(record["language"]).strip().lower()
    language = MULTIPL_E_LANGUAGES.get(code, code)
    reference = next(
        (
            record[name]
            for name in ("canonical_solution", "reference_solution", "completion")
            if isinstance(record.get(name), str) and record[name].strip()
        ),
        None,
    )
    if reference is None:
        raise RecordError(
            "missing_field",
            "MultiPL-E records carry no reference solution; add 'canonical_solution' (the "
            "completion that follows the prompt) so the factory can check the tests",
            record_id=record_id,
        )
    if not reference.lstrip().startswith(record["prompt"].strip()[:40]):
        reference = record["prompt"] + reference
    return IntakeRecord(
        external_id=str(record["name"]).strip(),
        language=language,
        task_type=TaskType.CODE_GENERATION.value,
        prompt=record["prompt"],
        tests=record["tests"],
        reference_solution=reference,
        entry_point=str(record.get("entry_point") or "").strip(),
        test_style="check" if language == "python" else "program",
        licence=str(record.get("licence") or record.get("license") or "MIT"),
        source=str(record.get("source") or "nuprl/MultiPL-E"),
        metadata={"format": "multipl-e", "stop_tokens": record.get("stop_tokens") or []},
        format="multipl-e",
    )

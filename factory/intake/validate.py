"""Checks a parsed record must pass before it becomes a prompt; each failure is a RecordError.

The first failed check decides the reason code, so a record is quarantined for one clear reason.
Code is only parsed (never run) here: running reference solutions is the sandbox's job.
"""

import ast

from factory.errors import RecordError
from factory.intake.records import IntakeRecord
from factory.languages import LANGUAGES
from factory.settings import IntakeSettings
from factory.vocab import Language, TaskType

MAX_ID_CHARS = 300
_LANGUAGES = {language.value for language in Language}
_TASK_TYPES = {task_type.value for task_type in TaskType}


def validate(record: IntakeRecord, settings: IntakeSettings) -> None:
    """Raise RecordError for the first problem found in `record`."""
    rid = record.external_id
    if not rid:
        raise RecordError("empty_field", "field 'id' is empty")
    if len(rid) > MAX_ID_CHARS:
        raise RecordError(
            "oversize_field", f"the id is {len(rid)} characters; at most {MAX_ID_CHARS} allowed"
        )
    _check_vocabulary(record, settings)
    _check_sizes(record, settings)
    plugin = LANGUAGES.get(record.language)
    if plugin is not None and record.test_style not in plugin.test_styles:
        raise RecordError(
            "unknown_test_style",
            f"test_style {record.test_style!r} is not one of {list(plugin.test_styles)} "
            f"for {plugin.title}",
            record_id=rid,
        )
    if not record.tests.strip():
        return  # authoring only: the author writes the tests (factory.intake.formats)
    if record.language == Language.PYTHON:
        _check_python(record)
    elif plugin is not None:
        problem = plugin.check_tests(record.tests, record.test_style, record.entry_point)
        if problem:
            raise RecordError("invalid_tests", f"{plugin.title} tests: {problem}", record_id=rid)


def _check_vocabulary(record: IntakeRecord, settings: IntakeSettings) -> None:
    rid = record.external_id
    if record.language not in _LANGUAGES:
        raise RecordError(
            "unknown_language",
            f"language {record.language!r} is not one the factory knows ({sorted(_LANGUAGES)})",
            record_id=rid,
        )
    if record.language not in settings.languages:
        raise RecordError(
            "language_not_enabled",
            f"language {record.language!r} is not enabled; intake.languages is "
            f"{settings.languages} (add it there to accept it)",
            record_id=rid,
        )
    if record.task_type not in _TASK_TYPES:
        raise RecordError(
            "unknown_task_type",
            f"task_type {record.task_type!r} is not one of {sorted(_TASK_TYPES)}",
            record_id=rid,
        )


def _check_sizes(record: IntakeRecord, settings: IntakeSettings) -> None:
    limits = {
        "prompt": ("max_prompt_chars", settings.max_prompt_chars),
        "tests": ("max_code_chars", settings.max_code_chars),
        "reference_solution": ("max_code_chars", settings.max_code_chars),
        "code": ("max_code_chars", settings.max_code_chars),
    }
    for name, (setting, limit) in limits.items():
        size = len(getattr(record, name))
        if size > limit:
            raise RecordError(
                "oversize_field",
                f"field {name!r} has {size} characters; intake.{setting} allows {limit}",
                record_id=record.external_id,
            )


def _parse_python(code: str, name: str, record_id: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        code_name = "tests_syntax_error" if name == "tests" else "reference_syntax_error"
        raise RecordError(
            code_name,
            f"{name} do not parse as Python: {exc.msg} at line {exc.lineno}"
            if name == "tests"
            else f"the reference solution does not parse as Python: {exc.msg} at line {exc.lineno}",
            record_id=record_id,
        ) from exc


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign)
# The fields of a statement that hold statements (bodies of blocks, handlers, match cases).
_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def top_level_names(module: ast.Module) -> set[str]:
    """Functions, classes and variables a module defines at its top level."""
    names: set[str] = set()
    for node in module.body:
        if isinstance(node, _DEFINITIONS):
            names.add(node.name)
        elif isinstance(node, _ASSIGNMENTS):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(
                t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name)
            )
    return names


def has_assert(statements: list[ast.stmt]) -> bool:
    """Whether an assert statement is among `statements` or the blocks nested in them.

    Only statements are visited (an assert is never inside an expression), which is many times
    faster than ast.walk over every expression node of the tests.
    """
    pending = list(statements)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Assert):
            return True
        for name in _BLOCK_FIELDS:
            block = getattr(node, name, None)
            if block:
                pending.extend(block)
    return False


def _check_python(record: IntakeRecord) -> None:
    rid = record.external_id
    tests = _parse_python(record.tests, "tests", rid)
    if record.test_style == "check":
        if "check" not in top_level_names(tests):
            raise RecordError(
                "tests_without_check",
                "test_style is 'check' but the tests define no check(candidate) function",
                record_id=rid,
            )
        if not record.entry_point:
            raise RecordError(
                "missing_field",
                "test_style 'check' needs an entry_point: the function check() is given",
                record_id=rid,
            )
    elif not has_assert(tests.body):
        raise RecordError(
            "tests_without_assertions",
            "the tests contain no assert statement, so no candidate could ever fail them",
            record_id=rid,
        )
    if not record.reference_solution.strip():
        return  # to be authored
    reference = _parse_python(record.reference_solution, "reference_solution", rid)
    if record.entry_point and record.entry_point not in top_level_names(reference):
        raise RecordError(
            "entry_point_not_defined",
            f"the reference solution does not define the entry point {record.entry_point!r}",
            record_id=rid,
        )

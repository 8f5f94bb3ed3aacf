"""Reading batch files and turning each record into an `IntakeRecord`.

Five record formats are understood and detected per record, so one file may mix them:
the factory's own schema, HumanEval-style records, MBPP-style records, and the multi-language
HumanEval-X and MultiPL-E records (factory.intake.multilingual). Files are JSON Lines,
plain (`.jsonl`) or gzip-compressed (`.jsonl.gz`). Lines are read as bytes and decoded one at a
time, so one undecodable line is quarantined without losing the lines around it.
"""

import ast
import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from factory.errors import FactoryUserError, RecordError
from factory.intake.control_chars import check_control_characters
from factory.intake.multilingual import from_humaneval_x, from_multipl_e
from factory.intake.records import IntakeRecord, RawLine
from factory.models.storable_text import UNSTORABLE
from factory.vocab import Language, TaskType, WorkKind

BATCH_SUFFIXES = (".jsonl", ".jsonl.gz")
FACTORY_FIELDS = ("id", "language", "task_type", "prompt", "tests", "reference_solution")
HUMANEVAL_FIELDS = ("task_id", "prompt", "canonical_solution", "test", "entry_point")
MBPP_FIELDS = ("task_id", "text", "code", "test_list")


class BatchRefusedError(FactoryUserError):
    """The whole batch file is over a limit of `intake`; nothing of it is written."""


class UnreadableFileError(Exception):
    """The rest of the file cannot be read (e.g. a truncated gzip stream)."""

    def __init__(self, line_no: int, reason: str) -> None:
        self.line_no = line_no
        self.reason = reason
        super().__init__(f"line {line_no}: {reason}")


# Not strict: a raw control character inside a string is then reported by its field and offset
# (control_character) rather than as a bare JSON error. One decoder for every line: json.loads
# with a non-default argument builds a new one each call.
_DECODER = json.JSONDecoder(strict=False)


def is_batch_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(BATCH_SUFFIXES)


def read_lines(path: Path, *, max_line_bytes: int) -> Iterator[RawLine]:
    """Yield every non-blank line of `path`; lines over `max_line_bytes` are cut to that size.

    A cut line still yields (so it can be quarantined as oversize) but only its first bytes are
    kept. Raises UnreadableFileError when the file itself breaks off.
    """
    opener: Callable[[Path, str], Any] = gzip.open if path.name.endswith(".gz") else open
    line_no = 0
    try:
        with opener(path, "rb") as handle:
            while True:
                line_no += 1
                data = handle.readline(max_line_bytes + 1)
                if not data:
                    return
                if len(data) > max_line_bytes and not data.endswith(b"\n"):
                    _skip_rest_of_line(handle)
                if data.strip():
                    yield RawLine(line_no=line_no, data=data)
    except (OSError, EOFError, zlib.error) as exc:
        raise UnreadableFileError(line_no, f"the file cannot be read past here: {exc}") from exc


def check_batch_limits(path: Path, *, max_decompressed_mb: int, max_records: int) -> None:
    """Refuse the whole file, before any record is read, when it decompresses past
    `max_decompressed_mb` MiB or holds more than `max_records` records (non-empty lines).

    One streaming pass in 1 MiB blocks: a gzip bomb is stopped as soon as its output passes the
    limit, without keeping it. A file that breaks off is left for `read_lines` to report.
    """
    opener: Callable[[Path, str], Any] = gzip.open if path.name.endswith(".gz") else open
    max_bytes = max_decompressed_mb << 20
    size = records = 0
    pending = False  # the line the last block ended inside has a non-blank byte
    try:
        with opener(path, "rb") as handle:
            while block := handle.read(1 << 20):
                size += len(block)
                if size > max_bytes:
                    raise BatchRefusedError(
                        f"batch file {path} decompresses to more than {max_decompressed_mb} MiB "
                        f"(intake.max_decompressed_mb); split it or raise the limit"
                    )
                if block.isspace():  # blank lines only (a bomb's filler): nothing to split
                    if b"\n" in block:
                        records += pending
                        pending = False
                    continue
                lines = block.split(b"\n")
                last = lines.pop()
                if lines:
                    lines[0] = b"x" if pending else lines[0]
                    records += sum(1 for line in lines if line.strip())
                    pending = False
                pending = pending or bool(last.strip())
                if records > max_records:
                    break
    except (OSError, EOFError, zlib.error):
        return
    records += pending
    if records > max_records:
        raise BatchRefusedError(
            f"batch file {path} holds more than {max_records} records (intake.max_records); "
            "split it or raise the limit"
        )


def _skip_rest_of_line(handle: Any) -> None:
    while True:
        chunk = handle.readline(1 << 20)
        if not chunk or chunk.endswith(b"\n"):
            return


def parse_line(raw: RawLine, *, max_line_bytes: int) -> IntakeRecord:
    """Decode, parse and adapt one line; raises RecordError saying what is wrong with it."""
    if len(raw.data) > max_line_bytes:
        raise RecordError(
            "oversize_record",
            f"the line is longer than the {max_line_bytes}-byte limit "
            "(intake.max_line_bytes); split the record or raise the limit",
        )
    try:
        text = raw.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(
            "undecodable",
            f"the line is not valid UTF-8 (byte {exc.start}: "
            f"{raw.data[exc.start : exc.start + 1]!r}); re-encode the file as UTF-8",
        ) from exc
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise RecordError(
            "malformed_json",
            f"the line is not valid JSON: {exc.msg} at column {exc.colno}",
        ) from exc
    if not isinstance(value, dict):
        raise RecordError(
            "not_an_object",
            f"the line is a JSON {type(value).__name__}, not an object with the record's fields",
        )
    if _may_hold_unstorable(text):
        check_control_characters(value, _any_id(value))
    return adapt(value)


def _may_hold_unstorable(line: str) -> bool:
    """False when no string parsed from the JSON `line` can hold an unstorable character: the
    line has none itself, and none of the escapes that make one (\\b, \\f, \\u....)."""
    return UNSTORABLE.search(line) is not None or "\\u" in line or "\\b" in line or "\\f" in line


def detect_format(record: dict[str, Any]) -> str:
    """factory | humaneval | humaneval-x | mbpp | multipl-e, by the fields present; RecordError
    when none fits."""
    keys = set(record)
    if "task_id" in keys and "declaration" in keys:
        return "humaneval-x"
    if {"name", "language", "tests", "stop_tokens"} <= keys:
        return "multipl-e"
    if "task_id" in keys and {"canonical_solution", "test"} & keys:
        return "humaneval"
    if "task_id" in keys and {"text", "code", "test_list"} & keys:
        return "mbpp"
    if {"id", "prompt"} & keys:
        return "factory"
    raise RecordError(
        "unknown_format",
        "the record matches no known format (factory: id, language, task_type, prompt, tests, "
        "reference_solution; HumanEval: task_id, prompt, canonical_solution, test, entry_point; "
        "MBPP: task_id, text, code, test_list; HumanEval-X: task_id, prompt, declaration, "
        "canonical_solution, test; MultiPL-E: name, language, prompt, tests, stop_tokens); "
        f"its fields are {sorted(keys)}",
        record_id=_any_id(record),
    )


def adapt(record: dict[str, Any]) -> IntakeRecord:
    fmt = detect_format(record)
    adapters = {
        "factory": _from_factory,
        "humaneval": _from_humaneval,
        "mbpp": _from_mbpp,
        "humaneval-x": from_humaneval_x,
        "multipl-e": from_multipl_e,
    }
    return adapters[fmt](record)


def _any_id(record: dict[str, Any]) -> str | None:
    value = record.get("id", record.get("task_id"))
    return None if value is None else str(value)


def _require(record: dict[str, Any], fields: tuple[str, ...], fmt: str) -> None:
    record_id = _any_id(record)
    for name in fields:
        value = record.get(name)
        if value is None:
            raise RecordError(
                "missing_field", f"{fmt} record has no {name!r} field", record_id=record_id
            )
        if name in ("id", "task_id") and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, str) and name != "test_list":
            raise RecordError(
                "wrong_type",
                f"field {name!r} must be a string, got {type(value).__name__}",
                record_id=record_id,
            )
        if isinstance(value, str) and not value.strip():
            raise RecordError("empty_field", f"field {name!r} is empty", record_id=record_id)


def _optional_str(record: dict[str, Any], name: str, default: str = "") -> str:
    value = record.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise RecordError(
            "wrong_type",
            f"field {name!r} must be a string, got {type(value).__name__}",
            record_id=_any_id(record),
        )
    return value


# Authoring exists to write the reference solution, so a record asking only for authoring may
# leave it out, and its tests too (the author writes them).
AUTHORING_FIELDS = ("id", "language", "task_type", "prompt")


def _work(record: dict[str, Any]) -> list[str]:
    value = record.get("work")
    if value is None:
        return []
    kinds = [value] if isinstance(value, str) else value
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise RecordError(
            "wrong_type",
            "field 'work' must be a kind of work or a list of them",
            record_id=_any_id(record),
        )
    known = {k.value for k in WorkKind}
    unknown = [k for k in kinds if k.strip().lower() not in known]
    if unknown:
        raise RecordError(
            "unknown_work",
            f"work {unknown} is not among the kinds of work {sorted(known)}",
            record_id=_any_id(record),
        )
    return list(dict.fromkeys(k.strip().lower() for k in kinds))


def _from_factory(record: dict[str, Any]) -> IntakeRecord:
    work = _work(record)
    authoring = WorkKind.AUTHORING in work
    # A bug fix on a repository task takes its code and tests from the task.
    on_repository = bool(_optional_str(record, "repo_task").strip())
    _require(record, AUTHORING_FIELDS if authoring or on_repository else FACTORY_FIELDS, "factory")
    if authoring and work != [WorkKind.AUTHORING]:
        _require(record, ("tests",), "factory")
    metadata = record.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise RecordError(
            "wrong_type",
            f"field 'metadata' must be an object, got {type(metadata).__name__}",
            record_id=_any_id(record),
        )
    scaled = record.get("scaled_input")
    language = record["language"].strip().lower()
    # Python's default style is pytest; every other language's is its native test form.
    default_style = "pytest" if language == Language.PYTHON else "native"
    return IntakeRecord(
        external_id=str(record["id"]).strip(),
        language=language,
        task_type=record["task_type"].strip().lower(),
        prompt=record["prompt"],
        tests=_optional_str(record, "tests"),
        reference_solution=_optional_str(record, "reference_solution"),
        entry_point=_optional_str(record, "entry_point").strip(),
        test_style=_optional_str(record, "test_style", default_style).strip() or default_style,
        scaled_input=_optional_str(record, "scaled_input") if scaled is not None else None,
        licence=_optional_str(record, "licence") or _optional_str(record, "license"),
        source=_optional_str(record, "source"),
        metadata=metadata,
        format="factory",
        work=work,
        code=_optional_str(record, "code").replace("\r\n", "\n"),
        repo_task=_optional_str(record, "repo_task").strip(),
    )


def _from_humaneval(record: dict[str, Any]) -> IntakeRecord:
    _require(record, HUMANEVAL_FIELDS, "HumanEval")
    return IntakeRecord(
        external_id=str(record["task_id"]).strip(),
        language=Language.PYTHON.value,
        task_type=TaskType.CODE_GENERATION.value,
        prompt=record["prompt"],
        tests=record["test"],
        # The prompt is the signature and docstring; with the body it is a complete function.
        reference_solution=record["prompt"] + record["canonical_solution"],
        entry_point=record["entry_point"].strip(),
        test_style="check",
        licence=_optional_str(record, "licence") or "MIT",
        source=_optional_str(record, "source") or "openai/human-eval",
        metadata={"format": "humaneval"},
        format="humaneval",
    )


def _from_mbpp(record: dict[str, Any]) -> IntakeRecord:
    _require(record, MBPP_FIELDS, "MBPP")
    record_id = f"MBPP/{record['task_id']}"
    asserts = record["test_list"]
    if not isinstance(asserts, list) or not asserts or not all(isinstance(a, str) for a in asserts):
        raise RecordError(
            "wrong_type",
            "field 'test_list' must be a non-empty list of strings",
            record_id=record_id,
        )
    setup = _optional_str(record, "test_setup_code").strip()
    entry_point = _called_function(record["code"], asserts)
    tests = (setup + "\n\n\n" if setup else "") + "\n\n\n".join(
        f"def test_{index}():\n    {line.strip()}\n" for index, line in enumerate(asserts, 1)
    )
    prompt = record["text"].strip()
    if entry_point:
        prompt += f"\nName the function `{entry_point}`. It must pass, for example:\n{asserts[0]}\n"
    return IntakeRecord(
        external_id=record_id,
        language=Language.PYTHON.value,
        task_type=TaskType.CODE_GENERATION.value,
        prompt=prompt,
        tests=tests,
        reference_solution=record["code"].replace("\r\n", "\n"),
        entry_point=entry_point,
        test_style="pytest",
        licence=_optional_str(record, "licence") or "CC-BY-4.0",
        source=_optional_str(record, "source") or "mbpp",
        metadata={"format": "mbpp", "task_id": record["task_id"]},
        format="mbpp",
    )


def _called_function(code: str, asserts: list[str]) -> str:
    """The first function defined by `code` that the asserts call ("" when it cannot tell)."""
    try:
        defined = [
            node.name
            for node in ast.parse(code.replace("\r\n", "\n")).body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        called = {
            node.func.id
            for line in asserts
            for node in ast.walk(ast.parse(line.strip()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        }
    except SyntaxError:
        return ""  # validation reports the syntax error with its line
    return next((name for name in defined if name in called), "")

"""`factory sandbox check FILE`: judge every record of a batch file in the sandbox, as JSON lines.

FILE is anything intake accepts (the factory's schema, HumanEval, MBPP, HumanEval-X, MultiPL-E;
plain or gzip JSON Lines). A record may carry a `candidate` field, the code to judge; without one
its reference solution is judged. One JSON object per record goes to standard output, in file
order: the verdict, the per-test results, the compiler's output and the timings; a record intake
would refuse gets an error object naming the record and the reason instead. Nothing is written to
the database. Exit status: 0 when every record was judged, 1 when any was refused, 2 when the
file or the sandbox cannot be used.
"""

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from factory.errors import FactoryUserError, RecordError, SandboxUnavailableError
from factory.execution.stage import job_test_style
from factory.intake.formats import UnreadableFileError, parse_line, read_lines
from factory.intake.records import IntakeRecord
from factory.intake.validate import validate
from factory.languages import LANGUAGES
from factory.sandbox import ExecutionJob, ExecutionOutcome, open_sandbox
from factory.settings import FactoryConfig, load_config

_CHUNK = 32  # records judged together (the pool runs them concurrently)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sandbox_command", required=True)
    check = sub.add_parser(
        "check",
        help="judge each record's candidate (or reference) and print one JSON line per record",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("file", type=Path, help="a .jsonl or .jsonl.gz batch file")
    check.add_argument("--config", default=None, help="factory YAML config (default: built-in)")
    check.add_argument("--backend", default=None, help="docker | bwrap | unsafe-local | auto")
    check.add_argument("--timeout", type=float, default=None, help="run timeout in seconds")


@dataclass(slots=True)
class _Item:
    line_no: int
    record: IntakeRecord
    judged: str  # candidate | reference
    job: ExecutionJob


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        if args.backend:
            config.sandbox.backend = args.backend
        if args.timeout:
            config.sandbox.timeout_s = args.timeout
        if not args.file.is_file():
            raise FactoryUserError(f"{args.file}: no such file")
        return check_file(args.file, config, sys.stdout)
    except (FactoryUserError, SandboxUnavailableError) as exc:
        print(json.dumps({"error": "unusable", "reason": str(exc)}), file=sys.stdout)
        return 2


def check_file(path: Path, config: FactoryConfig, out: TextIO) -> int:
    refused = 0
    with open_sandbox(config.sandbox) as sandbox:
        chunk: list[_Item | dict[str, Any]] = []
        for entry in _entries(path, config):
            chunk.append(entry)
            if len(chunk) >= _CHUNK:
                refused += _flush(chunk, sandbox, out)
                chunk = []
        refused += _flush(chunk, sandbox, out)
    return 1 if refused else 0


def _entries(path: Path, config: FactoryConfig) -> Iterator["_Item | dict[str, Any]"]:
    settings = config.intake
    try:
        for raw in read_lines(path, max_line_bytes=settings.max_line_bytes):
            record: IntakeRecord | None = None
            try:
                record = parse_line(raw, max_line_bytes=settings.max_line_bytes)
                validate(record, settings)
                candidate = _candidate_field(raw.text(), record.external_id)
                if record.language not in LANGUAGES:
                    raise RecordError(
                        "unsupported_language",
                        f"the sandbox has no runner for {record.language!r} (it runs "
                        f"{', '.join(LANGUAGES)})",
                        record_id=record.external_id,
                    )
                item = _Item(
                    line_no=raw.line_no,
                    record=record,
                    judged="reference" if candidate is None else "candidate",
                    job=ExecutionJob(
                        code=record.reference_solution if candidate is None else candidate,
                        tests=record.tests,
                        entry_point=record.entry_point,
                        test_style=job_test_style(record.language, record.test_style),
                        timeout_s=config.sandbox.timeout_s,
                        compile_timeout_s=config.sandbox.compile_timeout_s,
                        memory_mb=config.sandbox.memory_mb,
                        language=record.language,
                    ),
                )
                if record.language != "python":  # the plug-in refuses what it cannot run
                    LANGUAGES[record.language].program(item.job)
                yield item
            except RecordError as exc:
                yield {
                    "id": exc.record_id,
                    "line": raw.line_no,
                    "error": exc.code,
                    "reason": exc.reason,
                }
            except ValueError as exc:
                yield {
                    "id": record.external_id if record is not None else None,
                    "line": raw.line_no,
                    "error": "invalid_job",
                    "reason": str(exc),
                }
    except UnreadableFileError as exc:
        yield {"id": None, "line": exc.line_no, "error": "unreadable_file", "reason": exc.reason}


def _candidate_field(text: str, record_id: str) -> str | None:
    value = json.loads(text).get("candidate")
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(
            "wrong_type",
            f"field 'candidate' must be a string, got {type(value).__name__}",
            record_id=record_id,
        )
    return value


def _flush(chunk: list["_Item | dict[str, Any]"], sandbox: Any, out: TextIO) -> int:
    items = [entry for entry in chunk if isinstance(entry, _Item)]
    outcomes = iter(sandbox.run_many([item.job for item in items]))
    refused = 0
    for entry in chunk:
        if isinstance(entry, _Item):
            line = outcome_json(entry, next(outcomes))
        else:
            line, refused = entry, refused + 1
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    out.flush()
    return refused


def outcome_json(item: _Item, outcome: ExecutionOutcome) -> dict[str, Any]:
    record = item.record
    return {
        "id": record.external_id,
        "line": item.line_no,
        "language": record.language,
        "format": record.format,
        "test_style": item.job.test_style,
        "judged": item.judged,
        "verdict": str(outcome.verdict),
        "error_type": outcome.error_type,
        "tests_passed": outcome.tests_passed,
        "tests_total": outcome.tests_total,
        "tests": [
            {
                "name": test.name,
                "outcome": test.outcome,
                "message": test.message,
                "duration_s": round(test.duration_s, 6),
            }
            for test in outcome.tests
        ],
        "compile_output": outcome.compile_output,
        "stderr": outcome.stderr[-2000:],
        "timings": {
            "compile_s": round(outcome.compile_time_s, 6),
            "run_s": round(max(outcome.wall_time_s - outcome.compile_time_s, 0.0), 6),
            "wall_s": round(outcome.wall_time_s, 6),
        },
        "backend": outcome.backend,
        "image": outcome.image,
    }

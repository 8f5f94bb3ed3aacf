"""`factory sandbox check FILE`: judge every record of a batch file in the sandbox, as JSON lines;
`factory sandbox serve`: the sandbox as an HTTP service (see `serve` below).

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
from factory.sandbox import ExecutionJob, ExecutionOutcome, open_pool, open_sandbox
from factory.sandbox.process import ServerFailure
from factory.settings import SANDBOX_TOKEN_ENV, FactoryConfig, environment, load_config

_CHUNK = 32  # records judged together (the pool runs them concurrently)
_LOOPBACK = ("127.", "::1", "localhost")
SERVE_HELP = """\
Serve the sandbox over HTTP on the warm pool: SandboxFusion's POST /run_code (verl's
sandbox_fusion reward works unchanged), POST /v1/jobs and /v1/jobs/batch (judged test jobs),
GET /health and GET /metrics (Prometheus). Clients send the token from FACTORY_SANDBOX_TOKEN as
`Authorization: Bearer TOKEN` (or as the password in the URL, http://NAME:TOKEN@host:port/run_code);
the service refuses to start without one unless --no-auth is given on a loopback address.
Limits: the `sandbox.service` settings.
"""


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
    check.add_argument(
        "--backend", default=None, help="docker | bwrap | service | unsafe-local | auto"
    )
    check.add_argument("--timeout", type=float, default=None, help="run timeout in seconds")
    serve = sub.add_parser(
        "serve",
        help="the sandbox as an HTTP service: SandboxFusion's /run_code, /v1/jobs, /metrics",
        description=SERVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default=None, help="address (default: sandbox.service.host)")
    serve.add_argument("--port", type=int, default=None, help="default: sandbox.service.port")
    serve.add_argument("--config", default=None, help="factory YAML config (default: built-in)")
    serve.add_argument(
        "--backend", default=None, help="docker | bwrap | service | unsafe-local | auto"
    )
    serve.add_argument(
        "--no-auth",
        action="store_true",
        help="serve without a token, for local experiments (loopback addresses only)",
    )


@dataclass(slots=True)
class _Item:
    line_no: int
    record: IntakeRecord
    judged: str  # candidate | reference
    job: ExecutionJob


def run(args: argparse.Namespace) -> int:
    if args.sandbox_command == "serve":
        return serve(args)
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
        **outcome.as_json(),
    }


def serve(args: argparse.Namespace) -> int:
    """`factory sandbox serve`: open and warm the pool, then serve it until interrupted."""
    import uvicorn

    from factory.sandbox.service import create_app

    try:
        config = load_config(args.config)
    except FactoryUserError as exc:
        print(f"sandbox serve: {exc}", file=sys.stderr)
        return 2
    if args.backend:
        config.sandbox.backend = args.backend
    service = config.sandbox.service
    host = args.host or service.host
    port = service.port if args.port is None else args.port
    token: str | None = environment().sandbox_token
    if args.no_auth:
        if not host.startswith(_LOOPBACK):
            print(
                f"sandbox serve: --no-auth serves only a loopback address, not {host!r}",
                file=sys.stderr,
            )
            return 2
        token = None
    elif not token:
        print(
            f"sandbox serve: set {SANDBOX_TOKEN_ENV} to the token clients must send "
            "(or pass --no-auth to experiment on a loopback address)",
            file=sys.stderr,
        )
        return 2
    try:
        sandbox = open_pool(config.sandbox)
    except SandboxUnavailableError as exc:
        print(f"sandbox serve: {exc}", file=sys.stderr)
        return 2
    with sandbox:
        try:
            sandbox.warm_up()
        except (SandboxUnavailableError, ServerFailure) as exc:
            print(f"sandbox serve: the sandbox did not start: {exc}", file=sys.stderr)
            return 2
        auth = "token required" if token else "NO authentication"
        print(f"sandbox service on http://{host}:{port} ({sandbox.backend}, {auth})", flush=True)
        # The access log shows methods and paths only: tokens travel in headers.
        uvicorn.run(create_app(sandbox, config.sandbox, token=token), host=host, port=port)
    return 0

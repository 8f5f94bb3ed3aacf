"""SandboxFusion's `POST /run_code`, as its clients send it and read it back.

Request: `code`, `language` (SandboxFusion's names: python, cpp, nodejs, typescript, go, java,
rust, bash, ruby, php, sql; also c, js, ts, javascript), `stdin`, `compile_timeout` and
`run_timeout` (seconds), `memory_limit_MB` (-1: the sandbox's own; more than
`sandbox.memory_mb` is lowered to it, the most a warm sandbox holds), `files` (path -> base64,
written beside the program) and `fetch_files` (paths read back after the run). Unknown fields
are ignored, as SandboxFusion ignores them.

Response: `status` Success (every step exited 0) | Failed (a compile error, a nonzero exit, a
signal or a time limit) | SandboxError (the sandbox's own failure, with `message`);
`compile_result` (languages with a build step) and `run_result` (absent when the build failed),
each `{status: Finished | TimeLimitExceeded, execution_time, return_code, stdout, stderr}`, where
`return_code` is minus the signal's number when a signal ended the step and null at a time
limit; `files` (path -> base64, those of `fetch_files` that exist as regular files inside the
working directory). The compiler's messages are `compile_result.stderr`.
"""

import base64
import binascii
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from factory.languages import LANGUAGES as LANGUAGE_PLUGINS
from factory.sandbox.job import RunJob, RunOutcome, StepOutcome
from factory.settings import SandboxSettings
from factory.vocab import Verdict

# SandboxFusion's language names (and a few of ours) -> factory.languages.
LANGUAGES: dict[str, str] = {
    "python": "python",
    "cpp": "cpp",
    "c": "c",
    "nodejs": "javascript",
    "js": "javascript",
    "javascript": "javascript",
    "typescript": "typescript",
    "ts": "typescript",
    "go": "go",
    "java": "java",
    "rust": "rust",
    "bash": "bash",
    "ruby": "ruby",
    "php": "php",
    "sql": "sql",
}


class RunCodeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    language: str
    compile_timeout: float = 10.0
    run_timeout: float = 10.0
    memory_limit_MB: int = -1
    stdin: str | None = None
    files: dict[str, str | None] = Field(default_factory=dict)
    fetch_files: list[str] = Field(default_factory=list)


def run_job(request: RunCodeRequest, settings: SandboxSettings) -> RunJob:
    """The sandbox's job for a request; ValueError names what is wrong with it."""
    language = LANGUAGES.get(request.language)
    if language is None:
        raise ValueError(
            f"language {request.language!r} is not supported; supported: {', '.join(LANGUAGES)}"
        )
    longest = settings.service.max_timeout_s
    for name, value in (
        ("compile_timeout", request.compile_timeout),
        ("run_timeout", request.run_timeout),
    ):
        if not 0 < value <= longest:
            raise ValueError(
                f"{name} must be above 0 and at most {longest:g} s "
                f"(sandbox.service.max_timeout_s), not {value:g}"
            )
    memory = settings.memory_mb
    if request.memory_limit_MB > 0:
        memory = min(request.memory_limit_MB, settings.memory_mb)
    files: dict[str, bytes] = {}
    for name, content in request.files.items():
        if content is None:  # SandboxFusion skips these too
            continue
        try:
            files[name] = base64.b64decode(content, validate=True)
        except binascii.Error:
            raise ValueError(f"file {name!r} is not base64") from None
    job = RunJob(
        code=request.code,
        language=language,
        stdin=request.stdin or "",
        files=files,
        fetch_files=tuple(request.fetch_files),
        timeout_s=request.run_timeout,
        compile_timeout_s=request.compile_timeout,
        memory_mb=memory,
    )
    own = LANGUAGE_PLUGINS[language].run_program(job).files
    clash = sorted(set(files) & set(own))
    if clash:
        raise ValueError(f"file {clash[0]!r} is the program's own; name it otherwise")
    return job


def _command_result(step: StepOutcome) -> dict[str, Any]:
    return {
        "status": "TimeLimitExceeded" if step.timed_out else "Finished",
        "execution_time": round(step.time_s, 6),
        "return_code": step.exit_code,
        "stdout": step.stdout,
        "stderr": step.stderr,
    }


def run_code_response(outcome: RunOutcome) -> dict[str, Any]:
    """The SandboxFusion response for a run (see the module docstring)."""
    if outcome.verdict == Verdict.SANDBOX_ERROR:
        status = "SandboxError"
    elif outcome.verdict == Verdict.PASSED:
        status = "Success"
    else:
        status = "Failed"
    message = (outcome.message or outcome.error_type or "") if status == "SandboxError" else ""
    return {
        "status": status,
        "message": message,
        "compile_result": None if outcome.compile is None else _command_result(outcome.compile),
        "run_result": None if outcome.run is None else _command_result(outcome.run),
        "files": {name: base64.b64encode(data).decode() for name, data in outcome.files.items()},
    }

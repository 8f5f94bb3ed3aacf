"""`POST /v1/jobs` and `/v1/jobs/batch`: judged test jobs, answered as the execution stage sees
them.

A job is an `ExecutionJob`'s fields: `code`, `tests`, `language` (factory.languages' names),
`entry_point`, `test_style` (pytest | check for Python, native | program otherwise; empty: pytest
for Python, native for the rest), and optionally `timeout_s`, `compile_timeout_s`, `memory_mb`
(default: the sandbox's settings; at most `sandbox.service.max_timeout_s` and `sandbox.memory_mb`)
and an `id` echoed back. The answer is `factory sandbox check`'s per-record shape
(`ExecutionOutcome.as_json`: verdict, error_type, per-test name/outcome/message/duration_s,
compile_output, stderr, timings, backend, image) plus `stdout` and `peak_memory_kb`.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from factory.languages import LANGUAGES
from factory.sandbox.job import ExecutionJob, ExecutionOutcome
from factory.settings import SandboxSettings


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    tests: str
    language: str = "python"
    entry_point: str = ""
    test_style: str = ""
    timeout_s: float | None = None
    compile_timeout_s: float | None = None
    memory_mb: int | None = None
    id: str = ""


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jobs: list[JobRequest] = Field(min_length=1)


def execution_job(request: JobRequest, settings: SandboxSettings) -> ExecutionJob:
    """The sandbox's job for a request; ValueError names what is wrong with it (a job its
    language's plug-in cannot run included, so a batch is refused before any of it runs)."""
    plugin = LANGUAGES.get(request.language)
    if plugin is None:
        raise ValueError(
            f"language {request.language!r} is not supported; supported: {', '.join(LANGUAGES)}"
        )
    longest = settings.service.max_timeout_s
    timeout = settings.timeout_s if request.timeout_s is None else request.timeout_s
    compile_timeout = (
        settings.compile_timeout_s
        if request.compile_timeout_s is None
        else request.compile_timeout_s
    )
    for name, value in (("timeout_s", timeout), ("compile_timeout_s", compile_timeout)):
        if value > longest:
            raise ValueError(
                f"{name} may be at most {longest:g} s (sandbox.service.max_timeout_s), "
                f"not {value:g}"
            )
    memory = settings.memory_mb if request.memory_mb is None else request.memory_mb
    if memory > settings.memory_mb:
        raise ValueError(f"memory_mb may be at most {settings.memory_mb} (sandbox.memory_mb)")
    style = request.test_style or ("pytest" if request.language == "python" else "native")
    if style not in plugin.test_styles:
        raise ValueError(f"{plugin.title} takes test styles {list(plugin.test_styles)}")
    job = ExecutionJob(
        code=request.code,
        tests=request.tests,
        entry_point=request.entry_point,
        test_style=style,  # type: ignore[arg-type]  # checked against the plug-in's just above
        timeout_s=timeout,
        compile_timeout_s=compile_timeout,
        memory_mb=memory,
        language=request.language,
    )
    problem = plugin.check_tests(job.tests, style, job.entry_point)  # as intake checks them
    if problem:
        raise ValueError(problem)
    if request.language != "python":
        plugin.program(job)  # raises ValueError for tests it cannot run
    return job


def job_response(request: JobRequest, job: ExecutionJob, outcome: ExecutionOutcome) -> dict:
    body: dict[str, Any] = {"id": request.id, "language": job.language}
    body["test_style"] = job.test_style
    body |= outcome.as_json(stderr_tail=len(outcome.stderr))
    body["stdout"] = outcome.stdout
    body["peak_memory_kb"] = outcome.peak_memory_kb
    return body

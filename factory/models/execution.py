"""Sandbox runs, their per-test results, and the static-analysis findings on each candidate."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, text_field
from factory.models.storable_text import escaped_flag_field


class ExecutionRun(SQLModel, table=True):
    """One run of one candidate against its prompt's tests in the sandbox."""

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    prompt_id: int = Field(foreign_key="prompt.id", index=True)
    batch_id: str = Field(foreign_key="batch.id", index=True, max_length=200)
    # sha256 of (code, tests, entry point, image, limits): a rerun with the same key reuses it.
    cache_key: str = Field(max_length=64, index=True)
    attempt: int = 1  # 2 for the stability re-run
    backend: str = Field(max_length=20)  # docker | bwrap | unsafe-local
    image: str = Field(default="", max_length=200)
    verdict: str = Field(max_length=20, index=True)  # vocab.Verdict
    error_type: str | None = Field(default=None, max_length=200)
    tests_total: int = 0
    tests_passed: int = 0
    wall_time_s: float = 0.0
    peak_memory_kb: int = 0
    stdout: str = text_field()  # truncated to the configured bound
    stderr: str = text_field()
    # What the compiler printed (compiled languages), kept apart from the program's output.
    compile_output: str = text_field()
    compile_time_s: float = 0.0
    # True when stdout, stderr or error_type had characters no database can hold (NUL, lone
    # surrogates, other controls) escaped as \x00 / \ud800 (factory.models.storable_text).
    output_escaped: bool = escaped_flag_field()
    created_at: datetime = created_at_field()


class TestResult(SQLModel, table=True):
    __test__ = False  # not a pytest class

    id: int | None = Field(default=None, primary_key=True)
    execution_run_id: int = Field(foreign_key="executionrun.id", index=True)
    name: str = Field(max_length=300)
    outcome: str = Field(max_length=20)  # passed | failed | error | skipped
    message: str = text_field()  # assertion message or exception text
    duration_s: float = 0.0
    output_escaped: bool = escaped_flag_field()  # name or message escaped, as on ExecutionRun


class Finding(SQLModel, table=True):
    """One automatic signal on a candidate, as a row: a bandit issue, a ruff rule hit, a metric."""

    id: int | None = Field(default=None, primary_key=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    tool: str = Field(max_length=20, index=True)  # bandit | ruff | radon | sandbox | parser
    dimension: str = Field(max_length=20, index=True)  # vocab.Dimension
    rule_id: str = Field(default="", max_length=60)  # B602, E501, cc, mi, growth ...
    severity: str = Field(default="", max_length=20)
    confidence: str = Field(default="", max_length=20)
    cwe_id: int | None = Field(default=None, index=True)
    line: int | None = None
    value: float | None = None  # for metrics (complexity, maintainability, seconds, ...)
    message: str = text_field()
    created_at: datetime = created_at_field()

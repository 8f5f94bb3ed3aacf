"""The one shape every input format is turned into before validation."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RawLine:
    """One line of a batch file as received: its 1-based number and its undecoded bytes."""

    line_no: int
    data: bytes

    def text(self) -> str:
        """The line for a person to read, even when it is not valid UTF-8."""
        return self.data.decode("utf-8", errors="replace").rstrip("\r\n")


@dataclass(slots=True)
class IntakeRecord:
    """A prompt in the factory's own schema, whatever format it arrived in."""

    external_id: str
    language: str
    task_type: str
    prompt: str
    tests: str
    reference_solution: str
    entry_point: str = ""
    test_style: str = "pytest"  # pytest | check (the tests define check(candidate))
    scaled_input: str | None = None
    licence: str = ""
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    format: str = "factory"
    # Kinds of work asked for (vocab.WorkKind values); empty: the task type's default.
    work: list[str] = field(default_factory=list)
    code: str = ""  # the code to review, fix or refactor, when the record brings it
    repo_task: str = ""  # a bug fix on a repository task: its instance id (factory envs build)

"""The shape of a work plug-in, the rubric it shows, and what it is given to work with."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlmodel import Session

from factory.envs.container import Phase, SessionResult
from factory.models import Prompt, RepoTask
from factory.review.errors import ReviewError
from factory.sandbox.job import ExecutionOutcome
from factory.settings import ReviewSettings

Payload = dict[str, Any]
Fields = Mapping[str, str]
# Runs code against tests in the task's language, in the sandbox: the submit path hands
# plug-ins this (factory.tasktypes.checking.code_runner), never a backend.
RunCode = Callable[[str, str], ExecutionOutcome]
# Runs phases in a repository task's environment: (instance id, phases) -> the session.
RepoSession = Callable[[str, list[Phase]], SessionResult]


class WorkRefused(ReviewError):
    """The sandbox's check refused a submission; the reason says what to change."""


@dataclass(frozen=True, slots=True)
class Rubric:
    """What the page shows above the form; its version is stored with every submission."""

    version: str
    summary: str
    sections: tuple[tuple[str, str], ...]  # (heading, what it means)


@dataclass(frozen=True, slots=True)
class CandidateText:
    candidate_id: int
    code: str


@dataclass(frozen=True, slots=True)
class WorkContext:
    """Everything a plug-in needs about one task, read once before any check runs."""

    task_id: int
    kind: str
    prompt_id: int
    language: str
    prompt: str
    tests: str
    entry_point: str
    test_style: str
    reference_solution: str
    code: str = ""  # the code the work is on: reviewed, fixed or refactored
    candidates: tuple[CandidateText, ...] = ()  # ranking: in the task's canonical order
    subject: dict[str, Any] = field(default_factory=dict)
    # How messages name the work: the reviewer app names the claim, as for pairs.
    label: str = ""
    repo_task: RepoTask | None = None  # a bug fix on a repository task

    @property
    def where(self) -> str:
        return self.label or f"task {self.task_id}"


@dataclass(frozen=True, slots=True)
class PlannedWork:
    """One task a plug-in wants queued for a prompt; `work_key` makes reruns add nothing."""

    prompt_id: int
    work_key: str
    subject: dict[str, Any] = field(default_factory=dict)
    candidate_id: int | None = None  # the candidate the work is on, if any
    candidates: tuple[int, ...] = ()  # ranking: the candidates, in canonical order


@dataclass(frozen=True, slots=True)
class Verification:
    """What the sandbox found; stored with the submission (only accepted ones are stored)."""

    checks: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"checks": list(self.checks)} if self.checks else {}


class WorkType:
    """One kind of work. Subclasses set the class attributes and override the methods."""

    kind: ClassVar[str]
    title: ClassVar[str]
    rubric: ClassVar[Rubric]
    template: ClassVar[str]  # the reviewer app's page for it
    checked_in_sandbox: ClassVar[bool] = False

    def plan(self, session: Session, prompt: Prompt, settings: ReviewSettings) -> list[PlannedWork]:
        """The tasks this kind wants for one prompt that asked for it."""
        raise NotImplementedError

    def parse(self, fields: Fields, context: WorkContext) -> Payload:
        """A validated payload from the page's fields; WorkError names what is wrong."""
        raise NotImplementedError

    def verify(
        self,
        payload: Payload,
        context: WorkContext,
        run: RunCode | None,
        repo: RepoSession | None = None,
    ) -> Verification:
        """Refuse (WorkRefused) what the sandbox shows to be wrong. Default: nothing to run.
        `repo` runs phases in a repository task's environment (bug fixes on such tasks)."""
        return Verification()

    def cross_checks(
        self, payload: Payload, earlier: list[tuple[int, Payload]], run: RunCode
    ) -> list[dict[str, Any]]:
        """Checks of this submission against earlier ones of the same task ((submission id,
        payload) pairs): {"other_submission_id", "direction", "passed"}. Default: none."""
        return []

    def store(self, session: Session, submission_id: int, payload: Payload) -> None:
        """Write the submission's structured rows (ranks, spans, steps)."""

    def answer_text(self, payload: Payload) -> str:
        """The submission's answer in words: what reasoning notes lead up to."""
        return ""


class WorkError(ReviewError):
    """A submitted form is incomplete or out of range."""


def required_text(fields: Fields, name: str, label: str, *, limit: int, where: str) -> str:
    value = str(fields.get(name, "")).strip()
    if not value:
        raise WorkError(f"{where}: {label} is required")
    if len(value) > limit:
        raise WorkError(f"{where}: {label} is longer than {limit} characters")
    return value


def optional_text(fields: Fields, name: str, label: str, *, limit: int, where: str) -> str:
    value = str(fields.get(name, "")).strip()
    if len(value) > limit:
        raise WorkError(f"{where}: {label} is longer than {limit} characters")
    return value


def code_text(fields: Fields, name: str, label: str, *, limit: int, where: str) -> str:
    """Code as typed, trailing whitespace aside; browsers send CRLF, programs want LF."""
    value = str(fields.get(name, "")).replace("\r\n", "\n").rstrip()
    if not value.strip():
        raise WorkError(f"{where}: {label} is required")
    if len(value) > limit:
        raise WorkError(f"{where}: {label} is longer than {limit} characters")
    return value + "\n"

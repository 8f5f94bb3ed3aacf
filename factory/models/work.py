"""Work other than pairwise comparison: what it is on and what people submitted for it.

A Submission is to every kind of work what an Annotation is to a pair: one person's answer to
one claimed task, with the time it took, the rubric version it was given under and, for kinds
the sandbox can check, what the check found. Its structured parts have tables of their own so
they can be counted and traced: ranks, review spans, refactoring steps, reasoning notes.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from factory.models._base import created_at_field, json_field, text_field


class TaskCandidate(SQLModel, table=True):
    """A candidate a ranking task shows, in the task's canonical order (`position`)."""

    __table_args__ = (
        UniqueConstraint("task_id", "candidate_id"),
        UniqueConstraint("task_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="reviewtask.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    position: int


class Submission(SQLModel, table=True):
    """One person's answer to a task of a kind other than pairwise (vocab.WorkKind)."""

    __table_args__ = (UniqueConstraint("task_id", "reviewer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="reviewtask.id", index=True)
    claim_id: int = Field(foreign_key="taskclaim.id", unique=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    kind: str = Field(max_length=20, index=True)
    rubric_version: str = Field(max_length=40)
    # The kind's own fields as validated (factory.tasktypes documents each): code, comments…
    payload: dict[str, Any] = json_field()
    # What the sandbox found when it checked the submission ({} for kinds it cannot check).
    verification: dict[str, Any] = json_field()
    seconds_spent: float = 0.0
    simulated: bool = False
    created_at: datetime = created_at_field()


class RankEntry(SQLModel, table=True):
    """A candidate's place (1 = best) in one ranking, with its five dimension scores."""

    __table_args__ = (UniqueConstraint("submission_id", "candidate_id"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    candidate_id: int = Field(foreign_key="candidate.id", index=True)
    rank: int
    scores: dict[str, int] = json_field()  # {dimension: 1..5}


class ReviewSpan(SQLModel, table=True):
    """A marked line span of a code-review submission."""

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    start_line: int  # 1-based, inclusive
    end_line: int
    category: str = Field(max_length=30)  # factory.tasktypes.code_review.CATEGORIES
    severity: str = Field(max_length=20)  # low | medium | high | critical
    cwe: str = Field(default="", max_length=20)  # "CWE-89"; required for security findings
    comment: str = text_field()
    suggested_fix: str = text_field()


class RefactorStep(SQLModel, table=True):
    """One step of a refactoring trajectory: the code after it, why, and what the tests said."""

    __table_args__ = (UniqueConstraint("submission_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    position: int  # 1-based
    code: str = text_field()
    why: str = text_field()
    verdict: str = Field(max_length=20)  # vocab.Verdict of the tests on this step's code
    tests_passed: int = 0
    tests_total: int = 0
    breaks_tests: bool = False  # flagged: a step the tests refused


class ReasoningNote(SQLModel, table=True):
    """A note written while working a claim, stamped when it was written.

    Notes belong to the claim (they exist before anything is submitted) and so sit beside any
    kind of work, pairwise included; packaging reads them as the reasoning before the answer.
    """

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="taskclaim.id", index=True)
    task_id: int = Field(foreign_key="reviewtask.id", index=True)
    reviewer_id: int = Field(foreign_key="reviewer.id", index=True)
    seconds_in: float  # seconds since the claim began
    text: str = text_field()
    created_at: datetime = created_at_field()

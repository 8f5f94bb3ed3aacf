"""The submissions agreement on work beyond pairs is computed from, read once into plain rows."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from factory.models import ReviewTask, Submission


@dataclass(frozen=True, slots=True)
class WorkAnswer:
    """One accepted submission, with the task's breakdown keys."""

    submission_id: int
    task_id: int
    reviewer_id: int
    kind: str  # vocab.WorkKind
    language: str
    rubric_version: str
    payload: dict[str, Any]
    verification: dict[str, Any]
    seconds_spent: float
    simulated: bool

    def field(self, key: str) -> Any:
        """A payload field; a ValueError names the submission when it is missing."""
        try:
            return self.payload[key]
        except (KeyError, TypeError):
            raise ValueError(
                f"submission {self.submission_id} ({self.kind}, task {self.task_id}): its payload "
                f"has no {key!r}"
            ) from None

    def cross_checks(self) -> list[bool]:
        """Whether each cross-check against an earlier submission of the task passed."""
        checks = (self.verification or {}).get("cross", [])
        if not isinstance(checks, list) or not all(
            isinstance(c, dict) and isinstance(c.get("passed"), bool) for c in checks
        ):
            raise ValueError(
                f"submission {self.submission_id} ({self.kind}, task {self.task_id}): "
                "verification['cross'] must be a list of checks each with a true/false 'passed'"
            )
        return [c["passed"] for c in checks]


def load_work_answers(session: Session, batch_ids: list[str]) -> list[WorkAnswer]:
    """Every submission to the given batches' tasks, by task then submission order."""
    rows = session.execute(
        select(
            col(Submission.id),
            col(Submission.task_id),
            col(Submission.reviewer_id),
            col(Submission.kind),
            col(ReviewTask.language),
            col(Submission.rubric_version),
            col(Submission.payload),
            col(Submission.verification),
            col(Submission.seconds_spent),
            col(Submission.simulated),
        )
        .join(ReviewTask, col(ReviewTask.id) == Submission.task_id)
        .where(col(ReviewTask.batch_id).in_(batch_ids))
        .order_by(col(Submission.task_id), col(Submission.id))
    ).all()
    return [WorkAnswer(*row) for row in rows]

"""Per-batch review progress, and when a batch's reviews count as complete.

A batch is complete when it has review tasks and every one is `complete` or `adjudicated`.
Its completion marker changes whenever the set of finished tasks could have changed (task count
and the last completion time), so a batch that gains tasks and completes again is seen anew.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlmodel import Session, col

from factory.models import ReviewTask
from factory.vocab import TaskStatus

DONE_STATUSES = (TaskStatus.COMPLETE, TaskStatus.ADJUDICATED)


@dataclass(frozen=True, slots=True)
class BatchProgress:
    batch_id: str
    tasks: int
    open: int
    adjudication: int
    done: int
    reviews_done: int
    reviews_required: int
    last_completed_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.tasks > 0 and self.done == self.tasks

    @property
    def marker(self) -> str:
        last = self.last_completed_at
        stamp = last.strftime("%Y%m%dT%H%M%S%f") if last else "-"
        return f"{self.tasks}t-{stamp}"

    @property
    def run_key(self) -> str:
        return f"{self.batch_id}:{self.marker}"


def _status_count(status: str | tuple[str, ...]) -> ColumnElement[int]:
    statuses = (status,) if isinstance(status, str) else status
    return func.sum(case((col(ReviewTask.status).in_(statuses), 1), else_=0))


def all_batch_progress(session: Session, *, batch_id: str | None = None) -> list[BatchProgress]:
    """Progress of every batch that has review tasks (or just `batch_id`), oldest id first."""
    query = select(
        col(ReviewTask.batch_id),
        func.count(),
        _status_count(TaskStatus.OPEN),
        _status_count(TaskStatus.ADJUDICATION),
        _status_count(DONE_STATUSES),
        func.sum(col(ReviewTask.review_count)),
        func.sum(col(ReviewTask.required_reviews)),
        func.max(col(ReviewTask.completed_at)),
    ).group_by(col(ReviewTask.batch_id))
    if batch_id is not None:
        query = query.where(col(ReviewTask.batch_id) == batch_id)
    rows = session.execute(query.order_by(col(ReviewTask.batch_id))).all()
    return [
        BatchProgress(
            batch_id=row[0],
            tasks=int(row[1]),
            open=int(row[2] or 0),
            adjudication=int(row[3] or 0),
            done=int(row[4] or 0),
            reviews_done=int(row[5] or 0),
            reviews_required=int(row[6] or 0),
            last_completed_at=row[7],
        )
        for row in rows
    ]


def batch_progress(session: Session, batch_id: str) -> BatchProgress:
    found = all_batch_progress(session, batch_id=batch_id)
    if found:
        return found[0]
    return BatchProgress(batch_id, 0, 0, 0, 0, 0, 0, None)

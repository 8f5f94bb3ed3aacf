"""A batch whose reviews are all in, for the sign-off tests (web app, records, stage, gate)."""

from review_builders import WEB_BATCH, add_account, queue_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import ReviewTask
from factory.models._base import utcnow


def reviewed_web_batch(engine: Engine, *, adjudication: int = 0) -> str:
    """WEB_BATCH with its tasks complete (the first `adjudication` awaiting a senior), plus the
    accounts alice (reviewer), sam (senior) and ada (admin)."""
    queue_batch(engine, hostile=False)
    for name, role in (("alice", "reviewer"), ("sam", "senior"), ("ada", "admin")):
        add_account(engine, name, role=role)
    with Session(engine) as session:
        tasks = session.exec(select(ReviewTask).order_by(ReviewTask.id)).all()
        for i, task in enumerate(tasks):
            task.status = "adjudication" if i < adjudication else "complete"
            task.review_count = task.required_reviews
            task.completed_at = None if i < adjudication else utcnow()
            session.add(task)
        session.commit()
    return WEB_BATCH


def reviewer_id(engine: Engine, username: str) -> int:
    from factory.models import Reviewer

    with Session(engine) as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.username == username)).one()
        assert reviewer.id is not None
        return reviewer.id

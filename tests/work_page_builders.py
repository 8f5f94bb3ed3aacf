"""Work of every kind made hostile, with people who can sign in to do it: shared by the work page
tests (TestClient and browser). Prompts, candidates' code and the prompt's tests each carry the
XSS string; in code it sits in a trailing comment, so line numbers and behaviour are unchanged.
"""

from review_builders import XSS, add_account
from sqlalchemy import Engine, update
from sqlmodel import Session, col, select
from work_builders import WorkBatch, build_work_batch

from factory.models import Candidate, Prompt, Reviewer, ReviewTask, TaskClaim
from factory.review.queue import claim_next


def hostile_work_batch(engine: Engine, *people: str) -> WorkBatch:
    """build_work_batch's six kinds, hostile text added, and accounts for `people` (qualified in
    every pool of Python)."""
    batch = build_work_batch(engine)
    with Session(engine) as session:
        for prompt in session.exec(select(Prompt).where(Prompt.batch_id == batch.batch_id)):
            prompt.prompt = f"{prompt.prompt} <b>bold</b> {XSS}"
            if prompt.tests.strip():
                prompt.tests = f"{prompt.tests}\n# {XSS}\n"
            session.add(prompt)
        for candidate in session.exec(
            select(Candidate).where(Candidate.batch_id == batch.batch_id)
        ):
            candidate.code = f"{candidate.code}# {XSS}\n"
            session.add(candidate)
        session.commit()
    for name in people:
        add_account(engine, name)
    return batch


def serve_first(engine: Engine, kind: str) -> None:
    """The kind's task is the next one anybody is served (the queue takes priority first)."""
    with Session(engine) as session:
        session.execute(update(ReviewTask).values(priority=0))
        session.execute(update(ReviewTask).where(col(ReviewTask.kind) == kind).values(priority=100))
        session.commit()


def take(engine: Engine, username: str, kind: str) -> TaskClaim:
    """`username` claims the task of `kind`, as their Start button would."""
    serve_first(engine, kind)
    with Session(engine) as session:
        person = session.exec(select(Reviewer).where(Reviewer.username == username)).one()
    assert person.id is not None
    claim = claim_next(engine, person.id, lease_seconds=3600)
    assert claim is not None
    with Session(engine) as session:
        task = session.get(ReviewTask, claim.task_id)
        assert task is not None and task.kind == kind, (task, kind)
    return claim

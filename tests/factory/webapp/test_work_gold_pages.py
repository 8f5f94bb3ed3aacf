"""Seniors make accepted work beyond pairs gold from the gold page; reviewers may not."""

from fastapi.testclient import TestClient
from review_builders import XSS, add_account, csrf_of, login
from sqlalchemy import Engine
from sqlmodel import Session, select
from work_builders import build_work_batch

from factory.models import GoldItem, Reviewer, ReviewTask, Submission, TaskClaim
from factory.models._base import utcnow
from factory.settings import FactoryConfig
from factory.webapp.app import create_app


def _accepted_review(engine: Engine, author: str) -> int:
    """An accepted code review (written straight to the database) whose comment is hostile."""
    batch = build_work_batch(engine)
    with Session(engine) as session:
        reviewer = session.exec(select(Reviewer).where(Reviewer.username == author)).one()
        task = session.get(ReviewTask, batch.tasks["code_review"].id)
        assert task is not None and task.id is not None and reviewer.id is not None
        claim = TaskClaim(
            task_id=task.id, reviewer_id=reviewer.id, status="submitted", expires_at=utcnow()
        )
        session.add(claim)
        session.flush()
        span = {
            "start_line": 2,
            "end_line": 4,
            "category": "readability",
            "severity": "low",
            "cwe": "",
            "comment": f"use sum() {XSS}",
            "suggested_fix": "",
        }
        submission = Submission(
            task_id=task.id,
            claim_id=claim.id,
            reviewer_id=reviewer.id,
            kind="code_review",
            rubric_version="code-review-1",
            payload={"spans": [span], "clean": False, "summary": ""},
        )
        task.status, task.review_count = "complete", 1
        session.add_all([submission, task])
        session.commit()
        assert submission.id is not None
        return submission.id


def test_a_senior_makes_accepted_work_gold_and_a_reviewer_may_not(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    add_account(engine, "alice")
    add_account(engine, "sam", role="senior")
    submission_id = _accepted_review(engine, "alice")
    app = create_app(engine, config=FactoryConfig(), secret="s" * 40)
    with TestClient(app) as web:
        login(web, "alice")
        refused = web.post(
            f"/gold/submission/{submission_id}",
            data={"reason": "x", "csrf_token": csrf_of(web.get("/").text)},
        )
        assert refused.status_code == 403
        web.post("/logout", data={"csrf_token": csrf_of(web.get("/").text)})
        login(web, "sam")
        page = web.get("/gold")
        assert f"make-gold-submission-{submission_id}" in page.text
        assert "<script>window.__pwned" not in page.text  # the hostile comment is escaped
        done = web.post(
            f"/gold/submission/{submission_id}",
            data={"reason": "names the loop", "csrf_token": csrf_of(page.text)},
            follow_redirects=True,
        )
        assert "Gold item" in done.text and f"from submission {submission_id}" in done.text
        assert f"make-gold-submission-{submission_id}" not in done.text  # offered once
        again = web.post(
            f"/gold/submission/{submission_id}",
            data={"reason": "twice", "csrf_token": csrf_of(done.text)},
            follow_redirects=True,
        )
        assert "already gold item" in again.text
    with Session(engine) as session:
        (item,) = session.exec(select(GoldItem)).all()
        assert (item.kind, item.source, item.preference) == ("code_review", "submission", None)
        assert item.answer["spans"][0]["category"] == "readability"

"""Expert gold for work beyond pairs: a senior's submission becomes the known answer, and an
answer to it is graded by its kind's rule.

A qualifying reviewer is served gold of the pool first (factory.review.queue.claim_next), so
pools of every kind qualify and suspend people exactly as pairwise pools do
(factory.review.pools). Grading rules, per kind (each says why in `grading`):
- ranking: Kendall's tau-b with the known order of at least RANKING_TAU;
- code_review: span F1 at overlap with the known spans of at least SPAN_F1 (both "no issues
  found" agree);
- bug_fix: the same kind of root cause, and the fix passes the known regression test;
- authoring: the solution passes the tests the known answer wrote (or the prompt's);
- refactoring: the trajectory is accepted (every check is the sandbox's) and shares a move
  with the known one;
- reasoning: the same approach (the answer already passed the tests to be accepted).
"""

from dataclasses import dataclass
from datetime import datetime

from scipy.stats import kendalltau  # type: ignore[import-untyped]
from sqlmodel import Session, col, select

from factory.agreement.spans import Span, span_agreement
from factory.models import GoldItem, Reviewer, ReviewTask, Submission
from factory.models._base import utcnow
from factory.review.errors import NotYoursError, ReviewError
from factory.tasktypes.base import Payload, RunCode
from factory.vocab import Role, TaskStatus, Verdict, WorkKind

RANKING_TAU = 0.6
SPAN_F1 = 0.5
MAX_REASON_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class Grade:
    correct: bool
    score: float | None
    why: str


def grade(kind: str, answer: Payload, known: Payload, run: RunCode | None) -> Grade:
    """How an answer compares with the known one, by the kind's rule (module docstring)."""
    if kind == WorkKind.RANKING:
        ids = sorted(known["ranks"])
        tau = kendalltau([known["ranks"][c] for c in ids], [answer["ranks"][c] for c in ids])
        value = float(tau.statistic)
        return Grade(
            value >= RANKING_TAU, value, f"Kendall's tau-b {value:.2f} (pass ≥ {RANKING_TAU})"
        )
    if kind == WorkKind.CODE_REVIEW:
        if known["clean"] or answer["clean"]:
            same = bool(known["clean"]) == bool(answer["clean"])
            return Grade(
                same,
                1.0 if same else 0.0,
                "both found nothing" if same else "one found issues, the other none",
            )
        f1 = span_agreement(_spans(known), _spans(answer)).f1
        return Grade(
            f1 >= SPAN_F1, f1, f"span F1 {f1:.2f} with the known review (pass ≥ {SPAN_F1})"
        )
    if kind == WorkKind.BUG_FIX:
        if answer["cause_category"] != known["cause_category"]:
            return Grade(
                False,
                0.0,
                f"root cause {answer['cause_category']!r}, known {known['cause_category']!r}",
            )
        passed = _passes(run, answer["fixed_code"], known["regression_test"])
        return Grade(
            passed,
            float(passed),
            "the fix passes the known regression test"
            if passed
            else "the fix fails the known regression test",
        )
    if kind == WorkKind.AUTHORING:
        if not known.get("tests", "").strip():
            return Grade(True, 1.0, "the solution passed the prompt's tests")
        passed = _passes(run, answer["solution"], known["tests"])
        return Grade(
            passed,
            float(passed),
            "the solution passes the known answer's tests"
            if passed
            else "the solution fails the known answer's tests",
        )
    if kind == WorkKind.REFACTORING:
        shared = {s["move"] for s in answer["steps"]} & {s["move"] for s in known["steps"]}
        return Grade(
            bool(shared),
            float(bool(shared)),
            f"moves in common: {sorted(shared)}"
            if shared
            else "no move in common with the known trajectory",
        )
    if kind == WorkKind.REASONING:
        same = answer["approach"] == known["approach"]
        return Grade(
            same, float(same), f"approach {answer['approach']!r}, known {known['approach']!r}"
        )
    raise ValueError(f"no gold grading for kind {kind!r}")


def _spans(payload: Payload) -> list[Span]:
    return [Span(s["start_line"], s["end_line"], s["category"]) for s in payload["spans"]]


def _passes(run: RunCode | None, code: str, tests: str) -> bool:
    if run is None:
        raise ReviewError("grading this gold answer needs the sandbox, and none is available")
    return run(code, tests).verdict == Verdict.PASSED


def promote_submission(
    session: Session,
    submission_id: int,
    senior_id: int,
    reason: str,
    *,
    now: datetime | None = None,
) -> GoldItem:
    """Make a senior's accepted submission the known answer of its task (the caller commits)."""
    senior = session.get(Reviewer, senior_id)
    if senior is None or not senior.active or senior.role not in (Role.SENIOR, Role.ADMIN):
        raise NotYoursError(f"reviewer {senior_id} may not write gold (senior or admin only)")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON_CHARS:
        raise ReviewError(
            f"submission {submission_id}: gold needs a written reason (at most "
            f"{MAX_REASON_CHARS} characters)"
        )
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise ReviewError(f"submission {submission_id} does not exist")
    task = session.get(ReviewTask, submission.task_id)
    assert task is not None and task.id is not None  # a foreign key
    if task.status != TaskStatus.COMPLETE:
        raise ReviewError(f"submission {submission_id}: its task {task.id} is not complete")
    existing = session.scalars(select(GoldItem).where(col(GoldItem.task_id) == task.id)).first()
    if existing is not None:
        raise ReviewError(f"task {task.id} is already gold item {existing.id}")
    item = GoldItem(
        task_id=task.id,
        language=task.language,
        task_type=task.task_type,
        kind=task.kind,
        preference=None,
        answer=submission.payload,
        reason=reason,
        source="submission",
        # The senior vouches for it; its writer claimed the task, so is never served it.
        authored_by=senior_id,
        authored_at=now or utcnow(),
    )
    session.add(item)
    session.flush()
    return item


@dataclass(frozen=True, slots=True)
class ProposedWork:
    """An accepted submission on a complete task that is not gold yet."""

    submission_id: int
    task_id: int
    kind: str
    language: str
    pool_type: str
    reviewer: str
    answer: str  # the answer in words, for the senior to judge


def proposed_submissions(session: Session, *, limit: int = 50) -> list[ProposedWork]:
    """The newest accepted work of complete tasks with no gold item yet, newest first."""
    from factory.tasktypes.registry import WORK_TYPES

    rows = session.exec(
        select(Submission, ReviewTask, Reviewer.username)
        .join(ReviewTask, col(ReviewTask.id) == Submission.task_id)
        .join(Reviewer, col(Reviewer.id) == Submission.reviewer_id)
        .where(
            col(ReviewTask.status) == TaskStatus.COMPLETE,
            ~col(ReviewTask.id).in_(select(GoldItem.task_id)),
        )
        .order_by(col(Submission.id).desc())
        .limit(limit)
    ).all()
    return [
        ProposedWork(
            submission_id=submission.id or 0,
            task_id=task.id or 0,
            kind=task.kind,
            language=task.language,
            pool_type=task.task_type,
            reviewer=username,
            answer=WORK_TYPES[task.kind].answer_text(submission.payload)[:600],
        )
        for submission, task, username in rows
    ]

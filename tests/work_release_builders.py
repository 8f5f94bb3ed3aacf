"""Finished work of every kind beyond pairs, written straight into the database for packaging
tests (the sandbox checks are tested in tests/factory/tasktypes; here only what they store).

`answer` does what `submit_work` writes: a submitted claim, the Submission with its payload and
checks, the kind's child rows, the claim's notes, and the task's count and status.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from review_builders import add_people
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from work_builders import BUGGY, GOOD, LOOPED, REGRESSION, TESTS, WorkBatch, build_work_batch

from factory.models import ReasoningNote, Reviewer, ReviewTask, Submission, TaskCandidate, TaskClaim
from factory.models._base import utcnow
from factory.tasktypes.registry import work_type
from factory.vocab import DIMENSIONS, TaskStatus

ZERO = "def total(xs):\n    return 0\n"
BROKEN_STEP = "def total(xs):\n    return sum(xs[1:])\n"
SPAN = {
    "start_line": 3,
    "end_line": 4,
    "category": "readability",
    "severity": "low",
    "cwe": "",
    "comment": "sum() says this in one word",
    "suggested_fix": "    return sum(xs)",
}
NOTES = ("a running total works; sum() is simpler", "empty list must give 0, which both do")


def passed(check: str) -> dict[str, Any]:
    return {"check": check, "verdict": "passed", "tests_passed": 2, "tests_total": 2}


def answer(
    engine: Engine,
    task_id: int,
    reviewer: Reviewer,
    payload: dict[str, Any],
    *,
    checks: tuple[dict[str, Any], ...] = (),
    notes: tuple[str, ...] = (),
    simulated: bool = False,
) -> int:
    """One accepted submission; the task completes when its last slot is filled."""
    now = utcnow()
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None and reviewer.id is not None
        claim = TaskClaim(
            task_id=task_id,
            reviewer_id=reviewer.id,
            status="submitted",
            claimed_at=now - timedelta(minutes=10),
            expires_at=now + timedelta(hours=1),
        )
        session.add(claim)
        session.flush()
        assert claim.id is not None
        for n, text in enumerate(notes):
            session.add(
                ReasoningNote(
                    claim_id=claim.id,
                    task_id=task_id,
                    reviewer_id=reviewer.id,
                    seconds_in=30.0 * (n + 1),
                    text=text,
                )
            )
        plugin = work_type(task.kind)
        submission = Submission(
            task_id=task_id,
            claim_id=claim.id,
            reviewer_id=reviewer.id,
            kind=task.kind,
            rubric_version=plugin.rubric.version,
            payload=payload,
            verification={"checks": list(checks)} if checks else {},
            seconds_spent=600.0,
            simulated=simulated,
        )
        session.add(submission)
        session.flush()
        assert submission.id is not None
        plugin.store(session, submission.id, payload)
        task.review_count += 1
        if task.review_count >= task.required_reviews:
            task.status = TaskStatus.COMPLETE
            task.completed_at = now
        session.add(task)
        session.commit()
        return submission.id


def ranked_candidates(engine: Engine, task_id: int) -> dict[str, int]:
    """The ranking task's candidates by code name (good, looped, buggy, zero)."""
    names = {GOOD: "good", LOOPED: "looped", BUGGY: "buggy", ZERO: "zero"}
    from factory.models import Candidate

    with Session(engine) as session:
        rows = session.exec(
            select(Candidate.id, Candidate.code)
            .join(TaskCandidate, col(TaskCandidate.candidate_id) == Candidate.id)
            .where(TaskCandidate.task_id == task_id)
        ).all()
    return {names[code]: cid for cid, code in rows if cid is not None}


def ranking(order: list[int], rationale: str = "sum() beats the loop") -> dict[str, Any]:
    """A ranking payload: `order` best first, every candidate scored by its place."""
    n = len(order)
    return {
        "ranks": {str(c): place for place, c in enumerate(order, 1)},
        "scores": {
            str(c): {d.value: 6 - min(place, 5) for d in DIMENSIONS}
            for place, c in enumerate(order, 1)
        },  # fmt: skip
        "rationale": f"{rationale} ({n} ranked)",
    }


def required(engine: Engine, task_id: int, reviews: int) -> None:
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None
        task.required_reviews = reviews
        session.add(task)
        session.commit()


@dataclass
class AnsweredWork:
    batch: WorkBatch
    people: dict[str, Reviewer]
    submissions: dict[str, list[int]]  # kind -> its submission ids
    candidates: dict[str, int]  # the ranking's candidates by code name


def answered_work_batch(
    engine: Engine,
    *,
    rankings: tuple[tuple[str, ...], ...] = (("good", "looped", "buggy", "zero"),),
    simulated: bool = False,
) -> AnsweredWork:
    """One finished task of every kind: `rankings` (one per person, best first, by code name),
    two code reviews (one clean), a bug fix and a refactoring with notes, authoring, and
    reasoning. With `simulated`, the reasoning comes from a simulated reviewer."""
    batch = build_work_batch(engine)
    ann, bob, sim = add_people(engine, "ann", "bob", "sim")
    tasks = {kind: task.id for kind, task in batch.tasks.items()}
    assert all(tasks.values())
    ids = ranked_candidates(engine, tasks["ranking"] or 0)
    done: dict[str, list[int]] = {}

    def add(kind: str, person: Reviewer, payload: dict[str, Any], **extra: Any) -> None:
        done.setdefault(kind, []).append(answer(engine, tasks[kind] or 0, person, payload, **extra))

    required(engine, tasks["ranking"] or 0, len(rankings))
    for person, names in zip((ann, bob), rankings, strict=False):
        add("ranking", person, ranking([ids[name] for name in names]))
    required(engine, tasks["code_review"] or 0, 2)
    add("code_review", ann, {"spans": [SPAN], "clean": False, "summary": "fine, but wordy"})
    add("code_review", bob, {"spans": [], "clean": True, "summary": "reads well"})
    add(
        "bug_fix",
        ann,
        {
            "root_cause": "range(len(xs) - 1) stops before the last item",
            "cause_category": "off_by_one",
            "fixed_code": GOOD,
            "regression_test": REGRESSION,
            "how_found": "ran total([5]) and got 0",
        },
        checks=(passed("regression test on the fix"),),
        notes=("total([5]) gives 0", "the loop's range stops one short"),
    )
    add(
        "authoring",
        ann,
        {"solution": GOOD, "tests": TESTS, "approach": "sum() is the whole job"},
        checks=(passed("your tests"),),
    )
    broken = {"code": BROKEN_STEP, "why": "shorter", "move": "replace_algorithm"}
    fixed = {"code": GOOD, "why": "sum() of the whole list", "move": "replace_algorithm"}
    add(
        "refactoring",
        ann,
        {
            "steps": [
                broken
                | {"verdict": "failed", "tests_passed": 1, "tests_total": 2, "breaks_tests": True},
                fixed
                | {"verdict": "passed", "tests_passed": 2, "tests_total": 2, "breaks_tests": False},
            ]  # fmt: skip
        },
    )
    add(
        "reasoning",
        sim if simulated else ann,
        {"answer": LOOPED, "approach": "direct", "summary": "a loop with a running total"},
        checks=(passed("the prompt's tests"),),
        notes=NOTES,
        simulated=simulated,
    )
    if simulated:
        with Session(engine) as session:
            person = session.get(Reviewer, sim.id)
            assert person is not None
            person.simulated = True
            session.add(person)
            session.commit()
    return AnsweredWork(batch, {"ann": ann, "bob": bob, "sim": sim}, done, ids)

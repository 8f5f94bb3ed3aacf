"""Submitting each kind of work: what the sandbox refuses (with the reason), what is stored,
and the queue's invariants (slots, leases, one answer per person) for every kind."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from work_builders import BUGGY, GOOD, LOOPED, REGRESSION, TESTS, build_work_batch, workers

from factory.models import (
    RankEntry,
    ReasoningNote,
    RefactorStep,
    ReviewSpan,
    ReviewTask,
    Submission,
    TaskClaim,
)
from factory.review.errors import LeaseExpiredError, ReviewError
from factory.review.queue import claim_next
from factory.sandbox.pool import PooledSandbox
from factory.settings import SandboxSettings
from factory.tasktypes.base import WorkError, WorkRefused
from factory.tasktypes.notes import add_note
from factory.tasktypes.submit import submit_work
from factory.vocab import TaskStatus

SETTINGS = SandboxSettings(timeout_s=5.0)


def claim_kind(engine: Engine, reviewer_id: int, kind: str) -> TaskClaim:
    """Claims until the reviewer holds a task of `kind` (others are skipped back)."""
    from factory.review.queue import skip_claim

    for _ in range(20):
        claim = claim_next(engine, reviewer_id, lease_seconds=600)
        assert claim is not None, f"no {kind} task left"
        with Session(engine) as session:
            task = session.get(ReviewTask, claim.task_id)
            assert task is not None
            if task.kind == kind:
                return claim
        assert claim.id is not None
        skip_claim(engine, claim.id, reviewer_id, reason="test: another kind")
    raise AssertionError(f"no {kind} task served")


def submit(engine, claim, person, fields, sandbox=None):  # type: ignore[no-untyped-def]
    return submit_work(
        engine, claim.id, person.id, fields, sandbox=sandbox, sandbox_settings=SETTINGS
    )


BUG_FIELDS = {
    "root_cause": "range(len(xs) - 1) stops before the last item",
    "cause_category": "off_by_one",
    "fixed_code": GOOD,
    "regression_test": REGRESSION,
    "how_found": "ran total([5]) and got 0",
}


@pytest.mark.docker
def test_a_bug_fix_is_checked_both_ways_and_refused_with_the_reason(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    build_work_batch(engine)
    (ann,) = workers(engine, "ann")
    claim = claim_kind(engine, ann.id, "bug_fix")
    # A regression test the buggy code passes catches nothing.
    weak = {
        **BUG_FIELDS,
        "regression_test": "from solution import total\n\n"
        "def test_empty():\n    assert total([]) == 0\n",
    }
    with pytest.raises(WorkRefused, match="passes on the buggy code"):
        submit(engine, claim, ann, weak, docker_sandbox)
    # A "fix" that does not pass the regression test is refused.
    wrong = {**BUG_FIELDS, "fixed_code": BUGGY.replace("- 1", "- 2")}
    with pytest.raises(WorkRefused, match="fails on your fix"):
        submit(engine, claim, ann, wrong, docker_sandbox)
    # A test that does not even build against the code is not a failing test.
    broken = {
        **BUG_FIELDS,
        "regression_test": "from solution import nothing_here\n\n"
        "def test_x():\n    assert nothing_here() == 1\n",
    }
    with pytest.raises(WorkRefused, match="regression test"):
        submit(engine, claim, ann, broken, docker_sandbox)
    with Session(engine) as session:
        assert session.exec(select(Submission)).all() == []  # nothing half-written
    result = submit(engine, claim, ann, BUG_FIELDS, docker_sandbox)
    with Session(engine) as session:
        stored = session.get(Submission, result.submission_id)
        assert stored is not None and stored.kind == "bug_fix"
        checks = [c["check"] for c in stored.verification["checks"]]
        assert checks == [
            "regression test on the buggy code",
            "regression test on the fix",
            "the prompt's tests on the fix",
        ]
        assert stored.verification["checks"][0]["verdict"] == "failed"
        assert stored.rubric_version == "bug-fix-1"
        task = session.get(ReviewTask, result.task_id)
        assert task is not None and task.status == TaskStatus.COMPLETE
        assert (task.review_count, task.active_claims) == (1, 0)


def test_incomplete_forms_name_the_claim_and_what_is_missing(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    build_work_batch(engine)
    (ann,) = workers(engine, "ann")
    claim = claim_kind(engine, ann.id, "bug_fix")
    with pytest.raises(WorkError, match=f"claim {claim.id}.*kind of root cause"):
        submit(engine, claim, ann, {**BUG_FIELDS, "cause_category": "bad luck"})
    with pytest.raises(WorkError, match="the fixed code is the buggy code unchanged"):
        submit(engine, claim, ann, {**BUG_FIELDS, "fixed_code": BUGGY})
    with pytest.raises(WorkError, match="contain no assert"):
        submit(engine, claim, ann, {**BUG_FIELDS, "regression_test": "def test_x():\n    pass\n"})
    # Checked work with no sandbox is refused, never accepted unchecked.
    with pytest.raises(WorkRefused, match="no sandbox"):
        submit(engine, claim, ann, BUG_FIELDS, None)


def test_a_ranking_must_be_full_and_is_stored_rank_by_rank(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    batch = build_work_batch(engine)
    (ann,) = workers(engine, "ann")
    claim = claim_kind(engine, ann.id, "ranking")
    with Session(engine) as session:
        ids = [c.candidate_id for c in _ranked(session, batch.tasks["ranking"].id)]
    assert len(ids) == 4
    fields = {
        f"score-{c}-{d}": "4"
        for c in ids
        for d in ("correctness", "security", "readability", "efficiency", "style")
    }
    fields.update({f"rank-{c}": str(r) for c, r in zip(ids, (2, 1, 3, 4), strict=True)})
    fields["rationale"] = "sum() beats the loop; the others are wrong"
    tied = {**fields, f"rank-{ids[0]}": "1"}
    with pytest.raises(WorkError, match="its own place"):
        submit(engine, claim, ann, tied)
    result = submit(engine, claim, ann, fields)
    with Session(engine) as session:
        ranks = {
            e.candidate_id: e.rank
            for e in session.scalars(
                select(RankEntry).where(RankEntry.submission_id == result.submission_id)
            )
        }
    assert ranks == dict(zip(ids, (2, 1, 3, 4), strict=True))


def _ranked(session: Session, task_id: int | None):  # type: ignore[no-untyped-def]
    from factory.models import TaskCandidate

    return session.scalars(
        select(TaskCandidate)
        .where(TaskCandidate.task_id == task_id)
        .order_by(col(TaskCandidate.position))
    ).all()


@pytest.mark.docker
def test_code_review_spans_and_a_suggested_fix_that_breaks_the_tests(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    build_work_batch(engine)
    (ann,) = workers(engine, "ann")
    claim = claim_kind(engine, ann.id, "code_review")
    span = {
        "start_line": 3,
        "end_line": 4,
        "category": "readability",
        "severity": "low",
        "cwe": "",
        "comment": "sum() says this in one word",
        "suggested_fix": "",
    }
    import json

    with pytest.raises(WorkError, match="needs its CWE"):
        submit(engine, claim, ann, {"spans": json.dumps([{**span, "category": "security"}])})
    with pytest.raises(WorkError, match="not within the code's 1-5"):
        submit(engine, claim, ann, {"spans": json.dumps([{**span, "end_line": 9}])})
    with pytest.raises(WorkError, match="mark at least one span"):
        submit(engine, claim, ann, {"spans": "[]"})
    breaking = {**span, "suggested_fix": "    return 0"}
    with pytest.raises(WorkRefused, match="makes the tests fail"):
        submit(engine, claim, ann, {"spans": json.dumps([breaking])}, docker_sandbox)
    good = {**span, "start_line": 2, "end_line": 5, "suggested_fix": "    return sum(xs)"}
    result = submit(engine, claim, ann, {"spans": json.dumps([good])}, docker_sandbox)
    with Session(engine) as session:
        (stored,) = session.scalars(
            select(ReviewSpan).where(ReviewSpan.submission_id == result.submission_id)
        ).all()
        assert (stored.start_line, stored.end_line, stored.category) == (2, 5, "readability")


@pytest.mark.docker
def test_a_refactoring_step_that_breaks_the_tests_is_flagged_and_cannot_end_it(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    import json

    engine = sqlite_engine
    build_work_batch(engine)
    (ann,) = workers(engine, "ann")
    claim = claim_kind(engine, ann.id, "refactoring")
    broken = {
        "code": "def total(xs):\n    return sum(xs[1:])\n",
        "why": "shorter",
        "move": "replace_algorithm",
    }
    fixed = {"code": GOOD, "why": "sum() of the whole list", "move": "replace_algorithm"}
    with pytest.raises(WorkRefused, match="step 1 breaks the tests and cannot end"):
        submit(engine, claim, ann, {"steps": json.dumps([broken])}, docker_sandbox)
    result = submit(engine, claim, ann, {"steps": json.dumps([broken, fixed])}, docker_sandbox)
    with Session(engine) as session:
        steps = session.scalars(
            select(RefactorStep)
            .where(RefactorStep.submission_id == result.submission_id)
            .order_by(col(RefactorStep.position))
        ).all()
    assert [(s.breaks_tests, s.verdict) for s in steps] == [(True, "failed"), (False, "passed")]


@pytest.mark.docker
def test_authoring_without_tests_needs_tests_and_a_solution_that_passes_them(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    build_work_batch(engine)
    (ann,) = workers(engine, "ann")
    claim = claim_kind(engine, ann.id, "authoring")
    with pytest.raises(WorkError, match="has no tests, so write them"):
        submit(engine, claim, ann, {"solution": GOOD})
    with pytest.raises(WorkRefused, match="does not pass your tests"):
        submit(engine, claim, ann, {"solution": BUGGY, "tests": TESTS}, docker_sandbox)
    result = submit(engine, claim, ann, {"solution": GOOD, "tests": TESTS}, docker_sandbox)
    assert result.task_status == TaskStatus.COMPLETE


@pytest.mark.docker
def test_reasoning_needs_notes_written_while_working(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    build_work_batch(engine)
    (ann,) = workers(engine, "ann")
    claim = claim_kind(engine, ann.id, "reasoning")
    fields = {"answer": LOOPED, "approach": "direct"}
    with pytest.raises(WorkError, match="at least 2 notes"):
        submit(engine, claim, ann, fields, docker_sandbox)
    add_note(engine, claim.id, ann.id, "a running total works; sum() is simpler")
    add_note(engine, claim.id, ann.id, "empty list must give 0, which both do")
    with pytest.raises(WorkRefused, match="does not pass the prompt's tests"):
        submit(engine, claim, ann, {**fields, "answer": BUGGY}, docker_sandbox)
    submit(engine, claim, ann, fields, docker_sandbox)
    with Session(engine) as session:
        notes = session.scalars(select(ReasoningNote).where(ReasoningNote.claim_id == claim.id))
        assert [n.text[:8] for n in notes] == ["a runnin", "empty li"]


def test_an_expired_claim_writes_nothing_and_a_task_never_takes_more_answers(
    sqlite_engine: Engine,
) -> None:
    from datetime import timedelta

    from factory.models._base import utcnow
    from factory.review.queue import expire_stale_claims

    engine = sqlite_engine
    batch = build_work_batch(engine)
    ann, bob = workers(engine, "ann", "bob")
    claim = claim_kind(engine, ann.id, "ranking")
    expire_stale_claims(engine, now=utcnow() + timedelta(hours=2))
    with pytest.raises(LeaseExpiredError):
        submit(engine, claim, ann, {})
    with Session(engine) as session:
        task = session.get(ReviewTask, batch.tasks["ranking"].id)
        assert task is not None and (task.review_count, task.active_claims) == (0, 0)
    # Pairwise submission on a ranking claim is refused, not recorded.
    from factory.review.queue import submit_review

    other = claim_kind(engine, bob.id, "ranking")
    with pytest.raises(ReviewError, match="not a pair"):
        submit_review(
            engine,
            other.id,
            bob.id,
            preference=0,
            scores={},
            rationale="x",
            disagreement_threshold=3,
        )


def test_only_work_on_candidates_needs_generated_candidates() -> None:
    from factory.vocab import needs_candidates

    assert needs_candidates("code_generation", [], brings_code=False)  # pairwise by default
    assert needs_candidates("pairwise_preference", ["ranking"], brings_code=True)
    assert not needs_candidates("code_generation", ["authoring"], brings_code=False)
    assert not needs_candidates("reasoning", [], brings_code=False)
    assert needs_candidates("bug_fix", [], brings_code=False)  # a failing candidate is the code
    assert not needs_candidates("bug_fix", [], brings_code=True)  # the record's own, or a repo

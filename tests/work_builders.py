"""Builds a batch with work of every kind beyond pairs, and the people to do it.

Shared by the task-type, web app and packaging tests (pytest puts `tests/` on sys.path). The
prompt is one small Python function with pytest tests, so every check runs fast in the sandbox.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from review_builders import add_people
from review_data_builder import add_batch, add_candidate, sha
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from factory.models import Prompt, Reviewer, ReviewTask, Submission, TaskClaim
from factory.settings import ReviewSettings
from factory.tasktypes.enqueue import enqueue_work
from factory.tasktypes.registry import work_type

WORK_BATCH = "batch-work"
ENTRY = "total"
TESTS = (
    "from solution import total\n\n"
    "def test_sum():\n    assert total([1, 2, 3]) == 6\n\n"
    "def test_empty():\n    assert total([]) == 0\n"
)
GOOD = "def total(xs):\n    return sum(xs)\n"
BUGGY = (
    "def total(xs):\n    t = 0\n    for i in range(len(xs) - 1):\n        t += xs[i]\n"
    "    return t\n"
)
LOOPED = "def total(xs):\n    t = 0\n    for x in xs:\n        t = t + x\n    return t\n"
REGRESSION = (
    "from solution import total\n\ndef test_last_item_counts():\n    assert total([5]) == 5\n"
)
KINDS = ("ranking", "code_review", "bug_fix", "authoring", "refactoring", "reasoning")


@dataclass
class WorkBatch:
    batch_id: str
    prompts: dict[str, Prompt]  # kind -> its prompt
    tasks: dict[str, ReviewTask]  # kind -> its (first) task


def add_work_prompt(
    session: Session,
    batch_id: str,
    kind: str,
    *,
    tests: str = TESTS,
    reference: str = GOOD,
    code: str = "",
    line_no: int = 1,
) -> Prompt:
    text = f"Write total(xs) returning the sum of a list of numbers ({kind})."
    prompt = Prompt(
        batch_id=batch_id,
        external_id=f"{kind}-1",
        line_no=line_no,
        language="python",
        task_type="code_generation",
        prompt=text,
        tests=tests,
        entry_point=ENTRY,
        test_style="pytest",
        reference_solution=reference,
        work=[kind],
        subject_code=code,
        licence="MIT",
        normalized_sha256=sha(text + kind),
        gradable=True,
        stable=True,
    )
    session.add(prompt)
    session.flush()
    return prompt


def build_work_batch(
    engine: Engine, *, batch_id: str = WORK_BATCH, overlap: bool = False
) -> WorkBatch:
    """One prompt per kind: ranking over four candidates, code review and refactoring of a
    passing candidate, a bug fix of a failing one, authoring without tests, reasoning."""
    with Session(engine, expire_on_commit=False) as session:
        add_batch(session, batch_id)
        prompts: dict[str, Prompt] = {}
        for n, kind in enumerate(KINDS, 1):
            tests = "" if kind == "authoring" else TESTS
            reference = "" if kind == "authoring" else GOOD
            prompts[kind] = prompt = add_work_prompt(
                session, batch_id, kind, tests=tests, reference=reference, line_no=n
            )
            if kind == "ranking":
                for model, code in (("m1", GOOD), ("m2", LOOPED), ("m3", BUGGY)):
                    add_candidate(
                        session,
                        prompt,
                        model=model,
                        code=code,
                        verdict="failed" if code == BUGGY else "passed",
                    )
                add_candidate(
                    session,
                    prompt,
                    model="m4",
                    code="def total(xs):\n    return 0\n",
                    verdict="failed",
                )
            elif kind == "bug_fix":
                add_candidate(session, prompt, model="m1", code=BUGGY, verdict="failed")
            elif kind in ("code_review", "refactoring"):
                add_candidate(session, prompt, model="m1", code=LOOPED)
        settings = ReviewSettings(overlap_fraction=1.0 if overlap else 0.0, overlap_reviews=2)
        enqueue_work(session, batch_id, settings)
        session.commit()
        tasks = {
            task.kind: task
            for task in session.scalars(
                select(ReviewTask)
                .where(ReviewTask.batch_id == batch_id)
                .order_by(col(ReviewTask.id).desc())
            )
        }
    return WorkBatch(batch_id, prompts, tasks)


def workers(engine: Engine, *names: str) -> list[Reviewer]:
    """People active in every pool of Python, work beyond pairs included."""
    return add_people(engine, *names)


def add_work_task(
    session: Session, prompt: Prompt, kind: str, key: str, *, required_reviews: int = 2
) -> ReviewTask:
    """A queued task of `kind` on `prompt`, made directly (enqueue_work plans from candidates)."""
    task = ReviewTask(
        batch_id=prompt.batch_id,
        prompt_id=prompt.id,
        language=prompt.language,
        task_type=kind,
        kind=kind,
        work_key=f"{prompt.id}:{key}",
        pair_strategy=kind,
        required_reviews=required_reviews,
        status="complete",
    )
    session.add(task)
    session.flush()
    return task


def add_submission(
    session: Session,
    task: ReviewTask,
    reviewer: Reviewer,
    payload: dict,
    *,
    verification: dict | None = None,
    seconds: float = 0.0,
    rubric_version: str = "",
    simulated: bool = False,
) -> Submission:
    """An accepted submission written directly, bypassing the form and the sandbox."""
    now = datetime.now(UTC)
    claim = TaskClaim(
        task_id=task.id, reviewer_id=reviewer.id, status="submitted", expires_at=now + timedelta(1)
    )
    session.add(claim)
    session.flush()
    submission = Submission(
        task_id=task.id,
        claim_id=claim.id,
        reviewer_id=reviewer.id,
        kind=task.kind,
        rubric_version=rubric_version or work_type(task.kind).rubric.version,
        payload=payload,
        verification=verification or {},
        seconds_spent=seconds,
        simulated=simulated,
    )
    session.add(submission)
    task.review_count += 1
    session.flush()
    return submission

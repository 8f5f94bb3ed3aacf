"""Simulated annotators for work beyond pairs (factory.tasktypes.simulate): through the real
queue, the real submit path and the real sandbox, saying they are simulated; work with nothing
honest to answer with is left for people and reported; a refused answer is reported, not retried.
"""

import random
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from work_builders import BUGGY, GOOD, KINDS, add_work_prompt, build_work_batch

from factory.generation.pipeline import run_generation
from factory.intake.ingest import ingest_batch
from factory.models import (
    Prompt,
    RankEntry,
    ReasoningNote,
    Reviewer,
    ReviewSpan,
    ReviewTask,
    Submission,
    TaskClaim,
)
from factory.review.simulate import simulate_reviews
from factory.review.stage import run as queue_reviews
from factory.samples import work_path
from factory.sandbox.pool import PooledSandbox
from factory.settings import FactoryConfig, GenerationSettings, ReviewSettings, SandboxSettings
from factory.stages.context import StageContext
from factory.tasktypes import simulate as simulated_work
from factory.tasktypes.context import load_context
from factory.tasktypes.enqueue import enqueue_work
from factory.tasktypes.simulate import SIMULATED, CodeFinding, ranking_fields, review_fields
from factory.vocab import ClaimStatus, TaskStatus

MARK = "Simulated annotator:"
# The free text each kind's payload holds; every one must say it is simulated.
FREE_TEXT = {
    "ranking": lambda p: [p["rationale"]],
    "code_review": lambda p: [p["summary"], *(s["comment"] for s in p["spans"])],
    "bug_fix": lambda p: [p["root_cause"], p["how_found"]],
    "authoring": lambda p: [p["approach"]],
    "refactoring": lambda p: [s["why"] for s in p["steps"]],
    "reasoning": lambda p: [p["summary"]],
}


def _demo_batch(engine: Engine, folder: Path) -> str:
    """The bundled work records through intake, replayed candidates and the review stage."""
    folder.mkdir()
    path = shutil.copy(work_path(), folder / "work.jsonl")
    config = FactoryConfig.model_validate({"review": {"overlap_fraction": 1.0}})
    report = ingest_batch(engine, Path(path), config)
    assert report.accepted == report.received == 7, report.rejections
    run_generation(
        engine=engine, batch_id=report.batch_id, settings=GenerationSettings(), client=None
    )
    queued = queue_reviews(StageContext(config, engine), report.batch_id)
    assert set(queued.work.by_kind) == set(KINDS)  # a task of every kind for the demo's records
    return report.batch_id


@pytest.mark.docker
@pytest.mark.slow
def test_the_bundled_work_is_completed_by_two_simulated_people_each_through_the_sandbox(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox, tmp_path: Path
) -> None:
    engine = sqlite_engine
    batch_id = _demo_batch(engine, tmp_path / "inbox")
    messages: list[str] = []

    counts = simulate_reviews(
        engine, batch_id, reviewers=3, seed=5, sandbox=docker_sandbox, report=messages.append
    )

    assert messages == []
    assert counts["tasks"] == counts["tasks_done"] == 7  # a JavaScript bug fix among them
    assert (counts["work_submissions"], counts["work_left_for_people"]) == (14, 0)
    assert counts["work_refused"] == 0 and counts["annotations"] == 0
    with Session(engine) as session:
        tasks = session.scalars(select(ReviewTask).where(ReviewTask.batch_id == batch_id)).all()
        assert {t.kind for t in tasks} == set(KINDS)
        assert {t.language for t in tasks} == {"python", "javascript"}
        assert all(t.status == TaskStatus.COMPLETE and t.review_count == 2 for t in tasks)
        submissions = session.scalars(select(Submission).order_by(col(Submission.id))).all()
        simulated = {r.id for r in session.scalars(select(Reviewer)) if r.simulated}
        for task in tasks:
            mine = [s for s in submissions if s.task_id == task.id]
            assert len({s.reviewer_id for s in mine}) == 2  # two different simulated people
        for submission in submissions:
            assert submission.simulated and submission.reviewer_id in simulated
            texts = FREE_TEXT[submission.kind](submission.payload)
            assert texts and all(text.startswith(MARK) for text in texts), submission.kind
        by_kind = {s.kind: s for s in submissions}
        # The sandbox saw the regression test fail on the buggy code and pass on the fix.
        checks = by_kind["bug_fix"].verification["checks"]
        assert [c["verdict"] for c in checks] == ["failed", "passed", "passed"]
        assert all(c["verdict"] == "passed" for c in by_kind["refactoring"].verification["checks"])
        # The injectable SQL and the shell call are marked as security findings with their CWE.
        spans = session.scalars(
            select(ReviewSpan).where(ReviewSpan.submission_id == by_kind["code_review"].id)
        ).all()
        security = {(s.start_line, s.cwe) for s in spans if s.category == "security"}
        prompt = session.scalars(
            select(Prompt).where(Prompt.external_id == "factory/python/user-lookup-review")
        ).one()
        lines = prompt.subject_code.splitlines()
        assert (_line_of(lines, "% name"), "CWE-89") in security
        assert (_line_of(lines, "shell=True"), "CWE-78") in security
        ranks = session.scalars(
            select(RankEntry).where(RankEntry.submission_id == by_kind["ranking"].id)
        ).all()
        assert sorted(r.rank for r in ranks) == [1, 2, 3, 4]
        # Reasoning notes were written on the claim, through the notes path, before submitting.
        for submission in (s for s in submissions if s.kind == "reasoning"):
            notes = session.scalars(
                select(ReasoningNote).where(ReasoningNote.claim_id == submission.claim_id)
            ).all()
            assert len(notes) >= 2 and all(n.text.startswith(MARK) for n in notes)
            assert all(n.created_at <= submission.created_at for n in notes)


def _line_of(lines: list[str], text: str) -> int:
    return next(n for n, line in enumerate(lines, 1) if text in line)


@pytest.mark.docker
def test_kinds_without_demonstration_answers_are_left_for_people_and_reported(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    batch = build_work_batch(engine)  # its records carry no metadata.demo
    messages: list[str] = []

    counts = simulate_reviews(
        engine, batch.batch_id, reviewers=2, sandbox=docker_sandbox, report=messages.append
    )

    left = {"bug_fix", "authoring", "refactoring", "reasoning"}
    assert counts["work_left_for_people"] == len(left) and counts["work_refused"] == 0
    assert counts["work_submissions"] == 2  # the ranking, and the code review (no findings)
    assert counts["tasks_done"] == 2
    assert len(messages) == len(left)  # each told once, with the reason
    for kind in left:
        (said,) = [m for m in messages if f" {kind} task {batch.tasks[kind].id} " in m]
        assert said.startswith(MARK) and "left for people" in said and "metadata.demo" in said
    with Session(engine) as session:
        for kind in KINDS:
            task = session.get(ReviewTask, batch.tasks[kind].id)
            assert task is not None
            expected = TaskStatus.OPEN if kind in left else TaskStatus.COMPLETE
            assert (task.status, task.active_claims) == (expected, 0), kind
        assert {s.kind for s in session.scalars(select(Submission))} == {"ranking", "code_review"}
        review = session.scalars(select(Submission).where(Submission.kind == "code_review")).one()
        assert review.payload["clean"] and review.payload["summary"].startswith(MARK)
        # Given back through the queue with the reason, by each simulated person once.
        skipped = session.scalars(
            select(TaskClaim).where(TaskClaim.status == ClaimStatus.SKIPPED)
        ).all()
        assert {c.task_id for c in skipped} == {batch.tasks[k].id for k in left}
        assert all(c.skip_reason.startswith(MARK) for c in skipped)


def _bug_fix_batch(engine: Engine, demo: dict[str, str]) -> int:
    """A bug fix of the record's own code, with the given demonstration; its task id."""
    from review_data_builder import add_batch

    with Session(engine) as session:
        add_batch(session, "batch-demo")
        prompt = add_work_prompt(session, "batch-demo", "bug_fix", code=BUGGY)
        prompt.metadata_ = {"demo": demo}
        session.add(prompt)
        enqueue_work(session, "batch-demo", ReviewSettings(overlap_fraction=1.0))
        session.commit()
        return session.scalars(
            select(ReviewTask.id).where(ReviewTask.batch_id == "batch-demo")
        ).one()


@pytest.mark.docker
def test_a_refused_answer_is_reported_with_its_reason_and_not_submitted_again(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox
) -> None:
    engine = sqlite_engine
    weak_test = "from solution import total\n\ndef test_empty():\n    assert total([]) == 0\n"
    task_id = _bug_fix_batch(
        engine,
        {
            "root_cause": "the loop stops one short",
            "cause_category": "off_by_one",
            "fixed_code": GOOD,
            "regression_test": weak_test,  # passes on the buggy code too
            "how_found": "read the range bound",
        },
    )
    messages: list[str] = []

    counts = simulate_reviews(
        engine, "batch-demo", reviewers=2, sandbox=docker_sandbox, report=messages.append
    )

    assert (counts["work_refused"], counts["work_submissions"]) == (1, 0)
    (said,) = messages
    assert said.startswith(f"{MARK} bug_fix task {task_id} refused: ")
    assert "passes on the buggy code" in said
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None and (task.status, task.review_count) == (TaskStatus.OPEN, 0)
        claims = session.scalars(select(TaskClaim).order_by(col(TaskClaim.id))).all()
        # The second person does not send the same answer again: both give the task back.
        assert [c.status for c in claims] == [ClaimStatus.SKIPPED, ClaimStatus.SKIPPED]
        assert "refused" in claims[0].skip_reason and "passes on the buggy" in claims[0].skip_reason
        assert "left for people" in claims[1].skip_reason
        assert session.scalars(select(Submission)).all() == []


class _Lent:
    """The session's sandbox, lent without being closed when the simulation ends."""

    def __init__(self, sandbox: PooledSandbox) -> None:
        self.sandbox = sandbox

    def __enter__(self) -> PooledSandbox:
        return self.sandbox

    def __exit__(self, *exc_info: object) -> None:
        return None


@pytest.mark.docker
def test_a_sandbox_is_opened_with_the_settings_only_for_checked_work(
    sqlite_engine: Engine, docker_sandbox: PooledSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sqlite_engine
    opened: list[SandboxSettings] = []

    def open_sandbox(settings: SandboxSettings) -> _Lent:
        opened.append(settings)
        return _Lent(docker_sandbox)

    monkeypatch.setattr(simulated_work, "open_sandbox", open_sandbox)
    settings = SandboxSettings(timeout_s=4.0)
    batch = build_work_batch(engine)
    with Session(engine) as session:  # only the ranking is left: nothing to check
        for task in session.scalars(select(ReviewTask).where(ReviewTask.kind != "ranking")):
            task.status = TaskStatus.COMPLETE
            session.add(task)
        session.commit()
    simulate_reviews(engine, batch.batch_id, reviewers=1, sandbox_settings=settings)
    assert opened == []

    task_id = _bug_fix_batch(
        engine,
        {
            "root_cause": "range(len(xs) - 1) leaves out the last item",
            "cause_category": "off_by_one",
            "fixed_code": GOOD,
            "regression_test": "from solution import total\n\n"
            "def test_last():\n    assert total([5]) == 5\n",
            "how_found": "ran total([5])",
        },
    )
    counts = simulate_reviews(engine, "batch-demo", reviewers=2, sandbox_settings=settings)
    assert opened == [settings]  # once, with the settings given, for both answers
    assert counts["work_submissions"] == 2
    with Session(engine) as session:
        task = session.get(ReviewTask, task_id)
        assert task is not None and task.status == TaskStatus.COMPLETE


def test_rankings_put_passing_candidates_first_and_two_people_differ(
    sqlite_engine: Engine,
) -> None:
    batch = build_work_batch(sqlite_engine)
    with Session(sqlite_engine) as session:
        task = session.get(ReviewTask, batch.tasks["ranking"].id)
        assert task is not None
        context = load_context(session, task)
        orders = set()
        for seed in range(12):
            fields = ranking_fields(session, context, random.Random(seed))
            ids = [c.candidate_id for c in context.candidates]
            ranks = {c: int(fields[f"rank-{c}"]) for c in ids}
            orders.add(tuple(sorted(ranks, key=ranks.__getitem__)))
            # m1 and m2 pass their tests, m3 and m4 fail: passing ones always rank first.
            assert sorted(ranks.values()) == [1, 2, 3, 4]
            passing = {c.candidate_id for c in context.candidates[:2]}
            assert {c for c, rank in ranks.items() if rank <= 2} == passing
            assert fields["rationale"].startswith(SIMULATED)
            assert all(
                1 <= int(fields[f"score-{c}-correctness"]) <= 5 for c in ranks
            )  # from simulated_scores
    assert len(orders) > 1  # seeded noise: not every person orders them alike


FINDINGS = [
    CodeFinding("bandit", "B608", "security", "MEDIUM", 89, 7, "SQL built from a string"),
    CodeFinding("bandit", "B602", "security", "HIGH", 78, 14, "shell=True"),
    CodeFinding("bandit", "B404", "security", "LOW", 78, 2, "subprocess imported"),
    CodeFinding("ruff", "E501", "style", "", None, 3, "line too long"),
    CodeFinding("radon", "cc", "readability", "C", None, 5, "complex function"),
    CodeFinding("bandit", "B999", "security", "LOW", None, 9, "no CWE known"),
]


def test_code_review_spans_follow_the_findings_with_slight_differences_between_people() -> None:
    import json

    answers = []
    for seed in range(20):
        fields = review_fields(FINDINGS, random.Random(seed), n_lines=14)
        spans = json.loads(fields["spans"])
        answers.append(json.dumps(spans, sort_keys=True))
        assert fields["summary"].startswith(SIMULATED) and "clean" not in fields
        by_line = {s["start_line"]: s for s in spans}
        # The high-severity shell call is always marked, as security with its CWE.
        assert by_line[14]["category"] == "security" and by_line[14]["cwe"] == "CWE-78"
        assert by_line[14]["end_line"] == 14  # the code's last line: never widened past it
        assert all(s["comment"].startswith(SIMULATED) for s in spans)
        if 3 in by_line:
            assert (by_line[3]["category"], by_line[3]["severity"]) == ("style", "low")
        if 5 in by_line:
            assert by_line[5]["category"] == "readability"
        if 9 in by_line:  # a security finding without a CWE cannot be filed as security
            assert (by_line[9]["category"], by_line[9]["cwe"]) == ("defect", "")
        if 7 in by_line:
            assert by_line[7]["cwe"] == "CWE-89"
    assert len(set(answers)) > 1  # two people rarely mark exactly the same

    clean = review_fields([], random.Random(0), n_lines=5)
    assert clean["clean"] == "1" and json.loads(clean["spans"]) == []
    assert clean["summary"].startswith(SIMULATED)


def test_demonstration_answers_are_read_flat_or_by_kind_and_never_made_up() -> None:
    from factory.tasktypes.simulate import LeftForPeople, demonstration

    flat = {"demo": {"solution": GOOD, "tests": "t"}}
    assert demonstration(flat, "authoring")["solution"] == GOOD
    by_kind = {"demo": {"reasoning": {"answer": GOOD}, "authoring": {"solution": BUGGY}}}
    assert demonstration(by_kind, "reasoning") == {"answer": GOOD}
    assert demonstration(by_kind, "authoring") == {"solution": BUGGY}
    for metadata, kind in (
        ({}, "bug_fix"),
        ({"demo": "fix it"}, "bug_fix"),
        ({"demo": {"solution": GOOD}}, "bug_fix"),  # an answer for another kind
        ({"demo": {"steps": []}}, "refactoring"),  # nothing in it
    ):
        with pytest.raises(LeftForPeople, match=f"no demonstration answer for {kind}"):
            demonstration(metadata, kind)

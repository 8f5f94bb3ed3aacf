"""A batch that mixes languages: each language is its own pool for reviewers, simulated
reviewers and the simulated newcomer, and its own agreement cells."""

from review_builders import add_finding, add_people, build_batch, enqueue
from review_data_builder import add_candidate, add_prompt
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.agreement.report import agreement_report
from factory.models import GoldItem, Reviewer, ReviewTask
from factory.review.pools import PoolStatus, memberships_of
from factory.review.queue import claim_next
from factory.review.simulate import SIMULATED_PREFIX, simulate_reviews
from factory.review.simulated_gold import NEWCOMER, simulate_expert_gold
from factory.settings import AgreementSettings, ReviewSettings

GO_CODE = "func Solve{n}(x int) int {{\n\treturn {body}\n}}\n"


def two_language_batch(engine: Engine, prompts: int = 4) -> str:
    """Python prompts from build_batch, then as many Go prompts in the same batch, each with
    two passing candidates that differ in findings and a failing one."""
    batch = build_batch(engine, prompts=prompts)
    with Session(engine) as session:
        for i in range(prompts):
            prompt = add_prompt(session, batch.batch_id, f"g{i}", language="go", line_no=100 + i)
            add_candidate(session, prompt, model="m1", code=GO_CODE.format(n=i, body="2 * x"))
            messy = add_candidate(session, prompt, model="m2", code=GO_CODE.format(n=i, body="x+x"))
            add_finding(session, messy, "style", "gofmt")
            add_candidate(
                session, prompt, model="m3", code=GO_CODE.format(n=i, body="x"), verdict="failed"
            )
        session.commit()
    enqueue(engine, batch.batch_id, overlap_fraction=1.0, gold_rate=0.0)
    return batch.batch_id


def test_each_language_reaches_only_its_own_reviewers(engine: Engine) -> None:
    batch_id = two_language_batch(engine)
    (pythonista,) = add_people(engine, "pythonista", languages=("python",))
    (gopher,) = add_people(engine, "gopher", languages=("go",))

    served: dict[str, set[str]] = {"pythonista": set(), "gopher": set()}
    for person in (pythonista, gopher):
        for _ in range(3):
            claim = claim_next(engine, person.id, lease_seconds=60, batch_id=batch_id)
            assert claim is not None
            with Session(engine) as session:
                task = session.get(ReviewTask, claim.task_id)
                assert task is not None
                served[person.username].add(task.language)

    assert served == {"pythonista": {"python"}, "gopher": {"go"}}


def test_simulation_gold_and_agreement_are_per_language(engine: Engine) -> None:
    batch_id = two_language_batch(engine)

    counts = simulate_reviews(engine, batch_id, reviewers=2, seed=5)
    gold = simulate_expert_gold(
        engine, batch_id, seed=5, settings=ReviewSettings(qualification_items=2)
    )

    assert counts["tasks_done"] == counts["tasks"] > 0
    with Session(engine) as session:
        tasks = list(session.exec(select(ReviewTask).where(ReviewTask.batch_id == batch_id)))
        assert {t.language for t in tasks} == {"python", "go"}
        simulated = session.exec(
            select(Reviewer).where(Reviewer.username.startswith(SIMULATED_PREFIX))  # type: ignore[attr-defined]
        ).all()
        reviewers = [r for r in simulated if r.username not in (NEWCOMER, "sim-senior")]
        for reviewer in reviewers:
            assert reviewer.id is not None
            pools = {(m.language, m.task_type) for m in memberships_of(session, reviewer.id)}
            assert {("python", "code_generation"), ("go", "code_generation")} <= pools
        # Gold for each language's pool, and the newcomer answers it in both.
        by_task = {t.id: t.language for t in tasks}
        items = session.exec(select(GoldItem)).all()
        gold_languages = [by_task[item.task_id] for item in items]
        assert gold_languages.count("python") == gold_languages.count("go") == 2
        assert gold["gold_authored"] == 4
        newcomer = session.exec(select(Reviewer).where(Reviewer.username == NEWCOMER)).one()
        assert newcomer.id is not None
        memberships = {m.language: m.status for m in memberships_of(session, newcomer.id)}
        assert set(memberships) == {"python", "go"}
        assert set(memberships.values()) <= {PoolStatus.ACTIVE, PoolStatus.QUALIFYING}
        assert gold["qualification_answers"] >= 4  # a full attempt in each pool

        report = agreement_report(session, [batch_id], AgreementSettings(bootstrap_samples=20))
    cells = {(c.language, c.task_type) for c in report.cells}
    assert {("python", "*"), ("go", "*"), ("*", "*")} <= cells
    per_language = {
        c.language: c.n_items
        for c in report.cells
        if c.task_type == "*" and c.dimension == "preference"
    }
    python_tasks = sum(1 for t in tasks if t.language == "python")
    go_tasks = sum(1 for t in tasks if t.language == "go")
    assert per_language["python"] == python_tasks and per_language["go"] == go_tasks
    assert per_language["*"] == python_tasks + go_tasks

"""The data model: migrations match the models on both databases; a released row traces back."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from factory.models import (
    Annotation,
    Batch,
    Candidate,
    DimensionScore,
    ExecutionRun,
    Finding,
    PreferencePair,
    Prompt,
    Release,
    ReleaseItem,
    Reviewer,
    ReviewTask,
    TaskClaim,
)
from factory.models._base import utcnow

QUEUE_INDEX = "ix_reviewtask_open_queue"


SHA_INDEX = "ix_prompt_sha_prefix"


def _compared(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    # SQLite's reflection drops an index column's DESC and skips indexes on expressions, so
    # those indexes are checked below instead.
    return not (type_ == "index" and name in (QUEUE_INDEX, SHA_INDEX))


# Alembic cannot compare an index on an expression on SQLite, and says so: that index is
# checked by test_exact_duplicate_lookups_use_the_key_prefix_index.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_match_models(engine: Engine) -> None:
    sqlite = engine.dialect.name == "sqlite"
    opts = {"include_object": _compared} if sqlite else {}
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), SQLModel.metadata)
    assert diff == [], f"models and migrations differ; add an Alembic revision: {diff}"


def test_claim_order_index_matches_the_claim_query(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            columns = [
                (row.name, bool(row.desc))
                for row in conn.exec_driver_sql(f"PRAGMA index_xinfo('{QUEUE_INDEX}')")
                if row.key
            ]
            assert columns == [
                ("language", False),
                ("task_type", False),
                ("priority", True),
                ("id", False),
            ]
        else:
            definition = conn.exec_driver_sql(
                f"SELECT indexdef FROM pg_indexes WHERE indexname = '{QUEUE_INDEX}'"
            ).scalar_one()
            assert "(language, task_type, priority DESC, id)" in definition
            assert "WHERE ((status)::text = 'open'::text)" in definition


def test_exact_duplicate_lookups_use_the_key_prefix_index(engine: Engine) -> None:
    query = (
        "SELECT normalized_sha256, min(id) FROM prompt "
        "WHERE substr(normalized_sha256, 1, 16) IN ('0123456789abcdef', 'fedcba9876543210') "
        "GROUP BY normalized_sha256"
    )
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}")
            )
            assert SHA_INDEX in plan
        else:
            definition = conn.exec_driver_sql(
                f"SELECT indexdef FROM pg_indexes WHERE indexname = '{SHA_INDEX}'"
            ).scalar_one()
            assert "substr((normalized_sha256)::text, 1, 16)" in definition
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {query}"))
            assert SHA_INDEX in plan


def test_release_row_traces_back_to_every_source(engine: Engine) -> None:
    with Session(engine) as s:
        s.add(
            Batch(id="b1", source_path="inbox/b1.jsonl", content_sha256="0" * 64, format="factory")
        )
        prompt = Prompt(
            batch_id="b1",
            external_id="p1",
            line_no=1,
            language="python",
            task_type="code_generation",
            prompt="Add.",
            tests="assert add(1, 2) == 3",
            entry_point="add",
            reference_solution="def add(a, b): return a + b",
            normalized_sha256="1" * 64,
        )
        s.add(prompt)
        s.flush()
        a, b = (
            Candidate(
                prompt_id=prompt.id,
                batch_id="b1",
                source="replay",
                model=m,
                code=f"def add(a, b): return {expr}",
                code_sha256=m * 64,
            )
            for m, expr in (("a", "a + b"), ("b", "sum((a, b))"))
        )
        s.add_all([a, b])
        s.flush()
        s.add(
            ExecutionRun(
                candidate_id=a.id,
                prompt_id=prompt.id,
                batch_id="b1",
                cache_key="k",
                backend="docker",
                verdict="passed",
                tests_total=1,
                tests_passed=1,
            )
        )
        s.add(Finding(candidate_id=b.id, tool="ruff", dimension="style", rule_id="E501"))
        reviewer = Reviewer(username="ada", languages=["python"])
        task = ReviewTask(
            batch_id="b1",
            prompt_id=prompt.id,
            candidate_a_id=a.id,
            candidate_b_id=b.id,
            language="python",
        )
        s.add_all([reviewer, task])
        s.flush()
        claim = TaskClaim(task_id=task.id, reviewer_id=reviewer.id, expires_at=utcnow())
        s.add(claim)
        s.flush()
        ann = Annotation(
            task_id=task.id,
            claim_id=claim.id,
            reviewer_id=reviewer.id,
            preference=-2,
            rationale="A is clearer",
        )
        s.add(ann)
        s.flush()
        s.add(DimensionScore(annotation_id=ann.id, candidate_id=a.id, dimension="style", score=5))
        pair = PreferencePair(
            task_id=task.id,
            prompt_id=prompt.id,
            chosen_candidate_id=a.id,
            rejected_candidate_id=b.id,
            strength=2.0,
            label_source="annotations",
        )
        release = Release(name="code-rlhf", version="1.0.0", batch_ids=["b1"])
        s.add_all([pair, release])
        s.flush()
        s.add(
            ReleaseItem(
                release_id=release.id,
                config="dpo",
                split="train",
                row_key="r1",
                prompt_id=prompt.id,
                pair_id=pair.id,
            )
        )
        s.commit()

    with Session(engine) as s:
        item = s.exec(select(ReleaseItem)).one()
        pair = s.get(PreferencePair, item.pair_id)
        task = s.get(ReviewTask, pair.task_id)
        reviewers = s.exec(
            select(Reviewer.username).join(Annotation).where(Annotation.task_id == task.id)
        ).all()
        runs = s.exec(
            select(ExecutionRun).where(ExecutionRun.candidate_id == pair.chosen_candidate_id)
        ).all()
        assert s.get(Prompt, item.prompt_id).external_id == "p1"
        assert {task.candidate_a_id, task.candidate_b_id} == {
            pair.chosen_candidate_id,
            pair.rejected_candidate_id,
        }
        assert reviewers == ["ada"]
        assert [r.verdict for r in runs] == ["passed"]

"""build_release on both databases: folder layout, rows traced to their sources, what is left out,
splits by prompt, idempotent reruns and versioning, refusal of simulated labels, and crashes."""

import json
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml
from release_builders import ADJUDICATION_RATIONALE, ReviewedBatch, config, review, reviewed_batch
from review_builders import build_batch, enqueue
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from factory.errors import FactoryUserError
from factory.models import (
    Annotation,
    Candidate,
    ExecutionRun,
    Finding,
    PreferencePair,
    Release,
    ReleaseItem,
    Reviewer,
    ReviewTask,
    TaskClaim,
)
from factory.packaging import staging
from factory.packaging.release import build_release
from factory.packaging.schemas import SCHEMAS

CONFIGS = ("dpo", "dpo_conversational", "rlvr", "sft", "reward")


@pytest.fixture
def batch(engine: Engine) -> ReviewedBatch:
    return reviewed_batch(engine)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The releases root, apart from the SQLite file the engine keeps in tmp_path."""
    return tmp_path / "releases"


def table(folder: Path, config_name: str) -> pd.DataFrame:
    frames = []
    for path in sorted((folder / config_name).glob("*.parquet")):
        frame = pd.read_parquet(path)
        frame["split"] = path.name.split("-")[0]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def items(engine: Engine, release_id: int) -> pd.DataFrame:
    with Session(engine) as session:
        rows = session.exec(select(ReleaseItem).where(ReleaseItem.release_id == release_id)).all()
    return pd.DataFrame([r.model_dump() for r in rows])


def releases(engine: Engine) -> list[Release]:
    with Session(engine) as session:
        return list(session.exec(select(Release).order_by(Release.id)).all())


def test_release_folder_rows_and_release_items(engine, batch, out):
    release = build_release(engine, [batch.batch_id], config(), out_root=out)
    folder = out / "code-rlhf" / "0.1.0"
    assert Path(release.path) == folder and release.version == "0.1.0"
    assert release.status == "packaged" and release.batch_ids == [batch.batch_id]
    assert release.config_sha256 == config().sha256()
    for name in ("README.md", "qa_report.json", "qa_report.md", "factory_config.yaml"):
        assert (folder / name).is_file(), name
    assert yaml.safe_load((folder / "factory_config.yaml").read_text())["packaging"][
        "allow_simulated"
    ]
    assert json.loads((folder / "qa_report.json").read_text())["simulated"] is True
    card = (folder / "README.md").read_text()
    assert "config_name: dpo" in card and "Simulated labels" in card
    assert [p.name for p in out.iterdir()] == ["code-rlhf"]  # no staging left behind

    traced = items(engine, release.id)
    for name in CONFIGS:
        data = table(folder, name)
        assert list(data.columns[:-1]) == SCHEMAS[name].names
        mine = traced[traced.config == name]
        assert len(mine) == len(data) == release.counts[name] > 0
        assert sorted(mine.row_key) == sorted(data.id)
        assert (mine.set_index("row_key").split.loc[data.id].to_numpy() == data.split).all()
    assert release.qa_report["packaged"]["dpo"] == {
        s: int(n) for s, n in table(folder, "dpo").split.value_counts().items()
    }


def test_jsonl_on_request_next_to_parquet(engine, batch, out):
    release = build_release(
        engine, [batch.batch_id], config(formats=["parquet", "jsonl"]), out_root=out
    )
    folder = Path(release.path)
    for name in CONFIGS:
        lines = sum(len(p.read_text().splitlines()) for p in folder.glob(f"{name}/*.jsonl"))
        assert lines == len(table(folder, name)) == release.counts[name]
    card = (folder / "README.md").read_text()
    assert "dpo/train-00000.parquet" in card and ".jsonl" not in card  # one format per config


def test_dpo_rows_exclude_ties_pending_and_contaminated_and_use_adjudication(engine, batch, out):
    release = build_release(engine, [batch.batch_id], config(), out_root=out)
    dpo = table(Path(release.path), "dpo")
    with Session(engine) as session:
        pairs = {p.task_id: p for p in session.exec(select(PreferencePair)).all()}
        tie = session.get(ReviewTask, batch.tie_task)
        pending = session.get(ReviewTask, batch.pending_task)
        adjudicated = session.get(ReviewTask, batch.adjudicated_task)
    assert tie.status == "complete" and batch.tie_task not in pairs
    assert pending.status == "open" and batch.pending_task not in pairs
    expected = {p.id for p in pairs.values() if p.prompt_id != batch.contaminated_prompt}
    assert set(dpo.task_id) == {p.task_id for p in pairs.values() if p.id in expected}
    assert len(dpo) == len(expected) and batch.contaminated_prompt not in set(dpo.prompt_id)
    for name in ("rlvr", "sft", "reward"):
        assert batch.contaminated_prompt not in set(table(Path(release.path), name).prompt_id)
    assert release.qa_report["packaging_exclusions"]["contaminated_prompt"] == 1

    (row,) = dpo[dpo.task_id == batch.adjudicated_task].itertuples()
    assert row.label_source == "adjudication" and row.rationale == ADJUDICATION_RATIONALE
    assert row.chosen_candidate_id == adjudicated.candidate_b_id  # the senior chose B (+2)
    assert row.strength == 2.0 and row.chosen != row.rejected
    assert row.chosen.startswith("```python\n") and row.prompt


def test_contaminated_prompts_are_kept_when_not_excluded(engine, batch, out):
    release = build_release(
        engine, [batch.batch_id], config(exclude_contaminated=False), out_root=out
    )
    assert batch.contaminated_prompt in set(table(Path(release.path), "rlvr").prompt_id)
    assert "contaminated_prompt" not in release.qa_report["packaging_exclusions"]


def test_an_orphaned_folder_from_an_interrupted_run_is_replaced(engine, batch, out):
    orphan = out / "code-rlhf" / "0.1.0"
    (orphan / "dpo").mkdir(parents=True)
    (orphan / "dpo" / "train-00000.parquet").write_bytes(b"half written")
    release = build_release(engine, [batch.batch_id], config(), out_root=out)
    assert release.version == "0.1.0" and Path(release.path) == orphan
    assert len(table(orphan, "dpo")) == release.counts["dpo"]


def test_no_prompt_in_two_splits_and_near_duplicates_together(engine, batch, out):
    release = build_release(engine, [batch.batch_id], config(), out_root=out)
    rows = pd.concat([table(Path(release.path), name)[["prompt_id", "split"]] for name in CONFIGS])
    splits_per_prompt = rows.groupby("prompt_id").split.nunique()
    assert (splits_per_prompt == 1).all()
    assert set(rows.split) == {"train", "test"}
    first, second = batch.twin_prompts
    by_prompt = rows.drop_duplicates().set_index("prompt_id").split
    assert by_prompt[first] == by_prompt[second]


def test_a_dpo_row_traces_back_to_annotations_reviewers_runs_and_findings(engine, batch, out):
    release = build_release(engine, [batch.batch_id], config(), out_root=out)
    dpo = table(Path(release.path), "dpo")
    row = dpo[dpo.task_id == batch.adjudicated_task].iloc[0]
    with Session(engine) as session:
        item = session.exec(
            select(ReleaseItem).where(
                ReleaseItem.release_id == release.id,
                ReleaseItem.config == "dpo",
                ReleaseItem.row_key == row.id,
            )
        ).one()
        pair = session.get(PreferencePair, item.pair_id)
        assert item.prompt_id == pair.prompt_id == row.prompt_id
        reviewers = session.exec(
            select(Reviewer.username)
            .join(Annotation, Annotation.reviewer_id == Reviewer.id)
            .join(ReviewTask, ReviewTask.id == Annotation.task_id)
            .where(ReviewTask.id == pair.task_id)
            .order_by(Reviewer.username)
        ).all()
        chosen = session.get(Candidate, pair.chosen_candidate_id)
        runs = session.exec(
            select(func.count()).where(ExecutionRun.candidate_id == chosen.id)
        ).one()
        findings = session.exec(
            select(Finding.rule_id).where(Finding.candidate_id == pair.chosen_candidate_id)
        ).all()
    assert reviewers == ["alice", "bob"]
    assert chosen.id == row.chosen_candidate_id and chosen.code.rstrip() in row.chosen
    assert runs >= 1
    assert sorted(findings) == ["B404", "E225"]  # the senior chose B, the messier candidate


def test_rerun_is_idempotent_and_changed_content_gets_the_next_minor(engine, batch, out):
    first = build_release(engine, [batch.batch_id], config(), out_root=out)
    files = sorted(p.relative_to(out) for p in out.rglob("*"))
    again = build_release(engine, [batch.batch_id], config(), out_root=out)
    assert again.id == first.id and len(releases(engine)) == 1
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == files
    with Session(engine) as session:
        n_items = session.exec(select(func.count()).select_from(ReleaseItem)).one()

    # The pending task gets its second review: new content, next minor version.
    carol = batch.reviewers["carol"]
    _withdraw_claim(engine, batch.pending_task, carol)
    review(engine, batch.pending_task, carol, -2)
    second = build_release(engine, [batch.batch_id], config(), out_root=out)
    assert second.version == "0.2.0" and second.id != first.id
    assert batch.pending_task in set(table(Path(second.path), "dpo").task_id)
    assert Path(first.path).is_dir() and Path(second.path).is_dir()
    with Session(engine) as session:
        total = session.exec(select(func.count()).select_from(ReleaseItem)).one()
    assert total > 2 * n_items - 1  # the new release has its own items, the old ones stay

    pinned = build_release(engine, [batch.batch_id], config(version="3.0.0"), out_root=out)
    assert pinned.version == "3.0.0" and (out / "code-rlhf" / "3.0.0").is_dir()
    with pytest.raises(FactoryUserError, match="3.0.0 already exists with different content"):
        build_release(
            engine, [batch.batch_id], config(version="3.0.0", test_fraction=0.9), out_root=out
        )


def _withdraw_claim(engine: Engine, task_id: int, reviewer_id: int) -> None:
    """Drop an unsubmitted claim so the reviewer can review through a fresh one."""
    with Session(engine) as session:
        lease = session.exec(
            select(TaskClaim).where(
                TaskClaim.task_id == task_id, TaskClaim.reviewer_id == reviewer_id
            )
        ).one()
        task = session.get(ReviewTask, task_id)
        task.active_claims -= 1
        session.delete(lease)
        session.commit()


def test_simulated_labels_are_refused_unless_allowed(engine, batch, out):
    with pytest.raises(FactoryUserError) as error:
        build_release(engine, [batch.batch_id], config(allow_simulated=False), out_root=out)
    message = str(error.value)
    assert batch.batch_id in message and "simulated" in message and "allow_simulated" in message
    assert releases(engine) == [] and list(out.iterdir()) == []


def test_a_batch_without_resolved_pairs_is_refused_with_the_reasons(engine, out):
    queued = build_batch(engine, prompts=3, batch_id="batch-unreviewed")
    enqueue(engine, queued.batch_id, overlap_fraction=0.0, gold_rate=0.0)
    with pytest.raises(
        FactoryUserError, match="batch-unreviewed have no usable preference pair.*still_open: 3"
    ):
        build_release(engine, [queued.batch_id], config(), out_root=out)
    assert releases(engine) == []


def test_unknown_batch_is_refused_by_name(engine, out):
    with pytest.raises(FactoryUserError, match="unknown batch.*'nope'"):
        build_release(engine, ["nope"], config(), out_root=out)


def test_a_crash_while_writing_leaves_nothing(engine, batch, out, monkeypatch):
    real = staging.reward_row
    written = []

    def crash_on_third(*args, **kwargs):
        written.append(1)
        if len(written) == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(staging, "reward_row", crash_on_third)
    with pytest.raises(OSError, match="disk full"):
        build_release(engine, [batch.batch_id], config(), out_root=out)
    assert not out.exists() or list(out.iterdir()) == [] and releases(engine) == []
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(ReleaseItem)).one() == 0


def test_a_failed_commit_removes_the_moved_folder(engine, batch, out, monkeypatch):
    from factory.packaging import release as release_module

    @contextmanager
    def commit_fails(engine_: Engine):
        with Session(engine_, expire_on_commit=False) as session:
            yield session
            assert list(out.glob("code-rlhf/0.1.0/dpo/*.parquet"))  # moved into place
            session.rollback()
            raise RuntimeError("connection lost at commit")

    monkeypatch.setattr(release_module, "session_scope", commit_fails)
    with pytest.raises(RuntimeError, match="connection lost"):
        build_release(engine, [batch.batch_id], config(), out_root=out)
    assert list(out.rglob("*.parquet")) == [] and releases(engine) == []

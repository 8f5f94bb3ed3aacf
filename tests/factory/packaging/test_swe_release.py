"""The `swe` config: stable repository tasks in SWE-bench's schema with their image and grading
command, traced item by item, loaded with `datasets`; the funnel in the QA report and the card."""

import json
from pathlib import Path

import datasets
import pytest
from release_builders import config, reviewed_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.models import EnvRecipe, ReleaseItem, RepoSnapshot, RepoTask
from factory.packaging.release import build_release

SWE_BENCH_FIELDS = [
    "instance_id", "repo", "base_commit", "patch", "test_patch", "problem_statement",
    "hints_text", "created_at", "version", "FAIL_TO_PASS", "PASS_TO_PASS",
    "environment_setup_commit",
]  # fmt: skip


NOT_GRADABLE = "no test fails before the gold patch and passes after it"


def add_repository_tasks(engine: Engine) -> None:
    """One snapshot: two stable tasks, one flaky, one not gradable, on one built recipe."""
    recipe_id = "r" * 16
    with Session(engine) as session:
        session.add(
            RepoSnapshot(
                id="adder@abc123abc123",
                name="adder",
                source="/repos/adder.bundle",
                head_commit="a" * 40,
                commits_scanned=40,
                funnel={
                    "mining_rejections": {"no test change": 30},
                    "reasons": {"gradable": {NOT_GRADABLE: 1}},
                },
            )
        )
        session.add(
            EnvRecipe(
                id=recipe_id,
                ecosystem="python",
                spec={"requires": ["pytest"]},
                image=f"factory-env:{recipe_id}",
                status="built",
            )
        )
        session.flush()
        for n, status in enumerate(["stable", "stable", "flaky", "not_gradable"]):
            session.add(
                RepoTask(
                    instance_id=f"adder-{n:010d}",
                    snapshot_id="adder@abc123abc123",
                    repo="adder",
                    base_commit=f"{n}" * 40,
                    source_commit="f" * 40,
                    patch="diff --git a/x.py b/x.py\n",
                    test_patch="diff --git a/tests/test_x.py b/tests/test_x.py\n",
                    test_files=["tests/test_x.py"],
                    problem_statement=f"add() is wrong, case {n}",
                    version="1.2",
                    environment_setup_commit="9" * 40,
                    recipe_id=recipe_id,
                    created_at_source=f"2026-01-0{n + 1}T00:00:00+00:00",
                    FAIL_TO_PASS=["tests/test_x.py::test_adds"],
                    PASS_TO_PASS=["tests/test_x.py::test_small"],
                    status=status,
                    reason="" if status == "stable" else "why not",
                )
            )
        session.commit()


def test_stable_repository_tasks_are_released_in_swe_bench_shape(
    engine: Engine, tmp_path: Path
) -> None:
    batch = reviewed_batch(engine)
    add_repository_tasks(engine)
    release = build_release(engine, [batch.batch_id], config(), out_root=tmp_path / "out")
    folder = Path(release.path)
    rows = datasets.load_dataset(
        "parquet", data_files=sorted(str(p) for p in (folder / "swe").glob("*.parquet"))
    )["train"]
    assert rows.column_names[: len(SWE_BENCH_FIELDS)] == SWE_BENCH_FIELDS
    assert rows["instance_id"] == ["adder-0000000000", "adder-0000000001"]  # stable only
    first = rows[0]
    assert json.loads(first["FAIL_TO_PASS"]) == ["tests/test_x.py::test_adds"]
    assert first["image"] == "factory-env:" + "r" * 16
    assert first["grade_command"] == "factory envs grade adder-0000000000 PATCH_FILE"
    assert "factory_pytest_report" not in first["test_command"]
    assert first["test_command"].endswith("-- tests/test_x.py")
    assert "source_commit" not in rows.column_names  # the commit that holds the answer
    with Session(engine) as session:
        traced = session.exec(
            select(ReleaseItem).where(
                ReleaseItem.release_id == release.id, ReleaseItem.config == "swe"
            )
        ).all()
    assert sorted(i.instance_id or "" for i in traced) == rows["instance_id"]
    assert all(i.prompt_id is None for i in traced)
    report = (folder / "qa_report.md").read_text()
    assert "## Repository tasks (environment funnel)" in report
    assert "| adder@abc123abc123 | 40 | 4 | 4 | 3 | 2 | 2 |" in report
    assert "30 no test change" in report
    qa = json.loads((folder / "qa_report.json").read_text())
    assert qa["repositories"][0]["counts"] == {
        "mined": 4,
        "runnable": 4,
        "gradable": 3,
        "stable": 2,
    }
    card = (folder / "README.md").read_text()
    assert "config_name: swe" in card and "## Repository tasks" in card
    assert "factory envs grade INSTANCE_ID PATCH_FILE" in card


def test_repository_tasks_can_be_left_out(engine: Engine, tmp_path: Path) -> None:
    batch = reviewed_batch(engine)
    add_repository_tasks(engine)
    settings = config(repository_tasks=False)
    release = build_release(engine, [batch.batch_id], settings, out_root=tmp_path / "out")
    assert not (Path(release.path) / "swe").exists()


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")

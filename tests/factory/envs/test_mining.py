"""Mining a real git history: which commits make tasks, how a change splits into the gold and
test patches, the scrubbed statement, stable ids, and a reason for every commit left out."""

from pathlib import Path

import pytest
from git_builders import adder_repo
from sqlalchemy import Engine
from sqlmodel import select

from factory.envs.mining import instance_id, mine, problem_statement
from factory.envs.source import open_snapshot, repo_name
from factory.errors import FactoryUserError
from factory.models import RepoTask

LIMITS = {"max_tasks": 0, "max_patch_lines": 1500, "min_statement_chars": 20}


def test_a_merged_fix_with_its_test_becomes_one_task(tmp_path: Path) -> None:
    builder = adder_repo(tmp_path / "adder")
    snapshot = open_snapshot(str(builder.path), root=tmp_path / "snapshots")
    result = mine(snapshot, **LIMITS)
    assert result.commits_scanned == 3
    [task] = result.tasks
    merge = builder.git("rev-parse", "HEAD")
    assert task.source_commit == merge
    assert task.base_commit == builder.git("rev-parse", "HEAD^1")
    assert task.instance_id == instance_id("adder", merge)
    assert "diff --git a/adder.py b/adder.py" in task.patch and "tests/" not in task.patch
    assert "a/tests/test_adder.py" in task.test_patch and "a/adder.py" not in task.test_patch
    assert task.test_files == ["tests/test_adder.py"]
    assert task.version == "1.2"
    assert task.ecosystem == "python"
    # Merge boilerplate, the trailing (#12), the link and the trailer are gone.
    assert task.problem_statement.startswith("add() subtracts instead of adding")
    for leak in ("#12", "github.com", "Signed-off-by", "Merge pull request"):
        assert leak not in task.problem_statement
    assert {"kind": "repo_url", "matched": "https://github.com/dev/adder/issues/11"} in (
        task.scrubbed
    )
    assert result.rejected == {"root commit": 1, "no code or test change": 1}


def test_mining_twice_gives_the_same_tasks_and_the_same_snapshot(tmp_path: Path) -> None:
    builder = adder_repo(tmp_path / "adder")
    first = open_snapshot(str(builder.path), root=tmp_path / "snapshots")
    second = open_snapshot(str(builder.path), root=tmp_path / "snapshots")
    assert first.git_dir == second.git_dir
    assert mine(first, **LIMITS).tasks == mine(second, **LIMITS).tasks


def test_limits_leave_commits_out_with_their_reason(tmp_path: Path) -> None:
    snapshot = open_snapshot(str(adder_repo(tmp_path / "adder").path), root=tmp_path / "s")
    assert (
        mine(snapshot, **{**LIMITS, "max_patch_lines": 2}).rejected["gold patch over 2 lines"] == 1
    )
    short = mine(snapshot, **{**LIMITS, "min_statement_chars": 500})
    assert short.tasks == []
    assert short.rejected["commit text too short for a problem statement"] == 1


def test_a_bundle_opens_like_a_repository(tmp_path: Path) -> None:
    builder = adder_repo(tmp_path / "adder")
    bundle = tmp_path / "adder.bundle"
    builder.git("bundle", "create", str(bundle), "--all")
    snapshot = open_snapshot(str(bundle), root=tmp_path / "s")
    assert snapshot.name == "adder"
    assert snapshot.head == builder.git("rev-parse", "HEAD")
    assert len(mine(snapshot, **LIMITS).tasks) == 1


def test_a_missing_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FactoryUserError, match="no such file or directory"):
        open_snapshot(str(tmp_path / "nowhere.bundle"), root=tmp_path / "s")


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("../shared/fixtures/repos/sqlparse.bundle", "sqlparse"),
        ("https://example.org/org/humanize.git", "humanize"),
        ("git@example.org:org/cachetools.git", "cachetools"),
        ("/srv/repos/my project/", "my-project"),
    ],
)
def test_repository_names(source: str, name: str) -> None:
    assert repo_name(source) == name


@pytest.mark.parametrize(
    ("message", "statement"),
    [
        (
            "Fix rounding at unit boundaries (#345)\n\nSigned-off-by: a <a@b>",
            "Fix rounding at unit boundaries",
        ),
        ("Merge pull request #9 from a/b\n\nTitle here\n\nBody", "Title here\n\nBody"),
        ("Merge branch 'main' into fix\n\nKeep empty values", "Keep empty values"),
        ("Plain message\nwith two lines", "Plain message\nwith two lines"),
    ],
)
def test_problem_statements_drop_merge_boilerplate_and_trailers(
    message: str, statement: str
) -> None:
    assert problem_statement(message) == statement


def test_statements_are_rewritten_into_issues_through_the_generation_client(
    tmp_path: Path, engine: Engine
) -> None:
    from stand_ins.openai_server import running_stand_in

    from factory.envs.funnel import mine_repository
    from factory.settings import FactoryConfig
    from factory.stages.context import StageContext

    builder = adder_repo(tmp_path / "adder")
    issue = "add(2, 3) returns -1 (see https://github.com/dev/adder/pull/12 ) but 5 is expected."

    with running_stand_in(reply=lambda body: issue) as server:
        config = FactoryConfig.model_validate(
            {
                "generation": {"base_url": server.base_url, "models": ["writer"]},
                "envs": {"rewrite_statements": True},
            }
        )
        ctx = StageContext(config=config, engine=engine)
        report = mine_repository(ctx, str(builder.path))
        [request] = server.requests
    assert report.new_tasks == 1
    assert request["model"] == "writer" and "subtracts" in request["messages"][-1]["content"]
    with ctx.session() as session:
        [task] = session.exec(select(RepoTask)).all()
    assert task.statement_source == "rewritten"
    assert task.problem_statement == "add(2, 3) returns -1 (see [link removed] ) but 5 is expected."
    assert task.validation["commit_statement"].startswith("add() subtracts instead of adding")


def test_a_rewrite_without_a_server_is_a_clear_error(tmp_path: Path, engine: Engine) -> None:
    from factory.envs.funnel import mine_repository
    from factory.settings import FactoryConfig
    from factory.stages.context import StageContext

    config = FactoryConfig.model_validate({"envs": {"rewrite_statements": True}})
    ctx = StageContext(config=config, engine=engine)
    with pytest.raises(FactoryUserError, match="generation.base_url"):
        mine_repository(ctx, str(adder_repo(tmp_path / "adder").path))

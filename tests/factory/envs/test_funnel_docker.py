"""The funnel end to end on a real repository with its full history (the cachetools bundle):
tasks whose gold patch resolves and whose empty patch does not, an environment with one commit
and nothing else, no network and no secret inside, patches that try to grade themselves, and a
rerun that builds and duplicates nothing."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from factory.cli import main as factory_main
from factory.envs import funnel
from factory.envs.images import EnvironmentUnavailableError, docker_client
from factory.envs.tasks import grade_patch
from factory.models import EnvRecipe, EnvRun, PatchGrading, RepoTask
from factory.settings import FactoryConfig
from factory.stages.context import StageContext

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUNDLE = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "repos" / "cachetools.bundle"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    try:
        docker_client()
    except EnvironmentUnavailableError as exc:
        pytest.skip(str(exc))
    home = tmp_path_factory.mktemp("envs-home")
    url = f"sqlite:///{home}/factory.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        config = FactoryConfig.model_validate({"envs": {"max_tasks": 3, "stability_runs": 2}})
        ctx = StageContext.from_environment(database_url=url)
        ctx.config = config
        report = funnel.run(ctx, str(BUNDLE))
    yield {"home": home, "url": url, "ctx": ctx, "report": report}


@pytest.fixture
def ctx(built: dict, monkeypatch: pytest.MonkeyPatch) -> StageContext:
    monkeypatch.setenv("FACTORY_HOME", str(built["home"]))
    monkeypatch.setenv("FACTORY_DATABASE_URL", built["url"])
    return built["ctx"]


def stable_ids(report: funnel.FunnelReport) -> list[str]:
    return [t["instance_id"] for t in report.tasks if t["status"] == "stable"]


def test_the_funnel_yields_stable_tasks_with_every_cut_counted(built: dict) -> None:
    report = built["report"]
    assert report.counts["mined"] == 3
    assert report.counts["stable"] >= 1
    assert report.counts["mined"] >= report.counts["runnable"] >= report.counts["gradable"]
    assert report.counts["gradable"] >= report.counts["stable"]
    assert report.images == {"recipes": 1, "built": report.images["built"], "cache_hits":
                             1 - report.images["built"], "failed": 0}  # fmt: skip
    assert report.reasons["mined"]["beyond max_tasks"] > 400
    for task in report.tasks:
        if task["status"] == "stable":
            assert task["FAIL_TO_PASS"] and task["environment_setup_commit"]
        else:
            assert task["reason"]


def test_the_gold_patch_resolves_every_stable_task_and_the_empty_patch_none(
    ctx: StageContext, built: dict
) -> None:
    for instance_id in stable_ids(built["report"]):
        gold = grade_patch(ctx, instance_id, None, "gold")
        assert gold["resolved"], gold
        assert set(gold["FAIL_TO_PASS"].values()) == {"passed"}
        empty = grade_patch(ctx, instance_id, None, "empty")
        assert not empty["resolved"]
        assert "passed" not in set(empty["FAIL_TO_PASS"].values())
    with ctx.session() as session:
        graded = session.exec(select(PatchGrading)).all()
        assert {g.patch_source for g in graded} == {"gold", "empty"}


def test_the_environment_holds_one_commit_and_no_tags_remotes_or_reflog(
    ctx: StageContext,
    built: dict,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_secret_never_inside")
    instance_id = stable_ids(built["report"])[0]
    script = (
        "git log --all --oneline | wc -l; echo tags:$(git tag | wc -l); "
        "echo remotes:$(git remote | wc -l); echo refs:$(git for-each-ref --format='%(refname)'); "
        "echo reflog:$(git reflog 2>/dev/null | wc -l); env; "
        "python -c \"import socket; socket.create_connection(('1.1.1.1', 53), 3)\" "
        "2>&1 | tail -n1; pip download cachetools 2>&1 | tail -n1"
    )
    code = factory_main(["envs", "run", instance_id, "--", "sh", "-c", script])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].strip() == "1"
    assert "tags:0" in lines and "remotes:0" in lines and "reflog:0" in lines
    assert "refs:refs/heads/main" in lines
    assert "hf_secret_never_inside" not in out and "HF_TOKEN" not in out
    assert "Network is unreachable" in out or "OSError" in out
    assert "ERROR" in lines[-1]  # no index to download a newer release from


def test_patches_cannot_grade_themselves(ctx: StageContext, built: dict, tmp_path: Path) -> None:
    instance_id = stable_ids(built["report"])[0]
    with ctx.session() as session:
        task = session.get(RepoTask, instance_id)
        assert task is not None
    # A conftest that marks every test passed, and a rewrite of the task's own test module.
    cheat = (
        "diff --git a/tests/conftest.py b/tests/conftest.py\nnew file mode 100644\n"
        "--- /dev/null\n+++ b/tests/conftest.py\n@@ -0,0 +1,8 @@\n"
        "+import pytest\n+\n+\n+@pytest.hookimpl(hookwrapper=True)\n"
        "+def pytest_runtest_makereport(item, call):\n+    outcome = yield\n"
        "+    outcome.get_result().outcome = 'passed'\n"
        "+    print('PASSED')\n"
    )
    result = grade_patch(ctx, instance_id, cheat, "cheat.diff")
    assert not result["resolved"]
    assert result["reset_test_files"] == ["tests/conftest.py"]
    junk = grade_patch(ctx, instance_id, "this is not a patch\n", "junk.diff")
    assert not junk["resolved"] and not junk["applied"]
    assert "does not apply" in junk["reason"]


def test_the_command_prints_the_grading_as_json(
    ctx: StageContext, built: dict, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    instance_id = stable_ids(built["report"])[0]
    assert factory_main(["envs", "grade", instance_id, "gold"]) == 0
    assert json.loads(capsys.readouterr().out)["resolved"] is True
    assert factory_main(["envs", "grade", instance_id, "empty"]) == 1
    assert json.loads(capsys.readouterr().out)["resolved"] is False
    assert factory_main(["envs", "grade", "nope-123", "gold"]) == 2
    assert "no such task" in capsys.readouterr().err


def test_a_second_build_builds_no_image_and_creates_no_duplicate(
    ctx: StageContext, built: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    engine: Engine = ctx.engine
    with ctx.session() as session:
        tasks_before = session.exec(select(func.count()).select_from(RepoTask)).one()
        runs_before = session.exec(select(func.count()).select_from(EnvRun)).one()
    code = factory_main(["envs", "build", str(BUNDLE), "--max-tasks", "3", "--json"])
    assert code == 0
    again = json.loads(capsys.readouterr().out)
    assert again["images"]["built"] == 0 and again["images"]["failed"] == 0
    assert again["funnel"] == built["report"].counts
    with ctx.session() as session:
        assert session.exec(select(func.count()).select_from(RepoTask)).one() == tasks_before
        validation_runs = (
            select(func.count()).select_from(EnvRun).where(EnvRun.purpose == "validation")
        )
        assert session.exec(validation_runs).one() <= runs_before
        assert len(session.exec(select(EnvRecipe)).all()) == 1
    assert engine is not None


def test_a_pruned_environment_image_is_rebuilt_from_its_recipe(
    ctx: StageContext, built: dict
) -> None:
    client = docker_client()
    with ctx.session() as session:
        [recipe] = session.exec(select(EnvRecipe)).all()
    client.images.remove(recipe.image, force=True)
    instance_id = stable_ids(built["report"])[0]
    assert grade_patch(ctx, instance_id, None, "gold")["resolved"]
    assert client.images.get(recipe.image)

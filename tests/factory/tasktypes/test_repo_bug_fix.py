"""Bug fixes on a repository task (the cachetools history): the fix and the regression test are
patches, checked in the task's own environment; a test that catches nothing, a fix that does
not fix, and a regression patch that is not tests are each refused with the reason."""

import difflib
from collections.abc import Iterator
from pathlib import Path

import pytest
from review_builders import add_people
from review_data_builder import add_batch, sha
from sqlmodel import Session, select

from factory.envs import funnel
from factory.envs.gitutil import git
from factory.envs.images import EnvironmentUnavailableError, docker_client
from factory.envs.source import existing_snapshot
from factory.models import Prompt, RepoSnapshot, RepoTask, ReviewTask, Submission
from factory.review.queue import claim_next
from factory.settings import FactoryConfig, ReviewSettings, SandboxSettings
from factory.stages.context import StageContext
from factory.tasktypes.base import WorkError, WorkRefused
from factory.tasktypes.enqueue import enqueue_work
from factory.tasktypes.repo_fix import environment_sessions
from factory.tasktypes.submit import submit_work

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUNDLE = Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "repos" / "cachetools.bundle"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    try:
        docker_client()
    except EnvironmentUnavailableError as exc:
        pytest.skip(str(exc))
    home = tmp_path_factory.mktemp("repo-fix-home")
    url = f"sqlite:///{home}/factory.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FACTORY_HOME", str(home))
        config = FactoryConfig.model_validate({"envs": {"max_tasks": 3, "stability_runs": 2}})
        ctx = StageContext.from_environment(database_url=url)
        ctx.config = config
        funnel.run(ctx, str(BUNDLE))
    yield {"home": home, "ctx": ctx}


@pytest.fixture
def ctx(built: dict, monkeypatch: pytest.MonkeyPatch) -> StageContext:
    monkeypatch.setenv("FACTORY_HOME", str(built["home"]))
    return built["ctx"]


def _queued_fix(ctx: StageContext) -> tuple[RepoTask, int, int]:
    """A bug-fix prompt on the first stable task, queued and claimed: (task, reviewer, claim)."""
    with Session(ctx.engine, expire_on_commit=False) as session:
        task = session.exec(select(RepoTask).where(RepoTask.status == "stable")).first()
        assert task is not None, "the funnel kept no stable task"
        if session.get(Prompt, 1) is None:
            add_batch(session, "repo-fixes")
            session.add(
                Prompt(
                    batch_id="repo-fixes",
                    external_id="fix-1",
                    line_no=1,
                    language="python",
                    task_type="bug_fix",
                    prompt=task.problem_statement,
                    tests="",
                    repo_task=task.instance_id,
                    normalized_sha256=sha(task.instance_id),
                )
            )
            session.flush()
            counts = enqueue_work(session, "repo-fixes", ReviewSettings(overlap_fraction=0.0))
            assert counts.created == 1
            session.commit()
    (person,) = add_people(ctx.engine, f"fixer{task.instance_id[-6:]}")
    claim = claim_next(ctx.engine, person.id, lease_seconds=900)
    assert claim is not None and claim.id is not None
    return task, person.id, claim.id


def _comment_patch(ctx: StageContext, task: RepoTask) -> str:
    """A patch that only adds a comment to the first source file the gold patch changes."""
    from factory.envs.grading import touched_paths

    with Session(ctx.engine) as session:
        snapshot = session.get(RepoSnapshot, task.snapshot_id)
        assert snapshot is not None
    repo = existing_snapshot(snapshot.id, snapshot.source)
    path = next(p for p in touched_paths(task.patch) if not p.startswith("tests/"))
    before = git("show", f"{task.base_commit}:{path}", cwd=repo.git_dir).splitlines(keepends=True)
    after = ["# a comment changes nothing\n", *before]
    return f"diff --git a/{path} b/{path}\n" + "".join(
        difflib.unified_diff(before, after, f"a/{path}", f"b/{path}")
    )


def test_a_repository_fix_is_checked_in_the_tasks_environment(ctx: StageContext) -> None:
    task, person, claim = _queued_fix(ctx)
    sessions = environment_sessions(ctx.engine, ctx.config)
    fields = {
        "root_cause": "the cache mishandles the case the issue describes",
        "cause_category": "missing_edge_case",
        "how_found": "ran the failing tests",
        "fix_patch": task.patch,
        "regression_test": task.test_patch,
    }

    def submit(**changes: str):  # type: ignore[no-untyped-def]
        return submit_work(
            ctx.engine,
            claim,
            person,
            {**fields, **changes},
            sandbox=None,
            sandbox_settings=SandboxSettings(),
            repo_session=sessions,
        )

    with pytest.raises(WorkError, match="changes files that are not tests"):
        submit(regression_test=task.patch)
    trivial = (
        "diff --git a/tests/test_always.py b/tests/test_always.py\n"
        "new file mode 100644\n--- /dev/null\n+++ b/tests/test_always.py\n"
        "@@ -0,0 +1,2 @@\n+def test_always():\n+    assert True\n"
    )
    with pytest.raises(WorkRefused, match="all pass on the buggy code"):
        submit(regression_test=trivial)
    with pytest.raises(WorkRefused, match="the regression tests fail on your fix"):
        submit(fix_patch=_comment_patch(ctx, task))
    result = submit()
    with Session(ctx.engine) as session:
        stored = session.get(Submission, result.submission_id)
        assert stored is not None
        checks = {c["check"]: c["verdict"] for c in stored.verification["checks"]}
        assert checks == {
            "regression test on the buggy code": "failed",
            "regression test on the fix": "passed",
            "the task's tests on the fix": "passed",
        }
        queued = session.get(ReviewTask, result.task_id)
        assert queued is not None and queued.subject["instance_id"] == task.instance_id


def test_the_reviewer_app_works_a_repository_fix(ctx: StageContext) -> None:
    from fastapi.testclient import TestClient
    from review_builders import add_account, csrf_of, login

    from factory.webapp.app import create_app

    add_account(ctx.engine, "webfixer")
    with Session(ctx.engine, expire_on_commit=False) as session:
        task = session.exec(select(RepoTask).where(RepoTask.status == "stable")).first()
        assert task is not None
        add_batch(session, "repo-web")
        session.add(
            Prompt(
                batch_id="repo-web",
                external_id="fix-web",
                line_no=1,
                language="python",
                task_type="bug_fix",
                prompt=task.problem_statement,
                tests="",
                repo_task=task.instance_id,
                normalized_sha256=sha("web" + task.instance_id),
            )
        )
        session.flush()
        enqueue_work(session, "repo-web", ReviewSettings(overlap_fraction=0.0))
        session.commit()
    app = create_app(ctx.engine, config=ctx.config, secret="s" * 40)
    with TestClient(app) as web:
        login(web, "webfixer")
        page = web.post(
            "/next", data={"csrf_token": csrf_of(web.get("/").text)}, follow_redirects=True
        )
        assert task.instance_id in page.text and task.FAIL_TO_PASS[0] in page.text
        claim_url = str(page.url).replace("/review/", "/work/")
        fields = {
            "root_cause": "the edge case of the issue",
            "cause_category": "missing_edge_case",
            "how_found": "ran the failing tests",
            "fix_patch": task.patch,
            "regression_test": task.patch,
            "csrf_token": csrf_of(page.text),
            "advance": "0",
        }
        refused = web.post(claim_url, data=fields)
        assert refused.status_code == 400 and "not tests" in refused.text
        done = web.post(
            claim_url, data={**fields, "regression_test": task.test_patch}, follow_redirects=True
        )
        assert "saved" in done.text

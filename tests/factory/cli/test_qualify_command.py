"""`factory review qualify` and `add-reviewer`'s pools, on both databases: a new account is
qualifying in each task type of its languages; an admin (or the operator) qualifies someone in
one pool with a recorded reason; refusals exit with the reason; the README's command works."""

import os
import subprocess
from pathlib import Path

import pytest
from review_builders import add_account
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.cli import main
from factory.models import PoolEvent, PoolMembership, Reviewer
from factory.review.pools import POOL_TYPES

REPO = Path(__file__).resolve().parents[3]
README_COMMAND = (
    ".venv/bin/factory review qualify alice --language python --task-type code_generation "
    '--reason "reviewed our Python for years"'
)


@pytest.fixture
def database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("FACTORY_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FACTORY_REVIEWER_PASSWORD", "correct horse battery")
    return engine


def pools(engine: Engine, username: str) -> dict[tuple[str, str], str]:
    with Session(engine) as session:
        rows = session.exec(
            select(PoolMembership)
            .join(Reviewer, Reviewer.id == PoolMembership.reviewer_id)
            .where(Reviewer.username == username)
        ).all()
    return {(r.language, r.task_type): r.status for r in rows}


def test_a_new_account_qualifies_before_it_reviews_and_an_admin_can_qualify_it(database, capsys):
    assert main(["review", "add-reviewer", "alice", "--languages", "python,go"]) == 0
    out = capsys.readouterr().out
    assert "18 pool(s) (language x pool type) await qualification" in out  # 2 x 9
    assert set(pools(database, "alice").values()) == {"qualifying"}
    assert len(pools(database, "alice")) == 2 * len(POOL_TYPES)
    add_account(database, "ada", role="admin")
    args = ["review", "qualify", "alice", "--language", "go", "--task-type", "bug_fix"]
    assert main([*args, "--reason", "wrote our Go linter", "--by", "ada"]) == 0
    assert "alice is active in go/bug_fix" in capsys.readouterr().out
    assert pools(database, "alice")[("go", "bug_fix")] == "active"
    with Session(database) as session:
        event = session.exec(select(PoolEvent).order_by(PoolEvent.id.desc())).first()
    assert (event.event, event.detail) == ("admin_qualified", "wrote our Go linter")


def test_qualify_refusals_exit_with_the_reason(database):
    main(["review", "add-reviewer", "alice", "--languages", "python"])
    add_account(database, "sam", role="senior")
    base = ["review", "qualify", "alice", "--language", "python", "--task-type", "bug_fix"]
    with pytest.raises(SystemExit, match="only an admin may qualify"):
        main([*base, "--reason", "ok", "--by", "sam"])
    with pytest.raises(SystemExit, match="needs a written reason"):
        main([*base, "--reason", "  "])
    with pytest.raises(SystemExit, match="'klingon' is not a language"):
        main(
            [
                "review",
                "qualify",
                "alice",
                "--language",
                "klingon",
                "--task-type",
                "bug_fix",
                "--reason",
                "x",
            ]
        )
    with pytest.raises(SystemExit, match="no reviewer named 'nobody'"):
        main(
            [
                "review",
                "qualify",
                "nobody",
                "--language",
                "python",
                "--task-type",
                "bug_fix",
                "--reason",
                "x",
            ]
        )


def test_the_readme_qualify_command(sqlite_engine: Engine, tmp_path) -> None:
    assert README_COMMAND in (REPO / "README.md").read_text().replace("\n", " ")
    add_account(sqlite_engine, "alice", qualified=False)
    env = {
        **os.environ,
        "FACTORY_HOME": str(tmp_path),
        "FACTORY_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False),
    }
    done = subprocess.run(
        ["bash", "-c", README_COMMAND],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert pools(sqlite_engine, "alice") == {("python", "code_generation"): "active"}

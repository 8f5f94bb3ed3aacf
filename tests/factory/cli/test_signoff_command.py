"""`factory review sign-off` and `revoke-sign-off`: a named senior signs a batch off (or the
simulated calibrator, marked simulated), refusals exit with the reason. On both databases."""

import os
import subprocess
from pathlib import Path

import pytest
from review_builders import add_account
from signoff_builders import reviewed_web_batch
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.cli import main
from factory.models import BatchSignOff


@pytest.fixture
def batch(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FACTORY_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return reviewed_web_batch(engine)


def test_a_senior_signs_off_and_revokes_from_the_shell(engine, batch, capsys) -> None:
    assert main(["review", "sign-off", batch, "--by", "sam", "--note", "kappa ok"]) == 0
    assert f"Batch {batch} signed off by sam" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="sign-off refused: .*already signed off by sam"):
        main(["review", "sign-off", batch, "--by", "ada", "--note", "again"])
    assert main(["review", "revoke-sign-off", batch, "--by", "ada", "--reason", "redo"]) == 0
    assert "revoked" in capsys.readouterr().out
    with Session(engine) as session:
        (row,) = session.exec(select(BatchSignOff)).all()
    assert row.revoke_reason == "redo" and row.note == "kappa ok"


def test_refusals_exit_with_the_reason(batch) -> None:
    with pytest.raises(SystemExit, match="alice is a reviewer; only a senior or an admin"):
        main(["review", "sign-off", batch, "--by", "alice", "--note", "ok"])
    with pytest.raises(SystemExit, match="no reviewer named 'nobody'"):
        main(["review", "sign-off", batch, "--by", "nobody", "--note", "ok"])
    with pytest.raises(SystemExit):  # a note is required
        main(["review", "sign-off", batch, "--by", "sam"])


def test_the_simulated_calibrator_signs_off_marked_simulated(engine, batch, capsys) -> None:
    assert main(["review", "sign-off", batch, "--simulated", "--note", "demo"]) == 0
    assert "SIMULATED" in capsys.readouterr().out
    assert main(["review", "sign-off", batch, "--simulated", "--note", "demo"]) == 0
    assert "already signed off" in capsys.readouterr().out
    with Session(engine) as session:
        (row,) = session.exec(select(BatchSignOff)).all()
    assert row.simulated


README_COMMAND = '.venv/bin/factory review sign-off BATCH_ID --by bob --note "what you checked"'


def test_the_readme_sign_off_command(sqlite_engine: Engine, tmp_path) -> None:
    """The README's command as written (the batch id filled in), by a senior named bob."""
    batch = reviewed_web_batch(sqlite_engine)
    add_account(sqlite_engine, "bob", role="senior")
    repo = Path(__file__).resolve().parents[3]
    assert README_COMMAND in (repo / "README.md").read_text().replace("\n", " ")
    env = {
        **os.environ,
        "FACTORY_HOME": str(tmp_path),
        "FACTORY_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False),
    }
    done = subprocess.run(
        ["bash", "-c", README_COMMAND.replace("BATCH_ID", batch)],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Batch {batch} signed off by bob" in done.stdout
    with Session(sqlite_engine) as session:
        (row,) = session.exec(select(BatchSignOff)).all()
    assert row.note == "what you checked"

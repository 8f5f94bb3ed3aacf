"""Bad bytes around repository tasks: a test run's output with NUL and lone surrogates is stored
escaped on both databases, and a patch file that is not UTF-8 text is refused by name."""

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from factory.cli import main as factory_main
from factory.envs.funnel import env_run_row
from factory.models import EnvRun, RepoSnapshot, RepoTask


def test_output_no_database_can_hold_is_stored_escaped(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(RepoSnapshot(id="r@1", name="r", source="/r", head_commit="1" * 40))
        session.flush()
        session.add(RepoTask(instance_id="r-1", snapshot_id="r@1", repo="r", base_commit="1" * 40,
                             source_commit="2" * 40))  # fmt: skip
        session.flush()
        phase = {"name": "before", "output": "collected\x00 1 item \ud800 done", "complete": True}
        session.add(env_run_row("r-1", "validation", phase))
        session.commit()
        [run] = session.exec(select(EnvRun)).all()
    assert run.output_tail == "collected\\x00 1 item \\ud800 done"
    assert run.output_escaped


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"diff --git a/x b/x\n+\x00\n", "a NUL character at offset 20"),
        (b"diff --git a/x b/x\n+\xff\xfe\n", "not UTF-8 text (invalid byte at offset 20)"),
    ],
)
def test_a_patch_file_that_is_not_text_is_refused_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, reason: str
) -> None:
    patch = tmp_path / "bad.diff"
    patch.write_bytes(content)
    assert factory_main(["envs", "grade", "any-task", str(patch)]) == 2
    err = capsys.readouterr().err
    assert f"patch {str(patch)!r}: {reason}" in err

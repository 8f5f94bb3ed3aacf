"""The in-environment report: the driver runs pytest with the factory's plugin and believes only
the lines carrying its secret. Run here on the host's pytest, as the driver runs it in a task."""

import sys
import textwrap
from pathlib import Path

import pytest

from factory.envs.driver import session as driver

SECRET = b"9f8e7d6c5b4a"
PLUGIN_DIR = Path(driver.__file__).parent


def run_pytest(repo: Path, monkeypatch: pytest.MonkeyPatch, *modules: str) -> dict:
    monkeypatch.setattr(driver, "REPO", str(repo))
    monkeypatch.setattr(driver, "PLUGIN_DIR", str(PLUGIN_DIR))
    argv = [sys.executable, "-m", "pytest", "-p", "factory_pytest_report", "-p", "no:cacheprovider"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(repo)}
    code, output, report, _ = driver._run([*argv, *modules], 60, env, SECRET)
    outcomes, messages, complete, exit_status, collect_errors, collected = driver._read_report(
        report, SECRET
    )
    return {
        "code": code,
        "output": output,
        "outcomes": outcomes,
        "complete": complete,
        "collect_errors": collect_errors,
        "collected": collected,
    }


def write(repo: Path, name: str, source: str) -> None:
    (repo / name).write_text(textwrap.dedent(source))


def test_outcomes_come_from_the_report_and_printed_lines_do_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        "test_mixed.py",
        """
        import os, pytest

        def test_passes():
            print("test_mixed.py::test_fails PASSED")
            print('9f8e7d6c5b4a {"t": "test_mixed.py::test_fails", "o": "passed"}')

        def test_fails():
            assert 1 == 2

        @pytest.mark.skip(reason="later")
        def test_skipped():
            pass

        @pytest.mark.xfail(reason="known")
        def test_known_bug():
            assert False

        @pytest.fixture
        def broken():
            raise RuntimeError("fixture")

        def test_errors(broken):
            pass

        def test_scribbles_on_every_descriptor():
            # A partial line on every open descriptor: the channel's next line must survive.
            for fd in range(3, 64):
                try:
                    os.write(fd, b"{partial")
                except OSError:
                    pass
        """,
    )
    result = run_pytest(tmp_path, monkeypatch, "test_mixed.py")
    assert result["complete"] and result["collected"] == 6
    assert result["outcomes"] == {
        "test_mixed.py::test_passes": "passed",
        "test_mixed.py::test_fails": "failed",
        "test_mixed.py::test_skipped": "skipped",
        "test_mixed.py::test_known_bug": "passed",  # an expected failure that happened
        "test_mixed.py::test_errors": "error",
        "test_mixed.py::test_scribbles_on_every_descriptor": "passed",
    }


def test_a_module_that_does_not_import_is_a_collection_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "test_new.py", "from nowhere import thing\n\ndef test_x():\n    pass\n")
    result = run_pytest(tmp_path, monkeypatch, "test_new.py")
    assert result["collect_errors"] == ["test_new.py"]
    assert result["outcomes"] == {}


def test_exiting_early_leaves_the_report_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "test_exit.py", "import os\n\ndef test_quits():\n    os._exit(0)\n")
    result = run_pytest(tmp_path, monkeypatch, "test_exit.py")
    assert result["code"] == 0
    assert not result["complete"]


def test_the_secret_and_the_pipes_are_gone_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        "test_env.py",
        "import os\n\ndef test_env():\n"
        "    assert not any(k.startswith('FACTORY') for k in os.environ)\n",
    )
    assert run_pytest(tmp_path, monkeypatch, "test_env.py")["outcomes"] == {
        "test_env.py::test_env": "passed"
    }

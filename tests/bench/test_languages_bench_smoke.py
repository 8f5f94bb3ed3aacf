"""bench/languages_bench.py: its problems cover every registered language and are judged as
expected, and its quick mode runs end to end."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from factory.languages import LANGUAGES, language
from factory.sandbox.image import default_rootfs

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "languages_bench.py"


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("languages_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["languages_bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_registered_language_has_problems_its_intake_accepts() -> None:
    bench = load_bench()
    assert set(bench.PROBLEMS) == set(LANGUAGES)
    for name in LANGUAGES:
        items = bench.build_items(name, 6)
        assert [item.expected for item in items[::2]] == ["passed"] * 6
        assert {item.expected for item in items[1::2]} <= {"failed", "compile_error"}
        for item in items:
            job = item.job
            assert language(name).check_tests(job.tests, job.test_style, job.entry_point) is None
            assert "@K@" not in job.code + job.tests


def test_compiled_languages_get_compile_errors_and_items_differ() -> None:
    bench = load_bench()
    for name in ("c", "cpp", "go", "rust", "java"):
        items = bench.build_items(name, 6)
        assert "compile_error" in {item.expected for item in items}
        assert len({item.job.code for item in items}) == len(items)


def test_the_report_verdict_needs_the_secret_and_the_closing_line() -> None:
    bench = load_bench()
    line = b'abc {"t": "x", "o": "passed"}\n'
    end = b'abc {"end": 1}\n'
    assert bench.report_verdict(line + end, "abc", True, 0, False) == "passed"
    assert bench.report_verdict(line, "abc", True, 0, False) == "error"
    assert bench.report_verdict(line.replace(b"abc", b"xyz") + end, "abc", True, 0, False) != (
        "passed"
    )
    assert bench.report_verdict(b"", "abc", True, 1, True) == "failed"
    assert bench.report_verdict(b"", "abc", False, 0, False) == "compile_error"


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_quick_mode_runs_every_path_and_prints_its_targets() -> None:
    if os.geteuid() != 0 or default_rootfs() is None:
        pytest.skip("the plain-subprocess path needs root and the sandbox root filesystem")
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--backend", "bwrap", "--languages", "c,bash"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for name in ("c", "bash"):
        assert f"== {name}: 4 items" in out
    assert out.count("target pool verdicts as expected: 4/4 MET") == 2, out
    assert "target pool >= 1x subprocess" in out and "target pool >= 3x subprocess" in out
    assert "== summary" in out

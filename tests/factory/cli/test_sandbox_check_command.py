"""`factory sandbox check FILE` judges each record (its candidate, else its reference) and prints
one JSON object per record; a record intake would refuse gets an error line naming it."""

import json
import subprocess
from pathlib import Path

import pytest

from factory.cli import main

pytestmark = pytest.mark.slow

RECORDS = [
    {
        "id": "c-add",
        "language": "c",
        "task_type": "code_generation",
        "prompt": "Write add.",
        "tests": "TEST(adds) { CHECK(add(2, 3) == 5); }\nTEST(zero) { CHECK(add(0, 0) == 0); }",
        "reference_solution": "int add(int a, int b) { return a + b; }",
    },
    {
        "id": "c-add-wrong",
        "language": "c",
        "task_type": "code_generation",
        "prompt": "Write add.",
        "tests": "TEST(adds) { CHECK(add(2, 3) == 5); }",
        "reference_solution": "int add(int a, int b) { return a + b; }",
        "candidate": "int add(int a, int b) { return a * b; }",
    },
    {
        "task_id": "CPP/0",
        "prompt": "int add(int a, int b){\n",
        "declaration": "int add(int a, int b){\n",
        "canonical_solution": "    return a + b\n}\n",
        "test": "#include<assert.h>\nint main(){ assert(add(1,2)==3); }\n",
    },
    {
        "id": "py-add",
        "language": "python",
        "task_type": "code_generation",
        "prompt": "Write add.",
        "tests": "def test_add():\n    assert add(2, 3) == 5\n",
        "reference_solution": "def add(a, b):\n    return a + b\n",
    },
    {
        "id": "c-no-tests",
        "language": "c",
        "task_type": "code_generation",
        "prompt": "Write add.",
        "tests": "nothing to run",
        "reference_solution": "int add(int a, int b) { return a + b; }",
    },
]


@pytest.mark.bwrap
def test_each_record_gets_one_json_line_in_file_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "mixed.jsonl"
    batch.write_text("".join(json.dumps(record) + "\n" for record in RECORDS))
    status = main(["sandbox", "check", str(batch), "--backend", "bwrap"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1  # one record was refused
    assert [line["id"] for line in lines] == [
        "c-add",
        "c-add-wrong",
        "CPP/0",
        "py-add",
        "c-no-tests",
    ]
    by_id = {line["id"]: line for line in lines}
    assert by_id["c-add"]["verdict"] == "passed"
    assert by_id["c-add"]["judged"] == "reference"
    assert [t["outcome"] for t in by_id["c-add"]["tests"]] == ["passed", "passed"]
    assert by_id["c-add"]["timings"]["compile_s"] > 0
    assert (by_id["c-add-wrong"]["judged"], by_id["c-add-wrong"]["verdict"]) == (
        "candidate",
        "failed",
    )
    assert by_id["CPP/0"]["verdict"] == "compile_error"
    assert "error" in by_id["CPP/0"]["compile_output"]
    assert (by_id["py-add"]["language"], by_id["py-add"]["verdict"]) == ("python", "passed")
    assert by_id["c-no-tests"]["error"] == "invalid_tests"
    assert by_id["c-no-tests"]["line"] == 5


@pytest.mark.bwrap
def test_a_missing_file_is_a_json_error_and_status_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["sandbox", "check", str(tmp_path / "absent.jsonl"), "--backend", "bwrap"])
    assert status == 2
    assert json.loads(capsys.readouterr().out)["error"] == "unusable"


README_COMMAND = ".venv/bin/factory sandbox check factory/sample_data/languages_check.jsonl"
TEN_LANGUAGES = {
    "python",
    "javascript",
    "typescript",
    "go",
    "rust",
    "java",
    "cpp",
    "c",
    "bash",
    "sql",
}


def test_the_readme_check_command_passes_canonical_and_fails_broken_in_ten_languages() -> None:
    # As the README shows it, from the repository root; the backend is the automatic choice.
    repo = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        README_COMMAND.split(), cwd=repo, capture_output=True, text=True, timeout=900, check=False
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, [line for line in lines if "error" in line]
    assert {line["language"] for line in lines} >= TEN_LANGUAGES
    for line in lines:
        kind = line["id"].rsplit("/", 1)[1]
        if kind == "canonical":
            assert line["verdict"] == "passed", line
        elif kind == "wrong":
            assert line["verdict"] == "failed", line
        else:
            assert line["verdict"] in ("compile_error", "failed"), line

"""The shipped reward functions: code extraction, the pass fraction, the release package, and
verl's, TRL's and OpenRLHF's entry points judged through a running sandbox service (canonical
solutions earn 1.0, broken ones 0.0, in Python and in compiled languages)."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_service_builders import Service, running_service, service_settings

from factory.rewards import FOLDER, PYPROJECT, SOURCE, code_reward, write_reward_package
from factory.sandbox.pool import PooledSandbox

ADD_TESTS = (
    "def test_adds():\n    assert add(2, 3) == 5\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
)
PYTHON = {"language": "python", "entry_point": "add", "test_style": "pytest"}
C_TESTS = "TEST(adds) { CHECK(add(2, 3) == 5); }\nTEST(negative) { CHECK(add(-1, 1) == 0); }"
GO_TESTS = 'func TestAdds(t *testing.T) {\n\tif add(2, 3) != 5 {\n\t\tt.Fatal("2+3")\n\t}\n}\n'


def info(tests: str, language: str = "python", **extra: object) -> str:
    fields = {"language": language, "entry_point": "add", "test_style": "", "test_code": tests}
    return json.dumps(fields | {"time_limit_s": 10.0, "memory_limit_mb": 256} | extra)


def fenced(code: str, language: str = "python") -> str:
    return f"Here is the function:\n\n```{language}\n{code}\n```\n\nIt adds."


def test_the_last_block_in_the_rows_language_is_the_code() -> None:
    text = "```text\nnot code\n```\n```py\nfirst = 1\n```\nthen\n```python\nsecond = 2\n```\n"
    assert code_reward.extract_code(text, "python") == "second = 2"
    assert code_reward.extract_code("```c++\nint x;\n```", "cpp") == "int x;"
    # No block in the language: the last block of any; no block at all: the whole text.
    assert code_reward.extract_code("```\na = 1\n```\n```js\nb\n```", "python") == "b"
    assert code_reward.extract_code("  def f(): pass\n", "python") == "def f(): pass"


def test_a_conversational_completion_is_its_last_assistant_message() -> None:
    messages = [
        {"role": "user", "content": "```python\nnot the answer\n```"},
        {"role": "assistant", "content": fenced("x = 1")},
    ]
    assert code_reward.extract_code(messages) == "x = 1"
    assert code_reward.extract_code([{"role": "assistant", "content": "y = 2"}]) == "y = 2"


@pytest.mark.parametrize(
    ("result", "reward"),
    [
        ({"verdict": "passed", "tests_passed": 2, "tests_total": 2}, 1.0),
        ({"verdict": "failed", "tests_passed": 1, "tests_total": 4}, 0.25),
        ({"verdict": "compile_error", "tests_passed": 0, "tests_total": 0}, 0.0),
        ({"verdict": "timeout", "tests_passed": 1, "tests_total": 2}, 0.0),
        ({"verdict": "passed", "tests_passed": 0, "tests_total": 0}, 1.0),
        ({"verdict": "error", "tests_passed": 0, "tests_total": 0}, 0.0),
    ],
)
def test_the_reward_is_the_pass_fraction(result: dict, reward: float) -> None:
    assert code_reward.pass_fraction(result) == reward


def test_ground_truth_without_tests_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="test_code"):
        code_reward.verifier(json.dumps({"language": "python"}))


def test_a_release_gets_the_module_and_its_pyproject(tmp_path: Path) -> None:
    folder = write_reward_package(tmp_path)
    assert folder == tmp_path / FOLDER
    assert (folder / "code_reward.py").read_text() == SOURCE.read_text()
    # The project's own folder is the package (pip install ./factory/rewards), copied as it is.
    assert (folder / "pyproject.toml").read_text() == PYPROJECT.read_text()
    assert 'py-modules = ["code_reward"]' in PYPROJECT.read_text()


def test_the_module_imports_nothing_but_the_standard_library(tmp_path: Path) -> None:
    """Imported by a bare interpreter (no site-packages, not from the project), it loads and
    pulls in no module from outside the standard library."""
    folder = write_reward_package(tmp_path)
    probe = (
        "import sys, code_reward\n"
        "outside = {m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)\n"
        "print(sorted(outside - {'code_reward', '__main__'}))"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0 or out.stdout.strip() == "[]", out.stdout
    # -I leaves the working directory off sys.path: put the folder on it explicitly.
    out = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(folder)!r})\n" + probe,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_the_release_package_installs_with_pip(tmp_path: Path) -> None:
    folder = write_reward_package(tmp_path / "release")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(folder),
        ],
        check=True,
    )
    probe = "import code_reward; print(code_reward.compute_score.__name__)"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "compute_score"


@pytest.fixture(scope="module")
def service(docker_sandbox: PooledSandbox) -> Iterator[Service]:
    with running_service(docker_sandbox, service_settings(docker_sandbox.settings)) as up:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("FACTORY_SANDBOX_URL", up.url)
            patch.setenv("FACTORY_SANDBOX_TOKEN", up.token or "")
            yield up


CASES = [
    # language, tests, canonical code, broken code (wrong answer or no compile)
    (
        "python",
        ADD_TESTS,
        "def add(a, b):\n    return a + b",
        "def add(a, b):\n    return a + b + 1",
    ),
    ("python", ADD_TESTS, "def add(a, b):\n    return a + b", "def add(a, b)\n    return a + b"),
    (
        "c",
        C_TESTS,
        "int add(int a, int b) { return a + b; }",
        "int add(int a, int b) { return a + }",
    ),
    (
        "cpp",
        C_TESTS,
        "int add(int a, int b) { return a + b; }",
        "int add(int a, int b) { return a + b + 1; }",
    ),
    (
        "go",
        GO_TESTS,
        "func add(a, b int) int { return a + b }",
        "func add(a, b int) int { return a }",
    ),
]


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize(("language", "tests", "good", "bad"), CASES)
def test_verl_scores_canonical_one_and_broken_zero(
    service: Service, language: str, tests: str, good: str, bad: str
) -> None:
    truth = info(tests, language)
    extra = {"split": "train", "index": 0}
    assert (
        code_reward.compute_score("code-rlhf-factory", fenced(good, language), truth, extra) == 1.0
    )
    assert (
        code_reward.compute_score("code-rlhf-factory", fenced(bad, language), truth, extra) == 0.0
    )


@pytest.mark.docker
@pytest.mark.slow
def test_half_the_tests_passing_earns_half(service: Service) -> None:
    half = "def add(a, b):\n    return 5"  # passes test_adds, fails test_zero
    assert code_reward.compute_score("x", fenced(half), info(ADD_TESTS)) == 0.5
    assert code_reward.compute_score("x", "I cannot answer.", info(ADD_TESTS)) == 0.0


@pytest.mark.docker
@pytest.mark.slow
def test_trl_reward_takes_conversational_completions_and_column_kwargs(service: Service) -> None:
    good, bad = "def add(a, b):\n    return a + b", "def add(a, b):\n    return a + b + 1"
    completions = [[{"role": "assistant", "content": fenced(code)}] for code in (good, bad)]
    columns = {
        "tests": [ADD_TESTS, C_TESTS],
        "language": ["python", "c"],
        "entry_point": ["add", ""],
        "test_style": ["pytest", "native"],
        "time_limit_s": [10.0, 10.0],
        "memory_limit_mb": [256, 256],
        "compile_time_limit_s": [30.0, 30.0],
    }
    c_good = [
        {"role": "assistant", "content": fenced("int add(int a, int b) { return a + b; }", "c")}
    ]
    assert code_reward.grpo_reward(completions, **columns) == [1.0, 0.0]
    assert code_reward.grpo_reward([completions[1], c_good], **columns) == [0.0, 1.0]
    by_info = {"verification_info": [info(ADD_TESTS), info(ADD_TESTS)], "prompt": [[], []]}
    assert code_reward.grpo_reward(completions, **by_info) == [1.0, 0.0]


@pytest.mark.docker
@pytest.mark.slow
def test_openrlhf_reward_func_scores_the_response_after_its_prompt(service: Service) -> None:
    import torch

    prompt = "user: write add in Python\nassistant: "
    queries = [prompt + fenced("def add(a, b):\n    return a + b"), prompt + fenced("add = 0")]
    labels = [info(ADD_TESTS), info(ADD_TESTS)]
    result = code_reward.reward_func(queries, [prompt, prompt], labels)
    assert torch.equal(result["rewards"], torch.tensor([1.0, 0.0]))
    assert torch.equal(result["scores"], result["rewards"])


def test_a_refused_job_is_an_error_and_an_absent_service_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FACTORY_SANDBOX_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("FACTORY_REWARD_RETRIES", "2")
    monkeypatch.setattr(code_reward.time, "sleep", lambda seconds: None)
    with pytest.raises(code_reward.SandboxError, match="unreachable.*after 2 attempts"):
        code_reward.compute_score("x", "def add(a, b): return a", info(ADD_TESTS))

"""Every command the README shows runs exactly as written.

The README's code blocks are read here; `COVERED` says which test runs each command, and the
first test fails when the README shows a command that no test runs. The commands run in a
factory home made by the README's own `make demo`, as a reader would run them after it.
"""

import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session
from sqlmodel import select as sql_select
from stand_ins.hub_server import running_hub
from stand_ins.release_folder import TOKEN
from ui_server import asset_keys

from factory.models import Reviewer
from factory.publishing.hub import HubPublisher

REPO = Path(__file__).resolve().parents[1]
FIXTURE_REPOS = REPO.parent / "shared" / "fixtures" / "repos"
README = REPO / "README.md"
PASSWORD = "correct horse battery staple"  # noqa: S105 (typed at the prompt in a test)

_SERVE_TEST = (
    "tests/factory/cli/test_sandbox_serve_command.py::"
    "test_the_readme_service_commands_serve_and_answer"
)
# Each command the README shows -> the test that runs it exactly as written.
COVERED = {
    "make demo": "test_make_demo_builds_and_publishes_a_release",
    "make test": "CI: .ci/run runs it on every submission",
    "make ui": "test_make_ui_serves_the_asset_graph",
    "cp my-batch.jsonl .factory/inbox/": "test_a_batch_copied_into_the_inbox_is_picked_up",
    ".venv/bin/factory review add-reviewer alice --role reviewer --languages python": (
        "test_reviewer_commands"
    ),
    ".venv/bin/factory review add-reviewer bob --role senior --languages python": (
        "test_reviewer_commands"
    ),
    ".venv/bin/factory review serve --port 8000": "test_reviewer_commands",
    ".venv/bin/factory review simulate BATCH_ID": "test_inline_commands",
    '.venv/bin/factory review sign-off BATCH_ID --by bob --note "what you checked"': (
        "tests/factory/cli/test_signoff_command.py::test_the_readme_sign_off_command"
    ),
    ".venv/bin/factory ingest FILE": "test_inline_commands",
    ".venv/bin/factory review qualify alice --language python --task-type code_generation "
    '--reason "reviewed our Python for years"': (
        "tests/factory/cli/test_qualify_command.py::test_the_readme_qualify_command"
    ),
    "bash scripts/test.sh -k NAME": "test_inline_commands",
    ".venv/bin/factory sandbox check factory/sample_data/languages_check.jsonl": (
        "tests/factory/cli/test_sandbox_check_command.py::"
        "test_the_readme_check_command_passes_canonical_and_fails_broken_in_ten_languages"
    ),
    "export FACTORY_SANDBOX_TOKEN=$(openssl rand -hex 32)": _SERVE_TEST,
    ".venv/bin/factory sandbox serve --host 127.0.0.1 --port 8080 &": _SERVE_TEST,
    'curl -s http://127.0.0.1:8080/run_code -H "Authorization: Bearer $FACTORY_SANDBOX_TOKEN" '
    '-d \'{"language": "python", "code": "print(input()[::-1])", "stdin": "stressed"}\'': (
        _SERVE_TEST
    ),
    "python: load_dataset": "test_the_load_dataset_snippet_loads_both_releases",
    ".venv/bin/python bench/sandbox_bench.py": "test_benchmarks",
    ".venv/bin/python bench/generation_bench.py": "test_benchmarks",
    ".venv/bin/python bench/review_load.py": "test_benchmarks",
    ".venv/bin/python bench/packaging_bench.py": "test_benchmarks",
    ".venv/bin/python bench/languages_bench.py --quick": "test_benchmarks",
    ".venv/bin/python bench/environments_bench.py": "test_benchmarks",
    ".venv/bin/python bench/pipeline_bench.py --quick": "test_benchmarks",
    ".venv/bin/python bench/intake_bench.py": "test_benchmarks",
    ".venv/bin/factory envs build ../shared/fixtures/repos/cachetools.bundle --max-tasks 5": (
        "test_envs_commands"
    ),
    ".venv/bin/factory envs grade INSTANCE_ID PATCH_FILE": "test_envs_commands",
    ".venv/bin/factory envs run INSTANCE_ID -- git log --oneline --all": "test_envs_commands",
    "mkdir -p .factory/inbox/repos && cp my-repo.bundle .factory/inbox/repos/": (
        "test_a_repository_copied_into_the_inbox_is_picked_up"
    ),
    "make lint": "test_make_format_and_lint",
    "make format": "test_make_format_and_lint",
}
INLINE = re.compile(r"`((?:\.venv/bin/|make |bash scripts/)[^`]+)`")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def shown_commands() -> set[str]:
    """Every command line of the README's bash blocks (comments dropped), every command quoted
    inline in its prose, and its Python snippets by what they call."""
    commands = set()
    for block in _blocks("bash"):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command:
                commands.add(re.sub(r"\s+", " ", command))
    prose = re.sub(r"```.*?```", "", README.read_text(), flags=re.S)
    commands.update(INLINE.findall(prose))
    for block in _blocks("python"):
        commands.add("python: load_dataset" if "load_dataset" in block else block)
    return commands


def test_every_command_the_readme_shows_has_a_test() -> None:
    assert shown_commands() == set(COVERED)


@dataclass(frozen=True)
class DemoHome:
    cwd: Path  # where a reader runs commands that name `.factory/...`
    home: Path  # FACTORY_HOME: <cwd>/.factory
    partition: str

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "FACTORY_HOME": str(self.home), **extra}
        env.pop("DAGSTER_HOME", None)
        return env


def run(command: str, *, cwd: Path, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoHome:
    cwd = tmp_path_factory.mktemp("reader")
    home = cwd / ".factory"
    env = {**os.environ, "FACTORY_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    out = run("make demo", cwd=REPO, env=env, timeout=1800)
    [partition] = re.findall(r"-> partition (\S+)", out)
    return DemoHome(cwd, home, partition)


@pytest.mark.slow
def test_make_demo_builds_and_publishes_a_release(demo: DemoHome) -> None:
    release = demo.home / "releases" / "code-rlhf" / "0.1.0"
    assert (release / "README.md").is_file() and (release / "dpo").is_dir()
    assert (demo.home / "hub" / "datasets").is_dir()


@pytest.mark.slow
def test_make_ui_serves_the_asset_graph(demo: DemoHome) -> None:
    process = subprocess.Popen(
        ["make", "ui"],
        cwd=REPO,
        env=demo.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        keys: set[str] = set()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and "published_release" not in keys:
            try:
                keys = asset_keys(3000)
            except OSError:
                time.sleep(1)
        assert {"prompts", "signals", "published_release"} <= keys
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _readme_batch_record() -> str:
    """The README's example record of the batch format, as one JSONL line."""
    [example] = [b for b in _blocks("json") if '"two-sum-1"' in b]
    return json.dumps(json.loads(example)) + "\n"


@pytest.mark.slow
def test_a_batch_copied_into_the_inbox_is_picked_up(
    demo: DemoHome, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dagster import build_sensor_context

    from factory.db import open_database
    from factory.intake.ingest import ingest_batch
    from factory.settings import FactoryConfig
    from sensors.inbox import inbox_sensor

    (demo.cwd / "my-batch.jsonl").write_text(_readme_batch_record())
    run("cp my-batch.jsonl .factory/inbox/", cwd=demo.cwd, env=demo.env(), timeout=30)
    copied = demo.home / "inbox" / "my-batch.jsonl"
    os.utime(copied, (time.time() - 60, time.time() - 60))  # settled, as after a while
    monkeypatch.setenv("FACTORY_HOME", str(demo.home))
    result = inbox_sensor(build_sensor_context())
    assert "my-batch.jsonl" in [r.tags["factory/batch_file"] for r in result.run_requests]
    # The README's example record itself is a valid batch.
    engine = open_database(f"sqlite:///{tmp_path / 'example.db'}")
    report = ingest_batch(engine, copied, FactoryConfig())
    assert (report.received, report.accepted) == (1, 1), report.rejections


def _readme_command(start: str) -> str:
    [command] = [c for c in shown_commands() if c.startswith(start)]
    return command


@pytest.mark.slow
def test_envs_commands(demo: DemoHome) -> None:
    from factory.db import open_database
    from factory.models import RepoTask

    build = run(_readme_command(".venv/bin/factory envs build"), cwd=REPO, env=demo.env(),
                timeout=1200)  # fmt: skip
    assert re.search(r"^stable\s+[1-9]", build, re.MULTILINE), build
    instance = re.findall(r"^(cachetools-[0-9a-f]{10})\s+stable", build, re.MULTILINE)[0]
    with Session(open_database(f"sqlite:///{demo.home / 'factory.db'}")) as session:
        task = session.get(RepoTask, instance)
        assert task is not None
    patch_file = demo.cwd / "fix.diff"
    patch_file.write_text(task.patch)
    grade = _readme_command(".venv/bin/factory envs grade")
    graded = run(grade.replace("INSTANCE_ID", instance).replace("PATCH_FILE", str(patch_file)),
                 cwd=REPO, env=demo.env(), timeout=600)  # fmt: skip
    result = json.loads(graded)
    assert result["resolved"] is True and set(result["FAIL_TO_PASS"].values()) == {"passed"}
    inside = _readme_command(".venv/bin/factory envs run").replace("INSTANCE_ID", instance)
    log = run(inside, cwd=REPO, env=demo.env(), timeout=600)
    assert len(log.strip().splitlines()) == 1 and log.split()[1] == "base"


@pytest.mark.slow
def test_a_repository_copied_into_the_inbox_is_picked_up(
    demo: DemoHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import build_sensor_context

    from sensors.repo_inbox import repo_inbox_sensor

    shutil.copyfile(FIXTURE_REPOS / "humanize.bundle", demo.cwd / "my-repo.bundle")
    command = _readme_command("mkdir -p .factory/inbox/repos")
    run(command, cwd=demo.cwd, env=demo.env(), timeout=30)
    copied = demo.home / "inbox" / "repos" / "my-repo.bundle"
    os.utime(copied, (time.time() - 60, time.time() - 60))  # settled, as after a while
    monkeypatch.setenv("FACTORY_HOME", str(demo.home))
    result = repo_inbox_sensor(build_sensor_context())
    assert "my-repo@c3a124cdeb27" in [r.partition_key for r in result.run_requests]


def _type_password_twice(command: str, cwd: Path, env: dict[str, str]) -> str:
    """Run `command` on a terminal of its own and answer its two password prompts."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, with the pty as its controlling terminal
        os.chdir(cwd)
        os.execve("/bin/bash", ["bash", "-c", command], env)
    output = b""
    answered = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        prompts = output.count(b"password for") + output.count(b"again:")
        while answered < prompts:
            os.write(fd, PASSWORD.encode() + b"\n")
            answered += 1
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    return text


@pytest.mark.slow
def test_reviewer_commands(demo: DemoHome) -> None:
    from factory.db import open_database
    from factory.webapp.auth import verify_password

    [block] = [b for b in _blocks("bash") if "add-reviewer alice" in b]
    add_alice, add_bob, serve = (line.split("#")[0].strip() for line in block.splitlines())
    assert "created reviewer alice" in _type_password_twice(add_alice, REPO, demo.env())
    assert "created senior bob" in _type_password_twice(add_bob, REPO, demo.env())
    with Session(open_database(f"sqlite:///{demo.home / 'factory.db'}")) as session:
        people = {
            r.username: r
            for r in session.exec(sql_select(Reviewer).where(Reviewer.simulated == False))  # noqa: E712
        }
    assert {name: p.role for name, p in people.items()} == {"alice": "reviewer", "bob": "senior"}
    assert verify_password(people["alice"].password_hash, PASSWORD)

    process = subprocess.Popen(
        ["bash", "-c", serve],
        cwd=REPO,
        env=demo.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        page = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not page:
            try:
                with urllib.request.urlopen("http://127.0.0.1:8000/login", timeout=5) as reply:
                    page = reply.read().decode()
            except OSError:
                time.sleep(0.5)
        assert "password" in page.lower()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.slow
def test_inline_commands(demo: DemoHome) -> None:
    batch = REPO / "tests" / "data" / "intake" / "mbpp_sample.jsonl"
    out = run(f".venv/bin/factory ingest {batch}", cwd=REPO, env=demo.env(), timeout=300)
    assert "accepted 5" in out
    out = run(
        f".venv/bin/factory review simulate {demo.partition}",
        cwd=REPO,
        env=demo.env(),
        timeout=300,
    )
    assert "tasks_done=" in out
    out = run(
        "bash scripts/test.sh -k test_markdown_cells_escape_pipes_fold_newlines_and_are_bounded",
        cwd=REPO,
        env=demo.env(),
        timeout=900,
    )
    assert "1 passed" in out


@pytest.mark.slow
def test_the_load_dataset_snippet_loads_both_releases(demo: DemoHome) -> None:
    [snippet] = [b for b in _blocks("python") if "load_dataset" in b]
    release = demo.home / "releases" / "code-rlhf" / "0.1.0"
    with running_hub(TOKEN) as hub:
        HubPublisher(token=TOKEN, endpoint=hub.endpoint).publish(
            folder=release, repo_id="your-org/code-rlhf", version="0.1.0", message="0.1.0"
        )
        env = demo.env(
            HF_ENDPOINT=hub.endpoint,
            HF_TOKEN=TOKEN,
            HF_HOME=str(demo.cwd / "hf-home"),
            HF_HUB_DISABLE_TELEMETRY="1",
        )
        # The snippet as written, then a line that shows what it loaded.
        code = snippet + "print(dpo['train'].num_rows)\n"
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=demo.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert int(done.stdout.split()[-1]) > 0


@pytest.mark.slow
def test_make_format_and_lint() -> None:
    # On a tree that is formatted already, `make format` changes nothing and `make lint` passes.
    before = run("git diff --stat", cwd=REPO, env=dict(os.environ), timeout=60)
    run("make format", cwd=REPO, env=dict(os.environ), timeout=600)
    assert run("git diff --stat", cwd=REPO, env=dict(os.environ), timeout=60) == before
    run("make lint", cwd=REPO, env=dict(os.environ), timeout=600)


BENCHMARKS = [
    "environments_bench.py",
    "generation_bench.py",
    "intake_bench.py",
    "languages_bench.py",
    "packaging_bench.py",
    "pipeline_bench.py",
    "review_load.py",
    "sandbox_bench.py",
]


@pytest.mark.slow
@pytest.mark.parametrize("script", BENCHMARKS)
def test_benchmarks(script: str, tmp_path: Path) -> None:
    [block] = [b for b in _blocks("bash") if "bench/" in b]
    [command] = [
        line.split("#")[0].strip() for line in block.splitlines() if f"bench/{script}" in line
    ]
    env = {**os.environ, "FACTORY_HOME": str(tmp_path / ".factory")}
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=2400,
        stdin=subprocess.DEVNULL,
    )
    # A benchmark prints its figures; one whose target is missed on a busy machine says so.
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert re.search(r"\d", done.stdout), done.stdout[-3000:]

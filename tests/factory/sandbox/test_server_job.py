"""One job of the fork server run in this process (no isolation): how check() asserts are
recorded, the order of forks and test reads, and that the result goes out before the cleanup
while the cleanup still ends before the next job could start.
"""

import functools
import json
import os
import resource
import signal
import textwrap
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from factory.sandbox import server

JOB = {
    "id": 7,
    "timeout_s": 5,
    "memory_mb": 512,
    "test_style": "check",
    "entry_point": "f",
    "output_limit": 10_000,
    "max_file_bytes": 10**6,
}
IDENTITY = "def f(x):\n    return x\n"


def run(code: str, tests: str, **kwargs: Any) -> tuple[dict, dict]:
    result, report = server.run_job(dict(JOB), code, bytearray(tests.encode()), **kwargs)
    return result, json.loads(bytes(report)) if report else {}


def isolated(test: Callable[..., None]) -> Callable[..., None]:
    """Run the test in a forked child: outside a sandbox the server reaps every child of its
    process, which in the test session includes the pools' server processes."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            try:
                test(*args, **kwargs)
                message = b""
            except BaseException:  # noqa: BLE001 (sent to the parent, which fails the test)
                message = traceback.format_exc().encode()
            os.write(write_fd, message or b"ok")
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            message = pipe.read().decode()
        os.waitpid(pid, 0)
        assert message == "ok", message

    return wrapper


def children() -> set[int]:
    """This process's live and zombie children (the kernel lists them per thread)."""
    pids: set[int] = set()
    for task in os.listdir("/proc/self/task"):
        text = Path(f"/proc/self/task/{task}/children").read_text()
        pids.update(int(pid) for pid in text.split())
    return pids


def only_the_runner_is_left() -> bool:
    return children() == {server.runner_pid()}


@isolated
def test_each_top_level_statement_of_check_is_recorded_on_its_own() -> None:
    tests = textwrap.dedent(
        """
        def check(c):
            assert c(1) == 1
            assert c(2) == 3
            assert c(4) == 5, "four is not five"
            for i in range(3):
                assert c(i) == i
            assert c(None) + 1 == 2
        """
    )
    _, report = run(IDENTITY, tests)
    outcomes = [(name, state) for name, state, *_ in report["tests"]]
    assert outcomes == [
        ("line 3", "passed"),
        ("line 4", "failed"),
        ("line 5", "failed"),
        ("line 6", "passed"),
        ("line 8", "error"),
    ]
    messages = [test[2] for test in report["tests"]]
    assert messages[1] == "AssertionError: assert c(2) == 3"  # a bare assert shows its source
    assert messages[2] == "AssertionError: four is not five"
    assert messages[4].startswith("TypeError: ")
    assert report["stage"] == "done"


@isolated
def test_a_failing_statement_without_assert_stops_the_rest() -> None:
    tests = "def check(c):\n    assert c(1) == 1\n    x = 1 / 0\n    assert c(x) == x\n"
    _, report = run(IDENTITY, tests)
    assert [(t[0], t[1], t[4]) for t in report["tests"]] == [
        ("line 2", "passed", None),
        ("line 3", "error", "ZeroDivisionError"),
    ]


@isolated
def test_helpers_the_tests_take_from_the_candidate_resolve_remotely() -> None:
    code = "def helper(x):\n    return 2 * x\n\ndef f(x):\n    return helper(x)\n"
    tests = "import math\ndef check(c):\n    assert c(3) == helper(3) == math.floor(6.5)\n"
    _, report = run(code, tests)
    assert [t[1] for t in report["tests"]] == ["passed"]


@isolated
def test_the_worker_is_forked_before_the_tests_are_read() -> None:
    seen: list[bool] = []

    def read_tests() -> bytearray:
        seen.append(bool(children() - {server.runner_pid()}))  # the worker exists already
        return bytearray(b"def check(c):\n    assert c(1) == 1\n")

    result, report = server.run_job(dict(JOB), IDENTITY, read_tests)
    assert seen == [True]
    assert [t[1] for t in json.loads(bytes(report))["tests"]] == ["passed"]
    assert "anomaly" not in result


@isolated
def test_result_goes_out_before_the_cleanup_which_ends_before_run_job_returns(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(server, "_JOB_ROOT", str(tmp_path))
    job_dir = tmp_path / f"factory-job-{os.getpid()}"
    code = "open('left.txt', 'w').write('x')\nprint('hello')\n" + IDENTITY
    delivered: list[tuple[dict, dict, bool]] = []

    def deliver(result: dict, report: bytearray) -> None:
        delivered.append((dict(result), json.loads(bytes(report)), job_dir.exists()))

    result, _ = run(code, "def check(c):\n    assert c(1) == 1\n", deliver=deliver)
    assert len(delivered) == 1
    sent, record, dir_still_there = delivered[0]
    assert sent == result and sent["stdout"] == "hello\n" and sent["peak_memory_kb"] > 0
    assert [t[1] for t in record["tests"]] == ["passed"]
    assert dir_still_there  # the host got the answer first ...
    assert not job_dir.exists()  # ... and the cleanup was done before the next job can start
    assert only_the_runner_is_left()


@isolated
def test_code_that_does_not_compile_is_answered_without_forking_or_reading_tests() -> None:
    delivered: list[dict] = []

    def read_tests() -> bytearray:
        raise AssertionError("no process runs, so the tests are not needed")

    result, report = server.run_job(
        dict(JOB), "def f(:\n", read_tests, deliver=lambda r, _: delivered.append(r)
    )
    assert report is None and delivered == []  # the server's loop answers it
    assert result["load_error"][0] == "SyntaxError"


@isolated
def test_a_failed_cleanup_after_delivery_stops_the_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(server, "_JOB_ROOT", str(tmp_path))
    monkeypatch.setattr(server, "_remove_job_files", lambda job_dir: "it would not go")
    delivered: list[dict] = []
    with pytest.raises(server.DirtyServer, match="it would not go"):
        run(
            IDENTITY,
            "def check(c):\n    assert c(1) == 1\n",
            deliver=lambda r, _: delivered.append(r),
        )
    assert len(delivered) == 1 and "anomaly" not in delivered[0]
    # Without early delivery the same failure is reported in the result instead.
    result, _ = run(IDENTITY, "def check(c):\n    assert c(1) == 1\n")
    assert result["anomaly"] == "it would not go"


@isolated
def test_one_runner_serves_job_after_job_and_compiles_shared_tests_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log = tmp_path / "compiled"
    original = server._instrument_check

    def counting(tree: Any) -> Any:
        with log.open("a") as handle:  # the runner is another process: count in a file
            handle.write("x")
        return original(tree)

    monkeypatch.setattr(server, "_instrument_check", counting)
    server._retire_runner()  # the next job forks a runner with the counting compiler
    tests = "def check(c):\n    assert c(1) == 1\n"
    pids, verdicts = set(), []
    for code in (IDENTITY, "def f(x):\n    return 2\n", IDENTITY):
        result, report = run(code, tests)
        pids.add(server.runner_pid())
        verdicts.append([t[1] for t in report["tests"]])
        assert "anomaly" not in result
    assert verdicts == [["passed"], ["failed"], ["passed"]]
    assert len(pids) == 1 and only_the_runner_is_left()
    assert log.read_text() == "x"  # three jobs, one compilation
    run(IDENTITY, "def check(c):\n    assert c(2) == 2\n")
    assert log.read_text() == "xx"


def _disturb_runner(action: Callable[[int], None]) -> Callable[[dict, bytearray], None]:
    """A deliver hook that does to the runner, after its record and before the cleanup, what
    a candidate's process still alive at that moment could do."""

    def deliver(result: dict, report: bytearray) -> None:
        pid = server.runner_pid()
        assert pid is not None
        action(pid)

    return deliver


@isolated
def test_a_runner_stopped_by_the_candidate_is_resumed_for_the_next_job() -> None:
    tests = "def check(c):\n    assert c(1) == 1\n"
    run(IDENTITY, tests)
    before = server.runner_pid()
    run(IDENTITY, tests, deliver=_disturb_runner(lambda pid: os.kill(pid, signal.SIGSTOP)))
    result, report = run(IDENTITY, tests)
    assert server.runner_pid() == before
    assert [t[1] for t in report["tests"]] == ["passed"] and "timed_out" not in result


@pytest.mark.parametrize(
    "disturbance",
    [
        lambda pid: resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, 3)),
        lambda pid: resource.prlimit(pid, resource.RLIMIT_CPU, (1, 1)),
        lambda pid: os.setpriority(os.PRIO_PROCESS, pid, 19),
        lambda pid: os.kill(pid, signal.SIGKILL),
    ],
    ids=["fewer-files", "cpu-limit", "lower-priority", "killed"],
)
@isolated
def test_a_runner_the_candidate_changed_is_replaced_before_the_next_job(
    disturbance: Callable[[int], None],
) -> None:
    tests = "def check(c):\n    assert c(1) == 1\n"
    run(IDENTITY, tests)
    before = server.runner_pid()
    _, report = run(IDENTITY, tests, deliver=_disturb_runner(disturbance))
    assert [t[1] for t in report["tests"]] == ["passed"]  # its own record was already in
    assert server.runner_pid() is None  # retired; the next job starts another
    result, report = run(IDENTITY, tests)
    assert server.runner_pid() not in (None, before)
    assert [t[1] for t in report["tests"]] == ["passed"] and "anomaly" not in result


@isolated
def test_a_candidate_that_kills_the_runner_gets_killed_and_the_next_job_a_new_runner() -> None:
    tests = "def check(c):\n    assert c(1) == 1\n"
    code = (
        "import os, signal\n"
        "def f(x):\n"
        "    me, parent = os.getpid(), os.getppid()\n"
        "    for pid in os.listdir('/proc'):\n"
        "        if pid.isdigit() and int(pid) != me:\n"
        "            try:\n"
        "                stat = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()\n"
        "            except OSError:\n"
        "                continue\n"
        "            if int(stat[1]) == parent:\n"
        "                os.kill(int(pid), signal.SIGKILL)\n"
        "    return x\n"
    )
    result, report = run(code, tests)
    assert result["runner_lost"] and result["runner_signal"] == signal.SIGKILL
    assert report == {}
    _, report = run(IDENTITY, tests)
    assert [t[1] for t in report["tests"]] == ["passed"]


@isolated
def test_the_server_preloads_only_listed_standard_modules_a_candidate_imports() -> None:
    import sys

    for name in ("cmath", "this"):
        sys.modules.pop(name, None)  # this test runs in a fork of its own
    code = "import cmath\nimport this\n" + IDENTITY
    result, report = run(code, "def check(c):\n    assert c(1) == 1\n")
    assert [t[1] for t in report["tests"]] == ["passed"]
    assert "Zen of Python" in result["stdout"]  # the worker imported `this` itself ...
    assert "cmath" in sys.modules  # ... and later workers are forked with cmath loaded
    assert "this" not in sys.modules  # (not listed: importing it has effects)


@isolated
def test_tests_that_hang_the_runner_time_out_and_the_runner_is_replaced() -> None:
    passing = "def check(c):\n    assert c(1) == 1\n"
    hang = "def check(c):\n    assert c(1) == 1\n    while True:\n        pass\n"
    run(IDENTITY, passing)
    before = server.runner_pid()
    result, report = server.run_job(dict(JOB, timeout_s=0.5), IDENTITY, bytearray(hang.encode()))
    assert result["timed_out"] and report is None
    assert server.runner_pid() is None and not children()  # killed and reaped, like the worker
    _, record = run(IDENTITY, passing)
    assert server.runner_pid() not in (None, before)
    assert [t[1] for t in record["tests"]] == ["passed"]

"""Hostile candidates on the docker and bubblewrap backends: each is contained, gets the right
verdict, and the pool keeps serving afterwards (a good candidate still passes).
"""

import os
import textwrap

import pytest

from factory.sandbox import ExecutionJob, ExecutionOutcome
from factory.sandbox.pool import PooledSandbox
from factory.vocab import Verdict

CHECK_TESTS = textwrap.dedent(
    """
    def check(candidate):
        assert candidate(1, 2) == 3
        assert candidate(2, 2) == 4
        assert candidate(-1, 1) == 0
    """
)
GOOD = "def add(a, b):\n    return a + b\n"
PYTEST_TESTS = (
    "def test_small():\n    assert add(1, 2) == 3\n\ndef test_zero():\n    assert add(0, 0) == 0\n"
)


def run(sandbox: PooledSandbox, code: str, *, style: str = "check") -> ExecutionOutcome:
    tests = CHECK_TESTS if style == "check" else PYTEST_TESTS
    job = ExecutionJob(code=textwrap.dedent(code), tests=tests, entry_point="add", test_style=style)
    return sandbox.run(job)


def assert_still_serving(sandbox: PooledSandbox) -> None:
    outcome = run(sandbox, GOOD)
    assert outcome.verdict == Verdict.PASSED, outcome
    assert outcome.tests_passed == 3


def test_good_candidate_passes_each_assert_separately(sandbox: PooledSandbox) -> None:
    outcome = run(sandbox, GOOD)
    assert outcome.verdict == Verdict.PASSED
    assert [t.name for t in outcome.tests] == ["line 3", "line 4", "line 5"]


def test_one_failing_assert_does_not_hide_the_others(sandbox: PooledSandbox) -> None:
    outcome = run(sandbox, "def add(a, b):\n    return 3 if a == 1 else a * b\n")
    assert outcome.verdict == Verdict.FAILED
    assert [t.outcome for t in outcome.tests] == ["passed", "passed", "failed"]
    assert "candidate(-1, 1) == 0" in outcome.tests[2].message


def test_pytest_style_records_each_test(sandbox: PooledSandbox) -> None:
    outcome = run(sandbox, "def add(a, b):\n    return a + b + (a == 0)\n", style="pytest")
    assert outcome.verdict == Verdict.FAILED
    assert {t.name: t.outcome for t in outcome.tests} == {
        "test_small": "passed",
        "test_zero": "failed",
    }
    assert_still_serving(sandbox)


HOSTILE = {
    "infinite_loop": ("def add(a, b):\n    while True:\n        pass\n", Verdict.TIMEOUT),
    "sleep_forever_at_import": ("import time\ntime.sleep(3600)\n", Verdict.TIMEOUT),
    "fork_bomb": (
        """
        import os
        def add(a, b):
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """,
        Verdict.TIMEOUT,
    ),
    "memory_bomb": (
        "def add(a, b):\n    hog = []\n    while True:\n        hog.append(bytearray(10**7))\n",
        Verdict.OUT_OF_MEMORY,
    ),
    "disk_fill": (
        """
        def add(a, b):
            with open("fill.bin", "wb") as f:
                while True:
                    f.write(b"x" * 1_000_000)
        """,
        Verdict.ERROR,
    ),
    "network_connect": (
        """
        import socket
        def add(a, b):
            socket.create_connection(("127.0.0.1", 5432), timeout=1)
            return a + b
        """,
        Verdict.ERROR,
    ),
    "kill_the_parent": (
        "import os, signal\ndef add(a, b):\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n    return a + b\n",
        Verdict.PASSED,  # its parent is the server, PID 1: the signal is dropped
    ),
    "kill_everything": (
        "import os, signal\ndef add(a, b):\n    os.kill(-1, signal.SIGKILL)\n",
        None,  # takes the test runner down with it: killed or error, never passed
    ),
    "signal_pid_1": (
        "import os, signal\nfor s in (signal.SIGTERM, signal.SIGKILL, signal.SIGINT):\n"
        "    os.kill(1, s)\n\ndef add(a, b):\n    return a + b\n",
        Verdict.PASSED,  # the server ignores signals from inside its namespace
    ),
    "cripple_the_test_runner": (
        """
        import os, resource, signal
        for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
            if pid not in (1, os.getpid()):
                for change in (
                    lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, 3)),
                    lambda: resource.prlimit(pid, resource.RLIMIT_CPU, (1, 1)),
                    lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),
                ):
                    try:
                        change()
                    except OSError:
                        pass
        def add(a, b):
            return a + b
        """,
        Verdict.PASSED,  # its own record is in; the server replaces the runner before the next
    ),
    "segfault": (
        "import ctypes\ndef add(a, b):\n    ctypes.string_at(0)\n",
        Verdict.KILLED,
    ),
    "exit_zero_early": ("import sys\nprint('3 passed')\nsys.exit(0)\n", Verdict.ERROR),
    "os_exit_zero_in_call": ("import os\ndef add(a, b):\n    os._exit(0)\n", Verdict.ERROR),
    "print_fake_passes": (
        "def add(a, b):\n    print('line 3 passed\\nline 4 passed\\nOK')\n    return 0\n",
        Verdict.FAILED,
    ),
    "always_equal_object": (
        "class E:\n    def __eq__(self, o):\n        return True\n\n"
        "def add(a, b):\n    return E()\n",
        Verdict.FAILED,
    ),
    "always_equal_int_subclass": (
        "class I(int):\n    def __eq__(self, o):\n        return True\n\n"
        "def add(a, b):\n    return I(0)\n",
        Verdict.FAILED,
    ),
    "patch_assertion_error_and_builtins": (
        """
        import builtins
        builtins.AssertionError = type("Nope", (Exception,), {})
        builtins.abs = lambda x: 0
        def add(a, b):
            return 0
        """,
        Verdict.FAILED,
    ),
    "walk_frames_for_the_tests": (
        """
        import gc, sys
        found = [o for o in gc.get_objects() if isinstance(o, (str, bytes, bytearray))
                 and b"candidate(-1, 1)" in (o.encode() if isinstance(o, str) else bytes(o))]
        def add(a, b):
            if found:
                return a + b
            return None
        """,
        Verdict.FAILED,
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_candidate_is_contained(sandbox: PooledSandbox, name: str) -> None:
    code, expected = HOSTILE[name]
    sandbox.warm_up()
    servers = set(sandbox._all)
    outcome = run(sandbox, code)
    if expected is None:
        assert outcome.verdict in (Verdict.KILLED, Verdict.ERROR), outcome
    else:
        assert outcome.verdict == expected, outcome
    for _ in range(2 * sandbox.settings.pool_size):
        assert_still_serving(sandbox)
    # Contained within the job: the same warm servers answered, none had to be replaced.
    assert set(sandbox._all) == servers


def test_huge_output_is_truncated_and_does_not_change_the_verdict(
    sandbox: PooledSandbox,
) -> None:
    outcome = run(sandbox, "def add(a, b):\n    print('y' * 5_000_000)\n    return a + b\n")
    assert outcome.verdict == Verdict.PASSED
    assert len(outcome.stdout) == sandbox.settings.output_limit_bytes
    assert_still_serving(sandbox)


def test_host_files_and_environment_are_invisible(
    sandbox: PooledSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACTORY_TEST_SECRET_TOKEN", "hunter2-secret")
    code = """
        import os
        def add(a, b):
            seen = []
            for path in ("/etc/shadow", "/root/.bash_history", "/work/main/pyproject.toml",
                         "/proc/1/environ"):
                try:
                    with open(path) as f:
                        seen.append(path + ":" + f.read(200))
                except OSError as exc:
                    seen.append(path + ":" + type(exc).__name__)
            print("ENV", dict(os.environ))
            print("\\n".join(seen))
            return a + b
        """
    outcome = run(sandbox, code)
    assert outcome.verdict == Verdict.PASSED
    assert "hunter2-secret" not in outcome.stdout
    assert "FACTORY_TEST_SECRET_TOKEN" not in outcome.stdout
    assert "code-rlhf-factory" not in outcome.stdout  # the project's files are not mounted
    assert os.environ["FACTORY_TEST_SECRET_TOKEN"] == "hunter2-secret"


def test_nothing_survives_between_jobs(sandbox: PooledSandbox) -> None:
    # A daemonised child and a file left in the work directory must be gone for the next job.
    leave = """
        import os, subprocess
        open("/tmp/left-behind", "w").write("x")
        subprocess.Popen(["sleep", "600"], start_new_session=True)
        def add(a, b):
            return a + b
        """
    assert run(sandbox, leave).verdict == Verdict.PASSED
    probe = """
        import os
        mine = (1, os.getpid(), os.getppid())
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in mine]
        def add(a, b):
            cmdlines = []
            for pid in others:
                try:
                    cmdlines.append(open(f"/proc/{pid}/cmdline").read())
                except OSError:
                    pass
            # argv[0] only: the server's own command line is its source, which names sleep.
            assert not any(c.split("\\x00")[0].endswith("sleep") for c in cmdlines), cmdlines
            assert not os.path.exists("/tmp/left-behind")
            return a + b
        """
    outcome = run(sandbox, probe)
    assert outcome.verdict == Verdict.PASSED, outcome


def test_files_the_server_cannot_remove_retire_it_without_failing_the_next_job(
    sandbox: PooledSandbox,
) -> None:
    # The result goes out before the cleanup; a server whose cleanup then fails must stop, and
    # the next job (answered by a fresh server) must not see the leftovers.
    locked = """
        import os
        os.makedirs("/tmp/locked/inner")
        open("/tmp/locked/inner/f", "w").write("x")
        os.chmod("/tmp/locked", 0o500)
        def add(a, b):
            return a + b
        """
    assert run(sandbox, locked).verdict == Verdict.PASSED
    probe = """
        import os
        def add(a, b):
            assert not os.path.exists("/tmp/locked"), os.listdir("/tmp")
            return a + b
        """
    for _ in range(sandbox.settings.pool_size):
        outcome = run(sandbox, probe)
        assert outcome.verdict == Verdict.PASSED, outcome


def test_each_warm_sandbox_runs_on_one_cpu(sandbox: PooledSandbox) -> None:
    # The runner and the candidate hand off on one CPU (see SandboxSettings.pin_cpus).
    sandbox.warm_up()
    code = (
        "import os\ndef add(a, b):\n    print(sorted(os.sched_getaffinity(0)))\n    return a + b\n"
    )
    runs = 2 * sandbox.settings.pool_size
    seen = {run(sandbox, code).stdout.splitlines()[0] for _ in range(runs)}
    if (os.cpu_count() or 1) > 1:
        assert all(len(eval(cpus)) == 1 for cpus in seen), seen  # noqa: S307 (a printed list)
        assert len(seen) == min(os.cpu_count() or 1, sandbox.settings.pool_size), seen


def test_a_pytest_style_candidate_that_kills_everything_is_contained(
    sandbox: PooledSandbox,
) -> None:
    # pytest jobs run in a child of the runner: killing it must not pass, nor break the pool.
    sandbox.warm_up()
    servers = set(sandbox._all)
    outcome = run(sandbox, HOSTILE["kill_everything"][0], style="pytest")
    assert outcome.verdict in (Verdict.KILLED, Verdict.ERROR), outcome
    for _ in range(2 * sandbox.settings.pool_size):
        assert run(sandbox, GOOD, style="pytest").verdict == Verdict.PASSED
        assert_still_serving(sandbox)
    assert set(sandbox._all) == servers


def test_a_candidate_that_lowers_the_servers_limits_does_not_pass_them_on(
    sandbox: PooledSandbox,
) -> None:
    # Workers are forked from the server: a lowered hard limit there would bind every later
    # candidate (it cannot be raised again), so that server must not serve another job.
    cripple = """
        import resource
        resource.prlimit(1, resource.RLIMIT_NOFILE, (32, 32))
        def add(a, b):
            return a + b
        """
    assert run(sandbox, cripple).verdict == Verdict.PASSED
    many_files = """
        import os
        handles = [open(os.devnull) for _ in range(100)]
        def add(a, b):
            return a + b
        """
    for _ in range(2 * sandbox.settings.pool_size):
        outcome = run(sandbox, many_files)
        assert outcome.verdict == Verdict.PASSED, outcome

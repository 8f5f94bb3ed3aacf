"""Program runs (RunJob): the fork server's run mode in this process (stdin, exit status, files
back, links refused) and how a run's report becomes its outcome."""

import json
import os
import signal
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from factory.sandbox import RunJob, server
from factory.sandbox.verdicts import decide_run, run_outcome_from_report
from factory.vocab import Verdict

JOB = {
    "id": 3,
    "kind": "program",
    "mode": "run",
    "timeout_s": 5,
    "compile_timeout_s": 5,
    "memory_mb": 256,
    "address_space_mb": 0,
    "compile_address_space_mb": 0,
    "output_limit": 10_000,
    "max_file_bytes": 10**6,
    "compile": [],
    "env": {},
}


def in_child(test: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `test` in a forked child (the server's cleanup reaps children of its process) and
    return what it returned, as JSON."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            message = json.dumps({"ok": test()})
        except BaseException:  # noqa: BLE001 (sent to the parent, which fails the test)
            message = json.dumps({"error": traceback.format_exc()})
        os.write(write_fd, message.encode())
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        answer = json.loads(pipe.read() or b'{"error": "no answer"}')
    os.waitpid(pid, 0)
    assert "ok" in answer, answer.get("error")
    return answer["ok"]


def serve(script: str, payload: dict[str, Any]) -> dict[str, Any]:
    job = dict(JOB, run=["/bin/sh", "-c", script])

    def test() -> dict[str, Any]:
        result, record = server.serve_program_job(job, {"files": {}, **payload})
        return {**json.loads(record), **result}

    return in_child(test)


def test_a_run_reads_its_stdin_and_reports_its_exit_status_and_output() -> None:
    report = serve('read line; echo "got $line"; echo oops >&2; exit 3', {"stdin": "hello\n"})
    assert report["mode"] == "run"
    assert report["stdout"] == "got hello\n" and report["stderr"] == "oops\n"
    assert report["run"]["status"] == 3 and not report["run"]["timed_out"]
    outcome = run_outcome_from_report(report, memory_mb=256, backend="b", image="i")
    assert (outcome.verdict, outcome.error_type) == (Verdict.ERROR, "exit(3)")
    assert outcome.run is not None and outcome.run.exit_code == 3
    assert outcome.compile is None


def test_given_files_are_there_and_only_regular_files_inside_the_work_dir_come_back() -> None:
    script = (
        "cat given.bin > copy.bin; mkdir sub; echo inside > sub/out.txt; "
        "ln -s /etc/hostname leak; ln -s sub/out.txt alias; mkdir dir"
    )
    payload = {
        "binary": {"given.bin": "AP8="},  # base64 of 00 ff
        "fetch": ["copy.bin", "sub/out.txt", "leak", "alias", "dir", "absent"],
    }
    report = serve(script, payload)
    assert report["fetched"] == {
        "copy.bin": "AP8=",
        "sub/out.txt": "aW5zaWRlCg==",
        "alias": "aW5zaWRlCg==",  # a link to a file inside the directory is that file
    }
    assert report["fetch_missing"] == ["leak", "dir", "absent"]


def test_fetched_files_are_bounded_in_all() -> None:
    job_script = "head -c 700000 /dev/zero > a; head -c 700000 /dev/zero > b"
    report = serve(job_script, {"fetch": ["a", "b"]})
    assert list(report["fetched"]) == ["a"] and report["fetch_missing"] == ["b"]


def test_a_run_past_its_deadline_is_killed_and_timed_out() -> None:
    job = dict(JOB, run=["/bin/sh", "-c", "sleep 30"], timeout_s=0.5)

    def test() -> dict[str, Any]:
        result, record = server.serve_program_job(job, {"files": {}})
        return {**json.loads(record), **result}

    report = in_child(test)
    assert report["run"]["timed_out"]
    outcome = run_outcome_from_report(report, memory_mb=256, backend="b", image="i")
    assert outcome.verdict == Verdict.TIMEOUT
    assert outcome.run is not None and outcome.run.timed_out and outcome.run.exit_code is None


def run_report(**run: Any) -> dict[str, Any]:
    return {"kind": "program", "mode": "run", "compile": [], "run": {"timed_out": False, **run}}


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (run_report(status=0), (Verdict.PASSED, None)),
        (run_report(status=2), (Verdict.ERROR, "exit(2)")),
        (run_report(signal=signal.SIGSEGV), (Verdict.ERROR, "SIGSEGV")),
        (run_report(signal=signal.SIGXCPU), (Verdict.TIMEOUT, "SIGXCPU")),
        (
            run_report(signal=signal.SIGKILL, peak_memory_kb=250 * 1024),
            (Verdict.OUT_OF_MEMORY, "OutOfMemory"),
        ),
        (run_report(signal=signal.SIGKILL, peak_memory_kb=1024), (Verdict.KILLED, "SIGKILL")),
        (
            {**run_report(status=1), "stderr": "java.lang.OutOfMemoryError: Java heap space"},
            (Verdict.OUT_OF_MEMORY, "OutOfMemory"),
        ),
        (
            {**run_report(status=0), "compile": [{"status": 1, "timed_out": False}]},
            (Verdict.COMPILE_ERROR, "CompileError"),
        ),
        ({"kind": "program", "mode": "run", "compile": []}, (Verdict.SANDBOX_ERROR, "NoRun")),
        ({"harness_error": "Traceback ..."}, (Verdict.SANDBOX_ERROR, "HarnessError")),
    ],
)
def test_how_a_run_ended_is_its_verdict(report: dict[str, Any], expected: tuple) -> None:
    assert decide_run(report, memory_mb=256) == expected


def test_a_signal_is_minus_its_number_and_the_compile_step_is_reported_apart() -> None:
    report = {
        **run_report(signal=signal.SIGABRT, time_s=0.2),
        "compile": [{"status": 0, "timed_out": False}],
        "compile_output": "warning: x",
        "compile_time_s": 1.5,
    }
    outcome = run_outcome_from_report(report, memory_mb=256, backend="b", image="i")
    assert outcome.compile is not None and outcome.compile.exit_code == 0
    assert (outcome.compile.time_s, outcome.compile.stderr) == (1.5, "warning: x")
    assert outcome.run is not None and outcome.run.exit_code == -signal.SIGABRT


def test_a_run_job_refuses_paths_outside_its_directory() -> None:
    for bad in ("/etc/passwd", "../x", "a/./b", "a//b", ""):
        with pytest.raises(ValueError):
            RunJob(code="", fetch_files=(bad,))
        with pytest.raises(ValueError):
            RunJob(code="", files={bad: b""})

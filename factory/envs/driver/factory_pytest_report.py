"""pytest plugin loaded with `-p` inside a task's environment: every test's outcome, as one JSON
line led by this run's secret, on the pipe the driver reads. The secret arrives on another
pipe and is read, and both pipes' numbers taken out of the environment, before any of the
repository's code (conftest.py included) is imported, so a test or a patch that prints "PASSED"
only writes to its own output. Runs on the environment's Python with the standard library only.
"""

import json
import os


def _fd(name: str) -> int:
    try:
        return int(os.environ.pop(name, "-1"))
    except ValueError:
        return -1


_CHANNEL = _fd("FACTORY_REPORT_FD")


def _read_secret() -> bytes:
    fd = _fd("FACTORY_SECRET_FD")
    try:
        secret = os.read(fd, 256).strip()
        os.close(fd)
    except OSError:
        return b""
    return secret


_SECRET = _read_secret()
_outcomes: dict[str, str] = {}
_messages: dict[str, str] = {}


def _write(record: dict) -> None:
    if not _SECRET or _CHANNEL < 0:
        return
    line = _SECRET + b" " + json.dumps(record).encode() + b"\n"
    try:
        os.write(_CHANNEL, line)
    except OSError:
        pass


def pytest_collection_finish(session) -> None:
    _write({"collected": len(session.items)})


def pytest_collectreport(report) -> None:
    if report.failed:
        _write({"t": report.nodeid or ".", "o": "error", "collect": True, "m": _text(report)})


def pytest_runtest_logreport(report) -> None:
    node = report.nodeid
    xfail = hasattr(report, "wasxfail")
    if report.when == "setup":
        if report.failed:
            _outcomes[node] = "error"
        elif report.skipped:
            # An expected failure marked at setup (xfail(run=False)) counts as passing.
            _outcomes[node] = "passed" if xfail else "skipped"
    elif report.when == "call":
        if xfail:
            # xfailed (the expected failure happened) or xpassed (non-strict): both pass;
            # a strict xpass arrives as a plain failure.
            _outcomes[node] = "passed"
        else:
            _outcomes[node] = report.outcome
    elif report.when == "teardown" and report.failed:
        _outcomes[node] = "error"
    if report.failed:
        _messages[node] = _text(report)
    if report.when == "teardown":
        outcome = _outcomes.pop(node, "error")
        _write({"t": node, "o": outcome, "m": _messages.pop(node, "")})


def pytest_sessionfinish(session, exitstatus) -> None:
    _write({"end": True, "exit": int(exitstatus)})


def _text(report) -> str:
    try:
        return str(report.longreprtext)[-2000:]
    except Exception:  # a report that cannot be rendered still counts
        return ""

"""The fork server that runs inside every sandbox (Docker container or bubblewrap namespace).

This file is sent as the source of `python3 -c` to the sandbox's interpreter, so it uses the
standard library only and imports nothing from the factory. It reads jobs from stdin and writes
one result per job to stdout, both framed as a 4-byte big-endian length and JSON (a job frame is
followed by the raw bytes of the candidate code and of the tests).

Three kinds of process share the sandbox:

* the **server** (PID 1 of its PID namespace): reads jobs, forks one worker per job, hands the
  tests to the runner, forwards the runner's record and cleans up after the job;
* the **runner**, trusted and persistent: forked once, before any job, it runs each job's tests
  (HumanEval `check()` with every top-level assert recorded as its own test, compiled once per
  distinct test text and cached; or pytest with a recording plugin, in a child per job since
  pytest keeps state) and sends the per-test record over a socket only the server holds;
* the **worker**, untrusted, one per job: it executes the candidate code and answers the
  runner's requests ("call `name` with these arguments", "get attribute of the object you
  returned") over a socket pair made for that job alone, with plain data (None, bool, int,
  float, str, bytes, complex, list, tuple, dict, set; anything else stays in the worker as an
  opaque handle).

One fork per job, and the runner and the worker hand off on one CPU (the backends pin each
sandbox to one): most of a job's cost used to be forking a second process and waking another
CPU dozens of times.

Why a candidate cannot make failing tests look passed:

* Every assertion is evaluated in the runner, on plain data decoded by the runner. A value that
  overrides `__eq__` (the classic "always equal" hack) never leaves the worker, and an opaque
  handle compares by identity, so such an assertion fails.
* The worker never has the tests or any expected value. It is forked from the server before
  the server reads the job's tests from stdin; the server keeps them only in a buffer it zeroes
  right after sending them to the runner, and forwards the runner's record (assertion messages
  name expected values) to the host without decoding it, zeroing that buffer too. The runner,
  which accumulates tests, never forks a worker. Pytest files are
  deleted after collection, before the worker receives the candidate code. The runner and the
  server are not dumpable (`PR_SET_DUMPABLE` 0), so the worker cannot ptrace them or open their
  `/proc/<pid>/mem` or `/proc/<pid>/fd`, and it holds no copy of the result pipe or of the
  server's stdio (all descriptors are closed before candidate code runs).
* The verdict comes from the runner's record, never from an exit status or from output: the
  worker's stdout/stderr go to files that are only stored. A worker that exits (status 0 or not)
  before the tests finish, or kills the runner, produces an error/killed verdict, not a pass.
  The server, as PID 1, ignores signals from inside its namespace (the kernel drops them).
  The runner shares the worker's user, so a candidate may signal it or lower its limits: it
  ignores every signal it can; one killed mid-job gives that job a killed verdict; and after
  every job the server resumes it, pings it and compares its limits, priority and CPUs with
  those it started with, replacing it before the next job on any difference. The server checks
  its own the same way (workers inherit them) and, changed, serves no other job.
* Known limit: helper names the tests take from the candidate's module (e.g. HumanEval's `poly`
  next to `find_zero`) are the candidate's own code, so tests that trust them trust the
  candidate. Objects that are not plain data support calls and attribute access only.

Limits: the worker gets RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE and no core
files; the runner enforces the wall-clock deadline, and the server a second one around the
runner (a runner past it is killed and replaced). After every job the server kills every process
in its namespace but itself and the runner, round after round until none is left (a fork racing
one round is caught by the next), reaps them and removes every file under /tmp. The result
is sent once everything is killed and the worker is reaped, so the host handles it while the
rest is reaped and removed; the next job is read only after that, and a server whose removal
failed exits instead of serving another job.
"""

import _signal  # type: ignore[import-not-found]  # CPython's C module; typeshed has no stub
import ast
import base64
import builtins
import ctypes
import gc
import json
import math
import os
import resource
import select
import shutil
import signal
import socket
import stat
import struct
import sys
import time
import traceback
import types

# Importing typing costs every worker memory (see _PRELOADABLE): these names exist for the type
# checker only, which treats a TYPE_CHECKING block as taken whatever the name's value.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

_HEADER = struct.Struct(">I")
_MAX_FRAME = 256 * 1024 * 1024
_MAX_DEPTH = 200
_PR_SET_DUMPABLE = 4
_RUNNER_GRACE_S = 2.0
_CHECK_CACHE_SIZE = 256
# The runner's own address-space bound (fixed: the candidate's processes may lower another
# process's limits, and the server compares them after every job to catch it).
_RUNNER_MEMORY = 2048 * 1024 * 1024
_CLEANUP_ROUNDS = 200
_PING_TIMEOUT_S = 10.0
_JOB_ROOT = "/tmp"  # noqa: S108 (a private tmpfs inside the sandbox)


# ---------------------------------------------------------------------------------------------
# Plain-data codec: the only thing that crosses from the worker to the runner.


class Unencodable(Exception):
    """A value that is not plain data (the worker keeps it behind a handle)."""


def encode(value, handles=None, depth=0):
    """Tagged JSON for exact builtin data types; other objects become handles (or fail)."""
    if depth > _MAX_DEPTH:
        raise Unencodable("value nested too deeply")
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if kind is list:
        return [encode(item, handles, depth + 1) for item in value]
    if kind is tuple:
        return {"$t": [encode(item, handles, depth + 1) for item in value]}
    if kind is dict:
        pairs = [
            [encode(k, handles, depth + 1), encode(v, handles, depth + 1)] for k, v in value.items()
        ]
        return {"$d": pairs}
    if kind is set or kind is frozenset:
        tag = "$s" if kind is set else "$fs"
        return {tag: [encode(item, handles, depth + 1) for item in value]}
    if kind is bytes:
        return {"$b": base64.b64encode(value).decode()}
    if kind is complex:
        return {"$c": [encode(value.real), encode(value.imag)]}
    if kind is RemoteObject:
        return {"$h": value._handle}
    if handles is None:
        raise Unencodable(f"{kind.__name__} is not plain data")
    handles.append(value)
    return {"$h": len(handles) - 1, "type": kind.__name__}


def decode(data, resolve_handle):
    if isinstance(data, list):
        return [decode(item, resolve_handle) for item in data]
    if not isinstance(data, dict):
        return data
    ((tag, payload),) = data.items() if len(data) == 1 else (("$h", data["$h"]),)
    if tag == "$f":
        return float(payload)
    if tag == "$t":
        return tuple(decode(item, resolve_handle) for item in payload)
    if tag == "$d":
        return {decode(k, resolve_handle): decode(v, resolve_handle) for k, v in payload}
    if tag == "$s":
        return {decode(item, resolve_handle) for item in payload}
    if tag == "$fs":
        return frozenset(decode(item, resolve_handle) for item in payload)
    if tag == "$b":
        return base64.b64decode(payload)
    if tag == "$c":
        return complex(decode(payload[0], resolve_handle), decode(payload[1], resolve_handle))
    if tag == "$h":
        return resolve_handle(data)
    raise ValueError(f"unknown tag {tag!r}")


# ---------------------------------------------------------------------------------------------
# Framing on raw file descriptors (no buffered reader keeps copies of what was read).


def read_exact(fd, size, deadline=None):
    buf = bytearray(size)
    view = memoryview(buf)
    got = 0
    while got < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise WorkerTimeout()
        n = os.readv(fd, [view[got:]])
        if n == 0:
            raise EOFError()
        got += n
    return buf


def read_frame(fd, deadline=None, limit=_MAX_FRAME):
    (size,) = _HEADER.unpack(read_exact(fd, 4, deadline))
    if size > limit:
        raise ValueError(f"frame of {size} bytes exceeds {limit}")
    return read_exact(fd, size, deadline)


def write_frame(fd, payload):
    write_frames(fd, payload)


def write_frames(fd, *payloads):
    """Each payload behind its header, in as few system calls as the pipe allows (one frame
    hop through Docker's stdio relay costs more than the job's own syscalls), and without a
    concatenated copy that could not be zeroed."""
    views = []
    for payload in payloads:
        views += [memoryview(_HEADER.pack(len(payload))), memoryview(payload)]
    views = [view for view in views if view]
    while views:
        written = os.writev(fd, views)
        while views and written >= len(views[0]):
            written -= len(views.pop(0))
        if written:
            views[0] = views[0][written:]


def send_report(fd, report):
    """The runner's record: a small status frame the server reads, then the record itself,
    which the server forwards unread (so it never holds test text it could leak to a fork)."""
    status = json.dumps({"worker_gone": bool(report.get("worker_gone"))}).encode()
    write_frames(fd, status, json.dumps(report).encode())


def send_json(fd, obj):
    write_frame(fd, json.dumps(obj).encode())


# ---------------------------------------------------------------------------------------------
# The worker: untrusted, executes the candidate and answers calls with plain data.


def worker_main(code_obj, req_fd, resp_fd):
    handles: list[Any] = []
    module: dict[str, Any] = {"__name__": "solution", "__builtins__": builtins}
    sys.modules["solution"] = type(sys)("solution")

    def resolve(data):
        return handles[data["$h"]]

    while True:
        try:
            request = json.loads(read_frame(req_fd))
        except EOFError:
            os._exit(0)
        try:
            op = request["op"]
            if op == "load":
                exec(code_obj, module)  # noqa: S102 (the candidate, inside the sandbox)
                sys.modules["solution"].__dict__.update(module)
                value = None
            elif op == "getattr":
                value = getattr(handles[request["handle"]], request["name"])
            else:
                target = request["target"]
                if "global" in target:
                    if target["global"] not in module:
                        raise NameError(f"name {target['global']!r} is not defined")
                    func = module[target["global"]]
                else:
                    func = handles[target["handle"]]
                if request.get("get"):
                    value = func
                else:
                    args = decode(request["args"], resolve)
                    kwargs = decode(request["kwargs"], resolve)
                    value = func(*args, **kwargs)
            reply = {"ok": encode(value, handles)}
        except BaseException as exc:  # noqa: BLE001 (any candidate failure is reported as data)
            reply = {"exc": type(exc).__name__, "msg": _safe_str(exc)[:2000]}
        try:
            payload = json.dumps(reply).encode()
        except BaseException as exc:  # noqa: BLE001
            payload = json.dumps({"exc": type(exc).__name__, "msg": "reply not encodable"}).encode()
        write_frame(resp_fd, payload)


def _safe_str(exc):
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001 (a candidate exception whose __str__ raises)
        return "<unprintable>"


# ---------------------------------------------------------------------------------------------
# The runner: trusted, holds the tests and records every test's outcome.


class WorkerTimeout(BaseException):
    """The wall-clock deadline passed while waiting for the worker."""


class WorkerGone(BaseException):
    """The worker process exited or was killed."""


class _Abort(BaseException):
    """A non-assert statement of check() failed; the remaining ones cannot run."""


_remote_exception_types: dict[str, type] = {}


def _remote_exception(name, message):
    cls = getattr(builtins, name, None)
    if not (isinstance(cls, type) and issubclass(cls, BaseException)) or name in (
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
    ):
        cls = _remote_exception_types.get(name)
        if cls is None:
            cls = _remote_exception_types[name] = type(name, (Exception,), {})
    try:
        return cls(message)
    except Exception:  # noqa: BLE001 (builtin exception types with other signatures)
        return Exception(f"{name}: {message}")


class CandidateLoadError(Exception):
    """Executing the candidate's module raised (the worker reported the exception)."""

    def __init__(self, cause):
        super().__init__(str(cause))
        self.cause = cause


class Channel:
    def __init__(self, req_fd, resp_fd, deadline):
        self.req_fd, self.resp_fd, self.deadline = req_fd, resp_fd, deadline

    def load(self):
        """Let the worker execute the candidate's module (it waits for this before anything)."""
        try:
            self.request({"op": "load"})
        except (WorkerTimeout, WorkerGone):
            raise
        except BaseException as exc:  # noqa: BLE001
            raise CandidateLoadError(exc) from None

    def request(self, message):
        try:
            send_json(self.req_fd, message)
            reply = json.loads(read_frame(self.resp_fd, self.deadline))
        except (EOFError, BrokenPipeError):
            raise WorkerGone() from None
        if "exc" in reply:
            raise _remote_exception(reply["exc"], reply["msg"])
        return decode(reply["ok"], lambda data: RemoteObject(self, data["$h"], data.get("type")))


class RemoteObject:
    """A value the worker returned that is not plain data; compares by identity only."""

    __slots__ = ("_channel", "_handle", "_type")

    def __init__(self, channel, handle, type_name):
        self._channel, self._handle, self._type = channel, handle, type_name

    def __getattr__(self, name):
        return self._channel.request({"op": "getattr", "handle": self._handle, "name": name})

    def __call__(self, *args, **kwargs):
        return self._channel.request(
            {
                "op": "call",
                "target": {"handle": self._handle},
                "args": encode(list(args)),
                "kwargs": encode(kwargs),
            }
        )

    def __repr__(self):
        return f"<{self._type} object from the candidate>"


class RemoteGlobal:
    """A module-level name of the candidate (the entry point, a helper from the prompt)."""

    def __init__(self, channel, name):
        self._channel, self._name = channel, name

    def __call__(self, *args, **kwargs):
        return self._channel.request(
            {
                "op": "call",
                "target": {"global": self._name},
                "args": encode(list(args)),
                "kwargs": encode(kwargs),
            }
        )

    def __getattr__(self, name):
        value = self._channel.request({"op": "call", "target": {"global": self._name}, "get": 1})
        return getattr(value, name)

    def __repr__(self):
        return f"<candidate {self._name}>"


class RemoteModule(types.ModuleType):
    """`import solution` / `from solution import f` in pytest-style tests."""

    def __init__(self, channel):
        super().__init__("solution")
        self._channel = channel

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return RemoteGlobal(self._channel, name)


class Recorder:
    def __init__(self):
        self.tests = []

    def add(self, name, outcome, exc=None, duration=0.0):
        message, error_type = "", None
        if exc is not None:
            error_type = type(exc).__name__
            message = f"{error_type}: {_safe_str(exc)}"[:2000]
        self.tests.append([name, outcome, message, round(duration, 6), error_type])


def _free_names(tree):
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
    return names


def _global_names(code):
    """Every name the code (and the code nested in it) may look up as a global: a superset
    (attribute names too) found without walking the tree again."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, type(code)):
            names |= _global_names(const)
    return names


def _bind_candidate_names(namespace, names, channel, entry_point):
    """Names the tests use but do not define resolve to the candidate's module-level names."""
    for name in names:
        if name not in namespace and not hasattr(builtins, name):
            namespace[name] = RemoteGlobal(channel, name)
    if entry_point and entry_point not in namespace:
        namespace[entry_point] = RemoteGlobal(channel, entry_point)


def _instrument_check(tree):
    """Wrap each top-level statement of check() so every assert is recorded as its own test.

    Statement i becomes `try: __start__(); <stmt> except BaseException as __e: __fail__(i, __e)
    else: __pass__(i)` (no `else` for a statement without an assert). The few nodes are built
    directly with the statement's location: compiling a tree costs per node, and parsing a
    template per statement plus fixing locations over the whole tree cost more than most tests.
    Returns the tree and the wrapped statements.
    """
    check = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None
    )
    if check is None:
        raise ValueError("the tests define no check(candidate) function")
    statements = list(check.body)
    body: list[ast.stmt] = []
    for index, stmt in enumerate(statements):
        loc: dict[str, Any] = {
            "lineno": stmt.lineno,
            "col_offset": stmt.col_offset,
            "end_lineno": stmt.end_lineno,
            "end_col_offset": stmt.end_col_offset,
        }

        def call(func, *args, loc=loc):
            target = ast.Name(id=func, ctx=ast.Load(), **loc)
            return ast.Expr(value=ast.Call(func=target, args=list(args), keywords=[], **loc), **loc)

        number = ast.Constant(value=index, **loc)
        error = ast.Name(id="__e", ctx=ast.Load(), **loc)
        handler = ast.ExceptHandler(
            type=ast.Name(id="BaseException", ctx=ast.Load(), **loc),
            name="__e",
            body=[call("__fail__", number, error)],
            **loc,
        )
        body.append(
            ast.Try(
                body=[call("__start__"), stmt],
                handlers=[handler],
                orelse=[call("__pass__", number)] if _has_assert(stmt) else [],
                finalbody=[],
                **loc,
            )
        )
    check.body = body
    return tree, statements


def run_check_tests(prepared, channel, entry_point, recorder):
    """Run check() from `prepared` (CheckCache's compiled code, wrapped statements and names)."""
    code, statements, names = prepared
    namespace: dict[str, Any] = {"__name__": "tests", "__builtins__": builtins}
    clock = {"t": time.perf_counter()}
    internal = (WorkerTimeout, WorkerGone, _Abort)

    def start():
        clock["t"] = time.perf_counter()

    def passed(index):
        recorder.add(f"line {statements[index].lineno}", "passed", None, _elapsed())

    def fail(index, exc):
        duration = _elapsed()
        if isinstance(exc, internal):
            raise exc
        stmt = statements[index]
        name = f"line {stmt.lineno}"
        if not _has_assert(stmt):
            # Setup the remaining asserts depend on failed: they cannot run.
            recorder.add(name, "error", exc, duration)
            raise _Abort()
        if not isinstance(exc, AssertionError):
            recorder.add(name, "error", exc, duration)
            return
        recorder.add(name, "failed", exc, duration)
        if isinstance(stmt, ast.Assert) and not _safe_str(exc):  # a bare assert: show it
            source = ast.unparse(stmt)[:500]
            recorder.tests[-1][2] = f"AssertionError: {source}"[:2000]

    def _elapsed():
        return time.perf_counter() - clock["t"]

    namespace.update(__start__=start, __pass__=passed, __fail__=fail)
    exec(code, namespace)  # noqa: S102 (the prompt's tests, trusted, in the runner)
    _bind_candidate_names(namespace, names, channel, entry_point)
    channel.load()
    try:
        namespace["check"](namespace[entry_point])
    except _Abort:
        pass


def _has_assert(stmt):
    return isinstance(stmt, ast.Assert) or any(isinstance(n, ast.Assert) for n in ast.walk(stmt))


def run_pytest_tests(tests_src, channel, entry_point, recorder, job_dir):
    import pytest

    tree = ast.parse(tests_src, "test_solution.py")
    test_dir = os.path.join(job_dir, "tests")
    os.makedirs(test_dir)
    path = os.path.join(test_dir, "test_solution.py")
    with open(path, "w") as handle:
        handle.write(tests_src)
    sys.modules["solution"] = RemoteModule(channel)
    internal = (WorkerTimeout, WorkerGone)

    class Plugin:
        fatal = None

        @pytest.hookimpl(trylast=True)
        def pytest_collection_finish(self, session):
            # The worker must never read the tests: delete them before it gets the candidate.
            shutil.rmtree(test_dir, ignore_errors=True)
            for module in {item.module for item in session.items if hasattr(item, "module")}:
                _bind_candidate_names(module.__dict__, _free_names(tree), channel, entry_point)
            if not session.items:
                return
            try:
                channel.load()
            except BaseException as exc:  # noqa: BLE001 (re-raised after pytest returns)
                self.fatal = exc
                session.items[:] = []

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item, call):
            outcome = yield
            report = outcome.get_result()
            if call.excinfo is not None and call.excinfo.errisinstance(internal):
                self.fatal = call.excinfo.value
                item.session.shouldstop = "the candidate's process stopped answering"
                return
            if report.when == "call" or (report.when == "setup" and report.failed):
                exc = call.excinfo.value if call.excinfo is not None else None
                if report.passed:
                    state = "passed"
                elif report.skipped:
                    state = "skipped"
                elif isinstance(exc, AssertionError):
                    state = "failed"
                else:
                    state = "error"
                recorder.add(item.nodeid.split("::", 1)[-1], state, exc, report.duration)

    plugin = Plugin()
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only pytest's own plugins: faster
    args = [path, "-q", "-p", "no:cacheprovider", "--rootdir", test_dir]
    code = int(pytest.main(args, plugins=[plugin]))
    if plugin.fatal is not None:
        raise plugin.fatal
    if code in (2, 3, 4) and not recorder.tests:
        raise ValueError(f"pytest could not run the tests (exit code {code})")
    if code == 5:
        raise ValueError("the tests define no test function")


def runner_job(job, tests_src, channel, recorder, cache):
    """Run one job's tests against the worker behind `channel`; returns the record."""
    report = {"tests": recorder.tests, "load_error": None, "stage": "load"}
    try:
        if job["test_style"] == "check":
            run_check_tests(cache.get(tests_src), channel, job["entry_point"], recorder)
        else:
            run_pytest_tests(tests_src, channel, job["entry_point"], recorder, job["job_dir"])
        report["stage"] = "done"
    except WorkerTimeout:
        report["timed_out"] = True
    except WorkerGone:
        report["worker_gone"] = True
    except CandidateLoadError as exc:
        report["load_error"] = [type(exc.cause).__name__, _safe_str(exc.cause)[:2000]]
    except Exception as exc:  # noqa: BLE001 (the prompt's tests themselves are broken)
        report["test_code_error"] = f"{type(exc).__name__}: {_safe_str(exc)}"[:2000]
    report["tests"] = recorder.tests
    return report


class CheckCache:
    """Instrumented, compiled check() tests by their text, oldest evicted first: the candidates
    of one prompt share its tests, and parsing and compiling them costs more than running most
    candidates."""

    def __init__(self, size=_CHECK_CACHE_SIZE):
        self._entries = {}
        self._size = size

    def get(self, tests_src):
        entry = self._entries.pop(tests_src, None)
        if entry is None:
            tree, statements = _instrument_check(ast.parse(tests_src, "tests.py"))
            code = compile(tree, "tests.py", "exec")
            entry = (code, statements, _global_names(code))
        self._entries[tests_src] = entry
        if len(self._entries) > self._size:
            del self._entries[next(iter(self._entries))]
        return entry


def _pytest_in_child(job, tests_src, rpc_fd, ctrl_fd):
    """pytest keeps state between sessions (imported test modules, plugins, rewritten asserts):
    each pytest job runs in a child of the runner, whose record the runner forwards."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            os.close(ctrl_fd)
            deadline = time.monotonic() + job["timeout_s"]
            report = runner_job(job, tests_src, Channel(rpc_fd, rpc_fd, deadline), Recorder(), None)
            send_report(write_fd, report)
            os._exit(0)
        except BaseException:  # noqa: BLE001
            try:
                send_report(write_fd, {"harness_error": traceback.format_exc()[-4000:]})
            finally:
                os._exit(71)
    os.close(write_fd)
    try:
        frames = (read_frame(read_fd), read_frame(read_fd))
    except (EOFError, ValueError):
        frames = None
    os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if frames is not None:
        write_frames(ctrl_fd, *frames)
        return
    lost: dict[str, int] = {"runner_lost": True}
    if os.WIFSIGNALED(status):
        lost["runner_signal"] = os.WTERMSIG(status)
    send_report(ctrl_fd, lost)


def runner_loop(ctrl):
    """The trusted runner's life: one job at a time from the server, each with its own socket
    to that job's worker (passed with the job), until the server goes away."""
    ctrl_fd = ctrl.fileno()
    cache = CheckCache()
    os.write(ctrl_fd, b"R")  # set up: the server records this process's limits now
    while True:
        try:
            marker, fds, _, _ = socket.recv_fds(ctrl, 1, 1)
        except OSError:
            os._exit(0)
        if marker == b"P" and not fds:
            os.write(ctrl_fd, b"p")  # alive and answering: see Runner.intact
            continue
        if not marker or not fds:
            os._exit(0)
        rpc_fd = fds[0]
        job = json.loads(read_frame(ctrl_fd))
        tests_src = bytes(read_exact(ctrl_fd, job["tests_len"])).decode("utf-8", "replace")
        if job["test_style"] == "check":
            deadline = time.monotonic() + job["timeout_s"]
            channel = Channel(rpc_fd, rpc_fd, deadline)
            send_report(ctrl_fd, runner_job(job, tests_src, channel, Recorder(), cache))
        else:
            try:
                import pytest  # noqa: F401 (once, here: every later pytest child starts with it)
            except ImportError:
                pass  # the child reports it as the tests' error
            _pytest_in_child(job, tests_src, rpc_fd, ctrl_fd)
        os.close(rpc_fd)


# ---------------------------------------------------------------------------------------------
# The server.


def _set_not_dumpable():
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _limit(kind, value):
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass


def _close_fds_except(keep):
    last = 2
    for fd in sorted(keep):
        os.closerange(last + 1, fd)
        last = fd
    os.closerange(last + 1, 65536)


_worker_streams: "dict[int, tuple[TextIO, ...]]" = {}


def _streams_for_workers():
    """Line-buffered text streams on fds 1 and 2 for the workers, made once per server and
    never written by it: creating them in each worker costs as much as the rest of its set-up."""
    pid = os.getpid()
    if pid not in _worker_streams:
        _worker_streams.clear()
        _worker_streams[pid] = tuple(
            open(fd, "w", buffering=1, closefd=False, encoding="utf-8", errors=errors)  # noqa: SIM115
            for fd, errors in ((1, "strict"), (2, "backslashreplace"))
        )
    return _worker_streams[pid]


def _fork_worker(job, code_obj, rpc_fd, job_dir):
    streams = _streams_for_workers()
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        # _signal, not signal: the enum wrappers touch enough memory to cost a fifth of a job
        # in copy-on-write faults.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
            _signal.signal(sig, _signal.SIG_DFL)
        _signal.signal(signal.SIGXFSZ, _signal.SIG_IGN)  # a too-big file raises, not kills
        work = os.path.join(job_dir, "work")
        out = os.open(os.path.join(job_dir, "stdout"), os.O_WRONLY | os.O_CREAT, 0o600)
        err = os.open(os.path.join(job_dir, "stderr"), os.O_WRONLY | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.dup2(rpc_fd, 3)
        _close_fds_except({3})
        sys.stdout, sys.stderr = streams
        os.chdir(work)
        memory = job["memory_mb"] * 1024 * 1024
        _limit(resource.RLIMIT_AS, memory)
        _limit(resource.RLIMIT_CPU, int(math.ceil(job["timeout_s"])) + 1)
        _limit(resource.RLIMIT_FSIZE, job["max_file_bytes"])
        _limit(resource.RLIMIT_NOFILE, 256)
        _limit(resource.RLIMIT_CORE, 0)
        worker_main(code_obj, 3, 3)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    os._exit(70)


_RLIMITS = sorted(getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_"))


def _process_settings(pid):
    """What a process of the candidates' user may change in another: limits, priority, CPUs."""
    return (
        [resource.prlimit(pid, kind) for kind in _RLIMITS],
        os.getpriority(os.PRIO_PROCESS, pid),
        os.sched_getaffinity(pid),
    )


_own_baseline: dict[int, tuple[object, ...]] = {}


def _server_changed():
    """Did a candidate change this server's limits, priority or CPUs? Every later worker would
    inherit the change (a lowered hard limit cannot be raised again), so such a server must
    serve no other job."""
    pid = os.getpid()
    if pid not in _own_baseline:
        _own_baseline.clear()
        _own_baseline[pid] = _process_settings(pid)
        return False
    return _process_settings(pid) != _own_baseline[pid]


_UNTOUCHABLE = {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}


class Runner:
    """The server's handle on its persistent runner process.

    The runner is forked before any job, so it never holds a candidate, and it never forks a
    worker, so the tests it accumulates never reach one. It shares the candidates' user, which
    may signal it or lower its limits: it ignores every signal it can, and after each job the
    server resumes it (SIGCONT) and compares its limits, priority and CPUs with those it had
    when it started; any change, or its death, and it is replaced before the next job.
    """

    def __init__(self):
        self.owner = os.getpid()
        parent, child = socket.socketpair()
        self.pid: int | None = os.fork()
        if self.pid == 0:
            try:
                parent.close()
                _become_runner(child)
            finally:
                os._exit(71)
        child.close()
        self.sock, self.fd = parent, parent.fileno()
        if read_exact(self.fd, 1, time.monotonic() + 30) != b"R":
            raise RuntimeError("the test runner did not start")
        self.baseline = self._settings()

    def _settings(self):
        return _process_settings(self.pid)

    def send(self, job, tests_buf, rpc_fd):
        socket.send_fds(self.sock, [b"J"], [rpc_fd])
        write_frames(self.fd, json.dumps(job).encode())
        write_frames_raw(self.fd, tests_buf)

    def intact(self):
        """After a job, once no candidate process is left: is the runner as it started?

        Every signal and limit change a candidate's process made was made before that process
        died, so it is in effect now: a runner stopped is resumed (SIGCONT also drops a pending
        stop), one that was killed cannot answer the ping, and changed limits show."""
        assert self.pid is not None  # only asked of a runner not yet reaped
        try:
            os.kill(self.pid, signal.SIGCONT)
            os.write(self.fd, b"P")
            if read_exact(self.fd, 1, time.monotonic() + _PING_TIMEOUT_S) != b"p":
                return False
            return self._settings() == self.baseline
        except (OSError, EOFError, WorkerTimeout):
            return False

    def close(self):
        self.sock.close()
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = None


def _become_runner(sock):
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.dup2(sock.detach(), 3)
    _close_fds_except({3})
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    for sig in signal.valid_signals():
        if sig not in _UNTOUCHABLE:
            try:
                signal.signal(sig, signal.SIG_IGN)
            except (OSError, ValueError):
                pass
    _limit(resource.RLIMIT_AS, _RUNNER_MEMORY)
    _limit(resource.RLIMIT_CORE, 0)
    os.chdir("/")
    runner_loop(socket.socket(fileno=3))


_runner = None


def _current_runner():
    global _runner
    if _runner is None or _runner.owner != os.getpid() or _runner.pid is None:
        _runner = Runner()
    return _runner


def _retire_runner():
    global _runner
    if _runner is not None and _runner.owner == os.getpid():
        _runner.close()
    _runner = None


def runner_pid():
    return _runner.pid if _runner is not None and _runner.owner == os.getpid() else None


def write_frames_raw(fd, payload):
    """Raw bytes, no header (the job header says how many), without a copy."""
    view = memoryview(payload)
    while view:
        view = view[os.write(fd, view) :]


def _read_head(path, limit):
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return "", False
    return data[:limit].decode("utf-8", "replace"), len(data) > limit


class DirtyServer(Exception):
    """The cleanup after a job whose result was already sent failed: serve no other job."""


def _namespace_pids():
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _kill_round(worker, keep):
    """SIGKILL every process the job may have left: as PID 1, every process of the namespace
    but this one and `keep` (a candidate's process can leave the worker's session and group);
    otherwise the worker's group and session."""
    if os.getpid() == 1:
        targets = [pid for pid in _namespace_pids() if pid != 1 and pid not in keep]
    else:
        targets = [-worker, worker]
    for target in targets:
        try:
            os.kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return targets


def _clean_up_processes(worker, keep):
    """Kill and reap until nothing but this process and `keep` is left; False if that fails.

    Each round kills whatever it sees, so a fork racing one round is caught by the next; a
    process killed is reaped by its parent or, once that is killed too, by PID 1 (this one)."""
    if os.getpid() != 1:
        _kill_round(worker, keep)
        try:
            os.waitpid(worker, 0)
        except ChildProcessError:
            pass
        return True
    for _ in range(_CLEANUP_ROUNDS):
        targets = _kill_round(worker, keep)
        if not targets:
            return True
        for pid in targets:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass  # not (yet) this process's child: the next round sees it again
    return False


def _remove_job_files(job_dir):
    """Inside a sandbox the whole tmpfs is this server's: leave nothing for the next candidate.
    Returns the problem, or None."""
    leftovers = (
        [os.path.join(_JOB_ROOT, n) for n in os.listdir(_JOB_ROOT)] if os.getpid() == 1 else []
    )
    paths = [job_dir, *leftovers]
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.lexists(path):
            os.unlink(path)
    if os.path.lexists(job_dir):
        return "job directory could not be removed"
    if any(os.path.lexists(path) for path in leftovers):
        return "files the job left in the sandbox could not be removed"
    return None


# Standard-library modules candidates commonly import, with no process-wide state a fork could
# share unsafely (random reseeds itself in every child). The server imports one the first time
# a candidate's code names it, and every later worker is forked with it loaded: importing typing
# alone costs a worker five times the rest of a small job.
_PRELOADABLE = frozenset(
    "abc array bisect cmath collections copy dataclasses datetime decimal enum fractions "
    "functools hashlib heapq itertools json math numbers operator random re statistics string "
    "textwrap typing unicodedata".split()
)
_IMPORTED_NAMES = None


def _preload_imports(code):
    """Import, in this process, the preloadable modules `code` names in an import statement."""
    global _IMPORTED_NAMES
    if _IMPORTED_NAMES is None:
        import re

        _IMPORTED_NAMES = re.compile(r"^[ \t]*(?:from|import)[ \t]+([A-Za-z_]\w*)", re.M)
    loaded = False
    for name in set(_IMPORTED_NAMES.findall(code)):
        if name in _PRELOADABLE and name not in sys.modules:
            try:
                __import__(name)
                loaded = True
            except ImportError:
                pass
    if loaded:
        gc.freeze()


def run_job(job, code, tests, deliver=None):
    """Run one job; returns (result, the runner's record or None).

    `tests` is the test bytes or a function that reads them: it is called only after the worker
    is forked, so the tests never enter the worker's memory at all. With `deliver`, a result
    with a record is passed to it as soon as every process of the job is killed and the worker
    reaped, so the host handles it while the job's files are removed and the runner checked;
    run_job still returns only after that cleanup, and raises DirtyServer if it failed."""
    started = time.monotonic()
    read_tests = tests if callable(tests) else lambda: tests
    result = {"id": job["id"], "stdout": "", "stderr": ""}
    try:
        code_obj = compile(code, "solution.py", "exec")
    except (SyntaxError, ValueError) as exc:
        result.update(load_error=[type(exc).__name__, str(exc)[:2000]], wall_time_s=0.0)
        result["compile_failed"] = True  # the code never ran: Python's compile error
        return result, None
    _preload_imports(code)
    runner = _current_runner()
    job_dir = os.path.join(_JOB_ROOT, f"factory-job-{os.getpid()}")
    shutil.rmtree(job_dir, ignore_errors=True)
    os.makedirs(os.path.join(job_dir, "work"))
    runner_end, worker_end = socket.socketpair()
    worker = _fork_worker(job, code_obj, worker_end.fileno(), job_dir)
    worker_end.close()
    tests_buf = read_tests()
    try:
        header = dict(job, job_dir=job_dir, tests_len=len(tests_buf))
        runner.send(header, tests_buf, runner_end.fileno())
    finally:
        # Later workers are forked from this process too: no copy of these tests may stay here.
        tests_buf[:] = bytes(len(tests_buf))
        runner_end.close()
    deadline = started + job["timeout_s"] + _RUNNER_GRACE_S
    frame: Any = None  # the runner's record, decoded
    report = None
    try:
        frame = json.loads(read_frame(runner.fd, deadline))
        report = read_frame(runner.fd, deadline)  # forwarded as is, never decoded here
    except WorkerTimeout:
        result["timed_out"] = True
    except (EOFError, ValueError, OSError):
        pass  # the runner died without a record
    wall = time.monotonic() - started
    if report is None:  # the runner is mid-job or dead: never reuse it
        result["runner_lost"] = not result.get("timed_out")
        status = None
        try:
            os.kill(runner.pid, signal.SIGKILL)
            _, status = os.waitpid(runner.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        runner.pid = None
        if status is not None and os.WIFSIGNALED(status) and result["runner_lost"]:
            # A runner already dead keeps the status it died with: this SIGKILL changes nothing.
            result["runner_signal"] = os.WTERMSIG(status)
        _retire_runner()
    keep = {runner.pid} if runner.pid is not None else set()
    worker_status = None
    _kill_round(worker, keep)
    try:
        _, status, usage = os.wait4(worker, 0)
        worker_status = (status, usage)
    except ChildProcessError:
        pass
    if worker_status is not None:
        status, usage = worker_status
        result["peak_memory_kb"] = usage.ru_maxrss
        if report is not None and frame.get("worker_gone"):
            if os.WIFSIGNALED(status):
                result["worker_signal"] = os.WTERMSIG(status)
            else:
                result["worker_exit"] = os.WEXITSTATUS(status)
    result["wall_time_s"] = round(wall, 6)
    limit = job["output_limit"]
    result["stdout"], out_cut = _read_head(os.path.join(job_dir, "stdout"), limit)
    result["stderr"], err_cut = _read_head(os.path.join(job_dir, "stderr"), limit)
    result["output_truncated"] = out_cut or err_cut
    delivered = deliver is not None and report is not None
    if delivered:
        deliver(result, report)
    problem = None
    if not _clean_up_processes(worker, keep):
        problem = "processes the job left could not be killed"
    problem = problem or _remove_job_files(job_dir)
    if not problem and _server_changed():
        problem = "a candidate changed the server's limits, priority or CPUs"
    if runner.pid is not None and not runner.intact():
        _retire_runner()
    if problem and delivered:
        raise DirtyServer(problem)
    if problem:
        result["anomaly"] = problem
    return result, report


# ---------------------------------------------------------------------------------------------
# Program jobs: every language but Python. The host's language module sends the files (the
# candidate, the tests and a small harness in the job's language), the compile commands and the
# run command. Compile output is kept apart; the run's per-test results come only from what the
# harness writes to fd 3, line by line, each line led by a secret made for this run and handed to
# the harness once on fd 4. What the program prints to stdout/stderr is stored, never parsed, and
# the run counts as complete only when the harness's closing line arrives, so an early exit (with
# status 0 or not) or a printed fake report never passes. In compiled and single-process runtimes
# the candidate shares the harness's memory: a program written to find the secret there could
# forge the channel (see the README); the server itself stays out of its reach (not dumpable).
# A run (mode "run", the sandbox service's /run_code; every language, Python too) is the same
# job without tests or harness: the program reads the request's stdin from a file, and how it
# ended (status, signal, deadline) is all that is recorded; the files it asks back are read only
# once every process of the job is killed, and only regular files inside its working directory.
# Same limits, same cleanup.

_REPORT_FD = 3
_SECRET_FD = 4
_REPORT_LIMIT = 8 * 1024 * 1024
_PROGRAM_NOFILE = 1024  # runtimes (the JVM, node) open many files of their own


def _move_fds(mapping):
    """dup2 each source fd onto its target fd without one clobbering another's source."""
    parked = {target: os.dup(source) for target, source in mapping.items()}
    for target, source in parked.items():
        os.dup2(source, target)
    return set(mapping)


def _spawn(argv, *, cwd, env, out_path, err_path, limits, fds=None, stdin_path=None):
    """Fork and exec `argv` in its own session, stdio to files (stdin from `stdin_path`, else
    nothing), with the given rlimits."""
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ):
            _signal.signal(sig, _signal.SIG_DFL)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        out = os.open(out_path, flags, 0o600)
        err = out if err_path == out_path else os.open(err_path, flags, 0o600)
        source = os.open(stdin_path or os.devnull, os.O_RDONLY)
        keep = _move_fds({0: source, 1: out, 2: err, **(fds or {})})
        _close_fds_except(keep - {0, 1, 2})
        os.chdir(cwd)
        for kind, value in limits:
            _limit(kind, value)
        os.execve(argv[0], argv, env)  # noqa: S606 (the argv is the language module's own)
    except BaseException:  # noqa: BLE001
        try:
            os.write(2, traceback.format_exc().encode())
        except OSError:
            pass
    os._exit(127)


def _program_limits(job, *, compile_step):
    seconds = job["compile_timeout_s"] if compile_step else job["timeout_s"]
    limits = [
        (resource.RLIMIT_CPU, int(math.ceil(seconds)) + 1),
        (resource.RLIMIT_FSIZE, job["max_file_bytes"]),
        (resource.RLIMIT_NOFILE, _PROGRAM_NOFILE),
        (resource.RLIMIT_CORE, 0),
    ]
    space = job.get("compile_address_space_mb" if compile_step else "address_space_mb") or 0
    if space > 0:
        limits.append((resource.RLIMIT_AS, space * 1024 * 1024))
    return limits


def _await_exit(pid, deadline, on_readable=None, fd=None):
    """Wait for `pid` until `deadline`, feeding `on_readable` whenever `fd` has data.

    Returns (status or None when it had to be killed at the deadline, rusage or None)."""
    pidfd = None
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    try:
        while True:
            got, status, usage = os.wait4(pid, os.WNOHANG)
            if got:
                return status, usage
            left = deadline - time.monotonic()
            if left <= 0:
                for target in (-pid, pid):
                    try:
                        os.kill(target, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                _, status, usage = os.wait4(pid, 0)
                return None, usage
            watch = [f for f in (fd, pidfd) if f is not None]
            wait = min(left, 0.05) if pidfd is None else left
            ready = select.select(watch, [], [], wait)[0] if watch else []
            if not watch:
                time.sleep(wait)
            if fd is not None and fd in ready and on_readable is not None and not on_readable():
                fd = None  # end of the channel: only the exit is left to wait for
    finally:
        if pidfd is not None:
            os.close(pidfd)


def _expand(text, places):
    for name, value in places.items():
        text = text.replace("{" + name + "}", value)
    return text


def _status_facts(status, usage):
    facts: dict[str, Any] = {"timed_out": status is None}
    if usage is not None:
        facts["peak_memory_kb"] = usage.ru_maxrss
    if status is not None:
        if os.WIFSIGNALED(status):
            facts["signal"] = os.WTERMSIG(status)
        else:
            facts["status"] = os.WEXITSTATUS(status)
    return facts


class ReportChannel:
    """Reads the harness's lines from a pipe; keeps only those led by this run's secret."""

    def __init__(self, fd, secret):
        self.fd = fd
        self.prefix = secret + b" "
        self.buffer = b""
        self.size = 0
        self.tests = []
        self.complete = False
        self.foreign_lines = 0
        self.error = None

    def read(self):
        """Read what is there; False at the end of the stream (or past the size bound)."""
        try:
            chunk = os.read(self.fd, 1 << 16)
        except OSError:
            return False
        if not chunk:
            self._consume(final=True)
            return False
        self.size += len(chunk)
        if self.size > _REPORT_LIMIT:
            self.error = "the test report exceeded its size bound"
            return False
        self.buffer += chunk
        self._consume(final=False)
        return True

    def _consume(self, final):
        *lines, self.buffer = self.buffer.split(b"\n")
        if final and self.buffer:
            lines.append(self.buffer)
            self.buffer = b""
        for line in lines:
            # The secret may follow a partial line the candidate left on the channel: what comes
            # before it is the candidate's, and must not cost the harness its line.
            at = line.find(self.prefix)
            if at < 0:
                self.foreign_lines += 1
                continue
            if at:
                self.foreign_lines += 1
            try:
                record = json.loads(line[at + len(self.prefix) :])
            except ValueError:
                self.foreign_lines += 1
                continue
            if self.complete or not isinstance(record, dict):
                continue
            if "end" in record:
                self.complete = True
                if record["end"] != len(self.tests) and self.error is None:
                    self.error = (
                        f"the harness closed its report after {record['end']} tests "
                        f"but {len(self.tests)} reached the channel"
                    )
                continue
            outcome = record.get("o")
            if outcome not in ("passed", "failed", "error", "skipped"):
                outcome = "error"
            self.tests.append(
                [
                    str(record.get("t", f"test {len(self.tests) + 1}"))[:500],
                    outcome,
                    str(record.get("m") or "")[:4000],
                    float(record.get("d") or 0.0),
                    str(record.get("e") or ("AssertionError" if outcome == "failed" else "")),
                ]
            )


def serve_program_job(job, payload):
    """run_program_job, then the same cleanup as run_job: no process or file outlives a job.

    `payload` holds the job's files, and for a run (mode "run") its stdin and the names of the
    files to send back, read after every process of the job is killed and before its files are
    removed."""
    pids: list[int] = []
    record = None
    try:
        result, record = run_program_job(job, payload, pids)
    finally:
        keep = {_runner_pid_or_none()} - {None}
        problem = None
        if not all(_clean_up_processes(pid, keep) for pid in pids):
            problem = "processes the job left could not be killed"
        job_dir = os.path.join(_JOB_ROOT, f"factory-job-{os.getpid()}")
        if record is not None and not problem and payload.get("fetch"):
            work = os.path.join(job_dir, "work")
            fetched = _fetch_files(work, payload["fetch"], job["max_file_bytes"])
            record["fetched"], record["fetch_missing"] = fetched
        problem = problem or _remove_job_files(job_dir)
        if not problem and _server_changed():
            problem = "a candidate changed the server's limits, priority or CPUs"
    if problem:
        result["anomaly"] = problem
    return result, json.dumps(record).encode()


def _fetch_files(work, names, limit):
    """({name: base64}, [names not sent]) for the files a run asked back: regular files whose
    real path is inside `work`, `limit` bytes in all. Read once no process of the job is left,
    so none can swap a file for a link meanwhile."""
    fetched, missing, total = {}, [], 0
    real_work = os.path.realpath(work)
    for name in names:
        path = os.path.realpath(os.path.join(work, name))
        data = None
        if path.startswith(real_work + os.sep):
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError:
                fd = None
            if fd is not None:
                try:
                    if stat.S_ISREG(os.fstat(fd).st_mode):
                        data = _read_up_to(fd, limit - total + 1)
                finally:
                    os.close(fd)
        if data is None or total + len(data) > limit:
            missing.append(name)
            continue
        total += len(data)
        fetched[name] = base64.b64encode(data).decode()
    return fetched, missing


def _read_up_to(fd, size):
    chunks, got = [], 0
    while got < size:
        chunk = os.read(fd, min(size - got, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def run_program_job(job, payload, pids):
    """Compile and run one program job; returns (result, record). Every process it started is
    appended to `pids` as soon as it exists, for the caller's cleanup.

    Mode "tests" (the default) judges through the harness's report channel; mode "run" runs the
    program for its own sake, stdin from the payload, and records only how it ended."""
    started = time.monotonic()
    files = payload["files"]
    run_mode = job.get("mode") == "run"
    result = {"id": job["id"], "stdout": "", "stderr": ""}
    record = {"kind": "program", "tests": [], "compile": [], "exit_fails": job.get("exit_fails")}
    record["mode"] = "run" if run_mode else "tests"
    job_dir = os.path.join(_JOB_ROOT, f"factory-job-{os.getpid()}")
    shutil.rmtree(job_dir, ignore_errors=True)
    work = os.path.join(job_dir, "work")
    home = os.path.join(job_dir, "home")
    for path in (work, home):
        os.makedirs(path)
    places = {"work": work, "home": home, "job": job_dir}
    for name, content in files.items():
        path = os.path.normpath(os.path.join(work, name))
        if not path.startswith(work + os.sep):
            raise ValueError(f"file {name!r} is outside the job's directory")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
    for name, content in payload.get("binary", {}).items():
        path = os.path.normpath(os.path.join(work, name))
        if not path.startswith(work + os.sep) or name in files:
            raise ValueError(f"file {name!r} is outside the job's directory or given twice")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(content))
    stdin_path = os.path.join(job_dir, "stdin")
    if run_mode:
        with open(stdin_path, "w", encoding="utf-8") as handle:
            handle.write(payload.get("stdin") or "")
    env = {k: _expand(v, places) for k, v in job.get("env", {}).items()}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("HOME", home)
    env.setdefault("TMPDIR", home)
    limit = job["output_limit"]
    compile_log = os.path.join(job_dir, "compile.log")
    compile_deadline = started + job["compile_timeout_s"]
    for step in job.get("compile", []):
        argv = [_expand(part, places) for part in step]
        pid = _spawn(
            argv,
            cwd=work,
            env=env,
            out_path=compile_log,
            err_path=compile_log,
            limits=_program_limits(job, compile_step=True),
        )
        pids.append(pid)
        status, usage = _await_exit(pid, compile_deadline)
        facts = _status_facts(status, usage)
        facts["argv"] = argv[:1]
        record["compile"].append(facts)
        if status is None or facts.get("signal") is not None or facts.get("status"):
            break
    record["compile_output"], _ = _read_head(compile_log, limit)
    record["compile_time_s"] = round(time.monotonic() - started, 6)
    compiled = all(
        not f["timed_out"] and f.get("signal") is None and not f.get("status")
        for f in record["compile"]
    )
    if compiled and run_mode:
        pids.append(_run_plain(job, env, places, job_dir, record, stdin_path))
    elif compiled:
        pids.append(_run_program(job, env, places, job_dir, record))
    result["wall_time_s"] = round(time.monotonic() - started, 6)
    result["peak_memory_kb"] = record.get("run", {}).get("peak_memory_kb", 0)
    result["stdout"], out_cut = _read_head(os.path.join(job_dir, "stdout"), limit)
    result["stderr"], err_cut = _read_head(os.path.join(job_dir, "stderr"), limit)
    result["output_truncated"] = out_cut or err_cut
    return result, record


def _runner_pid_or_none():
    return _runner.pid if _runner is not None else None


def _run_plain(job, env, places, job_dir, record, stdin_path):
    """A run for its own sake: stdin from the request, no report channel; how it ended is all
    that is recorded."""
    argv = [_expand(part, places) for part in job["run"]]
    run_started = time.monotonic()
    pid = _spawn(
        argv,
        cwd=places["work"],
        env=env,
        out_path=os.path.join(job_dir, "stdout"),
        err_path=os.path.join(job_dir, "stderr"),
        limits=_program_limits(job, compile_step=False),
        stdin_path=stdin_path,
    )
    status, usage = _await_exit(pid, run_started + job["timeout_s"])
    facts = _status_facts(status, usage)
    facts["time_s"] = round(time.monotonic() - run_started, 6)
    record["run"] = facts
    return pid


def _run_program(job, env, places, job_dir, record):
    secret = base64.b16encode(os.urandom(16)).lower()
    report_r, report_w = os.pipe()
    secret_r, secret_w = os.pipe()
    os.write(secret_w, secret + b"\n")
    os.close(secret_w)
    argv = [_expand(part, places) for part in job["run"]]
    run_started = time.monotonic()
    try:
        pid = _spawn(
            argv,
            cwd=places["work"],
            env=env,
            out_path=os.path.join(job_dir, "stdout"),
            err_path=os.path.join(job_dir, "stderr"),
            limits=_program_limits(job, compile_step=False),
            fds={_REPORT_FD: report_w, _SECRET_FD: secret_r},
        )
    finally:
        os.close(report_w)
        os.close(secret_r)
    channel = ReportChannel(report_r, secret)
    try:
        status, usage = _await_exit(
            pid, run_started + job["timeout_s"], on_readable=channel.read, fd=report_r
        )
        # The harness's last lines may still sit in the pipe after it exited.
        os.set_blocking(report_r, False)
        try:
            while channel.read():
                pass
        except BlockingIOError:
            channel._consume(final=True)
    finally:
        os.close(report_r)
    facts = _status_facts(status, usage)
    facts["time_s"] = round(time.monotonic() - run_started, 6)
    record["run"] = facts
    record["tests"] = channel.tests
    record["complete"] = channel.complete and channel.error is None
    record["foreign_lines"] = channel.foreign_lines
    if channel.error:
        record["report_error"] = channel.error
    return pid


def main():
    _set_not_dumpable()
    # As PID 1 the kernel drops signals without a handler; Python installs one for SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.dont_write_bytecode = True
    os.umask(0o077)
    import importlib.util

    # Not imported here: pytest doubles the memory every worker's fork copies. The runner
    # imports it on the first pytest-style job.
    has_pytest = importlib.util.find_spec("pytest") is not None
    gc.collect()
    gc.freeze()  # children then do not copy-on-write pages just by running the collector
    stdin, stdout = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    _server_changed()  # records this server's settings before any candidate runs
    _current_runner()
    version = ".".join(map(str, sys.version_info[:3]))
    send_json(stdout, {"ready": True, "python": version, "pytest": has_pytest, "pid": os.getpid()})
    while True:
        try:
            job = json.loads(read_frame(stdin, limit=1024 * 1024))
        except EOFError:
            return
        code = bytes(read_exact(stdin, job["code_len"])).decode("utf-8", "replace")
        if job.get("kind") == "program":
            files_blob = bytes(read_exact(stdin, job["tests_len"]))
            try:
                result, record = serve_program_job(job, json.loads(files_blob))
            except Exception:  # noqa: BLE001 (reported as a sandbox error; the host recycles us)
                result = {"id": job["id"], "harness_error": traceback.format_exc()[-4000:]}
                result["anomaly"] = "server error"
                record = b""
            write_frames(stdout, json.dumps(result).encode(), record)
            continue
        pending: list[bytearray] = []

        def read_tests(size=job["tests_len"], pending=pending):
            pending.append(read_exact(stdin, size))
            return pending[-1]

        sent: list[bool] = []

        def deliver(result, report, sent=sent):
            # Two frames per job: the server's own facts, then the runner's record, unread.
            write_frames(stdout, json.dumps(result).encode(), report if report is not None else b"")
            if report is not None:
                report[:] = bytes(len(report))
            sent.append(True)

        try:
            result, report = run_job(job, code, read_tests, deliver)
        except Exception as exc:  # noqa: BLE001 (reported as a sandbox error; the host recycles us)
            if sent:  # this job was answered but not cleaned up: end here, never run another
                os.write(2, f"fork server stopped: {exc}\n".encode())
                return
            result, report = (
                {"id": job["id"], "harness_error": traceback.format_exc()[-4000:]},
                None,
            )
            result["anomaly"] = "server error"
        finally:
            if not pending:  # the job ended before its tests were needed: keep the stream in step
                read_tests()
            pending[0][:] = bytes(len(pending[0]))
        if not sent:
            deliver(result, report)


if __name__ == "__main__":
    main()

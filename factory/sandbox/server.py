"""The fork server that runs inside every sandbox (Docker container or bubblewrap namespace).

This file is sent as the source of `python3 -c` to the sandbox's interpreter, so it uses the
standard library only and imports nothing from the factory. It reads jobs from stdin and writes
one result per job to stdout, both framed as a 4-byte big-endian length and JSON (a job frame is
followed by the raw bytes of the candidate code and of the tests).

Per job the server (PID 1 of its PID namespace) forks two processes:

* the **runner**, trusted: it holds the tests, runs them (HumanEval `check()` with every
  top-level assert recorded as its own test, or pytest with a recording plugin) and writes the
  per-test record to a pipe only the server reads;
* the **worker**, untrusted: it executes the candidate code and answers the runner's requests
  ("call `name` with these arguments", "get attribute of the object you returned") with plain
  data (None, bool, int, float, str, bytes, complex, list, tuple, dict, set; anything else stays
  in the worker as an opaque handle).

Why a candidate cannot make failing tests look passed:

* Every assertion is evaluated in the runner, on plain data decoded by the runner. A value that
  overrides `__eq__` (the classic "always equal" hack) never leaves the worker, and an opaque
  handle compares by identity, so such an assertion fails.
* The worker never has the tests or any expected value. It is forked from the server before
  the server reads the job's tests from stdin; the server keeps them only in a buffer it zeroes
  right after forking the runner, and forwards the runner's record (assertion messages name
  expected values) to the host without decoding it, zeroing that buffer too. Pytest files are
  deleted after collection, before the worker receives the candidate code. The runner and the
  server are not dumpable (`PR_SET_DUMPABLE` 0), so the worker cannot ptrace them or open their
  `/proc/<pid>/mem` or `/proc/<pid>/fd`, and it holds no copy of the result pipe or of the
  server's stdio (all descriptors are closed before candidate code runs).
* The verdict comes from the runner's record, never from an exit status or from output: the
  worker's stdout/stderr go to files that are only stored. A worker that exits (status 0 or not)
  before the tests finish, or kills the runner, produces an error/killed verdict, not a pass.
  The server, as PID 1, ignores signals from inside its namespace (the kernel drops them).
* Known limit: helper names the tests take from the candidate's module (e.g. HumanEval's `poly`
  next to `find_zero`) are the candidate's own code, so tests that trust them trust the
  candidate. Objects that are not plain data support calls and attribute access only.

Limits: the worker gets RLIMIT_AS (memory), RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE and no core
files; the runner enforces the wall-clock deadline, and the server a second one around the
runner. After every job the server kills every other process in its namespace (`kill(-1)`,
which only PID 1 may do safely), reaps every zombie and removes the job's directory. The result
is sent once everything is killed and the worker is reaped, so the host handles it while the
rest is reaped and removed; the next job is read only after that, and a server whose removal
failed exits instead of serving another job.
"""

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
import struct
import sys
import time
import traceback

_HEADER = struct.Struct(">I")
_MAX_FRAME = 256 * 1024 * 1024
_MAX_DEPTH = 200
_PR_SET_DUMPABLE = 4
_RUNNER_GRACE_S = 2.0
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
    handles = []
    module = {"__name__": "solution", "__builtins__": builtins}
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


_remote_exception_types = {}


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


class RemoteModule(type(sys)):
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
    body = []
    for index, stmt in enumerate(statements):
        loc = {
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


def run_check_tests(tests_src, channel, entry_point, recorder):
    tree, statements = _instrument_check(ast.parse(tests_src, "tests.py"))
    namespace = {"__name__": "tests", "__builtins__": builtins}
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
    code = compile(tree, "tests.py", "exec")
    exec(code, namespace)  # noqa: S102 (the prompt's tests, trusted, in the runner)
    _bind_candidate_names(namespace, _global_names(code), channel, entry_point)
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


def runner_main(job, tests_src, req_fd, resp_fd, result_fd, job_dir):
    deadline = time.monotonic() + job["timeout_s"]
    channel = Channel(req_fd, resp_fd, deadline)
    recorder = Recorder()
    report = {"tests": recorder.tests, "load_error": None, "stage": "load"}
    try:
        if job["test_style"] == "check":
            run_check_tests(tests_src, channel, job["entry_point"], recorder)
        else:
            run_pytest_tests(tests_src, channel, job["entry_point"], recorder, job_dir)
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
    send_report(result_fd, report)


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


def _fork_worker(job, code_obj, req_r, resp_w, job_dir):
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big file raises instead of killing
        work = os.path.join(job_dir, "work")
        out = os.open(os.path.join(job_dir, "stdout"), os.O_WRONLY | os.O_CREAT, 0o600)
        err = os.open(os.path.join(job_dir, "stderr"), os.O_WRONLY | os.O_CREAT, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.dup2(req_r, 3)
        os.dup2(resp_w, 4)
        _close_fds_except({3, 4})
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        os.chdir(work)
        memory = job["memory_mb"] * 1024 * 1024
        _limit(resource.RLIMIT_AS, memory)
        _limit(resource.RLIMIT_CPU, int(math.ceil(job["timeout_s"])) + 1)
        _limit(resource.RLIMIT_FSIZE, job["max_file_bytes"])
        _limit(resource.RLIMIT_NOFILE, 256)
        _limit(resource.RLIMIT_CORE, 0)
        worker_main(code_obj, 3, 4)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    os._exit(70)


def _fork_runner(job, tests_buf, req_w, resp_r, result_w, job_dir):
    pid = os.fork()
    if pid:
        return pid
    try:
        os.setsid()
        tests_src = bytes(tests_buf).decode("utf-8", "replace")
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.dup2(req_w, 3)
        os.dup2(resp_r, 4)
        os.dup2(result_w, 5)
        _close_fds_except({3, 4, 5})
        sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        _limit(resource.RLIMIT_AS, max(job["memory_mb"], 256) * 2 * 1024 * 1024)
        runner_main(job, tests_src, 3, 4, 5, job_dir)
        os._exit(0)
    except BaseException:  # noqa: BLE001
        try:
            send_report(5, {"harness_error": traceback.format_exc()[-4000:]})
        finally:
            os._exit(71)


def _read_head(path, limit):
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return "", False
    return data[:limit].decode("utf-8", "replace"), len(data) > limit


class DirtyServer(Exception):
    """The cleanup after a job whose result was already sent failed: serve no other job."""


def _kill_all(pids):
    """Kill everything the job left behind (not yet reaped: see `_reap_all`)."""
    if os.getpid() == 1:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
    else:
        for pid in pids:
            for target in (-pid, pid):
                try:
                    os.kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def _reap_all():
    """Reap every zombie, killing again on every round; {pid: (status, rusage)}."""
    statuses = {}
    while True:
        if os.getpid() == 1:
            # Again on every round: a fork racing the previous kill(-1) may have escaped it.
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            pid, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            break
        statuses[pid] = (status, usage)
    return statuses


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


def run_job(job, code, tests, deliver=None):
    """Run one job; returns (result, the runner's record or None).

    `tests` is the test bytes or a function that reads them: it is called only after the worker
    is forked, so the tests never enter the worker's memory at all (and the worker starts up
    while the runner is being forked). With `deliver`, a result with a record is passed to it
    as soon as every process of the job is killed and the worker reaped, so the host handles
    it while the other processes are reaped and the job's files removed; run_job still returns
    only after that cleanup, and raises DirtyServer if it failed."""
    started = time.monotonic()
    read_tests = tests if callable(tests) else lambda: tests
    result = {"id": job["id"], "stdout": "", "stderr": ""}
    try:
        code_obj = compile(code, "solution.py", "exec")
    except (SyntaxError, ValueError) as exc:
        result.update(load_error=[type(exc).__name__, str(exc)[:2000]], wall_time_s=0.0)
        return result, None
    job_dir = os.path.join(_JOB_ROOT, f"factory-job-{os.getpid()}")
    shutil.rmtree(job_dir, ignore_errors=True)
    os.makedirs(os.path.join(job_dir, "work"))
    req_r, req_w = os.pipe()
    resp_r, resp_w = os.pipe()
    result_r, result_w = os.pipe()
    worker = _fork_worker(job, code_obj, req_r, resp_w, job_dir)
    tests_buf = read_tests()
    runner = _fork_runner(job, tests_buf, req_w, resp_r, result_w, job_dir)
    # Later workers are forked from this process too: no copy of these tests may stay here.
    tests_buf[:] = bytes(len(tests_buf))
    for fd in (req_r, req_w, resp_r, resp_w, result_w):
        os.close(fd)
    deadline = started + job["timeout_s"] + _RUNNER_GRACE_S
    frame = report = None
    try:
        frame = json.loads(read_frame(result_r, deadline))
        report = read_frame(result_r, deadline)  # forwarded as is, never decoded here
    except WorkerTimeout:
        result["timed_out"] = True
    except (EOFError, ValueError):
        pass  # the runner died without a report
    os.close(result_r)
    wall = time.monotonic() - started
    worker_status = None
    worker_gone = bool(frame and frame.get("worker_gone"))
    if report is not None and worker_gone:
        # The worker already exited; collect how before the cleanup kills the rest.
        try:
            _, status, usage = os.wait4(worker, 0)
            worker_status = (status, usage)
        except ChildProcessError:
            pass
    runner_status = None
    if report is None and not result.get("timed_out"):
        try:
            _, status, _ = os.wait4(runner, 0)
            runner_status = status
        except ChildProcessError:
            pass
    _kill_all([runner, worker])
    if worker_status is None:
        try:
            _, status, usage = os.wait4(worker, 0)
            worker_status = (status, usage)
        except ChildProcessError:
            pass
    if report is None:  # the runner's end decides the verdict: reap it before answering
        statuses = _reap_all()
        if runner_status is None and runner in statuses:
            runner_status = statuses[runner][0]
    if report is None:
        result["runner_lost"] = True
        if runner_status is not None and os.WIFSIGNALED(runner_status):
            result["runner_signal"] = os.WTERMSIG(runner_status)
    if worker_status is not None:
        status, usage = worker_status
        result["peak_memory_kb"] = usage.ru_maxrss
        if report is not None and worker_gone:
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
    _reap_all()
    problem = _remove_job_files(job_dir)
    if problem and delivered:
        raise DirtyServer(problem)
    if problem:
        result["anomaly"] = problem
    return result, report


def main():
    _set_not_dumpable()
    # As PID 1 the kernel drops signals without a handler; Python installs one for SIGINT.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.dont_write_bytecode = True
    os.umask(0o077)
    try:
        import pytest  # noqa: F401 (checked here, imported for good by the first pytest job)

        has_pytest = True
    except ImportError:
        has_pytest = False
    # pytest doubles the server's memory, which every fork and exit then pays for: only load it
    # (once, for good) when a pytest-style job arrives.
    for name in [name for name in sys.modules if name.split(".")[0] in ("pytest", "_pytest")]:
        del sys.modules[name]
    gc.collect()
    gc.freeze()  # children then do not copy-on-write pages just by running the collector
    stdin, stdout = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    version = ".".join(map(str, sys.version_info[:3]))
    send_json(stdout, {"ready": True, "python": version, "pytest": has_pytest, "pid": os.getpid()})
    while True:
        try:
            job = json.loads(read_frame(stdin, limit=1024 * 1024))
        except EOFError:
            return
        code = bytes(read_exact(stdin, job["code_len"])).decode("utf-8", "replace")
        pending = []

        def read_tests(size=job["tests_len"], pending=pending):
            pending.append(read_exact(stdin, size))
            return pending[-1]

        if job["test_style"] != "check" and "pytest" not in sys.modules and has_pytest:
            import pytest  # noqa: F401,F811 (stays imported: the next runners fork with it warm)

            gc.freeze()
        sent = []

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
